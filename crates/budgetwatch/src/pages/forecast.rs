//! `/forecast/{year}`: the year-end outturn forecasts over the system's own figures
//! (docs/FORECAST.md) as of a month, by department, region, unit or indicator — each line's
//! expected outturn against its budget with its P10–P90 band (server-rendered SVG) and the
//! early signals of overspending and under-execution.

use super::*;
use bw_app::forecasts::{By, Line};
use bw_core::Money;
use bw_forecast::outturn::Method;
use minijinja::{Value, context};

pub(super) fn routes() -> Router<App> {
    Router::new().route("/forecast/{year}", get(page))
}

#[derive(serde::Deserialize, Default)]
pub(super) struct ForecastQuery {
    lang: Option<String>,
    month: Option<u32>,
    by: Option<String>,
    method: Option<String>,
}

fn method_name(en: bool, m: Method) -> &'static str {
    match m {
        Method::RunRate => t(en, "按进度外推", "run rate"),
        Method::Profile => t(en, "按历年支出节奏", "profile"),
        Method::Snaive => t(en, "同期季节法", "seasonal naive"),
        Method::HoltWinters => t(en, "霍尔特-温特斯", "Holt-Winters"),
        Method::Damped => t(en, "阻尼霍尔特-温特斯", "damped Holt-Winters"),
        Method::Auto => t(en, "自动（回测最优）", "auto (best backtest)"),
    }
}

/// Outturn against budget per line: a bar to the outturn, the P10–P90 band, the budget mark.
fn chart(lines: &[Line]) -> String {
    let shown: Vec<&Line> = lines.iter().take(25).collect();
    if shown.is_empty() {
        return String::new();
    }
    let (w, row, left) = (640.0, 22.0, 150.0);
    let h = row * shown.len() as f64 + 10.0;
    let top = shown
        .iter()
        .map(|l| l.budget.fen().max(l.p90.map_or(0, Money::fen)).max(l.outturn.fen()))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    // Drawing coordinates from fen: the only place the amounts become numbers.
    let x = |v: Money| left + (w - left - 10.0) * (v.fen() as f64 / top).clamp(0.0, 1.0);
    let mut s = format!(
        r#"<svg viewBox="0 0 {w} {h}" class="chart forecast" role="img" aria-label="outturn against budget" xmlns="http://www.w3.org/2000/svg">"#
    );
    for (i, l) in shown.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        // Over 110 % red, under 90 % orange: compared in fen, ×10 on both sides.
        let (outturn, budget) = (i128::from(l.outturn.fen()) * 10, i128::from(l.budget.fen()));
        let colour = if outturn > budget * 11 {
            "#c0392b"
        } else if outturn < budget * 9 {
            "#e67e22"
        } else {
            "#27ae60"
        };
        let _ = write!(
            s,
            r#"<text x="{}" y="{:.1}" font-size="11" text-anchor="end">{}</text><rect x="{left}" y="{y:.1}" width="{:.1}" height="{}" fill="{colour}" opacity="0.8"/>"#,
            left - 6.0,
            y + 13.0,
            esc(&l.name),
            (x(l.outturn) - left).max(0.5),
            row - 8.0
        );
        if let (Some(lo), Some(hi)) = (l.p10, l.p90) {
            let _ = write!(
                s,
                r##"<line x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#333" stroke-width="2"/>"##,
                x(lo),
                x(hi),
                y + (row - 8.0) / 2.0,
                y + (row - 8.0) / 2.0
            );
        }
        let bx = x(l.budget);
        let _ = write!(
            s,
            r##"<line x1="{bx:.1}" x2="{bx:.1}" y1="{:.1}" y2="{:.1}" stroke="#111" stroke-width="2"/>"##,
            y - 2.0,
            y + row - 6.0
        );
    }
    s.push_str("</svg>");
    s
}

