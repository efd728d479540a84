//! Execution monitoring: `budgetwatch check` evaluates the twelve rules (`bw-rules`) as of a
//! date over the year's indicators, payments and revenues, and records what they find as
//! warnings — one per rule, subject and period. A new finding is a journaled
//! `warning.raise`; a finding whose level, vouchers or figures changed is a journaled
//! `warning.update` of the same warning. Deadlines are in working days from the date raised.

use crate::Ctx;
use crate::journal::ActionError;
use bw_core::code::EconomicCode;
use bw_core::records::PayeeType;
use bw_core::{Date, Money};
use bw_rules::{Bands, Facts, Finding, IndicatorFact, PaymentFact, RevenueFact, Thresholds};
use bw_store::sqlx::{self, Row};
use bw_store::{JournalWriter, Store};
use std::collections::HashMap;

/// Working days a unit has to explain a warning (the 48-hour rule).
pub const EXPLAIN_WORKDAYS: u32 = 2;
/// Working days, after the explanation is due, to submit a rectification plan.
pub const PLAN_WORKDAYS: u32 = 5;

/// A warning as stored and shown.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Warning {
    pub id: i64,
    pub rule: String,
    pub level: String,
    pub unit_code: Option<String>,
    pub indicator_code: Option<String>,
    pub region_code: Option<String>,
    pub revenue_code: Option<String>,
    pub period: String,
    pub vouchers: Vec<String>,
    pub evidence: serde_json::Value,
    pub raised_on: String,
    pub explain_by: String,
    pub plan_by: String,
    pub state: String,
    /// The rectification suggestion (整改建议) filled with the figures.
    pub suggestion: String,
    /// The graded response its level calls for (`response`).
    pub response: String,
}

/// The thresholds in force: the `rules.*` settings.
pub async fn thresholds(store: &Store) -> Result<Thresholds, ActionError> {
    let mut t = Thresholds::default();
    let get = async |key: &str| crate::settings::get(store, key).await;
    let bands = |v: String| -> Bands {
        let p: Vec<i64> = v.split(',').filter_map(|x| x.parse().ok()).collect();
        match p.as_slice() {
            [y, o, r] => Bands::new(*y, *o, *r),
            _ => Bands::new(0, 0, 0),
        }
    };
    let int = |v: String| v.parse::<i64>().unwrap_or(0);
    let yuan = |v: String| Money::parse_yuan(&v).unwrap_or(Money::ZERO);
    t.over_budget = bands(get("rules.over_budget.levels").await?);
    t.prohibited_terms = get("rules.out_of_scope.terms").await?.split(',').map(String::from).collect();
    t.ahead_of_schedule = bands(get("rules.ahead_of_schedule.levels").await?);
    t.behind_schedule = bands(get("rules.behind_schedule.levels").await?);
    t.stagnant = bands(get("rules.stagnant.levels").await?);
    t.idle_funds = bands(get("rules.idle_funds.levels").await?);
    t.split_min_payments = int(get("rules.split_purchase.min_payments").await?) as usize;
    t.split_limit = yuan(get("rules.split_purchase.limit").await?);
    t.split_days = int(get("rules.split_purchase.days").await?) as i32;
    t.duplicate_days = int(get("rules.duplicate_payment.days").await?) as i32;
    t.sangong_over = bands(get("rules.sangong_over.levels").await?);
    t.personal_limit = yuan(get("rules.personal_account.limit").await?);
    t.year_end_rush = bands(get("rules.year_end_rush.levels").await?);
    t.revenue_gap_points = int(get("rules.revenue_shortfall.gap_points").await?);
    t.revenue_shortfall = bands(get("rules.revenue_shortfall.levels").await?);
    Ok(t)
}

fn bad(what: &str, e: impl std::fmt::Display) -> ActionError {
    ActionError::Invalid(format!("stored {what} unreadable: {e}"))
}

