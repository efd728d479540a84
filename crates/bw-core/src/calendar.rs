//! The working-day calendar (工作日历): weekends, public holidays and make-up working days
//! (调休) as data per year. Deadlines ("5 working days") are computed with it.
//!
//! Calendar files (shipped and imported) are CSV with the header `date,kind,name`:
//! `kind` is `holiday` (放假) for a day off that would otherwise be a working day or that
//! falls in a holiday period, `workday` (上班) for a weekend day made a working day.
//! A year is "known" once any line for it is loaded; dates of unknown years are answered
//! from weekends alone, and the answer says so.

use crate::date::Date;
use std::collections::BTreeMap;

/// What a day is in the calendar's data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DayKind {
    Holiday,
    Workday,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecialDay {
    pub date: Date,
    pub kind: DayKind,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct CalendarError {
    pub line: usize,
    pub message: String,
}

/// The State Council's holiday arrangements, one file per year, each with its notice.
pub const SHIPPED: &[(i32, &str, &str)] = &[
    (2024, "国办发明电〔2023〕7号", include_str!("calendar/2024.csv")),
    (2025, "国办发明电〔2024〕12号", include_str!("calendar/2025.csv")),
    (2026, "国办发明电〔2025〕7号", include_str!("calendar/2026.csv")),
];

/// Upper bound on one add-workdays walk, in calendar days (about 27 years).
const WALK_DAYS_MAX: i32 = 10_000;

#[derive(Clone, Debug, Default)]
pub struct WorkCalendar {
    special: BTreeMap<Date, SpecialDay>,
    known_years: std::collections::BTreeSet<i32>,
}

/// An answer with a note on whether the year's holiday data was known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer<T> {
    pub value: T,
    /// Years consulted that have no holiday data (weekends only); empty when all known.
    pub unknown_year: Option<i32>,
}

/// Parses a calendar CSV (`date,kind,name`, header required).
pub fn parse_calendar_csv(text: &str) -> Result<Vec<SpecialDay>, CalendarError> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.trim_start_matches('\u{feff}').trim().replace(' ', "") == "date,kind,name" => {}
        _ => {
            return Err(CalendarError { line: 1, message: "the header must be date,kind,name".into() });
        }
    }
    for (i, line) in lines {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let mut parts = line.splitn(3, ',');
        let (d, k, n) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let date = Date::parse(d).map_err(|e| CalendarError { line: line_no, message: format!("column date: {e}") })?;
        let kind = match k.trim() {
            "holiday" | "放假" => DayKind::Holiday,
            "workday" | "上班" => DayKind::Workday,
            other => {
                return Err(CalendarError {
                    line: line_no,
                    message: format!("column kind: must be holiday or workday, not {other:?}"),
                });
            }
        };
        if kind == DayKind::Workday && !date.weekday().is_weekend() {
            return Err(CalendarError {
                line: line_no,
                message: format!("column kind: {date} is a weekday; only a weekend day can be a make-up working day"),
            });
        }
        out.push(SpecialDay { date, kind, name: n.trim().to_string() });
    }
    Ok(out)
}

impl WorkCalendar {
    /// The calendar with the shipped years.
    pub fn shipped() -> WorkCalendar {
        let mut cal = WorkCalendar::default();
        for (year, _, text) in SHIPPED {
            // Shipped data is checked by the tests below; a parse failure cannot reach users.
            if let Ok(days) = parse_calendar_csv(text) {
                cal.load_year(*year, days);
            }
        }
        cal
    }

    /// Replaces a year's data with `days` (those of other years are ignored).
    pub fn load_year(&mut self, year: i32, days: Vec<SpecialDay>) {
        let (Some(start), Some(end)) = (Date::from_ymd(year, 1, 1), Date::from_ymd(year, 12, 31)) else {
            return;
        };
        let stale: Vec<Date> = self.special.range(start..=end).map(|(d, _)| *d).collect();
        for d in stale {
            self.special.remove(&d);
        }
        for day in days.into_iter().filter(|d| d.date.year() == year) {
            self.special.insert(day.date, day);
        }
        self.known_years.insert(year);
    }

    /// Loads every year that `days` mentions, replacing what was known of those years.
    pub fn load(&mut self, days: Vec<SpecialDay>) -> Vec<i32> {
        let mut by_year: BTreeMap<i32, Vec<SpecialDay>> = BTreeMap::new();
        for d in days {
            by_year.entry(d.date.year()).or_default().push(d);
        }
        let years: Vec<i32> = by_year.keys().copied().collect();
        for (y, ds) in by_year {
            self.load_year(y, ds);
        }
        years
    }

    pub fn known_years(&self) -> Vec<i32> {
        self.known_years.iter().copied().collect()
    }

    pub fn special_days(&self, year: i32) -> Vec<&SpecialDay> {
        self.special.values().filter(|d| d.date.year() == year).collect()
    }

