//! `budgetwatch import KIND FILE`: parse, validate against what the database holds, then
//! journal and store every record of the file in one transaction — the file lands whole or
//! not at all. Re-importing a file adds nothing: each kind has an idempotency key, and the
//! same key with different content is refused, naming both records.
//!
//! Order of checks for a row (each refusal is reported with its row and column):
//! 1. the row's shape (field count, UTF-8) and each field's syntax (template parsers);
//! 2. idempotency key: already recorded with the same content → unchanged; with other
//!    content → `key_conflict`;
//! 3. references (unit, indicator, project, contract, reversed voucher, region);
//! 4. money control: a payment beyond its indicator's available balance is refused under
//!    `block` (`indicator_balance_exceeded`) and accepted with a warning under `warn`.

use crate::Ctx;
use crate::source::{ReadError, Source};
use bw_core::Money;
use bw_core::org::{OrgKind, OrgNode, OrgTree, RegionLevel};
use bw_core::records::*;
use bw_core::template::{HeaderMap, Kind, Record, parse_row, resolve_header};
use bw_ledger::{Hash, Header, Suite, encode_raw_into, hex};
use bw_store::sqlx::AnyPool;
use bw_store::sqlx::{self, Row};
use bw_store::{JournalWriter, Stager, Store, StoreError, Tx, Value, insert_rows};

const JOURNAL_COLUMNS: &[&str] = &["idx", "leaf_hash", "entry"];
/// The secondary indexes of `payments` (as the store's migrations 12, 15 and 32 leave them).
const PAYMENT_INDEXES: [(&str, &str); 4] = [
    ("payments_unit", "unit_code, pay_date"),
    ("payments_pair", "unit_code, payee_account"),
    ("payments_payee", "payee_account, amount"),
    ("payments_invoice", "invoice_key"),
];
/// From this size a payments file (about 100,000 rows) rebuilds the indexes.
const BULK_BYTES: u64 = 16 << 20;
/// Up to this size (about 3,000 rows) a payments file looks its keys up one by one instead
/// of loading every stored key.
const SMALL_BYTES: u64 = 512 << 10;
use bw_core::refusal::Code;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Read;
use std::path::Path;

/// One refused row (or header, or file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub file: String,
    pub row: u64,
    pub column: Option<String>,
    /// Why, as a stable code (docs/API.md lists them).
    pub code: Code,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.column, self.row) {
            (Some(c), _) => write!(f, "{}:{}: column {}: {}", self.file, self.row, c, self.message),
            // Row 0: the file as a whole.
            (None, 0) => write!(f, "{}: {}", self.file, self.message),
            (None, _) => write!(f, "{}:{}: {}", self.file, self.row, self.message),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} refused: {} error(s), nothing was imported", file, errors.len() + more)]
    Rejected { file: String, errors: Vec<RowError>, more: usize },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(String),
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> ImportError {
        ImportError::Store(StoreError::Sql(e))
    }
}

#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub kind: &'static str,
    pub file: String,
    pub rows: u64,
    pub added: u64,
    pub unchanged: u64,
    pub warnings: Vec<String>,
    /// Warnings the rules firing at payment time raised or changed in this import.
    pub warnings_raised: usize,
    /// Payments held by rules handled `intercept`: recorded, not counted as paid.
    pub held: usize,
    /// Time the rules firing at payment time took (evaluation, recording, handling).
    pub rules_time: std::time::Duration,
    pub batch: Option<i64>,
    /// Journal indexes written: `journal_first..journal_end`.
    pub journal_first: i64,
    pub journal_end: i64,
    /// What became of each data row, by row number, when `ImportOptions::outcomes` asks.
    pub outcomes: Vec<(u64, RowOutcome)>,
    /// The warnings this import raised or changed (the rules firing at payment time).
    pub warning_ids: Vec<i64>,
}

/// What became of one row of a file that was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOutcome {
    Added,
    /// Already recorded with the same content.
    Unchanged,
    /// Recorded and held by a rule handled `intercept` (not counted as paid).
    Held,
}

pub struct ImportOptions<'a> {
    pub allow_extra: bool,
    /// Errors listed before the rest are only counted.
    pub errors_max: usize,
    /// Called with (done, total) in the unit of `Source::len`.
    pub progress: Option<&'a (dyn Fn(u64, u64) + Sync)>,
    /// Report each row's outcome (`ImportReport::outcomes`): for callers answering records
    /// one by one, not for files of a million rows.
    pub outcomes: bool,
    /// The caller imports again and again (the server's writer): the state a payments
    /// import reads is loaded whole once and kept between commits (`Store::take_resident`).
    pub resident: bool,
}

impl Default for ImportOptions<'_> {
    fn default() -> Self {
        ImportOptions { allow_extra: false, errors_max: 100, progress: None, outcomes: false, resident: false }
    }
}