/// The facts of `year` as of `as_of`, read from the projections: each indicator's monthly
/// figures from `indicator_months` (the as-of month from its payments when it is not over),
/// and only the payments the rules need — those of the indicators whose findings name
/// vouchers, and the candidates of the payment rules, selected in SQL so a million payments
/// never travel to the application.
pub async fn facts(store: &Store, year: i32, as_of: Date, t: &Thresholds) -> Result<Facts, ActionError> {
    let pool = store.pool();
    let mut f = Facts { year, ..Facts::default() };
    let rows =
        sqlx::query("SELECT indicator_code, unit_code, economic_code, amount, special FROM indicators WHERE year = $1")
            .bind(i64::from(year))
            .fetch_all(pool)
            .await?;
    for r in rows {
        f.indicators.push(IndicatorFact {
            code: r.try_get(0)?,
            unit_code: r.try_get(1)?,
            economic_code: EconomicCode::parse(&r.try_get::<String, _>(2)?).map_err(|e| bad("economic code", e))?,
            amount: Money::from_fen(r.try_get(3)?),
            special: r.try_get::<i64, _>(4)? != 0,
            months: [0; 12],
            counts: [0; 12],
        });
    }
    // Whole months from the aggregates; a month the as-of date cuts from its payments.
    let whole_through = if as_of.year() > year || as_of == as_of.month_end() {
        format!("{year:04}-12").min(as_of.month_key())
    } else {
        Date::from_ymd(year, as_of.month(), 1).map(|d| d.add_days(-1).month_key()).unwrap_or_default()
    };
    let whole_through = if as_of.year() > year { format!("{year:04}-12") } else { whole_through };
    let mut months: HashMap<String, ([i64; 12], [u32; 12])> = HashMap::new();
    for r in sqlx::query(
        "SELECT indicator_code, month, paid, payments FROM indicator_months WHERE year = $1 AND month <= $2",
    )
    .bind(i64::from(year))
    .bind(whole_through.clone())
    .fetch_all(pool)
    .await?
    {
        let month: String = r.try_get(1)?;
        let m: usize = month.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
        let e = months.entry(r.try_get(0)?).or_default();
        e.0[m - 1] += r.try_get::<i64, _>(2)?;
        e.1[m - 1] += r.try_get::<i64, _>(3)? as u32;
    }
    if as_of.year() == year && as_of != as_of.month_end() {
        let start = Date::from_ymd(year, as_of.month(), 1).unwrap_or(as_of);
        for r in sqlx::query(
            "SELECT indicator_code, CAST(SUM(amount) AS BIGINT), CAST(COUNT(*) AS BIGINT) FROM payments \
             WHERE year = $1 AND pay_date >= $2 AND pay_date <= $3 GROUP BY indicator_code",
        )
        .bind(i64::from(year))
        .bind(start.to_string())
        .bind(as_of.to_string())
        .fetch_all(pool)
        .await?
        {
            let e = months.entry(r.try_get(0)?).or_default();
            let m = as_of.month() as usize - 1;
            e.0[m] += r.try_get::<i64, _>(1)?;
            e.1[m] += r.try_get::<i64, _>(2)? as u32;
        }
    }
    for i in &mut f.indicators {
        if let Some((m, c)) = months.get(&i.code) {
            (i.months, i.counts) = (*m, *c);
        }
    }
    // The payments the rules need.
    const COLUMNS: &str = "p.voucher_no, p.unit_code, p.indicator_code, p.pay_date, p.economic_code, p.payee_account, \
                           p.payee_type, p.amount, p.summary, p.invoice_no";
    let scope = "p.year = $1 AND p.pay_date <= $2";
    let mut wanted: Vec<(String, Vec<String>)> = Vec::new();
    let codes: Vec<String> = bw_rules::voucher_indicators(&f, as_of, t).into_iter().collect();
    for chunk in codes.chunks(500) {
        let list = (0..chunk.len()).map(|k| format!("${}", k + 3)).collect::<Vec<_>>().join(", ");
        wanted.push((
            format!("SELECT {COLUMNS} FROM payments p WHERE {scope} AND p.indicator_code IN ({list})"),
            chunk.to_vec(),
        ));
    }
    let terms: Vec<String> = t.prohibited_terms.iter().filter(|w| !w.is_empty()).map(|w| format!("%{w}%")).collect();
    let like = (0..terms.len()).map(|k| format!(" OR p.summary LIKE ${}", k + 3)).collect::<String>();
    wanted.push((
        format!(
            "SELECT {COLUMNS} FROM payments p JOIN indicators i ON i.year = p.year AND i.indicator_code = p.indicator_code \
             WHERE {scope} AND p.amount > 0 AND (substr(p.economic_code, 1, length(i.economic_code)) <> i.economic_code{like})"
        ),
        terms,
    ));
    let limit = t.personal_limit.fen().to_string();
    wanted.push((
        format!(
            "SELECT {COLUMNS} FROM payments p WHERE {scope} AND p.payee_type = 'individual' AND p.amount >= CAST($3 AS BIGINT) \
             AND p.economic_code NOT LIKE '301%' AND p.economic_code NOT LIKE '303%'"
        ),
        vec![limit],
    ));
    // split_purchase: a window of at most 30 days lies within two consecutive months (or
    // January to March), so (unit, account) pairs are candidates only where such months
    // together reach the count and the sum.
    let (split_limit, split_n) = (t.split_limit.fen().to_string(), t.split_min_payments.to_string());
    wanted.push((
        format!(
            "WITH m AS (SELECT unit_code AS u, payee_account AS a, CAST(substr(pay_date, 6, 2) AS INTEGER) AS mo, \
             COUNT(*) AS n, SUM(amount) AS s FROM payments WHERE year = $1 AND pay_date <= $2 AND amount > 0 \
             AND amount < CAST($3 AS BIGINT) GROUP BY unit_code, payee_account, CAST(substr(pay_date, 6, 2) AS INTEGER)), \
             c AS (SELECT DISTINCT x.u || '|' || x.a AS k FROM m x \
             LEFT JOIN m y ON y.u = x.u AND y.a = x.a AND y.mo = x.mo + 1 \
             LEFT JOIN m z ON z.u = x.u AND z.a = x.a AND z.mo = 3 AND x.mo = 1 \
             WHERE x.n + COALESCE(y.n, 0) + COALESCE(z.n, 0) >= CAST($4 AS BIGINT) \
             AND x.s + COALESCE(y.s, 0) + COALESCE(z.s, 0) >= CAST($3 AS BIGINT)) \
             SELECT {COLUMNS} FROM payments p WHERE {scope} AND p.amount > 0 AND p.amount < CAST($3 AS BIGINT) \
             AND p.unit_code || '|' || p.payee_account IN (SELECT k FROM c)"
        ),
        vec![split_limit, split_n],
    ));
    wanted.push((
        format!(
            "SELECT {COLUMNS} FROM payments p WHERE {scope} AND p.amount > 0 AND ( \
             (p.invoice_no IS NOT NULL AND p.invoice_no <> '' AND p.invoice_no IN (SELECT q.invoice_no FROM payments q \
              WHERE q.year = $1 AND q.pay_date <= $2 AND q.amount > 0 AND q.invoice_no IS NOT NULL AND q.invoice_no <> '' \
              GROUP BY q.invoice_no HAVING COUNT(*) > 1)) \
             OR p.payee_account || '|' || CAST(p.amount AS TEXT) IN (SELECT q.payee_account || '|' || CAST(q.amount AS TEXT) \
              FROM payments q WHERE q.year = $1 AND q.pay_date <= $2 AND q.amount > 0 \
              GROUP BY q.payee_account, q.amount HAVING COUNT(*) > 1))"
        ),
        Vec::new(),
    ));
    let mut seen = std::collections::HashSet::new();
    for (sql, binds) in wanted {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(i64::from(year)).bind(as_of.to_string());
        for b in binds {
            q = q.bind(b);
        }
        for r in q.fetch_all(pool).await? {
            let (voucher, unit): (String, String) = (r.try_get(0)?, r.try_get(1)?);
            if !seen.insert((unit.clone(), voucher.clone())) {
                continue;
            }
            f.payments.push(PaymentFact {
                voucher_no: voucher,
                unit_code: unit,
                indicator_code: r.try_get(2)?,
                pay_date: Date::parse(&r.try_get::<String, _>(3)?).map_err(|e| bad("date", e))?,
                economic_code: EconomicCode::parse(&r.try_get::<String, _>(4)?).map_err(|e| bad("economic code", e))?,
                payee_account: r.try_get(5)?,
                payee_type: PayeeType::parse(&r.try_get::<String, _>(6)?).map_err(|e| bad("payee type", e))?,
                amount: Money::from_fen(r.try_get(7)?),
                summary: r.try_get(8)?,
                invoice_no: r.try_get(9)?,
            });
        }
    }
    let mut lines: HashMap<(String, String), RevenueFact> = HashMap::new();
    for r in sqlx::query("SELECT region_code, revenue_code, amount FROM revenue_targets WHERE year = $1")
        .bind(i64::from(year))
        .fetch_all(pool)
        .await?
    {
        let (region, code): (String, String) = (r.try_get(0)?, r.try_get(1)?);
        let target = Money::from_fen(r.try_get(2)?);
        lines.insert(
            (region.clone(), code.clone()),
            RevenueFact { region_code: region, revenue_code: code, target, months: [0; 12] },
        );
    }
    // Revenue by month up to the as-of date (the as-of month counts to its day).
    for r in sqlx::query("SELECT region_code, revenue_code, date, amount FROM revenues WHERE year = $1 AND date <= $2")
        .bind(i64::from(year))
        .bind(as_of.to_string())
        .fetch_all(pool)
        .await?
    {
        let key: (String, String) = (r.try_get(0)?, r.try_get(1)?);
        let date = Date::parse(&r.try_get::<String, _>(2)?).map_err(|e| bad("date", e))?;
        if let Some(line) = lines.get_mut(&key) {
            line.months[date.month() as usize - 1] += r.try_get::<i64, _>(3)?;
        }
    }
    let mut revenues: Vec<RevenueFact> = lines.into_values().collect();
    revenues.sort_by(|a, b| (&a.region_code, &a.revenue_code).cmp(&(&b.region_code, &b.revenue_code)));
    f.revenues = revenues;
    Ok(f)
}

