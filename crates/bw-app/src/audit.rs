//! Audit analytics over files and the database (the tests themselves live in `bw-audit`).

use std::path::Path;

/// Reads a numeric CSV — a header row, then one point per row — for `audit dbscan`; an
/// error names the file, the row (1 = the header) and the column.
pub fn points_csv(path: &Path) -> Result<Vec<Vec<f64>>, String> {
    let file = path.display();
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_path(path).map_err(|e| format!("{file}: {e}"))?;
    let header: Vec<String> =
        reader.headers().map_err(|e| format!("{file}:1: {e}"))?.iter().map(|h| h.trim().to_string()).collect();
    let mut points = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let record = record.map_err(|e| format!("{file}:{row}: {e}"))?;
        if record.len() != header.len() {
            return Err(format!("{file}:{row}: {} values, the header names {}", record.len(), header.len()));
        }
        let mut point = Vec::with_capacity(record.len());
        for (c, cell) in record.iter().enumerate() {
            let v: f64 = cell
                .trim()
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| format!("{file}:{row}: column {}: not a number: {cell:?}", header[c]))?;
            point.push(v);
        }
        points.push(point);
    }
    Ok(points)
}

/// A payments file in the payments template (CSV, its English header names) read whole for
/// `audit file`, with the departments of its units from an optional units file (a unit's
/// department is its parent; without the file, the unit itself). The payments borrow their
/// texts from it.
pub struct PaymentsFile {
    name: String,
    bytes: Vec<u8>,
    departments: HashMap<String, String>,
}

/// The columns `audit file` reads, by position in the header.
struct Columns {
    need: [usize; 9],
    optional: [Option<usize>; 3],
    names: Vec<String>,
}

impl PaymentsFile {
    /// Reads the files; an error names the file, the row (1 = the header) and the column.
    pub fn read(path: &Path, units: Option<&Path>) -> Result<PaymentsFile, String> {
        let mut departments: HashMap<String, String> = HashMap::new();
        if let Some(units) = units {
            let file = units.display();
            let mut reader = csv::Reader::from_path(units).map_err(|e| format!("{file}: {e}"))?;
            let header = reader.headers().map_err(|e| format!("{file}:1: {e}"))?.clone();
            let col = |name: &str| {
                header.iter().position(|h| h.trim() == name).ok_or_else(|| format!("{file}:1: no column {name}"))
            };
            let (code, parent, kind) = (col("code")?, col("parent_code")?, col("kind")?);
            for (i, r) in reader.records().enumerate() {
                let r = r.map_err(|e| format!("{file}:{}: {e}", i + 2))?;
                if r.get(kind).map(str::trim) == Some("unit") {
                    let (c, d) = (r.get(code).unwrap_or("").trim(), r.get(parent).unwrap_or("").trim());
                    departments.insert(c.to_string(), d.to_string());
                }
            }
        }
        let name = path.display().to_string();
        let bytes = read_in_halves(path).map_err(|e| format!("{name}: {e}"))?;
        Ok(PaymentsFile { name, bytes, departments })
    }

