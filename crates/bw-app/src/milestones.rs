//! Milestone-triggered release (里程碑付款), the service side of `bw_core::milestone`: a
//! contract's plan as imported (`contract_milestones`), where each milestone stands
//! (`milestone_progress`), the actions that move it — a claim (`milestone.submit`), a
//! verifier's signed opinion (`milestone.verify`, sealed with the verifier's own key), a
//! dispute (`milestone.dispute`) and a bureau head's resolution (`milestone.resolve`) — and
//! the payments held beyond what the verified milestones release, released by the
//! verification that makes room for them, in its transaction, each release citing it.
//! Time never releases money: a passed due date raises a warning (`milestone_overdue`).

use bw_core::action::Action;
use std::collections::BTreeMap;

use bw_core::milestone::{Kind, Ladder, MilestoneError, Progress};
use bw_core::records::ContractMilestone;
use bw_core::{Date, Money};
use bw_ledger::Header;
use bw_ledger::note::Signer;
use bw_store::sqlx::{self, AnyConnection, Row};
use bw_store::{JournalWriter, Store, Tx};

use crate::Ctx;
use crate::hold::HoldData;
use crate::journal::{ActionError, sealed_entry};

pub use bw_core::milestone::OVERDUE;

/// Why a milestone action was not taken.
#[derive(Debug, thiserror::Error)]
pub enum MilestoneActionError {
    #[error("{0} ({code})", code = .0.code())]
    Refused(MilestoneError),
    #[error("contract {0:?} has no milestones (import them with the contract_milestones template)")]
    NoPlan(String),
    #[error("{0} (forbidden)")]
    Forbidden(String),
    #[error(transparent)]
    Action(#[from] ActionError),
}

impl From<bw_store::sqlx::Error> for MilestoneActionError {
    fn from(e: bw_store::sqlx::Error) -> Self {
        MilestoneActionError::Action(e.into())
    }
}

impl MilestoneActionError {
    /// The stable code of a refusal.
    pub fn code(&self) -> &'static str {
        match self {
            MilestoneActionError::Refused(e) => e.code(),
            MilestoneActionError::NoPlan(_) => "unknown_contract",
            MilestoneActionError::Forbidden(_) => "forbidden",
            MilestoneActionError::Action(_) => "internal",
        }
    }
}

/// The contract a plan belongs to.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ContractInfo {
    pub contract_no: String,
    pub unit_code: String,
    pub year: i32,
    pub indicator_code: String,
    pub supplier_name: String,
    pub amount: Money,
    pub paid: Money,
    pub status: String,
    pub signed_on: String,
    pub ends_on: String,
}

/// A contract with its milestones and where they stand.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub contract: ContractInfo,
    pub plan: Vec<ContractMilestone>,
    pub ladder: Ladder,
    /// The entry of each milestone's verification that last released money.
    pub verified_entry: BTreeMap<u32, i64>,
    /// Held for the milestones: (unit, voucher, pay date, amount), oldest first.
    pub held: Vec<(String, String, String, Money)>,
}

fn invalid(e: impl std::fmt::Display) -> ActionError {
    ActionError::Invalid(e.to_string())
}

/// The stored milestones as imported: every contract's, or only `contract`'s.
pub async fn stored_plans(
    conn: &mut AnyConnection,
    contract: Option<&str>,
) -> Result<Vec<ContractMilestone>, ActionError> {
    let rows = sqlx::query(
        "SELECT contract_no, seq, name, kind, amount, share_permille, criterion, verifiers, depends_on, pro_rata, \
         due_date, retention_days FROM contract_milestones WHERE $1 IS NULL OR contract_no = $1 ORDER BY contract_no, seq",
    )
    .bind(contract.map(str::to_string))
    .fetch_all(&mut *conn)
    .await?;
    let list = |s: String| -> Vec<String> { s.split(';').filter(|v| !v.is_empty()).map(str::to_string).collect() };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let number = |v: Option<String>| v.and_then(|s| s.parse::<i64>().ok());
        let share = number(r.try_get(5)?);
        let due: Option<String> = r.try_get(10)?;
        out.push(ContractMilestone {
            contract_no: r.try_get(0)?,
            seq: r.try_get::<i64, _>(1)? as u32,
            name: r.try_get(2)?,
            kind: Kind::parse(&r.try_get::<String, _>(3)?).ok_or_else(|| invalid("a stored milestone of no kind"))?,
            amount: share.is_none().then(|| r.try_get::<i64, _>(4).map(Money::from_fen)).transpose()?,
            share_permille: share.map(|p| p as u16),
            criterion: r.try_get(6)?,
            verifiers: list(r.try_get(7)?),
            depends_on: list(r.try_get(8)?).iter().filter_map(|d| d.parse().ok()).collect(),
            pro_rata: r.try_get::<i64, _>(9)? != 0,
            due_date: due.map(|d| Date::parse(&d)).transpose().map_err(invalid)?,
            retention_days: number(r.try_get(11)?).map(|d| d as u32),
        });
    }
    Ok(out)
}

