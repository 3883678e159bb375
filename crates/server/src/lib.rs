//! The omics-match binary's library: configuration loading, import/export, the synthetic data
//! generator and the evaluation harness (shared by the binary, its tests and the benchmarks).

pub mod config;
pub mod evaluate;
pub mod generate;
pub mod import;
