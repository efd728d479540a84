//! Performance of a fiscal year (docs/PERFORMANCE.md): projects' KPIs and the values
//! reached, self and third-party evaluations, departments' satisfaction surveys — each
//! journaled — and from them the year's scores, grades, distortion flags, department
//! results, the ladder and next year's proposal, saved as draft versions of the next cycle
//! (never applied without its approval).

use std::collections::BTreeMap;

use bw_core::Money;
use bw_core::budget::DraftLine;
use bw_core::performance::{self as perf, Category, Direction, Grade, Kpi, Ladder, Milli, Points, ProjectAction, Rung};
use bw_store::Store;
use bw_store::sqlx::{self, Row};

use crate::Ctx;
use crate::journal::{ActionError, act_projected};
use bw_core::performance::entry::{self, Entry};

fn invalid(m: impl Into<String>) -> ActionError {
    ActionError::Invalid(m.into())
}

fn parse_direction(s: &str) -> Result<Direction, String> {
    match s {
        "at_least" | ">=" => Ok(Direction::AtLeast),
        "at_most" | "<=" => Ok(Direction::AtMost),
        _ => Err(format!("{s:?}: the direction is at_least or at_most")),
    }
}

async fn project_unit(store: &Store, project: &str) -> Result<String, ActionError> {
    let row = sqlx::query("SELECT unit_code FROM projects WHERE project_code = $1")
        .bind(project.to_string())
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| invalid(format!("no project {project} in the project library")))?;
    Ok(row.try_get(0)?)
}

/// Reads KPIs from a CSV with the columns `code, name, category, direction, target,
/// weight`; an error names the file, the row (1 = the header) and the column.
pub fn kpis_csv(path: &std::path::Path) -> Result<Vec<Kpi>, String> {
    let file = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{file}: {e}"))?;
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> =
        reader.headers().map_err(|e| format!("{file}:1: {e}"))?.iter().map(|h| h.trim().to_string()).collect();
    let col = |name: &str| header.iter().position(|h| h == name).ok_or_else(|| format!("{file}:1: no column {name}"));
    let cols = [col("code")?, col("name")?, col("category")?, col("direction")?, col("target")?, col("weight")?];
    let mut out = Vec::new();
    for (i, r) in reader.records().enumerate() {
        let row = i + 2;
        let r = r.map_err(|e| format!("{file}:{row}: {e}"))?;
        let cell = |c: usize| r.get(cols[c]).unwrap_or("").trim().to_string();
        let at = |name: &str, e: String| format!("{file}:{row}: column {name}: {e}");
        out.push(Kpi {
            code: cell(0),
            name: cell(1),
            category: Category::parse(&cell(2)).map_err(|e| at("category", e))?,
            direction: parse_direction(&cell(3)).map_err(|e| at("direction", e))?,
            target: Milli::parse(&cell(4)).map_err(|e| at("target", e))?,
            weight: cell(5).parse().map_err(|_| at("weight", "not a whole number".into()))?,
            actual: None,
        });
    }
    Ok(out)
}

/// Sets project `project`'s KPIs for `year` (replacing any set before; values reached are
/// kept for the codes that stay).
pub async fn set_kpis(store: &Store, ctx: &Ctx, year: i32, project: &str, kpis: &[Kpi]) -> Result<i64, ActionError> {
    project_unit(store, project).await?;
    perf::check_kpis(kpis).map_err(invalid)?;
    if kpis.iter().any(|k| k.code.trim().is_empty()) {
        return Err(invalid("a KPI needs a code"));
    }
    let before = kpis_of(store, year, project).await?;
    let mut set: Vec<Kpi> = kpis.to_vec();
    for k in &mut set {
        k.actual = before.iter().find(|b| b.code == k.code).and_then(|b| b.actual);
    }
    let text = serde_json::to_string(&set).map_err(|e| invalid(e.to_string()))?;
    let data = Entry::KpiSet(entry::KpiSet { year, project_code: project.into(), kpis: text });
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("KPIs of {project} for {year}"));
    act_projected(store, ctx, data.action(), &reason, &data, |idx| entry::project(&data, idx, &ctx.actor)).await
}

