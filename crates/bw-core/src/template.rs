//! The standard import templates (统一数据口径): their columns, the header names accepted for
//! each (English, Chinese, and the national integrated budget system's field names), and
//! the parsing of one row into a record.

use crate::code::{EconomicCode, FunctionalCode, GovEconomicCode, RevenueCode};
use crate::date::Date;
use crate::money::Money;
use crate::org::{OrgKind, OrgNode, RegionLevel};
use crate::records::*;

/// The kinds of file `budgetwatch import KIND FILE` takes, in the order they depend on
/// each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Units,
    Projects,
    Indicators,
    Contracts,
    ContractMilestones,
    Payments,
    Revenues,
    RevenueTargets,
    Staff,
    MacroIndicators,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::Units,
        Kind::Projects,
        Kind::Indicators,
        Kind::Contracts,
        Kind::ContractMilestones,
        Kind::Payments,
        Kind::Revenues,
        Kind::RevenueTargets,
        Kind::Staff,
        Kind::MacroIndicators,
    ];

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s || k.zh() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Units => "units",
            Kind::Projects => "projects",
            Kind::Indicators => "indicators",
            Kind::Contracts => "contracts",
            Kind::ContractMilestones => "contract_milestones",
            Kind::Payments => "payments",
            Kind::Revenues => "revenues",
            Kind::RevenueTargets => "revenue_targets",
            Kind::Staff => "staff",
            Kind::MacroIndicators => "macro_indicators",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Kind::Units => "单位",
            Kind::Projects => "项目库",
            Kind::Indicators => "预算指标",
            Kind::Contracts => "合同",
            Kind::ContractMilestones => "合同里程碑",
            Kind::Payments => "支付",
            Kind::Revenues => "收入",
            Kind::RevenueTargets => "收入预算",
            Kind::Staff => "人员名册",
            Kind::MacroIndicators => "宏观指标",
        }
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            Kind::Units => UNITS,
            Kind::Projects => PROJECTS,
            Kind::Indicators => INDICATORS,
            Kind::Contracts => CONTRACTS,
            Kind::ContractMilestones => CONTRACT_MILESTONES,
            Kind::Payments => PAYMENTS,
            Kind::Revenues => REVENUES,
            Kind::RevenueTargets => REVENUE_TARGETS,
            Kind::Staff => STAFF,
            Kind::MacroIndicators => MACRO_INDICATORS,
        }
    }
}

/// One template column. `required` columns must be in the header; a value may still be
/// optional (see each parser).
#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub name: &'static str,
    pub zh: &'static str,
    /// Field names of the national integrated budget system (预算管理一体化) and other
    /// accepted spellings; matched without regard to case.
    pub aliases: &'static [&'static str],
    pub required: bool,
}

const fn col(name: &'static str, zh: &'static str, aliases: &'static [&'static str]) -> Column {
    Column { name, zh, aliases, required: true }
}

const fn opt(name: &'static str, zh: &'static str, aliases: &'static [&'static str]) -> Column {
    Column { name, zh, aliases, required: false }
}

