//! Year-end outturn forecasts from monthly figures (an indicator's payments, a unit's, a
//! revenue line's): what the year will total, as of the end of month m, by one of the
//! classical methods or by the one with the lowest backtest error on the training years.
//!
//! - `run_rate`: the year to date × 12 / m.
//! - `profile`: the year to date ÷ the share of the year the earlier years had reached by
//!   month m (their mean), so a year that spends late is not read as short.
//! - `snaive`: the year to date plus last year's months after m.
//! - `holt_winters` and `damped`: additive Holt-Winters (season 12) fitted on every month up
//!   to m, the months after m forecast.
//! - `auto`: the method with the lowest WAPE over the training years — each earlier year
//!   forecast as of its own month m from the data before it — and run_rate without any.
//!
//! P10, P50 and P90 come from the chosen method's backtest errors at the same month (the
//! ratios of outturn to forecast), when at least two training years exist. Nothing after
//! month m of the year is read: the series is cut before anything is computed.

use std::collections::BTreeMap;

use crate::holt_winters;

/// A method of forecasting the year-end outturn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    RunRate,
    Profile,
    Snaive,
    HoltWinters,
    Damped,
    Auto,
}

impl Method {
    pub const CANDIDATES: [Method; 5] =
        [Method::RunRate, Method::Profile, Method::Snaive, Method::HoltWinters, Method::Damped];
    /// What a backtest scores: every candidate, and `auto` choosing among them.
    pub const SCORED: [Method; 6] =
        [Method::RunRate, Method::Profile, Method::Snaive, Method::HoltWinters, Method::Damped, Method::Auto];

    pub fn parse(s: &str) -> Option<Method> {
        match s {
            "run_rate" => Some(Method::RunRate),
            "profile" => Some(Method::Profile),
            "snaive" => Some(Method::Snaive),
            "holt_winters" => Some(Method::HoltWinters),
            "damped" => Some(Method::Damped),
            "auto" => Some(Method::Auto),
            _ => None,
        }
    }
}

/// Monthly amounts by year: `months[i]` is month i + 1; a month not reported is `None`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    pub years: BTreeMap<i32, [Option<f64>; 12]>,
}

impl Series {
    pub fn set(&mut self, year: i32, month: u32, amount: f64) {
        if (1..=12).contains(&month) {
            self.years.entry(year).or_insert([None; 12])[month as usize - 1] = Some(amount);
        }
    }

    /// The series as known at the end of `month` of `year`: nothing later.
    pub fn as_of(&self, year: i32, month: u32) -> Series {
        let mut out = Series::default();
        for (&y, months) in self.years.range(..=year) {
            let mut m = *months;
            if y == year {
                for v in m.iter_mut().skip(month as usize) {
                    *v = None;
                }
            }
            out.years.insert(y, m);
        }
        out
    }

    fn total(&self, year: i32) -> Option<f64> {
        let m = self.years.get(&year)?;
        m.iter().all(Option::is_some).then(|| m.iter().flatten().sum())
    }

    fn to_date(&self, year: i32, month: u32) -> f64 {
        self.years.get(&year).map(|m| m.iter().take(month as usize).flatten().sum()).unwrap_or(0.0)
    }

    /// Every month up to `month` of `year`, oldest first, from the first complete year.
    fn monthly(&self, year: i32, month: u32) -> Vec<f64> {
        let mut out = Vec::new();
        for (&y, months) in self.years.range(..=year) {
            let take = if y == year { month as usize } else { 12 };
            out.extend(months.iter().take(take).map(|v| v.unwrap_or(0.0)));
        }
        out
    }
}

/// One forecast.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Forecast {
    pub method: Method,
    pub to_date: f64,
    pub outturn: f64,
    /// From the backtest errors at the same month; none with fewer than two training years.
    pub p10: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    /// WAPE of each candidate over the training years (for `auto`).
    pub backtest: Vec<(Method, f64)>,
    /// The training years' ratios of outturn to forecast at the same month, sorted: the
    /// distribution the bands and the early signals come from.
    #[serde(skip)]
    pub ratios: Vec<f64>,
}

impl Forecast {
    /// The share of the backtest outcomes above `bound` (e.g. 1.1 × the budget): none with
    /// fewer than two training years.
    pub fn p_above(&self, bound: f64) -> Option<f64> {
        (self.ratios.len() >= 2)
            .then(|| self.ratios.iter().filter(|r| self.outturn * *r > bound).count() as f64 / self.ratios.len() as f64)
    }

