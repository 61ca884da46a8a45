//! Audit entries as the API shows them: the day pages of
//! `GET /v1/admin/audit-logs` and the audit export read them through here,
//! so an export is the list's pages laid end to end.

use crm_store::item::{Item, ItemExt};
use serde_json::Value;

/// An audit item as the API shows it (the list and the export).
pub fn entry(i: &Item) -> Entry {
    let parse = |k: &str| i.str_attr(k).and_then(|s| serde_json::from_str::<Value>(s).ok()).unwrap_or(Value::Null);
    let text = |k: &str| i.str_attr(k).map(str::to_string);
    Entry {
        action: text("action"),
        at: text("at"),
        actor: serde_json::from_value(parse("actor")).ok(),
        subject: EntrySubject { kind: text("subject_type"), id: text("subject_id") },
        request_id: text("request_id"),
        details: parse("details"),
    }
}

/// One audit log entry.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Entry {
    /// The event type (`user.suspended`).
    pub action: Option<String>,
    pub at: Option<String>,
    pub actor: Option<crm_events::Actor>,
    pub subject: EntrySubject,
    pub request_id: Option<String>,
    /// What the event said (before and after, reasons).
    pub details: Value,
}

/// What an audit entry is about.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct EntrySubject {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub id: Option<String>,
}