/// The entry data of a raised warning: everything the projection row holds.
#[derive(serde::Serialize)]
struct RaiseData<'a> {
    key: &'a str,
    year: i32,
    rule: &'a str,
    level: &'a str,
    unit_code: &'a Option<String>,
    indicator_code: &'a Option<String>,
    region_code: &'a Option<String>,
    revenue_code: &'a Option<String>,
    period: &'a str,
    vouchers: &'a [String],
    evidence: &'a serde_json::Value,
    raised_on: String,
    explain_by: String,
    plan_by: String,
}

#[derive(serde::Serialize)]
struct UpdateData<'a> {
    id: i64,
    level: &'a str,
    vouchers: &'a [String],
    evidence: &'a serde_json::Value,
}

/// What a check did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct CheckReport {
    pub raised: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Warnings whose explanation or plan was overdue: one level up, a new deadline.
    pub escalated: usize,
    /// Emergency cases opened.
    pub emergencies: usize,
}

/// A stored warning as `check` compares and escalates it.
struct Stored {
    id: i64,
    level: String,
    vouchers: String,
    evidence: String,
    escalations: i64,
    state: String,
    explain_by: String,
    plan_by: String,
}

#[derive(serde::Serialize)]
struct EscalateData<'a> {
    id: i64,
    overdue: &'static str,
    from: &'a str,
    level: &'a str,
    escalations: i64,
    explain_by: &'a str,
    plan_by: &'a str,
}