    /// The share of the backtest outcomes below `bound` (e.g. 0.9 × the budget).
    pub fn p_below(&self, bound: f64) -> Option<f64> {
        (self.ratios.len() >= 2)
            .then(|| self.ratios.iter().filter(|r| self.outturn * *r < bound).count() as f64 / self.ratios.len() as f64)
    }
}

/// The outturn of `year` by `method`, as of the end of `month`, from `series` (cut there).
pub fn forecast(series: &Series, year: i32, month: u32, method: Method) -> Forecast {
    let known = series.as_of(year, month);
    let to_date = known.to_date(year, month);
    let training: Vec<i32> = known.years.keys().copied().filter(|y| *y < year && known.total(*y).is_some()).collect();
    // Each candidate's forecast of each training year as of its own month: `auto` chooses
    // by their errors, and the chosen one's are the band's ratios (computed once for both).
    let by_year =
        |m: Method| -> Vec<f64> { training.iter().map(|&y| point(&known.as_of(y, month), y, month, m)).collect() };
    let candidates: Vec<(Method, Vec<f64>)> = if method == Method::Auto {
        let mut candidates = Method::CANDIDATES.map(|m| (m, Vec::with_capacity(training.len())));
        for &y in &training {
            let before = known.as_of(y, month);
            // The two smoothing models are fitted side by side (`fit_quick_both`).
            let [hw, damped] = smoothing_both(&before, y, month);
            for (m, f) in candidates.iter_mut() {
                f.push(match m {
                    Method::HoltWinters => hw,
                    Method::Damped => damped,
                    m => point(&before, y, month, *m),
                });
            }
        }
        Vec::from(candidates)
    } else {
        Vec::new()
    };
    let backtest: Vec<(Method, f64)> =
        candidates.iter().filter_map(|(m, f)| wape(&known, &training, f).map(|w| (*m, w))).collect();
    let chosen = match method {
        Method::Auto => backtest
            .iter()
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
            .map(|(m, _)| *m)
            .unwrap_or(Method::RunRate),
        m => m,
    };
    let outturn = point(&known, year, month, chosen);
    let forecasts = match candidates.into_iter().find(|(m, _)| *m == chosen) {
        Some((_, f)) => f,
        None => by_year(chosen),
    };
    // The ratios outturn / forecast of the training years at the same month.
    let mut ratios: Vec<f64> = training
        .iter()
        .zip(forecasts)
        .filter_map(|(&y, f)| {
            let actual = known.total(y)?;
            (f.abs() > f64::EPSILON).then(|| actual / f)
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    let q = |p: f64| (ratios.len() >= 2).then(|| outturn * crate::simulate::quantile(&ratios, p));
    Forecast { method: chosen, to_date, outturn, p10: q(0.1), p50: q(0.5), p90: q(0.9), backtest, ratios }
}

/// `forecast` of each of `series`, on up to `threads` threads: the lines are independent,
/// so the result is the same on any number of them.
pub fn forecast_all(series: &[&Series], year: i32, month: u32, method: Method, threads: usize) -> Vec<Forecast> {
    // Lines differ in their cost (history, methods fitted): each thread takes the next few
    // lines when it is free, so neither waits on the other's share.
    const STEP: usize = 16;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, Vec<Forecast>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let from = next.fetch_add(STEP, std::sync::atomic::Ordering::Relaxed);
                        if from >= series.len() {
                            break mine;
                        }
                        let lines = &series[from..(from + STEP).min(series.len())];
                        mine.push((from, lines.iter().map(|s| forecast(s, year, month, method)).collect()));
                    }
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    done.sort_by_key(|(from, _)| *from);
    done.into_iter().flat_map(|(_, f)| f).collect()
}

/// How one method did on a held-out year: forecasts made at each origin month from the
/// data up to it, against the year's actual total.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Backtested {
    pub method: Method,
    /// Σ |forecast − actual| ÷ Σ |actual| over every series and origin.
    pub wape: f64,
    /// The share of actual totals inside the forecast's P10–P90 band, over the forecasts
    /// that have one (none without two earlier complete years).
    pub coverage: Option<f64>,
    /// Forecasts scored (series × origins), and how many of them had a band.
    pub forecasts: usize,
    pub banded: usize,
}

