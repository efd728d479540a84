//! Writing an import: the write transaction opened with the state the decisions need, the
//! writer task that inserts rows while the next ones are read, the landing of what is left,
//! the ceilings on a year's totals, and the batch closed with its entry, its signed
//! checkpoint and the commit.

use super::*;
use bw_core::action::Action;

/// Rows of values for `insert_rows` or a COPY.
pub(super) type Rows = Vec<Vec<Value>>;
/// Journal entries, projection rows and personal data on their way to the writer task.
pub(super) type ToWriter = tokio::sync::mpsc::Sender<(Rows, Rows, Rows)>;

/// The write transaction just opened: the journal size it starts at, the batch's number
/// and the kind's state for deciding rows.
pub(super) struct Open {
    tx: Option<Tx>,
    pub(super) size: i64,
    pub(super) batch: i64,
    pub(super) importer: Importer,
    pub(super) rebuild_indexes: bool,
    kind: Kind,
}

impl Open {
    /// Opens the write transaction (the journal head taken first) and loads, or takes from
    /// the writer's memory, what the kind's decisions read.
    pub(super) async fn begin(
        store: &Store,
        ctx: &Ctx,
        kind: Kind,
        len: u64,
        opts: &ImportOptions<'_>,
    ) -> Result<Open, ImportError> {
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
        let small = len <= SMALL_BYTES && !opts.resident;
        let kept = if kind == Kind::Payments { store.take_resident::<Kept>(size) } else { None };
        let mut importer = Importer::load(kind, &mut tx, salt_key, store.suite(), small, kept).await?;
        if let (Importer::Payments(state), true) = (&mut importer, opts.resident) {
            state.resident = true;
            // The groups holding stored payments, as kept, brought up to date.
            if let Some((at, mut keys)) = store.take_resident_stale::<crate::monitor::StoredKeys>()
                && keys.catch_up(&mut tx, at, size).await.map_err(|e| ImportError::Io(e.to_string()))?
            {
                state.evidence = Some(keys);
            }
        }
        // A large file of payments lands faster with the secondary indexes built once at the
        // end than kept row by row (about 3 s against 10 s for a million). DDL is
        // transactional in both backends: a refused file leaves them as they were.
        let rebuild_indexes = kind == Kind::Payments && len > BULK_BYTES;
        if rebuild_indexes {
            for (name, _) in PAYMENT_INDEXES {
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX {name}"))).execute(&mut *tx).await?;
            }
        }
        Ok(Open { tx: Some(tx), size, batch, importer, rebuild_indexes, kind })
    }

    /// Hands the transaction to a writer task that inserts rows as they come. On
    /// PostgreSQL, payments go through COPY into staging tables (see `Stager`).
    pub(super) async fn spawn_writer(&mut self, store: &Store) -> Result<Writer, ImportError> {
        let mut tx = self.tx.take().ok_or_else(|| ImportError::Io("the transaction is with the writer".into()))?;
        let (table, columns) = table_of(self.kind);
        let stager =
            if bw_store::STAGED_TABLES.contains(&table) { Stager::open(store, self.batch).await? } else { None };
        let (to_writer, mut from_reader) = tokio::sync::mpsc::channel::<(Rows, Rows, Rows)>(2);
        let handle = tokio::spawn(async move {
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
        Ok(Writer { to_writer, handle, table, columns })
    }
}

/// The writer task and the way to it.
pub(super) struct Writer {
    to_writer: ToWriter,
    handle: tokio::task::JoinHandle<Result<(Tx, Option<Stager>), StoreError>>,
    table: &'static str,
    columns: &'static [&'static str],
}

impl Writer {
    pub(super) fn sender(&self) -> ToWriter {
        self.to_writer.clone()
    }

    /// Waits for the writer to insert what it was sent (every sender dropped) and takes the
    /// transaction back.
    pub(super) async fn join(self) -> Result<Landing, ImportError> {
        drop(self.to_writer);
        let (tx, stager) = self.handle.await.map_err(|e| ImportError::Io(format!("writer task failed: {e}")))??;
        Ok(Landing { tx, stager, table: self.table, columns: self.columns })
    }
}

/// Journal entries appended as rows are accepted, with the rows they project to.
pub(super) struct Appender<'a> {
    pub(super) journal: JournalWriter,
    pub(super) by: crate::monitor::By<'a>,
    rows: Rows,
    personal: Rows,
    entry: Vec<u8>,
}

