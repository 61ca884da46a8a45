//! Reservations: a unit held for a buyer (a contact and a deal) until it
//! expires, or a rep's short courtesy hold without a deal. One is active per
//! unit at a time; a taken unit answers `409 UNIT_NOT_AVAILABLE`, decided by
//! a conditional write on the unit, never by a read.
//!
//! Terms come from the project's [`ReservationPolicy`]: a reservation runs
//! `default_days` unless asked shorter, at most `max_days` from when it was
//! made; an extension past `max_days` needs approval
//! (`unit.reservation.extend`). A courtesy hold runs `hold_hours` at most
//! and is not extended: it becomes a reservation, or ends.
//!
//! Stored in the unit's collection, `T#{t}#UNIT#{unit}` / `RESERVATION#{id}`.

use crm_kernel::{AppError, Currency, EntityId, TenantId, Timestamp, UserId};
use crm_store::{item, keys, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

use crate::project::ReservationPolicy;

/// The approvable action an extension past the policy needs.
pub const EXTEND_BEYOND_POLICY: &str = "unit.reservation.extend";

crm_kernel::named_enum! {
    /// A reservation for a buyer, or a rep's courtesy hold.
    pub enum Kind { Reservation = "reservation", CourtesyHold = "courtesy_hold" }
}

crm_kernel::named_enum! {
    /// Where a reservation stands; only `active` holds the unit.
    pub enum ReservationStatus { Active = "active", Released = "released", Expired = "expired", Converted = "converted" }
}

/// A deposit taken on a reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Deposit {
    /// Minor units, more than 0.
    pub amount: i64,
    pub currency: Currency,
    pub received_at: Timestamp,
    /// The receipt or transfer reference.
    pub reference: Option<String>,
    pub recorded_by: UserId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Reservation {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub unit_id: EntityId,
    pub project_id: EntityId,
    pub kind: Kind,
    pub status: ReservationStatus,
    pub contact_id: Option<EntityId>,
    pub deal_id: Option<EntityId>,
    pub reserved_by: UserId,
    pub reserved_at: Timestamp,
    pub expires_at: Timestamp,
    /// How many times it was extended.
    #[serde(default)]
    pub extensions: u32,
    #[serde(default)]
    pub deposit: Option<Deposit>,
    pub note: Option<String>,
    /// When and why it stopped holding the unit.
    #[serde(default)]
    pub ended_at: Option<Timestamp>,
    #[serde(default)]
    pub end_reason: Option<String>,
    pub version: u64,
}

impl Reservation {
    pub fn key(t: TenantId, unit: EntityId, id: EntityId) -> Key {
        Key { pk: keys::entity_pk(t, crate::unit::UNIT, &unit.to_string()), sk: format!("RESERVATION#{id}") }
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        item::to_item(&Self::key(self.tenant_id, self.unit_id, self.id), self)
    }

    /// The schedule that ends it when it expires (unique per term: an
    /// extension gets a new one).
    pub fn schedule_name(&self) -> String {
        format!("reservation-{}-{}", self.id, self.extensions)
    }

    pub fn is_active(&self) -> bool {
        self.status == ReservationStatus::Active
    }

    /// This reservation, ended at `now` as `status` for `reason`.
    pub fn end(&self, status: ReservationStatus, reason: &str, now: Timestamp) -> Reservation {
        Reservation { status, ended_at: Some(now), end_reason: Some(reason.to_string()), version: self.version + 1, ..self.clone() }
    }
}

/// When a new reservation of `kind`, made at `now`, expires: the policy's
/// term, or `asked` when it is sooner and still ahead.
pub fn expiry(policy: &ReservationPolicy, kind: Kind, now: Timestamp, asked: Option<Timestamp>) -> Result<Timestamp, AppError> {
    let (default, longest, what) = match kind {
        Kind::Reservation => {
            (i64::from(policy.default_days) * 86_400, i64::from(policy.max_days) * 86_400, format!("{} days", policy.max_days))
        }
        Kind::CourtesyHold => {
            (i64::from(policy.hold_hours) * 3_600, i64::from(policy.hold_hours) * 3_600, format!("{} hours", policy.hold_hours))
        }
    };
    match asked {
        None => Ok(now.plus_seconds(default)),
        Some(at) if at.unix_seconds() <= now.unix_seconds() => Err(AppError::invalid("expires_at", "must be in the future")),
        Some(at) if at.unix_seconds() - now.unix_seconds() > longest => Err(AppError::invalid(
            "expires_at",
            format!("the project holds a {kind} at most {what}; a longer reservation is extended, with approval past the policy"),
        )),
        Some(at) => Ok(at),
    }
}

/// What extending `r` to `until` needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extension {
    /// Within the policy's term.
    Within,
    /// Past it: an approval of [`EXTEND_BEYOND_POLICY`].
    NeedsApproval,
}

