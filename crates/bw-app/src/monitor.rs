//! Execution monitoring: `budgetwatch check` evaluates the twelve rules (`bw-rules`) as of a
//! date over the year's indicators, payments and revenues, and records what they find as
//! warnings — one per rule, subject and period. A new finding is a journaled
//! `warning.raise`; a finding whose level, vouchers or figures changed is a journaled
//! `warning.update` of the same warning. Deadlines are in working days from the date raised.

use crate::Ctx;
use crate::journal::ActionError;
use bw_core::action::Action;
use bw_core::calendar::WorkCalendar;
use bw_core::code::EconomicCode;
use bw_core::records::PayeeType;
use bw_core::warning;
use bw_core::{Date, Money};
use bw_rules::{Bands, Facts, Finding, IndicatorFact, PaymentFact, RevenueFact, Thresholds};
use bw_store::sqlx::AnyConnection;
use bw_store::sqlx::{self, Row};
use bw_store::{JournalWriter, Store};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Working days a unit has to explain a warning (the 48-hour rule).
pub const EXPLAIN_WORKDAYS: u32 = 2;
/// Working days, after the explanation is due, to submit a rectification plan.
pub const PLAN_WORKDAYS: u32 = 5;

/// A warning as stored and shown.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Warning {
    pub id: i64,
    /// The budget year it belongs to.
    pub year: i32,
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
    /// Who it is issued to (下发), by level: the unit (`unit:U`, or `region:R` for revenue);
    /// from orange its department (`department:D`); at red the finance bureau of its region
    /// (`finance:R`). An escalation, raising the level, reaches the next party up.
    pub parties: Vec<String>,
}

/// The parties a warning in its state and level is issued to; none once it is finished,
/// withdrawn or only recorded.
fn parties(w: &Warning, department: Option<&str>, unit_region: Option<&str>) -> Vec<String> {
    let state = bw_rules::workflow::State::parse(&w.state);
    if state.is_none_or(|s| s.is_final() || s == bw_rules::workflow::State::Recorded) {
        return Vec::new();
    }
    let level = bw_rules::Level::parse(&w.level).unwrap_or(bw_rules::Level::Blue);
    let mut out = Vec::new();
    match (&w.unit_code, &w.region_code) {
        (Some(u), _) => out.push(format!("unit:{u}")),
        (None, Some(r)) => out.push(format!("region:{r}")),
        _ => {}
    }
    if level >= bw_rules::Level::Orange
        && let Some(d) = department
    {
        out.push(format!("department:{d}"));
    }
    if level >= bw_rules::Level::Red
        && let Some(r) = unit_region.or(w.region_code.as_deref())
    {
        out.push(format!("finance:{r}"));
    }
    out
}

/// The thresholds in force for fiscal `year`: the `rules.*` settings, the year's own values
/// (`KEY@YEAR`) first.
pub async fn thresholds(store: &Store, year: i32) -> Result<Thresholds, ActionError> {
    let mut t = Thresholds::default();
    let snap = crate::settings::Snapshot::load(store).await?;
    let get = async |key: &str| Ok::<_, ActionError>(snap.get_for_year(key, year));
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
    t.split_exempt = get("rules.split_purchase.exempt_codes")
        .await?
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect();
    t.duplicate_days = int(get("rules.duplicate_payment.days").await?) as i32;
    t.sangong_over = bands(get("rules.sangong_over.levels").await?);
    t.personal_limit = yuan(get("rules.personal_account.limit").await?);
    t.year_end_rush = bands(get("rules.year_end_rush.levels").await?);
    t.revenue_gap_points = int(get("rules.revenue_shortfall.gap_points").await?);
    t.revenue_shortfall = bands(get("rules.revenue_shortfall.levels").await?);
    Ok(t)
}

/// A rule as `rules list` shows it: its policies and settings in force for a year.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RuleInfo {
    pub rule: &'static str,
    pub name: &'static str,
    pub handling: String,
    pub firing: String,
    pub owner: String,
    /// The rule's other settings: (name without `rules.RULE.`, value).
    pub settings: Vec<(String, String)>,
}

/// The twelve rules with what is in force for fiscal `year`.
pub async fn rules(store: &Store, year: i32) -> Result<Vec<RuleInfo>, ActionError> {
    let snap = crate::settings::Snapshot::load(store).await?;
    let mut out = Vec::new();
    for r in bw_rules::Rule::ALL {
        let prefix = format!("rules.{}.", r.id());
        let get = |what: &str| snap.get_for_year(&format!("{prefix}{what}"), year);
        let settings = bw_core::settings::SETTINGS
            .iter()
            .filter(|s| s.key.starts_with(&prefix))
            .map(|s| (s.key[prefix.len()..].to_string(), snap.get_for_year(s.key, year)))
            .collect();
        out.push(RuleInfo {
            rule: r.id(),
            name: r.zh(),
            handling: get("handling"),
            firing: get("firing"),
            owner: get("owner"),
            settings,
        });
    }
    Ok(out)
}

/// Each rule's handling and firing in force for a year.
#[derive(Clone, Debug, Default)]
pub struct Policies {
    handling: HashMap<&'static str, String>,
    at_payment: HashSet<&'static str>,
    /// Working days for the finance interview and the special audit.
    interview_workdays: u32,
    audit_workdays: u32,
}

impl Policies {
    pub async fn load(store: &Store, year: i32) -> Result<Policies, ActionError> {
        let mut p = Policies::default();
        let snap = crate::settings::Snapshot::load(store).await?;
        for r in bw_rules::Rule::ALL {
            let get =
                async |what: &str| Ok::<_, ActionError>(snap.get_for_year(&format!("rules.{}.{what}", r.id()), year));
            p.handling.insert(r.id(), get("handling").await?);
            if get("firing").await? == "payment" {
                p.at_payment.insert(r.id());
            }
        }
        let days =
            async |key: &str| -> Result<u32, ActionError> { Ok(snap.get_for_year(key, year).parse().unwrap_or(5)) };
        p.interview_workdays = days("rules.response.interview_workdays").await?;
        p.audit_workdays = days("rules.response.audit_workdays").await?;
        Ok(p)
    }

    /// `record`, `warn`, `warn_attach`, `intercept` or `forbid`.
    pub fn handling(&self, rule: &str) -> &str {
        self.handling.get(rule).map(String::as_str).unwrap_or("warn")
    }

    /// The rule fires as payments land (事中), not only at scheduled checks.
    pub fn at_payment(&self, rule: &str) -> bool {
        self.at_payment.contains(rule)
    }

    /// Some rule fires at payment time with a handling that acts on the payment itself.
    pub fn acts_on_payments(&self) -> bool {
        self.at_payment.iter().any(|r| matches!(self.handling(r), "intercept" | "forbid"))
    }
}

fn bad(what: &str, e: impl std::fmt::Display) -> ActionError {
    ActionError::Invalid(format!("stored {what} unreadable: {e}"))
}

/// What a batch of payments touched — its units, its payments, its (unit, payee account)
/// pairs, its (payee account, amount) pairs and its invoices: an evaluation over it reads
/// the indicators of those units and the payments of those pairs and invoices, exactly the
/// evidence the findings about them rest on. A batch too large to list reads everything.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub units: BTreeSet<String>,
    /// (unit, voucher)
    pub vouchers: BTreeSet<(String, String)>,
    /// (unit, payee account): split purchases.
    pub pairs: BTreeSet<(String, String)>,
    /// (payee account, amount in fen): duplicates by amount.
    pub payee_amounts: BTreeSet<(String, i64)>,
    pub invoices: BTreeSet<String>,
    /// Too many to list: read everything.
    pub wide: bool,
}

impl Scope {
    /// Beyond this many units or payments, the restriction costs more than it saves.
    const MAX_UNITS: usize = 400;
    const MAX_PAYMENTS: usize = 2_000;

    pub fn narrow(&self) -> bool {
        !self.wide && self.units.len() <= Scope::MAX_UNITS
    }

    /// Whether an evaluation over this scope makes `f` from every payment it rests on.
    pub fn covers(&self, f: &Finding) -> bool {
        let at = crate::findings::filed_under(f);
        let unit = at.unit.clone().unwrap_or_default();
        match f.rule {
            "split_purchase" => self.pairs.contains(&(unit, at.account.unwrap_or_default())),
            "duplicate_payment" => match (&at.invoice, at.account, at.amount) {
                (Some(i), _, _) => self.invoices.contains(i),
                (None, Some(a), Some(m)) => self.payee_amounts.contains(&(a, m)),
                _ => false,
            },
            "out_of_scope" | "personal_account" => self.vouchers.contains(&(unit, at.voucher.unwrap_or_default())),
            _ => f.unit_code.as_ref().is_some_and(|u| self.units.contains(u)),
        }
    }
}

/// The groups that hold stored payments — (unit, payee account), (payee account, amount),
/// invoice key — as 64-bit hashes of their keys. A superset: a key not here has no stored
/// payment of a positive amount, so a batch's evaluation need not read that group from SQL
/// (the batch's own payments, read by voucher, are the whole group), nor clear cached
/// findings on it. The server's writer keeps it in a resident slot of its own, brought up
/// to date with what other writers appended (`catch_up`).
#[derive(Default)]
pub struct StoredKeys {
    keys: HashSet<u64>,
}

impl StoredKeys {
    fn hash(key: impl std::hash::Hash) -> u64 {
        use std::hash::Hasher;
        let mut h = std::hash::DefaultHasher::new();
        key.hash(&mut h);
        h.finish()
    }

