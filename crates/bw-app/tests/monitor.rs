//! `check`: the rules' findings recorded as warnings, once each, updated in place, journaled
//! and verified, with deadlines in working days.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)] // tests fail by panicking

mod common;

use bw_core::Date;
use bw_core::template::Kind;
use common::*;

const HEADER: &str =
    "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary\n";

async fn prepared() -> Vec<TestDb> {
    let mut out = Vec::new();
    for db in databases().await {
        seed(&db).await;
        let body = format!(
            "{HEADER}P1,2026-06-01,U2,I3,30211,甲公司,6222000001,company,22000.01,差旅\n\
             P2,2026-01-05,U1,I1,30201,乙公司,6222000002,company,10000,办公\n\
             P3,2026-06-01,U1,I1,30201,丙公司,6222000003,company,40000,办公\n"
        );
        import_str(&db, Kind::Payments, "p.csv", &body).await.unwrap();
        out.push(db);
    }
    out
}

fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}

type Row = (String, String, String, String, Vec<String>);

async fn open(db: &TestDb, year: i32) -> Vec<Row> {
    let mut v: Vec<Row> = bw_app::monitor::open_warnings(&db.store, Some(year))
        .await
        .unwrap()
        .into_iter()
        .map(|w| {
            let subject = format!("{}/{}", w.unit_code.unwrap_or_default(), w.indicator_code.unwrap_or_default());
            (w.rule, w.level, subject, w.period, w.vouchers)
        })
        .collect();
    v.sort();
    v
}

fn row(rule: &str, level: &str, subject: &str, period: &str, vouchers: &[&str]) -> Row {
    (rule.into(), level.into(), subject.into(), period.into(), vouchers.iter().map(|s| s.to_string()).collect())
}

#[tokio::test]
async fn check_records_each_finding_once_and_updates_it_when_its_level_changes() {
    for db in prepared().await {
        // The import itself raised the findings of the rules that fire at payment time,
        // dated the day it ran (2026-11-26).
        let landed = open(&db, 2026).await;
        assert_eq!(
            landed,
            vec![
                row("ahead_of_schedule", "orange", "U1/I1", "2026-06", &["P3"]),
                row("ahead_of_schedule", "red", "U2/I3", "2026-06", &["P1"]),
                row("over_budget", "orange", "U2/I3", "2026", &["P1"]),
            ],
            "{}",
            db.name
        );
        let all = bw_app::monitor::open_warnings(&db.store, Some(2026)).await.unwrap();
        assert!(all.iter().all(|w| w.raised_on == "2026-11-26" && w.explain_by == "2026-11-30"), "{all:?}");
        // A check as of an earlier day finds them already then: nobody has acted on them, so
        // they are dated from that day; the scheduled rules add theirs.
        // I1 (paid in January and June) and I3 (first paid in June) went four and five months
        // without a payment while money remained: stagnant, though spending has restarted.
        let r = bw_app::monitor::check(&db.store, &ctx(), d("2026-06-30")).await.unwrap();
        assert_eq!((r.raised, r.updated, r.unchanged), (4, 3, 0), "{}", db.name);
        let mut want = vec![
            row("ahead_of_schedule", "orange", "U1/I1", "2026-06", &["P3"]),
            row("ahead_of_schedule", "red", "U2/I3", "2026-06", &["P1"]),
            row("behind_schedule", "red", "U1/I2", "2026-06", &[]),
            row("over_budget", "orange", "U2/I3", "2026", &["P1"]),
            row("stagnant", "orange", "U1/I1", "2026", &[]),
            row("stagnant", "orange", "U2/I3", "2026", &[]),
            row("stagnant", "red", "U1/I2", "2026", &[]),
        ];
        want.sort();
        assert_eq!(open(&db, 2026).await, want, "{}", db.name);
        let all = bw_app::monitor::open_warnings(&db.store, Some(2026)).await.unwrap();
        let w = all.iter().find(|w| w.rule == "over_budget").unwrap();
        assert_eq!(
            (w.raised_on.as_str(), w.explain_by.as_str(), w.plan_by.as_str()),
            ("2026-06-30", "2026-07-02", "2026-07-09")
        );
        assert_eq!(w.state, "open");
        assert_eq!(w.evidence["over"], "2000.01");
        assert_eq!(all[0].level, "red", "most severe first");

        // The same check again changes nothing and journals nothing.
        let size = db.store.journal_size().await.unwrap();
        let r = bw_app::monitor::check(&db.store, &ctx(), d("2026-06-30")).await.unwrap();
        assert_eq!((r.raised, r.updated, r.unchanged), (0, 0, 7));
        assert_eq!(db.store.journal_size().await.unwrap(), size);

        // Another payment in June lifts I1 to 45 %: the import itself turns the same warning
        // red (a journaled update), and the next check finds nothing more to do.
        let body = format!("{HEADER}P4,2026-06-20,U1,I1,30201,丁公司,6222000004,company,5000.01,办公\n");
        let size = db.store.journal_size().await.unwrap();
        let report = import_str(&db, Kind::Payments, "p2.csv", &body).await.unwrap();
        assert_eq!(report.warnings_raised, 1);
        assert_eq!(
            db.store.journal_size().await.unwrap(),
            size + 4,
            "payment, warning.update, task.open (red: a special audit), import.batch"
        );
        let now = open(&db, 2026).await;
        assert!(now.contains(&row("ahead_of_schedule", "red", "U1/I1", "2026-06", &["P3", "P4"])), "{now:?}");
        assert_eq!(now.len(), 7);
        let r = bw_app::monitor::check(&db.store, &ctx(), d("2026-06-30")).await.unwrap();
        assert_eq!((r.raised, r.updated, r.unchanged), (0, 0, 7));
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.unwrap();
        assert!(v.ok, "{}: {:?}", db.name, v.failures);

        // Deadlines across the National Day holiday and its make-up Saturday.
        bw_app::monitor::check(&db.store, &ctx(), d("2026-09-30")).await.unwrap();
        let later = bw_app::monitor::open_warnings(&db.store, Some(2026)).await.unwrap();
        let w = later.iter().find(|w| w.rule == "behind_schedule" && w.period == "2026-09").unwrap();
        assert_eq!((w.explain_by.as_str(), w.plan_by.as_str()), ("2026-10-09", "2026-10-15"));

        // A warning changed behind the journal's back is named by verify (escalated to red on
        // 2026-09-30: its explanation was due on 2026-07-02).
        sqlx_exec(&db, "UPDATE warnings SET level = 'yellow' WHERE rule = 'over_budget'").await;
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.unwrap();
        let f: Vec<String> = v.failures.iter().map(|f| f.to_string()).collect();
        assert!(
            f.iter().any(|l| l.starts_with("projection warnings [")
                && l.contains("column level: table has \"yellow\", the journal says \"red\"")),
            "{}: {f:?}",
            db.name
        );
    }
}

#[tokio::test]
async fn thresholds_are_settings_and_a_changed_one_applies_at_the_next_check() {
    for db in prepared().await {
        bw_app::settings::set(&db.store, &ctx(), "rules.ahead_of_schedule.levels", "50,60,70").await.unwrap();
        bw_app::monitor::check(&db.store, &ctx(), d("2026-06-30")).await.unwrap();
        let rows = open(&db, 2026).await;
        assert!(rows.contains(&row("ahead_of_schedule", "red", "U2/I3", "2026-06", &["P1"])), "110 % > 70 %");
        assert!(!rows.iter().any(|r| r.0 == "ahead_of_schedule" && r.2 == "U1/I1"), "40 % is below 50 %: {rows:?}");
    }
}

