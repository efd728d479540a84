//! Emergency cases (应急处置, chapter 7): an overspend above 10 %, a revenue shortfall at three
//! month-ends, or an external event entered by finance opens a case whose report is due in
//! 24 hours and whose temporary adjustment plan is due in 72 — clock hours, not working days.
//! Each case steps open → reported → planned → closed, every step journaled.

use crate::Ctx;
use crate::journal::{ActionError, act};
use crate::monitor::write_rows;
use bw_core::Timestamp;
use bw_core::action::Action;
use bw_core::warning;
use bw_store::Store;
use bw_store::sqlx::{self, Row};

pub const REPORT_HOURS: i64 = 24;
pub const PLAN_HOURS: i64 = 72;

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Emergency {
    pub id: i64,
    /// `overspend`, `revenue_shortfall` or `event`.
    pub cause: String,
    pub warning_id: Option<i64>,
    pub title: String,
    pub opened_at: String,
    pub report_by: String,
    pub plan_by: String,
    pub state: String,
    pub note: String,
    /// The step now due is past its deadline (as of the time asked).
    pub overdue: bool,
}

/// The entry that opens a case at `at`, with its report and plan due in clock hours.
fn opening(cause: &str, warning_id: Option<i64>, title: &str, at: Timestamp) -> warning::Entry {
    warning::Entry::EmergencyOpen(warning::EmergencyOpen {
        cause: cause.into(),
        warning_id,
        title: title.into(),
        opened_at: at,
        report_by: Timestamp(at.0 + REPORT_HOURS * 3600),
        plan_by: Timestamp(at.0 + PLAN_HOURS * 3600),
    })
}

/// Opens a case at `ctx.at`.
pub async fn open(
    store: &Store,
    ctx: &Ctx,
    cause: &str,
    warning_id: Option<i64>,
    title: &str,
) -> Result<i64, ActionError> {
    if title.trim().is_empty() {
        return Err(ActionError::Invalid("an emergency case needs a title".into()));
    }
    let data = opening(cause, warning_id, title, ctx.at);
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("emergency: {title}"));
    act(store, ctx, Action::EmergencyOpen, &reason, &data, async |tx, idx| write_rows(tx, &data, idx, ctx).await).await
}

/// The cases the open warnings call for and do not have yet — `over_budget` above 10 %
/// (orange or red) and `revenue_shortfall`, one per warning: (warning id, cause, title).
async fn wanted(conn: &mut bw_store::sqlx::AnyConnection) -> Result<Vec<(i64, &'static str, String)>, ActionError> {
    let rows = sqlx::query(
        "SELECT w.id, w.rule, w.unit_code, w.indicator_code, w.region_code, w.revenue_code, w.evidence FROM warnings w \
         WHERE w.state NOT IN ('archived', 'closed', 'dismissed', 'withdrawn', 'recorded') \
         AND ((w.rule = 'over_budget' AND w.level IN ('orange', 'red')) OR w.rule = 'revenue_shortfall') \
         AND NOT EXISTS (SELECT 1 FROM emergencies e WHERE e.warning_id = w.id) ORDER BY w.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let (id, rule): (i64, String) = (r.try_get(0)?, r.try_get(1)?);
        let evidence: serde_json::Value = serde_json::from_str(&r.try_get::<String, _>(6)?).unwrap_or_default();
        if rule == "over_budget" {
            // Orange starts above 10 % by default, but the bands are settings: the case
            // compares the figures themselves, exactly.
            let fen = |k: &str| {
                evidence[k].as_str().and_then(|v| bw_core::Money::parse_yuan(v).ok()).map(|m| m.fen()).unwrap_or(0)
            };
            if i128::from(fen("over")) * 100 <= i128::from(fen("amount")) * 10 {
                continue;
            }
            let ind: Option<String> = r.try_get(3)?;
            out.push((id, "overspend", format!("指标{}超支{}%", ind.unwrap_or_default(), evidence["over_pct"])));
        } else {
            let (region, code): (Option<String>, Option<String>) = (r.try_get(4)?, r.try_get(5)?);
            out.push((
                id,
                "revenue_shortfall",
                format!(
                    "{}地区{}收入连续{}个月落后序时进度",
                    region.unwrap_or_default(),
                    code.unwrap_or_default(),
                    evidence["month_ends_behind"]
                ),
            ));
        }
    }
    Ok(out)
}