    fn pair(unit: &str, account: &str) -> u64 {
        StoredKeys::hash((0u8, unit, account))
    }

    fn amount(account: &str, fen: i64) -> u64 {
        StoredKeys::hash((1u8, account, fen))
    }

    fn invoice(key: &str) -> u64 {
        StoredKeys::hash((2u8, key))
    }

    /// Every stored payment's keys, of every year and status (a superset is all it must be).
    pub async fn load(conn: &mut AnyConnection) -> Result<StoredKeys, ActionError> {
        let mut out = StoredKeys::default();
        out.note_payments(conn, "").await?;
        Ok(out)
    }

    /// Notes the keys of the stored payments of a positive amount that meet `and` (an SQL
    /// condition, or all of them when empty).
    async fn note_payments(&mut self, conn: &mut AnyConnection, and: &str) -> Result<(), ActionError> {
        let sql = format!("SELECT unit_code, payee_account, amount, invoice_key FROM payments WHERE amount > 0{and}");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await?;
        self.keys.reserve(rows.len() * 3);
        for r in rows {
            let (unit, account): (String, String) = (r.try_get(0)?, r.try_get(1)?);
            self.keys.insert(StoredKeys::pair(&unit, &account));
            self.keys.insert(StoredKeys::amount(&account, r.try_get(2)?));
            if let Some(i) = r.try_get::<Option<String>, _>(3)?.filter(|i| !i.is_empty()) {
                self.keys.insert(StoredKeys::invoice(&i));
            }
        }
        Ok(())
    }

    /// Brings the keys, true of the journal at `from` entries, up to date with what other
    /// writers appended up to `size`: the keys of the payments they recorded, read by
    /// voucher. `false` when that is not worth it or not possible (many entries, or personal
    /// data erased, which rewrites accounts): the keys are then read again whole.
    pub async fn catch_up(&mut self, conn: &mut AnyConnection, from: i64, size: i64) -> Result<bool, ActionError> {
        #[derive(serde::Deserialize)]
        struct Key {
            voucher_no: String,
        }
        const ENTRIES_MAX: i64 = 10_000;
        if size - from > ENTRIES_MAX || size < from {
            return Ok(false);
        }
        let rows = sqlx::query("SELECT entry FROM journal WHERE idx >= $1 ORDER BY idx")
            .bind(from)
            .fetch_all(&mut *conn)
            .await?;
        let mut vouchers = Vec::new();
        for r in rows {
            let bytes: Vec<u8> = r.try_get(0)?;
            let Ok(e) = bw_ledger::decode_raw(&bytes) else { return Ok(false) };
            match e.action {
                Action::PaymentRecord => match serde_json::from_str::<Key>(e.data.get()) {
                    Ok(k) => vouchers.push(quote(&k.voucher_no)),
                    Err(_) => return Ok(false),
                },
                Action::PersonalRedact => return Ok(false),
                _ => {}
            }
        }
        for list in vouchers.chunks(500) {
            self.note_payments(conn, &format!(" AND voucher_no IN ({})", list.join(", "))).await?;
        }
        Ok(true)
    }

    /// `scope` with only the groups that may hold stored payments: what an evaluation over it
    /// must read from SQL.
    pub fn to_read(&self, scope: &Scope) -> Scope {
        Scope {
            units: scope.units.clone(),
            vouchers: scope.vouchers.clone(),
            pairs: scope.pairs.iter().filter(|(u, a)| self.keys.contains(&StoredKeys::pair(u, a))).cloned().collect(),
            payee_amounts: scope
                .payee_amounts
                .iter()
                .filter(|(a, m)| self.keys.contains(&StoredKeys::amount(a, *m)))
                .cloned()
                .collect(),
            invoices: scope.invoices.iter().filter(|i| self.keys.contains(&StoredKeys::invoice(i))).cloned().collect(),
            wide: scope.wide,
        }
    }

    /// Notes the groups of a committed batch; `false` when the batch was too wide to list
    /// them (the keys are then no longer a superset and must be read again).
    pub fn add(&mut self, scope: &Scope) -> bool {
        if scope.wide {
            return false;
        }
        self.keys.extend(scope.pairs.iter().map(|(u, a)| StoredKeys::pair(u, a)));
        self.keys.extend(scope.payee_amounts.iter().map(|(a, m)| StoredKeys::amount(a, *m)));
        self.keys.extend(scope.invoices.iter().map(|i| StoredKeys::invoice(i)));
        true
    }
}

/// A string as an SQL literal (quotes doubled).
pub(crate) fn quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

/// One condition per unit on `(unit, voucher)` keys: `unit_col = U AND voucher_col IN (…)`,
/// planned once, where a condition per key made the planner weigh hundreds of terms.
pub(crate) fn vouchers_by_unit<'a>(
    keys: &'a BTreeSet<(String, String)>,
    unit_col: &'a str,
    voucher_col: &'a str,
) -> impl Iterator<Item = String> + 'a {
    let mut units: Vec<(&str, Vec<String>)> = Vec::new();
    for (u, v) in keys {
        match units.last_mut() {
            Some((last, vs)) if *last == u.as_str() => vs.push(quote(v)),
            _ => units.push((u.as_str(), vec![quote(v)])),
        }
    }
    units.into_iter().flat_map(move |(u, vs)| {
        // A few hundred keys a condition.
        let chunks: Vec<String> = vs.chunks(500).map(|c| c.join(", ")).collect();
        chunks.into_iter().map(move |list| format!("({unit_col} = {} AND {voucher_col} IN ({list}))", quote(u)))
    })
}

/// Conditions joined with OR, a hundred at a time: SQLite limits an expression's depth.
pub(crate) fn any_of(conds: impl Iterator<Item = String>) -> Vec<String> {
    let all: Vec<String> = conds.collect();
    all.chunks(100).map(|c| c.join(" OR ")).collect()
}

/// `'a', 'b'`: a list of SQL string literals (quotes doubled), for sets too long to bind
/// one by one under both backends' parameter limits.
pub(crate) fn sql_list<'a>(values: impl IntoIterator<Item = &'a String>) -> String {
    values.into_iter().map(|v| quote(v)).collect::<Vec<_>>().join(", ")
}

/// The day of the last payment of each special fund that may have gone unused long enough
/// for `idle_funds`: only those whose last month with payments began more than the rule's
/// first bound before `as_of` (or whose last such month nets a refund) are looked up.
async fn last_paid(conn: &mut AnyConnection, f: &mut Facts, as_of: Date, t: &Thresholds) -> Result<(), ActionError> {
    let months = t.idle_funds.yellow as i32;
    let mut wanted: Vec<(String, String)> = Vec::new();
    for i in f.indicators.iter().filter(|i| i.special && i.months.iter().sum::<i64>() < i.amount.fen()) {
        let Some(m) = (0..12).rev().find(|&m| i.counts[m] > 0) else { continue };
        let first = Date::from_ymd(f.year, m as u32 + 1, 1).unwrap_or(as_of);
        if as_of > first.add_months(months) || i.months[m] < 0 {
            wanted.push((i.unit_code.clone(), i.code.clone()));
        }
    }
    let mut found: HashMap<String, Date> = HashMap::new();
    for chunk in wanted.chunks(500) {
        let units: Vec<String> =
            chunk.iter().map(|(u, _)| u.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        let codes: Vec<String> = chunk.iter().map(|(_, c)| c.clone()).collect();
        let sql = format!(
            "SELECT indicator_code, MAX(pay_date) FROM payments WHERE year = $1 AND pay_date <= $2 AND status = 'paid' \
             AND amount > 0 AND unit_code IN ({}) AND indicator_code IN ({}) GROUP BY indicator_code",
            sql_list(&units),
            sql_list(&codes)
        );
        for r in sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(i64::from(f.year))
            .bind(as_of.to_string())
            .fetch_all(&mut *conn)
            .await?
        {
            if let Some(d) = r.try_get::<Option<String>, _>(1)? {
                found.insert(r.try_get(0)?, Date::parse(&d).map_err(|e| bad("date", e))?);
            }
        }
    }
    let looked_up: HashSet<&str> = wanted.iter().map(|(_, c)| c.as_str()).collect();
    for i in f.indicators.iter_mut().filter(|i| i.special) {
        // Not looked up: the last month with payments is recent enough; its first day stands
        // in (the rule only asks whether the fund went unused long enough).
        i.last_paid = if looked_up.contains(i.code.as_str()) {
            found.get(&i.code).copied()
        } else {
            (0..12).rev().find(|&m| i.counts[m] > 0).and_then(|m| Date::from_ymd(f.year, m as u32 + 1, 1))
        };
    }
    Ok(())
}

/// A query of `facts` with its binds, and the (unit, voucher) keys its rows must have, if any.
type Wanted<'a> = (String, Vec<String>, Option<&'a BTreeSet<(String, String)>>);

/// A narrow scope's units as an SQL restriction on `col` (nothing without a scope).
fn unit_is(units: Option<&str>, col: &str) -> String {
    match units {
        Some(list) => format!(" AND {col} IN ({list})"),
        None => String::new(),
    }
}

/// The columns a `PaymentFact` is read from.
const PAYMENT_COLUMNS: &str = "p.voucher_no, p.unit_code, p.indicator_code, p.pay_date, p.economic_code, \
                               p.payee_account, p.payee_type, p.amount, p.summary, p.invoice_no, p.contract_no";

