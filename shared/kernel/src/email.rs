//! `Email::parse`: an email address, normalised (trimmed, lower-cased):
//! login emails, recipients of notifications, contact channels.

use crate::FieldError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl schemars::JsonSchema for Email {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Email".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "email", "maxLength": 254, "examples": ["sara@acme.io"] })
    }
}

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let e = raw.trim().to_lowercase();
        let bad = || FieldError::new("email", "must be a valid email address");
        if e.len() > 254 || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = e.split_once('@').ok_or_else(bad)?;
        if local.is_empty() || local.len() > 64 || domain.contains('@') {
            return Err(bad());
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || labels.iter().any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-')) {
            return Err(bad());
        }
        Ok(Self(e))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_rejects() {
        assert_eq!(Email::parse("  Admin@Demo.SalesOS.dev ").unwrap().as_str(), "admin@demo.salesos.dev");
        for bad in ["", "a", "a@b", "@b.c", "a@@b.c", "a b@c.d", "a@-b.c", "a@b..c"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
