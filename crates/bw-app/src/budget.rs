//! Budget preparation and approval (docs/BUDGET.md): a fiscal year's cycle and its stages,
//! top-down control totals, units' drafts as versions, their comparison, submission for
//! approval along a route (`bw_core::budget`), each decision journaled and signed with the
//! approver's own key, late steps escalated, and at the start of execution the approved
//! drafts imported as the year's indicators.

use bw_core::access::{Access, Role, Scope};
use bw_core::action::Action;
use bw_core::budget::{
    self, Actor, Change, Clock, Decision, DraftLine, ItemKind, Mode, Outcome, RouteParams, Stage, Step,
};
use bw_core::{Money, Timestamp};
use bw_ledger::note::Signer;
use bw_store::Store;
use bw_store::sqlx::{self, Row};

use crate::Ctx;
use crate::journal::{ActionError, act, act_projected, act_sealed};
use bw_core::cycle;

fn invalid(m: impl Into<String>) -> ActionError {
    ActionError::Invalid(m.into())
}

/// A fiscal year's cycle.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Cycle {
    pub year: i32,
    pub mode: String,
    pub stage: String,
}

/// The cycle of `year`, if opened.
pub async fn cycle(store: &Store, year: i32) -> Result<Option<Cycle>, ActionError> {
    let row = sqlx::query("SELECT mode, stage FROM budget_cycles WHERE year = $1")
        .bind(i64::from(year))
        .fetch_optional(store.pool())
        .await?;
    Ok(match row {
        Some(r) => Some(Cycle { year, mode: r.try_get(0)?, stage: r.try_get(1)? }),
        None => None,
    })
}

async fn stage_of(store: &Store, year: i32) -> Result<(Mode, Stage), ActionError> {
    let c = cycle(store, year).await?.ok_or_else(|| invalid(format!("no budget cycle for {year}: open it first")))?;
    Ok((Mode::parse(&c.mode).map_err(invalid)?, Stage::parse(&c.stage).map_err(invalid)?))
}

/// Opens the cycle of `year` in `mode`, at its first stage (research and targets).
pub async fn open_cycle(store: &Store, ctx: &Ctx, year: i32, mode: Mode) -> Result<i64, ActionError> {
    if cycle(store, year).await?.is_some() {
        return Err(invalid(format!("the budget cycle for {year} is already open")));
    }
    let data = cycle::Entry::CycleOpen(cycle::CycleOpen { year, mode: mode.as_str().into() });
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("open the {year} budget cycle ({})", mode.as_str()));
    act_projected(store, ctx, data.action(), &reason, &data, |idx| Ok(cycle::project(&data, idx, &ctx.actor))).await
}

/// What moving to the next stage did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advanced {
    pub stage: Stage,
    /// Entering execution: the indicators imported from the approved drafts.
    pub indicators: u64,
}

/// Moves `year`'s cycle to stage `to`, which must be the next one. Entering approval needs
/// no draft still in review; entering execution imports each unit's approved draft as the
/// year's indicators (one import, journaled like any other), and needs at least one.
pub async fn advance(store: &Store, ctx: &Ctx, year: i32, to: Stage) -> Result<Advanced, ActionError> {
    let (_, now) = stage_of(store, year).await?;
    if now.next() != Some(to) {
        let next = now.next().map(|s| s.as_str()).unwrap_or("none: the cycle is at its last stage");
        return Err(invalid(format!("the {year} cycle is at {}; the next stage is {next}", now.as_str())));
    }
    let open: i64 = sqlx::query("SELECT COUNT(*) FROM approval_items WHERE year = $1 AND state = 'in_review'")
        .bind(i64::from(year))
        .fetch_one(store.pool())
        .await?
        .try_get(0)?;
    if matches!(to, Stage::Approval | Stage::Execution) && open > 0 {
        return Err(invalid(format!("{open} draft(s) of {year} are still in review: decide them first")));
    }
    let mut indicators = 0;
    if to == Stage::Execution {
        indicators = import_approved(store, ctx, year).await?;
    }
    let data =
        cycle::Entry::CycleAdvance(cycle::CycleAdvance { year, from: now.as_str().into(), to: to.as_str().into() });
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("the {year} budget cycle enters {}", to.as_str()));
    act_projected(store, ctx, data.action(), &reason, &data, |idx| Ok(cycle::project(&data, idx, &ctx.actor))).await?;
    Ok(Advanced { stage: to, indicators })
}

/// Writes each unit's latest approved draft of `year` as an indicators file and imports it.
async fn import_approved(store: &Store, ctx: &Ctx, year: i32) -> Result<u64, ActionError> {
    let rows = sqlx::query(
        "SELECT a.unit_code, d.lines FROM approval_items a JOIN budget_drafts d \
         ON d.year = a.year AND d.unit_code = a.unit_code AND d.version = a.version \
         WHERE a.year = $1 AND a.kind = 'budget' AND a.state = 'approved' ORDER BY a.unit_code, a.id",
    )
    .bind(i64::from(year))
    .fetch_all(store.pool())
    .await?;
    // The latest approval per unit wins.
    let mut per_unit: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    for r in rows {
        per_unit.insert(r.try_get(0)?, r.try_get(1)?);
    }
    if per_unit.is_empty() {
        // A year whose indicators came in by import executes them as they are.
        let existing: i64 = sqlx::query("SELECT COUNT(*) FROM indicators WHERE year = $1")
            .bind(i64::from(year))
            .fetch_one(store.pool())
            .await?
            .try_get(0)?;
        if existing > 0 {
            return Ok(0);
        }
        return Err(invalid(format!("no approved draft and no indicators for {year}: nothing to execute")));
    }
    // The indicators template's own columns, so the file is checked as any import is.
    let columns: Vec<&str> = bw_core::template::Kind::Indicators.columns().iter().map(|c| c.name).collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| invalid(e.to_string());
    w.write_record(&columns).map_err(csv_err)?;
    for (unit, lines) in &per_unit {
        let lines: Vec<DraftLine> = serde_json::from_str(lines).map_err(|e| invalid(e.to_string()))?;
        for l in lines {
            let cell = |c: &str| -> String {
                match c {
                    "indicator_code" => l.indicator_code.clone(),
                    "year" => year.to_string(),
                    "unit_code" => unit.clone(),
                    "project_code" => l.project_code.clone().unwrap_or_default(),
                    "functional_code" => l.functional_code.clone(),
                    "economic_code" => l.economic_code.clone(),
                    "fund_source" => "general".into(),
                    "special" => "false".into(),
                    "amount" => l.amount.to_string(),
                    "control" => "block".into(),
                    _ => String::new(),
                }
            };
            w.write_record(columns.iter().map(|c| cell(c))).map_err(csv_err)?;
        }
    }
    let bytes = w.into_inner().map_err(|e| invalid(e.to_string()))?;
    let tag: String = ctx.entropy.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let path = std::env::temp_dir().join(format!("budgetwatch-approved-{year}-{tag}.csv"));
    std::fs::write(&path, bytes).map_err(|e| invalid(format!("{}: {e}", path.display())))?;
    let ctx = Ctx { reason: Some(format!("the approved budget of {year}")), ..ctx.clone() };
    let result =
        crate::import::import_file(store, &ctx, bw_core::template::Kind::Indicators, &path, &Default::default()).await;
    let _ = std::fs::remove_file(&path);
    match result {
        Ok(r) => Ok(r.added),
        Err(e) => Err(invalid(format!("the approved drafts of {year} cannot become indicators: {e}"))),
    }
}