async fn sqlx_exec(db: &TestDb, sql: &'static str) {
    bw_store::sqlx::query(sql).execute(db.store.pool()).await.unwrap();
}

#[tokio::test]
async fn a_warning_goes_through_explanation_judgement_rectification_and_verification() {
    use bw_core::Money;
    use bw_rules::workflow::{Judgement, Step};
    for db in prepared().await {
        bw_app::monitor::check(&db.store, &ctx(), d("2026-06-30")).await.unwrap();
        let all = bw_app::monitor::open_warnings(&db.store, Some(2026)).await.unwrap();
        let id = all.iter().find(|w| w.rule == "over_budget").unwrap().id;
        let other = all.iter().find(|w| w.rule == "stagnant").unwrap().id;
        let unit = bw_app::Ctx { actor: "unit.u2".into(), ..ctx() };
        let finance = bw_app::Ctx { actor: "finance.desk".into(), ..ctx() };
        let audit = bw_app::Ctx { actor: "audit.office".into(), ..ctx() };
        let head = bw_app::Ctx { actor: "unit.head".into(), ..ctx() };
        let step = |c: &bw_app::Ctx, s: Step, note: &str, returned: i64| {
            let (store, c, note) = (db.store.clone(), c.clone(), note.to_string());
            async move { bw_app::monitor::step(&store, &c, id, s, &note, &[], Money::from_fen(returned)).await }
        };
        let skipped = step(&unit, Step::Plan, "先整改", 0).await;
        assert!(skipped.is_err_and(|e| e.to_string() == "a warning that is open cannot take the step plan"));
        assert!(step(&unit, Step::Explain, "", 0).await.is_err_and(|e| e.to_string().contains("needs a text")));
        let attached = [("说明.pdf".to_string(), "ab".repeat(32))];
        let s =
            bw_app::monitor::step(&db.store, &unit, id, Step::Explain, "差旅集中报销", &attached, Money::ZERO).await;
        assert_eq!(s.unwrap(), "awaiting_sign_off", "the unit head signs it off first");
        assert!(step(&finance, Step::Judge(Judgement::Normal), "", 0).await.is_err(), "not before the sign-off");
        assert_eq!(step(&head, Step::SignOff { approved: false }, "请写明出差人次", 0).await.unwrap(), "open");
        assert_eq!(step(&unit, Step::Explain, "差旅集中报销，共 12 人次", 0).await.unwrap(), "awaiting_sign_off");
        assert_eq!(step(&head, Step::SignOff { approved: true }, "", 0).await.unwrap(), "explained");
        assert_eq!(step(&finance, Step::Judge(Judgement::Return), "请补充行程单", 0).await.unwrap(), "returned");
        // ctx() is dated 2026-11-26 (a Thursday): two working days on is Monday the 30th.
        let w = bw_app::monitor::warning(&db.store, id).await.unwrap().unwrap();
        assert_eq!((w.state.as_str(), w.explain_by.as_str()), ("returned", "2026-11-30"));
        assert_eq!(step(&unit, Step::Explain, "补充行程单", 0).await.unwrap(), "awaiting_sign_off");
        assert_eq!(step(&head, Step::SignOff { approved: true }, "同意", 0).await.unwrap(), "explained");
        assert_eq!(
            step(&finance, Step::Judge(Judgement::Violation), "超预算", 0).await.unwrap(),
            "rectification_required"
        );
        let w = bw_app::monitor::warning(&db.store, id).await.unwrap().unwrap();
        assert_eq!(w.plan_by, "2026-12-03");
        assert!(step(&unit, Step::Plan, "追回超支", 200_001).await.is_err(), "money is returned at rectify");
        assert_eq!(step(&unit, Step::Plan, "追回超支部分", 0).await.unwrap(), "planned");
        // No more comes back than the warning's payments paid out.
        let named = bw_app::monitor::warning(&db.store, id).await.unwrap().unwrap().vouchers;
        assert!(!named.is_empty(), "an overspend names the payments that made it");
        let too_much = step(&unit, Step::Rectify, "已追回", 1_000_000_000_000).await;
        assert!(too_much.is_err_and(|e| e.to_string().contains("is more than the")), "a refund above what was paid");
        assert_eq!(step(&unit, Step::Rectify, "已追回", 100_000).await.unwrap(), "rectified");
        assert_eq!(
            step(&audit, Step::Verify { passed: false }, "未全额追回", 0).await.unwrap(),
            "rectification_required"
        );
        assert_eq!(step(&unit, Step::Plan, "追回余额", 0).await.unwrap(), "planned");
        assert_eq!(step(&unit, Step::Rectify, "已全额追回", 100_001).await.unwrap(), "rectified");
        assert_eq!(step(&audit, Step::Verify { passed: true }, "复核通过", 0).await.unwrap(), "archived");
        assert!(!bw_app::monitor::open_warnings(&db.store, None).await.unwrap().iter().any(|w| w.id == id));
        let steps = bw_app::monitor::history(&db.store, id).await.unwrap();
        let actions: Vec<&str> = steps.iter().map(|s| s["action"].as_str().unwrap()).collect();
        assert_eq!(
            actions,
            [
                "explain",
                "sign_off_return",
                "explain",
                "sign_off",
                "judge_return",
                "explain",
                "sign_off",
                "judge_violation",
                "plan",
                "rectify",
                "verify_failed",
                "plan",
                "rectify",
                "verify_passed"
            ]
        );
        assert_eq!(steps[0]["attachments"], serde_json::json!([["说明.pdf", "ab".repeat(32)]]));
        assert_eq!(
            (steps[4]["actor"].as_str(), steps[13]["actor"].as_str()),
            (Some("finance.desk"), Some("audit.office"))
        );
        assert_eq!(steps[12]["returned"], "1000.01");
        // A re-check leaves the archived warning archived.
        bw_app::monitor::check(&db.store, &ctx(), d("2026-06-30")).await.unwrap();
        assert_eq!(bw_app::monitor::warning(&db.store, id).await.unwrap().unwrap().state, "archived");
        let dismissed =
            bw_app::monitor::step(&db.store, &finance, other, Step::Dismiss, "项目已批准延期", &[], Money::ZERO).await;
        assert_eq!(dismissed.unwrap(), "dismissed");
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.unwrap();
        assert!(v.ok, "{}: {:?}", db.name, v.failures);
        sqlx_exec(&db, "UPDATE warning_events SET note = '无' WHERE action = 'judge_violation'").await;
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.unwrap();
        let f: Vec<String> = v.failures.iter().map(|f| f.to_string()).collect();
        assert!(
            f.iter().any(|l| l.starts_with("projection warning_events [")
                && l.ends_with("column note: table has \"无\", the journal says \"超预算\"")),
            "{f:?}"
        );
    }
}

