//! Informal communications over the API: `GET /api/v1/informal` (the records the caller may
//! read: their own, and those on budgets where they read warnings) and `POST
//! /api/v1/informal` (one record; the time it is received is the time recorded, the caller
//! its initiator). docs/GOVERNANCE.md.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use bw_core::access::Permission;
use bw_core::action::Action;
use bw_core::informal::{Channel, InformalError, Purpose, Record};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{App, Caller, Problem, ProblemDoc, signed_in};

pub fn documented() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(list, post))
}

/// Who may record: whoever reads the budget of the item's unit.
pub(crate) const RECORD: Permission = Permission::ReadBudget;
/// Who may read others' records: whoever reads the warnings of the item's unit.
pub(crate) const READ: Permission = Permission::ReadWarnings;

/// The refusal as a problem document: its general code, its own in `errors[0].code`.
pub(crate) fn refused(e: &InformalError) -> Problem {
    let code = e.refusal();
    let status = StatusCode::from_u16(code.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    let mut p = Problem::new(status, "refused", e.to_string());
    p.code = Some(code);
    p.zh = Some(e.zh());
    p.errors.push(json!({ "field": "informal", "code": e.code(), "message": e.to_string() }));
    p
}

#[utoipa::path(get, path = "/api/v1/informal", tag = "governance", security((), ("token" = [])), responses((status = 200, description = "the informal records the caller may read, newest first, each with `late`", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc)))]
async fn list(State(app): State<App>, caller: Caller) -> Result<Json<serde_json::Value>, Problem> {
    signed_in(&caller)?;
    let org = app.org().await?;
    let me = format!("user:{}", caller.access.user);
    let all = bw_app::informal::list(&app.store, None).await.map_err(Problem::internal)?;
    let mine: Vec<&bw_app::informal::Stored> = all
        .iter()
        .filter(|s| {
            s.record.recorded_by == me || s.unit_code.as_deref().is_some_and(|u| caller.check(&org, READ, u).is_ok())
        })
        .collect();
    Ok(Json(json!(mine)))
}

/// A record as the API takes it.
#[derive(serde::Deserialize)]
pub(crate) struct Posted {
    occurred_at: String,
    channel: String,
    participants: Vec<String>,
    purpose: String,
    conclusion: String,
    #[serde(default)]
    year: Option<i32>,
    #[serde(default)]
    indicator_code: Option<String>,
    #[serde(default)]
    project_code: Option<String>,
}

impl Posted {
    #[allow(clippy::too_many_arguments)] // the record's fields, named where the page builds them
    pub(crate) fn new(
        occurred_at: String,
        channel: String,
        participants: Vec<String>,
        purpose: String,
        conclusion: String,
        year: Option<i32>,
        indicator_code: Option<String>,
        project_code: Option<String>,
    ) -> Posted {
        Posted { occurred_at, channel, participants, purpose, conclusion, year, indicator_code, project_code }
    }
}

/// Records `posted` for the caller, the one path the API and the page take: its id and
/// whether it is late.
pub(crate) async fn take(app: &App, caller: &Caller, posted: Posted) -> Result<(i64, bool), Problem> {
    let occurred_at = bw_app::zone::parse_instant(&posted.occurred_at)
        .ok_or_else(|| crate::api::field_problem("occurred_at", "an RFC 3339 time with its offset"))?;
    let record = Record {
        occurred_at,
        recorded_at: bw_core::Timestamp(0),
        recorded_by: String::new(),
        channel: Channel::parse(&posted.channel).map_err(|e| refused(&e))?,
        participants: posted.participants,
        purpose: Purpose::parse(&posted.purpose).map_err(|e| refused(&e))?,
        conclusion: posted.conclusion,
        year: posted.year,
        indicator_code: posted.indicator_code.filter(|c| !c.trim().is_empty()),
        project_code: posted.project_code.filter(|c| !c.trim().is_empty()),
    };
    // The item's unit decides who may record about it (an unknown item is refused below).
    if let Some(unit) = bw_app::informal::unit_of(&app.store, &record).await.map_err(Problem::internal)? {
        let org = app.org().await?;
        caller.check(&org, RECORD, &unit)?;
    }
    let ctx = caller.ctx(Some(Action::InformalRecord.to_string()))?;
    let store = app.store.clone();
    // The journal's write closure is not Send: the write runs on the writers' thread.
    let done = crate::api::off_thread(move |rt| rt.block_on(bw_app::informal::record(&store, &ctx, record))).await?;
    match done {
        Ok(recorded) => Ok(recorded),
        Err(bw_app::informal::RecordError::Refused(e)) => Err(refused(&e)),
        Err(bw_app::informal::RecordError::Action(e)) => Err(Problem::internal(e)),
    }
}

#[utoipa::path(post, path = "/api/v1/informal", tag = "governance", request_body(content = Object, description = "{\"occurred_at\": RFC 3339, \"channel\", \"participants\": [..], \"purpose\": \"consultation\" | \"pre_communication\", \"conclusion\", \"year\" and \"indicator_code\", or \"project_code\"}; the time it is received is the time recorded"), security((), ("token" = [])), responses((status = 200, description = "recorded: its id and whether it is late", body = Object), (status = 400, description = "a malformed record", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions", body = ProblemDoc), (status = 422, description = "refused: a decision, an account or ID number, no or an unknown budget item", body = ProblemDoc)))]
async fn post(
    State(app): State<App>,
    caller: Caller,
    Json(body): Json<serde_json::Value>,
) -> Result<Json<serde_json::Value>, Problem> {
    signed_in(&caller)?;
    let posted: Posted =
        serde_json::from_value(body).map_err(|e| crate::api::field_problem("informal", &e.to_string()))?;
    let (id, late) = take(&app, &caller, posted).await?;
    Ok(Json(json!({ "id": id, "late": late })))
}
