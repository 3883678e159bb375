//! `omics-match evaluate`: how well the service reads what people type and ranks partners, on
//! the judged sets in `fixtures/evaluation/`, side by side with a BM25-only ranking:
//!
//! - the **vocabulary set** (`needs.json` + `judgments.json` over the demo platforms), written
//!   in the vocabulary's own words;
//! - the **outsider set** (`outsider/`), platforms and needs as facility web pages and
//!   clinicians phrase them, with gold readings and grades committed before any tuning (the
//!   linker and vocabularies were tuned on it since: a development set now);
//! - the **held-out set** (`heldout/`), written the same way by other authors and committed
//!   before the service was run on it: the figure that says how the service reads strangers;
//! - the **linking set** (`linking/phrasings.json`): free-text phrasings with their expected
//!   terms, for the precision and recall of the term linker per confidence level.
//!
//! Every record is loaded exactly as typed, through the same validation as the API; a record
//! the service refuses is counted as refused and is not ranked.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use omics_domain::{Confidence, Platform, ReadMode, Record, Vocabularies};
use omics_matching::eval::ndcg;
use omics_service::Service;
use omics_service::matches::Plan;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Judgments {
    /// The platforms judged, relative to the set's folder.
    platforms: String,
    judgments: Vec<Judgment>,
}

#[derive(Deserialize)]
struct Judgment {
    need: String,
    grades: HashMap<String, u8>,
    /// Platforms that break a hard constraint of the need, as the graders judged it (outsider
    /// set); without it, the engine's own exclusions on the stored records decide.
    #[serde(default)]
    hard: HashMap<String, String>,
}

#[derive(Deserialize)]
struct Gold {
    readings: Vec<GoldReading>,
}

#[derive(Deserialize)]
struct GoldReading {
    field: String,
    typed: String,
    terms: Vec<String>,
}

/// Figures for one ranker.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Figures {
    /// Mean over the needs with at least one platform graded 1 or more.
    pub ndcg_at_5: f64,
    pub ndcg_at_10: f64,
    /// Share of the top 5 graded 1 or more, over the same needs.
    pub p_at_5: f64,
    /// Platforms in a top 10 that break a hard constraint of the need (every need).
    pub breaches_in_top_10: usize,
}

/// How the technology phrasings of a set were read.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Phrasings {
    /// Technology values typed in the set's records.
    pub total: usize,
    /// Of those, the ones the gold says a term fits (all of them when the set has no gold).
    pub with_a_term: usize,
    /// Stored automatically (exact or high confidence).
    pub read: usize,
    /// Stored automatically as a term the gold does not accept.
    pub read_wrongly: usize,
    /// Phrasings a term fits that were not stored automatically: (typed, expected terms).
    pub unread: Vec<(String, Vec<String>)>,
    /// Phrasings stored as a term the gold does not accept: (typed, read as, expected terms).
    pub wrong: Vec<(String, String, Vec<String>)>,
}

#[derive(Debug, Serialize)]
pub struct SetReport {
    pub name: String,
    pub needs: usize,
    /// Needs with at least one platform graded 1 or more (what nDCG and P@5 average over).
    pub judged_needs: usize,
    pub platforms: usize,
    /// Records the service refused as typed: (external key, why).
    pub platforms_refused: Vec<(String, String)>,
    pub needs_refused: Vec<(String, String)>,
    /// Platforms refused for a data standard (an open list: should be none).
    pub refused_for_a_data_standard: usize,
    pub matcher: Figures,
    pub bm25_only: Figures,
    pub phrasings: Phrasings,
    /// Per need: (key, matcher nDCG@10, BM25 nDCG@10); judged needs only.
    pub per_need: Vec<(String, f64, f64)>,
    /// Platforms in the matcher's top 10 that break a hard constraint: (need, platform, why).
    pub breaches: Vec<(String, String, String)>,
}

