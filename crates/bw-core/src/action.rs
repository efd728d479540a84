//! The kinds of journal entry: every entry's `action` field is one of these, and this is the
//! only place their names are spelled. Writers name an entry by its variant and readers
//! match on variants; an entry whose name is not here does not decode.

macro_rules! actions {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// What a journal entry records.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $($(#[$doc])* $variant,)*
        }

        impl Action {
            /// Every action, in the order of this table.
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            /// The name written in the entry's `action` field.
            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$variant => $name,)*
                }
            }

            /// The action a name written in an entry stands for.
            pub fn parse(name: &str) -> Option<Action> {
                match name {
                    $($name => Some(Action::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

actions! {
    // Records imported from the standard templates.
    UnitAdd => "unit.add",
    ProjectAdd => "project.add",
    IndicatorAdd => "indicator.add",
    ContractAdd => "contract.add",
    ContractMilestoneAdd => "contract_milestone.add",
    PaymentRecord => "payment.record",
    RevenueRecord => "revenue.record",
    StaffAdd => "staff.add",
    RevenueTargetSet => "revenue_target.set",
    MacroIndicatorSet => "macro_indicator.set",
    /// The summary an import closes with.
    ImportBatch => "import.batch",
    // Payments held by a rule, and what became of them.
    PaymentHold => "payment.hold",
    PaymentRelease => "payment.release",
    PaymentReject => "payment.reject",
    // Milestone-based release of contract payments.
    MilestoneSubmit => "milestone.submit",
    MilestoneVerify => "milestone.verify",
    MilestoneDispute => "milestone.dispute",
    MilestoneResolve => "milestone.resolve",
    // Warnings and their rectification.
    WarningRaise => "warning.raise",
    WarningUpdate => "warning.update",
    WarningWithdraw => "warning.withdraw",
    WarningEscalate => "warning.escalate",
    WarningStep => "warning.step",
    TaskOpen => "task.open",
    TaskUpdate => "task.update",
    TaskDone => "task.done",
    InquirySend => "inquiry.send",
    InquiryAnswer => "inquiry.answer",
    EmergencyOpen => "emergency.open",
    EmergencyStep => "emergency.step",
    AuditCaseOpen => "audit_case.open",
    // Settings, calendar, personal data, keys.
    SettingSet => "setting.set",
    ControlSet => "control.set",
    WorkflowSet => "workflow.set",
    CalendarLoad => "calendar.load",
    PersonalRedact => "personal.redact",
    KeyRegister => "key.register",
    KeyRotate => "key.rotate",
    WitnessAdd => "witness.add",
    // Users, grants, tokens, webhooks.
    UserAdd => "user.add",
    UserPassword => "user.password",
    UserGrant => "user.grant",
    UserGrantRequest => "user.grant_request",
    UserGrantApprove => "user.grant_approve",
    UserGrantReject => "user.grant_reject",
    UserRevoke => "user.revoke",
    TokenIssue => "token.issue",
    TokenRevoke => "token.revoke",
    WebhookAdd => "webhook.add",
    WebhookRemove => "webhook.remove",
    // Public feedback.
    FeedbackSubmit => "feedback.submit",
    FeedbackModerate => "feedback.moderate",
    FeedbackAnswer => "feedback.answer",
    // Budget preparation and approval.
    CycleOpen => "cycle.open",
    CycleAdvance => "cycle.advance",
    DraftSave => "draft.save",
    ApprovalSubmit => "approval.submit",
    ApprovalOpinion => "approval.opinion",
    ApprovalDecide => "approval.decide",
    ApprovalEscalate => "approval.escalate",
    AdjustmentAuto => "adjustment.auto",
    YearClose => "year.close",
    RollingPlan => "rolling.plan",
    ProjectStatus => "project.status",
    ProjectClassify => "project.classify",
    DocumentAttach => "document.attach",
    SimulationRun => "simulation.run",
    InformalRecord => "informal.record",
    // Performance.
    KpiSet => "kpi.set",
    KpiActual => "kpi.actual",
    EvaluationRecord => "evaluation.record",
    SatisfactionRecord => "satisfaction.record",
    InterviewSchedule => "interview.schedule",
    PerformancePublish => "performance.publish",
    // Major matters (重大事项).
    MatterSubmit => "matter.submit",
    MatterOral => "matter.oral",
    MatterWritten => "matter.written",
    MatterDecide => "matter.decide",
    MatterCollective => "matter.collective",
    // Reviews of budget execution.
    ReviewOpen => "review.open",
    ReviewRecord => "review.record",
    ReviewPlan => "review.plan",
    ReviewApprovePlan => "review.approve_plan",
    ReviewAccept => "review.accept",
    ReviewClose => "review.close",
    ReviewImport => "review.import",
    // Meetings and their action items.
    MeetingSchedule => "meeting.schedule",
    MeetingInvite => "meeting.invite",
    MeetingPack => "meeting.pack",
    MeetingAddItem => "meeting.add_item",
    MeetingHold => "meeting.hold",
    MeetingMinutes => "meeting.minutes",
    MeetingApprove => "meeting.approve",
    MeetingCancel => "meeting.cancel",
    ActionDone => "action.done",
    ActionCheck => "action.check",
    ActionEscalate => "action.escalate",
    // Risks.
    RiskAdd => "risk.add",
    RiskAssess => "risk.assess",
    RiskTreat => "risk.treat",
    RiskAccept => "risk.accept",
    RiskReview => "risk.review",
    RiskMatrix => "risk.matrix",
    RiskMaterialise => "risk.materialise",
    RiskPropose => "risk.propose",
    RiskAdopt => "risk.adopt",
    RiskReject => "risk.reject",
}

impl Action {
    /// Whether the entry may be closed with an approver's signature.
    pub fn sealable(self) -> bool {
        matches!(
            self,
            Action::ApprovalOpinion | Action::ApprovalDecide | Action::MilestoneVerify | Action::MeetingApprove
        )
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for Action {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Action {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Action, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Action::parse(&name).ok_or_else(|| serde::de::Error::custom(format!("unknown action `{name}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::Action;

    #[test]
    fn every_name_parses_back_to_its_action_and_no_two_share_a_name() {
        let mut names = std::collections::HashSet::new();
        for &a in Action::ALL {
            assert_eq!(Action::parse(a.name()), Some(a));
            assert!(names.insert(a.name()), "{} named twice", a.name());
            let (kind, verb) = a.name().split_once('.').expect("kind.verb");
            assert!(!kind.is_empty() && !verb.is_empty() && !verb.contains('.'), "{}", a.name());
        }
    }

    #[test]
    fn an_unknown_name_is_refused_naming_it() {
        assert_eq!(Action::parse("payment.recorded"), None);
        let e = serde_json::from_str::<Action>("\"payment.recorded\"").unwrap_err().to_string();
        assert!(e.contains("unknown action `payment.recorded`"), "{e}");
        assert_eq!(serde_json::from_str::<Action>("\"risk.add\"").unwrap(), Action::RiskAdd);
        assert_eq!(serde_json::to_string(&Action::UserGrantApprove).unwrap(), "\"user.grant_approve\"");
    }
}
