//! The decision on each payment: key, unit, indicator, refund, contract and money control
//! against the state in memory, and what a file of payments writes besides its rows.

use super::*;
use bw_core::action::Action;

/// What the import remembers of each payment of the file: 48 bytes with its key, so a
/// million-row file stays well inside the memory budget.
pub(super) struct PaymentSeen {
    pub(super) row: u32,
    /// The first half of the record hash: enough to tell equal content from different.
    pub(super) hash: [u8; 16],
    pub(super) amount: i64,
    pub(super) indicator: u32,
}

pub(super) fn half(h: &Hash) -> [u8; 16] {
    let mut out = [0u8; 16];
    out.copy_from_slice(&h[..16]);
    out
}

pub(super) struct PaymentsState {
    pub(super) tree: OrgTree,
    pub(super) book: IndicatorBook,
    /// Fingerprints of stored (unit, voucher) keys → record hash; for a small file (few
    /// rows against many stored) `None`, and each key is looked up instead.
    pub(super) stored: Option<HashMap<u128, [u8; 16]>>,
    /// Payments of this file by key fingerprint.
    pub(super) in_file: HashMap<u128, PaymentSeen>,
    pub(super) contracts: HashMap<String, ContractState>,
    pub(super) months: HashMap<(usize, u32), (i64, i64)>,
    /// Per fiscal year, the absolute amounts this file adds.
    pub(super) gross: BTreeMap<i32, i128>,
    pub(super) refunds: HashMap<(String, String), i64>,
    pub(super) warnings: Vec<String>,
    /// What the batch touched, for the rules that fire at payment time.
    pub(super) landed: crate::monitor::Landed,
    /// The file's payments on contracts with milestones: (contract, unit, voucher, date,
    /// amount), held beyond what the milestones release.
    pub(super) on_milestones: Vec<(String, String, String, bw_core::Date, Money)>,
    /// Salts of this import's personal-data commitments derive from it (see `salt`).
    pub(super) salt_key: [u8; 32],
    /// The log's hash, which the commitments use.
    pub(super) suite: Suite,
    /// The payment-time rules' settings, when kept from an earlier commit.
    pub(super) rules: Option<RuleSettings>,
    /// The groups holding stored payments (see `monitor::StoredKeys`), when kept.
    pub(super) evidence: Option<crate::monitor::StoredKeys>,
    /// A writer that commits again and again (`ImportOptions::resident`), for which keeping
    /// `evidence` pays.
    pub(super) resident: bool,
}

impl PaymentsState {
    /// The state as committed: balances and draws as written, nothing marked changed.
    pub(super) fn into_kept(self) -> Kept {
        let PaymentsState { tree, mut book, mut contracts, mut stored, in_file, rules, .. } = self;
        book.items.iter_mut().for_each(|i| i.changed = false);
        contracts.values_mut().for_each(|c| c.changed = false);
        if let Some(map) = stored.as_mut() {
            map.extend(in_file.into_iter().map(|(fp, seen)| (fp, seen.hash)));
        }
        Kept { tree, book, contracts, stored, rules }
    }
}

/// The salt of personal field `field` of file row `row`: SHA-256(key ‖ row ‖ field).
pub(super) fn salt(key: &[u8; 32], row: u64, field: u8) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(key);
    h.update(row.to_be_bytes());
    h.update([field]);
    h.finalize().into()
}

/// A 128-bit key fingerprint (see `digest128`): keys of a million payments fit in a few
/// dozen megabytes, and a collision (about 2^-64 at that size) is out of reach. Content is
/// still compared with the full SHA-256 record hash.
pub(super) fn fingerprint(unit: &str, voucher: &str) -> u128 {
    crate::digest128(&(unit, voucher))
}

impl PaymentsState {
    /// The record hash (first half) of a stored payment, from memory or the database.
    pub(super) async fn stored_hash(
        &self,
        db: &AnyPool,
        fp: u128,
        unit: &str,
        voucher: &str,
    ) -> Result<Option<[u8; 16]>, ImportError> {
        if let Some(map) = &self.stored {
            return Ok(map.get(&fp).copied());
        }
        let row = sqlx::query("SELECT record_hash FROM payments WHERE voucher_no = $1 AND unit_code = $2")
            .bind(voucher.to_string())
            .bind(unit.to_string())
            .fetch_optional(db)
            .await?;
        Ok(row.map(|r| r.try_get::<Vec<u8>, _>(0)).transpose()?.map(|h| {
            let mut out = [0u8; 16];
            if h.len() == 32 {
                out.copy_from_slice(&h[..16]);
            }
            out
        }))
    }

