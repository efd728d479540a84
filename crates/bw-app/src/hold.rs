//! Payments held by a rule handled `intercept` (拦截), or beyond what a contract's verified
//! milestones release (`milestone_not_verified`): the payment is recorded but not counted as
//! paid — its indicator's paid figure, month aggregate and contract exclude it — until a
//! reviewer releases it (a milestone hold: the milestone's verification does), then it counts
//! and the payment-time rules see it, or rejects it (it never counts). Holding, releasing and rejecting are journaled
//! (`payment.hold`, `payment.release`, `payment.reject`); each entry carries the figures it
//! moves, so `verify` rebuilds the aggregates from the journal alone.

use crate::Ctx;
use crate::journal::ActionError;
use crate::monitor::By;
use bw_core::action::Action;
use bw_core::{Date, Money};
use bw_store::sqlx::{self, AnyConnection, Row};
use bw_store::{JournalWriter, Store};

/// A payment's figures that holding moves, as the hold entries carry them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HoldData {
    pub unit_code: String,
    pub voucher_no: String,
    pub year: i32,
    pub indicator_code: String,
    pub month: String,
    pub amount: Money,
    pub contract_no: Option<String>,
    /// The warning that held it (0: held by its contract's milestones, `rule` the reason).
    pub warning_id: i64,
    pub rule: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A held (or decided) payment as listed.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Held {
    pub unit_code: String,
    pub voucher_no: String,
    pub pay_date: String,
    pub indicator_code: String,
    pub payee_name: String,
    pub amount: Money,
    pub status: String,
    /// The warning that held it; 0 when held for its contract's milestones (`reason`).
    pub warning_id: i64,
    pub reason: Option<String>,
}

/// Why a payment is held when no warning holds it.
pub const MILESTONE_NOT_VERIFIED: &str = "milestone_not_verified";

async fn load(conn: &mut AnyConnection, unit: &str, voucher: &str) -> Result<(HoldData, String), ActionError> {
    let r = sqlx::query(
        "SELECT year, indicator_code, pay_date, amount, contract_no, status, hold_warning, hold_reason FROM payments \
         WHERE unit_code = $1 AND voucher_no = $2",
    )
    .bind(unit.to_string())
    .bind(voucher.to_string())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| ActionError::Invalid(format!("no payment {voucher} of unit {unit}")))?;
    let date: String = r.try_get(2)?;
    let data = HoldData {
        unit_code: unit.to_string(),
        voucher_no: voucher.to_string(),
        year: r.try_get::<i64, _>(0)? as i32,
        indicator_code: r.try_get(1)?,
        month: date.get(..7).unwrap_or_default().to_string(),
        amount: Money::from_fen(r.try_get(3)?),
        contract_no: r.try_get(4)?,
        warning_id: r.try_get::<Option<i64>, _>(6)?.unwrap_or(0),
        rule: r.try_get::<Option<String>, _>(7)?.unwrap_or_default(),
        note: String::new(),
    };
    Ok((data, r.try_get(5)?))
}

/// Adds `sign`·amount (and one payment) to what the payment's indicator, month and contract
/// count as paid — the effect the import gave it, undone (−1) or redone (+1).
async fn count(conn: &mut AnyConnection, d: &HoldData, sign: i64) -> Result<(), ActionError> {
    let amount = sign * d.amount.fen();
    let mut committed_delta = 0;
    if let Some(no) = &d.contract_no {
        let c = sqlx::query("SELECT amount, paid, status FROM contracts WHERE contract_no = $1")
            .bind(no.clone())
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(c) = c {
            let (total, paid, status): (i64, i64, String) = (c.try_get(0)?, c.try_get(1)?, c.try_get(2)?);
            if status == "open" {
                committed_delta = (total - paid - amount).max(0) - (total - paid).max(0);
            }
            sqlx::query("UPDATE contracts SET paid = paid + $1 WHERE contract_no = $2")
                .bind(amount)
                .bind(no.clone())
                .execute(&mut *conn)
                .await?;
        }
    }
    sqlx::query(
        "UPDATE indicators SET paid = paid + $1, committed_unpaid = committed_unpaid + $2 \
         WHERE year = $3 AND indicator_code = $4",
    )
    .bind(amount)
    .bind(committed_delta)
    .bind(i64::from(d.year))
    .bind(d.indicator_code.clone())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE indicator_months SET paid = paid + $1, payments = payments + $2 \
         WHERE year = $3 AND indicator_code = $4 AND month = $5",
    )
    .bind(amount)
    .bind(sign)
    .bind(i64::from(d.year))
    .bind(d.indicator_code.clone())
    .bind(d.month.clone())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Holds a payment just recorded in the open transaction for warning `warning` of `rule`,
