//! The rows each kind of record becomes in its table, spelled once: the import writes them
//! and `verify` rebuilds them from the journal with the same functions, so a column cannot
//! be written one way and checked another. Rows are in the table's column order without the
//! `journal_idx` every projection row ends with (the writer knows the entry's index).

use crate::org::OrgNode;
use crate::records::{
    Contract, ContractMilestone, Indicator, MacroIndicator, Payment, Project, Revenue, RevenueTarget, StaffMember,
};
use crate::template::Kind;

/// One cell of a projection row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Int(i64),
    Text(String),
    /// NULL in a text column.
    Null,
    /// NULL in an integer column: PostgreSQL types a parameter, so a NULL carries its type.
    NullInt,
    /// Bytes other than a record's hash (a sealed key, a salt).
    Blob(Vec<u8>),
    /// The record's hash as its caller holds it: bytes (written) or their hex (compared).
    Hash(HashCell),
}

/// A record hash in a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HashCell {
    Bytes([u8; 32]),
    Hex(String),
}

impl Cell {
    fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    fn opt(s: Option<String>) -> Cell {
        s.map(Cell::Text).unwrap_or(Cell::Null)
    }
}

/// A payment's row in `payments`; `year` is its indicator's fiscal year.
pub fn payment(p: Payment, year: i32, hash: HashCell) -> Vec<Cell> {
    let invoice_key = p.invoice_no.as_deref().map(|i| crate::ident::key(i).into_owned());
    // The record's strings move into the row (the import's hot path: no copies).
    vec![
        Cell::Text(p.unit_code),
        Cell::Text(p.voucher_no),
        Cell::text(p.pay_date.to_string()),
        Cell::Int(i64::from(year)),
        Cell::Text(p.indicator_code),
        Cell::text(p.economic_code.as_str()),
        Cell::Text(p.payee_name),
        Cell::Text(p.payee_account),
        Cell::text(p.payee_type.as_str()),
        Cell::Int(p.amount.fen()),
        Cell::Text(p.summary),
        Cell::opt(p.invoice_no),
        Cell::opt(p.contract_no),
        Cell::opt(p.reverses),
        Cell::opt(invoice_key),
        Cell::Hash(hash),
    ]
}

/// A project's row in `projects`.
pub fn project(p: Project, hash: HashCell) -> Vec<Cell> {
    vec![
        Cell::Text(p.project_code),
        Cell::Text(p.name),
        Cell::Text(p.unit_code),
        Cell::Text(p.category),
        Cell::Int(i64::from(p.start_year)),
        Cell::Int(i64::from(p.end_year)),
        Cell::Int(p.total_amount.fen()),
        Cell::text(p.status.as_str()),
        Cell::opt(p.expires_on.map(|d| d.to_string())),
        Cell::Hash(hash),
    ]
}

/// An indicator's row in `indicators` (its paid and committed amounts are aggregates,
/// kept apart).
pub fn indicator(i: Indicator, hash: HashCell) -> Vec<Cell> {
    vec![
        Cell::Int(i64::from(i.year)),
        Cell::Text(i.indicator_code),
        Cell::Text(i.unit_code),
        Cell::opt(i.project_code),
        Cell::text(i.functional_code.as_str()),
        Cell::text(i.economic_code.as_str()),
        Cell::opt(i.gov_economic_code.map(|c| c.to_string())),
        Cell::text(i.fund_source.as_str()),
        Cell::Int(i64::from(i.special)),
        Cell::Int(i.amount.fen()),
        Cell::text(i.control.as_str()),
        Cell::Hash(hash),
    ]
}

/// A contract's row in `contracts`; `year` is its indicator's fiscal year.
pub fn contract(c: Contract, year: i32, hash: HashCell) -> Vec<Cell> {
    vec![
        Cell::Text(c.contract_no),
        Cell::Text(c.unit_code),
        Cell::Int(i64::from(year)),
        Cell::Text(c.indicator_code),
        Cell::Text(c.supplier_name),
        Cell::Text(c.supplier_account),
        Cell::Int(c.amount.fen()),
        Cell::text(c.signed_on.to_string()),
        Cell::text(c.ends_on.to_string()),
        Cell::text(c.status.as_str()),
        Cell::Hash(hash),
    ]
}

