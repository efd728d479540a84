//! The key risk indicators a check computes from the system's own figures: revenue behind
//! the year's time raises a revenue risk's likelihood, idle special funds an expenditure
//! risk's; each re-rating journaled once with its evidence, nothing ever lowered.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use bw_core::Date;
use bw_core::risk::{Action, Category, Rating};
use bw_core::template::Kind;
use common::*;

fn d(s: &str) -> Date {
    Date::parse(s).expect("date")
}

async fn add(db: &TestDb, title: &str, category: Category, kind: &str, code: &str) -> i64 {
    let r = Rating { likelihood: 2, impact: 3 };
    let action = Action::Add {
        title: title.into(),
        category,
        scope_kind: kind.into(),
        scope_code: code.into(),
        owner: "张三".into(),
        cause: String::new(),
        event: title.into(),
        consequence: String::new(),
        inherent: r,
        current: r,
        residual: r,
        on: d("2026-01-05"),
    };
    bw_app::risk::take(&db.store, &ctx(), action).await.expect("add")
}

/// The county K1 has collected 40 % of its target by mid-January and nothing since; the city
/// C1 (K1 within it) all of its own.
async fn county_behind(db: &TestDb) {
    let targets = "year,region_code,revenue_code,amount\n2026,K1,10101,1000000\n2026,C1,10101,3000000\n";
    import_str(db, Kind::RevenueTargets, "targets.csv", targets).await.expect("targets");
    let revenues = "record_no,date,region_code,revenue_code,amount\nR1,2026-01-15,K1,10101,400000\nR2,2026-01-15,C1,10101,3000000\n";
    import_str(db, Kind::Revenues, "revenues.csv", revenues).await.expect("revenues");
}

#[tokio::test]
async fn revenue_behind_time_and_idle_special_funds_raise_their_risks_once() {
    for db in databases().await {
        seed(&db).await;
        county_behind(&db).await;
        let county = add(&db, "县级收入下滑", Category::Revenue, "region", "K1").await;
        let city = add(&db, "市级收入下滑", Category::Revenue, "region", "C1").await;
        // U1's special indicator I2 (1,000,000 yuan) has paid nothing; U2 has no special funds.
        let school = add(&db, "专项资金闲置", Category::Expenditure, "unit", "U1").await;
        let bureau = add(&db, "支出进度偏慢", Category::Expenditure, "unit", "U2").await;

        // In March the county is ahead of the year's time, and special funds are not yet idle.
        let (n, _) = bw_app::risk::key_indicators(&db.store, &ctx(), d("2026-03-31")).await.expect("kri");
        assert_eq!(n, 0, "{}", db.name);
        // At the end of September (75 % of the year gone): 35 points behind, and idle.
        let (n, _) = bw_app::risk::key_indicators(&db.store, &ctx(), d("2026-09-30")).await.expect("kri");
        assert_eq!(n, 2, "{}", db.name);
        let reg = bw_app::risk::load(&db.store).await.expect("register");
        let risk = |id: i64| reg.risks.get(&id).expect("risk");
        assert_eq!(risk(county).current, Rating { likelihood: 4, impact: 3 }, "{}", db.name);
        let said = &risk(county).history.last().expect("history").what;
        assert!(said.contains("收入完成 40.0%") && said.contains("时间进度 74.8%"), "{said}");
        assert_eq!(risk(school).current.likelihood, 4, "{}", db.name);
        let said = &risk(school).history.last().expect("history").what;
        assert!(said.contains("专项资金闲置 1 项") && said.contains("100.00万元"), "{said}");
        // The city is ahead (85 % with the county's), the bureau has no special funds.
        assert_eq!((risk(city).current.likelihood, risk(bureau).current.likelihood), (2, 2), "{}", db.name);
        // Once: the next check finds the likelihoods already there.
        let (n, _) = bw_app::risk::key_indicators(&db.store, &ctx(), d("2026-09-30")).await.expect("kri");
        assert_eq!(n, 0, "{}", db.name);
    }
}

