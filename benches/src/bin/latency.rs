//! In-process latency of our engine on an imported data directory (benches/run.sh, figure 2):
//! a top-20 match with explanations for a sample of stored needs (the call behind
//! `GET /api/v1/needs/{id}/matches`), and the faceted platform search behind
//! `GET /api/v1/platforms?q=..&technology=..&country=..` (index search and record fetch).
//!
//! Prints `key value` lines. Also writes, on request, the wrk path lists for the HTTP figures
//! and each sampled need's top 20 (by external key) for the comparison with PostgreSQL.
//!
//! The data directory must not be in use by a server (the index has one writer).

/// The server's allocator, so the figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Utc;
use clap::Parser;
use omics_api::Settings;
use omics_benches::{Stats, emit_stats, read_json_array, sample_needs, searches, spread, stats};
use omics_domain::{Kind, Need, Record};
use omics_index::{Audience, Filter, SearchRequest, Sort};
use omics_matching::{Candidate, Context, Weights};
use omics_service::Service;
use omics_service::matches::{Plan, PlatformMatches, platforms_of};

#[derive(Parser)]
#[command(about = "In-process match and search latency on an imported data directory")]
struct Args {
    /// Data directory the records were imported into (SQLite and index).
    #[arg(long)]
    data_dir: PathBuf,
    /// The generated needs.json that was imported (the sample is taken by external key).
    #[arg(long)]
    needs: PathBuf,
    /// Needs (and searches) in the sample.
    #[arg(long, default_value_t = 200)]
    sample: usize,
    /// Timed passes over the sample (after one untimed warm-up pass).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Write `GET /api/v1/needs/{id}/matches` paths here (for wrk).
    #[arg(long)]
    match_paths: Option<PathBuf>,
    /// How many need ids the match path list holds, spread over all needs.
    #[arg(long, default_value_t = 1000)]
    paths: usize,
    /// Write the faceted-search paths of the sample here (for wrk).
    #[arg(long)]
    search_paths: Option<PathBuf>,
    /// Write `need_key<TAB>platform_key,...` (our top 20 per sampled need) here.
    #[arg(long)]
    top_out: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let settings = Settings { data_dir: args.data_dir.clone(), ..Settings::default() };
    let state = Service::open(settings.service_config()).context("opening the data directory (is a server still using it?)")?;

    let all = read_json_array(&args.needs)?;
    let sample: Vec<(String, Need)> =
        sample_needs(&all, args.sample).into_iter().map(|v| stored_need(&state, v)).collect::<anyhow::Result<_>>()?;
    anyhow::ensure!(!sample.is_empty(), "no needs to measure");
    let plan =
        Plan { weights: state.matching.weights, limit: 20, offset: 0, min_score: 0.0, include_excluded: false, mode: Default::default() };

    // ---- the whole match, as the route calls it
    for (_, n) in &sample {
        run_match(&state, n, &plan)?;
    }
    let mut timings = Vec::with_capacity(sample.len() * args.rounds);
    let (mut candidates, mut results) = (0usize, 0usize);
    for _ in 0..args.rounds {
        for (_, n) in &sample {
            let t = Instant::now();
            let r = run_match(&state, n, &plan)?;
            timings.push(t.elapsed());
            candidates += r.candidates;
            results += r.matches.len();
        }
    }
    emit_stats("match", &stats(&timings));
    println!("match_candidates_mean {:.1}", candidates as f64 / timings.len() as f64);
    println!("match_results_mean {:.1}", results as f64 / timings.len() as f64);

