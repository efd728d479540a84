//! Calendar dates (日期) as a count of days, parsed strictly from ISO `YYYY-MM-DD`.

use std::fmt;

/// A proleptic Gregorian date, stored as days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("empty date")]
    Empty,
    #[error("not a date in YYYY-MM-DD form: {0:?}")]
    Syntax(String),
    #[error("no such month: {0:?}")]
    Month(String),
    #[error("no such date: {input:?} (month {month} of {year} has {days} days)")]
    Day { input: String, year: i32, month: u32, days: u32 },
    #[error("year out of range 1900-2999: {0:?}")]
    Year(String),
}

/// Day of the week, Monday first as in ISO 8601.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    pub fn is_weekend(self) -> bool {
        matches!(self, Weekday::Sat | Weekday::Sun)
    }
}

pub fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// Builds a date from its parts; `None` for an impossible date.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        // Days from civil (H. Hinnant's algorithm), shifting the year to start in March.
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = month as i32;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Date(era * 146_097 + doe - 719_468))
    }

    pub const fn from_days(days: i32) -> Date {
        Date(days)
    }

    pub const fn days(self) -> i32 {
        self.0
    }

    /// (year, month 1–12, day 1–31).
    pub fn ymd(self) -> (i32, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = yoe + era * 400 + i32::from(m <= 2);
        (y, m, d)
    }

    pub fn year(self) -> i32 {
        self.ymd().0
    }

    pub fn month(self) -> u32 {
        self.ymd().1
    }

    pub fn weekday(self) -> Weekday {
        // 1970-01-01 was a Thursday.
        match (self.0 + 3).rem_euclid(7) {
            0 => Weekday::Mon,
            1 => Weekday::Tue,
            2 => Weekday::Wed,
            3 => Weekday::Thu,
            4 => Weekday::Fri,
            5 => Weekday::Sat,
            _ => Weekday::Sun,
        }
    }

    pub fn add_days(self, n: i32) -> Date {
        Date(self.0 + n)
    }

    /// The same day `n` calendar months later (or earlier), clamped to the month's last day:
    /// 15 March + 6 months is 15 September; 31 March + 6 months is 30 September.
    pub fn add_months(self, n: i32) -> Date {
        let (y, m, d) = self.ymd();
        let index = y * 12 + (m as i32 - 1) + n;
        let (y2, m2) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
        Date::from_ymd(y2, m2, d.min(days_in_month(y2, m2))).unwrap_or(self)
    }

    /// The last day of this date's month.
    pub fn month_end(self) -> Date {
        let (y, m, _) = self.ymd();
        Date(self.0 + (days_in_month(y, m) - self.ymd().2) as i32)
    }

    /// `YYYY-MM`, the month key used by monthly aggregates.
    pub fn month_key(self) -> String {
        let (y, m, _) = self.ymd();
        format!("{y:04}-{m:02}")
    }

    /// The date from an Excel serial day number (1900 date system, serial 1 = 1900-01-01,
    /// with Excel's phantom 1900-02-29 accounted for).
    pub fn from_excel_serial(serial: f64) -> Option<Date> {
        if !(61.0..2_958_466.0).contains(&serial) {
            return None;
        }
        let base = Date::from_ymd(1899, 12, 30)?;
        Some(Date(base.0 + serial.floor() as i32))
    }

    pub fn parse(input: &str) -> Result<Date, DateError> {
        let s = input.trim_matches(|c: char| c == ' ' || c == '\t');
        if s.is_empty() {
            return Err(DateError::Empty);
        }
        let b = s.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) || !digits(8..10) {
            return Err(DateError::Syntax(input.to_string()));
        }
        let num = |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0'));
        let (year, month, day) = (num(0..4) as i32, num(5..7), num(8..10));
        if !(1900..=2999).contains(&year) {
            return Err(DateError::Year(input.to_string()));
        }
        if !(1..=12).contains(&month) {
            return Err(DateError::Month(input.to_string()));
        }
        Date::from_ymd(year, month, day).ok_or_else(|| DateError::Day {
            input: input.to_string(),
            year,
            month,
            days: days_in_month(year, month),
        })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl std::str::FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Date, DateError> {
        Date::parse(s)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Date::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not an RFC 3339 UTC time")))
    }
}

