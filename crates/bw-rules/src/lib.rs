//! The twelve warning rules (预警规则) of execution monitoring. Pure: facts and an as-of date
//! in, findings out; no I/O, no clock. Every threshold is a parameter (`Thresholds`), whose
//! defaults are the ones the rules are specified with.
//!
//! Conventions, fixed here and documented in docs/MONITORING.md:
//! - Only payments dated on or before the as-of date count; refunds (negative amounts) count
//!   in sums and never count as payments of their own in the pattern rules.
//! - Time progress at a date is completed months / 12 (a month is complete on its last day).
//! - "Within N days" means the later date is at most N days after the earlier.
//! - Percentages compare exactly in integer fen: "> 20 %" is `100·part > 20·whole`.
//! - Where a sum crosses a threshold, the vouchers named are those from the crossing
//!   payment on (in date, then voucher order); rules on balances or revenue name none.

use bw_core::code::EconomicCode;
use bw_core::records::PayeeType;
use bw_core::{Date, Money};
use std::collections::BTreeMap;

mod calibrate;
mod rules;
mod suggest;
pub use calibrate::{Proposal, calibrate};
pub mod workflow;
pub use rules::{evaluate, split_candidate};
pub use suggest::suggestion;

/// Warning levels, mildest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Blue,
    Yellow,
    Orange,
    Red,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Blue => "blue",
            Level::Yellow => "yellow",
            Level::Orange => "orange",
            Level::Red => "red",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        [Level::Blue, Level::Yellow, Level::Orange, Level::Red].into_iter().find(|l| l.as_str() == s)
    }

    /// The level as users name it (GLOSSARY: 红色/橙色/黄色/蓝色预警).
    pub fn zh(self) -> &'static str {
        match self {
            Level::Blue => "蓝色",
            Level::Yellow => "黄色",
            Level::Orange => "橙色",
            Level::Red => "红色",
        }
    }

    /// One level up (red stays red): an overdue step escalates.
    pub fn raised(self) -> Level {
        match self {
            Level::Blue => Level::Yellow,
            Level::Yellow => Level::Orange,
            Level::Orange | Level::Red => Level::Red,
        }
    }
}

/// The twelve rules; their ids are fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    OverBudget,
    OutOfScope,
    AheadOfSchedule,
    BehindSchedule,
    Stagnant,
    IdleFunds,
    SplitPurchase,
    DuplicatePayment,
    SangongOver,
    PersonalAccount,
    YearEndRush,
    RevenueShortfall,
}

impl Rule {
    pub const ALL: [Rule; 12] = [
        Rule::OverBudget,
        Rule::OutOfScope,
        Rule::AheadOfSchedule,
        Rule::BehindSchedule,
        Rule::Stagnant,
        Rule::IdleFunds,
        Rule::SplitPurchase,
        Rule::DuplicatePayment,
        Rule::SangongOver,
        Rule::PersonalAccount,
        Rule::YearEndRush,
        Rule::RevenueShortfall,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Rule::OverBudget => "over_budget",
            Rule::OutOfScope => "out_of_scope",
            Rule::AheadOfSchedule => "ahead_of_schedule",
            Rule::BehindSchedule => "behind_schedule",
            Rule::Stagnant => "stagnant",
            Rule::IdleFunds => "idle_funds",
            Rule::SplitPurchase => "split_purchase",
            Rule::DuplicatePayment => "duplicate_payment",
            Rule::SangongOver => "sangong_over",
            Rule::PersonalAccount => "personal_account",
            Rule::YearEndRush => "year_end_rush",
            Rule::RevenueShortfall => "revenue_shortfall",
        }
    }

    pub fn parse(s: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.id() == s)
    }

    /// The problem as users read it.
    pub fn zh(self) -> &'static str {
        match self {
            Rule::OverBudget => "超预算支出",
            Rule::OutOfScope => "超范围列支",
            Rule::AheadOfSchedule => "超进度支出",
            Rule::BehindSchedule => "进度滞后",
            Rule::Stagnant => "项目停滞",
            Rule::IdleFunds => "资金沉淀",
            Rule::SplitPurchase => "化整为零",
            Rule::DuplicatePayment => "重复支付",
            Rule::SangongOver => "“三公”经费超标",
            Rule::PersonalAccount => "向个人账户大额转账",
            Rule::YearEndRush => "年末突击花钱",
            Rule::RevenueShortfall => "收入未达预期",
        }
    }
}

