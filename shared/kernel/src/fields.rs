//! The field parser every entity's changes go through: a JSON object read
//! field by field, every problem named with its field, in order.
//!
//! ```
//! use crm_kernel::fields::Fields;
//! # fn main() -> Result<(), crm_kernel::AppError> {
//! let body = serde_json::json!({ "name": "  Acme ", "status": "active" });
//! let mut f = Fields::of(&body, &["name", "status", "owner_user_id"])?;
//! let name = f.text("name", 200).flatten();
//! let status = f.one_of("status", &["active", "archived"]);
//! let owner = f.user_id("owner_user_id");
//! f.require("name", name.is_some());
//! let parsed = f.finish((name, status, owner))?;
//! assert_eq!(parsed.0.as_deref(), Some("Acme"));
//! # Ok(()) }
//! ```
//!
//! The readers share one rule for changes (`PATCH` as much as `POST`): a
//! field that is absent is `None` (keep what is there); a present one is
//! `Some`, and for an optional field `null` — or blank text — is
//! `Some(None)` (clear it). A value of the wrong shape is an error on its
//! field and reads as absent, so one bad field never hides another.
//!
//! Errors come out in this order: unknown fields (alphabetical), then each
//! field as it is read, then the `require` checks and cross-field rules the
//! caller adds last. [`Fields::finish`] answers `400 VALIDATION_ERROR` with
//! all of them.

use std::ops::RangeInclusive;

use serde_json::{Map, Value};

use crate::{AppError, EntityId, FieldError, Timestamp, UserId};

/// A JSON object being parsed.
pub struct Fields<'a> {
    obj: &'a Map<String, Value>,
    /// Prefix of the fields' paths (`stages[0].`), empty at the top.
    at: String,
    errors: Vec<FieldError>,
}

const REQUIRED: &str = "is required";

impl<'a> Fields<'a> {
    /// `body` as an object whose keys are all `known` (else an `unknown
    /// field` each); `400` if it is not an object at all.
    pub fn of(body: &'a Value, known: &[&str]) -> Result<Self, AppError> {
        let obj = body.as_object().ok_or_else(|| AppError::invalid("body", "must be a JSON object"))?;
        Ok(Self::over(obj, String::new(), known))
    }

    /// A nested object at `at` (`stages[0]`): its problems are named under
    /// it; a value that is not an object is one problem, at `at`.
    pub fn nested(value: &'a Value, at: &str, known: &[&str]) -> Result<Self, FieldError> {
        match value.as_object() {
            Some(obj) => Ok(Self::over(obj, format!("{at}."), known)),
            None => Err(FieldError::new(at, "must be an object")),
        }
    }

    fn over(obj: &'a Map<String, Value>, at: String, known: &[&str]) -> Self {
        let errors =
            obj.keys().filter(|k| !known.contains(&k.as_str())).map(|k| FieldError::new(format!("{at}{k}"), "unknown field")).collect();
        Self { obj, at, errors }
    }

    /// Says why a known-but-refused key is refused (`status` changes
    /// elsewhere), in place of a plain `unknown field`.
    pub fn refuse(&mut self, key: &str, why: &str) {
        if self.obj.contains_key(key) {
            let path = self.path(key);
            match self.errors.iter_mut().find(|e| e.field == path) {
                Some(e) => e.message = why.to_string(),
                None => self.errors.push(FieldError::new(path, why)),
            }
        }
    }

    fn path(&self, field: &str) -> String {
        format!("{}{field}", self.at)
    }

    /// Whether the body names `key` (even as `null`).
    pub fn has(&self, key: &str) -> bool {
        self.obj.contains_key(key)
    }