    /// Every row as the tests read it; an error names the file, the row and the column.
    pub fn payments(&self) -> Result<Vec<bw_audit::Payment<'_>>, String> {
        let file = &self.name;
        let bytes = self.bytes.as_slice();
        let mut reader = csv::Reader::from_reader(bytes);
        let header = reader.headers().map_err(|e| format!("{file}:1: {e}"))?.clone();
        let body = reader.position().byte() as usize;
        let find = |name: &str| header.iter().position(|h| h.trim() == name);
        let need = |name: &str| find(name).ok_or_else(|| format!("{file}:1: no column {name}"));
        let cols = Columns {
            need: [
                need("voucher_no")?,
                need("unit_code")?,
                need("indicator_code")?,
                need("pay_date")?,
                need("economic_code")?,
                need("payee_name")?,
                need("payee_account")?,
                need("payee_type")?,
                need("amount")?,
            ],
            optional: [find("summary"), find("invoice_no"), find("contract_no")],
            names: header.iter().map(str::to_string).collect(),
        };
        // Two halves parsed on two threads, split at a line end outside quotes.
        let mid = split_point(bytes, body);
        let (first, second) = std::thread::scope(|s| {
            let second = s.spawn(|| self.parse(&bytes[mid..], &cols, lines(&bytes[mid..])));
            // The first half's vector has room for both, so the second is appended without a
            // reallocation.
            (self.parse(&bytes[body..mid], &cols, lines(&bytes[body..])), second.join())
        });
        // Rows are numbered from the header (row 1).
        let mut out = first.map_err(|(n, e)| format!("{file}:{}: {e}", n + 2))?;
        match second {
            Ok(Ok(rest)) => out.extend(rest),
            Ok(Err((n, e))) => return Err(format!("{file}:{}: {e}", out.len() + n + 2)),
            Err(panic) => std::panic::resume_unwind(panic),
        }
        Ok(out)
    }

    /// The records of `chunk` (whole records, no header); an error carries the number of
    /// records read before it.
    fn parse<'a>(
        &'a self,
        chunk: &'a [u8],
        cols: &Columns,
        capacity: usize,
    ) -> Result<Vec<bw_audit::Payment<'a>>, (usize, String)> {
        use bw_audit::Text;
        // Validated once: the fields below are slices of it, cut at ASCII commas and line
        // ends, so they are valid too.
        let text = std::str::from_utf8(chunk).map_err(|e| {
            let n = lines(&chunk[..e.valid_up_to()]) - 1;
            (n, "not UTF-8 text".to_string())
        })?;
        // Sized from the line count, so the records are not moved as the vector grows.
        let mut out: Vec<bw_audit::Payment<'a>> = Vec::with_capacity(capacity);
        let mut fields: Vec<Text<'a>> = Vec::with_capacity(cols.names.len());
        let mut rest = text;
        let mut record = csv::StringRecord::new();
        // From a record the splitter leaves to it on, the CSV reader reads the rest of the part.
        let mut slow: Option<csv::Reader<&[u8]>> = None;
        loop {
            let n = out.len();
            fields.clear();
            if let Some(reader) = slow.as_mut() {
                match reader.read_record(&mut record) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => return Err((n, e.to_string())),
                }
                fields.extend(record.iter().map(|f| Text::Owned(f.trim().to_string())));
            } else {
                if rest.is_empty() {
                    break;
                }
                match split_record(rest, &mut fields) {
                    Some(used) => {
                        rest = &rest[used..];
                        if fields.len() == 1 && fields[0].is_empty() {
                            continue; // a blank line
                        }
                    }
                    None => {
                        slow = Some(csv::ReaderBuilder::new().has_headers(false).from_reader(rest.as_bytes()));
                        continue;
                    }
                }
            }
            if fields.len() != cols.names.len() {
                return Err((n, format!("{} fields, the header names {}", fields.len(), cols.names.len())));
            }
            let bad = |c: usize, e: String| (n, format!("column {}: {e}", cols.names[c]));
            let [voucher, unit, indicator, date, economic, payee_name, payee_account, payee_type, amount] = cols.need;
            let when = Date::parse(&fields[date]).map_err(|e| bad(date, e.to_string()))?;
            let kind = PayeeType::parse(&fields[payee_type]).map_err(|e| bad(payee_type, e))?;
            let fen = Money::parse_yuan(&fields[amount]).map_err(|e| bad(amount, e.to_string()))?;
            // Voucher, invoice and contract numbers as `import` takes them (bw_core::ident).
            for c in [Some(voucher), cols.optional[1], cols.optional[2]].into_iter().flatten() {
                if !fields[c].is_empty() {
                    bw_core::ident::check(&fields[c]).map_err(|e| bad(c, e))?;
                }
            }
            if fields[voucher].is_empty() {
                return Err(bad(voucher, "required value is empty".into()));
            }
            let f = &mut fields;
            let unit = std::mem::take(&mut f[unit]);
            // Payments come grouped by unit: the previous row's department when it is the same.
            // The previous row's unit itself is kept, so that the tests compare a run of one
            // unit by address.
            let (unit, department) = match out.last() {
                Some(last) if last.unit == unit => (last.unit.clone(), last.department.clone()),
                _ => match self.departments.get(unit.as_ref()) {
                    Some(d) => (unit, Text::Borrowed(d.as_str())),
                    None => (unit.clone(), unit),
                },
            };
            let mut opt = |c: Option<usize>| c.map(|c| std::mem::take(&mut f[c])).unwrap_or_default();
            let (summary, invoice, contract) = (opt(cols.optional[0]), opt(cols.optional[1]), opt(cols.optional[2]));
            let payment = bw_audit::Payment {
                date: when,
                payee_type: kind,
                amount: fen,
                voucher: std::mem::take(&mut f[voucher]),
                department,
                unit,
                indicator: std::mem::take(&mut f[indicator]),
                project: None,
                economic: std::mem::take(&mut f[economic]),
                payee_name: std::mem::take(&mut f[payee_name]),
                payee_account: std::mem::take(&mut f[payee_account]),
                summary,
                invoice,
                contract,
            };
            out.push(payment);
        }
        Ok(out)
    }
}

