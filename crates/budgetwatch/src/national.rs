//! The national node (`budgetwatch cluster serve`, docs/SCALE.md): the national cockpit,
//! the drill-down into a province's regions, units and vouchers, and the public figures,
//! all read through the partitioned tables whose partitions are the provinces' foreign
//! tables; payments posted here are forwarded to their province's own writer; the witness
//! cosigns every province's published checkpoint on a timer.
//!
//! A figure over all provinces is shown only when every province answered. When one does
//! not, the page names it and withholds the national total; the API answers 503.

use crate::text::{esc, magnitude, pct, t, urlencode};
use anyhow::{Context as _, Result};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use bw_app::cluster::{Config, Province};
use bw_core::Money;
use bw_store::sqlx::{self, AnyPool, Row};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

#[derive(Clone)]
struct Node {
    cfg: Arc<Config>,
    pool: AnyPool,
    /// SHA-256 of the national ingestion token, when one is configured.
    ingest: Option<[u8; 32]>,
    /// The tokens the provinces issued to the national node, by province.
    forward: Arc<HashMap<String, String>>,
    /// Units already located: unit code → province code.
    units: Arc<Mutex<HashMap<String, String>>>,
}

fn sha256(b: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(b).into()
}

fn read_secret(path: &std::path::Path) -> Result<String> {
    Ok(std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?.trim().to_string())
}

pub async fn serve(cfg: Config, addr: &str) -> Result<()> {
    let pool = bw_app::cluster::connect(&cfg.national.database).await.context("the national database")?;
    let ingest = cfg.national.ingest_token_file.as_deref().map(read_secret).transpose()?.map(|s| sha256(s.as_bytes()));
    let mut forward = HashMap::new();
    for p in &cfg.provinces {
        if let Some(f) = &p.ingest_token_file {
            forward.insert(p.code.clone(), read_secret(f)?);
        }
    }
    let node = Node {
        cfg: Arc::new(cfg),
        pool,
        ingest,
        forward: Arc::new(forward),
        units: Arc::new(Mutex::new(HashMap::new())),
    };
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
    println!(
        "budgetwatch national node serving {} provinces at http://{}/",
        node.cfg.provinces.len(),
        listener.local_addr()?
    );
    let witness = node.cfg.clone();
    tokio::spawn(async move {
        loop {
            for (p, r) in witness.provinces.iter().zip(crate::cli::cosign_all(&witness).await) {
                if let Err(e) = r {
                    eprintln!("witness: province {} ({}): {e:#}", p.code, p.name);
                }
            }
            tokio::time::sleep(std::time::Duration::from_secs(witness.national.witness_seconds.max(1))).await;
        }
    });
    axum::serve(listener, router(node))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

fn router(node: Node) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/national") }))
        .route("/national", get(cockpit_page))
        .route("/national/login", get(login_page).post(login))
        .route("/national/report", get(report_file))
        .route("/national/public", get(public_page))
        .route("/national/{code}/public", get(province_public_page))
        .route("/national/{code}", get(province_page))
        .route("/national/{code}/units/{unit}", get(unit_page))
        .route("/api/v1/national/status", get(api_status))
        .route("/api/v1/national/figures", get(api_figures))
        .route("/api/v1/national/provinces/{code}/regions", get(api_regions))
        .route("/api/v1/national/provinces/{code}/public", get(api_public))
        .route("/api/v1/national/provinces/{code}/units/{unit}/payments", get(api_payments))
        .route("/api/v1/payments", post(forward_payment))
        .route("/api/v1/payments:batch", post(forward_batch))
        // A batch of about a million payments, as a province's own server takes.
        .layer(axum::extract::DefaultBodyLimit::max(256 << 20))
        .with_state(node)
}

// ---- the figures ----

#[derive(Clone, Debug, Default, serde::Serialize)]
struct Figures {
    code: String,
    name: String,
    /// Fen.
    budget: i64,
    paid: i64,
    indicators: i64,
    payments: i64,
    red: i64,
    orange: i64,
    yellow: i64,
}

#[derive(Debug, serde::Serialize)]
struct National {
    year: i32,
    complete: bool,
    /// The provinces that did not answer, as "name（code）".
    missing: Vec<String>,
    provinces: Vec<Figures>,
    /// Over every province; absent unless all answered.
    total: Option<Figures>,
}

const OPEN: &str = "state NOT IN ('archived', 'closed', 'dismissed', 'withdrawn')";

/// The year shown by default: the latest with indicators in any province that answers.
async fn default_year(node: &Node) -> i32 {
    let latest = sqlx::query("SELECT CAST(MAX(year) AS INTEGER) FROM national.indicators")
        .fetch_one(&node.pool)
        .await
        .ok()
        .and_then(|r| r.try_get::<Option<i32>, _>(0).ok().flatten());
    if let Some(y) = latest {
        return y;
    }
    for p in &node.cfg.provinces {
        if let Ok(r) = sqlx::query("SELECT CAST(MAX(year) AS INTEGER) FROM national.indicators WHERE province = $1")
            .bind(&p.code)
            .fetch_one(&node.pool)
            .await
            && let Ok(Some(y)) = r.try_get::<Option<i32>, _>(0)
        {
            return y;
        }
    }
    crate::clock::today().year()
}

async fn year_of(node: &Node, q: &YearQuery) -> i32 {
    match q.year {
        Some(y) => y,
        None => default_year(node).await,
    }
}

/// The three aggregates, over every province at once (`province` None: one async foreign
/// scan per province, each summing in its province) or over one (pruned to its partition).
async fn aggregate(node: &Node, year: i32, province: Option<&str>) -> Result<HashMap<String, Figures>, sqlx::Error> {
    let only = if province.is_some() { " AND province = $2" } else { "" };
    let q = |sql: String| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(year);
        if let Some(p) = province {
            q = q.bind(p.to_string());
        }
        q
    };
    let mut out: HashMap<String, Figures> = HashMap::new();
    for r in q(format!(
        "SELECT province, CAST(SUM(amount) AS BIGINT), CAST(SUM(paid) AS BIGINT), CAST(COUNT(*) AS BIGINT) \
         FROM national.indicators WHERE year = $1{only} GROUP BY province"
    ))
    .fetch_all(&node.pool)
    .await?
    {
        let f = out.entry(r.try_get(0)?).or_default();
        f.budget = r.try_get::<Option<i64>, _>(1)?.unwrap_or(0);
        f.paid = r.try_get::<Option<i64>, _>(2)?.unwrap_or(0);
        f.indicators = r.try_get(3)?;
    }
    for r in q(format!(
        "SELECT province, CAST(COUNT(*) AS BIGINT) FROM national.payments WHERE year = $1{only} GROUP BY province"
    ))
    .fetch_all(&node.pool)
    .await?
    {
        out.entry(r.try_get(0)?).or_default().payments = r.try_get(1)?;
    }
    for r in q(format!(
        "SELECT province, level, CAST(COUNT(*) AS BIGINT) FROM national.warnings WHERE year = $1 AND {OPEN}{only} \
         GROUP BY province, level"
    ))
    .fetch_all(&node.pool)
    .await?
    {
        let (p, level, n): (String, String, i64) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        let f = out.entry(p).or_default();
        match level.as_str() {
            "red" => f.red += n,
            "orange" => f.orange += n,
            _ => f.yellow += n,
        }
    }
    Ok(out)
}

/// Whether a province's database answers (asked directly, not through the national node).
async fn answers(p: &Province) -> bool {
    match bw_app::cluster::connect(&p.database).await {
        Ok(pool) => {
            let ok = sqlx::query("SELECT 1").fetch_one(&pool).await.is_ok();
            pool.close().await;
            ok
        }
        Err(_) => false,
    }
}

async fn national(node: &Node, year: i32) -> Result<National, sqlx::Error> {
    let cfg = &node.cfg;
    let named = |by: &mut HashMap<String, Figures>, p: &Province| {
        let mut f = by.remove(&p.code).unwrap_or_default();
        f.code = p.code.clone();
        f.name = p.name.clone();
        f
    };
    match aggregate(node, year, None).await {
        Ok(mut by) => {
            let provinces: Vec<Figures> = cfg.provinces.iter().map(|p| named(&mut by, p)).collect();
            let mut total = Figures { code: "00".into(), name: "全国".into(), ..Figures::default() };
            for f in &provinces {
                total.budget += f.budget;
                total.paid += f.paid;
                total.indicators += f.indicators;
                total.payments += f.payments;
                total.red += f.red;
                total.orange += f.orange;
                total.yellow += f.yellow;
            }
            Ok(National { year, complete: true, missing: vec![], provinces, total: Some(total) })
        }
        Err(e) => {
            // Which province failed: each is asked directly, and those that answer are read
            // through their own partition alone.
            let mut missing = Vec::new();
            let mut provinces = Vec::new();
            for p in &cfg.provinces {
                if !answers(p).await {
                    missing.push(format!("{}（{}）", p.name, p.code));
                    continue;
                }
                let mut by = aggregate(node, year, Some(&p.code)).await?;
                provinces.push(named(&mut by, p));
            }
            if missing.is_empty() {
                return Err(e);
            }
            Ok(National { year, complete: false, missing, provinces, total: None })
        }
    }
}

