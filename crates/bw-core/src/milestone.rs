//! Milestone-triggered release (chapter 8: "smart contract" rules that release a project's
//! funds only when a milestone is reached): a contract's milestones, their verification by
//! distinct verifiers of the required roles, disputes, and the amount releasable — the one
//! rule every payment on the contract is held against. Pure: the service stores the ladder,
//! journals each action and holds the payments the rule refuses.
//!
//! The rule (a choice where the source is brief; docs/GOVERNANCE.md): releasable = the
//! advance + each verified tranche (a pro-rata one by the share verified, an all-or-nothing
//! one only when verified whole) — the retention milestone (at most 3 % of the contract) is a
//! tranche of its own, released only when verified — never above the contract's amount.
//! Time never releases money: a passed due date changes nothing here.

use crate::Money;
use std::collections::{BTreeMap, BTreeSet};

/// The warning a milestone past its due date and not verified raises (it releases nothing).
pub const OVERDUE: (&str, &str) = ("milestone_overdue", "里程碑逾期未验收");

/// The retention may hold at most this share of the contract (‰).
pub const RETENTION_MAX_PERMILLE: i64 = 30;

/// What a milestone pays for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Paid on signing, without verification.
    Advance,
    Progress,
    Completion,
    /// Withheld until the defects period ends and it is verified.
    Retention,
}

impl Kind {
    pub fn id(self) -> &'static str {
        match self {
            Kind::Advance => "advance",
            Kind::Progress => "progress",
            Kind::Completion => "completion",
            Kind::Retention => "retention",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Kind::Advance => "预付款",
            Kind::Progress => "进度款",
            Kind::Completion => "竣工款",
            Kind::Retention => "质保金",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s.trim() {
            "advance" | "预付款" => Some(Kind::Advance),
            "progress" | "进度款" => Some(Kind::Progress),
            "completion" | "竣工款" => Some(Kind::Completion),
            "retention" | "质保金" => Some(Kind::Retention),
            _ => None,
        }
    }
}

/// One milestone of a contract's plan.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Milestone {
    pub seq: u32,
    pub name: String,
    pub kind: Kind,
    pub amount: Money,
    pub criterion: String,
    /// The roles that must each verify it, by a different person each.
    pub verifiers: Vec<String>,
    pub depends_on: Vec<u32>,
    /// Whether part of it may be verified (and released) by the share done.
    pub pro_rata: bool,
}

/// A milestone's progress.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Progress {
    /// The share verified and released (‰).
    pub verified_permille: u16,
    /// The open claim: its submitter, the share claimed, the evidence (SHA-256 of each
    /// document) and the opinions given so far (role → user).
    pub claim: Option<Claim>,
    /// Frozen by a dispute until a bureau head resolves it.
    pub disputed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Claim {
    pub by: String,
    pub permille: u16,
    pub evidence: Vec<String>,
    pub opinions: BTreeMap<String, String>,
}

/// A contract's milestones and where each stands, with what has been paid on it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ladder {
    pub amount: Money,
    pub milestones: Vec<Milestone>,
    pub progress: BTreeMap<u32, Progress>,
    pub paid: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MilestoneError {
    #[error("milestone {0} appears twice")]
    DuplicateSeq(u32),
    #[error("milestone {0} depends on {1}, which is not an earlier milestone of the contract")]
    BadDependency(u32, u32),
    #[error("the milestones add up to {0}, more than the contract's {1}")]
    OverContract(Money, Money),
    #[error("the retention of {0} is more than 3 % of the contract's {1}")]
    RetentionTooLarge(Money, Money),
    #[error("milestone {0} names no verifier role")]
    NoVerifier(u32),
    #[error("no milestone {0}")]
    Unknown(u32),
    #[error("milestone {0} is disputed: a bureau head resolves it first")]
    Disputed(u32),
    #[error(
        "milestone {0}: a claim of {1}‰ (an all-or-nothing milestone is claimed whole; a claim is more than what is verified, at most 1000‰)"
    )]
    BadClaim(u32, u16),
    #[error("milestone {0} has no open claim")]
    NoClaim(u32),
    #[error("{1} submitted milestone {0} and cannot verify it")]
    SubmitterVerifies(u32, String),
    #[error("{1} holds none of the roles still to verify milestone {0}")]
    NotAVerifier(u32, String),
    #[error("milestone {0} waits for milestone {1} to be verified whole")]
    DependencyOpen(u32, u32),
    #[error("milestone {0} is not disputed")]
    NotDisputed(u32),
    #[error("an advance is paid on signing, not verified")]
    AdvanceVerified,
}