/// Splits the record at the start of `rest` into `fields`, each trimmed, and gives the bytes
/// it takes with its line end. A field is a slice of the file, also when quoted (commas and
/// line breaks inside); only a quoted field with doubled quotes is copied. None leaves the
/// record to the CSV reader: a quote inside an unquoted field, text after a closing quote, a
/// quote never closed.
fn split_record<'a>(rest: &'a str, fields: &mut Vec<bw_audit::Text<'a>>) -> Option<usize> {
    use bw_audit::Text;
    let b = rest.as_bytes();
    let mut start = 0;
    loop {
        if b.get(start) == Some(&b'"') {
            let mut from = start + 1;
            let mut doubled = false;
            let close = loop {
                let q = from + memchr::memchr(b'"', &b[from..])?;
                if b.get(q + 1) == Some(&b'"') {
                    doubled = true;
                    from = q + 2;
                } else {
                    break q;
                }
            };
            let inner = &rest[start + 1..close];
            fields.push(if doubled {
                Text::Owned(inner.replace("\"\"", "\"").trim().to_string())
            } else {
                Text::Borrowed(inner.trim())
            });
            match (b.get(close + 1), b.get(close + 2)) {
                (Some(b','), _) => start = close + 2,
                (Some(b'\n'), _) => return Some(close + 2),
                (Some(b'\r'), Some(b'\n')) => return Some(close + 3),
                (None, _) => return Some(close + 1),
                _ => return None,
            }
        } else {
            match memchr::memchr3(b',', b'\n', b'"', &b[start..]).map(|k| (start + k, b[start + k])) {
                Some((at, b',')) => {
                    fields.push(Text::Borrowed(rest[start..at].trim()));
                    start = at + 1;
                }
                Some((at, b'\n')) => {
                    fields.push(Text::Borrowed(rest[start..at].trim()));
                    return Some(at + 1);
                }
                Some(_) => return None,
                None => {
                    fields.push(Text::Borrowed(rest[start..].trim()));
                    return Some(b.len());
                }
            }
        }
    }
}

/// The file's bytes, its two halves read at once on two threads: the fresh pages they land
/// in are what reading a large file costs on this kind of machine, and two threads fault them
/// in at once.
fn read_in_halves(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let file = std::fs::File::open(path)?;
    let len = usize::try_from(file.metadata()?.len()).map_err(std::io::Error::other)?;
    // Zeroed memory from the allocator is fresh from the system: untouched until read into.
    let mut bytes = vec![0u8; len];
    let (first, second) = bytes.split_at_mut(len / 2);
    let at = first.len() as u64;
    std::thread::scope(|s| {
        let other = s.spawn(|| file.read_exact_at(second, at));
        let mine = file.read_exact_at(first, 0);
        other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)).and(mine)
    })?;
    Ok(bytes)
}

/// Line ends in `bytes` (at least the records in them).
fn lines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count() + 1
}

/// The first line end at or after the middle of `bytes[from..]` that is not inside a quoted
/// field (quotes counted from `from`; a doubled quote counts twice), or the end.
fn split_point(bytes: &[u8], from: usize) -> usize {
    let mid = from + (bytes.len() - from) / 2;
    let mut inside = bytes[from..mid].iter().filter(|&&b| b == b'"').count() % 2 == 1;
    for (i, &b) in bytes[mid..].iter().enumerate() {
        match b {
            b'"' => inside = !inside,
            b'\n' if !inside => return mid + i + 1,
            _ => {}
        }
    }
    bytes.len()
}

