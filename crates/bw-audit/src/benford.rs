//! Benford's law (Nigrini): first-digit, first-two-digits and second-digit tests over the
//! amounts of at least `benford_min_amount`. One population gives one N for all three tests.
//!
//! Per digit: observed proportion AP, expected EP, and Z = (|AP − EP| − 1/(2N)) / √(EP(1 − EP)/N),
//! the continuity correction 1/(2N) applied only where it is smaller than |AP − EP|. Per test:
//! mean absolute deviation with Nigrini's conformity ranges, and chi-square with its p-value.

use std::collections::{BTreeMap, HashMap};

use serde_json::json;

use crate::{Finding, Params, Payment, yuan};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Test {
    FirstDigit,
    FirstTwo,
    SecondDigit,
}

impl Test {
    pub const ALL: [Test; 3] = [Test::FirstDigit, Test::FirstTwo, Test::SecondDigit];

    pub fn key(self) -> &'static str {
        match self {
            Test::FirstDigit => "first_digit",
            Test::FirstTwo => "first_two",
            Test::SecondDigit => "second_digit",
        }
    }

    fn digits(self) -> std::ops::RangeInclusive<u32> {
        match self {
            Test::FirstDigit => 1..=9,
            Test::FirstTwo => 10..=99,
            Test::SecondDigit => 0..=9,
        }
    }

    /// Nigrini's MAD bounds for close, acceptable and marginal conformity.
    fn bounds(self) -> [f64; 3] {
        match self {
            Test::FirstDigit => [0.006, 0.012, 0.015],
            Test::FirstTwo => [0.0012, 0.0018, 0.0022],
            Test::SecondDigit => [0.008, 0.010, 0.012],
        }
    }

    /// The digit (or pair) this test reads from an amount's leading digits.
    fn of(self, lead2: u32) -> u32 {
        match self {
            Test::FirstDigit => lead2 / 10,
            Test::FirstTwo => lead2,
            Test::SecondDigit => lead2 % 10,
        }
    }

    /// Benford's expected proportion of `d`.
    pub fn expected(self, d: u32) -> f64 {
        match self {
            Test::FirstDigit | Test::FirstTwo => (1.0 + 1.0 / f64::from(d)).log10(),
            Test::SecondDigit => (1..=9).map(|k| (1.0 + 1.0 / f64::from(10 * k + d)).log10()).sum(),
        }
    }
}

