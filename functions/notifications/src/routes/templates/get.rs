//! `GET /v1/notify/templates?channel=&family=&locale=` — the tenant's
//! templates (by family: its own partition; otherwise all, by family order).

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::{item, keys, Index, Query};

use crate::App;
use crm_notify::tenant::{TenantTemplate, TEMPLATE};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let asked: TemplatesQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let mut q = match call.query("family") {
        Some(f) => Query::index(t, Index::ByParent, TenantTemplate::family_pk(t, f.trim())),
        None => Query::index(t, Index::ByKind, keys::by_kind_pk(t, TEMPLATE)),
    };
    q = q.limit(limit).after(cursor);
    if let Some(c) = call.query("channel") {
        if !["email", "sms", "whatsapp", "inbox"].contains(&c.as_str()) {
            return Err(AppError::invalid("channel", "must be email, sms, whatsapp or inbox"));
        }
        q = q.filter_eq("channel", c);
    }
    if let Some(l) = call.query("locale") {
        q = q.filter_eq("locale", l);
    }
    let page = app.store.query(q).await?;
    let items = page.items.into_iter().map(item::from_item::<TenantTemplate>).collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::list(items, limit, page.next_cursor))
}

/// The query parameters of `NotifyTemplatesList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplatesQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// A template family (`deal.won`).
    pub family: Option<String>,
    /// `email`, `sms`, `whatsapp`, `inbox`.
    pub channel: Option<String>,
    /// `en` or `ar`.
    pub locale: Option<String>,
}
