//! The leads import (the spec: "CSV import with preview"; ADR 0012), on the same
//! job machinery as contacts ([`crm_jobs`]): one chunk of rows at a time.
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

use std::collections::{HashMap, HashSet};

use crm_kernel::{AppError, EntityId, FieldError, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{Index, Query, StoreError, Tx};
use serde_json::Value;

use crate::custom_fields::{self, Definition};
use crate::lead::{Lead, LeadFields, LEAD};
use crate::lead_rules::{Assignment, Pick, Scoring};
use crate::{search_index, App};
use crm_jobs::engine::{ChunkOutcome, ImportRow, Verdict};
use crm_jobs::job::{Duplicate, Job, RowError};

pub const COLUMNS: &[&str] =
    &["first_name", "last_name", "email", "phone", "company_name", "job_title", "country", "source", "status", "owner_user_id", "message"];

/// The leads kind of import.
pub struct LeadRows;

/// The id of a lead with `email`, if any (one key-condition query).
async fn lead_with_email(app: &App, t: crm_kernel::TenantId, email: Option<&crm_kernel::Email>) -> Result<Option<String>, StoreError> {
    let Some(e) = email else { return Ok(None) };
    let q = Query::index(t, Index::ByLookup, Lead::email_pk(t, e)).limit(crm_kernel::Limit::parse(Some("1")).expect("1 is a limit"));
    Ok(app.store.query(q).await?.items.first().and_then(|i| i.str_attr("id").map(str::to_string)))
}

impl ImportRow for LeadRows {
    type Ctx = App;
    type Fields = LeadFields;
    type Record = Lead;
    const COLUMNS: &'static [&'static str] = COLUMNS;
    const REQUIRED: &'static [&'static str] = &["first_name"];
    const ENTITY: &'static str = "lead";
    const LIMIT: &'static str = "leads.max";
    const COUNTER: &'static str = "leads_used";

    fn parse(body: &Value) -> Result<LeadFields, AppError> {
        LeadFields::apply(&LeadFields::blank("import"), crm_kernel::fields::from_value(body.clone())?)
    }

    fn with_custom(f: LeadFields, values: custom_fields::Values) -> LeadFields {
        LeadFields { custom_fields: values, ..f }
    }

    fn custom(f: &LeadFields) -> &custom_fields::Values {
        &f.custom_fields
    }

    fn identities(f: &LeadFields) -> Vec<(&'static str, String)> {
        f.email.iter().map(|e| ("email", e.as_str().to_string())).collect()
    }

    async fn check_references(app: &App, job: &Job, rows: &[(u32, LeadFields)]) -> Result<Vec<(u32, FieldError)>, AppError> {
        let named: Vec<UserId> =
            rows.iter().filter_map(|(_, f)| f.owner_user_id).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        let users: HashSet<UserId> =
            crm_directory::get_many(&app.store, job.tenant_id, &named).await?.into_iter().flatten().map(|u| u.id).collect();
        Ok(rows
            .iter()
            .filter(|(_, f)| f.owner_user_id.is_some_and(|u| !users.contains(&u)))
            .map(|(row, _)| (*row, FieldError::new("owner_user_id", "is not a user of this tenant")))
            .collect())
    }

    /// Earlier leads with the rows' emails (one key-condition query each, 16 at a time).
    async fn holders(app: &App, job: &Job, rows: &[(u32, LeadFields)]) -> Result<HashMap<u32, Duplicate>, AppError> {
        let mut out = HashMap::new();
        for part in rows.chunks(16) {
            let held =
                futures::future::try_join_all(part.iter().map(|(_, f)| lead_with_email(app, job.tenant_id, f.email.as_ref()))).await?;
            for ((row, f), holder) in part.iter().zip(held) {
                if let (Some(holder), Some(email)) = (holder, &f.email) {
                    let d = Duplicate { lead_id: Some(holder), ..Duplicate::earlier_row(*row, "email", email.as_str()) };
                    out.insert(*row, d);
                }
            }
        }
        Ok(out)
    }

    /// Owners by the rules (round-robin tickets for the chunk at once), scores
    /// when the plan has `leads.scoring`, and the contacts and companies each
    /// lead may be (listed in the report as imported matches).
    async fn build(app: &App, job: &Job, rows: Vec<(u32, LeadFields)>, out: &mut ChunkOutcome) -> Result<Vec<(u32, Lead)>, AppError> {
        let t = job.tenant_id;
        let (scoring, assignment): (Scoring, Assignment) = crate::leads::rules(&app.store, t).await?;
        let turns = rows.iter().filter(|(_, f)| f.owner_user_id.is_none() && assignment.pick(f) == Pick::RoundRobin).count() as i64;
        let mut ticket = if turns > 0 && !job.dry_run {
            let far = Timestamp::now().unix_seconds() + 10 * 365 * 86_400;
            app.store.increment(&Assignment::ticket_key(t), "n", turns, far).await? - turns
        } else {
            0
        };
        let now = Timestamp::now();
        let mut leads = Vec::new();
        for (row, mut f) in rows {
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
                    contact_id: Some(d.id.clone()),
                    imported: true,
                    ..Duplicate::earlier_row(row, &d.reason, &d.id)
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
        Ok(leads)
    }

    fn id(l: &Lead) -> (&'static str, EntityId) {
        ("lead_id", l.id)
    }

    fn items(job: &Job, defs: &[Definition], l: &Lead, tx: Tx) -> Result<Tx, AppError> {
        let tx = tx.put_new("lead", l.to_item()?);
        let tx = crm_records::write::unique_values(tx, Self::ENTITY, defs, &Default::default(), &l.fields.custom_fields)?;
        search_index::write(tx, job.tenant_id, LEAD, l.id, &[], &l.fields.terms())
    }

    async fn refused(_app: &App, _job: &Job, row: u32, _lead: &Lead, label: &str) -> Result<Verdict, AppError> {
        Ok(Verdict::Error(RowError { row, field: label.into(), message: format!("{label}: the row could not be written") }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_rows_parse_like_the_api() {
        let head =
            crm_jobs::engine::header::<LeadRows>(&csv::StringRecord::from(vec!["First Name", "Email", "Source", "Country"]), &[]).unwrap();
        let ok =
            crm_jobs::engine::parse_row::<LeadRows>(&head, &[], &csv::StringRecord::from(vec!["Sara", "sara@acme.io", "", "ae"])).unwrap();
        assert_eq!((ok.source.as_str(), ok.country.as_deref()), ("import", Some("AE")));
        let bad = crm_jobs::engine::parse_row::<LeadRows>(&head, &[], &csv::StringRecord::from(vec!["", "nope", "tv", ""])).unwrap_err();
        let fields: Vec<_> = bad.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["email", "source", "first_name"]);
        assert!(crm_jobs::engine::header::<LeadRows>(&csv::StringRecord::from(vec!["first_name", "fax"]), &[]).is_err());
    }
}
