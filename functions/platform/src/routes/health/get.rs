//! `GET /health` — public liveness: the function runs. Touches nothing.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(_app: &App, _call: Call) -> Result<Reply, AppError> {
    Ok(Reply::ok(Live { status: "ok", service: "crm", version: env!("CARGO_PKG_VERSION") }))
}

/// The function runs.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Live {
    pub status: &'static str,
    pub service: &'static str,
    pub version: &'static str,
}
