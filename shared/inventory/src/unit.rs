//! A unit (the spec's `units`): what is sold. Its code is unique in its
//! building; its type is a code of `unit_type_codes`; its price is in minor
//! units of an ISO 4217 currency and changes only through
//! `POST /v1/units/{id}/price` (with a history entry); its status only
//! through the status machine ([`crate::status`]).
//!
//! Stored as `T#{t}#UNIT#{id}` / `META`, in three lists whose sort key is
//! `{status}#{unit_type_code}#{price:019}#{id}` — the spec's index
//! `units (tenant_id, status, unit_type_code, price)`, so a status, a type
//! and a price range are key conditions:
//!
//! * `by_kind` `UNIT` — the tenant's units;
//! * `by_lookup` `UNITPROJECT#{project}` — a project's units;
//! * `by_parent` `BUILDING#{building}` — a building's units, by code;
//!
//! and, while it is reserved for or sold to a deal, `by_owner`
//! `UNITDEAL#{deal}` — the deal's units (what the reactor acts on).

use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, Currency, EntityId, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

use crate::status::UnitStatus;
use crate::two_decimals;

pub const UNIT: &str = "UNIT";
/// The most a unit costs, in minor units (the spec's `NUMERIC(12,2)` is below it).
pub const MAX_PRICE: i64 = 1_000_000_000_000_000;

/// What a unit is, as the API writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UnitFields {
    /// Unique in its building (`A-1203`).
    pub code: String,
    /// A display name (`شقة ١٢٠٣`).
    #[serde(default)]
    pub name: Option<String>,
    pub floor: Option<i32>,
    /// A code of `unit_type_codes` (`APT`, `VILLA`).
    pub unit_type_code: String,
    pub size_sqm: Option<f64>,
    pub bedrooms: Option<u32>,
    pub bathrooms: Option<u32>,
    pub view: Option<String>,
    /// An https URL (an external tour; nothing is embedded).
    pub virtual_tour_url: Option<String>,
    pub length_m: Option<f64>,
    pub width_m: Option<f64>,
    pub height_m: Option<f64>,
    /// The listing agent told about its reservations and price changes.
    pub owner_user_id: Option<UserId>,
    /// Users told about its price changes (at most 20).
    #[serde(default)]
    pub watchers: Vec<UserId>,
    /// The tenant's custom attributes of units (`units.customFields`), by code.
    #[serde(default)]
    pub custom_fields: crm_records::custom_fields::Values,
}

/// A price set to take effect later (a future-dated price list line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScheduledPrice {
    pub id: EntityId,
    /// Minor units.
    pub price: i64,
    pub currency: Currency,
    pub effective_at: Timestamp,
    pub set_by: UserId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Unit {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub project_id: EntityId,
    pub building_id: EntityId,
    #[serde(flatten)]
    pub fields: UnitFields,
    /// Minor units: 2 500 000 EGP is `250000000`.
    pub price: i64,
    pub currency: Currency,
    pub status: UnitStatus,
    /// The active reservation or courtesy hold.
    #[serde(default)]
    pub reservation_id: Option<EntityId>,
    /// The deal it is reserved for or sold to.
    #[serde(default)]
    pub deal_id: Option<EntityId>,
    /// A price waiting for its time.
    #[serde(default)]
    pub scheduled_price: Option<ScheduledPrice>,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

/// What the availability read model counts of a unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Snapshot {
    pub project_id: EntityId,
    pub status: UnitStatus,
    pub unit_type_code: String,
    pub price: i64,
    pub currency: Currency,
    /// The unit's code and version (absent from events older than the maps' read model).
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub version: u64,
}

impl Snapshot {
    /// The snapshots before and after a change that a `unit.*` event's
    /// `data.availability` carries.
    pub fn of_event(data: &serde_json::Value) -> (Option<Snapshot>, Option<Snapshot>) {
        let read = |k: &str| data.get("availability").and_then(|a| a.get(k)).and_then(|v| serde_json::from_value(v.clone()).ok());
        (read("before"), read("after"))
    }
}

