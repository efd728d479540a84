//! The demo province's macro indicators (宏观指标): each region's CPI (year on year, %) and
//! GDP growth (%), around a level of the region's own, in the `macro_indicators` template.
//! The data set's year gives CPI by month, as the statistics bureau publishes it; the
//! history's years give both by quarter.

use super::{Rng, line};
use std::io::Write;

/// The two figures, by name: (name, the province's level, the region's spread around it,
/// one quarter's spread around the region's level).
pub(super) const FIGURES: [(&str, f64, f64, f64); 2] = [("cpi", 2.0, 0.8, 0.7), ("gdp_growth", 5.0, 1.0, 1.5)];

/// A number drawn uniformly in ±`spread`.
pub(super) fn spread(rng: &mut Rng, spread: f64) -> f64 {
    spread * (2.0 * rng.below(1001) as f64 / 1000.0 - 1.0)
}

/// The region's own level of figure `f`: the same for every year of a seed.
fn level(seed: u64, region: &str, f: usize) -> f64 {
    let mut h = seed ^ 0x4D41_4352_4F00_0000 ^ f as u64;
    for b in region.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
    }
    let (_, base, region_spread, _) = FIGURES[f];
    base + spread(&mut Rng(h), region_spread)
}

/// Rounded to the hundredth as written, so that what is planted is what is read back.
pub(super) fn hundredths(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Writes figure `f` of `region` for `period`, drawn around the region's level; returns
/// the value written.
pub(super) fn write<W: Write>(
    w: &mut W,
    rng: &mut Rng,
    seed: u64,
    region: &str,
    f: usize,
    period: &str,
) -> std::io::Result<f64> {
    let v = hundredths(level(seed, region, f) + spread(rng, FIGURES[f].3));
    line(w, &[period, region, FIGURES[f].0, &format!("{v:.2}")])?;
    Ok(v)
}

/// The data set's year: CPI by month and GDP growth by quarter for every region.
pub(super) fn write_year<W: Write>(w: &mut W, seed: u64, regions: &[String], year: i32) -> std::io::Result<usize> {
    let mut rng = Rng(seed ^ 0x4D41_4352_4F59_4541);
    let mut n = 0;
    for r in regions {
        for m in 1..=12 {
            write(w, &mut rng, seed, r, 0, &format!("{year}-{m:02}"))?;
            n += 1;
        }
        for q in 1..=4 {
            write(w, &mut rng, seed, r, 1, &format!("{year}-Q{q}"))?;
            n += 1;
        }
    }
    Ok(n)
}
