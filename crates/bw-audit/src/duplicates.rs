//! Duplicate payments in the four modes auditors know from ACL and Arbutus:
//! - exact: the same invoice number paid more than once (anywhere), or two payments without an
//!   invoice equal in unit, payee account, amount and date;
//! - same-same-different: one unit, one payee, the same amount, different (or missing) invoice
//!   numbers, within `duplicate_days` of each other (not two contract instalments);
//! - same-same-similar: one unit, one payee, the same amount, invoice numbers at most
//!   `similar_edits` edits apart but not equal (any time in the year; not two contract
//!   instalments);
//! - same-same-near: one unit, one payee, one economic code, amounts within `near_permille` ‰
//!   but not equal, paid within `near_days` days, neither under a contract (a contract's
//!   instalments follow its schedule and are held to its amount at import).
//!
//! A payee is its normalised name (`normalize::payee_name`), except an individual, who is the
//! account (people share names). Each mode groups the linked payments into one finding.

use std::collections::HashMap;

use serde_json::json;

use crate::normalize::{Fx, FxMap, edits_within, number, payee_name};
use crate::{Finding, Params, Payment, yuan};

/// The payee identity the duplicate and split tests compare.
pub fn payee_key(p: &Payment) -> String {
    if p.payee_type == bw_core::records::PayeeType::Individual || p.payee_name.trim().is_empty() {
        format!("#{}", number(&p.payee_account))
    } else {
        payee_name(&p.payee_name)
    }
}

/// Disjoint sets over indices, to join linked pairs into groups.
pub struct Groups {
    parent: Vec<usize>,
}

impl Groups {
    pub fn new(n: usize) -> Groups {
        Groups { parent: (0..n).collect() }
    }
    pub fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }
    pub fn join(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
        }
    }
    /// The groups of more than one member, each in index order, ordered by first member.
    pub fn sets(&mut self, members: &[usize]) -> Vec<Vec<usize>> {
        let mut by_root: HashMap<usize, Vec<usize>> = HashMap::new();
        for &m in members {
            let r = self.find(m);
            by_root.entry(r).or_default().push(m);
        }
        let mut out: Vec<Vec<usize>> = by_root.into_values().filter(|g| g.len() > 1).collect();
        for g in &mut out {
            g.sort_unstable();
            g.dedup();
        }
        out.retain(|g| g.len() > 1);
        out.sort();
        out
    }
}

/// Every duplicate mode: `exact`, then `pairs`.
pub fn run(payments: &[Payment], p: &Params, out: &mut Vec<Finding>) {
    exact(payments, out);
    pairs(payments, p, out);
}

/// The payments paying something (refunds and reversals left out), and each payment's
/// normalised invoice number.
fn positive_and_invoices<'a>(payments: &'a [Payment<'_>]) -> (Vec<usize>, Vec<std::borrow::Cow<'a, str>>) {
    let pos = (0..payments.len()).filter(|&i| payments[i].amount.is_positive()).collect();
    (pos, payments.iter().map(|x| number(&x.invoice)).collect())
}

/// Exact duplicates: one invoice number paid more than once, or, without an invoice, equal
/// unit, payee account, amount and date.
pub fn exact(payments: &[Payment], out: &mut Vec<Finding>) {
    let (pos, invoice) = positive_and_invoices(payments);

    // exact: one invoice number, several payments.
    let mut exact = Groups::new(payments.len());
    let mut linked = Vec::new();
    let mut join = |a: usize, b: usize| {
        exact.join(a, b);
        linked.extend([b, a]);
    };
    join_equal(pos.iter().copied().filter(|&i| !invoice[i].is_empty()), |i| invoice[i].as_ref(), &mut join);
    join_equal(
        pos.iter().copied().filter(|&i| invoice[i].is_empty()),
        |i| {
            let x = &payments[i];
            (x.unit.as_ref(), x.payee_account.as_ref(), x.amount.fen(), x.date.days())
        },
        &mut join,
    );
    for g in exact.sets(&linked) {
        let f = &payments[g[0]];
        let how = if invoice[g[0]].is_empty() { "same unit, account, amount and date" } else { "same invoice number" };
        out.push(
            group_finding("duplicate_exact", payments, &g)
                .with("rule", json!(how))
                .with("invoice_no", json!(f.invoice))
                .with("payee_account", json!(f.payee_account)),
        );
    }
}

