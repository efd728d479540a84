//! Settings (设置): named values with a shipped default, each change a journaled action.
//! The registry below is the list of keys the program knows; an unknown key is refused.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingType {
    /// A whole number within the bounds.
    Integer { min: i64, max: i64 },
}

#[derive(Clone, Copy, Debug)]
pub struct SettingSpec {
    pub key: &'static str,
    pub default: &'static str,
    pub kind: SettingType,
    pub about: &'static str,
}

pub const SETTINGS: &[SettingSpec] = &[
    SettingSpec {
        key: "import.errors_max",
        default: "100",
        kind: SettingType::Integer { min: 1, max: 100_000 },
        about: "bad rows reported for one import file before the rest are only counted",
    },
    SettingSpec {
        key: "ledger.publish_minutes",
        default: "60",
        kind: SettingType::Integer { min: 1, max: 10_080 },
        about: "minutes between published checkpoints, the ones witnesses cosign",
    },
];

pub fn spec(key: &str) -> Option<&'static SettingSpec> {
    SETTINGS.iter().find(|s| s.key == key)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    #[error("unknown setting {0:?}")]
    Unknown(String),
    #[error("setting {key}: {message}")]
    Invalid { key: String, message: String },
}

/// Checks `value` for `key` and returns it in canonical form.
pub fn validate(key: &str, value: &str) -> Result<String, SettingError> {
    let s = spec(key).ok_or_else(|| SettingError::Unknown(key.to_string()))?;
    let invalid = |message: String| SettingError::Invalid { key: key.to_string(), message };
    match s.kind {
        SettingType::Integer { min, max } => {
            let v: i64 = value.trim().parse().map_err(|_| invalid(format!("not a whole number: {value:?}")))?;
            if v < min || v > max {
                return Err(invalid(format!("{v} is outside {min}..={max}")));
            }
            Ok(v.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_values_checked() {
        for s in SETTINGS {
            assert_eq!(validate(s.key, s.default).as_deref(), Ok(s.default), "{}", s.key);
        }
        assert!(matches!(validate("nope", "1"), Err(SettingError::Unknown(_))));
        assert!(matches!(validate("import.errors_max", "0"), Err(SettingError::Invalid { .. })));
        assert_eq!(validate("import.errors_max", " 7 "), Ok("7".to_string()));
    }
}
