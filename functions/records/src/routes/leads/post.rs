//! `POST /v1/leads` — a lead (source `manual` unless given). Without an
//! `owner_user_id` the tenant's assignment rules choose one (or none);
//! with `leads.scoring` it is scored by the tenant's rules, the parts
//! returned. `duplicates` lists the contacts and companies it may be.

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::Tx;

use crate::lead::{LeadChanges, LeadFields};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let mut changes: LeadChanges = call.json()?;
    let custom = std::mem::take(&mut changes.custom_fields);
    let mut fields = LeadFields::apply(&LeadFields::blank("manual"), changes)?;
    let (values, tx) = crm_records::write::custom_values(&app.store, &p, "lead", &Default::default(), custom, true, Tx::new()).await?;
    fields.custom_fields = values;
    let lead = crate::leads::create(app, &p, Some(call.request_id()), fields, tx).await?;
    Ok(Reply::created(format!("/v1/leads/{}", lead.id), &lead).etag(lead.version))
}