const UNITS: &[Column] = &[
    col("code", "编码", &["MOF_DIV_CODE", "AGENCY_CODE"]),
    col("name", "名称", &["MOF_DIV_NAME", "AGENCY_NAME"]),
    col("parent_code", "上级编码", &["PARENT_CODE", "SUPER_AGENCY_CODE"]),
    col("kind", "类型", &[]),
    opt("level", "级次", &["LEVEL_NO"]),
];
const PROJECTS: &[Column] = &[
    col("project_code", "项目编码", &["PRO_CODE"]),
    col("name", "项目名称", &["PRO_NAME", "名称"]),
    col("unit_code", "单位编码", &["AGENCY_CODE"]),
    col("category", "类别", &["PRO_KIND"]),
    col("start_year", "开始年度", &["START_YEAR"]),
    col("end_year", "结束年度", &["END_YEAR"]),
    col("total_amount", "总金额", &["PRO_TOTAL_AMT"]),
    col("status", "状态", &[]),
    opt("expires_on", "到期日期", &["EXPIRE_DATE"]),
];
const INDICATORS: &[Column] = &[
    col("indicator_code", "指标编码", &["BGT_ID"]),
    col("year", "年度", &["FISCAL_YEAR"]),
    col("unit_code", "单位编码", &["AGENCY_CODE"]),
    opt("project_code", "项目编码", &["PRO_CODE"]),
    col("functional_code", "功能分类", &["EXP_FUNC_CODE"]),
    col("economic_code", "部门经济分类", &["DEP_BGT_ECO_CODE"]),
    opt("gov_economic_code", "政府经济分类", &["GOV_BGT_ECO_CODE"]),
    col("fund_source", "资金来源", &["FUND_TYPE_CODE"]),
    opt("special", "是否专项", &["IS_SPECIAL"]),
    col("amount", "金额", &["BGT_AMT", "AMT"]),
    opt("control", "控制方式", &["CONTROL_TYPE"]),
];
const CONTRACTS: &[Column] = &[
    col("contract_no", "合同号", &["CONTRACT_NO", "CONTRACT_CODE"]),
    col("unit_code", "单位编码", &["AGENCY_CODE"]),
    col("indicator_code", "指标编码", &["BGT_ID"]),
    col("supplier_name", "供应商", &["SUPPLIER_NAME"]),
    col("supplier_account", "供应商账号", &["SUPPLIER_ACCT_NO"]),
    col("amount", "合同金额", &["CONTRACT_AMT"]),
    col("signed_on", "签订日期", &["SIGN_DATE"]),
    col("ends_on", "到期日期", &["END_DATE"]),
    col("status", "状态", &[]),
];
const CONTRACT_MILESTONES: &[Column] = &[
    col("contract_no", "合同号", &["CONTRACT_NO", "CONTRACT_CODE"]),
    col("seq", "序号", &["MILESTONE_SEQ"]),
    col("name", "里程碑名称", &["MILESTONE_NAME", "名称"]),
    col("kind", "类型", &["MILESTONE_KIND"]),
    opt("amount", "金额", &["MILESTONE_AMT"]),
    opt("share_permille", "比例‰", &["SHARE_PERMILLE"]),
    col("criterion", "验收标准", &["CRITERION"]),
    opt("verifiers", "验收角色", &["VERIFIERS"]),
    opt("depends_on", "前置里程碑", &["DEPENDS_ON"]),
    opt("pro_rata", "按比例", &["PRO_RATA"]),
    opt("due_date", "计划日期", &["DUE_DATE"]),
    opt("retention_days", "质保天数", &["RETENTION_DAYS"]),
];
const PAYMENTS: &[Column] = &[
    col("voucher_no", "凭证号", &["PAY_CERT_NO", "VOUCHER_NO"]),
    col("pay_date", "支付日期", &["PAY_DATE"]),
    col("unit_code", "单位编码", &["AGENCY_CODE"]),
    col("indicator_code", "指标编码", &["BGT_ID"]),
    col("economic_code", "经济分类", &["DEP_BGT_ECO_CODE", "部门经济分类"]),
    col("payee_name", "收款人", &["PAYEE_ACCT_NAME"]),
    col("payee_account", "收款账号", &["PAYEE_ACCT_NO"]),
    col("payee_type", "收款人类型", &["PAYEE_TYPE"]),
    col("amount", "金额", &["PAY_AMT"]),
    opt("summary", "摘要", &["USE_DES"]),
    opt("invoice_no", "发票号", &["INVOICE_NO"]),
    opt("contract_no", "合同号", &["CONTRACT_NO"]),
    opt("reverses", "冲销凭证", &["ORI_PAY_CERT_NO"]),
];
const STAFF: &[Column] = &[
    col("unit_code", "单位编码", &["AGENCY_CODE"]),
    col("name", "姓名", &["PERSON_NAME"]),
    col("id_hash", "身份证号哈希", &["ID_HASH"]),
    opt("bank_account", "银行账号", &["BANK_ACCT_NO"]),
    opt("phone", "电话", &["PHONE", "手机号"]),
];
const REVENUES: &[Column] = &[
    col("record_no", "记录号", &["RECORD_NO"]),
    col("date", "日期", &["INCOME_DATE"]),
    col("region_code", "地区编码", &["MOF_DIV_CODE"]),
    col("revenue_code", "收入分类", &["INCOME_SORT_CODE"]),
    col("amount", "金额", &["AMT"]),
];
const REVENUE_TARGETS: &[Column] = &[
    col("year", "年度", &["FISCAL_YEAR"]),
    col("region_code", "地区编码", &["MOF_DIV_CODE"]),
    col("revenue_code", "收入分类", &["INCOME_SORT_CODE"]),
    col("amount", "金额", &["AMT"]),
];
const MACRO_INDICATORS: &[Column] = &[
    col("period", "期间", &["PERIOD"]),
    col("region_code", "地区编码", &["MOF_DIV_CODE"]),
    col("name", "指标名称", &["INDEX_NAME"]),
    col("value", "数值", &["VALUE"]),
];

