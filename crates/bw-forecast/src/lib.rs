//! Forecasting for budgetwatch: ordinary least squares with classical and heteroskedasticity-
//! robust (HC1) standard errors, and additive Holt-Winters smoothing (optionally damped),
//! filtered with given parameters or fitted by least squares. Pure: figures in, figures out;
//! no I/O and no clock. The numerics are written here on `f64` (docs/FORECAST.md says why and
//! how each is checked against statsmodels).

// Matrix code reads as the formulas do with indexes; iterators over several rows at once
// would hide which entry is which.
#![allow(clippy::needless_range_loop)]

pub mod deviation;
pub mod holt_winters;
pub mod linalg;
pub mod ols;
pub mod outturn;
pub mod rng;
pub mod simulate;
pub mod sobol;

/// Why a model cannot be computed from the figures given.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ForecastError {
    #[error("{0}")]
    Input(String),
    #[error("the design is singular: column {0} is a linear combination of the columns before it")]
    Singular(String),
}
