//! The budget's figures under `/api/v1`: regions, any node of the organisation with its
//! children (the cockpit's drill-down), and indicators with their execution, each limited to
//! what the caller may read.

use axum::Json;
use axum::extract::{Path, Query, State};
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
        let t = crate::server::today();
        let year = self.year.unwrap_or(t.year());
        if !(1900..=9999).contains(&year) {
            return Err(crate::api::field_problem("year", "a year from 1900 to 9999"));
        }
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
    Ok(Json(json!({
        "period": period(year, month),
        "node": level.node,
        "path": path,
        "children": level.children,
        "indicators": level.indicators,
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
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|i| i.code.clone())
    } else {
        None
    };
    Ok(Json(json!({"period": period(year, month), "items": items, "next": next})))
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
    Ok(Json(json!({"period": period(year, month), "indicator": i})))
}
