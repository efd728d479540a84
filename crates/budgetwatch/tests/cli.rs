//! The command line as users and scripts call it: exact outputs, exit codes, stderr.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)] // tests fail by panicking

mod common;

use common::*;
use std::process::Command;

#[test]
fn calendar_answers_match_the_state_council_notices() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("none.db");
    // (args, stdout) — make-up Saturdays and Sundays are working days.
    let cases: &[(&[&str], &str)] = &[
        (&["calendar", "is-workday", "2026-02-14"], "true\n"),
        (&["calendar", "is-workday", "2026-02-16"], "false\n"),
        (&["calendar", "is-workday", "2025-01-26"], "true\n"),
        (&["calendar", "is-workday", "2025-10-08"], "false\n"),
        (&["calendar", "is-workday", "2026-09-20"], "true\n"),
        (&["calendar", "add-workdays", "2026-09-30", "1"], "2026-10-08\n"),
        (&["calendar", "add-workdays", "2026-10-01", "0"], "2026-10-08\n"),
        (&["calendar", "add-workdays", "2026-11-26", "0"], "2026-11-26\n"),
        (&["calendar", "add-workdays", "2025-09-26", "2"], "2025-09-29\n"),
        (&["calendar", "add-workdays", "2025-09-26", "1"], "2025-09-28\n"),
    ];
    for (args, want) in cases {
        let o = bw(&db, args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), *want, "{args:?}");
        assert_eq!(stderr(&o), "", "{args:?}");
    }
    assert!(!db.exists(), "reading the calendar creates no database");
    let o = bw(&db, &["calendar", "is-workday", "2030-01-01"]);
    assert_eq!(stdout(&o), "true\n");
    assert!(stderr(&o).starts_with("warning: no holiday data for 2030"), "{}", stderr(&o));
    let o = bw(&db, &["calendar", "is-workday", "2026-02-30"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no such date"), "{}", stderr(&o));
}

#[test]
fn a_calendar_file_adds_a_year() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("cal.db");
    let file = dir.path().join("2027.csv");
    std::fs::write(&file, "date,kind,name\n2027-01-01,holiday,元旦\n2027-02-20,workday,春节\n").expect("write");
    let o = bw(&db, &["calendar", "import", file.to_str().expect("path")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = bw(&db, &["calendar", "is-workday", "2027-02-20"]);
    assert_eq!((stdout(&o).as_str(), stderr(&o).as_str()), ("true\n", ""));
    let o = bw(&db, &["calendar", "add-workdays", "2026-12-31", "1"]);
    assert_eq!(stdout(&o), "2027-01-04\n");
}

#[test]
fn templates_are_written_empty_in_csv_and_xlsx() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("x.db");
    let o = bw(&db, &["template", "payments"]);
    assert_eq!(
        stdout(&o),
        "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary,invoice_no,contract_no,reverses\n"
    );
    let o = bw(&db, &["template", "revenue_targets", "--lang", "zh"]);
    assert_eq!(stdout(&o), "年度,地区编码,收入分类,金额\n");
    let o = bw(&db, &["template", "units", "--xlsx"]);
    assert!(o.status.success());
    assert_eq!(&o.stdout[..4], b"PK\x03\x04", "an XLSX (zip) file");
    // The XLSX template imports as an empty file of its kind.
    let file = dir.path().join("units.xlsx");
    std::fs::write(&file, &o.stdout).expect("write");
    let o = bw(&db, &["import", "units", file.to_str().expect("path")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("0 rows, 0 added"), "{}", stdout(&o));
    let o = bw(&db, &["template", "nonsense"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("unknown kind \"nonsense\""));
}

#[test]
fn a_refused_import_exits_nonzero_and_lists_every_error() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("t.db");
    let units = dir.path().join("units.csv");
    std::fs::write(&units, "code,name,parent_code,kind,level\nP,省,,region,province\nC,县,P,region,county\nX,县,C,region,county\nD,厅,P,department,\nU,单位,Q,unit,\n").expect("write");
    let o = bw(&db, &["import", "units", units.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(1));
    let f = units.display().to_string();
    assert_eq!(
        stderr(&o),
        format!(
            "{f}:4: column parent_code: a county's parent must be a city or a province\n{f}:6: column parent_code: unknown parent_code \"Q\": not in the database nor in this file\n{f}: refused, 2 error(s); nothing was imported\n"
        )
    );
    let o = bw(&db, &["status"]);
    assert!(stdout(&o).contains("units: 0\n") && stdout(&o).contains("journal: 0\n"), "{}", stdout(&o));
}

#[test]
fn the_demo_imports_a_province_and_serves_its_first_page() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("demo.db");
    let data = dir.path().join("data");
    let (mut child, addr) = spawn_server(
        &db,
        &["demo", "--addr", "127.0.0.1:0", "--payments", "4000", "--data", data.to_str().expect("path")],
    );
    let (status, body) = get(&addr, "/");
    let (jstatus, json) = get(&addr, "/api/v1/overview");
    let (tstatus, template) = get(&addr, "/templates/payments.csv");
    let (en_status, en) = get(&addr, "/?lang=en&year=2025&month=6");
    let _ = child.kill();
    let _ = child.wait();
    assert!(status.contains("200"), "{status}");
    assert!(body.contains("示范省") && body.contains("序时进度") && body.contains("<svg"), "{body}");
    // The headline totals are read by magnitude: the province's budget in 亿元.
    let budget = body.split("<section class=kpis><div><b>").nth(1).and_then(|k| k.split('<').next()).expect("kpis");
    assert!(budget.ends_with("亿元") && body.contains("预算总额"), "{budget}");
    assert!(en.contains("million yuan"), "{en}");
    assert!(jstatus.contains("200"));
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v["year"], 2025);
    assert_eq!(v["month"], 12, "a past year is shown at its end");
    let regions = v["regions"].as_array().expect("regions");
    assert_eq!(regions[0]["code"], "990000");
    assert_eq!(regions[0]["depth"], 0);
    // The province's totals are its own plus every city's and county's.
    let own_and_children: i64 = regions.iter().filter(|r| r["depth"] == 1).map(|r| money(&r["budget"])).sum();
    assert!(money(&regions[0]["budget"]) > own_and_children);
    let rate = regions[0]["execution_rate"].as_f64().expect("rate");
    assert!((0.7..1.05).contains(&rate), "a year's execution rate: {rate}");
    assert!(tstatus.contains("200") && template.starts_with("voucher_no,pay_date"));
    assert!(en_status.contains("200") && en.contains("Time progress") && en.contains("2025-06"), "{en}");
    assert!(data.join("ground_truth.json").exists());
}

fn money(v: &serde_json::Value) -> i64 {
    bw_core::Money::parse_yuan(v.as_str().expect("amount string")).expect("amount").fen()
}

#[test]
fn the_demo_never_replaces_a_database_with_other_data() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("real.db");
    let units = dir.path().join("units.csv");
    std::fs::write(&units, "code,name,parent_code,kind,level\nP,省,,region,province\n").expect("write");
    assert!(bw(&db, &["import", "units", units.to_str().expect("path")]).status.success());
    let data = dir.path().join("data");
    let o = bw(&db, &["demo", "--no-serve", "--no-scene", "--payments", "500", "--data", data.to_str().expect("path")]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("holds data that is not the demo's"), "{}", stderr(&o));
    assert!(stdout(&bw(&db, &["status"])).contains("units: 1\n"));
    // A database the demo made is replaced by the next demo run.
    let demo_db = dir.path().join("demo.db");
    for _ in 0..2 {
        let o = bw(
            &demo_db,
            &["demo", "--no-serve", "--no-scene", "--payments", "500", "--data", data.to_str().expect("path")],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
}

#[test]
fn ledger_proofs_verify_against_the_dumped_entries() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("l.db");
    let data = dir.path().join("data");
    let o_demo =
        bw(&db, &["demo", "--no-serve", "--no-scene", "--payments", "600", "--data", data.to_str().expect("path")]);
    assert!(o_demo.status.success(), "{}", stderr(&o_demo));
    let dump = stdout(&bw(&db, &["ledger", "dump"]));
    let leaves: Vec<[u8; 32]> = dump
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let v: serde_json::Value = serde_json::from_str(l).expect("ndjson");
            assert_eq!(v["index"], i as u64);
            let h = hex_decode(v["leaf_hash"].as_str().expect("hex"));
            let entry = b64_decode(v["entry"].as_str().expect("b64"));
            assert_eq!(h, bw_ledger::Suite::Sha256Ed25519.leaf(&entry), "leaf hash of entry {i}");
            h
        })
        .collect();
    let size = leaves.len() as u64;
    assert!(size > 1000, "{size}");
    for (index, at) in [(0u64, size), (size - 1, size), (777, 1000), (5, 6)] {
        let p: serde_json::Value = serde_json::from_str(&stdout(&bw(
            &db,
            &["ledger", "prove-inclusion", "--index", &index.to_string(), "--size", &at.to_string()],
        )))
        .expect("json");
        let root = hex_decode(p["root"].as_str().expect("root"));
        let proof: Vec<[u8; 32]> =
            p["proof"].as_array().expect("proof").iter().map(|h| hex_decode(h.as_str().expect("h"))).collect();
        assert_eq!(root, bw_ledger::Suite::Sha256Ed25519.root(&leaves[..at as usize]));
        assert!(
            bw_ledger::merkle::verify_inclusion(
                bw_ledger::Suite::Sha256Ed25519,
                &leaves[index as usize],
                index,
                at,
                &proof,
                &root
            ),
            "{index}/{at}"
        );
        assert_eq!((p["index"].as_u64(), p["size"].as_u64()), (Some(index), Some(at)));
    }
    let c: serde_json::Value =
        serde_json::from_str(&stdout(&bw(&db, &["ledger", "prove-consistency", "--old", "300"]))).expect("json");
    let proof: Vec<[u8; 32]> =
        c["proof"].as_array().expect("proof").iter().map(|h| hex_decode(h.as_str().expect("h"))).collect();
    let (old_root, root) = (hex_decode(c["old_root"].as_str().expect("r")), hex_decode(c["root"].as_str().expect("r")));
    assert_eq!(old_root, bw_ledger::Suite::Sha256Ed25519.root(&leaves[..300]));
    assert!(bw_ledger::merkle::verify_consistency(
        bw_ledger::Suite::Sha256Ed25519,
        300,
        size,
        &old_root,
        &root,
        &proof
    ));
    let o = bw(&db, &["verify"]);
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(stdout(&o).starts_with(&format!("verified: {size} entries, root ")), "{}", stdout(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&bw(&db, &["verify", "--format", "json"]))).expect("json");
    assert_eq!(
        (v["ok"].as_bool(), v["entries"].as_u64(), v["failures"].as_array().map(Vec::len)),
        (Some(true), Some(size), Some(0))
    );
    let cases: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&bw(&db, &["emergency", "list", "--format", "json"]))).expect("cases");
    assert!(!cases.is_empty(), "the payments' overspends opened emergency cases");
    assert!(!stdout(&o_demo).contains("budget scene:"), "the scene is played only when asked for");
    assert_eq!(
        v["checkpoints"].as_u64(),
        Some(9 + 1 + 2 * 12 + 3),
        "one per import (nine kinds with rows — the milestone plans' file is empty; the cases its overspends call for are in its commit), one for the earlier reviews, per demo account and its grant or grant request (twelve roles), and per approval of the three requests at or above bureau_reviewer (the admin's own grant, the first, needs none)"
    );
    let o = bw(&db, &["ledger", "prove-inclusion", "--index", "5", "--size", &(size + 1).to_string()]);
    assert!(!o.status.success() && stderr(&o).contains(&format!("the journal has {size} entries")), "{}", stderr(&o));
}