#[tokio::test]
async fn an_overdue_explanation_raises_the_level_once_per_missed_deadline() {
    use bw_rules::workflow::Step;
    for db in prepared().await {
        bw_app::monitor::check(&db.store, &ctx(), d("2026-06-30")).await.unwrap();
        let all = bw_app::monitor::open_warnings(&db.store, Some(2026)).await.unwrap();
        let explained = all.iter().find(|w| w.rule == "over_budget").unwrap().id;
        bw_app::monitor::step(&db.store, &ctx(), explained, Step::Explain, "已说明", &[], bw_core::Money::ZERO)
            .await
            .unwrap();
        // Until the unit head signs it off the explanation is still due.
        let head = bw_app::Ctx { actor: "unit.head".into(), ..ctx() };
        let signed = Step::SignOff { approved: true };
        bw_app::monitor::step(&db.store, &head, explained, signed, "", &[], bw_core::Money::ZERO).await.unwrap();
        // Due 2026-07-02; still within it on the 2nd, late on the 3rd.
        let r = bw_app::monitor::check(&db.store, &ctx(), d("2026-07-02")).await.unwrap();
        assert_eq!(r.escalated, 0);
        let r = bw_app::monitor::check(&db.store, &ctx(), d("2026-07-03")).await.unwrap();
        // Six open and unexplained (two of them I1's and I3's stagnation in spring).
        assert_eq!((r.escalated, r.raised), (6, 0), "{}: the explained one is not late", db.name);
        let now = bw_app::monitor::open_warnings(&db.store, Some(2026)).await.unwrap();
        let i1 =
            now.iter().find(|w| w.rule == "ahead_of_schedule" && w.indicator_code.as_deref() == Some("I1")).unwrap();
        assert_eq!((i1.level.as_str(), i1.explain_by.as_str()), ("red", "2026-07-07"), "orange → red, due again");
        assert_eq!(now.iter().find(|w| w.id == explained).unwrap().level, "orange");
        let r = bw_app::monitor::check(&db.store, &ctx(), d("2026-07-03")).await.unwrap();
        assert_eq!((r.escalated, r.updated), (0, 0), "one escalation per missed deadline");
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.unwrap();
        assert!(v.ok, "{}: {:?}", db.name, v.failures);
    }
}

#[tokio::test]
async fn an_overspend_above_ten_percent_opens_an_emergency_case_with_clock_hour_deadlines() {
    use bw_core::Timestamp;
    for db in prepared().await {
        // The import that paid I3 10.00005 % over opened the case; checks add none.
        let r = bw_app::monitor::check(&db.store, &ctx(), d("2026-06-30")).await.unwrap();
        assert_eq!(r.emergencies, 0, "{}: one case per warning", db.name);
        let at = ctx().at;
        let cases = bw_app::emergency::list(&db.store, at).await.unwrap();
        assert_eq!(cases.len(), 1);
        let case = &cases[0];
        assert_eq!((case.cause.as_str(), case.state.as_str(), case.overdue), ("overspend", "open", false));
        assert_eq!(case.opened_at, at.to_string());
        assert_eq!(case.report_by, Timestamp(at.0 + 24 * 3600).to_string());
        assert_eq!(case.plan_by, Timestamp(at.0 + 72 * 3600).to_string());
        let late = bw_app::emergency::list(&db.store, Timestamp(at.0 + 24 * 3600 + 1)).await.unwrap();
        assert!(late[0].overdue, "the report is late a second after 24 hours");
        let skipped = bw_app::emergency::step(&db.store, &ctx(), case.id, "plan", "x").await;
        assert!(skipped.is_err_and(|e| e.to_string().contains("that is open cannot take the step plan")));
        for (action, state) in [("report", "reported"), ("plan", "planned"), ("close", "closed")] {
            let s = bw_app::emergency::step(&db.store, &ctx(), case.id, action, "已处理").await.unwrap();
            assert_eq!(s, state);
        }
        let event = bw_app::emergency::open(&db.store, &ctx(), "event", None, "暴雨灾害应急资金需求").await.unwrap();
        let open = bw_app::emergency::list(&db.store, at).await.unwrap();
        assert_eq!(open.iter().map(|e| e.id).collect::<Vec<_>>(), vec![event]);
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.unwrap();
        assert!(v.ok, "{}: {:?}", db.name, v.failures);
    }
}

/// Every payment of `year` up to `as_of`, as the rules' facts.
async fn all_payments(db: &TestDb, year: i32, as_of: Date) -> Vec<bw_rules::PaymentFact> {
    use bw_store::sqlx::Row;
    let rows = bw_store::sqlx::query(
        "SELECT voucher_no, unit_code, indicator_code, pay_date, economic_code, payee_account, payee_type, amount, summary, invoice_no, contract_no \
         FROM payments WHERE year = $1 AND pay_date <= $2",
    )
    .bind(i64::from(year))
    .bind(as_of.to_string())
    .fetch_all(db.store.pool())
    .await
    .unwrap();
    rows.iter()
        .map(|r| bw_rules::PaymentFact {
            voucher_no: r.try_get(0).unwrap(),
            unit_code: r.try_get(1).unwrap(),
            indicator_code: r.try_get(2).unwrap(),
            pay_date: Date::parse(&r.try_get::<String, _>(3).unwrap()).unwrap(),
            economic_code: bw_core::code::EconomicCode::parse(&r.try_get::<String, _>(4).unwrap()).unwrap(),
            payee_account: r.try_get(5).unwrap(),
            payee_type: bw_core::records::PayeeType::parse(&r.try_get::<String, _>(6).unwrap()).unwrap(),
            amount: bw_core::Money::from_fen(r.try_get(7).unwrap()),
            summary: r.try_get(8).unwrap(),
            invoice_no: r.try_get(9).unwrap(),
            contract_no: r.try_get(10).unwrap(),
        })
        .collect()
}

/// Each database with the demo province's year 2025 of 4,000 payments (generated with `seed`).
async fn demo_databases(seed: u64) -> Vec<TestDb> {
    let mut out = Vec::new();
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        bw_app::demo::generate(
            &bw_app::demo::DemoOptions { seed, payments: 4_000, year: 2025, ..Default::default() },
            dir.path(),
        )
        .unwrap();
        for kind in Kind::ALL {
            let path = dir.path().join(format!("{}.csv", kind.as_str()));
            bw_app::import::import_file(&db.store, &ctx(), kind, &path, &Default::default()).await.unwrap();
        }
        out.push(db);
    }
    out
}

#[tokio::test]
async fn the_facts_selected_in_sql_give_the_findings_of_every_payment() {
    for db in demo_databases(11).await {
        let t = bw_app::monitor::thresholds(&db.store, 2025).await.unwrap();
        let mut conn = db.store.pool().acquire().await.unwrap();
        for as_of in ["2025-03-17", "2025-06-30", "2025-10-08", "2025-12-31", "2026-02-01"] {
            let as_of = d(as_of);
            let slim = bw_app::monitor::facts(&mut conn, 2025, as_of, &t, None, true).await.unwrap();
            let mut full = slim.clone();
            full.payments = all_payments(&db, 2025, as_of).await;
            bw_rules::aggregate(&mut full, as_of);
            assert!(slim.payments.len() * 4 < full.payments.len(), "{}: only candidates travel", db.name);
            let (a, b) = (bw_rules::evaluate(as_of, &slim, &t), bw_rules::evaluate(as_of, &full, &t));
            assert!(!b.is_empty());
            assert_eq!(a, b, "{}: as of {as_of}", db.name);
            // What a batch of a few units' payments touched: the evaluation over it makes
            // exactly the full findings about those units, and nothing untrue of others.
            let mut landed = bw_app::monitor::Landed::default();
            let units: Vec<String> = {
                let mut u: Vec<String> = full.payments.iter().map(|p| p.unit_code.clone()).collect();
                u.sort();
                u.dedup();
                u.into_iter().step_by(7).take(4).collect()
            };
            for p in full.payments.iter().filter(|p| units.contains(&p.unit_code)) {
                let (unit, account) = (&p.unit_code, &p.payee_account);
                landed.add(2025, unit, &p.voucher_no, account, p.amount.fen(), p.invoice_no.as_deref(), p.pay_date);
            }
            let scoped = bw_app::monitor::facts(&mut conn, 2025, as_of, &t, Some(&landed.scope), true).await.unwrap();
            let mut c = bw_rules::evaluate(as_of, &scoped, &t);
            c.retain(|f| landed.scope.covers(f));
            for f in &c {
                assert!(b.contains(f), "{}: {f:?} is not a full finding", db.name);
            }
            let of_units = b.iter().filter(|f| f.rule != "revenue_shortfall" && landed.scope.covers(f));
            let mut n = 0;
            for f in of_units {
                assert!(c.contains(f), "{}: {f:?} missed by the scoped evaluation", db.name);
                n += 1;
            }
            assert!(n > 0 && c.len() < b.len(), "{}: {n} of {}", db.name, b.len());
        }
    }
}