/// Contract `no` with its milestones, or `None` when it has none.
pub async fn load_in(conn: &mut AnyConnection, no: &str) -> Result<Option<Loaded>, ActionError> {
    let Some(c) = sqlx::query(
        "SELECT contract_no, unit_code, year, indicator_code, supplier_name, amount, paid, status, signed_on, ends_on \
         FROM contracts WHERE contract_no = $1",
    )
    .bind(no.to_string())
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let contract = ContractInfo {
        contract_no: c.try_get(0)?,
        unit_code: c.try_get(1)?,
        year: c.try_get::<i64, _>(2)? as i32,
        indicator_code: c.try_get(3)?,
        supplier_name: c.try_get(4)?,
        amount: Money::from_fen(c.try_get(5)?),
        paid: Money::from_fen(c.try_get(6)?),
        status: c.try_get(7)?,
        signed_on: c.try_get(8)?,
        ends_on: c.try_get(9)?,
    };
    let plan = stored_plans(conn, Some(no)).await?;
    if plan.is_empty() {
        return Ok(None);
    }
    let mut ladder = Ladder::new(contract.amount, plan.iter().map(|m| m.milestone(contract.amount)).collect())
        .map_err(|e| invalid(format!("contract {no}: the stored plan is refused: {e}")))?;
    ladder.paid = contract.paid;
    let mut verified_entry = BTreeMap::new();
    for r in sqlx::query(
        "SELECT seq, verified_permille, claim, disputed, verified_entry FROM milestone_progress WHERE contract_no = $1",
    )
    .bind(no.to_string())
    .fetch_all(&mut *conn)
    .await?
    {
        let seq = r.try_get::<i64, _>(0)? as u32;
        let claim: Option<String> = r.try_get(2)?;
        let progress = Progress {
            verified_permille: r.try_get::<i64, _>(1)? as u16,
            claim: claim.map(|c| serde_json::from_str(&c)).transpose().map_err(invalid)?,
            disputed: r.try_get::<i64, _>(3)? != 0,
        };
        ladder.progress.insert(seq, progress);
        if let Some(e) = r.try_get::<Option<i64>, _>(4)? {
            verified_entry.insert(seq, e);
        }
    }
    let mut held = Vec::new();
    for r in sqlx::query(
        "SELECT unit_code, voucher_no, pay_date, amount FROM payments \
         WHERE contract_no = $1 AND status = 'held' AND hold_reason = $2 ORDER BY pay_date, voucher_no",
    )
    .bind(no.to_string())
    .bind(crate::hold::MILESTONE_NOT_VERIFIED)
    .fetch_all(&mut *conn)
    .await?
    {
        held.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, Money::from_fen(r.try_get(3)?)));
    }
    Ok(Some(Loaded { contract, plan, ladder, verified_entry, held }))
}

/// Contract `no` with its milestones.
pub async fn load(store: &Store, no: &str) -> Result<Option<Loaded>, ActionError> {
    let mut conn = store.pool().acquire().await?;
    load_in(&mut conn, no).await
}

/// The contracts that have milestones, with their amounts, paid and releasable.
pub async fn contracts(store: &Store) -> Result<Vec<Loaded>, ActionError> {
    let mut conn = store.pool().acquire().await?;
    let nos: Vec<String> = sqlx::query("SELECT DISTINCT contract_no FROM contract_milestones ORDER BY contract_no")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for no in nos {
        if let Some(l) = load_in(&mut conn, &no).await? {
            out.push(l);
        }
    }
    Ok(out)
}

