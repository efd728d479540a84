//! Who is calling (session cookie, API token, or nobody), log-in and log-out, problem
//! documents for errors, and the permission-checked REST endpoints under `/api/v1`.
//!
//! Every check is made here, on the server, against `bw_core::access`: a request outside
//! the caller's permissions, subtree or data class gets 403 and no data.
pub(crate) mod group;

use bw_core::refusal::Code;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use bw_app::browse::{self, PaymentFilter, WarningFilter};
use bw_app::users;
use bw_core::access::{Access, DataClass, Permission, Refusal, Scope};
use bw_core::org::OrgTree;
use bw_core::template::Kind;
use bw_core::{Date, Timestamp};
use bw_store::Store;
use serde_json::json;
use tokio::sync::RwLock;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "bw_session";
/// How old the cached organisation may be before it is read again.
const ORG_TTL_SECONDS: i64 = 5;

/// The server's shared state.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    org: Arc<RwLock<(Timestamp, Arc<OrgTree>)>>,
    /// New and escalated warnings, as the watcher finds them (`push`).
    pub events: tokio::sync::broadcast::Sender<bw_app::events::WarningEvent>,
    /// Computed figures by key, with the journal size they were computed at (`cached`).
    cache: Arc<std::sync::Mutex<HashMap<String, Cached>>>,
    /// A lock per key, held while a missing figure is computed, so that many requests
    /// arriving together for it compute it once (per key: a computation may need others).
    computing: Arc<std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    /// The queue of single payments to the group committer (`group`), started on first use.
    pub(crate) group: Arc<std::sync::OnceLock<tokio::sync::mpsc::Sender<group::Job>>>,
}

type Cached = (i64, Arc<dyn std::any::Any + Send + Sync>);

/// Cached figures kept at most; beyond, the cache starts afresh.
const CACHE_ENTRIES_MAX: usize = 1024;

impl App {
    pub fn new(store: Store) -> App {
        App {
            store,
            org: Arc::new(RwLock::new((Timestamp(i64::MIN), Arc::new(OrgTree::new())))),
            events: tokio::sync::broadcast::channel(1024).0,
            cache: Arc::default(),
            computing: Arc::default(),
            group: Arc::default(),
        }
    }

    /// The value `compute` gives for `key`, computed again only when the journal has grown
    /// since: every change of the data is a journal entry, so an unchanged journal size means
    /// unchanged figures. (Keys must hold every other input, "today" included.)
    pub async fn cached<T, F, Fut>(&self, key: String, compute: F) -> Result<Arc<T>, Problem>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, Problem>>,
    {
        let lookup = |size: i64| {
            let hit = self.cache.lock().ok().and_then(|c| c.get(&key).cloned());
            match hit {
                Some((at, value)) if at == size => value.downcast::<T>().ok(),
                _ => None,
            }
        };
        let size = self.store.journal_size().await.map_err(Problem::internal)?;
        if let Some(v) = lookup(size) {
            return Ok(v);
        }
        let flight = self.computing.lock().ok().map(|mut m| m.entry(key.clone()).or_default().clone());
        let _computing = match &flight {
            Some(f) => Some(f.lock().await),
            None => None,
        };
        // Another request may have computed it while this one waited.
        let size = self.store.journal_size().await.map_err(Problem::internal)?;
        if let Some(v) = lookup(size) {
            return Ok(v);
        }
        let v = Arc::new(compute().await?);
        if let Ok(mut c) = self.cache.lock() {
            if c.len() >= CACHE_ENTRIES_MAX {
                c.clear();
                if let Ok(mut m) = self.computing.lock() {
                    m.retain(|_, f| Arc::strong_count(f) > 1);
                }
            }
            c.insert(key, (size, v.clone()));
        }
        Ok(v)
    }

    /// The organisation, read again when older than a few seconds.
    pub async fn org(&self) -> Result<Arc<OrgTree>, Problem> {
        let now = crate::clock::now();
        {
            let g = self.org.read().await;
            if now.0.saturating_sub(g.0.0) < ORG_TTL_SECONDS {
                return Ok(g.1.clone());
            }
        }
        let tree = Arc::new(users::org_tree(&self.store).await.map_err(Problem::internal)?);
        *self.org.write().await = (now, tree.clone());
        Ok(tree)
    }
}

/// An error as an RFC 9457 problem document.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub title: String,
    pub detail: String,
    /// Field errors: `{field, message}` and, for rows of a file, `row` and `code`.
    pub errors: Vec<serde_json::Value>,
    /// The refusal code, when the problem is a refusal (the first in precedence order).
    pub code: Option<Code>,
    /// What a page tells a Chinese reader, where it differs from `detail`.
    pub zh: Option<String>,
}

impl Problem {
    pub fn new(status: StatusCode, title: &str, detail: impl Into<String>) -> Problem {
        // The refusals whose status is theirs alone carry their code.
        let code = match status {
            StatusCode::BAD_REQUEST => Some(Code::MalformedRequest),
            StatusCode::UNAUTHORIZED => Some(Code::Unauthorized),
            StatusCode::FORBIDDEN => Some(Code::Forbidden),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Some(Code::UnsupportedMediaType),
            StatusCode::SERVICE_UNAVAILABLE => Some(Code::Busy),
            _ => None,
        };
        Problem { status, title: title.into(), detail: detail.into(), errors: Vec::new(), code, zh: None }
    }

    /// A refusal with `code`: its status comes from the code.
    pub fn refusal(code: Code, detail: impl Into<String>) -> Problem {
        let status = StatusCode::from_u16(code.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
        Problem {
            status,
            title: code.id().replace('_', " "),
            detail: detail.into(),
            errors: Vec::new(),
            code: Some(code),
            zh: None,
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "bad request", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not found", detail)
    }

    pub fn internal(e: impl std::fmt::Display) -> Problem {
        // Details go to the log, not to the client.
        eprintln!("error: {e}");
        let mut p =
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error", "the server failed; the log says why");
        p.zh = Some("服务器出错，详情已写入日志。".into());
        p
    }

    fn slug(&self) -> &'static str {
        match self.status {
            StatusCode::BAD_REQUEST => "bad-request",
            StatusCode::UNAUTHORIZED => "unauthorized",
            StatusCode::FORBIDDEN => "forbidden",
            StatusCode::NOT_FOUND => "not-found",
            StatusCode::CONFLICT => "conflict",
            StatusCode::UNPROCESSABLE_ENTITY => "invalid",
            StatusCode::TOO_MANY_REQUESTS => "locked",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
            _ => "server-error",
        }
    }
}

impl From<Refusal> for Problem {
    fn from(r: Refusal) -> Problem {
        let mut p = Problem::new(StatusCode::FORBIDDEN, "forbidden", r.to_string());
        p.zh = Some(r.zh());
        p
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = ProblemDoc {
            kind: match self.code {
                Some(c) => format!("https://budgetwatch.invalid/problems/{}", c.id()),
                None => format!("https://budgetwatch.invalid/problems/{}", self.slug()),
            },
            title: self.title,
            status: self.status.as_u16(),
            detail: self.detail,
            code: self.code.map(|c| c.id().to_string()),
            errors: self.errors,
        };
        let mut r = (self.status, Json(body)).into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        r
    }
}

/// How the caller proved who they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    Anonymous,
    Session { csrf: String },
    Token,
}

/// The caller of a request and what they may do today.
#[derive(Clone, Debug)]
pub struct Caller {
    pub access: Access,
    pub via: Via,
}

impl Caller {
    /// The context of what the caller does: as `user:NAME`, now, today in the installation's
    /// zone, with `reason` (the action's own default when `None`) and fresh randomness.
    pub(crate) fn ctx(&self, reason: Option<String>) -> Result<bw_app::Ctx, Problem> {
        Ok(bw_app::Ctx {
            actor: format!("user:{}", self.access.user),
            at: crate::clock::now(),
            today: crate::clock::today(),
            reason,
            entropy: crate::clock::random_seed().map_err(Problem::internal)?,
        })
    }

