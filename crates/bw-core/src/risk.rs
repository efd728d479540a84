//! The risk register (风险清单): risks with their category, scope, owner, cause → event →
//! consequence, inherent, current and residual likelihood × impact (1–5 each), a level from
//! the register's matrix, a treatment with response items, an acceptance and reviews due by
//! level. Pure: each journaled action is applied by `Register::apply`, which the writer and
//! `verify` both use, so the register's stored rows are spelled once.

use crate::Date;
use crate::calendar::WorkCalendar;

/// A risk's level, from likelihood × impact through the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Low,
    Medium,
    High,
}

impl Level {
    pub fn id(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Level::Low => "低",
            Level::Medium => "中",
            Level::High => "高",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "low" | "低" | "L" | "l" => Some(Level::Low),
            "medium" | "中" | "M" | "m" => Some(Level::Medium),
            "high" | "高" | "H" | "h" => Some(Level::High),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Revenue,
    Expenditure,
    External,
    Internal,
}

impl Category {
    pub const ALL: [Category; 4] = [Category::Revenue, Category::Expenditure, Category::External, Category::Internal];

    pub fn id(self) -> &'static str {
        match self {
            Category::Revenue => "revenue",
            Category::Expenditure => "expenditure",
            Category::External => "external",
            Category::Internal => "internal",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Category::Revenue => "收入风险",
            Category::Expenditure => "支出风险",
            Category::External => "外部风险",
            Category::Internal => "内部风险",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.id() == s || c.zh() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Treatment {
    Avoid,
    Reduce,
    Share,
    Accept,
}

impl Treatment {
    pub const ALL: [Treatment; 4] = [Treatment::Avoid, Treatment::Reduce, Treatment::Share, Treatment::Accept];

    pub fn id(self) -> &'static str {
        match self {
            Treatment::Avoid => "avoid",
            Treatment::Reduce => "reduce",
            Treatment::Share => "share",
            Treatment::Accept => "accept",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Treatment::Avoid => "规避",
            Treatment::Reduce => "降低",
            Treatment::Share => "分担",
            Treatment::Accept => "承受",
        }
    }

    pub fn parse(s: &str) -> Option<Treatment> {
        Treatment::ALL.into_iter().find(|t| t.id() == s || t.zh() == s)
    }
}

/// Likelihood and impact, each 1–5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rating {
    pub likelihood: u8,
    pub impact: u8,
}

impl Rating {
    pub fn new(likelihood: u8, impact: u8) -> Result<Rating, RiskError> {
        if !(1..=5).contains(&likelihood) || !(1..=5).contains(&impact) {
            return Err(RiskError::Rating(likelihood, impact));
        }
        Ok(Rating { likelihood, impact })
    }
}

/// The register's settings: the level of every (likelihood, impact) cell and the review
/// interval per level.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Matrix {
    /// `cells[likelihood − 1][impact − 1]`.
    pub cells: [[Level; 5]; 5],
    /// Days between reviews: high, medium, low.
    pub review_days: [u32; 3],
}

impl Default for Matrix {
    /// L·I ≥ 12 high, 5–11 medium, ≤ 4 low; reviews every 30, 90 and 180 days.
    fn default() -> Matrix {
        let mut cells = [[Level::Low; 5]; 5];
        for (l, row) in cells.iter_mut().enumerate() {
            for (i, cell) in row.iter_mut().enumerate() {
                let p = (l + 1) * (i + 1);
                *cell = if p >= 12 {
                    Level::High
                } else if p >= 5 {
                    Level::Medium
                } else {
                    Level::Low
                };
            }
        }
        Matrix { cells, review_days: [30, 90, 180] }
    }
}

impl Matrix {
    pub fn level(&self, r: Rating) -> Level {
        self.cells[usize::from(r.likelihood) - 1][usize::from(r.impact) - 1]
    }

    pub fn review_days(&self, level: Level) -> u32 {
        match level {
            Level::High => self.review_days[0],
            Level::Medium => self.review_days[1],
            Level::Low => self.review_days[2],
        }
    }

    /// Reads the cells as five rows (likelihood 1 to 5) of five levels (impact 1 to 5),
    /// each `H`/`M`/`L` or 高/中/低, rows separated by `/`: `LLLLM/LLMMM/…`.
    pub fn parse_cells(text: &str) -> Result<[[Level; 5]; 5], RiskError> {
        let rows: Vec<&str> = text.split('/').map(str::trim).collect();
        if rows.len() != 5 {
            return Err(RiskError::Matrix(format!("5 rows separated by /, not {}", rows.len())));
        }
        let mut cells = [[Level::Low; 5]; 5];
        for (l, row) in rows.iter().enumerate() {
            let levels: Vec<Level> = row
                .chars()
                .map(|c| Level::parse(&c.to_string()).ok_or_else(|| RiskError::Matrix(format!("not a level: {c}"))))
                .collect::<Result<_, _>>()?;
            if levels.len() != 5 {
                return Err(RiskError::Matrix(format!("row {}: 5 levels, not {}", l + 1, levels.len())));
            }
            cells[l].copy_from_slice(&levels);
        }
        Ok(cells)
    }
}

