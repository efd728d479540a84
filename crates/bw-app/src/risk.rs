//! The risk register's service: each change is one journaled action (`bw_core::risk::Action`)
//! applied by `Register::apply`, the same function `verify` replays, and the changed risks'
//! documents written to `risk_register`.

use bw_core::risk::{Action, Category, Register, Risk, RiskError};
use bw_store::Store;
use bw_store::sqlx::Row as _;

use crate::Ctx;
use crate::journal::ActionError;

/// The matrix's row in `risk_register` (journal indexes, the risks' ids, start at 0).
const MATRIX_ROW: i64 = -1;

/// A proposal's row in `risk_register`: its document under `proposal`, told apart from a
/// risk's by that first key (ids are journal indexes, so never shared).
#[derive(serde::Serialize, serde::Deserialize)]
struct ProposalRow {
    proposal: bw_core::risk::Proposal,
}

const PROPOSAL_PREFIX: &str = "{\"proposal\":";

fn decode(rows: Vec<(i64, String)>) -> Result<Register, ActionError> {
    let mut reg = Register::default();
    for (id, doc) in rows {
        let bad = |e: serde_json::Error| ActionError::Invalid(format!("risk_register row {id}: {e}"));
        if id == MATRIX_ROW {
            reg.matrix = serde_json::from_str(&doc).map_err(bad)?;
        } else if doc.starts_with(PROPOSAL_PREFIX) {
            let w: ProposalRow = serde_json::from_str(&doc).map_err(bad)?;
            reg.proposals.insert(id, w.proposal);
        } else {
            reg.risks.insert(id, serde_json::from_str::<Risk>(&doc).map_err(bad)?);
        }
    }
    Ok(reg)
}

/// The register as stored.
pub async fn load(store: &Store) -> Result<Register, ActionError> {
    let rows: Vec<(i64, String)> =
        bw_store::sqlx::query_as("SELECT id, doc FROM risk_register ORDER BY id").fetch_all(store.pool()).await?;
    decode(rows)
}

/// The stored rows an applied action changes: (id, document).
pub fn rows(reg: &Register, action: &Action, changed: &[i64]) -> Result<Vec<(i64, String)>, serde_json::Error> {
    let mut out = Vec::with_capacity(changed.len() + 1);
    if matches!(action, Action::Matrix { .. }) {
        out.push((MATRIX_ROW, serde_json::to_string(&reg.matrix)?));
    }
    for id in changed {
        if let Some(r) = reg.risks.get(id) {
            out.push((*id, serde_json::to_string(r)?));
        } else if let Some(p) = reg.proposals.get(id) {
            out.push((*id, serde_json::to_string(&ProposalRow { proposal: p.clone() })?));
        }
    }
    Ok(out)
}

impl From<TakeError> for ActionError {
    fn from(e: TakeError) -> ActionError {
        match e {
            TakeError::Action(a) => a,
            TakeError::Refused(r) => ActionError::Invalid(format!("{r} ({})", r.code())),
        }
    }
}

