//! The field parser every entity's changes go through: a typed change set
//! (a struct of [`Input`]s, its JSON Schema the request body's), read field
//! by field, every problem named with its field, in order.
//!
//! ```
//! use crm_kernel::fields::{Fields, Input};
//! # fn main() -> Result<(), crm_kernel::AppError> {
//! #[derive(Default, serde::Deserialize, schemars::JsonSchema)]
//! #[serde(default, deny_unknown_fields)]
//! struct Changes {
//!     name: Input<String>,
//!     status: Input<String>,
//!     owner_user_id: Input<crm_kernel::UserId>,
//! }
//! let c: Changes = serde_json::from_value(serde_json::json!({ "name": "  Acme ", "status": "active" })).unwrap();
//! let mut f = Fields::new();
//! let name = f.text("name", c.name, 200).flatten();
//! let status = f.one_of("status", c.status, &["active", "archived"]);
//! let owner = f.user_id("owner_user_id", c.owner_user_id);
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
//! field and reads as absent, so one bad field never hides another: an
//! [`Input`] never fails to deserialize, it holds the problem for its reader.
//!
//! Errors come out in this order: each field as it is read, then the
//! `require` checks and cross-field rules the caller adds last. A field the
//! change set does not know is refused by serde (`deny_unknown_fields`)
//! before any of them. [`Fields::finish`] answers `400 VALIDATION_ERROR`
//! with all of them.

use std::borrow::Cow;
use std::ops::RangeInclusive;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::{AppError, EntityId, FieldError, Timestamp, UserId};

/// One field of a change set as received: absent (keep), `null` (clear), a
/// `T`, or a value that is not a `T`, kept for its reader to name. Its
/// schema is `T`'s, or `null`.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Input<T> {
    #[default]
    Absent,
    Null,
    Given(T),
    /// Not a `T`: serde's reason.
    Invalid(String),
}

impl<T> Input<T> {
    /// Whether the body names the field (even as `null`).
    pub fn is_present(&self) -> bool {
        !matches!(self, Input::Absent)
    }

    /// The value, if one of the right shape was given.
    pub fn given(self) -> Option<T> {
        match self {
            Input::Given(t) => Some(t),
            _ => None,
        }
    }

    pub fn as_ref(&self) -> Input<&T> {
        match self {
            Input::Absent => Input::Absent,
            Input::Null => Input::Null,
            Input::Given(t) => Input::Given(t),
            Input::Invalid(m) => Input::Invalid(m.clone()),
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Input<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Null => Input::Null,
            v => match serde_json::from_value(v.clone()) {
                Ok(t) => Input::Given(t),
                // A blank string where a value of another kind goes (an id, a
                // number) clears it, as `null` does: what a form's emptied field sends.
                Err(_) if v.as_str().is_some_and(|s| s.trim().is_empty()) => Input::Null,
                Err(e) => Input::Invalid(e.to_string()),
            },
        })
    }
}

impl<T: JsonSchema> JsonSchema for Input<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        <Option<T>>::schema_name()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        <Option<T>>::json_schema(generator)
    }
}

/// A change set from a JSON value (a CSV row, a record made into another):
/// `400` naming an unknown field, or the value if it is one.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, AppError> {
    serde_json::from_value(value).map_err(|e| {
        let message = e.to_string();
        match message.strip_prefix("unknown field `").and_then(|m| m.split('`').next()) {
            Some(key) => AppError::invalid(key, "unknown field"),
            None => AppError::invalid("body", message),
        }
    })
}

/// The problems of one change set (or of a nested object in it).
#[derive(Debug, Default)]
pub struct Fields {
    /// Prefix of the fields' paths (`stages[0].`), empty at the top.
    at: String,
    errors: Vec<FieldError>,
}

const REQUIRED: &str = "is required";

impl Fields {
    pub fn new() -> Self {
        Self::default()
    }

    /// A nested object at `at` (`stages[0]`): its problems are named under it.
    pub fn nested(at: &str) -> Self {
        Self { at: format!("{at}."), errors: Vec::new() }
    }

    /// Refuses a field the change set names but cannot take here, saying
    /// why (`status` changes elsewhere).
    pub fn refuse<T>(&mut self, key: &str, value: &Input<T>, why: &str) {
        if value.is_present() {
            self.error(key, why);
        }
    }

