//! Earlier years of the demo province (`demo-data --history FROM..TO`): the main year's
//! indicators carried back with the budget's growth and a price shock on equipment; each
//! unit's payments following a spending profile, away from it by a deviation rate planted
//! with known coefficients (below); the regions' macro indicators, revenue targets and
//! monthly revenues — appended to the data set's files so that one import loads every year.
//! What was planted is written to `history.json`, so that a forecast, a backtest or the
//! deviation-rate regression can be judged against it.
//!
//! The planted deviation: a unit's deviation rate at each quarter's end
//! (`bw_forecast::deviation`, against the mean share of its budget paid by then in its earlier
//! years) is `const + lag_deviation × the quarter before's + special_share × the unit's
//! special-fund share + macro_cpi × its region's CPI in the quarter before + noise`, the
//! noise drawn uniform in ±`NOISE` and made orthogonal to each quarter's features
//! (`orthogonal_noise`); GDP growth is written too and planted at 0. A unit's first
//! year has no earlier year to plan by: it pays `FIRST_EXECUTION` of its budget by the month
//! profile, away from it by the same deviation.

use super::{MONTH_WEIGHTS, Rng, line, macros, yuan};
use bw_core::{Date, Money};
use bw_forecast::deviation::{self, QuarterPaid};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

// Amounts here are drawn, not accounted: scaled and perturbed as numbers and rounded to the
// fen once, where they are written; what the system computes from them is integer fen.

/// The budget grows this much a year (the earlier years are the main year shrunk by it).
const GROWTH: f64 = 0.06;
/// Equipment (economic class 310) costs this much more from the shock year on.
const PRICE_SHOCK: f64 = 0.15;
/// Each month's spending varies by up to this share around the profile.
const MONTH_NOISE: f64 = 0.10;
/// The share of its budget a unit pays in its first year, before the deviation.
const FIRST_EXECUTION: f64 = 0.94;
/// Each indicator's execution of its budget, drawn per year in this range before its unit's
/// quarters are scaled to the planted ones.
const EXECUTION: (f64, f64) = (0.90, 0.98);

/// The planted deviation model's coefficients, in the regression's names; the constant (here
/// 0) is set by the data so that the deviation's mean is 0 (`centred`).
// Small beside the month-to-month noise, and centred: the earlier years' spending follows
// the profile the data set's own year follows, without drifting from it year after year (a
// forecast learns the shape from them).
const PLANTED: [(&str, f64); 5] = [
    ("const", 0.0),
    ("lag_deviation", 0.4),
    ("special_share", -0.004),
    ("macro_cpi", 0.001),
    ("macro_gdp_growth", 0.0),
];
/// The planted deviation's noise: uniform in ± this.
const NOISE: f64 = 0.004;

/// What the history planted, as `history.json` records it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct HistorySummary {
    pub from: i32,
    pub to: i32,
    pub growth: f64,
    pub price_shock_year: i32,
    pub price_shock: f64,
    pub month_profile: [f64; 12],
    pub month_noise: f64,
    /// The share of its budget a unit pays in its first year, before the deviation.
    pub first_execution: f64,
    /// The planted deviation-rate model and the command that recovers it.
    pub regression: Planted,
    pub indicators: usize,
    pub payments: usize,
    pub revenue_targets: usize,
    pub revenues: usize,
    pub macro_indicators: usize,
}

/// The planted deviation-rate model: `forecast regress --year {year}` fits it on the
/// history's unit-quarters (the data set's own year is not planted).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Planted {
    pub year: i32,
    pub command: String,
    pub coefficients: BTreeMap<&'static str, f64>,
    /// The noise is uniform in ± this (its standard deviation is this ÷ √3).
    pub noise: f64,
}

/// One unit's year as the history draws it.
struct UnitYear<'a> {
    unit: &'a str,
    region: &'a str,
    carried: Vec<Carried<'a>>,
    budget: i64,
    special_share: f64,
    plan: [f64; 4],
    paid_to: [i64; 4],
}