// ---- the execution report ----

/// Each indicator of the year with its budget and its payments in the period and up to its
/// end, from every province's monthly figures; summed in the provinces (partitionwise join
/// and aggregate), only the indicators' lines travel.
const REPORT_LINES: &str = "SELECT i.indicator_code, i.unit_code, i.project_code, i.functional_code, i.economic_code, \
     CAST(i.amount AS BIGINT), \
     CAST(COALESCE(SUM(CASE WHEN m.month >= $2 AND m.month <= $3 THEN m.paid END), 0) AS BIGINT), \
     CAST(COALESCE(SUM(CASE WHEN m.month <= $3 THEN m.paid END), 0) AS BIGINT) \
     FROM national.indicators i LEFT JOIN national.indicator_months m ON m.province = i.province \
     AND m.year = i.year AND m.indicator_code = i.indicator_code WHERE i.year = $1 \
     GROUP BY i.province, i.indicator_code, i.unit_code, i.project_code, i.functional_code, i.economic_code, i.amount \
     ORDER BY i.province, i.indicator_code";

async fn report_lines(
    pool: &AnyPool,
    period: &bw_core::report::Period,
) -> Result<(Vec<bw_core::org::NationalRow>, Vec<bw_core::report::Line>), sqlx::Error> {
    let mut units = Vec::new();
    for r in sqlx::query("SELECT code, name, parent_code, kind, level FROM national.units ORDER BY province, code")
        .fetch_all(pool)
        .await?
    {
        units.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?));
    }
    let key = |m: u32| format!("{:04}-{m:02}", period.year);
    let mut lines = Vec::new();
    for r in sqlx::query(REPORT_LINES)
        .bind(period.year)
        .bind(key(period.first_month))
        .bind(key(period.last_month))
        .fetch_all(pool)
        .await?
    {
        lines.push(bw_app::report::line_of(&r, String::new())?);
    }
    Ok((units, lines))
}

/// The provinces whose databases do not answer, as "name（code）".
async fn missing(cfg: &Config) -> Vec<String> {
    let mut out = Vec::new();
    for p in &cfg.provinces {
        if !answers(p).await {
            out.push(format!("{}（{}）", p.name, p.code));
        }
    }
    out
}

