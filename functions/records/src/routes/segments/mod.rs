//! Segments: `GET|POST /v1/segments?entity=`, `PATCH|DELETE /v1/segments/{id}`,
//! `GET /v1/segments/{id}/run`.

pub mod delete;
pub mod get;
pub mod patch;
pub mod post;
pub mod run_get;

use crm_http::Call;
use crm_kernel::{AppError, EntityId};

use crate::segment::Segment;
use crate::App;

pub(crate) async fn load(app: &App, call: &Call) -> Result<Segment, AppError> {
    let t = call.principal()?.tenant_id;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    app.store.get_as(&Segment::key(t, id)).await?.ok_or(AppError::NotFound)
}

pub(crate) fn subject(s: &Segment) -> crm_events::Subject {
    crm_events::Subject { kind: "segment".into(), id: s.id.to_string() }
}

pub(crate) fn check_name(name: &str) -> Result<String, AppError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 120 {
        return Err(AppError::invalid("name", "must be 1-120 characters"));
    }
    Ok(n.to_string())
}
