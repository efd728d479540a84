//! The public portal (阳光预算) at `/public`, with no log-in: budgets and execution by
//! region, department and function, every department's mandatory disclosure ("三公",
//! meeting and training costs) in full, a fund-flow heat map, projects, and the feedback
//! channel. Everything comes from `bw_app::public`, desensitised there.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use bw_app::feedback;
use bw_app::public::{self, Pair, Portal};
use bw_core::access::Permission;

use crate::api::{App, Caller, Problem, Via, esc};
use crate::pages::{layout, urlencode};
use crate::server::{pct, today, wan};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/public", get(page))
        .route("/public/feedback", post(submit_form))
        .route("/public/feedback/{id}/answer", post(answer_form))
}

/// The portal's figures as JSON, described for the API document.
pub fn documented() -> utoipa_axum::router::OpenApiRouter<App> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(json))
}

/// Names of the functional classes (类) of the government revenue and expenditure
/// classification, for the public's reading.
const CLASSES: &[(&str, &str, &str)] = &[
    ("201", "一般公共服务", "General public services"),
    ("202", "外交", "Foreign affairs"),
    ("203", "国防", "Defence"),
    ("204", "公共安全", "Public security"),
    ("205", "教育", "Education"),
    ("206", "科学技术", "Science and technology"),
    ("207", "文化旅游体育与传媒", "Culture, tourism, sport and media"),
    ("208", "社会保障和就业", "Social security and employment"),
    ("210", "卫生健康", "Health"),
    ("211", "节能环保", "Energy saving and environment"),
    ("212", "城乡社区", "Urban and rural communities"),
    ("213", "农林水", "Agriculture, forestry and water"),
    ("214", "交通运输", "Transport"),
    ("215", "资源勘探工业信息等", "Resources, industry and information"),
    ("216", "商业服务业等", "Commerce and services"),
    ("217", "金融", "Finance"),
    ("220", "自然资源海洋气象等", "Natural resources, ocean, meteorology"),
    ("221", "住房保障", "Housing"),
    ("222", "粮油物资储备", "Grain and material reserves"),
    ("224", "灾害防治及应急管理", "Disaster prevention and emergencies"),
    ("227", "预备费", "Reserve fund"),
    ("229", "其他支出", "Other"),
    ("230", "转移性支出", "Transfers"),
    ("231", "债务还本支出", "Debt principal"),
    ("232", "债务付息支出", "Debt interest"),
];

fn class_name(code: &str, en: bool) -> String {
    CLASSES
        .iter()
        .find(|c| c.0 == code)
        .map(|c| if en { c.2 } else { c.1 }.to_string())
        .unwrap_or_else(|| code.to_string())
}

#[derive(serde::Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PortalQuery {
    year: Option<i32>,
    month: Option<u32>,
    lang: Option<String>,
    #[param(ignore)]
    done: Option<String>,
    #[param(ignore)]
    error: Option<String>,
}

impl PortalQuery {
    fn resolve(&self) -> (i32, u32) {
        let t = today();
        let year = self.year.unwrap_or(t.year());
        let month = self.month.filter(|m| (1..=12).contains(m)).unwrap_or(if year < t.year() { 12 } else { t.month() });
        (year, month)
    }
}

fn t<'a>(en: bool, zh: &'a str, english: &'a str) -> &'a str {
    if en { english } else { zh }
}

async fn load(app: &App, q: &PortalQuery) -> Result<std::sync::Arc<Portal>, Problem> {
    let (year, month) = q.resolve();
    let org = app.org().await?;
    app.cached(format!("portal/{year}/{month}"), || async {
        public::portal(&app.store, &org, year, month).await.map_err(Problem::internal)
    })
    .await
}