    // ---- where a match spends its time: the steps of `platforms_for`, one pass, plus the
    // JSON serialisation that the HTTP route adds
    let mut phases: [Vec<Duration>; 5] = Default::default();
    for (_, n) in &sample {
        let need = &n.fields;
        let t = Instant::now();
        let found = state.index.platform_candidates(need, false, state.matching.max_candidates)?;
        phases[0].push(t.elapsed());
        let t = Instant::now();
        let records = state.index.catalogue.get_many(&found.ids);
        let platforms: Vec<Candidate> = platforms_of(&records).collect();
        phases[1].push(t.elapsed());
        let t = Instant::now();
        let must: Vec<String> = need.technologies.iter().filter(|t| t.required).map(|t| t.technology.clone()).collect();
        let supply = state.index.supply(&must)?;
        phases[2].push(t.elapsed());
        let t = Instant::now();
        let ctx = Context {
            vocabs: &state.vocabs,
            weights: Weights::default(),
            today: Utc::now().date_naive(),
            text: &found.text,
            supply: &supply,
            readings: &[],
        };
        let ranking =
            omics_matching::rank_platforms(need, &platforms, &ctx, omics_matching::Want { limit: 20, min_score: 0.0, excluded: false });
        phases[3].push(t.elapsed());
        std::hint::black_box(ranking);
        let r = run_match(&state, n, &plan)?;
        let t = Instant::now();
        let body = serde_json::to_vec(&r)?;
        phases[4].push(t.elapsed());
        std::hint::black_box(body);
    }
    for (name, t) in ["candidates", "fetch", "supply", "rank", "serialise"].iter().zip(&phases) {
        let s: Stats = stats(t);
        println!("match_phase_{name}_p50_ms {:.4}", s.p50_ms);
        println!("match_phase_{name}_mean_ms {:.4}", s.mean_ms);
    }

    // ---- faceted search, as the list route calls it
    let sampled: Vec<&serde_json::Value> = sample_needs(&all, args.sample);
    let searches = searches(&sampled);
    let request = |s: &omics_benches::Search| SearchRequest {
        kind: Kind::Platform,
        text: Some(s.q.to_owned()),
        filters: vec![(Filter::Technology, vec![s.technology.to_owned()]), (Filter::Country, vec![s.country.clone()])],
        audience: Audience::Anonymous,
        sort: Sort::Relevance,
        offset: 0,
        limit: 20,
    };
    let run_search = |s: &omics_benches::Search| -> anyhow::Result<usize> {
        let result = state.index.search(&request(s))?;
        let ids: Vec<uuid::Uuid> = result.ids.iter().map(|(id, _)| *id).collect();
        std::hint::black_box(state.store.get_many(&ids)?);
        Ok(result.total)
    };
    for s in &searches {
        run_search(s)?;
    }
    let mut timings = Vec::with_capacity(searches.len() * args.rounds);
    let mut hits = 0usize;
    for _ in 0..args.rounds {
        for s in &searches {
            let t = Instant::now();
            hits += run_search(s)?;
            timings.push(t.elapsed());
        }
    }
    emit_stats("search", &stats(&timings));
    println!("search_total_mean {:.1}", hits as f64 / timings.len() as f64);

    // ---- files for the other steps
    if let Some(path) = &args.top_out {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        for (key, n) in &sample {
            let r = run_match(&state, n, &plan)?;
            let keys: Vec<&str> = r.matches.iter().filter_map(|m| m.platform.fields.external_key.as_deref()).collect();
            writeln!(out, "{key}\t{}", keys.join(","))?;
        }
        out.flush()?;
    }
    if let Some(path) = &args.match_paths {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        for i in spread(all.len(), args.paths) {
            let (_, n) = stored_need(&state, &all[i])?;
            writeln!(out, "/api/v1/needs/{}/matches", n.meta.id)?;
        }
        out.flush()?;
    }
    if let Some(path) = &args.search_paths {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        for s in &searches {
            writeln!(out, "{}", s.path())?;
        }
        out.flush()?;
    }
    Ok(())
}

/// One match as `GET /api/v1/needs/{id}/matches` computes it.
fn run_match(state: &Service, n: &Need, plan: &Plan) -> anyhow::Result<PlatformMatches> {
    state.platforms_for(&n.fields, Some(n.meta.id), &[], plan).map_err(|e| anyhow::anyhow!("match failed: {e:?}"))
}

/// The stored need that a generated item was imported as (found by its external key).
fn stored_need(state: &Service, item: &serde_json::Value) -> anyhow::Result<(String, Need)> {
    let key = item["external_key"].as_str().context("a generated need without external_key")?;
    match state.store.by_external_key(Kind::Need, key)? {
        Some(Record::Need(n)) => Ok((key.to_owned(), n)),
        _ => anyhow::bail!("need {key} is not in the data directory; was needs.json imported?"),
    }
}
