//! Major matters (重大事项, chapter 10): where a matter is routed by its figures, and when a
//! collective decision (班子会议 · 三重一大) may be taken. Pure: the service keeps the matters,
//! the meetings and their journal; the thresholds are settings.
//!
//! Routing (a choice where the source gives the shape, docs/GOVERNANCE.md): the highest route
//! any test calls for — a collective decision when the amount is at least T2 or the matter
//! is in a 三重一大 category; the bureau head from T1; the department head when the spend
//! it brings is 10 % or more over the budget concerned, or it is a strategic change; the
//! unit's head otherwise. Money is compared in integer fen: exactly 10.00 % over routes up.

use crate::Money;
use std::collections::{BTreeMap, BTreeSet};

/// The warning a green-channel matter's written form not in by its day raises.
pub const WRITTEN_LATE: (&str, &str) = ("matter_written_late", "重大事项书面报告逾期");

/// The 三重一大 categories: a matter in one always goes to a collective decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 重大决策
    MajorDecision,
    /// 重要人事任免
    Appointment,
    /// 重大项目安排
    MajorProject,
    /// 大额资金使用
    LargeFunds,
}

impl Category {
    pub fn parse(s: &str) -> Option<Category> {
        match s.trim() {
            "major_decision" | "重大决策" => Some(Category::MajorDecision),
            "appointment" | "重要人事任免" => Some(Category::Appointment),
            "major_project" | "重大项目安排" => Some(Category::MajorProject),
            "large_funds" | "大额资金使用" => Some(Category::LargeFunds),
            _ => None,
        }
    }
}

/// Who decides a matter, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    UnitHead,
    DepartmentHead,
    BureauHead,
    CollectiveDecision,
}

/// The settings routing reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    /// Over the budget by this much or more (‰ of the budget) goes to the department head.
    pub over_budget_permille: i64,
    pub t1: Money,
    pub t2: Money,
}

/// A matter's figures as routing reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figures {
    /// The matter's own amount.
    pub amount: Money,
    /// The budget of the item concerned, and what would be spent on it with the matter.
    pub budget: Money,
    pub spend: Money,
    pub strategic: bool,
    pub category: Option<Category>,
}

/// Whether `spend` is `permille` ‰ or more over `budget`, in integer fen.
pub fn over_budget(spend: Money, budget: Money, permille: i64) -> bool {
    let (spend, budget) = (i128::from(spend.fen()), i128::from(budget.fen()));
    (spend - budget) * 1000 >= budget * i128::from(permille) && spend > budget
}

/// The route a matter takes: the highest any test calls for.
pub fn route(f: &Figures, t: &Thresholds) -> Route {
    if f.amount >= t.t2 || f.category.is_some() {
        Route::CollectiveDecision
    } else if f.amount >= t.t1 {
        Route::BureauHead
    } else if f.strategic || over_budget(f.spend, f.budget, t.over_budget_permille) {
        Route::DepartmentHead
    } else {
        Route::UnitHead
    }
}

/// A member's recorded opinion at a collective decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Opinion {
    For,
    Against,
    /// 缓议: to be taken up again.
    Defer,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CollectiveError {
    #[error("{present} of {members} members present: a collective decision needs {needed}")]
    QuorumNotMet { present: usize, members: usize, needed: usize },
    #[error("no recorded opinion of {0:?}: every member present gives one before the decision")]
    OpinionsMissing(Vec<String>),
    #[error("{0} is not a member of the meeting")]
    NotAMember(String),
}

impl CollectiveError {
    pub fn code(&self) -> &'static str {
        match self {
            CollectiveError::QuorumNotMet { .. } => "quorum_not_met",
            CollectiveError::OpinionsMissing(_) => "opinions_missing",
            CollectiveError::NotAMember(_) => "not_a_member",
        }
    }
}

/// A collective decision: adopted when more than half of all the members (not only
/// those present) are for it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Decision {
    pub adopted: bool,
    pub for_: usize,
    pub against: usize,
    pub deferred: usize,
}

