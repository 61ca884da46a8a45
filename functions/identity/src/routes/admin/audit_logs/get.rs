//! `GET /v1/admin/audit-logs?date=YYYY-MM-DD&action=&actor_user_id=&subject_type=&subject_id=`
//! — one day of the tenant's audit log (UTC, default today), newest first,
//! filtered, cursor paginated. Entries are written in the same transaction as
//! the change they record.

use crm_http::{Call, Reply};
use crm_kernel::{time::parse_date, AppError, Timestamp};
use crm_store::{keys, Query};

use crate::audit_log::entry;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let asked: AuditQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let date = match call.query("date") {
        Some(d) => parse_date("date", &d)?.to_string(),
        None => Timestamp::now().date(),
    };
    let mut q = Query::table(t, keys::audit_pk(t, &date)).descending().limit(limit).after(cursor);
    for filter in ["action", "actor_user_id", "subject_type", "subject_id"] {
        if let Some(v) = call.query(filter) {
            if v.is_empty() || v.len() > 100 {
                return Err(AppError::invalid(filter, "must be 1 to 100 characters"));
            }
            q = q.filter_eq(filter, v);
        }
    }
    let page = app.store.query(q).await?;
    Ok(Reply::list(page.items.iter().map(entry).collect::<Vec<_>>(), limit, page.next_cursor))
}

/// The query parameters of `AuditLogsList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// `YYYY-MM-DD` (default today, UTC).
    pub date: Option<String>,
    /// An event type.
    pub action: Option<String>,
    /// A user id.
    pub actor_user_id: Option<String>,
    /// A record type.
    pub subject_type: Option<String>,
    /// A record id.
    pub subject_id: Option<String>,
}
