//! Leads (ADR 0015): `GET|POST /v1/leads`, `GET|PATCH|DELETE
//! /v1/leads/{id}`, `POST /v1/leads/{id}/convert|score`, the CSV import
//! `POST /v1/leads/import`, the web-form capture `POST /v1/leads/capture`,
//! and the tenant's rules `GET|PUT /v1/leads/scoring-rules|assignment`.
//!
//!
//! What the routes share with the import worker is the application layer,
//! [`crate::leads`].

pub mod assignment;
pub mod capture_post;
pub mod convert_post;
pub mod delete;
pub mod get;
pub mod id_get;
pub mod import_post;
pub mod patch;
pub mod post;
pub mod score_post;
pub mod scoring_rules;

use crm_http::Call;
use crm_kernel::{AppError, EntityId};

use crate::lead::Lead;
use crate::App;

/// The lead `{id}`, if the caller may see it (else `404`).
pub(crate) async fn load(app: &App, call: &Call) -> Result<Lead, AppError> {
    let p = call.principal()?;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    let l: Lead = app.store.get_as(&Lead::key(p.tenant_id, id)).await?.ok_or(AppError::NotFound)?;
    crm_auth::audience::require_visible(&app.store, p, l.fields.owner_user_id, false).await?;
    Ok(l)
}
