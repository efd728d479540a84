//! A national cluster on one machine, as `scripts/cluster-demo.sh` starts it: three local
//! PostgreSQL servers (the national node, provinces 32 and 33), each province served by its
//! own budgetwatch, the national node in front (docs/SCALE.md).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use common::request;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

// Below the ephemeral range (32768-60999), where a client connection may hold a port.
const PG_PORT: u16 = 25470;
const HTTP_PORT: u16 = 18770;

fn pg_bin() -> Option<PathBuf> {
    let mut bins: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("initdb").exists())
        .collect();
    bins.sort();
    bins.pop()
}

fn script(dir: &Path, args: &[&str]) -> Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    Command::new("bash")
        .arg(root.join("scripts/cluster-demo.sh"))
        .args(args)
        .env("BUDGETWATCH", env!("CARGO_BIN_EXE_budgetwatch"))
        .env("PAYMENTS", "3000")
        .env("CLUSTER_PG_PORT", PG_PORT.to_string())
        .env("CLUSTER_HTTP_PORT", HTTP_PORT.to_string())
        .env("CLUSTER_PROVINCES", "32 33")
        .env_remove("BUDGETWATCH_DB")
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .current_dir(dir)
        .output()
        .expect("run cluster-demo.sh")
}

/// The cluster's servers stop with the test, whatever its outcome.
struct Cluster {
    dir: PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        script(&self.dir, &["stop", self.dir.to_str().unwrap()]);
    }
}

fn bw(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_budgetwatch")).args(args).env_remove("BUDGETWATCH_DB").output().expect("run")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn province_url(i: u16) -> String {
    format!("postgres://postgres@127.0.0.1:{}/postgres", PG_PORT + i)
}

fn psql(port: u16, sql: &str) -> String {
    let psql = pg_bin().unwrap().join("psql");
    let o = Command::new(psql)
        .args([
            "-X",
            "-A",
            "-t",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-c",
            sql,
        ])
        .output()
        .expect("psql");
    assert!(o.status.success(), "{sql}: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// A payment a province accepts without a warning: on an indicator under warn control, in
/// its own economic class, a small amount.
fn payment(dir: &Path, code: &str, voucher: &str) -> (String, String) {
    let csv = std::fs::read_to_string(dir.join(format!("data-{code}/indicators.csv"))).unwrap();
    let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = |name: &str| head.iter().position(|h| *h == name).unwrap();
    let row: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|r| r[col("control")] == "warn")
        .expect("an indicator under warn control");
    let unit = row[col("unit_code")].to_string();
    let body = serde_json::json!({
        "voucher_no": voucher,
        "pay_date": "2025-12-19",
        "unit_code": unit,
        "indicator_code": row[col("indicator_code")],
        "economic_code": row[col("economic_code")],
        "payee_name": "全国节点测试有限公司",
        "payee_account": "6200000000000000017",
        "payee_type": "company",
        "amount": "1.00",
        "summary": "办公用品",
    });
    (unit, body.to_string())
}

fn sheet(path: &Path) -> Vec<Vec<String>> {
    use calamine::Reader as _;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

fn status(config: &str) -> (Option<i32>, serde_json::Value) {
    let o = bw(&["cluster", "status", "--config", config, "--format", "json"]);
    (o.status.code(), serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(&o))))
}

