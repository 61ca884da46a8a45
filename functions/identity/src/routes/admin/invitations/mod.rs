//! `/v1/admin/invitations`: the tenant's pending invitations — listed,
//! sent again (rate-limited), revoked.

pub mod delete;
pub mod get;
pub mod resend_post;

use crm_http::Call;
use crm_kernel::{AppError, EntityId, Timestamp, UserId};

use crate::onetime::{OneTime, Purpose};
use crate::App;

/// The open invitation `{id}` of the caller's tenant; another tenant's, a
/// malformed id, an accepted, expired or revoked one: `404`. The caller
/// acts on it only if it could grant every role it carries (`403`), as
/// on a user (`crm_auth::grant`).
pub(crate) async fn open(app: &App, call: &Call) -> Result<OneTime, AppError> {
    let p = call.principal()?;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    let inv: OneTime = app.store.get_as(&OneTime::key(Purpose::Invitation, p.tenant_id, id)).await?.ok_or(AppError::NotFound)?;
    if inv.used_at.is_some() || inv.expired_at.is_some() || inv.expires_at <= Timestamp::now() {
        return Err(AppError::NotFound);
    }
    let model = crate::access::load(&app.store, p.tenant_id).await?;
    crm_auth::grant::check_target(&crm_auth::grant::Granter::new(p, &model), &InvitationView::of(&inv).roles)?;
    Ok(inv)
}

/// A pending invitation as the API shows it (never its token or hash).
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct InvitationView {
    pub id: EntityId,
    /// The user the invitation creates when accepted.
    pub user_id: UserId,
    pub email: String,
    pub roles: Vec<String>,
    pub invited_by: Option<UserId>,
    pub expires_at: Timestamp,
    pub last_sent_at: Option<Timestamp>,
    /// Times it was sent again.
    pub resends: i64,
}

impl InvitationView {
    pub fn of(inv: &OneTime) -> Self {
        let p = &inv.payload;
        Self {
            id: inv.id,
            user_id: inv.user_id,
            email: p["email"].as_str().unwrap_or_default().to_string(),
            roles: serde_json::from_value(p["roles"].clone()).unwrap_or_default(),
            invited_by: p["invited_by"].as_str().and_then(|u| UserId::parse(u).ok()),
            expires_at: inv.expires_at,
            last_sent_at: serde_json::from_value(p["last_sent_at"].clone()).ok(),
            resends: p["resends"].as_i64().unwrap_or(0),
        }
    }
}
