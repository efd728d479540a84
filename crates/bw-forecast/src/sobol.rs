//! Variance-based sensitivity: Sobol' first-order and total indices by Saltelli's sampling
//! (Saltelli et al. 2010: the A, B and AB matrices; Jansen's total effect), the inputs drawn
//! from a Sobol' low-discrepancy sequence (Joe and Kuo's direction numbers, the first 32
//! dimensions, public data), unscrambled and without its first point (the origin).
//!
//! The output vector is laid out as SALib's `saltelli.sample(…, calc_second_order=False)`
//! lays it out — for each base sample j the rows A(j), AB₁(j), …, AB_D(j), B(j) — and the
//! indices are computed as SALib's `sobol.analyze` computes them (the outputs standardised,
//! the variance of A and B together), so that the two can be compared on the same vector.

/// Joe and Kuo (new-joe-kuo-6.21201): for dimensions 2, 3, …: the degree s of the primitive
/// polynomial, its middle coefficients a, and the initial direction numbers m₁ … m_s.
const DIRECTIONS: [(u32, u32, &[u32]); 31] = [
    (1, 0, &[1]),
    (2, 1, &[1, 3]),
    (3, 1, &[1, 3, 1]),
    (3, 2, &[1, 1, 1]),
    (4, 1, &[1, 1, 3, 3]),
    (4, 4, &[1, 3, 5, 13]),
    (5, 2, &[1, 1, 5, 5, 17]),
    (5, 4, &[1, 1, 5, 5, 5]),
    (5, 7, &[1, 1, 7, 11, 19]),
    (5, 11, &[1, 1, 5, 1, 1]),
    (5, 13, &[1, 1, 1, 3, 11]),
    (5, 14, &[1, 3, 5, 5, 31]),
    (6, 1, &[1, 3, 3, 9, 7, 49]),
    (6, 13, &[1, 1, 1, 15, 21, 21]),
    (6, 16, &[1, 3, 1, 13, 27, 49]),
    (6, 19, &[1, 1, 1, 15, 7, 5]),
    (6, 22, &[1, 3, 1, 15, 13, 25]),
    (6, 25, &[1, 1, 5, 5, 19, 61]),
    (7, 1, &[1, 3, 7, 11, 23, 15, 103]),
    (7, 4, &[1, 3, 7, 13, 13, 15, 69]),
    (7, 7, &[1, 1, 3, 13, 7, 35, 63]),
    (7, 8, &[1, 3, 5, 9, 1, 25, 53]),
    (7, 14, &[1, 3, 1, 13, 9, 35, 107]),
    (7, 19, &[1, 3, 1, 5, 27, 61, 31]),
    (7, 21, &[1, 1, 5, 11, 19, 41, 61]),
    (7, 28, &[1, 3, 5, 3, 3, 13, 69]),
    (7, 31, &[1, 1, 7, 13, 1, 19, 1]),
    (7, 32, &[1, 3, 7, 5, 13, 19, 59]),
    (7, 37, &[1, 1, 3, 9, 25, 29, 41]),
    (7, 41, &[1, 3, 5, 13, 23, 1, 55]),
    (7, 42, &[1, 3, 7, 3, 13, 59, 17]),
];

/// The most inputs a run may have: the sequence needs twice as many dimensions.
pub const MAX_INPUTS: usize = 16;

/// The first `n` points of the Sobol' sequence in `d` dimensions (skipping the origin).
pub fn sequence(n: usize, d: usize) -> Vec<Vec<f64>> {
    assert!(d <= DIRECTIONS.len() + 1, "at most {} dimensions", DIRECTIONS.len() + 1);
    const BITS: u32 = 52;
    // Direction numbers v_k = m_k · 2^(BITS − k), per dimension.
    let dirs: Vec<Vec<u64>> = (0..d)
        .map(|dim| {
            let mut v = vec![0u64; BITS as usize];
            if dim == 0 {
                for (k, vk) in v.iter_mut().enumerate() {
                    *vk = 1u64 << (BITS - 1 - k as u32);
                }
                return v;
            }
            let (s, a, m) = DIRECTIONS[dim - 1];
            let s = s as usize;
            for k in 0..s.min(BITS as usize) {
                v[k] = (m[k] as u64) << (BITS - 1 - k as u32);
            }
            for k in s..BITS as usize {
                let mut x = v[k - s] ^ (v[k - s] >> s);
                for l in 1..s {
                    if (a >> (s - 1 - l)) & 1 == 1 {
                        x ^= v[k - l];
                    }
                }
                v[k] = x;
            }
            v
        })
        .collect();
    let scale = 1.0 / (1u64 << BITS) as f64;
    let mut x = vec![0u64; d];
    let mut out = Vec::with_capacity(n);
    for i in 0..n as u64 {
        // Gray code: the bit that changes is the lowest zero bit of i.
        let c = (!i).trailing_zeros() as usize;
        for (xd, v) in x.iter_mut().zip(&dirs) {
            *xd ^= v[c];
        }
        out.push(x.iter().map(|&v| v as f64 * scale).collect());
    }
    out
}

