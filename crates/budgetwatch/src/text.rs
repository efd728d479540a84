//! Text for pages and files, and nothing else: escaping, URL encoding, the language pick,
//! amounts as people read them (亿元, 万元, thousands separators), percentages, the small
//! execution bar and classification codes with their names. No page, no caller: every web
//! module may use it, and it uses none of them.

use std::fmt::Write as _;

use bw_core::Money;

pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

// ---- reading ----

/// Chinese or English, by the page's `lang`.
pub(crate) fn t<'a>(en: bool, zh: &'a str, english: &'a str) -> &'a str {
    if en { english } else { zh }
}

pub(crate) fn urlencode(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            o.push(char::from(b));
        } else {
            let _ = write!(o, "%{b:02X}");
        }
    }
    o
}

/// One path segment: a slash is encoded too, so a voucher number such as `4/24` stays one
/// segment (the router decodes it back).
pub(crate) fn segment(s: &str) -> String {
    urlencode(s).replace('/', "%2F")
}

/// A total as its reader reads it: 亿元 / 万元 / 元 on Chinese pages, million yuan in English.
pub(crate) fn magnitude(en: bool, m: Money) -> String {
    if en { m.magnitude_en() } else { m.magnitude_zh() }
}

/// Amounts on the page in 万元 (10,000 yuan), two decimals, computed in integers.
pub(crate) fn wan(m: Money) -> String {
    // 1 wan = 1,000,000 fen; a hundredth of a wan is 10,000 fen (rounded half up).
    let hundredths = (m.fen().unsigned_abs() + 5_000) / 10_000;
    let sign = if m.fen() < 0 && hundredths > 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", group_thousands(hundredths / 100), hundredths % 100)
}

/// 1234567 → "1,234,567", for reading on screen (inputs never carry separators).
pub(crate) fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub(crate) fn pct(r: f64) -> String {
    format!("{:.1}%", r * 100.0)
}

/// An amount in yuan as the API writes it ("1234567.80"), with thousands separators.
pub(crate) fn yuan(amount: &str) -> String {
    bw_core::Money::parse_yuan(amount).map(|m| m.grouped()).unwrap_or_else(|_| esc(amount))
}

pub(crate) fn bar(rate: f64, progress: f64) -> String {
    let width = 120.0;
    let fill = if rate + 0.10 < progress { "#e67e22" } else { "#27ae60" };
    format!(
        r##"<svg viewBox="0 0 {width} 12" class="bar" xmlns="http://www.w3.org/2000/svg"><rect width="{width}" height="12" fill="#eee"/><rect width="{:.1}" height="12" fill="{fill}"/><line x1="{:.1}" x2="{:.1}" y1="0" y2="12" stroke="#2c3e50" stroke-width="2"/></svg>"##,
        width * rate.clamp(0.0, 1.0),
        width * progress.clamp(0.0, 1.0),
        width * progress.clamp(0.0, 1.0)
    )
}

/// A functional code as a cell: its name (款·项, else 类) and the code beside it.
pub(crate) fn functional_cell(code: &str) -> String {
    match bw_core::code::functional_label(code) {
        Some(name) => format!("{} <small>{}</small>", esc(&name), esc(code)),
        None => esc(code),
    }
}

/// An economic code as a cell: its name (款, else 类) and the code beside it.
pub(crate) fn economic_cell(code: &str) -> String {
    match bw_core::code::economic_name(code) {
        Some(name) => format!("{} <small>{}</small>", esc(name), esc(code)),
        None => esc(code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_wan_are_exact() {
        assert_eq!(wan(Money::from_fen(123_456_789)), "123.46");
        assert_eq!(wan(Money::from_fen(-100)), "0.00");
        assert_eq!(wan(Money::from_fen(-1_000_000)), "-1.00");
        assert_eq!(wan(Money::from_fen(1_000_000)), "1.00");
        assert_eq!(wan(Money::from_fen(1_728_387_110_000)), "1,728,387.11");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1_000), "1,000");
        assert_eq!(esc("<a&\"b\">"), "&lt;a&amp;&quot;b&quot;&gt;");
    }
}