fn hex_decode(s: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex digit");
    }
    out
}

fn b64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => 0,
    };
    let mut out = Vec::new();
    for chunk in s.as_bytes().chunks(4) {
        let n = chunk.iter().fold(0u32, |a, &c| (a << 6) | u32::from(val(c)));
        let pad = chunk.iter().filter(|&&c| c == b'=').count();
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    out
}

#[test]
fn every_commit_leaves_a_checkpoint_signed_with_the_installation_key() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("c.db");
    let o = bw(&db, &["init"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let key_file = key_file(&db);
    let mode = std::fs::metadata(&key_file).expect("key file").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(std::fs::read_to_string(&key_file).expect("key").starts_with("PRIVATE+KEY+budgetwatch.local/"));
    let o = bw(&db, &["ledger", "checkpoint"]);
    assert!(!o.status.success(), "no checkpoint before the first commit");
    let units = dir.path().join("units.csv");
    std::fs::write(&units, "code,name,parent_code,kind,level\nP,省,,region,province\nC,市,P,region,city\n")
        .expect("write");
    assert!(bw(&db, &["import", "units", units.to_str().expect("path")]).status.success());
    assert!(bw(&db, &["setting", "set", "import.errors_max", "50"]).status.success());
    assert_eq!(stdout(&bw(&db, &["setting", "get", "import.errors_max"])), "50\n");
    let verifier = stdout(&bw(&db, &["ledger", "key"]));
    let note = stdout(&bw(&db, &["ledger", "checkpoint"]));
    let v = bw_ledger::note::Verifier::parse(verifier.trim()).expect("verifier key");
    let text = v.open(&note).expect("signed by the installation key");
    let cp = bw_ledger::note::Checkpoint::parse(text).expect("checkpoint");
    // 2 units + the batch entry, then the setting.
    assert_eq!(cp.size, 4);
    assert_eq!(cp.origin, v.name);
    let leaves: Vec<[u8; 32]> = stdout(&bw(&db, &["ledger", "dump"]))
        .lines()
        .map(|l| {
            hex_decode(serde_json::from_str::<serde_json::Value>(l).expect("json")["leaf_hash"].as_str().expect("hex"))
        })
        .collect();
    assert_eq!(cp.root, bw_ledger::Suite::Sha256Ed25519.root(&leaves));
    // Another key file cannot continue this log.
    let other = dir.path().join("other.key");
    let o = Command::new(env!("CARGO_BIN_EXE_budgetwatch"))
        .args([
            "--db",
            db.to_str().expect("p"),
            "--key-file",
            other.to_str().expect("p"),
            "setting",
            "set",
            "import.errors_max",
            "60",
        ])
        .output()
        .expect("run");
    assert!(!o.status.success());
    assert!(stderr(&o).contains("is missing; this log's checkpoints were signed with it"), "{}", stderr(&o));
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("t.db");
    assert!(bw(&db, &["init"]).status.success());
    // `budgetwatch status | head -0`: the reader is gone before the first line is written.
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let o = Command::new(env!("CARGO_BIN_EXE_budgetwatch"))
        .arg("--db")
        .arg(&db)
        .arg("status")
        .env_remove("BUDGETWATCH_DB")
        .env("XDG_CONFIG_HOME", config_home(&db))
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("run budgetwatch");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err, "", "no panic, no message");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(o.status.signal(), Some(13), "ended by SIGPIPE as `cat` would be: {:?}", o.status);
}