/// or without a warning for the reason `rule` (`milestone_not_verified`); a payment already
/// held or decided is left. Returns whether it was held.
pub async fn hold(
    tx: &mut bw_store::Tx,
    journal: &mut JournalWriter,
    by: &By<'_>,
    unit: &str,
    voucher: &str,
    warning: Option<i64>,
    rule: &str,
) -> Result<bool, ActionError> {
    let (mut d, status) = load(tx, unit, voucher).await?;
    if status != "paid" || d.warning_id != 0 || !d.rule.is_empty() {
        return Ok(false);
    }
    (d.warning_id, d.rule) = (warning.unwrap_or(0), rule.to_string());
    journal.append(entry(by, Action::PaymentHold, &d)?);
    count(tx, &d, -1).await?;
    set_status(tx, &d, "held", warning).await?;
    // The cached payment-rule findings counted it.
    crate::findings::invalidate(tx, Some(d.year)).await?;
    Ok(true)
}

async fn set_status(
    conn: &mut AnyConnection,
    d: &HoldData,
    status: &str,
    warning: Option<i64>,
) -> Result<(), ActionError> {
    let reason = (d.warning_id == 0).then(|| d.rule.clone());
    sqlx::query(
        "UPDATE payments SET status = $1, hold_warning = $2, hold_reason = $3 WHERE unit_code = $4 AND voucher_no = $5",
    )
    .bind(status.to_string())
    .bind(warning)
    .bind(reason)
    .bind(d.unit_code.clone())
    .bind(d.voucher_no.clone())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn entry<T: serde::Serialize>(by: &By<'_>, action: Action, data: &T) -> Result<Vec<u8>, ActionError> {
    let header = bw_ledger::Header { action, actor: by.actor, at: by.at, reason: by.reason, batch: by.batch };
    bw_ledger::encode(&header, data).map_err(|e| ActionError::Invalid(e.to_string()))
}

/// A reviewer's decision on a held payment: released, it counts as paid from now on and the
/// rules that fire at payment time see it (without holding it again); rejected, it never
/// counts. Returns the new status.
pub async fn decide(
    store: &Store,
    ctx: &Ctx,
    unit: &str,
    voucher: &str,
    release: bool,
    note: &str,
) -> Result<&'static str, ActionError> {
    if !release && note.trim().is_empty() {
        return Err(ActionError::Invalid("a rejection needs its reason (--text)".into()));
    }
    let (mut tx, size) = store.begin_write().await?;
    let (mut d, status) = load(&mut tx, unit, voucher).await?;
    if status != "held" {
        return Err(ActionError::Invalid(format!("payment {voucher} of unit {unit} is {status}, not held")));
    }
    if release && d.warning_id == 0 {
        return Err(ActionError::Invalid(format!(
            "{MILESTONE_NOT_VERIFIED}: payment {voucher} of unit {unit} waits for its contract's milestones: \
             their verification releases it, not a reviewer (it may be rejected)"
        )));
    }
    d.note = note.to_string();
    if d.warning_id != 0 {
        let rule = sqlx::query("SELECT rule FROM warnings WHERE id = $1")
            .bind(d.warning_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get::<String, _>(0))
            .transpose()?
            .unwrap_or_default();
        d.rule = rule;
    }
    let (action, to) = if release { (Action::PaymentRelease, "paid") } else { (Action::PaymentReject, "rejected") };
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("{action} {voucher} of {unit}"));
    let by = By { actor: &ctx.actor, at: ctx.at, reason: &reason, batch: None };
    let mut journal = JournalWriter::new(size, store, ctx.at);
    journal.append(entry(&by, action, &d)?);
    set_status(&mut tx, &d, to, (d.warning_id != 0).then_some(d.warning_id)).await?;
    if release {
        released(store, &mut tx, &mut journal, &by, ctx.today, &[d]).await?;
    }
    journal.finish(&mut tx).await?;
    tx.commit().await?;
    Ok(to)
}