/// A milestone as `contract status` shows it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MilestoneView {
    pub seq: u32,
    pub name: String,
    pub kind: &'static str,
    /// `released_on_signing` (the advance), `disputed`, `submitted` (a claim awaits its
    /// opinions), `verified` (whole), `partly_verified` (pro-rata) or `pending`.
    pub state: &'static str,
    pub verified_permille: u16,
    pub amount: String,
    pub released: String,
    pub criterion: String,
    pub verifiers: Vec<String>,
    pub depends_on: Vec<u32>,
    pub pro_rata: bool,
    pub due_date: Option<String>,
    /// Past its due date and not verified whole (a warning; nothing is released by it).
    pub overdue: bool,
    pub claim: Option<bw_core::milestone::Claim>,
    /// The verification entry that last released money on it.
    pub verified_entry: Option<i64>,
}

/// `budgetwatch contract status --format json`: money as yuan with two decimals.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Status {
    pub contract_no: String,
    pub unit_code: String,
    pub supplier_name: String,
    pub amount: String,
    pub releasable: String,
    pub paid: String,
    /// Payments held until milestones are verified.
    pub held: String,
    /// The retention (质保金) not yet released.
    pub retention: String,
    pub milestones: Vec<MilestoneView>,
}

impl Loaded {
    /// The contract's figures and each milestone's state on `today`.
    pub fn status(&self, today: Date) -> Status {
        let l = &self.ladder;
        let mut retention = 0i64;
        let milestones = self
            .plan
            .iter()
            .filter_map(|cm| {
                let m = l.milestones.iter().find(|m| m.seq == cm.seq)?;
                let p = l.progress.get(&m.seq).cloned().unwrap_or_default();
                let released = l.released(m);
                if m.kind == Kind::Retention {
                    retention += m.amount.fen() - released.fen();
                }
                let state = match () {
                    _ if m.kind == Kind::Advance => "released_on_signing",
                    _ if p.disputed => "disputed",
                    _ if p.verified_permille == 1000 => "verified",
                    _ if p.claim.is_some() => "submitted",
                    _ if p.verified_permille > 0 => "partly_verified",
                    _ => "pending",
                };
                let overdue =
                    m.kind != Kind::Advance && p.verified_permille < 1000 && cm.due_date.is_some_and(|d| d < today);
                Some(MilestoneView {
                    seq: m.seq,
                    name: m.name.clone(),
                    kind: m.kind.id(),
                    state,
                    verified_permille: p.verified_permille,
                    amount: m.amount.to_string(),
                    released: released.to_string(),
                    criterion: m.criterion.clone(),
                    verifiers: m.verifiers.clone(),
                    depends_on: m.depends_on.clone(),
                    pro_rata: m.pro_rata,
                    due_date: cm.due_date.map(|d| d.to_string()),
                    overdue,
                    claim: p.claim.clone(),
                    verified_entry: self.verified_entry.get(&m.seq).copied(),
                })
            })
            .collect();
        let held: i64 = self.held.iter().map(|h| h.3.fen()).sum();
        Status {
            contract_no: self.contract.contract_no.clone(),
            unit_code: self.contract.unit_code.clone(),
            supplier_name: self.contract.supplier_name.clone(),
            amount: self.contract.amount.to_string(),
            releasable: l.releasable().to_string(),
            paid: l.paid.to_string(),
            held: Money::from_fen(held).to_string(),
            retention: Money::from_fen(retention).to_string(),
            milestones,
        }
    }
}

/// The roles (ids) `user` holds at `unit_code` on `today`: every active grant whose scope
/// reaches the unit, an administrator's excepted (who verifies no work).
pub async fn roles_at_unit(
    store: &Store,
    user: &str,
    unit_code: &str,
    today: Date,
) -> Result<Vec<String>, ActionError> {
    let access = crate::users::access(store, user, today).await?;
    let tree = crate::users::org_tree(store).await?;
    let path: Vec<&str> = tree.ancestors(unit_code).iter().map(|n| n.code.as_str()).collect();
    let mut roles: Vec<String> = access
        .grants
        .iter()
        .filter(|g| {
            g.scope.reaches(&path) && !matches!(g.role, bw_core::access::Role::Admin | bw_core::access::Role::Public)
        })
        .map(|g| g.role.id().to_string())
        .collect();
    roles.sort();
    roles.dedup();
    Ok(roles)
}