/// Sets department `department`'s control total for a top-down `year` (research or
/// preparation stage).
pub async fn set_control(
    store: &Store,
    ctx: &Ctx,
    year: i32,
    department: &str,
    amount: Money,
) -> Result<i64, ActionError> {
    let (mode, stage) = stage_of(store, year).await?;
    if mode != Mode::TopDown {
        return Err(invalid(format!("the {year} cycle is bottom-up: it has no control totals")));
    }
    if !matches!(stage, Stage::Research | Stage::Preparation) {
        return Err(invalid(format!(
            "control totals are set in research or preparation; {year} is at {}",
            stage.as_str()
        )));
    }
    let tree = crate::users::org_tree(store).await?;
    if tree.get(department).map(|n| n.kind) != Some(bw_core::org::OrgKind::Department) {
        return Err(invalid(format!("{department} is not a department")));
    }
    if !amount.is_positive() {
        return Err(invalid("a control total is above zero"));
    }
    let data = cycle::Entry::ControlSet(cycle::ControlSet { year, department_code: department.into(), amount });
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("control total of {department} for {year}"));
    act_projected(store, ctx, data.action(), &reason, &data, |idx| Ok(cycle::project(&data, idx, &ctx.actor))).await
}

/// A saved version of a unit's draft.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Version {
    pub year: i32,
    pub unit_code: String,
    pub version: i64,
    pub lines: Vec<DraftLine>,
    pub total: Money,
    pub author: String,
    pub note: String,
    pub journal_idx: i64,
}

/// The control totals of `year`, by department.
pub async fn controls(store: &Store, year: i32) -> Result<Vec<(String, Money)>, ActionError> {
    let rows =
        sqlx::query("SELECT department_code, amount FROM control_totals WHERE year = $1 ORDER BY department_code")
            .bind(i64::from(year))
            .fetch_all(store.pool())
            .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, Money::from_fen(r.try_get(1)?)))).collect()
}

/// Each unit's latest draft version of `year`: (unit, version, total, author, note), by unit.
pub async fn latest_drafts(store: &Store, year: i32) -> Result<Vec<(String, i64, Money, String, String)>, ActionError> {
    let rows = sqlx::query(
        "SELECT d.unit_code, d.version, d.total, d.author, d.note FROM budget_drafts d \
         WHERE d.year = $1 AND d.version = (SELECT MAX(x.version) FROM budget_drafts x WHERE x.year = d.year AND x.unit_code = d.unit_code) \
         ORDER BY d.unit_code",
    )
    .bind(i64::from(year))
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, Money::from_fen(r.try_get(2)?), r.try_get(3)?, r.try_get(4)?)))
        .collect()
}

/// Every version of `unit`'s draft for `year`, oldest first.
pub async fn versions(store: &Store, year: i32, unit: &str) -> Result<Vec<Version>, ActionError> {
    let rows = sqlx::query(
        "SELECT version, lines, total, author, note, journal_idx FROM budget_drafts WHERE year = $1 AND unit_code = $2 ORDER BY version",
    )
    .bind(i64::from(year))
    .bind(unit.to_string())
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let lines: String = r.try_get(1)?;
        out.push(Version {
            year,
            unit_code: unit.to_string(),
            version: r.try_get(0)?,
            lines: serde_json::from_str(&lines).map_err(|e| invalid(e.to_string()))?,
            total: Money::from_fen(r.try_get(2)?),
            author: r.try_get(3)?,
            note: r.try_get(4)?,
            journal_idx: r.try_get(5)?,
        });
    }
    Ok(out)
}

/// Saves a new version of `unit`'s draft for `year` (drafts open: preparation,
/// consolidation, review). Refused: lines that are not sound, a project that does not exist
/// or may receive no money, a unit with a draft in review, and in a top-down year a
/// department whose drafts would exceed its control total. The version number.
pub async fn save_draft(
    store: &Store,
    ctx: &Ctx,
    year: i32,
    unit: &str,
    lines: &[DraftLine],
    note: &str,
) -> Result<i64, ActionError> {
    let (mode, stage) = stage_of(store, year).await?;
    if !stage.drafts_open() {
        return Err(invalid(format!("drafts are not open: the {year} cycle is at {}", stage.as_str())));
    }
    let tree = crate::users::org_tree(store).await?;
    if tree.get(unit).map(|n| n.kind) != Some(bw_core::org::OrgKind::Unit) {
        return Err(invalid(format!("{unit} is not a unit")));
    }
    let total = budget::check_lines(lines).map_err(invalid)?;
    for (i, l) in lines.iter().enumerate() {
        if let Some(p) = l.project_code.as_deref().filter(|p| !p.is_empty()) {
            let row = sqlx::query("SELECT status FROM projects WHERE project_code = $1")
                .bind(p.to_string())
                .fetch_optional(store.pool())
                .await?;
            match row {
                None => return Err(invalid(format!("line {}: no project {p} in the project library", i + 1))),
                Some(r) => {
                    let status: String = r.try_get(0)?;
                    let fundable = bw_core::records::ProjectStatus::parse(&status).is_ok_and(|s| s.may_receive_money());
                    if !fundable {
                        return Err(invalid(format!(
                            "line {}: project {p} is {status}: only an approved or executing project receives money",
                            i + 1
                        )));
                    }
                }
            }
        }
    }
    if in_review(store, year, unit).await?.is_some() {
        return Err(invalid(format!("{unit}'s draft for {year} is in review: wait for the decision")));
    }
    if mode == Mode::TopDown {
        let department = tree.department_of(unit).map(|d| d.code.clone()).unwrap_or_default();
        let control = sqlx::query("SELECT amount FROM control_totals WHERE year = $1 AND department_code = $2")
            .bind(i64::from(year))
            .bind(department.clone())
            .fetch_optional(store.pool())
            .await?
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?
            .ok_or_else(|| invalid(format!("department {department} has no control total for {year}")))?;
        let mut sum = total.fen();
        for u in tree.nodes().filter(|n| n.kind == bw_core::org::OrgKind::Unit && n.code != unit) {
            if tree.department_of(&u.code).map(|d| d.code.as_str()) == Some(department.as_str())
                && let Some(v) = versions(store, year, &u.code).await?.pop()
            {
                sum += v.total.fen();
            }
        }
        budget::check_control(&department, Money::from_fen(sum), Money::from_fen(control)).map_err(invalid)?;
    }
    let version = versions(store, year, unit).await?.last().map(|v| v.version).unwrap_or(0) + 1;
    let text = serde_json::to_string(lines).map_err(|e| invalid(e.to_string()))?;
    let data = cycle::Entry::DraftSave(cycle::DraftSave {
        year,
        unit_code: unit.into(),
        version,
        lines: text,
        total,
        note: note.into(),
    });
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("draft {version} of {unit} for {year}"));
    act_projected(store, ctx, data.action(), &reason, &data, |idx| Ok(cycle::project(&data, idx, &ctx.actor))).await?;
    Ok(version)
}

