//! The budget's figures under `/api/v1`: regions, any node of the organisation with its
//! children (the cockpit's drill-down), and indicators with their execution, each limited to
//! what the caller may read.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bw_app::drill;
use bw_core::access::{Permission, Refusal};
use bw_core::org::OrgKind;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{App, Caller, Problem, ProblemDoc};

/// The figures' endpoints, described for the API document.
pub fn documented() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(regions))
        .routes(routes!(org_node))
        .routes(routes!(list_indicators))
        .routes(routes!(one_indicator))
        .routes(routes!(execution_report))
}

/// The year (default: today's) and the month whose end the figures are taken at (default:
/// the year's last month not after today).
#[derive(serde::Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct When {
    year: Option<i32>,
    month: Option<u32>,
}

impl When {
    fn resolve(&self) -> Result<(i32, u32), Problem> {
        let t = crate::clock::today();
        let year = self.year.unwrap_or(t.year());
        crate::api::fiscal_year(year)?;
        let month = match self.month {
            Some(m) if (1..=12).contains(&m) => m,
            Some(_) => return Err(crate::api::field_problem("month", "1 to 12")),
            None if year < t.year() => 12,
            None => t.month(),
        };
        Ok((year, month))
    }
}

fn period(year: i32, month: u32) -> serde_json::Value {
    json!({"year": year, "month": month})
}

#[utoipa::path(get, path = "/api/v1/regions", tag = "organisation", params(When), security((), ("token" = [])), responses((status = 200, description = "the regions the caller may read, with budget, paid and execution rate", body = Object), (status = 400, description = "a malformed parameter", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "the caller reads no budgets", body = ProblemDoc)))]
async fn regions(
    State(app): State<App>,
    caller: Caller,
    Query(w): Query<When>,
) -> Result<Json<serde_json::Value>, Problem> {
    crate::api::signed_in(&caller)?;
    let (year, month) = w.resolve()?;
    let org = app.org().await?;
    let reach = caller.nodes(&org, Permission::ReadBudget, false)?;
    let all = drill::nodes(&app.store, &org, Some(OrgKind::Region), year, month).await.map_err(Problem::internal)?;
    let items: Vec<_> =
        all.into_iter().filter(|f| reach.as_ref().is_none_or(|r| r.binary_search(&f.code).is_ok())).collect();
    Ok(Json(json!({"period": period(year, month), "items": items})))
}

#[utoipa::path(get, path = "/api/v1/org/{code}", tag = "organisation", params(("code" = String, Path, description = "a region, department or unit"), When), security((), ("token" = [])), responses((status = 200, description = "the node's figures, its path from the root, its children's figures and (a unit) its indicators", body = Object), (status = 400, description = "a malformed parameter", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions or scope (or no such node)", body = ProblemDoc)))]
async fn org_node(
    State(app): State<App>,
    caller: Caller,
    Path(code): Path<String>,
    Query(w): Query<When>,
) -> Result<Json<serde_json::Value>, Problem> {
    crate::api::signed_in(&caller)?;
    let (year, month) = w.resolve()?;
    let org = app.org().await?;
    caller.check(&org, Permission::ReadBudget, &code)?;
    let level = drill::level(&app.store, &org, &code, year, month).await.map_err(Problem::internal)?;
    let level = level.ok_or_else(|| Problem::from(Refusal::OutOfScope(Permission::ReadBudget, code.clone())))?;
    let path: Vec<_> = level.path.iter().map(|(c, n)| json!({"code": c, "name": n})).collect();
    let cls = crate::api::classified(&app).await?;
    let indicators: Vec<_> =
        level.indicators.iter().filter(|i| !crate::api::hidden(&caller, &org, &cls, &i.unit_code, &i.code)).collect();
    Ok(Json(json!({
        "period": period(year, month),
        "node": level.node,
        "path": path,
        "children": level.children,
        "indicators": indicators,
    })))
}

#[derive(serde::Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct IndicatorQuery {
    year: Option<i32>,
    month: Option<u32>,
    /// Only this unit's indicators.
    unit: Option<String>,
    /// The last indicator code of the previous page.
    after: Option<String>,
    /// At most this many (1 to 1000, default 100).
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/indicators", tag = "organisation", params(IndicatorQuery), security((), ("token" = [])), responses((status = 200, description = "a page of indicators with their execution; pass `next` as `after` for the next", body = Object), (status = 400, description = "a malformed parameter", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions or scope", body = ProblemDoc)))]
async fn list_indicators(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<IndicatorQuery>,
) -> Result<Json<serde_json::Value>, Problem> {
    crate::api::signed_in(&caller)?;
    let (year, month) = When { year: q.year, month: q.month }.resolve()?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(crate::api::field_problem("limit", "1 to 1000"));
    }
    let org = app.org().await?;
    let units = match q.unit.as_deref().filter(|u| !u.is_empty()) {
        Some(u) => {
            caller.check(&org, Permission::ReadBudget, u)?;
            Some(vec![u.to_string()])
        }
        None => caller.nodes(&org, Permission::ReadBudget, true)?,
    };
    let after = q.after.as_deref().filter(|a| !a.is_empty());
    let mut items = drill::indicator_page(&app.store, units.as_deref(), year, month, after, Some(limit + 1))
        .await
        .map_err(Problem::internal)?;
    // A classified project's indicators are left out (the page may come out short; `next`
    // still leads on).
    let cursor = (items.len() > limit).then(|| items.get(limit - 1).map(|i| i.code.clone())).flatten();
    let cls = crate::api::classified(&app).await?;
    items.truncate(limit);
    items.retain(|i| !crate::api::hidden(&caller, &org, &cls, &i.unit_code, &i.code));
    Ok(Json(json!({"period": period(year, month), "items": items, "next": cursor})))
}

