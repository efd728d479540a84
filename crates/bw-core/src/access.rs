//! Who may do what, where: the twelve shipped roles (permission levels), the permissions
//! each holds, the highest class of data each may see, grants on a subtree of the
//! organisation, and the segregation of duties. Pure: the server asks, this answers.

use crate::Date;

/// How sensitive a piece of data is. Ordered: a role that may see a class sees those below.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataClass {
    /// Published to anyone (budgets, execution by region and department, 三公 disclosures).
    Public,
    /// Inside the administration: payments without the payee's personal details, warnings.
    Internal,
    /// Identifies people: an individual payee's name and account, staff registers.
    Personal,
    /// 涉密: never outside those cleared for it.
    Classified,
}

impl DataClass {
    pub fn as_str(self) -> &'static str {
        match self {
            DataClass::Public => "public",
            DataClass::Internal => "internal",
            DataClass::Personal => "personal",
            DataClass::Classified => "classified",
        }
    }
}

/// What a role may do. Reading is limited further by the grant's subtree and the role's
/// data class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// The public portal's figures.
    ReadPublic,
    /// Comments on budgets and media inquiries through the feedback channel.
    Comment,
    /// Budgets, indicators and their execution inside the administration.
    ReadBudget,
    /// Payment vouchers.
    ReadPayments,
    /// Warnings and audit findings.
    ReadWarnings,
    /// Ledger checkpoints and proofs of entries.
    ReadLedger,
    /// CSV and XLSX exports of what the caller may read.
    Export,
    /// Recording payments and revenues (API ingestion, imports).
    Ingest,
    /// A unit's own steps on a warning: explanation, plan, rectification report.
    ActWarning,
    /// A reviewer's steps on a warning: accept, return, escalate.
    ReviewWarning,
    /// Closing a warning after its rectification is verified.
    CloseWarning,
    /// Preparing budget drafts and adjustments.
    PrepareBudget,
    /// Approving budgets and adjustments.
    ApproveBudget,
    /// Running the audit analytics and opening audit cases.
    RunAudit,
    /// Rule thresholds, policies and other settings.
    ChangeSettings,
    /// Answering citizens' and media inquiries.
    AnswerInquiry,
    /// Accounts, grants and tokens.
    ManageUsers,
}

impl Permission {
    /// Permissions that change records (as opposed to reading them). Running the audit
    /// adds findings and changes none of the records it examines.
    pub fn changes(self) -> bool {
        !matches!(
            self,
            Permission::RunAudit
                | Permission::ReadPublic
                | Permission::ReadBudget
                | Permission::ReadPayments
                | Permission::ReadWarnings
                | Permission::ReadLedger
                | Permission::Export
        )
    }
}

/// The twelve shipped roles, by level. In JSON by their ids (`bureau_head`); the variant
/// names written by earlier versions are still read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[serde(alias = "Public")]
    Public,
    #[serde(alias = "Citizen")]
    Citizen,
    #[serde(alias = "Deputy")]
    Deputy,
    #[serde(alias = "ThirdPartyAuditor")]
    ThirdPartyAuditor,
    #[serde(alias = "UnitHandler")]
    UnitHandler,
    #[serde(alias = "UnitFinance")]
    UnitFinance,
    #[serde(alias = "UnitHead")]
    UnitHead,
    #[serde(alias = "DepartmentReviewer")]
    DepartmentReviewer,
    #[serde(alias = "BureauReviewer")]
    BureauReviewer,
    #[serde(alias = "BureauHead")]
    BureauHead,
    #[serde(alias = "AuditDiscipline")]
    AuditDiscipline,
    #[serde(alias = "Admin")]
    Admin,
}

use Permission::*;

impl Role {
    /// Roles at or above `bureau_reviewer`: granting one takes a second person's approval.
    pub fn needs_second_approval(self) -> bool {
        matches!(self, Role::BureauReviewer | Role::BureauHead | Role::AuditDiscipline | Role::Admin)
    }

    pub const ALL: [Role; 12] = [
        Role::Public,
        Role::Citizen,
        Role::Deputy,
        Role::ThirdPartyAuditor,
        Role::UnitHandler,
        Role::UnitFinance,
        Role::UnitHead,
        Role::DepartmentReviewer,
        Role::BureauReviewer,
        Role::BureauHead,
        Role::AuditDiscipline,
        Role::Admin,
    ];

