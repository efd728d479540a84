//! The REST API and its permissions, through the real server: the demo province with one
//! user per role, each asking for what it may and may not see or do.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{Reply, request};
use common::{bw, stderr, stdout};
use serde_json::Value;
use std::collections::HashMap;
use std::process::Child;

struct Server {
    child: Child,
    addr: String,
    passwords: HashMap<String, String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn demo(db: &std::path::Path, data: &std::path::Path) -> Server {
    let (child, addr, passwords) = common::demo_server(db, data, "4000");
    Server { child, addr, passwords }
}

impl Server {
    fn get(&self, path: &str, auth: &[(&str, &str)]) -> Reply {
        request(&self.addr, "GET", path, auth, "")
    }

    /// Logs `user` in; the session cookie header.
    fn login(&self, user: &str) -> String {
        let r = self.try_login(user, &self.passwords[user]);
        assert_eq!(r.status, 303, "{user}: {}", r.body);
        let cookie = r.cookie();
        assert!(r.headers.contains("HttpOnly") && r.headers.contains("SameSite=Strict"), "{}", r.headers);
        cookie
    }

    fn try_login(&self, user: &str, password: &str) -> Reply {
        let body = format!("user={user}&password={password}");
        request(&self.addr, "POST", "/login", &[("Content-Type", "application/x-www-form-urlencoded")], &body)
    }
}

fn payment(voucher: &str, unit: &str, indicator: &str, amount: &str) -> String {
    serde_json::json!({
        "voucher_no": voucher, "pay_date": "2025-12-30", "unit_code": unit, "indicator_code": indicator,
        "economic_code": "30201", "payee_name": "测试办公用品有限公司", "payee_account": "6200009999000011",
        "payee_type": "company", "amount": amount, "summary": "办公用品",
    })
    .to_string()
}

#[test]
fn each_role_sees_and_does_only_what_its_grants_allow() {
    let dir = tempfile::tempdir().expect("dir");
    let (db, data) = (dir.path().join("demo.db"), dir.path().join("data"));
    let s = demo(&db, &data);
    assert_eq!(s.passwords.len(), 12, "one log-in per role: {:?}", s.passwords.keys());
    let units = s.get("/api/v1/units", &[]).json();
    let nodes = units["items"].as_array().expect("items");
    let unit_of = |code: &str| nodes.iter().find(|n| n["code"] == code).cloned().expect("node");
    let own = "990000001001";
    let department = unit_of(own)["parent_code"].as_str().expect("department").to_string();
    let other = nodes
        .iter()
        .find(|n| n["kind"] == "unit" && n["parent_code"] != department.as_str())
        .and_then(|n| n["code"].as_str())
        .expect("a unit in another department")
        .to_string();

    // Nobody logged in: the public organisation, nothing inside.
    assert_eq!(s.get("/api/v1/payments", &[]).status, 401);
    let r = s.get("/api/v1/warnings", &[]);
    assert_eq!(r.status, 401);
    assert!(r.headers.contains("application/problem+json") && r.json()["title"] == "unauthorized");

    // A unit handler: its unit's payments, page after page, and nothing of another unit,
    // however asked; individuals' names and accounts hidden (internal class).
    let handler = s.login("unit-handler");
    let h = [("Cookie", handler.as_str())];
    let mut seen = 0;
    let mut path = "/api/v1/payments?limit=500".to_string();
    let mut individuals = 0;
    loop {
        let page = s.get(&path, &h).json();
        for p in page["items"].as_array().expect("items") {
            assert_eq!(p["unit_code"], own, "{p}");
            if p["payee_type"] == "individual" {
                individuals += 1;
                assert!(p["payee_name"].is_null() && p["payee_account"].is_null(), "{p}");
            }
            seen += 1;
        }
        match page["next"].as_str() {
            Some(n) => path = format!("/api/v1/payments?limit=500&after={n}"),
            None => break,
        }
    }
    assert!(seen > 100 && individuals > 0, "{seen} payments, {individuals} to individuals");
    let r = s.get(&format!("/api/v1/payments?unit={other}"), &h);
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(!r.body.contains("voucher_no"));
    assert_eq!(s.get("/api/v1/payments?limit=1", &[("Authorization", "Bearer nonsense")]).status, 401);
    // Guessing a voucher of another unit: refused before anything is looked up.
    let r = s.get(&format!("/api/v1/payments/{other}/PZ202500000001"), &h);
    assert_eq!(r.status, 403);
    // Warnings: only its unit's; another's by id is refused, as is an id that does not exist.
    let mine = s.get("/api/v1/warnings?limit=1000", &h).json();
    assert!(mine["items"].as_array().expect("items").iter().all(|w| w["unit_code"] == own), "{mine}");

    // Proofs: of the handler's own payment, yes; of another unit's, no; anonymously, no.
    let own_entry = s.get("/api/v1/payments?limit=1", &h).json()["items"][0]["journal_idx"].as_i64().expect("idx");
    let head = s.login("bureau-head");
    let other_entry = s.get(&format!("/api/v1/payments?unit={other}&limit=1"), &[("Cookie", head.as_str())]).json()["items"][0]
        ["journal_idx"]
        .as_i64()
        .expect("idx");
    let proof = s.get(&format!("/api/v1/ledger/inclusion?index={own_entry}"), &h);
    assert_eq!(proof.status, 200, "{}", proof.body);
    assert!(proof.json()["proof"].is_array());
    assert_eq!(s.get(&format!("/api/v1/ledger/inclusion?index={other_entry}"), &h).status, 403);
    assert_eq!(s.get(&format!("/api/v1/ledger/inclusion?index={own_entry}"), &[]).status, 401);
    assert_eq!(s.get("/api/v1/ledger/inclusion?index=0", &h).status, 403, "a unit's entry the handler may not see");
    assert_eq!(s.get("/api/v1/ledger/inclusion?index=0", &[("Cookie", head.as_str())]).status, 200);
    let doc = s.get("/api/openapi.json", &[]).json();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "{doc}");
    assert!(
        doc["paths"]["/api/v1/payments"]["get"].is_object()
            && doc["paths"]["/api/v1/payments:batch"]["post"].is_object()
    );

