//! The import contract: what lands, what is refused (with `FILE:ROW: column C: …`), and
//! that a refused file leaves the database exactly as it was.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)] // tests fail by panicking

mod common;

use bw_core::template::Kind;
use common::*;

const PAYMENT_HEADER: &str = "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary,invoice_no,contract_no,reverses\n";

fn payments(rows: &str) -> String {
    format!("{PAYMENT_HEADER}{rows}")
}

#[tokio::test]
async fn a_good_file_lands_whole_and_a_second_import_adds_nothing() {
    for db in databases().await {
        seed(&db).await;
        let body = payments(
            "V1,2026-01-05,U1,I1,30201,办公用品公司,6222001,company,1200.50,购买办公用品,F001,,\n\
             V2,2026-02-05,U1,I1,30201,办公用品公司,6222001,company,300,纸张,F002,,\n\
             V3,2026-02-06,U1,I1,30201,办公用品公司,6222001,company,-100.25,退货,,,V1\n",
        );
        let r = import_str(&db, Kind::Payments, "p.csv", &body).await.expect("import");
        assert_eq!((r.rows, r.added, r.unchanged), (3, 3, 0), "{}", db.name);
        let before = snapshot(&db.store).await;
        let again = import_str(&db, Kind::Payments, "p.csv", &body).await.expect("re-import");
        assert_eq!((again.added, again.unchanged, again.batch), (0, 3, None), "{}", db.name);
        assert_eq!(snapshot(&db.store).await, before, "{}: re-import changed the database", db.name);
        // paid = 1200.50 + 300 - 100.25, in fen, and per month.
        assert_eq!(scalar(&db.store, "SELECT paid FROM indicators WHERE indicator_code = 'I1'").await, 140_025);
        assert_eq!(
            scalar(&db.store, "SELECT paid FROM indicator_months WHERE indicator_code = 'I1' AND month = '2026-02'")
                .await,
            19_975
        );
        assert_eq!(scalar(&db.store, "SELECT refunded FROM payments WHERE voucher_no = 'V1'").await, 10_025);
    }
}

#[tokio::test]
async fn every_malformed_field_is_named_and_nothing_is_written() {
    for db in databases().await {
        seed(&db).await;
        let before = snapshot(&db.store).await;
        let body = payments(
            "V1,2026-02-30,U1,I1,30201,公司,6222,company,12.00,,,,\n\
             V2,2026-01-05,U1,I1,3021,公司,6222,company,\"1,234\",,,,\n\
             V3,2026-01-05,U1,I1,30201,公司,6222,person,¥5,,,,\n\
             V4,2026-01-05,U9,I1,30201,公司,6222,company,1.234,,,,\n\
             V5,2026-01-05,U1,NOPE,30201,公司,6222,company,5,,,,\n\
             V6,2026-01-05,U1,I1,30201,公司,6222,company,NaN,,,,\n\
             V7,2026-01-05,U1,I1,30201,公司,6222,company,-5,,,,\n",
        );
        let lines = error_lines(&db, import_str(&db, Kind::Payments, "p.csv", &body).await);
        assert_eq!(
            lines,
            vec![
                "p.csv:2: column pay_date: no such date: \"2026-02-30\" (month 2 of 2026 has 28 days)",
                "p.csv:3: column economic_code: economic code must have 3 or 5 digits, e.g. 30211: \"3021\"",
                "p.csv:3: column amount: not an amount in yuan: \"1,234\" (write digits with at most two decimals, e.g. 1234.50, no separators or currency signs)",
                "p.csv:4: column payee_type: payee_type must be one of company, individual, government, not \"person\"",
                "p.csv:4: column amount: not an amount in yuan: \"¥5\" (write digits with at most two decimals, e.g. 1234.50, no separators or currency signs)",
                "p.csv:5: column amount: more than two decimals: \"1.234\" (amounts are exact to the fen)",
                "p.csv:6: column indicator_code: unknown indicator_code \"NOPE\": not in the database (import indicators first)",
                "p.csv:7: column amount: not an amount in yuan: \"NaN\" (write digits with at most two decimals, e.g. 1234.50, no separators or currency signs)",
                "p.csv:8: column reverses: a refund (negative amount) must name the voucher it reverses",
            ],
            "{}",
            db.name
        );
        assert_eq!(snapshot(&db.store).await, before, "{}", db.name);
    }
}

