//! The ledger's web API: the published (witnessed) checkpoint, proofs, and the endpoint
//! witnesses post their cosignatures to; plus the task that publishes on schedule.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bw_core::access::Permission;
use bw_store::Store;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{App, Caller};

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct InclusionQuery {
    /// The entry's index in the journal.
    index: u64,
    /// The tree size to prove against (default: the journal's).
    size: Option<u64>,
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ConsistencyQuery {
    old: u64,
    new: Option<u64>,
}

/// The ledger's endpoints, described for the API document.
pub fn documented() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(checkpoint))
        .routes(routes!(inclusion))
        .routes(routes!(consistency))
        .routes(routes!(cosign))
}

fn problem(status: StatusCode, detail: String) -> Response {
    let body = serde_json::json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or(""),
        "status": status.as_u16(),
        "detail": detail,
    });
    (status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response()
}

fn text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// The latest published checkpoint with the cosignatures received for it.
#[utoipa::path(get, path = "/api/v1/ledger/checkpoint", tag = "ledger", responses((status = 200, description = "the signed checkpoint note (C2SP tlog-checkpoint) with its cosignatures", body = String, content_type = "text/plain"), (status = 404, description = "nothing published yet", body = crate::api::ProblemDoc)))]
async fn checkpoint(State(app): State<App>) -> Response {
    match bw_app::witness::published(&app.store).await {
        Ok(Some(note)) => text(note),
        Ok(None) => problem(StatusCode::NOT_FOUND, "no checkpoint has been published yet".into()),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

fn proof_response(r: Result<serde_json::Value, bw_app::ledger::LedgerError>) -> Response {
    match r {
        Ok(v) => axum::Json(v).into_response(),
        Err(bw_app::ledger::LedgerError::Range(m)) => problem(StatusCode::BAD_REQUEST, m),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// An inclusion proof of entry `index`, for a caller who may see the entry: the ledger's
/// readers within the entry's unit (or everywhere, for entries of no unit), and whoever may
/// read the payment the entry records.
#[utoipa::path(get, path = "/api/v1/ledger/inclusion", tag = "ledger", params(InclusionQuery), security((), ("token" = [])), responses((status = 200, description = "the audit path (RFC 9162)", body = Object), (status = 400, description = "an index or size outside the log", body = crate::api::ProblemDoc), (status = 401, description = "not signed in", body = crate::api::ProblemDoc), (status = 403, description = "an entry the caller may not see", body = crate::api::ProblemDoc)))]
async fn inclusion(State(app): State<App>, caller: Caller, Query(q): Query<InclusionQuery>) -> Response {
    if caller.user().is_none() {
        return problem(StatusCode::UNAUTHORIZED, "log in, or send an API token".into());
    }
    let owner = match bw_app::ledger::entry_unit(&app.store, q.index).await {
        Ok(o) => o,
        Err(e) => return problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let org = match app.org().await {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    let allowed = match &owner {
        Some((unit, payment)) => {
            caller.check(&org, Permission::ReadLedger, unit).is_ok()
                || (*payment && caller.check(&org, Permission::ReadPayments, unit).is_ok())
        }
        None => caller.access.scopes(Permission::ReadLedger).contains(&bw_core::access::Scope::All),
    };
    if !allowed {
        return problem(StatusCode::FORBIDDEN, format!("entry {} is not one the caller may see", q.index));
    }
    proof_response(bw_app::ledger::prove_inclusion(&app.store, q.index, q.size).await)
}

/// A consistency proof between two tree sizes: hashes only, for witnesses and anyone.
#[utoipa::path(get, path = "/api/v1/ledger/consistency", tag = "ledger", params(ConsistencyQuery), responses((status = 200, description = "the consistency proof (RFC 9162)", body = Object), (status = 400, description = "sizes outside the log", body = crate::api::ProblemDoc)))]
async fn consistency(State(app): State<App>, Query(q): Query<ConsistencyQuery>) -> Response {
    proof_response(bw_app::ledger::prove_consistency(&app.store, q.old, q.new).await)
}

/// A witness posts the published checkpoint with its cosignature line appended.
#[utoipa::path(post, path = "/api/v1/ledger/cosignatures", tag = "ledger", request_body(content = String, content_type = "text/plain", description = "the checkpoint note with the witness's cosignature line"), responses((status = 200, description = "the witnesses whose cosignatures were accepted", body = Object), (status = 422, description = "not a valid cosignature of the published checkpoint", body = crate::api::ProblemDoc)))]
async fn cosign(State(app): State<App>, body: String) -> Response {
    match bw_app::witness::receive(&app.store, &body, crate::clock::now()).await {
        Ok(names) => axum::Json(serde_json::json!({"accepted": names})).into_response(),
        Err(bw_app::journal::ActionError::Invalid(m)) => problem(StatusCode::UNPROCESSABLE_ENTITY, m),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Publishes the latest checkpoint whenever `ledger.publish_minutes` have passed.
pub async fn publish_on_schedule(store: Store) {
    loop {
        if let Err(e) = bw_app::witness::publish(&store, crate::clock::now(), false).await {
            eprintln!("error: publishing a checkpoint: {e}");
        }
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    }
}
