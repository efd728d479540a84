//! The warning inbox as a to-do list, and the saved filters.

use super::*;

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/inbox", get(inbox_page))
        .route("/inbox/filters", post(filter_save))
        .route("/inbox/filters/delete", post(filter_delete))
}

/// The caller's saved inbox filters as links, a form to save the current one under a
/// name, and (for the bureau) the media inquiries awaiting an answer.
pub(super) async fn saved_filters(
    app: &App,
    caller: &Caller,
    b: &mut String,
    en: bool,
    q: &InboxQuery,
) -> Result<(), Problem> {
    let (Some(user), Via::Session { csrf }) = (caller.user(), &caller.via) else { return Ok(()) };
    let lang = if en { "&lang=en" } else { "" };
    let saved = bw_app::users::filters(&app.store, user).await.map_err(Problem::internal)?;
    if !saved.is_empty() {
        let _ = write!(b, "<p class=saved>{} ", t(en, "已保存的筛选：", "Saved filters:"));
        for f in &saved {
            let query: Vec<String> = f.fields.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
            let _ = write!(
                b,
                r#"<a href="/inbox?{}{lang}">{}</a> <form method=post action="/inbox/filters/delete" class=inline><input type=hidden name=csrf value="{}"><input type=hidden name=name value="{}"><button title="{}">×</button></form> "#,
                query.join("&"),
                esc(&f.name),
                esc(csrf),
                esc(&f.name),
                t(en, "删除", "Delete")
            );
        }
        b.push_str("</p>");
    }
    let hidden = |k: &str, v: &Option<String>| {
        v.as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| format!(r#"<input type=hidden name={k} value="{}">"#, esc(s)))
            .unwrap_or_default()
    };
    let _ = write!(
        b,
        r#"<form method=post action="/inbox/filters" class=filters><input type=hidden name=csrf value="{}">{}{}{}{}<label>{} <input name=name required maxlength=40 size=12></label> <button>{}</button></form>"#,
        esc(csrf),
        hidden("state", &q.state),
        hidden("level", &q.level),
        hidden("rule", &q.rule),
        hidden("kind", &q.kind),
        t(en, "保存当前筛选为", "Save this filter as"),
        t(en, "保存", "Save")
    );
    b.push_str(&outcome(q.done.as_deref(), q.error.as_deref()));
    if caller.access.has(Permission::AnswerInquiry) {
        let open = bw_app::feedback::unanswered(&app.store, today()).await.map_err(Problem::internal)?;
        if !open.is_empty() {
            let _ = write!(b, "<h2>{}</h2><ul>", t(en, "待答复的媒体问询", "Media inquiries awaiting an answer"));
            for i in &open {
                let due = inquiry_due(en, i);
                let _ = write!(
                    b,
                    r#"<li><a href="/public/feedback{}#fb{}">{} · {}</a> — {due}</li>"#,
                    if en { "?lang=en" } else { "" },
                    i.id,
                    esc(&i.subject),
                    esc(&i.body.chars().take(40).collect::<String>())
                );
            }
            b.push_str("</ul>");
        }
    }
    Ok(())
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
    };
    let (items, next) = browse::warnings(&app.store, &f).await.map_err(Problem::internal)?;
    let codes: Vec<String> = items.iter().filter_map(|w| w.indicator_code.clone()).collect();
    let labels = browse::indicator_labels(&app.store, &codes).await.map_err(Problem::internal)?;
    let node_name = |code: &str| org.get(code).map(|n| n.name.clone()).unwrap_or_else(|| code.to_string());
    let mut b = format!("<h1>{}</h1>", t(en, "预警与问题", "Warnings and findings"));
    // The summary the cockpit shows, at the top of the work: what is open, by level.
    let units = caller.nodes(&org, Permission::ReadWarnings, true)?;
    let (levels, _) = drill::warning_counts(&app.store, None, units.as_deref()).await.map_err(Problem::internal)?;
    if !levels.is_empty() {
        let lang = if en { "&lang=en" } else { "" };
        b.push_str("<section class=kpis id=summary>");
        for (l, n) in &levels {
            let _ = write!(
                b,
                r#"<div><b><a href="/inbox?level={}{lang}">{n}</a></b><span>{} {}</span></div>"#,
                urlencode(l),
                level_badge(en, l),
                t(en, "未办结", "in progress")
            );
        }
        b.push_str("</section>");
    }
    let sel_blank = |name: &str, blank: &str, options: &[(String, String)], current: &Option<String>| {
        let mut s = format!("<select name={name}><option value=\"\">{}</option>", esc(blank));
        for (value, label) in options {
            let chosen = current.as_deref() == Some(value.as_str());
            let _ = write!(
                s,
                r#"<option value="{}"{}>{}</option>"#,
                esc(value),
                if chosen { " selected" } else { "" },
                esc(label)
            );
        }
        s.push_str("</select>");
        s
    };
    let sel = |name: &str, options: &[(String, String)], current: &Option<String>| {
        sel_blank(name, t(en, "全部", "all"), options, current)
    };
    let named = |ids: &[&str], name: &dyn Fn(&str) -> String| -> Vec<(String, String)> {
        ids.iter().map(|i| (i.to_string(), name(i))).collect()
    };
    let mut rule_ids: Vec<&str> = bw_rules::Rule::ALL.iter().map(|r| r.id()).collect();
    rule_ids.extend(bw_audit::TESTS.iter().map(|(id, _)| *id));
    let _ = write!(
        b,
        r#"<form method=get class=filters><label>{} {}</label> <label>{} {}</label> <label>{} {}</label> <label>{} {}</label>{} <button>{}</button></form>"#,
        t(en, "状态", "State"),
        {
            // The first option, the default, is the work still to do.
            let mut states = vec![("all".to_string(), t(en, "全部状态", "every state").to_string())];
            let ids: Vec<&str> = bw_rules::workflow::State::ALL.iter().map(|st| st.as_str()).collect();
            states.extend(named(&ids, &|s| state_name(en, s)));
            sel_blank("state", t(en, "未办结", "in progress"), &states, &q.state)
        },
        t(en, "等级", "Level"),
        sel("level", &named(&["red", "orange", "yellow"], &|l| level_name(en, l).to_string()), &q.level),
        t(en, "规则", "Rule"),
        sel("rule", &named(&rule_ids, &|r| rule_name(en, r)), &q.rule),
        t(en, "类别", "Kind"),
        sel(
            "kind",
            &[
                ("warning".into(), t(en, "监控预警", "warning").into()),
                ("finding".into(), t(en, "审计疑点", "finding").into())
            ],
            &q.kind
        ),
        if en { "<input type=hidden name=lang value=en>" } else { "" },
        t(en, "筛选", "Filter"),
    );
    saved_filters(app, caller, &mut b, en, q).await?;
    let today = today();
    let calendar = bw_app::calendar::load(&app.store).await.map_err(Problem::internal)?;
    b.push_str(&head(&[
        "#",
        t(en, "等级", "Level"),
        t(en, "规则", "Rule"),
        t(en, "对象", "Subject"),
        t(en, "期间", "Period"),
        t(en, "状态", "State"),
        t(en, "期限", "Due"),
    ]));
    let lang = if en { "?lang=en" } else { "" };
    for w in &items {
        let subject = w.unit_code.clone().or(w.region_code.clone()).unwrap_or_default();
        // What is due, in working days: left, or overdue by.
        let due_on = match bw_rules::workflow::State::parse(&w.state) {
            Some(s) if s.explanation_due() => Date::parse(&w.explain_by).ok(),
            Some(bw_rules::workflow::State::RectificationRequired) => Date::parse(&w.plan_by).ok(),
            _ => None,
        };
        let due = match due_on {
            Some(d) if d < today => format!(
                "<span class=overdue>{}</span> <small>{d}</small>",
                if en {
                    format!("overdue by {} working days", -calendar.workdays_between(today, d))
                } else {
                    format!("逾期 {} 个工作日", -calendar.workdays_between(today, d))
                }
            ),
            Some(d) => format!(
                "{} <small>{d}</small>",
                if en {
                    format!("{} working days left", calendar.workdays_between(today, d))
                } else {
                    format!("剩 {} 个工作日", calendar.workdays_between(today, d))
                }
            ),
            None => "—".into(),
        };
        let indicator = w
            .indicator_code
            .as_deref()
            .map(|i| match labels.get(i) {
                Some(l) => format!("<br><small>{}</small>", esc(l)),
                None => format!("<br><small>{}</small>", esc(i)),
            })
            .unwrap_or_default();
        let _ = write!(
            b,
            r#"<tr><td><a href="/warning/{}{lang}">{}</a></td><td>{}</td><td class=wrap>{}</td><td class=wrap>{}{}</td><td>{}</td><td>{}</td><td>{due}</td></tr>"#,
            w.id,
            w.id,
            level_badge(en, &w.level),
            esc(&rule_name(en, &w.rule)),
            esc(&node_name(&subject)),
            indicator,
            esc(&w.period),
            esc(&state_name(en, &w.state)),
        );
    }
    b.push_str("</tbody></table></div>");
    if items.is_empty() {
        let _ = write!(b, "<p class=note>{}</p>", t(en, "没有符合条件的预警。", "No warnings match."));
    }
    let page = q.page.unwrap_or(1).max(1);
    if next.is_some() || page > 1 {
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
        b.push_str("<p class=pager>");
        if page > 1 {
            let _ = write!(b, r#"<a href="{}">{}</a>"#, esc(&link(page - 1)), t(en, "‹ 上一页", "‹ Previous page"));
        }
        let _ = write!(b, "<b>{}</b>", if en { format!("page {page}") } else { format!("第 {page} 页") });
        if next.is_some() {
            let _ = write!(b, r#"<a href="{}">{}</a>"#, esc(&link(page + 1)), t(en, "下一页 ›", "Next page ›"));
        }
        b.push_str("</p>");
    }
    Ok(b)
}
