//! `GET /v1/openapi.json` — the OpenAPI 3.1 document. It is generated from
//! the route tables of every context (`cargo run -p devserver -- openapi`),
//! committed as `docs/openapi.json`, and a test fails when it is stale.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub const DOCUMENT: &str = include_str!("../../../../../docs/openapi.json");

pub async fn handle(_app: &App, _call: Call) -> Result<Reply, AppError> {
    let doc: serde_json::Value = serde_json::from_str(DOCUMENT).map_err(AppError::internal)?;
    Ok(Reply::bare(doc).header("cache-control", "public, max-age=300"))
}
