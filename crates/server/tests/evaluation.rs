//! Reading and ranking quality on the judged sets (`omics-match evaluate`): the vocabulary
//! set stays at its targets (nDCG@10 at least 0.90 and at least 0.20 above a BM25-only
//! ranking, no hard-constraint breach in any top 10); the outsider set, as typed, at the
//! targets of issue 10 (nDCG@10 at least 0.92, no breach, at least 95 % of its technology
//! phrasings read and at most 2 % read wrongly, no platform refused); the linking set at
//! precision 0.98 and recall 0.95 for what is stored automatically (see README, Evaluation).

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
    let (read, with_a_term, wrong, total) = (
        p["read"].as_f64().unwrap(),
        p["with_a_term"].as_f64().unwrap(),
        p["read_wrongly"].as_f64().unwrap(),
        p["total"].as_f64().unwrap(),
    );
    assert!(read / with_a_term >= 0.95, "{read} of {with_a_term} phrasings read: {p}");
    assert!(wrong / total <= 0.02, "{wrong} of {total} phrasings read wrongly: {p}");
    let m = o["matcher"]["ndcg_at_10"].as_f64().unwrap();
    assert!(m >= 0.92, "outsider nDCG@10 {m:.3} is below 0.92");
    assert_eq!(o["matcher"]["breaches_in_top_10"], 0, "{}", o["breaches"]);
    assert_eq!(o["needs_refused"].as_array().unwrap().len(), 0, "{o}");

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
    let recall = l["automatic_recall"].as_f64().unwrap();
    assert!(precision >= 0.98, "automatic precision {precision:.4}: {}", l["wrong"]);
    assert!(recall >= 0.95, "automatic recall {recall:.4}: {}", l["missed"]);
}
