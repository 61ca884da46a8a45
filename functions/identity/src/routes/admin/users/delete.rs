//! `DELETE /v1/admin/users/{id}` — removes a user (`user.delete`): the
//! account is deactivated and marked deleted in one transaction with the
//! revocation of its sessions, the seat it frees and the release of its login
//! email (so the address can be invited again). The record stays for audit
//! references but leaves every list and answers `404` from then on.
//! Audited `user.deleted`.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use super::lifecycle::{run, Action};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    run(app, call, Action::Delete).await.map(|_| Reply::no_content())
}
