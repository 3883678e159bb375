//! Analytics at scale: coverage (JSON and CSV), gaps and activity over 100,000 platforms and
//! 100,000 needs, answered from the in-memory read model as the routes answer (the service
//! call and the JSON or CSV of its answer). Setup imports the synthetic corpus, opens the
//! service as a server does, and ranks every open need's best match first; the time that
//! takes is printed too.
//!
//! `cargo bench -p omics-benches --bench analytics` (`OMICS_BENCH_RECORDS` sets the size of
//! each half; default 100000).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use omics_service::Service;
use omics_service::analytics::activity::ActivityParams;
use omics_service::analytics::coverage::CoverageParams;
use omics_service::analytics::gaps::GapParams;

fn open(n: usize) -> (tempfile::TempDir, Service) {
    let dir = tempfile::tempdir().unwrap();
    let settings = omics_api::Settings { data_dir: dir.path().to_owned(), ..omics_api::Settings::default() };
    let started = Instant::now();
    {
        let batch = omics_service::Service::open_for_batch(settings.service_config()).unwrap();
        let owner = omics_match::import::owner_account(&batch, "bench@omics-match.invalid").unwrap();
        let (platforms, needs) = omics_datagen::generate(&batch.vocabs, n, n, 42);
        omics_match::import::import(&batch, platforms, owner, |_| {}).unwrap();
        omics_match::import::import(&batch, needs, owner, |_| {}).unwrap();
    }
    eprintln!("imported {n} platforms and {n} needs in {:.1} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    let service = Service::open(settings.service_config()).unwrap();
    eprintln!("opened (catalogue loaded) in {:.1} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    let first = service.refresh_analytics(&|| false).unwrap();
    eprintln!("first round (change log folded, {} needs ranked) in {:.1} s", first.ranked, started.elapsed().as_secs_f64());
    let mut ranked = first.ranked;
    let mut pending = first.stale;
    while pending > 0 {
        let r = service.refresh_analytics(&|| false).unwrap();
        ranked += r.ranked;
        pending = r.stale;
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!("every open need ranked for its best match: {ranked} in {secs:.1} s ({:.2} ms a need)", secs * 1000.0 / ranked.max(1) as f64);
    (dir, service)
}

fn analytics(c: &mut Criterion) {
    let n: usize = std::env::var("OMICS_BENCH_RECORDS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let (_dir, service) = open(n);
    let cov = service.coverage(&CoverageParams::default(), None).unwrap();
    eprintln!(
        "coverage: {} cells, {} open needs pending, {} gaps",
        cov.cells.len(),
        cov.stale_needs,
        service.gaps(&GapParams::default(), None).unwrap().total
    );
    let mut g = c.benchmark_group("analytics");
    g.sample_size(30);
    let family = CoverageParams::default();
    g.bench_function(format!("coverage by family, JSON, {n}+{n}"), |b| {
        b.iter(|| serde_json::to_vec(&service.coverage(&family, None).unwrap()).unwrap())
    });
    let term = CoverageParams { level: Some("term".into()), ..CoverageParams::default() };
    g.bench_function(format!("coverage by term, JSON, {n}+{n}"), |b| {
        b.iter(|| serde_json::to_vec(&service.coverage(&term, None).unwrap()).unwrap())
    });
    let filtered = CoverageParams {
        technology: Some("rna-sequencing".into()),
        readiness_area: Some("translational-research".into()),
        ..CoverageParams::default()
    };
    g.bench_function(format!("coverage of a family and readiness area, JSON, {n}+{n}"), |b| {
        b.iter(|| serde_json::to_vec(&service.coverage(&filtered, None).unwrap()).unwrap())
    });
    g.bench_function(format!("coverage by family, CSV, {n}+{n}"), |b| b.iter(|| service.coverage(&family, None).unwrap().to_csv()));
    g.bench_function(format!("gaps, JSON, {n}+{n}"), |b| {
        b.iter(|| serde_json::to_vec(&service.gaps(&GapParams::default(), None).unwrap()).unwrap())
    });
    g.bench_function(format!("activity per month, JSON, {n}+{n}"), |b| {
        b.iter(|| serde_json::to_vec(&service.activity(&ActivityParams::default(), None).unwrap()).unwrap())
    });
    g.finish();
}

criterion_group!(benches, analytics);
criterion_main!(benches);
