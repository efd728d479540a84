//! The cockpit's drill-down: any node of the organisation with its children's figures
//! (budget, paid at a month end, execution rate), a unit's indicators, an indicator's
//! payments, a payment voucher with its contract; and the cockpit's summaries (key areas of
//! spending, warnings by level and rule). Figures are month-end figures, as in `overview`.

use std::collections::HashMap;

use bw_core::Money;
use bw_core::org::{OrgKind, OrgTree};
use bw_store::Store;
use bw_store::sqlx::{self, Row};

use crate::journal::ActionError;

/// Budget and paid of a node (rolled up from the units beneath it).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Figures {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub budget: Money,
    pub paid: Money,
    pub execution_rate: f64,
}

/// An indicator of a unit with its execution.
#[derive(Clone, Debug, serde::Serialize)]
pub struct IndicatorFigures {
    pub code: String,
    pub unit_code: String,
    pub project: Option<String>,
    pub functional_code: String,
    pub economic_code: String,
    pub budget: Money,
    pub paid: Money,
    pub execution_rate: f64,
}

/// One step of the drill-down.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Level {
    pub node: Figures,
    /// From the root down to the node's parent.
    pub path: Vec<(String, String)>,
    pub children: Vec<Figures>,
    /// A unit's own indicators.
    pub indicators: Vec<IndicatorFigures>,
}

fn month_key(year: i32, month: u32) -> String {
    format!("{year:04}-{month:02}")
}

fn figures(code: &str, name: &str, kind: OrgKind, t: (i64, i64)) -> Figures {
    let (budget, paid) = (Money::from_fen(t.0), Money::from_fen(t.1));
    Figures {
        code: code.to_string(),
        name: name.to_string(),
        kind: kind.as_str().to_string(),
        budget,
        paid,
        execution_rate: paid.ratio_of(budget),
    }
}

/// Budget and paid (up to the end of `month`) per unit of `year`.
async fn per_unit(store: &Store, year: i32, month: u32) -> Result<HashMap<String, (i64, i64)>, ActionError> {
    let mut out: HashMap<String, (i64, i64)> = HashMap::new();
    for r in
        sqlx::query("SELECT unit_code, CAST(SUM(amount) AS BIGINT) FROM indicators WHERE year = $1 GROUP BY unit_code")
            .bind(i64::from(year))
            .fetch_all(store.pool())
            .await?
    {
        out.entry(r.try_get(0)?).or_default().0 = r.try_get::<Option<i64>, _>(1)?.unwrap_or(0);
    }
    for r in sqlx::query(
        "SELECT i.unit_code, CAST(SUM(m.paid) AS BIGINT) FROM indicator_months m \
         JOIN indicators i ON i.year = m.year AND i.indicator_code = m.indicator_code \
         WHERE m.year = $1 AND m.month <= $2 GROUP BY i.unit_code",
    )
    .bind(i64::from(year))
    .bind(month_key(year, month))
    .fetch_all(store.pool())
    .await?
    {
        out.entry(r.try_get(0)?).or_default().1 = r.try_get::<Option<i64>, _>(1)?.unwrap_or(0);
    }
    Ok(out)
}

/// Every node of `kind` (all kinds when `None`) with its figures of `year` at the end of
/// `month`, by code.
pub async fn nodes(
    store: &Store,
    tree: &OrgTree,
    kind: Option<OrgKind>,
    year: i32,
    month: u32,
) -> Result<Vec<Figures>, ActionError> {
    let totals = rolled_up(tree, &per_unit(store, year, month).await?);
    let mut out: Vec<Figures> = tree
        .nodes()
        .filter(|n| kind.is_none_or(|k| n.kind == k))
        .map(|n| figures(&n.code, &n.name, n.kind, totals.get(&n.code).copied().unwrap_or_default()))
        .collect();
    out.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(out)
}

/// Every node's totals: each unit's figures added to it and all its ancestors.
fn rolled_up(tree: &OrgTree, units: &HashMap<String, (i64, i64)>) -> HashMap<String, (i64, i64)> {
    let mut out: HashMap<String, (i64, i64)> = HashMap::new();
    for (unit, &(b, p)) in units {
        for n in tree.ancestors(unit) {
            let t = out.entry(n.code.clone()).or_default();
            t.0 = t.0.saturating_add(b);
            t.1 = t.1.saturating_add(p);
        }
    }
    out
}

