//! The records the templates carry: projects, indicators, contracts, payments, revenues and
//! revenue targets, each already parsed (a value that exists is valid on its own; checks
//! against other records happen in the import service).

use crate::code::{EconomicCode, FunctionalCode, GovEconomicCode, RevenueCode};
use crate::date::Date;
use crate::money::Money;
use serde::{Deserialize, Serialize};

macro_rules! token_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal | $zh:literal $(| $alias:literal)*),+ $(,)? }, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn parse(s: &str) -> Result<$name, String> {
                match s.trim() {
                    $($text | $zh $(| $alias)* => Ok($name::$variant),)+
                    other => {
                        let names: Vec<&str> = vec![$($text),+];
                        Err(format!("{} must be one of {}, not {:?}", $what, names.join(", "), other))
                    }
                }
            }

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The name a Chinese reader knows (the first Chinese spelling the templates take).
            pub fn zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

token_enum!(
    /// Control (控制方式): what a payment beyond the available balance gets.
    Control { Block = "block" | "刚性控制" | "拦截", Warn = "warn" | "预警", Ignore = "ignore" | "不控制" },
    "control"
);
token_enum!(
    /// Payee type (收款人类型).
    PayeeType { Company = "company" | "单位" | "企业", Individual = "individual" | "个人", Government = "government" | "政府" | "行政事业单位" },
    "payee_type"
);
token_enum!(
    /// Contract status (合同状态).
    ContractStatus { Open = "open" | "执行中", Closed = "closed" | "已完结", Cancelled = "cancelled" | "已取消" },
    "status"
);
token_enum!(
    /// Project life cycle in the project library (项目库).
    ProjectStatus {
        Reserve = "reserve" | "储备",
        Approved = "approved" | "已批复",
        Executing = "executing" | "执行中",
        Completed = "completed" | "已完成",
        Retired = "retired" | "已退出",
    },
    "status"
);
token_enum!(
    /// Fund source (资金来源); `FUND_TYPE_CODE` exports use the Chinese names.
    FundSource {
        General = "general" | "一般公共预算",
        Fund = "fund" | "政府性基金" | "政府性基金预算",
        StateCapital = "state_capital" | "国有资本经营预算",
        SocialInsurance = "social_insurance" | "社会保险基金预算",
        SpecialTransfer = "special_transfer" | "专项转移支付",
        Other = "other" | "其他",
    },
    "fund_source"
);

impl ProjectStatus {
    /// Whether an indicator may draw money from a project in this state.
    pub fn may_receive_money(self) -> bool {
        matches!(self, ProjectStatus::Approved | ProjectStatus::Executing)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub project_code: String,
    pub name: String,
    pub unit_code: String,
    pub category: String,
    pub start_year: i32,
    pub end_year: i32,
    pub total_amount: Money,
    pub status: ProjectStatus,
    pub expires_on: Option<Date>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    pub indicator_code: String,
    pub year: i32,
    pub unit_code: String,
    pub project_code: Option<String>,
    pub functional_code: FunctionalCode,
    pub economic_code: EconomicCode,
    pub gov_economic_code: Option<GovEconomicCode>,
    pub fund_source: FundSource,
    pub special: bool,
    pub amount: Money,
    pub control: Control,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    pub contract_no: String,
    pub unit_code: String,
    pub indicator_code: String,
    pub supplier_name: String,
    pub supplier_account: String,
    pub amount: Money,
    pub signed_on: Date,
    pub ends_on: Date,
    pub status: ContractStatus,
}

/// One milestone of a contract (合同里程碑), as the `contract_milestones` template gives it:
/// its amount in yuan, or a share of the contract in ‰ (`amount` then empty).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractMilestone {
    pub contract_no: String,
    pub seq: u32,
    pub name: String,
    pub kind: crate::milestone::Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_permille: Option<u16>,
    pub criterion: String,
    /// Role ids that must each verify it (by a different person each).
    pub verifiers: Vec<String>,
    pub depends_on: Vec<u32>,
    pub pro_rata: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
}

impl ContractMilestone {
    /// Its amount in a contract of `contract`: as given, or the share rounded down to the fen.
    pub fn amount_in(&self, contract: Money) -> Money {
        match (self.amount, self.share_permille) {
            (Some(a), _) => a,
            (None, Some(p)) => Money::from_fen((i128::from(contract.fen()) * i128::from(p) / 1000) as i64),
            (None, None) => Money::ZERO,
        }
    }

