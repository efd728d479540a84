//! National analytics over the provinces' Parquet files (docs/SCALE.md): `export parquet`,
//! `audit --parquet`, `report execution --parquet`.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use common::{bw, stderr, stdout};
use std::path::{Path, PathBuf};

/// A demo province of `code` imported into its own SQLite file, exported as Parquet.
fn province(root: &Path, code: &str) -> (PathBuf, PathBuf) {
    let data = root.join(format!("data-{code}"));
    let db = root.join(format!("{code}.db"));
    let o = bw(
        &db,
        &["demo-data", "--province", code, "--seed", code, "--payments", "3000", "--out", data.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    for kind in ["units", "projects", "indicators", "contracts", "payments", "revenues", "staff"] {
        let o = bw(&db, &["import", kind, data.join(format!("{kind}.csv")).to_str().unwrap()]);
        assert!(o.status.success(), "{kind}: {}", stderr(&o));
    }
    (db, data)
}

fn export(db: &Path, dir: &Path) {
    let o = bw(db, &["export", "parquet", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
}

fn findings(o: &std::process::Output) -> Vec<serde_json::Value> {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_slice::<Vec<serde_json::Value>>(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// A finding as compared: the test, the unit, the vouchers and the evidence.
fn key(f: &serde_json::Value) -> String {
    let mut evidence = f["evidence"].clone();
    if let Some(e) = evidence.as_object_mut() {
        e.remove("province");
    }
    serde_json::json!([f["test"], f["unit_code"], f["vouchers"], evidence]).to_string()
}

fn sheet(path: &Path) -> Vec<Vec<String>> {
    use calamine::Reader as _;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

#[test]
fn the_nations_audit_is_the_union_of_the_provinces_and_finds_what_only_it_can() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (db32, data32) = province(root, "32");
    let (db33, data33) = province(root, "33");
    // Province 33 pays an invoice province 32 has paid: written with spaces, as a real
    // export may carry it.
    let payments32 = std::fs::read_to_string(data32.join("payments.csv")).unwrap();
    let header: Vec<&str> = payments32.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let paid: Vec<&str> = payments32
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|r| !r[col("invoice_no")].is_empty() && !r[col("amount")].starts_with('-'))
        .map(|r| (r[col("voucher_no")], r[col("unit_code")], r[col("invoice_no")]))
        .map(|(v, u, i)| vec![v, u, i])
        .unwrap();
    let invoice = paid[2];
    let spaced = format!("{} {}", &invoice[..4], &invoice[4..]);
    let indicators33 = std::fs::read_to_string(data33.join("indicators.csv")).unwrap();
    let ih: Vec<&str> = indicators33.lines().next().unwrap().split(',').collect();
    let ic = |name: &str| ih.iter().position(|h| *h == name).unwrap();
    let ind: Vec<&str> = indicators33
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|r| r[ic("control")] == "warn")
        .unwrap();
    let csv = format!(
        "{}\nNAT-DUP-1,2025-11-20,{},{},{},跨省供应商有限公司,6200000000000000099,company,1.00,印刷费,{spaced},,\n",
        header.join(","),
        ind[ic("unit_code")],
        ind[ic("indicator_code")],
        ind[ic("economic_code")]
    );
    let file = root.join("dup.csv");
    std::fs::write(&file, csv).unwrap();
    let o = bw(&db33, &["import", "payments", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));

    let (out32, out33) = (root.join("out-32"), root.join("out-33"));
    export(&db32, &out32);
    export(&db33, &out33);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out33.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["province"], "33");
    assert_eq!(manifest["name"], "浙江省");
    let rows33 = std::fs::read_to_string(data33.join("payments.csv")).unwrap().lines().count() as u64 - 1;
    assert_eq!(manifest["rows"]["payments"].as_u64(), Some(rows33 + 1), "{manifest}");
    assert!(manifest["checkpoint"].as_str().unwrap().contains('\u{2014}'), "a signed note: {manifest}");

    let (p32, p33) = (out32.to_str().unwrap(), out33.to_str().unwrap());
    let one = |dir: &str| findings(&bw(&db32, &["audit", "--parquet", dir, "--format", "json"]));
    let (f32, f33) = (one(p32), one(p33));
    let national = findings(&bw(&db32, &["audit", "--parquet", p32, p33, "--format", "json"]));
    // The files are the province's year exactly: every test (those over indicators, revenue
    // and the staff register too) finds what the province's own audit finds.
    let own32 = findings(&bw(&db32, &["audit", "--as-of", "2025-12-31", "--format", "json"]));
    let mut a: Vec<String> = f32.iter().map(key).collect();
    let mut b: Vec<String> = own32.iter().map(key).collect();
    a.sort();
    b.sort();
    assert!(!a.is_empty());
    assert_eq!(a, b);
    let impacts = |fs: &[serde_json::Value]| {
        let mut v: Vec<String> = fs.iter().map(|f| format!("{} {}", key(f), f["score_impact"])).collect();
        v.sort();
        v
    };
    assert_eq!(impacts(&f32), impacts(&own32), "the same score impacts");
    let tests: std::collections::BTreeSet<&str> = f32.iter().filter_map(|f| f["test"].as_str()).collect();
    for t in ["low_execution", "revenue_jump", "related_party", "split_purchase_year"] {
        assert!(tests.contains(t), "{t} in {tests:?}");
    }
    let own33 = findings(&bw(&db33, &["audit", "--as-of", "2025-12-31", "--format", "json"]));
    let (mut a, mut b): (Vec<String>, Vec<String>) = (f33.iter().map(key).collect(), own33.iter().map(key).collect());
    a.sort();
    b.sort();
    assert_eq!(a, b);
    // The nation: every province's findings, and the cross-province ones besides.
    let (cross, local): (Vec<_>, Vec<_>) =
        national.iter().partition(|f| f["test"] == "duplicate_invoice_across_provinces");
    let mut union: Vec<String> = f32.iter().chain(&f33).map(key).collect();
    let mut got: Vec<String> = local.iter().map(|f| key(f)).collect();
    union.sort();
    got.sort();
    assert_eq!(got, union);
    assert!(f32.iter().chain(&f33).all(|f| f["test"] != "duplicate_invoice_across_provinces"));
    assert_eq!(cross.len(), 1, "{cross:?}");
    let vouchers: Vec<&str> = cross[0]["vouchers"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(vouchers.contains(&format!("32:{}:{}", paid[1], paid[0]).as_str()), "{vouchers:?}");
    assert!(vouchers.iter().any(|v| v.starts_with("33:") && v.ends_with(":NAT-DUP-1")), "{vouchers:?}");
    assert_eq!(cross[0]["evidence"]["provinces"], serde_json::json!(["32", "33"]));

    // The execution report over the files: a province's part equals its own report.
    let own = root.join("own-32.xlsx");
    let o =
        bw(&db32, &["report", "execution", "--period", "2025-11", "--format", "xlsx", "--out", own.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let part = root.join("national-32.xlsx");
    let args = ["report", "execution", "--parquet", p32, p33, "--period", "2025-11", "--format", "xlsx"];
    let o = bw(&db32, &[&args[..], &["--region", "320000", "--out", part.to_str().unwrap()]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(sheet(&part), sheet(&own));
    let nation = root.join("national.xlsx");
    let o = bw(&db32, &[&args[..], &["--out", nation.to_str().unwrap()]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = sheet(&nation);
    let own_rows = sheet(&own).len();
    assert!(rows.len() > own_rows + 100, "both provinces: {} rows", rows.len());
    assert!(rows.iter().any(|r| r.iter().any(|c| c == "地区合计：全国")), "the nation above the provinces");
    // A folder without one of the kinds (written by an earlier version) is refused by name.
    let old = root.join("old-32");
    std::fs::create_dir_all(&old).unwrap();
    for f in std::fs::read_dir(&out32).unwrap() {
        let f = f.unwrap();
        if f.file_name() != "staff.parquet" {
            std::fs::copy(f.path(), old.join(f.file_name())).unwrap();
        }
    }
    let o = bw(&db32, &["audit", "--parquet", old.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("staff.parquet: missing"), "{}", stderr(&o));
    // Two folders of one province are refused.
    let o = bw(&db32, &["audit", "--parquet", p32, p32]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("given twice"), "{}", stderr(&o));
}
