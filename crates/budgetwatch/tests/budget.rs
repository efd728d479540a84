//! Budget preparation and approval through the command line on the demo province: a cycle
//! opened and advanced, a draft saved in two versions and compared, submitted, decided by the
//! demo's approvers with their own signing keys, and executed as indicators.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{bw, bw_env, stderr, stdout};

#[test]
fn a_year_prepared_and_approved_from_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    let (db, data) = (dir.path().join("demo.db"), dir.path().join("data"));
    let o = bw(&db, &["demo", "--no-serve", "--payments", "2000", "--data", data.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ok = |args: &[&str]| {
        let o = bw(&db, args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        stdout(&o)
    };
    ok(&["budget", "open", "--year", "2027", "--mode", "bottom_up"]);
    let o = bw(&db, &["budget", "advance", "--year", "2027", "--to", "review"]);
    assert!(!o.status.success() && stderr(&o).contains("the next stage is preparation"), "{}", stderr(&o));
    ok(&["budget", "advance", "--year", "2027", "--to", "preparation"]);

    let unit = "990000001001";
    let draft = dir.path().join("draft.csv");
    std::fs::write(&draft, "indicator_code,project_code,functional_code,economic_code,amount\nZB2027A,,2050101,30101,800000.00\nZB2027B,,2050101,30201,60000.00\n").unwrap();
    assert!(
        ok(&["budget", "draft", "--year", "2027", "--unit", unit, draft.to_str().unwrap(), "--note", "初稿"])
            .contains("draft 1")
    );
    std::fs::write(&draft, "indicator_code,project_code,functional_code,economic_code,amount\nZB2027A,,2050101,30101,750000.00\nZB2027C,,2050101,30211,20000.00\n").unwrap();
    assert!(
        ok(&["budget", "draft", "--year", "2027", "--unit", unit, draft.to_str().unwrap(), "--note", "压减"])
            .contains("draft 2")
    );
    let diff: serde_json::Value = serde_json::from_str(&ok(&[
        "budget", "diff", "--year", "2027", "--unit", unit, "--from", "1", "--to", "2", "--format", "json",
    ]))
    .unwrap();
    let kinds: Vec<&str> = diff["changes"].as_array().unwrap().iter().map(|c| c["change"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["changed", "removed", "added"], "{diff}");
    assert_eq!(diff["note"], "压减");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "indicator_code,project_code,functional_code,economic_code,amount\nX,,2050101,30101,12.345\n")
        .unwrap();
    let o = bw(&db, &["budget", "draft", "--year", "2027", "--unit", unit, bad.to_str().unwrap()]);
    assert!(!o.status.success() && stderr(&o).contains("bad.csv:2: column amount"), "{}", stderr(&o));

    let submitted = ok(&["budget", "submit", "--year", "2027", "--unit", unit]);
    assert!(submitted.contains("route standard"), "{submitted}");
    let item = submitted.split_whitespace().nth(1).unwrap().trim_end_matches(':').to_string();
    for user in ["unit-head", "department-reviewer", "bureau-reviewer", "bureau-head", "admin"] {
        let o = bw_env(&db, &["approval", "key", "--user", user], "BUDGETWATCH_PASSWORD", "a signing password");
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let decide = |user: &str, step: &str| {
        bw_env(
            &db,
            &["budget", "decide", &item, "--user", user, "--step", step, "--decision", "approve"],
            "BUDGETWATCH_PASSWORD",
            "a signing password",
        )
    };
    // The administrator approves no budget; a wrong password signs nothing.
    let o = decide("admin", "unit_head");
    assert!(!o.status.success() && stderr(&o).contains("needs the role unit_head"), "{}", stderr(&o));
    let o = bw_env(
        &db,
        &["budget", "decide", &item, "--user", "unit-head", "--step", "unit_head", "--decision", "approve"],
        "BUDGETWATCH_PASSWORD",
        "wrong",
    );
    assert!(!o.status.success() && stderr(&o).contains("wrong password"), "{}", stderr(&o));
    for (user, step) in [
        ("unit-head", "unit_head"),
        ("department-reviewer", "technical_review"),
        ("bureau-reviewer", "budget_review"),
        ("bureau-head", "finance_head"),
    ] {
        let o = decide(user, step);
        assert!(o.status.success(), "{user}: {}", stderr(&o));
    }
    let show: serde_json::Value =
        serde_json::from_str(&ok(&["budget", "show", "--year", "2027", "--format", "json"])).unwrap();
    assert_eq!(show["items"][0]["state"], "approved", "{show}");
    for stage in ["consolidation", "review", "approval"] {
        ok(&["budget", "advance", "--year", "2027", "--to", stage]);
    }
    assert!(ok(&["budget", "advance", "--year", "2027", "--to", "execution"]).contains("2 indicators imported"));
    let o = bw(&db, &["verify"]);
    assert!(o.status.success(), "{}", stdout(&o));
}