/// Why a national report was not made.
#[derive(Debug)]
pub enum ReportError {
    /// Provinces did not answer: no report leaves one out.
    Incomplete(Vec<String>),
    Invalid(String),
    Database(sqlx::Error),
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReportError::Incomplete(missing) => {
                write!(f, "数据不完整：{}未响应，全国执行报表不予生成。", missing.join("、"))
            }
            ReportError::Invalid(detail) => f.write_str(detail),
            ReportError::Database(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ReportError {}

/// The execution report of `period` over every province, read through the partitions: the
/// nation (000000 全国) above the provinces, or the part under `region`. The units' stated
/// causes stay in the provinces' own reports. A province that does not answer fails the
/// report, named — never a report that leaves it out.
pub async fn execution_report(
    pool: &AnyPool,
    cfg: &Config,
    period: &bw_core::report::Period,
    region: Option<&str>,
) -> Result<bw_app::report::ExecutionReport, ReportError> {
    let (units, lines) = match report_lines(pool, period).await {
        Ok(read) => read,
        Err(e) => {
            let missing = missing(cfg).await;
            return Err(if missing.is_empty() { ReportError::Database(e) } else { ReportError::Incomplete(missing) });
        }
    };
    let tree = bw_core::org::OrgTree::national(units).map_err(ReportError::Invalid)?;
    let root = region.unwrap_or(bw_core::org::NATION.0).to_string();
    let rows =
        bw_core::report::execution(&tree, &root, &lines, period).map_err(|e| ReportError::Invalid(e.to_string()))?;
    let region_name = tree.get(&root).map(|n| n.name.clone()).unwrap_or_default();
    Ok(bw_app::report::ExecutionReport { period: *period, region_code: root, region_name, rows })
}

#[derive(serde::Deserialize)]
struct ReportQuery {
    period: Option<String>,
    format: Option<String>,
    region: Option<String>,
}

/// `GET /national/report?period=2025-Q2&format=xlsx|pdf[&region=320000]`: the execution
/// report through the partitions, for holders of the national token (it lists units'
/// indicators, as the unit pages do).
async fn report_file(State(node): State<Node>, Query(q): Query<ReportQuery>, headers: HeaderMap) -> Response {
    if !authorised(&node, &headers) {
        let mut here = "/national/report?".to_string();
        for (k, v) in [("period", &q.period), ("format", &q.format), ("region", &q.region)] {
            if let Some(v) = v {
                here.push_str(&format!("{k}={}&", urlencode(v)));
            }
        }
        return Redirect::to(&format!("/national/login?next={}", urlencode(here.trim_end_matches('&'))))
            .into_response();
    }
    let bad = |detail: String| problem(StatusCode::BAD_REQUEST, "invalid", detail, &[]);
    let period = match bw_core::report::Period::parse(q.period.as_deref().unwrap_or_default()) {
        Ok(p) => p,
        Err(e) => return bad(format!("period: {e}")),
    };
    let format = q.format.as_deref().unwrap_or("xlsx");
    if format != "xlsx" && format != "pdf" {
        return bad(format!("format: xlsx or pdf, not {format:?}"));
    }
    let report = match execution_report(&node.pool, &node.cfg, &period, q.region.as_deref()).await {
        Ok(r) => r,
        Err(ReportError::Incomplete(missing)) => {
            let detail = ReportError::Incomplete(missing.clone()).to_string();
            return problem(StatusCode::SERVICE_UNAVAILABLE, "incomplete", detail, &missing);
        }
        Err(ReportError::Invalid(detail)) => return bad(detail),
        Err(e) => return internal(e),
    };
    let (bytes, mime) = if format == "xlsx" {
        match bw_app::report::execution_xlsx(&report) {
            Ok(b) => (b, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            Err(e) => return internal(e),
        }
    } else {
        let pdf = crate::fonts::cjk().map_err(|e| e.to_string()).and_then(|(font, index)| {
            let footer = format!("budgetwatch · 生成于 {}", crate::clock::local_time(crate::clock::now()));
            bw_app::report::execution_pdf(&report, &font, index, &footer).map_err(|e| e.to_string())
        });
        match pdf {
            Ok(b) => (b, "application/pdf"),
            Err(e) => return internal(e),
        }
    };
    let name = format!("national-execution-{}.{format}", q.period.as_deref().unwrap_or_default());
    let mut r = bytes.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", urlencode(&name))) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

#[derive(serde::Deserialize)]
struct YearQuery {
    year: Option<i32>,
    lang: Option<String>,
    region: Option<String>,
    /// The portal's month (default: December of a past year, else this month).
    month: Option<u32>,
}

fn problem(status: StatusCode, title: &str, detail: String, missing: &[String]) -> Response {
    let body = serde_json::json!({
        "type": format!("https://budgetwatch.invalid/problems/{}", title.replace(' ', "_")),
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
        "missing": missing,
    });
    let mut r = (status, Json(body)).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    r
}

fn internal(e: impl std::fmt::Display) -> Response {
    eprintln!("error: {e}");
    problem(StatusCode::INTERNAL_SERVER_ERROR, "internal error", "see the national node's log".into(), &[])
}

async fn api_status(State(node): State<Node>) -> Response {
    Json(bw_app::cluster::status(&node.cfg).await).into_response()
}

async fn api_figures(State(node): State<Node>, Query(q): Query<YearQuery>) -> Response {
    let year = year_of(&node, &q).await;
    match national(&node, year).await {
        Ok(n) if n.complete => Json(n).into_response(),
        Ok(n) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "province unavailable",
            format!("no national figure: {} did not answer", n.missing.join("、")),
            &n.missing,
        ),
        Err(e) => internal(e),
    }
}

// ---- a province's regions and units ----

#[derive(Debug, serde::Serialize)]
struct Area {
    code: String,
    name: String,
    level: String,
    parent: Option<String>,
    budget: i64,
    paid: i64,
}

fn province_or_404(node: &Node, code: &str) -> Result<Province, Box<Response>> {
    node.cfg.province(code).cloned().ok_or_else(|| {
        Box::new(problem(StatusCode::NOT_FOUND, "not found", format!("no province {code} in this cluster"), &[]))
    })
}

/// The province's regions with the budget and payments of the units in each; with
/// `region`, that region's units instead. One partition read (pruned), joined in the
/// province.
async fn areas(node: &Node, code: &str, year: i32, region: Option<&str>) -> Result<Vec<Area>, sqlx::Error> {
    let mut sums: HashMap<String, (i64, i64)> = HashMap::new();
    let (key, filter) = match region {
        Some(_) => ("u.code", " AND u.region_code = $3"),
        None => ("u.region_code", ""),
    };
    let sql = format!(
        "SELECT {key}, CAST(SUM(i.amount) AS BIGINT), CAST(SUM(i.paid) AS BIGINT) FROM national.indicators i \
         JOIN national.units u ON u.province = i.province AND u.code = i.unit_code \
         WHERE i.province = $1 AND u.province = $1 AND i.year = $2{filter} GROUP BY {key}"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(code.to_string()).bind(year);
    if let Some(r) = region {
        q = q.bind(r.to_string());
    }
    for r in q.fetch_all(&node.pool).await? {
        sums.insert(
            r.try_get(0)?,
            (r.try_get::<Option<i64>, _>(1)?.unwrap_or(0), r.try_get::<Option<i64>, _>(2)?.unwrap_or(0)),
        );
    }
    let rows = match region {
        None => {
            sqlx::query(
                "SELECT code, name, COALESCE(level, ''), parent_code FROM national.units \
                 WHERE province = $1 AND kind = 'region' ORDER BY code",
            )
            .bind(code.to_string())
            .fetch_all(&node.pool)
            .await?
        }
        Some(r) => {
            sqlx::query(
                "SELECT code, name, 'unit', department_code FROM national.units \
                 WHERE province = $1 AND kind = 'unit' AND region_code = $2 ORDER BY code",
            )
            .bind(code.to_string())
            .bind(r.to_string())
            .fetch_all(&node.pool)
            .await?
        }
    };
    let mut out = Vec::new();
    for r in rows {
        let code: String = r.try_get(0)?;
        let (budget, paid) = sums.get(&code).copied().unwrap_or((0, 0));
        out.push(Area { name: r.try_get(1)?, level: r.try_get(2)?, parent: r.try_get(3)?, budget, paid, code });
    }
    Ok(out)
}

async fn api_regions(State(node): State<Node>, Path(code): Path<String>, Query(q): Query<YearQuery>) -> Response {
    let p = match province_or_404(&node, &code) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let year = year_of(&node, &q).await;
    match areas(&node, &code, year, q.region.as_deref()).await {
        Ok(a) => {
            Json(serde_json::json!({ "province": p.code, "name": p.name, "year": year, "areas": a })).into_response()
        }
        Err(e) => unavailable(&p, e),
    }
}

fn unavailable(p: &Province, e: sqlx::Error) -> Response {
    eprintln!("error: province {}: {e}", p.code);
    let who = format!("{}（{}）", p.name, p.code);
    problem(StatusCode::SERVICE_UNAVAILABLE, "province unavailable", format!("{who} did not answer"), &[who])
}

// ---- the public portal (阳光预算) of a province, read through its partitions ----

/// The month a portal of `year` shows: the one asked for, else December of a past year,
/// else this month.
fn portal_month(year: i32, asked: Option<u32>) -> u32 {
    let today = crate::clock::today();
    asked.filter(|m| (1..=12).contains(m)).unwrap_or(if year < today.year() { 12 } else { today.month() })
}

/// Why a province's portal was not made: the province did not answer, or what it holds
/// does not make an organisation.
enum PortalFailure {
    Unavailable(sqlx::Error),
    Invalid(String),
}

impl From<sqlx::Error> for PortalFailure {
    fn from(e: sqlx::Error) -> Self {
        PortalFailure::Unavailable(e)
    }
}

/// A province's public portal as its own server makes it (`bw_app::public`), from the
/// national partitions of that province alone (pruned): the same figures but the
/// classified projects' count and the performance ranking, which stay in the province
/// (its views leave the classified projects out; the ranking is its own page).
async fn province_portal(
    node: &Node,
    code: &str,
    year: i32,
    month: u32,
) -> Result<(bw_core::org::OrgTree, bw_app::public::Portal), PortalFailure> {
    let month_key = format!("{year:04}-{month:02}");
    let mut units = Vec::new();
    for r in
        sqlx::query("SELECT code, name, parent_code, kind, level FROM national.units WHERE province = $1 ORDER BY code")
            .bind(code.to_string())
            .fetch_all(&node.pool)
            .await?
    {
        units.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?));
    }
    let tree = bw_core::org::OrgTree::national(units).map_err(PortalFailure::Invalid)?;
    let mut lines = Vec::new();
    for r in sqlx::query(
        "SELECT i.unit_code, SUBSTR(i.functional_code, 1, 3), i.economic_code, i.project_code, CAST(i.amount AS BIGINT), \
         CAST(COALESCE(SUM(m.paid), 0) AS BIGINT), CAST(COALESCE(SUM(m.payments), 0) AS BIGINT) \
         FROM national.indicators i LEFT JOIN national.indicator_months m ON m.province = $1 AND m.province = i.province \
         AND m.year = i.year AND m.indicator_code = i.indicator_code AND m.month <= $3 \
         WHERE i.province = $1 AND i.year = $2 \
         GROUP BY i.province, i.unit_code, i.indicator_code, i.functional_code, i.economic_code, i.project_code, i.amount",
    )
    .bind(code.to_string())
    .bind(year)
    .bind(month_key.clone())
    .fetch_all(&node.pool)
    .await?
    {
        lines.push(bw_app::public::line_of(&r)?);
    }
    let mut to_individuals = Vec::new();
    for r in sqlx::query(
        "SELECT unit_code, CAST(SUM(amount) AS BIGINT) FROM national.payments WHERE province = $1 AND year = $2 \
         AND pay_date <= $3 AND payee_type = 'individual' GROUP BY unit_code",
    )
    .bind(code.to_string())
    .bind(year)
    .bind(format!("{month_key}-31"))
    .fetch_all(&node.pool)
    .await?
    {
        to_individuals.push((r.try_get(0)?, r.try_get::<Option<i64>, _>(1)?.unwrap_or(0)));
    }
    let mut projects = Vec::new();
    for r in sqlx::query("SELECT project_code, name, unit_code, status FROM national.projects WHERE province = $1")
        .bind(code.to_string())
        .fetch_all(&node.pool)
        .await?
    {
        projects.push(bw_app::public::ProjectName {
            code: r.try_get(0)?,
            name: r.try_get(1)?,
            unit: r.try_get(2)?,
            status: r.try_get(3)?,
        });
    }
    let inputs = bw_app::public::Inputs {
        year,
        month,
        lines,
        to_individuals,
        projects,
        classified: Default::default(),
        ranking: None,
    };
    let portal = bw_app::public::assemble(&tree, inputs);
    Ok((tree, portal))
}

/// `GET /api/v1/national/provinces/{code}/public`: the province's portal figures, in the
/// shape of its own `/api/v1/public`; 503 naming the province when it does not answer.
async fn api_public(State(node): State<Node>, Path(code): Path<String>, Query(q): Query<YearQuery>) -> Response {
    let p = match province_or_404(&node, &code) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let year = year_of(&node, &q).await;
    match province_portal(&node, &code, year, portal_month(year, q.month)).await {
        Ok((_, portal)) => Json(portal).into_response(),
        Err(PortalFailure::Unavailable(e)) => unavailable(&p, e),
        Err(PortalFailure::Invalid(e)) => internal(e),
    }
}

/// The month picker and the year of a portal page.
fn portal_form(en: bool, action: &str, year: i32, month: u32) -> String {
    let options: String = (1..=12)
        .map(|m| {
            format!("<option value={m}{}>{m}{}</option>", if m == month { " selected" } else { "" }, t(en, "月", ""))
        })
        .collect();
    format!(
        "<form method=get action=\"{}\"><label>{} <input name=year value=\"{year}\" size=6></label> \
         <label>{} <select name=month>{options}</select></label>{} <button>{}</button></form>",
        esc(action),
        t(en, "年度", "Year"),
        t(en, "截至", "Through"),
        if en { "<input type=hidden name=lang value=en>" } else { "" },
        t(en, "查看", "Show")
    )
}

/// `/national/{code}/public`: a province's public portal on the national node, no log-in.
async fn province_public_page(
    State(node): State<Node>,
    Path(code): Path<String>,
    Query(q): Query<YearQuery>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let p = match province_or_404(&node, &code) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let year = year_of(&node, &q).await;
    let month = portal_month(year, q.month);
    let here = format!("/national/{}/public", urlencode(&code));
    let lang = if en { "?lang=en" } else { "" };
    let title = format!("{} {}", p.name, t(en, "阳光预算", "public portal"));
    let (tree, portal) = match province_portal(&node, &code, year, month).await {
        Ok(x) => x,
        Err(PortalFailure::Invalid(e)) => return internal(e),
        Err(PortalFailure::Unavailable(e)) => {
            eprintln!("error: province {code}: {e}");
            let body = format!(
                "<h1>{}</h1><p class=lv-red>{}</p><p><a href=\"/national/public{lang}\">{}</a></p>",
                esc(&title),
                esc(&format!(
                    "{}（{}）{}",
                    p.name,
                    p.code,
                    t(en, "未响应：无法显示。", " did not answer: nothing to show.")
                )),
                t(en, "返回全国", "Back to the nation")
            );
            let mut r = shell(en, &title, &here, &body).into_response();
            *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            return r;
        }
    };
    let name = |c: &str| tree.get(c).map(|n| n.name.clone()).unwrap_or_else(|| c.to_string());
    let mut b = format!(
        "<p><a href=\"/national/public{lang}\">{}</a> › {}</p><h1>{}</h1>{}<p class=muted>{}</p>",
        t(en, "全国阳光预算", "National public portal"),
        esc(&p.name),
        esc(&format!("{} {year}{}{month}{}", p.name, t(en, "年 截至", ", through month "), t(en, "月", ""))),
        portal_form(en, &here, year, month),
        t(
            en,
            "只显示汇总：少于3笔支付的分组合并显示，向个人支付按万元取整，涉密项目不在其中。金额单位：万元。",
            "Aggregates only: groups of fewer than 3 payments are added together, payments to individuals rounded to 10,000 yuan, classified projects left out. Amounts in 10,000 yuan."
        )
    );
    // Departments: the mandatory disclosures.
    b.push_str(&format!("<h2>{}</h2><table><thead><tr>", t(en, "部门预算与三公经费", "Departments")));
    let mut heads =
        vec![t(en, "部门", "Department"), t(en, "地区", "Region"), t(en, "预算", "Budget"), t(en, "已支付", "Paid")];
    heads.push(t(en, "执行率", "Execution"));
    let sangong: Vec<&str> = bw_core::code::SANGONG_CODES.iter().map(|&(_, zh, english)| t(en, zh, english)).collect();
    heads.extend(sangong.iter().copied());
    heads.extend([
        t(en, "会议费", "Meetings"),
        t(en, "培训费", "Training"),
        t(en, "向个人支付（万元取整）", "To individuals (rounded)"),
    ]);
    for h in &heads {
        b.push_str(&format!("<th>{}</th>", esc(h)));
    }
    b.push_str("</tr></thead><tbody>");
    let pair = |x: &bw_app::public::Pair| format!("{} / {}", crate::text::wan(x.paid), crate::text::wan(x.budget));
    for d in &portal.departments {
        b.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            esc(&d.name),
            esc(&d.region),
            crate::text::wan(d.total.budget),
            crate::text::wan(d.total.paid),
            rate(d.total.paid.fen(), d.total.budget.fen())
        ));
        for (_, _, x) in &d.sangong {
            b.push_str(&format!("<td>{}</td>", pair(x)));
        }
        b.push_str(&format!(
            "<td>{}</td><td>{}</td><td>{}</td></tr>",
            pair(&d.meeting),
            pair(&d.training),
            crate::text::wan(d.to_individuals_rounded)
        ));
    }
    b.push_str(&format!(
        "</tbody></table><p class=muted>{}</p>",
        t(en, "三公、会议费、培训费列为“已支付 / 预算”。", "三公, meetings and training show paid / budget.")
    ));
    // By functional class.
    b.push_str(&format!(
        "<h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        t(en, "按功能分类", "By function"),
        t(en, "类", "Class"),
        t(en, "预算", "Budget"),
        t(en, "已支付", "Paid"),
        t(en, "支出进度", "Execution rate")
    ));
    for (c, x) in &portal.functions {
        b.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&crate::pages::portal::class_name(c, en)),
            crate::text::wan(x.budget),
            crate::text::wan(x.paid),
            rate(x.paid.fen(), x.budget.fen())
        ));
    }
    b.push_str("</tbody></table>");
    // Where the money went: regions × classes.
    b.push_str(&format!("<h2>{}</h2>", t(en, "资金流向", "Fund flows")));
    b.push_str(&crate::pages::portal::heat_map(&portal, en, &name));
    if portal.small_group_count > 0 {
        b.push_str(&format!(
            "<p class=muted>{}</p>",
            esc(&format!(
                "{}{}{}{}",
                t(en, "少于3笔支付的分组 ", "Groups of fewer than 3 payments: "),
                portal.small_group_count,
                t(en, " 个，合计已支付 ", ", paid together "),
                crate::text::wan(portal.small_groups.paid)
            ))
        ));
    }
    // Projects.
    b.push_str(&format!(
        "<h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        t(en, "项目", "Projects"),
        t(en, "项目", "Project"),
        t(en, "单位", "Unit"),
        t(en, "状态", "Status"),
        t(en, "预算", "Budget"),
        t(en, "已支付", "Paid")
    ));
    for pr in &portal.projects {
        b.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&pr.name),
            esc(&name(&pr.unit)),
            esc(&crate::pages::portal::status_name(&pr.status, en)),
            crate::text::wan(pr.total.budget),
            crate::text::wan(pr.total.paid)
        ));
    }
    b.push_str("</tbody></table>");
    shell(en, &title, &here, &b).into_response()
}

