//! Reading the journal as a Merkle log: entries, tree heads and RFC 6962 proofs, computed
//! from the stored tiles (a proof reads O(log n) tiles and never rehashes the log).

use bw_core::action::Action;
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
/// `key` is the log's verifier key as the caller trusts it (never read from the database).
pub async fn check_consistency(store: &Store, key: &str, note: &str) -> Result<serde_json::Value, LedgerError> {
    let verifier = Verifier::parse(key).map_err(|e| LedgerError::Range(format!("the log's verifier key: {e}")))?;
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

pub fn unhex(s: &str) -> Option<Hash> {
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

/// Replaces the log's signing key with `new` (same origin and suite): a `key.rotate` entry
/// names the old and the new verifier key, and its commit's checkpoint carries both keys'
/// signatures, so whoever trusts either key can follow the log across the change. `meta`
/// records the new key in the same transaction. Returns the entry's index.
pub async fn rotate_key(
    store: &Store,
    ctx: &crate::Ctx,
    new: bw_ledger::note::Signer,
) -> Result<i64, crate::journal::ActionError> {
    use crate::journal::ActionError;
    let old = store.signer().ok_or_else(|| ActionError::Invalid("no signing key to rotate from".into()))?;
    if new.name() != old.name() || new.suite() != old.suite() {
        return Err(ActionError::Invalid(format!(
            "the new key must be of the log {} ({}), not {} ({})",
            old.name(),
            old.suite().name(),
            new.name(),
            new.suite().name()
        )));
    }
    let (old_key, new_key) = (old.verifier_key(), new.verifier_key());
    if old_key == new_key {
        return Err(ActionError::Invalid("the new key is the current key".into()));
    }
    let reason = ctx.reason.clone().ok_or_else(|| ActionError::Invalid("a key rotation needs --reason".into()))?;
    let header =
        bw_ledger::Header { action: Action::KeyRotate, actor: &ctx.actor, at: ctx.at, reason: &reason, batch: None };
    let entry = bw_ledger::encode(&header, &serde_json::json!({"old": old_key, "new": new_key}))
        .map_err(|e| ActionError::Invalid(e.to_string()))?;
    let (mut tx, size) = store.begin_write().await?;
    let mut journal = bw_store::JournalWriter::new(size, store, ctx.at);
    let idx = journal.append(entry);
    journal.also_sign_with(std::sync::Arc::new(new));
    bw_store::sqlx::query("UPDATE meta SET value = $1 WHERE key = 'verifier_key'")
        .bind(new_key)
        .execute(&mut *tx)
        .await?;
    journal.finish(&mut tx).await?;
    tx.commit().await?;
    Ok(idx)
}

/// The keys that signed a log over time, from its `key.rotate` entries: each era begins
/// with the first tree that holds its rotation entry. With no rotation, the trusted key is
/// the log's only key. A checkpoint is signed by its era's key, and the first of an era by
/// the key rotated from as well, so trust in any key of the chain extends to all of it.
#[derive(Debug, Clone)]
pub struct KeyChain {
    /// (first tree size of the era, verifier key).
    eras: Vec<(u64, String)>,
    /// Rotations from a key that was not the log's key then: (entry index, detail).
    pub problems: Vec<(u64, String)>,
}

impl KeyChain {
    /// `rotations`: (entry index, old key, new key), in journal order.
    pub fn new(trusted: &str, rotations: &[(u64, String, String)]) -> KeyChain {
        let Some((_, first, _)) = rotations.first() else {
            return KeyChain { eras: vec![(0, trusted.to_string())], problems: Vec::new() };
        };
        let mut chain = KeyChain { eras: vec![(0, first.clone())], problems: Vec::new() };
        for (idx, old, new) in rotations {
            let current = chain.current().to_string();
            if *old != current {
                chain
                    .problems
                    .push((*idx, format!("a key rotation from {old}, which was not the log's key then ({current})")));
            }
            chain.eras.push((idx + 1, new.clone()));
        }
        chain
    }

    /// The key the log signs with now.
    pub fn current(&self) -> &str {
        self.eras.last().map(|e| e.1.as_str()).unwrap_or_default()
    }

    /// Every key of the chain, oldest first.
    pub fn keys_all(&self) -> Vec<&str> {
        self.eras.iter().map(|e| e.1.as_str()).collect()
    }

    pub fn contains(&self, key: &str) -> bool {
        self.eras.iter().any(|e| e.1 == key)
    }

    /// The era of a checkpoint of `size` entries.
    pub fn era(&self, size: u64) -> usize {
        self.eras.iter().rposition(|(from, _)| *from <= size).unwrap_or(0)
    }

    /// The keys that must sign a checkpoint of `era`: two on the era's first checkpoint.
    pub fn keys(&self, era: usize, first_of_era: bool) -> Vec<&str> {
        let mut keys = vec![self.eras[era].1.as_str()];
        if era > 0 && first_of_era {
            keys.push(self.eras[era - 1].1.as_str());
        }
        keys
    }
}

/// Opens `note` with every key in `keys` (each must have signed it); its checkpoint body.
pub fn open_with_all(note: &str, keys: &[&str]) -> Result<Checkpoint, String> {
    let mut text = None;
    for key in keys {
        let v = Verifier::parse(key).map_err(|e| format!("the log's key is unusable: {e}"))?;
        text = Some(v.open(note).map_err(|e| format!("signature does not verify with the log's key {}: {e}", v.name))?);
    }
    let text = text.ok_or("no key")?;
    Checkpoint::parse(text).map_err(|e| format!("not a checkpoint: {e}"))
}

/// The roots of the perfect subtrees that make up the tree of `size` entries, left to
/// right (largest first), read from the stored tiles: (height, hash). Appending leaves to
/// them (`Frontier`) gives every later tree head without the earlier leaves.
pub async fn frontier(store: &Store, size: u64) -> Result<Vec<(u32, Hash)>, LedgerError> {
    with_tiles(store, |n| {
        let mut out = Vec::new();
        let mut offset = 0u64;
        for k in (0..64u32).rev() {
            if size & (1 << k) != 0 {
                out.push((k, n(k, offset >> k)?));
                offset += 1 << k;
            }
        }
        Ok(out)
    })
    .await
}

/// A compact range from the first entry: the perfect subtrees' roots, largest first.
pub struct Frontier {
    suite: Suite,
    nodes: Vec<(u32, Hash)>,
}

impl Frontier {
    pub fn new(suite: Suite, nodes: Vec<(u32, Hash)>) -> Frontier {
        Frontier { suite, nodes }
    }

    pub fn push(&mut self, leaf: Hash) {
        let mut h = (0u32, leaf);
        while let Some(&(k, left)) = self.nodes.last() {
            if k != h.0 {
                break;
            }
            self.nodes.pop();
            h = (k + 1, self.suite.node(&left, &h.1));
        }
        self.nodes.push(h);
    }

    /// The RFC 6962 root of the entries pushed so far.
    pub fn root(&self) -> Hash {
        let mut it = self.nodes.iter().rev();
        let Some(&(_, mut acc)) = it.next() else { return self.suite.empty_root() };
        for (_, n) in it {
            acc = self.suite.node(n, &acc);
        }
        acc
    }
}