/// Evaluates every rule as of `as_of`, records the findings, escalates overdue steps and
/// opens the emergency cases the warnings call for; returns what changed.
pub async fn check(store: &Store, ctx: &Ctx, as_of: Date) -> Result<CheckReport, ActionError> {
    let mut report = record(store, ctx, as_of).await?;
    report.emergencies = crate::emergency::open_for_warnings(store, ctx).await?;
    Ok(report)
}

async fn record(store: &Store, ctx: &Ctx, as_of: Date) -> Result<CheckReport, ActionError> {
    let year = as_of.year();
    let t = thresholds(store).await?;
    let facts = facts(store, year, as_of, &t).await?;
    let findings = bw_rules::evaluate(as_of, &facts, &t);
    let calendar = crate::calendar::load(store).await?;
    let explain_by = calendar.add_workdays(as_of, EXPLAIN_WORKDAYS).value;
    let plan_by = calendar.add_workdays(explain_by, PLAN_WORKDAYS).value;
    let mut existing: HashMap<String, Stored> = HashMap::new();
    for r in sqlx::query(
        "SELECT wkey, id, level, vouchers, evidence, escalations, state, explain_by, plan_by FROM warnings WHERE year = $1",
    )
    .bind(i64::from(year))
    .fetch_all(store.pool())
    .await?
    {
        existing.insert(
            r.try_get(0)?,
            Stored {
                id: r.try_get(1)?,
                level: r.try_get(2)?,
                vouchers: r.try_get(3)?,
                evidence: r.try_get(4)?,
                escalations: r.try_get(5)?,
                state: r.try_get(6)?,
                explain_by: r.try_get(7)?,
                plan_by: r.try_get(8)?,
            },
        );
    }
    let (mut tx, size) = store.begin_write().await?;
    let mut journal = JournalWriter::new(size, store, ctx.at);
    let mut report = CheckReport::default();
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("check as of {as_of}"));
    let header = |action| bw_ledger::Header { action, actor: &ctx.actor, at: ctx.at, reason: &reason, batch: None };
    for w in &findings {
        let key = w.key();
        let vouchers = serde_json::to_string(&w.vouchers).map_err(|e| ActionError::Invalid(e.to_string()))?;
        let evidence = serde_json::to_value(&w.evidence).map_err(|e| ActionError::Invalid(e.to_string()))?;
        let evidence_text = evidence.to_string();
        match existing.get_mut(&key) {
            Some(s) => {
                // An escalated warning keeps its escalations above the finding's level.
                let level = (0..s.escalations).fold(w.level, |l, _| l.raised());
                if s.level == level.as_str() && s.vouchers == vouchers && s.evidence == evidence_text {
                    report.unchanged += 1;
                    continue;
                }
                let data = UpdateData { id: s.id, level: level.as_str(), vouchers: &w.vouchers, evidence: &evidence };
                let idx = journal.append(entry(&header("warning.update"), &data)?);
                sqlx::query(
                    "UPDATE warnings SET level = $1, vouchers = $2, evidence = $3, journal_idx = $4 WHERE id = $5",
                )
                .bind(level.as_str())
                .bind(vouchers)
                .bind(evidence_text)
                .bind(idx)
                .bind(s.id)
                .execute(&mut *tx)
                .await?;
                s.level = level.as_str().to_string();
                report.updated += 1;
            }
            None => {
                let data = raise_data(&key, year, w, &evidence, as_of, explain_by, plan_by);
                let idx = journal.append(entry(&header("warning.raise"), &data)?);
                insert_warning(&mut tx, idx, &data).await?;
                report.raised += 1;
            }
        }
    }
    // Overdue steps: the level goes up one and the step gets a new deadline.
    let mut overdue: Vec<&Stored> = existing
        .values()
        .filter(|s| {
            let late = |d: &str| Date::parse(d).is_ok_and(|d| d < as_of);
            match s.state.as_str() {
                "open" | "returned" => late(&s.explain_by),
                "rectification_required" => late(&s.plan_by),
                _ => false,
            }
        })
        .collect();
    overdue.sort_by_key(|s| s.id);
    for s in overdue {
        let from = bw_rules::Level::parse(&s.level).unwrap_or(bw_rules::Level::Yellow);
        let to = from.raised();
        let plan_step = s.state == "rectification_required";
        let (mut explain_by, mut plan_by) = (s.explain_by.clone(), s.plan_by.clone());
        if plan_step {
            plan_by = calendar.add_workdays(as_of, PLAN_WORKDAYS).value.to_string();
        } else {
            explain_by = calendar.add_workdays(as_of, EXPLAIN_WORKDAYS).value.to_string();
        }
        let data = EscalateData {
            id: s.id,
            overdue: if plan_step { "plan" } else { "explanation" },
            from: from.as_str(),
            level: to.as_str(),
            escalations: s.escalations + 1,
            explain_by: &explain_by,
            plan_by: &plan_by,
        };
        let idx = journal.append(entry(&header("warning.escalate"), &data)?);
        sqlx::query(
            "UPDATE warnings SET level = $1, escalations = $2, explain_by = $3, plan_by = $4, journal_idx = $5 WHERE id = $6",
        )
        .bind(to.as_str())
        .bind(s.escalations + 1)
        .bind(explain_by.clone())
        .bind(plan_by.clone())
        .bind(idx)
        .bind(s.id)
        .execute(&mut *tx)
        .await?;
        report.escalated += 1;
    }
    if report.raised + report.updated + report.escalated == 0 {
        tx.rollback().await?;
        return Ok(report);
    }
    journal.finish(&mut tx).await?;
    tx.commit().await?;
    Ok(report)
}