/// The first two significant digits (10–99) of a positive amount in fen; amounts of at least
/// 10.00 yuan have at least four digits, so both exist.
pub fn lead2(fen: i64) -> Option<u32> {
    let mut v = u64::try_from(fen).ok().filter(|v| *v >= 10)?;
    while v >= 100 {
        v /= 10;
    }
    Some(v as u32)
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DigitRow {
    pub digit: u32,
    pub count: u64,
    pub observed: f64,
    pub expected: f64,
    pub z: f64,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TestResult {
    pub n: u64,
    pub mad: f64,
    pub conformity: &'static str,
    pub chi_square: f64,
    pub p_value: f64,
    pub digits: Vec<DigitRow>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Report {
    pub first_digit: TestResult,
    pub first_two: TestResult,
    pub second_digit: TestResult,
}

impl Report {
    pub fn get(&self, t: Test) -> &TestResult {
        match t {
            Test::FirstDigit => &self.first_digit,
            Test::FirstTwo => &self.first_two,
            Test::SecondDigit => &self.second_digit,
        }
    }
}

/// Counts of the leading pairs 10–99 (index = pair).
#[derive(Clone, Debug)]
pub struct Counts(pub [u64; 100]);

impl Default for Counts {
    fn default() -> Counts {
        Counts([0; 100])
    }
}

impl Counts {
    pub fn add(&mut self, fen: i64, min_fen: i64) {
        if fen >= min_fen.max(1_000)
            && let Some(l) = lead2(fen)
        {
            self.0[l as usize] += 1;
        }
    }
    pub fn n(&self) -> u64 {
        self.0.iter().sum()
    }
}

/// The three tests over `counts`.
pub fn report(counts: &Counts) -> Report {
    Report {
        first_digit: test(counts, Test::FirstDigit),
        first_two: test(counts, Test::FirstTwo),
        second_digit: test(counts, Test::SecondDigit),
    }
}

pub fn test(counts: &Counts, t: Test) -> TestResult {
    let n = counts.n();
    let mut by_digit: BTreeMap<u32, u64> = t.digits().map(|d| (d, 0)).collect();
    for l in 10..100u32 {
        *by_digit.entry(t.of(l)).or_default() += counts.0[l as usize];
    }
    let nf = n as f64;
    let mut digits = Vec::new();
    let (mut abs_sum, mut chi) = (0.0, 0.0);
    for (&d, &count) in &by_digit {
        let ep = t.expected(d);
        let ap = if n == 0 { 0.0 } else { count as f64 / nf };
        let dev = (ap - ep).abs();
        abs_sum += dev;
        let z = if n == 0 {
            0.0
        } else {
            let corr = 1.0 / (2.0 * nf);
            let num = if corr < dev { dev - corr } else { dev };
            num / (ep * (1.0 - ep) / nf).sqrt()
        };
        if n > 0 {
            let e = ep * nf;
            chi += (count as f64 - e).powi(2) / e;
        }
        digits.push(DigitRow { digit: d, count, observed: ap, expected: ep, z });
    }
    let mad = abs_sum / by_digit.len() as f64;
    let b = t.bounds();
    let conformity = if n == 0 {
        "no_data"
    } else if mad <= b[0] {
        "close"
    } else if mad <= b[1] {
        "acceptable"
    } else if mad <= b[2] {
        "marginal"
    } else {
        "nonconformity"
    };
    let df = (by_digit.len() - 1) as f64;
    let p_value = if n == 0 { 1.0 } else { chi_square_sf(chi, df) };
    TestResult { n, mad, conformity, chi_square: chi, p_value, digits }
}

pub use bw_core::special::chi_square_sf;

/// Benford findings: every population (all payments, each unit, each payee) with at least
/// `benford_min_records` amounts whose first-two-digits test is a nonconformity by its MAD
/// and significant by chi-square (p < 0.001). The evidence
/// names the three most over-represented pairs (Z above 1.96) and the payments behind them.
pub fn findings(payments: &[Payment], p: &Params, out: &mut Vec<Finding>) {
    let min = p.benford_min_amount.fen();
    let mut all = Counts::default();
    // Units and payees as numbers: each name hashed once.
    let (unit_names, unit) = crate::normalize::unit_ids(payments);
    let mut payee_ids = crate::normalize::TextIds::with_capacity(payments.len() / 8);
    let of: Vec<(u32, u32)> = payments.iter().zip(unit).map(|(x, u)| (u, payee_ids.id(&x.payee_account))).collect();
    let mut units = vec![Counts::default(); unit_names.len()];
    // Payees are many and mostly small: counted first, digit-counted only when enough.
    let mut sizes = vec![0usize; payee_ids.keys.len()];
    for &(_, y) in &of {
        sizes[y as usize] += 1;
    }
    let mut slot = vec![usize::MAX; sizes.len()];
    let big: Vec<u32> = (0..sizes.len() as u32).filter(|&y| sizes[y as usize] >= p.benford_min_records).collect();
    for (k, &y) in big.iter().enumerate() {
        slot[y as usize] = k;
    }
    let mut payees = vec![Counts::default(); big.len()];
    for (x, &(u, y)) in payments.iter().zip(&of) {
        all.add(x.amount.fen(), min);
        units[u as usize].add(x.amount.fen(), min);
        if let Some(c) = payees.get_mut(slot[y as usize]) {
            c.add(x.amount.fen(), min);
        }
    }
    // Each population with its members, by number.
    #[derive(Clone, Copy)]
    enum Member {
        All,
        Unit(u32),
        Payee(u32),
    }
    let mut pops: Vec<(&str, &str, Member, &Counts)> = vec![("all", "", Member::All, &all)];
    let mut us: Vec<usize> = (0..units.len()).collect();
    us.sort_by_key(|&u| unit_names[u]);
    pops.extend(us.into_iter().map(|u| ("unit", unit_names[u], Member::Unit(u as u32), &units[u])));
    let mut ys: Vec<usize> = (0..big.len()).collect();
    ys.sort_by_key(|&k| payee_ids.keys[big[k] as usize]);
    pops.extend(ys.into_iter().map(|k| ("payee", payee_ids.keys[big[k] as usize], Member::Payee(big[k]), &payees[k])));
    // Thousands of units and payees are tested at once: at p < 0.001 each, a couple would
    // fail by chance alone. The level is shared among the populations tested (Bonferroni).
    let tested = pops.iter().filter(|(_, _, _, c)| c.n() as usize >= p.benford_min_records).count();
    let alpha = 0.001 / tested.max(1) as f64;
    for (kind, key, member, counts) in pops {
        if (counts.n() as usize) < p.benford_min_records {
            continue;
        }
        // MAD alone flags small populations by chance, chi-square alone flags large ones for
        // trifles: a finding needs both.
        let r = test(counts, Test::FirstTwo);
        if r.conformity != "nonconformity" || r.p_value >= alpha {
            continue;
        }
        let mut over: Vec<&DigitRow> = r.digits.iter().filter(|d| d.observed > d.expected && d.z > 1.96).collect();
        over.sort_by(|a, b| b.z.total_cmp(&a.z));
        over.truncate(3);
        let pairs: Vec<u32> = over.iter().map(|d| d.digit).collect();
        let behind: Vec<&Payment> = payments
            .iter()
            .zip(&of)
            .filter(|&(_, &(u, y))| match member {
                Member::Unit(k) => u == k,
                Member::Payee(k) => y == k,
                Member::All => true,
            })
            .map(|(x, _)| x)
            .filter(|x| x.amount.fen() >= min.max(1_000) && lead2(x.amount.fen()).is_some_and(|l| pairs.contains(&l)))
            .collect();
        let total: i64 = behind.iter().map(|x| x.amount.fen()).sum();
        let unit = match kind {
            "unit" => Some(key),
            // A payee's finding belongs to the unit that paid it most often.
            "payee" => most_common(behind.iter().map(|x| x.unit.as_ref())),
            _ => None,
        };
        let shown = 100;
        out.push(
            Finding::new("benford", unit, behind.iter().take(shown).map(|x| x.voucher.to_string()).collect(), total)
                .with("population", json!(kind))
                .with("key", json!(key))
                .with("n", json!(r.n))
                .with("mad", json!(r.mad))
                .with("conformity", json!(r.conformity))
                .with("chi_square", json!(r.chi_square))
                .with("p_value", json!(r.p_value))
                .with(
                    "over_represented",
                    json!(over.iter().map(|d| json!({"digits": d.digit, "count": d.count, "observed": d.observed, "expected": d.expected, "z": d.z})).collect::<Vec<_>>()),
                )
                .with("payments_behind", json!(behind.len()))
                .with("amount_behind", yuan(total)),
        );
    }
}

fn most_common<'a>(items: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut n: HashMap<&str, usize> = HashMap::new();
    for s in items {
        *n.entry(s).or_default() += 1;
    }
    n.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0))).map(|(k, _)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_proportions() {
        assert!((Test::FirstDigit.expected(1) - std::f64::consts::LOG10_2).abs() < 1e-12);
        assert!((Test::FirstTwo.expected(10) - 0.041393).abs() < 1e-6);
        assert!((Test::SecondDigit.expected(0) - 0.119679).abs() < 1e-6);
        for t in Test::ALL {
            let s: f64 = t.digits().map(|d| t.expected(d)).sum();
            assert!((s - 1.0).abs() < 1e-12, "{t:?} {s}");
        }
    }

    #[test]
    fn leading_digits_of_fen() {
        assert_eq!(lead2(1_000), Some(10));
        assert_eq!(lead2(123_456), Some(12));
        assert_eq!(lead2(9_999), Some(99));
        assert_eq!(lead2(5), None);
    }

    #[test]
    fn chi_square_tail_matches_scipy() {
        // scipy.stats.chi2.sf(x, df)
        let cases = [
            (15.507313055865453, 8.0, 0.05),
            (112.02198574980785, 89.0, 0.05),
            (3.0, 9.0, 0.9642949726850891),
            (40.0, 8.0, 3.203719780476998e-06),
            (0.5, 1.0, 0.47950012218695337),
            (250.0, 89.0, 3.237078268966843e-17),
        ];
        for (x, df, want) in cases {
            let got = chi_square_sf(x, df);
            assert!(((got - want) / want).abs() < 1e-9, "sf({x}, {df}) = {got}, want {want}");
        }
    }

    #[test]
    fn z_statistic_with_and_without_the_correction() {
        let mut c = Counts::default();
        // 1,000 amounts: 400 starting with 1, 600 with 2.
        c.0[10] = 400;
        c.0[20] = 600;
        let r = test(&c, Test::FirstDigit);
        assert_eq!(r.n, 1000);
        let d1 = &r.digits[0];
        let ep: f64 = 2f64.log10();
        let want = ((0.4 - ep).abs() - 1.0 / 2000.0) / (ep * (1.0 - ep) / 1000.0).sqrt();
        assert!((d1.z - want).abs() < 1e-12);
        // Digit 3 is missing: |AP − EP| = EP > 1/(2N), so corrected too.
        assert_eq!(r.digits[2].count, 0);
        assert_eq!(r.conformity, "nonconformity");
        // Where the deviation is below 1/(2N) the correction is not applied.
        let mut c = Counts::default();
        c.0[10] = 1;
        let r = test(&c, Test::FirstDigit);
        let d9 = &r.digits[8];
        let ep9 = (1.0 + 1.0 / 9.0f64).log10();
        assert!((d9.z - ep9 / (ep9 * (1.0 - ep9)).sqrt()).abs() < 1e-12);
    }
}
