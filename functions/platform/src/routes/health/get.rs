//! `GET /health` — public liveness: the function runs. Touches nothing.

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use serde_json::json;

use crate::App;

pub async fn handle(_app: &App, _call: Call) -> Result<Reply, AppError> {
    Ok(Reply::ok(json!({ "status": "ok", "service": "crm", "version": env!("CARGO_PKG_VERSION") })))
}
