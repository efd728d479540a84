//! The dense linear algebra the models need: a Householder QR factorisation of a tall
//! matrix (column-major), solving least squares through it, and the inverse of its R.
//! Householder reflections keep least squares backward stable where the normal equations
//! would square the condition number of a near-collinear design.

/// A tall `n × k` matrix stored by columns: `a[j * n + i]` is row `i`, column `j`.
#[derive(Clone, Debug)]
pub struct Matrix {
    pub n: usize,
    pub k: usize,
    pub a: Vec<f64>,
}

impl Matrix {
    pub fn from_columns(n: usize, columns: &[Vec<f64>]) -> Matrix {
        let mut a = Vec::with_capacity(n * columns.len());
        for c in columns {
            debug_assert_eq!(c.len(), n);
            a.extend_from_slice(c);
        }
        Matrix { n, k: columns.len(), a }
    }

    pub fn col(&self, j: usize) -> &[f64] {
        &self.a[j * self.n..(j + 1) * self.n]
    }
}

/// The QR factorisation `A = Q R` by Householder reflections: the reflectors below the
/// diagonal (LAPACK's layout), R above it with its diagonal in `rdiag`.
#[derive(Clone, Debug)]
pub struct Qr {
    m: Matrix,
    rdiag: Vec<f64>,
    tau: Vec<f64>,
}

impl Qr {
    /// Factorises `m`; `Err(j)` names the first column whose part outside the span of
    /// the columns before it is below `tol` (relative to the column's own norm).
    pub fn new(mut m: Matrix, tol: f64) -> Result<Qr, usize> {
        let (n, k) = (m.n, m.k);
        let mut rdiag = vec![0.0; k];
        let mut tau = vec![0.0; k];
        for j in 0..k {
            let original = norm(m.col(j));
            let col = &mut m.a[j * n..(j + 1) * n];
            let rest = norm(&col[j..]);
            if original == 0.0 || rest <= tol * original {
                return Err(j);
            }
            let alpha = if col[j] > 0.0 { -rest } else { rest };
            col[j] -= alpha;
            let vnorm2: f64 = col[j..].iter().map(|v| v * v).sum();
            tau[j] = 2.0 / vnorm2;
            rdiag[j] = alpha;
            for c in j + 1..k {
                let (left, right) = m.a.split_at_mut(c * n);
                let v = &left[j * n + j..j * n + n];
                let x = &mut right[j..n];
                let s: f64 = v.iter().zip(x.iter()).map(|(a, b)| a * b).sum::<f64>() * tau[j];
                for (xi, vi) in x.iter_mut().zip(v) {
                    *xi -= s * vi;
                }
            }
        }
        Ok(Qr { m, rdiag, tau })
    }

    pub fn rows(&self) -> usize {
        self.m.n
    }

    pub fn cols(&self) -> usize {
        self.m.k
    }

    /// `Qᵀ y` in place.
    pub fn qt_mul(&self, y: &mut [f64]) {
        let n = self.m.n;
        for j in 0..self.m.k {
            let v = &self.m.a[j * n + j..(j + 1) * n];
            let s: f64 = v.iter().zip(&y[j..]).map(|(a, b)| a * b).sum::<f64>() * self.tau[j];
            for (yi, vi) in y[j..].iter_mut().zip(v) {
                *yi -= s * vi;
            }
        }
    }

    /// `Q x` in place (`x` of length n).
    pub fn q_mul(&self, x: &mut [f64]) {
        let n = self.m.n;
        for j in (0..self.m.k).rev() {
            let v = &self.m.a[j * n + j..(j + 1) * n];
            let s: f64 = v.iter().zip(&x[j..]).map(|(a, b)| a * b).sum::<f64>() * self.tau[j];
            for (xi, vi) in x[j..].iter_mut().zip(v) {
                *xi -= s * vi;
            }
        }
    }

    /// R's entry at (i, j), i ≤ j.
    pub fn r(&self, i: usize, j: usize) -> f64 {
        if i == j { self.rdiag[j] } else { self.m.a[j * self.m.n + i] }
    }

    /// The least-squares solution of `A x ≈ y`.
    pub fn solve(&self, y: &[f64]) -> Vec<f64> {
        let mut qty = y.to_vec();
        self.qt_mul(&mut qty);
        let k = self.m.k;
        let mut x = vec![0.0; k];
        for i in (0..k).rev() {
            let s: f64 = (i + 1..k).map(|j| self.r(i, j) * x[j]).sum();
            x[i] = (qty[i] - s) / self.r(i, i);
        }
        x
    }

    /// R⁻¹ (upper triangular), by rows: `out[i][j]`.
    pub fn r_inverse(&self) -> Vec<Vec<f64>> {
        let k = self.m.k;
        let mut inv = vec![vec![0.0; k]; k];
        for j in 0..k {
            inv[j][j] = 1.0 / self.r(j, j);
            for i in (0..j).rev() {
                let s: f64 = (i + 1..=j).map(|l| self.r(i, l) * inv[l][j]).sum();
                inv[i][j] = -s / self.r(i, i);
            }
        }
        inv
    }

    /// The first k columns of Q (n × k, by columns).
    pub fn thin_q(&self) -> Vec<Vec<f64>> {
        let (n, k) = (self.m.n, self.m.k);
        (0..k)
            .map(|j| {
                let mut e = vec![0.0; n];
                e[j] = 1.0;
                self.q_mul(&mut e);
                e
            })
            .collect()
    }
}

/// The lower Cholesky factor L (L Lᵀ = a) of a symmetric positive definite matrix given by
/// rows; none when it is not positive definite.
pub fn cholesky(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let k = a.len();
    let mut l = vec![vec![0.0; k]; k];
    for i in 0..k {
        for j in 0..=i {
            let s: f64 = a[i][j] - (0..j).map(|m| l[i][m] * l[j][m]).sum::<f64>();
            if i == j {
                if s <= 0.0 {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    Some(l)
}

/// The Euclidean norm, scaled so that large or small entries neither overflow nor vanish.
pub fn norm(x: &[f64]) -> f64 {
    let scale = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return scale;
    }
    scale * x.iter().map(|v| (v / scale) * (v / scale)).sum::<f64>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_squares_recovers_an_exact_fit_and_r_inverse_inverts() {
        let x1 = vec![1.0, 2.0, 3.0, 4.0, 5.0];
        let ones = vec![1.0; 5];
        let y: Vec<f64> = x1.iter().map(|x| 2.0 + 3.0 * x).collect();
        let qr = Qr::new(Matrix::from_columns(5, &[ones.clone(), x1.clone()]), 1e-12).expect("full rank");
        let b = qr.solve(&y);
        assert!((b[0] - 2.0).abs() < 1e-12 && (b[1] - 3.0).abs() < 1e-12, "{b:?}");
        let inv = qr.r_inverse();
        for i in 0..2 {
            for j in 0..2 {
                let p: f64 = (0..2).map(|l| if i <= l { qr.r(i, l) * inv[l][j] } else { 0.0 }).sum();
                assert!((p - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        let q = qr.thin_q();
        let dot: f64 = q[0].iter().zip(&q[1]).map(|(a, b)| a * b).sum();
        assert!(dot.abs() < 1e-12 && (norm(&q[0]) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_repeated_column_is_named() {
        let c = vec![1.0, 2.0, 3.0];
        assert_eq!(Qr::new(Matrix::from_columns(3, &[vec![1.0; 3], c.clone(), c]), 1e-12).err(), Some(2));
    }
}
