//! Ordinary least squares with an intercept: coefficients, classical or HC1 standard
//! errors, t and p, R², adjusted R², the F test of all slopes, and prediction intervals.
//! Inference follows statsmodels' conventions so that figures can be compared with it:
//! classical errors use Student's t with n − k degrees of freedom; HC1 errors (White's,
//! scaled by n / (n − k)) use the normal distribution for p and a Wald F with (k − 1,
//! n − k) degrees of freedom.

use crate::ForecastError;
use crate::linalg::{Matrix, Qr};
use bw_core::special;

/// Which covariance the standard errors come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cov {
    /// σ² (XᵀX)⁻¹.
    Classical,
    /// White's heteroskedasticity-consistent errors scaled by n / (n − k).
    Hc1,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Coefficient {
    pub name: String,
    pub estimate: f64,
    pub se: f64,
    pub t: f64,
    pub p: f64,
}

/// A fitted regression.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Fit {
    pub n: usize,
    /// Coefficients, the intercept included.
    pub k: usize,
    pub coefficients: Vec<Coefficient>,
    pub r2: f64,
    pub adj_r2: f64,
    /// The F test that every slope is zero; none when there is no slope.
    pub f: Option<f64>,
    pub f_p: Option<f64>,
    /// σ², the residuals' mean square.
    #[serde(skip)]
    pub scale: f64,
    /// (XᵀX)⁻¹, by rows.
    #[serde(skip)]
    pub unscaled: Vec<Vec<f64>>,
    /// R of X = QR (upper triangular, by rows), for prediction variances.
    #[serde(skip)]
    r: Vec<Vec<f64>>,
}

/// A prediction at new regressors: the mean and its 95 % prediction interval.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Prediction {
    pub mean: f64,
    /// The standard error of a new observation there.
    pub se: f64,
    pub lower: f64,
    pub upper: f64,
}

