//! A dictionary and its codes, parsed whole (pure).

use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, TenantId, Timestamp};
use crm_store::{item, keys, Item, StoreError};
use serde::{Deserialize, Serialize};

/// How a dictionary spells its codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeStyle {
    /// `a-z`, `0-9`, `_`, a letter first (`sales_manager`).
    Snake,
    /// `A-Z`, `0-9`, `_`, a letter first (`APT`, `PENTHOUSE`): the codes
    /// analytics group units by.
    Upper,
}

/// One coded dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dictionary {
    /// The spec's table name (`unit_type_codes`): the partition and the
    /// counter are named after it.
    pub name: &'static str,
    /// The product's codes: `(code, English, Arabic)`.
    pub global: &'static [(&'static str, &'static str, &'static str)],
    pub style: CodeStyle,
    /// The plan feature a tenant needs to add or change codes of its own.
    pub feature: &'static str,
}

impl Dictionary {
    /// `code` if it is spelled as this dictionary spells codes.
    pub fn valid_code(&self, c: &str) -> Result<String, String> {
        let letter = |b: u8| match self.style {
            CodeStyle::Snake => b.is_ascii_lowercase(),
            CodeStyle::Upper => b.is_ascii_uppercase(),
        };
        let ok = (2..=64).contains(&c.len())
            && c.bytes().next().is_some_and(letter)
            && c.bytes().all(|b| letter(b) || b.is_ascii_digit() || b == b'_');
        ok.then(|| c.to_string()).ok_or_else(|| match self.style {
            CodeStyle::Snake => "must be 2-64 characters of a-z, 0-9 and _, starting with a letter".into(),
            CodeStyle::Upper => "must be 2-64 characters of A-Z, 0-9 and _, starting with a letter".into(),
        })
    }

    /// The audit subject of one of its codes.
    pub fn subject(&self, code: &str) -> crm_events::Subject {
        crm_events::Subject { kind: "dictionary_code".into(), id: format!("{}/{code}", self.name) }
    }

    /// The global codes as entries.
    pub fn globals(&self) -> impl Iterator<Item = Entry> + '_ {
        self.global.iter().map(|(code, en, ar)| Entry {
            code: code.to_string(),
            label_en: en.to_string(),
            label_ar: ar.to_string(),
            description: None,
            is_active: true,
            source: Source::Global,
            updated_at: None,
            version: 0,
        })
    }
}

/// Where a code comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Global,
    Tenant,
}

/// A code of a dictionary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Entry {
    pub code: String,
    pub label_en: String,
    pub label_ar: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub is_active: bool,
    pub source: Source,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    #[serde(default)]
    pub version: u64,
}

/// The body of `POST` (all but `code` also of `PATCH`) of a tenant's code.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EntryChanges {
    /// 2–64 characters, a letter first: `a-z`, `0-9`, `_` (`job_title_codes`,
    /// `department_codes`) or `A-Z`, `0-9`, `_` (`unit_type_codes`,
    /// `component_type_codes`); set on create only.
    #[schemars(length(min = 2, max = 64), regex(pattern = r"^[A-Za-z][A-Za-z0-9_]{1,63}$"))]
    pub code: Input<String>,
    #[schemars(length(min = 1, max = 100))]
    pub label_en: Input<String>,
    #[schemars(length(min = 1, max = 100))]
    pub label_ar: Input<String>,
    /// At most 500 characters; `null` clears.
    #[schemars(length(max = 500))]
    pub description: Input<String>,
    pub is_active: Input<bool>,
}

impl Entry {
    pub fn to_item(&self, t: TenantId, d: &Dictionary) -> Result<Item, StoreError> {
        item::to_item(&keys::dictionary_entry(t, d.name, &self.code), self)
    }

    /// Applies `c` to `base` (a new tenant code of `d` when `None`); every problem named.
    pub fn apply(d: &Dictionary, base: Option<&Entry>, c: EntryChanges, now: Timestamp) -> Result<Entry, AppError> {
        let mut f = Fields::new();
        let mut next = base.cloned().unwrap_or(Entry {
            code: String::new(),
            label_en: String::new(),
            label_ar: String::new(),
            description: None,
            is_active: true,
            source: Source::Tenant,
            updated_at: None,
            version: 0,
        });
        if base.is_some() {
            f.refuse("code", &c.code, "a code cannot change; add another and deactivate this one");
        } else if let Some(code) = f.parsed("code", c.code, 64, |s| d.valid_code(s)) {
            next.code = code.unwrap_or_default();
        }
        if let Some(l) = f.text("label_en", c.label_en, 100) {
            next.label_en = l.unwrap_or_default();
        }
        if let Some(l) = f.text("label_ar", c.label_ar, 100) {
            next.label_ar = l.unwrap_or_default();
        }
        if let Some(text) = f.prose("description", c.description, 500) {
            next.description = text;
        }
        if let Some(b) = f.bool("is_active", c.is_active) {
            next.is_active = b;
        }
        f.require("code", !next.code.is_empty());
        f.require("label_en", !next.label_en.is_empty());
        f.require("label_ar", !next.label_ar.is_empty());
        let next = f.finish(next)?;
        Ok(Entry { updated_at: Some(now), version: next.version + 1, ..next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TITLES: Dictionary =
        Dictionary { name: "job_title_codes", global: &[("broker", "Broker", "وسيط")], style: CodeStyle::Snake, feature: "f" };
    const TYPES: Dictionary =
        Dictionary { name: "unit_type_codes", global: &[("APT", "Apartment", "شقة")], style: CodeStyle::Upper, feature: "f" };

    fn changes(v: serde_json::Value) -> EntryChanges {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_tenant_code_is_parsed_whole_and_keeps_its_code() {
        let now = Timestamp::now();
        let e =
            Entry::apply(&TITLES, None, changes(json!({"code": "field_agent", "label_en": "Field agent", "label_ar": "وكيل ميداني"})), now)
                .unwrap();
        assert_eq!((e.source, e.is_active, e.version), (Source::Tenant, true, 1));
        let bad = Entry::apply(&TITLES, None, changes(json!({"code": "Field Agent!", "label_en": ""})), now).unwrap_err();
        let fields: Vec<&str> = bad.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["code", "label_en", "label_ar"]);
        let renamed = Entry::apply(&TITLES, Some(&e), changes(json!({"code": "other"})), now).unwrap_err();
        assert_eq!(renamed.details()[0].field, "code");
        let off = Entry::apply(&TITLES, Some(&e), changes(json!({"is_active": false, "description": "Outside sales"})), now).unwrap();
        assert_eq!((off.is_active, off.version, off.label_ar.as_str()), (false, 2, "وكيل ميداني"));
        assert_eq!(off.description.as_deref(), Some("Outside sales"));
    }

    #[test]
    fn each_dictionary_spells_codes_its_own_way() {
        assert!(TYPES.valid_code("SKY_VILLA").is_ok());
        assert!(TYPES.valid_code("sky_villa").unwrap_err().contains("A-Z"));
        assert!(TITLES.valid_code("SKY").unwrap_err().contains("a-z"));
        assert!(TYPES.valid_code("A").is_err() && TYPES.valid_code("9A").is_err());
        for d in [TITLES, TYPES] {
            assert!(d.globals().all(|e| d.valid_code(&e.code).is_ok() && e.source == Source::Global && e.is_active));
        }
    }
}
