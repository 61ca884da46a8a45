//! `GET /v1/units?project=&building=&type=&status=&min_price=&max_price=&bedrooms=&min_size=&max_size=`
//! — units, cursor paginated, without a Scan. One key condition picks the
//! list: a `building`'s units by code, else a `project`'s, else the
//! tenant's; in the last two the sort key is
//! `{status}#{unit_type_code}#{price}`, so `status`, then `type`, then the
//! price range are key conditions. What no key condition covers is a
//! filter on that query (a page may then hold fewer than `limit`):
//! `bedrooms` and the size range always; `type` without `status`; the
//! price range without both `status` and `type`; everything but the
//! building in a building's list.

use crm_http::{Call, ListQuery, Reply};
use crm_inventory::building::BUILDING;
use crm_inventory::status::UnitStatus;
use crm_inventory::unit::{Unit, UNIT};
use crm_kernel::AppError;
use crm_store::{item, keys, Filter, Index, Query};

use crate::App;

/// The query parameters of `UnitsList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitsQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// A project id.
    pub project: Option<String>,
    /// A building id.
    pub building: Option<String>,
    /// A unit type code (`APT`).
    #[serde(rename = "type")]
    pub unit_type: Option<String>,
    /// `available`, `reserved`, `sold`, `hold`, `unavailable`.
    pub status: Option<String>,
    /// Minor units.
    pub min_price: Option<String>,
    /// Minor units.
    pub max_price: Option<String>,
    /// Exactly this many bedrooms.
    pub bedrooms: Option<String>,
    /// Whole square metres.
    pub min_size: Option<String>,
    /// Whole square metres.
    pub max_size: Option<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let asked: UnitsQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let mut lq = ListQuery::of(&call);
    let (project, building) = (lq.id("project"), lq.id("building"));
    let status = lq.one_of("status", UnitStatus::ALL);
    let unit_type = lq.text("type");
    if unit_type.as_ref().is_some_and(|c| c.is_empty() || c.len() > 64 || c.contains('#')) {
        lq.error("type", "must be a unit type code");
    }
    let (min_price, max_price) = (lq.int("min_price", " of minor units"), lq.int("max_price", " of minor units"));
    let bedrooms = lq.int("bedrooms", "");
    let (min_size, max_size) = (lq.int("min_size", " of square metres"), lq.int("max_size", " of square metres"));
    for (name, v) in [("min_price", min_price), ("max_price", max_price)] {
        if v.is_some_and(|n| n < 0) {
            lq.error(name, "must not be negative");
        }
    }
    lq.finish()?;
    let mut filters: Vec<Filter> = Vec::new();
    filters.extend(bedrooms.map(|n| Filter::AtLeast("bedrooms".into(), n)));
    filters.extend(bedrooms.map(|n| Filter::AtMost("bedrooms".into(), n)));
    filters.extend(min_size.map(|n| Filter::AtLeast("size_sqm".into(), n)));
    filters.extend(max_size.map(|n| Filter::AtMost("size_sqm".into(), n)));
    let price_filters = |filters: &mut Vec<Filter>| {
        filters.extend(min_price.map(|n| Filter::AtLeast("price".into(), n)));
        filters.extend(max_price.map(|n| Filter::AtMost("price".into(), n)));
    };
    let q = if let Some(b) = building {
        filters.extend(status.map(|s| Filter::eq("status", s)));
        filters.extend(unit_type.clone().map(|c| Filter::eq("unit_type_code", c)));
        filters.extend(project.map(|p| Filter::eq("project_id", p.to_string())));
        price_filters(&mut filters);
        Query::index(t, Index::ByParent, keys::by_parent_pk(t, BUILDING, &b.to_string()))
    } else {
        let q = match project {
            Some(pr) => Query::index(t, Index::ByLookup, Unit::project_pk(t, pr)),
            None => Query::index(t, Index::ByKind, keys::by_kind_pk(t, UNIT)),
        };
        match (status, unit_type) {
            (Some(s), Some(c)) if min_price.is_some() || max_price.is_some() => {
                let lo = min_price.unwrap_or(0);
                let hi = max_price.unwrap_or(crm_inventory::unit::MAX_PRICE);
                q.sk_between(format!("{s}#{c}#{lo:019}#"), format!("{s}#{c}#{hi:019}#~"))
            }
            (Some(s), Some(c)) => q.sk_begins_with(format!("{s}#{c}#")),
            (Some(s), None) => {
                price_filters(&mut filters);
                q.sk_begins_with(format!("{s}#"))
            }
            (None, c) => {
                filters.extend(c.map(|c| Filter::eq("unit_type_code", c)));
                price_filters(&mut filters);
                q
            }
        }
    };
    let mut q = q.limit(limit).after(cursor);
    for f in filters {
        q = q.filter(f);
    }
    let page = app.store.query(q).await?;
    let units: Vec<Unit> = page.items.into_iter().map(item::from_item).collect::<Result<_, _>>()?;
    Ok(Reply::list(units, limit, page.next_cursor))
}
