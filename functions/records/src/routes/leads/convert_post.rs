//! `POST /v1/leads/{id}/convert` — the lead becomes a contact, maybe a
//! company, and optionally a deal, in **one transaction**:
//!
//! ```json
//! { "contact_id": "…",        // link this contact; else the contact the lead duplicates; else a new one
//!   "company_id": "…",        // link this company; else the one its email domain names; else a new one from company_name
//!   "create_company": true,    // false: no new company
//!   "deal": { "name": "…", "amount": 5000000, "currency": "USD", "pipeline_id": "…", "stage_id": "…", "close_date": "…" } }
//! ```
//!
//! The lead is kept, `converted`, with what it became. A retry — after a
//! timeout, a crash, or a second click racing the first — finds it
//! converted and answers the same conversion (`200`) without writing
//! anything: nothing is ever created twice. Owner, manager or admin, with
//! `lead.convert` (and `contact.create` / `company.create` / `deal.create`
//! for what it creates). `lead.converted`; the owner is told.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::conversion::ConvertRequest;
use crate::lead::Lead;
use crate::leads::convert::{convert, Converted};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let lead = super::load(app, &call).await?;
    let asked: ConvertRequest = if call.body_bytes()?.is_empty() { ConvertRequest::default() } else { call.json()? };
    crm_records::write::require_edit(&p, lead.fields.owner_user_id)?;
    Ok(match convert(app, &p, call.request_id(), lead, &asked).await? {
        Converted::Now(next) => done(&next, 201).etag(next.version),
        Converted::Already(lead) => done(&lead, 200),
    })
}

/// The answer: the lead and what it became (`201` when this call converted it).
fn done(lead: &Lead, status: u16) -> Reply {
    let body = Outcome { lead: lead.clone(), conversion: lead.conversion.clone(), converted_now: status == 201 };
    if status == 201 {
        Reply::with_status(201, body)
    } else {
        Reply::ok(body)
    }
}

/// A conversion's answer: the lead and what it became.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Outcome {
    pub lead: Lead,
    pub conversion: Option<crate::lead::Conversion>,
    /// `true` when this call converted it (`201`).
    pub converted_now: bool,
}