/// A problem with the header row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderError {
    /// The header as written, or the template's name for a missing column.
    pub column: String,
    /// `unknown_column` or `missing_column`.
    pub code: crate::refusal::Code,
    pub message: String,
}

/// Where each template column sits in the file.
#[derive(Clone, Debug)]
pub struct HeaderMap {
    /// Per template column, its index in the file's row, if present.
    pub positions: Vec<Option<usize>>,
    /// Per template column, the header text as the file writes it (or the template name).
    pub labels: Vec<String>,
    /// File columns that match no template column (kept only with `allow_extra`).
    pub extra: Vec<usize>,
}

fn normalise_header(h: &str) -> &str {
    h.trim_start_matches('\u{feff}').trim()
}

/// Matches a header row against the template of `kind`.
pub fn resolve_header(kind: Kind, headers: &[&str], allow_extra: bool) -> Result<HeaderMap, Vec<HeaderError>> {
    let cols = kind.columns();
    let mut positions = vec![None; cols.len()];
    let mut labels: Vec<String> = cols.iter().map(|c| c.name.to_string()).collect();
    let mut extra = Vec::new();
    let mut errors = Vec::new();
    for (fi, raw) in headers.iter().enumerate() {
        let h = normalise_header(raw);
        let found = cols.iter().position(|c| {
            c.name.eq_ignore_ascii_case(h) || c.zh == h || c.aliases.iter().any(|a| a.eq_ignore_ascii_case(h))
        });
        match found {
            Some(ci) if positions[ci].is_some() => errors.push(HeaderError {
                column: h.to_string(),
                code: crate::refusal::Code::UnknownColumn,
                message: format!("duplicate column: {} is already given by {:?}", cols[ci].name, labels[ci]),
            }),
            Some(ci) => {
                positions[ci] = Some(fi);
                labels[ci] = h.to_string();
            }
            None if allow_extra => extra.push(fi),
            None if h.is_empty() => errors.push(HeaderError {
                column: format!("#{}", fi + 1),
                code: crate::refusal::Code::UnknownColumn,
                message: "empty header".into(),
            }),
            None => {
                let names: Vec<&str> = cols.iter().map(|c| c.name).collect();
                errors.push(HeaderError {
                    column: h.to_string(),
                    code: crate::refusal::Code::UnknownColumn,
                    message: format!(
                        "unknown column for {} (expected {}; use --allow-extra to ignore extra columns)",
                        kind.as_str(),
                        names.join(", ")
                    ),
                })
            }
        }
    }
    for (ci, c) in cols.iter().enumerate() {
        if c.required && positions[ci].is_none() {
            errors.push(HeaderError {
                column: c.name.to_string(),
                code: crate::refusal::Code::MissingColumn,
                message: format!("missing required column {} ({})", c.name, c.zh),
            });
        }
    }
    if errors.is_empty() { Ok(HeaderMap { positions, labels, extra }) } else { Err(errors) }
}