/// Records the value KPI `code` of `project` reached in `year`.
pub async fn record_actual(
    store: &Store,
    ctx: &Ctx,
    year: i32,
    project: &str,
    code: &str,
    value: Milli,
) -> Result<i64, ActionError> {
    if !kpis_of(store, year, project).await?.iter().any(|k| k.code == code) {
        return Err(invalid(format!("project {project} has no KPI {code} for {year}")));
    }
    let data = Entry::KpiActual(entry::KpiActual {
        year,
        project_code: project.into(),
        code: code.into(),
        actual: value.to_string(),
    });
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("{code} of {project} reached {value}"));
    act_projected(store, ctx, data.action(), &reason, &data, |idx| entry::project(&data, idx, &ctx.actor)).await
}

/// The KPIs of `project` for `year`, by code.
pub async fn kpis_of(store: &Store, year: i32, project: &str) -> Result<Vec<Kpi>, ActionError> {
    let rows = sqlx::query(
        "SELECT code, name, category, direction, target, weight, actual FROM kpis WHERE year = $1 AND project_code = $2 ORDER BY code",
    )
    .bind(i64::from(year))
    .bind(project.to_string())
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(|r| kpi_row(r, 0)).collect()
}

/// A KPI from a row whose columns from `at` are code, name, category, direction, target,
/// weight and actual.
fn kpi_row(r: &bw_store::sqlx::any::AnyRow, at: usize) -> Result<Kpi, ActionError> {
    Ok(Kpi {
        code: r.try_get(at)?,
        name: r.try_get(at + 1)?,
        category: Category::parse(&r.try_get::<String, _>(at + 2)?).map_err(invalid)?,
        direction: parse_direction(&r.try_get::<String, _>(at + 3)?).map_err(invalid)?,
        target: Milli(r.try_get(at + 4)?),
        weight: u32::try_from(r.try_get::<i64, _>(at + 5)?).unwrap_or(0),
        actual: r.try_get::<Option<i64>, _>(at + 6)?.map(Milli),
    })
}

/// Who evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evaluator {
    /// The unit's own evaluation (自评).
    SelfEvaluation,
    /// An outside evaluator's (第三方评价).
    ThirdParty,
}

impl Evaluator {
    pub fn parse(s: &str) -> Result<Evaluator, String> {
        match s {
            "self" => Ok(Evaluator::SelfEvaluation),
            "third_party" => Ok(Evaluator::ThirdParty),
            _ => Err(format!("{s:?}: self or third_party")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Evaluator::SelfEvaluation => "self",
            Evaluator::ThirdParty => "third_party",
        }
    }
}

/// Records an evaluation's score of `project` for `year` (replacing the same evaluator's).
pub async fn evaluate(
    store: &Store,
    ctx: &Ctx,
    year: i32,
    project: &str,
    by: Evaluator,
    score: Points,
) -> Result<i64, ActionError> {
    project_unit(store, project).await?;
    let data = Entry::EvaluationRecord(entry::EvaluationRecord {
        year,
        project_code: project.into(),
        kind: by.as_str().into(),
        score: perf::points_text(score),
    });
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("{} evaluation of {project}", by.as_str()));
    act_projected(store, ctx, data.action(), &reason, &data, |idx| entry::project(&data, idx, &ctx.actor)).await
}

/// Records a department's public-satisfaction score for `year`.
pub async fn record_satisfaction(
    store: &Store,
    ctx: &Ctx,
    year: i32,
    department: &str,
    score: Points,
) -> Result<i64, ActionError> {
    let tree = crate::users::org_tree(store).await?;
    if tree.get(department).map(|n| n.kind) != Some(bw_core::org::OrgKind::Department) {
        return Err(invalid(format!("{department} is not a department")));
    }
    let data = Entry::SatisfactionRecord(entry::SatisfactionRecord {
        year,
        department_code: department.into(),
        score: perf::points_text(score),
    });
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("public satisfaction with {department}"));
    act_projected(store, ctx, data.action(), &reason, &data, |idx| entry::project(&data, idx, &ctx.actor)).await
}

