//! Meetings and action items (会议与督办事项), the service side of `bw_core::meeting`: every
//! action journaled and applied by `Board::apply` (which `verify` applies too), the board kept
//! as one document per meeting (`meetings`) and per action item (`action_items`), the agenda
//! pack generated from the system's own figures, hashed, journaled and kept
//! (`meeting_packs`), a meeting's OParl 1.0 export, and the daily check's part: packs made
//! the set number of working days before, overdue action items escalated.

use std::collections::{BTreeMap, BTreeSet};

use bw_core::meeting::{Action, ActionItem, AgendaItem, Board, Invitee, Meeting, MeetingError, State};
use bw_core::{Date, Money, Timestamp};
use bw_ledger::Header;
use bw_ledger::note::Signer;
use bw_store::sqlx::{self, Row};
use bw_store::{JournalWriter, Store};

use crate::Ctx;
use crate::journal::{ActionError, sealed_entry};

/// Working days before a meeting its pack is made by the daily check (setting).
pub const PACK_WORKDAYS: &str = "meetings.pack_workdays";
/// Working days an overdue action item is given again when escalated.
pub const ESCALATE_WORKDAYS: u32 = 5;
/// At most this many entries in each of a pack's lists (the counts are whole).
pub const LIST_MAX: usize = 20;

pub type TakeError = crate::journal::TakeError<MeetingError>;

fn invalid(e: impl std::fmt::Display) -> ActionError {
    ActionError::Invalid(e.to_string())
}

/// The board as stored.
pub async fn load(store: &Store) -> Result<Board, ActionError> {
    let mut conn = store.pool().acquire().await?;
    load_in(&mut conn).await
}

async fn load_in(conn: &mut sqlx::AnyConnection) -> Result<Board, ActionError> {
    let meetings: Vec<Meeting> = crate::journal::load_docs(conn, "meetings").await?;
    let items: Vec<ActionItem> = crate::journal::load_docs(conn, "action_items").await?;
    Ok(Board {
        meetings: meetings.into_iter().map(|m| (m.id, m)).collect(),
        items: items.into_iter().map(|i| (i.id, i)).collect(),
    })
}

/// The rows an applied action changed: ("meetings" | "action_items", id, document, state,
/// the date the list reads — a meeting's start, an item's due date).
pub fn rows(
    board: &Board,
    changed: &bw_core::meeting::Changed,
) -> Result<Vec<(&'static str, i64, String)>, serde_json::Error> {
    let mut out = Vec::new();
    for id in &changed.meetings {
        if let Some(m) = board.meetings.get(id) {
            out.push(("meetings", *id, serde_json::to_string(m)?));
        }
    }
    for id in &changed.items {
        if let Some(i) = board.items.get(id) {
            out.push(("action_items", *id, serde_json::to_string(i)?));
        }
    }
    Ok(out)
}

/// An action as journaled: the board's action, with the agenda pack it records (only
/// `meeting.pack`), whose SHA-256 the action names.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Entry {
    #[serde(flatten)]
    pub action: Action,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pack: Option<serde_json::Value>,
}

/// The SHA-256 of a pack: over its canonical JSON (keys sorted, no spaces).
pub fn pack_digest(pack: &serde_json::Value) -> String {
    bw_ledger::hex(&bw_ledger::sha256(pack.to_string().as_bytes()))
}

