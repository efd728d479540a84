//! Signed checkpoints: the C2SP `tlog-checkpoint` text (origin, tree size, base64 root)
//! wrapped in a C2SP `signed-note` with an Ed25519 signature, and the verifier and signer
//! key strings of the same family (`name+hash+base64(type‖key)`).

use crate::Hash;
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

/// Signature type of Ed25519 signed-note keys.
const ALG_ED25519: u8 = 0x01;
/// Signature type of SM2 keys: C2SP signed-note assigns no byte to SM2, so the type is
/// 0xff followed by a longer identifier, as the specification recommends.
const TYPE_SM2: &[u8] = b"\xffbudgetwatch/sm2-sm3\n";
/// The SM2 distinguishing identifier (GB/T 35276's default user ID).
const SM2_DISTID: &str = "1234567812345678";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("malformed key: {0}")]
    Key(String),
    #[error("malformed note: {0}")]
    Note(String),
    #[error("no valid signature by {0}")]
    Unsigned(String),
    #[error("malformed checkpoint: {0}")]
    Checkpoint(String),
}

/// Signature type byte of a C2SP `tlog-cosignature` (timestamped Ed25519) key.
const ALG_COSIGNATURE_V1: u8 = 0x04;

/// The 4-byte key ID: SHA-256(name ‖ "\n" ‖ type ‖ public key)[..4] (signed-note).
fn key_id_of(name: &str, key_type: &[u8], public: &[u8]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update(key_type);
    h.update(public);
    let d: [u8; 32] = h.finalize().into();
    [d[0], d[1], d[2], d[3]]
}

fn key_id(name: &str, alg: u8, public: &[u8; 32]) -> [u8; 4] {
    key_id_of(name, &[alg], public)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('+') && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

enum SignKey {
    Ed25519(SigningKey),
    Sm2(sm2::dsa::SigningKey),
}

impl SignKey {
    fn key_type(&self) -> &'static [u8] {
        match self {
            SignKey::Ed25519(_) => &[ALG_ED25519],
            SignKey::Sm2(_) => TYPE_SM2,
        }
    }

    fn public(&self) -> Vec<u8> {
        match self {
            SignKey::Ed25519(k) => k.verifying_key().as_bytes().to_vec(),
            SignKey::Sm2(k) => k.verifying_key().to_sec1_bytes().to_vec(),
        }
    }

    fn secret(&self) -> Vec<u8> {
        match self {
            SignKey::Ed25519(k) => k.as_bytes().to_vec(),
            SignKey::Sm2(k) => k.to_bytes().to_vec(),
        }
    }
}

/// Splits `type ‖ key` into the suite and the key bytes.
fn split_type(bytes: &[u8]) -> Option<(crate::Suite, &[u8])> {
    if let Some(rest) = bytes.strip_prefix(&[ALG_ED25519]) {
        return Some((crate::Suite::Sha256Ed25519, rest));
    }
    bytes.strip_prefix(TYPE_SM2).map(|rest| (crate::Suite::Sm3Sm2, rest))
}

/// An installation's signing key with its name (the log's origin): Ed25519, or SM2 for an
/// SM3/SM2 log.
pub struct Signer {
    name: String,
    key: SignKey,
    hash: [u8; 4],
}