/// Whether `r` may run until `until` under `policy`.
pub fn extension(policy: &ReservationPolicy, r: &Reservation, until: Timestamp, now: Timestamp) -> Result<Extension, AppError> {
    if !r.is_active() {
        return Err(AppError::Refused { code: "RESERVATION_ENDED", message: format!("the reservation is {}", r.status) });
    }
    if r.kind == Kind::CourtesyHold {
        return Err(AppError::Refused {
            code: "HOLD_NOT_EXTENDABLE",
            message: "a courtesy hold is not extended: reserve the unit for a contact and a deal".into(),
        });
    }
    if until.unix_seconds() <= r.expires_at.unix_seconds().max(now.unix_seconds()) {
        return Err(AppError::invalid("expires_at", "must be later than the current expiry and in the future"));
    }
    let longest = r.reserved_at.unix_seconds() + i64::from(policy.max_days) * 86_400;
    Ok(if until.unix_seconds() <= longest { Extension::Within } else { Extension::NeedsApproval })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn reservation(kind: Kind) -> Reservation {
        Reservation {
            id: EntityId::new(),
            tenant_id: TenantId::new(),
            unit_id: EntityId::new(),
            project_id: EntityId::new(),
            kind,
            status: ReservationStatus::Active,
            contact_id: None,
            deal_id: None,
            reserved_by: UserId::new(),
            reserved_at: at("2026-12-01T10:00:00Z"),
            expires_at: at("2026-12-08T10:00:00Z"),
            extensions: 0,
            deposit: None,
            note: None,
            ended_at: None,
            end_reason: None,
            version: 1,
        }
    }

    #[test]
    fn a_reservation_runs_the_policy_s_term_or_shorter() {
        let p = ReservationPolicy::default();
        let now = at("2026-12-01T10:00:00Z");
        assert_eq!(expiry(&p, Kind::Reservation, now, None).unwrap(), at("2026-12-08T10:00:00Z"));
        assert_eq!(expiry(&p, Kind::CourtesyHold, now, None).unwrap(), at("2026-12-02T10:00:00Z"));
        assert_eq!(expiry(&p, Kind::Reservation, now, Some(at("2026-12-31T10:00:00Z"))).unwrap(), at("2026-12-31T10:00:00Z"));
        assert_eq!(expiry(&p, Kind::Reservation, now, Some(at("2026-12-31T10:00:01Z"))).unwrap_err().details()[0].field, "expires_at");
        assert!(expiry(&p, Kind::CourtesyHold, now, Some(at("2026-12-02T11:00:00Z"))).is_err());
        assert!(expiry(&p, Kind::Reservation, now, Some(now)).is_err());
    }

    #[test]
    fn an_extension_past_the_policy_needs_approval_and_a_hold_is_not_extended() {
        let p = ReservationPolicy::default();
        let now = at("2026-12-05T10:00:00Z");
        let r = reservation(Kind::Reservation);
        assert_eq!(extension(&p, &r, at("2026-12-20T10:00:00Z"), now).unwrap(), Extension::Within);
        assert_eq!(extension(&p, &r, at("2026-12-31T10:00:00Z"), now).unwrap(), Extension::Within);
        assert_eq!(extension(&p, &r, at("2027-01-15T10:00:00Z"), now).unwrap(), Extension::NeedsApproval);
        assert!(extension(&p, &r, at("2026-12-07T10:00:00Z"), now).is_err(), "not later than the current expiry");
        assert_eq!(
            extension(&p, &reservation(Kind::CourtesyHold), at("2026-12-20T10:00:00Z"), now).unwrap_err().code(),
            "HOLD_NOT_EXTENDABLE"
        );
        let ended = r.end(ReservationStatus::Expired, "expired", now);
        assert_eq!(extension(&p, &ended, at("2026-12-20T10:00:00Z"), now).unwrap_err().code(), "RESERVATION_ENDED");
        assert_eq!((ended.version, ended.end_reason.as_deref()), (2, Some("expired")));
    }
}
