//! Contacts as an import kind ([`crm_jobs::engine`]): columns as
//! `POST /v1/contacts` takes them; the job's creator owns rows that name
//! no owner; a named company must be the tenant's; no two contacts share an
//! email or phone (the address markers decide, as for the API).

use std::collections::{BTreeSet, HashMap};

use crm_kernel::{AppError, EntityId, FieldError, Timestamp};
use crm_store::item::ItemExt;
use crm_store::{keys, Key, Tx};
use serde_json::Value;

use crate::channel::{self, ChannelType};
use crate::company::Company;
use crate::contact::{Contact, ContactFields, CONTACT};
use crate::custom_fields::{self, Definition};
use crate::{search_index, App};
use crm_jobs::engine::{ChunkOutcome, ImportRow, Verdict};
use crm_jobs::job::{Duplicate, Job};

/// The contacts kind of import.
pub struct ContactRows;

/// The report's name for an address family.
fn reason(family: &str) -> &'static str {
    if family == ChannelType::Email.marker() {
        "email"
    } else {
        "phone"
    }
}

fn duplicate(row: u32, family: &str, value: String, holder: Option<String>) -> Duplicate {
    Duplicate { contact_id: holder, ..Duplicate::earlier_row(row, reason(family), &value) }
}

impl ImportRow for ContactRows {
    type Fields = ContactFields;
    type Record = Contact;
    type Ctx = App;
    const COLUMNS: &'static [&'static str] = crate::csv_rows::IMPORT_COLUMNS;
    const REQUIRED: &'static [&'static str] = &["first_name"];
    const ENTITY: &'static str = "contact";
    const LIMIT: &'static str = "contacts.max";
    const COUNTER: &'static str = "contacts_used";

    fn parse(body: &Value) -> Result<ContactFields, AppError> {
        ContactFields::apply(&ContactFields::blank(), crm_kernel::fields::from_value(body.clone())?)
    }

    fn with_custom(f: ContactFields, values: custom_fields::Values) -> ContactFields {
        ContactFields { custom_fields: values, ..f }
    }

    fn custom(f: &ContactFields) -> &custom_fields::Values {
        &f.custom_fields
    }

    fn prepare(job: &Job, mut f: ContactFields) -> ContactFields {
        f.owner_user_id = f.owner_user_id.or(Some(job.created_by));
        f
    }

    fn identities(f: &ContactFields) -> Vec<(&'static str, String)> {
        channel::addresses(f).into_iter().map(|(family, value)| (reason(family), value)).collect()
    }

    async fn check_references(app: &App, job: &Job, rows: &[(u32, ContactFields)]) -> Result<Vec<(u32, FieldError)>, AppError> {
        let t = job.tenant_id;
        let named: Vec<EntityId> = rows.iter().filter_map(|(_, f)| f.company_id).collect::<BTreeSet<_>>().into_iter().collect();
        let mut known = BTreeSet::new();
        for part in named.chunks(100) {
            let found = app.store.get_many(&part.iter().map(|c| Company::key(t, *c)).collect::<Vec<_>>()).await?;
            known.extend(part.iter().zip(found).filter(|(_, f)| f.is_some()).map(|(c, _)| *c));
        }
        Ok(rows
            .iter()
            .filter(|(_, f)| f.company_id.is_some_and(|c| !known.contains(&c)))
            .map(|(row, _)| (*row, FieldError::new("company_id", "is not a company of this tenant")))
            .collect())
    }

    /// The contacts holding the rows' addresses: one read of the address markers.
    async fn holders(app: &App, job: &Job, rows: &[(u32, ContactFields)]) -> Result<HashMap<u32, Duplicate>, AppError> {
        let t = job.tenant_id;
        let wanted: Vec<Key> =
            rows.iter().flat_map(|(_, f)| channel::addresses(f)).map(|(family, value)| keys::unique(t, family, &value)).collect();
        let mut held: HashMap<Key, String> = HashMap::new();
        for part in wanted.chunks(100) {
            for (k, it) in part.iter().zip(app.store.get_many(part).await?) {
                if let Some(it) = it {
                    held.insert(k.clone(), it.str_attr("contact_id").unwrap_or_default().to_string());
                }
            }
        }
        let mut out = HashMap::new();
        for (row, f) in rows {
            let holder = channel::addresses(f)
                .into_iter()
                .find_map(|(family, value)| held.get(&keys::unique(t, family, &value)).map(|h| (family, value, h.clone())));
            if let Some((family, value, holder)) = holder {
                out.insert(*row, duplicate(*row, family, value, Some(holder)));
            }
        }
        Ok(out)
    }

    async fn build(
        _app: &App,
        job: &Job,
        rows: Vec<(u32, ContactFields)>,
        _out: &mut ChunkOutcome,
    ) -> Result<Vec<(u32, Contact)>, AppError> {
        let now = Timestamp::now();
        Ok(rows.into_iter().map(|(row, f)| (row, Contact::new(EntityId::new(), job.tenant_id, f, job.created_by, now))).collect())
    }

    fn id(c: &Contact) -> (&'static str, EntityId) {
        ("contact_id", c.id)
    }

    fn items(job: &Job, defs: &[Definition], c: &Contact, tx: Tx) -> Result<Tx, AppError> {
        let tx = tx.put_new("contact", c.to_item()?);
        let tx = crate::contacts::markers(tx, job.tenant_id, c.id, None, Some(&c.fields))?;
        let tx = crm_records::write::unique_values(tx, Self::ENTITY, defs, &Default::default(), &c.fields.custom_fields)?;
        search_index::write(tx, job.tenant_id, CONTACT, c.id, &[], &c.fields.terms())
    }

    /// An address marker another contact took meanwhile: a duplicate, with its holder.
    async fn refused(app: &App, job: &Job, row: u32, _contact: &Contact, label: &str) -> Result<Verdict, AppError> {
        let (family, value) = label.trim_start_matches("marker:").split_once(':').unwrap_or(("", ""));
        let holder =
            app.store.get(&keys::unique(job.tenant_id, family, value)).await?.and_then(|it| it.str_attr("contact_id").map(str::to_string));
        Ok(Verdict::Duplicate(duplicate(row, family, value.to_string(), holder)))
    }
}
