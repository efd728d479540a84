//! Money (金额): an exact count of fen (分, 1/100 yuan) in an `i64`. Never a float.

use std::fmt;

/// An amount of money in fen. Arithmetic is checked; formatting is always two decimals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

/// Why a yuan string is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("empty amount")]
    Empty,
    #[error(
        "not an amount in yuan: {0:?} (write digits with at most two decimals, e.g. 1234.50, no separators or currency signs)"
    )]
    Syntax(String),
    #[error("more than two decimals: {0:?} (amounts are exact to the fen)")]
    TooManyDecimals(String),
    #[error("amount out of range: {0:?}")]
    Overflow(String),
    #[error("amount {0:?} is above the ceiling of 10,000,000,000,000.00 yuan one record may carry")]
    AboveCeiling(String),
}

/// Checked arithmetic failed: the result does not fit in an `i64` of fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("amount arithmetic overflow")]
pub struct MoneyOverflow;

impl Money {
    pub const ZERO: Money = Money(0);

    /// The largest amount one record may carry, either sign: 10,000,000,000,000.00 yuan
    /// (十万亿元, a third of the nation's yearly spending). Imports refuse more.
    pub const RECORD_MAX: Money = Money(1_000_000_000_000_000);

    /// The largest total of one kind of record in one fiscal year (the absolute amounts of
    /// its payments, revenues, indicators, contracts or revenue targets): 100,000,000,000,000.00
    /// yuan (百万亿元). With every amount and every year's total within these, no sum the
    /// system forms — a year's, a region's, a month's, times 100 for a percentage — leaves an
    /// `i64` of fen: 9,223,372,036,854,775,807 fen is 92,233 times this.
    pub const YEAR_TOTAL_MAX: Money = Money(10_000_000_000_000_000);

    /// `parse_yuan`, refusing an amount beyond `RECORD_MAX` (what a template's amount may be).
    pub fn parse_amount(input: &str) -> Result<Money, MoneyError> {
        let m = Money::parse_yuan(input)?;
        if m.0.unsigned_abs() > Money::RECORD_MAX.0.unsigned_abs() {
            return Err(MoneyError::AboveCeiling(input.trim().to_string()));
        }
        Ok(m)
    }

    pub const fn from_fen(fen: i64) -> Money {
        Money(fen)
    }

    pub const fn fen(self) -> i64 {
        self.0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyOverflow> {
        self.0.checked_add(other.0).map(Money).ok_or(MoneyOverflow)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyOverflow> {
        self.0.checked_sub(other.0).map(Money).ok_or(MoneyOverflow)
    }

    pub fn checked_neg(self) -> Result<Money, MoneyOverflow> {
        self.0.checked_neg().map(Money).ok_or(MoneyOverflow)
    }

    /// The share `self / whole` as a ratio for display and rules; 0 when `whole` is zero.
    pub fn ratio_of(self, whole: Money) -> f64 {
        if whole.0 == 0 { 0.0 } else { self.0 as f64 / whole.0 as f64 }
    }

    /// Parses yuan written as `-?digits(.d{1,2})?`, surrounding ASCII spaces ignored.
    pub fn parse_yuan(input: &str) -> Result<Money, MoneyError> {
        let s = input.trim_matches(|c: char| c == ' ' || c == '\t');
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (negative, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (whole, frac) = match body.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (body, None),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::Syntax(input.to_string()));
        }
        let frac_fen: i64 = match frac {
            None => 0,
            Some(f) if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(MoneyError::Syntax(input.to_string()));
            }
            Some(f) if f.len() > 2 => return Err(MoneyError::TooManyDecimals(input.to_string())),
            Some(f) => {
                let mut v = 0i64;
                for b in f.bytes() {
                    v = v * 10 + i64::from(b - b'0');
                }
                if f.len() == 1 { v * 10 } else { v }
            }
        };
        let overflow = || MoneyError::Overflow(input.to_string());
        let mut yuan: i64 = 0;
        for b in whole.bytes() {
            yuan = yuan.checked_mul(10).and_then(|v| v.checked_add(i64::from(b - b'0'))).ok_or_else(overflow)?;
        }
        let fen = yuan.checked_mul(100).and_then(|v| v.checked_add(frac_fen)).ok_or_else(overflow)?;
        Ok(Money(if negative { -fen } else { fen }))
    }
}

