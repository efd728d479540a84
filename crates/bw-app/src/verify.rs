//! `budgetwatch verify`: the journal is the truth, and this checks everything against it.
//! It recomputes every leaf hash and the tree from the stored entries, checks the stored
//! tiles and every signed checkpoint (signature, and that its root is the root of the
//! journal at its size — so every later checkpoint is consistent with every earlier one),
//! then replays the entries into the projections and compares them with the tables, row by
//! row and column by column. Each failure names what differs.

use bw_core::Money;
use bw_core::action::Action;
use bw_core::org::{OrgNode, OrgTree};
use bw_core::projection::{self, Cell, Change, Changes, HashCell};
use bw_core::records::{Contract, ContractStatus, Indicator, MacroIndicator, Payment, Project, Revenue, RevenueTarget};
use bw_core::template::Kind;
use bw_core::warning;
use bw_ledger::merkle::{self, MemoryTree};
use bw_ledger::note::{Checkpoint, CosignatureVerifier, Verifier};
use bw_ledger::{Hash, Suite, hex};
use bw_store::sqlx::{self, AssertSqlSafe, Row, any::AnyRow};
use bw_store::{Store, StoreError};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct Failure {
    /// `entry`, `journal`, `tile`, `checkpoint`, `cosignature` or `projection`.
    pub check: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub detail: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.check)?;
        if let Some(i) = self.index {
            write!(f, " {i}")?;
        }
        if let Some(t) = &self.table {
            write!(f, " {t}")?;
        }
        if let Some(k) = &self.key {
            write!(f, " [{k}]")?;
        }
        if let Some(c) = &self.column {
            write!(f, " column {c}")?;
        }
        write!(f, ": {}", self.detail)
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub ok: bool,
    /// Seconds spent: waiting for the journal's pages, hashing entries and the tree (the
    /// Merkle part), replaying entries, checking tiles, checkpoints and cosignatures, and
    /// comparing tables. Not part of the verdict.
    pub timings: Timings,
    pub entries: u64,
    pub root: String,
    pub checkpoints: u64,
    pub rows: u64,
    pub failures: Vec<Failure>,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Timings {
    pub read: f64,
    pub merkle: f64,
    pub replay: f64,
    pub checkpoints: f64,
    pub tables: f64,
}

/// Failures listed before the rest are only counted.
const FAILURES_MAX: usize = 1_000;
/// Entries read per query.
const ENTRY_PAGE_ROWS: i64 = 10_000;

#[derive(Default)]
struct Failures {
    list: Vec<Failure>,
    more: usize,
}

impl Failures {
    fn push(&mut self, f: Failure) {
        if self.list.len() < FAILURES_MAX {
            self.list.push(f);
        } else {
            self.more += 1;
        }
    }
    fn entry(&mut self, index: u64, detail: String) {
        self.push(Failure { check: "entry", index: Some(index), table: None, key: None, column: None, detail });
    }
    fn row(&mut self, table: &str, key: &str, column: Option<&str>, detail: String) {
        self.push(Failure {
            check: "projection",
            index: None,
            table: Some(table.to_string()),
            key: Some(key.to_string()),
            column: column.map(str::to_string),
            detail,
        });
    }
}

/// A projection row as text cells, with the entry it came from.
type Cells = Vec<String>;

const NULL: &str = "NULL";

fn cell(row: &AnyRow, i: usize) -> String {
    if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
        return v.map(|x| x.to_string()).unwrap_or_else(|| NULL.into());
    }
    if let Ok(v) = row.try_get::<Option<String>, _>(i) {
        return v.unwrap_or_else(|| NULL.into());
    }
    if let Ok(v) = row.try_get::<Option<Vec<u8>>, _>(i) {
        return v.map(|b| hex(&b)).unwrap_or_else(|| NULL.into());
    }
    "?".into()
}

fn sha(data: &[u8]) -> String {
    hex(&<[u8; 32]>::from(Sha256::digest(data)))
}

/// What the journal says each table holds.
#[derive(Default)]
struct Model {
    tables: BTreeMap<&'static str, BTreeMap<String, Cells>>,
    units: Vec<(OrgNode, String, u64)>,
    indicators: HashMap<(i32, String), (i64, i64)>, // paid, committed
    indicator_codes: HashMap<String, Vec<i32>>,
    contracts: HashMap<String, (i32, String, i64, i64, ContractStatus)>, // year, indicator, amount, paid, status
    refunded: HashMap<String, i64>,
    /// payments key → (status, warning that held it, 0 for a milestone hold), for payments
    /// ever held.
    holds: BTreeMap<String, (String, i64)>,
    /// Contracts' milestone plans as imported, and their ladders as the actions moved them.
    milestone_plans: BTreeMap<String, Vec<bw_core::records::ContractMilestone>>,
    ladders: BTreeMap<String, bw_core::milestone::Ladder>,
    /// "contract/seq" → the verification entry that last released money on it.
    milestone_verified: HashMap<String, i64>,
    /// Meetings and action items, replayed by the function their writer applies.
    board: bw_core::meeting::Board,
    /// Post-incident reviews, likewise.
    reviews: bw_core::review::Reviews,
    /// Major matters, likewise.
    matters: bw_core::matter::Matters,
    indicator_months: BTreeMap<String, (i64, i64)>,
    revenue_months: BTreeMap<String, i64>,
    /// (year, kind) → absolute amounts recorded: the `volumes` table.
    volumes: BTreeMap<(i32, &'static str), i128>,
    /// payments key → (journal index, resolved year, digest of the expected row).
    payments: HashMap<String, (u64, i32, u128)>,
    /// The `personal_data` table, consumed as the payments that commit to it are replayed.
    personal: PersonalRows,
    /// Payments whose personal values are gone: each needs a `personal.redact` entry.
    erased: std::collections::BTreeSet<u64>,
    /// Payments whose personal values are stored (a redaction of one is a failure).
    disclosed: std::collections::HashSet<u64>,
    /// The risk register, replayed by the function its writer applies.
    risks: bw_core::risk::Register,
    /// `personal_data` failures: (key, detail).
    personal_problems: Vec<(String, String)>,
    suite: Suite,
    /// Approvers' keys as registered so far in the replay.
    user_keys: HashMap<String, Verifier>,
    /// The log's key rotations: (entry index, old verifier key, new verifier key).
    rotations: Vec<(u64, String, String)>,
}

fn payment_cells(p: Payment, year: i32, hash: String, idx: u64) -> Cells {
    texts(projection::payment(p, year, HashCell::Hex(hash)), idx)
}

/// A projection row (`bw_core::projection`, what the writers write) as the tables are read
/// back: cells as text, NULL, hashes in hex, the entry's index last.
fn texts(cells: Vec<Cell>, idx: u64) -> Cells {
    let mut out: Cells = cells.into_iter().map(cell_text).collect();
    out.push(idx.to_string());
    out
}

/// A typed entry as its module decodes it (`None`: the action is not one of the module's).
fn typed_entry<T>(a: Action, decoded: Option<Result<T, serde_json::Error>>) -> Result<T, String> {
    match decoded {
        Some(Ok(entry)) => Ok(entry),
        Some(Err(err)) => Err(format!("data does not parse: {err}")),
        None => Err(format!("{} has no typed entry here", a.name())),
    }
}

/// A cell as the tables are read back: text, NULL, hashes in hex.
fn cell_text(c: Cell) -> String {
    match c {
        Cell::Int(i) => i.to_string(),
        Cell::Text(s) | Cell::Hash(HashCell::Hex(s)) => s,
        Cell::Null | Cell::NullInt => NULL.into(),
        Cell::Hash(HashCell::Bytes(b)) => hex(&b),
        Cell::Blob(b) => hex(&b),
    }
}

/// A 128-bit digest of a row's cells, to compare without holding every expected row.
fn row_digest(cells: &Cells) -> u128 {
    crate::digest128(cells)
}

/// The expected payment row of `key`, rebuilt from its journal entry (for naming columns).
async fn expected_payment(
    pool: &sqlx::AnyPool,
    suite: Suite,
    idx: u64,
    year: i32,
) -> Result<Option<Cells>, StoreError> {
    let row = sqlx::query("SELECT entry FROM journal WHERE idx = $1").bind(idx as i64).fetch_optional(pool).await?;
    let Some(row) = row else { return Ok(None) };
    let entry: Vec<u8> = row.try_get(0)?;
    let Ok(e) = bw_ledger::decode(&entry) else { return Ok(None) };
    let Ok(mut p) = <Payment as serde::Deserialize>::deserialize(&e.data) else { return Ok(None) };
    let h = sha(&serde_json::to_vec(&p).unwrap_or_default());
    let personal = load_personal(pool, Some(idx as i64)).await?;
    let (h, _) = disclose(suite, &mut p, h, personal.get(&(idx as i64)), idx);
    Ok(Some(payment_cells(p, year, h, idx)))
}

/// Personal values stored beside entries: journal index → (field, salt, value).
type PersonalRows = HashMap<i64, Vec<(String, Vec<u8>, String)>>;

/// Personal values of the entries from `first` on.
async fn load_personal_since(pool: &sqlx::AnyPool, first: i64) -> Result<PersonalRows, StoreError> {
    let rows = sqlx::query("SELECT journal_idx, field, salt, value FROM personal_data WHERE journal_idx >= $1")
        .bind(first)
        .fetch_all(pool)
        .await?;
    let mut out: PersonalRows = HashMap::new();
    for r in rows {
        out.entry(r.try_get(0)?).or_default().push((r.try_get(1)?, r.try_get(2)?, r.try_get(3)?));
    }
    Ok(out)
}

async fn load_personal(pool: &sqlx::AnyPool, only: Option<i64>) -> Result<PersonalRows, StoreError> {
    let rows = match only {
        Some(i) => {
            sqlx::query("SELECT journal_idx, field, salt, value FROM personal_data WHERE journal_idx = $1")
                .bind(i)
                .fetch_all(pool)
                .await?
        }
        None => sqlx::query("SELECT journal_idx, field, salt, value FROM personal_data").fetch_all(pool).await?,
    };
    let mut out: PersonalRows = HashMap::new();
    for r in rows {
        out.entry(r.try_get(0)?).or_default().push((r.try_get(1)?, r.try_get(2)?, r.try_get(3)?));
    }
    Ok(out)
}

/// Puts the clear personal values back into a payment read from entry `idx`, checking each
/// against the entry's commitment; erased values read as the redaction marker. Returns the
/// record hash the projection carries (of the clear record, or of the committed one once
/// erased) and the problems found, as (key, detail) of `personal_data`.
fn disclose(
    suite: Suite,
    p: &mut Payment,
    committed_hash: String,
    values: Option<&Vec<(String, Vec<u8>, String)>>,
    idx: u64,
) -> (String, Vec<(String, String)>) {
    let slots = [("payee_name", &mut p.payee_name), ("payee_account", &mut p.payee_account)];
    match open_commitments(suite, slots, values, idx) {
        (true, problems) => (sha(&serde_json::to_vec(p).unwrap_or_default()), problems),
        (false, problems) => (committed_hash, problems),
    }
}

/// Replaces the commitments in `slots` by the clear values of `values` (the entry's
/// `personal_data` rows), or by the erased mark when there are none. True when clear values
/// were put in (the record hash is then the clear record's); mismatches are problems.
fn open_commitments<const N: usize>(
    suite: Suite,
    slots: [(&str, &mut String); N],
    values: Option<&Vec<(String, Vec<u8>, String)>>,
    idx: u64,
) -> (bool, Vec<(String, String)>) {
    let mut problems = Vec::new();
    if !slots[0].1.starts_with(bw_ledger::COMMITMENT_PREFIX) {
        if values.is_some() {
            problems.push((idx.to_string(), "the entry commits to no personal data".to_string()));
        }
        return (false, problems);
    }
    let Some(values) = values else {
        for (_, slot) in slots {
            *slot = crate::personal::REDACTED.into();
        }
        return (false, problems);
    };
    for (field, slot) in slots {
        match values.iter().find(|v| v.0 == field) {
            None => problems.push((format!("{idx}/{field}"), "row missing: the entry commits to it".to_string())),
            Some((_, salt, value)) => {
                let salt: [u8; 32] = salt.as_slice().try_into().unwrap_or([0; 32]);
                if bw_ledger::commitment_text(suite, &salt, value) != *slot {
                    problems.push((
                        format!("{idx}/{field}"),
                        format!("value {value:?} does not match the commitment in entry {idx}"),
                    ));
                }
                *slot = value.clone();
            }
        }
    }
    (true, problems)
}

fn key2(a: &str, b: &str) -> String {
    format!("{a}/{b}")
}

impl Model {
    fn put(&mut self, table: &'static str, key: String, cells: Cells) {
        self.tables.entry(table).or_default().insert(key, cells);
    }

