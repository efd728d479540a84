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

/// The installation's time zone, once read from its database (`clock.time_zone`); until
/// then the shipped default, Asia/Shanghai.
static ZONE: std::sync::RwLock<Option<bw_app::zone::TimeZone>> = std::sync::RwLock::new(None);

/// Makes `tz` the zone "today" is read in.
pub fn set_zone(tz: bw_app::zone::TimeZone) {
    if let Ok(mut z) = ZONE.write() {
        *z = Some(tz);
    }
}

/// Reads the installation's zone from `store` (a database without the setting has the
/// default).
pub async fn load_zone(store: &bw_store::Store) -> Result<(), bw_app::journal::ActionError> {
    set_zone(bw_app::zone::installation(store).await?);
    Ok(())
}

pub fn zone() -> bw_app::zone::TimeZone {
    ZONE.read().ok().and_then(|z| z.clone()).unwrap_or_else(bw_app::zone::default_zone)
}

/// Today's date in the installation's time zone.
pub fn today() -> bw_core::Date {
    bw_app::zone::local_date(&zone(), now())
}

/// `at` as people there read it: `YYYY-MM-DD HH:MM` in the installation's zone.
pub fn local_time(at: Timestamp) -> String {
    bw_app::zone::local_time(&zone(), at)
}
