//! Matching benchmarks: the engine alone over in-memory candidates, and one whole match
//! (index candidates, store reads, engine, explanations) against 100,000 synthetic platforms.
//!
//! `cargo bench -p omics-benches` (set `OMICS_BENCH_PLATFORMS` to change the corpus size).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use omics_domain::{Meta, NeedFields, Platform, PlatformFields, Vocabularies};
use omics_matching::{Candidate, Context, Features, Supply, TextScores, Want, Weights, rank_platforms};
use omics_service::Service;
use omics_service::matches::Plan;

fn need(v: &Vocabularies) -> NeedFields {
    let n: NeedFields = serde_json::from_value(serde_json::json!({
        "title": "Exome sequencing of FFPE lung adenocarcinoma resections",
        "description": "We need tumour-normal whole exome sequencing with variant calling for a translational cohort.",
        "technologies": [{"technology": "whole-exome-sequencing", "required": true}, {"technology": "rna-sequencing", "required": false}],
        "sample_type": "ffpe-tissue", "sample_count": 120, "cancer_type": "LUAD",
        "readiness_area": "translational-research", "country": "LT", "acceptable_countries": ["ANY"], "deadline": "2027-09-30"
    }))
    .unwrap();
    n.validate(v, None).unwrap()
}

fn platforms(v: &Vocabularies, n: usize) -> Vec<Platform> {
    let (items, _) = omics_datagen::generate(v, n, 0, 11);
    let now = omics_domain::now();
    items
        .into_iter()
        .enumerate()
        .map(|(i, it)| {
            let f: PlatformFields = omics_domain::body::from_value(it).unwrap();
            Platform {
                meta: Meta { id: uuid::Uuid::from_u128(i as u128 + 1), owner_id: None, created_at: now, updated_at: now, version: 1 },
                fields: f.validate(v).unwrap(),
            }
        })
        .collect()
}

fn engine(c: &mut Criterion) {
    let v = Vocabularies::builtin().unwrap();
    let need = need(&v);
    let ps = platforms(&v, 1_000);
    let text: TextScores = ps.iter().map(|p| (p.meta.id, 0.5)).collect();
    let supply = Supply::default();
    let ctx = Context {
        vocabs: &v,
        weights: Weights::default(),
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(),
        text: &text,
        supply: &supply,
        readings: &[],
    };
    c.bench_function("engine: rank 1,000 candidate platforms, top 20 with reasons", |b| {
        let fs: Vec<Option<Features>> = ps.iter().map(|p| Features::of(p, &v)).collect();
        let ps: Vec<Candidate> = ps.iter().zip(&fs).map(|(platform, f)| Candidate { platform, features: f.as_ref() }).collect();
        let want = Want { limit: 20, min_score: 0.0, excluded: false };
        b.iter(|| rank_platforms(&need, &ps, &ctx, want))
    });
}

fn whole_match(c: &mut Criterion) {
    let n: usize = std::env::var("OMICS_BENCH_PLATFORMS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let settings = omics_api::Settings { data_dir: dir.path().to_owned(), ..omics_api::Settings::default() };
    let started = Instant::now();
    let opened = Service::open(settings.service_config()).unwrap();
    let owner = omics_match::import::owner_account(&opened, "bench@omics-match.invalid").unwrap();
    let (items, _) = omics_datagen::generate(&opened.vocabs, n, 0, 11);
    omics_match::import::import(&opened, items, owner, |_| {}).unwrap();
    eprintln!("imported {n} platforms in {:.1}s", started.elapsed().as_secs_f64());
    let state = opened;
    let need = need(&state.vocabs);
    let plan =
        Plan { weights: Weights::default(), limit: 20, offset: 0, min_score: 0.0, include_excluded: false, mode: Default::default() };
    let probe = state.platforms_for(&need, None, &[], &plan).unwrap();
    eprintln!("{} candidates scored for the benchmark need", probe.candidates);
    let mut g = c.benchmark_group("whole match");
    g.sample_size(30);
    g.bench_function(format!("top 20 with reasons against {n} platforms"), |b| {
        b.iter(|| state.platforms_for(&need, None, &[], &plan).unwrap())
    });
    g.finish();
}

criterion_group!(benches, engine, whole_match);
criterion_main!(benches);
