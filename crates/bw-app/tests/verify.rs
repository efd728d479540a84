//! `verify` finds every kind of tampering and reports nothing on an untouched database.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)] // tests fail by panicking

mod common;

use bw_core::template::Kind;
use bw_store::sqlx::{self, Row};
use common::*;

async fn prepared() -> Vec<TestDb> {
    let mut out = Vec::new();
    for db in databases().await {
        seed(&db).await;
        let body = "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary,invoice_no,contract_no,reverses\n\
                    V1,2026-01-05,U1,I1,30201,公司,6222001,company,1200.50,办公用品,F1,,\n\
                    V2,2026-02-05,U1,I1,30201,公司,6222001,company,300,纸张,F2,,\n\
                    V3,2026-02-06,U1,I1,30201,公司,6222001,company,-100.25,退货,,,V1\n";
        import_str(&db, Kind::Payments, "p.csv", body).await.unwrap();
        bw_app::settings::set(&db.store, &ctx(), "import.errors_max", "9").await.unwrap();
        out.push(db);
    }
    out
}

async fn failures(db: &TestDb) -> Vec<String> {
    let r = bw_app::verify::verify(&db.store, &common::trust()).await.unwrap();
    assert_eq!(r.ok, r.failures.is_empty());
    r.failures.iter().map(|f| f.to_string()).collect()
}

async fn exec(db: &TestDb, sql: &'static str) {
    sqlx::query(sql).execute(db.store.pool()).await.unwrap();
}

#[tokio::test]
async fn an_untouched_database_verifies() {
    for db in prepared().await {
        let r = bw_app::verify::verify(&db.store, &common::trust()).await.unwrap();
        assert!(r.ok, "{}: {:?}", db.name, r.failures);
        assert_eq!((r.entries, r.checkpoints), (20, 5), "{}", db.name);
    }
}

#[tokio::test]
async fn edited_projection_rows_are_named_by_table_key_and_column() {
    for db in prepared().await {
        exec(&db, "UPDATE payments SET amount = 120051 WHERE voucher_no = 'V1'").await;
        exec(&db, "UPDATE payments SET payee_name = '别人' WHERE voucher_no = 'V2'").await;
        exec(&db, "UPDATE payments SET pay_date = '2026-03-01' WHERE voucher_no = 'V3'").await;
        exec(&db, "UPDATE indicators SET paid = 0 WHERE indicator_code = 'I1'").await;
        assert_eq!(
            failures(&db).await,
            vec![
                "projection indicators.balance [2026/I1] column paid: table has \"0\", the journal says \"140025\"",
                "projection payments [V1/U1] column amount: table has \"120051\", the journal says \"120050\"",
                "projection payments [V2/U1] column payee_name: table has \"别人\", the journal says \"公司\"",
                "projection payments [V3/U1] column pay_date: table has \"2026-03-01\", the journal says \"2026-02-06\"",
            ],
            "{}",
            db.name
        );
    }
}

#[tokio::test]
async fn rows_without_entries_and_missing_rows_are_found() {
    for db in prepared().await {
        exec(&db, "INSERT INTO payments SELECT unit_code, 'V9', pay_date, year, indicator_code, economic_code, payee_name, payee_account, payee_type, amount, summary, invoice_no, contract_no, reverses, refunded, record_hash, journal_idx, status, hold_warning, invoice_key, hold_reason FROM payments WHERE voucher_no = 'V2'").await;
        exec(&db, "DELETE FROM projects WHERE project_code = 'XM2'").await;
        assert_eq!(
            failures(&db).await,
            vec![
                "projection projects [XM2]: row missing: the journal records it",
                "projection payments [V9/U1]: row has no journal entry",
            ],
            "{}",
            db.name
        );
    }
}

