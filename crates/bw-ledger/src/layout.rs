//! The C2SP `tlog-tiles` file layout, used by `ledger export`: hash tiles at
//! `tile/<L>/<N>`, entry bundles at `tile/entries/<N>`, a partial tile of width `W` at the
//! same path with `.p/<W>` appended. `N` is written in zero-padded groups of three digits,
//! each but the last prefixed with `x` (1234067 → `x001/x234/067`).

use crate::merkle::TILE_WIDTH;

/// The path element of tile index `n`.
pub fn index_path(n: u64) -> String {
    let digits = format!("{n:03}");
    // Left-pad to a multiple of three digits, then group.
    let pad = (3 - digits.len() % 3) % 3;
    let padded = format!("{}{digits}", "0".repeat(pad));
    let groups: Vec<&str> = padded.as_bytes().chunks(3).map(|c| std::str::from_utf8(c).unwrap_or("000")).collect();
    let last = groups.len() - 1;
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| if i < last { format!("x{g}") } else { (*g).to_string() })
        .collect::<Vec<_>>()
        .join("/")
}

fn with_width(base: String, width: u64) -> String {
    if width == TILE_WIDTH { base } else { format!("{base}.p/{width}") }
}

/// `tile/<level>/<N>[.p/<W>]`: a hash tile of `width` hashes (256 when full).
pub fn tile_path(level: u32, index: u64, width: u64) -> String {
    with_width(format!("tile/{level}/{}", index_path(index)), width)
}

/// `tile/entries/<N>[.p/<W>]`: the bundle of entries `256·N ..`.
pub fn bundle_path(index: u64, width: u64) -> String {
    with_width(format!("tile/entries/{}", index_path(index)), width)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("entry of {0} bytes: an entry bundle holds entries of at most 65535 bytes")]
    TooLong(usize),
    #[error("entry bundle truncated after {0} entries")]
    Truncated(usize),
}

/// Appends `entry` to a bundle: a big-endian 16-bit length, then the bytes.
pub fn bundle_push(bundle: &mut Vec<u8>, entry: &[u8]) -> Result<(), BundleError> {
    let len = u16::try_from(entry.len()).map_err(|_| BundleError::TooLong(entry.len()))?;
    bundle.extend_from_slice(&len.to_be_bytes());
    bundle.extend_from_slice(entry);
    Ok(())
}

/// Splits a bundle into its entries.
pub fn bundle_entries(mut bundle: &[u8]) -> Result<Vec<&[u8]>, BundleError> {
    let mut out = Vec::new();
    while !bundle.is_empty() {
        let (len, rest) = match bundle {
            [a, b, rest @ ..] => (usize::from(u16::from_be_bytes([*a, *b])), rest),
            _ => return Err(BundleError::Truncated(out.len())),
        };
        let Some(entry) = rest.get(..len) else { return Err(BundleError::Truncated(out.len())) };
        out.push(entry);
        bundle = &rest[len..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_tlog_tiles() {
        assert_eq!(index_path(0), "000");
        assert_eq!(index_path(7), "007");
        assert_eq!(index_path(999), "999");
        assert_eq!(index_path(1000), "x001/000");
        assert_eq!(index_path(1_234_067), "x001/x234/067");
        assert_eq!(tile_path(0, 1_234_067, 256), "tile/0/x001/x234/067");
        assert_eq!(tile_path(1, 3, 8), "tile/1/003.p/8");
        assert_eq!(bundle_path(0, 5), "tile/entries/000.p/5");
    }

    #[test]
    fn bundles_round_trip_and_reject_damage() {
        let mut b = Vec::new();
        for e in [&b""[..], b"a", b"{\"v\":1}"] {
            assert!(bundle_push(&mut b, e).is_ok());
        }
        assert_eq!(bundle_entries(&b), Ok(vec![&b""[..], b"a", b"{\"v\":1}"]));
        assert_eq!(bundle_entries(&b[..b.len() - 1]), Err(BundleError::Truncated(2)));
        assert_eq!(bundle_push(&mut b, &[0; 70_000]), Err(BundleError::TooLong(70_000)));
    }
}