#[tokio::test]
async fn inquiry_letters_have_their_own_working_day_deadline_and_are_journaled() {
    for db in prepared().await {
        bw_app::monitor::check(&db.store, &ctx(), d("2026-06-30")).await.unwrap();
        let id = bw_app::monitor::open_warnings(&db.store, Some(2026)).await.unwrap()[0].id;
        let n = bw_app::monitor::inquire(&db.store, &ctx(), id, "请说明资金用途", 5).await.unwrap();
        // Sent on 2026-11-26 (Thursday): five working days on is 2026-12-03.
        let list = bw_app::monitor::inquiries(&db.store, id, d("2026-12-03")).await.unwrap();
        assert_eq!((list[0]["due_on"].as_str(), list[0]["overdue"].as_bool()), (Some("2026-12-03"), Some(false)));
        let late = bw_app::monitor::inquiries(&db.store, id, d("2026-12-04")).await.unwrap();
        assert_eq!(late[0]["overdue"], true);
        bw_app::monitor::answer(&db.store, &ctx(), n, "用于差旅").await.unwrap();
        let done = bw_app::monitor::inquiries(&db.store, id, d("2026-12-04")).await.unwrap();
        assert_eq!((done[0]["answer"].as_str(), done[0]["overdue"].as_bool()), (Some("用于差旅"), Some(false)));
        assert!(bw_app::monitor::inquire(&db.store, &ctx(), 999_999, "?", 5).await.is_err());
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.unwrap();
        assert!(v.ok, "{}: {:?}", db.name, v.failures);
        sqlx_exec(&db, "UPDATE inquiries SET answer = '无'").await;
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.unwrap();
        assert!(
            v.failures.iter().any(|f| f.to_string().contains("inquiries") && f.to_string().contains("column answer"))
        );
    }
}

/// Three payments of 17,000.00 to one account within 30 days: a split purchase.
const SPLIT: &str = "S1,2026-03-02,U1,I2,31002,戊公司,6222000009,company,17000,设备\n\
                     S2,2026-03-10,U1,I2,31002,戊公司,6222000009,company,17000,设备\n\
                     S3,2026-03-20,U1,I2,31002,戊公司,6222000009,company,17000,设备\n";

#[tokio::test]
async fn a_rule_handled_forbid_refuses_the_payments_that_make_its_finding() {
    for db in prepared().await {
        bw_app::settings::set(&db.store, &ctx(), "rules.split_purchase.handling", "forbid").await.unwrap();
        let size = db.store.journal_size().await.unwrap();
        let r = import_str(&db, Kind::Payments, "split.csv", &format!("{HEADER}{SPLIT}")).await;
        let lines = error_lines(&db, r);
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].starts_with("split.csv:2: column voucher_no: forbidden_by_rule: payment S1 is refused by rule split_purchase (化整为零, handling forbid"), "{lines:?}");
        assert!(lines[2].starts_with("split.csv:4: column voucher_no:"), "{lines:?}");
        assert_eq!(db.store.journal_size().await.unwrap(), size, "{}: nothing lands", db.name);
        // Two of them make no finding and land.
        let two: String = SPLIT.lines().take(2).map(|l| format!("{}\n", l.trim())).collect();
        let ok = import_str(&db, Kind::Payments, "two.csv", &format!("{HEADER}{two}")).await.unwrap();
        assert_eq!(ok.added, 2);
    }
}

/// Imports payment lines (`HEADER`'s columns) as the server's writer does: records in
/// memory, its state kept from one commit to the next.
async fn as_server(db: &TestDb, text: &str) -> Result<bw_app::import::ImportReport, bw_app::import::ImportError> {
    let columns: Vec<String> = HEADER.trim().split(',').map(str::to_string).collect();
    let rows = text.lines().map(|l| l.trim().split(',').map(str::to_string).collect()).collect();
    let opts = bw_app::import::ImportOptions { outcomes: true, resident: true, ..Default::default() };
    bw_app::import::import_rows(&db.store, &ctx(), Kind::Payments, "request", columns, rows, &opts).await
}

/// The server's writer keeps the rules' settings between its commits; a handling changed in
/// between (a journaled action) applies to its next group.
#[tokio::test]
async fn a_writer_that_keeps_its_state_applies_a_handling_changed_between_its_groups() {
    let lines: Vec<&str> = SPLIT.lines().collect();
    for db in prepared().await {
        let two = as_server(&db, &lines[..2].join("\n")).await.unwrap();
        assert_eq!(two.added, 2, "{}", db.name);
        bw_app::settings::set(&db.store, &ctx(), "rules.split_purchase.handling", "forbid").await.unwrap();
        let third = as_server(&db, lines[2]).await;
        let lines = error_lines(&db, third);
        assert!(lines.iter().any(|l| l.contains("forbidden_by_rule: payment S3")), "{}: {lines:?}", db.name);
    }
}

/// A writer that keeps which payee groups hold stored payments learns of the payments
/// another writer recorded between its groups: the split purchase they start is found when
/// the writer's own payment completes it.
#[tokio::test]
async fn a_writer_that_keeps_its_state_sees_the_payments_another_writer_recorded() {
    let lines: Vec<&str> = SPLIT.lines().collect();
    for db in prepared().await {
        // The writer's first group: another payee of the unit.
        let first = as_server(&db, "X1,2026-03-01,U1,I2,31002,己公司,6222000010,company,100,办公").await.unwrap();
        assert_eq!(first.added, 1, "{}", db.name);
        // Another writer (a file import) records two of the three payments to one payee.
        import_str(&db, Kind::Payments, "other.csv", &format!("{HEADER}{}\n{}\n", lines[0], lines[1])).await.unwrap();
        let third = as_server(&db, lines[2]).await.unwrap();
        assert_eq!(third.added, 1, "{}", db.name);
        let all = bw_app::monitor::open_warnings(&db.store, Some(2026)).await.unwrap();
        let w = all.iter().find(|w| w.rule == "split_purchase").unwrap_or_else(|| panic!("{}: {all:?}", db.name));
        assert_eq!(w.vouchers.len(), 3, "{}: {w:?}", db.name);
        // And its own payments from one group to the next: a payee first paid in a later
        // group, then paid the same amount again.
        let new_payee = as_server(&db, "Y1,2026-03-05,U1,I2,31002,庚公司,6222000011,company,200,办公").await.unwrap();
        let again = as_server(&db, "Y2,2026-03-06,U1,I2,31002,庚公司,6222000011,company,200,办公").await.unwrap();
        assert_eq!((new_payee.added, again.added), (1, 1), "{}", db.name);
        let all = bw_app::monitor::open_warnings(&db.store, Some(2026)).await.unwrap();
        assert!(
            all.iter().any(|w| w.rule == "duplicate_payment" && w.vouchers.iter().any(|v| v.contains("Y1"))),
            "{}: {all:?}",
            db.name
        );
    }
}