/// What changed between two versions of `unit`'s draft, with who saved the later one and
/// why.
pub async fn compare(
    store: &Store,
    year: i32,
    unit: &str,
    from: i64,
    to: i64,
) -> Result<(Vec<Change>, Version), ActionError> {
    let all = versions(store, year, unit).await?;
    let find = |v: i64| {
        all.iter().find(|x| x.version == v).ok_or_else(|| invalid(format!("{unit} has no version {v} for {year}")))
    };
    let (a, b) = (find(from)?, find(to)?);
    Ok((budget::compare(&a.lines, &b.lines), b.clone()))
}

/// An item in approval.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Item {
    pub id: i64,
    pub kind: String,
    pub year: i32,
    pub unit_code: String,
    pub version: i64,
    pub amount: Money,
    pub route: String,
    pub prepared_by: String,
    pub state: String,
    pub steps: Vec<Step>,
}

fn item_of(r: &bw_store::sqlx::any::AnyRow) -> Result<Item, ActionError> {
    let steps: String = r.try_get(9)?;
    Ok(Item {
        id: r.try_get(0)?,
        kind: r.try_get(1)?,
        year: i32::try_from(r.try_get::<i64, _>(2)?).unwrap_or(0),
        unit_code: r.try_get(3)?,
        version: r.try_get(4)?,
        amount: Money::from_fen(r.try_get(5)?),
        route: r.try_get(6)?,
        prepared_by: r.try_get(7)?,
        state: r.try_get(8)?,
        steps: serde_json::from_str(&steps).map_err(|e| invalid(e.to_string()))?,
    })
}

const ITEM_COLUMNS: &str = "id, kind, year, unit_code, version, amount, route, prepared_by, state, steps";

/// Item `id`.
pub async fn item(store: &Store, id: i64) -> Result<Option<Item>, ActionError> {
    let q = format!("SELECT {ITEM_COLUMNS} FROM approval_items WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(q)).bind(id).fetch_optional(store.pool()).await?;
    row.as_ref().map(item_of).transpose()
}

/// An adjustment's report form and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Adjustment {
    pub indicator_code: String,
    pub delta: Money,
    pub before: Money,
    pub reason: String,
    pub impact: String,
    pub alternatives: String,
    /// The routine rule that approved it automatically.
    pub rule: Option<String>,
    /// The journal entry that applied it, once approved.
    pub applied_idx: Option<i64>,
    /// The reserve fund an emergency adjustment draws on, and its emergency case.
    pub reserve: Option<String>,
    pub emergency: Option<i64>,
}

/// The adjustment behind approval item `id`, if it is one.
pub async fn adjustment(store: &Store, id: i64) -> Result<Option<Adjustment>, ActionError> {
    let row = sqlx::query(
        "SELECT indicator_code, delta, before_amount, reason, impact, alternatives, rule, applied_idx, source_code, emergency_id \
         FROM adjustments WHERE item_id = $1",
    )
    .bind(id)
    .fetch_optional(store.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(Adjustment {
        indicator_code: r.try_get(0)?,
        delta: Money::from_fen(r.try_get(1)?),
        before: Money::from_fen(r.try_get(2)?),
        reason: r.try_get(3)?,
        impact: r.try_get(4)?,
        alternatives: r.try_get(5)?,
        rule: r.try_get(6)?,
        applied_idx: r.try_get(7)?,
        reserve: r.try_get(8)?,
        emergency: r.try_get(9)?,
    }))
}

