//! The evaluation of the twelve rules over the facts of one fiscal year.

use crate::{Facts, Finding, IndicatorFact, Level, PaymentFact, Rule, Thresholds, completed_months, pct_over};
use bw_core::Date;
use bw_core::records::PayeeType;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

fn yuan(fen: impl Into<i128>) -> serde_json::Value {
    json!(bw_core::money::yuan_i128(fen.into()))
}

/// `part / whole` in percent, rounded to two decimals, for evidence.
fn pct(part: i64, whole: i64) -> serde_json::Value {
    if whole == 0 {
        return serde_json::Value::Null;
    }
    json!(((part as f64) * 10_000.0 / (whole as f64)).round() / 100.0)
}

struct Builder<'a> {
    rule: Rule,
    out: &'a mut Vec<Finding>,
}

impl Builder<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        level: Level,
        unit: Option<&str>,
        indicator: Option<&str>,
        revenue: Option<(&str, &str)>,
        period: String,
        mut vouchers: Vec<String>,
        evidence: Vec<(&'static str, serde_json::Value)>,
    ) {
        vouchers.sort();
        vouchers.dedup();
        self.out.push(Finding {
            rule: self.rule.id(),
            level,
            unit_code: unit.map(str::to_string),
            indicator_code: indicator.map(str::to_string),
            region_code: revenue.map(|r| r.0.to_string()),
            revenue_code: revenue.map(|r| r.1.to_string()),
            period,
            vouchers,
            evidence: evidence.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        });
    }
}

/// The vouchers from the payment with which the running sum of `payments` (in date, then
/// voucher order) first exceeded `limit` (`exceeds(sum)`), onward.
fn from_crossing(payments: &[&PaymentFact], exceeds: impl Fn(i64) -> bool) -> Vec<String> {
    let mut sum = 0i64;
    let mut out = Vec::new();
    for p in payments {
        sum += p.amount.fen();
        if !out.is_empty() || exceeds(sum) {
            out.push(p.voucher_no.clone());
        }
    }
    out
}

/// Evaluates every rule as of `as_of` over the facts of `facts.year`.
pub fn evaluate(as_of: Date, facts: &Facts, t: &Thresholds) -> Vec<Finding> {
    let mut out = Vec::new();
    let year = facts.year;
    let done = completed_months(year, as_of);
    let mut payments: Vec<&PaymentFact> = facts.payments.iter().filter(|p| p.pay_date <= as_of).collect();
    payments.sort_by(|a, b| (a.pay_date, &a.voucher_no).cmp(&(b.pay_date, &b.voucher_no)));
    let mut by_indicator: HashMap<&str, Vec<&PaymentFact>> = HashMap::new();
    for p in &payments {
        by_indicator.entry(p.indicator_code.as_str()).or_default().push(p);
    }
    let empty = Vec::new();
    for ind in &facts.indicators {
        let ps = by_indicator.get(ind.code.as_str()).unwrap_or(&empty);
        indicator_rules(&mut out, as_of, year, done, ind, ps, t);
    }
    let indicators: HashMap<&str, &IndicatorFact> = facts.indicators.iter().map(|i| (i.code.as_str(), i)).collect();
    payment_rules(&mut out, &payments, &indicators, t);
    sangong(&mut out, year, facts, &payments, t);
    revenue_rules(&mut out, year, done, facts, t);
    out.sort_by_key(Finding::key);
    out
}

