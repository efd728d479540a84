//! The rules that fire at payment time (事中), over what a file of payments touched and in
//! its transaction: their warnings recorded, the payments of a rule handled `intercept`
//! held, a rule handled `forbid` refusing the file, and the emergency cases the warnings
//! call for opened before the commit.

use super::*;
use crate::monitor::Touched;

fn io(e: impl std::fmt::Display) -> ImportError {
    ImportError::Io(e.to_string())
}

/// Evaluates and records the payment-time rules; a forbidding rule's refusals go to
/// `errors` (the caller then rolls back), the rest to `report`.
pub(super) async fn at_payment_time(
    store: &Store,
    today: bw_core::Date,
    tx: &mut Tx,
    appender: &mut write::Appender<'_>,
    state: &mut PaymentsState,
    reading: &mut read::Reading<'_, '_>,
) -> Result<(), ImportError> {
    let read::Reading { map, errors, report, .. } = reading;
    let started = std::time::Instant::now();
    let settings = settings(store, state.rules.take(), state.landed.years.keys().copied()).await?;
    // A writer that commits again and again reads once which groups hold stored payments,
    // and from then on only those groups of each batch (read inside this transaction, the
    // keys include the batch's own: a superset, as they must be).
    if state.resident && state.evidence.is_none() && state.landed.scope.narrow() {
        state.evidence = Some(crate::monitor::StoredKeys::load(&mut *tx).await.map_err(io)?);
    }
    let write::Appender { journal, by, .. } = appender;
    let (landed, evidence) = (&state.landed, state.evidence.as_ref());
    let touched =
        crate::monitor::on_payments(tx, journal, by, landed, today, &settings.prepared, &settings.calendar, evidence)
            .await
            .map_err(io)?;
    let mut held_rows = std::collections::HashSet::new();
    for (unit, voucher) in &report.milestone_held {
        if let Some((_, row)) = state.row_of(Some(unit), voucher) {
            held_rows.insert(row);
        }
    }
    for w in &touched {
        let handling = settings.prepared.get(&w.year).map(|(_, p)| p.handling(w.rule)).unwrap_or("warn");
        match handling {
            "intercept" => {
                for v in &w.vouchers {
                    if let Some((unit, row)) = state.row_of(w.unit_code.as_deref(), v)
                        && crate::hold::hold(tx, journal, by, unit, v, Some(w.id), w.rule).await.map_err(io)?
                    {
                        held_rows.insert(row);
                    }
                }
            }
            "forbid" => forbidden(state, w, map, errors),
            _ => {}
        }
    }
    if !errors.list.is_empty() {
        return Ok(());
    }
    report.warnings_raised = touched.len();
    report.warning_ids = touched.iter().map(|w| w.id).collect();
    for (row, outcome) in &mut report.outcomes {
        if held_rows.contains(row) {
            *outcome = RowOutcome::Held;
        }
    }
    report.held = held_rows.len();
    report.rules_time = started.elapsed();
    // An overspend the rules just found may call for an emergency case: opened in this
    // transaction, so that a crash after the commit cannot lose it.
    if !touched.is_empty() {
        crate::emergency::open_for_warnings_in(tx, journal, by).await.map_err(io)?;
    }
    state.rules = Some(settings);
    Ok(())
}

/// The rules' settings for `years`: those kept from an earlier commit, with any year they
/// lack read now; read whole when nothing was kept.
async fn settings(
    store: &Store,
    kept: Option<state::RuleSettings>,
    years: impl Iterator<Item = i32>,
) -> Result<state::RuleSettings, ImportError> {
    let mut s = match kept {
        Some(s) => s,
        None => {
            state::RuleSettings { prepared: HashMap::new(), calendar: crate::calendar::load(store).await.map_err(io)? }
        }
    };
    let missing: Vec<i32> = years.filter(|y| !s.prepared.contains_key(y)).collect();
    if !missing.is_empty() {
        s.prepared.extend(crate::monitor::prepare(store, missing).await.map_err(io)?);
    }
    Ok(s)
}

/// The refusals of the file's payments a rule handled `forbid` names.
fn forbidden(state: &PaymentsState, w: &Touched, map: &HeaderMap, errors: &mut Errors) {
    for v in &w.vouchers {
        if let Some((_, row)) = state.row_of(w.unit_code.as_deref(), v) {
            let rule = bw_rules::Rule::parse(w.rule).map(|r| r.zh()).unwrap_or("");
            errors.push(
                row,
                Some(map.labels[0].clone()),
                Code::ForbiddenByRule,
                format!(
                    "forbidden_by_rule: payment {v} is refused by rule {} ({rule}, handling forbid; {} warning)",
                    w.rule,
                    w.level.as_str()
                ),
            );
        }
    }
}
