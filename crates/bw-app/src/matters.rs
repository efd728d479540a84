//! Major matters (重大事项, 三重一大), the service side of `bw_core::matter`: every action
//! journaled and applied by `Matters::apply` (which `verify` applies too), each matter kept as
//! its document (`matters`); routed by the settings' thresholds, reported with the standard
//! form or first orally through the green channel (the written form due one working day on,
//! audit copied), decided by the routed authority or collectively at a held
//! `collective_decision` meeting with its members' opinions.

use std::collections::BTreeMap;

use bw_core::matter::{Action, Facts, Limits, Matter, MatterError, Matters, Opinion, Report};
use bw_core::{Date, Money};
use bw_store::Store;
use bw_store::sqlx;

use crate::Ctx;
use crate::journal::ActionError;

/// The settings the routing reads.
pub const OVER_BUDGET: &str = "matters.over_budget_permille";
pub const T1: &str = "matters.bureau_head_from";
pub const T2: &str = "matters.collective_from";

pub type TakeError = crate::journal::TakeError<MatterError>;

fn invalid(e: impl std::fmt::Display) -> ActionError {
    ActionError::Invalid(e.to_string())
}

pub async fn load(store: &Store) -> Result<Matters, ActionError> {
    let mut conn = store.pool().acquire().await?;
    load_in(&mut conn).await
}

async fn load_in(conn: &mut sqlx::AnyConnection) -> Result<Matters, ActionError> {
    let all: Vec<Matter> = crate::journal::load_docs(conn, "matters").await?;
    Ok(Matters { matters: all.into_iter().map(|m| (m.id, m)).collect() })
}

/// The thresholds as the settings give them now.
pub async fn limits(store: &Store) -> Result<Limits, ActionError> {
    let get = |k: &'static str| async move { crate::settings::get(store, k).await };
    let money = |s: String| Money::parse_yuan(&s).map_err(invalid);
    Ok(Limits {
        over_budget_permille: get(OVER_BUDGET).await?.parse().map_err(invalid)?,
        t1: money(get(T1).await?)?,
        t2: money(get(T2).await?)?,
    })
}

/// Takes one action: checked on the matters as stored, journaled, the matter written.
pub async fn take(store: &Store, ctx: &Ctx, action: Action) -> Result<i64, TakeError> {
    let (mut tx, size) = store.begin_write().await.map_err(ActionError::from)?;
    let mut matters = load_in(&mut tx).await?;
    let reason = ctx.reason.clone().unwrap_or_else(|| action.kind().to_string());
    let header =
        bw_ledger::Header { action: action.kind(), actor: &ctx.actor, at: ctx.at, reason: &reason, batch: None };
    let id = matters.apply(&action, size, &ctx.actor).map_err(TakeError::Refused)?;
    let mut journal = bw_store::JournalWriter::new(size, store, ctx.at);
    journal.append(bw_ledger::encode(&header, &action).map_err(invalid)?);
    let doc = serde_json::to_string(&matters.matters[&id]).map_err(invalid)?;
    crate::journal::put_doc(&mut tx, "matters", id, doc, size).await?;
    journal.finish(&mut tx).await.map_err(ActionError::from)?;
    tx.commit().await.map_err(ActionError::from)?;
    Ok(size)
}

/// Reports a matter with its form, routed by the settings' thresholds now.
pub async fn submit(store: &Store, ctx: &Ctx, facts: Facts, report: Report) -> Result<i64, TakeError> {
    let limits = limits(store).await?;
    take(store, ctx, Action::Submit { facts, report, limits, on: ctx.today }).await
}

/// The green channel: an oral report now, the written form due one working day on.
pub async fn oral(store: &Store, ctx: &Ctx, facts: Facts, summary: &str) -> Result<i64, TakeError> {
    let limits = limits(store).await?;
    let calendar = crate::calendar::load(store).await?;
    let due = calendar.add_workdays(ctx.today, 1).value;
    take(store, ctx, Action::Oral { facts, summary: summary.to_string(), limits, on: ctx.today, due }).await
}