/// The public portal's desensitised figures (no log-in).
#[utoipa::path(get, path = "/api/v1/public", tag = "public", params(PortalQuery), responses((status = 200, description = "departments' disclosures, functions, fund flows, projects", body = Object)))]
async fn json(State(app): State<App>, Query(q): Query<PortalQuery>) -> Result<Json<Portal>, Problem> {
    Ok(Json(load(&app, &q).await?.as_ref().clone()))
}

fn pair_cells(p: &Pair) -> String {
    format!("<td class=n>{}</td><td class=n>{}</td>", wan(p.budget), wan(p.paid))
}

/// The heat map: a row per region, a column per functional class, the colour the share of
/// the largest cell.
fn heat_map(p: &Portal, en: bool, region_names: &dyn Fn(&str) -> String) -> String {
    let mut regions: Vec<&str> = p.flows.iter().map(|c| c.region.as_str()).collect();
    regions.sort();
    regions.dedup();
    let mut classes: Vec<&str> = p.flows.iter().map(|c| c.class.as_str()).collect();
    classes.sort();
    classes.dedup();
    if regions.is_empty() || classes.is_empty() {
        return String::new();
    }
    let max = p.flows.iter().map(|c| c.paid.fen()).max().unwrap_or(1).max(1);
    let (cw, ch, left, top) = (46.0, 22.0, 110.0, 70.0);
    let (w, h) = (left + cw * classes.len() as f64 + 8.0, top + ch * regions.len() as f64 + 8.0);
    let mut s =
        format!(r#"<svg viewBox="0 0 {w} {h}" class="chart heat" role="img" xmlns="http://www.w3.org/2000/svg">"#);
    for (j, c) in classes.iter().enumerate() {
        let x = left + cw * j as f64 + cw / 2.0;
        let _ = write!(
            s,
            r#"<text x="{x:.1}" y="{}" font-size="10" text-anchor="start" transform="rotate(-45 {x:.1} {})">{}</text>"#,
            top - 6.0,
            top - 6.0,
            esc(&class_name(c, en))
        );
    }
    for (i, r) in regions.iter().enumerate() {
        let y = top + ch * i as f64;
        let _ = write!(
            s,
            r#"<text x="{}" y="{:.1}" font-size="11" text-anchor="end">{}</text>"#,
            left - 6.0,
            y + 15.0,
            esc(&region_names(r))
        );
        for (j, c) in classes.iter().enumerate() {
            let cell = p.flows.iter().find(|f| f.region == *r && f.class == *c);
            let x = left + cw * j as f64;
            let (fill, title) = match cell {
                Some(f) => {
                    let share = f.paid.ratio_of(bw_core::Money::from_fen(max));
                    let light = 95.0 - 60.0 * share.sqrt();
                    (
                        format!("hsl(4,70%,{light:.0}%)"),
                        format!("{} · {} · {}", region_names(r), class_name(c, en), wan(f.paid)),
                    )
                }
                None => ("#f3f3f3".to_string(), String::new()),
            };
            let _ = write!(
                s,
                r##"<rect x="{x:.1}" y="{y:.1}" width="{}" height="{}" fill="{fill}" stroke="#fff"><title>{}</title></rect>"##,
                cw - 1.0,
                ch - 1.0,
                esc(&title)
            );
        }
    }
    s.push_str("</svg>");
    s
}

async fn page(State(app): State<App>, caller: Caller, Query(q): Query<PortalQuery>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let (year, month) = q.resolve();
    let here = format!("/public?year={year}&month={month}{}", if en { "&lang=en" } else { "" });
    let p = match load(&app, &q).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let org = match app.org().await {
        Ok(o) => o,
        Err(e) => return e.into_response(),
    };
    let name = |code: &str| org.get(code).map(|n| n.name.clone()).unwrap_or_else(|| code.to_string());
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>{} <small>{year}-{month:02}</small></h1><p class=note>{}</p>",
        t(en, "阳光预算 · 预算公开", "Sunshine budget · open budget"),
        t(
            en,
            "本页只公开汇总数：不显示任何个人的姓名、账号或可识别信息；单位以下的汇总至少包含 3 笔支付，不足的合并为一行；向个人支付的合计按万元取整；各部门预算、决算执行、“三公”经费、会议费、培训费按法定要求全额公开。金额单位：万元。",
            "Aggregates only: no individual's name, account or identifying detail; below the unit level every aggregate holds at least 3 payments (smaller ones are added into one line); payments to individuals are totals rounded to 10,000 yuan; each department's budget, execution, \"three public\" spending, meeting and training costs are disclosed in full, as the law requires. Amounts in 10,000 yuan."
        )
    );
    b.push_str(&crate::pages::outcome(q.done.as_deref(), q.error.as_deref()));
    // Departments: the mandatory disclosures.
    let _ = write!(
        b,
        "<h2>{}</h2><div class=scroll><table class=disclosure><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>",
        t(en, "部门预算与“三公”经费公开", "Departments: budgets and \"three public\" spending"),
        t(en, "部门", "Department"),
        t(en, "地区", "Region"),
        t(en, "预算", "Budget"),
        t(en, "已支付", "Paid"),
    );
    for (c, zh, english) in bw_core::code::SANGONG_CODES {
        let _ = write!(b, "<th colspan=2>{} <small>{c}</small></th>", esc(if en { english } else { zh }));
    }
    let _ = write!(
        b,
        "<th colspan=2>{}</th><th colspan=2>{}</th><th>{}</th></tr></thead><tbody>",
        t(en, "会议费", "Meetings"),
        t(en, "培训费", "Training"),
        t(en, "向个人支付（取整）", "To individuals (rounded)")
    );
    for d in &p.departments {
        let _ = write!(
            b,
            "<tr><td>{} <small>{}</small></td><td>{}</td>{}",
            esc(&d.name),
            esc(&d.code),
            esc(&d.region),
            pair_cells(&d.total)
        );
        for (_, _, s) in &d.sangong {
            b.push_str(&pair_cells(s));
        }
        let _ = write!(
            b,
            "{}{}<td class=n>≈{}</td></tr>",
            pair_cells(&d.meeting),
            pair_cells(&d.training),
            wan(d.to_individuals_rounded)
        );
    }
    b.push_str("</tbody></table></div>");
    // Functions.
    let _ = write!(b, "<h2>{}</h2>", t(en, "按功能分类", "By function"));
    b.push_str(&crate::pages::head(&[
        t(en, "类", "Class"),
        t(en, "预算", "Budget"),
        t(en, "已支付", "Paid"),
        t(en, "支出进度", "Execution rate"),
    ]));
    for (c, pair) in &p.functions {
        let _ = write!(
            b,
            "<tr><td>{} <small>{}</small></td>{}<td class=n>{}</td></tr>",
            esc(&class_name(c, en)),
            esc(c),
            pair_cells(pair),
            pct(pair.paid.ratio_of(pair.budget))
        );
    }
    b.push_str("</tbody></table></div>");
    // Fund flows.
    let _ = write!(
        b,
        "<h2>{}</h2>{}",
        t(en, "资金流向（地区 × 功能分类，已支付）", "Fund flows (region × function, paid)"),
        heat_map(&p, en, &name)
    );
    if p.small_group_count > 0 {
        let _ = write!(
            b,
            "<p class=note>{} {} · {} {}</p>",
            t(en, "不足 3 笔支付的组合并：", "Groups of fewer than 3 payments, added together:"),
            p.small_group_count,
            t(en, "已支付", "paid"),
            wan(p.small_groups.paid)
        );
    }
    // Projects.
    let _ = write!(b, "<h2>{}</h2>", t(en, "项目", "Projects"));
    b.push_str(&crate::pages::head(&[
        t(en, "项目", "Project"),
        t(en, "单位", "Unit"),
        t(en, "状态", "Status"),
        t(en, "预算", "Budget"),
        t(en, "已支付", "Paid"),
    ]));
    for pr in &p.projects {
        let _ = write!(
            b,
            "<tr><td>{} <small>{}</small></td><td>{}</td><td>{}</td>{}</tr>",
            esc(&pr.name),
            esc(&pr.code),
            esc(&name(&pr.unit)),
            esc(&pr.status),
            pair_cells(&pr.total)
        );
    }
    b.push_str("</tbody></table></div>");
    if p.classified_projects > 0 {
        let _ = write!(
            b,
            "<p class=note id=classified>{} {} {}</p>",
            t(en, "另有涉密项目", "Classified projects:"),
            p.classified_projects,
            t(
                en,
                "个，依法不予公开，未计入本页任何数字。",
                "— not disclosed, as the law requires, and left out of every figure on this page."
            )
        );
    }
    if let Some(r) = &p.ranking {
        let _ = write!(
            b,
            "<h2 id=ranking>{}</h2><p class=note>{} {}</p>",
            t(en, "部门绩效排名", "Departments' performance ranking"),
            t(en, "财政部门发布于", "Published by finance on"),
            esc(&r.published_at)
        );
        b.push_str(&crate::pages::head(&[
            t(en, "名次", "Rank"),
            t(en, "部门", "Department"),
            t(en, "绩效得分", "Result"),
            t(en, "等级", "Grade"),
            t(en, "下年预算调整", "Next year's budget"),
        ]));
        for d in &r.departments {
            let change = match d.change_pct {
                0 => "—".to_string(),
                c => format!("{c:+}%"),
            };
            let interview = if d.interview { t(en, "（约谈）", " (interview)") } else { "" };
            let _ = write!(
                b,
                "<tr><td class=n>{}</td><td>{} <small>{}</small></td><td class=n>{}</td><td>{}</td><td class=n>{}{}</td></tr>",
                d.rank,
                esc(&d.name),
                esc(&d.department_code),
                esc(&d.result),
                esc(&d.grade_zh),
                esc(&change),
                interview
            );
        }
        b.push_str("</tbody></table></div>");
    }
    // Feedback.
    let _ = write!(b, "<h2 id=feedback>{}</h2>", t(en, "意见与问询", "Comments and inquiries"));
    let csrf = match &caller.via {
        Via::Session { csrf } => csrf.clone(),
        _ => String::new(),
    };
    if caller.access.has(Permission::Comment) {
        let _ = write!(
            b,
            r#"<form method=post action="/public/feedback" class=actions><input type=hidden name=csrf value="{}"><select name=kind aria-label="{}"><option value=comment>{}</option><option value=inquiry>{}</option></select> <input type=text name=subject placeholder="{}" aria-label="{}"> <input type=text name=text placeholder="{}" aria-label="{}" required> <button>{}</button></form>"#,
            esc(&csrf),
            t(en, "类型", "Kind"),
            t(en, "意见", "Comment"),
            t(en, "媒体问询（10 个工作日内答复）", "Media inquiry (answered within 10 working days)"),
            t(en, "对象（部门或项目代码）", "About (department or project code)"),
            t(en, "对象", "About"),
            t(en, "内容", "Text"),
            t(en, "内容", "Text"),
            t(en, "提交", "Send"),
        );
    } else if caller.user().is_none() {
        let _ = write!(
            b,
            r#"<p><a href="/login?next=/public">{}</a></p>"#,
            t(en, "登录后可提出意见或问询", "Log in to comment or inquire")
        );
    }
    let items = match feedback::list(&app.store, today(), 100).await {
        Ok(i) => i,
        Err(e) => return Problem::internal(e).into_response(),
    };
    let answerer = caller.access.has(Permission::AnswerInquiry);
    for i in &items {
        let due = format!(" {}", crate::pages::inquiry_due(en, i));
        let _ = write!(
            b,
            "<div class=feedback id=fb{}><p><b>{}</b> {} · {} · {}{due}</p><p>{}</p>",
            i.id,
            esc(&i.author),
            esc(if i.kind == "inquiry" { t(en, "问询", "inquiry") } else { t(en, "意见", "comment") }),
            esc(&i.subject),
            esc(&i.asked_on),
            esc(&i.body)
        );
        match &i.answer {
            Some(a) => {
                let _ = write!(b, "<p class=ok>{} {}</p>", t(en, "答复：", "Answer:"), esc(a));
            }
            None if answerer => {
                let _ = write!(
                    b,
                    r#"<form method=post action="/public/feedback/{}/answer" class=actions><input type=hidden name=csrf value="{}"><input type=text name=text required aria-label="{}"> <button>{}</button></form>"#,
                    i.id,
                    esc(&csrf),
                    t(en, "答复", "Answer"),
                    t(en, "答复", "Answer")
                );
            }
            None => {}
        }
        b.push_str("</div>");
    }
    Html(layout(en, t(en, "阳光预算", "Sunshine budget"), &caller, &here, &b)).into_response()
}