/// The facts of `year` as of `as_of`, read from the projections: each indicator's monthly
/// figures from `indicator_months` (the as-of month from its payments when it is not over),
/// and only the payments the rules need — those of the indicators whose findings name
/// vouchers, and the candidates of the payment rules, selected in SQL so a million payments
/// never travel to the application. With a `scope`, only what it touched (and no revenue).
pub async fn facts(
    conn: &mut AnyConnection,
    year: i32,
    as_of: Date,
    t: &Thresholds,
    scope: Option<&Scope>,
    payment_rules: bool,
) -> Result<Facts, ActionError> {
    let mut f = Facts { year, ..Facts::default() };
    let scope = scope.filter(|s| s.narrow());
    let units = scope.map(|s| sql_list(&s.units));
    let units = units.as_deref();
    if !scope.is_some_and(|s| s.units.is_empty()) {
        f.indicators = indicator_facts(conn, year, units).await?;
        month_figures(conn, year, as_of, units, &mut f.indicators).await?;
    }
    last_paid(conn, &mut f, as_of, t).await?;
    // The payments the rules need; held and rejected payments do not count as paid.
    let within = format!("p.year = $1 AND p.pay_date <= $2 AND p.status = 'paid'{}", unit_is(units, "p.unit_code"));
    let mut wanted = voucher_queries(&f, as_of, t, &within);
    if payment_rules {
        match scope {
            // The batch's own payments and every payment of the groups it touched.
            Some(s) => wanted.extend(group_queries(s)),
            None => {
                wanted.extend(candidate_queries(t, &within));
                wanted.push(duplicate_query(&within));
            }
        }
    }
    f.payments = read_payments(conn, year, as_of, wanted).await?;
    if scope.is_none() {
        f.revenues = revenue_facts(conn, year, as_of).await?;
    }
    Ok(f)
}

/// The indicators of `year` (of the scope's units), their monthly figures still zero.
async fn indicator_facts(
    conn: &mut AnyConnection,
    year: i32,
    units: Option<&str>,
) -> Result<Vec<IndicatorFact>, ActionError> {
    let sql = format!(
        "SELECT indicator_code, unit_code, economic_code, amount, special FROM indicators WHERE year = $1{}",
        unit_is(units, "unit_code")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(i64::from(year)).fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(IndicatorFact {
            code: r.try_get(0)?,
            unit_code: r.try_get(1)?,
            economic_code: EconomicCode::parse(&r.try_get::<String, _>(2)?).map_err(|e| bad("economic code", e))?,
            amount: Money::from_fen(r.try_get(3)?),
            special: r.try_get::<i64, _>(4)? != 0,
            months: [0; 12],
            counts: [0; 12],
            last_paid: None,
        });
    }
    Ok(out)
}

/// Each indicator's paid amount and payment count by month as of `as_of`: whole months from
/// the aggregates, a month the as-of date cuts from its payments.
async fn month_figures(
    conn: &mut AnyConnection,
    year: i32,
    as_of: Date,
    units: Option<&str>,
    indicators: &mut [IndicatorFact],
) -> Result<(), ActionError> {
    let whole_through = if as_of.year() > year {
        format!("{year:04}-12")
    } else if as_of == as_of.month_end() {
        as_of.month_key()
    } else {
        Date::from_ymd(year, as_of.month(), 1).map(|d| d.add_days(-1).month_key()).unwrap_or_default()
    };
    let mut months: HashMap<String, ([i64; 12], [u32; 12])> = HashMap::new();
    let restrict = match units {
        Some(_) => format!(
            " AND indicator_code IN (SELECT indicator_code FROM indicators WHERE year = $1{})",
            unit_is(units, "unit_code")
        ),
        None => String::new(),
    };
    let sql = format!(
        "SELECT indicator_code, month, paid, payments FROM indicator_months WHERE year = $1 AND month <= $2{restrict}"
    );
    for r in
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(i64::from(year)).bind(whole_through).fetch_all(&mut *conn).await?
    {
        let month: String = r.try_get(1)?;
        let m: usize = month.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
        let e = months.entry(r.try_get(0)?).or_default();
        e.0[m - 1] += r.try_get::<i64, _>(2)?;
        e.1[m - 1] += r.try_get::<i64, _>(3)? as u32;
    }
    if as_of.year() == year && as_of != as_of.month_end() {
        let start = Date::from_ymd(year, as_of.month(), 1).unwrap_or(as_of);
        let sql = format!(
            "SELECT indicator_code, CAST(SUM(amount) AS BIGINT), CAST(COUNT(*) AS BIGINT) FROM payments \
             WHERE year = $1 AND pay_date >= $2 AND pay_date <= $3 AND status = 'paid'{} GROUP BY indicator_code",
            unit_is(units, "unit_code")
        );
        for r in sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(i64::from(year))
            .bind(start.to_string())
            .bind(as_of.to_string())
            .fetch_all(&mut *conn)
            .await?
        {
            let e = months.entry(r.try_get(0)?).or_default();
            let m = as_of.month() as usize - 1;
            e.0[m] += r.try_get::<i64, _>(1)?;
            e.1[m] += r.try_get::<i64, _>(2)? as u32;
        }
    }
    for i in indicators {
        if let Some((m, c)) = months.get(&i.code) {
            (i.months, i.counts) = (*m, *c);
        }
    }
    Ok(())
}

/// The payments of the indicators whose findings name vouchers, a few hundred indicators a
/// query (with their units, so the (unit, date) index finds the rows).
fn voucher_queries<'a>(f: &Facts, as_of: Date, t: &Thresholds, within: &str) -> Vec<Wanted<'a>> {
    let codes: Vec<String> = bw_rules::voucher_indicators(f, as_of, t).into_iter().collect();
    let unit_of: HashMap<&str, &str> = f.indicators.iter().map(|i| (i.code.as_str(), i.unit_code.as_str())).collect();
    let mut wanted = Vec::new();
    for chunk in codes.chunks(500) {
        let list = (0..chunk.len()).map(|k| format!("${}", k + 3)).collect::<Vec<_>>().join(", ");
        let mut units: Vec<String> =
            chunk.iter().filter_map(|c| unit_of.get(c.as_str())).map(|u| u.to_string()).collect();
        units.sort();
        units.dedup();
        wanted.push((
            format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments p WHERE {within} AND p.unit_code IN ({}) AND p.indicator_code IN ({list})",
                sql_list(&units)
            ),
            chunk.to_vec(),
            None,
        ));
    }
    wanted
}

/// The year-wide candidates of the rules judged on single payments and on (unit, payee)
/// groups: economic codes outside the indicator or prohibited words in the summary, large
/// transfers to individuals, and the pairs that may hold a split purchase.
fn candidate_queries<'a>(t: &Thresholds, within: &str) -> Vec<Wanted<'a>> {
    let terms: Vec<String> = t.prohibited_terms.iter().filter(|w| !w.is_empty()).map(|w| format!("%{w}%")).collect();
    let like = (0..terms.len()).map(|k| format!(" OR p.summary LIKE ${}", k + 3)).collect::<String>();
    let out_of_scope = format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments p JOIN indicators i ON i.year = p.year AND i.indicator_code = p.indicator_code \
         WHERE {within} AND p.amount > 0 AND (substr(p.economic_code, 1, length(i.economic_code)) <> i.economic_code{like})"
    );
    let personal = format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments p WHERE {within} AND p.payee_type = 'individual' AND p.amount >= CAST($3 AS BIGINT) \
         AND p.economic_code NOT LIKE '301%' AND p.economic_code NOT LIKE '303%'"
    );
    // split_purchase: a window of at most 30 days lies within two consecutive months (or
    // January to March), so (unit, account) pairs are candidates only where such months
    // together reach the count and the sum — and, first, only pairs whose whole year does
    // (a grouping without the month, cheaper, that leaves few pairs to group by month).
    // Payments under a contract and recurring services are never split purchases.
    let exempt: String =
        t.split_exempt.iter().map(|c| format!(" AND p.economic_code NOT LIKE {}", quote(&format!("{c}%")))).collect();
    let splittable = format!(
        "{within} AND p.amount > 0 AND p.amount < CAST($3 AS BIGINT) AND (p.contract_no IS NULL OR p.contract_no = ''){exempt}"
    );
    let split = format!(
        "WITH yr AS (SELECT p.unit_code AS u, p.payee_account AS a FROM payments p WHERE {splittable} \
         GROUP BY p.unit_code, p.payee_account HAVING COUNT(*) >= CAST($4 AS BIGINT) AND SUM(p.amount) >= CAST($3 AS BIGINT)), \
         m AS (SELECT p.unit_code AS u, p.payee_account AS a, CAST(substr(p.pay_date, 6, 2) AS INTEGER) AS mo, \
         COUNT(*) AS n, SUM(p.amount) AS s FROM payments p WHERE {splittable} AND (p.unit_code, p.payee_account) IN (SELECT u, a FROM yr) \
         GROUP BY p.unit_code, p.payee_account, CAST(substr(p.pay_date, 6, 2) AS INTEGER)), \
         c AS (SELECT DISTINCT x.u AS u, x.a AS a FROM m x \
         LEFT JOIN m y ON y.u = x.u AND y.a = x.a AND y.mo = x.mo + 1 \
         LEFT JOIN m z ON z.u = x.u AND z.a = x.a AND z.mo = 3 AND x.mo = 1 \
         WHERE x.n + COALESCE(y.n, 0) + COALESCE(z.n, 0) >= CAST($4 AS BIGINT) \
         AND x.s + COALESCE(y.s, 0) + COALESCE(z.s, 0) >= CAST($3 AS BIGINT)) \
         SELECT {PAYMENT_COLUMNS} FROM payments p WHERE {splittable} AND (p.unit_code, p.payee_account) IN (SELECT u, a FROM c)"
    );
    vec![
        (out_of_scope, terms, None),
        (personal, vec![t.personal_limit.fen().to_string()], None),
        (split, vec![t.split_limit.fen().to_string(), t.split_min_payments.to_string()], None),
    ]
}

