//! `GET /v1/notify/messages?status=&channel=&from=&to=&dispatch_group_id=` —
//! the tenant's outbox, newest first, cursor paginated. The date range is
//! the key condition (`by_kind` sorted by creation time), a dispatch group
//! its own partition (`by_parent`); status and channel filter the page.

use crm_http::{Call, ListQuery, Reply};
use crm_kernel::AppError;
use crm_notify::messages::{Message, MESSAGE};
use crm_store::{item, keys, Index, Query};

use crate::App;

const STATUSES: &[&str] = &["queued", "sent", "delivered", "failed", "bounced", "expired"];
const CHANNELS: &[&str] = &["email", "sms", "whatsapp", "inbox"];

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let asked: MessagesQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let mut lq = ListQuery::of(&call);
    let (from, to) = (lq.day_or_time("from"), lq.day_or_time("to"));
    let group = lq.id("dispatch_group_id");
    let status = lq.one_of("status", STATUSES);
    let channel = lq.one_of("channel", CHANNELS);
    lq.finish()?;
    let mut q = match group {
        Some(g) => Query::index(t, Index::ByParent, keys::by_parent_pk(t, "DISPATCH", &g.to_string())),
        None => Query::index(t, Index::ByKind, keys::by_kind_pk(t, MESSAGE)),
    };
    if from.is_some() || to.is_some() {
        // A date `to` includes its whole day: `~` sorts after every time of it.
        q = q.sk_between(from.unwrap_or_default(), format!("{}~", to.unwrap_or_else(|| "9999".into())));
    }
    q = q.descending().limit(limit).after(cursor);
    if let Some(s) = status {
        q = q.filter_eq("status", s);
    }
    if let Some(c) = channel {
        q = q.filter_eq("channel", c);
    }
    let page = app.store.query(q).await?;
    let messages = page.items.into_iter().map(item::from_item::<Message>).collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::list(messages.iter().map(crate::message_view::public).collect::<Vec<_>>(), limit, page.next_cursor))
}

/// The query parameters of `NotifyMessagesList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MessagesQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// A day or an RFC 3339 time.
    pub from: Option<String>,
    /// A day or an RFC 3339 time.
    pub to: Option<String>,
    /// A dispatch.
    pub dispatch_group_id: Option<String>,
    /// A message status.
    pub status: Option<String>,
    /// `email`, `sms`, `whatsapp`, `inbox`.
    pub channel: Option<String>,
}
