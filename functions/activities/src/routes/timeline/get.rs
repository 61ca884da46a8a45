//! `GET /v1/timeline?subject_type=contact&subject_id=…` — a
//! record's notes, tasks and logged activities merged, newest first, cursor
//! paginated — its own and those of other records linked to it
//! ([`crate::links`], marked `"linked": true`). They share the record's
//! `by_parent` partition sorted by creation time, so the merge is one
//! key-condition query, not a sort in memory; only what the caller may see
//! is listed (ADR 0013), and the timeline of a contact, company, deal or
//! lead they may not see is `404`.

use crm_auth::Principal;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Query};

use crate::activity::Activity;
use crate::note::{Note, SubjectRef};
use crate::task::Task;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let asked: TimelineQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let subject = SubjectRef::parse(&call.query("subject_type").unwrap_or_default(), &call.query("subject_id").unwrap_or_default())
        .map_err(|e| AppError::invalid_fields(vec![e]))?;
    require_subject_visible(app, &p, &subject).await?;
    let mut q = Query::index(t, Index::ByParent, keys::by_parent_pk(t, &subject.kind.to_ascii_uppercase(), &subject.id))
        .descending()
        .limit(limit)
        .after(cursor);
    for f in super::super::visible(app, &p).await? {
        q = q.filter(f);
    }
    let page = app.store.query(q).await?;
    let rows = crate::links::resolve(&app.store, t, page.items).await?;
    let entries: Vec<TimelineEntry> = rows
        .into_iter()
        .filter_map(|(it, linked)| {
            let at = it.str_attr("created_at").and_then(|t| Timestamp::parse(t).ok());
            let record = match it.str_attr("kind")? {
                "note" => TimelineRecord::Note(item::from_item(it).ok()?),
                "task" => TimelineRecord::Task(item::from_item(it).ok()?),
                "activity" => TimelineRecord::Activity(item::from_item(it).ok()?),
                _ => return None,
            };
            Some(TimelineEntry { record, at, linked })
        })
        .collect();
    Ok(Reply::list(entries, limit, page.next_cursor))
}

/// A contact, company, deal or lead the caller may not see has no timeline for them.
async fn require_subject_visible(app: &App, p: &Principal, s: &SubjectRef) -> Result<(), AppError> {
    let kind = match s.kind.as_str() {
        "contact" => "CONTACT",
        "company" => "COMPANY",
        "deal" => "DEAL",
        "lead" => "LEAD",
        _ => return Ok(()),
    };
    let id = crm_kernel::EntityId::parse(&s.id).map_err(|_| AppError::NotFound)?;
    let Some(it) = app.store.get(&keys::entity(p.tenant_id, kind, id)).await? else { return Ok(()) };
    let owner = it.str_attr(crm_auth::audience::OWNER).and_then(|o| UserId::parse(o).ok());
    let private = it.str_attr(crm_auth::audience::PRIVATE_OWNER).is_some();
    crm_auth::audience::require_visible(&app.store, p, owner, private).await
}

/// One entry of a timeline: a note, a task or a logged activity.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct TimelineEntry {
    #[serde(flatten)]
    pub record: TimelineRecord,
    /// When it was created.
    pub at: Option<Timestamp>,
    /// `true`: linked to the record rather than about it.
    pub linked: bool,
}

/// What a timeline entry is: its `type` and its `data`.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum TimelineRecord {
    Note(Note),
    Task(Task),
    Activity(Activity),
}

/// The query parameters of `Timeline`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimelineQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// `contact`, `company`, `deal`, `lead`…
    pub subject_type: Option<String>,
    /// The record.
    pub subject_id: Option<String>,
}
