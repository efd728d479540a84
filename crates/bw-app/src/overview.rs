//! The first page's figures: budget, payments and execution rate against time progress
//! per region (rolled up the tree), revenue completion, and the year's monthly curve.
//! Figures are month-end figures, as monthly execution reports are.

use bw_core::Money;
use bw_core::org::{OrgKind, OrgNode, RegionLevel};
use bw_store::sqlx::{self, Row};
use bw_store::{Store, StoreError};
use std::collections::HashMap;

#[derive(Clone, Debug, serde::Serialize)]
pub struct RegionFigures {
    pub code: String,
    pub name: String,
    pub level: String,
    pub depth: usize,
    pub budget: Money,
    pub paid: Money,
    /// paid / budget.
    pub execution_rate: f64,
    pub revenue_target: Money,
    pub revenue: Money,
    pub revenue_rate: f64,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Overview {
    pub year: i32,
    /// Month-end of the figures, 1–12.
    pub month: u32,
    /// Completed months / 12.
    pub time_progress: f64,
    pub regions: Vec<RegionFigures>,
    /// Cumulative paid at each month-end of the year (12 values, months after `month` too).
    pub cumulative_paid: Vec<Money>,
    pub total_budget: Money,
    pub years: Vec<i32>,
    pub payments: i64,
    pub journal_size: i64,
}

fn sum_col(r: &sqlx::any::AnyRow, i: usize) -> Result<i64, StoreError> {
    Ok(r.try_get::<Option<i64>, _>(i)?.unwrap_or(0))
}

/// Figures for `year` at the end of `month`; `None` for the latest year with indicators,
/// and for the latest month not after `today`.
pub async fn overview(
    store: &Store,
    year: Option<i32>,
    month: Option<u32>,
    today: bw_core::Date,
) -> Result<Option<Overview>, StoreError> {
    let pool = store.pool();
    let years: Vec<i32> = sqlx::query("SELECT DISTINCT year FROM indicators ORDER BY year")
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>(0).map(|y| y as i32))
        .collect::<Result<_, _>>()?;
    let Some(&latest) = years.last() else {
        return Ok(None);
    };
    let year = year.filter(|y| years.contains(y)).unwrap_or(latest);
    let default_month = if today.year() > year {
        12
    } else if today.year() == year {
        today.month()
    } else {
        1
    };
    let month = month.filter(|m| (1..=12).contains(m)).unwrap_or(default_month);
    let month_key = format!("{year:04}-{month:02}");

    let units =
        sqlx::query("SELECT code, name, parent_code, kind, level, region_code FROM units WHERE kind = 'region'")
            .fetch_all(pool)
            .await?;
    let mut regions: Vec<OrgNode> = Vec::new();
    for r in &units {
        let level: Option<String> = r.try_get(4)?;
        regions.push(OrgNode {
            code: r.try_get(0)?,
            name: r.try_get(1)?,
            parent_code: r.try_get(2)?,
            kind: OrgKind::Region,
            level: level.and_then(|l| RegionLevel::parse(&l).ok()),
        });
    }
    let mut budget: HashMap<String, i64> = HashMap::new();
    for r in sqlx::query(
        "SELECT u.region_code, CAST(SUM(i.amount) AS BIGINT) FROM indicators i JOIN units u ON u.code = i.unit_code WHERE i.year = $1 GROUP BY u.region_code",
    )
    .bind(i64::from(year))
    .fetch_all(pool)
    .await?
    {
        budget.insert(r.try_get::<Option<String>, _>(0)?.unwrap_or_default(), sum_col(&r, 1)?);
    }
    let mut paid: HashMap<String, i64> = HashMap::new();
    for r in sqlx::query(
        "SELECT u.region_code, CAST(SUM(m.paid) AS BIGINT) FROM indicator_months m \
         JOIN indicators i ON i.year = m.year AND i.indicator_code = m.indicator_code \
         JOIN units u ON u.code = i.unit_code WHERE m.year = $1 AND m.month <= $2 GROUP BY u.region_code",
    )
    .bind(i64::from(year))
    .bind(month_key.clone())
    .fetch_all(pool)
    .await?
    {
        paid.insert(r.try_get::<Option<String>, _>(0)?.unwrap_or_default(), sum_col(&r, 1)?);
    }
    let mut target: HashMap<String, i64> = HashMap::new();
    for r in sqlx::query(
        "SELECT region_code, CAST(SUM(amount) AS BIGINT) FROM revenue_targets WHERE year = $1 GROUP BY region_code",
    )
    .bind(i64::from(year))
    .fetch_all(pool)
    .await?
    {
        target.insert(r.try_get(0)?, sum_col(&r, 1)?);
    }
    let mut revenue: HashMap<String, i64> = HashMap::new();
    for r in sqlx::query("SELECT region_code, CAST(SUM(amount) AS BIGINT) FROM revenue_months WHERE year = $1 AND month <= $2 GROUP BY region_code")
        .bind(i64::from(year))
        .bind(month_key.clone())
        .fetch_all(pool)
        .await?
    {
        revenue.insert(r.try_get(0)?, sum_col(&r, 1)?);
    }
    let mut monthly = [0i64; 12];
    for r in sqlx::query("SELECT month, CAST(SUM(paid) AS BIGINT) FROM indicator_months WHERE year = $1 GROUP BY month")
        .bind(i64::from(year))
        .fetch_all(pool)
        .await?
    {
        let m: String = r.try_get(0)?;
        if let Some(i) = m.get(5..7).and_then(|x| x.parse::<usize>().ok()).filter(|i| (1..=12).contains(i)) {
            monthly[i - 1] = sum_col(&r, 1)?;
        }
    }
    let mut acc = 0i64;
    let cumulative_paid = monthly
        .iter()
        .map(|m| {
            acc += m;
            Money::from_fen(acc)
        })
        .collect();