    fn path(&self, field: &str) -> String {
        format!("{}{field}", self.at)
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

    /// Any value: `null` clears; one of the wrong shape is `message`.
    pub fn value<T>(&mut self, key: &str, input: Input<T>, message: &str) -> Option<Option<T>> {
        match input {
            Input::Absent => None,
            Input::Null => Some(None),
            Input::Given(t) => Some(Some(t)),
            Input::Invalid(_) => {
                self.error(key, message);
                None
            }
        }
    }

    /// A value that must be there: `null` is a problem too.
    pub fn set<T>(&mut self, key: &str, input: Input<T>, message: &str) -> Option<T> {
        match input {
            Input::Absent => None,
            Input::Given(t) => Some(t),
            Input::Null | Input::Invalid(_) => {
                self.error(key, message);
                None
            }
        }
    }

    /// Text, trimmed; `null` or blank clears; more than `max` characters
    /// (as sent, the schema's `maxLength`), or not a string, is a problem.
    pub fn text(&mut self, key: &str, input: Input<String>, max: usize) -> Option<Option<String>> {
        match self.value(key, input, "must be a string")? {
            None => Some(None),
            Some(s) if s.chars().count() > max => {
                self.error(key, format!("must be at most {max} characters"));
                None
            }
            Some(s) if s.trim().is_empty() => Some(None),
            Some(s) => Some(Some(s.trim().to_string())),
        }
    }

    /// Long text (a note's body, a description) kept as written, not
    /// trimmed; `null` or blank clears; more than `max` characters is a problem.
    pub fn prose(&mut self, key: &str, input: Input<String>, max: usize) -> Option<Option<String>> {
        let message = format!("must be text of at most {max} characters");
        match self.value(key, input, &message)? {
            None => Some(None),
            Some(s) if s.chars().count() <= max => Some(Some(s).filter(|s| !s.trim().is_empty())),
            Some(_) => {
                self.error(key, message);
                None
            }
        }
    }

    /// Text (as [`Fields::text`]) that `parse` turns into a value, or names
    /// the problem with its message.
    pub fn parsed<T>(
        &mut self,
        key: &str,
        input: Input<String>,
        max: usize,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<Option<T>> {
        match self.text(key, input, max)? {
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
    pub fn one_of(&mut self, key: &str, input: Input<String>, allowed: &[&str]) -> Option<String> {
        let message = format!("must be one of {}", allowed.join(", "));
        match self.set(key, input, &message)? {
            s if allowed.contains(&s.trim()) => Some(s.trim().to_string()),
            _ => {
                self.error(key, message);
                None
            }
        }
    }

    /// One of `allowed`, or `null` to clear.
    pub fn one_of_or_null(&mut self, key: &str, input: Input<String>, allowed: &[&str]) -> Option<Option<String>> {
        match input {
            Input::Null => Some(None),
            other => self.one_of(key, other, allowed).map(Some),
        }
    }

    pub fn bool(&mut self, key: &str, input: Input<bool>) -> Option<bool> {
        self.set(key, input, "must be true or false")
    }

    /// A list of at most `max` ids of `what` (`user`, `unit`), in order and
    /// without repeats; `null` clears. Each bad id is named (`units[2]`);
    /// anything but such a list is a problem of `key`.
    pub fn id_list<T: PartialEq>(&mut self, key: &str, input: Input<Vec<Input<T>>>, max: usize, what: &str) -> Option<Vec<T>> {
        match input {
            Input::Absent => None,
            Input::Null => Some(Vec::new()),
            Input::Given(list) if list.len() <= max => {
                let mut out: Vec<T> = Vec::new();
                for (i, id) in list.into_iter().enumerate() {
                    match id {
                        Input::Given(id) if !out.contains(&id) => out.push(id),
                        Input::Given(_) => {}
                        _ => self.error(&format!("{key}[{i}]"), format!("must be a {what} id")),
                    }
                }
                Some(out)
            }
            _ => {
                self.error(key, format!("must be a list of at most {max} {what} ids"));
                None
            }
        }
    }

    /// A record's id; `null` clears.
    pub fn entity_id(&mut self, key: &str, input: Input<EntityId>) -> Option<Option<EntityId>> {
        self.value(key, input, "must be an id")
    }

    /// A user's id; `null` clears.
    pub fn user_id(&mut self, key: &str, input: Input<UserId>) -> Option<Option<UserId>> {
        self.value(key, input, "must be a user id")
    }

    /// An RFC 3339 instant; `null` clears.
    pub fn time(&mut self, key: &str, input: Input<Timestamp>) -> Option<Option<Timestamp>> {
        self.value(key, input, "must be an RFC 3339 time")
    }

    /// A calendar date (`YYYY-MM-DD`); `null` or blank clears.
    pub fn date(&mut self, key: &str, input: Input<String>) -> Option<Option<chrono::NaiveDate>> {
        self.parsed(key, input, 10, |s| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| "must be a date (YYYY-MM-DD)".to_string())
        })
    }

    /// A whole number in `range` (a value that must be there).
    pub fn int(&mut self, key: &str, input: Input<i64>, range: RangeInclusive<i64>) -> Option<i64> {
        let message = format!("must be a whole number from {} to {}", range.start(), range.end());
        match self.set(key, input, &message)? {
            n if range.contains(&n) => Some(n),
            _ => {
                self.error(key, message);
                None
            }
        }
    }

    /// A number in `range`; `null` clears.
    pub fn number(&mut self, key: &str, input: Input<f64>, range: RangeInclusive<f64>) -> Option<Option<f64>> {
        let message = format!("must be a number from {} to {}", range.start(), range.end());
        match self.value(key, input, &message)? {
            None => Some(None),
            Some(n) if range.contains(&n) => Some(Some(n)),
            Some(_) => {
                self.error(key, message);
                None
            }
        }
    }

    /// An ISO 3166 alpha-2 country code, upper-cased; `null` or blank clears.
    pub fn country(&mut self, key: &str, input: Input<String>) -> Option<Option<String>> {
        self.parsed(key, input, 2, |c| {
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

    fn input<T: DeserializeOwned>(v: Value) -> Input<T> {
        serde_json::from_value(v).unwrap()
    }

    #[derive(Debug, Default, Deserialize, JsonSchema)]
    #[serde(default, deny_unknown_fields)]
    struct Changes {
        a: Input<String>,
        b: Input<String>,
        n: Input<i64>,
    }

    #[test]
    fn an_input_holds_absent_null_a_value_or_the_problem() {
        let c: Changes = serde_json::from_value(json!({ "a": "x", "b": null, "n": "seven" })).unwrap();
        assert_eq!((c.a, c.b), (Input::Given("x".to_string()), Input::Null));
        assert!(matches!(c.n, Input::Invalid(_)));
        assert_eq!(serde_json::from_value::<Changes>(json!({})).unwrap().a, Input::Absent);
        assert_eq!(serde_json::from_value::<Changes>(json!({ "n": " " })).unwrap().n, Input::Null, "a blank clears");
        assert!(serde_json::from_value::<Changes>(json!({ "zeta": 1 })).is_err(), "unknown fields are refused");
    }

    #[test]
    fn an_inputs_schema_is_its_types_or_null() {
        let schema = serde_json::to_value(schemars::schema_for!(Changes)).unwrap();
        assert_eq!(schema["properties"]["a"]["type"], json!(["string", "null"]), "{schema}");
        assert_eq!(schema["additionalProperties"], json!(false));
        assert!(schema.get("required").is_none(), "every field of a change set may be absent: {schema}");
    }

    #[test]
    fn absent_keeps_null_and_blank_clear_and_text_is_trimmed() {
        let mut f = Fields::new();
        assert_eq!(f.text("a", input(json!("  x ")), 5), Some(Some("x".into())));
        assert_eq!(f.text("b", Input::Null, 5), Some(None));
        assert_eq!(f.text("c", input(json!("   ")), 5), Some(None));
        assert_eq!(f.text("d", Input::Absent, 5), None);
        assert!(f.finish(()).is_ok());
    }

    #[test]
    fn every_problem_is_named_in_order() {
        let mut f = Fields::new();
        assert_eq!(f.text("name", input(json!(7)), 10), None);
        assert_eq!(f.one_of("status", input(json!("gone")), &["open", "won"]), None);
        assert_eq!(f.user_id("owner", input(json!("nobody"))), None);
        assert_eq!(f.bool("on", input(json!("yes"))), None);
        f.require("title", false);
        f.require("name", false); // failed already: not twice
        let e = f.finish(()).unwrap_err();
        assert_eq!(
            fields(&e),
            vec![
                ("name", "must be a string"),
                ("status", "must be one of open, won"),
                ("owner", "must be a user id"),
                ("on", "must be true or false"),
                ("title", "is required"),
            ]
        );
    }

    #[test]
    fn nested_objects_name_their_paths_and_refusals_say_why() {
        let mut n = Fields::nested("stages[0]");
        let name = n.text("name", input(json!("")), 80).flatten();
        n.require("name", name.is_some());
        let mut top = Fields::new();
        top.refuse("status", &input::<String>(json!("won")), "changes with mark-won");
        top.refuse("stage_id", &Input::<String>::Absent, "moves with move-stage");
        top.absorb(n.into_errors());
        assert!(top.failed("stages[0]"));
        let e = top.finish(()).unwrap_err();
        assert_eq!(fields(&e), vec![("status", "changes with mark-won"), ("stages[0].name", "is required")]);
    }

    #[test]
    fn numbers_dates_times_and_countries() {
        let mut f = Fields::new();
        assert_eq!(f.int("n", input(json!(5)), 0..=10), Some(5));
        assert_eq!(f.int("big", input(json!(500)), 0..=10), None);
        assert_eq!(f.number("pct", input(json!(12.5)), 0.0..=100.0), Some(Some(12.5)));
        assert_eq!(f.number("none", Input::Null, 0.0..=100.0), Some(None));
        assert_eq!(f.date("d", input(json!("2026-12-01"))).flatten().map(|d| d.to_string()), Some("2026-12-01".into()));
        assert_eq!(f.date("bad_d", input(json!("12/01"))), None);
        assert!(f.time("t", input(json!("2026-12-01T10:00:00Z"))).flatten().is_some());
        assert_eq!(f.country("c", input(json!("eg"))), Some(Some("EG".into())));
        let e = f.finish(()).unwrap_err();
        assert_eq!(fields(&e).iter().map(|(f, _)| *f).collect::<Vec<_>>(), vec!["big", "bad_d"]);
    }
}
