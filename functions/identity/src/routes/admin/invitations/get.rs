//! `GET /v1/admin/invitations` — the tenant's pending invitations, soonest
//! to expire first, cursor paginated: one key-condition Query of the
//! tenant's open-invitation index (an accepted, expired or revoked
//! invitation leaves it).

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::{item, Index, Query};

use super::InvitationView;
use crate::onetime::OneTime;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let asked: InvitationsQuery = call.query_as()?;
    let limit = asked.limit.unwrap_or_default();
    // Past expiry but not yet swept is not pending.
    let q = Query::index(t, Index::ByLookup, OneTime::open_invitations_pk(t))
        .sk_between(Timestamp::now().to_string(), "~")
        .limit(limit)
        .after(asked.cursor);
    let page = app.store.query(q).await?;
    let list = page.items.into_iter().map(item::from_item::<OneTime>).collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::list(list.iter().map(InvitationView::of).collect::<Vec<_>>(), limit, page.next_cursor))
}

/// The query parameters of `InvitationsList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationsQuery {
    /// Page size, 1 to 100.
    pub limit: Option<crm_kernel::Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
