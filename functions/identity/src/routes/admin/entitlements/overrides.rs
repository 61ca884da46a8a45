//! `GET|PUT /v1/admin/entitlements/overrides/{scope}` — the overrides of the
//! tenant, of a group (`?id=`) or of a user (`?id=`): `{features: {key:
//! bool}, limits: {key: n}}`, known keys only. A `PUT` replaces the scope's
//! overrides; the authorizer applies them on the next request with the
//! precedence user > group (max) > tenant > plan. Overrides only narrow the
//! plan (with the operator's grants): turning on a feature it lacks or
//! raising a limit above it is `422 ENTITLEMENT_ABOVE_PLAN`; the operator
//! sells more through `PUT /v1/ops/tenants/{id}/entitlements`.
//! `entitlement.override.changed` (the spec's name).

use crm_auth::access::Overrides;
use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, UserId};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::model::User;
use crate::App;

enum Scope {
    Tenant,
    Group(String),
    User(Box<User>),
}

async fn scope(app: &App, call: &Call) -> Result<Scope, AppError> {
    let t = call.principal()?.tenant_id;
    let id = call.query_as::<ScopeQuery>()?.id;
    match call.path("scope")?.as_str() {
        "tenant" => Ok(Scope::Tenant),
        "group" => {
            let id = id.ok_or_else(|| AppError::invalid("id", "give the group id (?id=)"))?;
            let gid = EntityId::parse(&id).map_err(|_| AppError::NotFound)?;
            app.store.get(&crate::group::Group::key(t, gid)).await?.ok_or(AppError::NotFound)?;
            Ok(Scope::Group(gid.to_string()))
        }
        "user" => {
            let id = id.ok_or_else(|| AppError::invalid("id", "give the user id (?id=)"))?;
            let uid = UserId::parse(&id).map_err(|_| AppError::NotFound)?;
            let u: User =
                app.store.get_as(&User::key(t, uid)).await?.filter(|u: &User| u.deleted_at.is_none()).ok_or(AppError::NotFound)?;
            Ok(Scope::User(Box::new(u)))
        }
        _ => Err(AppError::RouteNotFound),
    }
}

pub async fn get(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let m = crate::access::load(&app.store, t).await?;
    let o = match scope(app, &call).await? {
        Scope::Tenant => m.tenant_overrides,
        Scope::Group(g) => m.groups.get(&g).map(|g| g.overrides.clone()).unwrap_or_default(),
        Scope::User(u) => u.entitlement_overrides,
    };
    Ok(Reply::ok(o))
}

pub async fn put(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let overrides = Overrides::parse(call.json::<crm_auth::access::OverridesRequest>()?)?;
    // A tenant admin narrows what was sold; raising is the operator's (`/v1/ops/…`).
    crate::access::load(&app.store, p.tenant_id).await?.check_narrowing(&p.entitlements.plan, &overrides)?;
    let (name, id, tx) = match scope(app, &call).await? {
        Scope::User(u) => {
            let next = User { entitlement_overrides: overrides.clone(), version: u.version + 1, ..(*u).clone() };
            ("user", u.id.to_string(), Tx::new().put_if("user", next.to_item()?, Condition::version_is(u.version)))
        }
        s => {
            let read = crate::access::load(&app.store, p.tenant_id).await?;
            let mut next = read.clone();
            let (name, id) = match s {
                Scope::Group(g) => {
                    next.groups.entry(g.clone()).or_default().overrides = overrides.clone();
                    ("group", g)
                }
                _ => {
                    next.tenant_overrides = overrides.clone();
                    ("tenant", p.tenant_id.to_string())
                }
            };
            (name, id, crate::access::save(Tx::new(), p.tenant_id, &read, next)?)
        }
    };
    let subject = Subject { kind: name.into(), id: id.clone() };
    let event = super::super::super::event(
        &call,
        p.tenant_id,
        crm_events::types::ENTITLEMENT_OVERRIDE_CHANGED,
        p.user_id,
        subject,
        json!({ "scope": name, "id": id, "overrides": overrides }),
    );
    app.store.transact(tx.emit_audited(&event)).await.map_err(crate::access::conflict)?;
    Ok(Reply::ok(overrides))
}

/// The query parameter of an overrides scope (`group` and `user` scopes name one).
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeQuery {
    /// The group or user id.
    pub id: Option<String>,
}