/// The items of `year` (all years when `None`), by id.
pub async fn items(store: &Store, year: Option<i32>) -> Result<Vec<Item>, ActionError> {
    let q = format!("SELECT {ITEM_COLUMNS} FROM approval_items WHERE $1 = 0 OR year = $1 ORDER BY id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(q)).bind(i64::from(year.unwrap_or(0))).fetch_all(store.pool()).await?;
    rows.iter().map(item_of).collect()
}

async fn in_review(store: &Store, year: i32, unit: &str) -> Result<Option<i64>, ActionError> {
    let row = sqlx::query("SELECT id FROM approval_items WHERE year = $1 AND unit_code = $2 AND state = 'in_review'")
        .bind(i64::from(year))
        .bind(unit.to_string())
        .fetch_optional(store.pool())
        .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

/// The route parameters in force (settings `budget.*`).
pub async fn params(store: &Store) -> Result<RouteParams, ActionError> {
    let get = |k: &'static str| async move { crate::settings::get(store, k).await };
    let lean = Money::parse_yuan(&get("budget.lean_below").await?).map_err(|e| invalid(e.to_string()))?;
    let share = bw_core::performance::Milli::parse(&get("budget.major_share").await?).map_err(invalid)?;
    let hours: u32 = get("budget.step_hours").await?.parse().map_err(|_| invalid("budget.step_hours"))?;
    Ok(RouteParams {
        lean_below: lean,
        major_share_milli: share.0,
        step_hours: hours,
        workflows: workflows(store).await?,
    })
}

/// The approval routes in force: the last set (`workflow.set`), else the shipped ones.
pub async fn workflows(store: &Store) -> Result<budget::Workflows, ActionError> {
    let row =
        sqlx::query("SELECT definition FROM workflows WHERE name = 'budget'").fetch_optional(store.pool()).await?;
    match row {
        Some(r) => serde_json::from_str(&r.try_get::<String, _>(0)?).map_err(|e| invalid(e.to_string())),
        None => Ok(budget::Workflows::default()),
    }
}

/// Replaces the approval routes (journaled `workflow.set`) after checking them; items in
/// review keep the steps they started with.
pub async fn set_workflows(store: &Store, ctx: &Ctx, w: &budget::Workflows) -> Result<i64, ActionError> {
    w.check().map_err(invalid)?;
    let text = serde_json::to_string(w).map_err(|e| invalid(e.to_string()))?;
    let data = cycle::Entry::WorkflowSet(cycle::WorkflowSet { name: "budget".into(), definition: text });
    let reason = ctx.reason.clone().unwrap_or_else(|| "set the approval routes".into());
    act_projected(store, ctx, data.action(), &reason, &data, |idx| Ok(cycle::project(&data, idx, &ctx.actor))).await
}

/// Submits the latest version of `unit`'s draft for `year` for approval (drafts open, none
/// in review). `strategic` marks a strategic change (the major route). The item's id.
pub async fn submit(store: &Store, ctx: &Ctx, year: i32, unit: &str, strategic: bool) -> Result<i64, ActionError> {
    let (_, stage) = stage_of(store, year).await?;
    if !stage.drafts_open() {
        return Err(invalid(format!("drafts are not open: the {year} cycle is at {}", stage.as_str())));
    }
    let v =
        versions(store, year, unit).await?.pop().ok_or_else(|| invalid(format!("{unit} has no draft for {year}")))?;
    if in_review(store, year, unit).await?.is_some() {
        return Err(invalid(format!("{unit}'s draft for {year} is already in review")));
    }
    let p = params(store).await?;
    let route = budget::route(ItemKind::Budget, v.total, Money::ZERO, strategic, &p);
    let calendar = crate::calendar::load(store).await?;
    let steps = budget::start(&route, ctx.at, p.step_hours, &calendar);
    let text = serde_json::to_string(&steps).map_err(|e| invalid(e.to_string()))?;
    let data = serde_json::json!({
        "kind": "budget", "year": year, "unit_code": unit, "version": v.version, "amount": v.total,
        "route": route.name, "state": "in_review", "steps": text,
    });
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("submit draft {} of {unit} for {year}", v.version));
    let (u, by) = (unit.to_string(), ctx.actor.clone());
    act(store, ctx, Action::ApprovalSubmit, &reason, &data, async move |tx, idx| {
        sqlx::query(
            "INSERT INTO approval_items (id, kind, year, unit_code, version, amount, route, prepared_by, state, steps, journal_idx) \
             VALUES ($1, 'budget', $2, $3, $4, $5, $6, $7, 'in_review', $8, $1)",
        )
        .bind(idx)
        .bind(i64::from(year))
        .bind(u)
        .bind(v.version)
        .bind(v.total.fen())
        .bind(route.name)
        .bind(by)
        .bind(text)
        .execute(&mut **tx)
        .await?;
        Ok(())
    })
    .await
}

/// The roles `access` holds at the node with `path` and on the whole organisation, as a
/// workflow step asks for them; none for an administrator or an auditor (who approve
/// nothing).
pub fn roles_at(access: &Access, path: &[&str]) -> (Vec<Role>, Vec<Role>) {
    if access.grants.iter().any(|g| g.role == Role::Admin || g.role.verifies()) {
        return (Vec::new(), Vec::new());
    }
    let here = access.grants.iter().filter(|g| g.scope.reaches(path)).map(|g| g.role).collect();
    let whole = access.grants.iter().filter(|g| g.scope == Scope::All).map(|g| g.role).collect();
    (here, whole)
}

/// An item's steps after a decision or an escalation, and its state.
struct Moved<'a> {
    item: &'a Item,
    state: &'a str,
    steps: &'a [Step],
}

async fn record_steps(
    store: &Store,
    ctx: &Ctx,
    action: Action,
    reason: &str,
    moved: Moved<'_>,
    extra: serde_json::Value,
    signer: Option<&Signer>,
) -> Result<i64, ActionError> {
    let Moved { item, state, steps } = moved;
    let text = serde_json::to_string(steps).map_err(|e| invalid(e.to_string()))?;
    // An adjustment approved in full takes effect with the decision's own entry.
    let apply = if item.kind == "adjustment" && state == "approved" {
        Some(adjustment_effect(store, item.id).await?)
    } else {
        None
    };
    let mut data = serde_json::json!({"id": item.id, "state": state, "steps": text});
    if let (Some(d), serde_json::Value::Object(x)) = (data.as_object_mut(), extra) {
        d.extend(x);
    }
    if let (Some(d), Some(a)) = (data.as_object_mut(), &apply) {
        d.extend(a.data().into_iter().map(|(k, v)| (k.to_string(), v)));
    }
    let (id, state) = (item.id, state.to_string());
    act_sealed(store, ctx, action, reason, &data, signer, async move |tx, idx| {
        sqlx::query("UPDATE approval_items SET state = $1, steps = $2, journal_idx = $3 WHERE id = $4")
            .bind(state)
            .bind(text)
            .bind(idx)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        if let Some(a) = apply {
            apply_adjustment(tx, &a, id, idx).await?;
        }
        Ok(())
    })
    .await
}

/// What an approved adjustment does to its indicator (and, for an emergency one, to the
/// reserve fund it draws on).
struct Effect {
    year: i32,
    indicator_code: String,
    after: Money,
    draw: Option<(String, Money)>,
}

impl Effect {
    /// The `apply` (and `draw`) members of the entry's data, which verify replays.
    fn data(&self) -> Vec<(&'static str, serde_json::Value)> {
        let mut out = vec![(
            "apply",
            serde_json::json!({"year": self.year, "indicator_code": self.indicator_code, "amount": self.after}),
        )];
        if let Some((code, amount)) = &self.draw {
            out.push(("draw", serde_json::json!({"year": self.year, "indicator_code": code, "amount": amount})));
        }
        out
    }
}

/// The indicator's new amount for adjustment `id`, checked against what it has paid and
/// committed by now.
async fn adjustment_effect(store: &Store, id: i64) -> Result<Effect, ActionError> {
    let row = sqlx::query("SELECT year, indicator_code, delta, source_code FROM adjustments WHERE item_id = $1")
        .bind(id)
        .fetch_one(store.pool())
        .await?;
    let (year, code, delta): (i64, String, i64) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    let source: Option<String> = row.try_get(3)?;
    let year = i32::try_from(year).unwrap_or(0);
    let after = checked_after(store, year, &code, Money::from_fen(delta)).await?;
    let draw = match source {
        Some(s) => Some((s.clone(), checked_after(store, year, &s, Money::from_fen(-delta)).await?)),
        None => None,
    };
    Ok(Effect { year, indicator_code: code, after, draw })
}