fn indicator_rules(
    out: &mut Vec<Finding>,
    as_of: Date,
    year: i32,
    done: u32,
    ind: &IndicatorFact,
    ps: &[&PaymentFact],
    t: &Thresholds,
) {
    let amount = ind.amount.fen();
    let month_sum = &ind.months;
    let paid: i64 = month_sum.iter().sum();
    let (unit, code) = (Some(ind.unit_code.as_str()), Some(ind.code.as_str()));
    // over_budget: paid to date above the amount, by % over.
    if amount >= 0 && paid > amount {
        let over = paid - amount;
        let level = if amount == 0 { Some(Level::Red) } else { t.over_budget.above(|b| pct_over(over, b, amount)) };
        if let Some(level) = level {
            Builder { rule: Rule::OverBudget, out }.push(
                level,
                unit,
                code,
                None,
                year.to_string(),
                from_crossing(ps, |s| s > amount),
                vec![
                    ("amount", yuan(amount)),
                    ("paid", yuan(paid)),
                    ("over", yuan(over)),
                    ("over_pct", pct(over, amount)),
                ],
            );
        }
    }
    if amount <= 0 {
        return;
    }
    // ahead_of_schedule: one month's payments above a share of the annual amount.
    for (m, &s) in month_sum.iter().enumerate() {
        if let Some(level) = t.ahead_of_schedule.above(|b| pct_over(s, b, amount)) {
            let month: Vec<&PaymentFact> =
                ps.iter().copied().filter(|p| p.pay_date.month() as usize == m + 1).collect();
            let bound = t.ahead_of_schedule.yellow;
            Builder { rule: Rule::AheadOfSchedule, out }.push(
                level,
                unit,
                code,
                None,
                format!("{year:04}-{:02}", m + 1),
                from_crossing(&month, |x| pct_over(x, bound, amount)),
                vec![("amount", yuan(amount)), ("month_paid", yuan(s)), ("month_pct", pct(s, amount))],
            );
        }
    }
    // behind_schedule: execution rate below time progress, measured at the last month-end.
    if done > 0 {
        let paid_done: i64 = month_sum[..done as usize].iter().sum();
        // progress − rate > b points  ⇔  done/12 − paid/amount > b/100  ⇔  100·done·amount − 1200·paid > 12·b·amount.
        let gap = 100 * i128::from(done) * i128::from(amount) - 1200 * i128::from(paid_done);
        if let Some(level) = t.behind_schedule.above(|b| gap > 12 * i128::from(b) * i128::from(amount)) {
            Builder { rule: Rule::BehindSchedule, out }.push(
                level,
                unit,
                code,
                None,
                format!("{year:04}-{done:02}"),
                Vec::new(),
                vec![
                    ("amount", yuan(amount)),
                    ("paid", yuan(paid_done)),
                    ("execution_pct", pct(paid_done, amount)),
                    ("time_progress_pct", pct(i64::from(done), 12)),
                ],
            );
        }
    }
    stagnant(out, year, done, ind, t);
    if ind.special && paid < amount {
        idle_funds(out, as_of, year, ind, paid, t);
    }
    // year_end_rush: December's share, once December has begun.
    if as_of >= Date::from_ymd(year, 12, 1).unwrap_or(as_of) {
        let dec = month_sum[11];
        if let Some(level) = t.year_end_rush.above(|b| pct_over(dec, b, amount)) {
            let month: Vec<&PaymentFact> = ps.iter().copied().filter(|p| p.pay_date.month() == 12).collect();
            let bound = t.year_end_rush.yellow;
            Builder { rule: Rule::YearEndRush, out }.push(
                level,
                unit,
                code,
                None,
                format!("{year:04}-12"),
                from_crossing(&month, |x| pct_over(x, bound, amount)),
                vec![("amount", yuan(amount)), ("december_paid", yuan(dec)), ("december_pct", pct(dec, amount))],
            );
        }
    }
}

