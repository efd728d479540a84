//! The risk register's service: each change is one journaled action (`bw_core::risk::Action`)
//! applied by `Register::apply`, the same function `verify` replays, and the changed risks'
//! documents written to `risk_register`.

use bw_core::risk::{Action, Register, Risk, RiskError};
use bw_store::Store;
use bw_store::sqlx::Row as _;

use crate::Ctx;
use crate::journal::{ActionError, act};

/// The matrix's row in `risk_register` (journal indexes, the risks' ids, start at 0).
const MATRIX_ROW: i64 = -1;

fn decode(rows: Vec<(i64, String)>) -> Result<Register, ActionError> {
    let mut reg = Register::default();
    for (id, doc) in rows {
        let bad = |e: serde_json::Error| ActionError::Invalid(format!("risk_register row {id}: {e}"));
        if id == MATRIX_ROW {
            reg.matrix = serde_json::from_str(&doc).map_err(bad)?;
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
    // Refused before anything is written; applied again inside the transaction below.
    let mut before = load(store).await?;
    let reg_title = match &action {
        Action::Materialise { id, .. } => before.risks.get(id).map(|r| r.title.clone()),
        _ => None,
    };
    before.apply(&action, i64::MAX).map_err(TakeError::Refused)?;
    let reason = ctx.reason.clone().unwrap_or_else(|| action.name().to_string());
    let name = action.name();
    let action_copy = action.clone();
    let data = action.clone();
    let idx = act(store, ctx, name, &reason, &data, async move |tx, idx| {
        // Read again inside the write transaction: the register as the entry finds it.
        let stored =
            bw_store::sqlx::query("SELECT id, doc FROM risk_register ORDER BY id").fetch_all(&mut **tx).await?;
        let stored: Vec<(i64, String)> =
            stored.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_, bw_store::sqlx::Error>>()?;
        let mut reg = decode(stored)?;
        let changed = reg.apply(&action, idx).map_err(|e| ActionError::Invalid(format!("{} ({})", e, e.code())))?;
        let rows = rows(&reg, &action, &changed).map_err(|e| ActionError::Invalid(e.to_string()))?;
        for (id, doc) in rows {
            bw_store::sqlx::query(
                "INSERT INTO risk_register (id, doc, journal_idx) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, journal_idx = excluded.journal_idx",
            )
            .bind(id)
            .bind(doc)
            .bind(idx)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    })
    .await?;
    if let Action::Materialise { id, note, .. } = &action_copy {
        // The event has happened: the graded response begins with an emergency case.
        let title = reg_title.unwrap_or_default();
        crate::emergency::open(store, ctx, &format!("risk {id}"), None, &format!("风险事件发生：{title}（{note}）"))
            .await?;
    }
    Ok(idx)
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
pub async fn key_indicators(store: &Store, ctx: &Ctx, as_of: bw_core::Date) -> Result<usize, TakeError> {
    let reg = load(store).await?;
    if reg.risks.is_empty() {
        return Ok(0);
    }
    let figures = Figures::read(store, &reg, as_of).await?;
    let mut rerated = 0;
    for risk in reg.risks.values() {
        if !matches!(risk.scope_kind.as_str(), "region" | "department" | "unit") {
            continue;
        }
        let signals = figures.signals(risk);
        let floor = signals.iter().map(|(f, _)| *f).max();
        let Some(current) = bw_core::risk::raised(risk.current, floor) else {
            continue;
        };
        let said: Vec<&str> =
            signals.iter().filter(|(f, _)| *f > risk.current.likelihood).map(|(_, t)| t.as_str()).collect();
        let evidence = format!("关键风险指标（截至 {as_of}）：{}", said.join("；"));
        take(store, ctx, Action::Assess { id: risk.id, current, residual: None, evidence, on: as_of }).await?;
        rerated += 1;
    }
    Ok(rerated)
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
        // The latest recorded run, run again (its result is kept as a digest only), when a
        // risk is on a region.
        let mut debt = None;
        if reg.risks.values().any(|r| r.scope_kind == "region" && r.category != bw_core::risk::Category::Internal)
            && let Some(run) = crate::simulation::list(store, 1).await?.into_iter().next()
        {
            let out = bw_forecast::simulate::run(&run.scenario, 2)
                .map_err(|e| TakeError::from(ActionError::Invalid(format!("simulation {}: {e}", run.id))))?;
            let worst = out
                .regions
                .iter()
                .filter_map(|r| {
                    let b = r.years.iter().max_by(|a, b| a.p_over.total_cmp(&b.p_over))?;
                    Some((r.code.clone(), b.year, b.p_over, out.threshold))
                })
                .collect();
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

    /// Each indicator's floor for `risk`, with what it says.
    fn signals(&self, risk: &bw_core::risk::Risk) -> Vec<(u8, String)> {
        let scope = risk.scope_code.as_str();
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
            out.push((f, format!("本范围未关闭的红色预警 {red} 条、橙色预警 {orange} 条")));
        }
        match risk.category {
            bw_core::risk::Category::Revenue => {
                let sum = |rows: &[(String, i64)]| -> i64 {
                    rows.iter().filter(|(r, _)| self.inside(r, scope)).map(|(_, a)| *a).sum()
                };
                let (got, target) = (sum(&self.revenue), sum(&self.targets));
                if target > 0 {
                    let completion = got as f64 / target as f64;
                    if let Some(f) = bw_core::risk::revenue_floor(completion, self.elapsed) {
                        out.push((
                            f,
                            format!("收入完成 {:.1}%，时间进度 {:.1}%", completion * 100.0, self.elapsed * 100.0),
                        ));
                    }
                }
            }
            bw_core::risk::Category::Expenditure => {
                self.idle(scope, &mut out);
                if let Some((over, under)) = self.forecasts.get(scope)
                    && let Some(f) = bw_core::risk::forecast_floor(*over, *under)
                {
                    let pct = |p: &Option<f64>| p.map(|p| format!("{:.0}%", p * 100.0)).unwrap_or_else(|| "—".into());
                    out.push((
                        f,
                        format!("年末预测：超支逾 10% 的概率 {}，执行不足 90% 的概率 {}", pct(over), pct(under)),
                    ));
                }
            }
            _ => {}
        }
        if matches!(risk.category, bw_core::risk::Category::Internal | bw_core::risk::Category::Expenditure) {
            let below: Vec<&(String, String)> = self.audits.iter().filter(|(u, _)| self.inside(u, scope)).collect();
            if let Some(f) = bw_core::risk::audit_floor(below.len()) {
                let lowest = below.iter().filter_map(|(_, s)| s.parse::<f64>().ok()).fold(f64::INFINITY, f64::min);
                out.push((
                    f,
                    format!("本范围 {} 个单位审计风险评分低于阈值（最低 {lowest:.1} 分），已启动专项审计", below.len()),
                ));
            }
        }
        if risk.scope_kind == "region"
            && risk.category != bw_core::risk::Category::Internal
            && let Some(DebtRun { id, name, worst }) = &self.debt
        {
            // The scope's worst simulated region.
            let worst = worst.iter().filter(|(r, ..)| self.inside(r, scope)).max_by(|a, b| a.2.total_cmp(&b.2));
            if let Some((region, year, p, threshold)) = worst
                && let Some(f) = bw_core::risk::debt_floor(*p)
            {
                let region = self.org.get(region).map_or(region.as_str(), |n| n.name.as_str());
                out.push((
                    f,
                    format!(
                        "模拟“{name}”（第 {id} 号）：{region} {year} 年债务率超过 {:.0}% 的概率 {:.0}%",
                        threshold * 100.0,
                        p * 100.0
                    ),
                ));
            }
        }
        out
    }

    /// Idle special funds: from mid-year, a special-fund indicator that has spent less than
    /// half of what the time gone would have it spend.
    fn idle(&self, scope: &str, out: &mut Vec<(u8, String)>) {
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
            out.push((
                f,
                format!(
                    "专项资金闲置 {} 项，占专项资金 {:.0}%（{}）",
                    idle.len(),
                    share * 100.0,
                    bw_core::Money::from_fen(idle_amount).magnitude_zh()
                ),
            ));
        }
    }
}
