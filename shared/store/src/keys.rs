//! Every key of the single table is built here, and only here.
//!
//! Layout (see `docs/access-patterns.md`):
//!
//! | item                  | pk                                   | sk                          |
//! |-----------------------|--------------------------------------|-----------------------------|
//! | entity                | `T#{t}#{KIND}#{id}`                  | `META`                      |
//! | entity child          | `T#{t}#{KIND}#{id}`                  | `{CHILD}#{...}`             |
//! | outbox event          | `T#{t}#OUTBOX#{event_id}`            | `EVENT`                     |
//! | consumer marker       | `T#{t}#CONSUMED#{consumer}#{event}`  | `CONSUMED`                  |
//! | activity feed (daily) | `T#{t}#FEED#{yyyy-mm-dd}`            | `{occurred_at}#{event_id}`  |
//! | audit entry (daily)   | `T#{t}#AUDIT#{yyyy-mm-dd}`           | `{at}#{audit_id}`           |
//! | unique marker         | `T#{t}#UNIQUE#{kind}#{value}`        | `UNIQUE`                    |
//!
//! Global secondary indexes are named for their access pattern; each has
//! tenant-prefixed string keys `{index}_pk` / `{index}_sk`.

use crm_kernel::{EntityId, TenantId};

/// A primary key: partition key and sort key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    /// The key of an item read back (to delete or update exactly it).
    pub fn of(item: &crate::Item) -> Option<Key> {
        let s = |a: &str| item.get(a).and_then(|v| v.as_s().ok()).cloned();
        Some(Key { pk: s(PK)?, sk: s(SK)? })
    }
}

pub const PK: &str = "pk";
pub const SK: &str = "sk";
/// The TTL attribute (epoch seconds) of the table.
pub const TTL: &str = "ttl";
/// Sort key of an entity's main item.
pub const META: &str = "META";

/// The global secondary indexes, named for the access pattern they serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    /// Entities of one kind in a tenant, most recently updated first.
    ByKind,
    /// Entities of one kind owned by one user.
    ByOwner,
    /// Children of a parent (a contact's notes, a deal's activities): the timeline.
    ByParent,
    /// Alternate-key lookups (user email, company domain, API key prefix).
    ByLookup,
}

impl Index {
    pub const ALL: [Index; 4] = [Index::ByKind, Index::ByOwner, Index::ByParent, Index::ByLookup];

    /// The index name as declared in template.yaml.
    pub fn name(self) -> &'static str {
        match self {
            Index::ByKind => "by_kind",
            Index::ByOwner => "by_owner",
            Index::ByParent => "by_parent",
            Index::ByLookup => "by_lookup",
        }
    }

    pub fn pk_attr(self) -> &'static str {
        match self {
            Index::ByKind => "by_kind_pk",
            Index::ByOwner => "by_owner_pk",
            Index::ByParent => "by_parent_pk",
            Index::ByLookup => "by_lookup_pk",
        }
    }

    pub fn sk_attr(self) -> &'static str {
        match self {
            Index::ByKind => "by_kind_sk",
            Index::ByOwner => "by_owner_sk",
            Index::ByParent => "by_parent_sk",
            Index::ByLookup => "by_lookup_sk",
        }
    }
}

fn tenant_prefix(tenant: TenantId) -> String {
    format!("T#{tenant}#")
}

/// The partition-key prefix all of one tenant's items share (also what an
/// IAM `dynamodb:LeadingKeys` condition would pin).
pub fn tenant_pk_prefix(tenant: TenantId) -> String {
    tenant_prefix(tenant)
}

/// An entity's main item: `T#{t}#{KIND}#{id}` / `META`.
pub fn entity(tenant: TenantId, kind: &str, id: EntityId) -> Key {
    Key { pk: entity_pk(tenant, kind, &id.to_string()), sk: META.into() }
}

/// An entity's item collection partition, for children (notes, history).
pub fn entity_pk(tenant: TenantId, kind: &str, id: &str) -> String {
    debug_assert!(is_kind(kind), "kinds are upper-case words: {kind}");
    format!("{}{kind}#{id}", tenant_prefix(tenant))
}

/// A tenant's own record (name, status, plan).
pub fn tenant(tenant: TenantId) -> Key {
    Key { pk: entity_pk(tenant, "TENANT", &tenant.to_string()), sk: META.into() }
}

/// The tenant's access model (groups' grants, role hierarchy, tenant
/// overrides), read by the authorizer with the tenant.
pub fn tenant_access(tenant: TenantId) -> Key {
    Key { pk: entity_pk(tenant, "TENANT", &tenant.to_string()), sk: "ACCESS".into() }
}