/// Decides at a collective meeting: refused without a quorum (at least `quorum_thirds`
/// thirds of the members present, rounded up: 2 → two thirds) or without every present
/// member's opinion; an opinion from anyone not a member is refused too.
pub fn decide(
    members: &BTreeSet<String>,
    present: &BTreeSet<String>,
    opinions: &BTreeMap<String, Opinion>,
    quorum_thirds: usize,
) -> Result<Decision, CollectiveError> {
    if let Some(stranger) = present.iter().chain(opinions.keys()).find(|p| !members.contains(*p)) {
        return Err(CollectiveError::NotAMember(stranger.clone()));
    }
    let needed = (members.len() * quorum_thirds).div_ceil(3);
    if present.len() < needed || present.is_empty() {
        return Err(CollectiveError::QuorumNotMet { present: present.len(), members: members.len(), needed });
    }
    let missing: Vec<String> = present.iter().filter(|p| !opinions.contains_key(*p)).cloned().collect();
    if !missing.is_empty() {
        return Err(CollectiveError::OpinionsMissing(missing));
    }
    let count = |o: Opinion| opinions.iter().filter(|(who, v)| present.contains(*who) && **v == o).count();
    let for_ = count(Opinion::For);
    Ok(Decision {
        adopted: for_ * 2 > members.len(),
        for_,
        against: count(Opinion::Against),
        deferred: count(Opinion::Defer),
    })
}

/// The standard report form (重大事项报告单): background, financial impact, alternatives.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Report {
    pub background: String,
    pub financial_impact: String,
    pub alternatives: String,
}

impl Report {
    fn complete(&self) -> bool {
        [&self.background, &self.financial_impact, &self.alternatives].iter().all(|v| !v.trim().is_empty())
    }
}

impl Route {
    pub fn id(self) -> &'static str {
        match self {
            Route::UnitHead => "unit_head",
            Route::DepartmentHead => "department_head",
            Route::BureauHead => "bureau_head",
            Route::CollectiveDecision => "collective_decision",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Route::UnitHead => "单位负责人",
            Route::DepartmentHead => "主管部门负责人",
            Route::BureauHead => "财政局负责人",
            Route::CollectiveDecision => "班子会议集体决策",
        }
    }

    /// The role that decides a matter on this route (a collective decision is a meeting's).
    pub fn role(self) -> Option<&'static str> {
        match self {
            Route::UnitHead => Some("unit_head"),
            Route::DepartmentHead => Some("department_reviewer"),
            Route::BureauHead => Some("bureau_head"),
            Route::CollectiveDecision => None,
        }
    }
}

impl Category {
    pub const ALL: [Category; 4] =
        [Category::MajorDecision, Category::Appointment, Category::MajorProject, Category::LargeFunds];

    pub fn id(self) -> &'static str {
        match self {
            Category::MajorDecision => "major_decision",
            Category::Appointment => "appointment",
            Category::MajorProject => "major_project",
            Category::LargeFunds => "large_funds",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Category::MajorDecision => "重大决策",
            Category::Appointment => "重要人事任免",
            Category::MajorProject => "重大项目安排",
            Category::LargeFunds => "大额资金使用",
        }
    }
}

/// Thresholds as settings give them, kept with the matter so that its route can be checked
/// again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    pub over_budget_permille: i64,
    pub t1: Money,
    pub t2: Money,
}

