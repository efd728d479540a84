//! Witnesses (见证方): independent bodies — the audit office, the people's congress — that
//! cosign the log's published checkpoints after checking each is consistent with the last
//! one they signed (C2SP `tlog-cosignature`). The log registers their keys (journaled),
//! publishes a checkpoint on a schedule, and stores the cosignatures it receives; `verify`
//! and `verify-export` check them. The witness's own side, which runs on its machine and
//! keeps its own state, is `check_step`.

use crate::Ctx;
use crate::journal::{ActionError, act_projected};
use bw_core::Timestamp;
use bw_core::registers;
use bw_ledger::merkle;
use bw_ledger::note::{Checkpoint, CosignatureVerifier, NoteError, Verifier, split_note};
use bw_ledger::{Hash, hex};
use bw_store::sqlx::{self, Row};
use bw_store::{Store, StoreError};
use std::collections::BTreeMap;

/// A registered witness's key.
pub type WitnessKey = CosignatureVerifier;

impl From<NoteError> for ActionError {
    fn from(e: NoteError) -> ActionError {
        ActionError::Invalid(e.to_string())
    }
}

/// Registers a witness's cosignature key (`name+id+base64(0x04 ‖ key)`), as a journal entry.
pub async fn add(store: &Store, ctx: &Ctx, vkey: &str) -> Result<String, ActionError> {
    let key = WitnessKey::parse(vkey)?;
    let existing = sqlx::query("SELECT vkey FROM witnesses WHERE name = $1")
        .bind(key.name.clone())
        .fetch_optional(store.pool())
        .await?;
    if let Some(row) = existing {
        let known: String = row.try_get(0)?;
        return Err(ActionError::Invalid(if known == key.as_str() {
            format!("witness {} is already registered with this key", key.name)
        } else {
            format!("witness {} is already registered with another key: {known}", key.name)
        }));
    }
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("register witness {}", key.name));
    let data = registers::Entry::WitnessAdd(registers::WitnessAdd { name: key.name.clone(), key: key.as_str().into() });
    act_projected(store, ctx, data.action(), &reason, &data, |idx| Ok(registers::project(&data, idx, &ctx.actor)))
        .await?;
    Ok(key.name)
}