/// How many users (and pending invitations) hold the tenant's custom role `code`.
pub fn role_holders(tenant: TenantId, code: &str) -> Key {
    Key { pk: entity_pk(tenant, "ROLE", code), sk: "HOLDERS".into() }
}

/// A tenant's own code of a coded dictionary (`job_title_codes`, `department_codes`).
pub fn dictionary_entry(tenant: TenantId, dictionary: &str, code: &str) -> Key {
    Key { pk: dictionary_pk(tenant, dictionary), sk: format!("CODE#{code}") }
}

/// The partition of a tenant's codes of one dictionary.
pub fn dictionary_pk(tenant: TenantId, dictionary: &str) -> String {
    format!("{}DICT#{dictionary}", tenant_prefix(tenant))
}

/// A user of a tenant.
pub fn user(tenant: TenantId, user_id: &str) -> Key {
    Key { pk: entity_pk(tenant, "USER", user_id), sk: META.into() }
}

/// A user's TOTP second factor (in the user's item collection).
pub fn user_totp(tenant: TenantId, user_id: &str) -> Key {
    Key { pk: entity_pk(tenant, "USER", user_id), sk: "TOTP".into() }
}

/// A login session (refresh-token family).
pub fn session(tenant: TenantId, session_id: &str) -> Key {
    Key { pk: entity_pk(tenant, "SESSION", session_id), sk: META.into() }
}

/// A tenant's billing subscription (plan, status, period, provider ids),
/// beside the tenant's own record.
pub fn billing_subscription(tenant: TenantId) -> Key {
    Key { pk: entity_pk(tenant, "TENANT", &tenant.to_string()), sk: "SUBSCRIPTION".into() }
}

/// One billing usage event (`billing_usage_events`) of a metric's counter
/// (`period`: `2026-11`, or `all` for a level), sorted by `{occurred_at}#{id}`.
/// Every part comes from the event itself, so a redelivered event is the
/// same item; the recount reads the partition with consistent reads.
pub fn billing_usage_event(tenant: TenantId, metric: &str, period: &str, sort: &str) -> Key {
    Key { pk: billing_usage_pk(tenant, metric, period), sk: sort.into() }
}

/// The partition of a counter's usage events.
pub fn billing_usage_pk(tenant: TenantId, metric: &str, period: &str) -> String {
    format!("{}BUSAGE#{metric}#{period}", tenant_prefix(tenant))
}

/// One usage counter (`usage_counters`): a metric in a period (`2026-11`,
/// or `all` for a level such as `seats.used`).
pub fn billing_counter(tenant: TenantId, period: &str, metric: &str) -> Key {
    Key { pk: format!("{}BCOUNTER#{period}", tenant_prefix(tenant)), sk: metric.into() }
}

/// The partition of a period's counters.
pub fn billing_counters_pk(tenant: TenantId, period: &str) -> String {
    format!("{}BCOUNTER#{period}", tenant_prefix(tenant))
}

/// Subscriptions by the instant their period closes (`by_kind`, system-wide):
/// what the invoicing schedule fans out.
pub const BILLING_CLOSES: &str = "G#BILLING_CLOSES";

/// A tenant's usage counters (`seats_used`, ...), updated in the transactions
/// that change them so limits hold under concurrency.
pub fn usage(tenant: TenantId) -> Key {
    Key { pk: format!("{}USAGE", tenant_prefix(tenant)), sk: "COUNTERS".into() }
}

/// A tenant's metered usage of one calendar month (`yyyy_mm` = `2026-11`):
/// `sms`, `whatsapp` sends against the plan's monthly caps.
pub fn usage_month(tenant: TenantId, yyyy_mm: &str) -> Key {
    Key { pk: usage(tenant).pk, sk: format!("MONTH#{yyyy_mm}") }
}

/// An API key of a tenant.
pub fn api_key(tenant: TenantId, key_id: &str) -> Key {
    Key { pk: entity_pk(tenant, "APIKEY", key_id), sk: META.into() }
}

/// The request counter of a tenant for the rate-limit window starting at
/// `window_start` (epoch seconds).
pub fn rate_window(tenant: TenantId, window_start: i64) -> Key {
    Key { pk: format!("{}RATE#{window_start}", tenant_prefix(tenant)), sk: "COUNT".into() }
}

/// A fixed-window counter of one tenant: `scope` says what is counted
/// (`PHONESTART`), `subject` whose (a user id), `window_start` when (epoch s).
pub fn tenant_window(tenant: TenantId, scope: &str, subject: &str, window_start: i64) -> Key {
    Key { pk: format!("{}RATE#{scope}#{subject}#{window_start}", tenant_prefix(tenant)), sk: "COUNT".into() }
}