    fn resolve(&self, code: &str, year: i32) -> Option<i32> {
        if self.indicators.contains_key(&(year, code.to_string())) {
            return Some(year);
        }
        match self.indicator_codes.get(code).map(Vec::as_slice) {
            Some([y]) => Some(*y),
            _ => None,
        }
    }

    /// Applies one entry; the data is re-serialised from its typed form, which gives back
    /// the bytes the record hash was taken of.
    fn apply(&mut self, idx: u64, e: &bw_ledger::RawDecoded) -> Result<(), String> {
        let ix = idx.to_string();
        let (action, batch, raw) = (e.action, e.batch, e.data.get());
        // Records are parsed straight into their types; the rare other entries as values.
        let parsed = std::cell::OnceCell::new();
        let data = || parsed.get_or_init(|| serde_json::from_str::<serde_json::Value>(raw).unwrap_or_default());
        fn typed<T: serde::de::DeserializeOwned + serde::Serialize>(raw: &str) -> Result<(T, String), String> {
            let t: T = serde_json::from_str(raw).map_err(|e| format!("data does not parse: {e}"))?;
            let bytes = serde_json::to_vec(&t).map_err(|e| e.to_string())?;
            Ok((t, sha(&bytes)))
        }
        match action {
            Action::UnitAdd => {
                let (n, h): (OrgNode, String) = typed(raw)?;
                self.units.push((n, h, idx));
            }
            Action::ProjectAdd => {
                let (p, h): (Project, String) = typed(raw)?;
                let key = p.project_code.clone();
                self.put("projects", key, texts(projection::project(p, HashCell::Hex(h)), idx));
            }
            Action::IndicatorAdd => {
                let (i, h): (Indicator, String) = typed(raw)?;
                self.indicators.insert((i.year, i.indicator_code.clone()), (0, 0));
                self.indicator_codes.entry(i.indicator_code.clone()).or_default().push(i.year);
                let key = key2(&i.year.to_string(), &i.indicator_code);
                self.put("indicators", key, texts(projection::indicator(i, HashCell::Hex(h)), idx));
            }
            Action::ContractAdd => {
                let (c, h): (Contract, String) = typed(raw)?;
                let year = self
                    .resolve(&c.indicator_code, c.signed_on.year())
                    .ok_or("its indicator is not in the journal before it")?;
                if c.status == ContractStatus::Open
                    && let Some(s) = self.indicators.get_mut(&(year, c.indicator_code.clone()))
                {
                    s.1 += c.amount.fen();
                }
                self.contracts
                    .insert(c.contract_no.clone(), (year, c.indicator_code.clone(), c.amount.fen(), 0, c.status));
                let key = c.contract_no.clone();
                self.put("contracts", key, texts(projection::contract(c, year, HashCell::Hex(h)), idx));
            }
            Action::PaymentRecord => {
                let (mut p, h): (Payment, String) = typed(raw)?;
                let committed = p.payee_name.starts_with(bw_ledger::COMMITMENT_PREFIX);
                let values = self.personal.remove(&(idx as i64));
                let (h, problems) = disclose(self.suite, &mut p, h, values.as_ref(), idx);
                self.personal_problems.extend(problems);
                if committed {
                    if values.is_some() {
                        self.disclosed.insert(idx);
                    } else {
                        self.erased.insert(idx);
                    }
                }
                let year = self
                    .resolve(&p.indicator_code, p.pay_date.year())
                    .ok_or("its indicator is not in the journal before it")?;
                let amount = p.amount.fen();
                *self.volumes.entry((year, "payments")).or_default() += i128::from(amount.unsigned_abs());
                self.count_paid(year, &p.indicator_code, &p.pay_date.month_key(), p.contract_no.as_deref(), amount, 1);
                if let Some(orig) = &p.reverses {
                    *self.refunded.entry(key2(orig, &p.unit_code)).or_default() -= amount;
                }
                let key = key2(&p.voucher_no, &p.unit_code);
                // Payments may be millions: only a digest of each expected row is kept.
                let digest = row_digest(&payment_cells(p, year, h, idx));
                self.payments.insert(key, (idx, year, digest));
            }
            Action::PaymentHold | Action::PaymentRelease | Action::PaymentReject => {
                let (d, _): (crate::hold::HoldData, String) = typed(raw)?;
                let key = key2(&d.voucher_no, &d.unit_code);
                if !self.payments.contains_key(&key) {
                    return Err(format!("{} of payment {key}, which was never recorded", e.action));
                }
                let now = self.holds.get(&key).map(|h| h.0.as_str()).unwrap_or("paid");
                let (from, to, sign) = match e.action {
                    Action::PaymentHold => ("paid", "held", -1),
                    Action::PaymentRelease => ("held", "paid", 1),
                    _ => ("held", "rejected", 0),
                };
                if now != from {
                    return Err(format!("{} of payment {key}, which was {now}", e.action));
                }
                let amount = sign * d.amount.fen();
                if sign != 0 {
                    self.count_paid(d.year, &d.indicator_code, &d.month, d.contract_no.as_deref(), amount, sign);
                }
                self.holds.insert(key, (to.to_string(), d.warning_id));
            }
            Action::ContractMilestoneAdd => {
                let (m, h): (bw_core::records::ContractMilestone, String) = typed(raw)?;
                let amount = self
                    .contracts
                    .get(&m.contract_no)
                    .map(|c| Money::from_fen(c.2))
                    .ok_or("its contract is not in the journal before it")?;
                let key = key2(&m.contract_no, &m.seq.to_string());
                let plan = self.milestone_plans.entry(m.contract_no.clone()).or_default();
                plan.push(m.clone());
                let mut ladder =
                    bw_core::milestone::Ladder::new(amount, plan.iter().map(|m| m.milestone(amount)).collect())
                        .map_err(|e| format!("a plan the import refuses: {e}"))?;
                if let Some(old) = self.ladders.get(&m.contract_no) {
                    ladder.progress.extend(old.progress.clone());
                }
                self.ladders.insert(m.contract_no.clone(), ladder);
                let resolved = m.amount_in(amount);
                self.put(
                    "contract_milestones",
                    key,
                    texts(projection::contract_milestone(m, resolved, HashCell::Hex(h)), idx),
                );
            }
            Action::MilestoneSubmit | Action::MilestoneVerify | Action::MilestoneDispute | Action::MilestoneResolve => {
                let d: crate::milestones::ActionData = serde_json::from_str(e.data.get()).map_err(|e| e.to_string())?;
                let ladder = self.ladders.get_mut(&d.contract_no).ok_or("on a contract without milestones")?;
                let verified = crate::milestones::apply(ladder, e.action, &e.actor, &d)
                    .map_err(|err| format!("an action the rule refuses: {err} ({})", err.code()))?;
                let progress = ladder.progress.get(&d.seq).cloned().unwrap_or_default();
                let key = key2(&d.contract_no, &d.seq.to_string());
                if verified {
                    self.milestone_verified.insert(key.clone(), idx as i64);
                }
                let row = crate::milestones::progress_row(&progress, self.milestone_verified.get(&key).copied());
                self.put("milestone_progress", key, row);
            }
            Action::RevenueRecord => {
                let (r, h): (Revenue, String) = typed(raw)?;
                *self.volumes.entry((r.date.year(), "revenues")).or_default() +=
                    i128::from(r.amount.fen().unsigned_abs());
                *self
                    .revenue_months
                    .entry(format!("{}/{}/{}/{}", r.date.year(), r.region_code, r.revenue_code, r.date.month_key()))
                    .or_default() += r.amount.fen();
                let key = r.record_no.clone();
                self.put("revenues", key, texts(projection::revenue(r, HashCell::Hex(h)), idx));
            }
            Action::StaffAdd => {
                let (mut m, h): (bw_core::records::StaffMember, String) = typed(raw)?;
                let values = self.personal.remove(&(idx as i64));
                let committed = m.name.starts_with(bw_ledger::COMMITMENT_PREFIX);
                let slots = [("name", &mut m.name), ("bank_account", &mut m.bank_account), ("phone", &mut m.phone)];
                let (opened, problems) = open_commitments(self.suite, slots, values.as_ref(), idx);
                self.personal_problems.extend(problems);
                if committed {
                    if opened {
                        self.disclosed.insert(idx);
                    } else {
                        self.erased.insert(idx);
                    }
                }
                let h = if opened { sha(&serde_json::to_vec(&m).unwrap_or_default()) } else { h };
                let key = key2(&m.unit_code, &m.id_hash);
                self.put("staff", key, texts(projection::staff(m, HashCell::Hex(h)), idx));
            }
            Action::RevenueTargetSet => {
                let (t, h): (RevenueTarget, String) = typed(raw)?;
                let key = format!("{}/{}/{}", t.year, t.region_code, t.revenue_code);
                self.put("revenue_targets", key, texts(projection::revenue_target(t, HashCell::Hex(h)), idx));
            }
            Action::MacroIndicatorSet => {
                let (m, h): (MacroIndicator, String) = typed(raw)?;
                let key = format!("{}/{}/{}", m.period, m.region_code, m.name);
                self.put("macro_indicators", key, texts(projection::macro_indicator(m, HashCell::Hex(h)), idx));
            }
            Action::CalendarLoad => {
                for y in data()["years"].as_array().ok_or("no years")? {
                    let y = y.as_i64().ok_or("bad year")?;
                    let prefix = format!("{y:04}-");
                    if let Some(days) = self.tables.get_mut("calendar_days") {
                        days.retain(|k, _| !k.starts_with(&prefix));
                    }
                    self.put("calendar_years", y.to_string(), vec![y.to_string(), ix.clone()]);
                }
                for d in data()["days"].as_array().ok_or("no days")? {
                    let f = |i: usize| d[i].as_str().unwrap_or("").to_string();
                    self.put("calendar_days", f(0), vec![f(0), f(1), f(2), ix.clone()]);
                }
            }
            Action::PersonalRedact => {
                let entry = data()["entry"].as_u64().ok_or("no entry")?;
                if !self.erased.remove(&entry) {
                    let detail = if self.disclosed.contains(&entry) {
                        format!("erased by entry {idx}, but the values are still stored")
                    } else {
                        format!("entry {idx} erases the personal data of entry {entry}, which commits to none")
                    };
                    self.personal_problems.push((entry.to_string(), detail));
                }
            }
            a @ (Action::UserAdd
            | Action::UserGrant
            | Action::UserGrantRequest
            | Action::UserGrantApprove
            | Action::UserGrantReject
            | Action::UserRevoke
            | Action::TokenIssue
            | Action::TokenRevoke) => {
                use bw_core::accounts;
                let entry = typed_entry(a, accounts::Entry::decode(a, raw))?;
                if let accounts::Entry::GrantApprove(d) | accounts::Entry::GrantReject(d) = &entry {
                    // Four eyes, as the journal records them: the decider is not the requester.
                    let request = d.request.to_string();
                    let asked = self.tables.get("grant_requests").and_then(|t| t.get(&request));
                    if let Some(cells) = asked
                        && bw_core::access::second_person(&cells[5], &e.actor, &cells[1]).is_err()
                    {
                        return Err(format!(
                            "grant request {request} decided by {}, who asked for it or receives it",
                            e.actor
                        ));
                    }
                }
                self.apply_changes(accounts::project(&entry, idx as i64, &e.actor)?)?;
            }
            a @ (Action::SettingSet
            | Action::WitnessAdd
            | Action::ApprovalOpinion
            | Action::ProjectClassify
            | Action::AuditCaseOpen
            | Action::KeyRegister
            | Action::ProjectStatus
            | Action::WebhookAdd
            | Action::WebhookRemove
            | Action::DocumentAttach) => {
                let entry = typed_entry(a, bw_core::registers::Entry::decode(a, raw))?;
                if let bw_core::registers::Entry::KeyRegister(k) = &entry {
                    // Approvers' opinions later in the log are checked with this key.
                    let verifier = Verifier::parse(&k.key).map_err(|e| format!("an unusable key: {e}"))?;
                    if verifier.name != k.user {
                        return Err(format!("the key is named {:?}, not {:?}", verifier.name, k.user));
                    }
                    self.user_keys.insert(k.user.clone(), verifier);
                }
                self.apply_changes(bw_core::registers::project(&entry, idx as i64, &e.actor))?;
            }
            a @ (Action::FeedbackSubmit | Action::FeedbackModerate | Action::FeedbackAnswer) => {
                let entry = typed_entry(a, bw_core::feedback::Entry::decode(a, raw))?;
                self.apply_changes(bw_core::feedback::project(&entry, idx as i64))?;
            }
            a @ (Action::KpiSet
            | Action::KpiActual
            | Action::EvaluationRecord
            | Action::SatisfactionRecord
            | Action::InterviewSchedule
            | Action::PerformancePublish
            | Action::RollingPlan) => {
                use bw_core::performance::entry;
                let entry = typed_entry(a, entry::Entry::decode(a, raw))?;
                self.apply_changes(entry::project(&entry, idx as i64, &e.actor)?)?;
            }
            a @ (Action::CycleOpen
            | Action::CycleAdvance
            | Action::ControlSet
            | Action::DraftSave
            | Action::WorkflowSet
            | Action::YearClose) => {
                let entry = typed_entry(a, bw_core::cycle::Entry::decode(a, raw))?;
                self.apply_changes(bw_core::cycle::project(&entry, idx as i64, &e.actor))?;
            }
            a @ (Action::WarningRaise
            | Action::WarningUpdate
            | Action::WarningWithdraw
            | Action::WarningEscalate
            | Action::WarningStep
            | Action::TaskOpen
            | Action::TaskUpdate
            | Action::TaskDone
            | Action::InquirySend
            | Action::InquiryAnswer
            | Action::EmergencyOpen
            | Action::EmergencyStep) => {
                let entry = typed_entry(a, warning::Entry::decode(a, raw))?;
                self.apply_changes(warning::project(
                    &entry,
                    warning::Meta { idx: idx as i64, actor: &e.actor, at: &e.at },
                ))?;
            }
            Action::UserPassword => {
                let name = data()["name"].as_str().ok_or("no name")?;
                if !self.tables.get("users").is_some_and(|t| t.contains_key(name)) {
                    return Err(format!("a password for {name:?}, who is no user"));
                }
            }
            Action::SimulationRun => {
                let (run, _): (crate::simulation::Run, String) = typed(raw)?;
                // The result follows from the scenario alone: it is run again.
                let out = bw_forecast::simulate::run(&run.scenario, 2).map_err(|e| format!("simulation.run: {e}"))?;
                let got = crate::simulation::result_sha256(&out);
                if got != run.result_sha256 {
                    return Err(format!(
                        "simulation.run: the scenario gives result {got}, the entry says {}",
                        run.result_sha256
                    ));
                }
                let doc = serde_json::to_string(&run.scenario).map_err(|e| e.to_string())?;
                let by = e.actor.clone();
                self.put(
                    "simulations",
                    ix.clone(),
                    vec![ix.clone(), run.scenario.name.clone(), doc, run.scenario_sha256, run.result_sha256, by, ix],
                );
            }
            Action::InformalRecord => {
                let (r, _): (bw_core::informal::Record, String) = typed(raw)?;
                // Lateness is judged on the time recorded: the entry's own time, and its actor.
                if r.recorded_at.to_string() != e.at || r.recorded_by != e.actor {
                    return Err(format!(
                        "informal.record says it was recorded at {} by {}, the entry at {} by {}",
                        r.recorded_at, r.recorded_by, e.at, e.actor
                    ));
                }
                self.put("informal_records", ix.clone(), crate::informal::row(idx as i64, &r));
            }
            a @ (Action::MatterSubmit
            | Action::MatterOral
            | Action::MatterWritten
            | Action::MatterDecide
            | Action::MatterCollective) => {
                let (act, _): (bw_core::matter::Action, String) = typed(raw)?;
                if act.kind() != a {
                    return Err(format!("entry {a} holds a {} action", act.kind()));
                }
                let id = self
                    .matters
                    .apply(&act, idx as i64, &e.actor)
                    .map_err(|err| format!("{a}: {err} ({})", err.code()))?;
                let doc = serde_json::to_string(&self.matters.matters[&id]).map_err(|e| e.to_string())?;
                self.put("matters", id.to_string(), vec![id.to_string(), doc, ix.clone()]);
            }
            a @ (Action::ReviewOpen
            | Action::ReviewRecord
            | Action::ReviewPlan
            | Action::ReviewApprovePlan
            | Action::ReviewAccept
            | Action::ReviewClose
            | Action::ReviewImport) => {
                let (act, _): (bw_core::review::Action, String) = typed(raw)?;
                if act.kind() != a {
                    return Err(format!("entry {a} holds a {} action", act.kind()));
                }
                let id = self
                    .reviews
                    .apply(&act, idx as i64, &e.actor)
                    .map_err(|err| format!("{a}: {err} ({})", err.code()))?;
                let doc = serde_json::to_string(&self.reviews.reviews[&id]).map_err(|e| e.to_string())?;
                self.put("reviews", id.to_string(), vec![id.to_string(), doc, ix.clone()]);
            }
            a @ (Action::MeetingSchedule
            | Action::MeetingInvite
            | Action::MeetingPack
            | Action::MeetingAddItem
            | Action::MeetingHold
            | Action::MeetingMinutes
            | Action::MeetingApprove
            | Action::MeetingCancel
            | Action::ActionDone
            | Action::ActionCheck
            | Action::ActionEscalate) => {
                let entry: crate::meetings::Entry = serde_json::from_str(e.data.get()).map_err(|e| e.to_string())?;
                if entry.action.kind() != a {
                    return Err(format!("entry {a} holds a {} action", entry.action.kind()));
                }
                let changed = self
                    .board
                    .apply(
                        &entry.action,
                        idx as i64,
                        &e.actor,
                        bw_core::Timestamp::parse(&e.at).ok_or("an unreadable time")?,
                    )
                    .map_err(|err| format!("{a}: {err} ({})", err.code()))?;
                if let bw_core::meeting::Action::Pack { id, sha256, .. } = &entry.action {
                    let pack = entry.pack.as_ref().ok_or("a pack entry without its pack")?;
                    if crate::meetings::pack_digest(pack) != *sha256 {
                        return Err(format!("the pack of meeting {id} does not hash to the SHA-256 it names"));
                    }
                    self.put(
                        "meeting_packs",
                        ix.clone(),
                        vec![ix.clone(), id.to_string(), sha256.clone(), pack.to_string()],
                    );
                }
                for (table, id, doc) in crate::meetings::rows(&self.board, &changed).map_err(|e| e.to_string())? {
                    self.put(table, id.to_string(), vec![id.to_string(), doc, ix.clone()]);
                }
            }
            a @ (Action::RiskAdd
            | Action::RiskAssess
            | Action::RiskTreat
            | Action::RiskAccept
            | Action::RiskReview
            | Action::RiskMatrix
            | Action::RiskMaterialise
            | Action::RiskPropose
            | Action::RiskAdopt
            | Action::RiskReject) => {
                let (act, _): (bw_core::risk::Action, String) = typed(raw)?;
                if act.kind() != a {
                    return Err(format!("entry {a} holds a {} action", act.kind()));
                }
                let changed = self.risks.apply(&act, idx as i64).map_err(|e| format!("{a}: {e}"))?;
                for (id, doc) in crate::risk::rows(&self.risks, &act, &changed).map_err(|e| e.to_string())? {
                    self.put("risk_register", id.to_string(), vec![id.to_string(), doc, ix.clone()]);
                }
            }
            Action::ApprovalSubmit | Action::AdjustmentAuto => {
                let d = data();
                let text = |k: &str| d[k].as_str().map(str::to_string).ok_or(format!("no {k}"));
                if text("kind")? == "adjustment" {
                    let fen = |k: &str| -> Result<String, String> {
                        Ok(Money::parse_yuan(&text(k)?).map_err(|e| e.to_string())?.fen().to_string())
                    };
                    let rule = d["rule"].as_str().map(str::to_string).unwrap_or_else(|| NULL.into());
                    let applied = if action == Action::AdjustmentAuto { ix.clone() } else { NULL.into() };
                    let cells = vec![
                        ix.clone(),
                        d["year"].as_i64().ok_or("no year")?.to_string(),
                        text("indicator_code")?,
                        fen("amount")?,
                        fen("before")?,
                        text("reason")?,
                        text("impact")?,
                        text("alternatives")?,
                        rule,
                        applied,
                        d["reserve"].as_str().map(str::to_string).unwrap_or_else(|| NULL.into()),
                        d["emergency"].as_i64().map(|c| c.to_string()).unwrap_or_else(|| NULL.into()),
                    ];
                    self.put("adjustments", ix.clone(), cells);
                    self.apply_adjustment(d)?;
                }
                let amount = Money::parse_yuan(&text("amount")?).map_err(|e| e.to_string())?.fen().to_string();
                let cells = vec![
                    ix.clone(),
                    text("kind")?,
                    d["year"].as_i64().ok_or("no year")?.to_string(),
                    text("unit_code")?,
                    d["version"].as_i64().ok_or("no version")?.to_string(),
                    amount,
                    text("route")?,
                    e.actor.clone(),
                    text("state")?,
                    text("steps")?,
                    ix.clone(),
                ];
                self.put("approval_items", ix, cells);
            }
            Action::ApprovalDecide | Action::ApprovalEscalate => {
                let d = data();
                let id = d["id"].as_i64().ok_or("no id")?.to_string();
                let (state, steps) = (d["state"].as_str().ok_or("no state")?, d["steps"].as_str().ok_or("no steps")?);
                match self.tables.get_mut("approval_items").and_then(|t| t.get_mut(&id)) {
                    Some(c) => {
                        c[8] = state.to_string();
                        c[9] = steps.to_string();
                        c[10] = ix.clone();
                    }
                    None => return Err(format!("decides approval item {id}, which was never submitted")),
                }
                if d.get("apply").is_some() {
                    match self.tables.get_mut("adjustments").and_then(|t| t.get_mut(&id)) {
                        Some(c) => c[9] = ix,
                        None => return Err(format!("applies adjustment {id}, which was never requested")),
                    }
                    self.apply_adjustment(d)?;
                }
            }
            Action::KeyRotate => {
                let old = data()["old"].as_str().ok_or("no old key")?.to_string();
                let new = data()["new"].as_str().ok_or("no new key")?.to_string();
                self.rotations.push((idx, old, new));
            }
            Action::ImportBatch => {
                let b = batch.ok_or("a batch entry without a batch number")?;
                let data: bw_core::registers::ImportBatch =
                    serde_json::from_str(raw).map_err(|e| format!("data does not parse: {e}"))?;
                let header =
                    bw_core::registers::BatchHeader { batch: b, actor: &e.actor, at: &e.at, reason: &e.reason };
                self.apply_changes(vec![bw_core::registers::batch_row(&data, header)])?;
            }
        }
        Ok(())
    }

