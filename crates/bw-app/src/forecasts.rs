//! Year-end outturn forecasts over the system's own figures: each indicator's monthly
//! payments (`indicator_months`) of every year up to the one forecast, summed by indicator,
//! unit, department or region, forecast by `bw_forecast::outturn` as of a month, with the
//! early signals of chapter 7: the probability that the year overspends its budget by more
//! than 10 % and that it executes less than 90 % of it, from the backtest outcomes.

use std::collections::{BTreeMap, HashMap};

use bw_core::Money;
use bw_core::org::OrgKind;
use bw_core::records::{Decimal, Period};
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
    /// A region's revenue line (region and revenue code): its revenue against its target.
    Revenue,
}

impl By {
    pub fn parse(s: &str) -> Option<By> {
        match s {
            "indicator" => Some(By::Indicator),
            "unit" => Some(By::Unit),
            "department" => Some(By::Department),
            "region" => Some(By::Region),
            "revenue" => Some(By::Revenue),
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
    if by == By::Revenue {
        return revenue_lines(store, year, org).await;
    }
    let group = |indicator: String, unit: String| -> Option<String> {
        match by {
            By::Indicator => Some(indicator),
            By::Unit => Some(unit),
            By::Department | By::Region => {
                let kind = if by == By::Department { OrgKind::Department } else { OrgKind::Region };
                org.ancestors(&unit).iter().find(|n| n.kind == kind).map(|n| n.code.clone())
            }
            By::Revenue => None,
        }
    };
    // By indicator, every indicator-month, packed into one value (rows are what a read costs:
    // each one crosses from the database's thread); otherwise summed by unit in the database.
    let months: Vec<(i32, String, String, i64, String)> = if by == By::Indicator {
        let packed = store.json_rows(&["m.year", "m.indicator_code", "m.month", "m.paid", "''"]);
        let sql = format!("SELECT {packed} FROM indicator_months m WHERE m.year <= $1");
        let text: Option<String> =
            bw_store::sqlx::query_scalar(bw_store::sqlx::AssertSqlSafe(sql)).bind(year).fetch_one(store.pool()).await?;
        serde_json::from_str(text.as_deref().unwrap_or("[]")).map_err(|e| ActionError::Invalid(e.to_string()))?
    } else {
        bw_store::sqlx::query_as(
            "SELECT m.year, '', m.month, CAST(SUM(m.paid) AS BIGINT), i.unit_code FROM indicator_months m \
             JOIN indicators i ON i.year = m.year AND i.indicator_code = m.indicator_code WHERE m.year <= $1 \
             GROUP BY m.year, m.month, i.unit_code",
        )
        .bind(year)
        .fetch_all(store.pool())
        .await?
    };
    let mut series: BTreeMap<String, Series> = BTreeMap::new();
    // Summed in fen, exactly, each line's months found by hashing its code once a row (a
    // map ordered by code, line and month compared strings for each of a province's
    // half-million indicator-months).
    let mut sums: HashMap<String, BTreeMap<i32, [Option<i64>; 12]>> = HashMap::new();
    for (y, indicator, ym, paid, unit) in months {
        let Some(m) = ym.get(5..7).and_then(|m| m.parse::<usize>().ok()).filter(|m| (1..=12).contains(m)) else {
            continue;
        };
        let Some(key) = group(indicator, unit) else { continue };
        let slot = &mut sums.entry(key).or_default().entry(y).or_insert([None; 12])[m - 1];
        *slot = Some(slot.unwrap_or(0) + paid);
    }
    for (key, years) in sums {
        let line = series.entry(key).or_default();
        for (y, months) in years {
            for (m, fen) in (1..).zip(months) {
                if let Some(fen) = fen {
                    line.set(y, m, fen as f64);
                }
            }
        }
    }
    let budgets: Vec<(String, String, i64)> =
        bw_store::sqlx::query_as("SELECT indicator_code, unit_code, amount FROM indicators WHERE year = $1")
            .bind(year)
            .fetch_all(store.pool())
            .await?;
    let mut budget: BTreeMap<String, i64> = BTreeMap::new();
    for (indicator, unit, amount) in budgets {
        if let Some(key) = group(indicator, unit) {
            *budget.entry(key.clone()).or_default() += amount;
            series.entry(key).or_default();
        }
    }
    series.retain(|code, _| budget.contains_key(code));
    Ok(Lines { org, series, budget })
}

/// The revenue lines (`region/revenue_code`): each month's revenue of every year up to
/// `year`, and the year's target as its budget.
async fn revenue_lines(store: &Store, year: i32, org: bw_core::org::OrgTree) -> Result<Lines, ActionError> {
    let months: Vec<(String, String, i32, String, i64)> = bw_store::sqlx::query_as(
        "SELECT region_code, revenue_code, year, substr(date, 6, 2), CAST(SUM(amount) AS BIGINT) FROM revenues \
         WHERE year <= $1 GROUP BY region_code, revenue_code, year, substr(date, 6, 2)",
    )
    .bind(year)
    .fetch_all(store.pool())
    .await?;
    let mut series: BTreeMap<String, Series> = BTreeMap::new();
    for (region, code, y, m, fen) in months {
        if let Ok(m) = m.parse::<u32>() {
            series.entry(format!("{region}/{code}")).or_default().set(y, m, fen as f64);
        }
    }
    let targets: Vec<(String, String, i64)> =
        bw_store::sqlx::query_as("SELECT region_code, revenue_code, amount FROM revenue_targets WHERE year = $1")
            .bind(year)
            .fetch_all(store.pool())
            .await?;
    let mut budget: BTreeMap<String, i64> = BTreeMap::new();
    for (region, code, amount) in targets {
        let key = format!("{region}/{code}");
        *budget.entry(key.clone()).or_default() += amount;
        series.entry(key).or_default();
    }
    series.retain(|code, _| budget.contains_key(code));
    Ok(Lines { org, series, budget })
}

/// The organisation node a line belongs to: a revenue line's region, any other line's own
/// code (an indicator's is looked up by the caller).
pub fn node_of(by: By, code: &str) -> &str {
    match by {
        By::Revenue => code.split_once('/').map_or(code, |(region, _)| region),
        _ => code,
    }
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
    Ok(outturn::backtest(&all, year, origins, &Method::SCORED, threads()))
}

/// Runs CPU-bound work from an async caller: on a multi-threaded runtime the worker's other
/// tasks move elsewhere meanwhile (`block_in_place`); on a single-threaded one (tests, the
/// command line) it simply runs.
pub(crate) fn cpu<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(work),
        _ => work(),
    }
}

