//! Task reminders (the spec's `reminders`; ADR 0010): "remind me about this task at
//! `remind_at` by these channels". Each reminder is an item in the task's
//! collection (`REMINDER#{id}`) and one EventBridge Scheduler one-time
//! schedule (`at(…)`) that invokes the reminder function at that moment
//! ([`crate::schedule`]). Firing is idempotent: the reminder goes from
//! `pending` to `sent` (or `cancelled` when the task is closed) under a
//! version condition, together with its messages.

use crm_kernel::{AppError, EntityId, FieldError, TenantId, Timestamp, UserId};
use crm_notify::messages::Channel;
use crm_store::{item, keys, Item, Key, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How far ahead a reminder may be set.
pub const MAX_AHEAD_DAYS: i64 = 366;
/// Reminders per request, and pending ones per task.
pub const MAX_PER_TASK: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderStatus {
    Pending,
    Sent,
    Cancelled,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reminder {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub task_id: EntityId,
    pub remind_at: Timestamp,
    pub channels: Vec<Channel>,
    pub status: ReminderStatus,
    pub created_by: UserId,
    pub created_at: Timestamp,
    #[serde(default)]
    pub fired_at: Option<Timestamp>,
    #[serde(default)]
    pub message_ids: Vec<EntityId>,
    /// Why a reminder did not send (`task_closed`, `cancelled_by_user`).
    #[serde(default)]
    pub reason: Option<String>,
    pub version: u64,
}

/// The input a reminder's schedule delivers to the reminder function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fire {
    pub tenant_id: TenantId,
    pub task_id: EntityId,
    pub reminder_id: EntityId,
}

impl Reminder {
    pub fn key(tenant: TenantId, task: EntityId, id: EntityId) -> Key {
        keys::task_reminder(tenant, task, id)
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        item::to_item(&Self::key(self.tenant_id, self.task_id, self.id), self)
    }

    /// The schedule's name: unique, stable, within Scheduler's 64 characters.
    pub fn schedule_name(&self) -> String {
        format!("reminder-{}", self.id)
    }

    pub fn fire(&self) -> Fire {
        Fire { tenant_id: self.tenant_id, task_id: self.task_id, reminder_id: self.id }
    }
}

/// Parses `{remind_at, channels?}` or `{reminders: [{remind_at, channels?}, …]}`:
/// each time in the future and within a year, channels among email, inbox,
/// sms, whatsapp (default email + inbox, the spec's "always" pair).
pub fn parse(body: &Value, now: Timestamp) -> Result<Vec<(Timestamp, Vec<Channel>)>, AppError> {
    let obj = body.as_object().ok_or_else(|| AppError::invalid("body", "must be a JSON object"))?;
    let (list, prefix): (Vec<&Value>, bool) = match obj.get("reminders") {
        Some(Value::Array(a)) => (a.iter().collect(), true),
        Some(_) => return Err(AppError::invalid("reminders", "must be a list")),
        None => (vec![body], false),
    };
    if list.is_empty() || list.len() > MAX_PER_TASK {
        return Err(AppError::invalid("reminders", format!("give 1 to {MAX_PER_TASK} reminders")));
    }
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, r) in list.iter().enumerate() {
        let f = |name: &str| if prefix { format!("reminders[{i}].{name}") } else { name.to_string() };
        let Some(o) = r.as_object() else {
            errors.push(FieldError::new(f("remind_at"), "each reminder must be an object"));
            continue;
        };
        for k in o.keys().filter(|k| !["remind_at", "channels"].contains(&k.as_str())) {
            errors.push(FieldError::new(f(k), "unknown field"));
        }
        let at = match o.get("remind_at").and_then(Value::as_str).map(Timestamp::parse) {
            Some(Ok(at)) if at <= now => Err(FieldError::new(f("remind_at"), "must be in the future")),
            Some(Ok(at)) if at > now.plus_seconds(MAX_AHEAD_DAYS * 86_400) => {
                Err(FieldError::new(f("remind_at"), format!("must be within {MAX_AHEAD_DAYS} days")))
            }
            Some(Ok(at)) => Ok(at),
            _ => Err(FieldError::new(f("remind_at"), "is required: an RFC 3339 time")),
        };
        let channels = match o.get("channels") {
            None => Ok(vec![Channel::Email, Channel::Inbox]),
            Some(Value::Array(a)) if !a.is_empty() => {
                let parsed: Result<Vec<Channel>, _> = a.iter().map(|c| serde_json::from_value::<Channel>(c.clone())).collect();
                match parsed {
                    Ok(cs) => Ok(cs.iter().enumerate().filter(|(j, c)| !cs[..*j].contains(c)).map(|(_, c)| c.clone()).collect()),
                    Err(_) => Err(FieldError::new(f("channels"), "each must be email, inbox, sms or whatsapp")),
                }
            }
            Some(_) => Err(FieldError::new(f("channels"), "must be a non-empty list")),
        };
        match (at, channels) {
            (Ok(at), Ok(cs)) => out.push((at, cs)),
            (a, c) => errors.extend(a.err().into_iter().chain(c.err())),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(AppError::invalid_fields(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reminders_are_future_times_with_known_channels() {
        let now = Timestamp::parse("2026-11-23T10:00:00Z").unwrap();
        let one = parse(&json!({"remind_at": "2026-11-23T11:00:00Z"}), now).unwrap();
        assert_eq!(one, vec![(Timestamp::parse("2026-11-23T11:00:00Z").unwrap(), vec![Channel::Email, Channel::Inbox])]);
        let many = parse(
            &json!({"reminders": [{"remind_at": "2026-11-24T09:00:00Z", "channels": ["sms"]}, {"remind_at": "2026-11-25T09:00:00Z"}]}),
            now,
        )
        .unwrap();
        assert_eq!(many.len(), 2);
        assert_eq!(many[0].1, vec![Channel::Sms]);
        let err = parse(
            &json!({"reminders": [{"remind_at": "2026-11-23T09:00:00Z"}, {"remind_at": "2029-01-01T00:00:00Z", "channels": ["fax"]}]}),
            now,
        )
        .unwrap_err();
        let fields: Vec<_> = err.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, vec!["reminders[0].remind_at", "reminders[1].remind_at", "reminders[1].channels"]);
        assert!(parse(&json!({"remind_at": "soon"}), now).is_err());
        assert!(parse(&json!({"reminders": []}), now).is_err());
    }
}
