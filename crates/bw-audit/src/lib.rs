//! Audit analytics (审计分析): tests that look across thousands of payments for what a rule on
//! one indicator cannot see. Pure: points and records in, findings out; no I/O, no clock.

pub mod dbscan;
