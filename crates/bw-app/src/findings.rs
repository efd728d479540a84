//! The findings of the rules judged on payments themselves — `out_of_scope`,
//! `personal_account`, `split_purchase`, `duplicate_payment` — over a year's payments, kept
//! as payments land (see `monitor::on_payments`), so that a check as of a day after the last
//! payment reads them instead of every payment. A cache, not a record: it is rebuilt by a
//! full evaluation whenever the thresholds it was computed with change or a held payment
//! leaves it behind, and a check as of an earlier day never uses it.

use crate::journal::ActionError;
use crate::monitor::Scope;
use bw_core::Date;
use bw_rules::{Finding, Thresholds};
use bw_store::sqlx::{self, AnyConnection, Row};

/// The rules whose findings are cached.
pub const PAYMENT_RULES: [&str; 4] = ["out_of_scope", "personal_account", "split_purchase", "duplicate_payment"];

pub fn is_payment_rule(rule: &str) -> bool {
    PAYMENT_RULES.contains(&rule)
}

/// The thresholds the cached findings depend on.
pub fn fingerprint(t: &Thresholds) -> String {
    format!(
        "{}|{}|{}|{}|{}|{}|{}",
        t.prohibited_terms.join(","),
        t.split_min_payments,
        t.split_limit.fen(),
        t.split_days,
        t.split_exempt.join(","),
        t.duplicate_days,
        t.personal_limit.fen()
    )
}

/// What a cached finding is filed under.
#[derive(Clone, Debug, Default)]
pub(crate) struct Filed {
    pub unit: Option<String>,
    pub account: Option<String>,
    pub invoice: Option<String>,
    /// In fen: duplicates by account and amount.
    pub amount: Option<i64>,
    /// The payment of a finding about one payment.
    pub voucher: Option<String>,
}

/// A finding's unit and voucher (one payment), unit and account (split purchases), invoice
/// or account and amount (duplicates).
pub(crate) fn filed_under(f: &Finding) -> Filed {
    let text = |k: &str| f.evidence.get(k).and_then(|v| v.as_str()).map(str::to_string);
    match f.rule {
        "split_purchase" => Filed { unit: f.unit_code.clone(), account: text("payee_account"), ..Filed::default() },
        "duplicate_payment" => match text("invoice_no") {
            Some(i) => Filed { invoice: Some(bw_core::ident::key(&i).into_owned()), ..Filed::default() },
            None => Filed {
                account: text("payee_account"),
                amount: text("amount").and_then(|a| bw_core::Money::parse_yuan(&a).ok()).map(|m| m.fen()),
                ..Filed::default()
            },
        },
        _ => Filed { unit: f.unit_code.clone(), voucher: f.vouchers.first().cloned(), ..Filed::default() },
    }
}

/// The thresholds' fingerprint and the latest payment date of a year whose cache is whole.
pub async fn state(conn: &mut AnyConnection, year: i32) -> Result<Option<(String, Date)>, ActionError> {
    let row = sqlx::query("SELECT fingerprint, through FROM payment_findings_state WHERE year = $1")
        .bind(i64::from(year))
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(r) => {
            let through: String = r.try_get(1)?;
            let through = Date::parse(&through).map_err(|e| ActionError::Invalid(e.to_string()))?;
            Ok(Some((r.try_get(0)?, through)))
        }
        None => Ok(None),
    }
}

/// The latest payment date of a year.
pub async fn latest_payment(conn: &mut AnyConnection, year: i32) -> Result<Option<Date>, ActionError> {
    let r = sqlx::query("SELECT MAX(pay_date) FROM payments WHERE year = $1")
        .bind(i64::from(year))
        .fetch_one(&mut *conn)
        .await?;
    let d: Option<String> = r.try_get(0)?;
    d.map(|d| Date::parse(&d).map_err(|e| ActionError::Invalid(e.to_string()))).transpose()
}

/// The cached findings of a year.
pub async fn cached(conn: &mut AnyConnection, year: i32) -> Result<Vec<Finding>, ActionError> {
    let rows = sqlx::query("SELECT finding FROM payment_findings WHERE year = $1")
        .bind(i64::from(year))
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let text: String = r.try_get(0)?;
        out.push(serde_json::from_str(&text).map_err(|e| ActionError::Invalid(format!("cached finding: {e}")))?);
    }
    Ok(out)
}