impl Signer {
    /// An Ed25519 signer.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Signer, NoteError> {
        Signer::new(crate::Suite::Sha256Ed25519, name, seed)
    }

    /// A signer of `suite` from 32 random bytes.
    pub fn new(suite: crate::Suite, name: &str, seed: [u8; 32]) -> Result<Signer, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::Key(format!("invalid key name {name:?}")));
        }
        let key = match suite {
            crate::Suite::Sha256Ed25519 => SignKey::Ed25519(SigningKey::from_bytes(&seed)),
            crate::Suite::Sm3Sm2 => {
                // A seed outside 1..n (probability ~2^-32) is rehashed until it fits.
                let mut secret = seed;
                loop {
                    match sm2::dsa::SigningKey::from_slice(SM2_DISTID, &secret) {
                        Ok(k) => break SignKey::Sm2(k),
                        Err(_) => secret = Sha256::digest(secret).into(),
                    }
                }
            }
        };
        let hash = key_id_of(name, key.key_type(), &key.public());
        Ok(Signer { name: name.to_string(), key, hash })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The suite the key belongs to.
    pub fn suite(&self) -> crate::Suite {
        match self.key {
            SignKey::Ed25519(_) => crate::Suite::Sha256Ed25519,
            SignKey::Sm2(_) => crate::Suite::Sm3Sm2,
        }
    }

    /// `PRIVATE+KEY+name+hash+base64(type ‖ secret)`: the form kept in the key file.
    pub fn private_key_string(&self) -> String {
        let mut b = self.key.key_type().to_vec();
        b.extend_from_slice(&self.key.secret());
        format!("PRIVATE+KEY+{}+{}+{}", self.name, crate::hex(&self.hash), base64(&b))
    }

    pub fn parse_private_key(s: &str) -> Result<Signer, NoteError> {
        let rest =
            s.trim().strip_prefix("PRIVATE+KEY+").ok_or_else(|| NoteError::Key("not a PRIVATE+KEY string".into()))?;
        // name+hash+base64: the name has no '+', the base64 may.
        let mut parts = rest.splitn(3, '+');
        let (name, _hash, b64) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let bytes = base64_decode(b64).ok_or_else(|| NoteError::Key("bad base64".into()))?;
        match split_type(&bytes) {
            Some((suite, secret)) if secret.len() == 32 => {
                let mut s = [0u8; 32];
                s.copy_from_slice(secret);
                let signer = Signer::new(suite, name, s)?;
                if signer.key.secret() != secret {
                    return Err(NoteError::Key("not a valid SM2 private key".into()));
                }
                Ok(signer)
            }
            _ => Err(NoteError::Key("not an Ed25519 or SM2 private key".into())),
        }
    }

    /// `name+hash+base64(type ‖ public key)`: what outside parties verify with.
    pub fn verifier_key(&self) -> String {
        let mut b = self.key.key_type().to_vec();
        b.extend_from_slice(&self.key.public());
        format!("{}+{}+{}", self.name, crate::hex(&self.hash), base64(&b))
    }

    /// The raw signature of `message` (Ed25519, or SM2 `r ‖ s`): 64 bytes.
    pub fn sign_bytes(&self, message: &[u8]) -> Vec<u8> {
        match &self.key {
            SignKey::Ed25519(k) => k.sign(message).to_bytes().to_vec(),
            SignKey::Sm2(k) => {
                let sig: sm2::dsa::Signature = sm2::dsa::signature::Signer::sign(k, message);
                sig.to_bytes().to_vec()
            }
        }
    }

    /// Signs `text` (which must end in a newline) as a signed note.
    pub fn sign(&self, text: &str) -> String {
        format!("{text}\n{}", self.signature_line(text))
    }

    /// This key's signature line for `text`, to append to a note another key signed (a
    /// note may carry several signatures; a key rotation's first checkpoint carries two).
    pub fn signature_line(&self, text: &str) -> String {
        let sig = self.sign_bytes(text.as_bytes());
        let mut b = self.hash.to_vec();
        b.extend_from_slice(&sig);
        format!("\u{2014} {} {}\n", self.name, base64(&b))
    }
}

/// Verifier keys whose private halves were published — once committed to this project's
/// repository — so that anyone can sign with them: no log may go on signing with one. A log
/// that did rotates it (`budgetwatch ledger rotate-key`); `verify` fails until it has.
pub const PUBLISHED_KEYS: &[&str] =
    &["budgetwatch.local/ccad1562+eba0fd3a+Ad8jKzPZu4XLyEwS1bFbQ97C7s91vw5IDPuJrH4rP2Mf"];