/// Adds each unit's positive payments to its spending, the base of a finding's share.
fn add_spending(spending: &mut BTreeMap<String, Money>, payments: &[bw_audit::Payment<'_>]) {
    // Added up per run of one unit first: payments come grouped by day and unit, and a
    // lookup per payment (with a copy of the key) would cost more than the tests.
    let mut add = |unit: &str, fen: i64| match spending.get_mut(unit) {
        Some(e) => *e = Money::from_fen(e.fen().saturating_add(fen)),
        None => {
            spending.insert(unit.to_string(), Money::from_fen(fen));
        }
    };
    let mut run: Option<(&str, i64)> = None;
    for x in payments.iter().filter(|x| x.amount.is_positive()) {
        match &mut run {
            Some((unit, fen)) if bw_audit::normalize::same(unit, &x.unit) => *fen = fen.saturating_add(x.amount.fen()),
            _ => {
                if let Some((unit, fen)) = run.replace((&x.unit, x.amount.fen())) {
                    add(unit, fen);
                }
            }
        }
    }
    if let Some((unit, fen)) = run {
        add(unit, fen);
    }
}

/// Runs the tests named in `only` (all when empty) over payments read from a file: those of
/// the year of `as_of` up to that day (default: the latest payment's day), scored against
/// the spending in the file with the shipped weights.
pub fn run_file(
    mut payments: Vec<bw_audit::Payment<'_>>,
    as_of: Option<Date>,
    only: &[&str],
    policy: &bw_audit::text::Policy,
) -> AuditReport {
    let as_of = as_of.or_else(|| payments.iter().map(|x| x.date).max()).unwrap_or(Date::from_days(0));
    let year = as_of.year();
    let first = Date::from_ymd(year, 1, 1).unwrap_or(as_of);
    payments.retain(|x| first <= x.date && x.date <= as_of);
    payments.sort_unstable_by(|a, b| (a.date, &a.unit, &a.voucher).cmp(&(b.date, &b.unit, &b.voucher)));
    let data = Data { year, as_of: Some(as_of), payments, ..Data::default() };
    let p = Params::default();
    let mut findings = bw_audit::run_only(&data, &p, policy, only);
    let mut spending = BTreeMap::new();
    add_spending(&mut spending, &data.payments);
    let scores =
        bw_audit::score::score(&mut findings, &[], &spending, &bw_audit::score::Weights::default(), p.score_threshold);
    AuditReport { as_of, findings, scores }
}

use std::collections::{BTreeMap, HashMap};

use bw_audit::{Data, Finding, Params, score::UnitScore};
use bw_core::records::PayeeType;
use bw_core::{Date, Money};
use bw_store::Store;
use bw_store::sqlx::{self, Row};

use crate::Ctx;
use crate::journal::{ActionError, act_projected};
use crate::settings::Snapshot;
use bw_core::registers;

/// The tests' parameters and the score's weights for `year`, from the `audit.*` settings.
pub fn params(s: &Snapshot, year: i32) -> (Params, bw_audit::score::Weights) {
    let get = |k: &str| s.get_for_year(k, year);
    (Params::from_settings(&get), bw_audit::score::Weights::from_settings(&get))
}

/// A payment row as `load` reads it packed.
#[derive(serde::Deserialize)]
struct PackedPayment(
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
);

impl PackedPayment {
    fn into_payment(
        self,
        department: &HashMap<String, String>,
        project: &HashMap<String, String>,
    ) -> Result<bw_audit::Payment<'static>, ActionError> {
        let PackedPayment(
            voucher,
            unit,
            indicator,
            date,
            economic,
            payee_name,
            payee_account,
            kind,
            amount,
            summary,
            invoice,
            contract,
        ) = self;
        Ok(bw_audit::Payment {
            department: department.get(&unit).cloned().unwrap_or_else(|| unit.clone()).into(),
            project: project.get(&indicator).cloned().map(Into::into),
            date: Date::parse(&date).map_err(|e| ActionError::Invalid(format!("payment date {date:?}: {e}")))?,
            voucher: voucher.into(),
            unit: unit.into(),
            indicator: indicator.into(),
            economic: economic.into(),
            payee_name: payee_name.into(),
            payee_account: payee_account.into(),
            payee_type: PayeeType::parse(&kind).unwrap_or(PayeeType::Company),
            amount: Money::from_fen(amount),
            summary: summary.into(),
            invoice: invoice.unwrap_or_default().into(),
            contract: contract.unwrap_or_default().into(),
        })
    }
}