impl Money {
    /// The amount in yuan with its thousands grouped, "1,234,567.80", for reading (inputs
    /// never carry separators).
    /// The amount as a Chinese reader reads a total: in 亿元 from one hundred million yuan,
    /// in 万元 from ten thousand, else in 元; two decimals (rounded half away from zero) and
    /// thousands separators. `1234567890123` fen → "123.46亿元".
    pub fn magnitude_zh(self) -> String {
        match self.0.unsigned_abs() {
            a if a >= 10_000_000_000 => format!("{}亿元", self.scaled(10_000_000_000)),
            a if a >= 1_000_000 => format!("{}万元", self.scaled(1_000_000)),
            _ => format!("{}元", self.grouped()),
        }
    }

    /// The same for an English reader: in million yuan from a million, else in yuan.
    pub fn magnitude_en(self) -> String {
        if self.0.unsigned_abs() >= 100_000_000 {
            format!("{} million yuan", self.scaled(100_000_000))
        } else {
            format!("{} yuan", self.grouped())
        }
    }

    /// The amount in units of `unit` fen, two decimals, grouped.
    fn scaled(self, unit: u64) -> String {
        let hundredths = (self.0.unsigned_abs() as u128 * 100 + u128::from(unit) / 2) / u128::from(unit);
        let whole = Money::from_fen((hundredths / 100 * 100) as i64).grouped();
        let whole = whole.trim_end_matches(".00");
        let sign = if self.0 < 0 && hundredths > 0 { "-" } else { "" };
        format!("{sign}{whole}.{:02}", hundredths % 100)
    }

    pub fn grouped(self) -> String {
        let abs = self.0.unsigned_abs();
        let digits = (abs / 100).to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 4);
        if self.0 < 0 {
            out.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        format!("{out}.{:02}", abs % 100)
    }
}

/// A sum of amounts taken in `i128` (which no sum of `i64` amounts can overflow), written
/// in yuan as `Money` writes itself.
pub fn yuan_i128(fen: i128) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl std::str::FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Money, MoneyError> {
        Money::parse_yuan(s)
    }
}

/// Sums saturate nowhere: a sum that overflows is a bug in the caller's data sizes, so
/// `Sum` is only offered through `try_sum`.
pub fn try_sum<I: IntoIterator<Item = Money>>(items: I) -> Result<Money, MoneyOverflow> {
    items.into_iter().try_fold(Money::ZERO, |acc, m| acc.checked_add(m))
}

