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

#[tokio::test]
async fn revenue_behind_time_and_idle_special_funds_raise_their_risks_once() {
    for db in databases().await {
        seed(&db).await;
        // The county K1 has collected 40 % of its target by mid-January and nothing since;
        // the city C1 (K1 within it) all of its own.
        let targets = "year,region_code,revenue_code,amount\n2026,K1,10101,1000000\n2026,C1,10101,3000000\n";
        import_str(&db, Kind::RevenueTargets, "targets.csv", targets).await.expect("targets");
        let revenues = "record_no,date,region_code,revenue_code,amount\nR1,2026-01-15,K1,10101,400000\nR2,2026-01-15,C1,10101,3000000\n";
        import_str(&db, Kind::Revenues, "revenues.csv", revenues).await.expect("revenues");
        let county = add(&db, "县级收入下滑", Category::Revenue, "region", "K1").await;
        let city = add(&db, "市级收入下滑", Category::Revenue, "region", "C1").await;
        // U1's special indicator I2 (1,000,000 yuan) has paid nothing; U2 has no special funds.
        let school = add(&db, "专项资金闲置", Category::Expenditure, "unit", "U1").await;
        let bureau = add(&db, "支出进度偏慢", Category::Expenditure, "unit", "U2").await;

        // In March the county is ahead of the year's time, and special funds are not yet idle.
        let n = bw_app::risk::key_indicators(&db.store, &ctx(), d("2026-03-31")).await.expect("kri");
        assert_eq!(n, 0, "{}", db.name);
        // At the end of September (75 % of the year gone): 35 points behind, and idle.
        let n = bw_app::risk::key_indicators(&db.store, &ctx(), d("2026-09-30")).await.expect("kri");
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
        let n = bw_app::risk::key_indicators(&db.store, &ctx(), d("2026-09-30")).await.expect("kri");
        assert_eq!(n, 0, "{}", db.name);
    }
}
