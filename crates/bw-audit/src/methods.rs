//! The audit office's method library (审计方法库): checks auditors run on a year's books, each
//! with its default parameter (an `audit.*` setting).

use std::collections::{BTreeMap, HashMap};

use bw_core::Date;
use bw_core::code::EconomicCode;
use bw_core::records::PayeeType;
use serde_json::json;

use crate::normalize::FxMap;
use crate::{Data, Finding, Params, Payment, pct, yuan};

/// A project's figures for one year.
#[derive(Default)]
struct ProjectYear<'a> {
    unit: &'a str,
    amount: i64,
    paid: i64,
    nov_dec: Vec<usize>,
    other: Vec<usize>,
}

fn payee_is_association(name: &str) -> bool {
    ["协会", "学会", "商会", "联合会", "研究会", "促进会", "基金会"].iter().any(|w| name.contains(w))
}

fn payee_is_union(name: &str) -> bool {
    name.contains("工会")
}

fn payee_is_supermarket(name: &str) -> bool {
    ["超市", "商场", "购物中心", "百货", "便利店"].iter().any(|w| name.contains(w))
}

/// Months of the year complete on `as_of` (12 once the year is over).
fn months_done(year: i32, as_of: Option<Date>) -> i64 {
    match as_of {
        None => 12,
        Some(d) if d.year() > year => 12,
        Some(d) if d.year() < year => 0,
        Some(d) => i64::from(d.month()) - i64::from(d != d.month_end()),
    }
}

fn vouchers(payments: &[Payment], ps: &[usize]) -> Vec<String> {
    ps.iter().map(|&i| payments[i].voucher.to_string()).collect()
}

