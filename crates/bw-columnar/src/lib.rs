//! A province's year as Parquet files, and the national analytics over the files of many
//! provinces on DataFusion (docs/SCALE.md).
//!
//! `export_year` writes `payments`, `indicators`, `indicator_months`, `units` and
//! `warnings` of one year as one Parquet file each, with the province's code in every row,
//! and a `manifest.json` with the province's signed checkpoint at the time of export. The
//! classified projects' indicators and payments (涉密) are left out, as they are from the
//! national node's views.
//!
//! `National` registers the files of any number of provinces as one table per kind (their
//! union) in a DataFusion session; the national figures are SQL over it, and the payments
//! of each province come back as the audit tests' rows.

use bw_store::Store;
use bw_store::sqlx::{self, Row};
use datafusion::arrow::array::{
    Array, ArrayRef, BooleanBuilder, Date32Builder, Int32Builder, Int64Array, Int64Builder, RecordBatch, StringArray,
    StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use futures_util::TryStreamExt as _;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum ColumnarError {
    #[error("{0}")]
    Store(#[from] bw_store::StoreError),
    #[error("{0}")]
    Sql(#[from] sqlx::Error),
    #[error("{path}: {detail}")]
    File { path: String, detail: String },
    #[error("{0}")]
    Engine(#[from] datafusion::error::DataFusionError),
    #[error("{0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    #[error("{0}")]
    Parquet(#[from] datafusion::parquet::errors::ParquetError),
    #[error("{0}")]
    Invalid(String),
}

fn file_error(path: &Path) -> impl FnOnce(std::io::Error) -> ColumnarError + '_ {
    move |e| ColumnarError::File { path: path.display().to_string(), detail: e.to_string() }
}

/// The type of a column as written.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Ty {
    Text,
    /// Text that may be absent (NULL in the database).
    MaybeText,
    Int,
    Int32,
    Bool,
    /// An ISO date (TEXT in the database), written as a Parquet DATE.
    Date,
    /// An invoice number, written as the key invoices are compared by (`bw_core::ident::key`).
    InvoiceKey,
}

/// A kind written: its file, its columns (the province's code first, added here) and the
/// query whose columns, in order, are the rest (`$1` the year).
struct Kind {
    name: &'static str,
    columns: &'static [(&'static str, Ty)],
    sql: &'static str,
}

const KINDS: &[Kind] = &[
    Kind {
        name: "payments",
        columns: &[
            ("unit_code", Ty::Text),
            ("department_code", Ty::Text),
            ("voucher_no", Ty::Text),
            ("pay_date", Ty::Date),
            ("year", Ty::Int32),
            ("indicator_code", Ty::Text),
            ("project_code", Ty::MaybeText),
            ("economic_code", Ty::Text),
            ("payee_name", Ty::Text),
            ("payee_account", Ty::Text),
            ("payee_type", Ty::Text),
            ("amount", Ty::Int),
            ("summary", Ty::Text),
            ("invoice_no", Ty::Text),
            ("invoice_key", Ty::InvoiceKey),
            ("contract_no", Ty::Text),
            ("reverses", Ty::Text),
            ("status", Ty::Text),
        ],
        sql: "SELECT p.unit_code, COALESCE(u.department_code, p.unit_code), p.voucher_no, p.pay_date, p.year, \
              p.indicator_code, i.project_code, p.economic_code, p.payee_name, p.payee_account, p.payee_type, \
              p.amount, p.summary, COALESCE(p.invoice_no, ''), COALESCE(p.invoice_no, ''), COALESCE(p.contract_no, ''), COALESCE(p.reverses, ''), p.status \
              FROM payments p LEFT JOIN units u ON u.code = p.unit_code \
              LEFT JOIN indicators i ON i.year = p.year AND i.indicator_code = p.indicator_code \
              WHERE p.year = $1 AND (i.project_code IS NULL OR NOT EXISTS \
              (SELECT 1 FROM classified_projects c WHERE c.project_code = i.project_code)) \
              ORDER BY p.pay_date, p.unit_code, p.voucher_no",
    },
    Kind {
        name: "indicators",
        columns: &[
            ("year", Ty::Int32),
            ("indicator_code", Ty::Text),
            ("unit_code", Ty::Text),
            ("project_code", Ty::MaybeText),
            ("functional_code", Ty::Text),
            ("economic_code", Ty::Text),
            ("fund_source", Ty::Text),
            ("special", Ty::Bool),
            ("amount", Ty::Int),
            ("paid", Ty::Int),
            ("control", Ty::Text),
        ],
        sql: "SELECT i.year, i.indicator_code, i.unit_code, i.project_code, i.functional_code, i.economic_code, \
              i.fund_source, i.special, i.amount, i.paid, i.control FROM indicators i WHERE i.year >= $1 - 2 AND i.year <= $1 AND \
              (i.project_code IS NULL OR NOT EXISTS (SELECT 1 FROM classified_projects c WHERE c.project_code = i.project_code)) \
              ORDER BY i.year, i.indicator_code",
    },
    Kind {
        name: "indicator_months",
        columns: &[("year", Ty::Int32), ("indicator_code", Ty::Text), ("month", Ty::Text), ("paid", Ty::Int)],
        sql: "SELECT m.year, m.indicator_code, m.month, m.paid FROM indicator_months m \
              JOIN indicators i ON i.year = m.year AND i.indicator_code = m.indicator_code \
              WHERE m.year = $1 AND (i.project_code IS NULL OR NOT EXISTS \
              (SELECT 1 FROM classified_projects c WHERE c.project_code = i.project_code)) \
              ORDER BY m.indicator_code, m.month",
    },
    Kind {
        name: "units",
        columns: &[
            ("code", Ty::Text),
            ("name", Ty::Text),
            ("parent_code", Ty::MaybeText),
            ("kind", Ty::Text),
            ("level", Ty::MaybeText),
            ("region_code", Ty::MaybeText),
            ("department_code", Ty::MaybeText),
        ],
        // The organisation is not of a year: `$1` is compared with itself to keep one shape.
        sql: "SELECT code, name, parent_code, kind, level, region_code, department_code FROM units \
              WHERE $1 = $1 ORDER BY code",
    },
    Kind {
        name: "revenues",
        columns: &[
            ("year", Ty::Int32),
            ("date", Ty::Date),
            ("region_code", Ty::Text),
            ("revenue_code", Ty::Text),
            ("amount", Ty::Int),
        ],
        // The year and the one before: the audit compares a month with the same month a year
        // earlier.
        sql: "SELECT year, date, region_code, revenue_code, amount FROM revenues \
              WHERE year >= $1 - 1 AND year <= $1 ORDER BY date, record_no",
    },
    Kind {
        name: "staff",
        columns: &[
            ("unit_code", Ty::Text),
            ("name", Ty::Text),
            ("id_hash", Ty::Text),
            ("bank_account", Ty::Text),
            ("phone", Ty::Text),
        ],
        // The register is not of a year either; the audit matches payees against it.
        sql: "SELECT unit_code, name, id_hash, bank_account, phone FROM staff WHERE $1 = $1 ORDER BY unit_code, id_hash",
    },
    Kind {
        name: "warnings",
        columns: &[
            ("id", Ty::Int),
            ("year", Ty::Int32),
            ("rule", Ty::Text),
            ("level", Ty::Text),
            ("unit_code", Ty::MaybeText),
            ("indicator_code", Ty::MaybeText),
            ("region_code", Ty::MaybeText),
            ("period", Ty::Text),
            ("raised_on", Ty::Text),
            ("state", Ty::Text),
        ],
        sql: "SELECT id, year, rule, level, unit_code, indicator_code, region_code, period, raised_on, state \
              FROM warnings WHERE year = $1 ORDER BY id",
    },
];

/// The rows of the columns written per row group: enough for the reader's column chunks
/// to be long, few enough to keep a province's year out of memory all at once.
const ROW_GROUP: usize = 131_072;

fn schema(kind: &Kind) -> SchemaRef {
    let mut fields = vec![Field::new("province", DataType::Utf8, false)];
    for (name, ty) in kind.columns {
        fields.push(match ty {
            Ty::Text | Ty::InvoiceKey => Field::new(*name, DataType::Utf8, false),
            Ty::MaybeText => Field::new(*name, DataType::Utf8, true),
            Ty::Int => Field::new(*name, DataType::Int64, false),
            Ty::Int32 => Field::new(*name, DataType::Int32, false),
            Ty::Bool => Field::new(*name, DataType::Boolean, false),
            Ty::Date => Field::new(*name, DataType::Date32, false),
        });
    }
    Arc::new(Schema::new(fields))
}

enum Builder {
    Text(StringBuilder),
    Int(Int64Builder),
    Int32(Int32Builder),
    Bool(BooleanBuilder),
    Date(Date32Builder),
}

impl Builder {
    fn new(ty: Ty) -> Builder {
        match ty {
            Ty::Text | Ty::MaybeText | Ty::InvoiceKey => Builder::Text(StringBuilder::new()),
            Ty::Int => Builder::Int(Int64Builder::new()),
            Ty::Int32 => Builder::Int32(Int32Builder::new()),
            Ty::Bool => Builder::Bool(BooleanBuilder::new()),
            Ty::Date => Builder::Date(Date32Builder::new()),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Text(b) => Arc::new(b.finish()),
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::Int32(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
        }
    }
}

/// Appends column `i` of a row to its builder, read as the column's type.
fn append(b: &mut Builder, ty: Ty, row: &sqlx::any::AnyRow, i: usize, kind: &str) -> Result<(), ColumnarError> {
    match (b, ty) {
        (Builder::Text(b), Ty::MaybeText) => b.append_option(row.try_get::<Option<String>, _>(i)?),
        (Builder::Text(b), Ty::InvoiceKey) => b.append_value(bw_core::ident::key(&row.try_get::<String, _>(i)?)),
        (Builder::Text(b), _) => b.append_value(row.try_get::<String, _>(i)?),
        (Builder::Int(b), _) => b.append_value(row.try_get::<i64, _>(i)?),
        (Builder::Int32(b), _) => {
            let v = row.try_get::<i64, _>(i)?;
            b.append_value(i32::try_from(v).map_err(|_| ColumnarError::Invalid(format!("{kind}: {v} is no year")))?)
        }
        (Builder::Bool(b), _) => b.append_value(row.try_get::<i64, _>(i)? != 0),
        (Builder::Date(b), _) => {
            let text: String = row.try_get(i)?;
            let d =
                bw_core::Date::parse(&text).map_err(|e| ColumnarError::Invalid(format!("{kind}: {text:?}: {e}")))?;
            b.append_value(d.days())
        }
    }
    Ok(())
}

/// What `export_year` wrote.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub province: String,
    pub name: String,
    pub year: i32,
    /// Rows written, by kind.
    pub rows: BTreeMap<String, u64>,
    /// The province's latest signed checkpoint when the files were written (a C2SP signed
    /// note): the files are the year as of that journal size.
    pub checkpoint: Option<String>,
    /// The audit's settings the province stored (`audit.*`, a year's own values as
    /// `KEY@YEAR`): the national run tests the province by its own thresholds.
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
}

/// The province's code and name: its one top region's first two digits and name.
async fn province_of(store: &Store) -> Result<(String, String), ColumnarError> {
    let tops = sqlx::query("SELECT code, name FROM units WHERE kind = 'region' AND parent_code IS NULL ORDER BY code")
        .fetch_all(store.pool())
        .await?;
    match tops.as_slice() {
        [one] => {
            let code: String = one.try_get(0)?;
            let province: String = code.chars().take(2).collect();
            if province.len() != 2 || !province.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ColumnarError::Invalid(format!("the top region {code} is not a GB/T 2260 code")));
            }
            Ok((province, one.try_get(1)?))
        }
        [] => Err(ColumnarError::Invalid("no regions: import the organisation first".into())),
        _ => Err(ColumnarError::Invalid("several top regions: a province has one".into())),
    }
}