enum VerifyKey {
    Ed25519(VerifyingKey),
    Sm2(sm2::dsa::VerifyingKey),
}

/// A public key that checks notes.
pub struct Verifier {
    pub name: String,
    hash: [u8; 4],
    key: VerifyKey,
}

impl Verifier {
    pub fn parse(s: &str) -> Result<Verifier, NoteError> {
        let mut parts = s.trim().splitn(3, '+');
        let (name, hash_hex, b64) =
            (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        if !valid_name(name) {
            return Err(NoteError::Key(format!("invalid key name {name:?}")));
        }
        let bytes = base64_decode(b64).ok_or_else(|| NoteError::Key("bad base64".into()))?;
        let (key, key_type, public) = match split_type(&bytes) {
            Some((crate::Suite::Sha256Ed25519, k)) if k.len() == 32 => {
                let public: [u8; 32] = k.try_into().map_err(|_| NoteError::Key("bad key length".into()))?;
                let key = VerifyingKey::from_bytes(&public).map_err(|e| NoteError::Key(e.to_string()))?;
                (VerifyKey::Ed25519(key), &[ALG_ED25519][..], k)
            }
            Some((crate::Suite::Sm3Sm2, k)) => {
                let key = sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_DISTID, k)
                    .map_err(|_| NoteError::Key("not an SM2 public key".into()))?;
                (VerifyKey::Sm2(key), TYPE_SM2, k)
            }
            _ => return Err(NoteError::Key("not an Ed25519 or SM2 verifier key".into())),
        };
        let hash = key_id_of(name, key_type, public);
        if crate::hex(&hash) != hash_hex {
            return Err(NoteError::Key("key hash does not match the key".into()));
        }
        Ok(Verifier { name: name.to_string(), hash, key })
    }

    /// The suite the key belongs to.
    pub fn suite(&self) -> crate::Suite {
        match self.key {
            VerifyKey::Ed25519(_) => crate::Suite::Sha256Ed25519,
            VerifyKey::Sm2(_) => crate::Suite::Sm3Sm2,
        }
    }

    /// Checks a raw signature made by `Signer::sign_bytes`.
    pub fn verifies(&self, text: &[u8], sig: &[u8]) -> bool {
        match &self.key {
            VerifyKey::Ed25519(k) => {
                ed25519_dalek::Signature::from_slice(sig).is_ok_and(|sig| k.verify(text, &sig).is_ok())
            }
            VerifyKey::Sm2(k) => sm2::dsa::Signature::from_slice(sig)
                .is_ok_and(|sig| sm2::dsa::signature::Verifier::verify(k, text, &sig).is_ok()),
        }
    }

    /// Checks `note` carries a valid signature by this key; returns its text.
    pub fn open<'a>(&self, note: &'a str) -> Result<&'a str, NoteError> {
        let split = note.rfind("\n\n").ok_or_else(|| NoteError::Note("no blank line before the signatures".into()))?;
        let (text, sigs) = (&note[..split + 1], &note[split + 2..]);
        for line in sigs.lines() {
            let Some(rest) = line.strip_prefix("\u{2014} ") else {
                return Err(NoteError::Note(format!("not a signature line: {line:?}")));
            };
            let Some((name, b64)) = rest.split_once(' ') else { continue };
            if name != self.name {
                continue;
            }
            let Some(bytes) = base64_decode(b64) else { continue };
            if bytes.len() != 68 || bytes[..4] != self.hash {
                continue;
            }
            if self.verifies(text.as_bytes(), &bytes[4..]) {
                return Ok(text);
            }
        }
        Err(NoteError::Unsigned(self.name.clone()))
    }
}

