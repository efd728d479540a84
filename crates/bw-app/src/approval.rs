//! Approvers' own signatures (审批签名). Each approver has a signing key of the log's suite
//! (Ed25519, or SM2 for an SM3/SM2 log) whose public half is journaled (`key.register`) and
//! whose private seed the server keeps only sealed under the approver's password: the seed
//! is XORed with 32 bytes of Argon2id(password, random salt), and a wrong password is known
//! because the key it yields is not the registered one. An approval entry carries the
//! approver's signature over the whole entry, so neither another account nor the operator
//! can make or alter one without the password.

use crate::Ctx;
use crate::journal::{ActionError, act, act_sealed};
use bw_core::projection::Cell;
use bw_core::registers;
use bw_ledger::note::Signer;
use bw_store::Store;
use bw_store::sqlx::{self, Row};
use sha2::{Digest, Sha256};

/// 32 bytes of Argon2id (19 MiB, 2 passes: OWASP's recommendation) of the password.
fn pad(password: &str, salt: &[u8]) -> Result<[u8; 32], ActionError> {
    let params = argon2::Params::new(19 * 1024, 2, 1, Some(32)).map_err(|e| ActionError::Invalid(e.to_string()))?;
    let kdf = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = [0u8; 32];
    kdf.hash_password_into(password.as_bytes(), salt, &mut out).map_err(|e| ActionError::Invalid(e.to_string()))?;
    Ok(out)
}

fn xor(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    std::array::from_fn(|i| a[i] ^ b[i])
}

/// Creates (or replaces) the signing key of approver `user`, sealed under `password`, and
/// journals its public key. Entries signed with an earlier key still verify against it.
pub async fn register_key(store: &Store, ctx: &Ctx, user: &str, password: &str) -> Result<String, ActionError> {
    if password.chars().count() < 8 {
        return Err(ActionError::Invalid("the password must have at least 8 characters".into()));
    }
    // The user's name goes in too: keys registered with one context's entropy (a batch of
    // registrations) still differ from person to person.
    let derive = |label: &[u8]| -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(label);
        h.update(ctx.entropy);
        h.update(user.as_bytes());
        h.finalize().into()
    };
    let (seed, salt) = (derive(b"budgetwatch/approver-seed"), derive(b"budgetwatch/approver-salt"));
    let signer =
        Signer::new(store.suite(), user, seed).map_err(|e| ActionError::Invalid(format!("user {user:?}: {e}")))?;
    let sealed = xor(&seed, &pad(password, &salt[..16])?);
    let vkey = signer.verifier_key();
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("signing key of {user}"));
    let data = registers::Entry::KeyRegister(registers::KeyRegister { user: user.into(), key: vkey.clone() });
    let sealed = [("sealed_seed", Cell::Blob(sealed.to_vec())), ("kdf_salt", Cell::Blob(salt[..16].to_vec()))];
    act(store, ctx, data.action(), &reason, &data, async |tx, idx| {
        Ok(bw_store::changes::apply_with(tx, &registers::project(&data, idx, &ctx.actor), &sealed).await?)
    })
    .await?;
    Ok(vkey)
}

/// The signing key of `user`, unsealed with `password`.
pub async fn unlock(store: &Store, user: &str, password: &str) -> Result<Signer, ActionError> {
    let row = sqlx::query("SELECT vkey, sealed_seed, kdf_salt FROM user_keys WHERE user_name = $1")
        .bind(user.to_string())
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| ActionError::Invalid(format!("{user} has no signing key: register one first")))?;
    let (vkey, sealed, salt): (String, Vec<u8>, Vec<u8>) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    let sealed: [u8; 32] = sealed.try_into().map_err(|_| ActionError::Invalid("a damaged sealed key".into()))?;
    let seed = xor(&sealed, &pad(password, &salt)?);
    let signer = Signer::new(store.suite(), user, seed).map_err(|e| ActionError::Invalid(e.to_string()))?;
    if signer.verifier_key() != vkey {
        return Err(ActionError::Invalid(format!("wrong password for the signing key of {user}")));
    }
    Ok(signer)
}

/// An approver's decision on a journal entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "approve" | "同意" => Some(Decision::Approve),
            "reject" | "不同意" => Some(Decision::Reject),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
        }
    }
}

/// Records approver `ctx.actor`'s opinion on journal entry `target`, signed with the
/// approver's own key (unsealed with `password`).
pub async fn opinion(
    store: &Store,
    ctx: &Ctx,
    password: &str,
    target: i64,
    decision: Decision,
    comment: &str,
) -> Result<i64, ActionError> {
    let signer = unlock(store, &ctx.actor, password).await?;
    let row = sqlx::query("SELECT leaf_hash FROM journal WHERE idx = $1")
        .bind(target)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| ActionError::Invalid(format!("no journal entry {target}")))?;
    let leaf: Vec<u8> = row.try_get(0)?;
    let data = registers::Entry::Opinion(registers::Opinion {
        entry: target,
        leaf: bw_ledger::hex(&leaf),
        decision: decision.as_str().into(),
        comment: comment.into(),
    });
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("{} entry {target}", decision.as_str()));
    act_sealed(store, ctx, data.action(), &reason, &data, Some(&signer), async |tx, idx| {
        Ok(bw_store::changes::apply(tx, &registers::project(&data, idx, &ctx.actor)).await?)
    })
    .await
}
