//! The register and the simulations over the API. The risk register: `GET /api/v1/risks`,
//! `GET /api/v1/risks/{id}` and `POST /api/v1/risks/actions`, which takes one register
//! action (docs/RISK.md) as the command line and the pages take it, with the same
//! permission on the risk's scope. The Monte Carlo runs: `/api/v1/simulations`
//! (docs/FORECAST.md).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use bw_app::risk::TakeError;
use bw_core::risk::{Action, Register, Risk};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{App, Caller, Problem, ProblemDoc, signed_in};

pub fn documented() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(one)).routes(routes!(take))
}

async fn register(app: &App) -> Result<Register, Problem> {
    bw_app::risk::load(&app.store).await.map_err(Problem::internal)
}

/// A risk as the API shows it: the register's document, its next review and how many
/// working days that is overdue.
fn shown(reg: &Register, r: &Risk, cal: &bw_core::calendar::WorkCalendar) -> serde_json::Value {
    let mut v = serde_json::to_value(r).unwrap_or_default();
    v["review_due"] = reg.review_due(r, cal).to_string().into();
    v["overdue_workdays"] = reg.overdue_workdays(r, cal, crate::clock::today()).into();
    v
}

#[utoipa::path(get, path = "/api/v1/risks", tag = "risks", security((), ("token" = [])), responses((status = 200, description = "the risks the caller may read, highest level first, with the matrix and the key risk indicators' proposals", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions", body = ProblemDoc)))]
async fn list(State(app): State<App>, caller: Caller) -> Result<Json<serde_json::Value>, Problem> {
    signed_in(&caller)?;
    let read = bw_app::guard::RISK_READ;
    if !caller.access.has(read) {
        return Err(bw_core::access::Refusal::NoPermission(read).into());
    }
    let (reg, org) = (register(&app).await?, app.org().await?);
    let cal = bw_app::calendar::load(&app.store).await.map_err(Problem::internal)?;
    let mut risks: Vec<&Risk> =
        reg.risks.values().filter(|r| caller.reaches_scope(&org, &r.scope_kind, &r.scope_code, read)).collect();
    risks.sort_by(|a, b| b.level.cmp(&a.level).then(a.id.cmp(&b.id)));
    let items: Vec<serde_json::Value> = risks.into_iter().map(|r| shown(&reg, r, &cal)).collect();
    // The key risk indicators' proposals on the caller's scope, newest first.
    let proposals: Vec<&bw_core::risk::Proposal> = reg
        .proposals
        .values()
        .rev()
        .filter(|p| caller.reaches_scope(&org, &p.scope_kind, &p.scope_code, read))
        .collect();
    Ok(Json(json!({ "matrix": reg.matrix, "risks": items, "proposals": proposals })))
}

#[utoipa::path(get, path = "/api/v1/risks/{id}", tag = "risks", params(("id" = i64, Path, description = "risk id (the journal index of its addition)")), security((), ("token" = [])), responses((status = 200, description = "the risk with its history", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions or scope (or no such risk)", body = ProblemDoc)))]
async fn one(State(app): State<App>, caller: Caller, Path(id): Path<i64>) -> Result<Json<serde_json::Value>, Problem> {
    signed_in(&caller)?;
    let read = bw_app::guard::RISK_READ;
    let (reg, org) = (register(&app).await?, app.org().await?);
    let cal = bw_app::calendar::load(&app.store).await.map_err(Problem::internal)?;
    match reg.risks.get(&id).filter(|r| caller.reaches_scope(&org, &r.scope_kind, &r.scope_code, read)) {
        Some(r) => Ok(Json(shown(&reg, r, &cal))),
        None => Err(bw_core::access::Refusal::OutOfScope(read, format!("risk {id}")).into()),
    }
}

