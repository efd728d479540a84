//! The audit on the web (`/audit`), for those who run the audit (审计与纪检): the findings
//! of every test with their payments (DBSCAN outliers and related parties among them), the
//! Benford chart of the year's payments or one unit's, the units' risk scores with each
//! contribution, drill to the vouchers, downloads as CSV and XLSX, and the action that
//! records the findings in the warnings inbox and opens the special audits (journaled, as
//! `budgetwatch audit` does). The figures are computed as of the audit's day and cached
//! until the journal grows.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use bw_app::audit::{self, AuditReport};
use bw_app::table::{Cell, Table};
use bw_audit::benford::{self, Test};
use bw_core::access::{Permission, Refusal};

use crate::api::{App, Caller, Problem};
use crate::clock::today;
use crate::text::{segment, t, urlencode};
use crate::web::{evidence_text, layout, problem_page, rule_name};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/audit", get(page))
        .route("/audit/record", post(record_form))
        .route("/audit/download/{file}", get(download))
}

#[derive(serde::Deserialize, Default)]
struct AuditQuery {
    /// The Benford population: one unit, or every payment of the year.
    unit: Option<String>,
    /// The test whose findings are listed.
    test: Option<String>,
    lang: Option<String>,
    done: Option<String>,
    error: Option<String>,
}

impl AuditQuery {
    fn unit(&self) -> Option<&str> {
        self.unit.as_deref().filter(|u| !u.is_empty())
    }
}

/// Findings of one test listed on the page (all of them are in the download).
const LISTED: usize = 100;

fn guard(caller: &Caller, en: bool) -> Result<(), Problem> {
    if caller.user().is_none() {
        return Err(Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", t(en, "请先登录。", "Log in first.")));
    }
    if !caller.access.has(Permission::RunAudit) {
        return Err(Refusal::NoPermission(Permission::RunAudit).into());
    }
    Ok(())
}

async fn report(app: &App) -> Result<(Arc<AuditReport>, bw_core::Date), Problem> {
    let as_of = audit::default_as_of(&app.store, today()).await.map_err(Problem::internal)?;
    let r = app
        .cached(format!("audit/{as_of}"), || async {
            audit::run(&app.store, as_of, &bw_audit::text::Policy::shipped()).await.map_err(Problem::internal)
        })
        .await?;
    Ok((r, as_of))
}

async fn benford_report(app: &App, as_of: bw_core::Date, unit: Option<&str>) -> Result<Arc<benford::Report>, Problem> {
    let key = format!("audit/benford/{as_of}/{}", unit.unwrap_or("*"));
    app.cached(key, || async { audit::benford(&app.store, as_of, unit).await.map_err(Problem::internal) }).await
}

fn test_name(en: bool, t: Test) -> &'static str {
    match (t, en) {
        (Test::FirstDigit, false) => "首位数字",
        (Test::FirstTwo, false) => "前两位数字",
        (Test::SecondDigit, false) => "第二位数字",
        (Test::FirstDigit, true) => "First digit",
        (Test::FirstTwo, true) => "First two digits",
        (Test::SecondDigit, true) => "Second digit",
    }
}

/// Nigrini's conformity class as a reader reads it.
fn conformity(en: bool, c: &str) -> &str {
    if en {
        return c;
    }
    match c {
        "close" => "紧密符合",
        "acceptable" => "可接受",
        "marginal" => "边缘符合",
        "nonconformity" => "不符合",
        "no_data" => "无数据",
        other => other,
    }
}