/// The latest year with indicators, if any.
pub async fn latest_year(store: &Store) -> Result<Option<i32>, ColumnarError> {
    let y: Option<i64> =
        sqlx::query("SELECT CAST(MAX(year) AS BIGINT) FROM indicators").fetch_one(store.pool()).await?.try_get(0)?;
    Ok(y.and_then(|y| i32::try_from(y).ok()))
}

/// Writes the year of the store's province into `dir` (created; the files are replaced).
pub async fn export_year(store: &Store, year: i32, dir: &Path) -> Result<Manifest, ColumnarError> {
    std::fs::create_dir_all(dir).map_err(file_error(dir))?;
    let (province, name) = province_of(store).await?;
    // The checkpoint first: what is written is at least the year as of it.
    let checkpoint: Option<String> = match sqlx::query("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1")
        .fetch_optional(store.pool())
        .await?
    {
        Some(r) => Some(r.try_get(0)?),
        None => None,
    };
    let mut rows = BTreeMap::new();
    for kind in KINDS {
        let n = write_kind(store, kind, year, &province, &dir.join(format!("{}.parquet", kind.name))).await?;
        rows.insert(kind.name.to_string(), n);
    }
    let mut settings = BTreeMap::new();
    for r in sqlx::query("SELECT key, value FROM settings WHERE key LIKE 'audit.%'").fetch_all(store.pool()).await? {
        settings.insert(r.try_get(0)?, r.try_get(1)?);
    }
    let manifest = Manifest { province, name, year, rows, checkpoint, settings };
    let path = dir.join("manifest.json");
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| ColumnarError::Invalid(e.to_string()))?;
    std::fs::write(&path, text).map_err(file_error(&path))?;
    Ok(manifest)
}

