//! `GET /v1/projects/{id}/availability` — the project's units by status and
//! by status × type, and the value still available per currency: the read
//! model the `unit.*` events keep ([`crate::availability`]).

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::{availability, catalogue, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let project = catalogue::project(&app.store, t, catalogue::path_id(&call, "id")?).await?;
    Ok(Reply::ok(availability::read(&app.store, t, project.id).await?))
}
