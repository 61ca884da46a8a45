//! A contact (the spec's `contacts`, SalesOS contacts): a person, with a
//! primary email and phone, a company, an owner and a lifecycle stage.
//! Duplicates are blocked, not detected later: an identical email or E.164
//! phone — of any of its channels ([`crate::channel`]) — in the tenant is a marker item (`CONTACTEMAIL#…`, `CONTACTPHONE#…`)
//! written with `attribute_not_exists` in the contact's own transaction, so
//! even simultaneous creates leave exactly one contact. Lists:
//!
//! * `by_kind` `CONTACT` — newest first;
//! * `by_owner` — the owner's contacts;
//! * `by_parent` `COMPANY#{id}` — a company's contacts, by name;
//!
//! and search terms (names, email, phone). A contact merged into another
//! stays as a tombstone (`merged_into_id`) outside every list.

use crm_kernel::{search, AppError, Email, EntityId, Phone, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

use crate::channel::{self, ChannelType, ContactChannel};
use crm_kernel::fields::{Fields, Input};

pub const CONTACT: &str = "CONTACT";
pub const STAGES: &[&str] = &["lead", "prospect", "customer", "inactive"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ContactFields {
    pub first_name: String,
    pub last_name: Option<String>,
    pub job_title: Option<String>,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub company_id: Option<EntityId>,
    pub owner_user_id: Option<UserId>,
    pub lifecycle_stage: String,
    /// Values of the tenant's custom fields (`crate::custom_fields`), by code.
    #[serde(default)]
    pub custom_fields: crate::custom_fields::Values,
    /// Every email, phone and WhatsApp address ([`crate::channel`]); `email`
    /// and `phone` are the primary ones.
    #[serde(default)]
    pub channels: Vec<ContactChannel>,
    /// Seen by its owner and admins only (`contacts.privateRecords`; ADR 0013).
    #[serde(default)]
    pub private: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Contact {
    pub id: EntityId,
    pub tenant_id: TenantId,
    #[serde(flatten)]
    pub fields: ContactFields,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Set on a contact merged into another: a tombstone, out of every list.
    #[serde(default)]
    pub merged_into_id: Option<EntityId>,
    pub version: u64,
}

/// The body of `POST /v1/contacts` and `PATCH /v1/contacts/{id}`: absent
/// keeps, `null` clears.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ContactChanges {
    /// Required on create; 1 to 100 characters.
    #[schemars(length(max = 100))]
    pub first_name: Input<String>,
    #[schemars(length(max = 100))]
    pub last_name: Input<String>,
    #[schemars(length(max = 150))]
    pub job_title: Input<String>,
    /// The primary email channel.
    #[schemars(length(max = 254), email)]
    pub email: Input<String>,
    /// The primary phone channel, E.164 (`+201001234567`).
    #[schemars(length(max = 32))]
    pub phone: Input<String>,
    pub company_id: Input<EntityId>,
    pub owner_user_id: Input<UserId>,
    #[schemars(schema_with = "stage_schema")]
    pub lifecycle_stage: Input<String>,
    /// `{code: value}` of the tenant's custom fields.
    pub custom_fields: Input<crate::custom_fields::Values>,
    /// Only its owner (and managers above) see a private contact; it needs an owner.
    pub private: Input<bool>,
}

impl ContactFields {
    pub fn blank() -> Self {
        Self {
            first_name: String::new(),
            last_name: None,
            job_title: None,
            email: None,
            phone: None,
            company_id: None,
            owner_user_id: None,
            lifecycle_stage: "lead".into(),
            custom_fields: Default::default(),
            channels: Vec::new(),
            private: false,
        }
    }

    /// Applies a JSON object of changes (absent = keep, `null` = clear); every problem is named.
    pub fn apply(base: &Self, c: ContactChanges) -> Result<Self, AppError> {
        let mut f = Fields::new();
        let mut next = with_channels(base);
        if let Some(v) = f.text("first_name", c.first_name, 100) {
            next.first_name = v.unwrap_or_default();
        }
        if let Some(v) = f.text("last_name", c.last_name, 100) {
            next.last_name = v;
        }
        if let Some(v) = f.text("job_title", c.job_title, 150) {
            next.job_title = v;
        }
        if let Some(email) = f.parsed("email", c.email, 254, |e| Email::parse(e).map_err(|e| e.message)) {
            channel::set_primary(&mut next, ChannelType::Email, email.map(|e| e.as_str().to_string()));
        }
        if let Some(phone) = f.parsed("phone", c.phone, 32, |p| Phone::parse(p).map_err(|_| "must be E.164 (+201001234567)".to_string())) {
            channel::set_primary(&mut next, ChannelType::Phone, phone.map(|p| p.to_string()));
        }
        if let Some(v) = f.entity_id("company_id", c.company_id) {
            next.company_id = v;
        }
        if let Some(v) = f.user_id("owner_user_id", c.owner_user_id) {
            next.owner_user_id = v;
        }
        if let Some(s) = f.one_of("lifecycle_stage", c.lifecycle_stage, STAGES) {
            next.lifecycle_stage = s;
        }
        if let Some(b) = f.bool("private", c.private) {
            next.private = b;
        }
        if next.private && next.owner_user_id.is_none() && !f.failed("owner_user_id") {
            f.error("private", "a private contact needs an owner_user_id");
        }
        f.require("first_name", !next.first_name.is_empty());
        f.finish(next)
    }

    pub fn full_name(&self) -> String {
        match &self.last_name {
            Some(l) => format!("{} {l}", self.first_name),
            None => self.first_name.clone(),
        }
    }

    pub fn terms(&self) -> Vec<String> {
        self.terms_seen_by(&crm_auth::sensitive::Hidden::default())
    }

    /// The terms of the fields a reader who may not read `hidden` sees: a
    /// search matches a contact only through what the reader may read.
    pub fn terms_seen_by(&self, hidden: &crm_auth::sensitive::Hidden) -> Vec<String> {
        let names = [self.first_name.as_str(), self.last_name.as_deref().unwrap_or_default()];
        let mut emails: Vec<&str> = self.email.iter().map(Email::as_str).collect();
        let mut phones: Vec<Phone> = self.phone.iter().cloned().collect();
        for c in &self.channels {
            match c.kind {
                ChannelType::Email => emails.push(&c.value),
                ChannelType::Phone | ChannelType::Whatsapp => phones.extend(Phone::parse(&c.value).ok()),
            }
        }
        if hidden.hides("email") {
            emails.clear();
        }
        if hidden.hides("phone") {
            phones.clear();
        }
        let phones: Vec<&Phone> = phones.iter().collect();
        let mut terms = search::terms(&names, &emails, &phones);
        terms.sort();
        terms.dedup();
        terms
    }
}

/// The contact a merge keeps: the target's values win, its empty fields
/// take the source's, and it gains every channel of the source
/// ([`channel::union`]) — nothing the source held is lost.
pub fn merge_fields(target: &ContactFields, source: &ContactFields) -> ContactFields {
    let mut t = target.clone();
    macro_rules! fill {
        ($($f:ident),*) => { $( if t.$f.is_none() { t.$f = source.$f.clone(); } )* };
    }
    fill!(last_name, job_title, company_id, owner_user_id);
    for (k, v) in &source.custom_fields {
        t.custom_fields.entry(k.clone()).or_insert_with(|| v.clone());
    }
    t.channels = channel::union(&with_channels(target).channels, &with_channels(source).channels);
    channel::shorthands(&mut t);
    t
}

/// `f` with channels for its shorthands (a contact written before channels existed).
pub fn with_channels(f: &ContactFields) -> ContactFields {
    let mut f = f.clone();
    if f.channels.is_empty() {
        let (email, phone) = (f.email.as_ref().map(|e| e.as_str().to_string()), f.phone.as_ref().map(|p| p.to_string()));
        channel::set_primary(&mut f, ChannelType::Email, email);
        channel::set_primary(&mut f, ChannelType::Phone, phone);
    }
    f
}

impl Contact {
    /// A new contact `id` of `tenant`, made by `by` at `now`: version 1, not merged.
    pub fn new(id: EntityId, tenant: TenantId, fields: ContactFields, by: UserId, now: Timestamp) -> Self {
        Self { id, tenant_id: tenant, fields, created_by: by, created_at: now, updated_at: now, merged_into_id: None, version: 1 }
    }

    pub fn key(tenant: TenantId, id: EntityId) -> Key {
        keys::entity(tenant, CONTACT, id)
    }

    pub fn email_marker(tenant: TenantId, email: &Email) -> Key {
        keys::unique(tenant, "CONTACTEMAIL", email.as_str())
    }

    pub fn phone_marker(tenant: TenantId, phone: &Phone) -> Key {
        keys::unique(tenant, "CONTACTPHONE", phone.as_str())
    }

    pub fn company_pk(tenant: TenantId, company: EntityId) -> String {
        keys::by_parent_pk(tenant, "COMPANY", &company.to_string())
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        let t = self.tenant_id;
        if self.merged_into_id.is_some() {
            return Ok(item::to_item(&Self::key(t, self.id), self)?.with_str("kind", "contact"));
        }
        let sorted = format!("{}#{}", self.created_at, self.id);
        let mut it = item::to_item(&Self::key(t, self.id), self)?.with_str("kind", "contact").with_index(
            Index::ByKind,
            keys::by_kind_pk(t, CONTACT),
            sorted.clone(),
        );
        if let Some(o) = self.fields.owner_user_id {
            it = it.with_index(Index::ByOwner, keys::by_owner_pk(t, CONTACT, &o.to_string()), sorted);
            if self.fields.private {
                it = it.with_str(crm_auth::audience::PRIVATE_OWNER, o.to_string());
            }
        }
        if let Some(c) = self.fields.company_id {
            it = it.with_index(
                Index::ByParent,
                Self::company_pk(t, c),
                format!("{}#{}", search::normalise(&self.fields.full_name()), self.id),
            );
        }
        Ok(it)
    }
}

crm_kernel::one_of_schema!(stage_schema, STAGES);

#[cfg(test)]
mod tests {
    use super::*;

    fn changes<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
        serde_json::from_value(v).unwrap()
    }
    use serde_json::json;

    #[test]
    fn a_merge_keeps_the_target_and_fills_its_gaps() {
        let target = ContactFields::apply(&ContactFields::blank(), changes(json!({"first_name": "Bob", "email": "bob@acme.com"}))).unwrap();
        let source = ContactFields::apply(
            &ContactFields::blank(),
            changes(json!({"first_name": "Robert", "last_name": "Wilson", "email": "r.wilson@acme.com", "phone": "+201001234567"})),
        )
        .unwrap();
        let m = merge_fields(&target, &source);
        assert_eq!((m.first_name.as_str(), m.last_name.as_deref()), ("Bob", Some("Wilson")));
        assert_eq!(m.email.as_ref().map(Email::as_str), Some("bob@acme.com"));
        assert_eq!(m.phone.as_ref().map(Phone::as_str), Some("+201001234567"));
        let emails: Vec<_> = m.channels.iter().filter(|c| c.kind == ChannelType::Email).map(|c| (c.value.as_str(), c.is_primary)).collect();
        assert_eq!(emails, vec![("bob@acme.com", true), ("r.wilson@acme.com", false)], "the source's email stays, not primary");
    }

    #[test]
    fn contacts_parse_and_name_every_problem() {
        let c = ContactFields::apply(
            &ContactFields::blank(),
            changes(json!({"first_name": "Bob", "last_name": "Wilson", "email": " Bob@Acme.com ", "phone": "+201001234567"})),
        )
        .unwrap();
        assert_eq!(
            (c.full_name(), c.email.as_ref().map(Email::as_str), c.lifecycle_stage.as_str()),
            ("Bob Wilson".into(), Some("bob@acme.com"), "lead")
        );
        assert!(c.terms().contains(&"wilson".to_string()) && c.terms().contains(&"bob@acme.com".to_string()));
        let err = ContactFields::apply(
            &ContactFields::blank(),
            changes(json!({"email": "x", "phone": "0100", "lifecycle_stage": "won", "company_id": "nope"})),
        )
        .unwrap_err();
        let fields: Vec<_> = err.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, vec!["email", "phone", "company_id", "lifecycle_stage", "first_name"]);
    }
}
