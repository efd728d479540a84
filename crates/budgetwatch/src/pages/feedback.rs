//! The public's channel on the web: a citizen registers (`/register`, a few a day from one
//! address), comments or inquires about a chosen subject on `/public/feedback` and follows
//! what became of it there; a moderator publishes or refuses what comes in, and answers. The
//! portal (`/public`) shows only what was published.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use bw_app::feedback;
use bw_core::access::Permission;

use crate::api::{App, Caller, Problem};
use crate::clock::today;
use crate::text::{t, urlencode};
use crate::web::{form_csrf, layout};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/register", get(register_page).post(register))
        .route("/public/feedback", get(channel_page).post(submit))
        .route("/public/feedback/{id}/moderate", post(moderate))
        .route("/public/feedback/{id}/answer", post(answer))
}

#[derive(serde::Deserialize, Default)]
struct Lang {
    lang: Option<String>,
    done: Option<String>,
    error: Option<String>,
}

// ---- registration ----

#[derive(serde::Deserialize, Default)]
struct RegisterForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    display: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    again: String,
}

fn register_html(en: bool, f: &RegisterForm, error: Option<&str>) -> String {
    crate::templates::render(
        "register.html",
        minijinja::context! {
            heading => t(en, "公众注册", "Register"),
            intro => t(
                en,
                "注册后可对公开的预算提出意见或问询（媒体问询在 10 个工作日内答复），并查看自己提交内容的处理情况。提交的内容经审核后公开，公开时只显示化名。",
                "Registered, you may comment on the published budgets or inquire (media inquiries are answered within 10 working days) and follow what became of them. What you send is published after moderation, under a pseudonym only."
            ),
            error => error,
            name_label => t(en, "用户名", "User name"),
            name => f.name.as_str(),
            name_rule => t(en, "小写字母、数字和 . _ -，最多 64 个字符。", "Lower-case letters, digits and . _ -, at most 64."),
            display_label => t(en, "称呼（可选）", "Display name (optional)"),
            display => f.display.as_str(),
            password_label => t(en, "密码（至少 10 个字符）", "Password (at least 10 characters)"),
            again_label => t(en, "再次输入密码", "Password again"),
            submit => t(en, "注册", "Register"),
        },
    )
}

async fn register_page(caller: Caller, Query(q): Query<Lang>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let body = register_html(en, &RegisterForm::default(), q.error.as_deref());
    Html(layout(en, t(en, "注册", "Register"), &caller, "/register", &body)).into_response()
}

async fn register(
    State(app): State<App>,
    caller: Caller,
    ext: axum::http::Extensions,
    headers: HeaderMap,
    Query(q): Query<Lang>,
    Form(f): Form<RegisterForm>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let again = |message: &str| {
        let body = register_html(en, &f, Some(message));
        (StatusCode::UNPROCESSABLE_ENTITY, Html(layout(en, t(en, "注册", "Register"), &caller, "/register", &body)))
            .into_response()
    };
    if f.password != f.again {
        return again(t(en, "两次输入的密码不一致。", "The two passwords differ."));
    }
    let ctx = match caller.ctx(Some(format!("self-registration of {}", f.name.trim()))) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let source = crate::api::source(&ext, &headers);
    let (store, name, display, password) =
        (app.store.clone(), f.name.trim().to_string(), f.display.clone(), f.password.clone());
    let done = crate::api::off_thread(move |rt| {
        rt.block_on(bw_app::users::register(&store, &ctx, &name, &display, &password, &source))
    })
    .await;
    match done {
        Ok(Ok(())) => {
            let message = t(en, "注册成功，请登录。", "Registered: log in.");
            Redirect::to(&format!("/login?next=/public/feedback&done={}", urlencode(message))).into_response()
        }
        Ok(Err(bw_app::journal::ActionError::Invalid(m))) => {
            again(&if en { m } else { crate::web::account_refusal_zh(&m) })
        }
        Ok(Err(e)) => Problem::internal(e).into_response(),
        Err(p) => p.into_response(),
    }
}

