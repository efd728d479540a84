//! Budget preparation and approval (预算编制与审批), pure:
//! - the fiscal year's cycle: its stages in order and its mode (bottom-up or top-down);
//! - drafts as versions of a unit's indicator lines, compared line by line;
//! - top-down control totals a department's drafts may not exceed;
//! - approval workflows as data: the route an item takes (steps, the role that acts on each,
//!   steps run in parallel, more approvers above an amount threshold or for a strategic
//!   change, the lean route for small items), each step due 48 working hours after it opens,
//!   escalated to the next level up when the deadline passes; no one acts twice on an item,
//!   and whoever prepared it acts on none of its steps.
//!
//! The rules and their numbers are in docs/BUDGET.md.

use crate::access::Role;
use crate::calendar::WorkCalendar;
use crate::date::{Date, Timestamp};
use crate::money::Money;

/// How a year's budget is prepared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Units' drafts roll up (自下而上).
    BottomUp,
    /// Finance sets control totals per department first; drafts may not exceed them (自上而下).
    TopDown,
}

impl Mode {
    pub fn parse(s: &str) -> Result<Mode, String> {
        match s {
            "bottom_up" => Ok(Mode::BottomUp),
            "top_down" => Ok(Mode::TopDown),
            _ => Err(format!("{s:?}: the mode is bottom_up or top_down")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::BottomUp => "bottom_up",
            Mode::TopDown => "top_down",
        }
    }
}

/// The stages of a fiscal year's cycle, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// 01 research and targets: totals and priorities (control totals are set here).
    Research,
    /// Units prepare drafts.
    Preparation,
    /// Departments and finance consolidate the drafts.
    Consolidation,
    /// Management review.
    Review,
    /// Approval by the leadership or the people's congress.
    Approval,
    /// The approved budget is executed (and adjusted).
    Execution,
    /// Year-end closing, audit and review.
    YearEndReview,
}

impl Stage {
    pub const ALL: [Stage; 7] = [
        Stage::Research,
        Stage::Preparation,
        Stage::Consolidation,
        Stage::Review,
        Stage::Approval,
        Stage::Execution,
        Stage::YearEndReview,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Research => "research",
            Stage::Preparation => "preparation",
            Stage::Consolidation => "consolidation",
            Stage::Review => "review",
            Stage::Approval => "approval",
            Stage::Execution => "execution",
            Stage::YearEndReview => "year_end_review",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Stage::Research => "调研与目标",
            Stage::Preparation => "编制",
            Stage::Consolidation => "汇总",
            Stage::Review => "审核",
            Stage::Approval => "审批",
            Stage::Execution => "执行",
            Stage::YearEndReview => "年终审查",
        }
    }

    pub fn parse(s: &str) -> Result<Stage, String> {
        Stage::ALL.into_iter().find(|x| x.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Stage::ALL.iter().map(|x| x.as_str()).collect();
            format!("{s:?}: a stage is one of {}", names.join(", "))
        })
    }

    /// The stage after this one.
    pub fn next(self) -> Option<Stage> {
        Stage::ALL.iter().position(|x| *x == self).and_then(|i| Stage::ALL.get(i + 1)).copied()
    }

    /// Whether units may save and submit drafts.
    pub fn drafts_open(self) -> bool {
        matches!(self, Stage::Preparation | Stage::Consolidation | Stage::Review)
    }
}

/// One line of a draft: an indicator to be.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DraftLine {
    pub indicator_code: String,
    #[serde(default)]
    pub project_code: Option<String>,
    pub functional_code: String,
    pub economic_code: String,
    pub amount: Money,
}

/// A difference between two versions of a draft.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    Added { line: DraftLine },
    Removed { line: DraftLine },
    Changed { before: DraftLine, after: DraftLine },
}

/// What changed from `old` to `new`, by indicator code.
pub fn compare(old: &[DraftLine], new: &[DraftLine]) -> Vec<Change> {
    use std::collections::BTreeMap;
    let a: BTreeMap<&str, &DraftLine> = old.iter().map(|l| (l.indicator_code.as_str(), l)).collect();
    let b: BTreeMap<&str, &DraftLine> = new.iter().map(|l| (l.indicator_code.as_str(), l)).collect();
    let mut codes: Vec<&str> = a.keys().chain(b.keys()).copied().collect();
    codes.sort_unstable();
    codes.dedup();
    codes
        .into_iter()
        .filter_map(|c| match (a.get(c), b.get(c)) {
            (None, Some(n)) => Some(Change::Added { line: (*n).clone() }),
            (Some(o), None) => Some(Change::Removed { line: (*o).clone() }),
            (Some(o), Some(n)) if o != n => Some(Change::Changed { before: (*o).clone(), after: (*n).clone() }),
            _ => None,
        })
        .collect()
}