/// The year's payments that share an invoice, or a payee and an amount, with another: the
/// keys are those held more than once by any stored payments (a superset the rule narrows),
/// found by scanning the two covering indexes rather than grouping the year's rows.
fn duplicate_query<'a>(within: &str) -> Wanted<'a> {
    (
        format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments p WHERE {within} AND p.amount > 0 AND ( \
             p.invoice_key IN (SELECT invoice_key FROM payments WHERE invoice_key IS NOT NULL AND invoice_key <> '' \
              GROUP BY invoice_key HAVING COUNT(*) > 1) \
             OR (p.payee_account, p.amount) IN (SELECT payee_account, amount FROM payments WHERE amount > 0 \
              GROUP BY payee_account, amount HAVING COUNT(*) > 1))"
        ),
        Vec::new(),
        None,
    )
}

/// A batch's own payments, every payment of its (unit, account) pairs, of its (account,
/// amount) pairs and with its invoices: the groups come whole.
fn group_queries(s: &Scope) -> Vec<Wanted<'_>> {
    const PAID: &str = "p.year = $1 AND p.pay_date <= $2 AND p.status = 'paid' AND p.amount > 0";
    let mut wanted = Vec::new();
    // The batch's own payments by voucher number alone, which the key index leads with (a
    // condition on the unit too lets the planner pick the unit's index and read all its
    // payments); rows of other units with those numbers are dropped.
    let numbers: Vec<String> = s.vouchers.iter().map(|(_, v)| quote(v)).collect();
    for list in numbers.chunks(500) {
        wanted.push((
            format!("SELECT {PAYMENT_COLUMNS} FROM payments p WHERE {PAID} AND p.voucher_no IN ({})", list.join(", ")),
            Vec::new(),
            Some(&s.vouchers),
        ));
    }
    let pairs = s.pairs.iter().map(|(u, a)| format!("(p.unit_code = {} AND p.payee_account = {})", quote(u), quote(a)));
    let amounts = s.payee_amounts.iter().map(|(a, m)| format!("(p.payee_account = {} AND p.amount = {m})", quote(a)));
    let invoices = s.invoices.iter().map(|i| format!("p.invoice_key = {}", quote(i)));
    for g in [any_of(pairs), any_of(amounts), any_of(invoices)].concat() {
        wanted.push((format!("SELECT {PAYMENT_COLUMNS} FROM payments p WHERE {PAID} AND ({g})"), Vec::new(), None));
    }
    wanted
}

/// The payments `wanted` selects, each once.
async fn read_payments(
    conn: &mut AnyConnection,
    year: i32,
    as_of: Date,
    wanted: Vec<Wanted<'_>>,
) -> Result<Vec<PaymentFact>, ActionError> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (sql, binds, keys) in wanted {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(i64::from(year)).bind(as_of.to_string());
        for b in binds {
            q = q.bind(b);
        }
        for r in q.fetch_all(&mut *conn).await? {
            let (voucher, unit): (String, String) = (r.try_get(0)?, r.try_get(1)?);
            let key = (unit, voucher);
            if keys.is_some_and(|k| !k.contains(&key)) || !seen.insert(key.clone()) {
                continue;
            }
            let (unit, voucher) = key;
            out.push(PaymentFact {
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
                contract_no: r.try_get(10)?,
            });
        }
    }
    Ok(out)
}

/// Each revenue line's target and its revenue by month up to `as_of` (the as-of month counts
/// to its day), in (region, revenue code) order.
async fn revenue_facts(conn: &mut AnyConnection, year: i32, as_of: Date) -> Result<Vec<RevenueFact>, ActionError> {
    let mut lines: HashMap<(String, String), RevenueFact> = HashMap::new();
    for r in sqlx::query("SELECT region_code, revenue_code, amount FROM revenue_targets WHERE year = $1")
        .bind(i64::from(year))
        .fetch_all(&mut *conn)
        .await?
    {
        let (region, code): (String, String) = (r.try_get(0)?, r.try_get(1)?);
        let target = Money::from_fen(r.try_get(2)?);
        lines.insert(
            (region.clone(), code.clone()),
            RevenueFact { region_code: region, revenue_code: code, target, months: [0; 12] },
        );
    }
    for r in sqlx::query("SELECT region_code, revenue_code, date, amount FROM revenues WHERE year = $1 AND date <= $2")
        .bind(i64::from(year))
        .bind(as_of.to_string())
        .fetch_all(&mut *conn)
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
    Ok(revenues)
}

/// What a check did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct CheckReport {
    pub raised: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Warnings whose explanation or plan was overdue: one level up, a new deadline.
    pub escalated: usize,
    /// Warnings nobody had acted on whose finding is no longer made.
    pub withdrawn: usize,
    /// Graded-response tasks opened.
    pub tasks: usize,
    /// Emergency cases opened.
    pub emergencies: usize,
    /// Risks of the register whose current likelihood the key risk indicators raised.
    pub risks_rerated: usize,
    /// Risks the key risk indicators proposed for a reviewer to adopt.
    pub risks_proposed: usize,
    /// Meetings' agenda packs made (meetings within the set working days).
    pub packs: usize,
    /// Overdue action items escalated one level.
    pub actions_escalated: usize,
    /// Post-incident reviews opened for emergencies closed, red warnings archived and special
    /// audits concluded.
    pub reviews_opened: usize,
}

/// A stored warning as `check` compares and escalates it.
struct Stored {
    id: i64,
    rule: String,
    period: String,
    subject: Subject,
    level: String,
    vouchers: String,
    evidence: String,
    escalations: i64,
    state: String,
    raised_on: String,
    explain_by: String,
    plan_by: String,
}

/// Who records warnings, when and why: the header of each entry but its action.
#[derive(Clone, Copy, Debug)]
pub struct By<'a> {
    pub actor: &'a str,
    pub at: bw_core::Timestamp,
    pub reason: &'a str,
    pub batch: Option<i64>,
}

impl<'a> By<'a> {
    pub(crate) fn header(&self, action: Action) -> bw_ledger::Header<'a> {
        bw_ledger::Header { action, actor: self.actor, at: self.at, reason: self.reason, batch: self.batch }
    }
}

/// A warning a recording raised or changed: what the import's handling acts on.
#[derive(Clone, Debug)]
pub struct Touched {
    pub id: i64,
    pub year: i32,
    pub rule: &'static str,
    pub unit_code: Option<String>,
    pub vouchers: Vec<String>,
    pub level: bw_rules::Level,
}

/// A finding's vouchers and evidence as a warning stores them.
struct Shown {
    /// The vouchers as JSON text.
    vouchers: String,
    evidence: serde_json::Value,
}

