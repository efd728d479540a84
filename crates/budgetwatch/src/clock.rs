//! The clock, read here and nowhere else: every layer below takes the time as a parameter.

use bw_core::Timestamp;

#[allow(clippy::disallowed_methods)] // the one sanctioned read of the clock
pub fn now() -> Timestamp {
    let secs =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    Timestamp(secs)
}

/// Fresh random bytes from the operating system, for key generation.
pub fn random_seed() -> std::io::Result<[u8; 32]> {
    use std::io::Read;
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut seed)?;
    Ok(seed)
}