/// The node `code` (a region, department or unit) of `year` at the end of `month`, with its
/// children and, for a unit, its indicators. `None` when there is no such node.
pub async fn level(
    store: &Store,
    tree: &OrgTree,
    code: &str,
    year: i32,
    month: u32,
) -> Result<Option<Level>, ActionError> {
    let Some(node) = tree.get(code) else { return Ok(None) };
    let totals = rolled_up(tree, &per_unit(store, year, month).await?);
    let t = |c: &str| totals.get(c).copied().unwrap_or_default();
    let mut children: Vec<Figures> = tree
        .nodes()
        .filter(|n| n.parent_code.as_deref() == Some(code))
        .map(|n| figures(&n.code, &n.name, n.kind, t(&n.code)))
        .collect();
    // Regions first, then departments, then units; by code within each.
    let rank = |k: &str| match k {
        "region" => 0,
        "department" => 1,
        _ => 2,
    };
    children.sort_by(|a, b| (rank(&a.kind), &a.code).cmp(&(rank(&b.kind), &b.code)));
    let mut path: Vec<(String, String)> =
        tree.ancestors(code).iter().skip(1).map(|n| (n.code.clone(), n.name.clone())).collect();
    path.reverse();
    let indicators = if node.kind == OrgKind::Unit { indicators(store, code, year, month).await? } else { Vec::new() };
    Ok(Some(Level { node: figures(&node.code, &node.name, node.kind, t(code)), path, children, indicators }))
}

async fn indicators(store: &Store, unit: &str, year: i32, month: u32) -> Result<Vec<IndicatorFigures>, ActionError> {
    indicator_rows(store, "i.unit_code = $3", &[unit.to_string()], year, month, None).await
}

/// The indicators of `year` with their execution at the end of `month`, by code: those of
/// `units` (all when `None`), after the code `after`, at most `limit` (all when `None`).
pub async fn indicator_page(
    store: &Store,
    units: Option<&[String]>,
    year: i32,
    month: u32,
    after: Option<&str>,
    limit: Option<usize>,
) -> Result<Vec<IndicatorFigures>, ActionError> {
    let mut conds = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    if let Some(units) = units {
        if units.is_empty() {
            return Ok(Vec::new());
        }
        let ps: Vec<String> = units
            .iter()
            .map(|u| {
                binds.push(u.clone());
                format!("${}", binds.len() + 2)
            })
            .collect();
        conds.push(format!("i.unit_code IN ({})", ps.join(", ")));
    }
    if let Some(a) = after {
        binds.push(a.to_string());
        conds.push(format!("i.indicator_code > ${}", binds.len() + 2));
    }
    let cond = if conds.is_empty() { "1 = 1".to_string() } else { conds.join(" AND ") };
    indicator_rows(store, &cond, &binds, year, month, limit).await
}

/// Indicators of `year` matching `cond` (its parameters from `$3`, bound to `binds`).
async fn indicator_rows(
    store: &Store,
    cond: &str,
    binds: &[String],
    year: i32,
    month: u32,
    limit: Option<usize>,
) -> Result<Vec<IndicatorFigures>, ActionError> {
    let text = format!(
        "SELECT i.indicator_code, i.project_code, i.functional_code, i.economic_code, i.amount, \
         CAST(COALESCE((SELECT SUM(m.paid) FROM indicator_months m WHERE m.year = i.year AND m.indicator_code = i.indicator_code AND m.month <= $2), 0) AS BIGINT), \
         i.unit_code FROM indicators i WHERE i.year = $1 AND {cond} ORDER BY i.indicator_code{}",
        limit.map(|l| format!(" LIMIT {l}")).unwrap_or_default()
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(text)).bind(i64::from(year)).bind(month_key(year, month));
    for b in binds {
        q = q.bind(b.clone());
    }
    let rows = q.fetch_all(store.pool()).await?;
    let mut out = Vec::new();
    for r in rows {
        let (budget, paid) = (Money::from_fen(r.try_get(4)?), Money::from_fen(r.try_get(5)?));
        out.push(IndicatorFigures {
            code: r.try_get(0)?,
            unit_code: r.try_get(6)?,
            project: r.try_get(1)?,
            functional_code: r.try_get(2)?,
            economic_code: r.try_get(3)?,
            budget,
            paid,
            execution_rate: paid.ratio_of(budget),
        });
    }
    Ok(out)
}

/// An indicator's unit (for the scope check) and figures.
pub async fn indicator(
    store: &Store,
    code: &str,
    year: i32,
    month: u32,
) -> Result<Option<(String, IndicatorFigures)>, ActionError> {
    let row = sqlx::query("SELECT unit_code FROM indicators WHERE indicator_code = $1 AND year = $2")
        .bind(code.to_string())
        .bind(i64::from(year))
        .fetch_optional(store.pool())
        .await?;
    let Some(r) = row else { return Ok(None) };
    let unit: String = r.try_get(0)?;
    let found = indicators(store, &unit, year, month).await?.into_iter().find(|i| i.code == code);
    Ok(found.map(|i| (unit, i)))
}

/// The key areas of spending the cockpit follows, by the first three digits (类) of the
/// functional classification: (id, 中文, English, 类 codes).
pub const KEY_AREAS: [(&str, &str, &str, &[&str]); 4] = [
    ("livelihood", "民生（社会保障和就业）", "Livelihood (social security, employment)", &["208"]),
    (
        "infrastructure",
        "基础设施（城乡社区、交通运输）",
        "Infrastructure (urban and rural, transport)",
        &["212", "214"],
    ),
    ("education", "教育", "Education", &["205"]),
    ("health", "卫生健康", "Health", &["210"]),
];

