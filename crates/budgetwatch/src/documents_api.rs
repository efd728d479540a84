//! Documents under `/api/v1`: images (or PDFs) attached to a payment voucher by whoever may
//! record that unit's payments, the region boundaries an administrator loads for the
//! cockpit's map, and each document's bytes for those who may read what it belongs to.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bw_app::documents::{self, DocKind};
use bw_app::journal::ActionError;
use bw_core::access::{Permission, Refusal, Scope};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{App, Caller, Problem, ProblemDoc, off_thread, signed_in};

/// The documents' endpoints, described for the API document.
pub fn documented() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(attach_to_payment, payment_documents))
        .routes(routes!(attach_to_warning, warning_documents))
        .routes(routes!(load_boundaries))
        .routes(routes!(one_document))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct NameQuery {
    /// The file's name, as shown on the voucher's page.
    name: String,
}

fn refused(e: ActionError) -> Problem {
    match e {
        ActionError::Invalid(m) => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m),
        e => Problem::internal(e),
    }
}

#[utoipa::path(post, path = "/api/v1/payments/{unit}/{voucher}/documents", tag = "payments", params(("unit" = String, Path, description = "unit code"), ("voucher" = String, Path, description = "voucher number"), NameQuery), request_body(content((String = "image/png"), (String = "image/jpeg"), (String = "application/pdf")), description = "the file's bytes (PNG, JPEG, GIF, WebP or PDF, up to 10 MiB; the type is read from the bytes)"), security((), ("token" = [])), responses((status = 201, description = "attached (journaled with its SHA-256)", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "the caller may not record that unit's payments", body = ProblemDoc), (status = 422, description = "not an accepted file, or no such payment", body = ProblemDoc)))]
async fn attach_to_payment(
    State(app): State<App>,
    caller: Caller,
    Path((unit, voucher)): Path<(String, String)>,
    Query(q): Query<NameQuery>,
    body: Bytes,
) -> Result<Response, Problem> {
    signed_in(&caller)?;
    let org = app.org().await?;
    caller.check(&org, Permission::Ingest, &unit)?;
    let ctx = caller.ctx(Some(format!("document {} for payment {voucher} of {unit}", q.name)))?;
    let store = app.store.clone();
    let (u, v, name) = (unit.clone(), voucher.clone(), q.name.clone());
    let id = off_thread(move |rt| rt.block_on(documents::attach_voucher_image(&store, &ctx, &u, &v, &name, &body)))
        .await?
        .map_err(refused)?;
    let docs = documents::list(&app.store, DocKind::VoucherImage, &documents::voucher_subject(&unit, &voucher))
        .await
        .map_err(Problem::internal)?;
    let d = docs.into_iter().find(|d| d.id == id);
    Ok((StatusCode::CREATED, Json(json!({"id": id, "document": d}))).into_response())
}

