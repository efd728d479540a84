//! Post-incident reviews (复盘, chapters 7 and 14): the rules of their improvement plans and
//! of the case knowledge base that are fixed by the source. Pure: the service keeps the
//! reviews, plans and cases.
//!
//! - An improvement plan is accepted between 3 and 6 calendar months after its approval
//!   (the same day of the month, clamped to the month's last day: approved 31 January,
//!   accepted from 30 April to 31 July).
//! - The same unit repeating the same cause within 3 years is a repeat (屡审屡犯).

use crate::Date;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("an improvement plan approved on {approved} is accepted from {from} to {to}, not on {on}")]
    AcceptanceOutsideWindow { approved: Date, on: Date, from: Date, to: Date },
}

impl ReviewError {
    pub fn code(&self) -> &'static str {
        match self {
            ReviewError::AcceptanceOutsideWindow { .. } => "acceptance_outside_window",
        }
    }
}

/// The first and last day a plan approved on `approved` may be accepted.
pub fn acceptance_window(approved: Date) -> (Date, Date) {
    (approved.add_months(3), approved.add_months(6))
}

/// Whether a plan approved on `approved` may be accepted on `on`.
pub fn check_acceptance(approved: Date, on: Date) -> Result<(), ReviewError> {
    let (from, to) = acceptance_window(approved);
    if on < from || on > to {
        return Err(ReviewError::AcceptanceOutsideWindow { approved, on, from, to });
    }
    Ok(())
}

/// A case as the repeat test reads it: its id, unit, classified cause and day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    pub id: i64,
    pub unit: String,
    pub cause: String,
    pub on: Date,
}

/// Each case that repeats an earlier one — the same unit, the same cause, no more than 3
/// years (36 calendar months) before — with the latest such earlier case: (case, earlier).
pub fn repeats(cases: &[Case]) -> Vec<(i64, i64)> {
    let mut sorted: Vec<&Case> = cases.iter().collect();
    sorted.sort_by_key(|c| (c.on, c.id));
    let mut out = Vec::new();
    for (i, c) in sorted.iter().enumerate() {
        let since = c.on.add_months(-36);
        if let Some(earlier) =
            sorted[..i].iter().rev().find(|e| e.unit == c.unit && e.cause == c.cause && e.on >= since)
        {
            out.push((c.id, earlier.id));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).expect("date")
    }

    #[test]
    fn a_plan_approved_on_31_january_is_accepted_from_30_april_to_31_july() {
        let approved = d("2026-01-31");
        assert_eq!(acceptance_window(approved), (d("2026-04-30"), d("2026-07-31")));
        for ok in ["2026-04-30", "2026-06-15", "2026-07-31"] {
            assert_eq!(check_acceptance(approved, d(ok)), Ok(()), "{ok}");
        }
        for bad in ["2026-04-29", "2026-08-01", "2026-01-31"] {
            assert_eq!(
                check_acceptance(approved, d(bad)).map_err(|e| e.code()),
                Err("acceptance_outside_window"),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_same_unit_and_cause_within_three_years_repeats() {
        let case =
            |id: i64, unit: &str, cause: &str, on: &str| Case { id, unit: unit.into(), cause: cause.into(), on: d(on) };
        let cases = [
            case(1, "U1", "split_purchase", "2022-03-01"),
            case(2, "U1", "split_purchase", "2025-03-01"),
            case(3, "U1", "split_purchase", "2025-03-02"),
            case(4, "U1", "over_budget", "2025-04-01"),
            case(5, "U2", "split_purchase", "2025-05-01"),
            case(6, "U3", "idle_funds", "2021-01-01"),
            case(7, "U3", "idle_funds", "2024-01-02"),
        ];
        // 2 is exactly three years after 1; 3 repeats 2; 7 is a day past three years.
        assert_eq!(repeats(&cases), vec![(2, 1), (3, 2)]);
    }
}
