//! Running the binary as users do.
#![allow(dead_code, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// The configuration folder a test's runs use (keys land there): beside its database, in
/// the test's own temporary directory, never the tester's own.
pub fn config_home(db: &Path) -> std::path::PathBuf {
    db.parent().map(|p| p.join("config")).unwrap_or_else(|| "config".into())
}

/// The signing key file of `db`, as `ledger key --path` names it.
pub fn key_file(db: &Path) -> std::path::PathBuf {
    std::path::PathBuf::from(stdout(&bw(db, &["ledger", "key", "--path"])).trim())
}

pub fn bw(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_budgetwatch"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("BUDGETWATCH_DB")
        .env("XDG_CONFIG_HOME", config_home(db))
        .output()
        .expect("run budgetwatch")
}

/// As `bw`, with one environment variable set (a password or a secret, as users pass them).
pub fn bw_env(db: &Path, args: &[&str], key: &str, value: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_budgetwatch"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("BUDGETWATCH_DB")
        .env("XDG_CONFIG_HOME", config_home(db))
        .env(key, value)
        .output()
        .expect("run budgetwatch")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

pub fn get(addr: &str, path: &str) -> (String, String) {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").expect("send");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read");
    let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
    (head.lines().next().unwrap_or("").to_string(), body.to_string())
}

/// Starts `budgetwatch ARGS` (a server) and returns it with the address it prints.
pub fn spawn_server(db: &Path, args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_budgetwatch"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("BUDGETWATCH_DB")
        .env("XDG_CONFIG_HOME", config_home(db))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn budgetwatch");
    let out = child.stdout.take().expect("stdout");
    let mut url = None;
    for line in BufReader::new(out).lines() {
        let line = line.expect("line");
        if let Some(u) = line.split("at http://").nth(1) {
            url = Some(u.trim_end_matches('/').to_string());
            break;
        }
    }
    (child, url.expect("the server prints its URL"))
}

/// An HTTP reply: status code, header block, body.
pub struct Reply {
    pub status: u16,
    pub headers: String,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect(&self.body)
    }

    /// The value of the `Set-Cookie` header up to its first attribute.
    pub fn cookie(&self) -> String {
        self.headers
            .lines()
            .find_map(|l| l.strip_prefix("set-cookie: "))
            .and_then(|c| c.split(';').next())
            .expect("a Set-Cookie header")
            .to_string()
    }
}

/// One HTTP/1.1 request on a fresh connection.
pub fn request(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let (status, head, body) = request_bytes(addr, method, path, headers, body.as_bytes());
    Reply { status, headers: head, body: String::from_utf8_lossy(&body).to_string() }
}

/// One HTTP/1.1 request with a body of bytes: the status, the header block and the body's
/// bytes.
#[allow(dead_code)]
pub fn request_bytes(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut raw = req.into_bytes();
    raw.extend_from_slice(body);
    s.write_all(&raw).expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let body = raw.get(split + 4..).map(<[u8]>::to_vec).unwrap_or_default();
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, head, body)
}

/// The demo on a random port: the server, its address and the log-ins it printed.
pub fn demo_server(
    db: &Path,
    data: &Path,
    payments: &str,
) -> (Child, String, std::collections::HashMap<String, String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_budgetwatch"))
        .arg("--db")
        .arg(db)
        // The tests name the demo's unit; by default the demo picks the busiest one.
        .args(["demo", "--addr", "127.0.0.1:0", "--accounts-unit", "990000001001", "--payments", payments, "--data"])
        .arg(data)
        .env_remove("BUDGETWATCH_DB")
        .env("XDG_CONFIG_HOME", config_home(db))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn budgetwatch demo");
    let mut passwords = std::collections::HashMap::new();
    let mut addr = None;
    for line in BufReader::new(child.stdout.take().expect("stdout")).lines() {
        let line = line.expect("line");
        let w: Vec<&str> = line.split_whitespace().collect();
        if let Some(i) = w.iter().position(|x| *x == "password") {
            passwords.insert(w[i - 1].to_string(), w[i + 1].to_string());
        }
        if let Some(u) = line.split("at http://").nth(1) {
            addr = Some(u.trim_end_matches('/').to_string());
            break;
        }
    }
    (child, addr.expect("the server prints its URL"), passwords)
}

/// `s` percent-encoded for a query string.
#[allow(dead_code)]
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The name of a unit, department or region of the demo's data set in `data`.
#[allow(dead_code)]
pub fn unit_name(data: &Path, code: &str) -> String {
    let mut r = csv::Reader::from_path(data.join("units.csv")).expect("units.csv");
    r.records().map(|x| x.expect("row")).find(|x| &x[0] == code).map(|x| x[1].to_string()).expect("a unit of that code")
}
