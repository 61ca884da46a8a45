//! Sending one-time codes by SMS or WhatsApp — phone verification and
//! sign-in alike: the messages (with their email and inbox mirrors, which
//! never carry the code) and the transaction that queues them under the
//! one-time-code budgets (the code's own rules: [`crate::otp`]).

use crm_kernel::AppError;
use crm_notify::compose::{compose, Mirror, Recipient, Send};
use crm_notify::messages::{Message, MessageKind};

use crate::otp::{Otp, Purpose, CODE_TTL_SECS};
use crate::App;

/// The messages carrying a code (template family `otp.verify_phone` or
/// `otp.login`): the SMS/WhatsApp itself, plus its email and inbox mirrors
/// (which say a code was sent, never the code), in one dispatch group.
pub async fn code_messages(
    store: &crm_store::Store,
    otp: &Otp,
    code: &str,
    family: &str,
    user: &crate::model::User,
) -> Result<Vec<Message>, AppError> {
    let payload = serde_json::json!({
        "code": code, "expires_min": CODE_TTL_SECS / 60, "app_name": "M3CRM", "phone_masked": otp.e164.masked(),
    });
    let send = Send {
        tenant_id: otp.tenant_id,
        channel: otp.channel.message_channel(),
        family: family.into(),
        payload: payload.as_object().cloned().unwrap_or_default(),
        kind: MessageKind::Transactional,
        mirror: Mirror::default(),
        scheduled_at: None,
        source: format!("identity.{family}"),
        marketing_email_ok: false,
    };
    let to = Recipient {
        email: Some(user.email.as_str().to_string()),
        phone: Some(otp.e164.clone()),
        user_id: Some(user.id),
        locale: user.profile.locale.clone(),
    };
    let overrides = crm_notify::tenant::overrides(store, otp.tenant_id, family).await?;
    Ok(compose(&send, &to, &overrides, None)?.messages)
}

/// Commits `tx` with every code message (each with its `message.queued`),
/// counted on the month's SMS/WhatsApp usage — never refused by the plan's
/// cap, a user must be able to sign in — but held by the one-time-code
/// budgets in the same transaction ([`crm_notify::messages::CodeBudget`]:
/// per tenant per month, `422 OTP_BUDGET_EXHAUSTED`; per number per hour
/// and purpose, `429`).
pub async fn send_codes(app: &App, tx: crm_store::Tx, otp: &Otp, purpose: Purpose, messages: &[Message]) -> Result<(), AppError> {
    use crm_notify::messages::QueueExt;
    let now = crm_kernel::Timestamp::now();
    let mut tx = tx;
    for m in messages {
        tx = tx.queue_message(m)?;
    }
    let tx = crm_notify::messages::count_usage(tx, messages);
    let purpose = match purpose {
        Purpose::PhoneVerify => "phone_verify",
        Purpose::Login => "login",
    };
    let tx = app.otp_budget.hold(tx, otp.tenant_id, purpose, otp.e164.as_str(), now);
    match app.store.transact(tx).await {
        Ok(()) => Ok(()),
        Err(crm_store::StoreError::ConditionFailed { label }) => {
            Err(crm_notify::messages::CodeBudget::refusal(&label, now).unwrap_or(crm_store::StoreError::ConditionFailed { label }.into()))
        }
        Err(e) => Err(e.into()),
    }
}