/// A fixed-window counter outside any tenant, for callers not yet known to
/// be in one (`AUTHIP#login` by client IP on the public auth routes).
pub fn global_window(scope: &str, subject: &str, window_start: i64) -> Key {
    Key { pk: format!("G#RATE#{scope}#{subject}#{window_start}"), sk: "COUNT".into() }
}

/// The transactional-outbox item of one event.
pub fn outbox(tenant: TenantId, event_id: &str) -> Key {
    Key { pk: format!("{}OUTBOX#{event_id}", tenant_prefix(tenant)), sk: "EVENT".into() }
}

/// The marker that says `consumer` has applied `event_id` (idempotent consumers).
pub fn consumed(tenant: TenantId, consumer: &str, event_id: &str) -> Key {
    Key { pk: format!("{}CONSUMED#{consumer}#{event_id}", tenant_prefix(tenant)), sk: "CONSUMED".into() }
}

/// The daily activity feed of a tenant (`date` is `YYYY-MM-DD`).
pub fn feed_pk(tenant: TenantId, date: &str) -> String {
    format!("{}FEED#{date}", tenant_prefix(tenant))
}

/// The daily audit log of a tenant (`date` is `YYYY-MM-DD`).
pub fn audit_pk(tenant: TenantId, date: &str) -> String {
    format!("{}AUDIT#{date}", tenant_prefix(tenant))
}

/// A uniqueness marker (`kind` such as `EMAIL`, `value` already normalised).
pub fn unique(tenant: TenantId, kind: &str, value: &str) -> Key {
    Key { pk: format!("{}UNIQUE#{kind}#{value}", tenant_prefix(tenant)), sk: "UNIQUE".into() }
}

/// A search-index term of a record of `kind` (`COMPANY`, `CONTACT`): the
/// tenant's terms are sharded by their first character, a prefix query
/// reads one shard.
pub fn search_term(tenant: TenantId, kind: &str, term: &str, id: &str) -> Key {
    Key { pk: search_pk(tenant, kind, term), sk: format!("{term}#{id}") }
}

/// The shard of the search index that holds terms starting like `prefix`.
pub fn search_pk(tenant: TenantId, kind: &str, prefix: &str) -> String {
    let shard: String = prefix.chars().next().map(String::from).unwrap_or_default();
    format!("{}SEARCH#{kind}#{shard}", tenant_prefix(tenant))
}

/// Partitions outside any tenant start with this.
pub const GLOBAL_PREFIX: &str = "G#";

/// `by_kind` partition of the tenant registry: every tenant, oldest first
/// (scheduled sweeps such as the daily digest walk it).
pub const TENANTS: &str = "G#TENANTS";

/// `by_kind` partition of every open invitation of every tenant, sorted by
/// expiry (`{expires_at}#{tenant}#{id}`): the hourly expiry sweep reads the
/// ones past due with one key condition.
pub const OPEN_INVITATIONS: &str = "G#INVITATIONS";

/// A system-wide uniqueness marker (e.g. a login email across all tenants).
/// Deliberately outside any tenant: it holds only the owning tenant's id.
pub fn global_unique(kind: &str, value: &str) -> Key {
    Key { pk: format!("G#UNIQUE#{kind}#{value}"), sk: "UNIQUE".into() }
}

/// `by_kind` partition: all entities of `kind` in the tenant.
pub fn by_kind_pk(tenant: TenantId, kind: &str) -> String {
    format!("{}{kind}", tenant_prefix(tenant))
}

/// `by_owner` partition: entities of `kind` owned by `owner`.
pub fn by_owner_pk(tenant: TenantId, kind: &str, owner: &str) -> String {
    format!("{}{kind}#OWNER#{owner}", tenant_prefix(tenant))
}

/// `by_parent` partition: children of the parent entity (its timeline).
pub fn by_parent_pk(tenant: TenantId, parent_kind: &str, parent_id: &str) -> String {
    format!("{}{parent_kind}#{parent_id}#CHILDREN", tenant_prefix(tenant))
}

/// `by_lookup` partition: alternate key `name` = `value`.
pub fn by_lookup_pk(tenant: TenantId, name: &str, value: &str) -> String {
    format!("{}LOOKUP#{name}#{value}", tenant_prefix(tenant))
}

fn is_kind(kind: &str) -> bool {
    !kind.is_empty() && kind.chars().all(|c| c.is_ascii_uppercase() || c == '_')
}