/// The noise of one quarter's deviations, one per unit: drawn uniformly in ±`NOISE`, then
/// made orthogonal to the quarter's features (the rows: the planted model's columns) by
/// taking away its least-squares fit on them. Summed over the quarters, the noise is then
/// orthogonal to the whole design, so least squares on the history recovers the planted
/// coefficients themselves, while its residuals (and so its standard errors) are the
/// noise's. Too few units for the features, or a singular quarter, keeps the draw as it is.
fn orthogonal_noise(rng: &mut Rng, rows: &[[f64; 5]]) -> Vec<f64> {
    let draw: Vec<f64> = rows.iter().map(|_| macros::spread(rng, NOISE)).collect();
    // The intercept is the fit's own; a feature that is the same for every unit is a
    // multiple of it.
    let columns: Vec<(String, Vec<f64>)> = (1..5)
        .map(|j| (PLANTED[j].0.to_string(), rows.iter().map(|r| r[j]).collect::<Vec<f64>>()))
        .filter(|(_, v)| v.iter().any(|x| (x - v[0]).abs() > 1e-12))
        .collect();
    if rows.len() <= columns.len() + 2 {
        return draw;
    }
    let Ok(fit) = bw_forecast::ols::fit(&draw, &columns, bw_forecast::ols::Cov::Classical) else { return draw };
    let b: Vec<f64> = fit.coefficients.iter().map(|c| c.estimate).collect();
    draw.iter()
        .enumerate()
        .map(|(i, e)| e - b[0] - columns.iter().zip(&b[1..]).map(|((_, v), bj)| bj * v[i]).sum::<f64>())
        .collect()
}

/// One draw of a unit-year's months per indicator (fen): each indicator's execution in
/// `EXECUTION`, its months by the profile ± `MONTH_NOISE`, each quarter scaled to the unit's
/// planted `quarters` (the largest payment of the quarter takes the rounding).
fn draw_months(rng: &mut Rng, u: &UnitYear, profile: &[f64; 12], quarters: &[i64]) -> Vec<[i64; 12]> {
    let raw: Vec<[f64; 12]> = u
        .carried
        .iter()
        .map(|c| {
            let execution = EXECUTION.0 + (EXECUTION.1 - EXECUTION.0) * (rng.below(1001) as f64 / 1000.0);
            std::array::from_fn(|m| c.amount as f64 * execution * profile[m] * (1.0 + macros::spread(rng, MONTH_NOISE)))
        })
        .collect();
    let mut out: Vec<[i64; 12]> = vec![[0; 12]; raw.len()];
    for (q, &target) in quarters.iter().enumerate() {
        let drawn: f64 = raw.iter().map(|r| r[3 * q..3 * q + 3].iter().sum::<f64>()).sum();
        let scale = if drawn > 0.0 { target as f64 / drawn } else { 0.0 };
        let mut largest = (0, 3 * q);
        for (i, r) in raw.iter().enumerate() {
            for m in 3 * q..3 * q + 3 {
                out[i][m] = (r[m] * scale).floor() as i64;
                if out[i][m] > out[largest.0][largest.1] {
                    largest = (i, m);
                }
            }
        }
        let paid: i64 = out.iter().map(|r| r[3 * q..3 * q + 3].iter().sum::<i64>()).sum();
        out[largest.0][largest.1] += target - paid;
    }
    out
}

/// The months when no draw keeps every indicator within its budget: each quarter shared by
/// budget (`capped_shares`), its months by the profile.
fn by_budget(u: &UnitYear, profile: &[f64; 12], quarters: &[i64]) -> Vec<[i64; 12]> {
    let weights: Vec<f64> = u.carried.iter().map(|c| c.amount as f64).collect();
    let caps: Vec<f64> = u.carried.iter().map(|c| (c.amount - 100).max(0) as f64).collect();
    let fractions = capped_shares(&weights, &caps, quarters.iter().sum::<i64>() as f64);
    let mut out: Vec<[i64; 12]> = vec![[0; 12]; weights.len()];
    for (q, &target) in quarters.iter().enumerate() {
        let in_quarter: f64 = profile[3 * q..3 * q + 3].iter().sum();
        for (i, f) in fractions.iter().enumerate() {
            for m in 3 * q..3 * q + 3 {
                out[i][m] = (target as f64 * f * profile[m] / in_quarter).floor() as i64;
            }
        }
        let paid: i64 = out.iter().map(|r| r[3 * q..3 * q + 3].iter().sum::<i64>()).sum();
        let largest = (0..fractions.len()).max_by(|&a, &b| fractions[a].total_cmp(&fractions[b])).unwrap_or(0);
        out[largest][3 * q + 2] += target - paid;
    }
    out
}

