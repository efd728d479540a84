//! Meetings from the command line: the demo's December analysis meeting's agenda pack against
//! its golden file of counts and lists; a meeting's life — required roles, the pack, minutes
//! with every item's outcome, the chair's signature, the action items followed to closure —
//! and a collective decision's quorum; `verify` rebuilds it all and names a changed row.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests fail by panicking

mod common;
use common::*;
use std::path::Path;

fn ok(o: &std::process::Output) -> String {
    assert!(o.status.success(), "{}{}", stdout(o), stderr(o));
    stdout(o)
}

fn json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_str(&ok(o)).expect("json")
}

fn demo(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("demo.db");
    let data = dir.join("data");
    ok(&bw(&db, &["demo", "--no-serve", "--payments", "20000", "--data", data.to_str().unwrap()]));
    db
}

/// The pack's counts and lists, as the golden file keeps them.
fn summary(p: &serde_json::Value) -> serde_json::Value {
    let titles = |v: &serde_json::Value, key: &str| -> Vec<serde_json::Value> {
        v.as_array().unwrap().iter().map(|x| x[key].clone()).collect()
    };
    serde_json::json!({
        "period": p["period"],
        "from": p["from"],
        "to": p["to"],
        "execution": {
            "budget": p["execution"]["budget"],
            "paid_to_date": p["execution"]["paid_to_date"],
            "paid_in_period": p["execution"]["paid_in_period"],
            "rate_permille": p["execution"]["rate_permille"],
            "departments": p["execution"]["by_department"].as_array().unwrap().len(),
        },
        "warnings": p["warnings"],
        "overdue_rectifications": p["overdue_rectifications"]["count"],
        "emergencies": titles(&p["emergencies"]["first"], "title"),
        "top_risks": titles(&p["top_risks"], "title"),
        "deviations": titles(&p["deviations"], "code"),
        "milestone_holds": p["milestone_holds"]["count"],
        "action_items": titles(&p["action_items"], "title"),
    })
}