#[tokio::test]
async fn a_special_audit_and_a_simulated_debt_ratio_raise_their_risks() {
    for db in databases().await {
        seed(&db).await;
        let internal = add(&db, "内部控制薄弱", Category::Internal, "unit", "U1").await;
        let county = add(&db, "县级债务风险", Category::External, "region", "K1").await;
        let city = add(&db, "市级债务风险", Category::External, "region", "C1").await;
        let other = add(&db, "其他单位内控", Category::Internal, "unit", "U2").await;
        // Nothing yet: no audit case, no simulation.
        let (n, _) = bw_app::risk::key_indicators(&db.store, &ctx(), d("2026-03-31")).await.expect("kri");
        assert_eq!(n, 0, "{}", db.name);
        // U1 scored below the threshold: a special audit opens.
        let score = bw_audit::score::UnitScore {
            rank: 1,
            unit_code: "U1".into(),
            score: 52.3,
            spending: bw_core::Money::from_fen(1),
            findings: 3,
            warnings: 0,
            contributions: Vec::new(),
            special_audit: true,
        };
        let report = bw_app::audit::AuditReport { as_of: d("2026-03-31"), findings: Vec::new(), scores: vec![score] };
        bw_app::audit::open_cases(&db.store, &ctx(), &report).await.expect("case");
        // A recorded run: the county's debt ratio at 2.0 against the line of 1.2 on every
        // path, the city's (the county within it) too through the county.
        let scenario: bw_forecast::simulate::Scenario = serde_json::from_value(serde_json::json!({
            "name": "基建投资", "years": [2026, 2027], "paths": 100, "seed": 7,
            "region": [{"code": "K1", "name": "江山县", "debt": 200.0, "capacity": 100.0,
                        "investment": [0.0, 0.0], "repayment": [0.0, 0.0]}]
        }))
        .expect("scenario");
        let (run, _) = bw_app::simulation::record(&db.store, &ctx(), scenario, &"0".repeat(64), 2).await.expect("run");
        let (n, _) = bw_app::risk::key_indicators(&db.store, &ctx(), d("2026-03-31")).await.expect("kri");
        assert_eq!(n, 3, "{}", db.name);
        let reg = bw_app::risk::load(&db.store).await.expect("register");
        let risk = |id: i64| reg.risks.get(&id).expect("risk");
        assert_eq!(risk(internal).current.likelihood, 4, "{}", db.name);
        let said = &risk(internal).history.last().expect("history").what;
        assert!(said.contains("1 个单位审计风险评分低于阈值（最低 52.3 分）"), "{said}");
        for id in [county, city] {
            assert_eq!(risk(id).current.likelihood, 4, "{}", db.name);
            let said = &risk(id).history.last().expect("history").what;
            assert!(
                said.contains(&format!("第 {run} 号")) && said.contains("江山县") && said.contains("概率 100%"),
                "{said}"
            );
        }
        assert_eq!(risk(other).current.likelihood, 2, "U2 has no special audit: {}", db.name);
    }
}