#[utoipa::path(get, path = "/api/v1/payments/{unit}/{voucher}/documents", tag = "payments", params(("unit" = String, Path, description = "unit code"), ("voucher" = String, Path, description = "voucher number")), security((), ("token" = [])), responses((status = 200, description = "the documents attached to the payment", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions or scope", body = ProblemDoc)))]
async fn payment_documents(
    State(app): State<App>,
    caller: Caller,
    Path((unit, voucher)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, Problem> {
    signed_in(&caller)?;
    let org = app.org().await?;
    caller.check(&org, Permission::ReadPayments, &unit)?;
    let items = documents::list(&app.store, DocKind::VoucherImage, &documents::voucher_subject(&unit, &voucher))
        .await
        .map_err(Problem::internal)?;
    Ok(Json(json!({"items": items})))
}

#[utoipa::path(post, path = "/api/v1/warnings/{id}/attachments", tag = "warnings", params(("id" = i64, Path, description = "warning id"), NameQuery), request_body(content((String = "application/pdf"), (String = "image/png"), (String = "image/jpeg")), description = "the file's bytes (PDF, PNG, JPEG, GIF or WebP, up to 10 MiB; the type is read from the bytes)"), security((), ("token" = [])), responses((status = 201, description = "attached (journaled with its SHA-256); a step names it by id in `attachments`", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "the caller may take no step on the warning", body = ProblemDoc), (status = 422, description = "not an accepted file", body = ProblemDoc)))]
async fn attach_to_warning(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<NameQuery>,
    body: Bytes,
) -> Result<Response, Problem> {
    // Whoever takes a step on the warning may attach to it: the unit or a reviewer.
    if crate::api::warning_in_reach(&app, &caller, id, Permission::ActWarning).await.is_err() {
        crate::api::warning_in_reach(&app, &caller, id, Permission::ReviewWarning).await?;
    }
    let ctx = caller.ctx(Some(format!("document {} for warning {id}", q.name)))?;
    let (store, name) = (app.store.clone(), q.name.clone());
    let doc = off_thread(move |rt| rt.block_on(documents::attach_to_warning(&store, &ctx, id, &name, &body)))
        .await?
        .map_err(refused)?;
    let docs = documents::list(&app.store, DocKind::WarningAttachment, &documents::warning_subject(id))
        .await
        .map_err(Problem::internal)?;
    let d = docs.into_iter().find(|d| d.id == doc);
    Ok((StatusCode::CREATED, Json(json!({"id": doc, "document": d}))).into_response())
}

#[utoipa::path(get, path = "/api/v1/warnings/{id}/attachments", tag = "warnings", params(("id" = i64, Path, description = "warning id")), security((), ("token" = [])), responses((status = 200, description = "the documents attached to the warning", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions or scope", body = ProblemDoc)))]
async fn warning_documents(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, Problem> {
    crate::api::warning_in_reach(&app, &caller, id, Permission::ReadWarnings).await?;
    let items = documents::list(&app.store, DocKind::WarningAttachment, &documents::warning_subject(id))
        .await
        .map_err(Problem::internal)?;
    Ok(Json(json!({"items": items})))
}

#[utoipa::path(post, path = "/api/v1/boundaries", tag = "organisation", params(NameQuery), request_body(content((String = "application/geo+json")), description = "a GeoJSON FeatureCollection: each feature a region's Polygon or MultiPolygon with the region's code in properties.code"), security((), ("token" = [])), responses((status = 201, description = "loaded: the cockpit draws the map", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "needs change_settings on the whole organisation", body = ProblemDoc), (status = 422, description = "not such a file, or a code that is not a region", body = ProblemDoc)))]
async fn load_boundaries(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<NameQuery>,
    body: Bytes,
) -> Result<Response, Problem> {
    signed_in(&caller)?;
    if !caller.access.scopes(Permission::ChangeSettings).contains(&Scope::All) {
        return Err(Refusal::OutOfScope(Permission::ChangeSettings, "the whole organisation".into()).into());
    }
    let ctx = caller.ctx(Some(format!("region boundaries {}", q.name)))?;
    let (store, name) = (app.store.clone(), q.name.clone());
    let id = off_thread(move |rt| rt.block_on(documents::load_boundaries(&store, &ctx, &name, &body)))
        .await?
        .map_err(refused)?;
    Ok((StatusCode::CREATED, Json(json!({"id": id}))).into_response())
}

#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "payments", params(("id" = i64, Path, description = "document id")), security((), ("token" = [])), responses((status = 200, description = "the file's bytes, with the type read from them", body = String, content_type = "application/octet-stream"), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions or scope (or no such document)", body = ProblemDoc)))]
async fn one_document(State(app): State<App>, caller: Caller, Path(id): Path<i64>) -> Result<Response, Problem> {
    document_response(&app, &caller, id).await
}

/// Document `id` as a response, when the caller may read what it belongs to: a voucher's
/// payments, or (boundaries) any budget.
pub(crate) async fn document_response(app: &App, caller: &Caller, id: i64) -> Result<Response, Problem> {
    signed_in(caller)?;
    let hidden = || Problem::from(Refusal::OutOfScope(Permission::ReadPayments, format!("document {id}")));
    let Some((d, bytes)) = documents::get(&app.store, id).await.map_err(Problem::internal)? else {
        return Err(hidden());
    };
    let org = app.org().await?;
    match DocKind::parse(&d.kind) {
        Some(DocKind::VoucherImage) => {
            let unit = d.subject.split_once('/').map(|(u, _)| u).unwrap_or("");
            caller.check(&org, Permission::ReadPayments, unit).map_err(|_| hidden())?;
        }
        Some(DocKind::Boundaries) => {
            caller.nodes(&org, Permission::ReadBudget, false).map_err(|_| hidden())?;
        }
        Some(DocKind::ProjectDocument) => {
            let unit = bw_app::library::project(&app.store, &d.subject)
                .await
                .map_err(Problem::internal)?
                .map(|p| p.unit_code)
                .unwrap_or_default();
            caller.check(&org, Permission::ReadBudget, &unit).map_err(|_| hidden())?;
        }
        Some(DocKind::MilestoneEvidence) => {
            let contract =
                d.subject.strip_prefix("contract/").and_then(|s| s.rsplit_once('/')).map(|(c, _)| c).unwrap_or("");
            let unit = bw_app::milestones::load(&app.store, contract)
                .await
                .map_err(Problem::internal)?
                .map(|l| l.contract.unit_code)
                .unwrap_or_default();
            caller.check(&org, Permission::ReadBudget, &unit).map_err(|_| hidden())?;
        }
        Some(DocKind::WarningAttachment) => {
            let warning = d.subject.strip_prefix("warning/").and_then(|w| w.parse::<i64>().ok()).unwrap_or(0);
            crate::api::warning_in_reach(app, caller, warning, Permission::ReadWarnings).await.map_err(|_| hidden())?;
        }
        None => return Err(hidden()),
    }
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_str(&d.media_type).map_err(Problem::internal)?);
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    let disposition = format!("inline; filename*=UTF-8''{}", crate::text::urlencode(&d.name));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).map_err(Problem::internal)?);
    Ok(r)
}
