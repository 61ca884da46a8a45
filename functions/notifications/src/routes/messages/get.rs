//! `GET /v1/notify/messages?status=&channel=&from=&to=&dispatch_group_id=` —
//! the tenant's outbox, newest first, cursor paginated. The date range is
//! the key condition (`by_kind` sorted by creation time), a dispatch group
//! its own partition (`by_parent`); status and channel filter the page.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, FieldError};
use crm_notify::messages::{Message, MESSAGE};
use crm_store::{item, keys, Index, Query};

use crate::App;

const STATUSES: &[&str] = &["queued", "sent", "delivered", "failed", "bounced", "expired"];
const CHANNELS: &[&str] = &["email", "sms", "whatsapp", "inbox"];

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let (limit, cursor) = call.page()?;
    let mut errors = Vec::new();
    let bound = |name: &str| -> Option<String> {
        let raw = call.query(name)?;
        match crm_kernel::time::parse_date(name, &raw) {
            Ok(d) => Some(d.to_string()),
            Err(_) => crm_kernel::Timestamp::parse(&raw).ok().map(|t| t.to_string()),
        }
    };
    let from = bound("from");
    let to = bound("to");
    for (name, v) in [("from", &from), ("to", &to)] {
        if call.query(name).is_some() && v.is_none() {
            errors.push(FieldError::new(name, "must be a date (YYYY-MM-DD) or an RFC 3339 time"));
        }
    }
    let group =
        call.query("dispatch_group_id").map(|g| EntityId::parse(&g).map_err(|_| FieldError::new("dispatch_group_id", "must be an id")));
    let group = match group.transpose() {
        Ok(g) => g,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let status = call.query("status");
    if status.as_deref().is_some_and(|s| !STATUSES.contains(&s)) {
        errors.push(FieldError::new("status", format!("must be one of {}", STATUSES.join(", "))));
    }
    let channel = call.query("channel");
    if channel.as_deref().is_some_and(|c| !CHANNELS.contains(&c)) {
        errors.push(FieldError::new("channel", format!("must be one of {}", CHANNELS.join(", "))));
    }
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
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