    /// The expected row `key` of `table`, which an earlier entry must have put there.
    /// Adds `amount` (and `n` payments) to what an indicator, its month and its contract
    /// count as paid, as a recorded, held or released payment does.
    fn count_paid(&mut self, year: i32, indicator: &str, month: &str, contract: Option<&str>, amount: i64, n: i64) {
        let mut committed_delta = 0;
        if let Some(c) = contract.and_then(|no| self.contracts.get_mut(no)) {
            let before = (c.2 - c.3).max(0);
            c.3 += amount;
            if c.4 == ContractStatus::Open {
                committed_delta = (c.2 - c.3).max(0) - before;
            }
        }
        if let Some(s) = self.indicators.get_mut(&(year, indicator.to_string())) {
            s.0 += amount;
            s.1 += committed_delta;
        }
        let m = self.indicator_months.entry(format!("{year}/{indicator}/{month}")).or_default();
        m.0 += amount;
        m.1 += n;
    }

    /// An approved adjustment's new amount on its indicator (`apply` of the entry's data).
    fn apply_adjustment(&mut self, d: &serde_json::Value) -> Result<(), String> {
        for a in ["apply", "draw"].iter().filter_map(|k| d.get(*k)) {
            self.set_amount(a)?;
        }
        Ok(())
    }

