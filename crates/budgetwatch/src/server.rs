//! The web server: the first page (totals by region, execution rate
//! against time progress, month-end figures from the database), its JSON, and template
//! downloads. Pages are server-rendered; charts are SVG drawn here.
use anyhow::{Context as _, Result};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bw_app::overview::{Overview, overview};
use bw_core::Money;
use bw_core::template::Kind;
use bw_store::Store;
use std::fmt::Write as _;

use crate::api::App;
use crate::text::{bar, esc, group_thousands, magnitude, pct, wan};
use bw_core::access::Permission;

#[derive(serde::Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    year: Option<i32>,
    month: Option<u32>,
    lang: Option<String>,
}

pub fn router(app: App) -> Router {
    // The API and its OpenAPI document come from the same handlers.
    let (api, doc) = crate::api::documented()
        .merge(crate::figures_api::documented())
        .merge(crate::budget_api::documented())
        .merge(crate::forecasts_api::documented())
        .merge(crate::risks_api::documented())
        .merge(crate::informal_api::documented())
        .merge(crate::governance_api::documented())
        .merge(crate::risks_api::simulations())
        .merge(crate::library_api::documented())
        .merge(crate::documents_api::documented())
        .merge(crate::ledger_api::documented())
        .merge(crate::pages::portal::documented())
        .merge(crate::push::documented())
        .routes(utoipa_axum::routes!(api_overview))
        .split_for_parts();
    let doc = std::sync::Arc::new(doc);
    Router::new()
        .route("/", get(index))
        .route("/api/openapi.json", get(move || async move { Json(doc.as_ref().clone()) }))
        .route("/templates/{file}", get(template_download))
        .route("/healthz", get(|| async { "ok" }))
        .merge(api)
        .merge(crate::api::routes())
        .merge(crate::pages::routes())
        // Batches of payments come as large bodies (100,000 payments are about 10 MB of CSV).
        .layer(axum::extract::DefaultBodyLimit::max(BODY_MAX))
        .layer(axum::middleware::from_fn(crate::compress::gzip))
        .with_state(app)
}

/// The largest request body: a batch of about a million payments.
const BODY_MAX: usize = 256 << 20;

/// The daily check, run by the server itself: at start, and each day once the
/// installation's clock passes `schedule.check_hour` (unless `schedule.check` is off). It is
/// `budgetwatch check` as of today — the scheduled rules, escalations of missed deadlines,
/// overdue marks and the emergency cases they call for — journaled by `system:schedule`.
async fn check_on_schedule(store: Store) {
    let mut done: Option<bw_core::Date> = None;
    loop {
        let setting = |key: &'static str| {
            let store = store.clone();
            async move { bw_app::settings::get(&store, key).await.unwrap_or_default() }
        };
        let today = crate::clock::today();
        let hour: u32 =
            crate::clock::local_time(crate::clock::now()).get(11..13).and_then(|h| h.parse().ok()).unwrap_or(0);
        let due_hour: u32 = setting("schedule.check_hour").await.parse().unwrap_or(1);
        let on = setting("schedule.check").await != "off";
        // At start the day's check runs whatever the hour; later, once the hour has come.
        let due = on && done != Some(today) && (done.is_none() || hour >= due_hour);
        if due {
            let ctx = crate::clock::random_seed().map(|entropy| bw_app::Ctx {
                actor: "system:schedule".into(),
                at: crate::clock::now(),
                today,
                reason: Some(format!("scheduled daily check of {today}")),
                entropy,
            });
            match ctx {
                Ok(ctx) => {
                    let s = store.clone();
                    let r =
                        crate::api::off_thread(move |rt| rt.block_on(bw_app::monitor::check(&s, &ctx, today))).await;
                    match r {
                        Ok(Ok(r)) => eprintln!(
                            "scheduled check of {today}: {} raised, {} updated, {} escalated, {} withdrawn, {} emergency cases opened",
                            r.raised, r.updated, r.escalated, r.withdrawn, r.emergencies
                        ),
                        Ok(Err(e)) => eprintln!("error: the scheduled check of {today}: {e}"),
                        Err(p) => eprintln!("error: the scheduled check of {today}: {}", p.detail),
                    }
                }
                Err(e) => eprintln!("error: the scheduled check: no randomness: {e}"),
            }
            done = Some(today);
        }
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    }
}