/// Why an action on the register was not taken.
#[derive(Debug, thiserror::Error)]
pub enum TakeError {
    /// The register's own rule refused it (nothing was written).
    #[error("{0} ({code})", code = .0.code())]
    Refused(RiskError),
    #[error(transparent)]
    Action(#[from] ActionError),
}

/// Takes `action`: checked against the register first (a refusal writes nothing), then
/// journaled and applied. The entry's journal index (a new risk's id).
pub async fn take(store: &Store, ctx: &Ctx, action: Action) -> Result<i64, TakeError> {
    let materialised = match &action {
        Action::Materialise { id, note, .. } => {
            let title = load(store).await?.risks.get(id).map(|r| r.title.clone()).unwrap_or_default();
            Some((*id, note.clone(), title))
        }
        _ => None,
    };
    let idx = take_all(store, ctx, vec![action]).await?.first().copied().unwrap_or_default();
    if let Some((id, note, title)) = materialised {
        // The event has happened: the graded response begins with an emergency case.
        crate::emergency::open(store, ctx, &format!("risk {id}"), None, &format!("风险事件发生：{title}（{note}）"))
            .await?;
    }
    Ok(idx)
}

/// Takes `actions` in one transaction, one journal entry each, in order (a check's
/// re-ratings and proposals are one commit); each is checked against the register first, and
/// a refusal takes none. The register is read again inside the write transaction, as the
/// entries find it. The entries' indexes.
pub async fn take_all(store: &Store, ctx: &Ctx, actions: Vec<Action>) -> Result<Vec<i64>, TakeError> {
    if actions.is_empty() {
        return Ok(Vec::new());
    }
    // Checked in order on the register as stored, each at an index of its own beyond any
    // real one, before anything is written.
    let mut before = load(store).await?;
    for (k, a) in actions.iter().enumerate() {
        before.apply(a, i64::MAX - k as i64).map_err(TakeError::Refused)?;
    }
    let (mut tx, size) = store.begin_write().await.map_err(ActionError::from)?;
    let stored = bw_store::sqlx::query("SELECT id, doc FROM risk_register ORDER BY id")
        .fetch_all(&mut *tx)
        .await
        .map_err(ActionError::from)?;
    let stored: Vec<(i64, String)> = stored
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, bw_store::sqlx::Error>>()
        .map_err(ActionError::from)?;
    let mut reg = decode(stored)?;
    let mut journal = bw_store::JournalWriter::new(size, store, ctx.at);
    let mut out = Vec::with_capacity(actions.len());
    for action in &actions {
        let reason = ctx.reason.clone().unwrap_or_else(|| action.kind().to_string());
        let header =
            bw_ledger::Header { action: action.kind(), actor: &ctx.actor, at: ctx.at, reason: &reason, batch: None };
        let entry = bw_ledger::encode(&header, action).map_err(|e| ActionError::Invalid(e.to_string()))?;
        let idx = journal.append(entry);
        let changed = reg.apply(action, idx).map_err(TakeError::Refused)?;
        for (id, doc) in rows(&reg, action, &changed).map_err(|e| ActionError::Invalid(e.to_string()))? {
            bw_store::sqlx::query(
                "INSERT INTO risk_register (id, doc, journal_idx) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, journal_idx = excluded.journal_idx",
            )
            .bind(id)
            .bind(doc)
            .bind(idx)
            .execute(&mut *tx)
            .await
            .map_err(ActionError::from)?;
        }
        out.push(idx);
    }
    journal.finish(&mut tx).await.map_err(ActionError::from)?;
    tx.commit().await.map_err(ActionError::from)?;
    Ok(out)
}

/// The key risk indicators a check computes from the system's own figures, and the
/// assessments they call for. For every risk on a region, department or unit:
/// - the open warnings by level in its scope (`bw_core::risk::warning_floor`);
/// - a revenue risk: the scope's revenue to date against its targets and the time gone
///   (`revenue_floor`);
/// - an expenditure risk: the scope's idle special funds (`idle_floor`) and the year-end
///   forecast's early signals, P(overspend > 10 %) and P(execution < 90 %)
///   (`forecast_floor`; advisory: they move the likelihood, never raise a warning);
/// - an internal or expenditure risk: units in its scope scored below the audit's threshold,
///   each with an open special audit (`audit_floor`);
/// - a risk on a region (not an internal one): the latest recorded Monte Carlo run, run again,
///   its worst year's share of paths with the debt ratio above the scenario's line for the
///   scope's regions (`debt_floor`).
///
/// The highest floor raises the current likelihood, journaled as `risk.assess` with every
/// indicator that called for it as evidence; nothing ever lowers one. The number of risks
/// re-rated.
pub async fn key_indicators(store: &Store, ctx: &Ctx, as_of: bw_core::Date) -> Result<(usize, usize), TakeError> {
    let reg = load(store).await?;
    let figures = Figures::read(store, &reg, as_of).await?;
    let mut rerated = 0;
    let mut actions = Vec::new();
    for risk in reg.risks.values() {
        if !matches!(risk.scope_kind.as_str(), "region" | "department" | "unit") {
            continue;
        }
        let signals = figures.signals(risk.category, &risk.scope_kind, &risk.scope_code);
        let floor = signals.iter().map(|s| s.floor).max();
        let Some(current) = bw_core::risk::raised(risk.current, floor) else {
            continue;
        };
        let said: Vec<&str> =
            signals.iter().filter(|s| s.floor > risk.current.likelihood).map(|s| s.text.as_str()).collect();
        let evidence = format!("关键风险指标（截至 {as_of}）：{}", said.join("；"));
        actions.push(Action::Assess { id: risk.id, current, residual: None, evidence, on: as_of });
        rerated += 1;
    }
    let proposals = proposals(&reg, &figures, as_of);
    let proposed = proposals.len();
    actions.extend(proposals);
    // The re-ratings and proposals of one check are one commit.
    take_all(store, ctx, actions).await?;
    Ok((rerated, proposed))
}

/// Proposes the risks the indicators call for that the register does not hold: a region's
/// revenue behind time (revenue), a unit's idle special funds (expenditure), a unit with an
/// open special audit (internal), a region's simulated debt ratio over its line (external) —
/// each once a year for its scope and category, and not where a risk of the category on the
/// scope or above it already stands. The open warnings and the forecasts re-rate risks but
/// propose none: every red warning would otherwise become a proposal.
fn proposals(reg: &Register, f: &Figures, as_of: bw_core::Date) -> Vec<Action> {
    let mut candidates: Vec<(Category, &str, String, Source)> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (region, _) in &f.targets {
        candidates.push((Category::Revenue, "region", region.clone(), Source::Revenue));
    }
    for (unit, _, _) in &f.special {
        if seen.insert(unit.clone()) {
            candidates.push((Category::Expenditure, "unit", unit.clone(), Source::Idle));
        }
    }
    for (unit, _) in &f.audits {
        candidates.push((Category::Internal, "unit", unit.clone(), Source::Audit));
    }
    if let Some(run) = &f.debt {
        for (region, ..) in &run.worst {
            candidates.push((Category::External, "region", region.clone(), Source::Debt));
        }
    }
    let mut out = Vec::new();
    for (category, kind, code, source) in candidates {
        let above: Vec<String> = f.org.ancestors(&code).iter().map(|n| n.code.clone()).collect();
        let above: Vec<&str> = above.iter().map(String::as_str).collect();
        if reg.covers(category, &code, &above, as_of.year()) {
            continue;
        }
        let Some(signal) = f.signals(category, kind, &code).into_iter().find(|s| s.source == source) else {
            continue;
        };
        let name = f.org.get(&code).map_or(code.as_str(), |n| n.name.as_str());
        let title = format!("{name}{}", source.risk_zh());
        let evidence = format!("关键风险指标（截至 {as_of}）：{}", signal.text);
        let action = Action::Propose {
            title,
            category,
            scope_kind: kind.into(),
            scope_code: code.clone(),
            likelihood: signal.floor,
            evidence,
            on: as_of,
        };
        out.push(action);
    }
    out
}

/// Which key risk indicator a signal comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Warnings,
    Revenue,
    Idle,
    Forecast,
    Audit,
    Debt,
}

