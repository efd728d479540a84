//! Additive Holt-Winters smoothing with an additive (optionally damped) trend and additive
//! seasons of period m, in the error-correction form statsmodels' `ExponentialSmoothing`
//! uses, so that its figures can be compared:
//!
//! ```text
//! ŷ(t)   = l(t−1) + φ b(t−1) + s(t−m)
//! l(t)   = α (y(t) − s(t−m)) + (1 − α) (l(t−1) + φ b(t−1))
//! b(t)   = β (l(t) − l(t−1)) + (1 − β) φ b(t−1)
//! s(t)   = γ (y(t) − l(t−1) − φ b(t−1)) + (1 − γ) s(t−m)
//! ŷ(n+h) = l(n) + (φ + … + φ^h) b(n) + s(n + h − m(⌊(h−1)/m⌋ + 1))
//! ```
//!
//! The forecast takes each season's latest factor (Hyndman and Athanasopoulos, FPP §8.3);
//! statsmodels up to 0.15.0 takes the one a season older at horizons m, 2m, … (its issue
//! #9538, fixed by its pull request #10230), so at those horizons the two differ.
//!
//! Fitting minimises the sum of squared one-step errors. The fitted values are linear in
//! the initial states for given smoothing parameters, so the states are solved exactly by
//! least squares (the seasons summing to zero, which loses nothing: a constant moved from
//! the seasons to the level changes no fitted value) and only α, β, γ (and φ) are searched:
//! a grid, then Nelder-Mead from its best points, within statsmodels' bounds
//! (0 ≤ α ≤ 1, 0 ≤ β ≤ α, 0 ≤ γ ≤ 1 − α, 0.8 ≤ φ ≤ 0.995).

use crate::ForecastError;
use crate::linalg::{Matrix, Qr};

/// Smoothing parameters; `phi` is 1 without damping.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Params {
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
    pub phi: f64,
}

/// The states before the first observation: level, trend and the m seasonal factors, the
/// first of which belongs to the first observation.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct States {
    pub level: f64,
    pub trend: f64,
    pub seasonals: Vec<f64>,
}

/// The smoothing run over the series: one-step fitted values, their squared errors' sum,
/// and the states after the last observation.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub fitted: Vec<f64>,
    pub sse: f64,
    pub level: f64,
    pub trend: f64,
    /// The latest factor of each season, for the periods after the last observation in
    /// order (the first is the next period's).
    pub last_seasonals: Vec<f64>,
}

/// Smooths `y` with parameters `p` from `init`.
pub fn filter(y: &[f64], p: Params, init: &States) -> Run {
    let m = init.seasonals.len();
    let mut s = init.seasonals.clone();
    s.reserve(y.len());
    let (mut l, mut b) = (init.level, init.trend);
    let mut fitted = Vec::with_capacity(y.len());
    let mut sse = 0.0;
    for (t, &v) in y.iter().enumerate() {
        let base = l + p.phi * b;
        let f = base + s[t];
        fitted.push(f);
        sse += (v - f) * (v - f);
        let level = p.alpha * (v - s[t]) + (1.0 - p.alpha) * base;
        b = p.beta * (level - l) + (1.0 - p.beta) * p.phi * b;
        s.push(p.gamma * (v - base) + (1.0 - p.gamma) * s[t]);
        l = level;
    }
    let n = y.len();
    Run { fitted, sse, level: l, trend: b, last_seasonals: s[n..n + m].to_vec() }
}

/// The sum of squared one-step errors of `filter`, the same operations in the same order,
/// without keeping the fitted values: the seasonals in a ring of one season (`ring`, its
/// length the season's, reused between calls), so a fit's many evaluations allocate nothing.
pub fn sse(y: &[f64], p: Params, init: &States, ring: &mut [f64]) -> f64 {
    let m = init.seasonals.len();
    ring.copy_from_slice(&init.seasonals);
    let (mut l, mut b) = (init.level, init.trend);
    let mut sse = 0.0;
    let mut i = 0;
    for &v in y {
        let st = ring[i];
        let base = l + p.phi * b;
        let f = base + st;
        sse += (v - f) * (v - f);
        let level = p.alpha * (v - st) + (1.0 - p.alpha) * base;
        b = p.beta * (level - l) + (1.0 - p.beta) * p.phi * b;
        ring[i] = p.gamma * (v - base) + (1.0 - p.gamma) * st;
        l = level;
        i = if i + 1 == m { 0 } else { i + 1 };
    }
    sse
}