    fn workday_raw(&self, date: Date) -> bool {
        match self.special.get(&date).map(|d| &d.kind) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !date.weekday().is_weekend(),
        }
    }

    fn note(&self, date: Date, unknown: &mut Option<i32>) {
        if unknown.is_none() && !self.known_years.contains(&date.year()) {
            *unknown = Some(date.year());
        }
    }

    pub fn is_workday(&self, date: Date) -> Answer<bool> {
        let mut unknown = None;
        self.note(date, &mut unknown);
        Answer { value: self.workday_raw(date), unknown_year: unknown }
    }

    /// The date `n` working days after `date`. With `n = 0`: `date` itself if it is a
    /// working day, else the next working day. A deadline of "5 working days" from a
    /// warning raised on `date` is `add_workdays(date, 5)`.
    /// Working days from `from` to `to`: those after `from` up to and including `to`, so a
    /// deadline of tomorrow (a working day) is 1 left; negative when `to` is earlier (a
    /// deadline passed: by how many working days).
    pub fn workdays_between(&self, from: Date, to: Date) -> i64 {
        let (a, b, sign) = if to >= from { (from, to, 1) } else { (to, from, -1) };
        let mut n = 0i64;
        let mut d = a;
        while d < b {
            d = d.add_days(1);
            n += i64::from(self.workday_raw(d));
        }
        sign * n
    }

    pub fn add_workdays(&self, date: Date, n: u32) -> Answer<Date> {
        let mut unknown = None;
        let mut d = date;
        self.note(d, &mut unknown);
        if n == 0 {
            let mut steps = 0;
            while !self.workday_raw(d) && steps < WALK_DAYS_MAX {
                d = d.add_days(1);
                steps += 1;
                self.note(d, &mut unknown);
            }
            return Answer { value: d, unknown_year: unknown };
        }
        let mut left = n;
        let mut steps = 0;
        while left > 0 && steps < WALK_DAYS_MAX {
            d = d.add_days(1);
            steps += 1;
            self.note(d, &mut unknown);
            if self.workday_raw(d) {
                left -= 1;
            }
        }
        Answer { value: d, unknown_year: unknown }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn working_days_left_and_overdue() {
        let c = WorkCalendar::shipped();
        let d = |s: &str| Date::parse(s).unwrap();
        // Friday 2025-12-26 to Tuesday 2025-12-30: Monday and Tuesday.
        assert_eq!(c.workdays_between(d("2025-12-26"), d("2025-12-30")), 2);
        assert_eq!(c.workdays_between(d("2025-12-30"), d("2025-12-26")), -2);
        assert_eq!(c.workdays_between(d("2025-12-30"), d("2025-12-30")), 0);
        // Over the New Year holiday (January 1-3) to Sunday the 4th, a working day in 2026,
        // and Monday the 5th.
        assert_eq!(c.workdays_between(d("2025-12-31"), d("2026-01-05")), 2);
    }

    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap_or(Date::from_days(0))
    }

    #[test]
    fn shipped_years_parse_and_hold_only_their_year() {
        for (year, _, text) in SHIPPED {
            let days = parse_calendar_csv(text).map_err(|e| e.to_string());
            assert!(days.is_ok(), "{year}: {days:?}");
            assert!(days.unwrap_or_default().iter().all(|x| x.date.year() == *year));
        }
        assert_eq!(WorkCalendar::shipped().known_years(), vec![2024, 2025, 2026]);
    }

    #[test]
    fn official_arrangements() {
        let cal = WorkCalendar::shipped();
        // (date, working day?) from the State Council notices.
        let table = [
            ("2025-01-01", false),
            ("2025-01-26", true),  // Sunday, make-up for Spring Festival
            ("2025-01-28", false), // New Year's Eve
            ("2025-02-04", false),
            ("2025-02-05", true),
            ("2025-02-08", true), // Saturday, make-up
            ("2025-04-27", true), // Sunday, make-up for Labour Day
            ("2025-05-05", false),
            ("2025-06-02", false),
            ("2025-09-28", true),
            ("2025-10-08", false),
            ("2025-10-11", true),
            ("2026-01-02", false),
            ("2026-01-04", true),
            ("2026-02-14", true),
            ("2026-02-23", false),
            ("2026-02-28", true),
            ("2026-04-06", false),
            ("2026-05-09", true),
            ("2026-06-19", false),
            ("2026-09-25", false),
            ("2026-09-20", true),
            ("2026-10-07", false),
            ("2026-10-10", true),
            ("2026-11-26", true),
            ("2026-11-28", false),
        ];
        for (date, want) in table {
            assert_eq!(cal.is_workday(d(date)).value, want, "{date}");
        }
    }

    #[test]
    fn add_workdays_crosses_holidays_and_make_up_days() {
        let cal = WorkCalendar::shipped();
        let cases = [
            ("2026-09-30", 1, "2026-10-08"),
            ("2026-09-30", 2, "2026-10-09"),
            ("2026-09-30", 3, "2026-10-10"), // the make-up Saturday counts
            ("2026-02-13", 1, "2026-02-14"),
            ("2026-02-14", 1, "2026-02-24"),
            ("2026-10-01", 0, "2026-10-08"),
            ("2026-11-26", 0, "2026-11-26"),
            ("2026-11-27", 5, "2026-12-04"),
        ];
        for (from, n, want) in cases {
            let a = cal.add_workdays(d(from), n);
            assert_eq!(a.value.to_string(), want, "{from} + {n}");
            assert_eq!(a.unknown_year, None);
        }
        let far = cal.add_workdays(d("2030-05-01"), 1);
        assert_eq!((far.value.to_string(), far.unknown_year), ("2030-05-02".to_string(), Some(2030)));
    }

    #[test]
    fn imported_years_replace_and_extend() {
        let mut cal = WorkCalendar::shipped();
        let days = parse_calendar_csv("date,kind,name\n2027-01-01,holiday,元旦\n2027-01-02,holiday,元旦\n");
        assert!(days.is_ok());
        assert_eq!(cal.load(days.unwrap_or_default()), vec![2027]);
        assert_eq!(cal.is_workday(d("2027-01-01")), Answer { value: false, unknown_year: None });
        assert!(parse_calendar_csv("date,kind,name\n2027-01-05,workday,x").is_err_and(|e| e.line == 2));
        assert!(parse_calendar_csv("day,kind\n").is_err());
    }
}
