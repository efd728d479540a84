//! Meetings (chapter 10: monthly and quarterly analysis meetings, joint supervision, topics,
//! collective decisions, emergencies) and the action items their minutes give, followed to
//! closure. Pure: `Board::apply` is the one function the service and `verify` apply every
//! `meeting.*` and `action.*` entry with; the agenda pack's figures are the service's.
//!
//! A meeting goes scheduled → invited (its required roles covered) → held (who was present;
//! a collective decision needs its quorum) → minutes approved (the chair's signature, and
//! every agenda item with an outcome). An action item — an outcome of the minutes, with an
//! owner, a follower and a due date — goes open → done (with evidence, by its owner) →
//! verified, or returned (by its follower, never its owner); an overdue one is escalated
//! one level with a new due date; until verified it is on every later meeting's agenda.

use crate::{Date, Timestamp};
use std::collections::BTreeMap;

/// What a meeting is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    MonthlyAnalysis,
    QuarterlyAnalysis,
    JointSupervision,
    Topic,
    CollectiveDecision,
    Emergency,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::MonthlyAnalysis,
        Kind::QuarterlyAnalysis,
        Kind::JointSupervision,
        Kind::Topic,
        Kind::CollectiveDecision,
        Kind::Emergency,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Kind::MonthlyAnalysis => "monthly_analysis",
            Kind::QuarterlyAnalysis => "quarterly_analysis",
            Kind::JointSupervision => "joint_supervision",
            Kind::Topic => "topic",
            Kind::CollectiveDecision => "collective_decision",
            Kind::Emergency => "emergency",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Kind::MonthlyAnalysis => "月度分析会",
            Kind::QuarterlyAnalysis => "季度分析会",
            Kind::JointSupervision => "联席会议",
            Kind::Topic => "专题会",
            Kind::CollectiveDecision => "班子会议（三重一大）",
            Kind::Emergency => "应急会议",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.id() == s.trim() || k.zh() == s.trim())
    }

    /// The roles that must be among the invited, by default (settings may say otherwise):
    /// finance analyses with the departments; joint supervision is finance, audit and
    /// discipline together (财政、审计、纪检); a collective decision is the leadership's.
    pub fn default_roles(self) -> &'static [&'static str] {
        match self {
            Kind::MonthlyAnalysis => &["bureau_reviewer", "department_reviewer"],
            Kind::QuarterlyAnalysis => &["bureau_head", "bureau_reviewer", "department_reviewer"],
            Kind::JointSupervision => &["bureau_reviewer", "audit_discipline"],
            Kind::Topic => &["bureau_reviewer"],
            Kind::CollectiveDecision => &["bureau_head"],
            Kind::Emergency => &["bureau_head", "bureau_reviewer"],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Scheduled,
    Invited,
    Held,
    MinutesApproved,
    Cancelled,
}

impl State {
    pub fn id(self) -> &'static str {
        match self {
            State::Scheduled => "scheduled",
            State::Invited => "invited",
            State::Held => "held",
            State::MinutesApproved => "minutes_approved",
            State::Cancelled => "cancelled",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            State::Scheduled => "已排期",
            State::Invited => "已通知",
            State::Held => "已召开",
            State::MinutesApproved => "纪要已签批",
            State::Cancelled => "已取消",
        }
    }
}

/// An invited person and the roles they hold where the meeting's matters are.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Invitee {
    pub user: String,
    pub roles: Vec<String>,
}

/// One item of the agenda: generated from the pack (`source` names what it reports:
/// `execution`, `warnings`, `rectifications`, `emergencies`, `risks`, `deviations`,
/// `milestones`, or `action:ID` for an action item carried over), or added by hand (`manual`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgendaItem {
    pub number: u32,
    pub title: String,
    pub source: String,
    #[serde(default)]
    pub public: bool,
}

