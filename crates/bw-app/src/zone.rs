//! The installation's time zone (`clock.time_zone`, an IANA name, default `Asia/Shanghai`):
//! "today" — the day a payment is judged on, the default as-of day, a grant's last day — is
//! the date there, not in UTC. A payment made at 07:30 in Beijing is that day's. Deadlines in
//! clock hours stay instants. The zone rules come from the tz database built into the binary
//! (jiff's bundle), so every machine answers alike.

use bw_core::{Date, Timestamp};
use bw_store::Store;

use crate::journal::ActionError;

pub use jiff::tz::TimeZone;

/// The setting naming the zone.
pub const KEY: &str = "clock.time_zone";

/// The zone of `name`, or why there is none.
pub fn zone(name: &str) -> Result<jiff::tz::TimeZone, String> {
    jiff::tz::db()
        .get(name.trim())
        .map_err(|_| format!("unknown time zone {name:?}: give an IANA name such as Asia/Shanghai or UTC"))
}

/// The offset from UTC, in seconds, in `tz` at `at`.
pub fn offset(tz: &jiff::tz::TimeZone, at: Timestamp) -> i64 {
    jiff::Timestamp::from_second(at.0).map(|t| i64::from(tz.to_offset(t).seconds())).unwrap_or(0)
}

/// The date in `tz` at the instant `at`.
pub fn local_date(tz: &jiff::tz::TimeZone, at: Timestamp) -> Date {
    Timestamp(at.0 + offset(tz, at)).date()
}

/// `YYYY-MM-DD HH:MM` in `tz` at `at`, for people to read.
pub fn local_time(tz: &jiff::tz::TimeZone, at: Timestamp) -> String {
    let local = at.0 + offset(tz, at);
    let secs = local.rem_euclid(86_400);
    format!("{} {:02}:{:02}", Timestamp(local).date(), secs / 3600, secs / 60 % 60)
}

/// The installation's zone, as the setting names it.
pub async fn installation(store: &Store) -> Result<jiff::tz::TimeZone, ActionError> {
    let name = crate::settings::get(store, KEY).await?;
    zone(&name).map_err(ActionError::Invalid)
}

/// Today in the installation's zone at the instant `at`.
pub async fn today(store: &Store, at: Timestamp) -> Result<Date, ActionError> {
    Ok(local_date(&installation(store).await?, at))
}

/// The shipped default, for commands run without a database.
pub fn default_zone() -> jiff::tz::TimeZone {
    zone(DEFAULT).unwrap_or(jiff::tz::TimeZone::UTC)
}

/// `clock.time_zone`'s shipped value.
pub const DEFAULT: &str = "Asia/Shanghai";

/// An RFC 3339 instant with any offset (`2026-03-02T09:00:00+08:00`, `…Z`), as whole seconds.
pub fn parse_instant(s: &str) -> Option<Timestamp> {
    s.trim().parse::<jiff::Timestamp>().ok().map(|t| Timestamp(t.as_second()))
}

/// A local time without offset (`2026-03-02T09:00` or `…T09:00:00`, as a browser's
/// datetime-local field sends it) in `tz`, as an instant.
pub fn parse_local(tz: &jiff::tz::TimeZone, s: &str) -> Option<Timestamp> {
    let dt: jiff::civil::DateTime = s.trim().parse().ok()?;
    tz.to_ambiguous_zoned(dt).compatible().ok().map(|z| Timestamp(z.timestamp().as_second()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_mornings_are_the_days_they_are_in_beijing() {
        let tz = default_zone();
        // 2026-12-05T23:30:00Z is 07:30 on the 6th in Beijing.
        let at = Timestamp::parse("2026-12-05T23:30:00Z").unwrap_or(Timestamp(0));
        assert_eq!(local_date(&tz, at).to_string(), "2026-12-06");
        assert_eq!(at.date().to_string(), "2026-12-05", "UTC's date is still the 5th");
        assert_eq!(local_time(&tz, at), "2026-12-06 07:30");
        let utc = zone("UTC").unwrap_or(jiff::tz::TimeZone::UTC);
        assert_eq!(local_date(&utc, at).to_string(), "2026-12-05");
        // A zone with summer time: New York is UTC−4 in July, UTC−5 in January.
        let ny = zone("America/New_York").unwrap_or(jiff::tz::TimeZone::UTC);
        let july = Timestamp::parse("2026-07-01T03:30:00Z").unwrap_or(Timestamp(0));
        let january = Timestamp::parse("2026-01-01T04:30:00Z").unwrap_or(Timestamp(0));
        assert_eq!(
            (local_date(&ny, july).to_string(), local_date(&ny, january).to_string()),
            ("2026-06-30".into(), "2025-12-31".into())
        );
        assert!(zone("Mars/Olympus").is_err());
    }

    #[test]
    fn instants_with_an_offset_and_local_times_in_the_zone() {
        let utc = parse_instant("2026-03-02T01:00:00Z");
        assert_eq!(parse_instant("2026-03-02T09:00:00+08:00"), utc);
        assert_eq!(parse_local(&default_zone(), "2026-03-02T09:00"), utc);
        assert_eq!(parse_instant("2026-03-02 09:00"), None);
    }
}