/// Backtests `methods` on `year`, held out: every series whose `year` is complete is
/// forecast as of each of `origins` (months) from what was known then, and scored against
/// its actual total. Nothing after an origin reaches its forecast (`forecast` cuts there).
/// On up to `threads` threads, with the same result on any number.
pub fn backtest(series: &[Series], year: i32, origins: &[u32], methods: &[Method], threads: usize) -> Vec<Backtested> {
    methods
        .iter()
        .map(|&method| {
            let (mut err, mut total, mut n, mut banded, mut inside) = (0.0, 0.0, 0, 0, 0);
            let complete: Vec<&Series> = series.iter().filter(|s| s.total(year).is_some()).collect();
            for &m in origins.iter().filter(|m| (1..=12).contains(*m)) {
                let forecasts = forecast_all(&complete, year, m, method, threads);
                for (s, f) in complete.iter().zip(forecasts) {
                    let Some(actual) = s.total(year) else { continue };
                    err += (f.outturn - actual).abs();
                    total += actual.abs();
                    n += 1;
                    if let (Some(lo), Some(hi)) = (f.p10, f.p90) {
                        banded += 1;
                        inside += usize::from(lo <= actual && actual <= hi);
                    }
                }
            }
            Backtested {
                method,
                wape: if total > 0.0 { err / total } else { 0.0 },
                coverage: (banded > 0).then(|| inside as f64 / banded as f64),
                forecasts: n,
                banded,
            }
        })
        .collect()
}

/// The point forecast of one method (not `auto`).
fn point(s: &Series, year: i32, month: u32, method: Method) -> f64 {
    let ytd = s.to_date(year, month);
    let run_rate = if month == 0 { 0.0 } else { ytd * 12.0 / f64::from(month) };
    match method {
        Method::RunRate | Method::Auto => run_rate,
        Method::Profile => {
            let shares: Vec<f64> = s
                .years
                .keys()
                .filter(|y| **y < year)
                .filter_map(|&y| {
                    let total = s.total(y)?;
                    (total.abs() > f64::EPSILON).then(|| s.to_date(y, month) / total)
                })
                .collect();
            let share = shares.iter().sum::<f64>() / shares.len().max(1) as f64;
            if shares.is_empty() || share <= f64::EPSILON { run_rate } else { ytd / share }
        }
        Method::Snaive => match s.years.get(&(year - 1)) {
            Some(last) if last.iter().skip(month as usize).all(Option::is_some) => {
                ytd + last.iter().skip(month as usize).flatten().sum::<f64>()
            }
            _ => run_rate,
        },
        Method::HoltWinters | Method::Damped => {
            smoothed(s, year, month, holt_winters::fit_quick(&s.monthly(year, month), 12, method == Method::Damped))
        }
    }
}

/// The outturns by `holt_winters` and `damped` at once.
fn smoothing_both(s: &Series, year: i32, month: u32) -> [f64; 2] {
    holt_winters::fit_quick_both(&s.monthly(year, month), 12).map(|fitted| smoothed(s, year, month, fitted))
}

/// The outturn from a smoothing fit of every month up to `month`: the year to date and the
/// months after it forecast (the run rate without a fit).
fn smoothed(s: &Series, year: i32, month: u32, fitted: Result<holt_winters::Fitted, crate::ForecastError>) -> f64 {
    let ytd = s.to_date(year, month);
    match fitted {
        Ok(f) if month < 12 => {
            ytd + holt_winters::forecast(&f.run, f.params.phi, 12 - month as usize).iter().sum::<f64>()
        }
        Ok(_) => ytd,
        Err(_) => {
            if month == 0 {
                0.0
            } else {
                ytd * 12.0 / f64::from(month)
            }
        }
    }
}

