//! The deviation rate the regression predicts (chapter 7: 支出偏差率): how far a unit's
//! payments to a quarter's end stand from what its profile plans by then, as a share of the
//! year's budget. Spelled once here so that the regression and the demo history that plants
//! drivers into it compute the same figure.

/// A unit's year as the deviation needs it: the budget and the paid to date at each
/// quarter's end (fen).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct QuarterPaid {
    pub budget: i64,
    pub paid_to: [i64; 4],
}

/// The planned cumulative share of the budget at each quarter's end: the mean, over the
/// unit's earlier years, of what it had paid by then as a share of that year's budget.
/// `None` without an earlier year with a budget and payments.
pub fn profile(earlier: &[QuarterPaid]) -> Option<[f64; 4]> {
    let years: Vec<&QuarterPaid> = earlier.iter().filter(|y| y.budget > 0 && y.paid_to[3] > 0).collect();
    if years.is_empty() {
        return None;
    }
    let mut out = [0.0; 4];
    for (q, o) in out.iter_mut().enumerate() {
        *o = years.iter().map(|y| y.paid_to[q] as f64 / y.budget as f64).sum::<f64>() / years.len() as f64;
    }
    Some(out)
}

/// Evenly through the year: what a first year plans by when no unit has an earlier one.
pub const EVEN: [f64; 4] = [0.25, 0.5, 0.75, 1.0];

/// (paid to the quarter's end − the budget × the planned share) ÷ the budget.
pub fn rate(year: &QuarterPaid, planned: &[f64; 4], quarter: usize) -> f64 {
    let budget = year.budget as f64;
    (year.paid_to[quarter - 1] as f64 - budget * planned[quarter - 1]) / budget
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_is_the_mean_share_of_the_budget_paid() {
        let a = QuarterPaid { budget: 1000, paid_to: [100, 300, 600, 900] };
        let b = QuarterPaid { budget: 2000, paid_to: [400, 800, 1400, 2000] };
        let p = profile(&[a, b]).expect("two years");
        for (got, want) in p.iter().zip([0.15, 0.35, 0.65, 0.95]) {
            assert!((got - want).abs() < 1e-15, "{p:?}");
        }
        // A year with nothing paid plans nothing.
        assert_eq!(profile(&[QuarterPaid { budget: 10, paid_to: [0; 4] }]), None);
        assert_eq!(profile(&[]), None);
        let now = QuarterPaid { budget: 1000, paid_to: [200, 300, 700, 950] };
        assert!((rate(&now, &p, 1) - 0.05).abs() < 1e-15);
        assert!((rate(&now, &p, 4) - 0.0).abs() < 1e-15);
        assert!((rate(&now, &EVEN, 2) + 0.2).abs() < 1e-15);
    }
}
