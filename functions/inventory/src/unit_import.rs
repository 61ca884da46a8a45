//! Units as an import kind of the shared engine ([`crm_jobs::engine`]): a
//! `POST /v1/units/import` file, a unit per row, each row read as
//! `POST /v1/units` reads its body and written as it writes one.
//!
//! Columns: `building_id` and `code` (required), `name`, `floor`,
//! `unit_type_code`, `size_sqm`, `bedrooms`, `bathrooms`, `view`,
//! `virtual_tour_url`, `length_m`, `width_m`, `height_m`, `owner_user_id`,
//! `price` (minor units), `currency`, and `custom.{code}` for the tenant's
//! unit custom fields (`units.customFields`), typed and checked as the API's. A unit is imported `available`;
//! its status, reservations and price history move by their own routes.
//!
//! Per chunk: rows that do not parse are row errors, and so are rows
//! naming a building or an owner that is not the tenant's, or a unit type
//! code that is not an active code of the tenant's dictionary. A code an
//! earlier row of the file has in the same building, or a unit of the
//! building has already, is a duplicate, reported with the unit and
//! skipped. Each unit's transaction is the API's: the unit, its code
//! marker, the first price-history entry and `unit.created` (audited, so
//! the availability read model counts it), with a place in `units.max`;
//! the buildings' tallies are taken once per transaction.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crm_events::audit::AuditExt;
use crm_events::{Actor, DomainEvent, Subject};
use crm_inventory::building::{Building, BUILDING};
use crm_inventory::status::UnitStatus;
use crm_inventory::unit::{Price, Unit, UnitChanges, UnitFields};
use crm_jobs::engine::{ChunkOutcome, ImportRow, Verdict};
use crm_jobs::job::{Duplicate, Job, RowError};
use crm_kernel::fields::Input;
use crm_kernel::{AppError, EntityId, FieldError, Timestamp, UserId};
use crm_records::custom_fields::{self, Definition};
use crm_store::item::ItemExt;
use crm_store::tx::Condition;
use crm_store::{item, keys, Tx};
use serde_json::{json, Map, Value};

use crate::{catalogue, pricing, App};

pub const COLUMNS: &[&str] = &[
    "building_id",
    "code",
    "name",
    "floor",
    "unit_type_code",
    "size_sqm",
    "bedrooms",
    "bathrooms",
    "view",
    "virtual_tour_url",
    "length_m",
    "width_m",
    "height_m",
    "owner_user_id",
    "price",
    "currency",
];
/// Whole-number columns: a cell that reads as one is passed as a number.
const INTEGERS: &[&str] = &["floor", "bedrooms", "bathrooms", "price"];
/// Decimal columns.
const DECIMALS: &[&str] = &["size_sqm", "length_m", "width_m", "height_m"];

/// The units kind of import.
pub struct UnitRows;

/// A parsed row: what `POST /v1/units` takes (its custom values in `fields`).
#[derive(Debug, Clone)]
pub struct UnitRow {
    pub building_id: EntityId,
    pub fields: UnitFields,
    pub price: Price,
}

/// A row's cells as the JSON body they stand for: numbers in the numeric
/// columns when the cell reads as one (else the text, which the parser
/// then names as not a number).
fn typed(body: &Value) -> Value {
    let mut out = Map::new();
    for (k, v) in body.as_object().into_iter().flatten() {
        let text = v.as_str().unwrap_or_default();
        let number = if INTEGERS.contains(&k.as_str()) {
            text.parse::<i64>().ok().map(Value::from)
        } else if DECIMALS.contains(&k.as_str()) {
            text.parse::<f64>().ok().filter(|n| n.is_finite()).map(Value::from)
        } else {
            None
        };
        out.insert(k.clone(), number.unwrap_or_else(|| v.clone()));
    }
    Value::Object(out)
}

/// The code of a row as an identity: unique within its building, in any
/// case (as its code marker, [`Unit::code_marker`], holds it).
fn identity(building: EntityId, code: &str) -> String {
    format!("{} in building {building}", code.to_lowercase())
}

fn unit_id_of(item: &crm_store::Item) -> Option<String> {
    item.str_attr("unit_id").map(str::to_string)
}

