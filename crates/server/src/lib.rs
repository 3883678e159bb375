//! The omics-match binary's library: configuration loading, import/export and the evaluation
//! harness (shared by the binary, its tests and the benchmarks). The synthetic data generator is
//! a separate tool, `omics-datagen` (crates/datagen), so it is not compiled into the service.

pub mod config;
pub mod evaluate;
pub mod import;
