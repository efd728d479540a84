//! Settings (设置): named values with a shipped default, each change a journaled action.
//! The registry below is the list of keys the program knows; an unknown key is refused.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingType {
    /// A whole number within the bounds.
    Integer { min: i64, max: i64 },
    /// Three increasing whole numbers, `yellow,orange,red`, within the bounds.
    Bands { min: i64, max: i64 },
    /// A comma-separated list of terms (全角或半角逗号).
    Terms,
    /// An amount of money in yuan.
    Yuan,
    /// One of the listed words.
    Choice(&'static [&'static str]),
    /// A decimal number within the bounds (thousandths).
    Decimal { min_milli: i64, max_milli: i64 },
    /// An IANA time zone name (`Asia/Shanghai`, `UTC`); whether the tz database knows it is
    /// checked where the database is (`bw_app::zone`).
    TimeZone,
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
        key: "rules.over_budget.levels",
        default: "0,10,20",
        kind: SettingType::Bands { min: 0, max: 1000 },
        about: "over_budget: % paid over the indicator amount for yellow, orange, red (exceeded)",
    },
    SettingSpec {
        key: "rules.out_of_scope.terms",
        default: "烟酒,香烟,名酒,购物卡,礼品卡,礼品,高尔夫,奢侈品,会员卡,娱乐",
        kind: SettingType::Terms,
        about: "out_of_scope: the prohibited-purchase list, matched in payment summaries",
    },
    SettingSpec {
        key: "rules.ahead_of_schedule.levels",
        default: "20,30,40",
        kind: SettingType::Bands { min: 0, max: 100 },
        about: "ahead_of_schedule: one month's payments as % of the annual amount (exceeded)",
    },
    SettingSpec {
        key: "rules.behind_schedule.levels",
        default: "10,20,30",
        kind: SettingType::Bands { min: 0, max: 100 },
        about: "behind_schedule: points of execution rate below time progress (exceeded)",
    },
    SettingSpec {
        key: "rules.stagnant.levels",
        default: "3,4,6",
        kind: SettingType::Bands { min: 1, max: 12 },
        about: "stagnant: consecutive complete months without a payment (reached)",
    },
    SettingSpec {
        key: "rules.idle_funds.levels",
        default: "6,9,12",
        kind: SettingType::Bands { min: 0, max: 12 },
        about: "idle_funds: complete months a special fund went unused (exceeded)",
    },
    SettingSpec {
        key: "rules.split_purchase.min_payments",
        default: "3",
        kind: SettingType::Integer { min: 2, max: 100 },
        about: "split_purchase: payments to the same account that form a pattern",
    },
    SettingSpec {
        key: "rules.split_purchase.limit",
        default: "50000.00",
        kind: SettingType::Yuan,
        about: "split_purchase: each payment below, their sum at least (yuan)",
    },
    SettingSpec {
        key: "rules.split_purchase.days",
        default: "30",
        kind: SettingType::Integer { min: 1, max: 366 },
        about: "split_purchase: the window in days",
    },
    SettingSpec {
        key: "rules.split_purchase.exempt_codes",
        default: "30205,30206,30207,30208,30209",
        kind: SettingType::Terms,
        about: "split_purchase: economic codes of recurring services (water, electricity, post and telecoms, heating, property management) whose regular bills are not splitting",
    },
    SettingSpec {
        key: "rules.duplicate_payment.days",
        default: "7",
        kind: SettingType::Integer { min: 0, max: 366 },
        about: "duplicate_payment: same payee account and amount within this many days",
    },
    SettingSpec {
        key: "rules.sangong_over.levels",
        default: "0,10,20",
        kind: SettingType::Bands { min: 0, max: 1000 },
        about: "sangong_over: % of a unit's 三公 spending over its 三公 budget (exceeded)",
    },
    SettingSpec {
        key: "rules.personal_account.limit",
        default: "50000.00",
        kind: SettingType::Yuan,
        about: "personal_account: payments to individuals from this amount, outside wage codes (yuan)",
    },
    SettingSpec {
        key: "rules.year_end_rush.levels",
        default: "25,35,50",
        kind: SettingType::Bands { min: 0, max: 100 },
        about: "year_end_rush: December's payments as % of the annual amount (exceeded)",
    },
    SettingSpec {
        key: "rules.revenue_shortfall.gap_points",
        default: "10",
        kind: SettingType::Integer { min: 0, max: 100 },
        about: "revenue_shortfall: points of completion behind time progress at a month-end",
    },
    SettingSpec {
        key: "rules.revenue_shortfall.levels",
        default: "3,4,6",
        kind: SettingType::Bands { min: 1, max: 12 },
        about: "revenue_shortfall: consecutive month-ends behind (reached)",
    },
    SettingSpec {
        key: "rules.response.interview_workdays",
        default: "5",
        kind: SettingType::Integer { min: 1, max: 60 },
        about: "orange warnings: working days within which the finance interview (约谈) is held",
    },
    SettingSpec {
        key: "rules.response.audit_workdays",
        default: "20",
        kind: SettingType::Integer { min: 1, max: 250 },
        about: "red warnings: working days within which the special audit reports",
    },
    SettingSpec {
        key: "clock.time_zone",
        default: "Asia/Shanghai",
        kind: SettingType::TimeZone,
        about: "the installation's time zone (IANA name): today's date, the day payments are judged on and dates are shown in",
    },
    SettingSpec {
        key: "matters.over_budget_permille",
        default: "100",
        kind: SettingType::Integer { min: 1, max: 1000 },
        about: "a major matter this far over its budget (‰; 100 = 10 %) or more goes to the department head",
    },
    SettingSpec {
        key: "matters.bureau_head_from",
        default: "1000000.00",
        kind: SettingType::Yuan,
        about: "a major matter of this amount (yuan) or more goes to the bureau head",
    },
    SettingSpec {
        key: "matters.collective_from",
        default: "5000000.00",
        kind: SettingType::Yuan,
        about: "a major matter of this amount (yuan) or more, or in a 三重一大 category, goes to a collective decision",
    },
    SettingSpec {
        key: "meetings.pack_workdays",
        default: "2",
        kind: SettingType::Integer { min: 1, max: 20 },
        about: "working days before a meeting the daily check makes its agenda pack",
    },
    SettingSpec {
        key: "ledger.publish_minutes",
        default: "60",
        kind: SettingType::Integer { min: 1, max: 10_080 },
        about: "minutes between published checkpoints, the ones witnesses cosign",
    },
    SettingSpec {
        key: "schedule.check",
        default: "on",
        kind: SettingType::Choice(&["on", "off"]),
        about: "whether the server runs the daily check itself (rules, escalations, overdue marks, emergency cases)",
    },
    SettingSpec {
        key: "schedule.check_hour",
        default: "1",
        kind: SettingType::Integer { min: 0, max: 23 },
        about: "the hour of the installation's day from which the server runs the daily check (and at start)",
    },
    SettingSpec {
        key: "ingest.group_max",
        default: "1000",
        kind: SettingType::Integer { min: 1, max: 100_000 },
        about: "single payments posted together committed in one transaction, at most this many",
    },
    SettingSpec {
        key: "ingest.group_wait_ms",
        default: "2",
        kind: SettingType::Integer { min: 0, max: 1_000 },
        about: "milliseconds a group of single payments waits for more before it is committed",
    },
];