fn raise_data<'a>(
    key: &'a str,
    year: i32,
    w: &'a Finding,
    evidence: &'a serde_json::Value,
    as_of: Date,
    explain_by: Date,
    plan_by: Date,
) -> RaiseData<'a> {
    RaiseData {
        key,
        year,
        rule: w.rule,
        level: w.level.as_str(),
        unit_code: &w.unit_code,
        indicator_code: &w.indicator_code,
        region_code: &w.region_code,
        revenue_code: &w.revenue_code,
        period: &w.period,
        vouchers: &w.vouchers,
        evidence,
        raised_on: as_of.to_string(),
        explain_by: explain_by.to_string(),
        plan_by: plan_by.to_string(),
    }
}

async fn insert_warning(tx: &mut bw_store::Tx, idx: i64, d: &RaiseData<'_>) -> Result<(), ActionError> {
    sqlx::query(
        "INSERT INTO warnings (id, wkey, year, rule, level, unit_code, indicator_code, region_code, revenue_code, period, \
         vouchers, evidence, raised_on, explain_by, plan_by, state, journal_idx) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'open', $1)",
    )
    .bind(idx)
    .bind(d.key.to_string())
    .bind(i64::from(d.year))
    .bind(d.rule.to_string())
    .bind(d.level.to_string())
    .bind(d.unit_code.clone())
    .bind(d.indicator_code.clone())
    .bind(d.region_code.clone())
    .bind(d.revenue_code.clone())
    .bind(d.period.to_string())
    .bind(serde_json::to_string(d.vouchers).unwrap_or_else(|_| "[]".into()))
    .bind(d.evidence.to_string())
    .bind(d.raised_on.clone())
    .bind(d.explain_by.clone())
    .bind(d.plan_by.clone())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn entry<T: serde::Serialize>(header: &bw_ledger::Header<'_>, data: &T) -> Result<Vec<u8>, ActionError> {
    bw_ledger::encode(header, data).map_err(|e| ActionError::Invalid(e.to_string()))
}

/// Warnings of `year` (all years when `None`) not yet archived, closed or dismissed, most
/// severe first.
pub async fn open_warnings(store: &Store, year: Option<i32>) -> Result<Vec<Warning>, ActionError> {
    let open = "state NOT IN ('archived', 'closed', 'dismissed')";
    match year {
        Some(y) => warnings(store, &format!("{open} AND year = $1"), Some(i64::from(y))).await,
        None => warnings(store, open, None).await,
    }
}

/// One warning, in any state.
pub async fn warning(store: &Store, id: i64) -> Result<Option<Warning>, ActionError> {
    Ok(warnings(store, "id = $1", Some(id)).await?.pop())
}

/// The warnings `filter` (SQL with at most the parameter `$1`, bound to `arg`) selects.
async fn warnings(store: &Store, filter: &str, arg: Option<i64>) -> Result<Vec<Warning>, ActionError> {
    let sql = format!(
        "SELECT id, rule, level, unit_code, indicator_code, region_code, revenue_code, period, vouchers, evidence, \
         raised_on, explain_by, plan_by, state FROM warnings WHERE {filter} ORDER BY id"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    if let Some(a) = arg {
        q = q.bind(a);
    }
    let rows = q.fetch_all(store.pool()).await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(Warning {
            id: r.try_get(0)?,
            rule: r.try_get(1)?,
            level: r.try_get(2)?,
            unit_code: r.try_get(3)?,
            indicator_code: r.try_get(4)?,
            region_code: r.try_get(5)?,
            revenue_code: r.try_get(6)?,
            period: r.try_get(7)?,
            vouchers: serde_json::from_str(&r.try_get::<String, _>(8)?).map_err(|e| bad("vouchers", e))?,
            evidence: serde_json::from_str(&r.try_get::<String, _>(9)?).map_err(|e| bad("evidence", e))?,
            raised_on: r.try_get(10)?,
            explain_by: r.try_get(11)?,
            plan_by: r.try_get(12)?,
            state: r.try_get(13)?,
            suggestion: String::new(),
            response: String::new(),
        });
        let w = out.last_mut().ok_or_else(|| bad("warning", "none"))?;
        let subject = match (&w.indicator_code, &w.unit_code, &w.region_code, &w.revenue_code) {
            (Some(i), _, _, _) if !matches!(w.rule.as_str(), "split_purchase" | "sangong_over") => i.clone(),
            (_, Some(u), _, _) => u.clone(),
            (_, _, Some(r), Some(c)) => format!("{r}/{c}"),
            _ => String::new(),
        };
        w.response = response(&w.level).to_string();
        if let Some(rule) = bw_rules::Rule::parse(&w.rule) {
            w.suggestion = bw_rules::suggestion(rule, &subject, &w.evidence);
        }
    }
    let rank = |l: &str| bw_rules::Level::parse(l).map(|l| l as u8).unwrap_or(0);
    out.sort_by(|a, b| rank(&b.level).cmp(&rank(&a.level)).then(a.rule.cmp(&b.rule)).then(a.id.cmp(&b.id)));
    Ok(out)
}

#[derive(serde::Serialize)]
struct StepData<'a> {
    id: i64,
    step: &'static str,
    from: &'static str,
    to: &'static str,
    note: &'a str,
    /// (file name, SHA-256) of each attachment.
    attachments: &'a [(String, String)],
    returned: Money,
    explain_by: String,
    plan_by: String,
}

