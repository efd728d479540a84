//! The governance loop on the pages and the API of the real demo server: the meetings list, a
//! meeting with its agenda pack, held, minuted and signed by the chair on the page, its
//! minutes as PDF and its OParl export; the action inbox, where the owner reports an item
//! done and the follower verifies it; the contract's milestone ladder and its status.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{request, urlencode};

#[test]
fn a_meeting_is_held_minuted_and_signed_on_the_pages_and_its_actions_are_followed() {
    let dir = tempfile::tempdir().expect("dir");
    let (db, data) = (dir.path().join("demo.db"), dir.path().join("data"));
    let (mut child, addr, passwords) = common::demo_server(&db, &data, "4000");
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let login = |user: &str| {
        let body = format!("user={user}&password={}", passwords[user]);
        let r = request(&addr, "POST", "/login", &[form], &body);
        assert_eq!(r.status, 303, "{}", r.body);
        r.cookie()
    };
    let get = |cookie: &str, path: &str| request(&addr, "GET", path, &[("Cookie", cookie)], "");
    let csrf_of = |cookie: &str| {
        let me = request(&addr, "GET", "/api/v1/me", &[("Cookie", cookie)], "").json();
        me["csrf_token"].as_str().expect("csrf").to_string()
    };
    let head = login("bureau-head");
    let list = get(&head, "/meetings");
    assert_eq!(list.status, 200);
    assert!(list.body.contains("2025年12月预算执行分析会") && list.body.contains("月度分析会"), "{}", list.body);
    assert!(list.body.contains("会议督办"), "in the navigation");
    assert_eq!(get("", "/meetings").status, 403, "not for the anonymous");

    // The December review: its pack on the page, the October action item carried over.
    let meetings = request(&addr, "GET", "/api/v1/meetings", &[("Cookie", head.as_str())], "").json();
    let december = meetings.as_array().unwrap().iter().find(|m| m["period"] == "2025-12").unwrap().clone();
    let id = december["id"].as_i64().unwrap();
    let page = get(&head, &format!("/meeting/{id}"));
    assert!(
        page.body.contains("议程包") && page.body.contains("督办事项：逐项核实逾期未整改的预警并督促整改"),
        "{}",
        page.body
    );
    assert!(page.body.contains("万元") && !page.body.contains("2025-12预算"), "amounts in 万元, the period in Chinese");

    // Held, minuted (the carried item given to the department again), signed by the chair.
    let reviewer = login("bureau-reviewer");
    let rcsrf = csrf_of(&reviewer);
    let act = |cookie: &str, body: String| {
        request(&addr, "POST", &format!("/meeting/{id}"), &[("Cookie", cookie), form], &body)
    };
    let r = act(
        &reviewer,
        format!("csrf={rcsrf}&op=hold&present={}", urlencode("bureau-head；bureau-reviewer；department-reviewer")),
    );
    assert_eq!(r.status, 303);
    assert!(r.headers.contains("done="), "{}", r.headers);
    let agenda = december["agenda"].as_array().unwrap();
    let mut body = format!("csrf={rcsrf}&op=minutes");
    for a in agenda {
        let n = a["number"].as_u64().unwrap();
        if a["source"].as_str().unwrap().starts_with("action:") {
            body += &format!(
                "&o{n}=action&x{n}={}&ow{n}=department-reviewer&fo{n}=bureau-reviewer&du{n}=2026-01-31",
                urlencode("年底前完成全部逾期整改")
            );
        } else {
            body += &format!("&o{n}=information&x{n}=");
        }
    }
    let r = act(&reviewer, body);
    assert!(r.headers.contains("done="), "{}", r.headers);
    let hcsrf = csrf_of(&head);
    let r = act(&head, format!("csrf={hcsrf}&op=approve&password=wrong"));
    assert!(r.headers.contains("error="), "a wrong signing password is refused");
    let r = act(&head, format!("csrf={hcsrf}&op=approve&password={}", urlencode(&passwords["bureau-head"])));
    assert!(r.headers.contains("done="), "{}", r.headers);
    let page = get(&head, &format!("/meeting/{id}"));
    assert!(page.body.contains("纪要已签批") && page.body.contains("minutes.pdf"), "{}", page.body);
    let pdf = get(&head, &format!("/meeting/{id}/minutes.pdf"));
    assert_eq!(pdf.status, 200);
    assert!(pdf.headers.contains("application/pdf") && pdf.body.starts_with("%PDF"), "{}", pdf.headers);
    let oparl = request(&addr, "GET", &format!("/api/v1/meetings/{id}/oparl"), &[("Cookie", head.as_str())], "").json();
    assert_eq!(oparl["meetingState"], "durchgeführt");
    assert!(oparl["resultsProtocol"]["accessUrl"].as_str().unwrap().ends_with("/minutes.pdf"));

    // The department reports the new item done; the owner cannot verify it, the follower does.
    let dept = login("department-reviewer");
    let item = format!("{id}{:02}", agenda.len());
    let inbox = get(&dept, "/actions");
    assert!(inbox.body.contains("年底前完成全部逾期整改"), "{}", inbox.body);
    let dcsrf = csrf_of(&dept);
    let post = |cookie: &str, body: String| request(&addr, "POST", "/actions", &[("Cookie", cookie), form], &body);
    let r = post(&dept, format!("csrf={dcsrf}&op=done&item={item}&text={}", urlencode("已全部整改")));
    assert!(r.headers.contains("done="), "{}", r.headers);
    let r = post(&dept, format!("csrf={dcsrf}&op=verify&item={item}"));
    assert!(r.headers.contains("error="), "the owner does not verify: {}", r.headers);
    let r = post(&reviewer, format!("csrf={rcsrf}&op=verify&item={item}"));
    assert!(r.headers.contains("done="), "{}", r.headers);
    let items = request(&addr, "GET", "/api/v1/action-items", &[("Cookie", dept.as_str())], "").json();
    let it = items.as_array().unwrap().iter().find(|i| i["id"].as_i64() == item.parse().ok()).unwrap();
    assert_eq!(it["state"], "verified");

    // The scene's contract: its ladder on the page, its status over the API.
    let status = request(&addr, "GET", "/api/v1/meetings", &[("Cookie", head.as_str())], "");
    assert_eq!(status.status, 200);
    let contracts = std::fs::read_to_string(data.join("contracts.csv")).unwrap();
    let with_plan = contracts
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .find(|no| {
            request(&addr, "GET", &format!("/api/v1/contracts/{no}/milestones"), &[("Cookie", head.as_str())], "")
                .status
                == 200
        })
        .expect("the scene's milestone contract");
    let s =
        request(&addr, "GET", &format!("/api/v1/contracts/{with_plan}/milestones"), &[("Cookie", head.as_str())], "")
            .json();
    assert_eq!(s["milestones"].as_array().unwrap().len(), 4);
    assert_ne!(s["held"], "0.00", "the balance paid beyond the released milestones is held");
    // The bureau's reviewer claims the retention with a document kept as evidence.
    let dcsrf2 = csrf_of(&reviewer);
    let up = request(
        &addr,
        "POST",
        &format!("/api/v1/contracts/{with_plan}/milestones/4/evidence?name={}", urlencode("质保期验收.pdf")),
        &[("Cookie", reviewer.as_str()), ("X-CSRF-Token", dcsrf2.as_str()), ("Content-Type", "application/pdf")],
        "%PDF-1.4\n质保期验收报告",
    );
    assert_eq!(up.status, 200, "{}", up.body);
    let sha = up.json()["sha256"].as_str().unwrap().to_string();
    let claim = request(
        &addr,
        "POST",
        &format!("/api/v1/contracts/{with_plan}/milestones/4"),
        &[("Cookie", reviewer.as_str()), ("X-CSRF-Token", dcsrf2.as_str()), ("Content-Type", "application/json")],
        &format!(r#"{{"op": "submit", "evidence": ["{sha}"]}}"#),
    );
    assert_eq!(claim.status, 200, "{}", claim.body);
    let ladder = get(&head, &format!("/contract/{with_plan}"));
    assert!(ladder.body.contains("质保期验收.pdf"), "the evidence is linked from the ladder");
    assert!(
        ladder.body.contains("质保金") && ladder.body.contains("已验收") && ladder.body.contains("暂停支付"),
        "{}",
        ladder.body
    );
    // Reviews and cases: the planted earlier reviews found by their words; the repeats
    // listed; the scene's open review's lessons on the budget page; similar cases beside a
    // warning.
    let found = get(&head, &format!("/cases?q={}", urlencode("分批采购办公家具规避政府采购限额")));
    assert!(found.body.contains("办公家具化整为零采购") && found.body.contains("屡审屡犯"), "{}", found.body);
    let reviews_page = get(&head, "/reviews");
    assert!(
        reviews_page.body.contains("年度预算执行问题复盘") && reviews_page.body.contains("R2021-01"),
        "{}",
        reviews_page.body
    );
    let rid = reviews_page.body.split("/review/").nth(1).and_then(|s| s.split(['?', '"']).next()).unwrap().to_string();
    let pdf = get(&head, &format!("/review/{rid}/report.pdf"));
    assert!(pdf.status == 200 && pdf.body.starts_with("%PDF"), "{}", pdf.headers);
    let budget = get(&head, "/budget/2026");
    assert!(budget.body.contains("编制时须吸取的教训") && budget.body.contains("用款计划按月编报"), "{}", budget.body);
    let inbox = request(&addr, "GET", "/api/v1/warnings?rule=split_purchase", &[("Cookie", head.as_str())], "").json();
    let w = inbox["items"].as_array().and_then(|a| a.first()).expect("a split-purchase warning");
    let page = get(&head, &format!("/warning/{}", w["id"]));
    assert!(page.body.contains("相似案例") && page.body.contains("规避政府采购"), "{}", page.body);
    let api = request(
        &addr,
        "GET",
        &format!("/api/v1/cases?q={}", urlencode("专项资金闲置")),
        &[("Cookie", head.as_str())],
        "",
    )
    .json();
    assert!(api.as_array().unwrap().iter().any(|c| c["reference"] == "R2025-07"), "{api}");
    // A major matter reported on the page: routed by the thresholds.
    let body = format!(
        "csrf={hcsrf}&op=submit&unit=990000001001&title={}&amount=1200000.00&budget=&spend=&category=&background=a&impact=b&alternatives=c",
        urlencode("购置执法车辆")
    );
    let r = request(&addr, "POST", "/matters", &[("Cookie", head.as_str()), form], &body);
    assert!(r.headers.contains("done="), "{}", r.headers);
    let page = get(&head, "/matters");
    assert!(page.body.contains("购置执法车辆") && page.body.contains("财政局负责人"), "{}", page.body);
    // On the public portal: the milestones' progress, without the supplier or its account.
    let line = contracts.lines().find(|l| l.starts_with(&format!("{with_plan},"))).unwrap().to_string();
    let fields: Vec<&str> = line.split(',').collect();
    let public = request(&addr, "GET", "/public?year=2025", &[], "").body;
    let section = public.split("<h2 id=milestones>").nth(1).and_then(|s| s.split("<h2 ").next()).expect("milestones");
    assert!(section.contains("质保金") && section.contains("已验收"), "{section}");
    assert!(!public.contains(fields[4]) && !section.contains(fields[3]), "no supplier, no account");
    child.kill().ok();
}
