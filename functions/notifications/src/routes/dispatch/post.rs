//! `POST /v1/notify/dispatch` — queue a message (and its mirrors) for one
//! recipient. In order:
//!
//! 1. the body parses ([`super::request`]); the rules below are pure ([`super::plan`]);
//! 2. the same idempotency key already dispatched → that group again (`200`, `replayed: true`);
//! 3. the plan has the channel (`notifications.sms|whatsapp`, and for
//!    marketing `marketing.sms|whatsapp`) → else `402 PLAN_REQUIRED`;
//! 4. the recipient resolves (a user of the tenant, else `404`), the primary
//!    address is not suppressed (`422 RECIPIENT_SUPPRESSED`) and consent
//!    allows the send (`422 CONSENT_REQUIRED`);
//! 5. mirrors follow the request, the tenant policy and the user's
//!    preferences; quiet hours and do-not-disturb move the primary's
//!    `scheduled_at`; the templates render (`422 TEMPLATE_MISSING`, `400` for
//!    a missing variable);
//! 6. the per-minute throttle (`429`) and, in the write itself, the monthly
//!    cap (`402 PLAN_REQUIRED` with `key`);
//! 7. one transaction: the messages with their `message.queued` events, the
//!    group under its key, the cap counter, `dispatch.group.created`.

use crm_events::outbox::EmitExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_notify::compose::{compose, Send};
use crm_notify::messages::{Channel, Message, QueueExt};
use crm_notify::preferences::Preferences;
use crm_store::item::ItemExt;
use crm_store::tx::Condition;
use crm_store::{item, keys, StoreError, Tx};
use serde_json::{json, Value};

use super::group::{DispatchGroup, DISPATCH_KEY};
use super::plan;
use super::request::{Body, DispatchRequest};
use crate::policy::Policy;
use crate::suppression::Suppression;
use crate::{usage, App};
use crm_notify::consent::Consent;
use crm_notify::tenant as templates;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let now = Timestamp::now();
    let body: Body = call.json()?;
    let req = DispatchRequest::parse(body, now)?;
    let key_hash = req.key_hash(now);
    if let Some(group) = existing(app, t, &key_hash, now).await? {
        return replay(app, group).await;
    }
    for feature in plan::features(&req.channel, req.kind) {
        p.entitlements.require_feature(feature)?;
    }
    let policy = Policy::load(&app.store, t).await?;
    // The recipient: a user of the tenant (their addresses, locale, zone,
    // preferences) and/or explicit addresses, which win.
    let person = match req.target.user_id {
        Some(u) => Some(crate::people::recipient(&app.store, t, u).await?),
        None => None,
    };
    let prefs: Preferences = match &person {
        Some(u) => app.store.get_as(&Preferences::key(t, u.id)).await?.unwrap_or_default(),
        None => Preferences::default(),
    };
    let recipient = plan::recipient(&req, person.as_ref(), &prefs)?;
    let primary_address = plan::primary_address(&req.channel, &recipient)?;
    let standing = standing(app, &req.channel, &primary_address, recipient.email.as_deref().unwrap_or_default(), t).await?;
    plan::check_primary(&req, &standing, &prefs, person.is_some(), &policy)?;

    let send = Send {
        tenant_id: t,
        channel: req.channel.clone(),
        family: req.family.clone(),
        payload: req.payload.clone(),
        kind: req.kind,
        mirror: plan::mirrors(&req, &recipient, &standing, &prefs, person.is_some(), &policy),
        scheduled_at: req.schedule_at,
        source: "notify.dispatch".into(),
        marketing_email_ok: plan::marketing_email_ok(&standing, &prefs, person.is_some()),
    };
    let overrides = templates::overrides(&app.store, t, &req.family).await?;
    let mut composed = compose(&send, &recipient, &overrides, policy.locale.as_deref())?;
    // Quiet hours and do-not-disturb move the primary only (the inbox entry
    // is there at once, an email mirror is never held).
    composed.messages[0].scheduled_at = plan::release(&req, person.as_ref(), &prefs, &policy, now);
    if req.channel == Channel::Email {
        composed.messages[0].sender_account_id = sender_account(app, &p, req.from_account_id).await?;
    }
    usage::throttle(&app.store, t, &req.channel, policy.throttle(&req.channel, app.default_throttle_per_minute), now).await?;
    let group = DispatchGroup {
        id: composed.group_id,
        tenant_id: t,
        correlation_key: req.correlation_key.clone(),
        key_hash,
        root_message_id: composed.primary().id,
        message_ids: composed.messages.iter().map(|m| m.id).collect(),
        created_by: p.user_id,
        created_at: now,
    };
    if let Some(twin) = write(app, &call, &req, &group, &composed.messages, now).await? {
        return Ok(twin);
    }
    let location = format!("/v1/notify/messages/{}", group.root_message_id);
    Ok(Reply::with_status(202, view(&group, &composed.messages, false)).header("location", location))
}