/// Fits `y` on an intercept and `columns` (name, values), in that order.
pub fn fit(y: &[f64], columns: &[(String, Vec<f64>)], cov: Cov) -> Result<Fit, ForecastError> {
    let n = y.len();
    let k = columns.len() + 1;
    if let Some((name, c)) = columns.iter().find(|(_, c)| c.len() != n) {
        return Err(ForecastError::Input(format!("column {name} has {} values, y has {n}", c.len())));
    }
    if n <= k {
        return Err(ForecastError::Input(format!("{n} observations for {k} coefficients: more are needed")));
    }
    if let Some(bad) = y.iter().chain(columns.iter().flat_map(|(_, c)| c)).find(|v| !v.is_finite()) {
        return Err(ForecastError::Input(format!("a value is not a finite number: {bad}")));
    }
    let mut names = vec!["const".to_string()];
    names.extend(columns.iter().map(|(n, _)| n.clone()));
    let mut cols = vec![vec![1.0; n]];
    cols.extend(columns.iter().map(|(_, c)| c.clone()));
    let x = Matrix::from_columns(n, &cols);
    let qr = Qr::new(x.clone(), 1e-12).map_err(|j| ForecastError::Singular(names[j].clone()))?;
    let beta = qr.solve(y);
    let resid: Vec<f64> = (0..n).map(|i| y[i] - (0..k).map(|j| x.a[j * n + i] * beta[j]).sum::<f64>()).collect();
    let ssr: f64 = resid.iter().map(|e| e * e).sum();
    let mean = y.iter().sum::<f64>() / n as f64;
    let tss: f64 = y.iter().map(|v| (v - mean) * (v - mean)).sum();
    let df_resid = (n - k) as f64;
    let df_model = (k - 1) as f64;
    let scale = ssr / df_resid;
    let rinv = qr.r_inverse();
    // (XᵀX)⁻¹ = R⁻¹ R⁻ᵀ.
    let unscaled: Vec<Vec<f64>> =
        (0..k).map(|a| (0..k).map(|b| (0..k).map(|l| rinv[a][l] * rinv[b][l]).sum()).collect()).collect();
    // Qᵀ diag(e²) Q, the sandwich's meat in the factorisation's coordinates.
    let meat: Vec<Vec<f64>> = match cov {
        Cov::Classical => Vec::new(),
        Cov::Hc1 => {
            let q = qr.thin_q();
            (0..k)
                .map(|a| (0..k).map(|b| (0..n).map(|i| q[a][i] * q[b][i] * resid[i] * resid[i]).sum()).collect())
                .collect()
        }
    };
    let factor = n as f64 / df_resid;
    let covariance: Vec<Vec<f64>> = match cov {
        Cov::Classical => unscaled.iter().map(|row| row.iter().map(|v| v * scale).collect()).collect(),
        Cov::Hc1 => {
            // R⁻¹ (Qᵀ diag(e²) Q) R⁻ᵀ · n / (n − k): the sandwich through Q keeps the
            // accuracy of the factorisation.
            let left: Vec<Vec<f64>> =
                (0..k).map(|a| (0..k).map(|b| (0..k).map(|l| rinv[a][l] * meat[l][b]).sum()).collect()).collect();
            (0..k)
                .map(|a| (0..k).map(|b| factor * (0..k).map(|l| left[a][l] * rinv[b][l]).sum::<f64>()).collect())
                .collect()
        }
    };
    let coefficients = (0..k)
        .map(|j| {
            let se = covariance[j][j].sqrt();
            let t = beta[j] / se;
            let p = match cov {
                Cov::Classical => special::t_two_sided(t, df_resid),
                Cov::Hc1 => special::normal_two_sided(t),
            };
            Coefficient { name: names[j].clone(), estimate: beta[j], se, t, p }
        })
        .collect();
    let r2 = 1.0 - ssr / tss;
    let adj_r2 = 1.0 - (n as f64 - 1.0) / df_resid * (1.0 - r2);
    let f = if k == 1 {
        None
    } else {
        Some(match cov {
            Cov::Classical => ((tss - ssr) / df_model) / scale,
            Cov::Hc1 => {
                // Wald over the slopes, bₛᵀ Vₛₛ⁻¹ bₛ / q. R⁻¹ is upper triangular with the
                // intercept first, so Vₛₛ = c Rₛₛ⁻¹ Mₛₛ Rₛₛ⁻ᵀ and the statistic is
                // (Rₛₛ bₛ)ᵀ Mₛₛ⁻¹ (Rₛₛ bₛ) / (c q): no inverse of an ill-conditioned matrix.
                let rb: Vec<f64> = (1..k).map(|i| (i..k).map(|j| qr.r(i, j) * beta[j]).sum()).collect();
                let m: Vec<Vec<f64>> = (1..k).map(|a| (1..k).map(|b| meat[a][b]).collect()).collect();
                let solved = cholesky_solve(&m, &rb).ok_or_else(|| {
                    ForecastError::Input("the robust covariance of the slopes is not positive definite".into())
                })?;
                rb.iter().zip(&solved).map(|(x, y)| x * y).sum::<f64>() / (factor * df_model)
            }
        })
    };
    let f_p = f.map(|f| special::f_sf(f, df_model, df_resid));
    let r = (0..k).map(|i| (0..k).map(|j| if j >= i { qr.r(i, j) } else { 0.0 }).collect()).collect();
    Ok(Fit { n, k, coefficients, r2, adj_r2, f, f_p, scale, unscaled, r })
}