/// What the nation shows the public: each province's budget and execution, and the nation's
/// by functional class — every province's sums made in the province (async foreign scans),
/// a national total only when every province answered.
async fn public_page(State(node): State<Node>, Query(q): Query<YearQuery>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let year = year_of(&node, &q).await;
    let lang = if en { "?lang=en" } else { "" };
    let lang_q = if en { "&lang=en" } else { "" };
    let title = t(en, "全国阳光预算", "National public portal");
    let n = match national(&node, year).await {
        Ok(n) => n,
        Err(e) => return internal(e),
    };
    let mut b = format!(
        "<h1>{}</h1><p class=muted>{}</p>",
        esc(&format!("{year}{}", t(en, "年 全国阳光预算", " national public portal"))),
        t(
            en,
            "各省预算与执行，由各省自行汇总；点击省份查看其部门、功能分类、资金流向与项目。金额单位：万元。",
            "Each province's budget and execution, summed in the province; a province's name opens its departments, functions, fund flows and projects. Amounts in 10,000 yuan."
        )
    );
    if !n.complete {
        b.push_str(&incomplete(en, &n.missing));
    }
    b.push_str(&table_head(&[
        t(en, "省份", "Province"),
        t(en, "预算", "Budget"),
        t(en, "已支付", "Paid"),
        t(en, "执行率", "Execution"),
    ]));
    for f in &n.provinces {
        b.push_str(&format!(
            "<tr><td><a href=\"/national/{}/public?year={year}{lang_q}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            urlencode(&f.code),
            esc(&f.name),
            crate::text::wan(Money::from_fen(f.budget)),
            crate::text::wan(Money::from_fen(f.paid)),
            rate(f.paid, f.budget)
        ));
    }
    for m in &n.missing {
        b.push_str(&format!(
            "<tr><td>{}</td><td colspan=3 class=lv-red>{}</td></tr>",
            esc(m),
            t(en, "未响应", "did not answer")
        ));
    }
    if let Some(total) = &n.total {
        b.push_str(&format!(
            "<tr><td><strong>{}</strong></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            t(en, "全国", "Nation"),
            crate::text::wan(Money::from_fen(total.budget)),
            crate::text::wan(Money::from_fen(total.paid)),
            rate(total.paid, total.budget)
        ));
    }
    b.push_str("</tbody></table>");
    // The nation by functional class: only when every province answered.
    if n.complete {
        let classes = sqlx::query(
            "SELECT province, SUBSTR(functional_code, 1, 3), CAST(SUM(amount) AS BIGINT), CAST(SUM(paid) AS BIGINT) \
             FROM national.indicators WHERE year = $1 GROUP BY province, SUBSTR(functional_code, 1, 3)",
        )
        .bind(year)
        .fetch_all(&node.pool)
        .await;
        let mut by: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
        match classes {
            Ok(rows) => {
                for r in rows {
                    let class: String = r.try_get(1).unwrap_or_default();
                    let e = by.entry(class).or_default();
                    e.0 += r.try_get::<Option<i64>, _>(2).ok().flatten().unwrap_or(0);
                    e.1 += r.try_get::<Option<i64>, _>(3).ok().flatten().unwrap_or(0);
                }
            }
            Err(e) => return internal(e),
        }
        b.push_str(&format!(
            "<h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            t(en, "全国按功能分类", "The nation by function"),
            t(en, "类", "Class"),
            t(en, "预算", "Budget"),
            t(en, "已支付", "Paid"),
            t(en, "支出进度", "Execution rate")
        ));
        for (c, (budget, paid)) in &by {
            b.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&crate::pages::portal::class_name(c, en)),
                crate::text::wan(Money::from_fen(*budget)),
                crate::text::wan(Money::from_fen(*paid)),
                rate(*paid, *budget)
            ));
        }
        b.push_str("</tbody></table>");
    }
    b.push_str(&format!("<p><a href=\"/national{lang}\">{}</a></p>", t(en, "全国驾驶舱", "National cockpit")));
    shell(en, title, "/national/public", &b).into_response()
}