/// Takes one step of warning `id`'s loop as `ctx.actor`, dated `ctx.at`: journaled, with
/// the new deadlines (a returned explanation is due 2 working days later; a plan after a
/// violation or a failed verification, 5).
pub async fn step(
    store: &Store,
    ctx: &Ctx,
    id: i64,
    step: bw_rules::workflow::Step,
    note: &str,
    attachments: &[(String, String)],
    returned: Money,
) -> Result<String, ActionError> {
    use bw_rules::workflow::{Judgement, State, Step, next};
    let row = sqlx::query("SELECT state, explain_by, plan_by FROM warnings WHERE id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| ActionError::Invalid(format!("no warning {id}")))?;
    let (state, mut explain_by, mut plan_by): (String, String, String) =
        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    let from = State::parse(&state).ok_or_else(|| bad("state", &state))?;
    let to = next(from, step).map_err(ActionError::Invalid)?;
    let needs_note = matches!(step, Step::Explain | Step::Plan | Step::Rectify | Step::Dismiss);
    if needs_note && note.trim().is_empty() {
        return Err(ActionError::Invalid(format!("{} needs a text (--text)", step.name())));
    }
    if returned.fen() < 0 || (returned.fen() > 0 && step != Step::Rectify) {
        return Err(ActionError::Invalid(
            "money returned (退回金额) is recorded with rectify, and is not negative".into(),
        ));
    }
    let today = ctx.at.date();
    let calendar = crate::calendar::load(store).await?;
    match step {
        Step::Judge(Judgement::Return) => explain_by = calendar.add_workdays(today, EXPLAIN_WORKDAYS).value.to_string(),
        Step::Judge(Judgement::Violation) | Step::Verify { passed: false } => {
            plan_by = calendar.add_workdays(today, PLAN_WORKDAYS).value.to_string()
        }
        _ => {}
    }
    let data = StepData {
        id,
        step: step.name(),
        from: from.as_str(),
        to: to.as_str(),
        note,
        attachments,
        returned,
        explain_by: explain_by.clone(),
        plan_by: plan_by.clone(),
    };
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("warning {id}: {}", step.name()));
    let attachments_json = serde_json::to_string(attachments).map_err(|e| ActionError::Invalid(e.to_string()))?;
    let (actor, at, text) = (ctx.actor.clone(), ctx.at.to_string(), note.to_string());
    crate::journal::act(store, ctx, "warning.step", &reason, &data, async move |tx, idx| {
        sqlx::query("UPDATE warnings SET state = $1, explain_by = $2, plan_by = $3, journal_idx = $4 WHERE id = $5")
            .bind(to.as_str())
            .bind(explain_by)
            .bind(plan_by)
            .bind(idx)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "INSERT INTO warning_events (journal_idx, warning_id, action, from_state, to_state, actor, at, note, attachments, returned) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(idx)
        .bind(id)
        .bind(step.name())
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(actor)
        .bind(at)
        .bind(text)
        .bind(attachments_json)
        .bind(returned.fen())
        .execute(&mut **tx)
        .await?;
        Ok(())
    })
    .await?;
    Ok(to.as_str().to_string())
}