    /// The domain's milestone, in a contract of `contract`.
    pub fn milestone(&self, contract: Money) -> crate::milestone::Milestone {
        crate::milestone::Milestone {
            seq: self.seq,
            name: self.name.clone(),
            kind: self.kind,
            amount: self.amount_in(contract),
            criterion: self.criterion.clone(),
            verifiers: self.verifiers.clone(),
            depends_on: self.depends_on.clone(),
            pro_rata: self.pro_rata,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub voucher_no: String,
    pub pay_date: Date,
    pub unit_code: String,
    pub indicator_code: String,
    pub economic_code: EconomicCode,
    pub payee_name: String,
    pub payee_account: String,
    pub payee_type: PayeeType,
    pub amount: Money,
    pub summary: String,
    pub invoice_no: Option<String>,
    pub contract_no: Option<String>,
    pub reverses: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revenue {
    pub record_no: String,
    pub date: Date,
    pub region_code: String,
    pub revenue_code: RevenueCode,
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevenueTarget {
    pub year: i32,
    pub region_code: String,
    pub revenue_code: RevenueCode,
    pub amount: Money,
}

/// One person of a unit's staff register (人员名册), matched against payees by the audit's
/// related-party test. `id_hash` is a hash of the ID number, never the number itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    pub unit_code: String,
    pub name: String,
    pub id_hash: String,
    pub bank_account: String,
    pub phone: String,
}

/// The money position of one indicator (预算指标): what `block` control is checked against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Balance {
    pub amount: Money,
    pub paid: Money,
    /// The unpaid part of the indicator's open contracts.
    pub committed_unpaid: Money,
}

/// What a payment gets from its indicator's control.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlDecision {
    Accept,
    /// Beyond the available balance but the control is `warn`.
    AcceptWithWarning {
        available: Money,
    },
    /// Beyond the available balance and the control is `block`.
    Refuse {
        available: Money,
    },
}

impl Balance {
    /// Available balance (可用余额) = amount − paid − unpaid open commitments.
    pub fn available(&self) -> Money {
        Money::from_fen(self.amount.fen().saturating_sub(self.paid.fen()).saturating_sub(self.committed_unpaid.fen()))
    }

    /// Checks a payment of `amount`; `from_commitment` is the part of it drawn from an open
    /// contract of this indicator, already counted as committed and so not new spending.
    pub fn check(&self, control: Control, amount: Money, from_commitment: Money) -> ControlDecision {
        let new_spending = amount.fen().saturating_sub(from_commitment.fen());
        let available = self.available();
        if new_spending <= 0 || new_spending <= available.fen() {
            return ControlDecision::Accept;
        }
        match control {
            Control::Block => ControlDecision::Refuse { available },
            Control::Warn => ControlDecision::AcceptWithWarning { available },
            Control::Ignore => ControlDecision::Accept,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yuan(y: i64) -> Money {
        Money::from_fen(y * 100)
    }

    #[test]
    fn available_balance_counts_open_commitments() {
        let b = Balance { amount: yuan(100), paid: yuan(30), committed_unpaid: yuan(50) };
        assert_eq!(b.available(), yuan(20));
        assert_eq!(b.check(Control::Block, yuan(20), Money::ZERO), ControlDecision::Accept);
        assert_eq!(b.check(Control::Block, yuan(21), Money::ZERO), ControlDecision::Refuse { available: yuan(20) });
        // Paying 40 against the open contract uses the commitment, not the free balance.
        assert_eq!(b.check(Control::Block, yuan(40), yuan(40)), ControlDecision::Accept);
        assert_eq!(b.check(Control::Block, yuan(71), yuan(50)), ControlDecision::Refuse { available: yuan(20) });
        assert_eq!(
            b.check(Control::Warn, yuan(21), Money::ZERO),
            ControlDecision::AcceptWithWarning { available: yuan(20) }
        );
        assert_eq!(b.check(Control::Ignore, yuan(1000), Money::ZERO), ControlDecision::Accept);
        assert_eq!(b.check(Control::Block, yuan(-5), Money::ZERO), ControlDecision::Accept, "refunds always land");
    }

    #[test]
    fn tokens_accept_chinese_names() {
        assert_eq!(Control::parse("预警"), Ok(Control::Warn));
        assert_eq!(FundSource::parse("一般公共预算"), Ok(FundSource::General));
        assert!(PayeeType::parse("person").is_err_and(|e| e.contains("company, individual, government")));
    }
}

/// The period a macro indicator is reported for: a month (`2024-03`) or a quarter
/// (`2024-Q1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Period {
    Month { year: i32, month: u32 },
    Quarter { year: i32, quarter: u32 },
}

impl Period {
    pub fn parse(s: &str) -> Result<Period, String> {
        let bad = || format!("not a period YYYY-MM or YYYY-Qn: {s:?}");
        let (y, rest) = s.split_once('-').ok_or_else(bad)?;
        let year: i32 = y.parse().ok().filter(|v| (1900..=2999).contains(v) && y.len() == 4).ok_or_else(bad)?;
        if let Some(q) = rest.strip_prefix('Q').or_else(|| rest.strip_prefix('q')) {
            let quarter: u32 = q.parse().ok().filter(|v| (1..=4).contains(v) && q.len() == 1).ok_or_else(bad)?;
            return Ok(Period::Quarter { year, quarter });
        }
        let month: u32 = rest.parse().ok().filter(|m| (1..=12).contains(m) && rest.len() == 2).ok_or_else(bad)?;
        Ok(Period::Month { year, month })
    }