/// A milestone action's journaled data.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ActionData {
    pub contract_no: String,
    pub seq: u32,
    /// A claim's share (‰).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permille: Option<u16>,
    /// A claim's evidence: the SHA-256 of each document.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// A verification: the role answered for, and the opinion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// A dispute's reason, a resolution's or a verification's opinion.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// A resolution: whether the claim stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stands: Option<bool>,
}

impl ActionData {
    fn on(no: &str, seq: u32) -> ActionData {
        ActionData {
            contract_no: no.to_string(),
            seq,
            permille: None,
            evidence: Vec::new(),
            role: None,
            text: String::new(),
            stands: None,
        }
    }
}

/// The person an actor names (`user:NAME` → `NAME`).
pub fn person(actor: &str) -> &str {
    actor.strip_prefix("user:").unwrap_or(actor)
}

/// Applies a journaled action to a ladder, as the service did: what `verify` replays too.
/// Returns whether a verification completed.
pub fn apply(ladder: &mut Ladder, action: Action, actor: &str, d: &ActionData) -> Result<bool, MilestoneError> {
    let who = person(actor);
    match action {
        Action::MilestoneSubmit => {
            ladder.submit(d.seq, who, d.permille.unwrap_or(0), d.evidence.clone()).map(|_| false)
        }
        Action::MilestoneVerify => ladder.verify(d.seq, who, &d.role.iter().cloned().collect::<Vec<_>>()),
        Action::MilestoneDispute => ladder.dispute(d.seq).map(|_| false),
        Action::MilestoneResolve => ladder.resolve(d.seq, d.stands.unwrap_or(false)).map(|_| false),
        _ => Ok(false),
    }
}

/// The columns of `milestone_progress` as text, as `verify` compares them.
pub fn progress_row(p: &Progress, verified_entry: Option<i64>) -> Vec<String> {
    vec![
        p.verified_permille.to_string(),
        p.claim.as_ref().and_then(|c| serde_json::to_string(c).ok()).unwrap_or_else(|| "NULL".into()),
        i64::from(p.disputed).to_string(),
        verified_entry.map_or_else(|| "NULL".into(), |e| e.to_string()),
    ]
}

async fn write_progress(
    tx: &mut Tx,
    no: &str,
    seq: u32,
    p: &Progress,
    verified_entry: Option<i64>,
) -> Result<(), ActionError> {
    sqlx::query("DELETE FROM milestone_progress WHERE contract_no = $1 AND seq = $2")
        .bind(no.to_string())
        .bind(i64::from(seq))
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO milestone_progress (contract_no, seq, verified_permille, claim, disputed, verified_entry) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(no.to_string())
    .bind(i64::from(seq))
    .bind(i64::from(p.verified_permille))
    .bind(p.claim.as_ref().map(serde_json::to_string).transpose().map_err(invalid)?)
    .bind(i64::from(p.disputed))
    .bind(verified_entry)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What a milestone action did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Done {
    /// The action's journal entry.
    pub entry: i64,
    /// A verification completed: the milestone's share is released.
    pub verified: bool,
    /// The held payments the verification released.
    pub released: Vec<(String, String, Money)>,
}

/// Takes one milestone action in one transaction: checked by the domain on the contract's
/// ladder as stored, journaled (sealed with `signer`'s signature for a verification), the
/// milestone's progress written, and — when a verification completed — the held payments
/// that now fit released, citing it.
async fn take(
    store: &Store,
    ctx: &Ctx,
    action: Action,
    data: ActionData,
    signer: Option<&Signer>,
) -> Result<Done, MilestoneActionError> {
    let (mut tx, size) = store.begin_write().await.map_err(ActionError::from)?;
    let mut loaded = load_in(&mut tx, &data.contract_no)
        .await?
        .ok_or_else(|| MilestoneActionError::NoPlan(data.contract_no.clone()))?;
    let verified = apply(&mut loaded.ladder, action, &ctx.actor, &data).map_err(MilestoneActionError::Refused)?;
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("{action} {} #{}", data.contract_no, data.seq));
    let header = Header { action, actor: &ctx.actor, at: ctx.at, reason: &reason, batch: None };
    let mut journal = JournalWriter::new(size, store, ctx.at);
    let idx = journal.append(sealed_entry(&header, &data, signer)?);
    let progress = loaded.ladder.progress.get(&data.seq).cloned().unwrap_or_default();
    let mut entry_of = loaded.verified_entry.get(&data.seq).copied();
    if verified {
        entry_of = Some(idx);
    }
    write_progress(&mut tx, &data.contract_no, data.seq, &progress, entry_of).await?;
    let mut released = Vec::new();
    if verified {
        let room = Money::from_fen((loaded.ladder.releasable().fen() - loaded.ladder.paid.fen()).max(0));
        let note = format!("released by the verification of milestone {} (entry {idx})", data.seq);
        let by = crate::monitor::By { actor: &ctx.actor, at: ctx.at, reason: &reason, batch: None };
        let out: Vec<HoldData> = crate::hold::release_for_milestones(
            store,
            &mut tx,
            &mut journal,
            &by,
            ctx.today,
            &data.contract_no,
            room,
            &note,
        )
        .await?;
        released = out.into_iter().map(|d| (d.unit_code, d.voucher_no, d.amount)).collect();
    }
    journal.finish(&mut tx).await.map_err(ActionError::from)?;
    tx.commit().await.map_err(ActionError::from)?;
    Ok(Done { entry: idx, verified, released })
}

