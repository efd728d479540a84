//! budgetwatch persistence. One code path (sqlx `Any`) for SQLite and PostgreSQL: the SQL
//! here is the common dialect of both, placeholders are `$n`, money is `BIGINT` fen, dates
//! are ISO text. Migrations run at `init` and at every start.
//!
//! Writers take the journal head row first in every write transaction: it serialises
//! writers on both databases (a row lock on PostgreSQL, the write lock on SQLite), so
//! journal indexes are dense and assigned in commit order.

pub mod changes;

use bw_ledger::Hash;
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, AssertSqlSafe, Row};
use std::time::Duration;

pub use sqlx;

pub type Tx = sqlx::Transaction<'static, Any>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database {path} does not exist (run `budgetwatch init` first)")]
    Missing { path: String },
    #[error("database schema version {found} is newer than this program knows ({known})")]
    TooNew { found: i64, known: i64 },
    #[error("journal corrupt: {0}")]
    Journal(String),
    #[error("{0}")]
    Io(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Schema migrations: (version, name, SQL). Append only; never edit a shipped one.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("schema.sql")),
    (2, "merkle tiles", include_str!("tiles.sql")),
    (3, "signed checkpoints", include_str!("checkpoints.sql")),
    (4, "witnesses", include_str!("witness.sql")),
    (5, "personal data", include_str!("personal.sql")),
    (6, "approvals", include_str!("approvals.sql")),
    (7, "warnings", include_str!("warnings.sql")),
    (8, "warning events", include_str!("warning_events.sql")),
    (9, "warning escalations", include_str!("escalations.sql")),
    (10, "emergencies", include_str!("emergencies.sql")),
    (11, "inquiries", include_str!("inquiries.sql")),
    (12, "payment holds", include_str!("holds.sql")),
    (13, "response tasks", include_str!("tasks.sql")),
    (14, "payment findings cache", include_str!("findings.sql")),
    (15, "incremental evaluation indexes", include_str!("scope.sql")),
    (16, "staff register and audit cases", include_str!("audit.sql")),
    (17, "users, grants, tokens, sessions", include_str!("users.sql")),
    (18, "public feedback", include_str!("feedback.sql")),
    (19, "webhooks", include_str!("webhooks.sql")),
    (20, "idempotency keys", include_str!("idempotency.sql")),
    (21, "documents and saved filters", include_str!("documents.sql")),
    (22, "classified projects", include_str!("classified.sql")),
    (23, "budget preparation and approval", include_str!("budget.sql")),
    (24, "budget adjustments", include_str!("adjustments.sql")),
    (25, "performance", include_str!("performance.sql")),
    (26, "year-end closing", include_str!("closing.sql")),
    (27, "rolling plans", include_str!("rolling.sql")),
    (28, "emergency adjustments", include_str!("reserve.sql")),
    (29, "published rankings", include_str!("rankings.sql")),
    (30, "approval routes", include_str!("workflows.sql")),
    (31, "performance interviews", include_str!("interviews.sql")),
    (32, "invoice keys", include_str!("invoice_key.sql")),
    (33, "yearly volumes", include_str!("volumes.sql")),
    (34, "log-in throttling", include_str!("login_attempts.sql")),
    (35, "grant requests", include_str!("grant_requests.sql")),
    (36, "signed publications", include_str!("publications.sql")),
    (37, "feedback moderation", include_str!("feedback_moderation.sql")),
    (38, "risk register", include_str!("risks.sql")),
    (39, "simulation runs", include_str!("simulations.sql")),
    (40, "warnings by journal entry", include_str!("warnings_journal.sql")),
    (41, "macro indicators", include_str!("macro_indicators.sql")),
    (42, "informal communications", include_str!("informal.sql")),
    (43, "contract milestones", include_str!("milestones.sql")),
    (44, "meetings and action items", include_str!("meetings.sql")),
    (45, "post-incident reviews", include_str!("reviews.sql")),
    (46, "major matters", include_str!("matters.sql")),
];

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    location: String,
    /// Signs a checkpoint at every commit; without it nothing can be committed.
    signing: Option<std::sync::Arc<Signing>>,
    /// The log's hash and signature algorithms, read from its recorded origin.
    suite: bw_ledger::Suite,
    /// What the writer keeps in memory between its commits (see `Store::take_resident`).
    resident: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<std::any::TypeId, Resident>>>,
}

/// A writer's state kept from one commit to the next, with the journal size it is true at.
type Resident = (i64, Box<dyn std::any::Any + Send>);

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).field("location", &self.location).finish()
    }
}

