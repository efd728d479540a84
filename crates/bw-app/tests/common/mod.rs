//! Test databases: every test runs on a fresh SQLite file, and also on a fresh PostgreSQL
//! database when `BUDGETWATCH_TEST_PG` names a server (CI sets it).
#![allow(dead_code)]

use bw_app::Ctx;
use bw_core::Timestamp;
use bw_store::Store;
use bw_store::sqlx::{self, Row};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

pub struct TestDb {
    pub store: Store,
    pub name: &'static str,
    pub dir: tempfile::TempDir,
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// Fresh databases, one per backend available.
pub async fn databases() -> Vec<TestDb> {
    let mut out = Vec::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("test.db");
    let mut store = Store::open(path.to_str().expect("utf-8 path"), true).await.expect("sqlite store");
    store.set_signer(signer(), Some(dir.path().join("log.head"))).await.expect("signing key");
    out.push(TestDb { store, name: "sqlite", dir });
    if let Ok(url) = std::env::var("BUDGETWATCH_TEST_PG") {
        let db = format!("bw_{}_{}_{}", std::process::id(), SEQ.fetch_add(1, Ordering::SeqCst), nanos());
        sqlx::any::install_default_drivers();
        let admin = sqlx::AnyPool::connect(&url).await.expect("connect to BUDGETWATCH_TEST_PG");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
            .execute(&admin)
            .await
            .expect("create database");
        admin.close().await;
        let base = url.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(url.clone());
        let mut store = Store::open(&format!("{base}/{db}"), true).await.expect("postgres store");
        let dir = tempfile::tempdir().expect("tempdir");
        store.set_signer(signer(), Some(dir.path().join("log.head"))).await.expect("signing key");
        out.push(TestDb { store, name: "postgres", dir });
    }
    out
}

/// The test log's signing key (every commit needs its signed checkpoint).
pub fn signer() -> bw_ledger::note::Signer {
    bw_ledger::note::Signer::from_seed("budgetwatch.test/log", [3; 32]).expect("test key")
}

/// What `verify` trusts: the test log's key, from outside the database.
pub fn trust() -> bw_app::verify::Trust {
    bw_app::verify::Trust { key: signer().verifier_key(), witnesses: Vec::new(), head: None }
}

/// As `trust`, with the checkpoint kept beside the key of `db`.
pub fn trust_kept(db: &TestDb) -> bw_app::verify::Trust {
    let head = std::fs::read_to_string(db.dir.path().join("log.head"))
        .ok()
        .map(|t| bw_ledger::note::Checkpoint::parse(&t).expect("kept checkpoint"));
    bw_app::verify::Trust { head, ..trust() }
}

/// A per-process random tag, so parallel test runs never share a database name.
fn nanos() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new().build_hasher().finish() as u32
}

pub fn ctx() -> Ctx {
    // 2026-11-26T23:30:00Z, in an installation whose zone is UTC (the tests' dates were
    // written so); `zone_tests` tries the same instant in Beijing.
    let at = Timestamp(1_795_735_800);
    Ctx { actor: "test:alice".into(), at, today: at.date(), reason: None, entropy: [42; 32] }
}

pub fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).expect("write fixture");
    p
}

pub async fn count(store: &Store, table: &str) -> i64 {
    bw_app::count(store, table).await.expect("count")
}

pub async fn scalar(store: &Store, sql: &'static str) -> i64 {
    sqlx::query(sql).fetch_one(store.pool()).await.expect("query").try_get::<i64, _>(0).expect("i64")
}

/// A snapshot of what an import may change: journal size and every table's row count.
pub async fn snapshot(store: &Store) -> Vec<i64> {
    let mut v = vec![store.journal_size().await.expect("journal size")];
    for t in ["units", "projects", "indicators", "contracts", "payments", "revenues", "revenue_targets", "batches"] {
        v.push(count(store, t).await);
    }
    v.push(scalar(store, "SELECT CAST(COALESCE(SUM(paid), 0) AS BIGINT) FROM indicators").await);
    v.push(scalar(store, "SELECT CAST(COUNT(*) AS BIGINT) FROM journal").await);
    // Nothing is left behind in the COPY staging tables (PostgreSQL).
    v.push(scalar(store, "SELECT CAST(COUNT(*) AS BIGINT) FROM stage_payments").await);
    v.push(scalar(store, "SELECT CAST(COUNT(*) AS BIGINT) FROM stage_journal").await);
    v
}

pub const UNITS: &str = "code,name,parent_code,kind,level
P,示范省,,region,province
C1,江城市,P,region,city
K1,江山县,C1,region,county
D1,省教育厅,P,department,
U1,省实验中学,D1,unit,
D2,江山县财政局,K1,department,
U2,江山县财政局本级,D2,unit,
";

pub const PROJECTS: &str = "project_code,name,unit_code,category,start_year,end_year,total_amount,status,expires_on
XM1,校舍改造,U1,education,2026,2027,2000000.00,executing,
XM2,储备项目,U2,other,2027,2027,500000,reserve,2026-12-31
";

pub const INDICATORS: &str = "indicator_code,year,unit_code,project_code,functional_code,economic_code,gov_economic_code,fund_source,special,amount,control
I1,2026,U1,,2050203,30201,50201,general,false,100000.00,block
I2,2026,U1,XM1,2050203,31002,50306,special_transfer,true,1000000.00,block
I3,2026,U2,,2010601,30211,,general,false,20000.00,warn
";

pub async fn import_str(
    db: &TestDb,
    kind: bw_core::template::Kind,
    name: &str,
    body: &str,
) -> Result<bw_app::import::ImportReport, bw_app::import::ImportError> {
    let path = write(db.dir.path(), name, body);
    bw_app::import::import_file(&db.store, &ctx(), kind, &path, &Default::default()).await
}

/// Imports the basic organisation, projects and indicators; panics on failure.
pub async fn seed(db: &TestDb) {
    use bw_core::template::Kind;
    for (kind, name, body) in [
        (Kind::Units, "units.csv", UNITS),
        (Kind::Projects, "projects.csv", PROJECTS),
        (Kind::Indicators, "indicators.csv", INDICATORS),
    ] {
        import_str(db, kind, name, body).await.unwrap_or_else(|e| panic!("{}: seed {name}: {e:?}", db.name));
    }
}

/// The error lines of a refused import, with the temp directory stripped.
pub fn error_lines(db: &TestDb, r: Result<bw_app::import::ImportReport, bw_app::import::ImportError>) -> Vec<String> {
    match r {
        Err(bw_app::import::ImportError::Rejected { errors, .. }) => {
            let prefix = format!("{}/", db.dir.path().display());
            errors.iter().map(|e| e.to_string().replace(&prefix, "")).collect()
        }
        other => panic!("{}: expected a refusal, got {other:?}", db.name),
    }
}

/// The codes of a refused import's errors, in order.
pub fn error_codes(
    db: &TestDb,
    r: Result<bw_app::import::ImportReport, bw_app::import::ImportError>,
) -> Vec<&'static str> {
    match r {
        Err(bw_app::import::ImportError::Rejected { errors, .. }) => errors.iter().map(|e| e.code.id()).collect(),
        other => panic!("{}: expected a refusal, got {other:?}", db.name),
    }
}