/// Counts payments just released as paid and runs the payment-time rules over them (without
/// holding them again).
async fn released(
    store: &Store,
    tx: &mut bw_store::Tx,
    journal: &mut JournalWriter,
    by: &By<'_>,
    today: Date,
    payments: &[HoldData],
) -> Result<(), ActionError> {
    let mut landed = crate::monitor::Landed::default();
    let mut years = std::collections::BTreeSet::new();
    for d in payments {
        count(tx, d, 1).await?;
        let row = sqlx::query(
            "SELECT pay_date, payee_account, invoice_no FROM payments WHERE unit_code = $1 AND voucher_no = $2",
        )
        .bind(d.unit_code.clone())
        .bind(d.voucher_no.clone())
        .fetch_one(&mut **tx)
        .await?;
        let (pay_date, account, invoice): (String, String, Option<String>) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let pay_date = Date::parse(&pay_date).map_err(|e| ActionError::Invalid(e.to_string()))?;
        landed.add(d.year, &d.unit_code, &d.voucher_no, &account, d.amount.fen(), invoice.as_deref(), pay_date);
        years.insert(d.year);
    }
    if payments.is_empty() {
        return Ok(());
    }
    let prepared = crate::monitor::prepare(store, years).await?;
    let calendar = crate::calendar::load(store).await?;
    crate::monitor::on_payments(tx, journal, by, &landed, today, &prepared, &calendar, None).await?;
    Ok(())
}

/// Releases, in the open transaction, the payments on `contract_no` held for its milestones
/// that now fit within `room` (releasable − paid), oldest first, each entry citing the
/// verification (`note`). Returns the payments released.
#[allow(clippy::too_many_arguments)] // the open transaction's parts, and what the release is for
pub async fn release_for_milestones(
    store: &Store,
    tx: &mut bw_store::Tx,
    journal: &mut JournalWriter,
    by: &By<'_>,
    today: Date,
    contract_no: &str,
    mut room: Money,
    note: &str,
) -> Result<Vec<HoldData>, ActionError> {
    let rows = sqlx::query(
        "SELECT unit_code, voucher_no FROM payments WHERE contract_no = $1 AND status = 'held' AND hold_reason = $2 \
         ORDER BY pay_date, voucher_no",
    )
    .bind(contract_no.to_string())
    .bind(MILESTONE_NOT_VERIFIED)
    .fetch_all(&mut **tx)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let (unit, voucher): (String, String) = (r.try_get(0)?, r.try_get(1)?);
        let (mut d, _) = load(tx, &unit, &voucher).await?;
        // Oldest first, and a payment is released whole or not at all.
        if d.amount > room {
            break;
        }
        room = Money::from_fen(room.fen() - d.amount.fen());
        d.note = note.to_string();
        journal.append(entry(by, Action::PaymentRelease, &d)?);
        set_status(tx, &d, "paid", None).await?;
        out.push(d);
    }
    released(store, tx, journal, by, today, &out).await?;
    Ok(out)
}

/// Payments held or decided, newest hold first; only those still held unless `all`.
pub async fn list(store: &Store, all: bool) -> Result<Vec<Held>, ActionError> {
    let filter = if all { "hold_warning IS NOT NULL OR hold_reason IS NOT NULL" } else { "status = 'held'" };
    let sql = format!(
        "SELECT unit_code, voucher_no, pay_date, indicator_code, payee_name, amount, status, hold_warning, hold_reason \
         FROM payments WHERE {filter} ORDER BY hold_warning DESC, unit_code, voucher_no"
    );
    let mut out = Vec::new();
    for r in sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(store.pool()).await? {
        out.push(Held {
            unit_code: r.try_get(0)?,
            voucher_no: r.try_get(1)?,
            pay_date: r.try_get(2)?,
            indicator_code: r.try_get(3)?,
            payee_name: r.try_get(4)?,
            amount: Money::from_fen(r.try_get(5)?),
            status: r.try_get(6)?,
            warning_id: r.try_get::<Option<i64>, _>(7)?.unwrap_or(0),
            reason: r.try_get(8)?,
        });
    }
    Ok(out)
}
