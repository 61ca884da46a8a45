//! Coded dictionaries (the spec's `job_title_codes` and `department_codes`):
//! the product's global codes, with English and Arabic labels, plus the
//! codes a tenant adds (`admin.customDictionaries`). A user's
//! `job_title_code` and `department_code` must be an active code of its
//! dictionary, global or the tenant's.
//!
//! A tenant's codes are items of one partition per dictionary
//! (`T#{t}#DICT#{dictionary}` / `CODE#{code}`): a list is one Query, a
//! write one conditional Put, within [`MAX_TENANT_CODES`] held by a usage
//! counter in the same transaction.

use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, Limit, TenantId, Timestamp};
use crm_store::{item, keys, Item, Query, Store, StoreError};
use serde::{Deserialize, Serialize};

/// Most codes a tenant adds to one dictionary.
pub const MAX_TENANT_CODES: i64 = 200;

/// One of the coded dictionaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dictionary {
    JobTitleCodes,
    DepartmentCodes,
}

impl Dictionary {
    pub const ALL: [Dictionary; 2] = [Dictionary::JobTitleCodes, Dictionary::DepartmentCodes];

    /// The path segment and the spec's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Dictionary::JobTitleCodes => "job_title_codes",
            Dictionary::DepartmentCodes => "department_codes",
        }
    }

    /// The path segment `{dictionary}`; anything else is `404`.
    pub fn parse(s: &str) -> Result<Self, AppError> {
        Self::ALL.into_iter().find(|d| d.as_str() == s).ok_or(AppError::NotFound)
    }

    /// The product's codes: `(code, English, Arabic)`.
    fn global(self) -> &'static [(&'static str, &'static str, &'static str)] {
        match self {
            Dictionary::JobTitleCodes => &[
                ("sales_representative", "Sales representative", "مندوب مبيعات"),
                ("account_executive", "Account executive", "مسؤول حسابات"),
                ("sales_manager", "Sales manager", "مدير مبيعات"),
                ("property_consultant", "Property consultant", "مستشار عقاري"),
                ("broker", "Broker", "وسيط"),
                ("marketing_specialist", "Marketing specialist", "أخصائي تسويق"),
                ("customer_success", "Customer success", "نجاح العملاء"),
                ("finance_officer", "Finance officer", "مسؤول مالي"),
                ("operations", "Operations", "العمليات"),
                ("executive", "Executive", "إدارة عليا"),
            ],
            Dictionary::DepartmentCodes => &[
                ("sales", "Sales", "المبيعات"),
                ("marketing", "Marketing", "التسويق"),
                ("customer_success", "Customer success", "نجاح العملاء"),
                ("finance", "Finance", "المالية"),
                ("operations", "Operations", "العمليات"),
                ("management", "Management", "الإدارة"),
                ("it", "IT", "تقنية المعلومات"),
            ],
        }
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
    pub is_active: bool,
    pub source: Source,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    #[serde(default)]
    pub version: u64,
}

impl Entry {
    pub fn to_item(&self, t: TenantId, d: Dictionary) -> Result<Item, StoreError> {
        item::to_item(&keys::dictionary_entry(t, d.as_str(), &self.code), self)
    }
}

/// The body of `POST` (all but `code` also of `PATCH`) of a tenant's code.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EntryChanges {
    /// `a-z`, `0-9`, `_`; 2–64 characters, a letter first; set on create only.
    #[schemars(length(min = 2, max = 64), regex(pattern = r"^[a-z][a-z0-9_]{1,63}$"))]
    pub code: Input<String>,
    #[schemars(length(min = 1, max = 100))]
    pub label_en: Input<String>,
    #[schemars(length(min = 1, max = 100))]
    pub label_ar: Input<String>,
    pub is_active: Input<bool>,
}

fn valid_code(c: &str) -> Result<String, String> {
    let ok = (2..=64).contains(&c.len())
        && c.starts_with(|ch: char| ch.is_ascii_lowercase())
        && c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    ok.then(|| c.to_string()).ok_or_else(|| "must be 2-64 characters of a-z, 0-9 and _, starting with a letter".into())
}

