//! budgetwatch application services: each command or query is one function, one
//! transaction. The CLI and the web server call these and nothing below them.

pub mod approval;
pub mod audit;
pub mod browse;
pub mod budget;
pub mod calendar;
pub mod classified;
pub mod cluster;
pub mod demo;
pub mod documents;
pub mod drill;
pub mod emergency;
pub mod events;
pub mod export;
pub mod feedback;
pub mod findings;
pub mod forecasts;
pub mod guard;
pub mod hold;
pub mod import;
pub mod informal;
pub mod journal;
pub mod ledger;
pub mod library;
pub mod matters;
pub mod meetings;
pub mod milestones;
pub mod monitor;
pub mod overview;
pub mod performance;
pub mod personal;
pub mod public;
pub mod report;
pub mod reviews;
pub mod risk;
pub mod scene;
pub mod settings;
pub mod simulation;
pub mod source;
pub mod table;
pub mod template;
pub mod users;
pub mod verify;
pub mod witness;
pub mod zone;

use bw_core::Timestamp;

/// Who acts, when, and why: given by the caller (the binary reads the clock).
#[derive(Clone, Debug)]
pub struct Ctx {
    pub actor: String,
    pub at: Timestamp,
    /// The installation's date at `at`, in its time zone (`zone`): the day things are
    /// judged and dated on.
    pub today: bw_core::Date,
    pub reason: Option<String>,
    /// Fresh randomness from the caller, from which the salts of personal-data commitments
    /// are derived (the application reads no random source, as it reads no clock).
    pub entropy: [u8; 32],
}

/// Rows in one of the known tables (for `status`).
pub async fn count(store: &bw_store::Store, table: &str) -> Result<i64, bw_store::StoreError> {
    const TABLES: &[&str] = &[
        "units",
        "projects",
        "indicators",
        "contracts",
        "payments",
        "revenues",
        "revenue_targets",
        "batches",
        "settings",
    ];
    let Some(t) = TABLES.iter().find(|t| **t == table) else {
        return Ok(0);
    };
    use bw_store::sqlx::Row;
    let sql = format!("SELECT COUNT(*) FROM {t}");
    let row = bw_store::sqlx::query(bw_store::sqlx::AssertSqlSafe(sql)).fetch_one(store.pool()).await?;
    Ok(row.try_get(0)?)
}

/// Import batches whose recorded reason is not `reason` (the demo replaces only its own
/// database).
pub async fn count_batches_not_by_reason(store: &bw_store::Store, reason: &str) -> Result<i64, bw_store::StoreError> {
    use bw_store::sqlx::Row;
    let n: i64 = bw_store::sqlx::query("SELECT COUNT(*) FROM batches WHERE reason <> $1")
        .bind(reason.to_string())
        .fetch_one(store.pool())
        .await?
        .try_get(0)?;
    let settings: i64 =
        bw_store::sqlx::query("SELECT COUNT(*) FROM settings").fetch_one(store.pool()).await?.try_get(0)?;
    Ok(n + settings)
}

/// A 128-bit digest from two differently seeded SipHash runs: for in-memory identity of
/// keys and rows (not for anything an adversary chooses to collide; content identity that
/// matters is SHA-256).
pub fn digest128<T: std::hash::Hash + ?Sized>(value: &T) -> u128 {
    use std::hash::Hasher;
    let half = |seed: u8| {
        let mut h = std::hash::DefaultHasher::new();
        std::hash::Hash::hash(&seed, &mut h);
        value.hash(&mut h);
        h.finish()
    };
    (u128::from(half(1)) << 64) | u128::from(half(2))
}