#[tokio::test]
async fn each_template_reports_its_own_bad_fields() {
    // (kind, file body, expected first error line)
    let cases: &[(Kind, &str, &str)] = &[
        (
            Kind::Units,
            "code,name,parent_code,kind,level\nX,某地,,region,planet\n",
            "u.csv:2: column level: level must be province, city or county, not \"planet\"",
        ),
        (
            Kind::Units,
            "code,name,parent_code,kind,level\nX,某单位,P,unit,\n",
            "u.csv:2: column parent_code: a unit's parent must be a department or a unit",
        ),
        (
            Kind::Units,
            "code,name,parent_code,kind,level\nA,甲,B,unit,\nB,乙,A,unit,\n",
            "u.csv:2: column parent_code: parent_code \"B\" makes a cycle in the organisation tree",
        ),
        (
            Kind::Projects,
            "project_code,name,unit_code,category,start_year,end_year,total_amount,status,expires_on\nXM9,项目,U1,education,2027,2026,100,executing,\n",
            "u.csv:2: column end_year: end_year 2026 is before start_year 2027",
        ),
        (
            Kind::Projects,
            "project_code,name,unit_code,category,start_year,end_year,total_amount,status,expires_on\nXM9,项目,D1,education,2026,2026,100,executing,\n",
            "u.csv:2: column unit_code: \"D1\" is a department, not a unit",
        ),
        (
            Kind::Indicators,
            "indicator_code,year,unit_code,functional_code,economic_code,fund_source,amount,control\nI9,2026,U1,2050203,30201,general,-1,block\n",
            "u.csv:2: column amount: must not be negative",
        ),
        (
            Kind::Indicators,
            "indicator_code,year,unit_code,functional_code,economic_code,fund_source,amount,control\nI9,26,U1,205020,30201,general,1,stop\n",
            "u.csv:2: column year: not a four-digit year 1900-2999: \"26\"",
        ),
        (
            Kind::Indicators,
            "indicator_code,year,unit_code,project_code,functional_code,economic_code,fund_source,amount\nI9,2026,U1,XM404,2050203,30201,general,1\n",
            "u.csv:2: column project_code: unknown project_code \"XM404\": not in the project library (import projects first)",
        ),
        (
            Kind::Contracts,
            "contract_no,unit_code,indicator_code,supplier_name,supplier_account,amount,signed_on,ends_on,status\nH1,U1,I1,供应商,6222,500,2026-03-01,2026-01-01,open\n",
            "u.csv:2: column ends_on: ends_on 2026-01-01 is before signed_on 2026-03-01",
        ),
        (
            Kind::Contracts,
            "contract_no,unit_code,indicator_code,supplier_name,supplier_account,amount,signed_on,ends_on,status\nH1,U1,I1,供应商,6222,100000.01,2026-03-01,2026-12-01,open\n",
            "u.csv:2: column amount: indicator_balance_exceeded: contract H1 of 100000.01 exceeds the available balance 100000.00 of indicator I1 (control block)",
        ),
        (
            Kind::Revenues,
            "record_no,date,region_code,revenue_code,amount\nR1,2026-01-01,U1,10101,5\n",
            "u.csv:2: column region_code: \"U1\" is a unit, not a region",
        ),
        (
            Kind::Revenues,
            "record_no,date,region_code,revenue_code,amount\nR1,2026-01-01,P,20101,5\n",
            "u.csv:2: column revenue_code: revenue code must start with 1, e.g. 10101: \"20101\"",
        ),
        (
            Kind::Payments,
            "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount\nV1,2026-01-05,U404,I1,30201,公司,6222,company,5\n",
            "u.csv:2: column unit_code: unknown unit_code \"U404\": not in the database (import units first)",
        ),
        (
            Kind::RevenueTargets,
            "year,region_code,revenue_code,amount\n2026,NOWHERE,10101,5\n",
            "u.csv:2: column region_code: unknown region_code \"NOWHERE\": not in the database (import units first)",
        ),
        (
            Kind::Payments,
            "voucher_no,pay_date\nV1,2026-01-01\n",
            "u.csv:1: column unit_code: missing required column unit_code (单位编码)",
        ),
    ];
    for db in databases().await {
        seed(&db).await;
        let before = snapshot(&db.store).await;
        for (kind, body, want) in cases {
            let lines = error_lines(&db, import_str(&db, *kind, "u.csv", body).await);
            assert_eq!(lines.first().map(String::as_str), Some(*want), "{}: {kind:?}", db.name);
        }
        assert_eq!(snapshot(&db.store).await, before, "{}", db.name);
    }
}

