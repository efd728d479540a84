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
/// A regression feature as its reader names it.
fn feature_name(en: bool, name: &str) -> String {
    if en {
        return name.to_string();
    }
    match name {
        "const" => "常数项".into(),
        "lag_deviation" => "上季度偏差率".into(),
        "project_share" => "项目支出占预算比例".into(),
        "special_share" => "专项资金占预算比例".into(),
        "red_warnings" => "上季度红色预警数".into(),
        "orange_warnings" => "上季度橙色预警数".into(),
        "yellow_warnings" => "上季度黄色预警数".into(),
        "commitment_ratio" => "已签合同占预算比例".into(),
        "last_year_grade" => "上年绩效等级".into(),
        "macro_cpi" => "居民消费价格涨幅（CPI）".into(),
        "macro_gdp_growth" => "GDP 增速".into(),
        other => match other.strip_prefix("macro_") {
            Some(m) => format!("宏观指标 {m}"),
            None => other.to_string(),
        },
    }
}

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
    // Next quarter's deviation rate by unit (the regression over every year up to this one),
    // for the units within the reader's reach; a year too short for it says why.
    let org = match app.org().await {
        Ok(o) => o,
        Err(p) => return problem_page(en, &caller, &here, p),
    };
    let (regression, regression_note) =
        match bw_app::forecasts::regress(&app.store, year, bw_forecast::ols::Cov::Classical).await {
            Ok(r) => {
                let signed = |v: f64| format!("{:+.2}%", v * 100.0);
                let coefficients: Vec<Value> = r
                    .fit
                    .coefficients
                    .iter()
                    .map(|c| {
                        context! {
                            name => feature_name(en, &c.name),
                            estimate => format!("{:.4}", c.estimate),
                            t => format!("{:.2}", c.t),
                            p => if c.p < 0.001 { "<0.001".to_string() } else { format!("{:.3}", c.p) },
                        }
                    })
                    .collect();
                let predictions: Vec<Value> = r
                    .predictions
                    .iter()
                    .filter(|p| caller.check(&org, Permission::ReadBudget, &p.unit_code).is_ok())
                    .map(|p| {
                        let name = org.get(&p.unit_code).map_or(p.unit_code.clone(), |n| n.name.clone());
                        context! {
                            name => name,
                            quarter => p.quarter.as_str(),
                            mean => signed(p.prediction.mean),
                            band => format!("{} ～ {}", signed(p.prediction.lower), signed(p.prediction.upper)),
                        }
                    })
                    .collect();
                let summary = format!("{} {} · R² {:.3}", r.rows, t(en, "个单位季度", "unit-quarters"), r.fit.r2);
                (Some(context! { coefficients => coefficients, predictions => predictions, summary => summary }), None)
            }
            // The reason in English for English readers; in Chinese, what is missing.
            Err(e) => (
                None,
                Some(if en {
                    e.to_string()
                } else {
                    "本年度及以前年度的单位季度数据不足以估计各因素的影响。".to_string()
                }),
            ),
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
        regression => t(en, "下季度支出偏差率预测（回归分析）", "Next quarter's deviation rate (regression)"),
        regression_intro => t(en, "偏差率 =（季末累计支付 − 按往年进度应支付）÷ 年度预算。按截至本年度的各单位季度数据做最小二乘回归，预测各单位下一季度的偏差率及其 95% 预测区间。", "Deviation rate = (paid to the quarter's end − planned by the unit's profile) ÷ the year's budget. Least squares over every unit-quarter up to this year; each unit's next quarter with its 95 % prediction interval."),
        feature => t(en, "因素", "Feature"),
        estimate => t(en, "系数", "Estimate"),
        unit => t(en, "单位", "Unit"),
        quarter => t(en, "预测季度", "Quarter"),
        predicted => t(en, "预测偏差率", "Predicted"),
        interval => t(en, "95% 预测区间", "95 % interval"),
        no_regression => t(en, "暂不能做回归分析：", "No regression yet: "),
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
            regression => regression,
            regression_note => regression_note,
        },
    );
    Html(layout(en, t(en, "执行预测", "Forecast"), &caller, &here, &body)).into_response()
}
