//! `POST /v1/admin/users/bulk` `{action, user_ids, roles?}` — one action on
//! up to 100 users: `suspend`, `deactivate`, `reactivate` (each needing the
//! permission its single route needs) or `assign_roles` (`role.assign`,
//! with `roles`). Each user goes through the single route's rules and
//! transaction — grants, self-change, the last super admin, seats — and is
//! audited on its own; one user's refusal does not stop the others. The
//! answer (`200`) reports every user: `ok` with the user as updated, or
//! the status and error the single route would have answered.

use crm_auth::rbac;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, UserId};
use serde::Deserialize;

use super::lifecycle::Action;
use crate::model::{User, UserView};
use crate::App;

/// Most users one bulk request takes.
pub const MAX_USERS: usize = 100;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// `suspend`, `deactivate`, `reactivate` or `assign_roles`.
    pub action: BulkAction,
    /// 1 to 100 user ids of the tenant (repeats count once).
    #[schemars(length(min = 1, max = 100))]
    pub user_ids: Vec<String>,
    /// The roles every user gets (`assign_roles` only).
    #[serde(default)]
    pub roles: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkAction {
    Suspend,
    Deactivate,
    Reactivate,
    AssignRoles,
}

impl BulkAction {
    fn permission(self) -> rbac::Permission {
        match self {
            BulkAction::Suspend => rbac::USER_SUSPEND,
            BulkAction::Deactivate => rbac::USER_DEACTIVATE,
            BulkAction::Reactivate => rbac::USER_REINSTATE,
            BulkAction::AssignRoles => rbac::ROLE_ASSIGN,
        }
    }

    fn lifecycle(self) -> Option<Action> {
        match self {
            BulkAction::Suspend => Some(Action::Suspend),
            BulkAction::Deactivate => Some(Action::Deactivate),
            BulkAction::Reactivate => Some(Action::Reactivate),
            BulkAction::AssignRoles => None,
        }
    }
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let req: BulkRequest = call.json()?;
    p.require(req.action.permission())?;
    let mut ids: Vec<String> = Vec::new();
    for id in req.user_ids {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() || ids.len() > MAX_USERS {
        return Err(AppError::invalid("user_ids", format!("must hold 1 to {MAX_USERS} user ids")));
    }
    let access = crate::access::load(&app.store, p.tenant_id).await?;
    let roles = match (req.action, req.roles) {
        (BulkAction::AssignRoles, Some(asked)) => {
            let mut errors = Vec::new();
            let roles = super::parse_roles(&asked, &access, &mut errors);
            if !errors.is_empty() {
                return Err(AppError::invalid_fields(errors));
            }
            roles
        }
        (BulkAction::AssignRoles, None) => return Err(AppError::invalid("roles", "assign_roles needs the roles")),
        (_, Some(_)) => return Err(AppError::invalid("roles", "only assign_roles takes roles")),
        (_, None) => Vec::new(),
    };
    let mut results = Vec::with_capacity(ids.len());
    // One user after another: each is its own transaction, and the rules
    // that span users (the last super admin) see the previous ones done.
    for id in ids {
        let outcome = async {
            let user = load(app, p.tenant_id, &id).await?;
            match req.action.lifecycle() {
                Some(action) => super::lifecycle::apply(app, &call, action, user).await,
                None => super::roles_post::assign(app, &call, &access, user, roles.clone()).await,
            }
        }
        .await;
        results.push(match outcome {
            Ok(user) => Outcome { user_id: id, ok: true, status: 200, user: Some(user.public()), error: None },
            Err(e) => {
                if let AppError::Internal(cause) = &e {
                    tracing::error!(user = %id, %cause, "bulk action: internal error");
                }
                Outcome {
                    user_id: id,
                    ok: false,
                    status: e.status(),
                    user: None,
                    error: Some(Failure { code: e.code().to_string(), message: e.public_message() }),
                }
            }
        });
    }
    let succeeded = results.iter().filter(|r| r.ok).count();
    Ok(Reply::ok(BulkReply { failed: results.len() - succeeded, succeeded, results }))
}

/// A user of the tenant, not deleted; anything else is `404`.
async fn load(app: &App, t: crm_kernel::TenantId, id: &str) -> Result<User, AppError> {
    let id = UserId::parse(id).map_err(|_| AppError::NotFound)?;
    app.store.get_as::<User>(&User::key(t, id)).await?.filter(|u| u.deleted_at.is_none()).ok_or(AppError::NotFound)
}

/// What a bulk action did, user by user.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct BulkReply {
    pub succeeded: usize,
    pub failed: usize,
    /// In the order of `user_ids`.
    pub results: Vec<Outcome>,
}

/// One user's outcome.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Outcome {
    pub user_id: String,
    pub ok: bool,
    /// What the single route would have answered.
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Failure>,
}

/// Why one user was not changed.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Failure {
    pub code: String,
    pub message: String,
}
