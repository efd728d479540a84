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
        "{}|{}|{}|{}|{}|{}",
        t.prohibited_terms.join(","),
        t.split_min_payments,
        t.split_limit.fen(),
        t.split_days,
        t.duplicate_days,
        t.personal_limit.fen()
    )
}

/// What a cached finding is filed under: its unit, its payee account, its invoice.
pub(crate) fn filed_under(f: &Finding) -> (Option<String>, Option<String>, Option<String>) {
    let text = |k: &str| f.evidence.get(k).and_then(|v| v.as_str()).map(str::to_string);
    match f.rule {
        "split_purchase" => (f.unit_code.clone(), text("payee_account"), None),
        "duplicate_payment" => match text("invoice_no") {
            Some(i) => (None, None, Some(i)),
            None => (None, text("payee_account"), None),
        },
        _ => (f.unit_code.clone(), None, None),
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
        let (unit, account, invoice) = filed_under(f);
        let text = serde_json::to_string(f).map_err(|e| ActionError::Invalid(e.to_string()))?;
        sqlx::query(
            "INSERT INTO payment_findings (year, rule, unit_code, account, invoice, finding) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(i64::from(year))
        .bind(f.rule)
        .bind(unit)
        .bind(account)
        .bind(invoice)
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
    let list = |set: &std::collections::BTreeSet<String>| crate::monitor::sql_list(set);
    let mut any = Vec::new();
    if !scope.units.is_empty() {
        any.push(format!(
            "(rule IN ('out_of_scope', 'personal_account', 'split_purchase') AND unit_code IN ({}))",
            list(&scope.units)
        ));
    }
    if !scope.accounts.is_empty() {
        any.push(format!(
            "(rule IN ('split_purchase', 'duplicate_payment') AND account IN ({}))",
            list(&scope.accounts)
        ));
    }
    if !scope.invoices.is_empty() {
        any.push(format!("(rule = 'duplicate_payment' AND invoice IN ({}))", list(&scope.invoices)));
    }
    if !any.is_empty() {
        let sql = format!("DELETE FROM payment_findings WHERE year = $1 AND ({})", any.join(" OR "));
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
