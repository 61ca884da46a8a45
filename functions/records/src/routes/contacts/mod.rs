//! Contacts: `POST|GET /v1/contacts`, `GET|PATCH|DELETE /v1/contacts/{id}`,
//! dedupe and merge, and a contact's channels: `POST /v1/contacts/{id}/channels`,
//! `DELETE …/channels/{channelId}`, `POST …/channels/{channelId}/verify/start|confirm`,
//! `POST /v1/contacts/{id}/opt-in|opt-out`.

pub mod channel_delete;
pub mod channels_post;
pub mod consent_post;
pub mod dedupe_check_post;
pub mod delete;
pub mod export_post;
pub mod get;
pub mod id_get;
pub mod import_post;
pub mod merge_post;
pub mod patch;
pub mod post;
pub mod verify;

use crm_events::audit::AuditExt;
use crm_http::Call;
use crm_kernel::{AppError, EntityId, TenantId, Timestamp};
use crm_store::item::ItemExt;
use crm_store::tx::Condition;
use crm_store::{item, keys, StoreError, Tx};
use serde_json::{json, Value};

use crate::channel::{self, ChannelType};
use crate::company::Company;
use crate::contact::{Contact, ContactFields, CONTACT};
use crate::{search_index, App};

/// The transaction label of a claimed address marker.
const MARKER: &str = "marker:";

/// The contact `{id}`, if the caller may see it (else `404`).
pub(crate) async fn load(app: &App, call: &Call) -> Result<Contact, AppError> {
    let p = call.principal()?;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    let c: Contact = app.store.get_as(&Contact::key(p.tenant_id, id)).await?.ok_or(AppError::NotFound)?;
    crm_auth::audience::require_visible(&app.store, p, c.fields.owner_user_id, c.fields.private).await?;
    Ok(c)
}

/// A contact that can still change (a merged one is a tombstone: 409).
pub(crate) fn live(c: Contact) -> Result<Contact, AppError> {
    match c.merged_into_id {
        Some(into) => Err(AppError::Conflict(format!("this contact was merged into {into}"))),
        None => Ok(c),
    }
}

pub(crate) fn subject(c: &Contact) -> crm_events::Subject {
    crm_events::Subject { kind: "contact".into(), id: c.id.to_string() }
}

pub(crate) fn public(c: &Contact) -> Value {
    let mut v = serde_json::to_value(c).unwrap_or_default();
    v["full_name"] = json!(c.fields.full_name());
    v
}

/// The company must be one of the tenant's.
pub(crate) async fn check_company(app: &App, t: TenantId, company: Option<EntityId>) -> Result<(), AppError> {
    if let Some(c) = company {
        app.store.get(&Company::key(t, c)).await?.ok_or_else(|| AppError::invalid("company_id", "is not a company of this tenant"))?;
    }
    Ok(())
}

/// Moves the duplicate markers from `old` to `new` in `tx`: an address
/// the contact gains is claimed with `attribute_not_exists` (label
/// `marker:{family}:{value}`), one it lost is released.
pub(crate) fn markers(
    mut tx: Tx,
    t: TenantId,
    id: EntityId,
    old: Option<&ContactFields>,
    new: Option<&ContactFields>,
) -> Result<Tx, AppError> {
    let claim = json!({ "contact_id": id });
    let (old, new) = (old.map(channel::addresses).unwrap_or_default(), new.map(channel::addresses).unwrap_or_default());
    for (family, value) in old.difference(&new) {
        tx = tx.delete("marker_release", &keys::unique(t, family, value), None);
    }
    for (family, value) in new.difference(&old) {
        tx = tx.put_new(&format!("{MARKER}{family}:{value}"), item::to_item(&keys::unique(t, family, value), &claim)?);
    }
    Ok(tx)
}

/// Turns a lost marker into `409` naming the contact that holds the address.
pub(crate) async fn duplicate(app: &App, t: TenantId, label: &str) -> AppError {
    let Some((family, value)) = label.strip_prefix(MARKER).and_then(|l| l.split_once(':')) else {
        return AppError::Conflict("the contact changed meanwhile; retry".into());
    };
    let what = if family == ChannelType::Email.marker() { "email" } else { "phone" };
    let holder =
        app.store.get(&keys::unique(t, family, value)).await.ok().flatten().and_then(|it| it.str_attr("contact_id").map(str::to_string));
    AppError::Conflict(format!("a contact with this {what} ({value}) exists: {}", holder.unwrap_or_else(|| "?".into())))
}

/// Writes `fields` over `current` in one transaction with `tx`: the version
/// read (else `412`), the address markers and search terms that follow, and
/// the audited event `kind` with `data`.
pub(crate) async fn save(
    app: &App,
    call: &Call,
    current: &Contact,
    fields: ContactFields,
    kind: &str,
    data: Value,
    tx: Tx,
) -> Result<Contact, AppError> {
    let t = current.tenant_id;
    let next = Contact { fields, updated_at: Timestamp::now(), version: current.version + 1, ..current.clone() };
    let event = super::event(call, kind, subject(&next), data)?;
    let tx = tx.put_if("contact", next.to_item()?, Condition::version_is(current.version)).emit_audited(&event);
    let tx = markers(tx, t, next.id, Some(&current.fields), Some(&next.fields))?;
    let tx = search_index::write(tx, t, CONTACT, next.id, &current.fields.terms(), &next.fields.terms())?;
    match app.store.transact(tx).await {
        Ok(()) => Ok(next),
        Err(e) => match conflict_label(&e) {
            Some("contact") => Err(AppError::PreconditionFailed),
            Some(label) => Err(match super::custom_conflict(label) {
                Some(c) => c,
                None => duplicate(app, t, label).await,
            }),
            None => Err(e.into()),
        },
    }
}

/// A live contact the caller may change, at the version `If-Match` names.
pub(crate) async fn load_for_change(app: &App, call: &Call) -> Result<Contact, AppError> {
    let current = live(load(app, call).await?)?;
    super::require_edit(call.principal()?, current.fields.owner_user_id)?;
    if call.if_match()?.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    Ok(current)
}

/// The channel `{channelId}` of `c`, or `404`.
pub(crate) fn channel_of<'a>(call: &Call, c: &'a Contact) -> Result<&'a crate::channel::ContactChannel, AppError> {
    let id = EntityId::parse(&call.path("channelId")?).map_err(|_| AppError::NotFound)?;
    c.fields.channels.iter().find(|ch| ch.id == id).ok_or(AppError::NotFound)
}

pub(crate) fn conflict_label(e: &StoreError) -> Option<&str> {
    match e {
        StoreError::ConditionFailed { label } => Some(label.as_str()),
        _ => None,
    }
}