/// The forecasts for the `h` periods after the run.
pub fn forecast(run: &Run, phi: f64, h: usize) -> Vec<f64> {
    let m = run.last_seasonals.len();
    let mut damp = 0.0;
    let mut power = 1.0;
    (0..h)
        .map(|i| {
            power *= phi;
            damp += power;
            run.level + damp * run.trend + run.last_seasonals[i % m]
        })
        .collect()
}

/// What is fixed before fitting; `None` is estimated.
#[derive(Clone, Debug, Default)]
pub struct Fixed {
    pub params: Option<Params>,
    pub states: Option<States>,
}

/// A fitted model.
#[derive(Clone, Debug)]
pub struct Fitted {
    pub params: Params,
    pub states: States,
    pub run: Run,
}

/// Fits the model to `y` with season length `m`, damped or not, keeping what `fixed` fixes.
pub fn fit(y: &[f64], m: usize, damped: bool, fixed: &Fixed) -> Result<Fitted, ForecastError> {
    if m < 2 {
        return Err(ForecastError::Input(format!("the season length must be at least 2, not {m}")));
    }
    if y.len() < 2 * m {
        return Err(ForecastError::Input(format!(
            "{} observations: at least two seasons ({}) are needed",
            y.len(),
            2 * m
        )));
    }
    if let Some(bad) = y.iter().find(|v| !v.is_finite()) {
        return Err(ForecastError::Input(format!("a value is not a finite number: {bad}")));
    }
    if let Some(s) = &fixed.states
        && s.seasonals.len() != m
    {
        return Err(ForecastError::Input(format!("{} seasonal states given for a season of {m}", s.seasonals.len())));
    }
    if let Some(p) = fixed.params {
        for (name, v) in [("alpha", p.alpha), ("beta", p.beta), ("gamma", p.gamma), ("phi", p.phi)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(ForecastError::Input(format!("{name} must lie in [0, 1], not {v}")));
            }
        }
        let states = match &fixed.states {
            Some(s) => s.clone(),
            None => initial_states(y, m, p),
        };
        let run = filter(y, p, &states);
        return Ok(Fitted { params: p, states, run });
    }
    let evaluate = |u: &[f64]| -> f64 {
        let p = params_of(u, damped);
        match &fixed.states {
            Some(s) => filter(y, p, s).sse,
            None => filter(y, p, &initial_states(y, m, p)).sse,
        }
    };
    let dims = if damped { 4 } else { 3 };
    // A grid over the unit cube, then Nelder-Mead from its three best points.
    let steps: Vec<f64> = (0..=5).map(|i| i as f64 / 5.0).collect();
    let mut grid: Vec<(f64, Vec<f64>)> = Vec::new();
    let mut idx = vec![0usize; dims];
    loop {
        let u: Vec<f64> = idx.iter().map(|&i| steps[i]).collect();
        let sse = evaluate(&u);
        if sse.is_finite() {
            grid.push((sse, u));
        }
        let mut d = 0;
        while d < dims {
            idx[d] += 1;
            if idx[d] < steps.len() {
                break;
            }
            idx[d] = 0;
            d += 1;
        }
        if d == dims {
            break;
        }
    }
    grid.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut best = grid.first().cloned().ok_or_else(|| ForecastError::Input("no finite fit".into()))?;
    for (_, start) in grid.iter().take(3) {
        let found = nelder_mead(&evaluate, start, 0.1, 3000, EXACT);
        // A restart from where it stopped, with a fresh simplex, escapes a collapsed one.
        let again = nelder_mead(&evaluate, &found.1, 0.02, 3000, EXACT);
        if found.0 < best.0 {
            best = found;
        }
        if again.0 < best.0 {
            best = again;
        }
    }
    let params = params_of(&best.1, damped);
    let states = match &fixed.states {
        Some(s) => s.clone(),
        None => initial_states(y, m, params),
    };
    let run = filter(y, params, &states);
    Ok(Fitted { params, states, run })
}