/// One parsed row of any kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    Unit(OrgNode),
    Project(Project),
    Indicator(Indicator),
    Contract(Contract),
    ContractMilestone(ContractMilestone),
    Payment(Payment),
    Revenue(Revenue),
    RevenueTarget(RevenueTarget),
    Staff(StaffMember),
    MacroIndicator(MacroIndicator),
}

/// A bad field: `column` is the template column index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub column: usize,
    /// `missing_value` or `invalid_value`.
    pub code: crate::refusal::Code,
    pub message: String,
}

/// Longest key (codes, voucher numbers, accounts) a template accepts.
pub const KEY_CHARS_MAX: usize = 64;
/// Longest free text (names, summaries) a template accepts.
pub const TEXT_CHARS_MAX: usize = 500;

struct Fields<'a> {
    values: &'a [&'a str],
    errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    fn raw(&self, i: usize) -> &'a str {
        self.values.get(i).copied().unwrap_or("").trim()
    }

    /// A bad value: `missing_value` when the cell is empty, else `invalid_value`.
    fn fail(&mut self, i: usize, message: impl Into<String>) {
        use crate::refusal::Code;
        let code = if self.raw(i).trim().is_empty() { Code::MissingValue } else { Code::InvalidValue };
        self.errors.push(FieldError { column: i, code, message: message.into() });
    }

    fn key_opt(&mut self, i: usize) -> Option<String> {
        let v = self.raw(i);
        if v.is_empty() {
            return None;
        }
        if v.chars().count() > KEY_CHARS_MAX {
            self.fail(i, format!("longer than {KEY_CHARS_MAX} characters"));
        } else if v.chars().any(|c| c.is_control() || c.is_whitespace()) {
            self.fail(i, format!("must not contain spaces or control characters: {v:?}"));
        }
        Some(v.to_string())
    }

    /// A required value: an empty one is an error.
    fn required(&mut self, i: usize, v: Option<String>) -> String {
        v.unwrap_or_else(|| {
            self.errors.push(FieldError {
                column: i,
                code: crate::refusal::Code::MissingValue,
                message: "required value is empty".into(),
            });
            String::new()
        })
    }

    /// A voucher, invoice or contract number: free text as exported (`crate::ident`).
    fn ident_opt(&mut self, i: usize) -> Option<String> {
        let v = self.raw(i);
        if v.is_empty() {
            return None;
        }
        if let Err(e) = crate::ident::check(v) {
            self.fail(i, e);
        }
        Some(v.to_string())
    }

    fn ident(&mut self, i: usize) -> String {
        let v = self.ident_opt(i);
        self.required(i, v)
    }

    fn key(&mut self, i: usize) -> String {
        let v = self.key_opt(i);
        self.required(i, v)
    }

    fn text_opt(&mut self, i: usize) -> Option<String> {
        let v = self.raw(i);
        if v.is_empty() {
            return None;
        }
        if v.chars().count() > TEXT_CHARS_MAX {
            self.fail(i, format!("longer than {TEXT_CHARS_MAX} characters"));
        } else if v.chars().any(|c| c.is_control() && c != '\t') {
            self.fail(i, "must not contain control characters");
        }
        Some(v.to_string())
    }

    fn text(&mut self, i: usize) -> String {
        let v = self.text_opt(i);
        self.required(i, v)
    }

    fn money(&mut self, i: usize) -> Money {
        Money::parse_amount(self.raw(i)).unwrap_or_else(|e| {
            self.fail(i, e.to_string());
            Money::ZERO
        })
    }

    fn date(&mut self, i: usize) -> Date {
        Date::parse(self.raw(i)).unwrap_or_else(|e| {
            self.fail(i, e.to_string());
            Date::from_days(0)
        })
    }

    fn date_opt(&mut self, i: usize) -> Option<Date> {
        if self.raw(i).is_empty() { None } else { Some(self.date(i)) }
    }

    fn year(&mut self, i: usize) -> i32 {
        let v = self.raw(i);
        match v.parse::<i32>() {
            Ok(y) if (1900..=2999).contains(&y) && v.len() == 4 => y,
            _ => {
                self.fail(i, format!("not a four-digit year 1900-2999: {v:?}"));
                0
            }
        }
    }

    fn parsed<T, E: std::fmt::Display>(&mut self, i: usize, parse: impl FnOnce(&str) -> Result<T, E>) -> Option<T> {
        match parse(self.raw(i)) {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(i, e.to_string());
                None
            }
        }
    }

    fn parsed_opt<T, E: std::fmt::Display>(&mut self, i: usize, parse: impl FnOnce(&str) -> Result<T, E>) -> Option<T> {
        if self.raw(i).is_empty() { None } else { self.parsed(i, parse) }
    }

    fn bool_or(&mut self, i: usize, default: bool) -> bool {
        match self.raw(i) {
            "" => default,
            "true" | "TRUE" | "True" | "1" | "是" | "Y" | "y" => true,
            "false" | "FALSE" | "False" | "0" | "否" | "N" | "n" => false,
            other => {
                self.fail(i, format!("must be true or false, not {other:?}"));
                default
            }
        }
    }

    fn finish<T>(self, value: Option<T>) -> Result<T, Vec<FieldError>> {
        match value {
            Some(v) if self.errors.is_empty() => Ok(v),
            _ => {
                let mut errors = self.errors;
                if errors.is_empty() {
                    errors.push(FieldError {
                        column: 0,
                        code: crate::refusal::Code::InvalidValue,
                        message: "invalid row".into(),
                    });
                }
                Err(errors)
            }
        }
    }
}

