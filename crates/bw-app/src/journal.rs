//! Single journaled actions outside imports (settings, calendar years): one transaction
//! that appends the entry and updates the projection.

use crate::Ctx;
use bw_ledger::{Header, encode};
use bw_store::{JournalWriter, Store, StoreError, Tx};

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
}

impl From<bw_store::sqlx::Error> for ActionError {
    fn from(e: bw_store::sqlx::Error) -> ActionError {
        ActionError::Store(StoreError::Sql(e))
    }
}

/// Runs `apply` in a write transaction after appending one entry (`action`, `data`);
/// `apply` gets the entry's journal index for the projection rows it writes.
pub async fn act<T, F>(
    store: &Store,
    ctx: &Ctx,
    action: &str,
    reason: &str,
    data: &T,
    apply: F,
) -> Result<i64, ActionError>
where
    T: serde::Serialize,
    F: for<'a> AsyncFnOnce(&'a mut Tx, i64) -> Result<(), ActionError>,
{
    let (mut tx, size) = store.begin_write().await?;
    let header = Header { action, actor: &ctx.actor, at: ctx.at, reason, batch: None };
    let entry = encode(&header, data).map_err(|e| ActionError::Invalid(e.to_string()))?;
    let mut journal = JournalWriter::new(size, store, ctx.at);
    let idx = journal.append(entry);
    apply(&mut tx, idx).await?;
    journal.finish(&mut tx).await?;
    tx.commit().await?;
    Ok(idx)
}
