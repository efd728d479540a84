//! The web server under load on loopback (`cargo bench -p budgetwatch --bench serve`): the
//! demo set (BW_BENCH_PAYMENTS payments, default 200,000) imported, then
//! 1. mixed reads: the cockpit page, the overview JSON, payments and warnings pages, a unit's
//!    drill-down page and the public portal, from BW_BENCH_CONNECTIONS keep-alive
//!    connections (default 32) for BW_BENCH_SECONDS (default 10): requests per second and
//!    latency percentiles;
//! 2. single-payment ingestion: `POST /api/v1/payments`, one payment a request, from
//!    BW_BENCH_SINGLE_CONNECTIONS keep-alive connections (default 256; BW_BENCH_SINGLES
//!    payments in all, default 10,240), each its own voucher, payee and invoice;
//! 3. batch ingestion: `POST /api/v1/payments:batch` with 100,000 payments as CSV.
//!
//! Not a test: figures to compare with the targets in docs/BENCHMARKS.md.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::print_stdout)]

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn bw(db: &std::path::Path, args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_budgetwatch")).arg("--db").arg(db).args(args).output().expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).to_string()
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: &str) -> Sender {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.expect("handshake");
    tokio::spawn(conn);
    sender
}

async fn send(
    sender: &mut Sender,
    addr: &str,
    method: &str,
    path: &str,
    auth: &str,
    kind: &str,
    body: Bytes,
) -> (u16, Bytes) {
    sender.ready().await.expect("ready");
    let mut req = hyper::Request::builder().method(method).uri(path).header("host", addr);
    if !auth.is_empty() {
        req = req.header("authorization", auth);
    }
    if !kind.is_empty() {
        req = req.header("content-type", kind);
    }
    let res = sender.send_request(req.body(Full::new(body)).expect("request")).await.expect("response");
    let status = res.status().as_u16();
    (status, res.into_body().collect().await.expect("body").to_bytes())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let payments = env_or("BW_BENCH_PAYMENTS", 200_000);
    let connections = env_or("BW_BENCH_CONNECTIONS", 32) as usize;
    let seconds = env_or("BW_BENCH_SECONDS", 10);
    let dir = tempfile::tempdir().expect("dir");
    let (db, data) = (dir.path().join("bench.db"), dir.path().join("data"));
    let started = Instant::now();
    bw(
        &db,
        &[
            "demo",
            "--no-serve",
            "--no-scene",
            "--payments",
            &payments.to_string(),
            "--data",
            data.to_str().expect("path"),
        ],
    );
    println!("demo with {payments} payments imported in {:.1} s", started.elapsed().as_secs_f64());
    let scopes = "read_public,read_budget,read_payments,read_warnings,ingest";
    let token = format!("Bearer {}", bw(&db, &["user", "token", "bureau-reviewer", "--scopes", scopes]).trim());
    let mut server = Command::new(env!("CARGO_BIN_EXE_budgetwatch"))
        .arg("--db")
        .arg(&db)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let addr = {
        use std::io::BufRead;
        let out = server.stdout.take().expect("stdout");
        let line = std::io::BufReader::new(out)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.contains(" at http://"))
            .expect("url");
        line.split(" at http://").nth(1).expect("addr").trim_end_matches('/').to_string()
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let paths: Arc<Vec<(String, bool)>> = Arc::new(vec![
            ("/?year=2025".into(), false),
            ("/?year=2025".into(), true),
            ("/api/v1/overview?year=2025".into(), false),
            ("/api/v1/payments?unit=990000001001&limit=50".into(), true),
            ("/api/v1/warnings?limit=50".into(), true),
            ("/api/v1/payments?limit=50&after=PZ202500050000/".into(), true),
            ("/org/990000001001?year=2025".into(), true),
            ("/public?year=2025".into(), false),
            ("/api/v1/units".into(), false),
        ]);
        // 1. Mixed reads.
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for c in 0..connections {
            let (addr, paths, token) = (addr.clone(), paths.clone(), token.clone());
            tasks.push(tokio::spawn(async move {
                let mut sender = connect(&addr).await;
                let mut lat = Vec::new();
                let mut errors = 0u64;
                let mut i = c;
                while Instant::now() < deadline {
                    let (path, auth) = &paths[i % paths.len()];
                    i += 1;
                    let t = Instant::now();
                    let (status, _) = send(&mut sender, &addr, "GET", path, if *auth { &token } else { "" }, "", Bytes::new()).await;
                    lat.push(t.elapsed());
                    if status != 200 {
                        errors += 1;
                    }
                }
                (lat, errors)
            }));
        }
        let mut lat = Vec::new();
        let mut errors = 0;
        for t in tasks {
            let (l, e) = t.await.expect("task");
            lat.extend(l);
            errors += e;
        }
        lat.sort();
        println!(
            "mixed reads: {} requests in {seconds} s from {connections} connections = {:.0} requests/s; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {errors} not 200",
            lat.len(),
            lat.len() as f64 / seconds as f64,
            percentile(&lat, 0.50).as_secs_f64() * 1e3,
            percentile(&lat, 0.99).as_secs_f64() * 1e3,
            lat.last().copied().unwrap_or_default().as_secs_f64() * 1e3
        );

        // An indicator under control `warn` of the first unit takes small payments. By default
        // one whose payments raise no warning (a treasury feed's ordinary day); with
        // BW_BENCH_WARN=1 the first that takes economic code 30201, where every payment
        // raises an out-of-scope warning (the figures measured before 2026-12-07).
        let warn_each = std::env::var("BW_BENCH_WARN").is_ok_and(|v| v == "1");
        let mut sender = connect(&addr).await;
        let (_, body) = send(&mut sender, &addr, "GET", "/api/v1/payments?unit=990000001001&limit=1000", &token, "", Bytes::new()).await;
        let page: serde_json::Value = serde_json::from_slice(&body).expect("json");
        let (mut indicator, mut economic) = (String::new(), String::from("30201"));
        let mut codes: Vec<(String, String)> = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|p| Some((p["indicator_code"].as_str()?.to_string(), p["economic_code"].as_str()?.to_string())))
            .collect();
        codes.dedup();
        for (code, econ) in codes {
            let econ = if warn_each { "30201".to_string() } else { econ };
            let probe = serde_json::json!({"voucher_no": format!("PROBE-{code}-{econ}"), "pay_date": "2025-12-30", "unit_code": "990000001001", "indicator_code": code, "economic_code": econ, "payee_name": "基准测试有限公司", "payee_account": "6200001234", "payee_type": "company", "amount": "0.01", "summary": "办公用品"});
            let (status, body) = send(&mut sender, &addr, "POST", "/api/v1/payments", &token, "application/json", Bytes::from(probe.to_string())).await;
            let quiet = serde_json::from_slice::<serde_json::Value>(&body).ok().is_some_and(|v| v["warnings"].as_array().is_some_and(Vec::is_empty));
            if status == 201 && (warn_each || quiet) {
                (indicator, economic) = (code, econ);
                break;
            }
        }
        println!("payments go to indicator {indicator}, economic code {economic}");
        assert!(!indicator.is_empty(), "an indicator that takes payments");

        // 2. Single-payment ingestion: each payment its own voucher, payee and invoice, from
        // many keep-alive connections at once (the server commits them in groups).
        let singles = env_or("BW_BENCH_SINGLES", 10_240) as usize;
        let conns = env_or("BW_BENCH_SINGLE_CONNECTIONS", 256) as usize;
        let per = singles / conns;
        let t = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..conns {
            let (addr, token, indicator, economic) = (addr.clone(), token.clone(), indicator.clone(), economic.clone());
            tasks.push(tokio::spawn(async move {
                let mut sender = connect(&addr).await;
                let (mut ok, mut other, mut times) = (0, 0, Vec::with_capacity(per));
                for i in 0..per {
                    let n = c * per + i;
                    let p = serde_json::json!({"voucher_no": format!("BENCH-S-{n:06}"), "pay_date": "2025-12-30", "unit_code": "990000001001", "indicator_code": indicator, "economic_code": economic, "payee_name": format!("单笔供应商{n:06}有限公司"), "payee_account": format!("63{n:010}"), "payee_type": "company", "amount": "0.01", "summary": "办公用品", "invoice_no": format!("FP-S-{n:06}")});
                    let sent = Instant::now();
                    let (status, _) = send(&mut sender, &addr, "POST", "/api/v1/payments", &token, "application/json", Bytes::from(p.to_string())).await;
                    times.push(sent.elapsed().as_secs_f64() * 1000.0);
                    if status == 201 { ok += 1 } else { other += 1 }
                }
                (ok, other, times)
            }));
        }
        let (mut ok, mut other, mut times) = (0, 0, Vec::new());
        for task in tasks {
            let (o, e, t) = task.await.expect("task");
            ok += o;
            other += e;
            times.extend(t);
        }
        let secs = t.elapsed().as_secs_f64();
        times.sort_by(f64::total_cmp);
        let pct = |q: f64| times.get(((times.len() as f64 * q) as usize).min(times.len().saturating_sub(1))).copied().unwrap_or(0.0);
        println!(
            "single-payment ingestion: {ok} of {} payments in {secs:.2} s from {conns} connections = {:.0} payments/s; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {other} not 201",
            per * conns,
            ok as f64 / secs,
            pct(0.5),
            pct(0.99),
            times.last().copied().unwrap_or(0.0)
        );

        // Every payment answered 201 is in the database: read back page by page.
        let mut found = 0usize;
        let mut after = String::from("BENCH-S-/");
        'pages: loop {
            let path = format!("/api/v1/payments?unit=990000001001&limit=1000&after={after}");
            let (_, body) = send(&mut sender, &addr, "GET", &path, &token, "", Bytes::new()).await;
            let page: serde_json::Value = serde_json::from_slice(&body).expect("json");
            for p in page["items"].as_array().expect("items") {
                if !p["voucher_no"].as_str().unwrap_or("").starts_with("BENCH-S-") {
                    break 'pages;
                }
                found += 1;
            }
            match page["next"].as_str() {
                Some(n) => after = n.to_string(),
                None => break,
            }
        }
        println!("read back: {found} of the {ok} answered 201 are in the database");

        // 3. Batch ingestion.
        let n = env_or("BW_BENCH_BATCH", 100_000) as usize;
        // Varied like a day's feed: 5,000 suppliers, dates over December, small varied amounts
        // (the indicator's balance must hold them all), an invoice each.
        let mut csv = String::from("voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary,invoice_no\n");
        for i in 0..n {
            let (payee, day, fen) = (i % 5_000, 1 + i % 28, 1 + (i * 7_919) % 97);
            csv.push_str(&format!(
                "BENCH-B-{i:07},2025-12-{day:02},990000001001,{indicator},{economic},基准供应商{payee:04}有限公司,62000{payee:05},company,0.{fen:02},办公用品,FP-B-{i:07}\n"
            ));
        }
        let t = Instant::now();
        let (status, body) = send(&mut sender, &addr, "POST", "/api/v1/payments:batch", &token, "text/csv", Bytes::from(csv)).await;
        let secs = t.elapsed().as_secs_f64();
        let added = serde_json::from_slice::<serde_json::Value>(&body).ok().and_then(|v| v["added"].as_u64()).unwrap_or(0);
        println!("batch ingestion: HTTP {status}, {added} of {n} payments in {secs:.2} s = {:.0} payments/s", added as f64 / secs);
    });
    let _ = server.kill();
    let _ = server.wait();
}