/// What the tests read for the year of `as_of`: its payments up to that day (held and
/// rejected ones are not paid and not read), its indicators and those of the two years
/// before, revenue by month of this year and the last, and the staff register.
pub async fn load(store: &Store, as_of: Date) -> Result<Data<'static>, ActionError> {
    let year = as_of.year();
    let pool = store.pool();
    // Departments and projects are joined here, not in SQL: the read stays one table scan.
    let mut department: HashMap<String, String> = HashMap::new();
    for r in sqlx::query("SELECT code, department_code FROM units").fetch_all(pool).await? {
        if let Some(d) = r.try_get::<Option<String>, _>(1)? {
            department.insert(r.try_get(0)?, d);
        }
    }
    let mut project: HashMap<String, String> = HashMap::new();
    for r in
        sqlx::query("SELECT indicator_code, project_code FROM indicators WHERE year = $1 AND project_code IS NOT NULL")
            .bind(i64::from(year))
            .fetch_all(pool)
            .await?
    {
        project.insert(r.try_get(0)?, r.try_get(1)?);
    }
    // The year in four quarters read at once, each on its own connection and task (the
    // database packs one while another is parsed).
    let packed = store.json_rows(&[
        "voucher_no",
        "unit_code",
        "indicator_code",
        "pay_date",
        "economic_code",
        "payee_name",
        "payee_account",
        "payee_type",
        "amount",
        "summary",
        "invoice_no",
        "contract_no",
    ]);
    let sql = format!(
        "SELECT {packed} FROM payments WHERE year = $1 AND pay_date >= $2 AND pay_date <= $3 AND status = 'paid'"
    );
    let maps = std::sync::Arc::new((department, project));
    let reads: Vec<_> = (0..4)
        .map(|q| {
            let from = format!("{year:04}-{:02}-01", q * 3 + 1);
            let to = format!("{year:04}-{:02}-31", q * 3 + 3).min(as_of.to_string());
            (from, to)
        })
        .filter(|(from, to)| from <= to)
        .map(|(from, to)| {
            let (pool, sql, maps) = (pool.clone(), sql.clone(), maps.clone());
            tokio::spawn(async move {
                // The statement is built above from fixed column names; values are bound.
                let text: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .bind(i64::from(year))
                    .bind(from)
                    .bind(to)
                    .fetch_one(&pool)
                    .await?;
                let rows: Vec<PackedPayment> = serde_json::from_str(text.as_deref().unwrap_or("[]"))
                    .map_err(|e| ActionError::Invalid(format!("reading payments: {e}")))?;
                drop(text);
                rows.into_iter().map(|r| r.into_payment(&maps.0, &maps.1)).collect::<Result<Vec<_>, _>>()
            })
        })
        .collect();
    let mut payments = Vec::new();
    for read in reads {
        let part = read.await.map_err(|e| ActionError::Invalid(format!("reading payments: {e}")))??;
        if payments.is_empty() {
            payments = part;
        } else {
            payments.extend(part);
        }
    }
    payments.sort_unstable_by(|a, b| (a.date, &a.unit, &a.voucher).cmp(&(b.date, &b.unit, &b.voucher)));
    let mut indicators = Vec::new();
    for r in sqlx::query(
        "SELECT year, indicator_code, unit_code, project_code, economic_code, amount, paid FROM indicators \
         WHERE year BETWEEN $1 AND $2 ORDER BY year, indicator_code",
    )
    .bind(i64::from(year - 2))
    .bind(i64::from(year))
    .fetch_all(pool)
    .await?
    {
        indicators.push(bw_audit::Indicator {
            year: r.try_get::<i64, _>(0)? as i32,
            code: r.try_get(1)?,
            unit: r.try_get(2)?,
            project: r.try_get::<Option<String>, _>(3)?.filter(|p| !p.is_empty()),
            economic: r.try_get(4)?,
            amount: Money::from_fen(r.try_get(5)?),
            paid: Money::from_fen(r.try_get(6)?),
        });
    }
    let mut revenues = Vec::new();
    for r in sqlx::query(
        "SELECT region_code, revenue_code, substr(date, 1, 7), CAST(SUM(amount) AS BIGINT) FROM revenues \
         WHERE year BETWEEN $1 AND $2 AND date <= $3 GROUP BY region_code, revenue_code, substr(date, 1, 7) \
         ORDER BY region_code, revenue_code, substr(date, 1, 7)",
    )
    .bind(i64::from(year - 1))
    .bind(i64::from(year))
    .bind(as_of.to_string())
    .fetch_all(pool)
    .await?
    {
        let month: String = r.try_get(2)?;
        let (y, m) = month.split_once('-').unwrap_or(("0", "0"));
        revenues.push(bw_audit::RevenueMonth {
            region: r.try_get(0)?,
            revenue_code: r.try_get(1)?,
            year: y.parse().unwrap_or(0),
            month: m.parse().unwrap_or(0),
            amount: Money::from_fen(r.try_get(3)?),
        });
    }
    let mut staff = Vec::new();
    for r in sqlx::query("SELECT unit_code, name, id_hash, bank_account, phone FROM staff ORDER BY unit_code, id_hash")
        .fetch_all(pool)
        .await?
    {
        staff.push(crate::personal::matchable(bw_audit::Staff {
            unit: r.try_get(0)?,
            name: r.try_get(1)?,
            id_hash: r.try_get(2)?,
            bank_account: r.try_get(3)?,
            phone: r.try_get(4)?,
        }));
    }
    Ok(Data { year, as_of: Some(as_of), payments, indicators, revenues, staff })
}

/// The default as-of day: `today`, unless no payment of today's year is stored; then
/// December 31 of the latest year that has payments.
pub async fn default_as_of(store: &Store, today: Date) -> Result<Date, ActionError> {
    let r = sqlx::query("SELECT MAX(year) FROM payments").fetch_one(store.pool()).await?;
    let latest: Option<i64> = r.try_get(0)?;
    Ok(match latest {
        Some(y) if y < i64::from(today.year()) => Date::from_ymd(y as i32, 12, 31).unwrap_or(today),
        _ => today,
    })
}

/// What one audit found: every finding (with its score impact) and the ranking of units.
#[derive(Debug, serde::Serialize)]
pub struct AuditReport {
    pub as_of: Date,
    pub findings: Vec<Finding>,
    pub scores: Vec<UnitScore>,
}

/// The same unit repeating the same cause within three years (屡审屡犯): each repeat counts in
/// the unit's risk score as an orange warning would, shown as `rule:repeat_cause`.
async fn repeat_marks(store: &Store) -> Result<Vec<bw_audit::score::Warning>, ActionError> {
    let cases = crate::reviews::cases(store).await?;
    Ok(crate::reviews::repeats(&cases)
        .into_iter()
        .map(|r| bw_audit::score::Warning {
            rule: REPEAT_CAUSE.0.into(),
            level: "orange".into(),
            unit_code: r.unit_code,
        })
        .collect())
}