#[utoipa::path(post, path = "/api/v1/risks/actions", tag = "risks", request_body(content = Object, description = "one action: {\"op\": \"add\" | \"assess\" | \"treat\" | \"accept\" | \"review\" | \"materialise\" | \"matrix\" | \"adopt\" | \"reject\", …} as docs/RISK.md writes it, without `on` (today) and, for an acceptance, without `approver` (the caller)"), security((), ("token" = [])), responses((status = 200, description = "the action was journaled", body = Object), (status = 400, description = "a malformed action", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions or scope, or the owner accepting their own risk", body = ProblemDoc), (status = 422, description = "refused by the register's rules", body = ProblemDoc)))]
async fn take(
    State(app): State<App>,
    caller: Caller,
    Json(mut body): Json<serde_json::Value>,
) -> Result<Json<serde_json::Value>, Problem> {
    signed_in(&caller)?;
    let today = crate::clock::today();
    let Some(obj) = body.as_object_mut() else {
        return Err(crate::api::field_problem("op", "the body is an object naming its op"));
    };
    obj.insert("on".into(), today.to_string().into());
    if obj.get("op").and_then(|o| o.as_str()) == Some("accept") {
        obj.insert("approver".into(), caller.access.user.clone().into());
    }
    let action: Action = serde_json::from_value(body).map_err(|e| crate::api::field_problem("op", &e.to_string()))?;
    let p = bw_app::guard::risk_permission(Some(&action));
    let org = app.org().await?;
    let reg = register(&app).await?;
    let scope = match &action {
        Action::Add { scope_kind, scope_code, .. } => Some((scope_kind.clone(), scope_code.clone())),
        Action::Matrix { .. } => None,
        Action::Assess { id, .. }
        | Action::Treat { id, .. }
        | Action::Accept { id, .. }
        | Action::Review { id, .. }
        | Action::Materialise { id, .. } => match reg.risks.get(id) {
            Some(r) => Some((r.scope_kind.clone(), r.scope_code.clone())),
            None => return Err(bw_core::access::Refusal::OutOfScope(p, format!("risk {id}")).into()),
        },
        Action::Adopt { id, .. } | Action::Reject { id, .. } => match reg.proposals.get(id) {
            Some(r) => Some((r.scope_kind.clone(), r.scope_code.clone())),
            None => return Err(bw_core::access::Refusal::OutOfScope(p, format!("proposal {id}")).into()),
        },
        Action::Propose { .. } => {
            return Err(crate::api::field_problem(
                "op",
                "a proposal comes from the key risk indicators of a check; add the risk instead",
            ));
        }
    };
    let allowed = match &scope {
        Some((kind, code)) => caller.reaches_scope(&org, kind, code, p),
        None => caller.access.scopes(p).contains(&bw_core::access::Scope::All),
    };
    if !allowed {
        let what = scope.map(|(_, c)| c).unwrap_or_else(|| "the whole organisation".into());
        return Err(bw_core::access::Refusal::OutOfScope(p, what).into());
    }
    let ctx = caller.ctx(Some(action.kind().to_string()))?;
    let (store, op) = (app.store.clone(), action.kind());
    // The journal's write closure is not Send: the write runs on the writers' thread.
    let done = crate::api::off_thread(move |rt| rt.block_on(bw_app::risk::take(&store, &ctx, action))).await?;
    match done {
        Ok(idx) => Ok(Json(json!({ "idx": idx, "action": op }))),
        Err(TakeError::Refused(e)) => {
            let code = e.refusal();
            let status = StatusCode::from_u16(code.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let mut problem = Problem::new(status, "refused", e.to_string());
            problem.code = Some(code);
            problem.zh = Some(e.zh());
            problem.errors.push(json!({ "field": "risk", "code": e.code(), "message": e.to_string() }));
            Err(problem)
        }
        Err(TakeError::Action(e)) => Err(Problem::internal(e)),
    }
}

/// The Monte Carlo runs over the API: `GET /api/v1/simulations` (the latest runs),
/// `GET /api/v1/simulations/{id}` (one, run again from its scenario) and
/// `POST /api/v1/simulations` (a scenario as JSON, run and kept in the journal).
pub fn simulations() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(list_runs, post_run)).routes(routes!(one_run))
}