/// A project's year in figures.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ProjectResult {
    pub project_code: String,
    pub unit_code: String,
    pub department_code: String,
    pub budget: Money,
    /// From the KPIs; `None` without KPIs.
    pub kpi_score: Option<Points>,
    pub self_score: Option<Points>,
    pub third_party_score: Option<Points>,
    /// The one used: the third party's, else the unit's own, else the KPIs' (0 when none).
    pub score: Points,
    /// Whether there is any score at all: a project nobody evaluated is 未评价, neither
    /// graded 差 nor counted in its department's result, and its funding is kept as it is.
    pub evaluated: bool,
    pub grade: Grade,
    pub grade_zh: &'static str,
    pub distorted: bool,
    pub action: ProjectAction,
}

/// The year's results: every project with an indicator in `year`, every department's rung.
#[derive(Clone, Debug, serde::Serialize)]
pub struct YearResults {
    pub year: i32,
    pub projects: Vec<ProjectResult>,
    pub departments: Vec<Rung>,
}

/// Scores, grades, flags and the ladder of `year`.
pub async fn results(store: &Store, year: i32) -> Result<YearResults, ActionError> {
    let tree = crate::users::org_tree(store).await?;
    let rows = sqlx::query(
        "SELECT i.project_code, p.unit_code, CAST(SUM(i.amount) AS BIGINT) FROM indicators i JOIN projects p ON p.project_code = i.project_code \
         WHERE i.year = $1 GROUP BY i.project_code, p.unit_code ORDER BY i.project_code",
    )
    .bind(i64::from(year))
    .fetch_all(store.pool())
    .await?;
    let mut evaluations: BTreeMap<(String, String), Points> = BTreeMap::new();
    for r in sqlx::query("SELECT project_code, kind, score FROM evaluations WHERE year = $1")
        .bind(i64::from(year))
        .fetch_all(store.pool())
        .await?
    {
        evaluations.insert((r.try_get(0)?, r.try_get(1)?), r.try_get(2)?);
    }
    // Every project's KPIs at once (one query, not one a project).
    let mut kpis_by_project: BTreeMap<String, Vec<Kpi>> = BTreeMap::new();
    for r in sqlx::query(
        "SELECT project_code, code, name, category, direction, target, weight, actual FROM kpis WHERE year = $1 ORDER BY project_code, code",
    )
    .bind(i64::from(year))
    .fetch_all(store.pool())
    .await?
    {
        kpis_by_project.entry(r.try_get(0)?).or_default().push(kpi_row(&r, 1)?);
    }
    let mut projects = Vec::new();
    let mut per_department: BTreeMap<String, Vec<(Money, Points)>> = BTreeMap::new();
    for r in rows {
        let (code, unit): (String, String) = (r.try_get(0)?, r.try_get(1)?);
        let budget = Money::from_fen(r.try_get::<Option<i64>, _>(2)?.unwrap_or(0));
        let kpis = kpis_by_project.remove(&code).unwrap_or_default();
        // KPIs without any value reported are no evaluation yet (not a score of 0); once one is
        // reported, a KPI still without its value earns nothing.
        let kpi_score = kpis.iter().any(|k| k.actual.is_some()).then(|| perf::score(&kpis));
        let own = evaluations.get(&(code.clone(), "self".into())).copied();
        let third = evaluations.get(&(code.clone(), "third_party".into())).copied();
        let used = third.or(own).or(kpi_score);
        let (score, evaluated) = (used.unwrap_or(0), used.is_some());
        let grade = Grade::of(score);
        let department = tree.department_of(&unit).map(|d| d.code.clone()).unwrap_or_default();
        // Departments are ranked on what was evaluated; one with nothing evaluated is not ranked.
        if evaluated {
            per_department.entry(department.clone()).or_default().push((budget, score));
        }
        projects.push(ProjectResult {
            project_code: code,
            unit_code: unit,
            department_code: department,
            budget,
            kpi_score,
            self_score: own,
            third_party_score: third,
            score,
            evaluated,
            grade,
            grade_zh: if evaluated { grade.zh() } else { "未评价" },
            distorted: matches!((own, third), (Some(a), Some(b)) if perf::distorted(a, b)),
            action: if evaluated { ProjectAction::of(grade) } else { ProjectAction::Keep },
        });
    }
    let mut surveys: BTreeMap<String, Points> = BTreeMap::new();
    for r in sqlx::query("SELECT department_code, score FROM satisfaction WHERE year = $1")
        .bind(i64::from(year))
        .fetch_all(store.pool())
        .await?
    {
        surveys.insert(r.try_get(0)?, r.try_get(1)?);
    }
    let results: Vec<(String, Points)> = per_department
        .iter()
        .map(|(d, ps)| (d.clone(), perf::department_result(ps, surveys.get(d).copied())))
        .collect();
    let departments = perf::ladder(&results, &Ladder::default());
    Ok(YearResults { year, projects, departments })
}