#[tokio::test]
async fn an_overdue_review_raises_a_warning_that_climbs_and_a_review_withdraws_it() {
    for db in databases().await {
        seed(&db).await;
        // Rated 2 × 3 = 6 (中): reviewed every 90 days from 2026-01-05, due on Sunday
        // 2026-04-05 in the Qingming holiday (4–6 April), so on Tuesday the 7th.
        let id = add(&db, "支出进度偏慢", Category::Expenditure, "unit", "U2").await;
        let mine = async || {
            bw_app::monitor::open_warnings(&db.store, Some(2026))
                .await
                .expect("warnings")
                .into_iter()
                .filter(|w| w.rule == "risk_review_overdue")
                .collect::<Vec<_>>()
        };
        // Through the check, as the server runs it.
        bw_app::monitor::check(&db.store, &ctx(), d("2026-04-07")).await.expect("check");
        assert!(mine().await.is_empty(), "due that day: {}", db.name);
        bw_app::monitor::check(&db.store, &ctx(), d("2026-04-08")).await.expect("check");
        let w = mine().await;
        assert_eq!(w.len(), 1, "{}", db.name);
        assert_eq!((w[0].level.as_str(), w[0].unit_code.as_deref()), ("yellow", Some("U2")), "{}", db.name);
        assert_eq!(
            (w[0].evidence["review_due"].as_str(), w[0].evidence["risk"].as_i64()),
            (Some("2026-04-07"), Some(id))
        );
        assert!(w[0].suggestion.contains("支出进度偏慢"), "{}", w[0].suggestion);
        // Five working days late on the 14th: orange, the same warning (the review
        // warnings alone here: the check would also escalate the scope's other warnings).
        bw_app::risk::review_warnings(&db.store, &ctx(), d("2026-04-14")).await.expect("reviews");
        let later = mine().await;
        assert_eq!((later.len(), later[0].id, later[0].level.as_str()), (1, w[0].id, "orange"), "{}", db.name);
        // Re-rated to 4 × 3 (高, every 30 days): due 2026-02-04, long past — the same
        // warning, red.
        let assess = Action::Assess {
            id,
            current: Rating { likelihood: 4, impact: 3 },
            residual: None,
            evidence: "复核前的重新评估".into(),
            on: d("2026-04-15"),
        };
        bw_app::risk::take(&db.store, &ctx(), assess).await.expect("assess");
        bw_app::risk::review_warnings(&db.store, &ctx(), d("2026-04-15")).await.expect("reviews");
        let later = mine().await;
        assert_eq!((later.len(), later[0].id, later[0].level.as_str()), (1, w[0].id, "red"), "{}", db.name);
        assert_eq!(later[0].evidence["review_due"], "2026-02-04", "{}", db.name);
        // Reviewed: the warning nobody acted on is withdrawn.
        let review = Action::Review { id, note: "已复核".into(), on: d("2026-04-16") };
        bw_app::risk::take(&db.store, &ctx(), review).await.expect("review");
        bw_app::risk::review_warnings(&db.store, &ctx(), d("2026-04-16")).await.expect("reviews");
        assert!(mine().await.is_empty(), "{}", db.name);
    }
}

#[tokio::test]
async fn an_indicator_without_a_risk_proposes_one_for_a_reviewer_to_adopt_or_reject() {
    for db in databases().await {
        seed(&db).await;
        // As in the first test: the county K1 behind time, U1's special funds idle.
        county_behind(&db).await;
        // The city's revenue risk covers the county within it (and is not re-rated: the city
        // is ahead with the county's); no risk covers U1's funds.
        add(&db, "市级收入下滑", Category::Revenue, "region", "C1").await;
        let (rerated, proposed) = bw_app::risk::key_indicators(&db.store, &ctx(), d("2026-09-30")).await.expect("kri");
        assert_eq!((rerated, proposed), (0, 1), "{}", db.name);
        let reg = bw_app::risk::load(&db.store).await.expect("register");
        let p = reg.proposals.values().next().expect("a proposal");
        assert_eq!((p.category, p.scope_kind.as_str(), p.scope_code.as_str()), (Category::Expenditure, "unit", "U1"));
        assert_eq!((p.likelihood, p.state.as_str()), (4, "open"), "{}", db.name);
        assert!(p.title.ends_with("专项资金闲置") && p.evidence.contains("专项资金闲置 1 项"), "{p:?}");
        // Proposed once a year: the next check finds it.
        let (_, again) = bw_app::risk::key_indicators(&db.store, &ctx(), d("2026-10-30")).await.expect("kri");
        assert_eq!(again, 0, "{}", db.name);
        // Adopted: the risk is in the register at the proposed likelihood and the impact given.
        let adopt = Action::Adopt { id: p.id, owner: "李四".into(), impact: 4, on: d("2026-10-30") };
        let risk = bw_app::risk::take(&db.store, &ctx(), adopt).await.expect("adopt");
        let reg = bw_app::risk::load(&db.store).await.expect("register");
        let r = reg.risks.get(&risk).expect("risk");
        assert_eq!(
            (r.current, r.owner.as_str(), r.scope_code.as_str()),
            (Rating { likelihood: 4, impact: 4 }, "李四", "U1")
        );
        assert_eq!((reg.proposals[&p.id].state.as_str(), reg.proposals[&p.id].risk), ("adopted", Some(risk)));
        let twice = Action::Adopt { id: p.id, owner: "李四".into(), impact: 4, on: d("2026-10-30") };
        let e = bw_app::risk::take(&db.store, &ctx(), twice).await.expect_err("decided");
        assert!(e.to_string().contains("risk_proposal_decided"), "{e}");
        // verify rebuilds the register, proposals included, from the journal.
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.expect("verify");
        assert!(v.ok, "{}: {:?}", db.name, v.failures);
    }
}