/// The year's warnings, loaded once, against which findings are recorded.
struct Recorder {
    year: i32,
    existing: HashMap<String, Stored>,
    explain_by: Date,
    plan_by: Date,
    as_of: Date,
    report: CheckReport,
    /// Graded-response tasks each warning has: (warning, kind).
    tasks: HashSet<(i64, String)>,
    /// Warnings whose level may call for a task not yet opened: (warning, level, subject).
    pending_tasks: Vec<(i64, bw_rules::Level, Subject)>,
    /// Due dates of tasks opened as of the recorder's date: self-check, interview, audit.
    task_due: [Date; 3],
    /// The tasks of each warning: (task, kind, state).
    task_rows: HashMap<i64, Vec<(i64, String, String)>>,
    /// Warnings re-dated (their unfinished tasks open again from the new date) or
    /// withdrawn (their open tasks withdrawn with them).
    task_changes: Vec<(i64, &'static str)>,
}

/// A warning's unit, or the region of a revenue warning.
type Subject = (Option<String>, Option<String>);

/// The party a task of `kind` goes to: the unit (or the region, for revenue) checks itself;
/// finance holds the interview; audit runs the special audit.
fn task_party(kind: &str, subject: &Subject) -> String {
    match (kind, subject) {
        ("self_check", (Some(u), _)) => format!("unit:{u}"),
        ("self_check", (None, Some(r))) => format!("region:{r}"),
        ("special_audit", _) => "audit".into(),
        _ => "finance".into(),
    }
}

/// Warnings in these states are being worked on: a rise of level opens its response task.
fn active(state: &str) -> bool {
    bw_rules::workflow::State::parse(state).is_some_and(|s| s.is_active())
}

impl Recorder {
    async fn load(
        conn: &mut AnyConnection,
        year: i32,
        as_of: Date,
        calendar: &WorkCalendar,
        policies: &Policies,
        only: Option<&[Finding]>,
    ) -> Result<Recorder, ActionError> {
        // Only the warnings of these findings (at payment time), else the whole year's.
        let only = match only {
            Some([]) => " AND 1 = 0".to_string(),
            Some(fs) => format!(" AND w.wkey IN ({})", sql_list(&fs.iter().map(Finding::key).collect::<Vec<_>>())),
            None => String::new(),
        };
        let explain_by = calendar.add_workdays(as_of, EXPLAIN_WORKDAYS).value;
        let plan_by = calendar.add_workdays(explain_by, PLAN_WORKDAYS).value;
        let task_due = [
            explain_by,
            calendar.add_workdays(as_of, policies.interview_workdays).value,
            calendar.add_workdays(as_of, policies.audit_workdays).value,
        ];
        let mut tasks = HashSet::new();
        let mut task_rows: HashMap<i64, Vec<(i64, String, String)>> = HashMap::new();
        for r in sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT t.warning_id, t.kind, t.id, t.state FROM response_tasks t JOIN warnings w ON w.id = t.warning_id \
             WHERE w.year = $1{only} ORDER BY t.id"
        )))
        .bind(i64::from(year))
        .fetch_all(&mut *conn)
        .await?
        {
            let (warning, kind): (i64, String) = (r.try_get(0)?, r.try_get(1)?);
            task_rows.entry(warning).or_default().push((r.try_get(2)?, kind.clone(), r.try_get(3)?));
            tasks.insert((warning, kind));
        }
        let mut existing = HashMap::new();
        for r in sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT wkey, id, level, vouchers, evidence, escalations, state, raised_on, explain_by, plan_by, rule, period, \
             unit_code, region_code FROM warnings w WHERE year = $1{only}"
        )))
        .bind(i64::from(year))
        .fetch_all(&mut *conn)
        .await?
        {
            existing.insert(
                r.try_get(0)?,
                Stored {
                    id: r.try_get(1)?,
                    rule: r.try_get(10)?,
                    period: r.try_get(11)?,
                    subject: (r.try_get(12)?, r.try_get(13)?),
                    level: r.try_get(2)?,
                    vouchers: r.try_get(3)?,
                    evidence: r.try_get(4)?,
                    escalations: r.try_get(5)?,
                    state: r.try_get(6)?,
                    raised_on: r.try_get(7)?,
                    explain_by: r.try_get(8)?,
                    plan_by: r.try_get(9)?,
                },
            );
        }
        Ok(Recorder {
            year,
            existing,
            explain_by,
            plan_by,
            as_of,
            report: CheckReport::default(),
            tasks,
            pending_tasks: Vec::new(),
            task_due,
            task_rows,
            task_changes: Vec::new(),
        })
    }

    /// Records `findings` (those of rules firing at payment time only, with
    /// `payment_time`): a new finding is raised, a changed one updated, the same one left.
    async fn record(
        &mut self,
        tx: &mut bw_store::Tx,
        journal: &mut JournalWriter,
        by: &By<'_>,
        findings: &[Finding],
        policies: &Policies,
        payment_time: bool,
    ) -> Result<Vec<Touched>, ActionError> {
        let mut touched = Vec::new();
        for w in findings.iter().filter(|w| !payment_time || policies.at_payment(w.rule)) {
            let key = w.key();
            let shown = Shown {
                vouchers: serde_json::to_string(&w.vouchers).map_err(|e| ActionError::Invalid(e.to_string()))?,
                evidence: serde_json::to_value(&w.evidence).map_err(|e| ActionError::Invalid(e.to_string()))?,
            };
            if self.existing.contains_key(&key) {
                touched.extend(self.update(tx, journal, by, w, &key, policies, shown).await?);
            } else {
                touched.push(self.raise(tx, journal, by, w, key, policies, shown).await?);
            }
        }
        Ok(touched)
    }

    /// A finding whose warning exists: journaled and written when its level, vouchers or
    /// evidence changed, or its dates must move (reopened, or raised after `as_of`).
    #[allow(clippy::too_many_arguments)] // the open transaction's parts and one finding
    async fn update(
        &mut self,
        tx: &mut bw_store::Tx,
        journal: &mut JournalWriter,
        by: &By<'_>,
        w: &Finding,
        key: &str,
        policies: &Policies,
        shown: Shown,
    ) -> Result<Option<Touched>, ActionError> {
        let Some(s) = self.existing.get_mut(key) else { return Ok(None) };
        let evidence_text = shown.evidence.to_string();
        // An escalated warning keeps its escalations above the finding's level.
        let level = (0..s.escalations).fold(w.level, |l, _| l.raised());
        let untouched = matches!(s.state.as_str(), "open" | "recorded") && s.escalations == 0;
        let reopen = s.state == "withdrawn";
        let redate = reopen || (untouched && Date::parse(&s.raised_on).is_ok_and(|d| d > self.as_of));
        if s.level == level.as_str() && s.vouchers == shown.vouchers && s.evidence == evidence_text && !redate {
            self.report.unchanged += 1;
            return Ok(None);
        }
        let state = reopen.then(|| if policies.handling(w.rule) == "record" { "recorded" } else { "open" });
        let dates = redate.then_some((self.as_of, self.explain_by, self.plan_by));
        let data = warning::Entry::Update(warning::Update {
            id: s.id,
            level: level.as_str().into(),
            vouchers: w.vouchers.clone(),
            evidence: shown.evidence,
            raised_on: dates.map(|d| d.0),
            explain_by: dates.map(|d| d.1),
            plan_by: dates.map(|d| d.2),
            state: state.map(str::to_string),
        });
        // One row write: the finding's figures, and dates or state where they changed.
        write_entry(tx, journal, by, &data).await?;
        if let Some((raised_on, explain_by, plan_by)) = dates {
            (s.raised_on, s.explain_by, s.plan_by) =
                (raised_on.to_string(), explain_by.to_string(), plan_by.to_string());
            self.task_changes.push((s.id, "open"));
        }
        if let Some(state) = state {
            s.state = state.into();
        }
        (s.level, s.vouchers, s.evidence) = (level.as_str().to_string(), shown.vouchers, evidence_text);
        self.report.updated += 1;
        if active(&s.state) {
            self.pending_tasks.push((s.id, level, (w.unit_code.clone(), w.region_code.clone())));
        }
        Ok(Some(Touched {
            id: s.id,
            year: self.year,
            rule: w.rule,
            unit_code: w.unit_code.clone(),
            vouchers: w.vouchers.clone(),
            level,
        }))
    }

    /// A finding with no warning yet: raised (journaled, its row inserted), `recorded` for a
    /// rule handled `record`, else open with its response tasks to come.
    #[allow(clippy::too_many_arguments)] // the open transaction's parts and one finding
    async fn raise(
        &mut self,
        tx: &mut bw_store::Tx,
        journal: &mut JournalWriter,
        by: &By<'_>,
        w: &Finding,
        key: String,
        policies: &Policies,
        shown: Shown,
    ) -> Result<Touched, ActionError> {
        let state = if policies.handling(w.rule) == "record" { "recorded" } else { "open" };
        let evidence = shown.evidence.to_string();
        let data = warning::Entry::Raise(warning::Raise {
            key: key.clone(),
            year: self.year,
            rule: w.rule.into(),
            level: w.level.as_str().into(),
            unit_code: w.unit_code.clone(),
            indicator_code: w.indicator_code.clone(),
            region_code: w.region_code.clone(),
            revenue_code: w.revenue_code.clone(),
            period: w.period.clone(),
            vouchers: w.vouchers.clone(),
            evidence: shown.evidence,
            raised_on: self.as_of,
            explain_by: self.explain_by,
            plan_by: self.plan_by,
            state: state.into(),
        });
        let idx = write_entry(tx, journal, by, &data).await?;
        let stored = Stored {
            id: idx,
            rule: w.rule.into(),
            period: w.period.clone(),
            subject: (w.unit_code.clone(), w.region_code.clone()),
            level: w.level.as_str().into(),
            vouchers: shown.vouchers,
            evidence,
            escalations: 0,
            state: state.into(),
            raised_on: self.as_of.to_string(),
            explain_by: self.explain_by.to_string(),
            plan_by: self.plan_by.to_string(),
        };
        self.existing.insert(key, stored);
        self.report.raised += 1;
        if state == "open" {
            self.pending_tasks.push((idx, w.level, (w.unit_code.clone(), w.region_code.clone())));
        }
        Ok(Touched {
            id: idx,
            year: self.year,
            rule: w.rule,
            unit_code: w.unit_code.clone(),
            vouchers: w.vouchers.clone(),
            level: w.level,
        })
    }

    /// Warnings nobody has acted on (open or recorded, never escalated) whose finding a
    /// full check no longer makes — the condition cleared, or a check as of an earlier day
    /// does not see it yet — are withdrawn (撤销), journaled; a later finding reopens them.
    async fn withdraw(
        &mut self,
        tx: &mut bw_store::Tx,
        journal: &mut JournalWriter,
        by: &By<'_>,
        findings: &[Finding],
        mine: &dyn Fn(&str) -> bool,
    ) -> Result<(), ActionError> {
        let report = &mut self.report;
        let found: HashSet<String> = findings.iter().map(Finding::key).collect();
        // behind_schedule measures the last month-end only: an earlier month's warning is
        // not re-measured, so not withdrawn.
        let measured = format!("{:04}-{:02}", self.year, bw_rules::completed_months(self.year, self.as_of));
        let mut gone: Vec<(&String, &mut Stored)> = self
            .existing
            .iter_mut()
            .filter(|(k, s)| {
                matches!(s.state.as_str(), "open" | "recorded")
                    && s.escalations == 0
                    && mine(&s.rule)
                    && !found.contains(*k)
                    && !(s.rule == "behind_schedule" && s.period < measured)
            })
            .collect();
        gone.sort_by_key(|(_, s)| s.id);
        for (_, s) in gone {
            let data =
                warning::Entry::Withdraw(warning::Withdraw { id: s.id, from: s.state.clone(), as_of: self.as_of });
            write_entry(tx, journal, by, &data).await?;
            s.state = "withdrawn".into();
            self.task_changes.push((s.id, "withdrawn"));
            report.withdrawn += 1;
        }
        Ok(())
    }

    /// Opens the graded-response task each changed warning's level calls for, unless the
    /// warning has had one of that kind: journaled `task.open`.
    async fn open_tasks(
        &mut self,
        tx: &mut bw_store::Tx,
        journal: &mut JournalWriter,
        by: &By<'_>,
    ) -> Result<(), ActionError> {
        for (warning, to) in std::mem::take(&mut self.task_changes) {
            for (id, kind, state) in self.task_rows.get_mut(&warning).into_iter().flatten() {
                let from_ok = if to == "open" { state == "open" || state == "withdrawn" } else { state == "open" };
                if !from_ok {
                    continue;
                }
                let due = match kind.as_str() {
                    "self_check" => self.task_due[0],
                    "interview" => self.task_due[1],
                    _ => self.task_due[2],
                };
                let reopen = to == "open";
                let data = warning::Entry::TaskUpdate(warning::TaskUpdate {
                    id: *id,
                    state: to.into(),
                    opened_on: reopen.then_some(self.as_of),
                    due_on: reopen.then_some(due),
                });
                write_entry(tx, journal, by, &data).await?;
                *state = to.to_string();
            }
        }
        for (id, level, subject) in std::mem::take(&mut self.pending_tasks) {
            let (kind, due) = match level {
                bw_rules::Level::Yellow => ("self_check", self.task_due[0]),
                bw_rules::Level::Orange => ("interview", self.task_due[1]),
                bw_rules::Level::Red => ("special_audit", self.task_due[2]),
                bw_rules::Level::Blue => continue,
            };
            if !self.tasks.insert((id, kind.to_string())) {
                continue;
            }
            let party = task_party(kind, &subject);
            let data = warning::Entry::TaskOpen(warning::TaskOpen {
                warning_id: id,
                kind: kind.into(),
                party,
                opened_on: self.as_of,
                due_on: due,
            });
            let idx = write_entry(tx, journal, by, &data).await?;
            self.report.tasks += 1;
            self.task_rows.entry(id).or_default().push((idx, kind.to_string(), "open".into()));
        }
        Ok(())
    }

    /// Overdue steps as of the recorder's date: the level goes up one and the step gets a
    /// new deadline.
    async fn escalate(
        &mut self,
        tx: &mut bw_store::Tx,
        journal: &mut JournalWriter,
        by: &By<'_>,
        calendar: &WorkCalendar,
    ) -> Result<(), ActionError> {
        let report = &mut self.report;
        let as_of = self.as_of;
        let mut overdue: Vec<&Stored> = self
            .existing
            .values()
            .filter(|s| {
                let late = |d: &str| Date::parse(d).is_ok_and(|d| d < as_of);
                match bw_rules::workflow::State::parse(&s.state) {
                    Some(st) if st.explanation_due() => late(&s.explain_by),
                    Some(bw_rules::workflow::State::RectificationRequired) => late(&s.plan_by),
                    _ => false,
                }
            })
            .collect();
        overdue.sort_by_key(|s| s.id);
        for s in overdue {
            let from = bw_rules::Level::parse(&s.level).unwrap_or(bw_rules::Level::Yellow);
            let to = from.raised();
            let plan_step = s.state == "rectification_required";
            let parse = |d: &str| Date::parse(d).map_err(|e| bad("deadline", e));
            let (mut explain_by, mut plan_by) = (parse(&s.explain_by)?, parse(&s.plan_by)?);
            if plan_step {
                plan_by = calendar.add_workdays(as_of, PLAN_WORKDAYS).value;
            } else {
                explain_by = calendar.add_workdays(as_of, EXPLAIN_WORKDAYS).value;
            }
            let data = warning::Entry::Escalate(warning::Escalate {
                id: s.id,
                overdue: if plan_step { "plan" } else { "explanation" }.into(),
                from: from.as_str().into(),
                level: to.as_str().into(),
                escalations: s.escalations + 1,
                explain_by,
                plan_by,
            });
            write_entry(tx, journal, by, &data).await?;
            report.escalated += 1;
            self.pending_tasks.push((s.id, to, s.subject.clone()));
        }
        Ok(())
    }
}

