//! `Phone::parse`: a phone number in strict E.164 (`+` then 8–15 digits, no
//! leading zero in the country code), with its country when the calling code
//! is one we know (the spec asks for strict E.164, with the country stored).

use serde::{Deserialize, Serialize};

use crate::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl schemars::JsonSchema for Phone {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Phone".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "description": "E.164", "pattern": "^\\+[1-9][0-9]{7,14}$", "examples": ["+201001234567"] })
    }
}

/// Calling codes of our markets first (Egypt and the Gulf), then the common
/// others. Longest prefix wins.
const COUNTRIES: &[(&str, &str)] = &[
    ("20", "EG"),
    ("966", "SA"),
    ("971", "AE"),
    ("965", "KW"),
    ("974", "QA"),
    ("973", "BH"),
    ("968", "OM"),
    ("962", "JO"),
    ("961", "LB"),
    ("212", "MA"),
    ("216", "TN"),
    ("213", "DZ"),
    ("1", "US"),
    ("44", "GB"),
    ("33", "FR"),
    ("49", "DE"),
    ("91", "IN"),
    ("90", "TR"),
];

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::new("e164", "must be a phone number in E.164 form, such as +201001234567");
        let digits = raw.trim().strip_prefix('+').ok_or_else(bad)?;
        if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0') {
            return Err(bad());
        }
        Ok(Self(format!("+{digits}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// ISO 3166 alpha-2 of the calling code, when known.
    pub fn country(&self) -> Option<&'static str> {
        let digits = &self.0[1..];
        COUNTRIES.iter().filter(|(code, _)| digits.starts_with(code)).max_by_key(|(code, _)| code.len()).map(|(_, c)| *c)
    }

    /// The national significant number (after the calling code), when the
    /// calling code is known: `+201001234567` → `1001234567`.
    pub fn national(&self) -> Option<&str> {
        let digits = &self.0[1..];
        COUNTRIES
            .iter()
            .filter(|(code, _)| digits.starts_with(code))
            .max_by_key(|(code, _)| code.len())
            .map(|(code, _)| &digits[code.len()..])
    }

    /// For display in answers and logs: `+2010******67`.
    pub fn masked(&self) -> String {
        let n = self.0.len();
        self.0.chars().enumerate().map(|(i, c)| if i >= 5 && i < n - 2 { '*' } else { c }).collect()
    }
}

impl TryFrom<String> for Phone {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Phone::parse(&s).map_err(|e| e.message)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

impl std::fmt::Display for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_strict_e164() {
        assert_eq!(Phone::parse(" +201001234567 ").unwrap().as_str(), "+201001234567");
        for bad in ["", "201001234567", "+0201001234", "+20 100 123", "+2010-0123456", "+1234567", "+1234567890123456", "+٢٠١٠٠١٢٣٤٥٦٧"]
        {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn knows_the_country_by_longest_calling_code() {
        assert_eq!(Phone::parse("+201001234567").unwrap().country(), Some("EG"));
        assert_eq!(Phone::parse("+966501234567").unwrap().country(), Some("SA"));
        assert_eq!(Phone::parse("+971501234567").unwrap().country(), Some("AE"));
        assert_eq!(Phone::parse("+14155550100").unwrap().country(), Some("US"));
        assert_eq!(Phone::parse("+85212345678").unwrap().country(), None);
    }

    #[test]
    fn masks_the_middle() {
        assert_eq!(Phone::parse("+201001234567").unwrap().masked(), "+2010******67");
    }
}
