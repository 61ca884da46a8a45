//! Promo codes (`promo_codes`): a percentage or a fixed amount off a
//! period's invoice, valid in a window. A tenant holds at most one applied
//! code (`subscription_discounts`); the discount is a negative line of each
//! invoice drafted while it is applied.

use crm_kernel::fields::Input;
use crm_kernel::{AppError, FieldError, Timestamp};
use serde::{Deserialize, Serialize};

/// A promo code as the operator defines it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PromoCode {
    /// Upper case, `A-Z 0-9 - _`, 3 to 32 characters.
    pub code: String,
    pub description: String,
    /// Percent off (1 to 100), or
    pub discount_pct: Option<i64>,
    /// an amount off, in minor units of the tenant's currency.
    pub discount_amount_minor: Option<i64>,
    pub is_active: bool,
    pub valid_from: Option<Timestamp>,
    pub valid_to: Option<Timestamp>,
}

/// The operator's request to define (or redefine) a code.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PromoRequest {
    pub code: Input<String>,
    pub description: Input<String>,
    pub discount_pct: Input<i64>,
    pub discount_amount_minor: Input<i64>,
    pub is_active: Input<bool>,
    pub valid_from: Input<Timestamp>,
    pub valid_to: Input<Timestamp>,
}

/// `PROMO_INVALID` (422): unknown, inactive or outside its window.
pub fn invalid(message: impl Into<String>) -> AppError {
    AppError::Rule { code: "PROMO_INVALID", message: message.into() }
}

/// A code as a customer types it: trimmed, upper case.
pub fn normalise(raw: &str) -> String {
    raw.trim().to_ascii_uppercase()
}

impl PromoCode {
    /// Parses an operator's definition, naming every bad field.
    pub fn parse(req: PromoRequest) -> Result<Self, AppError> {
        let mut errors = Vec::new();
        let code = match req.code {
            Input::Given(c) => {
                let c = normalise(&c);
                if (3..=32).contains(&c.len()) && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_') {
                    Some(c)
                } else {
                    errors.push(FieldError::new("code", "3 to 32 of A-Z, 0-9, - and _"));
                    None
                }
            }
            _ => {
                errors.push(FieldError::new("code", "is required"));
                None
            }
        };
        let description = match req.description {
            Input::Given(d) if d.chars().count() <= 200 => d.trim().to_string(),
            Input::Absent | Input::Null => String::new(),
            _ => {
                errors.push(FieldError::new("description", "text of at most 200 characters"));
                String::new()
            }
        };
        let pct = given(req.discount_pct, "discount_pct", "a whole percent", &mut errors);
        let amount = given(req.discount_amount_minor, "discount_amount_minor", "an amount in minor units", &mut errors);
        match (pct, amount) {
            (Some(p), None) if !(1..=100).contains(&p) => errors.push(FieldError::new("discount_pct", "from 1 to 100")),
            (None, Some(a)) if a <= 0 => errors.push(FieldError::new("discount_amount_minor", "must be above 0")),
            (Some(_), None) | (None, Some(_)) => {}
            _ => errors.push(FieldError::new("discount_pct", "give exactly one of discount_pct and discount_amount_minor")),
        }
        let valid_from = given(req.valid_from, "valid_from", "an RFC 3339 time", &mut errors);
        let valid_to = given(req.valid_to, "valid_to", "an RFC 3339 time", &mut errors);
        if let (Some(f), Some(t)) = (valid_from, valid_to) {
            if t <= f {
                errors.push(FieldError::new("valid_to", "must be after valid_from"));
            }
        }
        let is_active = given(req.is_active, "is_active", "true or false", &mut errors).unwrap_or(true);
        match code {
            Some(code) if errors.is_empty() => {
                Ok(Self { code, description, discount_pct: pct, discount_amount_minor: amount, is_active, valid_from, valid_to })
            }
            _ => Err(AppError::invalid_fields(errors)),
        }
    }

    /// `Ok` if the code may be applied (or still discounts) at `at`.
    pub fn check(&self, at: Timestamp) -> Result<(), AppError> {
        if !self.is_active {
            return Err(invalid(format!("promo code {} is not active", self.code)));
        }
        if self.valid_from.is_some_and(|f| at < f) {
            return Err(invalid(format!("promo code {} is not valid yet", self.code)));
        }
        if self.valid_to.is_some_and(|t| at >= t) {
            return Err(invalid(format!("promo code {} has expired", self.code)));
        }
        Ok(())
    }

    /// What the code takes off `subtotal` (never more than it): a percentage
    /// rounds half up to the minor unit.
    pub fn discount(&self, subtotal: i64) -> i64 {
        let subtotal = subtotal.max(0);
        let off = match (self.discount_pct, self.discount_amount_minor) {
            (Some(p), _) => (subtotal * p * 2 + 100) / 200,
            (None, Some(a)) => a,
            (None, None) => 0,
        };
        off.clamp(0, subtotal)
    }
}

fn given<T>(input: Input<T>, field: &str, kind: &str, errors: &mut Vec<FieldError>) -> Option<T> {
    match input {
        Input::Given(v) => Some(v),
        Input::Absent | Input::Null => None,
        Input::Invalid(_) => {
            errors.push(FieldError::new(field, format!("must be {kind}")));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn req(v: serde_json::Value) -> PromoRequest {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn parses_one_discount_in_a_window() {
        let p = PromoCode::parse(req(serde_json::json!({"code": " launch20 ", "discount_pct": 20, "valid_to": "2027-01-01T00:00:00Z"})))
            .unwrap();
        assert_eq!((p.code.as_str(), p.discount_pct, p.is_active), ("LAUNCH20", Some(20), true));
        let err = PromoCode::parse(req(serde_json::json!({"code": "x", "discount_pct": 20, "discount_amount_minor": 5}))).unwrap_err();
        let AppError::Validation { details: fields, .. } = err else { panic!() };
        let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(named, ["code", "discount_pct"]);
        assert!(PromoCode::parse(req(serde_json::json!({"code": "ABC", "discount_pct": 101}))).is_err());
        assert!(PromoCode::parse(req(serde_json::json!({"code": "ABC", "discount_amount_minor": 0}))).is_err());
        assert!(PromoCode::parse(req(
            serde_json::json!({"code": "ABC", "discount_pct": 5, "valid_from": "2027-01-01T00:00:00Z", "valid_to": "2026-01-01T00:00:00Z"})
        ))
        .is_err());
    }

    #[test]
    fn a_window_and_a_discount_that_never_exceeds_the_subtotal() {
        let mut p = PromoCode::parse(req(serde_json::json!({"code": "ABC", "discount_pct": 15, "valid_from": "2026-11-01T00:00:00Z", "valid_to": "2026-12-01T00:00:00Z"}))).unwrap();
        assert!(p.check(ts("2026-11-15T00:00:00Z")).is_ok());
        assert_eq!(p.check(ts("2026-10-31T23:59:59Z")).unwrap_err().code(), "PROMO_INVALID");
        assert_eq!(p.check(ts("2026-12-01T00:00:00Z")).unwrap_err().code(), "PROMO_INVALID");
        // 15 % of 4 999 is 749.85: half up to 750.
        assert_eq!(p.discount(4999), 750);
        assert_eq!(p.discount(3), 0);
        assert_eq!(p.discount(10), 2);
        p.discount_pct = None;
        p.discount_amount_minor = Some(10_000);
        assert_eq!(p.discount(4999), 4999);
        p.is_active = false;
        assert!(p.check(ts("2026-11-15T00:00:00Z")).is_err());
    }
}
