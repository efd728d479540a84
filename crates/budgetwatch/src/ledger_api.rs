//! The ledger's web API: the published (witnessed) checkpoint, proofs, and the endpoint
//! witnesses post their cosignatures to; plus the task that publishes on schedule.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bw_store::Store;

#[derive(serde::Deserialize)]
struct InclusionQuery {
    index: u64,
    size: Option<u64>,
}

#[derive(serde::Deserialize)]
struct ConsistencyQuery {
    old: u64,
    new: Option<u64>,
}

pub fn routes() -> Router<Store> {
    Router::new()
        .route("/api/v1/ledger/checkpoint", get(checkpoint))
        .route("/api/v1/ledger/inclusion", get(inclusion))
        .route("/api/v1/ledger/consistency", get(consistency))
        .route("/api/v1/ledger/cosignatures", axum::routing::post(cosign))
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
async fn checkpoint(State(store): State<Store>) -> Response {
    match bw_app::witness::published(&store).await {
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

async fn inclusion(State(store): State<Store>, Query(q): Query<InclusionQuery>) -> Response {
    proof_response(bw_app::ledger::prove_inclusion(&store, q.index, q.size).await)
}

async fn consistency(State(store): State<Store>, Query(q): Query<ConsistencyQuery>) -> Response {
    proof_response(bw_app::ledger::prove_consistency(&store, q.old, q.new).await)
}

/// A witness posts the published checkpoint with its cosignature line appended.
async fn cosign(State(store): State<Store>, body: String) -> Response {
    match bw_app::witness::receive(&store, &body, crate::clock::now()).await {
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
