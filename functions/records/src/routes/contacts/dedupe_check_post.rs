//! `POST /v1/contacts/dedupe/check` — before creating (or to review), the
//! contacts a person may already be: `blocking` ones hold the same email
//! or E.164 phone (a create would be `409`); `suggestions` are soft
//! matches (suggestions, never blocking): the same name at the same company, or the same
//! name with a phone ending in the same six digits.
//! Body: `{first_name?, last_name?, email?, phone?, company_id?}`.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Limit};
use crm_store::item::ItemExt;

use crate::contact::{Contact, ContactChanges, ContactFields, CONTACT};
use crate::{search_index, App};
use crm_kernel::fields::Input;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let principal = call.principal()?;
    let t = principal.tenant_id;
    let mut probe: ContactChanges = call.json()?;
    let name = [probe.first_name.as_ref().given(), probe.last_name.as_ref().given()]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ");
    if !probe.first_name.is_present() {
        probe.first_name = Input::Given("?".into());
    }
    let f = ContactFields::apply(&ContactFields::blank(), probe)?;
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
            blocking.push(Blocking { contact_id: id, reason });
        }
    }
    let mut suggestions = Vec::new();
    if !name.trim().is_empty() {
        let (found, words, _) =
            search_index::search::<Contact>(&app.store, t, CONTACT, &name, Limit::max(), None, |id| Contact::key(t, id)).await?;
        let owners = crm_auth::audience::owners(&app.store, principal).await?;
        let found =
            found.into_iter().filter(|c| crm_auth::audience::listed(principal, owners.as_ref(), c.fields.owner_user_id, c.fields.private));
        let tail = |p: &crm_kernel::Phone| p.as_str().chars().rev().take(6).collect::<String>();
        for c in found.filter(|c| c.merged_into_id.is_none() && search_index::matches(&c.fields.terms(), &words)) {
            let id: EntityId = c.id;
            if blocking.iter().any(|b| b.contact_id == id.to_string()) {
                continue;
            }
            if f.company_id.is_some() && c.fields.company_id == f.company_id {
                suggestions.push(Suggestion {
                    contact_id: id.to_string(),
                    full_name: c.fields.full_name(),
                    reason: "name_company",
                    score: 0.8,
                });
            } else if let (Some(a), Some(b)) = (&f.phone, &c.fields.phone) {
                if tail(a) == tail(b) {
                    suggestions.push(Suggestion {
                        contact_id: id.to_string(),
                        full_name: c.fields.full_name(),
                        reason: "name_phone",
                        score: 0.6,
                    });
                }
            }
        }
    }
    Ok(Reply::ok(Matches { blocking, suggestions }))
}

/// The contacts a person may already be.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Matches {
    /// Same email or phone: a create would be `409`.
    pub blocking: Vec<Blocking>,
    /// Soft matches, never blocking.
    pub suggestions: Vec<Suggestion>,
}

/// A contact holding the same address.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Blocking {
    pub contact_id: String,
    /// `email` or `phone`.
    pub reason: &'static str,
}

/// A contact that may be the same person.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Suggestion {
    pub contact_id: String,
    pub full_name: String,
    /// `name_company` or `name_phone`.
    pub reason: &'static str,
    /// 0 to 1.
    pub score: f64,
}
