//! `omics-match evaluate`: ranking quality of the matcher on the judged set in
//! `fixtures/evaluation/` (demo platforms × evaluation needs, graded 0-3 by a written rubric),
//! side by side with a BM25-only ranking of the same data.

use std::collections::HashMap;
use std::path::Path;

use omics_api::routes::matches::{Plan, platforms_for, read_need};
use omics_api::state::{AppState, Opened};
use omics_domain::{Platform, Record};
use omics_matching::eval::ndcg;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Judgments {
    judgments: Vec<Judgment>,
}

#[derive(Deserialize)]
struct Judgment {
    need: String,
    grades: HashMap<String, u8>,
}

/// Figures for one ranker.
#[derive(Debug, Default, Serialize)]
pub struct Figures {
    pub ndcg_at_5: f64,
    pub ndcg_at_10: f64,
    /// Platforms in a top 10 that break a hard constraint of the need.
    pub breaches_in_top_10: usize,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub needs: usize,
    pub platforms: usize,
    pub matcher: Figures,
    pub bm25_only: Figures,
    /// Per need: (key, matcher nDCG@10, BM25 nDCG@10).
    pub per_need: Vec<(String, f64, f64)>,
}

fn key(p: &Platform) -> &str {
    p.fields.external_key.as_deref().unwrap_or_default()
}

pub fn run(state: &AppState, opened_platforms: usize, dir: &Path) -> anyhow::Result<Report> {
    let needs: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(dir.join("needs.json"))?)?;
    let judged: Judgments = serde_json::from_str(&std::fs::read_to_string(dir.join("judgments.json"))?)?;
    let grades: HashMap<&str, &HashMap<String, u8>> = judged.judgments.iter().map(|j| (j.need.as_str(), &j.grades)).collect();
    let plan = Plan { weights: state.settings.matching.weights, limit: 10, min_score: 0.0, include_excluded: false };
    let mut m = Figures::default();
    let mut b = Figures::default();
    let mut per_need = Vec::new();
    for value in needs {
        let need_key = value["external_key"].as_str().unwrap_or_default().to_owned();
        let g = *grades.get(need_key.as_str()).ok_or_else(|| anyhow::anyhow!("no judgments for {need_key}"))?;
        let all: Vec<u8> = g.values().copied().collect();
        let grade = |p: &Platform| g.get(key(p)).copied().unwrap_or(0);

        let (fields, readings) = read_need(state, value).map_err(|e| anyhow::anyhow!("{need_key}: {e}"))?;
        let result = platforms_for(state, &fields, None, &readings, &plan).map_err(|e| anyhow::anyhow!("{need_key}: {e}"))?;
        let ranked: Vec<&Platform> = result.matches.iter().map(|x| &x.platform).collect();
        let text = format!("{}\n{}", fields.title, fields.description);
        let baseline_ids = state.index.platforms_by_text(&text, 10)?.ids;
        let baseline: Vec<Platform> = state
            .store
            .get_many(&baseline_ids)?
            .into_iter()
            .filter_map(|r| if let Record::Platform(p) = r { Some(p) } else { None })
            .collect();

        let breaches = |ps: &mut dyn Iterator<Item = &Platform>| {
            ps.take(10).filter(|p| !omics_matching::exclusions(&fields, p, &state.vocabs).is_empty()).count()
        };
        m.breaches_in_top_10 += breaches(&mut ranked.iter().copied());
        b.breaches_in_top_10 += breaches(&mut baseline.iter());
        let mg: Vec<u8> = ranked.iter().map(|p| grade(p)).collect();
        let bg: Vec<u8> = baseline.iter().map(grade).collect();
        let (m10, b10) = (ndcg(&mg, &all, 10), ndcg(&bg, &all, 10));
        m.ndcg_at_5 += ndcg(&mg, &all, 5);
        m.ndcg_at_10 += m10;
        b.ndcg_at_5 += ndcg(&bg, &all, 5);
        b.ndcg_at_10 += b10;
        per_need.push((need_key, m10, b10));
    }
    let n = per_need.len().max(1) as f64;
    for f in [&mut m, &mut b] {
        f.ndcg_at_5 /= n;
        f.ndcg_at_10 /= n;
    }
    Ok(Report { needs: per_need.len(), platforms: opened_platforms, matcher: m, bm25_only: b, per_need })
}

/// A fresh service state in `data_dir` with the demo platforms loaded.
pub fn prepare(settings: &omics_api::Settings) -> anyhow::Result<(AppState, usize)> {
    let opened: Opened = omics_api::state::open(settings)?;
    let owner = crate::import::owner_account(&opened, "evaluation@omics-match.invalid")?;
    let platforms: Vec<serde_json::Value> = serde_json::from_str(include_str!("../../../fixtures/demo/platforms.json"))?;
    let n = platforms.len();
    let report = crate::import::import(&opened, platforms, owner, |_| {})?;
    anyhow::ensure!(report.refused.is_empty(), "demo platforms refused: {:?}", report.refused);
    let tokens = omics_api::auth::TokenKeys::new(&[7u8; 32], 60).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((AppState::new(opened, tokens, settings.clone()), n))
}

pub fn print(r: &Report) {
    println!("Judged set: {} needs x {} demo platforms (fixtures/evaluation)", r.needs, r.platforms);
    println!();
    println!("| ranking | nDCG@5 | nDCG@10 | hard-constraint breaches in top 10 |");
    println!("| --- | --- | --- | --- |");
    for (name, f) in [("omics-match", &r.matcher), ("BM25 only", &r.bm25_only)] {
        println!("| {name} | {:.3} | {:.3} | {} |", f.ndcg_at_5, f.ndcg_at_10, f.breaches_in_top_10);
    }
    println!();
    println!("| need | omics-match nDCG@10 | BM25 nDCG@10 |");
    println!("| --- | --- | --- |");
    for (k, a, b) in &r.per_need {
        println!("| {k} | {a:.3} | {b:.3} |");
    }
}
