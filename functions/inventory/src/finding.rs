//! Finding units without a Scan — what `GET /v1/units` lists and
//! `POST /v1/units/export` writes. One key condition picks the list: a
//! `building`'s units by code, else a `project`'s, else the tenant's; in the
//! last two the sort key is `{status}#{unit_type_code}#{price}`, so
//! `status`, then `type`, then the price range are key conditions. What no
//! key condition covers is a filter on that query (a page may then hold
//! fewer than `limit`): `bedrooms` and the size range always; `type`
//! without `status`; the price range without both `status` and `type`;
//! everything but the building in a building's list.

use crm_http::{Call, ListQuery};
use crm_inventory::building::BUILDING;
use crm_inventory::status::UnitStatus;
use crm_inventory::unit::{Unit, MAX_PRICE, UNIT};
use crm_kernel::{AppError, EntityId, FieldError, Limit, TenantId};
use crm_store::{item, keys, Filter, Index, Query, Store};
use serde::{Deserialize, Serialize};

/// Which units: every criterion optional, all of them must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitFilter {
    /// A project id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<EntityId>,
    /// A building id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub building: Option<EntityId>,
    /// A unit type code (`APT`).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub unit_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<UnitStatus>,
    /// Minor units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_price: Option<i64>,
    /// Minor units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_price: Option<i64>,
    /// Exactly this many bedrooms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bedrooms: Option<i64>,
    /// Whole square metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_size: Option<i64>,
    /// Whole square metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size: Option<i64>,
}

impl UnitFilter {
    /// The filter of a list's query string, every bad parameter named.
    pub fn from_query(call: &Call) -> Result<Self, AppError> {
        let mut lq = ListQuery::of(call);
        let status = lq.one_of("status", UnitStatus::ALL).and_then(|s| UnitStatus::parse(&s));
        let f = Self {
            project: lq.id("project"),
            building: lq.id("building"),
            unit_type: lq.text("type"),
            status,
            min_price: lq.int("min_price", " of minor units"),
            max_price: lq.int("max_price", " of minor units"),
            bedrooms: lq.int("bedrooms", ""),
            min_size: lq.int("min_size", " of square metres"),
            max_size: lq.int("max_size", " of square metres"),
        };
        lq.absorb(f.problems());
        lq.finish()?;
        Ok(f)
    }

    /// `400` naming what a filter from a body gets wrong.
    pub fn validate(&self) -> Result<(), AppError> {
        match self.problems() {
            p if p.is_empty() => Ok(()),
            p => Err(AppError::invalid_fields(p)),
        }
    }

    fn problems(&self) -> Vec<FieldError> {
        let mut out = Vec::new();
        if self.unit_type.as_ref().is_some_and(|c| c.is_empty() || c.len() > 64 || c.contains('#')) {
            out.push(FieldError::new("type", "must be a unit type code"));
        }
        for (name, v) in [("min_price", self.min_price), ("max_price", self.max_price)] {
            if v.is_some_and(|n| !(0..=MAX_PRICE).contains(&n)) {
                out.push(FieldError::new(name, "must be between 0 and 10^18 minor units"));
            }
        }
        out
    }

    /// The query: its key condition and the filters no key condition covers.
    pub fn query(&self, t: TenantId) -> Query {
        let mut filters: Vec<Filter> = Vec::new();
        filters.extend(self.bedrooms.map(|n| Filter::AtLeast("bedrooms".into(), n)));
        filters.extend(self.bedrooms.map(|n| Filter::AtMost("bedrooms".into(), n)));
        filters.extend(self.min_size.map(|n| Filter::AtLeast("size_sqm".into(), n)));
        filters.extend(self.max_size.map(|n| Filter::AtMost("size_sqm".into(), n)));
        let (min_price, max_price) = (self.min_price, self.max_price);
        let price_filters = |filters: &mut Vec<Filter>| {
            filters.extend(min_price.map(|n| Filter::AtLeast("price".into(), n)));
            filters.extend(max_price.map(|n| Filter::AtMost("price".into(), n)));
        };
        let status = self.status.map(UnitStatus::as_str);
        let q = if let Some(b) = self.building {
            filters.extend(status.map(|s| Filter::eq("status", s)));
            filters.extend(self.unit_type.clone().map(|c| Filter::eq("unit_type_code", c)));
            filters.extend(self.project.map(|p| Filter::eq("project_id", p.to_string())));
            price_filters(&mut filters);
            Query::index(t, Index::ByParent, keys::by_parent_pk(t, BUILDING, &b.to_string()))
        } else {
            let q = match self.project {
                Some(pr) => Query::index(t, Index::ByLookup, Unit::project_pk(t, pr)),
                None => Query::index(t, Index::ByKind, keys::by_kind_pk(t, UNIT)),
            };
            match (status, &self.unit_type) {
                (Some(s), Some(c)) if min_price.is_some() || max_price.is_some() => {
                    let lo = min_price.unwrap_or(0);
                    let hi = max_price.unwrap_or(MAX_PRICE);
                    q.sk_between(format!("{s}#{c}#{lo:019}#"), format!("{s}#{c}#{hi:019}#~"))
                }
                (Some(s), Some(c)) => q.sk_begins_with(format!("{s}#{c}#")),
                (Some(s), None) => {
                    price_filters(&mut filters);
                    q.sk_begins_with(format!("{s}#"))
                }
                (None, c) => {
                    filters.extend(c.clone().map(|c| Filter::eq("unit_type_code", c)));
                    price_filters(&mut filters);
                    q
                }
            }
        };
        filters.into_iter().fold(q, Query::filter)
    }
}

/// One page of the units `filter` finds, and the cursor of the next.
pub async fn page(
    store: &Store,
    t: TenantId,
    filter: &UnitFilter,
    limit: Limit,
    cursor: Option<String>,
) -> Result<(Vec<Unit>, Option<String>), AppError> {
    let page = store.query(filter.query(t).limit(limit).after(cursor)).await?;
    let units: Vec<Unit> = page.items.into_iter().map(item::from_item).collect::<Result<_, _>>()?;
    Ok((units, page.next_cursor))
}
