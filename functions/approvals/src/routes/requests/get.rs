//! `GET /v1/approvals/requests[?for=me][&requested_by=me][&state=]` —
//! `for=me`: what waits for the caller's decision (their queue, one key
//! condition); `requested_by=me`: the caller's own requests; otherwise the
//! tenant's requests newest first (deciders only; others get their own).

use crm_auth::rbac;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Limit};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Query};

use crate::App;
use crm_approvals::request::{ApprovalRequest, REQUEST};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    // Unknown or mistyped parameters are refused; the readers below interpret the rest.
    let _: RequestsQuery = call.query_as()?;
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let state = call.query("state");
    if let Some(s) = &state {
        if !["pending", "approved", "rejected", "cancelled"].contains(&s.as_str()) {
            return Err(AppError::invalid("state", "must be pending, approved, rejected or cancelled"));
        }
    }
    let limit = Limit::parse(call.query("limit").as_deref())?;
    if call.query("for").as_deref() == Some("me") {
        let q = Query::table(t, ApprovalRequest::queue_pk(t, p.user_id)).limit(limit).after(call.query("cursor"));
        let page = app.store.query(q).await?;
        let ids: Vec<_> = page.items.iter().filter_map(|it| it.str_attr("request_id")).filter_map(|s| EntityId::parse(s).ok()).collect();
        let found = app.store.get_many(&ids.iter().map(|id| ApprovalRequest::key(t, *id)).collect::<Vec<_>>()).await?;
        let requests: Vec<ApprovalRequest> = found.into_iter().flatten().filter_map(|it| item::from_item(it).ok()).collect();
        return Ok(Reply::list(requests, limit, page.next_cursor));
    }
    let own = call.query("requested_by").as_deref() == Some("me") || !p.can(rbac::APPROVALS_DECIDE);
    let q = if own {
        Query::index(t, Index::ByOwner, keys::by_owner_pk(t, REQUEST, &p.user_id.to_string()))
    } else {
        Query::index(t, Index::ByKind, keys::by_kind_pk(t, REQUEST))
    };
    let q = match &state {
        Some(s) => q.filter_eq("state_code", s.clone()),
        None => q,
    };
    let page = app.store.query(q.descending().limit(limit).after(call.query("cursor"))).await?;
    let requests = page.items.into_iter().map(item::from_item::<ApprovalRequest>).collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::list(requests, limit, page.next_cursor))
}

/// The query parameters of `ApprovalRequestsList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestsQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// `pending`, `approved`, `rejected`, `cancelled`.
    pub state: Option<String>,
    /// `me`: the requests the caller may decide now.
    #[serde(rename = "for")]
    pub for_: Option<String>,
    /// `me`: the caller's own requests.
    pub requested_by: Option<String>,
}
