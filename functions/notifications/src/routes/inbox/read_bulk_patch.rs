//! `PATCH /v1/me/notifications/read-bulk` — `{ids: [...]}` (up to 100) or
//! `{all: true}` (the newest 100 unread per call; `remaining` says whether
//! to call again). Ids that are not the caller's are ignored.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Limit, Timestamp};
use crm_store::{item, Index, Query, Tx};
use serde::Deserialize;

use crate::inbox::InboxEntry;
use crate::App;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Body {
    #[serde(default)]
    ids: Vec<EntityId>,
    #[serde(default)]
    all: bool,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let b: Body = call.json()?;
    if b.all != b.ids.is_empty() {
        return Err(AppError::invalid("ids", "give `ids` (1-100) or `all: true`"));
    }
    if b.ids.len() > 100 {
        return Err(AppError::invalid("ids", "at most 100 per call"));
    }
    let (entries, remaining) = if b.all {
        let page = app.store.query(Query::index(t, Index::ByLookup, InboxEntry::unread_pk(t, p.user_id)).limit(Limit::max())).await?;
        (page.items.into_iter().map(item::from_item::<InboxEntry>).collect::<Result<Vec<_>, _>>()?, page.next_cursor.is_some())
    } else {
        let keys: Vec<_> = b.ids.iter().map(|id| InboxEntry::key(t, *id)).collect();
        let found = app.store.get_many(&keys).await?.into_iter().flatten().map(item::from_item::<InboxEntry>);
        (found.collect::<Result<Vec<_>, _>>()?, false)
    };
    let now = Timestamp::now();
    let mut tx = Tx::new();
    let mut updated = 0;
    for e in entries.iter().filter(|e| e.recipient_user_id == p.user_id) {
        let (next, read) = super::mark_read(tx, e, now)?;
        tx = next;
        updated += usize::from(read.is_some());
    }
    if !tx.is_empty() {
        app.store.transact(tx).await?;
    }
    Ok(Reply::ok(Marked { updated, remaining }))
}

/// How many entries were marked, and how many stay unread.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Marked {
    pub updated: usize,
    /// `true`: more unread entries are left (mark them with another call).
    pub remaining: bool,
}
