//! The contacts application layer: what the contact routes, the import
//! worker and the merge share — the address markers that keep two contacts
//! from holding one address, the versioned save, the public view.
//!
//! * [`list`]: the list's filters and one page of contacts (the list route,
//!   segments and exports).

pub mod list;

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

/// A contact that can still change (a merged one is a tombstone: 409).
pub fn live(c: Contact) -> Result<Contact, AppError> {
    match c.merged_into_id {
        Some(into) => Err(AppError::Conflict(format!("this contact was merged into {into}"))),
        None => Ok(c),
    }
}

pub fn subject(c: &Contact) -> crm_events::Subject {
    crm_events::Subject { kind: "contact".into(), id: c.id.to_string() }
}

/// What the API shows of a contact to `reader`: the contact and its full
/// name, without the email addresses or phone numbers they may not read
/// (`contact.email.read`, `contact.phone.read`; [`crm_auth::sensitive`]).
pub fn public(c: &Contact, reader: &crm_auth::Principal) -> ContactReply {
    crm_auth::sensitive::Redacted::for_reader(ContactView { contact: c.clone(), full_name: c.fields.full_name() }, reader)
}

/// A contact as one reader may see it (the replies' `data`).
pub type ContactReply = crm_auth::sensitive::Redacted<ContactView>;

impl crm_auth::sensitive::Sensitivity for ContactView {
    const SENSITIVE: &'static [crm_auth::sensitive::Sensitive] = crm_auth::sensitive::CONTACT;
}

/// A contact as the API shows it.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ContactView {
    #[serde(flatten)]
    pub contact: Contact,
    /// `first_name` and `last_name`.
    pub full_name: String,
}

/// The company must be one of the tenant's.
pub async fn check_company(app: &App, t: TenantId, company: Option<EntityId>) -> Result<(), AppError> {
    if let Some(c) = company {
        app.store.get(&Company::key(t, c)).await?.ok_or_else(|| AppError::invalid("company_id", "is not a company of this tenant"))?;
    }
    Ok(())
}

/// Moves the duplicate markers from `old` to `new` in `tx`: an address
/// the contact gains is claimed with `attribute_not_exists` (label
/// `marker:{family}:{value}`), one it lost is released.
pub fn markers(mut tx: Tx, t: TenantId, id: EntityId, old: Option<&ContactFields>, new: Option<&ContactFields>) -> Result<Tx, AppError> {
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
pub async fn duplicate(app: &App, t: TenantId, label: &str) -> AppError {
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
pub async fn save(
    app: &App,
    call: &Call,
    current: &Contact,
    fields: ContactFields,
    kind: crm_events::EventType,
    data: Value,
    tx: Tx,
) -> Result<Contact, AppError> {
    let t = current.tenant_id;
    let next = Contact { fields, updated_at: Timestamp::now(), version: current.version + 1, ..current.clone() };
    let event = crm_events::DomainEvent::caused_by(call, kind, subject(&next), data)?;
    let tx = tx.put_if("contact", next.to_item()?, Condition::version_is(current.version)).emit_audited(&event);
    let tx = markers(tx, t, next.id, Some(&current.fields), Some(&next.fields))?;
    let tx = search_index::write(tx, t, CONTACT, next.id, &current.fields.terms(), &next.fields.terms())?;
    match app.store.transact(tx).await {
        Ok(()) => Ok(next),
        Err(e) => match conflict_label(&e) {
            Some("contact") => Err(AppError::PreconditionFailed),
            Some(label) => Err(match crm_records::write::custom_conflict(label) {
                Some(c) => c,
                None => duplicate(app, t, label).await,
            }),
            None => Err(e.into()),
        },
    }
}

pub fn conflict_label(e: &StoreError) -> Option<&str> {
    match e {
        StoreError::ConditionFailed { label } => Some(label.as_str()),
        _ => None,
    }
}