/// The weighted absolute percentage error over `years` of `forecasts` (one a year, each
/// made as of its own month from the data before it); none without a training year.
fn wape(s: &Series, years: &[i32], forecasts: &[f64]) -> Option<f64> {
    let (mut err, mut total) = (0.0, 0.0);
    for (&y, f) in years.iter().zip(forecasts) {
        let actual = s.total(y)?;
        err += (f - actual).abs();
        total += actual.abs();
    }
    (!years.is_empty() && total > 0.0).then(|| err / total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Years whose spending is back-loaded (December a quarter of the year).
    fn late_spender(years: std::ops::RangeInclusive<i32>) -> Series {
        let shape = [4.0, 5.0, 6.0, 6.0, 7.0, 7.0, 7.0, 8.0, 8.0, 9.0, 10.0, 23.0];
        let mut s = Series::default();
        for y in years {
            let growth = 1.0 + 0.05 * f64::from(y - 2021);
            for (m, v) in shape.iter().enumerate() {
                s.set(y, m as u32 + 1, v * growth);
            }
        }
        s
    }

    #[test]
    fn a_late_spender_is_forecast_by_its_profile_not_its_run_rate() {
        let s = late_spender(2021..=2025);
        let actual = 100.0 * 1.2;
        let rr = forecast(&s, 2025, 6, Method::RunRate).outturn;
        let auto = forecast(&s, 2025, 6, Method::Auto);
        assert!((rr - actual).abs() > 0.2 * actual, "run rate misses: {rr}");
        assert!((auto.outturn - actual).abs() < 0.02 * actual, "{auto:?}");
        assert_ne!(auto.method, Method::RunRate);
        assert!(auto.p10.is_some() && auto.p10 <= auto.p90, "{auto:?}");
        // The early signals from the same outcomes: certain above nothing, never above twice.
        assert_eq!((auto.p_above(0.0), auto.p_above(2.0 * actual)), (Some(1.0), Some(0.0)));
        assert_eq!(auto.p_below(0.5 * actual), Some(0.0));
        assert_eq!(forecast(&late_spender(2025..=2025), 2025, 6, Method::Auto).p_above(0.0), None, "no training year");
    }

    #[test]
    fn a_backtest_scores_each_method_on_the_held_out_year_from_what_was_known_then() {
        let series = vec![late_spender(2021..=2025), late_spender(2019..=2025)];
        let scored = backtest(&series, 2025, &[3, 6, 9, 11], &[Method::RunRate, Method::Profile, Method::Auto], 2);
        let one = backtest(&series, 2025, &[3, 6, 9, 11], &[Method::RunRate, Method::Profile, Method::Auto], 1);
        assert_eq!(scored, one, "the same on one thread and two");
        let by = |m: Method| scored.iter().find(|b| b.method == m).expect("scored");
        // Two series × four origins, each with two or more earlier years for its band.
        assert_eq!((by(Method::RunRate).forecasts, by(Method::RunRate).banded), (8, 8), "{scored:?}");
        // A late spender: the run rate misses by a fifth or more, the profile hardly at all.
        assert!(by(Method::RunRate).wape > 0.2, "{scored:?}");
        assert!(by(Method::Profile).wape < 0.01, "{scored:?}");
        assert!(by(Method::Auto).wape <= 0.8 * by(Method::RunRate).wape, "{scored:?}");
        assert!(by(Method::Profile).coverage.is_some_and(|c| c > 0.5), "{scored:?}");
        // A year not yet complete is not scored.
        let mut open = late_spender(2024..=2025);
        open.years.get_mut(&2025).expect("2025")[11] = None;
        assert_eq!(backtest(&[open], 2025, &[6], &[Method::RunRate], 2)[0].forecasts, 0);
    }

    #[test]
    fn without_history_it_is_the_run_rate() {
        let mut s = Series::default();
        for m in 1..=3 {
            s.set(2025, m, 10.0);
        }
        let f = forecast(&s, 2025, 3, Method::Auto);
        assert_eq!((f.method, f.outturn, f.p10), (Method::RunRate, 120.0, None));
    }

    proptest! {
        // Each case fits Holt-Winters for every training year: a few dozen cases suffice.
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn nothing_after_the_as_of_month_changes_a_forecast(
            month in 1u32..12,
            later in proptest::collection::vec(0.0f64..1000.0, 12),
            method in prop_oneof![Just(Method::RunRate), Just(Method::Profile), Just(Method::Snaive), Just(Method::Auto)],
        ) {
            let s = late_spender(2021..=2025);
            let mut changed = s.clone();
            for (i, v) in later.iter().enumerate().skip(month as usize) {
                changed.set(2025, i as u32 + 1, *v);
            }
            changed.set(2026, 1, later[0]);
            prop_assert_eq!(forecast(&s, 2025, month, method), forecast(&changed, 2025, month, method));
        }
    }
}
