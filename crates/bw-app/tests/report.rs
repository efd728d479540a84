//! The execution report on SQLite and PostgreSQL against figures computed by hand, and its
//! XLSX read back.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use bw_core::report::{Period, RowKind};
use common::{databases, import_str, seed};

const PAYMENTS: &str = "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary,invoice_no,contract_no\n\
A1,2026-01-05,U1,I1,30201,甲公司,62220001,company,100.00,办公用品,FP-1,\n\
A2,2026-02-10,U1,I2,31002,乙公司,62220002,company,50000.00,校舍,FP-2,\n\
A4,2026-03-31,U1,I1,30201,丙公司,62220004,company,20.00,纸张,FP-4,\n\
A3,2026-04-01,U2,I3,30211,张三,62220003,individual,1200.50,差旅,FP-3,\n";

#[tokio::test]
async fn quarter_and_month_reports_match_hand_computed_figures() {
    for db in databases().await {
        let (s, n) = (&db.store, db.name);
        seed(&db).await;
        import_str(&db, bw_core::template::Kind::Payments, "p.csv", PAYMENTS)
            .await
            .unwrap_or_else(|e| panic!("{n}: {e:?}"));

        let q1 = Period::parse("2026-Q1").unwrap();
        let r = bw_app::report::execution(s, &q1, None).await.expect("report");
        assert_eq!((r.region_code.as_str(), r.title().as_str()), ("P", "示范省2026年第一季度预算执行情况表"), "{n}");
        let got: Vec<(RowKind, &str, &str, i64, i64, i64)> = r
            .rows
            .iter()
            .map(|x| {
                let node = match x.kind {
                    RowKind::Indicator | RowKind::Unit => x.unit_code.as_str(),
                    RowKind::Department => x.department_code.as_str(),
                    RowKind::Region => x.region_code.as_str(),
                };
                (x.kind, node, x.indicator_code.as_str(), x.budget.fen(), x.paid_in_period.fen(), x.paid.fen())
            })
            .collect();
        use RowKind::*;
        assert_eq!(
            got,
            vec![
                (Indicator, "U1", "I1", 10_000_000, 12_000, 12_000),
                (Indicator, "U1", "I2", 100_000_000, 5_000_000, 5_000_000),
                (Unit, "U1", "", 110_000_000, 5_012_000, 5_012_000),
                (Department, "D1", "", 110_000_000, 5_012_000, 5_012_000),
                // April's payment is outside the first quarter.
                (Indicator, "U2", "I3", 2_000_000, 0, 0),
                (Unit, "U2", "", 2_000_000, 0, 0),
                (Department, "D2", "", 2_000_000, 0, 0),
                (Region, "K1", "", 2_000_000, 0, 0),
                (Region, "C1", "", 2_000_000, 0, 0),
                (Region, "P", "", 112_000_000, 5_012_000, 5_012_000),
            ],
            "{n}"
        );
        // 50,120.00 of 1,120,000.00 = 4.475 %, a quarter of the year gone: 20.525 points behind.
        let total = r.rows.last().unwrap();
        assert!((total.rate - 0.04475).abs() < 1e-12 && (total.progress - 0.25).abs() < 1e-12, "{n}");
        assert!((total.gap_points + 20.525).abs() < 1e-9, "{n}: {}", total.gap_points);

        // April: the month's own payments in the period column, the year's to date beside.
        let april = bw_app::report::execution(s, &Period::parse("2026-04").unwrap(), Some("C1")).await.expect("april");
        let i3 = april.rows.iter().find(|x| x.indicator_code == "I3").unwrap();
        assert_eq!((i3.paid_in_period.fen(), i3.paid.fen()), (120_050, 120_050), "{n}");
        assert_eq!(april.rows.len(), 5, "{n}: the city holds one unit");
        let p_april = bw_app::report::execution(s, &Period::parse("2026-04").unwrap(), None).await.unwrap();
        let i1 = p_april.rows.iter().find(|x| x.indicator_code == "I1").unwrap();
        assert_eq!((i1.paid_in_period.fen(), i1.paid.fen()), (0, 12_000), "{n}");
        // A warning on I3 explained by the unit: the explanation is the cause in the report.
        let c = common::ctx();
        bw_app::monitor::check(s, &c, bw_core::Date::parse("2026-03-31").unwrap()).await.expect("check");
        let f = bw_app::browse::WarningFilter { limit: 100, ..Default::default() };
        let (warnings, _) = bw_app::browse::warnings(s, &f).await.expect("warnings");
        let w = warnings.iter().find(|w| w.indicator_code.as_deref() == Some("I3")).expect("I3 lags behind");
        let explain = bw_rules::workflow::Step::Explain;
        bw_app::monitor::step(s, &c, w.id, explain, "项目尚未开工", &[], bw_core::Money::from_fen(0))
            .await
            .expect("explain");
        let r = bw_app::report::execution(s, &q1, None).await.expect("report");
        let i3 = r.rows.iter().find(|x| x.indicator_code == "I3").unwrap();
        assert_eq!(i3.cause, "项目尚未开工", "{n}");
        let bad = bw_app::report::execution(s, &q1, Some("U1")).await;
        assert!(matches!(bad, Err(bw_app::journal::ActionError::Invalid(m)) if m == "U1 is not a region"), "{n}");

        // The XLSX: the header in row 1, one row per report row, amounts as numbers in yuan.
        let bytes = bw_app::report::execution_xlsx(&r).expect("xlsx");
        use calamine::{DataType as _, Reader as _};
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("open");
        let sheet = book.worksheet_range("执行情况").expect("sheet");
        let rows: Vec<_> = sheet.rows().collect();
        assert_eq!(rows.len(), r.rows.len() + 1, "{n}");
        assert_eq!(rows[0][9].to_string(), "预算数(元) budget");
        let last = rows.last().unwrap();
        assert_eq!(last[4].to_string(), "地区合计 region_total");
        assert_eq!(last[9].get_float(), Some(1_120_000.0));
        assert_eq!(last[11].get_float(), Some(50_120.0));
        assert!((last[12].get_float().unwrap() - 0.04475).abs() < 1e-12);
        assert_eq!(rows[1][5].to_string(), "I1");
    }
}