/// The first-digit test as a chart: observed shares as bars, Benford's expected shares as
/// a line with points, both labelled.
fn benford_chart(r: &benford::TestResult, en: bool) -> String {
    let (w, h, left, bottom, top) = (560.0, 230.0, 40.0, 30.0, 20.0);
    let plot = h - bottom - top;
    let max = r.digits.iter().map(|d| d.observed.max(d.expected)).fold(0.0_f64, f64::max).max(0.05);
    let step = (w - left - 10.0) / r.digits.len().max(1) as f64;
    let y = |v: f64| top + plot * (1.0 - v / max);
    let mut s = format!(
        r#"<svg viewBox="0 0 {w} {h}" class="chart benford" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        t(en, "本福特首位数字分布", "Benford first-digit distribution")
    );
    for tick in [0.0, 0.1, 0.2, 0.3] {
        if tick <= max {
            let _ = write!(
                s,
                r##"<line x1="{left}" x2="{}" y1="{:.1}" y2="{:.1}" stroke="#eee"/><text x="{}" y="{:.1}" font-size="10" text-anchor="end">{:.0}%</text>"##,
                w - 10.0,
                y(tick),
                y(tick),
                left - 4.0,
                y(tick) + 3.0,
                tick * 100.0
            );
        }
    }
    let mut line = Vec::new();
    for (i, d) in r.digits.iter().enumerate() {
        let x = left + step * i as f64;
        let _ = write!(
            s,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#5b8db8"><title>{} {}: {:.1}% ({} {:.1}%)</title></rect><text x="{:.1}" y="{}" font-size="11" text-anchor="middle">{}</text>"##,
            x + step * 0.15,
            y(d.observed),
            step * 0.7,
            (plot * d.observed / max).max(0.0),
            t(en, "数字", "digit"),
            d.digit,
            d.observed * 100.0,
            t(en, "期望", "expected"),
            d.expected * 100.0,
            x + step / 2.0,
            h - bottom + 14.0,
            d.digit
        );
        line.push(format!("{:.1},{:.1}", x + step / 2.0, y(d.expected)));
    }
    let _ = write!(s, r##"<polyline points="{}" fill="none" stroke="#c0392b" stroke-width="2"/>"##, line.join(" "));
    for p in &line {
        let (px, py) = p.split_once(',').unwrap_or(("0", "0"));
        let _ = write!(s, r##"<circle cx="{px}" cy="{py}" r="3" fill="#c0392b"/>"##);
    }
    s.push_str("</svg>");
    let _ = write!(
        s,
        r#"<p class=legend><span style="color:#5b8db8">■</span> {} <span style="color:#c0392b">●—</span> {}</p>"#,
        t(en, "实际占比", "observed share"),
        t(en, "本福特定律期望占比", "Benford's expected share")
    );
    s
}

/// A contribution's source (`test:NAME` or `rule:NAME`) by its name.
fn source_name(en: bool, source: &str) -> String {
    let id = source.split_once(':').map_or(source, |(_, id)| id);
    rule_name(en, id)
}

async fn page(State(app): State<App>, caller: Caller, Query(q): Query<AuditQuery>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let here = format!("/audit{}", if en { "?lang=en" } else { "" });
    match body(&app, &caller, &q, en).await {
        Ok(b) => Html(layout(en, t(en, "审计分析", "Audit analytics"), &caller, &here, &b)).into_response(),
        Err(p) => problem_page(en, &caller, &here, p),
    }
}

async fn body(app: &App, caller: &Caller, q: &AuditQuery, en: bool) -> Result<String, Problem> {
    use minijinja::context;
    guard(caller, en)?;
    let (r, as_of) = report(app).await?;
    let org = app.org().await?;
    let name = |code: &str| org.get(code).map(|n| n.name.clone()).unwrap_or_else(|| code.to_string());
    let benford = benford_section(app, q, as_of, en, &org).await?;
    let money = bw_core::money::try_sum(r.findings.iter().map(|f| f.amount)).unwrap_or_default();
    let words = context! {
        title => t(en, "审计分析", "Audit analytics"),
        as_of => t(en, "截至", "as of"),
        intro => t(
            en,
            "本页按当前数据计算各项审计检验（重复支付、化整为零、本福特定律、聚类离群、关联交易等）和各单位的风险评分，只读不写。“记录到预警收件箱”把发现的问题记入预警收件箱，并为低于阈值的单位开立专项审计（记入日志）。",
            "The audit's tests (duplicates, split purchases, Benford, DBSCAN outliers, related parties, …) and the units' risk scores, computed from the data as it stands; nothing is written. \"Record in the inbox\" records the findings as warnings and opens special audits for units scored below the threshold (journaled)."
        ),
        record => t(en, "记录到预警收件箱并开立专项审计", "Record in the inbox and open special audits"),
        findings_n => t(en, "发现的问题", "findings"),
        money_involved => t(en, "涉及金额", "money involved"),
        scored => t(en, "评分单位", "units scored"),
        special_n => t(en, "低于阈值（专项审计）", "below the threshold (special audit)"),
        download => t(en, "下载", "Download"),
        benford => t(en, "本福特定律检验", "Benford's law"),
        population => t(en, "总体", "Population"),
        every_unit => t(en, "全部单位的支付", "every unit's payments"),
        show => t(en, "查看", "Show"),
        test => t(en, "检验", "Test"),
        amounts => t(en, "样本数", "Amounts"),
        mad => t(en, "平均绝对偏差 MAD", "MAD"),
        conformity => t(en, "符合程度", "Conformity"),
        chi_square => t(en, "卡方", "Chi-square"),
        p => t(en, "p 值", "p"),
        scores => t(en, "单位风险评分", "Units' risk scores"),
        rank => t(en, "名次", "Rank"),
        unit => t(en, "单位", "Unit"),
        score => t(en, "得分", "Score"),
        spending => t(en, "支出", "Spending"),
        findings_col => t(en, "问题", "Findings"),
        warnings => t(en, "预警", "Warnings"),
        deductions => t(en, "主要扣分", "Largest deductions"),
        special => t(en, "专项审计", "Special audit"),
        yes => t(en, "是", "yes"),
        findings => t(en, "发现的问题", "Findings"),
        count => t(en, "问题数", "Findings"),
        money => t(en, "涉及金额", "Money"),
        items => t(en, "项", "findings"),
        amount => t(en, "金额（元）", "Amount (yuan)"),
        vouchers => t(en, "凭证", "Vouchers"),
        evidence => t(en, "依据", "Evidence"),
        points => t(en, "扣分", "Points"),
        first => t(en, "页面列出前", "The first"),
        in_download => t(en, "项；全部见下载文件。", "are listed; the download has them all."),
    };
    let (tests, chosen) = findings_section(&r, q, en, &name);
    Ok(crate::templates::render(
        "audit.html",
        context! {
            w => words,
            en => en,
            as_of => as_of.to_string(),
            done => q.done.as_deref(),
            error => q.error.as_deref(),
            csrf => caller.csrf(),
            kpis => context! {
                findings => r.findings.len(),
                money => if en { money.magnitude_en() } else { money.magnitude_zh() },
                scored => r.scores.len(),
                special => r.scores.iter().filter(|s| s.special_audit).count(),
            },
            benford => benford,
            scores => scores_section(&r, en, &name),
            tests => tests,
            chosen => chosen,
            listed => LISTED,
        },
    ))
}

/// The Benford section: the population's choice, its first-digit chart and each test's
/// conformity.
async fn benford_section(
    app: &App,
    q: &AuditQuery,
    as_of: bw_core::Date,
    en: bool,
    org: &bw_core::org::OrgTree,
) -> Result<minijinja::Value, Problem> {
    use minijinja::context;
    let unit = q.unit();
    if let Some(u) = unit.filter(|u| org.get(u).is_none()) {
        return Err(Problem::not_found(format!("unit {u}")));
    }
    let br = benford_report(app, as_of, unit).await?;
    let mut units: Vec<&bw_core::org::OrgNode> =
        org.nodes().filter(|n| n.kind == bw_core::org::OrgKind::Unit).collect();
    units.sort_by(|a, b| a.code.cmp(&b.code));
    let rows: Vec<minijinja::Value> = Test::ALL
        .into_iter()
        .map(|test| {
            let tr = br.get(test);
            context! {
                test => test_name(en, test),
                n => tr.n,
                mad => format!("{:.4}", tr.mad),
                conformity => conformity(en, tr.conformity),
                chi_square => format!("{:.1}", tr.chi_square),
                p => format!("{:.4}", tr.p_value),
            }
        })
        .collect();
    Ok(context! {
        extra => unit.map(|u| format!("unit={}", urlencode(u))).unwrap_or_default(),
        units => units
            .iter()
            .map(|n| context! { code => n.code.as_str(), name => n.name.as_str(), chosen => unit == Some(n.code.as_str()) })
            .collect::<Vec<_>>(),
        // Drawn here: the bars' coordinates are computed, nothing in it is laid out.
        chart => minijinja::Value::from_safe_string(benford_chart(&br.first_digit, en)),
        rows => rows,
    })
}

/// The units' scores, each with its three largest deductions.
fn scores_section(r: &AuditReport, en: bool, name: &dyn Fn(&str) -> String) -> Vec<minijinja::Value> {
    r.scores
        .iter()
        .map(|s| {
            let mut parts: Vec<&bw_audit::score::Contribution> = s.contributions.iter().collect();
            parts.sort_by(|a, b| b.points.total_cmp(&a.points));
            let why: Vec<minijinja::Value> = parts
                .iter()
                .take(3)
                .map(|c| {
                    minijinja::context! {
                        source => source_name(en, &c.source),
                        count => c.count,
                        points => format!("{:.1}", c.points),
                    }
                })
                .collect();
            minijinja::context! {
                rank => s.rank,
                segment => segment(&s.unit_code),
                name => name(&s.unit_code),
                score => format!("{:.1}", s.score),
                spending => if en { s.spending.magnitude_en() } else { s.spending.magnitude_zh() },
                findings => s.findings,
                warnings => s.warnings,
                why => why,
                special => s.special_audit,
            }
        })
        .collect()
}

/// Each test's count and money, and the findings of the chosen test (the query's, else the
/// first test that found something) with their vouchers.
fn findings_section(
    r: &AuditReport,
    q: &AuditQuery,
    en: bool,
    name: &dyn Fn(&str) -> String,
) -> (Vec<minijinja::Value>, Option<minijinja::Value>) {
    use minijinja::context;
    let tests = bw_audit::TESTS
        .iter()
        .map(|(id, _)| {
            let of: Vec<&bw_audit::Finding> = r.findings.iter().filter(|f| f.test == *id).collect();
            let sum = bw_core::money::try_sum(of.iter().map(|f| f.amount)).unwrap_or_default();
            context! {
                id => *id,
                name => rule_name(en, id),
                count => of.len(),
                sum => if of.is_empty() { String::new() } else { sum.grouped() },
            }
        })
        .collect();
    let chosen = q.test.clone().filter(|t| !t.is_empty()).or_else(|| {
        bw_audit::TESTS.iter().find(|(id, _)| r.findings.iter().any(|f| f.test == *id)).map(|t| t.0.into())
    });
    let chosen = chosen.map(|test| {
        let of: Vec<&bw_audit::Finding> = r.findings.iter().filter(|f| f.test == test).collect();
        let listed: Vec<minijinja::Value> = of
            .iter()
            .take(LISTED)
            .map(|f| {
                let unit = f.unit_code.as_deref().unwrap_or("");
                context! {
                    unit_name => if unit.is_empty() { "—".to_string() } else { name(unit) },
                    amount => f.amount.grouped(),
                    unit => segment(unit),
                    vouchers => f
                        .vouchers
                        .iter()
                        .take(10)
                        .map(|v| context! { no => v.as_str(), segment => segment(v) })
                        .collect::<Vec<_>>(),
                    more => f.vouchers.len().saturating_sub(10),
                    // The shared helper's text, each fact already escaped.
                    evidence => minijinja::Value::from_safe_string(evidence_text(
                        en,
                        &serde_json::to_value(&f.evidence).unwrap_or_default(),
                    )),
                    points => format!("{:.1}", f.score_impact),
                }
            })
            .collect();
        context! { id => test.as_str(), name => rule_name(en, &test), count => of.len(), listed => listed }
    });
    (tests, chosen)
}

/// The audit's tables as files: findings, scores, benford (of `unit`, if given).
async fn download(
    State(app): State<App>,
    caller: Caller,
    Path(file): Path<String>,
    Query(q): Query<AuditQuery>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    if let Err(p) = guard(&caller, en) {
        return p.into_response();
    }
    if !caller.access.has(Permission::Export) {
        return Problem::from(Refusal::NoPermission(Permission::Export)).into_response();
    }
    let Some((which, format)) = file.rsplit_once('.') else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (r, as_of) = match report(&app).await {
        Ok(v) => v,
        Err(p) => return p.into_response(),
    };
    let org = match app.org().await {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    let name = |code: &str| org.get(code).map(|n| n.name.clone()).unwrap_or_else(|| code.to_string());
    let tb = match which {
        "findings" => findings_table(&r, en, &name),
        "scores" => scores_table(&r, en, &name),
        "benford" => match benford_report(&app, as_of, q.unit()).await {
            Ok(br) => benford_table(&br, en),
            Err(p) => return p.into_response(),
        },
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    crate::web::table_file(&tb, format, &format!("audit-{which}-{as_of}"))
}

fn findings_table(r: &AuditReport, en: bool, name: &dyn Fn(&str) -> String) -> Table {
    let mut tb = Table::new(
        t(en, "审计发现", "Findings"),
        &[
            t(en, "检验", "Test"),
            t(en, "单位", "Unit"),
            t(en, "单位代码", "Unit code"),
            t(en, "金额（元）", "Amount (yuan)"),
            t(en, "凭证", "Vouchers"),
            t(en, "依据", "Evidence"),
            t(en, "扣分", "Points"),
        ],
    );
    for f in &r.findings {
        let unit = f.unit_code.as_deref().unwrap_or("");
        let evidence = evidence_text(en, &serde_json::to_value(&f.evidence).unwrap_or_default());
        tb.rows.push(vec![
            Cell::Text(rule_name(en, f.test)),
            Cell::Text(if unit.is_empty() { String::new() } else { name(unit) }),
            Cell::Text(unit.to_string()),
            Cell::Money(f.amount),
            Cell::Text(f.vouchers.join(" ")),
            Cell::Text(html_unescape(&evidence)),
            Cell::Text(format!("{:.1}", f.score_impact)),
        ]);
    }
    tb
}

fn scores_table(r: &AuditReport, en: bool, name: &dyn Fn(&str) -> String) -> Table {
    let mut tb = Table::new(
        t(en, "单位风险评分", "Risk scores"),
        &[
            t(en, "名次", "Rank"),
            t(en, "单位", "Unit"),
            t(en, "单位代码", "Unit code"),
            t(en, "得分", "Score"),
            t(en, "支出（元）", "Spending (yuan)"),
            t(en, "问题", "Findings"),
            t(en, "预警", "Warnings"),
            t(en, "扣分明细", "Deductions"),
            t(en, "专项审计", "Special audit"),
        ],
    );
    for s in &r.scores {
        let why: Vec<String> = s
            .contributions
            .iter()
            .map(|c| format!("{} ×{} {} −{:.1}", source_name(en, &c.source), c.count, c.amount, c.points))
            .collect();
        tb.rows.push(vec![
            Cell::Int(s.rank as i64),
            Cell::Text(name(&s.unit_code)),
            Cell::Text(s.unit_code.clone()),
            Cell::Text(format!("{:.1}", s.score)),
            Cell::Money(s.spending),
            Cell::Int(s.findings as i64),
            Cell::Int(s.warnings as i64),
            Cell::Text(why.join("; ")),
            Cell::Text(if s.special_audit { t(en, "是", "yes") } else { "" }.to_string()),
        ]);
    }
    tb
}

fn benford_table(br: &benford::Report, en: bool) -> Table {
    let mut tb = Table::new(
        t(en, "本福特定律检验", "Benford"),
        &[
            t(en, "检验", "Test"),
            t(en, "数字", "Digit"),
            t(en, "笔数", "Count"),
            t(en, "实际占比", "Observed"),
            t(en, "期望占比", "Expected"),
            t(en, "Z 值", "Z"),
        ],
    );
    for test in Test::ALL {
        for d in &br.get(test).digits {
            tb.rows.push(vec![
                Cell::Text(test_name(en, test).to_string()),
                Cell::Int(i64::from(d.digit)),
                Cell::Int(d.count as i64),
                Cell::Rate(d.observed),
                Cell::Rate(d.expected),
                Cell::Text(format!("{:.2}", d.z)),
            ]);
        }
    }
    tb
}

/// The evidence text without the page's HTML escapes, for a file.
fn html_unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

#[derive(serde::Deserialize)]
struct RecordForm {
    #[serde(default)]
    csrf: String,
}

/// Records the audit's findings in the warnings inbox and opens the special audits.
async fn record_form(State(app): State<App>, caller: Caller, Form(f): Form<RecordForm>) -> Response {
    if let Some(r) = crate::web::form_csrf(&caller, &f.csrf, "/audit") {
        return r;
    }
    if let Err(p) = guard(&caller, false) {
        return problem_page(false, &caller, "/audit", p);
    }
    let as_of = match audit::default_as_of(&app.store, today()).await {
        Ok(d) => d,
        Err(e) => return Problem::internal(e).into_response(),
    };
    let ctx = match caller.ctx(Some(format!("audit as of {as_of}"))) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let store = app.store.clone();
    let done = crate::api::off_thread(move |rt| {
        rt.block_on(async {
            let report = audit::run(&store, as_of, &bw_audit::text::Policy::shipped()).await?;
            let inbox = audit::record(&store, &ctx, &report).await?;
            let opened = audit::open_cases(&store, &ctx, &report).await?;
            Ok::<_, bw_app::journal::ActionError>((report.findings.len(), inbox, opened.len()))
        })
    })
    .await;
    match done {
        Ok(Ok((n, inbox, opened))) => {
            let m = format!(
                "已记录：{n} 项发现，预警收件箱新增 {}、更新 {}、撤回 {}；开立专项审计 {opened} 个。",
                inbox.raised, inbox.updated, inbox.withdrawn
            );
            Redirect::to(&format!("/audit?done={}", urlencode(&m))).into_response()
        }
        Ok(Err(e)) => Problem::internal(e).into_response(),
        Err(p) => p.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_benford_chart_draws_every_digit_with_its_expected_share() {
        let mut c = benford::Counts::default();
        for v in [12_345, 23_456, 34_567, 11_111, 19_999] {
            c.add(v, 1000);
        }
        let r = benford::report(&c);
        let svg = benford_chart(&r.first_digit, false);
        assert_eq!(svg.matches("<rect").count(), 9);
        assert_eq!(svg.matches("<circle").count(), 9);
        assert!(svg.contains("实际占比") && svg.contains("本福特定律期望占比"));
    }

    #[test]
    fn conformity_and_sources_read_in_chinese() {
        assert_eq!(conformity(false, "nonconformity"), "不符合");
        assert_eq!(conformity(true, "close"), "close");
        assert_eq!(source_name(false, "test:benford"), "本福特定律偏离");
    }
}