#[tokio::test]
async fn a_rule_handled_record_keeps_its_warning_without_asking_anyone() {
    use bw_rules::workflow::Step;
    for db in prepared().await {
        bw_app::settings::set(&db.store, &ctx(), "rules.split_purchase.handling", "record").await.unwrap();
        import_str(&db, Kind::Payments, "split.csv", &format!("{HEADER}{SPLIT}")).await.unwrap();
        let all = bw_app::monitor::open_warnings(&db.store, Some(2026)).await.unwrap();
        let w = all.iter().find(|w| w.rule == "split_purchase").unwrap();
        assert_eq!((w.state.as_str(), w.vouchers.len()), ("recorded", 3));
        let e = bw_app::monitor::step(&db.store, &ctx(), w.id, Step::Explain, "说明", &[], bw_core::Money::ZERO).await;
        assert!(e.is_err(), "nothing is asked of the unit");
        // Long after its dates a check escalates the others, never a recorded one.
        bw_app::monitor::check(&db.store, &ctx(), d("2026-12-31")).await.unwrap();
        let w = bw_app::monitor::warning(&db.store, w.id).await.unwrap().unwrap();
        assert_eq!((w.state.as_str(), w.level.as_str()), ("recorded", "orange"));
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.unwrap();
        assert!(v.ok, "{}: {:?}", db.name, v.failures);
    }
}

#[tokio::test]
async fn a_rule_handled_warn_attach_needs_an_attachment_with_the_explanation() {
    use bw_rules::workflow::Step;
    for db in prepared().await {
        bw_app::settings::set(&db.store, &ctx(), "rules.over_budget.handling", "warn_attach").await.unwrap();
        bw_app::monitor::check(&db.store, &ctx(), d("2026-06-30")).await.unwrap();
        let all = bw_app::monitor::open_warnings(&db.store, Some(2026)).await.unwrap();
        let (over, ahead) = (
            all.iter().find(|w| w.rule == "over_budget").unwrap().id,
            all.iter().find(|w| w.rule == "ahead_of_schedule").unwrap().id,
        );
        let none =
            bw_app::monitor::step(&db.store, &ctx(), over, Step::Explain, "超支原因", &[], bw_core::Money::ZERO).await;
        assert!(none.unwrap_err().to_string().contains("needs an attachment"));
        let files = [("合同.pdf".to_string(), "ab".repeat(32))];
        let c = ctx();
        let to = bw_app::monitor::step(&db.store, &c, over, Step::Explain, "超支原因", &files, bw_core::Money::ZERO);
        assert_eq!(to.await.unwrap(), "awaiting_sign_off");
        // Other rules still take a plain explanation.
        let plain = bw_app::monitor::step(&db.store, &c, ahead, Step::Explain, "进度说明", &[], bw_core::Money::ZERO);
        assert_eq!(plain.await.unwrap(), "awaiting_sign_off");
    }
}

#[tokio::test]
async fn a_rule_firing_on_schedule_waits_for_the_check() {
    for db in databases().await {
        seed(&db).await;
        bw_app::settings::set(&db.store, &ctx(), "rules.split_purchase.firing", "scheduled").await.unwrap();
        let r = import_str(&db, Kind::Payments, "split.csv", &format!("{HEADER}{SPLIT}")).await.unwrap();
        assert_eq!(r.warnings_raised, 0);
        assert!(open(&db, 2026).await.iter().all(|w| w.0 != "split_purchase"));
        bw_app::monitor::check(&db.store, &ctx(), d("2026-03-31")).await.unwrap();
        let rows = open(&db, 2026).await;
        assert!(rows.contains(&row("split_purchase", "orange", "U1/", "2026-03", &["S1", "S2", "S3"])), "{rows:?}");
    }
}

#[tokio::test]
async fn a_threshold_set_for_one_year_applies_to_that_year_only() {
    for db in prepared().await {
        bw_app::settings::set(&db.store, &ctx(), "rules.ahead_of_schedule.levels@2027", "50,60,70").await.unwrap();
        assert_eq!(
            bw_app::settings::get_for_year(&db.store, "rules.ahead_of_schedule.levels", 2027).await.unwrap(),
            "50,60,70"
        );
        assert_eq!(
            bw_app::settings::get_for_year(&db.store, "rules.ahead_of_schedule.levels", 2026).await.unwrap(),
            "20,30,40"
        );
        bw_app::monitor::check(&db.store, &ctx(), d("2026-06-30")).await.unwrap();
        assert!(open(&db, 2026).await.contains(&row("ahead_of_schedule", "orange", "U1/I1", "2026-06", &["P3"])));
        let rules = bw_app::monitor::rules(&db.store, 2027).await.unwrap();
        let ahead = rules.iter().find(|r| r.rule == "ahead_of_schedule").unwrap();
        assert!(ahead.settings.contains(&("levels".to_string(), "50,60,70".to_string())));
        assert_eq!(
            (ahead.handling.as_str(), ahead.firing.as_str(), ahead.owner.as_str()),
            ("warn", "payment", "finance")
        );
    }
}

#[tokio::test]
async fn a_warning_nobody_acted_on_is_withdrawn_when_its_finding_goes_and_reopened_when_it_returns() {
    for db in prepared().await {
        // As of the import's day the June payment is over I3's budget; as of May it is not.
        let r = bw_app::monitor::check(&db.store, &ctx(), d("2026-05-31")).await.unwrap();
        assert_eq!(r.withdrawn, 3, "{}: {r:?}", db.name);
        assert!(open(&db, 2026).await.iter().all(|w| w.0 != "over_budget" && w.0 != "ahead_of_schedule"));
        let may = open(&db, 2026).await;
        assert!(may.iter().any(|w| w.0 == "behind_schedule" && w.3 == "2026-05"), "{may:?}");
        bw_app::monitor::check(&db.store, &ctx(), d("2026-06-30")).await.unwrap();
        let all = bw_app::monitor::open_warnings(&db.store, Some(2026)).await.unwrap();
        let w = all.iter().find(|w| w.rule == "over_budget").unwrap();
        assert_eq!((w.state.as_str(), w.raised_on.as_str()), ("open", "2026-06-30"));
        let june = open(&db, 2026).await;
        assert!(june.contains(&row("ahead_of_schedule", "red", "U2/I3", "2026-06", &["P1"])), "{june:?}");
        // May's progress is not measured again in June: its warning stays (and, overdue,
        // goes up a level).
        assert!(june.iter().any(|w| w.0 == "behind_schedule" && w.3 == "2026-05"), "{june:?}");
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.unwrap();
        assert!(v.ok, "{}: {:?}", db.name, v.failures);
    }
}

async fn paid(db: &TestDb, indicator: &str) -> (i64, i64) {
    use bw_store::sqlx::Row;
    let r = bw_store::sqlx::query(
        "SELECT i.paid, CAST(COALESCE(SUM(m.paid), 0) AS BIGINT) FROM indicators i \
         LEFT JOIN indicator_months m ON m.year = i.year AND m.indicator_code = i.indicator_code \
         WHERE i.indicator_code = $1 GROUP BY i.paid",
    )
    .bind(indicator.to_string())
    .fetch_one(db.store.pool())
    .await
    .unwrap();
    (r.try_get(0).unwrap(), r.try_get(1).unwrap())
}

