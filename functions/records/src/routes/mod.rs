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
use crm_kernel::AppError;
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

/// Making a record private takes `contacts.privateRecords`.
pub(crate) fn check_private(p: &Principal, was: bool, is: bool) -> Result<(), AppError> {
    if is && !was {
        p.entitlements.require_feature("contacts.privateRecords")?;
    }
    Ok(())
}
