//! Reading the journal as a Merkle log: entries, tree heads and RFC 6962 proofs, computed
//! from the stored tiles (a proof reads O(log n) tiles and never rehashes the log).

use bw_ledger::merkle::{self, MissingNode, NodeSource, TILE_HEIGHT};
use bw_ledger::note::{Checkpoint, Verifier, base64};
use bw_ledger::{Hash, Suite, hex};
use bw_store::{Store, StoreError};
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Range(String),
    #[error("journal tiles incomplete: {0}")]
    Tiles(#[from] MissingNode),
}

/// Runs `f` over the stored tiles: once to learn which tiles it reads, then for real on
/// those tiles fetched up front.
async fn with_tiles<T>(
    store: &Store,
    f: impl Fn(&mut dyn FnMut(u32, u64) -> Result<Hash, MissingNode>) -> Result<T, MissingNode>,
) -> Result<T, LedgerError> {
    let mut rec = merkle::TileRecorder::default();
    f(&mut |l, i| rec.node(l, i))?;
    let wanted: Vec<(u32, u64)> = rec.0.into_iter().collect();
    let tiles: HashMap<(u32, u64), Vec<Hash>> = store.tiles(&wanted).await?;
    let mut src = merkle::TileSource {
        tile: |l: u32, i: u64| tiles.get(&(l, i)).cloned().ok_or(MissingNode { level: l * TILE_HEIGHT, index: i }),
        suite: store.suite(),
    };
    Ok(f(&mut |l, i| src.node(l, i))?)
}

struct FnSource<'a>(&'a mut dyn FnMut(u32, u64) -> Result<Hash, MissingNode>, Suite);

impl NodeSource for FnSource<'_> {
    type Error = MissingNode;
    fn node(&mut self, level: u32, index: u64) -> Result<Hash, MissingNode> {
        (self.0)(level, index)
    }
    fn suite(&self) -> Suite {
        self.1
    }
}

async fn size_or_current(store: &Store, size: Option<u64>) -> Result<u64, LedgerError> {
    let current = store.journal_size().await? as u64;
    match size {
        None => Ok(current),
        Some(n) if n <= current => Ok(n),
        Some(n) => Err(LedgerError::Range(format!("the journal has {current} entries, not {n}"))),
    }
}

/// The tree head at `size` (default: the whole journal).
pub async fn root(store: &Store, size: Option<u64>) -> Result<(u64, Hash), LedgerError> {
    let size = size_or_current(store, size).await?;
    let r = with_tiles(store, |n| merkle::root(&mut FnSource(n, store.suite()), size)).await?;
    Ok((size, r))
}

/// `{"size":N,"root":…,"proof":[…],"index":I}` for leaf `index`.
pub async fn prove_inclusion(store: &Store, index: u64, size: Option<u64>) -> Result<serde_json::Value, LedgerError> {
    let size = size_or_current(store, size).await?;
    if index >= size {
        return Err(LedgerError::Range(format!("entry {index} is not in a tree of {size} entries")));
    }
    let (root, proof) = with_tiles(store, |n| {
        let mut src = FnSource(n, store.suite());
        Ok((merkle::root(&mut src, size)?, merkle::inclusion_proof(&mut src, index, size)?))
    })
    .await?;
    Ok(serde_json::json!({
        "size": size,
        "root": hex(&root),
        "proof": proof.iter().map(|h| hex(h)).collect::<Vec<_>>(),
        "index": index,
    }))
}

/// `{"size":N,"root":…,"proof":[…],"old":M,"old_root":…}` from `old` entries to `new`.
pub async fn prove_consistency(store: &Store, old: u64, new: Option<u64>) -> Result<serde_json::Value, LedgerError> {
    let new = size_or_current(store, new).await?;
    if old == 0 || old > new {
        return Err(LedgerError::Range(format!("a consistency proof needs 0 < old ≤ new, not {old} and {new}")));
    }
    let (old_root, root, proof) = with_tiles(store, |n| {
        let mut src = FnSource(n, store.suite());
        Ok((merkle::root(&mut src, old)?, merkle::root(&mut src, new)?, merkle::consistency_proof(&mut src, old, new)?))
    })
    .await?;
    Ok(serde_json::json!({
        "size": new,
        "root": hex(&root),
        "proof": proof.iter().map(|h| hex(h)).collect::<Vec<_>>(),
        "old": old,
        "old_root": hex(&old_root),
    }))
}

