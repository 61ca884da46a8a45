//! `GET /v1/projects/{id}` — the project with its buildings (by name) and
//! its units counted by status (from the availability read model).

use crm_http::{Call, Reply};
use crm_inventory::availability::Availability;
use crm_inventory::building::Building;
use crm_inventory::project::{Project, PROJECT};
use crm_kernel::{AppError, Limit};
use crm_store::{item, keys, Index, Query};

use crate::{availability, catalogue, App};

/// A project, its buildings and its unit counts.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct ProjectView {
    #[serde(flatten)]
    pub project: Project,
    /// Up to 100 buildings, by name.
    pub buildings: Vec<Building>,
    pub units: Availability,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let project = catalogue::project(&app.store, t, catalogue::path_id(&call, "id")?).await?;
    let q = Query::index(t, Index::ByParent, keys::by_parent_pk(t, PROJECT, &project.id.to_string())).limit(Limit::max());
    let (page, units) =
        tokio::try_join!(async { Ok::<_, AppError>(app.store.query(q).await?) }, availability::read(&app.store, t, project.id))?;
    let buildings: Vec<Building> = page.items.into_iter().map(item::from_item).collect::<Result<_, _>>()?;
    let version = project.version;
    Ok(Reply::ok(ProjectView { project, buildings, units }).etag(version))
}