/// Takes `actions` in one transaction, one entry each (sealed with `signer` when given),
/// each checked on the board as stored; a refusal takes none. The entries' indexes.
pub async fn take_all(
    store: &Store,
    ctx: &Ctx,
    actions: Vec<(Action, Option<serde_json::Value>)>,
    signer: Option<&Signer>,
) -> Result<Vec<i64>, TakeError> {
    if actions.is_empty() {
        return Ok(Vec::new());
    }
    let (mut tx, size) = store.begin_write().await.map_err(ActionError::from)?;
    let mut board = load_in(&mut tx).await?;
    let mut journal = JournalWriter::new(size, store, ctx.at);
    let mut out = Vec::with_capacity(actions.len());
    for (mut action, pack) in actions {
        // A series scheduled together continues its first meeting (`series: Some(-1)`).
        if let Action::Schedule { series: s @ Some(-1), .. } = &mut action {
            *s = out.first().copied();
        }
        let name = action.kind();
        let reason = ctx.reason.clone().unwrap_or_else(|| name.to_string());
        let header = Header { action: name, actor: &ctx.actor, at: ctx.at, reason: &reason, batch: None };
        let entry = Entry { action, pack };
        // Entries index from the journal's size: the board sees the index the entry gets.
        let idx = size + out.len() as i64;
        let changed = board.apply(&entry.action, idx, &ctx.actor, ctx.at).map_err(TakeError::Refused)?;
        let appended = journal.append(sealed_entry(&header, &entry, signer)?);
        debug_assert_eq!(appended, idx);
        if let (Action::Pack { id, sha256, .. }, Some(pack)) = (&entry.action, &entry.pack) {
            sqlx::query("INSERT INTO meeting_packs (journal_idx, meeting_id, sha256, pack) VALUES ($1, $2, $3, $4)")
                .bind(idx)
                .bind(*id)
                .bind(sha256.clone())
                .bind(pack.to_string())
                .execute(&mut *tx)
                .await?;
        }
        for (table, id, doc) in rows(&board, &changed).map_err(invalid)? {
            crate::journal::put_doc(&mut tx, table, id, doc, idx).await?;
        }
        out.push(idx);
    }
    journal.finish(&mut tx).await.map_err(ActionError::from)?;
    tx.commit().await.map_err(ActionError::from)?;
    Ok(out)
}

/// Takes one action.
pub async fn take(store: &Store, ctx: &Ctx, action: Action) -> Result<i64, TakeError> {
    Ok(take_all(store, ctx, vec![(action, None)], None).await?.first().copied().unwrap_or_default())
}

/// Schedules a meeting, or a series of `count` (monthly or quarterly) — each its own entry,
/// the later ones continuing the first's series; analysis meetings review the period before
/// each. Their ids.
pub async fn schedule(
    store: &Store,
    ctx: &Ctx,
    first: Action,
    repeat: Option<&str>,
    count: u32,
) -> Result<Vec<i64>, TakeError> {
    let Action::Schedule { kind, title, starts_at, ends_at, location, period, chair, required_roles, .. } = first
    else {
        return Err(TakeError::Action(invalid("not a schedule")));
    };
    let step: i32 = match repeat {
        None | Some("") => 0,
        Some("monthly") | Some("每月") => 1,
        Some("quarterly") | Some("每季") => 3,
        Some(other) => {
            return Err(TakeError::Action(invalid(format!("--repeat: monthly or quarterly, not {other:?}"))));
        }
    };
    let n = if step == 0 { 1 } else { count.max(1) };
    let mut actions = Vec::new();
    for k in 0..n {
        let shift = |t: Timestamp| -> Timestamp {
            let months = step * k as i32;
            let d = t.date();
            Timestamp(t.0 + i64::from(d.add_months(months).days() - d.days()) * 86_400)
        };
        let period = if k == 0 || period.is_empty() { period.clone() } else { shift_period(&period, step * k as i32) };
        let title = if k == 0 { title.clone() } else { retitle(&title, &period) };
        actions.push((
            Action::Schedule {
                kind,
                title,
                starts_at: shift(starts_at),
                ends_at: shift(ends_at),
                location: location.clone(),
                period,
                chair: chair.clone(),
                required_roles: required_roles.clone(),
                series: (k > 0).then_some(-1),
            },
            None,
        ));
    }
    take_all(store, ctx, actions, None).await
}

/// `2026-03` + 2 months → `2026-05`; `2026-Q1` + 3 months → `2026-Q2`.
fn shift_period(p: &str, months: i32) -> String {
    if let Some((y, q)) = p.split_once("-Q")
        && let (Ok(y), Ok(q)) = (y.parse::<i32>(), q.parse::<i32>())
    {
        let n = (y * 4 + q - 1) + months / 3;
        return format!("{}-Q{}", n.div_euclid(4), n.rem_euclid(4) + 1);
    }
    match Date::parse(&format!("{p}-01")) {
        Ok(d) => d.add_months(months).month_key(),
        Err(_) => p.to_string(),
    }
}

/// A series' later title: the first's with its period replaced, or with the period added.
fn retitle(title: &str, period: &str) -> String {
    format!("{title}（{period}）")
}