/// The cores the forecasts run on.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The forecasts of `year` as of the end of `month`, summed `by`, by `method`.
pub async fn run(store: &Store, year: i32, month: u32, by: By, method: Method) -> Result<Vec<Line>, ActionError> {
    let Lines { org, series, budget } = lines(store, year, by).await?;
    let all: Vec<&Series> = series.values().collect();
    let forecasts = cpu(|| outturn::forecast_all(&all, year, month, method, threads()));
    Ok(series
        .keys()
        .zip(forecasts)
        .map(|(code, f): (&String, Forecast)| {
            let code = code.clone();
            let b = budget.get(&code).copied().unwrap_or(0);
            let money = |v: f64| Money::from_fen(v.round() as i64);
            let name = match code.split_once('/').filter(|_| by == By::Revenue) {
                Some((region, rc)) => format!("{} {rc}", org.get(region).map_or(region, |n| n.name.as_str())),
                None => org.get(&code).map(|n| n.name.clone()).unwrap_or_else(|| code.clone()),
            };
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

/// The deviation-rate regression's data set and fit (chapter 7: 回归分析预测未来季度支出偏差率).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Regression {
    /// Unit-quarters in the data set.
    pub rows: usize,
    /// Features left out: those that do not vary in the data (no information) and macro
    /// indicators missing for some unit-quarter.
    pub dropped: Vec<String>,
    #[serde(flatten)]
    pub fit: bw_forecast::ols::Fit,
    /// Each unit's next quarter after the last of the year with payments, predicted from it.
    pub predictions: Vec<UnitPrediction>,
}

/// The features of one unit-quarter, in the regression's order.
const FEATURES: [&str; 7] = [
    "lag_deviation",
    "project_share",
    "special_share",
    "red_warnings",
    "orange_warnings",
    "yellow_warnings",
    "commitment_ratio",
];

/// One unit's year: its budget, the shares of it in projects and special funds, its paid to
/// date at each quarter's end, its warnings raised in each quarter by level and its
/// contracts signed by each quarter's end (fen).
#[derive(Default)]
struct UnitYear {
    amount: i64,
    project: i64,
    special: i64,
    months: [i64; 12],
    warnings: [[u32; 3]; 4],
    committed: [i64; 4],
}

impl UnitYear {
    fn paid_to(&self, quarter: usize) -> i64 {
        self.months.iter().take(3 * quarter).sum()
    }
}

/// Regresses next quarter's deviation rate per unit-quarter on what was known at the end of
/// the quarter before, over every year up to `year`: the target is (paid to the quarter's
/// end − planned by profile) ÷ the year's budget, planned by the unit's mean share of its
/// budget paid by that quarter in its earlier years (`bw_forecast::deviation`). A unit-year
/// without an earlier year has no plan and is no row, unless no unit has an earlier year
/// (one year imported): then every unit plans evenly, q/4. The features are the quarter
/// before's deviation, the project and special-fund shares of the budget, the warnings
/// raised in the quarter before by level, the contracts signed by its end over the budget,
/// the unit's performance grade of the year before (`last_year_grade`) and each macro
/// indicator of the unit's region in the quarter before (`macro_<name>`). A
/// quarter 4 leads to the next year's quarter 1.
pub async fn regress(store: &Store, year: i32, cov: bw_forecast::ols::Cov) -> Result<Regression, ActionError> {
    use bw_forecast::deviation::{self, QuarterPaid};
    let data = unit_years(store, year).await?;
    let paid = |u: &UnitYear| QuarterPaid { budget: u.amount, paid_to: [1, 2, 3, 4].map(|q| u.paid_to(q)) };
    let mut plans: BTreeMap<(&str, i32), Option<[f64; 4]>> = BTreeMap::new();
    for (unit, yr) in data.keys() {
        let earlier: Vec<QuarterPaid> =
            data.range((unit.clone(), i32::MIN)..(unit.clone(), *yr)).map(|(_, u)| paid(u)).collect();
        plans.insert((unit.as_str(), *yr), deviation::profile(&earlier));
    }
    // Without any unit's earlier year there is no profile: a first year plans evenly.
    let even = plans.values().all(Option::is_none);
    let plan = |unit: &str, yr: i32| -> Option<[f64; 4]> {
        if even { Some(deviation::EVEN) } else { plans.get(&(unit, yr)).copied().flatten() }
    };
    let macros = macro_quarters(store, year).await?;
    // Each unit's regions, the nearest first: the region it lies in, then those above.
    let org = crate::users::org_tree(store).await?;
    let regions = |unit: &str| -> Vec<String> {
        org.ancestors(unit).iter().filter(|n| n.kind == OrgKind::Region).map(|n| n.code.clone()).collect()
    };
    let mut columns: Vec<(String, Vec<f64>)> = FEATURES.iter().map(|f| (f.to_string(), Vec::new())).collect();
    let grades = unit_grades(store, year).await?;
    // Features some rows may lack: last year's grade, then each macro indicator.
    let mut grade_column: Vec<Option<f64>> = Vec::new();
    let mut macro_columns: Vec<(String, Vec<Option<f64>>)> =
        macros.keys().map(|name| (format!("macro_{name}"), Vec::new())).collect();
    let mut y = Vec::new();
    for ((unit, yr), uy) in &data {
        let Some(shares) = plan(unit, *yr).filter(|_| uy.amount > 0) else { continue };
        // (the quarter before: its year, its data, its plan, its number) → this quarter.
        let mut steps: Vec<(i32, &UnitYear, [f64; 4], usize, usize)> =
            (1..4).map(|q| (*yr, uy, shares, q, q + 1)).collect();
        if let Some(before) = data.get(&(unit.clone(), yr - 1)).filter(|b| b.amount > 0)
            && let Some(before_shares) = plan(unit, yr - 1)
        {
            steps.push((yr - 1, before, before_shares, 4, 1));
        }
        for (prev_year, prev, prev_shares, q, next) in steps {
            y.push(deviation::rate(&paid(uy), &shares, next));
            let row = [
                deviation::rate(&paid(prev), &prev_shares, q),
                uy.project as f64 / uy.amount as f64,
                uy.special as f64 / uy.amount as f64,
                f64::from(prev.warnings[q - 1][0]),
                f64::from(prev.warnings[q - 1][1]),
                f64::from(prev.warnings[q - 1][2]),
                prev.committed[q - 1] as f64 / prev.amount.max(1) as f64,
            ];
            for (c, v) in columns.iter_mut().zip(row) {
                c.1.push(v);
            }
            grade_column.push(grades.get(&(unit.clone(), yr - 1)).copied());
            let chain = regions(unit);
            for ((_, by_quarter), c) in macros.iter().zip(macro_columns.iter_mut()) {
                // The unit's own region's figure, else the nearest region above that has one.
                let v = chain.iter().find_map(|r| by_quarter.get(&(r.clone(), prev_year, q as u32)).copied());
                c.1.push(v);
            }
        }
    }
    // A grade or a macro indicator missing for some unit-quarter cannot be a feature of all
    // of them.
    let mut dropped = Vec::new();
    for (name, values) in std::iter::once(("last_year_grade".to_string(), grade_column)).chain(macro_columns) {
        match values.into_iter().collect::<Option<Vec<f64>>>() {
            Some(v) if !y.is_empty() => columns.push((name, v)),
            _ => dropped.push(name),
        }
    }
    // A feature that never varies carries nothing and would make the design singular.
    let (kept, constant): (Vec<_>, Vec<_>) =
        columns.into_iter().partition(|(_, v)| v.iter().any(|x| (x - v[0]).abs() > 1e-12));
    dropped.extend(constant.into_iter().map(|(n, _)| n));
    let fit =
        bw_forecast::ols::fit(&y, &kept, cov).map_err(|e| ActionError::Invalid(format!("the regression: {e}")))?;
    // Each unit's next quarter, from the last quarter of `year` with payments.
    let mut predictions = Vec::new();
    let last = (1..=4usize)
        .rev()
        .find(|&q| data.iter().any(|((_, yr), u)| *yr == year && u.months[3 * q - 3..3 * q].iter().any(|m| *m != 0)));
    if let Some(q) = last {
        let (target_year, target_q) = if q < 4 { (year, q + 1) } else { (year + 1, 1) };
        for ((unit, _), uy) in data.iter().filter(|((_, yr), u)| *yr == year && u.amount > 0) {
            let Some(shares) = plan(unit, year) else { continue };
            let chain = regions(unit);
            let value = |name: &str| -> Option<f64> {
                Some(match name {
                    "lag_deviation" => deviation::rate(&paid(uy), &shares, q),
                    "project_share" => uy.project as f64 / uy.amount as f64,
                    "special_share" => uy.special as f64 / uy.amount as f64,
                    "red_warnings" => f64::from(uy.warnings[q - 1][0]),
                    "orange_warnings" => f64::from(uy.warnings[q - 1][1]),
                    "yellow_warnings" => f64::from(uy.warnings[q - 1][2]),
                    "commitment_ratio" => uy.committed[q - 1] as f64 / uy.amount as f64,
                    "last_year_grade" => return grades.get(&(unit.clone(), target_year - 1)).copied(),
                    m => {
                        let by_quarter = macros.get(m.strip_prefix("macro_")?)?;
                        return chain.iter().find_map(|r| by_quarter.get(&(r.clone(), year, q as u32)).copied());
                    }
                })
            };
            let Some(x) = kept.iter().map(|(name, _)| value(name)).collect::<Option<Vec<f64>>>() else { continue };
            if let Ok(p) = fit.predict(&x) {
                predictions.push(UnitPrediction {
                    unit_code: unit.clone(),
                    quarter: format!("{target_year}-Q{target_q}"),
                    prediction: p,
                });
            }
        }
    }
    Ok(Regression { rows: y.len(), dropped, fit, predictions })
}

/// A unit's predicted deviation rate for its next quarter, with the 95 % prediction interval.
#[derive(Clone, Debug, serde::Serialize)]
pub struct UnitPrediction {
    pub unit_code: String,
    /// The quarter predicted, `YYYY-Qn`.
    pub quarter: String,
    #[serde(flatten)]
    pub prediction: bw_forecast::ols::Prediction,
}

/// Each unit's performance grade by year, up to `year`, as a number (差 1, 中 2, 良 3,
/// 优 4): the grade of the budget-weighted mean of its projects' evaluation scores that year,
/// the third party's where there is one (`bw_core::performance::department_result`).
async fn unit_grades(store: &Store, year: i32) -> Result<HashMap<(String, i32), f64>, ActionError> {
    let pool = store.pool();
    let scores: Vec<(String, i32, String, String, i64)> = bw_store::sqlx::query_as(
        "SELECT e.project_code, e.year, p.unit_code, e.kind, e.score FROM evaluations e \
         JOIN projects p ON p.project_code = e.project_code WHERE e.year <= $1",
    )
    .bind(year)
    .fetch_all(pool)
    .await?;
    let budgets: Vec<(String, i32, i64)> = bw_store::sqlx::query_as(
        "SELECT project_code, year, CAST(SUM(amount) AS BIGINT) FROM indicators \
         WHERE year <= $1 AND project_code IS NOT NULL AND project_code <> '' GROUP BY project_code, year",
    )
    .bind(year)
    .fetch_all(pool)
    .await?;
    Ok(grades(scores, budgets))
}

/// The grades of `unit_grades` from the evaluations (project, year, unit, kind, score) and
/// the projects' budgets by year.
fn grades(
    scores: Vec<(String, i32, String, String, i64)>,
    budgets: Vec<(String, i32, i64)>,
) -> HashMap<(String, i32), f64> {
    let budgets: HashMap<(String, i32), i64> = budgets.into_iter().map(|(p, y, a)| ((p, y), a)).collect();
    // Per project-year: (unit, the score that counts).
    let mut projects: BTreeMap<(String, i32), (String, i64, bool)> = BTreeMap::new();
    for (project, y, unit, kind, score) in scores {
        let third = kind == "third_party";
        let e = projects.entry((project, y)).or_insert((unit, score, third));
        if third && !e.2 {
            (e.1, e.2) = (score, true);
        }
    }
    let mut by_unit: BTreeMap<(String, i32), Vec<(Money, bw_core::performance::Points)>> = BTreeMap::new();
    for ((project, y), (unit, score, _)) in projects {
        let budget = budgets.get(&(project, y)).copied().unwrap_or(0);
        by_unit.entry((unit, y)).or_default().push((Money::from_fen(budget), score));
    }
    by_unit
        .into_iter()
        .map(|(k, scores)| {
            let grade = bw_core::performance::Grade::of(bw_core::performance::department_result(&scores, None));
            (k, f64::from(grade as u8 + 1))
        })
        .collect()
}

/// Each macro indicator's quarterly figures up to `year`, by name, then (region, year,
/// quarter): a quarter's own figure, else the mean of its months' figures.
async fn macro_quarters(
    store: &Store,
    year: i32,
) -> Result<BTreeMap<String, HashMap<(String, i32, u32), f64>>, ActionError> {
    let rows: Vec<(String, String, String, String)> = bw_store::sqlx::query_as(
        "SELECT period, region_code, name, value FROM macro_indicators WHERE year <= $1 ORDER BY period",
    )
    .bind(year)
    .fetch_all(store.pool())
    .await?;
    let mut quarters: BTreeMap<String, HashMap<(String, i32, u32), f64>> = BTreeMap::new();
    let mut months: BTreeMap<(String, String, i32, u32), (f64, u32)> = BTreeMap::new();
    for (period, region, name, value) in rows {
        let (Ok(p), Ok(v)) = (Period::parse(&period), Decimal::parse(&value)) else { continue };
        match p {
            Period::Quarter { year, quarter } => {
                quarters.entry(name).or_default().insert((region, year, quarter), v.to_f64());
            }
            Period::Month { year, .. } => {
                let m = months.entry((name, region, year, p.quarter())).or_default();
                m.0 += v.to_f64();
                m.1 += 1;
            }
        }
    }
    for ((name, region, year, quarter), (sum, n)) in months {
        quarters.entry(name).or_default().entry((region, year, quarter)).or_insert(sum / f64::from(n));
    }
    Ok(quarters)
}

/// Every unit's years up to `year`, read from the indicators, their months, the warnings
/// and the contracts.
async fn unit_years(store: &Store, year: i32) -> Result<BTreeMap<(String, i32), UnitYear>, ActionError> {
    let pool = store.pool();
    let mut data: BTreeMap<(String, i32), UnitYear> = BTreeMap::new();
    let rows: Vec<(String, i32, i64, Option<String>, i64)> = bw_store::sqlx::query_as(
        "SELECT unit_code, year, amount, project_code, special FROM indicators WHERE year <= $1",
    )
    .bind(year)
    .fetch_all(pool)
    .await?;
    for (unit, y, amount, project, special) in rows {
        let u = data.entry((unit, y)).or_default();
        u.amount += amount;
        u.project += if project.is_some_and(|p| !p.is_empty()) { amount } else { 0 };
        u.special += if special != 0 { amount } else { 0 };
    }
    let months: Vec<(String, i32, String, i64)> = bw_store::sqlx::query_as(
        // Summed by unit in the database: the rows are what the read costs.
        "SELECT i.unit_code, m.year, m.month, CAST(SUM(m.paid) AS BIGINT) FROM indicator_months m \
         JOIN indicators i ON i.year = m.year AND i.indicator_code = m.indicator_code WHERE m.year <= $1 \
         GROUP BY i.unit_code, m.year, m.month",
    )
    .bind(year)
    .fetch_all(pool)
    .await?;
    for (unit, y, ym, paid) in months {
        let m: usize = ym.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(0);
        if let (Some(u), 1..=12) = (data.get_mut(&(unit, y)), m) {
            u.months[m - 1] += paid;
        }
    }
    let warnings: Vec<(String, i32, String, String)> = bw_store::sqlx::query_as(
        "SELECT unit_code, year, level, raised_on FROM warnings WHERE unit_code IS NOT NULL AND year <= $1",
    )
    .bind(year)
    .fetch_all(pool)
    .await?;
    for (unit, y, level, raised_on) in warnings {
        let Ok(on) = bw_core::Date::parse(&raised_on) else { continue };
        let level = match level.as_str() {
            "red" => 0,
            "orange" => 1,
            _ => 2,
        };
        if let Some(u) = data.get_mut(&(unit, y))
            && on.year() == y
        {
            u.warnings[(on.month() as usize - 1) / 3][level] += 1;
        }
    }
    let contracts: Vec<(String, i32, i64, String)> =
        bw_store::sqlx::query_as("SELECT unit_code, year, amount, signed_on FROM contracts WHERE year <= $1")
            .bind(year)
            .fetch_all(pool)
            .await?;
    for (unit, y, amount, signed_on) in contracts {
        let Ok(on) = bw_core::Date::parse(&signed_on) else { continue };
        if let Some(u) = data.get_mut(&(unit, y))
            && on.year() <= y
        {
            // Signed before the year counts from its first quarter.
            let first = if on.year() < y { 0 } else { (on.month() as usize - 1) / 3 };
            for c in u.committed.iter_mut().skip(first) {
                *c += amount;
            }
        }
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_units_grade_weighs_its_projects_by_budget_the_third_partys_score_first() {
        let e = |p: &str, y: i32, u: &str, k: &str, s: i64| (p.to_string(), y, u.to_string(), k.to_string(), s);
        let scores = vec![
            // P1: the unit's own 95, the third party's 62 — the third party's counts.
            e("P1", 2024, "U1", "self", 950),
            e("P1", 2024, "U1", "third_party", 620),
            // P2, three times P1's budget: 92.
            e("P2", 2024, "U1", "self", 920),
            e("P3", 2024, "U2", "self", 850),
        ];
        let budgets = vec![("P1".to_string(), 2024, 100), ("P2".to_string(), 2024, 300)];
        let g = grades(scores, budgets);
        // (62 × 1 + 92 × 3) ÷ 4 = 84.5: 良 (3); U2's 85 alone: 良.
        assert_eq!(g.get(&("U1".to_string(), 2024)), Some(&3.0));
        assert_eq!(g.get(&("U2".to_string(), 2024)), Some(&3.0));
        let low = grades(vec![e("P1", 2023, "U1", "third_party", 590)], Vec::new());
        assert_eq!(low.get(&("U1".to_string(), 2023)), Some(&1.0), "差 below 60");
    }
}
