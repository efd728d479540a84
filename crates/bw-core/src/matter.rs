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
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
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
}