#[tokio::test]
async fn gbk_bytes_truncated_files_and_empty_files_get_clear_messages() {
    for db in databases().await {
        seed(&db).await;
        let before = snapshot(&db.store).await;
        // "办公" in GBK is B0 EC B9 AB.
        let mut gbk = PAYMENT_HEADER.as_bytes().to_vec();
        gbk.extend_from_slice(b"V1,2026-01-05,U1,I1,30201,\xb0\xec\xb9\xab,6222,company,5,,,,\n");
        let path = db.dir.path().join("gbk.csv");
        std::fs::write(&path, gbk).expect("write");
        let r = bw_app::import::import_file(&db.store, &ctx(), Kind::Payments, &path, &Default::default()).await;
        let lines = error_lines(&db, r);
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].starts_with(
                "gbk.csv:2: column payee_name: text is not valid UTF-8 (the file looks GBK/GB18030-encoded"
            ),
            "{}",
            lines[0]
        );

        let truncated = payments("V1,2026-01-05,U1,I1,30201,公司,6222,company,5,,,,\nV2,2026-01-0");
        let lines = error_lines(&db, import_str(&db, Kind::Payments, "t.csv", &truncated).await);
        assert_eq!(
            lines,
            vec![
                "t.csv:3: 2 fields where the header has 13 (an unquoted comma inside a value, such as the thousands separator of 1,000.00, or a truncated line?)"
            ]
        );
        // An unquoted thousands separator: one field too many, the rest empty. Refused, never
        // read as amount 1.00, summary "000.00" and invoice "办公用品".
        let shifted = payments("V1,2026-01-05,U1,I1,30201,公司,6222,company,1,000.00,办公用品,,,\n");
        let lines = error_lines(&db, import_str(&db, Kind::Payments, "s.csv", &shifted).await);
        assert_eq!(
            lines,
            vec![
                "s.csv:2: 14 fields where the header has 13 (an unquoted comma inside a value, such as the thousands separator of 1,000.00, or a truncated line?)"
            ]
        );

        let lines = error_lines(&db, import_str(&db, Kind::Payments, "e.csv", "").await);
        assert_eq!(lines, vec!["e.csv:1: empty file: the header row is missing"]);
        assert_eq!(snapshot(&db.store).await, before, "{}", db.name);
    }
}

#[tokio::test]
async fn the_same_key_with_other_content_is_refused_naming_both() {
    for db in databases().await {
        seed(&db).await;
        import_str(&db, Kind::Payments, "a.csv", &payments("V1,2026-01-05,U1,I1,30201,公司,6222,company,100.00,,,,\n"))
            .await
            .expect("first");
        let before = snapshot(&db.store).await;
        let lines = error_lines(
            &db,
            import_str(
                &db,
                Kind::Payments,
                "b.csv",
                &payments("V1,2026-01-05,U1,I1,30201,公司,6222,company,120.00,,,,\n"),
            )
            .await,
        );
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].starts_with("b.csv:2: column voucher_no: voucher_conflict: voucher \"V1\" of unit \"U1\" is already recorded with different content (journal entry"),
            "{}",
            lines[0]
        );
        assert!(
            lines[0].ends_with("by test:alice at 2026-11-26T23:30:00Z: amount 100.00 there, 120.00 here)"),
            "{}",
            lines[0]
        );
        let lines = error_lines(
            &db,
            import_str(&db, Kind::Payments, "c.csv", &payments("V8,2026-01-05,U1,I1,30201,公司,6222,company,1,,,,\nV8,2026-01-05,U1,I1,30201,公司,6222,company,2,,,,\n")).await,
        );
        assert_eq!(
            lines,
            vec![
                "c.csv:3: column voucher_no: voucher_conflict: voucher \"V8\" of unit \"U1\" also appears on row 2 of this file with different content"
            ]
        );
        assert_eq!(snapshot(&db.store).await, before, "{}", db.name);
    }
}

