//! A fiscal year's preparation and approval on SQLite and PostgreSQL: a top-down cycle with
//! control totals, drafts as versions and their comparison, a rejected and a resubmitted
//! draft, parallel reviews, signed decisions, an escalated step, and the approved drafts
//! becoming the year's indicators; each attempt to break a rule refused with its reason.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use bw_app::budget;
use bw_app::journal::ActionError;
use bw_core::access::Role;
use bw_core::budget::{Actor, Decision, DraftLine, Mode, Outcome, Stage};
use bw_core::{Money, Timestamp};
use common::{ctx, databases, import_str, seed};

fn line(code: &str, project: Option<&str>, economic: &str, amount: &str) -> DraftLine {
    DraftLine {
        indicator_code: code.into(),
        project_code: project.map(str::to_string),
        functional_code: "2050203".into(),
        economic_code: economic.into(),
        amount: Money::parse_yuan(amount).unwrap(),
    }
}

/// An import's refusal as the lines a user reads: file, row, column, rule.
fn rows(e: bw_app::import::ImportError) -> String {
    match e {
        bw_app::import::ImportError::Rejected { errors, .. } => errors
            .iter()
            .map(|r| format!("{}:{}: {}: {}", r.file, r.row, r.column.as_deref().unwrap_or("-"), r.message))
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

fn refused<T: std::fmt::Debug>(r: Result<T, ActionError>) -> String {
    match r {
        Err(ActionError::Invalid(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_top_down_year_from_control_totals_to_indicators() {
    for db in databases().await {
        let (s, n) = (&db.store, db.name);
        seed(&db).await;
        import_str(&db, bw_core::template::Kind::Projects, "p.csv", "project_code,name,unit_code,category,start_year,end_year,total_amount,status,expires_on\nXM9,旧项目,U1,other,2020,2021,100.00,retired,\n")
            .await
            .unwrap_or_else(|e| panic!("{n}: {e:?}"));
        let mut c = ctx();
        c.at = Timestamp::parse("2026-11-23T09:00:00Z").unwrap(); // a Monday
        budget::open_cycle(s, &c, 2027, Mode::TopDown).await.expect("open");
        assert!(refused(budget::open_cycle(s, &c, 2027, Mode::BottomUp).await).contains("already open"));
        // Drafts wait for preparation; stages are not skipped.
        let v1 = [line("A", None, "30201", "100000.00"), line("B", Some("XM1"), "31002", "1000000.00")];
        assert!(refused(budget::save_draft(s, &c, 2027, "U1", &v1, "").await).contains("drafts are not open"), "{n}");
        assert!(refused(budget::advance(s, &c, 2027, Stage::Review).await).contains("the next stage is preparation"));
        budget::set_control(s, &c, 2027, "D1", Money::parse_yuan("1200000.00").unwrap()).await.expect("control");
        assert!(refused(budget::set_control(s, &c, 2027, "U1", Money::from_fen(1)).await).contains("not a department"));
        budget::advance(s, &c, 2027, Stage::Preparation).await.expect("preparation");

        // Versions within the control total; one over it is refused with the excess named.
        assert_eq!(budget::save_draft(s, &c, 2027, "U1", &v1, "初稿").await.expect("v1"), 1);
        let over = [line("A", None, "30201", "100000.00"), line("B", Some("XM1"), "31002", "1150000.00")];
        let m = refused(budget::save_draft(s, &c, 2027, "U1", &over, "").await);
        assert!(m.contains("above its control total of 1200000.00 (by 50000.00)"), "{n}: {m}");
        let retired = [line("A", Some("XM9"), "30201", "10.00")];
        assert!(
            refused(budget::save_draft(s, &c, 2027, "U1", &retired, "").await)
                .contains("project XM9 is retired: only an approved or executing project receives money")
        );
        let v2 = [
            line("A", None, "30201", "100000.00"),
            line("B", Some("XM1"), "31002", "1050000.00"),
            line("C", None, "30211", "30000.00"),
        ];
        assert_eq!(budget::save_draft(s, &c, 2027, "U1", &v2, "压减校舍，增差旅").await.expect("v2"), 2);
        let (changes, v) = budget::compare(s, 2027, "U1", 1, 2).await.expect("compare");
        assert_eq!(changes.len(), 2, "{n}: B changed, C added");
        assert_eq!((v.author.as_str(), v.note.as_str()), ("test:alice", "压减校舍，增差旅"));

        // Approvers, each with their own signing key.
        let mut signers = std::collections::HashMap::new();
        let mut keys = std::collections::HashSet::new();
        for u in ["wang", "zhou", "sun", "zhao", "qian"] {
            keys.insert(bw_app::approval::register_key(s, &c, u, "a long password").await.expect("key"));
            signers.insert(u, bw_app::approval::unlock(s, u, "a long password").await.expect("unlock"));
        }
        assert_eq!(keys.len(), 5, "{n}: each person has a key of their own, registered in one context or not");
        let signers = &signers;
        let decide = |c: &bw_app::Ctx, id: i64, step: &'static str, who: &'static str, role: Role, d: Decision| {
            let signer = &signers[who];
            let c = bw_app::Ctx { actor: format!("user:{who}"), ..c.clone() };
            async move {
                let roles = [role];
                let actor = Actor { user: &c.actor, roles: &roles, whole: &roles };
                let ruling = budget::Ruling { id, step, decision: d, comment: "意见" };
                budget::decide(s, &c, budget::Key::Unsealed(signer), &actor, ruling).await
            }
        };

        // Submitted, rejected by the unit head, resubmitted as a new version.
        let first = budget::submit(s, &c, 2027, "U1", false).await.expect("submit");
        assert_eq!(budget::item(s, first).await.unwrap().unwrap().route, "standard");
        assert!(refused(budget::save_draft(s, &c, 2027, "U1", &v2, "").await).contains("in review"));
        let me = Actor { user: "test:alice", roles: &[Role::UnitHead], whole: &[] };
        let ruling = budget::Ruling { id: first, step: "unit_head", decision: Decision::Approve, comment: "" };
        let own = budget::decide(s, &c, budget::Key::Unsealed(&signers["wang"]), &me, ruling).await;
        assert!(refused(own).contains("prepared this item"), "{n}: approving one's own draft");
        let early = decide(&c, first, "finance_head", "zhao", Role::BureauHead, Decision::Approve).await;
        assert!(refused(early).contains("not open yet"), "{n}: skipping a step");
        assert_eq!(
            decide(&c, first, "unit_head", "wang", Role::UnitHead, Decision::Reject).await.unwrap(),
            Outcome::Rejected
        );
        let v3 = [
            line("A", None, "30201", "90000.00"),
            line("B", Some("XM1"), "31002", "1050000.00"),
            line("C", None, "30211", "30000.00"),
        ];
        assert_eq!(budget::save_draft(s, &c, 2027, "U1", &v3, "按意见修改").await.expect("v3"), 3);
        let second = budget::submit(s, &c, 2027, "U1", false).await.expect("resubmit");
        assert_eq!(budget::item(s, second).await.unwrap().unwrap().version, 3);
        assert_eq!(
            decide(&c, second, "unit_head", "wang", Role::UnitHead, Decision::Approve).await.unwrap(),
            Outcome::Pending
        );
        // The technical and the budget review are open at once.
        assert_eq!(
            decide(&c, second, "budget_review", "sun", Role::BureauReviewer, Decision::Approve).await.unwrap(),
            Outcome::Pending
        );
        assert_eq!(
            decide(&c, second, "technical_review", "zhou", Role::DepartmentReviewer, Decision::Approve).await.unwrap(),
            Outcome::Pending
        );
        assert_eq!(
            decide(&c, second, "finance_head", "zhao", Role::BureauHead, Decision::Approve).await.unwrap(),
            Outcome::Approved
        );

        // U2: a small draft on the lean route, left too long with its unit head.
        budget::set_control(s, &c, 2027, "D2", Money::parse_yuan("40000.00").unwrap()).await.expect("control");
        budget::save_draft(s, &c, 2027, "U2", &[line("E", None, "30211", "30000.00")], "").await.expect("U2");
        let small = budget::submit(s, &c, 2027, "U2", false).await.expect("submit U2");
        let it = budget::item(s, small).await.unwrap().unwrap();
        assert_eq!(it.route, "lean");
        assert_eq!(it.steps[0].due.unwrap().to_string(), "2026-11-25T09:00:00Z", "{n}: 48 working hours");
        let late = bw_app::Ctx { at: Timestamp::parse("2026-11-26T10:00:00Z").unwrap(), ..c.clone() };
        let moved = budget::escalate(s, &late).await.expect("escalate");
        assert_eq!(moved, vec![(small, "unit_head".to_string(), Role::UnitHead, Role::DepartmentReviewer)], "{n}");
        let m = refused(decide(&late, small, "unit_head", "wang", Role::UnitHead, Decision::Approve).await);
        assert!(m.contains("escalated from unit_head"), "{n}: acting after the escalation: {m}");
        assert_eq!(
            decide(&late, small, "unit_head", "zhou", Role::DepartmentReviewer, Decision::Approve).await.unwrap(),
            Outcome::Pending
        );
        assert_eq!(
            decide(&late, small, "finance_filing", "sun", Role::BureauReviewer, Decision::Approve).await.unwrap(),
            Outcome::Approved
        );

        // Through to execution: the approved versions become the year's indicators.
        for stage in [Stage::Consolidation, Stage::Review, Stage::Approval] {
            budget::advance(s, &c, 2027, stage).await.expect("advance");
        }
        assert!(refused(budget::save_draft(s, &c, 2027, "U1", &v3, "").await).contains("drafts are not open"));
        let a = budget::advance(s, &c, 2027, Stage::Execution).await.expect("execution");
        assert_eq!(a.indicators, 4, "{n}: A, B, C of U1 and E of U2");
        let row = bw_store::sqlx::query(
            "SELECT amount, unit_code, project_code FROM indicators WHERE year = 2027 AND indicator_code = 'A'",
        )
        .fetch_one(s.pool())
        .await
        .expect("indicator A");
        use bw_store::sqlx::Row as _;
        assert_eq!(row.try_get::<i64, _>(0).unwrap(), 9_000_000, "{n}: version 3's amount");
        assert_eq!(row.try_get::<String, _>(1).unwrap(), "U1");

        // Each decision is signed by its approver in the journal, and verify agrees.
        let entries =
            bw_store::sqlx::query("SELECT entry FROM journal ORDER BY idx").fetch_all(s.pool()).await.unwrap();
        let texts: Vec<String> =
            entries.iter().map(|r| String::from_utf8(r.try_get::<Vec<u8>, _>(0).unwrap()).unwrap()).collect();
        let decisions: Vec<&String> = texts.iter().filter(|t| t.contains("\"action\":\"approval.decide\"")).collect();
        assert_eq!(decisions.len(), 7, "{n}");
        assert!(decisions.iter().all(|t| t.contains(bw_app::journal::APPROVER_FIELD)), "{n}: each signed");
        let r = bw_app::verify::verify(s, &common::trust()).await.expect("verify");
        assert!(r.ok, "{n}: {:?}", r.failures);
    }
}

#[tokio::test]
async fn adjustments_routine_ones_automatic_the_rest_routed_and_applied_when_approved() {
    for db in databases().await {
        let (s, n) = (&db.store, db.name);
        seed(&db).await;
        let payments = "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary,invoice_no,contract_no\n\
                        P1,2026-03-01,U1,I2,31002,乙公司,62220002,company,50000.00,校舍,FP-1,\n";
        import_str(&db, bw_core::template::Kind::Payments, "p.csv", payments)
            .await
            .unwrap_or_else(|e| panic!("{n}: {e:?}"));
        let mut c = ctx();
        c.at = Timestamp::parse("2026-11-23T09:00:00Z").unwrap();
        let ask = |code: &str, delta: &str, strategic: bool| budget::AdjustmentRequest {
            year: 2026,
            indicator_code: code.into(),
            delta: Money::parse_yuan(delta).unwrap(),
            reason: "新增任务".into(),
            impact: "增加支出".into(),
            alternatives: "内部调剂".into(),
            strategic,
            emergency: None,
            reserve: None,
        };
        assert!(
            refused(budget::request_adjustment(s, &c, &ask("I1", "3000.00", false)).await).contains("no budget cycle")
        );
        budget::open_cycle(s, &c, 2026, Mode::BottomUp).await.expect("open");
        for stage in [Stage::Preparation, Stage::Consolidation, Stage::Review, Stage::Approval] {
            budget::advance(s, &c, 2026, stage).await.expect("advance");
        }
        assert!(
            refused(budget::request_adjustment(s, &c, &ask("I1", "3000.00", false)).await)
                .contains("made in execution")
        );
        // The year's indicators came in by import: execution takes them as they are.
        assert_eq!(budget::advance(s, &c, 2026, Stage::Execution).await.expect("execution").indicators, 0, "{n}");

        // Office supplies (30201) within 5,000.00: approved at once, the rule recorded.
        let auto = budget::request_adjustment(s, &c, &ask("I1", "3000.00", false)).await.expect("routine");
        let budget::Adjusted::Automatic { rule, amount, .. } = auto else { panic!("{n}: {auto:?}") };
        assert_eq!(rule, "routine: economic code 30201, change within 5000.00");
        assert_eq!(amount, Money::parse_yuan("103000.00").unwrap());
        let amount_of = |code: &'static str| async move {
            use bw_store::sqlx::Row as _;
            bw_store::sqlx::query("SELECT amount FROM indicators WHERE year = 2026 AND indicator_code = $1")
                .bind(code)
                .fetch_one(s.pool())
                .await
                .unwrap()
                .try_get::<i64, _>(0)
                .unwrap()
        };
        assert_eq!(amount_of("I1").await, 10_300_000, "{n}");
        // Above the routine limit it is routed; a large share of a small indicator goes up.
        let over = budget::request_adjustment(s, &c, &ask("I1", "6000.00", false)).await.expect("over the limit");
        assert!(matches!(over, budget::Adjusted::InReview { route: "lean", .. }), "{n}: {over:?}");
        let major = budget::request_adjustment(s, &c, &ask("I3", "5000.00", false)).await.expect("I3");
        let budget::Adjusted::InReview { id, route } = major else { panic!("{n}: {major:?}") };
        assert_eq!(route, "major", "{n}: 25 % of the indicator");
        assert!(refused(budget::request_adjustment(s, &c, &ask("I3", "100.00", false)).await).contains("in review"));
        let m = refused(budget::request_adjustment(s, &c, &ask("I2", "-960000.00", false)).await);
        assert!(m.contains("below the 50000.00 already paid and committed"), "{n}: {m}");

        // Approved in full: the amount changes with the last decision's entry.
        let mut signers = std::collections::HashMap::new();
        let mut keys = std::collections::HashSet::new();
        for u in ["wang", "zhou", "sun", "zhao", "qian"] {
            keys.insert(bw_app::approval::register_key(s, &c, u, "a long password").await.expect("key"));
            signers.insert(u, bw_app::approval::unlock(s, u, "a long password").await.expect("unlock"));
        }
        assert_eq!(keys.len(), 5, "{n}: each person has a key of their own, registered in one context or not");
        for (step, who, role) in [
            ("unit_head", "wang", Role::UnitHead),
            ("technical_review", "zhou", Role::DepartmentReviewer),
            ("budget_review", "sun", Role::BureauReviewer),
            ("finance_head", "zhao", Role::BureauHead),
            ("chief", "qian", Role::BureauHead),
        ] {
            assert_eq!(amount_of("I3").await, 2_000_000, "{n}: not before the last approval");
            let c = bw_app::Ctx { actor: format!("user:{who}"), ..c.clone() };
            let roles = [role];
            let actor = Actor { user: &c.actor, roles: &roles, whole: &roles };
            let ruling = budget::Ruling { id, step, decision: Decision::Approve, comment: "同意" };
            budget::decide(s, &c, budget::Key::Unsealed(&signers[who]), &actor, ruling).await.expect(step);
        }
        assert_eq!(amount_of("I3").await, 2_500_000, "{n}");
        assert_eq!(budget::item(s, id).await.unwrap().unwrap().state, "approved");
        let r = bw_app::verify::verify(s, &common::trust()).await.expect("verify");
        assert!(r.ok, "{n}: {:?}", r.failures);
    }
}

#[tokio::test]
async fn an_emergency_adjustment_draws_on_the_reserve_fund_within_72_hours() {
    for db in databases().await {
        let (s, n) = (&db.store, db.name);
        seed(&db).await;
        let mut c = ctx();
        c.at = Timestamp::parse("2026-11-27T15:00:00Z").unwrap(); // a Friday afternoon
        budget::open_cycle(s, &c, 2026, Mode::BottomUp).await.expect("open");
        for stage in [Stage::Preparation, Stage::Consolidation, Stage::Review, Stage::Approval, Stage::Execution] {
            budget::advance(s, &c, 2026, stage).await.expect("advance");
        }
        let case = bw_app::emergency::open(s, &c, "event", None, "暴雨灾害").await.expect("case");
        let ask = |delta: &str, reserve: Option<&str>| budget::AdjustmentRequest {
            year: 2026,
            indicator_code: "I1".into(),
            delta: Money::parse_yuan(delta).unwrap(),
            reason: "抢险救灾".into(),
            impact: "动用预备费".into(),
            alternatives: "无".into(),
            strategic: false,
            emergency: Some(case),
            reserve: reserve.map(str::to_string),
        };
        let m = refused(budget::request_adjustment(s, &c, &ask("300000.00", None)).await);
        assert!(m.contains("2026 has no reserve fund"), "{n}: {m}");
        // Two reserve funds (functional class 227, 预备费) under the finance bureau's unit.
        import_str(&db, bw_core::template::Kind::Indicators, "r.csv", "indicator_code,year,unit_code,project_code,functional_code,economic_code,gov_economic_code,fund_source,special,amount,control\nYBF,2026,U1,,22701,39999,,general,false,500000.00,block\nYBF2,2026,U1,,22701,39999,,general,false,1000.00,block\n")
            .await
            .unwrap_or_else(|e| panic!("{n}: {e:?}"));
        let m = refused(budget::request_adjustment(s, &c, &ask("300000.00", None)).await);
        assert!(m.contains("name the reserve fund to draw on: one of YBF, YBF2"), "{n}: {m}");
        let m = refused(budget::request_adjustment(s, &c, &ask("300000.00", Some("I2"))).await);
        assert!(m.contains("I2 is not a reserve fund of 2026"), "{n}: {m}");
        let m = refused(budget::request_adjustment(s, &c, &ask("300000.00", Some("YBF2"))).await);
        assert!(m.contains("the reserve fund is short"), "{n}: {m}");
        let m = refused(budget::request_adjustment(s, &c, &ask("-10.00", Some("YBF"))).await);
        assert!(m.contains("adds money"), "{n}: {m}");
        // Its own route, whatever the amount.
        let done = budget::request_adjustment(s, &c, &ask("300000.00", Some("YBF"))).await.expect("emergency");
        let budget::Adjusted::InReview { id, route } = done else { panic!("{n}: {done:?}") };
        assert_eq!(route, "emergency");
        let it = budget::item(s, id).await.unwrap().unwrap();
        // Due with the case's plan, 72 clock hours after it opened — over the weekend.
        assert_eq!(it.steps.len(), 1);
        assert_eq!(it.steps[0].due, Timestamp::parse("2026-11-30T15:00:00Z"), "{n}");
        let a = budget::adjustment(s, id).await.unwrap().unwrap();
        assert_eq!((a.reserve.as_deref(), a.emergency), (Some("YBF"), Some(case)));

        // Only the finance bureau's head on the whole organisation approves it.
        bw_app::approval::register_key(s, &c, "zhao", "a long password").await.expect("key");
        let signer = bw_app::approval::unlock(s, "zhao", "a long password").await.expect("unlock");
        let c2 = bw_app::Ctx { actor: "user:zhao".into(), ..c.clone() };
        let ruling = budget::Ruling { id, step: "finance_head", decision: Decision::Approve, comment: "同意" };
        let unit_only = [Role::BureauHead];
        let local = Actor { user: &c2.actor, roles: &unit_only, whole: &[] };
        let m = refused(budget::decide(s, &c2, budget::Key::Unsealed(&signer), &local, ruling).await);
        assert!(m.contains("needs the role bureau_head on the whole organisation"), "{n}: {m}");
        let actor = Actor { user: &c2.actor, roles: &unit_only, whole: &unit_only };
        let out = budget::decide(s, &c2, budget::Key::Unsealed(&signer), &actor, ruling).await.expect("approve");
        assert_eq!(out, Outcome::Approved);
        use bw_store::sqlx::Row as _;
        let amounts: Vec<(String, i64)> = bw_store::sqlx::query(
            "SELECT indicator_code, amount FROM indicators WHERE year = 2026 AND indicator_code IN ('I1', 'YBF') ORDER BY indicator_code",
        )
        .fetch_all(s.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get(0).unwrap(), r.try_get(1).unwrap()))
        .collect();
        assert_eq!(amounts, vec![("I1".to_string(), 40_000_000), ("YBF".to_string(), 20_000_000)], "{n}");
        let r = bw_app::verify::verify(s, &common::trust()).await.expect("verify");
        assert!(r.ok, "{n}: {:?}", r.failures);
        // A closed case takes no more.
        bw_app::emergency::step(s, &c, case, "report", "已报告").await.expect("report");
        bw_app::emergency::step(s, &c, case, "plan", "已制定").await.expect("plan");
        bw_app::emergency::step(s, &c, case, "close", "已结束").await.expect("close");
        let m = refused(budget::request_adjustment(s, &c, &ask("100.00", Some("YBF"))).await);
        assert!(m.contains("is closed"), "{n}: {m}");
    }
}

#[tokio::test]
async fn approval_routes_are_data_finance_may_replace() {
    for db in databases().await {
        let (s, n) = (&db.store, db.name);
        seed(&db).await;
        let c = ctx();
        assert_eq!(budget::workflows(s).await.unwrap(), bw_core::budget::Workflows::default());
        // A lean route with the department's review added as a third level.
        let mut w = bw_core::budget::Workflows::default();
        w.lean.push(bw_core::budget::StepSpec {
            id: "department_review".into(),
            zh: "主管部门审核".into(),
            role: Role::DepartmentReviewer,
            group: 3,
            whole: false,
        });
        budget::set_workflows(s, &c, &w).await.expect("set");
        let mut bad = w.clone();
        bad.major.clear();
        assert_eq!(refused(budget::set_workflows(s, &c, &bad).await), "route major has no steps", "{n}");
        budget::open_cycle(s, &c, 2026, Mode::BottomUp).await.expect("open");
        for stage in [Stage::Preparation, Stage::Consolidation, Stage::Review, Stage::Approval, Stage::Execution] {
            budget::advance(s, &c, 2026, stage).await.expect("advance");
        }
        let r = budget::AdjustmentRequest {
            year: 2026,
            indicator_code: "I2".into(),
            delta: Money::parse_yuan("-20000.00").unwrap(),
            reason: "压减".into(),
            impact: "减少支出".into(),
            alternatives: String::new(),
            strategic: false,
            emergency: None,
            reserve: None,
        };
        let done = budget::request_adjustment(s, &c, &r).await.expect("adjust");
        let budget::Adjusted::InReview { id, route } = done else { panic!("{n}: {done:?}") };
        assert_eq!(route, "lean");
        let ids: Vec<String> =
            budget::item(s, id).await.unwrap().unwrap().steps.iter().map(|s| s.spec.id.clone()).collect();
        assert_eq!(ids, ["unit_head", "finance_filing", "department_review"], "{n}");
        // Routes set later leave the item's steps as they were.
        budget::set_workflows(s, &c, &bw_core::budget::Workflows::default()).await.expect("reset");
        assert_eq!(budget::item(s, id).await.unwrap().unwrap().steps.len(), 3, "{n}");
        let v = bw_app::verify::verify(s, &common::trust()).await.expect("verify");
        assert!(v.ok, "{n}: {:?}", v.failures);
    }
}

#[tokio::test]
async fn year_end_closing_carries_multi_year_balances_and_recovers_the_rest() {
    for db in databases().await {
        let (s, n) = (&db.store, db.name);
        seed(&db).await;
        // XM1 runs 2026–2027; I5 is a special fund nobody spent.
        import_str(&db, bw_core::template::Kind::Indicators, "i.csv", "indicator_code,year,unit_code,project_code,functional_code,economic_code,gov_economic_code,fund_source,special,amount,control\nI5,2026,U1,,2050203,30201,,special_transfer,true,10000.00,block\n")
            .await
            .unwrap_or_else(|e| panic!("{n}: {e:?}"));
        let payments = "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary,invoice_no,contract_no\n\
                        P1,2026-03-01,U1,I2,31002,乙公司,62220002,company,50000.00,校舍,FP-1,\n\
                        P2,2026-04-01,U1,I1,30201,丙公司,62220003,company,100.00,纸张,FP-2,\n";
        import_str(&db, bw_core::template::Kind::Payments, "p.csv", payments)
            .await
            .unwrap_or_else(|e| panic!("{n}: {e:?}"));
        let c = ctx();
        budget::open_cycle(s, &c, 2026, Mode::BottomUp).await.expect("open");
        for stage in [Stage::Preparation, Stage::Consolidation, Stage::Review, Stage::Approval, Stage::Execution] {
            budget::advance(s, &c, 2026, stage).await.expect("advance");
        }
        assert!(refused(budget::close_year(s, &c, 2026).await).contains("closed at year_end_review"));
        budget::advance(s, &c, 2026, Stage::YearEndReview).await.expect("year end");
        let r = budget::close_year(s, &c, 2026).await.expect("close");
        let got: Vec<(&str, i64, budget::Closing)> =
            r.lines.iter().map(|l| (l.indicator_code.as_str(), l.balance.fen(), l.decision)).collect();
        use budget::Closing::*;
        assert_eq!(
            got,
            vec![
                ("I1", 9_990_000, Recovered),
                ("I2", 95_000_000, CarriedOver),
                ("I3", 2_000_000, Recovered),
                ("I5", 1_000_000, IdleSpecialRecovered)
            ],
            "{n}"
        );
        assert_eq!((r.carried.fen(), r.recovered.fen()), (95_000_000, 12_990_000), "{n}");
        use bw_store::sqlx::Row as _;
        let row = bw_store::sqlx::query(
            "SELECT amount, project_code FROM indicators WHERE year = 2027 AND indicator_code = 'I2-JZ2026'",
        )
        .fetch_one(s.pool())
        .await
        .expect("the carried-over indicator");
        assert_eq!(
            (row.try_get::<i64, _>(0).unwrap(), row.try_get::<String, _>(1).unwrap()),
            (95_000_000, "XM1".to_string())
        );
        assert!(refused(budget::close_year(s, &c, 2026).await).contains("already closed"));
        let v = bw_app::verify::verify(s, &common::trust()).await.expect("verify");
        assert!(v.ok, "{n}: {:?}", v.failures);
    }
}

#[tokio::test]
async fn the_project_library_moves_tiers_expires_reserves_and_scores_maturity() {
    for db in databases().await {
        let (s, n) = (&db.store, db.name);
        seed(&db).await;
        let c = ctx();
        use bw_core::records::ProjectStatus;
        let m = refused(bw_app::library::set_status(s, &c, "XM2", ProjectStatus::Executing).await);
        assert_eq!(m, "a reserve project moves to approved or retired, not to executing", "{n}");
        let xm1 = bw_app::library::project(s, "XM1").await.unwrap().unwrap();
        assert_eq!(xm1.maturity.score, 30, "{n}: an estimate, no KPIs, no documents");
        // XM2 (reserve) expires on 2026-12-31: still in on that day, out the day after.
        let d = |x: &str| bw_core::Date::parse(x).unwrap();
        assert!(bw_app::library::expire(s, &c, d("2026-12-31")).await.unwrap().is_empty());
        assert_eq!(bw_app::library::expire(s, &c, d("2027-01-01")).await.unwrap(), vec!["XM2".to_string()], "{n}");
        assert_eq!(bw_app::library::project(s, "XM2").await.unwrap().unwrap().status, "retired");
        // A document and KPIs make XM1 mature.
        let pdf = b"%PDF-1.7 feasibility";
        bw_app::documents::attach_project_document(s, &c, "XM1", "可研报告.pdf", pdf).await.expect("document");
        let kpis = [
            bw_core::performance::Kpi {
                code: "Q1".into(),
                name: "校舍".into(),
                category: bw_core::performance::Category::Quantity,
                direction: bw_core::performance::Direction::AtLeast,
                target: bw_core::performance::Milli(10_000),
                weight: 60,
                actual: None,
            },
            bw_core::performance::Kpi {
                code: "S1".into(),
                name: "满意度".into(),
                category: bw_core::performance::Category::Satisfaction,
                direction: bw_core::performance::Direction::AtLeast,
                target: bw_core::performance::Milli(90_000),
                weight: 40,
                actual: None,
            },
        ];
        bw_app::performance::set_kpis(s, &c, 2026, "XM1", &kpis).await.expect("kpis");
        assert_eq!(bw_app::library::project(s, "XM1").await.unwrap().unwrap().maturity.score, 100, "{n}");
        bw_app::library::set_status(s, &c, "XM1", ProjectStatus::Completed).await.expect("completed");
        // No indicator on a retired project; a completed one still receives its final
        // settlement, a retired one nothing.
        use bw_core::template::Kind;
        let ind = "indicator_code,year,unit_code,project_code,functional_code,economic_code,gov_economic_code,fund_source,special,amount,control\nI9,2027,U2,XM2,2010601,30211,,general,false,100.00,block\n";
        let e = import_str(&db, Kind::Indicators, "i9.csv", ind).await.expect_err("a retired project");
        let m = rows(e);
        assert!(m.contains("i9.csv:2: project_code: project_not_fundable: project \"XM2\" is retired"), "{n}: {m}");
        let pay = |voucher: &str| {
            format!(
                "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary,invoice_no,contract_no\n{voucher},2026-09-01,U1,I2,31002,乙公司,62220002,company,1000.00,尾款,FP-{voucher},\n"
            )
        };
        import_str(&db, Kind::Payments, "p1.csv", &pay("W1")).await.unwrap_or_else(|e| panic!("{n}: {e}"));
        bw_app::library::set_status(s, &c, "XM1", ProjectStatus::Retired).await.expect("retired");
        let e = import_str(&db, Kind::Payments, "p2.csv", &pay("W2")).await.expect_err("a retired project");
        let m = rows(e);
        assert!(
            m.contains(
                "p2.csv:2: indicator_code: project_not_fundable: indicator I2 belongs to project XM1, which is retired"
            ),
            "{n}: {m}"
        );
        let v = bw_app::verify::verify(s, &common::trust()).await.expect("verify");
        assert!(v.ok, "{n}: {:?}", v.failures);
    }
}
