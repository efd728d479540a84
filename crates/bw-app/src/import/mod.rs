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

mod decide;
mod payments;
mod read;
mod rules;
mod state;
mod write;

pub use decide::table_of;
use decide::*;
use payments::*;
use read::*;
pub(crate) use state::load_tree;
use state::*;

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
    /// Payments held by rules handled `intercept` or for their contracts' milestones:
    /// recorded, not counted as paid.
    pub held: usize,
    /// The payments held for their contracts' milestones (`milestone_not_verified`): (unit,
    /// voucher).
    pub milestone_held: Vec<(String, String)>,
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

pub(super) struct Errors {
    pub(super) file: String,
    pub(super) list: Vec<RowError>,
    pub(super) more: usize,
    pub(super) max: usize,
}

impl Errors {
    fn new(file: String, opts: &ImportOptions<'_>) -> Errors {
        Errors { file, list: Vec::new(), more: 0, max: opts.errors_max.max(1) }
    }

    pub(super) fn reject(self) -> ImportError {
        ImportError::Rejected { file: self.file, errors: self.list, more: self.more }
    }

    pub(super) fn push(&mut self, row: u64, column: Option<String>, code: Code, message: String) {
        if self.list.len() < self.max {
            self.list.push(RowError { file: self.file.clone(), row, column, code, message });
        } else {
            self.more += 1;
        }
    }
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
    let sha = rows_sha256(&header, &rows)?;
    let input = Input { file: name.to_string(), file_name: name.to_string(), sha, source: Source::rows(rows), header };
    import_source(store, ctx, kind, input, opts).await
}

/// The import itself: open the write transaction with the state the decisions need, decide
/// and write every row, land the rows, run the rules that fire at payment time, close the
/// batch and commit — or roll back and report every refusal.
/// The rows a file adds from which PostgreSQL's statistics are brought up to date before the
/// rules run.
const ANALYZE_FROM: u64 = 10_000;

async fn import_source(
    store: &Store,
    ctx: &Ctx,
    kind: Kind,
    input: Input,
    opts: &ImportOptions<'_>,
) -> Result<ImportReport, ImportError> {
    let Input { file, file_name, sha, mut source, header } = input;
    let mut errors = Errors::new(file.clone(), opts);
    let Some(map) = header_map(kind, &header, opts, &mut errors) else { return Err(errors.reject()) };
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("import {} {}", kind.as_str(), file_name));
    let mut open = write::Open::begin(store, ctx, kind, source.len(), opts).await?;
    let mut report = ImportReport {
        kind: kind.as_str(),
        file: file.clone(),
        batch: Some(open.batch),
        journal_first: open.size,
        ..Default::default()
    };
    let by = crate::monitor::By { actor: &ctx.actor, at: ctx.at, reason: &reason, batch: Some(open.batch) };
    let mut appender = write::Appender::new(JournalWriter::new(open.size, store, ctx.at), by);
    let writer = open.spawn_writer(store).await?;
    let mut reading =
        read::Reading { kind, file: &file, header: &header, map: &map, opts, errors: &mut errors, report: &mut report };
    let to_writer = writer.sender();
    reading.rows(store, &mut source, &mut open.importer, &mut appender, &to_writer).await?;
    drop(to_writer);
    let mut landing = writer.join().await?;
    reading.deferred(&mut open.importer, &mut appender)?;
    if !errors.list.is_empty() {
        landing.abandon().await?;
        keep_evidence(store, &mut open.importer, open.size, false);
        return Err(errors.reject());
    }
    if report.added == 0 {
        // Nothing new: no batch, no entries.
        landing.abandon().await?;
        keep_evidence(store, &mut open.importer, open.size, false);
        report.batch = None;
        report.journal_end = open.size;
        return Ok(report);
    }
    landing.land(&mut appender, open.rebuild_indexes).await?;
    report.warnings = open.importer.write_aggregates(&mut landing.tx).await?;
    landing.check_volumes(&open.importer, &mut errors).await?;
    landing.check_year_totals(kind, &mut errors).await?;
    if let (true, Importer::Payments(state)) = (errors.list.is_empty(), &mut open.importer)
        && !state.on_milestones.is_empty()
    {
        // Beyond what the contracts' verified milestones release: held, in this transaction.
        let write::Appender { journal, by, .. } = &mut appender;
        let held =
            crate::milestones::hold_unreleased(&mut landing.tx, journal, by, std::mem::take(&mut state.on_milestones))
                .await
                .map_err(|e| ImportError::Io(e.to_string()))?;
        report.milestone_held = held;
    }
    if let (true, Importer::Payments(state)) = (errors.list.is_empty(), &mut open.importer) {
        // A large file's rows are not yet in PostgreSQL's statistics (the transaction has not
        // committed, autovacuum cannot see them): planned as if the table were small, the
        // rules' year-wide queries join by nested loops and take minutes. ANALYZE in the
        // transaction sees its own rows.
        if store.backend() == bw_store::Backend::Postgres && report.added >= ANALYZE_FROM {
            bw_store::sqlx::query("ANALYZE payments")
                .execute(&mut *landing.tx)
                .await
                .map_err(|e| ImportError::Io(e.to_string()))?;
        }
        let mut reading = read::Reading {
            kind,
            file: &file,
            header: &header,
            map: &map,
            opts,
            errors: &mut errors,
            report: &mut report,
        };
        rules::at_payment_time(store, ctx.today, &mut landing.tx, &mut appender, state, &mut reading).await?;
    }
    if !errors.list.is_empty() {
        landing.abandon().await?;
        keep_evidence(store, &mut open.importer, open.size, false);
        return Err(errors.reject());
    }
    let data = bw_core::registers::ImportBatch {
        kind: kind.as_str().into(),
        file: file_name.clone(),
        sha256: sha.clone(),
        rows_added: report.added,
        rows_unchanged: report.unchanged,
        first_index: open.size,
        end_index: appender.next_index(),
    };
    report.journal_end = landing.commit(appender, &data).await?;
    keep_evidence(store, &mut open.importer, report.journal_end, true);
    // A hold moved balances in SQL behind the importer's back: its state is not kept then.
    if let (Importer::Payments(state), 0) = (open.importer, report.held) {
        store.keep_resident(report.journal_end, state.into_kept());
    }
    Ok(report)
}

/// Gives a writer's keys of the groups holding stored payments back for its next batch,
/// true of the journal at `size`: with this batch's own when it `committed`. A batch too
/// wide to list them gives them up (they are read again whole).
fn keep_evidence(store: &Store, importer: &mut Importer, size: i64, committed: bool) {
    if let Importer::Payments(state) = importer
        && let Some(mut keys) = state.evidence.take()
        && (!committed || keys.add(&state.landed.scope))
    {
        store.keep_resident(size, keys);
    }
}

/// The template's columns found in `header`, or the header's refusals recorded.
fn header_map(kind: Kind, header: &[String], opts: &ImportOptions<'_>, errors: &mut Errors) -> Option<HeaderMap> {
    let refs: Vec<&str> = header.iter().map(String::as_str).collect();
    match resolve_header(kind, &refs, opts.allow_extra) {
        Ok(m) => Some(m),
        Err(es) => {
            for e in es {
                errors.push(1, Some(e.column), e.code, e.message);
            }
            None
        }
    }
}