/// What the minutes record for an agenda item.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Heard, nothing decided.
    Information {
        #[serde(default)]
        note: String,
    },
    /// A decision: its result (adopted, rejected, deferred…) and the resolution's text.
    Decision { result: String, resolution: String },
    /// Something to do: who does it, who follows it up, by when, and what it concerns
    /// (`indicator`, `warning`, `project`, `risk`, `contract` or `unit`, with its code).
    Action {
        title: String,
        owner: String,
        follower: String,
        due: Date,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link_kind: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link_code: Option<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Minute {
    pub number: u32,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The agenda pack as the meeting keeps it: its digest, the entry that recorded it and when.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PackRef {
    pub sha256: String,
    pub entry: i64,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Meeting {
    pub id: i64,
    /// The first meeting of its series (itself when alone).
    pub series: i64,
    pub kind: Kind,
    pub title: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub location: String,
    /// What it reviews: `YYYY-MM` or `YYYY-Qn` (analysis meetings), or empty.
    pub period: String,
    pub chair: String,
    pub required_roles: Vec<String>,
    pub state: State,
    #[serde(default)]
    pub invited: Vec<Invitee>,
    #[serde(default)]
    pub present: Vec<String>,
    #[serde(default)]
    pub pack: Option<PackRef>,
    #[serde(default)]
    pub agenda: Vec<AgendaItem>,
    #[serde(default)]
    pub minutes: Vec<Minute>,
    #[serde(default)]
    pub recorded_by: String,
    #[serde(default)]
    pub approvals: Vec<String>,
    #[serde(default)]
    pub cancel_reason: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    Open,
    Done,
    Verified,
    Returned,
}

impl ItemState {
    pub fn id(self) -> &'static str {
        match self {
            ItemState::Open => "open",
            ItemState::Done => "done",
            ItemState::Verified => "verified",
            ItemState::Returned => "returned",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            ItemState::Open => "待办",
            ItemState::Done => "已完成待核实",
            ItemState::Verified => "已核实办结",
            ItemState::Returned => "已退回",
        }
    }

    /// Still to be done: on every later meeting's agenda.
    pub fn open(self) -> bool {
        matches!(self, ItemState::Open | ItemState::Returned)
    }
}

/// One step of an action item's history.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Step {
    pub at: Timestamp,
    pub by: String,
    pub what: String,
    #[serde(default)]
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ActionItem {
    /// The meeting's id × 100 + the agenda item's number.
    pub id: i64,
    pub meeting: i64,
    pub number: u32,
    pub title: String,
    pub owner: String,
    pub follower: String,
    pub due: Date,
    #[serde(default)]
    pub link_kind: Option<String>,
    #[serde(default)]
    pub link_code: Option<String>,
    pub state: ItemState,
    /// Times escalated for being overdue.
    pub level: u32,
    #[serde(default)]
    pub evidence: Vec<String>,
    #[serde(default)]
    pub history: Vec<Step>,
}

impl ActionItem {
    pub fn overdue(&self, today: Date) -> bool {
        self.state.open() && self.due < today
    }
}

/// Every state change of meetings and action items.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Action {
    Schedule {
        kind: Kind,
        title: String,
        starts_at: Timestamp,
        ends_at: Timestamp,
        #[serde(default)]
        location: String,
        #[serde(default)]
        period: String,
        chair: String,
        required_roles: Vec<String>,
        /// The series it continues (its first meeting), if any.
        #[serde(default)]
        series: Option<i64>,
    },
    Invite {
        id: i64,
        invitees: Vec<Invitee>,
    },
    /// The agenda pack generated: its digest and the agenda it gives.
    Pack {
        id: i64,
        sha256: String,
        agenda: Vec<AgendaItem>,
    },
    /// An item added to the agenda by hand.
    AddItem {
        id: i64,
        title: String,
        #[serde(default)]
        public: bool,
    },
    Hold {
        id: i64,
        present: Vec<String>,
    },
    Minutes {
        id: i64,
        minutes: Vec<Minute>,
    },
    /// An approver's signature on the minutes (the entry is sealed with it); the chair's
    /// approves them.
    Approve {
        id: i64,
    },
    Cancel {
        id: i64,
        reason: String,
    },
    /// The owner reports an action item done, with its evidence (SHA-256 of documents).
    Done {
        item: i64,
        evidence: Vec<String>,
        text: String,
    },
    /// The follower verifies it (`pass`) or returns it.
    Check {
        item: i64,
        pass: bool,
        text: String,
    },
    /// Overdue on `on` (the check's day): one level up, a new due date.
    Escalate {
        item: i64,
        due: Date,
        on: Date,
    },
}

impl Action {
    pub fn kind(&self) -> crate::action::Action {
        match self {
            Action::Schedule { .. } => crate::action::Action::MeetingSchedule,
            Action::Invite { .. } => crate::action::Action::MeetingInvite,
            Action::Pack { .. } => crate::action::Action::MeetingPack,
            Action::AddItem { .. } => crate::action::Action::MeetingAddItem,
            Action::Hold { .. } => crate::action::Action::MeetingHold,
            Action::Minutes { .. } => crate::action::Action::MeetingMinutes,
            Action::Approve { .. } => crate::action::Action::MeetingApprove,
            Action::Cancel { .. } => crate::action::Action::MeetingCancel,
            Action::Done { .. } => crate::action::Action::ActionDone,
            Action::Check { .. } => crate::action::Action::ActionCheck,
            Action::Escalate { .. } => crate::action::Action::ActionEscalate,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeetingError {
    #[error("no meeting {0}")]
    NoMeeting(i64),
    #[error("no action item {0}")]
    NoItem(i64),
    #[error("{0} is empty")]
    Empty(&'static str),
    #[error("the meeting ends before it starts")]
    EndsBeforeStart,
    #[error("meeting {0} is {1}: {2}")]
    WrongState(i64, &'static str, &'static str),
    #[error("no one invited holds {0}")]
    RolesMissing(String),
    #[error("the chair {0} is not invited")]
    ChairNotInvited(String),
    #[error("{0} was not invited")]
    NotInvited(String),
    #[error("{present} of {invited} members present; a collective decision needs {needed}")]
    QuorumNotMet { present: usize, invited: usize, needed: usize },
    #[error("agenda item {0} has no outcome in the minutes")]
    MinutesIncomplete(u32),
    #[error("the minutes give an outcome for item {0}, which is not on the agenda")]
    NotOnAgenda(u32),
    #[error("agenda item {0}: {1}")]
    BadOutcome(u32, String),
    #[error("{0} may not approve these minutes: only the chair and those present sign them")]
    NotAnApprover(String),
    #[error("{0} has already signed")]
    AlreadySigned(String),
    #[error("{0} follows up action item {1} and cannot also own it")]
    OwnerIsFollower(String, i64),
    #[error("only {0}, its owner, reports action item {1} done")]
    NotOwner(String, i64),
    #[error("only {0}, its follower, verifies or returns action item {1}")]
    NotFollower(String, i64),
    #[error("action item {0} is {1}")]
    ItemState(i64, &'static str),
    #[error("action item {0} is not overdue until after {1}")]
    NotOverdue(i64, Date),
    #[error("a done action item carries its evidence")]
    NoEvidence,
}

impl MeetingError {
    pub fn code(&self) -> &'static str {
        match self {
            MeetingError::NoMeeting(_) => "unknown_meeting",
            MeetingError::NoItem(_) => "unknown_action_item",
            MeetingError::Empty(_) => "meeting_field_empty",
            MeetingError::EndsBeforeStart => "meeting_ends_before_start",
            MeetingError::WrongState(..) => "meeting_state_invalid",
            MeetingError::RolesMissing(_) => "required_roles_missing",
            MeetingError::ChairNotInvited(_) => "chair_not_invited",
            MeetingError::NotInvited(_) => "not_invited",
            MeetingError::QuorumNotMet { .. } => "quorum_not_met",
            MeetingError::MinutesIncomplete(_) => "minutes_incomplete",
            MeetingError::NotOnAgenda(_) => "not_on_agenda",
            MeetingError::BadOutcome(..) => "outcome_invalid",
            MeetingError::NotAnApprover(_) => "not_an_approver",
            MeetingError::AlreadySigned(_) => "already_signed",
            MeetingError::OwnerIsFollower(..) => "owner_is_follower",
            MeetingError::NotOwner(..) => "not_the_owner",
            MeetingError::NotFollower(..) => "not_the_follower",
            MeetingError::ItemState(..) => "action_item_state_invalid",
            MeetingError::NotOverdue(..) => "action_item_not_overdue",
            MeetingError::NoEvidence => "action_evidence_missing",
        }
    }
}

/// Every meeting and action item, as the journal's actions left them.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Board {
    pub meetings: BTreeMap<i64, Meeting>,
    pub items: BTreeMap<i64, ActionItem>,
}

/// What an action changed: meetings and action items by id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changed {
    pub meetings: Vec<i64>,
    pub items: Vec<i64>,
}

/// A collective decision's quorum: two thirds of those invited, rounded up.
pub fn quorum(invited: usize) -> usize {
    (invited * 2).div_ceil(3)
}

fn person(actor: &str) -> &str {
    actor.strip_prefix("user:").unwrap_or(actor)
}

impl Board {
    fn meeting(&mut self, id: i64) -> Result<&mut Meeting, MeetingError> {
        self.meetings.get_mut(&id).ok_or(MeetingError::NoMeeting(id))
    }

    fn item(&mut self, id: i64) -> Result<&mut ActionItem, MeetingError> {
        self.items.get_mut(&id).ok_or(MeetingError::NoItem(id))
    }

    /// The action items still open (open or returned), oldest first: every meeting's pack
    /// carries them.
    pub fn open_items(&self) -> Vec<&ActionItem> {
        self.items.values().filter(|i| i.state.open()).collect()
    }

    /// Applies `action`, journaled at `idx` by `actor` at `at`; a refusal changes nothing.
    pub fn apply(&mut self, action: &Action, idx: i64, actor: &str, at: Timestamp) -> Result<Changed, MeetingError> {
        let who = person(actor).to_string();
        let state_is = |m: &Meeting, ok: &[State], doing: &'static str| -> Result<(), MeetingError> {
            if ok.contains(&m.state) { Ok(()) } else { Err(MeetingError::WrongState(m.id, m.state.id(), doing)) }
        };
        let mut changed = Changed::default();
        match action {
            Action::Schedule { kind, title, starts_at, ends_at, location, period, chair, required_roles, series } => {
                if title.trim().is_empty() {
                    return Err(MeetingError::Empty("title"));
                }
                if chair.trim().is_empty() {
                    return Err(MeetingError::Empty("chair"));
                }
                if ends_at.0 <= starts_at.0 {
                    return Err(MeetingError::EndsBeforeStart);
                }
                let series = match series {
                    Some(s) => self.meetings.get(s).map(|m| m.series).ok_or(MeetingError::NoMeeting(*s))?,
                    None => idx,
                };
                self.meetings.insert(
                    idx,
                    Meeting {
                        id: idx,
                        series,
                        kind: *kind,
                        title: title.trim().to_string(),
                        starts_at: *starts_at,
                        ends_at: *ends_at,
                        location: location.trim().to_string(),
                        period: period.trim().to_string(),
                        chair: chair.trim().to_string(),
                        required_roles: required_roles.clone(),
                        state: State::Scheduled,
                        invited: Vec::new(),
                        present: Vec::new(),
                        pack: None,
                        agenda: Vec::new(),
                        minutes: Vec::new(),
                        recorded_by: String::new(),
                        approvals: Vec::new(),
                        cancel_reason: String::new(),
                    },
                );
                changed.meetings.push(idx);
            }
            Action::Invite { id, invitees } => {
                let m = self.meeting(*id)?;
                state_is(m, &[State::Scheduled, State::Invited], "invitations are sent before it is held")?;
                if let Some(r) =
                    m.required_roles.iter().find(|r| !invitees.iter().any(|i| i.roles.iter().any(|x| x == *r)))
                {
                    return Err(MeetingError::RolesMissing(r.clone()));
                }
                if !invitees.iter().any(|i| i.user == m.chair) {
                    return Err(MeetingError::ChairNotInvited(m.chair.clone()));
                }
                m.invited = invitees.clone();
                m.state = State::Invited;
                changed.meetings.push(*id);
            }
            Action::Pack { id, sha256, agenda } => {
                let m = self.meeting(*id)?;
                state_is(m, &[State::Scheduled, State::Invited], "its pack is made before it is held")?;
                m.pack = Some(PackRef { sha256: sha256.clone(), entry: idx, at });
                // Items added by hand stay; the generated ones are replaced.
                let mut next: Vec<AgendaItem> = agenda.clone();
                let manual: Vec<AgendaItem> = m.agenda.iter().filter(|a| a.source == "manual").cloned().collect();
                for mut a in manual {
                    a.number = next.len() as u32 + 1;
                    next.push(a);
                }
                m.agenda = next;
                changed.meetings.push(*id);
            }
            Action::AddItem { id, title, public } => {
                let m = self.meeting(*id)?;
                state_is(m, &[State::Scheduled, State::Invited], "its agenda is set before it is held")?;
                if title.trim().is_empty() {
                    return Err(MeetingError::Empty("title"));
                }
                let number = m.agenda.len() as u32 + 1;
                m.agenda.push(AgendaItem {
                    number,
                    title: title.trim().into(),
                    source: "manual".into(),
                    public: *public,
                });
                changed.meetings.push(*id);
            }
            Action::Hold { id, present } => {
                let m = self.meeting(*id)?;
                state_is(m, &[State::Invited], "it is held after the invitations")?;
                if let Some(p) = present.iter().find(|p| !m.invited.iter().any(|i| &i.user == *p)) {
                    return Err(MeetingError::NotInvited(p.clone()));
                }
                if m.kind == Kind::CollectiveDecision && present.len() < quorum(m.invited.len()) {
                    return Err(MeetingError::QuorumNotMet {
                        present: present.len(),
                        invited: m.invited.len(),
                        needed: quorum(m.invited.len()),
                    });
                }
                m.present = present.clone();
                m.state = State::Held;
                changed.meetings.push(*id);
            }
            Action::Minutes { id, minutes } => {
                let m = self.meeting(*id)?;
                state_is(m, &[State::Held], "minutes are taken once it is held, before they are approved")?;
                for n in minutes.iter().map(|x| x.number) {
                    if !m.agenda.iter().any(|a| a.number == n) {
                        return Err(MeetingError::NotOnAgenda(n));
                    }
                }
                if let Some(a) = m.agenda.iter().find(|a| !minutes.iter().any(|x| x.number == a.number)) {
                    return Err(MeetingError::MinutesIncomplete(a.number));
                }
                let day = m.starts_at.date();
                for x in minutes {
                    match &x.outcome {
                        Outcome::Decision { result, resolution }
                            if result.trim().is_empty() || resolution.trim().is_empty() =>
                        {
                            return Err(MeetingError::BadOutcome(
                                x.number,
                                "a decision has its result and resolution".into(),
                            ));
                        }
                        Outcome::Action { title, owner, follower, due, .. } => {
                            if title.trim().is_empty() || owner.trim().is_empty() || follower.trim().is_empty() {
                                return Err(MeetingError::BadOutcome(
                                    x.number,
                                    "an action has its title, owner and follower".into(),
                                ));
                            }
                            if owner == follower {
                                return Err(MeetingError::OwnerIsFollower(
                                    owner.clone(),
                                    m.id * 100 + i64::from(x.number),
                                ));
                            }
                            if *due < day {
                                return Err(MeetingError::BadOutcome(
                                    x.number,
                                    format!("due {due}, before the meeting"),
                                ));
                            }
                        }
                        _ => {}
                    }
                }
                m.minutes = minutes.clone();
                m.recorded_by = who;
                m.approvals.clear();
                changed.meetings.push(*id);
            }
            Action::Approve { id } => {
                let m = self.meeting(*id)?;
                state_is(m, &[State::Held], "its minutes are approved once taken")?;
                if m.minutes.is_empty() && !m.agenda.is_empty() {
                    return Err(MeetingError::MinutesIncomplete(m.agenda[0].number));
                }
                if who != m.chair && !m.present.contains(&who) {
                    return Err(MeetingError::NotAnApprover(who));
                }
                if m.approvals.contains(&who) {
                    return Err(MeetingError::AlreadySigned(who));
                }
                m.approvals.push(who.clone());
                changed.meetings.push(*id);
                if who == m.chair {
                    m.state = State::MinutesApproved;
                    let (mid, minutes) = (m.id, m.minutes.clone());
                    for x in minutes {
                        let item_id = mid * 100 + i64::from(x.number);
                        if let Outcome::Action { title, owner, follower, due, link_kind, link_code } = x.outcome {
                            self.items.insert(
                                item_id,
                                ActionItem {
                                    id: item_id,
                                    meeting: mid,
                                    number: x.number,
                                    title,
                                    owner,
                                    follower,
                                    due,
                                    link_kind,
                                    link_code,
                                    state: ItemState::Open,
                                    level: 0,
                                    evidence: Vec::new(),
                                    history: vec![Step {
                                        at,
                                        by: who.clone(),
                                        what: "open".into(),
                                        text: String::new(),
                                    }],
                                },
                            );
                            changed.items.push(item_id);
                        }
                    }
                }
            }
            Action::Cancel { id, reason } => {
                let m = self.meeting(*id)?;
                state_is(m, &[State::Scheduled, State::Invited], "only a meeting not yet held is cancelled")?;
                if reason.trim().is_empty() {
                    return Err(MeetingError::Empty("reason"));
                }
                m.state = State::Cancelled;
                m.cancel_reason = reason.trim().to_string();
                changed.meetings.push(*id);
            }
            Action::Done { item, evidence, text } => {
                let i = self.item(*item)?;
                if !i.state.open() {
                    return Err(MeetingError::ItemState(*item, i.state.id()));
                }
                if who != i.owner {
                    return Err(MeetingError::NotOwner(i.owner.clone(), *item));
                }
                if evidence.is_empty() && text.trim().is_empty() {
                    return Err(MeetingError::NoEvidence);
                }
                i.evidence = evidence.clone();
                i.state = ItemState::Done;
                i.history.push(Step { at, by: who, what: "done".into(), text: text.trim().to_string() });
                changed.items.push(*item);
            }
            Action::Check { item, pass, text } => {
                let i = self.item(*item)?;
                if i.state != ItemState::Done {
                    return Err(MeetingError::ItemState(*item, i.state.id()));
                }
                if who != i.follower || who == i.owner {
                    return Err(MeetingError::NotFollower(i.follower.clone(), *item));
                }
                i.state = if *pass { ItemState::Verified } else { ItemState::Returned };
                let what = if *pass { "verified" } else { "returned" };
                i.history.push(Step { at, by: who, what: what.into(), text: text.trim().to_string() });
                changed.items.push(*item);
            }
            Action::Escalate { item, due, on } => {
                let i = self.item(*item)?;
                if !i.state.open() {
                    return Err(MeetingError::ItemState(*item, i.state.id()));
                }
                if i.due >= *on {
                    return Err(MeetingError::NotOverdue(*item, i.due));
                }
                if *due <= *on {
                    return Err(MeetingError::BadOutcome(i.number, format!("a new due date after today, not {due}")));
                }
                i.level += 1;
                i.history.push(Step { at, by: who, what: "escalated".into(), text: format!("{} → {due}", i.due) });
                i.due = *due;
                changed.items.push(*item);
            }
        }
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).expect("date")
    }

    fn t(s: &str) -> Timestamp {
        Timestamp(i64::from(d(s).days()) * 86_400 + 9 * 3600)
    }

    fn invitee(user: &str, roles: &[&str]) -> Invitee {
        Invitee { user: user.into(), roles: roles.iter().map(|r| r.to_string()).collect() }
    }

    fn schedule(b: &mut Board, kind: Kind, idx: i64) {
        let a = Action::Schedule {
            kind,
            title: "2026年3月预算执行分析会".into(),
            starts_at: t("2026-04-08"),
            ends_at: Timestamp(t("2026-04-08").0 + 7200),
            location: "三楼会议室".into(),
            period: "2026-03".into(),
            chair: "chief".into(),
            required_roles: kind.default_roles().iter().map(|r| r.to_string()).collect(),
            series: None,
        };
        b.apply(&a, idx, "user:clerk", t("2026-03-20")).expect("schedule");
    }

    #[test]
    fn a_meeting_runs_from_invitation_to_approved_minutes_and_its_actions_are_followed() {
        let mut b = Board::default();
        schedule(&mut b, Kind::MonthlyAnalysis, 10);
        // The required roles must be among the invited, and the chair too.
        let short = Action::Invite { id: 10, invitees: vec![invitee("chief", &["bureau_head", "bureau_reviewer"])] };
        assert_eq!(
            b.apply(&short, 11, "user:clerk", t("2026-03-21")).map_err(|e| e.code()),
            Err("required_roles_missing")
        );
        let invite = Action::Invite {
            id: 10,
            invitees: vec![
                invitee("chief", &["bureau_head", "bureau_reviewer"]),
                invitee("wang", &["department_reviewer"]),
            ],
        };
        b.apply(&invite, 11, "user:clerk", t("2026-03-21")).expect("invite");
        let agenda = vec![
            AgendaItem { number: 1, title: "预算执行情况".into(), source: "execution".into(), public: true },
            AgendaItem { number: 2, title: "逾期整改".into(), source: "rectifications".into(), public: false },
        ];
        b.apply(&Action::Pack { id: 10, sha256: "ab".into(), agenda }, 12, "system", t("2026-04-06")).expect("pack");
        // Minutes before it is held are refused; so are minutes missing an item.
        let info = Minute { number: 1, outcome: Outcome::Information { note: String::new() } };
        let act = Minute {
            number: 2,
            outcome: Outcome::Action {
                title: "督促整改".into(),
                owner: "wang".into(),
                follower: "chief".into(),
                due: d("2026-04-30"),
                link_kind: Some("unit".into()),
                link_code: Some("U1".into()),
            },
        };
        let minutes = Action::Minutes { id: 10, minutes: vec![info.clone(), act.clone()] };
        assert_eq!(
            b.apply(&minutes, 13, "user:clerk", t("2026-04-08")).map_err(|e| e.code()),
            Err("meeting_state_invalid")
        );
        b.apply(
            &Action::Hold { id: 10, present: vec!["chief".into(), "wang".into()] },
            13,
            "user:clerk",
            t("2026-04-08"),
        )
        .expect("held");
        let partial = Action::Minutes { id: 10, minutes: vec![info] };
        assert_eq!(
            b.apply(&partial, 14, "user:clerk", t("2026-04-08")).map_err(|e| e.code()),
            Err("minutes_incomplete")
        );
        b.apply(&minutes, 14, "user:clerk", t("2026-04-08")).expect("minutes");
        // Someone not present cannot sign; a participant's signature does not approve them,
        // the chair's does and opens the action item.
        assert_eq!(
            b.apply(&Action::Approve { id: 10 }, 15, "user:li", t("2026-04-09")).map_err(|e| e.code()),
            Err("not_an_approver")
        );
        b.apply(&Action::Approve { id: 10 }, 15, "user:wang", t("2026-04-09")).expect("sign");
        assert_eq!(b.meetings[&10].state, State::Held);
        b.apply(&Action::Approve { id: 10 }, 16, "user:chief", t("2026-04-09")).expect("approve");
        assert_eq!(b.meetings[&10].state, State::MinutesApproved);
        assert_eq!(b.open_items().iter().map(|i| i.id).collect::<Vec<_>>(), vec![1002]);
        // Overdue: escalated one level with a new due date; the follower cannot report it done.
        let late = t("2026-05-06");
        assert!(b.items[&1002].overdue(late.date()));
        b.apply(&Action::Escalate { item: 1002, due: d("2026-05-13"), on: late.date() }, 17, "system", late)
            .expect("escalate");
        assert_eq!((b.items[&1002].level, b.items[&1002].due), (1, d("2026-05-13")));
        let done = Action::Done { item: 1002, evidence: vec!["cd".into()], text: "已整改".into() };
        assert_eq!(b.apply(&done, 18, "user:chief", late).map_err(|e| e.code()), Err("not_the_owner"));
        b.apply(&done, 18, "user:wang", late).expect("done");
        // The owner cannot verify; the follower returns it, then it is done again and verified.
        let pass = Action::Check { item: 1002, pass: true, text: String::new() };
        assert_eq!(b.apply(&pass, 19, "user:wang", late).map_err(|e| e.code()), Err("not_the_follower"));
        b.apply(&Action::Check { item: 1002, pass: false, text: "材料不全".into() }, 19, "user:chief", late)
            .expect("return");
        assert_eq!(b.open_items().len(), 1, "a returned item is still on the agenda");
        b.apply(&done, 20, "user:wang", late).expect("done again");
        b.apply(&pass, 21, "user:chief", late).expect("verified");
        assert!(b.open_items().is_empty());
    }

    #[test]
    fn a_collective_decision_is_held_only_with_its_quorum() {
        let mut b = Board::default();
        schedule(&mut b, Kind::CollectiveDecision, 1);
        let members: Vec<Invitee> =
            ["chief", "a", "b", "c", "d", "e"].iter().map(|u| invitee(u, &["bureau_head"])).collect();
        b.apply(&Action::Invite { id: 1, invitees: members }, 2, "user:clerk", t("2026-04-01")).expect("invite");
        let three = Action::Hold { id: 1, present: vec!["chief".into(), "a".into(), "b".into()] };
        assert_eq!(b.apply(&three, 3, "user:clerk", t("2026-04-08")).map_err(|e| e.code()), Err("quorum_not_met"));
        let four = Action::Hold { id: 1, present: vec!["chief".into(), "a".into(), "b".into(), "c".into()] };
        b.apply(&four, 3, "user:clerk", t("2026-04-08")).expect("four of six");
        assert_eq!(quorum(6), 4);
        assert_eq!(quorum(7), 5);
    }

    #[test]
    fn an_action_is_never_owned_by_its_follower_nor_due_before_the_meeting() {
        let mut b = Board::default();
        schedule(&mut b, Kind::Topic, 1);
        b.apply(
            &Action::Invite { id: 1, invitees: vec![invitee("chief", &["bureau_reviewer"])] },
            2,
            "u",
            t("2026-04-01"),
        )
        .expect("invite");
        let agenda = vec![AgendaItem { number: 1, title: "专题".into(), source: "manual".into(), public: false }];
        b.apply(&Action::Pack { id: 1, sha256: "x".into(), agenda }, 3, "system", t("2026-04-06")).expect("pack");
        b.apply(&Action::Hold { id: 1, present: vec!["chief".into()] }, 4, "u", t("2026-04-08")).expect("held");
        let mk = |owner: &str, due: &str| Action::Minutes {
            id: 1,
            minutes: vec![Minute {
                number: 1,
                outcome: Outcome::Action {
                    title: "x".into(),
                    owner: owner.into(),
                    follower: "chief".into(),
                    due: d(due),
                    link_kind: None,
                    link_code: None,
                },
            }],
        };
        assert_eq!(
            b.apply(&mk("chief", "2026-05-01"), 5, "u", t("2026-04-08")).map_err(|e| e.code()),
            Err("owner_is_follower")
        );
        assert_eq!(
            b.apply(&mk("wang", "2026-04-01"), 5, "u", t("2026-04-08")).map_err(|e| e.code()),
            Err("outcome_invalid")
        );
        b.apply(&mk("wang", "2026-05-01"), 5, "u", t("2026-04-08")).expect("minutes");
    }
}