#[tokio::test]
async fn block_control_refuses_and_warn_control_accepts_with_a_warning() {
    for db in databases().await {
        seed(&db).await;
        // A contract commits 60,000 of I1's 100,000.
        let contract = "contract_no,unit_code,indicator_code,supplier_name,supplier_account,amount,signed_on,ends_on,status\nH1,U1,I1,供应商,6222999,60000,2026-01-02,2026-12-31,open\n";
        import_str(&db, Kind::Contracts, "h.csv", contract).await.expect("contract");
        assert_eq!(
            scalar(&db.store, "SELECT committed_unpaid FROM indicators WHERE indicator_code = 'I1'").await,
            6_000_000
        );
        let before = snapshot(&db.store).await;
        let lines = error_lines(
            &db,
            import_str(
                &db,
                Kind::Payments,
                "p.csv",
                &payments("V1,2026-03-01,U1,I1,30201,公司,6222,company,40000.01,,,,\n"),
            )
            .await,
        );
        assert_eq!(
            lines,
            vec![
                "p.csv:2: column amount: indicator_balance_exceeded: payment V1 of 40000.01 exceeds the available balance 40000.00 of indicator I1 (control block)"
            ]
        );
        assert_eq!(snapshot(&db.store).await, before, "{}", db.name);
        // Paying the contract draws on the commitment, not the free balance.
        let ok = payments(
            "V2,2026-03-01,U1,I1,30201,供应商,6222999,company,60000,,,H1,\nV3,2026-03-02,U1,I1,30201,公司,6222,company,40000,,,,\n",
        );
        let r = import_str(&db, Kind::Payments, "q.csv", &ok).await.expect("within balance");
        assert_eq!(r.added, 2);
        assert_eq!(scalar(&db.store, "SELECT committed_unpaid FROM indicators WHERE indicator_code = 'I1'").await, 0);
        assert_eq!(scalar(&db.store, "SELECT paid FROM contracts WHERE contract_no = 'H1'").await, 6_000_000);
        // I3 (20,000, warn) takes 25,000 with a warning naming voucher, indicator and balance.
        let r = import_str(
            &db,
            Kind::Payments,
            "w.csv",
            &payments("V4,2026-03-01,U2,I3,30211,张三,6222111,individual,25000,差旅,,,\n"),
        )
        .await
        .expect("warn");
        assert_eq!(r.warnings, vec!["w.csv:2: warning: payment V4 of 25000.00 exceeds the available balance 20000.00 of indicator I3 (control warn); accepted".replace("w.csv", &format!("{}/w.csv", db.dir.path().display()))]);
    }
}

#[tokio::test]
async fn refunds_cannot_exceed_what_was_paid() {
    for db in databases().await {
        seed(&db).await;
        import_str(&db, Kind::Payments, "a.csv", &payments("V1,2026-01-05,U1,I1,30201,公司,6222,company,100.00,,,,\n"))
            .await
            .expect("payment");
        let lines = error_lines(
            &db,
            import_str(&db, Kind::Payments, "b.csv", &payments("R1,2026-01-06,U1,I1,30201,公司,6222,company,-60,,,,V1\nR2,2026-01-07,U1,I1,30201,公司,6222,company,-50,,,,V1\nR3,2026-01-07,U1,I1,30201,公司,6222,company,-1,,,,V404\n")).await,
        );
        assert_eq!(
            lines,
            vec![
                "b.csv:3: column amount: refund of 50.00 exceeds what remains of voucher \"V1\": 100.00 paid, 60.00 already refunded",
                "b.csv:4: column reverses: reverses unknown voucher \"V404\" of unit \"U1\"",
            ]
        );
    }
}

#[tokio::test]
async fn chinese_and_national_headers_and_xlsx_files_import() {
    for db in databases().await {
        import_str(&db, Kind::Units, "u.csv", "\u{feff}编码,名称,上级编码,类型,级次\nP,示范省,,region,province\nD1,教育厅,P,department,\nU1,实验中学,D1,unit,\n").await.expect("chinese headers");
        let national = "BGT_ID,FISCAL_YEAR,AGENCY_CODE,PRO_CODE,EXP_FUNC_CODE,DEP_BGT_ECO_CODE,GOV_BGT_ECO_CODE,FUND_TYPE_CODE,amount\nB1,2026,U1,,2050203,30201,50201,一般公共预算,5000\n";
        import_str(&db, Kind::Indicators, "n.csv", national).await.expect("national headers");
        assert_eq!(scalar(&db.store, "SELECT amount FROM indicators WHERE indicator_code = 'B1'").await, 500_000);
        // XLSX with numbers and a date cell as Excel writes them.
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (i, h) in [
            "voucher_no",
            "pay_date",
            "unit_code",
            "indicator_code",
            "economic_code",
            "payee_name",
            "payee_account",
            "payee_type",
            "amount",
            "USE_DES",
        ]
        .iter()
        .enumerate()
        {
            sheet.write_string(0, i as u16, *h).expect("header");
        }
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 3, 9).expect("date");
        sheet.write_string(1, 0, "X1").expect("cell");
        sheet
            .write_datetime_with_format(1, 1, &date, &rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd"))
            .expect("cell");
        for (c, v) in [(2, "U1"), (3, "B1"), (4, "30201"), (5, "公司"), (6, "6222"), (7, "company"), (9, "办公用品")]
        {
            sheet.write_string(1, c, v).expect("cell");
        }
        sheet.write_number(1, 8, 1234.5).expect("cell");
        let path = db.dir.path().join("p.xlsx");
        book.save(&path).expect("save");
        let r = bw_app::import::import_file(&db.store, &ctx(), Kind::Payments, &path, &Default::default())
            .await
            .expect("xlsx import");
        assert_eq!(r.added, 1);
        assert_eq!(scalar(&db.store, "SELECT amount FROM payments WHERE voucher_no = 'X1'").await, 123_450);
        let row = bw_store::sqlx::query("SELECT pay_date FROM payments WHERE voucher_no = 'X1'")
            .fetch_one(db.store.pool())
            .await
            .expect("row");
        use bw_store::sqlx::Row;
        assert_eq!(row.try_get::<String, _>(0).expect("date"), "2026-03-09");
    }
}