pub fn run(data: &Data, p: &Params, out: &mut Vec<Finding>) {
    let pay = &data.payments;
    let year = data.year;
    let done = months_done(year, data.as_of);

    // Projects of the year: amounts from the indicators, payments from the payments.
    let mut projects: BTreeMap<&str, ProjectYear> = BTreeMap::new();
    let mut indicator_project: HashMap<&str, &str> = HashMap::new();
    let mut indicator_amount: HashMap<&str, (i64, &str)> = HashMap::new();
    for i in data.indicators.iter().filter(|i| i.year == year) {
        indicator_amount.insert(&i.code, (i.amount.fen(), &i.unit));
        if let Some(pr) = &i.project {
            let e = projects.entry(pr).or_default();
            if e.unit.is_empty() {
                e.unit = &i.unit;
            }
            e.amount += i.amount.fen();
            indicator_project.insert(&i.code, pr);
        }
    }
    // What a payee's name, a summary or a code says is worked out once per distinct value:
    // a million payments repeat a few thousand of each.
    let mut payee_kinds: FxMap<&str, [bool; 3]> = FxMap::default();
    for x in pay {
        payee_kinds.entry(&x.payee_name).or_insert_with(|| {
            [payee_is_association(&x.payee_name), payee_is_union(&x.payee_name), payee_is_supermarket(&x.payee_name)]
        });
    }
    let mut to_association: HashMap<&str, Vec<usize>> = HashMap::new();
    for (k, x) in pay.iter().enumerate() {
        if let Some(pr) = indicator_project.get(x.indicator.as_ref()).and_then(|pr| projects.get_mut(pr)) {
            pr.paid += x.amount.fen();
            if x.date.month() >= 11 {
                pr.nov_dec.push(k);
            }
            if x.economic.len() >= 5 && x.economic.ends_with("99") {
                pr.other.push(k);
            }
        }
        if x.amount.is_positive() && payee_kinds[x.payee_name.as_ref()][0] {
            to_association.entry(&x.indicator).or_default().push(k);
        }
    }

    for (code, pr) in &projects {
        if pr.amount <= 0 {
            continue;
        }
        let nd: i64 = pr.nov_dec.iter().map(|&k| pay[k].amount.fen()).sum();
        if nd * 100 > p.rush_pct * pr.amount {
            out.push(
                Finding::new("project_year_end_rush", Some(pr.unit), vouchers(pay, &pr.nov_dec), nd)
                    .with("project_code", json!(code))
                    .with("annual_amount", yuan(pr.amount))
                    .with("nov_dec_paid", yuan(nd))
                    .with("nov_dec_pct", pct(nd, pr.amount))
                    .with("limit_pct", json!(p.rush_pct)),
            );
        }
        // Below pct % of the amount, pro rata of the months complete.
        if done > 0 && (pr.paid as i128) * 100 * 12 < (p.low_execution_pct * done) as i128 * pr.amount as i128 {
            out.push(
                Finding::new("low_execution", Some(pr.unit), Vec::new(), pr.amount - pr.paid)
                    .with("project_code", json!(code))
                    .with("annual_amount", yuan(pr.amount))
                    .with("paid", yuan(pr.paid))
                    .with("execution_pct", pct(pr.paid, pr.amount))
                    .with("limit_pct", json!(p.low_execution_pct))
                    .with("months_complete", json!(done)),
            );
        }
        let other: i64 = pr.other.iter().map(|&k| pay[k].amount.fen()).sum();
        if pr.paid > 0 && other * 100 > p.other_subclass_pct * pr.paid {
            out.push(
                Finding::new("other_subclass", Some(pr.unit), vouchers(pay, &pr.other), other)
                    .with("project_code", json!(code))
                    .with("paid", yuan(pr.paid))
                    .with("other_paid", yuan(other))
                    .with("other_pct", pct(other, pr.paid))
                    .with("limit_pct", json!(p.other_subclass_pct)),
            );
        }
    }
    low_execution_3y(data, p, &projects, done, out);

    let mut inds: Vec<(&&str, &Vec<usize>)> = to_association.iter().collect();
    inds.sort();
    for (ind, ps) in inds {
        let Some(&(amount, unit)) = indicator_amount.get(*ind) else { continue };
        let s: i64 = ps.iter().map(|&k| pay[k].amount.fen()).sum();
        if amount > 0 && s * 100 > p.association_pct * amount {
            out.push(
                Finding::new("association_payments", Some(unit), vouchers(pay, ps), s)
                    .with("indicator_code", json!(ind))
                    .with("indicator_amount", yuan(amount))
                    .with("to_associations", yuan(s))
                    .with("pct", pct(s, amount))
                    .with("limit_pct", json!(p.association_pct)),
            );
        }
    }

    let mut codes: FxMap<&str, (bool, bool)> = FxMap::default();
    let mut summaries: FxMap<&str, (Vec<&str>, bool)> = FxMap::default();
    for x in pay.iter().filter(|x| x.amount.is_positive()) {
        let (wage, sangong) = *codes.entry(&x.economic).or_insert_with(|| {
            let c = EconomicCode::parse(&x.economic);
            (c.as_ref().is_ok_and(|c| c.is_wage_or_welfare()), c.is_ok_and(|c| c.is_sangong()))
        });
        let (terms, prepaid) = summaries.entry(&x.summary).or_insert_with(|| {
            let terms =
                p.luxury_terms.iter().map(String::as_str).filter(|t| !t.is_empty() && x.summary.contains(t)).collect();
            (terms, ["预付", "预存", "充值", "预交", "储值"].iter().any(|w| x.summary.contains(w)))
        });
        let [_, to_union, supermarket] = payee_kinds[x.payee_name.as_ref()];
        let single = |test: &'static str| {
            Finding::new(test, Some(&x.unit), vec![x.voucher.to_string()], x.amount.fen())
                .with("payee", json!(x.payee_name))
                .with("amount", yuan(x.amount.fen()))
                .with("date", json!(x.date.to_string()))
                .with("summary", json!(x.summary))
        };
        if (to_union || (x.payee_type == PayeeType::Individual && !wage)) && x.amount > p.union_individual_limit {
            out.push(
                single("union_or_individual")
                    .with("payee_kind", json!(if to_union { "trade_union" } else { "individual" }))
                    .with("limit", yuan(p.union_individual_limit.fen())),
            );
        }
        let round = p.round_sum.fen();
        if round > 0 && supermarket && x.amount.fen() >= round && x.amount.fen() % round == 0 {
            out.push(single("supermarket_round_sum").with("multiple_of", yuan(round)));
        }
        if !terms.is_empty() {
            out.push(single("luxury_keywords").with("terms", json!(terms)));
        }
        if sangong && *prepaid && x.date.month() >= 10 && x.amount > p.sangong_prepaid_limit {
            out.push(
                single("sangong_prepaid_q4")
                    .with("economic_code", json!(x.economic))
                    .with("limit", yuan(p.sangong_prepaid_limit.fen())),
            );
        }
    }
    revenue_jumps(data, p, out);
}

