//! Audit log exports, as jobs: `POST /v1/admin/audit-logs/export` records
//! the request (audited itself, `audit.export.requested`) and its event
//! takes it to the export worker (`HANDLER=audit-export`, on its queue),
//! which reads every day of the range — the same entries, in the same
//! order, as the day pages of `GET /v1/admin/audit-logs` — writes one file
//! (`jsonl`, or `csv` with formula cells neutralised) to the files bucket
//! and marks the export completed; `GET /v1/admin/audit-logs/exports/{id}`
//! then gives a presigned download URL.
//!
//! Any range up to [`MAX_DAYS`] days, up to [`MAX_ENTRIES`] entries (past
//! that the export fails, saying to narrow the range).

use chrono::NaiveDate;
use crm_events::consumer::ConsumerError;
use crm_events::{Actor, DomainEvent, Subject};
use crm_kernel::{AppError, EntityId, Limit, TenantId, Timestamp, UserId};
use crm_store::tx::Condition;
use crm_store::{item, keys, Item, Key, Query, StoreError, Tx};
use serde::{Deserialize, Serialize};

use crate::audit_log::{entry, Entry};
use crate::App;

/// The consumer name of the export worker (its idempotency markers).
pub const CONSUMER: &str = "audit-export";
/// The longest range one export covers.
pub const MAX_DAYS: i64 = 366;
/// The most entries one file holds.
pub const MAX_ENTRIES: usize = 200_000;
const KIND: &str = "AUDITEXPORT";

/// The file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// One JSON entry per line, as the list answers them.
    Jsonl,
    /// One row per entry; `details` as JSON text.
    Csv,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Jsonl => "application/x-ndjson",
            Format::Csv => "text/csv",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Queued,
    Completed,
    Failed,
}

/// An export, as stored and as the API shows it (`object_key` aside).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditExport {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub requested_by: UserId,
    /// First day, `YYYY-MM-DD` (UTC).
    #[schemars(with = "String")]
    pub from: NaiveDate,
    /// Last day, included.
    #[schemars(with = "String")]
    pub to: NaiveDate,
    pub format: Format,
    pub status: Status,
    /// Entries written (once completed).
    pub entries: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    pub created_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Timestamp>,
    #[serde(skip)]
    #[schemars(skip)]
    pub object_key: String,
    pub version: u64,
}

/// The item form keeps `object_key`, which the API form leaves out.
#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(flatten)]
    export: AuditExport,
    object_key: String,
}

impl AuditExport {
    /// A new export of `from..=to` (checked: real dates, in order, within
    /// [`MAX_DAYS`], not past today).
    pub fn new(tenant_id: TenantId, by: UserId, from: NaiveDate, to: NaiveDate, format: Format, now: Timestamp) -> Result<Self, AppError> {
        let today = NaiveDate::parse_from_str(&now.date(), "%Y-%m-%d").map_err(AppError::internal)?;
        if from > to {
            return Err(AppError::invalid("from", "must be on or before `to`"));
        }
        if to > today {
            return Err(AppError::invalid("to", "must not be after today (UTC)"));
        }
        if (to - from).num_days() + 1 > MAX_DAYS {
            return Err(AppError::invalid("from", format!("a range covers at most {MAX_DAYS} days")));
        }
        let id = EntityId::new();
        Ok(Self {
            id,
            tenant_id,
            requested_by: by,
            from,
            to,
            format,
            status: Status::Queued,
            entries: 0,
            failure: None,
            created_at: now,
            finished_at: None,
            object_key: format!("transfers/{tenant_id}/audit/{id}.{}", format.extension()),
            version: 1,
        })
    }

    pub fn key(t: TenantId, id: EntityId) -> Key {
        keys::entity(t, KIND, id)
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        item::to_item(&Self::key(self.tenant_id, self.id), &Stored { export: self.clone(), object_key: self.object_key.clone() })
    }

    pub fn from_item(i: Item) -> Result<Self, StoreError> {
        let s: Stored = item::from_item(i)?;
        Ok(AuditExport { object_key: s.object_key, ..s.export })
    }

    /// The file's name for the download.
    pub fn file_name(&self) -> String {
        format!("audit-{}-{}.{}", self.from, self.to, self.format.extension())
    }

    /// The days of the range, last first (the list's order: newest first).
    pub fn days(&self) -> Vec<NaiveDate> {
        self.from.iter_days().take_while(|d| *d <= self.to).collect::<Vec<_>>().into_iter().rev().collect()
    }
}

/// The CSV header of an export.
pub const CSV_COLUMNS: &[&str] = &["at", "action", "actor_type", "actor_user_id", "subject_type", "subject_id", "request_id", "details"];

/// The file's bytes for `entries` (pure). CSV cells that a spreadsheet
/// would run as a formula are neutralised.
pub fn render(entries: &[Entry], format: Format) -> Result<Vec<u8>, AppError> {
    match format {
        Format::Jsonl => {
            let mut out = Vec::new();
            for e in entries {
                serde_json::to_writer(&mut out, e).map_err(AppError::internal)?;
                out.push(b'\n');
            }
            Ok(out)
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(CSV_COLUMNS).map_err(AppError::internal)?;
            for e in entries {
                let actor = serde_json::to_value(&e.actor).unwrap_or_default();
                let cells = [
                    e.at.clone().unwrap_or_default(),
                    e.action.clone().unwrap_or_default(),
                    actor["type"].as_str().unwrap_or_default().to_string(),
                    actor["user_id"].as_str().unwrap_or_default().to_string(),
                    e.subject.kind.clone().unwrap_or_default(),
                    e.subject.id.clone().unwrap_or_default(),
                    e.request_id.clone().unwrap_or_default(),
                    e.details.to_string(),
                ];
                w.write_record(cells.iter().map(|c| crm_kernel::spreadsheet::safe_cell(c).into_owned())).map_err(AppError::internal)?;
            }
            w.into_inner().map_err(AppError::internal)
        }
    }
}

