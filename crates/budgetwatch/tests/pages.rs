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
    // What a leader reads first: the largest payments under warning and the indicators at
    // or over their amount, by name; no raw rule, level or state ids in the visible text.
    let main = r.body.split("<main>").nth(1).unwrap_or(&r.body);
    let text: String = main.split('<').filter_map(|p| p.split_once('>').map(|(_, t)| t)).collect();
    assert!(text.contains("金额最大的疑点支付") && text.contains("超预算及接近额度的指标"), "{text}");
    for id in ["over_budget", "split_purchase", "ahead_of_schedule", "red", "orange", "yellow", "open", "journal"] {
        assert!(!text.contains(id), "{id} shows on the cockpit: {text}");
    }
    let suspicious = main.split("金额最大的疑点支付").nth(1).expect("the section");
    let voucher = href_after(suspicious, "/voucher/").expect("a payment under warning").replace("&amp;", "&");
    assert_eq!(get(&head, &voucher).status, 200, "{voucher}");
    // The reports download from the pages: the execution report from the cockpit, the
    // closing report from the year's budget page.
    let reports = main.split("id=reports>").nth(1).expect("the report links");
    let xlsx = href_after(reports, "/api/v1/reports/execution").expect("a report link").replace("&amp;", "&");
    let file = get(&head, &xlsx);
    assert!(file.status == 200 && file.headers.contains("spreadsheetml"), "{xlsx}: {}", file.status);
    // Performance: the grades at a glance, each a filter; projects 50 to a page, searched.
    let perf = get(&head, "/performance/2025").body;
    let rows = |page: &str| {
        page.split("id=projects>")
            .nth(1)
            .and_then(|p| p.split("</table>").next())
            .map(|t| t.matches("<tr><td>").count())
    };
    assert!(
        perf.contains("优 ") && perf.contains("未评价 ") && rows(&perf).is_some_and(|n| (1..=50).contains(&n)),
        "{perf}"
    );
    let fair = get(&head, &format!("/performance/2025?grade={}", common::urlencode("中"))).body;
    let table = fair.split("id=projects>").nth(1).and_then(|p| p.split("</table>").next()).expect("projects");
    assert!(table.contains("<td>中</td>") && !table.contains("<td>优</td>"), "{table}");
    // The project library: searched, 50 to a page.
    let library = get(&head, "/projects").body;
    let count = |page: &str| page.split("<tbody>").nth(1).map(|t| t.matches("<tr><td>").count()).unwrap_or(0);
    assert!((1..=50).contains(&count(&library)) && library.contains("个项目"), "{library}");
    let one = get(&head, "/projects?q=XM99000000100101").body;
    assert_eq!(count(&one), 1, "{one}");
    let budget_page = get(&head, "/budget/2025").body;
    let closing = href_after(&budget_page, "/api/v1/budget/2025/closing?format=xlsx").expect("the closing report");
    let file = get(&head, closing);
    assert!(file.status == 200 && file.headers.contains("spreadsheetml"), "{closing}: {}", file.status);
    // Each role lands where its work is when the log-in names no page.
    let lands = |user: &str| {
        let body = format!("user={user}&password={}", passwords[user]);
        let r = request(&addr, "POST", "/login", &[("Content-Type", "application/x-www-form-urlencoded")], &body);
        r.headers.lines().find_map(|l| l.strip_prefix("location: ")).map(str::to_string).unwrap_or_default()
    };
    assert_eq!(lands("bureau-head"), "/");
    assert_eq!(lands("unit-handler"), "/org/990000001001");
    assert_eq!(lands("audit-discipline"), "/audit");
    assert_eq!(lands("citizen"), "/public");
    assert_eq!(lands("admin"), "/admin/users");
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

    // A voucher number as a real export writes it, with a space and a slash: its page, and
    // the link to it from its indicator, keep it one path segment.
    let first = std::fs::read_to_string(data.join("indicators.csv")).expect("indicators");
    let cells: Vec<&str> = first.lines().nth(1).expect("an indicator").split(',').collect();
    let (ind, unit, econ) = (cells[0], cells[2], cells[5]);
    let file = dir.path().join("exported.csv");
    std::fs::write(
        &file,
        format!("voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,invoice_no\nJAN 4/24,2025-12-30,{unit},{ind},{econ},测试公司,62000009,company,1.00,2154742696 4/24\n"),
    )
    .expect("write");
    let o = common::bw(&db, &["import", "payments", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let r = get(&head, &format!("/indicator/{ind}?year=2025"));
    assert!(r.body.contains(&format!("href=\"/voucher/{unit}/JAN%204%2F24")), "the link encodes the slash");
    let r = get(&head, &format!("/voucher/{unit}/JAN%204%2F24"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("JAN 4/24") && r.body.contains("2154742696 4/24"), "{}", r.body);

    // A unit handler: its unit's page, not its department's; vouchers elsewhere refused.
    let handler = login("unit-handler");
    assert_eq!(get(&handler, "/org/990000001001?year=2025").status, 200);
    assert_eq!(get(&handler, "/org/990000001?year=2025").status, 403);
    // Whether the voucher exists or not, another unit's is refused before it is looked up.
    assert_eq!(get(&handler, "/voucher/990000002001/PZ202500000001").status, 403);

    // Imports on the page: the file goes up as bytes and is read as the command line reads
    // it — an XLSX workbook is taken, a GBK CSV refused, never misread; refused rows come
    // back by the file's own row numbers with the reason and the column in Chinese.
    let csrf_of = |cookie: &str| {
        let page = get(cookie, "/import").body;
        page.split("CSRF = \"").nth(1).and_then(|s| s.split('"').next()).expect("csrf").to_string()
    };
    let token = csrf_of(&handler);
    let upload = |name: &str, bytes: &[u8]| {
        let path = format!("/import/file?kind=payments&name={}", common::urlencode(name));
        let headers =
            [("Cookie", handler.as_str()), ("Content-Type", "application/octet-stream"), ("X-CSRF-Token", &token)];
        let (status, _, body) = common::request_bytes(&addr, "POST", &path, &headers, bytes);
        (status, serde_json::from_slice::<serde_json::Value>(&body).expect("json"))
    };
    let indicators = std::fs::read_to_string(data.join("indicators.csv")).expect("indicators");
    let own: Vec<&str> = indicators
        .lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|c| c.get(2) == Some(&"990000001001"))
        .map(|c| vec![c[0], c[5]])
        .expect("an indicator of the unit");
    let columns = ["voucher_no", "pay_date", "unit_code", "indicator_code", "economic_code", "payee_name"];
    let mut sheet = bw_app::table::Table::new(
        "支付",
        &[&columns[..], &["payee_account", "payee_type", "amount", "summary"]].concat(),
    );
    use bw_app::table::Cell;
    sheet.rows.push(
        ["WEB-X1", "2025-12-29", "990000001001", own[0], own[1], "某办公用品公司", "6200001234", "company"]
            .into_iter()
            .map(|c| Cell::Text(c.to_string()))
            .chain([Cell::Money(bw_core::Money::from_fen(12_50)), Cell::Text("办公用品".into())])
            .collect(),
    );
    let (status, r) = upload("支付.xlsx", &sheet.xlsx().expect("xlsx"));
    assert_eq!((status, r["added"].as_u64()), (201, Some(1)), "{r}");
    let gbk_name = [0xc4, 0xb3, 0xb9, 0xab, 0xcb, 0xbe]; // 某公司 in GBK
    let mut gbk = format!(
        "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary\nWEB-X2,2025-12-29,990000001001,{},{},",
        own[0], own[1]
    )
    .into_bytes();
    gbk.extend_from_slice(&gbk_name);
    gbk.extend_from_slice(b",6200001234,company,1.00,x\n");
    let (status, r) = upload("gbk.csv", &gbk);
    assert_eq!(status, 422, "{r}");
    assert!(r["errors"][0]["reason"].as_str().is_some_and(|s| s.contains("GBK 编码")), "{r}");
    assert_eq!(r["errors"][0]["row"], 2, "{r}");
    assert!(r["errors"][0]["message"].as_str().is_some_and(|s| s.contains("GBK")), "{r}");
    let bad = format!(
        "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary\nWEB-X0,2025-12-29,990000001001,{0},{1},某公司,6200001234,company,1.00,x\nWEB-X3,2025-12-29,990000001001,{},{},某公司,6200001234,company,1.001,x\n",
        own[0], own[1]
    );
    // (The first row is fine; nothing of the file is recorded.)
    let (status, r) = upload("bad.csv", bad.as_bytes());
    assert_eq!(status, 422, "{r}");
    assert!(r["detail"].as_str().is_some_and(|d| d.contains("未导入任何记录")), "{r}");
    let e = &r["errors"][0];
    assert_eq!((e["row"].as_u64(), e["column"].as_str()), (Some(3), Some("金额（amount）")), "the file's row 3: {r}");
    assert_eq!(e["reason"], "取值格式不正确", "{r}");
    assert_eq!(get(&handler, "/voucher/990000001001/WEB-X0").status, 404, "all or nothing");
    assert_eq!(get(&handler, "/voucher/990000001001/WEB-X1").status, 200, "the workbook's payment");

    // The inbox: only the handler's unit; a warning's page offers what the role may do.
    // The inbox opens on the work still to do; every state on request.
    let all = get(&handler, "/inbox");
    assert!(all.status == 200 && all.body.contains(r#"<option value="">未办结</option>"#), "{}", all.body);
    assert!(
        !all.body.contains(">已撤回（不再发现）</td>") && !all.body.contains(">已关闭（正常）</td>"),
        "only open items"
    );
    assert_eq!(get(&handler, "/inbox?state=all").status, 200);
    // The cockpit's summary heads the to-do list: what is in progress, by level.
    let summary = all.body.split("<section class=kpis id=summary>").nth(1).expect("the summary");
    assert!(summary.contains("href=\"/inbox?level=") && summary.contains("未办结"), "{summary}");
    let r = get(&handler, "/inbox?state=open");
    // Rules, levels and states by their Chinese names, not their ids.
    let visible = r.body.split("<main>").nth(1).unwrap_or(&r.body);
    let text: String = visible.split('<').filter_map(|p| p.split_once('>').map(|(_, t)| t)).collect();
    for id in ["over_budget", "ahead_of_schedule", "orange", "yellow", "rectification_required", "explained"] {
        assert!(!text.contains(id), "{id} shows on the inbox: {text}");
    }
    assert!(text.contains("待说明") && text.contains("个工作日"), "what is due, in working days: {text}");
    // The demo's unit has warnings of several rules to walk through (the year was checked).
    let rules = bw_rules::Rule::ALL.iter().filter(|r| text.contains(r.zh())).count();
    assert!(rules >= 3, "{rules} rules on the unit's inbox: {text}");
    // Units by their names, not their codes; the most pressing deadline first.
    assert!(!text.contains("990000001001") && text.contains(&common::unit_name(&data, "990000001001")), "{text}");
    let due: Vec<&str> = visible
        .split("<td>剩 ")
        .chain(visible.split("<td><span class=overdue>"))
        .skip(1)
        .filter_map(|s| s.split("<small>").nth(1)?.get(..10))
        .collect();
    let all_due: Vec<&str> = visible
        .split("</td></tr>")
        .filter_map(|row| row.rsplit("<small>").next()?.get(..10))
        .filter(|d| d.starts_with("20"))
        .collect();
    assert!(!due.is_empty() && all_due.windows(2).all(|w| w[0] <= w[1]), "by due date: {all_due:?}");
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
    // The explanation's supporting document, uploaded as the page's script does; then the
    // explanation in several lines, naming it.
    let pdf = b"%PDF-1.4\n% contract scan\n%%EOF\n";
    let (status, _, body) = common::request_bytes(
        &addr,
        "POST",
        &format!("/api/v1/warnings/{id}/attachments?name={}", common::urlencode("合同扫描件.pdf")),
        &[("Cookie", handler.as_str()), ("Content-Type", "application/pdf"), ("X-CSRF-Token", csrf.as_str())],
        pdf,
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let doc = serde_json::from_slice::<serde_json::Value>(&body).expect("json")["id"].as_i64().expect("id");
    let note = common::urlencode("已核实。\n系合同分期付款，第二期按进度支付。");
    let ok = request(
        &addr,
        "POST",
        &format!("/warning/{id}/step"),
        &[("Cookie", handler.as_str()), form],
        &format!("csrf={csrf}&step=explain&note={note}&attachments={doc}"),
    );
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert!(ok.headers.contains("done="), "{}", ok.headers);
    let r = get(&handler, &format!("/warning/{id}"));
    assert!(
        r.body.contains("单位经办人 <small>unit-handler</small>")
            && r.body.contains("已核实。\n系合同分期付款")
            && r.body.contains("已说明，待单位负责人签批")
            && r.body.contains(&format!(r#"<a href="/document/{doc}">合同扫描件.pdf</a>"#))
            && !r.body.contains("value=\"sign_off\"")
            && !r.body.contains("{&quot;")
            && !r.body.contains("{\""),
        "{}",
        r.body
    );
    // Not yet for the reviewer; the unit head signs it off on the page.
    let reviewer = login("department-reviewer");
    let r = get(&reviewer, &format!("/warning/{id}"));
    assert!(!r.body.contains("value=\"judge_violation\""), "{}", r.body);
    assert_eq!(get(&reviewer, &format!("/document/{doc}")).status, 200, "the reviewer opens the attachment");
    let unit_head = login("unit-head");
    let r = get(&unit_head, &format!("/warning/{id}"));
    assert!(r.body.contains("value=\"sign_off\"") && r.body.contains("value=\"sign_off_return\""), "{}", r.body);
    let head_csrf = r.body.split("name=csrf value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf");
    let signed = request(
        &addr,
        "POST",
        &format!("/warning/{id}/step"),
        &[("Cookie", unit_head.as_str()), form],
        &format!("csrf={head_csrf}&step=sign_off&note="),
    );
    assert!(signed.headers.contains("done="), "{}", signed.headers);
    // A step the state no longer allows is told in Chinese.
    let again = request(
        &addr,
        "POST",
        &format!("/warning/{id}/step"),
        &[("Cookie", unit_head.as_str()), form],
        &format!("csrf={head_csrf}&step=sign_off&note="),
    );
    let location = again.headers.lines().find_map(|l| l.strip_prefix("location: ")).unwrap_or("").to_string();
    let shown = get(&unit_head, &location).body;
    assert!(shown.contains("<p class=err role=alert>该预警的状态已经变化"), "{shown}");
    // The reviewer sees the judgement buttons now.
    let r = get(&reviewer, &format!("/warning/{id}"));
    assert!(r.body.contains("已说明，待审核") && r.body.contains("value=\"judge_violation\""), "{}", r.body);
    // A year not opened says who opens it; the bureau's reviewer opens it from the page.
    let r = get(&unit_head, "/budget/2031");
    assert!(r.body.contains("id=not-open") && r.body.contains("尚未开启") && r.body.contains("财政"), "{}", r.body);
    assert!(!r.body.contains("/budget/2031/open"), "no action for who may not open it");
    let bureau = login("bureau-reviewer");
    assert!(!get(&reviewer, "/budget/2031").body.contains("/budget/2031/open"), "a department reviewer opens none");
    let page = get(&bureau, "/budget/2031").body;
    assert!(page.contains(r#"action="/budget/2031/open""#), "{page}");
    let rcsrf = page.split("name=csrf value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf").to_string();
    let r = request(
        &addr,
        "POST",
        "/budget/2031/open",
        &[("Cookie", bureau.as_str()), form],
        &format!("csrf={rcsrf}&mode=bottom_up"),
    );
    assert!(r.headers.contains("done="), "{}", r.headers);
    assert!(get(&bureau, "/budget/2031").body.contains("<ol class=stages>"));
    // The risk register: the demo's scene put one risk of each category there; the bureau's
    // reviewer adds one on the page; the heat map counts it; treated by acceptance, the bureau head (not its owner) approves the acceptance.
    let page = get(&bureau, "/risks").body;
    assert!(page.contains("风险清单") && page.contains("id=heat") && page.contains("id=add-risk"), "{page}");
    assert!(
        page.contains("地方政府债务集中到期") && page.contains("预算执行监控人员不足"),
        "the scene's risks: {page}"
    );
    let rcsrf = page.split("name=csrf value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf").to_string();
    // The scene's check proposed the risks its indicators found uncovered (idle special
    // funds, revenue behind time): the reviewer adopts one and rejects another on the page.
    assert!(page.contains("id=proposals") && page.contains("专项资金闲置"), "{page}");
    let proposal_ids: Vec<String> = page
        .split("action=\"/risks/proposals/")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_string)
        .collect();
    assert!(proposal_ids.len() >= 4, "two forms a proposal: {proposal_ids:?}");
    let (first, second) = (proposal_ids[0].clone(), proposal_ids[2].clone());
    let body = format!("csrf={rcsrf}&op=adopt&owner={}&impact=4", common::urlencode("预算科"));
    let r = request(&addr, "POST", &format!("/risks/proposals/{first}"), &[("Cookie", bureau.as_str()), form], &body);
    let location = r.headers.lines().find_map(|l| l.strip_prefix("location: ")).unwrap_or("").to_string();
    assert!(location.starts_with("/risks/") && location.contains("done="), "{}", r.headers);
    assert!(get(&bureau, &location).body.contains("已采纳，风险已登记"), "{location}");
    let body = format!("csrf={rcsrf}&op=reject&text={}", common::urlencode("已由部门统一管理"));
    let r = request(&addr, "POST", &format!("/risks/proposals/{second}"), &[("Cookie", bureau.as_str()), form], &body);
    assert!(r.headers.contains("done="), "{}", r.headers);
    let page = get(&bureau, "/risks").body;
    assert!(page.contains("已采纳") && page.contains("不予采纳：已由部门统一管理"), "{page}");
    let listed = get(&bureau, "/api/v1/risks").json();
    assert!(listed["proposals"].as_array().is_some_and(|p| p.iter().any(|x| x["state"] == "rejected")), "{listed}");
    let body = format!(
        "csrf={rcsrf}&title={}&category=revenue&scope=region:990100&owner=bureau-reviewer&cause=&event={}&consequence=&likelihood=4&impact=3",
        common::urlencode("土地出让收入下滑"),
        common::urlencode("收入完成低于进度")
    );
    let r = request(&addr, "POST", "/risks", &[("Cookie", bureau.as_str()), form], &body);
    let location = r.headers.lines().find_map(|l| l.strip_prefix("location: ")).unwrap_or("").to_string();
    assert!(location.starts_with("/risks/") && location.contains("done="), "{}", r.headers);
    let risk_path = location.split('?').next().unwrap_or("").to_string();
    let shown = get(&bureau, &location).body;
    assert!(
        shown.contains("土地出让收入下滑") && shown.contains(">&nbsp;高&nbsp;<") && shown.contains("风险已登记"),
        "{shown}"
    );
    let heat = get(&bureau, "/risks?l=4&i=3").body;
    assert!(heat.contains("土地出让收入下滑") && heat.contains("可能性 4 × 影响 3"), "{heat}");
    let r = request(
        &addr,
        "POST",
        &risk_path,
        &[("Cookie", bureau.as_str()), form],
        &format!("csrf={rcsrf}&op=treat&treatment=accept&what=&who=&due="),
    );
    assert!(r.headers.contains("done="), "{}", r.headers);
    assert!(!get(&bureau, &risk_path).body.contains("value=accept"), "the owner is not offered the acceptance");
    let head = login("bureau-head");
    let page = get(&head, &risk_path).body;
    assert!(page.contains("name=op value=accept"), "{page}");
    let hcsrf = page.split("name=csrf value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf").to_string();
    let r = request(
        &addr,
        "POST",
        &risk_path,
        &[("Cookie", head.as_str()), form],
        &format!("csrf={hcsrf}&op=accept&due=2099-12-31"),
    );
    assert!(r.headers.contains("done="), "{}", r.headers);
    assert!(get(&head, &risk_path).body.contains("bureau-head · 至 2099-12-31"));
    // The register downloads as the reader may read it.
    let csv = get(&bureau, "/risks/download/register.csv");
    assert!(csv.status == 200 && csv.body.contains("土地出让收入下滑") && csv.body.contains("承受"), "{}", csv.body);
    assert_eq!(get(&bureau, "/risks/download/register.xlsx").status, 200);
    assert_eq!(get(&bureau, "/risks/download/other.csv").status, 404);
    // The same register over the API, with the same rules.
    let listed = get(&bureau, "/api/v1/risks").json();
    let id: i64 = risk_path.trim_start_matches("/risks/").parse().expect("id");
    assert!(
        listed["risks"].as_array().is_some_and(|r| r.iter().any(|x| x["id"] == id && x["level"] == "high")),
        "{listed}"
    );
    let json = ("Content-Type", "application/json");
    let post = |cookie: &str, csrf: &str, body: &str| {
        request(&addr, "POST", "/api/v1/risks/actions", &[("Cookie", cookie), ("X-CSRF-Token", csrf), json], body)
    };
    let r = post(&bureau, &rcsrf, &format!(r#"{{"op": "review", "id": {id}, "note": "季度复核"}}"#));
    assert_eq!(r.status, 200, "{}", r.body);
    let r = post(&bureau, &rcsrf, &format!(r#"{{"op": "accept", "id": {id}, "until": "2099-12-31"}}"#));
    assert_eq!(r.status, 403, "the owner accepts nothing of their own: {}", r.body);
    assert_eq!(r.json()["errors"][0]["code"], "risk_owner_cannot_accept", "{}", r.body);
    let r = post(
        &bureau,
        &rcsrf,
        r#"{"op": "assess", "id": 1, "current": {"likelihood": 9, "impact": 1}, "evidence": "x"}"#,
    );
    assert!(r.status == 403 || r.status == 422, "{}", r.body);
    let r = post(
        &bureau,
        &rcsrf,
        &format!(r#"{{"op": "assess", "id": {id}, "current": {{"likelihood": 9, "impact": 1}}, "evidence": "x"}}"#),
    );
    assert_eq!((r.status, r.json()["code"].clone()), (422, "invalid_value".into()), "{}", r.body);
    let citizen_like = get("", "/api/v1/risks");
    assert_eq!(citizen_like.status, 401);
    // Monte Carlo on the page: the example scenario runs; a broken one is told in Chinese.
    let page = get(&bureau, "/simulation").body;
    assert!(page.contains("id=scenario") && page.contains("基建投资扩张情景"), "{page}");
    let example = include_str!("../../../examples/scenario.toml");
    let body = format!("csrf={rcsrf}&paths=500&scenario={}", common::urlencode(example));
    let r = request(&addr, "POST", "/simulation", &[("Cookie", bureau.as_str()), form], &body);
    let location = r.headers.lines().find_map(|l| l.strip_prefix("location: ")).unwrap_or("").to_string();
    assert!(r.status == 303 && location.starts_with("/simulation/"), "the run is kept: {}", r.headers);
    let r = get(&bureau, &location);
    assert!(
        r.status == 200
            && r.body.contains("class=\"chart fan\"")
            && r.body.contains("id=bands")
            && r.body.contains("class=\"chart tornado\"")
            && r.body.contains("东湖市")
            && r.body.contains("财力增长率")
            && r.body.contains(&format!("href=\"{location}\"")),
        "{}",
        r.body
    );
    // The year-end forecast: every department of the demo year against its budget.
    let page = get(&bureau, "/forecast/2025?month=6").body;
    assert!(
        page.contains("class=\"chart forecast\"") && page.contains("id=forecasts") && page.contains("按进度外推"),
        "{page}"
    );
    // And next quarter's deviation rate by unit, the regression's factors named in Chinese.
    let regression = page.split("id=regression").nth(1).unwrap_or("");
    assert!(regression.contains("上季度偏差率") && regression.contains("id=predictions"), "{regression}");
    assert!(regression.contains("2026-Q1") && !regression.contains("lag_deviation"), "{regression}");
    let page = get(&bureau, "/forecast/2031").body;
    assert!(page.contains("id=no-data") && page.contains("href=\"/forecast/2025\""), "the year with data: {page}");
    // The same lines over the API, within the caller's reach: the bureau every unit, a
    // unit's head its own unit only.
    let all = get(&bureau, "/api/v1/forecasts?year=2025&month=6&by=unit").json();
    let items = all["items"].as_array().expect("items");
    assert!(items.len() > 1 && items.iter().all(|l| l["outturn"].is_string() && l["budget"].is_string()), "{all}");
    let mine = get(&unit_head, "/api/v1/forecasts?year=2025&month=6&by=unit").json();
    let codes: Vec<&str> = mine["items"].as_array().expect("items").iter().filter_map(|l| l["code"].as_str()).collect();
    assert_eq!(codes, vec!["990000001001"], "{mine}");
    let r = get(&bureau, "/api/v1/forecasts?year=2025&by=county");
    assert_eq!((r.status, r.json()["errors"][0]["field"].as_str()), (400, Some("by")), "{}", r.body);
    // The same over the API: a scenario as JSON, run and kept; listed; read again.
    let scenario = serde_json::json!({
        "name": "api", "years": [2026, 2027], "paths": 200, "seed": 3,
        "driver": [{"name": "growth", "dist": "normal", "mean": 0.04, "sd": 0.02}],
        "region": [{"code": "A", "debt": 100.0, "capacity": 90.0, "investment": [10.0, 12.0], "repayment": [5.0, 5.0]}]
    });
    let r = request(
        &addr,
        "POST",
        "/api/v1/simulations",
        &[("Cookie", bureau.as_str()), ("X-CSRF-Token", rcsrf.as_str()), ("Content-Type", "application/json")],
        &scenario.to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let run = r.json();
    let sim = run["id"].as_i64().expect("id");
    assert_eq!(run["result"]["total"].as_array().map(Vec::len), Some(2));
    let listed = get(&bureau, "/api/v1/simulations").json();
    assert!(listed["runs"].as_array().is_some_and(|r| r.iter().any(|x| x["id"] == sim)), "{listed}");
    let again = get(&bureau, &format!("/api/v1/simulations/{sim}")).json();
    assert_eq!(again["result"], run["result"], "run again from its scenario: the same result");
    let body = format!("csrf={rcsrf}&paths=500&scenario={}", common::urlencode("years = [2026"));
    let r = request(&addr, "POST", "/simulation", &[("Cookie", bureau.as_str()), form], &body);
    assert!(r.body.contains("情景文件有误") && r.body.contains("years = [2026"), "the text is kept: {}", r.body);
    // A refusal is told in Chinese: a review before the last is impossible, an empty
    // assessment is not.
    let r = request(
        &addr,
        "POST",
        &risk_path,
        &[("Cookie", bureau.as_str()), form],
        &format!("csrf={rcsrf}&op=assess&likelihood=2&impact=3&text="),
    );
    let location = r.headers.lines().find_map(|l| l.strip_prefix("location: ")).unwrap_or("").to_string();
    assert!(get(&bureau, &location).body.contains("请填写评估依据"), "{location}");
    // Accounts: the administrator adds a person and grants a role on the page; others may not.
    let admin = login("admin");
    let r = get(&admin, "/admin/users");
    assert!(r.status == 200 && r.body.contains("unit-handler"), "{}", r.status);
    let csrf = r.body.split("name=csrf value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf").to_string();
    let post = |path: &str, body: String| request(&addr, "POST", path, &[("Cookie", admin.as_str()), form], &body);
    let r = post(
        "/admin/users",
        format!("csrf={csrf}&name=new.person&display=New&unit=990000001001&password=a+long+password"),
    );
    assert!(r.status == 303 && r.headers.contains("done="), "{}", r.headers);
    // The scope is chosen from the organisation; nothing is preset to the whole of it.
    let page = get(&admin, "/admin/users").body;
    assert!(page.contains("<select name=scope required") && page.contains("请选择授权范围"), "{page}");
    assert!(page.contains(r#"<option value="990000001001">"#), "the units are offered");
    let r = post("/admin/grants", format!("csrf={csrf}&name=new.person&role=unit_finance&scope=&until="));
    assert!(r.headers.contains("error="), "a grant without a scope is refused: {}", r.headers);
    let r = post("/admin/grants", format!("csrf={csrf}&name=new.person&role=unit_finance&scope=990000001001&until="));
    assert!(r.status == 303 && r.headers.contains("done="), "{}", r.headers);
    let r = post("/admin/grants", format!("csrf={csrf}&name=new.person&role=third_party_auditor&scope=*&until="));
    assert!(r.headers.contains("error="), "an outside auditor's grant must end: {}", r.headers);
    let page = get(&admin, "/admin/users").body;
    assert!(page.contains("new.person") && page.contains("unit_finance"));
    // Roles and scopes by name, the ids beside them.
    assert!(page.contains("<small>unit_finance</small>") && page.contains("全部组织"), "{page}");
    // A role at or above bureau_reviewer is only requested, and its requester cannot approve
    // it: no buttons for them, and a forged post is refused.
    let r = post("/admin/grants", format!("csrf={csrf}&name=new.person&role=bureau_head&scope=*&until="));
    assert!(r.headers.contains(&format!("done={}", common::urlencode("已提交授权申请"))), "{}", r.headers);
    let page = get(&admin, "/admin/users").body;
    assert!(page.contains("待第二人批准的授权") && page.contains("需另一位管理员批准"), "{page}");
    assert!(!page.contains("/approve\""), "{page}");
    let asked: i64 =
        page.split("<tr><td>").filter_map(|r| r.split('<').next()?.parse().ok()).next().expect("request id");
    let r = post(&format!("/admin/requests/{asked}/approve"), format!("csrf={csrf}"));
    assert!(r.headers.contains("error=") && r.headers.contains(&common::urlencode("职责分离")), "{}", r.headers);
    // Asked by the operator instead, the administrator approves it on the page.
    let o = common::bw(&db, &["user", "grant", "new.person", "bureau_reviewer"]);
    assert!(common::stdout(&o).contains("waits for a second administrator"), "{}", common::stderr(&o));
    let page = get(&admin, "/admin/users").body;
    let theirs =
        page.split("action=\"/admin/requests/").nth(1).and_then(|r| r.split('/').next()).expect("a request to decide");
    let r = post(&format!("/admin/requests/{theirs}/approve"), format!("csrf={csrf}"));
    assert!(r.headers.contains(&format!("done={}", common::urlencode("已批准"))), "{}", r.headers);
    let page = get(&admin, "/admin/users").body;
    assert!(page.contains("bureau_reviewer") && !page.contains(&format!("/admin/requests/{theirs}/")), "{page}");
    assert_eq!(get(&handler, "/admin/users").status, 403);
    let me = request(&addr, "GET", "/api/v1/me", &[("Cookie", handler.as_str())], "").json();
    let own_csrf = me["csrf_token"].as_str().expect("csrf").to_string();
    let r = request(
        &addr,
        "POST",
        "/admin/users",
        &[("Cookie", handler.as_str()), form],
        &format!("csrf={own_csrf}&name=x&password=a+long+password"),
    );
    assert!(r.status == 403 && r.body.contains("ManageUsers"), "{}", r.body);

    // Import: for those who record payments.
    assert_eq!(get(&handler, "/import").status, 200);
    assert_eq!(get(&login("deputy"), "/import").status, 403);
    let _ = child.kill();
    let _ = child.wait();
    let o = common::bw(&db, &["verify"]);
    assert!(o.status.success(), "{}", common::stdout(&o));
}

#[test]
fn the_public_portal_shows_aggregates_and_no_one_s_personal_data() {
    let dir = tempfile::tempdir().expect("dir");
    let (db, data) = (dir.path().join("demo.db"), dir.path().join("data"));
    let (mut child, addr, passwords) = common::demo_server(&db, &data, "4000");
    let page = request(&addr, "GET", "/public?year=2025", &[], "");
    let json = request(&addr, "GET", "/api/v1/public?year=2025", &[], "");
    assert_eq!((page.status, json.status), (200, 200));
    // Every individual payee's name and account in the demo set, and every voucher number.
    let mut reader = csv::Reader::from_path(data.join("payments.csv")).expect("payments.csv");
    let header = reader.headers().expect("header").clone();
    let col = |n: &str| header.iter().position(|h| h == n).expect("column");
    let (name, account, kind, voucher) =
        (col("payee_name"), col("payee_account"), col("payee_type"), col("voucher_no"));
    let mut checked = 0;
    for r in reader.records() {
        let r = r.expect("row");
        let secrets =
            if &r[kind] == "individual" { vec![&r[name], &r[account], &r[voucher]] } else { vec![&r[voucher]] };
        for s in secrets.into_iter().filter(|s| s.chars().count() >= 2) {
            assert!(!page.body.contains(s) && !json.body.contains(s), "the portal shows {s:?}");
            checked += 1;
        }
    }
    assert!(checked > 4000, "{checked}");
    let mut staff = csv::Reader::from_path(data.join("staff.csv")).expect("staff.csv");
    for r in staff.records() {
        let r = r.expect("row");
        // name, id_hash, bank_account, phone: never on the portal.
        for s in [&r[1], &r[2], &r[3], &r[4]] {
            assert!(!page.body.contains(s) && !json.body.contains(s), "the portal shows staff data {s:?}");
        }
    }
    // The mandatory disclosures are there in full: each department with its "三公" items.
    let p = json.json();
    let depts = p["departments"].as_array().expect("departments");
    assert!(!depts.is_empty());
    assert!(depts.iter().all(|d| d["sangong"].as_array().map(Vec::len) == Some(4)));
    assert!(page.body.contains("公务接待费") && page.body.contains("class=\"chart heat\""));
    the_portal_opens_on_data_pages_and_downloads(&addr, &p);
    // Feedback: a citizen registers, asks about a subject chosen from a list; nothing is
    // published before the bureau moderates it; the author follows it; the bureau answers.
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let register = |name: &str| {
        let body = format!("name={name}&display=&password=a+long+password&again=a+long+password");
        request(&addr, "POST", "/register", &[form, ("X-Forwarded-For", "203.0.113.50")], &body)
    };
    let r = register("wang.fang");
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.headers.contains("location: /login?next=/public/feedback"), "{}", r.headers);
    assert_eq!(register("wang.fang").status, 422, "a name is taken once");
    assert_eq!(register("li.na").status, 303);
    let r = register("zhao.lei");
    assert_eq!(r.status, 422, "three a day from one address (the refused one counted)");
    assert!(r.body.contains("每天最多注册 3 个账号"), "{}", r.body);
    let login = |user: &str, password: &str| {
        let body = format!("user={user}&password={password}");
        request(&addr, "POST", "/login", &[form], &body).cookie()
    };
    let citizen = login("wang.fang", "a+long+password");
    let csrf_of = |cookie: &str| {
        let me = request(&addr, "GET", "/api/v1/me", &[("Cookie", cookie)], "").json();
        me["csrf_token"].as_str().expect("csrf").to_string()
    };
    let csrf = csrf_of(&citizen);
    let channel = |cookie: &str| request(&addr, "GET", "/public/feedback", &[("Cookie", cookie)], "").body;
    let page = channel(&citizen);
    assert!(page.contains("<select name=subject>") && page.contains(r#"<option value="990000001">"#), "{page}");
    let text = "教育厅的接待费为何超支？\n请公开明细。";
    let post =
        |cookie: &str, body: String| request(&addr, "POST", "/public/feedback", &[("Cookie", cookie), form], &body);
    // Refused, the text is kept as written.
    let r = post(&citizen, format!("csrf={csrf}&kind=inquiry&subject=nope&text={}", common::urlencode(text)));
    assert_eq!(r.status, 422);
    assert!(r.body.contains("请从列表中选择对象") && r.body.contains(text), "{}", r.body);
    let r = post(&citizen, format!("csrf={csrf}&kind=inquiry&subject=990000001&text={}", common::urlencode(text)));
    assert_eq!(r.status, 303, "{}", r.body);
    let public = || request(&addr, "GET", "/public", &[], "").body;
    assert!(!public().contains("教育厅的接待费为何超支"), "not before moderation");
    let mine = channel(&citizen);
    assert!(mine.contains("教育厅的接待费为何超支") && mine.contains("待审核") && mine.contains("答复期限"), "{mine}");
    assert!(!mine.contains("/moderate"), "no moderation for the public");
    // The bureau publishes it, then answers.
    let reviewer = login("bureau-reviewer", &passwords["bureau-reviewer"]);
    let first_form = |page: &str| -> i64 {
        page.split("/public/feedback/")
            .nth(1)
            .and_then(|s| s.split('/').next())
            .and_then(|s| s.parse().ok())
            .expect("a moderation form")
    };
    let id = first_form(&channel(&reviewer));
    let rcsrf = csrf_of(&reviewer);
    let act = |path: String, body: String| request(&addr, "POST", &path, &[("Cookie", reviewer.as_str()), form], &body);
    let r = act(format!("/public/feedback/{id}/moderate"), format!("csrf={rcsrf}&publish=yes&note="));
    assert_eq!(r.status, 303);
    let shown = public();
    assert!(shown.contains("教育厅的接待费为何超支") && shown.contains("答复期限") && !shown.contains("wang.fang"));
    let r = act(format!("/public/feedback/{id}/answer"), format!("csrf={rcsrf}&text=%E5%B7%B2%E6%A0%B8%E5%AE%9E"));
    assert_eq!(r.status, 303);
    assert!(public().contains("已核实"));
    let mine = channel(&citizen);
    assert!(mine.contains("已公开") && mine.contains("已核实"), "{mine}");
    // One not published: its author sees why; the public sees nothing.
    let r = post(&citizen, format!("csrf={csrf}&kind=comment&subject=*&text={}", common::urlencode("广告内容")));
    assert_eq!(r.status, 303);
    let id = first_form(&channel(&reviewer));
    let refuse =
        |note: &str| act(format!("/public/feedback/{id}/moderate"), format!("csrf={rcsrf}&publish=no&note={note}"));
    assert!(refuse("").headers.contains("error="), "a refusal states its reason");
    assert!(refuse(&common::urlencode("与预算无关")).headers.contains("done="));
    assert!(channel(&citizen).contains("未予公开：与预算无关"));
    assert!(!public().contains("广告内容"));
    let r = post(&citizen, "csrf=wrong&kind=comment&text=x".into());
    assert_eq!(r.status, 403);
    let _ = child.kill();
    let _ = child.wait();
    let o = common::bw(&db, &["verify"]);
    assert!(o.status.success(), "{}", common::stdout(&o));
}

/// The portal without a year opens on the demo's year (the newest with payments), not on an
/// empty current year; a year without data says so; departments and projects are searched
/// and paged; each table downloads as CSV and XLSX with the page's figures; pages go
/// compressed to clients that accept gzip.
fn the_portal_opens_on_data_pages_and_downloads(addr: &str, p: &serde_json::Value) {
    use std::io::Read as _;
    let depts = p["departments"].as_array().expect("departments");
    let first = depts[0]["name"].as_str().expect("name").to_string();
    let page = request(addr, "GET", "/public", &[], "");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<option value=2025 selected>"), "the demo year is chosen");
    assert!(page.body.contains(&first) && !page.body.contains("id=no-data"));
    assert!(page.body.contains(&format!("{} 个部门", depts.len())), "every department counted");
    let none = request(addr, "GET", "/public?year=2019", &[], "").body;
    assert!(none.contains("id=no-data") && none.contains("2019 年尚无公开数据") && none.contains("/public?year=2025"));
    // Search: one department by its name.
    let found = request(addr, "GET", &format!("/public?year=2025&q={}", common::urlencode(&first)), &[], "").body;
    assert!(found.contains(&first));
    // The departments' table only: the published ranking further down lists them all.
    let found = found.split("<h2 id=departments>").nth(1).and_then(|d| d.split("<h2 ").next()).expect("departments");
    let others = depts.iter().filter_map(|d| d["name"].as_str()).filter(|n| *n != first && !n.contains(first.as_str()));
    for other in others {
        assert!(!found.contains(&format!("<td class=wrap>{other}</td>")), "{other} matched {first}");
    }
    // Paging: the projects come twenty to a page, with links to the others.
    let projects = p["projects"].as_array().expect("projects").len();
    assert!(projects > 20, "{projects}");
    assert_eq!(page.body.matches("<tr><td class=wrap>").count() - depts.len().min(20), 20);
    assert!(page.body.contains("ppage=2#projects"));
    let second = request(addr, "GET", "/public?year=2025&ppage=2", &[], "").body;
    assert!(second.contains("<b>2</b>"));
    // Downloads: the departments' table with every department and its exact budget.
    let csv = common::request_bytes(addr, "GET", "/public/download/departments.csv?year=2025", &[], b"");
    assert_eq!(csv.0, 200);
    assert!(csv.1.contains("text/csv") && csv.1.contains("attachment"));
    assert!(csv.2.starts_with(b"\xEF\xBB\xBF"));
    let mut rows = csv::Reader::from_reader(&csv.2[3..]);
    assert_eq!(rows.headers().expect("header").get(0), Some("部门"));
    let budgets: std::collections::HashMap<String, String> =
        rows.records().map(|r| r.expect("row")).map(|r| (r[0].to_string(), r[3].to_string())).collect();
    assert_eq!(budgets.len(), depts.len());
    for d in depts {
        assert_eq!(budgets[d["name"].as_str().expect("name")], d["total"]["budget"].as_str().expect("yuan"));
    }
    let xlsx = common::request_bytes(addr, "GET", "/public/download/projects.xlsx?year=2025", &[], b"");
    assert_eq!(xlsx.0, 200, "{}", xlsx.1);
    use calamine::Reader as _;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx.2)).expect("xlsx");
    let sheet = book.worksheet_range_at(0).expect("a sheet").expect("readable");
    assert_eq!(sheet.height(), projects + 1);
    assert_eq!(common::request_bytes(addr, "GET", "/public/download/secrets.csv", &[], b"").0, 404);
    // Compressed for a browser; the first view well under 200 KB on the wire.
    let (status, head, body) = common::request_bytes(addr, "GET", "/public", &[("Accept-Encoding", "gzip, br")], b"");
    assert_eq!(status, 200);
    assert!(head.to_ascii_lowercase().contains("content-encoding: gzip"), "{head}");
    assert!(body.len() < 200_000, "{} bytes", body.len());
    let mut html = String::new();
    flate2::read::GzDecoder::new(&body[..]).read_to_string(&mut html).expect("gzip");
    assert!(html.contains(&first) && html.len() > body.len());
}

/// The audit on the web: the audit role sees the tests' findings with their vouchers, the
/// Benford chart (of the year or one unit), the risk scores and the downloads, and records
/// the findings in the inbox from the page; a unit's staff are told in Chinese which role
/// the page needs.
#[test]
fn the_audit_page_shows_findings_benford_and_scores_and_records_them() {
    let dir = tempfile::tempdir().expect("dir");
    let (db, data) = (dir.path().join("demo.db"), dir.path().join("data"));
    let (mut child, addr, passwords) = common::demo_server(&db, &data, "4000");
    let login = |user: &str| {
        let body = format!("user={user}&password={}", passwords[user]);
        request(&addr, "POST", "/login", &[("Content-Type", "application/x-www-form-urlencoded")], &body).cookie()
    };
    let auditor = login("audit-discipline");
    let page = request(&addr, "GET", "/audit", &[("Cookie", auditor.as_str())], "");
    assert_eq!(page.status, 200, "{}", page.body);
    let b = &page.body;
    assert!(b.contains("本福特定律检验") && b.contains("class=\"chart benford\"") && b.contains("首位数字"), "{b}");
    assert!(b.contains("单位风险评分") && b.contains("发现的问题"));
    assert!(b.contains("href=\"/audit\""), "the audit role finds the page in the navigation");
    // Every finding's facts read in Chinese: no key or rule word of the analytics shows.
    let main = b.split("<main>").nth(1).unwrap_or(b);
    let visible: String = main
        .split('<')
        .filter(|p| !p.starts_with("small>") && !p.starts_with("script"))
        .filter_map(|p| p.split_once('>').map(|(_, t)| t))
        .collect();
    let english: std::collections::BTreeSet<&str> = visible
        .split(|c: char| !(c.is_ascii_alphabetic() || c == '_'))
        .filter(|w| w.len() >= 3 && !["CSV", "XLSX", "MAD", "PDF"].contains(w))
        .collect();
    assert!(english.is_empty(), "English on the audit page: {english:?}");
    // The findings listed lead to their vouchers.
    let voucher = href_after(b, "/voucher/").expect("a finding's voucher");
    let v = request(&addr, "GET", voucher, &[("Cookie", auditor.as_str())], "");
    assert_eq!(v.status, 200, "{voucher}");
    // Each test's count on the page adds up to the rows of the findings' download.
    let counted: usize = b
        .split("#findings\">")
        .skip(1)
        .filter_map(|s| s.split("<td class=n>").nth(1)?.split('<').next()?.parse::<usize>().ok())
        .sum();
    let csv = common::request_bytes(&addr, "GET", "/audit/download/findings.csv", &[("Cookie", auditor.as_str())], b"");
    assert_eq!(csv.0, 200);
    let rows = csv::Reader::from_reader(&csv.2[3..]).records().count();
    assert!(counted > 0 && rows == counted, "{rows} rows, {counted} counted");
    // One unit's Benford population.
    let unit = voucher.trim_start_matches("/voucher/").split('/').next().expect("unit");
    let one = request(&addr, "GET", &format!("/audit?unit={unit}"), &[("Cookie", auditor.as_str())], "").body;
    assert!(one.contains(&format!("value=\"{unit}\" selected")));
    let xlsx = common::request_bytes(
        &addr,
        "GET",
        &format!("/audit/download/benford.xlsx?unit={unit}"),
        &[("Cookie", auditor.as_str())],
        b"",
    );
    assert_eq!(xlsx.0, 200);
    // A unit's handler: refused, in Chinese, with the role that may.
    let handler = login("unit-handler");
    let refused = request(&addr, "GET", "/audit", &[("Cookie", handler.as_str())], "");
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("审计与纪检") && !refused.body.contains("RunAudit"), "{}", refused.body);
    // Recorded from the page: the findings enter the inbox.
    let me = request(&addr, "GET", "/api/v1/me", &[("Cookie", auditor.as_str())], "").json();
    let csrf = me["csrf_token"].as_str().expect("csrf").to_string();
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let r = request(&addr, "POST", "/audit/record", &[("Cookie", auditor.as_str()), form], &format!("csrf={csrf}"));
    assert_eq!(r.status, 303, "{}", r.body);
    let back = r.headers.lines().find_map(|l| l.strip_prefix("location: ").or_else(|| l.strip_prefix("Location: ")));
    let back = back.expect("a redirect").to_string();
    assert!(back.starts_with("/audit?done="), "{back}");
    let done = request(&addr, "GET", &back, &[("Cookie", auditor.as_str())], "").body;
    assert!(done.contains(&format!("已记录：{counted} 项发现")), "{done}");
    let findings = request(&addr, "GET", "/api/v1/findings", &[("Cookie", auditor.as_str())], "").json();
    assert!(!findings["items"].as_array().expect("items").is_empty(), "{findings}");
    let _ = child.kill();
    let _ = child.wait();
    let o = common::bw(&db, &["verify"]);
    assert!(o.status.success(), "{}", common::stdout(&o));
}
