//! The public portal's figures (阳光预算), desensitised by construction:
//! - only aggregates: budgets and payments by region, department, functional class and
//!   project; nothing names an individual payee, an account or a voucher;
//! - a group of payments is shown only when it holds at least `MIN_PAYMENTS` payments;
//!   smaller groups are added into one line of their own ("fewer than 3 payments");
//! - payments to individuals appear only as a total per department, rounded to the nearest
//!   10,000 yuan (the stated rounding of a sensitive category);
//! - what the law requires in full is shown in full: each department's budget and its
//!   execution (final accounts), its "三公" spending by item, its meeting (30215) and
//!   training (30216) costs;
//! - classified projects (涉密) are left out of every figure and counted in a line of
//!   their own.

use std::collections::HashMap;

use bw_core::Money;
use bw_core::code::SANGONG_CODES;
use bw_core::org::OrgTree;
use bw_store::Store;
use bw_store::sqlx::{self, Row};

use crate::journal::ActionError;

/// The smallest number of payments an aggregate below the unit level may show.
pub const MIN_PAYMENTS: i64 = 3;
/// Sensitive categories are rounded to this many fen (10,000 yuan).
pub const SENSITIVE_ROUNDING_FEN: i64 = 1_000_000;

/// Budget and paid of something, in full.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Pair {
    pub budget: Money,
    pub paid: Money,
}

/// A department's mandatory disclosure.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Department {
    pub code: String,
    pub name: String,
    pub region: String,
    pub total: Pair,
    /// Each "三公" item: (economic code, name), budget and paid.
    pub sangong: Vec<(String, String, Pair)>,
    pub meeting: Pair,
    pub training: Pair,
    /// Paid to individuals, rounded to `SENSITIVE_ROUNDING_FEN`.
    pub to_individuals_rounded: Money,
}

/// Paid in a region for a functional class (类), with the number of payments behind it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FlowCell {
    pub region: String,
    pub class: String,
    pub paid: Money,
    pub payments: i64,
}

/// A project and its execution.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Project {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub status: String,
    pub total: Pair,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Portal {
    pub year: i32,
    pub month: u32,
    pub departments: Vec<Department>,
    /// By functional class (类): budget and paid.
    pub functions: Vec<(String, Pair)>,
    /// The fund-flow heat map: regions × functional classes with at least `MIN_PAYMENTS`
    /// payments each.
    pub flows: Vec<FlowCell>,
    /// The cells left out of `flows` for holding fewer payments, added together.
    pub small_groups: Pair,
    pub small_group_count: i64,
    pub projects: Vec<Project>,
    /// Classified projects with indicators this year: left out of every figure above.
    pub classified_projects: usize,
    /// The departments' performance ranking of the year, once finance published it.
    pub ranking: Option<crate::performance::Ranking>,
}

fn round_sensitive(m: i64) -> Money {
    let r = SENSITIVE_ROUNDING_FEN;
    Money::from_fen((m + r / 2).div_euclid(r) * r)
}

/// The years the portal can show, newest first: every year with a budget (indicators).
pub async fn years(store: &Store) -> Result<Vec<i32>, ActionError> {
    let rows = sqlx::query("SELECT DISTINCT CAST(year AS BIGINT) FROM indicators ORDER BY 1 DESC")
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(|r| Ok(i32::try_from(r.try_get::<i64, _>(0)?).unwrap_or_default())).collect()
}

/// The year the portal opens on: the newest year with payments up to `today`'s year (its
/// execution is what the public asks about), else the newest year with a budget, else
/// `today`'s year (shown as "no data").
pub async fn default_year(store: &Store, today_year: i32) -> Result<i32, ActionError> {
    let paid: Option<i64> =
        sqlx::query("SELECT CAST(MAX(year) AS BIGINT) FROM indicator_months WHERE year <= $1 AND payments > 0")
            .bind(i64::from(today_year))
            .fetch_one(store.pool())
            .await?
            .try_get(0)?;
    if let Some(y) = paid {
        return Ok(i32::try_from(y).unwrap_or(today_year));
    }
    Ok(years(store).await?.first().copied().unwrap_or(today_year))
}