/// Parses one row whose `values` are in template column order ("" where the file lacks the
/// column). Every bad field is reported, not just the first.
pub fn parse_row(kind: Kind, values: &[&str]) -> Result<Record, Vec<FieldError>> {
    let mut f = Fields { values, errors: Vec::new() };
    match kind {
        Kind::Units => {
            let code = f.key(0);
            let name = f.text(1);
            let parent_code = f.key_opt(2);
            let kind = f.parsed(3, OrgKind::parse);
            let level = f.parsed_opt(4, RegionLevel::parse);
            match (kind, level) {
                (Some(OrgKind::Region), None) if f.raw(4).is_empty() => {
                    f.fail(4, "a region needs a level: province, city or county")
                }
                (Some(OrgKind::Department | OrgKind::Unit), Some(_)) => {
                    f.fail(4, "level is only for regions; leave it empty")
                }
                _ => {}
            }
            if parent_code.as_deref() == Some(code.as_str()) {
                f.fail(2, "a node cannot be its own parent");
            }
            let rec = kind.map(|kind| Record::Unit(OrgNode { code, name, parent_code, kind, level }));
            f.finish(rec)
        }
        Kind::Projects => {
            let project_code = f.key(0);
            let name = f.text(1);
            let unit_code = f.key(2);
            let category = f.key(3);
            if !category.is_empty() && !category.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                f.fail(3, format!("category must be a lower-case word such as livelihood, infrastructure, education, health, other: {category:?}"));
            }
            let start_year = f.year(4);
            let end_year = f.year(5);
            if start_year > 0 && end_year > 0 && end_year < start_year {
                f.fail(5, format!("end_year {end_year} is before start_year {start_year}"));
            }
            let total_amount = f.money(6);
            if total_amount.is_negative() {
                f.fail(6, "must not be negative");
            }
            let status = f.parsed(7, ProjectStatus::parse);
            let expires_on = f.date_opt(8);
            let rec = status.map(|status| {
                Record::Project(Project {
                    project_code,
                    name,
                    unit_code,
                    category,
                    start_year,
                    end_year,
                    total_amount,
                    status,
                    expires_on,
                })
            });
            f.finish(rec)
        }
        Kind::Indicators => {
            let indicator_code = f.key(0);
            let year = f.year(1);
            let unit_code = f.key(2);
            let project_code = f.key_opt(3);
            let functional_code = f.parsed(4, FunctionalCode::parse);
            let economic_code = f.parsed(5, EconomicCode::parse);
            let gov_economic_code = f.parsed_opt(6, GovEconomicCode::parse);
            let fund_source = f.parsed(7, FundSource::parse);
            let special = f.bool_or(8, false);
            let amount = f.money(9);
            if amount.is_negative() {
                f.fail(9, "must not be negative");
            }
            let control = if f.raw(10).is_empty() { Some(Control::Block) } else { f.parsed(10, Control::parse) };
            let rec = match (functional_code, economic_code, fund_source, control) {
                (Some(functional_code), Some(economic_code), Some(fund_source), Some(control)) => {
                    Some(Record::Indicator(Indicator {
                        indicator_code,
                        year,
                        unit_code,
                        project_code,
                        functional_code,
                        economic_code,
                        gov_economic_code,
                        fund_source,
                        special,
                        amount,
                        control,
                    }))
                }
                _ => None,
            };
            f.finish(rec)
        }
        Kind::Contracts => {
            let contract_no = f.ident(0);
            let unit_code = f.key(1);
            let indicator_code = f.key(2);
            let supplier_name = f.text(3);
            let supplier_account = f.key(4);
            let amount = f.money(5);
            if !amount.is_positive() && f.errors.iter().all(|e| e.column != 5) {
                f.fail(5, "a contract amount must be positive");
            }
            let signed_on = f.date(6);
            let ends_on = f.date(7);
            if ends_on < signed_on && f.errors.iter().all(|e| e.column != 6 && e.column != 7) {
                f.fail(7, format!("ends_on {ends_on} is before signed_on {signed_on}"));
            }
            let status = f.parsed(8, ContractStatus::parse);
            let rec = status.map(|status| {
                Record::Contract(Contract {
                    contract_no,
                    unit_code,
                    indicator_code,
                    supplier_name,
                    supplier_account,
                    amount,
                    signed_on,
                    ends_on,
                    status,
                })
            });
            f.finish(rec)
        }
        Kind::Payments => {
            let voucher_no = f.ident(0);
            let pay_date = f.date(1);
            let unit_code = f.key(2);
            let indicator_code = f.key(3);
            let economic_code = f.parsed(4, EconomicCode::parse);
            let payee_name = f.text(5);
            let payee_account = f.key(6);
            let payee_type = f.parsed(7, PayeeType::parse);
            let amount = f.money(8);
            let summary = f.text_opt(9).unwrap_or_default();
            let invoice_no = f.ident_opt(10);
            let contract_no = f.ident_opt(11);
            let reverses = f.ident_opt(12);
            let amount_ok = f.errors.iter().all(|e| e.column != 8);
            if amount_ok && amount == Money::ZERO {
                f.fail(8, "a payment of zero records nothing");
            }
            if amount_ok && amount.is_negative() && reverses.is_none() {
                f.fail(12, "a refund (negative amount) must name the voucher it reverses");
            }
            if amount_ok && amount.is_positive() && reverses.is_some() {
                f.fail(12, "only a refund (negative amount) reverses a voucher");
            }
            if reverses.as_deref() == Some(voucher_no.as_str()) {
                f.fail(12, "a voucher cannot reverse itself");
            }
            let rec = match (economic_code, payee_type) {
                (Some(economic_code), Some(payee_type)) => Some(Record::Payment(Payment {
                    voucher_no,
                    pay_date,
                    unit_code,
                    indicator_code,
                    economic_code,
                    payee_name,
                    payee_account,
                    payee_type,
                    amount,
                    summary,
                    invoice_no,
                    contract_no,
                    reverses,
                })),
                _ => None,
            };
            f.finish(rec)
        }
        Kind::Revenues => {
            let record_no = f.key(0);
            let date = f.date(1);
            let region_code = f.key(2);
            let revenue_code = f.parsed(3, RevenueCode::parse);
            let amount = f.money(4);
            if amount == Money::ZERO && f.errors.iter().all(|e| e.column != 4) {
                f.fail(4, "a revenue of zero records nothing");
            }
            let rec = revenue_code
                .map(|revenue_code| Record::Revenue(Revenue { record_no, date, region_code, revenue_code, amount }));
            f.finish(rec)
        }
        Kind::RevenueTargets => {
            let year = f.year(0);
            let region_code = f.key(1);
            let revenue_code = f.parsed(2, RevenueCode::parse);
            let amount = f.money(3);
            if amount.is_negative() {
                f.fail(3, "must not be negative");
            }
            let rec = revenue_code
                .map(|revenue_code| Record::RevenueTarget(RevenueTarget { year, region_code, revenue_code, amount }));
            f.finish(rec)
        }
        Kind::Staff => {
            let unit_code = f.key(0);
            let name = f.text(1);
            let id_hash = f.key(2);
            let bank_account: String = f.raw(3).chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
            let phone: String = f.raw(4).chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
            if !phone.is_empty() && !phone.chars().all(|c| c.is_ascii_digit() || c == '+') {
                f.fail(4, "a phone number is digits (and a leading +)");
            }
            let rec = StaffMember { unit_code, name, id_hash, bank_account, phone };
            f.finish(Some(Record::Staff(rec)))
        }
        Kind::ContractMilestones => {
            let contract_no = f.ident(0);
            let seq = f.parsed(1, |s| match s.parse::<u32>() {
                Ok(n) if (1..=999).contains(&n) => Ok(n),
                _ => Err(format!("a milestone number 1-999, not {s:?}")),
            });
            let name = f.text(2);
            let kind = f.parsed(3, |s| {
                crate::milestone::Kind::parse(s)
                    .ok_or_else(|| format!("advance, progress, completion or retention, not {s:?}"))
            });
            let amount = if f.raw(4).is_empty() { None } else { Some(f.money(4)) };
            let share_permille = f.parsed_opt(5, |s| match s.parse::<u16>() {
                Ok(n) if (1..=1000).contains(&n) => Ok(n),
                _ => Err(format!("a share in ‰, 1-1000, not {s:?}")),
            });
            match (amount, share_permille) {
                (Some(_), Some(_)) => f.fail(5, "give the amount or the share, not both"),
                (None, None) => f.fail(4, "give the amount (yuan) or share_permille"),
                (Some(a), None) if !a.is_positive() => f.fail(4, "must be more than zero"),
                _ => {}
            }
            let criterion = f.text(6);
            let list = |s: &str| -> Vec<String> {
                s.split([';', '；']).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string).collect()
            };
            let mut verifiers = Vec::new();
            for v in list(f.raw(7)) {
                match crate::access::Role::parse(&v) {
                    Ok(r) if !matches!(r, crate::access::Role::Public | crate::access::Role::Admin) => {
                        verifiers.push(r.id().to_string())
                    }
                    _ => f.fail(7, format!("not a role that verifies work: {v:?}")),
                }
            }
            let mut depends_on = Vec::new();
            for d in list(f.raw(8)) {
                match d.parse::<u32>() {
                    Ok(n) => depends_on.push(n),
                    Err(_) => f.fail(8, format!("milestone numbers separated by ';', not {d:?}")),
                }
            }
            let pro_rata = f.bool_or(9, false);
            let due_date = f.date_opt(10);
            let retention_days = f.parsed_opt(11, |s| s.parse::<u32>().map_err(|_| format!("whole days, not {s:?}")));
            let rec = seq.zip(kind).map(|(seq, kind)| {
                Record::ContractMilestone(ContractMilestone {
                    contract_no,
                    seq,
                    name,
                    kind,
                    amount,
                    share_permille,
                    criterion,
                    verifiers,
                    depends_on,
                    pro_rata,
                    due_date,
                    retention_days,
                })
            });
            f.finish(rec)
        }
        Kind::MacroIndicators => {
            let period = f.parsed(0, Period::parse);
            let region_code = f.key(1);
            let name = f.key(2);
            let value = f.parsed(3, Decimal::parse);
            let rec = period
                .zip(value)
                .map(|(period, value)| Record::MacroIndicator(MacroIndicator { period, region_code, name, value }));
            f.finish(rec)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_in_english_chinese_and_national_names() {
        let en = resolve_header(
            Kind::Indicators,
            &["indicator_code", "year", "unit_code", "functional_code", "economic_code", "fund_source", "amount"],
            false,
        );
        assert!(en.is_ok());
        let zh = resolve_header(
            Kind::Payments,
            &[
                "\u{feff}凭证号",
                "支付日期",
                "单位编码",
                "指标编码",
                "经济分类",
                "收款人",
                "收款账号",
                "收款人类型",
                "金额",
                "摘要",
            ],
            false,
        );
        assert!(zh.is_ok());
        let nat = resolve_header(
            Kind::Indicators,
            &[
                "BGT_ID",
                "FISCAL_YEAR",
                "AGENCY_CODE",
                "PRO_CODE",
                "EXP_FUNC_CODE",
                "DEP_BGT_ECO_CODE",
                "GOV_BGT_ECO_CODE",
                "FUND_TYPE_CODE",
                "amount",
            ],
            false,
        );
        let map = nat.map_err(|e| format!("{e:?}"));
        assert_eq!(map.map(|m| m.labels[0].clone()), Ok("BGT_ID".to_string()));
    }

    #[test]
    fn header_errors_name_each_problem() {
        let errs =
            resolve_header(Kind::Revenues, &["record_no", "date", "date", "colour"], false).err().unwrap_or_default();
        let msgs: Vec<String> = errs.iter().map(|e| format!("{}: {}", e.column, e.message)).collect();
        assert_eq!(msgs.len(), 5, "{msgs:?}");
        assert!(msgs[0].starts_with("date: duplicate column"));
        assert!(msgs[1].starts_with("colour: unknown column"));
        assert!(msgs[2].starts_with("region_code: missing required column"));
        assert!(
            resolve_header(
                Kind::Revenues,
                &["record_no", "date", "region_code", "revenue_code", "amount", "colour"],
                true
            )
            .is_ok()
        );
    }

    fn errors(kind: Kind, values: &[&str]) -> Vec<(String, String)> {
        match parse_row(kind, values) {
            Ok(_) => vec![],
            Err(es) => es.into_iter().map(|e| (kind.columns()[e.column].name.to_string(), e.message)).collect(),
        }
    }

    #[test]
    fn payment_rows() {
        let good =
            ["V1", "2026-03-01", "U1", "I1", "30201", "某公司", "6222", "company", "1200.50", "办公用品", "", "", ""];
        assert!(
            matches!(parse_row(Kind::Payments, &good), Ok(Record::Payment(p)) if p.amount == Money::from_fen(120_050))
        );
        let bad = ["V1", "2026-02-30", "U1", "I1", "3021", "某公司", "6222", "person", "1,200", "", "", "", ""];
        let e = errors(Kind::Payments, &bad);
        let cols: Vec<&str> = e.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(cols, ["pay_date", "economic_code", "payee_type", "amount"]);
        let refund = ["V2", "2026-03-02", "U1", "I1", "30201", "某公司", "6222", "company", "-10", "", "", "", ""];
        assert_eq!(
            errors(Kind::Payments, &refund),
            vec![("reverses".to_string(), "a refund (negative amount) must name the voucher it reverses".to_string())]
        );
    }

    #[test]
    fn unit_rows() {
        assert!(parse_row(Kind::Units, &["P", "省", "", "region", "province"]).is_ok());
        let e = errors(Kind::Units, &["P", "省", "", "region", ""]);
        assert_eq!(e[0].0, "level");
        let e = errors(Kind::Units, &["D", "厅", "P", "department", "city"]);
        assert_eq!(e[0].0, "level");
    }
}
