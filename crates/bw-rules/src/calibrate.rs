//! `rules calibrate`: next year's level bounds proposed from a year's distribution — for each
//! rule with levels, the 90th, 95th and 99th percentiles of its measure over all subjects
//! become yellow, orange and red — with how many warnings the current and the proposed
//! bounds raise on that year.

use crate::{Bands, Facts, Rule, Thresholds, completed_months, evaluate};
use bw_core::Date;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Proposal {
    pub rule: &'static str,
    pub current: [i64; 3],
    pub proposed: [i64; 3],
    pub current_warnings: usize,
    pub proposed_warnings: usize,
    /// Subjects the measure was taken over.
    pub subjects: usize,
}

/// The measure of each rule with levels, per subject, at `as_of` (whole percentages,
/// points or months, rounded up).
fn measures(facts: &Facts, as_of: Date, gap_points: i64) -> BTreeMap<Rule, Vec<i64>> {
    let mut m: BTreeMap<Rule, Vec<i64>> = BTreeMap::new();
    let done = completed_months(facts.year, as_of) as usize;
    let pct_up =
        |part: i64, whole: i64| -> i64 { if whole <= 0 { 0 } else { (part.max(0) * 100 + whole - 1) / whole } };
    let mut sangong: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for i in &facts.indicators {
        let amount = i.amount.fen();
        let paid: i64 = i.months.iter().sum();
        if amount <= 0 {
            continue;
        }
        m.entry(Rule::OverBudget).or_default().push(pct_up(paid - amount, amount));
        m.entry(Rule::AheadOfSchedule)
            .or_default()
            .push(i.months.iter().map(|s| pct_up(*s, amount)).max().unwrap_or(0));
        m.entry(Rule::YearEndRush).or_default().push(pct_up(i.months[11], amount));
        let paid_done: i64 = i.months[..done].iter().sum();
        let gap = (done as i64 * amount * 100 - paid_done * 1200).max(0);
        m.entry(Rule::BehindSchedule).or_default().push((gap + 12 * amount - 1) / (12 * amount));
        let run = i.counts[..done].iter().rev().take_while(|c| **c == 0).count() as i64;
        m.entry(Rule::Stagnant).or_default().push(run);
        if i.special {
            m.entry(Rule::IdleFunds).or_default().push(run);
        }
        if i.economic_code.is_sangong() {
            let e = sangong.entry(i.unit_code.as_str()).or_default();
            e.0 += amount;
            e.1 += paid;
        }
    }
    for (b, p) in sangong.values() {
        m.entry(Rule::SangongOver).or_default().push(pct_up(p - b, *b));
    }
    for r in &facts.revenues {
        let target = r.target.fen();
        if target <= 0 {
            continue;
        }
        let mut cum = 0i64;
        let mut behind = Vec::new();
        for (k, month) in r.months[..done].iter().enumerate() {
            cum += month;
            behind.push(100 * (k as i128 + 1) * i128::from(target) - 1200 * i128::from(cum));
        }
        // Month-ends in a row behind by more than the gap setting.
        let bound = 12 * i128::from(gap_points) * i128::from(target);
        let run = behind.iter().rev().take_while(|g| **g > bound).count() as i64;
        m.entry(Rule::RevenueShortfall).or_default().push(run);
    }
    m
}

fn percentile(sorted: &[i64], p: usize) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let k = (sorted.len() * p).div_ceil(100).clamp(1, sorted.len());
    sorted[k - 1]
}

fn bands_of(t: &Thresholds, rule: Rule) -> Option<Bands> {
    Some(match rule {
        Rule::OverBudget => t.over_budget,
        Rule::AheadOfSchedule => t.ahead_of_schedule,
        Rule::BehindSchedule => t.behind_schedule,
        Rule::Stagnant => t.stagnant,
        Rule::IdleFunds => t.idle_funds,
        Rule::SangongOver => t.sangong_over,
        Rule::YearEndRush => t.year_end_rush,
        Rule::RevenueShortfall => t.revenue_shortfall,
        _ => return None,
    })
}

fn set_bands(t: &mut Thresholds, rule: Rule, b: Bands) {
    match rule {
        Rule::OverBudget => t.over_budget = b,
        Rule::AheadOfSchedule => t.ahead_of_schedule = b,
        Rule::BehindSchedule => t.behind_schedule = b,
        Rule::Stagnant => t.stagnant = b,
        Rule::IdleFunds => t.idle_funds = b,
        Rule::SangongOver => t.sangong_over = b,
        Rule::YearEndRush => t.year_end_rush = b,
        Rule::RevenueShortfall => t.revenue_shortfall = b,
        _ => {}
    }
}

/// The proposals for each rule with levels, over the year's facts as of `as_of`.
pub fn calibrate(facts: &Facts, as_of: Date, current: &Thresholds) -> Vec<Proposal> {
    let count = |t: &Thresholds, rule: Rule| evaluate(as_of, facts, t).iter().filter(|f| f.rule == rule.id()).count();
    let mut out = Vec::new();
    for (rule, mut values) in measures(facts, as_of, current.revenue_gap_points) {
        let Some(now) = bands_of(current, rule) else { continue };
        values.sort_unstable();
        // Counts of months must stay at least 1; percentages and points at least 0.
        let floor = i64::from(matches!(rule, Rule::Stagnant | Rule::RevenueShortfall));
        let y = percentile(&values, 90).max(floor);
        let o = percentile(&values, 95).max(y);
        let r = percentile(&values, 99).max(o);
        let proposed = Bands::new(y, o, r);
        let mut t = current.clone();
        set_bands(&mut t, rule, proposed);
        out.push(Proposal {
            rule: rule.id(),
            current: [now.yellow, now.orange, now.red],
            proposed: [y, o, r],
            current_warnings: count(current, rule),
            proposed_warnings: count(&t, rule),
            subjects: values.len(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IndicatorFact;
    use bw_core::Money;
    use bw_core::code::EconomicCode;

    #[test]
    fn proposals_are_the_90th_95th_and_99th_percentiles_with_their_warning_counts() {
        let econ = EconomicCode::parse("302").unwrap();
        let indicators = (1..=20)
            .map(|k| {
                let mut months = [0; 12];
                // Paid evenly, ending k % over the amount of 1,200.00.
                months.iter_mut().for_each(|m| *m = 10_000 + k * 100);
                IndicatorFact {
                    code: format!("I{k}"),
                    unit_code: "U".into(),
                    economic_code: econ.clone(),
                    amount: Money::from_fen(120_000),
                    special: false,
                    months,
                    counts: [1; 12],
                    last_paid: None,
                }
            })
            .collect();
        let facts = Facts { year: 2025, indicators, ..Facts::default() };
        let as_of = Date::from_ymd(2025, 12, 31).unwrap();
        let p = calibrate(&facts, as_of, &Thresholds::default());
        let over = p.iter().find(|p| p.rule == "over_budget").cloned();
        assert_eq!(
            over,
            Some(Proposal {
                rule: "over_budget",
                current: [0, 10, 20],
                proposed: [18, 19, 20],
                current_warnings: 20,
                proposed_warnings: 2,
                subjects: 20,
            })
        );
        let stagnant = p.iter().find(|p| p.rule == "stagnant").map(|p| p.proposed);
        assert_eq!(stagnant, Some([1, 1, 1]), "no idle months: the floor of one month");
    }
}