impl MilestoneError {
    pub fn code(&self) -> &'static str {
        match self {
            MilestoneError::DuplicateSeq(_) => "milestone_seq_duplicate",
            MilestoneError::BadDependency(..) => "milestone_dependency_invalid",
            MilestoneError::OverContract(..) => "milestones_over_contract",
            MilestoneError::RetentionTooLarge(..) => "retention_over_3_percent",
            MilestoneError::NoVerifier(_) => "milestone_without_verifier",
            MilestoneError::Unknown(_) => "unknown_milestone",
            MilestoneError::Disputed(_) => "milestone_disputed",
            MilestoneError::BadClaim(..) => "milestone_claim_invalid",
            MilestoneError::NoClaim(_) => "milestone_not_submitted",
            MilestoneError::SubmitterVerifies(..) => "submitter_cannot_verify",
            MilestoneError::NotAVerifier(..) => "not_a_required_verifier",
            MilestoneError::DependencyOpen(..) => "milestone_dependency_not_verified",
            MilestoneError::NotDisputed(_) => "milestone_not_disputed",
            MilestoneError::AdvanceVerified => "advance_not_verified",
        }
    }
}

/// `amount × permille ÷ 1000`, rounded down to the fen.
fn share(amount: Money, permille: u16) -> Money {
    Money::from_fen((i128::from(amount.fen()) * i128::from(permille) / 1000) as i64)
}

impl Ladder {
    /// A contract's plan, checked: seqs unique, each dependency an earlier milestone, the
    /// whole within the contract, the retention within 3 %, every milestone but the advance
    /// with a verifier role.
    pub fn new(amount: Money, mut milestones: Vec<Milestone>) -> Result<Ladder, MilestoneError> {
        milestones.sort_by_key(|m| m.seq);
        let mut seen = BTreeSet::new();
        let mut total: i128 = 0;
        for m in &milestones {
            if !seen.insert(m.seq) {
                return Err(MilestoneError::DuplicateSeq(m.seq));
            }
            if let Some(d) = m.depends_on.iter().find(|d| **d >= m.seq || !seen.contains(d)) {
                return Err(MilestoneError::BadDependency(m.seq, *d));
            }
            if m.kind != Kind::Advance && m.verifiers.is_empty() {
                return Err(MilestoneError::NoVerifier(m.seq));
            }
            if m.kind == Kind::Retention && i128::from(m.amount.fen()) * 1000 > i128::from(amount.fen()) * 30 {
                return Err(MilestoneError::RetentionTooLarge(m.amount, amount));
            }
            total += i128::from(m.amount.fen());
        }
        if total > i128::from(amount.fen()) {
            return Err(MilestoneError::OverContract(Money::from_fen(total as i64), amount));
        }
        let progress = milestones.iter().map(|m| (m.seq, Progress::default())).collect();
        Ok(Ladder { amount, milestones, progress, paid: Money::ZERO })
    }

    fn milestone(&self, seq: u32) -> Result<&Milestone, MilestoneError> {
        self.milestones.iter().find(|m| m.seq == seq).ok_or(MilestoneError::Unknown(seq))
    }

    /// What each milestone has released: the advance whole, a tranche by its verified share.
    pub fn released(&self, m: &Milestone) -> Money {
        let verified = self.progress.get(&m.seq).map_or(0, |p| p.verified_permille);
        match m.kind {
            Kind::Advance => m.amount,
            _ if m.pro_rata => share(m.amount, verified),
            _ if verified == 1000 => m.amount,
            _ => Money::ZERO,
        }
    }

    /// The amount releasable: every milestone's release, never above the contract.
    pub fn releasable(&self) -> Money {
        let sum: i128 = self.milestones.iter().map(|m| i128::from(self.released(m).fen())).sum();
        Money::from_fen(sum.min(i128::from(self.amount.fen())) as i64)
    }

    /// The part of `amount` that may be paid now (the rest is held).
    pub fn payable(&self, amount: Money) -> Money {
        let room = (self.releasable().fen() - self.paid.fen()).max(0);
        Money::from_fen(amount.fen().clamp(0, room))
    }

    /// Records a payment of `amount` (a refund when negative, never below nothing paid); the
    /// service pays only what `payable` allowed, and holds the rest.
    pub fn pay(&mut self, amount: Money) {
        self.paid = Money::from_fen((self.paid.fen() + amount.fen()).max(0));
    }

