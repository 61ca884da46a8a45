//! `GET /v1/tasks?owner=&due_from=&due_to=&status=&priority=&related_type=&related_id=`
//! — tasks, cursor paginated. `owner` (`me`, the default, or a user id)
//! with the due range is a key condition on the owner's partition (by due
//! time, soonest first; `overdue=true` is everything due before now that is
//! still open); `related_*` reads the record's partition; status and
//! priority filter the page.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, FieldError, Timestamp, UserId};
use crm_store::{item, keys, Index, Query};

use crate::note::SubjectRef;
use crate::task::{Task, PRIORITIES, STATUSES, TASK};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let (limit, cursor) = call.page()?;
    let mut errors = Vec::new();
    let time = |name: &str, errors: &mut Vec<FieldError>| {
        call.query(name).and_then(|v| Timestamp::parse(&v).map_err(|_| errors.push(FieldError::new(name, "must be an RFC 3339 time"))).ok())
    };
    let (mut from, mut to) = (time("due_from", &mut errors), time("due_to", &mut errors));
    let overdue = call.query("overdue").as_deref() == Some("true");
    if overdue {
        to = Some(Timestamp::now());
        from = from.or(Some(Timestamp::parse("1970-01-01T00:00:00Z")?));
    }
    let status = call.query("status");
    if status.as_deref().is_some_and(|s| !STATUSES.contains(&s)) {
        errors.push(FieldError::new("status", format!("must be one of {}", STATUSES.join(", "))));
    }
    let priority = call.query("priority");
    if priority.as_deref().is_some_and(|s| !PRIORITIES.contains(&s)) {
        errors.push(FieldError::new("priority", format!("must be one of {}", PRIORITIES.join(", "))));
    }
    let related = match (call.query("related_type"), call.query("related_id")) {
        (Some(k), Some(id)) => SubjectRef::parse(&k, &id).map_err(|e| errors.push(e)).ok(),
        (None, None) => None,
        _ => {
            errors.push(FieldError::new("related_id", "give related_type and related_id together"));
            None
        }
    };
    let owner = match call.query("owner").as_deref() {
        None | Some("me") => Some(p.user_id),
        Some("all") => None,
        Some(o) => UserId::parse(o).map_err(|_| errors.push(FieldError::new("owner", "must be `me`, `all` or a user id"))).ok(),
    };
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
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
        .filter(|task| status.as_ref().is_none_or(|s| &task.fields.status == s))
        .filter(|task| priority.as_ref().is_none_or(|p| &task.fields.priority == p))
        .collect();
    Ok(Reply::list(tasks, limit, page.next_cursor))
}