/// The steps taken on warning `id`, oldest first: (action, from, to, actor, at, note).
pub async fn history(store: &Store, id: i64) -> Result<Vec<serde_json::Value>, ActionError> {
    let rows = sqlx::query(
        "SELECT action, from_state, to_state, actor, at, note, attachments, returned, journal_idx FROM warning_events \
         WHERE warning_id = $1 ORDER BY journal_idx",
    )
    .bind(id)
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let attachments: serde_json::Value =
            serde_json::from_str(&r.try_get::<String, _>(6)?).map_err(|e| bad("attachments", e))?;
        out.push(serde_json::json!({
            "action": r.try_get::<String, _>(0)?,
            "from": r.try_get::<String, _>(1)?,
            "to": r.try_get::<String, _>(2)?,
            "actor": r.try_get::<String, _>(3)?,
            "at": r.try_get::<String, _>(4)?,
            "note": r.try_get::<String, _>(5)?,
            "attachments": attachments,
            "returned": Money::from_fen(r.try_get(7)?),
            "journal_idx": r.try_get::<i64, _>(8)?,
        }));
    }
    Ok(out)
}

/// Working days an inquiry letter allows by default.
pub const INQUIRY_WORKDAYS: u32 = 5;

#[derive(serde::Serialize)]
struct InquiryData<'a> {
    warning_id: i64,
    question: &'a str,
    due_on: String,
}