/// Someone of the contract's unit claims `permille` ‰ of milestone `seq` done, with the
/// SHA-256 of each evidence document (64 hex digits).
pub async fn submit(
    store: &Store,
    ctx: &Ctx,
    no: &str,
    seq: u32,
    permille: u16,
    evidence: Vec<String>,
) -> Result<Done, MilestoneActionError> {
    let evidence: Vec<String> = evidence.into_iter().map(|e| e.trim().to_ascii_lowercase()).collect();
    if evidence.is_empty() {
        return Err(MilestoneActionError::Action(invalid(
            "milestone_evidence_missing: a claim carries its evidence (at least one document)",
        )));
    }
    if let Some(bad) = evidence.iter().find(|e| e.len() != 64 || !e.bytes().all(|b| b.is_ascii_hexdigit())) {
        return Err(MilestoneActionError::Action(invalid(format!(
            "milestone_evidence_invalid: {bad:?} is not a SHA-256 (64 hex digits)"
        ))));
    }
    let data = ActionData { permille: Some(permille), evidence, ..ActionData::on(no, seq) };
    take(store, ctx, Action::MilestoneSubmit, data, None).await
}

/// A verifier's opinion on the open claim of `seq`, signed with the verifier's own key
/// (`signer`, whose name is the actor's); `roles` are the roles the verifier holds at the
/// contract's unit. The domain picks the required role still unanswered that the verifier
/// holds.
pub async fn verify(
    store: &Store,
    ctx: &Ctx,
    signer: &Signer,
    no: &str,
    seq: u32,
    roles: &[String],
    opinion: &str,
) -> Result<Done, MilestoneActionError> {
    if signer.name() != person(&ctx.actor) {
        return Err(MilestoneActionError::Forbidden(format!(
            "the signing key is {}'s, the actor {}",
            signer.name(),
            ctx.actor
        )));
    }
    // The role answered for: found on the stored ladder as the domain would choose it.
    let loaded = load(store, no).await?.ok_or_else(|| MilestoneActionError::NoPlan(no.to_string()))?;
    let mut trial = loaded.ladder.clone();
    let before = trial.progress.get(&seq).and_then(|p| p.claim.clone());
    trial.verify(seq, person(&ctx.actor), roles).map_err(MilestoneActionError::Refused)?;
    let role = trial
        .milestones
        .iter()
        .find(|m| m.seq == seq)
        .and_then(|m| {
            m.verifiers
                .iter()
                .find(|r| roles.contains(r) && !before.as_ref().is_some_and(|c| c.opinions.contains_key(*r)))
        })
        .cloned();
    let data = ActionData { role, text: opinion.trim().to_string(), ..ActionData::on(no, seq) };
    take(store, ctx, Action::MilestoneVerify, data, Some(signer)).await
}

/// A dispute on milestone `seq` freezes it until a bureau head resolves it.
pub async fn dispute(store: &Store, ctx: &Ctx, no: &str, seq: u32, reason: &str) -> Result<Done, MilestoneActionError> {
    if reason.trim().is_empty() {
        return Err(MilestoneActionError::Action(invalid("a dispute states its reason")));
    }
    let data = ActionData { text: reason.trim().to_string(), ..ActionData::on(no, seq) };
    take(store, ctx, Action::MilestoneDispute, data, None).await
}

