//! Meetings, action items and contracts' milestones over the API (docs/GOVERNANCE.md):
//! `GET /api/v1/meetings`, `GET /api/v1/meetings/{id}` (with its latest agenda pack),
//! `GET /api/v1/meetings/{id}/pack`, `GET /api/v1/meetings/{id}/oparl` (the OParl 1.0
//! `Meeting`), `POST /api/v1/meetings/actions` (one board action, as the journal records it),
//! `GET /api/v1/action-items`, `GET /api/v1/contracts/{no}/milestones` (as `contract status`
//! prints it) and `POST /api/v1/contracts/{no}/milestones/{seq}` (a claim, a signed
//! verification, a dispute or a resolution).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use bw_core::access::Permission;
use bw_core::meeting::Action;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{App, Caller, Problem, ProblemDoc, signed_in};

pub fn documented() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(meetings))
        .routes(routes!(meeting))
        .routes(routes!(pack))
        .routes(routes!(oparl))
        .routes(routes!(act))
        .routes(routes!(items))
        .routes(routes!(milestones))
        .routes(routes!(milestone_act))
        .routes(routes!(milestone_evidence))
        .routes(routes!(reviews))
        .routes(routes!(review_act))
        .routes(routes!(cases))
        .routes(routes!(repeats))
        .routes(routes!(matters))
        .routes(routes!(matter_act))
}

const READ: Permission = Permission::ReadWarnings;
const ORGANISE: Permission = Permission::ReviewWarning;

fn may(caller: &Caller, p: Permission) -> Result<(), Problem> {
    signed_in(caller)?;
    if !caller.access.has(p) {
        return Err(bw_core::access::Refusal::NoPermission(p).into());
    }
    Ok(())
}

fn refused(code: &str, message: String) -> Problem {
    let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "refused", message.clone());
    p.code = Some(bw_core::refusal::Code::InvalidState);
    p.errors.push(json!({ "field": "action", "code": code, "message": message }));
    p
}

/// A register's refusal as a problem document: 422 with the rule's code, 403, or 400.
fn take_problem<E: bw_app::journal::Coded>(e: bw_app::journal::TakeError<E>) -> Problem {
    match e {
        bw_app::journal::TakeError::Refused(r) => refused(r.code(), r.to_string()),
        bw_app::journal::TakeError::Forbidden(m) => Problem::new(StatusCode::FORBIDDEN, "forbidden", m),
        bw_app::journal::TakeError::Action(a) => Problem::bad_request(a.to_string()),
    }
}

#[utoipa::path(get, path = "/api/v1/meetings", tag = "governance", security((), ("token" = [])), responses((status = 200, description = "every meeting, newest first", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions", body = ProblemDoc)))]
async fn meetings(State(app): State<App>, caller: Caller) -> Result<Json<serde_json::Value>, Problem> {
    may(&caller, READ)?;
    let board = bw_app::meetings::load(&app.store).await.map_err(Problem::internal)?;
    Ok(Json(json!(board.meetings.values().rev().collect::<Vec<_>>())))
}

