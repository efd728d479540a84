//! `budgetwatch forecast`: least squares and Holt-Winters on CSV files, as the contract
//! prints them (the figures themselves are held against statsmodels by
//! scripts/check-forecast.py).

mod common;
use common::*;

#[test]
fn ols_prints_the_contracts_fields_and_refuses_bad_files_precisely() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("unused.db");
    let file = dir.path().join("data.csv");
    std::fs::write(&file, "x1,y,x2\n1,3.1,2\n2,3.9,1\n3,7.2,4\n4,7.8,3\n5,11.1,6\n6,11.9,5\n7,15.2,8\n8,16.8,9\n")
        .expect("write");
    let path = file.to_str().expect("path");
    let o = bw(&db, &["forecast", "ols", path, "--y", "y", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!((v["n"].as_u64(), v["k"].as_u64()), (Some(8), Some(3)));
    let names: Vec<&str> =
        v["coefficients"].as_array().expect("array").iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["const", "x1", "x2"], "the regressors in file order");
    for field in ["estimate", "se", "t", "p"] {
        assert!(v["coefficients"][1][field].is_f64(), "{field}");
    }
    // statsmodels: OLS(y, add_constant([x1, x2])).fit().params[1] and rsquared.
    assert!((v["coefficients"][1]["estimate"].as_f64().unwrap_or(0.0) - 1.3617647058823548).abs() < 1e-12);
    assert!((v["r2"].as_f64().unwrap_or(0.0) - 0.9994616903933088).abs() < 1e-12);
    assert!(v["adj_r2"].is_f64() && v["f"].is_f64() && v["f_p"].is_f64());
    let robust = bw(&db, &["forecast", "ols", path, "--y", "y", "--robust", "hc1", "--format", "json"]);
    let r: serde_json::Value = serde_json::from_str(&stdout(&robust)).expect("json");
    assert!((r["coefficients"][1]["se"].as_f64().unwrap_or(0.0) - 0.03765196368439812).abs() < 1e-12, "{r}");
    // A cell that is no number is named by file, row and column.
    std::fs::write(&file, "y,x\n1,2\n2,abc\n3,4\n4,5\n").expect("write");
    let o = bw(&db, &["forecast", "ols", path, "--y", "y", "--format", "json"]);
    assert!(!o.status.success() && stderr(&o).contains(":3: column x: not a number: \"abc\""), "{}", stderr(&o));
    std::fs::write(&file, "y,a,b\n1,1,2\n2,2,4\n3,3,6\n5,4,8\n").expect("write");
    let o = bw(&db, &["forecast", "ols", path, "--y", "z", "--format", "json"]);
    assert!(stderr(&o).contains("no column \"z\""), "{}", stderr(&o));
    let o = bw(&db, &["forecast", "ols", path, "--y", "y", "--format", "json"]);
    assert!(stderr(&o).contains("column b is a linear combination"), "{}", stderr(&o));
}

#[test]
fn holt_winters_runs_from_known_states_and_fits_otherwise() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("unused.db");
    let file = dir.path().join("series.csv");
    let values: Vec<String> =
        (0..24).map(|t| format!("{}", 10.0 + 0.5 * t as f64 + [1.0, -2.0, 3.0, -1.0][t % 4])).collect();
    std::fs::write(&file, format!("value\n{}\n", values.join("\n"))).expect("write");
    let path = file.to_str().expect("path");
    let known = bw(
        &db,
        &[
            "forecast",
            "holt-winters",
            path,
            "--season",
            "4",
            "--horizon",
            "6",
            "--alpha",
            "0.3",
            "--beta",
            "0.1",
            "--gamma",
            "0.2",
            "--level",
            "9.5",
            "--trend",
            "0.5",
            "--seasonals",
            "-1,-2,3,-1",
            "--format",
            "json",
        ],
    );
    assert!(known.status.success(), "{}", stderr(&known));
    let v: serde_json::Value = serde_json::from_str(&stdout(&known)).expect("json");
    for field in ["alpha", "beta", "gamma", "phi", "sse"] {
        assert!(v[field].is_f64(), "{field}: {v}");
    }
    assert_eq!(v["alpha"].as_f64(), Some(0.3));
    assert_eq!(v["fitted"][0].as_f64(), Some(9.5 + 0.5 - 1.0), "ŷ(1) = L0 + B0 + S1");
    assert_eq!((v["fitted"].as_array().map(Vec::len), v["forecast"].as_array().map(Vec::len)), (Some(24), Some(6)));
    let fitted = bw(&db, &["forecast", "holt-winters", path, "--season", "4", "--horizon", "4", "--format", "json"]);
    let f: serde_json::Value = serde_json::from_str(&stdout(&fitted)).expect("json");
    assert!(f["sse"].as_f64().unwrap_or(1.0) < 1e-9, "a noiseless series is fitted exactly: {f}");
    let next = 10.0 + 0.5 * 24.0 + 1.0;
    assert!((f["forecast"][0].as_f64().unwrap_or(0.0) - next).abs() < 1e-6, "{f}");
    let short = bw(&db, &["forecast", "holt-winters", path, "--season", "13", "--horizon", "4"]);
    assert!(stderr(&short).contains("at least two seasons"), "{}", stderr(&short));
}

