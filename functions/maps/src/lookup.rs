//! The records a path names (another tenant's, or a malformed id, is
//! `404`), an overlay's layers and shapes, the events the routes emit, and
//! what a refused transaction means.

use crm_auth::Principal;
use crm_events::{DomainEvent, EventType, Subject};
use crm_http::Call;
use crm_kernel::{AppError, EntityId, Limit, TenantId};
use crm_maps::layer::{self, Layer};
use crm_maps::map_shape::{self, MapShape};
use crm_maps::overlay::Overlay;
use crm_store::{item, Query, Store, StoreError};
use serde_json::Value;

/// The id in the path parameter `name` (`404` when it is not one).
pub fn path_id(call: &Call, name: &str) -> Result<EntityId, AppError> {
    EntityId::parse(&call.path(name)?).map_err(|_| AppError::NotFound)
}

/// `402 PLAN_REQUIRED` unless the tenant's plan has the maps.
pub fn enabled(p: &Principal) -> Result<(), AppError> {
    p.entitlements.require_feature("maps.enabled")
}

pub async fn overlay(store: &Store, t: TenantId, id: EntityId) -> Result<Overlay, AppError> {
    store.get_as(&Overlay::key(t, id)).await?.ok_or(AppError::NotFound)
}

/// The overlay `{id}` of the caller's tenant, the maps enabled.
pub async fn overlay_of(store: &Store, call: &Call) -> Result<Overlay, AppError> {
    let p = call.principal()?;
    enabled(p)?;
    overlay(store, p.tenant_id, path_id(call, "id")?).await
}

/// The overlay's plan size: `409` until its file is confirmed.
pub fn size_of(overlay: &Overlay) -> Result<(f64, f64), AppError> {
    overlay.size().ok_or_else(|| AppError::Conflict("the overlay's plan is not uploaded yet: confirm its upload first".into()))
}

pub async fn layer(store: &Store, t: TenantId, overlay: EntityId, id: EntityId) -> Result<Layer, AppError> {
    store.get_as(&Layer::key(t, overlay, id)).await?.ok_or(AppError::NotFound)
}

/// Every item of the overlay's partition under `prefix`, in sort-key order.
async fn children<T: serde::de::DeserializeOwned>(store: &Store, t: TenantId, overlay: EntityId, prefix: &str) -> Result<Vec<T>, AppError> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let q = Query::table(t, Overlay::pk(t, overlay)).sk_begins_with(prefix).limit(Limit::max()).after(cursor).consistent();
        let page = store.query(q).await?;
        for it in page.items {
            out.push(item::from_item(it)?);
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// The overlay's layers, by `order_index`.
pub async fn layers(store: &Store, t: TenantId, overlay: EntityId) -> Result<Vec<Layer>, AppError> {
    let mut all: Vec<Layer> = children(store, t, overlay, layer::PREFIX).await?;
    all.sort_by_key(|l| (l.order_index, l.created_at));
    Ok(all)
}

/// The overlay's shapes (strongly consistent: what a check relies on).
pub async fn shapes(store: &Store, t: TenantId, overlay: EntityId) -> Result<Vec<MapShape>, AppError> {
    children(store, t, overlay, map_shape::PREFIX).await
}

/// The shape `{id}` of the caller's tenant, through its pointer.
pub async fn shape_of(store: &Store, call: &Call) -> Result<(Overlay, MapShape), AppError> {
    let p = call.principal()?;
    enabled(p)?;
    let t = p.tenant_id;
    let id = path_id(call, "id")?;
    let pointer: Value = store.get_as(&MapShape::pointer(t, id)).await?.ok_or(AppError::NotFound)?;
    let overlay_id = pointer.get("overlay_id").and_then(Value::as_str).and_then(|s| EntityId::parse(s).ok()).ok_or(AppError::NotFound)?;
    let shape: MapShape = store.get_as(&MapShape::key(t, overlay_id, id)).await?.ok_or(AppError::NotFound)?;
    Ok((overlay(store, t, overlay_id).await?, shape))
}

/// A field error on each of `watchers` that is not a user of the tenant.
pub async fn check_watchers(store: &Store, t: TenantId, watchers: &[crm_kernel::UserId]) -> Result<(), AppError> {
    let found = crm_directory::get_many(store, t, watchers).await?;
    let missing: Vec<crm_kernel::FieldError> = found
        .iter()
        .enumerate()
        .filter(|(_, u)| u.is_none())
        .map(|(i, _)| crm_kernel::FieldError::new(format!("watchers[{i}]"), "no such user in this tenant"))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid_fields(missing))
    }
}

/// `412` when `If-Match` names another version.
pub fn if_match(call: &Call, version: u64) -> Result<(), AppError> {
    match call.if_match()? {
        Some(v) if v != version => Err(AppError::PreconditionFailed),
        _ => Ok(()),
    }
}

/// An event about a `subject` record `id`, caused by the call's user.
pub fn event(call: &Call, kind: EventType, subject: &str, id: EntityId, data: Value) -> Result<DomainEvent, AppError> {
    DomainEvent::caused_by(call, kind, Subject { kind: subject.into(), id: id.to_string() }, data)
}

/// What a refused maps transaction means: a stale version `412`, a layer
/// written meanwhile `409`, a plan limit `422`, a missing reference a field error.
pub fn refused(p: &Principal, e: StoreError) -> AppError {
    match &e {
        StoreError::ConditionFailed { label } => {
            if let Some(limit) = crm_records::write::quota_refused(p, label) {
                return limit;
            }
            match label.as_str() {
                "overlay" | "shape" | "layer" => AppError::PreconditionFailed,
                "layer_revision" | "unit_layer_revision" => {
                    AppError::Conflict("another shape of the layer was saved meanwhile: check again and retry".into())
                }
                "overlay_seen" => {
                    AppError::Conflict("the overlay changed meanwhile (aligned, renamed or deleted): check again and retry".into())
                }
                "layers_max" => AppError::LimitReached { key: "maps.layers.max".into(), limit: layer::MAX_PER_OVERLAY as i64 },
                "shapes_max" => AppError::LimitReached { key: "maps.overlay.shapes.max".into(), limit: map_shape::MAX_PER_OVERLAY as i64 },
                l if l.strip_prefix("layer").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) => {
                    AppError::Conflict("a layer of the overlay was deleted meanwhile: retry".into())
                }
                other => match other.strip_prefix("ref:") {
                    Some(field) => AppError::invalid(field, "no such record in this tenant"),
                    None => e.into(),
                },
            }
        }
        _ => e.into(),
    }
}