    /// The raw value of `key`, for shapes the readers do not cover.
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.obj.get(key)
    }

    /// Names a problem with `field` (a path under this object: `contacts[2].role`).
    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        let path = self.path(field);
        self.errors.push(FieldError::new(path, message));
    }

    /// Adds problems found elsewhere (already named with their full paths).
    pub fn absorb(&mut self, errors: impl IntoIterator<Item = FieldError>) {
        self.errors.extend(errors);
    }

    /// Whether `field` (or a path under it) has a problem already.
    pub fn failed(&self, field: &str) -> bool {
        let path = self.path(field);
        self.errors.iter().any(|e| e.field == path || e.field.starts_with(&format!("{path}.")) || e.field.starts_with(&format!("{path}[")))
    }

    /// `is required` on `field` unless it is `present` or already failed.
    pub fn require(&mut self, field: &str, present: bool) {
        self.require_because(field, present, REQUIRED);
    }

    /// [`Fields::require`] with its own message.
    pub fn require_because(&mut self, field: &str, present: bool, message: &str) {
        if !present && !self.failed(field) {
            self.error(field, message);
        }
    }

    /// Text, trimmed; `null` or blank clears; more than `max` characters,
    /// or not a string, is a problem.
    pub fn text(&mut self, key: &str, max: usize) -> Option<Option<String>> {
        match self.obj.get(key)? {
            Value::Null => Some(None),
            Value::String(s) if s.trim().is_empty() => Some(None),
            Value::String(s) if s.trim().chars().count() <= max => Some(Some(s.trim().to_string())),
            Value::String(_) => {
                self.error(key, format!("must be at most {max} characters"));
                None
            }
            _ => {
                self.error(key, "must be a string");
                None
            }
        }
    }

    /// Long text (a note's body, a description) kept as written, not
    /// trimmed; `null` or blank clears; more than `max` characters is a problem.
    pub fn prose(&mut self, key: &str, max: usize) -> Option<Option<String>> {
        match self.obj.get(key)? {
            Value::Null => Some(None),
            Value::String(s) if s.chars().count() <= max => Some(Some(s.clone()).filter(|s| !s.trim().is_empty())),
            _ => {
                self.error(key, format!("must be text of at most {max} characters"));
                None
            }
        }
    }

    /// Text (as [`Fields::text`]) that `parse` turns into a value, or names
    /// the problem with its message.
    pub fn parsed<T>(&mut self, key: &str, max: usize, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<Option<T>> {
        match self.text(key, max)? {
            None => Some(None),
            Some(s) => match parse(&s) {
                Ok(v) => Some(Some(v)),
                Err(message) => {
                    self.error(key, message);
                    None
                }
            },
        }
    }

    /// One of `allowed` (a value that must be there: `null` is a problem).
    pub fn one_of(&mut self, key: &str, allowed: &[&str]) -> Option<String> {
        match self.obj.get(key)? {
            Value::String(s) if allowed.contains(&s.trim()) => Some(s.trim().to_string()),
            _ => {
                self.error(key, format!("must be one of {}", allowed.join(", ")));
                None
            }
        }
    }

    /// One of `allowed`, or `null` to clear.
    pub fn one_of_or_null(&mut self, key: &str, allowed: &[&str]) -> Option<Option<String>> {
        if self.obj.get(key)?.is_null() {
            return Some(None);
        }
        self.one_of(key, allowed).map(Some)
    }

    pub fn bool(&mut self, key: &str) -> Option<bool> {
        match self.obj.get(key)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.error(key, "must be true or false");
                None
            }
        }
    }

    /// A record's id; `null` or blank clears.
    pub fn entity_id(&mut self, key: &str) -> Option<Option<EntityId>> {
        self.parsed(key, 40, |s| EntityId::parse(s).map_err(|_| "must be an id".to_string()))
    }

    /// A user's id; `null` or blank clears.
    pub fn user_id(&mut self, key: &str) -> Option<Option<UserId>> {
        self.parsed(key, 40, |s| UserId::parse(s).map_err(|_| "must be a user id".to_string()))
    }

    /// An RFC 3339 instant; `null` clears.
    pub fn time(&mut self, key: &str) -> Option<Option<Timestamp>> {
        match self.obj.get(key)? {
            Value::Null => Some(None),
            Value::String(s) if Timestamp::parse(s).is_ok() => Timestamp::parse(s).ok().map(Some),
            _ => {
                self.error(key, "must be an RFC 3339 time");
                None
            }
        }
    }

    /// A calendar date (`YYYY-MM-DD`); `null` or blank clears.
    pub fn date(&mut self, key: &str) -> Option<Option<chrono::NaiveDate>> {
        self.parsed(key, 10, |s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| "must be a date (YYYY-MM-DD)".to_string()))
    }

    /// A whole number in `range` (a value that must be there).
    pub fn int(&mut self, key: &str, range: RangeInclusive<i64>) -> Option<i64> {
        match self.obj.get(key)?.as_i64() {
            Some(n) if range.contains(&n) => Some(n),
            _ => {
                self.error(key, format!("must be a whole number from {} to {}", range.start(), range.end()));
                None
            }
        }
    }

    /// A number in `range`; `null` clears.
    pub fn number(&mut self, key: &str, range: RangeInclusive<f64>) -> Option<Option<f64>> {
        match self.obj.get(key)? {
            Value::Null => Some(None),
            v => match v.as_f64() {
                Some(n) if range.contains(&n) => Some(Some(n)),
                _ => {
                    self.error(key, format!("must be a number from {} to {}", range.start(), range.end()));
                    None
                }
            },
        }
    }

    /// An ISO 3166 alpha-2 country code, upper-cased; `null` or blank clears.
    pub fn country(&mut self, key: &str) -> Option<Option<String>> {
        self.parsed(key, 2, |c| {
            if c.len() == 2 && c.chars().all(|x| x.is_ascii_alphabetic()) {
                Ok(c.to_ascii_uppercase())
            } else {
                Err("must be an ISO 3166 alpha-2 code (EG, AE, SA)".to_string())
            }
        })
    }

    /// The problems named so far (a nested object's, to [`Fields::absorb`] above).
    pub fn into_errors(self) -> Vec<FieldError> {
        self.errors
    }

    /// `value` if nothing was wrong, else `400` naming every problem.
    pub fn finish<T>(self, value: T) -> Result<T, AppError> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(AppError::invalid_fields(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(e: &AppError) -> Vec<(&str, &str)> {
        e.details().iter().map(|d| (d.field.as_str(), d.message.as_str())).collect()
    }

    #[test]
    fn absent_keeps_null_and_blank_clear_and_text_is_trimmed() {
        let body = json!({ "a": "  x ", "b": null, "c": "   " });
        let mut f = Fields::of(&body, &["a", "b", "c", "d"]).unwrap();
        assert_eq!(f.text("a", 5), Some(Some("x".into())));
        assert_eq!(f.text("b", 5), Some(None));
        assert_eq!(f.text("c", 5), Some(None));
        assert_eq!(f.text("d", 5), None);
        assert!(f.finish(()).is_ok());
    }

    #[test]
    fn every_problem_is_named_in_order_unknown_fields_first() {
        let body = json!({ "zeta": 1, "name": 7, "status": "gone", "alpha": true, "owner": "nobody", "on": "yes" });
        let mut f = Fields::of(&body, &["name", "status", "owner", "on", "title"]).unwrap();
        assert_eq!(f.text("name", 10), None);
        assert_eq!(f.one_of("status", &["open", "won"]), None);
        assert_eq!(f.user_id("owner"), None);
        assert_eq!(f.bool("on"), None);
        f.require("title", false);
        f.require("name", false); // failed already: not twice
        let e = f.finish(()).unwrap_err();
        assert_eq!(
            fields(&e),
            vec![
                ("alpha", "unknown field"),
                ("zeta", "unknown field"),
                ("name", "must be a string"),
                ("status", "must be one of open, won"),
                ("owner", "must be a user id"),
                ("on", "must be true or false"),
                ("title", "is required"),
            ]
        );
    }

    #[test]
    fn a_body_that_is_not_an_object_is_one_problem() {
        assert_eq!(Fields::of(&json!([1]), &[]).err().map(|e| e.details()[0].field.clone()), Some("body".to_string()));
    }

    #[test]
    fn nested_objects_name_their_paths_and_refusals_say_why() {
        let stage = json!({ "name": "", "colour": "red" });
        let mut n = Fields::nested(&stage, "stages[0]", &["name"]).unwrap();
        let name = n.text("name", 80).flatten();
        n.require("name", name.is_some());
        let body = json!({ "status": "won" });
        let mut top = Fields::of(&body, &["name"]).unwrap();
        top.refuse("status", "changes with mark-won");
        top.absorb(n.into_errors());
        assert!(top.failed("stages[0]"));
        let e = top.finish(()).unwrap_err();
        assert_eq!(
            fields(&e),
            vec![("status", "changes with mark-won"), ("stages[0].colour", "unknown field"), ("stages[0].name", "is required")]
        );
        assert_eq!(Fields::nested(&json!(3), "stages[1]", &[]).err().map(|e| e.field), Some("stages[1]".into()));
    }

    #[test]
    fn numbers_dates_times_and_countries() {
        let body = json!({ "n": 5, "big": 500, "pct": 12.5, "none": null, "d": "2026-12-01", "bad_d": "12/01", "t": "2026-12-01T10:00:00Z", "c": "eg" });
        let mut f = Fields::of(&body, &["n", "big", "pct", "none", "d", "bad_d", "t", "c"]).unwrap();
        assert_eq!(f.int("n", 0..=10), Some(5));
        assert_eq!(f.int("big", 0..=10), None);
        assert_eq!(f.number("pct", 0.0..=100.0), Some(Some(12.5)));
        assert_eq!(f.number("none", 0.0..=100.0), Some(None));
        assert_eq!(f.date("d").flatten().map(|d| d.to_string()), Some("2026-12-01".into()));
        assert_eq!(f.date("bad_d"), None);
        assert!(f.time("t").flatten().is_some());
        assert_eq!(f.country("c"), Some(Some("EG".into())));
        let e = f.finish(()).unwrap_err();
        assert_eq!(fields(&e).iter().map(|(f, _)| *f).collect::<Vec<_>>(), vec!["big", "bad_d"]);
    }
}
