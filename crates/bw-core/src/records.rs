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
