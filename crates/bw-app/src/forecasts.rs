//! Year-end outturn forecasts over the system's own figures: each indicator's monthly
//! payments (`indicator_months`) of every year up to the one forecast, summed by indicator,
//! unit, department or region, forecast by `bw_forecast::outturn` as of a month, with the
//! early signals of chapter 7: the probability that the year overspends its budget by more
//! than 10 % and that it executes less than 90 % of it, from the backtest outcomes.

use std::collections::BTreeMap;

use bw_core::Money;
use bw_core::org::OrgKind;
use bw_forecast::outturn::{self, Forecast, Method, Series};
use bw_store::Store;

use crate::journal::ActionError;

/// One candidate's backtest error.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Backtest {
    pub method: Method,
    pub wape: f64,
}

/// What the forecasts are summed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    Indicator,
    Unit,
    Department,
    Region,
}

impl By {
    pub fn parse(s: &str) -> Option<By> {
        match s {
            "indicator" => Some(By::Indicator),
            "unit" => Some(By::Unit),
            "department" => Some(By::Department),
            "region" => Some(By::Region),
            _ => None,
        }
    }
}

/// One line of the forecasts: the model runs on fen as numbers, its answers come back as
/// money (rounded to the fen).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Line {
    pub code: String,
    pub name: String,
    /// The year's budget (the indicators' amounts).
    pub budget: Money,
    pub method: Method,
    pub to_date: Money,
    pub outturn: Money,
    pub p10: Option<Money>,
    pub p50: Option<Money>,
    pub p90: Option<Money>,
    /// WAPE of each candidate over the training years (for `auto`).
    pub backtest: Vec<Backtest>,
    /// P(outturn > 110 % of the budget) and P(outturn < 90 % of it): early signals, none
    /// without two training years.
    pub p_overspend: Option<f64>,
    pub p_underexecution: Option<f64>,
}

/// Each line's monthly series (every year up to `year`) and its budget for `year`, summed
/// `by`; the lines are those with a budget that year.
struct Lines {
    org: bw_core::org::OrgTree,
    series: BTreeMap<String, Series>,
    budget: BTreeMap<String, i64>,
}

async fn lines(store: &Store, year: i32, by: By) -> Result<Lines, ActionError> {
    let org = crate::users::org_tree(store).await?;
    let group = |indicator: &str, unit: &str| -> Option<String> {
        match by {
            By::Indicator => Some(indicator.to_string()),
            By::Unit => Some(unit.to_string()),
            By::Department | By::Region => {
                let kind = if by == By::Department { OrgKind::Department } else { OrgKind::Region };
                org.ancestors(unit).iter().find(|n| n.kind == kind).map(|n| n.code.clone())
            }
        }
    };
    let months: Vec<(i32, String, String, i64, String)> = bw_store::sqlx::query_as(
        "SELECT m.year, m.indicator_code, m.month, m.paid, i.unit_code FROM indicator_months m \
         JOIN indicators i ON i.year = m.year AND i.indicator_code = m.indicator_code WHERE m.year <= $1",
    )
    .bind(year)
    .fetch_all(store.pool())
    .await?;
    let mut series: BTreeMap<String, Series> = BTreeMap::new();
    // Summed in fen, exactly.
    let mut sums: BTreeMap<(String, i32, u32), i64> = BTreeMap::new();
    for (y, indicator, ym, paid, unit) in months {
        let Some(key) = group(&indicator, &unit) else { continue };
        let Some(m) = ym.get(5..7).and_then(|m| m.parse::<u32>().ok()) else { continue };
        *sums.entry((key, y, m)).or_default() += paid;
    }
    for ((key, y, m), fen) in sums {
        series.entry(key).or_default().set(y, m, fen as f64);
    }
    let budgets: Vec<(String, String, i64)> =
        bw_store::sqlx::query_as("SELECT indicator_code, unit_code, amount FROM indicators WHERE year = $1")
            .bind(year)
            .fetch_all(store.pool())
            .await?;
    let mut budget: BTreeMap<String, i64> = BTreeMap::new();
    for (indicator, unit, amount) in budgets {
        if let Some(key) = group(&indicator, &unit) {
            *budget.entry(key.clone()).or_default() += amount;
            series.entry(key).or_default();
        }
    }
    series.retain(|code, _| budget.contains_key(code));
    Ok(Lines { org, series, budget })
}

/// How each method (and `auto`) would have forecast `year`'s lines, summed `by`, as of each
/// of `origins`: the year held out, scored against what it came to.
pub async fn backtest(
    store: &Store,
    year: i32,
    by: By,
    origins: &[u32],
) -> Result<Vec<outturn::Backtested>, ActionError> {
    let Lines { series, .. } = lines(store, year, by).await?;
    let all: Vec<Series> = series.into_values().collect();
    let methods: Vec<Method> = Method::CANDIDATES.iter().copied().chain([Method::Auto]).collect();
    Ok(outturn::backtest(&all, year, origins, &methods))
}

/// The forecasts of `year` as of the end of `month`, summed `by`, by `method`.
pub async fn run(store: &Store, year: i32, month: u32, by: By, method: Method) -> Result<Vec<Line>, ActionError> {
    let Lines { org, series, budget } = lines(store, year, by).await?;
    Ok(series
        .into_iter()
        .map(|(code, s)| {
            let f: Forecast = outturn::forecast(&s, year, month, method);
            let b = budget.get(&code).copied().unwrap_or(0);
            let money = |v: f64| Money::from_fen(v.round() as i64);
            let name = org.get(&code).map(|n| n.name.clone()).unwrap_or_else(|| code.clone());
            Line {
                p_overspend: f.p_above(1.1 * b as f64),
                p_underexecution: f.p_below(0.9 * b as f64),
                code,
                name,
                budget: Money::from_fen(b),
                method: f.method,
                to_date: money(f.to_date),
                outturn: money(f.outturn),
                p10: f.p10.map(money),
                p50: f.p50.map(money),
                p90: f.p90.map(money),
                backtest: f.backtest.iter().map(|(method, wape)| Backtest { method: *method, wape: *wape }).collect(),
            }
        })
        .collect())
}