impl Fit {
    /// The prediction at regressors `x` (without the intercept, in the fit's order).
    pub fn predict(&self, x: &[f64]) -> Result<Prediction, ForecastError> {
        if x.len() + 1 != self.k {
            return Err(ForecastError::Input(format!("{} regressors given, the fit has {}", x.len(), self.k - 1)));
        }
        let mut row = vec![1.0];
        row.extend_from_slice(x);
        let mean: f64 = row.iter().zip(&self.coefficients).map(|(v, c)| v * c.estimate).sum();
        // xᵀ (XᵀX)⁻¹ x = ‖R⁻ᵀ x‖²: a triangular solve, not a product with the inverse.
        let mut z = vec![0.0; self.k];
        for i in 0..self.k {
            z[i] = (row[i] - (0..i).map(|l| self.r[l][i] * z[l]).sum::<f64>()) / self.r[i][i];
        }
        let quad: f64 = z.iter().map(|v| v * v).sum();
        let se = (self.scale * (1.0 + quad)).sqrt();
        let q = t_quantile_975((self.n - self.k) as f64);
        Ok(Prediction { mean, se, lower: mean - q * se, upper: mean + q * se })
    }
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom, by bisection on the
/// two-sided tail (monotone, so the bracket always holds it).
pub fn t_quantile_975(df: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while special::t_two_sided(hi, df) > 0.05 {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if special::t_two_sided(mid, df) > 0.05 { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

/// Solves `a x = b` for a symmetric positive definite `a` by Cholesky; none when `a` is not.
fn cholesky_solve(a: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
    let k = b.len();
    let l = crate::linalg::cholesky(a)?;
    let mut z = vec![0.0; k];
    for i in 0..k {
        z[i] = (b[i] - (0..i).map(|m| l[i][m] * z[m]).sum::<f64>()) / l[i][i];
    }
    let mut x = vec![0.0; k];
    for i in (0..k).rev() {
        x[i] = (z[i] - (i + 1..k).map(|m| l[m][i] * x[m]).sum::<f64>()) / l[i][i];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    /// A small data set whose statsmodels figures are written out below (OLS(y,
    /// add_constant(x)).fit() and .fit(cov_type="HC1")).
    fn data() -> (Vec<f64>, Vec<(String, Vec<f64>)>) {
        let x1 = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let x2 = vec![2.0, 1.0, 4.0, 3.0, 6.0, 5.0, 8.0, 9.0];
        let y = vec![3.1, 3.9, 7.2, 7.8, 11.1, 11.9, 15.2, 16.8];
        (y, vec![("x1".into(), x1), ("x2".into(), x2)])
    }

    #[test]
    fn classical_and_hc1_figures_equal_statsmodels() {
        let (y, cols) = data();
        let f = fit(&y, &cols, Cov::Classical).expect("fit");
        assert_eq!((f.n, f.k), (8, 3));
        let names: Vec<&str> = f.coefficients.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["const", "x1", "x2"]);
        let want = EXPECTED_CLASSICAL;
        for (c, w) in f.coefficients.iter().zip(want.coefficients) {
            assert!(
                close(c.estimate, w[0], 1e-10) && close(c.se, w[1], 1e-10) && close(c.p, w[2], 1e-9),
                "{c:?} {w:?}"
            );
        }
        assert!(close(f.r2, want.r2, 1e-12) && close(f.f.unwrap_or(0.0), want.f, 1e-10), "{f:?}");
        let h = fit(&y, &cols, Cov::Hc1).expect("fit");
        for (c, w) in h.coefficients.iter().zip(EXPECTED_HC1.coefficients) {
            assert!(close(c.se, w[1], 1e-10) && close(c.p, w[2], 1e-9), "{c:?} {w:?}");
        }
        assert!(close(h.f.unwrap_or(0.0), EXPECTED_HC1.f, 1e-10), "{h:?}");
        let p = f.predict(&[4.5, 5.0]).expect("predict");
        assert!(close(p.lower, want.lower, 1e-10) && close(p.upper, want.upper, 1e-10), "{p:?}");
    }

    struct Expected {
        coefficients: [[f64; 3]; 3],
        r2: f64,
        f: f64,
        lower: f64,
        upper: f64,
    }

    /// Estimate, standard error and p per coefficient; R², F; the 95 % prediction interval
    /// at x1 = 4.5, x2 = 5 (statsmodels 0.15.0).
    const EXPECTED_CLASSICAL: Expected = Expected {
        coefficients: [
            [0.5725490196078415, 0.10685464981030118, 0.0030437767437521603],
            [1.3617647058823548, 0.05836916019591265, 2.6927721445860808e-06],
            [0.6156862745098031, 0.05077636397766912, 6.740246496340808e-05],
        ],
        r2: 0.9994616903933088,
        f: 4641.667536534519,
        lower: 9.403814811225056,
        upper: 10.15402832602985,
    };
    const EXPECTED_HC1: Expected = Expected {
        coefficients: [
            [0.5725490196078415, 0.08913893994243798, 1.3351987369448975e-10],
            [1.3617647058823548, 0.03765196368439812, 1.9992912723719905e-286],
            [0.6156862745098031, 0.03783436941903535, 1.529503484195771e-59],
        ],
        r2: 0.9994616903933088,
        f: 3011.674166272095,
        lower: 0.0,
        upper: 0.0,
    };

    #[test]
    fn a_collinear_column_is_named_and_too_few_rows_refused() {
        let (y, mut cols) = data();
        cols.push(("twice".into(), cols[0].1.iter().map(|v| v * 2.0).collect()));
        assert_eq!(fit(&y, &cols, Cov::Classical).err(), Some(ForecastError::Singular("twice".into())));
        assert!(fit(&y[..3], &[("a".into(), vec![1.0, 2.0, 3.0])], Cov::Classical).is_ok());
        assert!(matches!(fit(&y[..2], &[("a".into(), vec![1.0, 2.0])], Cov::Classical), Err(ForecastError::Input(_))));
    }
}