/// Calls `join(first, other)` for each of `members` whose key equals an earlier member's,
/// `first` being the earliest with that key. The members are sorted by their key's hash, so
/// that equal keys sit side by side: a map of a million keys would cost a cache miss a
/// member.
fn join_equal<K: std::hash::Hash + Eq>(
    members: impl Iterator<Item = usize>,
    key: impl Fn(usize) -> K,
    join: &mut impl FnMut(usize, usize),
) {
    let hasher = std::hash::BuildHasherDefault::<Fx>::default();
    let mut hashed: Vec<(u64, usize)> =
        members.map(|i| (std::hash::BuildHasher::hash_one(&hasher, key(i)), i)).collect();
    hashed.sort_unstable();
    for run in hashed.chunk_by(|a, b| a.0 == b.0).filter(|run| run.len() > 1) {
        let first = run[0].1;
        let k = key(first);
        if run[1..].iter().all(|&(_, i)| key(i) == k) {
            run[1..].iter().for_each(|&(_, i)| join(first, i));
        } else {
            // Different keys of one hash: told apart in a map of the few.
            let mut firsts: FxMap<K, usize> = FxMap::default();
            for &(_, i) in run {
                match firsts.entry(key(i)) {
                    std::collections::hash_map::Entry::Occupied(e) => join(*e.get(), i),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(i);
                    }
                }
            }
        }
    }
}

/// The modes comparing payments of one unit and one payee: same-same-different, -similar
/// and -near.
pub fn pairs(payments: &[Payment], p: &Params, out: &mut Vec<Finding>) {
    let (pos, invoice) = positive_and_invoices(payments);
    let payee = crate::normalize::payee_ids(payments);

    // The other modes compare payments of one unit and one payee: sorted by unit, payee,
    // amount and date, each run of one unit and payee has equal amounts side by side and
    // near ones close by.
    let (_, unit) = crate::normalize::unit_ids(payments);
    // The keys are gathered once and sorted by value: a key read from the payments at each
    // comparison costs a cache miss.
    let mut keyed: Vec<(u32, u32, i64, i32, usize)> =
        pos.iter().map(|&i| (unit[i], payee[i], payments[i].amount.fen(), payments[i].date.days(), i)).collect();
    keyed.sort_unstable();
    let order: Vec<usize> = keyed.into_iter().map(|k| k.4).collect();
    let mut different = Groups::new(payments.len());
    let mut similar = Groups::new(payments.len());
    let mut near = Groups::new(payments.len());
    let (mut d_linked, mut s_linked, mut n_linked) = (Vec::new(), Vec::new(), Vec::new());
    for ms in order.chunk_by(|&a, &b| unit[a] == unit[b] && payee[a] == payee[b]) {
        for a in 0..ms.len() {
            let (i, pi) = (ms[a], &payments[ms[a]]);
            for &j in &ms[a + 1..] {
                let pj = &payments[j];
                let diff = pj.amount.fen() - pi.amount.fen();
                if diff * 1000 > p.near_permille * pj.amount.fen() {
                    break;
                }
                let days = (pj.date.days() - pi.date.days()).abs();
                let same_invoice = !invoice[i].is_empty() && invoice[i] == invoice[j];
                if diff == 0 {
                    if same_invoice {
                        continue; // exact
                    }
                    if under_contracts(pi, pj) {
                        continue; // instalments, each on its contract's schedule
                    }
                    let both = !invoice[i].is_empty() && !invoice[j].is_empty();
                    if both && edits_within(&invoice[i], &invoice[j], p.similar_edits) <= p.similar_edits {
                        similar.join(i, j);
                        s_linked.extend([i, j]);
                    } else if days <= p.duplicate_days
                        && !(invoice[i].is_empty()
                            && invoice[j].is_empty()
                            && days == 0
                            && pi.payee_account == pj.payee_account)
                    {
                        different.join(i, j);
                        d_linked.extend([i, j]);
                    }
                } else if days <= p.near_days
                    && !same_invoice
                    && pi.contract.is_empty()
                    && pj.contract.is_empty()
                    && pi.economic == pj.economic
                {
                    near.join(i, j);
                    n_linked.extend([i, j]);
                }
            }
        }
    }
    for g in different.sets(&d_linked) {
        let f = &payments[g[0]];
        out.push(
            group_finding("duplicate_same_same_different", payments, &g)
                .with("payee", json!(f.payee_name))
                .with("amount", yuan(f.amount.fen()))
                .with("invoice_nos", json!(g.iter().map(|&i| payments[i].invoice.as_ref()).collect::<Vec<_>>()))
                .with("window_days", json!(p.duplicate_days)),
        );
    }
    for g in similar.sets(&s_linked) {
        let f = &payments[g[0]];
        out.push(
            group_finding("duplicate_same_same_similar", payments, &g)
                .with("payee", json!(f.payee_name))
                .with("amount", yuan(f.amount.fen()))
                .with("invoice_nos", json!(g.iter().map(|&i| payments[i].invoice.as_ref()).collect::<Vec<_>>()))
                .with("max_edits", json!(p.similar_edits)),
        );
    }
    for g in near.sets(&n_linked) {
        let f = &payments[g[0]];
        out.push(
            group_finding("duplicate_same_same_near", payments, &g)
                .with("payee", json!(f.payee_name))
                .with("payee_names", json!(distinct(g.iter().map(|&i| payments[i].payee_name.as_ref()))))
                .with("amounts", json!(g.iter().map(|&i| payments[i].amount.to_string()).collect::<Vec<_>>()))
                .with("tolerance_permille", json!(p.near_permille))
                .with("within_days", json!(p.near_days)),
        );
    }
}

