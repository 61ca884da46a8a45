//! `PUT /v1/ops/promo-codes/{code}` — the operator defines (or redefines)
//! a promo code: a percentage or an amount off, active or not, in a window.

use crm_billing::promo::{PromoCode, PromoRequest};
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::item;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    super::super::require_operator(app, &call)?;
    let mut req: PromoRequest = call.json()?;
    let code = crm_billing::promo::normalise(&call.path("code")?);
    match &req.code {
        crm_kernel::fields::Input::Given(c) if crm_billing::promo::normalise(c) != code => {
            return Err(AppError::invalid("code", "must be the code of the path"));
        }
        _ => req.code = crm_kernel::fields::Input::Given(code),
    }
    let promo = PromoCode::parse(req)?;
    app.store.put(item::to_item(&crate::promos::key(&promo.code), &promo)?).await?;
    Ok(Reply::ok(promo))
}