/// A row accepted for writing: its entry data and its projection row (journal index last,
/// added by the driver).
struct Accepted {
    action: &'static str,
    data: Vec<u8>,
    projection: Vec<Value>,
    /// Personal values the entry commits to: (field, salt, value), stored in `personal_data`.
    personal: Vec<(&'static str, [u8; 32], String)>,
}

const PERSONAL_COLUMNS: &[&str] = &["journal_idx", "field", "salt", "value"];

/// A field refusal from a kind's checks: (template column index, message).
type Refusal = (usize, Code, String);

/// A refusal found once the whole file is read: (row, template column index, message).
type RowRefusal = (u64, usize, Code, String);

enum Outcome {
    Add(Accepted),
    Unchanged,
    /// Held until the whole file is read (units: the tree is checked as a whole).
    Deferred,
}

fn json<T: serde::Serialize>(v: &T) -> Result<(Vec<u8>, Hash), ImportError> {
    let data = serde_json::to_vec(v).map_err(|e| ImportError::Io(e.to_string()))?;
    let hash: Hash = Sha256::digest(&data).into();
    Ok((data, hash))
}

fn opt(v: &Option<String>) -> Value {
    Value::OptText(v.clone())
}

fn text(v: impl Into<String>) -> Value {
    Value::Text(v.into())
}

fn money(m: Money) -> Value {
    Value::Int(m.fen())
}

fn blob(h: &Hash) -> Value {
    Value::Blob(h.to_vec())
}

/// Where an already-stored record came from, for conflict messages.
async fn describe_existing(db: &AnyPool, journal_idx: i64, new_data: &[u8]) -> Result<String, ImportError> {
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

fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "(empty)".into(),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// Context read from the database.

struct Stored {
    hash: Vec<u8>,
    journal_idx: i64,
}

pub(crate) async fn load_tree(tx: &mut Tx) -> Result<OrgTree, ImportError> {
    let rows = sqlx::query("SELECT code, name, parent_code, kind, level FROM units").fetch_all(&mut **tx).await?;
    let mut tree = OrgTree::new();
    for r in rows {
        let kind: String = r.try_get(3)?;
        let level: Option<String> = r.try_get(4)?;
        tree.insert_trusted(OrgNode {
            code: r.try_get(0)?,
            name: r.try_get(1)?,
            parent_code: r.try_get(2)?,
            kind: OrgKind::parse(&kind).map_err(ImportError::Io)?,
            level: level.map(|l| RegionLevel::parse(&l)).transpose().map_err(ImportError::Io)?,
        });
    }
    Ok(tree)
}

async fn load_stored(tx: &mut Tx, sql: &'static str) -> Result<HashMap<String, Stored>, ImportError> {
    let rows = sqlx::query(sql).fetch_all(&mut **tx).await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in rows {
        out.insert(r.try_get::<String, _>(0)?, Stored { hash: r.try_get(1)?, journal_idx: r.try_get(2)? });
    }
    Ok(out)
}

/// An indicator's state during an import.
struct IndState {
    year: i32,
    code: String,
    unit_code: String,
    control: Control,
    balance: Balance,
    changed: bool,
    /// The indicator's project and its tier, when it has one.
    project: Option<(String, ProjectStatus)>,
}

impl IndState {
    /// Why money may not be paid or committed on this indicator: its project is a reserve
    /// project (never approved) or retired. A completed project still receives its final
    /// settlement on the indicators it has.
    fn unfundable(&self) -> Option<(Code, String)> {
        match &self.project {
            Some((p, s @ (ProjectStatus::Reserve | ProjectStatus::Retired))) => Some((
                Code::InvalidState,
                format!(
                    "project_not_fundable: indicator {} belongs to project {p}, which is {}: money goes only to approved, executing or completed projects",
                    self.code,
                    s.as_str()
                ),
            )),
            _ => None,
        }
    }
}

#[derive(Default)]
struct IndicatorBook {
    by_key: HashMap<(i32, String), usize>,
    by_code: HashMap<String, Vec<usize>>,
    items: Vec<IndState>,
}

impl IndicatorBook {
    async fn load(tx: &mut Tx) -> Result<IndicatorBook, ImportError> {
        let rows = sqlx::query(
            "SELECT i.year, i.indicator_code, i.unit_code, i.control, i.amount, i.paid, i.committed_unpaid, i.project_code, p.status \
             FROM indicators i LEFT JOIN projects p ON p.project_code = i.project_code",
        )
        .fetch_all(&mut **tx)
        .await?;
        let mut book = IndicatorBook::default();
        for r in rows {
            let year: i64 = r.try_get(0)?;
            let control: String = r.try_get(3)?;
            let st = IndState {
                year: year as i32,
                code: r.try_get(1)?,
                unit_code: r.try_get(2)?,
                control: Control::parse(&control).map_err(ImportError::Io)?,
                balance: Balance {
                    amount: Money::from_fen(r.try_get(4)?),
                    paid: Money::from_fen(r.try_get(5)?),
                    committed_unpaid: Money::from_fen(r.try_get(6)?),
                },
                changed: false,
                project: match (r.try_get::<Option<String>, _>(7)?, r.try_get::<Option<String>, _>(8)?) {
                    (Some(p), Some(s)) => Some((p, ProjectStatus::parse(&s).map_err(ImportError::Io)?)),
                    _ => None,
                },
            };
            let i = book.items.len();
            book.by_key.insert((st.year, st.code.clone()), i);
            book.by_code.entry(st.code.clone()).or_default().push(i);
            book.items.push(st);
        }
        Ok(book)
    }

    /// The indicator `code` of `year`; if there is none that year but exactly one with
    /// that code in any year, that one (indicators are unique within a year).
    fn resolve(&self, code: &str, year: i32) -> Result<usize, (Code, String)> {
        if let Some(i) = self.by_key.get(&(year, code.to_string())) {
            return Ok(*i);
        }
        match self.by_code.get(code).map(Vec::as_slice) {
            Some([i]) => Ok(*i),
            Some(many) if !many.is_empty() => {
                let years: Vec<String> = many.iter().map(|i| self.items[*i].year.to_string()).collect();
                Err((
                    Code::UnknownIndicator,
                    format!("indicator {code:?} exists in years {} but not in {year}", years.join(", ")),
                ))
            }
            _ => Err((
                Code::UnknownIndicator,
                format!("unknown indicator_code {code:?}: not in the database (import indicators first)"),
            )),
        }
    }

    async fn write_balances(&self, tx: &mut Tx) -> Result<(), ImportError> {
        for st in self.items.iter().filter(|s| s.changed) {
            sqlx::query(
                "UPDATE indicators SET paid = $1, committed_unpaid = $2 WHERE year = $3 AND indicator_code = $4",
            )
            .bind(st.balance.paid.fen())
            .bind(st.balance.committed_unpaid.fen())
            .bind(i64::from(st.year))
            .bind(st.code.clone())
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

fn unit_ref(tree: &OrgTree, code: &str, want: OrgKind) -> Result<(), (Code, String)> {
    match tree.get(code) {
        None => Err((
            Code::UnknownUnit,
            format!(
                "unknown {} {code:?}: not in the database (import units first)",
                if want == OrgKind::Region { "region_code" } else { "unit_code" }
            ),
        )),
        Some(n) if n.kind != want => {
            Err((Code::ReferenceMismatch, format!("{code:?} is a {}, not a {}", n.kind.as_str(), want.as_str())))
        }
        Some(_) => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// The kinds.

/// Projection columns per kind; `journal_idx` is always last.
pub const fn table_of(kind: Kind) -> (&'static str, &'static [&'static str]) {
    match kind {
        Kind::Units => (
            "units",
            &[
                "code",
                "name",
                "parent_code",
                "kind",
                "level",
                "region_code",
                "department_code",
                "record_hash",
                "journal_idx",
            ],
        ),
        Kind::Projects => (
            "projects",
            &[
                "project_code",
                "name",
                "unit_code",
                "category",
                "start_year",
                "end_year",
                "total_amount",
                "status",
                "expires_on",
                "record_hash",
                "journal_idx",
            ],
        ),
        Kind::Indicators => (
            "indicators",
            &[
                "year",
                "indicator_code",
                "unit_code",
                "project_code",
                "functional_code",
                "economic_code",
                "gov_economic_code",
                "fund_source",
                "special",
                "amount",
                "control",
                "record_hash",
                "journal_idx",
            ],
        ),
        Kind::Contracts => (
            "contracts",
            &[
                "contract_no",
                "unit_code",
                "year",
                "indicator_code",
                "supplier_name",
                "supplier_account",
                "amount",
                "signed_on",
                "ends_on",
                "status",
                "record_hash",
                "journal_idx",
            ],
        ),
        Kind::Payments => (
            "payments",
            &[
                "unit_code",
                "voucher_no",
                "pay_date",
                "year",
                "indicator_code",
                "economic_code",
                "payee_name",
                "payee_account",
                "payee_type",
                "amount",
                "summary",
                "invoice_no",
                "contract_no",
                "reverses",
                "invoice_key",
                "record_hash",
                "journal_idx",
            ],
        ),
        Kind::Revenues => (
            "revenues",
            &["record_no", "date", "year", "region_code", "revenue_code", "amount", "record_hash", "journal_idx"],
        ),
        Kind::RevenueTargets => {
            ("revenue_targets", &["year", "region_code", "revenue_code", "amount", "record_hash", "journal_idx"])
        }
        Kind::Staff => {
            ("staff", &["unit_code", "id_hash", "name", "bank_account", "phone", "record_hash", "journal_idx"])
        }
    }
}

/// Same-key handling shared by the kinds: stored or earlier in the file.
enum Seen {
    New,
    Same,
}

struct Keys {
    stored: HashMap<String, Stored>,
    in_file: HashMap<String, (u64, Hash)>,
}

impl Keys {
    fn new(stored: HashMap<String, Stored>) -> Keys {
        Keys { stored, in_file: HashMap::new() }
    }

    /// Checks key `key` (shown as `label`) with content `hash`. A conflict with a stored
    /// record is returned as `Err(Some(journal_idx))` for the caller to describe.
    fn check(&mut self, key: String, hash: &Hash, row: u64) -> Result<Seen, Result<i64, u64>> {
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

async fn conflict(db: &AnyPool, what: String, c: Result<i64, u64>, data: &[u8]) -> Result<String, ImportError> {
    Ok(match c {
        Ok(idx) => {
            format!("{what} is already recorded with different content ({})", describe_existing(db, idx, data).await?)
        }
        Err(row) => format!("{what} also appears on row {row} of this file with different content"),
    })
}

/// What the import remembers of each payment of the file: 48 bytes with its key, so a
/// million-row file stays well inside the memory budget.
struct PaymentSeen {
    row: u32,
    /// The first half of the record hash: enough to tell equal content from different.
    hash: [u8; 16],
    amount: i64,
    indicator: u32,
}

fn half(h: &Hash) -> [u8; 16] {
    let mut out = [0u8; 16];
    out.copy_from_slice(&h[..16]);
    out
}

/// Per-import state of each kind.
enum Importer {
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
}

struct PaymentsState {
    tree: OrgTree,
    book: IndicatorBook,
    /// Fingerprints of stored (unit, voucher) keys → record hash; for a small file (few
    /// rows against many stored) `None`, and each key is looked up instead.
    stored: Option<HashMap<u128, [u8; 16]>>,
    /// Payments of this file by key fingerprint.
    in_file: HashMap<u128, PaymentSeen>,
    contracts: HashMap<String, ContractState>,
    months: HashMap<(usize, u32), (i64, i64)>,
    /// Per fiscal year, the absolute amounts this file adds.
    gross: BTreeMap<i32, i128>,
    refunds: HashMap<(String, String), i64>,
    warnings: Vec<String>,
    /// What the batch touched, for the rules that fire at payment time.
    landed: crate::monitor::Landed,
    /// Salts of this import's personal-data commitments derive from it (see `salt`).
    salt_key: [u8; 32],
    /// The log's hash, which the commitments use.
    suite: Suite,
}

/// What a payments import needs of the database that is small enough to keep in memory
/// from one commit to the next (`Store::take_resident`): the organisation, every
/// indicator's balance and every contract's draws. A group of posted payments then reads
/// none of it again.
pub(crate) struct Kept {
    tree: OrgTree,
    book: IndicatorBook,
    contracts: HashMap<String, ContractState>,
    /// The stored payments' keys (see `PaymentsState::stored`).
    stored: Option<HashMap<u128, [u8; 16]>>,
}

impl Kept {
    /// Reads the state; the stored payments' keys only with `keys` (a large file, or a
    /// writer that keeps them), else each key is looked up when met.
    async fn load(tx: &mut Tx, keys: bool) -> Result<Kept, ImportError> {
        let stored = match keys {
            true => Some(load_payment_keys(tx).await?),
            false => None,
        };
        let book = IndicatorBook::load(tx).await?;
        let rows =
            sqlx::query("SELECT contract_no, unit_code, year, indicator_code, amount, paid, status FROM contracts")
                .fetch_all(&mut **tx)
                .await?;
        let mut contracts = HashMap::new();
        for r in rows {
            let year: i64 = r.try_get(2)?;
            let ind: String = r.try_get(3)?;
            let status: String = r.try_get(6)?;
            contracts.insert(
                r.try_get::<String, _>(0)?,
                ContractState {
                    unit_code: r.try_get(1)?,
                    indicator: book.by_key.get(&(year as i32, ind)).copied(),
                    amount: r.try_get(4)?,
                    paid: r.try_get(5)?,
                    status: ContractStatus::parse(&status).map_err(ImportError::Io)?,
                    changed: false,
                },
            );
        }
        Ok(Kept { tree: load_tree(tx).await?, book, contracts, stored })
    }
}

/// Every stored payment's key fingerprint with the first half of its record hash.
async fn load_payment_keys(tx: &mut Tx) -> Result<HashMap<u128, [u8; 16]>, ImportError> {
    let mut stored = HashMap::new();
    let rows = sqlx::query("SELECT unit_code, voucher_no, record_hash FROM payments").fetch_all(&mut **tx).await?;
    stored.reserve(rows.len());
    for r in rows {
        let u: String = r.try_get(0)?;
        let v: String = r.try_get(1)?;
        let h: Vec<u8> = r.try_get(2)?;
        let mut hash = [0u8; 16];
        if h.len() == 32 {
            hash.copy_from_slice(&h[..16]);
        }
        stored.insert(fingerprint(&u, &v), hash);
    }
    Ok(stored)
}

impl PaymentsState {
    /// The state as committed: balances and draws as written, nothing marked changed.
    fn into_kept(self) -> Kept {
        let PaymentsState { tree, mut book, mut contracts, mut stored, in_file, .. } = self;
        book.items.iter_mut().for_each(|i| i.changed = false);
        contracts.values_mut().for_each(|c| c.changed = false);
        if let Some(map) = stored.as_mut() {
            map.extend(in_file.into_iter().map(|(fp, seen)| (fp, seen.hash)));
        }
        Kept { tree, book, contracts, stored }
    }
}

struct ContractState {
    unit_code: String,
    indicator: Option<usize>,
    amount: i64,
    paid: i64,
    status: ContractStatus,
    changed: bool,
}

/// The salt of personal field `field` of file row `row`: SHA-256(key ‖ row ‖ field).
fn salt(key: &[u8; 32], row: u64, field: u8) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(key);
    h.update(row.to_be_bytes());
    h.update([field]);
    h.finalize().into()
}

/// A 128-bit key fingerprint (see `digest128`): keys of a million payments fit in a few
/// dozen megabytes, and a collision (about 2^-64 at that size) is out of reach. Content is
/// still compared with the full SHA-256 record hash.
fn fingerprint(unit: &str, voucher: &str) -> u128 {
    crate::digest128(&(unit, voucher))
}

impl Importer {
    async fn load(
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
                let Kept { tree, book, contracts, stored } = match kept {
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
                    salt_key,
                    suite,
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
            Kind::RevenueTargets => Importer::RevenueTargets {
                tree: load_tree(tx).await?,
                keys: Keys::new(load_stored(tx, "SELECT CAST(year AS TEXT) || '/' || region_code || '/' || revenue_code, record_hash, journal_idx FROM revenue_targets").await?),
            },
        })
    }

    /// Checks one parsed record against the database and the file so far.
    /// Reads go to `db` (committed data): this import's own rows are tracked in memory,
    /// while its transaction belongs to the writer task.
    async fn accept(
        &mut self,
        db: &AnyPool,
        file: &str,
        row: u64,
        record: Record,
    ) -> Result<Result<Outcome, Vec<Refusal>>, ImportError> {
        match (self, record) {
            (Importer::Units { keys, pending, .. }, Record::Unit(n)) => {
                let (data, hash) = json(&n)?;
                match keys.check(n.code.clone(), &hash, row) {
                    Ok(Seen::Same) => Ok(Ok(Outcome::Unchanged)),
                    Err(c) => Ok(Err(vec![(
                        0,
                        Code::DuplicateKeyConflict,
                        conflict(db, format!("code {:?}", n.code), c, &data).await?,
                    )])),
                    Ok(Seen::New) => {
                        pending.push((row, n, data, hash));
                        Ok(Ok(Outcome::Deferred))
                    }
                }
            }
            (Importer::Projects { tree, keys }, Record::Project(p)) => {
                let (data, hash) = json(&p)?;
                match keys.check(p.project_code.clone(), &hash, row) {
                    Ok(Seen::Same) => return Ok(Ok(Outcome::Unchanged)),
                    Err(c) => {
                        return Ok(Err(vec![(
                            0,
                            Code::DuplicateKeyConflict,
                            conflict(db, format!("project_code {:?}", p.project_code), c, &data).await?,
                        )]));
                    }
                    Ok(Seen::New) => {}
                }
                if let Err(e) = unit_ref(tree, &p.unit_code, OrgKind::Unit) {
                    return Ok(Err(vec![(2, e.0, e.1)]));
                }
                let projection = vec![
                    text(&p.project_code),
                    text(&p.name),
                    text(&p.unit_code),
                    text(&p.category),
                    Value::Int(i64::from(p.start_year)),
                    Value::Int(i64::from(p.end_year)),
                    money(p.total_amount),
                    text(p.status.as_str()),
                    Value::OptText(p.expires_on.map(|d| d.to_string())),
                    blob(&hash),
                ];
                Ok(Ok(Outcome::Add(Accepted { action: "project.add", data, projection, personal: Vec::new() })))
            }
            (Importer::Indicators { tree, projects, keys }, Record::Indicator(i)) => {
                let (data, hash) = json(&i)?;
                match keys.check(format!("{}/{}", i.year, i.indicator_code), &hash, row) {
                    Ok(Seen::Same) => return Ok(Ok(Outcome::Unchanged)),
                    Err(c) => {
                        let what = format!("indicator_code {:?} of {}", i.indicator_code, i.year);
                        return Ok(Err(vec![(0, Code::DuplicateKeyConflict, conflict(db, what, c, &data).await?)]));
                    }
                    Ok(Seen::New) => {}
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
                let projection = vec![
                    Value::Int(i64::from(i.year)),
                    text(&i.indicator_code),
                    text(&i.unit_code),
                    opt(&i.project_code),
                    text(i.functional_code.as_str()),
                    text(i.economic_code.as_str()),
                    Value::OptText(i.gov_economic_code.as_ref().map(|c| c.to_string())),
                    text(i.fund_source.as_str()),
                    Value::Int(i64::from(i.special)),
                    money(i.amount),
                    text(i.control.as_str()),
                    blob(&hash),
                ];
                Ok(Ok(Outcome::Add(Accepted { action: "indicator.add", data, projection, personal: Vec::new() })))
            }
            (Importer::Contracts { tree, book, keys }, Record::Contract(c)) => {
                let (data, hash) = json(&c)?;
                match keys.check(c.contract_no.clone(), &hash, row) {
                    Ok(Seen::Same) => return Ok(Ok(Outcome::Unchanged)),
                    Err(k) => {
                        return Ok(Err(vec![(
                            0,
                            Code::DuplicateKeyConflict,
                            conflict(db, format!("contract_no {:?}", c.contract_no), k, &data).await?,
                        )]));
                    }
                    Ok(Seen::New) => {}
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
                    // A commitment beyond the free balance is held to the same control as a payment.
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
                    st.balance.committed_unpaid = st
                        .balance
                        .committed_unpaid
                        .checked_add(c.amount)
                        .map_err(|e| ImportError::Io(e.to_string()))?;
                    st.changed = true;
                }
                let projection = vec![
                    text(&c.contract_no),
                    text(&c.unit_code),
                    Value::Int(i64::from(st.year)),
                    text(&st.code),
                    text(&c.supplier_name),
                    text(&c.supplier_account),
                    money(c.amount),
                    text(c.signed_on.to_string()),
                    text(c.ends_on.to_string()),
                    text(c.status.as_str()),
                    blob(&hash),
                ];
                Ok(Ok(Outcome::Add(Accepted { action: "contract.add", data, projection, personal: Vec::new() })))
            }
            (Importer::Payments(st), Record::Payment(p)) => st.accept(db, file, row, p).await,
            (Importer::Revenues { tree, keys, months, gross }, Record::Revenue(r)) => {
                let (data, hash) = json(&r)?;
                match keys.check(r.record_no.clone(), &hash, row) {
                    Ok(Seen::Same) => return Ok(Ok(Outcome::Unchanged)),
                    Err(c) => {
                        return Ok(Err(vec![(
                            0,
                            Code::DuplicateKeyConflict,
                            conflict(db, format!("record_no {:?}", r.record_no), c, &data).await?,
                        )]));
                    }
                    Ok(Seen::New) => {}
                }
                if let Err(e) = unit_ref(tree, &r.region_code, OrgKind::Region) {
                    return Ok(Err(vec![(2, e.0, e.1)]));
                }
                *months
                    .entry((r.date.year(), r.region_code.clone(), r.revenue_code.to_string(), r.date.month_key()))
                    .or_default() += r.amount.fen();
                *gross.entry(r.date.year()).or_default() += i128::from(r.amount.fen().unsigned_abs());
                let projection = vec![
                    text(&r.record_no),
                    text(r.date.to_string()),
                    Value::Int(i64::from(r.date.year())),
                    text(&r.region_code),
                    text(r.revenue_code.as_str()),
                    money(r.amount),
                    blob(&hash),
                ];
                Ok(Ok(Outcome::Add(Accepted { action: "revenue.record", data, projection, personal: Vec::new() })))
            }
            (Importer::RevenueTargets { tree, keys }, Record::RevenueTarget(t)) => {
                let (data, hash) = json(&t)?;
                match keys.check(format!("{}/{}/{}", t.year, t.region_code, t.revenue_code), &hash, row) {
                    Ok(Seen::Same) => return Ok(Ok(Outcome::Unchanged)),
                    Err(c) => {
                        let what = format!("target {} {} {}", t.year, t.region_code, t.revenue_code);
                        return Ok(Err(vec![(0, Code::DuplicateKeyConflict, conflict(db, what, c, &data).await?)]));
                    }
                    Ok(Seen::New) => {}
                }
                if let Err(e) = unit_ref(tree, &t.region_code, OrgKind::Region) {
                    return Ok(Err(vec![(1, e.0, e.1)]));
                }
                let projection = vec![
                    Value::Int(i64::from(t.year)),
                    text(&t.region_code),
                    text(t.revenue_code.as_str()),
                    money(t.amount),
                    blob(&hash),
                ];
                Ok(Ok(Outcome::Add(Accepted { action: "revenue_target.set", data, projection, personal: Vec::new() })))
            }
            (Importer::Staff { tree, keys, salt_key, suite }, Record::Staff(m)) => {
                let (data, hash) = json(&m)?;
                match keys.check(format!("{}/{}", m.unit_code, m.id_hash), &hash, row) {
                    Ok(Seen::Same) => return Ok(Ok(Outcome::Unchanged)),
                    Err(c) => {
                        let what = format!("staff member {} of {}", m.id_hash, m.unit_code);
                        return Ok(Err(vec![(0, Code::DuplicateKeyConflict, conflict(db, what, c, &data).await?)]));
                    }
                    Ok(Seen::New) => {}
                }
                if let Err(e) = unit_ref(tree, &m.unit_code, OrgKind::Unit) {
                    return Ok(Err(vec![(0, e.0, e.1)]));
                }
                // Name, account and phone enter the entry only as salted commitments.
                let mut committed = m.clone();
                let mut personal = Vec::new();
                let slots = [&mut committed.name, &mut committed.bank_account, &mut committed.phone];
                for (n, (field, slot)) in crate::personal::STAFF_FIELDS.into_iter().zip(slots).enumerate() {
                    let s = salt(salt_key, row, n as u8);
                    let clear = std::mem::take(slot);
                    *slot = bw_ledger::commitment_text(*suite, &s, &clear);
                    personal.push((field, s, clear));
                }
                let projection = vec![
                    text(&m.unit_code),
                    text(&m.id_hash),
                    text(&m.name),
                    text(&m.bank_account),
                    text(&m.phone),
                    blob(&hash),
                ];
                Ok(Ok(Outcome::Add(Accepted { action: "staff.add", data: json(&committed)?.0, projection, personal })))
            }
            _ => Err(ImportError::Io("record kind does not match the importer".into())),
        }
    }

    /// Work that needs the whole file (units); returns rows to add or row refusals.
    fn finish(&mut self) -> Result<Vec<(u64, Accepted)>, Vec<RowRefusal>> {
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
            let projection = vec![
                text(&n.code),
                text(&n.name),
                opt(&n.parent_code),
                text(n.kind.as_str()),
                Value::OptText(n.level.map(|l| l.as_str().to_string())),
                Value::OptText(region),
                Value::OptText(department),
                blob(&hash),
            ];
            out.push((row, Accepted { action: "unit.add", data, projection, personal: Vec::new() }));
        }
        Ok(out)
    }

    /// The yearly volume (`volumes.kind`) this file adds to, and what it adds per year.
    fn volume(&self) -> Option<(&'static str, &BTreeMap<i32, i128>)> {
        match self {
            Importer::Payments(st) => Some(("payments", &st.gross)),
            Importer::Revenues { gross, .. } => Some(("revenues", gross)),
            _ => None,
        }
    }

    /// Writes the aggregates the import changed.
    async fn write_aggregates(&mut self, tx: &mut Tx) -> Result<Vec<String>, ImportError> {
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

impl PaymentsState {
    /// The record hash (first half) of a stored payment, from memory or the database.
    async fn stored_hash(
        &self,
        db: &AnyPool,
        fp: u128,
        unit: &str,
        voucher: &str,
    ) -> Result<Option<[u8; 16]>, ImportError> {
        if let Some(map) = &self.stored {
            return Ok(map.get(&fp).copied());
        }
        let row = sqlx::query("SELECT record_hash FROM payments WHERE voucher_no = $1 AND unit_code = $2")
            .bind(voucher.to_string())
            .bind(unit.to_string())
            .fetch_optional(db)
            .await?;
        Ok(row.map(|r| r.try_get::<Vec<u8>, _>(0)).transpose()?.map(|h| {
            let mut out = [0u8; 16];
            if h.len() == 32 {
                out.copy_from_slice(&h[..16]);
            }
            out
        }))
    }

    /// The file row of this batch's payment `voucher` of `unit` (of any unit the batch
    /// touched when the finding names none).
    fn row_of<'a>(&'a self, unit: Option<&'a str>, voucher: &str) -> Option<(&'a str, u64)> {
        let find = |u: &'a str| self.in_file.get(&fingerprint(u, voucher)).map(|s| (u, u64::from(s.row)));
        unit.and_then(find).or_else(|| self.landed.scope.units.iter().find_map(|u| find(u)))
    }

    async fn accept(
        &mut self,
        db: &AnyPool,
        file: &str,
        row: u64,
        p: Payment,
    ) -> Result<Result<Outcome, Vec<Refusal>>, ImportError> {
        let (data, hash) = json(&p)?;
        let fp = fingerprint(&p.unit_code, &p.voucher_no);
        let what = || format!("voucher {:?} of unit {:?}", p.voucher_no, p.unit_code);
        if let Some(h) = self.stored_hash(db, fp, &p.unit_code, &p.voucher_no).await? {
            if h == half(&hash) {
                return Ok(Ok(Outcome::Unchanged));
            }
            let r = sqlx::query("SELECT journal_idx FROM payments WHERE unit_code = $1 AND voucher_no = $2")
                .bind(p.unit_code.clone())
                .bind(p.voucher_no.clone())
                .fetch_optional(db)
                .await?;
            let idx: i64 = match r {
                Some(r) => r.try_get(0)?,
                None => -1,
            };
            return Ok(Err(vec![(
                0,
                Code::DuplicateKeyConflict,
                format!("voucher_conflict: {}", conflict(db, what(), Ok(idx), &data).await?),
            )]));
        }
        if let Some(seen) = self.in_file.get(&fp) {
            if seen.hash == half(&hash) {
                return Ok(Ok(Outcome::Unchanged));
            }
            let row = u64::from(seen.row);
            return Ok(Err(vec![(
                0,
                Code::DuplicateKeyConflict,
                format!("voucher_conflict: {}", conflict(db, what(), Err(row), &data).await?),
            )]));
        }
        if let Err(e) = unit_ref(&self.tree, &p.unit_code, OrgKind::Unit) {
            return Ok(Err(vec![(2, e.0, e.1)]));
        }
        let idx = match self.book.resolve(&p.indicator_code, p.pay_date.year()) {
            Ok(i) => i,
            Err(e) => return Ok(Err(vec![(3, e.0, e.1)])),
        };
        if self.book.items[idx].unit_code != p.unit_code {
            let st = &self.book.items[idx];
            return Ok(Err(vec![(
                3,
                Code::ReferenceMismatch,
                format!("indicator {:?} belongs to unit {:?}, not {:?}", st.code, st.unit_code, p.unit_code),
            )]));
        }
        if let Some(e) = self.book.items[idx].unfundable().filter(|_| p.amount.is_positive()) {
            return Ok(Err(vec![(3, e.0, e.1)]));
        }
        // A refund names the voucher it reverses, in this file or already stored.
        if let Some(orig_no) = &p.reverses {
            let refund = -p.amount.fen();
            let orig_fp = fingerprint(&p.unit_code, orig_no);
            let (orig_amount, orig_refunded, orig_ind) = if let Some(seen) = self.in_file.get(&orig_fp) {
                let pending = self.refunds.get(&(p.unit_code.clone(), orig_no.clone())).copied().unwrap_or(0);
                (seen.amount, pending, Some(seen.indicator as usize))
            } else if self.stored_hash(db, orig_fp, &p.unit_code, orig_no).await?.is_some() {
                let r = sqlx::query("SELECT amount, refunded, year, indicator_code FROM payments WHERE unit_code = $1 AND voucher_no = $2")
                    .bind(p.unit_code.clone())
                    .bind(orig_no.clone())
                    .fetch_one(db)
                    .await?;
                let year: i64 = r.try_get(2)?;
                let code: String = r.try_get(3)?;
                let pending = self.refunds.get(&(p.unit_code.clone(), orig_no.clone())).copied().unwrap_or(0);
                (
                    r.try_get::<i64, _>(0)?,
                    r.try_get::<i64, _>(1)? + pending,
                    self.book.by_key.get(&(year as i32, code)).copied(),
                )
            } else {
                return Ok(Err(vec![(
                    12,
                    Code::UnknownVoucher,
                    format!("reverses unknown voucher {orig_no:?} of unit {:?}", p.unit_code),
                )]));
            };
            if orig_amount <= 0 {
                return Ok(Err(vec![(
                    12,
                    Code::InvalidState,
                    format!("voucher {orig_no:?} is itself a refund and cannot be reversed"),
                )]));
            }
            if orig_ind != Some(idx) {
                return Ok(Err(vec![(
                    3,
                    Code::ReferenceMismatch,
                    format!("a refund must charge the indicator of the voucher it reverses ({orig_no:?})"),
                )]));
            }
            if refund > orig_amount - orig_refunded {
                return Ok(Err(vec![(
                    8,
                    Code::AmountOutOfRange,
                    format!(
                        "refund of {} exceeds what remains of voucher {orig_no:?}: {} paid, {} already refunded",
                        Money::from_fen(refund),
                        Money::from_fen(orig_amount),
                        Money::from_fen(orig_refunded)
                    ),
                )]));
            }
            *self.refunds.entry((p.unit_code.clone(), orig_no.clone())).or_default() += refund;
        }
        // Drawing down a contract.
        let mut from_commitment = Money::ZERO;
        if let Some(cno) = &p.contract_no {
            let Some(c) = self.contracts.get(cno) else {
                return Ok(Err(vec![(
                    11,
                    Code::UnknownContract,
                    format!("unknown contract_no {cno:?}: not in the database (import contracts first)"),
                )]));
            };
            if c.unit_code != p.unit_code || c.indicator != Some(idx) {
                return Ok(Err(vec![(
                    11,
                    Code::ReferenceMismatch,
                    format!("contract {cno:?} belongs to another unit or indicator"),
                )]));
            }
            if c.status == ContractStatus::Cancelled && p.amount.is_positive() {
                return Ok(Err(vec![(11, Code::InvalidState, format!("contract {cno:?} is cancelled"))]));
            }
            if c.status == ContractStatus::Open {
                from_commitment = Money::from_fen(p.amount.fen().clamp(0, (c.amount - c.paid).max(0)));
            }
        }
        let st = &mut self.book.items[idx];
        match st.balance.check(st.control, p.amount, from_commitment) {
            ControlDecision::Accept => {}
            ControlDecision::AcceptWithWarning { available } => self.warnings.push(format!(
                "{file}:{row}: warning: payment {} of {} exceeds the available balance {} of indicator {} (control warn); accepted",
                p.voucher_no, p.amount, available, st.code
            )),
            ControlDecision::Refuse { available } => {
                return Ok(Err(vec![(
                    8,
                    Code::IndicatorBalanceExceeded,
                    format!(
                        "indicator_balance_exceeded: payment {} of {} exceeds the available balance {} of indicator {} (control block)",
                        p.voucher_no, p.amount, available, st.code
                    ),
                )]));
            }
        }
        // Apply: paid, commitments, month aggregates.
        let overflow = |e: bw_core::money::MoneyOverflow| ImportError::Io(e.to_string());
        st.balance.paid = st.balance.paid.checked_add(p.amount).map_err(overflow)?;
        if let Some(c) = p.contract_no.as_ref().and_then(|no| self.contracts.get_mut(no)) {
            let unpaid_before = (c.amount - c.paid).max(0);
            c.paid += p.amount.fen();
            let unpaid_after = (c.amount - c.paid).max(0);
            c.changed = true;
            if c.status == ContractStatus::Open {
                let delta = unpaid_after - unpaid_before;
                st.balance.committed_unpaid = Money::from_fen(st.balance.committed_unpaid.fen() + delta);
            }
        }
        st.changed = true;
        let (y, m, _) = p.pay_date.ymd();
        *self.gross.entry(st.year).or_default() += i128::from(p.amount.fen().unsigned_abs());
        let e = self.months.entry((idx, y as u32 * 100 + m)).or_default();
        e.0 += p.amount.fen();
        e.1 += 1;
        let year = st.year;
        self.landed.add(
            year,
            &p.unit_code,
            &p.voucher_no,
            &p.payee_account,
            p.amount.fen(),
            p.invoice_no.as_deref(),
            p.pay_date,
        );
        let seen = PaymentSeen { row: row as u32, hash: half(&hash), amount: p.amount.fen(), indicator: idx as u32 };
        // An individual's name and account enter the entry only as salted commitments.
        let (entry_data, personal) = if p.payee_type == PayeeType::Individual {
            let name_salt = salt(&self.salt_key, row, 0);
            let account_salt = salt(&self.salt_key, row, 1);
            let committed = Payment {
                payee_name: bw_ledger::commitment_text(self.suite, &name_salt, &p.payee_name),
                payee_account: bw_ledger::commitment_text(self.suite, &account_salt, &p.payee_account),
                ..p.clone()
            };
            let personal = vec![
                ("payee_name", name_salt, p.payee_name.clone()),
                ("payee_account", account_salt, p.payee_account.clone()),
            ];
            (json(&committed)?.0, personal)
        } else {
            (data, Vec::new())
        };
        let invoice_key = p.invoice_no.as_deref().map(|i| bw_core::ident::key(i).into_owned());
        // The record's strings move into the projection row (the hot path: no copies).
        let projection = vec![
            Value::Text(p.unit_code),
            Value::Text(p.voucher_no),
            text(p.pay_date.to_string()),
            Value::Int(i64::from(year)),
            Value::Text(p.indicator_code),
            text(p.economic_code.as_str()),
            Value::Text(p.payee_name),
            Value::Text(p.payee_account),
            text(p.payee_type.as_str()),
            money(p.amount),
            Value::Text(p.summary),
            Value::OptText(p.invoice_no),
            Value::OptText(p.contract_no),
            Value::OptText(p.reverses),
            Value::OptText(invoice_key),
            blob(&hash),
        ];
        self.in_file.insert(fp, seen);
        Ok(Ok(Outcome::Add(Accepted { action: "payment.record", data: entry_data, projection, personal })))
    }

    async fn write_aggregates(&mut self, tx: &mut Tx) -> Result<Vec<String>, ImportError> {
        self.book.write_balances(tx).await?;
        let mut months: Vec<_> = self.months.iter().collect();
        months.sort_by_key(|(k, _)| **k);
        for ((idx, ym), (paid, count)) in months {
            let st = &self.book.items[*idx];
            sqlx::query(
                "INSERT INTO indicator_months (year, indicator_code, month, paid, payments) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (year, indicator_code, month) DO UPDATE SET paid = indicator_months.paid + excluded.paid, payments = indicator_months.payments + excluded.payments",
            )
            .bind(i64::from(st.year))
            .bind(st.code.clone())
            .bind(format!("{:04}-{:02}", ym / 100, ym % 100))
            .bind(*paid)
            .bind(*count)
            .execute(&mut **tx)
            .await?;
        }
        for (no, c) in self.contracts.iter().filter(|(_, c)| c.changed) {
            sqlx::query("UPDATE contracts SET paid = $1 WHERE contract_no = $2")
                .bind(c.paid)
                .bind(no.clone())
                .execute(&mut **tx)
                .await?;
        }
        for ((unit, voucher), amount) in &self.refunds {
            sqlx::query("UPDATE payments SET refunded = refunded + $1 WHERE unit_code = $2 AND voucher_no = $3")
                .bind(*amount)
                .bind(unit.clone())
                .bind(voucher.clone())
                .execute(&mut **tx)
                .await?;
        }
        Ok(std::mem::take(&mut self.warnings))
    }
}

// ---------------------------------------------------------------------------------------
// The driver.

fn file_sha256(path: &Path) -> Result<String, ImportError> {
    let mut f = std::fs::File::open(path).map_err(|e| ImportError::Io(format!("{}: {e}", path.display())))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| ImportError::Io(format!("{}: {e}", path.display())))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

struct Errors {
    file: String,
    list: Vec<RowError>,
    more: usize,
    max: usize,
}

impl Errors {
    fn new(file: String, opts: &ImportOptions<'_>) -> Errors {
        Errors { file, list: Vec::new(), more: 0, max: opts.errors_max.max(1) }
    }

    fn reject(self) -> ImportError {
        ImportError::Rejected { file: self.file, errors: self.list, more: self.more }
    }

    fn push(&mut self, row: u64, column: Option<String>, code: Code, message: String) {
        if self.list.len() < self.max {
            self.list.push(RowError { file: self.file.clone(), row, column, code, message });
        } else {
            self.more += 1;
        }
    }
}

#[derive(serde::Serialize)]
struct BatchData<'a> {
    kind: &'a str,
    file: &'a str,
    sha256: &'a str,
    rows_added: u64,
    rows_unchanged: u64,
    first_index: i64,
    end_index: i64,
}

/// Imports one file of `kind`. Everything or nothing: on any refusal the transaction is
/// rolled back and every refusal (up to `errors_max`) is returned.
pub async fn import_file(
    store: &Store,
    ctx: &Ctx,
    kind: Kind,
    path: &Path,
    opts: &ImportOptions<'_>,
) -> Result<ImportReport, ImportError> {
    let file = path.display().to_string();
    let (source, header) = match Source::open(path) {
        Ok(v) => v,
        Err(e) => {
            let mut errors = Errors::new(file, opts);
            read_err(&mut errors, e, None);
            return Err(errors.reject());
        }
    };
    let sha = file_sha256(path)?;
    let file_name = path.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_else(|| file.clone());
    import_source(store, ctx, kind, Input { file, file_name, sha, source, header }, opts).await
}

/// Imports records held in memory (sent over the API) as `import_file` imports a file whose
/// rows they are: `name` stands for the file in refusals (`name:ROW: …`, the header being
/// row 1) and the batch's digest is the SHA-256 of the rows written as CSV.
pub async fn import_rows(
    store: &Store,
    ctx: &Ctx,
    kind: Kind,
    name: &str,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    opts: &ImportOptions<'_>,
) -> Result<ImportReport, ImportError> {
    let sha = {
        let mut w = csv::Writer::from_writer(Hashing(Sha256::new()));
        let io = |e: csv::Error| ImportError::Io(e.to_string());
        w.write_record(&header).map_err(io)?;
        for r in &rows {
            w.write_record(r).map_err(io)?;
        }
        let Hashing(h) = w.into_inner().map_err(|e| ImportError::Io(e.to_string()))?;
        hex(&h.finalize())
    };
    let input = Input { file: name.to_string(), file_name: name.to_string(), sha, source: Source::rows(rows), header };
    import_source(store, ctx, kind, input, opts).await
}

/// A writer that only hashes what it is given.
struct Hashing(Sha256);

impl std::io::Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What is imported: the rows, their header, the name refusals give the file and the name
/// and digest its batch records.
struct Input {
    file: String,
    file_name: String,
    sha: String,
    source: Source,
    header: Vec<String>,
}

/// A file that cannot be read at all, or a cell that cannot be read as a value.
fn read_err(errors: &mut Errors, e: ReadError, header: Option<&[String]>) {
    let column = e.column.map(|c| header.and_then(|h| h.get(c)).cloned().unwrap_or_else(|| format!("#{}", c + 1)));
    let code = if column.is_some() { Code::InvalidValue } else { Code::UnreadableFile };
    errors.push(e.row, column, code, e.message);
}

async fn import_source(
    store: &Store,
    ctx: &Ctx,
    kind: Kind,
    input: Input,
    opts: &ImportOptions<'_>,
) -> Result<ImportReport, ImportError> {
    let Input { file, file_name, sha, mut source, header } = input;
    let mut errors = Errors::new(file.clone(), opts);
    let reject = |errors: Errors| errors.reject();
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let map: HeaderMap = match resolve_header(kind, &header_refs, opts.allow_extra) {
        Ok(m) => m,
        Err(es) => {
            for e in es {
                errors.push(1, Some(e.column), e.code, e.message);
            }
            return Err(reject(errors));
        }
    };
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("import {} {}", kind.as_str(), file_name));

    let (mut tx, size) = store.begin_write().await?;
    let batch: i64 = sqlx::query("SELECT CAST(COALESCE(MAX(id), 0) + 1 AS BIGINT) FROM batches")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    // Salts are unpredictable without the caller's entropy, which is never stored.
    let salt_key: [u8; 32] = {
        let mut h = Sha256::new();
        h.update(b"budgetwatch/salt-key\0");
        h.update(ctx.entropy);
        h.update(batch.to_be_bytes());
        h.finalize().into()
    };
    // A writer that keeps its state loads the stored keys once rather than look each up.
    let small = source.len() <= SMALL_BYTES && !opts.resident;
    let kept = if kind == Kind::Payments { store.take_resident::<Kept>(size) } else { None };
    let mut importer = Importer::load(kind, &mut tx, salt_key, store.suite(), small, kept).await?;
    // A large file of payments lands faster with the secondary indexes built once at the end
    // than kept row by row (about 3 s against 10 s for a million). DDL is transactional in
    // both backends: a refused file leaves them as they were.
    let rebuild_indexes = kind == Kind::Payments && source.len() > BULK_BYTES;
    if rebuild_indexes {
        for (name, _) in PAYMENT_INDEXES {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX {name}"))).execute(&mut *tx).await?;
        }
    }
    let mut journal = JournalWriter::new(size, store, ctx.at);
    let (table, columns) = table_of(kind);
    // Parsing and checking run here while a writer task inserts the previous rows, so the
    // two cores work at once. The writer owns the transaction until the file is read.
    // On PostgreSQL, payments go through COPY into staging tables (see `Stager`).
    let stager = if bw_store::STAGED_TABLES.contains(&table) { Stager::open(store, batch).await? } else { None };
    type Rows = Vec<Vec<Value>>;
    let (to_writer, mut from_reader) = tokio::sync::mpsc::channel::<(Rows, Rows, Rows)>(2);
    let writer = tokio::spawn(async move {
        let mut stager = stager;
        while let Some((entries, projections, personal)) = from_reader.recv().await {
            insert_rows(&mut tx, "personal_data", PERSONAL_COLUMNS, personal).await?;
            match stager.as_mut() {
                Some(s) => {
                    s.copy("journal", JOURNAL_COLUMNS, entries).await?;
                    s.copy(table, columns, projections).await?;
                }
                None => {
                    insert_rows(&mut tx, "journal", JOURNAL_COLUMNS, entries).await?;
                    insert_rows(&mut tx, table, columns, projections).await?;
                }
            }
        }
        Ok::<(Tx, Option<Stager>), StoreError>((tx, stager))
    });
    let mut rows_buf: Vec<Vec<Value>> = Vec::new();
    let mut personal_buf: Vec<Vec<Value>> = Vec::new();
    let mut entry_buf = Vec::with_capacity(512);
    let header_for =
        |action: &'static str| Header { action, actor: &ctx.actor, at: ctx.at, reason: &reason, batch: Some(batch) };
    let mut report = ImportReport {
        kind: kind.as_str(),
        file: file.clone(),
        batch: Some(batch),
        journal_first: size,
        ..Default::default()
    };

    let mut add = |journal: &mut JournalWriter,
                   rows_buf: &mut Vec<Vec<Value>>,
                   personal_buf: &mut Vec<Vec<Value>>,
                   a: Accepted|
     -> Result<(), ImportError> {
        entry_buf.clear();
        encode_raw_into(&mut entry_buf, &header_for(a.action), &a.data).map_err(|e| ImportError::Io(e.to_string()))?;
        let idx = journal.append(entry_buf.clone());
        let mut projection = a.projection;
        projection.push(Value::Int(idx));
        rows_buf.push(projection);
        for (field, salt, value) in a.personal {
            personal_buf.push(vec![Value::Int(idx), text(field), Value::Blob(salt.to_vec()), Value::Text(value)]);
        }
        Ok(())
    };

    let columns_n = header.len();
    let mut cells: Vec<String> = Vec::with_capacity(columns_n);
    let total = source.len();
    let mut last_progress = 0u64;
    while let Some(next) = source.next_row(&mut cells) {
        let row = match next {
            Ok(r) => r,
            Err(e) => {
                let stop = e.column.is_none();
                read_err(&mut errors, e, Some(&header));
                if stop {
                    break; // the reader cannot go on past a broken record
                }
                continue;
            }
        };
        report.rows += 1;
        if let Some(progress) = opts.progress
            && report.rows - last_progress >= 4096
        {
            last_progress = report.rows;
            progress(source.position(), total);
        }
        // A CSV record is refused whenever its field count differs from the header's, never
        // shifted: an unquoted "1,000.00" would otherwise move every later value one column
        // on. A sheet's row may run past the header with empty cells (the used range).
        if cells.len() != columns_n {
            let sheet_blank =
                source.is_sheet() && cells[columns_n.min(cells.len())..].iter().all(|c| c.trim().is_empty());
            if !sheet_blank || cells.len() < columns_n {
                errors.push(
                    row,
                    None,
                    Code::FieldCountMismatch,
                    format!(
                        "{} fields where the header has {columns_n} (an unquoted comma inside a value, such as the thousands separator of 1,000.00, or a truncated line?)",
                        cells.len()
                    ),
                );
                continue;
            }
        }
        let values: Vec<&str> =
            map.positions.iter().map(|p| p.and_then(|i| cells.get(i)).map(String::as_str).unwrap_or("")).collect();
        let record = match parse_row(kind, &values) {
            Ok(r) => r,
            Err(fes) => {
                for fe in fes {
                    errors.push(row, Some(map.labels[fe.column].clone()), fe.code, fe.message);
                }
                continue;
            }
        };
        match importer.accept(store.pool(), &file, row, record).await? {
            Err(refusals) => {
                for (col, code, msg) in refusals {
                    errors.push(row, Some(map.labels[col].clone()), code, msg);
                }
            }
            Ok(Outcome::Unchanged) => {
                report.unchanged += 1;
                if opts.outcomes {
                    report.outcomes.push((row, RowOutcome::Unchanged));
                }
            }
            Ok(Outcome::Deferred) => {}
            Ok(Outcome::Add(a)) => {
                report.added += 1;
                if opts.outcomes {
                    report.outcomes.push((row, RowOutcome::Added));
                }
                // Once the file is known bad, nothing more is written; checking goes on.
                if errors.list.is_empty() {
                    add(&mut journal, &mut rows_buf, &mut personal_buf, a)?;
                    if journal.should_flush() {
                        let batch =
                            (journal.take_pending(), std::mem::take(&mut rows_buf), std::mem::take(&mut personal_buf));
                        if to_writer.send(batch).await.is_err() {
                            break; // the writer failed; its error is taken below
                        }
                    }
                }
            }
        }
    }
    if let Some(progress) = opts.progress {
        progress(total, total);
    }
    drop(to_writer);
    let (mut tx, mut stager) = writer.await.map_err(|e| ImportError::Io(format!("writer task failed: {e}")))??;
    match importer.finish() {
        Ok(rows) => {
            for (row, a) in rows {
                report.added += 1;
                if opts.outcomes {
                    report.outcomes.push((row, RowOutcome::Added));
                }
                if errors.list.is_empty() {
                    add(&mut journal, &mut rows_buf, &mut personal_buf, a)?;
                }
            }
        }
        Err(es) => {
            for (row, col, code, msg) in es {
                errors.push(row, Some(map.labels[col].clone()), code, msg);
            }
        }
    }
    if !errors.list.is_empty() {
        tx.rollback().await?;
        if let Some(s) = stager.as_mut() {
            s.clear().await?;
        }
        return Err(reject(errors));
    }
    if report.added == 0 {
        // Nothing new: no batch, no entries.
        tx.rollback().await?;
        if let Some(s) = stager.as_mut() {
            s.clear().await?;
        }
        report.batch = None;
        report.journal_end = size;
        return Ok(report);
    }
    if let Some(s) = stager.as_ref() {
        s.land(&mut tx, "journal", JOURNAL_COLUMNS).await?;
        s.land(&mut tx, table, columns).await?;
    }
    insert_rows(&mut tx, "journal", JOURNAL_COLUMNS, journal.take_pending()).await?;
    insert_rows(&mut tx, table, columns, std::mem::take(&mut rows_buf)).await?;
    insert_rows(&mut tx, "personal_data", PERSONAL_COLUMNS, std::mem::take(&mut personal_buf)).await?;
    if rebuild_indexes {
        for (name, columns) in PAYMENT_INDEXES {
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE INDEX {name} ON payments ({columns})")))
                .execute(&mut *tx)
                .await?;
        }
    }
    report.warnings = importer.write_aggregates(&mut tx).await?;
    // No fiscal year holds more than Money::YEAR_TOTAL_MAX of one kind: every sum the system
    // forms stays within range (docs/IMPORT.md).
    if let Some((volume, adds)) = importer.volume() {
        for (year, add) in adds {
            let have: i64 = sqlx::query("SELECT gross FROM volumes WHERE year = $1 AND kind = $2")
                .bind(i64::from(*year))
                .bind(volume)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get::<i64, _>(0))
                .transpose()?
                .unwrap_or(0);
            let total = i128::from(have) + add;
            match i64::try_from(total).ok().filter(|t| *t <= Money::YEAR_TOTAL_MAX.fen()) {
                Some(total) => {
                    sqlx::query(
                        "INSERT INTO volumes (year, kind, gross) VALUES ($1, $2, $3) \
                         ON CONFLICT (year, kind) DO UPDATE SET gross = excluded.gross",
                    )
                    .bind(i64::from(*year))
                    .bind(volume)
                    .bind(total)
                    .execute(&mut *tx)
                    .await?;
                }
                None => errors.push(
                    0,
                    None,
                    Code::YearTotalExceeded,
                    format!(
                        "year_total_exceeded: the {volume} of {year} would total {} yuan (absolute amounts), above the {} yuan a year may hold",
                        bw_core::money::yuan_i128(total),
                        Money::YEAR_TOTAL_MAX.grouped()
                    ),
                ),
            }
        }
        if !errors.list.is_empty() {
            tx.rollback().await?;
            if let Some(s) = stager.as_mut() {
                s.clear().await?;
            }
            return Err(reject(errors));
        }
    }
    // The tables of budgets, contracts and targets are small: their yearly totals are summed
    // here (as floats: exact enough to compare with a ceiling, and no integer overflow).
    if let Some(t) = [Kind::Indicators, Kind::Contracts, Kind::RevenueTargets].contains(&kind).then_some(table) {
        let sql = format!(
            "SELECT year, SUM(CAST(ABS(amount) AS DOUBLE PRECISION)) FROM {t} GROUP BY year \
             HAVING SUM(CAST(ABS(amount) AS DOUBLE PRECISION)) > {}",
            Money::YEAR_TOTAL_MAX.fen()
        );
        for r in sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *tx).await? {
            let (year, total): (i64, f64) = (r.try_get(0)?, r.try_get(1)?);
            errors.push(
                0,
                None,
                Code::YearTotalExceeded,
                format!(
                    "year_total_exceeded: the {t} of {year} would total about {:.0} yuan (absolute amounts), above the {} yuan a year may hold",
                    total / 100.0,
                    Money::YEAR_TOTAL_MAX.grouped()
                ),
            );
        }
        if !errors.list.is_empty() {
            tx.rollback().await?;
            return Err(reject(errors));
        }
    }
    // Rules that fire at payment time (事中) are evaluated over what the batch touched,
    // in its transaction: a forbidding rule refuses the file.
    if let Importer::Payments(state) = &importer {
        let started = std::time::Instant::now();
        let prepared = crate::monitor::prepare(store, state.landed.years.keys().copied())
            .await
            .map_err(|e| ImportError::Io(e.to_string()))?;
        let calendar = crate::calendar::load(store).await.map_err(|e| ImportError::Io(e.to_string()))?;
        let by = crate::monitor::By { actor: &ctx.actor, at: ctx.at, reason: &reason, batch: Some(batch) };
        let touched =
            crate::monitor::on_payments(&mut tx, &mut journal, &by, &state.landed, ctx.today, &prepared, &calendar)
                .await
                .map_err(|e| ImportError::Io(e.to_string()))?;
        let mut held = 0;
        let mut held_rows = std::collections::HashSet::new();
        for w in &touched {
            let handling = prepared.get(&w.year).map(|(_, p)| p.handling(w.rule)).unwrap_or("warn");
            if handling == "intercept" {
                for v in &w.vouchers {
                    if let Some((unit, row)) = state.row_of(w.unit_code.as_deref(), v) {
                        let done = crate::hold::hold(&mut tx, &mut journal, &by, unit, v, w.id, w.rule).await;
                        if done.map_err(|e| ImportError::Io(e.to_string()))? {
                            held += 1;
                            held_rows.insert(row);
                        }
                    }
                }
            }
            if handling != "forbid" {
                continue;
            }
            for v in &w.vouchers {
                if let Some((_, row)) = state.row_of(w.unit_code.as_deref(), v) {
                    let rule = bw_rules::Rule::parse(w.rule).map(|r| r.zh()).unwrap_or("");
                    errors.push(
                        row,
                        Some(map.labels[0].clone()),
                        Code::ForbiddenByRule,
                        format!(
                            "forbidden_by_rule: payment {v} is refused by rule {} ({rule}, handling forbid; {} warning)",
                            w.rule,
                            w.level.as_str()
                        ),
                    );
                }
            }
        }
        if !errors.list.is_empty() {
            tx.rollback().await?;
            if let Some(s) = stager.as_mut() {
                s.clear().await?;
            }
            return Err(reject(errors));
        }
        report.warnings_raised = touched.len();
        report.warning_ids = touched.iter().map(|w| w.id).collect();
        if opts.outcomes {
            for (row, outcome) in &mut report.outcomes {
                if held_rows.contains(row) {
                    *outcome = RowOutcome::Held;
                }
            }
        }
        report.held = held;
        report.rules_time = started.elapsed();
        // An overspend the rules just found may call for an emergency case: opened in this
        // transaction, so that a crash after the commit cannot lose it.
        if !touched.is_empty() {
            crate::emergency::open_for_warnings_in(&mut tx, &mut journal, &by)
                .await
                .map_err(|e| ImportError::Io(e.to_string()))?;
        }
    }
    let end = journal.next_index();
    let data = BatchData {
        kind: kind.as_str(),
        file: &file_name,
        sha256: &sha,
        rows_added: report.added,
        rows_unchanged: report.unchanged,
        first_index: size,
        end_index: end,
    };
    let (data_json, _) = json(&data)?;
    entry_buf.clear();
    encode_raw_into(&mut entry_buf, &header_for("import.batch"), &data_json)
        .map_err(|e| ImportError::Io(e.to_string()))?;
    journal.append(entry_buf.clone());
    sqlx::query(
        "INSERT INTO batches (id, kind, file_name, file_sha256, rows_added, rows_unchanged, actor, at, reason, first_idx, end_idx) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(batch)
    .bind(kind.as_str())
    .bind(file_name)
    .bind(sha)
    .bind(report.added as i64)
    .bind(report.unchanged as i64)
    .bind(ctx.actor.clone())
    .bind(ctx.at.to_string())
    .bind(reason.clone())
    .bind(size)
    .bind(end + 1)
    .execute(&mut *tx)
    .await?;
    report.journal_end = journal.finish(&mut tx).await?;
    tx.commit().await?;
    if let Some(s) = stager.as_mut() {
        s.clear().await?;
    }
    // A hold moved balances in SQL behind the importer's back: its state is not kept then.
    if let (Importer::Payments(state), 0) = (importer, report.held) {
        store.keep_resident(report.journal_end, state.into_kept());
    }
    Ok(report)
}
