//! Contacts: `POST|GET /v1/contacts`, `GET|PATCH|DELETE /v1/contacts/{id}`.

pub mod dedupe_check_post;
pub mod delete;
pub mod get;
pub mod id_get;
pub mod merge_post;
pub mod patch;
pub mod post;

use crm_http::Call;
use crm_kernel::{AppError, EntityId, TenantId};
use crm_store::item::ItemExt;
use crm_store::{item, StoreError, Tx};
use serde_json::{json, Value};

use crate::company::Company;
use crate::contact::{Contact, ContactFields};
use crate::App;

pub(crate) const EMAIL_MARKER: &str = "email_marker";
pub(crate) const PHONE_MARKER: &str = "phone_marker";

pub(crate) async fn load(app: &App, call: &Call) -> Result<Contact, AppError> {
    let t = call.principal()?.tenant_id;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    app.store.get_as(&Contact::key(t, id)).await?.ok_or(AppError::NotFound)
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

/// Moves the duplicate markers from `old` to `new` in `tx`: a new email or
/// phone is claimed with `attribute_not_exists`, a dropped one released.
pub(crate) fn markers(
    mut tx: Tx,
    t: TenantId,
    id: EntityId,
    old: Option<&ContactFields>,
    new: Option<&ContactFields>,
) -> Result<Tx, AppError> {
    let claim = json!({ "contact_id": id });
    let (old_email, new_email) = (old.and_then(|f| f.email.as_ref()), new.and_then(|f| f.email.as_ref()));
    if old_email != new_email {
        if let Some(e) = old_email {
            tx = tx.delete("email_release", &Contact::email_marker(t, e), None);
        }
        if let Some(e) = new_email {
            tx = tx.put_new(EMAIL_MARKER, item::to_item(&Contact::email_marker(t, e), &claim)?);
        }
    }
    let (old_phone, new_phone) = (old.and_then(|f| f.phone.as_ref()), new.and_then(|f| f.phone.as_ref()));
    if old_phone != new_phone {
        if let Some(p) = old_phone {
            tx = tx.delete("phone_release", &Contact::phone_marker(t, p), None);
        }
        if let Some(p) = new_phone {
            tx = tx.put_new(PHONE_MARKER, item::to_item(&Contact::phone_marker(t, p), &claim)?);
        }
    }
    Ok(tx)
}

/// Turns a lost marker into `409` naming the contact that holds the address.
pub(crate) async fn duplicate(app: &App, t: TenantId, fields: &ContactFields, label: &str) -> AppError {
    let (key, what) = match (label, &fields.email, &fields.phone) {
        (EMAIL_MARKER, Some(e), _) => (Contact::email_marker(t, e), "email"),
        (PHONE_MARKER, _, Some(p)) => (Contact::phone_marker(t, p), "phone"),
        _ => return AppError::Conflict("the contact changed meanwhile; retry".into()),
    };
    let holder = app.store.get(&key).await.ok().flatten().and_then(|it| it.str_attr("contact_id").map(str::to_string));
    AppError::Conflict(format!("a contact with this {what} exists: {}", holder.unwrap_or_else(|| "?".into())))
}

pub(crate) fn conflict_label(e: &StoreError) -> Option<&str> {
    match e {
        StoreError::ConditionFailed { label } => Some(label.as_str()),
        _ => None,
    }
}
