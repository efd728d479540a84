//! New and escalated warnings pushed to those who may see them: a server-sent-events stream
//! (`GET /api/v1/events`) and webhooks (a signed POST per event). One watcher task turns
//! changes of the warnings table into events (`bw_app::events::Watcher`) every second.

use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bw_app::events::{WarningEvent, Watcher, hmac_sha256};
use bw_core::access::Permission;
use bw_core::org::OrgTree;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use tokio::sync::broadcast::error::RecvError;

use crate::api::{App, Caller, Problem};

/// How often the watcher reads the warnings table.
const POLL: Duration = Duration::from_secs(1);
/// A comment line on an idle stream, so proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub fn documented() -> utoipa_axum::router::OpenApiRouter<App> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(events))
}

/// Whether `caller` may see the warning of `event`.
fn visible(caller: &Caller, org: &OrgTree, event: &WarningEvent) -> bool {
    let owner = event.unit_code.clone().or(event.region_code.clone()).unwrap_or_default();
    caller.check(org, Permission::ReadWarnings, &owner).is_ok()
}

/// The watcher: events to the streams and to the webhooks.
pub async fn watch(app: App) {
    let mut watcher = loop {
        match Watcher::start(&app.store).await {
            Ok(w) => break w,
            Err(e) => eprintln!("error: starting the warning watcher: {e}"),
        }
        tokio::time::sleep(POLL).await;
    };
    loop {
        tokio::time::sleep(POLL).await;
        let events = match watcher.poll(&app.store).await {
            Ok(e) => e,
            Err(e) => {
                eprintln!("error: reading warnings for push: {e}");
                continue;
            }
        };
        if events.is_empty() {
            continue;
        }
        for e in &events {
            // No receiver is not an error: nobody is listening.
            let _ = app.events.send(e.clone());
        }
        tokio::spawn(deliver(app.clone(), events));
    }
}

/// Posts `events` to every webhook whose user may see them.
async fn deliver(app: App, events: Vec<WarningEvent>) {
    let hooks = match bw_app::events::webhooks(&app.store).await {
        Ok(h) => h,
        Err(e) => return eprintln!("error: reading webhooks: {e}"),
    };
    let Ok(org) = app.org().await else { return };
    let today = crate::clock::today();
    for hook in hooks {
        let Ok(access) = bw_app::users::access(&app.store, &hook.user, today).await else { continue };
        let caller = Caller { access, via: crate::api::Via::Token };
        for e in events.iter().filter(|e| visible(&caller, &org, e)) {
            let Ok(body) = serde_json::to_vec(e) else { continue };
            let signature: String =
                hmac_sha256(hook.secret.as_bytes(), &body).iter().map(|b| format!("{b:02x}")).collect();
            let delivery = format!("{}-{}", hook.id, e.journal_idx);
            let mut wait = Duration::from_secs(1);
            for attempt in 1..=3 {
                match post(&hook.url, &body, &signature, e.event, &delivery).await {
                    Ok(s) if (200..300).contains(&s) => break,
                    Ok(s) => eprintln!("webhook {} ({}): HTTP {s}, attempt {attempt}", hook.id, hook.url),
                    Err(err) => eprintln!("webhook {} ({}): {err}, attempt {attempt}", hook.id, hook.url),
                }
                tokio::time::sleep(wait).await;
                wait *= 4;
            }
        }
    }
}

/// One signed POST over plain HTTP/1.1 (TLS is a proxy's job, as for witnesses).
async fn post(url: &str, body: &[u8], signature: &str, event: &str, delivery: &str) -> Result<u16, String> {
    let rest = url.strip_prefix("http://").ok_or("only http:// URLs are delivered to")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let connect = tokio::net::TcpStream::connect(authority);
    let stream = tokio::time::timeout(Duration::from_secs(10), connect)
        .await
        .map_err(|_| "timed out connecting".to_string())?
        .map_err(|e| e.to_string())?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let req = hyper::Request::builder()
        .method(hyper::Method::POST)
        .uri(path)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header("x-budgetwatch-event", event)
        .header("x-budgetwatch-delivery", delivery)
        .header("x-budgetwatch-signature", format!("sha256={signature}"))
        .body(Full::new(Bytes::copy_from_slice(body)))
        .map_err(|e| e.to_string())?;
    let res = tokio::time::timeout(Duration::from_secs(10), sender.send_request(req))
        .await
        .map_err(|_| "timed out".to_string())?
        .map_err(|e| e.to_string())?;
    let status = res.status().as_u16();
    let _ = res.into_body().collect().await;
    Ok(status)
}

/// What the stream has next: an event, a keep-alive, or the end.
enum Next {
    Event(WarningEvent),
    Idle,
    Missed(u64),
    End,
}

/// Server-sent events of new and escalated warnings the caller may see: `event: raised` or
/// `event: escalated`, `id:` the journal index, `data:` the warning as JSON. The caller's
/// grants are read again for every event, so a revoked grant or token ends the stream.
#[utoipa::path(get, path = "/api/v1/events", tag = "warnings", security((), ("token" = [])), responses((status = 200, description = "text/event-stream of warnings raised or escalated", body = String, content_type = "text/event-stream"), (status = 401, description = "not signed in", body = crate::api::ProblemDoc), (status = 403, description = "the caller reads no warnings", body = crate::api::ProblemDoc)))]
async fn events(State(app): State<App>, headers: HeaderMap, caller: Caller) -> Result<Response, Problem> {
    if caller.user().is_none() {
        return Err(Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "log in, or send an API token"));
    }
    if !caller.access.has(Permission::ReadWarnings) {
        return Err(bw_core::access::Refusal::NoPermission(Permission::ReadWarnings).into());
    }
    let rx = app.events.subscribe();
    let stream = futures_util::stream::unfold((app, headers, rx), |(app, headers, mut rx)| async move {
        loop {
            let next = match tokio::time::timeout(KEEP_ALIVE, rx.recv()).await {
                Err(_) => Next::Idle,
                Ok(Ok(e)) => Next::Event(e),
                Ok(Err(RecvError::Lagged(n))) => Next::Missed(n),
                Ok(Err(RecvError::Closed)) => Next::End,
            };
            let text = match next {
                Next::End => return None,
                Next::Idle => ": keep-alive\n\n".to_string(),
                Next::Missed(n) => format!(": {n} events were missed; read /api/v1/warnings\n\n"),
                Next::Event(e) => {
                    let Ok(caller) = Caller::resolve(&app, &headers, &Method::GET, "/api/v1/events").await else {
                        return None;
                    };
                    if caller.user().is_none() || !caller.access.has(Permission::ReadWarnings) {
                        return None;
                    }
                    let Ok(org) = app.org().await else { return None };
                    if !visible(&caller, &org, &e) {
                        continue;
                    }
                    let data = serde_json::to_string(&e).unwrap_or_default();
                    format!("event: {}\nid: {}\ndata: {data}\n\n", e.event, e.journal_idx)
                }
            };
            return Some((Ok::<_, std::convert::Infallible>(Bytes::from(text)), (app, headers, rx)));
        }
    });
    let mut r = Body::from_stream(stream).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/event-stream"));
    r.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-cache"));
    Ok(r)
}