/// Checks a draft's lines: codes present and unique, amounts positive; the total.
pub fn check_lines(lines: &[DraftLine]) -> Result<Money, String> {
    if lines.is_empty() {
        return Err("a draft has at least one line".into());
    }
    let mut seen = std::collections::HashSet::new();
    let mut total = Money::ZERO;
    for (i, l) in lines.iter().enumerate() {
        let n = i + 1;
        if l.indicator_code.trim().is_empty() {
            return Err(format!("line {n}: indicator_code is empty"));
        }
        if !seen.insert(l.indicator_code.as_str()) {
            return Err(format!("line {n}: indicator {} appears twice", l.indicator_code));
        }
        if !l.amount.is_positive() {
            return Err(format!("line {n}: amount must be above zero, not {}", l.amount));
        }
        if l.amount > Money::RECORD_MAX {
            return Err(format!(
                "line {n}: amount {} is above the ceiling of {} yuan one record may carry",
                l.amount.grouped(),
                Money::RECORD_MAX.grouped()
            ));
        }
        if l.functional_code.trim().is_empty() || l.economic_code.trim().is_empty() {
            return Err(format!("line {n}: functional_code and economic_code are needed"));
        }
        total = total.checked_add(l.amount).map_err(|_| format!("line {n}: the total overflows"))?;
    }
    Ok(total)
}

/// Whether a department's drafts, with this one's total in place of its unit's previous one,
/// stay within the control total.
pub fn check_control(department: &str, drafts_total: Money, control: Money) -> Result<(), String> {
    if drafts_total.fen() > control.fen() {
        Err(format!(
            "the drafts of department {department} would total {drafts_total}, above its control total of {control} (by {})",
            Money::from_fen(drafts_total.fen() - control.fen())
        ))
    } else {
        Ok(())
    }
}

/// What an approval item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    /// A unit's draft budget for the year.
    Budget,
    /// A change to an approved budget (预算调整).
    Adjustment,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Budget => "budget",
            ItemKind::Adjustment => "adjustment",
        }
    }

    pub fn parse(s: &str) -> Result<ItemKind, String> {
        match s {
            "budget" => Ok(ItemKind::Budget),
            "adjustment" => Ok(ItemKind::Adjustment),
            _ => Err(format!("{s:?}: budget or adjustment")),
        }
    }
}

/// A step of a route: who acts (a role whose grant reaches the item's unit; `whole` — a grant
/// on the whole organisation), and its group: the steps of one group are open at once and
/// the next group opens when all of them are approved.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StepSpec {
    pub id: String,
    pub zh: String,
    pub role: Role,
    pub group: u32,
    #[serde(default)]
    pub whole: bool,
}

/// The numbers that choose a route, and the routes themselves.
#[derive(Clone, Debug)]
pub struct RouteParams {
    /// Below this amount an item takes the lean route (50,000.00 yuan).
    pub lean_below: Money,
    /// An adjustment moving more than this share of the original amount, in thousandths,
    /// goes up to the chief (100: 10 %).
    pub major_share_milli: i64,
    /// Hours a step has (working time).
    pub step_hours: u32,
    pub workflows: Workflows,
}

impl Default for RouteParams {
    fn default() -> Self {
        RouteParams {
            lean_below: Money::from_fen(5_000_000),
            major_share_milli: 100,
            step_hours: 48,
            workflows: Workflows::default(),
        }
    }
}

/// The route's name and steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub name: &'static str,
    pub steps: Vec<StepSpec>,
}

fn step(id: &str, zh: &str, role: Role, group: u32) -> StepSpec {
    StepSpec { id: id.into(), zh: zh.into(), role, group, whole: false }
}

/// The approval routes as data (审批流程): each route's steps — who acts, and in which
/// group (the steps of a group are open at once, the next group opens when all of them
/// are approved). Which route an item takes is chosen by its amount and share (`route`).
/// Finance may replace them; an item in review keeps the steps it started with.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workflows {
    pub lean: Vec<StepSpec>,
    pub standard: Vec<StepSpec>,
    pub major: Vec<StepSpec>,
    pub emergency: Vec<StepSpec>,
}

