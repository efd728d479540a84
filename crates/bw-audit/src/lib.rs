//! Audit analytics (审计分析): tests that look across thousands of payments for what a rule on
//! one indicator cannot see. Pure: records in, findings out; no I/O, no clock ("as of" is a
//! parameter, and the caller passes only what happened on or before it).

pub mod benford;
pub mod dbscan;
pub mod duplicates;
pub mod evaluate;
pub mod methods;
pub mod normalize;
pub mod outliers;
pub mod related;
pub mod score;
pub mod split;
pub mod text;

use std::collections::BTreeMap;

use bw_core::records::PayeeType;
use bw_core::{Date, Money};
use serde_json::{Value, json};

/// A payment as the audit tests read it. Its texts borrow from what it was read from where
/// they can (a payments file read whole: a million payments without ten million small
/// allocations) and are owned otherwise (rows from the database).
#[derive(Clone, Debug)]
pub struct Payment<'a> {
    pub voucher: Text<'a>,
    pub unit: Text<'a>,
    /// The unit's department (主管部门) code, or the unit's own code when it has none.
    pub department: Text<'a>,
    pub indicator: Text<'a>,
    pub project: Option<Text<'a>>,
    pub date: Date,
    pub economic: Text<'a>,
    pub payee_name: Text<'a>,
    pub payee_account: Text<'a>,
    pub payee_type: PayeeType,
    pub amount: Money,
    pub summary: Text<'a>,
    /// Empty when the payment carries no invoice.
    pub invoice: Text<'a>,
    /// Empty when the payment is not made under a contract.
    pub contract: Text<'a>,
}

/// A text of a payment, borrowed or owned.
pub type Text<'a> = std::borrow::Cow<'a, str>;

/// An indicator of a year, with what was paid from it (refunds netted) up to the as-of date.
#[derive(Clone, Debug)]
pub struct Indicator {
    pub year: i32,
    pub code: String,
    pub unit: String,
    pub project: Option<String>,
    pub economic: String,
    pub amount: Money,
    pub paid: Money,
}

/// One month of revenue of a region and revenue code.
#[derive(Clone, Debug)]
pub struct RevenueMonth {
    pub region: String,
    pub revenue_code: String,
    pub year: i32,
    pub month: u32,
    pub amount: Money,
}

/// One person of the staff register (`staff` template).
#[derive(Clone, Debug)]
pub struct Staff {
    pub unit: String,
    pub name: String,
    pub id_hash: String,
    pub bank_account: String,
    pub phone: String,
}

/// Something a test found, with the records and figures behind it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Finding {
    pub test: &'static str,
    pub unit_code: Option<String>,
    pub vouchers: Vec<String>,
    /// The money the finding is about (what the vouchers add up to, or the figure tested).
    #[serde(skip)]
    pub amount: Money,
    pub evidence: BTreeMap<String, Value>,
    /// Points this finding takes from its unit's risk score (set by `score::score`).
    pub score_impact: f64,
}

impl Finding {
    pub fn new(test: &'static str, unit: Option<&str>, vouchers: Vec<String>, amount: i64) -> Finding {
        Finding {
            test,
            unit_code: unit.map(str::to_string),
            vouchers,
            amount: Money::from_fen(amount),
            evidence: BTreeMap::new(),
            score_impact: 0.0,
        }
    }

    /// Adds one figure to the evidence.
    pub fn with(mut self, key: &str, value: Value) -> Finding {
        self.evidence.insert(key.to_string(), value);
        self
    }

    /// What tells this finding apart from the test's others in the same unit, stable while
    /// its figures change: the population tested, the project, indicator, account or
    /// revenue line it is about, else its first voucher.
    pub fn subject(&self) -> String {
        const KEYS: [&str; 8] = [
            "population",
            "key",
            "project_code",
            "indicator_code",
            "payee_account",
            "region_code",
            "revenue_code",
            "month",
        ];
        let parts: Vec<&str> = KEYS.iter().filter_map(|k| self.evidence.get(*k).and_then(Value::as_str)).collect();
        if parts.is_empty() { self.vouchers.first().cloned().unwrap_or_default() } else { parts.join("/") }
    }

    /// The Chinese name of the test (empty for a name not in `TESTS`).
    pub fn zh(test: &str) -> &'static str {
        TESTS.iter().find(|(t, _)| *t == test).map_or("", |(_, zh)| zh)
    }
}

