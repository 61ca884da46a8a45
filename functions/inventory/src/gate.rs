//! The approvals gate on inventory changes (Approvals Core, ADR 0011): a
//! price change a tenant policy holds (`unit.price.update`, e.g. over a
//! threshold), a sale without a deal (`unit.status.sold`) and a reservation
//! extended past the project's policy (`unit.reservation.extend`). The
//! last two *need* an approval: with no policy to ask, they are refused
//! (`422 APPROVAL_REQUIRED`) rather than let through. An approved change is
//! sent again by its requester and goes through once, consuming the grant
//! in its own transaction.

use crm_approvals::request::ApprovalRequest;
use crm_approvals::{Check, Gate};
use crm_auth::Principal;
use crm_kernel::{AppError, EntityId};
use crm_store::{Store, Tx};
use serde_json::Value;

/// Where the gate leaves a change.
pub enum Gated {
    /// Go ahead: write this transaction (it consumes a grant, if one let it through).
    Go(Tx),
    /// Held: the approval request that waits.
    Held(Box<ApprovalRequest>),
}

/// Asks the gate about `action` on unit `unit`, with what the approvers see.
pub async fn ask(store: &Store, p: &Principal, action: &str, unit: EntityId, payload: Value, required: bool) -> Result<Gated, AppError> {
    let check = Check { action_code: action.into(), object_type: "unit".into(), object_id: unit.to_string(), payload };
    match crm_approvals::check_and_maybe_enqueue(store, p, &check).await? {
        Gate::Proceed if required => Err(AppError::Rule {
            code: "APPROVAL_REQUIRED",
            message: format!(
                "this change needs an approval and the tenant has no active policy for `{action}`: an admin adds one (POST /v1/approvals/policies)"
            ),
        }),
        Gate::Proceed => Ok(Gated::Go(Tx::new())),
        Gate::Granted(grant) => Ok(Gated::Go(grant.consume(Tx::new()))),
        Gate::Pending(pending) => Ok(Gated::Held(Box::new(pending.commit(store).await?))),
    }
}

/// What a gated route answers: done (`200`), or held (`202`) with the request.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum GatedReply<T> {
    Done(T),
    Held { held_for_approval: bool, approval_request: Box<ApprovalRequest> },
}

impl<T: serde::Serialize> GatedReply<T> {
    pub fn held(request: Box<ApprovalRequest>) -> crm_http::Reply {
        crm_http::Reply::with_status(202, GatedReply::<T>::Held { held_for_approval: true, approval_request: request })
    }
}