impl Default for Workflows {
    /// The source document's routes, the handler who prepares an item being the first level:
    /// - **lean**: the unit head, then finance filing — three levels with the handler
    ///   instead of five;
    /// - **standard**: the unit head; then the department's technical review and finance's
    ///   budget review at once (parallel); then the finance bureau head's approval;
    /// - **major**: the standard route and then the chief (a bureau head with a grant on the
    ///   whole organisation, not the one who approved before);
    /// - **emergency** (an adjustment drawn on the reserve fund, chapter 7): the finance
    ///   bureau's head on the whole organisation — the named approval authority — alone.
    fn default() -> Self {
        let standard = vec![
            step("unit_head", "单位负责人审核", Role::UnitHead, 1),
            step("technical_review", "主管部门技术审核", Role::DepartmentReviewer, 2),
            step("budget_review", "财政预算审核", Role::BureauReviewer, 2),
            step("finance_head", "财政局负责人审批", Role::BureauHead, 3),
        ];
        let mut major = standard.clone();
        major.push(StepSpec { whole: true, ..step("chief", "主要负责人审批", Role::BureauHead, 4) });
        Workflows {
            lean: vec![
                step("unit_head", "单位负责人审核", Role::UnitHead, 1),
                step("finance_filing", "财政备案", Role::BureauReviewer, 2),
            ],
            standard,
            major,
            emergency: vec![StepSpec {
                whole: true,
                ..step("finance_head", "财政局负责人审批（应急）", Role::BureauHead, 1)
            }],
        }
    }
}

impl Workflows {
    pub fn routes(&self) -> [(&'static str, &[StepSpec]); 4] {
        [("lean", &self.lean), ("standard", &self.standard), ("major", &self.major), ("emergency", &self.emergency)]
    }

    /// Refused, with the route and step named: a route without steps, a step without an
    /// id (lowercase letters, digits, `_`) or a name, an id twice in a route, group 0, a
    /// role that neither prepares nor approves budgets (or only verifies).
    pub fn check(&self) -> Result<(), String> {
        use crate::access::Permission;
        for (name, steps) in self.routes() {
            if steps.is_empty() {
                return Err(format!("route {name} has no steps"));
            }
            for (i, s) in steps.iter().enumerate() {
                let at = format!("route {name}, step {}", i + 1);
                if s.id.is_empty() || !s.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
                    return Err(format!("{at}: the id {:?} is lowercase letters, digits and _", s.id));
                }
                if s.zh.trim().is_empty() {
                    return Err(format!("{at} ({}): a name is needed", s.id));
                }
                if steps[..i].iter().any(|o| o.id == s.id) {
                    return Err(format!("{at}: the id {} appears twice", s.id));
                }
                if s.group == 0 {
                    return Err(format!("{at} ({}): groups count from 1", s.id));
                }
                let acts = s.role.has(Permission::ApproveBudget) || s.role.has(Permission::PrepareBudget);
                if !acts || s.role.verifies() {
                    return Err(format!("{at} ({}): the role {} does not act on budgets", s.id, s.role.id()));
                }
            }
        }
        Ok(())
    }
}

/// The route of an item of `amount` (an adjustment: the amount moved, against `original`):
/// **major** when strategic, or an adjustment of more than `major_share_milli` thousandths
/// of the original — whatever the amount; **lean** otherwise under `lean_below`; else
/// **standard**. The steps are the workflows' (`Workflows`).
pub fn route(kind: ItemKind, amount: Money, original: Money, strategic: bool, p: &RouteParams) -> Route {
    let moved = i128::from(amount.fen()).abs();
    // Exact: moved / original > share / 1000.
    let major = strategic
        || (kind == ItemKind::Adjustment
            && original.fen() != 0
            && moved * 1000 > i128::from(p.major_share_milli) * i128::from(original.fen()).abs());
    let w = &p.workflows;
    if major {
        Route { name: "major", steps: w.major.clone() }
    } else if moved < i128::from(p.lean_below.fen()).abs() {
        Route { name: "lean", steps: w.lean.clone() }
    } else {
        Route { name: "standard", steps: w.standard.clone() }
    }
}

/// The route of an emergency adjustment drawn on the reserve fund (chapter 7), due with the
/// emergency case's 72-hour plan deadline rather than in working time.
pub fn emergency_route(p: &RouteParams) -> Route {
    Route { name: "emergency", steps: p.workflows.emergency.clone() }
}