// ---- the channel ----

#[derive(serde::Deserialize, Default, Clone)]
struct FeedbackForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    text: String,
}

/// What a subject code names: the budget as a whole, or a department or unit by its name.
fn subject_name(org: &bw_core::org::OrgTree, code: &str, en: bool) -> String {
    match code {
        "*" | "" => t(en, "预算总体情况", "The budget as a whole").to_string(),
        c => org.get(c).map(|n| n.name.clone()).unwrap_or_else(|| c.to_string()),
    }
}

async fn channel_body(
    app: &App,
    caller: &Caller,
    en: bool,
    draft: &FeedbackForm,
    done: Option<&str>,
    error: Option<&str>,
) -> Result<String, Problem> {
    use minijinja::context;
    let org = app.org().await?;
    // One item as the lists show it (the author's pseudonym, never the account).
    let item = |i: &feedback::Item| {
        let status = match (i.status.as_str(), &i.moderation_note) {
            ("rejected", Some(n)) => format!("{}：{n}", feedback::status_zh(&i.status)),
            (s, _) => feedback::status_zh(s).to_string(),
        };
        context! {
            id => i.id,
            author => i.author.as_str(),
            kind => kind_name(en, &i.kind),
            about => subject_name(&org, &i.subject, en),
            asked_on => i.asked_on.as_str(),
            body => i.body.as_str(),
            status => status,
            answer => i.answer.as_deref(),
            due_on => i.due_on.as_deref().filter(|_| i.status != "rejected"),
            overdue => i.overdue,
        }
    };
    let form = (caller.user().is_some() && caller.access.has(Permission::Comment)).then(|| {
        let mut departments: Vec<&bw_core::org::OrgNode> =
            org.nodes().filter(|n| n.kind == bw_core::org::OrgKind::Department).collect();
        departments.sort_by(|a, b| a.code.cmp(&b.code));
        let mut subjects = vec![context! {
            code => "*",
            name => t(en, "预算总体情况", "The budget as a whole"),
            chosen => draft.subject.is_empty() || draft.subject == "*",
        }];
        subjects.extend(departments.iter().map(|d| {
            context! { code => d.code.as_str(), name => d.name.as_str(), chosen => draft.subject == d.code }
        }));
        context! { inquiry => draft.kind == "inquiry", subjects => subjects, max => feedback::TEXT_MAX, text => draft.text.as_str() }
    });
    let mine = match caller.user() {
        Some(user) => feedback::mine(&app.store, user, today()).await.map_err(Problem::internal)?,
        None => Vec::new(),
    };
    let moderator = caller.access.has(Permission::AnswerInquiry);
    let (pending, open) = if moderator {
        let pending = feedback::pending(&app.store, today()).await.map_err(Problem::internal)?;
        let open = feedback::unanswered(&app.store, today()).await.map_err(Problem::internal)?;
        (pending, open.into_iter().filter(|i| i.status == "published").collect())
    } else {
        (Vec::new(), Vec::new())
    };
    let words = context! {
        portal => t(en, "阳光预算", "Sunshine budget"),
        title => t(en, "意见与问询", "Comments and inquiries"),
        first => t(en, "提出意见或问询，请先", "To comment or inquire,"),
        log_in => t(en, "登录", "log in"),
        register => t(en, "注册", "register"),
        kind => t(en, "类型", "Kind"),
        comment => t(en, "意见建议", "Comment"),
        inquiry => t(en, "媒体问询（10 个工作日内答复）", "Media inquiry (answered within 10 working days)"),
        about => t(en, "对象", "About"),
        text => t(en, "内容", "Text"),
        note => t(
            en,
            "提交后经审核公开，公开时只显示化名；问询自提交之日起 10 个工作日内答复。",
            "Published after moderation under a pseudonym; inquiries are answered within 10 working days."
        ),
        send => t(en, "提交", "Send"),
        mine => t(en, "我的意见与问询", "What I sent"),
        sent => t(en, "提交日期", "Sent"),
        status => t(en, "状态", "Status"),
        answer => t(en, "答复", "Answer"),
        overdue => t(en, "已逾期，应于", "overdue, due"),
        due => t(en, "答复期限", "due"),
        moderation => t(en, "待审核", "Waiting for moderation"),
        publish => t(en, "审核通过并公开", "Publish"),
        reason => t(en, "不予公开的理由", "Reason for not publishing"),
        refuse => t(en, "不予公开", "Do not publish"),
        to_answer => t(en, "待答复的问询", "Inquiries to answer"),
        answer_send => t(en, "答复并公开", "Answer"),
    };
    Ok(crate::templates::render(
        "feedback.html",
        context! {
            w => words,
            lang => if en { "?lang=en" } else { "" },
            done => done,
            error => error,
            anonymous => caller.user().is_none(),
            form => form,
            csrf => caller.csrf(),
            mine => mine.iter().map(item).collect::<Vec<_>>(),
            moderator => moderator,
            pending => pending.iter().map(item).collect::<Vec<_>>(),
            open => open.iter().map(item).collect::<Vec<_>>(),
        },
    ))
}

