//! `/simulation`: a Monte Carlo scenario (docs/FORECAST.md) written or pasted on the page and
//! run on the server — the fan of the debt ratio (债务率) over the years, each region's last
//! year, the tornado and the Sobol' indices — with the scenario's and the result's SHA-256
//! so that anyone can re-run it with `budgetwatch simulate run` and compare.

use super::*;
use bw_forecast::simulate::{self, Outcome, Scenario, Sensitivity};

use minijinja::{Value, context};

pub(super) fn routes() -> Router<App> {
    Router::new().route("/simulation", get(page).post(run)).route("/simulation/{id}", get(stored))
}

/// The scenario the form starts from.
const EXAMPLE: &str = include_str!("../../../../examples/scenario.toml");
/// Paths a page may ask for: enough for stable bands, bounded for a shared server.
const MAX_PATHS: usize = 50_000;

fn allowed(caller: &Caller) -> Result<(), Problem> {
    if caller.user().is_none() || !caller.access.has(Permission::ReadBudget) {
        return Err(bw_core::access::Refusal::NoPermission(Permission::ReadBudget).into());
    }
    Ok(())
}

fn words(en: bool) -> Value {
    context! {
        title => t(en, "蒙特卡洛模拟：基建投资与地方债务风险", "Monte Carlo: investment and local debt risk"),
        intro => t(en, "按情景文件中的驱动因素分布和相关性抽样，逐年推算各地区债务率（债务余额 ÷ 综合财力）的分布；同一种子的结果可用命令行 budgetwatch simulate run 复现。", "Drivers drawn from the scenario's distributions and correlation; each region's debt ratio (debt ÷ fiscal capacity) year by year. The same seed gives the same result with `budgetwatch simulate run`."),
        paths => t(en, "条路径", "paths"),
        seed => t(en, "种子", "seed"),
        digests => t(en, "摘要（SHA-256）：", "SHA-256:"),
        scenario => t(en, "情景", "scenario"),
        result => t(en, "结果", "result"),
        legend => t(en, "浅色带：P5–P95；深色带：P10–P90；实线：中位数；虚线：警戒线。", "Light band P5–P95, dark band P10–P90, line: median, dashed: the warning line."),
        year => t(en, "年度", "Year"),
        mean => t(en, "均值", "Mean"),
        over => t(en, "超警戒线概率", "P(above the line)"),
        regions => t(en, "各地区", "Regions"),
        region => t(en, "地区", "Region"),
        tornado => t(en, "敏感性（龙卷风图，末年总体债务率）", "Sensitivity (tornado, last year's total ratio)"),
        driver => t(en, "驱动因素", "Driver"),
        s1 => t(en, "一阶 Sobol 指数", "First-order Sobol'"),
        st => t(en, "总 Sobol 指数", "Total Sobol'"),
        scenario_form => t(en, "情景（TOML）", "Scenario (TOML)"),
        toml => t(en, "情景文件内容", "The scenario file"),
        paths_label => t(en, "路径数（不超过 50000）", "Paths (at most 50,000)"),
        run => t(en, "运行模拟并记入日志", "Run and keep in the journal"),
        runs => t(en, "已记入日志的模拟", "Runs kept in the journal"),
        name => t(en, "情景", "Scenario"),
        by => t(en, "运行人", "Run by"),
        paths_col => t(en, "路径数", "Paths"),
    }
}