/// When a step opened at `at` is due: `hours` of working time later, counted in whole
/// working days (48 hours: two working days) at the same time of day; a step opened on a
/// day off starts its clock at the next working day's beginning.
pub fn due(at: Timestamp, hours: u32, calendar: &WorkCalendar) -> Timestamp {
    let days = hours.div_ceil(24);
    let date = at.date();
    let start_of = |d: Date| Timestamp(i64::from(d.days()) * 86_400);
    if calendar.is_workday(date).value {
        let end = calendar.add_workdays(date, days).value;
        Timestamp(start_of(end).0 + (at.0 - start_of(date).0))
    } else {
        // The next working day is day 1 of the clock; due at the end of day `days`.
        let first = calendar.add_workdays(date, 0).value;
        let last = if days > 1 { calendar.add_workdays(first, days - 1).value } else { first };
        Timestamp(start_of(last).0 + 86_400)
    }
}

/// The role an overdue step moves up to.
pub fn escalation_of(role: Role) -> Option<Role> {
    match role {
        Role::UnitHandler | Role::UnitFinance => Some(Role::UnitHead),
        Role::UnitHead => Some(Role::DepartmentReviewer),
        Role::DepartmentReviewer | Role::BureauReviewer => Some(Role::BureauHead),
        _ => None,
    }
}

/// The state of a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    Waiting,
    Open,
    Approved,
    Rejected,
}

/// A step of an item under way.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Step {
    pub spec: StepSpec,
    pub state: StepState,
    /// The role that acts now: the spec's, or where escalation moved it.
    pub role: Role,
    pub due: Option<Timestamp>,
    pub by: Option<String>,
    pub at: Option<Timestamp>,
    pub comment: String,
}

/// An item's decision on one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    pub fn parse(s: &str) -> Result<Decision, String> {
        match s {
            "approve" => Ok(Decision::Approve),
            "reject" => Ok(Decision::Reject),
            _ => Err(format!("{s:?}: approve or reject")),
        }
    }
}

/// Where the item stands after a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Other steps remain.
    Pending,
    /// Every step approved.
    Approved,
    /// A step rejected it: back to the preparer, who may submit a new version.
    Rejected,
}

/// The steps of `route`, the first group open from `at`.
pub fn start(route: &Route, at: Timestamp, hours: u32, calendar: &WorkCalendar) -> Vec<Step> {
    let first = route.steps.iter().map(|s| s.group).min().unwrap_or(0);
    route
        .steps
        .iter()
        .map(|s| {
            let open = s.group == first;
            Step {
                spec: s.clone(),
                state: if open { StepState::Open } else { StepState::Waiting },
                role: s.role,
                due: open.then(|| due(at, hours, calendar)),
                by: None,
                at: None,
                comment: String::new(),
            }
        })
        .collect()
}

/// The time of a decision and what its deadlines are counted with.
pub struct Clock<'a> {
    pub now: Timestamp,
    /// Working hours a step has.
    pub hours: u32,
    pub calendar: &'a WorkCalendar,
}

/// Who is acting: their name and the roles whose grants reach the item's unit (`whole`:
/// the roles granted on the whole organisation).
pub struct Actor<'a> {
    pub user: &'a str,
    pub roles: &'a [Role],
    pub whole: &'a [Role],
}

/// Whether `actor` may decide step `i` now, or why not: the step must be open, the actor
/// neither the preparer nor anyone who acted on the item, and holding the step's role.
/// Pages offer the decision form only where this holds.
pub fn may_decide(steps: &[Step], prepared_by: &str, i: usize, actor: &Actor) -> Result<(), String> {
    let step_id = &steps[i].spec.id;
    match steps[i].state {
        StepState::Open => {}
        StepState::Waiting => return Err(format!("step {step_id} is not open yet: earlier steps come first")),
        StepState::Approved | StepState::Rejected => return Err(format!("step {step_id} is already decided")),
    }
    if actor.user == prepared_by {
        return Err(format!("segregation of duties: {} prepared this item and cannot approve it", actor.user));
    }
    if let Some(s) = steps.iter().find(|s| s.by.as_deref() == Some(actor.user)) {
        return Err(format!("segregation of duties: {} already acted on this item ({})", actor.user, s.spec.id));
    }
    let role = steps[i].role;
    let holds = if steps[i].spec.whole { actor.whole.contains(&role) } else { actor.roles.contains(&role) };
    if !holds {
        let moved = if role != steps[i].spec.role {
            format!(" (escalated from {} when its deadline passed)", steps[i].spec.role.id())
        } else {
            String::new()
        };
        let place = if steps[i].spec.whole { " on the whole organisation" } else { "" };
        return Err(format!("step {step_id} needs the role {}{place}{moved}", role.id()));
    }
    Ok(())
}

