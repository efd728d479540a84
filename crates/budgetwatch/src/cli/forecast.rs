//! Forecasting on a CSV file (least squares, Holt-Winters smoothing) and Monte Carlo
//! simulation of a scenario file (bw-forecast), for analysts who bring their own figures;
//! no database.

use super::*;
use bw_forecast::holt_winters::{self, Fixed, Params, States};
use bw_forecast::ols::{self, Cov};
use std::collections::BTreeMap;

#[derive(Subcommand)]
pub(super) enum ForecastCommand {
    /// Ordinary least squares on a numeric CSV (header row): COLUMN is the dependent
    /// variable, an intercept is added and every other column is a regressor, in file
    /// order. Prints n, k (coefficients with the intercept), each coefficient's estimate,
    /// standard error, t and p, R², adjusted R², F and its p.
    Ols {
        file: PathBuf,
        /// The dependent variable's column.
        #[arg(long)]
        y: String,
        /// Robust standard errors: hc1 (White's, scaled by n/(n−k); p from the normal
        /// distribution and a Wald F, as statsmodels reports them).
        #[arg(long)]
        robust: Option<String>,
        /// A CSV of new regressor rows (the same columns without COLUMN): adds each row's
        /// prediction with its 95 % prediction interval.
        #[arg(long)]
        predict: Option<PathBuf>,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Year-end outturn forecasts over the database's own figures: each indicator's monthly
    /// payments of every year up to YEAR, summed by indicator, unit, department or region (or each revenue line against its target),
    /// forecast as of the end of MONTH, with P10/P50/P90 and the early signals
    /// P(overspend > 10 %) and P(execution < 90 %) from the backtests on earlier years.
    Run {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        month: u32,
        /// indicator, unit, department, region or revenue
        #[arg(long, default_value = "unit")]
        by: String,
        #[arg(long, default_value = "auto")]
        method: String,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// The deviation-rate regression over the database (docs/FORECAST.md): next quarter's
    /// deviation rate per unit-quarter (paid to date against the unit's profile, over its
    /// budget) on the quarter before's deviation, project and special-fund shares, warnings
    /// by level and contracts signed, over every year up to YEAR; OLS with classical or HC1
    /// errors. Features that never vary, and macro indicators missing for some rows, are left
    /// out and named.
    Regress {
        #[arg(long)]
        year: i32,
        /// hc1 for heteroskedasticity-consistent standard errors
        #[arg(long)]
        robust: Option<String>,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Backtests the outturn methods on a year held out: each line forecast as of each origin
    /// month (default 3, 6, 9, 11) from what was known then, by every method and `auto`, and
    /// scored against the year's actual total: WAPE, and the share of actual totals inside
    /// the P10–P90 band. The lines are the database's (summed --by) or, with FILE, a CSV of
    /// `entity`, `year`, `month`, `amount` as `forecast outturn` reads.
    Backtest {
        file: Option<PathBuf>,
        #[arg(long)]
        year: i32,
        #[arg(long, value_delimiter = ',', default_value = "3,6,9,11")]
        origins: Vec<u32>,
        /// indicator, unit, department, region or revenue (without FILE)
        #[arg(long, default_value = "unit")]
        by: String,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Year-end outturn forecasts from monthly figures: a CSV with `entity`, `year`, `month`,
    /// `amount` (one row a month, several entities); each entity's year forecast as of the
    /// end of MONTH by METHOD (run_rate, profile, snaive, holt_winters, damped, or auto: the
    /// lowest backtest error on the earlier years), with P10/P50/P90 from those errors.
    Outturn {
        file: PathBuf,
        #[arg(long)]
        year: i32,
        #[arg(long)]
        month: u32,
        #[arg(long, default_value = "auto")]
        method: String,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Additive Holt-Winters smoothing of a one-column CSV (`value`): fitted by least
    /// squares unless the smoothing parameters (and the initial states) are given. Prints
    /// the parameters, the sum of squared errors, the fitted values and H forecasts.
    #[command(allow_negative_numbers = true)]
    HoltWinters {
        file: PathBuf,
        /// The season's length M (12 for monthly figures).
        #[arg(long)]
        season: usize,
        /// How many periods to forecast.
        #[arg(long)]
        horizon: usize,
        /// A damped trend (φ).
        #[arg(long)]
        damped: bool,
        #[arg(long, requires_all = ["beta", "gamma"])]
        alpha: Option<f64>,
        #[arg(long, requires = "alpha")]
        beta: Option<f64>,
        #[arg(long, requires = "alpha")]
        gamma: Option<f64>,
        /// The damping factor (with --damped).
        #[arg(long, requires_all = ["alpha", "damped"])]
        phi: Option<f64>,
        /// The initial level L0 (with --trend and --seasonals: the states are not fitted).
        #[arg(long, requires_all = ["trend", "seasonals"])]
        level: Option<f64>,
        #[arg(long, requires = "level")]
        trend: Option<f64>,
        /// The M initial seasonal factors, the first belonging to the first value.
        #[arg(long, value_delimiter = ',', allow_hyphen_values = true, requires = "level")]
        seasonals: Vec<f64>,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
}

#[derive(Subcommand)]
pub(super) enum SimulateCommand {
    /// N paths of the scenario from its seed: the debt ratio's mean, P5, P10, P50, P90, P95
    /// and the share of paths above the threshold, per year, for all regions together and
    /// each region. Prints the scenario's SHA-256 and the result's, so that anyone can
    /// re-run it and compare.
    Run {
        scenario: PathBuf,
        /// Paths (default: the scenario's, else 10,000).
        #[arg(long)]
        paths: Option<usize>,
        /// The seed (default: the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Threads (default: the machine's cores); the result does not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// Keep the run in the journal (`simulation.run`: the scenario, its digests), which
        /// `verify` re-runs.
        #[arg(long)]
        record: bool,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// The last year's total debt ratio: a tornado (each driver at its mean ± DELTA, the
    /// others at their means) and Sobol' first-order and total indices (Saltelli sampling,
    /// N base samples, the drivers drawn independently).
    Sensitivity {
        scenario: PathBuf,
        #[arg(long, default_value_t = 0.1)]
        delta: f64,
        #[arg(long, default_value_t = 4096)]
        n: usize,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// The Sobol' indices of the Ishigami function (the method's test case) with their
    /// analytic values and the output vector in SALib's order (`y`).
    Ishigami {
        #[arg(long, default_value_t = 8192)]
        n: usize,
        #[arg(long, default_value_t = 7.0)]
        a: f64,
        #[arg(long, default_value_t = 0.1)]
        b: f64,
    },
}

/// A scenario file read and checked.
fn read_scenario(path: &Path) -> Result<(bw_forecast::simulate::Scenario, String)> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let text = std::str::from_utf8(&bytes).with_context(|| format!("{}: not UTF-8", path.display()))?;
    let scenario: bw_forecast::simulate::Scenario =
        toml::from_str(text).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.to_string().trim_end()))?;
    scenario.check().with_context(|| path.display().to_string())?;
    Ok((scenario, bw_ledger::hex(&bw_ledger::sha256(&bytes))))
}

pub(super) async fn simulate(g: &Global, command: SimulateCommand) -> Result<ExitCode> {
    use bw_forecast::{simulate, sobol};
    match command {
        SimulateCommand::Run { scenario, paths, seed, threads, record, format } => {
            let (mut s, sha) = read_scenario(&scenario)?;
            if let Some(p) = paths {
                s.paths = p;
            }
            if let Some(seed) = seed {
                s.seed = seed;
            }
            let threads = threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
            let (out, id) = if record {
                let store = open_for_write(g).await?;
                let (id, out) = bw_app::simulation::record(&store, &ctx(g)?, s, &sha, threads).await?;
                (out, Some(id))
            } else {
                (simulate::run(&s, threads).with_context(|| scenario.display().to_string())?, None)
            };
            let digest = bw_app::simulation::result_sha256(&out);
            if format == "json" {
                let mut v = serde_json::to_value(&out)?;
                v["scenario_sha256"] = sha.into();
                v["result_sha256"] = digest.into();
                if let Some(id) = id {
                    v["id"] = id.into();
                }
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!("{} · {} paths · seed {} · scenario SHA-256 {sha}", out.name, out.paths, out.seed);
                println!("债务率 (all regions)   mean     P5    P50    P95   P(>{:.0}%)", out.threshold * 100.0);
                for b in &out.total {
                    println!(
                        "{:<20} {:>6.1}% {:>5.1}% {:>5.1}% {:>5.1}% {:>7.1}%",
                        b.year,
                        b.mean * 100.0,
                        b.p5 * 100.0,
                        b.p50 * 100.0,
                        b.p95 * 100.0,
                        b.p_over * 100.0
                    );
                }
                println!("result SHA-256 {digest}");
                if let Some(id) = id {
                    println!("kept in the journal as simulation {id}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        SimulateCommand::Sensitivity { scenario, delta, n, format } => {
            let (s, sha) = read_scenario(&scenario)?;
            let out = simulate::sensitivity(&s, delta, n).with_context(|| scenario.display().to_string())?;
            if format == "json" {
                let mut v = serde_json::to_value(&out)?;
                v["scenario_sha256"] = sha.into();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!("base {:.2}% (every driver at its mean), ±{:.0}%", out.base * 100.0, delta * 100.0);
                for b in &out.tornado {
                    println!("{:<10} {:>7.2}% … {:>7.2}%", b.driver, b.low * 100.0, b.high * 100.0);
                }
                println!("Sobol' (N = {}): driver, first-order, total", out.n);
                for (i, d) in out.drivers.iter().enumerate() {
                    println!("{d:<10} {:>7.4} {:>7.4}", out.sobol.s1[i], out.sobol.st[i]);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        SimulateCommand::Ishigami { n, a, b } => {
            let rows = sobol::saltelli(n, 3);
            let y: Vec<f64> = rows.iter().map(|u| sobol::ishigami(u, a, b)).collect();
            let got = sobol::analyze(&y, 3);
            let v = serde_json::json!({
                "n": n, "s1": got.s1, "st": got.st,
                "analytic": sobol::ishigami_indices(a, b),
                "x": rows, "y": y,
            });
            println!("{}", serde_json::to_string(&v)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub(super) async fn dispatch(g: &Global, command: ForecastCommand) -> Result<ExitCode> {
    match command {
        ForecastCommand::Run { year, month, by, method, format } => {
            use bw_app::forecasts::By;
            let method = bw_forecast::outturn::Method::parse(&method).with_context(|| {
                format!("--method: run_rate, profile, snaive, holt_winters, damped or auto, not {method:?}")
            })?;
            let by = By::parse(&by)
                .with_context(|| format!("--by: indicator, unit, department, region or revenue, not {by:?}"))?;
            if !(1..=12).contains(&month) {
                bail!("--month: 1 to 12, not {month}");
            }
            let store = open(g).await?;
            let lines = bw_app::forecasts::run(&store, year, month, by, method).await?;
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&lines)?);
            } else {
                for l in &lines {
                    let pct = |p: Option<f64>| p.map(|p| format!("{:.0}%", p * 100.0)).unwrap_or_else(|| "—".into());
                    println!(
                        "{:<14} {:<20} budget {:>16}  outturn {:>16} ({:?})  P(>110%) {}  P(<90%) {}",
                        l.code,
                        l.name,
                        l.budget.to_string(),
                        l.outturn.to_string(),
                        l.method,
                        pct(l.p_overspend),
                        pct(l.p_underexecution)
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ForecastCommand::Regress { year, robust, format } => {
            let cov = match robust.as_deref() {
                None => bw_forecast::ols::Cov::Classical,
                Some("hc1" | "HC1") => bw_forecast::ols::Cov::Hc1,
                Some(other) => bail!("--robust: hc1, not {other:?}"),
            };
            let r = bw_app::forecasts::regress(&open(g).await?, year, cov).await?;
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!("next quarter's deviation rate, {} unit-quarters up to {year}", r.rows);
                if !r.dropped.is_empty() {
                    println!("left out (never vary, or missing for some rows): {}", r.dropped.join(", "));
                }
                println!("{:<20} {:>14} {:>12} {:>10} {:>12}", "", "estimate", "se", "t", "p");
                for c in &r.fit.coefficients {
                    println!("{:<20} {:>14.6} {:>12.6} {:>10.3} {:>12.4e}", c.name, c.estimate, c.se, c.t, c.p);
                }
                println!("R² = {:.4}, adjusted R² = {:.4}", r.fit.r2, r.fit.adj_r2);
                if let Some(first) = r.predictions.first() {
                    println!("\npredicted deviation rate for {}, with the 95 % prediction interval:", first.quarter);
                    for p in &r.predictions {
                        let pct = |v: f64| format!("{:+.2}%", v * 100.0);
                        let (mean, lower, upper) = (p.prediction.mean, p.prediction.lower, p.prediction.upper);
                        println!("{:<16} {:>9}  [{}, {}]", p.unit_code, pct(mean), pct(lower), pct(upper));
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ForecastCommand::Backtest { file, year, origins, by, format } => {
            if let Some(m) = origins.iter().find(|m| !(1..=12).contains(*m)) {
                bail!("--origins: months 1 to 12, not {m}");
            }
            let scored = match file {
                Some(file) => {
                    let series: Vec<bw_forecast::outturn::Series> = read_series(&file)?.into_values().collect();
                    bw_forecast::outturn::backtest(
                        &series,
                        year,
                        &origins,
                        &bw_forecast::outturn::Method::SCORED,
                        std::thread::available_parallelism().map_or(1, usize::from),
                    )
                }
                None => {
                    let by = bw_app::forecasts::By::parse(&by)
                        .with_context(|| format!("--by: indicator, unit, department, region or revenue, not {by:?}"))?;
                    bw_app::forecasts::backtest(&open(g).await?, year, by, &origins).await?
                }
            };
            if format == "json" {
                let v = serde_json::json!({ "year": year, "origins": origins, "methods": scored });
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!("{year} held out, forecast as of months {origins:?}");
                for b in &scored {
                    let coverage = b.coverage.map(|c| format!("{:.0}%", c * 100.0)).unwrap_or_else(|| "—".into());
                    println!(
                        "{:<13} WAPE {:>7.2}%  P10–P90 covers {coverage:>4} of {} ({} forecasts)",
                        serde_json::to_value(b.method)?.as_str().unwrap_or(""),
                        b.wape * 100.0,
                        b.banded,
                        b.forecasts
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ForecastCommand::Outturn { file, year, month, method, format } => {
            use bw_forecast::outturn::{self, Method};
            let method = Method::parse(&method).with_context(|| {
                format!("--method: run_rate, profile, snaive, holt_winters, damped or auto, not {method:?}")
            })?;
            if !(1..=12).contains(&month) {
                bail!("--month: 1 to 12, not {month}");
            }
            let series = read_series(&file)?;
            let forecasts: Vec<(String, outturn::Forecast)> =
                series.iter().map(|(name, s)| (name.clone(), outturn::forecast(s, year, month, method))).collect();
            if format == "json" {
                let v: Vec<serde_json::Value> = forecasts
                    .iter()
                    .map(|(name, f)| {
                        let mut v = serde_json::to_value(f).unwrap_or_default();
                        v["entity"] = name.clone().into();
                        v["backtest"] =
                            f.backtest.iter().map(|(m, w)| serde_json::json!({"method": m, "wape": w})).collect();
                        v
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for (name, f) in &forecasts {
                    let band = match (f.p10, f.p90) {
                        (Some(a), Some(b)) => format!("  P10–P90 {a:.2} … {b:.2}"),
                        _ => String::new(),
                    };
                    println!("{name:<24} {:?}: to date {:.2}, outturn {:.2}{band}", f.method, f.to_date, f.outturn);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ForecastCommand::Ols { file, y, robust, predict, format } => {
            let cov = match robust.as_deref() {
                None => Cov::Classical,
                Some("hc1" | "HC1") => Cov::Hc1,
                Some(other) => bail!("--robust: hc1, not {other:?}"),
            };
            let (names, columns) = read_numeric(&file)?;
            let Some(at) = names.iter().position(|n| *n == y) else {
                bail!("{}: no column {y:?} (the columns: {})", file.display(), names.join(", "));
            };
            let regressors: Vec<(String, Vec<f64>)> = names
                .iter()
                .cloned()
                .zip(columns.iter().cloned())
                .enumerate()
                .filter(|(i, _)| *i != at)
                .map(|(_, c)| c)
                .collect();
            let fit = ols::fit(&columns[at], &regressors, cov).with_context(|| file.display().to_string())?;
            let predictions = match &predict {
                None => None,
                Some(path) => {
                    let (pnames, pcols) = read_numeric(path)?;
                    let want: Vec<&String> = regressors.iter().map(|(n, _)| n).collect();
                    let order: Vec<usize> = want
                        .iter()
                        .map(|w| {
                            pnames
                                .iter()
                                .position(|p| p == *w)
                                .with_context(|| format!("{}: no column {w:?}", path.display()))
                        })
                        .collect::<Result<_>>()?;
                    let rows = pcols.first().map_or(0, Vec::len);
                    let out = (0..rows)
                        .map(|r| fit.predict(&order.iter().map(|&c| pcols[c][r]).collect::<Vec<_>>()))
                        .collect::<Result<Vec<_>, _>>()?;
                    Some(out)
                }
            };
            if format == "json" {
                let mut v = serde_json::to_value(&fit)?;
                if let Some(p) = predictions {
                    v["predictions"] = serde_json::to_value(p)?;
                }
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!("n = {}, k = {}", fit.n, fit.k);
                println!("{:<20} {:>16} {:>14} {:>10} {:>12}", "", "estimate", "se", "t", "p");
                for c in &fit.coefficients {
                    println!("{:<20} {:>16.6} {:>14.6} {:>10.3} {:>12.4e}", c.name, c.estimate, c.se, c.t, c.p);
                }
                println!("R² = {:.6}, adjusted R² = {:.6}", fit.r2, fit.adj_r2);
                if let (Some(f), Some(p)) = (fit.f, fit.f_p) {
                    println!("F = {f:.4}, p = {p:.4e}");
                }
                for (i, p) in predictions.iter().flatten().enumerate() {
                    println!("prediction {}: {:.6} [{:.6}, {:.6}]", i + 1, p.mean, p.lower, p.upper);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ForecastCommand::HoltWinters {
            file,
            season,
            horizon,
            damped,
            alpha,
            beta,
            gamma,
            phi,
            level,
            trend,
            seasonals,
            format,
        } => {
            let (names, columns) = read_numeric(&file)?;
            let at = names.iter().position(|n| n == "value").unwrap_or(0);
            let Some(y) = columns.get(at) else { bail!("{}: no column of values", file.display()) };
            let params = match (alpha, beta, gamma) {
                (Some(alpha), Some(beta), Some(gamma)) => {
                    if damped && phi.is_none() {
                        bail!("--damped with --alpha needs --phi");
                    }
                    Some(Params { alpha, beta, gamma, phi: if damped { phi.unwrap_or(1.0) } else { 1.0 } })
                }
                _ => None,
            };
            let states = level.map(|level| States { level, trend: trend.unwrap_or(0.0), seasonals: seasonals.clone() });
            let fitted = holt_winters::fit(y, season, damped, &Fixed { params, states })
                .with_context(|| file.display().to_string())?;
            let forecast = holt_winters::forecast(&fitted.run, fitted.params.phi, horizon);
            let p = fitted.params;
            if format == "json" {
                let v = serde_json::json!({
                    "alpha": p.alpha, "beta": p.beta, "gamma": p.gamma, "phi": p.phi,
                    "sse": fitted.run.sse,
                    "initial": fitted.states,
                    "fitted": fitted.run.fitted,
                    "forecast": forecast,
                });
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!("alpha = {}, beta = {}, gamma = {}, phi = {}", p.alpha, p.beta, p.gamma, p.phi);
                println!("sse = {}", fitted.run.sse);
                println!(
                    "initial level = {}, trend = {}, seasonals = {:?}",
                    fitted.states.level, fitted.states.trend, fitted.states.seasonals
                );
                for (h, f) in forecast.iter().enumerate() {
                    println!("h = {:>3}: {f}", h + 1);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A numeric CSV with a header row: the column names and each column's values. A cell that
/// is not a number is refused with its file, row and column.
fn read_numeric(path: &Path) -> Result<(Vec<String>, Vec<Vec<f64>>)> {
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let names: Vec<String> = r
        .headers()
        .with_context(|| path.display().to_string())?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let mut columns = vec![Vec::new(); names.len()];
    for (i, row) in r.records().enumerate() {
        let row = row.with_context(|| format!("{}:{}", path.display(), i + 2))?;
        if row.len() != names.len() {
            bail!("{}:{}: {} cells, the header has {}", path.display(), i + 2, row.len(), names.len());
        }
        for (c, cell) in row.iter().enumerate() {
            let v: f64 = cell.parse().map_err(|_| {
                anyhow::anyhow!("{}:{}: column {}: not a number: {cell:?}", path.display(), i + 2, names[c])
            })?;
            if !v.is_finite() {
                bail!("{}:{}: column {}: not a finite number: {cell:?}", path.display(), i + 2, names[c]);
            }
            columns[c].push(v);
        }
    }
    Ok((names, columns))
}

/// Monthly figures per entity from a CSV of `entity`, `year`, `month`, `amount`.
fn read_series(file: &std::path::Path) -> anyhow::Result<BTreeMap<String, bw_forecast::outturn::Series>> {
    use bw_forecast::outturn::Series;
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(file)
        .with_context(|| format!("{}: cannot read", file.display()))?;
    let headers: Vec<String> = r.headers()?.iter().map(|h| h.trim_start_matches('\u{feff}').to_string()).collect();
    let col = |name: &str| {
        headers.iter().position(|h| h == name).with_context(|| format!("{}: no column {name:?}", file.display()))
    };
    let (e, y, m, a) = (col("entity")?, col("year")?, col("month")?, col("amount")?);
    let mut series: BTreeMap<String, Series> = BTreeMap::new();
    for (i, row) in r.records().enumerate() {
        let row = row.with_context(|| format!("{}:{}", file.display(), i + 2))?;
        let cell = |c: usize, name: &str| {
            let v = row.get(c).unwrap_or("");
            v.parse::<f64>()
                .map_err(|_| anyhow::anyhow!("{}:{}: column {name}: not a number: {v:?}", file.display(), i + 2))
        };
        let (yy, mm, amount) = (cell(y, "year")?, cell(m, "month")?, cell(a, "amount")?);
        series.entry(row.get(e).unwrap_or("").to_string()).or_default().set(yy as i32, mm as u32, amount);
    }
    Ok(series)
}