/// stagnant: the longest run of consecutive complete months without a payment, anywhere in
/// the year so far, during which money remained; a run that ended when payments resumed is
/// still a finding to be explained.
fn stagnant(out: &mut Vec<Finding>, year: i32, done: u32, ind: &IndicatorFact, t: &Thresholds) {
    let amount = ind.amount.fen();
    let (month_sum, month_count) = (&ind.months, &ind.counts);
    let (unit, code) = (Some(ind.unit_code.as_str()), Some(ind.code.as_str()));
    let (mut longest, mut longest_from, mut longest_before, mut run, mut run_from, mut before_run, mut cum) =
        (0usize, 0usize, 0i128, 0usize, 0usize, 0i128, 0i128);
    for m in 0..done as usize {
        if month_count[m] == 0 {
            if run == 0 {
                run_from = m;
                before_run = cum;
            }
            run += 1;
            if run > longest && before_run < i128::from(amount) {
                (longest, longest_from, longest_before) = (run, run_from, before_run);
            }
        } else {
            run = 0;
        }
        cum += i128::from(month_sum[m]);
    }
    if let Some(level) = t.stagnant.reached(longest as i64) {
        let month = |m: usize| format!("{year:04}-{:02}", m + 1);
        Builder { rule: Rule::Stagnant, out }.push(
            level,
            unit,
            code,
            None,
            year.to_string(),
            Vec::new(),
            vec![
                ("months_without_payment", json!(longest)),
                ("from", json!(month(longest_from))),
                ("to", json!(month(longest_from + longest - 1))),
                ("ongoing", json!(longest_from + longest == done as usize)),
                // What stood unspent through the run: fixed once the run is over.
                ("balance", yuan(i128::from(amount) - longest_before)),
            ],
        );
    }
}

/// idle_funds: a special fund unused since its last payment (or since the year began), by
/// calendar date: last used on 15 March, "over 6 months" from 16 September.
fn idle_funds(out: &mut Vec<Finding>, as_of: Date, year: i32, ind: &IndicatorFact, paid: i64, t: &Thresholds) {
    let amount = ind.amount.fen();
    let (unit, code) = (Some(ind.unit_code.as_str()), Some(ind.code.as_str()));
    let start = Date::from_ymd(year, 1, 1).unwrap_or(as_of);
    let since = ind.last_paid.filter(|d| *d >= start).unwrap_or(start);
    let until = as_of.min(Date::from_ymd(year, 12, 31).unwrap_or(as_of));
    if let Some(level) = t.idle_funds.above(|b| until > since.add_months(b as i32)) {
        let whole_months = (0..=12).take_while(|n| since.add_months(n + 1) <= until).count();
        Builder { rule: Rule::IdleFunds, out }.push(
            level,
            unit,
            code,
            None,
            year.to_string(),
            Vec::new(),
            vec![
                ("months_unused", json!(whole_months)),
                ("last_paid", ind.last_paid.map(|d| json!(d.to_string())).unwrap_or(serde_json::Value::Null)),
                ("balance", yuan(i128::from(amount) - i128::from(paid))),
            ],
        );
    }
}

fn payment_rules(
    out: &mut Vec<Finding>,
    payments: &[&PaymentFact],
    indicators: &HashMap<&str, &IndicatorFact>,
    t: &Thresholds,
) {
    let month = |d: Date| d.month_key();
    for p in payments.iter().filter(|p| p.amount.is_positive()) {
        // out_of_scope: the economic code outside the indicator's, or a prohibited purpose.
        let ind = indicators.get(p.indicator_code.as_str());
        let outside = ind.is_some_and(|i| !p.economic_code.is_under(&i.economic_code));
        let terms: Vec<&String> = t.prohibited_terms.iter().filter(|w| p.summary.contains(w.as_str())).collect();
        if outside || !terms.is_empty() {
            let mut evidence =
                vec![("amount", yuan(p.amount.fen())), ("economic_code", json!(p.economic_code.as_str()))];
            if let Some(i) = ind.filter(|_| outside) {
                evidence.push(("indicator_economic_code", json!(i.economic_code.as_str())));
            }
            if !terms.is_empty() {
                evidence.push(("terms", json!(terms)));
                evidence.push(("summary", json!(p.summary)));
            }
            Builder { rule: Rule::OutOfScope, out }.push(
                Level::Orange,
                Some(&p.unit_code),
                Some(&p.indicator_code),
                None,
                month(p.pay_date),
                vec![p.voucher_no.clone()],
                evidence,
            );
        }
        // personal_account: a large transfer to an individual outside wage and welfare codes.
        if p.payee_type == PayeeType::Individual
            && p.amount >= t.personal_limit
            && !p.economic_code.is_wage_or_welfare()
        {
            Builder { rule: Rule::PersonalAccount, out }.push(
                Level::Yellow,
                Some(&p.unit_code),
                Some(&p.indicator_code),
                None,
                month(p.pay_date),
                vec![p.voucher_no.clone()],
                vec![("amount", yuan(p.amount.fen())), ("economic_code", json!(p.economic_code.as_str()))],
            );
        }
    }
    split_purchases(out, payments, t);
    duplicates(out, payments, t);
}

