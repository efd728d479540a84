//! The tamper-evident record from the outside: exports an auditor verifies offline,
//! consistency with a checkpoint saved earlier, and witnesses cosigning over HTTP.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)] // tests fail by panicking

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn import_units(db: &Path, dir: &Path, name: &str, body: &str) {
    let f = dir.join(name);
    std::fs::write(&f, body).expect("write");
    let o = bw(db, &["import", "units", p(&f)]);
    assert!(o.status.success(), "{}", stderr(&o));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("copy");
        }
    }
}

#[test]
fn an_export_verifies_with_only_its_files_and_the_public_key() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("e.db");
    let data = dir.path().join("data");
    let o = bw(&db, &["demo", "--no-serve", "--no-scene", "--payments", "700", "--data", p(&data)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let size: u64 = stdout(&bw(&db, &["status"]))
        .lines()
        .find_map(|l| l.strip_prefix("journal: "))
        .and_then(|n| n.parse().ok())
        .expect("journal size");
    assert!(size > 2 * 256, "the export spans several bundles and a level-1 tile: {size}");
    let key = stdout(&bw(&db, &["ledger", "key"])).trim().to_string();
    let out = dir.path().join("export");
    let o = bw(&db, &["ledger", "export", p(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with(&format!("exported {size} entries")), "{}", stdout(&o));
    assert!(out.join("tile/entries/000").is_file() && out.join("tile/0/000").is_file());
    assert!(out.join("tile/1/000.p/").is_dir() || out.join("tile/1/000").is_file());
    assert_eq!(std::fs::read_to_string(out.join("checkpoint")).unwrap(), stdout(&bw(&db, &["ledger", "checkpoint"])));
    // The export's root is the log's root.
    let root =
        serde_json::from_str::<serde_json::Value>(&stdout(&bw(&db, &["ledger", "prove-inclusion", "--index", "0"])))
            .unwrap()["root"]
            .as_str()
            .unwrap()
            .to_string();
    let o = bw(&db, &["ledger", "verify-export", p(&out), "--key", &key, "--format", "json"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (r["ok"].as_bool(), r["size"].as_u64(), r["root"].as_str()),
        (Some(true), Some(size), Some(root.as_str()))
    );
    assert!(r["checkpoints"].as_u64().unwrap() >= 7, "every import left a checkpoint: {r}");

    // An export goes into an empty directory only.
    let o = bw(&db, &["ledger", "export", p(&out)]);
    assert!(!o.status.success() && stderr(&o).contains("is not empty"), "{}", stderr(&o));

    // One byte of one entry changed: the checkpoints no longer match the entries.
    let bad = dir.path().join("bad-entry");
    copy_dir(&out, &bad);
    let bundle = bad.join("tile/entries/001");
    let mut bytes = std::fs::read(&bundle).unwrap();
    let at = bytes.iter().position(|b| *b == b'"').unwrap();
    bytes[at + 1] ^= 0x01;
    std::fs::write(&bundle, bytes).unwrap();
    let o = bw(&db, &["ledger", "verify-export", p(&bad), "--key", &key]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(text.contains("checkpoint: its root is not the root of the exported entries"), "{text}");
    assert!(text.contains("tile/0/001: differs from the tree of the exported entries"), "{text}");
    assert!(text.contains("FAILED"), "{text}");

    // A checkpoint signed by another key, and the wrong public key.
    let forged = dir.path().join("forged");
    copy_dir(&out, &forged);
    let other = bw_ledger::note::Signer::from_seed(&key[..key.find('+').unwrap()], [9; 32]).unwrap();
    let body =
        bw_ledger::note::split_note(&std::fs::read_to_string(out.join("checkpoint")).unwrap()).unwrap().0.to_string();
    std::fs::write(forged.join("checkpoint"), other.sign(&body)).unwrap();
    let o = bw(&db, &["ledger", "verify-export", p(&forged), "--key", &key]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("checkpoint: signature does not verify with the log's key"), "{}", stdout(&o));
    let o = bw(&db, &["ledger", "verify-export", p(&out), "--key", &other.verifier_key()]);
    assert!(!o.status.success());

    // A missing bundle is named.
    let gap = dir.path().join("gap");
    copy_dir(&out, &gap);
    std::fs::remove_file(gap.join("tile/entries/000")).unwrap();
    let o = bw(&db, &["ledger", "verify-export", p(&gap), "--key", &key]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("tile/entries/000"), "{}", stdout(&o));
}

#[test]
fn check_consistency_proves_growth_and_catches_a_rewritten_history() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("a.db");
    import_units(
        &db,
        dir.path(),
        "u1.csv",
        "code,name,parent_code,kind,level\nP,省,,region,province\nC,市,P,region,city\n",
    );
    let saved = dir.path().join("saved.checkpoint");
    std::fs::write(&saved, stdout(&bw(&db, &["ledger", "checkpoint"]))).unwrap();
    let o = bw(&db, &["ledger", "check-consistency", "--since", p(&saved)]);
    assert!(o.status.success(), "{}", stderr(&o));
    import_units(&db, dir.path(), "u2.csv", "code,name,parent_code,kind,level\nD,县,C,region,county\n");
    let o = bw(&db, &["ledger", "check-consistency", "--since", p(&saved)]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!((v["consistent"].as_bool(), v["old"].as_u64(), v["size"].as_u64()), (Some(true), Some(3), Some(5)));
    assert!(!v["proof"].as_array().unwrap().is_empty());

    // The same key over another history (the log rebuilt from scratch): not an extension.
    // (By someone holding a copy of the key but not the checkpoint kept beside it: with
    // it, the key refuses to sign a history that does not extend what it signed.)
    let key = dir.path().join("stolen.key");
    let own = key_file(&db);
    let refused = Command::new(env!("CARGO_BIN_EXE_budgetwatch"))
        .args(["--db", p(&dir.path().join("x.db")), "--key-file", p(&own), "import", "units"])
        .arg(dir.path().join("u1.csv"))
        .output()
        .unwrap();
    assert!(
        stderr(&refused).contains("this key signed a checkpoint of 3 entries but the journal holds 0"),
        "{}",
        stderr(&refused)
    );
    std::fs::copy(&own, &key).unwrap();
    let b = dir.path().join("b.db");
    let rebuilt = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_budgetwatch"))
            .args(["--db", p(&b), "--key-file", p(&key)])
            .args(args)
            .output()
            .expect("run")
    };
    let f = dir.path().join("u3.csv");
    std::fs::write(
        &f,
        "code,name,parent_code,kind,level\nP,省,,region,province\nC,别的市,P,region,city\nD,县,C,region,county\n",
    )
    .unwrap();
    assert!(rebuilt(&["import", "units", p(&f)]).status.success());
    let o = rebuilt(&["ledger", "check-consistency", "--since", p(&saved)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["consistent"], false);
    assert!(v["detail"].as_str().unwrap().contains("history was rewritten"), "{v}");

    // A shorter log: entries were removed.
    let c = dir.path().join("c.db");
    let f = dir.path().join("u4.csv");
    std::fs::write(&f, "code,name,parent_code,kind,level\nP,省,,region,province\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_budgetwatch"))
        .args(["--db", p(&c), "--key-file", p(&key), "import", "units", p(&f)])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = Command::new(env!("CARGO_BIN_EXE_budgetwatch"))
        .args(["--db", p(&c), "--key-file", p(&key), "ledger", "check-consistency", "--since", p(&saved)])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("entries were removed"), "{}", stdout(&o));

    // A checkpoint not signed by this log is refused outright.
    std::fs::write(&saved, "x\n3\nAAAA\n\n— x AAAA\n").unwrap();
    let o = bw(&db, &["ledger", "check-consistency", "--since", p(&saved)]);
    assert!(!o.status.success() && stderr(&o).contains("not signed by this log's key"), "{}", stderr(&o));
}

#[test]
fn witnesses_cosign_published_checkpoints_over_http_and_refuse_a_fork() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("w.db");
    import_units(&db, dir.path(), "u1.csv", "code,name,parent_code,kind,level\nP,省,,region,province\n");
    let log_key = stdout(&bw(&db, &["ledger", "key"])).trim().to_string();
    let wkey = dir.path().join("audit.key");
    let state = dir.path().join("audit.state");
    let o = bw(&db, &["ledger", "witness", "--witness-key", p(&wkey), "--name", "audit.example/witness"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let witness_vkey = stdout(&o).trim().to_string();
    assert!(witness_vkey.starts_with("audit.example/witness+"));
    let o = bw(&db, &["ledger", "add-witness", &witness_vkey]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = bw(&db, &["ledger", "add-witness", &witness_vkey]);
    assert!(!o.status.success() && stderr(&o).contains("already registered"), "{}", stderr(&o));
    assert!(stdout(&bw(&db, &["ledger", "publish"])).contains("published the checkpoint of 3 entries"));

    let (mut server, addr) = spawn_server(&db, &["serve", "--addr", "127.0.0.1:0"]);
    let url = format!("http://{addr}");
    let witness = || {
        bw(
            &db,
            &[
                "ledger",
                "witness",
                "--server",
                &url,
                "--log-key",
                &log_key,
                "--witness-key",
                p(&wkey),
                "--state",
                p(&state),
            ],
        )
    };
    let o = witness();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("cosigned 3 entries: — audit.example/witness "), "{}", stdout(&o));
    let (status, note) = get(&addr, "/api/v1/ledger/checkpoint");
    assert!(status.contains("200"), "{status}");
    assert!(note.contains("\n— audit.example/witness "), "{note}");
    let o = witness();
    assert!(stdout(&o).starts_with("unchanged: 3 entries"), "{}", stdout(&o));

    // The log grows; the next publication is cosigned through a consistency proof.
    import_units(&db, dir.path(), "u2.csv", "code,name,parent_code,kind,level\nC,市,P,region,city\n");
    assert!(stdout(&bw(&db, &["ledger", "publish"])).contains("of 5 entries"));
    let o = witness();
    assert!(stdout(&o).starts_with("cosigned 5 entries"), "{}{}", stdout(&o), stderr(&o));
    let (_, proof) = get(&addr, "/api/v1/ledger/consistency?old=3&new=5");
    assert!(proof.contains("\"old\":3"), "{proof}");
    let (status, _) = get(&addr, "/api/v1/ledger/consistency?old=9");
    assert!(status.contains("400"), "{status}");

    // A server showing another tree of the same size is a fork: refused, state kept.
    let kept = std::fs::read_to_string(&state).unwrap();
    std::fs::write(&state, kept.replace(kept.lines().nth(2).unwrap(), &bw_ledger::note::base64(&[7; 32]))).unwrap();
    let o = witness();
    assert!(!o.status.success() && stderr(&o).contains("refusing to cosign"), "{}", stderr(&o));
    let _ = server.kill();
    let _ = server.wait();

    let o = bw(&db, &["verify"]);
    assert!(o.status.success(), "{}", stdout(&o));
    let out = dir.path().join("export");
    assert!(bw(&db, &["ledger", "export", p(&out)]).status.success());
    let o = bw(&db, &["ledger", "verify-export", p(&out), "--key", &log_key, "--witness", &witness_vkey]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains(", 2 cosignatures,"), "{}", stdout(&o));
    // The witness required by verify: registered with its key and cosigning; a stranger is not.
    let o = bw(&db, &["verify", "--witness", &witness_vkey]);
    assert!(o.status.success(), "{}", stdout(&o));
    let stranger = bw_ledger::note::Cosigner::from_seed("congress.example/w", [7; 32]).unwrap().verifier_key();
    let o = bw(&db, &["verify", "--witness", &stranger]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("cosignature [congress.example/w]: a required witness that the journal does not register"),
        "{}",
        stdout(&o)
    );

    // A cosignature changed in the database is named by verify.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = bw_store::Store::open(p(&db), false).await.unwrap();
        bw_store::sqlx::query("DELETE FROM cosignatures WHERE size = 3").execute(store.pool()).await.unwrap();
        bw_store::sqlx::query("UPDATE cosignatures SET size = 3 WHERE size = 5").execute(store.pool()).await.unwrap();
    });
    let o = bw(&db, &["verify"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("cosignature 3 [audit.example/witness]: by audit.example/witness does not verify"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn redact_erases_an_individuals_data_on_a_journaled_request_and_proofs_still_hold() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("r.db");
    let data = dir.path().join("data");
    assert!(bw(&db, &["demo", "--no-serve", "--no-scene", "--payments", "400", "--data", p(&data)]).status.success());
    let csv = std::fs::read_to_string(data.join("payments.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let row: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|r| r[col("payee_type")] == "individual")
        .expect("the demo pays individuals");
    let (voucher, unit, name, account) =
        (row[col("voucher_no")], row[col("unit_code")], row[col("payee_name")], row[col("payee_account")]);
    let dump = stdout(&bw(&db, &["ledger", "dump"]));
    let entries: Vec<String> = dump
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            String::from_utf8(bw_ledger::note::base64_decode(v["entry"].as_str().unwrap()).unwrap()).unwrap()
        })
        .collect();
    assert!(entries.iter().all(|e| !e.contains(account)), "no entry holds an individual's account");
    assert!(entries.iter().any(|e| e.contains(&format!("\"voucher_no\":\"{voucher}\""))));
    let saved = dir.path().join("before.checkpoint");
    std::fs::write(&saved, stdout(&bw(&db, &["ledger", "checkpoint"]))).unwrap();

    let o = bw(&db, &["ledger", "redact", "--unit", unit, "--voucher", voucher]);
    assert!(!o.status.success() && stderr(&o).contains("needs a reason"), "{}", stderr(&o));
    let o = bw(&db, &["--reason", "依申请删除", "ledger", "redact", "--unit", unit, "--voucher", voucher]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with(&format!("erased the personal data of payment {voucher} of unit {unit}")));
    let after = stdout(&bw(&db, &["ledger", "dump"]));
    assert!(after.starts_with(&dump), "every earlier entry is unchanged");
    let last: serde_json::Value = serde_json::from_str(after.lines().last().unwrap()).unwrap();
    let redact_entry =
        String::from_utf8(bw_ledger::note::base64_decode(last["entry"].as_str().unwrap()).unwrap()).unwrap();
    assert!(
        redact_entry.contains("\"action\":\"personal.redact\"") && redact_entry.contains("依申请删除"),
        "{redact_entry}"
    );
    assert!(!redact_entry.contains(name));
    assert!(bw(&db, &["ledger", "check-consistency", "--since", p(&saved)]).status.success());
    let o = bw(&db, &["verify"]);
    assert!(o.status.success(), "{}", stdout(&o));
}

#[test]
fn an_sm3_sm2_log_hashes_signs_proves_and_exports_with_the_chinese_standards() {
    use bw_ledger::Suite;
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("sm.db");
    let o = bw(&db, &["init", "--crypto", "sm3-sm2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    import_units(
        &db,
        dir.path(),
        "u.csv",
        "code,name,parent_code,kind,level\nP,省,,region,province\nC,市,P,region,city\nD,县,C,region,county\n",
    );
    let key = stdout(&bw(&db, &["ledger", "key"])).trim().to_string();
    let v = bw_ledger::note::Verifier::parse(&key).unwrap();
    assert_eq!(v.suite(), Suite::Sm3Sm2);
    let cp = bw_ledger::note::Checkpoint::parse(v.open(&stdout(&bw(&db, &["ledger", "checkpoint"]))).unwrap()).unwrap();
    assert!(cp.origin.ends_with("/sm3-sm2"), "the origin records the choice: {}", cp.origin);
    let entries: Vec<Vec<u8>> = stdout(&bw(&db, &["ledger", "dump"]))
        .lines()
        .map(|l| {
            let j: serde_json::Value = serde_json::from_str(l).unwrap();
            let e = bw_ledger::note::base64_decode(j["entry"].as_str().unwrap()).unwrap();
            assert_eq!(j["leaf_hash"].as_str().unwrap(), bw_ledger::hex(&Suite::Sm3Sm2.leaf(&e)));
            e
        })
        .collect();
    let leaves: Vec<[u8; 32]> = entries.iter().map(|e| Suite::Sm3Sm2.leaf(e)).collect();
    assert_eq!(cp.size, 4);
    assert_eq!(cp.root, Suite::Sm3Sm2.root(&leaves));
    assert_ne!(
        cp.root,
        Suite::Sha256Ed25519.root(&entries.iter().map(|e| Suite::Sha256Ed25519.leaf(e)).collect::<Vec<_>>())
    );
    let proof: serde_json::Value =
        serde_json::from_str(&stdout(&bw(&db, &["ledger", "prove-inclusion", "--index", "2"]))).unwrap();
    let path: Vec<[u8; 32]> = proof["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let b: Vec<u8> =
                (0..32).map(|i| u8::from_str_radix(&h.as_str().unwrap()[2 * i..2 * i + 2], 16).unwrap()).collect();
            b.try_into().unwrap()
        })
        .collect();
    assert!(bw_ledger::merkle::verify_inclusion(Suite::Sm3Sm2, &leaves[2], 2, 4, &path, &cp.root));
    let o = bw(&db, &["verify"]);
    assert!(o.status.success(), "{}", stdout(&o));
    let out = dir.path().join("export");
    assert!(bw(&db, &["ledger", "export", p(&out)]).status.success());
    let o = bw(&db, &["ledger", "verify-export", p(&out), "--key", &key]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    // The choice is fixed.
    let o = bw(&db, &["init", "--crypto", "sha256-ed25519"]);
    assert!(!o.status.success() && stderr(&o).contains("cannot change"), "{}", stderr(&o));
}

#[test]
fn an_approver_signs_an_opinion_with_a_password_sealed_key() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("a.db");
    import_units(&db, dir.path(), "u.csv", "code,name,parent_code,kind,level\nP,省,,region,province\n");
    let run = |password: &str, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_budgetwatch"))
            .args(["--db", p(&db)])
            .args(args)
            .env("BUDGETWATCH_PASSWORD", password)
            .env("XDG_CONFIG_HOME", config_home(&db))
            .output()
            .expect("run")
    };
    let o = run("correct horse", &["approval", "key", "--user", "audit.zhang"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("audit.zhang+"), "{}", stdout(&o));
    let sign =
        ["--actor", "audit.zhang", "approval", "sign", "--entry", "0", "--decision", "同意", "--comment", "已核"];
    let o = run("wrong horse", &sign);
    assert!(!o.status.success() && stderr(&o).contains("wrong password"), "{}", stderr(&o));
    let o = run("correct horse", &sign);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "signed opinion on entry 0: journal entry 3\n");
    let o = bw(&db, &["verify"]);
    assert!(o.status.success(), "{}", stdout(&o));
}

#[test]
fn verify_trusts_the_key_file_not_the_database_and_a_rotated_key_keeps_the_chain() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("t.db");
    assert!(bw(&db, &["init"]).status.success());
    import_units(&db, dir.path(), "u.csv", "code,name,parent_code,kind,level\nP,省,,region,province\n");
    let old = stdout(&bw(&db, &["ledger", "key"])).trim().to_string();
    let o = bw(&db, &["verify"]);
    assert!(o.status.success(), "{}", stdout(&o));
    // Without the key file there is nothing outside the database to trust.
    let keyfile = key_file(&db);
    let hidden = dir.path().join("hidden.key");
    std::fs::rename(&keyfile, &hidden).unwrap();
    let o = bw(&db, &["verify"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stderr(&o).contains("no trusted key"), "{}", stderr(&o));
    assert!(bw(&db, &["verify", "--key", &old]).status.success());
    std::fs::rename(&hidden, &keyfile).unwrap();

    // A rotation: the old key is kept aside, the new one signs from now on.
    let o = bw(&db, &["ledger", "rotate-key"]);
    assert!(!o.status.success(), "a rotation needs a reason");
    let o = bw(&db, &["--reason", "年度密钥轮换", "ledger", "rotate-key"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let new = stdout(&bw(&db, &["ledger", "key"])).trim().to_string();
    assert_ne!(new, old);
    assert!(stdout(&o).contains(&new), "{}", stdout(&o));
    import_units(&db, dir.path(), "u2.csv", "code,name,parent_code,kind,level\nC,市,P,region,city\n");
    for key in [&old, &new] {
        let o = bw(&db, &["verify", "--key", key]);
        assert!(o.status.success(), "{}", stdout(&o));
    }
    assert!(bw(&db, &["verify"]).status.success());
    let note = stdout(&bw(&db, &["ledger", "checkpoint"]));
    assert_eq!(note.matches('\u{2014}').count(), 1, "after the rotation only the new key signs: {note}");
    let out = dir.path().join("export");
    assert!(bw(&db, &["ledger", "export", p(&out)]).status.success());
    for key in [&old, &new] {
        let o = bw(&db, &["ledger", "verify-export", p(&out), "--key", key]);
        assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    }
    // The rotation's checkpoint carries both signatures.
    let both = std::fs::read_dir(out.join("checkpoints"))
        .unwrap()
        .filter(|e| std::fs::read_to_string(e.as_ref().unwrap().path()).unwrap().matches('\u{2014}').count() == 2)
        .count();
    assert_eq!(both, 1);

    // An attacker's key written into the database's meta (and every checkpoint re-signed
    // with it) is named: the installation's key file decides.
    let attacker = "budgetwatch.local/x+00000000+AQ==";
    let store_key = |value: &str| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let store = bw_store::Store::open(p(&db), false).await.unwrap();
            bw_store::sqlx::query("UPDATE meta SET value = $1 WHERE key = 'verifier_key'")
                .bind(value.to_string())
                .execute(store.pool())
                .await
                .unwrap();
        });
    };
    store_key(attacker);
    let o = bw(&db, &["verify"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains(&format!(
            "key [meta.verifier_key]: the database records the verifier key {attacker}, not the log's {new}"
        )),
        "{}",
        stdout(&o)
    );
    let o = bw(&db, &["ledger", "key"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("not the installation's"), "{}", stderr(&o));
    store_key(&new);
    assert!(bw(&db, &["verify"]).status.success());
}

#[test]
fn a_published_key_signs_nothing_until_it_is_rotated() {
    // The key once committed to this repository, read back from its history (a source tree
    // without that history has nothing to test).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let Ok(o) = Command::new("git").arg("-C").arg(&root).args(["show", "557d5d3:budgetwatch.key"]).output() else {
        return;
    };
    if !o.status.success() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let key = dir.path().join("published.key");
    std::fs::write(&key, &o.stdout).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let db = dir.path().join("p.db");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_budgetwatch"))
            .args(["--db", p(&db), "--key-file", p(&key)])
            .args(args)
            .env("XDG_CONFIG_HOME", config_home(&db))
            .output()
            .expect("run")
    };
    let published = bw_ledger::note::PUBLISHED_KEYS[0];
    let o = run(&["init"]);
    assert!(!o.status.success() && stderr(&o).contains("was published"), "{}", stderr(&o));
    // A log that was signed with it (before it was known published) verifies as such only
    // with a failure naming it; rotated, it verifies with the new key.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let text = std::fs::read_to_string(&key).unwrap();
        let mut store = bw_store::Store::open(p(&db), true).await.unwrap();
        store.set_signer(bw_ledger::note::Signer::parse_private_key(&text).unwrap(), None).await.unwrap();
        bw_app::settings::set(
            &store,
            &bw_app::Ctx {
                actor: "test".into(),
                at: bw_core::Timestamp(1_795_735_800),
                today: bw_core::Timestamp(1_795_735_800).date(),
                reason: None,
                entropy: [1; 32],
            },
            "import.errors_max",
            "9",
        )
        .await
        .unwrap();
    });
    let o = run(&["verify"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains(&format!("key: the log's key {published} was published")), "{}", stdout(&o));
    let o = run(&["--reason", "the key was published", "ledger", "rotate-key"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["verify"]);
    assert!(o.status.success(), "{}", stdout(&o));
}
