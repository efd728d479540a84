//! Refusal codes: every refusal of a record, a file or a request is one of these, with a
//! stable snake_case id. The HTTP status of an API answer comes from the code (`status`),
//! never from a message. `ALL` is the precedence order: when several apply, the answer's
//! code is the first of them (docs/API.md lists the table).

/// Why something was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// No or an unknown credential.
    Unauthorized,
    /// Outside the caller's permissions, subtree or data class.
    Forbidden,
    /// A body or parameter that cannot be read at all.
    MalformedRequest,
    /// A body of another media type than the route takes.
    UnsupportedMediaType,
    /// A file that cannot be read as CSV or XLSX.
    UnreadableFile,
    /// A header naming a column the template does not know.
    UnknownColumn,
    /// A header without a column the template requires.
    MissingColumn,
    /// A row whose field count differs from the header's.
    FieldCountMismatch,
    /// A required value left empty.
    MissingValue,
    /// A value that is not of its column's form (a date, an amount, a code, a key).
    InvalidValue,
    /// An amount outside what one record may carry.
    AmountOutOfRange,
    /// A unit, department or region code the organisation does not hold (or of another kind).
    UnknownUnit,
    /// An indicator code not in the budget of that year.
    UnknownIndicator,
    /// A project code not in the project library.
    UnknownProject,
    /// A contract number not recorded.
    UnknownContract,
    /// A refund naming a voucher that is not recorded.
    UnknownVoucher,
    /// A reference to a record of another unit, indicator or kind.
    ReferenceMismatch,
    /// A unit whose parent, kind or level breaks the organisation's rules.
    InvalidHierarchy,
    /// A record whose state does not allow it (a cancelled contract, a project not
    /// fundable, a refund of a refund).
    InvalidState,
    /// A key already recorded with other content, or twice in one file.
    DuplicateKeyConflict,
    /// A payment or commitment beyond its indicator's available balance (control block).
    IndicatorBalanceExceeded,
    /// A payment a rule handled `forbid` refuses.
    ForbiddenByRule,
    /// A year's total of absolute amounts beyond what a year may hold.
    YearTotalExceeded,
    /// Too many records are waiting to be written: send again later.
    Busy,
}

impl Code {
    /// Every code, in precedence order.
    pub const ALL: [Code; 24] = [
        Code::Unauthorized,
        Code::Forbidden,
        Code::MalformedRequest,
        Code::UnsupportedMediaType,
        Code::UnreadableFile,
        Code::UnknownColumn,
        Code::MissingColumn,
        Code::FieldCountMismatch,
        Code::MissingValue,
        Code::InvalidValue,
        Code::AmountOutOfRange,
        Code::UnknownUnit,
        Code::UnknownIndicator,
        Code::UnknownProject,
        Code::UnknownContract,
        Code::UnknownVoucher,
        Code::ReferenceMismatch,
        Code::InvalidHierarchy,
        Code::InvalidState,
        Code::DuplicateKeyConflict,
        Code::IndicatorBalanceExceeded,
        Code::ForbiddenByRule,
        Code::YearTotalExceeded,
        Code::Busy,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Code::Unauthorized => "unauthorized",
            Code::Forbidden => "forbidden",
            Code::MalformedRequest => "malformed_request",
            Code::UnsupportedMediaType => "unsupported_media_type",
            Code::UnreadableFile => "unreadable_file",
            Code::UnknownColumn => "unknown_column",
            Code::MissingColumn => "missing_column",
            Code::FieldCountMismatch => "field_count_mismatch",
            Code::MissingValue => "missing_value",
            Code::InvalidValue => "invalid_value",
            Code::AmountOutOfRange => "amount_out_of_range",
            Code::UnknownUnit => "unknown_unit",
            Code::UnknownIndicator => "unknown_indicator",
            Code::UnknownProject => "unknown_project",
            Code::UnknownContract => "unknown_contract",
            Code::UnknownVoucher => "unknown_voucher",
            Code::ReferenceMismatch => "reference_mismatch",
            Code::InvalidHierarchy => "invalid_hierarchy",
            Code::InvalidState => "invalid_state",
            Code::DuplicateKeyConflict => "duplicate_key_conflict",
            Code::IndicatorBalanceExceeded => "indicator_balance_exceeded",
            Code::ForbiddenByRule => "forbidden_by_rule",
            Code::YearTotalExceeded => "year_total_exceeded",
            Code::Busy => "busy",
        }
    }

    /// The refusal as a finance officer reads it on a page.
    pub fn zh(self) -> &'static str {
        match self {
            Code::Unauthorized => "未登录或凭证无效",
            Code::Forbidden => "超出您的权限或授权范围",
            Code::MalformedRequest => "请求无法读取",
            Code::UnsupportedMediaType => "文件类型不受支持",
            Code::UnreadableFile => "文件无法读取（须为 UTF-8 编码的 CSV 或 XLSX）",
            Code::UnknownColumn => "模板中没有此列",
            Code::MissingColumn => "缺少模板要求的列",
            Code::FieldCountMismatch => "该行的列数与表头不一致",
            Code::MissingValue => "必填项为空",
            Code::InvalidValue => "取值格式不正确",
            Code::AmountOutOfRange => "金额超出允许范围",
            Code::UnknownUnit => "单位编码不存在",
            Code::UnknownIndicator => "该年度没有此预算指标",
            Code::UnknownProject => "项目库中没有此项目",
            Code::UnknownContract => "合同未登记",
            Code::UnknownVoucher => "退款所指的原凭证未登记",
            Code::ReferenceMismatch => "引用的记录属于其他单位、指标或类型",
            Code::InvalidHierarchy => "单位的上级、类型或层级不符合组织规则",
            Code::InvalidState => "所引用记录的状态不允许此操作",
            Code::DuplicateKeyConflict => "编号已登记且内容不同，或在文件中重复",
            Code::IndicatorBalanceExceeded => "超出指标可用余额（刚性控制）",
            Code::ForbiddenByRule => "预警规则禁止此支付",
            Code::YearTotalExceeded => "超出年度金额上限",
            Code::Busy => "系统繁忙，请稍后重试",
        }
    }

    /// The HTTP status of an API answer refused with this code.
    pub fn status(self) -> u16 {
        match self {
            Code::Unauthorized => 401,
            Code::Forbidden => 403,
            Code::MalformedRequest => 400,
            Code::UnsupportedMediaType => 415,
            Code::DuplicateKeyConflict => 409,
            Code::Busy => 503,
            _ => 422,
        }
    }

    /// The first of `codes` in precedence order.
    pub fn first(codes: impl IntoIterator<Item = Code>) -> Option<Code> {
        codes.into_iter().min()
    }

    pub fn parse(id: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.id() == id)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_ordered_and_named_in_snake_case() {
        for (i, c) in Code::ALL.iter().enumerate() {
            assert_eq!(Code::parse(c.id()), Some(*c));
            assert!(c.id().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{c}");
            // The derived order is the precedence order.
            assert!(Code::ALL[..i].iter().all(|earlier| earlier < c), "{c}");
            assert!(!c.zh().is_empty() && Code::ALL[..i].iter().all(|e| e.zh() != c.zh()), "{c}");
        }
        assert_eq!(Code::first([Code::ForbiddenByRule, Code::InvalidValue]), Some(Code::InvalidValue));
        assert_eq!(Code::DuplicateKeyConflict.status(), 409);
        assert_eq!(Code::IndicatorBalanceExceeded.status(), 422);
    }
}
