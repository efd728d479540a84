//! Monte Carlo simulation of how an investment programme feeds local debt risk
//! (蒙特卡洛模拟评估基建投资对地方债务风险的传导效应): drivers with distributions and a
//! correlation, an investment path and the debt identity per region, N paths from a seed;
//! the debt ratio (债务率 = debt ÷ fiscal capacity) per region and year as a fan of
//! quantiles; a one-at-a-time tornado and Sobol' indices of the last year's ratio.
//!
//! The debt identity, per region and year t (amounts in the scenario's unit, e.g. 亿元):
//!
//! ```text
//! capacity(t) = capacity(t−1) · (1 + growth)
//! debt(t)     = debt(t−1) · (1 + rate) + investment(t) · (1 + overrun) · financed − repayment(t)
//! ratio(t)    = debt(t) / capacity(t)
//! ```
//!
//! `growth` (fiscal capacity's growth), `rate` (interest capitalised on the debt), `overrun`
//! (the investment's cost overrun) and `financed` (the share borrowed) are the drivers; a
//! driver the scenario does not give is fixed (growth, rate and overrun 0; financed the
//! region's own share, else 1). Each path draws each driver once, for the whole horizon (a
//! scenario's persistent conditions); the draws are correlated by a Gaussian copula (the
//! correlation's Cholesky factor on standard normals, each marginal by its inverse
//! distribution function). A path's numbers depend only on the seed and the path's index,
//! so the result is the same on one thread or many.

use crate::ForecastError;
use crate::rng::Rng;
use crate::sobol;
use bw_core::special;

/// A driver's distribution.
#[derive(Clone, Debug, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(tag = "dist", rename_all = "lowercase")]
pub enum Dist {
    Normal {
        mean: f64,
        sd: f64,
    },
    /// The logarithm is normal with `mu` and `sigma`.
    Lognormal {
        mu: f64,
        sigma: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    /// Beta-PERT on [min, max] with the mode's weight 4.
    Pert {
        min: f64,
        mode: f64,
        max: f64,
    },
}

#[derive(Clone, Debug, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct Driver {
    pub name: String,
    #[serde(flatten)]
    pub dist: Dist,
}

#[derive(Clone, Debug, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct Region {
    pub code: String,
    #[serde(default)]
    pub name: Option<String>,
    /// Debt at the start.
    pub debt: f64,
    /// Fiscal capacity (综合财力) at the start.
    pub capacity: f64,
    /// Investment per year of the horizon.
    pub investment: Vec<f64>,
    /// Repayment of principal per year.
    pub repayment: Vec<f64>,
    /// The share of the investment borrowed when no `financed` driver is given.
    #[serde(default)]
    pub financed: Option<f64>,
}

/// A scenario as its TOML file writes it.
#[derive(Clone, Debug, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct Scenario {
    #[serde(default)]
    pub name: String,
    pub years: Vec<i32>,
    #[serde(default = "default_paths")]
    pub paths: usize,
    #[serde(default)]
    pub seed: u64,
    /// The warning line of the debt ratio (default 1.2: 120 %).
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    #[serde(default, rename = "driver")]
    pub drivers: Vec<Driver>,
    /// The drivers' correlation matrix, in their order (identity when absent).
    #[serde(default)]
    pub correlation: Option<Vec<Vec<f64>>>,
    #[serde(rename = "region")]
    pub regions: Vec<Region>,
}

fn default_paths() -> usize {
    10_000
}

fn default_threshold() -> f64 {
    1.2
}

const DRIVERS: [&str; 4] = ["growth", "rate", "overrun", "financed"];

/// One year's distribution of a ratio over the paths.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Band {
    pub year: i32,
    pub mean: f64,
    /// The standard deviation over the paths.
    pub sd: f64,
    pub p5: f64,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    /// The share of paths above the scenario's threshold.
    pub p_over: f64,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RegionBands {
    pub code: String,
    pub name: Option<String>,
    pub years: Vec<Band>,
}

/// A run's result.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Outcome {
    pub name: String,
    pub seed: u64,
    pub paths: usize,
    pub threshold: f64,
    /// All regions together: total debt ÷ total capacity.
    pub total: Vec<Band>,
    pub regions: Vec<RegionBands>,
}

impl Scenario {
    /// The ratios a run keeps: paths × (regions + 1) × years (a server bounds it).
    pub fn cells(&self) -> usize {
        self.paths.saturating_mul(self.regions.len() + 1).saturating_mul(self.years.len())
    }

