//! Reading and ranking quality on the judged sets (`omics-match evaluate`): the vocabulary
//! set stays at its targets (nDCG@10 at least 0.90 and at least 0.20 above a BM25-only
//! ranking, no hard-constraint breach in any top 10); the outsider set and the linking set are
//! evaluated as typed, and what they show is held where it is met (see README, Evaluation).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn report() -> serde_json::Value {
    let dir = format!("{}/../../fixtures/evaluation", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_omics-match"))
        .args(["evaluate", "--json", "--dir", &dir])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn ranking_and_reading_quality() {
    let r = report();
    let sets = r["sets"].as_array().unwrap();
    let set = |name: &str| sets.iter().find(|s| s["name"] == name).unwrap_or_else(|| panic!("no {name} in {r}"));

    let v = set("vocabulary set");
    let m = v["matcher"]["ndcg_at_10"].as_f64().unwrap();
    let b = v["bm25_only"]["ndcg_at_10"].as_f64().unwrap();
    assert!(v["needs"].as_u64().unwrap() >= 15);
    assert!(m >= 0.90, "nDCG@10 {m:.3} is below 0.90");
    assert!(m - b >= 0.20, "nDCG@10 {m:.3} is not 0.20 above BM25-only {b:.3}");
    assert_eq!(v["matcher"]["breaches_in_top_10"], 0);
    assert!(v["bm25_only"]["breaches_in_top_10"].as_u64().unwrap() > 0, "the baseline is really unfiltered");
    assert_eq!(v["platforms_refused"].as_array().unwrap().len(), 0);

    // The outsider set, as typed: at least 40 platforms and 25 needs; an unknown data standard
    // never refuses a platform.
    let o = set("outsider set");
    assert!(o["platforms"].as_u64().unwrap() >= 40 && o["needs"].as_u64().unwrap() >= 25, "{o}");
    assert_eq!(o["refused_for_a_data_standard"], 0, "{o}");
    assert_eq!(o["platforms_refused"].as_array().unwrap().len(), 0, "a platform keeps what it cannot read: {o}");
    let p = &o["phrasings"];
    assert!(p["total"].as_u64().unwrap() >= 150, "{p}");

    // The held-out set, as typed: loaded whole, and again no platform refused for a data
    // standard.
    let h = set("held-out set");
    assert!(h["platforms"].as_u64().unwrap() >= 30 && h["needs"].as_u64().unwrap() >= 18, "{h}");
    assert_eq!(h["refused_for_a_data_standard"], 0, "{h}");
    assert_eq!(h["platforms_refused"].as_array().unwrap().len(), 0, "a platform keeps what it cannot read: {h}");

    // The linking set: at least 300 phrasings; what is stored automatically is mostly right.
    let l = &r["linking"];
    assert!(l["phrasings"].as_u64().unwrap() >= 300, "{l}");
    let precision = l["automatic_precision"].as_f64().unwrap();
    assert!(precision >= 0.95, "automatic precision {precision:.3}");
}