/// Precision and recall of the linker at one confidence level (readings at that level or above).
#[derive(Debug, Default, Clone, Serialize)]
pub struct Level {
    pub confidence: String,
    pub readings: usize,
    pub correct: usize,
    /// correct / readings at this level alone.
    pub precision: f64,
    /// Cumulative: readings at this level or a surer one.
    pub cumulative_readings: usize,
    pub cumulative_precision: f64,
    /// correct at this level or surer / phrasings with an expected term.
    pub cumulative_recall: f64,
}

#[derive(Debug, Default, Serialize)]
pub struct LinkingReport {
    pub phrasings: usize,
    pub with_a_term: usize,
    pub levels: Vec<Level>,
    /// What is stored automatically (exact and high).
    pub automatic_precision: f64,
    pub automatic_recall: f64,
    /// Phrasings with no expected term that were nonetheless stored automatically.
    pub negatives_stored: usize,
    /// Per vocabulary: (phrasings, automatic readings, correct).
    pub per_vocabulary: BTreeMap<String, (usize, usize, usize)>,
    /// Wrong automatic readings: (vocabulary, typed, read as, expected).
    pub wrong: Vec<(String, String, String, Vec<String>)>,
    /// Phrasings with an expected term not stored automatically: (vocabulary, typed, expected).
    pub missed: Vec<(String, String, Vec<String>)>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub sets: Vec<SetReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linking: Option<LinkingReport>,
}

