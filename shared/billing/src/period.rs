//! The monthly billing period, in the tenant's time zone: a period runs from
//! local midnight on the 1st to local midnight on the 1st of the next month,
//! so a tenant in Cairo closes November at 22:00 UTC on 30 November.

use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use crm_kernel::Timestamp;
use serde::{Deserialize, Serialize};

/// One calendar month of a tenant: `[start, end)` as local dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Period {
    /// The first day (`2026-11-01`).
    #[schemars(with = "String")]
    pub start: NaiveDate,
    /// The first day of the next period (exclusive).
    #[schemars(with = "String")]
    pub end: NaiveDate,
}

impl Period {
    /// The period of the month that starts on `first` (a 1st of a month).
    pub fn of_month(year: i32, month: u32) -> Option<Self> {
        let start = NaiveDate::from_ymd_opt(year, month, 1)?;
        Some(Self { start, end: start.checked_add_months(Months::new(1))? })
    }

    /// The period `at` falls in, seen from `zone`.
    pub fn containing(at: Timestamp, zone: Tz) -> Self {
        let local = at.as_datetime().with_timezone(&zone).date_naive();
        Self::of_month(local.year(), local.month()).expect("a real month")
    }

    /// The period a key (`2026-11`) names.
    pub fn parse(key: &str) -> Option<Self> {
        let (y, m) = key.split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        Self::of_month(y.parse().ok()?, m.parse().ok()?)
    }

    /// `YYYY-MM`: how keys and counters name it.
    pub fn key(&self) -> String {
        self.start.format("%Y-%m").to_string()
    }

    pub fn next(&self) -> Self {
        Self::of_month(self.end.year(), self.end.month()).expect("a real month")
    }

    pub fn previous(&self) -> Self {
        let p = self.start.checked_sub_months(Months::new(1)).expect("a real month");
        Self::of_month(p.year(), p.month()).expect("a real month")
    }

    /// Days in the period (28 to 31).
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days()
    }

    /// The first instant of the period in `zone`.
    pub fn starts_at(&self, zone: Tz) -> Timestamp {
        local_midnight(self.start, zone)
    }

    /// The first instant after the period in `zone`: when it closes.
    pub fn ends_at(&self, zone: Tz) -> Timestamp {
        local_midnight(self.end, zone)
    }

    /// The day of the period (0-based, clamped to `0..=days`) that holds `at`
    /// in `zone`: where a mid-period change splits the fee.
    pub fn day_of(&self, at: Timestamp, zone: Tz) -> i64 {
        let local = at.as_datetime().with_timezone(&zone).date_naive();
        (local - self.start).num_days().clamp(0, self.days())
    }
}

/// Midnight of `day` in `zone`; where a DST change skips midnight, the first
/// instant that exists.
fn local_midnight(day: NaiveDate, zone: Tz) -> Timestamp {
    let naive = day.and_hms_opt(0, 0, 0).expect("midnight");
    let at: DateTime<Utc> = match zone.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        chrono::LocalResult::None => {
            let later = naive + chrono::Duration::hours(1);
            zone.from_local_datetime(&later).earliest().map(|t| t.with_timezone(&Utc)).unwrap_or_else(|| Utc.from_utc_datetime(&naive))
        }
    };
    Timestamp::from_datetime(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn a_period_is_a_local_month() {
        let cairo: Tz = "Africa/Cairo".parse().unwrap();
        // 22:30 UTC on 30 November is already December in Cairo (UTC+2).
        assert_eq!(Period::containing(ts("2026-11-30T22:30:00Z"), cairo).key(), "2026-12");
        assert_eq!(Period::containing(ts("2026-11-30T22:30:00Z"), Tz::UTC).key(), "2026-11");
        let nov = Period::parse("2026-11").unwrap();
        assert_eq!(nov.days(), 30);
        assert_eq!(nov.ends_at(cairo), ts("2026-11-30T22:00:00Z"));
        assert_eq!(nov.starts_at(Tz::UTC), ts("2026-11-01T00:00:00Z"));
        assert_eq!(nov.next().key(), "2026-12");
        assert_eq!(Period::parse("2026-12").unwrap().next().key(), "2027-01");
        assert_eq!(Period::parse("2027-01").unwrap().previous().key(), "2026-12");
        assert_eq!(Period::parse("2028-02").unwrap().days(), 29);
        assert_eq!(Period::parse("2026-13"), None);
        assert_eq!(Period::parse("26-01"), None);
        assert_eq!(nov.day_of(ts("2026-11-16T10:00:00Z"), Tz::UTC), 15);
        assert_eq!(nov.day_of(ts("2026-10-16T10:00:00Z"), Tz::UTC), 0);
        assert_eq!(nov.day_of(ts("2026-12-16T10:00:00Z"), Tz::UTC), 30);
    }

    #[test]
    fn midnight_skipped_by_a_dst_change_is_the_first_instant_that_exists() {
        // Asia/Beirut springs forward at midnight on the last Sunday of March.
        let beirut: Tz = "Asia/Beirut".parse().unwrap();
        let p = Period { start: NaiveDate::from_ymd_opt(2026, 3, 29).unwrap(), end: NaiveDate::from_ymd_opt(2026, 3, 29).unwrap() };
        assert_eq!(p.starts_at(beirut), ts("2026-03-28T22:00:00Z"));
    }
}