    /// The session's CSRF token; empty for an API token or nobody.
    pub(crate) fn csrf(&self) -> &str {
        match &self.via {
            Via::Session { csrf } => csrf,
            _ => "",
        }
    }

    pub fn user(&self) -> Option<&str> {
        if self.access.user.is_empty() { None } else { Some(&self.access.user) }
    }

    /// Whether the caller may take `step` on warning `w` with its `history`: the one
    /// decision (`bw_app::guard::may_step`) the API and the warning's page both take.
    pub(crate) fn may_step(
        &self,
        org: &OrgTree,
        w: &bw_app::monitor::Warning,
        history: &[serde_json::Value],
        step: bw_rules::workflow::Step,
    ) -> Result<(), Problem> {
        let path = Caller::path(org, w.unit_code.as_deref().or(w.region_code.as_deref()).unwrap_or_default());
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        let actor = format!("user:{}", self.access.user);
        bw_app::guard::may_step(&self.access, &path, &w.level, history, &actor, step).map_err(Problem::from)
    }

    /// Whether the caller holds `p` on a scope named by its kind and code (a risk's): an
    /// organisation node by the tree; a project or an indicator only with a grant over
    /// everything. The one decision the risk pages and the risk API take.
    pub(crate) fn reaches_scope(&self, org: &OrgTree, kind: &str, code: &str, p: Permission) -> bool {
        match kind {
            "region" | "department" | "unit" => self.check(org, p, code).is_ok(),
            _ => self.access.scopes(p).contains(&Scope::All),
        }
    }

    /// The codes from `code` up to the root.
    fn path(org: &OrgTree, code: &str) -> Vec<String> {
        let p: Vec<String> = org.ancestors(code).iter().map(|n| n.code.clone()).collect();
        if p.is_empty() { vec![code.to_string()] } else { p }
    }

    pub fn check(&self, org: &OrgTree, p: Permission, code: &str) -> Result<(), Problem> {
        let path = Caller::path(org, code);
        let refs: Vec<&str> = path.iter().map(String::as_str).collect();
        self.access.check(p, &refs).map_err(Problem::from)
    }

    pub fn class_at(&self, org: &OrgTree, code: &str) -> DataClass {
        let path = Caller::path(org, code);
        let refs: Vec<&str> = path.iter().map(String::as_str).collect();
        self.access.class_at(&refs)
    }

    /// The org nodes of `kind` (all kinds when `None`) where the caller may do `p`; `None`
    /// when a grant reaches everything.
    pub fn nodes(&self, org: &OrgTree, p: Permission, unit_only: bool) -> Result<Option<Vec<String>>, Problem> {
        let scopes = self.access.scopes(p);
        if scopes.is_empty() {
            return Err(Refusal::NoPermission(p).into());
        }
        if scopes.contains(&Scope::All) {
            return Ok(None);
        }
        let mut out: Vec<String> = org
            .nodes()
            .filter(|n| !unit_only || n.kind == bw_core::org::OrgKind::Unit)
            .filter(|n| {
                let path = Caller::path(org, &n.code);
                let refs: Vec<&str> = path.iter().map(String::as_str).collect();
                scopes.iter().any(|s| s.reaches(&refs))
            })
            .map(|n| n.code.clone())
            .collect();
        out.sort();
        Ok(Some(out))
    }
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

impl FromRequestParts<App> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Caller, Problem> {
        Caller::resolve(app, &parts.headers, &parts.method, parts.uri.path()).await
    }
}

impl Caller {
    /// Who the credentials in `headers` belong to today (the extractor's work, also repeated
    /// by long-lived streams so that a revoked grant or token stops them).
    pub async fn resolve(app: &App, headers: &HeaderMap, method: &Method, path: &str) -> Result<Caller, Problem> {
        let now = crate::clock::now();
        let today = crate::clock::today();
        if let Some(auth) = headers.get(header::AUTHORIZATION) {
            let secret = auth.to_str().ok().and_then(|a| a.strip_prefix("Bearer ")).map(str::trim).unwrap_or("");
            return match users::token_access(&app.store, secret, today).await.map_err(Problem::internal)? {
                Some(access) => Ok(Caller { access, via: Via::Token }),
                None => Err(Problem::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "the API token is unknown, revoked or expired",
                )),
            };
        }
        if let Some(secret) = cookie(headers, SESSION_COOKIE)
            && let Some((user, csrf)) = users::session(&app.store, &secret, now).await.map_err(Problem::internal)?
        {
            let access = users::access(&app.store, &user, today).await.map_err(Problem::internal)?;
            let caller = Caller { access, via: Via::Session { csrf: csrf.clone() } };
            // A change made with a session cookie must carry the session's CSRF token: in a
            // header for the API, whatever the body's type (a phishing page can post a form
            // to any URL); the pages' own forms carry it in a field their handlers check.
            let changes = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
            let form = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
            let page_form = form && !path.starts_with("/api/");
            if changes && !page_form {
                let given = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
                if given != csrf {
                    return Err(Problem::new(StatusCode::FORBIDDEN, "forbidden", "missing or wrong X-CSRF-Token"));
                }
            }
            return Ok(caller);
        }
        Ok(Caller { access: Access::anonymous(), via: Via::Anonymous })
    }
}

/// One write at a time from this server. The database serialises writers anyway, and a
/// write (an import with its rules) may read through a second pooled connection while it
/// holds its own: writers taking connections side by side could exhaust the pool and wait
/// on each other until it times out.
static WRITES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs the write `f` on a blocking thread with this runtime's handle, one write at a time:
/// for the services whose futures are not `Send` (their journal closures borrow across
/// awaits) and that are CPU work besides.
pub(crate) async fn off_thread<T: Send + 'static>(
    f: impl FnOnce(tokio::runtime::Handle) -> T + Send + 'static,
) -> Result<T, Problem> {
    let _one_writer = WRITES.lock().await;
    let rt = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || f(rt)).await.map_err(Problem::internal)
}

/// A signed-in caller, or 401.
pub(crate) fn signed_in(c: &Caller) -> Result<(), Problem> {
    match c.via {
        Via::Anonymous => Err(Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "log in, or send an API token")),
        _ => Ok(()),
    }
}

/// Log-in and log-out (pages, not part of the API document).
pub fn routes() -> Router<App> {
    Router::new().route("/login", get(login_page).post(login)).route("/logout", post(logout))
}

/// The REST API, each route with its OpenAPI description taken from its handler.
pub fn documented() -> OpenApiRouter<App> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(me))
        .routes(routes!(units))
        .routes(routes!(list_payments, post_payment))
        .routes(routes!(post_payments_batch))
        .routes(routes!(post_revenue))
        .routes(routes!(post_revenues_batch))
        .routes(routes!(export_payments))
        .routes(routes!(export_warnings))
        .routes(routes!(one_payment))
        .routes(routes!(list_warnings))
        .routes(routes!(one_warning))
        .routes(routes!(warning_step))
        .routes(routes!(warning_history))
        .routes(routes!(list_findings))
        .routes(routes!(one_finding))
        .routes(routes!(finding_step))
        .routes(routes!(finding_history))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "budgetwatch", description = "Budget supervision and feedback: the REST API (docs/API.md). Errors are RFC 9457 problem documents."),
    components(schemas(ProblemDoc)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// An error (RFC 9457).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ProblemDoc {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    kind: String,
    title: String,
    status: u16,
    detail: String,
    /// The refusal code (docs/API.md, "Refusal codes"), when the problem is a refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    /// Field errors: `{field, message}`, and `row` and `code` for a record of a batch.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    errors: Vec<serde_json::Value>,
}

// ---- log-in ----

#[derive(serde::Deserialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    /// What was just done (a registration), shown above the form.
    #[serde(default)]
    done: String,
}

fn login_html(error: &str, next: &str) -> String {
    login_page_html(Some(error).filter(|e| !e.is_empty()), None, next)
}

fn login_page_html(error: Option<&str>, done: Option<&str>, next: &str) -> String {
    crate::templates::render("login.html", minijinja::context! { error => error, done => done, next => next })
}

async fn login_page(Query(q): Query<LoginForm>) -> Html<String> {
    if q.done.is_empty() { Html(login_html("", &q.next)) } else { Html(login_page_html(None, Some(&q.done), &q.next)) }
}

