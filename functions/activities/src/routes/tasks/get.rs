//! `GET /v1/tasks?owner=&due_from=&due_to=&status=&priority=&related_type=&related_id=`
//! — tasks, cursor paginated. `owner` (`me`, the default, or a user id)
//! with the due range is a key condition on the owner's partition (by due
//! time, soonest first; `overdue=true` is everything due before now that is
//! still open); `related_*` reads the record's partition; status and
//! priority filter the page.

use crm_http::{Call, ListQuery, Reply};
use crm_kernel::{AppError, Timestamp, UserId};
use crm_store::{item, keys, Index, Query};

use crate::note::SubjectRef;
use crate::task::{Task, PRIORITIES, STATUSES, TASK};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let asked: TasksQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let mut lq = ListQuery::of(&call);
    let (mut from, mut to) = (lq.time("due_from"), lq.time("due_to"));
    let overdue = lq.flag("overdue");
    if overdue {
        to = Some(Timestamp::now());
        from = from.or(Some(Timestamp::parse("1970-01-01T00:00:00Z")?));
    }
    let status = lq.one_of("status", STATUSES);
    let priority = lq.one_of("priority", PRIORITIES);
    let related = match (lq.text("related_type"), lq.text("related_id")) {
        (Some(k), Some(id)) => SubjectRef::parse(&k, &id).map_err(|e| lq.absorb([e])).ok(),
        (None, None) => None,
        _ => {
            lq.error("related_id", "give related_type and related_id together");
            None
        }
    };
    // Unlike other lists, a task list is the caller's own unless it says `all`.
    let owner = match lq.text("owner").as_deref() {
        None | Some("me") => Some(p.user_id),
        Some("all") => None,
        Some(o) => UserId::parse(o).map_err(|_| lq.error("owner", "must be `me`, `all` or a user id")).ok(),
    };
    lq.finish()?;
    let mut q = match (&related, owner) {
        (Some(r), _) => Query::index(t, Index::ByParent, keys::by_parent_pk(t, &r.kind.to_ascii_uppercase(), &r.id)),
        (None, Some(o)) => {
            let q = Query::index(t, Index::ByOwner, keys::by_owner_pk(t, TASK, &o.to_string()));
            if from.is_some() || to.is_some() {
                q.sk_between(
                    from.map(|f| f.to_string()).unwrap_or_default(),
                    format!("{}~", to.map(|t| t.to_string()).unwrap_or_else(|| "~".into())),
                )
            } else {
                q
            }
        }
        (None, None) => Query::index(t, Index::ByKind, keys::by_kind_pk(t, TASK)).descending(),
    };
    q = q.limit(limit).after(cursor).filter(crate::links::of_kind("task"));
    for f in super::super::visible(app, &p).await? {
        q = q.filter(f);
    }
    let status = if overdue { Some("open".to_string()) } else { status };
    // A record's partition holds links too, without status or priority:
    // those are checked once the links are resolved.
    if related.is_none() {
        if let Some(s) = &status {
            q = q.filter_eq("status", s.clone());
        }
        if let Some(pr) = &priority {
            q = q.filter_eq("priority", pr.clone());
        }
    }
    let page = app.store.query(q).await?;
    let rows = crate::links::resolve(&app.store, t, page.items).await?;
    let tasks: Vec<Task> = rows
        .into_iter()
        .map(|(it, _)| item::from_item::<Task>(it))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|task| status.as_ref().is_none_or(|s| task.fields.status.as_str() == s))
        .filter(|task| priority.as_ref().is_none_or(|p| &task.fields.priority == p))
        .collect();
    Ok(Reply::list(tasks, limit, page.next_cursor))
}

/// The query parameters of `TasksList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TasksQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// RFC 3339.
    pub due_from: Option<String>,
    /// RFC 3339.
    pub due_to: Option<String>,
    /// `true`: open tasks past due.
    pub overdue: Option<String>,
    /// `open`, `in_progress`, `done`, `cancelled`.
    pub status: Option<String>,
    /// `low`, `medium`, `high`.
    pub priority: Option<String>,
    /// With `related_id`.
    pub related_type: Option<String>,
    /// With `related_type`.
    pub related_id: Option<String>,
    /// `me` (default), `all` or a user id.
    pub owner: Option<String>,
}
