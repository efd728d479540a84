//! `budgetwatch check` and `warning` as scripts call them.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)] // tests fail by panicking

mod common;

use common::*;

#[test]
fn check_prints_the_open_warnings_as_json_with_the_contracts_fields() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("m.db");
    let data = dir.path().join("data");
    assert!(bw(&db, &["demo", "--no-serve", "--payments", "3000", "--data", data.to_str().unwrap()]).status.success());
    let o = bw(&db, &["check", "--as-of", "2025-12-31", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let warnings: Vec<serde_json::Value> = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(!warnings.is_empty());
    for w in &warnings {
        for field in [
            "rule",
            "level",
            "unit_code",
            "indicator_code",
            "region_code",
            "revenue_code",
            "period",
            "vouchers",
            "evidence",
            "raised_on",
            "explain_by",
            "plan_by",
            "state",
        ] {
            assert!(w.get(field).is_some(), "{field} missing in {w}");
        }
        assert!(["blue", "yellow", "orange", "red"].contains(&w["level"].as_str().unwrap()));
        let vouchers: Vec<&str> = w["vouchers"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        let mut sorted = vouchers.clone();
        sorted.sort();
        assert_eq!(vouchers, sorted);
        assert_eq!(w["raised_on"], "2025-12-31");
        assert_eq!(w["explain_by"], "2026-01-05", "two working days after New Year's Eve, over the holiday");
        let revenue = w["rule"] == "revenue_shortfall";
        assert_eq!(w["region_code"].is_null(), !revenue, "{w}");
        assert_eq!(w["unit_code"].is_null(), revenue, "{w}");
    }
    // The demo's injected revenue shortfall and personal transfers are among them.
    let rules: Vec<&str> = warnings.iter().map(|w| w["rule"].as_str().unwrap()).collect();
    for r in ["revenue_shortfall", "personal_account", "out_of_scope", "over_budget", "year_end_rush"] {
        assert!(rules.contains(&r), "{r} not raised");
    }
    let again = bw(&db, &["check", "--as-of", "2025-12-31", "--format", "json"]);
    assert!(stderr(&again).contains(": 0 raised, 0 updated,"), "{}", stderr(&again));
    assert_eq!(stdout(&again), stdout(&o));
    let listed = bw(&db, &["warning", "list", "--year", "2025", "--format", "json"]);
    assert_eq!(stdout(&listed), stdout(&o));
    let id = warnings[0]["id"].as_i64().unwrap().to_string();
    let shown: serde_json::Value = serde_json::from_str(&stdout(&bw(&db, &["warning", "show", &id]))).unwrap();
    assert_eq!(shown, warnings[0]);
    assert!(bw(&db, &["verify"]).status.success());
    let o = bw(&db, &["check", "--as-of", "2025-02-30"]);
    assert!(!o.status.success() && stderr(&o).contains("no such date"), "{}", stderr(&o));
}
