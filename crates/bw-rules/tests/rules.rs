//! The twelve rules on scenarios with known answers, at their boundaries.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)] // tests fail by panicking

use bw_core::code::EconomicCode;
use bw_core::records::PayeeType;
use bw_core::{Date, Money};
use bw_rules::*;

fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn yuan(s: &str) -> Money {
    Money::parse_yuan(s).unwrap()
}

fn ind(code: &str, econ: &str, amount: &str, special: bool) -> IndicatorFact {
    IndicatorFact {
        code: code.into(),
        unit_code: "U1".into(),
        economic_code: EconomicCode::parse(econ).unwrap(),
        amount: yuan(amount),
        special,
        months: [0; 12],
        counts: [0; 12],
        last_paid: None,
    }
}

/// The rules as of `as_of` over every payment of `f`.
fn eval(as_of: &str, f: &Facts) -> Vec<Finding> {
    let mut f = f.clone();
    aggregate(&mut f, d(as_of));
    evaluate(d(as_of), &f, &Thresholds::default())
}

fn pay(voucher: &str, date: &str, indicator: &str, amount: &str) -> PaymentFact {
    PaymentFact {
        voucher_no: voucher.into(),
        unit_code: "U1".into(),
        indicator_code: indicator.into(),
        pay_date: d(date),
        economic_code: EconomicCode::parse("30201").unwrap(),
        payee_account: format!("acct-{voucher}"),
        payee_type: PayeeType::Company,
        amount: yuan(amount),
        summary: "办公用品".into(),
        invoice_no: None,
        contract_no: None,
    }
}

fn facts(indicators: Vec<IndicatorFact>, payments: Vec<PaymentFact>) -> Facts {
    Facts { year: 2026, indicators, payments, revenues: Vec::new() }
}

/// (rule, level, vouchers) of every finding.
fn found(as_of: &str, f: &Facts) -> Vec<(String, &'static str, Vec<String>)> {
    eval(as_of, f).into_iter().map(|w| (w.rule.to_string(), w.level.as_str(), w.vouchers)).collect()
}

fn only(as_of: &str, f: &Facts, rule: &str) -> Vec<(&'static str, Vec<String>)> {
    found(as_of, f).into_iter().filter(|w| w.0 == rule).map(|w| (w.1, w.2)).collect()
}

