//! `ledger export DIR` and `ledger verify-export DIR --key K`: the journal as plain files a
//! third party verifies with nothing but those files and the installation's public key.
//!
//! The layout is C2SP `tlog-tiles` (see `bw_ledger::layout`): `checkpoint` (the latest
//! signed checkpoint; the export covers exactly its tree), `tile/<L>/<N>` hash tiles,
//! `tile/entries/<N>` entry bundles; plus `checkpoints/<size>`, every earlier signed
//! checkpoint, and `cosignatures/<size>`, witnesses' cosignature lines for a checkpoint.

use bw_core::action::Action;
use bw_ledger::hex;
use bw_ledger::layout::{BundleError, bundle_entries, bundle_path, bundle_push, tile_path};
use bw_ledger::merkle::{self, MemoryTree, TILE_HEIGHT, TILE_WIDTH};
use bw_ledger::note::{Checkpoint, Verifier};
use bw_store::sqlx::{self, Row};
use bw_store::{Store, StoreError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("entry {index}: {source}")]
    Bundle { index: u64, source: BundleError },
    #[error("{0}")]
    Refused(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io { path: path.to_path_buf(), source }
}

fn write_file(dir: &Path, rel: &str, bytes: &[u8]) -> Result<(), ExportError> {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    std::fs::write(&path, bytes).map_err(io(&path))
}

/// What an export wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Exported {
    pub size: u64,
    pub root: String,
    pub checkpoints: u64,
    pub tiles: u64,
    pub bundles: u64,
}

/// Writes the journal up to the latest signed checkpoint into `dir` (which must be empty
/// or absent, so an export is never a mix of two).
pub async fn export(store: &Store, dir: &Path) -> Result<Exported, ExportError> {
    if dir.exists() && std::fs::read_dir(dir).map_err(io(dir))?.next().is_some() {
        return Err(ExportError::Refused(format!("{} is not empty: export into a new directory", dir.display())));
    }
    let pool = store.pool();
    let rows = sqlx::query("SELECT size, note FROM checkpoints ORDER BY size")
        .fetch_all(pool)
        .await
        .map_err(StoreError::from)?;
    let mut notes = Vec::new();
    for r in &rows {
        notes.push((
            r.try_get::<i64, _>(0).map_err(StoreError::from)? as u64,
            r.try_get::<String, _>(1).map_err(StoreError::from)?,
        ));
    }
    let Some((size, latest)) = notes.last().cloned() else {
        return Err(ExportError::Refused("the journal has no signed checkpoint yet: nothing to export".into()));
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut tree = MemoryTree::new(store.suite());
    let mut bundle = Vec::new();
    let mut bundles = 0;
    let mut at = 0u64;
    while at < size {
        let upto = (at + 16 * TILE_WIDTH).min(size);
        for (idx, leaf, entry) in store.journal_range(at as i64, upto as i64).await? {
            let idx = idx as u64;
            if idx != tree.size() {
                return Err(ExportError::Refused(format!("entry {} is missing from the journal", tree.size())));
            }
            tree.push(leaf.as_slice().try_into().unwrap_or([0; 32]));
            bundle_push(&mut bundle, &entry).map_err(|source| ExportError::Bundle { index: idx, source })?;
            if (idx + 1).is_multiple_of(TILE_WIDTH) || idx + 1 == size {
                let width = idx % TILE_WIDTH + 1;
                write_file(dir, &bundle_path(idx / TILE_WIDTH, width), &bundle)?;
                bundle.clear();
                bundles += 1;
            }
        }
        if tree.size() < upto {
            return Err(ExportError::Refused(format!("entry {} is missing from the journal", tree.size())));
        }
        at = upto;
    }
    let tiles = merkle::tiles_touched(&tree, 0, size);
    for (level, index, hashes) in &tiles {
        write_file(dir, &tile_path(*level, *index, hashes.len() as u64), &hashes.concat())?;
    }
    for (n, note) in &notes {
        write_file(dir, &format!("checkpoints/{n}"), note.as_bytes())?;
    }
    for (n, lines) in crate::witness::cosignature_lines(store).await? {
        write_file(dir, &format!("cosignatures/{n}"), lines.as_bytes())?;
    }
    write_file(dir, "checkpoint", latest.as_bytes())?;
    let root = merkle::root(&mut tree, size).map_err(|e| ExportError::Refused(e.to_string()))?;
    Ok(Exported { size, root: hex(&root), checkpoints: notes.len() as u64, tiles: tiles.len() as u64, bundles })
}

/// The result of checking an export.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExportReport {
    pub ok: bool,
    pub origin: String,
    pub size: u64,
    pub root: String,
    pub checkpoints: u64,
    pub cosignatures: u64,
    pub tiles: u64,
    pub failures: Vec<String>,
}

