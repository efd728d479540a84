//! Document numbers (voucher, invoice and contract numbers) as real systems export them:
//! free text such as `2154742696 4/24` or `JAN 11 10`, kept as exported after surrounding
//! whitespace is trimmed. What is refused: control characters, the invisible characters
//! that reorder or hide text (bidirectional overrides such as U+202E, zero-width spaces),
//! and values longer than `CHARS_MAX`. The rules compare numbers by `key`.

/// Longest document number accepted, in characters.
pub const CHARS_MAX: usize = 64;

/// Characters that change how text is displayed without being seen: bidirectional
/// embeddings, overrides and isolates, the directional marks, zero-width characters, the
/// byte-order mark and the line and paragraph separators.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Checks a trimmed document number; the error is the reason, for `FILE:ROW: column C:`.
pub fn check(s: &str) -> Result<(), String> {
    // Most numbers are plain printable ASCII: one pass over the bytes.
    if s.len() <= CHARS_MAX && s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Ok(());
    }
    if s.chars().count() > CHARS_MAX {
        return Err(format!("longer than {CHARS_MAX} characters"));
    }
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(format!("must not contain control characters (U+{:04X})", c as u32));
    }
    if let Some(c) = s.chars().find(|c| invisible(*c)) {
        return Err(format!(
            "must not contain invisible formatting characters such as bidirectional overrides (U+{:04X})",
            c as u32
        ));
    }
    Ok(())
}

/// The form two numbers are compared in: without spaces (ASCII and ideographic) and
/// dashes, ASCII letters in upper case. `FP-2024 001`, `fp2024001` and `FP2024001` are one
/// invoice. Other characters are kept as they are.
pub fn key(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()) {
        return std::borrow::Cow::Borrowed(s);
    }
    s.chars().filter(|c| !matches!(c, ' ' | '\u{3000}' | '-')).map(|c| c.to_ascii_uppercase()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_exported_are_accepted() {
        for ok in ["CLOSED ACCOUNTS", "2154742696 4/24", "JAN 11 10", "FP-2024/001#3", "发票 第12号", "№ 7"] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn control_invisible_and_long_values_are_refused() {
        assert!(check("A\tB").unwrap_err().contains("control characters (U+0009)"));
        assert!(check("AB\u{202E}CD").unwrap_err().contains("U+202E"));
        assert!(check("A\u{200B}B").unwrap_err().contains("U+200B"));
        assert!(check(&"9".repeat(65)).unwrap_err().contains("longer than 64"));
        assert_eq!(check(&"9".repeat(64)), Ok(()));
        assert!(check(&"票".repeat(65)).is_err());
    }

    #[test]
    fn keys_ignore_spacing_dashes_and_case() {
        assert_eq!(key("FP-2024 001"), "FP2024001");
        assert_eq!(key("fp2024001"), "FP2024001");
        assert_eq!(key("2154742696 4/24"), "21547426964/24");
        assert_eq!(key("JAN\u{3000}11"), "JAN11");
        assert!(matches!(key("FP2024001"), std::borrow::Cow::Borrowed(_)));
    }
}
