//! Reading template files: CSV (UTF-8, with or without BOM) and XLSX (first sheet), as rows
//! of text cells numbered as a spreadsheet shows them (the header is row 1).

use calamine::{Data, Reader, Xlsx};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// A problem reading the file itself (not a field's value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// Spreadsheet row, 0 when the file as a whole is at fault.
    pub row: u64,
    /// The file's column index, when one cell is at fault.
    pub column: Option<usize>,
    pub message: String,
}

pub enum Source {
    Csv { reader: csv::Reader<BufReader<File>>, record: csv::ByteRecord, row: u64, len: u64 },
    Sheet { rows: std::vec::IntoIter<Vec<String>>, row: u64, len: u64 },
}

fn looks_like_xlsx(path: &Path) -> std::io::Result<bool> {
    let mut magic = [0u8; 4];
    let mut f = File::open(path)?;
    let n = f.read(&mut magic)?;
    Ok(n == 4 && magic == *b"PK\x03\x04")
}

/// A hint when bytes are not UTF-8: GBK/GB18030 is what Chinese Excel saves by default.
fn utf8_message(bytes: &[u8]) -> String {
    let high = bytes.iter().filter(|b| **b >= 0x80).count();
    if high > 0 {
        "text is not valid UTF-8 (the file looks GBK/GB18030-encoded, as Excel saves \"CSV\" on Chinese Windows; save it as \"CSV UTF-8\")".to_string()
    } else {
        "text is not valid UTF-8".to_string()
    }
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        // Shortest round-trip form: 1234.5 stays "1234.5"; binary noise such as
        // 0.30000000000000004 is kept and then refused as more than two decimals.
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => match bw_core::Date::from_excel_serial(dt.as_f64()) {
            Some(date) => date.to_string(),
            None => dt.as_f64().to_string(),
        },
        Data::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_string(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// A spreadsheet column's letters: 0 → A, 25 → Z, 26 → AA.
fn column_letters(mut c: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

impl Source {
    /// A sheet of a workbook, not a CSV file.
    pub fn is_sheet(&self) -> bool {
        matches!(self, Source::Sheet { .. })
    }

    /// Rows already in memory (records sent over the API), numbered as a file's would be:
    /// the header is row 1.
    pub fn rows(rows: Vec<Vec<String>>) -> Source {
        let len = rows.len() as u64;
        Source::Sheet { rows: rows.into_iter(), row: 1, len }
    }

    /// Opens `path`; XLSX is recognised by its content, anything else is read as CSV.
    pub fn open(path: &Path) -> Result<(Source, Vec<String>), ReadError> {
        let whole = |message: String| ReadError { row: 0, column: None, message };
        let len = std::fs::metadata(path).map_err(|e| whole(e.to_string()))?.len();
        if looks_like_xlsx(path).map_err(|e| whole(e.to_string()))? {
            let mut book: Xlsx<_> =
                calamine::open_workbook(path).map_err(|e| whole(format!("not a readable XLSX workbook: {e}")))?;
            let range = book
                .worksheet_range_at(0)
                .ok_or_else(|| whole("the workbook has no sheet".into()))?
                .map_err(|e| whole(format!("cannot read the first sheet: {e}")))?;
            // A formula whose result the file does not hold (saved by a program that does not
            // calculate) would read as an empty cell: refused, naming the cell.
            if let Some(name) = book.sheet_names().first().cloned()
                && let Ok(formulas) = book.worksheet_formula(&name)
            {
                let (r0, c0) = formulas.start().unwrap_or((0, 0));
                for (r, c, f) in formulas.used_cells() {
                    let at = (r0 + r as u32, c0 + c as u32);
                    if !f.trim().is_empty()
                        && range
                            .get_value(at)
                            .is_none_or(|v| matches!(v, Data::Empty) || matches!(v, Data::String(t) if t.is_empty()))
                    {
                        return Err(ReadError {
                            row: u64::from(at.0) + 1,
                            column: None,
                            message: format!(
                                "cell {}{}: a formula (={f}) without a calculated value; open the file in a spreadsheet program and save it again, or paste the values",
                                column_letters(at.1),
                                at.0 + 1
                            ),
                        });
                    }
                }
            }
            // The range starts at the first used cell: rows above it are blank in the sheet.
            let first_row = range.start().map(|(r, _)| u64::from(r)).unwrap_or(0);
            let mut rows: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(cell_text).collect()).collect();
            if rows.is_empty() {
                return Err(ReadError {
                    row: 1,
                    column: None,
                    message: "empty file: the header row is missing".into(),
                });
            }
            let mut header = rows.remove(0);
            while header.last().is_some_and(|h| h.trim().is_empty()) {
                header.pop();
            }
            let n = rows.len() as u64;
            return Ok((Source::Sheet { rows: rows.into_iter(), row: first_row + 1, len: n }, header));
        }
        let file = File::open(path).map_err(|e| whole(e.to_string()))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 20)
            .from_reader(BufReader::with_capacity(1 << 20, file));
        let mut record = csv::ByteRecord::new();
        let got = reader.read_byte_record(&mut record).map_err(|e| ReadError {
            row: 1,
            column: None,
            message: format!("unreadable CSV: {e}"),
        })?;
        if !got {
            return Err(ReadError { row: 1, column: None, message: "empty file: the header row is missing".into() });
        }
        let mut header = Vec::with_capacity(record.len());
        for (i, field) in record.iter().enumerate() {
            let field = if i == 0 { field.strip_prefix(b"\xef\xbb\xbf").unwrap_or(field) } else { field };
            match std::str::from_utf8(field) {
                Ok(s) => header.push(s.to_string()),
                Err(_) => {
                    return Err(ReadError { row: 1, column: Some(i), message: utf8_message(field) });
                }
            }
        }
        Ok((Source::Csv { reader, record, row: 1, len }, header))
    }

    /// Size for progress: bytes for CSV, rows for a sheet.
    pub fn len(&self) -> u64 {
        match self {
            Source::Csv { len, .. } | Source::Sheet { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Progress so far, in the unit of `len`.
    pub fn position(&self) -> u64 {
        match self {
            Source::Csv { reader, .. } => reader.position().byte(),
            Source::Sheet { row, .. } => row.saturating_sub(1),
        }
    }

    /// Reads the next row into `cells` (reusing its strings). Returns the row number, or
    /// `None` at the end. Blank lines are skipped.
    pub fn next_row(&mut self, cells: &mut Vec<String>) -> Option<Result<u64, ReadError>> {
        loop {
            match self {
                Source::Csv { reader, record, row, .. } => {
                    *row += 1;
                    match reader.read_byte_record(record) {
                        Ok(false) => return None,
                        Err(e) => {
                            let message = match e.kind() {
                                csv::ErrorKind::Utf8 { .. } => "text is not valid UTF-8".to_string(),
                                _ => format!("unreadable CSV: {e} (truncated file or an unclosed quote?)"),
                            };
                            return Some(Err(ReadError { row: *row, column: None, message }));
                        }
                        Ok(true) => {}
                    }
                    if record.len() == 1 && record.get(0).is_some_and(|f| f.is_empty()) {
                        continue;
                    }
                    cells.truncate(record.len());
                    while cells.len() < record.len() {
                        cells.push(String::new());
                    }
                    for (i, (cell, field)) in cells.iter_mut().zip(record.iter()).enumerate() {
                        match std::str::from_utf8(field) {
                            Ok(s) => {
                                cell.clear();
                                cell.push_str(s);
                            }
                            Err(_) => {
                                return Some(Err(ReadError {
                                    row: *row,
                                    column: Some(i),
                                    message: utf8_message(field),
                                }));
                            }
                        }
                    }
                    return Some(Ok(*row));
                }
                Source::Sheet { rows, row, .. } => {
                    *row += 1;
                    let r = rows.next()?;
                    if r.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    *cells = r;
                    return Some(Ok(*row));
                }
            }
        }
    }
}
