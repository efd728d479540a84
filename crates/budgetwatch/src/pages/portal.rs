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

use crate::api::{App, Caller, Problem};
use crate::clock::today;
use crate::text::{esc, pct, urlencode, wan};
use crate::web::layout;

pub fn routes() -> Router<App> {
    Router::new().route("/public", get(page)).route("/public/download/{file}", get(download))
}

/// The portal's figures as JSON, described for the API document.
pub fn documented() -> utoipa_axum::router::OpenApiRouter<App> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(json))
}

/// A functional class (类) by its name in the national classification.
fn class_name(code: &str, en: bool) -> String {
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

fn t<'a>(en: bool, zh: &'a str, english: &'a str) -> &'a str {
    if en { english } else { zh }
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
fn status_name(status: &str, en: bool) -> String {
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

/// Links to the pages of a table of `total` rows, `page` (from 1) the one shown.
fn pager(total: usize, page: usize, link: &dyn Fn(usize) -> String, en: bool) -> String {
    let pages = total.div_ceil(PAGE_ROWS);
    if pages <= 1 {
        return String::new();
    }
    let mut s = format!("<p class=pager>{} {pages} {} · ", t(en, "共", "Pages:"), t(en, "页", ""));
    let near = |i: usize| i == 1 || i == pages || i.abs_diff(page) <= 2;
    let mut gap = false;
    for i in 1..=pages {
        if !near(i) {
            if !gap {
                s.push_str("… ");
            }
            gap = true;
            continue;
        }
        gap = false;
        if i == page {
            let _ = write!(s, "<b>{i}</b>");
        } else {
            let _ = write!(s, r#"<a href="{}">{i}</a>"#, esc(&link(i)));
        }
    }
    s.push_str("</p>");
    s
}

/// "下载 CSV · XLSX" for one table.
fn downloads(which: &str, year: i32, month: u32, search: &str, en: bool) -> String {
    let q = if search.is_empty() { String::new() } else { format!("&q={}", urlencode(search)) };
    let lang = if en { "&lang=en" } else { "" };
    format!(
        r#"<span class=dl>{} <a href="/public/download/{which}.csv?year={year}&month={month}{q}{lang}" download>CSV</a> · <a href="/public/download/{which}.xlsx?year={year}&month={month}{q}{lang}" download>XLSX</a></span>"#,
        t(en, "下载", "Download")
    )
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

/// The portal's tables: departments (searched, paged), functions, the heat map, projects
/// (searched, paged) and the ranking, each with its downloads.
fn portal_tables(
    b: &mut String,
    p: &Portal,
    q: &PortalQuery,
    year: i32,
    month: u32,
    en: bool,
    name: &dyn Fn(&str) -> String,
) {
    let search = q.search();
    // Departments: the mandatory disclosures.
    let depts: Vec<&public::Department> = p.departments.iter().filter(|d| matches(search, &d.name, &d.code)).collect();
    let dpage = q.dpage.unwrap_or(1).clamp(1, depts.len().div_ceil(PAGE_ROWS).max(1));
    let _ = write!(
        b,
        "<h2 id=departments>{} <small>{} {}</small>{}</h2>",
        t(en, "部门预算与“三公”经费公开", "Departments: budgets and \"three public\" spending"),
        depts.len(),
        t(en, "个部门", "departments"),
        downloads("departments", year, month, search, en)
    );
    let _ = write!(
        b,
        "<div class=scroll><table class=disclosure><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>",
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
    for d in depts.iter().skip((dpage - 1) * PAGE_ROWS).take(PAGE_ROWS) {
        let _ =
            write!(b, "<tr><td class=wrap>{}</td><td>{}</td>{}", esc(&d.name), esc(&d.region), pair_cells(&d.total));
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
    if depts.is_empty() {
        let _ =
            write!(b, "<tr><td colspan=20>{}</td></tr>", t(en, "没有符合搜索条件的部门。", "No department matches."));
    }
    b.push_str("</tbody></table></div>");
    b.push_str(&pager(
        depts.len(),
        dpage,
        &|i| format!("{}#departments", with(q, year, month, en, "dpage", &i.to_string())),
        en,
    ));
    // Functions.
    let _ = write!(
        b,
        "<h2 id=functions>{}{}</h2>",
        t(en, "按功能分类", "By function"),
        downloads("functions", year, month, "", en)
    );
    b.push_str(&crate::text::head(&[
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
    let max = p.flows.iter().map(|c| c.paid).max_by_key(|m| m.fen()).unwrap_or_default();
    let _ = write!(
        b,
        "<h2 id=flows>{}{}</h2>{}",
        t(en, "资金流向（地区 × 功能分类，已支付）", "Fund flows (region × function, paid)"),
        downloads("flows", year, month, "", en),
        heat_map(p, en, name)
    );
    if !p.flows.is_empty() {
        let _ = write!(
            b,
            "<p class=legend>{} 0 <i></i> {} {} · {}</p>",
            t(en, "颜色越深，已支付越多：", "Darker is more paid:"),
            wan(max),
            t(en, "万元", "10,000 yuan"),
            t(en, "灰色：无支付或不足 3 笔（不公开）", "grey: none, or fewer than 3 payments (not shown)")
        );
    }
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
    let projects: Vec<&public::Project> = p.projects.iter().filter(|pr| matches(search, &pr.name, &pr.code)).collect();
    let ppage = q.ppage.unwrap_or(1).clamp(1, projects.len().div_ceil(PAGE_ROWS).max(1));
    let _ = write!(
        b,
        "<h2 id=projects>{} <small>{} {}</small>{}</h2>",
        t(en, "项目", "Projects"),
        projects.len(),
        t(en, "个项目", "projects"),
        downloads("projects", year, month, search, en)
    );
    b.push_str(&crate::text::head(&[
        t(en, "项目", "Project"),
        t(en, "单位", "Unit"),
        t(en, "状态", "Status"),
        t(en, "预算", "Budget"),
        t(en, "已支付", "Paid"),
    ]));
    for pr in projects.iter().skip((ppage - 1) * PAGE_ROWS).take(PAGE_ROWS) {
        let _ = write!(
            b,
            "<tr><td class=wrap>{}</td><td class=wrap>{}</td><td>{}</td>{}</tr>",
            esc(&pr.name),
            esc(&name(&pr.unit)),
            esc(&status_name(&pr.status, en)),
            pair_cells(&pr.total)
        );
    }
    if projects.is_empty() {
        let _ = write!(b, "<tr><td colspan=5>{}</td></tr>", t(en, "没有符合搜索条件的项目。", "No project matches."));
    }
    b.push_str("</tbody></table></div>");
    b.push_str(&pager(
        projects.len(),
        ppage,
        &|i| format!("{}#projects", with(q, year, month, en, "ppage", &i.to_string())),
        en,
    ));
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
            "<h2 id=ranking>{}{}</h2><p class=note>{} {}</p>",
            t(en, "部门绩效排名", "Departments' performance ranking"),
            downloads("ranking", year, month, "", en),
            t(en, "财政部门发布于", "Published by finance on"),
            esc(&published_local(&r.published_at))
        );
        b.push_str(&crate::text::head(&[
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
                "<tr><td class=n>{}</td><td class=wrap>{}</td><td class=n>{}</td><td>{}</td><td class=n>{}{}</td></tr>",
                d.rank,
                esc(&d.name),
                esc(&d.result),
                esc(&d.grade_zh),
                esc(&change),
                interview
            );
        }
        b.push_str("</tbody></table></div>");
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
    let name = |code: &str| org.get(code).map(|n| n.name.clone()).unwrap_or_else(|| code.to_string());
    let search = q.search();
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>{} <small>{}</small></h1><p class=note>{}</p>",
        t(en, "阳光预算 · 预算公开", "Sunshine budget · open budget"),
        if en { format!("{year}, to the end of {month:02}") } else { format!("{year} 年 1–{month} 月") },
        t(
            en,
            "本页只公开汇总数：不显示任何个人的姓名、账号或可识别信息；单位以下的汇总至少包含 3 笔支付，不足的合并为一行；向个人支付的合计按万元取整；各部门预算、决算执行、“三公”经费、会议费、培训费按法定要求全额公开。金额单位：万元。",
            "Aggregates only: no individual's name, account or identifying detail; below the unit level every aggregate holds at least 3 payments (smaller ones are added into one line); payments to individuals are totals rounded to 10,000 yuan; each department's budget, execution, \"three public\" spending, meeting and training costs are disclosed in full, as the law requires. Amounts in 10,000 yuan."
        )
    );
    // The year, the month and the search.
    let mut choices = years.clone();
    if !choices.contains(&year) {
        choices.push(year);
        choices.sort_unstable_by(|a, b| b.cmp(a));
    }
    let _ = write!(
        b,
        r#"<form method=get action="/public" class=actions><label>{} <select name=year>"#,
        t(en, "年度", "Year")
    );
    for y in &choices {
        let _ = write!(b, "<option value={y}{}>{y}</option>", if *y == year { " selected" } else { "" });
    }
    let _ = write!(b, "</select></label> <label>{} <select name=month>", t(en, "截至", "To the end of"));
    for m in 1..=12u32 {
        let label = if en { format!("{m:02}") } else { format!("{m} 月") };
        let _ = write!(b, "<option value={m}{}>{label}</option>", if m == month { " selected" } else { "" });
    }
    let _ = write!(
        b,
        r#"</select></label> <input type=search name=q value="{}" placeholder="{}" aria-label="{}">{} <button>{}</button></form>"#,
        esc(search),
        t(en, "部门或项目名称、代码", "Department or project name or code"),
        t(en, "搜索", "Search"),
        if en { r#"<input type=hidden name=lang value=en>"# } else { "" },
        t(en, "查看", "Show")
    );
    b.push_str(&crate::web::outcome(q.done.as_deref(), q.error.as_deref()));
    let empty = p.departments.is_empty() && p.projects.is_empty() && p.functions.is_empty();
    if empty {
        let others: Vec<String> = years
            .iter()
            .filter(|y| **y != year)
            .map(|y| format!(r#"<a href="/public?year={y}{}">{y}</a>"#, if en { "&lang=en" } else { "" }))
            .collect();
        let _ = write!(
            b,
            "<p class=empty id=no-data>{}{}</p>",
            if en { format!("No data is published for {year}.") } else { format!("{year} 年尚无公开数据。") },
            if others.is_empty() {
                String::new()
            } else {
                format!(" {} {}", t(en, "有数据的年度：", "Years with data:"), others.join(" "))
            }
        );
    }
    if !empty {
        portal_tables(&mut b, &p, &q, year, month, en, &name);
    }
    // Feedback.
    let _ = write!(b, "<h2 id=feedback>{}</h2>", t(en, "意见与问询", "Comments and inquiries"));
    let _ = write!(
        b,
        r#"<p><a href="/public/feedback{}">{}</a></p>"#,
        if en { "?lang=en" } else { "" },
        if caller.access.has(Permission::Comment) {
            t(en, "提出意见或问询，查看我提交的内容 ›", "Comment or inquire, and follow what you sent ›")
        } else if caller.access.has(Permission::AnswerInquiry) {
            t(en, "审核与答复 ›", "Moderate and answer ›")
        } else {
            t(en, "登录或注册后可提出意见或问询 ›", "Log in or register to comment or inquire ›")
        }
    );
    // What was published, with its answer.
    let items = match feedback::list(&app.store, today(), 100).await {
        Ok(i) => i,
        Err(e) => return Problem::internal(e).into_response(),
    };
    let org = match app.org().await {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    for i in &items {
        let due = format!(" {}", crate::web::inquiry_due(en, i));
        let about = match i.subject.as_str() {
            "*" | "" => t(en, "预算总体情况", "The budget as a whole").to_string(),
            c => org.get(c).map(|n| n.name.clone()).unwrap_or_else(|| c.to_string()),
        };
        let _ = write!(
            b,
            "<div class=feedback id=fb{}><p><b>{}</b> {} · {} · {}{due}</p><div class=text>{}</div>",
            i.id,
            esc(&i.author),
            esc(if i.kind == "inquiry" { t(en, "问询", "inquiry") } else { t(en, "意见", "comment") }),
            esc(&about),
            esc(&i.asked_on),
            esc(&i.body)
        );
        if let Some(a) = &i.answer {
            let _ = write!(b, "<p class=ok>{}</p><div class=text>{}</div>", t(en, "答复：", "Answer:"), esc(a));
        }
        b.push_str("</div>");
    }
    Html(layout(en, t(en, "阳光预算", "Sunshine budget"), &caller, &here, &b)).into_response()
}