/// Opens the cases the open warnings call for, inside the write that raised them (an
/// import's or a check's): the cases go into its journal and its transaction, so that they
/// are committed with the warnings that call for them. Returns how many.
pub(crate) async fn open_for_warnings_in(
    tx: &mut bw_store::Tx,
    journal: &mut bw_store::JournalWriter,
    by: &crate::monitor::By<'_>,
) -> Result<usize, ActionError> {
    let wanted = wanted(&mut *tx).await?;
    for (warning_id, cause, title) in &wanted {
        let data = opening(cause, Some(*warning_id), title, by.at);
        let entry = bw_ledger::encode(&by.header(Action::EmergencyOpen), &data)
            .map_err(|e| ActionError::Invalid(e.to_string()))?;
        let idx = journal.append(entry);
        let at = by.at.to_string();
        let rows = warning::project(&data, warning::Meta { idx, actor: by.actor, at: &at });
        bw_store::changes::apply(tx, &rows).await?;
    }
    Ok(wanted.len())
}

/// Moves case `id` on: `report` (open → reported), `plan` (reported → planned), `close`
/// (planned → closed).
pub async fn step(store: &Store, ctx: &Ctx, id: i64, action: &str, note: &str) -> Result<String, ActionError> {
    let row = sqlx::query("SELECT state FROM emergencies WHERE id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| ActionError::Invalid(format!("no emergency case {id}")))?;
    let from: String = row.try_get(0)?;
    let to = match (from.as_str(), action) {
        ("open", "report") => "reported",
        ("reported", "plan") => "planned",
        ("planned", "close") => "closed",
        _ => {
            return Err(ActionError::Invalid(format!(
                "an emergency case that is {from} cannot take the step {action}"
            )));
        }
    };
    if note.trim().is_empty() {
        return Err(ActionError::Invalid(format!("{action} needs a text")));
    }
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("emergency {id}: {action}"));
    let data = warning::Entry::EmergencyStep(warning::EmergencyStep {
        id,
        from: from.clone(),
        to: to.into(),
        note: note.to_string(),
    });
    act(store, ctx, Action::EmergencyStep, &reason, &data, async |tx, idx| write_rows(tx, &data, idx, ctx).await)
        .await?;
    Ok(to.to_string())
}

/// The cases not yet closed, with whether the step due is late at `now`.
pub async fn list(store: &Store, now: Timestamp) -> Result<Vec<Emergency>, ActionError> {
    let rows = sqlx::query(
        "SELECT id, cause, warning_id, title, opened_at, report_by, plan_by, state, note FROM emergencies \
         WHERE state <> 'closed' ORDER BY id",
    )
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let state: String = r.try_get(7)?;
        let (report_by, plan_by): (String, String) = (r.try_get(5)?, r.try_get(6)?);
        let due = match state.as_str() {
            "open" => Some(&report_by),
            "reported" => Some(&plan_by),
            _ => None,
        };
        let overdue = due.and_then(|d| Timestamp::parse(d)).is_some_and(|d| d.0 < now.0);
        out.push(Emergency {
            id: r.try_get(0)?,
            cause: r.try_get(1)?,
            warning_id: r.try_get(2)?,
            title: r.try_get(3)?,
            opened_at: r.try_get(4)?,
            report_by,
            plan_by,
            state,
            note: r.try_get(8)?,
            overdue,
        });
    }
    Ok(out)
}