impl Source {
    /// The risk it calls for, after the scope's name, as a proposal's title says it.
    fn risk_zh(self) -> &'static str {
        match self {
            Source::Warnings => "预警集中",
            Source::Revenue => "收入完成滞后于时间进度",
            Source::Idle => "专项资金闲置",
            Source::Forecast => "年末执行偏离预算",
            Source::Audit => "审计风险评分低于阈值",
            Source::Debt => "债务率超过警戒线",
        }
    }
}

/// One key risk indicator's call: the likelihood it implies at least, what it says.
struct Signal {
    floor: u8,
    text: String,
    source: Source,
}

impl Signal {
    fn new(floor: u8, text: String, source: Source) -> Signal {
        Signal { floor, text, source }
    }
}

/// Raises a warning for each risk whose review is overdue on `as_of` (on the working-day
/// calendar: the last review plus its level's interval), in the same inbox and loop as every
/// warning: `risk_review_overdue` on the risk's scope, one per review missed, its level
/// climbing with the working days overdue (`bw_core::risk::review_overdue_level`). A review
/// withdraws the warning nobody has acted on yet; a materialised risk is past reviewing.
pub async fn review_warnings(
    store: &Store,
    ctx: &Ctx,
    as_of: bw_core::Date,
) -> Result<crate::monitor::CheckReport, ActionError> {
    let (rule, _) = bw_core::risk::REVIEW_OVERDUE;
    let reg = load(store).await?;
    let calendar = crate::calendar::load(store).await?;
    let mut findings = Vec::new();
    for risk in reg.risks.values().filter(|r| r.materialised.is_none()) {
        let days = reg.overdue_workdays(risk, &calendar, as_of);
        if days <= 0 {
            continue;
        }
        let due = reg.review_due(risk, &calendar);
        let Some(level) = bw_rules::Level::parse(bw_core::risk::review_overdue_level(days)) else { continue };
        let scope = Some(risk.scope_code.clone());
        let (unit_code, region_code, indicator_code) = match risk.scope_kind.as_str() {
            "region" => (None, scope, None),
            "indicator" => (None, None, scope),
            "project" => (None, None, None),
            _ => (scope, None, None),
        };
        let mut evidence = std::collections::BTreeMap::new();
        // One warning per risk and review missed since its last one (the key of a finding
        // made outside the rules is its subject): a re-rating that moves the due date
        // updates it, a review ends it.
        evidence.insert("subject".into(), serde_json::json!(format!("risk {} since {}", risk.id, risk.reviewed_on)));
        evidence.insert("risk".into(), serde_json::json!(risk.id));
        evidence.insert("risk_title".into(), serde_json::json!(risk.title));
        evidence.insert("review_due".into(), serde_json::json!(due.to_string()));
        evidence.insert("overdue_workdays".into(), serde_json::json!(days));
        findings.push(bw_rules::Finding {
            rule,
            level,
            unit_code,
            indicator_code,
            region_code,
            revenue_code: None,
            period: as_of.year().to_string(),
            vouchers: Vec::new(),
            evidence,
        });
    }
    crate::monitor::record_findings(store, ctx, as_of, &findings, &|r| r == rule).await
}

