//! The audit's bulk read and its warnings, on every backend: what `audit::load` packs and
//! unpacks is what the payments table holds, row for row.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)] // tests fail by panicking

mod common;

use bw_core::Date;
use bw_core::template::Kind;
use bw_store::sqlx::{self, Row};
use common::*;

const HEADER: &str = "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary,invoice_no,contract_no\n";

#[tokio::test]
async fn the_packed_read_holds_every_paid_payment_exactly() {
    for db in databases().await {
        seed(&db).await;
        // Quotes, backslashes, Chinese text, missing invoice and contract, and
        // payments in every quarter and after the as-of day.
        let body = format!(
            "{HEADER}A1,2026-01-05,U1,I1,30201,\"甲\"\"引号\"\"公司\",62220001,company,100.00,\"办公\\\\用品, 含\"\"纸\"\"\",FP-1,\n\
             A2,2026-04-30,U1,I2,31002,乙公司,6222000002,company,50000.01,校舍,,\n\
             A3,2026-07-01,U2,I3,30211,张三,6222000003,individual,1200.50,差旅,FP-3,\n\
             A4,2026-10-31,U1,I1,30201,丙公司,6222000004,company,20.00,退款,,\n\
             A5,2026-12-31,U1,I1,30201,丁公司,6222000005,company,99.99,年末,FP-5,\n"
        );
        import_str(&db, Kind::Payments, "p.csv", &body).await.unwrap_or_else(|e| panic!("{}: {e:?}", db.name));
        let as_of = Date::parse("2026-11-30").unwrap();
        let data = bw_app::audit::load(&db.store, as_of).await.unwrap();
        let got: Vec<String> = data
            .payments
            .iter()
            .map(|p| {
                format!(
                    "{}|{}|{}|{}|{:?}|{}|{}|{}|{}|{:?}|{}|{}|{}|{}",
                    p.voucher,
                    p.unit,
                    p.department,
                    p.indicator,
                    p.project,
                    p.date,
                    p.economic,
                    p.payee_name,
                    p.payee_account,
                    p.payee_type,
                    p.amount,
                    p.summary,
                    p.invoice,
                    p.contract
                )
            })
            .collect();
        // The reference: the same rows read one by one.
        let mut want = Vec::new();
        for r in sqlx::query(
            "SELECT p.voucher_no, p.unit_code, p.indicator_code, p.pay_date, p.economic_code, p.payee_name, \
             p.payee_account, p.amount, p.summary, COALESCE(p.invoice_no, ''), COALESCE(p.contract_no, '') \
             FROM payments p WHERE p.pay_date <= '2026-11-30' ORDER BY p.pay_date, p.unit_code, p.voucher_no",
        )
        .fetch_all(db.store.pool())
        .await
        .unwrap()
        {
            let s = |i: usize| r.try_get::<String, _>(i).unwrap();
            let (unit, indicator) = (s(1), s(2));
            let department = if unit == "U1" { "D1" } else { "D2" };
            let project = if indicator == "I2" { Some("XM1".to_string()) } else { None };
            let kind = if s(5) == "张三" { "Individual" } else { "Company" };
            let amount = bw_core::Money::from_fen(r.try_get::<i64, _>(7).unwrap());
            want.push(format!(
                "{}|{unit}|{department}|{indicator}|{project:?}|{}|{}|{}|{}|{kind}|{amount}|{}|{}|{}",
                s(0),
                s(3),
                s(4),
                s(5),
                s(6),
                s(8),
                s(9),
                s(10)
            ));
        }
        assert_eq!(got, want, "{}", db.name);
        assert_eq!(got.len(), 4, "{}: A5 is after the as-of day", db.name);
        assert!(
            got[0].contains("甲\"引号\"公司") && got[0].contains("办公\\\\用品, 含\"纸\""),
            "{}: {}",
            db.name,
            got[0]
        );
    }
}

#[tokio::test]
async fn audit_findings_are_warnings_raised_once_and_withdrawn_when_gone() {
    for db in databases().await {
        seed(&db).await;
        // The same invoice paid twice: an exact duplicate.
        let body = format!(
            "{HEADER}B1,2026-03-02,U1,I1,30201,甲公司,6222000001,company,3000.00,办公,FP-9,\n\
             B2,2026-03-09,U1,I1,30201,甲公司,6222000001,company,3000.00,办公,FP-9,\n"
        );
        import_str(&db, Kind::Payments, "p.csv", &body).await.unwrap_or_else(|e| panic!("{}: {e:?}", db.name));
        let as_of = Date::parse("2026-03-31").unwrap();
        let policy = bw_audit::text::Policy::shipped();
        let report = bw_app::audit::run(&db.store, as_of, &policy).await.unwrap();
        assert!(report.findings.iter().any(|f| f.test == "duplicate_exact"), "{}", db.name);
        let first = bw_app::audit::record(&db.store, &ctx(), &report).await.unwrap();
        assert!(first.raised >= 1, "{}", db.name);
        let again = bw_app::audit::record(&db.store, &ctx(), &report).await.unwrap();
        assert_eq!((again.raised, again.updated, again.withdrawn), (0, 0, 0), "{}", db.name);
        let open = bw_app::monitor::open_warnings(&db.store, Some(2026)).await.unwrap();
        let dup: Vec<_> = open.iter().filter(|w| w.rule == "duplicate_exact").collect();
        assert_eq!(dup.len(), 1, "{}", db.name);
        assert_eq!(dup[0].vouchers, ["B1", "B2"], "{}", db.name);
        assert_eq!(dup[0].state, "open", "{}", db.name);

        // Nothing found any more (an empty report): the untouched warning is withdrawn.
        let empty = bw_app::audit::AuditReport { as_of, findings: Vec::new(), scores: Vec::new() };
        let gone = bw_app::audit::record(&db.store, &ctx(), &empty).await.unwrap();
        assert_eq!(gone.withdrawn, first.raised, "{}", db.name);
        let w = bw_app::monitor::warning(&db.store, dup[0].id).await.unwrap().unwrap();
        assert_eq!(w.state, "withdrawn", "{}", db.name);
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.unwrap();
        assert!(v.ok, "{}: {:?}", db.name, v.failures);
    }
}
