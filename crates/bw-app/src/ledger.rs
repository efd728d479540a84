//! Reading the journal as a Merkle log: entries, tree heads and RFC 6962 proofs, computed
//! from the stored tiles (a proof reads O(log n) tiles and never rehashes the log).

use bw_ledger::merkle::{self, MissingNode, NodeSource, TILE_HEIGHT, TILE_WIDTH};
use bw_ledger::{Hash, hex};
use bw_store::{Store, StoreError};
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Range(String),
    #[error("journal tiles incomplete: {0}")]
    Tiles(#[from] MissingNode),
}

/// Notes which tiles a computation reads, answering with placeholder hashes.
#[derive(Default)]
struct Recorder(BTreeSet<(u32, u64)>);

impl NodeSource for Recorder {
    type Error = MissingNode;
    fn node(&mut self, level: u32, index: u64) -> Result<Hash, MissingNode> {
        let first = index << (level % TILE_HEIGHT);
        self.0.insert((level / TILE_HEIGHT, first / TILE_WIDTH));
        Ok([0; 32])
    }
}

/// Runs `f` over the stored tiles: once to learn which tiles it reads, then for real on
/// those tiles fetched up front.
async fn with_tiles<T>(
    store: &Store,
    f: impl Fn(&mut dyn FnMut(u32, u64) -> Result<Hash, MissingNode>) -> Result<T, MissingNode>,
) -> Result<T, LedgerError> {
    let mut rec = Recorder::default();
    f(&mut |l, i| rec.node(l, i))?;
    let mut tiles: HashMap<(u32, u64), Vec<Hash>> = HashMap::new();
    for (l, i) in rec.0 {
        tiles.insert((l, i), store.tile(l, i).await?);
    }
    let mut src = merkle::TileSource {
        tile: |l: u32, i: u64| tiles.get(&(l, i)).cloned().ok_or(MissingNode { level: l * TILE_HEIGHT, index: i }),
    };
    Ok(f(&mut |l, i| src.node(l, i))?)
}

struct FnSource<'a>(&'a mut dyn FnMut(u32, u64) -> Result<Hash, MissingNode>);

impl NodeSource for FnSource<'_> {
    type Error = MissingNode;
    fn node(&mut self, level: u32, index: u64) -> Result<Hash, MissingNode> {
        (self.0)(level, index)
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
    let r = with_tiles(store, |n| merkle::root(&mut FnSource(n), size)).await?;
    Ok((size, r))
}

/// `{"size":N,"root":…,"proof":[…],"index":I}` for leaf `index`.
pub async fn prove_inclusion(store: &Store, index: u64, size: Option<u64>) -> Result<serde_json::Value, LedgerError> {
    let size = size_or_current(store, size).await?;
    if index >= size {
        return Err(LedgerError::Range(format!("entry {index} is not in a tree of {size} entries")));
    }
    let (root, proof) = with_tiles(store, |n| {
        let mut src = FnSource(n);
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
        let mut src = FnSource(n);
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

/// Standard base64 with padding (RFC 4648 §4).
pub fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n =
            (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        out.push(char::from(T[(n >> 18) as usize & 63]));
        out.push(char::from(T[(n >> 12) as usize & 63]));
        out.push(if c.len() > 1 { char::from(T[(n >> 6) as usize & 63]) } else { '=' });
        out.push(if c.len() > 2 { char::from(T[n as usize & 63]) } else { '=' });
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (i, o) in cases {
            assert_eq!(super::base64(i.as_bytes()), o);
        }
    }
}