/// An indicator as the portal reads it: its unit, functional class (类, three digits),
/// economic code, project, budget, and what was paid on it and in how many payments up to
/// the month shown.
#[derive(Clone, Debug)]
pub struct Line {
    pub unit: String,
    pub class: String,
    pub economic: String,
    pub project: Option<String>,
    pub budget: i64,
    pub paid: i64,
    pub payments: i64,
}

/// A project's name, unit and status, as the portal lists it.
#[derive(Clone, Debug)]
pub struct ProjectName {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub status: String,
}

/// What the portal is made from, however it was read: a province's own tables, or the
/// national node's partitions of one province.
#[derive(Clone, Debug)]
pub struct Inputs {
    pub year: i32,
    pub month: u32,
    pub lines: Vec<Line>,
    /// Paid to individuals up to the month, per unit (classified projects left out).
    pub to_individuals: Vec<(String, i64)>,
    pub projects: Vec<ProjectName>,
    /// The classified projects (涉密), left out of every figure and counted.
    pub classified: std::collections::HashSet<String>,
    pub ranking: Option<crate::performance::Ranking>,
}

/// The per-indicator query of the portal: unit, class, economic code, project, budget, paid
/// and payments up to `$2` (YYYY-MM) of year `$1`.
pub const LINES: &str = "SELECT i.unit_code, SUBSTR(i.functional_code, 1, 3), i.economic_code, i.project_code, i.amount, \
     CAST(COALESCE(SUM(m.paid), 0) AS BIGINT), CAST(COALESCE(SUM(m.payments), 0) AS BIGINT) \
     FROM indicators i LEFT JOIN indicator_months m ON m.year = i.year AND m.indicator_code = i.indicator_code AND m.month <= $2 \
     WHERE i.year = $1 GROUP BY i.unit_code, i.indicator_code, i.functional_code, i.economic_code, i.project_code, i.amount";

/// A row of `LINES` (or a query of the same columns).
pub fn line_of(r: &bw_store::sqlx::any::AnyRow) -> Result<Line, bw_store::sqlx::Error> {
    Ok(Line {
        unit: r.try_get(0)?,
        class: r.try_get(1)?,
        economic: r.try_get(2)?,
        project: r.try_get(3)?,
        budget: r.try_get(4)?,
        paid: r.try_get(5)?,
        payments: r.try_get(6)?,
    })
}

/// The portal for `year` at the end of `month`.
pub async fn portal(store: &Store, tree: &OrgTree, year: i32, month: u32) -> Result<Portal, ActionError> {
    let month_key = format!("{year:04}-{month:02}");
    let mut lines = Vec::new();
    for r in sqlx::query(LINES).bind(i64::from(year)).bind(month_key.clone()).fetch_all(store.pool()).await? {
        lines.push(line_of(&r)?);
    }
    // Payments to individuals, per unit: a total only, rounded per department below.
    let rows = sqlx::query(
        "SELECT unit_code, CAST(SUM(amount) AS BIGINT) FROM payments WHERE year = $1 AND pay_date <= $2 AND payee_type = 'individual' \
         AND indicator_code NOT IN (SELECT i.indicator_code FROM indicators i JOIN classified_projects c ON c.project_code = i.project_code) \
         GROUP BY unit_code",
    )
    .bind(i64::from(year))
    .bind(format!("{month_key}-31"))
    .fetch_all(store.pool())
    .await?;
    let mut to_individuals = Vec::new();
    for r in rows {
        to_individuals.push((r.try_get(0)?, r.try_get::<Option<i64>, _>(1)?.unwrap_or(0)));
    }
    let mut projects = Vec::new();
    for r in sqlx::query("SELECT project_code, name, unit_code, status FROM projects").fetch_all(store.pool()).await? {
        projects.push(ProjectName {
            code: r.try_get(0)?,
            name: r.try_get(1)?,
            unit: r.try_get(2)?,
            status: r.try_get(3)?,
        });
    }
    Ok(assemble(
        tree,
        Inputs {
            year,
            month,
            lines,
            to_individuals,
            projects,
            classified: crate::classified::projects(store).await?,
            ranking: crate::performance::published(store, year).await?,
        },
    ))
}