    /// An indicator's amount set by an adjustment (`{year, indicator_code, amount}`).
    fn set_amount(&mut self, a: &serde_json::Value) -> Result<(), String> {
        let year = a["year"].as_i64().ok_or("apply: no year")?.to_string();
        let code = a["indicator_code"].as_str().ok_or("apply: no indicator_code")?;
        let amount = Money::parse_yuan(a["amount"].as_str().ok_or("apply: no amount")?).map_err(|e| e.to_string())?;
        match self.tables.get_mut("indicators").and_then(|t| t.get_mut(&key2(&year, code))) {
            Some(c) => {
                c[9] = amount.fen().to_string();
                Ok(())
            }
            None => Err(format!("adjusts indicator {code} of {year}, which does not exist")),
        }
    }

    /// Applies an entry's projection (`bw_core::projection::Change`) to the rows the replay
    /// expects: the rows its writer wrote, spelled by the same function.
    fn apply_changes(&mut self, changes: Changes) -> Result<(), String> {
        let key_of = |cells: &[Cell]| cells.iter().cloned().map(cell_text).collect::<Vec<_>>().join("/");
        for change in changes {
            match change {
                Change::Insert { table, cells } | Change::Put { table, cells } => {
                    let key = key_of(&cells[..table.key_len]);
                    self.put(table.name, key, cells.into_iter().map(cell_text).collect());
                }
                Change::Update { table, key, set, expect } => {
                    let k = key_of(&key);
                    let row = self
                        .row_mut(table.name, &k, || format!("changes {} {k}, which was never written", table.name))?;
                    for (column, value) in expect {
                        let at = table.position(column).ok_or_else(|| format!("{} has no {column}", table.name))?;
                        let value = cell_text(value);
                        if row[at] != value {
                            return Err(format!(
                                "changes {} {k} from {column} {value:?}, but it was {:?}",
                                table.name, row[at]
                            ));
                        }
                    }
                    for (column, value) in set {
                        let at = table.position(column).ok_or_else(|| format!("{} has no {column}", table.name))?;
                        row[at] = cell_text(value);
                    }
                }
                Change::Delete { table, key, required } => {
                    let k = key_of(&key);
                    let whole = key.len() == table.key_len;
                    let rows = self.tables.entry(table.name).or_default();
                    let before = rows.len();
                    if whole {
                        rows.remove(&k);
                    } else {
                        let prefix = format!("{k}/");
                        rows.retain(|r, _| !r.starts_with(&prefix));
                    }
                    if required && rows.len() == before {
                        return Err(format!("removes {} {k}, which is not there", table.name));
                    }
                }
            }
        }
        Ok(())
    }

    fn row_mut(&mut self, table: &str, key: &str, missing: impl FnOnce() -> String) -> Result<&mut Cells, String> {
        self.tables.get_mut(table).and_then(|t| t.get_mut(key)).ok_or_else(missing)
    }

    /// An approval must carry its approver's signature by the key registered at that point,
    /// the approver must be the entry's actor, and the entry it is on must be the one whose
    /// leaf hash it names. Other entries must carry no approver field.
    fn check_seal(&self, idx: u64, entry: &[u8], e: &bw_ledger::RawDecoded, leaves: &[Hash]) -> Result<(), String> {
        let sealed = crate::journal::unseal(entry);
        if !e.action.sealable() {
            return match sealed {
                Some(_) => Err("carries an approver signature it should not have".into()),
                None => Ok(()),
            };
        }
        let (signed, user, signature) = sealed.ok_or("an approval without its approver's signature")?;
        // A budget decision's actor is the account (`user:NAME`); an opinion's the name.
        if user != e.actor.strip_prefix("user:").unwrap_or(&e.actor) {
            return Err(format!("signed by {user:?}, but the actor is {:?}", e.actor));
        }
        let key = self.user_keys.get(&user).ok_or_else(|| format!("{user:?} has no registered key before it"))?;
        if !key.verifies(&signed, &signature) {
            return Err(format!("the signature is not {user:?}'s (entry altered or forged)"));
        }
        if e.action != Action::ApprovalOpinion {
            return Ok(());
        }
        let data: serde_json::Value = serde_json::from_str(e.data.get()).map_err(|e| e.to_string())?;
        let target = data["entry"].as_u64().ok_or("names no entry")?;
        let named = data["leaf"].as_str().unwrap_or("");
        match leaves.get(target as usize).filter(|_| target < idx) {
            Some(leaf) if hex(leaf) == named => Ok(()),
            Some(_) => Err(format!("names a leaf hash entry {target} does not have")),
            None => Err(format!("is on entry {target}, which does not precede it")),
        }
    }

