//! The journal (日志): append-only entries whose bytes are kept verbatim, hashed as the
//! leaves of an RFC 6962 Merkle tree. Pure: no I/O, no clock; the time of an entry is given.
//!
//! An entry is one line of JSON with a fixed field order:
//! `{"v":1,"action":…,"actor":…,"at":…,"reason":…,"batch":…,"data":{…}}`. The bytes are
//! what is hashed and stored; nothing re-serialises an entry after it is written, so the
//! hash never depends on a JSON library's formatting choices.

use bw_core::Timestamp;
pub use bw_core::action::Action;
use serde::Serialize;
use sha2::{Digest, Sha256};

pub mod layout;
pub mod merkle;
pub mod note;

/// Format version written in every entry.
pub const ENTRY_VERSION: u32 = 1;

pub type Hash = [u8; 32];

/// Who did what, when and why: the part every entry carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    pub action: Action,
    pub actor: &'a str,
    pub at: Timestamp,
    pub reason: &'a str,
    /// The import batch the entry belongs to, if any.
    pub batch: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
#[error("journal entry could not be encoded: {0}")]
pub struct EncodeError(#[from] serde_json::Error);

/// Encodes an entry. Struct fields serialise in declaration order, so the bytes are a
/// function of the values alone.
pub fn encode<T: Serialize>(header: &Header<'_>, data: &T) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(256);
    encode_into(&mut out, header, data)?;
    Ok(out)
}

/// As `encode`, appending to `out` (reused buffers on the import path).
pub fn encode_into<T: Serialize>(out: &mut Vec<u8>, header: &Header<'_>, data: &T) -> Result<(), EncodeError> {
    let data = serde_json::to_vec(data)?;
    encode_raw_into(out, header, &data)
}

#[derive(Serialize)]
struct HeaderWire<'a> {
    v: u32,
    action: &'static str,
    actor: &'a str,
    at: String,
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    batch: Option<i64>,
}

/// As `encode_into`, with the data already serialised as one JSON value (so a record is
/// serialised once for both its record hash and its entry).
pub fn encode_raw_into(out: &mut Vec<u8>, header: &Header<'_>, data_json: &[u8]) -> Result<(), EncodeError> {
    let wire = HeaderWire {
        v: ENTRY_VERSION,
        action: header.action.name(),
        actor: header.actor,
        at: header.at.to_string(),
        reason: header.reason,
        batch: header.batch,
    };
    serde_json::to_writer(&mut *out, &wire)?;
    out.pop(); // the closing brace, reopened for the data field
    out.extend_from_slice(b",\"data\":");
    out.extend_from_slice(data_json);
    out.push(b'}');
    Ok(())
}

/// An entry decoded, with its data as `D`: a JSON value for readers that look at a few
/// fields (`Decoded`), or the JSON text itself for replays of millions of entries, each record
/// then parsed once into its own type (`RawDecoded`).
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Entry<D> {
    pub v: u32,
    pub action: Action,
    pub actor: String,
    pub at: String,
    pub reason: String,
    #[serde(default)]
    pub batch: Option<i64>,
    pub data: D,
}

pub type Decoded = Entry<serde_json::Value>;
pub type RawDecoded<'a> = Entry<&'a serde_json::value::RawValue>;

pub fn decode(entry: &[u8]) -> Result<Decoded, serde_json::Error> {
    serde_json::from_slice(entry)
}

pub fn decode_raw(entry: &[u8]) -> Result<RawDecoded<'_>, serde_json::Error> {
    serde_json::from_slice(entry)
}

/// The log's cryptography, fixed when the log is created and recorded in its origin line:
/// SHA-256 with Ed25519 (the default), or the Chinese commercial standards SM3 hashing
/// (GB/T 32905) with SM2 signatures (GB/T 32918), as systems under a 密码应用安全性评估
/// require. The suite decides the tree's hashes, the checkpoint signatures and the
/// personal-data commitments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Suite {
    #[default]
    Sha256Ed25519,
    Sm3Sm2,
}

impl Suite {
    pub const ALL: [Suite; 2] = [Suite::Sha256Ed25519, Suite::Sm3Sm2];

    pub fn name(self) -> &'static str {
        match self {
            Suite::Sha256Ed25519 => "sha256-ed25519",
            Suite::Sm3Sm2 => "sm3-sm2",
        }
    }

    pub fn parse(s: &str) -> Option<Suite> {
        Suite::ALL.into_iter().find(|x| x.name() == s)
    }

    /// The suite an origin line records: an origin ending in `/sm3-sm2` is an SM3/SM2 log;
    /// any other is SHA-256/Ed25519, the default of transparency logs.
    pub fn of_origin(origin: &str) -> Suite {
        if origin.ends_with("/sm3-sm2") { Suite::Sm3Sm2 } else { Suite::Sha256Ed25519 }
    }

    /// The hash of the concatenation of `parts`.
    pub fn digest(self, parts: &[&[u8]]) -> Hash {
        match self {
            Suite::Sha256Ed25519 => {
                let mut h = Sha256::new();
                for p in parts {
                    h.update(p);
                }
                h.finalize().into()
            }
            Suite::Sm3Sm2 => {
                let mut h = sm3::Sm3::new();
                for p in parts {
                    h.update(p);
                }
                h.finalize().into()
            }
        }
    }

    /// RFC 6962 leaf hash: H(0x00 ‖ entry).
    pub fn leaf(self, entry: &[u8]) -> Hash {
        self.digest(&[&[0u8], entry])
    }

    /// The leaf hashes of `entries`, computed on every core for large batches.
    pub fn leaves(self, entries: &[&[u8]]) -> Vec<Hash> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
        if threads < 2 || entries.len() < 512 {
            return entries.iter().map(|e| self.leaf(e)).collect();
        }
        let chunk = entries.len().div_ceil(threads);
        let parts: Option<Vec<Vec<Hash>>> = std::thread::scope(|s| {
            let handles: Vec<_> = entries
                .chunks(chunk)
                .map(|part| s.spawn(move || part.iter().map(|e| self.leaf(e)).collect::<Vec<Hash>>()))
                .collect();
            handles.into_iter().map(|h| h.join().ok()).collect()
        });
        match parts {
            Some(parts) => parts.concat(),
            None => entries.iter().map(|e| self.leaf(e)).collect(),
        }
    }

    /// RFC 6962 interior node hash: H(0x01 ‖ left ‖ right).
    pub fn node(self, left: &Hash, right: &Hash) -> Hash {
        self.digest(&[&[1u8], left, right])
    }

    /// The root of the empty tree: H of nothing.
    pub fn empty_root(self) -> Hash {
        self.digest(&[])
    }

    /// Root of the RFC 6962 Merkle tree over `leaves` (MTH), computed in full.
    pub fn root(self, leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => self.empty_root(),
            1 => leaves[0],
            n => {
                let k = largest_power_of_two_below(n);
                self.node(&self.root(&leaves[..k]), &self.root(&leaves[k..]))
            }
        }
    }
}