#[test]
fn simulate_runs_a_scenario_file_the_same_on_any_number_of_threads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("unused.db");
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/scenario.toml");
    let run = |threads: &str| {
        bw(&db, &["simulate", "run", example, "--paths", "500", "--threads", threads, "--format", "json"])
    };
    let (one, two) = (run("1"), run("2"));
    assert!(one.status.success(), "{}", stderr(&one));
    assert_eq!(one.stdout, two.stdout, "byte-identical on one thread and two");
    let v: serde_json::Value = serde_json::from_slice(&one.stdout).expect("json");
    assert_eq!(v["paths"], 500);
    assert_eq!(v["total"].as_array().map(Vec::len), Some(5), "one band per year");
    assert_eq!(v["regions"][0]["name"], "东湖市");
    let band = &v["total"][4];
    for key in ["mean", "sd", "p5", "p10", "p50", "p90", "p95", "p_over"] {
        assert!(band[key].is_f64(), "{key}: {band}");
    }
    assert!(band["p5"].as_f64() <= band["p50"].as_f64() && band["p50"].as_f64() <= band["p95"].as_f64());
    assert_eq!(v["scenario_sha256"].as_str().map(str::len), Some(64));
    assert_eq!(v["result_sha256"].as_str().map(str::len), Some(64));
    let sens = bw(&db, &["simulate", "sensitivity", example, "--n", "256", "--format", "json"]);
    let s: serde_json::Value = serde_json::from_slice(&sens.stdout).expect("json");
    assert_eq!(s["tornado"].as_array().map(Vec::len), Some(4));
    assert_eq!(s["sobol"]["s1"].as_array().map(Vec::len), Some(4));
    // A mistake in the scenario is named.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "years = [2026]\n[[driver]]\nname = \"inflation\"\ndist = \"normal\"\nmean = 0.0\nsd = 1.0\n[[region]]\ncode = \"A\"\ndebt = 1.0\ncapacity = 1.0\ninvestment = [1.0]\nrepayment = [0.0]\n").expect("write");
    let o = bw(&db, &["simulate", "run", bad.to_str().expect("path")]);
    assert!(
        !o.status.success() && stderr(&o).contains("driver inflation: not one of growth, rate, overrun, financed"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_recorded_run_is_journaled_and_run_again_by_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("sim.db");
    assert!(bw(&db, &["init"]).status.success());
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/scenario.toml");
    let o = bw(&db, &["simulate", "run", example, "--paths", "300", "--record", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert!(v["id"].is_i64(), "{v}");
    let plain = bw(&db, &["simulate", "run", example, "--paths", "300", "--format", "json"]);
    let p: serde_json::Value = serde_json::from_slice(&plain.stdout).expect("json");
    assert_eq!(p["result_sha256"], v["result_sha256"], "the same scenario and seed give the same result");
    let ok = bw(&db, &["verify"]);
    assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));
    // A digest changed in the table is named.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store = bw_store::Store::open(db.to_str().expect("path"), false).await.expect("open");
        bw_store::sqlx::query("UPDATE simulations SET result_sha256 = 'x'")
            .execute(store.pool())
            .await
            .expect("update");
    });
    let bad = bw(&db, &["verify"]);
    assert_eq!(bad.status.code(), Some(1), "{}", stdout(&bad));
    assert!(stdout(&bad).contains("simulations"), "{}", stdout(&bad));
}