/// Where a `--db` value points.
pub fn describe(db: &str) -> (Backend, String) {
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        (Backend::Postgres, db.to_string())
    } else {
        let path = db.strip_prefix("sqlite://").unwrap_or(db);
        (Backend::Sqlite, format!("sqlite://{path}"))
    }
}

impl Store {
    /// Opens the database named by `db` (a file path, `sqlite://…` or `postgres://…`).
    /// With `create`, a missing SQLite file is created; migrations run either way.
    pub async fn open(db: &str, create: bool) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (backend, url) = describe(db);
        if backend == Backend::Sqlite {
            let path = url.trim_start_matches("sqlite://").to_string();
            if !create && path != ":memory:" && !std::path::Path::new(&path).exists() {
                return Err(StoreError::Missing { path });
            }
            // The file holds password hashes, sessions, sealed approval keys and payees'
            // names: created readable by its owner alone (SQLite gives its WAL files the
            // same mode). An empty file is an empty database to SQLite.
            if create && path != ":memory:" && !std::path::Path::new(&path).exists() {
                use std::os::unix::fs::OpenOptionsExt;
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&path)
                    .map_err(|e| StoreError::Io(format!("creating {path}: {e}")))?;
            }
        }
        let url = match backend {
            Backend::Sqlite => format!("{url}?mode=rwc"),
            Backend::Postgres => url,
        };
        let options = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 8,
            })
            .acquire_timeout(Duration::from_secs(60))
            // A connection to a local file does not go stale: no ping before each use (a
            // round trip to SQLite's worker thread on every request).
            .test_before_acquire(backend == Backend::Postgres);
        let options = if backend == Backend::Sqlite {
            options.after_connect(|conn, _| {
                Box::pin(async move {
                    // WAL lets the server read while an import writes; NORMAL sync is
                    // durable at checkpoints and safe against corruption.
                    for pragma in [
                        // Takes effect only when the file is created: larger pages suit
                        // the journal's append-mostly rows of a few hundred bytes.
                        "PRAGMA page_size = 16384",
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA synchronous = NORMAL",
                        "PRAGMA busy_timeout = 30000",
                        "PRAGMA foreign_keys = OFF",
                        "PRAGMA cache_size = -65536",
                        "PRAGMA temp_store = MEMORY",
                        // A WAL grown by a large import is cut back to this once it is reset.
                        "PRAGMA journal_size_limit = 67108864",
                        // Reads of a large year map the file rather than copy page by page.
                        "PRAGMA mmap_size = 4294967296",
                    ] {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
        } else {
            options
        };
        let pool = options.connect(&url).await?;
        let mut store = Store {
            pool,
            backend,
            location: db.to_string(),
            signing: None,
            suite: Default::default(),
            resident: Default::default(),
        };
        store.migrate().await?;
        if let Some(origin) = store.meta("origin").await? {
            store.suite = bw_ledger::Suite::of_origin(&origin);
        }
        store.catch_up_tiles().await?;
        Ok(store)
    }

    /// Sets the installation's signing key. The first key used is recorded (origin and
    /// verifier key); a different key later is refused, as it would fork the signed log.
    /// `head_file` keeps, outside the database, the last checkpoint the key signed (see
    /// `Signing`); without one it is kept in memory for this process only.
    pub async fn set_signer(
        &mut self,
        signer: bw_ledger::note::Signer,
        head_file: Option<std::path::PathBuf>,
    ) -> Result<()> {
        let verifier = signer.verifier_key();
        if bw_ledger::Suite::of_origin(signer.name()) != signer.suite() {
            return Err(StoreError::Journal(format!(
                "the key {} is a {} key but its name records {}",
                signer.name(),
                signer.suite().name(),
                bw_ledger::Suite::of_origin(signer.name()).name()
            )));
        }
        let stored = self.meta("verifier_key").await?;
        match stored {
            Some(v) if v != verifier => {
                return Err(StoreError::Journal(format!(
                    "the signing key {} is not this log's key {v}",
                    signer.verifier_key()
                )));
            }
            Some(_) => {}
            None => {
                if self.journal_size().await? > 0 && signer.suite() != self.suite {
                    return Err(StoreError::Journal(format!(
                        "this log is hashed with {}; a {} key cannot sign it",
                        self.suite.name(),
                        signer.suite().name()
                    )));
                }
                let mut tx = self.begin_write_raw().await?;
                for (k, v) in [("verifier_key", verifier.as_str()), ("origin", signer.name())] {
                    sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2)")
                        .bind(k.to_string())
                        .bind(v.to_string())
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            }
        }
        self.suite = signer.suite();
        let verifier = bw_ledger::note::Verifier::parse(&verifier).map_err(|e| StoreError::Journal(e.to_string()))?;
        self.signing =
            Some(std::sync::Arc::new(Signing { signer, verifier, head_file, head: std::sync::Mutex::new(None) }));
        Ok(())
    }

    /// On SQLite, when the `-wal` file has grown past `bound` bytes: copies what it holds
    /// into the database without waiting for readers (PASSIVE), and — when that got
    /// everything — truncates it, which then takes an instant. Returns the WAL's size
    /// before, if it was checkpointed. PostgreSQL manages its own WAL: nothing to do.
    pub async fn checkpoint_wal(&self, bound: u64) -> Result<Option<u64>> {
        if self.backend != Backend::Sqlite {
            return Ok(None);
        }
        let wal = format!("{}-wal", self.location.trim_start_matches("sqlite://"));
        let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        if size <= bound {
            return Ok(None);
        }
        let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&self.pool).await?;
        let (busy, log, done): (i64, i64, i64) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        if busy == 0 && log == done {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(&self.pool).await?;
        }
        Ok(Some(size))
    }

    /// Takes the state of type `T` a writer kept after its last commit, if the journal has
    /// not grown since (`size`, read inside the write transaction): any journaled change by
    /// anyone, in this process or another, makes it stale, and it is dropped. The caller
    /// owns it until it gives it back with `keep_resident` after its own commit.
    pub fn take_resident<T: std::any::Any + Send>(&self, size: i64) -> Option<T> {
        match self.take_resident_stale::<T>()? {
            (at, state) if at == size => Some(state),
            _ => None,
        }
    }

    /// Takes the state of type `T` a writer kept, with the journal size it was true of,
    /// however the journal grew since: for state that can be brought up to date from what
    /// was appended after it.
    pub fn take_resident_stale<T: std::any::Any + Send>(&self) -> Option<(i64, T)> {
        let (at, state) = self.resident.lock().ok()?.remove(&std::any::TypeId::of::<T>())?;
        state.downcast::<T>().ok().map(|b| (at, *b))
    }

    /// Keeps `state`, true of the journal at `size` entries, for the next writer.
    pub fn keep_resident<T: std::any::Any + Send>(&self, size: i64, state: T) {
        if let Ok(mut slot) = self.resident.lock() {
            slot.insert(std::any::TypeId::of::<T>(), (size, Box::new(state)));
        }
    }

    /// The log's hash and signature algorithms.
    pub fn suite(&self) -> bw_ledger::Suite {
        self.suite
    }

    pub fn signer(&self) -> Option<&bw_ledger::note::Signer> {
        self.signing.as_ref().map(|s| &s.signer)
    }

    pub async fn meta(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM meta WHERE key = $1")
            .bind(key.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get(0)?),
            None => None,
        })
    }

    /// The latest signed checkpoint note, if any.
    pub async fn latest_checkpoint(&self) -> Result<Option<String>> {
        let row =
            sqlx::query("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1").fetch_optional(&self.pool).await?;
        Ok(match row {
            Some(r) => Some(r.try_get(0)?),
            None => None,
        })
    }

    pub async fn checkpoint_count(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM checkpoints").fetch_one(&self.pool).await?.try_get(0)?)
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// One aggregate that packs every row of a query into a single JSON text, an array of
    /// arrays of `exprs`: a bulk read (a million payments) crosses the driver as one value
    /// per query instead of a row each, whose cost in sqlx's `Any` (≈ 20 µs) would dominate.
    /// No rows give `[]` or NULL.
    pub fn json_rows(&self, exprs: &[&str]) -> String {
        let list = exprs.join(", ");
        match self.backend {
            Backend::Sqlite => format!("json_group_array(json_array({list}))"),
            Backend::Postgres => format!("CAST(json_agg(json_build_array({list})) AS TEXT)"),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn location(&self) -> &str {
        &self.location
    }

    async fn migrate(&self) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)")
            .execute(&mut *conn)
            .await?;
        drop(conn);
        let known = MIGRATIONS.last().map(|m| m.0).unwrap_or(0);
        let mut tx = self.begin_write_raw().await?;
        let row = sqlx::query("SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM schema_migrations")
            .fetch_one(&mut *tx)
            .await?;
        let current: i64 = row.try_get(0)?;
        if current > known {
            return Err(StoreError::TooNew { found: current, known });
        }
        let (blob, index_pk, unlogged) = match self.backend {
            Backend::Sqlite => ("BLOB", "INTEGER PRIMARY KEY", ""),
            Backend::Postgres => ("BYTEA", "BIGINT PRIMARY KEY", "UNLOGGED"),
        };
        for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
            for statement in split_statements(
                &sql.replace("{BLOB}", blob).replace("{INDEX_PK}", index_pk).replace("{UNLOGGED}", unlogged),
            ) {
                sqlx::raw_sql(AssertSqlSafe(statement)).execute(&mut *tx).await?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
                .bind(*version)
                .bind(*name)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn begin_write_raw(&self) -> Result<Tx> {
        Ok(match self.backend {
            // IMMEDIATE takes the write lock at once, so a writer never fails to upgrade.
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// A write transaction for operational state (no journal): on SQLite it takes the
    /// write lock at once, so a read in it is never followed by a failed upgrade.
    pub async fn begin_operational(&self) -> Result<Tx> {
        self.begin_write_raw().await
    }

    /// Starts a write transaction holding the journal head; returns it with the current
    /// journal size (the index the next entry gets).
    pub async fn begin_write(&self) -> Result<(Tx, i64)> {
        let mut tx = self.begin_write_raw().await?;
        let row =
            sqlx::query("UPDATE journal_head SET size = size WHERE id = 1 RETURNING size").fetch_one(&mut *tx).await?;
        let size: i64 = row.try_get(0)?;
        Ok((tx, size))
    }

    /// Builds the tiles a journal written before they existed still lacks (once, on open).
    async fn catch_up_tiles(&self) -> Result<()> {
        let row = sqlx::query("SELECT size, tiled FROM journal_head WHERE id = 1").fetch_one(&self.pool).await?;
        let (size, mut tiled): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        while tiled < size {
            let (mut tx, _) = self.begin_write().await?;
            let end = (tiled + 100_000).min(size);
            let rows = sqlx::query("SELECT leaf_hash FROM journal WHERE idx >= $1 AND idx < $2 ORDER BY idx")
                .bind(tiled)
                .bind(end)
                .fetch_all(&mut *tx)
                .await?;
            let leaves: Vec<Hash> = rows
                .iter()
                .map(|r| r.try_get::<Vec<u8>, _>(0).map(|v| to_hash(&v)))
                .collect::<std::result::Result<_, _>>()?;
            if leaves.len() as i64 != end - tiled {
                return Err(StoreError::Journal(format!("entries {tiled}..{end} are not all present")));
            }
            extend_tiles(&mut tx, self.suite, tiled, &leaves).await?;
            sqlx::query("UPDATE journal_head SET tiled = $1 WHERE id = 1").bind(end).execute(&mut *tx).await?;
            tx.commit().await?;
            tiled = end;
        }
        Ok(())
    }

    /// Several tiles in one query (a proof needs a handful): (level, index) → hashes.
    pub async fn tiles(&self, wanted: &[(u32, u64)]) -> Result<std::collections::HashMap<(u32, u64), Vec<Hash>>> {
        let mut out = std::collections::HashMap::new();
        for chunk in wanted.chunks(200) {
            let mut sql = String::from("SELECT level, idx, hashes FROM merkle_tiles WHERE ");
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(" OR ");
                }
                sql.push_str(&format!("(level = ${} AND idx = ${})", 2 * i + 1, 2 * i + 2));
            }
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (l, i) in chunk {
                q = q.bind(i64::from(*l)).bind(*i as i64);
            }
            for r in q.fetch_all(&self.pool).await? {
                let (l, i): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
                out.insert((l as u32, i as u64), split_hashes(&r.try_get::<Vec<u8>, _>(2)?));
            }
        }
        Ok(out)
    }

    pub async fn journal_size(&self) -> Result<i64> {
        let row = sqlx::query("SELECT size FROM journal_head WHERE id = 1").fetch_one(&self.pool).await?;
        Ok(row.try_get(0)?)
    }

    /// Entries `from..to` (index, leaf hash, entry bytes), in index order.
    pub async fn journal_range(&self, from: i64, to: i64) -> Result<Vec<(i64, Vec<u8>, Vec<u8>)>> {
        let rows = sqlx::query("SELECT idx, leaf_hash, entry FROM journal WHERE idx >= $1 AND idx < $2 ORDER BY idx")
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }

    pub async fn journal_entry(&self, idx: i64) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT entry FROM journal WHERE idx = $1").bind(idx).fetch_optional(&self.pool).await?;
        Ok(match row {
            Some(r) => Some(r.try_get(0)?),
            None => None,
        })
    }
}

fn to_hash(v: &[u8]) -> Hash {
    let mut h = [0u8; 32];
    if v.len() == 32 {
        h.copy_from_slice(v);
    }
    h
}

fn split_hashes(blob: &[u8]) -> Vec<Hash> {
    blob.chunks_exact(32).map(to_hash).collect()
}

/// Writes the tiles that appending `leaves` at `old_size` changes: the right-edge tiles
/// are read, extended and rewritten; new tiles are inserted.
async fn extend_tiles(tx: &mut Tx, suite: bw_ledger::Suite, old_size: i64, leaves: &[Hash]) -> Result<()> {
    if leaves.is_empty() {
        return Ok(());
    }
    use bw_ledger::merkle::{TILE_HEIGHT, TILE_WIDTH};
    // Read the partial right-edge tile of each level first (the tile math is synchronous).
    let mut edges = std::collections::HashMap::new();
    let old = old_size as u64;
    let mut tl = 0u32;
    while tl * TILE_HEIGHT < 64 && (old >> (tl * TILE_HEIGHT)) > 0 {
        let count = old >> (tl * TILE_HEIGHT);
        if !count.is_multiple_of(TILE_WIDTH) {
            let idx = count / TILE_WIDTH;
            let row = sqlx::query("SELECT hashes FROM merkle_tiles WHERE level = $1 AND idx = $2")
                .bind(i64::from(tl))
                .bind(idx as i64)
                .fetch_optional(&mut **tx)
                .await?;
            let hashes = match row {
                Some(r) => split_hashes(&r.try_get::<Vec<u8>, _>(0)?),
                None => Vec::new(),
            };
            edges.insert((tl, idx), hashes);
        }
        tl += 1;
    }
    let tiles = bw_ledger::merkle::extend_tiles(suite, old, leaves, |l, i| {
        edges
            .get(&(l, i))
            .cloned()
            .filter(|h| !h.is_empty())
            .ok_or(bw_ledger::merkle::MissingNode { level: l * TILE_HEIGHT, index: i })
    })
    .map_err(|e| StoreError::Journal(format!("merkle tiles: {e}")))?;
    // Rewritten edge tiles replace their stored versions; untouched ones stay.
    for (l, i, _) in tiles.iter().filter(|(l, i, _)| edges.contains_key(&(*l, *i))) {
        sqlx::query("DELETE FROM merkle_tiles WHERE level = $1 AND idx = $2")
            .bind(i64::from(*l))
            .bind(*i as i64)
            .execute(&mut **tx)
            .await?;
    }
    let rows: Vec<Vec<Value>> = tiles
        .into_iter()
        .map(|(l, i, hs)| vec![Value::Int(i64::from(l)), Value::Int(i as i64), Value::Blob(hs.concat())])
        .collect();
    insert_rows(tx, "merkle_tiles", &["level", "idx", "hashes"], rows).await
}

/// The tree head at `size`, read from the tiles inside `tx` (so it sees this commit's).
async fn tx_root(tx: &mut Tx, suite: bw_ledger::Suite, size: u64) -> Result<Hash> {
    use bw_ledger::merkle::{self, MissingNode, TILE_HEIGHT, TileRecorder, TileSource};
    let mut rec = TileRecorder::default();
    merkle::root(&mut rec, size).map_err(|e| StoreError::Journal(e.to_string()))?;
    let mut tiles = std::collections::HashMap::new();
    for (l, i) in rec.0 {
        let row = sqlx::query("SELECT hashes FROM merkle_tiles WHERE level = $1 AND idx = $2")
            .bind(i64::from(l))
            .bind(i as i64)
            .fetch_optional(&mut **tx)
            .await?;
        if let Some(r) = row {
            tiles.insert((l, i), split_hashes(&r.try_get::<Vec<u8>, _>(0)?));
        }
    }
    let mut src = TileSource {
        tile: |l: u32, i: u64| tiles.get(&(l, i)).cloned().ok_or(MissingNode { level: l * TILE_HEIGHT, index: i }),
        suite,
    };
    merkle::root(&mut src, size).map_err(|e| StoreError::Journal(format!("tiles: {e}")))
}

/// Splits a migration into statements at semicolons that end a line, skipping comments.
fn split_statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in sql.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("--") || trimmed.is_empty() {
            continue;
        }
        cur.push_str(line);
        cur.push('\n');
        if trimmed.ends_with(';') {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

/// A value for a bulk insert.
#[derive(Clone, Debug)]
pub enum Value {
    Int(i64),
    Text(String),
    OptText(Option<String>),
    /// An integer column's value or NULL (PostgreSQL types a NULL parameter by its Rust type).
    OptInt(Option<i64>),
    Blob(Vec<u8>),
}

/// Bind parameters per statement: below SQLite's 32,766 and PostgreSQL's 65,535.
pub const BIND_PARAMS_MAX: usize = 30_000;

/// Inserts `rows` (each with `columns.len()` values) into `table` with multi-row INSERTs.
/// `table` and `columns` are program constants, never user input.
pub async fn insert_rows(tx: &mut Tx, table: &str, columns: &[&str], mut rows: Vec<Vec<Value>>) -> Result<()> {
    if rows.is_empty() || columns.is_empty() {
        return Ok(());
    }
    let per_statement = (BIND_PARAMS_MAX / columns.len()).max(1);
    // SQLite looks `$n` parameters up by name, which costs O(n) per bind; plain `?` is
    // positional. PostgreSQL takes only `$n`.
    let positional = tx.backend_name() == "SQLite";
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(per_statement));
        let chunk = std::mem::replace(&mut rows, rest);
        let mut sql = String::with_capacity(64 + chunk.len() * columns.len() * 6);
        sql.push_str("INSERT INTO ");
        sql.push_str(table);
        sql.push_str(" (");
        sql.push_str(&columns.join(", "));
        sql.push_str(") VALUES ");
        let mut n = 0;
        for (ri, _) in chunk.iter().enumerate() {
            if ri > 0 {
                sql.push(',');
            }
            sql.push('(');
            for ci in 0..columns.len() {
                if ci > 0 {
                    sql.push(',');
                }
                n += 1;
                if positional {
                    sql.push('?');
                } else {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
            }
            sql.push(')');
        }
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for row in chunk {
            debug_assert_eq!(row.len(), columns.len());
            for v in row {
                q = match v {
                    Value::Int(i) => q.bind(i),
                    Value::Text(s) => q.bind(s),
                    Value::OptText(s) => q.bind(s),
                    Value::OptInt(i) => q.bind(i),
                    Value::Blob(b) => q.bind(b),
                };
            }
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The installation's signing key with what it last signed. Before a new checkpoint is
/// signed, the tree in the database must extend both the latest checkpoint stored there
/// and the head kept outside it (`head_file`), so the key never signs a rewritten or
/// truncated past, whatever was done to the database. The kept head is the checkpoint the
/// previous commit signed (already committed when the next one checks it), so it never
/// runs ahead of the database.
pub struct Signing {
    signer: bw_ledger::note::Signer,
    verifier: bw_ledger::note::Verifier,
    head_file: Option<std::path::PathBuf>,
    /// The kept head (size, root) as last read or written by this process.
    head: std::sync::Mutex<Option<(u64, Hash)>>,
}

impl Signing {
    /// The kept head: the file's when there is one (another process may have moved it).
    fn kept(&self) -> Result<Option<(u64, Hash)>> {
        if let Some(path) = &self.head_file
            && let Some(cp) = read_kept_head(path)?
        {
            if cp.origin != self.signer.name() {
                return Err(StoreError::Journal(format!(
                    "the kept checkpoint {} is of the log {}, not {}",
                    path.display(),
                    cp.origin,
                    self.signer.name()
                )));
            }
            return Ok(Some((cp.size, cp.root)));
        }
        Ok(*self.head.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn keep(&self, size: u64, root: Hash) -> Result<()> {
        if let Some(path) = &self.head_file {
            let cp = bw_ledger::note::Checkpoint { origin: self.signer.name().to_string(), size, root };
            let tmp = path.with_extension("head-new");
            write_private(&tmp, cp.text().as_bytes(), false)
                .and_then(|()| std::fs::rename(&tmp, path))
                .map_err(|e| StoreError::Io(format!("writing the kept checkpoint {}: {e}", path.display())))?;
        }
        *self.head.lock().unwrap_or_else(|p| p.into_inner()) = Some((size, root));
        Ok(())
    }

    /// Refuses to go on unless the tree of the `size` entries in `tx` extends the latest
    /// stored checkpoint (which must cover all of them, signed by this key) and the kept
    /// head; then keeps the latest stored checkpoint as the head.
    async fn check_extends(&self, tx: &mut Tx, suite: bw_ledger::Suite, size: i64) -> Result<()> {
        let refuse =
            |why: String| Err(StoreError::Journal(format!("{why}; nothing was signed (run budgetwatch verify)")));
        let latest = sqlx::query("SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1")
            .fetch_optional(&mut **tx)
            .await?;
        let latest_root = match latest {
            None if size == 0 => None,
            None => return refuse(format!("the journal holds {size} entries and no signed checkpoint")),
            Some(row) => {
                let (cp_size, note): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
                if cp_size != size {
                    return refuse(format!(
                        "the latest signed checkpoint covers {cp_size} entries but the journal holds {size}"
                    ));
                }
                let cp = self
                    .verifier
                    .open(&note)
                    .map_err(|e| e.to_string())
                    .and_then(|t| bw_ledger::note::Checkpoint::parse(t).map_err(|e| e.to_string()));
                let cp = match cp {
                    Ok(cp) if cp.size == size as u64 => cp,
                    Ok(_) => return refuse(format!("the checkpoint stored for {size} entries signs another size")),
                    Err(e) => return refuse(format!("the latest checkpoint does not verify with this key: {e}")),
                };
                if tx_root(tx, suite, size as u64).await? != cp.root {
                    return refuse(format!(
                        "the tree of the stored {size} entries is not the one the latest checkpoint signed: history was rewritten"
                    ));
                }
                Some(cp.root)
            }
        };
        let kept = self.kept()?;
        if let Some((kept_size, kept_root)) = kept {
            if kept_size > size as u64 {
                return refuse(format!(
                    "this key signed a checkpoint of {kept_size} entries but the journal holds {size}: entries were removed"
                ));
            }
            if tx_root(tx, suite, kept_size).await? != kept_root {
                return refuse(format!(
                    "the tree of the first {kept_size} entries is not the one this key signed: history was rewritten"
                ));
            }
        }
        if let Some(root) = latest_root
            && kept.is_none_or(|(s, _)| s < size as u64)
        {
            self.keep(size as u64, root)?;
        }
        Ok(())
    }
}

/// Writes `bytes` to a file only its owner may read, durably, creating its folder (0700)
/// when missing. With `new_only` an existing file is an error, never overwritten (a key).
pub fn write_private(path: &std::path::Path, bytes: &[u8], new_only: bool) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).mode(0o600);
    if new_only {
        options.create_new(true);
    } else {
        options.create(true).truncate(true);
    }
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// The checkpoint kept beside a signing key (`Signing`), if there is one.
pub fn read_kept_head(path: &std::path::Path) -> Result<Option<bw_ledger::note::Checkpoint>> {
    match std::fs::read_to_string(path) {
        Ok(text) => bw_ledger::note::Checkpoint::parse(&text)
            .map(Some)
            .map_err(|e| StoreError::Journal(format!("the kept checkpoint {}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::Io(format!("reading {}: {e}", path.display()))),
    }
}

/// Appends entries to the journal inside a write transaction, buffering for multi-row
/// inserts. Indexes are dense from the size read by `Store::begin_write`.
pub struct JournalWriter {
    next: i64,
    start: i64,
    pending: Vec<Vec<Value>>,
    /// Leaf hashes appended in this transaction, for the tiles written at `finish`.
    leaves: Vec<Hash>,
    signing: Option<std::sync::Arc<Signing>>,
    /// Keys that sign this commit's checkpoint as well (a key rotation's old key).
    also: Vec<std::sync::Arc<bw_ledger::note::Signer>>,
    at: bw_core::Timestamp,
    suite: bw_ledger::Suite,
}

/// Entries buffered before they are written.
pub const JOURNAL_BUFFER_ENTRIES_MAX: usize = 2_000;

impl JournalWriter {
    /// A writer appending at `size` (from `Store::begin_write`) that, when the store has a
    /// signer, signs a checkpoint of the new tree head at `finish`, dated `at`.
    pub fn new(size: i64, store: &Store, at: bw_core::Timestamp) -> JournalWriter {
        JournalWriter {
            next: size,
            start: size,
            pending: Vec::new(),
            leaves: Vec::new(),
            signing: store.signing.clone(),
            also: Vec::new(),
            at,
            suite: store.suite(),
        }
    }

    /// Has `signer` sign this commit's checkpoint too.
    pub fn also_sign_with(&mut self, signer: std::sync::Arc<bw_ledger::note::Signer>) {
        self.also.push(signer);
    }

    /// Index the next entry will get.
    pub fn next_index(&self) -> i64 {
        self.next
    }

    pub fn start_index(&self) -> i64 {
        self.start
    }

    /// Queues `entry` and returns its index; call `flush` when `should_flush`.
    pub fn append(&mut self, entry: Vec<u8>) -> i64 {
        let leaf = self.suite.leaf(&entry);
        let idx = self.next;
        self.next += 1;
        self.leaves.push(leaf);
        self.pending.push(vec![Value::Int(idx), Value::Blob(leaf.to_vec()), Value::Blob(entry)]);
        idx
    }

    pub fn should_flush(&self) -> bool {
        self.pending.len() >= JOURNAL_BUFFER_ENTRIES_MAX
    }

    /// The buffered journal rows, for a caller that writes them itself.
    pub fn take_pending(&mut self) -> Vec<Vec<Value>> {
        std::mem::take(&mut self.pending)
    }

    pub async fn flush(&mut self, tx: &mut Tx) -> Result<()> {
        let rows = std::mem::take(&mut self.pending);
        insert_rows(tx, "journal", &["idx", "leaf_hash", "entry"], rows).await
    }

    /// Writes what is buffered and moves the head; the caller then commits.
    pub async fn finish(mut self, tx: &mut Tx) -> Result<i64> {
        self.flush(tx).await?;
        extend_tiles(tx, self.suite, self.start, &self.leaves).await?;
        if self.next > self.start {
            let Some(signing) = &self.signing else {
                return Err(StoreError::Journal(
                    "no signing key: a commit cannot be written without its signed checkpoint".into(),
                ));
            };
            signing.check_extends(tx, self.suite, self.start).await?;
            let root = tx_root(tx, self.suite, self.next as u64).await?;
            let signer = &signing.signer;
            let cp = bw_ledger::note::Checkpoint { origin: signer.name().to_string(), size: self.next as u64, root };
            let text = cp.text();
            let mut note = signer.sign(&text);
            for other in &self.also {
                note.push_str(&other.signature_line(&text));
            }
            sqlx::query("INSERT INTO checkpoints (size, root, note, at) VALUES ($1, $2, $3, $4)")
                .bind(self.next)
                .bind(root.to_vec())
                .bind(note)
                .bind(self.at.to_string())
                .execute(&mut **tx)
                .await?;
        }
        sqlx::query("UPDATE journal_head SET size = $1, tiled = $1 WHERE id = 1")
            .bind(self.next)
            .execute(&mut **tx)
            .await?;
        Ok(self.next)
    }
}

/// Tables that have a staging twin (`stage_<table>`) for COPY loads on PostgreSQL.
pub const STAGED_TABLES: &[&str] = &["journal", "payments"];

/// A COPY channel to PostgreSQL for bulk loads, on a connection of its own (COPY cannot run
/// through the `Any` driver). Rows go to `stage_<table>` tagged with a stage id; `land`
/// moves them into place inside the caller's transaction, so the load stays all or nothing.
pub struct Stager {
    conn: sqlx::PgConnection,
    stage_id: i64,
}

impl Stager {
    /// A stager for `store` when it is PostgreSQL; `None` for SQLite.
    pub async fn open(store: &Store, stage_id: i64) -> Result<Option<Stager>> {
        use sqlx::Connection;
        if store.backend != Backend::Postgres {
            return Ok(None);
        }
        let conn = sqlx::PgConnection::connect(&store.location).await?;
        let mut s = Stager { conn, stage_id };
        s.clear().await?;
        Ok(Some(s))
    }

    /// COPYs `rows` of `table`'s `columns` into its staging table.
    pub async fn copy(&mut self, table: &str, columns: &[&str], rows: Vec<Vec<Value>>) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::with_capacity(rows.len() * 256);
        for row in rows {
            copy_field(&mut buf, &Value::Int(self.stage_id));
            for v in &row {
                buf.push(b'\t');
                copy_field(&mut buf, v);
            }
            buf.push(b'\n');
        }
        let sql = format!("COPY stage_{table} (stage_id, {}) FROM STDIN", columns.join(", "));
        let mut copy = self.conn.copy_in_raw(&sql).await?;
        copy.send(buf).await?;
        copy.finish().await?;
        Ok(())
    }

    /// Moves the staged rows of `table` into it, inside `tx`.
    pub async fn land(&self, tx: &mut Tx, table: &str, columns: &[&str]) -> Result<()> {
        let cols = columns.join(", ");
        let order = if table == "journal" { " ORDER BY idx" } else { "" };
        let sql = format!("INSERT INTO {table} ({cols}) SELECT {cols} FROM stage_{table} WHERE stage_id = $1{order}");
        sqlx::query(AssertSqlSafe(sql)).bind(self.stage_id).execute(&mut **tx).await?;
        Ok(())
    }

    /// Empties the staging tables (after landing, or after a refusal). Writers are
    /// serialised by the journal head, so no other load is using them; call it only when
    /// no transaction that read them is open, as TRUNCATE waits for those.
    pub async fn clear(&mut self) -> Result<()> {
        let sql =
            format!("TRUNCATE {}", STAGED_TABLES.iter().map(|t| format!("stage_{t}")).collect::<Vec<_>>().join(", "));
        sqlx::query(AssertSqlSafe(sql)).execute(&mut self.conn).await?;
        Ok(())
    }
}

/// One field in PostgreSQL's COPY text format.
fn copy_field(buf: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Int(i) => buf.extend_from_slice(i.to_string().as_bytes()),
        Value::Text(s) => copy_text(buf, s),
        Value::OptText(Some(s)) => copy_text(buf, s),
        Value::OptText(None) | Value::OptInt(None) => buf.extend_from_slice(b"\\N"),
        Value::OptInt(Some(i)) => buf.extend_from_slice(i.to_string().as_bytes()),
        Value::Blob(b) => {
            buf.extend_from_slice(b"\\\\x");
            buf.extend_from_slice(bw_ledger::hex(b).as_bytes());
        }
    }
}

fn copy_text(buf: &mut Vec<u8>, s: &str) {
    for &b in s.as_bytes() {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            _ => buf.push(b),
        }
    }
}