    /// The permission level, 1 to 12.
    pub fn level(self) -> u8 {
        self as u8 + 1
    }

    pub fn id(self) -> &'static str {
        match self {
            Role::Public => "public",
            Role::Citizen => "citizen",
            Role::Deputy => "deputy",
            Role::ThirdPartyAuditor => "third_party_auditor",
            Role::UnitHandler => "unit_handler",
            Role::UnitFinance => "unit_finance",
            Role::UnitHead => "unit_head",
            Role::DepartmentReviewer => "department_reviewer",
            Role::BureauReviewer => "bureau_reviewer",
            Role::BureauHead => "bureau_head",
            Role::AuditDiscipline => "audit_discipline",
            Role::Admin => "admin",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Role::Public => "社会公众",
            Role::Citizen => "注册公民/媒体",
            Role::Deputy => "人大代表",
            Role::ThirdPartyAuditor => "第三方审计",
            Role::UnitHandler => "单位经办人",
            Role::UnitFinance => "单位财务",
            Role::UnitHead => "单位负责人",
            Role::DepartmentReviewer => "主管部门审核",
            Role::BureauReviewer => "财政局审核",
            Role::BureauHead => "财政局负责人",
            Role::AuditDiscipline => "审计与纪检",
            Role::Admin => "系统管理员",
        }
    }

    /// A role by its id or its level ("unit_head" or "7").
    pub fn parse(s: &str) -> Result<Role, String> {
        let s = s.trim();
        Role::ALL.into_iter().find(|r| r.id() == s || r.level().to_string() == s).ok_or_else(|| {
            format!("unknown role {s:?}: {}", Role::ALL.iter().map(|r| r.id()).collect::<Vec<_>>().join(", "))
        })
    }

    /// The highest class of data the role may see.
    pub fn max_class(self) -> DataClass {
        match self {
            Role::Public | Role::Citizen => DataClass::Public,
            Role::Deputy | Role::UnitHandler | Role::Admin => DataClass::Internal,
            Role::ThirdPartyAuditor
            | Role::UnitFinance
            | Role::UnitHead
            | Role::DepartmentReviewer
            | Role::BureauReviewer => DataClass::Personal,
            Role::BureauHead | Role::AuditDiscipline => DataClass::Classified,
        }
    }

    /// Whether a grant of the role must end on a date (an outside auditor's engagement).
    pub fn time_limited(self) -> bool {
        self == Role::ThirdPartyAuditor
    }

    /// Roles whose holders only read and verify: holding one bars every permission that
    /// changes records, whatever else the person holds.
    pub fn verifies(self) -> bool {
        matches!(self, Role::ThirdPartyAuditor | Role::AuditDiscipline)
    }

    pub fn permissions(self) -> &'static [Permission] {
        match self {
            Role::Public => &[ReadPublic],
            Role::Citizen => &[ReadPublic, Comment],
            Role::Deputy => &[ReadPublic, Comment, ReadBudget, ReadWarnings, Export],
            Role::ThirdPartyAuditor => &[ReadPublic, ReadBudget, ReadPayments, ReadWarnings, ReadLedger, Export],
            Role::UnitHandler => {
                &[ReadPublic, ReadBudget, ReadPayments, ReadWarnings, Ingest, ActWarning, PrepareBudget]
            }
            Role::UnitFinance => {
                &[ReadPublic, ReadBudget, ReadPayments, ReadWarnings, Export, Ingest, ActWarning, PrepareBudget]
            }
            Role::UnitHead => &[ReadPublic, ReadBudget, ReadPayments, ReadWarnings, Export, ActWarning, ApproveBudget],
            Role::DepartmentReviewer => {
                &[ReadPublic, ReadBudget, ReadPayments, ReadWarnings, Export, ReviewWarning, ApproveBudget]
            }
            Role::BureauReviewer => &[
                ReadPublic,
                ReadBudget,
                ReadPayments,
                ReadWarnings,
                ReadLedger,
                Export,
                Ingest,
                ReviewWarning,
                CloseWarning,
                PrepareBudget,
                AnswerInquiry,
            ],
            Role::BureauHead => &[
                ReadPublic,
                ReadBudget,
                ReadPayments,
                ReadWarnings,
                ReadLedger,
                Export,
                ReviewWarning,
                CloseWarning,
                ApproveBudget,
                ChangeSettings,
                AnswerInquiry,
            ],
            Role::AuditDiscipline => {
                &[ReadPublic, ReadBudget, ReadPayments, ReadWarnings, ReadLedger, Export, RunAudit]
            }
            // Administers accounts and settings; sees the inside figures, not people's data.
            Role::Admin => &[ReadPublic, ReadBudget, ReadWarnings, ReadLedger, ManageUsers, ChangeSettings],
        }
    }

    pub fn has(self, p: Permission) -> bool {
        self.permissions().contains(&p)
    }
}