fn driver_zh(en: bool, name: &str) -> String {
    if en {
        return name.to_string();
    }
    match name {
        "growth" => "财力增长率",
        "rate" => "利率",
        "overrun" => "投资超支率",
        "financed" => "举债融资比例",
        other => other,
    }
    .to_string()
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The fan of the total ratio: P5–P95 and P10–P90 bands, the median, the warning line.
fn fan(out: &Outcome) -> String {
    let (w, h, left, bottom) = (640.0, 260.0, 48.0, 24.0);
    let bands = &out.total;
    let lo = bands.iter().map(|b| b.p5).fold(out.threshold, f64::min).min(1.0) * 0.95;
    let hi = bands.iter().map(|b| b.p95).fold(out.threshold, f64::max) * 1.05;
    let n = bands.len().max(2) as f64 - 1.0;
    let x = |i: usize| left + (w - left - 16.0) * i as f64 / n;
    let y = |v: f64| (h - bottom) - (h - bottom - 8.0) * (v - lo) / (hi - lo).max(1e-9);
    let area = |a: &dyn Fn(&simulate::Band) -> f64, b: &dyn Fn(&simulate::Band) -> f64| {
        let mut pts: Vec<String> =
            bands.iter().enumerate().map(|(i, s)| format!("{:.1},{:.1}", x(i), y(a(s)))).collect();
        pts.extend(bands.iter().enumerate().rev().map(|(i, s)| format!("{:.1},{:.1}", x(i), y(b(s)))));
        pts.join(" ")
    };
    let mut s = format!(
        r#"<svg viewBox="0 0 {w} {h}" class="chart fan" role="img" aria-label="debt ratio fan" xmlns="http://www.w3.org/2000/svg">"#
    );
    let _ = write!(s, r##"<polygon points="{}" fill="#f5c6a5"/>"##, area(&|b| b.p95, &|b| b.p5));
    let _ = write!(s, r##"<polygon points="{}" fill="#e67e22" opacity="0.55"/>"##, area(&|b| b.p90, &|b| b.p10));
    let median: Vec<String> = bands.iter().enumerate().map(|(i, b)| format!("{:.1},{:.1}", x(i), y(b.p50))).collect();
    let _ = write!(s, r##"<polyline points="{}" fill="none" stroke="#8e2b0b" stroke-width="2"/>"##, median.join(" "));
    let ty = y(out.threshold);
    let _ = write!(
        s,
        r##"<line x1="{left}" x2="{}" y1="{ty:.1}" y2="{ty:.1}" stroke="#c0392b" stroke-dasharray="5 4"/><text x="{}" y="{:.1}" font-size="11" text-anchor="end" fill="#c0392b">{}</text>"##,
        w - 16.0,
        w - 18.0,
        ty - 4.0,
        pct(out.threshold)
    );
    for (i, b) in bands.iter().enumerate() {
        let _ =
            write!(s, r#"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle">{}</text>"#, x(i), h - 6.0, b.year);
    }
    for v in [lo, (lo + hi) / 2.0, hi] {
        let _ = write!(
            s,
            r#"<text x="{}" y="{:.1}" font-size="11" text-anchor="end">{}</text>"#,
            left - 4.0,
            y(v) + 4.0,
            pct(v)
        );
    }
    s.push_str("</svg>");
    s
}

/// The tornado: each driver's low and high against the base, widest first.
fn tornado(en: bool, sens: &Sensitivity) -> String {
    let rows = sens.tornado.len().max(1) as f64;
    let (w, row, left) = (640.0, 26.0, 110.0);
    let h = row * rows + 28.0;
    let lo = sens.tornado.iter().map(|b| b.low.min(b.high)).fold(sens.base, f64::min);
    let hi = sens.tornado.iter().map(|b| b.low.max(b.high)).fold(sens.base, f64::max);
    let span = (hi - lo).max(1e-9);
    // Room on the right for the widest bar's label.
    let x = |v: f64| left + (w - left - 130.0) * (v - lo) / span;
    let mut s = format!(
        r#"<svg viewBox="0 0 {w} {h}" class="chart tornado" role="img" aria-label="tornado" xmlns="http://www.w3.org/2000/svg">"#
    );
    for (i, b) in sens.tornado.iter().enumerate() {
        let top = 8.0 + row * i as f64;
        let (a, c) = (x(b.low.min(b.high)), x(b.low.max(b.high)));
        let _ = write!(
            s,
            r##"<text x="{}" y="{:.1}" font-size="12" text-anchor="end">{}</text><rect x="{a:.1}" y="{top:.1}" width="{:.1}" height="{}" fill="#e67e22"/><text x="{:.1}" y="{:.1}" font-size="11">{} … {}</text>"##,
            left - 6.0,
            top + 14.0,
            esc(&driver_zh(en, &b.driver)),
            (c - a).max(1.0),
            row - 8.0,
            c + 4.0,
            top + 14.0,
            pct(b.low),
            pct(b.high)
        );
    }
    let bx = x(sens.base);
    let _ = write!(s, r##"<line x1="{bx:.1}" x2="{bx:.1}" y1="4" y2="{}" stroke="#333"/>"##, h - 18.0);
    let _ =
        write!(s, r#"<text x="{bx:.1}" y="{}" font-size="11" text-anchor="middle">{}</text>"#, h - 4.0, pct(sens.base));
    s.push_str("</svg>");
    s
}

#[derive(serde::Deserialize, Default)]
pub(super) struct SimForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    scenario: String,
    #[serde(default)]
    paths: String,
}

fn render(
    en: bool,
    caller: &Caller,
    scenario: &str,
    paths: &str,
    result: Option<(Value, String, String)>,
    error: Option<String>,
    runs: &[bw_app::simulation::Stored],
) -> String {
    let (result, fan, tornado) = match result {
        Some((r, f, t)) => (Some(r), Value::from_safe_string(f), Value::from_safe_string(t)),
        None => (None, Value::from(""), Value::from("")),
    };
    crate::templates::render(
        "simulation.html",
        context! {
            w => words(en),
            lang => if en { "?lang=en" } else { "" },
            csrf => caller.csrf().to_string(),
            scenario => scenario,
            paths => paths,
            result => result,
            fan => fan,
            tornado => tornado,
            error => error,
            runs => runs.iter().map(|r| context! { id => r.id, name => r.name.as_str(), by => r.run_by.trim_start_matches("user:"), paths => r.scenario.paths, seed => r.scenario.seed, sha => r.result_sha256.get(..12).unwrap_or("") }).collect::<Vec<_>>(),
        },
    )
}

pub(super) async fn page(State(app): State<App>, caller: Caller, Query(q): Query<LangQuery>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    if let Err(p) = allowed(&caller) {
        return problem_page(en, &caller, "/simulation", p);
    }
    let runs = bw_app::simulation::list(&app.store, 20).await.unwrap_or_default();
    let body = render(en, &caller, EXAMPLE, "10000", None, q.error.clone(), &runs);
    Html(layout(en, t(en, "蒙特卡洛模拟", "Monte Carlo"), &caller, "/simulation", &body)).into_response()
}

/// Runs the scenario written on the page and keeps the run in the journal; then its page.
pub(super) async fn run(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<LangQuery>,
    Form(f): Form<SimForm>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    if let Err(p) = allowed(&caller) {
        return problem_page(en, &caller, "/simulation", p);
    }
    if let Some(r) = form_csrf(&caller, &f.csrf, "/simulation") {
        return r;
    }
    let text = f.scenario.replace("\r\n", "\n");
    let paths = f.paths.trim().to_string();
    let recorded = match parse(en, &text, &paths) {
        Ok(scenario) => match caller.ctx(Some(format!("simulation {}", scenario.name))) {
            Ok(ctx) => {
                let (store, sha) = (app.store.clone(), bw_ledger::hex(&bw_ledger::sha256(text.as_bytes())));
                let threads = std::thread::available_parallelism().map_or(1, usize::from);
                // The journal's write closure is not Send: the write runs on the writers' thread.
                match crate::api::off_thread(move |rt| {
                    rt.block_on(bw_app::simulation::record(&store, &ctx, scenario, &sha, threads))
                })
                .await
                {
                    Ok(Ok((id, _))) => Ok(id),
                    Ok(Err(e)) => Err(format!("{}{e}", t(en, "情景无法运行：", "The scenario: "))),
                    Err(p) => Err(p.detail),
                }
            }
            Err(p) => Err(p.detail),
        },
        Err(e) => Err(e),
    };
    match recorded {
        Ok(id) => Redirect::to(&format!("/simulation/{id}{}", if en { "?lang=en" } else { "" })).into_response(),
        Err(e) => {
            let runs = bw_app::simulation::list(&app.store, 20).await.unwrap_or_default();
            let body = render(en, &caller, &text, &paths, None, Some(e), &runs);
            Html(layout(en, t(en, "蒙特卡洛模拟", "Monte Carlo"), &caller, "/simulation", &body)).into_response()
        }
    }
}

/// A kept run: run again from its scenario (the same result, as its digest shows).
pub(super) async fn stored(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<LangQuery>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let here = format!("/simulation/{id}");
    if let Err(p) = allowed(&caller) {
        return problem_page(en, &caller, &here, p);
    }
    let run = match bw_app::simulation::get(&app.store, id).await {
        Ok(Some(r)) => r,
        Ok(None) => return problem_page(en, &caller, &here, Problem::not_found(format!("no simulation {id}"))),
        Err(e) => return problem_page(en, &caller, &here, Problem::internal(e)),
    };
    let (scenario, sha) = (run.scenario.clone(), run.scenario_sha256.clone());
    let shown = tokio::task::spawn_blocking(move || view(en, &scenario, &sha)).await;
    let text = toml::to_string(&run.scenario).unwrap_or_default();
    let runs = bw_app::simulation::list(&app.store, 20).await.unwrap_or_default();
    let (result, error) = match shown {
        Ok(Ok((v, fan, tornado))) => (Some((v, fan, tornado)), None),
        Ok(Err(e)) => (None, Some(e)),
        Err(e) => (None, Some(e.to_string())),
    };
    let body = render(en, &caller, &text, &run.scenario.paths.to_string(), result, error, &runs);
    Html(layout(en, t(en, "蒙特卡洛模拟", "Monte Carlo"), &caller, &here, &body)).into_response()
}

/// The scenario written on the page, with the paths asked for.
fn parse(en: bool, text: &str, paths: &str) -> Result<Scenario, String> {
    let mut s: Scenario = toml::from_str(text)
        .map_err(|e| format!("{}{}", t(en, "情景文件有误：", "The scenario: "), e.to_string().trim_end()))?;
    if !paths.is_empty() {
        let n: usize = paths.parse().map_err(|_| t(en, "路径数须为整数。", "Paths: a whole number.").to_string())?;
        if !(1..=MAX_PATHS).contains(&n) {
            return Err(t(en, "路径数须在 1 至 50000 之间。", "Paths: 1 to 50,000.").to_string());
        }
        s.paths = n;
    }
    s.paths = s.paths.min(MAX_PATHS);
    if s.cells() > crate::risks_api::MAX_CELLS {
        return Err(t(
            en,
            "情景过大：路径数 ×（地区数 + 1）× 年数不得超过一千万。",
            "Too large: paths × (regions + 1) × years at most 10,000,000.",
        )
        .to_string());
    }
    s.check().map_err(|e| format!("{}{e}", t(en, "情景无法运行：", "The scenario: ")))?;
    Ok(s)
}

/// Runs the scenario: the bands, the tornado and the Sobol' indices, as the page shows them.
fn view(en: bool, s: &Scenario, scenario_sha256: &str) -> Result<(Value, String, String), String> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let out = simulate::run(s, threads).map_err(|e| format!("{}{e}", t(en, "情景无法运行：", "The scenario: ")))?;
    let sens = simulate::sensitivity(s, 0.1, 1024).ok();
    let result_sha = bw_app::simulation::result_sha256(&out);
    let band = |b: &simulate::Band| {
        context! { year => b.year, mean => pct(b.mean), p5 => pct(b.p5), p10 => pct(b.p10), p50 => pct(b.p50), p90 => pct(b.p90), p95 => pct(b.p95), over => pct(b.p_over) }
    };
    let regions: Vec<Value> = out
        .regions
        .iter()
        .filter_map(|r| {
            let b = r.years.last()?;
            Some(context! { name => r.name.clone().unwrap_or_else(|| r.code.clone()), mean => pct(b.mean), p50 => pct(b.p50), p95 => pct(b.p95), over => pct(b.p_over) })
        })
        .collect();
    let sobol: Vec<Value> = sens
        .as_ref()
        .map(|x| {
            x.drivers
                .iter()
                .enumerate()
                .map(|(i, d)| context! { driver => driver_zh(en, d), s1 => format!("{:.3}", x.sobol.s1[i]), st => format!("{:.3}", x.sobol.st[i]) })
                .collect()
        })
        .unwrap_or_default();
    let value = context! {
        name => out.name.clone(),
        paths => out.paths,
        seed => out.seed,
        scenario_sha256 => scenario_sha256,
        result_sha256 => result_sha,
        total => out.total.iter().map(band).collect::<Vec<_>>(),
        last_year => out.total.last().map(|b| b.year),
        regions => regions,
        delta => "10%",
        sobol => sobol,
    };
    let tornado_svg = sens.as_ref().map(|x| tornado(en, x)).unwrap_or_default();
    Ok((value, fan(&out), tornado_svg))
}