/// Suppression and consent of the primary address and of the email a
/// mirror would go to, in one BatchGetItem.
async fn standing(app: &App, channel: &Channel, primary: &str, email: &str, t: crm_kernel::TenantId) -> Result<plan::Standing, AppError> {
    let mut keys = vec![Suppression::key(t, channel, primary), Consent::key(t, channel, primary)];
    // An email primary is its own mirror address (BatchGetItem refuses duplicate keys).
    let (email_suppression, email_consent) = if *channel == Channel::Email {
        (0, 1)
    } else {
        keys.extend([Suppression::key(t, &Channel::Email, email), Consent::key(t, &Channel::Email, email)]);
        (2, 3)
    };
    let found = app.store.get_many(&keys).await?;
    let read = |i: usize| -> Result<Option<Value>, AppError> { Ok(found[i].clone().map(item::from_item::<Value>).transpose()?) };
    let status_of = |v: Option<Value>| v.and_then(|c| serde_json::from_value::<Consent>(c).ok()).map(|c| c.status);
    Ok(plan::Standing {
        suppressed: read(0)?.map(|s| s["reason"].as_str().unwrap_or("manual").to_string()),
        consent: status_of(read(1)?),
        email_suppressed: read(email_suppression)?.is_some(),
        email_consent: status_of(read(email_consent)?),
    })
}

/// One transaction: the group under its key, the messages with their
/// `message.queued`, the monthly cap, `dispatch.group.created`. A twin that
/// won the key first answers instead (`Some`: its replay).
async fn write(
    app: &App,
    call: &Call,
    req: &DispatchRequest,
    group: &DispatchGroup,
    messages: &[Message],
    now: Timestamp,
) -> Result<Option<Reply>, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let mut tx = Tx::new().put_if(DISPATCH_KEY, group.to_item()?, Condition::absent_or_expired(now.unix_seconds()));
    for m in messages {
        tx = tx.queue_message(m)?;
    }
    let billable = messages.iter().filter(|m| m.billable && m.status == crm_notify::messages::MessageStatus::Queued).count();
    if billable > 0 {
        tx = usage::take(tx, t, &req.channel, billable as i64, &p.entitlements, now)?;
    }
    let created = crm_events::DomainEvent::caused_by(
        call,
        crm_events::types::DISPATCH_GROUP_CREATED,
        Subject { kind: "dispatch_group".into(), id: group.id.to_string() },
        json!({
            "correlation_key": group.correlation_key, "root_message_id": group.root_message_id,
            "channels": messages.iter().map(|m| m.channel.as_str()).collect::<Vec<_>>(),
            "type": req.kind, "template_code": req.family,
        }),
    )?;
    match app.store.transact(tx.emit(&created)).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed { label }) if label == DISPATCH_KEY => {
            // A concurrent twin won the key: answer with its group.
            return match existing(app, t, &group.key_hash, now).await? {
                Some(g) => replay(app, g).await.map(Some),
                None => Err(AppError::Conflict("a dispatch with this key is in progress; retry".into())),
            };
        }
        Err(StoreError::ConditionFailed { label }) if label == usage::CAP => {
            return Err(usage::reached(&req.channel, &p.entitlements).unwrap_or(AppError::NotFound));
        }
        Err(e) => return Err(e.into()),
    }
    for m in messages {
        crm_events::metrics::emit(
            &[("Channel", m.channel.as_str()), ("Mirror", if m.mirror_of.is_some() { "true" } else { "false" })],
            &[("MessagesQueued", 1.0)],
        );
    }
    Ok(None)
}

