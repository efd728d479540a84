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
///   (`forecast_floor`; advisory: they move the likelihood, never raise a warning).
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
}

impl Figures {
    async fn read(store: &Store, reg: &Register, as_of: bw_core::Date) -> Result<Figures, TakeError> {
        let year = as_of.year();
        let pool = store.pool();
        let q = |e: bw_store::sqlx::Error| TakeError::from(ActionError::from(e));
        let warnings = bw_store::sqlx::query_as(
            "SELECT unit_code, region_code, level FROM warnings \
             WHERE year = $1 AND state NOT IN ('closed', 'dismissed', 'withdrawn', 'archived')",
        )
        .bind(year)
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
        let start = bw_core::Date::from_ymd(year, 1, 1).map(|d| d.days()).unwrap_or(0);
        let end = bw_core::Date::from_ymd(year, 12, 31).map(|d| d.days()).unwrap_or(364);
        let days = (i64::from(as_of.days() - start + 1), i64::from(end - start + 1));
        let elapsed = days.0 as f64 / days.1 as f64;
        let org = crate::users::org_tree(store).await?;
        Ok(Figures { org, elapsed, days, warnings, revenue, targets, special, forecasts })
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