/// How a rule's warning is handled: `record` (kept, nobody notified), `warn`, `warn_attach`
/// (the explanation needs an attachment), `intercept` (the payment is held until a reviewer
/// releases or rejects it), `forbid` (the payment is refused).
pub const HANDLINGS: &[&str] = &["record", "warn", "warn_attach", "intercept", "forbid"];
/// When a rule fires: as each payment lands (`payment`, 事中) or at scheduled checks
/// (`scheduled`, 定时).
pub const FIRINGS: &[&str] = &["payment", "scheduled"];
/// revenue_shortfall is measured on revenue at month-ends, not on payments.
const SCHEDULED_ONLY: &[&str] = &["scheduled"];
/// Who owns a rule and so may change its settings.
pub const OWNERS: &[&str] = &["system", "finance", "department"];

macro_rules! policies {
    ($($id:literal $firing:literal $firings:ident $owner:literal;)*) => {
        &[$(
            SettingSpec {
                key: concat!("rules.", $id, ".handling"),
                default: "warn",
                kind: SettingType::Choice(HANDLINGS),
                about: concat!($id, ": record, warn, warn_attach, intercept or forbid"),
            },
            SettingSpec {
                key: concat!("rules.", $id, ".firing"),
                default: $firing,
                kind: SettingType::Choice($firings),
                about: concat!($id, ": fires as payments land (payment) or at scheduled checks (scheduled)"),
            },
            SettingSpec {
                key: concat!("rules.", $id, ".owner"),
                default: $owner,
                kind: SettingType::Choice(OWNERS),
                about: concat!($id, ": who owns the rule and may change it (system, finance, department)"),
            },
        )*]
    };
}

