//! A company (the spec's `companies`; SalesOS "account"): name, web domain,
//! phone, country, city, address, status, industry, owner. Parsed from the
//! API into [`CompanyFields`] (every bad field named), stored as one item
//! with its list entries:
//!
//! * `by_kind` `COMPANY` — all, newest first;
//! * `by_lookup` `COMPANYDOMAIN#{domain}` — by web domain;
//! * `by_owner` — the owner's companies;
//! * `by_parent` `COMPANYCITY#{city}` — by city (folded, so `Cairo`, `cairo`
//!   and `CAIRO` are one), sorted by name;
//!
//! and its search terms (name, domain, city, phone).

use crm_kernel::{search, AppError, EntityId, FieldError, Phone, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

use crm_kernel::fields::{Fields, Input};

pub const COMPANY: &str = "COMPANY";
crm_kernel::named_enum! {
    /// Whether the company is one the team works with.
    pub enum CompanyStatus { Active = "active", Inactive = "inactive" }
}

pub const STATUSES: &[&str] = CompanyStatus::ALL;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CompanyFields {
    pub name: String,
    pub domain: Option<String>,
    pub phone: Option<Phone>,
    /// ISO 3166-1 alpha-2 (`EG`, `AE`, `SA`).
    pub country: Option<String>,
    pub city: Option<String>,
    pub address: Option<String>,
    pub status: CompanyStatus,
    pub industry_code: Option<String>,
    pub owner_user_id: Option<UserId>,
    /// Values of the tenant's custom fields (`crate::custom_fields`), by code.
    #[serde(default)]
    pub custom_fields: crate::custom_fields::Values,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Company {
    pub id: EntityId,
    pub tenant_id: TenantId,
    #[serde(flatten)]
    pub fields: CompanyFields,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

/// A web domain as people paste it (`https://www.Acme.com/about`) → `acme.com`.
pub fn parse_domain(raw: &str) -> Result<String, FieldError> {
    let d = raw.trim().to_lowercase();
    let d = d.strip_prefix("https://").or_else(|| d.strip_prefix("http://")).unwrap_or(&d);
    let d = d.split('/').next().unwrap_or_default();
    let d = d.strip_prefix("www.").unwrap_or(d);
    let labels: Vec<&str> = d.split('.').collect();
    let ok = d.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-'))
        && d.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    if ok {
        Ok(d.to_string())
    } else {
        Err(FieldError::new("domain", "must be a web domain such as acme.com"))
    }
}

/// The body of `POST /v1/companies` and `PATCH /v1/companies/{id}`:
/// absent keeps, `null` clears.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CompanyChanges {
    /// Required on create; 1 to 200 characters.
    #[schemars(length(max = 200))]
    pub name: Input<String>,
    /// A web domain (`acme.com`; a URL is cut to its host).
    #[schemars(length(max = 300))]
    pub domain: Input<String>,
    /// E.164 (`+20223456789`).
    #[schemars(length(max = 32))]
    pub phone: Input<String>,
    /// ISO 3166 alpha-2 (`EG`).
    #[schemars(length(max = 2))]
    pub country: Input<String>,
    #[schemars(length(max = 120))]
    pub city: Input<String>,
    #[schemars(length(max = 500))]
    pub address: Input<String>,
    pub status: Input<CompanyStatus>,
    #[schemars(length(max = 64))]
    pub industry_code: Input<String>,
    pub owner_user_id: Input<UserId>,
    /// `{code: value}` of the tenant's custom fields.
    pub custom_fields: Input<crate::custom_fields::Values>,
}

impl CompanyFields {
    /// Applies a change set (absent = keep, `null` = clear) to `base`; a
    /// create starts from [`CompanyFields::blank`]. Every problem is named;
    /// `custom_fields` are the caller's (they need the tenant's definitions).
    pub fn apply(base: &Self, c: CompanyChanges) -> Result<Self, AppError> {
        let mut f = Fields::new();
        let mut next = base.clone();
        if let Some(name) = f.text("name", c.name, 200) {
            next.name = name.unwrap_or_default();
        }
        if let Some(v) = f.parsed("domain", c.domain, 300, |d| parse_domain(d).map_err(|e| e.message)) {
            next.domain = v;
        }
        if let Some(v) = f.parsed("phone", c.phone, 32, |p| Phone::parse(p).map_err(|_| "must be E.164 (+20223456789)".to_string())) {
            next.phone = v;
        }
        if let Some(v) = f.country("country", c.country) {
            next.country = v;
        }
        for (field, input, slot, max) in [
            ("city", c.city, &mut next.city, 120),
            ("address", c.address, &mut next.address, 500),
            ("industry_code", c.industry_code, &mut next.industry_code, 64),
        ] {
            if let Some(v) = f.text(field, input, max) {
                *slot = v;
            }
        }
        if let Some(s) = f.set("status", c.status, &format!("must be one of {}", STATUSES.join(", "))) {
            next.status = s;
        }
        if let Some(v) = f.user_id("owner_user_id", c.owner_user_id) {
            next.owner_user_id = v;
        }
        f.require("name", !next.name.is_empty());
        f.finish(next)
    }

    pub fn blank() -> Self {
        Self {
            name: String::new(),
            domain: None,
            phone: None,
            country: None,
            city: None,
            address: None,
            status: CompanyStatus::Active,
            industry_code: None,
            owner_user_id: None,
            custom_fields: Default::default(),
        }
    }

    /// The search terms: name, domain, city, phone.
    pub fn terms(&self) -> Vec<String> {
        let mut names = vec![self.name.as_str()];
        names.extend(self.domain.as_deref());
        names.extend(self.city.as_deref());
        let phones: Vec<&Phone> = self.phone.iter().collect();
        search::terms(&names, &[], &phones)
    }
}

impl Company {
    pub fn key(tenant: TenantId, id: EntityId) -> Key {
        keys::entity(tenant, COMPANY, id)
    }

    pub fn city_pk(tenant: TenantId, city: &str) -> String {
        keys::by_parent_pk(tenant, "COMPANYCITY", &search::normalise(city.trim()))
    }

    pub fn domain_pk(tenant: TenantId, domain: &str) -> String {
        keys::by_lookup_pk(tenant, "COMPANYDOMAIN", domain)
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        let t = self.tenant_id;
        let mut it = item::to_item(&Self::key(t, self.id), self)?.with_str("kind", "company").with_index(
            Index::ByKind,
            keys::by_kind_pk(t, COMPANY),
            format!("{}#{}", self.created_at, self.id),
        );
        if let Some(d) = &self.fields.domain {
            it = it.with_index(Index::ByLookup, Self::domain_pk(t, d), self.id.to_string());
        }
        if let Some(o) = self.fields.owner_user_id {
            it = it.with_index(Index::ByOwner, keys::by_owner_pk(t, COMPANY, &o.to_string()), format!("{}#{}", self.created_at, self.id));
        }
        if let Some(c) = &self.fields.city {
            it = it.with_index(Index::ByParent, Self::city_pk(t, c), format!("{}#{}", search::normalise(&self.fields.name), self.id));
        }
        Ok(it)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
        serde_json::from_value(v).unwrap()
    }
    use serde_json::json;

    #[test]
    fn creates_parse_and_name_every_problem() {
        let c = CompanyFields::apply(
            &CompanyFields::blank(),
            changes(json!({"name": " Acme Corporation ", "domain": "https://www.Acme.com/about", "phone": "+20223456789", "country": "eg", "city": "Cairo"})),
        )
        .unwrap();
        assert_eq!((c.name.as_str(), c.domain.as_deref(), c.country.as_deref()), ("Acme Corporation", Some("acme.com"), Some("EG")));
        let err = CompanyFields::apply(&CompanyFields::blank(), changes(json!({"domain": "nope", "phone": "0100", "status": "gone"})))
            .unwrap_err();
        let fields: Vec<_> = err.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, vec!["domain", "phone", "status", "name"]);
        assert!(serde_json::from_value::<CompanyChanges>(json!({"fax": 1})).is_err(), "an unknown field is refused");
    }

    #[test]
    fn patches_keep_absent_fields_and_clear_nulls() {
        let base =
            CompanyFields::apply(&CompanyFields::blank(), changes(json!({"name": "Globex", "city": "Dubai", "domain": "globex.ae"})))
                .unwrap();
        let next = CompanyFields::apply(&base, changes(json!({"city": null, "status": "inactive"}))).unwrap();
        assert_eq!(
            (next.name.as_str(), next.city, next.domain.as_deref(), next.status.as_str()),
            ("Globex", None, Some("globex.ae"), "inactive")
        );
        assert!(CompanyFields::apply(&base, changes(json!({"name": ""}))).is_err());
        assert!(base.terms().contains(&"globex".to_string()) && base.terms().contains(&"dubai".to_string()));
    }
}
