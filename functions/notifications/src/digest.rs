//! The daily digest (digest kind `daily.activity`): a
//! scheduled function (hourly) that sends each user, in the hour of their
//! tenant's `digest_time` in their own time zone, an email and an inbox
//! entry summing up what happened in the tenant over the last 24 hours (the
//! activity feed) and how many notifications they have not read.
//!
//! Respects the user's `daily_digest` and `inbox_on_all` preferences, quiet
//! hours and do-not-disturb (the send is held, not dropped); at most one
//! digest per user and local day (a marker written with the messages); a
//! day with no activity and nothing unread sends nothing. The event's
//! `detail` may name one `tenant_id` (and an `at` instant) to rerun a tenant.

use std::collections::BTreeMap;

use chrono::Timelike;
use crm_kernel::{AppError, Limit, TenantId, Timestamp, UserId};
use crm_notify::compose::{compose, Mirror, Recipient, Send};
use crm_notify::messages::{Channel, MessageKind, QueueExt};
use crm_notify::preferences::Preferences;
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Query, StoreError, Tx};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::inbox::InboxEntry;
use crate::people::TenantView;
use crate::policy::Policy;
use crate::{quiet, App};
use crm_directory::UserView;

pub const FAMILY: &str = "digest.daily";

#[derive(Debug, Default, Deserialize)]
struct Detail {
    #[serde(default)]
    tenant_id: Option<TenantId>,
    #[serde(default)]
    at: Option<Timestamp>,
}

/// The activity of the last 24 hours as `(event type, count)`, most frequent first.
pub fn summarise(event_types: &[String]) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for t in event_types {
        *counts.entry(t.as_str()).or_default() += 1;
    }
    let mut v: Vec<(String, usize)> = counts.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// Overdue tasks as lines, at most 10 (`-` when none).
fn overdue_text(tasks: &[(String, String)]) -> String {
    if tasks.is_empty() {
        return "-".into();
    }
    let mut lines: Vec<String> =
        tasks.iter().take(10).map(|(title, due)| format!("• {title} (due {})", &due[..due.len().min(16)])).collect();
    if tasks.len() > 10 {
        lines.push(format!("… and {} more", tasks.len() - 10));
    }
    lines.join("\n")
}

fn summary_text(counts: &[(String, usize)]) -> String {
    if counts.is_empty() {
        return "-".into();
    }
    counts.iter().take(12).map(|(t, n)| format!("• {t} × {n}")).collect::<Vec<_>>().join("\n")
}