/// Three increasing bounds for yellow, orange and red.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bands {
    pub yellow: i64,
    pub orange: i64,
    pub red: i64,
}

impl Bands {
    pub const fn new(yellow: i64, orange: i64, red: i64) -> Bands {
        Bands { yellow, orange, red }
    }

    /// The level of `value` when each bound must be exceeded (`>`).
    pub fn above(self, value_over: impl Fn(i64) -> bool) -> Option<Level> {
        if value_over(self.red) {
            Some(Level::Red)
        } else if value_over(self.orange) {
            Some(Level::Orange)
        } else if value_over(self.yellow) {
            Some(Level::Yellow)
        } else {
            None
        }
    }

    /// The level of a count when each bound must be reached (`≥`).
    pub fn reached(self, n: i64) -> Option<Level> {
        self.above(|b| n >= b)
    }
}

/// Every threshold of the twelve rules. Percentages and points are whole numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thresholds {
    /// % over the indicator amount (strictly above each bound).
    pub over_budget: Bands,
    pub prohibited_terms: Vec<String>,
    /// One month's payments as % of the annual amount (strictly above).
    pub ahead_of_schedule: Bands,
    /// Points of execution rate below time progress (strictly above).
    pub behind_schedule: Bands,
    /// Consecutive complete months without a payment (at least).
    pub stagnant: Bands,
    /// Calendar months a special fund has gone unused since its last payment, or since the
    /// year began (strictly above: the day after the same date so many months on).
    pub idle_funds: Bands,
    pub split_min_payments: usize,
    /// Each payment strictly below, the sum at least.
    pub split_limit: Money,
    pub split_days: i32,
    /// Economic codes (and the codes under them) whose payments are recurring services,
    /// never split purchases.
    pub split_exempt: Vec<String>,
    pub duplicate_days: i32,
    /// % over the unit's 三公 budget (strictly above).
    pub sangong_over: Bands,
    /// Payments to individuals at least this much, outside wage and welfare codes.
    pub personal_limit: Money,
    /// December's payments as % of the annual amount (strictly above).
    pub year_end_rush: Bands,
    /// Points of revenue completion behind time progress (strictly above) …
    pub revenue_gap_points: i64,
    /// … at this many consecutive month-ends (at least).
    pub revenue_shortfall: Bands,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            over_budget: Bands::new(0, 10, 20),
            prohibited_terms: [
                "烟酒",
                "香烟",
                "名酒",
                "购物卡",
                "礼品卡",
                "礼品",
                "高尔夫",
                "奢侈品",
                "会员卡",
                "娱乐",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            ahead_of_schedule: Bands::new(20, 30, 40),
            behind_schedule: Bands::new(10, 20, 30),
            stagnant: Bands::new(3, 4, 6),
            idle_funds: Bands::new(6, 9, 12),
            split_min_payments: 3,
            split_limit: Money::from_fen(5_000_000),
            split_days: 30,
            split_exempt: ["30205", "30206", "30207", "30208", "30209"].into_iter().map(String::from).collect(),
            duplicate_days: 7,
            sangong_over: Bands::new(0, 10, 20),
            personal_limit: Money::from_fen(5_000_000),
            year_end_rush: Bands::new(25, 35, 50),
            revenue_gap_points: 10,
            revenue_shortfall: Bands::new(3, 4, 6),
        }
    }
}

/// An indicator of the checked year, with what was paid from it each month (index 0 =
/// January) up to the as-of date: the sum, and the number of payments (refunds included).
#[derive(Clone, Debug)]
pub struct IndicatorFact {
    pub code: String,
    pub unit_code: String,
    pub economic_code: EconomicCode,
    pub amount: Money,
    pub special: bool,
    pub months: [i64; 12],
    pub counts: [u32; 12],
    /// The day of its last payment (refunds aside) in the year up to the as-of date; needed
    /// for special funds only (`idle_funds`), `None` when never used.
    pub last_paid: Option<Date>,
}

