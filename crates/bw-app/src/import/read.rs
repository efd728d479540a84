//! Reading what is imported: a file (CSV/XLSX through `source`) or records in memory, their
//! digests, and the row loop — each row's shape and fields checked, parsed and decided, the
//! accepted ones appended to the journal and handed to the writer task.

use super::*;

/// What is imported: the rows, their header, the name refusals give the file and the name
/// and digest its batch records.
pub(super) struct Input {
    pub(super) file: String,
    pub(super) file_name: String,
    pub(super) sha: String,
    pub(super) source: Source,
    pub(super) header: Vec<String>,
}

/// The SHA-256 of a file, hex.
pub(super) fn file_sha256(path: &Path) -> Result<String, ImportError> {
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

/// The SHA-256 of records written as CSV under `header`: the digest the same records sent
/// as a file would have.
pub(super) fn rows_sha256(header: &[String], rows: &[Vec<String>]) -> Result<String, ImportError> {
    let io = |e: csv::Error| ImportError::Io(e.to_string());
    let mut w = csv::Writer::from_writer(Hashing(Sha256::new()));
    w.write_record(header).map_err(io)?;
    for r in rows {
        w.write_record(r).map_err(io)?;
    }
    let Hashing(h) = w.into_inner().map_err(|e| ImportError::Io(e.to_string()))?;
    Ok(hex(&h.finalize()))
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

/// A file that cannot be read at all, or a cell that cannot be read as a value.
pub(super) fn read_err(errors: &mut Errors, e: ReadError, header: Option<&[String]>) {
    let column = e.column.map(|c| header.and_then(|h| h.get(c)).cloned().unwrap_or_else(|| format!("#{}", c + 1)));
    let code = if column.is_some() { Code::InvalidValue } else { Code::UnreadableFile };
    errors.push(e.row, column, code, e.message);
}

/// The row loop's view of an import: what it checks against and where its results go.
pub(super) struct Reading<'a, 'o> {
    pub(super) kind: Kind,
    /// The file's name in refusals, and its header.
    pub(super) file: &'a str,
    pub(super) header: &'a [String],
    pub(super) map: &'a HeaderMap,
    pub(super) opts: &'a ImportOptions<'o>,
    pub(super) errors: &'a mut Errors,
    pub(super) report: &'a mut ImportReport,
}

impl Reading<'_, '_> {
    /// Reads, checks and decides every row. Parsing and checking run here while the writer
    /// task inserts the previous rows, so the two cores work at once. Once the file is
    /// known bad nothing more is written; checking goes on to report every refusal.
    pub(super) async fn rows(
        &mut self,
        store: &Store,
        source: &mut Source,
        importer: &mut Importer,
        appender: &mut write::Appender<'_>,
        to_writer: &write::ToWriter,
    ) -> Result<(), ImportError> {
        let columns_n = self.header.len();
        let mut cells: Vec<String> = Vec::with_capacity(columns_n);
        let total = source.len();
        let mut last_progress = 0u64;
        while let Some(next) = source.next_row(&mut cells) {
            let row = match next {
                Ok(r) => r,
                Err(e) => {
                    let stop = e.column.is_none();
                    read_err(self.errors, e, Some(self.header));
                    if stop {
                        break; // the reader cannot go on past a broken record
                    }
                    continue;
                }
            };
            self.report.rows += 1;
            if let Some(progress) = self.opts.progress
                && self.report.rows - last_progress >= 4096
            {
                last_progress = self.report.rows;
                progress(source.position(), total);
            }
            if !self.shape(source, row, &cells, columns_n) {
                continue;
            }
            let values: Vec<&str> = self
                .map
                .positions
                .iter()
                .map(|p| p.and_then(|i| cells.get(i)).map(String::as_str).unwrap_or(""))
                .collect();
            let record = match parse_row(self.kind, &values) {
                Ok(r) => r,
                Err(fes) => {
                    for fe in fes {
                        self.errors.push(row, Some(self.map.labels[fe.column].clone()), fe.code, fe.message);
                    }
                    continue;
                }
            };
            let outcome = importer.accept(store.pool(), self.file, row, record).await?;
            if let Some(a) = self.decided(row, outcome)
                && !appender.add(a, to_writer).await?
            {
                break; // the writer failed; its error is taken when it is joined
            }
        }
        if let Some(progress) = self.opts.progress {
            progress(total, total);
        }
        Ok(())
    }

    /// Whether the row has the header's field count. A CSV record is refused whenever its
    /// count differs, never shifted: an unquoted "1,000.00" would otherwise move every later
    /// value one column on. A sheet's row may run past the header with empty cells (the
    /// used range).
    fn shape(&mut self, source: &Source, row: u64, cells: &[String], columns_n: usize) -> bool {
        if cells.len() == columns_n {
            return true;
        }
        let sheet_blank = source.is_sheet() && cells[columns_n.min(cells.len())..].iter().all(|c| c.trim().is_empty());
        if sheet_blank && cells.len() >= columns_n {
            return true;
        }
        self.errors.push(
            row,
            None,
            Code::FieldCountMismatch,
            format!(
                "{} fields where the header has {columns_n} (an unquoted comma inside a value, such as the thousands separator of 1,000.00, or a truncated line?)",
                cells.len()
            ),
        );
        false
    }

    /// Records a row's decision; the row to write, if it is one and the file is still good.
    fn decided(&mut self, row: u64, outcome: Result<Outcome, Vec<Refusal>>) -> Option<Accepted> {
        match outcome {
            Err(refusals) => {
                for (col, code, msg) in refusals {
                    self.errors.push(row, Some(self.map.labels[col].clone()), code, msg);
                }
                None
            }
            Ok(Outcome::Unchanged) => {
                self.report.unchanged += 1;
                self.outcome(row, RowOutcome::Unchanged);
                None
            }
            Ok(Outcome::Deferred) => None,
            Ok(Outcome::Add(a)) => {
                self.report.added += 1;
                self.outcome(row, RowOutcome::Added);
                self.errors.list.is_empty().then_some(a)
            }
        }
    }

    fn outcome(&mut self, row: u64, outcome: RowOutcome) {
        if self.opts.outcomes {
            self.report.outcomes.push((row, outcome));
        }
    }

    /// The rows a kind decides only once the whole file is read (units: the tree is checked
    /// as a whole), appended after the others.
    pub(super) fn deferred(
        &mut self,
        importer: &mut Importer,
        appender: &mut write::Appender<'_>,
    ) -> Result<(), ImportError> {
        match importer.finish() {
            Ok(rows) => {
                for (row, a) in rows {
                    if let Some(a) = self.decided(row, Ok(Outcome::Add(a))) {
                        appender.append(a)?;
                    }
                }
            }
            Err(es) => {
                for (row, col, code, msg) in es {
                    self.errors.push(row, Some(self.map.labels[col].clone()), code, msg);
                }
            }
        }
        Ok(())
    }
}
