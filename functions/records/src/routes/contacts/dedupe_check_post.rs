//! `POST /v1/contacts/dedupe/check` — before creating (or to review), the
//! contacts a person may already be: `blocking` ones hold the same email
//! or E.164 phone (a create would be `409`); `suggestions` are soft
//! matches (suggestions, never blocking): the same name at the same company, or the same
//! name with a phone ending in the same six digits.
//! Body: `{first_name?, last_name?, email?, phone?, company_id?}`.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Limit};
use crm_store::item::ItemExt;
use serde_json::{json, Value};

use crate::contact::{Contact, ContactFields, CONTACT};
use crate::{search_index, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let principal = call.principal()?;
    let t = principal.tenant_id;
    let body: Value = call.json()?;
    if !body.is_object() {
        return Err(AppError::invalid("body", "must be a JSON object"));
    }
    let mut probe = body.clone();
    if probe.get("first_name").is_none() {
        probe["first_name"] = json!("?");
    }
    let f = ContactFields::apply(&ContactFields::blank(), &probe)?;
    let mut blocking = Vec::new();
    let mut markers = Vec::new();
    if let Some(e) = &f.email {
        markers.push(("email", Contact::email_marker(t, e)));
    }
    if let Some(p) = &f.phone {
        markers.push(("phone", Contact::phone_marker(t, p)));
    }
    for (reason, key) in markers {
        if let Some(id) = app.store.get(&key).await?.and_then(|it| it.str_attr("contact_id").map(str::to_string)) {
            blocking.push(json!({ "contact_id": id, "reason": reason }));
        }
    }
    let mut suggestions = Vec::new();
    let name = [body.get("first_name").and_then(Value::as_str), body.get("last_name").and_then(Value::as_str)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if !name.trim().is_empty() {
        let (found, words, _) =
            search_index::search::<Contact>(&app.store, t, CONTACT, &name, Limit::max(), None, |id| Contact::key(t, id)).await?;
        let owners = crm_auth::audience::owners(&app.store, principal).await?;
        let found =
            found.into_iter().filter(|c| crm_auth::audience::listed(principal, owners.as_ref(), c.fields.owner_user_id, c.fields.private));
        let tail = |p: &crm_kernel::Phone| p.as_str().chars().rev().take(6).collect::<String>();
        for c in found.filter(|c| c.merged_into_id.is_none() && search_index::matches(&c.fields.terms(), &words)) {
            let id: EntityId = c.id;
            if blocking.iter().any(|b| b["contact_id"] == id.to_string()) {
                continue;
            }
            if f.company_id.is_some() && c.fields.company_id == f.company_id {
                suggestions.push(json!({ "contact_id": id, "full_name": c.fields.full_name(), "reason": "name_company", "score": 0.8 }));
            } else if let (Some(a), Some(b)) = (&f.phone, &c.fields.phone) {
                if tail(a) == tail(b) {
                    suggestions.push(json!({ "contact_id": id, "full_name": c.fields.full_name(), "reason": "name_phone", "score": 0.6 }));
                }
            }
        }
    }
    Ok(Reply::ok(json!({ "blocking": blocking, "suggestions": suggestions })))
}
