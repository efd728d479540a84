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
    let o = bw(&db, &["demo", "--data", data.to_str().unwrap(), "--payments", "20000", "--no-serve", "--no-scene"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let truth = data.join("ground_truth.json");

    let o = bw(&db, &["audit", "evaluate", "--truth", truth.to_str().unwrap(), "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let scores: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    // Every monitoring rule and audit test is scored, whether the truth lists it or not; what
    // the generator plants is found, and what is found was planted.
    let rules: Vec<&str> = bw_rules::Rule::ALL.iter().map(|r| r.id()).collect();
    let tests: Vec<&str> = bw_audit::TESTS.iter().map(|t| t.0).collect();
    let listed: Vec<&str> = scores.as_array().expect("array").iter().map(|k| k["test"].as_str().unwrap()).collect();
    assert!(rules.iter().chain(&tests).all(|k| listed.contains(k)), "{listed:?}");
    let mut audited = 0;
    for k in scores.as_array().expect("array") {
        if k["truth"] == 0 && k["found"] == 0 {
            continue;
        }
        audited += 1;
        assert_eq!(k["recall"], 1.0, "{k}");
        assert!(k["precision"].as_f64().unwrap() >= 0.95, "{k}");
    }
    assert!(audited >= 25, "{scores}");

    let scores_json = |db: &std::path::Path| {
        let o = bw(db, &["audit", "scores", "--as-of", "2025-12-31", "--format", "json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str::<serde_json::Value>(&stdout(&o)).expect("json")
    };
    let o = bw(&db, &["check", "--as-of", "2025-12-31"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let scores_before = scores_json(&db);

    let o = bw(&db, &["audit", "--as-of", "2025-12-31", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("(0 new in the warnings inbox"), "{}", stderr(&o));
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

    // The findings join the warnings in one inbox, each with its deadlines and loop.
    let inbox = |db: &std::path::Path| {
        let o = bw(db, &["warning", "list", "--year", "2025", "--format", "json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let all: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
        all.as_array().unwrap().iter().filter(|w| w["rule"] == "related_party").cloned().collect::<Vec<_>>()
    };
    let listed = inbox(&db);
    let related_found = findings.iter().filter(|f| f["test"] == "related_party").count();
    assert_eq!(listed.len(), related_found, "{listed:?}");
    let w = listed.iter().find(|w| w["vouchers"] == related["vouchers"]).expect("the related party in the inbox");
    assert_eq!(w["unit_code"], related["unit_code"]);
    assert!(["yellow", "orange"].contains(&w["level"].as_str().unwrap()), "{w}");
    assert_eq!(w["state"], "open");
    assert!(w["explain_by"].as_str().unwrap() > "2025-12-31", "{w}");
    assert!(w["suggestion"].as_str().unwrap().contains("关联交易"), "{w}");
    let related_id = w["id"].as_i64().unwrap();

    // Auditing again changes nothing; a rules check does not withdraw the audit's warnings,
    // and the risk score counts each finding once.
    let o = bw(&db, &["audit", "--as-of", "2025-12-31", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("(0 new in the warnings inbox, 0 updated, 0 withdrawn)"), "{}", stderr(&o));
    let o = bw(&db, &["check", "--as-of", "2025-12-31"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(inbox(&db), listed);
    assert_eq!(scores_json(&db), scores_before);

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

    // Erasing the staff member behind a related party (a lawful request) ends the match: the
    // next audit no longer finds it and withdraws its untouched warning.
    let staff_name = related["evidence"]["staff_name"].as_str().unwrap();
    let staff_unit = related["evidence"]["staff_unit"].as_str().unwrap();
    let register = std::fs::read_to_string(data.join("staff.csv")).unwrap();
    let header: Vec<&str> = register.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let id_hash = register
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|r| r[col("name")] == staff_name && r[col("unit_code")] == staff_unit)
        .map(|r| r[col("id_hash")].to_string())
        .expect("the staff member in the register");
    let o = bw(&db, &["ledger", "redact", "--unit", staff_unit, "--staff", &id_hash]);
    assert!(!o.status.success() && stderr(&o).contains("needs a reason"), "{}", stderr(&o));
    let o = bw(&db, &["--reason", "离职人员依申请删除", "ledger", "redact", "--unit", staff_unit, "--staff", &id_hash]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = bw(&db, &["--reason", "again", "ledger", "redact", "--unit", staff_unit, "--staff", &id_hash]);
    assert!(!o.status.success() && stderr(&o).contains("already erased"), "{}", stderr(&o));
    let o = bw(&db, &["audit", "--as-of", "2025-12-31", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let again: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert!(
        !again
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["test"] == "related_party" && f["evidence"]["staff_name"] == staff_name),
        "the erased person is matched no more"
    );
    assert!(!inbox(&db).iter().any(|w| w["id"] == related_id), "the inbox lists it no more");
    let o = bw(&db, &["warning", "show", &related_id.to_string()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let w: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(w["state"], "withdrawn", "{w}");

    // The staff register (with the erasure), the audit's warnings and the special audits are
    // rebuilt from the journal.
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

/// `audit file`: the payment tests over a payments file, no database; a bad cell is named.
#[test]
fn audit_file_runs_the_named_tests_over_a_payments_csv() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("unused.db");
    let file = dir.path().join("payments.csv");
    let units = dir.path().join("units.csv");
    std::fs::write(&units, "code,name,parent_code,kind,level\nR,省,,region,province\nD,厅,R,department,\nU1,甲,D,unit,\nU2,乙,D,unit,\nU3,丙,D,unit,\n").unwrap();
    let header = "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary,invoice_no,contract_no\n";
    let mut body = String::from(header);
    // The same invoice twice; three units of one department buying just below the limit from
    // one firm within 30 days; a quoted summary with a comma and a line break.
    body.push_str("V1,2025-03-01,U1,I1,30201,甲公司,6222001,company,1000.00,\"办公用品,\n纸张\",FP-1,\n");
    body.push_str("V2,2025-03-09,U1,I1,30201,甲公司,6222001,company,1000.00,办公用品,FP-1,\n");
    body.push_str("S1,2025-05-01,U1,I1,30201,乙有限公司,6222002,company,46000.00,办公用品,FP-2,\n");
    body.push_str("S2,2025-05-08,U2,I2,30201,乙公司,6222002,company,47000.00,办公用品,FP-3,\n");
    body.push_str("S3,2025-05-20,U3,I3,30201,乙有限公司,6222002,company,48000.00,办公用品,FP-4,\n");
    std::fs::write(&file, &body).unwrap();
    let (f, u) = (file.to_str().unwrap(), units.to_str().unwrap());
    let o = bw(
        &db,
        &["audit", "file", f, "--units", u, "--tests", "duplicate_exact,split_purchase_year", "--format", "json"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let found: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let got: Vec<(String, Vec<String>)> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let vs = f["vouchers"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
            (f["test"].as_str().unwrap().to_string(), vs)
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("duplicate_exact".to_string(), vec!["V1".to_string(), "V2".to_string()]),
            ("split_purchase_year".to_string(), vec!["S1".to_string(), "S2".to_string(), "S3".to_string()]),
        ]
    );
    assert!(!db.exists(), "no database is made");
    // Without the units file each unit is its own department: no year-wide split.
    let o = bw(&db, &["audit", "file", f, "--tests", "split_purchase_year", "--format", "json"]);
    assert_eq!(stdout(&o).trim(), "[]", "{}", stderr(&o));

    let o = bw(&db, &["audit", "file", f, "--tests", "no_such_test"]);
    assert!(!o.status.success() && stderr(&o).contains("unknown test \"no_such_test\""), "{}", stderr(&o));
    body.push_str("B1,2025-13-01,U1,I1,30201,丙公司,6222003,company,10.00,x,,\n");
    std::fs::write(&file, &body).unwrap();
    let o = bw(&db, &["audit", "file", f]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("payments.csv:7: column pay_date"), "{}", stderr(&o));
}
