//! Companies: `POST|GET /v1/companies`, `GET|PATCH|DELETE /v1/companies/{id}`.

pub mod delete;
pub mod get;
pub mod id_get;
pub mod patch;
pub mod post;

use crm_http::Call;
use crm_kernel::{AppError, EntityId};
use serde_json::{json, Value};

use crate::company::Company;
use crate::App;

pub(crate) async fn load(app: &App, call: &Call) -> Result<Company, AppError> {
    let t = call.principal()?.tenant_id;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    app.store.get_as(&Company::key(t, id)).await?.ok_or(AppError::NotFound)
}

pub(crate) fn subject(c: &Company) -> crm_events::Subject {
    crm_events::Subject { kind: "company".into(), id: c.id.to_string() }
}

pub(crate) fn public(c: &Company) -> Value {
    let mut v = serde_json::to_value(c).unwrap_or_default();
    v["phone"] = json!(c.fields.phone.as_ref().map(|p| p.as_str()));
    v
}