async fn insert(conn: &mut AnyConnection, year: i32, findings: &[&Finding]) -> Result<(), ActionError> {
    for f in findings {
        let at = filed_under(f);
        let text = serde_json::to_string(f).map_err(|e| ActionError::Invalid(e.to_string()))?;
        sqlx::query(
            "INSERT INTO payment_findings (year, rule, unit_code, account, invoice, amount, voucher, finding) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(i64::from(year))
        .bind(f.rule)
        .bind(at.unit)
        .bind(at.account)
        .bind(at.invoice)
        .bind(at.amount)
        .bind(at.voucher)
        .bind(text)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn set_state(conn: &mut AnyConnection, year: i32, fingerprint: &str, through: Date) -> Result<(), ActionError> {
    sqlx::query("DELETE FROM payment_findings_state WHERE year = $1").bind(i64::from(year)).execute(&mut *conn).await?;
    sqlx::query("INSERT INTO payment_findings_state (year, fingerprint, through) VALUES ($1, $2, $3)")
        .bind(i64::from(year))
        .bind(fingerprint.to_string())
        .bind(through.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Replaces a year's cache with the payment-rule findings of a full evaluation over every
/// payment of the year (all dated on or before `through`).
pub async fn rewrite(
    conn: &mut AnyConnection,
    year: i32,
    t: &Thresholds,
    findings: &[Finding],
    through: Date,
) -> Result<(), ActionError> {
    sqlx::query("DELETE FROM payment_findings WHERE year = $1").bind(i64::from(year)).execute(&mut *conn).await?;
    let mine: Vec<&Finding> = findings.iter().filter(|f| is_payment_rule(f.rule)).collect();
    insert(conn, year, &mine).await?;
    set_state(conn, year, &fingerprint(t), through).await
}

/// Replaces what a batch touched — the findings filed under its units, accounts and
/// invoices — with those of an evaluation over it (`findings`, already limited to what the
/// scope covers); the cache now covers payments through `through`.
pub async fn update(
    conn: &mut AnyConnection,
    year: i32,
    t: &Thresholds,
    scope: &Scope,
    findings: &[Finding],
    through: Date,
) -> Result<(), ActionError> {
    use crate::monitor::{any_of, quote};
    let mut deletes = Vec::new();
    let vouchers = crate::monitor::vouchers_by_unit(&scope.vouchers, "unit_code", "voucher");
    for c in any_of(vouchers) {
        deletes.push(format!("rule IN ('out_of_scope', 'personal_account') AND ({c})"));
    }
    let pairs = scope.pairs.iter().map(|(u, a)| format!("(unit_code = {} AND account = {})", quote(u), quote(a)));
    for c in any_of(pairs) {
        deletes.push(format!("rule = 'split_purchase' AND ({c})"));
    }
    let amounts = scope.payee_amounts.iter().map(|(a, m)| format!("(account = {} AND amount = {m})", quote(a)));
    for c in any_of(amounts) {
        deletes.push(format!("rule = 'duplicate_payment' AND invoice IS NULL AND ({c})"));
    }
    for c in any_of(scope.invoices.iter().map(|i| format!("invoice = {}", quote(i)))) {
        deletes.push(format!("rule = 'duplicate_payment' AND ({c})"));
    }
    for d in deletes {
        let sql = format!("DELETE FROM payment_findings WHERE year = $1 AND {d}");
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(i64::from(year)).execute(&mut *conn).await?;
    }
    let mine: Vec<&Finding> = findings.iter().filter(|f| is_payment_rule(f.rule)).collect();
    insert(conn, year, &mine).await?;
    set_state(conn, year, &fingerprint(t), through).await
}

/// Forgets a year's cache (every year's with `None`): the next full check rebuilds it.
pub async fn invalidate(conn: &mut AnyConnection, year: Option<i32>) -> Result<(), ActionError> {
    match year {
        Some(y) => {
            sqlx::query("DELETE FROM payment_findings_state WHERE year = $1")
                .bind(i64::from(y))
                .execute(&mut *conn)
                .await?
        }
        None => sqlx::query("DELETE FROM payment_findings_state").execute(&mut *conn).await?,
    };
    Ok(())
}
