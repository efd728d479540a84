//! Budget preparation and approval through the command line on the demo province: a cycle
//! opened and advanced, a draft saved in two versions and compared, submitted, decided by the
//! demo's approvers with their own signing keys, and executed as indicators.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{bw, bw_env, request, stderr, stdout};

#[test]
fn a_year_prepared_and_approved_from_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    let (db, data) = (dir.path().join("demo.db"), dir.path().join("data"));
    let demo = ["demo", "--no-serve", "--accounts-unit", "990000001001", "--payments", "2000", "--data"];
    let o = bw(&db, &[&demo[..], &[data.to_str().unwrap()]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let ok = |args: &[&str]| {
        let o = bw(&db, args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        stdout(&o)
    };
    // The demo played the year's other half: 2026 in preparation with the proposal from
    // 2025's grades as drafts, the first unit's submitted by its handler; 2025's ranking
    // published.
    let scene = stdout(&o);
    assert!(scene.contains("budget scene:") && scene.contains("drafts for 2026 proposed"), "{scene}");
    let next: serde_json::Value =
        serde_json::from_str(&ok(&["budget", "show", "--year", "2026", "--format", "json"])).unwrap();
    assert_eq!(next["cycle"]["stage"], "preparation", "{next}");
    assert_eq!(
        (next["items"][0]["state"].as_str(), next["items"][0]["prepared_by"].as_str()),
        (Some("in_review"), Some("user:unit-handler"))
    );
    let r: serde_json::Value =
        serde_json::from_str(&ok(&["performance", "results", "--year", "2025", "--format", "json"])).unwrap();
    let flagged: Vec<&serde_json::Value> =
        r["projects"].as_array().unwrap().iter().filter(|p| p["distorted"] == true).collect();
    assert_eq!(
        (flagged.len(), flagged[0]["self_score"].as_i64(), flagged[0]["third_party_score"].as_i64()),
        (1, Some(950), Some(620))
    );
    // The approval routes are data: shown, and replaced only by a sound definition.
    let routes: serde_json::Value = serde_json::from_str(&ok(&["budget", "workflow"])).unwrap();
    assert_eq!(routes["lean"][1]["id"], "finance_filing", "{routes}");
    let file = dir.path().join("routes.json");
    let mut bad = routes.clone();
    bad["lean"][0]["group"] = serde_json::json!(0);
    std::fs::write(&file, bad.to_string()).unwrap();
    let o = bw(&db, &["budget", "workflow", "--set", file.to_str().unwrap()]);
    assert!(
        !o.status.success() && stderr(&o).contains("routes.json") && stderr(&o).contains("groups count from 1"),
        "{}",
        stderr(&o)
    );
    std::fs::write(&file, "{\"lean\": []").unwrap();
    let o = bw(&db, &["budget", "workflow", "--set", file.to_str().unwrap()]);
    assert!(!o.status.success() && stderr(&o).contains("routes.json: line 1"), "{}", stderr(&o));
    std::fs::write(&file, routes.to_string()).unwrap();
    ok(&["budget", "workflow", "--set", file.to_str().unwrap()]);
    let o = bw(&db, &["budget", "open", "--year", "12027", "--mode", "bottom_up"]);
    assert!(!o.status.success() && stderr(&o).contains("12027 is not in 1900..=9999"), "{}", stderr(&o));
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
    // The second version adds the unit's reserve fund (预备费, functional class 227).
    std::fs::write(&draft, "indicator_code,project_code,functional_code,economic_code,amount\nZB2027A,,2050101,30101,750000.00\nZB2027C,,2050101,30211,20000.00\nZB2027Y,,22701,39999,100000.00\n").unwrap();
    assert!(
        ok(&["budget", "draft", "--year", "2027", "--unit", unit, draft.to_str().unwrap(), "--note", "压减"])
            .contains("draft 2")
    );
    let diff: serde_json::Value = serde_json::from_str(&ok(&[
        "budget", "diff", "--year", "2027", "--unit", unit, "--from", "1", "--to", "2", "--format", "json",
    ]))
    .unwrap();
    let kinds: Vec<&str> = diff["changes"].as_array().unwrap().iter().map(|c| c["change"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["changed", "removed", "added", "added"], "{diff}");
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
    assert!(ok(&["budget", "advance", "--year", "2027", "--to", "execution"]).contains("3 indicators imported"));
    // An adjustment during execution: 1,000.00 off a 20,000.00 travel indicator takes the lean route.
    let adjusted = ok(&[
        "budget",
        "adjust",
        "--year",
        "2027",
        "--indicator",
        "ZB2027C",
        "--delta",
        "-1000.00",
        "--reason",
        "会议改线上",
        "--impact",
        "减少支出 1000 元",
    ]);
    assert!(adjusted.contains("in review, route lean"), "{adjusted}");
    // An emergency: 30,000.00 drawn from the reserve fund for ZB2027A, approved by the
    // finance bureau's head alone; the unit's head holds no such authority.
    let opened = ok(&["emergency", "open", "--title", "暴雨灾害"]);
    let case = opened.split_whitespace().nth(2).unwrap().to_string();
    let emergency = ok(&[
        "budget",
        "adjust",
        "--year",
        "2027",
        "--indicator",
        "ZB2027A",
        "--delta",
        "30000.00",
        "--reason",
        "抢险",
        "--impact",
        "动用预备费 30000 元",
        "--emergency",
        &case,
    ]);
    assert!(emergency.contains("in review, route emergency"), "{emergency}");
    let urgent = emergency.split_whitespace().nth(1).unwrap().trim_end_matches(':').to_string();
    let o = bw_env(
        &db,
        &["budget", "decide", &urgent, "--user", "unit-head", "--step", "finance_head", "--decision", "approve"],
        "BUDGETWATCH_PASSWORD",
        "a signing password",
    );
    assert!(!o.status.success() && stderr(&o).contains("needs the role bureau_head"), "{}", stderr(&o));
    let o = bw_env(
        &db,
        &["budget", "decide", &urgent, "--user", "bureau-head", "--step", "finance_head", "--decision", "approve"],
        "BUDGETWATCH_PASSWORD",
        "a signing password",
    );
    assert!(o.status.success() && stdout(&o).contains("Approved"), "{}", stderr(&o));
    // The closing report before the year ends: nothing paid, so every balance in full; the
    // emergency moved 30,000.00 from the reserve to ZB2027A.
    let preview = ok(&["budget", "close", "--year", "2027", "--preview"]);
    assert!(preview.contains("2027: carried over 0.00, recovered 870000.00 (preview)"), "{preview}");
    let report: serde_json::Value =
        serde_json::from_str(&ok(&["budget", "close", "--year", "2027", "--preview", "--format", "json"])).unwrap();
    let amounts: Vec<(&str, &str)> = report["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["indicator_code"].as_str().unwrap(), l["amount"].as_str().unwrap()))
        .collect();
    assert_eq!(amounts, [("ZB2027A", "780000.00"), ("ZB2027C", "20000.00"), ("ZB2027Y", "70000.00")], "{report}");

    // Performance of the demo year from the command line: KPIs, values, two evaluations
    // 33 points apart (flagged), the results.
    let kpis = dir.path().join("kpis.csv");
    std::fs::write(&kpis, "code,name,category,direction,target,weight\nQ1,改造校舍数,quantity,at_least,10,60\nS1,学生满意度,satisfaction,at_least,90,40\n").unwrap();
    let project = "XM99000000100101";
    ok(&["performance", "kpis", "--year", "2025", "--project", project, kpis.to_str().unwrap()]);
    ok(&["performance", "actual", "--year", "2025", "--project", project, "--kpi", "Q1", "--value", "8"]);
    ok(&["performance", "actual", "--year", "2025", "--project", project, "--kpi", "S1", "--value", "90"]);
    ok(&["performance", "evaluate", "--year", "2025", "--project", project, "--by", "self", "--score", "95"]);
    ok(&["performance", "evaluate", "--year", "2025", "--project", project, "--by", "third_party", "--score", "62"]);
    let results: serde_json::Value =
        serde_json::from_str(&ok(&["performance", "results", "--year", "2025", "--format", "json"])).unwrap();
    let p = results["projects"].as_array().unwrap().iter().find(|p| p["project_code"] == project).unwrap();
    // KPIs: 60 × 8/10 + 40 = 88.0; the third party's 62 counts: 中.
    assert_eq!(
        (p["kpi_score"].as_i64(), p["score"].as_i64(), p["distorted"].as_bool()),
        (Some(880), Some(620), Some(true)),
        "{p}"
    );
    assert_eq!(p["grade_zh"], "中");
    // The library: the project with KPIs scores 40 + 30 for its estimate; tiers move one way.
    let library: serde_json::Value = serde_json::from_str(&ok(&["project", "list", "--format", "json"])).unwrap();
    let entry = library.as_array().unwrap().iter().find(|p| p["project_code"] == project).unwrap();
    assert_eq!(entry["maturity"]["score"], 70, "{entry}");
    let o = bw(&db, &["project", "status", project, "--to", "reserve"]);
    assert!(
        !o.status.success() && stderr(&o).contains("an executing project moves to completed or retired"),
        "{}",
        stderr(&o)
    );
    assert!(!results["departments"].as_array().unwrap().is_empty());
    // The demo's scene made 2025's rolling plan (once a year) and published a ranking.
    let o = bw(&db, &["performance", "roll", "--year", "2025"]);
    assert!(!o.status.success() && stderr(&o).contains("the rolling plan of 2025 is already made"), "{}", stderr(&o));
    let shown: serde_json::Value =
        serde_json::from_str(&ok(&["performance", "roll", "--year", "2025", "--show", "--format", "json"])).unwrap();
    let line = shown.as_array().unwrap().iter().find(|l| l["project_code"] == project).unwrap().clone();
    // The plan year's amount is the project's budget of the year.
    assert_eq!(line["amounts"][0], p["budget"], "{line}");
    let published = ok(&["performance", "publish", "--year", "2025"]);
    assert!(published.starts_with("2025's ranking published on the portal:\n1\t"), "{published}");

    // The next year through the API: opened and steered by finance, drafted by the unit's
    // handler, decided by its head with a signature.
    let mut passwords = std::collections::HashMap::new();
    for user in ["bureau-reviewer", "bureau-head", "unit-handler", "unit-head"] {
        let password = format!("{user}-login-pass");
        let o = bw_env(&db, &["user", "password", user], "BUDGETWATCH_PASSWORD", &password);
        assert!(o.status.success(), "{}", stderr(&o));
        passwords.insert(user, password);
    }
    // A classified project (涉密) leaves the results of those below the classified class.
    let secret = "XM99000000100102";
    ok(&["project", "classify", secret, "--reason", "涉密项目"]);
    let (mut child, addr) = common::spawn_server(&db, &["serve", "--addr", "127.0.0.1:0"]);
    let session = |user: &str| {
        let body = format!("user={user}&password={}", passwords[user]);
        let cookie =
            request(&addr, "POST", "/login", &[("Content-Type", "application/x-www-form-urlencoded")], &body).cookie();
        let me = request(&addr, "GET", "/api/v1/me", &[("Cookie", &cookie)], "").json();
        (cookie, me["csrf_token"].as_str().unwrap().to_string())
    };
    let call = |who: &(String, String), method: &str, path: &str, body: serde_json::Value| {
        let hs = [("Cookie", who.0.as_str()), ("X-CSRF-Token", who.1.as_str()), ("Content-Type", "application/json")];
        request(&addr, method, path, &hs, &body.to_string())
    };
    let (finance, head, handler, unit_head) =
        (session("bureau-reviewer"), session("bureau-head"), session("unit-handler"), session("unit-head"));
    assert_eq!(call(&handler, "POST", "/api/v1/budget/2028", serde_json::json!({"mode": "top_down"})).status, 403);
    assert_eq!(call(&finance, "POST", "/api/v1/budget/2028", serde_json::json!({"mode": "top_down"})).status, 201);
    let r = call(&finance, "PUT", "/api/v1/budget/2028/controls/990000001", serde_json::json!({"amount": "500000.00"}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        call(&finance, "POST", "/api/v1/budget/2028/advance", serde_json::json!({"to": "preparation"})).status,
        403
    );
    assert_eq!(
        call(&head, "POST", "/api/v1/budget/2028/advance", serde_json::json!({"to": "preparation"})).status,
        200
    );
    let lines = |amount: &str| serde_json::json!({"lines": [{"indicator_code": "ZB2028A", "functional_code": "2050101", "economic_code": "30101", "amount": amount}], "note": "初稿"});
    let r = call(&handler, "POST", &format!("/api/v1/budget/2028/drafts/{unit}"), lines("600000.00"));
    assert_eq!(r.status, 409);
    assert!(r.json()["detail"].as_str().unwrap().contains("above its control total of 500000.00"), "{}", r.body);
    let r = call(&handler, "POST", &format!("/api/v1/budget/2028/drafts/{unit}"), lines("450000.00"));
    assert_eq!((r.status, r.json()["version"].as_i64()), (201, Some(1)), "{}", r.body);
    let r = call(&handler, "POST", &format!("/api/v1/budget/2028/drafts/{unit}/submit"), serde_json::json!({}));
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    let decide = |who: &(String, String), password: &str| {
        let body =
            serde_json::json!({"step": "unit_head", "decision": "approve", "comment": "同意", "password": password});
        call(who, "POST", &format!("/api/v1/approvals/{id}/decisions"), body)
    };
    let r = decide(&handler, "whatever");
    assert_eq!(r.status, 403, "the preparer: {}", r.body);
    assert_eq!(decide(&unit_head, "not the password").status, 409);
    let r = decide(&unit_head, "a signing password");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["item"]["steps"][0]["state"], "approved");
    let item = call(&head, "GET", &format!("/api/v1/approvals/{id}"), serde_json::json!(null)).json();
    assert_eq!(item["steps"][0]["by"], "user:unit-head");

    // Performance and closing through the API.
    let results = call(&finance, "GET", "/api/v1/performance/2025", serde_json::json!(null)).json();
    let p = results["projects"].as_array().unwrap().iter().find(|p| p["project_code"] == project).unwrap().clone();
    assert_eq!(p["distorted"], true, "{p}");
    // Only departments with evaluations rank.
    let projects = results["projects"].as_array().unwrap();
    let rated: std::collections::BTreeSet<&str> =
        projects.iter().filter(|p| p["evaluated"] == true).filter_map(|p| p["department_code"].as_str()).collect();
    let ranked: Vec<&str> =
        results["departments"].as_array().unwrap().iter().filter_map(|d| d["department"].as_str()).collect();
    assert!(!ranked.is_empty() && ranked.iter().all(|d| rated.contains(d)), "{ranked:?} against {rated:?}");
    let has = |r: &serde_json::Value| r["projects"].as_array().unwrap().iter().any(|p| p["project_code"] == secret);
    assert!(!has(&results), "finance's reviewer is below the classified class");
    assert!(
        has(&call(&head, "GET", "/api/v1/performance/2025", serde_json::json!(null)).json()),
        "the bureau head is not"
    );
    let third = serde_json::json!({"by": "third_party", "score": "70"});
    let path = format!("/api/v1/performance/2025/projects/{project}/evaluations");
    assert_eq!(call(&handler, "POST", &path, third.clone()).status, 403, "a unit records no third party's score");
    assert_eq!(call(&finance, "POST", &path, third).status, 200);
    let r = call(
        &handler,
        "POST",
        &format!("/api/v1/performance/2025/projects/{project}/kpis/Q1"),
        serde_json::json!({"value": "10"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let results = call(&finance, "GET", "/api/v1/performance/2025", serde_json::json!(null)).json();
    let p = results["projects"].as_array().unwrap().iter().find(|p| p["project_code"] == project).unwrap().clone();
    assert_eq!(
        (p["kpi_score"].as_i64(), p["score"].as_i64(), p["grade_zh"].as_str()),
        (Some(1000), Some(700), Some("中")),
        "{p}"
    );
    let closing = call(&head, "GET", "/api/v1/budget/2027/closing", serde_json::json!(null)).json();
    assert_eq!(closing["recovered"], "870000.00", "{closing}");
    let urgent = call(&head, "GET", &format!("/api/v1/approvals/{urgent}"), serde_json::json!(null)).json();
    assert_eq!(
        (urgent["route"].as_str(), urgent["adjustment"]["reserve"].as_str(), urgent["state"].as_str()),
        (Some("emergency"), Some("ZB2027Y"), Some("approved")),
        "{urgent}"
    );

    // The project library and the rolling plan through the API.
    let projects = call(&handler, "GET", "/api/v1/projects", serde_json::json!(null)).json();
    let listed = projects["projects"].as_array().unwrap();
    assert!(!listed.is_empty() && listed.iter().all(|p| p["unit_code"] == unit), "the handler's unit only: {projects}");
    let one = call(&finance, "GET", &format!("/api/v1/projects/{project}"), serde_json::json!(null)).json();
    assert_eq!(
        (one["project"]["status"].as_str(), one["rolling"][0][0].as_i64()),
        (Some("executing"), Some(2025)),
        "{one}"
    );
    let r = call(&head, "POST", &format!("/api/v1/projects/{project}/status"), serde_json::json!({"to": "reserve"}));
    assert_eq!(r.status, 409, "{}", r.body);
    let r =
        call(&handler, "POST", &format!("/api/v1/projects/{project}/status"), serde_json::json!({"to": "completed"}));
    assert_eq!(r.status, 403, "a handler approves no tier: {}", r.body);
    let rolling = call(&finance, "GET", "/api/v1/performance/2025/rolling", serde_json::json!(null)).json();
    assert!(rolling["projects"].as_array().unwrap().contains(&line), "{rolling}");
    assert_eq!(call(&finance, "POST", "/api/v1/performance/2025/rolling", serde_json::json!(null)).status, 409);

    // Next year's proposal again: refused while the first unit's draft is in review.
    let r = call(&finance, "POST", "/api/v1/performance/2025/proposal", serde_json::json!(null));
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.json()["detail"].as_str().unwrap().contains("is in review: wait for the decision"), "{}", r.body);

    // The ranking published again after the third party's score, read by anyone.
    assert_eq!(call(&finance, "POST", "/api/v1/performance/2025/rankings", serde_json::json!(null)).status, 403);
    let r = call(&head, "POST", "/api/v1/performance/2025/rankings", serde_json::json!(null));
    assert_eq!(r.status, 201, "{}", r.body);
    let ranking = request(&addr, "GET", "/api/v1/performance/2025/rankings", &[], "").json();
    assert_eq!(ranking["departments"][0]["rank"], 1, "{ranking}");
    assert_eq!(request(&addr, "GET", "/api/v1/performance/2024/rankings", &[], "").status, 404);
    let portal = request(&addr, "GET", "/public?year=2025&month=12", &[], "");
    let first = ranking["departments"][0]["name"].as_str().unwrap();
    assert!(portal.body.contains("部门绩效排名") && portal.body.contains(first), "the portal shows the ranking");
    assert_eq!(call(&handler, "GET", "/api/v1/budget/2027/closing", serde_json::json!(null)).status, 403);

    let routes = call(&finance, "GET", "/api/v1/budget/workflows", serde_json::json!(null));
    assert_eq!((routes.status, routes.json()["emergency"][0]["role"].as_str()), (200, Some("bureau_head")));
    assert_eq!(call(&handler, "PUT", "/api/v1/budget/workflows", routes.json()).status, 403);
    let mut bad = routes.json();
    bad["standard"] = serde_json::json!([]);
    let r = call(&head, "PUT", "/api/v1/budget/workflows", bad);
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(call(&head, "PUT", "/api/v1/budget/workflows", routes.json()).status, 200);

    // Years are four digits: the next year or the outer years of one beyond them would not exist.
    for path in ["/api/v1/performance/2147483647/rolling", "/api/v1/budget/99999", "/api/v1/performance/-1"] {
        assert_eq!(call(&finance, "GET", path, serde_json::json!(null)).status, 400, "{path}");
    }

    // The pages of the same work.
    let page = |who: &(String, String), path: &str| request(&addr, "GET", path, &[("Cookie", who.0.as_str())], "");
    assert_eq!(request(&addr, "GET", "/budget/2027", &[], "").status, 401);
    assert_eq!(page(&finance, "/performance/2147483647").status, 400);
    let year = page(&finance, "/budget/2027");
    assert_eq!(year.status, 200);
    assert!(year.body.contains("<li class=now aria-current=step>执行"), "the stage now");
    assert!(year.body.contains(&format!("/approval/{}", urgent["id"])), "the emergency item is listed");
    let seen = page(&finance, &format!("/approval/{id}"));
    assert!(seen.body.contains("财政预算审核") && seen.body.contains("name=password"), "the decision form");
    // Only to those who may decide: the unit's handler reads the item, without the form.
    let theirs = page(&handler, &format!("/approval/{id}"));
    assert!(theirs.status == 200 && !theirs.body.contains("name=password"), "{}", theirs.status);
    let form = |password: &str| {
        let body = format!("csrf={}&step=budget_review&decision=approve&comment=ok&password={password}", finance.1);
        let hs = [("Cookie", finance.0.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
        request(&addr, "POST", &format!("/approval/{id}/decide"), &hs, &body)
    };
    let wrong = form("nope");
    assert!(wrong.status == 303 && wrong.headers.contains("error="), "{}", wrong.headers);
    let signed = form("a%20signing%20password");
    assert!(signed.status == 303 && signed.headers.contains("done="), "{}", signed.headers);
    let item = call(&head, "GET", &format!("/api/v1/approvals/{id}"), serde_json::json!(null)).json();
    let review = item["steps"].as_array().unwrap().iter().find(|s| s["spec"]["id"] == "budget_review").unwrap().clone();
    assert_eq!((review["state"].as_str(), review["by"].as_str()), (Some("approved"), Some("user:bureau-reviewer")));
    let perf = page(&finance, "/performance/2025");
    assert!(perf.body.contains(project) && perf.body.contains("失真"), "the distorted evaluation is flagged");
    assert!(perf.body.contains("排名已于"), "the ranking is published");
    // The scene's proposal scheduled the bottom department's interview.
    assert!(perf.body.contains("已安排约谈："), "the interview and its date");
    let library = page(&handler, "/projects");
    assert!(library.status == 200 && library.body.contains(project), "the library page");
    let _ = child.kill();
    let _ = child.wait();

    let o = bw(&db, &["verify"]);
    assert!(o.status.success(), "{}", stdout(&o));
}