/// Budget and paid of each key area in the subtree of `scope` (everything when `None`).
pub async fn key_areas(
    store: &Store,
    tree: &OrgTree,
    scope: Option<&str>,
    year: i32,
    month: u32,
) -> Result<Vec<Figures>, ActionError> {
    let rows = sqlx::query(
        "SELECT i.unit_code, SUBSTR(i.functional_code, 1, 3), CAST(SUM(i.amount) AS BIGINT), \
         CAST(SUM(COALESCE((SELECT SUM(m.paid) FROM indicator_months m WHERE m.year = i.year AND m.indicator_code = i.indicator_code AND m.month <= $2), 0)) AS BIGINT) \
         FROM indicators i WHERE i.year = $1 GROUP BY i.unit_code, SUBSTR(i.functional_code, 1, 3)",
    )
    .bind(i64::from(year))
    .bind(month_key(year, month))
    .fetch_all(store.pool())
    .await?;
    let mut sums: HashMap<&str, (i64, i64)> = HashMap::new();
    for r in rows {
        let unit: String = r.try_get(0)?;
        if let Some(s) = scope
            && !tree.ancestors(&unit).iter().any(|n| n.code == s)
        {
            continue;
        }
        let class: String = r.try_get(1)?;
        let (b, p): (i64, i64) =
            (r.try_get::<Option<i64>, _>(2)?.unwrap_or(0), r.try_get::<Option<i64>, _>(3)?.unwrap_or(0));
        if let Some(area) = KEY_AREAS.iter().find(|a| a.3.contains(&class.as_str())) {
            let t = sums.entry(area.0).or_default();
            t.0 += b;
            t.1 += p;
        }
    }
    Ok(KEY_AREAS
        .iter()
        .map(|a| {
            let mut f = figures(a.0, a.1, OrgKind::Department, sums.get(a.0).copied().unwrap_or_default());
            f.kind = "area".into();
            f
        })
        .collect())
}

/// Warnings of `year` (every year when `None`) not finished, counted by level and by rule,
/// within `units` (all when `None`).
pub async fn warning_counts(
    store: &Store,
    year: Option<i32>,
    units: Option<&[String]>,
) -> Result<(Vec<(String, i64)>, Vec<(String, i64)>), ActionError> {
    let unfinished = "state NOT IN ('closed', 'archived', 'dismissed', 'withdrawn', 'recorded')";
    let rows = match year {
        Some(y) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT level, rule, unit_code FROM warnings WHERE year = $1 AND {unfinished}"
            )))
            .bind(i64::from(y))
            .fetch_all(store.pool())
            .await?
        }
        None => {
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT level, rule, unit_code FROM warnings WHERE {unfinished}")))
                .fetch_all(store.pool())
                .await?
        }
    };
    let (mut by_level, mut by_rule): (HashMap<String, i64>, HashMap<String, i64>) = Default::default();
    for r in rows {
        let unit: Option<String> = r.try_get(2)?;
        if let Some(allowed) = units
            && unit.as_ref().is_none_or(|u| allowed.binary_search(u).is_err())
        {
            continue;
        }
        *by_level.entry(r.try_get(0)?).or_default() += 1;
        *by_rule.entry(r.try_get(1)?).or_default() += 1;
    }
    let order = |l: &str| match l {
        "red" => 0,
        "orange" => 1,
        "yellow" => 2,
        _ => 3,
    };
    let mut levels: Vec<(String, i64)> = by_level.into_iter().collect();
    levels.sort_by_key(|(l, _)| order(l));
    let mut rules: Vec<(String, i64)> = by_rule.into_iter().collect();
    rules.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok((levels, rules))
}

/// A contract as a voucher's page shows it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ContractView {
    pub contract_no: String,
    pub supplier_name: String,
    pub amount: Money,
    pub paid: Money,
    pub signed_on: String,
    pub ends_on: String,
    pub status: String,
}

pub async fn contract(store: &Store, no: &str) -> Result<Option<ContractView>, ActionError> {
    let row = sqlx::query("SELECT contract_no, supplier_name, amount, paid, signed_on, ends_on, status FROM contracts WHERE contract_no = $1")
        .bind(no.to_string())
        .fetch_optional(store.pool())
        .await?;
    Ok(match row {
        Some(r) => Some(ContractView {
            contract_no: r.try_get(0)?,
            supplier_name: r.try_get(1)?,
            amount: Money::from_fen(r.try_get(2)?),
            paid: Money::from_fen(r.try_get(3)?),
            signed_on: r.try_get(4)?,
            ends_on: r.try_get(5)?,
            status: r.try_get(6)?,
        }),
        None => None,
    })
}