    /// The scenario's mistakes, each named.
    pub fn check(&self) -> Result<(), ForecastError> {
        let bad = |m: String| Err(ForecastError::Input(m));
        if self.years.is_empty() {
            return bad("years: at least one year".into());
        }
        if self.regions.is_empty() {
            return bad("region: at least one region".into());
        }
        if self.paths == 0 {
            return bad("paths: at least one path".into());
        }
        let t = self.years.len();
        for r in &self.regions {
            if r.investment.len() != t || r.repayment.len() != t {
                return bad(format!("region {}: investment and repayment need one value per year ({t})", r.code));
            }
            if r.capacity <= 0.0 {
                return bad(format!("region {}: capacity must be positive", r.code));
            }
        }
        for (i, d) in self.drivers.iter().enumerate() {
            if !DRIVERS.contains(&d.name.as_str()) {
                return bad(format!("driver {}: not one of {}", d.name, DRIVERS.join(", ")));
            }
            if self.drivers[..i].iter().any(|e| e.name == d.name) {
                return bad(format!("driver {}: given twice", d.name));
            }
            let ok = match d.dist {
                Dist::Normal { sd, .. } => sd >= 0.0,
                Dist::Lognormal { sigma, .. } => sigma >= 0.0,
                Dist::Triangular { min, mode, max } | Dist::Pert { min, mode, max } => min <= mode && mode <= max,
            };
            if !ok {
                return bad(format!("driver {}: the distribution's parameters are out of order", d.name));
            }
        }
        if let Some(c) = &self.correlation {
            let d = self.drivers.len();
            if c.len() != d || c.iter().any(|row| row.len() != d) {
                return bad(format!("correlation: a {d} × {d} matrix in the drivers' order"));
            }
            if cholesky(c).is_none() {
                return bad("correlation: not symmetric positive definite with a unit diagonal".into());
            }
        }
        Ok(())
    }
}

/// The lower Cholesky factor of a correlation matrix; none when it is not one.
fn cholesky(c: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let d = c.len();
    let unit = (0..d).all(|i| (c[i][i] - 1.0).abs() <= 1e-12);
    let symmetric = (0..d).all(|i| (0..i).all(|j| (c[i][j] - c[j][i]).abs() <= 1e-12));
    if unit && symmetric { crate::linalg::cholesky(c) } else { None }
}

/// Φ(z), the standard normal distribution function.
fn phi(z: f64) -> f64 {
    let tail = 0.5 * special::normal_two_sided(z);
    if z >= 0.0 { 1.0 - tail } else { tail }
}

/// x with F(x) = u for an increasing F on [lo, hi], by bisection to the last bit.
fn invert(f: impl Fn(f64) -> f64, u: f64, mut lo: f64, mut hi: f64) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if f(mid) < u { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

impl Dist {
    /// The value at standard normal deviate `z` (the copula's coordinate).
    fn at_normal(&self, z: f64) -> f64 {
        match *self {
            Dist::Normal { mean, sd } => mean + sd * z,
            Dist::Lognormal { mu, sigma } => (mu + sigma * z).exp(),
            _ => self.at_uniform(phi(z)),
        }
    }

    /// The value at probability `u` (the inverse distribution function).
    pub fn at_uniform(&self, u: f64) -> f64 {
        let u = u.clamp(1e-300, 1.0 - 1e-16);
        match *self {
            Dist::Normal { mean, sd } => mean + sd * invert(phi, u, -40.0, 40.0),
            Dist::Lognormal { mu, sigma } => (mu + sigma * invert(phi, u, -40.0, 40.0)).exp(),
            Dist::Triangular { min, mode, max } => {
                if max == min {
                    return mode;
                }
                let cut = (mode - min) / (max - min);
                if u < cut {
                    min + (u * (max - min) * (mode - min)).sqrt()
                } else {
                    max - ((1.0 - u) * (max - min) * (max - mode)).sqrt()
                }
            }
            Dist::Pert { min, mode, max } => {
                if max == min {
                    return mode;
                }
                let a = 1.0 + 4.0 * (mode - min) / (max - min);
                let b = 1.0 + 4.0 * (max - mode) / (max - min);
                min + (max - min) * invert(|x| special::beta_reg(a, b, x), u, 0.0, 1.0)
            }
        }
    }

    /// The distribution's mean: the centre the tornado moves a driver from.
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Normal { mean, .. } => mean,
            Dist::Lognormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Dist::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Dist::Pert { min, mode, max } => (min + 4.0 * mode + max) / 6.0,
        }
    }
}

