//! One module per route: `routes/{resource}/{action}.rs`.

pub mod companies;
pub mod contacts;
pub mod custom_fields;
pub mod jobs;
pub mod leads;
pub mod segments;

use crm_auth::Principal;
use crm_kernel::AppError;

pub use crm_records::write::may_edit;
pub(crate) use crm_records::write::{changes, custom_conflict, quota_refused, release_quota, require_edit, take_quota};

/// Making a record private takes `contacts.privateRecords`.
pub(crate) fn check_private(p: &Principal, was: bool, is: bool) -> Result<(), AppError> {
    if is && !was {
        p.entitlements.require_feature("contacts.privateRecords")?;
    }
    Ok(())
}
