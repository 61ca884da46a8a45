//! Tasks (the spec's `tasks`): a title, a description, a status
//! (`open`, `in_progress`, `done`, `cancelled`), a priority, a due time, an
//! owner and the record it is about. Parsed from the API with every bad field
//! named ([`TaskFields::apply`], pure). Lists:
//!
//! * `by_owner` — the owner's tasks by due time (a due range is a key
//!   condition; tasks without a due time sort last);
//! * `by_kind` — all, newest first;
//! * `by_parent` — the related record's timeline, next to its notes.

use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

use crate::note::{SubjectInput, SubjectRef};

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
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

/// The body of `POST /v1/tasks` and `PATCH /v1/tasks/{id}`: absent keeps,
/// `null` clears.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TaskChanges {
    /// Required on create; 1 to 200 characters, trimmed.
    #[schemars(length(max = 200))]
    pub title: Input<String>,
    #[schemars(length(max = 5000))]
    pub description: Input<String>,
    /// `done` stamps `completed_at`.
    pub status: Input<TaskStatus>,
    /// `low`, `medium` (the default) or `high`.
    #[schemars(schema_with = "priority_schema")]
    pub priority: Input<String>,
    pub due_at: Input<Timestamp>,
    /// Defaults to the caller on create; a new owner is notified.
    pub owner_user_id: Input<UserId>,
    /// The record the task is about.
    pub related: Input<SubjectInput>,
    /// More records it is about (at most 10).
    pub links: Input<Vec<Input<SubjectInput>>>,
}

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

    /// Applies a change set (absent = keep, `null` = clear).
    pub fn apply(base: &Self, c: TaskChanges) -> Result<Self, AppError> {
        let mut f = Fields::new();
        let mut next = base.clone();
        if let Some(t) = f.text("title", c.title, 200) {
            next.title = t.unwrap_or_default();
        }
        if let Some(d) = f.prose("description", c.description, 5000) {
            next.description = d;
        }
        if let Some(s) = f.set("status", c.status, &format!("must be one of {}", STATUSES.join(", "))) {
            next.status = s;
        }
        if let Some(p) = f.one_of("priority", c.priority, PRIORITIES) {
            next.priority = p;
        }
        if let Some(d) = f.time("due_at", c.due_at) {
            next.due_at = d;
        }
        if let Some(u) = f.user_id("owner_user_id", c.owner_user_id) {
            next.owner_user_id = u;
        }
        if c.related.is_present() {
            next.related = SubjectRef::from_input("related", c.related).map_err(|e| f.absorb([e])).ok().flatten();
        }
        f.require("title", !next.title.is_empty());
        let links = if c.links.is_present() { crate::links::parse(c.links, next.related.as_ref()) } else { Ok(next.links.clone()) };
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

crm_kernel::one_of_schema!(priority_schema, PRIORITIES);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes(v: serde_json::Value) -> TaskChanges {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn tasks_parse_and_name_every_problem() {
        let id = EntityId::new().to_string();
        let t = TaskFields::apply(
            &TaskFields::blank(),
            changes(json!({"title": " Call Acme ", "due_at": "2026-12-01T09:00:00+02:00", "priority": "high", "related": {"type": "contact", "id": id}})),
        )
        .unwrap();
        assert_eq!((t.title.as_str(), t.status.as_str(), t.priority.as_str()), ("Call Acme", "open", "high"));
        assert_eq!(t.due_at.unwrap().to_string(), "2026-12-01T07:00:00.000Z");
        let err = TaskFields::apply(
            &TaskFields::blank(),
            changes(json!({"status": "later", "due_at": "tomorrow", "related": {"type": "planet", "id": "x"}})),
        )
        .unwrap_err();
        let fields: Vec<_> = err.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, vec!["status", "due_at", "related.type", "title"]);
    }
}
