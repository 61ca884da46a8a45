//! `POST /v1/contacts/{id}/opt-in` and `…/opt-out` `{channel_id,
//! consent_source?, consent_text?}` — a contact's consent on one channel
//! (the spec: "opt-in/out stored and respected in marketing"). The
//! channel's `opt_in`, `opt_in_source`, `opted_in_at`/`opt_out_at` change and,
//! in the same transaction, the notifications core's consent record for the
//! address (an SMS opt-out is the STOP list) — so a marketing send to the
//! address is refused or allowed from then on. `contact.opted_in|opted_out`;
//! `contact.consent.manage`.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Timestamp};
use crm_notify::consent::{Change, Consent, ConsentStatus, SubjectType};
use crm_notify::messages::Channel;
use crm_store::Tx;
use serde::Deserialize;
use serde_json::json;

use crate::App;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Body {
    channel_id: String,
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
    // Another tenant's contact is a 404 whatever the body says.
    let current = super::load_for_change(app, &call).await?;
    let b: Body = call.json()?;
    let mut errors = Vec::new();
    let (source, consent_text) = crm_notify::consent::provenance(b.consent_source, b.consent_text, &mut errors);
    let channel_id = EntityId::parse(&b.channel_id).map_err(|_| AppError::invalid("channel_id", "must be a channel id"));
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    let channel_id = channel_id?;
    let t = current.tenant_id;
    let now = Timestamp::now();
    let mut fields = current.fields.clone();
    let ch = fields
        .channels
        .iter_mut()
        .find(|c| c.id == channel_id)
        .ok_or_else(|| AppError::invalid("channel_id", "is not a channel of this contact"))?;
    let opting_in = status == ConsentStatus::OptedIn;
    ch.opt_in = opting_in;
    if opting_in {
        (ch.opt_in_source, ch.opted_in_at, ch.opt_out_at) = (Some(source.clone()), Some(now), None);
    } else {
        ch.opt_out_at = Some(now);
    }
    let ch = ch.clone();
    let channel: Channel = ch.kind.message_channel();
    let previous = Consent::load(&app.store, t, &channel, &ch.value).await?;
    let change = Change {
        channel,
        address: ch.value.clone(),
        status,
        subject_type: SubjectType::Contact,
        subject_id: Some(current.id.to_string()),
        source: source.clone(),
        text: consent_text,
    };
    let consent = Consent::next(previous.as_ref(), t, change, now);
    let tx = consent.put(Tx::new())?;
    let data = json!({ "channel_id": ch.id, "type": ch.kind, "channel": consent.channel, "address": ch.value, "source": source });
    let next = crate::contacts::save(app, &call, &current, fields, consent.event_type(), data, tx).await?;
    Ok(Reply::ok(crate::contacts::public(&next, call.principal()?)).etag(next.version))
}
