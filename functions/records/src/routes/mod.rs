//! One module per route: `routes/{resource}/{action}.rs`.

pub mod companies;
pub mod contacts;
pub mod custom_fields;
pub mod jobs;
pub mod leads;
pub mod segments;

use crm_auth::Principal;
use crm_events::{Actor, DomainEvent, Subject};
use crm_http::Call;
use crm_kernel::{AppError, UserId};
use serde_json::Value;

/// A domain event caused by the caller, tagged with the request.
pub(crate) fn event(call: &Call, kind: &str, subject: Subject, data: Value) -> Result<DomainEvent, AppError> {
    let p = call.principal()?;
    Ok(DomainEvent::new(p.tenant_id, kind, Actor::user(p.user_id), subject, data).with_request_id(call.request_id()))
}

pub use crm_records::write::may_edit;
pub(crate) use crm_records::write::{
    changes, custom_conflict, owner_filter, quota_refused, release_quota, require_edit, take_quota, unique_values,
};

/// Checks that `user` is a user of the caller's tenant (an owner to assign).
pub(crate) async fn check_owner(app: &crate::App, tenant: crm_kernel::TenantId, user: Option<UserId>) -> Result<(), AppError> {
    crm_records::write::check_owner(&app.store, tenant, user).await
}

/// The custom-field values a write leaves on a record of `entity` ([`crm_records::write::custom_values`]).
pub(crate) async fn custom_values(
    app: &crate::App,
    p: &Principal,
    entity: &str,
    base: &crate::custom_fields::Values,
    body: &Value,
    creating: bool,
    tx: crm_store::Tx,
) -> Result<(crate::custom_fields::Values, crm_store::Tx), AppError> {
    crm_records::write::custom_values(&app.store, p, entity, base, body, creating, tx).await
}

/// Making a record private takes `contacts.privateRecords`.
pub(crate) fn check_private(p: &Principal, was: bool, is: bool) -> Result<(), AppError> {
    if is && !was {
        p.entitlements.require_feature("contacts.privateRecords")?;
    }
    Ok(())
}
