//! Ranking quality against graded judgments: nDCG@k with gains 2^grade - 1.

/// nDCG@k of a ranking (`grades` of the ranked items, best first) against every judged grade
/// for the query (`all`). 1.0 when nothing is relevant and nothing is ranked.
pub fn ndcg(ranked: &[u8], all: &[u8], k: usize) -> f64 {
    let dcg = |g: &[u8]| g.iter().take(k).enumerate().map(|(i, &r)| (2f64.powi(i32::from(r)) - 1.0) / ((i + 2) as f64).log2()).sum::<f64>();
    let mut ideal = all.to_vec();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let best = dcg(&ideal);
    if best == 0.0 { 1.0 } else { dcg(ranked) / best }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_reversed_rankings() {
        let all = [3, 2, 0, 1, 0];
        assert!((ndcg(&[3, 2, 1], &all, 5) - 1.0).abs() < 1e-12);
        let reversed = ndcg(&[0, 0, 1, 2, 3], &all, 5);
        assert!(reversed < 0.6, "{reversed}");
        assert_eq!(ndcg(&[], &[0, 0], 10), 1.0);
        assert_eq!(ndcg(&[], &[2], 10), 0.0);
        // Cut-off: a relevant item below k does not count.
        assert!(ndcg(&[0, 3], &[3, 0], 1) == 0.0);
    }
}
