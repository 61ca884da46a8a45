//! Money: integer minor units and an ISO 4217 currency. Never floats.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::AppError;

/// ISO 4217 codes we accept, with their minor-unit exponent. The markets of
/// the product (Egypt, the Gulf) and the common trading currencies.
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("AUD", 2),
    ("BHD", 3),
    ("CAD", 2),
    ("CHF", 2),
    ("CNY", 2),
    ("EGP", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("INR", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KWD", 3),
    ("LBP", 2),
    ("MAD", 2),
    ("OMR", 3),
    ("QAR", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("TND", 3),
    ("TRY", 2),
    ("USD", 2),
];

/// An ISO 4217 currency code we know the minor unit of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub struct Currency(&'static str, u8);

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Currency::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Currency {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Currency".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let codes: Vec<&str> = CURRENCIES.iter().map(|(c, _)| *c).collect();
        schemars::json_schema!({ "type": "string", "description": "ISO 4217", "enum": codes })
    }
}

impl Currency {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let upper = raw.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(code, _)| *code == upper)
            .map(|(code, exp)| Currency(code, *exp))
            .ok_or_else(|| AppError::invalid("currency", "must be a supported ISO 4217 code"))
    }

    pub fn code(&self) -> &'static str {
        self.0
    }

    /// Digits after the decimal point (2 for USD, 3 for KWD, 0 for JPY).
    pub fn minor_unit_exponent(&self) -> u8 {
        self.1
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.0.to_string()
    }
}

/// An amount in minor units (cents, piastres, fils) of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount_minor: i64, currency: Currency) -> Self {
        Self { amount_minor, currency }
    }

    /// Adds two amounts of the same currency; mixing currencies is an error,
    /// and so is overflow.
    pub fn checked_add(self, other: Money) -> Result<Money, AppError> {
        if self.currency != other.currency {
            return Err(AppError::invalid("currency", "cannot add amounts in different currencies"));
        }
        self.amount_minor
            .checked_add(other.amount_minor)
            .map(|amount_minor| Money { amount_minor, currency: self.currency })
            .ok_or_else(|| AppError::invalid("amount_minor", "amount overflow"))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exp = self.currency.minor_unit_exponent() as u32;
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let abs = self.amount_minor.unsigned_abs();
        if exp == 0 {
            return write!(f, "{sign}{abs} {}", self.currency);
        }
        let div = 10u64.pow(exp);
        write!(f, "{sign}{}.{:0width$} {}", abs / div, abs % div, self.currency, width = exp as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_by_minor_unit() {
        let usd = Currency::parse("usd").unwrap();
        assert_eq!(Money::new(12_000_000, usd).to_string(), "120000.00 USD");
        assert_eq!(Money::new(-5, Currency::parse("KWD").unwrap()).to_string(), "-0.005 KWD");
        assert_eq!(Money::new(7, Currency::parse("JPY").unwrap()).to_string(), "7 JPY");
    }

    #[test]
    fn rejects_unknown_currency_and_mixed_sums() {
        assert!(Currency::parse("XYZ").is_err());
        let usd = Money::new(1, Currency::parse("USD").unwrap());
        let egp = Money::new(1, Currency::parse("EGP").unwrap());
        assert!(usd.checked_add(egp).is_err());
    }

    proptest! {
        #[test]
        fn addition_is_commutative_when_it_succeeds(a in any::<i64>(), b in any::<i64>()) {
            let c = Currency::parse("USD").unwrap();
            let x = Money::new(a, c).checked_add(Money::new(b, c));
            let y = Money::new(b, c).checked_add(Money::new(a, c));
            prop_assert_eq!(x, y);
        }
    }
}
