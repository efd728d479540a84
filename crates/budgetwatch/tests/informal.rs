//! Informal communications from the command line: recorded at the time the command runs,
//! late after 24 clock hours, never a decision, no account or ID number; rebuilt by verify.

mod common;
use common::*;

fn rfc3339(secs: i64) -> String {
    bw_core::Timestamp(secs).to_string()
}

#[allow(clippy::disallowed_methods)] // the test sets the occurrence against the clock the command reads
fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[test]
fn informal_records_are_late_after_24_hours_and_never_a_decision() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("informal.db");
    let data = dir.path().join("data");
    let o =
        bw(&db, &["demo", "--no-serve", "--no-scene", "--payments", "3000", "--data", data.to_str().expect("path")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let record = |occurred: &str, purpose: &str, conclusion: &str| {
        bw(
            &db,
            &[
                "informal",
                "record",
                "--occurred",
                occurred,
                "--channel",
                "phone",
                "--participants",
                "张三;李四",
                "--purpose",
                purpose,
                "--conclusion",
                conclusion,
                "--indicator",
                "ZB99000000100101",
                "--year",
                "2025",
            ],
        )
    };
    let day = 24 * 3600;
    // A minute inside the 24 hours (with its offset), and a minute past them.
    let inside = bw_core::Timestamp(now() - day + 60);
    let local = format!("{}+00:00", inside.to_string().trim_end_matches('Z'));
    let o = record(&local, "consultation", "就办公设备购置指标的调剂口径交换意见");
    assert!(o.status.success() && !stdout(&o).contains("late"), "{}{}", stdout(&o), stderr(&o));
    let o = record(&rfc3339(now() - day - 60), "pre_communication", "预先沟通下季度用款计划");
    assert!(o.status.success() && stdout(&o).contains("late"), "{}{}", stdout(&o), stderr(&o));
    // Refused, with their codes: a decision, an account number, an unknown indicator.
    let o = record(&rfc3339(now() - 60), "decision", "同意调剂");
    assert!(!o.status.success() && stderr(&o).contains("informal_record_is_not_a_decision"), "{}", stderr(&o));
    let o = record(&rfc3339(now() - 60), "consultation", "款项请汇至 6222 0200 1234 5678 901");
    assert!(!o.status.success() && stderr(&o).contains("sensitive_data_in_informal_record"), "{}", stderr(&o));
    let o = record(&rfc3339(now() + 3600), "consultation", "明天的事");
    assert!(!o.status.success() && stderr(&o).contains("informal_occurred_after_recording"), "{}", stderr(&o));
    let o = bw(
        &db,
        &[
            "informal",
            "record",
            "--occurred",
            &rfc3339(now()),
            "--channel",
            "phone",
            "--participants",
            "张三",
            "--purpose",
            "consultation",
            "--conclusion",
            "x",
            "--indicator",
            "NOPE",
            "--year",
            "2025",
        ],
    );
    assert!(!o.status.success() && stderr(&o).contains("unknown_budget_item"), "{}", stderr(&o));
    let o = bw(&db, &["informal", "list", "--format", "json"]);
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let lates: Vec<bool> = list.as_array().expect("array").iter().filter_map(|r| r["late"].as_bool()).collect();
    assert_eq!(lates, [true, false], "newest first: {list}");
    assert_eq!(list[1]["participants"], serde_json::json!(["张三", "李四"]), "{list}");
    assert_eq!(list[1]["occurred_at"].as_str(), Some(inside.to_string().as_str()), "{list}");
    assert!(list[0]["recorded_by"].is_string() && list[0]["purpose"] == "pre_communication", "{list}");
    let o = bw(&db, &["verify"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn informal_records_on_the_page_and_over_the_api() {
    let dir = tempfile::tempdir().expect("dir");
    let (db, data) = (dir.path().join("demo.db"), dir.path().join("data"));
    let (mut child, addr, passwords) = common::demo_server(&db, &data, "3000");
    let login = |user: &str| {
        let body = format!("user={user}&password={}", passwords[user]);
        request(&addr, "POST", "/login", &[("Content-Type", "application/x-www-form-urlencoded")], &body).cookie()
    };
    let get = |cookie: &str, path: &str| request(&addr, "GET", path, &[("Cookie", cookie)], "");
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let finance = login("unit-finance");
    let page = get(&finance, "/informal").body;
    assert!(page.contains("id=add-informal") && page.contains("24 小时内"), "{page}");
    // The demo's scene: the unit's handler recorded two today, one of the day before
    // yesterday, late.
    assert!(page.contains("与财政局业务处室预沟通") && page.contains("class=overdue>迟报"), "{page}");
    let csrf = page.split("name=csrf value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf").to_string();
    // The form's local time (Beijing) a minute ago: on time.
    let local = bw_core::Timestamp(now() + 8 * 3600 - 60).to_string();
    let occurred = &local[..16];
    let body = format!(
        "csrf={csrf}&occurred={occurred}&channel=wechat&purpose=pre_communication&participants={}&item={}&conclusion={}",
        common::urlencode("张三；李四"),
        common::urlencode("2025 ZB99000000100101"),
        common::urlencode("预先沟通办公设备购置指标调剂事项")
    );
    let r = request(&addr, "POST", "/informal", &[("Cookie", finance.as_str()), form], &body);
    assert!(r.headers.contains("done="), "{}", r.headers);
    let page = get(&finance, "/informal").body;
    let mine = page.split("<tr id=").find(|row| row.contains("预先沟通办公设备购置指标调剂事项")).unwrap_or("");
    assert!(mine.contains("微信") && mine.contains("预沟通") && !mine.contains("迟报"), "on time: {mine}");
    // A decision is refused, in Chinese.
    let body = body.replace("pre_communication", "decision");
    let r = request(&addr, "POST", "/informal", &[("Cookie", finance.as_str()), form], &body);
    let location = r.headers.lines().find_map(|l| l.strip_prefix("location: ")).unwrap_or("").to_string();
    assert!(get(&finance, &location).body.contains("不能作出决定"), "{location}");
    // Over the API: a late record (two days ago), and an account number refused with its code.
    let json = ("Content-Type", "application/json");
    let post = |body: &str| {
        request(
            &addr,
            "POST",
            "/api/v1/informal",
            &[("Cookie", finance.as_str()), ("X-CSRF-Token", csrf.as_str()), json],
            body,
        )
    };
    let late = format!(
        r#"{{"occurred_at": "{}", "channel": "phone", "participants": ["王五"], "purpose": "consultation", "conclusion": "咨询用款计划口径", "year": 2025, "indicator_code": "ZB99000000100101"}}"#,
        bw_core::Timestamp(now() - 2 * 86_400)
    );
    let r = post(&late);
    assert_eq!((r.status, r.json()["late"].clone()), (200, serde_json::json!(true)), "{}", r.body);
    let r = post(&late.replace("咨询用款计划口径", "收款账号 6222020012345678901"));
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["code"], "sensitive_data_in_informal_record", "{}", r.body);
    let listed = get(&finance, "/api/v1/informal").json();
    let lates: Vec<bool> = listed
        .as_array()
        .expect("array")
        .iter()
        .filter(|r| r["recorded_by"] == "user:unit-finance")
        .filter_map(|r| r["late"].as_bool())
        .collect();
    assert_eq!(lates, [true, false], "{listed}");
    // The bureau's reviewer reads them all (the scene's two and these); a citizen nothing.
    assert_eq!(get(&login("bureau-reviewer"), "/api/v1/informal").json().as_array().map(Vec::len), Some(4));
    assert_eq!(get("", "/api/v1/informal").status, 401);
    let _ = child.kill();
    let _ = child.wait();
}
