//! Budget preparation and approval under `/api/v1` (docs/BUDGET.md): the year's cycle,
//! control totals, drafts and their versions, submission, and signed decisions on approval
//! steps, each checked against the caller's grants.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bw_app::budget;
use bw_app::journal::ActionError;
use bw_core::access::{Permission, Refusal, Scope};
use bw_core::budget::{Decision, DraftLine, Mode, Stage};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{App, Caller, Problem, ProblemDoc, field_problem, off_thread, signed_in};

/// The budget endpoints, described for the API document.
pub fn documented() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(show_year, open_year))
        .routes(routes!(advance_year))
        .routes(routes!(set_control))
        .routes(routes!(list_versions, save_draft))
        .routes(routes!(diff_versions))
        .routes(routes!(submit_draft))
        .routes(routes!(one_item))
        .routes(routes!(decide_step))
        .routes(routes!(request_adjustment))
        .routes(routes!(closing_preview, close_year))
        .routes(routes!(show_workflows, set_workflows))
        .routes(routes!(performance_results))
        .routes(routes!(set_kpis))
        .routes(routes!(record_actual))
        .routes(routes!(record_evaluation))
        .routes(routes!(record_satisfaction))
        .routes(routes!(propose))
}

#[utoipa::path(get, path = "/api/v1/budget/workflows", tag = "budget", security((), ("token" = [])), responses((status = 200, description = "the approval routes in force: lean, standard, major, emergency, each a list of steps {id, zh, role, group, whole}", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "the caller reads no budgets", body = ProblemDoc)))]
async fn show_workflows(State(app): State<App>, caller: Caller) -> Result<Json<serde_json::Value>, Problem> {
    signed_in(&caller)?;
    let org = app.org().await?;
    caller.nodes(&org, Permission::ReadBudget, false)?;
    Ok(Json(json!(budget::workflows(&app.store).await.map_err(Problem::internal)?)))
}

