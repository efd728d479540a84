//! Milestone-triggered release end to end from the command line: a 12,000,000.00 works
//! contract with a 30 % advance, three progress milestones (one pro-rata), the completion and
//! 3 % retention; payments beyond the verified milestones held in the import, released by
//! the signed verification that makes room for them; disputes; `contract status` to the fen;
//! `verify` rebuilds it all.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests fail by panicking

mod common;
use common::*;
use std::path::Path;

const PLAN: &str =
    "contract_no,seq,name,kind,amount,share_permille,criterion,verifiers,depends_on,pro_rata,due_date,retention_days
H1,1,预付款,advance,,300,合同签订后支付,,,false,2026-01-15,
H1,2,基础完工,progress,2400000.00,,基础工程验收合格,department_reviewer;third_party_auditor,,false,2026-04-30,
H1,3,主体结构,progress,2400000.00,,主体结构按完成比例,department_reviewer;third_party_auditor,2,true,2026-07-31,
H1,4,装饰安装,progress,1800000.00,,装饰安装完成,department_reviewer;third_party_auditor,3,false,2026-09-30,
H1,5,竣工验收,completion,1440000.00,,竣工验收合格,department_reviewer;third_party_auditor,4,false,2026-11-30,
H1,6,质保金,retention,,30,质保期满无质量缺陷,department_reviewer;third_party_auditor,5,false,2099-11-30,365
";

fn write(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).expect("write");
    p.to_str().expect("path").to_string()
}

fn ok(o: &std::process::Output) -> String {
    assert!(o.status.success(), "{}{}", stdout(o), stderr(o));
    stdout(o)
}

fn status(db: &Path) -> serde_json::Value {
    let o = bw(db, &["contract", "status", "H1", "--format", "json"]);
    serde_json::from_str(&ok(&o)).expect("json")
}

fn pay(db: &Path, dir: &Path, voucher: &str, date: &str, amount: &str) -> String {
    let body = format!(
        "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary,contract_no\n\
         {voucher},{date},U,I1,31001,建工集团,62220001,company,{amount},工程款,H1\n"
    );
    let f = write(dir, &format!("{voucher}.csv"), &body);
    ok(&bw(db, &["import", "payments", &f]))
}

fn as_user(db: &Path, user: &str, args: &[&str]) -> std::process::Output {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--user", user]);
    bw_env(db, &all, "BUDGETWATCH_PASSWORD", &format!("{user} signing password"))
}