#[tokio::test]
async fn a_rule_handled_intercept_holds_the_payments_until_a_reviewer_decides() {
    for db in prepared().await {
        bw_app::settings::set(&db.store, &ctx(), "rules.split_purchase.handling", "intercept").await.unwrap();
        let before = paid(&db, "I2").await;
        let r = import_str(&db, Kind::Payments, "split.csv", &format!("{HEADER}{SPLIT}")).await.unwrap();
        assert_eq!((r.added, r.held), (3, 3), "{}", db.name);
        // Recorded, but not counted as paid anywhere.
        assert_eq!(paid(&db, "I2").await, before);
        let held = bw_app::hold::list(&db.store, false).await.unwrap();
        assert_eq!(held.iter().map(|h| h.voucher_no.as_str()).collect::<Vec<_>>(), ["S1", "S2", "S3"]);
        let w = bw_app::monitor::warning(&db.store, held[0].warning_id).await.unwrap().unwrap();
        assert_eq!((w.rule.as_str(), w.state.as_str()), ("split_purchase", "open"));
        // The rules do not see held payments: a check makes no new split finding.
        bw_app::monitor::check(&db.store, &ctx(), d("2026-03-31")).await.unwrap();
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.unwrap();
        assert!(v.ok, "{}: {:?}", db.name, v.failures);

        // Released, a payment counts; rejected, it never does; neither is held again.
        let c = ctx();
        assert_eq!(bw_app::hold::decide(&db.store, &c, "U1", "S1", true, "").await.unwrap(), "paid");
        assert_eq!(paid(&db, "I2").await, (before.0 + 1_700_000, before.1 + 1_700_000));
        assert_eq!(bw_app::hold::decide(&db.store, &c, "U1", "S2", false, "拆分采购").await.unwrap(), "rejected");
        assert!(bw_app::hold::decide(&db.store, &c, "U1", "S2", true, "").await.is_err(), "decided once");
        assert!(bw_app::hold::decide(&db.store, &c, "U1", "S3", false, "").await.is_err(), "a rejection says why");
        assert_eq!(paid(&db, "I2").await.0, before.0 + 1_700_000);
        let all = bw_app::hold::list(&db.store, true).await.unwrap();
        let status: Vec<(&str, &str)> = all.iter().map(|h| (h.voucher_no.as_str(), h.status.as_str())).collect();
        assert_eq!(status, [("S1", "paid"), ("S2", "rejected"), ("S3", "held")]);
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.unwrap();
        assert!(v.ok, "{}: {:?}", db.name, v.failures);

        // A status changed behind the journal's back is named.
        sqlx_exec(&db, "UPDATE payments SET status = 'paid' WHERE voucher_no = 'S3'").await;
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.unwrap();
        assert!(v.failures.iter().any(|f| f.to_string().contains("payments.status")), "{:?}", v.failures);
    }
}

#[tokio::test]
async fn each_level_opens_its_graded_response_task_and_reaches_its_parties() {
    for db in prepared().await {
        bw_app::monitor::check(&db.store, &ctx(), d("2026-06-30")).await.unwrap();
        let all = bw_app::monitor::open_warnings(&db.store, Some(2026)).await.unwrap();
        let over = all.iter().find(|w| w.rule == "over_budget").unwrap();
        assert_eq!(over.parties, ["unit:U2", "department:D2"], "orange reaches the department");
        let red = all.iter().find(|w| w.rule == "ahead_of_schedule" && w.level == "red").unwrap();
        assert_eq!(red.parties, ["unit:U2", "department:D2", "finance:K1"], "red reaches the region's finance");
        let tasks = bw_app::monitor::tasks(&db.store, None, false, d("2026-07-01")).await.unwrap();
        let mut kinds: Vec<(i64, &str, &str, &str, &str)> = tasks
            .iter()
            .map(|t| (t.warning_id, t.kind.as_str(), t.party.as_str(), t.opened_on.as_str(), t.due_on.as_str()))
            .collect();
        kinds.sort();
        let mut want = Vec::new();
        for w in &all {
            match w.level.as_str() {
                // Five working days for the interview, twenty for the audit, from 2026-06-30.
                "orange" => want.push((w.id, "interview", "finance", "2026-06-30", "2026-07-07")),
                "red" => want.push((w.id, "special_audit", "audit", "2026-06-30", "2026-07-28")),
                other => panic!("{other}"),
            }
        }
        want.sort();
        assert_eq!(kinds, want, "{}: re-dated with their warnings", db.name);
        assert!(tasks.iter().all(|t| !t.overdue));
        let late = bw_app::monitor::tasks(&db.store, Some("finance"), false, d("2026-07-08")).await.unwrap();
        // The over-budget and ahead-of-schedule interviews, and the two stagnation ones.
        assert!(late.len() == 4 && late.iter().all(|t| t.overdue), "{late:?}");

        // An overdue explanation raises an orange warning to red: a special audit opens too.
        bw_app::monitor::check(&db.store, &ctx(), d("2026-07-03")).await.unwrap();
        let w = bw_app::monitor::warning(&db.store, over.id).await.unwrap().unwrap();
        assert_eq!(w.level, "red");
        assert!(w.parties.contains(&"finance:K1".to_string()), "the next party up: {:?}", w.parties);
        let of_over: Vec<String> = bw_app::monitor::tasks(&db.store, None, false, d("2026-07-03"))
            .await
            .unwrap()
            .into_iter()
            .filter(|t| t.warning_id == over.id)
            .map(|t| t.kind)
            .collect();
        assert_eq!(of_over, ["interview", "special_audit"]);

        let id = late[0].id;
        assert!(bw_app::monitor::task_done(&db.store, &ctx(), id, "").await.is_err());
        bw_app::monitor::task_done(&db.store, &ctx(), id, "已约谈单位负责人").await.unwrap();
        assert!(bw_app::monitor::task_done(&db.store, &ctx(), id, "again").await.is_err());
        let done = bw_app::monitor::tasks(&db.store, None, true, d("2026-07-08")).await.unwrap();
        let t = done.iter().find(|t| t.id == id).unwrap();
        assert_eq!((t.state.as_str(), t.note.as_deref(), t.overdue), ("done", Some("已约谈单位负责人"), false));
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.unwrap();
        assert!(v.ok, "{}: {:?}", db.name, v.failures);
        sqlx_exec(&db, "UPDATE response_tasks SET due_on = '2027-01-01'").await;
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.unwrap();
        assert!(v.failures.iter().any(|f| f.to_string().contains("response_tasks")));
    }
}

