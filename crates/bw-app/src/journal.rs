//! Single journaled actions outside imports (settings, calendar years): one transaction
//! that appends the entry and updates the projection.

use crate::Ctx;
use bw_ledger::{Action, Header, encode};
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
    action: Action,
    reason: &str,
    data: &T,
    apply: F,
) -> Result<i64, ActionError>
where
    T: serde::Serialize,
    F: for<'a> AsyncFnOnce(&'a mut Tx, i64) -> Result<(), ActionError>,
{
    act_sealed(store, ctx, action, reason, data, None, apply).await
}

/// As `act`, the entry's rows being those its projection (`rows`, given the entry's index)
/// gives: the rows `verify` rebuilds from it. A projection that cannot read the entry's
/// data refuses the action, inside its transaction.
pub async fn act_projected<T: serde::Serialize>(
    store: &Store,
    ctx: &Ctx,
    action: Action,
    reason: &str,
    data: &T,
    rows: impl FnOnce(i64) -> Result<bw_core::projection::Changes, String>,
) -> Result<i64, ActionError> {
    act(store, ctx, action, reason, data, async move |tx, idx| {
        let rows = rows(idx).map_err(ActionError::Invalid)?;
        Ok(bw_store::changes::apply(tx, &rows).await?)
    })
    .await
}

/// The field an approver's signature closes an entry with.
pub const APPROVER_FIELD: &str = ",\"approver\":{";

/// As `act`, with the entry signed by an approver: the entry is written as usual, then
/// closed with `,"approver":{"user":…,"signature":…}}`, the signature (the approver's own
/// key) covering every byte before that field. A JSON string cannot hold that field's
/// unescaped text, so its last occurrence marks where the signed bytes end.
pub async fn act_sealed<T, F>(
    store: &Store,
    ctx: &Ctx,
    action: Action,
    reason: &str,
    data: &T,
    approver: Option<&bw_ledger::note::Signer>,
    apply: F,
) -> Result<i64, ActionError>
where
    T: serde::Serialize,
    F: for<'a> AsyncFnOnce(&'a mut Tx, i64) -> Result<(), ActionError>,
{
    let (mut tx, size) = store.begin_write().await?;
    let header = Header { action, actor: &ctx.actor, at: ctx.at, reason, batch: None };
    let entry = sealed_entry(&header, data, approver)?;
    let mut journal = JournalWriter::new(size, store, ctx.at);
    let idx = journal.append(entry);
    apply(&mut tx, idx).await?;
    journal.finish(&mut tx).await?;
    tx.commit().await?;
    Ok(idx)
}

/// An entry (`header`, `data`), closed with the approver's signature when there is one.
pub fn sealed_entry<T: serde::Serialize>(
    header: &Header<'_>,
    data: &T,
    approver: Option<&bw_ledger::note::Signer>,
) -> Result<Vec<u8>, ActionError> {
    let mut entry = encode(header, data).map_err(|e| ActionError::Invalid(e.to_string()))?;
    if let Some(signer) = approver {
        let signature = bw_ledger::note::base64(&signer.sign_bytes(&entry));
        let user = serde_json::to_string(signer.name()).map_err(|e| ActionError::Invalid(e.to_string()))?;
        entry.pop();
        entry
            .extend_from_slice(format!("{APPROVER_FIELD}\"user\":{user},\"signature\":\"{signature}\"}}}}").as_bytes());
    }
    Ok(entry)
}

/// Splits a sealed entry into (the signed bytes, approver user, signature bytes).
pub fn unseal(entry: &[u8]) -> Option<(Vec<u8>, String, Vec<u8>)> {
    let text = std::str::from_utf8(entry).ok()?;
    let at = text.rfind(APPROVER_FIELD)?;
    let mut signed = text.as_bytes()[..at].to_vec();
    signed.push(b'}');
    #[derive(serde::Deserialize)]
    struct Approver {
        user: String,
        signature: String,
    }
    let a: Approver = serde_json::from_str(text[at + APPROVER_FIELD.len() - 1..].strip_suffix('}')?).ok()?;
    Some((signed, a.user, bw_ledger::note::base64_decode(&a.signature)?))
}

/// A refusal by a domain rule, with its stable code.
pub trait Coded: std::fmt::Display + std::fmt::Debug {
    fn code(&self) -> &'static str;
}

impl Coded for bw_core::meeting::MeetingError {
    fn code(&self) -> &'static str {
        bw_core::meeting::MeetingError::code(self)
    }
}

impl Coded for bw_core::review::ReviewError {
    fn code(&self) -> &'static str {
        bw_core::review::ReviewError::code(self)
    }
}

impl Coded for bw_core::matter::MatterError {
    fn code(&self) -> &'static str {
        bw_core::matter::MatterError::code(self)
    }
}

/// Why an action on a register of documents (meetings, reviews, matters) was not taken.
#[derive(Debug, thiserror::Error)]
pub enum TakeError<E: Coded> {
    #[error("{0} ({code})", code = .0.code())]
    Refused(E),
    #[error("{0} (forbidden)")]
    Forbidden(String),
    #[error(transparent)]
    Action(#[from] ActionError),
}

impl<E: Coded> From<bw_store::sqlx::Error> for TakeError<E> {
    fn from(e: bw_store::sqlx::Error) -> Self {
        TakeError::Action(e.into())
    }
}

impl<E: Coded> TakeError<E> {
    /// Into an `ActionError`, a refusal's text kept.
    pub fn into_action(self) -> ActionError {
        match self {
            TakeError::Action(a) => a,
            other => ActionError::Invalid(other.to_string()),
        }
    }
}

/// Every document of `table` (`id`, `doc` JSON), by id.
pub async fn load_docs<T: serde::de::DeserializeOwned>(
    conn: &mut bw_store::sqlx::AnyConnection,
    table: &'static str,
) -> Result<Vec<T>, ActionError> {
    use bw_store::sqlx::Row;
    let sql = format!("SELECT doc FROM {table} ORDER BY id");
    let mut out = Vec::new();
    for r in bw_store::sqlx::query(bw_store::sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await? {
        out.push(serde_json::from_str(&r.try_get::<String, _>(0)?).map_err(|e| ActionError::Invalid(e.to_string()))?);
    }
    Ok(out)
}

/// Writes document `id` of `table` as changed by entry `idx`.
pub async fn put_doc(tx: &mut Tx, table: &'static str, id: i64, doc: String, idx: i64) -> Result<(), ActionError> {
    let sql = format!(
        "INSERT INTO {table} (id, doc, journal_idx) VALUES ($1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, journal_idx = excluded.journal_idx"
    );
    bw_store::sqlx::query(bw_store::sqlx::AssertSqlSafe(sql)).bind(id).bind(doc).bind(idx).execute(&mut **tx).await?;
    Ok(())
}
