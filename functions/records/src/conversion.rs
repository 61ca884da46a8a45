//! Converting a lead — the pure part: from what was asked and what the lead
//! duplicates, which contact and company the conversion links or creates,
//! and the lead it leaves behind. The application layer
//! ([`crate::leads::convert`]) reads the duplicates, writes the plan in one
//! transaction and answers retries.

use crm_kernel::{EntityId, Timestamp, UserId};
use serde::Deserialize;

use crate::lead::{Conversion, Duplicate, Lead};

/// `POST /v1/leads/{id}/convert`'s body.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConvertRequest {
    /// Link this contact (else the one the lead duplicates, else a new one).
    #[serde(default)]
    pub contact_id: Option<EntityId>,
    /// Link this company (else the one the email domain names, else a new one from `company_name`).
    #[serde(default)]
    pub company_id: Option<EntityId>,
    /// `false`: never a new company.
    #[serde(default)]
    pub create_company: Option<bool>,
    /// A deal to open, as `POST /v1/deals` takes it.
    #[serde(default)]
    pub deal: Option<crm_deals::deal::DealChanges>,
}

/// A record the conversion links, or creates with this id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Link(EntityId),
    Create(EntityId),
}

impl Target {
    pub fn id(self) -> EntityId {
        match self {
            Target::Link(id) | Target::Create(id) => id,
        }
    }

    pub fn created(self) -> bool {
        matches!(self, Target::Create(_))
    }
}

/// What a conversion will do.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub contact: Target,
    pub company: Option<Target>,
    /// Whoever owns what is made: the lead's owner, else whoever converts.
    pub owner: UserId,
}

/// The plan for converting `lead` by `actor` as `asked`, given what the
/// lead duplicates now (`dupes`: contacts by email or phone, companies by
/// domain).
pub fn plan(lead: &Lead, asked: &ConvertRequest, dupes: &[Duplicate], actor: UserId) -> Plan {
    let found = |kind: &str| dupes.iter().find(|d| d.kind == kind).and_then(|d| EntityId::parse(&d.id).ok());
    let contact = match asked.contact_id.or(found("contact")) {
        Some(id) => Target::Link(id),
        None => Target::Create(EntityId::new()),
    };
    let company = match asked.company_id.or(found("company")) {
        Some(id) => Some(Target::Link(id)),
        None if asked.create_company.unwrap_or(true) && lead.fields.company_name.is_some() => Some(Target::Create(EntityId::new())),
        None => None,
    };
    Plan { contact, company, owner: lead.fields.owner_user_id.unwrap_or(actor) }
}

impl Plan {
    /// The plan limits every record it creates takes a place in.
    pub fn quotas(&self, with_deal: bool) -> Vec<&'static str> {
        [(self.contact.created(), "contacts.max"), (self.company.is_some_and(Target::created), "companies.max"), (with_deal, "deals.max")]
            .into_iter()
            .filter_map(|(made, limit)| made.then_some(limit))
            .collect()
    }

    /// What the lead records of it.
    pub fn conversion(&self, deal_id: Option<EntityId>, by: UserId, at: Timestamp) -> Conversion {
        Conversion {
            contact_id: self.contact.id(),
            contact_created: self.contact.created(),
            company_id: self.company.map(Target::id),
            company_created: self.company.is_some_and(Target::created),
            deal_id,
            converted_at: at,
            converted_by: by,
        }
    }
}

/// The name a deal gets when the request names none: the company (or the
/// person) and the stage it starts in.
pub fn deal_name(lead: &Lead, stage: &str) -> String {
    format!("{} — {stage}", lead.fields.company_name.clone().unwrap_or_else(|| lead.fields.full_name()))
}

/// `lead` once converted: `converted`, with what it became, the next version.
pub fn converted(lead: &Lead, conversion: Conversion, at: Timestamp) -> Lead {
    let mut next = Lead { conversion: Some(conversion), updated_at: at, version: lead.version + 1, ..lead.clone() };
    next.fields.status = crate::lead::LeadStatus::Converted;
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lead::LeadFields;

    fn lead(company: Option<&str>, owner: Option<UserId>) -> Lead {
        let now = Timestamp::now();
        let mut fields = LeadFields::blank("web");
        fields.first_name = "Mona".into();
        fields.company_name = company.map(str::to_string);
        fields.owner_user_id = owner;
        Lead {
            id: EntityId::new(),
            tenant_id: crm_kernel::TenantId::new(),
            fields,
            score: 0,
            score_parts: vec![],
            score_adjustment: 0,
            duplicates: vec![],
            conversion: None,
            assigned_by: None,
            created_by: None,
            created_at: now,
            updated_at: now,
            version: 3,
        }
    }

    fn dupe(kind: &str, id: EntityId) -> Duplicate {
        Duplicate { kind: kind.into(), id: id.to_string(), reason: "email".into(), score: 1.0 }
    }

    #[test]
    fn a_named_record_wins_over_a_duplicate_and_a_duplicate_over_a_new_one() {
        let (named, dup, actor) = (EntityId::new(), EntityId::new(), UserId::new());
        let l = lead(Some("Acme"), None);
        let asked = ConvertRequest { contact_id: Some(named), ..Default::default() };
        let p = plan(&l, &asked, &[dupe("contact", dup), dupe("company", dup)], actor);
        assert_eq!((p.contact, p.company, p.owner), (Target::Link(named), Some(Target::Link(dup)), actor));
        let fresh = plan(&l, &ConvertRequest::default(), &[], actor);
        assert!(fresh.contact.created() && fresh.company.is_some_and(Target::created));
        assert_eq!(fresh.quotas(true), vec!["contacts.max", "companies.max", "deals.max"]);
        assert_eq!(p.quotas(false), Vec::<&str>::new(), "linking takes no place");
    }

    #[test]
    fn no_company_without_a_name_or_when_refused_and_the_owner_is_the_leads() {
        let owner = UserId::new();
        let nameless = plan(&lead(None, Some(owner)), &ConvertRequest::default(), &[], UserId::new());
        assert_eq!((nameless.company, nameless.owner), (None, owner));
        let refused = ConvertRequest { create_company: Some(false), ..Default::default() };
        assert_eq!(plan(&lead(Some("Acme"), None), &refused, &[], UserId::new()).company, None);
    }

    #[test]
    fn the_converted_lead_records_what_it_became() {
        let l = lead(Some("Acme"), None);
        let p = plan(&l, &ConvertRequest::default(), &[], UserId::new());
        let deal = EntityId::new();
        let at = Timestamp::now();
        let next = converted(&l, p.conversion(Some(deal), UserId::new(), at), at);
        assert_eq!((next.fields.status.as_str(), next.version), ("converted", 4));
        assert_eq!(next.conversion.as_ref().and_then(|c| c.deal_id), Some(deal));
        assert_eq!(deal_name(&l, "Qualified"), "Acme — Qualified");
    }
}