/// What the twelve rules find as of `as_of`, from a fresh evaluation; nothing is written.
pub async fn evaluate_as_of(store: &Store, as_of: Date) -> Result<Vec<Finding>, ActionError> {
    let year = as_of.year();
    let t = thresholds(store, year).await?;
    let mut conn = store.pool().acquire().await?;
    let facts = facts(&mut conn, year, as_of, &t, None, true).await?;
    Ok(bw_rules::evaluate(as_of, &facts, &t))
}

/// The warnings raised outside the twelve rules (by the register, the milestones, the
/// matters) and the marks the risk score shows: (id, name). One list every reader names
/// them from.
pub const OTHER_WARNINGS: [(&str, &str); 4] = [
    bw_core::risk::REVIEW_OVERDUE,
    bw_core::milestone::OVERDUE,
    bw_core::matter::WRITTEN_LATE,
    crate::audit::REPEAT_CAUSE,
];

/// The Chinese name of a warning raised outside the twelve rules.
pub fn other_warning_name(rule: &str) -> Option<&'static str> {
    OTHER_WARNINGS.iter().find(|(id, _)| *id == rule).map(|(_, zh)| *zh)
}

/// Evaluates every rule as of `as_of`, records the findings, escalates overdue steps and
/// opens the emergency cases the warnings call for; returns what changed.
pub async fn check(store: &Store, ctx: &Ctx, as_of: Date) -> Result<CheckReport, ActionError> {
    let mut report = record(store, ctx, as_of).await?;
    (report.risks_rerated, report.risks_proposed) = crate::risk::key_indicators(store, ctx, as_of).await?;
    (report.packs, report.actions_escalated) =
        crate::meetings::daily(store, ctx, as_of).await.map_err(|e| match e {
            crate::meetings::TakeError::Action(a) => a,
            refused => ActionError::Invalid(refused.to_string()),
        })?;
    for extra in [
        crate::risk::review_warnings(store, ctx, as_of).await?,
        crate::milestones::due_warnings(store, ctx, as_of).await?,
        crate::matters::late_warnings(store, ctx, as_of).await?,
    ] {
        report.raised += extra.raised;
        report.updated += extra.updated;
        report.withdrawn += extra.withdrawn;
        report.tasks += extra.tasks;
    }
    Ok(report)
}

async fn record(store: &Store, ctx: &Ctx, as_of: Date) -> Result<CheckReport, ActionError> {
    let year = as_of.year();
    let t = thresholds(store, year).await?;
    let policies = Policies::load(store, year).await?;
    let calendar = crate::calendar::load(store).await?;
    let (mut tx, size) = store.begin_write().await?;
    // The payment rules' findings come from the cache when it is whole for these thresholds
    // and covers every payment the check counts.
    let cache = crate::findings::state(&mut tx, year).await?;
    let fingerprint = crate::findings::fingerprint(&t);
    let fast = cache.is_some_and(|(f, through)| f == fingerprint && as_of >= through);
    let mut cache_rebuilt = false;
    let facts = facts(&mut tx, year, as_of, &t, None, !fast).await?;
    let mut findings = bw_rules::evaluate(as_of, &facts, &t);
    if fast {
        findings.retain(|f| !crate::findings::is_payment_rule(f.rule));
        findings.extend(crate::findings::cached(&mut tx, year).await?);
        findings.sort_by_key(Finding::key);
    } else {
        let latest = crate::findings::latest_payment(&mut tx, year).await?;
        let through = latest.unwrap_or(as_of).min(as_of);
        if latest.is_none_or(|l| l <= as_of) {
            crate::findings::rewrite(&mut tx, year, &t, &findings, through).await?;
            cache_rebuilt = true;
        }
    }
    let mut recorder = Recorder::load(&mut tx, year, as_of, &calendar, &policies, None).await?;
    let mut journal = JournalWriter::new(size, store, ctx.at);
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("check as of {as_of}"));
    let by = By { actor: &ctx.actor, at: ctx.at, reason: &reason, batch: None };
    recorder.record(&mut tx, &mut journal, &by, &findings, &policies, false).await?;
    // A check withdraws only the rules' warnings; the audit's are the audit's to withdraw.
    recorder.withdraw(&mut tx, &mut journal, &by, &findings, &|r| bw_rules::Rule::parse(r).is_some()).await?;
    recorder.escalate(&mut tx, &mut journal, &by, &calendar).await?;
    recorder.open_tasks(&mut tx, &mut journal, &by).await?;
    let mut report = recorder.report;
    // The emergency cases the warnings call for are committed with them: a crash after the
    // commit cannot lose them.
    report.emergencies = crate::emergency::open_for_warnings_in(&mut tx, &mut journal, &by).await?;
    if report.raised + report.updated + report.escalated + report.withdrawn + report.emergencies == 0 {
        // Nothing to journal; only a rebuilt cache is kept.
        if cache_rebuilt {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        return Ok(report);
    }
    journal.finish(&mut tx).await?;
    tx.commit().await?;
    Ok(report)
}