    /// `by` claims `permille` of milestone `seq` done, with the evidence's digests; a new
    /// claim replaces an open one and its opinions.
    pub fn submit(&mut self, seq: u32, by: &str, permille: u16, evidence: Vec<String>) -> Result<(), MilestoneError> {
        let m = self.milestone(seq)?.clone();
        if m.kind == Kind::Advance {
            return Err(MilestoneError::AdvanceVerified);
        }
        let p = self.progress.entry(seq).or_default();
        if p.disputed {
            return Err(MilestoneError::Disputed(seq));
        }
        let whole = !m.pro_rata && permille != 1000;
        if permille == 0 || permille > 1000 || permille <= p.verified_permille || whole {
            return Err(MilestoneError::BadClaim(seq, permille));
        }
        p.claim = Some(Claim { by: by.to_string(), permille, evidence, opinions: BTreeMap::new() });
        Ok(())
    }

    /// `user`, holding `roles`, gives their opinion on the open claim of `seq`, for one of the
    /// required roles no one has yet answered for. The claim is verified when every required
    /// role has a different person's opinion; its share is then released. Returns whether it
    /// was.
    pub fn verify(&mut self, seq: u32, user: &str, roles: &[String]) -> Result<bool, MilestoneError> {
        let m = self.milestone(seq)?.clone();
        if m.kind == Kind::Advance {
            return Err(MilestoneError::AdvanceVerified);
        }
        for d in &m.depends_on {
            if self.progress.get(d).map_or(0, |p| p.verified_permille) < 1000 {
                return Err(MilestoneError::DependencyOpen(seq, *d));
            }
        }
        let p = self.progress.entry(seq).or_default();
        if p.disputed {
            return Err(MilestoneError::Disputed(seq));
        }
        let claim = p.claim.as_mut().ok_or(MilestoneError::NoClaim(seq))?;
        if claim.by == user {
            return Err(MilestoneError::SubmitterVerifies(seq, user.to_string()));
        }
        let given: BTreeSet<&String> = claim.opinions.values().collect();
        let role = m
            .verifiers
            .iter()
            .find(|r| !claim.opinions.contains_key(*r) && roles.contains(r) && !given.contains(&user.to_string()))
            .ok_or_else(|| MilestoneError::NotAVerifier(seq, user.to_string()))?;
        claim.opinions.insert(role.clone(), user.to_string());
        if m.verifiers.iter().all(|r| claim.opinions.contains_key(r)) {
            p.verified_permille = claim.permille;
            p.claim = None;
            return Ok(true);
        }
        Ok(false)
    }

    /// A dispute freezes milestone `seq`.
    pub fn dispute(&mut self, seq: u32) -> Result<(), MilestoneError> {
        self.milestone(seq)?;
        let p = self.progress.entry(seq).or_default();
        if p.disputed {
            return Err(MilestoneError::Disputed(seq));
        }
        p.disputed = true;
        Ok(())
    }