    // Unit finance on the same unit sees the individuals' details (personal class).
    let finance = s.login("unit-finance");
    let page = s.get(&format!("/api/v1/payments?unit={own}&limit=1000"), &[("Cookie", finance.as_str())]).json();
    assert!(
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|p| p["payee_type"] == "individual" && p["payee_name"].is_string()),
        "{page}"
    );

    // The department reviewer: the department's units only.
    let reviewer = s.login("department-reviewer");
    let rv = [("Cookie", reviewer.as_str())];
    let page = s.get("/api/v1/payments?limit=1000", &rv).json();
    let dept_units: Vec<&str> =
        nodes.iter().filter(|n| n["parent_code"] == department.as_str()).filter_map(|n| n["code"].as_str()).collect();
    assert!(
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|p| dept_units.contains(&p["unit_code"].as_str().unwrap_or("")))
    );
    assert_eq!(s.get(&format!("/api/v1/payments?unit={other}"), &rv).status, 403);
    let all = s.get("/api/v1/warnings?limit=1000", &[("Cookie", s.login("bureau-head").as_str())]).json();
    let foreign_warning = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|w| w["unit_code"].as_str().is_some_and(|u| !dept_units.contains(&u)))
        .and_then(|w| w["id"].as_i64())
        .expect("a warning outside the department");
    assert_eq!(s.get(&format!("/api/v1/warnings/{foreign_warning}"), &rv).status, 403);
    assert_eq!(s.get("/api/v1/warnings/999999999", &rv).status, 403);
    assert_eq!(s.get(&format!("/api/v1/warnings/{foreign_warning}"), &h).status, 403);

    // Roles without payments: a deputy reads warnings, not vouchers; the administrator and
    // a citizen read neither.
    let deputy = s.login("deputy");
    assert_eq!(s.get("/api/v1/payments", &[("Cookie", deputy.as_str())]).status, 403);
    assert_eq!(s.get("/api/v1/warnings?limit=1", &[("Cookie", deputy.as_str())]).status, 200);
    for role in ["admin", "citizen", "public"] {
        let c = s.login(role);
        assert_eq!(s.get("/api/v1/payments", &[("Cookie", c.as_str())]).status, 403, "{role}");
        assert_eq!(s.get(&format!("/api/v1/payments/{own}/PZ202500000001"), &[("Cookie", c.as_str())]).status, 403);
    }
    assert_eq!(s.get("/api/v1/warnings", &[("Cookie", s.login("citizen").as_str())]).status, 403);

    // A session's change needs its CSRF token.
    let me = s.get("/api/v1/me", &h).json();
    assert_eq!(me["user"], "unit-handler");
    assert_eq!(me["grants"][0]["level"], 5);
    let csrf = me["csrf_token"].as_str().expect("csrf").to_string();
    let indicator = s.get(&format!("/api/v1/payments?unit={own}&limit=1"), &h).json()["items"][0]["indicator_code"]
        .as_str()
        .expect("indicator")
        .to_string();
    let body = payment("API-1", own, &indicator, "100.00");
    let json = ("Content-Type", "application/json");
    let r = request(&s.addr, "POST", "/api/v1/payments", &[h[0], json], &body);
    assert_eq!(r.status, 403, "{}", r.body);
    let r = request(&s.addr, "POST", "/api/v1/payments", &[h[0], json, ("X-CSRF-Token", csrf.as_str())], &body);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["added"], 1);
    assert!(r.json()["warnings"].is_array());

    // A machine's token: ingestion only, for the user's unit only, idempotent by voucher.
    let o = bw(&db, &["user", "token", "unit-handler", "--scopes", "ingest"]);
    let token = stdout(&o).trim().to_string();
    assert!(token.starts_with("bwt_"), "{}", stdout(&o));
    let bearer = format!("Bearer {token}");
    let t = ("Authorization", bearer.as_str());
    let body = payment("API-2", own, &indicator, "200.00");
    let first = request(&s.addr, "POST", "/api/v1/payments", &[t, json], &body);
    assert_eq!(first.status, 201, "{}", first.body);
    let again = request(&s.addr, "POST", "/api/v1/payments", &[t, json], &body);
    assert_eq!(
        (again.status, again.json()["added"].clone(), again.json()["unchanged"].clone()),
        (200, 0.into(), 1.into())
    );
    // An Idempotency-Key: the retry gets the first answer, even with another voucher.
    let idem = [t, json, ("Idempotency-Key", "retry-42")];
    let first = request(&s.addr, "POST", "/api/v1/payments", &idem, &payment("API-K1", own, &indicator, "3.00"));
    assert_eq!(first.status, 201, "{}", first.body);
    let again = request(&s.addr, "POST", "/api/v1/payments", &idem, &payment("API-K2", own, &indicator, "3.00"));
    assert_eq!((again.status, again.body.clone()), (201, first.body.clone()));
    assert!(again.headers.contains("idempotent-replayed: true"), "{}", again.headers);
    let k2 = s.get(&format!("/api/v1/payments/{own}/API-K2"), &[("Cookie", finance.as_str())]);
    assert_eq!(k2.status, 404, "the replayed request recorded nothing");
    let bad = payment("API-3", own, &indicator, "1.001").replace("2025-12-30", "2025-13-01");
    let r = request(&s.addr, "POST", "/api/v1/payments", &[t, json], &bad);
    assert_eq!(r.status, 422, "{}", r.body);
    let errors = r.json()["errors"].clone();
    let fields: Vec<&str> = errors.as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    assert!(fields.contains(&"pay_date") && fields.contains(&"amount"), "{}", r.body);
    assert_eq!(r.json()["errors"][0]["row"], 1);
    // Refusals carry their codes; the status comes from the first in precedence order.
    assert_eq!(r.json()["code"], "invalid_value", "{}", r.body);
    assert!(r.json()["type"].as_str().unwrap().ends_with("/problems/invalid_value"), "{}", r.body);
    assert!(r.json()["errors"].as_array().unwrap().iter().all(|e| e["code"] == "invalid_value"), "{}", r.body);
    let refusal = |body: &str| {
        let r = request(&s.addr, "POST", "/api/v1/payments", &[t, json], body);
        (r.status, r.json()["code"].as_str().unwrap_or("").to_string(), r.body)
    };
    let changed = payment("API-2", own, &indicator, "201.00");
    let (status, code, body) = refusal(&changed);
    assert_eq!((status, code.as_str()), (409, "duplicate_key_conflict"), "{body}");
    let (status, code, body) = refusal(&payment("API-U", own, "NO-SUCH-INDICATOR", "1.00"));
    assert_eq!((status, code.as_str()), (422, "unknown_indicator"), "{body}");
    let (status, code, body) = refusal(&payment("API-F", own, &indicator, "1.00").replace("\"summary\"", "\"colour\""));
    assert_eq!((status, code.as_str()), (422, "unknown_column"), "{body}");
    let (status, code, body) =
        refusal(&payment("API-M", own, &indicator, "1.00").replace("\"payee_account\"", "\"colour\""));
    assert_eq!((status, code.as_str()), (422, "unknown_column"), "{body}");
    let r = request(&s.addr, "POST", "/api/v1/payments", &[("Content-Type", "application/json")], &changed);
    assert_eq!((r.status, r.json()["code"].as_str()), (401, Some("unauthorized")), "{}", r.body);
    let r = request(&s.addr, "POST", "/api/v1/payments", &[t, json], &payment("API-4", &other, &indicator, "1.00"));
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(s.get("/api/v1/payments", &[t]).status, 403, "the token's scopes do not include reading");
    // Many at once, committed in groups: each answered with its own outcome — recorded,
    // refused (a bad date among them refuses only itself), or unchanged (sent twice) — and
    // every answered payment is in the database.
    let handles: Vec<_> = (0..40)
        .map(|i| {
            let mut body = payment(&format!("API-P{}", i % 36), own, &indicator, "1.00");
            if i == 17 {
                body = body.replace("2025-12-30", "2025-12-32");
            }
            let (addr, bearer) = (s.addr.clone(), bearer.clone());
            std::thread::spawn(move || {
                let headers = [("Authorization", bearer.as_str()), ("Content-Type", "application/json")];
                let r = request(&addr, "POST", "/api/v1/payments", &headers, &body);
                (i, r.status, r.body)
            })
        })
        .collect();
    let mut added = 0;
    for h in handles {
        let (i, status, body) = h.join().expect("thread");
        let v: Value = serde_json::from_str(&body).expect("json");
        match (i, status) {
            (17, 422) => assert_eq!(v["errors"][0]["row"], 1, "{body}"),
            (17, _) => panic!("the bad date: {status} {body}"),
            (_, 201) => {
                assert_eq!((v["rows"].as_u64(), v["added"].as_u64()), (Some(1), Some(1)), "{body}");
                added += 1;
            }
            // A copy sent while the first was on its way is unchanged once it lands.
            (_, 200) => assert_eq!((v["added"].as_u64(), v["unchanged"].as_u64()), (Some(0), Some(1)), "{body}"),
            _ => panic!("{i}: {status} {body}"),
        }
    }
    assert_eq!(added, 35, "36 vouchers, one of them refused");
    for i in (0..36).filter(|i| *i != 17) {
        let p = s.get(&format!("/api/v1/payments/{own}/API-P{i}"), &[("Cookie", finance.as_str())]);
        assert_eq!(p.status, 200, "API-P{i}: {}", p.body);
    }
    let ndjson =
        format!("{}\n{}\n", payment("API-5", own, &indicator, "5.00"), payment("API-6", own, &indicator, "6.00"));
    let r = request(&s.addr, "POST", "/api/v1/payments:batch", &[t, ("Content-Type", "application/x-ndjson")], &ndjson);
    assert_eq!((r.status, r.json()["added"].clone()), (201, 2.into()), "{}", r.body);
    let csv = format!(
        "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary\nAPI-7,2025-12-30,{own},{indicator},30201,测试公司,62000001,company,7.00,办公用品\n"
    );
    let r = request(&s.addr, "POST", "/api/v1/payments:batch", &[t, ("Content-Type", "text/csv")], &csv);
    assert_eq!((r.status, r.json()["added"].clone()), (201, 1.into()), "{}", r.body);
    // A CSV batch missing required columns: 422 naming them, before any unit is looked at.
    let short = "voucher_no,pay_date,amount\nAPI-X,2025-12-30,7.00\n".to_string();
    let r = request(&s.addr, "POST", "/api/v1/payments:batch", &[t, ("Content-Type", "text/csv")], &short);
    assert_eq!(r.status, 422, "{}", r.body);
    let fields: Vec<String> = r.json()["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(fields.contains(&"unit_code".to_string()) && fields.contains(&"payee_account".to_string()), "{}", r.body);
    // A row with one field too many (an unquoted thousands separator) is refused, not shifted.
    let shifted = format!(
        "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary\nAPI-Y,2025-12-30,{own},{indicator},30201,测试公司,62000001,company,1,000.00,办公用品\n"
    );
    let r = request(&s.addr, "POST", "/api/v1/payments:batch", &[t, ("Content-Type", "text/csv")], &shifted);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("11 fields where the header has 10"), "{}", r.body);
    // A batch larger than the usual 2 MB request limit.
    let mut big = String::from(
        "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary\n",
    );
    for i in 0..30_000 {
        big.push_str(&format!(
            "BIG-{i:06},2025-12-30,{own},{indicator},30201,测试公司,62000001,company,0.01,办公用品\n"
        ));
    }
    assert!(big.len() > 2 << 20);
    let r = request(&s.addr, "POST", "/api/v1/payments:batch", &[t, ("Content-Type", "text/csv")], &big);
    assert_eq!((r.status, r.json()["added"].clone()), (201, 30_000.into()), "{}", &r.body[..r.body.len().min(400)]);

    // Audit reads everything and changes nothing, even when it asks.
    let auditor = s.login("audit-discipline");
    let a = [("Cookie", auditor.as_str())];
    assert_eq!(s.get(&format!("/api/v1/payments?unit={other}&limit=1"), &a).status, 200);
    let me = s.get("/api/v1/me", &a).json();
    let csrf = me["csrf_token"].as_str().expect("csrf");
    let r = request(
        &s.addr,
        "POST",
        "/api/v1/payments",
        &[a[0], json, ("X-CSRF-Token", csrf)],
        &payment("API-8", own, &indicator, "1.00"),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("segregation of duties"), "{}", r.body);

    // A warning's loop: the unit explains, a reviewer judges; nobody judges their own
    // explanation; the administrator closes nothing; steps out of order conflict.
    let open: Vec<i64> = mine["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|w| w["state"] == "open")
        .filter_map(|w| w["id"].as_i64())
        .collect();
    assert!(open.len() >= 2, "{mine}");
    let step = |cookie: &str, id: i64, step: &str| {
        let me = s.get("/api/v1/me", &[("Cookie", cookie)]).json();
        let csrf = me["csrf_token"].as_str().unwrap_or("").to_string();
        let body = serde_json::json!({"step": step, "note": "说明"}).to_string();
        let path = format!("/api/v1/warnings/{id}/steps");
        request(&s.addr, "POST", &path, &[("Cookie", cookie), json, ("X-CSRF-Token", csrf.as_str())], &body)
    };
    let r = step(&handler, open[0], "explain");
    assert_eq!((r.status, r.json()["state"].clone()), (200, "awaiting_sign_off".into()), "{}", r.body);
    assert_eq!(step(&handler, open[0], "judge_violation").status, 403, "a handler does not judge");
    assert_eq!(step(&handler, open[0], "explain").status, 409, "explained already");
    // The unit head signs the explanation off before it goes to the reviewer; nobody else.
    let r = step(&handler, open[0], "sign_off");
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("signing off a unit's explanation is reserved to the unit_head"), "{}", r.body);
    assert_eq!(step(&reviewer, open[0], "judge_violation").status, 409, "not before the sign-off");
    let unit_head = s.login("unit-head");
    let r = step(&unit_head, open[0], "sign_off");
    assert_eq!((r.status, r.json()["state"].clone()), (200, "explained".into()), "{}", r.body);
    let r = step(&reviewer, open[0], "judge_violation");
    assert_eq!((r.status, r.json()["state"].clone()), (200, "rectification_required".into()), "{}", r.body);
    let history = s.get(&format!("/api/v1/warnings/{}/history", open[0]), &h).json();
    let actors: Vec<&str> =
        history["events"].as_array().expect("events").iter().filter_map(|e| e["actor"].as_str()).collect();
    assert_eq!(actors, ["user:unit-handler", "user:unit-head", "user:department-reviewer"]);
    assert_eq!(s.get(&format!("/api/v1/warnings/{}/history", open[0]), &[("Cookie", deputy.as_str())]).status, 200);
    let admin = s.login("admin");
    assert_eq!(step(&admin, open[1], "dismiss").status, 403, "an administrator closes no warning");
    assert_eq!(step(&auditor, open[1], "explain").status, 403, "audit changes nothing");
    // One person with both hands: explains, then may not judge the explanation.
    let both = common::bw_env(&db, &["user", "add", "both-hands"], "BUDGETWATCH_PASSWORD", "both hands password");
    assert!(both.status.success());
    for role in ["unit_handler", "department_reviewer", "bureau_reviewer"] {
        let o = bw(&db, &["user", "grant", "both-hands", role, "--scope", own]);
        assert!(o.status.success());
        // bureau_reviewer waits for a second administrator: the demo's admin approves it.
        if let Some(request) = stdout(&o).strip_prefix("grant request ").and_then(|r| r.split(':').next()) {
            let o = bw(&db, &["--actor", "admin", "user", "approve-grant", request]);
            assert!(o.status.success(), "{}", stderr(&o));
        }
    }
    let r = s.try_login("both-hands", "both hands password");
    let cookie = r
        .headers
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .expect("cookie")
        .to_string();
    assert_eq!(step(&cookie, open[1], "explain").status, 200);
    let r = step(&cookie, open[1], "judge_violation");
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("segregation of duties"), "{}", r.body);
    // Nor close it as normal, nor dismiss it: whoever took a step of a warning closes none.
    let r = step(&cookie, open[1], "judge_normal");
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("segregation of duties"), "{}", r.body);
    let r = step(&cookie, open[1], "dismiss");
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("took a step of this warning and cannot also close or dismiss it"), "{}", r.body);
    // A red warning is dismissed only by the bureau head, and only with a reason.
    let everyone = s.get("/api/v1/warnings?limit=1000", &[("Cookie", head.as_str())]).json();
    let red = everyone["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|w| w["state"] == "open" && w["level"] == "red" && !open[..2].contains(&w["id"].as_i64().unwrap_or(0)))
        .and_then(|w| w["id"].as_i64())
        .expect("an open red warning");
    let bureau_reviewer = s.login("bureau-reviewer");
    let r = step(&bureau_reviewer, red, "dismiss");
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("dismissing a red warning is reserved to the bureau_head"), "{}", r.body);
    let dismiss = |note: &str| {
        let me = s.get("/api/v1/me", &[("Cookie", head.as_str())]).json();
        let csrf = me["csrf_token"].as_str().unwrap_or("").to_string();
        let body = serde_json::json!({"step": "dismiss", "note": note}).to_string();
        let path = format!("/api/v1/warnings/{red}/steps");
        request(&s.addr, "POST", &path, &[("Cookie", head.as_str()), json, ("X-CSRF-Token", csrf.as_str())], &body)
    };
    assert_eq!(dismiss("  ").status, 400, "a dismissal states its reason");
    let r = dismiss("已核实为正常的年终结算");
    assert_eq!((r.status, r.json()["state"].clone()), (200, "dismissed".into()), "{}", r.body);

    // CSRF: every unsafe route of the API, posted with a session cookie and no token — as a
    // JSON body or as the form a phishing page would send — is refused before anything else.
    let spec = s.get("/api/openapi.json", &[]).json();
    let mut tried = 0;
    for (path, ops) in spec["paths"].as_object().expect("paths") {
        if !path.starts_with("/api/") {
            continue;
        }
        let concrete: String =
            path.split('/').map(|seg| if seg.starts_with('{') { "1" } else { seg }).collect::<Vec<_>>().join("/");
        // Routes that take a caller's credentials (`token` in their security); a witness's
        // cosignature is authenticated by its signature alone.
        let with_credentials =
            |m: &str| ops[m]["security"].as_array().is_some_and(|s| s.iter().any(|x| x.get("token").is_some()));
        for method in
            ["post", "put", "patch", "delete"].iter().filter(|m| ops.get(**m).is_some() && with_credentials(m))
        {
            for (kind, body) in
                [("application/x-www-form-urlencoded", "a=1"), ("application/json", "{}"), ("text/plain", "x")]
            {
                let r = request(
                    &s.addr,
                    &method.to_uppercase(),
                    &concrete,
                    &[("Cookie", head.as_str()), ("Content-Type", kind)],
                    body,
                );
                assert_eq!(r.status, 403, "{method} {concrete} as {kind}: {}", r.body);
                assert!(r.body.contains("X-CSRF-Token"), "{method} {concrete} as {kind}: {}", r.body);
                tried += 1;
            }
        }
    }
    assert!(tried > 60, "{tried} requests");

    // Five wrong passwords from one address make that address wait for that account, also
    // with the right password; the account's owner elsewhere is not locked out. Behind a
    // proxy on this machine, the address is the one the proxy forwards.
    let from = |addr: &str, user: &str, password: &str| {
        let body = format!("user={user}&password={password}");
        request(
            &s.addr,
            "POST",
            "/login",
            &[("Content-Type", "application/x-www-form-urlencoded"), ("X-Forwarded-For", addr)],
            &body,
        )
    };
    for _ in 0..5 {
        assert_eq!(from("203.0.113.9", "citizen", "wrong-password").status, 401);
    }
    assert_eq!(from("203.0.113.9", "citizen", "wrong-password").status, 429);
    let r = from("203.0.113.9", "citizen", &s.passwords["citizen"]);
    assert_eq!(r.status, 429);
    assert!(r.body.contains("too many failed log-ins: try again after"), "{}", r.body);
    assert_eq!(from("198.51.100.7", "citizen", &s.passwords["citizen"]).status, 303);
    // A forged first address in the header changes nothing: the proxy's last one counts.
    assert_eq!(from("198.51.100.7, 203.0.113.9", "citizen", "wrong-password").status, 429);
    // Unknown accounts answer alike.
    for _ in 0..5 {
        assert_eq!(from("203.0.113.9", "nobody", "wrong-password").status, 401);
    }
    assert_eq!(from("203.0.113.9", "nobody", "wrong-password").status, 429);

    // Exports: for those with the export permission, within their reach, as CSV or XLSX.
    let file = s.get(&format!("/api/v1/exports/payments?unit={own}"), &[("Cookie", finance.as_str())]);
    assert_eq!(file.status, 200, "{}", file.body);
    assert!(
        file.headers.contains("text/csv") && file.body.starts_with("voucher_no,pay_date,unit_code"),
        "{}",
        file.headers
    );
    let lines: Vec<&str> = file.body.lines().skip(1).collect();
    assert!(lines.len() > 100 && lines.iter().all(|l| l.split(',').nth(2) == Some(own)));
    assert_eq!(s.get(&format!("/api/v1/exports/payments?unit={other}"), &[("Cookie", finance.as_str())]).status, 403);
    assert_eq!(s.get("/api/v1/exports/payments", &h).status, 403, "a handler does not export");
    let xlsx = s.get("/api/v1/exports/warnings?format=xlsx", &[("Cookie", deputy.as_str())]);
    assert!(xlsx.status == 200 && xlsx.body.starts_with("PK"), "{}", xlsx.headers);
    assert_eq!(s.get("/api/v1/exports/warnings?format=pdf", &[("Cookie", deputy.as_str())]).status, 400);

    // Revenues: recorded by whoever may record them in the region.
    let mut revenues = csv::Reader::from_path(data.join("revenues.csv")).expect("revenues.csv");
    let first = revenues.records().next().expect("a revenue").expect("row");
    let revenue = serde_json::json!({
        "record_no": "API-R-1", "date": &first[1], "region_code": &first[2], "revenue_code": &first[3], "amount": "12.34",
    })
    .to_string();
    let r = request(&s.addr, "POST", "/api/v1/revenues", &[t, json], &revenue);
    assert_eq!(r.status, 403, "a unit handler's grant does not reach the region: {}", r.body);
    let bureau =
        format!("Bearer {}", stdout(&bw(&db, &["user", "token", "bureau-reviewer", "--scopes", "ingest"])).trim());
    let r = request(&s.addr, "POST", "/api/v1/revenues", &[("Authorization", bureau.as_str()), json], &revenue);
    assert_eq!((r.status, r.json()["added"].clone()), (201, 1.into()), "{}", r.body);

    // A revoked token opens nothing.
    let id = common::stderr(&o).split_whitespace().nth(1).expect("token id").to_string();
    assert!(id.starts_with("tok_"), "{id}");
    assert!(bw(&db, &["user", "revoke-token", &id]).status.success());
    let r = request(&s.addr, "POST", "/api/v1/payments", &[t, json], &payment("API-9", own, &indicator, "1.00"));
    assert_eq!(r.status, 401, "{}", r.body);
    drop(s);
    let o = bw(&db, &["verify"]);
    assert!(o.status.success() && stdout(&o).starts_with("verified"), "{}", stdout(&o));
}