/// A parsed `tlog-checkpoint` body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    /// `origin\nsize\nbase64(root)\n`.
    pub fn text(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, base64(&self.root))
    }

    pub fn parse(text: &str) -> Result<Checkpoint, NoteError> {
        let mut lines = text.split('\n');
        let origin =
            lines.next().filter(|o| !o.is_empty()).ok_or_else(|| NoteError::Checkpoint("no origin line".into()))?;
        let size = lines
            .next()
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s.len() == 1 || !s.starts_with('0')))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| NoteError::Checkpoint("bad tree size".into()))?;
        let root: Hash = lines
            .next()
            .and_then(base64_decode)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| NoteError::Checkpoint("bad root hash".into()))?;
        Ok(Checkpoint { origin: origin.to_string(), size, root })
    }
}

/// A witness's key for C2SP `tlog-cosignature` (cosignature/v1, timestamped Ed25519).
pub struct Cosigner {
    name: String,
    key: SigningKey,
    id: [u8; 4],
}

/// The message a cosignature/v1 signs: a header line, the time, then the checkpoint body.
fn cosigned_message(body: &str, time: u64) -> String {
    format!("cosignature/v1\ntime {time}\n{body}")
}

impl Cosigner {
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Cosigner, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::Key(format!("invalid key name {name:?}")));
        }
        let key = SigningKey::from_bytes(&seed);
        let id = key_id(name, ALG_COSIGNATURE_V1, key.verifying_key().as_bytes());
        Ok(Cosigner { name: name.to_string(), key, id })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `PRIVATE+KEY+name+id+base64(0x04 ‖ seed)`.
    pub fn private_key_string(&self) -> String {
        let mut b = vec![ALG_COSIGNATURE_V1];
        b.extend_from_slice(self.key.as_bytes());
        format!("PRIVATE+KEY+{}+{}+{}", self.name, crate::hex(&self.id), base64(&b))
    }

    pub fn parse_private_key(s: &str) -> Result<Cosigner, NoteError> {
        let rest =
            s.trim().strip_prefix("PRIVATE+KEY+").ok_or_else(|| NoteError::Key("not a PRIVATE+KEY string".into()))?;
        let mut parts = rest.splitn(3, '+');
        let (name, _id, b64) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let bytes = base64_decode(b64).ok_or_else(|| NoteError::Key("bad base64".into()))?;
        match bytes.split_first() {
            Some((&ALG_COSIGNATURE_V1, seed)) if seed.len() == 32 => {
                let mut s = [0u8; 32];
                s.copy_from_slice(seed);
                Cosigner::from_seed(name, s)
            }
            _ => Err(NoteError::Key("not a cosignature/v1 key".into())),
        }
    }

    /// `name+id+base64(0x04 ‖ public key)`.
    pub fn verifier_key(&self) -> String {
        let mut b = vec![ALG_COSIGNATURE_V1];
        b.extend_from_slice(self.key.verifying_key().as_bytes());
        format!("{}+{}+{}", self.name, crate::hex(&self.id), base64(&b))
    }

    /// The signature line `— name base64(id ‖ time ‖ signature)` cosigning the checkpoint
    /// `body` (its text without signatures) at `time` (seconds since the epoch).
    pub fn cosign(&self, body: &str, time: u64) -> String {
        let sig = self.key.sign(cosigned_message(body, time).as_bytes());
        let mut b = self.id.to_vec();
        b.extend_from_slice(&time.to_be_bytes());
        b.extend_from_slice(&sig.to_bytes());
        format!("\u{2014} {} {}", self.name, base64(&b))
    }
}

/// A witness's public cosignature/v1 key.
#[derive(Clone, Debug)]
pub struct CosignatureVerifier {
    pub name: String,
    id: [u8; 4],
    key: VerifyingKey,
    text: String,
}

