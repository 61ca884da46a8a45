//! Quiet hours and do-not-disturb: SMS and WhatsApp wait
//! for the recipient's morning. A window `start`–`end` in local time
//! (`21:00`–`08:00` wraps midnight) in the recipient's time zone — their
//! profile's, else the tenant's, else UTC. Pure: [`release_at`] says when a
//! send may go, the dispatch stores it as `scheduled_at`.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use crm_kernel::FieldError;
use crm_notify::messages::Channel;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QuietHours {
    /// `HH:MM`, local.
    #[schemars(regex(pattern = r"^\d{2}:\d{2}$"))]
    pub start: String,
    /// `HH:MM`, local; before `start` means the next day.
    #[schemars(regex(pattern = r"^\d{2}:\d{2}$"))]
    pub end: String,
    #[serde(default = "QuietHours::default_channels")]
    pub channels: Vec<Channel>,
}

impl QuietHours {
    /// The spec's proposal: SMS and WhatsApp 21:00–08:00.
    pub fn proposed() -> Option<Self> {
        Some(Self { start: "21:00".into(), end: "08:00".into(), channels: Self::default_channels() })
    }

    fn default_channels() -> Vec<Channel> {
        vec![Channel::Sms, Channel::Whatsapp]
    }

    fn times(&self) -> Option<(NaiveTime, NaiveTime)> {
        Some((NaiveTime::parse_from_str(&self.start, "%H:%M").ok()?, NaiveTime::parse_from_str(&self.end, "%H:%M").ok()?))
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        match self.times() {
            Some((s, e)) if s != e => Ok(()),
            Some(_) => Err(FieldError::new("quiet_hours", "start and end must differ")),
            None => Err(FieldError::new("quiet_hours", "start and end must be HH:MM")),
        }
    }

    pub fn applies_to(&self, channel: &Channel) -> bool {
        self.channels.contains(channel)
    }
}

/// When a send due at `due` on `channel` may go: `due` itself outside the
/// window, else the window's end (local `end` on the right day) — and never
/// before the user's do-not-disturb ends.
pub fn release_at<Tz: TimeZone>(
    due: DateTime<Utc>,
    zone: &Tz,
    channel: &Channel,
    quiet: Option<&QuietHours>,
    dnd_until: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    let mut at = match dnd_until {
        Some(d) if d > due => d,
        _ => due,
    };
    if let Some((start, end)) = quiet.filter(|q| q.applies_to(channel)).and_then(QuietHours::times) {
        let local = at.with_timezone(zone);
        let t = local.time();
        let inside = if start < end { t >= start && t < end } else { t >= start || t < end };
        if inside {
            // The end is today if we are before it, else tomorrow.
            let day = if t < end { local.date_naive() } else { local.date_naive() + Duration::days(1) };
            let naive = day.and_time(end);
            at = zone
                .from_local_datetime(&naive)
                .earliest()
                // A DST gap at `end`: an hour later exists.
                .or_else(|| zone.from_local_datetime(&(naive + Duration::hours(1))).earliest())
                .map(|d| d.with_timezone(&Utc))
                .unwrap_or(at);
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn night_sends_wait_for_the_local_morning() {
        let cairo = crm_kernel::time::parse_zone("Africa/Cairo").unwrap();
        let q = QuietHours::proposed().unwrap();
        // 23:30 in Cairo (UTC+2 in January) → 08:00 Cairo next day = 06:00Z.
        let at = release_at(utc("2026-01-10T21:30:00Z"), &cairo, &Channel::Sms, Some(&q), None);
        assert_eq!(at, utc("2026-01-11T06:00:00Z"));
        // 03:00 Cairo → 08:00 the same day.
        let at = release_at(utc("2026-01-11T01:00:00Z"), &cairo, &Channel::Whatsapp, Some(&q), None);
        assert_eq!(at, utc("2026-01-11T06:00:00Z"));
        // Noon: at once. Email is not held.
        assert_eq!(release_at(utc("2026-01-11T10:00:00Z"), &cairo, &Channel::Sms, Some(&q), None), utc("2026-01-11T10:00:00Z"));
        assert_eq!(release_at(utc("2026-01-10T21:30:00Z"), &cairo, &Channel::Email, Some(&q), None), utc("2026-01-10T21:30:00Z"));
    }

    #[test]
    fn do_not_disturb_and_daytime_windows() {
        let q = QuietHours { start: "12:00".into(), end: "14:00".into(), channels: vec![Channel::Sms] };
        let at = release_at(utc("2026-01-11T12:30:00Z"), &Utc, &Channel::Sms, Some(&q), None);
        assert_eq!(at, utc("2026-01-11T14:00:00Z"));
        // DND until 13:00 lands inside the window: the window's end wins.
        let at = release_at(utc("2026-01-11T09:00:00Z"), &Utc, &Channel::Sms, Some(&q), Some(utc("2026-01-11T13:00:00Z")));
        assert_eq!(at, utc("2026-01-11T14:00:00Z"));
        // DND on a channel without quiet hours still holds.
        let at = release_at(utc("2026-01-11T09:00:00Z"), &Utc, &Channel::Email, None, Some(utc("2026-01-11T10:00:00Z")));
        assert_eq!(at, utc("2026-01-11T10:00:00Z"));
        assert!(QuietHours { start: "9".into(), end: "10:00".into(), channels: vec![] }.validate().is_err());
    }
}