#[test]
fn a_works_contract_is_paid_only_as_far_as_its_verified_milestones_release() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let db = d.join("m.db");
    let units = write(
        d,
        "units.csv",
        "code,name,parent_code,kind,level\nR,省,,region,province\nD,住建厅,R,department,\nU,工程中心,D,unit,\n",
    );
    ok(&bw(&db, &["import", "units", &units]));
    let ind = write(
        d,
        "ind.csv",
        "indicator_code,year,unit_code,project_code,functional_code,economic_code,gov_economic_code,fund_source,special,amount,control\n\
         I1,2026,U,,2120899,31001,,general,false,20000000.00,block\n",
    );
    ok(&bw(&db, &["import", "indicators", &ind]));
    let contracts = write(
        d,
        "contracts.csv",
        "contract_no,unit_code,indicator_code,supplier_name,supplier_account,amount,signed_on,ends_on,status\n\
         H1,U,I1,建工集团,62220001,12000000.00,2026-01-10,2027-12-31,open\n\
         H2,U,I1,监理公司,62220002,100000.00,2026-01-10,2027-12-31,open\n",
    );
    ok(&bw(&db, &["import", "contracts", &contracts]));

    // A plan the rule refuses lands nothing: a retention above 3 %, milestones over the contract.
    let bad = write(
        d,
        "bad.csv",
        "contract_no,seq,name,kind,amount,share_permille,criterion,verifiers,depends_on,pro_rata,due_date,retention_days\n\
         H2,1,质保金,retention,,31,质保期满,department_reviewer,,false,,\n",
    );
    let o = bw(&db, &["import", "contract_milestones", &bad]);
    assert!(!o.status.success() && stderr(&o).contains("retention_over_3_percent"), "{}", stderr(&o));
    let bad = write(
        d,
        "bad2.csv",
        "contract_no,seq,name,kind,amount,share_permille,criterion,verifiers,depends_on,pro_rata,due_date,retention_days\n\
         H2,1,进度款,progress,60000.00,,完成一半,department_reviewer,,false,,\n\
         H2,2,竣工款,completion,40000.01,,竣工,department_reviewer,3,false,,\n",
    );
    let o = bw(&db, &["import", "contract_milestones", &bad]);
    assert!(!o.status.success() && stderr(&o).contains("milestone_dependency_invalid"), "{}", stderr(&o));
    let plan = write(d, "plan.csv", PLAN);
    ok(&bw(&db, &["import", "contract_milestones", &plan]));

    // People: the unit's handler claims; a department reviewer and a third-party auditor
    // verify; the bureau head resolves disputes.
    for (user, role, scope) in [
        ("handler", "unit_handler", "U"),
        ("wang", "department_reviewer", "D"),
        ("li", "third_party_auditor", "*"),
        ("chief", "bureau_head", "*"),
    ] {
        ok(&bw_env(&db, &["user", "add", user], "BUDGETWATCH_PASSWORD", "a long login password"));
        let mut args = vec!["user", "grant", user, role, "--scope", scope];
        if role == "third_party_auditor" {
            args.extend(["--until", "2099-12-31"]);
        }
        ok(&bw(&db, &args));
        ok(&bw_env(
            &db,
            &["approval", "key", "--user", user],
            "BUDGETWATCH_PASSWORD",
            &format!("{user} signing password"),
        ));
    }

    // Signed: only the advance (30 % = 3,600,000.00) is releasable; a payment beyond it is
    // held in the import, not refused.
    let s = status(&db);
    assert_eq!((s["amount"].as_str(), s["releasable"].as_str()), (Some("12000000.00"), Some("3600000.00")));
    assert_eq!(s["retention"], "360000.00");
    pay(&db, d, "P1", "2026-01-20", "3600000.00");
    let out = pay(&db, d, "P2", "2026-02-10", "1000000.00");
    assert!(out.contains("held"), "{out}");
    let s = status(&db);
    assert_eq!((s["paid"].as_str(), s["held"].as_str()), (Some("3600000.00"), Some("1000000.00")));
    // A reviewer cannot release it by hand: only a verification does.
    let o = bw(&db, &["payment", "release", "--unit", "U", "--voucher", "P2"]);
    assert!(!o.status.success() && stderr(&o).contains("milestone_not_verified"), "{}", stderr(&o));

    // Milestone 2: the submitter never verifies; one role is not enough; the second
    // releases 2,400,000.00 and the held payment with it.
    let evidence = write(d, "验收报告.pdf", "%PDF-1.4\n基础工程验收报告");
    ok(&as_user(&db, "handler", &["contract", "submit", "H1", "2", "--evidence", &evidence]));
    let o = as_user(&db, "handler", &["contract", "verify", "H1", "2"]);
    assert!(!o.status.success(), "{}", stdout(&o));
    let o = as_user(&db, "wang", &["contract", "verify", "H1", "2", "--opinion", "基础验收合格"]);
    assert!(ok(&o).contains("opinion of wang signed") && !stdout(&o).contains("verified"), "{}", stdout(&o));
    let o = as_user(&db, "wang", &["contract", "verify", "H1", "2"]);
    assert!(!o.status.success() && stderr(&o).contains("not_a_required_verifier"), "{}", stderr(&o));
    let out = ok(&as_user(&db, "li", &["contract", "verify", "H1", "2", "--opinion", "同意"]));
    assert!(out.contains("verified") && out.contains("released held payment P2"), "{out}");
    let s = status(&db);
    assert_eq!(
        (s["releasable"].as_str(), s["paid"].as_str(), s["held"].as_str()),
        (Some("6000000.00"), Some("4600000.00"), Some("0.00"))
    );

    // Within the room a payment is paid; beyond it, held.
    pay(&db, d, "P3", "2026-05-10", "1400000.00");
    pay(&db, d, "P4", "2026-06-01", "1000000.00");
    let s = status(&db);
    assert_eq!((s["paid"].as_str(), s["held"].as_str()), (Some("6000000.00"), Some("1000000.00")));

    // Milestone 4 waits for 3. Milestone 3 pro-rata: 37.5 % of 2,400,000.00 = 900,000.00,
    // too little room for the held 1,000,000.00 (a payment is released whole).
    ok(&as_user(&db, "handler", &["contract", "submit", "H1", "4", "--evidence-sha256", &"a".repeat(64)]));
    let o = as_user(&db, "wang", &["contract", "verify", "H1", "4"]);
    assert!(!o.status.success() && stderr(&o).contains("milestone_dependency_not_verified"), "{}", stderr(&o));
    ok(&as_user(&db, "handler", &["contract", "submit", "H1", "3", "--permille", "375", "--evidence", &evidence]));
    ok(&as_user(&db, "wang", &["contract", "verify", "H1", "3"]));
    let out = ok(&as_user(&db, "li", &["contract", "verify", "H1", "3"]));
    assert!(out.contains("verified") && !out.contains("released held"), "{out}");
    let s = status(&db);
    assert_eq!((s["releasable"].as_str(), s["held"].as_str()), (Some("6900000.00"), Some("1000000.00")));
    let m3 = &s["milestones"][2];
    assert_eq!((m3["seq"].as_u64(), m3["state"].as_str()), (Some(3), Some("partly_verified")));
    assert_eq!((m3["verified_permille"].as_u64(), m3["released"].as_str()), (Some(375), Some("900000.00")));

    // The rest of 3, disputed: frozen; only a bureau head resolves; the claim stands and is
    // verified afresh, releasing the held payment.
    ok(&as_user(&db, "handler", &["contract", "submit", "H1", "3", "--evidence", &evidence]));
    ok(&as_user(&db, "wang", &["contract", "dispute", "H1", "3", "--reason", "现场核查与报告不符"]));
    let o = as_user(&db, "li", &["contract", "verify", "H1", "3"]);
    assert!(!o.status.success() && stderr(&o).contains("milestone_disputed"), "{}", stderr(&o));
    let o = as_user(&db, "handler", &["contract", "resolve", "H1", "3", "--stands"]);
    assert!(!o.status.success() && stderr(&o).contains("bureau head"), "{}", stderr(&o));
    ok(&as_user(&db, "chief", &["contract", "resolve", "H1", "3", "--stands", "--text", "复核属实"]));
    ok(&as_user(&db, "wang", &["contract", "verify", "H1", "3"]));
    let out = ok(&as_user(&db, "li", &["contract", "verify", "H1", "3"]));
    assert!(out.contains("released held payment P4"), "{out}");
    let s = status(&db);
    assert_eq!(
        (s["releasable"].as_str(), s["paid"].as_str(), s["held"].as_str()),
        (Some("8400000.00"), Some("7000000.00"), Some("0.00"))
    );
    // Past their due dates, milestones 4 and 5 are overdue: a warning, never a release.
    let m4 = &s["milestones"][3];
    assert_eq!((m4["state"].as_str(), m4["overdue"].as_bool()), (Some("submitted"), Some(true)));
    assert_eq!(s["milestones"][1]["overdue"], false);
    let s_text = ok(&bw(&db, &["contract", "status", "H1"]));
    assert!(s_text.contains("overdue"), "{s_text}");

    // Everything the actions did is rebuilt from the journal.
    let o = bw(&db, &["verify"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    // A share verified by hand in the table, or a payment's hold lifted, is named.
    let key = stdout(&bw(&db, &["ledger", "key"])).trim().to_string();
    // Each tamper is made on a consistent copy (`VACUUM INTO`), so the journal's own file and
    // its write-ahead log are never overwritten behind SQLite's back.
    for (i, (sql, table)) in [
        ("UPDATE milestone_progress SET verified_permille = 1000 WHERE seq = 4", "milestone_progress"),
        ("UPDATE payments SET hold_reason = NULL WHERE voucher_no = 'P4'", "payments.status"),
    ]
    .into_iter()
    .enumerate()
    {
        let copy = d.join(format!("tampered{i}.db"));
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async {
            let store = bw_store::Store::open(db.to_str().expect("path"), false).await.expect("open");
            bw_store::sqlx::query("VACUUM INTO ?")
                .bind(copy.to_str().expect("path"))
                .execute(store.pool())
                .await
                .expect("copy");
            store.pool().close().await;
            let store = bw_store::Store::open(copy.to_str().expect("path"), false).await.expect("open");
            bw_store::sqlx::query(sql).execute(store.pool()).await.expect("update");
            store.pool().close().await;
        });
        let bad = bw(&copy, &["verify", "--key", &key]);
        assert_eq!(bad.status.code(), Some(1), "{}{}", stdout(&bad), stderr(&bad));
        assert!(stdout(&bad).contains(table), "{table}: {}{}", stdout(&bad), stderr(&bad));
    }
    // The journal itself was never touched.
    let o = bw(&db, &["verify"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
}