// ---- vouchers: for the holders of the national token ----

#[derive(Debug, serde::Serialize)]
struct Voucher {
    voucher_no: String,
    pay_date: String,
    economic_code: String,
    payee: String,
    payee_type: String,
    amount: i64,
    summary: String,
}

/// An individual's name is not shown beyond the province: its first character and a mask.
fn payee_shown(name: &str, kind: &str) -> String {
    if kind == "individual" {
        let first: String = name.chars().take(1).collect();
        format!("{first}**")
    } else {
        name.to_string()
    }
}

async fn vouchers(node: &Node, code: &str, unit: &str) -> Result<Vec<Voucher>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT voucher_no, pay_date, economic_code, payee_name, payee_type, amount, summary FROM national.payments \
         WHERE province = $1 AND unit_code = $2 ORDER BY pay_date DESC, voucher_no DESC LIMIT 200",
    )
    .bind(code.to_string())
    .bind(unit.to_string())
    .fetch_all(&node.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let (payee, kind): (String, String) = (r.try_get(3)?, r.try_get(4)?);
        out.push(Voucher {
            voucher_no: r.try_get(0)?,
            pay_date: r.try_get(1)?,
            economic_code: r.try_get(2)?,
            payee: payee_shown(&payee, &kind),
            payee_type: kind,
            amount: r.try_get(5)?,
            summary: r.try_get(6)?,
        });
    }
    Ok(out)
}

/// Whether the request carries the national token (a bearer, or the page's cookie).
fn authorised(node: &Node, headers: &HeaderMap) -> bool {
    let Some(expected) = node.ingest else { return false };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let cookie = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').find_map(|kv| kv.trim().strip_prefix("bw_national=").map(str::to_string)));
    // Compared as hashes: the time taken says nothing about the secret.
    [bearer, cookie].into_iter().flatten().any(|s| sha256(s.trim().as_bytes()) == expected)
}

async fn api_payments(
    State(node): State<Node>,
    Path((code, unit)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !authorised(&node, &headers) {
        return problem(StatusCode::UNAUTHORIZED, "unauthorized", "the national token is needed".into(), &[]);
    }
    let p = match province_or_404(&node, &code) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    match vouchers(&node, &code, &unit).await {
        Ok(v) => Json(serde_json::json!({ "province": code, "unit": unit, "payments": v })).into_response(),
        Err(e) => unavailable(&p, e),
    }
}

// ---- ingestion: forwarded to the unit's province ----

/// The province of each unit (none when it is in no province): the cache first, then each
/// province asked once for every unit still unplaced, a few hundred codes per query. The
/// provinces that could not be asked are named when a unit stays unplaced.
async fn locate_all(node: &Node, units: &[&str]) -> (HashMap<String, Option<Province>>, Vec<String>) {
    let mut out: HashMap<String, Option<Province>> = HashMap::new();
    let mut wanted: HashSet<String> = HashSet::new();
    if let Ok(known) = node.units.lock() {
        for &u in units {
            if out.contains_key(u) || wanted.contains(u) {
                continue;
            }
            match known.get(u) {
                Some(code) => {
                    out.insert(u.to_string(), node.cfg.province(code).cloned());
                }
                None => {
                    wanted.insert(u.to_string());
                }
            }
        }
    }
    let mut silent = Vec::new();
    for p in &node.cfg.provinces {
        if wanted.is_empty() {
            break;
        }
        let asked: Vec<&String> = wanted.iter().collect();
        let found = async {
            let pool = bw_app::cluster::connect(&p.database).await?;
            let mut found = Vec::new();
            for chunk in asked.chunks(LOCATE_CHUNK) {
                let list = (1..=chunk.len()).map(|k| format!("${k}")).collect::<Vec<_>>().join(", ");
                let sql = format!("SELECT code, region_code FROM units WHERE kind = 'unit' AND code IN ({list})");
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for &u in chunk {
                    q = q.bind(u.clone());
                }
                for r in q.fetch_all(&pool).await? {
                    found.push((r.try_get::<String, _>(0)?, r.try_get::<Option<String>, _>(1)?));
                }
            }
            pool.close().await;
            Ok::<_, sqlx::Error>(found)
        };
        match found.await {
            Ok(found) => {
                for (unit, region) in found {
                    let shard = region.and_then(|r| node.cfg.province_of_region(&r).cloned());
                    if let (Some(s), Ok(mut m)) = (&shard, node.units.lock()) {
                        m.insert(unit.clone(), s.code.clone());
                    }
                    wanted.remove(&unit);
                    out.insert(unit, shard);
                }
            }
            Err(_) => silent.push(format!("{}（{}）", p.name, p.code)),
        }
    }
    for u in wanted {
        out.insert(u, None);
    }
    (out, silent)
}

/// Unit codes asked of a province in one query.
const LOCATE_CHUNK: usize = 500;

/// The province of one unit: `Err` names the provinces that could not be asked when the
/// unit was found in none of the others.
async fn locate(node: &Node, unit: &str) -> Result<Option<Province>, Vec<String>> {
    let (mut found, silent) = locate_all(node, &[unit]).await;
    match found.remove(unit).flatten() {
        Some(p) => Ok(Some(p)),
        None if silent.is_empty() => Ok(None),
        None => Err(silent),
    }
}

/// Whether the national node takes payments, and from this caller.
fn ingest_allowed(node: &Node, headers: &HeaderMap) -> Result<(), Box<Response>> {
    if node.ingest.is_none() {
        return Err(Box::new(problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this national node takes no payments (no national.ingest_token_file)".into(),
            &[],
        )));
    }
    if !authorised(node, headers) {
        return Err(Box::new(problem(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the national token is needed".into(),
            &[],
        )));
    }
    Ok(())
}