/// The body of `POST /v1/units` and `PATCH /v1/units/{id}`: absent keeps,
/// `null` clears.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct UnitChanges {
    /// Create only: the building (its project follows).
    pub building_id: Input<EntityId>,
    /// Required; 1 to 40 characters, unique in the building.
    #[schemars(length(min = 1, max = 40))]
    pub code: Input<String>,
    #[schemars(length(max = 200))]
    pub name: Input<String>,
    #[schemars(range(min = -10, max = 300))]
    pub floor: Input<i64>,
    /// Required: an active code of `unit_type_codes`.
    #[schemars(length(min = 2, max = 64))]
    pub unit_type_code: Input<String>,
    #[schemars(range(min = 0, max = 1_000_000))]
    pub size_sqm: Input<f64>,
    #[schemars(range(min = 0, max = 50))]
    pub bedrooms: Input<i64>,
    #[schemars(range(min = 0, max = 50))]
    pub bathrooms: Input<i64>,
    #[schemars(length(max = 100))]
    pub view: Input<String>,
    /// `https://` only.
    #[schemars(length(max = 2000), extend("format" = "uri"))]
    pub virtual_tour_url: Input<String>,
    #[schemars(range(min = 0, max = 10_000))]
    pub length_m: Input<f64>,
    #[schemars(range(min = 0, max = 10_000))]
    pub width_m: Input<f64>,
    #[schemars(range(min = 0, max = 10_000))]
    pub height_m: Input<f64>,
    pub owner_user_id: Input<UserId>,
    /// At most 20 user ids, told about price changes.
    #[schemars(length(max = 20))]
    pub watchers: Input<Vec<Input<UserId>>>,
    /// Values of the tenant's unit custom fields by code (`units.customFields`); `null` removes one.
    pub custom_fields: Input<crm_records::custom_fields::Values>,
    /// Create only (then `POST /v1/units/{id}/price`): minor units, 0 to 10^18.
    #[schemars(range(min = 0, max = 1_000_000_000_000_000_i64))]
    pub price: Input<i64>,
    /// Create only: ISO 4217, default USD.
    #[schemars(regex(pattern = r"^[A-Za-z]{3}$"))]
    pub currency: Input<String>,
    /// Refused: `PATCH /v1/units/{id}/status`.
    #[schemars(skip)]
    pub status: Input<serde_json::Value>,
}

fn https(s: &str) -> Result<String, String> {
    match url::Url::parse(s) {
        Ok(u) if u.scheme() == "https" && u.host_str().is_some_and(|h| !h.is_empty()) => Ok(u.to_string()),
        _ => Err("must be an https URL".into()),
    }
}

/// What a create also takes: the price and its currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price {
    pub price: i64,
    pub currency: Currency,
}

impl UnitFields {
    pub fn blank() -> Self {
        Self {
            code: String::new(),
            name: None,
            floor: None,
            unit_type_code: String::new(),
            size_sqm: None,
            bedrooms: None,
            bathrooms: None,
            view: None,
            virtual_tour_url: None,
            length_m: None,
            width_m: None,
            height_m: None,
            owner_user_id: None,
            watchers: Vec::new(),
            custom_fields: Default::default(),
        }
    }

    /// `base` changed by `c`; `creating` also takes the price (returned),
    /// else refuses it. Codes are checked against their dictionary by the
    /// caller; here only their spelling.
    pub fn apply(base: &Self, c: UnitChanges, creating: bool) -> Result<(Self, Option<Price>), AppError> {
        let mut f = Fields::new();
        f.refuse("status", &c.status, "changes with PATCH /v1/units/{id}/status");
        // The route takes `custom_fields` (checked against the tenant's definitions) before this.
        f.refuse("custom_fields", &c.custom_fields, "is checked by the route, never here");
        let mut price = None;
        if creating {
            let amount = match c.price {
                Input::Absent => Some(0),
                other => f.int("price", other, 0..=MAX_PRICE),
            };
            let currency = match f.value("currency", c.currency, "must be an ISO 4217 code such as USD, EGP, AED") {
                None | Some(None) => Some(Currency::parse("USD")?),
                Some(Some(code)) => match Currency::parse(&code) {
                    Ok(cur) => Some(cur),
                    Err(_) => {
                        f.error("currency", "must be a supported ISO 4217 code such as USD, EGP, AED");
                        None
                    }
                },
            };
            if let (Some(price_), Some(currency)) = (amount, currency) {
                price = Some(Price { price: price_, currency });
            }
        } else {
            f.refuse("building_id", &c.building_id, "a unit stays in its building");
            f.refuse("price", &c.price, "changes with POST /v1/units/{id}/price (with its history)");
            f.refuse("currency", &c.currency, "changes with POST /v1/units/{id}/price (with its history)");
        }
        let mut next = base.clone();
        if let Some(v) = f.text("code", c.code, 40) {
            next.code = v.unwrap_or_default();
        }
        if let Some(v) = f.text("name", c.name, 200) {
            next.name = v;
        }
        match c.floor {
            Input::Absent => {}
            Input::Null => next.floor = None,
            other => next.floor = f.int("floor", other, -10..=300).map(|n| n as i32).or(next.floor),
        }
        if let Some(v) = f.set("unit_type_code", c.unit_type_code, "must be a code of unit_type_codes") {
            next.unit_type_code = v.trim().to_string();
        }
        let measure = |f: &mut Fields, key: &str, input: Input<f64>, max: f64, into: &mut Option<f64>| {
            if let Some(v) = f.number(key, input, 0.0..=max) {
                *into = v.map(two_decimals);
            }
        };
        measure(&mut f, "size_sqm", c.size_sqm, 1_000_000.0, &mut next.size_sqm);
        measure(&mut f, "length_m", c.length_m, 10_000.0, &mut next.length_m);
        measure(&mut f, "width_m", c.width_m, 10_000.0, &mut next.width_m);
        measure(&mut f, "height_m", c.height_m, 10_000.0, &mut next.height_m);
        let count = |f: &mut Fields, key: &str, input: Input<i64>, into: &mut Option<u32>| match input {
            Input::Absent => {}
            Input::Null => *into = None,
            other => {
                if let Some(n) = f.int(key, other, 0..=50) {
                    *into = Some(n as u32);
                }
            }
        };
        count(&mut f, "bedrooms", c.bedrooms, &mut next.bedrooms);
        count(&mut f, "bathrooms", c.bathrooms, &mut next.bathrooms);
        if let Some(v) = f.text("view", c.view, 100) {
            next.view = v;
        }
        if let Some(v) = f.parsed("virtual_tour_url", c.virtual_tour_url, 2000, https) {
            next.virtual_tour_url = v;
        }
        if let Some(v) = f.user_id("owner_user_id", c.owner_user_id) {
            next.owner_user_id = v;
        }
        if let Some(list) = f.id_list("watchers", c.watchers, 20, "user") {
            next.watchers = list;
        }
        f.require("code", !next.code.is_empty());
        f.require("unit_type_code", !next.unit_type_code.is_empty());
        f.finish((next, price))
    }
}