/// Next year's proposal from `year`'s results, saved as a draft version of each unit with
/// project indicators for `year + 1` (its cycle open for drafts): each indicator's amount
/// changed by its project's grade and its department's rung (a basic expenditure line by
/// the rung alone); a suspended project's lines are left out. The versions saved.
pub async fn propose(store: &Store, ctx: &Ctx, year: i32) -> Result<Vec<(String, i64)>, ActionError> {
    let r = results(store, year).await?;
    let tree = crate::users::org_tree(store).await?;
    let rung = |dept: &str| r.departments.iter().find(|x| x.department == dept).map(|x| x.change_pct).unwrap_or(0);
    let action = |project: &str| r.projects.iter().find(|p| p.project_code == project).map(|p| p.action);
    let units: Vec<String> = {
        let mut u: Vec<String> = r.projects.iter().map(|p| p.unit_code.clone()).collect();
        u.sort();
        u.dedup();
        u
    };
    let mut saved = Vec::new();
    let l = Ladder::default();
    for unit in units {
        let dept = tree.department_of(&unit).map(|d| d.code.clone()).unwrap_or_default();
        let rows = sqlx::query(
            "SELECT indicator_code, project_code, functional_code, economic_code, amount FROM indicators WHERE year = $1 AND unit_code = $2 ORDER BY indicator_code",
        )
        .bind(i64::from(year))
        .bind(unit.clone())
        .fetch_all(store.pool())
        .await?;
        let mut lines = Vec::new();
        for row in rows {
            let project: Option<String> = row.try_get(1)?;
            let act = project.as_deref().and_then(action).unwrap_or(ProjectAction::Keep);
            let amount = perf::proposed(Money::from_fen(row.try_get(4)?), act, rung(&dept), &l);
            if amount.is_positive() {
                lines.push(DraftLine {
                    indicator_code: row.try_get(0)?,
                    project_code: project,
                    functional_code: row.try_get(2)?,
                    economic_code: row.try_get(3)?,
                    amount,
                });
            }
        }
        if lines.is_empty() {
            continue;
        }
        let note = format!("{year}年绩效评价结果形成的{}年预算建议（待审批）", year + 1);
        let v = crate::budget::save_draft(store, ctx, year + 1, &unit, &lines, &note).await?;
        saved.push((unit, v));
    }
    schedule_interviews(store, ctx, year, &r.departments).await?;
    Ok(saved)
}

/// Working days between the proposal and the interview of a bottom department's head.
pub const INTERVIEW_WORKDAYS: u32 = 10;

/// An interview (约谈) of a department's head, scheduled for its place at the bottom of the
/// year's ladder.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Interview {
    pub year: i32,
    pub department_code: String,
    pub due_on: String,
}