async fn forward_payment(State(node): State<Node>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    if let Err(r) = ingest_allowed(&node, &headers) {
        return *r;
    }
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return problem(StatusCode::BAD_REQUEST, "bad request", format!("the body is not JSON: {e}"), &[]),
    };
    let Some(unit) = value.get("unit_code").and_then(|u| u.as_str()).map(str::to_string) else {
        return problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "unit_code is required".into(), &[]);
    };
    let p = match locate(&node, &unit).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown unit",
                format!("unit {unit} is in no province of this cluster"),
                &[],
            );
        }
        Err(silent) => {
            return problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "province unavailable",
                format!("unit {unit} was not found in the provinces that answered; {} did not", silent.join("、")),
                &silent,
            );
        }
    };
    let Some(token) = node.forward.get(&p.code) else {
        return problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("no ingestion token for province {} (province.ingest_token_file)", p.code),
            &[],
        );
    };
    let auth = format!("Bearer {token}");
    let mut out: Vec<(&str, &str)> = vec![("authorization", auth.as_str()), ("content-type", "application/json")];
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    if let Some(k) = key {
        out.push(("idempotency-key", k));
    }
    let url = format!("{}/api/v1/payments", p.server.trim_end_matches('/'));
    match crate::cli::forward_request(hyper::Method::POST, &url, &out, body).await {
        Ok((status, answer_headers, bytes)) => {
            let mut r = (StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY), bytes).into_response();
            if let Some(ct) = answer_headers.get(header::CONTENT_TYPE) {
                r.headers_mut().insert(header::CONTENT_TYPE, ct.clone());
            }
            if let Ok(v) = HeaderValue::from_str(&p.code) {
                r.headers_mut().insert("x-budgetwatch-province", v);
            }
            r
        }
        Err(e) => {
            eprintln!("error: forwarding to province {}: {e:#}", p.code);
            let who = format!("{}（{}）", p.name, p.code);
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "province unavailable",
                format!("{who} did not take the payment: its server does not answer"),
                &[who],
            )
        }
    }
}

// ---- batches: split by province ----

/// Whether a column name (CSV header or NDJSON key) is the payments template's unit code, in
/// any spelling the template accepts.
fn is_unit_column(h: &str) -> bool {
    let h = h.trim_start_matches('\u{feff}').trim();
    bw_core::template::Kind::Payments.columns().iter().find(|c| c.name == "unit_code").is_some_and(|c| {
        c.name.eq_ignore_ascii_case(h) || c.zh == h || c.aliases.iter().any(|a| a.eq_ignore_ascii_case(h))
    })
}

/// A batch read for routing: each record's row in the request (numbered as the province
/// numbers them: blank lines count, from 1), its unit, and how to write a part again.
enum Records {
    /// NDJSON: each record's line.
    Lines(Vec<(usize, String, String)>),
    /// CSV: the header and each record's fields.
    Csv(Vec<String>, Vec<(usize, String, Vec<String>)>),
}

impl Records {
    /// Each record's row and unit, in the request's order.
    fn units(&self) -> Vec<(usize, &str)> {
        match self {
            Records::Lines(v) => v.iter().map(|(r, u, _)| (*r, u.as_str())).collect(),
            Records::Csv(_, v) => v.iter().map(|(r, u, _)| (*r, u.as_str())).collect(),
        }
    }

    /// The body of the records at positions `at` (indexes into the records), in the batch's
    /// format.
    fn part(&self, at: &[usize]) -> Vec<u8> {
        match self {
            Records::Lines(v) => {
                let mut out = Vec::new();
                for &i in at {
                    out.extend_from_slice(v[i].2.as_bytes());
                    out.push(b'\n');
                }
                out
            }
            Records::Csv(header, v) => {
                let mut w = csv::Writer::from_writer(Vec::new());
                let _ = w.write_record(header);
                for &i in at {
                    let _ = w.write_record(&v[i].2);
                }
                w.into_inner().unwrap_or_default()
            }
        }
    }
}

/// Reads a batch far enough to route it: the unit of every record. A record without one is
/// refused here, naming its row, as the province would refuse it.
fn read_batch(csv_body: bool, body: &[u8]) -> Result<Records, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the batch is not UTF-8".to_string())?;
    if !csv_body {
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let v: serde_json::Value =
                serde_json::from_str(line).map_err(|e| format!("row {}: not a JSON object: {e}", i + 1))?;
            let unit = v
                .as_object()
                .and_then(|o| o.iter().find(|(k, _)| is_unit_column(k)))
                .and_then(|(_, u)| u.as_str())
                .map(|u| u.trim().to_string())
                .filter(|u| !u.is_empty())
                .ok_or_else(|| format!("row {}: unit_code is required", i + 1))?;
            out.push((i + 1, unit, line.to_string()));
        }
        return Ok(Records::Lines(out));
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = reader.records();
    let header: Vec<String> = match rows.next() {
        Some(h) => h.map_err(|e| format!("the header: {e}"))?.iter().map(str::to_string).collect(),
        None => return Err("an empty batch".into()),
    };
    let at = header.iter().position(|h| is_unit_column(h)).ok_or("the header has no unit_code column")?;
    let mut out = Vec::new();
    for (i, r) in rows.enumerate() {
        let r = r.map_err(|e| format!("CSV row {}: {e}", i + 1))?;
        if r.len() == 1 && r.get(0).is_some_and(str::is_empty) {
            continue;
        }
        let fields: Vec<String> = r.iter().map(str::to_string).collect();
        let unit = fields.get(at).map(|u| u.trim().to_string()).filter(|u| !u.is_empty());
        let unit = unit.ok_or_else(|| format!("row {}: unit_code is required", i + 1))?;
        out.push((i + 1, unit, fields));
    }
    Ok(Records::Csv(header, out))
}

/// `POST /api/v1/payments:batch` on the national node: each record goes to its unit's
/// province. A batch within one province is forwarded whole (all or nothing there, the
/// province's answer as it is); a batch across provinces is split, each province's part
/// forwarded at once as its own batch (all or nothing in that province), and the answer
/// lists every part: its province, its status, the request's record numbers it held and the
/// province's answer (refused rows renumbered as the request's). 201 or 200 when every part
/// landed, 207 when some did not.
async fn forward_batch(State(node): State<Node>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    if let Err(r) = ingest_allowed(&node, &headers) {
        return *r;
    }
    let encoded = headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or("identity");
    if !encoded.eq_ignore_ascii_case("identity") {
        let detail =
            "the national node reads a batch to route it: send it uncompressed (or compressed to the province)";
        return problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported media type", detail.into(), &[]);
    }
    let kind = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let csv_body = match kind.split(';').next().unwrap_or("").trim() {
        "text/csv" => true,
        "application/x-ndjson" | "application/jsonl" => false,
        other => {
            let detail = format!("{other:?}: a batch is application/x-ndjson or text/csv");
            return problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported media type", detail, &[]);
        }
    };
    let records = match read_batch(csv_body, &body) {
        Ok(r) => r,
        Err(detail) => return problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid", detail, &[]),
    };
    // Every record's province; a unit in none, or provinces that cannot be asked, refuse
    // the whole batch before anything is sent.
    // Each province's records: their positions in the batch and their rows in the request.
    let mut parts: Vec<(Province, Vec<usize>, Vec<usize>)> = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    let units = records.units();
    let (located, silent) = locate_all(&node, &units.iter().map(|(_, u)| *u).collect::<Vec<_>>()).await;
    for (i, (row, unit)) in units.into_iter().enumerate() {
        match located.get(unit).cloned().flatten() {
            Some(p) => match parts.iter_mut().find(|(q, _, _)| q.code == p.code) {
                Some((_, at, rows)) => {
                    at.push(i);
                    rows.push(row);
                }
                None => parts.push((p, vec![i], vec![row])),
            },
            None => unknown.push(format!("row {row}: unit {unit}")),
        }
    }
    // A unit found nowhere may be in a province that did not answer.
    if !unknown.is_empty() && !silent.is_empty() {
        let detail =
            format!("units of the batch were not found in the provinces that answered; {} did not", silent.join("、"));
        return problem(StatusCode::SERVICE_UNAVAILABLE, "province unavailable", detail, &silent);
    }
    if !unknown.is_empty() {
        let detail = format!("in no province of this cluster: {}", unknown.join("; "));
        return problem(StatusCode::UNPROCESSABLE_ENTITY, "unknown unit", detail, &[]);
    }
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_string);
    if let [(p, _, _)] = parts.as_slice() {
        return match send_batch(&node, p, &kind, key.as_deref(), body).await {
            Ok((status, ct, bytes)) => {
                let mut r = (status, bytes).into_response();
                if let Some(ct) = ct {
                    r.headers_mut().insert(header::CONTENT_TYPE, ct);
                }
                if let Ok(v) = HeaderValue::from_str(&p.code) {
                    r.headers_mut().insert("x-budgetwatch-province", v);
                }
                r
            }
            Err(r) => *r,
        };
    }
    let sends = parts.iter().map(|(p, at, _)| {
        // Each province keeps its own part's answer for a retry.
        let part_key = key.as_ref().map(|k| format!("{k}:{}", p.code));
        let body = axum::body::Bytes::from(records.part(at));
        let (node, kind) = (&node, kind.as_str());
        async move { send_batch(node, p, kind, part_key.as_deref(), body).await }
    });
    let answers = futures_util::future::join_all(sends).await;
    let (mut all_ok, mut added) = (true, false);
    let mut listed = Vec::new();
    for ((p, _, rows), answer) in parts.iter().zip(answers) {
        let (status, value) = match answer {
            Ok((status, _, bytes)) => {
                let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
                // Refused rows as the request's record numbers.
                if let Some(errors) = v.get_mut("errors").and_then(|e| e.as_array_mut()) {
                    for e in errors {
                        if let Some(r) = e.get("row").and_then(|r| r.as_u64())
                            && let Some(orig) = rows.get((r as usize).wrapping_sub(1))
                        {
                            e["row"] = serde_json::json!(orig);
                        }
                    }
                }
                (status, v)
            }
            Err(r) => (r.status(), serde_json::json!({ "detail": format!("{}（{}）did not answer", p.name, p.code) })),
        };
        all_ok &= status.is_success();
        added |= status == StatusCode::CREATED;
        listed.push(serde_json::json!({
            "code": p.code,
            "name": p.name,
            "status": status.as_u16(),
            "rows": rows,
            "answer": value,
        }));
    }
    let status = match (all_ok, added) {
        (false, _) => StatusCode::MULTI_STATUS,
        (true, true) => StatusCode::CREATED,
        (true, false) => StatusCode::OK,
    };
    (status, Json(serde_json::json!({ "provinces": listed }))).into_response()
}