/// What the key risk indicators read, once per check.
struct Figures {
    org: bw_core::org::OrgTree,
    /// The share of the year gone at the as-of date.
    elapsed: f64,
    /// The same as days: (days gone, days in the year), for comparisons in fen.
    days: (i64, i64),
    /// Open warnings: (unit, region, level).
    warnings: Vec<(Option<String>, Option<String>, String)>,
    /// Revenue to date and targets of the year, in fen, by region.
    revenue: Vec<(String, i64)>,
    targets: Vec<(String, i64)>,
    /// Special-fund indicators of the year: (unit, amount, paid), in fen.
    special: Vec<(String, i64, i64)>,
    /// The year-end forecasts' early signals by unit, department and region code.
    forecasts: std::collections::HashMap<String, (Option<f64>, Option<f64>)>,
    /// Units scored below the audit's threshold in the year (open special audits): (unit,
    /// score as recorded).
    audits: Vec<(String, String)>,
    /// The latest recorded simulation's worst years.
    debt: Option<DebtRun>,
}

/// The last run's worst years by its result's digest (a run's result follows from its
/// journaled scenario and seed, so the digest names it wherever it is read).
type Worst = (String, Vec<(String, i32, f64, f64)>);
static WORST: std::sync::Mutex<Option<Worst>> = std::sync::Mutex::new(None);

/// A recorded Monte Carlo run as the debt indicator reads it: its id and name, and per
/// region its worst year, that year's share of paths above the threshold and the threshold.
struct DebtRun {
    id: i64,
    name: String,
    worst: Vec<(String, i32, f64, f64)>,
}

