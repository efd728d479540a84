//! The HTML pages, one module per feature (none imports another), and what the signed-in
//! pages share: the year and month asked for, the key figures, the figure columns, the
//! cached drill-down level. Server-rendered HTML, charts as SVG, phone-sized screens first;
//! every figure is checked against the caller's grants as the API checks it.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use bw_app::browse::{self, PaymentFilter, WarningFilter};
use bw_app::drill;
use bw_core::Date;
use bw_core::access::Permission;

use crate::api::{App, Caller, Problem, Via};
use crate::clock::today;
use crate::text::{bar, economic_cell, esc, functional_cell, pct, segment, t, urlencode, wan, yuan};
use crate::web::{
    account_refusal_zh, actor_html, back_to, evidence_text, form_csrf, holding, inquiry_due, layout, level_badge,
    level_name, page_answer, problem_page, report_links, rule_name, state_name,
};

mod admin;
pub(crate) mod audit;
pub(crate) mod budget;
pub(crate) mod cockpit;
mod drilldown;
pub(crate) mod feedback;
mod forecast;
mod governance;
mod import;
mod inbox;
mod informal;
pub(crate) mod portal;
mod reviews;
mod risks;
mod simulation;
mod warning;

/// Every page's routes.
pub fn routes() -> Router<App> {
    Router::new()
        .merge(drilldown::routes())
        .merge(inbox::routes())
        .merge(warning::routes())
        .merge(import::routes())
        .merge(admin::routes())
        .merge(portal::routes())
        .merge(feedback::routes())
        .merge(audit::routes())
        .merge(budget::routes())
        .merge(risks::routes())
        .merge(informal::routes())
        .merge(governance::routes())
        .merge(reviews::routes())
        .merge(simulation::routes())
        .merge(forecast::routes())
}

/// Year and month of the figures, and the language.
#[derive(serde::Deserialize, Default, Clone)]
pub struct When {
    year: Option<i32>,
    month: Option<u32>,
    lang: Option<String>,
    after: Option<String>,
}

impl When {
    fn en(&self) -> bool {
        self.lang.as_deref() == Some("en")
    }

    /// The year asked for (default: today's) and month (default: the year's last month
    /// not after today).
    fn resolve(&self) -> (i32, u32) {
        let t = today();
        let year = self.year.unwrap_or(t.year());
        let month = self.month.filter(|m| (1..=12).contains(m)).unwrap_or(if year < t.year() { 12 } else { t.month() });
        (year, month)
    }

    fn query(&self, year: i32, month: u32) -> String {
        format!("?year={year}&month={month}{}", if self.en() { "&lang=en" } else { "" })
    }
}

/// The four key figures of `f` as `figures.html`'s `kpis` lays them out: each its value and
/// what it is.
fn kpis(en: bool, f: &drill::Figures, progress: f64) -> Vec<minijinja::Value> {
    [
        (wan(f.budget), t(en, "预算(万元)", "Budget (10k yuan)")),
        (wan(f.paid), t(en, "已支付(万元)", "Paid (10k yuan)")),
        (pct(f.execution_rate), t(en, "支出进度", "Execution rate")),
        (pct(progress), t(en, "序时进度", "Time progress")),
    ]
    .into_iter()
    .map(|(value, label)| minijinja::context! { value => value, label => label })
    .collect()
}

#[derive(serde::Deserialize, Default)]
struct LangQuery {
    lang: Option<String>,
    done: Option<String>,
    error: Option<String>,
}

/// The figure columns of a drill-down table: budget, paid, rate and its bar.
fn figure_cols(en: bool) -> [&'static str; 4] {
    [
        t(en, "预算(万元)", "Budget (10k yuan)"),
        t(en, "已支付(万元)", "Paid (10k yuan)"),
        t(en, "支出进度", "Execution rate"),
        "",
    ]
}

/// One row's figures under `figure_cols` (as `figures.html`'s `figure_cells` lays them out),
/// and whether the row lags more than 10 points behind time progress.
fn figure_cells(budget: bw_core::Money, paid: bw_core::Money, rate: f64, progress: f64) -> minijinja::Value {
    minijinja::context! {
        budget => wan(budget),
        paid => wan(paid),
        rate => pct(rate),
        bar => minijinja::Value::from_safe_string(bar(rate, progress)),
        lag => rate + 0.10 < progress,
    }
}

/// A drill-down level, computed once per journal size.
async fn cached_level(
    app: &App,
    org: &bw_core::org::OrgTree,
    code: &str,
    year: i32,
    month: u32,
) -> Result<std::sync::Arc<Option<drill::Level>>, Problem> {
    app.cached(format!("level/{code}/{year}/{month}"), || async {
        drill::level(&app.store, org, code, year, month).await.map_err(Problem::internal)
    })
    .await
}

/// Whether a warning's next deadline has passed: the explanation while open or returned,
/// the plan while a rectification is required.
fn overdue(state: &str, explain_by: &str, plan_by: &str, today: Date) -> Option<String> {
    let due = match bw_rules::workflow::State::parse(state) {
        Some(s) if s.explanation_due() => explain_by,
        Some(bw_rules::workflow::State::RectificationRequired) => plan_by,
        _ => return None,
    };
    Date::parse(due).ok().filter(|d| *d < today).map(|d| d.to_string())
}