    /// Projections that need the whole journal (the tree's regions, the aggregates).
    fn finish(&mut self) {
        let mut tree = OrgTree::new();
        for (n, _, _) in &self.units {
            tree.insert_trusted(n.clone());
        }
        let units = std::mem::take(&mut self.units);
        for (n, h, idx) in units {
            let region = tree.region_of(&n.code).map(|r| r.code.clone());
            let department = tree.department_of(&n.code).map(|r| r.code.clone());
            let key = n.code.clone();
            self.put("units", key, texts(projection::unit(n, region, department, HashCell::Hex(h)), idx));
        }
        let aggregates: Vec<(String, Cells)> = self
            .indicators
            .iter()
            .map(|((y, c), (paid, committed))| (key2(&y.to_string(), c), vec![paid.to_string(), committed.to_string()]))
            .collect();
        for (k, v) in aggregates {
            self.put("indicators.balance", k, v);
        }
        let months: Vec<(String, Cells)> =
            self.indicator_months.iter().map(|(k, (p, n))| (k.clone(), vec![p.to_string(), n.to_string()])).collect();
        for (k, v) in months {
            self.put("indicator_months", k, v);
        }
        let rev: Vec<(String, Cells)> =
            self.revenue_months.iter().map(|(k, a)| (k.clone(), vec![a.to_string()])).collect();
        for (k, v) in rev {
            self.put("revenue_months", k, v);
        }
        let volumes: Vec<(String, Cells)> =
            self.volumes.iter().map(|((y, k), g)| (format!("{y}/{k}"), vec![g.to_string()])).collect();
        for (k, v) in volumes {
            self.put("volumes", k, v);
        }
        let contracts: Vec<(String, Cells)> =
            self.contracts.iter().map(|(k, c)| (k.clone(), vec![c.3.to_string()])).collect();
        for (k, v) in contracts {
            self.put("contracts.paid", k, v);
        }
        let refunded: Vec<(String, Cells)> =
            self.refunded.iter().filter(|(_, v)| **v != 0).map(|(k, v)| (k.clone(), vec![v.to_string()])).collect();
        for (k, v) in refunded {
            self.put("payments.refunded", k, v);
        }
        // A hold without a warning is a milestone hold, its reason in `hold_reason`.
        let holds: Vec<(String, Cells)> = self
            .holds
            .iter()
            .map(|(k, (s, w))| {
                let (warning, reason) = match *w {
                    0 => (NULL.to_string(), crate::hold::MILESTONE_NOT_VERIFIED.to_string()),
                    w => (w.to_string(), NULL.to_string()),
                };
                (k.clone(), vec![s.clone(), warning, reason])
            })
            .collect();
        for (k, v) in holds {
            self.put("payments.status", k, v);
        }
    }
}

/// (projection name, SQL giving key then columns, column names).
const PROJECTIONS: &[(&str, &str, &[&str])] = &[
    (
        "units",
        "SELECT code, code, name, parent_code, kind, level, region_code, department_code, record_hash, journal_idx FROM units",
        crate::import::table_of(Kind::Units).1,
    ),
    (
        "projects",
        "SELECT project_code, project_code, name, unit_code, category, start_year, end_year, total_amount, status, expires_on, record_hash, journal_idx FROM projects",
        crate::import::table_of(Kind::Projects).1,
    ),
    (
        "indicators",
        "SELECT CAST(year AS TEXT) || '/' || indicator_code, year, indicator_code, unit_code, project_code, functional_code, economic_code, gov_economic_code, fund_source, special, amount, control, record_hash, journal_idx FROM indicators",
        crate::import::table_of(Kind::Indicators).1,
    ),
    (
        "indicators.balance",
        "SELECT CAST(year AS TEXT) || '/' || indicator_code, paid, committed_unpaid FROM indicators",
        &["paid", "committed_unpaid"],
    ),
    (
        "indicator_months",
        "SELECT CAST(year AS TEXT) || '/' || indicator_code || '/' || month, paid, payments FROM indicator_months",
        &["paid", "payments"],
    ),
    (
        "contracts",
        "SELECT contract_no, contract_no, unit_code, year, indicator_code, supplier_name, supplier_account, amount, signed_on, ends_on, status, record_hash, journal_idx FROM contracts",
        crate::import::table_of(Kind::Contracts).1,
    ),
    ("contracts.paid", "SELECT contract_no, paid FROM contracts", &["paid"]),
    (
        "payments.refunded",
        "SELECT voucher_no || '/' || unit_code, refunded FROM payments WHERE refunded <> 0",
        &["refunded"],
    ),
    (
        "payments.status",
        "SELECT voucher_no || '/' || unit_code, status, hold_warning, hold_reason FROM payments \
         WHERE hold_warning IS NOT NULL OR hold_reason IS NOT NULL OR status <> 'paid'",
        &["status", "hold_warning", "hold_reason"],
    ),
    (
        "revenues",
        "SELECT record_no, record_no, date, year, region_code, revenue_code, amount, record_hash, journal_idx FROM revenues",
        crate::import::table_of(Kind::Revenues).1,
    ),
    (
        "revenue_months",
        "SELECT CAST(year AS TEXT) || '/' || region_code || '/' || revenue_code || '/' || month, amount FROM revenue_months",
        &["amount"],
    ),
    ("volumes", "SELECT CAST(year AS TEXT) || '/' || kind, gross FROM volumes", &["gross"]),
    (
        "revenue_targets",
        "SELECT CAST(year AS TEXT) || '/' || region_code || '/' || revenue_code, year, region_code, revenue_code, amount, record_hash, journal_idx FROM revenue_targets",
        crate::import::table_of(Kind::RevenueTargets).1,
    ),
    ("meetings", "SELECT CAST(id AS TEXT), id, doc, journal_idx FROM meetings", &["id", "doc", "journal_idx"]),
    ("reviews", "SELECT CAST(id AS TEXT), id, doc, journal_idx FROM reviews", &["id", "doc", "journal_idx"]),
    ("matters", "SELECT CAST(id AS TEXT), id, doc, journal_idx FROM matters", &["id", "doc", "journal_idx"]),
    ("action_items", "SELECT CAST(id AS TEXT), id, doc, journal_idx FROM action_items", &["id", "doc", "journal_idx"]),
    (
        "meeting_packs",
        "SELECT CAST(journal_idx AS TEXT), journal_idx, meeting_id, sha256, pack FROM meeting_packs",
        &["journal_idx", "meeting_id", "sha256", "pack"],
    ),
    (
        "contract_milestones",
        "SELECT contract_no || '/' || CAST(seq AS TEXT), contract_no, seq, name, kind, amount, share_permille, criterion, \
         verifiers, depends_on, pro_rata, due_date, retention_days, record_hash, journal_idx FROM contract_milestones",
        crate::import::table_of(Kind::ContractMilestones).1,
    ),
    (
        "milestone_progress",
        "SELECT contract_no || '/' || CAST(seq AS TEXT), verified_permille, claim, disputed, verified_entry FROM milestone_progress",
        &["verified_permille", "claim", "disputed", "verified_entry"],
    ),
    (
        "informal_records",
        "SELECT CAST(id AS TEXT), id, occurred_at, recorded_at, recorded_by, channel, participants, purpose, conclusion, \
         year, indicator_code, project_code, late, journal_idx FROM informal_records",
        &[
            "id",
            "occurred_at",
            "recorded_at",
            "recorded_by",
            "channel",
            "participants",
            "purpose",
            "conclusion",
            "year",
            "indicator_code",
            "project_code",
            "late",
            "journal_idx",
        ],
    ),
    (
        "macro_indicators",
        "SELECT period || '/' || region_code || '/' || name, period, year, region_code, name, value, record_hash, journal_idx FROM macro_indicators",
        crate::import::table_of(Kind::MacroIndicators).1,
    ),
    (
        "adjustments",
        "SELECT CAST(item_id AS TEXT), item_id, year, indicator_code, delta, before_amount, reason, impact, alternatives, rule, applied_idx, source_code, emergency_id FROM adjustments",
        &[
            "item_id",
            "year",
            "indicator_code",
            "delta",
            "before_amount",
            "reason",
            "impact",
            "alternatives",
            "rule",
            "applied_idx",
            "source_code",
            "emergency_id",
        ],
    ),
    (
        "approval_items",
        "SELECT CAST(id AS TEXT), id, kind, year, unit_code, version, amount, route, prepared_by, state, steps, journal_idx FROM approval_items",
        &[
            "id",
            "kind",
            "year",
            "unit_code",
            "version",
            "amount",
            "route",
            "prepared_by",
            "state",
            "steps",
            "journal_idx",
        ],
    ),
    (
        "simulations",
        "SELECT CAST(id AS TEXT), id, name, scenario, scenario_sha256, result_sha256, run_by, journal_idx FROM simulations",
        &["id", "name", "scenario", "scenario_sha256", "result_sha256", "run_by", "journal_idx"],
    ),
    (
        "risk_register",
        "SELECT CAST(id AS TEXT), id, doc, journal_idx FROM risk_register",
        &["id", "doc", "journal_idx"],
    ),
    (
        "staff",
        "SELECT unit_code || '/' || id_hash, unit_code, id_hash, name, bank_account, phone, record_hash, journal_idx FROM staff",
        crate::import::table_of(Kind::Staff).1,
    ),
    ("calendar_years", "SELECT CAST(year AS TEXT), year, journal_idx FROM calendar_years", &["year", "journal_idx"]),
    (
        "calendar_days",
        "SELECT date, date, kind, name, journal_idx FROM calendar_days",
        &["date", "kind", "name", "journal_idx"],
    ),
];

/// The tables written from typed entries' projections (`bw_core::projection::Change`),
/// read back by the columns their `Table` names.
const PROJECTED: &[&[&bw_core::projection::Table]] = &[
    &warning::TABLES,
    &bw_core::cycle::TABLES,
    &bw_core::performance::entry::TABLES,
    &bw_core::accounts::TABLES,
    &bw_core::feedback::TABLES,
    &bw_core::registers::TABLES,
];

/// Payments are compared page by page in key order (they may be millions).
const PAYMENTS_SQL: &str = "SELECT voucher_no || '/' || unit_code, unit_code, voucher_no, pay_date, year, indicator_code, economic_code, payee_name, payee_account, payee_type, amount, summary, invoice_no, contract_no, reverses, invoice_key, record_hash, journal_idx FROM payments";
const PAYMENT_COLUMNS: &[&str] = crate::import::table_of(Kind::Payments).1;

fn compare_row(f: &mut Failures, table: &str, key: &str, columns: &[&str], stored: &Cells, expected: &Cells) {
    for (i, col) in columns.iter().enumerate() {
        let (s, e) =
            (stored.get(i).map(String::as_str).unwrap_or("?"), expected.get(i).map(String::as_str).unwrap_or("?"));
        if s != e {
            f.row(table, key, Some(col), format!("table has {s:?}, the journal says {e:?}"));
        }
    }
}

fn compare_table(
    f: &mut Failures,
    table: &str,
    columns: &[&str],
    rows: &[AnyRow],
    expected: &mut BTreeMap<String, Cells>,
) -> u64 {
    let mut n = 0;
    for row in rows {
        n += 1;
        let key = cell(row, 0);
        let stored: Cells = (1..=columns.len()).map(|i| cell(row, i)).collect();
        match expected.remove(&key) {
            Some(e) => compare_row(f, table, &key, columns, &stored, &e),
            None => f.row(table, &key, None, "row has no journal entry".into()),
        }
    }
    n
}

/// Reads the payments table page by page in key order as (key, row digest), on its own
/// task so it runs beside the journal replay.
async fn scan_payments(pool: sqlx::AnyPool) -> Result<Vec<(String, u128)>, StoreError> {
    let mut out = Vec::new();
    let mut after = (String::new(), String::new());
    loop {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{PAYMENTS_SQL} WHERE (voucher_no > $1 OR (voucher_no = $1 AND unit_code > $2)) ORDER BY voucher_no, unit_code LIMIT 20000"
        )))
        .bind(after.0.clone())
        .bind(after.1.clone())
        .fetch_all(&pool)
        .await?;
        let Some(last) = rows.last() else { break };
        after = (last.try_get(2)?, last.try_get(1)?);
        for row in &rows {
            let (key, cells) = payment_row(row)?;
            out.push((key, row_digest(&cells)));
        }
    }
    Ok(out)
}