/// Each rule's handling, firing and owner.
pub const RULE_POLICIES: &[SettingSpec] = policies! {
    "over_budget" "payment" FIRINGS "system";
    "out_of_scope" "payment" FIRINGS "system";
    "ahead_of_schedule" "payment" FIRINGS "finance";
    "behind_schedule" "scheduled" FIRINGS "finance";
    "stagnant" "scheduled" FIRINGS "finance";
    "idle_funds" "scheduled" FIRINGS "finance";
    "split_purchase" "payment" FIRINGS "finance";
    "duplicate_payment" "payment" FIRINGS "system";
    "sangong_over" "payment" FIRINGS "finance";
    "personal_account" "payment" FIRINGS "finance";
    "year_end_rush" "payment" FIRINGS "finance";
    "revenue_shortfall" "scheduled" SCHEDULED_ONLY "finance";
};

const fn int(key: &'static str, default: &'static str, min: i64, max: i64, about: &'static str) -> SettingSpec {
    SettingSpec { key, default, kind: SettingType::Integer { min, max }, about }
}

const fn yuan(key: &'static str, default: &'static str, about: &'static str) -> SettingSpec {
    SettingSpec { key, default, kind: SettingType::Yuan, about }
}

/// Budget approval's routes and deadlines (docs/BUDGET.md).
pub const BUDGET_SETTINGS: &[SettingSpec] = &[
    yuan("budget.lean_below", "50000.00", "items below this amount take the lean route (3 levels instead of 5)"),
    SettingSpec {
        key: "budget.major_share",
        default: "0.1",
        kind: SettingType::Decimal { min_milli: 0, max_milli: 1000 },
        about: "an adjustment moving more than this share of the original amount also needs the chief",
    },
    int("budget.step_hours", "48", 1, 720, "working hours an approval step has before it moves up a level"),
    SettingSpec {
        key: "budget.routine_economic",
        default: "30201",
        kind: SettingType::Terms,
        about: "economic codes (or their prefixes) whose small adjustments are routine and approved automatically",
    },
    yuan("budget.routine_limit", "5000.00", "the largest routine adjustment (either way) approved automatically"),
    SettingSpec {
        key: "budget.reserve_functional",
        default: "227",
        kind: SettingType::Terms,
        about: "functional codes (or their prefixes) of the reserve fund (预备费) emergency adjustments draw on",
    },
];