/// Two contract instalments (of one contract or two): equal amounts are what the contracts'
/// schedules make them, not a bill paid twice; a contract instalment paid again outside the
/// contract still is.
fn under_contracts(a: &Payment, b: &Payment) -> bool {
    !a.contract.is_empty() && !b.contract.is_empty()
}

/// The distinct values, in first-seen order.
pub fn distinct<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut v: Vec<&str> = Vec::new();
    for s in items {
        if !v.contains(&s) {
            v.push(s);
        }
    }
    v
}

/// A finding over the payments `g` (indices in date order): under the first one's unit, with
/// their count, total, dates and units.
pub fn group_finding(test: &'static str, payments: &[Payment], g: &[usize]) -> Finding {
    let mut g = g.to_vec();
    g.sort_by_key(|&i| (payments[i].date, i));
    let total: i64 = g.iter().map(|&i| payments[i].amount.fen()).sum();
    let first = &payments[g[0]];
    let last = &payments[g[g.len() - 1]];
    Finding::new(test, Some(&first.unit), g.iter().map(|&i| payments[i].voucher.to_string()).collect(), total)
        .with("payments", json!(g.len()))
        .with("total", yuan(total))
        .with("first", json!(first.date.to_string()))
        .with("last", json!(last.date.to_string()))
        .with("units", json!(distinct(g.iter().map(|&i| payments[i].unit.as_ref()))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests_support::pay;

    /// A key whose every value hashes alike, to reach the map that tells apart the keys of
    /// one hash.
    #[derive(PartialEq, Eq)]
    struct Colliding<'a>(&'a str);

    impl std::hash::Hash for Colliding<'_> {
        fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
            state.write_u8(0);
        }
    }

    #[test]
    fn equal_keys_join_their_first_and_colliding_hashes_are_told_apart() {
        let keys = ["A", "B", "A", "C", "B", "A"];
        for colliding in [false, true] {
            let mut joined = Vec::new();
            let mut join = |a: usize, b: usize| joined.push((a, b));
            if colliding {
                join_equal(0..keys.len(), |i| Colliding(keys[i]), &mut join);
            } else {
                join_equal(0..keys.len(), |i| keys[i], &mut join);
            }
            joined.sort_unstable();
            assert_eq!(joined, vec![(0, 2), (0, 5), (1, 4)], "colliding: {colliding}");
        }
    }

    fn tests_of(out: &[Finding]) -> Vec<(&str, Vec<&str>)> {
        out.iter().map(|f| (f.test, f.vouchers.iter().map(String::as_str).collect())).collect()
    }

    #[test]
    fn the_four_modes() {
        let ps = vec![
            // exact: one invoice paid twice, months apart, by two units.
            pay("V1", "U1", "2025-03-01", "甲科技有限公司", 100_000, "INV-001"),
            pay("V2", "U2", "2025-06-01", "甲科技公司", 120_000, "inv001"),
            // same-same-different: same payee (spelled two ways) and amount, 5 days apart.
            pay("V3", "U1", "2025-04-01", "乙商贸有限公司", 5_000_000, "A100"),
            pay("V4", "U1", "2025-04-06", "乙商贸 公司", 5_000_000, "B200"),
            // … but 40 days apart is a monthly bill, not a duplicate.
            pay("V5", "U1", "2025-05-16", "乙商贸有限公司", 5_000_000, "C300"),
            // same-same-similar: invoices one character apart, half a year apart.
            pay("V6", "U3", "2025-01-10", "丙公司", 777_700, "12345678"),
            pay("V7", "U3", "2025-07-10", "丙公司", 777_700, "12345679"),
            // same-same-near: 0.05 % apart within 3 days.
            pay("V8", "U4", "2025-08-01", "丁有限公司", 1_000_000, "X1"),
            pay("V9", "U4", "2025-08-04", "丁有限公司", 1_000_500, "X2"),
            // Not near: 1 % apart.
            pay("V10", "U4", "2025-08-05", "丁有限公司", 1_011_500, "X3"),
        ];
        let mut out = Vec::new();
        run(&ps, &Params::default(), &mut out);
        assert_eq!(
            tests_of(&out),
            vec![
                ("duplicate_exact", vec!["V1", "V2"]),
                ("duplicate_same_same_different", vec!["V3", "V4"]),
                ("duplicate_same_same_similar", vec!["V6", "V7"]),
                ("duplicate_same_same_near", vec!["V8", "V9"]),
            ]
        );
        assert_eq!(out[0].evidence["total"], json!("2200.00"));
        assert_eq!(out[0].evidence["units"], json!(["U1", "U2"]));
    }

    #[test]
    fn refunds_and_other_units_are_not_duplicates() {
        let mut refund = pay("R1", "U1", "2025-04-02", "乙公司", -5_000_000, "");
        refund.payee_account = "A".into();
        let ps = vec![
            pay("V1", "U1", "2025-04-01", "乙公司", 5_000_000, "A1"),
            refund,
            // The same amount to the same firm from another unit is two purchases.
            pay("V2", "U2", "2025-04-03", "乙公司", 5_000_000, "A2"),
        ];
        let mut out = Vec::new();
        run(&ps, &Params::default(), &mut out);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn instalments_of_one_contract_and_different_purchases_are_not_duplicates() {
        let mut ps = vec![
            // Two equal instalments of one contract, a week apart.
            pay("C1", "U1", "2025-07-01", "宏远建设工程有限公司", 1_018_316, "12609439"),
            pay("C2", "U1", "2025-07-07", "宏远建设工程有限公司", 1_018_316, "12609488"),
            // Near amounts from one firm for different things (a service and equipment).
            pay("E1", "U2", "2025-03-10", "宏远建设工程有限公司", 777_042, "10690816"),
            pay("E2", "U2", "2025-03-12", "宏远建设工程有限公司", 776_357, "10690676"),
            // The same equal amounts without a contract are a duplicate.
            pay("D1", "U3", "2025-07-01", "宏远建设工程有限公司", 1_018_316, "22609439"),
            pay("D2", "U3", "2025-07-07", "宏远建设工程有限公司", 1_018_316, "22609488"),
        ];
        // Equal instalments of two contracts; a contract instalment paid again outside it.
        ps.push(pay("H1", "U4", "2025-08-08", "鼎盛建设工程有限公司", 110_252, "12830492"));
        ps.push(pay("H2", "U4", "2025-08-14", "鼎盛建设工程有限公司", 110_252, "12830394"));
        ps.push(pay("G1", "U5", "2025-08-08", "鼎盛建设工程有限公司", 110_252, "32830492"));
        ps.push(pay("G2", "U5", "2025-08-10", "鼎盛建设工程有限公司", 110_252, "52830394"));
        for (i, c) in [(0, "HT1"), (1, "HT1"), (6, "HT2"), (7, "HT3"), (8, "HT4")] {
            ps[i].contract = c.into();
        }
        ps[2].economic = "30227".into();
        ps[3].economic = "31002".into();
        let mut out = Vec::new();
        run(&ps, &Params::default(), &mut out);
        assert_eq!(
            tests_of(&out),
            vec![
                ("duplicate_same_same_different", vec!["D1", "D2"]),
                ("duplicate_same_same_different", vec!["G1", "G2"])
            ]
        );
    }
}