impl From<Limits> for Thresholds {
    fn from(l: Limits) -> Thresholds {
        Thresholds { over_budget_permille: l.over_budget_permille, t1: l.t1, t2: l.t2 }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatterState {
    /// Reported orally through the green channel: the written form is due.
    OralReported,
    /// Reported with its form, awaiting the decision on its route.
    Routed,
    Adopted,
    Rejected,
    /// A collective decision deferred it (缓议) or did not adopt it yet: to be taken up again.
    Deferred,
}

impl MatterState {
    pub fn id(self) -> &'static str {
        match self {
            MatterState::OralReported => "oral_reported",
            MatterState::Routed => "routed",
            MatterState::Adopted => "adopted",
            MatterState::Rejected => "rejected",
            MatterState::Deferred => "deferred",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            MatterState::OralReported => "已口头报告，待书面报告",
            MatterState::Routed => "待决策",
            MatterState::Adopted => "已同意",
            MatterState::Rejected => "未同意",
            MatterState::Deferred => "缓议",
        }
    }
}

/// A major matter (重大事项).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Matter {
    pub id: i64,
    pub unit_code: String,
    pub title: String,
    pub category: Option<Category>,
    pub amount: Money,
    pub budget: Money,
    pub spend: Money,
    pub strategic: bool,
    pub limits: Limits,
    pub route: Route,
    pub state: MatterState,
    pub reported_by: String,
    pub reported_on: crate::Date,
    #[serde(default)]
    pub report: Option<Report>,
    /// The green channel: the oral report's summary, the written form's due day and when it
    /// came; audit is copied on every green-channel matter (抄送审计备案).
    #[serde(default)]
    pub oral: Option<String>,
    #[serde(default)]
    pub written_due: Option<crate::Date>,
    #[serde(default)]
    pub written_on: Option<crate::Date>,
    #[serde(default)]
    pub copied_to_audit: bool,
    #[serde(default)]
    pub decided_by: Option<String>,
    #[serde(default)]
    pub decided_on: Option<crate::Date>,
    #[serde(default)]
    pub decision_text: String,
    /// A collective decision: the meeting and the tally.
    #[serde(default)]
    pub meeting: Option<i64>,
    #[serde(default)]
    pub opinions: BTreeMap<String, Opinion>,
    #[serde(default)]
    pub tally: Option<Decision>,
}