impl CosignatureVerifier {
    pub fn parse(s: &str) -> Result<CosignatureVerifier, NoteError> {
        let mut parts = s.trim().splitn(3, '+');
        let (name, id_hex, b64) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        if !valid_name(name) {
            return Err(NoteError::Key(format!("invalid key name {name:?}")));
        }
        let bytes = base64_decode(b64).ok_or_else(|| NoteError::Key("bad base64".into()))?;
        let public: [u8; 32] = match bytes.split_first() {
            Some((&ALG_COSIGNATURE_V1, k)) if k.len() == 32 => {
                k.try_into().map_err(|_| NoteError::Key("bad key length".into()))?
            }
            _ => return Err(NoteError::Key("not a cosignature/v1 verifier key (type 0x04)".into())),
        };
        let key = VerifyingKey::from_bytes(&public).map_err(|e| NoteError::Key(e.to_string()))?;
        let id = key_id(name, ALG_COSIGNATURE_V1, &public);
        if crate::hex(&id) != id_hex {
            return Err(NoteError::Key("key ID does not match the key".into()));
        }
        Ok(CosignatureVerifier { name: name.to_string(), id, key, text: s.trim().to_string() })
    }

    /// The key as text (`name+id+base64`).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Checks one signature line against the checkpoint `body`; returns the cosigning time.
    pub fn verify_line(&self, body: &str, line: &str) -> Result<u64, NoteError> {
        let rest =
            line.strip_prefix("\u{2014} ").ok_or_else(|| NoteError::Note(format!("not a signature line: {line:?}")))?;
        let (name, b64) = rest.split_once(' ').ok_or_else(|| NoteError::Note("no signature".into()))?;
        if name != self.name {
            return Err(NoteError::Unsigned(self.name.clone()));
        }
        let bytes = base64_decode(b64.trim()).ok_or_else(|| NoteError::Note("bad base64".into()))?;
        if bytes.len() != 4 + 8 + 64 || bytes[..4] != self.id {
            return Err(NoteError::Unsigned(self.name.clone()));
        }
        let mut t = [0u8; 8];
        t.copy_from_slice(&bytes[4..12]);
        let time = u64::from_be_bytes(t);
        let sig = ed25519_dalek::Signature::from_slice(&bytes[12..]).map_err(|e| NoteError::Note(e.to_string()))?;
        self.key
            .verify(cosigned_message(body, time).as_bytes(), &sig)
            .map_err(|_| NoteError::Unsigned(self.name.clone()))?;
        Ok(time)
    }
}

