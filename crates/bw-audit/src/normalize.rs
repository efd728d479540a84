//! Payee names and document numbers brought to one spelling before they are compared.

/// A payee name with spacing, full-width forms, case, brackets and the legal-form suffix
/// (有限责任公司, 股份有限公司, 有限公司, 公司) taken away: "北京 华新科技有限公司" and
/// "北京华新科技公司" are one payee.
pub fn payee_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(half_width)
        .filter(|c| !c.is_whitespace() && !matches!(c, '(' | ')' | '[' | ']' | '·' | '.' | ',' | '-'))
        .flat_map(char::to_lowercase)
        .collect();
    for suffix in
        ["有限责任公司", "股份有限公司", "集团有限公司", "有限公司", "分公司", "公司", "co.,ltd", "coltd", "ltd", "inc"]
    {
        if s.len() > suffix.len() && s.ends_with(suffix) {
            s.truncate(s.len() - suffix.len());
            break;
        }
    }
    s
}

/// An invoice or account number: half-width, upper case, without spaces and dashes.
pub fn number(s: &str) -> std::borrow::Cow<'_, str> {
    // Most numbers are already plain digits and capitals: borrowed as they are.
    if s.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()) {
        return std::borrow::Cow::Borrowed(s);
    }
    s.chars().map(half_width).filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_uppercase).collect()
}

/// The half-width form of a full-width ASCII character (U+FF01–U+FF5E) and of the
/// ideographic space; other characters as they are. Full-width brackets become ASCII too, as part of that range;
/// 【】 become [].
pub fn half_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '【' => '[',
        '】' => ']',
        _ => c,
    }
}

/// Levenshtein distance between two strings in characters, giving up (returning `limit + 1`)
/// as soon as it must exceed `limit`.
pub fn edits_within(a: &str, b: &str, limit: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > limit {
        return limit + 1;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j - 1] + cost).min(prev[j] + 1).min(cur[j - 1] + 1);
            row_min = row_min.min(cur[j]);
        }
        if row_min > limit {
            return limit + 1;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()].min(limit + 1)
}

/// A fast hasher for the tests' maps over a million short keys (codes, numbers, names),
/// where SipHash's resistance to chosen keys buys nothing: FxHash's multiply and rotate.
#[derive(Clone, Copy, Default)]
pub struct Fx(u64);

impl std::hash::Hasher for Fx {
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits, which pick the bucket, depending on the low
        // input bits only: every bit is mixed into every other.
        // (MurmurHash3's 64-bit finaliser.)
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(w));
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
}

/// `HashMap` with `Fx`.
pub type FxMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<Fx>>;

/// Numbers for distinct keys, 0, 1, 2 … in the order first seen, and the keys by number.
pub struct Ids<K> {
    map: FxMap<K, u32>,
    pub keys: Vec<K>,
}

impl<K: std::hash::Hash + Eq + Clone> Default for Ids<K> {
    fn default() -> Ids<K> {
        Ids { map: FxMap::default(), keys: Vec::new() }
    }
}

impl<K: std::hash::Hash + Eq + Clone> Ids<K> {
    pub fn id(&mut self, key: K) -> u32 {
        if let Some(&i) = self.map.get(&key) {
            return i;
        }
        let i = self.keys.len() as u32;
        self.keys.push(key.clone());
        self.map.insert(key, i);
        i
    }
}

/// Equal texts: at once when they are the same slice (a run of payments of one unit read
/// from a file shares its unit code).
pub fn same(a: &str, b: &str) -> bool {
    std::ptr::eq(a, b) || a == b
}

/// The units (by number) and each payment's unit number. Payments come grouped by unit, so
/// a run of one unit is hashed once.
pub fn unit_ids<'a>(payments: &'a [crate::Payment<'_>]) -> (Vec<&'a str>, Vec<u32>) {
    let mut ids = TextIds::default();
    let mut last: Option<(&str, u32)> = None;
    let of = payments
        .iter()
        .map(|x| {
            let id = match last {
                Some((name, id)) if same(name, &x.unit) => id,
                _ => ids.id(&x.unit),
            };
            last = Some((&x.unit, id));
            id
        })
        .collect();
    (ids.keys, of)
}

/// Numbers for distinct texts, 0, 1, 2 … in the order first seen, and the texts by number.
/// A text of up to 23 bytes is keyed inline, so that the map compares it without reaching for
/// its bytes elsewhere in memory (a million payments name a hundred thousand accounts, each
/// first seen somewhere in a file of a hundred megabytes).
#[derive(Default)]
pub struct TextIds<'a> {
    short: FxMap<[u8; 24], u32>,
    long: FxMap<&'a str, u32>,
    pub keys: Vec<&'a str>,
}

impl<'a> TextIds<'a> {
    pub fn with_capacity(n: usize) -> TextIds<'a> {
        TextIds { short: FxMap::with_capacity_and_hasher(n, Default::default()), ..TextIds::default() }
    }

    pub fn id(&mut self, s: &'a str) -> u32 {
        let next = self.keys.len() as u32;
        let id = if s.len() < 24 {
            let mut k = [0u8; 24];
            k[..s.len()].copy_from_slice(s.as_bytes());
            k[23] = s.len() as u8;
            *self.short.entry(k).or_insert(next)
        } else {
            *self.long.entry(s).or_insert(next)
        };
        if id == next {
            self.keys.push(s);
        }
        id
    }
}

