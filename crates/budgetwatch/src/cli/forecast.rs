//! Forecasting on a CSV file: least squares and Holt-Winters smoothing (bw-forecast), for
//! analysts who bring their own series; no database.

use super::*;
use bw_forecast::holt_winters::{self, Fixed, Params, States};
use bw_forecast::ols::{self, Cov};

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

pub(super) fn dispatch(command: ForecastCommand) -> Result<ExitCode> {
    match command {
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