/// The registered witnesses (name, key).
pub async fn list(store: &Store) -> Result<Vec<(String, String)>, StoreError> {
    let rows = sqlx::query("SELECT name, vkey FROM witnesses ORDER BY name").fetch_all(store.pool()).await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

/// The text the installation's key signs when it publishes the checkpoint of `size`
/// entries at `at` (kept as `checkpoints.published_sig`, a signed note).
pub fn publication_text(origin: &str, size: i64, at: &str) -> String {
    format!("budgetwatch/publication/v1\n{origin}\n{size}\n{at}\n")
}

/// Publishes the latest checkpoint when the last publication is older than the
/// `ledger.publish_minutes` setting (or at once with `force`), and returns the size now
/// published, if any. Publishing marks a checkpoint, with the installation key's signature
/// over its size and time; it writes no journal entry.
pub async fn publish(store: &Store, at: Timestamp, force: bool) -> Result<Option<u64>, ActionError> {
    let pool = store.pool();
    let signer = store.signer().ok_or_else(|| ActionError::Invalid("publishing needs the signing key".into()))?;
    let minutes: i64 = crate::settings::get(store, "ledger.publish_minutes").await?.parse().unwrap_or(60);
    let last = sqlx::query(
        "SELECT size, published_at FROM checkpoints WHERE published_at IS NOT NULL ORDER BY size DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    let latest = sqlx::query("SELECT size FROM checkpoints ORDER BY size DESC LIMIT 1").fetch_optional(pool).await?;
    let Some(latest) = latest else { return Ok(None) };
    let latest: i64 = latest.try_get(0)?;
    let (last_size, last_at) = match &last {
        Some(r) => (Some(r.try_get::<i64, _>(0)?), Timestamp::parse(&r.try_get::<String, _>(1)?)),
        None => (None, None),
    };
    let due = force || last_at.is_none_or(|t| at.0 - t.0 >= minutes * 60);
    if last_size == Some(latest) || !due {
        return Ok(last_size.map(|s| s as u64));
    }
    let sig = signer.sign(&publication_text(signer.name(), latest, &at.to_string()));
    sqlx::query("UPDATE checkpoints SET published_at = $1, published_sig = $2 WHERE size = $3")
        .bind(at.to_string())
        .bind(sig)
        .bind(latest)
        .execute(pool)
        .await?;
    Ok(Some(latest as u64))
}

/// The latest published checkpoint with every cosignature received for it appended, as a
/// C2SP witnessed note.
pub async fn published(store: &Store) -> Result<Option<String>, StoreError> {
    let row =
        sqlx::query("SELECT size, note FROM checkpoints WHERE published_at IS NOT NULL ORDER BY size DESC LIMIT 1")
            .fetch_optional(store.pool())
            .await?;
    let Some(row) = row else { return Ok(None) };
    let (size, mut note): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
    let lines = sqlx::query("SELECT line FROM cosignatures WHERE size = $1 ORDER BY witness")
        .bind(size)
        .fetch_all(store.pool())
        .await?;
    for l in lines {
        note.push_str(&l.try_get::<String, _>(0)?);
        note.push('\n');
    }
    Ok(Some(note))
}

/// Takes a cosigned checkpoint (the published note with the witness's signature lines) and
/// stores each valid cosignature by a registered witness; returns the witnesses accepted.
pub async fn receive(store: &Store, cosigned: &str, received_at: Timestamp) -> Result<Vec<String>, ActionError> {
    let (body, lines) = split_note(cosigned)?;
    let cp = Checkpoint::parse(body)?;
    let row = sqlx::query("SELECT note, published_at FROM checkpoints WHERE size = $1")
        .bind(cp.size as i64)
        .fetch_optional(store.pool())
        .await?;
    let Some(row) = row else {
        return Err(ActionError::Invalid(format!("no checkpoint of size {} in this log", cp.size)));
    };
    let (note, published): (String, Option<String>) = (row.try_get(0)?, row.try_get(1)?);
    if split_note(&note)?.0 != body {
        return Err(ActionError::Invalid(format!(
            "the cosigned checkpoint of size {} is not this log's checkpoint of that size",
            cp.size
        )));
    }
    if published.is_none() {
        return Err(ActionError::Invalid(format!("the checkpoint of size {} was not published", cp.size)));
    }
    let witnesses = list(store).await?;
    let mut accepted = Vec::new();
    let mut tx = store.pool().begin().await?;
    for line in lines {
        for (name, vkey) in &witnesses {
            if !line.starts_with(&format!("\u{2014} {name} ")) {
                continue;
            }
            let key = WitnessKey::parse(vkey)?;
            let time =
                key.verify_line(body, line).map_err(|e| ActionError::Invalid(format!("cosignature by {name}: {e}")))?;
            sqlx::query("DELETE FROM cosignatures WHERE size = $1 AND witness = $2")
                .bind(cp.size as i64)
                .bind(name.clone())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO cosignatures (size, witness, time, line, received_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(cp.size as i64)
            .bind(name.clone())
            .bind(time as i64)
            .bind(line.to_string())
            .bind(received_at.to_string())
            .execute(&mut *tx)
            .await?;
            accepted.push(name.clone());
        }
    }
    tx.commit().await?;
    if accepted.is_empty() {
        return Err(ActionError::Invalid("no cosignature by a registered witness".into()));
    }
    Ok(accepted)
}

/// Cosignature lines per checkpoint size (for exports).
pub async fn cosignature_lines(store: &Store) -> Result<BTreeMap<u64, String>, StoreError> {
    let rows =
        sqlx::query("SELECT size, line FROM cosignatures ORDER BY size, witness").fetch_all(store.pool()).await?;
    let mut out: BTreeMap<u64, String> = BTreeMap::new();
    for r in rows {
        let (size, line): (i64, String) = (r.try_get(0)?, r.try_get(1)?);
        let text = out.entry(size as u64).or_default();
        text.push_str(&line);
        text.push('\n');
    }
    Ok(out)
}

/// What a witness decides about a log's newly published checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Consistent with what it signed before (or the first it sees): cosign this body.
    Cosign(Checkpoint),
    /// The same tree it signed last: nothing new.
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessError {
    #[error("the published checkpoint is not signed by the log's key: {0}")]
    Signature(NoteError),
    #[error("the log's origin is {found:?}, the witness follows {expected:?}")]
    Origin { expected: String, found: String },
    #[error("the log shrank from {old} to {new} entries: history was rewritten")]
    Shrank { old: u64, new: u64 },
    #[error("the log shows two different trees of {size} entries: {old} then {new} (a fork)")]
    Fork { size: u64, old: String, new: String },
    #[error("the consistency proof from {old} to {new} entries does not verify: history was rewritten")]
    Inconsistent { old: u64, new: u64 },
}

/// The witness's check of `note` (the log's published checkpoint, possibly with other
/// cosignatures) against `last`, the checkpoint it cosigned before; `proof` is the log's
/// consistency proof from `last.size` to the new size (asked for only when needed).
pub fn check_step(
    log: &Verifier,
    last: Option<&Checkpoint>,
    note: &str,
    proof: impl FnOnce(u64, u64) -> Option<Vec<Hash>>,
) -> Result<Step, WitnessError> {
    let text = log.open(note).map_err(WitnessError::Signature)?;
    let cp = Checkpoint::parse(text).map_err(WitnessError::Signature)?;
    if cp.origin != log.name {
        return Err(WitnessError::Origin { expected: log.name.clone(), found: cp.origin });
    }
    let Some(last) = last else { return Ok(Step::Cosign(cp)) };
    if cp.size < last.size {
        return Err(WitnessError::Shrank { old: last.size, new: cp.size });
    }
    if cp.size == last.size {
        return if cp.root == last.root {
            Ok(Step::Unchanged)
        } else {
            Err(WitnessError::Fork { size: cp.size, old: hex(&last.root), new: hex(&cp.root) })
        };
    }
    let ok = proof(last.size, cp.size)
        .is_some_and(|p| merkle::verify_consistency(log.suite(), last.size, cp.size, &last.root, &cp.root, &p));
    if !ok {
        return Err(WitnessError::Inconsistent { old: last.size, new: cp.size });
    }
    Ok(Step::Cosign(cp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bw_ledger::merkle::MemoryTree;
    use bw_ledger::note::Signer;

    fn tree(n: u64, salt: &str) -> MemoryTree {
        let mut t = MemoryTree::new(bw_ledger::Suite::Sha256Ed25519);
        for i in 0..n {
            t.push(bw_ledger::Suite::Sha256Ed25519.leaf(format!("{salt}{i}").as_bytes()));
        }
        t
    }

    #[test]
    fn a_witness_cosigns_growth_and_refuses_rewrites() -> Result<(), Box<dyn std::error::Error>> {
        let signer = Signer::from_seed("log.example/1", [1; 32])?;
        let log = Verifier::parse(&signer.verifier_key())?;
        let mut t = tree(20, "");
        let cp = |t: &mut MemoryTree, n: u64| -> Checkpoint {
            Checkpoint { origin: "log.example/1".into(), size: n, root: merkle::root(t, n).unwrap_or_default() }
        };
        let c10 = cp(&mut t, 10);
        let c20 = cp(&mut t, 20);
        let mut t2 = t.clone();
        let proof = |o: u64, n: u64| merkle::consistency_proof(&mut t2, o, n).ok();
        assert_eq!(check_step(&log, Some(&c10), &signer.sign(&c20.text()), proof)?, Step::Cosign(c20.clone()));
        assert_eq!(check_step(&log, None, &signer.sign(&c10.text()), |_, _| None)?, Step::Cosign(c10.clone()));
        assert_eq!(check_step(&log, Some(&c20), &signer.sign(&c20.text()), |_, _| None)?, Step::Unchanged);
        assert!(matches!(
            check_step(&log, Some(&c20), &signer.sign(&c10.text()), |_, _| None),
            Err(WitnessError::Shrank { old: 20, new: 10 })
        ));
        // A rewritten history: same size, other root; or a longer tree not extending the old.
        let mut other = tree(20, "x");
        let o20 = cp(&mut other, 20);
        assert!(matches!(
            check_step(&log, Some(&c20), &signer.sign(&o20.text()), |_, _| None),
            Err(WitnessError::Fork { .. })
        ));
        let mut other2 = other.clone();
        let bad = |o: u64, n: u64| merkle::consistency_proof(&mut other2, o, n).ok();
        assert!(matches!(
            check_step(&log, Some(&c10), &signer.sign(&o20.text()), bad),
            Err(WitnessError::Inconsistent { old: 10, new: 20 })
        ));
        let stranger = Signer::from_seed("log.example/1", [2; 32])?;
        assert!(matches!(
            check_step(&log, None, &stranger.sign(&c10.text()), |_, _| None),
            Err(WitnessError::Signature(_))
        ));
        Ok(())
    }
}
