//! Reading records page by page for the API: payments and warnings, filtered, in a stable
//! order with a cursor. Who may see what is decided by the caller (the server); this module
//! only reads within the units it is given.

use bw_core::{Date, Money};
use bw_store::Store;
use bw_store::sqlx::{self, AssertSqlSafe, Row};

use crate::journal::ActionError;

/// The largest page.
pub const PAGE_MAX: usize = 1000;

/// Which payments: `units` is the set the caller may read (`None`: every unit).
#[derive(Clone, Debug, Default)]
pub struct PaymentFilter {
    pub units: Option<Vec<String>>,
    pub unit: Option<String>,
    pub indicator: Option<String>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// After this (voucher_no, unit_code), in that order.
    pub after: Option<(String, String)>,
    pub limit: usize,
}

/// A payment as the API shows it (amounts in yuan, exact). `payee_name` and
/// `payee_account` are null for an individual payee below the caller's personal class.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PaymentRow {
    pub unit_code: String,
    pub voucher_no: String,
    pub pay_date: String,
    pub indicator_code: String,
    pub economic_code: String,
    pub payee_name: Option<String>,
    pub payee_account: Option<String>,
    pub payee_type: String,
    pub amount: String,
    pub summary: String,
    pub invoice_no: Option<String>,
    pub contract_no: Option<String>,
    pub reverses: Option<String>,
    pub journal_idx: i64,
}

/// Binds for a query built piece by piece: `$n` placeholders in order.
struct Sql {
    text: String,
    binds: Vec<String>,
}

impl Sql {
    fn bind(&mut self, v: String) -> String {
        self.binds.push(v);
        format!("${}", self.binds.len())
    }

    fn any_of(&mut self, column: &str, values: &[String]) -> String {
        if values.is_empty() {
            return "1 = 0".into();
        }
        let ps: Vec<String> = values.iter().map(|v| self.bind(v.clone())).collect();
        format!("{column} IN ({})", ps.join(", "))
    }
}

/// One page of payments and the cursor of the next (`voucher_no/unit_code`), if any.
pub async fn payments(store: &Store, f: &PaymentFilter) -> Result<(Vec<PaymentRow>, Option<String>), ActionError> {
    let mut q = Sql { text: String::new(), binds: Vec::new() };
    let mut conds: Vec<String> = Vec::new();
    if let Some(units) = &f.units {
        let c = q.any_of("unit_code", units);
        conds.push(c);
    }
    if let Some(u) = &f.unit {
        let p = q.bind(u.clone());
        conds.push(format!("unit_code = {p}"));
    }
    if let Some(i) = &f.indicator {
        let p = q.bind(i.clone());
        conds.push(format!("indicator_code = {p}"));
    }
    if let Some(d) = f.from {
        let p = q.bind(d.to_string());
        conds.push(format!("pay_date >= {p}"));
    }
    if let Some(d) = f.to {
        let p = q.bind(d.to_string());
        conds.push(format!("pay_date <= {p}"));
    }
    if let Some((v, u)) = &f.after {
        let (pv, pu) = (q.bind(v.clone()), q.bind(u.clone()));
        conds.push(format!("(voucher_no > {pv} OR (voucher_no = {pv} AND unit_code > {pu}))"));
    }
    let limit = f.limit.clamp(1, PAGE_MAX);
    q.text = format!(
        "SELECT unit_code, voucher_no, pay_date, indicator_code, economic_code, payee_name, payee_account, payee_type, amount, summary, invoice_no, contract_no, reverses, journal_idx FROM payments{} ORDER BY voucher_no, unit_code LIMIT {}",
        if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) },
        limit + 1
    );
    let mut query = sqlx::query(AssertSqlSafe(q.text));
    for b in q.binds {
        query = query.bind(b);
    }
    let rows = query.fetch_all(store.pool()).await?;
    let mut out = Vec::with_capacity(rows.len().min(limit));
    for r in rows.iter().take(limit) {
        let blank = |s: String| if s.is_empty() { None } else { Some(s) };
        out.push(PaymentRow {
            unit_code: r.try_get(0)?,
            voucher_no: r.try_get(1)?,
            pay_date: r.try_get(2)?,
            indicator_code: r.try_get(3)?,
            economic_code: r.try_get(4)?,
            payee_name: blank(r.try_get(5)?),
            payee_account: blank(r.try_get(6)?),
            payee_type: r.try_get(7)?,
            amount: Money::from_fen(r.try_get(8)?).to_string(),
            summary: r.try_get(9)?,
            invoice_no: r.try_get(10)?,
            contract_no: r.try_get(11)?,
            reverses: r.try_get(12)?,
            journal_idx: r.try_get(13)?,
        });
    }
    let next = if rows.len() > limit { out.last().map(|p| format!("{}/{}", p.voucher_no, p.unit_code)) } else { None };
    Ok((out, next))
}

