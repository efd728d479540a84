//! The people's pages through the real server: the cockpit's drill-down to a voucher, the
//! inbox and a warning's page with its actions, each within the caller's grants.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::request;

fn href_after<'a>(body: &'a str, prefix: &str) -> Option<&'a str> {
    let at = body.find(&format!("href=\"{prefix}"))? + 6;
    body[at..].split('"').next()
}

#[test]
fn drill_from_the_cockpit_to_a_voucher_and_act_on_a_warning() {
    let dir = tempfile::tempdir().expect("dir");
    let (db, data) = (dir.path().join("demo.db"), dir.path().join("data"));
    let (mut child, addr, passwords) = common::demo_server(&db, &data, "4000");
    let login = |user: &str| {
        let body = format!("user={user}&password={}", passwords[user]);
        let r = request(&addr, "POST", "/login", &[("Content-Type", "application/x-www-form-urlencoded")], &body);
        assert_eq!(r.status, 303, "{}", r.body);
        r.headers
            .lines()
            .find_map(|l| l.strip_prefix("set-cookie: "))
            .and_then(|c| c.split(';').next())
            .expect("cookie")
            .to_string()
    };
    let get = |cookie: &str, path: &str| request(&addr, "GET", path, &[("Cookie", cookie)], "");

    // Anonymous: the region overview and a way to log in, nothing to drill into.
    let r = get("", "/?year=2025");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("/login") && !r.body.contains("href=\"/org/"), "anonymous pages do not drill");
    assert_eq!(get("", "/org/990000?year=2025").status, 403);

    // The bureau head drills: cockpit → region → … → unit → indicator → voucher.
    let head = login("bureau-head");
    let r = get(&head, "/?year=2025");
    assert!(r.body.contains("重点领域支出") && r.body.contains("class=\"chart treemap\""), "the cockpit's extras");
    assert!(r.body.contains("href=\"/inbox?level="), "warnings by level lead to the inbox");
    let mut path = href_after(&r.body, "/org/").expect("a region link").replace("&amp;", "&");
    let mut unit_page = None;
    for _ in 0..6 {
        let r = get(&head, &path);
        assert_eq!(r.status, 200, "{path}");
        if let Some(ind) = href_after(&r.body, "/indicator/") {
            unit_page = Some((path.clone(), ind.replace("&amp;", "&")));
            break;
        }
        // Down the first child row.
        let rows = r.body.split("<tbody>").nth(1).expect("children table");
        let at = rows.find("href=\"/org/").expect("a child") + 6;
        path = rows[at..].split('"').next().expect("href").replace("&amp;", "&");
    }
    let (_unit_path, indicator) = unit_page.expect("reached a unit with indicators");
    let r = get(&head, &indicator);
    assert_eq!(r.status, 200);
    let voucher = href_after(&r.body, "/voucher/").expect("a voucher").replace("&amp;", "&");
    let r = get(&head, &voucher);
    assert_eq!(r.status, 200, "{voucher}");
    assert!(r.body.contains("支付凭证") && r.body.contains("inclusion"), "{}", r.body);

    // A unit handler: its unit's page, not its department's; vouchers elsewhere refused.
    let handler = login("unit-handler");
    assert_eq!(get(&handler, "/org/990000001001?year=2025").status, 200);
    assert_eq!(get(&handler, "/org/990000001?year=2025").status, 403);
    // Whether the voucher exists or not, another unit's is refused before it is looked up.
    assert_eq!(get(&handler, "/voucher/990000002001/PZ202500000001").status, 403);

    // The inbox: only the handler's unit; a warning's page offers what the role may do.
    let r = get(&handler, "/inbox?state=open");
    assert_eq!(r.status, 200);
    let warning = href_after(&r.body, "/warning/").expect("an open warning").to_string();
    let r = get(&handler, &warning);
    assert!(r.body.contains("value=\"explain\"") && !r.body.contains("value=\"judge_violation\""), "{}", r.body);
    let csrf = r.body.split("name=csrf value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf").to_string();
    let id = warning.trim_start_matches("/warning/").split('?').next().expect("id").to_string();
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let bad = request(
        &addr,
        "POST",
        &format!("/warning/{id}/step"),
        &[("Cookie", handler.as_str()), form],
        "csrf=wrong&step=explain&note=x",
    );
    assert_eq!(bad.status, 403);
    let ok = request(
        &addr,
        "POST",
        &format!("/warning/{id}/step"),
        &[("Cookie", handler.as_str()), form],
        &format!("csrf={csrf}&step=explain&note=%E5%B7%B2%E6%A0%B8%E5%AE%9E"),
    );
    assert_eq!(ok.status, 303, "{}", ok.body);
    let r = get(&handler, &format!("/warning/{id}"));
    assert!(
        r.body.contains("user:unit-handler") && r.body.contains("已核实") && r.body.contains("explained"),
        "{}",
        r.body
    );
    // The reviewer sees the judgement buttons now.
    let reviewer = login("department-reviewer");
    let r = get(&reviewer, &format!("/warning/{id}"));
    assert!(r.body.contains("value=\"judge_violation\""), "{}", r.body);
    // Import: for those who record payments.
    assert_eq!(get(&handler, "/import").status, 200);
    assert_eq!(get(&login("deputy"), "/import").status, 403);
    let _ = child.kill();
    let _ = child.wait();
    let o = common::bw(&db, &["verify"]);
    assert!(o.status.success(), "{}", common::stdout(&o));
}