/// Every test, in the order `audit` runs them, with the Chinese name users see.
pub const TESTS: &[(&str, &str)] = &[
    ("duplicate_exact", "完全重复支付"),
    ("duplicate_same_same_different", "同收款人同金额不同票据"),
    ("duplicate_same_same_similar", "同收款人同金额相似票据"),
    ("duplicate_same_same_near", "同收款人金额日期相近"),
    ("split_purchase_year", "化整为零（全年跨单位）"),
    ("benford", "本福特定律偏离"),
    ("dbscan_outlier", "聚类离群大额支付"),
    ("related_party", "关联交易"),
    ("shared_account", "多名收款人共用账户"),
    ("text_check", "摘要与经济分类不符"),
    ("project_year_end_rush", "项目年底突击支出"),
    ("low_execution", "项目执行率过低"),
    ("low_execution_3y", "项目连续三年执行率偏低"),
    ("other_subclass", "其他类科目占比过高"),
    ("association_payments", "向协会学会支付占比过高"),
    ("union_or_individual", "向工会或个人大额支付"),
    ("supermarket_round_sum", "超市整额消费"),
    ("luxury_keywords", "奢侈消费关键词"),
    ("sangong_prepaid_q4", "四季度预付三公经费"),
    ("revenue_jump", "收入异常增长"),
];

/// Money as evidence: a yuan string with two decimals, as everywhere in the program.
pub fn yuan(fen: i64) -> Value {
    json!(Money::from_fen(fen).to_string())
}

/// `part / whole` in percent, two decimals, for evidence.
pub fn pct(part: i64, whole: i64) -> Value {
    if whole == 0 {
        return Value::Null;
    }
    json!(((part as f64) * 10_000.0 / (whole as f64)).round() / 100.0)
}

/// Every parameter of the tests; `Default` gives the shipped values (each an `audit.*` setting).
#[derive(Clone, Debug)]
pub struct Params {
    /// same-same-different: equal amounts to one payee within this many days.
    pub duplicate_days: i32,
    /// same-same-similar: invoice numbers at most this many edits apart (and not equal).
    pub similar_edits: usize,
    /// same-same-near: amounts within this many per mille of each other …
    pub near_permille: i64,
    /// … paid within this many days of each other.
    pub near_days: i32,
    /// Split purchases: the procurement threshold; each payment below it, the window's sum at least.
    pub split_limit: Money,
    pub split_days: i32,
    pub split_min_payments: usize,
    /// Each payment of a split at least this % of the threshold (payments "just under").
    pub split_floor_pct: i64,
    /// Benford: amounts at least this much enter the tests …
    pub benford_min_amount: Money,
    /// … and a unit or payee needs this many of them to be tested on its own.
    pub benford_min_records: usize,
    pub dbscan_eps: f64,
    pub dbscan_min_samples: usize,
    /// A noise point becomes a finding from this amount on.
    pub dbscan_large: Money,
    pub rush_pct: i64,
    pub low_execution_pct: i64,
    pub low_execution_3y_pct: i64,
    pub other_subclass_pct: i64,
    pub association_pct: i64,
    pub union_individual_limit: Money,
    /// Supermarket payments that are whole multiples of this (and at least it).
    pub round_sum: Money,
    pub luxury_terms: Vec<String>,
    pub sangong_prepaid_limit: Money,
    pub revenue_jump_pct: i64,
    /// Risk score below this opens a special audit.
    pub score_threshold: f64,
}

impl Params {
    /// The parameters from the `audit.*` settings, `get` giving a key's value.
    pub fn from_settings(get: &dyn Fn(&str) -> String) -> Params {
        let int = |k: &str| get(k).trim().parse::<i64>().unwrap_or(0);
        let money = |k: &str| Money::parse_yuan(get(k).trim()).unwrap_or(Money::from_fen(0));
        Params {
            duplicate_days: int("audit.duplicate.days") as i32,
            similar_edits: int("audit.duplicate.similar_edits") as usize,
            near_permille: int("audit.duplicate.near_permille"),
            near_days: int("audit.duplicate.near_days") as i32,
            split_limit: money("audit.split.limit"),
            split_days: int("audit.split.days") as i32,
            split_min_payments: int("audit.split.min_payments") as usize,
            split_floor_pct: int("audit.split.floor_pct"),
            benford_min_amount: money("audit.benford.min_amount"),
            benford_min_records: int("audit.benford.min_records") as usize,
            dbscan_eps: get("audit.dbscan.eps").trim().parse().unwrap_or(0.5),
            dbscan_min_samples: int("audit.dbscan.min_samples") as usize,
            dbscan_large: money("audit.dbscan.large"),
            rush_pct: int("audit.methods.rush_pct"),
            low_execution_pct: int("audit.methods.low_execution_pct"),
            low_execution_3y_pct: int("audit.methods.low_execution_3y_pct"),
            other_subclass_pct: int("audit.methods.other_subclass_pct"),
            association_pct: int("audit.methods.association_pct"),
            union_individual_limit: money("audit.methods.union_individual_limit"),
            round_sum: money("audit.methods.round_sum"),
            luxury_terms: get("audit.methods.luxury_terms")
                .split([',', '，'])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect(),
            sangong_prepaid_limit: money("audit.methods.sangong_prepaid_limit"),
            revenue_jump_pct: int("audit.methods.revenue_jump_pct"),
            score_threshold: int("audit.score.threshold") as f64,
        }
    }
}

/// The shipped default of a setting.
pub(crate) fn shipped(key: &str) -> String {
    bw_core::settings::spec(key).map(|s| s.default.to_string()).unwrap_or_default()
}

