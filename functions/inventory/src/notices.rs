//! The inventory's notices (M3CoreCRM §7), an inbox entry and an email per
//! recipient, queued in the change's own transaction, never to the user who
//! acted:
//!
//! * `unit.reserved` — the unit's owner and the project's sales team;
//! * `unit.sold` — the project's finance and marketing teams;
//! * `unit.price_changed` — the unit's owner and watchers;
//! * `unit.status_changed` — the owner of the unit's deal, when a bulk
//!   edit moves it;
//! * `unit.reservation_expired` — who made the reservation and the unit's
//!   owner, when the clock releases it;
//! * `unit.available` — whoever queued the first waitlist entry, when the
//!   unit is back on the market.
//!
//! A team is a group of the tenant named on the project
//! (`sales_team_group_id`, `finance_group_id`, `marketing_group_id`).

use crm_inventory::project::Project;
use crm_inventory::unit::Unit;
use crm_kernel::{AppError, EntityId, Limit, TenantId, UserId};
use crm_store::item::ItemExt;
use crm_store::{keys, Query, Store, Tx};
use serde_json::{json, Value};

/// The members of group `g` (its `MEMBER#{user}` items, every page).
async fn members(store: &Store, t: TenantId, g: EntityId) -> Result<Vec<UserId>, AppError> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let q = Query::table(t, keys::entity_pk(t, "GROUP", &g.to_string()))
            .sk_begins_with(keys::MEMBER_PREFIX)
            .limit(Limit::max())
            .after(cursor);
        let page = store.query(q).await?;
        out.extend(
            page.items.iter().filter_map(|it| it.str_attr(keys::SK)?.strip_prefix(keys::MEMBER_PREFIX).and_then(|u| UserId::parse(u).ok())),
        );
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// Each recipient's notice is four writes (inbox and email messages, each
/// with its outbox event); what `tx` holds, and a margin for what callers
/// add after it, bound how many fit in the one transaction.
const WRITES_PER_RECIPIENT: usize = 4;
const MARGIN: usize = 12;

async fn teams(store: &Store, t: TenantId, groups: &[Option<EntityId>]) -> Result<Vec<UserId>, AppError> {
    let mut out = Vec::new();
    for g in groups.iter().flatten() {
        out.extend(members(store, t, *g).await?);
    }
    Ok(out)
}

/// What every unit family renders from.
pub fn payload(unit: &Unit, project: &str, extra: Value) -> Value {
    let major = unit.price as f64 / 10f64.powi(i32::from(unit.currency.minor_unit_exponent()));
    let mut v = json!({
        "unit": unit.fields.code, "project": project, "unit_id": unit.id,
        "price": format!("{} {:.2}", unit.currency.code(), major),
    });
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    v
}

async fn queue(
    store: &Store,
    t: TenantId,
    actor: Option<UserId>,
    users: Vec<UserId>,
    family: &str,
    payload: Value,
    tx: Tx,
) -> Result<Tx, AppError> {
    let users = match actor {
        Some(a) => crm_notify::users::others(users, a),
        None => {
            let mut seen = std::collections::BTreeSet::new();
            users.into_iter().filter(|u| seen.insert(*u)).collect()
        }
    };
    let room = crm_store::tx::MAX_OPERATIONS.saturating_sub(tx.len() + MARGIN) / WRITES_PER_RECIPIENT;
    let users: Vec<UserId> = if users.len() > room {
        // A team too large for the change's own transaction hears up to what fits, first members first.
        tracing::warn!(family, recipients = users.len(), room, "notice recipients capped to fit the transaction");
        users.into_iter().take(room).collect()
    } else {
        users
    };
    let notice = crm_notify::users::Notice { family, payload, source: format!("inventory.{family}") };
    crm_notify::users::queue(store, t, actor, &users, notice, tx).await
}

/// `unit.reserved`, to the owner and the sales team.
pub async fn reserved(store: &Store, unit: &Unit, project: &Project, actor: Option<UserId>, until: &str, tx: Tx) -> Result<Tx, AppError> {
    let t = unit.tenant_id;
    let mut users: Vec<UserId> = unit.fields.owner_user_id.into_iter().collect();
    users.extend(teams(store, t, &[project.sales_team_group_id]).await?);
    queue(store, t, actor, users, "unit.reserved", payload(unit, &project.name, json!({ "until": until })), tx).await
}

/// `unit.sold`, to finance and marketing.
pub async fn sold(store: &Store, unit: &Unit, project: &Project, actor: Option<UserId>, tx: Tx) -> Result<Tx, AppError> {
    let t = unit.tenant_id;
    let users = teams(store, t, &[project.finance_group_id, project.marketing_group_id]).await?;
    queue(store, t, actor, users, "unit.sold", payload(unit, &project.name, json!({})), tx).await
}

/// `unit.price_changed`, to the owner and the watchers.
pub async fn price_changed(store: &Store, before: &Unit, after: &Unit, actor: Option<UserId>, tx: Tx) -> Result<Tx, AppError> {
    let t = after.tenant_id;
    let users: Vec<UserId> = after.fields.owner_user_id.into_iter().chain(after.fields.watchers.iter().copied()).collect();
    if users.is_empty() {
        return Ok(tx);
    }
    let project = store.get_as::<Project>(&Project::key(t, after.project_id)).await?.map(|p| p.name).unwrap_or_default();
    let was = payload(before, &project, json!({}))["price"].clone();
    queue(store, t, actor, users, "unit.price_changed", payload(after, &project, json!({ "from_price": was })), tx).await
}

/// `unit.status_changed`, to the owner of `deal` (a bulk edit moved its unit).
pub async fn deal_owner(store: &Store, before: &Unit, after: &Unit, deal: EntityId, actor: UserId, tx: Tx) -> Result<Tx, AppError> {
    let t = after.tenant_id;
    let Some(owner) =
        store.get_as::<crm_deals::deal::Deal>(&crm_deals::deal::Deal::key(t, deal)).await?.and_then(|d| d.fields.owner_user_id)
    else {
        return Ok(tx);
    };
    let project = store.get_as::<Project>(&Project::key(t, after.project_id)).await?.map(|p| p.name).unwrap_or_default();
    let extra = json!({ "from": before.status.as_str(), "to": after.status.as_str(), "deal_id": deal });
    queue(store, t, Some(actor), vec![owner], "unit.status_changed", payload(after, &project, extra), tx).await
}

/// `unit.reservation_expired`, to who reserved the unit and its owner.
pub async fn expired(store: &Store, unit: &Unit, reserved_by: UserId, tx: Tx) -> Result<Tx, AppError> {
    let t = unit.tenant_id;
    let users: Vec<UserId> = std::iter::once(reserved_by).chain(unit.fields.owner_user_id).collect();
    let project = store.get_as::<Project>(&Project::key(t, unit.project_id)).await?.map(|p| p.name).unwrap_or_default();
    queue(store, t, None, users, "unit.reservation_expired", payload(unit, &project, json!({})), tx).await
}

/// `unit.available`, to whoever queued `first` on the unit's waitlist.
pub async fn available(store: &Store, unit: &Unit, first: &crm_inventory::waitlist::Entry, tx: Tx) -> Result<Tx, AppError> {
    let t = unit.tenant_id;
    let project = store.get_as::<Project>(&Project::key(t, unit.project_id)).await?.map(|p| p.name).unwrap_or_default();
    let extra = json!({ "contact_id": first.contact_id, "entry_id": first.id });
    queue(store, t, None, vec![first.added_by], "unit.available", payload(unit, &project, extra), tx).await
}
