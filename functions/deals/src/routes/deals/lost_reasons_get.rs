//! `GET /v1/deals/lost-reasons` — the coded dictionary `mark-lost` takes,
//! with English and Arabic labels for the frontend's picker.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Limit};
use serde_json::json;

use crate::App;
use crm_deals::deal::LOST_REASON_LABELS;

pub async fn handle(_app: &App, _call: Call) -> Result<Reply, AppError> {
    let list: Vec<_> = LOST_REASON_LABELS.iter().map(|(code, en, ar)| json!({ "code": code, "label": { "en": en, "ar": ar } })).collect();
    Ok(Reply::list(list, Limit::max(), None))
}
