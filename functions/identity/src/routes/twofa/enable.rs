//! `POST /v1/auth/twofa/{channel}/enable` — see the module docs.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    super::set(app, call, true).await
}