/// A cheaper fit for forecasting many series at once (the outturn's candidates and their
/// backtests, dozens of fits a line): heuristic initial states — the first season's mean as
/// the level, the change between the first two seasons' means per period as the trend, the
/// first season's deviations from its mean as the seasonals — and the parameters from a
/// coarse grid refined by one Nelder-Mead run. Each evaluation is one pass of the
/// recursions, where `fit` solves the states by least squares for every candidate: `fit`
/// is the one checked against statsmodels.
pub fn fit_quick(y: &[f64], m: usize, damped: bool) -> Result<Fitted, ForecastError> {
    if m < 2 || y.len() < 2 * m {
        return Err(ForecastError::Input(format!("{} observations: at least two seasons of {m} are needed", y.len())));
    }
    if let Some(bad) = y.iter().find(|v| !v.is_finite()) {
        return Err(ForecastError::Input(format!("a value is not a finite number: {bad}")));
    }
    let first = y[..m].iter().sum::<f64>() / m as f64;
    let second = y[m..2 * m].iter().sum::<f64>() / m as f64;
    let states = States {
        level: first,
        trend: (second - first) / m as f64,
        seasonals: y[..m].iter().map(|v| v - first).collect(),
    };
    let ring = std::cell::RefCell::new(vec![0.0; m]);
    let evaluate = |u: &[f64]| sse(y, params_of(u, damped), &states, &mut ring.borrow_mut());
    // The grid spans α, β and γ; a damped fit's φ starts mid-range and is left to the search
    // (a grid over φ as well cost five times the evaluations for the same forecasts).
    let mut best: Option<(f64, Vec<f64>)> = None;
    for k in 0..125 {
        let mut u: Vec<f64> = (0..3).map(|d| (k / 5usize.pow(d as u32) % 5) as f64 / 4.0).collect();
        if damped {
            u.push(0.5);
        }
        let sse = evaluate(&u);
        if sse.is_finite() && best.as_ref().is_none_or(|b| sse < b.0) {
            best = Some((sse, u));
        }
    }
    let (sse, start) = best.ok_or_else(|| ForecastError::Input("no finite fit".into()))?;
    let found = nelder_mead(&evaluate, &start, 0.1, 600, QUICK);
    let u = if found.0 < sse { found.1 } else { start };
    let params = params_of(&u, damped);
    let run = filter(y, params, &states);
    Ok(Fitted { params, states, run })
}

/// The parameters at a point of the unit cube, within statsmodels' bounds.
fn params_of(u: &[f64], damped: bool) -> Params {
    let c = |v: f64| v.clamp(0.0, 1.0);
    let alpha = c(u[0]);
    Params {
        alpha,
        beta: c(u[1]) * alpha,
        gamma: c(u[2]) * (1.0 - alpha),
        phi: if damped { 0.8 + 0.195 * c(u[3]) } else { 1.0 },
    }
}

/// The initial states that minimise the squared one-step errors for parameters `p`: the
/// fitted values are linear in the states, so each state's effect is one run of the
/// recursions, and the states solve a least-squares problem.
fn initial_states(y: &[f64], m: usize, p: Params) -> States {
    let n = y.len();
    let zero = States { level: 0.0, trend: 0.0, seasonals: vec![0.0; m] };
    let base = filter(y, p, &zero).fitted;
    let target: Vec<f64> = y.iter().zip(&base).map(|(a, b)| a - b).collect();
    let zeros = vec![0.0; n];
    // Unknowns: level, trend, s1 … s(m−1); s(m) = −(s1 + … + s(m−1)).
    let unit = |j: usize| -> States {
        let mut s = zero.clone();
        match j {
            0 => s.level = 1.0,
            1 => s.trend = 1.0,
            j => {
                s.seasonals[j - 2] = 1.0;
                s.seasonals[m - 1] = -1.0;
            }
        }
        s
    };
    let mut active: Vec<usize> = (0..m + 1).collect();
    let columns: Vec<Vec<f64>> = active.iter().map(|&j| filter(&zeros, p, &unit(j)).fitted).collect();
    let mut columns = columns;
    let solution = loop {
        match Qr::new(Matrix::from_columns(n, &columns), 1e-10) {
            Ok(qr) => break qr.solve(&target),
            // A state with no effect of its own at these parameters stays at zero.
            Err(j) => {
                active.remove(j);
                columns.remove(j);
                if active.is_empty() {
                    break Vec::new();
                }
            }
        }
    };
    let mut states = zero;
    for (&j, v) in active.iter().zip(solution) {
        match j {
            0 => states.level = v,
            1 => states.trend = v,
            j => {
                states.seasonals[j - 2] += v;
                states.seasonals[m - 1] -= v;
            }
        }
    }
    states
}

