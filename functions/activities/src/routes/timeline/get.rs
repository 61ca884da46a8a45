//! `GET /v1/timeline?subject_type=contact&subject_id=…` — M3CoreCRM §4: a
//! record's notes, tasks and logged activities merged, newest first, cursor paginated. They
//! share the record's `by_parent` partition sorted by creation time, so the
//! merge is one key-condition query, not a sort in memory.

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Query};
use serde_json::{json, Value};

use crate::note::SubjectRef;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let (limit, cursor) = call.page()?;
    let subject = SubjectRef::parse(&call.query("subject_type").unwrap_or_default(), &call.query("subject_id").unwrap_or_default())
        .map_err(|e| AppError::invalid_fields(vec![e]))?;
    let q = Query::index(t, Index::ByParent, keys::by_parent_pk(t, &subject.kind.to_ascii_uppercase(), &subject.id))
        .descending()
        .limit(limit)
        .after(cursor);
    let page = app.store.query(q).await?;
    let entries: Vec<Value> = page
        .items
        .into_iter()
        .filter_map(|it| {
            let kind = it.str_attr("kind").map(str::to_string)?;
            let at = it.str_attr("created_at").map(str::to_string);
            let data: Value = item::from_item(it).ok()?;
            matches!(kind.as_str(), "note" | "task" | "activity").then(|| json!({ "type": kind, "at": at, "data": data }))
        })
        .collect();
    Ok(Reply::list(entries, limit, page.next_cursor))
}