/// Records findings made outside the rules (the audit's) as warnings in the same inbox, with
/// the same loop, deadlines and response tasks: new ones raised, changed ones updated, and
/// the untouched warnings of the `mine` rules that are no longer found withdrawn.
pub async fn record_findings(
    store: &Store,
    ctx: &Ctx,
    as_of: Date,
    findings: &[Finding],
    mine: &dyn Fn(&str) -> bool,
) -> Result<CheckReport, ActionError> {
    let year = as_of.year();
    let policies = Policies::load(store, year).await?;
    let calendar = crate::calendar::load(store).await?;
    let (mut tx, size) = store.begin_write().await?;
    let mut recorder = Recorder::load(&mut tx, year, as_of, &calendar, &policies, None).await?;
    let mut journal = JournalWriter::new(size, store, ctx.at);
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("audit as of {as_of}"));
    let by = By { actor: &ctx.actor, at: ctx.at, reason: &reason, batch: None };
    recorder.record(&mut tx, &mut journal, &by, findings, &policies, false).await?;
    recorder.withdraw(&mut tx, &mut journal, &by, findings, mine).await?;
    recorder.open_tasks(&mut tx, &mut journal, &by).await?;
    let report = recorder.report;
    if report.raised + report.updated + report.withdrawn == 0 {
        tx.rollback().await?;
        return Ok(report);
    }
    journal.finish(&mut tx).await?;
    tx.commit().await?;
    Ok(report)
}

/// What landed in one import of payments, for the rules that fire at payment time.
#[derive(Debug, Default)]
pub struct Landed {
    pub scope: Scope,
    /// Per fiscal year, the latest payment date in the batch.
    pub years: BTreeMap<i32, Date>,
}

impl Landed {
    /// Notes one payment of the batch.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        year: i32,
        unit: &str,
        voucher: &str,
        account: &str,
        amount: i64,
        invoice: Option<&str>,
        date: Date,
    ) {
        let d = self.years.entry(year).or_insert(date);
        *d = (*d).max(date);
        let sc = &mut self.scope;
        if !sc.units.contains(unit) {
            sc.units.insert(unit.to_string());
        }
        if sc.wide {
            return;
        }
        if sc.vouchers.len() >= Scope::MAX_PAYMENTS {
            // Too many to list: forget the lists, read everything.
            (sc.vouchers, sc.pairs, sc.payee_amounts, sc.invoices) = Default::default();
            sc.wide = true;
            return;
        }
        sc.vouchers.insert((unit.to_string(), voucher.to_string()));
        sc.pairs.insert((unit.to_string(), account.to_string()));
        sc.payee_amounts.insert((account.to_string(), amount));
        // Invoices are compared by their key, as the rule groups them.
        if let Some(i) = invoice.map(str::trim).filter(|i| !i.is_empty()) {
            sc.invoices.insert(bw_core::ident::key(i).into_owned());
        }
    }
}

/// The date payment-time rules are evaluated as of for the payments of `year` landing
/// `today`: today, within the year (a past year's payments are judged as of its last day);
/// a file with payments dated after today — a plan or a simulation, not payments made — as
/// of the year's last day.
pub fn landing_date(year: i32, latest: Date, today: Date) -> Date {
    let end = Date::from_ymd(year, 12, 31).unwrap_or(latest);
    if latest > today { end } else { today.min(end) }
}

/// Incremental evaluation (事中): after a batch of payments lands, inside its transaction,
/// the rules firing at payment time are evaluated over what the batch touched and their
/// findings recorded like a check's. Returns the warnings raised or changed.
#[allow(clippy::too_many_arguments)] // the open transaction's parts, the batch, the rules' settings
pub async fn on_payments(
    tx: &mut bw_store::Tx,
    journal: &mut JournalWriter,
    by: &By<'_>,
    landed: &Landed,
    today: Date,
    prepared: &HashMap<i32, (Thresholds, Policies)>,
    calendar: &WorkCalendar,
    stored: Option<&StoredKeys>,
) -> Result<Vec<Touched>, ActionError> {
    let mut touched = Vec::new();
    // The groups to read: those that may hold stored payments.
    let to_read = stored.map(|k| k.to_read(&landed.scope));
    let read = to_read.as_ref().unwrap_or(&landed.scope);
    for (&year, &latest) in &landed.years {
        let Some((t, policies)) = prepared.get(&year) else { continue };
        if !bw_rules::Rule::ALL.iter().any(|r| policies.at_payment(r.id())) {
            continue;
        }
        let as_of = landing_date(year, latest, today);
        let facts = facts(&mut *tx, year, as_of, t, Some(read), true).await?;
        let mut findings = bw_rules::evaluate(as_of, &facts, t);
        // Keep the cache of payment-rule findings whole, or give it up.
        let cache = crate::findings::state(&mut *tx, year).await?;
        let fingerprint = crate::findings::fingerprint(t);
        if landed.scope.narrow() {
            findings.retain(|f| landed.scope.covers(f));
            match cache {
                Some((f, through)) if f == fingerprint && as_of >= through => {
                    let through = through.max(latest);
                    crate::findings::update(&mut *tx, year, t, read, &findings, through).await?
                }
                Some(_) => crate::findings::invalidate(&mut *tx, Some(year)).await?,
                None => {}
            }
        } else {
            match crate::findings::latest_payment(&mut *tx, year).await? {
                Some(l) if l <= as_of => crate::findings::rewrite(&mut *tx, year, t, &findings, l).await?,
                _ => crate::findings::invalidate(&mut *tx, Some(year)).await?,
            }
        }
        findings.retain(|f| policies.at_payment(f.rule));
        let mut recorder = Recorder::load(&mut *tx, year, as_of, calendar, policies, Some(&findings)).await?;
        touched.extend(recorder.record(tx, journal, by, &findings, policies, true).await?);
        recorder.open_tasks(tx, journal, by).await?;
    }
    Ok(touched)
}

/// The thresholds and policies of each year an import touches.
pub async fn prepare(
    store: &Store,
    years: impl IntoIterator<Item = i32>,
) -> Result<HashMap<i32, (Thresholds, Policies)>, ActionError> {
    let mut out = HashMap::new();
    for y in years {
        out.insert(y, (thresholds(store, y).await?, Policies::load(store, y).await?));
    }
    Ok(out)
}

/// Writes the rows of an entry of a warning's life (or an emergency case) journaled at `idx`
/// by `ctx`, in the transaction that journals it.
pub(crate) async fn write_rows(
    tx: &mut bw_store::Tx,
    data: &warning::Entry,
    idx: i64,
    ctx: &Ctx,
) -> Result<(), ActionError> {
    let at = ctx.at.to_string();
    let rows = warning::project(data, warning::Meta { idx, actor: &ctx.actor, at: &at });
    Ok(bw_store::changes::apply(tx, &rows).await?)
}

/// Journals one entry of a warning's life in the open transaction and writes the rows its
/// projection gives (the rows `verify` rebuilds from it); its journal index.
async fn write_entry(
    tx: &mut bw_store::Tx,
    journal: &mut JournalWriter,
    by: &By<'_>,
    data: &warning::Entry,
) -> Result<i64, ActionError> {
    let bytes = bw_ledger::encode(&by.header(data.action()), data).map_err(|e| ActionError::Invalid(e.to_string()))?;
    let idx = journal.append(bytes);
    let at = by.at.to_string();
    bw_store::changes::apply(tx, &warning::project(data, warning::Meta { idx, actor: by.actor, at: &at })).await?;
    Ok(idx)
}

/// Warnings of `year` (all years when `None`) not yet archived, closed or dismissed, most
/// severe first.
pub async fn open_warnings(store: &Store, year: Option<i32>) -> Result<Vec<Warning>, ActionError> {
    let open = "state NOT IN ('archived', 'closed', 'dismissed', 'withdrawn')";
    match year {
        Some(y) => warnings(store, &format!("{open} AND year = $1"), Some(i64::from(y))).await,
        None => warnings(store, open, None).await,
    }
}

/// A graded-response task as listed.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Task {
    pub id: i64,
    pub warning_id: i64,
    pub kind: String,
    pub party: String,
    pub opened_on: String,
    pub due_on: String,
    pub state: String,
    /// Still open after its due date.
    pub overdue: bool,
    pub done_by: Option<String>,
    pub done_at: Option<String>,
    pub note: Option<String>,
}

/// Graded-response tasks, oldest first: open ones (all with `all`), of one party if given.
pub async fn tasks(store: &Store, party: Option<&str>, all: bool, today: Date) -> Result<Vec<Task>, ActionError> {
    let rows = sqlx::query(
        "SELECT id, warning_id, kind, party, opened_on, due_on, state, done_by, done_at, note FROM response_tasks ORDER BY id",
    )
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let t = Task {
            id: r.try_get(0)?,
            warning_id: r.try_get(1)?,
            kind: r.try_get(2)?,
            party: r.try_get(3)?,
            opened_on: r.try_get(4)?,
            due_on: r.try_get(5)?,
            state: r.try_get(6)?,
            overdue: false,
            done_by: r.try_get(7)?,
            done_at: r.try_get(8)?,
            note: r.try_get(9)?,
        };
        if (!all && t.state != "open") || party.is_some_and(|p| p != t.party) {
            continue;
        }
        let overdue = t.state == "open" && Date::parse(&t.due_on).is_ok_and(|d| d < today);
        out.push(Task { overdue, ..t });
    }
    Ok(out)
}

/// Records a graded-response task as done (the self-check finished, the interview held, the
/// audit reported) by `ctx.actor`, journaled.
pub async fn task_done(store: &Store, ctx: &Ctx, id: i64, note: &str) -> Result<(), ActionError> {
    if note.trim().is_empty() {
        return Err(ActionError::Invalid("a finished task says what was done (--text)".into()));
    }
    let state: Option<String> = sqlx::query("SELECT state FROM response_tasks WHERE id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
    match state.as_deref() {
        None => return Err(ActionError::Invalid(format!("no task {id}"))),
        Some("open") => {}
        Some(s) => return Err(ActionError::Invalid(format!("task {id} is {s}"))),
    }
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("task {id} done"));
    let data = warning::Entry::TaskDone(warning::TaskDone { id, note: note.to_string() });
    crate::journal::act(store, ctx, Action::TaskDone, &reason, &data, async |tx, idx| {
        write_rows(tx, &data, idx, ctx).await
    })
    .await?;
    Ok(())
}