/// Where a role's daily work is, for a log-in that names no other page: the audit for the
/// audit roles, the accounts for the administrator, the one unit or department read for those
/// who read one subtree, the portal for the public, the cockpit for the rest.
fn landing(access: &Access) -> String {
    if access.has(Permission::RunAudit) {
        return "/audit".into();
    }
    if access.has(Permission::ManageUsers) {
        return "/admin/users".into();
    }
    match access.scopes(Permission::ReadBudget).as_slice() {
        [] => "/public".into(),
        [Scope::All] => "/".into(),
        [one] => format!("/org/{}", crate::text::segment(one.as_str())),
        _ => "/".into(),
    }
}

/// Where to go after log-in: a path of this site only. Browsers drop tabs and line breaks
/// from a URL (`/\t/evil.example/` becomes `//evil.example/`, another site) and a line break
/// cannot go into a header at all, so anything but printable ASCII — or a second slash or
/// backslash at the start — sends the user to `/`.
fn local_path(next: &str) -> &str {
    let b = next.as_bytes();
    let printable = b.iter().all(|c| (0x21..0x7f).contains(c) && *c != b'\\');
    if printable && b.first() == Some(&b'/') && b.get(1) != Some(&b'/') { next } else { "/" }
}

/// A CSV cell a spreadsheet will not run: text starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return gets a leading `'` (OWASP's advice against CSV injection). Numbers — a
/// refund's `-12.50` — stay numbers.
fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number = cell.strip_prefix(['-', '+']).is_some_and(|n| {
        !n.is_empty()
            && n.bytes().all(|c| c.is_ascii_digit() || c == b'.')
            && n.bytes().filter(|c| *c == b'.').count() <= 1
    });
    if risky && !number { std::borrow::Cow::Owned(format!("'{cell}")) } else { std::borrow::Cow::Borrowed(cell) }
}

/// Where a request came from, for log-in throttling: the peer's address, or — when the peer
/// is this machine, i.e. a reverse proxy in front of the server — the address the proxy
/// appended last to `X-Forwarded-For` (earlier entries are the client's to forge).
pub(crate) fn source(ext: &axum::http::Extensions, headers: &HeaderMap) -> String {
    let peer = ext.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    let forwarded = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse::<std::net::IpAddr>().ok());
    match (peer, forwarded) {
        (Some(p), Some(f)) if p.is_loopback() => f.to_string(),
        (Some(p), _) => p.to_string(),
        (None, _) => "unknown".into(),
    }
}

async fn login(
    State(app): State<App>,
    ext: axum::http::Extensions,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let now = crate::clock::now();
    let Ok(entropy) = crate::clock::random_seed() else {
        return Problem::internal("no randomness for the session").into_response();
    };
    let source = source(&ext, &headers);
    match users::login(&app.store, f.user.trim(), &f.password, &source, now, entropy).await {
        Ok(s) => {
            // Secure when the request came over HTTPS (directly or through a proxy).
            let https = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https");
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
                s.secret,
                users::SESSION_SECONDS,
                if https { "; Secure" } else { "" }
            );
            let to = match f.next.as_str() {
                "" | "/" => match users::access(&app.store, f.user.trim(), crate::clock::today()).await {
                    Ok(access) => landing(&access),
                    Err(e) => return Problem::internal(e).into_response(),
                },
                next => local_path(next).to_string(),
            };
            let mut r = Redirect::to(&to).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        Err(users::LoginError::Store(e)) => Problem::internal(e).into_response(),
        // The page is bilingual, as its labels are.
        Err(e @ users::LoginError::Locked(until)) => {
            let zh = format!("登录失败次数过多，请于 {} 后再试。", crate::clock::local_time(until));
            (StatusCode::TOO_MANY_REQUESTS, Html(login_html(&format!("{zh} {e}"), &f.next))).into_response()
        }
        Err(e) => {
            (StatusCode::UNAUTHORIZED, Html(login_html(&format!("用户名或密码错误。{e}"), &f.next))).into_response()
        }
    }
}

#[derive(serde::Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(State(app): State<App>, headers: HeaderMap, caller: Caller, Form(f): Form<CsrfForm>) -> Response {
    if let Via::Session { csrf } = &caller.via {
        if *csrf != f.csrf {
            return Problem::new(StatusCode::FORBIDDEN, "forbidden", "missing or wrong CSRF token").into_response();
        }
        if let Some(secret) = cookie(&headers, SESSION_COOKIE)
            && let Err(e) = users::logout(&app.store, &secret).await
        {
            return Problem::internal(e).into_response();
        }
    }
    let mut r = Redirect::to("/").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("bw_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    r
}

#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", responses((status = 200, description = "the caller, their grants, permissions and CSRF token", body = Object)))]
async fn me(caller: Caller) -> Result<Json<serde_json::Value>, Problem> {
    let perms: Vec<String> = bw_core::access::Role::ALL
        .iter()
        .flat_map(|r| r.permissions().iter().copied())
        .filter(|p| caller.access.has(*p))
        .map(users::permission_id)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let grants: Vec<serde_json::Value> = caller
        .access
        .grants
        .iter()
        .map(|g| json!({"role": g.role.id(), "level": g.role.level(), "scope": g.scope.as_str(), "until": g.until.map(|d| d.to_string())}))
        .collect();
    let csrf = match &caller.via {
        Via::Session { csrf } => Some(csrf.clone()),
        _ => None,
    };
    Ok(Json(json!({
        "user": caller.user(),
        "via": match caller.via { Via::Anonymous => "anonymous", Via::Session { .. } => "session", Via::Token => "token" },
        "grants": grants,
        "permissions": perms,
        "csrf_token": csrf,
    })))
}

/// The organisation: public (names and codes of regions, departments and units).
#[utoipa::path(get, path = "/api/v1/units", tag = "organisation", responses((status = 200, description = "regions, departments and units", body = Object)))]
async fn units(State(app): State<App>) -> Result<Json<serde_json::Value>, Problem> {
    let org = app.org().await?;
    let mut nodes: Vec<&bw_core::org::OrgNode> = org.nodes().collect();
    nodes.sort_by(|a, b| a.code.cmp(&b.code));
    let items: Vec<serde_json::Value> = nodes
        .iter()
        .map(|n| json!({"code": n.code, "name": n.name, "parent_code": n.parent_code, "kind": n.kind.as_str(), "level": n.level.map(|l| l.as_str())}))
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// A page of payments: pass `next` as `after` for the next one.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct PaymentPage {
    items: Vec<bw_app::browse::PaymentRow>,
    next: Option<String>,
}

/// A page of warnings.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct WarningPage {
    items: Vec<bw_app::browse::WarningRow>,
    next: Option<String>,
}

/// What an ingestion recorded.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct IngestReport {
    pub(crate) rows: u64,
    pub(crate) added: u64,
    pub(crate) unchanged: u64,
    pub(crate) held: usize,
    pub(crate) batch: Option<i64>,
    /// Notes of the validation (a payment accepted over its balance under control `warn`).
    pub(crate) notes: Vec<String>,
    /// The warnings the payments raised or changed.
    pub(crate) warnings: Vec<bw_app::browse::WarningRow>,
}

#[derive(serde::Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PaymentQuery {
    unit: Option<String>,
    indicator: Option<String>,
    from: Option<String>,
    to: Option<String>,
    after: Option<String>,
    limit: Option<usize>,
}

fn date_param(name: &str, v: &Option<String>) -> Result<Option<Date>, Problem> {
    v.as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| Date::parse(s).map_err(|e| field_problem(name, &e.to_string())))
        .transpose()
}

/// A fiscal year as the API takes it: four digits, 1900 to 9999 (beyond them the years
/// around it — the next cycle, the outer years of a plan — would not exist).
pub(crate) fn fiscal_year(year: i32) -> Result<i32, Problem> {
    if (1900..=9999).contains(&year) { Ok(year) } else { Err(field_problem("year", "a year from 1900 to 9999")) }
}

