//! The list routes' query parameters, read like [`crm_kernel::fields`]
//! reads a body: each reader answers the typed value (absent: `None`), a
//! bad value is named with its parameter, and [`ListQuery::finish`]
//! answers `400 VALIDATION_ERROR` with every problem at once.
//!
//! ```ignore
//! let mut q = ListQuery::of(&call);
//! let status = q.one_of("status", STATUSES);
//! let (from, to) = (q.date("from"), q.date("to"));
//! let owner = q.owner("owner", p.user_id);
//! q.finish()?;
//! ```

use crm_kernel::{AppError, EntityId, FieldError, Timestamp, UserId};

use crate::Call;

/// A list route's query string being read.
pub struct ListQuery<'a> {
    call: &'a Call,
    errors: Vec<FieldError>,
}

impl<'a> ListQuery<'a> {
    pub fn of(call: &'a Call) -> Self {
        Self { call, errors: Vec::new() }
    }

    /// The raw value, unchecked (a search term).
    pub fn text(&self, name: &str) -> Option<String> {
        self.call.query(name)
    }

    /// Names a problem with `name`.
    pub fn error(&mut self, name: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(name, message));
    }

    /// Adds problems found elsewhere (a shared parser's).
    pub fn absorb(&mut self, errors: impl IntoIterator<Item = FieldError>) {
        self.errors.extend(errors);
    }

    fn parsed<T>(&mut self, name: &str, parse: impl FnOnce(&str) -> Option<T>, message: &str) -> Option<T> {
        let raw = self.call.query(name)?;
        let v = parse(&raw);
        if v.is_none() {
            self.error(name, message);
        }
        v
    }

    /// One of `allowed`.
    pub fn one_of(&mut self, name: &str, allowed: &[&str]) -> Option<String> {
        let message = format!("must be one of {}", allowed.join(", "));
        self.parsed(name, |v| allowed.contains(&v).then(|| v.to_string()), &message)
    }

    /// A record's id.
    pub fn id(&mut self, name: &str) -> Option<EntityId> {
        self.parsed(name, |v| EntityId::parse(v).ok(), "must be an id")
    }

    /// A whole number; `what` says of what (`" of minor units"`).
    pub fn int(&mut self, name: &str, what: &str) -> Option<i64> {
        self.parsed(name, |v| v.parse().ok(), &format!("must be a whole number{what}"))
    }

    /// A calendar date (`YYYY-MM-DD`).
    pub fn date(&mut self, name: &str) -> Option<chrono::NaiveDate> {
        self.parsed(name, |v| chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").ok(), "must be a date (YYYY-MM-DD)")
    }

    /// An RFC 3339 instant.
    pub fn time(&mut self, name: &str) -> Option<Timestamp> {
        self.parsed(name, |v| Timestamp::parse(v).ok(), "must be an RFC 3339 time")
    }

    /// A bound of a sort-key range: a date (`YYYY-MM-DD`) or an RFC 3339
    /// time, as the text it sorts by.
    pub fn day_or_time(&mut self, name: &str) -> Option<String> {
        let parse = |v: &str| match chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
            Ok(d) => Some(d.to_string()),
            Err(_) => Timestamp::parse(v).ok().map(|t| t.to_string()),
        };
        self.parsed(name, parse, "must be a date (YYYY-MM-DD) or an RFC 3339 time")
    }

    /// `me` (the caller, `me`) or a user id.
    pub fn owner(&mut self, name: &str, me: UserId) -> Option<UserId> {
        self.parsed(name, |v| if v == "me" { Some(me) } else { UserId::parse(v).ok() }, "must be `me` or a user id")
    }

    /// Whether `name` is `true`.
    pub fn flag(&self, name: &str) -> bool {
        self.call.query(name).as_deref() == Some("true")
    }

    /// `Ok` if every parameter read well, else `400` naming each problem.
    pub fn finish(self) -> Result<(), AppError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::invalid_fields(self.errors))
        }
    }
}