/// The roles `user` holds anywhere (active grants), as an invitation records them.
pub async fn invitee(store: &Store, user: &str, today: Date) -> Result<Invitee, ActionError> {
    let access = crate::users::access(store, user, today).await?;
    let roles: BTreeSet<String> = access.grants.iter().map(|g| g.role.id().to_string()).collect();
    Ok(Invitee { user: user.to_string(), roles: roles.into_iter().collect() })
}

/// The period a meeting reviews: its own (`YYYY-MM` or `YYYY-Qn`), else the month before it
/// starts (in the installation's zone).
pub fn period_of(m: &Meeting, start_local: Date) -> (String, Date, Date) {
    let month = |d: Date| -> (String, Date, Date) {
        let from = Date::from_ymd(d.year(), d.month(), 1).unwrap_or(d);
        (d.month_key(), from, from.month_end())
    };
    if let Some((y, q)) = m.period.split_once("-Q")
        && let (Ok(y), Ok(q)) = (y.parse::<i32>(), q.parse::<u32>())
        && (1..=4).contains(&q)
        && let Some(from) = Date::from_ymd(y, 3 * q - 2, 1)
    {
        return (m.period.clone(), from, from.add_months(2).month_end());
    }
    match Date::parse(&format!("{}-01", m.period)) {
        Ok(d) => month(d),
        Err(_) => month(Date::from_ymd(start_local.year(), start_local.month(), 1).unwrap_or(start_local).add_days(-1)),
    }
}

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Counts {
    pub total: usize,
    pub by_level: BTreeMap<String, usize>,
    pub by_rule: BTreeMap<String, usize>,
}

impl Counts {
    fn add(&mut self, level: &str, rule: &str) {
        self.total += 1;
        *self.by_level.entry(level.to_string()).or_default() += 1;
        *self.by_rule.entry(rule.to_string()).or_default() += 1;
    }
}

