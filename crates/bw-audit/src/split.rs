//! Split purchases (化整为零) across the whole year and every unit: payments for one kind of
//! purchase (economic code) to one payee from one department (the units under one 主管部门, or
//! a unit on its own), each just below the
//! procurement threshold (at least `split_floor_pct` % of it), at least `split_min_payments` of
//! them within `split_days` days, adding up to the threshold or more. Overlapping windows
//! make one finding; it names every unit involved.

use std::collections::HashMap;

use serde_json::json;

use crate::duplicates::{group_finding, payee_key};
use crate::{Finding, Params, Payment, yuan};

pub fn run(payments: &[Payment], p: &Params, out: &mut Vec<Finding>) {
    let limit = p.split_limit.fen();
    let floor = (limit as i128 * p.split_floor_pct as i128 / 100) as i64;
    let mut groups: HashMap<(&str, String, &str), Vec<usize>> = HashMap::new();
    for (i, x) in payments.iter().enumerate() {
        let a = x.amount.fen();
        // A payment under a signed contract was procured as that contract.
        if a > 0 && a < limit && a >= floor && x.contract.is_empty() {
            groups.entry((x.department.as_ref(), payee_key(x), x.economic.as_ref())).or_default().push(i);
        }
    }
    let mut keys: Vec<&(&str, String, &str)> = groups.keys().collect();
    keys.sort();
    let mut found: Vec<Vec<usize>> = Vec::new();
    for k in keys {
        let mut ps = groups[k].clone();
        if ps.len() < p.split_min_payments {
            continue;
        }
        ps.sort_by_key(|&i| (payments[i].date, i));
        let days: Vec<i32> = ps.iter().map(|&i| payments[i].date.days()).collect();
        let amounts: Vec<i64> = ps.iter().map(|&i| payments[i].amount.fen()).collect();
        for (i, j) in bw_rules::split_runs(&days, &amounts, p.split_days, p.split_min_payments, limit) {
            found.push(ps[i..=j].to_vec());
        }
    }
    found.sort_by_key(|g| (payments[g[0]].date, g[0]));
    for g in found {
        let f = &payments[g[0]];
        out.push(
            group_finding("split_purchase_year", payments, &g)
                .with("department", json!(f.department))
                .with("payee", json!(f.payee_name))
                .with("economic_code", json!(f.economic))
                .with("threshold", yuan(limit))
                .with("window_days", json!(p.split_days)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests_support::pay;

    #[test]
    fn one_supplier_paid_by_several_units_of_a_department() {
        let mut ps = vec![
            pay("V1", "U1", "2025-03-01", "甲公司", 4_800_000, "1"),
            pay("V2", "U2", "2025-03-10", "甲公司", 4_700_000, "2"),
            pay("V3", "U3", "2025-03-25", "甲有限公司", 4_900_000, "3"),
            // Another department's payment to the same firm is not part of it.
            pay("V4", "U9", "2025-03-12", "甲公司", 4_900_000, "4"),
            // Small payments are not "just under" the threshold.
            pay("V5", "U1", "2025-03-02", "甲公司", 1_000_000, "5"),
        ];
        for x in &mut ps[..3] {
            x.department = "D1".into();
        }
        ps[4].department = "D1".into();
        let mut out = Vec::new();
        run(&ps, &Params::default(), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].vouchers, vec!["V1", "V2", "V3"]);
        assert_eq!(out[0].evidence["units"], json!(["U1", "U2", "U3"]));
        assert_eq!(out[0].evidence["total"], json!("144000.00"));
        // Spread over more than 30 days they are three ordinary purchases.
        ps[2].date = bw_core::Date::parse("2025-04-15").unwrap_or(ps[2].date);
        let mut out = Vec::new();
        run(&ps, &Params::default(), &mut out);
        assert!(out.is_empty());
    }
}
