//! `budgetwatch check` and `warning` as scripts call them.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)] // tests fail by panicking

mod common;

use common::*;

#[test]
fn check_prints_the_open_warnings_as_json_with_the_contracts_fields() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("m.db");
    let data = dir.path().join("data");
    assert!(
        bw(&db, &["demo", "--no-serve", "--no-scene", "--payments", "3000", "--data", data.to_str().unwrap()])
            .status
            .success()
    );
    let checkpoints = || {
        let v: serde_json::Value = serde_json::from_str(&stdout(&bw(&db, &["verify", "--format", "json"]))).unwrap();
        v["checkpoints"].as_u64().unwrap()
    };
    let before = checkpoints();
    let o = bw(&db, &["check", "--as-of", "2025-12-31", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The warnings and the emergency cases they call for are one commit (a crash after it
    // cannot lose the cases); the key risk indicators' proposals (the register is empty: idle
    // special funds, revenue behind time) the next.
    assert!(!stderr(&o).contains(" 0 emergency cases opened"), "{}", stderr(&o));
    assert!(stderr(&o).contains("risks proposed"), "{}", stderr(&o));
    assert_eq!(checkpoints(), before + 2, "{}", stderr(&o));
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
        assert!(w["suggestion"].as_str().is_some_and(|s| s.chars().count() > 20), "{w}");
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
    let mut shown: serde_json::Value = serde_json::from_str(&stdout(&bw(&db, &["warning", "show", &id]))).unwrap();
    assert_eq!(shown["steps"], serde_json::json!([]));
    assert_eq!(shown["inquiries"], serde_json::json!([]));
    shown.as_object_mut().unwrap().remove("steps");
    shown.as_object_mut().unwrap().remove("inquiries");
    assert_eq!(shown, warnings[0]);
    // The demo's overspends above 10 % and its revenue shortfall opened emergency cases.
    let cases: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&bw(&db, &["emergency", "list", "--format", "json"]))).unwrap();
    let causes: Vec<&str> = cases.iter().map(|c| c["cause"].as_str().unwrap()).collect();
    assert!(causes.contains(&"overspend") && causes.contains(&"revenue_shortfall"), "{causes:?}");
    let o = bw(&db, &["emergency", "open", "--title", "暴雨灾害"]);
    assert!(stdout(&o).starts_with("emergency case "), "{}", stderr(&o));
    let id = stdout(&o).split_whitespace().nth(2).unwrap().to_string();
    assert_eq!(
        stdout(&bw(&db, &["emergency", "report", &id, "--text", "灾情报告"])),
        format!("emergency case {id}: reported\n")
    );
    let o = bw(&db, &["rules", "calibrate", "--year", "2025", "--format", "json"]);
    let proposals: Vec<serde_json::Value> = serde_json::from_str(&stdout(&o)).unwrap();
    let rules: Vec<&str> = proposals.iter().map(|p| p["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"over_budget") && rules.contains(&"behind_schedule"), "{rules:?}");
    for p in &proposals {
        let b: Vec<i64> = p["proposed"].as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect();
        assert!(b[0] <= b[1] && b[1] <= b[2], "{p}");
        assert!(p["subjects"].as_u64().unwrap() > 0);
    }
    let text = stdout(&bw(&db, &["rules", "calibrate", "--year", "2025"]));
    assert!(text.contains("setting set rules.over_budget.levels "), "{text}");
    assert!(bw(&db, &["verify"]).status.success());
    let o = bw(&db, &["check", "--as-of", "2025-02-30"]);
    assert!(!o.status.success() && stderr(&o).contains("no such date"), "{}", stderr(&o));
}

#[test]
fn the_warning_loop_runs_from_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("l.db");
    let data = dir.path().join("data");
    assert!(
        bw(&db, &["demo", "--no-serve", "--no-scene", "--payments", "2000", "--data", data.to_str().unwrap()])
            .status
            .success()
    );
    let o = bw(&db, &["check", "--as-of", "2025-12-31", "--format", "json"]);
    let warnings: Vec<serde_json::Value> = serde_json::from_str(&stdout(&o)).unwrap();
    let id = warnings.iter().find(|w| w["rule"] == "personal_account").unwrap()["id"].as_i64().unwrap().to_string();
    let scan = dir.path().join("转账说明.jpg");
    std::fs::write(&scan, b"scan").unwrap();
    let as_unit = |args: &[&str]| {
        let mut all = vec!["--actor", "unit.clerk"];
        all.extend_from_slice(args);
        bw(&db, &all)
    };
    let o = as_unit(&["warning", "plan", &id, "--text", "x"]);
    assert!(!o.status.success() && stderr(&o).contains("cannot take the step plan"), "{}", stderr(&o));
    let o = as_unit(&["warning", "explain", &id, "--text", "劳务报酬", "--attachment", scan.to_str().unwrap()]);
    assert_eq!(stdout(&o), format!("warning {id}: awaiting_sign_off\n"), "{}", stderr(&o));
    let o = bw(&db, &["--actor", "unit.head", "warning", "sign-off", &id, "--text", "同意"]);
    assert_eq!(stdout(&o), format!("warning {id}: explained\n"), "{}", stderr(&o));
    let o = bw(&db, &["--actor", "finance.desk", "warning", "judge", &id, "--finding", "normal", "--text", "属实"]);
    assert_eq!(stdout(&o), format!("warning {id}: closed\n"), "{}", stderr(&o));
    let shown: serde_json::Value = serde_json::from_str(&stdout(&bw(&db, &["warning", "show", &id]))).unwrap();
    assert_eq!(shown["state"], "closed");
    assert_eq!(shown["steps"][0]["attachments"][0][0], "转账说明.jpg");
    assert_eq!(shown["steps"][0]["attachments"][0][1], bw_ledger::hex(&bw_ledger::sha256(b"scan")));
    assert_eq!(shown["steps"][1]["actor"], "unit.head");
    assert_eq!(shown["steps"][2]["actor"], "finance.desk");
    let o =
        bw(&db, &["--actor", "finance.desk", "warning", "inquire", &id, "--text", "请提供劳务合同", "--workdays", "3"]);
    assert!(stdout(&o).starts_with("inquiry "), "{}", stderr(&o));
    let inquiry = stdout(&o).split_whitespace().nth(1).unwrap().to_string();
    assert!(as_unit(&["warning", "answer", &inquiry, "--text", "已上传合同"]).status.success());
    let o = as_unit(&["warning", "answer", &inquiry, "--text", "再答"]);
    assert!(!o.status.success() && stderr(&o).contains("already answered"), "{}", stderr(&o));
    let shown: serde_json::Value = serde_json::from_str(&stdout(&bw(&db, &["warning", "show", &id]))).unwrap();
    assert_eq!(shown["inquiries"][0]["answer"], "已上传合同");
    assert_eq!(shown["inquiries"][0]["answered_by"], "unit.clerk");
    assert_eq!(shown["response"], "self_check", "a yellow warning calls for the unit's self-check");
    let listed = stdout(&bw(&db, &["warning", "list", "--format", "json"]));
    assert!(!listed.contains(&format!("\"id\": {id},")), "a closed warning is no longer open");
    // Each warning is issued to its parties; the graded responses are tasks of their own.
    let open: Vec<serde_json::Value> = serde_json::from_str(&listed).unwrap();
    let unit = open[0]["parties"][0].as_str().unwrap().to_string();
    let mine: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&bw(&db, &["warning", "list", "--party", &unit, "--format", "json"]))).unwrap();
    assert!(!mine.is_empty() && mine.len() < open.len() && mine.iter().all(|w| w["parties"][0] == unit.as_str()));
    let tasks: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&bw(&db, &["task", "list", "--format", "json"]))).unwrap();
    let kinds: Vec<&str> = tasks.iter().map(|t| t["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"self_check") && kinds.contains(&"interview"), "{kinds:?}");
    let task = tasks[0]["id"].as_i64().unwrap().to_string();
    let o = bw(&db, &["--actor", "finance.desk", "task", "done", &task, "--text", "已完成"]);
    assert_eq!(stdout(&o), format!("task {task}: done\n"), "{}", stderr(&o));
    assert!(bw(&db, &["verify"]).status.success());
}

#[test]
fn rules_are_listed_set_per_year_and_an_intercepting_rule_holds_payments() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("r.db");
    let data = dir.path().join("data");
    assert!(
        bw(&db, &["demo", "--no-serve", "--no-scene", "--payments", "2000", "--data", data.to_str().unwrap()])
            .status
            .success()
    );
    let o = bw(&db, &["rules", "list", "--year", "2025", "--format", "json"]);
    let rules: Vec<serde_json::Value> = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(rules.len(), 12);
    let split = rules.iter().find(|r| r["rule"] == "split_purchase").unwrap();
    assert_eq!(
        (&split["handling"], &split["firing"], &split["owner"]),
        (&"warn".into(), &"payment".into(), &"finance".into())
    );
    // A setting for one year only.
    let o = bw(&db, &["setting", "set", "rules.over_budget.levels", "5,15,25", "--year", "2026"]);
    assert_eq!(stdout(&o), "rules.over_budget.levels@2026 = 5,15,25\n", "{}", stderr(&o));
    assert_eq!(stdout(&bw(&db, &["setting", "get", "rules.over_budget.levels", "--year", "2026"])), "5,15,25\n");
    assert_eq!(stdout(&bw(&db, &["setting", "get", "rules.over_budget.levels", "--year", "2025"])), "0,10,20\n");
    let o = bw(&db, &["setting", "set", "rules.over_budget.handling", "block"]);
    assert!(!o.status.success() && stderr(&o).contains("not one of record, warn, warn_attach, intercept, forbid"));

    // Three payments of 20,000.00 to one new account within a month, intercepted.
    assert!(bw(&db, &["setting", "set", "rules.split_purchase.handling", "intercept"]).status.success());
    let payments = std::fs::read_to_string(data.join("payments.csv")).unwrap();
    let mut lines = payments.lines();
    let header = lines.next().unwrap();
    let cols: Vec<&str> = header.split(',').collect();
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = |name: &str| cols.iter().position(|c| *c == name).unwrap();
    let mut body = format!("{header}\n");
    for (i, day) in ["2025-11-03", "2025-11-10", "2025-11-17"].iter().enumerate() {
        let mut row: Vec<String> = first.iter().map(|s| s.to_string()).collect();
        row[at("voucher_no")] = format!("HOLD{i}");
        row[at("pay_date")] = day.to_string();
        row[at("payee_account")] = "6222999900001111".into();
        row[at("payee_type")] = "company".into();
        row[at("amount")] = "20000.00".into();
        if let Some(c) = cols.iter().position(|c| *c == "contract_no") {
            row[c] = String::new();
        }
        if let Some(c) = cols.iter().position(|c| *c == "invoice_no") {
            row[c] = String::new();
        }
        body.push_str(&row.join(","));
        body.push('\n');
    }
    let file = dir.path().join("split.csv");
    std::fs::write(&file, body).unwrap();
    let o = bw(&db, &["import", "payments", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("3 payments held"), "{}", stdout(&o));
    let held: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&bw(&db, &["payment", "held", "--format", "json"]))).unwrap();
    assert_eq!(held.len(), 3);
    let unit = held[0]["unit_code"].as_str().unwrap().to_string();
    let o = bw(&db, &["--actor", "reviewer", "payment", "release", "--unit", &unit, "--voucher", "HOLD0"]);
    assert_eq!(stdout(&o), format!("payment HOLD0 of {unit}: paid\n"), "{}", stderr(&o));
    let o = bw(&db, &["payment", "reject", "--unit", &unit, "--voucher", "HOLD1"]);
    assert!(!o.status.success(), "a rejection says why");
    let o =
        bw(&db, &["--actor", "reviewer", "payment", "reject", "--unit", &unit, "--voucher", "HOLD1", "--text", "拆分"]);
    assert_eq!(stdout(&o), format!("payment HOLD1 of {unit}: rejected\n"), "{}", stderr(&o));
    let left: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&bw(&db, &["payment", "held", "--format", "json"]))).unwrap();
    assert_eq!(left.len(), 1);
    assert!(bw(&db, &["verify"]).status.success());
}

