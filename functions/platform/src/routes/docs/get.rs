//! `GET /docs` — the API reference page.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(_app: &App, _call: Call) -> Result<Reply, AppError> {
    Ok(Reply::text("text/html; charset=utf-8", super::PAGE)
        .header("content-security-policy", super::POLICY)
        .header("cache-control", "public, max-age=300"))
}