/// Whether a partition key belongs to `tenant` — used by defensive checks on
/// anything read back through an index.
pub fn belongs_to(pk: &str, tenant: TenantId) -> bool {
    pk.starts_with(&tenant_prefix(tenant))
}

// ---- an entity's children and a tenant's singletons ("entity child" above) ----

/// Sort-key prefixes of an entity's children, for `begins_with` over its partition.
pub const MEMBER_PREFIX: &str = "MEMBER#";
pub const REMINDER_PREFIX: &str = "REMINDER#";
pub const HISTORY_PREFIX: &str = "HISTORY#";
pub const TALLY_PREFIX: &str = "TALLY#";
pub const LINK_PREFIX: &str = "LINK#";

/// The failed-login counter of an email address, across tenants (lockout).
/// The marker of one caller's `Idempotency-Key` (24 h): `digest` is the
/// key's SHA-256, so any key the header allows fits.
pub fn idempotency_key(tenant: TenantId, user: &str, digest: &str) -> Key {
    Key { pk: format!("{}IDEM#{user}#{digest}", tenant_prefix(tenant)), sk: "IDEM".into() }
}

pub fn login_failures(email: &str) -> Key {
    Key { pk: format!("{GLOBAL_PREFIX}LOGIN#{email}"), sk: "FAILURES".into() }
}

/// `user`'s membership of `group` (in the group's partition).
pub fn group_member(tenant: TenantId, group: &str, user: &str) -> Key {
    Key { pk: entity_pk(tenant, "GROUP", group), sk: format!("{MEMBER_PREFIX}{user}") }
}

/// A user's phone verification in progress.
pub fn user_phone_verification(tenant: TenantId, user_id: &str) -> Key {
    Key { pk: entity_pk(tenant, "USER", user_id), sk: "PHONEVERIFY".into() }
}

/// A user's sign-in code in progress (SMS or WhatsApp second factor).
pub fn user_login_code(tenant: TenantId, user_id: &str) -> Key {
    Key { pk: entity_pk(tenant, "USER", user_id), sk: "LOGINOTP".into() }
}

/// A user's notification preferences.
pub fn user_preferences(tenant: TenantId, user_id: &str) -> Key {
    Key { pk: entity_pk(tenant, "USER", user_id), sk: "PREFS".into() }
}

/// The verification in progress of one of a contact's channels.
pub fn channel_verification(tenant: TenantId, contact: EntityId, channel: EntityId) -> Key {
    Key { pk: entity_pk(tenant, "CONTACT", &contact.to_string()), sk: format!("CHANNELVERIFY#{channel}") }
}

/// One of the tenant's lead rules (`scoring`, `assignment`).
pub fn lead_rules(tenant: TenantId, which: &str) -> Key {
    Key { pk: entity_pk(tenant, "LEADRULES", which), sk: META.into() }
}

/// The round-robin ticket counter of the tenant's lead assignment.
pub fn lead_assignment_ticket(tenant: TenantId) -> Key {
    Key { pk: entity_pk(tenant, "LEADRULES", "assignment"), sk: "TICKET".into() }
}

/// The tenant's default sending mailbox.
pub fn email_default(t: TenantId) -> Key {
    Key { pk: tenant(t).pk, sk: "EMAILDEFAULT".into() }
}

/// The tenant's notification policy.
pub fn notify_policy(t: TenantId) -> Key {
    Key { pk: tenant(t).pk, sk: "NOTIFYPOLICY".into() }
}

/// One entry of the tenant's daily activity feed.
pub fn feed_entry(tenant: TenantId, date: &str, occurred_at: &str, event_id: &str) -> Key {
    Key { pk: feed_pk(tenant, date), sk: format!("{occurred_at}#{event_id}") }
}

/// One entry of the tenant's daily audit log.
pub fn audit_entry(tenant: TenantId, date: &str, at: &str, id: &str) -> Key {
    Key { pk: audit_pk(tenant, date), sk: format!("{at}#{id}") }
}

/// A reminder of a task (in the task's partition).
pub fn task_reminder(tenant: TenantId, task: EntityId, reminder: EntityId) -> Key {
    Key { pk: entity_pk(tenant, "TASK", &task.to_string()), sk: format!("{REMINDER_PREFIX}{reminder}") }
}

/// A link from the record `kind`/`id` to the record `to_kind`/`to_id` (in the first's partition).
pub fn link(tenant: TenantId, kind: &str, id: &str, to_kind: &str, to_id: &str) -> Key {
    Key { pk: entity_pk(tenant, kind, id), sk: format!("{LINK_PREFIX}{to_kind}#{to_id}") }
}

