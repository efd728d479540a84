//! budgetwatch application services: each command or query is one function, one
//! transaction. The CLI and the web server call these and nothing below them.

pub mod calendar;
pub mod demo;
pub mod import;
pub mod journal;
pub mod overview;
pub mod settings;
pub mod source;
pub mod template;

use bw_core::Timestamp;

/// Who acts, when, and why: given by the caller (the binary reads the clock).
#[derive(Clone, Debug)]
pub struct Ctx {
    pub actor: String,
    pub at: Timestamp,
    pub reason: Option<String>,
}