fn v(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn time_progress_counts_completed_months() {
    assert_eq!(completed_months(2026, d("2026-07-31")), 7);
    assert_eq!(completed_months(2026, d("2026-07-30")), 6);
    assert_eq!(completed_months(2026, d("2026-02-28")), 2);
    assert_eq!(completed_months(2026, d("2025-12-31")), 0);
    assert_eq!(completed_months(2026, d("2027-01-01")), 12);
}

#[test]
fn over_budget_levels_at_their_bounds_name_the_vouchers_from_the_crossing() {
    let cases = [
        ("100000.00", None),
        ("100000.01", Some("yellow")),
        ("110000.00", Some("yellow")),
        ("110000.01", Some("orange")),
        ("120000.00", Some("orange")),
        ("120000.01", Some("red")),
    ];
    for (last, want) in cases {
        // 60,000 + 30,000 + the rest, spread over three months.
        let rest = (yuan(last).fen() - 9_000_000).to_string();
        let rest = format!("{}.{:02}", &rest[..rest.len() - 2], &rest[rest.len() - 2..]);
        let f = facts(
            vec![ind("I1", "302", "100000.00", false)],
            vec![
                pay("V1", "2026-01-10", "I1", "60000"),
                pay("V2", "2026-02-10", "I1", "30000"),
                pay("V3", "2026-03-10", "I1", &rest),
            ],
        );
        let got = only("2026-12-31", &f, "over_budget");
        match want {
            None => assert!(got.is_empty(), "{last}: {got:?}"),
            Some(level) => assert_eq!(got, vec![(level, v(&["V3"]))], "{last}"),
        }
    }
}

#[test]
fn ahead_of_schedule_and_year_end_rush_compare_a_months_share() {
    let f = |april: &str, december: &str| {
        facts(
            vec![ind("I1", "302", "100000.00", false)],
            vec![
                pay("A1", "2026-04-01", "I1", "10000"),
                pay("A2", "2026-04-20", "I1", april),
                pay("D1", "2026-12-02", "I1", "5000"),
                pay("D2", "2026-12-15", "I1", december),
            ],
        )
    };
    assert!(only("2026-12-31", &f("10000.00", "1"), "ahead_of_schedule").is_empty(), "exactly 20 %");
    assert_eq!(only("2026-12-31", &f("10000.01", "1"), "ahead_of_schedule"), vec![("yellow", v(&["A2"]))]);
    assert_eq!(only("2026-12-31", &f("20000.01", "1"), "ahead_of_schedule"), vec![("orange", v(&["A2"]))]);
    assert_eq!(only("2026-12-31", &f("30000.01", "1"), "ahead_of_schedule"), vec![("red", v(&["A2"]))]);
    // December: 5,000 + 20,000 = exactly 25 %; then 25 % + 0.01.
    assert!(only("2026-12-31", &f("1", "20000.00"), "year_end_rush").is_empty());
    assert_eq!(only("2026-12-31", &f("1", "20000.01"), "year_end_rush"), vec![("yellow", v(&["D2"]))]);
    assert_eq!(only("2026-12-31", &f("1", "45000.01"), "year_end_rush"), vec![("red", v(&["D2"]))]);
    // Checked only once December has begun, and only payments up to the as-of date count.
    assert!(only("2026-11-30", &f("1", "45000.01"), "year_end_rush").is_empty());
    assert!(only("2026-12-10", &f("1", "45000.01"), "year_end_rush").is_empty());
}

#[test]
fn behind_schedule_measures_points_below_time_progress() {
    // At 2026-07-31 time progress is 7/12 = 700.00 of 1,200.00; 10 points = 120.00.
    let f = |paid: &str| facts(vec![ind("I1", "302", "1200.00", false)], vec![pay("V1", "2026-01-05", "I1", paid)]);
    assert!(only("2026-07-31", &f("580.00"), "behind_schedule").is_empty(), "exactly 10 points");
    assert_eq!(only("2026-07-31", &f("579.99"), "behind_schedule"), vec![("yellow", v(&[]))]);
    assert_eq!(only("2026-07-31", &f("339.99"), "behind_schedule"), vec![("red", v(&[]))]);
    let w = eval("2026-07-31", &f("579.99"));
    let b = w.iter().find(|w| w.rule == "behind_schedule").unwrap();
    assert_eq!(b.period, "2026-07");
    assert_eq!(b.evidence["time_progress_pct"], serde_json::json!(58.33));
    // On 2026-07-30 only June is complete: progress 600.00, so 579.99 is 1.67 points behind.
    assert!(only("2026-07-30", &f("579.99"), "behind_schedule").is_empty());
    assert_eq!(only("2026-07-30", &f("459.99"), "behind_schedule"), vec![("yellow", v(&[]))]);
}

#[test]
fn stagnant_finds_the_longest_run_of_months_without_payment_anywhere_in_the_year() {
    let months = |code: &str, list: &[&str]| -> Vec<PaymentFact> {
        list.iter().map(|m| pay(&format!("{code}-{m}"), &format!("2026-{m}-10"), code, "100")).collect()
    };
    // I1: paid Jan–Mar, nothing Apr–Jun, paid again from July: a run that ended is a finding.
    // I2: nothing Jan–Feb, then Apr and nothing May–Aug (4 months): the longest run counts.
    // I3: spent in full in January, nothing since: no money remained, no stagnation.
    // I4: a run of two months only.
    let mut ps = months("I1", &["01", "02", "03", "07", "08", "09"]);
    ps.extend(months("I2", &["03", "04", "09"]));
    ps.push(pay("I3-01", "2026-01-10", "I3", "1000.00"));
    ps.extend(months("I4", &["01", "02", "05", "06", "07", "08", "09"]));
    let f = facts(
        vec![
            ind("I1", "302", "10000.00", false),
            ind("I2", "302", "10000.00", false),
            ind("I3", "302", "1000.00", false),
            ind("I4", "302", "10000.00", false),
        ],
        ps,
    );
    let w = eval("2026-09-30", &f);
    let stagnant: Vec<(&str, &str, String, String, bool)> = w
        .iter()
        .filter(|w| w.rule == "stagnant")
        .map(|w| {
            let e = |k: &str| w.evidence[k].as_str().unwrap_or_default().to_string();
            (
                w.indicator_code.as_deref().unwrap_or(""),
                w.level.as_str(),
                e("from"),
                e("to"),
                w.evidence["ongoing"] == true,
            )
        })
        .collect();
    assert_eq!(
        stagnant,
        vec![
            ("I1", "yellow", "2026-04".to_string(), "2026-06".to_string(), false),
            ("I2", "orange", "2026-05".to_string(), "2026-08".to_string(), false),
        ]
    );
    // As of 2026-06-29 June is not complete: I1's run is Apr–May, two months.
    assert!(only("2026-06-29", &f, "stagnant").is_empty());
    assert_eq!(only("2026-06-30", &f, "stagnant"), vec![("yellow", v(&[]))]);
}

#[test]
fn idle_funds_count_calendar_time_since_the_last_payment() {
    let used = facts(vec![ind("S1", "302", "100000.00", true)], vec![pay("V1", "2026-03-15", "S1", "1000")]);
    // Last used on 15 March: "over 6 months" from 16 September, over 9 from 16 December.
    assert!(only("2026-09-15", &used, "idle_funds").is_empty());
    assert_eq!(only("2026-09-16", &used, "idle_funds"), vec![("yellow", v(&[]))]);
    assert_eq!(only("2026-12-15", &used, "idle_funds"), vec![("yellow", v(&[]))]);
    assert_eq!(only("2026-12-16", &used, "idle_funds"), vec![("orange", v(&[]))]);
    let w = eval("2026-09-16", &used);
    let idle = w.iter().find(|w| w.rule == "idle_funds").unwrap();
    assert_eq!(
        (idle.evidence["months_unused"].clone(), idle.evidence["last_paid"].clone()),
        (6.into(), "2026-03-15".into())
    );
    // The month's last day: used 31 March, idle from 1 October.
    let end = facts(vec![ind("S1", "302", "100000.00", true)], vec![pay("V1", "2026-03-31", "S1", "1000")]);
    assert!(only("2026-09-30", &end, "idle_funds").is_empty());
    assert_eq!(only("2026-10-01", &end, "idle_funds"), vec![("yellow", v(&[]))]);
    // Never used: counted from 1 January, idle from 2 July.
    let never = facts(vec![ind("S1", "302", "100000.00", true)], Vec::new());
    assert!(only("2026-07-01", &never, "idle_funds").is_empty());
    assert_eq!(only("2026-07-02", &never, "idle_funds"), vec![("yellow", v(&[]))]);
    // A refund is not use; an ordinary (not special) indicator is never idle funds.
    let refunded = facts(
        vec![ind("S1", "302", "100000.00", true), ind("I1", "302", "100000.00", false)],
        vec![pay("V1", "2026-03-15", "S1", "1000"), pay("R1", "2026-08-01", "S1", "-10")],
    );
    assert_eq!(only("2026-09-16", &refunded, "idle_funds"), vec![("yellow", v(&[]))]);
}

#[test]
fn split_purchases_need_three_payments_below_the_limit_within_thirty_days() {
    let group = |dates: [&str; 3], amounts: [&str; 3]| {
        let ps = (0..3)
            .map(|i| PaymentFact {
                payee_account: "6222-same".into(),
                ..pay(&format!("S{i}"), dates[i], "I1", amounts[i])
            })
            .collect();
        facts(vec![ind("I1", "302", "900000.00", false)], ps)
    };
    let close = ["2026-03-01", "2026-03-15", "2026-03-31"];
    assert_eq!(
        only("2026-12-31", &group(close, ["16666.67", "16666.67", "16666.66"]), "split_purchase"),
        vec![("orange", v(&["S0", "S1", "S2"]))],
        "the sum reaches exactly 50,000.00 within 30 days"
    );
    assert!(only("2026-12-31", &group(close, ["16666.67", "16666.67", "16666.65"]), "split_purchase").is_empty());
    assert!(
        only("2026-12-31", &group(close, ["50000.00", "20000", "20000"]), "split_purchase").is_empty(),
        "a payment of exactly 50,000.00 is not below the limit"
    );
    let month_apart = ["2026-03-01", "2026-04-01", "2026-05-01"];
    assert!(only("2026-12-31", &group(month_apart, ["20000", "20000", "20000"]), "split_purchase").is_empty());
    let thirty_one = ["2026-03-01", "2026-03-20", "2026-04-01"];
    assert!(only("2026-12-31", &group(thirty_one, ["20000", "20000", "20000"]), "split_purchase").is_empty());
}

#[test]
fn split_purchases_are_windows_never_merged_and_leave_out_contracts_and_recurring_services() {
    let to_firm =
        |v: &str, date: &str, amount: &str| PaymentFact { payee_account: "firm".into(), ..pay(v, date, "I1", amount) };
    // A window in March, another in May: two findings, each of at most 30 days.
    let mut ps = vec![
        to_firm("A1", "2026-03-01", "20000"),
        to_firm("A2", "2026-03-15", "20000"),
        to_firm("A3", "2026-03-31", "20000"),
        to_firm("B1", "2026-04-20", "20000"),
        to_firm("B2", "2026-05-01", "20000"),
        to_firm("B3", "2026-05-10", "20000"),
    ];
    // Contract instalments (procured) and electricity bills (30206) to one payee: not splitting.
    for (i, date) in ["2026-07-01", "2026-07-10", "2026-07-20", "2026-07-30"].iter().enumerate() {
        ps.push(PaymentFact {
            payee_account: "builder".into(),
            contract_no: Some("HT-1".into()),
            ..pay(&format!("C{i}"), date, "I1", "20000")
        });
        ps.push(PaymentFact {
            payee_account: "grid".into(),
            economic_code: EconomicCode::parse("30206").unwrap(),
            ..pay(&format!("E{i}"), date, "I1", "20000")
        });
    }
    let f = facts(vec![ind("I1", "302", "9000000.00", false)], ps);
    assert_eq!(
        only("2026-12-31", &f, "split_purchase"),
        vec![("orange", v(&["A1", "A2", "A3"])), ("orange", v(&["B1", "B2", "B3"]))]
    );
    // Eleven months of such payments are windows of at most 30 days each, never one group of
    // the year: no payment in two windows (November's last two make no window of three).
    let year: Vec<PaymentFact> = (1..=11)
        .flat_map(|m| [5, 15, 25].map(|d| to_firm(&format!("Y{m:02}{d}"), &format!("2026-{m:02}-{d:02}"), "20000")))
        .collect();
    let w = eval("2026-12-31", &facts(vec![ind("I1", "302", "9000000.00", false)], year));
    let split: Vec<&Finding> = w.iter().filter(|w| w.rule == "split_purchase").collect();
    assert_eq!(split.len(), 9);
    let day = |f: &Finding, k: &str| d(f.evidence[k].as_str().unwrap()).days();
    assert!(split.iter().all(|f| day(f, "last") - day(f, "first") <= 30));
    let mut all: Vec<&String> = split.iter().flat_map(|f| &f.vouchers).collect();
    all.dedup();
    assert_eq!(all.len(), 31);
}

#[test]
fn duplicates_by_invoice_or_by_payee_and_amount_within_seven_days() {
    let mut a = pay("V1", "2026-03-01", "I1", "800");
    let mut b = pay("V2", "2026-05-01", "I1", "900");
    a.invoice_no = Some("FP-1".into());
    b.invoice_no = Some("FP-1".into());
    let c = PaymentFact { payee_account: "same".into(), ..pay("V3", "2026-06-01", "I1", "1234.56") };
    let e = PaymentFact { payee_account: "same".into(), ..pay("V4", "2026-06-08", "I1", "1234.56") };
    let g = PaymentFact { payee_account: "same".into(), ..pay("V5", "2026-06-16", "I1", "1234.56") };
    let f = facts(vec![ind("I1", "302", "900000.00", false)], vec![a, b, c, e, g]);
    assert_eq!(
        only("2026-12-31", &f, "duplicate_payment"),
        vec![("orange", v(&["V1", "V2"])), ("orange", v(&["V3", "V4"]))],
        "7 days apart is within, 8 days is not"
    );
}

#[test]
fn payment_level_rules_out_of_scope_and_personal_accounts() {
    let mut wrong_code = pay("V1", "2026-03-01", "I1", "100");
    wrong_code.economic_code = EconomicCode::parse("30901").unwrap();
    let mut gift = pay("V2", "2026-03-02", "I1", "100");
    gift.summary = "采购购物卡".into();
    let person = |v: &str, amount: &str, econ: &str| PaymentFact {
        payee_type: PayeeType::Individual,
        economic_code: EconomicCode::parse(econ).unwrap(),
        ..pay(v, "2026-03-03", &format!("I{}", &econ[..3]), amount)
    };
    let f = facts(
        vec![
            ind("I1", "302", "900000.00", false),
            ind("I302", "302", "900000.00", false),
            ind("I301", "301", "900000.00", false),
            ind("I303", "303", "900000.00", false),
        ],
        vec![
            wrong_code,
            gift,
            person("P1", "50000.00", "30201"),
            person("P2", "49999.99", "30201"),
            person("P3", "80000", "30101"),
            person("P4", "60000", "30305"),
        ],
    );
    assert_eq!(only("2026-12-31", &f, "out_of_scope"), vec![("orange", v(&["V1"])), ("orange", v(&["V2"]))]);
    assert_eq!(only("2026-12-31", &f, "personal_account"), vec![("yellow", v(&["P1"]))]);
}

#[test]
fn sangong_spending_is_compared_with_the_units_sangong_budget() {
    let hosp = |v: &str, amount: &str| PaymentFact {
        economic_code: EconomicCode::parse("30217").unwrap(),
        ..pay(v, "2026-05-01", "H1", amount)
    };
    let f =
        |amount: &str| facts(vec![ind("H1", "30217", "10000.00", false)], vec![hosp("H1", "9000"), hosp("H2", amount)]);
    assert!(only("2026-12-31", &f("1000.00"), "sangong_over").is_empty());
    assert_eq!(only("2026-12-31", &f("1000.01"), "sangong_over"), vec![("yellow", v(&["H2"]))]);
    assert_eq!(only("2026-12-31", &f("3000.01"), "sangong_over"), vec![("red", v(&["H2"]))]);
}

#[test]
fn revenue_shortfall_counts_consecutive_month_ends_behind_progress() {
    // Target 1,200: progress is 100 a month; "behind by more than 10 points" is more than 120 short.
    let line = |months: [i64; 12]| RevenueFact {
        region_code: "R1".into(),
        revenue_code: "101".into(),
        target: yuan("1200"),
        months: months.map(|y| y * 100),
    };
    let mut f = facts(Vec::new(), Vec::new());
    f.revenues = vec![line([100, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])];
    // Month-ends: Jan ok, Feb ok, Mar 200 vs 300 (100 short: within), Apr 200 vs 400 (behind) …
    assert!(only("2026-05-31", &f, "revenue_shortfall").is_empty(), "Apr, May: two month-ends");
    assert_eq!(only("2026-06-30", &f, "revenue_shortfall"), vec![("yellow", v(&[]))]);
    assert_eq!(only("2026-08-31", &f, "revenue_shortfall"), vec![("orange", v(&[]))]);
    assert_eq!(only("2026-09-30", &f, "revenue_shortfall"), vec![("red", v(&[]))]);
    let w = eval("2026-06-30", &f);
    assert_eq!(
        (w[0].region_code.as_deref(), w[0].revenue_code.as_deref(), w[0].unit_code.as_deref()),
        (Some("R1"), Some("101"), None)
    );
}

#[test]
fn a_quiet_indicator_raises_nothing() {
    let ps = (1..=12).map(|m| pay(&format!("V{m}"), &format!("2026-{m:02}-10"), "I1", "8000")).collect();
    let f = facts(vec![ind("I1", "302", "100000.00", false)], ps);
    assert_eq!(found("2026-12-31", &f), Vec::new());
}

#[test]
fn the_indicators_whose_vouchers_are_named_are_known_from_monthly_figures() {
    let mut f = facts(
        vec![
            ind("OVER", "302", "1000", false),
            ind("AHEAD", "302", "1000", false),
            ind("QUIET", "302", "1000", false),
            ind("H1", "30217", "100", false),
            ind("H2", "30217", "100", false),
        ],
        vec![
            pay("A", "2026-01-10", "OVER", "600"),
            pay("B", "2026-05-10", "OVER", "500"),
            pay("C", "2026-03-10", "AHEAD", "200.01"),
            pay("D", "2026-03-10", "QUIET", "200"),
            pay("E", "2026-03-10", "H1", "150"),
            pay("F", "2026-03-10", "H2", "60"),
        ],
    );
    aggregate(&mut f, d("2026-12-31"));
    let need: Vec<String> = voucher_indicators(&f, d("2026-12-31"), &Thresholds::default()).into_iter().collect();
    // H1 (and so H2, the same unit's other 三公 indicator) are over: 210 of 200.
    assert_eq!(need, vec!["AHEAD", "H1", "H2", "OVER"]);
    aggregate(&mut f, d("2026-04-30"));
    let need: Vec<String> = voucher_indicators(&f, d("2026-04-30"), &Thresholds::default()).into_iter().collect();
    assert_eq!(need, vec!["AHEAD", "H1", "H2", "OVER"], "OVER's January alone is 60 %");
}
