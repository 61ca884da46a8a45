//! Tasks (the spec's `tasks`): a title, a description, a status
//! (`open`, `in_progress`, `done`, `cancelled`), a priority, a due time, an
//! owner and the record it is about. Parsed from the API with every bad field
//! named ([`TaskFields::apply`], pure). Lists:
//!
//! * `by_owner` — the owner's tasks by due time (a due range is a key
//!   condition; tasks without a due time sort last);
//! * `by_kind` — all, newest first;
//! * `by_parent` — the related record's timeline, next to its notes.

use crm_kernel::fields::Fields;
use crm_kernel::{AppError, EntityId, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::note::SubjectRef;

pub const TASK: &str = "TASK";
crm_kernel::named_enum! {
    /// Where a task stands; `done` and `cancelled` close it.
    pub enum TaskStatus { Open = "open", InProgress = "in_progress", Done = "done", Cancelled = "cancelled" }
}

impl TaskStatus {
    pub fn is_closed(self) -> bool {
        matches!(self, TaskStatus::Done | TaskStatus::Cancelled)
    }
}

pub const STATUSES: &[&str] = TaskStatus::ALL;
pub const PRIORITIES: &[&str] = &["low", "medium", "high"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskFields {
    pub title: String,
    pub description: Option<String>,
    pub status: TaskStatus,
    pub priority: String,
    pub due_at: Option<Timestamp>,
    pub owner_user_id: Option<UserId>,
    pub related: Option<SubjectRef>,
    /// More records it is about, beside `related` ([`crate::links`]).
    #[serde(default)]
    pub links: Vec<SubjectRef>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Task {
    pub id: EntityId,
    pub tenant_id: TenantId,
    #[serde(flatten)]
    pub fields: TaskFields,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default)]
    pub completed_at: Option<Timestamp>,
    pub version: u64,
}

const FIELDS: &[&str] = &["title", "description", "status", "priority", "due_at", "owner_user_id", "related", "links"];

impl TaskFields {
    pub fn blank() -> Self {
        Self {
            title: String::new(),
            description: None,
            status: TaskStatus::Open,
            priority: "medium".into(),
            due_at: None,
            owner_user_id: None,
            related: None,
            links: Vec::new(),
        }
    }

    /// Applies a JSON object of changes (absent = keep, `null` = clear).
    pub fn apply(base: &Self, changes: &Value) -> Result<Self, AppError> {
        let mut f = Fields::of(changes, FIELDS)?;
        let mut next = base.clone();
        if let Some(t) = f.text("title", 200) {
            next.title = t.unwrap_or_default();
        }
        if let Some(d) = f.prose("description", 5000) {
            next.description = d;
        }
        if let Some(s) = f.one_of("status", STATUSES).and_then(|s| TaskStatus::parse(&s)) {
            next.status = s;
        }
        if let Some(p) = f.one_of("priority", PRIORITIES) {
            next.priority = p;
        }
        if let Some(d) = f.time("due_at") {
            next.due_at = d;
        }
        if let Some(u) = f.user_id("owner_user_id") {
            next.owner_user_id = u;
        }
        if let Some(v) = f.raw("related") {
            next.related = SubjectRef::from_json("related", v).map_err(|e| f.absorb([e])).ok().flatten();
        }
        f.require("title", !next.title.is_empty());
        let links = f.raw("links").map(|v| crate::links::parse(v, next.related.as_ref())).unwrap_or_else(|| Ok(next.links.clone()));
        match links {
            Ok(l) => next.links = l.into_iter().filter(|l| Some(l) != next.related.as_ref()).collect(),
            Err(e) => f.absorb(e),
        }
        f.finish(next)
    }
}

impl Task {
    pub fn key(tenant: TenantId, id: EntityId) -> Key {
        keys::entity(tenant, TASK, id)
    }

    /// The owner-list sort key: due time first (`~` sorts after any time).
    pub fn due_sort(&self) -> String {
        format!("{}#{}", self.fields.due_at.map(|d| d.to_string()).unwrap_or_else(|| "~".into()), self.id)
    }

    /// This task as the record its links belong to.
    pub fn linker(&self) -> crate::links::Linker {
        crate::links::Linker {
            kind: "task",
            id: self.id,
            tenant: self.tenant_id,
            created_at: self.created_at,
            owner: self.fields.owner_user_id,
            created_by: self.created_by,
        }
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        let t = self.tenant_id;
        let sort = format!("{}#{}", self.created_at, self.id);
        let mut it = item::to_item(&Self::key(t, self.id), self)?.with_str("kind", "task").with_index(
            Index::ByKind,
            keys::by_kind_pk(t, TASK),
            sort.clone(),
        );
        if let Some(o) = self.fields.owner_user_id {
            it = it.with_index(Index::ByOwner, keys::by_owner_pk(t, TASK, &o.to_string()), self.due_sort());
        }
        if let Some(r) = &self.fields.related {
            it = it.with_index(Index::ByParent, keys::by_parent_pk(t, &r.kind.to_ascii_uppercase(), &r.id), format!("{sort}#{TASK}"));
        }
        Ok(it)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tasks_parse_and_name_every_problem() {
        let id = EntityId::new().to_string();
        let t = TaskFields::apply(
            &TaskFields::blank(),
            &json!({"title": " Call Acme ", "due_at": "2026-12-01T09:00:00+02:00", "priority": "high", "related": {"type": "contact", "id": id}}),
        )
        .unwrap();
        assert_eq!((t.title.as_str(), t.status.as_str(), t.priority.as_str()), ("Call Acme", "open", "high"));
        assert_eq!(t.due_at.unwrap().to_string(), "2026-12-01T07:00:00.000Z");
        let err = TaskFields::apply(
            &TaskFields::blank(),
            &json!({"status": "later", "due_at": "tomorrow", "related": {"type": "planet", "id": "x"}}),
        )
        .unwrap_err();
        let fields: Vec<_> = err.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, vec!["status", "due_at", "related.type", "title"]);
    }
}