impl App {
    /// Runs one sweep; answers what it did.
    pub async fn run_digest(&self, event: Value) -> Value {
        let detail: Detail = serde_json::from_value(event.get("detail").cloned().unwrap_or(Value::Null)).unwrap_or_default();
        let now = detail.at.unwrap_or_else(Timestamp::now);
        let tenants = match detail.tenant_id {
            Some(t) => Ok(vec![t]),
            None => self.all_tenants().await,
        };
        let tenants = match tenants {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "digest: cannot list tenants");
                return json!({ "error": e.to_string() });
            }
        };
        let (mut sent, mut failed) = (0usize, 0usize);
        for t in &tenants {
            match self.digest_tenant(*t, now).await {
                Ok(n) => sent += n,
                Err(e) => {
                    failed += 1;
                    tracing::error!(tenant_id = %t, error = %e, "digest failed for a tenant");
                }
            }
        }
        crm_events::metrics::emit(
            &[("Function", "daily_digest")],
            &[("DigestsSent", sent as f64), ("DigestTenantFailures", failed as f64)],
        );
        json!({ "tenants": tenants.len(), "sent": sent, "failed": failed })
    }

    async fn all_tenants(&self) -> Result<Vec<TenantId>, StoreError> {
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let page = self.store.query(Query::system(Index::ByKind, keys::TENANTS).limit(Limit::max()).after(cursor)).await?;
            out.extend(page.items.iter().filter_map(|i| i.str_attr("id").and_then(|id| TenantId::parse(id).ok())));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return Ok(out),
            }
        }
    }

    /// Digests for the users of one tenant whose digest hour it is.
    async fn digest_tenant(&self, t: TenantId, now: Timestamp) -> Result<usize, AppError> {
        let tenant = crate::people::tenant(&self.store, t).await?;
        if !tenant.is_active() {
            return Ok(0);
        }
        let policy = Policy::load(&self.store, t).await?;
        let Some(hour) = policy.digest_hour() else { return Ok(0) };
        let users: Vec<UserView> = crm_directory::list(&self.store, t).await?.into_iter().filter(UserView::is_active).collect();
        let zone_of = |p: &UserView| {
            p.profile.timezone.as_deref().or(policy.timezone.as_deref()).and_then(crm_kernel::time::parse_zone).unwrap_or(chrono_tz::UTC)
        };
        let due: Vec<&UserView> = users.iter().filter(|p| now.as_datetime().with_timezone(&zone_of(p)).hour() == hour).collect();
        if due.is_empty() {
            return Ok(0);
        }
        let activity = summarise(&self.activity_since(t, now.plus_seconds(-86_400), now).await?);
        let count: usize = activity.iter().map(|(_, n)| n).sum();
        let mut sent = 0;
        for p in due {
            let local_date = now.as_datetime().with_timezone(&zone_of(p)).date_naive().to_string();
            match self.digest_user(t, &tenant, &policy, p, &activity, count, &local_date, now).await {
                Ok(true) => sent += 1,
                Ok(false) => {}
                Err(e) => tracing::error!(tenant_id = %t, user_id = %p.id, error = %e, "digest failed for a user"),
            }
        }
        Ok(sent)
    }

    /// Event types of the tenant's feed between `from` and `to` (the feed is
    /// partitioned by UTC day: at most two partitions).
    async fn activity_since(&self, t: TenantId, from: Timestamp, to: Timestamp) -> Result<Vec<String>, StoreError> {
        let mut days = vec![from.date()];
        if to.date() != from.date() {
            days.push(to.date());
        }
        let mut types = Vec::new();
        for day in days {
            let mut cursor = None;
            loop {
                let q =
                    Query::table(t, keys::feed_pk(t, &day)).sk_between(from.to_string(), to.to_string()).limit(Limit::max()).after(cursor);
                let page = self.store.query(q).await?;
                types.extend(page.items.iter().filter_map(|i| i.str_attr("event_type").map(str::to_string)));
                match page.next_cursor {
                    Some(c) if types.len() < 5_000 => cursor = Some(c),
                    _ => break,
                }
            }
        }
        Ok(types)
    }

    /// The user's open tasks whose due time has passed (the spec:
    /// "overdue tasks trigger daily digest notification"): one key condition
    /// on their `by_owner` task list, which is sorted by due time.
    async fn overdue_tasks(&self, t: TenantId, user: UserId, now: Timestamp) -> Result<Vec<(String, String)>, StoreError> {
        let q = Query::index(t, Index::ByOwner, keys::by_owner_pk(t, "TASK", &user.to_string()))
            .sk_between("0", now.to_string())
            .limit(Limit::max());
        Ok(self
            .store
            .query(q)
            .await?
            .items
            .iter()
            .filter(|it| matches!(it.str_attr("status"), Some("open" | "in_progress")))
            .map(|it| (it.str_attr("title").unwrap_or_default().to_string(), it.str_attr("due_at").unwrap_or_default().to_string()))
            .collect())
    }

    #[allow(clippy::too_many_arguments)]
    async fn digest_user(
        &self,
        t: TenantId,
        tenant: &TenantView,
        policy: &Policy,
        p: &UserView,
        activity: &[(String, usize)],
        count: usize,
        local_date: &str,
        now: Timestamp,
    ) -> Result<bool, AppError> {
        let prefs: Preferences = self.store.get_as(&Preferences::key(t, p.id)).await?.unwrap_or_default();
        if !prefs.daily_digest {
            return Ok(false);
        }
        let unread =
            self.store.query(Query::index(t, Index::ByLookup, InboxEntry::unread_pk(t, p.id)).limit(Limit::max())).await?.items.len();
        let overdue = self.overdue_tasks(t, p.id, now).await?;
        if count == 0 && unread == 0 && overdue.is_empty() {
            return Ok(false);
        }
        let mut payload = Map::new();
        payload.insert("full_name".into(), json!(p.display_name()));
        payload.insert("tenant_name".into(), json!(tenant.name));
        payload.insert("date".into(), json!(local_date));
        payload.insert("count".into(), json!(count));
        payload.insert("summary".into(), json!(summary_text(activity)));
        payload.insert("overdue".into(), json!(overdue.len()));
        payload.insert("overdue_list".into(), json!(overdue_text(&overdue)));
        payload.insert("unread".into(), json!(if unread >= 100 { "100+".to_string() } else { unread.to_string() }));
        let recipient = Recipient {
            email: Some(p.email.clone()),
            phone: None,
            user_id: Some(p.id),
            locale: prefs.locale.clone().or(p.profile.locale.clone()),
        };
        let send = |channel: Channel| Send {
            tenant_id: t,
            channel,
            family: FAMILY.into(),
            payload: payload.clone(),
            kind: MessageKind::Transactional,
            mirror: Mirror { email: false, inbox: false },
            scheduled_at: None,
            source: "notify.digest".into(),
            marketing_email_ok: false,
        };
        let mut email = compose(&send(Channel::Email), &recipient, &[], policy.locale.as_deref())?.messages.remove(0);
        let mut messages = vec![];
        let zone =
            p.profile.timezone.as_deref().or(policy.timezone.as_deref()).and_then(crm_kernel::time::parse_zone).unwrap_or(chrono_tz::UTC);
        let hold = |c: &Channel| {
            let at = quiet::release_at(now.as_datetime(), &zone, c, policy.quiet_hours.as_ref(), prefs.dnd_until.map(|d| d.as_datetime()));
            Some(Timestamp::from_datetime(at)).filter(|at| *at > now)
        };
        email.scheduled_at = hold(&Channel::Email);
        if prefs.inbox_on_all {
            let mut inbox = compose(&send(Channel::Inbox), &recipient, &[], policy.locale.as_deref())?.messages.remove(0);
            inbox.dispatch_group_id = email.dispatch_group_id;
            inbox.mirror_of = Some(email.id);
            inbox.scheduled_at = hold(&Channel::Inbox);
            messages.push(inbox);
        }
        messages.insert(0, email);
        let marker = item::to_item(&keys::unique(t, "DIGEST", &format!("{}#{local_date}", p.id)), &json!({ "sent_at": now }))?
            .with_ttl(now.unix_seconds() + 3 * 86_400);
        let mut tx = Tx::new().put_new("digest_marker", marker);
        for m in &messages {
            tx = tx.queue_message(m)?;
        }
        match self.store.transact(tx).await {
            Ok(()) => Ok(true),
            Err(StoreError::ConditionFailed { label }) if label == "digest_marker" => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_is_counted_most_frequent_first() {
        let types: Vec<String> = ["note.created", "user.invited", "note.created"].iter().map(|s| s.to_string()).collect();
        let s = summarise(&types);
        assert_eq!(s, vec![("note.created".to_string(), 2), ("user.invited".to_string(), 1)]);
        assert_eq!(summary_text(&s), "• note.created × 2\n• user.invited × 1");
        assert_eq!(summary_text(&[]), "-");
        let overdue: Vec<(String, String)> = (0..12).map(|i| (format!("Task {i}"), "2026-11-20T09:00:00.000Z".to_string())).collect();
        let text = overdue_text(&overdue);
        assert!(text.starts_with("• Task 0 (due 2026-11-20T09:00)\n"));
        assert!(text.ends_with("… and 2 more"));
        assert_eq!(overdue_text(&[]), "-");
    }
}