async fn write_kind(store: &Store, kind: &Kind, year: i32, province: &str, path: &Path) -> Result<u64, ColumnarError> {
    let schema = schema(kind);
    let tmp = path.with_extension("parquet.tmp");
    let file = private_file(&tmp)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        .set_max_row_group_size(ROW_GROUP)
        .build();
    let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(props))?;
    let mut builders: Vec<Builder> = kind.columns.iter().map(|(_, ty)| Builder::new(*ty)).collect();
    let mut pending = 0usize;
    let mut total = 0u64;
    let flush = |builders: &mut Vec<Builder>, n: usize, writer: &mut ArrowWriter<std::fs::File>| {
        let mut columns: Vec<ArrayRef> = vec![Arc::new(StringArray::from(vec![province; n]))];
        columns.extend(builders.iter_mut().map(Builder::finish));
        let batch = RecordBatch::try_new(schema.clone(), columns)?;
        writer.write(&batch)?;
        Ok::<_, ColumnarError>(())
    };
    let mut stream = sqlx::query(sqlx::AssertSqlSafe(kind.sql)).bind(i64::from(year)).fetch(store.pool());
    while let Some(row) = stream.try_next().await? {
        for (i, ((_, ty), b)) in kind.columns.iter().zip(builders.iter_mut()).enumerate() {
            append(b, *ty, &row, i, kind.name)?;
        }
        pending += 1;
        total += 1;
        if pending == ROW_GROUP {
            flush(&mut builders, pending, &mut writer)?;
            pending = 0;
        }
    }
    drop(stream);
    if pending > 0 || total == 0 {
        flush(&mut builders, pending, &mut writer)?;
    }
    writer.close()?;
    std::fs::rename(&tmp, path).map_err(file_error(path))?;
    Ok(total)
}

