//! The risk register from the command line: every change journaled, the matrix re-levelling
//! every risk in one step, acceptance by another person, and `verify` rebuilding the
//! register (a changed row is named).

mod common;
use common::*;

#[test]
fn the_register_is_journaled_relevelled_and_rebuilt_by_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("risks.db");
    assert!(bw(&db, &["init"]).status.success());
    let ok = |args: &[&str]| {
        let o = bw(&db, args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        stdout(&o)
    };
    let first = ok(&[
        "risk",
        "add",
        "--title",
        "土地出让收入下滑",
        "--category",
        "revenue",
        "--scope",
        "region:990100",
        "--owner",
        "张三",
        "--cause",
        "房地产市场下行",
        "--event",
        "收入完成低于进度",
        "--consequence",
        "保障压力",
        "--inherent",
        "4,4",
        "--current",
        "3,4",
    ]);
    let id: String = first.trim().trim_start_matches("risk ").trim_end_matches(": added").to_string();
    let second = ok(&[
        "risk",
        "add",
        "--title",
        "专项资金闲置",
        "--category",
        "支出风险",
        "--scope",
        "unit:990000001001",
        "--owner",
        "李四",
        "--event",
        "资金沉淀",
        "--inherent",
        "2,2",
    ]);
    let id2: String = second.trim().trim_start_matches("risk ").trim_end_matches(": added").to_string();
    let list: serde_json::Value = serde_json::from_str(&ok(&["risk", "list", "--format", "json"])).expect("json");
    assert_eq!(list[0]["level"], "high", "3×4 = 12: high, listed first");
    assert_eq!(list[1]["level"], "low", "2×2 = 4: low");
    assert!(list[0]["review_due"].is_string() && list[0]["overdue_workdays"] == 0);
    // A stricter matrix re-levels both in one journaled step.
    ok(&["risk", "matrix", "--cells", "LMMMM/MMMMH/MMHHH/MHHHH/HHHHH", "--review-days", "20,60,120"]);
    let list: serde_json::Value = serde_json::from_str(&ok(&["risk", "list", "--format", "json"])).expect("json");
    assert_eq!((list[0]["level"].as_str(), list[1]["level"].as_str()), (Some("high"), Some("medium")));
    let heat: serde_json::Value = serde_json::from_str(&ok(&["risk", "heatmap", "--format", "json"])).expect("json");
    let cell = |l: u64, i: u64| {
        heat.as_array().and_then(|c| c.iter().find(|x| x["likelihood"] == l && x["impact"] == i)).cloned()
    };
    assert_eq!(cell(3, 4).map(|c| c["count"].clone()), Some(1.into()));
    assert_eq!(cell(2, 2).map(|c| (c["count"].clone(), c["level"].clone())), Some((1.into(), "medium".into())));
    // Acceptance: only of a risk treated by acceptance, by someone other than its owner.
    let refused = bw(&db, &["risk", "accept", &id2, "--approver", "王五", "--until", "2099-12-31"]);
    assert!(
        !refused.status.success() && stderr(&refused).contains("not treated by acceptance"),
        "{}",
        stderr(&refused)
    );
    ok(&["risk", "treat", &id2, "--treatment", "accept"]);
    let own = bw(&db, &["risk", "accept", &id2, "--approver", "李四", "--until", "2099-12-31"]);
    assert!(!own.status.success() && stderr(&own).contains("owns risk"), "{}", stderr(&own));
    ok(&["risk", "accept", &id2, "--approver", "王五", "--until", "2099-12-31"]);
    ok(&["risk", "treat", &id, "--treatment", "reduce", "--response", "压减非急需支出|预算科|2099-06-30"]);
    ok(&["risk", "assess", &id, "--current", "2,4", "--evidence", "收入完成率回升至 95%"]);
    ok(&["risk", "review", &id, "--note", "季度复核"]);
    let shown: serde_json::Value = serde_json::from_str(&ok(&["risk", "show", &id, "--format", "json"])).expect("json");
    assert_eq!(shown["current"], serde_json::json!({"likelihood": 2, "impact": 4}));
    assert_eq!(shown["treatment"], "reduce");
    assert_eq!(shown["history"].as_array().map(Vec::len), Some(4), "added, treated, assessed, reviewed");
    assert!(shown["materialised"].is_null());
    let bad = bw(&db, &["risk", "assess", &id, "--current", "6,1", "--evidence", "x"]);
    assert!(!bad.status.success() && stderr(&bad).contains("1 to 5"), "{}", stderr(&bad));
    // The event happens: recorded once, and an emergency case opened with it.
    ok(&["risk", "materialise", &id, "--note", "土地出让收入同比下降 40%"]);
    let again = bw(&db, &["risk", "materialise", &id, "--note", "again"]);
    assert!(!again.status.success() && stderr(&again).contains("already happened"), "{}", stderr(&again));
    let cases = ok(&["emergency", "list", "--format", "json"]);
    assert!(cases.contains("风险事件发生：土地出让收入下滑"), "{cases}");
    // verify replays the actions into the same register.
    let v = bw(&db, &["verify"]);
    assert!(v.status.success(), "{}{}", stdout(&v), stderr(&v));
    // A risk's document changed in the database is named.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store = bw_store::Store::open(db.to_str().expect("path"), false).await.expect("open");
        bw_store::sqlx::query("UPDATE risk_register SET doc = REPLACE(doc, '\"medium\"', '\"low\"') WHERE id >= 0")
            .execute(store.pool())
            .await
            .expect("update");
    });
    let v = bw(&db, &["verify"]);
    assert_eq!(v.status.code(), Some(1), "{}", stdout(&v));
    assert!(stdout(&v).contains("risk_register"), "{}", stdout(&v));
}