/// Where a grant reaches: the whole installation, or one node of the organisation and
/// everything under it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Scope {
    All,
    Node(String),
}

impl Scope {
    /// `*` or an organisation code.
    pub fn parse(s: &str) -> Scope {
        match s.trim() {
            "*" | "" => Scope::All,
            code => Scope::Node(code.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Scope::All => "*",
            Scope::Node(c) => c,
        }
    }

    /// Whether the scope reaches a node whose codes up to the root are `path` (the node
    /// first, as `OrgTree::ancestors` gives them).
    pub fn reaches(&self, path: &[&str]) -> bool {
        match self {
            Scope::All => true,
            Scope::Node(c) => path.contains(&c.as_str()),
        }
    }
}

/// A role held on a scope, possibly until a date (inclusive).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Grant {
    pub role: Role,
    pub scope: Scope,
    pub until: Option<Date>,
}

impl Grant {
    pub fn active(&self, today: Date) -> bool {
        self.until.is_none_or(|u| today <= u)
    }
}

/// Why an action is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("not permitted: {0:?} is in none of the caller's roles")]
    NoPermission(Permission),
    #[error("out of scope: the caller's roles with {0:?} do not reach {1}")]
    OutOfScope(Permission, String),
    #[error("{0} data is above what the caller may see")]
    Class(&'static str),
    #[error("segregation of duties: {0}")]
    Duties(String),
    /// The step (`what`, in English and Chinese) is reserved to one role on the subject.
    #[error("{} is reserved to the {} on the subject", .what.0, .role.id())]
    Role { role: Role, what: (&'static str, &'static str) },
}

impl Refusal {
    /// The refusal as a Chinese reader is told it: which roles would allow it.
    pub fn zh(&self) -> String {
        match self {
            Refusal::NoPermission(p) => {
                let roles: Vec<&str> =
                    Role::ALL.iter().filter(|r| r.permissions().contains(p)).map(|r| r.zh()).collect();
                format!("您的角色无权进行此操作。需要以下角色之一：{}。请联系系统管理员授权。", roles.join("、"))
            }
            Refusal::OutOfScope(_, node) => format!("您的授权范围不包括 {node}。请联系系统管理员调整授权范围。"),
            Refusal::Class(class) => format!("该数据的密级（{class}）高于您的角色可查看的级别。"),
            Refusal::Duties(why) => format!("职责分离：同一人不能兼任此步骤（{why}）。"),
            Refusal::Role { role, what } => format!("{}须由{}办理。", what.1, role.zh()),
        }
    }
}

/// A person's (or token's) active grants, today.
#[derive(Clone, Debug, Default)]
pub struct Access {
    pub user: String,
    pub grants: Vec<Grant>,
    /// An API token's scopes: only these permissions, within the grants.
    pub limit: Option<Vec<Permission>>,
}

impl Access {
    /// Anyone, not logged in: the public role over everything public.
    pub fn anonymous() -> Access {
        Access {
            user: String::new(),
            grants: vec![Grant { role: Role::Public, scope: Scope::All, until: None }],
            limit: None,
        }
    }

    /// Only the grants active on `today`.
    pub fn new(user: &str, grants: Vec<Grant>, today: Date) -> Access {
        Access { user: user.to_string(), grants: grants.into_iter().filter(|g| g.active(today)).collect(), limit: None }
    }

    fn verifier(&self) -> bool {
        self.grants.iter().any(|g| g.role.verifies())
    }