impl ImportRow for UnitRows {
    type Ctx = App;
    type Fields = UnitRow;
    type Record = Unit;
    const COLUMNS: &'static [&'static str] = COLUMNS;
    const REQUIRED: &'static [&'static str] = &["building_id", "code"];
    const ENTITY: &'static str = "unit";
    const LIMIT: &'static str = "units.max";
    const COUNTER: &'static str = "units_used";
    /// A building's existence check and its tally, once per transaction.
    const SHARED_PER_RECORD: usize = 2;

    fn parse(body: &Value) -> Result<UnitRow, AppError> {
        let mut c: UnitChanges = crm_kernel::fields::from_value(typed(body))?;
        let building = std::mem::take(&mut c.building_id);
        let parsed = UnitFields::apply(&UnitFields::blank(), c, true);
        let building_id = match building {
            Input::Given(id) => Ok(id),
            _ => Err(FieldError::new("building_id", "must be the id of a building")),
        };
        match (parsed, building_id) {
            (Ok((fields, Some(price))), Ok(building_id)) => Ok(UnitRow { building_id, fields, price }),
            (Ok((_, None)), Ok(_)) => Err(AppError::invalid("price", "is required")),
            (parsed, building_id) => {
                let mut errors: Vec<FieldError> = building_id.err().into_iter().collect();
                errors.extend(parsed.err().map(|e| e.details().to_vec()).unwrap_or_default());
                Err(AppError::invalid_fields(errors))
            }
        }
    }

    fn with_custom(f: UnitRow, values: custom_fields::Values) -> UnitRow {
        UnitRow { fields: UnitFields { custom_fields: values, ..f.fields }, ..f }
    }

    fn custom(f: &UnitRow) -> &custom_fields::Values {
        &f.fields.custom_fields
    }

    fn identities(f: &UnitRow) -> Vec<(&'static str, String)> {
        vec![("code", identity(f.building_id, &f.fields.code))]
    }

    /// Buildings and owners of the tenant (one batch read each), unit type
    /// codes active in its dictionary (one query).
    async fn check_references(app: &App, job: &Job, rows: &[(u32, UnitRow)]) -> Result<Vec<(u32, FieldError)>, AppError> {
        let t = job.tenant_id;
        let buildings = buildings(app, job, rows.iter().map(|(_, r)| r.building_id)).await?;
        let owners: Vec<UserId> = rows.iter().filter_map(|(_, r)| r.fields.owner_user_id).collect::<BTreeSet<_>>().into_iter().collect();
        let users: HashSet<UserId> = crm_directory::get_many(&app.store, t, &owners).await?.into_iter().flatten().map(|u| u.id).collect();
        let types = catalogue::unit_types(&app.store, t).await?;
        let mut out = Vec::new();
        for (row, r) in rows {
            if !buildings.contains_key(&r.building_id) {
                out.push((*row, FieldError::new("building_id", "no such building in this tenant")));
            } else if let Err(why) = crm_dictionaries::check(&types, &r.fields.unit_type_code) {
                out.push((*row, FieldError::new("unit_type_code", why)));
            } else if r.fields.owner_user_id.is_some_and(|u| !users.contains(&u)) {
                out.push((*row, FieldError::new("owner_user_id", "is not a user of this tenant")));
            }
        }
        Ok(out)
    }

    /// Units of the buildings holding the rows' codes (one batch read of their code markers).
    async fn holders(app: &App, job: &Job, rows: &[(u32, UnitRow)]) -> Result<HashMap<u32, Duplicate>, AppError> {
        let markers: Vec<_> = rows.iter().map(|(_, r)| Unit::code_marker(job.tenant_id, r.building_id, &r.fields.code)).collect();
        let held = app.store.get_many(&markers).await?;
        Ok(rows
            .iter()
            .zip(held)
            .filter_map(|((row, r), marker)| {
                let holder = marker.as_ref().and_then(unit_id_of)?;
                let d =
                    Duplicate { unit_id: Some(holder), ..Duplicate::earlier_row(*row, "code", &identity(r.building_id, &r.fields.code)) };
                Some((*row, d))
            })
            .collect())
    }

    /// The units, in their building's project; a row whose building was
    /// deleted since [`ImportRow::check_references`] read it is a row error.
    async fn build(app: &App, job: &Job, rows: Vec<(u32, UnitRow)>, out: &mut ChunkOutcome) -> Result<Vec<(u32, Unit)>, AppError> {
        let buildings = buildings(app, job, rows.iter().map(|(_, r)| r.building_id)).await?;
        let now = Timestamp::now();
        Ok(rows
            .into_iter()
            .filter_map(|(row, r)| {
                let Some(building) = buildings.get(&r.building_id) else {
                    out.reject(row, &[FieldError::new("building_id", "no such building in this tenant")]);
                    return None;
                };
                let project_id = building.project_id;
                let unit = Unit {
                    id: EntityId::new(),
                    tenant_id: job.tenant_id,
                    project_id,
                    building_id: r.building_id,
                    fields: r.fields,
                    price: r.price.price,
                    currency: r.price.currency,
                    status: UnitStatus::Available,
                    reservation_id: None,
                    deal_id: None,
                    scheduled_price: None,
                    created_by: job.created_by,
                    created_at: now,
                    updated_at: now,
                    version: 1,
                };
                Some((row, unit))
            })
            .collect())
    }

    fn id(u: &Unit) -> (&'static str, EntityId) {
        ("unit_id", u.id)
    }

    fn items(job: &Job, defs: &[Definition], u: &Unit, tx: Tx) -> Result<Tx, AppError> {
        let t = job.tenant_id;
        let data = json!({
            "code": u.fields.code, "unit_type_code": u.fields.unit_type_code, "building_id": u.building_id, "project_id": u.project_id,
            "price": u.price, "currency": u.currency, "status": u.status, "job_id": job.id,
            "availability": catalogue::availability(None, Some(u)),
        });
        let subject = Subject { kind: "unit".into(), id: u.id.to_string() };
        let event = DomainEvent::new(t, crm_events::types::UNIT_CREATED, Actor::user(job.created_by), subject, data);
        let marker =
            item::to_item(&Unit::code_marker(t, u.building_id, &u.fields.code), &json!({ "unit_id": u.id }))?.with_str("kind", "marker");
        let tx = crm_records::write::unique_values(tx, Self::ENTITY, defs, &Default::default(), &u.fields.custom_fields)?;
        Ok(tx
            .put_new("unit", u.to_item()?)
            .put_new("unit_code", marker)
            .put("price_history", pricing::history_item(u, None, job.created_by, u.created_at)?)
            .emit_audited(&event))
    }

    /// Each building once: still there (`ref:building_id`), its tally of units counted up.
    fn shared(job: &Job, units: &[&Unit], tx: Tx) -> Tx {
        let mut per_building: BTreeMap<EntityId, i64> = BTreeMap::new();
        for u in units {
            *per_building.entry(u.building_id).or_default() += 1;
        }
        per_building.into_iter().fold(tx, |tx, (b, n)| {
            let t = job.tenant_id;
            tx.check("ref:building_id", &Building::key(t, b), Condition::exists()).add(
                "tally",
                &keys::children_tally(t, BUILDING, b),
                &[("units", n)],
                Condition::always(),
            )
        })
    }

    /// A code another unit took meanwhile is a duplicate (with that unit);
    /// a building deleted meanwhile a row error.
    async fn refused(app: &App, job: &Job, row: u32, u: &Unit, label: &str) -> Result<Verdict, AppError> {
        let error =
            |field: &str, message: &str| Verdict::Error(RowError { row, field: field.into(), message: format!("{field}: {message}") });
        Ok(match label {
            "ref:building_id" => error("building_id", "the building was deleted meanwhile"),
            "unit_code" => {
                let marker = app.store.get(&Unit::code_marker(job.tenant_id, u.building_id, &u.fields.code)).await?;
                let value = identity(u.building_id, &u.fields.code);
                Verdict::Duplicate(Duplicate {
                    unit_id: marker.as_ref().and_then(unit_id_of),
                    ..Duplicate::earlier_row(row, "code", &value)
                })
            }
            other => error("row", &format!("refused ({other})")),
        })
    }
}

