//! The project library, the rolling plan and the published rankings under `/api/v1`
//! (docs/BUDGET.md, docs/PERFORMANCE.md): projects with their tier and maturity, tier moves
//! and expiry, the three-year plan, and the departments' ranking published on the portal.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bw_app::{library, performance};
use std::collections::HashSet;
use std::sync::Arc;

use bw_core::access::{Permission, Refusal};
use bw_core::records::ProjectStatus;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{App, Caller, Problem, ProblemDoc, field_problem, hidden, off_thread, signed_in};
use crate::budget_api::{on_everything, project_unit, refused};

/// The endpoints, described for the API document.
pub fn documented() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_projects))
        .routes(routes!(one_project))
        .routes(routes!(move_project))
        .routes(routes!(expire_projects))
        .routes(routes!(rolling_plan, make_rolling_plan))
        .routes(routes!(ranking, publish_ranking))
}

/// The classified projects (涉密; read again when the journal has grown).
async fn classified_projects(app: &App) -> Result<Arc<HashSet<String>>, Problem> {
    app.cached("classified_projects".into(), || async {
        bw_app::classified::projects(&app.store).await.map_err(Problem::internal)
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/projects", tag = "budget", security((), ("token" = [])), responses((status = 200, description = "the projects of units the caller may read: tier, years, total, expiry, maturity score", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "the caller reads no budgets", body = ProblemDoc)))]
async fn list_projects(State(app): State<App>, caller: Caller) -> Result<Json<serde_json::Value>, Problem> {
    signed_in(&caller)?;
    let org = app.org().await?;
    caller.nodes(&org, Permission::ReadBudget, false)?;
    let classified = classified_projects(&app).await?;
    let mut projects = library::list(&app.store).await.map_err(Problem::internal)?;
    projects.retain(|p| {
        caller.check(&org, Permission::ReadBudget, &p.unit_code).is_ok()
            && !hidden(&caller, &org, &classified, &p.unit_code, &p.project_code)
    });
    Ok(Json(json!({"projects": projects})))
}

#[utoipa::path(get, path = "/api/v1/projects/{code}", tag = "budget", params(("code" = String, Path, description = "project code")), security((), ("token" = [])), responses((status = 200, description = "the project with its tier and maturity, and its place in the rolling plans", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's scope (or no such project)", body = ProblemDoc)))]
async fn one_project(
    State(app): State<App>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<serde_json::Value>, Problem> {
    project_unit(&app, &caller, &code, Permission::ReadBudget).await?;
    let p = library::project(&app.store, &code).await.map_err(Problem::internal)?;
    let (classified, org) = (classified_projects(&app).await?, app.org().await?);
    let unit = p.as_ref().map(|p| p.unit_code.as_str()).unwrap_or("");
    if hidden(&caller, &org, &classified, unit, &code) {
        return Err(Refusal::OutOfScope(Permission::ReadBudget, format!("project {code}")).into());
    }
    let plans = library::plans_of(&app.store, &code).await.map_err(Problem::internal)?;
    Ok(Json(json!({"project": p, "rolling": plans})))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
struct MoveBody {
    /// `reserve`, `approved`, `executing`, `completed` or `retired`.
    to: String,
}

#[utoipa::path(post, path = "/api/v1/projects/{code}/status", tag = "budget", params(("code" = String, Path, description = "project code")), request_body = MoveBody, security((), ("token" = [])), responses((status = 200, description = "moved: the project as it now stands", body = Object), (status = 400, description = "a malformed body or an unknown tier", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "needs approve_budget on the project's unit", body = ProblemDoc), (status = 409, description = "a move the tiers do not allow (the allowed ones named)", body = ProblemDoc)))]
async fn move_project(
    State(app): State<App>,
    caller: Caller,
    Path(code): Path<String>,
    Json(b): Json<MoveBody>,
) -> Result<Json<serde_json::Value>, Problem> {
    project_unit(&app, &caller, &code, Permission::ApproveBudget).await?;
    let to = ProjectStatus::parse(&b.to).map_err(|e| field_problem("to", &e))?;
    let (store, c, p) = (app.store.clone(), caller.ctx(None)?, code.clone());
    off_thread(move |rt| rt.block_on(library::set_status(&store, &c, &p, to))).await?.map_err(refused)?;
    let p = library::project(&app.store, &code).await.map_err(Problem::internal)?;
    Ok(Json(json!({"project": p})))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
struct ExpireBody {
    /// The day to judge expiry on (YYYY-MM-DD); today when absent.
    #[serde(default)]
    as_of: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/projects/expire", tag = "budget", request_body = ExpireBody, security((), ("token" = [])), responses((status = 200, description = "the unused reserve projects past their expiry, now retired", body = Object), (status = 400, description = "a malformed date", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "needs approve_budget on the whole organisation", body = ProblemDoc)))]
async fn expire_projects(
    State(app): State<App>,
    caller: Caller,
    Json(b): Json<ExpireBody>,
) -> Result<Json<serde_json::Value>, Problem> {
    on_everything(&caller, Permission::ApproveBudget)?;
    let today = match b.as_of.as_deref() {
        Some(d) => bw_core::Date::parse(d).map_err(|e| field_problem("as_of", &e.to_string()))?,
        None => crate::clock::today(),
    };
    let (store, c) = (app.store.clone(), caller.ctx(None)?);
    let retired = off_thread(move |rt| rt.block_on(library::expire(&store, &c, today))).await?.map_err(refused)?;
    Ok(Json(json!({"as_of": today.to_string(), "retired": retired})))
}

#[utoipa::path(get, path = "/api/v1/performance/{year}/rolling", tag = "performance", params(("year" = i32, Path, description = "the plan year")), security((), ("token" = [])), responses((status = 200, description = "the three-year plan made in the year: each readable project's amounts for the year and the two after", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "the caller reads no budgets", body = ProblemDoc)))]
async fn rolling_plan(
    State(app): State<App>,
    caller: Caller,
    Path(year): Path<i32>,
) -> Result<Json<serde_json::Value>, Problem> {
    crate::api::fiscal_year(year)?;
    signed_in(&caller)?;
    let org = app.org().await?;
    caller.nodes(&org, Permission::ReadBudget, false)?;
    let units = library::units(&app.store).await.map_err(Problem::internal)?;
    let classified = classified_projects(&app).await?;
    let mut lines = performance::plans(&app.store, year).await.map_err(Problem::internal)?;
    lines.retain(|l| {
        let unit = units.get(&l.project_code).map(String::as_str).unwrap_or("");
        caller.check(&org, Permission::ReadBudget, unit).is_ok()
            && !hidden(&caller, &org, &classified, unit, &l.project_code)
    });
    Ok(Json(json!({"plan_year": year, "years": [year, year + 1, year + 2], "projects": lines})))
}

#[utoipa::path(post, path = "/api/v1/performance/{year}/rolling", tag = "performance", params(("year" = i32, Path, description = "the plan year")), security((), ("token" = [])), responses((status = 201, description = "the plan rolled forward from last year's with this year's grades", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "needs prepare_budget on the whole organisation", body = ProblemDoc), (status = 409, description = "the year's plan is already made", body = ProblemDoc)))]
async fn make_rolling_plan(State(app): State<App>, caller: Caller, Path(year): Path<i32>) -> Result<Response, Problem> {
    crate::api::fiscal_year(year)?;
    on_everything(&caller, Permission::PrepareBudget)?;
    let (store, c) = (app.store.clone(), caller.ctx(None)?);
    let lines = off_thread(move |rt| rt.block_on(performance::roll_plan(&store, &c, year))).await?.map_err(refused)?;
    let body = json!({"plan_year": year, "years": [year, year + 1, year + 2], "projects": lines});
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[utoipa::path(get, path = "/api/v1/performance/{year}/rankings", tag = "performance", params(("year" = i32, Path, description = "fiscal year")), responses((status = 200, description = "the departments' ranking as published (public, no log-in)", body = Object), (status = 404, description = "not published", body = ProblemDoc)))]
async fn ranking(State(app): State<App>, Path(year): Path<i32>) -> Result<Json<serde_json::Value>, Problem> {
    crate::api::fiscal_year(year)?;
    match performance::published(&app.store, year).await.map_err(Problem::internal)? {
        Some(r) => Ok(Json(json!(r))),
        None => Err(Problem::new(StatusCode::NOT_FOUND, "not_found", format!("no ranking of {year} is published"))),
    }
}

#[utoipa::path(post, path = "/api/v1/performance/{year}/rankings", tag = "performance", params(("year" = i32, Path, description = "fiscal year")), security((), ("token" = [])), responses((status = 201, description = "published on the portal (replacing an earlier publication of the year)", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "needs approve_budget on the whole organisation", body = ProblemDoc), (status = 409, description = "no department has a result", body = ProblemDoc)))]
async fn publish_ranking(State(app): State<App>, caller: Caller, Path(year): Path<i32>) -> Result<Response, Problem> {
    crate::api::fiscal_year(year)?;
    on_everything(&caller, Permission::ApproveBudget)?;
    let (store, c) = (app.store.clone(), caller.ctx(None)?);
    let r = off_thread(move |rt| rt.block_on(performance::publish(&store, &c, year))).await?.map_err(refused)?;
    Ok((StatusCode::CREATED, Json(json!(r))).into_response())
}