fn kind_name(en: bool, kind: &str) -> &'static str {
    if kind == "inquiry" { t(en, "问询", "inquiry") } else { t(en, "意见", "comment") }
}

async fn channel_page(State(app): State<App>, caller: Caller, Query(q): Query<Lang>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    match channel_body(&app, &caller, en, &FeedbackForm::default(), q.done.as_deref(), q.error.as_deref()).await {
        Ok(body) => Html(layout(en, t(en, "意见与问询", "Comments and inquiries"), &caller, "/public/feedback", &body))
            .into_response(),
        Err(p) => p.into_response(),
    }
}

fn back(en: bool, anchor: &str, done: Result<String, String>) -> Response {
    let lang = if en { "&lang=en" } else { "" };
    match done {
        Ok(m) => Redirect::to(&format!("/public/feedback?done={}{lang}#{anchor}", urlencode(&m))).into_response(),
        Err(e) => Redirect::to(&format!("/public/feedback?error={}{lang}#{anchor}", urlencode(&e))).into_response(),
    }
}

/// The channel's page again, with the refusal and the form as it was filled in.
async fn refused(app: &App, caller: &Caller, en: bool, f: &FeedbackForm, message: String) -> Response {
    match channel_body(app, caller, en, f, None, Some(&message)).await {
        Ok(body) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(layout(en, t(en, "意见与问询", "Comments and inquiries"), caller, "/public/feedback", &body)),
        )
            .into_response(),
        Err(p) => p.into_response(),
    }
}

/// A submission: refused, the page comes back with the text as written.
async fn submit(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<Lang>,
    Form(f): Form<FeedbackForm>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    if let Some(r) = form_csrf(&caller, &f.csrf, "/public/feedback") {
        return r;
    }
    if !caller.access.has(Permission::Comment) {
        return Problem::from(bw_core::access::Refusal::NoPermission(Permission::Comment)).into_response();
    }
    let Some(kind) = feedback::Kind::parse(&f.kind) else {
        return refused(
            &app,
            &caller,
            en,
            &f,
            t(en, "请选择类型：意见或问询。", "Choose comment or inquiry.").to_string(),
        )
        .await;
    };
    let subject = if f.subject.trim().is_empty() { "*".to_string() } else { f.subject.trim().to_string() };
    let org = match app.org().await {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    if subject != "*" && org.get(&subject).is_none() {
        return refused(
            &app,
            &caller,
            en,
            &f,
            t(en, "请从列表中选择对象。", "Choose the subject from the list.").to_string(),
        )
        .await;
    }
    let c = match caller.ctx(Some(format!("{} by {}", kind.as_str(), caller.access.user))) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let (store, user, text) = (app.store.clone(), caller.access.user.clone(), f.text.clone());
    let done =
        crate::api::off_thread(move |rt| rt.block_on(feedback::submit(&store, &c, &user, kind, &subject, &text)));
    match done.await {
        Ok(Ok(_)) => back(
            en,
            "mine",
            Ok(t(
                en,
                "已提交，审核后公开。可在下方查看处理情况。",
                "Sent: published after moderation; follow it below.",
            )
            .to_string()),
        ),
        Ok(Err(bw_app::journal::ActionError::Invalid(m))) => {
            let message = if en {
                m
            } else if m.contains("empty") {
                "请填写内容。".into()
            } else if m.contains("longer than") {
                format!("内容不能超过 {} 个字。", feedback::TEXT_MAX)
            } else {
                format!("提交未成功：{m}")
            };
            refused(&app, &caller, en, &f, message).await
        }
        Ok(Err(e)) => Problem::internal(e).into_response(),
        Err(p) => p.into_response(),
    }
}

#[derive(serde::Deserialize)]
struct ModerateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    publish: String,
    #[serde(default)]
    note: String,
}