/// The event that takes an export to its worker (and audits the request).
pub fn requested(x: &AuditExport) -> DomainEvent {
    DomainEvent::new(
        x.tenant_id,
        crm_events::types::AUDIT_EXPORT_REQUESTED,
        Actor::user(x.requested_by),
        Subject { kind: "audit_export".into(), id: x.id.to_string() },
        serde_json::json!({ "from": x.from, "to": x.to, "format": x.format }),
    )
}

/// Handles one event of the export queue: runs a queued export once.
pub async fn handle(app: &App, e: DomainEvent) -> Result<(), ConsumerError> {
    if !e.is(crm_events::types::AUDIT_EXPORT_REQUESTED) {
        return Ok(());
    }
    let id = EntityId::parse(&e.subject.id).map_err(|_| ConsumerError::Unreadable("export id".into()))?;
    let Some(found) = app.store.get(&AuditExport::key(e.tenant_id, id)).await? else { return Ok(()) };
    let x = AuditExport::from_item(found)?;
    if x.status != Status::Queued {
        return Ok(());
    }
    let done = match collect(app, &x).await {
        Ok(entries) => match write(app, &x, &entries).await {
            Ok(()) => AuditExport { status: Status::Completed, entries: entries.len() as u64, ..x.clone() },
            Err(e) => return Err(ConsumerError::Failed(e.to_string())),
        },
        Err(AppError::LimitReached { .. }) => {
            AuditExport { status: Status::Failed, failure: Some(format!("more than {MAX_ENTRIES} entries: narrow the range")), ..x.clone() }
        }
        Err(e) => return Err(ConsumerError::Failed(e.to_string())),
    };
    let done = AuditExport { finished_at: Some(Timestamp::now()), version: x.version + 1, ..done };
    match app.store.transact(Tx::new().put_if("export", done.to_item()?, Condition::version_is(x.version))).await {
        Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Every entry of the range, newest first, as the list pages answer them.
async fn collect(app: &App, x: &AuditExport) -> Result<Vec<Entry>, AppError> {
    let t = x.tenant_id;
    let mut out = Vec::new();
    for day in x.days() {
        let mut cursor = None;
        loop {
            let q = Query::table(t, keys::audit_pk(t, &day.to_string())).descending().limit(Limit::max()).after(cursor);
            let page = app.store.query(q).await?;
            out.extend(page.items.iter().map(entry));
            if out.len() > MAX_ENTRIES {
                return Err(AppError::LimitReached { key: "audit.export.entries".into(), limit: MAX_ENTRIES as i64 });
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
    }
    Ok(out)
}

async fn write(app: &App, x: &AuditExport, entries: &[Entry]) -> Result<(), AppError> {
    app.files.write(&x.object_key, render(entries, x.format)?, x.format.content_type()).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_range_is_real_ordered_bounded_and_read_newest_first() {
        let now = Timestamp::parse("2026-12-01T12:00:00Z").unwrap();
        let (t, u) = (TenantId::new(), UserId::new());
        let x = AuditExport::new(t, u, day("2026-11-25"), day("2026-12-01"), Format::Csv, now).unwrap();
        assert_eq!(x.days().first().map(|d| d.to_string()).as_deref(), Some("2026-12-01"));
        assert_eq!(x.days().len(), 7);
        assert!(x.object_key.starts_with(&format!("transfers/{t}/audit/")));
        let err =
            |from: &str, to: &str| AuditExport::new(t, u, day(from), day(to), Format::Jsonl, now).unwrap_err().details()[0].field.clone();
        assert_eq!(err("2026-11-30", "2026-11-29"), "from");
        assert_eq!(err("2026-11-30", "2026-12-02"), "to");
        assert_eq!(err("2025-11-01", "2026-11-30"), "from");
        let back = AuditExport::from_item(x.to_item().unwrap()).unwrap();
        assert_eq!(back, x, "the object key survives the store");
        assert!(serde_json::to_value(&x).unwrap().get("object_key").is_none(), "but never reaches a reply");
    }

    #[test]
    fn csv_cells_that_would_run_as_formulas_are_neutralised() {
        let e: Entry = serde_json::from_value(json!({
            "action": "contact.updated", "at": "2026-12-01T10:00:00Z", "actor": null,
            "subject": {"type": "contact", "id": "=HYPERLINK(\"http://evil\")"}, "request_id": null, "details": {"note": "+1"}
        }))
        .unwrap();
        let csv = String::from_utf8(render(std::slice::from_ref(&e), Format::Csv).unwrap()).unwrap();
        assert!(csv.lines().next().unwrap().starts_with("at,action,actor_type"));
        assert!(csv.contains("'=HYPERLINK"), "{csv}");
        let jsonl = String::from_utf8(render(&[e], Format::Jsonl).unwrap()).unwrap();
        assert_eq!(serde_json::from_str::<serde_json::Value>(jsonl.trim()).unwrap()["subject"]["id"], "=HYPERLINK(\"http://evil\")");
    }
}