/// A response item of a treatment.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Response {
    pub what: String,
    pub owner: String,
    pub due: Date,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Acceptance {
    pub approver: String,
    pub until: Date,
    pub on: Date,
}

/// One risk as the register keeps it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Risk {
    /// The journal index of the entry that added it.
    pub id: i64,
    pub title: String,
    pub category: Category,
    /// What the risk is about: `region`, `department`, `unit`, `project` or `indicator`, and
    /// its code.
    pub scope_kind: String,
    pub scope_code: String,
    pub owner: String,
    pub cause: String,
    pub event: String,
    pub consequence: String,
    pub inherent: Rating,
    pub current: Rating,
    pub residual: Rating,
    /// The current rating's level through the register's matrix.
    pub level: Level,
    pub treatment: Option<Treatment>,
    pub responses: Vec<Response>,
    pub acceptance: Option<Acceptance>,
    pub added_on: Date,
    /// The last review (the day it was added until the first).
    pub reviewed_on: Date,
    /// Assessments and reviews, oldest first: day, what, the journal index.
    pub history: Vec<Event>,
    /// The day the risk's event happened (风险事件已发生), when it did.
    #[serde(default)]
    pub materialised: Option<Date>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Event {
    pub on: Date,
    pub what: String,
    pub idx: i64,
}

/// A journaled change of the register, as its entry's data.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Action {
    Add {
        title: String,
        category: Category,
        scope_kind: String,
        scope_code: String,
        owner: String,
        cause: String,
        event: String,
        consequence: String,
        inherent: Rating,
        current: Rating,
        residual: Rating,
        on: Date,
    },
    Assess {
        id: i64,
        current: Rating,
        residual: Option<Rating>,
        evidence: String,
        on: Date,
    },
    Treat {
        id: i64,
        treatment: Treatment,
        responses: Vec<Response>,
        on: Date,
    },
    Accept {
        id: i64,
        approver: String,
        until: Date,
        on: Date,
    },
    Review {
        id: i64,
        note: String,
        on: Date,
    },
    /// A new matrix: every risk re-levelled in the same step.
    Matrix {
        matrix: Matrix,
    },
    /// The risk's event has happened: an emergency case is opened with it.
    Materialise {
        id: i64,
        note: String,
        on: Date,
    },
    /// A key risk indicator calls for a risk the register does not hold: proposed for a
    /// reviewer to adopt or reject.
    Propose {
        title: String,
        category: Category,
        scope_kind: String,
        scope_code: String,
        likelihood: u8,
        evidence: String,
        on: Date,
    },
    /// A proposal adopted: the risk is added (its id this entry's index), rated at the
    /// proposed likelihood and the impact given.
    Adopt {
        id: i64,
        owner: String,
        impact: u8,
        on: Date,
    },
    /// A proposal rejected, with why.
    Reject {
        id: i64,
        note: String,
        on: Date,
    },
}

