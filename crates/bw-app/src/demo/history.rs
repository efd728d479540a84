//! Earlier years of the demo province (`demo-data --history FROM..TO`): the main year's
//! indicators carried back with the budget's growth and a price shock on equipment, each
//! indicator's monthly payments following the year's spending profile with noise, and the
//! regions' revenue targets and monthly revenues — appended to the data set's files so that
//! one import loads every year. What was planted is written to `history.json`, so that a
//! forecast or a backtest can be judged against it.

use super::{MONTH_WEIGHTS, Rng, line, yuan};
use bw_core::{Date, Money};
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
    /// The share of each year's budget spent, drawn per indicator-year in this range.
    pub execution: (f64, f64),
    pub indicators: usize,
    pub payments: usize,
    pub revenue_targets: usize,
    pub revenues: usize,
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
        execution: (0.92, 1.0),
        indicators: 0,
        payments: 0,
        revenue_targets: 0,
        revenues: 0,
    };
    let indicators = read(&out.join("indicators.csv"))?;
    let targets = read(&out.join("revenue_targets.csv"))?;
    let mut ind_w = append(&out.join("indicators.csv"))?;
    let mut pay_w = append(&out.join("payments.csv"))?;
    let mut tgt_w = append(&out.join("revenue_targets.csv"))?;
    let mut rev_w = append(&out.join("revenues.csv"))?;
    let mut voucher = 0u64;
    for y in from..year {
        // The main year shrunk by the growth of the years between, equipment without the
        // shock before its year.
        let scale = |economic: &str| {
            let shock = if economic.starts_with("310") && y < shock_year { 1.0 / (1.0 + PRICE_SHOCK) } else { 1.0 };
            (1.0 + GROWTH).powi(y - year) * shock
        };
        for i in &indicators {
            let f = |name: &str| i.get(name).map(String::as_str).unwrap_or("");
            let main: i64 = Money::parse_yuan(f("amount")).map(|m| m.fen()).unwrap_or(0);
            let amount = (main as f64 * scale(f("economic_code"))).round() as i64;
            if amount <= 0 {
                continue;
            }
            // Carried back without its project (a project's years are its own) and under
            // `warn`, as the year's figures were.
            let amount_text = yuan(amount);
            let year_text = y.to_string();
            let fields = [
                f("indicator_code"),
                year_text.as_str(),
                f("unit_code"),
                "",
                f("functional_code"),
                f("economic_code"),
                f("gov_economic_code"),
                f("fund_source"),
                f("special"),
                amount_text.as_str(),
                "warn",
            ];
            line(&mut ind_w, &fields)?;
            summary.indicators += 1;
            let execution = 0.92 + 0.08 * (rng.below(1001) as f64 / 1000.0);
            let spent = amount as f64 * execution;
            for (m, share) in profile.iter().enumerate() {
                let noise = 1.0 + MONTH_NOISE * (2.0 * rng.below(1001) as f64 / 1000.0 - 1.0);
                let fen = (spent * share * noise).round() as i64;
                if fen < 100 {
                    continue;
                }
                voucher += 1;
                let date = workday(y, m as u32 + 1, 10 + rng.below(11) as u32);
                // Each payment its own supplier: history never looks like a split purchase
                // or a duplicate.
                let payee = format!("历史供应商{y}{voucher:07}有限公司");
                let account = format!("63{y}{voucher:011}");
                let fields = [
                    format!("LS{y}{voucher:08}"),
                    date.to_string(),
                    f("unit_code").to_string(),
                    f("indicator_code").to_string(),
                    f("economic_code").to_string(),
                    payee,
                    account,
                    "company".to_string(),
                    yuan(fen),
                    "往年日常支出".to_string(),
                    String::new(),
                    String::new(),
                    String::new(),
                ];
                line(&mut pay_w, &fields.iter().map(String::as_str).collect::<Vec<_>>())?;
                summary.payments += 1;
            }
        }
        for t in &targets {
            let f = |name: &str| t.get(name).map(String::as_str).unwrap_or("");
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
    for w in [&mut ind_w, &mut pay_w, &mut tgt_w, &mut rev_w] {
        w.flush()?;
    }
    let json = serde_json::to_vec_pretty(&summary).map_err(|e| invalid(e.to_string()))?;
    std::fs::write(out.join("history.json"), json)?;
    Ok(summary)
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