/// Which warnings: within `units` and `regions` (`None`: all).
#[derive(Clone, Debug, Default)]
pub struct WarningFilter {
    pub units: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
    pub state: Option<String>,
    pub rule: Option<String>,
    pub level: Option<String>,
    /// `Some(true)`: the audit's findings only; `Some(false)`: the monitoring rules'
    /// warnings only; `None`: both.
    pub findings: Option<bool>,
    pub after: Option<i64>,
    pub limit: usize,
    /// Most pressing first: by the next deadline (the explanation while open or returned,
    /// the plan while a rectification is required; none last), then red, orange, yellow,
    /// then by id; paged by `offset` (`after` is then not used). Otherwise by id.
    pub by_due: bool,
    pub offset: usize,
    /// Only warnings whose row was last written by a journal entry in `first..end`.
    pub journal: Option<(i64, i64)>,
}

/// Whether a warning's rule is one of the audit's tests (a finding) rather than a
/// monitoring rule.
pub fn is_finding(rule: &str) -> bool {
    bw_audit::TESTS.iter().any(|(t, _)| *t == rule)
}

/// A warning as listed.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct WarningRow {
    pub id: i64,
    pub year: i64,
    pub rule: String,
    pub level: String,
    pub unit_code: Option<String>,
    pub indicator_code: Option<String>,
    pub region_code: Option<String>,
    pub period: String,
    pub raised_on: String,
    pub explain_by: String,
    pub plan_by: String,
    pub state: String,
    #[schema(value_type = Vec<String>)]
    pub vouchers: serde_json::Value,
    #[schema(value_type = Object)]
    pub evidence: serde_json::Value,
}

/// The state filter that selects the warnings still being worked on (`State::is_active`).
pub const ACTIVE: &str = "active";

/// One page of warnings by id and the next cursor.
pub async fn warnings(store: &Store, f: &WarningFilter) -> Result<(Vec<WarningRow>, Option<String>), ActionError> {
    let mut q = Sql { text: String::new(), binds: Vec::new() };
    let mut conds: Vec<String> = Vec::new();
    match (&f.units, &f.regions) {
        (None, None) => {}
        (units, regions) => {
            let u = units.as_deref().map(|u| q.any_of("unit_code", u)).unwrap_or_else(|| "1 = 0".into());
            let r = regions
                .as_deref()
                .map(|r| format!("(unit_code IS NULL AND {})", q.any_of("region_code", r)))
                .unwrap_or_else(|| "1 = 0".into());
            conds.push(format!("({u} OR {r})"));
        }
    }
    // `active`: every state of a warning still being worked on.
    if f.state.as_deref() == Some(ACTIVE) {
        let states: Vec<String> =
            bw_rules::workflow::State::ALL.iter().filter(|s| s.is_active()).map(|s| s.as_str().to_string()).collect();
        let any = q.any_of("state", &states);
        conds.push(any);
    }
    let state = f.state.as_ref().filter(|s| s.as_str() != ACTIVE);
    for (col, v) in [("state", &state.cloned()), ("rule", &f.rule), ("level", &f.level)] {
        if let Some(v) = v {
            let p = q.bind(v.clone());
            conds.push(format!("{col} = {p}"));
        }
    }
    if let Some(only) = f.findings {
        let tests: Vec<String> = bw_audit::TESTS.iter().map(|(t, _)| t.to_string()).collect();
        let any = q.any_of("rule", &tests);
        conds.push(if only { any } else { format!("NOT ({any})") });
    }
    if let Some(a) = f.after.filter(|_| !f.by_due) {
        conds.push(format!("id > {a}"));
    }
    if let Some((first, end)) = f.journal {
        conds.push(format!("journal_idx >= {first} AND journal_idx < {end}"));
    }
    let limit = f.limit.clamp(1, PAGE_MAX);
    let order = if f.by_due {
        format!(
            "CASE WHEN state IN ('open', 'returned', 'awaiting_sign_off') THEN COALESCE(NULLIF(explain_by, ''), '9999-12-31') \
             WHEN state = 'rectification_required' THEN COALESCE(NULLIF(plan_by, ''), '9999-12-31') ELSE '9999-12-31' END, \
             CASE level WHEN 'red' THEN 0 WHEN 'orange' THEN 1 ELSE 2 END, id LIMIT {} OFFSET {}",
            limit + 1,
            f.offset
        )
    } else {
        format!("id LIMIT {}", limit + 1)
    };
    q.text = format!(
        "SELECT id, year, rule, level, unit_code, indicator_code, region_code, period, raised_on, explain_by, plan_by, state, vouchers, evidence FROM warnings{} ORDER BY {order}",
        if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) },
    );
    let mut query = sqlx::query(AssertSqlSafe(q.text));
    for b in q.binds {
        query = query.bind(b);
    }
    let rows = query.fetch_all(store.pool()).await?;
    let mut out = Vec::new();
    for r in rows.iter().take(limit) {
        let json = |i: usize| -> Result<serde_json::Value, ActionError> {
            let s: String = r.try_get(i)?;
            Ok(serde_json::from_str(&s).unwrap_or(serde_json::Value::String(s)))
        };
        out.push(WarningRow {
            id: r.try_get(0)?,
            year: r.try_get::<i64, _>(1)?,
            rule: r.try_get(2)?,
            level: r.try_get(3)?,
            unit_code: r.try_get(4)?,
            indicator_code: r.try_get(5)?,
            region_code: r.try_get(6)?,
            period: r.try_get(7)?,
            raised_on: r.try_get(8)?,
            explain_by: r.try_get(9)?,
            plan_by: r.try_get(10)?,
            state: r.try_get(11)?,
            vouchers: json(12)?,
            evidence: json(13)?,
        });
    }
    let next = match rows.len() > limit {
        false => None,
        true if f.by_due => Some((f.offset + limit).to_string()),
        true => out.last().map(|w| w.id.to_string()),
    };
    Ok((out, next))
}