impl Action {
    /// The journal action's name.
    pub fn kind(&self) -> crate::action::Action {
        match self {
            Action::Add { .. } => crate::action::Action::RiskAdd,
            Action::Assess { .. } => crate::action::Action::RiskAssess,
            Action::Treat { .. } => crate::action::Action::RiskTreat,
            Action::Accept { .. } => crate::action::Action::RiskAccept,
            Action::Review { .. } => crate::action::Action::RiskReview,
            Action::Matrix { .. } => crate::action::Action::RiskMatrix,
            Action::Materialise { .. } => crate::action::Action::RiskMaterialise,
            Action::Propose { .. } => crate::action::Action::RiskPropose,
            Action::Adopt { .. } => crate::action::Action::RiskAdopt,
            Action::Reject { .. } => crate::action::Action::RiskReject,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RiskError {
    #[error("likelihood and impact are 1 to 5, not {0} and {1}")]
    Rating(u8, u8),
    #[error("no risk {0}")]
    Unknown(i64),
    #[error("the matrix: {0}")]
    Matrix(String),
    #[error("{0} is empty")]
    Empty(&'static str),
    #[error("scope {0}: region, department, unit, project or indicator")]
    Scope(String),
    #[error("treatment {0}: at least one response item")]
    NoResponse(&'static str),
    #[error("risk {0} is not treated by acceptance (承受)")]
    NotAccepting(i64),
    #[error("{0} owns risk {1} and cannot also approve its acceptance")]
    OwnerApproves(String, i64),
    #[error("the acceptance expires on {0}, not after {1}")]
    Expiry(Date, Date),
    #[error("a review on {0} is before the last, {1}")]
    ReviewBefore(Date, Date),
    #[error("risk {0} has already happened, on {1}")]
    AlreadyMaterialised(i64, Date),
    #[error("no open proposal {0}")]
    UnknownProposal(i64),
    #[error("proposal {0} was already {1}")]
    ProposalDecided(i64, &'static str),
}

impl RiskError {
    /// The refusal's stable code.
    pub fn code(&self) -> &'static str {
        match self {
            RiskError::Rating(..) => "risk_rating_out_of_range",
            RiskError::Unknown(_) => "unknown_risk",
            RiskError::Matrix(_) => "risk_matrix_invalid",
            RiskError::Empty(_) => "risk_field_empty",
            RiskError::Scope(_) => "risk_scope_invalid",
            RiskError::NoResponse(_) => "risk_treatment_without_response",
            RiskError::NotAccepting(_) => "risk_not_treated_by_acceptance",
            RiskError::OwnerApproves(..) => "risk_owner_cannot_accept",
            RiskError::Expiry(..) => "risk_acceptance_expiry_invalid",
            RiskError::ReviewBefore(..) => "risk_review_out_of_order",
            RiskError::AlreadyMaterialised(..) => "risk_already_materialised",
            RiskError::UnknownProposal(_) => "unknown_risk_proposal",
            RiskError::ProposalDecided(..) => "risk_proposal_decided",
        }
    }

    /// The general refusal code (`crate::refusal::Code`, docs/API.md) an API answer carries;
    /// `code` stays the precise one.
    pub fn refusal(&self) -> crate::refusal::Code {
        use crate::refusal::Code;
        match self {
            RiskError::Unknown(_) | RiskError::UnknownProposal(_) => Code::InvalidValue,
            RiskError::ProposalDecided(..) => Code::InvalidState,
            RiskError::Empty(_) | RiskError::NoResponse(_) => Code::MissingValue,
            RiskError::NotAccepting(_) | RiskError::ReviewBefore(..) | RiskError::AlreadyMaterialised(..) => {
                Code::InvalidState
            }
            RiskError::OwnerApproves(..) => Code::Forbidden,
            RiskError::Rating(..) | RiskError::Matrix(_) | RiskError::Scope(_) | RiskError::Expiry(..) => {
                Code::InvalidValue
            }
        }
    }

    /// The refusal as a Chinese page tells it.
    pub fn zh(&self) -> String {
        match self {
            RiskError::Rating(..) => "可能性和影响程度均须为 1 至 5。".into(),
            RiskError::Unknown(id) => format!("没有编号为 {id} 的风险。"),
            RiskError::Matrix(m) => format!("风险矩阵设置有误：{m}"),
            RiskError::Empty(what) => format!("请填写{}。", field_zh(what)),
            RiskError::Scope(_) => "风险对象须为地区、部门、单位、项目或指标。".into(),
            RiskError::NoResponse(_) => "除“承受”外，应对策略须至少列明一项应对措施。".into(),
            RiskError::NotAccepting(_) => "只有应对策略为“承受”的风险才能审批接受。".into(),
            RiskError::OwnerApproves(..) => "风险责任人不能审批接受自己负责的风险，须由他人审批。".into(),
            RiskError::Expiry(until, on) => format!("接受期限 {until} 须晚于今天（{on}）。"),
            RiskError::ReviewBefore(on, last) => format!("复核日期 {on} 早于上次复核（{last}）。"),
            RiskError::AlreadyMaterialised(_, on) => format!("该风险事件已于 {on} 登记发生。"),
            RiskError::UnknownProposal(id) => format!("没有编号为 {id} 的风险提议。"),
            RiskError::ProposalDecided(id, how) => {
                format!("风险提议 {id} 已{}。", if *how == "adopted" { "采纳" } else { "不予采纳" })
            }
        }
    }
}

fn field_zh(what: &str) -> &'static str {
    match what {
        "title" => "风险名称",
        "owner" => "责任人",
        "scope" => "风险对象",
        "event" => "风险事件",
        "evidence" => "评估依据",
        "approver" => "审批人",
        "a response" => "应对措施",
        "a response's owner" => "应对措施的责任人",
        "note" => "发生情况说明",
        "reason" => "不予采纳的理由",
        _ => "必填内容",
    }
}

/// The register: its matrix and its risks by id.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Register {
    pub matrix: Matrix,
    pub risks: std::collections::BTreeMap<i64, Risk>,
    /// Risks a key risk indicator proposed, by id (the journal index of the proposal).
    #[serde(default)]
    pub proposals: std::collections::BTreeMap<i64, Proposal>,
}

/// A risk a key risk indicator proposed, and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Proposal {
    pub id: i64,
    pub title: String,
    pub category: Category,
    pub scope_kind: String,
    pub scope_code: String,
    pub likelihood: u8,
    pub evidence: String,
    pub proposed_on: Date,
    /// `open`, `adopted` or `rejected`.
    pub state: String,
    /// The day it was decided, and the risk it became or why not.
    pub decided_on: Option<Date>,
    pub risk: Option<i64>,
    pub note: Option<String>,
}

impl Register {
    /// Applies `action`, journaled at index `idx`; the ids of the risks it changed (every
    /// risk for a new matrix). Nothing changes when it is refused.
    pub fn apply(&mut self, action: &Action, idx: i64) -> Result<Vec<i64>, RiskError> {
        let text = |what: &'static str, v: &str| -> Result<(), RiskError> {
            if v.trim().is_empty() { Err(RiskError::Empty(what)) } else { Ok(()) }
        };
        match action {
            Action::Add {
                title,
                category,
                scope_kind,
                scope_code,
                owner,
                cause,
                event,
                consequence,
                inherent,
                current,
                residual,
                on,
            } => {
                for (what, v) in [("title", title), ("owner", owner), ("scope", scope_code), ("event", event)] {
                    text(what, v)?;
                }
                if !["region", "department", "unit", "project", "indicator"].contains(&scope_kind.as_str()) {
                    return Err(RiskError::Scope(scope_kind.clone()));
                }
                for r in [inherent, current, residual] {
                    Rating::new(r.likelihood, r.impact)?;
                }
                let risk = Risk {
                    id: idx,
                    title: title.trim().into(),
                    category: *category,
                    scope_kind: scope_kind.clone(),
                    scope_code: scope_code.clone(),
                    owner: owner.clone(),
                    cause: cause.clone(),
                    event: event.clone(),
                    consequence: consequence.clone(),
                    inherent: *inherent,
                    current: *current,
                    residual: *residual,
                    level: self.matrix.level(*current),
                    treatment: None,
                    responses: Vec::new(),
                    acceptance: None,
                    added_on: *on,
                    reviewed_on: *on,
                    history: vec![Event { on: *on, what: "added".into(), idx }],
                    materialised: None,
                };
                self.risks.insert(idx, risk);
                Ok(vec![idx])
            }
            Action::Assess { id, current, residual, evidence, on } => {
                Rating::new(current.likelihood, current.impact)?;
                if let Some(r) = residual {
                    Rating::new(r.likelihood, r.impact)?;
                }
                text("evidence", evidence)?;
                let level = self.matrix.level(*current);
                let risk = self.risks.get_mut(id).ok_or(RiskError::Unknown(*id))?;
                risk.current = *current;
                if let Some(r) = residual {
                    risk.residual = *r;
                }
                risk.level = level;
                risk.history.push(Event {
                    on: *on,
                    what: format!("assessed {}×{}: {evidence}", current.likelihood, current.impact),
                    idx,
                });
                Ok(vec![*id])
            }
            Action::Treat { id, treatment, responses, on } => {
                for r in responses {
                    text("a response", &r.what)?;
                    text("a response's owner", &r.owner)?;
                }
                if *treatment != Treatment::Accept && responses.is_empty() {
                    return Err(RiskError::NoResponse(treatment.id()));
                }
                let risk = self.risks.get_mut(id).ok_or(RiskError::Unknown(*id))?;
                risk.treatment = Some(*treatment);
                risk.responses = responses.clone();
                if *treatment != Treatment::Accept {
                    risk.acceptance = None;
                }
                risk.history.push(Event { on: *on, what: format!("treatment {}", treatment.id()), idx });
                Ok(vec![*id])
            }
            Action::Accept { id, approver, until, on } => {
                text("approver", approver)?;
                let risk = self.risks.get_mut(id).ok_or(RiskError::Unknown(*id))?;
                if risk.treatment != Some(Treatment::Accept) {
                    return Err(RiskError::NotAccepting(*id));
                }
                if approver == &risk.owner {
                    return Err(RiskError::OwnerApproves(approver.clone(), *id));
                }
                if until <= on {
                    return Err(RiskError::Expiry(*until, *on));
                }
                risk.acceptance = Some(Acceptance { approver: approver.clone(), until: *until, on: *on });
                risk.history.push(Event { on: *on, what: format!("accepted by {approver} until {until}"), idx });
                Ok(vec![*id])
            }
            Action::Review { id, note, on } => {
                let risk = self.risks.get_mut(id).ok_or(RiskError::Unknown(*id))?;
                if *on < risk.reviewed_on {
                    return Err(RiskError::ReviewBefore(*on, risk.reviewed_on));
                }
                risk.reviewed_on = *on;
                risk.history.push(Event { on: *on, what: format!("reviewed: {note}"), idx });
                Ok(vec![*id])
            }
            Action::Materialise { id, note, on } => {
                text("note", note)?;
                let risk = self.risks.get_mut(id).ok_or(RiskError::Unknown(*id))?;
                if let Some(day) = risk.materialised {
                    return Err(RiskError::AlreadyMaterialised(*id, day));
                }
                risk.materialised = Some(*on);
                risk.history.push(Event { on: *on, what: format!("materialised: {note}"), idx });
                Ok(vec![*id])
            }
            Action::Propose { title, category, scope_kind, scope_code, likelihood, evidence, on } => {
                for (what, v) in [("title", title), ("scope", scope_code), ("evidence", evidence)] {
                    text(what, v)?;
                }
                if !["region", "department", "unit", "project", "indicator"].contains(&scope_kind.as_str()) {
                    return Err(RiskError::Scope(scope_kind.clone()));
                }
                Rating::new(*likelihood, 1)?;
                let p = Proposal {
                    id: idx,
                    title: title.trim().into(),
                    category: *category,
                    scope_kind: scope_kind.clone(),
                    scope_code: scope_code.clone(),
                    likelihood: *likelihood,
                    evidence: evidence.clone(),
                    proposed_on: *on,
                    state: "open".into(),
                    decided_on: None,
                    risk: None,
                    note: None,
                };
                self.proposals.insert(idx, p);
                Ok(vec![idx])
            }
            Action::Adopt { id, owner, impact, on } => {
                let p = self.open_proposal(*id)?.clone();
                let rating = Rating::new(p.likelihood, *impact)?;
                let add = Action::Add {
                    title: p.title.clone(),
                    category: p.category,
                    scope_kind: p.scope_kind.clone(),
                    scope_code: p.scope_code.clone(),
                    owner: owner.clone(),
                    cause: p.evidence.clone(),
                    event: p.title.clone(),
                    consequence: String::new(),
                    inherent: rating,
                    current: rating,
                    residual: rating,
                    on: *on,
                };
                let mut changed = self.apply(&add, idx)?;
                if let Some(p) = self.proposals.get_mut(id) {
                    (p.state, p.decided_on, p.risk) = ("adopted".into(), Some(*on), Some(idx));
                }
                changed.push(*id);
                Ok(changed)
            }
            Action::Reject { id, note, on } => {
                text("reason", note)?;
                self.open_proposal(*id)?;
                if let Some(p) = self.proposals.get_mut(id) {
                    (p.state, p.decided_on, p.note) = ("rejected".into(), Some(*on), Some(note.clone()));
                }
                Ok(vec![*id])
            }
            Action::Matrix { matrix } => {
                if matrix.review_days.iter().any(|d| !(1..=3660).contains(d)) {
                    return Err(RiskError::Matrix("review intervals are 1 to 3,660 days".into()));
                }
                self.matrix = matrix.clone();
                for risk in self.risks.values_mut() {
                    risk.level = matrix.level(risk.current);
                }
                Ok(self.risks.keys().copied().collect())
            }
        }
    }

    /// The proposal `id`, when it is still open.
    fn open_proposal(&self, id: i64) -> Result<&Proposal, RiskError> {
        let p = self.proposals.get(&id).ok_or(RiskError::UnknownProposal(id))?;
        match p.state.as_str() {
            "adopted" => Err(RiskError::ProposalDecided(id, "adopted")),
            "rejected" => Err(RiskError::ProposalDecided(id, "rejected")),
            _ => Ok(p),
        }
    }

    /// Whether a risk of `category` already covers `code` (its scope is the code or one of
    /// `above`, the code's ancestors), or a proposal of the year was already made for it.
    pub fn covers(&self, category: Category, code: &str, above: &[&str], year: i32) -> bool {
        self.risks
            .values()
            .any(|r| r.category == category && (r.scope_code == code || above.contains(&r.scope_code.as_str())))
            || self
                .proposals
                .values()
                .any(|p| p.category == category && p.scope_code == code && p.proposed_on.year() == year)
    }

    /// The day a risk's next review is due: the last review plus its level's interval, moved
    /// to the next working day when it falls on a rest day.
    pub fn review_due(&self, risk: &Risk, calendar: &WorkCalendar) -> Date {
        let days = self.matrix.review_days(risk.level);
        let day = risk.reviewed_on.add_days(i32::try_from(days).unwrap_or(i32::MAX));
        calendar.add_workdays(day, 0).value
    }

    /// Working days a risk's review is overdue on `today` (0 when it is not).
    pub fn overdue_workdays(&self, risk: &Risk, calendar: &WorkCalendar, today: Date) -> i64 {
        calendar.workdays_between(self.review_due(risk, calendar), today).max(0)
    }

    /// Counts of risks per (likelihood, impact) of their current rating: `[l − 1][i − 1]`.
    pub fn heatmap(&self) -> [[usize; 5]; 5] {
        let mut h = [[0; 5]; 5];
        for r in self.risks.values() {
            h[usize::from(r.current.likelihood) - 1][usize::from(r.current.impact) - 1] += 1;
        }
        h
    }
}

/// The likelihood the open warnings in a risk's scope imply at least (a key risk
/// indicator): 4 with a red warning open, 3 with two orange ones, none otherwise. A check
/// raises a risk's current likelihood to it; it never lowers one (that is a person's
/// assessment).
pub fn warning_floor(red: usize, orange: usize) -> Option<u8> {
    if red >= 1 {
        Some(4)
    } else if orange >= 2 {
        Some(3)
    } else {
        None
    }
}

/// The likelihood a region's revenue behind time implies at least: `completion` is the
/// year's revenue to date over its targets, `elapsed` the share of the year gone. 4 when it
/// lags by 15 points or more, 3 by 5 or more, none otherwise (and none without targets).
pub fn revenue_floor(completion: f64, elapsed: f64) -> Option<u8> {
    // In basis points, rounded: the boundaries are exact whatever the float on either side.
    let lag = ((elapsed - completion) * 10_000.0).round();
    if !lag.is_finite() {
        None
    } else if lag >= 1_500.0 {
        Some(4)
    } else if lag >= 500.0 {
        Some(3)
    } else {
        None
    }
}

/// The likelihood idle special funds imply at least: `idle` special-fund indicators in the
/// scope spent less than half of what the time gone would have them spend, holding `share`
/// of the scope's special funds. 4 when that is 30 % of them or more, 3 with any, none
/// otherwise.
pub fn idle_floor(idle: usize, share: f64) -> Option<u8> {
    match (idle, share) {
        (0, _) => None,
        (_, s) if s >= 0.3 => Some(4),
        _ => Some(3),
    }
}

/// The likelihood the year-end forecast implies at least (the early signals, advisory: they
/// move a risk's likelihood, never raise a warning): 4 when overspending the budget by more
/// than 10 % or executing less than 90 % of it has a probability of one half or more, 3
/// from one in five, none otherwise (and none without the probabilities, which need two
/// earlier years).
pub fn forecast_floor(p_overspend: Option<f64>, p_underexecution: Option<f64>) -> Option<u8> {
    probability_floor(p_overspend.into_iter().chain(p_underexecution).fold(f64::NAN, f64::max))
}

/// A probability's floor: 4 from one half, 3 from one in five, none below (or without one).
fn probability_floor(p: f64) -> Option<u8> {
    if p >= 0.5 {
        Some(4)
    } else if p >= 0.2 {
        Some(3)
    } else {
        None
    }
}

/// The rule of the warning an overdue risk review raises, and its name as users read it.
pub const REVIEW_OVERDUE: (&str, &str) = ("risk_review_overdue", "风险复核逾期");

/// The level of an overdue review's warning by the working days it is overdue: yellow up to
/// 4, orange from 5, red from 10 — it climbs as the delay grows, and the warning's own loop
/// escalates it further when its explanation is late.
pub fn review_overdue_level(workdays: i64) -> &'static str {
    match workdays {
        ..=4 => "yellow",
        5..=9 => "orange",
        _ => "red",
    }
}

