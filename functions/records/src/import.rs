//! The contacts import, one chunk of rows at a time (the spec: "basic CSV
//! import with validation"; issue 5: 10 000 rows, no timeouts, no partial
//! duplicates on retry).
//!
//! A chunk of [`CHUNK`] rows is judged before anything is written: rows that
//! do not parse are row errors; an address that another contact holds, or
//! an earlier row of the same chunk, is a duplicate (skipped and reported
//! with the holder); one read (`BatchGetItem`) answers both that and "did
//! an earlier attempt already import this row?" — every imported row leaves
//! a marker `UNIQUE#IMPORTROW#{job}#{row}` in its contact's own transaction.
//! The rest are written several contacts per transaction (their markers,
//! search terms and places in `contacts.max` included); if such a
//! transaction is refused (a race with another writer), its rows are
//! written one by one so each gets its own verdict. A worker that dies
//! mid-chunk is retried from the job's last checkpoint: rows it had written
//! find their marker and count as created, exactly once.

use std::collections::{BTreeSet, HashMap};

use crm_kernel::{AppError, EntityId, Timestamp};
use crm_store::item::ItemExt;
use crm_store::{item, keys, usage, Key, StoreError, Tx};
use serde_json::json;

use crate::channel::{self, ChannelType};
use crate::company::Company;
use crate::contact::{Contact, ContactFields, CONTACT};
use crate::custom_fields::Definition;
use crate::job::{Counts, Duplicate, Job, RowError};
use crate::{search_index, App};

/// Rows judged together (one read of their markers).
pub const CHUNK: usize = 100;
/// Items per write transaction (DynamoDB allows 100).
const MAX_ITEMS: usize = 90;

/// What one chunk came to.
#[derive(Debug, Default)]
pub struct ChunkOutcome {
    pub counts: Counts,
    pub errors: Vec<RowError>,
    pub duplicates: Vec<Duplicate>,
}

impl ChunkOutcome {
    /// Counts `row` as failed, for `errors` (fields joined, messages `field: message`).
    pub fn reject(&mut self, row: u32, errors: &[crm_kernel::FieldError]) {
        self.counts.failed += 1;
        let field = errors.iter().map(|e| e.field.clone()).collect::<Vec<_>>().join(",");
        let message = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
        self.errors.push(RowError { row, field, message });
    }
}

/// Whole records' writes bundled under the transaction item limit, room
/// left in each bundle for its one quota update; each bundle with the
/// records it holds, for writing them one by one if it is refused.
pub(crate) fn bundles<T>(built: Vec<(T, Tx)>) -> Vec<(Vec<T>, Tx)> {
    let mut out: Vec<(Vec<T>, Tx)> = Vec::new();
    for (record, tx) in built {
        match out.last_mut() {
            Some((records, bundle)) if bundle.len() + tx.len() < MAX_ITEMS => {
                records.push(record);
                *bundle = std::mem::take(bundle).merge(tx);
            }
            _ => out.push((vec![record], tx)),
        }
    }
    out
}

/// The marker an imported row leaves in its record's transaction (any import: contacts, leads).
pub(crate) fn row_marker(job: &Job, row: u32) -> Key {
    keys::unique(job.tenant_id, "IMPORTROW", &format!("{}#{row}", job.id))
}

fn reason(family: &str) -> &'static str {
    if family == ChannelType::Email.marker() {
        "email"
    } else {
        "phone"
    }
}