impl<'a> Appender<'a> {
    pub(super) fn new(journal: JournalWriter, by: crate::monitor::By<'a>) -> Appender<'a> {
        Appender { journal, by, rows: Vec::new(), personal: Vec::new(), entry: Vec::with_capacity(512) }
    }

    pub(super) fn next_index(&self) -> i64 {
        self.journal.next_index()
    }

    /// Appends the entry of `action` with `data`; its journal index.
    fn entry(&mut self, action: Action, data: &[u8]) -> Result<i64, ImportError> {
        self.entry.clear();
        let header =
            Header { action, actor: self.by.actor, at: self.by.at, reason: self.by.reason, batch: self.by.batch };
        encode_raw_into(&mut self.entry, &header, data).map_err(|e| ImportError::Io(e.to_string()))?;
        Ok(self.journal.append(self.entry.clone()))
    }

    /// Appends an accepted row's entry and keeps its projection and personal data.
    pub(super) fn append(&mut self, a: Accepted) -> Result<(), ImportError> {
        let idx = self.entry(a.action, &a.data)?;
        let mut projection = a.projection;
        projection.push(Value::Int(idx));
        self.rows.push(projection);
        for (field, salt, value) in a.personal {
            self.personal.push(vec![Value::Int(idx), text(field), Value::Blob(salt.to_vec()), Value::Text(value)]);
        }
        Ok(())
    }

    /// As `append`, handing a full buffer to the writer; false when the writer is gone.
    pub(super) async fn add(&mut self, a: Accepted, to_writer: &ToWriter) -> Result<bool, ImportError> {
        self.append(a)?;
        if self.journal.should_flush() && to_writer.send(self.take()).await.is_err() {
            return Ok(false);
        }
        Ok(true)
    }

    fn take(&mut self) -> (Rows, Rows, Rows) {
        (self.journal.take_pending(), std::mem::take(&mut self.rows), std::mem::take(&mut self.personal))
    }
}

/// The transaction back from the writer, with the staging tables it filled.
pub(super) struct Landing {
    pub(super) tx: Tx,
    stager: Option<Stager>,
    table: &'static str,
    columns: &'static [&'static str],
}

impl Landing {
    /// Rolls everything back: nothing of the file stays.
    pub(super) async fn abandon(mut self) -> Result<(), ImportError> {
        self.tx.rollback().await?;
        if let Some(s) = self.stager.as_mut() {
            s.clear().await?;
        }
        Ok(())
    }

    /// Lands the staged rows and the rest still buffered; rebuilds the payments' indexes.
    pub(super) async fn land(&mut self, appender: &mut Appender<'_>, rebuild_indexes: bool) -> Result<(), ImportError> {
        if let Some(s) = self.stager.as_ref() {
            s.land(&mut self.tx, "journal", JOURNAL_COLUMNS).await?;
            s.land(&mut self.tx, self.table, self.columns).await?;
        }
        let (entries, rows, personal) = appender.take();
        insert_rows(&mut self.tx, "journal", JOURNAL_COLUMNS, entries).await?;
        insert_rows(&mut self.tx, self.table, self.columns, rows).await?;
        insert_rows(&mut self.tx, "personal_data", PERSONAL_COLUMNS, personal).await?;
        if rebuild_indexes {
            for (name, columns) in PAYMENT_INDEXES {
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE INDEX {name} ON payments ({columns})")))
                    .execute(&mut *self.tx)
                    .await?;
            }
        }
        Ok(())
    }

    /// No fiscal year holds more than Money::YEAR_TOTAL_MAX of one kind: every sum the
    /// system forms stays within range (docs/IMPORT.md). Payments and revenues keep their
    /// running totals in `volumes`.
    pub(super) async fn check_volumes(&mut self, importer: &Importer, errors: &mut Errors) -> Result<(), ImportError> {
        let Some((volume, adds)) = importer.volume() else { return Ok(()) };
        for (year, add) in adds {
            let have: i64 = sqlx::query("SELECT gross FROM volumes WHERE year = $1 AND kind = $2")
                .bind(i64::from(*year))
                .bind(volume)
                .fetch_optional(&mut *self.tx)
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
                    .execute(&mut *self.tx)
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
        Ok(())
    }

    /// The tables of budgets, contracts and targets are small: their yearly totals are
    /// summed here (as floats: exact enough to compare with a ceiling, and no integer
    /// overflow).
    pub(super) async fn check_year_totals(&mut self, kind: Kind, errors: &mut Errors) -> Result<(), ImportError> {
        if ![Kind::Indicators, Kind::Contracts, Kind::RevenueTargets].contains(&kind) {
            return Ok(());
        }
        let t = self.table;
        let sql = format!(
            "SELECT year, SUM(CAST(ABS(amount) AS DOUBLE PRECISION)) FROM {t} GROUP BY year \
             HAVING SUM(CAST(ABS(amount) AS DOUBLE PRECISION)) > {}",
            Money::YEAR_TOTAL_MAX.fen()
        );
        for r in sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *self.tx).await? {
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
        Ok(())
    }

    /// Closes the batch (its entry and its row), writes the tiles and the signed checkpoint
    /// and commits; the journal's size after it.
    pub(super) async fn commit(
        mut self,
        mut appender: Appender<'_>,
        data: &bw_core::registers::ImportBatch,
    ) -> Result<i64, ImportError> {
        let (data_json, _) = json(data)?;
        appender.entry(Action::ImportBatch, &data_json)?;
        let by = appender.by;
        let at = by.at.to_string();
        let batch =
            by.batch.ok_or_else(|| StoreError::Journal("an import's entries without its batch number".into()))?;
        let header = bw_core::registers::BatchHeader { batch, actor: by.actor, at: &at, reason: by.reason };
        bw_store::changes::apply(&mut self.tx, &[bw_core::registers::batch_row(data, header)]).await?;
        let end = appender.journal.finish(&mut self.tx).await?;
        self.tx.commit().await?;
        if let Some(s) = self.stager.as_mut() {
            s.clear().await?;
        }
        Ok(end)
    }
}
