//! Post-incident reviews (复盘, chapters 7 and 14): the rules of their improvement plans and
//! of the case knowledge base that are fixed by the source. Pure: the service keeps the
//! reviews, plans and cases.
//!
//! - An improvement plan is accepted between 3 and 6 calendar months after its approval
//!   (the same day of the month, clamped to the month's last day: approved 31 January,
//!   accepted from 30 April to 31 July).
//! - The same unit repeating the same cause within 3 years is a repeat (屡审屡犯).

use crate::Date;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("an improvement plan approved on {approved} is accepted from {from} to {to}, not on {on}")]
    AcceptanceOutsideWindow { approved: Date, on: Date, from: Date, to: Date },
    #[error("no review {0}")]
    NoReview(i64),
    #[error("review {0} is {1}: {2}")]
    WrongState(i64, &'static str, &'static str),
    #[error("{0} is empty")]
    Empty(&'static str),
    #[error("a plan item {0}: {1}")]
    BadItem(u32, String),
    #[error("the acceptance gives no value for plan item {0}")]
    MissingValue(u32),
    #[error("a review of {0} is already open")]
    AlreadyOpen(String),
}

impl ReviewError {
    pub fn code(&self) -> &'static str {
        match self {
            ReviewError::AcceptanceOutsideWindow { .. } => "acceptance_outside_window",
            ReviewError::NoReview(_) => "unknown_review",
            ReviewError::WrongState(..) => "review_state_invalid",
            ReviewError::Empty(_) => "review_field_empty",
            ReviewError::BadItem(..) => "plan_item_invalid",
            ReviewError::MissingValue(_) => "acceptance_value_missing",
            ReviewError::AlreadyOpen(_) => "review_already_open",
        }
    }
}

/// A classified cause (原因分类): what the knowledge base and the repeat test compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// 预算编制不实
    InaccurateBudget,
    /// 执行进度滞后
    SlowExecution,
    /// 超预算支出
    Overspending,
    /// 规避政府采购
    ProcurementEvasion,
    /// 违规支付
    IrregularPayment,
    /// 收入短收
    RevenueShortfall,
    /// 资金闲置
    IdleFunds,
    /// 内控缺失
    WeakControl,
    /// 其他
    Other,
}

impl Cause {
    pub const ALL: [Cause; 9] = [
        Cause::InaccurateBudget,
        Cause::SlowExecution,
        Cause::Overspending,
        Cause::ProcurementEvasion,
        Cause::IrregularPayment,
        Cause::RevenueShortfall,
        Cause::IdleFunds,
        Cause::WeakControl,
        Cause::Other,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Cause::InaccurateBudget => "inaccurate_budget",
            Cause::SlowExecution => "slow_execution",
            Cause::Overspending => "overspending",
            Cause::ProcurementEvasion => "procurement_evasion",
            Cause::IrregularPayment => "irregular_payment",
            Cause::RevenueShortfall => "revenue_shortfall",
            Cause::IdleFunds => "idle_funds",
            Cause::WeakControl => "weak_control",
            Cause::Other => "other",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Cause::InaccurateBudget => "预算编制不实",
            Cause::SlowExecution => "执行进度滞后",
            Cause::Overspending => "超预算支出",
            Cause::ProcurementEvasion => "规避政府采购",
            Cause::IrregularPayment => "违规支付",
            Cause::RevenueShortfall => "收入短收",
            Cause::IdleFunds => "资金闲置",
            Cause::WeakControl => "内控缺失",
            Cause::Other => "其他",
        }
    }

    pub fn parse(s: &str) -> Option<Cause> {
        Cause::ALL.into_iter().find(|c| c.id() == s.trim() || c.zh() == s.trim())
    }

    /// The cause a warning of `rule` is classified under when it is archived as a case.
    pub fn for_rule(rule: &str) -> Cause {
        match rule {
            "over_budget" | "sangong_over" | "overspend" => Cause::Overspending,
            "behind_schedule" | "stagnant" => Cause::SlowExecution,
            "ahead_of_schedule" | "year_end_rush" => Cause::InaccurateBudget,
            "split_purchase" => Cause::ProcurementEvasion,
            "duplicate_payment" | "personal_account" | "out_of_scope" => Cause::IrregularPayment,
            "revenue_shortfall" => Cause::RevenueShortfall,
            "idle_funds" => Cause::IdleFunds,
            _ => Cause::Other,
        }
    }
}

