//! `$default` — the API's default route: whatever the API does not serve
//! answers `404 NOT_FOUND` in the envelope, not the gateway's bare 404.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(_app: &App, _call: Call) -> Result<Reply, AppError> {
    Err(AppError::RouteNotFound)
}