/// Splits a signed note into its body (with the final newline) and its signature lines.
pub fn split_note(note: &str) -> Result<(&str, Vec<&str>), NoteError> {
    let split = note.rfind("\n\n").ok_or_else(|| NoteError::Note("no blank line before the signatures".into()))?;
    Ok((&note[..split + 1], note[split + 2..].lines().filter(|l| !l.is_empty()).collect()))
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

/// Decodes standard padded base64; `None` on anything else.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(4) {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    for (i, q) in b.chunks(4).enumerate() {
        let last = i + 1 == b.len() / 4;
        let pad = q.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &q[..4 - pad] {
            n = (n << 6) | val(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
            assert_eq!(base64_decode(o), Some(i.as_bytes().to_vec()));
        }
        assert_eq!(base64_decode("Zm9v="), None);
        assert_eq!(base64_decode("Z*9v"), None);
    }

    #[test]
    fn cosignatures_follow_tlog_cosignature_and_forgeries_fail() -> Result<(), NoteError> {
        let w = Cosigner::from_seed("audit.example/witness", [5; 32])?;
        let again = Cosigner::parse_private_key(&w.private_key_string())?;
        assert_eq!(again.verifier_key(), w.verifier_key());
        let v = CosignatureVerifier::parse(&w.verifier_key())?;
        assert!(Verifier::parse(&w.verifier_key()).is_err(), "a cosignature key is not a note key");
        let body = "budgetwatch/test\n42\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n";
        let line = w.cosign(body, 1_700_000_000);
        assert!(line.starts_with("\u{2014} audit.example/witness "));
        let raw = base64_decode(line.rsplit(' ').next().unwrap_or(""));
        // key ID ‖ big-endian time ‖ Ed25519 signature.
        assert_eq!(raw.as_ref().map(Vec::len), Some(76));
        assert_eq!(raw.as_ref().map(|r| r[4..12].to_vec()), Some(1_700_000_000u64.to_be_bytes().to_vec()));
        assert_eq!(v.verify_line(body, &line), Ok(1_700_000_000));
        assert!(v.verify_line(&body.replace("42", "43"), &line).is_err());
        let other = Cosigner::from_seed("audit.example/witness", [6; 32])?;
        assert!(v.verify_line(body, &other.cosign(body, 1_700_000_000)).is_err());
        let note = format!("{body}\n\u{2014} log sig\n{line}\n");
        assert_eq!(split_note(&note)?, (body, vec!["\u{2014} log sig", line.as_str()]));
        Ok(())
    }

    #[test]
    fn sm2_signed_checkpoints_verify_and_forgeries_do_not() -> Result<(), NoteError> {
        let name = "budgetwatch.test/ab12/sm3-sm2";
        let signer = Signer::new(crate::Suite::Sm3Sm2, name, [7; 32])?;
        assert_eq!(signer.suite(), crate::Suite::Sm3Sm2);
        let again = Signer::parse_private_key(&signer.private_key_string())?;
        assert_eq!(again.verifier_key(), signer.verifier_key());
        let v = Verifier::parse(&signer.verifier_key())?;
        assert_eq!(v.suite(), crate::Suite::Sm3Sm2);
        let cp = Checkpoint { origin: name.into(), size: 42, root: crate::Suite::Sm3Sm2.leaf(b"x") };
        let note = signer.sign(&cp.text());
        assert_eq!(Checkpoint::parse(v.open(&note)?)?, cp);
        assert!(v.open(&note.replacen("\n42\n", "\n43\n", 1)).is_err());
        // An Ed25519 key of the same name does not open it, nor the SM2 key an Ed25519 note.
        let ed = Signer::from_seed(name, [7; 32])?;
        assert!(Verifier::parse(&ed.verifier_key())?.open(&note).is_err());
        assert!(v.open(&ed.sign(&cp.text())).is_err());
        let other = Signer::new(crate::Suite::Sm3Sm2, name, [8; 32])?;
        assert!(v.open(&other.sign(&cp.text())).is_err());
        Ok(())
    }

    #[test]
    fn signed_checkpoints_verify_and_forgeries_do_not() -> Result<(), NoteError> {
        let signer = Signer::from_seed("budgetwatch/test", [7; 32])?;
        // Keys whose base64 holds '+' parse too.
        for seed in 0..=255u8 {
            let s = Signer::from_seed("budgetwatch/test", [seed; 32])?;
            assert_eq!(Signer::parse_private_key(&s.private_key_string())?.verifier_key(), s.verifier_key());
            assert!(Verifier::parse(&s.verifier_key()).is_ok());
        }
        let again = Signer::parse_private_key(&signer.private_key_string())?;
        assert_eq!(again.verifier_key(), signer.verifier_key());
        let cp = Checkpoint { origin: "budgetwatch/test".into(), size: 42, root: [9; 32] };
        let note = signer.sign(&cp.text());
        assert!(note.starts_with(
            "budgetwatch/test\n42\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n\n\u{2014} budgetwatch/test "
        ));
        let v = Verifier::parse(&signer.verifier_key())?;
        assert_eq!(Checkpoint::parse(v.open(&note)?)?, cp);
        let tampered = note.replacen("\n42\n", "\n43\n", 1);
        assert!(matches!(v.open(&tampered), Err(NoteError::Unsigned(_))));
        let other = Signer::from_seed("budgetwatch/test", [8; 32])?;
        assert!(matches!(v.open(&other.sign(&cp.text())), Err(NoteError::Unsigned(_))));
        assert!(
            Verifier::parse(&signer.verifier_key().replace("+0", "+1")).is_err()
                || !signer.verifier_key().contains("+0")
        );
        Ok(())
    }
}