/// A payments row as cells, read with the column types the schema gives (no guessing).
fn payment_row(row: &AnyRow) -> Result<(String, Cells), StoreError> {
    let text = |i: usize| -> Result<String, StoreError> {
        Ok(row.try_get::<Option<String>, _>(i)?.unwrap_or_else(|| NULL.into()))
    };
    let int = |i: usize| -> Result<String, StoreError> { Ok(row.try_get::<i64, _>(i)?.to_string()) };
    let key = text(0)?;
    let hash: Vec<u8> = row.try_get(16)?;
    let cells = vec![
        text(1)?,
        text(2)?,
        text(3)?,
        int(4)?,
        text(5)?,
        text(6)?,
        text(7)?,
        text(8)?,
        text(9)?,
        int(10)?,
        text(11)?,
        text(12)?,
        text(13)?,
        text(14)?,
        text(15)?,
        hex(&hash),
        int(17)?,
    ];
    Ok((key, cells))
}

async fn stored_payment(pool: &sqlx::AnyPool, key: &str) -> Result<Cells, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!("{PAYMENTS_SQL} WHERE voucher_no || '/' || unit_code = $1")))
        .bind(key.to_string())
        .fetch_one(pool)
        .await?;
    Ok(payment_row(&row)?.1)
}

/// What `verify` trusts, from outside the database it checks.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// The log's verifier key: from the installation's key file, or given (`--key`).
    pub key: String,
    /// Witnesses' cosignature keys whose cosignatures are required (`--witness`).
    pub witnesses: Vec<String>,
    /// The last checkpoint the installation's key is known to have signed, kept beside
    /// the key: the journal must still extend it (a consistently truncated log has no
    /// other trace).
    pub head: Option<Checkpoint>,
}

fn failure(check: &'static str, index: Option<u64>, key: Option<String>, detail: String) -> Failure {
    Failure { check, index, table: None, key, column: None, detail }
}