/// Sends an inquiry letter (问询单) on warning `id`, due in `workdays` working days.
pub async fn inquire(store: &Store, ctx: &Ctx, id: i64, question: &str, workdays: u32) -> Result<i64, ActionError> {
    if question.trim().is_empty() {
        return Err(ActionError::Invalid("an inquiry needs its question (--text)".into()));
    }
    if warning(store, id).await?.is_none() {
        return Err(ActionError::Invalid(format!("no warning {id}")));
    }
    let calendar = crate::calendar::load(store).await?;
    let due = calendar.add_workdays(ctx.at.date(), workdays).value.to_string();
    let data = InquiryData { warning_id: id, question, due_on: due.clone() };
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("inquiry on warning {id}"));
    let (q, by, at) = (question.to_string(), ctx.actor.clone(), ctx.at.to_string());
    crate::journal::act(store, ctx, "inquiry.send", &reason, &data, async move |tx, idx| {
        sqlx::query(
            "INSERT INTO inquiries (id, warning_id, question, asked_by, asked_at, due_on, journal_idx) \
             VALUES ($1, $2, $3, $4, $5, $6, $1)",
        )
        .bind(idx)
        .bind(id)
        .bind(q)
        .bind(by)
        .bind(at)
        .bind(due)
        .execute(&mut **tx)
        .await?;
        Ok(())
    })
    .await
}

#[derive(serde::Serialize)]
struct AnswerData<'a> {
    inquiry: i64,
    answer: &'a str,
}

/// Answers inquiry letter `inquiry` (once).
pub async fn answer(store: &Store, ctx: &Ctx, inquiry: i64, text: &str) -> Result<(), ActionError> {
    if text.trim().is_empty() {
        return Err(ActionError::Invalid("an answer needs its text (--text)".into()));
    }
    let row = sqlx::query("SELECT answer FROM inquiries WHERE id = $1")
        .bind(inquiry)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| ActionError::Invalid(format!("no inquiry {inquiry}")))?;
    if row.try_get::<Option<String>, _>(0)?.is_some() {
        return Err(ActionError::Invalid(format!("inquiry {inquiry} is already answered")));
    }
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("answer to inquiry {inquiry}"));
    let (a, by, at) = (text.to_string(), ctx.actor.clone(), ctx.at.to_string());
    crate::journal::act(
        store,
        ctx,
        "inquiry.answer",
        &reason,
        &AnswerData { inquiry, answer: text },
        async move |tx, idx| {
            sqlx::query(
                "UPDATE inquiries SET answer = $1, answered_by = $2, answered_at = $3, journal_idx = $4 WHERE id = $5",
            )
            .bind(a)
            .bind(by)
            .bind(at)
            .bind(idx)
            .bind(inquiry)
            .execute(&mut **tx)
            .await?;
            Ok(())
        },
    )
    .await?;
    Ok(())
}

/// The inquiry letters on warning `id`, with whether each is late on `today`.
pub async fn inquiries(store: &Store, id: i64, today: Date) -> Result<Vec<serde_json::Value>, ActionError> {
    let rows = sqlx::query(
        "SELECT id, question, asked_by, asked_at, due_on, answer, answered_by, answered_at FROM inquiries \
         WHERE warning_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let due: String = r.try_get(4)?;
        let answer: Option<String> = r.try_get(5)?;
        let late = answer.is_none() && Date::parse(&due).is_ok_and(|d| d < today);
        out.push(serde_json::json!({
            "id": r.try_get::<i64, _>(0)?,
            "question": r.try_get::<String, _>(1)?,
            "asked_by": r.try_get::<String, _>(2)?,
            "asked_at": r.try_get::<String, _>(3)?,
            "due_on": due,
            "answer": answer,
            "answered_by": r.try_get::<Option<String>, _>(6)?,
            "answered_at": r.try_get::<Option<String>, _>(7)?,
            "overdue": late,
        }));
    }
    Ok(out)
}

/// The graded response a level calls for: yellow, the unit's self-check (自查); orange, a
/// finance interview (约谈); red, a special audit (专项审计).
pub fn response(level: &str) -> &'static str {
    match level {
        "red" => "special_audit",
        "orange" => "interview",
        "yellow" => "self_check",
        _ => "record",
    }
}

/// `rules calibrate --year Y`: next year's level bounds proposed from year Y's figures as of
/// its last day, with the warnings the current and proposed bounds raise on Y. Changes
/// nothing: a proposal is adopted with `setting set`.
pub async fn calibrate(store: &Store, year: i32) -> Result<Vec<bw_rules::Proposal>, ActionError> {
    let t = thresholds(store).await?;
    let as_of = Date::from_ymd(year, 12, 31).ok_or_else(|| ActionError::Invalid(format!("no year {year}")))?;
    let facts = facts(store, year, as_of, &t).await?;
    Ok(bw_rules::calibrate(&facts, as_of, &t))
}
