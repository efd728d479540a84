//! The warning inbox as a to-do list, and the saved filters.

use minijinja::context;

use super::*;

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/inbox", get(inbox_page))
        .route("/inbox/filters", post(filter_save))
        .route("/inbox/filters/delete", post(filter_delete))
}

/// What the inbox shows only in a session of the caller's: their saved filters (each its
/// fields, the values URL-encoded), the current filter's fields to save it under a name,
/// and (for the bureau) the media inquiries awaiting an answer. `None` without a session.
async fn session_part(
    app: &App,
    caller: &Caller,
    en: bool,
    q: &InboxQuery,
) -> Result<Option<minijinja::Value>, Problem> {
    let (Some(user), Via::Session { csrf }) = (caller.user(), &caller.via) else { return Ok(None) };
    let saved = bw_app::users::filters(&app.store, user).await.map_err(Problem::internal)?;
    let saved: Vec<minijinja::Value> = saved
        .iter()
        .map(|f| {
            let fields: Vec<(String, String)> = f.fields.iter().map(|(k, v)| (k.clone(), urlencode(v))).collect();
            context! { name => &f.name, fields => fields }
        })
        .collect();
    let keep: Vec<(String, String)> = [("state", &q.state), ("level", &q.level), ("rule", &q.rule), ("kind", &q.kind)]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().filter(|s| !s.is_empty()).map(|s| (k.to_string(), s.to_string())))
        .collect();
    let inquiries = if caller.access.has(Permission::AnswerInquiry) {
        let open = bw_app::feedback::unanswered(&app.store, today()).await.map_err(Problem::internal)?;
        open.iter()
            .map(|i| {
                context! {
                    id => i.id,
                    subject => &i.subject,
                    text => i.body.chars().take(40).collect::<String>(),
                    due => minijinja::Value::from_safe_string(inquiry_due(en, i)),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Some(context! { csrf => csrf, saved => saved, keep => keep, inquiries => inquiries }))
}

#[derive(serde::Deserialize, Default)]
pub(super) struct FilterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    state: Option<String>,
    level: Option<String>,
    rule: Option<String>,
    kind: Option<String>,
}

pub(super) async fn filter_save(State(app): State<App>, caller: Caller, Form(f): Form<FilterForm>) -> Response {
    if let Some(r) = form_csrf(&caller, &f.csrf, "/inbox") {
        return r;
    }
    let Some(user) = caller.user() else { return Redirect::to("/login").into_response() };
    let fields: std::collections::BTreeMap<String, String> =
        [("state", &f.state), ("level", &f.level), ("rule", &f.rule), ("kind", &f.kind)]
            .into_iter()
            .filter_map(|(k, v)| v.clone().map(|v| (k.to_string(), v)))
            .collect();
    match bw_app::users::save_filter(&app.store, user, &f.name, &fields).await {
        Ok(()) => Redirect::to(&format!("/inbox?done={}", urlencode(&format!("✓ {}", f.name)))).into_response(),
        Err(e) => Redirect::to(&format!("/inbox?error={}", urlencode(&e.to_string()))).into_response(),
    }
}

pub(super) async fn filter_delete(State(app): State<App>, caller: Caller, Form(f): Form<FilterForm>) -> Response {
    if let Some(r) = form_csrf(&caller, &f.csrf, "/inbox") {
        return r;
    }
    let Some(user) = caller.user() else { return Redirect::to("/login").into_response() };
    match bw_app::users::delete_filter(&app.store, user, &f.name).await {
        Ok(()) => Redirect::to("/inbox").into_response(),
        Err(e) => Redirect::to(&format!("/inbox?error={}", urlencode(&e.to_string()))).into_response(),
    }
}

#[derive(serde::Deserialize, Default)]
pub(super) struct InboxQuery {
    state: Option<String>,
    level: Option<String>,
    rule: Option<String>,
    kind: Option<String>,
    lang: Option<String>,
    /// The page (from 1) of the list, most pressing first.
    page: Option<usize>,
    done: Option<String>,
    error: Option<String>,
}

/// Items a page of the inbox shows.
pub(super) const INBOX_ROWS: usize = 50;

pub(super) async fn inbox_page(State(app): State<App>, caller: Caller, Query(q): Query<InboxQuery>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let here = "/inbox".to_string();
    match inbox_body(&app, &caller, &q).await {
        Ok(body) => {
            Html(layout(en, t(en, "预警与问题", "Warnings and findings"), &caller, &here, &body)).into_response()
        }
        Err(p) => problem_page(en, &caller, &here, p),
    }
}

pub(super) async fn inbox_body(app: &App, caller: &Caller, q: &InboxQuery) -> Result<String, Problem> {
    let en = q.lang.as_deref() == Some("en");
    if caller.user().is_none() {
        return Err(Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", t(en, "请先登录。", "Log in first.")));
    }
    let org = app.org().await?;
    let nodes = caller.nodes(&org, Permission::ReadWarnings, false)?;
    let pick = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    // Open items by default (the to-do list); `all` shows every state.
    let state = match q.state.as_deref() {
        None | Some("") => Some(browse::ACTIVE.to_string()),
        Some("all") => None,
        Some(s) => Some(s.to_string()),
    };
    let f = WarningFilter {
        units: nodes.clone(),
        regions: nodes,
        state,
        level: pick(&q.level),
        rule: pick(&q.rule),
        findings: match q.kind.as_deref() {
            Some("finding") => Some(true),
            Some("warning") => Some(false),
            _ => None,
        },
        after: None,
        limit: INBOX_ROWS,
        by_due: true,
        offset: (q.page.unwrap_or(1).max(1) - 1) * INBOX_ROWS,
        journal: None,
    };
    let (items, next) = browse::warnings(&app.store, &f).await.map_err(Problem::internal)?;
    let codes: Vec<String> = items.iter().filter_map(|w| w.indicator_code.clone()).collect();
    let labels = browse::indicator_labels(&app.store, &codes).await.map_err(Problem::internal)?;
    let node_name = |code: &str| org.get(code).map(|n| n.name.clone()).unwrap_or_else(|| code.to_string());
    // The summary the cockpit shows, at the top of the work: what is open, by level.
    let units = caller.nodes(&org, Permission::ReadWarnings, true)?;
    let (levels, _) = drill::warning_counts(&app.store, None, units.as_deref()).await.map_err(Problem::internal)?;
    let levels: Vec<minijinja::Value> = levels
        .iter()
        .map(|(l, n)| {
            let badge = minijinja::Value::from_safe_string(level_badge(en, l));
            context! { level => urlencode(l), count => n, badge => badge }
        })
        .collect();
    let options = |ids: &[&str], name: &dyn Fn(&str) -> String| -> Vec<minijinja::Value> {
        ids.iter().map(|i| context! { value => *i, label => name(i) }).collect()
    };
    // The state's first option, the blank default, is the work still to do; then every state.
    let mut states = options(&["all"], &|_| t(en, "全部状态", "every state").to_string());
    let state_ids: Vec<&str> = bw_rules::workflow::State::ALL.iter().map(|st| st.as_str()).collect();
    states.extend(options(&state_ids, &|s| state_name(en, s)));
    let mut rule_ids: Vec<&str> = bw_rules::Rule::ALL.iter().map(|r| r.id()).collect();
    rule_ids.extend(bw_audit::TESTS.iter().map(|(id, _)| *id));
    let kind_options = [
        context! { value => "warning", label => t(en, "监控预警", "warning") },
        context! { value => "finding", label => t(en, "审计疑点", "finding") },
    ];
    let session = session_part(app, caller, en, q).await?;
    let today = today();
    let calendar = bw_app::calendar::load(&app.store).await.map_err(Problem::internal)?;
    let rows: Vec<minijinja::Value> = items
        .iter()
        .map(|w| {
            let subject = w.unit_code.clone().or(w.region_code.clone()).unwrap_or_default();
            // What is due, in working days: left, or overdue by.
            let due_on = match bw_rules::workflow::State::parse(&w.state) {
                Some(s) if s.explanation_due() => Date::parse(&w.explain_by).ok(),
                Some(bw_rules::workflow::State::RectificationRequired) => Date::parse(&w.plan_by).ok(),
                _ => None,
            };
            let due = due_on.map(|d| {
                let days = calendar.workdays_between(today, d);
                let text = match (d < today, en) {
                    (true, true) => format!("overdue by {} working days", -days),
                    (true, false) => format!("逾期 {} 个工作日", -days),
                    (false, true) => format!("{days} working days left"),
                    (false, false) => format!("剩 {days} 个工作日"),
                };
                context! { overdue => d < today, text => text, date => d.to_string() }
            });
            let indicator = w.indicator_code.as_deref().map(|i| labels.get(i).map(String::as_str).unwrap_or(i));
            context! {
                id => w.id,
                badge => minijinja::Value::from_safe_string(level_badge(en, &w.level)),
                rule => rule_name(en, &w.rule),
                subject => node_name(&subject),
                indicator => indicator,
                period => &w.period,
                state => state_name(en, &w.state),
                due => due,
            }
        })
        .collect();
    let page = q.page.unwrap_or(1).max(1);
    let pager = (next.is_some() || page > 1).then(|| {
        let keep = |k: &str, v: &Option<String>| {
            v.as_deref().filter(|s| !s.is_empty()).map(|s| format!("&{k}={}", urlencode(s))).unwrap_or_default()
        };
        let link = |p: usize| {
            format!(
                "/inbox?page={p}{}{}{}{}{}",
                keep("state", &q.state),
                keep("level", &q.level),
                keep("rule", &q.rule),
                keep("kind", &q.kind),
                keep("lang", &q.lang)
            )
        };
        context! {
            previous => (page > 1).then(|| link(page - 1)),
            page => if en { format!("page {page}") } else { format!("第 {page} 页") },
            next => next.is_some().then(|| link(page + 1)),
        }
    });
    Ok(crate::templates::render(
        "inbox.html",
        context! {
            w => context! {
                title => t(en, "预警与问题", "Warnings and findings"),
                in_progress => t(en, "未办结", "in progress"),
                all => t(en, "全部", "all"),
                state => t(en, "状态", "State"),
                level => t(en, "等级", "Level"),
                rule => t(en, "规则", "Rule"),
                kind => t(en, "类别", "Kind"),
                filter => t(en, "筛选", "Filter"),
                saved => t(en, "已保存的筛选：", "Saved filters:"),
                delete => t(en, "删除", "Delete"),
                save_as => t(en, "保存当前筛选为", "Save this filter as"),
                save => t(en, "保存", "Save"),
                inquiries => t(en, "待答复的媒体问询", "Media inquiries awaiting an answer"),
                subject => t(en, "对象", "Subject"),
                period => t(en, "期间", "Period"),
                due => t(en, "期限", "Due"),
                none => t(en, "没有符合条件的预警。", "No warnings match."),
                previous => t(en, "‹ 上一页", "‹ Previous page"),
                next => t(en, "下一页 ›", "Next page ›"),
            },
            en => en,
            levels => levels,
            states => states,
            level_options => options(&["red", "orange", "yellow"], &|l| level_name(en, l).to_string()),
            rule_options => options(&rule_ids, &|r| rule_name(en, r)),
            kind_options => kind_options,
            current => context! { state => &q.state, level => &q.level, rule => &q.rule, kind => &q.kind },
            session => session,
            done => &q.done,
            error => &q.error,
            items => rows,
            pager => pager,
        },
    ))
}