/// What people call each of `codes` (indicators): its project's name, else its economic
/// class's, with the economic class after a project ("乡村振兴示范项目 · 委托业务费").
pub async fn indicator_labels(
    store: &Store,
    codes: &[String],
) -> Result<std::collections::HashMap<String, String>, ActionError> {
    let mut out = std::collections::HashMap::new();
    if codes.is_empty() {
        return Ok(out);
    }
    let mut q = Sql { text: String::new(), binds: Vec::new() };
    let any = q.any_of("i.indicator_code", codes);
    q.text = format!(
        "SELECT i.indicator_code, i.economic_code, p.name FROM indicators i \
         LEFT JOIN projects p ON p.project_code = i.project_code WHERE {any} ORDER BY i.year"
    );
    let mut query = sqlx::query(AssertSqlSafe(q.text));
    for b in q.binds {
        query = query.bind(b);
    }
    for r in query.fetch_all(store.pool()).await? {
        let (code, economic, project): (String, String, Option<String>) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        let class = bw_core::code::economic_name(&economic).unwrap_or(economic.as_str()).to_string();
        let label = match project {
            Some(p) if !p.is_empty() => format!("{p} · {class}"),
            _ => class,
        };
        out.insert(code, label);
    }
    Ok(out)
}

/// The warning `id`: (unit, region) it belongs to, for the scope check, if it exists.
pub async fn warning_owner(store: &Store, id: i64) -> Result<Option<(Option<String>, Option<String>)>, ActionError> {
    let row = sqlx::query("SELECT unit_code, region_code FROM warnings WHERE id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?;
    Ok(match row {
        Some(r) => Some((r.try_get(0)?, r.try_get(1)?)),
        None => None,
    })
}

/// Warnings recorded by journal entries in `first..end` (those an import raised or
/// changed), by id.
pub async fn warnings_between(store: &Store, first: i64, end: i64) -> Result<Vec<WarningRow>, ActionError> {
    let mut f = WarningFilter { journal: Some((first, end)), limit: PAGE_MAX, ..WarningFilter::default() };
    let mut out = Vec::new();
    loop {
        let (rows, next) = warnings(store, &f).await?;
        out.extend(rows);
        match next.and_then(|n| n.parse().ok()) {
            Some(after) => f.after = Some(after),
            None => return Ok(out),
        }
    }
}

/// An indicator whose payments to the month's end come near or over its amount.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Strained {
    pub indicator_code: String,
    pub unit_code: String,
    pub amount: Money,
    pub paid: Money,
}

impl Strained {
    /// Paid as a share of the amount.
    pub fn ratio(&self) -> f64 {
        self.paid.ratio_of(self.amount)
    }
}