/// The audit tests' parameters (审计方法库), each with its default.
pub const AUDIT_SETTINGS: &[SettingSpec] = &[
    int(
        "audit.duplicate.days",
        "14",
        0,
        366,
        "duplicate_same_same_different: equal amounts to one payee within this many days",
    ),
    int(
        "audit.duplicate.similar_edits",
        "1",
        1,
        5,
        "duplicate_same_same_similar: invoice numbers at most this many edits apart",
    ),
    int("audit.duplicate.near_permille", "1", 0, 1000, "duplicate_same_same_near: amounts within this many per mille"),
    int("audit.duplicate.near_days", "3", 0, 366, "duplicate_same_same_near: paid within this many days"),
    yuan(
        "audit.split.limit",
        "50000.00",
        "split_purchase_year: procurement threshold (yuan): each payment below, the window's sum at least",
    ),
    int(
        "audit.split.days",
        "30",
        1,
        366,
        "split_purchase_year: window in days (payments of one department, payee and economic code)",
    ),
    int("audit.split.min_payments", "3", 2, 100, "split_purchase_year: payments in the window at least"),
    int("audit.split.floor_pct", "90", 0, 100, "split_purchase_year: each payment at least this % of the threshold"),
    yuan("audit.benford.min_amount", "10.00", "benford: amounts at least this much (yuan) enter the tests"),
    int(
        "audit.benford.min_records",
        "300",
        1,
        1_000_000_000,
        "benford: amounts a unit or payee needs to be tested on its own",
    ),
    SettingSpec {
        key: "audit.dbscan.eps",
        default: "0.5",
        kind: SettingType::Decimal { min_milli: 1, max_milli: 100_000 },
        about: "dbscan_outlier: neighbourhood radius in standard deviations",
    },
    int(
        "audit.dbscan.min_samples",
        "5",
        1,
        10_000,
        "dbscan_outlier: points (itself included) a core point needs within eps",
    ),
    yuan(
        "audit.dbscan.large",
        "500000.00",
        "dbscan_outlier: a noise payment of at least this much (yuan) is a finding",
    ),
    int(
        "audit.methods.rush_pct",
        "50",
        0,
        100,
        "project_year_end_rush: Nov + Dec payments above this % of the project's annual amount",
    ),
    int(
        "audit.methods.low_execution_pct",
        "20",
        0,
        100,
        "low_execution: project execution below this % in the year (pro rata)",
    ),
    int(
        "audit.methods.low_execution_3y_pct",
        "50",
        0,
        100,
        "low_execution_3y: execution below this % three years running",
    ),
    int(
        "audit.methods.other_subclass_pct",
        "20",
        0,
        100,
        "other_subclass: …99 codes above this % of a project's spending",
    ),
    int(
        "audit.methods.association_pct",
        "70",
        0,
        100,
        "association_payments: payments to associations above this % of an indicator",
    ),
    yuan(
        "audit.methods.union_individual_limit",
        "10000.00",
        "union_or_individual: one payment to a trade union or an individual above this (yuan)",
    ),
    yuan(
        "audit.methods.round_sum",
        "1000.00",
        "supermarket_round_sum: supermarket payments in whole multiples of this (yuan)",
    ),
    SettingSpec {
        key: "audit.methods.luxury_terms",
        default: "奢侈品,名表,名包,高档白酒,茅台,高尔夫,会所,豪华,珠宝,名贵",
        kind: SettingType::Terms,
        about: "luxury_keywords: terms matched in payment summaries",
    },
    yuan(
        "audit.methods.sangong_prepaid_limit",
        "10000.00",
        "sangong_prepaid_q4: a fourth-quarter prepaid 三公 payment above this (yuan)",
    ),
    int(
        "audit.methods.revenue_jump_pct",
        "50",
        0,
        10_000,
        "revenue_jump: a month's revenue up more than this % on last year's month or the month before",
    ),
    int("audit.score.threshold", "60", 0, 100, "risk score below which a unit gets a special audit"),
    int(
        "audit.score.special_audit_workdays",
        "20",
        1,
        250,
        "working days a special audit opened by the score is due in",
    ),
    int("audit.score.yellow", "2", 0, 100, "risk score points per open yellow warning"),
    int("audit.score.orange", "4", 0, 100, "risk score points per open orange warning"),
    int("audit.score.red", "8", 0, 100, "risk score points per open red warning"),
];

macro_rules! weights {
    ($($test:literal $w:literal;)*) => {
        &[$(
            SettingSpec {
                key: concat!("audit.", $test, ".weight"),
                default: $w,
                kind: SettingType::Integer { min: 0, max: 100 },
                about: concat!($test, ": risk score points per finding (doubled at most by its money)"),
            },
        )*]
    };
}

/// Each audit test's weight in the risk score.
pub const AUDIT_WEIGHTS: &[SettingSpec] = weights! {
    "duplicate_exact" "10";
    "duplicate_same_same_different" "6";
    "duplicate_same_same_similar" "6";
    "duplicate_same_same_near" "4";
    "split_purchase_year" "8";
    "benford" "2";
    "dbscan_outlier" "2";
    "related_party" "10";
    "shared_account" "5";
    "text_check" "6";
    "project_year_end_rush" "5";
    "low_execution" "3";
    "low_execution_3y" "5";
    "other_subclass" "3";
    "association_payments" "5";
    "union_or_individual" "5";
    "supermarket_round_sum" "6";
    "luxury_keywords" "8";
    "sangong_prepaid_q4" "6";
    "revenue_jump" "0";
};

/// Every setting the program knows.
pub fn all() -> impl Iterator<Item = &'static SettingSpec> {
    SETTINGS.iter().chain(RULE_POLICIES).chain(AUDIT_SETTINGS).chain(AUDIT_WEIGHTS).chain(BUDGET_SETTINGS)
}

/// A key and the fiscal year it is scoped to: `rules.*` and `audit.*` settings may be set for one year as
/// `KEY@YEAR` (e.g. `rules.over_budget.levels@2027`), which that year reads before `KEY`.
pub fn split_year(key: &str) -> (&str, Option<i32>) {
    match key.rsplit_once('@') {
        Some((base, y)) if (base.starts_with("rules.") || base.starts_with("audit.")) && y.len() == 4 => {
            match y.parse() {
                Ok(year) if (1900..=9999).contains(&year) => (base, Some(year)),
                _ => (key, None),
            }
        }
        _ => (key, None),
    }
}

