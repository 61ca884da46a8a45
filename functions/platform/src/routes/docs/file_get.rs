//! `GET /docs/{file}` — the page's scripts: the pinned Redoc bundle and its start-up.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(_app: &App, call: Call) -> Result<Reply, AppError> {
    let (body, max_age) = match call.path("file")?.as_str() {
        // Versioned by its pinned file: cacheable for a day.
        "redoc.standalone.js" => (super::REDOC, 86_400),
        "init.js" => (super::INIT, 300),
        _ => return Err(AppError::NotFound),
    };
    Ok(Reply::text("text/javascript; charset=utf-8", body).header("cache-control", format!("public, max-age={max_age}")))
}