/// Each payment's payee identity (`duplicates::payee_key`) as a number, equal numbers for
/// equal identities; each distinct name and account is normalised once (a million payments
/// name a few thousand payees).
pub fn payee_ids(payments: &[crate::Payment<'_>]) -> Vec<u32> {
    // Accounts (individuals, and payees without a name) and names numbered apart, then each
    // number given its identity's number once.
    let mut raw = [TextIds::with_capacity(payments.len() / 8), TextIds::with_capacity(1024)];
    let mut identity: [Vec<u32>; 2] = [Vec::new(), Vec::new()];
    let mut ids: Ids<String> = Ids::default();
    payments
        .iter()
        .map(|p| {
            let by_account = p.payee_type == bw_core::records::PayeeType::Individual || p.payee_name.trim().is_empty();
            let (k, text) = if by_account { (0, p.payee_account.as_ref()) } else { (1, p.payee_name.as_ref()) };
            let r = raw[k].id(text) as usize;
            if r == identity[k].len() {
                identity[k].push(ids.id(crate::duplicates::payee_key(p)));
            }
            identity[k][r]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payee_ids_are_equal_exactly_for_equal_identities() {
        use crate::tests_support::pay;
        let mut ps = vec![
            pay("V1", "U1", "2025-01-01", "北京 华新科技有限公司", 1, ""),
            pay("V2", "U1", "2025-01-01", "北京华新科技公司", 1, ""),
            pay("V3", "U1", "2025-01-01", "上海华新科技公司", 1, ""),
            pay("V4", "U1", "2025-01-01", "张三", 1, ""),
            pay("V5", "U1", "2025-01-01", "张三", 1, ""),
        ];
        // People share names: an individual is the account.
        for (p, acct) in ps[3..].iter_mut().zip(["6222-01", "6222 02"]) {
            p.payee_type = bw_core::records::PayeeType::Individual;
            p.payee_account = acct.into();
        }
        let ids = payee_ids(&ps);
        assert_eq!(ids[0], ids[1]);
        assert_ne!(ids[0], ids[2]);
        assert_ne!(ids[3], ids[4]);
        let keys: Vec<String> = ps.iter().map(crate::duplicates::payee_key).collect();
        for i in 0..ps.len() {
            for j in 0..ps.len() {
                assert_eq!(ids[i] == ids[j], keys[i] == keys[j], "{i} {j}");
            }
        }
        // The hasher spreads keys that differ only in their last characters over the low
        // bits (the bucket) and the top seven (the tag the table probes with).
        use std::hash::BuildHasher;
        let b = std::hash::BuildHasherDefault::<Fx>::default();
        let hashes: Vec<u64> = (0..4096).map(|i| b.hash_one(format!("INV2025{i:08}"))).collect();
        let low: std::collections::HashSet<u64> = hashes.iter().map(|h| h & 0xfff).collect();
        let top: std::collections::HashSet<u64> = hashes.iter().map(|h| h >> 57).collect();
        assert!(low.len() > 2_400, "{} of 4096 buckets", low.len());
        assert_eq!(top.len(), 128);
    }

    #[test]
    fn texts_are_numbered_in_the_order_first_seen_short_or_long() {
        let long = "一个很长的单位名称有限责任公司";
        assert!(long.len() >= 24);
        let texts = ["6222", long, "", "6222", long, "6223", "", "12345678901234567890123"];
        let mut ids = TextIds::default();
        let got: Vec<u32> = texts.iter().map(|t| ids.id(t)).collect();
        assert_eq!(got, vec![0, 1, 2, 0, 1, 3, 2, 4]);
        assert_eq!(ids.keys, vec!["6222", long, "", "6223", "12345678901234567890123"]);
        // The length is part of the key: a text is not its prefix padded with zero bytes.
        let mut ids = TextIds::default();
        assert_ne!(ids.id("a"), ids.id("a\0"));
        assert!(same("U1", &String::from("U1")));
        assert!(!same("U1", "U2"));
    }

    #[test]
    fn names_compare_after_normalising() {
        assert_eq!(payee_name("北京 华新科技有限公司"), payee_name("北京华新科技公司"));
        assert_eq!(payee_name("ＡＢＣ（北京）科技有限责任公司"), payee_name("abc(北京)科技公司"));
        assert_eq!(payee_name("Acme Co.,Ltd"), "acme");
        assert_ne!(payee_name("北京华新科技有限公司"), payee_name("北京华盛科技有限公司"));
        // A name that is only a suffix is kept.
        assert_eq!(payee_name("公司"), "公司");
    }

    #[test]
    fn numbers_and_edits() {
        assert_eq!(number(" ｎｏ-12 34 "), "NO1234");
        assert_eq!(edits_within("12345678", "12345679", 1), 1);
        assert_eq!(edits_within("12345678", "1234567", 1), 1);
        assert_eq!(edits_within("12345678", "12345687", 1), 2);
        assert_eq!(edits_within("12345678", "12345678", 1), 0);
        assert_eq!(edits_within("abc", "xyz", 5), 3);
    }
}
