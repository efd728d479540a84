//! Informal communications on SQLite and PostgreSQL: recorded with the context's time,
//! listed with the item's unit and lateness, rebuilt by verify.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use bw_core::Timestamp;
use bw_core::informal::{Channel, Purpose, Record};
use common::*;

#[tokio::test]
async fn recorded_listed_and_verified_on_both_databases() {
    for db in databases().await {
        seed(&db).await;
        let c = ctx();
        let record = |ago: i64, indicator: Option<&str>, project: Option<&str>| Record {
            occurred_at: Timestamp(c.at.0 - ago),
            recorded_at: Timestamp(0),
            recorded_by: String::new(),
            channel: Channel::Phone,
            participants: vec!["张三".into()],
            purpose: Purpose::Consultation,
            conclusion: "咨询调剂口径".into(),
            year: indicator.map(|_| 2026),
            indicator_code: indicator.map(str::to_string),
            project_code: project.map(str::to_string),
        };
        let (on_time, _) =
            bw_app::informal::record(&db.store, &c, record(3600, Some("I1"), None)).await.expect("record");
        let (late, was_late) =
            bw_app::informal::record(&db.store, &c, record(25 * 3600, None, Some("XM2"))).await.expect("record");
        assert!(was_late, "{}", db.name);
        let unknown = bw_app::informal::record(&db.store, &c, record(60, Some("I9"), None)).await;
        assert!(
            matches!(unknown, Err(bw_app::informal::RecordError::Refused(ref e)) if e.code() == "unknown_budget_item")
        );
        let list = bw_app::informal::list(&db.store, None).await.expect("list");
        let got: Vec<(i64, bool, Option<&str>)> = list.iter().map(|s| (s.id, s.late, s.unit_code.as_deref())).collect();
        assert_eq!(got, [(late, true, Some("U2")), (on_time, false, Some("U1"))], "{}", db.name);
        assert_eq!((list[0].record.recorded_at, list[0].record.recorded_by.as_str()), (c.at, c.actor.as_str()));
        let v = bw_app::verify::verify(&db.store, &common::trust()).await.expect("verify");
        assert!(v.ok, "{}: {:?}", db.name, v.failures);
    }
}