impl Figures {
    async fn read(store: &Store, reg: &Register, as_of: bw_core::Date) -> Result<Figures, TakeError> {
        let year = as_of.year();
        let pool = store.pool();
        let q = |e: bw_store::sqlx::Error| TakeError::from(ActionError::from(e));
        let warnings = bw_store::sqlx::query_as(
            "SELECT unit_code, region_code, level FROM warnings \
             WHERE year = $1 AND state NOT IN ('closed', 'dismissed', 'withdrawn', 'archived') AND rule <> $2",
        )
        .bind(year)
        // A late review is about the register, not the scope: counting it would shorten
        // the very review interval it is late against.
        .bind(bw_core::risk::REVIEW_OVERDUE.0)
        .fetch_all(pool)
        .await
        .map_err(q)?;
        let revenue = bw_store::sqlx::query_as(
            "SELECT region_code, CAST(SUM(amount) AS BIGINT) FROM revenues WHERE year = $1 AND date <= $2 GROUP BY region_code",
        )
        .bind(year)
        .bind(as_of.to_string())
        .fetch_all(pool)
        .await
        .map_err(q)?;
        let targets = bw_store::sqlx::query_as(
            "SELECT region_code, CAST(SUM(amount) AS BIGINT) FROM revenue_targets WHERE year = $1 GROUP BY region_code",
        )
        .bind(year)
        .fetch_all(pool)
        .await
        .map_err(q)?;
        let special = bw_store::sqlx::query_as(
            "SELECT unit_code, amount, paid FROM indicators WHERE year = $1 AND special <> 0 AND amount > 0",
        )
        .bind(year)
        .fetch_all(pool)
        .await
        .map_err(q)?;
        let mut forecasts = std::collections::HashMap::new();
        // Forecast only the kinds of scope an expenditure risk is on.
        let kinds: std::collections::BTreeSet<&str> = reg
            .risks
            .values()
            .filter(|r| r.category == bw_core::risk::Category::Expenditure)
            .map(|r| r.scope_kind.as_str())
            .collect();
        for by in kinds.into_iter().filter_map(crate::forecasts::By::parse) {
            let lines =
                crate::forecasts::run(store, year, as_of.month(), by, bw_forecast::outturn::Method::Auto).await?;
            for l in lines {
                forecasts.insert(l.code, (l.p_overspend, l.p_underexecution));
            }
        }
        let audits = bw_store::sqlx::query_as(
            "SELECT unit_code, score FROM audit_cases WHERE year = $1 AND state = 'open' ORDER BY unit_code",
        )
        .bind(i64::from(year))
        .fetch_all(pool)
        .await
        .map_err(q)?;
        // The latest recorded run, run again (its result is kept as a digest only) — once
        // per result: every check after reads it from `WORST`.
        let mut debt = None;
        if let Some(run) = crate::simulation::list(store, 1).await?.into_iter().next() {
            let kept = WORST.lock().ok().and_then(|w| w.as_ref().filter(|(sha, _)| *sha == run.result_sha256).cloned());
            let worst = match kept {
                Some((_, worst)) => worst,
                None => {
                    let out = crate::forecasts::cpu(|| bw_forecast::simulate::run(&run.scenario, 2))
                        .map_err(|e| TakeError::from(ActionError::Invalid(format!("simulation {}: {e}", run.id))))?;
                    let worst: Vec<(String, i32, f64, f64)> = out
                        .regions
                        .iter()
                        .filter_map(|r| {
                            let b = r.years.iter().max_by(|a, b| a.p_over.total_cmp(&b.p_over))?;
                            Some((r.code.clone(), b.year, b.p_over, out.threshold))
                        })
                        .collect();
                    if let Ok(mut w) = WORST.lock() {
                        *w = Some((run.result_sha256.clone(), worst.clone()));
                    }
                    worst
                }
            };
            debt = Some(DebtRun { id: run.id, name: run.name, worst });
        }
        let start = bw_core::Date::from_ymd(year, 1, 1).map(|d| d.days()).unwrap_or(0);
        let end = bw_core::Date::from_ymd(year, 12, 31).map(|d| d.days()).unwrap_or(364);
        let days = (i64::from(as_of.days() - start + 1), i64::from(end - start + 1));
        let elapsed = days.0 as f64 / days.1 as f64;
        let org = crate::users::org_tree(store).await?;
        Ok(Figures { org, elapsed, days, warnings, revenue, targets, special, forecasts, audits, debt })
    }

    /// Whether `code` (a unit or region) lies in the scope `scope`.
    fn inside(&self, code: &str, scope: &str) -> bool {
        code == scope || self.org.ancestors(code).iter().any(|n| n.code == scope)
    }

