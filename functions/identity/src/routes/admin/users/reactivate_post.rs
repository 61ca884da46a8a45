//! `POST /v1/admin/users/{id}/reactivate` — see [`super::lifecycle`].

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use super::lifecycle::{run, Action};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    run(app, call, Action::Reactivate).await
}
