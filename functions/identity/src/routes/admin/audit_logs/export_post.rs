//! `POST /v1/admin/audit-logs/export?from=&to=&format=jsonl|csv` — exports
//! the audit log of `from..=to` (UTC days, at most 366) as a job
//! ([`crate::audit_export`]): `202` with the export, queued; the request is
//! itself audited (`audit.export.requested`). A tenant queues at most
//! [`PER_HOUR`] exports an hour, counted in the same transaction (`429`
//! with `Retry-After` past it). `GET /v1/admin/audit-logs/exports/{id}`
//! follows it to its download.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{time::parse_date, AppError, Timestamp};
use crm_store::{keys, usage, StoreError, Tx};

use crate::audit_export::{requested, AuditExport, Format};
use crate::App;

/// Exports one tenant may queue an hour.
pub const PER_HOUR: i64 = 10;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let q: ExportQuery = call.query_as()?;
    let mut errors = Vec::new();
    let from = parse_date("from", &q.from).map_err(|e| errors.extend(e.details().to_vec())).ok();
    let to = parse_date("to", &q.to).map_err(|e| errors.extend(e.details().to_vec())).ok();
    let (Some(from), Some(to)) = (from, to) else { return Err(AppError::invalid_fields(errors)) };
    let x = AuditExport::new(p.tenant_id, p.user_id, from, to, q.format.unwrap_or(Format::Jsonl), Timestamp::now())?;
    let event = requested(&x).with_request_id(call.request_id());
    let now = x.created_at.unix_seconds();
    let hour = now - now.rem_euclid(3600);
    let quota = keys::tenant_window(p.tenant_id, "AUDITEXPORT", "requests", hour);
    let tx = Tx::new().put_new("export", x.to_item()?).emit_audited(&event);
    match app.store.transact(usage::take_at(tx, "export_quota", &quota, "count", PER_HOUR, Some(hour + 7200))).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed { label }) if label == "export_quota" => {
            return Err(AppError::RateLimited { retry_after_secs: (hour + 3600 - now).max(1) as u64 });
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Reply::with_status(202, ExportView { export: x, download: None })
        .header("location", format!("/v1/admin/audit-logs/exports/{}", event.subject.id)))
}

/// The query parameters of `AuditLogsExport`.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// First day, `YYYY-MM-DD` (UTC).
    pub from: String,
    /// Last day, included, `YYYY-MM-DD`; not after today.
    pub to: String,
    /// `jsonl` (default) or `csv`.
    pub format: Option<Format>,
}

/// An export and, once completed, where to download it.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct ExportView {
    #[serde(flatten)]
    pub export: AuditExport,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download: Option<Download>,
}

/// A presigned download URL (15 minutes).
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Download {
    pub url: String,
    pub expires_at: Timestamp,
}
