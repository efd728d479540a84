//! Personal data and its erasure (个人信息删除). An individual payee's name and account enter
//! the journal only as salted commitments (`bw_ledger::commitment`); the clear values and
//! salts sit in `personal_data` beside the entry. `redact` erases them on a lawful request —
//! itself a journaled action naming who, when and why — and every leaf hash, checkpoint and
//! proof stays exactly as it was.

use crate::Ctx;
use crate::journal::{ActionError, act};
use bw_core::action::Action;
use bw_core::records::Payment;
use bw_store::Store;
use bw_store::sqlx::{self, Row};
use sha2::{Digest, Sha256};

/// The fields of a staff entry held as commitments, in salt order.
pub const STAFF_FIELDS: [&str; 3] = ["name", "bank_account", "phone"];

/// What the payments table shows in place of an erased value.
pub const REDACTED: &str = "〔已删除〕";

/// A staff member as the related-party test compares them: an erased value matches nobody.
/// The province's audit and the national audit of its Parquet export both use it.
pub fn matchable(s: bw_audit::Staff) -> bw_audit::Staff {
    let clear = |v: String| if v == REDACTED { String::new() } else { v };
    bw_audit::Staff { name: clear(s.name), bank_account: clear(s.bank_account), phone: clear(s.phone), ..s }
}

#[derive(serde::Serialize)]
struct RedactData<'a> {
    unit_code: &'a str,
    voucher_no: &'a str,
    /// The journal index of the payment entry whose personal values are erased.
    entry: i64,
    fields: Vec<String>,
}

/// The record hash of a payment as its entry holds it (with commitments): what the
/// projection carries once the clear values are gone.
pub fn committed_record_hash(entry: &[u8]) -> Result<Vec<u8>, String> {
    committed_hash_of::<Payment>(entry)
}

/// The record hash of the `T` an entry holds, with its commitments.
fn committed_hash_of<T: serde::de::DeserializeOwned + serde::Serialize>(entry: &[u8]) -> Result<Vec<u8>, String> {
    let e = bw_ledger::decode(entry).map_err(|e| e.to_string())?;
    let p: T = serde::Deserialize::deserialize(&e.data).map_err(|e| e.to_string())?;
    let bytes = serde_json::to_vec(&p).map_err(|e| e.to_string())?;
    Ok(Sha256::digest(&bytes).to_vec())
}

/// The reason an erasure is made under, required.
fn lawful_reason(ctx: &Ctx) -> Result<String, ActionError> {
    ctx.reason
        .clone()
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| ActionError::Invalid("an erasure needs a reason: the lawful request it answers".into()))
}

/// The fields of entry `entry` whose clear values are stored.
async fn stored_fields(store: &Store, entry: i64) -> Result<Vec<String>, ActionError> {
    Ok(sqlx::query("SELECT field FROM personal_data WHERE journal_idx = $1 ORDER BY field")
        .bind(entry)
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?)
}

#[derive(serde::Serialize)]
struct StaffRedactData<'a> {
    unit_code: &'a str,
    id_hash: &'a str,
    /// The journal index of the `staff.add` entry whose personal values are erased.
    entry: i64,
    fields: Vec<String>,
}

/// Erases the name, account and phone of staff member `id_hash` of `unit_code` (who left, or
/// asked under the law); the register keeps the unit and the identity hash, so the audit no
/// longer matches the person. The reason is required.
pub async fn redact_staff(store: &Store, ctx: &Ctx, unit_code: &str, id_hash: &str) -> Result<i64, ActionError> {
    let reason = lawful_reason(ctx)?;
    let entry: i64 = sqlx::query("SELECT journal_idx FROM staff WHERE unit_code = $1 AND id_hash = $2")
        .bind(unit_code.to_string())
        .bind(id_hash.to_string())
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| ActionError::Invalid(format!("no staff member {id_hash:?} of unit {unit_code:?}")))?
        .try_get(0)?;
    let fields = stored_fields(store, entry).await?;
    if fields.is_empty() {
        return Err(ActionError::Invalid(format!(
            "the personal data of staff member {id_hash:?} of unit {unit_code:?} was already erased"
        )));
    }
    let bytes = store
        .journal_entry(entry)
        .await?
        .ok_or_else(|| ActionError::Invalid(format!("journal entry {entry} is missing")))?;
    let hash = committed_hash_of::<bw_core::records::StaffMember>(&bytes).map_err(ActionError::Invalid)?;
    let data = StaffRedactData { unit_code, id_hash, entry, fields };
    let (unit, id) = (unit_code.to_string(), id_hash.to_string());
    act(store, ctx, Action::PersonalRedact, &reason, &data, async move |tx, _| {
        sqlx::query("DELETE FROM personal_data WHERE journal_idx = $1").bind(entry).execute(&mut **tx).await?;
        sqlx::query(
            "UPDATE staff SET name = $1, bank_account = $1, phone = $1, record_hash = $2 WHERE unit_code = $3 AND id_hash = $4",
        )
        .bind(REDACTED)
        .bind(hash)
        .bind(unit)
        .bind(id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    })
    .await
}

/// Erases the personal values of payment `voucher_no` of `unit_code`. The reason (the
/// lawful basis) is required.
pub async fn redact(store: &Store, ctx: &Ctx, unit_code: &str, voucher_no: &str) -> Result<i64, ActionError> {
    let reason = lawful_reason(ctx)?;
    let row = sqlx::query("SELECT journal_idx, payee_type FROM payments WHERE unit_code = $1 AND voucher_no = $2")
        .bind(unit_code.to_string())
        .bind(voucher_no.to_string())
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| ActionError::Invalid(format!("no payment {voucher_no:?} of unit {unit_code:?}")))?;
    let (entry, payee_type): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
    let fields = stored_fields(store, entry).await?;
    if fields.is_empty() {
        return Err(ActionError::Invalid(if payee_type == "individual" {
            format!("the personal data of payment {voucher_no:?} of unit {unit_code:?} was already erased")
        } else {
            format!(
                "payment {voucher_no:?} of unit {unit_code:?} is to a {payee_type}, not an individual: it holds no personal data"
            )
        }));
    }
    let bytes = store
        .journal_entry(entry)
        .await?
        .ok_or_else(|| ActionError::Invalid(format!("journal entry {entry} is missing")))?;
    let hash = committed_record_hash(&bytes).map_err(ActionError::Invalid)?;
    let data = RedactData { unit_code, voucher_no, entry, fields };
    let (unit, voucher) = (unit_code.to_string(), voucher_no.to_string());
    act(store, ctx, Action::PersonalRedact, &reason, &data, async move |tx, _| {
        sqlx::query("DELETE FROM personal_data WHERE journal_idx = $1").bind(entry).execute(&mut **tx).await?;
        // The payee's account, a grouping key of the payment rules, changes.
        crate::findings::invalidate(tx, None).await?;
        sqlx::query(
            "UPDATE payments SET payee_name = $1, payee_account = $1, record_hash = $2 WHERE unit_code = $3 AND voucher_no = $4",
        )
        .bind(REDACTED)
        .bind(hash)
        .bind(unit)
        .bind(voucher)
        .execute(&mut **tx)
        .await?;
        Ok(())
    })
    .await
}