/// The mark a repeated cause leaves on a unit's risk score.
pub const REPEAT_CAUSE: (&str, &str) = ("repeat_cause", "屡审屡犯");

/// Runs every test as of `as_of` and scores the units (nothing is written).
pub async fn run(store: &Store, as_of: Date, policy: &bw_audit::text::Policy) -> Result<AuditReport, ActionError> {
    let year = as_of.year();
    let snapshot = Snapshot::load(store).await?;
    let (p, w) = params(&snapshot, year);
    let data = load(store, as_of).await?;
    let mut units = Vec::new();
    for r in sqlx::query("SELECT code FROM units WHERE kind = 'unit'").fetch_all(store.pool()).await? {
        units.push(r.try_get(0)?);
    }
    let warnings: Vec<bw_audit::score::Warning> = crate::monitor::open_warnings(store, Some(year))
        .await?
        .into_iter()
        // The audit's own findings in the inbox are counted once, as findings.
        .filter(|x| bw_rules::Rule::parse(&x.rule).is_some())
        .filter_map(|x| Some(bw_audit::score::Warning { rule: x.rule, level: x.level, unit_code: x.unit_code? }))
        .chain(repeat_marks(store).await?)
        .collect();
    Ok(run_data(&data, &p, &w, policy, units, &warnings))
}

/// Runs every test over data already read (from the database, or a province's Parquet
/// files) and scores `units` (each budget unit, spending or not) with the warnings given.
pub fn run_data(
    data: &Data<'_>,
    p: &Params,
    w: &bw_audit::score::Weights,
    policy: &bw_audit::text::Policy,
    units: Vec<String>,
    warnings: &[bw_audit::score::Warning],
) -> AuditReport {
    let mut findings = bw_audit::run(data, p, policy);
    let mut spending: BTreeMap<String, Money> = units.into_iter().map(|u| (u, Money::from_fen(0))).collect();
    add_spending(&mut spending, &data.payments);
    let scores = bw_audit::score::score(&mut findings, warnings, &spending, w, p.score_threshold);
    AuditReport { as_of: data.as_of.unwrap_or(Date::from_days(0)), findings, scores }
}

/// The audit's findings as warnings of the inbox: yellow (self-check), orange where the
/// finding's money is a large share of its unit's spending (it took at least one and a half
/// times its test's weight from the score).
pub fn as_warnings(report: &AuditReport, weights: &bw_audit::score::Weights) -> Vec<bw_rules::Finding> {
    let year = report.as_of.year();
    report
        .findings
        .iter()
        .map(|f| {
            let s = |k: &str| f.evidence.get(k).and_then(|v| v.as_str()).map(str::to_string);
            let weight = weights.tests.get(f.test).copied().unwrap_or(0.0);
            let level = if weight > 0.0 && f.score_impact >= 1.5 * weight {
                bw_rules::Level::Orange
            } else {
                bw_rules::Level::Yellow
            };
            let mut evidence = f.evidence.clone();
            evidence.insert("subject".into(), serde_json::json!(f.subject()));
            evidence.insert("amount".into(), serde_json::json!(f.amount.to_string()));
            evidence.insert("score_impact".into(), serde_json::json!(f.score_impact));
            bw_rules::Finding {
                rule: f.test,
                level,
                unit_code: f.unit_code.clone(),
                indicator_code: s("indicator_code"),
                region_code: s("region_code"),
                revenue_code: s("revenue_code"),
                period: s("month").unwrap_or_else(|| year.to_string()),
                vouchers: f.vouchers.clone(),
                evidence,
            }
        })
        .collect()
}

/// Records the report's findings in the warnings inbox (journaled raise, update, withdrawal).
pub async fn record(
    store: &Store,
    ctx: &Ctx,
    report: &AuditReport,
) -> Result<crate::monitor::CheckReport, ActionError> {
    let snapshot = Snapshot::load(store).await?;
    let (_, weights) = params(&snapshot, report.as_of.year());
    let mut findings = as_warnings(report, &weights);
    findings.sort_by_key(bw_rules::Finding::key);
    findings.dedup_by_key(|f| f.key());
    let is_audit = |r: &str| bw_audit::TESTS.iter().any(|(t, _)| *t == r);
    crate::monitor::record_findings(store, ctx, report.as_of, &findings, &is_audit).await
}

