//! What an import reads of the database before deciding: stored keys, the organisation,
//! indicators' balances and contracts' draws, and the part of it a writer keeps between
//! commits (`Kept`).

use super::*;

pub(super) struct Stored {
    pub(super) hash: Vec<u8>,
    pub(super) journal_idx: i64,
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

pub(super) async fn load_stored(tx: &mut Tx, sql: &'static str) -> Result<HashMap<String, Stored>, ImportError> {
    let rows = sqlx::query(sql).fetch_all(&mut **tx).await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in rows {
        out.insert(r.try_get::<String, _>(0)?, Stored { hash: r.try_get(1)?, journal_idx: r.try_get(2)? });
    }
    Ok(out)
}

/// An indicator's state during an import.
pub(super) struct IndState {
    pub(super) year: i32,
    pub(super) code: String,
    pub(super) unit_code: String,
    pub(super) control: Control,
    pub(super) balance: Balance,
    pub(super) changed: bool,
    /// The indicator's project and its tier, when it has one.
    pub(super) project: Option<(String, ProjectStatus)>,
}

impl IndState {
    /// Why money may not be paid or committed on this indicator: its project is a reserve
    /// project (never approved) or retired. A completed project still receives its final
    /// settlement on the indicators it has.
    pub(super) fn unfundable(&self) -> Option<(Code, String)> {
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
pub(super) struct IndicatorBook {
    pub(super) by_key: HashMap<(i32, String), usize>,
    pub(super) by_code: HashMap<String, Vec<usize>>,
    pub(super) items: Vec<IndState>,
}

impl IndicatorBook {
    pub(super) async fn load(tx: &mut Tx) -> Result<IndicatorBook, ImportError> {
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
    pub(super) fn resolve(&self, code: &str, year: i32) -> Result<usize, (Code, String)> {
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

    pub(super) async fn write_balances(&self, tx: &mut Tx) -> Result<(), ImportError> {
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

pub(super) fn unit_ref(tree: &OrgTree, code: &str, want: OrgKind) -> Result<(), (Code, String)> {
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

/// What a payments import needs of the database that is small enough to keep in memory
/// from one commit to the next (`Store::take_resident`): the organisation, every
/// indicator's balance and every contract's draws. A group of posted payments then reads
/// none of it again.
pub(super) struct Kept {
    pub(super) tree: OrgTree,
    pub(super) book: IndicatorBook,
    pub(super) contracts: HashMap<String, ContractState>,
    /// The stored payments' keys (see `PaymentsState::stored`).
    pub(super) stored: Option<HashMap<u128, [u8; 16]>>,
    /// The payment-time rules' settings and the working calendar, once a group has read them.
    pub(super) rules: Option<RuleSettings>,
}

/// What the rules that fire at payment time read besides the payments: each year's
/// thresholds and handling, and the working calendar. Every change to them is a journaled
/// action, so they are as current as the rest of what a writer keeps.
pub(super) struct RuleSettings {
    pub(super) prepared: HashMap<i32, (bw_rules::Thresholds, crate::monitor::Policies)>,
    pub(super) calendar: bw_core::calendar::WorkCalendar,
}

impl Kept {
    /// Reads the state; the stored payments' keys only with `keys` (a large file, or a
    /// writer that keeps them), else each key is looked up when met.
    pub(super) async fn load(tx: &mut Tx, keys: bool) -> Result<Kept, ImportError> {
        let stored = match keys {
            true => Some(load_payment_keys(tx).await?),
            false => None,
        };
        let book = IndicatorBook::load(tx).await?;
        let rows =
            sqlx::query("SELECT contract_no, unit_code, year, indicator_code, amount, paid, status FROM contracts")
                .fetch_all(&mut **tx)
                .await?;
        let milestoned: std::collections::HashSet<String> =
            sqlx::query("SELECT DISTINCT contract_no FROM contract_milestones")
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<_, _>>()?;
        let mut contracts = HashMap::new();
        for r in rows {
            let year: i64 = r.try_get(2)?;
            let ind: String = r.try_get(3)?;
            let status: String = r.try_get(6)?;
            let no: String = r.try_get(0)?;
            contracts.insert(
                no.clone(),
                ContractState {
                    milestoned: milestoned.contains(&no),
                    unit_code: r.try_get(1)?,
                    indicator: book.by_key.get(&(year as i32, ind)).copied(),
                    amount: r.try_get(4)?,
                    paid: r.try_get(5)?,
                    status: ContractStatus::parse(&status).map_err(ImportError::Io)?,
                    changed: false,
                },
            );
        }
        Ok(Kept { tree: load_tree(tx).await?, book, contracts, stored, rules: None })
    }
}

/// Every stored payment's key fingerprint with the first half of its record hash.
pub(super) async fn load_payment_keys(tx: &mut Tx) -> Result<HashMap<u128, [u8; 16]>, ImportError> {
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

pub(super) struct ContractState {
    pub(super) unit_code: String,
    pub(super) indicator: Option<usize>,
    pub(super) amount: i64,
    pub(super) paid: i64,
    pub(super) status: ContractStatus,
    pub(super) changed: bool,
    /// Payments on it are held beyond what its verified milestones release.
    pub(super) milestoned: bool,
}