/// The routed authority's decision: the user must hold the route's role where the matter's
/// unit is (`roles`, as `milestones::roles_at_unit` gives them).
pub async fn decide(
    store: &Store,
    ctx: &Ctx,
    id: i64,
    adopt: bool,
    text: &str,
    roles: &[String],
) -> Result<i64, TakeError> {
    let matters = load(store).await?;
    let m = matters.matters.get(&id).ok_or(TakeError::Refused(MatterError::NoMatter(id)))?;
    if let Some(role) = m.route.role()
        && !roles.iter().any(|r| r == role)
    {
        return Err(TakeError::Forbidden(format!("matter {id} goes to {} ({role})", m.route.zh())));
    }
    take(store, ctx, Action::Decide { id, adopt, text: text.to_string(), on: ctx.today }).await
}

/// A collective decision at meeting `meeting` (a `collective_decision` meeting, held): its
/// members are those invited, present those recorded present.
pub async fn collective(
    store: &Store,
    ctx: &Ctx,
    id: i64,
    meeting: i64,
    opinions: BTreeMap<String, Opinion>,
) -> Result<i64, TakeError> {
    let board = crate::meetings::load(store).await?;
    let mt = board.meetings.get(&meeting).ok_or_else(|| invalid(format!("no meeting {meeting}")))?;
    if mt.kind != bw_core::meeting::Kind::CollectiveDecision {
        return Err(TakeError::Action(invalid(format!(
            "meeting {meeting} is a {}, not a collective decision",
            mt.kind.zh()
        ))));
    }
    if !matches!(mt.state, bw_core::meeting::State::Held | bw_core::meeting::State::MinutesApproved) {
        return Err(TakeError::Action(invalid(format!(
            "meeting {meeting} is {}: it decides once held",
            mt.state.zh()
        ))));
    }
    let members = mt.invited.iter().map(|i| i.user.clone()).collect();
    let present = mt.present.clone();
    take(store, ctx, Action::Collective { id, meeting, members, present, opinions, on: ctx.today }).await
}

/// Whether `m`'s written form is late on `today`.
pub fn late(m: &Matter, today: Date) -> bool {
    m.written_late(today)
}

/// The daily check's part on `as_of`: a warning (`matter_written_late`) on the unit of each
/// green-channel matter whose written form is not in by its day — yellow, orange from three
/// working days late; the written form withdraws it at the next check.
pub async fn late_warnings(store: &Store, ctx: &Ctx, as_of: Date) -> Result<crate::monitor::CheckReport, ActionError> {
    let (rule, _) = bw_core::matter::WRITTEN_LATE;
    let calendar = crate::calendar::load(store).await?;
    let mut findings = Vec::new();
    for m in load(store).await?.matters.values() {
        let (Some(due), None) = (m.written_due, m.written_on) else { continue };
        if as_of <= due {
            continue;
        }
        let days = calendar.workdays_between(due, as_of);
        let level = if days >= 3 { bw_rules::Level::Orange } else { bw_rules::Level::Yellow };
        let mut evidence = std::collections::BTreeMap::new();
        evidence.insert("subject".into(), serde_json::json!(format!("matter {}", m.id)));
        evidence.insert("matter".into(), serde_json::json!(m.id));
        evidence.insert("matter_title".into(), serde_json::json!(m.title));
        evidence.insert("written_due".into(), serde_json::json!(due.to_string()));
        evidence.insert("workdays_late".into(), serde_json::json!(days));
        findings.push(bw_rules::Finding {
            rule,
            level,
            unit_code: Some(m.unit_code.clone()),
            indicator_code: None,
            region_code: None,
            revenue_code: None,
            period: as_of.year().to_string(),
            vouchers: Vec::new(),
            evidence,
        });
    }
    crate::monitor::record_findings(store, ctx, as_of, &findings, &|r| r == rule).await
}