/// The tenant's buildings among `ids` (one batch read).
async fn buildings(app: &App, job: &Job, ids: impl Iterator<Item = EntityId>) -> Result<HashMap<EntityId, Building>, AppError> {
    let ids: Vec<EntityId> = ids.collect::<BTreeSet<_>>().into_iter().collect();
    let keys: Vec<_> = ids.iter().map(|b| Building::key(job.tenant_id, *b)).collect();
    let found = app.store.get_many(&keys).await?;
    let mut out = HashMap::new();
    for (id, it) in ids.into_iter().zip(found) {
        if let Some(it) = it {
            out.insert(id, item::from_item::<Building>(it)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_jobs::engine::{header, parse_row};

    fn record(cells: &[&str]) -> csv::StringRecord {
        csv::StringRecord::from(cells.to_vec())
    }

    #[test]
    fn rows_parse_as_the_api_body_with_numbers_from_cells() {
        let b = EntityId::new().to_string();
        let head = header::<UnitRows>(
            &record(&["Building ID", "Code", "Unit Type Code", "Floor", "Size SQM", "Bedrooms", "Price", "Currency"]),
            &[],
        )
        .unwrap();
        let ok = parse_row::<UnitRows>(&head, &[], &record(&[&b, "A-101", "APT", "3", "92.456", "2", "250000000", "aed"])).unwrap();
        assert_eq!(ok.building_id.to_string(), b);
        assert_eq!(
            (ok.fields.code.as_str(), ok.fields.floor, ok.fields.bedrooms, ok.fields.size_sqm),
            ("A-101", Some(3), Some(2), Some(92.46))
        );
        assert_eq!((ok.price.price, ok.price.currency.code()), (250_000_000, "AED"));
        let bad = parse_row::<UnitRows>(&head, &[], &record(&["nope", "", "APT", "third", "-1", "99", "1.5", "ZZZ"])).unwrap_err();
        let fields: BTreeSet<String> = bad.into_iter().map(|e| e.field).collect();
        let expected = ["building_id", "code", "floor", "size_sqm", "bedrooms", "price", "currency"];
        assert_eq!(fields, expected.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>());
    }

    #[test]
    fn a_file_needs_its_building_and_code_columns_and_no_status() {
        let missing = header::<UnitRows>(&record(&["code", "price"]), &[]).unwrap_err();
        assert_eq!(missing.details()[0].field, "columns.building_id");
        let status = header::<UnitRows>(&record(&["building_id", "code", "status"]), &[]).unwrap_err();
        assert_eq!(status.details()[0].field, "columns.status");
    }
}