#[tokio::test]
async fn the_cached_payment_findings_give_what_every_payment_gives() {
    use bw_store::sqlx::Row;
    for db in demo_databases(7).await {
        // A first check makes the cache whole; the batches below keep it so.
        bw_app::monitor::check(&db.store, &ctx(), d("2025-12-31")).await.unwrap();
        // Later batches, a few payments each, to accounts and with invoices already paid:
        // new split groups, duplicates, and payments joining old groups.
        let rows: Vec<(String, String, String, String, String, String, String)> = bw_store::sqlx::query(
            "SELECT unit_code, indicator_code, economic_code, payee_name, payee_account, payee_type, COALESCE(invoice_no, '') \
             FROM payments WHERE amount > 0 AND payee_type = 'company' ORDER BY voucher_no LIMIT 40",
        )
        .fetch_all(db.store.pool())
        .await
        .unwrap()
        .into_iter()
        .map(|r| (0..7).map(|i| r.try_get::<String, _>(i).unwrap()).collect::<Vec<_>>())
        .map(|v| (v[0].clone(), v[1].clone(), v[2].clone(), v[3].clone(), v[4].clone(), v[5].clone(), v[6].clone()))
        .collect();
        let mut landed = 0;
        let header = "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary,invoice_no\n";
        for (b, chunk) in rows.chunks(8).enumerate() {
            let mut body = header.to_string();
            for (i, (unit, ind, eco, name, account, kind, invoice)) in chunk.iter().enumerate() {
                let invoice = if i % 3 == 0 { invoice.clone() } else { String::new() };
                for k in 0..3 {
                    body.push_str(&format!(
                        "X{b}{i}{k},2025-11-{:02},{unit},{ind},{eco},{name},{account},{kind},18000,追加,{invoice}\n",
                        3 + 4 * k + i
                    ));
                }
            }
            // A refused batch (an indicator over its balance) is no matter here.
            if import_str(&db, Kind::Payments, &format!("x{b}.csv"), &body).await.is_ok() {
                landed += 1;
            }
        }
        assert!(landed >= 3, "{}: {landed} batches landed", db.name);
        let state: i64 = bw_store::sqlx::query("SELECT COUNT(*) FROM payment_findings_state")
            .fetch_one(db.store.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(state, 1, "{}: kept whole through the batches", db.name);
        let as_of = d("2025-12-31");
        let first = bw_app::monitor::check(&db.store, &ctx(), as_of).await.unwrap();
        assert_eq!(first.raised, 0, "{}: the batches raised their own warnings", db.name);
        let found: usize = bw_app::monitor::open_warnings(&db.store, Some(2025))
            .await
            .unwrap()
            .iter()
            .filter(|w| w.vouchers.iter().any(|v| v.starts_with('X')))
            .count();
        assert!(found > 0, "{}", db.name);
        // Without the cache every payment is read again: the same findings, nothing changes.
        sqlx_exec(&db, "DELETE FROM payment_findings_state").await;
        let fresh = bw_app::monitor::check(&db.store, &ctx(), as_of).await.unwrap();
        assert_eq!((fresh.raised, fresh.updated, fresh.withdrawn), (0, 0, 0), "{}: {fresh:?}", db.name);
        let n: i64 = bw_store::sqlx::query("SELECT COUNT(*) FROM payment_findings_state")
            .fetch_one(db.store.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(n, 1, "the full check rebuilt it");
    }
}

#[test]
fn payments_are_judged_as_of_the_day_they_land_within_their_year() {
    let at = bw_app::monitor::landing_date;
    assert_eq!(at(2026, d("2026-06-01"), d("2026-11-26")), d("2026-11-26"));
    assert_eq!(at(2025, d("2025-06-01"), d("2026-11-26")), d("2025-12-31"), "a past year: its last day");
    assert_eq!(at(2026, d("2026-12-20"), d("2026-11-26")), d("2026-12-31"), "dated after today: the year's end");
    assert_eq!(at(2027, d("2027-01-05"), d("2026-11-26")), d("2027-12-31"));
}

#[tokio::test]
async fn a_file_dated_after_today_is_judged_as_of_its_years_end_and_checked_there_unchanged() {
    for db in prepared().await {
        // Imported on 2026-11-26, a December payment of 30 % of I1's annual amount.
        let body = format!("{HEADER}D1,2026-12-10,U1,I1,30201,己公司,6222000010,company,30000,办公\n");
        let r = import_str(&db, Kind::Payments, "dec.csv", &body).await.unwrap();
        assert!(r.warnings_raised >= 1);
        let all = bw_app::monitor::open_warnings(&db.store, Some(2026)).await.unwrap();
        let rush = all.iter().find(|w| w.rule == "year_end_rush").unwrap();
        assert_eq!((rush.level.as_str(), rush.raised_on.as_str()), ("yellow", "2026-12-31"), "30 % > 25 %");
        // A check as of that day finds the same, not overdue (the warnings the import of
        // 2026-11-26 raised from June's payments are, and go up a level).
        let c = bw_app::monitor::check(&db.store, &ctx(), d("2026-12-31")).await.unwrap();
        assert!(c.escalated > 0, "{}: {c:?}", db.name);
        let w = bw_app::monitor::warning(&db.store, rush.id).await.unwrap().unwrap();
        assert_eq!((w.level.as_str(), w.vouchers.clone()), ("yellow", vec!["D1".to_string()]));
    }
}

#[tokio::test]
async fn a_payment_made_on_a_beijing_morning_is_judged_on_that_day() {
    for db in databases().await {
        seed(&db).await;
        // 2026-11-26T23:30:00Z is 07:30 on 27 November in Beijing, the installation's zone.
        let at = bw_core::Timestamp(1_795_735_800);
        let tz = bw_app::zone::installation(&db.store).await.unwrap();
        let c = bw_app::Ctx { today: bw_app::zone::local_date(&tz, at), ..ctx() };
        assert_eq!(c.today, d("2026-11-27"), "{}", db.name);
        // A payment dated that day, 40 % of I1 in one month: today's, judged as of today —
        // not "after today", which would be judged as of the year's end.
        let body = format!("{HEADER}BJ1,2026-11-27,U1,I1,30201,甲公司,6222000001,company,40000,办公\n");
        let path = write(db.dir.path(), "bj.csv", &body);
        bw_app::import::import_file(&db.store, &c, Kind::Payments, &path, &Default::default()).await.unwrap();
        let all = bw_app::monitor::open_warnings(&db.store, Some(2026)).await.unwrap();
        let w = all.iter().find(|w| w.rule == "ahead_of_schedule").expect("raised at import");
        assert_eq!((w.period.as_str(), w.raised_on.as_str()), ("2026-11", "2026-11-27"), "{}", db.name);
        // The setting names the zone; an unknown name is refused.
        let r = bw_app::settings::set(&db.store, &ctx(), "clock.time_zone", "Mars/Olympus").await;
        assert!(r.is_err(), "{r:?}");
        bw_app::settings::set(&db.store, &ctx(), "clock.time_zone", "UTC").await.unwrap();
        let utc = bw_app::zone::installation(&db.store).await.unwrap();
        assert_eq!(bw_app::zone::local_date(&utc, at), d("2026-11-26"));
    }
}

#[tokio::test]
async fn an_emergency_case_an_import_calls_for_is_committed_with_the_import() {
    use bw_store::sqlx::Row;
    for db in prepared().await {
        // P1 took I3 10.00005 % over its amount: orange, above 10 % — an emergency case, in
        // the import's own journal range (its commit), not in a write of its own after it.
        let rows = bw_store::sqlx::query(
            "SELECT e.journal_idx, b.first_idx, b.end_idx FROM emergencies e, batches b \
             WHERE b.kind = 'payments' AND e.cause = 'overspend'",
        )
        .fetch_all(db.store.pool())
        .await
        .unwrap();
        assert_eq!(rows.len(), 1, "{}", db.name);
        let (idx, first, end): (i64, i64, i64) =
            (rows[0].try_get(0).unwrap(), rows[0].try_get(1).unwrap(), rows[0].try_get(2).unwrap());
        assert!(first <= idx && idx < end, "{}: case at {idx}, import {first}..{end}", db.name);
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.unwrap();
        assert!(v.ok, "{}: {:?}", db.name, v.failures);
    }
}

/// The warnings and balances a database holds, comparable across databases.
async fn outcome(db: &TestDb) -> (Vec<String>, Vec<String>) {
    use bw_store::sqlx::Row;
    let warnings = bw_store::sqlx::query(
        "SELECT rule, level, COALESCE(unit_code, ''), COALESCE(indicator_code, ''), COALESCE(region_code, ''), period, vouchers, evidence FROM warnings",
    )
    .fetch_all(db.store.pool())
    .await
    .unwrap();
    let mut w: Vec<String> =
        warnings.iter().map(|r| (0..8).map(|i| r.get::<String, _>(i)).collect::<Vec<_>>().join("|")).collect();
    w.sort();
    let balances = bw_store::sqlx::query(
        "SELECT indicator_code, CAST(paid AS TEXT), CAST(committed_unpaid AS TEXT) FROM indicators ORDER BY indicator_code, year",
    )
    .fetch_all(db.store.pool())
    .await
    .unwrap();
    let b = balances.iter().map(|r| (0..3).map(|i| r.get::<String, _>(i)).collect::<Vec<_>>().join("|")).collect();
    (w, b)
}

#[tokio::test]
async fn a_year_of_payments_raises_the_same_warnings_in_one_file_or_in_random_batches() {
    let dir = tempfile::tempdir().unwrap();
    bw_app::demo::generate(
        &bw_app::demo::DemoOptions { seed: 5, payments: 1_500, year: 2025, ..Default::default() },
        dir.path(),
    )
    .unwrap();
    let text = std::fs::read_to_string(dir.path().join("payments.csv")).unwrap();
    let (header, rows) = text.split_once('\n').unwrap();
    let rows: Vec<&str> = rows.lines().collect();
    let mut outcomes = Vec::new();
    // One file; then random cuts into about 7, 40 and 300 files (a fixed generator: a failing
    // cut is reproducible).
    for cuts in [0u64, 7, 40, 300] {
        let db = databases().await.into_iter().next().unwrap();
        for kind in Kind::ALL.into_iter().filter(|k| *k != Kind::Payments) {
            let path = dir.path().join(format!("{}.csv", kind.as_str()));
            bw_app::import::import_file(&db.store, &ctx(), kind, &path, &Default::default()).await.unwrap();
        }
        let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ cuts;
        let mut at = 0;
        let mut n = 0;
        while at < rows.len() {
            // Batches of 1 to twice the mean size; no cuts: the whole file.
            let take = match (2 * rows.len() as u64).checked_div(cuts) {
                None => rows.len(),
                Some(span) => {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    1 + (x % span) as usize
                }
            };
            let end = (at + take).min(rows.len());
            let body = format!("{header}\n{}\n", rows[at..end].join("\n"));
            let path = write(db.dir.path(), &format!("p{n}.csv"), &body);
            bw_app::import::import_file(&db.store, &ctx(), Kind::Payments, &path, &Default::default())
                .await
                .unwrap_or_else(|e| panic!("cut {cuts}, rows {at}..{end}: {e:?}"));
            at = end;
            n += 1;
        }
        outcomes.push((cuts, n, outcome(&db).await));
    }
    let (_, _, (one_w, one_b)) = &outcomes[0];
    assert!(!one_w.is_empty());
    for (cuts, n, (w, b)) in &outcomes[1..] {
        assert_eq!(b, one_b, "balances after {n} batches (cut {cuts})");
        let missing: Vec<&String> = one_w.iter().filter(|x| !w.contains(x)).collect();
        let extra: Vec<&String> = w.iter().filter(|x| !one_w.contains(x)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{n} batches (cut {cuts}): missing {missing:#?}\nextra {extra:#?}"
        );
    }
}

#[tokio::test]
async fn the_demo_s_unit_accounts_sit_on_the_unit_with_warnings_of_the_most_rules() {
    for db in prepared().await {
        bw_app::monitor::check(&db.store, &ctx(), d("2026-06-30")).await.unwrap();
        let open = bw_app::monitor::open_warnings(&db.store, Some(2026)).await.unwrap();
        let mut by_unit: std::collections::BTreeMap<String, (std::collections::BTreeSet<String>, usize)> =
            Default::default();
        for w in open.iter().filter(|w| w.state == "open") {
            if let Some(u) = &w.unit_code {
                let e = by_unit.entry(u.clone()).or_default();
                e.0.insert(w.rule.clone());
                e.1 += 1;
            }
        }
        // Most rules, then most warnings, then the smallest code.
        let expected = by_unit
            .iter()
            .max_by(|a, b| {
                (a.1.0.len(), a.1.1, std::cmp::Reverse(a.0)).cmp(&(b.1.0.len(), b.1.1, std::cmp::Reverse(b.0)))
            })
            .map(|(u, _)| u.clone())
            .expect("open warnings on units");
        let logins = bw_app::users::demo_accounts(&db.store, &ctx(), None, true).await.unwrap();
        let on = |role: bw_core::access::Role| logins.iter().find(|l| l.role == role).map(|l| l.scope.clone());
        assert_eq!(on(bw_core::access::Role::UnitHandler), Some(expected.clone()), "{}: {by_unit:?}", db.name);
        assert_eq!(on(bw_core::access::Role::UnitHead), Some(expected), "{}", db.name);
    }
}

#[tokio::test]
async fn a_warnings_rows_are_rebuilt_by_verify_and_a_change_from_another_state_is_refused() {
    use bw_core::Money;
    use bw_core::projection::{Cell, Change};
    use bw_core::warning::WARNINGS;
    use bw_rules::workflow::Step;
    for db in prepared().await {
        bw_app::monitor::check(&db.store, &ctx(), d("2026-06-30")).await.unwrap();
        let all = bw_app::monitor::open_warnings(&db.store, Some(2026)).await.unwrap();
        let id = all.iter().find(|w| w.rule == "over_budget").unwrap().id;
        let unit = bw_app::Ctx { actor: "unit.u2".into(), ..ctx() };
        let attached = [("说明.pdf".to_string(), "ab".repeat(32))];
        let to = bw_app::monitor::step(&db.store, &unit, id, Step::Explain, "差旅集中报销", &attached, Money::ZERO);
        assert_eq!(to.await.unwrap(), "awaiting_sign_off");
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.unwrap();
        assert!(v.ok, "{}: {:?}", db.name, v.failures);

        // A change written from a state the row is not in is refused, and writes nothing.
        let stale = Change::Update {
            table: &WARNINGS,
            key: vec![Cell::Int(id)],
            set: vec![("state", Cell::Text("withdrawn".into()))],
            expect: vec![("state", Cell::Text("open".into()))],
        };
        let mut tx = db.store.pool().begin().await.unwrap();
        let refused = bw_store::changes::apply(&mut tx, &[stale]).await.unwrap_err().to_string();
        assert!(refused.contains(&format!("warnings {id}: no such row with state")), "{refused}");
        drop(tx);
        let w = bw_app::monitor::warning(&db.store, id).await.unwrap().unwrap();
        assert_eq!(w.state, "awaiting_sign_off");

        sqlx_exec(&db, "UPDATE warnings SET state = 'archived' WHERE rule = 'over_budget'").await;
        sqlx_exec(&db, "UPDATE warning_events SET note = '改过'").await;
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.unwrap();
        let named: Vec<String> = v.failures.iter().map(|f| f.to_string()).collect();
        let state = format!(
            "projection warnings [{id}] column state: table has \"archived\", the journal says \"awaiting_sign_off\""
        );
        assert!(named.contains(&state), "{}: {named:?}", db.name);
        assert!(
            named.iter().any(|f| f.starts_with("projection warning_events [")
                && f.ends_with("column note: table has \"改过\", the journal says \"差旅集中报销\"")),
            "{}: {named:?}",
            db.name
        );
    }
}