pub async fn verify(store: &Store, trust: &Trust) -> Result<Report, StoreError> {
    let pool = store.pool();
    let payments_scan = tokio::spawn(scan_payments(pool.clone()));
    let mut f = Failures::default();
    let suite = store.suite();
    let mut tree = MemoryTree::new(suite);
    let mut model = Model { personal: load_personal(pool, None).await?, suite, ..Model::default() };
    // 1. Entries: dense indexes, leaf hashes, decodable, replayed. The next page is read and
    // its leaves hashed on another core while this one is replayed.
    let mut timings = Timings::default();
    let fetch = |from: i64| {
        let pool = pool.clone();
        tokio::spawn(async move {
            let rows = sqlx::query("SELECT idx, leaf_hash, entry FROM journal WHERE idx >= $1 ORDER BY idx LIMIT $2")
                .bind(from)
                .bind(ENTRY_PAGE_ROWS)
                .fetch_all(&pool)
                .await?;
            let rows = rows
                .iter()
                .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<Vec<u8>, _>(1)?, r.try_get::<Vec<u8>, _>(2)?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            let t = std::time::Instant::now();
            let leaves: Vec<Hash> = rows.iter().map(|r| suite.leaf(&r.2)).collect();
            Ok::<_, StoreError>((rows, leaves, t.elapsed().as_secs_f64()))
        })
    };
    let mut next: i64 = 0;
    let mut pending = fetch(0);
    loop {
        let t = std::time::Instant::now();
        let (rows, leaves, hashing) =
            pending.await.map_err(|e| StoreError::Journal(format!("journal read: {e}")))??;
        timings.read += t.elapsed().as_secs_f64();
        timings.merkle += hashing;
        let Some(last) = rows.last().map(|r| r.0) else { break };
        pending = fetch(last + 1);
        let t = std::time::Instant::now();
        for ((idx, stored, _), computed) in rows.iter().zip(&leaves) {
            while next < *idx {
                f.entry(next as u64, "missing: the journal skips this index (deleted entry)".into());
                next += 1;
            }
            if stored.as_slice() != computed {
                f.entry(
                    *idx as u64,
                    format!(
                        "stored leaf hash {} but the entry hashes to {} (entry or hash altered)",
                        hex(stored),
                        hex(computed)
                    ),
                );
            }
            tree.push(*computed);
            next = idx + 1;
        }
        timings.merkle += t.elapsed().as_secs_f64();
        let t = std::time::Instant::now();
        for (idx, _, entry) in &rows {
            match bw_ledger::decode_raw(entry) {
                Ok(e) => {
                    if let Err(msg) = model.check_seal(*idx as u64, entry, &e, tree.level(0)) {
                        f.entry(*idx as u64, format!("{} entry: {msg}", e.action));
                    }
                    if let Err(msg) = model.apply(*idx as u64, &e) {
                        f.entry(*idx as u64, format!("{} entry: {msg}", e.action));
                    }
                }
                Err(e) => f.entry(*idx as u64, format!("not a journal entry: {e}")),
            }
        }
        timings.replay += t.elapsed().as_secs_f64();
    }
    let t = std::time::Instant::now();
    let size = tree.size();
    let head: i64 = sqlx::query("SELECT size FROM journal_head WHERE id = 1").fetch_one(pool).await?.try_get(0)?;
    if head as u64 != size {
        f.push(failure("journal", None, None, format!("the journal head says {head} entries, {size} are stored")));
    }
    let tiled: i64 = sqlx::query("SELECT tiled FROM journal_head WHERE id = 1").fetch_one(pool).await?.try_get(0)?;
    if tiled as u64 != size {
        f.push(failure(
            "journal",
            None,
            None,
            format!("the journal head says {tiled} entries are tiled, {size} are stored"),
        ));
    }
    let root = merkle::root(&mut tree, size).unwrap_or_default();
    timings.merkle += t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    // 2. Tiles.
    let mut want: HashMap<(u32, u64), Vec<Hash>> =
        merkle::tiles_touched(&tree, 0, size).into_iter().map(|(l, i, h)| ((l, i), h)).collect();
    for r in sqlx::query("SELECT level, idx, hashes FROM merkle_tiles").fetch_all(pool).await? {
        let (l, i, h): (i64, i64, Vec<u8>) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        let stored: Vec<u8> = h;
        match want.remove(&(l as u32, i as u64)) {
            Some(w) if w.concat() == stored => {}
            _ => f.push(Failure {
                check: "tile",
                index: None,
                table: Some("merkle_tiles".into()),
                key: Some(format!("{l}/{i}")),
                column: None,
                detail: "differs from the tree of the stored entries".into(),
            }),
        }
    }
    for (l, i) in want.keys() {
        f.push(Failure {
            check: "tile",
            index: None,
            table: Some("merkle_tiles".into()),
            key: Some(format!("{l}/{i}")),
            column: None,
            detail: "missing".into(),
        });
    }
    // 3. The trust anchor and the checkpoints. The key comes from outside the database;
    // `meta` must agree with it, every checkpoint must verify with the key of its time,
    // and the latest must cover the whole journal.
    let chain = crate::ledger::KeyChain::new(&trust.key, &model.rotations);
    for (idx, detail) in &chain.problems {
        f.push(failure("key", Some(*idx), None, detail.clone()));
    }
    let current = chain.current().to_string();
    if bw_ledger::note::PUBLISHED_KEYS.contains(&current.as_str()) {
        f.push(failure(
            "key",
            None,
            None,
            format!("the log's key {current} was published (anyone can sign with it): rotate it (ledger rotate-key)"),
        ));
    }
    if !chain.contains(&trust.key) {
        f.push(failure(
            "key",
            None,
            None,
            format!("the installation's key {} is not this log's (its key is {current})", trust.key),
        ));
    }
    match store.meta("verifier_key").await? {
        Some(k) if k == current => {}
        Some(k) => f.push(failure(
            "key",
            None,
            Some("meta.verifier_key".into()),
            format!("the database records the verifier key {k}, not the log's {current}"),
        )),
        None if size == 0 => {}
        None => f.push(failure("key", None, Some("meta.verifier_key".into()), "no verifier key is recorded".into())),
    }
    let origin = current.split('+').next().unwrap_or_default().to_string();
    match store.meta("origin").await? {
        Some(o) if o == origin => {}
        None if size == 0 => {}
        o => f.push(failure(
            "key",
            None,
            Some("meta.origin".into()),
            format!("the database records the origin {}, not the log's {origin}", o.unwrap_or_else(|| "(none)".into())),
        )),
    }
    let cps = sqlx::query("SELECT size, root, note, at, published_at, published_sig FROM checkpoints ORDER BY size")
        .fetch_all(pool)
        .await?;
    let checkpoints = cps.len() as u64;
    let mut bodies: HashMap<i64, String> = HashMap::new();
    let mut published: HashMap<i64, bw_core::Timestamp> = HashMap::new();
    let mut last_published = None::<(i64, bw_core::Timestamp)>;
    let (mut latest, mut last_era) = (0, None);
    for r in cps {
        let (cp_size, cp_root, note): (i64, Vec<u8>, String) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        let (at, published_at): (String, Option<String>) = (r.try_get(3)?, r.try_get(4)?);
        let published_sig: Option<String> = r.try_get(5)?;
        latest = cp_size;
        let fail = |detail: String| failure("checkpoint", Some(cp_size as u64), None, detail);
        // A publication carries the log key's signature over its size and time.
        match (&published_at, &published_sig) {
            (None, None) => {}
            (Some(_), None) => f.push(fail("its publication is not signed by the log's key".into())),
            (None, Some(_)) => f.push(fail("its signed publication was erased (published_at cleared)".into())),
            (Some(p), Some(sig)) => {
                let body = crate::witness::publication_text(&origin, cp_size, p);
                let signed = chain.keys_all().iter().any(|k| {
                    Verifier::parse(k).ok().and_then(|v| v.open(sig).ok().map(str::to_string)).as_deref()
                        == Some(body.as_str())
                });
                if !signed {
                    f.push(fail(format!("published at {p}, which is not the publication the log's key signed")));
                }
            }
        }
        match bw_core::Timestamp::parse(&at) {
            None => f.push(fail(format!("its time {at:?} is not a time"))),
            Some(t) => {
                // Commits are dated when their command began, so a long import's checkpoint
                // may be dated before a smaller one: only publication is ordered.
                if let Some(p) = &published_at {
                    match bw_core::Timestamp::parse(p) {
                        None => f.push(fail(format!("its publication time {p:?} is not a time"))),
                        Some(pt) if pt < t => f.push(fail(format!("published at {p}, before it was signed ({at})"))),
                        Some(pt) => {
                            if let Some((s, prev)) = last_published
                                && pt < prev
                            {
                                f.push(fail(format!(
                                    "published at {p}, before the smaller checkpoint of {s} entries ({prev})"
                                )));
                            }
                            last_published = Some((cp_size, pt));
                            published.insert(cp_size, pt);
                        }
                    }
                }
            }
        }
        // The key of its time, and the key rotated from as well on a rotation's first one.
        let era = chain.era(cp_size as u64);
        let cp = match crate::ledger::open_with_all(&note, &chain.keys(era, last_era != Some(era))) {
            Ok(cp) => cp,
            Err(e) => {
                last_era = Some(era);
                f.push(fail(e));
                continue;
            }
        };
        last_era = Some(era);
        bodies.insert(cp_size, cp.text());
        if cp.size != cp_size as u64 || cp.root.as_slice() != cp_root.as_slice() {
            f.push(fail("the signed note and the stored size or root disagree".into()));
        }
        if cp.size > size {
            f.push(fail(format!("signed for {} entries but the journal has {size}: entries were removed", cp.size)));
        } else if merkle::root(&mut tree, cp.size).ok() != Some(cp.root) {
            f.push(fail("its root is not the root of the stored journal at that size: history was rewritten".into()));
        }
    }
    if let Some(kept) = &trust.head {
        let detail = if kept.size > size {
            Some(format!(
                "the installation's key signed a checkpoint of {} entries but the journal holds {size}: entries were removed",
                kept.size
            ))
        } else if merkle::root(&mut tree, kept.size).ok() != Some(kept.root) {
            Some(format!(
                "the first {} entries are not the ones the installation's key signed (its kept checkpoint): history was rewritten",
                kept.size
            ))
        } else {
            None
        };
        if let Some(detail) = detail {
            f.push(failure("checkpoint", Some(kept.size), Some("kept".into()), detail));
        }
    }
    if size > 0 && (latest as u64) < size {
        f.push(failure(
            "checkpoint",
            None,
            None,
            if latest == 0 {
                format!("no signed checkpoint covers the journal's {size} entries")
            } else {
                format!("the latest signed checkpoint covers {latest} of the journal's {size} entries: the rest were never signed")
            },
        ));
    }
    for idx in std::mem::take(&mut model.erased) {
        model.personal_problems.push((
            idx.to_string(),
            format!("the personal values entry {idx} commits to are missing and no erasure is journaled"),
        ));
    }
    for (idx, rows) in std::mem::take(&mut model.personal) {
        for (field, _, _) in rows {
            model.personal_problems.push((format!("{idx}/{field}"), "row has no journal entry".into()));
        }
    }
    for (key, detail) in std::mem::take(&mut model.personal_problems) {
        f.row("personal_data", &key, None, detail);
    }
    // 4. Cosignatures, by the witnesses the journal registers.
    let witnesses: HashMap<String, String> = model
        .tables
        .get("witnesses")
        .map(|t| t.iter().map(|(k, c)| (k.clone(), c.get(1).cloned().unwrap_or_default())).collect())
        .unwrap_or_default();
    let mut cosigned: HashMap<String, (i64, u64)> = HashMap::new();
    for r in sqlx::query("SELECT size, witness, line FROM cosignatures ORDER BY size, witness").fetch_all(pool).await? {
        let (cp_size, name, line): (i64, String, String) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        let problem = match (witnesses.get(&name), bodies.get(&cp_size)) {
            (None, _) => Some(format!("by {name}, who is not a registered witness")),
            (_, None) => Some(format!("by {name} for a checkpoint the log does not hold (or whose signature failed)")),
            (Some(key), Some(body)) => match CosignatureVerifier::parse(key) {
                Err(e) => Some(format!("by {name}: the registered key is unusable: {e}")),
                Ok(v) => match v.verify_line(body, &line) {
                    Err(e) => Some(format!("by {name} does not verify: {e}")),
                    // A witness only ever moves forward: a larger tree is cosigned later.
                    Ok(time) => match cosigned.insert(name.clone(), (cp_size, time)) {
                        Some((s, t)) if t > time => {
                            Some(format!("by {name} at {time}, earlier than its cosignature of {s} entries (at {t})"))
                        }
                        _ if !published.contains_key(&cp_size) => {
                            Some(format!("by {name} for a checkpoint whose publication is not recorded"))
                        }
                        _ => None,
                    },
                },
            },
        };
        if let Some(detail) = problem {
            f.push(failure("cosignature", Some(cp_size as u64), Some(name), detail));
        }
    }
    // Required witnesses: registered with the same key, and cosigning this log.
    for wkey in &trust.witnesses {
        let name = wkey.split('+').next().unwrap_or_default().to_string();
        let detail = match (CosignatureVerifier::parse(wkey), witnesses.get(&name)) {
            (Err(e), _) => Some(format!("the required witness key is unusable: {e}")),
            (Ok(_), None) => Some("a required witness that the journal does not register".into()),
            (Ok(v), Some(k)) if k != v.as_str() => Some(format!("registered with another key ({k})")),
            (Ok(_), Some(_)) => match cosigned.get(&name) {
                None => Some("a required witness that has cosigned no checkpoint of this log".into()),
                Some(_) => None,
            },
        };
        if let Some(detail) = detail {
            f.push(failure("cosignature", None, Some(name), detail));
        }
    }
    timings.checkpoints = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    // 5. Projections.
    model.finish();
    let mut rows_checked = 0;
    // The tables written from `project` are read by the columns their `Table` names.
    let projected = PROJECTED.iter().flat_map(|ts| ts.iter()).map(|t| {
        let key: Vec<String> = t.key().iter().map(|c| format!("CAST({c} AS TEXT)")).collect();
        let sql = format!("SELECT {}, {} FROM {}", key.join(" || '/' || "), t.columns.join(", "), t.name);
        (t.name, sql, t.columns)
    });
    for (table, sql, columns) in PROJECTIONS.iter().map(|(t, s, c)| (*t, s.to_string(), *c)).chain(projected) {
        let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(pool).await?;
        let mut expected = model.tables.remove(table).unwrap_or_default();
        rows_checked += compare_table(&mut f, table, columns, &rows, &mut expected);
        for key in expected.keys() {
            f.row(table, key, None, "row missing: the journal records it".into());
        }
    }
    // A document's bytes against the hash its entry recorded.
    for (id, detail) in crate::documents::damaged(store).await.map_err(|e| StoreError::Journal(e.to_string()))? {
        f.row("documents", &id.to_string(), Some("content"), detail);
    }
    let mut expected = std::mem::take(&mut model.payments);
    let stored_payments = payments_scan.await.map_err(|e| StoreError::Journal(format!("payments scan: {e}")))??;
    for (key, digest) in stored_payments {
        rows_checked += 1;
        match expected.remove(&key) {
            Some((_, _, d)) if d == digest => {}
            Some((idx, year, _)) => {
                let stored = stored_payment(pool, &key).await?;
                match expected_payment(pool, suite, idx, year).await? {
                    Some(e) => compare_row(&mut f, "payments", &key, PAYMENT_COLUMNS, &stored, &e),
                    None => f.row(
                        "payments",
                        &key,
                        None,
                        format!("differs from journal entry {idx}, which no longer decodes"),
                    ),
                }
            }
            None => f.row("payments", &key, None, "row has no journal entry".into()),
        }
    }
    for key in expected.keys() {
        f.row("payments", key, None, "row missing: the journal records it".into());
    }
    if f.more > 0 {
        let more = f.more;
        f.list.push(Failure {
            check: "journal",
            index: None,
            table: None,
            key: None,
            column: None,
            detail: format!("… and {more} more failures"),
        });
    }
    timings.tables = t.elapsed().as_secs_f64();
    Ok(Report {
        timings,
        ok: f.list.is_empty(),
        entries: size,
        root: hex(&root),
        checkpoints,
        rows: rows_checked,
        failures: f.list,
    })
}

/// The `meta` key of the last checkpoint a verify found whole: "SIZE HEXROOT".
const MARK: &str = "verified_through";