fn key(p: &Platform) -> &str {
    p.fields.external_key.as_deref().unwrap_or_default()
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// The judged sets under `dir`: the folder itself, `outsider/` and `heldout/` where they hold
/// judgments.
pub fn sets(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for (name, d) in [("vocabulary set", dir.to_path_buf()), ("outsider set", dir.join("outsider")), ("held-out set", dir.join("heldout"))]
    {
        if d.join("judgments.json").is_file() && d.join("needs.json").is_file() {
            out.push((name.to_owned(), d));
        }
    }
    out
}

/// Evaluate every judged set under `dir` (each on a fresh embedded database in a folder of
/// `scratch`) and the linking set.
pub fn run_all(settings: &omics_api::Settings, dir: &Path, scratch: &Path) -> anyhow::Result<Report> {
    let mut sets = Vec::new();
    for (i, (name, set_dir)) in self::sets(dir).into_iter().enumerate() {
        let mut s = settings.clone();
        s.data_dir = scratch.join(format!("set-{i}"));
        s.database_url = None;
        let judged: Judgments = read_json(&set_dir.join("judgments.json"))?;
        let platforms: Vec<serde_json::Value> = read_json(&set_dir.join(&judged.platforms))?;
        let (service, loaded) = prepare(&s, platforms)?;
        sets.push(run(&service, &name, &set_dir, judged, loaded)?);
    }
    let linking_file = dir.join("linking").join("phrasings.json");
    let linking = if linking_file.is_file() {
        let vocabs = settings.service_config().load_vocabularies()?;
        Some(linking(&vocabs, &linking_file)?)
    } else {
        None
    };
    Ok(Report { sets, linking })
}

/// What loading a set's platforms gave.
pub struct Loaded {
    pub platforms: usize,
    pub refused: Vec<(String, String)>,
}

/// A fresh service in `settings.data_dir` with `platforms` imported as typed.
pub fn prepare(settings: &omics_api::Settings, platforms: Vec<serde_json::Value>) -> anyhow::Result<(Service, Loaded)> {
    let opened = Service::open(settings.service_config())?;
    let owner = crate::import::owner_account(&opened, "evaluation@omics-match.invalid")?;
    let keys: Vec<String> = platforms.iter().map(|p| p["external_key"].as_str().unwrap_or_default().to_owned()).collect();
    let n = platforms.len();
    let report = crate::import::import(&opened, platforms, owner, |_| {})?;
    let refused = report.refused.into_iter().map(|(i, why)| (keys.get(i - 1).cloned().unwrap_or_default(), why)).collect();
    Ok((opened, Loaded { platforms: n, refused }))
}

/// Whether a technology field of a record (`capabilities[0].technology`,
/// `technologies[1].technology`).
fn is_technology_field(field: &str) -> bool {
    field.ends_with(".technology")
}

fn run(state: &Service, name: &str, dir: &Path, judged: Judgments, loaded: Loaded) -> anyhow::Result<SetReport> {
    let needs: Vec<serde_json::Value> = read_json(&dir.join("needs.json"))?;
    let platforms: Vec<serde_json::Value> = read_json(&dir.join(&judged.platforms))?;
    let gold: Option<Gold> = if dir.join("gold.json").is_file() { Some(read_json(&dir.join("gold.json"))?) } else { None };
    let by_need: HashMap<&str, &Judgment> = judged.judgments.iter().map(|j| (j.need.as_str(), j)).collect();
    let plan =
        Plan { weights: state.matching.weights, limit: 10, offset: 0, min_score: 0.0, include_excluded: false, mode: ReadMode::default() };
    let mut m = Figures::default();
    let mut b = Figures::default();
    let mut per_need = Vec::new();
    let mut needs_refused = Vec::new();
    let mut breaches = Vec::new();
    for value in needs {
        let need_key = value["external_key"].as_str().unwrap_or_default().to_owned();
        let j = *by_need.get(need_key.as_str()).ok_or_else(|| anyhow::anyhow!("{name}: no judgments for {need_key}"))?;
        let all: Vec<u8> = j.grades.values().copied().collect();
        let judged_need = all.iter().any(|&g| g >= 1);
        let grade = |p: &Platform| j.grades.get(key(p)).copied().unwrap_or(0);

        let text = format!("{}\n{}", value["title"].as_str().unwrap_or_default(), value["description"].as_str().unwrap_or_default());
        let baseline_ids = state.index.platforms_by_text(&text, 10)?.ids;
        let baseline: Vec<Platform> = state
            .store
            .get_many(&baseline_ids)?
            .into_iter()
            .filter_map(|r| if let Record::Platform(p) = r { Some(p) } else { None })
            .collect();

        let ranked: Vec<Platform> = match state.read_need(value, ReadMode::default()) {
            Ok((fields, _, _)) => {
                let result = state.platforms_for(&fields, None, &[], &plan).map_err(|e| anyhow::anyhow!("{need_key}: {e}"))?;
                let ranked: Vec<Platform> = result.matches.into_iter().map(|x| x.platform).collect();
                let graded_hard = judged.judgments.iter().any(|j| !j.hard.is_empty());
                let why_breaks = |p: &Platform| -> Option<String> {
                    if graded_hard {
                        j.hard.get(key(p)).cloned()
                    } else {
                        let e = omics_matching::exclusions(&fields, p, &state.vocabs);
                        (!e.is_empty()).then(|| format!("{e:?}"))
                    }
                };
                let before = breaches.len();
                for p in ranked.iter().take(10) {
                    if let Some(why) = why_breaks(p) {
                        breaches.push((need_key.clone(), key(p).to_owned(), why));
                    }
                }
                m.breaches_in_top_10 += breaches.len() - before;
                b.breaches_in_top_10 += baseline.iter().take(10).filter(|p| why_breaks(p).is_some()).count();
                ranked
            }
            Err(e) => {
                needs_refused.push((need_key.clone(), e.detail.clone()));
                Vec::new()
            }
        };
        if !judged_need {
            continue;
        }
        let mg: Vec<u8> = ranked.iter().map(grade).collect();
        let bg: Vec<u8> = baseline.iter().map(grade).collect();
        let p5 = |g: &[u8]| g.iter().take(5).filter(|&&x| x >= 1).count() as f64 / 5.0;
        let (m10, b10) = (ndcg(&mg, &all, 10), ndcg(&bg, &all, 10));
        m.ndcg_at_5 += ndcg(&mg, &all, 5);
        m.ndcg_at_10 += m10;
        m.p_at_5 += p5(&mg);
        b.ndcg_at_5 += ndcg(&bg, &all, 5);
        b.ndcg_at_10 += b10;
        b.p_at_5 += p5(&bg);
        per_need.push((need_key, m10, b10));
    }
    let n = per_need.len().max(1) as f64;
    for f in [&mut m, &mut b] {
        f.ndcg_at_5 /= n;
        f.ndcg_at_10 /= n;
        f.p_at_5 /= n;
    }
    let refused_for_a_data_standard = loaded.refused.iter().filter(|(_, why)| why.contains("data_standards")).count();
    Ok(SetReport {
        name: name.to_owned(),
        needs: by_need.len(),
        judged_needs: per_need.len(),
        platforms: platforms.len(),
        platforms_refused: loaded.refused,
        needs_refused,
        refused_for_a_data_standard,
        matcher: m,
        bm25_only: b,
        phrasings: phrasings(&state.vocabs, &platforms, gold.as_ref()),
        per_need,
        breaches,
    })
}

/// How the set's technology phrasings read, against the gold where the set has one.
fn phrasings(vocabs: &Vocabularies, platforms: &[serde_json::Value], gold: Option<&Gold>) -> Phrasings {
    let v = &vocabs.technologies;
    let mut out = Phrasings::default();
    let typed: Vec<(String, Vec<String>)> = match gold {
        Some(g) => g.readings.iter().filter(|r| is_technology_field(&r.field)).map(|r| (r.typed.clone(), r.terms.clone())).collect(),
        None => platforms
            .iter()
            .flat_map(|p| p["capabilities"].as_array().cloned().unwrap_or_default())
            .filter_map(|c| c["technology"].as_str().map(|t| (t.to_owned(), Vec::new())))
            .collect(),
    };
    for (text, terms) in typed {
        out.total += 1;
        let has_term = gold.is_none() || !terms.is_empty();
        out.with_a_term += usize::from(has_term);
        match v.read("technology", &text, false) {
            Ok(r) => {
                out.read += 1;
                if gold.is_some() && !terms.contains(&r.term.id) {
                    out.read_wrongly += 1;
                    out.wrong.push((text, r.term.id.clone(), terms));
                }
            }
            Err(_) if has_term => out.unread.push((text, terms)),
            Err(_) => {}
        }
    }
    out
}

#[derive(Deserialize)]
struct LinkingFile {
    phrasings: Vec<Phrasing>,
}

#[derive(Deserialize)]
struct Phrasing {
    vocabulary: String,
    typed: String,
    terms: Vec<String>,
}

/// Precision and recall of the term linker on the linking set, per confidence level.
pub fn linking(vocabs: &Vocabularies, file: &Path) -> anyhow::Result<LinkingReport> {
    let set: LinkingFile = read_json(file)?;
    let levels = [Confidence::Exact, Confidence::High, Confidence::Medium, Confidence::Low];
    let mut at: HashMap<Confidence, (usize, usize)> = HashMap::new();
    let mut out = LinkingReport { phrasings: set.phrasings.len(), ..LinkingReport::default() };
    for p in &set.phrasings {
        let v = vocabs.by_name(&p.vocabulary).ok_or_else(|| anyhow::anyhow!("linking set: unknown vocabulary {}", p.vocabulary))?;
        out.with_a_term += usize::from(!p.terms.is_empty());
        let entry = out.per_vocabulary.entry(p.vocabulary.clone()).or_default();
        entry.0 += 1;
        let reading = v.reading(&p.typed);
        if !p.terms.is_empty() && reading.as_ref().is_none_or(|r| !r.confidence.automatic()) {
            out.missed.push((p.vocabulary.clone(), p.typed.clone(), p.terms.clone()));
        }
        let Some(r) = reading else { continue };
        let correct = p.terms.contains(&r.term.id);
        let e = at.entry(r.confidence).or_default();
        e.0 += 1;
        e.1 += usize::from(correct);
        if r.confidence.automatic() {
            entry.1 += 1;
            entry.2 += usize::from(correct);
            if p.terms.is_empty() {
                out.negatives_stored += 1;
            }
            if !correct {
                out.wrong.push((p.vocabulary.clone(), p.typed.clone(), r.term.id.clone(), p.terms.clone()));
            }
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let (mut cum_n, mut cum_ok) = (0, 0);
    for c in levels {
        let (n, ok) = at.get(&c).copied().unwrap_or_default();
        cum_n += n;
        cum_ok += ok;
        out.levels.push(Level {
            confidence: c.as_str().to_owned(),
            readings: n,
            correct: ok,
            precision: ratio(ok, n),
            cumulative_readings: cum_n,
            cumulative_precision: ratio(cum_ok, cum_n),
            cumulative_recall: ratio(cum_ok, out.with_a_term),
        });
        if c == Confidence::High {
            out.automatic_precision = ratio(cum_ok, cum_n);
            out.automatic_recall = ratio(cum_ok, out.with_a_term);
        }
    }
    Ok(out)
}

pub fn print(r: &Report) {
    let f = |x: f64| format!("{x:.3}");
    println!("| set | ranking | nDCG@5 | nDCG@10 | P@5 | breaches in top 10 | phrasings read | read wrongly | records refused |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for s in &r.sets {
        let p = &s.phrasings;
        let read = format!("{} of {} ({:.1} %)", p.read, p.with_a_term, 100.0 * p.read as f64 / p.with_a_term.max(1) as f64);
        let wrong = format!("{} of {} ({:.1} %)", p.read_wrongly, p.total, 100.0 * p.read_wrongly as f64 / p.total.max(1) as f64);
        let refused = format!("{} of {} platforms, {} needs", s.platforms_refused.len(), s.platforms, s.needs_refused.len());
        for (ranker, x) in [("omics-match", &s.matcher), ("BM25 only", &s.bm25_only)] {
            println!(
                "| {} ({} needs, {} judged) | {ranker} | {} | {} | {} | {} | {read} | {wrong} | {refused} |",
                s.name,
                s.needs,
                s.judged_needs,
                f(x.ndcg_at_5),
                f(x.ndcg_at_10),
                f(x.p_at_5),
                x.breaches_in_top_10
            );
        }
    }
    for s in &r.sets {
        println!();
        println!(
            "{}: {} of {} platforms refused as typed ({} for a data standard)",
            s.name,
            s.platforms_refused.len(),
            s.platforms,
            s.refused_for_a_data_standard
        );
        for (k, why) in s.platforms_refused.iter().chain(&s.needs_refused) {
            println!("- {k}: {why}");
        }
        for (need, platform, why) in &s.breaches {
            println!("- breach: {platform} in the top 10 of {need}: {why}");
        }
        for (typed, want) in &s.phrasings.unread {
            println!("- unread: '{typed}' (expected {})", want.join(" or "));
        }
        for (typed, got, want) in &s.phrasings.wrong {
            println!(
                "- read wrongly: '{typed}' as {got} (expected {})",
                if want.is_empty() { "none".to_owned() } else { want.join(" or ") }
            );
        }
        println!();
        println!("| need | omics-match nDCG@10 | BM25 nDCG@10 |");
        println!("| --- | --- | --- |");
        for (k, a, b) in &s.per_need {
            println!("| {k} | {a:.3} | {b:.3} |");
        }
    }
    if let Some(l) = &r.linking {
        println!();
        println!("Linking set: {} phrasings, {} with an expected term", l.phrasings, l.with_a_term);
        println!();
        println!("| confidence | readings | correct | precision | cumulative precision | cumulative recall |");
        println!("| --- | --- | --- | --- | --- | --- |");
        for x in &l.levels {
            println!(
                "| {} | {} | {} | {} | {} | {} |",
                x.confidence,
                x.readings,
                x.correct,
                f(x.precision),
                f(x.cumulative_precision),
                f(x.cumulative_recall)
            );
        }
        println!();
        println!(
            "Stored automatically (exact + high): precision {}, recall {}; negatives stored: {}",
            f(l.automatic_precision),
            f(l.automatic_recall),
            l.negatives_stored
        );
        for (voc, typed, got, want) in &l.wrong {
            println!(
                "- wrong: {voc} '{typed}' read as {got}, expected {}",
                if want.is_empty() { "none".to_owned() } else { want.join(" or ") }
            );
        }
        for (voc, typed, want) in &l.missed {
            println!("- not stored: {voc} '{typed}', expected {}", want.join(" or "));
        }
    }
}