#[derive(serde::Deserialize)]
struct FeedbackForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    text: String,
}

fn back(done: Result<String, String>) -> Response {
    match done {
        Ok(m) => Redirect::to(&format!("/public?done={}#feedback", urlencode(&m))).into_response(),
        Err(e) => Redirect::to(&format!("/public?error={}#feedback", urlencode(&e))).into_response(),
    }
}

async fn submit_form(State(app): State<App>, caller: Caller, Form(f): Form<FeedbackForm>) -> Response {
    if let Some(r) = crate::pages::form_csrf(&caller, &f.csrf, "/public") {
        return r;
    }
    if !caller.access.has(Permission::Comment) {
        return Problem::from(bw_core::access::Refusal::NoPermission(Permission::Comment)).into_response();
    }
    let Some(kind) = feedback::Kind::parse(&f.kind) else {
        return back(Err("kind: comment or inquiry".into()));
    };
    let subject = if f.subject.trim().is_empty() { "*" } else { f.subject.trim() };
    let c = match crate::pages::actor_ctx(&caller, format!("{} by {}", kind.as_str(), caller.access.user)) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let (store, user, subject, text) = (app.store.clone(), caller.access.user.clone(), subject.to_string(), f.text);
    let done =
        crate::api::off_thread(move |rt| rt.block_on(feedback::submit(&store, &c, &user, kind, &subject, &text)));
    let done = match done.await {
        Ok(d) => d,
        Err(p) => return p.into_response(),
    };
    match done {
        Ok(id) => back(Ok(format!("#{id}"))),
        Err(bw_app::journal::ActionError::Invalid(m)) => back(Err(m)),
        Err(e) => Problem::internal(e).into_response(),
    }
}

#[derive(serde::Deserialize)]
struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

async fn answer_form(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(f): Form<AnswerForm>,
) -> Response {
    if let Some(r) = crate::pages::form_csrf(&caller, &f.csrf, "/public") {
        return r;
    }
    if !caller.access.has(Permission::AnswerInquiry) {
        return Problem::from(bw_core::access::Refusal::NoPermission(Permission::AnswerInquiry)).into_response();
    }
    let c = match crate::pages::actor_ctx(&caller, format!("answer to feedback {id}")) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let (store, user, text) = (app.store.clone(), caller.access.user.clone(), f.text);
    let done = crate::api::off_thread(move |rt| rt.block_on(feedback::answer(&store, &c, &user, id, &text)));
    let done = match done.await {
        Ok(d) => d,
        Err(p) => return p.into_response(),
    };
    match done {
        Ok(_) => back(Ok(format!("#{id}"))),
        Err(bw_app::journal::ActionError::Invalid(m)) => back(Err(m)),
        Err(e) => Problem::internal(e).into_response(),
    }
}