/// A payment of the checked year, dated on or before the as-of date.
#[derive(Clone, Debug)]
pub struct PaymentFact {
    pub voucher_no: String,
    pub unit_code: String,
    pub indicator_code: String,
    pub pay_date: Date,
    pub economic_code: EconomicCode,
    pub payee_account: String,
    pub payee_type: PayeeType,
    pub amount: Money,
    pub summary: String,
    pub invoice_no: Option<String>,
    /// Paid under a contract (procured already: never part of a split purchase).
    pub contract_no: Option<String>,
}

/// A revenue line (region × revenue code) of the checked year: its target and its revenue
/// per month (index 0 = January), as of the as-of date.
#[derive(Clone, Debug)]
pub struct RevenueFact {
    pub region_code: String,
    pub revenue_code: String,
    pub target: Money,
    pub months: [i64; 12],
}

/// What the rules read. `payments` need not be every payment: the indicator rules read the
/// monthly figures; the payment rules need the candidates (see `voucher_indicators` for the
/// indicators whose every payment must be present).
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub year: i32,
    pub indicators: Vec<IndicatorFact>,
    pub payments: Vec<PaymentFact>,
    pub revenues: Vec<RevenueFact>,
}

/// Runs of payments (given in date order as day numbers and amounts in fen) that form a split
/// purchase: every window of at most `days` days holding at least `min_payments` payments
/// whose sum reaches `limit` is marked, and overlapping marked windows merge into one run.
/// Returns each run as inclusive index bounds. Shared by the rule and the year-wide audit test.
pub fn split_runs(dates: &[i32], amounts: &[i64], days: i32, min_payments: usize, limit: i64) -> Vec<(usize, usize)> {
    let mut marked = vec![false; dates.len()];
    let (mut start, mut sum) = (0usize, 0i64);
    for j in 0..dates.len() {
        sum += amounts[j];
        while dates[j] - dates[start] > days {
            sum -= amounts[start];
            start += 1;
        }
        if j + 1 - start >= min_payments && sum >= limit {
            marked[start..=j].iter_mut().for_each(|m| *m = true);
        }
    }
    let mut runs = Vec::new();
    let mut i = 0;
    while i < marked.len() {
        if !marked[i] {
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < marked.len() && marked[j + 1] {
            j += 1;
        }
        runs.push((i, j));
        i = j + 1;
    }
    runs
}

/// Windows of payments (given in date order as day numbers and amounts in fen) that form a
/// split purchase, each of at most `days` days from its first payment to its last, holding
/// at least `min_payments` payments whose sum reaches `limit`. From the earliest payment on,
/// the longest window starting there is taken when it qualifies (and the search goes on after
/// it), else the search moves one payment on: windows never overlap and never merge, so a
/// regular supplier paid all year is not one year-long group. Returns inclusive bounds.
pub fn split_windows(
    dates: &[i32],
    amounts: &[i64],
    days: i32,
    min_payments: usize,
    limit: i64,
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < dates.len() {
        let mut j = i;
        let mut sum = i128::from(amounts[i]);
        while j + 1 < dates.len() && dates[j + 1] - dates[i] <= days {
            j += 1;
            sum += i128::from(amounts[j]);
        }
        if j + 1 - i >= min_payments && sum >= i128::from(limit) {
            out.push((i, j));
            i = j + 1;
        } else {
            i += 1;
        }
    }
    out
}

/// A warning condition found: one per rule, subject and period.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub level: Level,
    pub unit_code: Option<String>,
    pub indicator_code: Option<String>,
    pub region_code: Option<String>,
    pub revenue_code: Option<String>,
    /// `YYYY-MM` or `YYYY`.
    pub period: String,
    pub vouchers: Vec<String>,
    /// The figures that crossed the threshold.
    pub evidence: BTreeMap<String, serde_json::Value>,
}

/// A finding as stored, read back with its rule id checked.
#[derive(serde::Deserialize)]
struct StoredFinding {
    rule: String,
    level: Level,
    unit_code: Option<String>,
    indicator_code: Option<String>,
    region_code: Option<String>,
    revenue_code: Option<String>,
    period: String,
    vouchers: Vec<String>,
    evidence: BTreeMap<String, serde_json::Value>,
}

