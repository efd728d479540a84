//! Post-incident reviews and the case knowledge base from the command line: the demo's planted
//! repeats found with precision and recall 1.0 and its planted similar case among the first
//! five a search returns; a review's improvement plan accepted only 3 to 6 months after its
//! approval, by the audit role, with its criteria computed; `verify` rebuilds the reviews.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests fail by panicking

mod common;
use common::*;
use std::collections::BTreeSet;

fn ok(o: &std::process::Output) -> String {
    assert!(o.status.success(), "{}{}", stdout(o), stderr(o));
    stdout(o)
}

#[test]
fn the_demo_repeats_are_found_exactly_and_its_similar_case_ranks_in_the_first_five() {
    let dir = tempfile::tempdir().expect("dir");
    let (db, data) = (dir.path().join("demo.db"), dir.path().join("data"));
    ok(&bw(&db, &["demo", "--no-serve", "--no-scene", "--payments", "3000", "--data", data.to_str().unwrap()]));
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("ground_truth.json")).unwrap()).unwrap();
    let planted: BTreeSet<(String, String)> = truth["cases"]["repeats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_str().unwrap().to_string()))
        .collect();
    let found: serde_json::Value =
        serde_json::from_str(&ok(&bw(&db, &["case", "repeats", "--format", "json"]))).unwrap();
    let found: BTreeSet<(String, String)> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["case_reference"].as_str().unwrap_or("").to_string(),
                r["earlier_reference"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let hits = found.intersection(&planted).count();
    let (precision, recall) = (hits as f64 / found.len() as f64, hits as f64 / planted.len() as f64);
    assert_eq!((precision, recall), (1.0, 1.0), "found {found:?}, planted {planted:?}");
    for s in truth["cases"]["similar"].as_array().unwrap() {
        let q = s["query"].as_str().unwrap();
        let out: serde_json::Value =
            serde_json::from_str(&ok(&bw(&db, &["case", "search", q, "--limit", "5", "--format", "json"]))).unwrap();
        let refs: Vec<&str> = out.as_array().unwrap().iter().filter_map(|c| c["reference"].as_str()).collect();
        for want in s["expected"].as_array().unwrap() {
            assert!(refs.contains(&want.as_str().unwrap()), "{want} not in the first five for {q}: {refs:?}");
        }
    }
    // A repeat counts in its unit's risk score.
    let scores = ok(&bw(&db, &["audit", "scores", "--format", "json"]));
    assert!(scores.contains("rule:repeat_cause"), "{scores}");
}

#[test]
fn an_improvement_plan_is_accepted_by_the_audit_role_three_to_six_months_after_its_approval() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("r.db");
    let units = dir.path().join("units.csv");
    std::fs::write(
        &units,
        "code,name,parent_code,kind,level\nR,省,,region,province\nD,厅,R,department,\nU,单位,D,unit,\n",
    )
    .unwrap();
    ok(&bw(&db, &["import", "units", units.to_str().unwrap()]));
    for (user, role) in [("audit", "audit_discipline"), ("fin", "department_reviewer")] {
        ok(&bw_env(&db, &["user", "add", user], "BUDGETWATCH_PASSWORD", "a long login password"));
        ok(&bw(&db, &["user", "grant", user, role]));
    }
    let out = ok(&bw(&db, &["review", "open", "--unit", "U", "--title", "会议费超支复盘", "--on", "2026-01-10"]));
    let id = out.split_whitespace().nth(1).unwrap().to_string();
    let plan = dir.path().join("plan.json");
    std::fs::write(
        &plan,
        r#"[{"number": 1, "text": "会议费按计划列支", "owner": "unit-head", "due": "2026-03-31",
             "criterion": {"rule": "over_budget", "min_level": "orange", "unit_code": "U", "from": "2026-02-01", "to": "2026-06-30"}}]"#,
    )
    .unwrap();
    let o = bw(&db, &["review", "plan", &id, "--file", plan.to_str().unwrap()]);
    assert!(!o.status.success() && stderr(&o).contains("review_field_empty"), "causes first: {}", stderr(&o));
    ok(&bw(
        &db,
        &[
            "review",
            "record",
            &id,
            "--happened",
            "会议费超预算18%",
            "--causes",
            "overspending;预算编制不实",
            "--lessons",
            "年初编报会议计划",
        ],
    ));
    ok(&bw(&db, &["review", "plan", &id, "--file", plan.to_str().unwrap()]));
    let out = ok(&bw(&db, &["review", "approve", &id, "--on", "2026-01-31"]));
    assert!(out.contains("from 2026-04-30 to 2026-07-31"), "{out}");
    let o = bw(&db, &["review", "accept", &id, "--user", "audit", "--on", "2026-04-29"]);
    assert!(!o.status.success() && stderr(&o).contains("acceptance_outside_window"), "{}", stderr(&o));
    let o = bw(&db, &["review", "accept", &id, "--user", "audit", "--on", "2026-08-01"]);
    assert!(!o.status.success() && stderr(&o).contains("acceptance_outside_window"), "{}", stderr(&o));
    let o = bw(&db, &["review", "accept", &id, "--user", "fin", "--on", "2026-04-30"]);
    assert!(!o.status.success() && stderr(&o).contains("audit_discipline"), "{}", stderr(&o));
    let out = ok(&bw(&db, &["review", "accept", &id, "--user", "audit", "--on", "2026-04-30"]));
    assert!(out.contains("accepted") && out.contains("item 1: 0 warnings"), "{out}");
    ok(&bw(&db, &["review", "close", &id, "--on", "2026-05-01"]));
    let shown: serde_json::Value = serde_json::from_str(&ok(&bw(&db, &["review", "show", &id]))).unwrap();
    assert_eq!(shown["state"], "closed");
    assert_eq!(shown["acceptances"][0]["by"], "audit");
    // A closed review is a case, found by its words.
    let found = ok(&bw(&db, &["case", "search", "会议费超支"]));
    assert!(found.contains(&format!("review:{id}")), "{found}");
    let o = bw(&db, &["verify"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
}
