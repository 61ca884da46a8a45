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
use crm_kernel::{AppError, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Query};
use serde_json::{json, Value};

use crate::note::SubjectRef;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let (limit, cursor) = call.page()?;
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
    let entries: Vec<Value> = rows
        .into_iter()
        .filter_map(|(it, linked)| {
            let kind = it.str_attr("kind").map(str::to_string)?;
            let at = it.str_attr("created_at").map(str::to_string);
            let data: Value = item::from_item(it).ok()?;
            matches!(kind.as_str(), "note" | "task" | "activity").then(|| json!({ "type": kind, "at": at, "data": data, "linked": linked }))
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