    /// The file row of this batch's payment `voucher` of `unit` (of any unit the batch
    /// touched when the finding names none).
    pub(super) fn row_of<'a>(&'a self, unit: Option<&'a str>, voucher: &str) -> Option<(&'a str, u64)> {
        let find = |u: &'a str| self.in_file.get(&fingerprint(u, voucher)).map(|s| (u, u64::from(s.row)));
        unit.and_then(find).or_else(|| self.landed.scope.units.iter().find_map(|u| find(u)))
    }

    /// Decides one payment: its key (unchanged, or a conflict), its unit and indicator, the
    /// voucher a refund reverses, the contract it draws on and money control — in that
    /// order, the first refusal reported — then applies it to the state in memory and
    /// returns what it writes.
    pub(super) async fn accept(
        &mut self,
        db: &AnyPool,
        file: &str,
        row: u64,
        p: Payment,
    ) -> Result<Result<Outcome, Vec<Refusal>>, ImportError> {
        let (data, hash) = json(&p)?;
        let fp = fingerprint(&p.unit_code, &p.voucher_no);
        if let Some(seen) = self.seen_before(db, fp, &p, &hash, &data).await? {
            return Ok(seen);
        }
        let idx = match self.indicator(&p) {
            Ok(i) => i,
            Err(r) => return Ok(Err(vec![r])),
        };
        if let Err(r) = self.refund(db, &p, idx).await? {
            return Ok(Err(vec![r]));
        }
        let decided = self.commitment(&p, idx).and_then(|from| self.control(file, row, &p, idx, from));
        if let Err(r) = decided {
            return Ok(Err(vec![r]));
        }
        let year = self.apply(&p, idx)?;
        let seen = PaymentSeen { row: row as u32, hash: half(&hash), amount: p.amount.fen(), indicator: idx as u32 };
        self.in_file.insert(fp, seen);
        Ok(Ok(Outcome::Add(self.accepted(row, p, &hash, data, year)?)))
    }

    /// The payment's key met before: stored or earlier in the file, with the same content
    /// (unchanged) or another (a conflict naming both).
    async fn seen_before(
        &self,
        db: &AnyPool,
        fp: u128,
        p: &Payment,
        hash: &Hash,
        data: &[u8],
    ) -> Result<Option<Result<Outcome, Vec<Refusal>>>, ImportError> {
        let what = || format!("voucher {:?} of unit {:?}", p.voucher_no, p.unit_code);
        let conflict_at = if let Some(h) = self.stored_hash(db, fp, &p.unit_code, &p.voucher_no).await? {
            if h == half(hash) {
                return Ok(Some(Ok(Outcome::Unchanged)));
            }
            let r = sqlx::query("SELECT journal_idx FROM payments WHERE unit_code = $1 AND voucher_no = $2")
                .bind(p.unit_code.clone())
                .bind(p.voucher_no.clone())
                .fetch_optional(db)
                .await?;
            Ok(match r {
                Some(r) => r.try_get(0)?,
                None => -1,
            })
        } else if let Some(seen) = self.in_file.get(&fp) {
            if seen.hash == half(hash) {
                return Ok(Some(Ok(Outcome::Unchanged)));
            }
            Err(u64::from(seen.row))
        } else {
            return Ok(None);
        };
        let message = format!("voucher_conflict: {}", conflict(db, what(), conflict_at, data).await?);
        Ok(Some(Err(vec![(0, Code::DuplicateKeyConflict, message)])))
    }

    /// The payment's unit and indicator: both known, the indicator the unit's, and open to
    /// payments.
    fn indicator(&self, p: &Payment) -> Result<usize, Refusal> {
        unit_ref(&self.tree, &p.unit_code, OrgKind::Unit).map_err(|e| (2, e.0, e.1))?;
        let idx = self.book.resolve(&p.indicator_code, p.pay_date.year()).map_err(|e| (3, e.0, e.1))?;
        let st = &self.book.items[idx];
        if st.unit_code != p.unit_code {
            return Err((
                3,
                Code::ReferenceMismatch,
                format!("indicator {:?} belongs to unit {:?}, not {:?}", st.code, st.unit_code, p.unit_code),
            ));
        }
        if let Some(e) = st.unfundable().filter(|_| p.amount.is_positive()) {
            return Err((3, e.0, e.1));
        }
        Ok(idx)
    }

    /// A refund names the voucher it reverses, in this file or already stored: a payment
    /// (not itself a refund) on the same indicator with enough left to refund.
    async fn refund(&mut self, db: &AnyPool, p: &Payment, idx: usize) -> Result<Result<(), Refusal>, ImportError> {
        let Some(orig_no) = &p.reverses else { return Ok(Ok(())) };
        let refund = -p.amount.fen();
        let orig_fp = fingerprint(&p.unit_code, orig_no);
        let pending = self.refunds.get(&(p.unit_code.clone(), orig_no.clone())).copied().unwrap_or(0);
        let (orig_amount, orig_refunded, orig_ind) = if let Some(seen) = self.in_file.get(&orig_fp) {
            (seen.amount, pending, Some(seen.indicator as usize))
        } else if self.stored_hash(db, orig_fp, &p.unit_code, orig_no).await?.is_some() {
            let r = sqlx::query(
                "SELECT amount, refunded, year, indicator_code FROM payments WHERE unit_code = $1 AND voucher_no = $2",
            )
            .bind(p.unit_code.clone())
            .bind(orig_no.clone())
            .fetch_one(db)
            .await?;
            let year: i64 = r.try_get(2)?;
            let code: String = r.try_get(3)?;
            (
                r.try_get::<i64, _>(0)?,
                r.try_get::<i64, _>(1)? + pending,
                self.book.by_key.get(&(year as i32, code)).copied(),
            )
        } else {
            let message = format!("reverses unknown voucher {orig_no:?} of unit {:?}", p.unit_code);
            return Ok(Err((12, Code::UnknownVoucher, message)));
        };
        if orig_amount <= 0 {
            let message = format!("voucher {orig_no:?} is itself a refund and cannot be reversed");
            return Ok(Err((12, Code::InvalidState, message)));
        }
        if orig_ind != Some(idx) {
            let message = format!("a refund must charge the indicator of the voucher it reverses ({orig_no:?})");
            return Ok(Err((3, Code::ReferenceMismatch, message)));
        }
        if refund > orig_amount - orig_refunded {
            return Ok(Err((
                8,
                Code::AmountOutOfRange,
                format!(
                    "refund of {} exceeds what remains of voucher {orig_no:?}: {} paid, {} already refunded",
                    Money::from_fen(refund),
                    Money::from_fen(orig_amount),
                    Money::from_fen(orig_refunded)
                ),
            )));
        }
        *self.refunds.entry((p.unit_code.clone(), orig_no.clone())).or_default() += refund;
        Ok(Ok(()))
    }

    /// What the payment draws from an open contract's commitment (zero without one).
    fn commitment(&self, p: &Payment, idx: usize) -> Result<Money, Refusal> {
        let Some(cno) = &p.contract_no else { return Ok(Money::ZERO) };
        let Some(c) = self.contracts.get(cno) else {
            return Err((
                11,
                Code::UnknownContract,
                format!("unknown contract_no {cno:?}: not in the database (import contracts first)"),
            ));
        };
        if c.unit_code != p.unit_code || c.indicator != Some(idx) {
            return Err((
                11,
                Code::ReferenceMismatch,
                format!("contract {cno:?} belongs to another unit or indicator"),
            ));
        }
        if c.status == ContractStatus::Cancelled && p.amount.is_positive() {
            return Err((11, Code::InvalidState, format!("contract {cno:?} is cancelled")));
        }
        Ok(match c.status {
            ContractStatus::Open => Money::from_fen(p.amount.fen().clamp(0, (c.amount - c.paid).max(0))),
            _ => Money::ZERO,
        })
    }

    /// Money control on the indicator's available balance: refused under `block`, noted
    /// under `warn`.
    fn control(
        &mut self,
        file: &str,
        row: u64,
        p: &Payment,
        idx: usize,
        from_commitment: Money,
    ) -> Result<(), Refusal> {
        let st = &self.book.items[idx];
        match st.balance.check(st.control, p.amount, from_commitment) {
            ControlDecision::Accept => Ok(()),
            ControlDecision::AcceptWithWarning { available } => {
                self.warnings.push(format!(
                    "{file}:{row}: warning: payment {} of {} exceeds the available balance {} of indicator {} (control warn); accepted",
                    p.voucher_no, p.amount, available, st.code
                ));
                Ok(())
            }
            ControlDecision::Refuse { available } => Err((
                8,
                Code::IndicatorBalanceExceeded,
                format!(
                    "indicator_balance_exceeded: payment {} of {} exceeds the available balance {} of indicator {} (control block)",
                    p.voucher_no, p.amount, available, st.code
                ),
            )),
        }
    }

    /// Applies an accepted payment to the state: the indicator's paid and commitments, the
    /// contract's draws, the month's aggregates, what the rules at payment time look at.
    /// Its fiscal year.
    fn apply(&mut self, p: &Payment, idx: usize) -> Result<i32, ImportError> {
        let st = &mut self.book.items[idx];
        let overflow = |e: bw_core::money::MoneyOverflow| ImportError::Io(e.to_string());
        st.balance.paid = st.balance.paid.checked_add(p.amount).map_err(overflow)?;
        if let Some(c) = p.contract_no.as_ref().and_then(|no| self.contracts.get_mut(no)) {
            let unpaid_before = (c.amount - c.paid).max(0);
            c.paid += p.amount.fen();
            let unpaid_after = (c.amount - c.paid).max(0);
            c.changed = true;
            if c.milestoned && p.amount.is_positive() {
                self.on_milestones.push((
                    p.contract_no.clone().unwrap_or_default(),
                    p.unit_code.clone(),
                    p.voucher_no.clone(),
                    p.pay_date,
                    p.amount,
                ));
            }
            if c.status == ContractStatus::Open {
                let delta = unpaid_after - unpaid_before;
                st.balance.committed_unpaid = Money::from_fen(st.balance.committed_unpaid.fen() + delta);
            }
        }
        st.changed = true;
        let (y, m, _) = p.pay_date.ymd();
        *self.gross.entry(st.year).or_default() += i128::from(p.amount.fen().unsigned_abs());
        let e = self.months.entry((idx, y as u32 * 100 + m)).or_default();
        e.0 += p.amount.fen();
        e.1 += 1;
        let year = st.year;
        self.landed.add(
            year,
            &p.unit_code,
            &p.voucher_no,
            &p.payee_account,
            p.amount.fen(),
            p.invoice_no.as_deref(),
            p.pay_date,
        );
        Ok(year)
    }

    /// What an accepted payment writes: its entry's data (an individual's name and account
    /// only as salted commitments, the values kept aside in personal data) and its row.
    fn accepted(&self, row: u64, p: Payment, hash: &Hash, data: Vec<u8>, year: i32) -> Result<Accepted, ImportError> {
        let (entry_data, personal) = if p.payee_type == PayeeType::Individual {
            let name_salt = salt(&self.salt_key, row, 0);
            let account_salt = salt(&self.salt_key, row, 1);
            let committed = Payment {
                payee_name: bw_ledger::commitment_text(self.suite, &name_salt, &p.payee_name),
                payee_account: bw_ledger::commitment_text(self.suite, &account_salt, &p.payee_account),
                ..p.clone()
            };
            let personal = vec![
                ("payee_name", name_salt, p.payee_name.clone()),
                ("payee_account", account_salt, p.payee_account.clone()),
            ];
            (json(&committed)?.0, personal)
        } else {
            (data, Vec::new())
        };
        let projection = values(bw_core::projection::payment(p, year, bw_core::projection::HashCell::Bytes(*hash)));
        Ok(Accepted { action: Action::PaymentRecord, data: entry_data, projection, personal })
    }

    pub(super) async fn write_aggregates(&mut self, tx: &mut Tx) -> Result<Vec<String>, ImportError> {
        self.book.write_balances(tx).await?;
        let mut months: Vec<_> = self.months.iter().collect();
        months.sort_by_key(|(k, _)| **k);
        for ((idx, ym), (paid, count)) in months {
            let st = &self.book.items[*idx];
            sqlx::query(
                "INSERT INTO indicator_months (year, indicator_code, month, paid, payments) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (year, indicator_code, month) DO UPDATE SET paid = indicator_months.paid + excluded.paid, payments = indicator_months.payments + excluded.payments",
            )
            .bind(i64::from(st.year))
            .bind(st.code.clone())
            .bind(format!("{:04}-{:02}", ym / 100, ym % 100))
            .bind(*paid)
            .bind(*count)
            .execute(&mut **tx)
            .await?;
        }
        for (no, c) in self.contracts.iter().filter(|(_, c)| c.changed) {
            sqlx::query("UPDATE contracts SET paid = $1 WHERE contract_no = $2")
                .bind(c.paid)
                .bind(no.clone())
                .execute(&mut **tx)
                .await?;
        }
        for ((unit, voucher), amount) in &self.refunds {
            sqlx::query("UPDATE payments SET refunded = refunded + $1 WHERE unit_code = $2 AND voucher_no = $3")
                .bind(*amount)
                .bind(unit.clone())
                .bind(voucher.clone())
                .execute(&mut **tx)
                .await?;
        }
        Ok(std::mem::take(&mut self.warnings))
    }
}
