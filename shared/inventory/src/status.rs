//! The unit status machine. `available → reserved → sold` is the sale;
//! `hold` and `unavailable` are set by hand. A reservation (or a courtesy
//! hold) moves a unit out of `available` and back; a deal moves it to `sold`
//! and, lost or deleted, back to `available`. By hand
//! (`PATCH /v1/units/{id}/status`) only the moves [`manual`] allows pass;
//! every other one is refused with the rule it breaks (`409`).

use crm_kernel::AppError;

crm_kernel::named_enum! {
    /// Where a unit stands (the UI's "on hold" is `hold`).
    pub enum UnitStatus { Available = "available", Reserved = "reserved", Sold = "sold", Hold = "hold", Unavailable = "unavailable" }
}

/// The rules a status change can break, each its own error code.
pub mod rule {
    /// `reserved` is reached only by a reservation.
    pub const RESERVE_WITH_A_RESERVATION: &str = "RESERVE_WITH_A_RESERVATION";
    /// A unit under an active reservation or courtesy hold changes only
    /// through it (release it, or the deal's outcome).
    pub const RESERVATION_ACTIVE: &str = "RESERVATION_ACTIVE";
    /// A sold unit goes back only when its deal is lost or deleted.
    pub const SOLD_IS_FINAL: &str = "SOLD_IS_FINAL";
    /// A reservation or a hold takes an `available` unit only.
    pub const UNIT_NOT_AVAILABLE: &str = "UNIT_NOT_AVAILABLE";
}

/// The approvable action a sale without a deal needs (Approvals Core, §3A).
pub const SOLD_WITHOUT_DEAL: &str = "unit.status.sold";

/// What a manual change from `from` to `to` needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manual {
    /// Nothing to do: the unit is there already.
    Unchanged,
    /// It may be written.
    Allowed,
    /// It may be written once approved: `sold` without a deal.
    NeedsApproval(&'static str),
}

fn refuse(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::Refused { code, message: message.into() }
}

/// Whether a user may move a unit from `from` to `to` by hand, `reserved`
/// (holding a reservation or hold when `reservation_active`), and with a
/// deal named for a sale when `with_deal`.
pub fn manual(from: UnitStatus, to: UnitStatus, reservation_active: bool, with_deal: bool) -> Result<Manual, AppError> {
    use UnitStatus::*;
    if from == to {
        return Ok(Manual::Unchanged);
    }
    if to == Reserved {
        return Err(refuse(rule::RESERVE_WITH_A_RESERVATION, "a unit is reserved with POST /v1/units/{id}/reservations"));
    }
    if from == Sold {
        return Err(refuse(rule::SOLD_IS_FINAL, "a sold unit goes back only when its deal is lost or deleted"));
    }
    if reservation_active && to != Sold {
        return Err(refuse(
            rule::RESERVATION_ACTIVE,
            format!(
                "the unit is {from} under an active reservation: release it (DELETE /v1/units/{{id}}/reservations/{{reservationId}}) first"
            ),
        ));
    }
    Ok(match to {
        Sold if with_deal => Manual::Allowed,
        Sold => Manual::NeedsApproval(SOLD_WITHOUT_DEAL),
        _ => Manual::Allowed,
    })
}

/// Whether a reservation (or a courtesy hold) may take a unit now.
pub fn reservable(status: UnitStatus, reservation_active: bool) -> Result<(), AppError> {
    if status == UnitStatus::Available && !reservation_active {
        Ok(())
    } else {
        Err(refuse(rule::UNIT_NOT_AVAILABLE, format!("the unit is {status}: only an available unit is reserved or held")))
    }
}

#[cfg(test)]
mod tests {
    use super::UnitStatus::*;
    use super::*;

    fn code(r: Result<Manual, AppError>) -> &'static str {
        r.unwrap_err().code()
    }

    #[test]
    fn only_the_allowed_moves_pass_and_each_refusal_names_its_rule() {
        for from in [Available, Hold, Unavailable] {
            for to in [Available, Hold, Unavailable] {
                let expected = if from == to { Manual::Unchanged } else { Manual::Allowed };
                assert_eq!(manual(from, to, false, false).unwrap(), expected, "{from} → {to}");
            }
        }
        assert_eq!(code(manual(Available, Reserved, false, true)), rule::RESERVE_WITH_A_RESERVATION);
        assert_eq!(code(manual(Sold, Available, false, true)), rule::SOLD_IS_FINAL);
        assert_eq!(code(manual(Sold, Hold, false, false)), rule::SOLD_IS_FINAL);
        assert_eq!(code(manual(Reserved, Available, true, false)), rule::RESERVATION_ACTIVE);
        assert_eq!(code(manual(Hold, Unavailable, true, false)), rule::RESERVATION_ACTIVE);
        assert_eq!(AppError::Refused { code: "X", message: String::new() }.status(), 409);
    }

    #[test]
    fn a_sale_without_a_deal_waits_for_approval() {
        assert_eq!(manual(Available, Sold, false, true).unwrap(), Manual::Allowed);
        assert_eq!(manual(Reserved, Sold, true, true).unwrap(), Manual::Allowed);
        assert_eq!(manual(Available, Sold, false, false).unwrap(), Manual::NeedsApproval(SOLD_WITHOUT_DEAL));
        assert_eq!(manual(Sold, Sold, false, false).unwrap(), Manual::Unchanged);
    }

    #[test]
    fn only_an_available_unit_is_reserved() {
        assert!(reservable(Available, false).is_ok());
        for s in [Reserved, Sold, Hold, Unavailable] {
            assert_eq!(reservable(s, false).unwrap_err().code(), rule::UNIT_NOT_AVAILABLE);
        }
        assert_eq!(reservable(Available, true).unwrap_err().code(), rule::UNIT_NOT_AVAILABLE);
    }
}