    // Roll each region's own figures up to its ancestors, then list the tree depth-first.
    let by_code: HashMap<&str, &OrgNode> = regions.iter().map(|r| (r.code.as_str(), r)).collect();
    let mut totals: HashMap<String, [i128; 4]> = HashMap::new();
    for r in &regions {
        let own = [budget.get(&r.code), paid.get(&r.code), target.get(&r.code), revenue.get(&r.code)]
            .map(|v| i128::from(*v.unwrap_or(&0)));
        let mut cur = Some(r);
        let mut steps = 0;
        while let Some(n) = cur {
            let t = totals.entry(n.code.clone()).or_default();
            for k in 0..4 {
                t[k] += own[k];
            }
            cur = n.parent_code.as_deref().and_then(|p| by_code.get(p).copied());
            steps += 1;
            if steps > 16 {
                break;
            }
        }
    }
    let mut children: HashMap<Option<&str>, Vec<&OrgNode>> = HashMap::new();
    for r in &regions {
        let parent = r.parent_code.as_deref().filter(|p| by_code.contains_key(p));
        children.entry(parent).or_default().push(r);
    }
    for v in children.values_mut() {
        v.sort_by(|a, b| a.code.cmp(&b.code));
    }
    let mut out = Vec::new();
    let mut stack: Vec<(&OrgNode, usize)> =
        children.get(&None).map(|v| v.iter().rev().map(|n| (*n, 0)).collect()).unwrap_or_default();
    while let Some((n, depth)) = stack.pop() {
        let t = totals.get(&n.code).copied().unwrap_or_default();
        let m = |v: i128| Money::from_fen(i64::try_from(v).unwrap_or(i64::MAX));
        out.push(RegionFigures {
            code: n.code.clone(),
            name: n.name.clone(),
            level: n.level.map(|l| l.as_str().to_string()).unwrap_or_default(),
            depth,
            budget: m(t[0]),
            paid: m(t[1]),
            execution_rate: m(t[1]).ratio_of(m(t[0])),
            revenue_target: m(t[2]),
            revenue: m(t[3]),
            revenue_rate: m(t[3]).ratio_of(m(t[2])),
        });
        if let Some(cs) = children.get(&Some(n.code.as_str())) {
            for c in cs.iter().rev() {
                stack.push((c, depth + 1));
            }
        }
    }
    let total_budget = Money::from_fen(budget.values().sum());
    // Counted from the monthly aggregates: a scan of them, not of every payment.
    let payments: i64 = sqlx::query("SELECT CAST(COALESCE(SUM(payments), 0) AS BIGINT) FROM indicator_months")
        .fetch_one(pool)
        .await?
        .try_get(0)?;
    Ok(Some(Overview {
        year,
        month,
        time_progress: f64::from(month) / 12.0,
        regions: out,
        cumulative_paid,
        total_budget,
        years,
        payments,
        journal_size: store.journal_size().await?,
    }))
}