/// Projects with execution below `low_execution_3y_pct` % in each of the last three years
/// (this year pro rata of the months complete; the two before from their indicators' paid).
fn low_execution_3y(
    data: &Data,
    p: &Params,
    projects: &BTreeMap<&str, ProjectYear>,
    done: i64,
    out: &mut Vec<Finding>,
) {
    let mut before: HashMap<(&str, i32), (i64, i64)> = HashMap::new();
    for i in data.indicators.iter().filter(|i| i.year < data.year && i.year >= data.year - 2) {
        if let Some(pr) = &i.project {
            let e = before.entry((pr.as_str(), i.year)).or_default();
            e.0 += i.amount.fen();
            e.1 += i.paid.fen();
        }
    }
    if done == 0 {
        return;
    }
    let low = |paid: i64, amount: i64, months: i64| {
        amount > 0 && (paid as i128) * 100 * 12 < (p.low_execution_3y_pct * months) as i128 * amount as i128
    };
    for (code, pr) in projects {
        if !low(pr.paid, pr.amount, done) {
            continue;
        }
        let years: Vec<Option<&(i64, i64)>> = (1..=2).map(|k| before.get(&(*code, data.year - k))).collect();
        if years.iter().all(|y| y.is_some_and(|(a, paid)| low(*paid, *a, 12))) {
            let rates: Vec<serde_json::Value> = years
                .iter()
                .rev()
                .flatten()
                .map(|(a, paid)| pct(*paid, *a))
                .chain(std::iter::once(pct(pr.paid, pr.amount)))
                .collect();
            out.push(
                Finding::new("low_execution_3y", Some(pr.unit), Vec::new(), pr.amount - pr.paid)
                    .with("project_code", json!(code))
                    .with("years", json!([data.year - 2, data.year - 1, data.year]))
                    .with("execution_pct", json!(rates))
                    .with("limit_pct", json!(p.low_execution_3y_pct)),
            );
        }
    }
}