/// The approval queue of a user: the requests waiting for them, oldest first.
pub fn approver_queue_pk(tenant: TenantId, user: &str) -> String {
    entity_pk(tenant, "APPROVER", user)
}

/// One request in a user's approval queue.
pub fn approver_queue(tenant: TenantId, user: &str, opened_at: &str, request: &str) -> Key {
    Key { pk: approver_queue_pk(tenant, user), sk: format!("{opened_at}#{request}") }
}

/// The deals a contact or company (`party`) is on.
pub fn deal_parties_pk(tenant: TenantId, party: &str) -> String {
    entity_pk(tenant, "DEALPARTY", party)
}

/// `party`'s place on `deal`.
pub fn deal_party(tenant: TenantId, party: &str, deal: &str) -> Key {
    Key { pk: deal_parties_pk(tenant, party), sk: format!("DEAL#{deal}") }
}

/// One stage change of a deal (in the deal's partition); `nonce` keeps two at one instant apart.
pub fn deal_history(tenant: TenantId, deal: &str, at: &str, nonce: &str) -> Key {
    Key { pk: entity_pk(tenant, "DEAL", deal), sk: format!("{HISTORY_PREFIX}{at}#{nonce}") }
}

/// A rep's active courtesy holds (the counter their project's
/// `holds_per_user` limits), beside the user: `T#{t}#USER#{u}` / `HOLDS`.
pub fn user_holds(tenant: TenantId, user_id: &str) -> Key {
    Key { pk: user(tenant, user_id).pk, sk: "HOLDS".into() }
}

/// How many children a record has (a project's buildings, a building's
/// units), in its own collection: `T#{t}#{KIND}#{id}` / `TALLY`. Moved in
/// every transaction that adds or removes a child, so a delete that requires
/// it to be zero cannot race a create.
pub fn children_tally(tenant: TenantId, kind: &str, id: EntityId) -> Key {
    Key { pk: entity_pk(tenant, kind, &id.to_string()), sk: "TALLY".into() }
}

/// The open deals' tally of one stage of a pipeline (the board).
pub fn stage_tally(tenant: TenantId, pipeline: &str, stage: &str) -> Key {
    Key { pk: entity_pk(tenant, "PIPELINE", pipeline), sk: format!("{TALLY_PREFIX}STAGE#{stage}") }
}

/// The tally of one stage's deals closing in `month` (`YYYY-MM`) of a pipeline (the forecast).
pub fn month_tally(tenant: TenantId, pipeline: &str, month: &str, stage: &str) -> Key {
    Key { pk: entity_pk(tenant, "PIPELINE", pipeline), sk: format!("{TALLY_PREFIX}MONTH#{month}#{stage}") }
}

/// The dev mail adapter's mailbox of an address (local stack only).
pub fn dev_mailbox_pk(to: &str) -> String {
    format!("{GLOBAL_PREFIX}DEVMAIL#{to}")
}

/// One message in the dev mail adapter's mailbox of `to`.
pub fn dev_mailbox_entry(to: &str, at: &str, id: &str) -> Key {
    Key { pk: dev_mailbox_pk(to), sk: format!("{at}#{id}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tenant_key_is_prefixed_with_the_tenant() {
        let t = TenantId::new();
        let id = EntityId::new();
        let keys = [
            entity(t, "NOTE", id).pk,
            outbox(t, "E1").pk,
            consumed(t, "feed", "E1").pk,
            feed_pk(t, "2026-11-23"),
            audit_pk(t, "2026-11-23"),
            unique(t, "EMAIL", "a@b.c").pk,
            by_kind_pk(t, "NOTE"),
            by_owner_pk(t, "NOTE", "U1"),
            by_parent_pk(t, "CONTACT", "C1"),
            by_lookup_pk(t, "EMAIL", "a@b.c"),
        ];
        for k in keys {
            assert!(belongs_to(&k, t), "{k}");
            assert!(!belongs_to(&k, TenantId::new()), "{k}");
        }
    }

    #[test]
    fn global_markers_are_outside_every_tenant() {
        let k = global_unique("EMAIL", "a@b.c");
        assert!(k.pk.starts_with("G#"));
        assert!(!belongs_to(&k.pk, TenantId::new()));
    }

    #[test]
    fn index_names_match_their_attributes() {
        for idx in Index::ALL {
            assert!(idx.pk_attr().starts_with(idx.name()));
            assert!(idx.sk_attr().starts_with(idx.name()));
        }
    }
}