/// A bureau head resolves the dispute on `seq`: the claim stands (verified afresh) or is void.
/// `roles` are the resolver's roles at the contract's unit.
pub async fn resolve(
    store: &Store,
    ctx: &Ctx,
    no: &str,
    seq: u32,
    stands: bool,
    roles: &[String],
    text: &str,
) -> Result<Done, MilestoneActionError> {
    if !roles.iter().any(|r| r == bw_core::access::Role::BureauHead.id()) {
        return Err(MilestoneActionError::Forbidden(format!(
            "only a bureau head (bureau_head) resolves a milestone dispute; {} holds {}",
            person(&ctx.actor),
            if roles.is_empty() { "no role there".to_string() } else { roles.join(", ") }
        )));
    }
    let data = ActionData { text: text.trim().to_string(), stands: Some(stands), ..ActionData::on(no, seq) };
    take(store, ctx, Action::MilestoneResolve, data, None).await
}

/// Payments of an import just landed on contracts with milestones, beyond what those
/// milestones release: held (`milestone_not_verified`), newest first, until what counts as
/// paid on each contract is within its releasable amount. `landed` are the file's positive
/// payments on such contracts: (contract, unit, voucher, pay date, amount).
pub(crate) async fn hold_unreleased(
    tx: &mut Tx,
    journal: &mut JournalWriter,
    by: &crate::monitor::By<'_>,
    mut landed: Vec<(String, String, String, Date, Money)>,
) -> Result<Vec<(String, String)>, ActionError> {
    landed.sort_by(|a, b| (&a.0, b.3, &b.2).cmp(&(&b.0, a.3, &a.2)));
    let mut held = Vec::new();
    let mut i = 0;
    while i < landed.len() {
        let no = landed[i].0.clone();
        let end = landed[i..].iter().position(|l| l.0 != no).map_or(landed.len(), |p| i + p);
        if let Some(loaded) = load_in(tx, &no).await? {
            let mut over = loaded.ladder.paid.fen() - loaded.ladder.releasable().fen();
            for (_, unit, voucher, _, amount) in &landed[i..end] {
                if over <= 0 {
                    break;
                }
                if crate::hold::hold(tx, journal, by, unit, voucher, None, crate::hold::MILESTONE_NOT_VERIFIED).await? {
                    over -= amount.fen();
                    held.push((unit.clone(), voucher.clone()));
                }
            }
        }
        i = end;
    }
    Ok(held)
}

/// Raises a warning for each milestone past its due date and not verified whole on
/// `as_of` (`milestone_overdue` on the contract's unit, yellow; orange from 30 days late):
/// time never releases money, it only tells people. Verification withdraws it.
pub async fn due_warnings(store: &Store, ctx: &Ctx, as_of: Date) -> Result<crate::monitor::CheckReport, ActionError> {
    let (rule, _) = OVERDUE;
    let mut findings = Vec::new();
    for l in contracts(store).await? {
        if l.contract.status != "open" {
            continue;
        }
        for v in l.status(as_of).milestones.iter().filter(|m| m.overdue) {
            let due = v.due_date.clone().unwrap_or_default();
            let late = Date::parse(&due).map(|d| as_of.days() - d.days()).unwrap_or(0);
            let level = if late >= 30 { bw_rules::Level::Orange } else { bw_rules::Level::Yellow };
            let mut evidence = BTreeMap::new();
            evidence.insert(
                "subject".into(),
                serde_json::json!(format!("contract {} milestone {}", l.contract.contract_no, v.seq)),
            );
            evidence.insert("contract_no".into(), serde_json::json!(l.contract.contract_no));
            evidence.insert("milestone".into(), serde_json::json!(v.seq));
            evidence.insert("milestone_name".into(), serde_json::json!(v.name));
            evidence.insert("due_date".into(), serde_json::json!(due));
            evidence.insert("days_late".into(), serde_json::json!(late));
            findings.push(bw_rules::Finding {
                rule,
                level,
                unit_code: Some(l.contract.unit_code.clone()),
                indicator_code: Some(l.contract.indicator_code.clone()),
                region_code: None,
                revenue_code: None,
                period: as_of.year().to_string(),
                vouchers: Vec::new(),
                evidence,
            });
        }
    }
    crate::monitor::record_findings(store, ctx, as_of, &findings, &|r| r == rule).await
}