/// The `limit` indicators of `year` (within `units`; all when `None`) whose payments up to the
/// end of `month` are at least `share_pct` % of their amount, the most strained first.
pub async fn strained_indicators(
    store: &Store,
    year: i32,
    month: u32,
    units: Option<&[String]>,
    share_pct: i64,
    limit: usize,
) -> Result<Vec<Strained>, ActionError> {
    let rows = sqlx::query(
        "SELECT i.indicator_code, i.unit_code, i.amount, CAST(SUM(m.paid) AS BIGINT) FROM indicators i \
         JOIN indicator_months m ON m.year = i.year AND m.indicator_code = i.indicator_code \
         WHERE i.year = $1 AND m.month <= $2 AND i.amount > 0 \
         GROUP BY i.indicator_code, i.unit_code, i.amount HAVING SUM(m.paid) * 100 >= i.amount * $3",
    )
    .bind(i64::from(year))
    .bind(format!("{year:04}-{month:02}"))
    .bind(share_pct)
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let unit: String = r.try_get(1)?;
        if units.is_some_and(|u| u.binary_search(&unit).is_err()) {
            continue;
        }
        out.push(Strained {
            indicator_code: r.try_get(0)?,
            unit_code: unit,
            amount: Money::from_fen(r.try_get(2)?),
            paid: Money::from_fen(r.try_get::<Option<i64>, _>(3)?.unwrap_or(0)),
        });
    }
    // The largest excess over the amount first, then the highest share.
    out.sort_by(|a, b| {
        (b.paid.fen() - b.amount.fen())
            .cmp(&(a.paid.fen() - a.amount.fen()))
            .then(b.ratio().total_cmp(&a.ratio()))
            .then(a.indicator_code.cmp(&b.indicator_code))
    });
    out.truncate(limit);
    Ok(out)
}

/// A payment named as evidence by warnings still in progress.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Suspicious {
    pub unit_code: String,
    pub voucher_no: String,
    pub pay_date: String,
    pub amount: Money,
    pub summary: String,
    /// The rules of the warnings naming it, each once, in the order of the warnings' ids.
    pub rules: Vec<String>,
    /// The highest level among them (`red`, `orange` or `yellow`).
    pub level: String,
}

/// The `limit` largest payments of `year` named by warnings not finished (within `units`;
/// all when `None`).
pub async fn suspicious_payments(
    store: &Store,
    year: i32,
    units: Option<&[String]>,
    limit: usize,
) -> Result<Vec<Suspicious>, ActionError> {
    let rows = sqlx::query(
        "SELECT rule, level, unit_code, vouchers FROM warnings WHERE year = $1 \
         AND state NOT IN ('closed', 'archived', 'dismissed', 'withdrawn', 'recorded') ORDER BY id",
    )
    .bind(i64::from(year))
    .fetch_all(store.pool())
    .await?;
    let rank = |l: &str| match l {
        "red" => 0,
        "orange" => 1,
        "yellow" => 2,
        _ => 3,
    };
    // voucher → (rules, highest level); the unit is checked on the payment itself.
    let mut named: std::collections::HashMap<String, (Vec<String>, String)> = std::collections::HashMap::new();
    for r in rows {
        let (rule, level, vouchers): (String, String, String) = (r.try_get(0)?, r.try_get(1)?, r.try_get(3)?);
        let Ok(list) = serde_json::from_str::<Vec<String>>(&vouchers) else { continue };
        for v in list {
            let e = named.entry(v).or_insert_with(|| (Vec::new(), level.clone()));
            if !e.0.contains(&rule) {
                e.0.push(rule.clone());
            }
            if rank(&level) < rank(&e.1) {
                e.1 = level.clone();
            }
        }
    }
    let mut keys: Vec<String> = named.keys().cloned().collect();
    keys.sort();
    let mut out = Vec::new();
    for chunk in keys.chunks(500) {
        let mut q = Sql { text: String::new(), binds: Vec::new() };
        let any = q.any_of("voucher_no", chunk);
        q.text = format!(
            "SELECT unit_code, voucher_no, pay_date, amount, summary FROM payments WHERE year = {year} AND {any}"
        );
        let mut query = sqlx::query(AssertSqlSafe(q.text));
        for b in q.binds {
            query = query.bind(b);
        }
        for r in query.fetch_all(store.pool()).await? {
            let unit: String = r.try_get(0)?;
            if units.is_some_and(|u| u.binary_search(&unit).is_err()) {
                continue;
            }
            let voucher: String = r.try_get(1)?;
            let (rules, level) = named.get(&voucher).cloned().unwrap_or_default();
            out.push(Suspicious {
                unit_code: unit,
                voucher_no: voucher,
                pay_date: r.try_get(2)?,
                amount: Money::from_fen(r.try_get(3)?),
                summary: r.try_get(4)?,
                rules,
                level,
            });
        }
    }
    out.sort_by(|a, b| b.amount.cmp(&a.amount).then(a.voucher_no.cmp(&b.voucher_no)));
    out.truncate(limit);
    Ok(out)
}
