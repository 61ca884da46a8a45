//! `GET /v1/admin/seats` — the seat view (the spec's `seats.view`): how many
//! seats the plan includes (`users.max` with the tenant's own overrides),
//! how many are used, how many are left, and who holds them — every user who
//! is active or suspended, newest first, cursor paginated (an invitation not
//! yet accepted holds a seat too: it is in `used`). One read of the usage
//! counter, the tenant's access model and one page of its users.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Email, Timestamp, UserId};
use crm_store::{item, keys, Filter, Index, Query};

use crate::model::{Tenant, User, UserStatus, USER};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let asked: SeatsQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let found = app.store.get_many(&[Tenant::key(t), keys::usage(t)]).await?;
    let tenant: Tenant = found[0].clone().map(item::from_item).transpose()?.ok_or(AppError::NotFound)?;
    let used = found[1].as_ref().and_then(|i| crm_store::item::ItemExt::num_attr(i, "seats_used")).unwrap_or(0);
    let included = crate::seats::tenant_entitlements(&app.store, t, &tenant.plan).await?.limit("users.max");
    let q = Query::index(t, Index::ByKind, keys::by_kind_pk(t, USER))
        .descending()
        .limit(limit)
        .after(cursor)
        .filter(Filter::In("status".into(), vec!["active".into(), "suspended".into()]));
    let page = app.store.query(q).await?;
    let holders = page
        .items
        .into_iter()
        .map(item::from_item::<User>)
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|u| u.deleted_at.is_none())
        .map(|u| Holder { user_id: u.id, email: u.email, full_name: u.full_name, status: u.status, since: u.created_at })
        .collect();
    Ok(Reply::ok(Seats { included, used, available: (included - used).max(0), holders, next_cursor: page.next_cursor }))
}

/// The tenant's seats.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Seats {
    /// `users.max` of the plan with the tenant's overrides.
    pub included: i64,
    pub used: i64,
    pub available: i64,
    /// Who holds a seat (a page of them).
    pub holders: Vec<Holder>,
    /// More holders with `?cursor=`.
    pub next_cursor: Option<String>,
}

/// A user holding a seat.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Holder {
    pub user_id: UserId,
    pub email: Email,
    pub full_name: String,
    pub status: UserStatus,
    /// When the seat was taken.
    pub since: Timestamp,
}

/// The query parameters of `SeatsGet`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatsQuery {
    /// Holders per page, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
}
