//! Logged interactions (the spec's `activities`): a call, an email, a
//! meeting or a note taken with someone — who logged it, about which
//! record, which way (`inbound`/`outbound`), when it started and ended.
//! Parsed with every bad field named ([`ActivityFields::apply`], pure). Lists:
//! `by_kind` sorted by when it happened (date ranges), `by_owner`, and the
//! record's `by_parent` partition (its timeline, beside notes and tasks).

use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

use crate::note::{SubjectInput, SubjectRef};

pub const ACTIVITY: &str = "ACTIVITY";
pub const TYPES: &[&str] = &["call", "email", "meeting", "note"];
pub const DIRECTIONS: &[&str] = &["inbound", "outbound"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ActivityFields {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub body: Option<String>,
    pub direction: Option<String>,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub subject: Option<SubjectRef>,
    pub owner_user_id: Option<UserId>,
    /// More records it is about, beside `subject` ([`crate::links`]).
    #[serde(default)]
    pub links: Vec<SubjectRef>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Activity {
    pub id: EntityId,
    pub tenant_id: TenantId,
    #[serde(flatten)]
    pub fields: ActivityFields,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

/// The body of `POST /v1/activities` and `PATCH /v1/activities/{id}`:
/// absent keeps, `null` clears.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ActivityChanges {
    /// Required on create: `call`, `email`, `meeting` or `note`.
    #[serde(rename = "type")]
    #[schemars(schema_with = "type_schema")]
    pub kind: Input<String>,
    /// Required on create; 1 to 200 characters, trimmed.
    #[schemars(length(max = 200))]
    pub title: Input<String>,
    #[schemars(length(max = 10_000))]
    pub body: Input<String>,
    #[schemars(schema_with = "direction_schema")]
    pub direction: Input<String>,
    /// Defaults to now on create.
    pub started_at: Input<Timestamp>,
    /// Not before `started_at`.
    pub ended_at: Input<Timestamp>,
    /// The record it is about.
    pub subject: Input<SubjectInput>,
    /// Defaults to the caller on create.
    pub owner_user_id: Input<UserId>,
    /// More records it is about (at most 10).
    pub links: Input<Vec<Input<SubjectInput>>>,
}

impl ActivityFields {
    /// A new activity (`started_at` defaults to `now`).
    pub fn blank(now: Timestamp) -> Self {
        Self {
            kind: String::new(),
            title: String::new(),
            body: None,
            direction: None,
            started_at: now,
            ended_at: None,
            subject: None,
            owner_user_id: None,
            links: Vec::new(),
        }
    }

    /// Applies a change set (absent = keep, `null` = clear).
    pub fn apply(base: &Self, c: ActivityChanges) -> Result<Self, AppError> {
        let mut f = Fields::new();
        let mut next = base.clone();
        if let Some(t) = f.one_of("type", c.kind, TYPES) {
            next.kind = t;
        }
        if let Some(t) = f.text("title", c.title, 200) {
            next.title = t.unwrap_or_default();
        }
        if let Some(b) = f.prose("body", c.body, 10_000) {
            next.body = b;
        }
        if let Some(d) = f.one_of_or_null("direction", c.direction, DIRECTIONS) {
            next.direction = d;
        }
        if let Some(t) = f.set("started_at", c.started_at, "must be an RFC 3339 time") {
            next.started_at = t;
        }
        if let Some(t) = f.time("ended_at", c.ended_at) {
            next.ended_at = t;
        }
        if c.subject.is_present() {
            next.subject = SubjectRef::from_input("subject", c.subject).map_err(|e| f.absorb([e])).ok().flatten();
        }
        if let Some(u) = f.user_id("owner_user_id", c.owner_user_id) {
            next.owner_user_id = u;
        }
        f.require_because("type", !next.kind.is_empty(), &format!("is required: one of {}", TYPES.join(", ")));
        f.require("title", !next.title.is_empty());
        if next.ended_at.is_some_and(|e| e < next.started_at) {
            f.error("ended_at", "must not be before started_at");
        }
        let links = if c.links.is_present() { crate::links::parse(c.links, next.subject.as_ref()) } else { Ok(next.links.clone()) };
        match links {
            Ok(l) => next.links = l.into_iter().filter(|l| Some(l) != next.subject.as_ref()).collect(),
            Err(e) => f.absorb(e),
        }
        f.finish(next)
    }
}

impl Activity {
    pub fn key(tenant: TenantId, id: EntityId) -> Key {
        keys::entity(tenant, ACTIVITY, id)
    }

    /// This activity as the record its links belong to.
    pub fn linker(&self) -> crate::links::Linker {
        crate::links::Linker {
            kind: "activity",
            id: self.id,
            tenant: self.tenant_id,
            created_at: self.created_at,
            owner: self.fields.owner_user_id,
            created_by: self.created_by,
        }
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        let t = self.tenant_id;
        let when = format!("{}#{}", self.fields.started_at, self.id);
        let mut it = item::to_item(&Self::key(t, self.id), self)?
            .with_str("kind", "activity")
            .with_str("activity_type", self.fields.kind.clone())
            .with_index(Index::ByKind, keys::by_kind_pk(t, ACTIVITY), when.clone());
        if let Some(o) = self.fields.owner_user_id {
            it = it.with_index(Index::ByOwner, keys::by_owner_pk(t, ACTIVITY, &o.to_string()), when);
        }
        if let Some(s) = &self.fields.subject {
            it = it.with_index(
                Index::ByParent,
                keys::by_parent_pk(t, &s.kind.to_ascii_uppercase(), &s.id),
                format!("{}#{}#{ACTIVITY}", self.created_at, self.id),
            );
        }
        Ok(it)
    }
}

crm_kernel::one_of_schema!(type_schema, TYPES);
crm_kernel::one_of_schema!(direction_schema, DIRECTIONS);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes(v: serde_json::Value) -> ActivityChanges {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn activities_parse_and_name_every_problem() {
        let now = Timestamp::now();
        let a = ActivityFields::apply(
            &ActivityFields::blank(now),
            changes(json!({"type": "call", "title": "Discovery call", "direction": "outbound", "started_at": "2026-11-20T10:00:00Z", "ended_at": "2026-11-20T10:25:00Z"})),
        )
        .unwrap();
        assert_eq!((a.kind.as_str(), a.direction.as_deref()), ("call", Some("outbound")));
        let err = ActivityFields::apply(
            &ActivityFields::blank(now),
            changes(
                json!({"type": "fax", "direction": "sideways", "started_at": "2026-11-20T10:00:00Z", "ended_at": "2026-11-20T09:00:00Z"}),
            ),
        )
        .unwrap_err();
        let fields: Vec<_> = err.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, vec!["type", "direction", "title", "ended_at"]);
    }
}