#[utoipa::path(put, path = "/api/v1/budget/workflows", tag = "budget", request_body = Object, security((), ("token" = [])), responses((status = 200, description = "the routes replaced (items in review keep their steps)", body = Object), (status = 400, description = "a malformed body", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "needs change_settings on the whole organisation", body = ProblemDoc), (status = 409, description = "a route refused: no steps, a repeated id, group 0, a role that does not act on budgets", body = ProblemDoc)))]
async fn set_workflows(
    State(app): State<App>,
    caller: Caller,
    Json(b): Json<serde_json::Value>,
) -> Result<Json<serde_json::Value>, Problem> {
    on_everything(&caller, Permission::ChangeSettings)?;
    let w: bw_core::budget::Workflows = serde_json::from_value(b).map_err(|e| field_problem("body", &e.to_string()))?;
    let (store, c, x) = (app.store.clone(), caller.ctx(None)?, w.clone());
    off_thread(move |rt| rt.block_on(budget::set_workflows(&store, &c, &x))).await?.map_err(refused)?;
    Ok(Json(json!(w)))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
struct ClosingQuery {
    /// `json` (the default), `xlsx` or `pdf`.
    format: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/budget/{year}/closing", tag = "budget", params(("year" = i32, Path, description = "fiscal year"), ClosingQuery), security((), ("token" = [])), responses((status = 200, description = "the closing report as it stands, or as the year was closed (each indicator's balance and decision, totals); as a file with format=xlsx or pdf", body = Object), (status = 400, description = "an unknown format", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "needs read_budget on the whole organisation", body = ProblemDoc), (status = 503, description = "no font with Chinese glyphs on the server (PDF)", body = ProblemDoc)))]
async fn closing_preview(
    State(app): State<App>,
    caller: Caller,
    Path(year): Path<i32>,
    Query(q): Query<ClosingQuery>,
) -> Result<Response, Problem> {
    crate::api::fiscal_year(year)?;
    on_everything(&caller, Permission::ReadBudget)?;
    let format = q.format.unwrap_or_else(|| "json".into());
    if !matches!(format.as_str(), "json" | "xlsx" | "pdf") {
        return Err(field_problem("format", "json, xlsx or pdf"));
    }
    // Once closed, the report the year was closed with; before, the report as it stands.
    let (r, preview) = match budget::closed_report(&app.store, year).await.map_err(Problem::internal)? {
        Some(r) => (r, false),
        None => (budget::closing_report(&app.store, year).await.map_err(refused)?, true),
    };
    let bytes = match format.as_str() {
        "xlsx" => bw_app::report::closing_xlsx(&r, preview).map_err(Problem::internal)?,
        "pdf" => {
            let (font, index) = crate::figures_api::report_font()?;
            let footer = format!(
                "budgetwatch · 生成于 {} · {}",
                crate::clock::local_time(crate::clock::now()),
                caller.access.user
            );
            bw_app::report::closing_pdf(&r, preview, &font, index, &footer).map_err(Problem::internal)?
        }
        _ => return Ok(Json(json!(r)).into_response()),
    };
    crate::figures_api::report_file(bytes, format == "pdf", &format!("closing-{year}"))
}

#[utoipa::path(post, path = "/api/v1/budget/{year}/closing", tag = "budget", params(("year" = i32, Path, description = "fiscal year")), security((), ("token" = [])), responses((status = 201, description = "closed: balances carried over as next year's indicators or recovered; the report", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "needs approve_budget on the whole organisation", body = ProblemDoc), (status = 409, description = "not at year_end_review, or closed already", body = ProblemDoc)))]
async fn close_year(State(app): State<App>, caller: Caller, Path(year): Path<i32>) -> Result<Response, Problem> {
    crate::api::fiscal_year(year)?;
    on_everything(&caller, Permission::ApproveBudget)?;
    let (store, c) = (app.store.clone(), caller.ctx(None)?);
    let r = off_thread(move |rt| rt.block_on(budget::close_year(&store, &c, year))).await?.map_err(refused)?;
    Ok((StatusCode::CREATED, Json(json!(r))).into_response())
}

#[utoipa::path(get, path = "/api/v1/performance/{year}", tag = "performance", params(("year" = i32, Path, description = "fiscal year")), security((), ("token" = [])), responses((status = 200, description = "the projects the caller may read with their scores, grades and distortion flags; every department's result and rung", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "the caller reads no budgets", body = ProblemDoc)))]
async fn performance_results(
    State(app): State<App>,
    caller: Caller,
    Path(year): Path<i32>,
) -> Result<Json<serde_json::Value>, Problem> {
    crate::api::fiscal_year(year)?;
    signed_in(&caller)?;
    let org = app.org().await?;
    caller.nodes(&org, Permission::ReadBudget, false)?;
    let mut r = bw_app::performance::results(&app.store, year).await.map_err(refused)?;
    // Classified projects (涉密) only for callers of the classified data class there.
    let classified = bw_app::classified::projects(&app.store).await.map_err(Problem::internal)?;
    r.projects.retain(|p| {
        caller.check(&org, Permission::ReadBudget, &p.unit_code).is_ok()
            && !crate::api::hidden(&caller, &org, &classified, &p.unit_code, &p.project_code)
    });
    Ok(Json(json!(r)))
}

pub(crate) async fn project_unit(app: &App, caller: &Caller, project: &str, p: Permission) -> Result<(), Problem> {
    signed_in(caller)?;
    let hidden = || Problem::from(Refusal::OutOfScope(p, format!("project {project}")));
    let row = bw_store::sqlx::query("SELECT unit_code FROM projects WHERE project_code = $1")
        .bind(project.to_string())
        .fetch_optional(app.store.pool())
        .await
        .map_err(Problem::internal)?
        .ok_or_else(hidden)?;
    use bw_store::sqlx::Row as _;
    let unit: String = row.try_get(0).map_err(Problem::internal)?;
    let org = app.org().await?;
    caller.check(&org, p, &unit).map_err(|_| hidden())
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
struct KpisBody {
    /// `{code, name, category, direction (at_least|at_most), target, weight}` each; targets
    /// as numbers in thousandths are not expected: give them as strings ("12.5").
    #[schema(value_type = Vec<Object>)]
    kpis: Vec<KpiIn>,
}

#[derive(serde::Deserialize)]
struct KpiIn {
    code: String,
    name: String,
    category: String,
    direction: String,
    target: String,
    weight: u32,
}

#[utoipa::path(put, path = "/api/v1/performance/{year}/projects/{project}/kpis", tag = "performance", params(("year" = i32, Path, description = "fiscal year"), ("project" = String, Path, description = "project code")), request_body = KpisBody, security((), ("token" = [])), responses((status = 200, description = "the KPIs are set", body = Object), (status = 400, description = "a malformed body", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "needs prepare_budget on the project's unit", body = ProblemDoc), (status = 409, description = "weights not adding up to 100, or no output and outcome KPIs", body = ProblemDoc)))]
async fn set_kpis(
    State(app): State<App>,
    caller: Caller,
    Path((year, project)): Path<(i32, String)>,
    Json(b): Json<KpisBody>,
) -> Result<Json<serde_json::Value>, Problem> {
    crate::api::fiscal_year(year)?;
    use bw_core::performance::{Category, Direction, Kpi, Milli};
    project_unit(&app, &caller, &project, Permission::PrepareBudget).await?;
    let mut kpis = Vec::new();
    for (i, k) in b.kpis.into_iter().enumerate() {
        let at = |f: &str, e: String| field_problem(&format!("kpis[{i}].{f}"), &e);
        let direction = match k.direction.as_str() {
            "at_least" => Direction::AtLeast,
            "at_most" => Direction::AtMost,
            _ => return Err(at("direction", "at_least or at_most".into())),
        };
        kpis.push(Kpi {
            code: k.code,
            name: k.name,
            category: Category::parse(&k.category).map_err(|e| at("category", e))?,
            direction,
            target: Milli::parse(&k.target).map_err(|e| at("target", e))?,
            weight: k.weight,
            actual: None,
        });
    }
    let (store, c, p) = (app.store.clone(), caller.ctx(None)?, project.clone());
    let n = kpis.len();
    off_thread(move |rt| rt.block_on(bw_app::performance::set_kpis(&store, &c, year, &p, &kpis)))
        .await?
        .map_err(refused)?;
    Ok(Json(json!({"year": year, "project_code": project, "kpis": n})))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
struct ValueBody {
    /// The value reached, as a decimal string ("8", "92.5").
    value: String,
}

#[utoipa::path(post, path = "/api/v1/performance/{year}/projects/{project}/kpis/{code}", tag = "performance", params(("year" = i32, Path, description = "fiscal year"), ("project" = String, Path, description = "project code"), ("code" = String, Path, description = "KPI code")), request_body = ValueBody, security((), ("token" = [])), responses((status = 200, description = "the value reached is recorded", body = Object), (status = 400, description = "a malformed body", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "needs prepare_budget on the project's unit", body = ProblemDoc), (status = 409, description = "no such KPI", body = ProblemDoc)))]
async fn record_actual(
    State(app): State<App>,
    caller: Caller,
    Path((year, project, code)): Path<(i32, String, String)>,
    Json(b): Json<ValueBody>,
) -> Result<Json<serde_json::Value>, Problem> {
    crate::api::fiscal_year(year)?;
    project_unit(&app, &caller, &project, Permission::PrepareBudget).await?;
    let v = bw_core::performance::Milli::parse(&b.value).map_err(|e| field_problem("value", &e))?;
    let (store, c, p, k) = (app.store.clone(), caller.ctx(None)?, project.clone(), code.clone());
    off_thread(move |rt| rt.block_on(bw_app::performance::record_actual(&store, &c, year, &p, &k, v)))
        .await?
        .map_err(refused)?;
    Ok(Json(json!({"year": year, "project_code": project, "code": code, "value": v.to_string()})))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
struct EvaluationBody {
    /// `self` (the unit's own) or `third_party`.
    by: String,
    /// 0 to 100, at most one decimal, as a string.
    score: String,
}

#[utoipa::path(post, path = "/api/v1/performance/{year}/projects/{project}/evaluations", tag = "performance", params(("year" = i32, Path, description = "fiscal year"), ("project" = String, Path, description = "project code")), request_body = EvaluationBody, security((), ("token" = [])), responses((status = 200, description = "recorded", body = Object), (status = 400, description = "a malformed body", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "self: prepare_budget on the unit; third_party: prepare_budget on the whole organisation", body = ProblemDoc)))]
async fn record_evaluation(
    State(app): State<App>,
    caller: Caller,
    Path((year, project)): Path<(i32, String)>,
    Json(b): Json<EvaluationBody>,
) -> Result<Json<serde_json::Value>, Problem> {
    crate::api::fiscal_year(year)?;
    let by = bw_app::performance::Evaluator::parse(&b.by).map_err(|e| field_problem("by", &e))?;
    // The unit evaluates itself; finance records an outside evaluator's result.
    match by {
        bw_app::performance::Evaluator::SelfEvaluation => {
            project_unit(&app, &caller, &project, Permission::PrepareBudget).await?
        }
        bw_app::performance::Evaluator::ThirdParty => on_everything(&caller, Permission::PrepareBudget)?,
    }
    let score = bw_core::performance::parse_points(&b.score).map_err(|e| field_problem("score", &e))?;
    let (store, c, p) = (app.store.clone(), caller.ctx(None)?, project.clone());
    off_thread(move |rt| rt.block_on(bw_app::performance::evaluate(&store, &c, year, &p, by, score)))
        .await?
        .map_err(refused)?;
    Ok(Json(json!({"year": year, "project_code": project, "by": by.as_str(), "score": b.score})))
}

#[utoipa::path(put, path = "/api/v1/performance/{year}/satisfaction/{department}", tag = "performance", params(("year" = i32, Path, description = "fiscal year"), ("department" = String, Path, description = "department code")), request_body = EvaluationBody, security((), ("token" = [])), responses((status = 200, description = "recorded (the body's `by` is ignored)", body = Object), (status = 400, description = "a malformed body", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "needs prepare_budget on the whole organisation", body = ProblemDoc), (status = 409, description = "not a department", body = ProblemDoc)))]
async fn record_satisfaction(
    State(app): State<App>,
    caller: Caller,
    Path((year, department)): Path<(i32, String)>,
    Json(b): Json<EvaluationBody>,
) -> Result<Json<serde_json::Value>, Problem> {
    crate::api::fiscal_year(year)?;
    on_everything(&caller, Permission::PrepareBudget)?;
    let score = bw_core::performance::parse_points(&b.score).map_err(|e| field_problem("score", &e))?;
    let (store, c, d) = (app.store.clone(), caller.ctx(None)?, department.clone());
    off_thread(move |rt| rt.block_on(bw_app::performance::record_satisfaction(&store, &c, year, &d, score)))
        .await?
        .map_err(refused)?;
    Ok(Json(json!({"year": year, "department_code": department, "score": b.score})))
}

#[utoipa::path(post, path = "/api/v1/performance/{year}/proposal", tag = "performance", params(("year" = i32, Path, description = "the evaluated year")), security((), ("token" = [])), responses((status = 201, description = "next year's proposal saved as draft versions of year + 1 (units and versions), and the interviews of the bottom departments' heads scheduled (department, due date)", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "needs prepare_budget on the whole organisation", body = ProblemDoc), (status = 409, description = "next year's cycle not open for drafts, or a line refused", body = ProblemDoc)))]
async fn propose(State(app): State<App>, caller: Caller, Path(year): Path<i32>) -> Result<Response, Problem> {
    crate::api::fiscal_year(year)?;
    on_everything(&caller, Permission::PrepareBudget)?;
    let (store, c) = (app.store.clone(), caller.ctx(None)?);
    let saved =
        off_thread(move |rt| rt.block_on(bw_app::performance::propose(&store, &c, year))).await?.map_err(refused)?;
    let items: Vec<_> = saved.iter().map(|(u, v)| json!({"unit_code": u, "version": v})).collect();
    let interviews = bw_app::performance::interviews(&app.store, year).await.map_err(Problem::internal)?;
    Ok((StatusCode::CREATED, Json(json!({"year": year + 1, "drafts": items, "interviews": interviews})))
        .into_response())
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
struct AdjustmentBody {
    indicator_code: String,
    /// The change in yuan (negative: a cut).
    delta: String,
    reason: String,
    /// The financial impact.
    impact: String,
    #[serde(default)]
    alternatives: String,
    #[serde(default)]
    strategic: bool,
    /// An emergency adjustment: the emergency case it answers; the money is drawn from the
    /// reserve fund.
    #[serde(default)]
    emergency: Option<i64>,
    /// The reserve fund indicator to draw on (an emergency adjustment; none: the year's only one).
    #[serde(default)]
    reserve: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/budget/{year}/adjustments", tag = "budget", params(("year" = i32, Path, description = "fiscal year")), request_body = AdjustmentBody, security((), ("token" = [])), responses((status = 201, description = "approved automatically by a routine rule (`state: approved`, the rule and the new amount) or in review along a route", body = Object), (status = 400, description = "a malformed body", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "needs prepare_budget on the indicator's unit", body = ProblemDoc), (status = 409, description = "refused: not in execution, no such indicator, below what is paid, another adjustment in review", body = ProblemDoc)))]
async fn request_adjustment(
    State(app): State<App>,
    caller: Caller,
    Path(year): Path<i32>,
    Json(b): Json<AdjustmentBody>,
) -> Result<Response, Problem> {
    crate::api::fiscal_year(year)?;
    signed_in(&caller)?;
    let delta = bw_core::Money::parse_yuan(&b.delta).map_err(|e| field_problem("delta", &e.to_string()))?;
    let org = app.org().await?;
    // Whether the indicator exists is told only to those who may prepare its unit's budget.
    let found = bw_app::drill::indicator(&app.store, &b.indicator_code, year, 12).await.map_err(Problem::internal)?;
    let Some((unit, _)) = found else {
        return Err(Refusal::OutOfScope(Permission::PrepareBudget, b.indicator_code).into());
    };
    caller.check(&org, Permission::PrepareBudget, &unit)?;
    // Drawing on the reserve fund needs the right to prepare its unit's budget too.
    let reserve = match b.emergency {
        Some(_) => {
            let code = budget::reserve_fund(&app.store, year, b.reserve.as_deref()).await.map_err(refused)?;
            let found = bw_app::drill::indicator(&app.store, &code, year, 12).await.map_err(Problem::internal)?;
            if let Some((unit, _)) = found {
                caller.check(&org, Permission::PrepareBudget, &unit)?;
            }
            Some(code)
        }
        None => b.reserve,
    };
    let r = budget::AdjustmentRequest {
        year,
        indicator_code: b.indicator_code,
        delta,
        reason: b.reason,
        impact: b.impact,
        alternatives: b.alternatives,
        strategic: b.strategic,
        emergency: b.emergency,
        reserve,
    };
    let (store, c) = (app.store.clone(), caller.ctx(None)?);
    let done = off_thread(move |rt| rt.block_on(budget::request_adjustment(&store, &c, &r))).await?.map_err(refused)?;
    let body = match done {
        budget::Adjusted::Automatic { id, rule, amount } => {
            json!({"id": id, "state": "approved", "rule": rule, "amount": amount})
        }
        budget::Adjusted::InReview { id, route } => json!({"id": id, "state": "in_review", "route": route}),
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

pub(crate) fn refused(e: ActionError) -> Problem {
    match e {
        ActionError::Invalid(m) if m.starts_with("segregation of duties") || m.contains("needs the role") => {
            Problem::new(StatusCode::FORBIDDEN, "forbidden", m)
        }
        ActionError::Invalid(m) => Problem::new(StatusCode::CONFLICT, "conflict", m),
        e => Problem::internal(e),
    }
}

/// `p` on the whole organisation (the finance bureau's own acts on a year).
pub(crate) fn on_everything(caller: &Caller, p: Permission) -> Result<(), Problem> {
    signed_in(caller)?;
    if caller.access.scopes(p).contains(&Scope::All) {
        Ok(())
    } else {
        Err(Refusal::OutOfScope(p, "the whole organisation".into()).into())
    }
}

#[utoipa::path(get, path = "/api/v1/budget/{year}", tag = "budget", params(("year" = i32, Path, description = "fiscal year")), security((), ("token" = [])), responses((status = 200, description = "the cycle and the approval items the caller may read", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "the caller reads no budgets", body = ProblemDoc)))]
async fn show_year(
    State(app): State<App>,
    caller: Caller,
    Path(year): Path<i32>,
) -> Result<Json<serde_json::Value>, Problem> {
    crate::api::fiscal_year(year)?;
    signed_in(&caller)?;
    let org = app.org().await?;
    caller.nodes(&org, Permission::ReadBudget, false)?;
    let cycle = budget::cycle(&app.store, year).await.map_err(Problem::internal)?;
    let items: Vec<budget::Item> = budget::items(&app.store, Some(year))
        .await
        .map_err(Problem::internal)?
        .into_iter()
        .filter(|i| caller.check(&org, Permission::ReadBudget, &i.unit_code).is_ok())
        .collect();
    Ok(Json(json!({"cycle": cycle, "items": items})))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
struct OpenBody {
    /// `bottom_up` or `top_down`.
    mode: String,
}

#[utoipa::path(post, path = "/api/v1/budget/{year}", tag = "budget", params(("year" = i32, Path, description = "fiscal year")), request_body = OpenBody, security((), ("token" = [])), responses((status = 201, description = "the cycle is open at research and targets", body = Object), (status = 400, description = "a malformed body", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "needs prepare_budget on the whole organisation", body = ProblemDoc), (status = 409, description = "already open", body = ProblemDoc)))]
async fn open_year(
    State(app): State<App>,
    caller: Caller,
    Path(year): Path<i32>,
    Json(b): Json<OpenBody>,
) -> Result<Response, Problem> {
    crate::api::fiscal_year(year)?;
    on_everything(&caller, Permission::PrepareBudget)?;
    let mode = Mode::parse(&b.mode).map_err(|e| field_problem("mode", &e))?;
    let (store, c) = (app.store.clone(), caller.ctx(None)?);
    off_thread(move |rt| rt.block_on(budget::open_cycle(&store, &c, year, mode))).await?.map_err(refused)?;
    Ok((StatusCode::CREATED, Json(json!({"year": year, "mode": mode.as_str(), "stage": "research"}))).into_response())
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
struct AdvanceBody {
    /// The next stage.
    to: String,
}

#[utoipa::path(post, path = "/api/v1/budget/{year}/advance", tag = "budget", params(("year" = i32, Path, description = "fiscal year")), request_body = AdvanceBody, security((), ("token" = [])), responses((status = 200, description = "the cycle is at the next stage (entering execution: the approved drafts imported as indicators)", body = Object), (status = 400, description = "a malformed body", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "needs approve_budget on the whole organisation", body = ProblemDoc), (status = 409, description = "not the next stage, or drafts still in review", body = ProblemDoc)))]
async fn advance_year(
    State(app): State<App>,
    caller: Caller,
    Path(year): Path<i32>,
    Json(b): Json<AdvanceBody>,
) -> Result<Json<serde_json::Value>, Problem> {
    crate::api::fiscal_year(year)?;
    on_everything(&caller, Permission::ApproveBudget)?;
    let to = Stage::parse(&b.to).map_err(|e| field_problem("to", &e))?;
    let (store, c) = (app.store.clone(), caller.ctx(None)?);
    let a = off_thread(move |rt| rt.block_on(budget::advance(&store, &c, year, to))).await?.map_err(refused)?;
    Ok(Json(json!({"year": year, "stage": a.stage.as_str(), "indicators": a.indicators})))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
struct ControlBody {
    /// Yuan.
    amount: String,
}

#[utoipa::path(put, path = "/api/v1/budget/{year}/controls/{department}", tag = "budget", params(("year" = i32, Path, description = "fiscal year"), ("department" = String, Path, description = "department code")), request_body = ControlBody, security((), ("token" = [])), responses((status = 200, description = "the control total is set", body = Object), (status = 400, description = "a malformed body", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "needs prepare_budget on the whole organisation", body = ProblemDoc), (status = 409, description = "not a top-down year at research or preparation, or not a department", body = ProblemDoc)))]
async fn set_control(
    State(app): State<App>,
    caller: Caller,
    Path((year, department)): Path<(i32, String)>,
    Json(b): Json<ControlBody>,
) -> Result<Json<serde_json::Value>, Problem> {
    crate::api::fiscal_year(year)?;
    on_everything(&caller, Permission::PrepareBudget)?;
    let amount = bw_core::Money::parse_yuan(&b.amount).map_err(|e| field_problem("amount", &e.to_string()))?;
    let (store, c, d) = (app.store.clone(), caller.ctx(None)?, department.clone());
    off_thread(move |rt| rt.block_on(budget::set_control(&store, &c, year, &d, amount))).await?.map_err(refused)?;
    Ok(Json(json!({"year": year, "department_code": department, "amount": amount})))
}

#[utoipa::path(get, path = "/api/v1/budget/{year}/drafts/{unit}", tag = "budget", params(("year" = i32, Path, description = "fiscal year"), ("unit" = String, Path, description = "unit code")), security((), ("token" = [])), responses((status = 200, description = "every version of the unit's draft", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions or scope", body = ProblemDoc)))]
async fn list_versions(
    State(app): State<App>,
    caller: Caller,
    Path((year, unit)): Path<(i32, String)>,
) -> Result<Json<serde_json::Value>, Problem> {
    crate::api::fiscal_year(year)?;
    signed_in(&caller)?;
    let org = app.org().await?;
    caller.check(&org, Permission::ReadBudget, &unit)?;
    let items = budget::versions(&app.store, year, &unit).await.map_err(Problem::internal)?;
    Ok(Json(json!({"items": items})))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
struct DraftBody {
    /// `{indicator_code, project_code?, functional_code, economic_code, amount}` each.
    #[schema(value_type = Vec<Object>)]
    lines: Vec<DraftLine>,
    #[serde(default)]
    note: String,
}

#[utoipa::path(post, path = "/api/v1/budget/{year}/drafts/{unit}", tag = "budget", params(("year" = i32, Path, description = "fiscal year"), ("unit" = String, Path, description = "unit code")), request_body = DraftBody, security((), ("token" = [])), responses((status = 201, description = "saved as a new version", body = Object), (status = 400, description = "a malformed body", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "needs prepare_budget on the unit", body = ProblemDoc), (status = 409, description = "refused: drafts closed, a line not sound, a project that may receive no money, a draft in review, a control total exceeded", body = ProblemDoc)))]
async fn save_draft(
    State(app): State<App>,
    caller: Caller,
    Path((year, unit)): Path<(i32, String)>,
    Json(b): Json<DraftBody>,
) -> Result<Response, Problem> {
    crate::api::fiscal_year(year)?;
    signed_in(&caller)?;
    let org = app.org().await?;
    caller.check(&org, Permission::PrepareBudget, &unit)?;
    let (store, c, u) = (app.store.clone(), caller.ctx(None)?, unit.clone());
    let version = off_thread(move |rt| rt.block_on(budget::save_draft(&store, &c, year, &u, &b.lines, &b.note)))
        .await?
        .map_err(refused)?;
    Ok((StatusCode::CREATED, Json(json!({"year": year, "unit_code": unit, "version": version}))).into_response())
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DiffQuery {
    from: i64,
    to: i64,
}

#[utoipa::path(get, path = "/api/v1/budget/{year}/drafts/{unit}/diff", tag = "budget", params(("year" = i32, Path, description = "fiscal year"), ("unit" = String, Path, description = "unit code"), DiffQuery), security((), ("token" = [])), responses((status = 200, description = "what changed, line by line, with who saved the later version and why", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions or scope", body = ProblemDoc), (status = 409, description = "no such version", body = ProblemDoc)))]
async fn diff_versions(
    State(app): State<App>,
    caller: Caller,
    Path((year, unit)): Path<(i32, String)>,
    Query(q): Query<DiffQuery>,
) -> Result<Json<serde_json::Value>, Problem> {
    crate::api::fiscal_year(year)?;
    signed_in(&caller)?;
    let org = app.org().await?;
    caller.check(&org, Permission::ReadBudget, &unit)?;
    let (changes, v) = budget::compare(&app.store, year, &unit, q.from, q.to).await.map_err(refused)?;
    Ok(Json(json!({"from": q.from, "to": q.to, "author": v.author, "note": v.note, "changes": changes})))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
struct SubmitBody {
    /// A strategic change: the major route.
    #[serde(default)]
    strategic: bool,
}

#[utoipa::path(post, path = "/api/v1/budget/{year}/drafts/{unit}/submit", tag = "budget", params(("year" = i32, Path, description = "fiscal year"), ("unit" = String, Path, description = "unit code")), request_body = SubmitBody, security((), ("token" = [])), responses((status = 201, description = "the latest version is in review: the item with its route and steps", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "needs prepare_budget on the unit", body = ProblemDoc), (status = 409, description = "no draft, drafts closed, or already in review", body = ProblemDoc)))]
async fn submit_draft(
    State(app): State<App>,
    caller: Caller,
    Path((year, unit)): Path<(i32, String)>,
    Json(b): Json<SubmitBody>,
) -> Result<Response, Problem> {
    crate::api::fiscal_year(year)?;
    signed_in(&caller)?;
    let org = app.org().await?;
    caller.check(&org, Permission::PrepareBudget, &unit)?;
    let (store, c, u) = (app.store.clone(), caller.ctx(None)?, unit.clone());
    let id =
        off_thread(move |rt| rt.block_on(budget::submit(&store, &c, year, &u, b.strategic))).await?.map_err(refused)?;
    let item = budget::item(&app.store, id).await.map_err(Problem::internal)?;
    Ok((StatusCode::CREATED, Json(json!(item))).into_response())
}

/// Item `id` when the caller may read its unit; 403 otherwise or when there is none.
pub(crate) async fn readable_item(app: &App, caller: &Caller, id: i64) -> Result<budget::Item, Problem> {
    signed_in(caller)?;
    let hidden = || Problem::from(Refusal::OutOfScope(Permission::ReadBudget, format!("approval item {id}")));
    let item = budget::item(&app.store, id).await.map_err(Problem::internal)?.ok_or_else(hidden)?;
    let org = app.org().await?;
    caller.check(&org, Permission::ReadBudget, &item.unit_code).map_err(|_| hidden())?;
    Ok(item)
}

#[utoipa::path(get, path = "/api/v1/approvals/{id}", tag = "budget", params(("id" = i64, Path, description = "approval item id")), security((), ("token" = [])), responses((status = 200, description = "the item with its route, steps, who decided and what is due; an adjustment's report form under `adjustment` (null for a draft)", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's scope (or no such item)", body = ProblemDoc)))]
async fn one_item(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, Problem> {
    let item = readable_item(&app, &caller, id).await?;
    let mut body = json!(item);
    if let Some(d) = body.as_object_mut() {
        let adjustment = budget::adjustment(&app.store, id).await.map_err(Problem::internal)?;
        d.insert("adjustment".into(), json!(adjustment));
    }
    Ok(Json(body))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
struct DecisionBody {
    step: String,
    /// `approve` or `reject`.
    decision: String,
    #[serde(default)]
    comment: String,
    /// The approver's password, which unseals their own signing key: the decision is signed
    /// with it.
    password: String,
}

#[utoipa::path(post, path = "/api/v1/approvals/{id}/decisions", tag = "budget", params(("id" = i64, Path, description = "approval item id")), request_body = DecisionBody, security((), ("token" = [])), responses((status = 200, description = "decided and signed: the item's state", body = Object), (status = 400, description = "a malformed body", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "not the step's role, the preparer, or one who already acted", body = ProblemDoc), (status = 409, description = "the step is not open, or the item is decided; a wrong password", body = ProblemDoc)))]
async fn decide_step(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(b): Json<DecisionBody>,
) -> Result<Json<serde_json::Value>, Problem> {
    let ruling = (b.step.as_str(), b.decision.as_str(), b.comment.as_str());
    let (outcome, item) = decide_as(&app, &caller, id, ruling, b.password).await?;
    Ok(Json(json!({"outcome": format!("{outcome:?}").to_lowercase(), "item": item})))
}

/// The caller decides `(step, decision, comment)` on item `id`, signing with the key their
/// password unseals (the API and the approval page alike). The outcome and the item after.
pub(crate) async fn decide_as(
    app: &App,
    caller: &Caller,
    id: i64,
    (step, decision, comment): (&str, &str, &str),
    password: String,
) -> Result<(bw_core::budget::Outcome, Option<budget::Item>), Problem> {
    let item = readable_item(app, caller, id).await?;
    let decision = Decision::parse(decision).map_err(|e| field_problem("decision", &e))?;
    let org = app.org().await?;
    let path: Vec<String> = org.ancestors(&item.unit_code).iter().map(|n| n.code.clone()).collect();
    let c = caller.ctx(None)?;
    let (store, access, user) = (app.store.clone(), caller.access.clone(), caller.access.user.clone());
    let (step, comment) = (step.to_string(), comment.to_string());
    let outcome = off_thread(move |rt| {
        rt.block_on(async {
            let refs: Vec<&str> = path.iter().map(String::as_str).collect();
            let (roles, whole) = budget::roles_at(&access, &refs);
            let actor = bw_core::budget::Actor { user: &c.actor, roles: &roles, whole: &whole };
            let ruling = budget::Ruling { id, step: &step, decision, comment: &comment };
            let key = budget::Key::Password { user: &user, password: &password };
            budget::decide(&store, &c, key, &actor, ruling).await
        })
    })
    .await?
    .map_err(refused)?;
    let item = budget::item(&app.store, id).await.map_err(Problem::internal)?;
    Ok((outcome, item))
}
