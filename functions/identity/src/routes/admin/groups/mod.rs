//! Groups (ADR 0011): `GET|POST /v1/admin/groups`,
//! `GET|PATCH|DELETE /v1/admin/groups/{id}`, `POST|DELETE
//! /v1/admin/groups/{id}/members`. A group's grant (active, default roles,
//! overrides) lives in the tenant's access model, written in the same
//! transaction as the group, so the authorizer applies it on the next request.

pub mod delete;
pub mod get;
pub mod id_get;
pub mod members;
pub mod patch;
pub mod post;

use crm_events::Subject;
use crm_http::Call;
use crm_kernel::{AppError, EntityId};

use crate::group::Group;
use crate::App;

pub(crate) async fn load(app: &App, call: &Call) -> Result<Group, AppError> {
    let t = call.principal()?.tenant_id;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    app.store.get_as(&Group::key(t, id)).await?.ok_or(AppError::NotFound)
}

pub(crate) fn subject(g: &Group) -> Subject {
    Subject { kind: "group".into(), id: g.id.to_string() }
}

/// A transaction failure on a group write, as the caller should see it.
pub(crate) fn refused(e: crm_store::StoreError, code: &str) -> AppError {
    match &e {
        crm_store::StoreError::ConditionFailed { label } if label == "code" => {
            AppError::Conflict(format!("another group has the code `{code}`"))
        }
        crm_store::StoreError::ConditionFailed { label } if label == "group" => AppError::PreconditionFailed,
        _ => crate::access::conflict(e),
    }
}