/// The size past which the server checkpoints and truncates a SQLite WAL.
const WAL_BOUND: u64 = 64 << 20;

pub async fn serve(store: Store, addr: &str) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
    let local = listener.local_addr()?;
    println!("budgetwatch is serving {} at http://{local}/", store.location());
    tokio::spawn(crate::ledger_api::publish_on_schedule(store.clone()));
    // A change of `clock.time_zone` (made from the command line) reaches the server within a
    // minute.
    let zone_store = store.clone();
    tokio::spawn(async move {
        loop {
            if let Err(e) = crate::clock::load_zone(&zone_store).await {
                eprintln!("error: reading clock.time_zone: {e}");
            }
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
    });
    // The WAL kept in check: a large import or a day of writes leaves it large, and SQLite's
    // own checkpoints never shrink the file while readers keep it in use.
    let wal_store = store.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(10)).await;
            if let Err(e) = wal_store.checkpoint_wal(WAL_BOUND).await {
                eprintln!("error: checkpointing the WAL: {e}");
            }
        }
    });
    tokio::spawn(check_on_schedule(store.clone()));
    let app = App::new(store);
    tokio::spawn(crate::push::watch(app.clone()));
    axum::serve(listener, router(app).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

fn internal(e: impl std::fmt::Display) -> Response {
    // Details go to the log, not to the client.
    eprintln!("error: {e}");
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}

/// The first page's figures.
#[utoipa::path(get, path = "/api/v1/overview", tag = "organisation", params(PageQuery), responses((status = 200, description = "budget, paid and execution by region, the month curve", body = Object), (status = 404, description = "no budget data", body = crate::api::ProblemDoc)))]
async fn api_overview(State(app): State<App>, Query(q): Query<PageQuery>) -> Response {
    match cached_overview(&app, &q).await.map(|o| o.as_ref().clone()) {
        Ok(Some(o)) => Json(o).into_response(),
        Ok(None) => crate::api::Problem::not_found("no budget data").into_response(),
        Err(p) => p.into_response(),
    }
}

/// The overview, computed once per journal size (and day, for the default month).
async fn cached_overview(app: &App, q: &PageQuery) -> Result<std::sync::Arc<Option<Overview>>, crate::api::Problem> {
    let key = format!("overview/{:?}/{:?}/{}", q.year, q.month, crate::clock::today());
    app.cached(key, || async {
        overview(&app.store, q.year, q.month, crate::clock::today()).await.map_err(crate::api::Problem::internal)
    })
    .await
}

async fn template_download(Path(file): Path<String>) -> Response {
    let (name, xlsx) = match (file.strip_suffix(".csv"), file.strip_suffix(".xlsx")) {
        (Some(n), _) => (n, false),
        (_, Some(n)) => (n, true),
        _ => return (StatusCode::NOT_FOUND, "no such template").into_response(),
    };
    let Some(kind) = Kind::parse(name) else {
        return (StatusCode::NOT_FOUND, "no such template").into_response();
    };
    let disposition = format!("attachment; filename=\"{file}\"");
    if xlsx {
        match bw_app::template::xlsx(kind, bw_app::template::Lang::Zh) {
            Ok(bytes) => (
                [
                    (
                        header::CONTENT_TYPE,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                    ),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                bytes,
            )
                .into_response(),
            Err(e) => internal(e),
        }
    } else {
        let body = bw_app::template::csv(kind, bw_app::template::Lang::En);
        (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)],
            body,
        )
            .into_response()
    }
}

struct Words {
    title: &'static str,
    region: &'static str,
    budget: &'static str,
    paid: &'static str,
    budget_total: &'static str,
    paid_total: &'static str,
    rate: &'static str,
    gap: &'static str,
    revenue: &'static str,
    progress: &'static str,
    curve: &'static str,
    month_end: &'static str,
    templates: &'static str,
    unit: &'static str,
    empty: &'static str,
    show: &'static str,
    journal: &'static str,
    payments: &'static str,
}

const ZH: Words = Words {
    title: "预算执行总览",
    region: "地区",
    budget: "预算(万元)",
    paid: "已支付(万元)",
    budget_total: "预算总额",
    paid_total: "已支付",
    rate: "支出进度",
    gap: "与序时进度差(百分点)",
    revenue: "收入完成率",
    progress: "序时进度",
    curve: "累计支出进度与序时进度",
    month_end: "数据截至",
    templates: "标准导入模板",
    unit: "金额单位：万元",
    empty: "数据库中还没有预算指标。请先在“导入”页面（/import）按标准模板导入单位、指标和支付数据。",
    show: "查看",
    journal: "日志条目",
    payments: "支付笔数",
};

