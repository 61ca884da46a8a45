//! `GET /v1/notes` — the tenant's notes, newest first; with `subject_type`
//! and `subject_id`, the notes of one record. Cursor pagination.

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::{item, keys, Index, Query};

use crate::note::{Note, SubjectRef, KIND};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let tenant = call.principal()?.tenant_id;
    let asked: NotesQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let query = match (call.query("subject_type"), call.query("subject_id")) {
        (None, None) => Query::index(tenant, Index::ByKind, keys::by_kind_pk(tenant, KIND)),
        (Some(kind), Some(id)) => {
            let s = SubjectRef::parse(&kind, &id).map_err(|e| AppError::invalid_fields(vec![e]))?;
            Query::index(tenant, Index::ByParent, keys::by_parent_pk(tenant, &s.kind.to_ascii_uppercase(), &s.id)).filter_eq("kind", "note")
        }
        _ => return Err(AppError::invalid("subject_id", "subject_type and subject_id go together")),
    };
    let page = app.store.query(query.descending().limit(limit).after(cursor)).await?;
    let notes = page.items.into_iter().map(item::from_item::<Note>).collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::list(notes, limit, page.next_cursor))
}

/// The query parameters of `NotesList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotesQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// With `subject_id`.
    pub subject_type: Option<String>,
    /// With `subject_type`.
    pub subject_id: Option<String>,
}
