//! The warnings and balances a year of payments leaves are the same whether the payments
//! arrive as one file, as batches of 1,000, or in batches of random sizes with the units'
//! payments interleaved (each unit's own order kept, as a treasury feed keeps it): on
//! SQLite and PostgreSQL, after the payments and after the year's check.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use bw_core::template::Kind;
use common::*;

/// A small seeded generator for the cuts (xorshift64*).
struct Cuts(u64);

impl Cuts {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % below.max(1)
    }
}

/// What the year left: every warning by its key with what it says, and every indicator's
/// paid and committed amounts.
async fn state(db: &TestDb) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let warnings = rows(
        db,
        "SELECT wkey, rule, level, COALESCE(unit_code, ''), COALESCE(indicator_code, ''), period, vouchers, evidence, state, explain_by, plan_by FROM warnings ORDER BY wkey",
    )
    .await;
    let balances = rows(
        db,
        "SELECT indicator_code, CAST(paid AS TEXT), CAST(committed_unpaid AS TEXT) FROM indicators ORDER BY year, indicator_code",
    )
    .await;
    (warnings, balances)
}

async fn rows(db: &TestDb, sql: &'static str) -> Vec<Vec<String>> {
    use bw_store::sqlx::Row;
    let rows = bw_store::sqlx::query(sql).fetch_all(db.store.pool()).await.expect("query");
    rows.iter().map(|r| (0..r.len()).map(|i| r.try_get::<String, _>(i).expect("text")).collect()).collect()
}

async fn import_kinds(db: &TestDb, dir: &std::path::Path, kinds: &[Kind]) {
    for kind in kinds {
        let path = dir.join(format!("{}.csv", kind.as_str()));
        bw_app::import::import_file(&db.store, &ctx(), *kind, &path, &Default::default())
            .await
            .unwrap_or_else(|e| panic!("{}: {}: {e:?}", db.name, kind.as_str()));
    }
}

/// Imports `batches` (each a list of payment lines) one file after another.
async fn import_batches(db: &TestDb, header: &str, batches: &[Vec<&str>]) {
    for (i, b) in batches.iter().enumerate() {
        let body = format!("{header}\n{}\n", b.join("\n"));
        import_str(db, Kind::Payments, &format!("batch-{i}.csv"), &body)
            .await
            .unwrap_or_else(|e| panic!("{}: batch {i}: {e:?}", db.name));
    }
}

/// Imports `batches` as the server's writer does: records in memory, its state kept from
/// one commit to the next (`resident`). Every seventh batch is written by another writer on
/// the same database (another process: a store of its own), which the kept state must notice.
async fn import_as_server(db: &TestDb, header: &str, batches: &[Vec<&str>]) {
    let mut other = bw_store::Store::open(db.store.location(), false).await.expect("second store");
    other.set_signer(signer(), Some(db.dir.path().join("log.head"))).await.expect("signing key");
    let columns: Vec<String> = header.split(',').map(str::to_string).collect();
    let opts = bw_app::import::ImportOptions { outcomes: true, resident: true, ..Default::default() };
    for (i, b) in batches.iter().enumerate() {
        if i % 7 == 6 {
            let body = format!("{header}\n{}\n", b.join("\n"));
            let path = write(db.dir.path(), &format!("other-{i}.csv"), &body);
            bw_app::import::import_file(&other, &ctx(), Kind::Payments, &path, &Default::default())
                .await
                .unwrap_or_else(|e| panic!("{}: batch {i} by the other writer: {e:?}", db.name));
            continue;
        }
        let text = b.join("\n");
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
        let rows: Vec<Vec<String>> =
            reader.records().map(|r| r.expect("csv record").iter().map(str::to_string).collect()).collect();
        let n = rows.len();
        let report =
            bw_app::import::import_rows(&db.store, &ctx(), Kind::Payments, "request", columns.clone(), rows, &opts)
                .await
                .unwrap_or_else(|e| panic!("{}: batch {i}: {e:?}", db.name));
        assert_eq!(report.outcomes.len(), n, "{}: batch {i}: an outcome per record", db.name);
    }
}