/// Each indicator's fraction of a unit's `total` paid: in proportion to `weights`, none paying
/// more than its cap (its budget): an indicator over its cap is held at it and the rest
/// shared again among the others (`total` is within the caps' sum).
fn capped_shares(weights: &[f64], caps: &[f64], total: f64) -> Vec<f64> {
    let mut fixed: Vec<Option<f64>> = vec![None; weights.len()];
    for _ in 0..weights.len() {
        let left = total - fixed.iter().flatten().sum::<f64>();
        let free: f64 = weights.iter().zip(&fixed).filter(|(_, f)| f.is_none()).map(|(w, _)| w).sum();
        let mut changed = false;
        for i in 0..weights.len() {
            if fixed[i].is_none() && free > 0.0 && left * weights[i] / free > caps[i] {
                fixed[i] = Some(caps[i]);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let left = total - fixed.iter().flatten().sum::<f64>();
    let free: f64 = weights.iter().zip(&fixed).filter(|(_, f)| f.is_none()).map(|(w, _)| w).sum();
    let paid: Vec<f64> =
        weights.iter().zip(&fixed).map(|(w, f)| f.unwrap_or(if free > 0.0 { left * w / free } else { 0.0 })).collect();
    paid.iter().map(|p| if total > 0.0 { p / total } else { 0.0 }).collect()
}

/// One indicator carried back: its fields and its amount in the year (fen).
struct Carried<'a> {
    row: &'a HashMap<String, String>,
    amount: i64,
}

/// Appends the years `from..year` (the data set's main year excluded) to the data set in
/// `out`, written before by `generate` for `year`.
pub fn write(out: &Path, from: i32, year: i32, seed: u64) -> std::io::Result<HistorySummary> {
    let invalid = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, m);
    if from >= year {
        return Err(invalid(format!(
            "--history: the first year ({from}) must come before the data set's year ({year})"
        )));
    }
    let mut rng = Rng(seed ^ 0x4849_5354_4F52_5921);
    let shock_year = year - 2;
    let profile: [f64; 12] = MONTH_WEIGHTS.map(|w| w as f64 / 1000.0);
    let mut summary = HistorySummary {
        from,
        to: year - 1,
        growth: GROWTH,
        price_shock_year: shock_year,
        price_shock: PRICE_SHOCK,
        month_profile: profile,
        month_noise: MONTH_NOISE,
        first_execution: FIRST_EXECUTION,
        regression: Planted {
            year: year - 1,
            command: format!("forecast regress --year {}", year - 1),
            coefficients: BTreeMap::new(),
            noise: NOISE,
        },
        indicators: 0,
        payments: 0,
        revenue_targets: 0,
        revenues: 0,
        macro_indicators: 0,
    };
    let units = read(&out.join("units.csv"))?;
    let indicators = read(&out.join("indicators.csv"))?;
    let targets = read(&out.join("revenue_targets.csv"))?;
    let mut ind_w = append(&out.join("indicators.csv"))?;
    let mut pay_w = append(&out.join("payments.csv"))?;
    let mut tgt_w = append(&out.join("revenue_targets.csv"))?;
    let mut rev_w = append(&out.join("revenues.csv"))?;
    let mut macro_w = append(&out.join("macro_indicators.csv"))?;

    // Each region's figures by (year, quarter), as written.
    let regions: Vec<&str> = units.iter().filter(|u| field(u, "kind") == "region").map(|u| field(u, "code")).collect();
    let mut figures: HashMap<(&str, usize, i32, u32), f64> = HashMap::new();
    for y in from..year {
        for &r in &regions {
            for q in 1..=4u32 {
                for f in 0..macros::FIGURES.len() {
                    let v = macros::write(&mut macro_w, &mut rng, seed, r, f, &format!("{y}-Q{q}"))?;
                    figures.insert((r, f, y, q), v);
                    summary.macro_indicators += 1;
                }
            }
        }
    }
    // Each unit's region: the first region above it.
    let parents: HashMap<&str, (&str, &str)> =
        units.iter().map(|u| (field(u, "code"), (field(u, "parent_code"), field(u, "kind")))).collect();
    let region_of = |unit: &str| -> &str {
        let mut at = parents.get(unit).map_or("", |p| p.0);
        for _ in 0..parents.len() {
            match parents.get(at) {
                Some((_, "region")) | None => break,
                Some((parent, _)) => at = parent,
            }
        }
        at
    };
    let mut by_unit: BTreeMap<&str, Vec<&HashMap<String, String>>> = BTreeMap::new();
    for i in &indicators {
        by_unit.entry(field(i, "unit_code")).or_default().push(i);
    }
    // The constant that centres the deviation: minus the other drivers' mean effect over the
    // units (a unit's special share, its region's figures over the years), to the millionth.
    let mut coefficients: [f64; 5] = PLANTED.map(|(_, b)| b);
    let mut mean = [0.0; 5];
    for (&unit, rows) in &by_unit {
        let amount = |r: &&HashMap<String, String>| Money::parse_yuan(field(r, "amount")).map(|m| m.fen()).unwrap_or(0);
        let total: i64 = rows.iter().map(amount).sum();
        let special: i64 = rows.iter().filter(|r| truthy(field(r, "special"))).map(amount).sum();
        mean[2] += if total > 0 { special as f64 / total as f64 } else { 0.0 };
        for f in 0..2 {
            let values: Vec<f64> =
                figures.iter().filter(|((r, g, _, _), _)| *r == region_of(unit) && *g == f).map(|(_, v)| *v).collect();
            mean[3 + f] += values.iter().sum::<f64>() / values.len().max(1) as f64;
        }
    }
    let units_n = by_unit.len().max(1) as f64;
    coefficients[0] = -((2..5).map(|j| coefficients[j] * mean[j] / units_n).sum::<f64>() * 1e6).round() / 1e6;
    summary.regression.coefficients = PLANTED.iter().zip(coefficients).map(|((n, _), b)| (*n, b)).collect();
    // Per unit: its years so far and its last planted deviation.
    let mut past: HashMap<&str, (Vec<QuarterPaid>, f64)> = HashMap::new();
    let mut voucher = 0u64;
    for y in from..year {
        // The main year shrunk by the growth of the years between, equipment without the
        // shock before its year.
        let scale = |economic: &str| {
            let shock = if economic.starts_with("310") && y < shock_year { 1.0 / (1.0 + PRICE_SHOCK) } else { 1.0 };
            (1.0 + GROWTH).powi(y - year) * shock
        };
        let mut year_units: Vec<UnitYear> = Vec::new();
        for (&unit, rows) in &by_unit {
            let carried: Vec<Carried> = rows
                .iter()
                .map(|row| {
                    let main: i64 = Money::parse_yuan(field(row, "amount")).map(|m| m.fen()).unwrap_or(0);
                    Carried { row, amount: (main as f64 * scale(field(row, "economic_code"))).round() as i64 }
                })
                .filter(|c| c.amount > 0)
                .collect();
            let budget: i64 = carried.iter().map(|c| c.amount).sum();
            if budget <= 0 {
                continue;
            }
            for c in &carried {
                write_indicator(&mut ind_w, c, y)?;
                summary.indicators += 1;
            }
            let special: i64 = carried.iter().filter(|c| truthy(field(c.row, "special"))).map(|c| c.amount).sum();
            let (earlier, _) = past.entry(unit).or_insert_with(|| (Vec::new(), 0.0));
            let plan = deviation::profile(earlier).unwrap_or_else(|| {
                let mut cumulative = [0.0; 4];
                let mut sum = 0.0;
                for (m, share) in profile.iter().enumerate() {
                    sum += share;
                    if m % 3 == 2 {
                        cumulative[m / 3] = FIRST_EXECUTION * sum;
                    }
                }
                cumulative
            });
            let special_share = special as f64 / budget as f64;
            year_units.push(UnitYear {
                unit,
                region: region_of(unit),
                carried,
                budget,
                special_share,
                plan,
                paid_to: [0; 4],
            });
        }
        // The deviation at each quarter's end, from the quarter before's, every unit at once.
        for q in 1..=4u32 {
            let (lag_year, lag_quarter) = if q == 1 { (y - 1, 4) } else { (y, q - 1) };
            let rows: Vec<[f64; 5]> = year_units
                .iter()
                .map(|u| {
                    let figure = |f: usize| {
                        figures.get(&(u.region, f, lag_year, lag_quarter)).copied().unwrap_or(macros::FIGURES[f].1)
                    };
                    [1.0, past[u.unit].1, u.special_share, figure(0), figure(1)]
                })
                .collect();
            let noise = orthogonal_noise(&mut rng, &rows);
            let at = q as usize - 1;
            for ((u, x), e) in year_units.iter_mut().zip(&rows).zip(noise) {
                let d = coefficients.iter().zip(x).map(|(b, v)| b * v).sum::<f64>() + e;
                // Never less than paid before, never more than the budget: the planted
                // figures keep inside both, this only guards them.
                u.paid_to[at] = ((u.budget as f64 * (u.plan[at] + d)).round() as i64)
                    .clamp(if at == 0 { 0 } else { u.paid_to[at - 1] }, u.budget);
                if let Some(p) = past.get_mut(u.unit) {
                    p.1 = d;
                }
            }
        }
        for u in &year_units {
            if let Some(p) = past.get_mut(u.unit) {
                p.0.push(QuarterPaid { budget: u.budget, paid_to: u.paid_to });
            }
            // The unit's indicators pay as a year of the past did: each its own execution
            // and its months by the profile with noise; each quarter is then scaled to the
            // unit's planted quarter, so the unit's deviation is the planted one while each
            // indicator keeps its own ups and downs. A draw that would take an indicator beyond
            // its budget is drawn again; after 20, the indicators share each quarter by budget.
            let quarters: Vec<i64> = (0..4).map(|q| u.paid_to[q] - if q == 0 { 0 } else { u.paid_to[q - 1] }).collect();
            let months = (0..20)
                .map(|_| draw_months(&mut rng, u, &profile, &quarters))
                .find(|m| m.iter().zip(&u.carried).all(|(row, c)| row.iter().sum::<i64>() <= c.amount - 100))
                .unwrap_or_else(|| by_budget(u, &profile, &quarters));
            for (c, row) in u.carried.iter().zip(&months) {
                for (m, &fen) in row.iter().enumerate() {
                    if fen <= 0 {
                        continue;
                    }
                    voucher += 1;
                    let date = workday(y, m as u32 + 1, 10 + rng.below(11) as u32);
                    write_payment(&mut pay_w, c, y, voucher, date, fen)?;
                    summary.payments += 1;
                }
            }
        }
        for t in &targets {
            let f = |name: &str| field(t, name);
            let main: i64 = Money::parse_yuan(f("amount")).map(|m| m.fen()).unwrap_or(0);
            let target = (main as f64 * (1.0 + GROWTH).powi(y - year)).round() as i64;
            if target <= 0 {
                continue;
            }
            let year_text = y.to_string();
            line(&mut tgt_w, &[year_text.as_str(), f("region_code"), f("revenue_code"), yuan(target).as_str()])?;
            summary.revenue_targets += 1;
            let completion = 0.95 + 0.1 * (rng.below(1001) as f64 / 1000.0);
            for m in 1..=12u32 {
                let fen = (target as f64 * completion / 12.0).round() as i64;
                summary.revenues += 1;
                let date = workday(y, m, 5 + rng.below(20) as u32);
                let record = format!("LSR{y}{:08}", summary.revenues);
                let fields = [record.as_str(), &date.to_string(), f("region_code"), f("revenue_code"), &yuan(fen)];
                line(&mut rev_w, &fields)?;
            }
        }
    }
    for w in [&mut ind_w, &mut pay_w, &mut tgt_w, &mut rev_w, &mut macro_w] {
        w.flush()?;
    }
    let json = serde_json::to_vec_pretty(&summary).map_err(|e| invalid(e.to_string()))?;
    std::fs::write(out.join("history.json"), json)?;
    Ok(summary)
}

/// The indicator carried back to year `y`: without its project (a project's years are its
/// own) and under `warn`, as the year's figures were.
fn write_indicator<W: Write>(w: &mut W, c: &Carried, y: i32) -> std::io::Result<()> {
    let f = |name: &str| field(c.row, name);
    let amount = yuan(c.amount);
    let year = y.to_string();
    line(
        w,
        &[
            f("indicator_code"),
            year.as_str(),
            f("unit_code"),
            "",
            f("functional_code"),
            f("economic_code"),
            f("gov_economic_code"),
            f("fund_source"),
            f("special"),
            amount.as_str(),
            "warn",
        ],
    )
}

/// One payment of the indicator: each its own supplier, so that history never looks like a
/// split purchase or a duplicate.
fn write_payment<W: Write>(w: &mut W, c: &Carried, y: i32, voucher: u64, date: Date, fen: i64) -> std::io::Result<()> {
    let f = |name: &str| field(c.row, name);
    let fields = [
        format!("LS{y}{voucher:08}"),
        date.to_string(),
        f("unit_code").to_string(),
        f("indicator_code").to_string(),
        f("economic_code").to_string(),
        format!("历史供应商{y}{voucher:07}有限公司"),
        format!("63{y}{voucher:011}"),
        "company".to_string(),
        yuan(fen),
        "往年日常支出".to_string(),
        String::new(),
        String::new(),
        String::new(),
    ];
    line(w, &fields.iter().map(String::as_str).collect::<Vec<_>>())
}

fn field<'a>(row: &'a HashMap<String, String>, name: &str) -> &'a str {
    row.get(name).map(String::as_str).unwrap_or("")
}