/// `actor` decides step `step_id` at `now`; the steps move on (the next group opens when
/// one is approved in full). Refused, with the reason: a step not open (waiting, decided),
/// a role that is not the step's (or no longer, once escalation moved it), the preparer,
/// someone who already acted on the item.
pub fn decide(
    steps: &mut [Step],
    prepared_by: &str,
    step_id: &str,
    actor: &Actor,
    decision: Decision,
    comment: &str,
    clock: &Clock,
) -> Result<Outcome, String> {
    let (now, hours, calendar) = (clock.now, clock.hours, clock.calendar);
    let i = steps.iter().position(|s| s.spec.id == step_id).ok_or_else(|| format!("no step {step_id}"))?;
    may_decide(steps, prepared_by, i, actor)?;
    let s = &mut steps[i];
    s.state = if decision == Decision::Approve { StepState::Approved } else { StepState::Rejected };
    s.by = Some(actor.user.to_string());
    s.at = Some(now);
    s.comment = comment.to_string();
    if decision == Decision::Reject {
        for s in steps.iter_mut().filter(|s| matches!(s.state, StepState::Open | StepState::Waiting)) {
            s.state = StepState::Waiting;
            s.due = None;
        }
        return Ok(Outcome::Rejected);
    }
    let group = steps[i].spec.group;
    if steps.iter().any(|s| s.spec.group == group && s.state != StepState::Approved) {
        return Ok(Outcome::Pending);
    }
    match steps.iter().filter(|s| s.state == StepState::Waiting).map(|s| s.spec.group).min() {
        Some(next) => {
            for s in steps.iter_mut().filter(|s| s.spec.group == next) {
                s.state = StepState::Open;
                s.due = Some(due(now, hours, calendar));
            }
            Ok(Outcome::Pending)
        }
        None => Ok(Outcome::Approved),
    }
}

/// Open steps past their deadline at `now` move up one level (their clock starts again);
/// the ids moved, with the roles from and to.
pub fn escalate(steps: &mut [Step], now: Timestamp, hours: u32, calendar: &WorkCalendar) -> Vec<(String, Role, Role)> {
    let mut out = Vec::new();
    for s in steps.iter_mut().filter(|s| s.state == StepState::Open) {
        if let (Some(d), Some(up)) = (s.due, escalation_of(s.role))
            && now > d
        {
            out.push((s.spec.id.clone(), s.role, up));
            s.role = up;
            s.due = Some(due(now, hours, calendar));
        }
    }
    out
}

/// The project library's tiers (储备 → 已批复 → 执行中 → 已完成, any of them → 已退出): whether a
/// project may move from `from` to `to`.
pub fn may_move(from: crate::records::ProjectStatus, to: crate::records::ProjectStatus) -> Result<(), String> {
    use crate::records::ProjectStatus::*;
    let allowed: &[crate::records::ProjectStatus] = match from {
        Reserve => &[Approved, Retired],
        Approved => &[Executing, Retired],
        Executing => &[Completed, Retired],
        Completed => &[Retired],
        Retired => &[],
    };
    if allowed.contains(&to) {
        Ok(())
    } else {
        let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
        let next =
            if names.is_empty() { "nowhere: a retired project stays retired".to_string() } else { names.join(" or ") };
        let article = if matches!(from, Approved | Executing) { "an" } else { "a" };
        Err(format!("{article} {} project moves to {next}, not to {}", from.as_str(), to.as_str()))
    }
}

/// Whether an unused reserve project has passed its expiry date on `today` and leaves the
/// library.
pub fn expired(status: crate::records::ProjectStatus, expires_on: Option<Date>, today: Date) -> bool {
    status == crate::records::ProjectStatus::Reserve && expires_on.is_some_and(|d| d < today)
}

/// A project's maturity (成熟度) for the library: KPI targets set (40), a cost estimate
/// (30: a total amount above zero over a sound span of years), documents in the library
/// (30: feasibility study, plan, estimate basis).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Maturity {
    pub score: u32,
    pub kpis: bool,
    pub estimate: bool,
    pub documents: bool,
}

pub fn maturity(kpis: bool, total: Money, start_year: i32, end_year: i32, documents: bool) -> Maturity {
    let estimate = total.is_positive() && start_year <= end_year;
    let score = 40 * u32::from(kpis) + 30 * u32::from(estimate) + 30 * u32::from(documents);
    Maturity { score, kpis, estimate, documents }
}

