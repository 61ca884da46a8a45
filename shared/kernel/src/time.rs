//! Time: RFC 3339 UTC with millisecond precision, everywhere.

use chrono::{DateTime, SecondsFormat, Timelike, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::AppError;

/// An instant, printed as RFC 3339 UTC (`2026-11-23T10:00:00.000Z`), which also
/// sorts lexically in time order — the property sort keys rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(DateTime<Utc>);

impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "date-time", "description": "RFC 3339, UTC", "examples": ["2026-11-23T10:00:00.000Z"] })
    }
}

impl Timestamp {
    /// Now, truncated to milliseconds so that it survives a round trip
    /// through its printed form.
    pub fn now() -> Self {
        let now = Utc::now();
        Self(now.with_nanosecond((now.nanosecond() / 1_000_000) * 1_000_000).unwrap_or(now))
    }

    pub fn from_datetime(dt: DateTime<Utc>) -> Self {
        Self(dt)
    }

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        DateTime::parse_from_rfc3339(raw.trim())
            .map(|dt| Self(dt.with_timezone(&Utc)))
            .map_err(|_| AppError::invalid("timestamp", "must be an RFC 3339 date-time"))
    }

    pub fn unix_seconds(&self) -> i64 {
        self.0.timestamp()
    }

    pub fn plus_seconds(&self, secs: i64) -> Self {
        Self(self.0 + chrono::Duration::seconds(secs))
    }

    /// `YYYY-MM-DD` of the instant in UTC.
    /// The first instant of this time's month (UTC), in Unix seconds.
    pub fn month_start(&self) -> i64 {
        use chrono::{Datelike, TimeZone};
        let d = self.as_datetime();
        Utc.with_ymd_and_hms(d.year(), d.month(), 1, 0, 0, 0).single().map(|m| m.timestamp()).unwrap_or_else(|| self.unix_seconds())
    }

    pub fn date(&self) -> String {
        self.0.format("%Y-%m-%d").to_string()
    }

    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl TryFrom<String> for Timestamp {
    type Error = AppError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Timestamp> for String {
    fn from(value: Timestamp) -> Self {
        value.to_string()
    }
}

/// Parses a calendar date `YYYY-MM-DD`.
pub fn parse_date(field: &str, raw: &str) -> Result<chrono::NaiveDate, AppError> {
    chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| AppError::invalid(field, "must be a date YYYY-MM-DD"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_month_starts_on_its_first_at_midnight_utc() {
        let t = Timestamp::parse("2026-12-15T13:45:00Z").unwrap();
        assert_eq!(t.month_start(), Timestamp::parse("2026-12-01T00:00:00Z").unwrap().unix_seconds());
    }

    #[test]
    fn prints_utc_millis_and_sorts_lexically() {
        let a = Timestamp::parse("2026-01-02T03:04:05+02:00").unwrap();
        assert_eq!(a.to_string(), "2026-01-02T01:04:05.000Z");
        let b = a.plus_seconds(1);
        assert!(a.to_string() < b.to_string());
        assert_eq!(a.date(), "2026-01-02");
    }

    #[test]
    fn now_survives_a_round_trip() {
        let t = Timestamp::now();
        assert_eq!(Timestamp::parse(&t.to_string()).unwrap(), t);
    }

    #[test]
    fn rejects_non_rfc3339() {
        assert!(Timestamp::parse("yesterday").is_err());
        assert!(parse_date("date", "2026-13-01").is_err());
        assert!(parse_date("date", "2026-12-01").is_ok());
    }
}

/// An IANA time zone by name (`Africa/Cairo`, `Asia/Riyadh`, `UTC`).
pub fn parse_zone(name: &str) -> Option<chrono_tz::Tz> {
    name.parse::<chrono_tz::Tz>().ok()
}

#[cfg(test)]
mod zone_tests {
    #[test]
    fn zones_parse_by_iana_name() {
        assert!(super::parse_zone("Africa/Cairo").is_some());
        assert!(super::parse_zone("Asia/Dubai").is_some());
        assert!(super::parse_zone("Mars/Base").is_none());
    }
}
