//! `GET|POST|DELETE /v1/admin/roles/hierarchy` `{parent_role, child_role}` —
//! the tenant's role tree (ADR 0011): a parent role inherits every
//! permission of its children, transitively; an edge that would close a
//! cycle is `422 ROLE_CYCLE`. Applied by the authorizer on the next request;
//! `role.hierarchy.changed` with the edge.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::Tx;
use serde::Deserialize;
use serde_json::json;

use crate::App;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Edge {
    parent_role: String,
    child_role: String,
}

pub async fn get(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let m = crate::access::load(&app.store, t).await?;
    let inherits_from = crm_auth::rbac::ROLES.iter().map(|r| (r.to_string(), m.descendants(r))).collect();
    Ok(Reply::ok(Hierarchy { edges: m.hierarchy, inherits_from: Some(inherits_from) }))
}

pub async fn post(app: &App, call: Call) -> Result<Reply, AppError> {
    change(app, call, true).await
}

pub async fn delete(app: &App, call: Call) -> Result<Reply, AppError> {
    change(app, call, false).await
}

async fn change(app: &App, call: Call, add: bool) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let e: Edge = call.json()?;
    let read = crate::access::load(&app.store, p.tenant_id).await?;
    let next = if add {
        read.add_edge(&e.parent_role, &e.child_role)?
    } else {
        let mut n = read.clone();
        let before = n.hierarchy.len();
        n.hierarchy.retain(|x| !(x.parent_role == e.parent_role && x.child_role == e.child_role));
        if n.hierarchy.len() == before {
            return Err(AppError::NotFound);
        }
        n
    };
    if next == read {
        return Ok(Reply::ok(Hierarchy { edges: read.hierarchy, inherits_from: None }));
    }
    // An edge hands the child's permissions to every holder of the parent.
    let mut granted: Vec<String> = read.descendants(&e.child_role).into_iter().collect();
    granted.extend([e.parent_role.clone(), e.child_role.clone()]);
    crm_auth::grant::check_grant(&crm_auth::grant::Granter::new(&p, &read), &granted)?;
    crate::access::refuse_self_change(&app.store, &p, &read, &next).await?;
    let subject = Subject { kind: "role".into(), id: e.parent_role.clone() };
    let data = json!({ "action": if add { "added" } else { "removed" }, "parent_role": e.parent_role, "child_role": e.child_role });
    let event = super::super::super::event(&call, p.tenant_id, crm_events::types::ROLE_HIERARCHY_CHANGED, p.user_id, subject, data);
    let edges = next.hierarchy.clone();
    let tx = crate::access::save(Tx::new().emit_audited(&event), p.tenant_id, &read, next)?;
    app.store.transact(tx).await.map_err(crate::access::conflict)?;
    let body = Hierarchy { edges, inherits_from: None };
    Ok(if add { Reply::created("/v1/admin/roles/hierarchy", body) } else { Reply::ok(body) })
}

/// The role hierarchy: its edges (and, read, what each role inherits).
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Hierarchy {
    pub edges: Vec<crm_auth::access::RoleEdge>,
    /// Per role, every role it inherits from, transitively (`GET` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inherits_from: Option<std::collections::BTreeMap<String, std::collections::BTreeSet<String>>>,
}