/// The files hold payees' names and accounts: readable by their owner alone.
fn private_file(path: &Path) -> Result<std::fs::File, ColumnarError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path).map_err(file_error(path))
}

/// The cross-province test: the same invoice (by the key invoices are compared by) paid
/// in more than one province.
pub const CROSS_PROVINCE_INVOICE: &str = "duplicate_invoice_across_provinces";

/// The files of several provinces, each kind registered as the union of their files.
pub struct National {
    ctx: SessionContext,
    pub manifests: Vec<Manifest>,
}

impl National {
    /// Opens the folders written by `export_year` (one per province, no province twice).
    pub async fn open(dirs: &[PathBuf]) -> Result<National, ColumnarError> {
        let mut manifests: Vec<Manifest> = Vec::new();
        for dir in dirs {
            let path = dir.join("manifest.json");
            let text = std::fs::read_to_string(&path).map_err(file_error(&path))?;
            let m: Manifest = serde_json::from_str(&text)
                .map_err(|e| ColumnarError::File { path: path.display().to_string(), detail: e.to_string() })?;
            if let Some(other) = manifests.iter().find(|o| o.province == m.province) {
                return Err(ColumnarError::Invalid(format!(
                    "{}: province {} ({}) is given twice",
                    dir.display(),
                    m.province,
                    other.name
                )));
            }
            // A folder written before a kind was exported lacks its file: named, not a
            // schema error from the engine.
            if let Some(kind) = KINDS.iter().find(|k| !dir.join(format!("{}.parquet", k.name)).exists()) {
                return Err(ColumnarError::File {
                    path: dir.join(format!("{}.parquet", kind.name)).display().to_string(),
                    detail: "missing (a folder written by an earlier version: export the province again)".into(),
                });
            }
            manifests.push(m);
        }
        let ctx = SessionContext::new();
        for kind in KINDS {
            let files: Vec<String> =
                dirs.iter().map(|d| d.join(format!("{}.parquet", kind.name)).display().to_string()).collect();
            let df = ctx.read_parquet(files, ParquetReadOptions::default()).await?;
            ctx.register_table(kind.name, df.into_view())?;
        }
        Ok(National { ctx, manifests })
    }

