//! `GET /v1/activities?subject_type=&subject_id=&type=&from=&to=&owner=` —
//! activities, newest first, cursor paginated: a record's (its partition),
//! an owner's (`me` or a user id), or the tenant's, each with the date
//! range `from`–`to` (when it happened) as the key condition where the
//! partition is sorted by it; `type` filters the page.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, FieldError, Timestamp, UserId};
use crm_store::{item, keys, Index, Query};

use crate::activity::{Activity, ACTIVITY, TYPES};
use crate::note::SubjectRef;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let (limit, cursor) = call.page()?;
    let mut errors = Vec::new();
    let bound = |name: &str, errors: &mut Vec<FieldError>| {
        call.query(name).and_then(|v| {
            crm_kernel::time::parse_date(name, &v)
                .map(|d| d.to_string())
                .or_else(|_| Timestamp::parse(&v).map(|t| t.to_string()))
                .map_err(|_| errors.push(FieldError::new(name, "must be a date or an RFC 3339 time")))
                .ok()
        })
    };
    let (from, to) = (bound("from", &mut errors), bound("to", &mut errors));
    let kind = call.query("type");
    if kind.as_deref().is_some_and(|k| !TYPES.contains(&k)) {
        errors.push(FieldError::new("type", format!("must be one of {}", TYPES.join(", "))));
    }
    let subject = match (call.query("subject_type"), call.query("subject_id")) {
        (Some(k), Some(id)) => SubjectRef::parse(&k, &id).map_err(|e| errors.push(e)).ok(),
        (None, None) => None,
        _ => {
            errors.push(FieldError::new("subject_id", "give subject_type and subject_id together"));
            None
        }
    };
    let owner = match call.query("owner").as_deref() {
        None => None,
        Some("me") => Some(p.user_id),
        Some(o) => UserId::parse(o).map_err(|_| errors.push(FieldError::new("owner", "must be `me` or a user id"))).ok(),
    };
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    let ranged = |q: Query| match (&from, &to) {
        (None, None) => q,
        (f, t) => q.sk_between(f.clone().unwrap_or_default(), format!("{}~", t.clone().unwrap_or_else(|| "~".into()))),
    };
    let mut q = match (&subject, owner) {
        (Some(s), _) => Query::index(t, Index::ByParent, keys::by_parent_pk(t, &s.kind.to_ascii_uppercase(), &s.id))
            .filter(crate::links::of_kind("activity")),
        (None, Some(o)) => ranged(Query::index(t, Index::ByOwner, keys::by_owner_pk(t, ACTIVITY, &o.to_string()))),
        (None, None) => ranged(Query::index(t, Index::ByKind, keys::by_kind_pk(t, ACTIVITY))),
    };
    q = q.descending().limit(limit).after(cursor);
    for f in super::super::visible(app, &p).await? {
        q = q.filter(f);
    }
    // A record's partition holds links too, without a type: that one is
    // checked once the links are resolved; elsewhere the query filters.
    if let (None, Some(k)) = (&subject, &kind) {
        q = q.filter_eq("activity_type", k.clone());
    }
    let page = app.store.query(q).await?;
    let rows = crate::links::resolve(&app.store, t, page.items).await?;
    let list = rows
        .into_iter()
        .map(|(it, _)| item::from_item::<Activity>(it))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|a| kind.as_ref().is_none_or(|k| &a.fields.kind == k))
        .collect::<Vec<_>>();
    Ok(Reply::list(list, limit, page.next_cursor))
}