#[test]
fn the_server_runs_the_daily_check_itself() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("s.db");
    let data = dir.path().join("data");
    // This year's data, in the installation's zone (Beijing).
    #[allow(clippy::disallowed_methods)]
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
    let year = bw_core::Timestamp(secs + 8 * 3600).date().year().to_string();
    let o = bw(&db, &["demo-data", "--payments", "1500", "--year", &year, "--out", data.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    for kind in ["units", "projects", "indicators", "contracts", "payments", "revenues", "revenue_targets"] {
        let o = bw(&db, &["import", kind, data.join(format!("{kind}.csv")).to_str().unwrap()]);
        assert!(o.status.success(), "{kind}: {}", stderr(&o));
    }
    let before: usize = stdout(&bw(&db, &["ledger", "dump"])).lines().count();
    let (mut child, _addr) = spawn_server(&db, &["serve", "--addr", "127.0.0.1:0"]);
    // Nobody runs `check`: the server does, at start, as `system:schedule`.
    let mut scheduled = false;
    for _ in 0..60 {
        std::thread::sleep(std::time::Duration::from_millis(500));
        let dump = stdout(&bw(&db, &["ledger", "dump", "--from", &before.to_string()]));
        scheduled = dump.lines().any(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let entry = bw_ledger::note::base64_decode(v["entry"].as_str().unwrap()).unwrap();
            String::from_utf8_lossy(&entry).contains("\"actor\":\"system:schedule\"")
        });
        if scheduled {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(scheduled, "the server's own check journaled what it found");
    let o = bw(&db, &["check", "--format", "json"]);
    assert!(stderr(&o).contains(": 0 raised, 0 updated,"), "the day's check was done: {}", stderr(&o));
    assert!(bw(&db, &["verify"]).status.success());
}
