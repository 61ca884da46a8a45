//! `GET /v1/approvals/policies[?action_code=]` — all policies newest first,
//! or an action's (the very partition a check reads).

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Limit};
use crm_store::{item, keys, Index, Query};

use crate::App;
use crm_approvals::policy::{Policy, POLICY};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    // Unknown or mistyped parameters are refused; the readers below interpret the rest.
    let _: PoliciesQuery = call.query_as()?;
    let t = call.principal()?.tenant_id;
    let q = match call.query("action_code") {
        Some(a) => Query::index(t, Index::ByParent, Policy::action_pk(t, &a)),
        None => Query::index(t, Index::ByKind, keys::by_kind_pk(t, POLICY)).descending(),
    };
    let page = app.store.query(q.limit(Limit::max())).await?;
    Ok(Reply::ok(page.items.into_iter().map(item::from_item::<Policy>).collect::<Result<Vec<_>, _>>()?))
}

/// The query parameters of `ApprovalPoliciesList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PoliciesQuery {
    /// Only the policies of this action.
    pub action_code: Option<String>,
}
