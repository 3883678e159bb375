//! The matcher's ranking quality on the judged set stays at its targets: nDCG@10 at least
//! 0.90 and at least 0.20 above a BM25-only ranking, with no hard-constraint breach in any top 10.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

#[test]
fn ranking_quality_meets_the_targets() {
    let dir = format!("{}/../../fixtures/evaluation", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_omics-match"))
        .args(["evaluate", "--json", "--dir", &dir])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = r["matcher"]["ndcg_at_10"].as_f64().unwrap();
    let b = r["bm25_only"]["ndcg_at_10"].as_f64().unwrap();
    assert!(r["needs"].as_u64().unwrap() >= 15);
    assert!(m >= 0.90, "nDCG@10 {m:.3} is below 0.90");
    assert!(m - b >= 0.20, "nDCG@10 {m:.3} is not 0.20 above BM25-only {b:.3}");
    assert_eq!(r["matcher"]["breaches_in_top_10"], 0);
    assert!(r["bm25_only"]["breaches_in_top_10"].as_u64().unwrap() > 0, "the baseline is really unfiltered");
}
