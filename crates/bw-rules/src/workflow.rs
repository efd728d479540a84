//! A warning's loop (编制—反馈—修正): the unit explains; the finance desk judges (normal —
//! closed; violation — rectification required; or returned for a better explanation); the
//! unit submits a rectification plan, then rectifies; audit verifies (passed — archived;
//! failed — back to rectification). Finance may dismiss a warning before it is rectified.

/// Where a warning stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Kept for the record (a rule handled `record`): nobody is notified, nothing is due.
    Recorded,
    Open,
    /// Explained by the unit's staff, waiting for the unit head's sign-off (签批) before the
    /// explanation goes to the reviewer.
    AwaitingSignOff,
    Explained,
    Returned,
    RectificationRequired,
    Planned,
    Rectified,
    Archived,
    Closed,
    Dismissed,
    /// Withdrawn by a check before anyone acted: its finding is no longer made.
    Withdrawn,
}

impl State {
    pub const ALL: [State; 12] = [
        State::Recorded,
        State::Open,
        State::AwaitingSignOff,
        State::Explained,
        State::Returned,
        State::RectificationRequired,
        State::Planned,
        State::Rectified,
        State::Archived,
        State::Closed,
        State::Dismissed,
        State::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Recorded => "recorded",
            State::Open => "open",
            State::AwaitingSignOff => "awaiting_sign_off",
            State::Explained => "explained",
            State::Returned => "returned",
            State::RectificationRequired => "rectification_required",
            State::Planned => "planned",
            State::Rectified => "rectified",
            State::Archived => "archived",
            State::Closed => "closed",
            State::Dismissed => "dismissed",
            State::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Finished: nothing more is due.
    pub fn is_final(self) -> bool {
        matches!(self, State::Archived | State::Closed | State::Dismissed | State::Withdrawn)
    }

    /// Still being worked on: neither finished nor only recorded (the inbox's to-do list).
    pub fn is_active(self) -> bool {
        !self.is_final() && self != State::Recorded
    }

    /// The state as users name it.
    pub fn zh(self) -> &'static str {
        match self {
            State::Recorded => "仅记录",
            State::Open => "待说明",
            State::AwaitingSignOff => "已说明，待单位负责人签批",
            State::Explained => "已说明，待审核",
            State::Returned => "退回补充说明",
            State::RectificationRequired => "待提交整改方案",
            State::Planned => "整改中",
            State::Rectified => "整改完成，待验收",
            State::Archived => "已验收归档",
            State::Closed => "已关闭（正常）",
            State::Dismissed => "已撤销",
            State::Withdrawn => "已撤回（不再发现）",
        }
    }
}

/// The finance desk's judgement of an explanation (认定).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Judgement {
    Normal,
    Violation,
    Return,
}

/// A step of the loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Explain,
    /// The unit head's sign-off of the explanation: approved, it goes to the reviewer;
    /// not, it goes back to the unit's staff.
    SignOff {
        approved: bool,
    },
    Judge(Judgement),
    Plan,
    Rectify,
    Verify {
        passed: bool,
    },
    Dismiss,
}

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Step::Explain => "explain",
            Step::SignOff { approved: true } => "sign_off",
            Step::SignOff { approved: false } => "sign_off_return",
            Step::Judge(Judgement::Normal) => "judge_normal",
            Step::Judge(Judgement::Violation) => "judge_violation",
            Step::Judge(Judgement::Return) => "judge_return",
            Step::Plan => "plan",
            Step::Rectify => "rectify",
            Step::Verify { passed: true } => "verify_passed",
            Step::Verify { passed: false } => "verify_failed",
            Step::Dismiss => "dismiss",
        }
    }

    /// Whether the step ends the loop as closed or dismissed: a judgement that all is normal,
    /// a passed verification, a dismissal.
    pub fn closes(self) -> bool {
        matches!(self, Step::Judge(Judgement::Normal) | Step::Verify { passed: true } | Step::Dismiss)
    }

    /// Every step, in the loop's order.
    pub const ALL: [Step; 11] = [
        Step::Explain,
        Step::SignOff { approved: true },
        Step::SignOff { approved: false },
        Step::Judge(Judgement::Normal),
        Step::Judge(Judgement::Violation),
        Step::Judge(Judgement::Return),
        Step::Plan,
        Step::Rectify,
        Step::Verify { passed: true },
        Step::Verify { passed: false },
        Step::Dismiss,
    ];

    pub fn parse(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|x| x.name() == s)
    }
}