/// A contract milestone's row in `contract_milestones` (its amount resolved in fen).
pub fn contract_milestone(m: ContractMilestone, amount: crate::Money, hash: HashCell) -> Vec<Cell> {
    let join = |v: Vec<String>| v.join(";");
    vec![
        Cell::Text(m.contract_no),
        Cell::Int(i64::from(m.seq)),
        Cell::Text(m.name),
        Cell::text(m.kind.id()),
        Cell::Int(amount.fen()),
        m.share_permille.map_or(Cell::Null, |p| Cell::text(p.to_string())),
        Cell::Text(m.criterion),
        Cell::Text(join(m.verifiers)),
        Cell::Text(join(m.depends_on.iter().map(u32::to_string).collect())),
        Cell::Int(i64::from(m.pro_rata)),
        m.due_date.map_or(Cell::Null, |d| Cell::text(d.to_string())),
        m.retention_days.map_or(Cell::Null, |d| Cell::text(d.to_string())),
        Cell::Hash(hash),
    ]
}

/// A revenue record's row in `revenues`.
pub fn revenue(r: Revenue, hash: HashCell) -> Vec<Cell> {
    vec![
        Cell::Text(r.record_no),
        Cell::text(r.date.to_string()),
        Cell::Int(i64::from(r.date.year())),
        Cell::Text(r.region_code),
        Cell::text(r.revenue_code.as_str()),
        Cell::Int(r.amount.fen()),
        Cell::Hash(hash),
    ]
}

/// A revenue target's row in `revenue_targets`.
pub fn revenue_target(t: RevenueTarget, hash: HashCell) -> Vec<Cell> {
    vec![
        Cell::Int(i64::from(t.year)),
        Cell::Text(t.region_code),
        Cell::text(t.revenue_code.as_str()),
        Cell::Int(t.amount.fen()),
        Cell::Hash(hash),
    ]
}

/// A macro indicator's row in `macro_indicators`.
pub fn macro_indicator(m: MacroIndicator, hash: HashCell) -> Vec<Cell> {
    vec![
        Cell::text(m.period.to_string()),
        Cell::Int(i64::from(m.period.year())),
        Cell::Text(m.region_code),
        Cell::Text(m.name),
        Cell::text(m.value.as_str()),
        Cell::Hash(hash),
    ]
}

/// A staff member's row in `staff` (the clear values: the journal holds commitments).
pub fn staff(m: StaffMember, hash: HashCell) -> Vec<Cell> {
    vec![
        Cell::Text(m.unit_code),
        Cell::Text(m.id_hash),
        Cell::Text(m.name),
        Cell::Text(m.bank_account),
        Cell::Text(m.phone),
        Cell::Hash(hash),
    ]
}

/// A unit's (department's, region's) row in `units`, with the region and department the
/// tree puts it under.
pub fn unit(n: OrgNode, region: Option<String>, department: Option<String>, hash: HashCell) -> Vec<Cell> {
    vec![
        Cell::Text(n.code),
        Cell::Text(n.name),
        Cell::opt(n.parent_code),
        Cell::text(n.kind.as_str()),
        Cell::opt(n.level.map(|l| l.as_str().to_string())),
        Cell::opt(region),
        Cell::opt(department),
        Cell::Hash(hash),
    ]
}

/// A table changes are written to: its name and columns in order, the first `key_len` of
/// them its key.
#[derive(Debug, PartialEq, Eq)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [&'static str],
    pub key_len: usize,
}

impl Table {
    /// The key's columns.
    pub fn key(&self) -> &'static [&'static str] {
        &self.columns[..self.key_len]
    }

    /// Where `column` is in the table's rows.
    pub fn position(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|c| *c == column)
    }
}

