//! Risk score per unit (风险评分): 100 is clean. Each finding of a test takes the test's weight
//! in points, doubled at most by the money involved — `weight × (1 + min(1, 10 × amount /
//! the unit's spending))`, so a finding about a tenth of what the unit spent counts twice. Each
//! open warning of the monitoring rules takes points by level. The score is 100 less the
//! points, never below 0; the contribution of every test and rule is kept to show.

use std::collections::{BTreeMap, HashMap};

use bw_core::Money;

use crate::Finding;

/// Weights: points per finding of each test and per warning of each level.
#[derive(Clone, Debug)]
pub struct Weights {
    pub tests: HashMap<String, f64>,
    pub yellow: f64,
    pub orange: f64,
    pub red: f64,
}

impl Weights {
    /// The weights from the `audit.TEST.weight` and `audit.score.*` settings.
    pub fn from_settings(get: &dyn Fn(&str) -> String) -> Weights {
        let num = |k: &str| get(k).trim().parse::<f64>().unwrap_or(0.0);
        Weights {
            tests: crate::TESTS.iter().map(|(t, _)| (t.to_string(), num(&format!("audit.{t}.weight")))).collect(),
            yellow: num("audit.score.yellow"),
            orange: num("audit.score.orange"),
            red: num("audit.score.red"),
        }
    }
}

impl Default for Weights {
    fn default() -> Weights {
        Weights::from_settings(&crate::shipped)
    }
}

/// An open warning of the monitoring rules, as the score reads it.
#[derive(Clone, Debug)]
pub struct Warning {
    pub rule: String,
    pub level: String,
    pub unit_code: String,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Contribution {
    /// `test:NAME` or `rule:NAME`.
    pub source: String,
    pub count: usize,
    pub amount: Money,
    pub points: f64,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct UnitScore {
    pub rank: usize,
    pub unit_code: String,
    pub score: f64,
    pub spending: Money,
    pub findings: usize,
    pub warnings: usize,
    pub contributions: Vec<Contribution>,
    pub special_audit: bool,
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Sets each finding's `score_impact` and ranks every unit in `spending` (what each unit
/// spent), worst first (ties by code). Units below `threshold` are marked for special audit.
pub fn score(
    findings: &mut [Finding],
    warnings: &[Warning],
    spending: &BTreeMap<String, Money>,
    w: &Weights,
    threshold: f64,
) -> Vec<UnitScore> {
    let mut per: BTreeMap<&str, BTreeMap<String, Contribution>> = BTreeMap::new();
    for f in findings.iter_mut() {
        let Some(unit) = f.unit_code.as_deref() else { continue };
        let Some(spent) = spending.get(unit) else { continue };
        let weight = w.tests.get(f.test).copied().unwrap_or(0.0);
        // Ten times the finding's share of the unit's spending, capped at 1, in integer per
        // mille: money is compared in fen, the float is only the ratio.
        let permille = if spent.fen() > 0 {
            (i128::from(f.amount.fen().abs()) * 10_000 / i128::from(spent.fen())).min(1000) as i32
        } else {
            1000
        };
        let share = f64::from(permille) / 1000.0;
        f.score_impact = round1(weight * (1.0 + share));
        let Some((key, _)) = spending.get_key_value(unit) else { continue };
        let c = per.entry(key.as_str()).or_default().entry(format!("test:{}", f.test)).or_insert_with(|| {
            Contribution { source: format!("test:{}", f.test), count: 0, amount: Money::from_fen(0), points: 0.0 }
        });
        c.count += 1;
        c.amount = Money::from_fen(c.amount.fen().saturating_add(f.amount.fen().abs()));
        c.points += f.score_impact;
    }
    for x in warnings {
        let Some((key, _)) = spending.get_key_value(x.unit_code.as_str()) else { continue };
        let pts = match x.level.as_str() {
            "red" => w.red,
            "orange" => w.orange,
            _ => w.yellow,
        };
        let c = per.entry(key.as_str()).or_default().entry(format!("rule:{}", x.rule)).or_insert_with(|| {
            Contribution { source: format!("rule:{}", x.rule), count: 0, amount: Money::from_fen(0), points: 0.0 }
        });
        c.count += 1;
        c.points += pts;
    }
    let mut out: Vec<UnitScore> = spending
        .iter()
        .map(|(unit, spent)| {
            let mut contributions: Vec<Contribution> =
                per.remove(unit.as_str()).unwrap_or_default().into_values().collect();
            for c in &mut contributions {
                c.points = round1(c.points);
            }
            contributions.sort_by(|a, b| b.points.total_cmp(&a.points).then(a.source.cmp(&b.source)));
            let lost: f64 = contributions.iter().map(|c| c.points).sum();
            let score = round1((100.0 - lost).max(0.0));
            UnitScore {
                rank: 0,
                unit_code: unit.clone(),
                score,
                spending: *spent,
                findings: contributions.iter().filter(|c| c.source.starts_with("test:")).map(|c| c.count).sum(),
                warnings: contributions.iter().filter(|c| c.source.starts_with("rule:")).map(|c| c.count).sum(),
                contributions,
                special_audit: score < threshold,
            }
        })
        .collect();
    out.sort_by(|a, b| a.score.total_cmp(&b.score).then(a.unit_code.cmp(&b.unit_code)));
    for (i, u) in out.iter_mut().enumerate() {
        u.rank = i + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_by_weight_amount_and_level() {
        let spending: BTreeMap<String, Money> =
            [("U1".to_string(), Money::from_fen(1_000_000)), ("U2".to_string(), Money::from_fen(1_000_000))].into();
        let mut fs = vec![
            // 5 % of U1's spending: 10 × (1 + 0.5) = 15 points.
            Finding::new("duplicate_exact", Some("U1"), vec!["V1".into()], 50_000),
            // More than a tenth: weight doubled, 8 × 2 = 16.
            Finding::new("luxury_keywords", Some("U1"), vec!["V2".into()], 900_000),
            Finding::new("revenue_jump", None, Vec::new(), 1),
        ];
        let ws = vec![
            Warning { rule: "over_budget".into(), level: "red".into(), unit_code: "U1".into() },
            Warning { rule: "stagnant".into(), level: "yellow".into(), unit_code: "U2".into() },
        ];
        let s = score(&mut fs, &ws, &spending, &Weights::default(), 80.0);
        assert_eq!(fs[0].score_impact, 15.0);
        assert_eq!(fs[1].score_impact, 16.0);
        assert_eq!(s[0].unit_code, "U1");
        assert_eq!(s[0].score, 100.0 - 15.0 - 16.0 - 8.0);
        assert!(s[0].special_audit);
        assert_eq!(s[0].contributions[0].source, "test:luxury_keywords");
        assert_eq!((s[1].unit_code.as_str(), s[1].score, s[1].special_audit), ("U2", 98.0, false));
        assert_eq!((s[0].rank, s[1].rank), (1, 2));
    }

    #[test]
    fn the_score_stops_at_zero() {
        let spending: BTreeMap<String, Money> = [("U1".to_string(), Money::from_fen(0))].into();
        let mut fs: Vec<Finding> = (0..10).map(|_| Finding::new("related_party", Some("U1"), Vec::new(), 1)).collect();
        let s = score(&mut fs, &[], &spending, &Weights::default(), 60.0);
        assert_eq!(s[0].score, 0.0);
        assert_eq!(s[0].findings, 10);
    }
}