#[tokio::test]
async fn a_year_leaves_the_same_warnings_however_its_payments_are_cut() {
    let data = tempfile::tempdir().expect("dir");
    bw_app::demo::generate(
        &bw_app::demo::DemoOptions { seed: 7, payments: 6_000, year: 2025, ..Default::default() },
        data.path(),
    )
    .expect("demo data");
    let before = [Kind::Units, Kind::Projects, Kind::Indicators, Kind::Contracts, Kind::Staff];
    let after = [Kind::Revenues, Kind::RevenueTargets];
    let text = std::fs::read_to_string(data.path().join("payments.csv")).expect("payments");
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    let payments: Vec<&str> = lines.filter(|l| !l.trim().is_empty()).collect();
    let unit_column = header.split(',').position(|h| h == "unit_code").expect("unit_code column");

    // In thousands, in file order.
    let thousands: Vec<Vec<&str>> = payments.chunks(1_000).map(<[&str]>::to_vec).collect();
    // Random sizes, the units interleaved at random, each unit's payments in their order.
    let mut queues: std::collections::BTreeMap<&str, std::collections::VecDeque<&str>> = Default::default();
    for p in &payments {
        let unit = p.split(',').nth(unit_column).expect("unit");
        queues.entry(unit).or_default().push_back(p);
    }
    let mut cuts = Cuts(0x9E37_79B9_7F4A_7C15);
    let mut interleaved = Vec::new();
    let mut units: Vec<&str> = queues.keys().copied().collect();
    while !units.is_empty() {
        let at = cuts.next(units.len() as u64) as usize;
        let q = queues.get_mut(units[at]).expect("queue");
        for _ in 0..=cuts.next(4) {
            if let Some(p) = q.pop_front() {
                interleaved.push(p);
            }
        }
        if q.is_empty() {
            units.remove(at);
        }
    }
    assert_eq!(interleaved.len(), payments.len());
    let mut random = Vec::new();
    let mut rest = interleaved.as_slice();
    while !rest.is_empty() {
        let n = (1 + cuts.next(300) as usize).min(rest.len());
        random.push(rest[..n].to_vec());
        rest = &rest[n..];
    }

    let (whole, by_thousand, at_random, served) =
        (databases().await, databases().await, databases().await, databases().await);
    for (((a, b), c), d) in whole.iter().zip(&by_thousand).zip(&at_random).zip(&served) {
        for db in [a, b, c, d] {
            import_kinds(db, data.path(), &before).await;
        }
        import_kinds(a, data.path(), &[Kind::Payments]).await;
        import_batches(b, header, &thousands).await;
        import_batches(c, header, &random).await;
        import_as_server(d, header, &random).await;
        for db in [a, b, c, d] {
            import_kinds(db, data.path(), &after).await;
        }
        let (wa, ba) = state(a).await;
        let at_payment = wa.len();
        assert!(at_payment > 0, "{}: the payments raise warnings", a.name);
        assert_eq!(state(b).await, (wa.clone(), ba.clone()), "{}: in thousands", a.name);
        assert_eq!(state(c).await, (wa.clone(), ba.clone()), "{}: cut at random, units interleaved", a.name);
        assert_eq!(state(d).await, (wa, ba), "{}: as the server's writer, with another writer between", a.name);
        let end = bw_core::Date::parse("2025-12-31").expect("date");
        for db in [a, b, c, d] {
            bw_app::monitor::check(&db.store, &ctx(), end).await.expect("check");
        }
        let checked = state(a).await;
        assert!(checked.0.len() > at_payment, "{}: the check adds the scheduled rules' warnings", a.name);
        assert_eq!(state(b).await, checked, "{}: checked, in thousands", a.name);
        assert_eq!(state(c).await, checked, "{}: checked, cut at random", a.name);
        assert_eq!(state(d).await, checked, "{}: checked, as the server's writer", a.name);
    }
}