/// Whether a payment may be part of a split purchase: a positive payment below the limit,
/// not under a contract (procured already) and not for a recurring service.
pub fn split_candidate(p: &PaymentFact, t: &Thresholds) -> bool {
    p.amount.is_positive()
        && p.amount < t.split_limit
        && p.contract_no.as_deref().is_none_or(|c| c.trim().is_empty())
        && !t.split_exempt.iter().any(|c| p.economic_code.as_str().starts_with(c.as_str()))
}

/// Same unit and payee account: at least N payments each below the limit within a window of
/// D days whose sum reaches the limit; each window its own finding (`split_windows`).
fn split_purchases(out: &mut Vec<Finding>, payments: &[&PaymentFact], t: &Thresholds) {
    let mut groups: BTreeMap<(&str, &str), Vec<&PaymentFact>> = BTreeMap::new();
    for p in payments.iter().filter(|p| split_candidate(p, t)) {
        groups.entry((p.unit_code.as_str(), p.payee_account.as_str())).or_default().push(p);
    }
    for ((unit, account), ps) in groups {
        if ps.len() < t.split_min_payments {
            continue;
        }
        let days: Vec<i32> = ps.iter().map(|p| p.pay_date.days()).collect();
        let amounts: Vec<i64> = ps.iter().map(|p| p.amount.fen()).collect();
        for (i, j) in crate::split_windows(&days, &amounts, t.split_days, t.split_min_payments, t.split_limit.fen()) {
            let group = &ps[i..=j];
            let total: i128 = group.iter().map(|p| i128::from(p.amount.fen())).sum();
            Builder { rule: Rule::SplitPurchase, out }.push(
                Level::Orange,
                Some(unit),
                None,
                None,
                group[0].pay_date.month_key(),
                group.iter().map(|p| p.voucher_no.clone()).collect(),
                vec![
                    ("payee_account", json!(account)),
                    ("payments", json!(group.len())),
                    ("total", yuan(total)),
                    ("first", json!(group[0].pay_date.to_string())),
                    ("last", json!(group[group.len() - 1].pay_date.to_string())),
                ],
            );
        }
    }
}

/// The same invoice number paid more than once; or the same payee account and amount within
/// D days.
fn duplicates(out: &mut Vec<Finding>, payments: &[&PaymentFact], t: &Thresholds) {
    let positive: Vec<&PaymentFact> = payments.iter().copied().filter(|p| p.amount.is_positive()).collect();
    // Invoice numbers as exported differ in spacing, dashes and case: compared by their key.
    let mut by_invoice: BTreeMap<std::borrow::Cow<'_, str>, Vec<&PaymentFact>> = BTreeMap::new();
    for p in &positive {
        if let Some(inv) = p.invoice_no.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
            by_invoice.entry(bw_core::ident::key(inv)).or_default().push(p);
        }
    }
    for (_, ps) in by_invoice.into_iter().filter(|(_, ps)| ps.len() > 1) {
        let invoice = ps[0].invoice_no.as_deref().unwrap_or_default().trim();
        let total = yuan(ps.iter().map(|p| i128::from(p.amount.fen())).sum::<i128>());
        duplicate_group(
            out,
            &ps,
            vec![("invoice_no", json!(invoice)), ("payments", json!(ps.len())), ("total", total)],
        );
    }
    let mut by_payee: BTreeMap<(&str, i64), Vec<&PaymentFact>> = BTreeMap::new();
    for p in &positive {
        by_payee.entry((p.payee_account.as_str(), p.amount.fen())).or_default().push(p);
    }
    for ((account, amount), ps) in by_payee {
        // Chains of payments each within D days of the previous one form one group.
        let mut i = 0;
        while i < ps.len() {
            let mut j = i;
            while j + 1 < ps.len() && ps[j + 1].pay_date.days() - ps[j].pay_date.days() <= t.duplicate_days {
                j += 1;
            }
            if j > i {
                let group = &ps[i..=j];
                let evidence = vec![
                    ("payee_account", json!(account)),
                    ("amount", yuan(amount)),
                    ("payments", json!(group.len())),
                    ("first", json!(group[0].pay_date.to_string())),
                    ("last", json!(group[group.len() - 1].pay_date.to_string())),
                ];
                duplicate_group(out, group, evidence);
            }
            i = j + 1;
        }
    }
}

