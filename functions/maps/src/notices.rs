//! The maps' notices (M3CoreCRM §8), an inbox entry and an email per
//! recipient, queued in the change's own transaction:
//!
//! * `map.shape.changed` — a shape drawn, redrawn or deleted, shapes imported: the
//!   overlay's watchers, never the editor;
//! * `map.overlay.published` / `map.overlay.unpublished` — the project's
//!   owner (who created it) and the overlay's creator, never who acted;
//! * `map.shape.invalid` — a validation that failed: the editor, with each
//!   problem and its suggested fix.

use crm_http::Call;
use crm_inventory::project::Project;
use crm_kernel::{AppError, UserId};
use crm_maps::map_shape::MapShape;
use crm_maps::overlay::Overlay;
use crm_store::{Store, Tx};
use serde_json::{json, Value};

use crate::advice::Problem;
use crate::App;

fn payload(overlay: &Overlay, extra: Value) -> Value {
    let mut v = json!({ "overlay": overlay.name, "overlay_id": overlay.id });
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    v
}

async fn queue(
    store: &Store,
    overlay: &Overlay,
    actor: UserId,
    users: Vec<UserId>,
    family: &str,
    payload: Value,
    tx: Tx,
) -> Result<Tx, AppError> {
    let users = crm_notify::users::others(users, actor);
    let notice = crm_notify::users::Notice { family, payload, source: format!("maps.{family}") };
    crm_notify::users::queue(store, overlay.tenant_id, Some(actor), &users, notice, tx).await
}

/// `map.shape.changed` (`change`: `created`, `updated`, `deleted`), to the overlay's watchers.
pub async fn shape_changed(
    store: &Store,
    overlay: &Overlay,
    shape: &MapShape,
    change: &str,
    actor: UserId,
    tx: Tx,
) -> Result<Tx, AppError> {
    let extra = json!({ "shape": shape.label, "shape_id": shape.id, "change": change, "version": shape.version });
    queue(store, overlay, actor, overlay.watchers.clone(), "map.shape.changed", payload(overlay, extra), tx).await
}

/// `map.shape.changed` for `count` shapes imported at once (`change`: `imported`), to the overlay's watchers.
pub async fn shapes_imported(store: &Store, overlay: &Overlay, count: usize, actor: UserId, tx: Tx) -> Result<Tx, AppError> {
    let extra = json!({ "shape": format!("{count} shapes"), "count": count, "change": "imported", "version": 1 });
    queue(store, overlay, actor, overlay.watchers.clone(), "map.shape.changed", payload(overlay, extra), tx).await
}

/// `map.overlay.published` or `map.overlay.unpublished`, to the project's owner and the overlay's creator.
pub async fn publication(store: &Store, overlay: &Overlay, family: &str, actor: UserId, tx: Tx) -> Result<Tx, AppError> {
    let mut users = vec![overlay.created_by];
    if let Some(pid) = overlay.project_id {
        users.extend(store.get_as::<Project>(&Project::key(overlay.tenant_id, pid)).await?.map(|p| p.created_by));
    }
    queue(store, overlay, actor, users, family, payload(overlay, json!({})), tx).await
}

/// `map.shape.invalid`, to the editor who asked: best effort, a failure is logged.
pub async fn validation_failed(app: &App, call: &Call, overlay: &Overlay, shape: &MapShape, problems: &[Problem]) {
    let Ok(p) = call.principal() else { return };
    let details: Vec<String> = problems.iter().map(|x| format!("{} at {}: {} — {}", x.rule, x.field, x.message, x.suggestion)).collect();
    let extra = json!({ "shape": shape.label, "shape_id": shape.id, "problems": details.join("\n"), "count": problems.len() });
    let notice = crm_notify::users::Notice {
        family: "map.shape.invalid",
        payload: payload(overlay, extra),
        source: "maps.map.shape.invalid".into(),
    };
    let sent = async {
        let tx = crm_notify::users::queue(&app.store, overlay.tenant_id, Some(p.user_id), &[p.user_id], notice, Tx::new()).await?;
        app.store.transact(tx).await.map_err(AppError::from)
    };
    if let Err(e) = sent.await {
        tracing::warn!(error = %e, shape = %shape.id, "the validation notice was not queued");
    }
}