const EN: Words = Words {
    title: "Budget execution overview",
    region: "Region",
    budget: "Budget (10k yuan)",
    paid: "Paid (10k yuan)",
    budget_total: "Total budget",
    paid_total: "Paid",
    rate: "Execution rate",
    gap: "Gap to time progress (points)",
    revenue: "Revenue completion",
    progress: "Time progress",
    curve: "Cumulative execution rate against time progress",
    month_end: "Figures at the end of",
    templates: "Import templates",
    unit: "Amounts in 10,000 yuan",
    empty: "The database holds no budget indicators yet. Import units, indicators and payments with the standard templates on the import page (/import) first.",
    show: "Show",
    journal: "journal entries",
    payments: "payments",
};

async fn index(State(app): State<App>, caller: crate::api::Caller, Query(q): Query<PageQuery>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let w = if en { &EN } else { &ZH };
    let o = match cached_overview(&app, &q).await {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    let o = o.as_ref().clone();
    let org = match app.org().await {
        Ok(org) => org,
        Err(p) => return p.into_response(),
    };
    // Region rows lead down the tree for those who may read there.
    let drill = |code: &str| caller.user().is_some() && caller.check(&org, Permission::ReadBudget, code).is_ok();
    let mut body = render(w, en, o.as_ref(), &drill);
    if let Some(o) = &o
        && caller.user().is_some()
    {
        // The cockpit depends on the figures and on the caller's reach only.
        let reach = (caller.access.scopes(Permission::ReadBudget), caller.access.scopes(Permission::ReadWarnings));
        let key = format!("cockpit/{}/{}/{en}/{reach:?}", o.year, o.month);
        match app.cached(key, || crate::pages::cockpit::cockpit(&app, &caller, &org, o, en)).await {
            Ok(extra) => body.push_str(&extra),
            Err(p) => return p.into_response(),
        }
    }
    let here = match &o {
        Some(o) => format!("/?year={}&month={}{}", o.year, o.month, if en { "&lang=en" } else { "" }),
        None => "/".into(),
    };
    Html(crate::web::layout(en, w.title, &caller, &here, &body)).into_response()
}

fn curve_svg(o: &Overview) -> String {
    // 12 months on x, 0–110 % on y; the time-progress diagonal and the execution curve.
    let (w, h, left, top) = (560.0, 260.0, 44.0, 12.0);
    let (pw, ph) = (w - left - 12.0, h - top - 30.0);
    let x = |m: f64| left + pw * m / 12.0;
    let y = |r: f64| top + ph * (1.0 - r.min(1.1) / 1.1);
    let mut s = String::new();
    let _ = write!(s, r#"<svg viewBox="0 0 {w} {h}" role="img" class="chart" xmlns="http://www.w3.org/2000/svg">"#);
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{}" y1="{:.1}" y2="{:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" font-size="10" text-anchor="end">{}%</text>"##,
            left + pw,
            y(t),
            y(t),
            left - 4.0,
            y(t) + 3.0,
            (t * 100.0) as i32
        );
    }
    for m in 1..=12 {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{}" font-size="10" text-anchor="middle">{m}</text>"#,
            x(f64::from(m)),
            h - 12.0
        );
    }
    let _ = write!(
        s,
        r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#999" stroke-dasharray="4 3"/>"##,
        x(0.0),
        y(0.0),
        x(12.0),
        y(1.0)
    );
    let mut pts = format!("{:.1},{:.1}", x(0.0), y(0.0));
    for (i, c) in o.cumulative_paid.iter().enumerate().take(o.month as usize) {
        let _ = write!(pts, " {:.1},{:.1}", x(i as f64 + 1.0), y(c.ratio_of(o.total_budget)));
    }
    let _ = write!(s, r##"<polyline points="{pts}" fill="none" stroke="#c0392b" stroke-width="2.5"/>"##);
    let _ = write!(
        s,
        r##"<line x1="{:.1}" x2="{:.1}" y1="{top}" y2="{:.1}" stroke="#2c3e50" stroke-width="1"/>"##,
        x(f64::from(o.month)),
        x(f64::from(o.month)),
        top + ph
    );
    s.push_str("</svg>");
    s
}

fn render(w: &Words, en: bool, o: Option<&Overview>, drill: &dyn Fn(&str) -> bool) -> String {
    let lang_q = if en { "&lang=en" } else { "" };
    let mut body = String::new();
    match o {
        None => {
            let _ = write!(body, "<p class=empty>{}</p>", esc(w.empty));
        }
        Some(o) => {
            let _ = write!(body, "<form class=pick method=get>");
            let _ = write!(body, "<label>{} <select name=year>", esc(w.month_end));
            for y in &o.years {
                let _ = write!(body, "<option{}>{y}</option>", if *y == o.year { " selected" } else { "" });
            }
            let _ = write!(body, "</select></label> <select name=month>");
            for m in 1..=12u32 {
                let _ =
                    write!(body, "<option value={m}{}>{m:02}</option>", if m == o.month { " selected" } else { "" });
            }
            let _ = write!(body, "</select>");
            if en {
                body.push_str("<input type=hidden name=lang value=en>");
            }
            let _ = write!(body, " <button>{}</button></form>", esc(w.show));
            let total_paid = o.regions.iter().filter(|r| r.depth == 0).fold(0i64, |a, r| a + r.paid.fen());
            let rate = Money::from_fen(total_paid).ratio_of(o.total_budget);
            let _ = write!(
                body,
                "<section class=kpis><div><b>{}</b><span>{}</span></div><div><b>{}</b><span>{}</span></div><div><b>{}</b><span>{}</span></div><div><b>{}</b><span>{}</span></div></section>",
                magnitude(en, o.total_budget),
                esc(w.budget_total),
                magnitude(en, Money::from_fen(total_paid)),
                esc(w.paid_total),
                pct(rate),
                esc(w.rate),
                pct(o.time_progress),
                esc(w.progress)
            );
            let _ = write!(body, "<h2>{}</h2>{}", esc(w.curve), curve_svg(o));
            let _ = write!(
                body,
                "<p class=note>{} · {} {}-{:02}</p><div class=scroll><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th><th>{}</th></tr></thead><tbody>",
                esc(w.unit),
                esc(w.month_end),
                o.year,
                o.month,
                esc(w.region),
                esc(w.budget),
                esc(w.paid),
                esc(w.rate),
                esc(w.gap),
                esc(w.revenue)
            );
            for r in &o.regions {
                let gap = (r.execution_rate - o.time_progress) * 100.0;
                let cls = if gap < -10.0 { " class=lag" } else { "" };
                let _ = write!(
                    body,
                    "<tr{cls}><td style=\"padding-left:{}em\">{} <small>{}</small></td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{:+.1}</td><td>{}</td><td class=n>{}</td></tr>",
                    0.4 + r.depth as f64 * 1.2,
                    if drill(&r.code) {
                        format!(
                            r#"<a href="/org/{}?year={}&month={}{lang_q}">{}</a>"#,
                            crate::text::urlencode(&r.code),
                            o.year,
                            o.month,
                            esc(&r.name)
                        )
                    } else {
                        esc(&r.name)
                    },
                    esc(&r.code),
                    wan(r.budget),
                    wan(r.paid),
                    pct(r.execution_rate),
                    gap,
                    bar(r.execution_rate, o.time_progress),
                    if r.revenue_target.fen() > 0 { pct(r.revenue_rate) } else { "—".into() }
                );
            }
            body.push_str("</tbody></table></div>");
            let _ = write!(
                body,
                "<p class=note>{} · {} {} · {} {}</p>",
                esc(w.progress),
                esc(w.journal),
                group_thousands(o.journal_size.max(0) as u64),
                esc(w.payments),
                group_thousands(o.payments.max(0) as u64)
            );
        }
    }
    let mut links = String::new();
    for k in Kind::ALL {
        let _ = write!(
            links,
            r#"{1} <a href="/templates/{0}.csv">CSV</a> <a href="/templates/{0}.xlsx">XLSX</a> · "#,
            k.as_str(),
            if en { k.as_str() } else { k.zh() }
        );
    }
    let _ = write!(body, "<footer>{}: {links}</footer>", esc(w.templates));
    body
}