#[tokio::test]
async fn an_xlsx_formula_without_its_calculated_value_is_refused_naming_the_cell() {
    for db in databases().await {
        seed(&db).await;
        let before = snapshot(&db.store).await;
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let header = PAYMENT_HEADER.trim_end().split(',').collect::<Vec<_>>();
        for (i, h) in header.iter().enumerate() {
            sheet.write_string(0, i as u16, *h).expect("header");
        }
        for (c, v) in
            [(0, "X1"), (1, "2026-03-09"), (2, "U1"), (3, "I1"), (4, "30201"), (5, "公司"), (6, "6222"), (7, "company")]
        {
            sheet.write_string(1, c, v).expect("cell");
        }
        sheet.write_formula(1, 8, rust_xlsxwriter::Formula::new("=100*3")).expect("formula");
        let written = book.save_to_buffer().expect("save");
        // As a program that does not calculate writes it: the formula without its result.
        let path = db.dir.path().join("f.xlsx");
        let mut zin = zip::ZipArchive::new(std::io::Cursor::new(written)).expect("zip");
        let mut zout = zip::ZipWriter::new(std::fs::File::create(&path).expect("create"));
        for i in 0..zin.len() {
            use std::io::{Read, Write};
            let mut f = zin.by_index(i).expect("entry");
            let name = f.name().expect("name").to_string();
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).expect("read");
            if name == "xl/worksheets/sheet1.xml" {
                let xml = String::from_utf8(bytes).expect("xml");
                assert!(xml.contains("<f>100*3</f><v>0</v>"), "{xml}");
                bytes = xml.replace("<f>100*3</f><v>0</v>", "<f>100*3</f>").into_bytes();
            }
            zout.start_file(name, zip::write::SimpleFileOptions::default()).expect("start");
            zout.write_all(&bytes).expect("write");
        }
        zout.finish().expect("finish");
        let r = bw_app::import::import_file(&db.store, &ctx(), Kind::Payments, &path, &Default::default()).await;
        let lines = error_lines(&db, r);
        assert_eq!(
            lines,
            vec![
                "f.xlsx:2: cell I2: a formula (=100*3) without a calculated value; open the file in a spreadsheet program and save it again, or paste the values"
            ],
            "{}",
            db.name
        );
        assert_eq!(snapshot(&db.store).await, before, "{}", db.name);
    }
}

#[tokio::test]
async fn every_record_is_a_journal_entry_with_an_rfc6962_leaf_hash() {
    for db in databases().await {
        seed(&db).await;
        let size = db.store.journal_size().await.expect("size");
        // 7 units + batch, 2 projects + batch, 3 indicators + batch.
        assert_eq!(size, 15, "{}", db.name);
        for (idx, leaf, entry) in db.store.journal_range(0, size).await.expect("range") {
            assert_eq!(leaf, bw_ledger::Suite::Sha256Ed25519.leaf(&entry).to_vec(), "{} entry {idx}", db.name);
            let e = bw_ledger::decode(&entry).expect("decodes");
            assert_eq!((e.actor.as_str(), e.at.as_str()), ("test:alice", "2026-11-26T23:30:00Z"));
        }
        let first =
            bw_ledger::decode(&db.store.journal_entry(0).await.expect("entry").expect("exists")).expect("decode");
        assert_eq!(
            (first.action.name(), first.data["code"].as_str(), first.reason.as_str()),
            ("unit.add", Some("P"), "import units units.csv")
        );
        // Every projection row names its entry.
        assert_eq!(
            scalar(
                &db.store,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM indicators i JOIN journal j ON j.idx = i.journal_idx"
            )
            .await,
            3
        );
    }
}