impl Default for Params {
    /// The shipped values of the settings.
    fn default() -> Params {
        Params::from_settings(&shipped)
    }
}

/// Everything the tests read for one year.
#[derive(Clone, Debug, Default)]
pub struct Data<'a> {
    pub year: i32,
    pub as_of: Option<Date>,
    /// The year's payments up to the as-of date, in date order (refunds included, negative).
    pub payments: Vec<Payment<'a>>,
    /// The year's indicators and, where present, those of the two years before.
    pub indicators: Vec<Indicator>,
    pub revenues: Vec<RevenueMonth>,
    pub staff: Vec<Staff>,
}

/// Runs every test over `data`, findings in the order of `TESTS`.
pub fn run(data: &Data, p: &Params, policy: &text::Policy) -> Vec<Finding> {
    run_only(data, p, policy, &[])
}

/// The tests each family of `run` finds.
const FAMILIES: [&[&str]; 8] = [
    &["duplicate_exact"],
    &["duplicate_same_same_different", "duplicate_same_same_similar", "duplicate_same_same_near"],
    &["split_purchase_year"],
    &["benford"],
    &["dbscan_outlier"],
    &["related_party", "shared_account"],
    &["text_check"],
    &[
        "project_year_end_rush",
        "low_execution",
        "low_execution_3y",
        "other_subclass",
        "association_payments",
        "union_or_individual",
        "supermarket_round_sum",
        "luxury_keywords",
        "sangong_prepaid_q4",
        "revenue_jump",
    ],
];

/// Runs the tests named in `only` (every test when empty): a family of tests runs when one
/// of its tests is wanted, and only the wanted tests' findings are kept.
pub fn run_only(data: &Data, p: &Params, policy: &text::Policy, only: &[&str]) -> Vec<Finding> {
    // Rough cost of each family on a million payments (in hundredths of a second, measured on
    // the demo data), to share the wanted ones between two threads (the heaviest first, each
    // to the lighter thread).
    const COST: [u32; 8] = [12, 28, 4, 13, 7, 48, 13, 13];
    let mut wanted: Vec<usize> =
        (0..FAMILIES.len()).filter(|&f| only.is_empty() || FAMILIES[f].iter().any(|t| only.contains(t))).collect();
    wanted.sort_by_key(|&f| std::cmp::Reverse(COST[f]));
    let (mut mine, mut other, mut load) = (Vec::new(), Vec::new(), [0u32; 2]);
    for f in wanted {
        let t = usize::from(load[1] < load[0]);
        load[t] += COST[f];
        if t == 0 { mine.push(f) } else { other.push(f) }
    }
    let family = |f: usize| {
        let mut out = Vec::new();
        let pay = &data.payments;
        match f {
            0 => duplicates::exact(pay, &mut out),
            1 => duplicates::pairs(pay, p, &mut out),
            2 => split::run(pay, p, &mut out),
            3 => benford::findings(pay, p, &mut out),
            4 => outliers::run(pay, p, &mut out),
            5 => related::run(pay, &data.staff, &mut out),
            6 => text::run(pay, policy, &mut out),
            _ => methods::run(data, p, &mut out),
        }
        (f, out)
    };
    let (mut parts, rest) = std::thread::scope(|s| {
        let second = s.spawn(|| other.iter().map(|&f| family(f)).collect::<Vec<_>>());
        (mine.iter().map(|&f| family(f)).collect::<Vec<_>>(), second.join())
    });
    match rest {
        Ok(rest) => parts.extend(rest),
        Err(panic) => std::panic::resume_unwind(panic),
    }
    // The findings in the tests' order.
    parts.sort_by_key(|(f, _)| *f);
    let mut out: Vec<Finding> = parts.into_iter().flat_map(|(_, o)| o).collect();
    if !only.is_empty() {
        out.retain(|f| only.contains(&f.test));
    }
    out
}

#[cfg(test)]
mod families {
    #[test]
    fn the_families_hold_every_test_once_in_order() {
        let flat: Vec<&str> = super::FAMILIES.iter().flat_map(|f| f.iter().copied()).collect();
        let tests: Vec<&str> = super::TESTS.iter().map(|t| t.0).collect();
        assert_eq!(flat, tests);
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// A company payment of `fen` under indicator I1 (30201) with account `ACC-name`.
    pub fn pay(voucher: &str, unit: &str, date: &str, payee: &str, fen: i64, invoice: &str) -> Payment<'static> {
        Payment {
            voucher: voucher.to_string().into(),
            unit: unit.to_string().into(),
            department: unit.to_string().into(),
            indicator: "I1".into(),
            project: None,
            date: Date::parse(date).unwrap_or(Date::from_days(0)),
            economic: "30201".into(),
            payee_name: payee.to_string().into(),
            payee_account: format!("ACC-{payee}").into(),
            payee_type: PayeeType::Company,
            amount: Money::from_fen(fen),
            summary: "购买办公用品".into(),
            invoice: invoice.to_string().into(),
            contract: "".into(),
        }
    }
}
