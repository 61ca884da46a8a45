//! `POST /v1/deals` — a deal in `pipeline_id` (default: the default
//! pipeline) at `stage_id` (default: its first open stage); the owner
//! defaults to the caller. One transaction: the deal, its board tallies,
//! its first history entry, the linked contacts' and companies' existence,
//! the `deals.max` quota, `deal.created` and the owner's notice.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Currency};
use crm_store::Tx;

use crate::App;
use crm_deals::deal::{DealChanges, DealFields};
use crm_deals::write;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let mut changes: DealChanges = call.json()?;
    let (pipeline_id, stage_id, custom) =
        (std::mem::take(&mut changes.pipeline_id), std::mem::take(&mut changes.stage_id), std::mem::take(&mut changes.custom_fields));
    let owner_given = changes.owner_user_id.is_present();
    let usd = Currency::parse("USD")?;
    let mut fields = DealFields::apply(&DealFields::blank(usd), changes, true)?;
    if !owner_given {
        fields.owner_user_id = Some(p.user_id);
    }
    let (pipeline, stage) = write::placement(&app.store, p.tenant_id, pipeline_id, stage_id).await?;
    let (values, tx) = crm_records::write::custom_values(&app.store, &p, "deal", &Default::default(), custom, true, Tx::new()).await?;
    fields.custom_fields = values;
    let new = write::NewDeal { pipeline: &pipeline, stage: &stage, fields, lead_id: None, standalone: true };
    let (deal, tx) = write::create(&app.store, &p, Some(call.request_id()), new, tx).await?;
    app.store.transact(tx).await.map_err(|e| write::refused(&p, e))?;
    Ok(Reply::created(format!("/v1/deals/{}", deal.id), deal.public(&p)).etag(deal.version))
}