/// The portal's figures from what was read, desensitised as the module says.
pub fn assemble(tree: &OrgTree, inputs: Inputs) -> Portal {
    let Inputs { year, month, lines, to_individuals, projects: names, classified, ranking } = inputs;
    let mut depts: HashMap<String, Department> = HashMap::new();
    let mut functions: HashMap<String, Pair> = HashMap::new();
    let mut flows: HashMap<(String, String), (i64, i64)> = HashMap::new();
    let mut projects: HashMap<String, Pair> = HashMap::new();
    let mut classified_seen = std::collections::HashSet::new();
    let add = |p: &mut Pair, b: i64, q: i64| {
        *p = Pair { budget: Money::from_fen(p.budget.fen() + b), paid: Money::from_fen(p.paid.fen() + q) };
    };
    for Line { unit, class, economic, project, budget, paid, payments: n } in lines {
        if let Some(p) = project.as_ref().filter(|p| classified.contains(*p)) {
            classified_seen.insert(p.clone());
            continue;
        }
        let dept = tree.department_of(&unit);
        let region = tree.region_of(&unit).map(|n| n.code.clone()).unwrap_or_default();
        if let Some(d) = dept {
            let e = depts.entry(d.code.clone()).or_insert_with(|| Department {
                code: d.code.clone(),
                name: d.name.clone(),
                region: tree.region_of(&d.code).map(|n| n.name.clone()).unwrap_or_default(),
                total: Pair::default(),
                sangong: SANGONG_CODES
                    .iter()
                    .map(|(c, zh, _)| (c.to_string(), zh.to_string(), Pair::default()))
                    .collect(),
                meeting: Pair::default(),
                training: Pair::default(),
                to_individuals_rounded: Money::from_fen(0),
            });
            add(&mut e.total, budget, paid);
            if let Some(s) = e.sangong.iter_mut().find(|(c, _, _)| economic.starts_with(c.as_str())) {
                add(&mut s.2, budget, paid);
            }
            if economic.starts_with("30215") {
                add(&mut e.meeting, budget, paid);
            }
            if economic.starts_with("30216") {
                add(&mut e.training, budget, paid);
            }
        }
        add(functions.entry(class.clone()).or_default(), budget, paid);
        let f = flows.entry((region, class)).or_default();
        f.0 += paid;
        f.1 += n;
        if let Some(p) = project {
            add(projects.entry(p).or_default(), budget, paid);
        }
    }
    let mut individuals: HashMap<String, i64> = HashMap::new();
    for (unit, fen) in to_individuals {
        if let Some(d) = tree.department_of(&unit) {
            *individuals.entry(d.code.clone()).or_default() += fen;
        }
    }
    for (d, fen) in individuals {
        if let Some(e) = depts.get_mut(&d) {
            e.to_individuals_rounded = round_sensitive(fen);
        }
    }
    let mut departments: Vec<Department> = depts.into_values().collect();
    departments.sort_by(|a, b| a.code.cmp(&b.code));
    let mut functions: Vec<(String, Pair)> = functions.into_iter().collect();
    functions.sort_by(|a, b| a.0.cmp(&b.0));
    let (mut shown, mut small, mut small_n) = (Vec::new(), Pair::default(), 0);
    for ((region, class), (paid, n)) in flows {
        if n >= MIN_PAYMENTS {
            shown.push(FlowCell { region, class, paid: Money::from_fen(paid), payments: n });
        } else if n > 0 {
            add(&mut small, 0, paid);
            small_n += 1;
        }
    }
    shown.sort_by(|a, b| (&a.region, &a.class).cmp(&(&b.region, &b.class)));
    let mut project_rows = Vec::new();
    for ProjectName { code, name, unit, status } in names {
        if let Some(total) = projects.remove(&code) {
            project_rows.push(Project { code, name, unit, status, total });
        }
    }
    project_rows.sort_by(|a, b| a.code.cmp(&b.code));
    Portal {
        year,
        month,
        departments,
        functions,
        flows: shown,
        small_groups: small,
        small_group_count: small_n,
        projects: project_rows,
        classified_projects: classified_seen.len(),
        ranking,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sensitive_totals_round_to_ten_thousand_yuan() {
        assert_eq!(super::round_sensitive(1_499_999).fen(), 1_000_000);
        assert_eq!(super::round_sensitive(1_500_000).fen(), 2_000_000);
        assert_eq!(super::round_sensitive(0).fen(), 0);
    }
}
