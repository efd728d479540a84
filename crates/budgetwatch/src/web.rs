//! The frame every page shares: the layout (style, navigation, the caller, the language
//! switch), the refusal page, the outcome line, the session's CSRF check and actor, table
//! downloads, and the names pages give to levels, states, rules and evidence. The feature
//! pages use it; it uses none of them.

use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use bw_core::access::Permission;

use crate::api::{Caller, Problem, Via};
use crate::clock::today;
use crate::text::{esc, t, urlencode};

/// Who took a journaled step, as a reader names them: a person by their display name with
/// the account beside it, the system's own work by what it is.
pub(crate) fn actor_html(en: bool, actor: &str, names: &std::collections::HashMap<String, String>) -> String {
    match actor.split_once(':') {
        Some(("user", name)) => match names.get(name).filter(|d| d.as_str() != name) {
            Some(display) => format!("{} <small>{}</small>", esc(display), esc(name)),
            None => esc(name),
        },
        Some(("system", "schedule")) => t(en, "系统（每日定时检查）", "the system (daily check)").to_string(),
        Some(("system", _)) => t(en, "系统", "the system").to_string(),
        _ => esc(actor),
    }
}

pub(crate) const CSS: &str = r#"
body{font-family:system-ui,"PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#8e1b1b;color:#fff;padding:.6em 1em;display:flex;flex-wrap:wrap;gap:.4em 1em;justify-content:space-between;align-items:center}
header a,header button{color:#fff} header nav{display:flex;flex-wrap:wrap;gap:.3em 1em;align-items:center}
header form{display:inline;margin:0} header button{background:none;border:1px solid #fff8;border-radius:3px;cursor:pointer}
main{padding:1em;max-width:1100px;margin:auto}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:.6em;margin:1em 0}
.kpis div{background:#fff;border:1px solid #e5e5e5;padding:.7em} .kpis b{display:block;font-size:1.4em} .kpis span{color:#666;font-size:.85em}
.chart{width:100%;max-width:560px;background:#fff;border:1px solid #e5e5e5} .bar{width:120px;height:12px}
.scroll{overflow-x:auto} table{border-collapse:collapse;width:100%;background:#fff} th,td{padding:.35em .5em;border-bottom:1px solid #eee;white-space:nowrap}
th{text-align:left;background:#f3f3f3} td.n{text-align:right;font-variant-numeric:tabular-nums} tr.lag td{background:#fff4e5} tr.over td{background:#fdecea}
small{color:#888} .note{color:#666;font-size:.85em} footer{padding:1em;color:#666;font-size:.85em;max-width:1100px;margin:auto}
.crumbs{font-size:.9em;margin:.2em 0 .8em} .crumbs a{margin-right:.3em}
.lv-red{color:#fff;background:#c0392b;padding:0 .4em;border-radius:3px} .lv-orange{color:#fff;background:#e67e22;padding:0 .4em;border-radius:3px} .lv-yellow{background:#f1c40f;padding:0 .4em;border-radius:3px}
.overdue{color:#c0392b;font-weight:bold} .err{color:#b00} .ok{color:#1e7b34}
.actions form{display:inline-block;margin:.2em .4em .2em 0} .actions input[type=text]{width:16em;max-width:90vw}
.actions form.step{display:block;background:#fff;border:1px solid #e5e5e5;padding:.6em;margin:.5em 0;max-width:44em} form.step label{display:block;margin:.3em 0} form.step textarea{display:block;width:100%;box-sizing:border-box;font:inherit} div.text{white-space:pre-wrap;min-width:12em}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.3em 1em;background:#fff;border:1px solid #e5e5e5;padding:.8em}
dl.kv dt{color:#666} dl.kv dd{margin:0;word-break:break-all}
.inline{display:inline} .inline button{padding:0 .3em} .docs{display:flex;flex-wrap:wrap;gap:.8em} .docs figure{margin:0;max-width:320px} .docs img{max-width:100%;border:1px solid #ddd} .docs figcaption{font-size:.8em;color:#666;word-break:break-all} .heat{max-width:100%} ol.stages{display:flex;flex-wrap:wrap;gap:.3em;padding:0;list-style:none;counter-reset:st} ol.stages li{background:#fff;border:1px solid #ddd;padding:.2em .6em;border-radius:3px} ol.stages li.now{background:#8e1b1b;color:#fff} ol.stages li.now small{color:#fdd} .feedback{background:#fff;border:1px solid #e5e5e5;padding:.3em .8em;margin:.5em 0}
.pager{margin:.4em 0;font-size:.9em} .pager a,.pager b{margin-right:.6em} .dl{font-size:.85em;margin-left:.6em} .legend{font-size:.8em;color:#666;display:flex;flex-wrap:wrap;align-items:center;gap:.4em;margin:.3em 0} .legend b{display:inline-block;width:12px;height:12px;border-radius:2px} .legend i{display:inline-block;width:120px;height:10px;background:linear-gradient(90deg,hsl(4,70%,95%),hsl(4,70%,35%))} .empty{background:#fff;border:1px dashed #ccc;padding:1em;color:#555} td.wrap{white-space:normal;min-width:9em}
@media (max-width:600px){main{padding:.5em}.bar{width:80px}}
"#;

/// The page around `body`: header with the navigation and the caller, and a language switch.
pub(crate) fn layout(en: bool, title: &str, caller: &Caller, path_with_query: &str, body: &str) -> String {
    let lang = if en { "?lang=en" } else { "" };
    let mut nav: Vec<(String, &str)> = vec![(format!("/{lang}"), t(en, "驾驶舱", "Cockpit"))];
    if caller.user().is_some() {
        if caller.access.has(Permission::ReadWarnings) {
            nav.push((format!("/inbox{lang}"), t(en, "预警", "Warnings")));
            nav.push((format!("/risks{lang}"), t(en, "风险清单", "Risks")));
            nav.push((format!("/meetings{lang}"), t(en, "会议督办", "Meetings")));
            nav.push((format!("/reviews{lang}"), t(en, "复盘与案例", "Reviews")));
        }
        if caller.access.has(Permission::Comment) || caller.access.has(Permission::AnswerInquiry) {
            nav.push((format!("/public/feedback{lang}"), t(en, "意见与问询", "Feedback")));
        }
        if caller.access.has(Permission::ReadBudget) {
            let year = today().year();
            nav.push((format!("/budget/{year}{lang}"), t(en, "预算编制", "Budget")));
            nav.push((format!("/performance/{}{lang}", year - 1), t(en, "绩效", "Performance")));
            nav.push((format!("/forecast/{year}{lang}"), t(en, "预测", "Forecast")));
            nav.push((format!("/simulation{lang}"), t(en, "模拟", "Simulation")));
            nav.push((format!("/informal{lang}"), t(en, "沟通记录", "Informal")));
            nav.push((format!("/matters{lang}"), t(en, "重大事项", "Matters")));
        }
        if caller.access.has(Permission::Ingest) {
            nav.push((format!("/import{lang}"), t(en, "导入", "Import")));
        }
        if caller.access.has(Permission::RunAudit) {
            nav.push((format!("/audit{lang}"), t(en, "审计", "Audit")));
        }
        if caller.access.has(Permission::ManageUsers) {
            nav.push((format!("/admin/users{lang}"), t(en, "账号", "Accounts")));
        }
    }
    nav.push((format!("/public{lang}"), t(en, "阳光预算", "Public portal")));
    let switch = if en {
        path_with_query.replace("lang=en", "lang=zh")
    } else if path_with_query.contains('?') {
        format!("{path_with_query}&lang=en")
    } else {
        format!("{path_with_query}?lang=en")
    };
    nav.push((switch, t(en, "English", "中文")));
    let (user, csrf) = match (&caller.via, caller.user()) {
        (Via::Session { csrf }, Some(user)) => (Some(user), csrf.as_str()),
        _ => (None, ""),
    };
    crate::templates::render(
        "layout.html",
        minijinja::context! {
            lang => if en { "en" } else { "zh-CN" },
            title => title,
            css => CSS,
            nav => nav.iter().map(|(href, label)| minijinja::context! { href => href, label => *label }).collect::<Vec<_>>(),
            user => user,
            csrf => csrf,
            logout => t(en, "退出", "Log out"),
            login => t(en, "登录", "Log in"),
            login_href => format!("/login?next={}", urlencode(path_with_query)),
            body => body,
        },
    )
}

/// A refusal or failure as a page (the problem's status, its detail, a way to log in).
/// A signed-in page's answer: its body in the layout, or the refusal page.
pub(crate) fn page_answer(
    en: bool,
    caller: &Caller,
    title: &str,
    here: &str,
    body: Result<String, Problem>,
) -> Response {
    match body {
        Ok(b) => Html(layout(en, title, caller, here, &b)).into_response(),
        Err(p) => problem_page(en, caller, here, p),
    }
}

/// Signed in and holding `p` somewhere.
pub(crate) fn holding(caller: &Caller, p: Permission) -> Result<(), Problem> {
    if caller.user().is_none() || !caller.access.has(p) {
        return Err(bw_core::access::Refusal::NoPermission(p).into());
    }
    Ok(())
}

/// Back to `path` after a form, with what came of it (`done` or `error`) for the outcome line.
pub(crate) fn back_to(path: &str, en: bool, outcome: Result<String, String>) -> Response {
    let lang = if en { "&lang=en" } else { "" };
    let (k, v) = match outcome {
        Ok(m) => ("done", m),
        Err(m) => ("error", m),
    };
    Redirect::to(&format!("{path}?{k}={}{lang}", urlencode(&v))).into_response()
}

pub(crate) fn problem_page(en: bool, caller: &Caller, here: &str, p: Problem) -> Response {
    let detail = match (&p.zh, en) {
        (Some(zh), false) => zh.as_str(),
        _ => p.detail.as_str(),
    };
    let body = crate::templates::render(
        "problem.html",
        minijinja::context! {
            status => p.status.as_u16(),
            detail => detail,
            login_href => caller.user().is_none().then(|| format!("/login?next={}", urlencode(here))),
            login => t(en, "请先登录", "Log in first"),
        },
    );
    (p.status, Html(layout(en, t(en, "无法显示", "Not shown"), caller, here, &body))).into_response()
}

/// The refusal of a form posted without the session's CSRF token, or without a session
/// (then to the log-in, and back to `next`).
pub(crate) fn form_csrf(caller: &Caller, given: &str, next: &str) -> Option<Response> {
    match &caller.via {
        Via::Session { csrf } if csrf == given => None,
        Via::Session { .. } => {
            Some(Problem::new(StatusCode::FORBIDDEN, "forbidden", "missing or wrong CSRF token").into_response())
        }
        _ => Some(Redirect::to(&format!("/login?next={}", urlencode(next))).into_response()),
    }
}

/// A downloadable table as a file: `format` is `csv` or `xlsx` (404 otherwise); the file is
/// named `stem.format`, and by the table's title for browsers that read RFC 6266's
/// `filename*`.
pub(crate) fn table_file(tb: &bw_app::table::Table, format: &str, stem: &str) -> Response {
    let (bytes, kind) = match format {
        "csv" => (tb.csv(), "text/csv; charset=utf-8"),
        "xlsx" => match tb.xlsx() {
            Ok(b) => (b, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            Err(e) => return Problem::internal(e).into_response(),
        },
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let disposition = format!(
        "attachment; filename=\"{stem}.{format}\"; filename*=UTF-8''{}",
        urlencode(&format!("{}.{format}", tb.title)).replace('/', "%2F")
    );
    ([(header::CONTENT_TYPE, kind.to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response()
}

/// A warning level as its reader names it (the colour is the badge's, the word says it too).
pub(crate) fn level_name(en: bool, level: &str) -> &str {
    match bw_rules::Level::parse(level) {
        Some(l) if !en => l.zh(),
        _ => level,
    }
}

pub(crate) fn level_badge(en: bool, level: &str) -> String {
    format!("<span class=lv-{}>{}</span>", esc(level), esc(level_name(en, level)))
}

/// A state of a warning's loop as its reader names it.
pub(crate) fn state_name(en: bool, state: &str) -> String {
    match bw_rules::workflow::State::parse(state) {
        Some(st) if !en => st.zh().to_string(),
        _ => state.replace('_', " "),
    }
}

/// A rule's or an audit test's name: Chinese on Chinese pages, the id in English.
pub(crate) fn rule_name(en: bool, rule: &str) -> String {
    if en {
        return rule.to_string();
    }
    bw_rules::Rule::parse(rule)
        .map(|r| r.zh().to_string())
        .or_else(|| bw_audit::TESTS.iter().find(|(id, _)| *id == rule).map(|(_, zh)| zh.to_string()))
        .or_else(|| bw_app::monitor::other_warning_name(rule).map(str::to_string))
        .unwrap_or_else(|| rule.to_string())
}

/// A finding's evidence as a reader reads it: each fact named ("已支付：1,234.00；超出比例(%)：
/// 12.5"), not as JSON. English keeps the keys.
pub(crate) fn evidence_text(en: bool, evidence: &serde_json::Value) -> String {
    let value = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) if !en => {
            bw_rules::evidence_value(s).map(str::to_string).unwrap_or_else(|| s.clone())
        }
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(b) => t(en, if *b { "是" } else { "否" }, if *b { "yes" } else { "no" }).to_string(),
        serde_json::Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string()))
            .collect::<Vec<_>>()
            .join("、"),
        other => other.to_string(),
    };
    match evidence.as_object() {
        Some(map) if !map.is_empty() => map
            .iter()
            .map(|(k, v)| {
                let name = if en { k.as_str() } else { bw_rules::evidence_label(k).unwrap_or(k.as_str()) };
                format!("{}{}{}", esc(name), t(en, "：", ": "), esc(&value(v)))
            })
            .collect::<Vec<_>>()
            .join(t(en, "；", "; ")),
        _ => esc(&value(evidence)),
    }
}

/// An inquiry's answer deadline, marked when it has passed; empty for a comment.
pub(crate) fn inquiry_due(en: bool, i: &bw_app::feedback::Item) -> String {
    match (&i.due_on, i.overdue) {
        (Some(d), true) => format!("<span class=overdue>{} {}</span>", t(en, "已逾期，应于", "overdue, due"), esc(d)),
        (Some(d), false) => format!("<small>{} {}</small>", t(en, "答复期限", "due"), esc(d)),
        _ => String::new(),
    }
}

/// Links to the execution report of a region (the top one when `None`) for the month and its
/// quarter, as XLSX and PDF (docs/REPORTS.md; read_budget and export on the region).
pub(crate) fn report_links(en: bool, year: i32, month: u32, region: Option<&str>) -> String {
    let region = region.map(|r| format!("&region={}", urlencode(r))).unwrap_or_default();
    let quarter = month.div_ceil(3);
    let link = |period: &str, format: &str| {
        format!(
            r#"<a href="/api/v1/reports/execution?period={period}&format={format}{region}" download>{}</a>"#,
            format.to_uppercase()
        )
    };
    let (m, q) = (format!("{year}-{month:02}"), format!("{year}-Q{quarter}"));
    format!(
        "<p class=dl id=reports>{} {} {} · {} {} {}</p>",
        t(en, "预算执行报告：", "Execution report:"),
        if en { m.clone() } else { format!("{year} 年 {month} 月") },
        [link(&m, "xlsx"), link(&m, "pdf")].join(" "),
        if en { q.clone() } else { format!("第 {quarter} 季度") },
        [link(&q, "xlsx"), link(&q, "pdf")].join(" "),
        t(en, "（Excel 可编辑；PDF 可打印）", "(XLSX to edit; PDF to print)"),
    )
}

/// The outcome of an administration form, back on the page.
/// A refused account or grant as the page tells it: the kinds the account service gives
/// (anything else with the service's own words).
pub(crate) fn account_refusal_zh(m: &str) -> String {
    if m.contains("too many registrations") {
        format!("同一网络地址每天最多注册 {} 个账号，请明天再试", bw_app::users::REGISTRATIONS_PER_DAY)
    } else if m.contains("exists") {
        "该用户名已被使用".into()
    } else if m.contains("user name") {
        "用户名只能由小写字母、数字和 . _ - 组成，最多 64 个字符".into()
    } else if m.contains("password") {
        "密码至少需要 10 个字符".into()
    } else if m.contains("cannot also approve") || m.contains("cannot approve a grant to themselves") {
        "职责分离：提出或接受授权申请的人不能批准它，须由另一位管理员批准".into()
    } else if m.contains("to themselves") {
        "职责分离：不能给自己授权".into()
    } else if m.contains("in the past") {
        "有效期已过，请选择今天以后的日期".into()
    } else if m.contains("must end") {
        "该角色（外部或临时角色）的授权必须设定有效期".into()
    } else if m.contains("not in the organisation") || m.contains("no user") {
        "所选账号或单位不存在".into()
    } else {
        format!("未成功：{m}")
    }
}