    /// Runs a query and returns its batches.
    pub async fn sql(&self, query: &str) -> Result<Vec<RecordBatch>, ColumnarError> {
        Ok(self.ctx.sql(query).await?.collect().await?)
    }

    /// The paid payments of one province dated `from` to `to`, as the audit tests read them,
    /// in date, unit and voucher order; the dates are filtered by the engine, which skips
    /// the row groups outside them.
    pub async fn payments(
        &self,
        province: &str,
        from: bw_core::Date,
        to: bw_core::Date,
    ) -> Result<Vec<bw_audit::Payment<'static>>, ColumnarError> {
        let q = format!(
            "SELECT voucher_no, unit_code, department_code, indicator_code, project_code, \
             CAST(pay_date AS INT) AS day, economic_code, payee_name, payee_account, payee_type, amount, summary, \
             invoice_no, contract_no FROM payments WHERE province = '{}' AND status = 'paid' \
             AND pay_date >= CAST('{from}' AS DATE) AND pay_date <= CAST('{to}' AS DATE) \
             ORDER BY pay_date, unit_code, voucher_no",
            quoted(province)
        );
        let mut out = Vec::new();
        for b in self.sql(&q).await? {
            let text = |i: usize| strings(b.column(i));
            let (voucher, unit, department, indicator, project) = (text(0)?, text(1)?, text(2)?, text(3)?, text(4)?);
            let day = ints(b.column(5))?;
            let (economic, payee, account, kind) = (text(6)?, text(7)?, text(8)?, text(9)?);
            let amount = ints(b.column(10))?;
            let (summary, invoice, contract) = (text(11)?, text(12)?, text(13)?);
            for r in 0..b.num_rows() {
                let own = |a: &StringArray| std::borrow::Cow::Owned(a.value(r).to_string());
                out.push(bw_audit::Payment {
                    voucher: own(&voucher),
                    unit: own(&unit),
                    department: own(&department),
                    indicator: own(&indicator),
                    project: (!project.is_null(r)).then(|| own(&project)),
                    date: bw_core::Date::from_days(i32::try_from(day.value(r)).unwrap_or(0)),
                    economic: own(&economic),
                    payee_name: own(&payee),
                    payee_account: own(&account),
                    payee_type: bw_core::records::PayeeType::parse(kind.value(r))
                        .unwrap_or(bw_core::records::PayeeType::Company),
                    amount: bw_core::Money::from_fen(amount.value(r)),
                    summary: own(&summary),
                    invoice: own(&invoice),
                    contract: own(&contract),
                });
            }
        }
        Ok(out)
    }

    /// A province's indicators of the year and the two before, as the audit tests read
    /// them, in year and code order.
    pub async fn indicators(&self, province: &str) -> Result<Vec<bw_audit::Indicator>, ColumnarError> {
        let q = format!(
            "SELECT CAST(year AS BIGINT) AS y, indicator_code, unit_code, project_code, economic_code, amount, paid \
             FROM indicators WHERE province = '{}' ORDER BY y, indicator_code",
            quoted(province)
        );
        let mut out = Vec::new();
        for b in self.sql(&q).await? {
            let year = ints(b.column(0))?;
            let (code, unit, project, economic) =
                (strings(b.column(1))?, strings(b.column(2))?, strings(b.column(3))?, strings(b.column(4))?);
            let (amount, paid) = (ints(b.column(5))?, ints(b.column(6))?);
            for r in 0..b.num_rows() {
                out.push(bw_audit::Indicator {
                    year: i32::try_from(year.value(r)).unwrap_or_default(),
                    code: code.value(r).to_string(),
                    unit: unit.value(r).to_string(),
                    project: (!project.is_null(r)).then(|| project.value(r).to_string()).filter(|p| !p.is_empty()),
                    economic: economic.value(r).to_string(),
                    amount: bw_core::Money::from_fen(amount.value(r)),
                    paid: bw_core::Money::from_fen(paid.value(r)),
                });
            }
        }
        Ok(out)
    }

    /// A province's revenue by region, revenue code and month, of the years the files hold
    /// (the year and the one before), up to `as_of`.
    pub async fn revenue_months(
        &self,
        province: &str,
        as_of: bw_core::Date,
    ) -> Result<Vec<bw_audit::RevenueMonth>, ColumnarError> {
        let q = format!(
            "SELECT region_code, revenue_code, CAST(date AS INT) AS day, amount FROM revenues \
             WHERE province = '{}' AND CAST(date AS INT) <= {}",
            quoted(province),
            as_of.days()
        );
        let mut sums: BTreeMap<(String, String, i32, u32), i64> = BTreeMap::new();
        for b in self.sql(&q).await? {
            let (region, code) = (strings(b.column(0))?, strings(b.column(1))?);
            let (day, amount) = (ints(b.column(2))?, ints(b.column(3))?);
            for r in 0..b.num_rows() {
                let date = bw_core::Date::from_days(i32::try_from(day.value(r)).unwrap_or_default());
                let key = (region.value(r).to_string(), code.value(r).to_string(), date.year(), date.month());
                *sums.entry(key).or_default() += amount.value(r);
            }
        }
        Ok(sums
            .into_iter()
            .map(|((region, revenue_code, year, month), fen)| bw_audit::RevenueMonth {
                region,
                revenue_code,
                year,
                month,
                amount: bw_core::Money::from_fen(fen),
            })
            .collect())
    }

    /// A province's staff register as the files hold it.
    pub async fn staff(&self, province: &str) -> Result<Vec<bw_audit::Staff>, ColumnarError> {
        let q = format!(
            "SELECT unit_code, name, id_hash, bank_account, phone FROM staff WHERE province = '{}' \
             ORDER BY unit_code, id_hash",
            quoted(province)
        );
        let mut out = Vec::new();
        for b in self.sql(&q).await? {
            let cols: Vec<StringArray> = (0..5).map(|i| strings(b.column(i))).collect::<Result<_, _>>()?;
            for r in 0..b.num_rows() {
                let v = |i: usize| cols[i].value(r).to_string();
                out.push(bw_audit::Staff { unit: v(0), name: v(1), id_hash: v(2), bank_account: v(3), phone: v(4) });
            }
        }
        Ok(out)
    }

    /// The codes of a province's budget units (`kind = 'unit'`), in order.
    pub async fn unit_codes(&self, province: &str) -> Result<Vec<String>, ColumnarError> {
        let q =
            format!("SELECT code FROM units WHERE province = '{}' AND kind = 'unit' ORDER BY code", quoted(province));
        let mut out = Vec::new();
        for b in self.sql(&q).await? {
            let code = strings(b.column(0))?;
            out.extend((0..b.num_rows()).map(|r| code.value(r).to_string()));
        }
        Ok(out)
    }

    /// Invoices paid in more than one province: one finding per invoice (by the key
    /// invoices are compared by, written with each payment), with every voucher (as
    /// PROVINCE:UNIT:VOUCHER) and the provinces. The grouping over every province is the
    /// engine's hash aggregate.
    pub async fn cross_province_invoices(&self) -> Result<Vec<bw_audit::Finding>, ColumnarError> {
        let batches = self
            .sql(
                "SELECT p.invoice_key, p.province, p.unit_code, p.voucher_no, p.amount FROM payments p \
                 JOIN (SELECT invoice_key FROM payments WHERE invoice_key <> '' AND amount > 0 AND status = 'paid' \
                 GROUP BY invoice_key HAVING COUNT(DISTINCT province) > 1) d ON d.invoice_key = p.invoice_key \
                 WHERE p.amount > 0 AND p.status = 'paid' ORDER BY p.invoice_key, p.province, p.unit_code, p.voucher_no",
            )
            .await?;
        let mut by_key: BTreeMap<String, Vec<(String, String, String, i64)>> = BTreeMap::new();
        for b in &batches {
            let (key, prov, unit, voucher) =
                (strings(b.column(0))?, strings(b.column(1))?, strings(b.column(2))?, strings(b.column(3))?);
            let amount = ints(b.column(4))?;
            for r in 0..b.num_rows() {
                by_key.entry(key.value(r).to_string()).or_default().push((
                    prov.value(r).to_string(),
                    unit.value(r).to_string(),
                    voucher.value(r).to_string(),
                    amount.value(r),
                ));
            }
        }
        let mut out = Vec::new();
        for (key, paid) in by_key {
            let provinces: std::collections::BTreeSet<&str> = paid.iter().map(|p| p.0.as_str()).collect();
            let vouchers = paid.iter().map(|(p, u, v, _)| format!("{p}:{u}:{v}")).collect();
            let total: i64 = paid.iter().map(|p| p.3).sum();
            out.push(
                bw_audit::Finding::new(CROSS_PROVINCE_INVOICE, None, vouchers, total)
                    .with("invoice", serde_json::Value::String(key))
                    .with("provinces", serde_json::json!(provinces))
                    .with("payments", serde_json::json!(paid.len())),
            );
        }
        Ok(out)
    }
}