#[test]
fn calendar_today_is_the_date_in_the_installations_zone_whatever_the_machines_tz() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("t.db");
    // Beijing's date, from the system clock, before and after the command (a midnight between
    // them leaves either answer right).
    #[allow(clippy::disallowed_methods)]
    let beijing = || {
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
        bw_core::Timestamp(secs + 8 * 3600).date().to_string()
    };
    for tz in ["America/Los_Angeles", "UTC", "Pacific/Kiritimati"] {
        let before = beijing();
        let o = Command::new(env!("CARGO_BIN_EXE_budgetwatch"))
            .args(["--db", db.to_str().unwrap(), "calendar", "today"])
            .env_remove("BUDGETWATCH_DB")
            .env("XDG_CONFIG_HOME", config_home(&db))
            .env("TZ", tz)
            .output()
            .expect("run");
        let after = beijing();
        let got = stdout(&o).trim().to_string();
        assert!(got == before || got == after, "TZ={tz}: {got} (Beijing {before})");
    }
    assert!(!db.exists(), "reading the calendar creates no database");
    // With the zone set to UTC, the date there.
    assert!(bw(&db, &["init"]).status.success());
    assert!(bw(&db, &["setting", "set", "clock.time_zone", "UTC"]).status.success());
    #[allow(clippy::disallowed_methods)]
    let utc = || {
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
        bw_core::Timestamp(secs).date().to_string()
    };
    let before = utc();
    let got = stdout(&bw(&db, &["calendar", "today"])).trim().to_string();
    assert!(got == before || got == utc(), "{got}");
    let o = bw(&db, &["setting", "set", "clock.time_zone", "Beijing"]);
    assert!(!o.status.success() && stderr(&o).contains("unknown time zone"), "{}", stderr(&o));
}

