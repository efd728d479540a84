//! The figures, findings and documents of the API, the cockpit's map and the inbox's saved
//! filters, through the real server on the demo province, each within the caller's grants.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{Reply, bw, request, request_bytes, stdout};
use serde_json::Value;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// Yuan text ("1234.50", "-3.00") as fen.
fn fen(v: &Value) -> i64 {
    let s = v.as_str().expect("money as text");
    let (neg, s) = s.strip_prefix('-').map_or((false, s), |r| (true, r));
    let (y, f) = s.split_once('.').unwrap_or((s, "0"));
    let v = y.parse::<i64>().expect("yuan") * 100 + format!("{f:0<2}").parse::<i64>().expect("fen");
    if neg { -v } else { v }
}

#[test]
fn figures_findings_documents_map_and_saved_filters() {
    let dir = tempfile::tempdir().expect("dir");
    let (db, data) = (dir.path().join("demo.db"), dir.path().join("data"));
    let (mut child, addr, passwords) = common::demo_server(&db, &data, "4000");
    let login = |user: &str| {
        let body = format!("user={user}&password={}", passwords[user]);
        request(&addr, "POST", "/login", &[("Content-Type", "application/x-www-form-urlencoded")], &body).cookie()
    };
    let get = |cookie: &str, path: &str| -> Reply { request(&addr, "GET", path, &[("Cookie", cookie)], "") };
    let csrf = |cookie: &str| get(cookie, "/api/v1/me").json()["csrf_token"].as_str().expect("csrf").to_string();
    let (head, handler, admin, citizen) =
        (login("bureau-head"), login("unit-handler"), login("admin"), login("citizen"));

    // Regions and the drill-down: a node's budget is its children's; anonymous callers and
    // roles without budgets get nothing.
    let regions = get(&head, "/api/v1/regions?year=2025").json();
    let items = regions["items"].as_array().expect("regions");
    assert!(!items.is_empty() && items.iter().all(|r| r["kind"] == "region"), "{regions}");
    assert_eq!(get("", "/api/v1/regions?year=2025").status, 401);
    assert_eq!(get(&citizen, "/api/v1/regions?year=2025").status, 403);
    assert_eq!(get(&head, "/api/v1/regions?year=2025&month=13").status, 400);
    let root =
        items.iter().find(|r| !items.iter().any(|o| o["code"] != r["code"] && fen(&o["budget"]) > fen(&r["budget"])));
    let root = root.expect("the largest region")["code"].as_str().unwrap().to_string();
    let level = get(&head, &format!("/api/v1/org/{root}?year=2025&month=12")).json();
    let children: i64 = level["children"].as_array().expect("children").iter().map(|c| fen(&c["budget"])).sum();
    assert_eq!(children, fen(&level["node"]["budget"]), "children add up to the node");

    // Indicators: a unit handler's are its unit's, paged; another unit's are refused.
    let unit = "990000001001";
    let page = get(&handler, "/api/v1/indicators?year=2025&limit=2").json();
    let first: Vec<&Value> = page["items"].as_array().expect("items").iter().collect();
    assert_eq!(first.len(), 2, "{page}");
    assert!(first.iter().all(|i| i["unit_code"] == unit), "{page}");
    let next = page["next"].as_str().expect("more than two");
    let page2 = get(&handler, &format!("/api/v1/indicators?year=2025&limit=1000&after={next}")).json();
    let rest = page2["items"].as_array().expect("items");
    assert!(rest.iter().all(|i| i["code"].as_str().unwrap() > next && i["unit_code"] == unit));
    let paid: i64 = first.iter().copied().chain(rest.iter()).map(|i| fen(&i["paid"])).sum();
    let unit_level = get(&handler, &format!("/api/v1/org/{unit}?year=2025")).json();
    assert_eq!(paid, fen(&unit_level["node"]["paid"]), "the unit's indicators add up to the unit");
    let code = first[0]["code"].as_str().unwrap();
    let one = get(&handler, &format!("/api/v1/indicators/{code}?year=2025")).json();
    assert_eq!(one["indicator"]["budget"], first[0]["budget"]);
    let everything = get(&head, "/api/v1/indicators?year=2025&limit=1000").json();
    let other =
        everything["items"].as_array().unwrap().iter().find(|i| i["unit_code"] != unit).expect("another unit's");
    let (other_code, other_unit) = (other["code"].as_str().unwrap(), other["unit_code"].as_str().unwrap());
    assert_eq!(get(&handler, &format!("/api/v1/indicators?year=2025&unit={other_unit}")).status, 403);
    assert_eq!(get(&handler, &format!("/api/v1/indicators/{other_code}?year=2025")).status, 403);
    assert_eq!(get(&handler, "/api/v1/indicators/NO-SUCH?year=2025").status, 403, "existence is not told");

    // The audit's findings join the inbox; /findings holds them and only them.
    let o = bw(&db, &["audit"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let all = get(&head, "/api/v1/warnings?limit=1000").json();
    let findings = get(&head, "/api/v1/findings?limit=1000").json();
    let warnings = get(&head, "/api/v1/warnings?kind=warning&limit=1000").json();
    let count = |v: &Value| v["items"].as_array().expect("items").len();
    assert!(all["next"].is_null() && findings["next"].is_null());
    assert!(count(&findings) > 0 && count(&warnings) > 0, "both kinds in the demo");
    assert_eq!(count(&findings) + count(&warnings), count(&all));
    assert_eq!(get(&head, "/api/v1/warnings?kind=finding&limit=1000").json()["items"], findings["items"]);
    let finding_rules: std::collections::BTreeSet<&str> =
        findings["items"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(warnings["items"].as_array().unwrap().iter().all(|w| !finding_rules.contains(w["rule"].as_str().unwrap())));
    let fid = findings["items"][0]["id"].as_i64().unwrap();
    let wid = warnings["items"][0]["id"].as_i64().unwrap();
    assert_eq!(get(&head, &format!("/api/v1/findings/{fid}")).json()["id"], fid);
    assert_eq!(get(&head, &format!("/api/v1/findings/{wid}")).status, 404, "a warning is not a finding");
    assert_eq!(get(&head, &format!("/api/v1/findings/{fid}/history")).status, 200);
    assert_eq!(get(&head, "/api/v1/warnings?kind=other").status, 400);
    let r = get(&head, "/inbox?kind=finding");
    assert!(r.body.contains(&format!("/warning/{fid}")) && !r.body.contains(&format!("\"/warning/{wid}\"")));

    // A voucher's image: attached by the unit's handler, read by those who may read its
    // payments, shown on the voucher's page.
    let p = get(&handler, &format!("/api/v1/payments?unit={unit}&limit=1")).json();
    let voucher = p["items"][0]["voucher_no"].as_str().expect("a payment").to_string();
    let path = format!("/api/v1/payments/{unit}/{voucher}/documents?name=%E5%8F%91%E7%A5%A8.png");
    let token = csrf(&handler);
    let hs = [("Cookie", handler.as_str()), ("X-CSRF-Token", token.as_str()), ("Content-Type", "image/png")];
    let (status, _, body) = request_bytes(&addr, "POST", &path, &hs, PNG);
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let id = serde_json::from_slice::<Value>(&body).unwrap()["id"].as_i64().expect("id");
    let (status, _, body) = request_bytes(&addr, "POST", &path, &hs, b"<svg onload=alert(1)/>");
    assert_eq!(status, 422, "{}", String::from_utf8_lossy(&body));
    let (status, headers, bytes) =
        request_bytes(&addr, "GET", &format!("/api/v1/documents/{id}"), &[("Cookie", &head)], b"");
    assert_eq!((status, bytes.as_slice()), (200, PNG));
    assert!(headers.to_lowercase().contains("content-type: image/png") && headers.contains("nosniff"), "{headers}");
    assert_eq!(get(&citizen, &format!("/api/v1/documents/{id}")).status, 403);
    assert_eq!(get(&head, "/api/v1/documents/999999999").status, 403);
    let listed = get(&head, &format!("/api/v1/payments/{unit}/{voucher}/documents")).json();
    assert_eq!(listed["items"][0]["name"], "发票.png");
    let page = get(&head, &format!("/voucher/{unit}/{voucher}"));
    assert!(page.body.contains(&format!("<img src=\"/document/{id}\"")), "{}", page.body);
    // The head may read it, but not record payments: no form, and a post is refused.
    assert!(!page.body.contains("id=attach"));
    let token = csrf(&head);
    let hs = [("Cookie", head.as_str()), ("X-CSRF-Token", token.as_str()), ("Content-Type", "image/png")];
    assert_eq!(request_bytes(&addr, "POST", &path, &hs, PNG).0, 403);

    // Region boundaries from the administrator: the cockpit draws the map.
    let codes: Vec<&str> = items.iter().map(|r| r["code"].as_str().unwrap()).collect();
    let features: Vec<String> = codes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let x = 110.0 + i as f64;
            format!(
                r#"{{"type":"Feature","properties":{{"code":"{c}"}},"geometry":{{"type":"Polygon","coordinates":[[[{x},30],[{},30],[{},31],[{x},31],[{x},30]]]}}}}"#,
                x + 1.0,
                x + 1.0
            )
        })
        .collect();
    let geo = format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, features.join(","));
    let post_geo = |cookie: &str, body: &str| {
        let token = csrf(cookie);
        let hs = [("Cookie", cookie), ("X-CSRF-Token", token.as_str()), ("Content-Type", "application/geo+json")];
        request(&addr, "POST", "/api/v1/boundaries?name=regions.geojson", &hs, body)
    };
    assert_eq!(post_geo(&handler, &geo).status, 403);
    let bad = geo.replace(codes[0], unit);
    let r = post_geo(&admin, &bad);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.json()["detail"].as_str().unwrap().contains("is not a region"));
    assert_eq!(post_geo(&admin, &geo).status, 201);
    let cockpit = get(&head, "/?year=2025");
    assert!(cockpit.body.contains("class=\"chart map\""), "the map is drawn");
    assert!(codes.iter().all(|c| cockpit.body.contains(&format!("<a href=\"/org/{c}?"))), "every region leads on");

    // Saved filters: the inbox offers them back to their owner only.
    let token = csrf(&head);
    let form = format!("csrf={token}&level=red&kind=finding&name=%E7%BA%A2%E8%89%B2");
    let r = request(
        &addr,
        "POST",
        "/inbox/filters",
        &[("Cookie", &head), ("Content-Type", "application/x-www-form-urlencoded")],
        &form,
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let inbox = get(&head, "/inbox");
    assert!(inbox.body.contains("href=\"/inbox?kind=finding&level=red\">红色</a>"), "{}", inbox.body);
    let reviewer = login("bureau-reviewer");
    assert!(!get(&reviewer, "/inbox").body.contains(">红色</a>"), "another user's");
    let r = request(
        &addr,
        "POST",
        "/inbox/filters",
        &[("Cookie", &head), ("Content-Type", "application/x-www-form-urlencoded")],
        "csrf=wrong&name=x",
    );
    assert_eq!(r.status, 403);

    // A classified project: hidden from the unit's handler (internal class) and from the
    // portal, which counts it; the bureau head (classified class) still sees it.
    let mine = get(&head, &format!("/api/v1/indicators?year=2025&unit={unit}&limit=1000")).json();
    let secret = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["project"].is_string() && fen(&i["paid"]) > 0)
        .expect("an indicator of a project with payments");
    let (secret_code, project) = (secret["code"].as_str().unwrap(), secret["project"].as_str().unwrap());
    let public_before = get("", "/api/v1/public?year=2025").json();
    assert!(public_before["projects"].as_array().unwrap().iter().any(|p| p["code"] == project));
    let o = bw(&db, &["--reason", "国家秘密", "project", "classify", project]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let again = bw(&db, &["project", "classify", project]);
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("already classified"));
    assert_eq!(get(&handler, &format!("/api/v1/indicators/{secret_code}?year=2025")).status, 403);
    let listed = get(&handler, "/api/v1/indicators?year=2025&limit=1000").json();
    assert!(listed["items"].as_array().unwrap().iter().all(|i| i["code"] != secret_code));
    let paid = get(&handler, &format!("/api/v1/payments?unit={unit}&indicator={secret_code}")).json();
    assert_eq!(paid["items"].as_array().unwrap().len(), 0, "{paid}");
    assert_eq!(get(&handler, &format!("/indicator/{secret_code}?year=2025")).status, 403);
    assert_eq!(get(&head, &format!("/api/v1/indicators/{secret_code}?year=2025")).status, 200);
    let seen = get(&head, &format!("/api/v1/payments?unit={unit}&indicator={secret_code}")).json();
    assert!(!seen["items"].as_array().unwrap().is_empty());
    let public = get("", "/api/v1/public?year=2025").json();
    assert!(public["projects"].as_array().unwrap().iter().all(|p| p["code"] != project));
    assert_eq!(public["classified_projects"], 1);
    assert!(get("", "/public?year=2025").body.contains("id=classified"));

    let _ = child.kill();
    let _ = child.wait();
    let o = bw(&db, &["verify"]);
    assert!(o.status.success(), "{}", stdout(&o));
}