/// A province with a city (and its county) and a province-administered county (省直管县),
/// as Hubei has 武汉 and 仙桃.
const TWO_KINDS_OF_COUNTY: &str = "code,name,parent_code,kind,level
42,湖北省,,region,province
4201,武汉市,42,region,city
420116,黄陂区,4201,region,county
429004,仙桃市,42,region,county
D1,省教育厅,42,department,
U1,省实验中学,D1,unit,
D2,黄陂区教育局,420116,department,
U2,黄陂一中,D2,unit,
D3,仙桃市教育局,429004,department,
U3,仙桃中学,D3,unit,
";

#[tokio::test]
async fn a_province_administered_county_is_shown_where_it_sits() {
    use bw_core::template::Kind;
    let indicators = "indicator_code,year,unit_code,project_code,functional_code,economic_code,gov_economic_code,fund_source,special,amount,control
I1,2026,U1,,2050203,30201,50201,general,false,100000.00,block
I2,2026,U2,,2050203,30201,50201,general,false,20000.00,block
I3,2026,U3,,2050203,30201,50201,general,false,30000.00,block
";
    let payments =
        "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary
A1,2026-01-05,U1,I1,30201,甲公司,62220001,company,100.00,办公用品
A2,2026-02-10,U2,I2,30201,乙公司,62220002,company,200.00,办公用品
A3,2026-03-10,U3,I3,30201,丙公司,62220003,company,300.00,办公用品
";
    for db in databases().await {
        let (s, n) = (&db.store, db.name);
        for (kind, name, body) in [
            (Kind::Units, "units.csv", TWO_KINDS_OF_COUNTY),
            (Kind::Indicators, "indicators.csv", indicators),
            (Kind::Payments, "payments.csv", payments),
        ] {
            import_str(&db, kind, name, body).await.unwrap_or_else(|e| panic!("{n}: {name}: {e:?}"));
        }
        // The report: the county's subtotal under the province, not inside the city's.
        let r = bw_app::report::execution(s, &Period::parse("2026-Q1").unwrap(), None).await.expect("report");
        let regions: Vec<(&str, i64)> = r
            .rows
            .iter()
            .filter(|x| x.kind == RowKind::Region)
            .map(|x| (x.region_code.as_str(), x.paid.fen()))
            .collect();
        assert_eq!(regions, [("420116", 20_000), ("4201", 20_000), ("429004", 30_000), ("42", 60_000)], "{n}");
        // The drill-down: the province's children are the city, the county and its department.
        let tree = bw_app::users::org_tree(s).await.expect("tree");
        let level = bw_app::drill::level(s, &tree, "42", 2026, 3).await.expect("level").expect("node");
        let kids: Vec<(&str, i64)> = level.children.iter().map(|c| (c.code.as_str(), c.paid.fen())).collect();
        assert_eq!(kids, [("4201", 20_000), ("429004", 30_000), ("D1", 10_000)], "{n}");
        let county = bw_app::drill::level(s, &tree, "429004", 2026, 3).await.expect("level").expect("node");
        assert_eq!(county.path, [("42".to_string(), "湖北省".to_string())], "{n}");
        // The cockpit's region list: the county one level below the province.
        let today = bw_core::Date::parse("2026-03-31").unwrap();
        let o = bw_app::overview::overview(s, Some(2026), Some(3), today).await.expect("overview").expect("year");
        let depth: Vec<(&str, usize, i64)> =
            o.regions.iter().map(|x| (x.code.as_str(), x.depth, x.paid.fen())).collect();
        assert_eq!(
            depth,
            [("42", 0, 60_000), ("4201", 1, 20_000), ("420116", 2, 20_000), ("429004", 1, 30_000)],
            "{n}"
        );
        // The portal: the county's department is the county's.
        let p = bw_app::public::portal(s, &tree, 2026, 3).await.expect("portal");
        let d3 = p.departments.iter().find(|d| d.code == "D3").expect("D3");
        assert_eq!(d3.region, "仙桃市", "{n}");
        let r = bw_app::verify::verify(s, &common::trust()).await.expect("verify");
        assert!(r.ok, "{n}: {:?}", r.failures);
    }
}
