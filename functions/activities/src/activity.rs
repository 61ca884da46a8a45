//! Logged interactions (the spec's `activities`): a call, an email, a
//! meeting or a note taken with someone — who logged it, about which
//! record, which way (`inbound`/`outbound`), when it started and ended.
//! Parsed with every bad field named ([`ActivityFields::apply`], pure). Lists:
//! `by_kind` sorted by when it happened (date ranges), `by_owner`, and the
//! record's `by_parent` partition (its timeline, beside notes and tasks).

use crm_kernel::{AppError, EntityId, FieldError, TenantId, Timestamp, UserId};
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

fn time(errors: &mut Vec<FieldError>, field: &str, v: &Value) -> Option<Timestamp> {
    match v {
        Value::String(s) => Timestamp::parse(s).map_err(|_| errors.push(FieldError::new(field, "must be an RFC 3339 time"))).ok(),
        _ => {
            errors.push(FieldError::new(field, "must be an RFC 3339 time"));
            None
        }
    }
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

    /// Applies a JSON object of changes (absent = keep, `null` = clear).
    pub fn apply(base: &Self, changes: &Value) -> Result<Self, AppError> {
        let obj = changes.as_object().ok_or_else(|| AppError::invalid("body", "must be a JSON object"))?;
        let mut errors = Vec::new();
        for k in obj.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
            errors.push(FieldError::new(k.as_str(), "unknown field"));
        }
        let mut next = base.clone();
        if let Some(v) = obj.get("type") {
            match v.as_str() {
                Some(t) if TYPES.contains(&t) => next.kind = t.into(),
                _ => errors.push(FieldError::new("type", format!("must be one of {}", TYPES.join(", ")))),
            }
        }
        if let Some(v) = obj.get("title") {
            match v.as_str().map(str::trim) {
                Some(t) if !t.is_empty() && t.chars().count() <= 200 => next.title = t.into(),
                _ => errors.push(FieldError::new("title", "must be 1-200 characters")),
            }
        }
        if let Some(v) = obj.get("body") {
            next.body = match v {
                Value::Null => None,
                Value::String(s) if s.chars().count() <= 10_000 => Some(s.clone()).filter(|s| !s.trim().is_empty()),
                _ => {
                    errors.push(FieldError::new("body", "must be text of at most 10000 characters"));
                    None
                }
            };
        }
        if let Some(v) = obj.get("direction") {
            next.direction = match v {
                Value::Null => None,
                Value::String(d) if DIRECTIONS.contains(&d.as_str()) => Some(d.clone()),
                _ => {
                    errors.push(FieldError::new("direction", "must be inbound or outbound"));
                    None
                }
            };
        }
        if let Some(v) = obj.get("started_at") {
            if let Some(t) = time(&mut errors, "started_at", v) {
                next.started_at = t;
            }
        }
        if let Some(v) = obj.get("ended_at") {
            next.ended_at = if v.is_null() { None } else { time(&mut errors, "ended_at", v) };
        }
        if let Some(v) = obj.get("subject") {
            next.subject = SubjectRef::from_json("subject", v).map_err(|e| errors.push(e)).ok().flatten();
        }
        if let Some(v) = obj.get("owner_user_id") {
            next.owner_user_id = match v.as_str().map(UserId::parse) {
                Some(Ok(u)) => Some(u),
                _ if v.is_null() => None,
                _ => {
                    errors.push(FieldError::new("owner_user_id", "must be a user id"));
                    None
                }
            };
        }
        if next.kind.is_empty() && !errors.iter().any(|e| e.field == "type") {
            errors.push(FieldError::new("type", format!("is required: one of {}", TYPES.join(", "))));
        }
        if next.title.is_empty() && !errors.iter().any(|e| e.field == "title") {
            errors.push(FieldError::new("title", "is required"));
        }
        if next.ended_at.is_some_and(|e| e < next.started_at) {
            errors.push(FieldError::new("ended_at", "must not be before started_at"));
        }
        let links = obj.get("links").map(|v| crate::links::parse(v, next.subject.as_ref())).unwrap_or_else(|| Ok(next.links.clone()));
        match links {
            Ok(l) => next.links = l.into_iter().filter(|l| Some(l) != next.subject.as_ref()).collect(),
            Err(e) => errors.extend(e),
        }
        if errors.is_empty() {
            Ok(next)
        } else {
            Err(AppError::invalid_fields(errors))
        }
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