/// The points at which a model is evaluated for `d` inputs and `n` base samples, in SALib's
/// order (n·(d + 2) rows of d values in [0, 1)).
pub fn saltelli(n: usize, d: usize) -> Vec<Vec<f64>> {
    let base = sequence(n, 2 * d);
    let mut rows = Vec::with_capacity(n * (d + 2));
    for p in &base {
        let (a, b) = p.split_at(d);
        rows.push(a.to_vec());
        for i in 0..d {
            let mut ab = a.to_vec();
            ab[i] = b[i];
            rows.push(ab);
        }
        rows.push(b.to_vec());
    }
    rows
}

/// First-order and total indices per input from the outputs at `saltelli(n, d)`'s rows.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Indices {
    pub s1: Vec<f64>,
    pub st: Vec<f64>,
}

pub fn analyze(y: &[f64], d: usize) -> Indices {
    let step = d + 2;
    let n = y.len() / step;
    let count = y.len() as f64;
    let mean = y.iter().sum::<f64>() / count;
    let sd = (y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / count).sqrt();
    if sd == 0.0 || n == 0 {
        return Indices { s1: vec![0.0; d], st: vec![0.0; d] };
    }
    let z: Vec<f64> = y.iter().map(|v| (v - mean) / sd).collect();
    let a: Vec<f64> = (0..n).map(|j| z[j * step]).collect();
    let b: Vec<f64> = (0..n).map(|j| z[j * step + step - 1]).collect();
    let both = 2.0 * n as f64;
    let m = (a.iter().sum::<f64>() + b.iter().sum::<f64>()) / both;
    let var = (a.iter().chain(&b).map(|v| (v - m) * (v - m)).sum::<f64>()) / both;
    let mut s1 = Vec::with_capacity(d);
    let mut st = Vec::with_capacity(d);
    for i in 0..d {
        let ab: Vec<f64> = (0..n).map(|j| z[j * step + 1 + i]).collect();
        let first = (0..n).map(|j| b[j] * (ab[j] - a[j])).sum::<f64>() / n as f64;
        let total = 0.5 * (0..n).map(|j| (a[j] - ab[j]) * (a[j] - ab[j])).sum::<f64>() / n as f64;
        s1.push(if var > f64::EPSILON { first / var } else { 0.0 });
        st.push(if var > f64::EPSILON { total / var } else { 0.0 });
    }
    Indices { s1, st }
}

/// The Ishigami function, the indices' test case: sin x₁ + a sin² x₂ + b x₃⁴ sin x₁ on
/// [−π, π]³, its inputs given in [0, 1).
pub fn ishigami(u: &[f64], a: f64, b: f64) -> f64 {
    let x: Vec<f64> = u.iter().map(|v| -std::f64::consts::PI + 2.0 * std::f64::consts::PI * v).collect();
    x[0].sin() + a * x[1].sin().powi(2) + b * x[2].powi(4) * x[0].sin()
}

/// The Ishigami function's analytic first-order and total indices.
pub fn ishigami_indices(a: f64, b: f64) -> Indices {
    let pi4 = std::f64::consts::PI.powi(4);
    let v1 = 0.5 * (1.0 + b * pi4 / 5.0).powi(2);
    let v2 = a * a / 8.0;
    let v13 = b * b * pi4 * pi4 * (1.0 / 18.0 - 1.0 / 50.0);
    let v = v1 + v2 + v13;
    Indices { s1: vec![v1 / v, v2 / v, 0.0], st: vec![(v1 + v13) / v, v2 / v, v13 / v] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_starts_as_sobols_does() {
        // scipy.stats.qmc.Sobol(d=3, scramble=False).random(8)[1:]: the origin skipped.
        let s = sequence(4, 3);
        assert_eq!(s[0], [0.5, 0.5, 0.5]);
        assert_eq!(s[1], [0.75, 0.25, 0.25]);
        assert_eq!(s[2], [0.25, 0.75, 0.75]);
        assert_eq!(s[3], [0.375, 0.375, 0.625]);
    }

    #[test]
    fn ishigami_indices_are_recovered() {
        let (a, b) = (7.0, 0.1);
        let rows = saltelli(8192, 3);
        let y: Vec<f64> = rows.iter().map(|u| ishigami(u, a, b)).collect();
        let got = analyze(&y, 3);
        let want = ishigami_indices(a, b);
        for i in 0..3 {
            assert!((got.s1[i] - want.s1[i]).abs() < 0.02, "S1[{i}] {got:?} {want:?}");
            assert!((got.st[i] - want.st[i]).abs() < 0.02, "ST[{i}] {got:?} {want:?}");
        }
    }
}
