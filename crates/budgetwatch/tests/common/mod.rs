//! Running the binary as users do.
#![allow(dead_code, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

pub fn bw(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_budgetwatch"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("BUDGETWATCH_DB")
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
