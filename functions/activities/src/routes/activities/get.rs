//! `GET /v1/activities?subject_type=&subject_id=&type=&from=&to=&owner=` —
//! activities, newest first, cursor paginated: a record's (its partition),
//! an owner's (`me` or a user id), or the tenant's, each with the date
//! range `from`–`to` (when it happened) as the key condition where the
//! partition is sorted by it; `type` filters the page.

use crm_http::{Call, ListQuery, Reply};
use crm_kernel::AppError;
use crm_store::{item, keys, Index, Query};

use crate::activity::{Activity, ACTIVITY, TYPES};
use crate::note::SubjectRef;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let asked: ActivitiesQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let mut lq = ListQuery::of(&call);
    let (from, to) = (lq.day_or_time("from"), lq.day_or_time("to"));
    let kind = lq.one_of("type", TYPES);
    let subject = match (lq.text("subject_type"), lq.text("subject_id")) {
        (Some(k), Some(id)) => SubjectRef::parse(&k, &id).map_err(|e| lq.absorb([e])).ok(),
        (None, None) => None,
        _ => {
            lq.error("subject_id", "give subject_type and subject_id together");
            None
        }
    };
    let owner = lq.owner("owner", p.user_id);
    lq.finish()?;
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

/// The query parameters of `ActivitiesList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivitiesQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// A day or an RFC 3339 time.
    pub from: Option<String>,
    /// A day or an RFC 3339 time.
    pub to: Option<String>,
    /// `call`, `email`, `meeting`, `note`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// With `subject_id`.
    pub subject_type: Option<String>,
    /// With `subject_type`.
    pub subject_id: Option<String>,
    /// `me` or a user id.
    pub owner: Option<String>,
}