/// Checks an export with nothing but its files and the log's verifier key: every
/// checkpoint's signature, every entry's leaf hash rebuilt into the tree, each checkpoint's
/// root at its size (so all are consistent with one another), every tile file, and every
/// cosignature against the witness keys given.
pub fn verify_export(dir: &Path, key: &str, witness_keys: &[String]) -> Result<ExportReport, ExportError> {
    let verifier = Verifier::parse(key).map_err(|e| ExportError::Refused(format!("--key: {e}")))?;
    let mut failures = Vec::new();
    let read = |rel: &str| -> Result<Vec<u8>, ExportError> {
        let p = dir.join(rel);
        std::fs::read(&p).map_err(io(&p))
    };
    // A checkpoint's body, read before its signature is checked: which key must have
    // signed it depends on the key rotations the entries record.
    let body = |name: &str, note: &str| -> Result<Checkpoint, String> {
        let (text, _) = bw_ledger::note::split_note(note).map_err(|e| format!("{name}: {e}"))?;
        let cp = Checkpoint::parse(text).map_err(|e| format!("{name}: {e}"))?;
        if cp.origin != verifier.name {
            return Err(format!("{name}: origin {:?} is not the key's name {:?}", cp.origin, verifier.name));
        }
        if bw_ledger::Suite::of_origin(&cp.origin) != verifier.suite() {
            return Err(format!("{name}: origin {:?} records another algorithm than the key's", cp.origin));
        }
        Ok(cp)
    };
    let latest_note = String::from_utf8_lossy(&read("checkpoint")?).into_owned();
    let latest = body("checkpoint", &latest_note).map_err(ExportError::Refused)?;
    let size = latest.size;
    // Entries → leaves → tree.
    let suite = verifier.suite();
    let mut tree = MemoryTree::new(suite);
    let mut rotations = Vec::new();
    let mut tile = 0u64;
    while tree.size() < size {
        let width = (size - tile * TILE_WIDTH).min(TILE_WIDTH);
        let rel = bundle_path(tile, width);
        let bytes = match read(&rel) {
            Ok(b) => b,
            Err(e) => {
                failures.push(format!("{e}"));
                break;
            }
        };
        match bundle_entries(&bytes) {
            Ok(entries) if entries.len() as u64 == width => {
                for e in entries {
                    let idx = tree.size();
                    match bw_ledger::decode(e) {
                        Err(err) => failures.push(format!("entry {idx}: not a journal entry: {err}")),
                        Ok(d) if d.action == Action::KeyRotate => {
                            let k = |f: &str| d.data[f].as_str().unwrap_or_default().to_string();
                            rotations.push((idx, k("old"), k("new")));
                        }
                        Ok(_) => {}
                    }
                    tree.push(suite.leaf(e));
                }
            }
            Ok(entries) => {
                failures.push(format!("{rel}: holds {} entries, its name says {width}", entries.len()));
                break;
            }
            Err(e) => {
                failures.push(format!("{rel}: {e}"));
                break;
            }
        }
        tile += 1;
    }
    let chain = crate::ledger::KeyChain::new(key, &rotations);
    for (idx, detail) in &chain.problems {
        failures.push(format!("entry {idx}: {detail}"));
    }
    if !chain.contains(key) {
        failures.push(format!("the key {key} is not this log's (its key is {})", chain.current()));
    }
    let complete = tree.size() == size;
    let root = if complete { merkle::root(&mut tree, size).ok() } else { None };
    // Checkpoints: the latest and every earlier one, each signed by the key of its era.
    let mut notes = vec![("checkpoint".to_string(), latest_note)];
    let cp_dir = dir.join("checkpoints");
    if cp_dir.is_dir() {
        let mut names: Vec<_> = std::fs::read_dir(&cp_dir)
            .map_err(io(&cp_dir))?
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        names.sort_by_key(|n| n.parse::<u64>().unwrap_or(u64::MAX));
        for name in names {
            let rel = format!("checkpoints/{name}");
            notes.push((rel.clone(), String::from_utf8_lossy(&read(&rel)?).into_owned()));
        }
    }
    let mut bodies = Vec::new();
    for (rel, note) in notes {
        match body(&rel, &note) {
            Ok(cp) => bodies.push((rel, note, cp)),
            Err(e) => failures.push(e),
        }
    }
    let mut sizes: Vec<u64> = bodies.iter().map(|b| b.2.size).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let mut all = Vec::new();
    for (rel, note, cp) in bodies {
        let era = chain.era(cp.size);
        let first = sizes.iter().find(|s| chain.era(**s) == era) == Some(&cp.size);
        match crate::ledger::open_with_all(&note, &chain.keys(era, first)) {
            Err(e) => failures.push(format!("{rel}: {e}")),
            Ok(cp) if rel != "checkpoint" && cp.size.to_string() != rel["checkpoints/".len()..] => {
                failures.push(format!(
                    "{rel}: signed for size {}, filed under {}",
                    cp.size,
                    &rel["checkpoints/".len()..]
                ));
            }
            Ok(cp) => all.push((rel, cp)),
        }
    }
    let mut checked = BTreeMap::new();
    for (name, cp) in &all {
        if cp.size > size {
            failures.push(format!("{name}: signed for {} entries, more than the latest checkpoint's {size}", cp.size));
        } else if complete && merkle::root(&mut tree, cp.size).ok() != Some(cp.root) {
            failures.push(format!(
                "{name}: its root is not the root of the exported entries at size {}: the history differs",
                cp.size
            ));
        }
        checked.insert(cp.size, cp.clone());
    }
    // Tiles, if the entries were whole.
    let mut tiles = 0;
    if complete {
        for (level, index, hashes) in merkle::tiles_touched(&tree, 0, size) {
            tiles += 1;
            let rel = tile_path(level, index, hashes.len() as u64);
            match read(&rel) {
                Ok(b) if b == hashes.concat() => {}
                Ok(_) => failures.push(format!(
                    "{rel}: differs from the tree of the exported entries (level {}, hashes from {})",
                    level * TILE_HEIGHT,
                    index * TILE_WIDTH
                )),
                Err(e) => failures.push(e.to_string()),
            }
        }
    }
    // Cosignatures.
    let witnesses: Vec<crate::witness::WitnessKey> = witness_keys
        .iter()
        .map(|k| crate::witness::WitnessKey::parse(k).map_err(|e| ExportError::Refused(format!("--witness {k}: {e}"))))
        .collect::<Result<_, _>>()?;
    let mut cosignatures = 0;
    let co_dir = dir.join("cosignatures");
    if co_dir.is_dir() {
        for e in std::fs::read_dir(&co_dir).map_err(io(&co_dir))? {
            let name = e.map_err(io(&co_dir))?.file_name().to_string_lossy().into_owned();
            let rel = format!("cosignatures/{name}");
            let Some(cp) = name.parse::<u64>().ok().and_then(|n| checked.get(&n)) else {
                failures.push(format!("{rel}: no signed checkpoint of that size in the export"));
                continue;
            };
            let text = String::from_utf8_lossy(&read(&rel)?).into_owned();
            for line in text.lines().filter(|l| !l.is_empty()) {
                cosignatures += 1;
                match witnesses.iter().find(|w| line.starts_with(&format!("\u{2014} {} ", w.name))) {
                    Some(w) => {
                        if let Err(err) = w.verify_line(&cp.text(), line) {
                            failures.push(format!("{rel}: cosignature by {}: {err}", w.name));
                        }
                    }
                    None if witnesses.is_empty() => {}
                    None => failures.push(format!("{rel}: a cosignature by a witness whose key was not given: {line}")),
                }
            }
        }
    }
    let root_hex = root.map(|r| hex(&r)).unwrap_or_default();
    Ok(ExportReport {
        ok: failures.is_empty(),
        origin: latest.origin,
        size,
        root: root_hex,
        checkpoints: all.len() as u64,
        cosignatures,
        tiles,
        failures,
    })
}