/// What an improvement-plan item must achieve, computed by the system at acceptance: no
/// warning of `rule` at `min_level` or above on `unit_code` raised from `from` to `to`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Criterion {
    pub rule: String,
    pub min_level: String,
    pub unit_code: String,
    pub from: Date,
    pub to: Date,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlanItem {
    pub number: u32,
    pub text: String,
    pub owner: String,
    pub due: Date,
    pub criterion: Criterion,
}

/// The audit role's acceptance: the value computed for each item (warnings found) and whether
/// it passed (every value zero).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Acceptance {
    pub on: Date,
    pub by: String,
    /// (plan item, value), by item.
    pub values: Vec<(u32, i64)>,
    pub pass: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Opened: what happened, the causes and the lessons being written.
    Open,
    /// Its improvement plan written, awaiting approval (again after a failed acceptance).
    Planned,
    /// The plan approved: accepted 3 to 6 months later.
    Approved,
    /// Accepted: the plan's criteria met.
    Accepted,
    Closed,
}

impl State {
    pub fn id(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Planned => "planned",
            State::Approved => "approved",
            State::Accepted => "accepted",
            State::Closed => "closed",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            State::Open => "复盘中",
            State::Planned => "整改计划待批准",
            State::Approved => "整改计划执行中",
            State::Accepted => "已验收",
            State::Closed => "已结案",
        }
    }
}

/// A post-incident review (复盘).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Review {
    pub id: i64,
    /// What opened it: `emergency:ID`, `warning:ID`, `audit:ID`, `manual`, or `import`.
    pub source: String,
    /// A reference the review carries from elsewhere (an imported review's number).
    #[serde(default)]
    pub reference: Option<String>,
    pub unit_code: String,
    pub title: String,
    pub opened_on: Date,
    pub opened_by: String,
    #[serde(default)]
    pub happened: String,
    #[serde(default)]
    pub causes: Vec<Cause>,
    #[serde(default)]
    pub lessons: String,
    pub state: State,
    #[serde(default)]
    pub plan: Vec<PlanItem>,
    #[serde(default)]
    pub approved_on: Option<Date>,
    #[serde(default)]
    pub acceptances: Vec<Acceptance>,
    #[serde(default)]
    pub closed_on: Option<Date>,
}

impl Review {
    /// Its lessons still open: the plan not yet accepted.
    pub fn lessons_open(&self) -> bool {
        !matches!(self.state, State::Accepted | State::Closed)
    }
}

/// Every change to reviews.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Action {
    Open {
        source: String,
        unit_code: String,
        title: String,
        on: Date,
    },
    Record {
        id: i64,
        happened: String,
        causes: Vec<Cause>,
        lessons: String,
    },
    Plan {
        id: i64,
        items: Vec<PlanItem>,
    },
    ApprovePlan {
        id: i64,
        on: Date,
    },
    /// The audit role's acceptance with the values the system computed.
    Accept {
        id: i64,
        on: Date,
        /// (plan item, value computed).
        values: Vec<(u32, i64)>,
    },
    Close {
        id: i64,
        on: Date,
    },
    /// A review closed elsewhere (an earlier system), carried over whole as a case.
    Import {
        reference: String,
        unit_code: String,
        title: String,
        happened: String,
        causes: Vec<Cause>,
        lessons: String,
        opened_on: Date,
        closed_on: Date,
    },
}