#[test]
fn a_new_database_and_its_key_are_the_owners_alone_and_an_exposed_key_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("t.db");
    assert!(bw(&db, &["init"]).status.success());
    let mode = |p: &std::path::Path| std::fs::metadata(p).expect("file").permissions().mode() & 0o777;
    let key = key_file(&db);
    assert_eq!((mode(&db), mode(&key)), (0o600, 0o600));
    // The key is in the user's configuration folder (its folder the owner's alone), never
    // beside the database or in the working directory.
    assert!(key.starts_with(config_home(&db).join("budgetwatch/keys")), "{}", key.display());
    assert_eq!(mode(key.parent().expect("folder")), 0o700);
    let beside: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".key"))
        .collect();
    assert!(beside.is_empty(), "{beside:?}");
    // Run with the default --db, nothing but the database lands in the working directory.
    let work = dir.path().join("work");
    std::fs::create_dir(&work).expect("mkdir");
    let o = Command::new(env!("CARGO_BIN_EXE_budgetwatch"))
        .arg("init")
        .current_dir(&work)
        .env_remove("BUDGETWATCH_DB")
        .env("XDG_CONFIG_HOME", config_home(&db))
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    let here: Vec<String> = std::fs::read_dir(&work)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert!(here.iter().all(|n| n.starts_with("budgetwatch.db")), "only the database (and its WAL files): {here:?}");
    assert!(!here.iter().any(|n| n.ends_with(".key")), "{here:?}");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let o = bw(&db, &["setting", "set", "import.errors_max", "50"]);
    assert!(!o.status.success(), "{}", stdout(&o));
    assert!(stderr(&o).contains("is readable by others (mode 644)"), "{}", stderr(&o));
}

