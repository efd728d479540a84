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

/// How many parameter sets `sse_lanes` evaluates together.
pub const LANES: usize = 4;

/// The sums of squared one-step errors of `filter` for `LANES` parameter sets at once,
/// without keeping the fitted values. The lanes' recursions are independent, and one lane's
/// chain of dependent operations leaves the processor idle between its steps, so interleaved
/// they cost little more than one. Each lane does the same operations in the same order as
/// `filter`, so its value is `filter`'s to the bit. The seasonals live in `ring`, one season
/// long and reused between calls, so a fit's many evaluations allocate nothing.
pub fn sse_lanes<const L: usize>(y: &[f64], p: &[Params; L], init: &States, ring: &mut [[f64; L]]) -> [f64; L] {
    let m = init.seasonals.len();
    for (r, s) in ring.iter_mut().zip(&init.seasonals) {
        *r = [*s; L];
    }
    let alpha = p.map(|p| p.alpha);
    let keep_level = p.map(|p| 1.0 - p.alpha);
    let beta = p.map(|p| p.beta);
    // `(1 − β) φ b` is evaluated left to right in `filter`: the product (1 − β) φ first.
    let keep_trend = p.map(|p| (1.0 - p.beta) * p.phi);
    let phi = p.map(|p| p.phi);
    let gamma = p.map(|p| p.gamma);
    let keep_season = p.map(|p| 1.0 - p.gamma);
    let (mut l, mut b, mut sse) = ([init.level; L], [init.trend; L], [0.0; L]);
    for season in y.chunks(m) {
        for (r, &v) in ring.iter_mut().zip(season) {
            for j in 0..L {
                let st = r[j];
                let base = l[j] + phi[j] * b[j];
                let f = base + st;
                sse[j] += (v - f) * (v - f);
                let level = alpha[j] * (v - st) + keep_level[j] * base;
                b[j] = beta[j] * (level - l[j]) + keep_trend[j] * b[j];
                r[j] = gamma[j] * (v - base) + keep_season[j] * st;
                l[j] = level;
            }
        }
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
    let mut one_by_one = |points: &[((), Point)], values: &mut [f64]| {
        for ((_, u), v) in points.iter().zip(values.iter_mut()) {
            *v = evaluate(&u[..dims]);
        }
    };
    let mut search = |start: &[f64], step: f64| -> (f64, Vec<f64>) {
        let mut s = [((), Search::new(start, step, 3000, EXACT, false))];
        run(&mut s, &mut one_by_one);
        let (v, u) = s[0].1.best();
        (v, u[..dims].to_vec())
    };
    for (_, start) in grid.iter().take(3) {
        let found = search(start, 0.1);
        // A restart from where it stopped, with a fresh simplex, escapes a collapsed one.
        let again = search(&found.1, 0.02);
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
    let [fitted] = quick(y, m, [damped]);
    fitted
}

/// `fit_quick` of the undamped and the damped model of `y`, in that order: the two fits
/// share the series and its initial states, so their evaluations run side by side in the
/// lanes of `sse_lanes` — each fit exactly as alone, for little more than the time of one.
pub fn fit_quick_both(y: &[f64], m: usize) -> [Result<Fitted, ForecastError>; 2] {
    quick(y, m, [false, true])
}

fn quick<const N: usize>(y: &[f64], m: usize, damped: [bool; N]) -> [Result<Fitted, ForecastError>; N] {
    if m < 2 || y.len() < 2 * m {
        let e = format!("{} observations: at least two seasons of {m} are needed", y.len());
        return damped.map(|_| Err(ForecastError::Input(e.clone())));
    }
    if let Some(bad) = y.iter().find(|v| !v.is_finite()) {
        return damped.map(|_| Err(ForecastError::Input(format!("a value is not a finite number: {bad}"))));
    }
    let first = y[..m].iter().sum::<f64>() / m as f64;
    let second = y[m..2 * m].iter().sum::<f64>() / m as f64;
    let states = States {
        level: first,
        trend: (second - first) / m as f64,
        seasonals: y[..m].iter().map(|v| v - first).collect(),
    };
    // The points asked for are evaluated eight at a time (four when no more are asked), a
    // lane left over repeating the last point.
    let (mut ring8, mut ring4) = (vec![[0.0; 8]; m], vec![[0.0; 4]; m]);
    let mut evaluate = |points: &[(bool, Point)], values: &mut [f64]| {
        for (points, values) in points.chunks(8).zip(values.chunks_mut(8)) {
            let at = |j: usize| {
                let (damped, u) = &points[j.min(points.len() - 1)];
                params_of(u, *damped)
            };
            if points.len() <= 4 {
                let p: [Params; 4] = std::array::from_fn(at);
                values.copy_from_slice(&sse_lanes(y, &p, &states, &mut ring4)[..values.len()]);
            } else {
                let p: [Params; 8] = std::array::from_fn(at);
                values.copy_from_slice(&sse_lanes(y, &p, &states, &mut ring8)[..values.len()]);
            }
        }
    };
    // The grid spans α, β and γ; a damped fit's φ starts mid-range and is left to the search
    // (a grid over φ as well cost five times the evaluations for the same forecasts).
    let grid: Vec<(bool, Point)> = damped
        .iter()
        .flat_map(|&damped| {
            (0..125).map(move |k| {
                let mut u = [0.0; 4];
                for (d, v) in u[..3].iter_mut().enumerate() {
                    *v = (k / 5usize.pow(d as u32) % 5) as f64 / 4.0;
                }
                u[3] = 0.5;
                (damped, u)
            })
        })
        .collect();
    let mut values = vec![0.0; grid.len()];
    evaluate(&grid, &mut values);
    let starts: [Option<(f64, Point)>; N] = std::array::from_fn(|i| {
        let mut best: Option<(f64, Point)> = None;
        for (u, &sse) in grid[i * 125..(i + 1) * 125].iter().zip(&values[i * 125..(i + 1) * 125]) {
            if sse.is_finite() && best.as_ref().is_none_or(|b| sse < b.0) {
                best = Some((sse, u.1));
            }
        }
        best
    });
    let dims = |damped: bool| if damped { 4 } else { 3 };
    // The searches of the models with a finite start, side by side.
    let mut searches: Vec<(bool, Search)> = Vec::with_capacity(N);
    let mut of_search = Vec::with_capacity(N);
    for (i, start) in starts.iter().enumerate() {
        if let Some((_, u)) = start {
            searches.push((damped[i], Search::new(&u[..dims(damped[i])], 0.1, 600, QUICK, true)));
            of_search.push(i);
        }
    }
    run(&mut searches, &mut evaluate);
    let mut found: [Option<(f64, Point)>; N] = [None; N];
    for ((_, s), &i) in searches.iter().zip(&of_search) {
        found[i] = Some(s.best());
    }
    std::array::from_fn(|i| {
        let (sse, start) = starts[i].ok_or_else(|| ForecastError::Input("no finite fit".into()))?;
        let u = match found[i] {
            Some((v, u)) if v < sse => u,
            _ => start,
        };
        let params = params_of(&u, damped[i]);
        let run = filter(y, params, &states);
        Ok(Fitted { params, states: states.clone(), run })
    })
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
/// The quick fit of the outturn forecasts: the search stops when the simplex's error sums
/// agree to a millionth (or its points to a millionth of the parameters' range). Stopping at
/// a ten-billionth took twice the iterations and moved the demo's backtest errors only in
/// their fifth digit (docs/FORECAST.md).
const QUICK: Tolerance = Tolerance { f: 1e-6, x: 1e-6 };

/// A point of the search: the first `d` coordinates are used (3, or 4 with φ).
type Point = [f64; 4];

/// Where a search stands: what it asked for last.
#[derive(Clone, Copy, PartialEq)]
enum Phase {
    Start,
    Step,
    Shrink,
    Done,
}

/// Nelder-Mead minimisation on the unit cube (points clamped into it) from a start, with an
/// initial simplex of edge `step`, written as a state machine: it asks for the values at
/// some points (`wants`) and goes on when given them (`give`). So several searches can run
/// side by side, their points evaluated together (`run`), and each takes exactly the steps
/// it would alone.
struct Search {
    d: usize,
    tol: Tolerance,
    /// Whether a step asks for every point it may need at once — the reflection, the
    /// expansion and both contractions — where evaluating four costs about what one does
    /// (lanes); otherwise one at a time, as each is needed.
    speculate: bool,
    left: usize,
    simplex: Vec<(f64, Point)>,
    candidates: [Point; 4],
    known: [Option<f64>; 4],
    /// The points asked for, and (in a step) which candidate each is.
    wants: Vec<Point>,
    asked: Vec<usize>,
    phase: Phase,
}

impl Search {
    fn new(start: &[f64], step: f64, iterations: usize, tol: Tolerance, speculate: bool) -> Search {
        let d = start.len();
        let mut first = [0.0; 4];
        first[..d].copy_from_slice(start);
        let mut wants = vec![first; d + 1];
        for (i, x) in wants[1..].iter_mut().enumerate() {
            x[i] = if x[i] + step <= 1.0 { x[i] + step } else { x[i] - step };
            clamp(x, d);
        }
        Search {
            d,
            tol,
            speculate,
            left: iterations,
            simplex: Vec::with_capacity(d + 1),
            candidates: [[0.0; 4]; 4],
            known: [None; 4],
            wants,
            asked: Vec::with_capacity(4),
            phase: Phase::Start,
        }
    }

    fn give(&mut self, values: &[f64]) {
        match self.phase {
            Phase::Start => {
                self.simplex.extend(values.iter().copied().zip(self.wants.iter().copied()));
                self.iterate();
            }
            Phase::Step => {
                for (&i, &v) in self.asked.iter().zip(values) {
                    self.known[i] = Some(v);
                }
                self.decide();
            }
            Phase::Shrink => {
                for (p, (&v, &x)) in self.simplex[1..].iter_mut().zip(values.iter().zip(&self.wants)) {
                    *p = (v, x);
                }
                self.iterate();
            }
            Phase::Done => {}
        }
    }

    /// The next iteration: stop when the simplex's values (or points) are close enough or
    /// the iterations are spent; otherwise the step's candidates along the worst point.
    fn iterate(&mut self) {
        let d = self.d;
        if self.left == 0 {
            return self.finish();
        }
        self.left -= 1;
        let simplex = &mut self.simplex;
        simplex.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (best, worst) = (simplex[0].0, simplex[d].0);
        if (worst - best).abs() <= self.tol.f * best.abs().max(1e-300) {
            return self.finish();
        }
        let spread = (0..d)
            .map(|k| simplex.iter().map(|p| (p.1[k] - simplex[0].1[k]).abs()).fold(0.0, f64::max))
            .fold(0.0, f64::max);
        if spread < self.tol.x {
            return self.finish();
        }
        let mut centroid = [0.0; 4];
        for (k, c) in centroid[..d].iter_mut().enumerate() {
            *c = simplex[..d].iter().map(|p| p.1[k]).sum::<f64>() / d as f64;
        }
        // Reflection, expansion, outside and inside contraction.
        for (x, t) in self.candidates.iter_mut().zip([-1.0, -2.0, -0.5, 0.5]) {
            for k in 0..d {
                x[k] = centroid[k] + t * (simplex[d].1[k] - centroid[k]);
            }
            clamp(x, d);
        }
        self.known = [None; 4];
        self.phase = Phase::Step;
        self.wants.clear();
        self.asked.clear();
        if self.speculate {
            self.wants.extend(self.candidates);
            self.asked.extend(0..4);
        } else {
            self.ask(0);
        }
    }

    fn ask(&mut self, i: usize) {
        self.wants.clear();
        self.asked.clear();
        self.wants.push(self.candidates[i]);
        self.asked.push(i);
    }

    /// The step, from the candidates' values known so far (asking for the next one needed).
    fn decide(&mut self) {
        let d = self.d;
        let Some(fr) = self.known[0] else { return self.ask(0) };
        if fr < self.simplex[0].0 {
            let Some(fe) = self.known[1] else { return self.ask(1) };
            self.simplex[d] = if fe < fr { (fe, self.candidates[1]) } else { (fr, self.candidates[0]) };
        } else if fr < self.simplex[d - 1].0 {
            self.simplex[d] = (fr, self.candidates[0]);
        } else {
            let c = if fr < self.simplex[d].0 { 2 } else { 3 };
            let Some(fc) = self.known[c] else { return self.ask(c) };
            if fc < self.simplex[d].0.min(fr) {
                self.simplex[d] = (fc, self.candidates[c]);
            } else {
                // Shrink every point towards the best.
                let best = self.simplex[0].1;
                self.wants.clear();
                for p in &self.simplex[1..] {
                    let mut x = [0.0; 4];
                    for k in 0..d {
                        x[k] = best[k] + 0.5 * (p.1[k] - best[k]);
                    }
                    clamp(&mut x, d);
                    self.wants.push(x);
                }
                self.phase = Phase::Shrink;
                return;
            }
        }
        self.iterate();
    }

    fn finish(&mut self) {
        self.simplex.sort_by(|a, b| a.0.total_cmp(&b.0));
        self.phase = Phase::Done;
        self.wants.clear();
    }

    /// The best value and point.
    fn best(&self) -> (f64, Point) {
        self.simplex[0]
    }
}

fn clamp(x: &mut Point, d: usize) {
    for v in &mut x[..d] {
        *v = v.clamp(0.0, 1.0);
    }
}

/// Evaluates points, each with its search's tag, into the values.
type Evaluate<'a, T> = dyn FnMut(&[(T, Point)], &mut [f64]) + 'a;

/// Runs `searches` to their ends, the points every running search asks for evaluated
/// together by `evaluate`, each point with its search's tag.
fn run<T: Copy>(searches: &mut [(T, Search)], evaluate: &mut Evaluate<'_, T>) {
    let (mut asked, mut values) = (Vec::new(), Vec::new());
    loop {
        asked.clear();
        for (tag, s) in searches.iter() {
            asked.extend(s.wants.iter().map(|p| (*tag, *p)));
        }
        if asked.is_empty() {
            return;
        }
        values.resize(asked.len(), 0.0);
        evaluate(&asked, &mut values);
        let mut at = 0;
        for (_, s) in searches.iter_mut() {
            let n = s.wants.len();
            s.give(&values[at..at + n]);
            at += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lanes_sse_is_the_filters_to_the_bit() {
        let y: Vec<f64> =
            (0..50).map(|t| 100.0 + t as f64 + 10.0 * ((t % 12) as f64 - 5.5) + ((t * 7) % 5) as f64).collect();
        let init = States { level: 95.0, trend: 1.2, seasonals: (0..12).map(|k| k as f64 - 5.5).collect() };
        let mut ring = vec![[0.0; LANES]; 12];
        let p = [(0.3, 0.1, 0.2, 1.0), (0.9, 0.05, 0.01, 0.9), (0.0, 0.0, 0.0, 0.98), (1.0, 0.7, 0.0, 0.8)]
            .map(|(alpha, beta, gamma, phi)| Params { alpha, beta, gamma, phi });
        let lanes = sse_lanes(&y, &p, &init, &mut ring);
        for (p, sse) in p.iter().zip(lanes) {
            assert_eq!(sse.to_bits(), filter(&y, *p, &init).sse.to_bits(), "{p:?}");
        }
        // The ring left by a call changes nothing in the next.
        assert_eq!(sse_lanes(&y, &p, &init, &mut ring).map(f64::to_bits), lanes.map(f64::to_bits));
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
    fn the_two_models_fitted_side_by_side_are_each_fitted_as_alone() {
        let y: Vec<f64> = (0..40).map(|t| series()[t % 24] + 0.2 * t as f64).collect();
        let [undamped, damped] = fit_quick_both(&y, 4);
        for (both, alone) in [(undamped, fit_quick(&y, 4, false)), (damped, fit_quick(&y, 4, true))] {
            let (both, alone) = (both.expect("both"), alone.expect("alone"));
            assert_eq!(both.params, alone.params);
            assert_eq!(both.run.sse.to_bits(), alone.run.sse.to_bits());
            assert_eq!(forecast(&both.run, both.params.phi, 4), forecast(&alone.run, alone.params.phi, 4));
        }
        assert!(fit_quick_both(&y[..7], 4).iter().all(Result::is_err), "two seasons at least");
    }

    #[test]
    fn a_search_asking_for_every_candidate_at_once_takes_the_steps_of_one_asking_as_it_goes() {
        // A valley with its floor inside the cube and one at its edge.
        let f = |u: &Point| (u[0] - 0.3).powi(2) + 10.0 * (u[1] - u[0] * u[0]).powi(2) + (u[2] - 1.2).powi(2);
        let mut calls = [0usize; 2];
        let mut found = Vec::new();
        for (i, speculate) in [false, true].into_iter().enumerate() {
            let mut s = [((), Search::new(&[0.9, 0.1, 0.5], 0.1, 500, QUICK, speculate))];
            run(&mut s, &mut |points: &[((), Point)], values: &mut [f64]| {
                calls[i] += points.len();
                for ((_, u), v) in points.iter().zip(values.iter_mut()) {
                    *v = f(u);
                }
            });
            found.push(s[0].1.best());
        }
        assert_eq!(found[0].0.to_bits(), found[1].0.to_bits());
        assert_eq!(found[0].1, found[1].1);
        assert!((found[0].1[0] - 0.3).abs() < 1e-2 && found[0].1[2] == 1.0, "{:?}", found[0]);
        // Speculation evaluates more points, each step's in one call.
        assert!(calls[1] > calls[0], "{calls:?}");
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