/// What one journal entry does to a table: the writer turns it into SQL, `verify` applies it
/// to the rows it rebuilds from the journal — one spelling of the rows for both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A new row: a cell for each of the table's columns, in order.
    Insert { table: &'static Table, cells: Vec<Cell> },
    /// A row that replaces the one with the same key, if there is one.
    Put { table: &'static Table, cells: Vec<Cell> },
    /// The columns `set` of the row keyed `key`, which must exist and hold the values of
    /// `expect` (the state the entry was taken from; `Null` for a column still empty) for
    /// the change to apply.
    Update { table: &'static Table, key: Vec<Cell>, set: Vec<(&'static str, Cell)>, expect: Vec<(&'static str, Cell)> },
    /// The rows whose key begins with `key` (all of it, or its first columns); `required`:
    /// there must be one.
    Delete { table: &'static Table, key: Vec<Cell>, required: bool },
}

impl Change {
    /// Whether the change fits its table: a cell for each column, a key of the key's
    /// columns (a Delete's: its first ones), only columns the table has.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Change::Insert { table, cells } | Change::Put { table, cells } if cells.len() != table.columns.len() => {
                Err(format!("{}: {} cells for {} columns", table.name, cells.len(), table.columns.len()))
            }
            Change::Update { table, key, set, expect } => {
                if key.len() != table.key_len {
                    return Err(format!("{}: a key of {} cells for {} columns", table.name, key.len(), table.key_len));
                }
                match set.iter().chain(expect).find(|(c, _)| table.position(c).is_none()) {
                    Some((c, _)) => Err(format!("{} has no column {c}", table.name)),
                    None => Ok(()),
                }
            }
            Change::Delete { table, key, .. } if key.is_empty() || key.len() > table.key_len => {
                Err(format!("{}: a key of {} cells for {} columns", table.name, key.len(), table.key_len))
            }
            _ => Ok(()),
        }
    }

    /// An update of the row with integer key `id`.
    pub fn update(
        table: &'static Table,
        id: i64,
        set: Vec<(&'static str, Cell)>,
        expect: Vec<(&'static str, Cell)>,
    ) -> Change {
        Change::Update { table, key: vec![Cell::Int(id)], set, expect }
    }
}

/// The changes one entry makes, in order.
pub type Changes = Vec<Change>;

/// `units`: the rows of Units records.
pub const UNITS: Table = Table {
    name: "units",
    columns: &[
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
    key_len: 1,
};

/// `projects`: the rows of Projects records.
pub const PROJECTS: Table = Table {
    name: "projects",
    columns: &[
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
    key_len: 1,
};

/// `indicators`: the rows of Indicators records.
pub const INDICATORS: Table = Table {
    name: "indicators",
    columns: &[
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
    key_len: 2,
};

/// `contracts`: the rows of Contracts records.
pub const CONTRACTS: Table = Table {
    name: "contracts",
    columns: &[
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
    key_len: 1,
};

/// `payments`: the rows of Payments records.
pub const PAYMENTS: Table = Table {
    name: "payments",
    columns: &[
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
    key_len: 2,
};

/// `revenues`: the rows of Revenues records.
pub const REVENUES: Table = Table {
    name: "revenues",
    columns: &["record_no", "date", "year", "region_code", "revenue_code", "amount", "record_hash", "journal_idx"],
    key_len: 1,
};

/// `revenue_targets`: the rows of RevenueTargets records.
pub const REVENUE_TARGETS: Table = Table {
    name: "revenue_targets",
    columns: &["year", "region_code", "revenue_code", "amount", "record_hash", "journal_idx"],
    key_len: 3,
};

/// `staff`: the rows of Staff records.
pub const STAFF: Table = Table {
    name: "staff",
    columns: &["unit_code", "id_hash", "name", "bank_account", "phone", "record_hash", "journal_idx"],
    key_len: 2,
};

/// `contract_milestones`: the rows of ContractMilestones records.
pub const CONTRACT_MILESTONES: Table = Table {
    name: "contract_milestones",
    columns: &[
        "contract_no",
        "seq",
        "name",
        "kind",
        "amount",
        "share_permille",
        "criterion",
        "verifiers",
        "depends_on",
        "pro_rata",
        "due_date",
        "retention_days",
        "record_hash",
        "journal_idx",
    ],
    key_len: 2,
};

/// `macro_indicators`: the rows of MacroIndicators records.
pub const MACRO_INDICATORS: Table = Table {
    name: "macro_indicators",
    columns: &["period", "year", "region_code", "name", "value", "record_hash", "journal_idx"],
    key_len: 3,
};

/// The table each kind of record is written to, its columns in the order of the kind's
/// projection row with `journal_idx` last.
pub const fn table_of(kind: Kind) -> &'static Table {
    match kind {
        Kind::Units => &UNITS,
        Kind::Projects => &PROJECTS,
        Kind::Indicators => &INDICATORS,
        Kind::Contracts => &CONTRACTS,
        Kind::Payments => &PAYMENTS,
        Kind::Revenues => &REVENUES,
        Kind::RevenueTargets => &REVENUE_TARGETS,
        Kind::Staff => &STAFF,
        Kind::ContractMilestones => &CONTRACT_MILESTONES,
        Kind::MacroIndicators => &MACRO_INDICATORS,
    }
}
