//! `budgetwatch audit` as analysts call it.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)] // tests fail by panicking

mod common;

use common::*;

#[test]
fn dbscan_labels_the_points_of_a_csv_one_per_line() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("a.db");
    let file = dir.path().join("points.csv");
    let mut body = String::from("x,y\n1.0,0.05\n");
    for (x, y) in [(2.0, 0.0), (2.0, 0.1), (1.9, 0.0), (1.9, 0.1), (1.95, 0.05), (2.0, 0.05)] {
        body.push_str(&format!("{x},{y}\n"));
    }
    for (x, y) in [(0.0, 0.0), (0.0, 0.1), (0.1, 0.0), (0.1, 0.1), (0.05, 0.05), (0.0, 0.05)] {
        body.push_str(&format!("{x},{y}\n"));
    }
    body.push_str("10,10\n");
    std::fs::write(&file, body).unwrap();
    let o = bw(&db, &["audit", "dbscan", "--eps", "0.92", "--min-samples", "6", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let labels: Vec<&str> = out.lines().collect();
    assert_eq!(labels, ["0", "0", "0", "0", "0", "0", "0", "1", "1", "1", "1", "1", "1", "-1"]);

    std::fs::write(&file, "x,y\n1,2\n3,abc\n").unwrap();
    let o = bw(&db, &["audit", "dbscan", "--eps", "1", "--min-samples", "2", file.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("points.csv:3: column y: not a number: \"abc\""), "{}", stderr(&o));
}

/// The demo province with 20,000 payments: every audit test finds what was injected for it,
/// the contract's JSON shapes hold, and what `audit` writes is rebuilt by `verify`.
#[test]
fn the_audit_finds_the_demo_anomalies() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("a.db");
    let data = dir.path().join("data");
    let o = bw(&db, &["demo", "--data", data.to_str().unwrap(), "--payments", "20000", "--no-serve"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let truth = data.join("ground_truth.json");

    let o = bw(&db, &["audit", "evaluate", "--truth", truth.to_str().unwrap(), "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let scores: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let tests: Vec<&str> = bw_audit::TESTS.iter().map(|t| t.0).collect();
    let mut audited = 0;
    for k in scores.as_array().expect("array") {
        let test = k["test"].as_str().unwrap();
        if !tests.contains(&test) {
            continue;
        }
        audited += 1;
        assert_eq!(k["recall"], 1.0, "{k}");
        assert!(k["precision"].as_f64().unwrap() >= 0.95, "{k}");
    }
    assert!(audited >= 15, "{scores}");

    let o = bw(&db, &["audit", "--as-of", "2025-12-31", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let findings: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let findings = findings.as_array().expect("array");
    assert!(!findings.is_empty());
    for f in findings {
        for key in ["test", "unit_code", "vouchers", "evidence", "score_impact"] {
            assert!(f.get(key).is_some(), "{key} missing in {f}");
        }
    }
    let related = findings.iter().find(|f| f["test"] == "related_party").expect("a related party");
    assert!(related["score_impact"].as_f64().unwrap() >= 10.0, "{related}");

    let o = bw(&db, &["audit", "benford", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let b: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let n = b["first_digit"]["n"].as_u64().unwrap();
    assert!(n > 10_000, "{b}");
    for (key, digits) in [("first_digit", 9), ("first_two", 90), ("second_digit", 10)] {
        let t = &b[key];
        assert_eq!(t["n"].as_u64(), Some(n), "one N for every test");
        for field in ["mad", "conformity", "chi_square", "p_value"] {
            assert!(t.get(field).is_some(), "{key}.{field}");
        }
        let ds = t["digits"].as_array().unwrap();
        assert_eq!(ds.len(), digits);
        let counted: u64 = ds.iter().map(|d| d["count"].as_u64().unwrap()).sum();
        assert_eq!(counted, n);
        for field in ["digit", "count", "observed", "expected", "z"] {
            assert!(ds[0].get(field).is_some(), "{key}.digits.{field}");
        }
    }

    let o = bw(&db, &["audit", "scores", "--as-of", "2025-12-31", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ranking: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let ranking = ranking.as_array().unwrap();
    let scores: Vec<f64> = ranking.iter().map(|u| u["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] <= w[1]), "worst first");
    assert_eq!(ranking[0]["rank"], 1);
    assert!(ranking.iter().all(|u| u["special_audit"] == (u["score"].as_f64().unwrap() < 60.0)));

    // The staff register and the special audits are rebuilt from the journal.
    let o = bw(&db, &["verify"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn a_bad_staff_row_is_named() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("a.db");
    let units = dir.path().join("units.csv");
    std::fs::write(
        &units,
        "code,name,parent_code,kind,level\nR,省,,region,province\nD,厅,R,department,\nU,单位,D,unit,\n",
    )
    .unwrap();
    let o = bw(&db, &["import", "units", units.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let staff = dir.path().join("staff.csv");
    std::fs::write(
        &staff,
        "unit_code,name,id_hash,bank_account,phone\nU,张伟,h1,6222 0000,13800001111\nU,李娜,h2,,138-abc\n",
    )
    .unwrap();
    let o = bw(&db, &["import", "staff", staff.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("staff.csv") && err.contains('3') && err.contains("phone"), "{err}");
    let o = bw(&db, &["status"]);
    assert!(o.status.success());
}
