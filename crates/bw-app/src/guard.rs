//! The access decisions the pages and the API both take, made once here: whether a caller
//! may take a step of a warning's loop, and which permission each change of the risk
//! register needs. The API refuses with the decision's refusal; the
//! warning's page offers only the steps it allows, so nobody is shown a form that the
//! service would refuse.

use bw_core::access::{self, Access, Permission, Refusal, Role};
use bw_rules::workflow::{Judgement, Step};

/// The permission a step of the loop needs: the unit explains, signs off, plans and
/// reports; a reviewer judges and sends back; closing (a judgement of normal, a passed
/// verification, a dismissal) needs the right to close.
pub fn step_permission(step: Step) -> Permission {
    match step {
        Step::Explain | Step::SignOff { .. } | Step::Plan | Step::Rectify => Permission::ActWarning,
        Step::Judge(Judgement::Violation | Judgement::Return) | Step::Verify { passed: false } => {
            Permission::ReviewWarning
        }
        Step::Judge(Judgement::Normal) | Step::Verify { passed: true } | Step::Dismiss => Permission::CloseWarning,
    }
}

/// The step a review judges, whose author may not judge it: the explanation for the unit
/// head's sign-off and for a judgement, the rectification report for a verification.
pub fn judged_step(step: Step) -> Option<&'static str> {
    match step {
        Step::SignOff { .. } | Step::Judge(_) => Some("explain"),
        Step::Verify { .. } => Some("rectify"),
        _ => None,
    }
}

/// Whether `access`, acting as `actor`, may take `step` on a warning of `level` whose
/// subject (its unit, else its region) has the organisation path `path` (the subject
/// first), given the warning's `history` (entries with `action` and `actor`, oldest
/// first). Checked in this order: the step's permission reaching the subject; the unit
/// head's sign-off; four eyes against the step judged; a closer who took no step; a red
/// warning's dismissal by the bureau head. Whether the warning's state allows the step is
/// the loop's own rule (`workflow::next_for`), not an access decision.
pub fn may_step(
    access: &Access,
    path: &[&str],
    level: &str,
    history: &[serde_json::Value],
    actor: &str,
    step: Step,
) -> Result<(), Refusal> {
    access.check(step_permission(step), path)?;
    let roles: Vec<Role> = access.grants.iter().filter(|g| g.scope.reaches(path)).map(|g| g.role).collect();
    if matches!(step, Step::SignOff { .. }) {
        access::may_sign_off(&roles)?;
    }
    if let Some(judged) = judged_step(step) {
        let by = history.iter().rev().find(|e| e["action"] == judged).and_then(|e| e["actor"].as_str()).unwrap_or("");
        access::four_eyes(by, actor, "warning's step")?;
    }
    if step.closes() {
        let steps = history
            .iter()
            .filter(|e| e["action"].as_str().and_then(Step::parse).is_some())
            .filter_map(|e| e["actor"].as_str());
        access::closer_took_no_step(steps, actor, "warning")?;
    }
    if step == Step::Dismiss {
        access::may_dismiss(level, &roles)?;
    }
    Ok(())
}

/// The permission a risk-register action needs on the risk's scope: reading is reading
/// warnings; adding, assessing, treating and reviewing, and adopting or rejecting a proposed
/// risk, are a reviewer's; accepting a risk is
/// a closer's (and never its owner's, which `Register::apply` checks); the matrix is a
/// setting.
pub fn risk_permission(action: Option<&bw_core::risk::Action>) -> Permission {
    use bw_core::risk::Action;
    match action {
        None => RISK_READ,
        Some(
            Action::Add { .. }
            | Action::Assess { .. }
            | Action::Treat { .. }
            | Action::Review { .. }
            | Action::Materialise { .. }
            | Action::Propose { .. }
            | Action::Adopt { .. }
            | Action::Reject { .. },
        ) => RISK_MANAGE,
        Some(Action::Accept { .. }) => RISK_ACCEPT,
        Some(Action::Matrix { .. }) => Permission::ChangeSettings,
    }
}

/// Reading the register.
pub const RISK_READ: Permission = Permission::ReadWarnings;
/// Adding, assessing, treating, reviewing a risk, and recording that it happened.
pub const RISK_MANAGE: Permission = Permission::ReviewWarning;
/// Approving a risk's acceptance.
pub const RISK_ACCEPT: Permission = Permission::CloseWarning;

#[cfg(test)]
mod tests {
    use super::*;
    use bw_core::access::{Grant, Scope};
    use serde_json::json;

    fn access(user: &str, grants: &[(Role, &str)]) -> Access {
        Access {
            user: user.into(),
            grants: grants.iter().map(|(r, s)| Grant { role: *r, scope: Scope::parse(s), until: None }).collect(),
            limit: None,
        }
    }

    const PATH: [&str; 3] = ["U1", "D1", "R1"];

    #[test]
    fn the_unit_explains_and_only_its_head_signs_off_never_the_explainer() {
        let handler = access("h", &[(Role::UnitHandler, "U1")]);
        let head = access("boss", &[(Role::UnitHead, "U1")]);
        let other_unit = access("x", &[(Role::UnitHandler, "U2")]);
        assert!(may_step(&handler, &PATH, "yellow", &[], "user:h", Step::Explain).is_ok());
        assert!(matches!(
            may_step(&other_unit, &PATH, "yellow", &[], "user:x", Step::Explain),
            Err(Refusal::OutOfScope(..))
        ));
        let explained = [json!({"action": "explain", "actor": "user:h"})];
        let sign = Step::SignOff { approved: true };
        assert!(matches!(may_step(&handler, &PATH, "yellow", &explained, "user:h", sign), Err(Refusal::Role { .. })));
        assert!(may_step(&head, &PATH, "yellow", &explained, "user:boss", sign).is_ok());
        let head_explained = [json!({"action": "explain", "actor": "user:boss"})];
        assert!(matches!(
            may_step(&head, &PATH, "yellow", &head_explained, "user:boss", sign),
            Err(Refusal::Duties(_))
        ));
    }

    #[test]
    fn a_red_dismissal_is_the_bureau_heads_and_a_closer_took_no_step() {
        let reviewer = access("r", &[(Role::BureauReviewer, "*")]);
        let head = access("bh", &[(Role::BureauHead, "*")]);
        assert!(may_step(&reviewer, &PATH, "yellow", &[], "user:r", Step::Dismiss).is_ok());
        assert!(matches!(may_step(&reviewer, &PATH, "red", &[], "user:r", Step::Dismiss), Err(Refusal::Role { .. })));
        assert!(may_step(&head, &PATH, "red", &[], "user:bh", Step::Dismiss).is_ok());
        let stepped = [json!({"action": "explain", "actor": "user:bh"})];
        assert!(matches!(may_step(&head, &PATH, "red", &stepped, "user:bh", Step::Dismiss), Err(Refusal::Duties(_))));
        let judged = [json!({"action": "explain", "actor": "user:h"})];
        let normal = Step::Judge(Judgement::Normal);
        assert!(may_step(&head, &PATH, "red", &judged, "user:bh", normal).is_ok());
    }
}
