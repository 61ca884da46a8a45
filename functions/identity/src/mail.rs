//! The emails identity sends (verification, password reset, invitation),
//! composed from the notification templates (`auth.*` families, Arabic and
//! English) so tenants can override their wording like any other template.

use crm_kernel::{AppError, TenantId, UserId};
use crm_notify::compose::{compose, Mirror, Recipient, Send};
use crm_notify::messages::{Channel, Message, MessageKind};
use serde_json::Value;

use crate::email::Email;

/// One transactional email of `family` to `to`, rendered from `payload`
/// with the tenant's own template when it has one.
pub async fn email(
    store: &crm_store::Store,
    tenant_id: TenantId,
    to: &Email,
    family: &str,
    payload: Value,
    locale: Option<&str>,
    user: Option<UserId>,
) -> Result<Message, AppError> {
    let send = Send {
        tenant_id,
        channel: Channel::Email,
        family: family.into(),
        payload: payload.as_object().cloned().unwrap_or_default(),
        kind: MessageKind::Transactional,
        mirror: Mirror { email: false, inbox: false },
        scheduled_at: None,
        source: format!("identity.{family}"),
        marketing_email_ok: false,
    };
    let to = Recipient { email: Some(to.as_str().to_string()), phone: None, user_id: user, locale: locale.map(str::to_string) };
    let overrides = crm_notify::tenant::overrides(store, tenant_id, family).await?;
    let mut composed = compose(&send, &to, &overrides, None)?;
    Ok(composed.messages.remove(0))
}

/// The email-verification link for `user` (a new owner, or a user an admin
/// created): the single-use record and the message carrying its link, to
/// write in the transaction that creates the user.
pub async fn verification(
    app: &crate::App,
    tenant_name: &str,
    user: &crate::model::User,
    now: crm_kernel::Timestamp,
) -> Result<(crate::onetime::OneTime, Message), AppError> {
    use crate::onetime::{OneTime, Purpose};
    let (record, token) = OneTime::issue(Purpose::EmailVerification, user.tenant_id, user.id, now);
    let payload = serde_json::json!({
        "full_name": user.full_name, "tenant_name": tenant_name,
        "link": format!("{}/verify-email?token={}", app.app_base_url, token.to_wire()),
    });
    let message = email(&app.store, user.tenant_id, &user.email, "auth.verify_email", payload, None, Some(user.id)).await?;
    Ok((record, message))
}

/// The invitation email to `to`, with the accept link of `token`.
pub async fn invitation(
    app: &crate::App,
    tenant_id: TenantId,
    to: &Email,
    tenant_name: &str,
    token: &crm_auth::opaque::OpaqueToken,
) -> Result<Message, AppError> {
    let link = format!("{}/accept-invite?token={}", app.app_base_url, token.to_wire());
    email(&app.store, tenant_id, to, "auth.invitation", serde_json::json!({ "tenant_name": tenant_name, "link": link }), None, None).await
}
