//! DBSCAN outliers: each unit's payments as points of four standardised features — log
//! amount, day of the year, how often the unit paid that payee (log), and that payee's share
//! of the unit's spending — clustered with `dbscan_eps` and `dbscan_min_samples`. A noise
//! point (label −1) of at least `dbscan_large` is a finding: a large payment unlike the
//! unit's usual ones in size, timing and payee.

use std::collections::HashMap;

use serde_json::json;

use crate::dbscan::dbscan;
use crate::{Finding, Params, Payment, yuan};

/// The standardised features of `ps` (z-scores per column; a constant column becomes 0).
pub fn features(payments: &[Payment], ps: &[usize]) -> Vec<Vec<f64>> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    let mut spent: HashMap<&str, i64> = HashMap::new();
    let mut total = 0i64;
    for &i in ps {
        let x = &payments[i];
        *count.entry(&x.payee_account).or_default() += 1;
        *spent.entry(&x.payee_account).or_default() += x.amount.fen();
        total += x.amount.fen();
    }
    let mut pts: Vec<Vec<f64>> = ps
        .iter()
        .map(|&i| {
            let x = &payments[i];
            let jan1 = bw_core::Date::from_ymd(x.date.year(), 1, 1).map_or(0, |d| d.days());
            // Features for clustering, not money: the amount enters as its order of magnitude.
            vec![
                (x.amount.fen().max(1) as f64).log10(),
                f64::from(x.date.days() - jan1),
                (1.0 + count[x.payee_account.as_ref()] as f64).ln(),
                if total > 0 { spent[x.payee_account.as_ref()] as f64 / total as f64 } else { 0.0 },
            ]
        })
        .collect();
    let n = pts.len() as f64;
    for c in 0..4 {
        let mean = pts.iter().map(|p| p[c]).sum::<f64>() / n;
        let sd = (pts.iter().map(|p| (p[c] - mean).powi(2)).sum::<f64>() / n).sqrt();
        for p in &mut pts {
            p[c] = if sd > 0.0 { (p[c] - mean) / sd } else { 0.0 };
        }
    }
    pts
}

pub fn run(payments: &[Payment], p: &Params, out: &mut Vec<Finding>) {
    let mut units: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, x) in payments.iter().enumerate() {
        if x.amount.is_positive() {
            units.entry(&x.unit).or_default().push(i);
        }
    }
    let mut keys: Vec<&str> = units.keys().copied().collect();
    keys.sort_unstable();
    for unit in keys {
        let ps = &units[unit];
        // Too few payments to say what is usual.
        if ps.len() < p.dbscan_min_samples.max(2) * 4 || !ps.iter().any(|&i| payments[i].amount >= p.dbscan_large) {
            continue;
        }
        let pts = features(payments, ps);
        let Ok(labels) = dbscan(&pts, p.dbscan_eps, p.dbscan_min_samples) else { continue };
        let clusters = labels.iter().copied().max().map_or(0, |m| m + 1);
        let noise = labels.iter().filter(|l| **l < 0).count();
        for (k, &i) in ps.iter().enumerate() {
            let x = &payments[i];
            if labels[k] >= 0 || x.amount < p.dbscan_large {
                continue;
            }
            out.push(
                Finding::new("dbscan_outlier", Some(unit), vec![x.voucher.to_string()], x.amount.fen())
                    .with("amount", yuan(x.amount.fen()))
                    .with("date", json!(x.date.to_string()))
                    .with("payee", json!(x.payee_name))
                    .with("features", json!(pts[k].iter().map(|v| (v * 1000.0).round() / 1000.0).collect::<Vec<_>>()))
                    .with("unit_payments", json!(ps.len()))
                    .with("clusters", json!(clusters))
                    .with("noise_points", json!(noise))
                    .with("eps", json!(p.dbscan_eps))
                    .with("min_samples", json!(p.dbscan_min_samples)),
            );
        }
    }
}