/// The drivers' values for one path, in `DRIVERS` order.
#[derive(Clone, Copy, Debug)]
struct Values([f64; 4]);

/// The debt ratio per region and year for driver values `v`, into `out` (region-major),
/// and the total's per year into `total`.
fn project(s: &Scenario, v: Values, out: &mut [f64], total: &mut [f64]) {
    let t = s.years.len();
    let [growth, rate, overrun, financed] = v.0;
    total.iter_mut().for_each(|x| *x = 0.0);
    let mut capacity_sum = vec![0.0; t];
    for (r, region) in s.regions.iter().enumerate() {
        let share = if financed.is_nan() { region.financed.unwrap_or(1.0) } else { financed };
        let (mut debt, mut capacity) = (region.debt, region.capacity);
        for y in 0..t {
            capacity *= 1.0 + growth;
            debt = debt * (1.0 + rate) + region.investment[y] * (1.0 + overrun) * share - region.repayment[y];
            out[r * t + y] = debt / capacity;
            total[y] += debt;
            capacity_sum[y] += capacity;
        }
    }
    for y in 0..t {
        total[y] /= capacity_sum[y];
    }
}

/// The fixed values of the drivers a scenario does not give.
fn fixed_values() -> Values {
    // `financed` as NaN: each region's own share.
    Values([0.0, 0.0, 0.0, f64::NAN])
}

/// Runs the scenario on `threads` threads (at least one).
pub fn run(s: &Scenario, threads: usize) -> Result<Outcome, ForecastError> {
    s.check()?;
    let t = s.years.len();
    let nr = s.regions.len();
    let d = s.drivers.len();
    let identity: Vec<Vec<f64>> = (0..d).map(|i| (0..d).map(|j| if i == j { 1.0 } else { 0.0 }).collect()).collect();
    let l = cholesky(s.correlation.as_ref().unwrap_or(&identity))
        .ok_or_else(|| ForecastError::Input("correlation: not positive definite".into()))?;
    let slots: Vec<usize> =
        s.drivers.iter().map(|dr| DRIVERS.iter().position(|n| *n == dr.name).unwrap_or(0)).collect();
    // Ratios by path: regions × years, then the total's years.
    let width = nr * t + t;
    let mut ratios = vec![0.0; s.paths * width];
    let threads = threads.max(1).min(s.paths);
    let chunk = s.paths.div_ceil(threads);
    std::thread::scope(|scope| {
        for (c, block) in ratios.chunks_mut(chunk * width).enumerate() {
            let (l, slots) = (&l, &slots);
            scope.spawn(move || {
                let mut z = vec![0.0; d];
                for (i, row) in block.chunks_mut(width).enumerate() {
                    let path = (c * chunk + i) as u64;
                    let mut rng = Rng::for_path(s.seed, path);
                    for zi in z.iter_mut() {
                        *zi = rng.normal();
                    }
                    let mut v = fixed_values();
                    for (k, dr) in s.drivers.iter().enumerate() {
                        let x: f64 = (0..=k).map(|m| l[k][m] * z[m]).sum();
                        v.0[slots[k]] = dr.dist.at_normal(x);
                    }
                    let (regions, total) = row.split_at_mut(nr * t);
                    project(s, v, regions, total);
                }
            });
        }
    });
    let band = |year: usize, offset: usize| -> Band {
        let mut xs: Vec<f64> = (0..s.paths).map(|p| ratios[p * width + offset]).collect();
        // Shifted by the first value: a scenario without variance has its value exactly.
        let first = xs[0];
        let mean = first + xs.iter().map(|x| x - first).sum::<f64>() / xs.len() as f64;
        let sd = (xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / xs.len() as f64).sqrt();
        let over = xs.iter().filter(|x| **x > s.threshold).count() as f64 / xs.len() as f64;
        xs.sort_unstable_by(f64::total_cmp);
        Band {
            year: s.years[year],
            mean,
            sd,
            p5: quantile(&xs, 0.05),
            p10: quantile(&xs, 0.10),
            p50: quantile(&xs, 0.50),
            p90: quantile(&xs, 0.90),
            p95: quantile(&xs, 0.95),
            p_over: over,
        }
    };
    let total = (0..t).map(|y| band(y, nr * t + y)).collect();
    let regions = s
        .regions
        .iter()
        .enumerate()
        .map(|(r, region)| RegionBands {
            code: region.code.clone(),
            name: region.name.clone(),
            years: (0..t).map(|y| band(y, r * t + y)).collect(),
        })
        .collect();
    Ok(Outcome { name: s.name.clone(), seed: s.seed, paths: s.paths, threshold: s.threshold, total, regions })
}

