//! Milestone-triggered release through the service on both databases: random sequences of
//! payments, refunds, claims, signed verifications, disputes and resolutions. What counts as
//! paid on the contract never exceeds what its verified milestones release, a held payment
//! is released only by a verification, and `verify` rebuilds every table from the journal.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)] // tests fail by panicking

mod common;

use bw_app::milestones;
use bw_core::template::Kind;
use common::*;

const CONTRACT: &str =
    "contract_no,unit_code,indicator_code,supplier_name,supplier_account,amount,signed_on,ends_on,status
C1,U1,I2,建设公司,62229999,1000000.00,2026-01-05,2027-12-31,open
";

const PLAN: &str =
    "contract_no,seq,name,kind,amount,share_permille,criterion,verifiers,depends_on,pro_rata,due_date,retention_days
C1,1,预付款,advance,,200,签订,,,false,,
C1,2,一期,progress,300000.00,,一期完成比例,department_reviewer;third_party_auditor,,true,2026-05-31,
C1,3,二期,progress,250000.00,,二期完成,department_reviewer;third_party_auditor,2,false,2026-08-31,
C1,4,竣工,completion,220000.00,,竣工验收,department_reviewer;third_party_auditor,3,false,2026-10-31,
C1,5,质保金,retention,,30,质保期满,department_reviewer;third_party_auditor,4,false,2027-10-31,365
";

/// A small deterministic generator (the sequences must be the same on every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn roles(r: &[&str]) -> Vec<String> {
    r.iter().map(|s| s.to_string()).collect()
}

fn as_user(user: &str) -> bw_app::Ctx {
    bw_app::Ctx { actor: format!("user:{user}"), ..ctx() }
}

#[tokio::test]
async fn random_sequences_never_pay_beyond_the_verified_milestones_and_verify_rebuilds_them() {
    for db in databases().await {
        seed(&db).await;
        import_str(&db, Kind::Contracts, "c.csv", CONTRACT).await.expect("contract");
        import_str(&db, Kind::ContractMilestones, "m.csv", PLAN).await.expect("plan");
        // Each verifier's own signing key, registered and unlocked once.
        let mut signers = std::collections::HashMap::new();
        for user in ["dept", "auditor", "dept2"] {
            bw_app::approval::register_key(&db.store, &ctx(), user, "a signing password").await.expect("key");
            signers
                .insert(user, bw_app::approval::unlock(&db.store, user, "a signing password").await.expect("unlock"));
        }
        let verifiers: [(&str, Vec<String>); 3] = [
            ("dept", roles(&["department_reviewer"])),
            ("auditor", roles(&["third_party_auditor"])),
            ("dept2", roles(&["department_reviewer", "third_party_auditor"])),
        ];
        let mut rng = Lcg(if db.name == "sqlite" { 7 } else { 11 });
        let mut vouchers: Vec<(String, i64)> = Vec::new();
        let (mut verified, mut released) = (0, 0);
        for step in 0..150 {
            // Mostly the first milestone still open (the others wait for it), sometimes any.
            let now = milestones::load(&db.store, "C1").await.expect("load").expect("plan");
            let open = (2..=5).find(|s| now.ladder.progress.get(s).map_or(0, |p| p.verified_permille) < 1000);
            let seq = match open {
                Some(s) if rng.next(4) > 0 => s,
                _ => 2 + rng.next(4) as u32,
            };
            // A claim open on it is mostly verified rather than replaced.
            let claimed = now.ladder.progress.get(&seq).is_some_and(|p| p.claim.is_some());
            // A disputed one is mostly resolved next.
            let disputed = now.ladder.progress.get(&seq).is_some_and(|p| p.disputed);
            let action = match rng.next(12) {
                _ if disputed && rng.next(2) == 0 => 11,
                4 | 5 if claimed && rng.next(4) > 0 => 6,
                a => a,
            };
            match action {
                0..=2 => {
                    let fen = 100 * (1_000 + rng.next(150_000) as i64);
                    let v = format!("V{step}");
                    let body = format!(
                        "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary,contract_no\n\
                         {v},2026-03-{:02},U1,I2,31002,建设公司,62229999,company,{},工程款,C1\n",
                        1 + step % 28,
                        bw_core::Money::from_fen(fen)
                    );
                    // Beyond the indicator's balance a payment is refused; that is fine here.
                    if import_str(&db, Kind::Payments, &format!("{v}.csv"), &body).await.is_ok() {
                        vouchers.push((v, fen));
                    }
                }
                3 => {
                    // A refund of a paid payment, whole.
                    let paid: Vec<&(String, i64)> = vouchers.iter().filter(|v| !v.0.starts_with('R')).collect();
                    if let Some((v, fen)) = paid.get(rng.next(paid.len().max(1) as u64) as usize).cloned().cloned() {
                        let status: String = bw_store::sqlx::query_scalar(bw_store::sqlx::AssertSqlSafe(format!(
                            "SELECT status FROM payments WHERE voucher_no = '{v}'"
                        )))
                        .fetch_one(db.store.pool())
                        .await
                        .expect("status");
                        let r = format!("R{v}");
                        if status == "paid" && !vouchers.iter().any(|x| x.0 == r) {
                            let body = format!(
                                "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary,contract_no,reverses\n\
                                 {r},2026-04-01,U1,I2,31002,建设公司,62229999,company,-{},退回,C1,{v}\n",
                                bw_core::Money::from_fen(fen)
                            );
                            import_str(&db, Kind::Payments, &format!("{r}.csv"), &body).await.expect("refund");
                            vouchers.push((r, -fen));
                        }
                    }
                }
                4 | 5 => {
                    // Pro-rata milestone 2: more than verified so far, often the whole.
                    let done = now.ladder.progress.get(&seq).map_or(0, |p| p.verified_permille);
                    let permille = match seq {
                        2 if done < 1000 && rng.next(2) == 0 => done + 1 + rng.next(u64::from(1000 - done)) as u16,
                        _ => 1000,
                    };
                    let _ =
                        milestones::submit(&db.store, &as_user("handler"), "C1", seq, permille, vec!["ab".repeat(32)])
                            .await;
                }
                6..=9 => {
                    let (user, r) = &verifiers[rng.next(3) as usize];
                    if let Ok(done) =
                        milestones::verify(&db.store, &as_user(user), &signers[user], "C1", seq, r, "").await
                    {
                        verified += usize::from(done.verified);
                        released += done.released.len();
                    }
                }
                _ => {
                    if !disputed && rng.next(3) == 0 {
                        let _ = milestones::dispute(&db.store, &as_user("dept"), "C1", seq, "有异议").await;
                    } else if disputed {
                        let stands = rng.next(2) == 0;
                        let _ = milestones::resolve(
                            &db.store,
                            &as_user("chief"),
                            "C1",
                            seq,
                            stands,
                            &roles(&["bureau_head"]),
                            "",
                        )
                        .await;
                    }
                }
            }
            let l = milestones::load(&db.store, "C1").await.expect("load").expect("plan");
            assert!(
                l.ladder.paid <= l.ladder.releasable(),
                "{} step {step}: paid {} > releasable {}",
                db.name,
                l.ladder.paid,
                l.ladder.releasable()
            );
            assert!(l.ladder.releasable() <= l.ladder.amount, "{}", db.name);
            // Every payment made is either counted on the contract or held for it.
            let made: i64 = bw_store::sqlx::query_scalar("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payments WHERE contract_no = 'C1' AND status <> 'rejected'")
                .fetch_one(db.store.pool())
                .await
                .expect("sum");
            let held: i64 = l.held.iter().map(|h| h.3.fen()).sum();
            assert_eq!(made, l.ladder.paid.fen() + held, "{} step {step}", db.name);
        }
        // The submitter never verified; a held payment's release cites a verification.
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.expect("verify");
        assert!(v.ok, "{}: {:?}", db.name, v.failures);
        assert!(
            verified > 0 && released > 0,
            "{}: the sequence exercised little: {verified} verified, {released} released",
            db.name
        );
    }
}

