//! The application layer every inventory route shares: the records a path
//! names (another tenant's, or a malformed id, is `404`), the checks a
//! write makes against the coded dictionaries, the events, and what a
//! refused transaction means.

use crm_auth::Principal;
use crm_dictionaries::Entry;
use crm_events::{DomainEvent, EventType, Subject};
use crm_http::Call;
use crm_inventory::building::Building;
use crm_inventory::codes::{COMPONENT_TYPE_CODES, UNIT_TYPE_CODES};
use crm_inventory::project::Project;
use crm_inventory::unit::Unit;
use crm_kernel::{AppError, EntityId, TenantId};
use crm_store::{Store, StoreError};
use serde_json::{json, Value};

/// The id in the path parameter `name` (`404` when it is not one).
pub fn path_id(call: &Call, name: &str) -> Result<EntityId, AppError> {
    EntityId::parse(&call.path(name)?).map_err(|_| AppError::NotFound)
}

pub async fn project(store: &Store, t: TenantId, id: EntityId) -> Result<Project, AppError> {
    store.get_as(&Project::key(t, id)).await?.ok_or(AppError::NotFound)
}

pub async fn building(store: &Store, t: TenantId, id: EntityId) -> Result<Building, AppError> {
    store.get_as(&Building::key(t, id)).await?.ok_or(AppError::NotFound)
}

pub async fn unit(store: &Store, t: TenantId, id: EntityId) -> Result<Unit, AppError> {
    store.get_as(&Unit::key(t, id)).await?.ok_or(AppError::NotFound)
}

/// The unit `{id}` of the caller's tenant.
pub async fn unit_of(store: &Store, call: &Call) -> Result<Unit, AppError> {
    unit(store, call.principal()?.tenant_id, path_id(call, "id")?).await
}

/// `412` when `If-Match` names another version.
pub fn if_match(call: &Call, version: u64) -> Result<(), AppError> {
    match call.if_match()? {
        Some(v) if v != version => Err(AppError::PreconditionFailed),
        _ => Ok(()),
    }
}

/// Takes one of a unit's `max` places of `what` (`components`, `media`) in
/// `tx`, on the unit's tally: two concurrent creates cannot pass the limit.
/// The transaction fails with the label `{what}_max` when it is full.
pub fn take_place(tx: crm_store::Tx, t: TenantId, unit: EntityId, what: &str, max: usize) -> crm_store::Tx {
    let key = crm_store::keys::children_tally(t, crm_inventory::unit::UNIT, unit);
    crm_store::usage::take_at(tx, &format!("{what}_max"), &key, what, max as i64, None)
}

/// Gives back a place [`take_place`] took.
pub fn give_place(tx: crm_store::Tx, t: TenantId, unit: EntityId, what: &str) -> crm_store::Tx {
    let key = crm_store::keys::children_tally(t, crm_inventory::unit::UNIT, unit);
    tx.add(
        &format!("{what}_release"),
        &key,
        &[(what, -1)],
        crm_store::tx::Condition::new("#u0 > :zero").value(":zero", crm_store::AttributeValue::N("0".into())),
    )
}

/// The ISO 4217 currency `input` names, or `default` when absent or `null`;
/// an unknown one is a field error on `currency`.
pub fn currency_or(
    f: &mut crm_kernel::fields::Fields,
    input: crm_kernel::fields::Input<String>,
    default: crm_kernel::Currency,
) -> crm_kernel::Currency {
    match f.value("currency", input, "must be an ISO 4217 code") {
        Some(Some(c)) => crm_kernel::Currency::parse(&c).unwrap_or_else(|_| {
            f.error("currency", "must be a supported ISO 4217 code such as USD, EGP, AED");
            default
        }),
        _ => default,
    }
}

/// A field error when `code` is not an active code of `entries` (its dictionary).
pub fn check_code(entries: &[Entry], field: &str, code: &str) -> Result<(), AppError> {
    crm_dictionaries::check(entries, code).map_err(|why| AppError::invalid(field, why))
}

pub async fn unit_types(store: &Store, t: TenantId) -> Result<Vec<Entry>, AppError> {
    crm_dictionaries::load(store, t, &UNIT_TYPE_CODES).await
}

pub async fn component_types(store: &Store, t: TenantId) -> Result<Vec<Entry>, AppError> {
    crm_dictionaries::load(store, t, &COMPONENT_TYPE_CODES).await
}

/// An event about a `kind` record `id`, caused by the call's user.
pub fn event(call: &Call, kind: EventType, subject: &str, id: EntityId, data: Value) -> Result<DomainEvent, AppError> {
    DomainEvent::caused_by(call, kind, Subject { kind: subject.into(), id: id.to_string() }, data)
}

/// An event about a unit by the system (the reactor, the clock).
pub fn system_event(t: TenantId, kind: EventType, unit: EntityId, data: Value) -> DomainEvent {
    DomainEvent::new(t, kind, crm_events::Actor::system(), Subject { kind: "unit".into(), id: unit.to_string() }, data)
}

/// What the availability projector reads from a unit event: the unit's
/// snapshot before and after the change.
pub fn availability(before: Option<&Unit>, after: Option<&Unit>) -> Value {
    json!({ "before": before.map(Unit::snapshot), "after": after.map(Unit::snapshot) })
}

/// What a refused inventory transaction means: a stale version `412`, a
/// taken code `409`, a plan limit `422`, a missing reference a field error.
pub fn refused(p: &Principal, e: StoreError) -> AppError {
    match &e {
        StoreError::ConditionFailed { label } => {
            if let Some(limit) = crm_records::write::quota_refused(p, label) {
                return limit;
            }
            if let Some(taken) = crm_records::write::custom_conflict(label) {
                return taken;
            }
            match label.as_str() {
                "unit" | "project" | "building" | "component" | "reservation" | "plan" | "approval_grant" => AppError::PreconditionFailed,
                "unit_code" => AppError::Conflict("a unit of the building has this code already".into()),
                "building_name" => AppError::Conflict("a building of the project has this name already".into()),
                "components_max" => {
                    AppError::LimitReached { key: "unit.components.max".into(), limit: crm_inventory::component::MAX_PER_UNIT as i64 }
                }
                "media_max" => AppError::LimitReached { key: "unit.media.max".into(), limit: crm_inventory::media::MAX_PER_UNIT as i64 },
                other => match other.strip_prefix("ref:") {
                    Some(field) => AppError::invalid(field, "no such record in this tenant"),
                    None => e.into(),
                },
            }
        }
        _ => e.into(),
    }
}