/// A month's revenue more than `revenue_jump_pct` % above the same month of the year before
/// or above the month before.
fn revenue_jumps(data: &Data, p: &Params, out: &mut Vec<Finding>) {
    let mut m: HashMap<(&str, &str, i32, u32), i64> = HashMap::new();
    for r in &data.revenues {
        *m.entry((&r.region, &r.revenue_code, r.year, r.month)).or_default() += r.amount.fen();
    }
    let mut keys: Vec<&(&str, &str, i32, u32)> = m.keys().filter(|k| k.2 == data.year).collect();
    keys.sort();
    for k in keys {
        let (region, code, year, month) = *k;
        let amount = m[k];
        let prev_key = if month == 1 { (region, code, year - 1, 12) } else { (region, code, year, month - 1) };
        let bases =
            [("month_before", m.get(&prev_key)), ("same_month_last_year", m.get(&(region, code, year - 1, month)))];
        let over: Vec<(&str, i64)> = bases
            .iter()
            .filter_map(|(what, b)| {
                b.copied().filter(|b| *b > 0 && (amount - b) * 100 > p.revenue_jump_pct * b).map(|b| (*what, b))
            })
            .collect();
        if over.is_empty() {
            continue;
        }
        let mut f = Finding::new("revenue_jump", None, Vec::new(), amount)
            .with("region_code", json!(region))
            .with("revenue_code", json!(code))
            .with("month", json!(format!("{year}-{month:02}")))
            .with("amount", yuan(amount))
            .with("limit_pct", json!(p.revenue_jump_pct));
        for (what, b) in over {
            f = f.with(what, yuan(b)).with(&format!("{what}_growth_pct"), pct(amount - b, b));
        }
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests_support::pay;
    use crate::{Indicator, RevenueMonth};
    use bw_core::Money;

    fn ind(year: i32, code: &str, project: &str, amount: i64, paid: i64) -> Indicator {
        Indicator {
            year,
            code: code.into(),
            unit: "U1".into(),
            project: Some(project.into()),
            economic: "30227".into(),
            amount: Money::from_fen(amount),
            paid: Money::from_fen(paid),
        }
    }

    fn tests_of(out: &[Finding]) -> Vec<&str> {
        out.iter().map(|f| f.test).collect()
    }

    #[test]
    fn project_checks() {
        let mut payments = vec![
            pay("V1", "U1", "2025-03-01", "甲公司", 1_000_000, ""),
            pay("V2", "U1", "2025-11-20", "甲公司", 3_000_000, ""),
            pay("V3", "U1", "2025-12-20", "甲公司", 2_500_000, ""),
        ];
        for x in &mut payments {
            x.indicator = "I1".into();
        }
        payments[0].economic = "30299".into();
        let data = Data {
            year: 2025,
            as_of: Date::from_ymd(2025, 12, 31),
            payments,
            indicators: vec![ind(2025, "I1", "P1", 10_000_000, 0), ind(2025, "I2", "P2", 10_000_000, 0)],
            ..Default::default()
        };
        let mut out = Vec::new();
        run(&data, &Params::default(), &mut out);
        // P1: 55 % in Nov–Dec; 15.4 % of its spending under 30299 (not above 20 %); P2 unspent.
        assert_eq!(tests_of(&out), vec!["project_year_end_rush", "low_execution"]);
        assert_eq!(out[0].vouchers, vec!["V2", "V3"]);
        assert_eq!(out[0].evidence["nov_dec_pct"], json!(55.0));
        assert_eq!(out[1].evidence["project_code"], json!("P2"));
        // In June the spending is judged pro rata: P1 at 10 % is on the 10 % line, P2 at 0 % low.
        let mut mid = data.clone();
        mid.as_of = Date::from_ymd(2025, 6, 30);
        mid.payments.truncate(1);
        let mut out = Vec::new();
        run(&mid, &Params::default(), &mut out);
        assert_eq!(tests_of(&out), vec!["other_subclass", "low_execution"]);
    }

    #[test]
    fn three_years_running() {
        let data = Data {
            year: 2025,
            as_of: Date::from_ymd(2025, 12, 31),
            indicators: vec![
                ind(2023, "A", "P1", 100, 40),
                ind(2024, "B", "P1", 100, 45),
                ind(2025, "C", "P1", 100, 0),
                ind(2024, "D", "P2", 100, 90),
                ind(2025, "E", "P2", 100, 0),
            ],
            ..Default::default()
        };
        let mut out = Vec::new();
        run(&data, &Params::default(), &mut out);
        let three: Vec<&Finding> = out.iter().filter(|f| f.test == "low_execution_3y").collect();
        assert_eq!(three.len(), 1);
        assert_eq!(three[0].evidence["execution_pct"], json!([40.0, 45.0, 0.0]));
    }

    #[test]
    fn payments_auditors_look_at() {
        let mut ps = vec![
            pay("V1", "U1", "2025-05-01", "某区总工会", 1_200_000, ""),
            pay("V2", "U1", "2025-05-02", "家乐福超市", 500_000, ""),
            pay("V3", "U1", "2025-05-03", "家乐福超市", 512_300, ""),
            pay("V4", "U1", "2025-05-04", "某商行", 90_000, ""),
            pay("V5", "U1", "2025-11-05", "某酒店", 2_000_000, ""),
            pay("V6", "U1", "2025-05-06", "某行业协会", 800_000, ""),
        ];
        ps[3].summary = "购买名表".into();
        ps[4].summary = "预付接待费".into();
        ps[4].economic = "30217".into();
        ps[5].indicator = "I9".into();
        let data = Data {
            year: 2025,
            as_of: Date::from_ymd(2025, 12, 31),
            payments: ps,
            indicators: vec![Indicator { project: None, ..ind(2025, "I9", "", 1_000_000, 0) }],
            ..Default::default()
        };
        let mut out = Vec::new();
        run(&data, &Params::default(), &mut out);
        assert_eq!(
            tests_of(&out),
            vec![
                "association_payments",
                "union_or_individual",
                "supermarket_round_sum",
                "luxury_keywords",
                "sangong_prepaid_q4"
            ]
        );
    }

    #[test]
    fn revenue_jumps_on_the_month_before_and_last_year() {
        let rev = |year, month, fen| RevenueMonth {
            region: "R".into(),
            revenue_code: "10101".into(),
            year,
            month,
            amount: Money::from_fen(fen),
        };
        let data = Data {
            year: 2025,
            revenues: vec![rev(2025, 1, 100), rev(2025, 2, 151), rev(2025, 3, 150), rev(2024, 3, 90)],
            ..Default::default()
        };
        let mut out = Vec::new();
        run(&data, &Params::default(), &mut out);
        let months: Vec<&serde_json::Value> = out.iter().map(|f| &f.evidence["month"]).collect();
        assert_eq!(months, vec![&json!("2025-02"), &json!("2025-03")]);
        assert_eq!(out[1].evidence["same_month_last_year_growth_pct"], json!(66.67));
    }
}