#[test]
fn outturn_forecasts_read_monthly_figures_per_entity() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("unused.db");
    let file = dir.path().join("monthly.csv");
    let shape = [4.0, 5.0, 6.0, 6.0, 7.0, 7.0, 7.0, 8.0, 8.0, 9.0, 10.0, 23.0];
    let mut text = String::from("entity,year,month,amount\n");
    for year in 2021..=2025 {
        for (m, v) in shape.iter().enumerate() {
            if year == 2025 && m >= 6 {
                break;
            }
            text.push_str(&format!("late,{year},{},{v}\nflat,{year},{},10\n", m + 1, m + 1));
        }
    }
    std::fs::write(&file, text).expect("write");
    let path = file.to_str().expect("path");
    let o = bw(&db, &["forecast", "outturn", path, "--year", "2025", "--month", "6", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let of = |e: &str| v.as_array().and_then(|a| a.iter().find(|x| x["entity"] == e)).cloned().expect("entity");
    assert!((of("flat")["outturn"].as_f64().unwrap_or(0.0) - 120.0).abs() < 1e-6, "{v}");
    let late = of("late");
    assert!((late["outturn"].as_f64().unwrap_or(0.0) - 100.0).abs() < 2.0, "the profile, not the run rate: {late}");
    assert!(late["p10"].is_f64() && late["backtest"].as_array().is_some_and(|b| !b.is_empty()), "{late}");
    let bad = bw(&db, &["forecast", "outturn", path, "--year", "2025", "--month", "6", "--method", "magic"]);
    assert!(stderr(&bad).contains("--method: run_rate, profile"), "{}", stderr(&bad));
}

#[test]
fn a_backtest_holds_a_year_out_and_scores_every_method_on_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("unused.db");
    let file = dir.path().join("monthly.csv");
    // Back-loaded spending growing 5 % a year, and a flat line: 2025 whole, to hold out.
    let shape = [4.0, 5.0, 6.0, 6.0, 7.0, 7.0, 7.0, 8.0, 8.0, 9.0, 10.0, 23.0];
    let mut text = String::from("entity,year,month,amount\n");
    for year in 2019..=2025 {
        let growth = 1.0 + 0.05 * f64::from(year - 2019);
        for (m, v) in shape.iter().enumerate() {
            text.push_str(&format!("late,{year},{},{}\nflat,{year},{},10\n", m + 1, v * growth, m + 1));
        }
    }
    std::fs::write(&file, text).expect("write");
    let path = file.to_str().expect("path");
    let o = bw(&db, &["forecast", "backtest", path, "--year", "2025", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["origins"], serde_json::json!([3, 6, 9, 11]), "{v}");
    let of = |m: &str| v["methods"].as_array().and_then(|a| a.iter().find(|x| x["method"] == m)).cloned().expect(m);
    let (rr, auto) = (of("run_rate"), of("auto"));
    // Two lines × four origins; auto beats the run rate by far on the late spender.
    assert_eq!(auto["forecasts"], 8, "{v}");
    let wape = |x: &serde_json::Value| x["wape"].as_f64().unwrap_or(f64::NAN);
    assert!(wape(&auto) <= 0.8 * wape(&rr), "{v}");
    assert!(auto["coverage"].as_f64().is_some_and(|c| (0.0..=1.0).contains(&c)), "{v}");
    for m in ["profile", "snaive", "holt_winters", "damped"] {
        assert!(wape(&of(m)).is_finite(), "{m}: {v}");
    }
    let bad = bw(&db, &["forecast", "backtest", path, "--year", "2025", "--origins", "3,13"]);
    assert!(stderr(&bad).contains("--origins: months 1 to 12, not 13"), "{}", stderr(&bad));
}

#[test]
fn forecast_run_reads_the_databases_own_figures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("demo.db");
    let data = dir.path().join("data");
    let o =
        bw(&db, &["demo", "--no-serve", "--no-scene", "--payments", "3000", "--data", data.to_str().expect("path")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = bw(&db, &["forecast", "run", "--year", "2025", "--month", "6", "--by", "department", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let lines = v.as_array().expect("array");
    assert!(!lines.is_empty());
    for l in lines {
        // One year of data: the run rate, the year to date × 2 as of June, no bands.
        assert_eq!(l["method"], "run_rate", "{l}");
        // Money as the API writes it: yuan to the fen, as text.
        let yuan = |k: &str| l[k].as_str().and_then(|v| v.parse::<f64>().ok()).unwrap_or(-1.0);
        let (to_date, outturn) = (yuan("to_date"), yuan("outturn"));
        assert!((outturn - 2.0 * to_date).abs() < 0.011, "{l}");
        assert!(l["budget"].is_string() && l["name"].is_string() && l["p_overspend"].is_null(), "{l}");
    }
    let bad = bw(&db, &["forecast", "run", "--year", "2025", "--month", "6", "--by", "street"]);
    assert!(stderr(&bad).contains("--by: indicator, unit, department, region or revenue"), "{}", stderr(&bad));
    // The database's own year held out: one year of data, so every method falls back to the
    // run rate and no forecast has a band.
    let o = bw(&db, &["forecast", "backtest", "--year", "2025", "--by", "department", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let methods = v["methods"].as_array().expect("methods");
    assert_eq!(methods.len(), 6, "five candidates and auto: {v}");
    let wapes: Vec<f64> = methods.iter().filter_map(|m| m["wape"].as_f64()).collect();
    assert!(wapes.windows(2).all(|w| (w[0] - w[1]).abs() < 1e-12) && methods[0]["forecasts"].as_u64() > Some(0), "{v}");
    assert!(methods.iter().all(|m| m["coverage"].is_null() && m["banded"] == 0), "{v}");
    // The deviation-rate regression on the demo's unit-quarters: three transitions a unit
    // in one year, the contract's names, features without variation named and left out.
    let o = bw(&db, &["forecast", "regress", "--year", "2025", "--robust", "hc1", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let rows = v["rows"].as_u64().expect("rows");
    assert!(rows >= 30 && rows.is_multiple_of(3), "{v}");
    assert_eq!(v["n"].as_u64(), Some(rows), "{v}");
    let names: Vec<&str> =
        v["coefficients"].as_array().expect("coefficients").iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names.first(), Some(&"const"), "{v}");
    assert!(names.contains(&"lag_deviation"), "{v}");
    let dropped: Vec<&str> = v["dropped"].as_array().expect("dropped").iter().filter_map(|d| d.as_str()).collect();
    // Seven features, last year's grade and the demo's two macro indicators (CPI, GDP growth).
    assert_eq!(names.len() - 1 + dropped.len(), 10, "every feature kept or named: {v}");
    assert!(names.contains(&"macro_cpi"), "{v}");
    assert!(v["r2"].as_f64().is_some_and(|r| (0.0..=1.0).contains(&r)), "{v}");
}

#[test]
fn the_demo_history_lets_auto_beat_the_run_rate_on_the_held_out_year() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("history.db");
    let data = dir.path().join("data");
    let d = data.to_str().expect("path");
    let o = bw(&db, &["demo-data", "--payments", "3000", "--out", d, "--history", "2021..2025"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("and the years 2021..2024"), "{}", stderr(&o));
    let planted: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("history.json")).expect("history.json")).expect("json");
    assert_eq!((planted["growth"].as_f64(), planted["price_shock_year"].as_i64()), (Some(0.06), Some(2023)));
    let o = bw(&db, &["demo", "--no-serve", "--no-scene", "--data", d]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The year held out, forecast at months 3, 6, 9 and 11 from what was known then: the
    // back-loaded year is read by its profile, not extrapolated.
    let o = bw(&db, &["forecast", "backtest", "--year", "2025", "--by", "department", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let of = |m: &str| v["methods"].as_array().and_then(|a| a.iter().find(|x| x["method"] == m)).cloned().expect(m);
    let wape = |m: &str| of(m)["wape"].as_f64().unwrap_or(f64::NAN);
    assert!(wape("auto") <= 0.8 * wape("run_rate"), "{v}");
    assert!(of("auto")["banded"].as_u64() > Some(0), "four earlier years give bands: {v}");
    // Every forecast of the year now has its band and its early signals.
    let o = bw(&db, &["forecast", "run", "--year", "2025", "--month", "6", "--by", "department", "--format", "json"]);
    let lines: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert!(
        lines.as_array().expect("lines").iter().all(|l| l["p10"].is_string() && l["p_overspend"].is_f64()),
        "{lines}"
    );
    // The revenue lines: each region's revenue code against its target, with bands.
    let o = bw(&db, &["forecast", "run", "--year", "2025", "--month", "6", "--by", "revenue", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let lines = lines.as_array().expect("lines");
    assert!(
        !lines.is_empty() && lines.iter().all(|l| l["code"].as_str().is_some_and(|c| c.contains('/'))),
        "{lines:?}"
    );
    assert!(lines.iter().all(|l| l["p10"].is_string() && l["p_underexecution"].is_f64()), "{lines:?}");
    // The planted deviation drivers, recovered by the regression over the history: each
    // estimate within 2 standard errors of its planted value (the contract), and, the noise
    // being orthogonal to the design by construction, within a hundredth of one.
    let o = bw(&db, &["forecast", "regress", "--year", "2024", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let fit: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(planted["regression"]["command"], "forecast regress --year 2024", "{planted}");
    let truth = planted["regression"]["coefficients"].as_object().expect("coefficients");
    let estimates = fit["coefficients"].as_array().expect("coefficients");
    let names: Vec<&str> = estimates.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["const", "lag_deviation", "special_share", "macro_cpi", "macro_gdp_growth"], "{fit}");
    for c in estimates {
        let (est, se) = (c["estimate"].as_f64().unwrap_or(f64::NAN), c["se"].as_f64().unwrap_or(f64::NAN));
        let want = truth[c["name"].as_str().unwrap_or("")].as_f64().unwrap_or(f64::NAN);
        assert!(se > 0.0 && (est - want).abs() <= 2.0 * se, "{c} against {want}");
        assert!((est - want).abs() <= 0.01 * se, "{c} against {want}");
    }
    // Nothing in the history varies by project, warning or contract.
    let dropped: Vec<&str> = fit["dropped"].as_array().expect("dropped").iter().filter_map(|d| d.as_str()).collect();
    assert!(dropped.contains(&"project_share") && dropped.contains(&"commitment_ratio"), "{fit}");
    // Each unit's next quarter (2025's first, after the year's last) is predicted with its
    // 95 % interval.
    let predictions = fit["predictions"].as_array().expect("predictions");
    assert!(!predictions.is_empty(), "{fit}");
    for p in predictions {
        let (lower, mean, upper) = (p["lower"].as_f64(), p["mean"].as_f64(), p["upper"].as_f64());
        assert!(p["quarter"] == "2025-Q1" && lower < mean && mean < upper, "{p}");
    }
    // No unit was graded in the history's years: the grade is named, not a feature.
    assert!(dropped.contains(&"last_year_grade"), "{fit}");
    let bad = bw(&db, &["demo-data", "--out", d, "--history", "2025..2021"]);
    assert!(stderr(&bad).contains("--history: FROM..TO"), "{}", stderr(&bad));
}

#[test]
fn macro_indicators_import_by_month_or_quarter_and_feed_the_regression() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("macro.db");
    let data = dir.path().join("data");
    let d = data.to_str().expect("path");
    let o = bw(&db, &["demo", "--no-serve", "--no-scene", "--payments", "3000", "--data", d]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The demo's year: CPI by month and GDP growth by quarter, per region.
    let o = bw(&db, &["forecast", "regress", "--year", "2025", "--format", "json"]);
    let fit: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let names: Vec<&str> =
        fit["coefficients"].as_array().expect("coefficients").iter().filter_map(|c| c["name"].as_str()).collect();
    assert!(names.contains(&"macro_cpi") && names.contains(&"macro_gdp_growth"), "{fit}");
    // A figure for a quarter missing for some unit-quarters cannot be a feature: named.
    let file = dir.path().join("macro.csv");
    std::fs::write(&file, "period,region_code,name,value\n2025-Q1,990100,unemployment,5.10\n").expect("write");
    let o = bw(&db, &["import", "macro_indicators", file.to_str().expect("path")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = bw(&db, &["forecast", "regress", "--year", "2025", "--format", "json"]);
    let fit: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let dropped: Vec<&str> = fit["dropped"].as_array().expect("dropped").iter().filter_map(|d| d.as_str()).collect();
    assert!(dropped.contains(&"macro_unemployment"), "{fit}");
    // The same figure again is unchanged (its canonical text: 5.1); another value for it, an
    // unknown region and a bad period are refused with their row and column.
    std::fs::write(&file, "期间,地区编码,指标名称,数值\n2025-Q1,990100,unemployment,5.1\n").expect("write");
    let o = bw(&db, &["import", "macro_indicators", file.to_str().expect("path")]);
    assert!(o.status.success() && stdout(&o).contains("1 already recorded"), "{}{}", stdout(&o), stderr(&o));
    std::fs::write(
        &file,
        "period,region_code,name,value\n2025-Q1,990100,unemployment,5.3\n2025-Q2,880000,cpi,1\n2025-13,990100,cpi,1\n2025-Q2,990100,cpi,1.5e2\n",
    )
    .expect("write");
    let o = bw(&db, &["import", "macro_indicators", file.to_str().expect("path")]);
    let err = stderr(&o);
    assert!(!o.status.success(), "{err}");
    assert!(err.contains("macro.csv:2:") && err.contains("macro indicator 2025-Q1 990100 unemployment"), "{err}");
    assert!(err.contains("macro.csv:3: column region_code") || err.contains("macro.csv:3:"), "{err}");
    assert!(err.contains("880000"), "{err}");
    assert!(err.contains("macro.csv:4:") && err.contains("not a period YYYY-MM or YYYY-Qn"), "{err}");
    assert!(err.contains("macro.csv:5:") && err.contains("not a decimal number"), "{err}");
    let o = bw(&db, &["verify"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
}