impl Unit {
    pub fn key(t: TenantId, id: EntityId) -> Key {
        keys::entity(t, UNIT, id)
    }

    /// The marker that keeps unit codes unique in a building.
    pub fn code_marker(t: TenantId, building: EntityId, code: &str) -> Key {
        keys::unique(t, "UNITCODE", &format!("{building}#{}", code.to_lowercase()))
    }

    /// The partition of a project's units (`by_lookup`).
    pub fn project_pk(t: TenantId, project: EntityId) -> String {
        keys::by_lookup_pk(t, "UNITPROJECT", &project.to_string())
    }

    /// The sort key of the tenant's and a project's lists.
    pub fn sort_key(status: UnitStatus, unit_type_code: &str, price: i64, id: &str) -> String {
        format!("{status}#{unit_type_code}#{price:019}#{id}")
    }

    /// The partition of the units reserved for or sold to a deal (`by_owner`).
    pub fn deal_pk(t: TenantId, deal: EntityId) -> String {
        keys::by_owner_pk(t, "UNITDEAL", &deal.to_string())
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        let t = self.tenant_id;
        let sort = Self::sort_key(self.status, &self.fields.unit_type_code, self.price, &self.id.to_string());
        let item = item::to_item(&Self::key(t, self.id), self)?;
        let item = match self.deal_id {
            Some(d) => item.with_index(Index::ByOwner, Self::deal_pk(t, d), self.id.to_string()),
            None => item,
        };
        Ok(item
            .with_str("kind", "unit")
            .with_index(Index::ByKind, keys::by_kind_pk(t, UNIT), sort.clone())
            .with_index(Index::ByLookup, Self::project_pk(t, self.project_id), sort)
            .with_index(
                Index::ByParent,
                keys::by_parent_pk(t, crate::building::BUILDING, &self.building_id.to_string()),
                format!("{}#{}", self.fields.code.to_lowercase(), self.id),
            ))
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            project_id: self.project_id,
            status: self.status,
            unit_type_code: self.fields.unit_type_code.clone(),
            price: self.price,
            currency: self.currency,
            code: self.fields.code.clone(),
            version: self.version,
        }
    }

    /// The next version of this unit, changed at `now` by `change`.
    pub fn next(&self, now: Timestamp, change: impl FnOnce(&mut Unit)) -> Unit {
        let mut next = self.clone();
        change(&mut next);
        next.updated_at = now;
        next.version = self.version + 1;
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes(v: serde_json::Value) -> UnitChanges {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_unit_is_parsed_whole_with_its_price_on_create_only() {
        let (f, price) = UnitFields::apply(
            &UnitFields::blank(),
            changes(json!({"code": "A-1203", "unit_type_code": "APT", "size_sqm": 120.456, "bedrooms": 3,
                "virtual_tour_url": "https://tours.example.com/a-1203", "price": 250000000, "currency": "egp"})),
            true,
        )
        .unwrap();
        assert_eq!((f.size_sqm, f.bedrooms), (Some(120.46), Some(3)));
        assert_eq!(price, Some(Price { price: 250000000, currency: Currency::parse("EGP").unwrap() }));
        let bad = UnitFields::apply(
            &f,
            changes(json!({"price": 1, "status": "sold", "virtual_tour_url": "http://tours.example.com", "bedrooms": 99, "code": ""})),
            false,
        )
        .unwrap_err();
        let fields: Vec<&str> = bad.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["status", "price", "bedrooms", "virtual_tour_url", "code"]);
        for url in ["javascript:alert(1)", "https://", "ftp://x.example.com"] {
            assert!(https(url).is_err(), "{url}");
        }
    }

    #[test]
    fn the_list_sort_key_orders_by_status_type_then_price() {
        let a = Unit::sort_key(UnitStatus::Available, "APT", 900, "1");
        let b = Unit::sort_key(UnitStatus::Available, "APT", 10_000, "0");
        assert!(a < b, "prices sort as numbers");
        assert!(b.starts_with("available#APT#"));
        assert_eq!(Unit::sort_key(UnitStatus::Sold, "VILLA", MAX_PRICE, "x").len(), "sold#VILLA#".len() + 19 + 2);
    }
}