/// Posts a batch to a province's own `:batch` with the token it issued to the nation.
async fn send_batch(
    node: &Node,
    p: &Province,
    kind: &str,
    key: Option<&str>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Option<HeaderValue>, axum::body::Bytes), Box<Response>> {
    let Some(token) = node.forward.get(&p.code) else {
        let detail = format!("no ingestion token for province {} (province.ingest_token_file)", p.code);
        return Err(Box::new(problem(StatusCode::FORBIDDEN, "forbidden", detail, &[])));
    };
    let auth = format!("Bearer {token}");
    let mut out: Vec<(&str, &str)> = vec![("authorization", auth.as_str()), ("content-type", kind)];
    if let Some(k) = key {
        out.push(("idempotency-key", k));
    }
    let url = format!("{}/api/v1/payments:batch", p.server.trim_end_matches('/'));
    match crate::cli::forward_request(hyper::Method::POST, &url, &out, body).await {
        Ok((status, answer_headers, bytes)) => Ok((
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
            answer_headers.get(header::CONTENT_TYPE).cloned(),
            bytes,
        )),
        Err(e) => {
            eprintln!("error: forwarding a batch to province {}: {e:#}", p.code);
            let who = format!("{}（{}）", p.name, p.code);
            let detail = format!("{who} did not take the batch: its server does not answer");
            Err(Box::new(problem(StatusCode::SERVICE_UNAVAILABLE, "province unavailable", detail, &[who])))
        }
    }
}

// ---- pages ----

fn shell(en: bool, title: &str, here: &str, body: &str) -> Html<String> {
    let lang = if en { "?lang=en" } else { "" };
    let switch = if en { here.to_string() } else { format!("{here}?lang=en") };
    let nav = [
        (format!("/national{lang}"), t(en, "全国驾驶舱", "National cockpit")),
        (format!("/national/public{lang}"), t(en, "阳光预算", "Public portal")),
        (format!("/national/login{lang}"), t(en, "凭证查阅登录", "Voucher access")),
        (switch, t(en, "English", "中文")),
    ];
    let nav: String =
        nav.iter().map(|(h, l)| format!("<a href=\"{}\">{}</a>", esc(h), esc(l))).collect::<Vec<_>>().join("");
    Html(format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>budgetwatch · {}</title><style>{}</style></head><body><header><strong>budgetwatch · {}</strong>\
         <nav>{nav}</nav></header><main>{body}</main></body></html>",
        if en { "en" } else { "zh-CN" },
        esc(title),
        crate::web::CSS,
        esc(title)
    ))
}

/// The notice a national page shows instead of a total when provinces did not answer.
fn incomplete(en: bool, missing: &[String]) -> String {
    format!(
        "<p class=lv-red><strong>{}</strong>{}</p>",
        t(en, "数据不完整：", "Incomplete: "),
        esc(&format!(
            "{}{}",
            missing.join("、"),
            t(en, "未响应，全国合计不予显示。", " did not answer; no national total is shown.")
        ))
    )
}

/// A table's opening and its header row.
fn table_head(heads: &[&str]) -> String {
    let cells: String = heads.iter().map(|h| format!("<th>{}</th>", esc(h))).collect();
    format!("<table><thead><tr>{cells}</tr></thead><tbody>")
}

fn rate(paid: i64, budget: i64) -> String {
    if budget == 0 { "—".into() } else { pct(paid as f64 / budget as f64) }
}

async fn cockpit_page(State(node): State<Node>, Query(q): Query<YearQuery>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let year = year_of(&node, &q).await;
    // The figures and the logs' state asked at once: a province that does not answer costs
    // its timeout once, not twice.
    let (n, logs) = tokio::join!(national(&node, year), bw_app::cluster::status(&node.cfg));
    let n = match n {
        Ok(n) => n,
        Err(e) => return internal(e),
    };
    let lang = if en { "?lang=en" } else { "" };
    let mut b = String::new();
    b.push_str(&format!(
        "<h1>{}</h1>",
        esc(&format!("{year}{}", t(en, "年 全国预算执行", " national budget execution")))
    ));
    if !n.complete {
        b.push_str(&incomplete(en, &n.missing));
    }
    b.push_str(&table_head(&[
        t(en, "省份", "Province"),
        t(en, "预算", "Budget"),
        t(en, "已支付", "Paid"),
        t(en, "执行率", "Execution"),
        t(en, "支付笔数", "Payments"),
        t(en, "红色预警", "Red"),
        t(en, "橙色预警", "Orange"),
        t(en, "黄色预警", "Yellow"),
    ]));
    let row = |f: &Figures, link: bool| {
        let name = if link {
            format!("<a href=\"/national/{}{lang}\">{}</a>", urlencode(&f.code), esc(&f.name))
        } else {
            format!("<strong>{}</strong>", esc(&f.name))
        };
        format!(
            "<tr><td>{name}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&magnitude(en, Money::from_fen(f.budget))),
            esc(&magnitude(en, Money::from_fen(f.paid))),
            rate(f.paid, f.budget),
            crate::text::group_thousands(f.payments.max(0) as u64),
            f.red,
            f.orange,
            f.yellow
        )
    };
    for f in &n.provinces {
        b.push_str(&row(f, true));
    }
    for m in &n.missing {
        b.push_str(&format!(
            "<tr><td>{}</td><td colspan=7 class=lv-red>{}</td></tr>",
            esc(m),
            t(en, "未响应", "did not answer")
        ));
    }
    match &n.total {
        Some(total) => b.push_str(&row(total, false)),
        None => b.push_str(&format!(
            "<tr><td><strong>{}</strong></td><td colspan=7>{}</td></tr>",
            t(en, "全国", "Nation"),
            t(en, "不完整，不予合计", "incomplete: not totalled")
        )),
    }
    b.push_str("</tbody></table>");
    // The execution report through the partitions (it lists units' indicators: the
    // national token is asked for on the way).
    b.push_str(&format!(
        "<h2>{}</h2><form method=get action=\"/national/report\"><label>{} <input name=period value=\"{year}-12\" \
         size=10></label> <label>{} <select name=format><option value=xlsx>XLSX</option><option value=pdf>PDF</option>\
         </select></label> <button>{}</button></form><p class=muted>{}</p>",
        t(en, "预算执行情况表", "Execution report"),
        t(en, "期间（月如 2025-11，季度如 2025-Q4）", "Period (a month, 2025-11, or a quarter, 2025-Q4)"),
        t(en, "格式", "Format"),
        t(en, "生成", "Make"),
        t(
            en,
            "全国在上、各省在下，逐指标列出预算、本期与累计支出；需全国凭证。任一省份未响应时不予生成。",
            "The nation above the provinces, each indicator's budget and payments; needs the national token. Not made while a province does not answer."
        ),
    ));
    // The logs' integrity: what each province holds and what the nation has cosigned.
    let s = logs;
    b.push_str(&format!(
        "<h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        t(en, "日志与见证", "Logs and witness"),
        t(en, "省份", "Province"),
        t(en, "日志条目", "Journal entries"),
        t(en, "全国见证至", "Cosigned by the nation up to"),
    ));
    for p in &s.provinces {
        let (size, cosigned) = match (p.journal_size, p.cosigned_size) {
            (Some(a), Some(c)) => (crate::text::group_thousands(a as u64), crate::text::group_thousands(c as u64)),
            _ => (t(en, "未响应", "did not answer").to_string(), "—".into()),
        };
        b.push_str(&format!("<tr><td>{}</td><td>{size}</td><td>{cosigned}</td></tr>", esc(&p.name)));
    }
    b.push_str("</tbody></table>");
    shell(en, t(en, "全国驾驶舱", "National cockpit"), "/national", &b).into_response()
}