#[test]
fn provinces_ingest_alone_the_nation_reads_them_all_and_witnesses_their_logs() {
    if pg_bin().is_none() {
        assert!(std::env::var_os("BUDGETWATCH_REQUIRE_PG").is_none(), "CI needs PostgreSQL's server binaries");
        eprintln!("skipped: no PostgreSQL server binaries");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // The databases' servers run as the postgres user when the tests run as root.
    std::fs::set_permissions(tmp.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let dir = tmp.path().join("cluster");
    let d = dir.to_str().unwrap().to_string();
    let cluster = Cluster { dir: dir.clone() };
    std::fs::create_dir_all(&dir).unwrap();
    let o = script(&dir, &["start", &d]);
    assert!(o.status.success(), "start: {}", text(&o));
    let config = format!("{d}/cluster.toml");
    let national = format!("127.0.0.1:{HTTP_PORT}");
    let token = std::fs::read_to_string(dir.join("national.token")).unwrap().trim().to_string();
    let auth = format!("Bearer {token}");

    // Every province answers: the national count through the partitions is their sum.
    let (code, s) = status(&config);
    assert_eq!(code, Some(0), "{s}");
    assert_eq!(s["national"]["complete"], true);
    let own: Vec<i64> = s["provinces"].as_array().unwrap().iter().map(|p| p["payments"].as_i64().unwrap()).collect();
    assert!(own.iter().all(|n| *n > 2_000), "{s}");
    assert_eq!(s["national"]["payments"].as_i64(), Some(own.iter().sum()));
    for p in s["provinces"].as_array().unwrap() {
        assert_eq!(p["reachable"], true);
        assert!(p["cosigned_size"].as_i64().unwrap() > 0, "the start cosigns every province: {p}");
    }
    // count(*) by province on the national node equals each province's own count.
    let by = psql(PG_PORT, "SELECT province, count(*) FROM national.payments GROUP BY province ORDER BY 1");
    assert_eq!(by.trim(), format!("32|{}\n33|{}", own[0], own[1]));
    // One province's query reads its partition alone; the national aggregate asks both at
    // once, each summing in its province.
    let one = psql(PG_PORT, "EXPLAIN SELECT count(*) FROM national.payments WHERE province = '32'");
    assert_eq!(one.matches("Foreign Scan").count(), 1, "{one}");
    assert!(one.contains("payments_p32") && !one.contains("payments_p33"), "{one}");
    let all = psql(PG_PORT, "EXPLAIN VERBOSE SELECT province, count(*) FROM national.payments GROUP BY province");
    assert_eq!(all.matches("Async Foreign Scan").count(), 2, "{all}");
    assert!(all.contains("Aggregate on"), "the count is computed in the provinces: {all}");
    let figures = request(&national, "GET", "/api/v1/national/figures", &[], "");
    assert_eq!(figures.status, 200, "{}", figures.body);
    let f = figures.json();
    assert_eq!(f["complete"], true);
    assert_eq!(f["provinces"][1]["name"], "浙江省");
    assert_eq!(f["total"]["payments"].as_i64(), Some(own.iter().sum()));
    let page = request(&national, "GET", "/national", &[], "");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("江苏省") && page.body.contains("浙江省") && page.body.contains("全国"),
        "{}",
        page.body
    );
    // The drill-down reaches a province's regions and, with the token, its vouchers.
    let regions = request(&national, "GET", "/api/v1/national/provinces/33/regions", &[], "").json();
    assert_eq!(regions["areas"][0]["code"], "330000");
    // A province's public portal on the national node, read through its partitions, is the
    // province's own (the ranking and the classified projects' count stay in the province).
    let own_server = format!("127.0.0.1:{}", HTTP_PORT + 1);
    let strip = |mut v: serde_json::Value| {
        let o = v.as_object_mut().unwrap();
        o.remove("ranking");
        o.remove("classified_projects");
        v
    };
    let mine = request(&own_server, "GET", "/api/v1/public?year=2025&month=11", &[], "");
    assert_eq!(mine.status, 200, "{}", mine.body);
    let via = request(&national, "GET", "/api/v1/national/provinces/32/public?year=2025&month=11", &[], "");
    assert_eq!(via.status, 200, "{}", via.body);
    let (mine, via) = (strip(mine.json()), strip(via.json()));
    assert!(mine["departments"].as_array().unwrap().len() > 3, "{mine}");
    assert!(!mine["flows"].as_array().unwrap().is_empty() && !mine["projects"].as_array().unwrap().is_empty());
    assert_eq!(via, mine);
    let page = request(&national, "GET", "/national/32/public?year=2025&month=11", &[], "");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("江苏省") && page.body.contains("部门预算与三公经费"), "{}", page.body);
    let page = request(&national, "GET", "/national/public?year=2025", &[], "");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("/national/33/public") && page.body.contains("全国按功能分类"), "{}", page.body);
    let (unit33, body33) = payment(&dir, "33", "NAT-33-1");
    let vouchers = format!("/api/v1/national/provinces/33/units/{unit33}/payments");
    assert_eq!(request(&national, "GET", &vouchers, &[], "").status, 401);
    let v = request(&national, "GET", &vouchers, &[("Authorization", &auth)], "");
    assert_eq!(v.status, 200, "{}", v.body);
    assert!(
        v.json()["payments"].as_array().unwrap().iter().all(|p| p["voucher_no"].as_str().unwrap().starts_with("PZ33"))
    );

    // Payments posted to the nation land in their province.
    let json = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
    assert_eq!(
        request(&national, "POST", "/api/v1/payments", &[("Content-Type", "application/json")], &body33).status,
        401
    );
    let r = request(&national, "POST", "/api/v1/payments", &json, &body33);
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.headers.contains("x-budgetwatch-province: 33"), "{}", r.headers);
    let (_, body32) = payment(&dir, "32", "NAT-32-1");
    let r = request(&national, "POST", "/api/v1/payments", &json, &body32);
    assert_eq!(r.status, 201, "{}", r.body);
    let (_, s) = status(&config);
    assert_eq!(s["provinces"][0]["payments"].as_i64(), Some(own[0] + 1));
    assert_eq!(s["provinces"][1]["payments"].as_i64(), Some(own[1] + 1));
    let landed = psql(PG_PORT + 2, "SELECT unit_code FROM payments WHERE voucher_no = 'NAT-33-1'");
    assert_eq!(landed.trim(), unit33);
    assert_eq!(psql(PG_PORT + 1, "SELECT count(*) FROM payments WHERE voucher_no = 'NAT-33-1'").trim(), "0");
    // A batch across provinces is split: each province's part lands there as its own batch.
    let ndjson = [("Authorization", auth.as_str()), ("Content-Type", "application/x-ndjson")];
    let (_, a) = payment(&dir, "33", "NAT-B-33");
    let (_, b) = payment(&dir, "32", "NAT-B-32");
    let r = request(&national, "POST", "/api/v1/payments:batch", &ndjson, &format!("{a}\n{b}\n"));
    assert_eq!(r.status, 201, "{}", r.body);
    let parts = r.json()["provinces"].as_array().unwrap().clone();
    assert_eq!(parts.len(), 2, "{}", r.body);
    assert_eq!((parts[0]["code"].as_str(), parts[0]["rows"].clone()), (Some("33"), serde_json::json!([1])));
    assert_eq!((parts[1]["code"].as_str(), parts[1]["rows"].clone()), (Some("32"), serde_json::json!([2])));
    assert!(parts.iter().all(|p| p["status"] == 201 && p["answer"]["added"] == 1), "{}", r.body);
    assert_eq!(psql(PG_PORT + 1, "SELECT count(*) FROM payments WHERE voucher_no = 'NAT-B-32'").trim(), "1");
    assert_eq!(psql(PG_PORT + 2, "SELECT count(*) FROM payments WHERE voucher_no = 'NAT-B-33'").trim(), "1");
    // A part refused in its province: the others land; the refused row is the request's.
    let (_, c) = payment(&dir, "32", "NAT-C-32");
    let mut bad: serde_json::Value = serde_json::from_str(&payment(&dir, "33", "NAT-C-33").1).unwrap();
    bad["indicator_code"] = serde_json::json!("NO-SUCH-INDICATOR");
    let r = request(&national, "POST", "/api/v1/payments:batch", &ndjson, &format!("{c}\n{bad}\n"));
    assert_eq!(r.status, 207, "{}", r.body);
    let parts = r.json()["provinces"].as_array().unwrap().clone();
    assert_eq!((parts[0]["code"].as_str(), parts[0]["status"].as_u64()), (Some("32"), Some(201)), "{}", r.body);
    assert_eq!((parts[1]["code"].as_str(), parts[1]["status"].as_u64()), (Some("33"), Some(422)), "{}", r.body);
    assert_eq!(parts[1]["answer"]["errors"][0]["row"], 2, "{}", r.body);
    assert_eq!(psql(PG_PORT + 2, "SELECT count(*) FROM payments WHERE voucher_no = 'NAT-C-33'").trim(), "0");
    // A batch within one province goes there whole, as CSV too, and is answered by it.
    let csv_body = "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary\n";
    let e: serde_json::Value = serde_json::from_str(&payment(&dir, "32", "NAT-E-32").1).unwrap();
    let line =
        ["voucher_no", "pay_date", "unit_code", "indicator_code", "economic_code", "payee_name", "payee_account"]
            .iter()
            .map(|k| e[*k].as_str().unwrap().to_string())
            .chain(["company".to_string(), "2.00".to_string(), "办公用品".to_string()])
            .collect::<Vec<_>>()
            .join(",");
    let csv_headers = [("Authorization", auth.as_str()), ("Content-Type", "text/csv")];
    let r = request(&national, "POST", "/api/v1/payments:batch", &csv_headers, &format!("{csv_body}{line}\n"));
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.headers.contains("x-budgetwatch-province: 32"), "{}", r.headers);
    assert_eq!(r.json()["added"], 1, "{}", r.body);
    let r = request(&national, "POST", "/api/v1/payments:batch", &[("Content-Type", "text/csv")], csv_body);
    assert_eq!(r.status, 401, "{}", r.body);
    // A unit in no province refuses the whole batch before anything is sent, naming its row;
    // the units of both provinces are asked for together.
    let (_, f) = payment(&dir, "32", "NAT-F-32");
    let mut nowhere: serde_json::Value = serde_json::from_str(&payment(&dir, "33", "NAT-F-33").1).unwrap();
    nowhere["unit_code"] = serde_json::json!("999999999");
    let r = request(&national, "POST", "/api/v1/payments:batch", &ndjson, &format!("{f}\n{nowhere}\n{f}\n"));
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("in no province of this cluster: row 2: unit 999999999"), "{}", r.body);
    assert_eq!(psql(PG_PORT + 1, "SELECT count(*) FROM payments WHERE voucher_no = 'NAT-F-32'").trim(), "0");

    // Published and cosigned: every province's journal verifies with the nation's cosignature.
    for (i, code) in [(1, "32"), (2, "33")] {
        let key = format!("{d}/keys/{code}.key");
        let o = bw(&["--db", &province_url(i), "--key-file", &key, "ledger", "publish"]);
        assert!(o.status.success(), "{}", text(&o));
    }
    let o = bw(&["cluster", "cosign", "--config", &config]);
    assert!(o.status.success(), "{}", text(&o));
    let o = bw(&["cluster", "verify", "--config", &config]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("33 浙江省: verified"), "{}", text(&o));

    // The national node down: a province's own API still takes payments.
    let pid = std::fs::read_to_string(dir.join("run/national.pid")).unwrap();
    Command::new("kill").arg(pid.trim()).status().unwrap();
    let mut down = false;
    for _ in 0..100 {
        if std::net::TcpStream::connect(&national).is_err() {
            down = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(down, "the national node stopped");
    // As `stop` does: a stopped process may linger unreaped, and `start` would take it for
    // running.
    std::fs::remove_file(dir.join("run/national.pid")).unwrap();
    let own_token = std::fs::read_to_string(dir.join("tokens/32.token")).unwrap().trim().to_string();
    let own_auth = format!("Bearer {own_token}");
    let (_, alone) = payment(&dir, "32", "NAT-ALONE-32");
    let r = request(
        &own_server,
        "POST",
        "/api/v1/payments",
        &[("Authorization", &own_auth), ("Content-Type", "application/json")],
        &alone,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let o = script(&dir, &["start", &d]);
    assert!(o.status.success(), "the national node again: {}", text(&o));
    assert_eq!(request(&national, "GET", "/api/v1/national/status", &[], "").status, 200);

    // The execution report through the partitions: the nation above the provinces, and a
    // province's part cell for cell its own report.
    // A province's year exported from PostgreSQL: the national audit over its files finds
    // what the province's own audit finds.
    let key32 = format!("{d}/keys/32.key");
    let out32 = tmp.path().join("parquet-32");
    let o = bw(&["--db", &province_url(1), "--key-file", &key32, "export", "parquet", out32.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let finding_keys = |o: &Output| {
        assert!(o.status.success(), "{}", text(o));
        let all: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
        let mut keys: Vec<String> = all
            .iter()
            .map(|f| {
                let mut e = f["evidence"].clone();
                e.as_object_mut().unwrap().remove("province");
                serde_json::json!([f["test"], f["unit_code"], f["vouchers"], e, f["score_impact"]]).to_string()
            })
            .collect();
        keys.sort();
        keys
    };
    let national_audit = finding_keys(&bw(&["audit", "--parquet", out32.to_str().unwrap(), "--format", "json"]));
    let own_audit = finding_keys(&bw(&[
        "--db",
        &province_url(1),
        "--key-file",
        &key32,
        "audit",
        "--as-of",
        "2025-12-31",
        "--format",
        "json",
    ]));
    assert!(!own_audit.is_empty());
    assert_eq!(national_audit, own_audit);
    let reports = tmp.path().join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    let own = reports.join("own-32.xlsx");
    let key32 = format!("{d}/keys/32.key");
    let o = bw(&[
        "--db",
        &province_url(1),
        "--key-file",
        &key32,
        "report",
        "execution",
        "--period",
        "2025-11",
        "--format",
        "xlsx",
        "--out",
        own.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let report = |region: Option<&str>, out: &Path| {
        let mut args = vec!["cluster", "report", "--config", &config, "--period", "2025-11", "--format", "xlsx"];
        if let Some(r) = region {
            args.extend(["--region", r]);
        }
        args.extend(["--out", out.to_str().unwrap()]);
        bw(&args)
    };
    let part = reports.join("national-32.xlsx");
    let o = report(Some("320000"), &part);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(sheet(&part), sheet(&own));
    let nation = reports.join("national.xlsx");
    let o = report(None, &nation);
    assert!(o.status.success(), "{}", text(&o));
    let rows = sheet(&nation);
    assert!(rows.len() > sheet(&own).len() + 100, "both provinces: {} rows", rows.len());
    assert!(rows.iter().any(|r| r.iter().any(|c| c == "地区合计：全国")), "the nation above the provinces");
    // On the national node's pages, for holders of the national token.
    let path = "/national/report?period=2025-11&format=xlsx";
    let r = request(&national, "GET", path, &[], "");
    assert_eq!(r.status, 303, "{}", r.headers);
    assert!(r.headers.contains("/national/login?next="), "{}", r.headers);
    let r = request(&national, "GET", path, &[("Authorization", &auth)], "");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.headers.contains("spreadsheetml") && r.body.starts_with("PK"), "{}", r.headers);
    let page = request(&national, "GET", "/national", &[], "");
    assert!(page.body.contains("action=\"/national/report\""), "the cockpit offers the report");

    // One province stops: the other still ingests and verifies; no national figure is a
    // partial sum, and the missing province is named.
    let o = script(&dir, &["stop-province", &d, "33"]);
    assert!(o.status.success(), "{}", text(&o));
    let (code, s) = status(&config);
    assert_eq!(code, Some(3), "{s}");
    assert_eq!(s["national"]["complete"], false);
    assert!(s["national"]["payments"].is_null(), "{s}");
    assert_eq!(s["provinces"][1]["reachable"], false);
    assert_eq!(s["provinces"][0]["reachable"], true);
    let figures = request(&national, "GET", "/api/v1/national/figures", &[], "");
    assert_eq!(figures.status, 503, "{}", figures.body);
    assert!(figures.body.contains("浙江省（33）"), "{}", figures.body);
    let page = request(&national, "GET", "/national", &[], "");
    assert!(page.body.contains("浙江省（33）") && page.body.contains("不予显示"), "{}", page.body);
    assert!(page.body.contains("江苏省"), "the province that answers is still shown");
    let r = request(&national, "GET", "/api/v1/national/provinces/33/public?year=2025", &[], "");
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.body.contains("浙江省（33）"), "{}", r.body);
    let page = request(&national, "GET", "/national/public?year=2025", &[], "");
    assert!(page.body.contains("浙江省（33）") && !page.body.contains("全国按功能分类"), "{}", page.body);
    let r = request(&national, "GET", "/api/v1/national/provinces/32/public?year=2025", &[], "");
    assert_eq!(r.status, 200, "the province that answers is still shown: {}", r.body);
    let (_, body32) = payment(&dir, "32", "NAT-32-2");
    let r = request(&national, "POST", "/api/v1/payments", &json, &body32);
    assert_eq!(r.status, 201, "{}", r.body);
    let (_, body33) = payment(&dir, "33", "NAT-33-2");
    let r = request(&national, "POST", "/api/v1/payments", &json, &body33);
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.body.contains("浙江省（33）"), "{}", r.body);
    // A unit no answering province has may be in the silent one: the batch is not sent.
    let r = request(&national, "POST", "/api/v1/payments:batch", &ndjson, &format!("{body32}\n{nowhere}\n"));
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.body.contains("did not") && r.body.contains("浙江省（33）"), "{}", r.body);
    let o = bw(&["cluster", "verify", "--config", &config]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("32 江苏省: verified") && text(&o).contains("33 浙江省: NOT REACHABLE"), "{}", text(&o));
    // Nor is a report made without it.
    let o = report(None, &reports.join("incomplete.xlsx"));
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("浙江省（33）") && !reports.join("incomplete.xlsx").exists(), "{}", text(&o));
    let r = request(&national, "GET", path, &[("Authorization", &auth)], "");
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.body.contains("浙江省（33）"), "{}", r.body);

    // Back again, then a province rewrites its history: a fresh log under the same key,
    // different from what the nation cosigned. Its own verify passes; the cluster's does not.
    let o = script(&dir, &["start", &d]);
    assert!(o.status.success(), "restart: {}", text(&o));
    assert_eq!(status(&config).0, Some(0));
    let pid = std::fs::read_to_string(dir.join("run/33.pid")).unwrap();
    Command::new("kill").arg(pid.trim()).status().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    psql(PG_PORT + 2, "DROP SCHEMA public CASCADE; DROP SCHEMA bw_national CASCADE; CREATE SCHEMA public");
    let key = format!("{d}/keys/33.key");
    let _ = std::fs::remove_file(format!("{key}.head"));
    let url = province_url(2);
    assert!(bw(&["--db", &url, "--key-file", &key, "init"]).status.success());
    let other = tmp.path().join("other");
    let o =
        bw(&["demo-data", "--province", "33", "--seed", "5", "--payments", "1000", "--out", other.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    for kind in ["units", "projects", "indicators", "contracts", "payments"] {
        let file = other.join(format!("{kind}.csv"));
        let o = bw(&["--db", &url, "--key-file", &key, "import", kind, file.to_str().unwrap()]);
        assert!(o.status.success(), "{}", text(&o));
    }
    let o = bw(&["--db", &url, "--key-file", &key, "verify"]);
    assert!(o.status.success(), "the rewritten log verifies on its own: {}", text(&o));
    let o = bw(&["cluster", "verify", "--config", &config]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("33 浙江省: FAILED"), "{}", text(&o));
    assert!(text(&o).contains("32 江苏省: verified"), "{}", text(&o));
    drop(cluster);
}