/// A project's three-year rolling plan made in `year`: the year's own amount and the two
/// outer years'. The outer years start from what last year's plan said for them (or this
/// year's amount when there was none), scaled by this year's performance (`factor_pct`:
/// 100 kept, 90 cut, 0 suspended), and are zero past the project's last year.
pub fn roll(year: i32, current: Money, previous: [Option<Money>; 2], factor_pct: i64, end_year: i32) -> [Money; 3] {
    let scale = |m: Money| Money::from_fen(((i128::from(m.fen()) * i128::from(factor_pct) * 2 + 100) / 200) as i64);
    let outer = |i: usize| {
        let y = year + 1 + i as i32;
        if y > end_year { Money::ZERO } else { scale(previous[i].unwrap_or(current)) }
    };
    [current, outer(0), outer(1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yuan(s: &str) -> Money {
        Money::parse_yuan(s).unwrap()
    }

    fn line(code: &str, amount: &str) -> DraftLine {
        DraftLine {
            indicator_code: code.into(),
            project_code: None,
            functional_code: "2050203".into(),
            economic_code: "30201".into(),
            amount: yuan(amount),
        }
    }

    fn at(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn plans_roll_forward_with_performance() {
        let m = |y: &str| yuan(y);
        // No earlier plan: the outer years start from this year's amount.
        assert_eq!(roll(2026, m("100.00"), [None, None], 100, 2030), [m("100.00"), m("100.00"), m("100.00")]);
        // Last year's plan for 2027 and 2028, cut 10 % for a 中 grade; the project ends in 2027.
        assert_eq!(
            roll(2026, m("100.00"), [Some(m("120.00")), Some(m("130.00"))], 90, 2027),
            [m("100.00"), m("108.00"), Money::ZERO]
        );
        assert_eq!(roll(2026, m("100.00"), [None, None], 0, 2030)[1], Money::ZERO, "suspended");
    }

    #[test]
    fn the_library_s_tiers_and_expiry() {
        use crate::records::ProjectStatus::*;
        assert!(may_move(Reserve, Approved).is_ok() && may_move(Executing, Completed).is_ok());
        assert_eq!(
            may_move(Reserve, Executing).unwrap_err(),
            "a reserve project moves to approved or retired, not to executing"
        );
        assert!(may_move(Retired, Reserve).unwrap_err().contains("stays retired"));
        let d = |s: &str| Date::parse(s).unwrap();
        assert!(expired(Reserve, Some(d("2026-12-31")), d("2027-01-01")));
        assert!(!expired(Reserve, Some(d("2026-12-31")), d("2026-12-31")), "the expiry day itself is still in");
        assert!(!expired(Approved, Some(d("2020-01-01")), d("2027-01-01")));
        assert_eq!(maturity(true, Money::from_fen(1), 2026, 2027, false).score, 70);
        assert_eq!(maturity(false, Money::ZERO, 2026, 2027, true).score, 30);
    }

    #[test]
    fn stages_go_forward_one_at_a_time() {
        assert_eq!(Stage::Research.next(), Some(Stage::Preparation));
        assert_eq!(Stage::Execution.next(), Some(Stage::YearEndReview));
        assert_eq!(Stage::YearEndReview.next(), None);
        assert_eq!(Stage::parse("approval").unwrap(), Stage::Approval);
        assert!(Stage::parse("done").unwrap_err().contains("research, preparation"));
        assert!(Stage::Preparation.drafts_open() && !Stage::Execution.drafts_open());
    }

    #[test]
    fn versions_compare_line_by_line() {
        let v1 = [line("A", "100.00"), line("B", "200.00"), line("C", "5.00")];
        let v2 = [line("A", "100.00"), line("B", "250.00"), line("D", "7.00")];
        let d = compare(&v1, &v2);
        assert_eq!(
            d,
            vec![
                Change::Changed { before: line("B", "200.00"), after: line("B", "250.00") },
                Change::Removed { line: line("C", "5.00") },
                Change::Added { line: line("D", "7.00") },
            ]
        );
        assert!(compare(&v2, &v2).is_empty());
    }

    #[test]
    fn lines_and_control_totals_are_checked() {
        assert_eq!(check_lines(&[line("A", "1.00"), line("B", "2.50")]).unwrap(), yuan("3.50"));
        assert!(check_lines(&[line("A", "1.00"), line("A", "2.00")]).unwrap_err().contains("appears twice"));
        assert!(check_lines(&[line("A", "0.00")]).unwrap_err().contains("above zero"));
        assert!(check_lines(&[]).is_err());
        assert!(check_control("D1", yuan("1000.00"), yuan("1000.00")).is_ok());
        let e = check_control("D1", yuan("1000.01"), yuan("1000.00")).unwrap_err();
        assert!(e.contains("above its control total of 1000.00 (by 0.01)"), "{e}");
    }

    #[test]
    fn routes_follow_amount_share_and_strategy() {
        let p = RouteParams::default();
        let ids = |r: &Route| r.steps.iter().map(|s| (s.id.clone(), s.group)).collect::<Vec<_>>();
        let lean = route(ItemKind::Adjustment, yuan("49999.99"), yuan("1000000.00"), false, &p);
        assert_eq!(lean.name, "lean");
        assert_eq!(ids(&lean), vec![("unit_head".into(), 1), ("finance_filing".into(), 2)]);
        // At the threshold the standard route: technical and budget review in parallel.
        let std = route(ItemKind::Adjustment, yuan("50000.00"), yuan("1000000.00"), false, &p);
        assert_eq!(std.name, "standard");
        assert_eq!(std.steps.iter().filter(|s| s.group == 2).count(), 2);
        assert_eq!(route(ItemKind::Adjustment, yuan("100000.00"), yuan("1000000.00"), false, &p).name, "standard");
        assert_eq!(route(ItemKind::Adjustment, yuan("100000.01"), yuan("1000000.00"), false, &p).name, "major");
        assert_eq!(route(ItemKind::Adjustment, yuan("-100000.01"), yuan("1000000.00"), false, &p).name, "major");
        assert_eq!(route(ItemKind::Adjustment, yuan("100.00"), yuan("1000000.00"), true, &p).name, "major");
        // A small sum that is a large share of a small indicator goes up, not the lean way.
        assert_eq!(route(ItemKind::Adjustment, yuan("5000.00"), yuan("20000.00"), false, &p).name, "major");
        assert_eq!(route(ItemKind::Adjustment, yuan("2000.00"), yuan("20000.00"), false, &p).name, "lean");
        assert_eq!(route(ItemKind::Budget, yuan("9000000.00"), Money::ZERO, false, &p).name, "standard");
        let major = route(ItemKind::Adjustment, yuan("200000.00"), yuan("1000000.00"), false, &p);
        assert!(major.steps.last().unwrap().whole);
    }

    #[test]
    fn workflows_are_data_checked_before_use() {
        let w = Workflows::default();
        assert!(w.check().is_ok());
        // A five-level lean route of the organisation's own.
        let mut mine = w.clone();
        mine.lean.push(step("director", "处长审核", Role::DepartmentReviewer, 3));
        let p = RouteParams { workflows: mine, ..RouteParams::default() };
        let r = route(ItemKind::Adjustment, yuan("100.00"), yuan("1000000.00"), false, &p);
        assert_eq!(r.steps.last().unwrap().id, "director");
        let broken = |f: &dyn Fn(&mut Workflows)| {
            let mut x = Workflows::default();
            f(&mut x);
            x.check().unwrap_err()
        };
        assert_eq!(broken(&|x| x.lean.clear()), "route lean has no steps");
        assert!(broken(&|x| x.standard[1].id = "unit_head".into()).contains("the id unit_head appears twice"));
        assert!(broken(&|x| x.major[0].group = 0).contains("groups count from 1"));
        assert!(broken(&|x| x.emergency[0].role = Role::Citizen).contains("role citizen does not act on budgets"));
        assert!(broken(&|x| x.lean[0].role = Role::AuditDiscipline).contains("does not act on budgets"));
        assert!(broken(&|x| x.lean[0].id = "Unit Head".into()).contains("lowercase"));
    }

    #[test]
    fn a_step_is_due_two_working_days_later() {
        let cal = WorkCalendar::shipped();
        // Thursday 2026-11-26 10:00 → Monday 2026-11-30 10:00 (the weekend does not count).
        assert_eq!(due(at("2026-11-26T10:00:00Z"), 48, &cal).to_string(), "2026-11-30T10:00:00Z");
        // Saturday: the clock starts Monday; due at the end of Tuesday.
        assert_eq!(due(at("2026-11-28T15:00:00Z"), 48, &cal).to_string(), "2026-12-02T00:00:00Z");
        // Over the 2026 National Day holiday (1–7 October off): from Wednesday 30 September,
        // day 1 is Thursday 8 October, day 2 Friday 9.
        assert_eq!(due(at("2026-09-30T09:00:00Z"), 48, &cal).to_string(), "2026-10-09T09:00:00Z");
        // Friday 9 October: the make-up Saturday 10 October is a working day.
        assert_eq!(due(at("2026-10-09T09:00:00Z"), 48, &cal).to_string(), "2026-10-12T09:00:00Z");
    }

    fn actor<'a>(user: &'a str, roles: &'a [Role]) -> Actor<'a> {
        Actor { user, roles, whole: roles }
    }

    #[test]
    fn steps_open_in_groups_and_refuse_the_wrong_people() {
        let cal = WorkCalendar::shipped();
        let p = RouteParams::default();
        let r = route(ItemKind::Adjustment, yuan("200000.00"), yuan("1000000.00"), false, &p);
        let t0 = at("2026-11-23T09:00:00Z");
        let mut s = start(&r, t0, 48, &cal);
        assert_eq!(s.iter().filter(|x| x.state == StepState::Open).count(), 1);
        let clock = Clock { now: t0, hours: 48, calendar: &cal };
        let go = |s: &mut Vec<Step>, id: &str, a: &Actor, d: Decision| decide(s, "li", id, a, d, "", &clock);
        // The preparer, a step not yet open, the wrong role.
        assert!(
            go(&mut s, "unit_head", &actor("li", &[Role::UnitHead]), Decision::Approve)
                .unwrap_err()
                .contains("prepared")
        );
        assert!(
            go(&mut s, "finance_head", &actor("zhao", &[Role::BureauHead]), Decision::Approve)
                .unwrap_err()
                .contains("not open")
        );
        assert!(
            go(&mut s, "unit_head", &actor("wang", &[Role::UnitHandler]), Decision::Approve)
                .unwrap_err()
                .contains("unit_head")
        );
        assert_eq!(go(&mut s, "unit_head", &actor("wang", &[Role::UnitHead]), Decision::Approve), Ok(Outcome::Pending));
        // Parallel: both reviews open at once; the head waits for both.
        assert_eq!(s.iter().filter(|x| x.state == StepState::Open).count(), 2);
        assert_eq!(
            go(&mut s, "budget_review", &actor("sun", &[Role::BureauReviewer]), Decision::Approve),
            Ok(Outcome::Pending)
        );
        assert_eq!(s.iter().find(|x| x.spec.id == "finance_head").unwrap().state, StepState::Waiting);
        // One person, one step.
        let twice = go(&mut s, "technical_review", &actor("sun", &[Role::DepartmentReviewer]), Decision::Approve);
        assert!(twice.unwrap_err().contains("already acted"));
        assert_eq!(
            go(&mut s, "technical_review", &actor("zhou", &[Role::DepartmentReviewer]), Decision::Approve),
            Ok(Outcome::Pending)
        );
        assert_eq!(
            go(&mut s, "finance_head", &actor("zhao", &[Role::BureauHead]), Decision::Approve),
            Ok(Outcome::Pending)
        );
        // The chief needs a grant on the whole organisation.
        let local = Actor { user: "qian", roles: &[Role::BureauHead], whole: &[] };
        assert!(go(&mut s, "chief", &local, Decision::Approve).unwrap_err().contains("whole organisation"));
        assert_eq!(go(&mut s, "chief", &actor("qian", &[Role::BureauHead]), Decision::Approve), Ok(Outcome::Approved));
    }

    #[test]
    fn a_rejection_ends_the_round_and_escalation_moves_a_late_step_up() {
        let cal = WorkCalendar::shipped();
        let p = RouteParams::default();
        let r = route(ItemKind::Budget, yuan("900000.00"), Money::ZERO, false, &p);
        let t0 = at("2026-11-23T09:00:00Z");
        let mut s = start(&r, t0, 48, &cal);
        // Not yet late on Wednesday morning; late on Wednesday afternoon.
        assert!(escalate(&mut s, at("2026-11-25T09:00:00Z"), 48, &cal).is_empty());
        let moved = escalate(&mut s, at("2026-11-25T09:00:01Z"), 48, &cal);
        assert_eq!(moved, vec![("unit_head".to_string(), Role::UnitHead, Role::DepartmentReviewer)]);
        let later = Clock { now: at("2026-11-25T10:00:00Z"), hours: 48, calendar: &cal };
        let e = decide(&mut s, "li", "unit_head", &actor("wang", &[Role::UnitHead]), Decision::Approve, "", &later);
        assert!(e.unwrap_err().contains("escalated from unit_head"));
        let zhou = actor("zhou", &[Role::DepartmentReviewer]);
        let ok = decide(&mut s, "li", "unit_head", &zhou, Decision::Reject, "缺测算依据", &later);
        assert_eq!(ok, Ok(Outcome::Rejected));
        assert!(s.iter().all(|x| x.state != StepState::Open));
    }
}