#[tokio::test]
async fn altered_deleted_and_swapped_entries_are_named() {
    for db in prepared().await {
        let entries = db.store.journal_range(0, 20).await.unwrap();
        // One byte of entry 15 (payment V1): its amount.
        let e15 = String::from_utf8(entries[15].2.clone()).unwrap();
        assert!(e15.contains("\"voucher_no\":\"V1\""), "{e15}");
        let changed = e15.replace("1200.50", "1200.59").into_bytes();
        sqlx::query("UPDATE journal SET entry = $1 WHERE idx = 15")
            .bind(changed)
            .execute(db.store.pool())
            .await
            .unwrap();
        let f = failures(&db).await;
        assert!(f[0].starts_with("entry 15: stored leaf hash"), "{}: {f:?}", db.name);
        assert!(f.iter().any(|l| l.starts_with("projection payments [V1/U1] column amount")), "{f:?}");
        assert!(f.iter().any(|l| l.starts_with("checkpoint 19: its root is not the root")), "{f:?}");

        // Swap two entries (their bytes and hashes together).
        let (a, b) = (&entries[1], &entries[2]);
        for (idx, src) in [(1i64, b), (2i64, a)] {
            sqlx::query("UPDATE journal SET leaf_hash = $1, entry = $2 WHERE idx = $3")
                .bind(src.1.clone())
                .bind(src.2.clone())
                .bind(idx)
                .execute(db.store.pool())
                .await
                .unwrap();
        }
        let f = failures(&db).await;
        assert!(f.iter().any(|l| l.starts_with("tile merkle_tiles [0/0]: differs")), "{f:?}");
        assert!(f.iter().any(|l| l.starts_with("projection units [C1] column journal_idx")), "{f:?}");

        exec(&db, "DELETE FROM journal WHERE idx = 5").await;
        let f = failures(&db).await;
        assert!(f.iter().any(|l| l == "entry 5: missing: the journal skips this index (deleted entry)"), "{f:?}");
        assert!(f.iter().any(|l| l.starts_with("journal: the journal head says 20 entries, 19 are stored")), "{f:?}");
    }
}