/// The indicator's amount after `delta`, refused when it would fall below what is paid and
/// committed (or below zero).
async fn checked_after(store: &Store, year: i32, code: &str, delta: Money) -> Result<Money, ActionError> {
    let row =
        sqlx::query("SELECT amount, paid, committed_unpaid FROM indicators WHERE year = $1 AND indicator_code = $2")
            .bind(i64::from(year))
            .bind(code.to_string())
            .fetch_optional(store.pool())
            .await?
            .ok_or_else(|| invalid(format!("no indicator {code} in {year}")))?;
    let (amount, paid, committed): (i64, i64, i64) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    let after = Money::from_fen(amount).checked_add(delta).map_err(|_| invalid("the adjusted amount overflows"))?;
    if after > Money::RECORD_MAX {
        return Err(invalid(format!(
            "indicator {code} would be {}, above the ceiling of {} yuan one record may carry",
            after.grouped(),
            Money::RECORD_MAX.grouped()
        )));
    }
    let floor = paid.saturating_add(committed).max(0);
    if after.fen() < floor {
        return Err(invalid(format!(
            "indicator {code} would be {after}, below the {} already paid and committed",
            Money::from_fen(floor)
        )));
    }
    Ok(after)
}

async fn apply_adjustment(tx: &mut bw_store::Tx, a: &Effect, id: i64, idx: i64) -> Result<(), ActionError> {
    let draw = a.draw.iter().map(|(c, m)| (c.as_str(), *m));
    for (code, amount) in std::iter::once((a.indicator_code.as_str(), a.after)).chain(draw) {
        sqlx::query("UPDATE indicators SET amount = $1 WHERE year = $2 AND indicator_code = $3")
            .bind(amount.fen())
            .bind(i64::from(a.year))
            .bind(code.to_string())
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("UPDATE adjustments SET applied_idx = $1 WHERE item_id = $2")
        .bind(idx)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A budget adjustment's request, in the standard report form.
#[derive(Clone, Debug)]
pub struct AdjustmentRequest {
    pub year: i32,
    pub indicator_code: String,
    /// The change to the indicator's amount (negative: a cut).
    pub delta: Money,
    pub reason: String,
    /// The financial impact.
    pub impact: String,
    pub alternatives: String,
    pub strategic: bool,
    /// An emergency adjustment: the emergency case it answers. The money is drawn from a
    /// reserve fund indicator and the request takes the emergency route.
    pub emergency: Option<i64>,
    /// The reserve fund indicator to draw on; none: the year's only indicator whose
    /// functional code is under `budget.reserve_functional`.
    pub reserve: Option<String>,
}

/// What became of an adjustment request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Adjusted {
    /// Routine by the named rule: approved and applied at once.
    Automatic { id: i64, rule: String, amount: Money },
    /// In review along the named route.
    InReview { id: i64, route: &'static str },
}

/// Requests an adjustment of an indicator during execution. A routine one (its economic
/// code under `budget.routine_economic`, the change within `budget.routine_limit`, not
/// strategic) is approved automatically with the rule recorded; any other is routed for
/// approval (docs/BUDGET.md) and takes effect when approved in full. Refused: a year not in
/// execution, an indicator that does not exist, an amount that would fall below what is
/// paid and committed, a request without reason or impact, another adjustment of the same
/// indicator in review.
pub async fn request_adjustment(store: &Store, ctx: &Ctx, r: &AdjustmentRequest) -> Result<Adjusted, ActionError> {
    let (_, stage) = stage_of(store, r.year).await?;
    if stage != Stage::Execution {
        return Err(invalid(format!(
            "adjustments are made in execution; the {} cycle is at {}",
            r.year,
            stage.as_str()
        )));
    }
    if r.delta.fen() == 0 {
        return Err(invalid("an adjustment changes the amount"));
    }
    if r.reason.trim().is_empty() || r.impact.trim().is_empty() {
        return Err(invalid("an adjustment states its reason and its financial impact"));
    }
    let row =
        sqlx::query("SELECT unit_code, economic_code, amount FROM indicators WHERE year = $1 AND indicator_code = $2")
            .bind(i64::from(r.year))
            .bind(r.indicator_code.clone())
            .fetch_optional(store.pool())
            .await?
            .ok_or_else(|| invalid(format!("no indicator {} in {}", r.indicator_code, r.year)))?;
    let (unit, economic, before): (String, String, i64) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    let after = checked_after(store, r.year, &r.indicator_code, r.delta).await?;
    let pending = sqlx::query(
        "SELECT a.item_id FROM adjustments a JOIN approval_items i ON i.id = a.item_id \
         WHERE a.year = $1 AND a.indicator_code = $2 AND i.state = 'in_review'",
    )
    .bind(i64::from(r.year))
    .bind(r.indicator_code.clone())
    .fetch_optional(store.pool())
    .await?;
    if let Some(p) = pending {
        return Err(invalid(format!(
            "indicator {} has adjustment {} in review",
            r.indicator_code,
            p.try_get::<i64, _>(0)?
        )));
    }
    let emergency = match r.emergency {
        Some(case) => Some(emergency_source(store, r, case).await?),
        None => None,
    };
    let (source, plan_by) = match &emergency {
        Some((code, due)) => (Some(code.clone()), Some(*due)),
        None => (None, None),
    };
    let codes = crate::settings::get(store, "budget.routine_economic").await?;
    let limit = Money::parse_yuan(&crate::settings::get(store, "budget.routine_limit").await?)
        .map_err(|e| invalid(e.to_string()))?;
    let routine_code = codes.split(',').map(str::trim).find(|c| !c.is_empty() && economic.starts_with(c));
    let p = params(store).await?;
    let mut base = serde_json::json!({
        "kind": "adjustment", "year": r.year, "unit_code": unit, "version": 0, "amount": r.delta,
        "indicator_code": r.indicator_code, "before": Money::from_fen(before), "reason": r.reason,
        "impact": r.impact, "alternatives": r.alternatives,
    });
    if let (Some(d), Some(case), Some(code)) = (base.as_object_mut(), r.emergency, &source) {
        d.insert("emergency".into(), case.into());
        d.insert("reserve".into(), code.clone().into());
    }
    let insert = |route: &'static str, state: &'static str, steps: String, rule: Option<String>, applied: bool| {
        let (u, code, reason, impact, alternatives) =
            (unit.clone(), r.indicator_code.clone(), r.reason.clone(), r.impact.clone(), r.alternatives.clone());
        let (year, delta, by, source, case) = (r.year, r.delta, ctx.actor.clone(), source.clone(), r.emergency);
        async move |tx: &mut bw_store::Tx, idx: i64| -> Result<(), ActionError> {
            sqlx::query(
                "INSERT INTO approval_items (id, kind, year, unit_code, version, amount, route, prepared_by, state, steps, journal_idx) \
                 VALUES ($1, 'adjustment', $2, $3, 0, $4, $5, $6, $7, $8, $1)",
            )
            .bind(idx)
            .bind(i64::from(year))
            .bind(u)
            .bind(delta.fen())
            .bind(route)
            .bind(by)
            .bind(state)
            .bind(steps)
            .execute(&mut **tx)
            .await?;
            sqlx::query(
                "INSERT INTO adjustments (item_id, year, indicator_code, delta, before_amount, reason, impact, alternatives, rule, applied_idx, source_code, emergency_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10, $11)",
            )
            .bind(idx)
            .bind(i64::from(year))
            .bind(code.clone())
            .bind(delta.fen())
            .bind(before)
            .bind(reason)
            .bind(impact)
            .bind(alternatives)
            .bind(rule)
            .bind(source)
            .bind(case)
            .execute(&mut **tx)
            .await?;
            if applied {
                apply_adjustment(tx, &Effect { year, indicator_code: code, after, draw: None }, idx, idx).await?;
            }
            Ok(())
        }
    };
    if let Some(code) =
        routine_code.filter(|_| emergency.is_none() && !r.strategic && r.delta.fen().abs() <= limit.fen())
    {
        let rule = format!("routine: economic code {code}, change within {limit}");
        let mut data = base;
        if let Some(d) = data.as_object_mut() {
            d.insert("route".into(), "auto".into());
            d.insert("state".into(), "approved".into());
            d.insert("steps".into(), "[]".into());
            d.insert("rule".into(), rule.clone().into());
            let effect = Effect { year: r.year, indicator_code: r.indicator_code.clone(), after, draw: None };
            d.extend(effect.data().into_iter().map(|(k, v)| (k.to_string(), v)));
        }
        let reason = format!("{} adjusted by {} automatically ({rule})", r.indicator_code, r.delta);
        let id = act(
            store,
            ctx,
            Action::AdjustmentAuto,
            &reason,
            &data,
            insert("auto", "approved", "[]".into(), Some(rule.clone()), true),
        )
        .await?;
        return Ok(Adjusted::Automatic { id, rule, amount: after });
    }
    let route = match plan_by {
        Some(_) => budget::emergency_route(&p),
        None => budget::route(ItemKind::Adjustment, r.delta, Money::from_fen(before), r.strategic, &p),
    };
    let calendar = crate::calendar::load(store).await?;
    let mut steps = budget::start(&route, ctx.at, p.step_hours, &calendar);
    if let Some(due) = plan_by {
        for s in steps.iter_mut().filter(|s| s.due.is_some()) {
            s.due = Some(due);
        }
    }
    let text = serde_json::to_string(&steps).map_err(|e| invalid(e.to_string()))?;
    let mut data = base;
    if let Some(d) = data.as_object_mut() {
        d.insert("route".into(), route.name.into());
        d.insert("state".into(), "in_review".into());
        d.insert("steps".into(), text.clone().into());
    }
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("adjust {} by {}", r.indicator_code, r.delta));
    let id =
        act(store, ctx, Action::ApprovalSubmit, &reason, &data, insert(route.name, "in_review", text, None, false))
            .await?;
    Ok(Adjusted::InReview { id, route: route.name })
}

/// The reserve fund (预备费) of `year` an emergency adjustment draws on: `named`, which must
/// be one of the year's indicators with a functional code under `budget.reserve_functional`,
/// or, none named, the only such indicator.
pub async fn reserve_fund(store: &Store, year: i32, named: Option<&str>) -> Result<String, ActionError> {
    let prefixes = crate::settings::get(store, "budget.reserve_functional").await?;
    let rows =
        sqlx::query("SELECT indicator_code, functional_code FROM indicators WHERE year = $1 ORDER BY indicator_code")
            .bind(i64::from(year))
            .fetch_all(store.pool())
            .await?;
    let mut reserves = Vec::new();
    for row in rows {
        let (code, functional): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        if prefixes.split(',').map(str::trim).any(|p| !p.is_empty() && functional.starts_with(p)) {
            reserves.push(code);
        }
    }
    match (named, reserves.as_slice()) {
        (Some(c), _) if reserves.iter().any(|r| r == c) => Ok(c.to_string()),
        (Some(c), _) => Err(invalid(format!(
            "{c} is not a reserve fund of {year} (functional code under budget.reserve_functional = {prefixes})"
        ))),
        (None, [one]) => Ok(one.clone()),
        (None, []) => {
            Err(invalid(format!("{year} has no reserve fund: no indicator with a functional code under {prefixes}")))
        }
        (None, many) => Err(invalid(format!("name the reserve fund to draw on: one of {}", many.join(", ")))),
    }
}

/// The reserve fund an emergency adjustment draws on and the deadline of its case's plan.
/// Refused: a cut (an emergency adds money), a case that does not exist or is closed, no
/// reserve fund or several without one named, a named indicator that is not a reserve fund,
/// drawing on the target itself, a reserve whose available balance is short.
async fn emergency_source(store: &Store, r: &AdjustmentRequest, case: i64) -> Result<(String, Timestamp), ActionError> {
    if r.delta.fen() <= 0 {
        return Err(invalid("an emergency adjustment adds money drawn from the reserve fund"));
    }
    let row = sqlx::query("SELECT state, plan_by FROM emergencies WHERE id = $1")
        .bind(case)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| invalid(format!("no emergency case {case}")))?;
    let (state, plan_by): (String, String) = (row.try_get(0)?, row.try_get(1)?);
    if state == "closed" {
        return Err(invalid(format!("emergency case {case} is closed")));
    }
    let due = Timestamp::parse(&plan_by).ok_or_else(|| invalid(format!("case {case}: bad plan_by {plan_by}")))?;
    let code = reserve_fund(store, r.year, r.reserve.as_deref()).await?;
    if code == r.indicator_code {
        return Err(invalid("an emergency adjustment draws on a reserve fund for another indicator"));
    }
    checked_after(store, r.year, &code, Money::from_fen(-r.delta.fen()))
        .await
        .map_err(|e| invalid(format!("the reserve fund is short: {e}")))?;
    Ok((code, due))
}