/// A moderator's act on item `id`: the form's CSRF token and answer_inquiry checked, `act`
/// run off the async threads, then back to the channel's `anchor` with `done`, or with the
/// refusal as `told` tells it.
#[allow(clippy::too_many_arguments)]
async fn moderator_act<F, Fut>(
    app: App,
    caller: Caller,
    en: bool,
    csrf: &str,
    reason: String,
    anchor: &str,
    act: F,
    done: &str,
    told: impl Fn(String) -> String,
) -> Response
where
    F: FnOnce(bw_store::Store, bw_app::Ctx, String) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<i64, bw_app::journal::ActionError>>,
{
    if let Some(r) = form_csrf(&caller, csrf, "/public/feedback") {
        return r;
    }
    if !caller.access.has(Permission::AnswerInquiry) {
        return Problem::from(bw_core::access::Refusal::NoPermission(Permission::AnswerInquiry)).into_response();
    }
    let c = match caller.ctx(Some(reason)) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let (store, user) = (app.store.clone(), caller.access.user.clone());
    match crate::api::off_thread(move |rt| rt.block_on(act(store, c, user))).await {
        Ok(Ok(_)) => back(en, anchor, Ok(done.to_string())),
        Ok(Err(bw_app::journal::ActionError::Invalid(m))) => back(en, anchor, Err(if en { m } else { told(m) })),
        Ok(Err(e)) => Problem::internal(e).into_response(),
        Err(p) => p.into_response(),
    }
}

async fn moderate(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<Lang>,
    Form(f): Form<ModerateForm>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let publish = f.publish == "yes";
    let done =
        if publish { t(en, "已公开。", "Published.") } else { t(en, "已不予公开。", "Not published.") };
    let note = f.note;
    let act = move |store: bw_store::Store, c: bw_app::Ctx, user: String| async move {
        feedback::moderate(&store, &c, &user, id, publish, &note).await
    };
    let told = |m: String| {
        if m.contains("states its reason") { "不予公开须写明理由。" } else { "该条已审核过。" }.to_string()
    };
    let reason = format!("moderation of feedback {id}");
    moderator_act(app, caller, en, &f.csrf, reason, "moderation", act, done, told).await
}

#[derive(serde::Deserialize)]
struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

async fn answer(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<Lang>,
    Form(f): Form<AnswerForm>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let text = f.text;
    let act = move |store: bw_store::Store, c: bw_app::Ctx, user: String| async move {
        feedback::answer(&store, &c, &user, id, &text).await
    };
    let told = |m: String| {
        if m.contains("empty") {
            "请填写答复内容。"
        } else {
            "该条已答复或未公开，不能再答复。"
        }
        .to_string()
    };
    let done = t(en, "已答复并公开。", "Answered.");
    moderator_act(app, caller, en, &f.csrf, format!("answer to feedback {id}"), "answer", act, done, told).await
}