/// An instant, whole seconds since the Unix epoch, UTC. Made at the binary's edge from the
/// clock and passed in; formatted as RFC 3339 (`2026-11-27T00:10:00Z`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn date(self) -> Date {
        Date::from_days(self.0.div_euclid(86_400) as i32)
    }

    /// Parses the RFC 3339 UTC form this type writes.
    pub fn parse(s: &str) -> Option<Timestamp> {
        let (d, t) = s.strip_suffix('Z')?.split_once('T')?;
        let date = Date::parse(d).ok()?;
        let mut hms = t.split(':').map(|p| p.parse::<i64>().ok().filter(|_| p.len() == 2));
        let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
        if hms.next().is_some() || h > 23 || m > 59 || sec > 59 {
            return None;
        }
        Some(Timestamp(i64::from(date.days()) * 86_400 + h * 3600 + m * 60 + sec))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.rem_euclid(86_400);
        write!(f, "{}T{:02}:{:02}:{:02}Z", self.date(), secs / 3600, secs / 60 % 60, secs % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_dates() {
        assert_eq!(Date::parse("1970-01-01"), Ok(Date::from_days(0)));
        assert_eq!(Date::parse("2026-11-26").map(Date::weekday), Ok(Weekday::Thu));
        assert_eq!(Date::parse("2024-02-29").map(|d| d.to_string()), Ok("2024-02-29".into()));
        assert_eq!(Date::parse("2026-01-31").map(|d| d.month_end().to_string()), Ok("2026-01-31".into()));
        assert_eq!(Date::parse("2024-02-10").map(|d| d.month_end().to_string()), Ok("2024-02-29".into()));
        assert_eq!(Date::from_excel_serial(46_000.0).map(|d| d.to_string()), Some("2025-12-09".into()));
        let months = |d: &str, n: i32| Date::parse(d).map(|d| d.add_months(n).to_string());
        assert_eq!(months("2025-03-15", 6), Ok("2025-09-15".into()));
        assert_eq!(months("2025-03-31", 6), Ok("2025-09-30".into()));
        assert_eq!(months("2024-08-31", 6), Ok("2025-02-28".into()));
        assert_eq!(months("2025-01-31", -2), Ok("2024-11-30".into()));
        assert_eq!(months("2025-12-01", 1), Ok("2026-01-01".into()));
    }

    #[test]
    fn rejects_impossible_and_malformed_dates() {
        assert!(matches!(Date::parse("2026-02-30"), Err(DateError::Day { days: 28, .. })));
        assert!(matches!(Date::parse("2025-02-29"), Err(DateError::Day { .. })));
        assert!(matches!(Date::parse("2026-13-01"), Err(DateError::Month(_))));
        for s in ["2026/01/01", "20260101", "2026-1-1", "26-01-01", "2026-01-01T00:00", "abcd-ef-gh"] {
            assert!(matches!(Date::parse(s), Err(DateError::Syntax(_))), "{s}");
        }
    }

    proptest! {
        #[test]
        fn ymd_round_trips(days in -25_000i32..400_000) {
            let d = Date::from_days(days);
            let (y, m, dd) = d.ymd();
            prop_assert_eq!(Date::from_ymd(y, m, dd), Some(d));
            if (1900..=2999).contains(&y) {
                prop_assert_eq!(Date::parse(&d.to_string()), Ok(d));
            }
        }

        #[test]
        fn garbage_never_panics(s in "\\PC{0,14}") {
            let _ = Date::parse(&s);
        }
    }
}

#[cfg(test)]
mod timestamp_tests {
    use super::*;

    #[test]
    fn formats_and_parses_rfc3339() {
        let t = Timestamp(1_795_735_800);
        assert_eq!(t.to_string(), "2026-11-26T23:30:00Z");
        assert_eq!(Timestamp::parse("2026-11-26T23:30:00Z"), Some(t));
        assert_eq!(Timestamp::parse("2026-11-26T24:00:00Z"), None);
    }
}