    /// Each indicator's floor for a risk of `category` on `scope` (a `kind`), with what it
    /// says and which indicator it is.
    fn signals(&self, category: Category, kind: &str, scope: &str) -> Vec<Signal> {
        let mut out = Vec::new();
        let (mut red, mut orange) = (0, 0);
        for (unit, region, level) in &self.warnings {
            let inside = match (unit, region) {
                (Some(u), _) => self.inside(u, scope),
                (None, Some(r)) => self.inside(r, scope),
                (None, None) => false,
            };
            match (inside, level.as_str()) {
                (true, "red") => red += 1,
                (true, "orange") => orange += 1,
                _ => {}
            }
        }
        if let Some(f) = bw_core::risk::warning_floor(red, orange) {
            out.push(Signal::new(
                f,
                format!("本范围未关闭的红色预警 {red} 条、橙色预警 {orange} 条"),
                Source::Warnings,
            ));
        }
        match category {
            Category::Revenue => {
                let sum = |rows: &[(String, i64)]| -> i64 {
                    rows.iter().filter(|(r, _)| self.inside(r, scope)).map(|(_, a)| *a).sum()
                };
                let (got, target) = (sum(&self.revenue), sum(&self.targets));
                if target > 0 {
                    let completion = got as f64 / target as f64;
                    if let Some(f) = bw_core::risk::revenue_floor(completion, self.elapsed) {
                        let text =
                            format!("收入完成 {:.1}%，时间进度 {:.1}%", completion * 100.0, self.elapsed * 100.0);
                        out.push(Signal::new(f, text, Source::Revenue));
                    }
                }
            }
            Category::Expenditure => {
                self.idle(scope, &mut out);
                if let Some((over, under)) = self.forecasts.get(scope)
                    && let Some(f) = bw_core::risk::forecast_floor(*over, *under)
                {
                    let pct = |p: &Option<f64>| p.map(|p| format!("{:.0}%", p * 100.0)).unwrap_or_else(|| "—".into());
                    let text = format!("年末预测：超支逾 10% 的概率 {}，执行不足 90% 的概率 {}", pct(over), pct(under));
                    out.push(Signal::new(f, text, Source::Forecast));
                }
            }
            _ => {}
        }
        if matches!(category, Category::Internal | Category::Expenditure) {
            let below: Vec<&(String, String)> = self.audits.iter().filter(|(u, _)| self.inside(u, scope)).collect();
            if let Some(f) = bw_core::risk::audit_floor(below.len()) {
                let lowest = below.iter().filter_map(|(_, s)| s.parse::<f64>().ok()).fold(f64::INFINITY, f64::min);
                let text =
                    format!("本范围 {} 个单位审计风险评分低于阈值（最低 {lowest:.1} 分），已启动专项审计", below.len());
                out.push(Signal::new(f, text, Source::Audit));
            }
        }
        if kind == "region"
            && category != Category::Internal
            && let Some(DebtRun { id, name, worst }) = &self.debt
        {
            // The scope's worst simulated region.
            let worst = worst.iter().filter(|(r, ..)| self.inside(r, scope)).max_by(|a, b| a.2.total_cmp(&b.2));
            if let Some((region, year, p, threshold)) = worst
                && let Some(f) = bw_core::risk::debt_floor(*p)
            {
                let region = self.org.get(region).map_or(region.as_str(), |n| n.name.as_str());
                let text = format!(
                    "模拟“{name}”（第 {id} 号）：{region} {year} 年债务率超过 {:.0}% 的概率 {:.0}%",
                    threshold * 100.0,
                    p * 100.0
                );
                out.push(Signal::new(f, text, Source::Debt));
            }
        }
        out
    }

    /// Idle special funds: from mid-year, a special-fund indicator that has spent less than
    /// half of what the time gone would have it spend.
    fn idle(&self, scope: &str, out: &mut Vec<Signal>) {
        if self.elapsed < 0.5 {
            return;
        }
        let mine: Vec<&(String, i64, i64)> = self.special.iter().filter(|(u, _, _)| self.inside(u, scope)).collect();
        let total: i64 = mine.iter().map(|(_, a, _)| *a).sum();
        let idle: Vec<&&(String, i64, i64)> =
            // paid < ½ × (days gone ÷ days in the year) × amount, in integers.
            mine.iter().filter(|(_, a, p)| 2 * i128::from(*p) * i128::from(self.days.1) < i128::from(self.days.0) * i128::from(*a)).collect();
        let idle_amount: i64 = idle.iter().map(|(_, a, _)| *a).sum();
        let share = if total > 0 { idle_amount as f64 / total as f64 } else { 0.0 };
        if let Some(f) = bw_core::risk::idle_floor(idle.len(), share) {
            let text = format!(
                "专项资金闲置 {} 项，占专项资金 {:.0}%（{}）",
                idle.len(),
                share * 100.0,
                bw_core::Money::from_fen(idle_amount).magnitude_zh()
            );
            out.push(Signal::new(f, text, Source::Idle));
        }
    }
}
