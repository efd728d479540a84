//! Monte Carlo runs kept in the journal (`simulation.run`): the scenario as run, with the
//! SHA-256 of the file it came from and of the result. The result follows from the scenario
//! alone (seed, paths; not the threads), so `verify` re-runs each and compares its digest.

use bw_core::action::Action;
use bw_forecast::simulate::{self, Outcome, Scenario};
use bw_store::Store;

use crate::Ctx;
use crate::journal::{ActionError, act};

/// The journal entry of a run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Run {
    pub scenario: Scenario,
    pub scenario_sha256: String,
    pub result_sha256: String,
}

/// The digest of a result: SHA-256 of its JSON.
pub fn result_sha256(out: &Outcome) -> String {
    bw_ledger::hex(&bw_ledger::sha256(serde_json::to_string(out).unwrap_or_default().as_bytes()))
}

/// Runs `scenario` (whose file's digest is `scenario_sha256`) and journals the run. The
/// entry's index (the run's id) and the result.
pub async fn record(
    store: &Store,
    ctx: &Ctx,
    scenario: Scenario,
    scenario_sha256: &str,
    threads: usize,
) -> Result<(i64, Outcome), ActionError> {
    let out = simulate::run(&scenario, threads).map_err(|e| ActionError::Invalid(e.to_string()))?;
    let run = Run { scenario, scenario_sha256: scenario_sha256.to_string(), result_sha256: result_sha256(&out) };
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("simulation {}", run.scenario.name));
    let (name, doc) = (run.scenario.name.clone(), serde_json::to_string(&run.scenario).unwrap_or_default());
    let (sha, result, by) = (run.scenario_sha256.clone(), run.result_sha256.clone(), ctx.actor.clone());
    let idx = act(store, ctx, Action::SimulationRun, &reason, &run, async move |tx, idx| {
        bw_store::sqlx::query(
            "INSERT INTO simulations (id, name, scenario, scenario_sha256, result_sha256, run_by, journal_idx) \
             VALUES ($1, $2, $3, $4, $5, $6, $1)",
        )
        .bind(idx)
        .bind(name)
        .bind(doc)
        .bind(sha)
        .bind(result)
        .bind(by)
        .execute(&mut **tx)
        .await?;
        Ok(())
    })
    .await?;
    Ok((idx, out))
}

/// A stored run: (id, name, run by, scenario, scenario digest, result digest).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Stored {
    pub id: i64,
    pub name: String,
    pub run_by: String,
    pub scenario: Scenario,
    pub scenario_sha256: String,
    pub result_sha256: String,
}

/// The runs, newest first (at most `limit`).
pub async fn list(store: &Store, limit: i64) -> Result<Vec<Stored>, ActionError> {
    let rows: Vec<(i64, String, String, String, String, String)> = bw_store::sqlx::query_as(
        "SELECT id, name, run_by, scenario, scenario_sha256, result_sha256 FROM simulations ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.into_iter()
        .map(|(id, name, run_by, scenario, scenario_sha256, result_sha256)| {
            let scenario =
                serde_json::from_str(&scenario).map_err(|e| ActionError::Invalid(format!("simulation {id}: {e}")))?;
            Ok(Stored { id, name, run_by, scenario, scenario_sha256, result_sha256 })
        })
        .collect()
}

/// One stored run.
pub async fn get(store: &Store, id: i64) -> Result<Option<Stored>, ActionError> {
    let row: Option<(String, String, String, String, String)> = bw_store::sqlx::query_as(
        "SELECT name, run_by, scenario, scenario_sha256, result_sha256 FROM simulations WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(store.pool())
    .await?;
    row.map(|(name, run_by, scenario, scenario_sha256, result_sha256)| {
        let scenario =
            serde_json::from_str(&scenario).map_err(|e| ActionError::Invalid(format!("simulation {id}: {e}")))?;
        Ok(Stored { id, name, run_by, scenario, scenario_sha256, result_sha256 })
    })
    .transpose()
}
