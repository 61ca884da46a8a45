//! `POST /v1/contacts/{id}/channels/{channelId}/verify/start` sends a
//! six-digit code to the channel's address through the notifications core
//! (email, SMS or WhatsApp — the last two need the plan's
//! `notifications.sms|whatsapp` and count toward the month's usage);
//! `…/verify/confirm {code}` checks it and stamps the channel's
//! `verified_at` (`contact.channel.verified`). The code proves the address
//! it went to: a channel whose value changed meanwhile must start again.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Phone, Timestamp};
use crm_notify::compose::{compose, Mirror, Recipient, Send};
use crm_notify::messages::{count_usage, Channel, MessageKind, QueueExt};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde::Deserialize;
use serde_json::json;

use crate::verification::{ChannelVerification, CODE_TTL_SECS};
use crate::App;

pub async fn start(app: &App, call: Call) -> Result<Reply, AppError> {
    let current = super::load_for_change(app, &call).await?;
    let ch = super::channel_of(&call, &current)?.clone();
    let t = current.tenant_id;
    let tenant = crm_directory::tenant(&app.store, t).await?.ok_or(AppError::NotFound)?;
    let channel = ch.kind.message_channel();
    if channel != Channel::Email {
        call.principal()?.entitlements.require_feature(&format!("notifications.{}", channel.as_str()))?;
    }
    let key = ChannelVerification::key(t, current.id, ch.id);
    let previous: Option<ChannelVerification> = app.store.get_as(&key).await?;
    let now = Timestamp::now();
    let (record, code) = ChannelVerification::issue(previous.as_ref(), t, current.id, ch.id, &ch.value, now)?;
    let send = Send {
        tenant_id: t,
        channel: channel.clone(),
        family: "contact.verify_channel".into(),
        payload: json!({ "code": code, "expires_min": CODE_TTL_SECS / 60, "tenant_name": tenant.name })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        kind: MessageKind::Transactional,
        mirror: Mirror { email: false, inbox: false },
        scheduled_at: None,
        source: "records.contact_channel_verify".into(),
        marketing_email_ok: false,
    };
    let to = Recipient {
        email: (channel == Channel::Email).then(|| ch.value.clone()),
        phone: Phone::parse(&ch.value).ok(),
        user_id: None,
        locale: ch.locale.clone(),
    };
    let overrides = crm_notify::tenant::overrides(&app.store, t, &send.family).await?;
    let message = compose(&send, &to, &overrides, None)?.messages.remove(0);
    let event = crm_events::DomainEvent::caused_by(
        &call,
        crm_events::types::CONTACT_CHANNEL_VERIFY_STARTED,
        crate::contacts::subject(&current),
        json!({ "channel_id": ch.id, "type": ch.kind, "message_id": message.id }),
    )?;
    let tx = match &previous {
        Some(p) => Tx::new().put_if("verification", record.to_item()?, Condition::version_is(p.version)),
        None => Tx::new().put_new("verification", record.to_item()?),
    };
    let mut tx = count_usage(tx.queue_message(&message)?, std::slice::from_ref(&message)).emit_audited(&event);
    if channel != Channel::Email {
        // A code to a phone is held by the same budgets as identity's codes.
        tx = crm_notify::messages::CodeBudget::default().hold(tx, t, "contact_verify", &ch.value, now);
    }
    app.store.transact(tx).await.map_err(|e| match &e {
        crm_store::StoreError::ConditionFailed { label } if crm_notify::messages::CodeBudget::refusal(label, now).is_some() => {
            crm_notify::messages::CodeBudget::refusal(label, now).unwrap_or(AppError::RateLimited { retry_after_secs: 60 })
        }
        _ => match crate::contacts::conflict_label(&e) {
            Some(_) => AppError::RateLimited { retry_after_secs: 60 },
            None => e.into(),
        },
    })?;
    Ok(Reply::with_status(202, crate::verification::Started { verification: record.public() }))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Confirm {
    code: String,
}

pub async fn confirm(app: &App, call: Call) -> Result<Reply, AppError> {
    let body: Confirm = call.json()?;
    let current = super::load_for_change(app, &call).await?;
    let ch = super::channel_of(&call, &current)?.clone();
    let t = current.tenant_id;
    let key = ChannelVerification::key(t, current.id, ch.id);
    let record: ChannelVerification = app.store.get_as(&key).await?.ok_or_else(|| AppError::Rule {
        code: "OTP_NOT_PENDING",
        message: "no code is waiting for this channel; start verification first".into(),
    })?;
    let now = Timestamp::now();
    // The attempt is spent (atomically) before the code is compared.
    let spent = app.store.spend(&key, "attempts", i64::from(crate::verification::MAX_ATTEMPTS)).await?;
    let mut counted = record.clone();
    counted.attempts = spent.map_or(u32::MAX, |n| u32::try_from(n).unwrap_or(u32::MAX));
    let (gone, verdict) = match spent {
        Some(_) => counted.confirm(&ch.value, &body.code, now),
        None => (true, Err(AppError::Rule { code: "OTP_ATTEMPTS_EXCEEDED", message: "too many wrong codes; start again".into() })),
    };
    let cond = Condition::version_is(record.version);
    let Ok(()) = verdict else {
        if gone {
            app.store.transact(Tx::new().delete("verification", &key, Some(cond))).await?;
        }
        return verdict.map(|_| Reply::no_content());
    };
    let mut fields = current.fields.clone();
    if let Some(c) = fields.channels.iter_mut().find(|c| c.id == ch.id) {
        c.verified_at = Some(now);
    }
    let data = json!({ "channel_id": ch.id, "type": ch.kind });
    let tx = Tx::new().delete("verification", &key, Some(cond));
    let next = crate::contacts::save(app, &call, &current, fields, crm_events::types::CONTACT_CHANNEL_VERIFIED, data, tx).await?;
    Ok(Reply::ok(crate::contacts::public(&next, call.principal()?)).etag(next.version))
}
