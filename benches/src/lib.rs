//! What the measurement binaries of `benches/run.sh` share: which needs and searches they
//! measure (the same for our engine and for the PostgreSQL baseline), latency statistics and
//! the `key value` lines that run.sh collects.
//!
//! The criterion benchmark lives in `benches/matching.rs`; the binaries in `src/bin/`.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::Value;

/// A JSON array of records (the format of `omics-match generate` and `import`).
pub fn read_json_array(path: &Path) -> anyhow::Result<Vec<Value>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a JSON array", path.display()))
}

/// `k` positions spread evenly over `0..total` (all of them when `k >= total`): the sample is
/// deterministic, so every binary of a run measures the same needs.
pub fn spread(total: usize, k: usize) -> Vec<usize> {
    if k >= total {
        return (0..total).collect();
    }
    (0..k).map(|i| i * total / k).collect()
}

/// The needs to measure: `k` items of `needs.json`, spread over the file.
pub fn sample_needs(needs: &[Value], k: usize) -> Vec<&Value> {
    spread(needs.len(), k).into_iter().map(|i| &needs[i]).collect()
}

/// One faceted search, as `GET /api/v1/platforms?q=..&technology=..&country=..` sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    pub q: &'static str,
    /// A technology family id: the filter includes its narrower terms.
    pub technology: &'static str,
    /// ISO alpha-2.
    pub country: String,
}

impl Search {
    /// The request path (the words of `q` joined with `%20`).
    pub fn path(&self) -> String {
        format!("/api/v1/platforms?q={}&technology={}&country={}", self.q.replace(' ', "%20"), self.technology, self.country)
    }
}

/// Words people search for with the family they search in (every id is a technology of the
/// built-in vocabulary).
const QUERIES: [(&str, &str); 10] = [
    ("exome", "dna-sequencing"),
    ("single cell", "single-cell-omics"),
    ("mass spectrometry", "proteomics"),
    ("liquid biopsy", "liquid-biopsy"),
    ("methylation", "epigenomics"),
    ("spatial", "spatial-omics"),
    ("panel", "dna-sequencing"),
    ("transcriptome", "rna-sequencing"),
    ("metabolomics", "metabolomics"),
    ("nanopore", "long-read-sequencing"),
];

/// One search per sampled need: the queries in turn, in the need's country (so countries are
/// as frequent as among requesters).
pub fn searches(sample: &[&Value]) -> Vec<Search> {
    sample
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let (q, technology) = QUERIES[i % QUERIES.len()];
            Search { q, technology, country: n["country"].as_str().unwrap_or("DE").to_owned() }
        })
        .collect()
}

/// Latency statistics of one figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub count: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub mean_ms: f64,
    pub max_ms: f64,
}

/// Nearest-rank percentiles over the timings.
pub fn stats(timings: &[Duration]) -> Stats {
    let mut ms: Vec<f64> = timings.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    let rank = |p: f64| -> f64 {
        if ms.is_empty() {
            return 0.0;
        }
        let i = ((p / 100.0) * ms.len() as f64).ceil() as usize;
        ms[i.clamp(1, ms.len()) - 1]
    };
    Stats {
        count: ms.len(),
        p50_ms: rank(50.0),
        p99_ms: rank(99.0),
        mean_ms: if ms.is_empty() { 0.0 } else { ms.iter().sum::<f64>() / ms.len() as f64 },
        max_ms: ms.last().copied().unwrap_or(0.0),
    }
}

/// Print `<prefix>_count`, `_p50_ms`, `_p99_ms`, `_mean_ms` and `_max_ms` lines.
pub fn emit_stats(prefix: &str, s: &Stats) {
    println!("{prefix}_count {}", s.count);
    println!("{prefix}_p50_ms {:.4}", s.p50_ms);
    println!("{prefix}_p99_ms {:.4}", s.p99_ms);
    println!("{prefix}_mean_ms {:.4}", s.mean_ms);
    println!("{prefix}_max_ms {:.4}", s.max_ms);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_even_and_bounded() {
        assert_eq!(spread(10, 5), vec![0, 2, 4, 6, 8]);
        assert_eq!(spread(3, 5), vec![0, 1, 2]);
    }

    #[test]
    fn nearest_rank_percentiles() {
        let t: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let s = stats(&t);
        assert_eq!((s.count, s.p50_ms, s.p99_ms, s.max_ms), (100, 50.0, 99.0, 100.0));
        assert!((s.mean_ms - 50.5).abs() < 1e-9);
    }
}