#[tokio::test]
async fn settings_and_calendar_loads_are_journaled() {
    for db in databases().await {
        let c = ctx();
        assert_eq!(bw_app::settings::get(&db.store, "import.errors_max").await.expect("default"), "100");
        bw_app::settings::set(&db.store, &c, "import.errors_max", "5").await.expect("set");
        assert_eq!(bw_app::settings::get(&db.store, "import.errors_max").await.expect("get"), "5");
        assert!(bw_app::settings::set(&db.store, &c, "import.errors_max", "zero").await.is_err());
        let years = bw_app::calendar::import(
            &db.store,
            &c,
            "cal.csv",
            "date,kind,name\n2027-01-01,holiday,元旦\n2027-02-06,workday,春节\n",
        )
        .await
        .expect("calendar");
        assert_eq!(years, vec![2027]);
        let cal = bw_app::calendar::load(&db.store).await.expect("load");
        let d = |s: &str| bw_core::Date::parse(s).expect("date");
        assert!(!cal.is_workday(d("2027-01-01")).value);
        assert!(cal.is_workday(d("2027-02-06")).value);
        assert_eq!(cal.is_workday(d("2027-03-01")).unknown_year, None);
        let actions: Vec<&str> = db
            .store
            .journal_range(0, 10)
            .await
            .expect("range")
            .iter()
            .map(|(_, _, e)| bw_ledger::decode(e).expect("decode").action.name())
            .collect();
        assert_eq!(actions, vec!["setting.set", "calendar.load"]);
    }
}

#[tokio::test]
async fn the_demo_data_set_imports_cleanly_and_names_its_anomalies() {
    for db in databases().await {
        let out = db.dir.path().join("demo");
        let s = bw_app::demo::generate(
            &bw_app::demo::DemoOptions { seed: 7, payments: 3_000, year: 2025, ..Default::default() },
            &out,
        )
        .expect("generate");
        assert!(s.payments.abs_diff(3_000) < 150, "about the payments asked for: {}", s.payments);
        for kind in Kind::ALL {
            let path = out.join(format!("{}.csv", kind.as_str()));
            let r = bw_app::import::import_file(&db.store, &ctx(), kind, &path, &Default::default()).await;
            let r = r.unwrap_or_else(|e| panic!("{}: {kind:?}: {e:?}", db.name));
            assert_eq!(r.unchanged, 0);
        }
        assert_eq!(count(&db.store, "payments").await as u64, s.payments);
        let truth: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("ground_truth.json")).expect("truth")).expect("json");
        let kinds: std::collections::BTreeSet<&str> =
            truth["anomalies"].as_array().expect("list").iter().filter_map(|a| a["kind"].as_str()).collect();
        for k in [
            "split_purchase",
            "duplicate_payment",
            "stagnant",
            "idle_funds",
            "ahead_of_schedule",
            "over_budget",
            "out_of_scope",
            "personal_account",
            "sangong_over",
            "revenue_shortfall",
            "year_end_rush",
            "behind_schedule",
        ] {
            assert!(kinds.contains(k), "ground truth lacks {k}");
        }
        // Every voucher the ground truth names was imported.
        for a in truth["anomalies"].as_array().expect("list") {
            for v in a["vouchers"].as_array().expect("vouchers") {
                let n = bw_store::sqlx::query("SELECT COUNT(*) FROM payments WHERE voucher_no = $1")
                    .bind(v.as_str().expect("str").to_string())
                    .fetch_one(db.store.pool())
                    .await
                    .expect("q");
                use bw_store::sqlx::Row;
                assert_eq!(n.try_get::<i64, _>(0).expect("n"), 1, "{v}");
            }
        }
    }
}

#[test]
fn demo_data_is_deterministic() {
    let a = tempfile::tempdir().expect("dir");
    let b = tempfile::tempdir().expect("dir");
    let o = bw_app::demo::DemoOptions { seed: 3, payments: 2_000, year: 2025, ..Default::default() };
    bw_app::demo::generate(&o, a.path()).expect("a");
    bw_app::demo::generate(&o, b.path()).expect("b");
    for f in ["units.csv", "payments.csv", "ground_truth.json", "revenues.csv"] {
        assert_eq!(std::fs::read(a.path().join(f)).expect("a"), std::fs::read(b.path().join(f)).expect("b"), "{f}");
    }
}