/// A decision on one step of an item.
#[derive(Clone, Copy, Debug)]
pub struct Ruling<'a> {
    pub id: i64,
    pub step: &'a str,
    pub decision: Decision,
    pub comment: &'a str,
}

/// The approver's own key a decision is signed with: unsealed already, or the user's name
/// and password to unseal it (only once the decision is known to be allowed).
pub enum Key<'a> {
    Unsealed(&'a Signer),
    Password { user: &'a str, password: &'a str },
}

/// `actor` (who holds `roles` at the item's unit and `whole` on everything) decides a step;
/// the entry is signed with the approver's own key. The outcome.
pub async fn decide(
    store: &Store,
    ctx: &Ctx,
    key: Key<'_>,
    actor: &Actor<'_>,
    ruling: Ruling<'_>,
) -> Result<Outcome, ActionError> {
    let Ruling { id, step, decision, comment } = ruling;
    let it = item(store, id).await?.ok_or_else(|| invalid(format!("no approval item {id}")))?;
    if it.state != "in_review" {
        return Err(invalid(format!("item {id} is {}: nothing to decide", it.state)));
    }
    let p = params(store).await?;
    let calendar = crate::calendar::load(store).await?;
    let mut steps = it.steps.clone();
    // A late step moves up before anyone acts on it.
    budget::escalate(&mut steps, ctx.at, p.step_hours, &calendar);
    let clock = Clock { now: ctx.at, hours: p.step_hours, calendar: &calendar };
    let outcome =
        budget::decide(&mut steps, &it.prepared_by, step, actor, decision, comment, &clock).map_err(invalid)?;
    let state = match outcome {
        Outcome::Pending => "in_review",
        Outcome::Approved => "approved",
        Outcome::Rejected => "rejected",
    };
    let verb = if decision == Decision::Approve { "approve" } else { "reject" };
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("{verb} {step} of item {id}"));
    let extra = serde_json::json!({"step": step, "decision": verb, "comment": comment});
    let unsealed;
    let signer = match key {
        Key::Unsealed(s) => s,
        Key::Password { user, password } => {
            unsealed = crate::approval::unlock(store, user, password).await?;
            &unsealed
        }
    };
    let moved = Moved { item: &it, state, steps: &steps };
    record_steps(store, ctx, Action::ApprovalDecide, &reason, moved, extra, Some(signer)).await?;
    Ok(outcome)
}

