//! `GET /v1/admin/audit-logs?date=YYYY-MM-DD&action=&actor_user_id=&subject_type=&subject_id=`
//! — one day of the tenant's audit log (UTC, default today), newest first,
//! filtered, cursor paginated. Entries are written in the same transaction as
//! the change they record.

use crm_http::{Call, Reply};
use crm_kernel::{time::parse_date, AppError, Timestamp};
use crm_store::item::{Item, ItemExt};
use crm_store::{keys, Query};
use serde_json::{json, Value};

use crate::App;

fn entry(i: &Item) -> Value {
    let parse = |k: &str| i.str_attr(k).and_then(|s| serde_json::from_str::<Value>(s).ok()).unwrap_or(Value::Null);
    json!({
        "action": i.str_attr("action"),
        "at": i.str_attr("at"),
        "actor": parse("actor"),
        "subject": { "type": i.str_attr("subject_type"), "id": i.str_attr("subject_id") },
        "request_id": i.str_attr("request_id"),
        "details": parse("details"),
    })
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let (limit, cursor) = call.page()?;
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