impl State {
    /// Whether the explanation is still due (its deadline runs): open, returned, or
    /// explained but not yet signed off by the unit head.
    pub fn explanation_due(self) -> bool {
        matches!(self, State::Open | State::Returned | State::AwaitingSignOff)
    }
}

/// The state `step` leads to from `state`, or why it cannot be taken. A unit's explanation
/// waits for its head's sign-off; a region's (no unit head) goes to the reviewer at once.
pub fn next_for(state: State, step: Step, unit: bool) -> Result<State, String> {
    match (state, step) {
        (State::Open | State::Returned, Step::Explain) if !unit => Ok(State::Explained),
        _ => next(state, step),
    }
}

/// The state `step` leads to from `state` on a unit's warning, or why it cannot be taken.
pub fn next(state: State, step: Step) -> Result<State, String> {
    use State::*;
    let to = match (state, step) {
        (Open | Returned, Step::Explain) => AwaitingSignOff,
        (AwaitingSignOff, Step::SignOff { approved: true }) => Explained,
        (AwaitingSignOff, Step::SignOff { approved: false }) => Open,
        (Explained, Step::Judge(Judgement::Normal)) => Closed,
        (Explained, Step::Judge(Judgement::Violation)) => RectificationRequired,
        (Explained, Step::Judge(Judgement::Return)) => Returned,
        (RectificationRequired, Step::Plan) => Planned,
        (Planned, Step::Rectify) => Rectified,
        (Rectified, Step::Verify { passed: true }) => Archived,
        (Rectified, Step::Verify { passed: false }) => RectificationRequired,
        (Recorded | Open | AwaitingSignOff | Explained | Returned | RectificationRequired | Planned, Step::Dismiss) => {
            Dismissed
        }
        _ => {
            return Err(format!("a warning that is {} cannot take the step {}", state.as_str(), step.name()));
        }
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loop_runs_from_warning_to_archive_and_refuses_skipped_steps() {
        let path = [
            (Step::Explain, State::AwaitingSignOff),
            (Step::SignOff { approved: false }, State::Open),
            (Step::Explain, State::AwaitingSignOff),
            (Step::SignOff { approved: true }, State::Explained),
            (Step::Judge(Judgement::Return), State::Returned),
            (Step::Explain, State::AwaitingSignOff),
            (Step::SignOff { approved: true }, State::Explained),
            (Step::Judge(Judgement::Violation), State::RectificationRequired),
            (Step::Plan, State::Planned),
            (Step::Rectify, State::Rectified),
            (Step::Verify { passed: false }, State::RectificationRequired),
            (Step::Plan, State::Planned),
            (Step::Rectify, State::Rectified),
            (Step::Verify { passed: true }, State::Archived),
        ];
        let mut s = State::Open;
        for (step, want) in path {
            s = next(s, step).unwrap_or(State::Open);
            assert_eq!(s, want, "{}", step.name());
        }
        assert!(s.is_final());
        assert_eq!(next(State::Open, Step::Plan), Err("a warning that is open cannot take the step plan".into()));
        assert!(next(State::Explained, Step::Explain).is_err());
        assert!(next(State::Open, Step::SignOff { approved: true }).is_err(), "nothing to sign yet");
        assert!(next(State::AwaitingSignOff, Step::Judge(Judgement::Normal)).is_err(), "not before the sign-off");
        assert_eq!(next_for(State::Open, Step::Explain, false), Ok(State::Explained), "a region has no unit head");
        assert!(State::AwaitingSignOff.explanation_due() && !State::Explained.explanation_due());
        for st in Step::ALL {
            assert_eq!(Step::parse(st.name()), Some(st));
        }
        assert!(next(State::Rectified, Step::Dismiss).is_err(), "rectified work is verified, not dismissed");
        assert_eq!(next(State::Explained, Step::Judge(Judgement::Normal)), Ok(State::Closed));
        assert!(next(State::Recorded, Step::Explain).is_err(), "a recorded warning asks nothing of the unit");
        assert_eq!(next(State::Recorded, Step::Dismiss), Ok(State::Dismissed));
        for st in State::ALL {
            assert_eq!(State::parse(st.as_str()), Some(st));
        }
    }
}
