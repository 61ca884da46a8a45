//! Stage history (the raw material of sales-velocity reports): one item per
//! stage a deal enters — created, moved, won, lost, reopened — in the deal's
//! own partition (`HISTORY#{at}#{id}`), written in the same transaction as
//! the move. Each entry says who moved it, when, from where, and how long
//! the deal had spent in the stage it left.

use crm_kernel::{EntityId, TenantId, Timestamp, UserId};
use crm_store::{item, keys, Item, StoreError};
use serde::{Deserialize, Serialize};

use crate::deal::Deal;
use crate::pipeline::Stage;

/// The sort-key prefix of a deal's stage changes.
pub const HISTORY: &str = crm_store::keys::HISTORY_PREFIX;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StageChange {
    pub deal_id: EntityId,
    pub from_stage_id: Option<EntityId>,
    pub from_stage: Option<String>,
    pub to_stage_id: EntityId,
    pub to_stage: String,
    /// The deal's status after the change (`open`, `won`, `lost`).
    pub status: crate::deal::DealStatus,
    pub by: UserId,
    pub at: Timestamp,
    /// Seconds spent in the stage left (none on creation).
    pub seconds_in_previous: Option<i64>,
}

impl StageChange {
    /// The entry for `deal` entering `to` (its fields already updated) from
    /// `from` (with the time it had entered it), by `by`.
    pub fn new(deal: &Deal, from: Option<(&Stage, Timestamp)>, to: &Stage, by: UserId) -> Self {
        let at = deal.stage_entered_at;
        Self {
            deal_id: deal.id,
            from_stage_id: from.map(|(s, _)| s.id),
            from_stage: from.map(|(s, _)| s.name.clone()),
            to_stage_id: to.id,
            to_stage: to.name.clone(),
            status: deal.status,
            by,
            at,
            seconds_in_previous: from.map(|(_, entered)| (at.unix_seconds() - entered.unix_seconds()).max(0)),
        }
    }

    pub fn to_item(&self, tenant: TenantId) -> Result<Item, StoreError> {
        item::to_item(&keys::deal_history(tenant, &self.deal_id.to_string(), &self.at.to_string(), &EntityId::new().to_string()), self)
    }
}