/// Opens a special audit (journaled `audit_case.open`) for each unit scored below the
/// threshold that has none for the year yet; returns the units opened.
pub async fn open_cases(store: &Store, ctx: &Ctx, report: &AuditReport) -> Result<Vec<String>, ActionError> {
    let year = report.as_of.year();
    let calendar = crate::calendar::load(store).await?;
    let days = crate::settings::get_for_year(store, "audit.score.special_audit_workdays", year).await?;
    let days: u32 = days.parse().unwrap_or(20);
    let mut have = std::collections::HashSet::new();
    for r in sqlx::query("SELECT unit_code FROM audit_cases WHERE year = $1")
        .bind(i64::from(year))
        .fetch_all(store.pool())
        .await?
    {
        have.insert(r.try_get::<String, _>(0)?);
    }
    let mut opened = Vec::new();
    for s in report.scores.iter().filter(|s| s.special_audit && !have.contains(&s.unit_code)) {
        let data = registers::Entry::AuditCaseOpen(registers::AuditCaseOpen {
            year,
            unit_code: s.unit_code.clone(),
            score: format!("{:.1}", s.score),
            opened_on: report.as_of,
            due_on: calendar.add_workdays(report.as_of, days).value,
        });
        let reason = ctx.reason.clone().unwrap_or_else(|| format!("risk score {:.1} below the threshold", s.score));
        act_projected(store, ctx, data.action(), &reason, &data, |idx| Ok(registers::project(&data, idx, &ctx.actor)))
            .await?;
        opened.push(s.unit_code.clone());
    }
    Ok(opened)
}

/// The special audits opened for `year`: (id, unit, score, opened_on, due_on, state).
pub async fn cases(
    store: &Store,
    year: i32,
) -> Result<Vec<(i64, String, String, String, String, String)>, ActionError> {
    let mut out = Vec::new();
    for r in sqlx::query(
        "SELECT id, unit_code, score, opened_on, due_on, state FROM audit_cases WHERE year = $1 ORDER BY id",
    )
    .bind(i64::from(year))
    .fetch_all(store.pool())
    .await?
    {
        out.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?, r.try_get(5)?));
    }
    Ok(out)
}

/// Benford's three tests over the year's payments up to `as_of` (of one unit, if given).
pub async fn benford(store: &Store, as_of: Date, unit: Option<&str>) -> Result<bw_audit::benford::Report, ActionError> {
    let year = as_of.year();
    let snapshot = Snapshot::load(store).await?;
    let (p, _) = params(&snapshot, year);
    let filter = if unit.is_some() { " AND unit_code = $3" } else { "" };
    let sql = format!(
        "SELECT amount FROM payments WHERE year = $1 AND pay_date <= $2 AND status = 'paid' AND amount > 0{filter}"
    );
    // The filter is one of two fixed strings; values are bound.
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(i64::from(year)).bind(as_of.to_string());
    if let Some(u) = unit {
        q = q.bind(u.to_string());
    }
    let mut counts = bw_audit::benford::Counts::default();
    for r in q.fetch_all(store.pool()).await? {
        counts.add(r.try_get(0)?, p.benford_min_amount.fen());
    }
    Ok(bw_audit::benford::report(&counts))
}

