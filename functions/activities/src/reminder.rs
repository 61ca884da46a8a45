//! Task reminders (the spec's `reminders`; ADR 0010): "remind me about this task at
//! `remind_at` by these channels". Each reminder is an item in the task's
//! collection (`REMINDER#{id}`) and one EventBridge Scheduler one-time
//! schedule (`at(…)`) that invokes the reminder function at that moment
//! ([`crm_schedule`]). Firing is idempotent: the reminder goes from
//! `pending` to `sent` (or `cancelled` when the task is closed) under a
//! version condition, together with its messages.

use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId, TenantId, Timestamp, UserId};
use crm_notify::messages::Channel;
use crm_store::{item, keys, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

/// How far ahead a reminder may be set.
pub const MAX_AHEAD_DAYS: i64 = 366;
/// Reminders per request, and pending ones per task.
pub const MAX_PER_TASK: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReminderStatus {
    Pending,
    Sent,
    Cancelled,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
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

/// One reminder: when, and by which channels.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReminderInput {
    /// In the future, within 366 days.
    pub remind_at: Input<Timestamp>,
    /// Default `email` and `inbox`; `sms` and `whatsapp` need the plan's feature.
    #[schemars(length(min = 1))]
    pub channels: Input<Vec<Channel>>,
}

/// The body of `POST /v1/tasks/{id}/remind`: one reminder
/// (`{remind_at, channels?}`) or several (`{reminders: […]}`).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RemindRequest {
    /// In the future, within 366 days.
    pub remind_at: Input<Timestamp>,
    /// Default `email` and `inbox`; `sms` and `whatsapp` need the plan's feature.
    #[schemars(length(min = 1))]
    pub channels: Input<Vec<Channel>>,
    /// 1 to 10 reminders, in place of `remind_at` and `channels`.
    #[schemars(length(min = 1, max = 10))]
    pub reminders: Input<Vec<ReminderInput>>,
}

/// Parses a [`RemindRequest`]: each time in the future and within a year,
/// channels among email, inbox, sms, whatsapp (default email + inbox, the
/// spec's "always" pair).
pub fn parse(req: RemindRequest, now: Timestamp) -> Result<Vec<(Timestamp, Vec<Channel>)>, AppError> {
    let (list, prefix) = match req.reminders {
        Input::Given(list) => (list, true),
        Input::Absent => (vec![ReminderInput { remind_at: req.remind_at, channels: req.channels }], false),
        _ => return Err(AppError::invalid("reminders", "must be a list of {remind_at, channels?}")),
    };
    if list.is_empty() || list.len() > MAX_PER_TASK {
        return Err(AppError::invalid("reminders", format!("give 1 to {MAX_PER_TASK} reminders")));
    }
    let mut f = Fields::new();
    let mut out = Vec::new();
    for (i, r) in list.into_iter().enumerate() {
        let name = |field: &str| if prefix { format!("reminders[{i}].{field}") } else { field.to_string() };
        let at = match r.remind_at {
            Input::Given(at) if at <= now => Err("must be in the future".to_string()),
            Input::Given(at) if at > now.plus_seconds(MAX_AHEAD_DAYS * 86_400) => Err(format!("must be within {MAX_AHEAD_DAYS} days")),
            Input::Given(at) => Ok(at),
            _ => Err("is required: an RFC 3339 time".to_string()),
        };
        let channels = match r.channels {
            Input::Absent => Ok(vec![Channel::Email, Channel::Inbox]),
            Input::Given(cs) if !cs.is_empty() => {
                Ok(cs.iter().enumerate().filter(|(j, c)| !cs[..*j].contains(c)).map(|(_, c)| c.clone()).collect())
            }
            Input::Given(_) | Input::Null => Err("must be a non-empty list".to_string()),
            Input::Invalid(_) => Err("each must be email, inbox, sms or whatsapp".to_string()),
        };
        match (at, channels) {
            (Ok(at), Ok(cs)) => out.push((at, cs)),
            (a, c) => {
                if let Err(m) = a {
                    f.error(&name("remind_at"), m);
                }
                if let Err(m) = c {
                    f.error(&name("channels"), m);
                }
            }
        }
    }
    f.finish(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(v: serde_json::Value) -> RemindRequest {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn reminders_are_future_times_with_known_channels() {
        let now = Timestamp::parse("2026-11-23T10:00:00Z").unwrap();
        let one = parse(req(json!({"remind_at": "2026-11-23T11:00:00Z"})), now).unwrap();
        assert_eq!(one, vec![(Timestamp::parse("2026-11-23T11:00:00Z").unwrap(), vec![Channel::Email, Channel::Inbox])]);
        let many = parse(
            req(json!({"reminders": [{"remind_at": "2026-11-24T09:00:00Z", "channels": ["sms"]}, {"remind_at": "2026-11-25T09:00:00Z"}]})),
            now,
        )
        .unwrap();
        assert_eq!(many.len(), 2);
        assert_eq!(many[0].1, vec![Channel::Sms]);
        let err = parse(
            req(json!({"reminders": [{"remind_at": "2026-11-23T09:00:00Z"}, {"remind_at": "2029-01-01T00:00:00Z", "channels": ["fax"]}]})),
            now,
        )
        .unwrap_err();
        let fields: Vec<_> = err.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, vec!["reminders[0].remind_at", "reminders[1].remind_at", "reminders[1].channels"]);
        assert!(parse(req(json!({"remind_at": "soon"})), now).is_err());
        assert!(parse(req(json!({"reminders": []})), now).is_err());
    }
}
