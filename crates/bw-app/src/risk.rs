//! The risk register's service: each change is one journaled action (`bw_core::risk::Action`)
//! applied by `Register::apply`, the same function `verify` replays, and the changed risks'
//! documents written to `risk_register`.

use bw_core::risk::{Action, Register, Risk, RiskError};
use bw_store::Store;
use bw_store::sqlx::Row as _;

use crate::Ctx;
use crate::journal::{ActionError, act};

/// The matrix's row in `risk_register` (journal indexes, the risks' ids, start at 0).
const MATRIX_ROW: i64 = -1;

fn decode(rows: Vec<(i64, String)>) -> Result<Register, ActionError> {
    let mut reg = Register::default();
    for (id, doc) in rows {
        let bad = |e: serde_json::Error| ActionError::Invalid(format!("risk_register row {id}: {e}"));
        if id == MATRIX_ROW {
            reg.matrix = serde_json::from_str(&doc).map_err(bad)?;
        } else {
            reg.risks.insert(id, serde_json::from_str::<Risk>(&doc).map_err(bad)?);
        }
    }
    Ok(reg)
}

/// The register as stored.
pub async fn load(store: &Store) -> Result<Register, ActionError> {
    let rows: Vec<(i64, String)> =
        bw_store::sqlx::query_as("SELECT id, doc FROM risk_register ORDER BY id").fetch_all(store.pool()).await?;
    decode(rows)
}

/// The stored rows an applied action changes: (id, document).
pub fn rows(reg: &Register, action: &Action, changed: &[i64]) -> Result<Vec<(i64, String)>, serde_json::Error> {
    let mut out = Vec::with_capacity(changed.len() + 1);
    if matches!(action, Action::Matrix { .. }) {
        out.push((MATRIX_ROW, serde_json::to_string(&reg.matrix)?));
    }
    for id in changed {
        if let Some(r) = reg.risks.get(id) {
            out.push((*id, serde_json::to_string(r)?));
        }
    }
    Ok(out)
}

/// Why an action on the register was not taken.
#[derive(Debug, thiserror::Error)]
pub enum TakeError {
    /// The register's own rule refused it (nothing was written).
    #[error("{0} ({code})", code = .0.code())]
    Refused(RiskError),
    #[error(transparent)]
    Action(#[from] ActionError),
}

/// Takes `action`: checked against the register first (a refusal writes nothing), then
/// journaled and applied. The entry's journal index (a new risk's id).
pub async fn take(store: &Store, ctx: &Ctx, action: Action) -> Result<i64, TakeError> {
    // Refused before anything is written; applied again inside the transaction below.
    load(store).await?.apply(&action, i64::MAX).map_err(TakeError::Refused)?;
    let reason = ctx.reason.clone().unwrap_or_else(|| action.name().to_string());
    let name = action.name();
    let data = action.clone();
    let idx = act(store, ctx, name, &reason, &data, async move |tx, idx| {
        // Read again inside the write transaction: the register as the entry finds it.
        let stored =
            bw_store::sqlx::query("SELECT id, doc FROM risk_register ORDER BY id").fetch_all(&mut **tx).await?;
        let stored: Vec<(i64, String)> =
            stored.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_, bw_store::sqlx::Error>>()?;
        let mut reg = decode(stored)?;
        let changed = reg.apply(&action, idx).map_err(|e| ActionError::Invalid(format!("{} ({})", e, e.code())))?;
        let rows = rows(&reg, &action, &changed).map_err(|e| ActionError::Invalid(e.to_string()))?;
        for (id, doc) in rows {
            bw_store::sqlx::query(
                "INSERT INTO risk_register (id, doc, journal_idx) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, journal_idx = excluded.journal_idx",
            )
            .bind(id)
            .bind(doc)
            .bind(idx)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    })
    .await?;
    Ok(idx)
}
