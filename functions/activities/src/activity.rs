//! Logged interactions (the spec's `activities`): a call, an email, a
//! meeting or a note taken with someone — who logged it, about which
//! record, which way (`inbound`/`outbound`), when it started and ended.
//! Parsed with every bad field named ([`ActivityFields::apply`], pure). Lists:
//! `by_kind` sorted by when it happened (date ranges), `by_owner`, and the
//! record's `by_parent` partition (its timeline, beside notes and tasks).

use crm_kernel::fields::Fields;
use crm_kernel::{AppError, EntityId, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::note::SubjectRef;

pub const ACTIVITY: &str = "ACTIVITY";
pub const TYPES: &[&str] = &["call", "email", "meeting", "note"];
pub const DIRECTIONS: &[&str] = &["inbound", "outbound"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Serialize, Deserialize)]
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

const FIELDS: &[&str] = &["type", "title", "body", "direction", "started_at", "ended_at", "subject", "owner_user_id", "links"];

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

    /// Applies a JSON object of changes (absent = keep, `null` = clear).
    pub fn apply(base: &Self, changes: &Value) -> Result<Self, AppError> {
        let mut f = Fields::of(changes, FIELDS)?;
        let mut next = base.clone();
        if let Some(t) = f.one_of("type", TYPES) {
            next.kind = t;
        }
        if let Some(t) = f.text("title", 200) {
            next.title = t.unwrap_or_default();
        }
        if let Some(b) = f.prose("body", 10_000) {
            next.body = b;
        }
        if let Some(d) = f.one_of_or_null("direction", DIRECTIONS) {
            next.direction = d;
        }
        if let Some(t) = f.time("started_at") {
            match t {
                Some(t) => next.started_at = t,
                None => f.error("started_at", "must be an RFC 3339 time"),
            }
        }
        if let Some(t) = f.time("ended_at") {
            next.ended_at = t;
        }
        if let Some(v) = f.raw("subject") {
            next.subject = SubjectRef::from_json("subject", v).map_err(|e| f.absorb([e])).ok().flatten();
        }
        if let Some(u) = f.user_id("owner_user_id") {
            next.owner_user_id = u;
        }
        f.require_because("type", !next.kind.is_empty(), &format!("is required: one of {}", TYPES.join(", ")));
        f.require("title", !next.title.is_empty());
        if next.ended_at.is_some_and(|e| e < next.started_at) {
            f.error("ended_at", "must not be before started_at");
        }
        let links = f.raw("links").map(|v| crate::links::parse(v, next.subject.as_ref())).unwrap_or_else(|| Ok(next.links.clone()));
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn activities_parse_and_name_every_problem() {
        let now = Timestamp::now();
        let a = ActivityFields::apply(
            &ActivityFields::blank(now),
            &json!({"type": "call", "title": "Discovery call", "direction": "outbound", "started_at": "2026-11-20T10:00:00Z", "ended_at": "2026-11-20T10:25:00Z"}),
        )
        .unwrap();
        assert_eq!((a.kind.as_str(), a.direction.as_deref()), ("call", Some("outbound")));
        let err = ActivityFields::apply(
            &ActivityFields::blank(now),
            &json!({"type": "fax", "direction": "sideways", "started_at": "2026-11-20T10:00:00Z", "ended_at": "2026-11-20T09:00:00Z"}),
        )
        .unwrap_err();
        let fields: Vec<_> = err.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, vec!["type", "direction", "title", "ended_at"]);
    }
}
