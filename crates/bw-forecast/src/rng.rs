//! The simulation's random numbers: xoshiro256** (Blackman and Vigna, 2018), seeded per
//! path from the run's seed by SplitMix64, so that path p draws the same numbers whichever
//! thread computes it and however many threads there are. Normal deviates by Box-Muller.
//! Written here (twenty lines) so that a seed gives the same run in every version of the
//! program; a library's generator may change its stream between releases.

/// SplitMix64: the seeding generator.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256**.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
    /// A normal deviate left over from the last Box-Muller pair.
    spare: Option<f64>,
}

impl Rng {
    /// The generator of path `path` of a run seeded with `seed`.
    pub fn for_path(seed: u64, path: u64) -> Rng {
        let mut state = seed ^ splitmix(&mut path.wrapping_mul(0xD1B5_4A32_D192_ED03).clone());
        let s = [splitmix(&mut state), splitmix(&mut state), splitmix(&mut state), splitmix(&mut state)];
        Rng { s, spare: None }
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform on [0, 1), 53 bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal.
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let u1 = 1.0 - self.uniform(); // (0, 1]: the logarithm stays finite
        let u2 = self.uniform();
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (2.0 * std::f64::consts::PI * u2).sin_cos();
        self.spare = Some(r * s);
        r * c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_reproducible_and_distinct_and_normals_have_unit_variance() {
        let mut a = Rng::for_path(7, 3);
        let mut b = Rng::for_path(7, 3);
        let mut c = Rng::for_path(7, 4);
        let (x, y, z) = (a.next_u64(), b.next_u64(), c.next_u64());
        assert_eq!(x, y);
        assert_ne!(x, z);
        let n = 200_000;
        let mut r = Rng::for_path(1, 0);
        let draws: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
        // Four standard errors: mean 1/√n, variance √(2/n).
        assert!(mean.abs() < 4.0 / (n as f64).sqrt(), "{mean}");
        assert!((var - 1.0).abs() < 4.0 * (2.0 / n as f64).sqrt(), "{var}");
    }
}
