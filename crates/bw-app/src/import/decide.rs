//! The decision on each row: its idempotency key, references and money control, kind by
//! kind (payments in `payments`), and the values a row becomes (entry data, projection).

use super::*;
use bw_core::action::Action;
use bw_core::projection::{self, Cell, HashCell};

/// A projection row as the store binds it.
pub(super) fn values(cells: Vec<Cell>) -> Vec<Value> {
    cells
        .into_iter()
        .map(|c| match c {
            Cell::Int(i) => Value::Int(i),
            Cell::Text(s) => Value::Text(s),
            Cell::Null => Value::OptText(None),
            Cell::NullInt => Value::OptInt(None),
            Cell::Hash(HashCell::Bytes(h)) => Value::Blob(h.to_vec()),
            Cell::Blob(b) => Value::Blob(b),
            Cell::Hash(HashCell::Hex(h)) => Value::Text(h),
        })
        .collect()
}

/// A row accepted for writing: its entry data and its projection row (journal index last,
/// added by the driver).
pub(super) struct Accepted {
    pub(super) action: Action,
    pub(super) data: Vec<u8>,
    pub(super) projection: Vec<Value>,
    /// Personal values the entry commits to: (field, salt, value), stored in `personal_data`.
    pub(super) personal: Vec<(&'static str, [u8; 32], String)>,
}

pub(super) const PERSONAL_COLUMNS: &[&str] = &["journal_idx", "field", "salt", "value"];

/// A field refusal from a kind's checks: (template column index, message).
pub(super) type Refusal = (usize, Code, String);

/// A refusal found once the whole file is read: (row, template column index, message).
pub(super) type RowRefusal = (u64, usize, Code, String);

pub(super) enum Outcome {
    Add(Accepted),
    Unchanged,
    /// Held until the whole file is read (units: the tree is checked as a whole).
    Deferred,
}

pub(super) fn json<T: serde::Serialize>(v: &T) -> Result<(Vec<u8>, Hash), ImportError> {
    let data = serde_json::to_vec(v).map_err(|e| ImportError::Io(e.to_string()))?;
    let hash: Hash = Sha256::digest(&data).into();
    Ok((data, hash))
}

pub(super) fn text(v: impl Into<String>) -> Value {
    Value::Text(v.into())
}

/// Where an already-stored record came from, for conflict messages.
pub(super) async fn describe_existing(db: &AnyPool, journal_idx: i64, new_data: &[u8]) -> Result<String, ImportError> {
    let row = sqlx::query("SELECT entry FROM journal WHERE idx = $1").bind(journal_idx).fetch_optional(db).await?;
    let Some(row) = row else {
        return Ok(format!("journal entry {journal_idx}"));
    };
    let entry: Vec<u8> = row.try_get(0)?;
    let Ok(old) = bw_ledger::decode(&entry) else {
        return Ok(format!("journal entry {journal_idx}"));
    };
    let new: serde_json::Value = serde_json::from_slice(new_data).unwrap_or_default();
    let mut diffs = Vec::new();
    // Committed fields are compared by their clear values (or shown as erased).
    let mut clear = HashMap::new();
    for r in sqlx::query("SELECT field, value FROM personal_data WHERE journal_idx = $1")
        .bind(journal_idx)
        .fetch_all(db)
        .await?
    {
        clear.insert(r.try_get::<String, _>(0)?, serde_json::Value::String(r.try_get(1)?));
    }
    if let (Some(o), Some(n)) = (old.data.as_object(), new.as_object()) {
        for (k, nv) in n {
            let ov = o.get(k).unwrap_or(&serde_json::Value::Null);
            let erased = serde_json::Value::String("(erased)".into());
            let ov = match ov.as_str() {
                Some(t) if t.starts_with(bw_ledger::COMMITMENT_PREFIX) => clear.get(k).unwrap_or(&erased),
                _ => ov,
            };
            if ov != nv {
                diffs.push(format!("{k} {} there, {} here", show(ov), show(nv)));
            }
        }
    }
    let batch = old.batch.map(|b| format!(", batch {b}")).unwrap_or_default();
    Ok(format!("journal entry {journal_idx}{batch} by {} at {}: {}", old.actor, old.at, diffs.join("; ")))
}

pub(super) fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "(empty)".into(),
        other => other.to_string(),
    }
}