#[tokio::test]
async fn document_numbers_are_kept_as_exported_and_compared_by_their_key() {
    for db in databases().await {
        seed(&db).await;
        let before = snapshot(&db.store).await;
        // Control characters, a right-to-left override and an over-long number: each named.
        let bad = payments(&format!(
            "\"V\t1\",2026-01-05,U1,I1,30201,公司,6222,company,5,,,,\nV2,2026-01-05,U1,I1,30201,公司,6222,company,5,,FP\u{202E}21,,\nV3,2026-01-05,U1,I1,30201,公司,6222,company,5,,{},,\n",
            "9".repeat(65)
        ));
        let lines = error_lines(&db, import_str(&db, Kind::Payments, "b.csv", &bad).await);
        assert_eq!(
            lines,
            vec![
                "b.csv:2: column voucher_no: must not contain control characters (U+0009)".to_string(),
                "b.csv:3: column invoice_no: must not contain invisible formatting characters such as bidirectional overrides (U+202E)".to_string(),
                "b.csv:4: column invoice_no: longer than 64 characters".to_string(),
            ],
            "{}",
            db.name
        );
        assert_eq!(snapshot(&db.store).await, before, "{}", db.name);
        // As a published payments file writes them: spaces and slashes inside, padding around.
        let good = payments(
            "JAN 11 10,2026-01-11,U1,I1,30201,甲公司,62220001,company,120.00,办公用品, CLOSED ACCOUNTS ,,\n\
             2154742696 4/24,2026-01-12,U1,I1,30201,乙公司,62220002,company,300.00,办公用品,FP-2024 001,,\n\
             V-9,2026-01-20,U1,I1,30201,丙公司,62220003,company,80.00,办公用品,fp2024001,,\n",
        );
        import_str(&db, Kind::Payments, "g.csv", &good).await.unwrap_or_else(|e| panic!("{}: {e:?}", db.name));
        let row = bw_store::sqlx::query(
            "SELECT invoice_no, invoice_key FROM payments WHERE voucher_no = 'JAN 11 10' AND unit_code = 'U1'",
        )
        .fetch_one(db.store.pool())
        .await
        .expect("row");
        use bw_store::sqlx::Row;
        assert_eq!(
            (row.try_get::<String, _>(0).unwrap(), row.try_get::<String, _>(1).unwrap()),
            ("CLOSED ACCOUNTS".to_string(), "CLOSEDACCOUNTS".to_string())
        );
        // "FP-2024 001" and "fp2024001" are one invoice paid twice.
        let found =
            bw_app::monitor::evaluate_as_of(&db.store, bw_core::Date::parse("2026-01-31").unwrap()).await.unwrap();
        let dup: Vec<&bw_rules::Finding> = found.iter().filter(|f| f.rule == "duplicate_payment").collect();
        assert_eq!(dup.len(), 1, "{}: {dup:?}", db.name);
        assert_eq!(dup[0].vouchers, ["2154742696 4/24", "V-9"], "{}", db.name);
        let r = bw_app::verify::verify(&db.store, &common::trust()).await.expect("verify");
        assert!(r.ok, "{}: {:?}", db.name, r.failures);
    }
}