#[utoipa::path(get, path = "/api/v1/meetings/{id}", tag = "governance", params(("id" = i64, Path, description = "the meeting")), security((), ("token" = [])), responses((status = 200, description = "the meeting and its latest agenda pack", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions", body = ProblemDoc), (status = 404, description = "no such meeting", body = ProblemDoc)))]
async fn meeting(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, Problem> {
    may(&caller, READ)?;
    let board = bw_app::meetings::load(&app.store).await.map_err(Problem::internal)?;
    let m = board.meetings.get(&id).ok_or_else(|| Problem::not_found(format!("no meeting {id}")))?;
    let pack = bw_app::meetings::stored_pack(&app.store, id).await.map_err(Problem::internal)?;
    let pack = pack.map(|(entry, sha256, pack)| json!({"entry": entry, "sha256": sha256, "pack": pack}));
    Ok(Json(json!({ "meeting": m, "pack": pack })))
}

#[utoipa::path(get, path = "/api/v1/meetings/{id}/pack", tag = "governance", params(("id" = i64, Path, description = "the meeting")), security((), ("token" = [])), responses((status = 200, description = "the meeting's latest agenda pack, as hashed and journaled", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions", body = ProblemDoc), (status = 404, description = "no such meeting or no pack yet", body = ProblemDoc)))]
async fn pack(State(app): State<App>, caller: Caller, Path(id): Path<i64>) -> Result<Json<serde_json::Value>, Problem> {
    may(&caller, READ)?;
    let (_, _, pack) = bw_app::meetings::stored_pack(&app.store, id)
        .await
        .map_err(Problem::internal)?
        .ok_or_else(|| Problem::not_found(format!("meeting {id} has no agenda pack")))?;
    Ok(Json(json!(pack)))
}

#[utoipa::path(get, path = "/api/v1/meetings/{id}/oparl", tag = "governance", params(("id" = i64, Path, description = "the meeting")), security((), ("token" = [])), responses((status = 200, description = "the OParl 1.0 Meeting with its agenda items embedded", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions", body = ProblemDoc), (status = 404, description = "no such meeting", body = ProblemDoc)))]
async fn oparl(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, Problem> {
    may(&caller, READ)?;
    let board = bw_app::meetings::load(&app.store).await.map_err(Problem::internal)?;
    let m = board.meetings.get(&id).ok_or_else(|| Problem::not_found(format!("no meeting {id}")))?;
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1:8080");
    let host: String = host.chars().filter(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(*c)).collect();
    Ok(Json(bw_app::meetings::oparl(m, &format!("http://{host}"), &crate::clock::zone())))
}

#[utoipa::path(post, path = "/api/v1/meetings/actions", tag = "governance", request_body(content = Object, description = "one action as the journal records it: {\"do\": \"schedule\" | \"invite\" | \"pack\" | \"add_item\" | \"hold\" | \"minutes\" | \"approve\" | \"cancel\" | \"done\" | \"check\" | \"escalate\", …} (docs/GOVERNANCE.md); \"pack\" is generated from the system (give only \"id\"); \"invite\" takes \"users\"; \"approve\" takes the caller's signing \"password\""), security((), ("token" = [])), responses((status = 200, description = "taken: its journal entry", body = Object), (status = 400, description = "a malformed action", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions", body = ProblemDoc), (status = 422, description = "refused by the meeting's rules, with its code", body = ProblemDoc)))]
async fn act(
    State(app): State<App>,
    caller: Caller,
    Json(body): Json<serde_json::Value>,
) -> Result<Json<serde_json::Value>, Problem> {
    signed_in(&caller)?;
    let what = body.get("do").and_then(|v| v.as_str()).unwrap_or("").to_string();
    let ctx = caller.ctx(Some(format!("meeting {what}")))?;
    let ctx = bw_app::Ctx { actor: format!("user:{}", caller.access.user), ..ctx };
    let store = app.store.clone();
    // The meeting an action names, for those whose fields are not the journal's.
    let id = body.get("id").and_then(|v| v.as_i64()).ok_or_else(|| crate::api::field_problem("id", "the meeting's id"));
    let entry = match what.as_str() {
        "done" | "check" => {
            let action: Action =
                serde_json::from_value(body).map_err(|e| crate::api::field_problem("action", &e.to_string()))?;
            crate::api::off_thread(move |rt| rt.block_on(bw_app::meetings::take(&store, &ctx, action)))
                .await?
                .map_err(take_problem)?
        }
        "pack" => {
            may(&caller, ORGANISE)?;
            let id = id?;
            crate::api::off_thread(move |rt| rt.block_on(bw_app::meetings::make_pack(&store, &ctx, id)))
                .await?
                .map_err(take_problem)?
                .0
        }
        "invite" => {
            may(&caller, ORGANISE)?;
            let id = id?;
            let users: Vec<String> = body
                .get("users")
                .and_then(|v| v.as_array())
                .ok_or_else(|| crate::api::field_problem("users", "a list of user names"))?
                .iter()
                .filter_map(|u| u.as_str().map(str::to_string))
                .collect();
            let mut invitees = Vec::new();
            for u in users {
                invitees.push(bw_app::meetings::invitee(&app.store, &u, ctx.today).await.map_err(Problem::internal)?);
            }
            let action = Action::Invite { id, invitees };
            crate::api::off_thread(move |rt| rt.block_on(bw_app::meetings::take(&store, &ctx, action)))
                .await?
                .map_err(take_problem)?
        }
        "approve" => {
            let id = id?;
            let password = body.get("password").and_then(|v| v.as_str()).unwrap_or("").to_string();
            let signer = bw_app::approval::unlock(&app.store, &caller.access.user, &password)
                .await
                .map_err(|e| refused("approver_key", e.to_string()))?;
            crate::api::off_thread(move |rt| rt.block_on(bw_app::meetings::approve(&store, &ctx, &signer, id)))
                .await?
                .map_err(take_problem)?
        }
        _ => {
            may(&caller, ORGANISE)?;
            let action: Action =
                serde_json::from_value(body).map_err(|e| crate::api::field_problem("action", &e.to_string()))?;
            if matches!(action, Action::Pack { .. } | Action::Approve { .. } | Action::Invite { .. }) {
                return Err(crate::api::field_problem("do", "pack, invite and approve take their own fields"));
            }
            crate::api::off_thread(move |rt| rt.block_on(bw_app::meetings::take(&store, &ctx, action)))
                .await?
                .map_err(take_problem)?
        }
    };
    Ok(Json(json!({ "entry": entry })))
}

#[utoipa::path(get, path = "/api/v1/action-items", tag = "governance", security((), ("token" = [])), responses((status = 200, description = "the action items the caller owns or follows (every one for a reviewer), each with `overdue`", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc)))]
async fn items(State(app): State<App>, caller: Caller) -> Result<Json<serde_json::Value>, Problem> {
    signed_in(&caller)?;
    let board = bw_app::meetings::load(&app.store).await.map_err(Problem::internal)?;
    let all = caller.access.has(ORGANISE);
    let user = caller.access.user.clone();
    let today = crate::clock::today();
    let out: Vec<serde_json::Value> = board
        .items
        .values()
        .filter(|i| all || i.owner == user || i.follower == user)
        .map(|i| {
            let mut v = json!(i);
            v["overdue"] = json!(i.overdue(today));
            v
        })
        .collect();
    Ok(Json(json!(out)))
}

#[utoipa::path(get, path = "/api/v1/contracts/{no}/milestones", tag = "governance", params(("no" = String, Path, description = "the contract number")), security((), ("token" = [])), responses((status = 200, description = "the contract's amount, releasable, paid, held and retention and each milestone's state, money as yuan with two decimals", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions", body = ProblemDoc), (status = 404, description = "no contract with milestones", body = ProblemDoc)))]
async fn milestones(
    State(app): State<App>,
    caller: Caller,
    Path(no): Path<String>,
) -> Result<Json<serde_json::Value>, Problem> {
    signed_in(&caller)?;
    let loaded = bw_app::milestones::load(&app.store, &no)
        .await
        .map_err(Problem::internal)?
        .ok_or_else(|| Problem::not_found(format!("contract {no:?} has no milestones")))?;
    let org = app.org().await?;
    caller.check(&org, Permission::ReadBudget, &loaded.contract.unit_code)?;
    Ok(Json(json!(loaded.status(crate::clock::today()))))
}

#[utoipa::path(post, path = "/api/v1/contracts/{no}/milestones/{seq}", tag = "governance", params(("no" = String, Path, description = "the contract number"), ("seq" = u32, Path, description = "the milestone")), request_body(content = Object, description = "{\"op\": \"submit\" (with \"permille\", \"evidence\": [SHA-256]) | \"verify\" (with the caller's signing \"password\", \"text\") | \"dispute\" (with \"text\") | \"resolve\" (with \"stands\": true|false)}"), security((), ("token" = [])), responses((status = 200, description = "taken: its entry, whether a verification completed, the held payments released", body = Object), (status = 400, description = "a malformed request", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "no role at the contract's unit", body = ProblemDoc), (status = 404, description = "no contract with milestones", body = ProblemDoc), (status = 422, description = "refused by the milestone rule, with its code", body = ProblemDoc)))]
async fn milestone_act(
    State(app): State<App>,
    caller: Caller,
    Path((no, seq)): Path<(String, u32)>,
    Json(body): Json<serde_json::Value>,
) -> Result<Json<serde_json::Value>, Problem> {
    signed_in(&caller)?;
    let user = caller.access.user.clone();
    let loaded = bw_app::milestones::load(&app.store, &no)
        .await
        .map_err(Problem::internal)?
        .ok_or_else(|| Problem::not_found(format!("contract {no:?} has no milestones")))?;
    let today = crate::clock::today();
    let roles = bw_app::milestones::roles_at_unit(&app.store, &user, &loaded.contract.unit_code, today)
        .await
        .map_err(Problem::internal)?;
    if roles.is_empty() {
        return Err(bw_core::access::Refusal::NoPermission(Permission::ReadBudget).into());
    }
    let ctx = bw_app::Ctx { actor: format!("user:{user}"), ..caller.ctx(Some(format!("milestone {no} #{seq}")))? };
    let text = body.get("text").and_then(|v| v.as_str()).unwrap_or("").to_string();
    let store = app.store.clone();
    let done = match body.get("op").and_then(|v| v.as_str()).unwrap_or("") {
        "submit" => {
            let permille =
                body.get("permille").and_then(|v| v.as_u64()).unwrap_or(1000).min(u64::from(u16::MAX)) as u16;
            let evidence: Vec<String> = body
                .get("evidence")
                .and_then(|v| v.as_array())
                .map(|a| a.iter().filter_map(|e| e.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            crate::api::off_thread(move |rt| {
                rt.block_on(bw_app::milestones::submit(&store, &ctx, &no, seq, permille, evidence))
            })
            .await?
        }
        "verify" => {
            let password = body.get("password").and_then(|v| v.as_str()).unwrap_or("").to_string();
            let signer = bw_app::approval::unlock(&app.store, &user, &password)
                .await
                .map_err(|e| refused("approver_key", e.to_string()))?;
            crate::api::off_thread(move |rt| {
                rt.block_on(bw_app::milestones::verify(&store, &ctx, &signer, &no, seq, &roles, &text))
            })
            .await?
        }
        "dispute" => {
            crate::api::off_thread(move |rt| rt.block_on(bw_app::milestones::dispute(&store, &ctx, &no, seq, &text)))
                .await?
        }
        "resolve" => {
            let stands = body.get("stands").and_then(|v| v.as_bool()).unwrap_or(false);
            crate::api::off_thread(move |rt| {
                rt.block_on(bw_app::milestones::resolve(&store, &ctx, &no, seq, stands, &roles, &text))
            })
            .await?
        }
        _ => return Err(crate::api::field_problem("op", "submit, verify, dispute or resolve")),
    };
    match done {
        Ok(d) => Ok(Json(json!(d))),
        Err(bw_app::milestones::MilestoneActionError::Action(a)) => Err(Problem::bad_request(a.to_string())),
        Err(e) => Err(refused(e.code(), e.to_string())),
    }
}

#[utoipa::path(get, path = "/api/v1/reviews", tag = "governance", security((), ("token" = [])), responses((status = 200, description = "every post-incident review, newest first", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions", body = ProblemDoc)))]
async fn reviews(State(app): State<App>, caller: Caller) -> Result<Json<serde_json::Value>, Problem> {
    may(&caller, READ)?;
    let all = bw_app::reviews::load(&app.store).await.map_err(Problem::internal)?;
    Ok(Json(json!(all.reviews.values().rev().collect::<Vec<_>>())))
}

#[utoipa::path(post, path = "/api/v1/reviews/actions", tag = "governance", request_body(content = Object, description = "one action as the journal records it: {\"do\": \"open\" | \"record\" | \"plan\" | \"approve_plan\" | \"close\" | \"import\", …}, or {\"do\": \"accept\", \"id\"} (the audit role; the criteria computed by the system, today)"), security((), ("token" = [])), responses((status = 200, description = "taken: its journal entry", body = Object), (status = 400, description = "a malformed action", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions", body = ProblemDoc), (status = 422, description = "refused by the review's rules, with its code", body = ProblemDoc)))]
async fn review_act(
    State(app): State<App>,
    caller: Caller,
    Json(body): Json<serde_json::Value>,
) -> Result<Json<serde_json::Value>, Problem> {
    signed_in(&caller)?;
    let ctx = bw_app::Ctx { actor: format!("user:{}", caller.access.user), ..caller.ctx(Some("review".into()))? };
    let store = app.store.clone();
    let problem = take_problem::<bw_core::review::ReviewError>;
    if body.get("do").and_then(|v| v.as_str()) == Some("accept") {
        if !caller.access.grants.iter().any(|g| g.role == bw_core::access::Role::AuditDiscipline) {
            return Err(bw_core::access::Refusal::NoPermission(Permission::RunAudit).into());
        }
        let id = body
            .get("id")
            .and_then(|v| v.as_i64())
            .ok_or_else(|| crate::api::field_problem("id", "the review's id"))?;
        let on = ctx.today;
        let (entry, values) =
            crate::api::off_thread(move |rt| rt.block_on(bw_app::reviews::accept(&store, &ctx, id, on)))
                .await?
                .map_err(problem)?;
        return Ok(Json(json!({ "entry": entry, "values": values, "pass": values.iter().all(|(_, v)| *v == 0) })));
    }
    may(&caller, ORGANISE)?;
    let action: bw_core::review::Action =
        serde_json::from_value(body).map_err(|e| crate::api::field_problem("action", &e.to_string()))?;
    if matches!(action, bw_core::review::Action::Accept { .. }) {
        return Err(crate::api::field_problem("do", "an acceptance gives only its id: the values are computed"));
    }
    let entry = crate::api::off_thread(move |rt| rt.block_on(bw_app::reviews::take(&store, &ctx, action)))
        .await?
        .map_err(problem)?;
    Ok(Json(json!({ "entry": entry })))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
struct CaseQuery {
    /// The words to search for.
    q: String,
    /// At most this many (default 5).
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/cases", tag = "governance", params(CaseQuery), security((), ("token" = [])), responses((status = 200, description = "the cases most like the words, best first, each with its score", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions", body = ProblemDoc)))]
async fn cases(
    State(app): State<App>,
    caller: Caller,
    axum::extract::Query(q): axum::extract::Query<CaseQuery>,
) -> Result<Json<serde_json::Value>, Problem> {
    may(&caller, READ)?;
    let all = bw_app::reviews::cases(&app.store).await.map_err(Problem::internal)?;
    let found: Vec<serde_json::Value> = bw_app::reviews::search(&all, &q.q, q.limit.unwrap_or(5).min(100))
        .into_iter()
        .map(|(i, score)| {
            let mut v = json!(all[i]);
            v["score"] = json!((score * 1000.0).round() / 1000.0);
            v
        })
        .collect();
    Ok(Json(json!(found)))
}

#[utoipa::path(get, path = "/api/v1/cases/repeats", tag = "governance", security((), ("token" = [])), responses((status = 200, description = "the same unit repeating the same cause within three years (屡审屡犯)", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions", body = ProblemDoc)))]
async fn repeats(State(app): State<App>, caller: Caller) -> Result<Json<serde_json::Value>, Problem> {
    may(&caller, READ)?;
    let all = bw_app::reviews::cases(&app.store).await.map_err(Problem::internal)?;
    Ok(Json(json!(bw_app::reviews::repeats(&all))))
}

#[utoipa::path(get, path = "/api/v1/matters", tag = "governance", security((), ("token" = [])), responses((status = 200, description = "the major matters the caller may read (audit: every one copied to it), newest first, each with `written_late`", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc)))]
async fn matters(State(app): State<App>, caller: Caller) -> Result<Json<serde_json::Value>, Problem> {
    signed_in(&caller)?;
    let org = app.org().await?;
    let all = bw_app::matters::load(&app.store).await.map_err(Problem::internal)?;
    let today = crate::clock::today();
    let out: Vec<serde_json::Value> = all
        .matters
        .values()
        .rev()
        .filter(|m| {
            caller.check(&org, Permission::ReadBudget, &m.unit_code).is_ok()
                || (m.copied_to_audit && caller.access.has(Permission::RunAudit))
        })
        .map(|m| {
            let mut v = json!(m);
            v["written_late"] = json!(m.written_late(today));
            v
        })
        .collect();
    Ok(Json(json!(out)))
}

#[utoipa::path(post, path = "/api/v1/matters/actions", tag = "governance", request_body(content = Object, description = "{\"do\": \"submit\", \"facts\": {\"unit_code\", \"title\", \"amount\", \"budget\", \"spend\", \"strategic\", \"category\"}, \"report\": {\"background\", \"financial_impact\", \"alternatives\"}} | {\"do\": \"oral\", \"facts\", \"summary\"} | {\"do\": \"written\", \"id\", \"report\"} | {\"do\": \"decide\", \"id\", \"adopt\", \"text\"} | {\"do\": \"collective\", \"id\", \"meeting\", \"opinions\": {\"user\": \"for\" | \"against\" | \"defer\"}}"), security((), ("token" = [])), responses((status = 200, description = "taken: the matter's id", body = Object), (status = 400, description = "a malformed action", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions", body = ProblemDoc), (status = 422, description = "refused by the matters' rules, with its code (quorum_not_met, opinions_missing, report_form_incomplete, …)", body = ProblemDoc)))]
async fn matter_act(
    State(app): State<App>,
    caller: Caller,
    Json(body): Json<serde_json::Value>,
) -> Result<Json<serde_json::Value>, Problem> {
    signed_in(&caller)?;
    let user = caller.access.user.clone();
    let ctx = bw_app::Ctx { actor: format!("user:{user}"), ..caller.ctx(Some("matter".into()))? };
    let field = |k: &str| crate::api::field_problem(k, "missing or malformed");
    let problem = take_problem::<bw_core::matter::MatterError>;
    let org = app.org().await?;
    let facts = |b: &serde_json::Value| -> Result<bw_core::matter::Facts, Problem> {
        serde_json::from_value(b.get("facts").cloned().unwrap_or_default()).map_err(|_| field("facts"))
    };
    let report = |b: &serde_json::Value| -> Result<bw_core::matter::Report, Problem> {
        serde_json::from_value(b.get("report").cloned().unwrap_or_default()).map_err(|_| field("report"))
    };
    let id = body.get("id").and_then(|v| v.as_i64());
    let store = app.store.clone();
    let out = match body.get("do").and_then(|v| v.as_str()).unwrap_or("") {
        "submit" => {
            let (f, r) = (facts(&body)?, report(&body)?);
            caller.check(&org, Permission::ReadBudget, &f.unit_code)?;
            crate::api::off_thread(move |rt| rt.block_on(bw_app::matters::submit(&store, &ctx, f, r))).await?
        }
        "oral" => {
            let f = facts(&body)?;
            caller.check(&org, Permission::ReadBudget, &f.unit_code)?;
            let summary = body.get("summary").and_then(|v| v.as_str()).unwrap_or("").to_string();
            crate::api::off_thread(move |rt| rt.block_on(bw_app::matters::oral(&store, &ctx, f, &summary))).await?
        }
        "written" => {
            let action = bw_core::matter::Action::Written {
                id: id.ok_or_else(|| field("id"))?,
                report: report(&body)?,
                on: ctx.today,
            };
            crate::api::off_thread(move |rt| rt.block_on(bw_app::matters::take(&store, &ctx, action))).await?
        }
        "decide" => {
            let id = id.ok_or_else(|| field("id"))?;
            let adopt = body.get("adopt").and_then(|v| v.as_bool()).ok_or_else(|| field("adopt"))?;
            let text = body.get("text").and_then(|v| v.as_str()).unwrap_or("").to_string();
            let all = bw_app::matters::load(&app.store).await.map_err(Problem::internal)?;
            let unit = all
                .matters
                .get(&id)
                .map(|m| m.unit_code.clone())
                .ok_or_else(|| Problem::not_found(format!("no matter {id}")))?;
            let roles = bw_app::milestones::roles_at_unit(&app.store, &user, &unit, ctx.today)
                .await
                .map_err(Problem::internal)?;
            crate::api::off_thread(move |rt| {
                rt.block_on(bw_app::matters::decide(&store, &ctx, id, adopt, &text, &roles))
            })
            .await?
        }
        "collective" => {
            may(&caller, ORGANISE)?;
            let id = id.ok_or_else(|| field("id"))?;
            let meeting = body.get("meeting").and_then(|v| v.as_i64()).ok_or_else(|| field("meeting"))?;
            let opinions: std::collections::BTreeMap<String, bw_core::matter::Opinion> =
                serde_json::from_value(body.get("opinions").cloned().unwrap_or_default())
                    .map_err(|_| field("opinions"))?;
            crate::api::off_thread(move |rt| {
                rt.block_on(bw_app::matters::collective(&store, &ctx, id, meeting, opinions))
            })
            .await?
        }
        _ => return Err(crate::api::field_problem("do", "submit, oral, written, decide or collective")),
    };
    Ok(Json(json!({ "id": out.map_err(problem)? })))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
struct EvidenceQuery {
    /// The file's name.
    name: String,
}

#[utoipa::path(post, path = "/api/v1/contracts/{no}/milestones/{seq}/evidence", tag = "governance", params(("no" = String, Path, description = "the contract number"), ("seq" = u32, Path, description = "the milestone"), EvidenceQuery), request_body(content = String, description = "the file's bytes: a PDF or an image (PNG, JPEG, GIF, WebP), at most 10 MiB", content_type = "application/octet-stream"), security((), ("token" = [])), responses((status = 200, description = "kept: its id and SHA-256, the digest a claim names", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "no role at the contract's unit", body = ProblemDoc), (status = 404, description = "no contract with milestones", body = ProblemDoc), (status = 422, description = "not a PDF or an image, too large, or no such milestone", body = ProblemDoc)))]
async fn milestone_evidence(
    State(app): State<App>,
    caller: Caller,
    Path((no, seq)): Path<(String, u32)>,
    axum::extract::Query(q): axum::extract::Query<EvidenceQuery>,
    body: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, Problem> {
    signed_in(&caller)?;
    let user = caller.access.user.clone();
    let loaded = bw_app::milestones::load(&app.store, &no)
        .await
        .map_err(Problem::internal)?
        .ok_or_else(|| Problem::not_found(format!("contract {no:?} has no milestones")))?;
    let roles = bw_app::milestones::roles_at_unit(&app.store, &user, &loaded.contract.unit_code, crate::clock::today())
        .await
        .map_err(Problem::internal)?;
    if roles.is_empty() {
        return Err(bw_core::access::Refusal::NoPermission(Permission::ReadBudget).into());
    }
    let ctx = bw_app::Ctx { actor: format!("user:{user}"), ..caller.ctx(Some(format!("evidence of {no} #{seq}")))? };
    let store = app.store.clone();
    let bytes = body.to_vec();
    let done = crate::api::off_thread(move |rt| {
        rt.block_on(bw_app::documents::attach_milestone_evidence(&store, &ctx, &no, seq, &q.name, &bytes))
    })
    .await?;
    match done {
        Ok((id, sha256)) => Ok(Json(json!({ "id": id, "sha256": sha256 }))),
        Err(e) => Err(refused("evidence_refused", e.to_string())),
    }
}