/// In journal entries and JSON an amount is the yuan string (`"1234.50"`): exact, and read
/// by people auditing the log.
impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Money::parse_yuan(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn totals_read_in_yi_and_wan() {
        assert_eq!(Money::from_fen(1_234_567_890_123).magnitude_zh(), "123.46亿元");
        assert_eq!(Money::from_fen(2_345_678_901_234_567).magnitude_zh(), "234,567.89亿元");
        assert_eq!(Money::from_fen(123_456_789).magnitude_zh(), "123.46万元");
        assert_eq!(Money::from_fen(-1_000_000).magnitude_zh(), "-1.00万元");
        assert_eq!(Money::from_fen(999_999).magnitude_zh(), "9,999.99元");
        assert_eq!(Money::from_fen(9_999_999_999).magnitude_zh(), "10,000.00万元");
        assert_eq!(Money::from_fen(1_234_567_890_123).magnitude_en(), "12,345.68 million yuan");
        assert_eq!(Money::from_fen(12_345).magnitude_en(), "123.45 yuan");
    }

    #[test]
    fn amounts_read_with_grouped_thousands() {
        assert_eq!(Money::from_fen(123_456_780).grouped(), "1,234,567.80");
        assert_eq!(Money::from_fen(-99_999).grouped(), "-999.99");
        assert_eq!(Money::from_fen(5).grouped(), "0.05");
        assert_eq!(Money::from_fen(100_000).grouped(), "1,000.00");
        assert_eq!(Money::from_fen(-12_345_678_900).grouped(), "-123,456,789.00");
        assert_eq!(Money::from_fen(i64::MIN).grouped(), "-92,233,720,368,547,758.08");
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_documented_forms() {
        let cases: &[(&str, i64)] = &[
            ("1234.5", 123_450),
            ("1234.56", 123_456),
            ("-0.01", -1),
            ("-10.00", -1000),
            ("0", 0),
            ("007.10", 710),
            (" 12.30 ", 1230),
            ("92233720368547758.07", i64::MAX),
        ];
        for (s, fen) in cases {
            assert_eq!(Money::parse_yuan(s), Ok(Money::from_fen(*fen)), "{s}");
        }
    }

    #[test]
    fn rejects_what_the_templates_forbid() {
        for s in ["1,234", "¥5", "NaN", "inf", "1e3", "+5", ".5", "5.", "--1", "1 000", "12.3.4", "-", "１２"] {
            assert!(matches!(Money::parse_yuan(s), Err(MoneyError::Syntax(_))), "{s}");
        }
        assert!(matches!(Money::parse_yuan("1.234"), Err(MoneyError::TooManyDecimals(_))));
        assert!(matches!(Money::parse_yuan(""), Err(MoneyError::Empty)));
        assert!(matches!(Money::parse_yuan("92233720368547758.08"), Err(MoneyError::Overflow(_))));
        assert!(matches!(Money::parse_yuan("99999999999999999999999"), Err(MoneyError::Overflow(_))));
        // A record's amount has a ceiling well inside the range.
        assert_eq!(Money::parse_amount("10000000000000.00"), Ok(Money::RECORD_MAX));
        assert_eq!(Money::parse_amount("-10000000000000"), Ok(Money::from_fen(-Money::RECORD_MAX.fen())));
        assert!(matches!(Money::parse_amount("10000000000000.01"), Err(MoneyError::AboveCeiling(_))));
        assert!(matches!(Money::parse_amount("50000000000000000.00"), Err(MoneyError::AboveCeiling(_))));
        // Sums of records at the ceiling, up to a year's total and times 100, stay in range.
        assert!(Money::YEAR_TOTAL_MAX.fen().checked_mul(100).is_some());
        assert_eq!(yuan_i128(i128::from(i64::MAX) * 2), "184467440737095516.14");
    }

    #[test]
    fn formats_with_two_decimals() {
        assert_eq!(Money::from_fen(123_450).to_string(), "1234.50");
        assert_eq!(Money::from_fen(-1).to_string(), "-0.01");
        assert_eq!(Money::from_fen(i64::MIN).to_string(), "-92233720368547758.08");
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(Money::from_fen(i64::MAX).checked_add(Money::from_fen(1)), Err(MoneyOverflow));
        assert_eq!(Money::from_fen(i64::MIN).checked_neg(), Err(MoneyOverflow));
        assert_eq!(Money::from_fen(5).checked_sub(Money::from_fen(7)), Ok(Money::from_fen(-2)));
        assert_eq!(try_sum([Money::from_fen(1), Money::from_fen(2)]), Ok(Money::from_fen(3)));
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(fen in (i64::MIN + 1)..=i64::MAX) {
            let m = Money::from_fen(fen);
            prop_assert_eq!(Money::parse_yuan(&m.to_string()), Ok(m));
        }

        #[test]
        fn garbage_never_panics(s in "\\PC{0,24}") {
            let _ = Money::parse_yuan(&s);
        }
    }
}