impl Matter {
    /// The written form of a green-channel matter not in by its due day.
    pub fn written_late(&self, today: crate::Date) -> bool {
        match (self.written_due, self.written_on) {
            (Some(due), Some(on)) => on > due,
            (Some(due), None) => today > due,
            _ => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Facts {
    pub unit_code: String,
    pub title: String,
    #[serde(default)]
    pub category: Option<Category>,
    pub amount: Money,
    pub budget: Money,
    pub spend: Money,
    #[serde(default)]
    pub strategic: bool,
}

/// Every change to matters.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Action {
    /// Reported with the standard form; routed by `limits`.
    Submit { facts: Facts, report: Report, limits: Limits, on: crate::Date },
    /// The green channel: reported orally first; the written form due on `due` (one working
    /// day on); audit copied.
    Oral { facts: Facts, summary: String, limits: Limits, on: crate::Date, due: crate::Date },
    /// The written form of a green-channel matter.
    Written { id: i64, report: Report, on: crate::Date },
    /// The decision of the routed authority (not a collective one).
    Decide { id: i64, adopt: bool, text: String, on: crate::Date },
    /// A collective decision at a meeting: its members and those present, and every present
    /// member's opinion.
    Collective {
        id: i64,
        meeting: i64,
        members: Vec<String>,
        present: Vec<String>,
        opinions: BTreeMap<String, Opinion>,
        on: crate::Date,
    },
}

impl Action {
    pub fn kind(&self) -> crate::action::Action {
        match self {
            Action::Submit { .. } => crate::action::Action::MatterSubmit,
            Action::Oral { .. } => crate::action::Action::MatterOral,
            Action::Written { .. } => crate::action::Action::MatterWritten,
            Action::Decide { .. } => crate::action::Action::MatterDecide,
            Action::Collective { .. } => crate::action::Action::MatterCollective,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatterError {
    #[error("no matter {0}")]
    NoMatter(i64),
    #[error("{0} is empty")]
    Empty(&'static str),
    #[error("the report form needs its background, financial impact and alternatives")]
    ReportIncomplete,
    #[error("matter {0} is {1}: {2}")]
    WrongState(i64, &'static str, &'static str),
    #[error("matter {0} goes to {1}, not {2}")]
    WrongRoute(i64, &'static str, &'static str),
    #[error(transparent)]
    Collective(#[from] CollectiveError),
}

impl MatterError {
    pub fn code(&self) -> &'static str {
        match self {
            MatterError::NoMatter(_) => "unknown_matter",
            MatterError::Empty(_) => "matter_field_empty",
            MatterError::ReportIncomplete => "report_form_incomplete",
            MatterError::WrongState(..) => "matter_state_invalid",
            MatterError::WrongRoute(..) => "matter_route_invalid",
            MatterError::Collective(c) => c.code(),
        }
    }
}

/// Every matter, as the journal's actions left them.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Matters {
    pub matters: BTreeMap<i64, Matter>,
}

impl Matters {
    /// Applies `action`, journaled at `idx` by `actor`; a refusal changes nothing. The matter
    /// changed.
    pub fn apply(&mut self, action: &Action, idx: i64, actor: &str) -> Result<i64, MatterError> {
        let who = actor.strip_prefix("user:").unwrap_or(actor).to_string();
        let new = |facts: &Facts, limits: &Limits, on: crate::Date| -> Result<Matter, MatterError> {
            if facts.title.trim().is_empty() || facts.unit_code.trim().is_empty() {
                return Err(MatterError::Empty("title and unit"));
            }
            let figures = Figures {
                amount: facts.amount,
                budget: facts.budget,
                spend: facts.spend,
                strategic: facts.strategic,
                category: facts.category,
            };
            Ok(Matter {
                id: idx,
                unit_code: facts.unit_code.trim().into(),
                title: facts.title.trim().into(),
                category: facts.category,
                amount: facts.amount,
                budget: facts.budget,
                spend: facts.spend,
                strategic: facts.strategic,
                limits: *limits,
                route: route(&figures, &(*limits).into()),
                state: MatterState::Routed,
                reported_by: who.clone(),
                reported_on: on,
                report: None,
                oral: None,
                written_due: None,
                written_on: None,
                copied_to_audit: false,
                decided_by: None,
                decided_on: None,
                decision_text: String::new(),
                meeting: None,
                opinions: BTreeMap::new(),
                tally: None,
            })
        };
        match action {
            Action::Submit { facts, report, limits, on } => {
                if !report.complete() {
                    return Err(MatterError::ReportIncomplete);
                }
                let mut m = new(facts, limits, *on)?;
                m.report = Some(report.clone());
                self.matters.insert(idx, m);
                Ok(idx)
            }
            Action::Oral { facts, summary, limits, on, due } => {
                if summary.trim().is_empty() {
                    return Err(MatterError::Empty("the oral report's summary"));
                }
                let mut m = new(facts, limits, *on)?;
                m.state = MatterState::OralReported;
                m.oral = Some(summary.trim().into());
                m.written_due = Some(*due);
                m.copied_to_audit = true;
                self.matters.insert(idx, m);
                Ok(idx)
            }
            Action::Written { id, report, on } => {
                let m = self.matters.get_mut(id).ok_or(MatterError::NoMatter(*id))?;
                if m.state != MatterState::OralReported {
                    return Err(MatterError::WrongState(
                        *id,
                        m.state.id(),
                        "only an oral report awaits its written form",
                    ));
                }
                if !report.complete() {
                    return Err(MatterError::ReportIncomplete);
                }
                m.report = Some(report.clone());
                m.written_on = Some(*on);
                m.state = MatterState::Routed;
                Ok(*id)
            }
            Action::Decide { id, adopt, text, on } => {
                let m = self.matters.get_mut(id).ok_or(MatterError::NoMatter(*id))?;
                if !matches!(m.state, MatterState::Routed | MatterState::OralReported) {
                    return Err(MatterError::WrongState(*id, m.state.id(), "a matter is decided once"));
                }
                if m.route == Route::CollectiveDecision {
                    return Err(MatterError::WrongRoute(*id, m.route.id(), "a single decision-maker"));
                }
                m.state = if *adopt { MatterState::Adopted } else { MatterState::Rejected };
                m.decided_by = Some(who);
                m.decided_on = Some(*on);
                m.decision_text = text.trim().into();
                Ok(*id)
            }
            Action::Collective { id, meeting, members, present, opinions, on } => {
                let m = self.matters.get_mut(id).ok_or(MatterError::NoMatter(*id))?;
                if !matches!(m.state, MatterState::Routed | MatterState::OralReported | MatterState::Deferred) {
                    return Err(MatterError::WrongState(*id, m.state.id(), "a matter is decided once"));
                }
                if m.route != Route::CollectiveDecision {
                    return Err(MatterError::WrongRoute(*id, m.route.id(), "a collective decision"));
                }
                let members: BTreeSet<String> = members.iter().cloned().collect();
                let present: BTreeSet<String> = present.iter().cloned().collect();
                let tally = decide(&members, &present, opinions, 2)?;
                m.state = if tally.adopted {
                    MatterState::Adopted
                } else if tally.deferred > 0 {
                    MatterState::Deferred
                } else {
                    MatterState::Rejected
                };
                m.meeting = Some(*meeting);
                m.opinions = opinions.clone();
                m.tally = Some(tally);
                m.decided_by = Some(who);
                m.decided_on = Some(*on);
                Ok(*id)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> Thresholds {
        Thresholds { over_budget_permille: 100, t1: Money::from_fen(50_000_000), t2: Money::from_fen(500_000_000) }
    }

    fn figures(amount: i64, budget: i64, spend: i64) -> Figures {
        Figures {
            amount: Money::from_fen(amount),
            budget: Money::from_fen(budget),
            spend: Money::from_fen(spend),
            strategic: false,
            category: None,
        }
    }

    #[test]
    fn routes_at_exactly_ten_percent_and_at_t1_and_t2_in_fen() {
        // 10.00 % over 1,000,000.00 is 1,100,000.00: the department head; a fen less, the unit.
        assert_eq!(route(&figures(1, 100_000_000, 110_000_000), &t()), Route::DepartmentHead);
        assert_eq!(route(&figures(1, 100_000_000, 109_999_999), &t()), Route::UnitHead);
        // T1 and T2 exactly, and a fen below each.
        assert_eq!(route(&figures(50_000_000, 0, 0), &t()), Route::BureauHead);
        assert_eq!(route(&figures(49_999_999, 0, 0), &t()), Route::UnitHead);
        assert_eq!(route(&figures(500_000_000, 0, 0), &t()), Route::CollectiveDecision);
        assert_eq!(route(&figures(499_999_999, 0, 0), &t()), Route::BureauHead);
        // A strategic change, a 三重一大 category whatever its amount.
        let mut f = figures(1, 100, 100);
        f.strategic = true;
        assert_eq!(route(&f, &t()), Route::DepartmentHead);
        f.category = Category::parse("重要人事任免");
        assert_eq!(route(&f, &t()), Route::CollectiveDecision);
        // The highest route wins: over budget and above T1 is the bureau head's.
        assert_eq!(route(&figures(60_000_000, 100_000_000, 200_000_000), &t()), Route::BureauHead);
    }

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_collective_decision_needs_its_quorum_and_every_opinion() {
        let members = set(&["a", "b", "c", "d", "e", "f"]);
        let opinions = |v: &[(&str, Opinion)]| v.iter().map(|(w, o)| (w.to_string(), *o)).collect::<BTreeMap<_, _>>();
        // Two thirds of six is four: three present is not enough.
        let r = decide(&members, &set(&["a", "b", "c"]), &opinions(&[]), 2);
        assert_eq!(r.map_err(|e| e.code()), Err("quorum_not_met"));
        let present = set(&["a", "b", "c", "d"]);
        let r =
            decide(&members, &present, &opinions(&[("a", Opinion::For), ("b", Opinion::For), ("c", Opinion::For)]), 2);
        assert_eq!(r, Err(CollectiveError::OpinionsMissing(vec!["d".into()])));
        // Four for of six: adopted; three for of six (half, not more): not.
        let all_for = [("a", Opinion::For), ("b", Opinion::For), ("c", Opinion::For), ("d", Opinion::For)];
        assert_eq!(decide(&members, &present, &opinions(&all_for), 2).map(|r| r.adopted), Ok(true));
        let three = [("a", Opinion::For), ("b", Opinion::For), ("c", Opinion::For), ("d", Opinion::Defer)];
        assert_eq!(decide(&members, &present, &opinions(&three), 2).map(|r| (r.adopted, r.deferred)), Ok((false, 1)));
        let stranger = [("z", Opinion::For)];
        assert_eq!(decide(&members, &present, &opinions(&stranger), 2).map_err(|e| e.code()), Err("not_a_member"));
    }

    #[test]
    fn matters_are_routed_reported_through_the_green_channel_and_decided_where_they_belong() {
        let d = |s: &str| crate::Date::parse(s).expect("date");
        let limits =
            Limits { over_budget_permille: 100, t1: Money::from_fen(100_000_000), t2: Money::from_fen(500_000_000) };
        let facts = |amount: i64, spend: i64| Facts {
            unit_code: "U1".into(),
            title: "追加设备采购".into(),
            category: None,
            amount: Money::from_fen(amount),
            budget: Money::from_fen(1_000_000),
            spend: Money::from_fen(spend),
            strategic: false,
        };
        let report =
            Report {
                background: "设备老化".into(), financial_impact: "超预算10%".into(), alternatives: "租赁".into()
            };
        let mut m = Matters::default();
        let partial = Report { alternatives: String::new(), ..report.clone() };
        let bad = Action::Submit { facts: facts(10_000, 1_100_000), report: partial, limits, on: d("2026-03-02") };
        assert_eq!(m.apply(&bad, 1, "user:a").map_err(|e| e.code()), Err("report_form_incomplete"));
        // Exactly 10.00 % over: the department head.
        let ok =
            Action::Submit { facts: facts(10_000, 1_100_000), report: report.clone(), limits, on: d("2026-03-02") };
        m.apply(&ok, 1, "user:a").expect("submit");
        assert_eq!(m.matters[&1].route, Route::DepartmentHead);
        // The green channel: oral first, audit copied, the written form after; collective by amount.
        let oral = Action::Oral {
            facts: facts(600_000_000, 0),
            summary: "抢险工程先行启动".into(),
            limits,
            on: d("2026-03-02"),
            due: d("2026-03-03"),
        };
        m.apply(&oral, 2, "user:a").expect("oral");
        let g = &m.matters[&2];
        assert!(g.copied_to_audit && g.route == Route::CollectiveDecision && g.state == MatterState::OralReported);
        assert!(!g.written_late(d("2026-03-03")) && g.written_late(d("2026-03-04")));
        m.apply(&Action::Written { id: 2, report: report.clone(), on: d("2026-03-03") }, 3, "user:a").expect("written");
        let single = Action::Decide { id: 2, adopt: true, text: String::new(), on: d("2026-03-05") };
        assert_eq!(m.apply(&single, 4, "user:head").map_err(|e| e.code()), Err("matter_route_invalid"));
        let members: Vec<String> = ["a", "b", "c", "d", "e", "f"].iter().map(|s| s.to_string()).collect();
        let three: Vec<String> = members[..3].to_vec();
        let opinions: BTreeMap<String, Opinion> = three.iter().map(|p| (p.clone(), Opinion::For)).collect();
        let few = Action::Collective {
            id: 2,
            meeting: 9,
            members: members.clone(),
            present: three,
            opinions,
            on: d("2026-03-05"),
        };
        assert_eq!(m.apply(&few, 4, "user:head").map_err(|e| e.code()), Err("quorum_not_met"));
        let four: Vec<String> = members[..4].to_vec();
        let mut opinions: BTreeMap<String, Opinion> = four[..3].iter().map(|p| (p.clone(), Opinion::For)).collect();
        let missing = Action::Collective {
            id: 2,
            meeting: 9,
            members: members.clone(),
            present: four.clone(),
            opinions: opinions.clone(),
            on: d("2026-03-05"),
        };
        assert_eq!(m.apply(&missing, 4, "user:head").map_err(|e| e.code()), Err("opinions_missing"));
        opinions.insert("d".into(), Opinion::For);
        let full = Action::Collective { id: 2, meeting: 9, members, present: four, opinions, on: d("2026-03-05") };
        m.apply(&full, 4, "user:head").expect("decided");
        assert_eq!(m.matters[&2].state, MatterState::Adopted, "four of six members for it");
    }
}
