//! A lead (the spec's `leads`): someone who may buy, before they become a
//! contact (and a company, and a deal). Name, email, phone, company name,
//! job title, country (the territory assignment rules look at), the
//! spec's `source` and `status`, an owner, custom fields; a rule-based
//! `score` with its parts ([`crate::lead_rules`]); the contacts and
//! companies it may duplicate; and, once converted, what it became.
//!
//! Stored as one item with its list entries:
//!
//! * `by_kind` `LEAD` — newest first;
//! * `by_owner` — the owner's leads;
//! * `by_parent` `LEADSTATUS#{status}` — by status, newest first (the spec's suggested
//!   index `leads (tenant_id, status_code, created_at DESC)`);
//! * `by_lookup` `LEADEMAIL#{email}` — the leads with an email (import dedupe);
//!
//! and its search terms (names, email, phone, company name).

use crm_kernel::{search, AppError, Email, EntityId, Phone, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

use crm_kernel::fields::{Fields, Input};

pub const LEAD: &str = "LEAD";
pub const SOURCES: &[&str] = &["web", "referral", "manual", "import", "campaign", "other"];
crm_kernel::named_enum! {
    /// Where a lead stands; `converted` is set by its conversion only.
    pub enum LeadStatus { New = "new", Contacted = "contacted", Qualified = "qualified", Disqualified = "disqualified", Converted = "converted" }
}

pub const STATUSES: &[&str] = LeadStatus::ALL;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LeadFields {
    pub first_name: String,
    pub last_name: Option<String>,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub company_name: Option<String>,
    pub job_title: Option<String>,
    /// ISO 3166-1 alpha-2: the territory assignment rules match on.
    pub country: Option<String>,
    pub source: String,
    pub status: LeadStatus,
    pub owner_user_id: Option<UserId>,
    /// What the lead asked or said (a web form's message).
    pub message: Option<String>,
    #[serde(default)]
    pub custom_fields: crate::custom_fields::Values,
}

/// One part of a score: the rule (or the manual adjustment) and its points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScorePart {
    pub rule: String,
    pub points: i64,
}

/// An existing contact or company the lead may be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Duplicate {
    /// `contact` or `company`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    /// `email`, `phone` or `domain`.
    pub reason: String,
    pub score: f64,
}

/// What a converted lead became (`lead_conversions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Conversion {
    pub contact_id: EntityId,
    pub contact_created: bool,
    pub company_id: Option<EntityId>,
    pub company_created: bool,
    pub deal_id: Option<EntityId>,
    pub converted_at: Timestamp,
    pub converted_by: UserId,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Lead {
    pub id: EntityId,
    pub tenant_id: TenantId,
    #[serde(flatten)]
    pub fields: LeadFields,
    pub score: i64,
    #[serde(default)]
    pub score_parts: Vec<ScorePart>,
    /// Points added by hand (`POST /v1/leads/{id}/score`), part of `score`.
    #[serde(default)]
    pub score_adjustment: i64,
    #[serde(default)]
    pub duplicates: Vec<Duplicate>,
    #[serde(default)]
    pub conversion: Option<Conversion>,
    /// How the owner was chosen: `manual`, `round_robin` or `rule:{n}`.
    #[serde(default)]
    pub assigned_by: Option<String>,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

/// The body of `POST /v1/leads` and `PATCH /v1/leads/{id}` (and of a web
/// form's `POST /v1/leads/capture`): absent keeps, `null` clears.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LeadChanges {
    /// Required on create; 1 to 100 characters.
    #[schemars(length(max = 100))]
    pub first_name: Input<String>,
    #[schemars(length(max = 100))]
    pub last_name: Input<String>,
    /// An email or a phone is required.
    #[schemars(length(max = 254), email)]
    pub email: Input<String>,
    /// E.164 (`+201001234567`).
    #[schemars(length(max = 32))]
    pub phone: Input<String>,
    #[schemars(length(max = 200))]
    pub company_name: Input<String>,
    #[schemars(length(max = 150))]
    pub job_title: Input<String>,
    /// ISO 3166 alpha-2 (`EG`).
    #[schemars(length(max = 2))]
    pub country: Input<String>,
    #[schemars(schema_with = "source_schema")]
    pub source: Input<String>,
    /// `converted` is set by `POST /v1/leads/{id}/convert` only.
    #[schemars(schema_with = "status_schema")]
    pub status: Input<String>,
    pub owner_user_id: Input<UserId>,
    #[schemars(length(max = 2000))]
    pub message: Input<String>,
    /// `{code: value}` of the tenant's custom fields.
    pub custom_fields: Input<crate::custom_fields::Values>,
}

impl LeadFields {
    pub fn blank(source: &str) -> Self {
        Self {
            first_name: String::new(),
            last_name: None,
            email: None,
            phone: None,
            company_name: None,
            job_title: None,
            country: None,
            source: source.into(),
            status: LeadStatus::New,
            owner_user_id: None,
            message: None,
            custom_fields: Default::default(),
        }
    }