    pub fn year(self) -> i32 {
        match self {
            Period::Month { year, .. } | Period::Quarter { year, .. } => year,
        }
    }

    /// The quarter (1–4) the period lies in.
    pub fn quarter(self) -> u32 {
        match self {
            Period::Month { month, .. } => (month - 1) / 3 + 1,
            Period::Quarter { quarter, .. } => quarter,
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Period::Month { year, month } => write!(f, "{year}-{month:02}"),
            Period::Quarter { year, quarter } => write!(f, "{year}-Q{quarter}"),
        }
    }
}

impl TryFrom<String> for Period {
    type Error = String;
    fn try_from(s: String) -> Result<Period, String> {
        Period::parse(&s)
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

/// A decimal figure as written (`2.1`, `-0.35`), kept as its canonical text so that its
/// hash never depends on a float's rendering; read as a number where it is used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Decimal(String);

impl Decimal {
    /// At most 15 significant digits (what a float carries exactly), a leading minus, a
    /// point; `+` and trailing zeros after the point are dropped.
    pub fn parse(s: &str) -> Result<Decimal, String> {
        let bad = || format!("not a decimal number: {s:?}");
        let t = s.trim();
        let (neg, digits) = match t.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let int = int.trim_start_matches('0');
        let frac = frac.trim_end_matches('0');
        if int.len() + frac.len() > 15 {
            return Err(format!("more than 15 significant digits: {s:?}"));
        }
        let int = if int.is_empty() { "0" } else { int };
        let zero = int == "0" && frac.is_empty();
        let sign = if neg && !zero { "-" } else { "" };
        Ok(Decimal(if frac.is_empty() { format!("{sign}{int}") } else { format!("{sign}{int}.{frac}") }))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn to_f64(&self) -> f64 {
        self.0.parse().unwrap_or(0.0)
    }
}

impl TryFrom<String> for Decimal {
    type Error = String;
    fn try_from(s: String) -> Result<Decimal, String> {
        Decimal::parse(&s)
    }
}

impl From<Decimal> for String {
    fn from(d: Decimal) -> String {
        d.0
    }
}

/// One macro-economic figure (宏观指标) for a region and period: CPI, GDP growth and the
/// like, as the statistics bureau publishes them; the forecasts' regression reads them as
/// features.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MacroIndicator {
    pub period: Period,
    pub region_code: String,
    pub name: String,
    pub value: Decimal,
}

#[cfg(test)]
mod macro_tests {
    use super::*;

    #[test]
    fn periods_by_month_and_quarter() {
        assert_eq!(Period::parse("2024-03"), Ok(Period::Month { year: 2024, month: 3 }));
        assert_eq!(Period::parse("2024-Q4"), Ok(Period::Quarter { year: 2024, quarter: 4 }));
        assert_eq!(Period::parse("2024-Q4").map(|p| p.to_string()), Ok("2024-Q4".to_string()));
        assert_eq!(Period::Month { year: 2024, month: 8 }.quarter(), 3);
        for bad in ["2024", "2024-3", "2024-13", "2024-Q0", "2024-Q5", "24-01", "2024-Q12", "2024/01"] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn decimals_are_canonical() {
        let d = |s: &str| Decimal::parse(s).map(|d| d.as_str().to_string());
        assert_eq!(d("2.10"), Ok("2.1".into()));
        assert_eq!(d("+007"), Ok("7".into()));
        assert_eq!(d("-0.0"), Ok("0".into()));
        assert!(d("-.5").is_err());
        assert_eq!(d("-0.35"), Ok("-0.35".into()));
        assert!(d("1e5").is_err());
        assert!(d("1234567890123456").is_err());
        assert_eq!(Decimal::parse("-0.35").map(|d| d.to_f64()), Ok(-0.35));
    }
}