    fn admin(&self) -> bool {
        self.grants.iter().any(|g| g.role == Role::Admin)
    }

    /// Whether `p` is barred whatever the grants: a verifier changes nothing it verifies;
    /// an administrator approves no budget and closes no warning.
    fn barred(&self, p: Permission) -> Option<Refusal> {
        if self.limit.as_ref().is_some_and(|l| !l.contains(&p)) {
            return Some(Refusal::NoPermission(p));
        }
        if self.verifier() && p.changes() {
            return Some(Refusal::Duties("audit reads and verifies; it does not change records".into()));
        }
        if self.admin() && matches!(p, ApproveBudget | CloseWarning) {
            return Some(Refusal::Duties("an administrator cannot approve budgets or close warnings".into()));
        }
        None
    }

    /// Grants carrying `p`, not barred.
    fn with(&self, p: Permission) -> impl Iterator<Item = &Grant> {
        let barred = self.barred(p).is_some();
        self.grants.iter().filter(move |g| !barred && g.role.has(p))
    }

    /// Whether the caller may do `p` anywhere at all (for menus and list endpoints).
    pub fn has(&self, p: Permission) -> bool {
        self.with(p).next().is_some()
    }

    /// `p` on the node with `path` (its codes up to the root, the node first).
    pub fn check(&self, p: Permission, path: &[&str]) -> Result<(), Refusal> {
        if let Some(r) = self.barred(p) {
            return Err(r);
        }
        if !self.grants.iter().any(|g| g.role.has(p)) {
            return Err(Refusal::NoPermission(p));
        }
        if self.with(p).any(|g| g.scope.reaches(path)) {
            Ok(())
        } else {
            Err(Refusal::OutOfScope(p, path.first().copied().unwrap_or("*").to_string()))
        }
    }

    /// The scopes where the caller may do `p` (for filtering lists); `All` alone when one
    /// grant reaches everything.
    pub fn scopes(&self, p: Permission) -> Vec<Scope> {
        let mut out: Vec<Scope> = self.with(p).map(|g| g.scope.clone()).collect();
        if out.contains(&Scope::All) {
            return vec![Scope::All];
        }
        out.sort();
        out.dedup();
        out
    }

    /// The highest data class the caller may see on the node with `path`: the highest of
    /// the roles whose grants reach it (public data is everyone's).
    pub fn class_at(&self, path: &[&str]) -> DataClass {
        self.grants
            .iter()
            .filter(|g| g.scope.reaches(path))
            .map(|g| g.role.max_class())
            .max()
            .unwrap_or(DataClass::Public)
    }

    /// `class` data on the node with `path`.
    pub fn see(&self, class: DataClass, path: &[&str]) -> Result<(), Refusal> {
        if self.class_at(path) >= class { Ok(()) } else { Err(Refusal::Class(class.as_str())) }
    }
}

/// Four eyes: whoever prepared an item cannot approve, review or close it.
pub fn four_eyes(prepared_by: &str, acting: &str, what: &str) -> Result<(), Refusal> {
    if !prepared_by.is_empty() && prepared_by == acting {
        Err(Refusal::Duties(format!("{acting} prepared this {what} and cannot also approve it")))
    } else {
        Ok(())
    }
}

/// Whoever took any step of an item (the actors of its earlier steps) cannot also close or
/// dismiss it: the one who explained a warning does not dismiss it.
pub fn closer_took_no_step<'a>(
    earlier: impl IntoIterator<Item = &'a str>,
    acting: &str,
    what: &str,
) -> Result<(), Refusal> {
    if earlier.into_iter().any(|a| a == acting) {
        Err(Refusal::Duties(format!("{acting} took a step of this {what} and cannot also close or dismiss it")))
    } else {
        Ok(())
    }
}

/// A grant of a role at or above `bureau_reviewer` waits for a second person: the approver
/// is neither who asked for it nor who receives it (`actor`s are the journal's).
pub fn second_person(requested_by: &str, approver: &str, grantee: &str) -> Result<(), Refusal> {
    // A user acts as `user:NAME` on pages and as `NAME` with `--actor`: the same person.
    let who = |a: &'_ str| a.strip_prefix("user:").unwrap_or(a).to_string();
    if who(requested_by) == who(approver) {
        Err(Refusal::Duties(format!("{approver} asked for this grant and cannot also approve it")))
    } else if who(approver) == grantee {
        Err(Refusal::Duties(format!("{grantee} cannot approve a grant to themselves")))
    } else {
        Ok(())
    }
}

