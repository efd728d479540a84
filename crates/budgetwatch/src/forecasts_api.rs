//! The year-end outturn forecasts over the API: `GET /api/v1/forecasts` gives the lines the
//! page `/forecast/{year}` shows (docs/FORECAST.md), within the caller's reach, with the
//! permission to read budgets.

use axum::Json;
use axum::extract::{Query, State};
use bw_app::forecasts::{By, Line};
use bw_core::access::Permission;
use bw_forecast::outturn::Method;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{App, Caller, Problem, ProblemDoc, field_problem, signed_in};

pub fn documented() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(list))
}

#[derive(serde::Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ForecastParams {
    /// The fiscal year forecast.
    year: i32,
    /// As of the end of this month (1–12); by default the year's last month before today.
    month: Option<u32>,
    /// `indicator`, `unit`, `department` (default), `region` or `revenue` (each region's
    /// revenue lines against their targets).
    by: Option<String>,
    /// `auto` (default), `run_rate`, `profile`, `snaive`, `holt_winters` or `damped`.
    method: Option<String>,
}

/// The lines the caller may read: an indicator's by its unit, every other line by its node.
pub(crate) async fn within_reach(
    app: &App,
    caller: &Caller,
    year: i32,
    by: By,
    lines: Vec<Line>,
) -> Result<Vec<Line>, Problem> {
    let org = app.org().await?;
    let units: std::collections::HashMap<String, String> = if by == By::Indicator {
        bw_store::sqlx::query_as::<_, (String, String)>(
            "SELECT indicator_code, unit_code FROM indicators WHERE year = $1",
        )
        .bind(year)
        .fetch_all(app.store.pool())
        .await
        .map_err(Problem::internal)?
        .into_iter()
        .collect()
    } else {
        Default::default()
    };
    Ok(lines
        .into_iter()
        .filter(|l| {
            let node = units.get(&l.code).map_or(bw_app::forecasts::node_of(by, &l.code), String::as_str);
            caller.check(&org, Permission::ReadBudget, node).is_ok()
        })
        .collect())
}

#[utoipa::path(get, path = "/api/v1/forecasts", tag = "forecasts", params(ForecastParams), security((), ("token" = [])), responses((status = 200, description = "each line's year-end outturn with its P10–P90 band, the method, the backtest errors and the early signals (P(overspend > 10 %), P(execution < 90 %)); amounts in yuan", body = Object), (status = 400, description = "a malformed parameter", body = ProblemDoc), (status = 401, description = "no or an unknown credential", body = ProblemDoc), (status = 403, description = "outside the caller's permissions", body = ProblemDoc)))]
async fn list(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<ForecastParams>,
) -> Result<Json<serde_json::Value>, Problem> {
    signed_in(&caller)?;
    if !caller.access.has(Permission::ReadBudget) {
        return Err(bw_core::access::Refusal::NoPermission(Permission::ReadBudget).into());
    }
    let now = crate::clock::today();
    let month = match q.month {
        Some(m) if (1..=12).contains(&m) => m,
        Some(_) => return Err(field_problem("month", "1 to 12")),
        None if q.year < now.year() => 12,
        None => now.month(),
    };
    let by_id = q.by.unwrap_or_else(|| "department".into());
    let by = By::parse(&by_id).ok_or_else(|| field_problem("by", "indicator, unit, department, region or revenue"))?;
    let method_id = q.method.unwrap_or_else(|| "auto".into());
    let method = Method::parse(&method_id)
        .ok_or_else(|| field_problem("method", "auto, run_rate, profile, snaive, holt_winters or damped"))?;
    let lines = bw_app::forecasts::run(&app.store, q.year, month, by, method).await.map_err(Problem::internal)?;
    let items = within_reach(&app, &caller, q.year, by, lines).await?;
    Ok(Json(json!({ "year": q.year, "month": month, "by": by_id, "method": method_id, "items": items })))
}