/// Moves every late open step of items in review up one level (journaled per item); the
/// moves as (item, step, from, to).
pub async fn escalate(store: &Store, ctx: &Ctx) -> Result<Vec<(i64, String, Role, Role)>, ActionError> {
    let p = params(store).await?;
    let calendar = crate::calendar::load(store).await?;
    let mut out = Vec::new();
    for it in items(store, None).await?.into_iter().filter(|i| i.state == "in_review") {
        let mut steps = it.steps.clone();
        let moved = budget::escalate(&mut steps, ctx.at, p.step_hours, &calendar);
        if moved.is_empty() {
            continue;
        }
        let reason = format!("late steps of item {} moved up", it.id);
        let change = Moved { item: &it, state: "in_review", steps: &steps };
        record_steps(store, ctx, Action::ApprovalEscalate, &reason, change, serde_json::json!({}), None).await?;
        out.extend(moved.into_iter().map(|(s, a, b)| (it.id, s, a, b)));
    }
    Ok(out)
}

/// The time now as the cycle's deadlines see it (for callers that list due steps).
pub fn late(step: &Step, now: Timestamp) -> bool {
    step.state == budget::StepState::Open && step.due.is_some_and(|d| now > d)
}

/// Reads a draft's lines from a CSV file with the columns `indicator_code, project_code,
/// functional_code, economic_code, amount` (amount in yuan); an error names the file, the
/// row (1 = the header) and the column.
pub fn lines_csv(path: &std::path::Path) -> Result<Vec<DraftLine>, String> {
    let file = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("{file}: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{file}: not UTF-8"))?;
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> =
        reader.headers().map_err(|e| format!("{file}:1: {e}"))?.iter().map(|h| h.trim().to_string()).collect();
    let col = |name: &str| header.iter().position(|h| h == name).ok_or_else(|| format!("{file}:1: no column {name}"));
    let (ic, pc, fc, ec, ac) =
        (col("indicator_code")?, col("project_code")?, col("functional_code")?, col("economic_code")?, col("amount")?);
    let mut out = Vec::new();
    for (i, r) in reader.records().enumerate() {
        let row = i + 2;
        let r = r.map_err(|e| format!("{file}:{row}: {e}"))?;
        let cell = |c: usize| r.get(c).unwrap_or("").trim().to_string();
        let amount = Money::parse_yuan(&cell(ac)).map_err(|e| format!("{file}:{row}: column amount: {e}"))?;
        let project = Some(cell(pc)).filter(|p| !p.is_empty());
        out.push(DraftLine {
            indicator_code: cell(ic),
            project_code: project,
            functional_code: cell(fc),
            economic_code: cell(ec),
            amount,
        });
    }
    Ok(out)
}

/// What became of an indicator's balance at the year's end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Closing {
    /// A project running into next year keeps its whole balance (结转).
    CarriedOver,
    /// The balance goes back to the treasury (收回).
    Recovered,
    /// Special funds not spent at all in the year go back (闲置专项收回).
    IdleSpecialRecovered,
    /// Nothing left.
    Spent,
}

impl Closing {
    pub fn as_str(self) -> &'static str {
        match self {
            Closing::CarriedOver => "carried_over",
            Closing::Recovered => "recovered",
            Closing::IdleSpecialRecovered => "idle_special_recovered",
            Closing::Spent => "spent",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Closing::CarriedOver => "结转",
            Closing::Recovered => "收回",
            Closing::IdleSpecialRecovered => "闲置专项收回",
            Closing::Spent => "已用完",
        }
    }
}

/// One indicator in the closing report.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ClosingLine {
    pub indicator_code: String,
    pub unit_code: String,
    pub project_code: Option<String>,
    pub amount: Money,
    pub paid: Money,
    pub balance: Money,
    pub decision: Closing,
    /// The next year's indicator holding a carried-over balance.
    pub carried_to: Option<String>,
}

/// The year-end closing report.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ClosingReport {
    pub year: i32,
    pub lines: Vec<ClosingLine>,
    pub carried: Money,
    pub recovered: Money,
}

/// The decision for one indicator: a project whose last year is after `year` (and that may
/// still receive money) carries its whole balance over; special funds with nothing paid in
/// the year are recovered as idle; any other balance is recovered.
pub fn closing_decision(balance: Money, paid: Money, special: bool, project_runs_on: bool) -> Closing {
    if !balance.is_positive() {
        Closing::Spent
    } else if project_runs_on {
        Closing::CarriedOver
    } else if special && paid.fen() == 0 {
        Closing::IdleSpecialRecovered
    } else {
        Closing::Recovered
    }
}