/// Entries `from..to` as NDJSON lines `{"index":I,"leaf_hash":…,"entry":"<base64>"}`.
pub async fn dump(store: &Store, from: u64, to: Option<u64>, mut line: impl FnMut(String)) -> Result<(), LedgerError> {
    let end = size_or_current(store, to).await?;
    let chunk = 10_000u64;
    let mut at = from;
    while at < end {
        let upto = (at + chunk).min(end);
        for (idx, leaf, entry) in store.journal_range(at as i64, upto as i64).await? {
            line(format!("{{\"index\":{idx},\"leaf_hash\":\"{}\",\"entry\":\"{}\"}}", hex(&leaf), base64(&entry)));
        }
        at = upto;
    }
    Ok(())
}

/// `ledger check-consistency --since FILE`: proves the current journal extends the signed
/// checkpoint `note` saved earlier. Returns the proof as JSON with `"consistent"`; an error
/// names why the note cannot be checked at all.
pub async fn check_consistency(store: &Store, note: &str) -> Result<serde_json::Value, LedgerError> {
    let key = store
        .meta("verifier_key")
        .await?
        .ok_or_else(|| LedgerError::Range("this log has no verifier key recorded".into()))?;
    let verifier = Verifier::parse(&key).map_err(|e| LedgerError::Range(format!("the recorded verifier key: {e}")))?;
    let text = verifier
        .open(note)
        .map_err(|e| LedgerError::Range(format!("the saved checkpoint is not signed by this log's key: {e}")))?;
    let old = Checkpoint::parse(text).map_err(|e| LedgerError::Range(format!("the saved checkpoint: {e}")))?;
    let size = size_or_current(store, None).await?;
    if old.size > size {
        return Ok(serde_json::json!({
            "consistent": false,
            "old": old.size,
            "old_root": hex(&old.root),
            "size": size,
            "detail": format!("the log has {size} entries, fewer than the {} of the saved checkpoint: entries were removed", old.size),
        }));
    }
    let mut out = if old.size == 0 {
        let (size, root) = root(store, Some(size)).await?;
        serde_json::json!({"size": size, "root": hex(&root), "proof": [], "old": 0, "old_root": hex(&store.suite().empty_root())})
    } else {
        prove_consistency(store, old.size, Some(size)).await?
    };
    let proof: Vec<Hash> = out["proof"]
        .as_array()
        .map(|a| a.iter().filter_map(|h| h.as_str().and_then(unhex)).collect())
        .unwrap_or_default();
    let new_root = out["root"].as_str().and_then(unhex).unwrap_or_default();
    let consistent = merkle::verify_consistency(store.suite(), old.size, size, &old.root, &new_root, &proof);
    out["old_root"] = hex(&old.root).into();
    out["consistent"] = consistent.into();
    if !consistent {
        out["detail"] = format!(
            "the current log of {size} entries does not extend the saved checkpoint of {} entries: history was rewritten",
            old.size
        )
        .into();
    }
    Ok(out)
}

fn unhex(s: &str) -> Option<Hash> {
    if s.len() != 64 {
        return None;
    }
    let mut h = [0u8; 32];
    for (i, b) in h.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(h)
}

/// The organisation node an entry's record belongs to, and whether the record is a payment:
/// an organisation node itself, a payment, indicator, contract or project's unit, a revenue's region, a warning's unit or
/// region. `None` for entries of no unit (settings, accounts, calendar years, …).
pub async fn entry_unit(store: &Store, index: u64) -> Result<Option<(String, bool)>, StoreError> {
    use bw_store::sqlx::{self, Row};
    let idx = i64::try_from(index).unwrap_or(i64::MAX);
    if let Some(r) = sqlx::query("SELECT unit_code FROM payments WHERE journal_idx = $1")
        .bind(idx)
        .fetch_optional(store.pool())
        .await?
    {
        return Ok(Some((r.try_get(0)?, true)));
    }
    for sql in [
        "SELECT code FROM units WHERE journal_idx = $1",
        "SELECT unit_code FROM indicators WHERE journal_idx = $1",
        "SELECT unit_code FROM contracts WHERE journal_idx = $1",
        "SELECT unit_code FROM projects WHERE journal_idx = $1",
        "SELECT region_code FROM revenues WHERE journal_idx = $1",
        "SELECT COALESCE(unit_code, region_code) FROM warnings WHERE journal_idx = $1",
    ] {
        if let Some(r) = sqlx::query(sql).bind(idx).fetch_optional(store.pool()).await?
            && let Some(code) = r.try_get::<Option<String>, _>(0)?
        {
            return Ok(Some((code, false)));
        }
    }
    Ok(None)
}