async fn set_mark(store: &Store, size: i64, root: &[u8]) -> Result<(), StoreError> {
    let value = format!("{size} {}", hex(root));
    let mut tx = store.begin_operational().await?;
    sqlx::query("DELETE FROM meta WHERE key = $1").bind(MARK).execute(&mut *tx).await?;
    sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2)").bind(MARK).bind(value).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// The latest stored checkpoint's size and root.
async fn latest_checkpoint(store: &Store) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
    let row = sqlx::query("SELECT size, root FROM checkpoints ORDER BY size DESC LIMIT 1")
        .fetch_optional(store.pool())
        .await?;
    Ok(match row {
        Some(r) => Some((r.try_get(0)?, r.try_get(1)?)),
        None => None,
    })
}

/// `verify`, then, when everything holds, marks the latest checkpoint as verified (the
/// starting point of `verify_since`).
pub async fn verify_and_mark(store: &Store, trust: &Trust) -> Result<Report, StoreError> {
    let r = verify(store, trust).await?;
    if r.ok
        && let Some((size, root)) = latest_checkpoint(store).await?
    {
        set_mark(store, size, &root).await?;
    }
    Ok(r)
}

/// Checks only what was appended since the last verified checkpoint (`verify_and_mark`):
/// the mark must be a checkpoint the trusted key signed whose root the stored tree still
/// has; the new entries are rehashed onto the tree's frontier at the mark, and every later
/// checkpoint's signature and root are checked against it, the latest covering the journal;
/// the payments the new entries wrote are compared with them. What came before the mark,
/// the tiles and the other tables are a full `verify`'s (which runs instead when there is
/// no usable mark, or the new entries rotate the key).
pub async fn verify_since(store: &Store, trust: &Trust) -> Result<Report, StoreError> {
    let pool = store.pool();
    let suite = store.suite();
    let started = std::time::Instant::now();
    let mark = store.meta(MARK).await?.and_then(|v| {
        let (s, r) = v.split_once(' ')?;
        Some((s.parse::<u64>().ok()?, crate::ledger::unhex(r)?))
    });
    let Some((m, mark_root)) = mark else { return verify_and_mark(store, trust).await };
    let mut f = Failures::default();
    let verifier = Verifier::parse(&trust.key).map_err(|e| StoreError::Journal(format!("the log's key: {e}")))?;
    let signed = |note: &str| -> Result<Checkpoint, String> {
        let text = verifier.open(note).map_err(|e| format!("signature does not verify with the log's key: {e}"))?;
        Checkpoint::parse(text).map_err(|e| format!("not a checkpoint: {e}"))
    };
    // The mark: a checkpoint of the trusted key, whose tree the stored tiles still give.
    let row = sqlx::query("SELECT note FROM checkpoints WHERE size = $1").bind(m as i64).fetch_optional(pool).await?;
    let mark_ok = row
        .and_then(|r| r.try_get::<String, _>(0).ok())
        .and_then(|note| signed(&note).ok())
        .is_some_and(|cp| cp.root == mark_root);
    if !mark_ok {
        // A mark that is not a signed checkpoint was not written by verify: check it all.
        let mut r = verify_and_mark(store, trust).await?;
        r.failures.push(failure(
            "journal",
            Some(m),
            Some(MARK.into()),
            "the verified-through mark is not a checkpoint of this log; the whole log was verified instead".into(),
        ));
        r.ok = false;
        return Ok(r);
    }
    if bw_ledger::note::PUBLISHED_KEYS.contains(&trust.key.as_str()) {
        f.push(failure(
            "key",
            None,
            None,
            format!(
                "the log's key {} was published (anyone can sign with it): rotate it (ledger rotate-key)",
                trust.key
            ),
        ));
    }
    if store.meta("verifier_key").await?.as_deref() != Some(trust.key.as_str()) {
        f.push(failure(
            "key",
            None,
            Some("meta.verifier_key".into()),
            format!("the database records another verifier key than the log's {}", trust.key),
        ));
    }
    let nodes = crate::ledger::frontier(store, m).await.map_err(|e| StoreError::Journal(e.to_string()))?;
    let mut front = crate::ledger::Frontier::new(suite, nodes);
    if front.root() != mark_root {
        f.push(failure(
            "tile",
            Some(m),
            Some("merkle_tiles".into()),
            "the stored tree at the verified checkpoint is not the one signed".into(),
        ));
    }
    // The checkpoints after the mark, by size.
    let mut cps: std::collections::BTreeMap<u64, (Vec<u8>, String)> = std::collections::BTreeMap::new();
    for r in
        sqlx::query("SELECT size, root, note FROM checkpoints WHERE size > $1").bind(m as i64).fetch_all(pool).await?
    {
        cps.insert(r.try_get::<i64, _>(0)? as u64, (r.try_get(1)?, r.try_get(2)?));
    }
    let new_checkpoints = cps.len() as u64;
    // The new entries, rehashed onto the frontier; each checkpoint's root on the way.
    let mut next = m as i64;
    let mut payments = Vec::new();
    loop {
        let rows = sqlx::query("SELECT idx, leaf_hash, entry FROM journal WHERE idx >= $1 ORDER BY idx LIMIT $2")
            .bind(next)
            .bind(ENTRY_PAGE_ROWS)
            .fetch_all(pool)
            .await?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let (idx, stored, entry): (i64, Vec<u8>, Vec<u8>) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
            while next < idx {
                f.entry(next as u64, "missing: the journal skips this index (deleted entry)".into());
                next += 1;
            }
            let leaf = suite.leaf(&entry);
            if stored.as_slice() != leaf {
                f.entry(
                    idx as u64,
                    format!(
                        "stored leaf hash {} but the entry hashes to {} (entry or hash altered)",
                        hex(&stored),
                        hex(&leaf)
                    ),
                );
            }
            match bw_ledger::decode_raw(&entry) {
                Ok(e) if e.action == Action::KeyRotate => return verify_and_mark(store, trust).await,
                Ok(e) if e.action == Action::PaymentRecord => payments.push((idx, entry.clone())),
                Ok(_) => {}
                Err(e) => f.entry(idx as u64, format!("not a journal entry: {e}")),
            }
            front.push(leaf);
            next = idx + 1;
            if let Some((root, note)) = cps.get(&(next as u64)) {
                let fail = |d: String| failure("checkpoint", Some(next as u64), None, d);
                match signed(note) {
                    Err(e) => f.push(fail(e)),
                    Ok(cp) if cp.root != front.root() || root.as_slice() != cp.root.as_slice() => f.push(fail(
                        "its root is not the root of the stored journal at that size: history was rewritten".into(),
                    )),
                    Ok(_) => {}
                }
            }
            if let Some(kept) = trust.head.as_ref().filter(|k| k.size == next as u64 && k.size > m)
                && kept.root != front.root()
            {
                f.push(failure("checkpoint", Some(kept.size), Some("kept".into()), "the entries are not the ones the installation's key signed (its kept checkpoint): history was rewritten".into()));
            }
        }
    }
    let size = next as u64;
    let head: i64 = sqlx::query("SELECT size FROM journal_head WHERE id = 1").fetch_one(pool).await?.try_get(0)?;
    if head as u64 != size {
        f.push(failure("journal", None, None, format!("the journal head says {head} entries, {size} are stored")));
    }
    if let Some(kept) = &trust.head
        && kept.size > size
    {
        f.push(failure("checkpoint", Some(kept.size), Some("kept".into()), format!("the installation's key signed a checkpoint of {} entries but the journal holds {size}: entries were removed", kept.size)));
    }
    let latest = cps.keys().next_back().copied().unwrap_or(m);
    if latest < size {
        f.push(failure("checkpoint", None, None, format!("the latest signed checkpoint covers {latest} of the journal's {size} entries: the rest were never signed")));
    }
    let merkle = started.elapsed().as_secs_f64();
    // The payments the new entries wrote, found by their primary key.
    let t = std::time::Instant::now();
    let mut rows_checked = 0;
    let personal = load_personal_since(pool, m as i64).await?;
    for chunk in payments.chunks(500) {
        let mut wanted: HashMap<(String, String), (i64, &Vec<u8>, Payment)> = HashMap::new();
        for (idx, entry) in chunk {
            match bw_ledger::decode(entry).ok().and_then(|e| <Payment as serde::Deserialize>::deserialize(&e.data).ok())
            {
                Some(p) => {
                    wanted.insert((p.voucher_no.clone(), p.unit_code.clone()), (*idx, entry, p));
                }
                None => f.entry(*idx as u64, "payment.record entry: data does not parse".into()),
            }
        }
        let list: Vec<String> = (1..=wanted.len()).map(|i| format!("${i}")).collect();
        let sql = format!("{PAYMENTS_SQL} WHERE voucher_no IN ({})", list.join(","));
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (voucher, _) in wanted.keys() {
            q = q.bind(voucher.clone());
        }
        for row in &q.fetch_all(pool).await? {
            let (unit, voucher): (String, String) = (row.try_get(1)?, row.try_get(2)?);
            let Some((idx, _, p)) = wanted.remove(&(voucher, unit)) else { continue };
            let (key, cells) = payment_row(row)?;
            let year: i64 = row.try_get(4)?;
            rows_checked += 1;
            let mut p = p;
            let h = sha(&serde_json::to_vec(&p).unwrap_or_default());
            let (h, _) = disclose(suite, &mut p, h, personal.get(&idx), idx as u64);
            compare_row(
                &mut f,
                "payments",
                &key,
                PAYMENT_COLUMNS,
                &cells,
                &payment_cells(p, year as i32, h, idx as u64),
            );
        }
        for ((voucher, unit), (idx, _, _)) in wanted {
            f.row(
                "payments",
                &format!("{voucher}/{unit}"),
                None,
                format!("row missing: journal entry {idx} records it"),
            );
        }
    }
    let tables = t.elapsed().as_secs_f64();
    let ok = f.list.is_empty();
    if ok && latest > m {
        set_mark(store, latest as i64, &front_root_at(&cps, latest)).await?;
    }
    let timings = Timings { merkle, tables, ..Timings::default() };
    Ok(Report {
        ok,
        timings,
        entries: size,
        root: hex(&front.root()),
        checkpoints: new_checkpoints,
        rows: rows_checked,
        failures: f.list,
    })
}

fn front_root_at(cps: &std::collections::BTreeMap<u64, (Vec<u8>, String)>, size: u64) -> Vec<u8> {
    cps.get(&size).map(|c| c.0.clone()).unwrap_or_default()
}