pub use bw_core::org::NATION;

impl National {
    /// The provinces' organisations as one tree under the nation (`NATION`).
    pub async fn org_tree(&self) -> Result<bw_core::org::OrgTree, ColumnarError> {
        let mut rows = Vec::new();
        for b in self.sql("SELECT code, name, parent_code, kind, level FROM units ORDER BY province, code").await? {
            let (code, name, parent, kind, level) = (
                strings(b.column(0))?,
                strings(b.column(1))?,
                strings(b.column(2))?,
                strings(b.column(3))?,
                strings(b.column(4))?,
            );
            let text = |a: &StringArray, r: usize| (!a.is_null(r)).then(|| a.value(r).to_string());
            for r in 0..b.num_rows() {
                rows.push((
                    code.value(r).to_string(),
                    name.value(r).to_string(),
                    text(&parent, r),
                    kind.value(r).to_string(),
                    text(&level, r),
                ));
            }
        }
        bw_core::org::OrgTree::national(rows).map_err(ColumnarError::Invalid)
    }

    /// Each indicator of `year` with its budget and what was paid in the months
    /// `first..=last` (YYYY-MM) and up to `last`, summed by the engine over every province's
    /// monthly figures. The units' stated causes stay in the provinces' own reports.
    pub async fn execution_lines(
        &self,
        year: i32,
        first: &str,
        last: &str,
    ) -> Result<Vec<bw_core::report::Line>, ColumnarError> {
        let clean = |s: &str| s.chars().filter(|c| c.is_ascii_digit() || *c == '-').collect::<String>();
        let (first, last) = (clean(first), clean(last));
        let q = format!(
            "SELECT i.indicator_code, i.unit_code, i.project_code, i.functional_code, i.economic_code, i.amount, \
             CAST(COALESCE(SUM(CASE WHEN m.month >= '{first}' AND m.month <= '{last}' THEN m.paid END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN m.month <= '{last}' THEN m.paid END), 0) AS BIGINT) \
             FROM indicators i LEFT JOIN indicator_months m ON m.province = i.province AND m.year = i.year \
             AND m.indicator_code = i.indicator_code WHERE i.year = {year} \
             GROUP BY i.province, i.indicator_code, i.unit_code, i.project_code, i.functional_code, i.economic_code, i.amount \
             ORDER BY i.province, i.indicator_code"
        );
        let mut out = Vec::new();
        for b in self.sql(&q).await? {
            let (code, unit, project, functional, economic) = (
                strings(b.column(0))?,
                strings(b.column(1))?,
                strings(b.column(2))?,
                strings(b.column(3))?,
                strings(b.column(4))?,
            );
            let (amount, in_period, to_end) = (ints(b.column(5))?, ints(b.column(6))?, ints(b.column(7))?);
            for r in 0..b.num_rows() {
                out.push(bw_core::report::Line {
                    indicator_code: code.value(r).to_string(),
                    unit_code: unit.value(r).to_string(),
                    project_code: (!project.is_null(r)).then(|| project.value(r).to_string()),
                    functional_code: functional.value(r).to_string(),
                    economic_code: economic.value(r).to_string(),
                    budget: bw_core::Money::from_fen(amount.value(r)),
                    paid_in_period: bw_core::Money::from_fen(in_period.value(r)),
                    paid: bw_core::Money::from_fen(to_end.value(r)),
                    cause: String::new(),
                });
            }
        }
        Ok(out)
    }
}

/// A province's code as it may stand inside an SQL string literal.
fn quoted(province: &str) -> String {
    province.replace('\'', "")
}

/// A column as UTF-8 strings, whatever string layout the reader chose.
fn strings(col: &ArrayRef) -> Result<StringArray, ColumnarError> {
    let cast = datafusion::arrow::compute::cast(col, &DataType::Utf8)?;
    cast.as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .ok_or_else(|| ColumnarError::Invalid("a text column that is not text".into()))
}

fn ints(col: &ArrayRef) -> Result<Int64Array, ColumnarError> {
    let cast = datafusion::arrow::compute::cast(col, &DataType::Int64)?;
    cast.as_any()
        .downcast_ref::<Int64Array>()
        .cloned()
        .ok_or_else(|| ColumnarError::Invalid("a number column that is not a number".into()))
}
