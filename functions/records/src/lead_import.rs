//! The leads import (the spec: "CSV import with preview"; ADR 0012), on the same
//! job machinery as contacts ([`crate::jobs`]): one chunk of rows at a time.
//!
//! Columns: `first_name`, `last_name`, `email`, `phone`, `company_name`,
//! `job_title`, `country`, `source` (default `import`), `status`,
//! `owner_user_id`, `message`, and `custom.{code}`; each row parses as a
//! `POST /v1/leads` body would.
//!
//! Per chunk: rows that do not parse are row errors; a row whose email an
//! earlier lead (or an earlier row) has is a duplicate and skipped; a row
//! matching a contact or company is imported and listed with the match
//! (`imported: true`), the lead keeping it in its `duplicates`. Owners come
//! from the row, else the assignment rules (round-robin tickets taken for
//! the whole chunk at once); rows are scored when the plan has
//! `leads.scoring`. Writes go several leads per transaction with their
//! `leads.max` places and a row marker each, so a retried chunk never
//! imports a row twice. A dry run writes nothing: the preview.

use std::collections::HashSet;

use crm_kernel::{AppError, EntityId, FieldError, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, usage, Index, Query, StoreError, Tx};
use serde_json::{json, Map, Value};

use crate::custom_fields::{self, Definition};
use crate::import::ChunkOutcome;
use crate::job::{Duplicate, Job, RowError};
use crate::lead::{Lead, LeadFields, LEAD};
use crate::lead_rules::{Assignment, Pick, Scoring};
use crate::{search_index, App};

pub const COLUMNS: &[&str] =
    &["first_name", "last_name", "email", "phone", "company_name", "job_title", "country", "source", "status", "owner_user_id", "message"];

/// The normalised header, or `400` naming every unknown column.
pub fn header(record: &csv::StringRecord, defs: &[Definition]) -> Result<Vec<String>, AppError> {
    crate::csv_rows::header_of(record, defs, COLUMNS)
}

/// One data row as lead fields, or its problems.
pub fn row(columns: &[String], defs: &[Definition], record: &csv::StringRecord) -> Result<LeadFields, Vec<FieldError>> {
    let (mut body, mut custom) = (Map::new(), custom_fields::Values::new());
    for (c, v) in columns.iter().zip(record.iter()) {
        let v = crm_kernel::spreadsheet::restore(v.trim());
        if v.is_empty() {
            continue;
        }
        match c.strip_prefix(crate::csv_rows::CUSTOM).and_then(|code| defs.iter().find(|d| d.code == code)) {
            Some(d) => {
                custom.insert(d.code.clone(), d.from_cell(v));
            }
            None => {
                body.insert(c.clone(), Value::String(v.to_string()));
            }
        }
    }
    let fields = LeadFields::apply(&LeadFields::blank("import"), &Value::Object(body)).map_err(|e| e.details().to_vec());
    let values = custom_fields::check(defs, &Default::default(), &custom).map_err(|e| e.details().to_vec());
    match (fields, values) {
        (Ok(f), Ok(v)) => Ok(LeadFields { custom_fields: v, ..f }),
        (f, v) => Err(f.err().into_iter().chain(v.err()).flatten().collect()),
    }
}

/// The id of a lead with `email`, if any (one key-condition query).
async fn lead_with_email(app: &App, t: crm_kernel::TenantId, email: Option<&crm_kernel::Email>) -> Result<Option<String>, StoreError> {
    let Some(e) = email else { return Ok(None) };
    let q = Query::index(t, Index::ByLookup, Lead::email_pk(t, e)).limit(crm_kernel::Limit::parse(Some("1")).expect("1 is a limit"));
    Ok(app.store.query(q).await?.items.first().and_then(|i| i.str_attr("id").map(str::to_string)))
}

