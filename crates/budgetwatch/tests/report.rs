//! `budgetwatch report execution` on the demo province: the XLSX's subtotals add up, the PDF
//! carries its Chinese text in an embedded font (read back with poppler's tools when they are
//! installed; CI installs them), and the API serves the same report within a caller's grants.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{bw, request_bytes, stderr, stdout};
use std::process::Command;

fn tool(name: &str) -> bool {
    Command::new(name).arg("-v").output().is_ok()
}

#[test]
fn the_execution_report_as_pdf_and_xlsx_from_the_command_line_and_the_api() {
    let dir = tempfile::tempdir().expect("dir");
    let (db, data) = (dir.path().join("demo.db"), dir.path().join("data"));
    let db_s = db.to_str().unwrap();
    let o = bw(&db, &["demo", "--no-serve", "--no-scene", "--payments", "4000", "--data", data.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));

    // Bad flags are named.
    let pdf = dir.path().join("r.pdf");
    let o = bw(&db, &["report", "execution", "--period", "2025-13", "--format", "pdf", "--out", pdf.to_str().unwrap()]);
    assert!(!o.status.success() && stderr(&o).contains("--period"), "{}", stderr(&o));
    let o = bw(&db, &["report", "execution", "--period", "2025-07", "--format", "doc", "--out", pdf.to_str().unwrap()]);
    assert!(!o.status.success() && stderr(&o).contains("--format"), "{}", stderr(&o));

    // With no font anywhere on the machine to be found (no fontconfig, no font directories,
    // no BUDGETWATCH_FONT): the binary's own font sets the report.
    let o = Command::new(env!("CARGO_BIN_EXE_budgetwatch"))
        .args(["--db", db_s, "report", "execution", "--period", "2025-07", "--format", "pdf", "--out"])
        .arg(&pdf)
        .env_remove("BUDGETWATCH_DB")
        .env("XDG_CONFIG_HOME", common::config_home(std::path::Path::new(db_s)))
        .env_remove("BUDGETWATCH_FONT")
        .env("FONTCONFIG_FILE", "/nonexistent")
        .env("XDG_DATA_DIRS", "/nonexistent")
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&pdf).expect("pdf");
    assert!(bytes.windows(17).any(|w| w == b"BWSUBS+NotoSansSC"), "the embedded Noto Sans SC");
    // BUDGETWATCH_FONT still overrides, and a path that cannot be read is named.
    let o = common::bw_env(
        &db,
        &["report", "execution", "--period", "2025-07", "--format", "pdf", "--out", pdf.to_str().unwrap()],
        "BUDGETWATCH_FONT",
        "/nonexistent/font.ttf",
    );
    assert!(
        !o.status.success() && stderr(&o).contains("BUDGETWATCH_FONT: reading /nonexistent/font.ttf"),
        "{}",
        stderr(&o)
    );
    let o = bw(&db, &["report", "execution", "--period", "2025-07", "--format", "pdf", "--out", pdf.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&pdf).expect("pdf");
    assert!(bytes.starts_with(b"%PDF-") && bytes.ends_with(b"%%EOF\n") || bytes.ends_with(b"%%EOF"), "a PDF");
    if tool("pdftotext") && tool("pdffonts") {
        let text = Command::new("pdftotext").args(["-layout", pdf.to_str().unwrap(), "-"]).output().expect("pdftotext");
        let text: String = String::from_utf8_lossy(&text.stdout).chars().filter(|c| !c.is_whitespace()).collect();
        assert!(text.contains("示范省2025年7月预算执行情况表"), "{text}");
        for label in ["单位小计：", "部门小计：", "地区合计：示范省", "第1页/共"] {
            assert!(text.contains(label), "{label}: {text}");
        }
        let fonts = Command::new("pdffonts").arg(pdf.to_str().unwrap()).output().expect("pdffonts");
        let fonts = String::from_utf8_lossy(&fonts.stdout).to_string();
        assert!(
            fonts.contains("BWSUBS+") && fonts.contains("CID TrueType") && fonts.contains("yes yes yes"),
            "{fonts}"
        );
        let png = dir.path().join("page");
        let r = Command::new("pdftoppm")
            .args(["-r", "40", "-f", "1", "-l", "1", "-png", pdf.to_str().unwrap(), png.to_str().unwrap()])
            .output()
            .expect("pdftoppm");
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    } else {
        assert!(std::env::var_os("BUDGETWATCH_REQUIRE_PG").is_none(), "CI needs poppler-utils to read the PDF back");
    }

    // The XLSX: the top region's total is the sum of the indicator rows.
    let xlsx = dir.path().join("r.xlsx");
    let o =
        bw(&db, &["report", "execution", "--period", "2025-Q3", "--format", "xlsx", "--out", xlsx.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("rows"));
    let rows = xlsx_rows(&xlsx);
    assert_eq!(rows[0][4], "行 row_kind");
    let sum = |kind: &str, col: usize| -> f64 {
        rows.iter().skip(1).filter(|r| r[4].ends_with(kind)).map(|r| r[col].parse::<f64>().unwrap()).sum()
    };
    let total = rows.last().unwrap();
    assert!(total[4].ends_with("region_total"));
    for col in [9, 10, 11] {
        let want: f64 = total[col].parse().unwrap();
        assert!((sum(" indicator", col) - want).abs() < 0.005, "column {col}");
        assert!((sum("unit_total", col) - want).abs() < 0.005, "column {col}");
        assert!((sum("department_total", col) - want).abs() < 0.005, "column {col}");
    }
    // A unit's subtotal is the sum of the indicator rows just above it.
    let first_unit = rows.iter().position(|r| r[4].ends_with("unit_total")).unwrap();
    let unit = &rows[first_unit][2];
    let mine: f64 = rows[1..first_unit].iter().filter(|r| &r[2] == unit).map(|r| r[9].parse::<f64>().unwrap()).sum();
    assert!((mine - rows[first_unit][9].parse::<f64>().unwrap()).abs() < 0.005);

    // The API: the bureau head gets the file; a unit's handler may not export the region.
    let (mut child, addr) = common::spawn_server(&db, &["serve", "--addr", "127.0.0.1:0"]);
    let passwords = demo_passwords(db_s);
    let cookie = |user: &str| {
        let body = format!("user={user}&password={}", passwords[user]);
        common::request(&addr, "POST", "/login", &[("Content-Type", "application/x-www-form-urlencoded")], &body)
            .cookie()
    };
    let head = cookie("bureau-head");
    let (status, headers, body) =
        request_bytes(&addr, "GET", "/api/v1/reports/execution?period=2025-07&format=pdf", &[("Cookie", &head)], b"");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(headers.to_lowercase().contains("content-type: application/pdf") && body.starts_with(b"%PDF-"));
    let (status, _, body) =
        request_bytes(&addr, "GET", "/api/v1/reports/execution?period=2025-Q3", &[("Cookie", &head)], b"");
    assert_eq!(status, 200);
    assert!(body.starts_with(b"PK"), "an XLSX is a zip");
    let handler = cookie("unit-handler");
    let (status, _, _) =
        request_bytes(&addr, "GET", "/api/v1/reports/execution?period=2025-07", &[("Cookie", &handler)], b"");
    assert_eq!(status, 403);
    let (status, _, _) =
        request_bytes(&addr, "GET", "/api/v1/reports/execution?period=July", &[("Cookie", &head)], b"");
    assert_eq!(status, 400);
    let _ = child.kill();
    let _ = child.wait();
}

/// The demo's log-ins, set afresh: each account's password changed to a known one.
fn demo_passwords(db: &str) -> std::collections::HashMap<String, String> {
    let mut out = std::collections::HashMap::new();
    for user in ["bureau-head", "unit-handler"] {
        let password = format!("{user}-report-pass");
        let o =
            common::bw_env(std::path::Path::new(db), &["user", "password", user], "BUDGETWATCH_PASSWORD", &password);
        assert!(o.status.success(), "{}", stderr(&o));
        out.insert(user.to_string(), password);
    }
    out
}

/// Every cell of the report's sheet as text.
fn xlsx_rows(path: &std::path::Path) -> Vec<Vec<String>> {
    use calamine::Reader as _;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(path).expect("open");
    let sheet = book.worksheet_range("执行情况").expect("sheet");
    sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

#[test]
fn the_closing_report_as_xlsx_and_pdf() {
    let dir = tempfile::tempdir().expect("dir");
    let (db, data) = (dir.path().join("demo.db"), dir.path().join("data"));
    let o = bw(&db, &["demo", "--no-serve", "--no-scene", "--payments", "2000", "--data", data.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let xlsx = dir.path().join("c.xlsx");
    let o = bw(&db, &["budget", "close", "--year", "2025", "--preview", "--format", "xlsx"]);
    assert!(!o.status.success() && stderr(&o).contains("--out"), "{}", stderr(&o));
    let o = bw(
        &db,
        &["budget", "close", "--year", "2025", "--preview", "--format", "xlsx", "--out", xlsx.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let json = bw(&db, &["budget", "close", "--year", "2025", "--preview", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("json");
    // One row per indicator under the header, then the two totals, as the JSON says.
    use calamine::Reader as _;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).expect("open");
    let sheet = book.worksheet_range("年终结转").expect("sheet");
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    let lines = report["lines"].as_array().expect("lines");
    assert_eq!(rows.len(), 1 + lines.len() + 2);
    assert_eq!(rows[1][0], lines[0]["indicator_code"].as_str().unwrap());
    // The cells are numbers in yuan; read back as money, exactly.
    let yuan = |s: &str| bw_core::Money::parse_yuan(s).unwrap_or_else(|e| panic!("{s}: {e}")).fen();
    let fen = |v: &serde_json::Value| bw_core::Money::parse_yuan(v.as_str().unwrap()).unwrap().fen();
    let recovered: i64 = rows[1..=lines.len()].iter().filter(|r| r[6].contains("收回")).map(|r| yuan(&r[5])).sum();
    assert_eq!(recovered, fen(&report["recovered"]));
    assert_eq!(yuan(&rows[rows.len() - 1][5]), fen(&report["recovered"]));
    assert_eq!(yuan(&rows[rows.len() - 2][5]), fen(&report["carried"]));

    let pdf = dir.path().join("c.pdf");
    let o =
        bw(&db, &["budget", "close", "--year", "2025", "--preview", "--format", "pdf", "--out", pdf.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read(&pdf).expect("pdf").starts_with(b"%PDF-"));
    if tool("pdftotext") {
        let text = Command::new("pdftotext").args(["-layout", pdf.to_str().unwrap(), "-"]).output().expect("pdftotext");
        let text: String = String::from_utf8_lossy(&text.stdout).chars().filter(|c| !c.is_whitespace()).collect();
        for label in ["2025年度年终结转报告（预览，尚未结转）", "结转合计", "收回合计", "闲置专项收回"]
        {
            assert!(text.contains(label), "{label}: {text}");
        }
    } else {
        assert!(std::env::var_os("BUDGETWATCH_REQUIRE_PG").is_none(), "CI needs poppler-utils to read the PDF back");
    }
}
