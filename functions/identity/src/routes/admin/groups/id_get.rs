//! `GET /v1/admin/groups/{id}` — the group, its members and its overrides.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Limit};
use crm_store::{item, Query};

use crate::group::{Group, Member};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let g = super::load(app, &call).await?;
    let q = Query::table(g.tenant_id, Group::key(g.tenant_id, g.id).pk).sk_begins_with(crm_store::keys::MEMBER_PREFIX).limit(Limit::max());
    let members = app.store.query(q).await?.items.into_iter().map(item::from_item::<Member>).collect::<Result<Vec<_>, _>>()?;
    let access = crate::access::load(&app.store, g.tenant_id).await?;
    let overrides = access.groups.get(&g.id.to_string()).map(|gr| gr.overrides.clone()).unwrap_or_default();
    let version = g.version;
    Ok(Reply::ok(GroupView { group: g, members, overrides }).etag(version))
}

/// A group with its members and entitlement overrides.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct GroupView {
    #[serde(flatten)]
    pub group: Group,
    pub members: Vec<Member>,
    pub overrides: crm_auth::access::Overrides,
}
