//! `GET /v1/admin/entitlements/effective?userId=` — everything that applies
//! to a user: roles (their own and their groups'), permissions (with the
//! role hierarchy), and each feature and limit with its source (`user`,
//! `group` with its id, `tenant`, `plan`) — the same computation the
//! authorizer makes on every request.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, UserId};

use crate::model::User;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    // Unknown or mistyped parameters are refused; the readers below interpret the rest.
    let _: EffectiveQuery = call.query_as()?;
    let t = call.principal()?.tenant_id;
    let raw = call.query("userId").ok_or_else(|| AppError::invalid("userId", "is required"))?;
    let id = UserId::parse(&raw).map_err(|_| AppError::NotFound)?;
    let user: User = app.store.get_as(&User::key(t, id)).await?.filter(|u: &User| u.deleted_at.is_none()).ok_or(AppError::NotFound)?;
    Ok(Reply::ok(crate::access::effective(app, &user).await?))
}

/// The query parameters of `EntitlementsEffective`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EffectiveQuery {
    /// The user.
    #[serde(rename = "userId")]
    pub user_id: Option<String>,
}