/// The agenda pack (会议材料): what the system says about the period, for the meeting.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Pack {
    pub meeting: i64,
    pub kind: String,
    pub period: String,
    pub from: String,
    pub to: String,
    pub execution: Execution,
    pub warnings: WarningsPart,
    /// Warnings whose explanation or rectification plan was overdue at the period's end.
    pub overdue_rectifications: Listed<WarningRef>,
    pub emergencies: Listed<EmergencyRef>,
    pub top_risks: Vec<RiskRef>,
    /// Departments whose execution at the period's end is 10 points or more from the share
    /// of the year gone (a choice: the deviation the figures show; docs/GOVERNANCE.md).
    pub deviations: Vec<Deviation>,
    pub milestone_holds: Listed<HoldRef>,
    /// Every action item still open, carried over from earlier meetings.
    pub action_items: Vec<ItemRef>,
}

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Listed<T> {
    pub count: usize,
    pub first: Vec<T>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Execution {
    pub year: i32,
    pub budget: Money,
    pub paid_to_date: Money,
    pub paid_in_period: Money,
    /// Paid to date ÷ budget, ‰.
    pub rate_permille: i64,
    /// The share of the year gone at the period's end, ‰.
    pub elapsed_permille: i64,
    pub by_department: Vec<DepartmentFigures>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct DepartmentFigures {
    pub code: String,
    pub name: String,
    pub budget: Money,
    pub paid_to_date: Money,
    pub rate_permille: i64,
}

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct WarningsPart {
    /// Raised in the period.
    pub opened: Counts,
    /// Raised by the period's end, escalated for an overdue step, still open.
    pub escalated: Counts,
    /// Their explanation or plan overdue at the period's end.
    pub overdue: Counts,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct WarningRef {
    pub id: i64,
    pub rule: String,
    pub level: String,
    pub subject: String,
    pub state: String,
    pub due: String,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct EmergencyRef {
    pub id: i64,
    pub title: String,
    pub state: String,
    pub opened_at: String,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct RiskRef {
    pub id: i64,
    pub title: String,
    pub level: String,
    pub score: u32,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Deviation {
    pub code: String,
    pub name: String,
    pub rate_permille: i64,
    pub gap_permille: i64,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct HoldRef {
    pub contract_no: String,
    pub unit_code: String,
    pub held: Money,
    pub payments: i64,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ItemRef {
    pub id: i64,
    pub meeting: i64,
    pub title: String,
    pub owner: String,
    pub follower: String,
    pub due: Date,
    pub state: String,
    pub level: u32,
}

fn permille(part: i64, whole: i64) -> i64 {
    if whole <= 0 { 0 } else { (i128::from(part) * 1000 / i128::from(whole)) as i64 }
}

/// Generates meeting `id`'s agenda pack from what the database holds (nothing is written).
pub async fn pack(store: &Store, board: &Board, id: i64) -> Result<Pack, ActionError> {
    let m = board.meetings.get(&id).ok_or_else(|| invalid(MeetingError::NoMeeting(id)))?;
    let tz = crate::zone::installation(store).await?;
    let (period, from, to) = period_of(m, crate::zone::local_date(&tz, m.starts_at));
    let year = to.year();
    let pool = store.pool();
    let (fm, tm) = (from.month_key(), to.month_key());

    // Execution: budget and paid by department, from the aggregates.
    let names: BTreeMap<String, String> = sqlx::query("SELECT code, name FROM units")
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()?;
    let mut budget: BTreeMap<String, i64> = BTreeMap::new();
    for r in sqlx::query(
        "SELECT COALESCE(u.department_code, u.code), CAST(SUM(i.amount) AS BIGINT) FROM indicators i \
         JOIN units u ON u.code = i.unit_code WHERE i.year = $1 GROUP BY COALESCE(u.department_code, u.code)",
    )
    .bind(i64::from(year))
    .fetch_all(pool)
    .await?
    {
        budget.insert(r.try_get(0)?, r.try_get::<Option<i64>, _>(1)?.unwrap_or(0));
    }
    let mut paid: BTreeMap<String, i64> = BTreeMap::new();
    let mut in_period = 0i64;
    for r in sqlx::query(
        "SELECT COALESCE(u.department_code, u.code), CASE WHEN m.month >= $2 THEN 1 ELSE 0 END, CAST(SUM(m.paid) AS BIGINT) \
         FROM indicator_months m JOIN indicators i ON i.year = m.year AND i.indicator_code = m.indicator_code \
         JOIN units u ON u.code = i.unit_code WHERE m.year = $1 AND m.month <= $3 \
         GROUP BY COALESCE(u.department_code, u.code), CASE WHEN m.month >= $2 THEN 1 ELSE 0 END",
    )
    .bind(i64::from(year))
    .bind(fm.clone())
    .bind(tm.clone())
    .fetch_all(pool)
    .await?
    {
        let (dept, inside, sum): (String, i64, Option<i64>) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        let sum = sum.unwrap_or(0);
        *paid.entry(dept).or_default() += sum;
        if inside == 1 {
            in_period += sum;
        }
    }
    let year_start = Date::from_ymd(year, 1, 1).unwrap_or(from);
    let days = i64::from(Date::from_ymd(year, 12, 31).unwrap_or(to).days() - year_start.days() + 1);
    let elapsed = permille(i64::from(to.days() - year_start.days() + 1), days);
    let mut by_department: Vec<DepartmentFigures> = budget
        .iter()
        .map(|(code, b)| {
            let p = paid.get(code).copied().unwrap_or(0);
            DepartmentFigures {
                code: code.clone(),
                name: names.get(code).cloned().unwrap_or_else(|| code.clone()),
                budget: Money::from_fen(*b),
                paid_to_date: Money::from_fen(p),
                rate_permille: permille(p, *b),
            }
        })
        .collect();
    by_department.sort_by(|a, b| b.budget.cmp(&a.budget).then(a.code.cmp(&b.code)));
    let (total_budget, total_paid): (i64, i64) = (budget.values().sum(), paid.values().sum());
    let mut deviations: Vec<Deviation> = by_department
        .iter()
        .filter(|d| (d.rate_permille - elapsed).abs() >= 100)
        .map(|d| Deviation {
            code: d.code.clone(),
            name: d.name.clone(),
            rate_permille: d.rate_permille,
            gap_permille: d.rate_permille - elapsed,
        })
        .collect();
    deviations.sort_by(|a, b| a.gap_permille.cmp(&b.gap_permille).then(a.code.cmp(&b.code)));
    deviations.truncate(LIST_MAX);

    // Warnings of the year: raised in the period, escalated, overdue at its end.
    let mut warnings = WarningsPart::default();
    let mut overdue = Vec::new();
    for r in sqlx::query(
        "SELECT id, rule, level, COALESCE(indicator_code, unit_code, region_code, ''), raised_on, explain_by, plan_by, \
         state, escalations FROM warnings WHERE year = $1 ORDER BY id",
    )
    .bind(i64::from(year))
    .fetch_all(pool)
    .await?
    {
        let (id, rule, level, subject): (i64, String, String, String) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
        let (raised, explain_by, plan_by, state): (String, String, String, String) =
            (r.try_get(4)?, r.try_get(5)?, r.try_get(6)?, r.try_get(7)?);
        let escalations: i64 = r.try_get(8)?;
        let Ok(raised) = Date::parse(&raised) else { continue };
        if raised > to {
            continue;
        }
        if raised >= from {
            warnings.opened.add(&level, &rule);
        }
        let st = bw_rules::workflow::State::parse(&state);
        let open = st.is_some_and(|s| s.is_active());
        if open && escalations > 0 {
            warnings.escalated.add(&level, &rule);
        }
        let late = |d: &str| Date::parse(d).is_ok_and(|d| d < to);
        let due = match st {
            Some(s) if s.explanation_due() && late(&explain_by) => Some(explain_by),
            Some(bw_rules::workflow::State::RectificationRequired) if late(&plan_by) => Some(plan_by),
            _ => None,
        };
        if let Some(due) = due {
            warnings.overdue.add(&level, &rule);
            overdue.push(WarningRef { id, rule, level, subject, state, due });
        }
    }
    let overdue_rectifications = Listed { count: overdue.len(), first: overdue.into_iter().take(LIST_MAX).collect() };

    // Emergency cases still open when the pack is made, and those opened in the period.
    let mut em = Vec::new();
    let (start, end) = (format!("{from}T00:00:00Z"), format!("{to}T23:59:59Z"));
    for r in sqlx::query("SELECT id, title, state, opened_at FROM emergencies ORDER BY id").fetch_all(pool).await? {
        let (eid, title, state, opened_at): (i64, String, String, String) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
        let in_period = opened_at.as_str() >= start.as_str() && opened_at.as_str() <= end.as_str();
        if state != "closed" || in_period {
            em.push(EmergencyRef { id: eid, title, state, opened_at });
        }
    }
    let emergencies = Listed { count: em.len(), first: em.into_iter().take(LIST_MAX).collect() };

    // The five highest-rated risks not materialised.
    let reg = crate::risk::load(store).await?;
    let mut risks: Vec<RiskRef> = reg
        .risks
        .values()
        .filter(|r| r.materialised.is_none())
        .map(|r| RiskRef {
            id: r.id,
            title: r.title.clone(),
            level: r.level.id().to_string(),
            score: u32::from(r.current.likelihood) * u32::from(r.current.impact),
        })
        .collect();
    risks.sort_by(|a, b| b.score.cmp(&a.score).then(a.id.cmp(&b.id)));
    risks.truncate(5);

    let mut holds = Vec::new();
    for r in sqlx::query(
        "SELECT contract_no, unit_code, CAST(SUM(amount) AS BIGINT), COUNT(*) FROM payments \
         WHERE status = 'held' AND hold_reason = $1 GROUP BY contract_no, unit_code ORDER BY contract_no",
    )
    .bind(crate::hold::MILESTONE_NOT_VERIFIED)
    .fetch_all(pool)
    .await?
    {
        holds.push(HoldRef {
            contract_no: r.try_get::<Option<String>, _>(0)?.unwrap_or_default(),
            unit_code: r.try_get(1)?,
            held: Money::from_fen(r.try_get::<Option<i64>, _>(2)?.unwrap_or(0)),
            payments: r.try_get(3)?,
        });
    }
    let milestone_holds = Listed { count: holds.len(), first: holds.into_iter().take(LIST_MAX).collect() };

    let action_items = board
        .open_items()
        .into_iter()
        .filter(|i| i.meeting != id)
        .map(|i| ItemRef {
            id: i.id,
            meeting: i.meeting,
            title: i.title.clone(),
            owner: i.owner.clone(),
            follower: i.follower.clone(),
            due: i.due,
            state: i.state.id().to_string(),
            level: i.level,
        })
        .collect();
    Ok(Pack {
        meeting: id,
        kind: m.kind.id().to_string(),
        period,
        from: from.to_string(),
        to: to.to_string(),
        execution: Execution {
            year,
            budget: Money::from_fen(total_budget),
            paid_to_date: Money::from_fen(total_paid),
            paid_in_period: Money::from_fen(in_period),
            rate_permille: permille(total_paid, total_budget),
            elapsed_permille: elapsed,
            by_department,
        },
        warnings,
        overdue_rectifications,
        emergencies,
        top_risks: risks,
        deviations,
        milestone_holds,
        action_items,
    })
}

/// A period as people write it: `2025-12` → 2025年12月, `2025-Q4` → 2025年第四季度.
pub fn period_zh(p: &str) -> String {
    const Q: [&str; 4] = ["一", "二", "三", "四"];
    if let Some((y, q)) = p.split_once("-Q")
        && let Ok(q) = q.parse::<usize>()
        && (1..=4).contains(&q)
    {
        return format!("{y}年第{}季度", Q[q - 1]);
    }
    match p.split_once('-') {
        Some((y, m)) if m.parse::<u32>().is_ok() => format!("{y}年{}月", m.parse::<u32>().unwrap_or(0)),
        _ => p.to_string(),
    }
}

/// The agenda a pack gives: the execution and the warnings always, each other part when it
/// has something, then every open action item carried over (an open item cannot drop off).
pub fn agenda(p: &Pack) -> Vec<AgendaItem> {
    let mut out: Vec<(String, String, bool)> = vec![
        (format!("{}预算执行情况", period_zh(&p.period)), "execution".into(), true),
        (
            format!("预警情况（新增 {} 条，升级 {} 条）", p.warnings.opened.total, p.warnings.escalated.total),
            "warnings".into(),
            false,
        ),
    ];
    if p.overdue_rectifications.count > 0 {
        out.push((format!("逾期未整改事项（{} 项）", p.overdue_rectifications.count), "rectifications".into(), false));
    }
    if p.emergencies.count > 0 {
        out.push((format!("应急处置情况（{} 件）", p.emergencies.count), "emergencies".into(), false));
    }
    if !p.top_risks.is_empty() {
        out.push(("重大风险".into(), "risks".into(), false));
    }
    if !p.deviations.is_empty() {
        out.push((format!("执行进度偏差（{} 个部门）", p.deviations.len()), "deviations".into(), false));
    }
    if p.milestone_holds.count > 0 {
        out.push((format!("里程碑未验收暂停付款（{} 个合同）", p.milestone_holds.count), "milestones".into(), false));
    }
    for i in &p.action_items {
        out.push((format!("督办事项：{}", i.title), format!("action:{}", i.id), false));
    }
    out.into_iter()
        .enumerate()
        .map(|(n, (title, source, public))| AgendaItem { number: n as u32 + 1, title, source, public })
        .collect()
}

/// Generates, hashes and journals meeting `id`'s pack (`meeting.pack`); its digest.
pub async fn make_pack(store: &Store, ctx: &Ctx, id: i64) -> Result<(i64, Pack, String), TakeError> {
    let board = load(store).await?;
    let p = pack(store, &board, id).await?;
    let value = serde_json::to_value(&p).map_err(invalid)?;
    let sha256 = pack_digest(&value);
    let action = Action::Pack { id, sha256: sha256.clone(), agenda: agenda(&p) };
    let idx = take_all(store, ctx, vec![(action, Some(value))], None).await?[0];
    Ok((idx, p, sha256))
}

/// A meeting's latest pack as kept: (entry, digest, pack).
pub async fn stored_pack(store: &Store, id: i64) -> Result<Option<(i64, String, Pack)>, ActionError> {
    let row = sqlx::query(
        "SELECT journal_idx, sha256, pack FROM meeting_packs WHERE meeting_id = $1 ORDER BY journal_idx DESC LIMIT 1",
    )
    .bind(id)
    .fetch_optional(store.pool())
    .await?;
    match row {
        None => Ok(None),
        Some(r) => {
            let p: Pack = serde_json::from_str(&r.try_get::<String, _>(2)?).map_err(invalid)?;
            Ok(Some((r.try_get(0)?, r.try_get(1)?, p)))
        }
    }
}

/// The daily check's part on `as_of`: packs made for meetings starting within the set
/// number of working days that have none, and overdue action items escalated one level with
/// a new due date. (packs made, items escalated).
pub async fn daily(store: &Store, ctx: &Ctx, as_of: Date) -> Result<(usize, usize), TakeError> {
    let board = load(store).await?;
    let calendar = crate::calendar::load(store).await?;
    let tz = crate::zone::installation(store).await?;
    let n: u32 = crate::settings::get(store, PACK_WORKDAYS).await?.parse().unwrap_or(2);
    let horizon = calendar.add_workdays(as_of, n).value;
    let due: Vec<i64> = board
        .meetings
        .values()
        .filter(|m| matches!(m.state, State::Scheduled | State::Invited) && m.pack.is_none())
        .filter(|m| {
            let day = crate::zone::local_date(&tz, m.starts_at);
            day >= as_of && day <= horizon
        })
        .map(|m| m.id)
        .collect();
    for id in &due {
        make_pack(store, ctx, *id).await?;
    }
    let new_due = calendar.add_workdays(as_of, ESCALATE_WORKDAYS).value;
    let late: Vec<(Action, Option<serde_json::Value>)> = board
        .items
        .values()
        .filter(|i| i.overdue(as_of))
        .map(|i| (Action::Escalate { item: i.id, due: new_due, on: as_of }, None))
        .collect();
    let escalated = late.len();
    take_all(store, ctx, late, None).await?;
    Ok((due.len(), escalated))
}

/// A meeting's OParl 1.0 `Meeting` object with its agenda items embedded, under `base`
/// (the installation's address).
pub fn oparl(m: &Meeting, base: &str, tz: &jiff::tz::TimeZone) -> serde_json::Value {
    let base = base.trim_end_matches('/');
    let instant = |t: Timestamp| -> String {
        let off = crate::zone::offset(tz, t);
        let local = Timestamp(t.0 + off).to_string();
        let sign = if off < 0 { '-' } else { '+' };
        format!("{}{sign}{:02}:{:02}", local.trim_end_matches('Z'), off.abs() / 3600, off.abs() / 60 % 60)
    };
    let state = match m.state {
        State::Scheduled => "terminiert",
        State::Invited | State::Held => "eingeladen",
        State::MinutesApproved => "durchgeführt",
        State::Cancelled => "terminiert",
    };
    let url = format!("{base}/oparl/meeting/{}", m.id);
    let items: Vec<serde_json::Value> = m
        .agenda
        .iter()
        .map(|a| {
            let mut item = serde_json::json!({
                "id": format!("{base}/oparl/agendaitem/{}-{}", m.id, a.number),
                "type": "https://schema.oparl.org/1.0/AgendaItem",
                "meeting": url,
                "number": a.number.to_string(),
                "name": a.title,
                "public": a.public,
                "start": instant(m.starts_at),
            });
            if let Some(minute) = m.minutes.iter().find(|x| x.number == a.number) {
                let (result, text) = match &minute.outcome {
                    bw_core::meeting::Outcome::Information { note } => ("听取汇报".to_string(), note.clone()),
                    bw_core::meeting::Outcome::Decision { result, resolution } => (result.clone(), resolution.clone()),
                    bw_core::meeting::Outcome::Action { title, owner, follower, due, .. } => {
                        ("交办督办".to_string(), format!("{title}（承办：{owner}；督办：{follower}；期限：{due}）"))
                    }
                };
                item["result"] = serde_json::json!(result);
                if !text.is_empty() {
                    item["resolutionText"] = serde_json::json!(text);
                }
            }
            item
        })
        .collect();
    let mut out = serde_json::json!({
        "id": url,
        "type": "https://schema.oparl.org/1.0/Meeting",
        "name": m.title,
        "meetingState": state,
        "cancelled": m.state == State::Cancelled,
        "start": instant(m.starts_at),
        "end": instant(m.ends_at),
        "organization": [format!("{base}/oparl/organization/{}", m.kind.id())],
        "agendaItem": items,
        "keyword": [m.kind.zh(), m.kind.id()],
        "web": format!("{base}/meeting/{}", m.id),
    });
    if !m.location.is_empty() {
        out["location"] = serde_json::json!({
            "id": format!("{base}/oparl/location/meeting-{}", m.id),
            "type": "https://schema.oparl.org/1.0/Location",
            "description": m.location,
        });
    }
    if matches!(m.state, State::Held | State::MinutesApproved) {
        out["participant"] =
            serde_json::json!(m.present.iter().map(|p| format!("{base}/oparl/person/{p}")).collect::<Vec<_>>());
    }
    if let Some(p) = &m.pack {
        out["invitation"] = serde_json::json!({
            "id": format!("{base}/oparl/file/pack-{}", p.entry),
            "type": "https://schema.oparl.org/1.0/File",
            "name": "会议材料（议程包）",
            "fileName": format!("meeting-{}-pack.json", m.id),
            "mimeType": "application/json",
            "accessUrl": format!("{base}/api/v1/meetings/{}/pack", m.id),
        });
    }
    if m.state == State::MinutesApproved {
        out["resultsProtocol"] = serde_json::json!({
            "id": format!("{base}/oparl/file/minutes-{}", m.id),
            "type": "https://schema.oparl.org/1.0/File",
            "name": "会议纪要",
            "fileName": format!("meeting-{}-minutes.pdf", m.id),
            "mimeType": "application/pdf",
            "accessUrl": format!("{base}/meeting/{}/minutes.pdf", m.id),
        });
    }
    out
}

/// Signs meeting `id`'s minutes as `ctx.actor` with `signer` (the approver's own key).
pub async fn approve(store: &Store, ctx: &Ctx, signer: &Signer, id: i64) -> Result<i64, TakeError> {
    if signer.name() != ctx.actor.strip_prefix("user:").unwrap_or(&ctx.actor) {
        return Err(TakeError::Action(invalid(format!(
            "the signing key is {}'s, the actor {}",
            signer.name(),
            ctx.actor
        ))));
    }
    Ok(take_all(store, ctx, vec![(Action::Approve { id }, None)], Some(signer)).await?[0])
}

/// What the minutes record for an item, as the minutes read (in Chinese).
pub fn outcome_zh(o: &bw_core::meeting::Outcome) -> String {
    match o {
        bw_core::meeting::Outcome::Information { note } if note.is_empty() => "听取汇报".into(),
        bw_core::meeting::Outcome::Information { note } => format!("听取汇报：{note}"),
        bw_core::meeting::Outcome::Decision { result, resolution } => format!("决定：{result}。{resolution}"),
        bw_core::meeting::Outcome::Action { title, owner, follower, due, .. } => {
            format!("交办：{title}（承办 {owner}；督办 {follower}；期限 {due}）")
        }
    }
}

/// A meeting's minutes as a PDF table: each agenda item with its outcome, the meeting's
/// time (`when`, as people read it), place, chair, those present and who signed under the
/// title, the pack's digest at the foot.
pub fn minutes_pdf(m: &Meeting, when: &str, font: &[u8], index: u32) -> Result<Vec<u8>, bw_pdf::PdfError> {
    use bw_pdf::{Align, Column, Row, Table};
    let col = |h: &str, w: f32| Column { header: h.to_string(), weight: w, align: Align::Left };
    let rows = m
        .agenda
        .iter()
        .map(|a| {
            let outcome =
                m.minutes.iter().find(|x| x.number == a.number).map(|x| outcome_zh(&x.outcome)).unwrap_or_default();
            Row { cells: vec![a.number.to_string(), a.title.clone(), outcome], strong: false }
        })
        .collect();
    let signed = if m.approvals.is_empty() { "未签批".to_string() } else { m.approvals.join("、") };
    let table = Table {
        title: format!("{} 会议纪要", m.title),
        subtitle: format!(
            "{when} · {} · 主持：{} · 出席：{} · {}（签批：{signed}）",
            m.location,
            m.chair,
            m.present.join("、"),
            m.state.zh()
        ),
        columns: vec![col("序号", 0.6), col("议题", 4.0), col("结果", 8.0)],
        rows,
        footer: format!(
            "budgetwatch · 会议 {} · 议程包 SHA-256 {}",
            m.id,
            m.pack.as_ref().map(|p| p.sha256.as_str()).unwrap_or("—")
        ),
    };
    bw_pdf::table_pdf(font, index, &table)
}