/// The likelihood units scored below the audit's threshold imply at least (each has an open
/// special audit, 专项审计): 4 with one in the scope, none otherwise.
pub fn audit_floor(below: usize) -> Option<u8> {
    (below > 0).then_some(4)
}

/// The likelihood a simulated debt ratio (债务率) implies at least: `p_over` is the share of
/// a recorded Monte Carlo run's paths above its scenario's threshold in the worst year of
/// its horizon. 4 from one half, 3 from one in five, none otherwise.
pub fn debt_floor(p_over: f64) -> Option<u8> {
    probability_floor(p_over)
}

/// The assessment a key risk indicator calls for: the current rating with its likelihood
/// raised to `floor`, when it is lower.
pub fn raised(current: Rating, floor: Option<u8>) -> Option<Rating> {
    floor.filter(|f| *f > current.likelihood).map(|f| Rating { likelihood: f.min(5), impact: current.impact })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proposal_is_adopted_into_a_risk_or_rejected_once() {
        let mut reg = Register::default();
        let propose = |code: &str| Action::Propose {
            title: "江山县收入完成滞后于时间进度".into(),
            category: Category::Revenue,
            scope_kind: "region".into(),
            scope_code: code.into(),
            likelihood: 4,
            evidence: "收入完成 40.0%，时间进度 74.8%".into(),
            on: d("2026-09-30"),
        };
        assert_eq!(reg.apply(&propose("K1"), 10), Ok(vec![10]));
        assert_eq!(reg.apply(&propose("K2"), 11), Ok(vec![11]));
        assert!(reg.covers(Category::Revenue, "K1", &[], 2026), "proposed this year");
        assert!(!reg.covers(Category::Revenue, "K1", &[], 2027), "a new year may propose again");
        assert!(!reg.covers(Category::Expenditure, "K1", &[], 2026));
        let adopt = Action::Adopt { id: 10, owner: "张三".into(), impact: 3, on: d("2026-10-08") };
        assert_eq!(reg.apply(&adopt, 12), Ok(vec![12, 10]));
        let risk = reg.risks.get(&12).expect("adopted");
        assert_eq!((risk.current, risk.scope_code.as_str()), (Rating { likelihood: 4, impact: 3 }, "K1"));
        assert_eq!(risk.level, Level::High);
        assert_eq!(reg.proposals[&10].risk, Some(12));
        // A risk on the county's city covers the county.
        assert!(reg.covers(Category::Revenue, "K9", &["K1"], 2027));
        assert_eq!(reg.apply(&adopt, 13).map_err(|e| e.code()), Err("risk_proposal_decided"));
        let reject = Action::Reject { id: 11, note: "已列入县级风险统一管理".into(), on: d("2026-10-08") };
        assert_eq!(reg.apply(&reject, 14), Ok(vec![11]));
        assert_eq!(reg.proposals[&11].state, "rejected");
        assert_eq!(reg.apply(&reject, 15).map_err(|e| e.code()), Err("risk_proposal_decided"));
        let unknown = Action::Reject { id: 99, note: "x".into(), on: d("2026-10-08") };
        assert_eq!(reg.apply(&unknown, 16).map_err(|e| e.code()), Err("unknown_risk_proposal"));
        let empty = Action::Reject { id: 11, note: " ".into(), on: d("2026-10-08") };
        assert_eq!(reg.apply(&empty, 17).map_err(|e| e.zh()), Err("请填写不予采纳的理由。".into()));
    }

    #[test]
    fn an_overdue_review_climbs_by_working_days() {
        let levels: Vec<&str> = [1, 4, 5, 9, 10, 40].into_iter().map(review_overdue_level).collect();
        assert_eq!(levels, ["yellow", "yellow", "orange", "orange", "red", "red"]);
    }

    #[test]
    fn audit_and_debt_floors_at_their_boundaries() {
        assert_eq!(audit_floor(0), None);
        assert_eq!(audit_floor(1), Some(4));
        assert_eq!(debt_floor(0.199_999), None);
        assert_eq!(debt_floor(0.2), Some(3));
        assert_eq!(debt_floor(0.499_999), Some(3));
        assert_eq!(debt_floor(0.5), Some(4));
        assert_eq!(debt_floor(f64::NAN), None);
    }

    fn d(s: &str) -> Date {
        Date::parse(s).expect("date")
    }

    fn add(reg: &mut Register, idx: i64, l: u8, i: u8, owner: &str) {
        let r = Rating { likelihood: l, impact: i };
        reg.apply(
            &Action::Add {
                title: format!("risk {idx}"),
                category: Category::Revenue,
                scope_kind: "region".into(),
                scope_code: "990100".into(),
                owner: owner.into(),
                cause: "土地出让收入下滑".into(),
                event: "收入完成低于进度".into(),
                consequence: "支出压力".into(),
                inherent: r,
                current: r,
                residual: r,
                on: d("2025-03-03"),
            },
            idx,
        )
        .expect("add");
    }

    #[test]
    fn the_key_risk_indicators_floors_at_their_boundaries() {
        // Revenue: 15 and 5 points behind the year's time.
        assert_eq!(revenue_floor(0.35, 0.5), Some(4));
        assert_eq!(revenue_floor(0.36, 0.5), Some(3));
        assert_eq!(revenue_floor(0.45, 0.5), Some(3));
        assert_eq!(revenue_floor(0.46, 0.5), None);
        assert_eq!(revenue_floor(0.9, 0.5), None, "ahead of time");
        assert_eq!(revenue_floor(f64::NAN, 0.5), None, "no targets");
        // Idle special funds: any, and 30 % of them.
        assert_eq!((idle_floor(0, 0.9), idle_floor(1, 0.1), idle_floor(2, 0.3)), (None, Some(3), Some(4)));
        // The early signals: one in five, one half; none without probabilities.
        assert_eq!(forecast_floor(Some(0.19), Some(0.0)), None);
        assert_eq!(forecast_floor(Some(0.2), None), Some(3));
        assert_eq!(forecast_floor(None, Some(0.5)), Some(4));
        assert_eq!(forecast_floor(None, None), None);
    }

    #[test]
    fn open_warnings_raise_a_likelihood_and_never_lower_one() {
        let r = Rating { likelihood: 2, impact: 3 };
        assert_eq!(raised(r, warning_floor(1, 0)), Some(Rating { likelihood: 4, impact: 3 }));
        assert_eq!(raised(r, warning_floor(0, 2)), Some(Rating { likelihood: 3, impact: 3 }));
        assert_eq!(raised(r, warning_floor(0, 1)), None);
        assert_eq!(raised(Rating { likelihood: 5, impact: 1 }, warning_floor(3, 0)), None, "never lowered");
    }

    #[test]
    fn every_cell_of_the_default_matrix_has_its_level() {
        let m = Matrix::default();
        // Likelihood down, impact across: L·I ≥ 12 high, 5–11 medium, ≤ 4 low.
        let want = ["LLLLM", "LLMMM", "LMMHH", "LMHHH", "MMHHH"];
        for l in 1..=5u8 {
            for i in 1..=5u8 {
                let expected =
                    Level::parse(&want[usize::from(l) - 1][usize::from(i) - 1..usize::from(i)]).expect("level");
                assert_eq!(m.level(Rating { likelihood: l, impact: i }), expected, "({l}, {i})");
            }
        }
        assert_eq!(Matrix::parse_cells(&want.join("/")).expect("cells"), m.cells);
        assert!(Matrix::parse_cells("LLLLM/LLMMM").is_err());
        assert!(Rating::new(0, 3).is_err() && Rating::new(3, 6).is_err());
    }

    #[test]
    fn a_new_matrix_relevels_every_risk_in_one_step() {
        let mut reg = Register::default();
        add(&mut reg, 10, 2, 2, "a");
        add(&mut reg, 11, 3, 4, "a");
        assert_eq!((reg.risks[&10].level, reg.risks[&11].level), (Level::Low, Level::High));
        let strict =
            Matrix { cells: Matrix::parse_cells("LMMMM/MMMMH/MMHHH/MHHHH/HHHHH").expect("cells"), ..Matrix::default() };
        let changed = reg.apply(&Action::Matrix { matrix: strict }, 12).expect("matrix");
        assert_eq!(changed, [10, 11]);
        assert_eq!((reg.risks[&10].level, reg.risks[&11].level), (Level::Medium, Level::High));
    }

    #[test]
    fn acceptance_needs_another_approver_and_a_later_expiry() {
        let mut reg = Register::default();
        add(&mut reg, 10, 2, 2, "owner");
        let accept = |approver: &str, until: &str| Action::Accept {
            id: 10,
            approver: approver.into(),
            until: d(until),
            on: d("2025-04-01"),
        };
        assert!(reg.clone().apply(&accept("boss", "2025-12-31"), 11).is_err(), "not treated by acceptance");
        reg.apply(&Action::Treat { id: 10, treatment: Treatment::Accept, responses: vec![], on: d("2025-04-01") }, 11)
            .expect("treat");
        let before = reg.clone();
        assert!(reg.apply(&accept("owner", "2025-12-31"), 12).is_err());
        assert!(reg.apply(&accept("boss", "2025-03-31"), 12).is_err());
        assert_eq!(reg, before, "a refusal changes nothing");
        reg.apply(&accept("boss", "2025-12-31"), 12).expect("accept");
        assert_eq!(reg.risks[&10].acceptance.as_ref().map(|a| a.approver.as_str()), Some("boss"));
        assert!(matches!(
            reg.apply(&Action::Review { id: 99, note: String::new(), on: d("2025-05-01") }, 13),
            Err(RiskError::Unknown(99))
        ));
    }

    #[test]
    fn a_review_falls_due_on_a_working_day_and_is_overdue_in_working_days() {
        let cal = WorkCalendar::shipped();
        // 2025: National Day holiday 1–8 October, make-up working days 28 September and
        // 11 October (State Council announcement).
        let mut reg = Register::default();
        add(&mut reg, 10, 4, 4, "a"); // high: every 30 days
        let mut risk = reg.risks[&10].clone();
        risk.reviewed_on = d("2025-09-01"); // + 30 = 1 October, a holiday
        assert_eq!(reg.review_due(&risk, &cal), d("2025-10-09"));
        assert_eq!(reg.overdue_workdays(&risk, &cal, d("2025-10-09")), 0, "due that day: not yet overdue");
        assert_eq!(reg.overdue_workdays(&risk, &cal, d("2025-10-11")), 2, "10 October and the make-up Saturday");
        risk.reviewed_on = d("2025-08-29"); // + 30 = 28 September, a make-up working Sunday
        assert_eq!(reg.review_due(&risk, &cal), d("2025-09-28"));
    }
}