/// SHA-256 of a record's canonical data alone (no header): equal content, equal hash.
/// Used to tell a re-imported record from a conflicting one with the same key.
pub fn record_hash<T: Serialize>(data: &T) -> Result<Hash, EncodeError> {
    let bytes = serde_json::to_vec(data)?;
    Ok(Sha256::digest(&bytes).into())
}

/// How a committed field reads in an entry: this prefix, then the commitment in hex.
pub const COMMITMENT_PREFIX: &str = "commitment:";

/// A salted hash commitment to a personal value (an individual payee's name or account):
/// H("budgetwatch/commitment/v1" ‖ 0x00 ‖ salt ‖ value), H the log's hash. The entry holds
/// only this; the value and salt are stored beside it and can be erased while every proof
/// still holds.
pub fn commitment(suite: Suite, salt: &[u8; 32], value: &str) -> Hash {
    suite.digest(&[b"budgetwatch/commitment/v1\0", salt, value.as_bytes()])
}

/// The entry text of a commitment: `commitment:<hex>`.
pub fn commitment_text(suite: Suite, salt: &[u8; 32], value: &str) -> String {
    format!("{COMMITMENT_PREFIX}{}", hex(&commitment(suite, salt, value)))
}

/// SHA-256 of arbitrary bytes (file digests in batch entries).
pub fn sha256(bytes: &[u8]) -> Hash {
    Sha256::digest(bytes).into()
}

pub fn hex(h: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(h.len() * 2);
    for b in h {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// The largest power of two strictly below `n` (n ≥ 2), where RFC 6962 splits a tree.
pub fn largest_power_of_two_below(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_deterministic_single_lines() -> Result<(), EncodeError> {
        #[derive(Serialize)]
        struct D {
            voucher_no: &'static str,
            amount: bw_core::Money,
        }
        let h = Header {
            action: Action::PaymentRecord,
            actor: "cli:alice",
            at: Timestamp(0),
            reason: "import p.csv",
            batch: Some(3),
        };
        let e = encode(&h, &D { voucher_no: "V\n1", amount: bw_core::Money::from_fen(120_050) })?;
        let text = String::from_utf8_lossy(&e).to_string();
        assert_eq!(
            text,
            r#"{"v":1,"action":"payment.record","actor":"cli:alice","at":"1970-01-01T00:00:00Z","reason":"import p.csv","batch":3,"data":{"voucher_no":"V\n1","amount":"1200.50"}}"#
        );
        assert!(decode(&e).is_ok_and(|d| d.batch == Some(3) && d.data["amount"] == "1200.50"));
        let mut raw = Vec::new();
        encode_raw_into(&mut raw, &h, br#"{"voucher_no":"V\n1","amount":"1200.50"}"#)?;
        assert_eq!(raw, e, "raw and structured encodings agree");
        Ok(())
    }

    #[test]
    fn rfc6962_hashes() {
        // The empty-tree root and a leaf hash of the empty entry, as in RFC 6962 test data.
        let s = Suite::Sha256Ed25519;
        assert_eq!(hex(&s.root(&[])), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(hex(&s.leaf(b"")), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
        let l: Vec<Hash> = (0u8..3).map(|i| s.leaf(&[i])).collect();
        assert_eq!(s.root(&l), s.node(&s.node(&l[0], &l[1]), &l[2]));
        assert_eq!(largest_power_of_two_below(5), 4);
        assert_eq!(largest_power_of_two_below(4), 2);
    }

    #[test]
    fn sm3_matches_the_gbt_32905_examples() {
        // GB/T 32905-2016 Appendix A: "abc" and "abcd" × 16.
        assert_eq!(
            hex(&Suite::Sm3Sm2.digest(&[b"abc"])),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(
            hex(&Suite::Sm3Sm2.digest(&[b"abcd".repeat(16).as_slice()])),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
        assert_eq!(Suite::Sm3Sm2.leaf(b"x"), Suite::Sm3Sm2.digest(&[b"\x00x"]));
        assert_ne!(Suite::Sm3Sm2.leaf(b"x"), Suite::Sha256Ed25519.leaf(b"x"));
        assert_eq!(Suite::of_origin("budgetwatch.local/ab12/sm3-sm2"), Suite::Sm3Sm2);
        assert_eq!(Suite::of_origin("budgetwatch.local/ab12"), Suite::Sha256Ed25519);
        assert_eq!(Suite::parse("sm3-sm2"), Some(Suite::Sm3Sm2));
    }
}