/// The report `close_year` would make for `year`, without making it.
pub async fn closing_report(store: &Store, year: i32) -> Result<ClosingReport, ActionError> {
    let rows = sqlx::query(
        "SELECT i.indicator_code, i.unit_code, i.project_code, i.amount, i.paid, i.special, p.end_year, p.status \
         FROM indicators i LEFT JOIN projects p ON p.project_code = i.project_code WHERE i.year = $1 ORDER BY i.indicator_code",
    )
    .bind(i64::from(year))
    .fetch_all(store.pool())
    .await?;
    let (mut carried, mut recovered) = (0i64, 0i64);
    let mut lines = Vec::new();
    for r in rows {
        let code: String = r.try_get(0)?;
        let (amount, paid) = (Money::from_fen(r.try_get(3)?), Money::from_fen(r.try_get(4)?));
        let special = r.try_get::<i64, _>(5)? != 0;
        let end_year: Option<i64> = r.try_get(6)?;
        let status: Option<String> = r.try_get(7)?;
        let runs_on = end_year.is_some_and(|e| e > i64::from(year))
            && status
                .as_deref()
                .and_then(|s| bw_core::records::ProjectStatus::parse(s).ok())
                .is_some_and(|s| s.may_receive_money());
        let balance = amount.checked_sub(paid).map_err(|_| invalid("a balance overflows"))?;
        let decision = closing_decision(balance, paid, special, runs_on);
        match decision {
            Closing::CarriedOver => carried += balance.fen(),
            Closing::Recovered | Closing::IdleSpecialRecovered => recovered += balance.fen(),
            Closing::Spent => {}
        }
        let carried_to = (decision == Closing::CarriedOver).then(|| format!("{code}-JZ{year}"));
        lines.push(ClosingLine {
            indicator_code: code,
            unit_code: r.try_get(1)?,
            project_code: r.try_get(2)?,
            amount,
            paid,
            balance,
            decision,
            carried_to,
        });
    }
    Ok(ClosingReport { year, lines, carried: Money::from_fen(carried), recovered: Money::from_fen(recovered) })
}

/// The report `year` was closed with, once it is closed.
pub async fn closed_report(store: &Store, year: i32) -> Result<Option<ClosingReport>, ActionError> {
    let row = sqlx::query("SELECT report, carried, recovered FROM closings WHERE year = $1")
        .bind(i64::from(year))
        .fetch_optional(store.pool())
        .await?;
    let Some(r) = row else { return Ok(None) };
    let lines = serde_json::from_str(&r.try_get::<String, _>(0)?).map_err(|e| invalid(e.to_string()))?;
    let (carried, recovered) = (Money::from_fen(r.try_get(1)?), Money::from_fen(r.try_get(2)?));
    Ok(Some(ClosingReport { year, lines, carried, recovered }))
}

/// Closes `year` (its cycle at year-end review, not closed before): each carried-over
/// balance becomes an indicator of the next year (`CODE-JZYEAR`, the same unit, project and
/// codes, imported and journaled like any indicator), and the report is journaled
/// (`year.close`). The report.
pub async fn close_year(store: &Store, ctx: &Ctx, year: i32) -> Result<ClosingReport, ActionError> {
    let (_, stage) = stage_of(store, year).await?;
    if stage != Stage::YearEndReview {
        return Err(invalid(format!("a year is closed at year_end_review; {year} is at {}", stage.as_str())));
    }
    let done = sqlx::query("SELECT 1 FROM closings WHERE year = $1")
        .bind(i64::from(year))
        .fetch_optional(store.pool())
        .await?;
    if done.is_some() {
        return Err(invalid(format!("{year} is already closed")));
    }
    let report = closing_report(store, year).await?;
    let carry: Vec<&ClosingLine> = report.lines.iter().filter(|l| l.decision == Closing::CarriedOver).collect();
    if !carry.is_empty() {
        let columns: Vec<&str> = bw_core::template::Kind::Indicators.columns().iter().map(|c| c.name).collect();
        let mut w = csv::Writer::from_writer(Vec::new());
        let csv_err = |e: csv::Error| invalid(e.to_string());
        w.write_record(&columns).map_err(csv_err)?;
        for l in &carry {
            let row = sqlx::query(
                "SELECT functional_code, economic_code, gov_economic_code, fund_source, special, control FROM indicators WHERE year = $1 AND indicator_code = $2",
            )
            .bind(i64::from(year))
            .bind(l.indicator_code.clone())
            .fetch_one(store.pool())
            .await?;
            let (functional, economic): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            let gov: Option<String> = row.try_get(2)?;
            let (fund, special, control): (String, i64, String) = (row.try_get(3)?, row.try_get(4)?, row.try_get(5)?);
            let cell = |c: &str| -> String {
                match c {
                    "indicator_code" => l.carried_to.clone().unwrap_or_default(),
                    "year" => (year + 1).to_string(),
                    "unit_code" => l.unit_code.clone(),
                    "project_code" => l.project_code.clone().unwrap_or_default(),
                    "functional_code" => functional.clone(),
                    "economic_code" => economic.clone(),
                    "gov_economic_code" => gov.clone().unwrap_or_default(),
                    "fund_source" => fund.clone(),
                    "special" => (special != 0).to_string(),
                    "amount" => l.balance.to_string(),
                    "control" => control.clone(),
                    _ => String::new(),
                }
            };
            w.write_record(columns.iter().map(|c| cell(c))).map_err(csv_err)?;
        }
        let bytes = w.into_inner().map_err(|e| invalid(e.to_string()))?;
        let tag: String = ctx.entropy.iter().take(8).map(|b| format!("{b:02x}")).collect();
        let path = std::env::temp_dir().join(format!("budgetwatch-carry-over-{year}-{tag}.csv"));
        std::fs::write(&path, bytes).map_err(|e| invalid(format!("{}: {e}", path.display())))?;
        let c = Ctx { reason: Some(format!("balances of {year} carried over")), ..ctx.clone() };
        let result =
            crate::import::import_file(store, &c, bw_core::template::Kind::Indicators, &path, &Default::default())
                .await;
        let _ = std::fs::remove_file(&path);
        result.map_err(|e| invalid(format!("the carried-over balances of {year} cannot become indicators: {e}")))?;
    }
    let text = serde_json::to_string(&report.lines).map_err(|e| invalid(e.to_string()))?;
    let data = cycle::Entry::YearClose(cycle::YearClose {
        year,
        report: text,
        carried: report.carried,
        recovered: report.recovered,
    });
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("year-end closing of {year}"));
    act_projected(store, ctx, data.action(), &reason, &data, |idx| Ok(cycle::project(&data, idx, &ctx.actor))).await?;
    Ok(report)
}