/// The template's spellings of yes.
fn truthy(v: &str) -> bool {
    matches!(v, "true" | "TRUE" | "True" | "1" | "是" | "Y" | "y")
}

/// The `day` of the month, moved forward to a weekday.
fn workday(year: i32, month: u32, day: u32) -> Date {
    let mut d = Date::from_ymd(year, month, day.min(28)).unwrap_or(Date::from_days(0));
    while d.weekday().is_weekend() {
        d = d.add_days(1);
    }
    d
}

/// A template file's rows as maps from column to value.
fn read(path: &Path) -> std::io::Result<Vec<std::collections::HashMap<String, String>>> {
    let mut r = csv::Reader::from_path(path)?;
    let headers = r.headers()?.clone();
    let mut out = Vec::new();
    for row in r.records() {
        let row = row?;
        out.push(headers.iter().map(str::to_string).zip(row.iter().map(str::to_string)).collect());
    }
    Ok(out)
}

fn append(path: &Path) -> std::io::Result<std::io::BufWriter<std::fs::File>> {
    Ok(std::io::BufWriter::new(std::fs::OpenOptions::new().append(true).open(path)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_shares_keep_each_indicator_within_its_budget_and_sum_to_the_total() {
        // 90 to pay over budgets of 50 and 50, weighted 3 : 1: the first is held at its 50.
        let f = capped_shares(&[3.0, 1.0], &[50.0, 50.0], 90.0);
        assert!((f[0] * 90.0 - 50.0).abs() < 1e-9 && (f[1] * 90.0 - 40.0).abs() < 1e-9, "{f:?}");
        // Within every cap: in proportion.
        let f = capped_shares(&[1.0, 1.0, 2.0], &[100.0, 100.0, 100.0], 40.0);
        assert!((f[2] - 0.5).abs() < 1e-12 && (f.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{f:?}");
    }
}