/// The spec of `key` (a year-scoped `KEY@YEAR` has the spec of `KEY`).
pub fn spec(key: &str) -> Option<&'static SettingSpec> {
    let (base, _) = split_year(key);
    all().find(|s| s.key == base)
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
        SettingType::Bands { min, max } => {
            let parts: Vec<i64> =
                value
                    .split([',', '，'])
                    .map(|p| p.trim().parse::<i64>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| invalid(format!("not three whole numbers yellow,orange,red: {value:?}")))?;
            match parts.as_slice() {
                [y, o, r] if min <= *y && y <= o && o <= r && *r <= max => Ok(format!("{y},{o},{r}")),
                _ => Err(invalid(format!("need three increasing whole numbers within {min}..={max}: {value:?}"))),
            }
        }
        SettingType::TimeZone => {
            let v = value.trim();
            let ok = !v.is_empty()
                && v.len() <= 64
                && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'));
            if ok {
                Ok(v.to_string())
            } else {
                Err(invalid(format!("not a time zone name such as Asia/Shanghai: {value:?}")))
            }
        }
        SettingType::Terms => {
            let terms: Vec<&str> = value.split([',', '，']).map(str::trim).filter(|t| !t.is_empty()).collect();
            Ok(terms.join(","))
        }
        SettingType::Choice(words) => {
            let v = value.trim();
            words
                .iter()
                .find(|w| **w == v)
                .map(|w| w.to_string())
                .ok_or_else(|| invalid(format!("{v:?} is not one of {}", words.join(", "))))
        }
        SettingType::Decimal { min_milli, max_milli } => {
            let v: f64 = value
                .trim()
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| invalid(format!("not a number: {value:?}")))?;
            let (lo, hi) = (min_milli as f64 / 1000.0, max_milli as f64 / 1000.0);
            if v < lo || v > hi {
                return Err(invalid(format!("{v} is outside {lo}..={hi}")));
            }
            Ok(v.to_string())
        }
        SettingType::Yuan => crate::Money::parse_yuan(value.trim())
            .ok()
            .filter(|m| !m.fen().is_negative())
            .map(|m| m.to_string())
            .ok_or_else(|| invalid(format!("not an amount of yuan: {value:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_values_checked() {
        for s in all() {
            assert_eq!(validate(s.key, s.default).as_deref(), Ok(s.default), "{}", s.key);
        }
        assert!(matches!(validate("nope", "1"), Err(SettingError::Unknown(_))));
        assert!(matches!(validate("import.errors_max", "0"), Err(SettingError::Invalid { .. })));
        assert_eq!(validate("import.errors_max", " 7 "), Ok("7".to_string()));
        assert_eq!(validate("rules.over_budget.levels", "5， 15,25"), Ok("5,15,25".to_string()));
        assert!(validate("rules.over_budget.levels", "15,5,25").is_err());
        assert!(validate("rules.stagnant.levels", "0,4,6").is_err());
        assert_eq!(validate("rules.split_purchase.limit", "30000"), Ok("30000.00".to_string()));
        assert!(validate("rules.split_purchase.limit", "-1").is_err());
        assert_eq!(validate("rules.out_of_scope.terms", "烟酒， 礼品,,"), Ok("烟酒,礼品".to_string()));
        assert_eq!(validate("rules.split_purchase.handling", " intercept "), Ok("intercept".to_string()));
        assert!(validate("rules.split_purchase.handling", "block").is_err());
        assert_eq!(validate("rules.stagnant.firing", "payment"), Ok("payment".to_string()));
        assert!(validate("rules.revenue_shortfall.firing", "payment").is_err(), "measured on revenue");
        assert_eq!(spec("rules.over_budget.owner").map(|s| s.default), Some("system"));
    }

    #[test]
    fn rule_settings_may_be_scoped_to_a_year() {
        assert_eq!(split_year("rules.over_budget.levels@2027"), ("rules.over_budget.levels", Some(2027)));
        assert_eq!(validate("rules.over_budget.levels@2027", "5,15,25"), Ok("5,15,25".to_string()));
        assert!(validate("rules.over_budget.levels@2027", "5,1,25").is_err());
        // Only rule settings have years; a malformed year is no year.
        assert_eq!(split_year("import.errors_max@2027"), ("import.errors_max@2027", None));
        assert!(validate("import.errors_max@2027", "5").is_err());
        assert!(validate("rules.over_budget.levels@27", "5,15,25").is_err());
        // Every rule has its three policies.
        assert_eq!(RULE_POLICIES.len(), 36);
    }
}