/// Re-signs every checkpoint with `key` (an attacker's, under the log's name).
async fn resign_all(db: &TestDb, key: &bw_ledger::note::Signer) {
    for r in sqlx::query("SELECT size, root FROM checkpoints").fetch_all(db.store.pool()).await.unwrap() {
        let (size, root): (i64, Vec<u8>) = (r.get(0), r.get(1));
        let cp = bw_ledger::note::Checkpoint {
            origin: key.name().into(),
            size: size as u64,
            root: root.try_into().unwrap(),
        };
        sqlx::query("UPDATE checkpoints SET note = $1 WHERE size = $2")
            .bind(key.sign(&cp.text()))
            .bind(size)
            .execute(db.store.pool())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_log_re_signed_with_another_key_fails_against_the_installation_key() {
    for db in prepared().await {
        // The attacker's key under the log's name, every checkpoint re-signed with it and
        // its verifier key written into `meta`.
        let other = bw_ledger::note::Signer::from_seed("budgetwatch.test/log", [4; 32]).unwrap();
        resign_all(&db, &other).await;
        sqlx::query("UPDATE meta SET value = $1 WHERE key = 'verifier_key'")
            .bind(other.verifier_key())
            .execute(db.store.pool())
            .await
            .unwrap();
        let f = failures(&db).await;
        let theirs = other.verifier_key();
        let ours = common::signer().verifier_key();
        assert_eq!(
            f[0],
            format!("key [meta.verifier_key]: the database records the verifier key {theirs}, not the log's {ours}"),
            "{}",
            db.name
        );
        assert_eq!(f.len(), 6, "{}: {f:?}", db.name);
        assert!(
            f[1..].iter().all(|l| l.ends_with(
                "signature does not verify with the log's key budgetwatch.test/log: no valid signature by budgetwatch.test/log"
            )),
            "{f:?}"
        );
        // Trusting the attacker's key instead names the installation's own key as foreign
        // only when asked with it; the database alone never decides.
        let r =
            bw_app::verify::verify(&db.store, &bw_app::verify::Trust { key: theirs, ..common::trust() }).await.unwrap();
        assert!(r.ok, "{}: with the attacker's key given, its signatures verify: {:?}", db.name, r.failures);
        // A changed origin is named too.
        exec(&db, "UPDATE meta SET value = 'budgetwatch.test/other' WHERE key = 'origin'").await;
        assert!(
            failures(&db).await.contains(
                &"key [meta.origin]: the database records the origin budgetwatch.test/other, not the log's budgetwatch.test/log"
                    .to_string()
            ),
            "{}",
            db.name
        );
    }
}

#[tokio::test]
async fn deleted_checkpoints_with_a_rewritten_entry_fail_and_the_key_never_signs_them() {
    for db in prepared().await {
        // Delete the checkpoints, change a payment's amount in its entry, recompute its
        // leaf and the tiles, and fix every table cell that would tell.
        exec(&db, "DELETE FROM checkpoints").await;
        let (idx, entry): (i64, Vec<u8>) = sqlx::query("SELECT idx, entry FROM journal ORDER BY idx")
            .fetch_all(db.store.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get::<Vec<u8>, _>(1)))
            .find(|(_, e)| String::from_utf8_lossy(e).contains("\"voucher_no\":\"V2\""))
            .unwrap();
        let text = String::from_utf8(entry).unwrap();
        assert!(text.contains("\"amount\":\"300.00\","), "{text}");
        let forged = text.replace("\"amount\":\"300.00\",", "\"amount\":\"30.00\",").into_bytes();
        sqlx::query("UPDATE journal SET entry = $1, leaf_hash = $2 WHERE idx = $3")
            .bind(forged.clone())
            .bind(db.store.suite().leaf(&forged).to_vec())
            .bind(idx)
            .execute(db.store.pool())
            .await
            .unwrap();
        for sql in [
            "DELETE FROM merkle_tiles",
            "UPDATE journal_head SET tiled = 0",
            "UPDATE payments SET amount = 3000 WHERE voucher_no = 'V2'",
            "UPDATE indicators SET paid = paid - 27000 WHERE indicator_code = 'I1'",
            "UPDATE indicator_months SET paid = paid - 27000 WHERE month = '2026-02'",
            "UPDATE volumes SET gross = gross - 27000 WHERE kind = 'payments'",
        ] {
            sqlx::query(sql).execute(db.store.pool()).await.unwrap();
        }
        // The tiles are rebuilt from the forged entries when the database is opened.
        let location = db.store.location().to_string();
        let mut store = bw_store::Store::open(&location, false).await.unwrap();
        store.set_signer(common::signer(), Some(db.dir.path().join("log.head"))).await.unwrap();
        let forged_db = TestDb { store, name: db.name, dir: db.dir };
        // The record hash `verify` names is written in too.
        let r = bw_app::verify::verify(&forged_db.store, &common::trust()).await.unwrap();
        let named = r.failures.iter().find(|f| f.column.as_deref() == Some("record_hash")).expect("record_hash named");
        let hex = named.detail.rsplit('"').nth(1).unwrap();
        let hash: Vec<u8> =
            (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
        sqlx::query("UPDATE payments SET record_hash = $1 WHERE voucher_no = 'V2'")
            .bind(hash)
            .execute(forged_db.store.pool())
            .await
            .unwrap();
        assert_eq!(
            failures(&forged_db).await,
            vec!["checkpoint: no signed checkpoint covers the journal's 20 entries"],
            "{}: only the missing checkpoints tell",
            forged_db.name
        );
        // The next ordinary write is refused: the real key does not sign the forged past.
        let e = bw_app::settings::set(&forged_db.store, &ctx(), "import.errors_max", "7").await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "journal corrupt: the journal holds 20 entries and no signed checkpoint; nothing was signed (run budgetwatch verify)",
            "{}",
            forged_db.name
        );
        assert_eq!(forged_db.store.journal_size().await.unwrap(), 20);
    }
}

#[tokio::test]
async fn a_truncated_log_and_a_rewritten_history_are_refused_and_found() {
    for db in prepared().await {
        // Truncate to 15 entries (before the payments): the stored checkpoints up to 15
        // still hold, so only the checkpoint kept beside the key tells.
        for sql in [
            "DELETE FROM journal WHERE idx >= 15",
            "DELETE FROM checkpoints WHERE size > 15",
            "DELETE FROM payments",
            "DELETE FROM indicator_months",
            "DELETE FROM volumes",
            "DELETE FROM settings",
            "DELETE FROM batches WHERE id > 3",
            "UPDATE indicators SET paid = 0",
            "DELETE FROM merkle_tiles",
            "UPDATE journal_head SET size = 15, tiled = 0",
        ] {
            sqlx::query(sql).execute(db.store.pool()).await.unwrap();
        }
        let location = db.store.location().to_string();
        let mut store = bw_store::Store::open(&location, false).await.unwrap();
        store.set_signer(common::signer(), Some(db.dir.path().join("log.head"))).await.unwrap();
        let truncated = TestDb { store, name: db.name, dir: db.dir };
        let r = bw_app::verify::verify(&truncated.store, &common::trust()).await.unwrap();
        assert!(r.ok, "{}: without the kept checkpoint a consistent truncation looks whole", truncated.name);
        let r = bw_app::verify::verify(&truncated.store, &common::trust_kept(&truncated)).await.unwrap();
        assert_eq!(
            r.failures.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
            vec![
                "checkpoint 19 [kept]: the installation's key signed a checkpoint of 19 entries but the journal holds 15: entries were removed"
            ],
            "{}",
            truncated.name
        );
        // Writing another history on the truncated log is refused before anything is signed.
        let body = "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount\nW1,2026-01-05,U1,I1,30201,公司,6222001,company,10\n";
        let e = import_str(&truncated, Kind::Payments, "q.csv", body).await.unwrap_err();
        assert!(
            format!("{e:?}").contains(
                "this key signed a checkpoint of 19 entries but the journal holds 15: entries were removed; nothing was signed"
            ),
            "{}: {e:?}",
            truncated.name
        );
        assert_eq!(truncated.store.journal_size().await.unwrap(), 15, "{}", truncated.name);
    }
}

#[tokio::test]
async fn published_at_and_the_journal_head_are_checked() {
    for db in prepared().await {
        let now = bw_core::Timestamp(1_795_740_000);
        assert_eq!(bw_app::witness::publish(&db.store, now, true).await.unwrap(), Some(20));
        assert!(failures(&db).await.is_empty(), "{}", db.name);
        // Moved later, as a valid time after the commit: not what the key signed.
        exec(&db, "UPDATE checkpoints SET published_at = '2030-01-01T00:00:00Z' WHERE size = 20").await;
        assert_eq!(
            failures(&db).await,
            vec!["checkpoint 20: published at 2030-01-01T00:00:00Z, which is not the publication the log's key signed"],
            "{}",
            db.name
        );
        exec(&db, "UPDATE checkpoints SET published_at = '2020-01-01T00:00:00Z' WHERE size = 20").await;
        assert!(
            failures(&db).await.contains(
                &"checkpoint 20: published at 2020-01-01T00:00:00Z, before it was signed (2026-11-26T23:30:00Z)"
                    .to_string()
            ),
            "{}",
            db.name
        );
        exec(&db, "UPDATE checkpoints SET published_at = 'yesterday' WHERE size = 20").await;
        assert!(
            failures(&db)
                .await
                .contains(&"checkpoint 20: its publication time \"yesterday\" is not a time".to_string()),
            "{}",
            db.name
        );
        // Erased, or written without the key.
        exec(&db, "UPDATE checkpoints SET published_at = NULL").await;
        assert_eq!(
            failures(&db).await,
            vec!["checkpoint 20: its signed publication was erased (published_at cleared)"],
            "{}",
            db.name
        );
        exec(&db, "UPDATE checkpoints SET published_sig = NULL").await;
        exec(&db, "UPDATE checkpoints SET published_at = '2026-11-27T00:00:00Z' WHERE size = 19").await;
        assert_eq!(
            failures(&db).await,
            vec!["checkpoint 19: its publication is not signed by the log's key"],
            "{}",
            db.name
        );
        exec(&db, "UPDATE checkpoints SET published_at = NULL").await;
        exec(&db, "UPDATE journal_head SET tiled = 3").await;
        assert_eq!(
            failures(&db).await,
            vec!["journal: the journal head says 3 entries are tiled, 20 are stored"],
            "{}",
            db.name
        );
    }
}

#[tokio::test]
async fn witness_cosignatures_are_stored_for_published_checkpoints_and_checked() {
    use bw_ledger::note::{Cosigner, split_note};
    for db in prepared().await {
        let w = Cosigner::from_seed("audit.example/w", [8; 32]).unwrap();
        let stranger = Cosigner::from_seed("congress.example/w", [9; 32]).unwrap();
        bw_app::witness::add(&db.store, &ctx(), &w.verifier_key()).await.unwrap();
        let now = bw_core::Timestamp(1_795_740_000);
        assert_eq!(bw_app::witness::publish(&db.store, now, false).await.unwrap(), Some(21));
        // Not due again within the hour, even after the log grows.
        bw_app::settings::set(&db.store, &ctx(), "import.errors_max", "8").await.unwrap();
        assert_eq!(bw_app::witness::publish(&db.store, bw_core::Timestamp(now.0 + 60), false).await.unwrap(), Some(21));
        let note = bw_app::witness::published(&db.store).await.unwrap().unwrap();
        let body = split_note(&note).unwrap().0.to_string();
        assert!(body.contains("\n21\n"), "{body}");
        let line = w.cosign(&body, 1_795_740_100);
        let unknown = stranger.cosign(&body, 1_795_740_100);
        let refused = bw_app::witness::receive(&db.store, &format!("{note}{unknown}\n"), now).await;
        assert!(refused.is_err_and(|e| e.to_string() == "no cosignature by a registered witness"), "{}", db.name);
        let forged = format!("{note}{}\n", line.replace(&line[line.len() - 8..], "AAAAAAA="));
        assert!(bw_app::witness::receive(&db.store, &forged, now).await.is_err(), "{}", db.name);
        let accepted = bw_app::witness::receive(&db.store, &format!("{note}{line}\n"), now).await.unwrap();
        assert_eq!(accepted, vec!["audit.example/w".to_string()]);
        let shown = bw_app::witness::published(&db.store).await.unwrap().unwrap();
        assert!(shown.ends_with(&format!("{line}\n")), "{shown}");
        assert!(failures(&db).await.is_empty(), "{}", db.name);
        // A cosignature moved onto another checkpoint no longer verifies.
        exec(&db, "UPDATE cosignatures SET size = 20").await;
        assert_eq!(
            failures(&db).await,
            vec![
                "cosignature 20 [audit.example/w]: by audit.example/w does not verify: no valid signature by audit.example/w"
            ],
            "{}",
            db.name
        );
    }
}

const INDIVIDUALS: &str = "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount\n\
    V7,2026-03-05,U1,I1,30201,张三,6217000011112222,individual,800\n\
    V8,2026-03-06,U1,I1,30201,李四,6217000033334444,individual,600\n";

async fn entry_of(db: &TestDb, voucher: &str) -> i64 {
    let q = format!("SELECT journal_idx FROM payments WHERE voucher_no = '{voucher}'");
    sqlx::query(sqlx::AssertSqlSafe(q)).fetch_one(db.store.pool()).await.unwrap().try_get(0).unwrap()
}

#[tokio::test]
async fn an_individuals_name_and_account_enter_the_journal_only_as_commitments_and_can_be_erased() {
    for db in prepared().await {
        import_str(&db, Kind::Payments, "i.csv", INDIVIDUALS).await.unwrap();
        let size = db.store.journal_size().await.unwrap() as u64;
        let journal = db.store.journal_range(0, size as i64).await.unwrap();
        for (idx, _, entry) in &journal {
            let text = String::from_utf8_lossy(entry);
            assert!(!text.contains("张三") && !text.contains("6217000011112222"), "{}: entry {idx}: {text}", db.name);
        }
        let v7 = entry_of(&db, "V7").await;
        assert!(String::from_utf8_lossy(&journal[v7 as usize].2).contains("\"payee_name\":\"commitment:"));
        assert_eq!(count(&db.store, "payments").await, 5);
        assert!(failures(&db).await.is_empty(), "{}", db.name);
        // Re-importing the same rows with other randomness changes nothing: content is
        // compared in clear, not by commitment.
        let path = write(db.dir.path(), "i2.csv", INDIVIDUALS);
        let c = bw_app::Ctx { entropy: [7; 32], ..ctx() };
        let r = bw_app::import::import_file(&db.store, &c, Kind::Payments, &path, &Default::default()).await.unwrap();
        assert_eq!((r.added, r.unchanged), (0, 2));

        // A stored value that is not the one committed to is named.
        exec(&db, "UPDATE personal_data SET value = '王五' WHERE field = 'payee_name' AND value = '张三'").await;
        let f = failures(&db).await;
        assert!(
            f.contains(&format!(
                "projection personal_data [{v7}/payee_name]: value \"王五\" does not match the commitment in entry {v7}"
            )),
            "{}: {f:?}",
            db.name
        );
        exec(&db, "UPDATE personal_data SET value = '张三' WHERE value = '王五'").await;

        // Erasure: needs a reason; the entry, every checkpoint and every proof stay as they were.
        let (_, root_before) = bw_app::ledger::root(&db.store, None).await.unwrap();
        let refused = bw_app::personal::redact(&db.store, &ctx(), "U1", "V7").await;
        assert!(refused.is_err_and(|e| e.to_string().contains("needs a reason")));
        let why = bw_app::Ctx {
            reason: Some("依申请删除个人信息（个人信息保护法第47条）".into()), ..ctx()
        };
        bw_app::personal::redact(&db.store, &why, "U1", "V7").await.unwrap();
        let row = sqlx::query("SELECT payee_name, payee_account FROM payments WHERE voucher_no = 'V7'")
            .fetch_one(db.store.pool())
            .await
            .unwrap();
        assert_eq!(
            (row.try_get::<String, _>(0).unwrap(), row.try_get::<String, _>(1).unwrap()),
            ("〔已删除〕".into(), "〔已删除〕".into())
        );
        let left: i64 = sqlx::query("SELECT COUNT(*) FROM personal_data")
            .fetch_one(db.store.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(left, 2, "only V8's values remain");
        assert_eq!(bw_app::ledger::root(&db.store, Some(size)).await.unwrap().1, root_before);
        assert_eq!(db.store.journal_entry(v7).await.unwrap().unwrap(), journal[v7 as usize].2);
        assert!(failures(&db).await.is_empty(), "{}: {:?}", db.name, failures(&db).await);
        let again = bw_app::personal::redact(&db.store, &why, "U1", "V7").await;
        assert!(again.is_err_and(|e| e.to_string().contains("already erased")));
        let company = bw_app::personal::redact(&db.store, &why, "U1", "V1").await;
        assert!(company.is_err_and(|e| e.to_string().contains("not an individual")));
        // A re-import of an erased record is a conflict, named as such.
        let r = bw_app::import::import_file(&db.store, &c, Kind::Payments, &path, &Default::default()).await;
        assert!(format!("{r:?}").contains("payee_name (erased) there, 张三 here"), "{r:?}");

        // Values deleted behind the journal's back.
        let v8 = entry_of(&db, "V8").await;
        exec(&db, "DELETE FROM personal_data").await;
        let f = failures(&db).await;
        assert!(
            f.contains(&format!(
                "projection personal_data [{v8}]: the personal values entry {v8} commits to are missing and no erasure is journaled"
            )),
            "{}: {f:?}",
            db.name
        );
    }
}

#[tokio::test]
async fn an_entry_whose_action_is_no_known_action_is_named() {
    for db in prepared().await {
        let entries = db.store.journal_range(0, 20).await.unwrap();
        let e15 = String::from_utf8(entries[15].2.clone()).unwrap();
        assert!(e15.contains("\"action\":\"payment.record\""), "{e15}");
        // Rehashed, so only the action's name is wrong.
        let f = replace_entry(&db, 15, e15.replace("payment.record", "payment.recorded")).await;
        assert!(
            f.iter().any(|l| l.starts_with("entry 15: not a journal entry: unknown action `payment.recorded`")),
            "{}: {f:?}",
            db.name
        );
        assert!(f.iter().any(|l| l.starts_with("projection payments [V1/U1]")), "{f:?}");
    }
}

/// Replaces entry `idx` and its leaf hash (an operator rewriting history), then verifies.
async fn replace_entry(db: &TestDb, idx: i64, entry: String) -> Vec<String> {
    let leaf = db.store.suite().leaf(entry.as_bytes()).to_vec();
    sqlx::query("UPDATE journal SET entry = $1, leaf_hash = $2 WHERE idx = $3")
        .bind(entry.into_bytes())
        .bind(leaf)
        .bind(idx)
        .execute(db.store.pool())
        .await
        .unwrap();
    failures(db).await
}

#[tokio::test]
async fn approvals_carry_the_approvers_own_signature_and_forgeries_are_named() {
    use bw_app::approval::{Decision, opinion, register_key};
    for db in prepared().await {
        let li = bw_app::Ctx { actor: "auditor.li".into(), ..ctx() };
        let wang = bw_app::Ctx { actor: "clerk.wang".into(), entropy: [9; 32], ..ctx() };
        register_key(&db.store, &li, "auditor.li", "li-secret-1").await.unwrap();
        register_key(&db.store, &wang, "clerk.wang", "wang-secret").await.unwrap();
        let short = register_key(&db.store, &li, "x", "short").await;
        assert!(short.is_err_and(|e| e.to_string().contains("at least 8")));
        let wrong = opinion(&db.store, &li, "li-secret-2", 15, Decision::Approve, "").await;
        assert!(wrong.is_err_and(|e| e.to_string() == "wrong password for the signing key of auditor.li"));
        let nobody = bw_app::Ctx { actor: "nobody".into(), ..ctx() };
        assert!(opinion(&db.store, &nobody, "whatever1", 15, Decision::Approve, "").await.is_err());
        let idx = opinion(&db.store, &li, "li-secret-1", 15, Decision::Approve, "同意支付").await.unwrap();
        assert!(failures(&db).await.is_empty(), "{}: {:?}", db.name, failures(&db).await);
        let entry = db.store.journal_entry(idx).await.unwrap().unwrap();
        let text = String::from_utf8(entry.clone()).unwrap();
        assert!(
            text.contains("\"action\":\"approval.opinion\"") && text.contains(",\"approver\":{\"user\":\"auditor.li\"")
        );
        // A new key later leaves earlier approvals verifiable by the key of their time.
        let li2 = bw_app::Ctx { entropy: [11; 32], ..li.clone() };
        register_key(&db.store, &li2, "auditor.li", "li-secret-3").await.unwrap();
        assert!(failures(&db).await.is_empty(), "{}", db.name);

        // The operator rewrites the comment (and the leaf hash): the signature no longer holds.
        let forged = text.replace("同意支付", "同意支付，另加五万");
        let f = replace_entry(&db, idx, forged).await;
        assert!(
            f.contains(&format!(
                "entry {idx}: approval.opinion entry: the signature is not \"auditor.li\"'s (entry altered or forged)"
            )),
            "{}: {f:?}",
            db.name
        );
        // Another account's key on auditor.li's opinion.
        let wang_key = bw_app::approval::unlock(&db.store, "clerk.wang", "wang-secret").await.unwrap();
        let (signed, _, _) = bw_app::journal::unseal(&entry).unwrap();
        let resealed = format!(
            "{},\"approver\":{{\"user\":\"clerk.wang\",\"signature\":\"{}\"}}}}",
            String::from_utf8_lossy(&signed[..signed.len() - 1]),
            bw_ledger::note::base64(&wang_key.sign_bytes(&signed))
        );
        let f = replace_entry(&db, idx, resealed).await;
        assert!(
            f.contains(&format!(
                "entry {idx}: approval.opinion entry: signed by \"clerk.wang\", but the actor is \"auditor.li\""
            )),
            "{}: {f:?}",
            db.name
        );
    }
}

#[tokio::test]
async fn a_grown_wal_is_checkpointed_and_truncated() {
    for db in prepared().await {
        let path = format!("{}-wal", db.store.location().trim_start_matches("sqlite://"));
        let before = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let done = db.store.checkpoint_wal(0).await.unwrap();
        if db.name == "postgres" {
            assert_eq!(done, None, "PostgreSQL keeps its own WAL");
            continue;
        }
        assert!(before > 0, "the writes left a WAL");
        assert_eq!(done, Some(before));
        assert_eq!(std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0), 0, "truncated");
        assert_eq!(db.store.checkpoint_wal(1 << 20).await.unwrap(), None, "under the bound: nothing to do");
        assert!(failures(&db).await.is_empty());
    }
}

#[tokio::test]
async fn verify_since_the_last_verified_checkpoint_checks_what_was_appended() {
    for db in prepared().await {
        let t = common::trust();
        assert!(bw_app::verify::verify_and_mark(&db.store, &t).await.unwrap().ok, "{}", db.name);
        // Nothing new: nothing to check, and still whole.
        let r = bw_app::verify::verify_since(&db.store, &t).await.unwrap();
        assert!(r.ok && r.checkpoints == 0 && r.rows == 0, "{}: {:?}", db.name, r.failures);
        let body = "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount\nN1,2026-04-01,U1,I1,30201,公司,6222001,company,10\nN2,2026-04-02,U1,I1,30201,公司,6222001,company,20\n";
        import_str(&db, Kind::Payments, "n.csv", body).await.unwrap();
        bw_app::settings::set(&db.store, &ctx(), "import.errors_max", "8").await.unwrap();
        let r = bw_app::verify::verify_since(&db.store, &t).await.unwrap();
        assert!(r.ok, "{}: {:?}", db.name, r.failures);
        assert_eq!((r.checkpoints, r.rows, r.entries), (2, 2, 24), "{}", db.name);
        // Appended again and tampered with: a new payment's row, then a new entry.
        import_str(&db, Kind::Payments, "m.csv", &body.replace("N1", "N3").replace("N2", "N4")).await.unwrap();
        exec(&db, "UPDATE payments SET amount = 999 WHERE voucher_no = 'N4'").await;
        let f: Vec<String> =
            bw_app::verify::verify_since(&db.store, &t).await.unwrap().failures.iter().map(|f| f.to_string()).collect();
        assert_eq!(
            f,
            vec!["projection payments [N4/U1] column amount: table has \"999\", the journal says \"2000\""],
            "{}",
            db.name
        );
        exec(&db, "UPDATE payments SET amount = 2000 WHERE voucher_no = 'N4'").await;
        let last: i64 = scalar(&db.store, "SELECT CAST(MAX(idx) AS BIGINT) FROM journal").await;
        sqlx::query("UPDATE journal SET entry = $1 WHERE idx = $2")
            .bind(b"{}".to_vec())
            .bind(last)
            .execute(db.store.pool())
            .await
            .unwrap();
        let f: Vec<String> =
            bw_app::verify::verify_since(&db.store, &t).await.unwrap().failures.iter().map(|f| f.to_string()).collect();
        assert!(f.iter().any(|l| l.starts_with(&format!("entry {last}: stored leaf hash"))), "{}: {f:?}", db.name);
        assert!(f.iter().any(|l| l.contains("history was rewritten")), "{}: {f:?}", db.name);
        // A mark that is not a checkpoint of this log: the whole log is checked instead.
        exec(&db, "UPDATE meta SET value = '3 0000000000000000000000000000000000000000000000000000000000000000' WHERE key = 'verified_through'").await;
        let r = bw_app::verify::verify_since(&db.store, &t).await.unwrap();
        assert!(
            !r.ok && r.failures.iter().any(|f| f.detail.contains("verified-through mark is not a checkpoint")),
            "{}",
            db.name
        );
    }
}

#[tokio::test]
async fn feedback_and_accounts_are_rebuilt_and_an_edited_answer_or_name_is_named() {
    use bw_app::feedback::{self, Kind};
    for db in prepared().await {
        let s = &db.store;
        let id = feedback::submit(s, &ctx(), "p_visitor", Kind::Inquiry, "U1", "办公用品为何退货？").await.unwrap();
        let refused = feedback::submit(s, &ctx(), "p_visitor", Kind::Comment, "U1", "广告").await.unwrap();
        feedback::moderate(s, &ctx(), "admin", id, true, "").await.unwrap();
        feedback::moderate(s, &ctx(), "admin", refused, false, "与预算无关").await.unwrap();
        feedback::answer(s, &ctx(), "bureau", id, "供应商送错型号，已退货").await.unwrap();
        assert!(feedback::answer(s, &ctx(), "bureau", id, "again").await.is_err(), "answered once");
        assert!(failures(&db).await.is_empty(), "{}", db.name);
        sqlx::query("UPDATE feedback SET answer = '已处理' WHERE id = $1").bind(id).execute(s.pool()).await.unwrap();
        bw_app::users::add(s, &ctx(), "wang", "王会计", Some("U1"), "a long enough password").await.unwrap();
        exec(&db, "UPDATE users SET display_name = '李会计' WHERE name = 'wang'").await;
        assert_eq!(
            failures(&db).await,
            vec![
                "projection users [wang] column display_name: table has \"李会计\", the journal says \"王会计\"".into(),
                format!(
                    "projection feedback [{id}] column answer: table has \"已处理\", the journal says \"供应商送错型号，已退货\""
                ),
            ],
            "{}",
            db.name
        );
    }
}