#[test]
fn the_demo_december_pack_matches_its_golden_file_and_every_meeting_exports() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo(dir.path());
    let meetings = json(&bw(&db, &["meeting", "list", "--format", "json"]));
    let all = meetings.as_array().unwrap();
    assert_eq!(all.len(), 13, "twelve monthly analysis meetings and a joint supervision");
    let december = all.iter().find(|m| m["period"] == "2025-12").expect("the December review");
    assert_eq!(december["state"], "invited");
    let id = december["id"].as_i64().unwrap().to_string();
    let shown = json(&bw(&db, &["meeting", "show", &id, "--format", "json"]));
    let got = summary(&shown["pack"]["pack"]);
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/meeting-pack-2025-12.json");
    if std::env::var_os("BW_BLESS").is_some() {
        std::fs::write(&golden, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
    }
    let want: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&golden).expect("golden file")).expect("golden json");
    assert_eq!(got, want, "the December pack differs from {}", golden.display());
    // The pack as kept hashes to the digest its meeting names; made again now, it is the same.
    let again = json(&bw(&db, &["meeting", "pack", &id, "--format", "json"]));
    assert_eq!(summary(&again), want);
    // The October review's action item is open and overdue: carried on every later agenda.
    let items = json(&bw(&db, &["action", "list", "--format", "json"]));
    let open: Vec<&serde_json::Value> = items.as_array().unwrap().iter().filter(|i| i["state"] == "open").collect();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["overdue"], true);
    let agenda = shown["meeting"]["agenda"].as_array().unwrap();
    assert!(agenda.iter().any(|a| a["source"] == format!("action:{}", open[0]["id"])), "{agenda:?}");
    // The OParl export of a held meeting embeds its agenda items with their results.
    let held = all.iter().find(|m| m["state"] == "minutes_approved").unwrap()["id"].as_i64().unwrap();
    let oparl = json(&bw(&db, &["meeting", "export-oparl", &held.to_string()]));
    assert_eq!(oparl["type"], "https://schema.oparl.org/1.0/Meeting");
    assert_eq!(oparl["meetingState"], "durchgeführt");
    let first = &oparl["agendaItem"][0];
    assert_eq!(
        (first["type"].as_str(), first["number"].as_str()),
        (Some("https://schema.oparl.org/1.0/AgendaItem"), Some("1"))
    );
    assert_eq!(first["result"], "通过");
    let o = bw(&db, &["verify"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn a_meeting_runs_to_signed_minutes_and_its_action_items_are_followed_to_closure() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("m.db");
    let units = dir.path().join("units.csv");
    std::fs::write(
        &units,
        "code,name,parent_code,kind,level\nR,省,,region,province\nD,财政厅,R,department,\nU,单位,D,unit,\n",
    )
    .unwrap();
    ok(&bw(&db, &["import", "units", units.to_str().unwrap()]));
    for (user, role, scope) in [
        ("chief", "bureau_head", "*"),
        ("fin", "department_reviewer", "D"),
        ("dept", "unit_head", "U"),
        ("m1", "unit_head", "U"),
        ("m2", "unit_head", "U"),
    ] {
        ok(&bw_env(&db, &["user", "add", user], "BUDGETWATCH_PASSWORD", "a long login password"));
        ok(&bw(&db, &["user", "grant", user, role, "--scope", scope]));
    }
    ok(&bw_env(&db, &["approval", "key", "--user", "chief"], "BUDGETWATCH_PASSWORD", "chief signing password"));
    let schedule = |kind: &str, roles: &str| {
        let o = bw(
            &db,
            &[
                "meeting",
                "schedule",
                "--kind",
                kind,
                "--title",
                "专题分析会",
                "--start",
                "2026-04-08T09:00:00+08:00",
                "--chair",
                "chief",
                "--period",
                "2026-03",
                "--roles",
                roles,
            ],
        );
        ok(&o).split_whitespace().nth(1).unwrap().to_string()
    };
    let id = schedule("topic", "bureau_head;department_reviewer");
    // The required roles must be invited.
    let o = bw(&db, &["meeting", "invite", &id, "--users", "chief;dept"]);
    assert!(!o.status.success() && stderr(&o).contains("required_roles_missing"), "{}", stderr(&o));
    ok(&bw(&db, &["meeting", "invite", &id, "--users", "chief;fin;dept"]));
    ok(&bw(&db, &["meeting", "item", &id, "--title", "办公用房维修项目调整"]));
    let pack = json(&bw(&db, &["meeting", "pack", &id, "--format", "json"]));
    assert_eq!(
        (pack["period"].as_str(), pack["from"].as_str(), pack["to"].as_str()),
        (Some("2026-03"), Some("2026-03-01"), Some("2026-03-31"))
    );
    ok(&bw(&db, &["meeting", "hold", &id, "--present", "chief;fin;dept"]));
    let shown = json(&bw(&db, &["meeting", "show", &id, "--format", "json"]));
    let agenda = shown["meeting"]["agenda"].as_array().unwrap().clone();
    assert_eq!(agenda.last().unwrap()["source"], "manual");
    // Minutes missing an item are refused; an action item's owner is never its follower.
    let write = |minutes: &serde_json::Value| {
        let f = dir.path().join("minutes.json");
        std::fs::write(&f, minutes.to_string()).unwrap();
        bw(&db, &["meeting", "minutes", &id, "--file", f.to_str().unwrap()])
    };
    let mut minutes: Vec<serde_json::Value> =
        agenda.iter().map(|a| serde_json::json!({"number": a["number"], "outcome": "information"})).collect();
    let o = write(&serde_json::json!(minutes[..1]));
    assert!(!o.status.success() && stderr(&o).contains("minutes_incomplete"), "{}", stderr(&o));
    let last = minutes.len() - 1;
    minutes[last] = serde_json::json!({"number": agenda[last]["number"], "outcome": "action", "title": "报送维修方案",
        "owner": "dept", "follower": "dept", "due": "2026-04-30"});
    let o = write(&serde_json::json!(minutes));
    assert!(!o.status.success() && stderr(&o).contains("owner_is_follower"), "{}", stderr(&o));
    minutes[last]["follower"] = serde_json::json!("fin");
    minutes[0] = serde_json::json!({"number": 1, "outcome": "decision", "result": "通过", "resolution": "同意调整"});
    ok(&write(&serde_json::json!(minutes)));
    // Signed by the chair with the chair's own key: approved, the action item opened.
    let o = bw_env(&db, &["meeting", "approve", &id, "--user", "chief"], "BUDGETWATCH_PASSWORD", "wrong password!");
    assert!(!o.status.success(), "{}", stdout(&o));
    let out = ok(&bw_env(
        &db,
        &["meeting", "approve", &id, "--user", "chief"],
        "BUDGETWATCH_PASSWORD",
        "chief signing password",
    ));
    assert!(out.contains("minutes_approved"), "{out}");
    let item = format!("{}{:02}", id, agenda.len());
    let o = bw(&db, &["action", "done", &item, "--user", "fin", "--text", "x"]);
    assert!(!o.status.success() && stderr(&o).contains("not_the_owner"), "{}", stderr(&o));
    let evidence = dir.path().join("方案.pdf");
    std::fs::write(&evidence, "维修方案").unwrap();
    ok(&bw(&db, &["action", "done", &item, "--user", "dept", "--evidence", evidence.to_str().unwrap()]));
    ok(&bw(&db, &["action", "return", &item, "--user", "fin", "--text", "缺少预算测算"]));
    ok(&bw(&db, &["action", "done", &item, "--user", "dept", "--text", "补充测算"]));
    let o = bw(&db, &["action", "verify", &item, "--user", "dept"]);
    assert!(!o.status.success() && stderr(&o).contains("not_the_follower"), "{}", stderr(&o));
    ok(&bw(&db, &["action", "verify", &item, "--user", "fin"]));
    let items = json(&bw(&db, &["action", "list", "--format", "json"]));
    assert_eq!(items[0]["state"], "verified");
    assert_eq!(items[0]["history"].as_array().unwrap().len(), 5, "{}", items[0]);

    // A collective decision is held only with two thirds of its members present.
    let cd = schedule("collective_decision", "bureau_head");
    ok(&bw(&db, &["meeting", "invite", &cd, "--users", "chief;fin;dept;m1;m2"]));
    let o = bw(&db, &["meeting", "hold", &cd, "--present", "chief;fin;dept"]);
    assert!(!o.status.success() && stderr(&o).contains("quorum_not_met"), "{}", stderr(&o));
    ok(&bw(&db, &["meeting", "hold", &cd, "--present", "chief;fin;dept;m1"]));

    let o = bw(&db, &["verify"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store = bw_store::Store::open(db.to_str().expect("path"), false).await.expect("open");
        bw_store::sqlx::query("UPDATE action_items SET doc = REPLACE(doc, '\"verified\"', '\"open\"')")
            .execute(store.pool())
            .await
            .expect("update");
    });
    let bad = bw(&db, &["verify"]);
    assert_eq!(bad.status.code(), Some(1), "{}", stdout(&bad));
    assert!(stdout(&bad).contains("action_items"), "{}", stdout(&bad));
}