#[test]
fn no_tracked_file_holds_a_private_key() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let Ok(o) = Command::new("git").arg("-C").arg(&root).args(["ls-files", "-z"]).output() else {
        return; // a source tree without git: nothing is tracked
    };
    if !o.status.success() {
        return;
    }
    let mut found = Vec::new();
    for name in String::from_utf8_lossy(&o.stdout).split('\0').filter(|n| !n.is_empty()) {
        let Ok(bytes) = std::fs::read(root.join(name)) else { continue };
        let text = String::from_utf8_lossy(&bytes);
        // A signed-note private key as `budgetwatch` writes them (PRIVATE+KEY+name+8 hex
        // digits+base64 of the key), or a PEM one.
        let note_key = text.match_indices("PRIVATE+KEY+").any(|(at, _)| {
            let token: String = text[at..].chars().take_while(|c| !c.is_whitespace() && !"\"'`".contains(*c)).collect();
            let parts: Vec<&str> = token.splitn(5, '+').collect();
            parts.len() == 5
                && parts[3].len() == 8
                && parts[3].bytes().all(|b| b.is_ascii_hexdigit())
                && parts[4].len() >= 40
                && parts[4].bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
        });
        let pem = text.contains("-----BEGIN") && text.contains(" PRIVATE KEY-----\n");
        if note_key || pem {
            found.push(name.to_string());
        }
    }
    assert!(found.is_empty(), "private keys in tracked files: {found:?}");
}

#[test]
fn a_postgresql_database_needs_its_key_file_named() {
    // Refused before any connection: no key is looked for in the working directory.
    let o = bw(std::path::Path::new("postgres://nobody@127.0.0.1:1/none"), &["init"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("a PostgreSQL database needs its signing key file named: --key-file PATH"),
        "{}",
        stderr(&o)
    );
}