/// One warning, in any state.
pub async fn warning(store: &Store, id: i64) -> Result<Option<Warning>, ActionError> {
    Ok(warnings(store, "id = $1", Some(id)).await?.pop())
}

/// The warnings `filter` (SQL with at most the parameter `$1`, bound to `arg`) selects.
async fn warnings(store: &Store, filter: &str, arg: Option<i64>) -> Result<Vec<Warning>, ActionError> {
    let sql = format!(
        "SELECT w.id, w.rule, w.level, w.unit_code, w.indicator_code, w.region_code, w.revenue_code, w.period, w.vouchers, \
         w.evidence, w.raised_on, w.explain_by, w.plan_by, w.state, u.department_code, u.region_code, w.year \
         FROM warnings w LEFT JOIN units u ON u.code = w.unit_code WHERE {filter} ORDER BY w.id"
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
            year: i32::try_from(r.try_get::<i64, _>(16)?).map_err(|e| bad("year", e))?,
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
            parties: Vec::new(),
        });
        let (department, unit_region): (Option<String>, Option<String>) = (r.try_get(14)?, r.try_get(15)?);
        let w = out.last_mut().ok_or_else(|| bad("warning", "none"))?;
        w.parties = parties(w, department.as_deref(), unit_region.as_deref());
        let subject = match (&w.indicator_code, &w.unit_code, &w.region_code, &w.revenue_code) {
            (Some(i), _, _, _) if !matches!(w.rule.as_str(), "split_purchase" | "sangong_over") => i.clone(),
            (_, Some(u), _, _) => u.clone(),
            (_, _, Some(r), Some(c)) => format!("{r}/{c}"),
            _ => String::new(),
        };
        w.response = response(&w.level).to_string();
        if let Some(rule) = bw_rules::Rule::parse(&w.rule) {
            w.suggestion = bw_rules::suggestion(rule, &subject, &w.evidence);
        } else if w.rule == bw_core::risk::REVIEW_OVERDUE.0 {
            let title = w.evidence.get("risk_title").and_then(|v| v.as_str()).unwrap_or("");
            let due = w.evidence.get("review_due").and_then(|v| v.as_str()).unwrap_or("");
            w.suggestion = format!(
                "风险“{title}”应于 {due} 复核而未复核：请风险责任人立即复核，更新当前评级、应对措施及其进展，并在风险清单中登记复核意见。"
            );
        } else if w.rule == bw_core::matter::WRITTEN_LATE.0 {
            let text =
                |k: &str| w.evidence.get(k).map(|v| v.to_string().trim_matches('"').to_string()).unwrap_or_default();
            w.suggestion = format!(
                "重大事项“{}”经绿色通道口头报告后，书面报告应于 {} 前补交而未交：请报告单位立即补交标准报告单（背景、财务影响、备选方案），并说明逾期原因。",
                text("matter_title"),
                text("written_due")
            );
        } else if w.rule == bw_core::milestone::OVERDUE.0 {
            let text =
                |k: &str| w.evidence.get(k).map(|v| v.to_string().trim_matches('"').to_string()).unwrap_or_default();
            w.suggestion = format!(
                "合同 {} 的里程碑 {}（{}）应于 {} 完成验收而未验收：请项目单位提交完成证明，验收人员按验收标准出具签名意见；逾期不会自动放款，未验收部分的付款继续暂停。",
                text("contract_no"),
                text("milestone"),
                text("milestone_name"),
                text("due_date")
            );
        } else {
            let test = bw_audit::Finding::zh(&w.rule);
            w.suggestion = format!(
                "{subject}：审计分析发现“{test}”，请逐笔核实所列凭证，说明业务真实性并提交合同、发票等佐证材料；确属违规的，追回资金并整改。"
            );
        }
    }
    let rank = |l: &str| bw_rules::Level::parse(l).map(|l| l as u8).unwrap_or(0);
    out.sort_by(|a, b| rank(&b.level).cmp(&rank(&a.level)).then(a.rule.cmp(&b.rule)).then(a.id.cmp(&b.id)));
    Ok(out)
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
    use bw_rules::workflow::{Judgement, State, Step, next_for};
    let row =
        sqlx::query("SELECT state, explain_by, plan_by, rule, year, unit_code, vouchers FROM warnings WHERE id = $1")
            .bind(id)
            .fetch_optional(store.pool())
            .await?
            .ok_or_else(|| ActionError::Invalid(format!("no warning {id}")))?;
    let (state, explain_by, plan_by): (String, String, String) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    let parse = |d: &str| Date::parse(d).map_err(|e| bad("deadline", e));
    let (mut explain_by, mut plan_by) = (parse(&explain_by)?, parse(&plan_by)?);
    let (rule, year): (String, i64) = (row.try_get(3)?, row.try_get(4)?);
    let (unit, vouchers): (Option<String>, String) = (row.try_get(5)?, row.try_get(6)?);
    let from = State::parse(&state).ok_or_else(|| bad("state", &state))?;
    let to = next_for(from, step, unit.is_some()).map_err(ActionError::Invalid)?;
    if step == Step::Explain && attachments.is_empty() {
        let handling = crate::settings::get_for_year(store, &format!("rules.{rule}.handling"), year as i32).await?;
        if handling == "warn_attach" {
            return Err(ActionError::Invalid(format!(
                "rule {rule} is handled warn_attach: the explanation needs an attachment (a scan or PDF of the supporting document)"
            )));
        }
    }
    let needs_note = matches!(step, Step::Explain | Step::Plan | Step::Rectify | Step::Dismiss);
    if needs_note && note.trim().is_empty() {
        return Err(ActionError::Invalid(format!("{} needs a text", step.name())));
    }
    if returned.fen() < 0 || (returned.fen() > 0 && step != Step::Rectify) {
        return Err(ActionError::Invalid(
            "money returned (退回金额) is recorded with rectify, and is not negative".into(),
        ));
    }
    // No more can come back than the warning's payments paid out.
    if returned.fen() > 0
        && let Some(unit) = &unit
    {
        let list: Vec<String> = serde_json::from_str(&vouchers).unwrap_or_default();
        if !list.is_empty() {
            let marks: Vec<String> = (0..list.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payments WHERE unit_code = $1 AND voucher_no IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(unit.clone());
            for v in &list {
                q = q.bind(v.clone());
            }
            let paid: i64 = q.fetch_one(store.pool()).await?.try_get(0)?;
            if returned.fen() > paid {
                return Err(ActionError::Invalid(format!(
                    "money returned (退回金额) {returned} is more than the {} the warning's payments paid",
                    Money::from_fen(paid)
                )));
            }
        }
    }
    let today = ctx.today;
    let calendar = crate::calendar::load(store).await?;
    match step {
        Step::Judge(Judgement::Return) => explain_by = calendar.add_workdays(today, EXPLAIN_WORKDAYS).value,
        Step::Judge(Judgement::Violation) | Step::Verify { passed: false } => {
            plan_by = calendar.add_workdays(today, PLAN_WORKDAYS).value
        }
        _ => {}
    }
    let data = warning::Entry::Step(warning::Step {
        id,
        step: step.name().into(),
        from: from.as_str().into(),
        to: to.as_str().into(),
        note: note.to_string(),
        attachments: attachments.to_vec(),
        returned,
        explain_by,
        plan_by,
    });
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("warning {id}: {}", step.name()));
    crate::journal::act(store, ctx, Action::WarningStep, &reason, &data, async |tx, idx| {
        write_rows(tx, &data, idx, ctx).await
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

/// Sends an inquiry letter (问询单) on warning `id`, due in `workdays` working days.
pub async fn inquire(store: &Store, ctx: &Ctx, id: i64, question: &str, workdays: u32) -> Result<i64, ActionError> {
    if question.trim().is_empty() {
        return Err(ActionError::Invalid("an inquiry needs its question (--text)".into()));
    }
    if warning(store, id).await?.is_none() {
        return Err(ActionError::Invalid(format!("no warning {id}")));
    }
    let calendar = crate::calendar::load(store).await?;
    let due = calendar.add_workdays(ctx.today, workdays).value;
    let data =
        warning::Entry::InquirySend(warning::InquirySend { warning_id: id, question: question.into(), due_on: due });
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("inquiry on warning {id}"));
    crate::journal::act(store, ctx, Action::InquirySend, &reason, &data, async |tx, idx| {
        write_rows(tx, &data, idx, ctx).await
    })
    .await
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
    let data = warning::Entry::InquiryAnswer(warning::InquiryAnswer { inquiry, answer: text.into() });
    crate::journal::act(store, ctx, Action::InquiryAnswer, &reason, &data, async |tx, idx| {
        write_rows(tx, &data, idx, ctx).await
    })
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
    let t = thresholds(store, year).await?;
    let as_of = Date::from_ymd(year, 12, 31).ok_or_else(|| ActionError::Invalid(format!("no year {year}")))?;
    let mut conn = store.pool().acquire().await?;
    let facts = facts(&mut conn, year, as_of, &t, None, true).await?;
    Ok(bw_rules::calibrate(&facts, as_of, &t))
}