#[utoipa::path(get, path = "/api/v1/indicators/{code}", tag = "organisation", params(("code" = String, Path, description = "indicator code"), When), security((), ("token" = [])), responses((status = 200, description = "the indicator with its execution", body = Object), (status = 400, description = "a malformed parameter", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions or scope (or no such indicator that year)", body = ProblemDoc)))]
async fn one_indicator(
    State(app): State<App>,
    caller: Caller,
    Path(code): Path<String>,
    Query(w): Query<When>,
) -> Result<Json<serde_json::Value>, Problem> {
    crate::api::signed_in(&caller)?;
    let (year, month) = w.resolve()?;
    let org = app.org().await?;
    // Whether the indicator exists is told only to those who may read its unit.
    let found = drill::indicator(&app.store, &code, year, month).await.map_err(Problem::internal)?;
    let Some((unit, i)) = found else {
        return Err(Refusal::OutOfScope(Permission::ReadBudget, code).into());
    };
    caller.check(&org, Permission::ReadBudget, &unit)?;
    if crate::api::hidden(&caller, &org, &*crate::api::classified(&app).await?, &unit, &code) {
        return Err(Refusal::OutOfScope(Permission::ReadBudget, code).into());
    }
    Ok(Json(json!({"period": period(year, month), "indicator": i})))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ReportQuery {
    /// A month (2026-07) or a quarter (2026-Q3).
    period: String,
    /// The region reported on (default: the top region).
    region: Option<String>,
    /// `xlsx` (default) or `pdf`.
    format: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/reports/execution", tag = "organisation", params(ReportQuery), security((), ("token" = [])), responses((status = 200, description = "the execution report as XLSX or PDF (docs/REPORTS.md)", body = String, content_type = "application/pdf"), (status = 400, description = "a malformed parameter", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "needs read_budget and export on the region", body = ProblemDoc), (status = 503, description = "no font with Chinese glyphs on the server (PDF)", body = ProblemDoc)))]
async fn execution_report(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<ReportQuery>,
) -> Result<axum::response::Response, Problem> {
    crate::api::signed_in(&caller)?;
    let period = bw_core::report::Period::parse(&q.period).map_err(|e| crate::api::field_problem("period", &e))?;
    let pdf = match q.format.as_deref().unwrap_or("xlsx") {
        "xlsx" => false,
        "pdf" => true,
        _ => return Err(crate::api::field_problem("format", "xlsx or pdf")),
    };
    let org = app.org().await?;
    let region = q.region.clone().filter(|r| !r.is_empty());
    let report = bw_app::report::execution(&app.store, &period, region.as_deref()).await;
    let report = match report {
        Ok(r) => r,
        // Whether a code is a region is told only to those who may read it.
        Err(bw_app::journal::ActionError::Invalid(m)) => {
            if let Some(r) = &region {
                caller.check(&org, Permission::ReadBudget, r)?;
            }
            return Err(crate::api::field_problem("region", &m));
        }
        Err(e) => return Err(Problem::internal(e)),
    };
    for p in [Permission::ReadBudget, Permission::Export] {
        caller.check(&org, p, &report.region_code)?;
    }
    let bytes = if pdf {
        let (font, index) = report_font()?;
        let footer =
            format!("budgetwatch · 生成于 {} · {}", crate::clock::local_time(crate::clock::now()), caller.access.user);
        bw_app::report::execution_pdf(&report, &font, index, &footer).map_err(Problem::internal)?
    } else {
        bw_app::report::execution_xlsx(&report).map_err(Problem::internal)?
    };
    report_file(bytes, pdf, &format!("execution-{}-{}", report.region_code, period.label()))
}

/// The font a PDF report is set in; 503 when `BUDGETWATCH_FONT` names one that cannot be read.
pub(crate) fn report_font() -> Result<(std::borrow::Cow<'static, [u8]>, u32), Problem> {
    crate::fonts::cjk().map_err(|e| Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", format!("{e:#}")))
}

/// A report file as a download named `stem`.pdf or `stem`.xlsx.
pub(crate) fn report_file(bytes: Vec<u8>, pdf: bool, stem: &str) -> Result<Response, Problem> {
    let (media, ext) = if pdf {
        ("application/pdf", "pdf")
    } else {
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
    };
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    let name = format!("attachment; filename=\"{stem}.{ext}\"");
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&name).map_err(Problem::internal)?);
    Ok(r)
}