/// Everything detected as of `as_of` — the audit's findings and the rules' findings — as
/// items to score against a ground truth.
pub async fn detections(
    store: &Store,
    as_of: Date,
    report: &AuditReport,
) -> Result<Vec<bw_audit::evaluate::Item>, ActionError> {
    let mut out: Vec<bw_audit::evaluate::Item> = report
        .findings
        .iter()
        .map(|f| {
            let s = |k: &str| f.evidence.get(k).and_then(|v| v.as_str()).map(str::to_string);
            bw_audit::evaluate::Item {
                kind: f.test.to_string(),
                unit_code: f.unit_code.clone(),
                indicator_code: s("indicator_code"),
                project_code: s("project_code"),
                region_code: s("region_code"),
                revenue_code: s("revenue_code"),
                vouchers: f.vouchers.clone(),
            }
        })
        .collect();
    for f in crate::monitor::evaluate_as_of(store, as_of).await? {
        out.push(bw_audit::evaluate::Item {
            kind: f.rule.to_string(),
            unit_code: f.unit_code,
            indicator_code: f.indicator_code,
            project_code: None,
            region_code: f.region_code,
            revenue_code: f.revenue_code,
            vouchers: f.vouchers,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{PaymentsFile, split_point};

    const HEADER: &str = "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary,invoice_no,contract_no";

    /// The payments of a file of `body` under the template's header, with one unit (U1) of
    /// department D1: voucher, department, payee, summary, fen, invoice, contract and date of
    /// each, joined by `|`.
    fn read(body: &[u8]) -> Result<Vec<String>, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let (file, units) = (dir.path().join("payments.csv"), dir.path().join("units.csv"));
        let mut bytes = format!("{HEADER}\r\n").into_bytes();
        bytes.extend_from_slice(body);
        std::fs::write(&file, bytes).map_err(|e| e.to_string())?;
        std::fs::write(&units, "code,parent_code,kind,name\nD1,,department,部门\nU1,D1,unit,单位\n")
            .map_err(|e| e.to_string())?;
        let read = PaymentsFile::read(&file, Some(&units))?;
        let name = file.display().to_string();
        let payments = read.payments().map_err(|e| e.replace(&name, "FILE"))?;
        Ok(payments
            .iter()
            .map(|p| {
                let fen = p.amount.fen().to_string();
                let date = p.date.to_string();
                [&*p.voucher, &p.department, &p.payee_name, &p.summary, &fen, &p.invoice, &p.contract, &date].join("|")
            })
            .collect())
    }

    #[test]
    fn a_payments_file_is_read_with_quoted_fields_crlf_and_blank_lines() {
        // V1 and V2 have quoted fields, V3 is quoted throughout; V4 and V5 go to the CSV reader.
        let body = "V1,2025-03-01,U1,I1,30201, 甲公司 ,A1,company,100.50,\"办公用品, 纸张\",INV1,\r\n\
                    \r\n\
                    V2,2025-03-02,U1,I1,30201,乙公司,A2,company,200,\"两行\n摘要 \"\"引号\"\"\",INV2,C1\r\n\
                    \"V3\",\"2025-03-03\",\"U2\",\"I2\",\"30201\",\" 张三\",\"A3\",\"individual\",\"3.00\",\"\",\"\",\"\"\r\n\
                    V4,2025-03-04,U1,I1,30201,丙\"公司,A4,company,4,,,\n\
                    V5,2025-03-05,U1,I1,30201,丁公司,A5,company,5,\"a\"b,,";
        assert_eq!(
            read(body.as_bytes()),
            Ok(vec![
                "V1|D1|甲公司|办公用品, 纸张|10050|INV1||2025-03-01".to_string(),
                "V2|D1|乙公司|两行\n摘要 \"引号\"|20000|INV2|C1|2025-03-02".to_string(),
                // A unit the units file does not list is its own department.
                "V3|U2|张三||300|||2025-03-03".to_string(),
                // A quote inside an unquoted field, text after a closing quote: as the CSV
                // reader reads them.
                "V4|D1|丙\"公司||400|||2025-03-04".to_string(),
                "V5|D1|丁公司|ab|500|||2025-03-05".to_string(),
            ])
        );
    }

    #[test]
    fn a_bad_row_is_named_with_its_column() {
        let good = "V1,2025-03-01,U1,I1,30201,甲公司,A1,company,1.00,,,\n";
        // Row 3: the header is row 1.
        let short = format!("{good}V2,2025-03-01,U1\n");
        assert_eq!(read(short.as_bytes()), Err("FILE:3: 3 fields, the header names 12".into()));
        let amount = format!("{good}V2,2025-03-01,U1,I1,30201,甲公司,A1,company,1.005,,,\n");
        let err = read(amount.as_bytes()).err().unwrap_or_default();
        assert!(err.starts_with("FILE:3: column amount: "), "{err}");
        let date = format!("{good}{good}V3,2025-02-30,U1,I1,30201,甲公司,A1,company,1.00,,,\n");
        let err = read(date.as_bytes()).err().unwrap_or_default();
        assert!(err.starts_with("FILE:4: column pay_date: "), "{err}");
        let mut bytes = format!("{good}V2,2025-03-01,U1,I1,30201,").into_bytes();
        bytes.extend_from_slice(b"\xff\xfe,A1,company,1.00,,,\n");
        assert_eq!(read(&bytes), Err("FILE:3: not UTF-8 text".into()));
        // Numbers as exported are read; a bidirectional override is refused as import refuses it.
        let spaced = format!("{good}JAN 11 10,2025-03-01,U1,I1,30201,甲公司,A1,company,1.00,,2154742696 4/24,\n");
        assert!(read(spaced.as_bytes()).is_ok_and(|v| v.len() == 2), "{:?}", read(spaced.as_bytes()));
        let rlo = format!("{good}V2,2025-03-01,U1,I1,30201,甲公司,A1,company,1.00,,FP\u{202E}1,\n");
        assert_eq!(
            read(rlo.as_bytes()),
            Err("FILE:3: column invoice_no: must not contain invisible formatting characters such as bidirectional overrides (U+202E)".into())
        );
    }

    #[test]
    fn a_file_is_split_at_a_line_end_outside_quotes() {
        // The middle falls inside a quoted field holding line breaks and doubled quotes.
        let text = b"h\n\"a\n\"\"x\"\"\nb\n\nc\",1\n\"d\",2\n";
        let at = split_point(text, 2);
        assert_eq!(&text[at..], b"\"d\",2\n");
        assert_eq!(split_point(b"h\n", 2), 2);
        // Every split of a file of quoted multi-line records lands on a record's start.
        let rec = "\"x\ny,\"\"z\"\"\",1\n";
        let body = format!("h\n{}", rec.repeat(50));
        let at = split_point(body.as_bytes(), 2);
        assert_eq!((at - 2) % rec.len(), 0, "{at}");
        assert!(at > 2 && at < body.len());
    }
}