pub(crate) fn field_problem(field: &str, message: &str) -> Problem {
    let mut p = Problem::bad_request(format!("{field}: {message}"));
    p.errors.push(json!({"field": field, "message": message}));
    p
}

/// Hides an individual payee's name and account from a caller below the personal class
/// there, and a classified project's payment altogether from a caller below the classified
/// class there.
pub(crate) fn mask(
    caller: &Caller,
    org: &OrgTree,
    classified: &HashSet<String>,
    mut p: browse::PaymentRow,
) -> Option<browse::PaymentRow> {
    if hidden(caller, org, classified, &p.unit_code, &p.indicator_code) {
        return None;
    }
    if p.payee_type == "individual" && caller.class_at(org, &p.unit_code) < DataClass::Personal {
        p.payee_name = None;
        p.payee_account = None;
    }
    Some(p)
}

/// The indicators of classified projects (read again when the journal has grown).
pub(crate) async fn classified(app: &App) -> Result<Arc<HashSet<String>>, Problem> {
    app.cached("classified".into(), || async {
        bw_app::classified::indicators(&app.store).await.map_err(Problem::internal)
    })
    .await
}

/// Whether `code` of `unit` — an indicator or a payment on it, or a project, as `classified`
/// holds indicators or projects — is hidden from the caller: it is classified (涉密) and the
/// caller's class there is below classified.
pub(crate) fn hidden(caller: &Caller, org: &OrgTree, classified: &HashSet<String>, unit: &str, code: &str) -> bool {
    classified.contains(code) && caller.class_at(org, unit) < DataClass::Classified
}

#[utoipa::path(get, path = "/api/v1/payments", tag = "payments", params(PaymentQuery), security((), ("token" = [])), responses((status = 200, description = "a page of payments", body = PaymentPage), (status = 400, description = "a malformed parameter", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions, scope or class", body = ProblemDoc)))]
async fn list_payments(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<PaymentQuery>,
) -> Result<Json<serde_json::Value>, Problem> {
    signed_in(&caller)?;
    let org = app.org().await?;
    let units = caller.nodes(&org, Permission::ReadPayments, true)?;
    if let Some(u) = q.unit.as_deref().filter(|u| !u.is_empty()) {
        caller.check(&org, Permission::ReadPayments, u)?;
    }
    let after = match q.after.as_deref().filter(|a| !a.is_empty()) {
        Some(a) => Some(
            a.split_once('/')
                .map(|(v, u)| (v.to_string(), u.to_string()))
                .ok_or_else(|| field_problem("after", "a cursor voucher_no/unit_code, as `next` gives it"))?,
        ),
        None => None,
    };
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > browse::PAGE_MAX {
        return Err(field_problem("limit", &format!("1 to {}", browse::PAGE_MAX)));
    }
    let f = PaymentFilter {
        units,
        unit: q.unit.filter(|u| !u.is_empty()),
        indicator: q.indicator.filter(|i| !i.is_empty()),
        from: date_param("from", &q.from)?,
        to: date_param("to", &q.to)?,
        after,
        limit,
    };
    let (items, next) = browse::payments(&app.store, &f).await.map_err(Problem::internal)?;
    let cls = classified(&app).await?;
    let items: Vec<browse::PaymentRow> = items.into_iter().filter_map(|p| mask(&caller, &org, &cls, p)).collect();
    Ok(Json(json!(PaymentPage { items, next })))
}