/// Judges and (unless a dry run) writes one chunk of parsed rows.
pub async fn chunk(
    app: &App,
    job: &Job,
    defs: &[Definition],
    rows: Vec<(u32, Result<LeadFields, Vec<FieldError>>)>,
) -> Result<ChunkOutcome, AppError> {
    let t = job.tenant_id;
    let mut out = ChunkOutcome::default();
    out.counts.processed = rows.len() as u32;
    let mut valid = Vec::new();
    for (row, parsed) in rows {
        match parsed {
            Ok(f) => valid.push((row, f)),
            Err(errors) => out.reject(row, &errors),
        }
    }
    // Owners a row names must be the tenant's users.
    let named: Vec<UserId> =
        valid.iter().filter_map(|(_, f)| f.owner_user_id).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let found = crm_directory::get_many(&app.store, t, &named).await?;
    let users: HashSet<UserId> = found.into_iter().flatten().map(|u| u.id).collect();
    valid.retain(|(row, f)| match f.owner_user_id {
        Some(u) if !users.contains(&u) => {
            out.reject(*row, &[FieldError::new("owner_user_id", "is not a user of this tenant")]);
            false
        }
        _ => true,
    });
    // Rows an earlier attempt wrote, and emails earlier leads (or rows) hold.
    let done = app.store.get_many(&valid.iter().map(|(row, _)| crate::import::row_marker(job, *row)).collect::<Vec<_>>()).await?;
    let emails: Vec<Option<crm_kernel::Email>> = valid.iter().map(|(_, f)| f.email.clone()).collect();
    let mut held = Vec::new();
    for part in emails.chunks(16) {
        held.extend(futures::future::try_join_all(part.iter().map(|e| lead_with_email(app, t, e.as_ref()))).await?);
    }
    let mut seen = HashSet::new();
    let mut candidates = Vec::new();
    for (((row, f), done), holder) in valid.into_iter().zip(done).zip(held) {
        if done.is_some() {
            out.counts.created += 1;
            continue;
        }
        let email = f.email.as_ref().map(|e| e.as_str().to_string());
        if holder.is_some() || email.as_ref().is_some_and(|e| !seen.insert(e.clone())) {
            out.counts.duplicates += 1;
            out.duplicates.push(Duplicate {
                row,
                reason: "email".into(),
                value: email.unwrap_or_default(),
                contact_id: None,
                lead_id: holder,
                imported: false,
            });
            continue;
        }
        candidates.push((row, f));
    }
    // Owners by the rules: round-robin tickets for the chunk at once.
    let (scoring, assignment): (Scoring, Assignment) = crate::leads::rules(&app.store, t).await?;
    let turns = candidates.iter().filter(|(_, f)| f.owner_user_id.is_none() && assignment.pick(f) == Pick::RoundRobin).count() as i64;
    let mut ticket = if turns > 0 && !job.dry_run {
        let far = Timestamp::now().unix_seconds() + 10 * 365 * 86_400;
        app.store.increment(&Assignment::ticket_key(t), "n", turns, far).await? - turns
    } else {
        0
    };
    let now = Timestamp::now();
    let mut leads = Vec::new();
    for (row, mut f) in candidates {
        let mut assigned_by = f.owner_user_id.map(|_| "manual".to_string());
        if f.owner_user_id.is_none() {
            match assignment.pick(&f) {
                Pick::Rule(i, u) => (f.owner_user_id, assigned_by) = (Some(u), Some(format!("rule:{i}"))),
                Pick::RoundRobin => {
                    ticket += 1;
                    (f.owner_user_id, assigned_by) = (assignment.turn(ticket), Some("round_robin".into()));
                }
                Pick::Nobody => {}
            }
        }
        let (score, score_parts) = if job.leads_scoring { scoring.score(&f) } else { (0, Vec::new()) };
        let duplicates = crate::leads::duplicates(&app.store, t, &f).await?;
        for d in duplicates.iter().filter(|d| d.kind == "contact") {
            out.duplicates.push(Duplicate {
                row,
                reason: d.reason.clone(),
                value: d.id.clone(),
                contact_id: Some(d.id.clone()),
                lead_id: None,
                imported: true,
            });
        }
        let lead = Lead {
            id: EntityId::new(),
            tenant_id: t,
            fields: f,
            score,
            score_parts,
            score_adjustment: 0,
            duplicates,
            conversion: None,
            assigned_by,
            created_by: Some(job.created_by),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        leads.push((row, lead));
    }
    if job.dry_run {
        out.counts.created += leads.len() as u32;
    } else {
        write(app, job, defs, leads, &mut out).await?;
    }
    out.errors.sort_by_key(|e| e.row);
    out.duplicates.sort_by_key(|d| d.row);
    Ok(out)
}

fn lead_tx(job: &Job, defs: &[Definition], row: u32, lead: &Lead) -> Result<Tx, AppError> {
    let tx = Tx::new()
        .put_new("import_row", item::to_item(&crate::import::row_marker(job, row), &json!({ "lead_id": lead.id, "job_id": job.id }))?)
        .put_new("lead", lead.to_item()?);
    let tx = crm_records::write::unique_values(tx, "lead", defs, &Default::default(), &lead.fields.custom_fields)?;
    search_index::write(tx, job.tenant_id, LEAD, lead.id, &[], &lead.fields.terms())
}

async fn write(app: &App, job: &Job, defs: &[Definition], leads: Vec<(u32, Lead)>, out: &mut ChunkOutcome) -> Result<(), AppError> {
    let max = job.contacts_max.unwrap_or(0);
    let mut built = Vec::new();
    for (row, lead) in leads {
        let tx = lead_tx(job, defs, row, &lead)?;
        built.push(((row, lead), tx));
    }
    for (singles, tx) in crate::import::bundles(built) {
        let n = singles.len() as i64;
        match app.store.transact(usage::take_n(tx, "leads.max", job.tenant_id, "leads_used", n, max)).await {
            Ok(()) => out.counts.created += n as u32,
            Err(StoreError::ConditionFailed { .. }) => {
                for (row, lead) in singles {
                    let tx = usage::take(lead_tx(job, defs, row, &lead)?, "leads.max", job.tenant_id, "leads_used", max);
                    match app.store.transact(tx).await {
                        Ok(()) => out.counts.created += 1,
                        Err(StoreError::ConditionFailed { label }) if label == "import_row" => out.counts.created += 1,
                        Err(StoreError::ConditionFailed { label }) => {
                            out.counts.failed += 1;
                            let message = if label == "leads.max" {
                                format!("the plan's leads.max ({max}) is reached")
                            } else {
                                format!("{label}: another record has this value")
                            };
                            out.errors.push(RowError { row, field: label.trim_start_matches("custom_unique:").to_string(), message });
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_rows_parse_like_the_api() {
        let head = header(&csv::StringRecord::from(vec!["First Name", "Email", "Source", "Country"]), &[]).unwrap();
        let ok = row(&head, &[], &csv::StringRecord::from(vec!["Sara", "sara@acme.io", "", "ae"])).unwrap();
        assert_eq!((ok.source.as_str(), ok.country.as_deref()), ("import", Some("AE")));
        let bad = row(&head, &[], &csv::StringRecord::from(vec!["", "nope", "tv", ""])).unwrap_err();
        let fields: Vec<_> = bad.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["email", "source", "first_name"]);
        assert!(header(&csv::StringRecord::from(vec!["first_name", "fax"]), &[]).is_err());
    }
}
