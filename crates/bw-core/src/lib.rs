//! budgetwatch domain core. Pure: no I/O, no clock, no database, no HTTP; "today" is a
//! parameter wherever it matters.

pub mod access;
pub mod accounts;
pub mod action;
pub mod budget;
pub mod calendar;
pub mod code;
pub mod cycle;
pub mod date;
pub mod feedback;
pub mod ident;
pub mod informal;
pub mod matter;
pub mod meeting;
pub mod milestone;
pub mod money;
pub mod org;
pub mod performance;
pub mod projection;
pub mod records;
pub mod refusal;
pub mod registers;
pub mod report;
pub mod review;
pub mod risk;
pub mod settings;
pub mod special;
pub mod template;
pub mod warning;

pub use date::{Date, Timestamp};
pub use money::Money;