#[test]
fn grants_are_journaled_checked_and_revocable() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("g.db");
    let data = dir.path().join("data");
    let o = bw(&db, &["demo", "--no-serve", "--no-scene", "--payments", "500", "--data", data.to_str().expect("path")]);
    assert!(o.status.success());
    let add = |args: &[&str]| common::bw_env(&db, args, "BUDGETWATCH_PASSWORD", "a long enough password");
    let o = add(&["user", "add", "li.wei", "--display", "李伟", "--unit", "990000001001"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let o = add(&["user", "add", "li.wei"]);
    assert!(!o.status.success() && common::stderr(&o).contains("exists"));
    let short = common::bw_env(&db, &["user", "add", "short"], "BUDGETWATCH_PASSWORD", "short");
    assert!(common::stderr(&short).contains("at least 10 characters"));
    let o = bw(&db, &["user", "grant", "li.wei", "third_party_auditor"]);
    assert!(!o.status.success() && common::stderr(&o).contains("must end"), "{}", common::stderr(&o));
    let o = bw(&db, &["user", "grant", "li.wei", "7", "--scope", "NO-SUCH-UNIT"]);
    assert!(!o.status.success() && common::stderr(&o).contains("not in the organisation"));
    let o = bw(&db, &["user", "grant", "li.wei", "unit_head", "--scope", "990000001001"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let grant: i64 =
        stdout(&o).split_whitespace().nth(1).and_then(|g| g.trim_end_matches(':').parse().ok()).expect("grant id");
    let o = bw(&db, &["user", "grant", "li.wei", "unit_head", "--scope", "990000001001"]);
    assert!(!o.status.success() && common::stderr(&o).contains("already holds"));
    let o = bw(&db, &["user", "revoke", &grant.to_string()]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let o = bw(&db, &["user", "revoke", &grant.to_string()]);
    assert!(!o.status.success() && common::stderr(&o).contains("was revoked"));
    let list: Value = serde_json::from_str(&stdout(&bw(&db, &["user", "list", "--format", "json"]))).expect("json");
    let li = list.as_array().expect("users").iter().find(|u| u["name"] == "li.wei").expect("li.wei");
    assert_eq!(li["display_name"], "李伟");
    assert!(li["grants"][0]["revoked_by"].as_i64().is_some(), "{li}");
    // The journal holds every grant and revocation, and the tables agree with it.
    let o = bw(&db, &["verify"]);
    assert!(o.status.success(), "{}", stdout(&o));
}

/// Reads from `stream` until `want` appears or `secs` pass; what was read.
fn read_until(stream: &mut std::net::TcpStream, want: &str, secs: u64) -> String {
    use std::io::Read;
    stream.set_read_timeout(Some(std::time::Duration::from_millis(200))).expect("timeout");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while std::time::Instant::now() < deadline && !String::from_utf8_lossy(&seen).contains(want) {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    String::from_utf8_lossy(&seen).to_string()
}

fn open_stream(addr: &str, token: &str) -> std::net::TcpStream {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    write!(s, "GET /api/v1/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n").expect("send");
    let head = read_until(&mut s, "\r\n\r\n", 5);
    assert!(head.starts_with("HTTP/1.1 200") && head.contains("text/event-stream"), "{head}");
    s
}

#[test]
fn new_warnings_reach_streams_and_signed_webhooks_of_those_who_may_see_them() {
    let dir = tempfile::tempdir().expect("dir");
    let (db, data) = (dir.path().join("demo.db"), dir.path().join("data"));
    let s = demo(&db, &data);
    let own = "990000001001";
    let token =
        |user: &str, scopes: &str| stdout(&bw(&db, &["user", "token", user, "--scopes", scopes])).trim().to_string();
    let handler = token("unit-handler", "read_warnings,read_payments,ingest");
    // A reviewer of another department sees nothing of this unit.
    let nodes = s.get("/api/v1/units", &[]).json();
    let dept = nodes["items"].as_array().expect("items").iter().find(|n| n["code"] == own).expect("own")["parent_code"]
        .as_str()
        .expect("department")
        .to_string();
    let other_dept = nodes["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|n| n["kind"] == "department" && n["code"] != dept.as_str())
        .and_then(|n| n["code"].as_str())
        .expect("another department")
        .to_string();
    let add = common::bw_env(&db, &["user", "add", "elsewhere"], "BUDGETWATCH_PASSWORD", "elsewhere password");
    assert!(add.status.success());
    assert!(bw(&db, &["user", "grant", "elsewhere", "department_reviewer", "--scope", &other_dept]).status.success());
    let elsewhere = token("elsewhere", "read_warnings");

    // A webhook receiver.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let hook = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let add = common::bw_env(
        &db,
        &["webhook", "add", &hook, "--user", "unit-handler"],
        "BUDGETWATCH_WEBHOOK_SECRET",
        "sixteen+ chars secret",
    );
    assert!(add.status.success(), "{}", common::stderr(&add));
    let received = std::thread::spawn(move || {
        let (mut c, _) = listener.accept().expect("a delivery");
        let text = read_until(&mut c, "}", 30);
        use std::io::Write;
        let _ = c.write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
        text
    });

    let mut mine = open_stream(&s.addr, &handler);
    let mut theirs = open_stream(&s.addr, &elsewhere);
    // An indicator of the unit without an over-budget warning yet, then a payment beyond it.
    let warned: Vec<String> = s
        .get("/api/v1/warnings?rule=over_budget&limit=1000", &[("Authorization", &format!("Bearer {handler}"))])
        .json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|w| w["indicator_code"].as_str().map(str::to_string))
        .collect();
    let page = s
        .get(&format!("/api/v1/payments?unit={own}&limit=1000"), &[("Authorization", &format!("Bearer {handler}"))])
        .json();
    let mut candidates: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|p| p["indicator_code"].as_str())
        .filter(|i| !warned.iter().any(|w| w == i))
        .collect();
    candidates.dedup();
    let bearer = format!("Bearer {handler}");
    // Indicators under control `block` refuse the payment; one under `warn` takes it.
    let recorded = candidates.iter().any(|indicator| {
        let r = request(
            &s.addr,
            "POST",
            "/api/v1/payments",
            &[("Authorization", bearer.as_str()), ("Content-Type", "application/json")],
            &payment(&format!("PUSH-{indicator}"), own, indicator, "99999999.00"),
        );
        r.status == 201
    });
    assert!(recorded, "an over-budget payment on an indicator under control warn");
    // The payment raises its over-budget warning (and whatever else it set off).
    let got = read_until(&mut mine, "over_budget", 15);
    let line = got.lines().filter_map(|l| l.strip_prefix("data: ")).find(|l| l.contains("over_budget")).expect(&got);
    let data: Value = serde_json::from_str(line).expect("json");
    assert_eq!((data["event"].as_str(), data["unit_code"].as_str()), (Some("raised"), Some(own)), "{got}");
    assert!(got.contains("event: raised\nid: "), "{got}");
    let idle = read_until(&mut theirs, "event:", 3);
    assert!(!idle.contains("event:"), "another department's reviewer must not see it: {idle}");
    // The webhook: the same event, signed with the subscription's secret.
    let delivery = received.join().expect("receiver");
    let (head, body) = delivery.split_once("\r\n\r\n").expect("a request");
    assert!(head.starts_with("POST /hook") && head.to_lowercase().contains("x-budgetwatch-event: raised"), "{head}");
    let mac: String = bw_app::events::hmac_sha256(b"sixteen+ chars secret", body.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(head.to_lowercase().contains(&format!("x-budgetwatch-signature: sha256={mac}")), "{head}\n{body}");
    drop(s);
    assert!(bw(&db, &["verify"]).status.success());
}

/// One POST on a fresh connection that may fail (the server is being killed): the status.
fn try_post(addr: &str, token: &str, body: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(30))).ok()?;
    let req = format!(
        "POST /api/v1/payments HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    out.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_server_killed_while_payments_arrive_keeps_every_answered_one() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("k.db");
    let data = dir.path().join("data");
    let mut s = demo(&db, &data);
    let token = stdout(&bw(&db, &["user", "token", "unit-handler", "--scopes", "ingest"])).trim().to_string();
    let own = "990000001001";
    let indicator = std::fs::read_to_string(data.join("payments.csv"))
        .expect("demo payments")
        .lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f[2] == own && f[4] == "30201")
        .map(|f| f[3].to_string())
        .expect("an indicator of the unit");
    let answered = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..32)
        .map(|c| {
            let (addr, token, indicator, answered) =
                (s.addr.clone(), token.clone(), indicator.clone(), answered.clone());
            std::thread::spawn(move || {
                for i in 0..1_000 {
                    let voucher = format!("KILL-{c:02}-{i:04}");
                    let body = payment(&voucher, own, &indicator, "0.01");
                    match try_post(&addr, &token, &body) {
                        Some(201) => answered.lock().expect("lock").push(voucher),
                        Some(other) => panic!("{voucher}: {other}"),
                        None => return, // the server is gone
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let _ = s.child.kill(); // SIGKILL
    let _ = s.child.wait();
    for w in workers {
        w.join().expect("worker");
    }
    let answered = answered.lock().expect("lock").clone();
    assert!(answered.len() > 20, "payments were answered before the kill: {}", answered.len());
    // Every payment answered 201 is in the database, and the log verifies.
    let o = bw(&db, &["verify"]);
    assert!(o.status.success(), "{}", stdout(&o));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let stored: std::collections::HashSet<String> = rt.block_on(async {
        let store = bw_store::Store::open(db.to_str().expect("path"), false).await.expect("open");
        bw_store::sqlx::query("SELECT voucher_no FROM payments WHERE voucher_no LIKE 'KILL-%'")
            .fetch_all(store.pool())
            .await
            .expect("query")
            .iter()
            .map(|r| bw_store::sqlx::Row::get::<String, _>(r, 0))
            .collect()
    });
    for v in &answered {
        assert!(stored.contains(v), "{v} was answered 201 but is not in the database");
    }
    // Nothing half there: every stored payment has its journal entry (verify passed).
    assert!(stored.len() >= answered.len());
}
