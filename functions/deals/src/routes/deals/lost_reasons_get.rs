//! `GET /v1/deals/lost-reasons` — the coded dictionary `mark-lost` takes,
//! with English and Arabic labels for the frontend's picker.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Limit};

use crate::App;
use crm_deals::deal::LOST_REASON_LABELS;

pub async fn handle(_app: &App, _call: Call) -> Result<Reply, AppError> {
    let list: Vec<LostReason> =
        LOST_REASON_LABELS.iter().map(|&(code, en, ar)| LostReason { code, label: crm_kernel::schema::Label { en, ar } }).collect();
    Ok(Reply::list(list, Limit::max(), None))
}

/// A lost-reason code and its labels.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct LostReason {
    pub code: &'static str,
    pub label: crm_kernel::schema::Label,
}