/// The q-quantile of sorted values, interpolated linearly between order statistics (numpy's
/// default).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// One bar of the tornado: the last year's total debt ratio with the driver at its mean
/// × (1 − delta) and × (1 + delta), the others at their means.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Bar {
    pub driver: String,
    pub low: f64,
    pub high: f64,
}

/// The sensitivity of the last year's total debt ratio to the drivers.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Sensitivity {
    /// The ratio with every driver at its mean.
    pub base: f64,
    pub delta: f64,
    /// Widest swing first.
    pub tornado: Vec<Bar>,
    /// Sobol' indices per driver (in the scenario's order), the drivers drawn independently.
    pub drivers: Vec<String>,
    pub sobol: sobol::Indices,
    pub n: usize,
}

pub fn sensitivity(s: &Scenario, delta: f64, n: usize) -> Result<Sensitivity, ForecastError> {
    s.check()?;
    let d = s.drivers.len();
    if d == 0 {
        return Err(ForecastError::Input("driver: a sensitivity needs at least one driver".into()));
    }
    if d > sobol::MAX_INPUTS {
        return Err(ForecastError::Input(format!("driver: at most {} drivers", sobol::MAX_INPUTS)));
    }
    let t = s.years.len();
    let slots: Vec<usize> =
        s.drivers.iter().map(|dr| DRIVERS.iter().position(|n| *n == dr.name).unwrap_or(0)).collect();
    let mut regions = vec![0.0; s.regions.len() * t];
    let mut total = vec![0.0; t];
    let mut last = |values: &[f64]| -> f64 {
        let mut v = fixed_values();
        for (k, x) in values.iter().enumerate() {
            v.0[slots[k]] = *x;
        }
        project(s, v, &mut regions, &mut total);
        total[t - 1]
    };
    let means: Vec<f64> = s.drivers.iter().map(|dr| dr.dist.mean()).collect();
    let base = last(&means);
    let mut tornado: Vec<Bar> = (0..d)
        .map(|k| {
            let mut lo = means.clone();
            lo[k] *= 1.0 - delta;
            let mut hi = means.clone();
            hi[k] *= 1.0 + delta;
            Bar { driver: s.drivers[k].name.clone(), low: last(&lo), high: last(&hi) }
        })
        .collect();
    tornado.sort_by(|a, b| (b.high - b.low).abs().total_cmp(&(a.high - a.low).abs()));
    let rows = sobol::saltelli(n, d);
    let y: Vec<f64> = rows
        .iter()
        .map(|u| {
            let values: Vec<f64> = u.iter().zip(&s.drivers).map(|(p, dr)| dr.dist.at_uniform(*p)).collect();
            last(&values)
        })
        .collect();
    Ok(Sensitivity {
        base,
        delta,
        tornado,
        drivers: s.drivers.iter().map(|dr| dr.name.clone()).collect(),
        sobol: sobol::analyze(&y, d),
        n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(drivers: Vec<Driver>) -> Scenario {
        Scenario {
            name: "test".into(),
            years: vec![2026, 2027, 2028],
            paths: 20_000,
            seed: 42,
            threshold: 1.2,
            drivers,
            correlation: None,
            regions: vec![Region {
                code: "R1".into(),
                name: None,
                debt: 100.0,
                capacity: 100.0,
                investment: vec![20.0, 20.0, 20.0],
                repayment: vec![10.0, 10.0, 10.0],
                financed: Some(0.5),
            }],
        }
    }

    #[test]
    fn a_zero_variance_scenario_gives_the_deterministic_path_exactly() {
        let s = scenario(vec![
            Driver { name: "growth".into(), dist: Dist::Normal { mean: 0.05, sd: 0.0 } },
            Driver { name: "rate".into(), dist: Dist::Triangular { min: 0.03, mode: 0.03, max: 0.03 } },
        ]);
        let out = run(&s, 2).expect("run");
        // By hand: capacity 105, debt 100·1.03 + 20·0.5 − 10 = 103.
        let first = &out.total[0];
        assert_eq!((first.p5, first.p95), (103.0 / 105.0, 103.0 / 105.0));
        let mut debt = 100.0;
        let mut capacity = 100.0;
        for band in &out.total {
            capacity *= 1.05;
            debt = debt * 1.03 + 20.0 * 0.5 - 10.0;
            assert_eq!(band.mean, debt / capacity);
            assert_eq!(band.p50, debt / capacity);
        }
    }

    #[test]
    fn a_linear_gaussian_scenario_has_its_analytic_mean_and_variance() {
        // One year, only the overrun random: ratio = (100 + 20·(1 + o)·0.5 − 10)/100 with
        // o ~ N(0.1, 0.2²): mean 1.01, sd 0.02.
        let mut s = scenario(vec![Driver { name: "overrun".into(), dist: Dist::Normal { mean: 0.1, sd: 0.2 } }]);
        s.years = vec![2026];
        for r in &mut s.regions {
            r.investment.truncate(1);
            r.repayment.truncate(1);
        }
        let out = run(&s, 1).expect("run");
        let n = s.paths as f64;
        let band = &out.total[0];
        assert!((band.mean - 1.01).abs() < 4.0 * 0.02 / n.sqrt(), "{band:?}");
        // The median of a normal: within 4 of its standard errors (√(π/2)·σ/√n).
        assert!((band.p50 - 1.01).abs() < 4.0 * 1.2533 * 0.02 / n.sqrt(), "{band:?}");
        // The standard deviation: within 4 of its standard errors (σ/√(2n)).
        assert!((band.sd - 0.02).abs() < 4.0 * 0.02 / (2.0 * n).sqrt(), "{band:?}");
    }

    #[test]
    fn the_result_is_the_same_on_one_thread_or_several() {
        let mut s = scenario(vec![
            Driver { name: "growth".into(), dist: Dist::Normal { mean: 0.04, sd: 0.02 } },
            Driver { name: "overrun".into(), dist: Dist::Pert { min: 0.0, mode: 0.05, max: 0.4 } },
            Driver { name: "rate".into(), dist: Dist::Lognormal { mu: -3.5, sigma: 0.2 } },
        ]);
        s.paths = 999;
        s.correlation = Some(vec![vec![1.0, -0.4, 0.0], vec![-0.4, 1.0, 0.2], vec![0.0, 0.2, 1.0]]);
        assert_eq!(run(&s, 1).expect("run"), run(&s, 3).expect("run"));
        assert_ne!(run(&s, 1).expect("run"), {
            s.seed += 1;
            run(&s, 1).expect("run")
        });
    }

    #[test]
    fn the_inverse_distribution_functions_invert() {
        let pert = Dist::Pert { min: 0.0, mode: 0.2, max: 1.0 };
        let x = pert.at_uniform(0.3);
        assert!((special::beta_reg(1.8, 4.2, x) - 0.3).abs() < 1e-12);
        let tri = Dist::Triangular { min: 0.0, mode: 1.0, max: 3.0 };
        assert!((tri.at_uniform(1.0 / 3.0) - 1.0).abs() < 1e-12, "the mode at F = (mode − min)/(max − min)");
        assert!((Dist::Normal { mean: 0.0, sd: 1.0 }.at_uniform(0.975) - 1.959_963_984_540_054).abs() < 1e-9);
    }

    #[test]
    fn the_tornado_ranks_the_widest_swing_first_and_a_bad_scenario_is_named() {
        let s = scenario(vec![
            Driver { name: "growth".into(), dist: Dist::Normal { mean: 0.05, sd: 0.01 } },
            Driver { name: "overrun".into(), dist: Dist::Normal { mean: 0.01, sd: 0.01 } },
        ]);
        let sens = sensitivity(&s, 0.1, 256).expect("sensitivity");
        assert_eq!(sens.tornado[0].driver, "growth");
        assert!(sens.tornado[0].low > sens.base && sens.tornado[0].high < sens.base, "{sens:?}");
        let mut bad = s.clone();
        bad.drivers[0].name = "inflation".into();
        assert!(matches!(run(&bad, 1), Err(ForecastError::Input(m)) if m.contains("inflation")));
    }
}