/// The mailbox an email goes out from: the one named (it must be the
/// tenant's and active), else the tenant's default when active, else none
/// (the system provider).
/// The mailbox account an email goes out from: the one named (`404` if
/// unknown), else the tenant's default. Sending *as* a named mailbox is for
/// its owner or for `email.accounts.manage`: anyone else with
/// `notify.dispatch` may not write from a director's connected Gmail (`403`).
async fn sender_account(
    app: &App,
    p: &crm_auth::Principal,
    named: Option<crm_kernel::EntityId>,
) -> Result<Option<crm_kernel::EntityId>, AppError> {
    use crate::accounts::{self, AccountStatus, EmailAccount};
    let t = p.tenant_id;
    let id = match named {
        Some(id) => id,
        None => match accounts::default_id(&app.store, t).await? {
            Some(id) => id,
            None => return Ok(None),
        },
    };
    let account: Option<EmailAccount> = app.store.get_as(&EmailAccount::key(t, id)).await?;
    if let (Some(a), true) = (&account, named.is_some()) {
        if a.created_by != p.user_id && !p.can(crm_auth::rbac::EMAIL_ACCOUNTS_MANAGE) {
            return Err(AppError::Forbidden("only the mailbox's owner or `email.accounts.manage` may send from it".into()));
        }
    }
    match (account, named.is_some()) {
        (Some(a), _) if a.status == AccountStatus::Active => Ok(Some(a.id)),
        (Some(_), true) => Err(AppError::Rule {
            code: "ACCOUNT_REAUTH_REQUIRED",
            message: "the mailbox account is disabled or must be connected again".into(),
        }),
        (None, true) => Err(AppError::NotFound),
        (_, false) => Ok(None),
    }
}

/// The group stored under `key_hash`, unless its memory has expired.
async fn existing(app: &App, t: crm_kernel::TenantId, key_hash: &str, now: Timestamp) -> Result<Option<DispatchGroup>, AppError> {
    let Some(it) = app.store.get(&DispatchGroup::key(t, key_hash)).await? else { return Ok(None) };
    if it.num_attr(keys::TTL).is_some_and(|ttl| ttl < now.unix_seconds()) {
        return Ok(None);
    }
    Ok(Some(item::from_item(it)?))
}

async fn replay(app: &App, group: DispatchGroup) -> Result<Reply, AppError> {
    let keys: Vec<_> = group.message_ids.iter().map(|id| Message::key(group.tenant_id, *id)).collect();
    let messages = app.store.get_many(&keys).await?.into_iter().flatten().map(item::from_item::<Message>).collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::ok(view(&group, &messages, true)))
}

fn view(group: &DispatchGroup, messages: &[Message], replayed: bool) -> Dispatched {
    Dispatched {
        dispatch_group_id: group.id,
        correlation_key: group.correlation_key.clone(),
        root_message_id: group.root_message_id,
        replayed,
        messages: messages.iter().map(crate::message_view::public).collect(),
    }
}

/// A dispatch: its group and the messages it queued.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Dispatched {
    pub dispatch_group_id: crm_kernel::EntityId,
    pub correlation_key: Option<String>,
    pub root_message_id: crm_kernel::EntityId,
    /// `true`: the same `correlation_key` was sent before; nothing new was queued.
    pub replayed: bool,
    pub messages: Vec<crate::message_view::MessageView>,
}