    /// Applies a JSON object of changes (absent = keep, `null` = clear) to
    /// `base`; every problem is named. `converted` is set by conversion only.
    pub fn apply(base: &Self, c: LeadChanges) -> Result<Self, AppError> {
        let mut f = Fields::new();
        let mut next = base.clone();
        if let Some(v) = f.text("first_name", c.first_name, 100) {
            next.first_name = v.unwrap_or_default();
        }
        for (field, input, slot, max) in [
            ("last_name", c.last_name, &mut next.last_name, 100),
            ("company_name", c.company_name, &mut next.company_name, 200),
            ("job_title", c.job_title, &mut next.job_title, 150),
            ("message", c.message, &mut next.message, 2000),
        ] {
            if let Some(v) = f.text(field, input, max) {
                *slot = v;
            }
        }
        if let Some(v) = f.parsed("email", c.email, 254, |e| Email::parse(e).map_err(|e| e.message)) {
            next.email = v;
        }
        if let Some(v) = f.parsed("phone", c.phone, 32, |p| Phone::parse(p).map_err(|_| "must be E.164 (+201001234567)".to_string())) {
            next.phone = v;
        }
        if let Some(v) = f.country("country", c.country) {
            next.country = v;
        }
        if let Some(v) = f.one_of("source", c.source, SOURCES) {
            next.source = v;
        }
        if matches!(&c.status, Input::Given(s) if s == "converted") {
            f.error("status", "is set by POST /v1/leads/{id}/convert");
        } else if let Some(v) = f.one_of("status", c.status, &STATUSES[..4]).and_then(|s| LeadStatus::parse(&s)) {
            next.status = v;
        }
        if let Some(v) = f.user_id("owner_user_id", c.owner_user_id) {
            next.owner_user_id = v;
        }
        f.require("first_name", !next.first_name.is_empty());
        let reachable = next.email.is_some() || next.phone.is_some() || f.failed("email") || f.failed("phone");
        f.require_because("email", reachable, "a lead needs an email or a phone to be reached");
        f.finish(next)
    }

    pub fn full_name(&self) -> String {
        match &self.last_name {
            Some(l) => format!("{} {l}", self.first_name),
            None => self.first_name.clone(),
        }
    }

    /// The domain of the lead's email, unless it is a free mailbox
    /// (`gmail.com`): what a company is recognised by.
    pub fn company_domain(&self) -> Option<String> {
        const FREE: &[&str] = &[
            "gmail.com",
            "googlemail.com",
            "yahoo.com",
            "hotmail.com",
            "outlook.com",
            "live.com",
            "icloud.com",
            "aol.com",
            "proton.me",
            "protonmail.com",
            "gmx.com",
            "mail.com",
            "yandex.com",
        ];
        let d = self.email.as_ref()?.as_str().rsplit_once('@')?.1.to_string();
        (!FREE.contains(&d.as_str())).then_some(d)
    }

    pub fn terms(&self) -> Vec<String> {
        let names =
            [self.first_name.as_str(), self.last_name.as_deref().unwrap_or_default(), self.company_name.as_deref().unwrap_or_default()];
        let emails: Vec<&str> = self.email.iter().map(Email::as_str).collect();
        let phones: Vec<&Phone> = self.phone.iter().collect();
        let mut terms = search::terms(&names, &emails, &phones);
        terms.sort();
        terms.dedup();
        terms
    }
}

impl Lead {
    pub fn key(tenant: TenantId, id: EntityId) -> Key {
        keys::entity(tenant, LEAD, id)
    }

    pub fn status_pk(tenant: TenantId, status: &str) -> String {
        keys::by_parent_pk(tenant, "LEADSTATUS", status)
    }

    pub fn email_pk(tenant: TenantId, email: &Email) -> String {
        keys::by_lookup_pk(tenant, "LEADEMAIL", email.as_str())
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        let t = self.tenant_id;
        let sorted = format!("{}#{}", self.created_at, self.id);
        let mut it = item::to_item(&Self::key(t, self.id), self)?
            .with_str("kind", "lead")
            .with_index(Index::ByKind, keys::by_kind_pk(t, LEAD), sorted.clone())
            .with_index(Index::ByParent, Self::status_pk(t, self.fields.status.as_str()), sorted.clone());
        if let Some(o) = self.fields.owner_user_id {
            it = it.with_index(Index::ByOwner, keys::by_owner_pk(t, LEAD, &o.to_string()), sorted.clone());
        }
        if let Some(e) = &self.fields.email {
            it = it.with_index(Index::ByLookup, Self::email_pk(t, e), sorted);
        }
        Ok(it)
    }
}

crm_kernel::one_of_schema!(source_schema, SOURCES);
crm_kernel::one_of_schema!(status_schema, &STATUSES[..4]);

#[cfg(test)]
mod tests {
    use super::*;

    fn changes<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
        serde_json::from_value(v).unwrap()
    }
    use serde_json::json;

    #[test]
    fn leads_parse_and_name_every_problem() {
        let f = LeadFields::apply(
            &LeadFields::blank("manual"),
            changes(
                json!({"first_name": " Sara ", "email": "Sara@Acme.io", "country": "ae", "source": "referral", "company_name": "Acme"}),
            ),
        )
        .unwrap();
        assert_eq!(
            (f.first_name.as_str(), f.country.as_deref(), f.source.as_str(), f.status.as_str()),
            ("Sara", Some("AE"), "referral", "new")
        );
        assert_eq!(f.company_domain().as_deref(), Some("acme.io"));
        let err =
            LeadFields::apply(&LeadFields::blank("manual"), changes(json!({"status": "converted", "source": "tv", "country": "UAE"})))
                .unwrap_err();
        let fields: Vec<_> = err.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, vec!["country", "source", "status", "first_name", "email"]);
        assert!(serde_json::from_value::<LeadChanges>(json!({"score": 5})).is_err(), "an unknown field is refused");
    }

    #[test]
    fn free_mailboxes_name_no_company() {
        let f = LeadFields::apply(&LeadFields::blank("web"), changes(json!({"first_name": "Ali", "email": "ali@gmail.com"}))).unwrap();
        assert_eq!(f.company_domain(), None);
        assert!(f.terms().contains(&"ali".to_string()));
    }
}