#[test]
fn a_check_raises_a_risks_likelihood_when_its_scope_has_open_red_warnings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("kri.db");
    assert!(bw(&db, &["init"]).status.success());
    let o = bw(
        &db,
        &[
            "risk",
            "add",
            "--title",
            "区域债务风险",
            "--category",
            "external",
            "--scope",
            "region:990100",
            "--owner",
            "张三",
            "--event",
            "偿债压力上升",
            "--inherent",
            "2,3",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let id = stdout(&o).trim().trim_start_matches("risk ").trim_end_matches(": added").to_string();
    // A red warning on the region awaiting its rectification (written straight into the
    // table, as a warning someone acted on: no check withdraws it).
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store = bw_store::Store::open(db.to_str().expect("path"), false).await.expect("open");
        bw_store::sqlx::query(
            "INSERT INTO warnings (id, wkey, year, rule, level, unit_code, indicator_code, region_code, revenue_code, period, \
             vouchers, evidence, raised_on, explain_by, plan_by, state, journal_idx) \
             VALUES (9999, 'k', 2026, 'revenue_shortfall', 'red', NULL, NULL, '990100', NULL, '2026-06', '[]', '{}', \
             '2026-06-30', '2026-07-07', '2026-07-14', 'rectification_required', 0)",
        )
        .execute(store.pool())
        .await
        .expect("insert");
    });
    let check = bw(&db, &["check", "--as-of", "2026-06-30", "--format", "json"]);
    assert!(check.status.success(), "{}", stderr(&check));
    let shown: serde_json::Value =
        serde_json::from_str(&stdout(&bw(&db, &["risk", "show", &id, "--format", "json"]))).expect("json");
    assert_eq!(shown["current"], serde_json::json!({"likelihood": 4, "impact": 3}), "{shown}");
    assert_eq!(shown["level"], "high");
    let last = shown["history"].as_array().and_then(|h| h.last()).expect("history");
    assert!(last["what"].as_str().unwrap_or("").contains("红色预警 1 条"), "{last}");
    // Raised once: the next check finds the likelihood already there.
    assert!(bw(&db, &["check", "--as-of", "2026-06-30"]).status.success());
    let again: serde_json::Value =
        serde_json::from_str(&stdout(&bw(&db, &["risk", "show", &id, "--format", "json"]))).expect("json");
    assert_eq!(again["history"].as_array().map(Vec::len), shown["history"].as_array().map(Vec::len));
}

#[test]
fn proposals_of_the_key_risk_indicators_are_adopted_or_rejected_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("demo.db");
    let data = dir.path().join("data");
    let o = bw(&db, &["demo", "--no-serve", "--payments", "3000", "--data", data.to_str().expect("path")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = bw(&db, &["risk", "proposals", "--format", "json"]);
    let proposals: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let open: Vec<&serde_json::Value> =
        proposals.as_array().expect("array").iter().filter(|p| p["state"] == "open").collect();
    assert!(open.len() >= 2, "the scene's check proposed risks: {proposals}");
    let (a, b) = (open[0]["id"].to_string(), open[1]["id"].to_string());
    let o = bw(&db, &["risk", "adopt", &a, "--owner", "预算科", "--impact", "3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let risk = stdout(&o).trim().rsplit(' ').next().unwrap_or("").to_string();
    let shown: serde_json::Value =
        serde_json::from_slice(&bw(&db, &["risk", "show", &risk, "--format", "json"]).stdout).expect("json");
    assert_eq!(
        (shown["owner"].as_str(), shown["title"].as_str()),
        (Some("预算科"), open[0]["title"].as_str()),
        "{shown}"
    );
    let again = bw(&db, &["risk", "adopt", &a, "--owner", "预算科", "--impact", "3"]);
    assert!(!again.status.success() && stderr(&again).contains("risk_proposal_decided"), "{}", stderr(&again));
    let o = bw(&db, &["risk", "reject", &b, "--note", "已由主管部门统一管理"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = bw(&db, &["verify"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
}