impl Action {
    pub fn kind(&self) -> crate::action::Action {
        match self {
            Action::Open { .. } => crate::action::Action::ReviewOpen,
            Action::Record { .. } => crate::action::Action::ReviewRecord,
            Action::Plan { .. } => crate::action::Action::ReviewPlan,
            Action::ApprovePlan { .. } => crate::action::Action::ReviewApprovePlan,
            Action::Accept { .. } => crate::action::Action::ReviewAccept,
            Action::Close { .. } => crate::action::Action::ReviewClose,
            Action::Import { .. } => crate::action::Action::ReviewImport,
        }
    }
}

/// Every review, as the journal's actions left them.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reviews {
    pub reviews: BTreeMap<i64, Review>,
}

impl Reviews {
    fn get(&mut self, id: i64) -> Result<&mut Review, ReviewError> {
        self.reviews.get_mut(&id).ok_or(ReviewError::NoReview(id))
    }

    /// Applies `action`, journaled at `idx` by `actor`; a refusal changes nothing. The
    /// review changed.
    pub fn apply(&mut self, action: &Action, idx: i64, actor: &str) -> Result<i64, ReviewError> {
        let who = actor.strip_prefix("user:").unwrap_or(actor).to_string();
        let state_is = |r: &Review, ok: &[State], doing: &'static str| -> Result<(), ReviewError> {
            if ok.contains(&r.state) { Ok(()) } else { Err(ReviewError::WrongState(r.id, r.state.id(), doing)) }
        };
        match action {
            Action::Open { source, unit_code, title, on } => {
                if title.trim().is_empty() || unit_code.trim().is_empty() {
                    return Err(ReviewError::Empty("title and unit"));
                }
                if source != "manual" && self.reviews.values().any(|r| &r.source == source) {
                    return Err(ReviewError::AlreadyOpen(source.clone()));
                }
                self.reviews.insert(
                    idx,
                    Review {
                        id: idx,
                        source: source.clone(),
                        reference: None,
                        unit_code: unit_code.trim().into(),
                        title: title.trim().into(),
                        opened_on: *on,
                        opened_by: who,
                        happened: String::new(),
                        causes: Vec::new(),
                        lessons: String::new(),
                        state: State::Open,
                        plan: Vec::new(),
                        approved_on: None,
                        acceptances: Vec::new(),
                        closed_on: None,
                    },
                );
                Ok(idx)
            }
            Action::Record { id, happened, causes, lessons } => {
                let r = self.get(*id)?;
                state_is(r, &[State::Open, State::Planned], "what happened is recorded before the plan is approved")?;
                if happened.trim().is_empty() || causes.is_empty() || lessons.trim().is_empty() {
                    return Err(ReviewError::Empty("what happened, its causes and lessons"));
                }
                r.happened = happened.trim().into();
                r.causes = causes.clone();
                r.lessons = lessons.trim().into();
                Ok(*id)
            }
            Action::Plan { id, items } => {
                let r = self.get(*id)?;
                state_is(r, &[State::Open, State::Planned], "a plan is written before it is approved")?;
                if r.causes.is_empty() {
                    return Err(ReviewError::Empty("causes (record them first)"));
                }
                if items.is_empty() {
                    return Err(ReviewError::Empty("plan"));
                }
                for it in items {
                    if it.text.trim().is_empty() || it.owner.trim().is_empty() {
                        return Err(ReviewError::BadItem(it.number, "its text and owner".into()));
                    }
                    if it.criterion.to < it.criterion.from || it.criterion.unit_code.trim().is_empty() {
                        return Err(ReviewError::BadItem(it.number, "its criterion's unit and period".into()));
                    }
                }
                r.plan = items.clone();
                r.state = State::Planned;
                r.approved_on = None;
                Ok(*id)
            }
            Action::ApprovePlan { id, on } => {
                let r = self.get(*id)?;
                state_is(r, &[State::Planned], "a written plan is approved")?;
                r.approved_on = Some(*on);
                r.state = State::Approved;
                Ok(*id)
            }
            Action::Accept { id, on, values } => {
                let r = self.get(*id)?;
                state_is(r, &[State::Approved], "an approved plan is accepted")?;
                let approved = r.approved_on.ok_or(ReviewError::WrongState(*id, r.state.id(), "no approval date"))?;
                check_acceptance(approved, *on)?;
                if let Some(it) = r.plan.iter().find(|it| !values.iter().any(|(n, _)| *n == it.number)) {
                    return Err(ReviewError::MissingValue(it.number));
                }
                let pass = values.iter().all(|(_, v)| *v == 0);
                r.acceptances.push(Acceptance { on: *on, by: who, values: values.clone(), pass });
                // A fail reopens the plan (PDCA's Act): revised and approved again.
                r.state = if pass { State::Accepted } else { State::Planned };
                if !pass {
                    r.approved_on = None;
                }
                Ok(*id)
            }
            Action::Close { id, on } => {
                let r = self.get(*id)?;
                state_is(r, &[State::Accepted], "a review closes once its plan is accepted")?;
                r.closed_on = Some(*on);
                r.state = State::Closed;
                Ok(*id)
            }
            Action::Import { reference, unit_code, title, happened, causes, lessons, opened_on, closed_on } => {
                if title.trim().is_empty() || causes.is_empty() || reference.trim().is_empty() {
                    return Err(ReviewError::Empty("an imported review's reference, title and causes"));
                }
                if self.reviews.values().any(|r| r.reference.as_deref() == Some(reference.as_str())) {
                    return Err(ReviewError::AlreadyOpen(format!("import {reference}")));
                }
                self.reviews.insert(
                    idx,
                    Review {
                        id: idx,
                        source: "import".into(),
                        reference: Some(reference.clone()),
                        unit_code: unit_code.clone(),
                        title: title.clone(),
                        opened_on: *opened_on,
                        opened_by: who,
                        happened: happened.clone(),
                        causes: causes.clone(),
                        lessons: lessons.clone(),
                        state: State::Closed,
                        plan: Vec::new(),
                        approved_on: None,
                        acceptances: Vec::new(),
                        closed_on: Some(*closed_on),
                    },
                );
                Ok(idx)
            }
        }
    }
}