pub(super) async fn page(
    State(app): State<App>,
    caller: Caller,
    Path(year): Path<i32>,
    Query(q): Query<ForecastQuery>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let here = format!("/forecast/{year}");
    if caller.user().is_none() || !caller.access.has(Permission::ReadBudget) {
        return problem_page(en, &caller, &here, bw_core::access::Refusal::NoPermission(Permission::ReadBudget).into());
    }
    let now = today();
    let month = q.month.filter(|m| (1..=12).contains(m)).unwrap_or(if year < now.year() { 12 } else { now.month() });
    let by_id = q.by.clone().unwrap_or_else(|| "department".into());
    let by = By::parse(&by_id).unwrap_or(By::Department);
    let method = q.method.as_deref().and_then(Method::parse).unwrap_or(Method::Auto);
    let lines = match bw_app::forecasts::run(&app.store, year, month, by, method).await {
        Ok(l) => l,
        Err(e) => return problem_page(en, &caller, &here, Problem::internal(e)),
    };
    let lines = match crate::forecasts_api::within_reach(&app, &caller, year, by, lines).await {
        Ok(l) => l,
        Err(p) => return problem_page(en, &caller, &here, p),
    };
    // A year without indicators points to the latest that has them.
    let latest: Option<i32> = if lines.is_empty() {
        bw_store::sqlx::query_scalar::<_, Option<i32>>("SELECT MAX(year) FROM indicators WHERE year <> $1")
            .bind(year)
            .fetch_one(app.store.pool())
            .await
            .ok()
            .flatten()
    } else {
        None
    };
    let pct_opt = |p: Option<f64>| p.map(|p| format!("{:.0}%", p * 100.0)).unwrap_or_else(|| "—".into());
    let rows: Vec<Value> = lines
        .iter()
        .map(|l| {
            context! {
                name => l.name.as_str(),
                code => l.code.as_str(),
                budget => wan(l.budget),
                to_date => wan(l.to_date),
                outturn => wan(l.outturn),
                band => match (l.p10, l.p90) { (Some(a), Some(b)) => format!("{} – {}", wan(a), wan(b)), _ => "—".into() },
                rate => if l.budget.fen() > 0 { pct(l.outturn.ratio_of(l.budget)) } else { "—".into() },
                method => method_name(en, l.method),
                p_over => pct_opt(l.p_overspend),
                p_under => pct_opt(l.p_underexecution),
            }
        })
        .collect();
    let words = context! {
        title => t(en, "年度执行预测", "Year-end outturn forecast"),
        month => t(en, "截至月份", "As of month"),
        by => t(en, "汇总口径", "By"),
        method => t(en, "方法", "Method"),
        show => t(en, "预测", "Forecast"),
        intro => t(en, "按各指标逐月支付数预测年底执行数（万元）；有两年以上历史数据时按回测误差给出 P10–P90 区间和超支、执行不足的概率，仅一年数据时按进度外推。", "Each indicator's monthly payments forecast to the year's end (10,000 yuan); with two earlier years the backtests give the P10–P90 band and the probabilities of overspending and under-execution; with one year, the run rate."),
        legend => t(en, "色条：预测年底执行数（绿：预算的 90%–110%；橙：低于 90%；红：超过 110%）；黑色竖线：预算；黑色横线：P10–P90。", "Bar: the forecast outturn (green within 90–110 % of the budget, orange below, red above); black tick: the budget; black line: P10–P90."),
        name => t(en, "名称", "Name"),
        budget => t(en, "预算", "Budget"),
        to_date => t(en, "已执行", "To date"),
        outturn => t(en, "预测年底执行", "Outturn"),
        rate => t(en, "预测执行率", "Rate"),
        method_col => t(en, "方法", "Method"),
        p_over => t(en, "超支 10% 以上概率", "P(overspend > 10 %)"),
        p_under => t(en, "执行不足 90% 概率", "P(execution < 90 %)"),
        none => t(en, "该年度没有预算指标，请查看：", "No indicators in this year; see"),
    };
    let bys = [
        ("department", t(en, "部门", "department")),
        ("region", t(en, "地区", "region")),
        ("unit", t(en, "单位", "unit")),
        ("indicator", t(en, "指标", "indicator")),
        ("revenue", t(en, "收入项目", "revenue line")),
    ];
    let methods = [Method::Auto, Method::RunRate, Method::Profile, Method::Snaive, Method::HoltWinters, Method::Damped];
    let method_id =
        |m: Method| serde_json::to_value(m).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    let body = crate::templates::render(
        "forecast.html",
        context! {
            w => words,
            en => en,
            year => year,
            month => month,
            months => (1..=12).collect::<Vec<u32>>(),
            by => by_id,
            bys => bys.iter().map(|(id, name)| context! { id => *id, name => *name }).collect::<Vec<_>>(),
            method => method_id(method),
            methods => methods.iter().map(|m| context! { id => method_id(*m), name => method_name(en, *m) }).collect::<Vec<_>>(),
            chart => Value::from_safe_string(chart(&lines)),
            latest => latest,
            lines => rows,
        },
    );
    Html(layout(en, t(en, "执行预测", "Forecast"), &caller, &here, &body)).into_response()
}
