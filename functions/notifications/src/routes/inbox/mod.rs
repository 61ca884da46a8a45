//! The in-app inbox: `GET /v1/me/notifications`, `GET /v1/me/notifications/{id}`,
//! `PATCH …/{id}/read`, `PATCH …/read-bulk`, `GET /v1/admin/notifications/{userId}`.

pub mod admin_get;
pub mod get;
pub mod id_get;
pub mod read_bulk_patch;
pub mod read_patch;

use crm_http::{Call, Reply};
use crm_kernel::{AppError, TenantId, Timestamp, UserId};
use crm_store::tx::Condition;
use crm_store::{item, Index, Query, Tx};

use crate::inbox::InboxEntry;
use crate::App;

/// A user's inbox page: `is_read=false` reads the unread partition,
/// `is_read=true` filters, `since` bounds the creation time.
pub(crate) async fn list(app: &App, call: &Call, t: TenantId, user: UserId) -> Result<Reply, AppError> {
    let asked: InboxQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let is_read = match call.query("is_read").as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => return Err(AppError::invalid("is_read", "must be true or false")),
    };
    let mut q = match is_read {
        Some(false) => Query::index(t, Index::ByLookup, InboxEntry::unread_pk(t, user)),
        _ => Query::index(t, Index::ByOwner, InboxEntry::list_pk(t, user)),
    };
    if let Some(since) = call.query("since") {
        let since = Timestamp::parse(&since).map_err(|_| AppError::invalid("since", "must be an RFC 3339 time"))?;
        q = q.sk_between(since.to_string(), "~");
    }
    q = q.descending().limit(limit).after(cursor);
    if is_read == Some(true) {
        q = q.filter_eq("read_state", "read");
    }
    let page = app.store.query(q).await?;
    let entries = page.items.into_iter().map(item::from_item::<InboxEntry>).collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::list(entries, limit, page.next_cursor))
}

/// The caller's own entry (someone else's: 404).
pub(crate) async fn own(app: &App, call: &Call) -> Result<InboxEntry, AppError> {
    let p = call.principal()?;
    let id = crm_kernel::EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    app.store
        .get_as::<InboxEntry>(&InboxEntry::key(p.tenant_id, id))
        .await?
        .filter(|e| e.recipient_user_id == p.user_id)
        .ok_or(AppError::NotFound)
}

/// Adds "mark `e` read" to `tx` (no-op for a read entry).
pub(crate) fn mark_read(tx: Tx, e: &InboxEntry, now: Timestamp) -> Result<(Tx, Option<InboxEntry>), AppError> {
    if e.is_read {
        return Ok((tx, None));
    }
    let mut read = e.clone();
    read.is_read = true;
    read.read_at = Some(now);
    read.version += 1;
    Ok((tx.put_if("inbox", read.to_item()?, Condition::version_is(e.version)), Some(read)))
}

/// The query parameters of an inbox list.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// `true` or `false`.
    pub is_read: Option<String>,
    /// RFC 3339: entries created since.
    pub since: Option<String>,
}
