//! Classification codes (分类科目): strings of digits whose prefixes form the hierarchy.
//!
//! Functional codes (功能分类) are 类/款/项 = 3+2+2 digits; department economic codes
//! (部门经济分类) 3+2 digits starting with 3; government economic codes (政府经济分类) 3+2
//! digits starting with 5; revenue codes (收入分类) 3, 5 or 7 digits starting with 1.
//! Leading zeros are significant, so codes are never numbers.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CodeError(pub String);

fn check(input: &str, lengths: &[usize], first: &[u8], what: &str, example: &str) -> Result<String, CodeError> {
    let s = input.trim_matches(|c: char| c == ' ' || c == '\t');
    if s.is_empty() {
        return Err(CodeError(format!("empty {what}")));
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CodeError(format!("{what} must be digits, e.g. {example}: {input:?}")));
    }
    if !lengths.contains(&s.len()) {
        let ls: Vec<String> = lengths.iter().map(usize::to_string).collect();
        return Err(CodeError(format!("{what} must have {} digits, e.g. {example}: {input:?}", ls.join(" or "))));
    }
    if !first.contains(&s.as_bytes()[0]) {
        let fs: Vec<String> = first.iter().map(|b| char::from(*b).to_string()).collect();
        return Err(CodeError(format!("{what} must start with {}, e.g. {example}: {input:?}", fs.join(" or "))));
    }
    Ok(s.to_string())
}

macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident, $lengths:expr, $first:expr, $what:expr, $example:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            pub fn parse(input: &str) -> Result<$name, CodeError> {
                check(input, $lengths, $first, $what, $example).map($name)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// True when `self` equals `ancestor` or lies under it (prefix hierarchy).
            pub fn is_under(&self, ancestor: &$name) -> bool {
                self.0.starts_with(&ancestor.0)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

code_type!(
    /// Functional classification (功能分类科目), e.g. `2050203`.
    FunctionalCode, &[3, 5, 7], b"2", "functional code", "2050203"
);
code_type!(
    /// Department economic classification (部门经济分类科目), e.g. `30211`.
    EconomicCode, &[3, 5], b"3", "economic code", "30211"
);
code_type!(
    /// Government economic classification (政府经济分类科目), e.g. `50201`.
    GovEconomicCode, &[3, 5], b"5", "government economic code", "50201"
);
code_type!(
    /// Revenue classification (收入分类科目), e.g. `10101`.
    RevenueCode, &[3, 5, 7], b"1", "revenue code", "10101"
);

/// The "三公" economic codes: 因公出国(境) 30212, 公务接待 30217, 公务用车运行维护 30231,
/// 公务用车购置 30913. Data, not logic: the rules read this list.
pub const SANGONG_CODES: &[(&str, &str, &str)] = &[
    ("30212", "因公出国(境)费用", "overseas official travel"),
    ("30217", "公务接待费", "official hospitality"),
    ("30231", "公务用车运行维护费", "official vehicle operation and maintenance"),
    ("30913", "公务用车购置", "official vehicle purchase"),
];

impl EconomicCode {
    /// True when the code is, or lies under, one of the "三公" codes.
    pub fn is_sangong(&self) -> bool {
        SANGONG_CODES.iter().any(|(c, _, _)| self.0.starts_with(c))
    }

    /// Wage and welfare codes (301xx 工资福利支出, 303xx 对个人和家庭的补助).
    pub fn is_wage_or_welfare(&self) -> bool {
        self.0.starts_with("301") || self.0.starts_with("303")
    }
}

/// The names of the national classification (政府收支分类科目) as shipped data: the
/// departments' economic classes (部门预算支出经济分类, 类 and 款) in `classes/economic.csv`,
/// the functional classes (支出功能分类, 类) in `classes/functional.csv`, and the commonest
/// 款 and 项 below them in `classes/functional_items.csv`.
const ECONOMIC_NAMES: &str = include_str!("classes/economic.csv");
const FUNCTIONAL_NAMES: &str = include_str!("classes/functional.csv");
const FUNCTIONAL_ITEMS: &str = include_str!("classes/functional_items.csv");

/// One line of a shipped names file: its cells, a quoted cell unquoted.
fn cells(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    while !rest.is_empty() {
        if let Some(q) = rest.strip_prefix('"') {
            let end = q.find('"').unwrap_or(q.len());
            out.push(&q[..end]);
            rest = q.get(end + 1..).unwrap_or("").trim_start_matches(',');
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            out.push(&rest[..end]);
            rest = rest.get(end + 1..).unwrap_or("");
        }
    }
    out
}

/// The row of `data` whose code is the longest prefix of `code`.
fn longest_prefix(data: &'static str, code: &str) -> Option<Vec<&'static str>> {
    data.lines()
        .skip(1)
        .map(cells)
        .filter(|c| c.first().is_some_and(|k| !k.is_empty() && code.starts_with(k)))
        .max_by_key(|c| c[0].len())
}

/// The name of an economic code: its 款 (30201 办公费), else its 类 (302 商品和服务支出).
pub fn economic_name(code: &str) -> Option<&'static str> {
    longest_prefix(ECONOMIC_NAMES, code.trim()).and_then(|c| c.get(1).copied())
}

/// The name of a functional code's 类 (205… 教育支出), in Chinese or English.
pub fn functional_name(code: &str, en: bool) -> Option<&'static str> {
    let code = code.trim();
    let row = longest_prefix(FUNCTIONAL_NAMES, code.get(..3)?)?;
    row.get(if en { 2 } else { 1 }).copied()
}

/// A functional code as a reader names it: its 款 and 项 (普通教育·初中教育), its 款 alone,
/// or — below an 款 not shipped — its 类.
pub fn functional_label(code: &str) -> Option<String> {
    let code = code.trim();
    let exact = |k: &str| -> Option<&'static str> {
        FUNCTIONAL_ITEMS.lines().skip(1).map(cells).find(|c| c.first() == Some(&k)).and_then(|c| c.get(1).copied())
    };
    let kuan = code.get(..5).and_then(exact);
    let xiang = code.get(..7).filter(|_| code.len() >= 7).and_then(exact);
    match (kuan, xiang) {
        (Some(k), Some(x)) => Some(format!("{k}·{x}")),
        (Some(k), None) => Some(k.to_string()),
        _ => functional_name(code, false).map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_names_come_from_the_shipped_data() {
        assert_eq!(functional_label("2050203").as_deref(), Some("普通教育·初中教育"));
        assert_eq!(functional_label("2100101").as_deref(), Some("卫生健康管理事务·行政运行"));
        assert_eq!(functional_label("2050301").as_deref(), Some("职业教育"), "an 项 not shipped: its 款");
        assert_eq!(functional_label("2299901").as_deref(), Some("其他支出"), "an 款 not shipped: its 类");
        assert_eq!(functional_label("9990101"), None);
        assert_eq!(economic_name("30201"), Some("办公费"));
        assert_eq!(economic_name("30217"), Some("公务接待费"));
        // A code below the shipped 款 takes its 款's name; an unknown 款 its 类's.
        assert_eq!(economic_name("3020101"), Some("办公费"));
        assert_eq!(economic_name("30298"), Some("商品和服务支出"));
        assert_eq!(economic_name("99999"), None);
        assert_eq!(functional_name("2050203", false), Some("教育支出"));
        assert_eq!(functional_name("2130101", true), Some("Agriculture, forestry and water"));
        assert_eq!(functional_name("99", false), None);
        // Every shipped line has a code of 3 or 5 digits and a name.
        for line in ECONOMIC_NAMES.lines().skip(1).chain(FUNCTIONAL_NAMES.lines().skip(1)) {
            let c = cells(line);
            assert!(matches!(c[0].len(), 3 | 5) && c[0].bytes().all(|b| b.is_ascii_digit()), "{line}");
            assert!(!c[1].is_empty(), "{line}");
        }
        // The "三公" codes carry the names the rules use.
        for (code, _, _) in SANGONG_CODES {
            assert!(economic_name(code).is_some(), "{code}");
        }
    }

    #[test]
    fn prefix_hierarchy() -> Result<(), CodeError> {
        let travel = EconomicCode::parse("30211")?;
        assert!(travel.is_under(&EconomicCode::parse("302")?));
        assert!(!travel.is_under(&EconomicCode::parse("301")?));
        assert!(travel.is_under(&travel));
        assert!(FunctionalCode::parse("2050203")?.is_under(&FunctionalCode::parse("205")?));
        Ok(())
    }

    #[test]
    fn sangong_set() -> Result<(), CodeError> {
        for c in ["30212", "30217", "30231", "30913"] {
            assert!(EconomicCode::parse(c)?.is_sangong(), "{c}");
        }
        assert!(!EconomicCode::parse("30211")?.is_sangong());
        assert!(EconomicCode::parse("30101")?.is_wage_or_welfare());
        Ok(())
    }

    #[test]
    fn rejects_malformed_codes() {
        for s in ["", "3021", "302111", "40211", "30a11", "３０２１１"] {
            assert!(EconomicCode::parse(s).is_err(), "{s}");
        }
        assert!(FunctionalCode::parse("205020").is_err());
        assert!(RevenueCode::parse("10101").is_ok());
        assert!(GovEconomicCode::parse("30201").is_err());
    }
}