    /// A bureau head resolves the dispute on `seq`: upheld, the open claim stands for
    /// verification afresh (its opinions cleared); not, the claim is void.
    pub fn resolve(&mut self, seq: u32, claim_stands: bool) -> Result<(), MilestoneError> {
        self.milestone(seq)?;
        let p = self.progress.entry(seq).or_default();
        if !p.disputed {
            return Err(MilestoneError::NotDisputed(seq));
        }
        p.disputed = false;
        match (&mut p.claim, claim_stands) {
            (Some(c), true) => c.opinions.clear(),
            _ => p.claim = None,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn yuan(y: i64) -> Money {
        Money::from_fen(y * 100)
    }

    fn m(seq: u32, kind: Kind, amount: Money, pro_rata: bool, depends_on: Vec<u32>) -> Milestone {
        Milestone {
            seq,
            name: format!("M{seq}"),
            kind,
            amount,
            criterion: String::new(),
            verifiers: if kind == Kind::Advance {
                vec![]
            } else {
                vec!["bureau_reviewer".into(), "third_party_auditor".into()]
            },
            depends_on,
            pro_rata,
        }
    }

    /// 12,000,000.00: 30 % advance, three progress milestones (the second pro-rata), the
    /// completion, 3 % retention.
    fn works() -> Ladder {
        Ladder::new(
            yuan(12_000_000),
            vec![
                m(1, Kind::Advance, yuan(3_600_000), false, vec![]),
                m(2, Kind::Progress, yuan(2_400_000), false, vec![]),
                m(3, Kind::Progress, yuan(2_400_000), true, vec![2]),
                m(4, Kind::Progress, yuan(1_800_000), false, vec![3]),
                m(5, Kind::Completion, yuan(1_440_000), false, vec![4]),
                m(6, Kind::Retention, yuan(360_000), false, vec![5]),
            ],
        )
        .expect("plan")
    }

    fn roles(r: &[&str]) -> Vec<String> {
        r.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_works_contract_releases_by_verified_milestones_to_the_fen() {
        let mut l = works();
        // Signed: the advance only.
        assert_eq!(l.releasable(), yuan(3_600_000));
        assert_eq!(l.payable(yuan(4_000_000)), yuan(3_600_000), "the rest is held");
        l.pay(yuan(3_600_000));
        // Milestone 2 claimed; the submitter cannot verify; one role is not enough.
        l.submit(2, "contractor-rep", 1000, vec!["ab".into()]).expect("submit");
        assert_eq!(
            l.verify(2, "contractor-rep", &roles(&["bureau_reviewer"])).map_err(|e| e.code()),
            Err("submitter_cannot_verify")
        );
        assert_eq!(l.verify(2, "wang", &roles(&["bureau_reviewer"])), Ok(false));
        assert_eq!(l.releasable(), yuan(3_600_000));
        // The same person cannot answer for the second role too.
        assert_eq!(
            l.verify(2, "wang", &roles(&["third_party_auditor"])).map_err(|e| e.code()),
            Err("not_a_required_verifier")
        );
        assert_eq!(l.verify(2, "li", &roles(&["third_party_auditor"])), Ok(true));
        assert_eq!(l.releasable(), yuan(6_000_000));
        // Milestone 4 cannot be verified before 3.
        l.submit(4, "contractor-rep", 1000, vec![]).expect("submit");
        assert_eq!(
            l.verify(4, "wang", &roles(&["bureau_reviewer"])).map_err(|e| e.code()),
            Err("milestone_dependency_not_verified")
        );
        // Milestone 3, pro-rata: 37.5 % of 2,400,000.00 = 900,000.00; then whole.
        l.submit(3, "contractor-rep", 375, vec![]).expect("submit");
        l.verify(3, "wang", &roles(&["bureau_reviewer"])).expect("one");
        assert_eq!(l.verify(3, "li", &roles(&["third_party_auditor"])), Ok(true));
        assert_eq!(l.releasable(), yuan(6_900_000));
        assert_eq!(l.submit(3, "contractor-rep", 300, vec![]).map_err(|e| e.code()), Err("milestone_claim_invalid"));
        l.submit(3, "contractor-rep", 1000, vec![]).expect("the rest");
        // Disputed: frozen until resolved; resolved for the claim, verified afresh.
        l.dispute(3).expect("dispute");
        assert_eq!(l.verify(3, "wang", &roles(&["bureau_reviewer"])).map_err(|e| e.code()), Err("milestone_disputed"));
        l.resolve(3, true).expect("resolve");
        l.verify(3, "wang", &roles(&["bureau_reviewer"])).expect("one");
        l.verify(3, "li", &roles(&["third_party_auditor"])).expect("two");
        assert_eq!(l.releasable(), yuan(8_400_000));
        for seq in [4, 5] {
            l.submit(seq, "contractor-rep", 1000, vec![]).expect("submit");
            l.verify(seq, "wang", &roles(&["bureau_reviewer"])).expect("one");
            l.verify(seq, "li", &roles(&["third_party_auditor"])).expect("two");
        }
        // Complete: everything but the 3 % retention.
        assert_eq!(l.releasable(), yuan(11_640_000));
        l.pay(l.payable(yuan(9_000_000)));
        assert_eq!(l.paid, yuan(11_640_000));
        assert_eq!(l.payable(yuan(1)), Money::ZERO, "the retention is held");
        l.submit(6, "contractor-rep", 1000, vec![]).expect("submit");
        l.verify(6, "wang", &roles(&["bureau_reviewer"])).expect("one");
        l.verify(6, "li", &roles(&["third_party_auditor"])).expect("two");
        assert_eq!(l.releasable(), yuan(12_000_000));
        assert_eq!(l.payable(yuan(400_000)), yuan(360_000));
        l.pay(yuan(360_000));
        assert_eq!(l.payable(Money::from_fen(1)), Money::ZERO, "the contract is paid");
        // A refund makes room again; nothing ever goes beyond the contract.
        l.pay(Money::from_fen(-12_345));
        assert_eq!(l.payable(yuan(1_000_000)), Money::from_fen(12_345));
    }

    #[test]
    fn a_plan_is_refused_precisely() {
        let code = |ms: Vec<Milestone>| Ladder::new(yuan(1_000), ms).map(|_| ()).map_err(|e| e.code());
        assert_eq!(code(vec![m(1, Kind::Retention, yuan(31), false, vec![])]), Err("retention_over_3_percent"));
        assert_eq!(code(vec![m(1, Kind::Retention, yuan(30), false, vec![])]), Ok(()));
        assert_eq!(code(vec![m(1, Kind::Progress, yuan(1_001), false, vec![])]), Err("milestones_over_contract"));
        assert_eq!(
            code(vec![m(2, Kind::Progress, yuan(1), false, vec![3]), m(3, Kind::Progress, yuan(1), false, vec![])]),
            Err("milestone_dependency_invalid")
        );
        assert_eq!(
            code(vec![m(1, Kind::Progress, yuan(1), false, vec![]), m(1, Kind::Progress, yuan(1), false, vec![])]),
            Err("milestone_seq_duplicate")
        );
        let mut no_roles = m(1, Kind::Progress, yuan(1), false, vec![]);
        no_roles.verifiers.clear();
        assert_eq!(code(vec![no_roles]), Err("milestone_without_verifier"));
    }

    #[derive(Clone, Debug)]
    enum Step {
        Submit(u32, u8, u16),
        Verify(u32, u8, u8),
        Dispute(u32),
        Resolve(u32, bool),
        Pay(i64),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            // Mostly whole claims (all-or-nothing milestones take nothing else), some shares,
            // some out of range.
            (1u32..7, 0u8..4, prop_oneof![4 => Just(1000u16), 2 => 1u16..1000, 1 => Just(0u16), 1 => 1001u16..1100])
                .prop_map(|(s, u, p)| Step::Submit(s, u, p)),
            (1u32..7, 0u8..4, 0u8..4).prop_map(|(s, u, r)| Step::Verify(s, u, r)),
            (1u32..7).prop_map(Step::Dispute),
            (1u32..7, any::<bool>()).prop_map(|(s, b)| Step::Resolve(s, b)),
            (-5_000_000i64..500_000_000).prop_map(Step::Pay),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]
        #[test]
        fn paid_never_exceeds_releasable_nor_releases_without_its_verifiers(steps in proptest::collection::vec(step(), 0..40)) {
            let users = ["contractor-rep", "wang", "li", "zhao"];
            let role_sets = [vec![], roles(&["bureau_reviewer"]), roles(&["third_party_auditor"]), roles(&["bureau_reviewer", "third_party_auditor"])];
            let mut l = works();
            for s in steps {
                match s {
                    Step::Submit(seq, u, p) => { let _ = l.submit(seq, users[u as usize], p, vec![]); }
                    Step::Verify(seq, u, r) => {
                        let before = l.progress[&seq].clone();
                        if let Ok(true) = l.verify(seq, users[u as usize], &role_sets[r as usize]) {
                            // Verified: by every required role, each a different person, none the submitter.
                            let claim = before.claim.expect("a claim was open");
                            let mut people: Vec<String> = claim.opinions.values().cloned().collect();
                            people.push(users[u as usize].to_string());
                            let distinct: BTreeSet<&String> = people.iter().collect();
                            prop_assert_eq!(distinct.len(), 2);
                            prop_assert!(!people.contains(&claim.by));
                            for d in &l.milestones.iter().find(|m| m.seq == seq).expect("milestone").depends_on {
                                prop_assert_eq!(l.progress[d].verified_permille, 1000);
                            }
                        }
                    }
                    Step::Dispute(seq) => { let _ = l.dispute(seq); }
                    Step::Resolve(seq, b) => { let _ = l.resolve(seq, b); }
                    Step::Pay(fen) => {
                        let amount = Money::from_fen(fen);
                        let allowed = if fen < 0 { amount } else { l.payable(amount) };
                        l.pay(allowed);
                    }
                }
                prop_assert!(l.paid <= l.releasable());
                prop_assert!(l.releasable() <= l.amount);
                prop_assert!(!l.paid.is_negative());
            }
        }
    }
}