/// Judges and (unless a dry run) writes one chunk of parsed rows.
pub async fn chunk(
    app: &App,
    job: &Job,
    defs: &[Definition],
    rows: Vec<(u32, Result<ContactFields, Vec<crm_kernel::FieldError>>)>,
) -> Result<ChunkOutcome, AppError> {
    let t = job.tenant_id;
    let mut out = ChunkOutcome::default();
    out.counts.processed = rows.len() as u32;
    let mut valid = Vec::new();
    for (row, parsed) in rows {
        match parsed {
            Ok(mut f) => {
                f.owner_user_id = f.owner_user_id.or(Some(job.created_by));
                valid.push((row, f));
            }
            Err(errors) => out.reject(row, &errors),
        }
    }
    // Companies named by the chunk must be the tenant's.
    let companies: Vec<EntityId> = valid.iter().filter_map(|(_, f)| f.company_id).collect::<BTreeSet<_>>().into_iter().collect();
    let mut known = BTreeSet::new();
    for part in companies.chunks(100) {
        let found = app.store.get_many(&part.iter().map(|c| Company::key(t, *c)).collect::<Vec<_>>()).await?;
        known.extend(part.iter().zip(found).filter(|(_, f)| f.is_some()).map(|(c, _)| *c));
    }
    valid.retain(|(row, f)| match f.company_id {
        Some(c) if !known.contains(&c) => {
            out.reject(*row, &[crm_kernel::FieldError::new("company_id", "is not a company of this tenant")]);
            false
        }
        _ => true,
    });
    // Duplicates inside the chunk: the first row keeps the address.
    let mut seen: HashMap<(&'static str, String), u32> = HashMap::new();
    let mut unique_seen: std::collections::HashSet<Key> = Default::default();
    let mut candidates = Vec::new();
    for (row, f) in valid {
        // A unique custom value an earlier row of the chunk took.
        let unique: Vec<(String, Key)> = defs
            .iter()
            .filter(|d| d.unique)
            .filter_map(|d| f.custom_fields.get(&d.code).map(|v| (d.code.clone(), d.value_key(v))))
            .collect();
        if let Some((code, _)) = unique.iter().find(|(_, k)| unique_seen.contains(k)) {
            out.counts.failed += 1;
            out.errors.push(RowError {
                row,
                field: format!("custom_fields.{code}"),
                message: format!("custom_fields.{code}: an earlier row of the file has this value"),
            });
            continue;
        }
        let dup = channel::addresses(&f).into_iter().find_map(|a| seen.get(&a).map(|_| a.clone()));
        match dup {
            Some((family, value)) => {
                out.counts.duplicates += 1;
                out.duplicates.push(Duplicate {
                    row,
                    reason: reason(family).into(),
                    value,
                    contact_id: None,
                    lead_id: None,
                    imported: false,
                });
            }
            None => {
                for a in channel::addresses(&f) {
                    seen.insert(a, row);
                }
                unique_seen.extend(unique.into_iter().map(|(_, k)| k));
                candidates.push((row, f));
            }
        }
    }
    // One read: rows an earlier attempt imported, and addresses other contacts hold.
    let mut wanted: Vec<Key> = candidates.iter().map(|(row, _)| row_marker(job, *row)).collect();
    for (_, f) in &candidates {
        wanted.extend(channel::addresses(f).into_iter().map(|(family, value)| keys::unique(t, family, &value)));
    }
    let mut held: HashMap<Key, String> = HashMap::new();
    for part in wanted.chunks(100) {
        let found = app.store.get_many(part).await?;
        for (k, it) in part.iter().zip(found) {
            if let Some(it) = it {
                held.insert(k.clone(), it.str_attr("contact_id").unwrap_or_default().to_string());
            }
        }
    }
    let mut to_write = Vec::new();
    for (row, f) in candidates {
        if held.contains_key(&row_marker(job, row)) {
            out.counts.created += 1;
            continue;
        }
        let holder = channel::addresses(&f)
            .into_iter()
            .find_map(|(family, value)| held.get(&keys::unique(t, family, &value)).map(|holder| (family, value, holder.clone())));
        match holder {
            Some((family, value, holder)) => {
                out.counts.duplicates += 1;
                out.duplicates.push(Duplicate {
                    row,
                    reason: reason(family).into(),
                    value,
                    contact_id: Some(holder),
                    lead_id: None,
                    imported: false,
                });
            }
            None => to_write.push((row, f)),
        }
    }
    if !job.dry_run {
        write(app, job, defs, to_write, &mut out).await?;
    } else {
        out.counts.created += to_write.len() as u32;
    }
    out.errors.sort_by_key(|e| e.row);
    out.duplicates.sort_by_key(|d| d.row);
    Ok(out)
}

/// The items of one imported contact: its row marker first (so a retry's
/// refusal names it), the contact, its address markers and search terms.
fn contact_tx(job: &Job, defs: &[Definition], row: u32, fields: ContactFields, now: Timestamp) -> Result<Tx, AppError> {
    let contact = Contact {
        id: EntityId::new(),
        tenant_id: job.tenant_id,
        fields,
        created_by: job.created_by,
        created_at: now,
        updated_at: now,
        merged_into_id: None,
        version: 1,
    };
    let tx = Tx::new()
        .put_new("import_row", item::to_item(&row_marker(job, row), &json!({ "contact_id": contact.id, "job_id": job.id }))?)
        .put_new("contact", contact.to_item()?);
    let tx = crate::contacts::markers(tx, job.tenant_id, contact.id, None, Some(&contact.fields))?;
    let tx = crm_records::write::unique_values(tx, "contact", defs, &Default::default(), &contact.fields.custom_fields)?;
    search_index::write(tx, job.tenant_id, CONTACT, contact.id, &[], &contact.fields.terms())
}

async fn write(app: &App, job: &Job, defs: &[Definition], rows: Vec<(u32, ContactFields)>, out: &mut ChunkOutcome) -> Result<(), AppError> {
    let now = Timestamp::now();
    let max = app_limit(job);
    let mut built = Vec::new();
    for (row, f) in rows {
        let tx = contact_tx(job, defs, row, f.clone(), now)?;
        built.push(((row, f), tx));
    }
    for (singles, tx) in bundles(built) {
        let n = singles.len() as i64;
        let tx = usage::take_n(tx, "contacts.max", job.tenant_id, "contacts_used", n, max);
        match app.store.transact(tx).await {
            Ok(()) => out.counts.created += n as u32,
            Err(StoreError::ConditionFailed { .. }) => {
                for (row, f) in singles {
                    one(app, job, defs, row, f, max, out).await?;
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// One row on its own, with its own verdict.
async fn one(
    app: &App,
    job: &Job,
    defs: &[Definition],
    row: u32,
    f: ContactFields,
    max: i64,
    out: &mut ChunkOutcome,
) -> Result<(), AppError> {
    let tx = contact_tx(job, defs, row, f, Timestamp::now())?;
    let tx = usage::take(tx, "contacts.max", job.tenant_id, "contacts_used", max);
    match app.store.transact(tx).await {
        Ok(()) => out.counts.created += 1,
        Err(StoreError::ConditionFailed { label }) if label == "import_row" => out.counts.created += 1,
        Err(StoreError::ConditionFailed { label }) if label == "contacts.max" => {
            out.counts.failed += 1;
            out.errors.push(RowError { row, field: "contacts.max".into(), message: format!("the plan's contacts.max ({max}) is reached") });
        }
        Err(StoreError::ConditionFailed { label }) if label.starts_with("custom_unique:") => {
            let code = label.trim_start_matches("custom_unique:");
            out.counts.failed += 1;
            out.errors.push(RowError {
                row,
                field: format!("custom_fields.{code}"),
                message: format!("custom_fields.{code}: another record has this value"),
            });
        }
        Err(StoreError::ConditionFailed { label }) => {
            let (family, value) = label.trim_start_matches("marker:").split_once(':').unwrap_or(("", ""));
            let holder = app
                .store
                .get(&keys::unique(job.tenant_id, family, value))
                .await?
                .and_then(|it| it.str_attr("contact_id").map(str::to_string));
            out.counts.duplicates += 1;
            out.duplicates.push(Duplicate {
                row,
                reason: reason(family).into(),
                value: value.to_string(),
                contact_id: holder,
                lead_id: None,
                imported: false,
            });
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// The job's `contacts.max`, as its creator's entitlements stood when it was created.
fn app_limit(job: &Job) -> i64 {
    job.contacts_max.unwrap_or(0)
}
