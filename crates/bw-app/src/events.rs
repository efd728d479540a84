//! Pushing warnings as they happen: a watcher that turns changes of the warnings table into
//! events (a warning raised, a warning escalated to a higher level), webhook subscriptions,
//! and the HMAC-SHA256 signature of a delivery. The server fans the events out (a stream
//! per subscriber, a POST per webhook), each filtered to what its subscriber may see.

use std::collections::HashMap;

use bw_store::Store;
use bw_store::sqlx::{self, Row};
use sha2::{Digest, Sha256};

use crate::Ctx;
use crate::journal::{ActionError, act, act_projected};
use bw_core::projection::Cell;
use bw_core::registers;

/// A warning raised or escalated.
#[derive(Clone, Debug, serde::Serialize)]
pub struct WarningEvent {
    /// `raised` or `escalated`.
    pub event: &'static str,
    pub id: i64,
    pub rule: String,
    pub level: String,
    pub unit_code: Option<String>,
    pub region_code: Option<String>,
    pub period: String,
    /// The journal entry that raised or escalated it.
    pub journal_idx: i64,
}

fn rank(level: &str) -> u8 {
    match level {
        "red" => 3,
        "orange" => 2,
        "yellow" => 1,
        _ => 0,
    }
}

/// What the watcher has seen: each warning's level, and the last journal index read.
#[derive(Debug, Default)]
pub struct Watcher {
    levels: HashMap<i64, String>,
    last: i64,
}

impl Watcher {
    /// Starts from the warnings as they are: only later changes become events.
    pub async fn start(store: &Store) -> Result<Watcher, ActionError> {
        let mut w = Watcher::default();
        w.poll(store).await?;
        Ok(w)
    }

    /// Events for the warnings changed since the last poll: a warning not seen before is
    /// raised, one whose level went up is escalated; other changes (steps, withdrawal,
    /// evidence) are not pushed.
    pub async fn poll(&mut self, store: &Store) -> Result<Vec<WarningEvent>, ActionError> {
        let first = self.levels.is_empty() && self.last == 0;
        let rows = sqlx::query(
            "SELECT id, rule, level, unit_code, region_code, period, journal_idx, state FROM warnings WHERE journal_idx > $1 ORDER BY journal_idx",
        )
        .bind(self.last)
        .fetch_all(store.pool())
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let (id, level, idx, state): (i64, String, i64, String) =
                (r.try_get(0)?, r.try_get(2)?, r.try_get(6)?, r.try_get(7)?);
            self.last = self.last.max(idx);
            let before = self.levels.insert(id, level.clone());
            if first || state == "recorded" || state == "withdrawn" {
                continue;
            }
            let event = match before {
                None => "raised",
                Some(b) if rank(&level) > rank(&b) => "escalated",
                Some(_) => continue,
            };
            out.push(WarningEvent {
                event,
                id,
                rule: r.try_get(1)?,
                level,
                unit_code: r.try_get(3)?,
                region_code: r.try_get(4)?,
                period: r.try_get(5)?,
                journal_idx: idx,
            });
        }
        Ok(out)
    }
}

/// HMAC-SHA256 (RFC 2104) of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |b: u8| block.map(|k| k ^ b);
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().into()
}

/// A webhook subscription.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Webhook {
    pub id: i64,
    pub user: String,
    pub url: String,
    #[serde(skip)]
    pub secret: String,
}

/// Subscribes `url` to the warnings `user` may see; deliveries are signed with `secret`.
pub async fn add_webhook(store: &Store, ctx: &Ctx, user: &str, url: &str, secret: &str) -> Result<i64, ActionError> {
    // Deliveries speak plain HTTP; TLS is a local proxy's or tunnel's job, as for witnesses.
    if !url.starts_with("http://") {
        return Err(ActionError::Invalid(format!("{url:?}: an http:// URL (put TLS in a proxy in front)")));
    }
    if secret.len() < 16 {
        return Err(ActionError::Invalid("the secret must have at least 16 characters".into()));
    }
    if sqlx::query("SELECT 1 FROM users WHERE name = $1")
        .bind(user.to_string())
        .fetch_optional(store.pool())
        .await?
        .is_none()
    {
        return Err(ActionError::Invalid(format!("no user {user:?}")));
    }
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("webhook for {user}"));
    let data = registers::Entry::WebhookAdd(registers::WebhookAdd { user: user.into(), url: url.into() });
    let secret = [("secret", Cell::Text(secret.to_string()))];
    act(store, ctx, data.action(), &reason, &data, async |tx, idx| {
        Ok(bw_store::changes::apply_with(tx, &registers::project(&data, idx, &ctx.actor), &secret).await?)
    })
    .await
}

/// Ends webhook `id`.
pub async fn remove_webhook(store: &Store, ctx: &Ctx, id: i64) -> Result<i64, ActionError> {
    if sqlx::query("SELECT 1 FROM webhooks WHERE id = $1 AND removed_idx IS NULL")
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .is_none()
    {
        return Err(ActionError::Invalid(format!("no active webhook {id}")));
    }
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("webhook {id} removed"));
    let data = registers::Entry::WebhookRemove(registers::WebhookRemove { id });
    act_projected(store, ctx, data.action(), &reason, &data, |idx| Ok(registers::project(&data, idx, &ctx.actor))).await
}

/// The active webhooks.
pub async fn webhooks(store: &Store) -> Result<Vec<Webhook>, ActionError> {
    let rows = sqlx::query("SELECT id, user_name, url, secret FROM webhooks WHERE removed_idx IS NULL ORDER BY id")
        .fetch_all(store.pool())
        .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(Webhook { id: r.try_get(0)?, user: r.try_get(1)?, url: r.try_get(2)?, secret: r.try_get(3)? });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        let mac = super::hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn long_keys_are_hashed_first() {
        // RFC 4231 test case 6: a 131-byte key.
        let mac = super::hmac_sha256(&[0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    }
}
