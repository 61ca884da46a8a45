//! Page sizes. Lists use cursor pagination (DynamoDB has no cheap offset or
//! total); the cursor itself lives in the store crate, signed.

use crate::AppError;

/// A validated page size: default 25, at most 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(u16);

impl Limit {
    pub const DEFAULT: u16 = 25;
    pub const MAX: u16 = 100;

    /// Parses the `limit` query parameter; absent means the default.
    pub fn parse(raw: Option<&str>) -> Result<Self, AppError> {
        match raw {
            None => Ok(Limit(Self::DEFAULT)),
            Some(s) => match s.trim().parse::<u16>() {
                Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Limit(n)),
                _ => Err(AppError::invalid("limit", format!("must be an integer between 1 and {}", Self::MAX))),
            },
        }
    }

    /// The largest page (internal reads that want everything there is, up to 100).
    pub const fn max() -> Self {
        Limit(Self::MAX)
    }

    pub fn get(&self) -> u16 {
        self.0
    }
}

impl<'de> serde::Deserialize<'de> for Limit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Limit::parse(Some(&raw)).map_err(|_| serde::de::Error::custom(format!("must be an integer between 1 and {}", Self::MAX)))
    }
}

impl schemars::JsonSchema for Limit {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Limit".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "integer", "minimum": 1, "maximum": Self::MAX, "default": Self::DEFAULT, "description": "Page size." })
    }
}

impl Default for Limit {
    fn default() -> Self {
        Limit(Self::DEFAULT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_limit_parses_from_text() {
        #[derive(serde::Deserialize)]
        struct Q {
            limit: Limit,
        }
        let q: Q = serde_json::from_value(serde_json::json!({ "limit": "40" })).unwrap();
        assert_eq!(q.limit.get(), 40);
        assert!(serde_json::from_value::<Q>(serde_json::json!({ "limit": "0" })).is_err());
    }

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(Limit::parse(None).unwrap().get(), 25);
        assert_eq!(Limit::parse(Some("100")).unwrap().get(), 100);
        for bad in ["0", "101", "-1", "ten", ""] {
            assert!(Limit::parse(Some(bad)).is_err(), "{bad}");
        }
    }
}