impl Entry {
    /// Applies `c` to `base` (a new tenant code when `None`); every problem named.
    pub fn apply(base: Option<&Entry>, c: EntryChanges, now: Timestamp) -> Result<Entry, AppError> {
        let mut f = Fields::new();
        let mut next = base.cloned().unwrap_or(Entry {
            code: String::new(),
            label_en: String::new(),
            label_ar: String::new(),
            is_active: true,
            source: Source::Tenant,
            updated_at: None,
            version: 0,
        });
        if base.is_some() {
            f.refuse("code", &c.code, "a code cannot change; add another and deactivate this one");
        } else if let Some(code) = f.parsed("code", c.code, 64, valid_code) {
            next.code = code.unwrap_or_default();
        }
        if let Some(l) = f.text("label_en", c.label_en, 100) {
            next.label_en = l.unwrap_or_default();
        }
        if let Some(l) = f.text("label_ar", c.label_ar, 100) {
            next.label_ar = l.unwrap_or_default();
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

/// Every code of `d` for tenant `t`: the global ones, then the tenant's.
pub async fn load(store: &Store, t: TenantId, d: Dictionary) -> Result<Vec<Entry>, AppError> {
    let mut out: Vec<Entry> = d
        .global()
        .iter()
        .map(|(code, en, ar)| Entry {
            code: code.to_string(),
            label_en: en.to_string(),
            label_ar: ar.to_string(),
            is_active: true,
            source: Source::Global,
            updated_at: None,
            version: 0,
        })
        .collect();
    let mut cursor = None;
    loop {
        let page = store.query(Query::table(t, keys::dictionary_pk(t, d.as_str())).limit(Limit::max()).after(cursor)).await?;
        out.extend(page.items.into_iter().map(item::from_item::<Entry>).collect::<Result<Vec<_>, _>>()?);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// Whether `code` may be given to a user: an active code of `entries`.
pub fn check(entries: &[Entry], code: &str) -> Result<(), String> {
    match entries.iter().find(|e| e.code == code) {
        Some(e) if e.is_active => Ok(()),
        Some(_) => Err(format!("`{code}` is no longer in use")),
        None => Err(format!("`{code}` is not a code of the dictionary")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes(v: serde_json::Value) -> EntryChanges {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_tenant_code_is_parsed_whole_and_keeps_its_code() {
        let now = Timestamp::now();
        let e =
            Entry::apply(None, changes(json!({"code": "field_agent", "label_en": "Field agent", "label_ar": "وكيل ميداني"})), now).unwrap();
        assert_eq!((e.source, e.is_active, e.version), (Source::Tenant, true, 1));
        let bad = Entry::apply(None, changes(json!({"code": "Field Agent!", "label_en": ""})), now).unwrap_err();
        let fields: Vec<&str> = bad.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["code", "label_en", "label_ar"]);
        let renamed = Entry::apply(Some(&e), changes(json!({"code": "other"})), now).unwrap_err();
        assert_eq!(renamed.details()[0].field, "code");
        let off = Entry::apply(Some(&e), changes(json!({"is_active": false})), now).unwrap();
        assert_eq!((off.is_active, off.version, off.label_ar.as_str()), (false, 2, "وكيل ميداني"));
    }

    #[test]
    fn only_an_active_code_is_given() {
        let mut entries: Vec<Entry> = Vec::new();
        let now = Timestamp::now();
        entries.push(
            Entry::apply(None, changes(json!({"code": "old_title", "label_en": "Old", "label_ar": "قديم", "is_active": false})), now)
                .unwrap(),
        );
        assert!(check(&entries, "old_title").unwrap_err().contains("no longer"));
        assert!(check(&entries, "nothing").unwrap_err().contains("not a code"));
        assert!(Dictionary::JobTitleCodes.global().iter().all(|(c, en, ar)| valid_code(c).is_ok() && !en.is_empty() && !ar.is_empty()));
        assert_eq!(Dictionary::parse("department_codes").unwrap(), Dictionary::DepartmentCodes);
        assert_eq!(Dictionary::parse("colours").unwrap_err().code(), "NOT_FOUND");
    }
}