/// Projection columns per kind (`bw_core::projection::table_of`); `journal_idx` is always last.
pub const fn table_of(kind: Kind) -> (&'static str, &'static [&'static str]) {
    let t = projection::table_of(kind);
    (t.name, t.columns)
}

/// Same-key handling shared by the kinds: stored or earlier in the file.
pub(super) enum Seen {
    New,
    Same,
}

pub(super) struct Keys {
    pub(super) stored: HashMap<String, Stored>,
    pub(super) in_file: HashMap<String, (u64, Hash)>,
}

impl Keys {
    pub(super) fn new(stored: HashMap<String, Stored>) -> Keys {
        Keys { stored, in_file: HashMap::new() }
    }

    /// Checks key `key` (shown as `label`) with content `hash`. A conflict with a stored
    /// record is returned as `Err(Some(journal_idx))` for the caller to describe.
    pub(super) fn check(&mut self, key: String, hash: &Hash, row: u64) -> Result<Seen, Result<i64, u64>> {
        if let Some(s) = self.stored.get(&key) {
            return if s.hash.as_slice() == hash { Ok(Seen::Same) } else { Err(Ok(s.journal_idx)) };
        }
        if let Some((r, h)) = self.in_file.get(&key) {
            return if h == hash { Ok(Seen::Same) } else { Err(Err(*r)) };
        }
        self.in_file.insert(key, (row, *hash));
        Ok(Seen::New)
    }
}

pub(super) async fn conflict(
    db: &AnyPool,
    what: String,
    c: Result<i64, u64>,
    data: &[u8],
) -> Result<String, ImportError> {
    Ok(match c {
        Ok(idx) => {
            format!("{what} is already recorded with different content ({})", describe_existing(db, idx, data).await?)
        }
        Err(row) => format!("{what} also appears on row {row} of this file with different content"),
    })
}

/// Per-import state of each kind.
pub(super) enum Importer {
    Units {
        tree: OrgTree,
        keys: Keys,
        pending: Vec<(u64, OrgNode, Vec<u8>, Hash)>,
    },
    Projects {
        tree: OrgTree,
        keys: Keys,
    },
    Indicators {
        tree: OrgTree,
        projects: HashMap<String, ProjectStatus>,
        keys: Keys,
    },
    Contracts {
        tree: OrgTree,
        book: IndicatorBook,
        keys: Keys,
    },
    Payments(Box<PaymentsState>),
    Revenues {
        tree: OrgTree,
        keys: Keys,
        months: BTreeMap<(i32, String, String, String), i64>,
        /// Per year, the absolute amounts this file adds.
        gross: BTreeMap<i32, i128>,
    },
    RevenueTargets {
        tree: OrgTree,
        keys: Keys,
    },
    Staff {
        tree: OrgTree,
        keys: Keys,
        salt_key: [u8; 32],
        suite: Suite,
    },
    MacroIndicators {
        tree: OrgTree,
        keys: Keys,
    },
    ContractMilestones {
        /// Each contract's amount.
        contracts: HashMap<String, Money>,
        /// The milestones stored, by contract: a contract's plan is checked whole.
        stored: HashMap<String, Vec<ContractMilestone>>,
        keys: Keys,
        pending: Vec<PendingMilestone>,
    },
}

impl Importer {
    pub(super) async fn load(
        kind: Kind,
        tx: &mut Tx,
        salt_key: [u8; 32],
        suite: Suite,
        small: bool,
        kept: Option<Kept>,
    ) -> Result<Importer, ImportError> {
        Ok(match kind {
            Kind::Units => Importer::Units {
                tree: load_tree(tx).await?,
                keys: Keys::new(load_stored(tx, "SELECT code, record_hash, journal_idx FROM units").await?),
                pending: Vec::new(),
            },
            Kind::Projects => Importer::Projects {
                tree: load_tree(tx).await?,
                keys: Keys::new(load_stored(tx, "SELECT project_code, record_hash, journal_idx FROM projects").await?),
            },
            Kind::Indicators => {
                let rows = sqlx::query("SELECT project_code, status FROM projects").fetch_all(&mut **tx).await?;
                let mut projects = HashMap::new();
                for r in rows {
                    let s: String = r.try_get(1)?;
                    projects.insert(r.try_get::<String, _>(0)?, ProjectStatus::parse(&s).map_err(ImportError::Io)?);
                }
                Importer::Indicators {
                    tree: load_tree(tx).await?,
                    projects,
                    keys: Keys::new(load_stored(tx, "SELECT CAST(year AS TEXT) || '/' || indicator_code, record_hash, journal_idx FROM indicators").await?),
                }
            }
            Kind::Contracts => Importer::Contracts {
                tree: load_tree(tx).await?,
                book: IndicatorBook::load(tx).await?,
                keys: Keys::new(load_stored(tx, "SELECT contract_no, record_hash, journal_idx FROM contracts").await?),
            },
            Kind::Payments => {
                let Kept { tree, book, contracts, stored, rules } = match kept {
                    Some(k) => k,
                    None => Kept::load(tx, !small).await?,
                };
                Importer::Payments(Box::new(PaymentsState {
                    tree,
                    book,
                    stored,
                    in_file: HashMap::new(),
                    contracts,
                    months: HashMap::new(),
                    gross: BTreeMap::new(),
                    refunds: HashMap::new(),
                    warnings: Vec::new(),
                    landed: crate::monitor::Landed::default(),
                    on_milestones: Vec::new(),
                    salt_key,
                    suite,
                    rules,
                    evidence: None,
                    resident: false,
                }))
            }
            Kind::Revenues => Importer::Revenues {
                tree: load_tree(tx).await?,
                keys: Keys::new(load_stored(tx, "SELECT record_no, record_hash, journal_idx FROM revenues").await?),
                months: BTreeMap::new(),
                gross: BTreeMap::new(),
            },
            Kind::Staff => Importer::Staff {
                tree: load_tree(tx).await?,
                keys: Keys::new(load_stored(tx, "SELECT unit_code || '/' || id_hash, record_hash, journal_idx FROM staff").await?),
                salt_key,
                suite,
            },
            Kind::MacroIndicators => Importer::MacroIndicators {
                tree: load_tree(tx).await?,
                keys: Keys::new(
                    load_stored(tx, "SELECT period || '/' || region_code || '/' || name, record_hash, journal_idx FROM macro_indicators")
                        .await?,
                ),
            },
            Kind::ContractMilestones => {
                let mut contracts = HashMap::new();
                for r in sqlx::query("SELECT contract_no, amount FROM contracts").fetch_all(&mut **tx).await? {
                    contracts.insert(r.try_get::<String, _>(0)?, Money::from_fen(r.try_get(1)?));
                }
                let mut stored: HashMap<String, Vec<ContractMilestone>> = HashMap::new();
                for m in crate::milestones::stored_plans(tx, None).await.map_err(|e| ImportError::Io(e.to_string()))? {
                    stored.entry(m.contract_no.clone()).or_default().push(m);
                }
                Importer::ContractMilestones {
                    contracts,
                    stored,
                    keys: Keys::new(
                        load_stored(tx, "SELECT contract_no || '/' || CAST(seq AS TEXT), record_hash, journal_idx FROM contract_milestones")
                            .await?,
                    ),
                    pending: Vec::new(),
                }
            }
            Kind::RevenueTargets => Importer::RevenueTargets {
                tree: load_tree(tx).await?,
                keys: Keys::new(load_stored(tx, "SELECT CAST(year AS TEXT) || '/' || region_code || '/' || revenue_code, record_hash, journal_idx FROM revenue_targets").await?),
            },
        })
    }

    /// Checks one parsed record against the database and the file so far.
    /// Reads go to `db` (committed data): this import's own rows are tracked in memory,
    /// while its transaction belongs to the writer task.
    pub(super) async fn accept(
        &mut self,
        db: &AnyPool,
        file: &str,
        row: u64,
        record: Record,
    ) -> Result<Answer, ImportError> {
        match (self, record) {
            (Importer::Units { keys, pending, .. }, Record::Unit(n)) => {
                let (data, hash) = json(&n)?;
                if let Some(seen) =
                    keys.seen(db, n.code.clone(), &hash, row, || format!("code {:?}", n.code), &data).await?
                {
                    return Ok(seen);
                }
                pending.push((row, n, data, hash));
                Ok(Ok(Outcome::Deferred))
            }
            (Importer::Projects { tree, keys }, Record::Project(p)) => accept_project(db, tree, keys, row, p).await,
            (Importer::Indicators { tree, projects, keys }, Record::Indicator(i)) => {
                accept_indicator(db, tree, projects, keys, row, i).await
            }
            (Importer::Contracts { tree, book, keys }, Record::Contract(c)) => {
                accept_contract(db, tree, book, keys, row, c).await
            }
            (Importer::Payments(st), Record::Payment(p)) => st.accept(db, file, row, p).await,
            (Importer::Revenues { tree, keys, months, gross }, Record::Revenue(r)) => {
                let (data, hash) = json(&r)?;
                let what = || format!("record_no {:?}", r.record_no);
                if let Some(seen) = keys.seen(db, r.record_no.clone(), &hash, row, what, &data).await? {
                    return Ok(seen);
                }
                if let Err(e) = unit_ref(tree, &r.region_code, OrgKind::Region) {
                    return Ok(Err(vec![(2, e.0, e.1)]));
                }
                *months
                    .entry((r.date.year(), r.region_code.clone(), r.revenue_code.to_string(), r.date.month_key()))
                    .or_default() += r.amount.fen();
                *gross.entry(r.date.year()).or_default() += i128::from(r.amount.fen().unsigned_abs());
                let projection = values(projection::revenue(r, HashCell::Bytes(hash)));
                Ok(Ok(Outcome::Add(Accepted { action: Action::RevenueRecord, data, projection, personal: Vec::new() })))
            }
            (Importer::RevenueTargets { tree, keys }, Record::RevenueTarget(t)) => {
                let (data, hash) = json(&t)?;
                let key = format!("{}/{}/{}", t.year, t.region_code, t.revenue_code);
                let what = || format!("target {} {} {}", t.year, t.region_code, t.revenue_code);
                if let Some(seen) = keys.seen(db, key, &hash, row, what, &data).await? {
                    return Ok(seen);
                }
                if let Err(e) = unit_ref(tree, &t.region_code, OrgKind::Region) {
                    return Ok(Err(vec![(1, e.0, e.1)]));
                }
                let projection = values(projection::revenue_target(t, HashCell::Bytes(hash)));
                Ok(Ok(Outcome::Add(Accepted {
                    action: Action::RevenueTargetSet,
                    data,
                    projection,
                    personal: Vec::new(),
                })))
            }
            (Importer::MacroIndicators { tree, keys }, Record::MacroIndicator(m)) => {
                let (data, hash) = json(&m)?;
                let key = format!("{}/{}/{}", m.period, m.region_code, m.name);
                let what = || format!("macro indicator {} {} {}", m.period, m.region_code, m.name);
                if let Some(seen) = keys.seen(db, key, &hash, row, what, &data).await? {
                    return Ok(seen);
                }
                if let Err(e) = unit_ref(tree, &m.region_code, OrgKind::Region) {
                    return Ok(Err(vec![(1, e.0, e.1)]));
                }
                let projection = values(projection::macro_indicator(m, HashCell::Bytes(hash)));
                Ok(Ok(Outcome::Add(Accepted {
                    action: Action::MacroIndicatorSet,
                    data,
                    projection,
                    personal: Vec::new(),
                })))
            }
            (Importer::ContractMilestones { contracts, keys, pending, .. }, Record::ContractMilestone(m)) => {
                let (data, hash) = json(&m)?;
                let key = format!("{}/{}", m.contract_no, m.seq);
                let what = || format!("milestone {} of contract {}", m.seq, m.contract_no);
                if let Some(seen) = keys.seen(db, key, &hash, row, what, &data).await? {
                    return Ok(seen);
                }
                if !contracts.contains_key(&m.contract_no) {
                    let message = format!(
                        "unknown contract_no {:?}: not in the database (import contracts first)",
                        m.contract_no
                    );
                    return Ok(Err(vec![(0, Code::UnknownContract, message)]));
                }
                pending.push((row, m, data, hash));
                Ok(Ok(Outcome::Deferred))
            }
            (Importer::Staff { tree, keys, salt_key, suite }, Record::Staff(m)) => {
                accept_staff(db, tree, keys, (salt_key, *suite), row, m).await
            }
            _ => Err(ImportError::Io("record kind does not match the importer".into())),
        }
    }

    /// Work that needs the whole file (units); returns rows to add or row refusals.
    pub(super) fn finish(&mut self) -> Result<Vec<(u64, Accepted)>, Vec<RowRefusal>> {
        if let Importer::ContractMilestones { contracts, stored, pending, .. } = self {
            return milestone_plans(contracts, stored, std::mem::take(pending));
        }
        let Importer::Units { tree, pending, .. } = self else {
            return Ok(Vec::new());
        };
        let nodes: Vec<OrgNode> = pending.iter().map(|p| p.1.clone()).collect();
        let errors = tree.add_batch(&nodes);
        if !errors.is_empty() {
            return Err(errors
                .into_iter()
                .map(|(i, msg)| {
                    let col = if msg.contains("needs a level") { 4 } else { 2 };
                    (pending[i].0, col, Code::InvalidHierarchy, msg)
                })
                .collect());
        }
        let mut out = Vec::new();
        for (row, n, data, hash) in std::mem::take(pending) {
            let region = tree.region_of(&n.code).map(|r| r.code.clone());
            let department = tree.department_of(&n.code).map(|r| r.code.clone());
            let projection = values(projection::unit(n, region, department, HashCell::Bytes(hash)));
            out.push((row, Accepted { action: Action::UnitAdd, data, projection, personal: Vec::new() }));
        }
        Ok(out)
    }

    /// The yearly volume (`volumes.kind`) this file adds to, and what it adds per year.
    pub(super) fn volume(&self) -> Option<(&'static str, &BTreeMap<i32, i128>)> {
        match self {
            Importer::Payments(st) => Some(("payments", &st.gross)),
            Importer::Revenues { gross, .. } => Some(("revenues", gross)),
            _ => None,
        }
    }

    /// Writes the aggregates the import changed.
    pub(super) async fn write_aggregates(&mut self, tx: &mut Tx) -> Result<Vec<String>, ImportError> {
        match self {
            Importer::Contracts { book, .. } => {
                book.write_balances(tx).await?;
                Ok(Vec::new())
            }
            Importer::Payments(st) => st.write_aggregates(tx).await,
            Importer::Revenues { months, .. } => {
                for ((year, region, code, month), amount) in months.iter() {
                    sqlx::query(
                        "INSERT INTO revenue_months (year, region_code, revenue_code, month, amount) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (year, region_code, revenue_code, month) DO UPDATE SET amount = revenue_months.amount + excluded.amount",
                    )
                    .bind(i64::from(*year))
                    .bind(region.clone())
                    .bind(code.clone())
                    .bind(month.clone())
                    .bind(*amount)
                    .execute(&mut **tx)
                    .await?;
                }
                Ok(Vec::new())
            }
            _ => Ok(Vec::new()),
        }
    }
}

/// A milestone of the file waiting for its contract's plan to be checked whole: (row,
/// milestone, entry data, record hash).
pub(super) type PendingMilestone = (u64, ContractMilestone, Vec<u8>, Hash);

/// The milestones of a file, each contract's plan checked whole (those stored and the file's):
/// numbers unique, dependencies on earlier milestones, the whole within the contract, the
/// retention within 3 %, a verifier for every milestone but the advance.
fn milestone_plans(
    contracts: &HashMap<String, Money>,
    stored: &mut HashMap<String, Vec<ContractMilestone>>,
    pending: Vec<PendingMilestone>,
) -> Result<Vec<(u64, Accepted)>, Vec<RowRefusal>> {
    let mut by_contract: BTreeMap<String, Vec<&PendingMilestone>> = BTreeMap::new();
    for p in &pending {
        by_contract.entry(p.1.contract_no.clone()).or_default().push(p);
    }
    let mut refusals = Vec::new();
    for (no, rows) in &by_contract {
        let amount = contracts.get(no).copied().unwrap_or(Money::ZERO);
        let mut plan: Vec<bw_core::milestone::Milestone> =
            stored.get(no).map(|v| v.iter().map(|m| m.milestone(amount)).collect()).unwrap_or_default();
        plan.extend(rows.iter().map(|p| p.1.milestone(amount)));
        if let Err(e) = bw_core::milestone::Ladder::new(amount, plan) {
            // The row the refusal is about: the milestone it names, else the file's first.
            let seq = match &e {
                bw_core::milestone::MilestoneError::DuplicateSeq(s)
                | bw_core::milestone::MilestoneError::BadDependency(s, _)
                | bw_core::milestone::MilestoneError::NoVerifier(s) => Some(*s),
                _ => None,
            };
            let row = seq.and_then(|s| rows.iter().rev().find(|p| p.1.seq == s)).unwrap_or(&rows[0]).0;
            let col = match &e {
                bw_core::milestone::MilestoneError::BadDependency(..) => 8,
                bw_core::milestone::MilestoneError::NoVerifier(_) => 7,
                bw_core::milestone::MilestoneError::DuplicateSeq(_) => 1,
                _ => 4,
            };
            refusals.push((row, col, Code::InvalidValue, format!("{}: contract {no}: {e}", e.code())));
        }
    }
    if !refusals.is_empty() {
        return Err(refusals);
    }
    let mut out = Vec::new();
    for (row, m, data, hash) in pending {
        let amount = m.amount_in(contracts.get(&m.contract_no).copied().unwrap_or(Money::ZERO));
        stored.entry(m.contract_no.clone()).or_default().push(m.clone());
        let projection = values(projection::contract_milestone(m, amount, HashCell::Bytes(hash)));
        out.push((row, Accepted { action: Action::ContractMilestoneAdd, data, projection, personal: Vec::new() }));
    }
    Ok(out)
}

/// What `accept` answers for a row: its outcome, or its refusals.
pub(super) type Answer = Result<Outcome, Vec<Refusal>>;

impl Keys {
    /// The answer for a key already seen — unchanged, or a conflict described as `what` —
    /// or `None` for a new key (then noted as this file's).
    async fn seen(
        &mut self,
        db: &AnyPool,
        key: String,
        hash: &Hash,
        row: u64,
        what: impl FnOnce() -> String,
        data: &[u8],
    ) -> Result<Option<Answer>, ImportError> {
        match self.check(key, hash, row) {
            Ok(Seen::New) => Ok(None),
            Ok(Seen::Same) => Ok(Some(Ok(Outcome::Unchanged))),
            Err(c) => Ok(Some(Err(vec![(0, Code::DuplicateKeyConflict, conflict(db, what(), c, data).await?)]))),
        }
    }
}

async fn accept_project(
    db: &AnyPool,
    tree: &OrgTree,
    keys: &mut Keys,
    row: u64,
    p: Project,
) -> Result<Answer, ImportError> {
    let (data, hash) = json(&p)?;
    let what = || format!("project_code {:?}", p.project_code);
    if let Some(seen) = keys.seen(db, p.project_code.clone(), &hash, row, what, &data).await? {
        return Ok(seen);
    }
    if let Err(e) = unit_ref(tree, &p.unit_code, OrgKind::Unit) {
        return Ok(Err(vec![(2, e.0, e.1)]));
    }
    let projection = values(projection::project(p, HashCell::Bytes(hash)));
    Ok(Ok(Outcome::Add(Accepted { action: Action::ProjectAdd, data, projection, personal: Vec::new() })))
}

async fn accept_indicator(
    db: &AnyPool,
    tree: &OrgTree,
    projects: &HashMap<String, ProjectStatus>,
    keys: &mut Keys,
    row: u64,
    i: Indicator,
) -> Result<Answer, ImportError> {
    let (data, hash) = json(&i)?;
    let what = || format!("indicator_code {:?} of {}", i.indicator_code, i.year);
    if let Some(seen) = keys.seen(db, format!("{}/{}", i.year, i.indicator_code), &hash, row, what, &data).await? {
        return Ok(seen);
    }
    let mut refusals = Vec::new();
    if let Err(e) = unit_ref(tree, &i.unit_code, OrgKind::Unit) {
        refusals.push((2, e.0, e.1));
    }
    match i.project_code.as_ref().map(|p| (p, projects.get(p))) {
        Some((p, None)) => refusals.push((
            3,
            Code::UnknownProject,
            format!("unknown project_code {p:?}: not in the project library (import projects first)"),
        )),
        Some((p, Some(s @ (ProjectStatus::Reserve | ProjectStatus::Retired)))) => refusals.push((
            3,
            Code::InvalidState,
            format!(
                "project_not_fundable: project {p:?} is {}: an indicator needs an approved, executing or completed project",
                s.as_str()
            ),
        )),
        _ => {}
    }
    if !refusals.is_empty() {
        return Ok(Err(refusals));
    }
    let projection = values(projection::indicator(i, HashCell::Bytes(hash)));
    Ok(Ok(Outcome::Add(Accepted { action: Action::IndicatorAdd, data, projection, personal: Vec::new() })))
}

/// A contract: its unit and indicator, and an open contract's commitment held to the
/// indicator's control as a payment is.
async fn accept_contract(
    db: &AnyPool,
    tree: &OrgTree,
    book: &mut IndicatorBook,
    keys: &mut Keys,
    row: u64,
    c: Contract,
) -> Result<Answer, ImportError> {
    let (data, hash) = json(&c)?;
    let what = || format!("contract_no {:?}", c.contract_no);
    if let Some(seen) = keys.seen(db, c.contract_no.clone(), &hash, row, what, &data).await? {
        return Ok(seen);
    }
    if let Err(e) = unit_ref(tree, &c.unit_code, OrgKind::Unit) {
        return Ok(Err(vec![(1, e.0, e.1)]));
    }
    let idx = match book.resolve(&c.indicator_code, c.signed_on.year()) {
        Ok(i) => i,
        Err(e) => return Ok(Err(vec![(2, e.0, e.1)])),
    };
    let st = &mut book.items[idx];
    if st.unit_code != c.unit_code {
        return Ok(Err(vec![(
            2,
            Code::ReferenceMismatch,
            format!("indicator {:?} belongs to unit {:?}, not {:?}", st.code, st.unit_code, c.unit_code),
        )]));
    }
    if let Some(e) = st.unfundable().filter(|_| c.status == ContractStatus::Open) {
        return Ok(Err(vec![(2, e.0, e.1)]));
    }
    if c.status == ContractStatus::Open {
        if let ControlDecision::Refuse { available } = st.balance.check(st.control, c.amount, Money::ZERO) {
            return Ok(Err(vec![(
                5,
                Code::IndicatorBalanceExceeded,
                format!(
                    "indicator_balance_exceeded: contract {} of {} exceeds the available balance {} of indicator {} (control block)",
                    c.contract_no, c.amount, available, st.code
                ),
            )]));
        }
        st.balance.committed_unpaid =
            st.balance.committed_unpaid.checked_add(c.amount).map_err(|e| ImportError::Io(e.to_string()))?;
        st.changed = true;
    }
    let projection = values(projection::contract(c, st.year, HashCell::Bytes(hash)));
    Ok(Ok(Outcome::Add(Accepted { action: Action::ContractAdd, data, projection, personal: Vec::new() })))
}

/// A staff member: name, account and phone enter the entry only as salted commitments.
async fn accept_staff(
    db: &AnyPool,
    tree: &OrgTree,
    keys: &mut Keys,
    (salt_key, suite): (&[u8; 32], Suite),
    row: u64,
    m: StaffMember,
) -> Result<Answer, ImportError> {
    let (data, hash) = json(&m)?;
    let what = || format!("staff member {} of {}", m.id_hash, m.unit_code);
    if let Some(seen) = keys.seen(db, format!("{}/{}", m.unit_code, m.id_hash), &hash, row, what, &data).await? {
        return Ok(seen);
    }
    if let Err(e) = unit_ref(tree, &m.unit_code, OrgKind::Unit) {
        return Ok(Err(vec![(0, e.0, e.1)]));
    }
    let mut committed = m.clone();
    let mut personal = Vec::new();
    let slots = [&mut committed.name, &mut committed.bank_account, &mut committed.phone];
    for (n, (field, slot)) in crate::personal::STAFF_FIELDS.into_iter().zip(slots).enumerate() {
        let s = salt(salt_key, row, n as u8);
        let clear = std::mem::take(slot);
        *slot = bw_ledger::commitment_text(suite, &s, &clear);
        personal.push((field, s, clear));
    }
    let projection = values(projection::staff(m, HashCell::Bytes(hash)));
    Ok(Ok(Outcome::Add(Accepted { action: Action::StaffAdd, data: json(&committed)?.0, projection, personal })))
}
