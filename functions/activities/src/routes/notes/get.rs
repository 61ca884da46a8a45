//! `GET /v1/notes/{id}` — one note. Another tenant's id is simply absent
//! from this tenant's keys: 404.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId};
use crm_store::keys;

use crate::note::{Note, KIND};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let principal = call.principal()?;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    let note: Note = app.store.get_as(&keys::entity(principal.tenant_id, KIND, id)).await?.ok_or(AppError::NotFound)?;
    let version = note.version;
    Ok(Reply::ok(note).etag(version))
}