#[tokio::test]
async fn a_manual_release_of_a_milestone_hold_is_refused_and_a_rejection_is_journaled() {
    for db in databases().await {
        seed(&db).await;
        import_str(&db, Kind::Contracts, "c.csv", CONTRACT).await.expect("contract");
        import_str(&db, Kind::ContractMilestones, "m.csv", PLAN).await.expect("plan");
        let body = "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary,contract_no\n\
                    A1,2026-02-01,U1,I2,31002,建设公司,62229999,company,150000.00,预付款,C1\n\
                    A2,2026-02-02,U1,I2,31002,建设公司,62229999,company,100000.00,进度款,C1\n";
        let r = import_str(&db, Kind::Payments, "a.csv", body).await.expect("import");
        // 200,000.00 released by the advance: the newer payment is held, the older paid.
        assert_eq!((r.held, r.milestone_held.clone()), (1, vec![("U1".to_string(), "A2".to_string())]), "{}", db.name);
        let e = bw_app::hold::decide(&db.store, &ctx(), "U1", "A2", true, "").await.expect_err("refused");
        assert!(e.to_string().contains("milestone_not_verified"), "{e}");
        assert_eq!(
            bw_app::hold::decide(&db.store, &ctx(), "U1", "A2", false, "重复申请").await.expect("reject"),
            "rejected"
        );
        let l = milestones::load(&db.store, "C1").await.expect("load").expect("plan");
        assert_eq!((l.ladder.paid.fen(), l.held.len()), (15_000_000, 0), "{}", db.name);
        // Time never releases money: past every due date, the daily check warns and releases
        // nothing.
        let body = "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary,contract_no\n\
                    A3,2026-03-01,U1,I2,31002,建设公司,62229999,company,100000.00,进度款,C1\n";
        import_str(&db, Kind::Payments, "a3.csv", body).await.expect("import");
        let before = milestones::load(&db.store, "C1").await.expect("load").expect("plan");
        let far = bw_core::Date::parse("2099-12-31").expect("date");
        let r = milestones::due_warnings(&db.store, &ctx(), far).await.expect("due");
        assert_eq!(r.raised, 4, "{}: every milestone but the advance is overdue", db.name);
        let after = milestones::load(&db.store, "C1").await.expect("load").expect("plan");
        assert_eq!(
            (after.ladder.releasable(), after.ladder.paid, after.held.len()),
            (before.ladder.releasable(), before.ladder.paid, 1),
            "{}",
            db.name
        );
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.expect("verify");
        assert!(v.ok, "{}: {:?}", db.name, v.failures);
    }
}