/// A red warning is dismissed (closed as no problem without the loop) only by the bureau
/// head: the graded response puts a red warning with the bureau (专项审计), and a reviewer
/// who may close a yellow or orange one does not make a red one go away.
pub fn may_dismiss(level: &str, roles_at_subject: &[Role]) -> Result<(), Refusal> {
    if level == "red" && !roles_at_subject.contains(&Role::BureauHead) {
        Err(Refusal::Role { role: Role::BureauHead, what: ("dismissing a red warning", "撤销红色预警") })
    } else {
        Ok(())
    }
}

/// A unit's explanation goes to the reviewer only when the unit head (单位负责人) signs it
/// off: the person answerable for the unit's budget, not its staff or a reviewer above it.
pub fn may_sign_off(roles_at_subject: &[Role]) -> Result<(), Refusal> {
    if roles_at_subject.contains(&Role::UnitHead) {
        Ok(())
    } else {
        Err(Refusal::Role { role: Role::UnitHead, what: ("signing off a unit's explanation", "签批单位的说明") })
    }
}

/// Nobody grants a role to themselves: `actor` is the journal's `user:NAME`.
pub fn not_to_oneself(actor: &str, user: &str) -> Result<(), Refusal> {
    if actor.strip_prefix("user:") == Some(user) {
        Err(Refusal::Duties(format!("{user} cannot grant a role to themselves")))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_the_roles_that_would_allow_it_in_chinese() {
        let z = Refusal::NoPermission(Permission::RunAudit).zh();
        assert!(z.contains("审计与纪检") && !z.contains("RunAudit"), "{z}");
        assert!(!z.contains("系统管理员、"), "the administrator does not run audits: {z}");
    }

    #[test]
    fn no_side_doors_through_ones_own_steps_or_grants() {
        assert!(closer_took_no_step(["system", "user:alice"], "user:alice", "warning").is_err());
        assert!(closer_took_no_step(["system", "user:alice"], "user:bob", "warning").is_ok());
        assert!(second_person("user:alice", "user:alice", "carol").is_err());
        assert!(second_person("alice", "user:alice", "carol").is_err());
        assert!(second_person("user:alice", "user:carol", "carol").is_err());
        assert!(second_person("user:alice", "user:bob", "carol").is_ok());
        assert!(may_dismiss("red", &[Role::BureauReviewer]).is_err());
        assert!(may_dismiss("red", &[Role::BureauReviewer, Role::BureauHead]).is_ok());
        assert!(may_dismiss("orange", &[Role::BureauReviewer]).is_ok());
        assert!(Role::BureauReviewer.needs_second_approval() && Role::Admin.needs_second_approval());
        assert!(!Role::DepartmentReviewer.needs_second_approval());
        assert!(not_to_oneself("user:admin", "admin").is_err());
        assert!(not_to_oneself("user:admin", "puppet").is_ok());
        assert!(not_to_oneself("cli:root", "admin").is_ok(), "the operator at the console sets up the first accounts");
    }

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap_or(Date::from_days(0))
    }

    fn one(role: Role, scope: &str) -> Access {
        Access::new("u", vec![Grant { role, scope: Scope::parse(scope), until: None }], d("2026-01-01"))
    }

    // A county, one of its departments and a unit under it; a unit elsewhere.
    const UNIT: &[&str] = &["U1", "D1", "C1", "P"];
    const OTHER: &[&str] = &["U9", "D9", "C9", "P"];

    #[test]
    fn twelve_levels_in_order_with_distinct_ids() {
        let levels: Vec<u8> = Role::ALL.iter().map(|r| r.level()).collect();
        assert_eq!(levels, (1..=12).collect::<Vec<u8>>());
        for r in Role::ALL {
            assert_eq!(Role::parse(r.id()), Ok(r));
            assert_eq!(Role::parse(&r.level().to_string()), Ok(r));
        }
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn a_grant_on_a_county_reaches_its_units_and_nothing_else() {
        let a = one(Role::UnitHandler, "C1");
        assert_eq!(a.check(Permission::ReadPayments, UNIT), Ok(()));
        assert_eq!(
            a.check(Permission::ReadPayments, OTHER),
            Err(Refusal::OutOfScope(Permission::ReadPayments, "U9".into()))
        );
        // The county's grant does not reach up to the province.
        assert!(a.check(Permission::ReadPayments, &["P"]).is_err());
        assert_eq!(a.scopes(Permission::ReadPayments), vec![Scope::Node("C1".into())]);
    }

    #[test]
    fn classes_follow_the_roles_reaching_the_node() {
        let a = Access::new(
            "u",
            vec![
                Grant { role: Role::Deputy, scope: Scope::All, until: None },
                Grant { role: Role::UnitFinance, scope: Scope::parse("U1"), until: None },
            ],
            d("2026-01-01"),
        );
        assert_eq!(a.class_at(UNIT), DataClass::Personal);
        assert_eq!(a.class_at(OTHER), DataClass::Internal);
        assert!(a.see(DataClass::Personal, OTHER).is_err());
        assert!(Access::anonymous().see(DataClass::Internal, UNIT).is_err());
        assert!(Access::anonymous().see(DataClass::Public, UNIT).is_ok());
    }

    #[test]
    fn expired_grants_count_for_nothing() {
        let g = Grant { role: Role::ThirdPartyAuditor, scope: Scope::All, until: Some(d("2026-03-31")) };
        assert!(Access::new("a", vec![g.clone()], d("2026-03-31")).has(Permission::ReadPayments));
        assert!(!Access::new("a", vec![g], d("2026-04-01")).has(Permission::ReadPayments));
    }

    #[test]
    fn duties_are_segregated_whatever_else_is_held() {
        let both = |extra: Role| {
            Access::new(
                "x",
                vec![
                    Grant { role: extra, scope: Scope::All, until: None },
                    Grant { role: Role::BureauHead, scope: Scope::All, until: None },
                ],
                d("2026-01-01"),
            )
        };
        let admin = both(Role::Admin);
        assert!(matches!(admin.check(Permission::ApproveBudget, UNIT), Err(Refusal::Duties(_))));
        assert!(matches!(admin.check(Permission::CloseWarning, UNIT), Err(Refusal::Duties(_))));
        assert_eq!(admin.check(Permission::ManageUsers, UNIT), Ok(()));
        let audit = both(Role::AuditDiscipline);
        assert!(matches!(audit.check(Permission::CloseWarning, UNIT), Err(Refusal::Duties(_))));
        assert!(matches!(audit.check(Permission::ChangeSettings, UNIT), Err(Refusal::Duties(_))));
        assert_eq!(audit.check(Permission::ReadLedger, UNIT), Ok(()));
        assert!(!audit.has(Permission::Ingest));
        assert!(four_eyes("alice", "alice", "budget").is_err());
        assert!(four_eyes("alice", "bob", "budget").is_ok());
    }

    #[test]
    fn a_token_does_only_what_its_scopes_name() {
        let mut a = one(Role::BureauReviewer, "*");
        a.limit = Some(vec![Permission::Ingest]);
        assert_eq!(a.check(Permission::Ingest, UNIT), Ok(()));
        assert_eq!(a.check(Permission::ReadPayments, UNIT), Err(Refusal::NoPermission(Permission::ReadPayments)));
        assert!(!a.has(Permission::ReadPayments));
        // Scopes never add what the grants lack.
        let mut b = one(Role::Deputy, "*");
        b.limit = Some(vec![Permission::Ingest]);
        assert!(b.check(Permission::Ingest, UNIT).is_err());
    }

    #[test]
    fn reading_roles_change_nothing() {
        for r in Role::ALL.into_iter().filter(|r| r.verifies() || r.level() <= 3) {
            for p in r.permissions() {
                assert!(!p.changes() || *p == Permission::Comment, "{r:?} may {p:?}");
            }
        }
        assert!(!Role::Admin.has(Permission::ApproveBudget) && !Role::Admin.has(Permission::CloseWarning));
        assert!(!Role::Admin.has(Permission::ReadPayments), "an administrator does not read people's payments");
    }
}