/// Schedules an interview of each department the ladder marks, `INTERVIEW_WORKDAYS` working
/// days after today (journaled `interview.schedule`); one per department and year.
async fn schedule_interviews(store: &Store, ctx: &Ctx, year: i32, rungs: &[Rung]) -> Result<(), ActionError> {
    let have: Vec<String> = interviews(store, year).await?.into_iter().map(|i| i.department_code).collect();
    let calendar = crate::calendar::load(store).await?;
    let due = calendar.add_workdays(ctx.today, INTERVIEW_WORKDAYS).value;
    for r in rungs.iter().filter(|r| r.interview && !have.contains(&r.department)) {
        let data = Entry::InterviewSchedule(entry::InterviewSchedule {
            year,
            department_code: r.department.clone(),
            due_on: due,
        });
        let reason = format!("interview of the head of {} for the performance of {year}", r.department);
        act_projected(store, ctx, data.action(), &reason, &data, |idx| entry::project(&data, idx, &ctx.actor)).await?;
    }
    Ok(())
}

/// The interviews scheduled for `year`'s performance, by department.
pub async fn interviews(store: &Store, year: i32) -> Result<Vec<Interview>, ActionError> {
    let rows = sqlx::query("SELECT department_code, due_on FROM interviews WHERE year = $1 ORDER BY department_code")
        .bind(i64::from(year))
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(|r| Ok(Interview { year, department_code: r.try_get(0)?, due_on: r.try_get(1)? })).collect()
}

/// A department's line of a published ranking.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ranked {
    pub rank: usize,
    pub department_code: String,
    pub name: String,
    /// The department's result, "87.5".
    pub result: String,
    pub grade_zh: String,
    /// The change to next year's budget in whole percent (+5 … +10 at the top, a cut at the
    /// bottom, 0 between).
    pub change_pct: i32,
    pub interview: bool,
}

/// A year's published ranking.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ranking {
    pub year: i32,
    pub published_at: String,
    pub departments: Vec<Ranked>,
}

/// Publishes `year`'s ranking of departments (journaled `performance.publish`) for the
/// portal; publishing again replaces it. Refused when no department has a result.
pub async fn publish(store: &Store, ctx: &Ctx, year: i32) -> Result<Ranking, ActionError> {
    let r = results(store, year).await?;
    if r.departments.is_empty() {
        return Err(invalid(format!("no department has a performance result in {year}: nothing to publish")));
    }
    let tree = crate::users::org_tree(store).await?;
    let departments: Vec<Ranked> = r
        .departments
        .iter()
        .map(|d| Ranked {
            rank: d.rank,
            department_code: d.department.clone(),
            name: tree.get(&d.department).map(|n| n.name.clone()).unwrap_or_else(|| d.department.clone()),
            result: perf::points_text(d.result),
            grade_zh: Grade::of(d.result).zh().to_string(),
            change_pct: d.change_pct,
            interview: d.interview,
        })
        .collect();
    let ranking = Ranking { year, published_at: ctx.at.to_string(), departments };
    let text = serde_json::to_string(&ranking.departments).map_err(|e| invalid(e.to_string()))?;
    let data = Entry::PerformancePublish(entry::PerformancePublish { year, ranking: text, published_at: ctx.at });
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("publish the performance ranking of {year}"));
    act_projected(store, ctx, data.action(), &reason, &data, |idx| entry::project(&data, idx, &ctx.actor)).await?;
    Ok(ranking)
}

/// `year`'s published ranking, if any.
pub async fn published(store: &Store, year: i32) -> Result<Option<Ranking>, ActionError> {
    let row = sqlx::query("SELECT ranking, published_at FROM rankings WHERE year = $1")
        .bind(i64::from(year))
        .fetch_optional(store.pool())
        .await?;
    let Some(r) = row else { return Ok(None) };
    let text: String = r.try_get(0)?;
    let departments = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    Ok(Some(Ranking { year, published_at: r.try_get(1)?, departments }))
}

