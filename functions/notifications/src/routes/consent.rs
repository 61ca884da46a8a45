//! `POST /v1/notify/opt-in` and `POST /v1/notify/opt-out` — record a
//! subject's consent on a channel: `{subject_type: user|contact, subject_id?,
//! channel, address?, consent_source?, consent_text?}`. A user's address
//! defaults to their email or verified phone; a contact's is given. An SMS
//! opt-out puts the number on the STOP list; an opt-out emits `contact.opted_out`.

use crm_events::outbox::EmitExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, FieldError, Timestamp, UserId};
use crm_notify::messages::Channel;
use crm_store::{StoreError, Tx};
use serde::Deserialize;
use serde_json::json;

use crate::App;
use crm_notify::consent::{normalise, provenance, Change, Consent, ConsentStatus, SubjectType};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Body {
    subject_type: SubjectType,
    #[serde(default)]
    subject_id: Option<String>,
    channel: Channel,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    consent_source: Option<String>,
    #[serde(default)]
    consent_text: Option<String>,
}

pub async fn opt_in(app: &App, call: Call) -> Result<Reply, AppError> {
    record(app, call, ConsentStatus::OptedIn).await
}

pub async fn opt_out(app: &App, call: Call) -> Result<Reply, AppError> {
    record(app, call, ConsentStatus::OptedOut).await
}

async fn record(app: &App, call: Call, status: ConsentStatus) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let b: Body = call.json()?;
    if b.channel == Channel::Inbox {
        return Err(AppError::invalid("channel", "consent applies to email, sms and whatsapp"));
    }
    let mut errors = Vec::new();
    let (source, consent_text) = provenance(b.consent_source, b.consent_text, &mut errors);
    let address = match (&b.subject_type, &b.address, &b.subject_id) {
        (_, Some(a), _) => normalise("address", &b.channel, a).map_err(|e| errors.push(e)).ok(),
        (SubjectType::User, None, Some(id)) => {
            let user = UserId::parse(id).map_err(|_| AppError::NotFound)?;
            let person = crate::people::recipient(&app.store, t, user).await?;
            match b.channel {
                Channel::Email => Some(person.email.clone()),
                _ => person.verified_phone().map(|p| p.to_string()).or_else(|| {
                    errors.push(FieldError::new("address", "the user has no verified phone; give the number"));
                    None
                }),
            }
        }
        _ => {
            errors.push(FieldError::new("address", "give the address (or a user's subject_id)"));
            None
        }
    };
    if b.subject_type == SubjectType::User {
        if let (Some(id), true) = (&b.subject_id, b.address.is_some()) {
            crate::people::recipient(&app.store, t, UserId::parse(id).map_err(|_| AppError::NotFound)?).await?;
        }
    }
    let Some(address) = address.filter(|_| errors.is_empty()) else { return Err(AppError::invalid_fields(errors)) };
    let now = Timestamp::now();
    let current = Consent::load(&app.store, t, &b.channel, &address).await?;
    if let Some(c) = current.as_ref().filter(|c| c.status == status) {
        return Ok(Reply::ok(c).etag(c.version));
    }
    let subject =
        Subject { kind: format!("{:?}", b.subject_type).to_lowercase(), id: b.subject_id.clone().unwrap_or_else(|| address.clone()) };
    let change = Change {
        channel: b.channel.clone(),
        address: address.clone(),
        status,
        subject_type: b.subject_type,
        subject_id: b.subject_id,
        source,
        text: consent_text,
    };
    let consent = Consent::next(current.as_ref(), t, change, now);
    let data = json!({ "channel": consent.channel, "address": address, "source": consent.consent_source });
    let event = crm_events::DomainEvent::caused_by(&call, consent.event_type(), subject, data)?;
    match app.store.transact(consent.put(Tx::new())?.emit(&event)).await {
        Ok(()) => Ok(Reply::ok(&consent).etag(consent.version)),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::Conflict("consent changed concurrently; retry".into())),
        Err(e) => Err(e.into()),
    }
}