/// One duplicate_payment warning for `group`, under the first payment's unit and indicator.
fn duplicate_group(out: &mut Vec<Finding>, group: &[&PaymentFact], evidence: Vec<(&'static str, serde_json::Value)>) {
    Builder { rule: Rule::DuplicatePayment, out }.push(
        Level::Orange,
        Some(&group[0].unit_code),
        Some(&group[0].indicator_code),
        None,
        group[0].pay_date.month_key(),
        group.iter().map(|p| p.voucher_no.clone()).collect(),
        evidence,
    );
}

/// A unit's 三公 spending (what its indicators with 三公 codes paid) above its 三公 budget
/// (those indicators' amounts).
fn sangong(out: &mut Vec<Finding>, year: i32, facts: &Facts, payments: &[&PaymentFact], t: &Thresholds) {
    let mut units: BTreeMap<&str, (i64, i64, Vec<&str>)> = BTreeMap::new();
    for i in facts.indicators.iter().filter(|i| i.economic_code.is_sangong()) {
        let e = units.entry(i.unit_code.as_str()).or_default();
        e.0 += i.amount.fen();
        e.1 += i.months.iter().sum::<i64>();
        e.2.push(i.code.as_str());
    }
    for (unit, (b, paid, codes)) in units {
        if paid <= b {
            continue;
        }
        let ps: Vec<&PaymentFact> =
            payments.iter().copied().filter(|p| codes.contains(&p.indicator_code.as_str())).collect();
        let over = paid - b;
        let level = if b == 0 { Some(Level::Red) } else { t.sangong_over.above(|x| pct_over(over, x, b)) };
        if let Some(level) = level {
            Builder { rule: Rule::SangongOver, out }.push(
                level,
                Some(unit),
                None,
                None,
                year.to_string(),
                from_crossing(&ps, |s| s > b),
                vec![("budget", yuan(b)), ("spent", yuan(paid)), ("over", yuan(over)), ("over_pct", pct(over, b))],
            );
        }
    }
}

/// Cumulative revenue completion behind time progress at consecutive month-ends.
fn revenue_rules(out: &mut Vec<Finding>, year: i32, done: u32, facts: &Facts, t: &Thresholds) {
    for r in &facts.revenues {
        let target = r.target.fen();
        if target <= 0 || done == 0 {
            continue;
        }
        let mut behind = Vec::new();
        let mut cum = 0i64;
        for m in 0..done as usize {
            cum += r.months[m];
            // (m+1)/12 − cum/target > p/100 ⇔ 100·(m+1)·target − 1200·cum > 12·p·target.
            let gap = 100 * (m as i128 + 1) * i128::from(target) - 1200 * i128::from(cum);
            behind.push(gap > 12 * i128::from(t.revenue_gap_points) * i128::from(target));
        }
        let run = behind.iter().rev().take_while(|b| **b).count() as i64;
        if let Some(level) = t.revenue_shortfall.reached(run) {
            Builder { rule: Rule::RevenueShortfall, out }.push(
                level,
                None,
                None,
                Some((&r.region_code, &r.revenue_code)),
                year.to_string(),
                Vec::new(),
                vec![
                    ("target", yuan(target)),
                    ("collected", yuan(cum)),
                    ("completion_pct", pct(cum, target)),
                    ("time_progress_pct", pct(i64::from(done), 12)),
                    ("month_ends_behind", json!(run)),
                    ("gap_points", json!(t.revenue_gap_points)),
                ],
            );
        }
    }
}
