//! The plan and product catalogue. It is data (`catalogue.json`, compiled
//! in), not code: the operator's pricing is edited there and reviewed like
//! any change; a test checks every entry against the entitlements registry.
//! Amounts are minor units of the catalogue's currency.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crm_kernel::money::Currency;
use serde::{Deserialize, Serialize};

crm_kernel::named_enum! {
    /// What a product bills: the plan's recurring fee, usage above what a
    /// plan includes, or an add-on (seats beyond the included, discounts).
    pub enum ProductKind { Recurring = "recurring", Usage = "usage", Addon = "addon" }
}

/// A billing product (`billing_products`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub code: String,
    pub label: String,
    pub kind: ProductKind,
    #[serde(default = "active")]
    pub is_active: bool,
}

fn active() -> bool {
    true
}

/// What a plan includes of a metered quantity each month, and the price of
/// each unit above it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UsagePrice {
    pub included: i64,
    pub unit_minor: i64,
    /// The product its overage line bills (`USAGE:SMS`).
    pub product: String,
}

/// A plan (`plans` with its `plan_features`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// `DevFree`, `DevPro`, `Business`.
    pub code: String,
    pub name: String,
    /// Order of plans: a higher tier is an upgrade.
    pub tier: u8,
    pub description: String,
    #[serde(default = "active")]
    pub is_active: bool,
    /// The recurring product of its fee (`PLAN:DEVPRO`).
    pub product: String,
    /// The monthly fee.
    pub fee_minor: i64,
    /// Seats the fee includes.
    pub included_seats: i64,
    /// Each seat above the included, per month; `None`: no add-on seats
    /// (the plan's `users.max` is its included seats).
    pub seat_price_minor: Option<i64>,
    /// Metered quantities by metric code (`sms.sent`).
    pub usage: BTreeMap<String, UsagePrice>,
    /// Feature keys the plan includes.
    pub features: Vec<String>,
    /// Limit keys and their values.
    pub limits: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    pub currency: Currency,
    /// Days of a new tenant's trial.
    pub trial_days: u16,
    pub products: Vec<Product>,
    pub plans: Vec<Plan>,
}

const SOURCE: &str = include_str!("../catalogue.json");

/// The catalogue (parsed once; a malformed file fails the first call, and
/// the unit tests).
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| serde_json::from_str(SOURCE).expect("catalogue.json is valid"))
}

impl Catalogue {
    pub fn plan(&self, code: &str) -> Option<&Plan> {
        self.plans.iter().find(|p| p.code == code)
    }

    /// The plan to fall back to: the lowest tier.
    pub fn free(&self) -> &Plan {
        self.plans.iter().min_by_key(|p| p.tier).expect("the catalogue has plans")
    }

    pub fn product(&self, code: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.code == code)
    }

    /// Plan codes in tier order.
    pub fn codes(&self) -> Vec<&str> {
        let mut plans: Vec<&Plan> = self.plans.iter().collect();
        plans.sort_by_key(|p| p.tier);
        plans.into_iter().map(|p| p.code.as_str()).collect()
    }
}

impl Plan {
    /// Seats above the included ones, if the plan sells them at all.
    pub fn addon_seats(&self, seats: i64) -> i64 {
        if self.seat_price_minor.is_some() {
            (seats - self.included_seats).max(0)
        } else {
            0
        }
    }

    pub fn limit(&self, key: &str) -> Option<i64> {
        self.limits.get(key).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_consistent() {
        let c = catalogue();
        assert_eq!(c.codes(), ["DevFree", "DevPro", "Business"]);
        assert_eq!(c.free().code, "DevFree");
        let mut tiers: Vec<u8> = c.plans.iter().map(|p| p.tier).collect();
        tiers.dedup();
        assert_eq!(tiers.len(), c.plans.len(), "tiers are distinct");
        for p in &c.plans {
            let product = c.product(&p.product).unwrap_or_else(|| panic!("{}: product {}", p.code, p.product));
            assert_eq!(product.kind, ProductKind::Recurring);
            for (metric, price) in &p.usage {
                assert!(crate::usage::Metric::parse(metric).is_some_and(|m| m.billed()), "{}: {metric} is a billed metric", p.code);
                assert_eq!(c.product(&price.product).map(|p| p.kind), Some(ProductKind::Usage));
                assert!(price.included >= 0 && price.unit_minor > 0);
            }
            let users = p.limit("users.max").expect("users.max");
            assert!(p.included_seats <= users, "{}: included seats within users.max", p.code);
            if p.seat_price_minor.is_none() {
                assert_eq!(p.included_seats, users, "{}: without add-on seats, users.max is the included seats", p.code);
            }
            assert!(p.fee_minor >= 0);
        }
        assert_eq!(c.product("SEAT:ADDON").map(|p| p.kind), Some(ProductKind::Addon));
        assert_eq!(c.trial_days, 14);
    }

    #[test]
    fn plans_as_the_spec_lists_them() {
        let c = catalogue();
        let free = c.plan("DevFree").unwrap();
        assert_eq!(free.limit("users.max"), Some(3));
        assert_eq!(free.features, ["twofa.totp", "plan.view"]);
        let pro = c.plan("DevPro").unwrap();
        assert_eq!(
            (pro.limit("users.max"), pro.limit("sms.monthlyCap"), pro.limit("whatsapp.monthlyCap")),
            (Some(25), Some(500), Some(500))
        );
        assert!(["twofa.totp", "twofa.sms", "twofa.whatsapp", "plan.view"].iter().all(|f| pro.features.iter().any(|x| x == f)));
        let business = c.plan("Business").unwrap();
        assert!(business.limit("users.max") > pro.limit("users.max"));
        assert!(pro.features.iter().all(|f| business.features.contains(f)), "Business includes all of DevPro");
        assert!(pro.limits.iter().all(|(k, v)| business.limit(k).is_some_and(|b| b >= *v)), "and more of every limit");
        assert_eq!(pro.addon_seats(12), 2);
        assert_eq!(free.addon_seats(5), 0);
    }
}
