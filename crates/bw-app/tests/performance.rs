//! A year's performance on SQLite and PostgreSQL against figures computed by hand: KPIs and
//! the values reached, a self-evaluation far from the third party's, a satisfaction survey,
//! the ladder, and next year's proposal saved as drafts of the next cycle.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use bw_app::performance as perf;
use bw_core::Money;
use bw_core::budget::{Mode, Stage};
use bw_core::performance::{Category, Direction, Grade, Kpi, Milli, ProjectAction};
use common::{ctx, databases, import_str, seed};

fn kpi(code: &str, category: Category, direction: Direction, target: &str, weight: u32) -> Kpi {
    Kpi {
        code: code.into(),
        name: code.into(),
        category,
        direction,
        target: Milli::parse(target).unwrap(),
        weight,
        actual: None,
    }
}

#[tokio::test]
async fn grades_ladder_and_next_year_s_proposal() {
    for db in databases().await {
        let (s, n) = (&db.store, db.name);
        seed(&db).await;
        import_str(&db, bw_core::template::Kind::Projects, "p.csv", "project_code,name,unit_code,category,start_year,end_year,total_amount,status,expires_on\nXM3,乡村道路,U2,transport,2026,2026,300000.00,executing,\n")
            .await
            .unwrap_or_else(|e| panic!("{n}: {e:?}"));
        import_str(&db, bw_core::template::Kind::Indicators, "i.csv", "indicator_code,year,unit_code,project_code,functional_code,economic_code,gov_economic_code,fund_source,special,amount,control\nI4,2026,U2,XM3,2140104,31005,,general,false,300000.00,block\n")
            .await
            .unwrap_or_else(|e| panic!("{n}: {e:?}"));
        let c = ctx();
        let kpis = [
            kpi("Q1", Category::Quantity, Direction::AtLeast, "100", 40),
            kpi("C1", Category::Cost, Direction::AtMost, "100", 20),
            kpi("S1", Category::Social, Direction::AtLeast, "90", 20),
            kpi("M1", Category::Satisfaction, Direction::AtLeast, "85", 20),
        ];
        perf::set_kpis(s, &c, 2026, "XM1", &kpis).await.expect("kpis");
        // Nothing reported or evaluated yet: 未评价, neither 差 nor ranked; funding as planned.
        let r = perf::results(s, 2026).await.expect("results");
        for p in &r.projects {
            assert!(!p.evaluated && p.grade_zh == "未评价" && p.action == ProjectAction::Keep, "{n}: {p:?}");
        }
        assert!(r.departments.is_empty(), "{n}: nobody ranked on nothing");
        let bad = [kpi("Q1", Category::Quantity, Direction::AtLeast, "1", 50)];
        assert!(
            matches!(perf::set_kpis(s, &c, 2026, "XM1", &bad).await, Err(bw_app::journal::ActionError::Invalid(m)) if m.contains("add up to 50"))
        );
        for (k, v) in [("Q1", "80"), ("C1", "110"), ("S1", "95")] {
            perf::record_actual(s, &c, 2026, "XM1", k, Milli::parse(v).unwrap()).await.expect("actual");
        }
        let r = perf::results(s, 2026).await.expect("results");
        let xm1 = r.projects.iter().find(|p| p.project_code == "XM1").unwrap();
        // 32 + 18.18 + 20 + 0 = 70.2: 中, cut.
        assert_eq!((xm1.kpi_score, xm1.score, xm1.grade), (Some(702), 702, Grade::Fair), "{n}");
        let xm3 = r.projects.iter().find(|p| p.project_code == "XM3").unwrap();
        assert_eq!((xm3.evaluated, xm3.grade_zh), (false, "未评价"), "{n}");
        let ranked: Vec<&str> = r.departments.iter().map(|d| d.department.as_str()).collect();
        assert_eq!(ranked, ["D1"], "{n}: D2 has nothing evaluated yet");

        // The unit says 95, the third party 62: flagged, and the third party's counts.
        perf::evaluate(s, &c, 2026, "XM1", perf::Evaluator::SelfEvaluation, 950).await.expect("self");
        perf::evaluate(s, &c, 2026, "XM1", perf::Evaluator::ThirdParty, 620).await.expect("third");
        perf::evaluate(s, &c, 2026, "XM3", perf::Evaluator::SelfEvaluation, 920).await.expect("self XM3");
        perf::record_satisfaction(s, &c, 2026, "D1", 800).await.expect("survey");
        let r = perf::results(s, 2026).await.expect("results");
        let xm1 = r.projects.iter().find(|p| p.project_code == "XM1").unwrap();
        assert!(xm1.distorted && xm1.score == 620 && xm1.action == ProjectAction::Cut, "{n}: {xm1:?}");
        let xm3 = r.projects.iter().find(|p| p.project_code == "XM3").unwrap();
        assert_eq!((xm3.grade, xm3.action), (Grade::Excellent, ProjectAction::Prioritise));
        // D1: 0.7 × 62 + 0.3 × 80 = 67.4; D2: 92. Two departments: D2 on top (+10 %), D1 at
        // the bottom (−10 %, interviewed).
        let d: Vec<(&str, i64, i32, bool)> =
            r.departments.iter().map(|x| (x.department.as_str(), x.result, x.change_pct, x.interview)).collect();
        assert_eq!(d, vec![("D2", 920, 10, false), ("D1", 674, -10, true)], "{n}");

        // The rolling plan: XM1 (中, runs to 2027) keeps 2026, 2027 cut 10 %, nothing in 2028;
        // XM3 (优, ends in 2026) nothing after 2026.
        let plan = perf::roll_plan(s, &c, 2026).await.expect("roll");
        let got: Vec<(String, [i64; 3])> =
            plan.iter().map(|l| (l.project_code.clone(), l.amounts.map(|a| a.fen()))).collect();
        assert_eq!(got, vec![("XM1".into(), [100_000_000, 90_000_000, 0]), ("XM3".into(), [30_000_000, 0, 0])], "{n}");
        assert!(perf::roll_plan(s, &c, 2026).await.is_err(), "{n}: once a year");

        // The proposal: drafts of 2027, never applied without approval.
        budget_open(s, &c).await;
        let saved = perf::propose(s, &c, 2026).await.expect("propose");
        assert_eq!(saved, vec![("U1".to_string(), 1), ("U2".to_string(), 1)], "{n}");
        let u1 = bw_app::budget::versions(s, 2027, "U1").await.unwrap().pop().unwrap();
        let amounts: Vec<(String, Money)> = u1.lines.iter().map(|l| (l.indicator_code.clone(), l.amount)).collect();
        // I1 (no project) 100,000 × 0.9; I2 (XM1, 中: −10 %, D1: −10 %) 1,000,000 × 0.9 × 0.9.
        assert_eq!(
            amounts,
            vec![("I1".into(), Money::from_fen(9_000_000)), ("I2".into(), Money::from_fen(81_000_000))],
            "{n}"
        );
        let u2 = bw_app::budget::versions(s, 2027, "U2").await.unwrap().pop().unwrap();
        let total: i64 = u2.lines.iter().map(|l| l.amount.fen()).sum();
        // I3 20,000 × 1.1 + I4 (优) 300,000 × 1.1 = 352,000.00.
        assert_eq!(total, 35_200_000, "{n}");
        assert!(u1.note.contains("待审批"));
        // D1's head is interviewed: ten working days after Thursday 2026-11-26; a second
        // proposal schedules nothing twice.
        let due = |v: Vec<perf::Interview>| v.into_iter().map(|i| (i.department_code, i.due_on)).collect::<Vec<_>>();
        assert_eq!(
            due(perf::interviews(s, 2026).await.unwrap()),
            vec![("D1".to_string(), "2026-12-10".to_string())],
            "{n}"
        );
        perf::propose(s, &c, 2026).await.expect("again");
        assert_eq!(perf::interviews(s, 2026).await.unwrap().len(), 1, "{n}");
        let v = bw_app::verify::verify(s, &common::trust()).await.expect("verify");
        assert!(v.ok, "{n}: {:?}", v.failures);
    }
}

async fn budget_open(s: &bw_store::Store, c: &bw_app::Ctx) {
    bw_app::budget::open_cycle(s, c, 2027, Mode::BottomUp).await.expect("open 2027");
    bw_app::budget::advance(s, c, 2027, Stage::Preparation).await.expect("preparation");
}
