//! `GET /v1/units?project=&building=&type=&status=&min_price=&max_price=&bedrooms=&min_size=&max_size=`
//! — units, cursor paginated, without a Scan ([`crate::finding`] says
//! which criteria are key conditions and which a filter).

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::finding::UnitFilter;
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
    let limit = asked.limit.unwrap_or_default();
    let filter = UnitFilter::from_query(&call)?;
    let (units, next) = crate::finding::page(&app.store, t, &filter, limit, asked.cursor).await?;
    Ok(Reply::list(units, limit, next))
}
