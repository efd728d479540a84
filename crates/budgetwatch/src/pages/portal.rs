//! The public portal (阳光预算) at `/public`, with no log-in: budgets and execution by
//! region, department and function, every department's mandatory disclosure ("三公",
//! meeting and training costs) in full, a fund-flow heat map, projects, and the feedback
//! channel. Everything comes from `bw_app::public`, desensitised there.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bw_app::feedback;
use bw_app::public::{self, Pair, Portal};
use bw_app::table::{Cell, Table};
use bw_core::access::Permission;
use minijinja::{Value, context};

use crate::api::{App, Caller, Problem};
use crate::clock::today;
use crate::text::{esc, pct, t, urlencode, wan};
use crate::web::layout;

pub fn routes() -> Router<App> {
    Router::new().route("/public", get(page)).route("/public/download/{file}", get(download))
}

/// The portal's figures as JSON, described for the API document.
pub fn documented() -> utoipa_axum::router::OpenApiRouter<App> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(json))
}

/// A functional class (类) by its name in the national classification.
pub(crate) fn class_name(code: &str, en: bool) -> String {
    bw_core::code::functional_name(code, en).map(str::to_string).unwrap_or_else(|| code.to_string())
}

#[derive(serde::Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PortalQuery {
    /// The year; by default the newest year with payments (else with a budget).
    year: Option<i32>,
    month: Option<u32>,
    lang: Option<String>,
    #[param(ignore)]
    done: Option<String>,
    #[param(ignore)]
    error: Option<String>,
    /// Departments and projects whose name or code holds this text.
    #[param(ignore)]
    q: Option<String>,
    #[param(ignore)]
    dpage: Option<usize>,
    #[param(ignore)]
    ppage: Option<usize>,
}

/// Rows a page of the departments' or projects' table shows.
const PAGE_ROWS: usize = 20;

impl PortalQuery {
    async fn resolve(&self, app: &App) -> Result<(i32, u32), Problem> {
        let t = today();
        let year = match self.year {
            Some(y) => y,
            None => public::default_year(&app.store, t.year()).await.map_err(Problem::internal)?,
        };
        let month = self.month.filter(|m| (1..=12).contains(m)).unwrap_or(if year < t.year() { 12 } else { t.month() });
        Ok((year, month))
    }

    fn search(&self) -> &str {
        self.q.as_deref().map(str::trim).unwrap_or("")
    }
}