/// Nelder-Mead minimisation on the unit cube (points clamped into it) from `start`, with an
/// initial simplex of edge `step`. The best value and point.
/// When Nelder-Mead stops: the simplex's values within this share of the best, or (for a
/// quick fit) its points within `x` of one another in every parameter.
#[derive(Clone, Copy)]
struct Tolerance {
    f: f64,
    x: f64,
}

/// The full fit, held against statsmodels: to the last bits.
const EXACT: Tolerance = Tolerance { f: 1e-15, x: 0.0 };
/// The quick fit of the outturn forecasts: the parameters to a millionth of their range, the
/// error sum to a ten-billionth — what a forecast in yuan can tell apart.
const QUICK: Tolerance = Tolerance { f: 1e-10, x: 1e-6 };

fn nelder_mead(
    f: &dyn Fn(&[f64]) -> f64,
    start: &[f64],
    step: f64,
    iterations: usize,
    tol: Tolerance,
) -> (f64, Vec<f64>) {
    let d = start.len();
    let clamp = |x: Vec<f64>| -> Vec<f64> { x.into_iter().map(|v| v.clamp(0.0, 1.0)).collect() };
    let mut simplex: Vec<(f64, Vec<f64>)> = Vec::with_capacity(d + 1);
    simplex.push((f(start), start.to_vec()));
    for i in 0..d {
        let mut x = start.to_vec();
        x[i] = if x[i] + step <= 1.0 { x[i] + step } else { x[i] - step };
        let x = clamp(x);
        simplex.push((f(&x), x));
    }
    for _ in 0..iterations {
        simplex.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (best, worst) = (simplex[0].0, simplex[d].0);
        if (worst - best).abs() <= tol.f * best.abs().max(1e-300) {
            break;
        }
        let spread = (0..d)
            .map(|k| simplex.iter().map(|p| (p.1[k] - simplex[0].1[k]).abs()).fold(0.0, f64::max))
            .fold(0.0, f64::max);
        if spread < tol.x {
            break;
        }
        let centroid: Vec<f64> = (0..d).map(|k| simplex[..d].iter().map(|p| p.1[k]).sum::<f64>() / d as f64).collect();
        let along =
            |t: f64| -> Vec<f64> { clamp((0..d).map(|k| centroid[k] + t * (simplex[d].1[k] - centroid[k])).collect()) };
        let reflected = along(-1.0);
        let fr = f(&reflected);
        if fr < simplex[0].0 {
            let expanded = along(-2.0);
            let fe = f(&expanded);
            simplex[d] = if fe < fr { (fe, expanded) } else { (fr, reflected) };
        } else if fr < simplex[d - 1].0 {
            simplex[d] = (fr, reflected);
        } else {
            let contracted = if fr < simplex[d].0 { along(-0.5) } else { along(0.5) };
            let fc = f(&contracted);
            if fc < simplex[d].0.min(fr) {
                simplex[d] = (fc, contracted);
            } else {
                let best = simplex[0].1.clone();
                for p in simplex.iter_mut().skip(1) {
                    let x = clamp((0..d).map(|k| best[k] + 0.5 * (p.1[k] - best[k])).collect());
                    *p = (f(&x), x);
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.0.total_cmp(&b.0));
    simplex.swap_remove(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_is_the_filters_to_the_bit() {
        let y: Vec<f64> =
            (0..50).map(|t| 100.0 + t as f64 + 10.0 * ((t % 12) as f64 - 5.5) + ((t * 7) % 5) as f64).collect();
        let init = States { level: 95.0, trend: 1.2, seasonals: (0..12).map(|k| k as f64 - 5.5).collect() };
        let mut ring = vec![0.0; 12];
        for (alpha, beta, gamma, phi) in [(0.3, 0.1, 0.2, 1.0), (0.9, 0.05, 0.01, 0.9), (0.0, 0.0, 0.0, 0.98)] {
            let p = Params { alpha, beta, gamma, phi };
            assert_eq!(sse(&y, p, &init, &mut ring).to_bits(), filter(&y, p, &init).sse.to_bits());
        }
    }

    fn series() -> Vec<f64> {
        // Level 10, trend 0.5, season [1, −2, 3, −1] and a fixed wiggle.
        (0..24)
            .map(|t| 10.0 + 0.5 * t as f64 + [1.0, -2.0, 3.0, -1.0][t % 4] + 0.3 * ((t * 7 % 5) as f64 - 2.0))
            .collect()
    }

    #[test]
    fn the_recursions_and_the_forecast_take_each_seasons_latest_factor() {
        let y = series();
        let p = Params { alpha: 0.3, beta: 0.1, gamma: 0.2, phi: 1.0 };
        let init = States { level: 10.0, trend: 0.5, seasonals: vec![1.0, -2.0, 3.0, -1.0] };
        let run = filter(&y, p, &init);
        assert_eq!(run.fitted[0], 10.0 + 0.5 + 1.0);
        let f = forecast(&run, 1.0, 8);
        // The fourth step is the last observation's season: its factor updated by it.
        assert_eq!(f[3], run.level + 4.0 * run.trend + run.last_seasonals[3]);
        assert!((f[7] - f[3] - 4.0 * run.trend).abs() < 1e-12);
    }

    #[test]
    fn the_quick_fit_forecasts_near_the_full_one_with_heuristic_states() {
        let y = series();
        let quick = fit_quick(&y, 4, false).expect("quick");
        let full = fit(&y, 4, false, &Fixed::default()).expect("fit");
        // The first season's mean and deviations, the trend between the first two seasons.
        let first = y[..4].iter().sum::<f64>() / 4.0;
        assert!((quick.states.level - first).abs() < 1e-12);
        assert!((quick.states.seasonals.iter().sum::<f64>()).abs() < 1e-9);
        // Worse in-sample than least-squares states, but of the same order, and its forecast
        // close to the full fit's.
        assert!(quick.run.sse < 5.0 * full.run.sse, "{} against {}", quick.run.sse, full.run.sse);
        let (a, b) = (forecast(&quick.run, 1.0, 4), forecast(&full.run, 1.0, 4));
        for (q, f) in a.iter().zip(&b) {
            assert!((q - f).abs() < 0.1 * f.abs(), "{a:?} against {b:?}");
        }
        assert!(fit_quick(&y[..7], 4, false).is_err(), "two seasons at least");
    }

    #[test]
    fn the_fit_recovers_a_noiseless_series_and_is_no_worse_than_given_parameters() {
        let y: Vec<f64> = (0..36).map(|t| 20.0 + 0.7 * t as f64 + [2.0, -1.0, 0.5, -1.5][t % 4]).collect();
        let fitted = fit(&y, 4, false, &Fixed::default()).expect("fit");
        assert!(fitted.run.sse < 1e-12, "{}", fitted.run.sse);
        let y = series();
        let fitted = fit(&y, 4, true, &Fixed::default()).expect("fit");
        let p = Params { alpha: 0.3, beta: 0.1, gamma: 0.2, phi: 0.9 };
        let given = fit(&y, 4, true, &Fixed { params: Some(p), states: None }).expect("fit");
        assert!(fitted.run.sse <= given.run.sse, "{} > {}", fitted.run.sse, given.run.sse);
        assert!(fitted.params.beta <= fitted.params.alpha && fitted.params.gamma <= 1.0 - fitted.params.alpha);
    }

    #[test]
    fn too_short_a_series_is_refused() {
        assert!(matches!(fit(&[1.0; 7], 4, false, &Fixed::default()), Err(ForecastError::Input(_))));
    }
}