impl<'de> serde::Deserialize<'de> for Finding {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Finding, D::Error> {
        Finding::try_from(StoredFinding::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<StoredFinding> for Finding {
    type Error = String;

    fn try_from(s: StoredFinding) -> Result<Finding, String> {
        Ok(Finding {
            rule: Rule::parse(&s.rule).map(Rule::id).ok_or_else(|| format!("unknown rule {:?}", s.rule))?,
            level: s.level,
            unit_code: s.unit_code,
            indicator_code: s.indicator_code,
            region_code: s.region_code,
            revenue_code: s.revenue_code,
            period: s.period,
            vouchers: s.vouchers,
            evidence: s.evidence,
        })
    }
}

impl Finding {
    /// The identity a warning keeps while its level changes: rule, subject and period.
    pub fn key(&self) -> String {
        let subject = [&self.unit_code, &self.indicator_code, &self.region_code, &self.revenue_code]
            .iter()
            .map(|s| s.as_deref().unwrap_or("-"))
            .collect::<Vec<_>>()
            .join("/");
        // Pattern rules can find several groups in one month: their first voucher tells them apart.
        let first = match self.rule {
            "split_purchase" | "duplicate_payment" | "out_of_scope" | "personal_account" => {
                self.vouchers.first().map(String::as_str).unwrap_or("")
            }
            // Findings recorded from outside the rules (the audit's) name their own subject.
            r if Rule::parse(r).is_none() => self.evidence.get("subject").and_then(|v| v.as_str()).unwrap_or(""),
            _ => "",
        };
        format!("{}|{subject}|{}|{first}", self.rule, self.period)
    }
}

/// Fills each indicator's monthly figures from `facts.payments` dated up to `as_of` (for
/// callers holding every payment, as tests do).
pub fn aggregate(facts: &mut Facts, as_of: Date) {
    type Sums = ([i64; 12], [u32; 12], Option<Date>);
    let mut by: std::collections::HashMap<&str, Sums> = std::collections::HashMap::new();
    for p in facts.payments.iter().filter(|p| p.pay_date <= as_of && p.pay_date.year() == facts.year) {
        let e = by.entry(p.indicator_code.as_str()).or_default();
        let m = p.pay_date.month() as usize - 1;
        e.0[m] += p.amount.fen();
        e.1[m] += 1;
        if p.amount.is_positive() {
            e.2 = e.2.max(Some(p.pay_date));
        }
    }
    let by: std::collections::HashMap<String, Sums> = by.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    for i in &mut facts.indicators {
        (i.months, i.counts, i.last_paid) = by.get(&i.code).copied().unwrap_or(([0; 12], [0; 12], None));
    }
}

/// The indicators whose findings name vouchers from the monthly figures alone: over budget,
/// a month or December above its share, or a 三公 indicator of a unit over its 三公 budget.
/// Every payment of these (up to the as-of date) must be in `Facts::payments`.
pub fn voucher_indicators(facts: &Facts, as_of: Date, t: &Thresholds) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    let december = Date::from_ymd(facts.year, 12, 1).is_some_and(|d| as_of >= d);
    let mut sangong: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for i in &facts.indicators {
        let (amount, paid) = (i.amount.fen(), i.months.iter().sum::<i64>());
        let share = |s: i64, b: i64| pct_over(s, b, amount);
        if paid > amount
            || i.months.iter().any(|m| share(*m, t.ahead_of_schedule.yellow))
            || (december && share(i.months[11], t.year_end_rush.yellow))
        {
            out.insert(i.code.clone());
        }
        if i.economic_code.is_sangong() {
            let e = sangong.entry(i.unit_code.as_str()).or_default();
            e.0 += amount;
            e.1 += paid;
        }
    }
    for i in facts.indicators.iter().filter(|i| i.economic_code.is_sangong()) {
        if sangong.get(i.unit_code.as_str()).is_some_and(|(b, p)| p > b) {
            out.insert(i.code.clone());
        }
    }
    out
}

/// `100·part > pct·whole`, exactly: "more than pct % of whole", in i128 so that no amount
/// within the records' ceilings can overflow it.
pub(crate) fn pct_over(part: i64, pct: i64, whole: i64) -> bool {
    i128::from(part) * 100 > i128::from(pct) * i128::from(whole)
}

/// Completed months of the fiscal year at `as_of` (0..=12): a month is complete on its last day.
pub fn completed_months(year: i32, as_of: Date) -> u32 {
    let (y, m, _) = as_of.ymd();
    if y < year {
        0
    } else if y > year {
        12
    } else if as_of == as_of.month_end() {
        m
    } else {
        m - 1
    }
}

/// What a finding's evidence key means, as users read it; `None` for a key not named here.
pub fn evidence_label(key: &str) -> Option<&'static str> {
    Some(match key {
        "amount" => "金额",
        "budget" => "预算",
        "paid" => "已支付",
        "spent" => "已支出",
        "balance" => "可用余额",
        "over" => "超出金额",
        "over_pct" => "超出比例(%)",
        "total" => "合计",
        "payments" => "支付笔数",
        "month_paid" => "当月支付",
        "month_pct" => "当月支付占预算(%)",
        "december_paid" => "12月支付",
        "december_pct" => "12月支付占预算(%)",
        "execution_pct" => "执行进度(%)",
        "time_progress_pct" => "序时进度(%)",
        "gap_points" => "落后序时进度(百分点)",
        "completion_pct" => "收入完成率(%)",
        "collected" => "已征收",
        "target" => "收入预算",
        "month_ends_behind" => "连续落后月数",
        "months_without_payment" => "无支付月数",
        "months_unused" => "未使用月数",
        "last_paid" => "最后支付日期",
        "first" => "起",
        "last" => "止",
        "from" => "自",
        "to" => "至",
        "ongoing" => "仍在持续",
        "economic_code" => "支付经济分类",
        "indicator_economic_code" => "指标经济分类",
        "payee_account" => "收款账号",
        "invoice_no" => "发票号",
        "terms" => "命中词语",
        "summary" => "摘要",
        // The audit analytics' facts.
        "amount_behind" => "落后金额",
        "amounts" => "金额",
        "annual_amount" => "年度金额",
        "belongs_under" => "应列经济分类",
        "chi_square" => "卡方值",
        "clusters" => "聚类数",
        "conformity" => "符合程度",
        "date" => "日期",
        "department" => "部门",
        "eps" => "邻域半径",
        "features" => "特征",
        "indicator_amount" => "指标金额",
        "indicator_code" => "指标",
        "invoice_nos" => "发票号",
        "items" => "禁止事项",
        "key" => "比对键",
        "limit" => "限额",
        "limit_pct" => "限额比例(%)",
        "mad" => "平均绝对偏差(MAD)",
        "match" => "匹配",
        "max_edits" => "最多相差字符数",
        "min_samples" => "最少样本数",
        "month" => "月份",
        "months_complete" => "完整月数",
        "multiple_of" => "整数倍于",
        "n" => "样本数",
        "named_purchases" => "摘要所列采购",
        "noise_points" => "离群点数",
        "nov_dec_paid" => "11—12月支付",
        "nov_dec_pct" => "11—12月支付占比(%)",
        "other_paid" => "其他支付",
        "other_pct" => "其他占比(%)",
        "p_value" => "p值",
        "payee" => "收款人",
        "payee_kind" => "收款人类型",
        "payee_names" => "收款人",
        "payees" => "收款人数",
        "payments_behind" => "落后支付笔数",
        "pct" => "比例(%)",
        "population" => "检验总体",
        "project_code" => "项目",
        "region_code" => "地区",
        "revenue_code" => "收入科目",
        "review_due" => "复核到期日",
        "risk" => "风险编号",
        "risk_title" => "风险",
        "overdue_workdays" => "逾期工作日",
        "rule" => "判定依据",
        "staff_name" => "职工姓名",
        "subject" => "对象",
        "staff_unit" => "职工所在单位",
        "threshold" => "阈值",
        "to_associations" => "支付给协会学会",
        "tolerance_permille" => "容差(‰)",
        "unit_payments" => "单位支付笔数",
        "units" => "单位",
        "why" => "原因",
        "window_days" => "时间窗(天)",
        "within_days" => "间隔(天)以内",
        "words" => "分词",
        "years" => "年度",
        _ => return None,
    })
}

/// A fact's value that is a word of the rules or tests rather than data, as users read it
/// ("same invoice number" → 发票号相同); data passes through unchanged.
pub fn evidence_value(value: &str) -> Option<&'static str> {
    Some(match value {
        "same invoice number" => "发票号相同",
        "same unit, account, amount and date" => "同一单位、收款账号、金额和日期相同",
        "prohibited" => "摘要含禁止事项",
        "category" => "摘要所列采购与经济分类不符",
        _ => return None,
    })
}