async fn load(app: &App, q: &PortalQuery) -> Result<std::sync::Arc<Portal>, Problem> {
    let (year, month) = q.resolve(app).await?;
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

/// The heat map: a row per region, a column per functional class, the colour the share of
/// the largest cell.
pub(crate) fn heat_map(p: &Portal, en: bool, region_names: &dyn Fn(&str) -> String) -> String {
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

/// The portal's tables as downloads: (file stem, Chinese title, English title).
const TABLES: &[(&str, &str, &str)] = &[
    ("departments", "部门预算与三公经费", "Departments"),
    ("functions", "按功能分类", "By function"),
    ("flows", "资金流向", "Fund flows"),
    ("projects", "项目", "Projects"),
    ("ranking", "部门绩效排名", "Performance ranking"),
];

/// Departments and projects matching the search text (name or code), in the portal's order.
fn matches(search: &str, name: &str, code: &str) -> bool {
    search.is_empty() || name.contains(search) || code.contains(search)
}

/// One of the portal's tables as a download, in the reader's language; None for an unknown
/// table.
fn table(p: &Portal, which: &str, en: bool, search: &str, name: &dyn Fn(&str) -> String) -> Option<Table> {
    let title = TABLES.iter().find(|t| t.0 == which).map(|t| if en { t.2 } else { t.1 })?;
    let title = format!("{title} {}-{:02}", p.year, p.month);
    let m = Cell::Money;
    let txt = |s: &str| Cell::Text(s.to_string());
    Some(match which {
        "departments" => {
            let mut cols = vec![
                t(en, "部门", "Department").to_string(),
                t(en, "部门代码", "Code").to_string(),
                t(en, "地区", "Region").to_string(),
                t(en, "预算（元）", "Budget (yuan)").to_string(),
                t(en, "已支付（元）", "Paid (yuan)").to_string(),
            ];
            for (_, zh, english) in bw_core::code::SANGONG_CODES {
                let n = if en { english } else { zh };
                cols.push(format!("{n} {}", t(en, "预算", "budget")));
                cols.push(format!("{n} {}", t(en, "已支付", "paid")));
            }
            for n in [t(en, "会议费", "Meetings"), t(en, "培训费", "Training")] {
                cols.push(format!("{n} {}", t(en, "预算", "budget")));
                cols.push(format!("{n} {}", t(en, "已支付", "paid")));
            }
            cols.push(t(en, "向个人支付（万元取整，元）", "To individuals (rounded, yuan)").to_string());
            let mut tb = Table { title, columns: cols, rows: Vec::new() };
            for d in p.departments.iter().filter(|d| matches(search, &d.name, &d.code)) {
                let mut row = vec![txt(&d.name), txt(&d.code), txt(&d.region), m(d.total.budget), m(d.total.paid)];
                for (_, _, s) in &d.sangong {
                    row.extend([m(s.budget), m(s.paid)]);
                }
                row.extend([m(d.meeting.budget), m(d.meeting.paid), m(d.training.budget), m(d.training.paid)]);
                row.push(m(d.to_individuals_rounded));
                tb.rows.push(row);
            }
            tb
        }
        "functions" => {
            let mut tb = Table::new(
                &title,
                &[
                    t(en, "类", "Class"),
                    t(en, "科目代码", "Code"),
                    t(en, "预算（元）", "Budget (yuan)"),
                    t(en, "已支付（元）", "Paid (yuan)"),
                    t(en, "支出进度", "Execution rate"),
                ],
            );
            for (c, pair) in &p.functions {
                tb.rows.push(vec![
                    Cell::Text(class_name(c, en)),
                    txt(c),
                    m(pair.budget),
                    m(pair.paid),
                    Cell::Rate(pair.paid.ratio_of(pair.budget)),
                ]);
            }
            tb
        }
        "flows" => {
            let mut tb = Table::new(
                &title,
                &[
                    t(en, "地区", "Region"),
                    t(en, "类", "Class"),
                    t(en, "已支付（元）", "Paid (yuan)"),
                    t(en, "支付笔数", "Payments"),
                ],
            );
            for f in &p.flows {
                tb.rows.push(vec![
                    Cell::Text(name(&f.region)),
                    Cell::Text(class_name(&f.class, en)),
                    m(f.paid),
                    Cell::Int(f.payments),
                ]);
            }
            tb
        }
        "projects" => {
            let mut tb = Table::new(
                &title,
                &[
                    t(en, "项目", "Project"),
                    t(en, "项目代码", "Code"),
                    t(en, "单位", "Unit"),
                    t(en, "状态", "Status"),
                    t(en, "预算（元）", "Budget (yuan)"),
                    t(en, "已支付（元）", "Paid (yuan)"),
                ],
            );
            for pr in p.projects.iter().filter(|pr| matches(search, &pr.name, &pr.code)) {
                tb.rows.push(vec![
                    txt(&pr.name),
                    txt(&pr.code),
                    Cell::Text(name(&pr.unit)),
                    Cell::Text(status_name(&pr.status, en)),
                    m(pr.total.budget),
                    m(pr.total.paid),
                ]);
            }
            tb
        }
        "ranking" => {
            let mut tb = Table::new(
                &title,
                &[
                    t(en, "名次", "Rank"),
                    t(en, "部门", "Department"),
                    t(en, "部门代码", "Code"),
                    t(en, "绩效得分", "Result"),
                    t(en, "等级", "Grade"),
                    t(en, "下年预算调整", "Next year's budget"),
                ],
            );
            for d in p.ranking.iter().flat_map(|r| &r.departments) {
                tb.rows.push(vec![
                    Cell::Int(d.rank as i64),
                    txt(&d.name),
                    txt(&d.department_code),
                    txt(&d.result),
                    txt(&d.grade_zh),
                    Cell::Text(format!("{:+}%", d.change_pct)),
                ]);
            }
            tb
        }
        _ => return None,
    })
}

/// A project's status as the public reads it.
pub(crate) fn status_name(status: &str, en: bool) -> String {
    match bw_core::records::ProjectStatus::parse(status) {
        Ok(s) if !en => s.zh().to_string(),
        _ => status.to_string(),
    }
}

/// A stored UTC time as the installation's local time.
fn published_local(at: &str) -> String {
    bw_core::Timestamp::parse(at).map(crate::clock::local_time).unwrap_or_else(|| at.to_string())
}

/// The page's address with `key` set to `value` (other parameters kept).
fn with(q: &PortalQuery, year: i32, month: u32, en: bool, key: &str, value: &str) -> String {
    let mut parts = vec![format!("year={year}"), format!("month={month}")];
    let search = q.search();
    if !search.is_empty() && key != "q" {
        parts.push(format!("q={}", urlencode(search)));
    }
    for (k, v) in [("dpage", q.dpage), ("ppage", q.ppage)] {
        if let Some(v) = v.filter(|_| k != key) {
            parts.push(format!("{k}={v}"));
        }
    }
    if !key.is_empty() {
        parts.push(format!("{key}={}", urlencode(value)));
    }
    if en {
        parts.push("lang=en".into());
    }
    format!("/public?{}", parts.join("&"))
}

/// The pages of a table of `total` rows, `page` (from 1) the one shown, as the pager links
/// them: the first, the last and those near the shown one, a gap for the others; None for a
/// table of one page.
fn pager(total: usize, page: usize, link: &dyn Fn(usize) -> String) -> Option<Value> {
    let pages = total.div_ceil(PAGE_ROWS);
    if pages <= 1 {
        return None;
    }
    let near = |i: usize| i == 1 || i == pages || i.abs_diff(page) <= 2;
    let mut links = Vec::new();
    for i in 1..=pages {
        if near(i) {
            links.push(context! { n => i, current => i == page, href => (i != page).then(|| link(i)) });
        } else if near(i - 1) {
            // One gap for a run of pages left out.
            links.push(context! { gap => true });
        }
    }
    Some(context! { pages => pages, links => links })
}

/// A table of the portal downloaded as CSV or XLSX (`departments.csv`, `projects.xlsx`, …),
/// with the page's year, month and search.
async fn download(State(app): State<App>, Path(file): Path<String>, Query(q): Query<PortalQuery>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let Some((which, format)) = file.rsplit_once('.') else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let p = match load(&app, &q).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let org = match app.org().await {
        Ok(o) => o,
        Err(e) => return e.into_response(),
    };
    let name = |code: &str| org.get(code).map(|n| n.name.clone()).unwrap_or_else(|| code.to_string());
    let Some(tb) = table(&p, which, en, q.search(), &name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    crate::web::table_file(&tb, format, &format!("{which}-{}-{:02}", p.year, p.month))
}

/// A budget and what was paid of it, in 万元 as the tables show them.
fn amounts(p: &Pair) -> [String; 2] {
    [wan(p.budget), wan(p.paid)]
}

/// The portal's tables: departments (searched, paged), functions, the heat map, projects
/// (searched, paged) and the ranking; the template adds each one's downloads.
fn tables(p: &Portal, q: &PortalQuery, year: i32, month: u32, en: bool, name: &dyn Fn(&str) -> String) -> Value {
    let search = q.search();
    // Departments: the mandatory disclosures.
    let depts: Vec<&public::Department> = p.departments.iter().filter(|d| matches(search, &d.name, &d.code)).collect();
    let dpage = q.dpage.unwrap_or(1).clamp(1, depts.len().div_ceil(PAGE_ROWS).max(1));
    let departments: Vec<Value> = depts
        .iter()
        .skip((dpage - 1) * PAGE_ROWS)
        .take(PAGE_ROWS)
        .map(|d| {
            let mut pairs = vec![&d.total];
            pairs.extend(d.sangong.iter().map(|(_, _, s)| s));
            pairs.extend([&d.meeting, &d.training]);
            context! {
                name => d.name.as_str(),
                region => d.region.as_str(),
                amounts => pairs.into_iter().flat_map(amounts).collect::<Vec<_>>(),
                individuals => wan(d.to_individuals_rounded),
            }
        })
        .collect();
    let sangong: Vec<Value> = bw_core::code::SANGONG_CODES
        .iter()
        .map(|&(c, zh, english)| context! { code => c, name => t(en, zh, english) })
        .collect();
    let functions: Vec<Value> = p
        .functions
        .iter()
        .map(|(c, pair)| {
            let [budget, paid] = amounts(pair);
            context! {
                name => class_name(c, en),
                code => c,
                budget => budget,
                paid => paid,
                rate => pct(pair.paid.ratio_of(pair.budget)),
            }
        })
        .collect();
    let max = p.flows.iter().map(|c| c.paid).max_by_key(|m| m.fen()).unwrap_or_default();
    let small_groups =
        (p.small_group_count > 0).then(|| context! { count => p.small_group_count, paid => wan(p.small_groups.paid) });
    let found: Vec<&public::Project> = p.projects.iter().filter(|pr| matches(search, &pr.name, &pr.code)).collect();
    let ppage = q.ppage.unwrap_or(1).clamp(1, found.len().div_ceil(PAGE_ROWS).max(1));
    let projects: Vec<Value> = found
        .iter()
        .skip((ppage - 1) * PAGE_ROWS)
        .take(PAGE_ROWS)
        .map(|pr| {
            let [budget, paid] = amounts(&pr.total);
            context! {
                name => pr.name.as_str(),
                unit => name(&pr.unit),
                status => status_name(&pr.status, en),
                budget => budget,
                paid => paid,
            }
        })
        .collect();
    let ranking = p.ranking.as_ref().map(|r| {
        let departments: Vec<Value> = r
            .departments
            .iter()
            .map(|d| {
                let change = match d.change_pct {
                    0 => "—".to_string(),
                    c => format!("{c:+}%"),
                };
                context! {
                    rank => d.rank,
                    name => d.name.as_str(),
                    result => d.result.as_str(),
                    grade => d.grade_zh.as_str(),
                    change => change,
                    interview => d.interview,
                }
            })
            .collect();
        context! { published => published_local(&r.published_at), departments => departments }
    });
    context! {
        departments_count => depts.len(),
        departments => departments,
        departments_pager => pager(depts.len(), dpage, &|i| {
            format!("{}#departments", with(q, year, month, en, "dpage", &i.to_string()))
        }),
        sangong => sangong,
        functions => functions,
        // The SVG is built with its names escaped.
        heat_map => Value::from_safe_string(heat_map(p, en, name)),
        legend_max => (!p.flows.is_empty()).then(|| wan(max)),
        small_groups => small_groups,
        projects_count => found.len(),
        projects => projects,
        projects_pager => pager(found.len(), ppage, &|i| {
            format!("{}#projects", with(q, year, month, en, "ppage", &i.to_string()))
        }),
        classified => (p.classified_projects > 0).then_some(p.classified_projects),
        ranking => ranking,
    }
}

/// The portal's words in the reader's language.
fn words(en: bool) -> Value {
    context! {
        title => t(en, "阳光预算 · 预算公开", "Sunshine budget · open budget"),
        aggregates => t(
            en,
            "本页只公开汇总数：不显示任何个人的姓名、账号或可识别信息；单位以下的汇总至少包含 3 笔支付，不足的合并为一行；向个人支付的合计按万元取整；各部门预算、决算执行、“三公”经费、会议费、培训费按法定要求全额公开。金额单位：万元。",
            "Aggregates only: no individual's name, account or identifying detail; below the unit level every aggregate holds at least 3 payments (smaller ones are added into one line); payments to individuals are totals rounded to 10,000 yuan; each department's budget, execution, \"three public\" spending, meeting and training costs are disclosed in full, as the law requires. Amounts in 10,000 yuan."
        ),
        year => t(en, "年度", "Year"),
        to_the_end => t(en, "截至", "To the end of"),
        search_hint => t(en, "部门或项目名称、代码", "Department or project name or code"),
        search => t(en, "搜索", "Search"),
        show => t(en, "查看", "Show"),
        years_with_data => t(en, "有数据的年度：", "Years with data:"),
        download => t(en, "下载", "Download"),
        pages => t(en, "共", "Pages:"),
        pages_unit => t(en, "页", ""),
        departments => t(en, "部门预算与“三公”经费公开", "Departments: budgets and \"three public\" spending"),
        departments_unit => t(en, "个部门", "departments"),
        department => t(en, "部门", "Department"),
        region => t(en, "地区", "Region"),
        budget => t(en, "预算", "Budget"),
        paid => t(en, "已支付", "Paid"),
        meetings => t(en, "会议费", "Meetings"),
        training => t(en, "培训费", "Training"),
        individuals => t(en, "向个人支付（取整）", "To individuals (rounded)"),
        no_department => t(en, "没有符合搜索条件的部门。", "No department matches."),
        functions => t(en, "按功能分类", "By function"),
        class => t(en, "类", "Class"),
        rate => t(en, "支出进度", "Execution rate"),
        flows => t(en, "资金流向（地区 × 功能分类，已支付）", "Fund flows (region × function, paid)"),
        darker => t(en, "颜色越深，已支付越多：", "Darker is more paid:"),
        wan => t(en, "万元", "10,000 yuan"),
        grey => t(en, "灰色：无支付或不足 3 笔（不公开）", "grey: none, or fewer than 3 payments (not shown)"),
        small_groups => t(en, "不足 3 笔支付的组合并：", "Groups of fewer than 3 payments, added together:"),
        paid_lower => t(en, "已支付", "paid"),
        projects => t(en, "项目", "Projects"),
        projects_unit => t(en, "个项目", "projects"),
        project => t(en, "项目", "Project"),
        unit => t(en, "单位", "Unit"),
        status => t(en, "状态", "Status"),
        no_project => t(en, "没有符合搜索条件的项目。", "No project matches."),
        classified => t(en, "另有涉密项目", "Classified projects:"),
        classified_note => t(
            en,
            "个，依法不予公开，未计入本页任何数字。",
            "— not disclosed, as the law requires, and left out of every figure on this page."
        ),
        ranking => t(en, "部门绩效排名", "Departments' performance ranking"),
        published_on => t(en, "财政部门发布于", "Published by finance on"),
        rank => t(en, "名次", "Rank"),
        result => t(en, "绩效得分", "Result"),
        grade => t(en, "等级", "Grade"),
        next_budget => t(en, "下年预算调整", "Next year's budget"),
        interview => t(en, "（约谈）", " (interview)"),
        feedback => t(en, "意见与问询", "Comments and inquiries"),
        answer => t(en, "答复：", "Answer:"),
        overdue => t(en, "已逾期，应于", "overdue, due"),
        due => t(en, "答复期限", "due"),
    }
}

async fn page(State(app): State<App>, caller: Caller, Query(q): Query<PortalQuery>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let (year, month) = match q.resolve(&app).await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let here = with(&q, year, month, en, "", "");
    let p = match load(&app, &q).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let org = match app.org().await {
        Ok(o) => o,
        Err(e) => return e.into_response(),
    };
    let years = match public::years(&app.store).await {
        Ok(y) => y,
        Err(e) => return Problem::internal(e).into_response(),
    };
    // What was published, with its answer.
    let items = match feedback::list(&app.store, today(), 100).await {
        Ok(i) => i,
        Err(e) => return Problem::internal(e).into_response(),
    };
    let name = |code: &str| org.get(code).map(|n| n.name.clone()).unwrap_or_else(|| code.to_string());
    let search = q.search();
    // The years to choose from: those with data, and the one shown.
    let mut choices = years.clone();
    if !choices.contains(&year) {
        choices.push(year);
        choices.sort_unstable_by(|a, b| b.cmp(a));
    }
    let months: Vec<Value> = (1..=12u32)
        .map(|m| {
            let label = if en { format!("{m:02}") } else { format!("{m} 月") };
            context! { value => m, label => label, chosen => m == month }
        })
        .collect();
    let empty = p.departments.is_empty() && p.projects.is_empty() && p.functions.is_empty();
    let no_data = empty.then(|| {
        context! {
            message => if en { format!("No data is published for {year}.") } else { format!("{year} 年尚无公开数据。") },
            others => years.iter().copied().filter(|y| *y != year).collect::<Vec<_>>(),
        }
    });
    let items: Vec<Value> = items
        .iter()
        .map(|i| {
            let about = match i.subject.as_str() {
                "*" | "" => t(en, "预算总体情况", "The budget as a whole").to_string(),
                c => name(c),
            };
            context! {
                id => i.id,
                author => i.author.as_str(),
                kind => if i.kind == "inquiry" { t(en, "问询", "inquiry") } else { t(en, "意见", "comment") },
                about => about,
                asked_on => i.asked_on.as_str(),
                due_on => i.due_on.as_deref(),
                overdue => i.overdue,
                body => i.body.as_str(),
                answer => i.answer.as_deref(),
            }
        })
        .collect();
    let feedback_link = if caller.access.has(Permission::Comment) {
        t(en, "提出意见或问询，查看我提交的内容 ›", "Comment or inquire, and follow what you sent ›")
    } else if caller.access.has(Permission::AnswerInquiry) {
        t(en, "审核与答复 ›", "Moderate and answer ›")
    } else {
        t(en, "登录或注册后可提出意见或问询 ›", "Log in or register to comment or inquire ›")
    };
    // Key public projects' milestone progress (里程碑进度), without the supplier, its account
    // or any voucher: the unit, the contract's amount, each milestone's state and share.
    let ladders = bw_app::milestones::contracts(&app.store).await.unwrap_or_default();
    let milestones: Vec<minijinja::Value> = ladders
        .iter()
        .filter(|l| l.contract.year == year)
        .map(|l| {
            let s = l.status(today());
            let steps: Vec<String> = s
                .milestones
                .iter()
                .map(|m| {
                    let state = match m.state {
                        "released_on_signing" => t(en, "签约即付", "paid on signing"),
                        "verified" => t(en, "已验收", "verified"),
                        "partly_verified" => t(en, "部分验收", "partly verified"),
                        "submitted" => t(en, "验收中", "being verified"),
                        "disputed" => t(en, "有争议", "disputed"),
                        _ => t(en, "未到", "pending"),
                    };
                    format!("{}：{state}", m.name)
                })
                .collect();
            // The share released, in whole per cent from fen (rounded down).
            let released = l.ladder.releasable().fen();
            context! {
                unit => name(&l.contract.unit_code),
                amount => wan(l.contract.amount),
                released => format!("{}%", i128::from(released) * 100 / i128::from(l.contract.amount.fen().max(1))),
                steps => steps.join("；"),
            }
        })
        .collect();
    let page = context! {
        w => words(en),
        en => en,
        milestones => milestones,
        milestones_title => t(en, "重点项目合同里程碑进度（按验收拨付）", "Key projects' milestones (paid as verified)"),
        milestones_cols => [t(en, "单位", "Unit"), t(en, "合同金额(万元)", "Amount (10k yuan)"), t(en, "已可拨付", "Released"), t(en, "里程碑", "Milestones")],
        lang => if en { "?lang=en" } else { "" },
        year => year,
        month => month,
        period => if en { format!("{year}, to the end of {month:02}") } else { format!("{year} 年 1–{month} 月") },
        years => choices.iter().map(|y| context! { year => y, chosen => *y == year }).collect::<Vec<_>>(),
        months => months,
        search => search,
        search_q => urlencode(search),
        done => q.done.as_deref(),
        error => q.error.as_deref(),
        no_data => no_data,
        items => items,
        feedback_link => feedback_link,
    };
    // The tables only for a year with data; the template reads them beside the page's values.
    let ctx = if empty {
        page
    } else {
        context! { ..page, ..tables(&p, &q, year, month, en, &name) }
    };
    let body = crate::templates::render("portal.html", ctx);
    Html(layout(en, t(en, "阳光预算", "Sunshine budget"), &caller, &here, &body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pager_links_both_ends_and_the_pages_near_the_shown_one() {
        let link = |i: usize| format!("/public?ppage={i}&lang=en");
        let html = crate::templates::render(
            "portal.html",
            context! { w => words(false), projects_pager => pager(10 * PAGE_ROWS, 5, &link) },
        );
        let a = |i: usize| format!(r#"<a href="/public?ppage={i}&amp;lang=en">{i}</a>"#);
        let expected =
            format!("<p class=pager>共 10 页 · {}… {}{}<b>5</b>{}{}… {}</p>", a(1), a(3), a(4), a(6), a(7), a(10));
        assert!(html.contains(&expected), "{html}");
        assert!(pager(PAGE_ROWS, 1, &link).is_none(), "one page, no pager");
    }
}
