//! Documents kept with the records — a voucher's images, region boundaries —, classified
//! projects and saved inbox filters, on SQLite and PostgreSQL: journaled, checked by
//! `verify`, refused when they are not what they claim.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use bw_app::documents::{self, DocKind};
use bw_app::journal::ActionError;
use common::{ctx, databases, import_str, seed};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

fn square(code: &str, x: f64) -> String {
    format!(
        r#"{{"type":"Feature","properties":{{"code":"{code}"}},"geometry":{{"type":"Polygon","coordinates":[[[{x},30],[{},30],[{},31],[{x},31],[{x},30]]]}}}}"#,
        x + 1.0,
        x + 1.0
    )
}

#[tokio::test]
async fn voucher_images_and_boundaries_are_journaled_and_verified() {
    for db in databases().await {
        let (s, n) = (&db.store, db.name);
        seed(&db).await;
        let body = "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary,invoice_no,contract_no\n\
                    A1,2026-03-05,U1,I1,30201,甲公司,62220001,company,100.00,办公用品,FP-1,\n";
        import_str(&db, bw_core::template::Kind::Payments, "p.csv", body)
            .await
            .unwrap_or_else(|e| panic!("{n}: {e:?}"));
        let c = ctx();

        let id = documents::attach_voucher_image(s, &c, "U1", "A1", "C:\\scans\\发票.png", PNG).await.expect("attach");
        let listed = documents::list(s, DocKind::VoucherImage, "U1/A1").await.expect("list");
        assert_eq!(listed.len(), 1, "{n}");
        assert_eq!((listed[0].name.as_str(), listed[0].media_type.as_str()), ("发票.png", "image/png"), "{n}");
        assert_eq!(listed[0].size, PNG.len() as i64);
        let (_, bytes) = documents::get(s, id).await.expect("get").expect("found");
        assert_eq!(bytes, PNG, "{n}: the bytes come back as they went in");

        // Not an image, no such payment: refused, nothing written.
        let not_image = documents::attach_voucher_image(s, &c, "U1", "A1", "x.svg", b"<svg onload=alert(1)/>").await;
        assert!(matches!(not_image, Err(ActionError::Invalid(m)) if m.contains("not a PNG")), "{n}");
        let no_payment = documents::attach_voucher_image(s, &c, "U1", "A9", "x.png", PNG).await;
        assert!(matches!(no_payment, Err(ActionError::Invalid(m)) if m.contains("no payment A9")), "{n}");

        // Boundaries: regions only.
        let good =
            format!(r#"{{"type":"FeatureCollection","features":[{},{}]}}"#, square("C1", 110.0), square("K1", 111.0));
        documents::load_boundaries(s, &c, "regions.geojson", good.as_bytes()).await.expect("boundaries");
        let shapes = documents::boundaries(s).await.expect("read").expect("loaded");
        assert_eq!(shapes.iter().map(|x| x.code.as_str()).collect::<Vec<_>>(), ["C1", "K1"], "{n}");
        let unit = format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, square("U1", 110.0));
        let refused = documents::load_boundaries(s, &c, "bad.geojson", unit.as_bytes()).await;
        assert!(
            matches!(refused, Err(ActionError::Invalid(m)) if m == "bad.geojson: feature 1: U1 is not a region"),
            "{n}"
        );

        // Classified projects: marked, lifted, marked again; replayed by verify.
        use bw_app::classified;
        classified::classify(s, &c, "XM1", true).await.expect("classify");
        assert_eq!(classified::indicators(s).await.expect("indicators"), ["I2".to_string()].into(), "{n}");
        assert!(matches!(classified::classify(s, &c, "XM1", true).await, Err(ActionError::Invalid(_))));
        classified::classify(s, &c, "XM1", false).await.expect("declassify");
        assert!(classified::projects(s).await.expect("projects").is_empty(), "{n}");
        classified::classify(s, &c, "XM2", true).await.expect("classify");
        let none = classified::classify(s, &c, "XM9", true).await;
        assert!(matches!(none, Err(ActionError::Invalid(m)) if m == "no project XM9 in the project library"), "{n}");

        let r = bw_app::verify::verify(s, &common::trust()).await.expect("verify");
        assert!(r.ok, "{n}: {:?}", r.failures);

        // A document's bytes changed behind the journal's back: verify names it.
        bw_store::sqlx::query("UPDATE documents SET content = $1 WHERE id = $2")
            .bind(b"\x89PNG\r\n\x1a\nforged".to_vec())
            .bind(id)
            .execute(s.pool())
            .await
            .expect("tamper");
        let r = bw_app::verify::verify(s, &common::trust()).await.expect("verify");
        assert!(!r.ok, "{n}");
        assert!(
            r.failures.iter().any(|f| f.table.as_deref() == Some("documents")
                && f.key.as_deref() == Some(id.to_string().as_str())
                && f.column.as_deref() == Some("content")),
            "{n}: {:?}",
            r.failures
        );
    }
}

#[tokio::test]
async fn saved_filters_are_each_user_s_own() {
    for db in databases().await {
        let (s, n) = (&db.store, db.name);
        let fields = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        bw_app::users::save_filter(s, "li", "红色未办", &fields(&[("level", "red"), ("state", "open"), ("rule", "")]))
            .await
            .expect("save");
        bw_app::users::save_filter(s, "li", "审计发现", &fields(&[("kind", "finding")])).await.expect("save");
        // Saving under the same name replaces.
        bw_app::users::save_filter(s, "li", "红色未办", &fields(&[("level", "red")])).await.expect("replace");
        let mine = bw_app::users::filters(s, "li").await.expect("filters");
        assert_eq!(mine.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["审计发现", "红色未办"], "{n}");
        assert_eq!(mine[1].fields, fields(&[("level", "red")]), "{n}: empty fields are not kept");
        assert!(bw_app::users::filters(s, "wang").await.expect("filters").is_empty(), "{n}: another user's");
        let bad = bw_app::users::save_filter(s, "li", "x", &fields(&[("unit", "U1")])).await;
        assert!(matches!(bad, Err(ActionError::Invalid(m)) if m.starts_with("unit is not an inbox filter")), "{n}");
        for i in 0..bw_app::users::SAVED_FILTERS_MAX - 2 {
            bw_app::users::save_filter(s, "li", &format!("f{i}"), &fields(&[])).await.expect("save");
        }
        let full = bw_app::users::save_filter(s, "li", "one more", &fields(&[])).await;
        assert!(matches!(full, Err(ActionError::Invalid(m)) if m.starts_with("at most")), "{n}");
        bw_app::users::delete_filter(s, "li", "审计发现").await.expect("delete");
        assert_eq!(bw_app::users::filters(s, "li").await.expect("filters").len(), bw_app::users::SAVED_FILTERS_MAX - 1);
    }
}