async fn province_page(State(node): State<Node>, Path(code): Path<String>, Query(q): Query<YearQuery>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let p = match province_or_404(&node, &code) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let year = year_of(&node, &q).await;
    let here = format!("/national/{}", urlencode(&code));
    let lang_q = if en { "&lang=en" } else { "" };
    let lang = if en { "?lang=en" } else { "" };
    let list = match areas(&node, &code, year, q.region.as_deref()).await {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: province {code}: {e}");
            let body = format!(
                "<h1>{}</h1><p class=lv-red>{}</p><p><a href=\"/national{lang}\">{}</a></p>",
                esc(&p.name),
                esc(&format!(
                    "{}（{}）{}",
                    p.name,
                    p.code,
                    t(en, "未响应：无法下钻。", " did not answer: no drill-down.")
                )),
                t(en, "返回全国", "Back to the nation")
            );
            let mut r = shell(en, &p.name, &here, &body).into_response();
            *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            return r;
        }
    };
    let mut b = format!(
        "<p><a href=\"/national{lang}\">{}</a> › {}</p><h1>{}</h1>",
        t(en, "全国", "Nation"),
        esc(&p.name),
        esc(&format!("{} {year}", p.name))
    );
    if q.region.is_none() {
        b.push_str(&format!(
            "<p><a href=\"/national/{}/public?year={year}{lang_q}\">{}</a></p>",
            urlencode(&code),
            t(en, "本省阳光预算（公开数据）", "The province's public portal")
        ));
    }
    let region_view = q.region.is_some();
    b.push_str(&format!(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        if region_view { t(en, "单位", "Unit") } else { t(en, "地区", "Region") },
        t(en, "预算", "Budget"),
        t(en, "已支付", "Paid"),
        t(en, "执行率", "Execution"),
    ));
    for a in &list {
        let href = if region_view {
            format!("/national/{}/units/{}{lang}", urlencode(&code), urlencode(&a.code))
        } else {
            format!("/national/{}?region={}{lang_q}", urlencode(&code), urlencode(&a.code))
        };
        let indent = if a.level == "county" {
            "　　"
        } else if a.level == "city" {
            "　"
        } else {
            ""
        };
        b.push_str(&format!(
            "<tr><td>{indent}<a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&href),
            esc(&a.name),
            esc(&magnitude(en, Money::from_fen(a.budget))),
            esc(&magnitude(en, Money::from_fen(a.paid))),
            rate(a.paid, a.budget)
        ));
    }
    b.push_str("</tbody></table>");
    shell(en, &p.name, &here, &b).into_response()
}

async fn unit_page(
    State(node): State<Node>,
    Path((code, unit)): Path<(String, String)>,
    Query(q): Query<YearQuery>,
    headers: HeaderMap,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let here = format!("/national/{}/units/{}", urlencode(&code), urlencode(&unit));
    if !authorised(&node, &headers) {
        return Redirect::to(&format!("/national/login?next={}", urlencode(&here))).into_response();
    }
    let p = match province_or_404(&node, &code) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let lang = if en { "?lang=en" } else { "" };
    let list = match vouchers(&node, &code, &unit).await {
        Ok(v) => v,
        Err(e) => return unavailable(&p, e),
    };
    let mut b = format!(
        "<p><a href=\"/national{lang}\">{}</a> › <a href=\"/national/{}{lang}\">{}</a> › {}</p><h1>{}</h1>\
         <p>{}</p><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        t(en, "全国", "Nation"),
        urlencode(&code),
        esc(&p.name),
        esc(&unit),
        esc(&unit),
        t(en, "最近 200 笔支付（个人收款人姓名已脱敏）", "The latest 200 payments (individual payees masked)"),
        t(en, "凭证号", "Voucher"),
        t(en, "支付日期", "Date"),
        t(en, "经济分类", "Economic class"),
        t(en, "收款人", "Payee"),
        t(en, "金额", "Amount"),
        t(en, "摘要", "Summary"),
    );
    for v in &list {
        b.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&v.voucher_no),
            esc(&v.pay_date),
            crate::text::economic_cell(&v.economic_code),
            esc(&v.payee),
            esc(&magnitude(en, Money::from_fen(v.amount))),
            esc(&v.summary)
        ));
    }
    b.push_str("</tbody></table>");
    shell(en, &unit, &here, &b).into_response()
}

#[derive(serde::Deserialize)]
struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
}

async fn login_page(Query(q): Query<LoginQuery>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let next = q.next.unwrap_or_else(|| "/national".into());
    let body = format!(
        "<h1>{}</h1><p>{}</p><form method=post action=\"/national/login\"><input type=hidden name=next value=\"{}\">\
         <label>{} <input type=password name=token autocomplete=off required></label> <button>{}</button></form>",
        t(en, "凭证查阅登录", "Voucher access"),
        t(
            en,
            "查阅各省支付凭证需全国节点的访问令牌（由部署者保管）。",
            "Reading the provinces' vouchers needs the national node's token (kept by its operator)."
        ),
        esc(&next),
        t(en, "访问令牌", "Token"),
        t(en, "登录", "Log in")
    );
    shell(en, t(en, "凭证查阅登录", "Voucher access"), "/national/login", &body).into_response()
}

#[derive(serde::Deserialize)]
struct LoginForm {
    token: String,
    next: Option<String>,
}

async fn login(State(node): State<Node>, Form(f): Form<LoginForm>) -> Response {
    let ok = node.ingest.is_some_and(|h| sha256(f.token.trim().as_bytes()) == h);
    if !ok {
        let mut r = shell(
            false,
            "凭证查阅登录",
            "/national/login",
            "<p class=lv-red>令牌不正确。</p><p><a href=\"/national/login\">重试</a></p>",
        )
        .into_response();
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        return r;
    }
    // Only a path on this node: never a redirect elsewhere.
    let next = f.next.filter(|n| n.starts_with('/') && !n.starts_with("//")).unwrap_or_else(|| "/national".into());
    let mut r = Redirect::to(&next).into_response();
    let cookie = format!("bw_national={}; Path=/national; HttpOnly; SameSite=Strict", f.token.trim());
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_read_for_its_units_with_rows_numbered_as_the_province_numbers_them() {
        let nd = "{\"unit_code\":\"320000001\",\"voucher_no\":\"A\"}\n\n{\"AGENCY_CODE\":\"330000001\"}\n";
        let r = read_batch(false, nd.as_bytes()).unwrap();
        assert_eq!(r.units(), vec![(1, "320000001"), (3, "330000001")]);
        assert_eq!(String::from_utf8(r.part(&[1])).unwrap(), "{\"AGENCY_CODE\":\"330000001\"}\n");
        let csv = "凭证号,单位编码,摘要\nA,320000001,\"办公, 用品\"\n\nB,330000001,印刷\n";
        let r = read_batch(true, csv.as_bytes()).unwrap();
        // A blank line is no CSV record: the province does not count it either.
        assert_eq!(r.units(), vec![(1, "320000001"), (2, "330000001")]);
        assert_eq!(String::from_utf8(r.part(&[0])).unwrap(), "凭证号,单位编码,摘要\nA,320000001,\"办公, 用品\"\n");
        let e = read_batch(true, "凭证号,摘要\nA,x\n".as_bytes()).err().unwrap();
        assert!(e.contains("unit_code"), "{e}");
        let e = read_batch(false, "{\"voucher_no\":\"A\"}\n".as_bytes()).err().unwrap();
        assert_eq!(e, "row 1: unit_code is required");
    }

    #[test]
    fn an_individual_payee_is_masked_and_a_company_is_not() {
        assert_eq!(payee_shown("何勇", "individual"), "何**");
        assert_eq!(payee_shown("长新元盛电力有限公司", "company"), "长新元盛电力有限公司");
    }

    #[test]
    fn an_execution_rate_over_nothing_is_a_dash() {
        assert_eq!(rate(5, 0), "—");
        assert_eq!(rate(1, 4), "25.0%");
    }
}