#[tokio::test]
async fn amounts_and_yearly_totals_have_ceilings_so_no_sum_can_wrap() {
    const IND: &str = "indicator_code,year,unit_code,project_code,functional_code,economic_code,gov_economic_code,fund_source,special,amount,control\n";
    for db in databases().await {
        seed(&db).await;
        let before = snapshot(&db.store).await;
        // Two indicators of 50,000,000,000,000,000.00 once made the portal show a negative
        // budget: each is refused at its amount.
        let huge = format!(
            "{IND}H1,2026,U1,,2050203,30201,,general,false,50000000000000000.00,warn\nH2,2026,U1,,2050203,30201,,general,false,50000000000000000.00,warn\n"
        );
        let lines = error_lines(&db, import_str(&db, Kind::Indicators, "h.csv", &huge).await);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(
            lines[0],
            "h.csv:2: column amount: amount \"50000000000000000.00\" is above the ceiling of 10,000,000,000,000.00 yuan one record may carry"
        );
        // Eleven at the ceiling are each allowed, but not a year of them.
        let mut many = IND.to_string();
        for i in 0..11 {
            many.push_str(&format!("M{i},2026,U1,,2050203,30201,,general,false,10000000000000.00,warn\n"));
        }
        let lines = error_lines(&db, import_str(&db, Kind::Indicators, "m.csv", &many).await);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].starts_with("m.csv: year_total_exceeded: the indicators of 2026 would total about"),
            "{}",
            lines[0]
        );
        assert_eq!(snapshot(&db.store).await, before, "{}", db.name);
        // Payments: one indicator at the ceiling under `warn`; eleven payments at the ceiling
        // would take 2026's payments past what a year may hold.
        import_str(
            &db,
            Kind::Indicators,
            "b.csv",
            &format!("{IND}BIG,2026,U1,,2050203,30201,,general,false,10000000000000.00,warn\n"),
        )
        .await
        .unwrap();
        let before = snapshot(&db.store).await;
        let mut pays = String::new();
        for i in 0..11 {
            pays.push_str(&format!("X{i},2026-03-01,U1,BIG,30201,甲公司,6222,company,10000000000000.00,,,,\n"));
        }
        let lines = error_lines(&db, import_str(&db, Kind::Payments, "p.csv", &payments(&pays)).await);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0]
                .starts_with("p.csv: year_total_exceeded: the payments of 2026 would total 110000000000000.00 yuan"),
            "{}",
            lines[0]
        );
        assert_eq!(snapshot(&db.store).await, before, "{}", db.name);
        // Ten are within it; the volume is kept and verified.
        let ten: String = pays.lines().take(10).map(|l| format!("{l}\n")).collect();
        import_str(&db, Kind::Payments, "t.csv", &payments(&ten))
            .await
            .unwrap_or_else(|e| panic!("{}: {e:?}", db.name));
        assert_eq!(
            scalar(&db.store, "SELECT gross FROM volumes WHERE year = 2026 AND kind = 'payments'").await,
            10_000_000_000_000_000
        );
        let r = bw_app::verify::verify(&db.store, &common::trust()).await.expect("verify");
        assert!(r.ok, "{}: {:?}", db.name, r.failures);
        // The overview's totals are the exact sums, not wrapped.
        let o =
            bw_app::overview::overview(&db.store, Some(2026), Some(12), bw_core::Date::parse("2026-12-31").unwrap())
                .await
                .unwrap()
                .unwrap();
        assert!(o.regions.iter().all(|r| !r.budget.is_negative() && !r.paid.is_negative()));
        assert_eq!(o.regions[0].paid.fen(), 10_000_000_000_000_000);
    }
}

#[tokio::test]
async fn every_refusal_carries_its_code() {
    for db in databases().await {
        seed(&db).await;
        let cases: [(&str, String, Vec<&str>); 8] = [
            ("unknown unit", payments("C1,2026-03-01,U9,I1,30201,公司,6222,company,1,,,,\n"), vec!["unknown_unit"]),
            (
                "unknown indicator",
                payments("C2,2026-03-01,U1,I9,30201,公司,6222,company,1,,,,\n"),
                vec!["unknown_indicator"],
            ),
            (
                "balance",
                payments("C3,2026-03-01,U1,I1,30201,公司,6222,company,100000.01,,,,\n"),
                vec!["indicator_balance_exceeded"],
            ),
            (
                "a key twice with other content",
                payments(
                    "C4,2026-03-01,U1,I1,30201,公司,6222,company,1,,,,\nC4,2026-03-01,U1,I1,30201,公司,6222,company,2,,,,\n",
                ),
                vec!["duplicate_key_conflict"],
            ),
            (
                "a bad date and an empty amount",
                payments("C5,2026-02-30,U1,I1,30201,公司,6222,company,,,,,\n"),
                vec!["invalid_value", "missing_value"],
            ),
            (
                "a shifted row",
                payments("C6,2026-03-01,U1,I1,30201,公司,6222,company,1,000.00,,,,\n"),
                vec!["field_count_mismatch"],
            ),
            (
                "an unknown column",
                format!("colour,{PAYMENT_HEADER}red,C7,2026-03-01,U1,I1,30201,公司,6222,company,1,,,,\n"),
                vec!["unknown_column"],
            ),
            (
                "an unknown contract",
                payments("C8,2026-03-01,U1,I1,30201,公司,6222,company,1,,,H9,\n"),
                vec!["unknown_contract"],
            ),
        ];
        for (what, body, want) in cases {
            let r = import_str(&db, Kind::Payments, "c.csv", &body).await;
            let mut codes = error_codes(&db, r);
            codes.sort_unstable();
            let mut want = want;
            want.sort_unstable();
            assert_eq!(codes, want, "{}: {what}", db.name);
        }
    }
}