/// The rolling plans made in `plan_year`: each project's three years.
pub async fn plans(store: &Store, plan_year: i32) -> Result<Vec<PlanLine>, ActionError> {
    let rows = sqlx::query(
        "SELECT project_code, plan_year, year, amount FROM rolling_plans WHERE plan_year = $1 ORDER BY project_code, year",
    )
    .bind(i64::from(plan_year))
    .fetch_all(store.pool())
    .await?;
    let grouped = three_years(&rows, |r| r.try_get::<String, _>(0))?;
    Ok(grouped.into_iter().map(|(project_code, _, amounts)| PlanLine { project_code, amounts }).collect())
}

/// Rows of rolling plans (`…, plan_year, year, amount` in the last three columns, ordered
/// by `key` then year) gathered into (key, plan year, the three years' amounts).
pub(crate) fn three_years<K: PartialEq>(
    rows: &[bw_store::sqlx::any::AnyRow],
    key: impl Fn(&bw_store::sqlx::any::AnyRow) -> Result<K, sqlx::Error>,
) -> Result<Vec<(K, i32, [Money; 3])>, ActionError> {
    let mut out: Vec<(K, i32, [Money; 3])> = Vec::new();
    for r in rows {
        let n = r.columns().len();
        let (plan, year, amount): (i64, i64, i64) = (r.try_get(n - 3)?, r.try_get(n - 2)?, r.try_get(n - 1)?);
        let Some(i) = usize::try_from(year - plan).ok().filter(|i| *i < 3) else { continue };
        let (k, plan) = (key(r)?, i32::try_from(plan).unwrap_or(0));
        if !out.last().is_some_and(|l| l.0 == k && l.1 == plan) {
            out.push((k, plan, [Money::ZERO; 3]));
        }
        if let Some(l) = out.last_mut() {
            l.2[i] = Money::from_fen(amount);
        }
    }
    Ok(out)
}

pub use bw_core::performance::entry::PlanLine;

/// Rolls the three-year plan forward in `year` (journaled `rolling.plan`): for each project
/// with indicators that year, its amount, and the two outer years from last year's plan
/// scaled by this year's performance (docs/PERFORMANCE.md). Made once per year.
pub async fn roll_plan(store: &Store, ctx: &Ctx, year: i32) -> Result<Vec<PlanLine>, ActionError> {
    let made = sqlx::query("SELECT 1 FROM rolling_plans WHERE plan_year = $1 LIMIT 1")
        .bind(i64::from(year))
        .fetch_optional(store.pool())
        .await?;
    if made.is_some() {
        return Err(invalid(format!("the rolling plan of {year} is already made")));
    }
    let r = results(store, year).await?;
    let mut lines = Vec::new();
    for p in &r.projects {
        let end: i64 = sqlx::query("SELECT end_year FROM projects WHERE project_code = $1")
            .bind(p.project_code.clone())
            .fetch_one(store.pool())
            .await?
            .try_get(0)?;
        let mut previous = [None, None];
        for (i, slot) in previous.iter_mut().enumerate() {
            *slot = sqlx::query(
                "SELECT amount FROM rolling_plans WHERE plan_year = $1 AND project_code = $2 AND year = $3",
            )
            .bind(i64::from(year - 1))
            .bind(p.project_code.clone())
            .bind(i64::from(year + 1 + i as i32))
            .fetch_optional(store.pool())
            .await?
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?
            .map(Money::from_fen);
        }
        let factor = match p.action {
            ProjectAction::Prioritise | ProjectAction::Keep => 100,
            ProjectAction::Cut => 100 - i64::from(Ladder::default().fair_cut_pct),
            ProjectAction::Suspend => 0,
        };
        let end = i32::try_from(end).unwrap_or(year);
        let amounts = bw_core::budget::roll(year, p.budget, previous, factor, end);
        lines.push(PlanLine { project_code: p.project_code.clone(), amounts });
    }
    let text = serde_json::to_string(&lines).map_err(|e| invalid(e.to_string()))?;
    let data = Entry::RollingPlan(entry::RollingPlan { year, plan: text });
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("the rolling plan of {year}"));
    act_projected(store, ctx, data.action(), &reason, &data, |idx| entry::project(&data, idx, &ctx.actor)).await?;
    Ok(lines)
}