/// The first and last day a plan approved on `approved` may be accepted.
pub fn acceptance_window(approved: Date) -> (Date, Date) {
    (approved.add_months(3), approved.add_months(6))
}

/// Whether a plan approved on `approved` may be accepted on `on`.
pub fn check_acceptance(approved: Date, on: Date) -> Result<(), ReviewError> {
    let (from, to) = acceptance_window(approved);
    if on < from || on > to {
        return Err(ReviewError::AcceptanceOutsideWindow { approved, on, from, to });
    }
    Ok(())
}

/// A case as the repeat test reads it: its id, unit, classified cause and day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    pub id: i64,
    pub unit: String,
    pub cause: String,
    pub on: Date,
}

/// Each case that repeats an earlier one — the same unit, the same cause, no more than 3
/// years (36 calendar months) before — with the latest such earlier case: (case, earlier).
pub fn repeats(cases: &[Case]) -> Vec<(i64, i64)> {
    let mut sorted: Vec<&Case> = cases.iter().collect();
    sorted.sort_by_key(|c| (c.on, c.id));
    let mut out = Vec::new();
    for (i, c) in sorted.iter().enumerate() {
        let since = c.on.add_months(-36);
        if let Some(earlier) =
            sorted[..i].iter().rev().find(|e| e.unit == c.unit && e.cause == c.cause && e.on >= since)
        {
            out.push((c.id, earlier.id));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_review_runs_from_its_causes_to_an_accepted_plan_and_a_fail_reopens_it() {
        let d = |s: &str| Date::parse(s).expect("date");
        let mut r = Reviews::default();
        let open = Action::Open {
            source: "warning:7".into(),
            unit_code: "U1".into(),
            title: "超支复盘".into(),
            on: d("2026-01-10"),
        };
        r.apply(&open, 1, "user:finance").expect("open");
        assert_eq!(r.apply(&open, 2, "user:finance").map_err(|e| e.code()), Err("review_already_open"));
        let item = PlanItem {
            number: 1,
            text: "严格执行预算".into(),
            owner: "unit-head".into(),
            due: d("2026-03-31"),
            criterion: Criterion {
                rule: "over_budget".into(),
                min_level: "orange".into(),
                unit_code: "U1".into(),
                from: d("2026-02-01"),
                to: d("2026-07-31"),
            },
        };
        let plan = Action::Plan { id: 1, items: vec![item] };
        assert_eq!(r.apply(&plan, 3, "user:finance").map_err(|e| e.code()), Err("review_field_empty"), "causes first");
        let record = Action::Record {
            id: 1,
            happened: "超支15%".into(),
            causes: vec![Cause::Overspending],
            lessons: "事前控制".into(),
        };
        r.apply(&record, 3, "user:finance").expect("record");
        r.apply(&plan, 4, "user:finance").expect("plan");
        r.apply(&Action::ApprovePlan { id: 1, on: d("2026-01-31") }, 5, "user:head").expect("approve");
        let accept = |on: &str, v: i64| Action::Accept { id: 1, on: d(on), values: vec![(1, v)] };
        assert_eq!(
            r.apply(&accept("2026-04-29", 0), 6, "user:audit").map_err(|e| e.code()),
            Err("acceptance_outside_window")
        );
        assert_eq!(
            r.apply(&accept("2026-08-01", 0), 6, "user:audit").map_err(|e| e.code()),
            Err("acceptance_outside_window")
        );
        // A warning found: failed, the plan reopened for revision and approval again.
        r.apply(&accept("2026-04-30", 1), 6, "user:audit").expect("fail");
        assert_eq!((r.reviews[&1].state, r.reviews[&1].approved_on), (State::Planned, None));
        r.apply(&Action::ApprovePlan { id: 1, on: d("2026-05-10") }, 7, "user:head").expect("again");
        r.apply(&accept("2026-08-10", 0), 8, "user:audit").expect("pass");
        assert_eq!(r.reviews[&1].state, State::Accepted);
        assert_eq!(r.reviews[&1].acceptances.len(), 2);
        r.apply(&Action::Close { id: 1, on: d("2026-08-11") }, 9, "user:head").expect("close");
    }

    fn d(s: &str) -> Date {
        Date::parse(s).expect("date")
    }

    #[test]
    fn a_plan_approved_on_31_january_is_accepted_from_30_april_to_31_july() {
        let approved = d("2026-01-31");
        assert_eq!(acceptance_window(approved), (d("2026-04-30"), d("2026-07-31")));
        for ok in ["2026-04-30", "2026-06-15", "2026-07-31"] {
            assert_eq!(check_acceptance(approved, d(ok)), Ok(()), "{ok}");
        }
        for bad in ["2026-04-29", "2026-08-01", "2026-01-31"] {
            assert_eq!(
                check_acceptance(approved, d(bad)).map_err(|e| e.code()),
                Err("acceptance_outside_window"),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_same_unit_and_cause_within_three_years_repeats() {
        let case =
            |id: i64, unit: &str, cause: &str, on: &str| Case { id, unit: unit.into(), cause: cause.into(), on: d(on) };
        let cases = [
            case(1, "U1", "split_purchase", "2022-03-01"),
            case(2, "U1", "split_purchase", "2025-03-01"),
            case(3, "U1", "split_purchase", "2025-03-02"),
            case(4, "U1", "over_budget", "2025-04-01"),
            case(5, "U2", "split_purchase", "2025-05-01"),
            case(6, "U3", "idle_funds", "2021-01-01"),
            case(7, "U3", "idle_funds", "2024-01-02"),
        ];
        // 2 is exactly three years after 1; 3 repeats 2; 7 is a day past three years.
        assert_eq!(repeats(&cases), vec![(2, 1), (3, 2)]);
    }
}
