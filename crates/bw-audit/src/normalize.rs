//! Payee names and document numbers brought to one spelling before they are compared.

/// A payee name with spacing, full-width forms, case, brackets and the legal-form suffix
/// (有限责任公司, 股份有限公司, 有限公司, 公司) taken away: "北京 华新科技有限公司" and
/// "北京华新科技公司" are one payee.
pub fn payee_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(half_width)
        .filter(|c| !c.is_whitespace() && !matches!(c, '(' | ')' | '[' | ']' | '·' | '.' | ',' | '-'))
        .flat_map(char::to_lowercase)
        .collect();
    for suffix in
        ["有限责任公司", "股份有限公司", "集团有限公司", "有限公司", "分公司", "公司", "co.,ltd", "coltd", "ltd", "inc"]
    {
        if s.len() > suffix.len() && s.ends_with(suffix) {
            s.truncate(s.len() - suffix.len());
            break;
        }
    }
    s
}

/// An invoice or account number: half-width, upper case, without spaces and dashes.
pub fn number(s: &str) -> String {
    s.chars().map(half_width).filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_uppercase).collect()
}

/// The half-width form of a full-width ASCII character (U+FF01–U+FF5E) and of the
/// ideographic space; other characters as they are. Full-width brackets become ASCII too, as part of that range;
/// 【】 become [].
pub fn half_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '【' => '[',
        '】' => ']',
        _ => c,
    }
}

/// Levenshtein distance between two strings in characters, giving up (returning `limit + 1`)
/// as soon as it must exceed `limit`.
pub fn edits_within(a: &str, b: &str, limit: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > limit {
        return limit + 1;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j - 1] + cost).min(prev[j] + 1).min(cur[j - 1] + 1);
            row_min = row_min.min(cur[j]);
        }
        if row_min > limit {
            return limit + 1;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()].min(limit + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_after_normalising() {
        assert_eq!(payee_name("北京 华新科技有限公司"), payee_name("北京华新科技公司"));
        assert_eq!(payee_name("ＡＢＣ（北京）科技有限责任公司"), payee_name("abc(北京)科技公司"));
        assert_eq!(payee_name("Acme Co.,Ltd"), "acme");
        assert_ne!(payee_name("北京华新科技有限公司"), payee_name("北京华盛科技有限公司"));
        // A name that is only a suffix is kept.
        assert_eq!(payee_name("公司"), "公司");
    }

    #[test]
    fn numbers_and_edits() {
        assert_eq!(number(" ｎｏ-12 34 "), "NO1234");
        assert_eq!(edits_within("12345678", "12345679", 1), 1);
        assert_eq!(edits_within("12345678", "1234567", 1), 1);
        assert_eq!(edits_within("12345678", "12345687", 1), 2);
        assert_eq!(edits_within("12345678", "12345678", 1), 0);
        assert_eq!(edits_within("abc", "xyz", 5), 3);
    }
}
