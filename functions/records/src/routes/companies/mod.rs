//! Companies: `POST|GET /v1/companies`, `GET|PATCH|DELETE /v1/companies/{id}`.

pub mod delete;
pub mod get;
pub mod id_get;
pub mod patch;
pub mod post;

use crm_http::Call;
use crm_kernel::{AppError, EntityId};

use crate::company::Company;
use crate::App;

/// The company `{id}`, if the caller may see it (else `404`).
pub(crate) async fn load(app: &App, call: &Call) -> Result<Company, AppError> {
    let p = call.principal()?;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    let c: Company = app.store.get_as(&Company::key(p.tenant_id, id)).await?.ok_or(AppError::NotFound)?;
    crm_auth::audience::require_visible(&app.store, p, c.fields.owner_user_id, false).await?;
    Ok(c)
}