/// The most ratios a run on the server keeps (80 MB).
pub(crate) const MAX_CELLS: usize = 10_000_000;

fn may_simulate(caller: &Caller) -> Result<(), Problem> {
    signed_in(caller)?;
    let p = bw_core::access::Permission::ReadBudget;
    if !caller.access.has(p) {
        return Err(bw_core::access::Refusal::NoPermission(p).into());
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/v1/simulations", tag = "simulations", security((), ("token" = [])), responses((status = 200, description = "the latest 50 runs kept in the journal", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions", body = ProblemDoc)))]
async fn list_runs(State(app): State<App>, caller: Caller) -> Result<Json<serde_json::Value>, Problem> {
    may_simulate(&caller)?;
    let runs = bw_app::simulation::list(&app.store, 50).await.map_err(Problem::internal)?;
    Ok(Json(json!({ "runs": runs })))
}

#[utoipa::path(get, path = "/api/v1/simulations/{id}", tag = "simulations", params(("id" = i64, Path, description = "run id (the journal index of its entry)")), security((), ("token" = [])), responses((status = 200, description = "the run: its scenario, digests and result (run again from the scenario)", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions", body = ProblemDoc), (status = 404, description = "no such run", body = ProblemDoc)))]
async fn one_run(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, Problem> {
    may_simulate(&caller)?;
    let run = bw_app::simulation::get(&app.store, id)
        .await
        .map_err(Problem::internal)?
        .ok_or_else(|| Problem::not_found(format!("no simulation {id}")))?;
    let scenario = run.scenario.clone();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let out = tokio::task::spawn_blocking(move || bw_forecast::simulate::run(&scenario, threads))
        .await
        .map_err(Problem::internal)?
        .map_err(Problem::internal)?;
    Ok(Json(json!({ "run": run, "result": out })))
}

#[utoipa::path(post, path = "/api/v1/simulations", tag = "simulations", request_body(content = Object, description = "a scenario as docs/FORECAST.md writes it, in JSON (the TOML file's fields); `paths` at most 50,000"), security((), ("token" = [])), responses((status = 200, description = "the run, kept in the journal: its id, digests and result", body = Object), (status = 400, description = "a malformed scenario", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions", body = ProblemDoc)))]
async fn post_run(
    State(app): State<App>,
    caller: Caller,
    Json(body): Json<serde_json::Value>,
) -> Result<Json<serde_json::Value>, Problem> {
    may_simulate(&caller)?;
    let text = serde_json::to_vec(&body).map_err(Problem::internal)?;
    let scenario: bw_forecast::simulate::Scenario =
        serde_json::from_value(body).map_err(|e| crate::api::field_problem("scenario", &e.to_string()))?;
    if scenario.paths > 50_000 || scenario.cells() > MAX_CELLS {
        return Err(crate::api::field_problem(
            "paths",
            "at most 50,000, and paths × (regions + 1) × years at most 10,000,000",
        ));
    }
    scenario.check().map_err(|e| crate::api::field_problem("scenario", &e.to_string()))?;
    let ctx = caller.ctx(Some(format!("simulation {}", scenario.name)))?;
    let (store, sha) = (app.store.clone(), bw_ledger::hex(&bw_ledger::sha256(&text)));
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    // The journal's write closure is not Send: the write runs on the writers' thread.
    let (id, out) = crate::api::off_thread(move |rt| {
        rt.block_on(bw_app::simulation::record(&store, &ctx, scenario, &sha, threads))
    })
    .await?
    .map_err(Problem::internal)?;
    let result_sha256 = bw_app::simulation::result_sha256(&out);
    Ok(Json(json!({ "id": id, "result_sha256": result_sha256, "result": out })))
}