#[utoipa::path(get, path = "/api/v1/payments/{unit}/{voucher}", tag = "payments", params(("unit" = String, Path, description = "unit code"), ("voucher" = String, Path, description = "voucher number")), security((), ("token" = [])), responses((status = 200, description = "the payment", body = bw_app::browse::PaymentRow), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions, scope or class", body = ProblemDoc), (status = 404, description = "no such payment in the caller's scope", body = ProblemDoc)))]
async fn one_payment(
    State(app): State<App>,
    caller: Caller,
    Path((unit, voucher)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, Problem> {
    signed_in(&caller)?;
    let org = app.org().await?;
    // The scope is checked before anything is looked up: a guess outside it learns nothing.
    caller.check(&org, Permission::ReadPayments, &unit)?;
    let f = PaymentFilter {
        unit: Some(unit.clone()),
        after: Some((voucher.clone(), String::new())),
        limit: 1,
        ..PaymentFilter::default()
    };
    let (items, _) = browse::payments(&app.store, &f).await.map_err(Problem::internal)?;
    let cls = classified(&app).await?;
    match items.into_iter().find(|p| p.voucher_no == voucher).and_then(|p| mask(&caller, &org, &cls, p)) {
        Some(p) => Ok(Json(json!(p))),
        None => Err(Problem::not_found(format!("no payment {voucher} of unit {unit}"))),
    }
}

#[derive(serde::Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct WarningQuery {
    state: Option<String>,
    rule: Option<String>,
    level: Option<String>,
    /// `warning` (the monitoring rules'), `finding` (the audit's) or empty for both.
    kind: Option<String>,
    after: Option<i64>,
    limit: Option<usize>,
}

/// `Some(true)` for findings, `Some(false)` for warnings, `None` for both.
fn kind_param(kind: Option<&str>) -> Result<Option<bool>, Problem> {
    match kind.unwrap_or("") {
        "" => Ok(None),
        "finding" => Ok(Some(true)),
        "warning" => Ok(Some(false)),
        _ => Err(field_problem("kind", "warning or finding")),
    }
}

#[utoipa::path(get, path = "/api/v1/warnings", tag = "warnings", params(WarningQuery), security((), ("token" = [])), responses((status = 200, description = "a page of warnings", body = WarningPage), (status = 400, description = "a malformed parameter", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions, scope or class", body = ProblemDoc)))]
async fn list_warnings(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<WarningQuery>,
) -> Result<Json<serde_json::Value>, Problem> {
    let findings = kind_param(q.kind.as_deref())?;
    warning_list(&app, &caller, q, findings).await
}

#[utoipa::path(get, path = "/api/v1/findings", tag = "findings", params(WarningQuery), security((), ("token" = [])), responses((status = 200, description = "a page of the audit's findings (the inbox's items raised by `budgetwatch audit`)", body = WarningPage), (status = 400, description = "a malformed parameter", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions, scope or class", body = ProblemDoc)))]
async fn list_findings(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<WarningQuery>,
) -> Result<Json<serde_json::Value>, Problem> {
    if kind_param(q.kind.as_deref())? == Some(false) {
        return Err(field_problem("kind", "only finding here"));
    }
    warning_list(&app, &caller, q, Some(true)).await
}

async fn warning_list(
    app: &App,
    caller: &Caller,
    q: WarningQuery,
    findings: Option<bool>,
) -> Result<Json<serde_json::Value>, Problem> {
    signed_in(caller)?;
    let org = app.org().await?;
    let nodes = caller.nodes(&org, Permission::ReadWarnings, false)?;
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > browse::PAGE_MAX {
        return Err(field_problem("limit", &format!("1 to {}", browse::PAGE_MAX)));
    }
    let f = WarningFilter {
        units: nodes.clone(),
        regions: nodes,
        state: q.state.filter(|s| !s.is_empty()),
        rule: q.rule.filter(|s| !s.is_empty()),
        level: q.level.filter(|s| !s.is_empty()),
        findings,
        after: q.after,
        limit,
        ..WarningFilter::default()
    };
    let (items, next) = browse::warnings(&app.store, &f).await.map_err(Problem::internal)?;
    Ok(Json(json!(WarningPage { items, next })))
}

#[utoipa::path(get, path = "/api/v1/warnings/{id}", tag = "warnings", params(("id" = i64, Path, description = "warning id")), security((), ("token" = [])), responses((status = 200, description = "the warning", body = bw_app::browse::WarningRow), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions, scope or class", body = ProblemDoc)))]
async fn one_warning(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, Problem> {
    one_item(&app, &caller, id, None).await
}

#[utoipa::path(get, path = "/api/v1/findings/{id}", tag = "findings", params(("id" = i64, Path, description = "finding id (an item of the inbox)")), security((), ("token" = [])), responses((status = 200, description = "the finding", body = bw_app::browse::WarningRow), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions, scope or class", body = ProblemDoc), (status = 404, description = "the item is a monitoring warning, not a finding", body = ProblemDoc)))]
async fn one_finding(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, Problem> {
    one_item(&app, &caller, id, Some(true)).await
}

async fn one_item(
    app: &App,
    caller: &Caller,
    id: i64,
    findings: Option<bool>,
) -> Result<Json<serde_json::Value>, Problem> {
    warning_in_reach(app, caller, id, Permission::ReadWarnings).await?;
    let f = WarningFilter { after: Some(id - 1), limit: 1, findings, ..WarningFilter::default() };
    let (items, _) = browse::warnings(&app.store, &f).await.map_err(Problem::internal)?;
    items.into_iter().find(|w| w.id == id).map(|w| Json(json!(w))).ok_or_else(|| {
        Problem::not_found(format!("no {} {id}", if findings == Some(true) { "finding" } else { "warning" }))
    })
}

/// The warning `id` when the caller may do `p` on it; 403 when it is outside the caller's
/// reach or does not exist (the two look alike).
pub(crate) async fn warning_in_reach(app: &App, caller: &Caller, id: i64, p: Permission) -> Result<(), Problem> {
    signed_in(caller)?;
    if !caller.access.has(p) {
        return Err(Refusal::NoPermission(p).into());
    }
    let org = app.org().await?;
    let Some((unit, region)) = browse::warning_owner(&app.store, id).await.map_err(Problem::internal)? else {
        return Err(Refusal::OutOfScope(p, format!("warning {id}")).into());
    };
    caller.check(&org, p, &unit.or(region).unwrap_or_default())
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
struct StepBody {
    step: String,
    #[serde(default)]
    note: String,
    /// Money returned to the treasury by the rectification, in yuan.
    #[serde(default)]
    returned: Option<String>,
    /// Documents attached to the warning first (`POST /api/v1/warnings/{id}/attachments`)
    /// that this step names, by id.
    #[serde(default)]
    attachments: Vec<i64>,
}

#[utoipa::path(post, path = "/api/v1/warnings/{id}/steps", tag = "warnings", params(("id" = i64, Path, description = "warning id")), request_body = StepBody, security((), ("token" = [])), responses((status = 200, description = "the step was taken", body = Object), (status = 400, description = "a malformed parameter", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions, scope or class", body = ProblemDoc), (status = 409, description = "the warning's state does not allow the step", body = ProblemDoc)))]
async fn warning_step(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(b): Json<StepBody>,
) -> Result<Json<serde_json::Value>, Problem> {
    let state = take_step(&app, &caller, id, &b.step, &b.note, b.returned.as_deref(), &b.attachments).await?;
    Ok(Json(json!({ "id": id, "step": b.step, "state": state })))
}

#[utoipa::path(post, path = "/api/v1/findings/{id}/steps", tag = "findings", params(("id" = i64, Path, description = "finding id")), request_body = StepBody, security((), ("token" = [])), responses((status = 200, description = "the step was taken", body = Object), (status = 400, description = "a malformed parameter", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions, scope or class", body = ProblemDoc), (status = 404, description = "the item is a monitoring warning, not a finding", body = ProblemDoc), (status = 409, description = "the finding's state does not allow the step", body = ProblemDoc)))]
async fn finding_step(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(b): Json<StepBody>,
) -> Result<Json<serde_json::Value>, Problem> {
    let _ = one_item(&app, &caller, id, Some(true)).await?;
    let state = take_step(&app, &caller, id, &b.step, &b.note, b.returned.as_deref(), &b.attachments).await?;
    Ok(Json(json!({ "id": id, "step": b.step, "state": state })))
}

/// One step of warning `id`'s loop by the caller: the step's permission on the warning,
/// four eyes against the step it judges, then the journaled step. The new state.
pub(crate) async fn take_step(
    app: &App,
    caller: &Caller,
    id: i64,
    step: &str,
    note: &str,
    returned: Option<&str>,
    attachments: &[i64],
) -> Result<String, Problem> {
    let step = bw_rules::workflow::Step::parse(step).ok_or_else(|| {
        let names: Vec<&str> = bw_rules::workflow::Step::ALL.iter().map(|s| s.name()).collect();
        field_problem("step", &format!("one of {}", names.join(", ")))
    })?;
    warning_in_reach(app, caller, id, bw_app::guard::step_permission(step)).await?;
    let Some(w) = bw_app::monitor::warning(&app.store, id).await.map_err(Problem::internal)? else {
        return Err(Problem::not_found(format!("no warning {id}")));
    };
    let history = bw_app::monitor::history(&app.store, id).await.map_err(Problem::internal)?;
    caller.may_step(&*app.org().await?, &w, &history, step)?;
    if step == bw_rules::workflow::Step::Dismiss && note.trim().is_empty() {
        return Err(field_problem("note", "a dismissal states its reason"));
    }
    // The attachments a step names: documents attached to this warning, by id.
    let mut files = Vec::new();
    if !attachments.is_empty() {
        use bw_app::documents::{self, DocKind};
        let attached = documents::list(&app.store, DocKind::WarningAttachment, &documents::warning_subject(id))
            .await
            .map_err(Problem::internal)?;
        for doc in attachments {
            let Some(d) = attached.iter().find(|d| d.id == *doc) else {
                return Err(field_problem("attachments", &format!("document {doc} is not attached to warning {id}")));
            };
            files.push((d.name.clone(), d.sha256.clone()));
        }
    }
    let returned = match returned.filter(|r| !r.is_empty()) {
        Some(r) => bw_core::Money::parse_yuan(r).map_err(|e| field_problem("returned", &e.to_string()))?,
        None => bw_core::Money::from_fen(0),
    };
    let ctx = caller.ctx(Some(format!("{} on warning {id}", step.name())))?;
    let (store, note) = (app.store.clone(), note.to_string());
    let stepped =
        off_thread(move |rt| rt.block_on(bw_app::monitor::step(&store, &ctx, id, step, &note, &files, returned)))
            .await?;
    match stepped {
        Ok(state) => Ok(state),
        Err(bw_app::journal::ActionError::Invalid(m)) => Err(Problem::new(StatusCode::CONFLICT, "conflict", m)),
        Err(e) => Err(Problem::internal(e)),
    }
}

#[utoipa::path(get, path = "/api/v1/warnings/{id}/history", tag = "warnings", params(("id" = i64, Path, description = "warning id")), security((), ("token" = [])), responses((status = 200, description = "every step taken", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions, scope or class", body = ProblemDoc)))]
async fn warning_history(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, Problem> {
    warning_in_reach(&app, &caller, id, Permission::ReadWarnings).await?;
    let events = bw_app::monitor::history(&app.store, id).await.map_err(Problem::internal)?;
    Ok(Json(json!({ "id": id, "events": events })))
}

#[utoipa::path(get, path = "/api/v1/findings/{id}/history", tag = "findings", params(("id" = i64, Path, description = "finding id")), security((), ("token" = [])), responses((status = 200, description = "every step taken", body = Object), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions, scope or class", body = ProblemDoc), (status = 404, description = "the item is a monitoring warning, not a finding", body = ProblemDoc)))]
async fn finding_history(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, Problem> {
    let _ = one_item(&app, &caller, id, Some(true)).await?;
    let events = bw_app::monitor::history(&app.store, id).await.map_err(Problem::internal)?;
    Ok(Json(json!({ "id": id, "events": events })))
}

// ---- ingestion ----

/// Records in the payments template's columns, as strings.
pub(crate) type Records = Vec<serde_json::Map<String, serde_json::Value>>;

pub(crate) fn cell_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Checks that every record of `records` has known and required fields and that the caller
/// may record for its unit (a revenue: its region).
pub(crate) async fn precheck(
    app: &App,
    caller: &Caller,
    kind: Kind,
    records: &Records,
    source: &str,
) -> Result<(), Problem> {
    signed_in(caller)?;
    if records.is_empty() {
        return Err(Problem::bad_request(format!("no {} in the request", kind.as_str())));
    }
    let org = app.org().await?;
    let columns: Vec<&str> = kind.columns().iter().map(|c| c.name).collect();
    // Whose record it is: a payment's unit, a revenue's region.
    let owner = if kind == Kind::Revenues { "region_code" } else { "unit_code" };
    for (i, r) in records.iter().enumerate() {
        if let Some(k) = r.keys().find(|k| !columns.contains(&k.as_str())) {
            let mut p = Problem::refusal(Code::UnknownColumn, format!("{source}:{}: unknown field {k}", i + 1));
            let message = format!("not a column of the {} template", kind.as_str());
            p.errors.push(json!({"row": i + 1, "field": k, "code": Code::UnknownColumn.id(), "message": message}));
            return Err(p);
        }
        // A record without a required field is invalid whoever sends it: named before the
        // permission on its (missing) unit is looked at.
        let missing: Vec<&str> =
            kind.columns().iter().filter(|c| c.required && !r.contains_key(c.name)).map(|c| c.name).collect();
        if !missing.is_empty() {
            let mut p = Problem::refusal(
                Code::MissingValue,
                format!("{source}:{}: missing required field(s) {}", i + 1, missing.join(", ")),
            );
            for m in &missing {
                let code = Code::MissingValue.id();
                p.errors.push(json!({"row": i + 1, "field": m, "code": code, "message": "missing required field"}));
            }
            return Err(p);
        }
        let code = r.get(owner).map(cell_text).unwrap_or_default();
        caller.check(&org, Permission::Ingest, code.trim())?;
    }
    Ok(())
}

/// A refused import's rows, numbered as the request's records (record n is file row n + 1).
pub(crate) type Refusals = Vec<(u64, Option<String>, Code, String)>;

/// Imports `records` as one file (same validation, idempotency and journal as `budgetwatch
/// import`): the report with notes naming the request's records, or every refusal.
pub(crate) async fn import_records(
    app: &App,
    ctx: bw_app::Ctx,
    kind: Kind,
    records: &Records,
    source: &str,
) -> Result<Result<bw_app::import::ImportReport, (Refusals, usize)>, Problem> {
    let header: Vec<String> = kind.columns().iter().map(|c| c.name.to_string()).collect();
    let rows: Vec<Vec<String>> =
        records.iter().map(|r| header.iter().map(|c| r.get(c).map(cell_text).unwrap_or_default()).collect()).collect();
    let store = app.store.clone();
    let name = source.to_string();
    let imported = off_thread(move |rt| {
        let opts = bw_app::import::ImportOptions { outcomes: true, resident: true, ..Default::default() };
        rt.block_on(bw_app::import::import_rows(&store, &ctx, kind, &name, header, rows, &opts))
    })
    .await?;
    // Row n of the request is row n + 1 of the file it stands for (the header is row 1).
    let prefix = format!("{source}:");
    let renumber = |note: String| match note.strip_prefix(&prefix).and_then(|rest| rest.split_once(':')) {
        Some((row, rest)) => match row.parse::<u64>() {
            Ok(n) => format!("{source}:{}:{rest}", n.saturating_sub(1)),
            Err(_) => note,
        },
        None => note,
    };
    match imported {
        Ok(mut r) => {
            r.warnings = r.warnings.into_iter().map(renumber).collect();
            for (row, _) in &mut r.outcomes {
                *row = row.saturating_sub(1);
            }
            Ok(Ok(r))
        }
        Err(bw_app::import::ImportError::Rejected { errors, more, .. }) => Ok(Err((
            errors.into_iter().map(|e| (e.row.saturating_sub(1), e.column, e.code, e.message)).collect(),
            more,
        ))),
        Err(e) => Err(Problem::internal(e)),
    }
}

/// A refusal as a problem: "`n` error(s); nothing was recorded", each error by record with
/// its code; the problem's code (and so its status) is the first in precedence order.
pub(crate) fn refused(errors: Refusals, more: usize) -> Problem {
    let code = Code::first(errors.iter().map(|e| e.2)).unwrap_or(Code::InvalidValue);
    let mut p = Problem::refusal(code, format!("{} error(s); nothing was recorded", errors.len() + more));
    for (row, field, code, message) in errors {
        p.errors.push(json!({"row": row, "field": field, "code": code.id(), "message": message}));
    }
    p
}

/// Checks that the caller may record payments for every unit in `records`, then imports
/// them as one file: same validation, idempotency (a voucher already recorded with the same
/// content is left as it is) and journal as `budgetwatch import`.
async fn ingest(app: &App, caller: &Caller, kind: Kind, records: Records, source: &str) -> Result<Response, Problem> {
    precheck(app, caller, kind, &records, source).await?;
    let ctx = caller.ctx(Some(format!("{source} by {}", caller.access.user)))?;
    match import_records(app, ctx, kind, &records, source).await? {
        Ok(r) => {
            let raised = browse::warnings_between(&app.store, r.journal_first, r.journal_end)
                .await
                .map_err(Problem::internal)?;
            let status = if r.added > 0 { StatusCode::CREATED } else { StatusCode::OK };
            let report = IngestReport {
                rows: r.rows,
                added: r.added,
                unchanged: r.unchanged,
                held: r.held,
                batch: r.batch,
                notes: r.warnings,
                warnings: raised,
            };
            Ok((status, Json(report)).into_response())
        }
        Err((errors, more)) => Err(refused(errors, more)),
    }
}

#[utoipa::path(post, path = "/api/v1/payments", tag = "payments", params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key gets the first answer again")), request_body(content = Object, description = "one payment: the payments template's columns"), security((), ("token" = [])), responses((status = 201, description = "recorded", body = IngestReport), (status = 200, description = "already recorded with the same content", body = IngestReport), (status = 400, description = "a malformed parameter", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions, scope or class", body = ProblemDoc), (status = 409, description = "a key already recorded with other content (duplicate_key_conflict); nothing recorded", body = ProblemDoc), (status = 422, description = "refused by validation; nothing recorded", body = ProblemDoc)))]
async fn post_payment(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    idempotent(&app, &caller, &headers, post_one(&app, &caller, Kind::Payments, &body)).await
}

/// With an `Idempotency-Key` header, the first successful answer to this caller's request
/// with that key is kept, and a retry with the key gets it again (`Idempotent-Replayed:
/// true`) without recording anything; without one, a retry is recognised by its voucher or
/// record number, as an import is.
async fn idempotent(
    app: &App,
    caller: &Caller,
    headers: &HeaderMap,
    run: impl std::future::Future<Output = Result<Response, Problem>>,
) -> Result<Response, Problem> {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::trim).filter(|k| !k.is_empty());
    let Some(key) = key else { return run.await };
    if key.len() > 200 {
        return Err(field_problem("Idempotency-Key", "at most 200 characters"));
    }
    signed_in(caller)?;
    let user = caller.access.user.clone();
    let json_answer = |status: u16, body: String, replayed: bool| {
        let mut r = (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if replayed {
            r.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
        }
        r
    };
    if let Some((status, body)) = users::idempotent_answer(&app.store, &user, key).await.map_err(Problem::internal)? {
        return Ok(json_answer(status, body, true));
    }
    let r = run.await?;
    if !r.status().is_success() {
        return Ok(r);
    }
    let status = r.status().as_u16();
    let bytes = http_body_util::BodyExt::collect(r.into_body()).await.map_err(Problem::internal)?.to_bytes();
    let body = String::from_utf8_lossy(&bytes).into_owned();
    users::keep_idempotent_answer(&app.store, &user, key, status, &body).await.map_err(Problem::internal)?;
    Ok(json_answer(status, body, false))
}

async fn post_one(app: &App, caller: &Caller, kind: Kind, body: &[u8]) -> Result<Response, Problem> {
    let record: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(body)
        .map_err(|e| Problem::bad_request(format!("the body is not a JSON object: {e}")))?;
    if kind == Kind::Payments {
        // Single payments posted together are committed together (`group`).
        let records = vec![record];
        precheck(app, caller, kind, &records, "request").await?;
        let ctx = caller.ctx(Some(format!("request by {}", caller.access.user)))?;
        let record = records.into_iter().next().ok_or_else(|| Problem::bad_request("no payment"))?;
        return group::submit(app, ctx, record).await;
    }
    ingest(app, caller, kind, vec![record], "request").await
}

#[utoipa::path(post, path = "/api/v1/revenues", tag = "revenues", params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key gets the first answer again")), request_body(content = Object, description = "one revenue record: the revenues template's columns"), security((), ("token" = [])), responses((status = 201, description = "recorded", body = IngestReport), (status = 200, description = "already recorded with the same content", body = IngestReport), (status = 400, description = "a malformed body", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions or regions", body = ProblemDoc), (status = 409, description = "a key already recorded with other content (duplicate_key_conflict); nothing recorded", body = ProblemDoc), (status = 422, description = "refused by validation; nothing recorded", body = ProblemDoc)))]
async fn post_revenue(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    idempotent(&app, &caller, &headers, post_one(&app, &caller, Kind::Revenues, &body)).await
}

#[utoipa::path(post, path = "/api/v1/revenues:batch", tag = "revenues", params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key gets the first answer again")), request_body(content((String = "application/x-ndjson"), (String = "text/csv")), description = "revenue records as NDJSON or CSV in the revenues template"), security((), ("token" = [])), responses((status = 201, description = "recorded", body = IngestReport), (status = 200, description = "all already recorded", body = IngestReport), (status = 400, description = "a malformed body", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions or regions", body = ProblemDoc), (status = 415, description = "another body type", body = ProblemDoc), (status = 409, description = "a key already recorded with other content (duplicate_key_conflict); nothing recorded", body = ProblemDoc), (status = 422, description = "refused by validation; nothing recorded", body = ProblemDoc)))]
async fn post_revenues_batch(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    idempotent(&app, &caller, &headers, post_batch(&app, &caller, Kind::Revenues, &headers, &body)).await
}

#[utoipa::path(post, path = "/api/v1/payments:batch", tag = "payments", params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key gets the first answer again")), request_body(content((String = "application/x-ndjson"), (String = "text/csv")), description = "payments as NDJSON (one object a line) or CSV in the payments template"), security((), ("token" = [])), responses((status = 201, description = "recorded", body = IngestReport), (status = 200, description = "all already recorded", body = IngestReport), (status = 400, description = "a malformed parameter", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions, scope or class", body = ProblemDoc), (status = 415, description = "another body type", body = ProblemDoc), (status = 409, description = "a key already recorded with other content (duplicate_key_conflict); nothing recorded", body = ProblemDoc), (status = 422, description = "refused by validation; nothing recorded", body = ProblemDoc)))]
async fn post_payments_batch(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    idempotent(&app, &caller, &headers, post_batch(&app, &caller, Kind::Payments, &headers, &body)).await
}

/// A header refused: every column at fault, the first code in precedence order.
fn header_problem(source: &str, errors: &[bw_core::template::HeaderError]) -> Problem {
    let mut p = Problem::refusal(
        Code::first(errors.iter().map(|e| e.code)).unwrap_or(Code::MissingColumn),
        errors
            .iter()
            .map(|e| format!("{source} header: column {}: {}", e.column, e.message))
            .collect::<Vec<_>>()
            .join("; "),
    );
    for e in errors {
        p.errors.push(json!({"field": e.column, "code": e.code.id(), "message": e.message}));
    }
    p
}

/// Records of `kind` in an uploaded file, read as `budgetwatch import` reads one (CSV in
/// UTF-8 — GBK refused with the same message — or the first sheet of an XLSX workbook, told
/// by its bytes), then ingested as one batch. Refusals name the file's own rows.
pub(crate) async fn ingest_file(
    app: &App,
    caller: &Caller,
    kind: Kind,
    name: &str,
    bytes: &[u8],
) -> Result<Response, Problem> {
    signed_in(caller)?;
    // The name shown in notes: the file's base name, printable, at most 100 characters.
    let shown: String = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control() && *c != ':')
        .take(100)
        .collect();
    let shown = if shown.trim().is_empty() { "upload".to_string() } else { shown };
    let dir = tempfile::tempdir().map_err(Problem::internal)?;
    let path = dir.path().join("upload");
    std::fs::write(&path, bytes).map_err(Problem::internal)?;
    let file_problem = |row: u64, field: Option<String>, code: Code, message: String| {
        let mut p = Problem::refusal(code, format!("{shown}:{row}: {message}"));
        p.errors.push(json!({"row": row, "field": field, "code": code.id(), "message": message}));
        p
    };
    let (mut source, header) =
        bw_app::source::Source::open(&path).map_err(|e| file_problem(e.row, None, Code::UnreadableFile, e.message))?;
    let refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let map = bw_core::template::resolve_header(kind, &refs, false).map_err(|e| header_problem(&shown, &e))?;
    let names: Vec<&str> = kind.columns().iter().map(|c| c.name).collect();
    let (mut records, mut rows, mut cells) = (Vec::new(), Vec::new(), Vec::new());
    while let Some(r) = source.next_row(&mut cells) {
        let row = r.map_err(|e| {
            let field = e.column.and_then(|c| header.get(c).cloned());
            let code = if field.is_some() { Code::InvalidValue } else { Code::UnreadableFile };
            file_problem(e.row, field, code, e.message)
        })?;
        let record: serde_json::Map<String, serde_json::Value> = names
            .iter()
            .zip(&map.positions)
            .filter_map(|(n, p)| p.and_then(|p| cells.get(p)).map(|c| (n.to_string(), json!(c))))
            .collect();
        records.push(record);
        rows.push(row);
    }
    drop(dir);
    // Record n of the batch is the file's row `rows[n - 1]`.
    ingest(app, caller, kind, records, &shown).await.map_err(|mut p| {
        for e in &mut p.errors {
            if let Some(n) = e["row"].as_u64()
                && let Some(row) = usize::try_from(n).ok().and_then(|n| rows.get(n.wrapping_sub(1)))
            {
                e["row"] = json!(row);
            }
        }
        p
    })
}

/// Records of `template` in an NDJSON or CSV body, ingested as one file.
async fn post_batch(
    app: &App,
    caller: &Caller,
    template: Kind,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, Problem> {
    let kind = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let records: Records = if kind.starts_with("text/csv") {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(body);
        let raw: Vec<String> = reader
            .headers()
            .map_err(|e| Problem::bad_request(format!("CSV header: {e}")))?
            .iter()
            .map(|h| h.to_string())
            .collect();
        // The header as a file's: English, Chinese or national-system names; a missing
        // required column is named before anything else is looked at.
        let refs: Vec<&str> = raw.iter().map(String::as_str).collect();
        let map = bw_core::template::resolve_header(template, &refs, false).map_err(|e| header_problem("batch", &e))?;
        let names: Vec<&str> = template.columns().iter().map(|c| c.name).collect();
        let mut out = Vec::new();
        for (i, r) in reader.records().enumerate() {
            let r = r.map_err(|e| field_problem("body", &format!("CSV row {}: {e}", i + 1)))?;
            if r.len() == 1 && r.get(0).is_some_and(str::is_empty) {
                continue;
            }
            if r.len() != raw.len() {
                let message = format!(
                    "{} fields where the header has {} (an unquoted comma inside a value, such as the thousands separator of 1,000.00, or a truncated line?)",
                    r.len(),
                    raw.len()
                );
                let mut p = Problem::refusal(Code::FieldCountMismatch, format!("batch:{}: {message}", i + 1));
                let code = Code::FieldCountMismatch.id();
                p.errors.push(json!({"row": i + 1, "field": "body", "code": code, "message": message}));
                return Err(p);
            }
            let record: serde_json::Map<String, serde_json::Value> = names
                .iter()
                .zip(&map.positions)
                .filter_map(|(n, p)| p.and_then(|p| r.get(p)).map(|c| (n.to_string(), json!(c))))
                .collect();
            out.push(record);
        }
        out
    } else if kind.starts_with("application/x-ndjson") || kind.starts_with("application/jsonl") {
        let text = std::str::from_utf8(body).map_err(|_| Problem::bad_request("the body is not UTF-8"))?;
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            out.push(serde_json::from_str(line).map_err(|e| field_problem("body", &format!("line {}: {e}", i + 1)))?);
        }
        out
    } else {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported media type",
            format!("send application/x-ndjson (one record a line) or text/csv (the {} template)", template.as_str()),
        ));
    };
    ingest(app, caller, template, records, "batch").await
}

// ---- exports ----

#[derive(serde::Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// `csv` (default) or `xlsx`.
    format: Option<String>,
    unit: Option<String>,
    indicator: Option<String>,
    from: Option<String>,
    to: Option<String>,
    state: Option<String>,
    rule: Option<String>,
    level: Option<String>,
    /// Warnings: `warning`, `finding` or empty for both.
    kind: Option<String>,
}

/// The most rows an export holds.
const EXPORT_ROWS_MAX: usize = 1_000_000;

fn table_response(
    name: &str,
    format: Option<&str>,
    header: &[&str],
    rows: Vec<Vec<String>>,
) -> Result<Response, Problem> {
    let (kind, bytes) = match format.unwrap_or("csv") {
        "csv" => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(header).map_err(Problem::internal)?;
            for r in &rows {
                w.write_record(r.iter().map(|c| csv_safe(c).into_owned())).map_err(Problem::internal)?;
            }
            ("csv", w.into_inner().map_err(Problem::internal)?)
        }
        "xlsx" => ("xlsx", bw_app::template::table_xlsx(name, header, &rows).map_err(Problem::internal)?),
        other => return Err(field_problem("format", &format!("csv or xlsx, not {other:?}"))),
    };
    let content_type = if kind == "csv" {
        "text/csv; charset=utf-8"
    } else {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    };
    let disposition = format!("attachment; filename=\"{name}.{kind}\"");
    Ok(([(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response())
}

/// The organisation and the nodes (units only, or all) where the caller may `read`, for a
/// caller who may export at all.
async fn export_reach(
    app: &App,
    caller: &Caller,
    read: Permission,
    units_only: bool,
) -> Result<(Arc<OrgTree>, Option<Vec<String>>), Problem> {
    signed_in(caller)?;
    let org = app.org().await?;
    let nodes = caller.nodes(&org, read, units_only)?;
    if !caller.access.has(Permission::Export) {
        return Err(Refusal::NoPermission(Permission::Export).into());
    }
    Ok((org, nodes))
}

/// The payments the caller may read and export, as CSV or XLSX, with the filters of
/// `GET /api/v1/payments` and the same withholding of individuals' details.
#[utoipa::path(get, path = "/api/v1/exports/payments", tag = "payments", params(ExportQuery), security((), ("token" = [])), responses((status = 200, description = "the payments as a file", body = String, content_type = "text/csv"), (status = 400, description = "a malformed parameter", body = ProblemDoc), (status = 401, description = "not signed in", body = ProblemDoc), (status = 403, description = "no export or reading permission there", body = ProblemDoc)))]
async fn export_payments(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<ExportQuery>,
) -> Result<Response, Problem> {
    let (org, units) = export_reach(&app, &caller, Permission::ReadPayments, true).await?;
    if let Some(u) = q.unit.as_deref().filter(|u| !u.is_empty()) {
        caller.check(&org, Permission::ReadPayments, u)?;
        caller.check(&org, Permission::Export, u)?;
    }
    let mut f = PaymentFilter {
        units,
        unit: q.unit.clone().filter(|u| !u.is_empty()),
        indicator: q.indicator.clone().filter(|i| !i.is_empty()),
        from: date_param("from", &q.from)?,
        to: date_param("to", &q.to)?,
        after: None,
        limit: browse::PAGE_MAX,
    };
    let mut rows = Vec::new();
    let cls = classified(&app).await?;
    loop {
        let (items, next) = browse::payments(&app.store, &f).await.map_err(Problem::internal)?;
        // Each payment needs the export permission where it is, too.
        for p in items.into_iter().filter(|p| caller.check(&org, Permission::Export, &p.unit_code).is_ok()) {
            let Some(p) = mask(&caller, &org, &cls, p) else { continue };
            let opt = |v: Option<String>| v.unwrap_or_default();
            rows.push(vec![
                p.voucher_no,
                p.pay_date,
                p.unit_code,
                p.indicator_code,
                p.economic_code,
                opt(p.payee_name),
                opt(p.payee_account),
                p.payee_type,
                p.amount,
                p.summary,
                opt(p.invoice_no),
                opt(p.contract_no),
                opt(p.reverses),
            ]);
        }
        match next {
            Some(n) if rows.len() < EXPORT_ROWS_MAX => {
                f.after = n.split_once('/').map(|(v, u)| (v.to_string(), u.to_string()))
            }
            _ => break,
        }
    }
    let header: Vec<&str> = Kind::Payments.columns().iter().map(|c| c.name).collect();
    table_response("payments", q.format.as_deref(), &header, rows)
}

/// The warnings the caller may read and export, as CSV or XLSX.
#[utoipa::path(get, path = "/api/v1/exports/warnings", tag = "warnings", params(ExportQuery), security((), ("token" = [])), responses((status = 200, description = "the warnings as a file", body = String, content_type = "text/csv"), (status = 400, description = "a malformed parameter", body = ProblemDoc), (status = 401, description = "not signed in", body = ProblemDoc), (status = 403, description = "no export or reading permission", body = ProblemDoc)))]
async fn export_warnings(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<ExportQuery>,
) -> Result<Response, Problem> {
    let (org, nodes) = export_reach(&app, &caller, Permission::ReadWarnings, false).await?;
    let pick = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let mut f = WarningFilter {
        units: nodes.clone(),
        regions: nodes,
        state: pick(&q.state),
        rule: pick(&q.rule),
        level: pick(&q.level),
        findings: kind_param(q.kind.as_deref())?,
        after: None,
        limit: browse::PAGE_MAX,
        ..WarningFilter::default()
    };
    let mut rows = Vec::new();
    loop {
        let (items, next) = browse::warnings(&app.store, &f).await.map_err(Problem::internal)?;
        for w in items {
            let owner = w.unit_code.clone().or(w.region_code.clone()).unwrap_or_default();
            if caller.check(&org, Permission::Export, &owner).is_err() {
                continue;
            }
            let opt = |v: Option<String>| v.unwrap_or_default();
            rows.push(vec![
                w.id.to_string(),
                w.year.to_string(),
                w.rule,
                w.level,
                opt(w.unit_code),
                opt(w.indicator_code),
                opt(w.region_code),
                w.period,
                w.raised_on,
                w.explain_by,
                w.plan_by,
                w.state,
                w.vouchers.to_string(),
                w.evidence.to_string(),
            ]);
        }
        match next.and_then(|n| n.parse().ok()) {
            Some(n) if rows.len() < EXPORT_ROWS_MAX => f.after = Some(n),
            _ => break,
        }
    }
    let header = [
        "id",
        "year",
        "rule",
        "level",
        "unit_code",
        "indicator_code",
        "region_code",
        "period",
        "raised_on",
        "explain_by",
        "plan_by",
        "state",
        "vouchers",
        "evidence",
    ];
    table_response("warnings", q.format.as_deref(), &header, rows)
}

#[cfg(test)]
mod tests {
    use super::{csv_safe, local_path};

    #[test]
    fn only_same_site_paths_are_followed_after_log_in() {
        for (next, to) in [
            ("/inbox?state=open", "/inbox?state=open"),
            ("/\t/evil.example/", "/"),
            ("//evil.example/", "/"),
            ("/\\evil.example/", "/"),
            ("/inbox\n", "/"),
            ("https://evil.example/", "/"),
            ("", "/"),
            ("/预算", "/"),
        ] {
            assert_eq!(local_path(next), to, "{next:?}");
        }
    }

    #[test]
    fn csv_cells_that_a_spreadsheet_would_run_are_neutralised() {
        for (cell, out) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1+2", "'+1+2"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("-12.50", "-12.50"),
            ("办公用品", "办公用品"),
            ("a=b", "a=b"),
        ] {
            assert_eq!(csv_safe(cell), out, "{cell:?}");
        }
    }
}
