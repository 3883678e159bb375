//! Candidate retrieval for matching: the hard constraints that the index can express become
//! filters (so the cost grows with the candidates, not the corpus), and the need's (or the
//! platform's) words score the candidates with BM25 for the text component.

use std::collections::{HashMap, HashSet};

use omics_domain::{Kind, NeedFields, NeedStatus, Platform, PlatformStatus};
use omics_matching::{Supply, TextScores};
use tantivy::Term;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query};
use uuid::Uuid;

use crate::facets::FacetCounts;
use crate::{Result, SearchIndex};

/// Candidates with their text relevance, normalised so the best is 1.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Candidates {
    pub ids: Vec<Uuid>,
    pub text: TextScores,
}

/// At most this many distinct words of a text are considered for its relevance query.
const MAX_WORDS: usize = 64;
/// Of those, the rarest this many score.
const RELEVANCE_WORDS: usize = 16;

fn filter(q: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    // Filters must match but add nothing to the score.
    (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0)))
}

impl SearchIndex {
    fn words(&self, text: &str) -> Result<Vec<String>> {
        let mut analyzer = self.index.tokenizer_for_field(self.f.text)?;
        let mut stream = analyzer.token_stream(text);
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            if out.len() < MAX_WORDS && seen.insert(t.text.clone()) {
                out.push(t.text.clone());
            }
        }
        Ok(out)
    }

    /// The text's most telling words (the rarest in the index, at most [`RELEVANCE_WORDS`]),
    /// each scoring by BM25. Common words add little to the ranking but most of the cost: a
    /// word in half the documents would be scored for each of them.
    fn relevance(&self, text: &str) -> Result<Vec<(Occur, Box<dyn Query>)>> {
        let searcher = self.reader.searcher();
        let mut words = Vec::new();
        for w in self.words(text)? {
            let df = searcher.doc_freq(&Term::from_field_text(self.f.text, &w))?;
            if df > 0 {
                words.push((df, w));
            }
        }
        words.sort();
        words.truncate(RELEVANCE_WORDS);
        Ok(words.iter().map(|(_, w)| (Occur::Should, Self::term_query_freq(self.f.text, w))).collect())
    }

    fn run(&self, clauses: Vec<(Occur, Box<dyn Query>)>, limit: usize) -> Result<Candidates> {
        let searcher = self.reader.searcher();
        let hits = searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(limit.max(1)).order_by_score())?;
        let best = hits.first().map_or(0.0, |(s, _)| *s);
        let mut out = Candidates::default();
        for (id, score) in crate::ids_of(&searcher, hits)? {
            out.ids.push(id);
            out.text.insert(id, if best > 0.0 { f64::from(score / best) } else { 0.0 });
        }
        Ok(out)
    }

    /// Published platforms that may serve `need`. With `relaxed`, only the kind and status are
    /// filtered (to show why platforms are excluded); otherwise every must-have technology (or
    /// a narrower or a broader one), external samples, cross-border acceptance and acceptable
    /// countries.
    pub fn platform_candidates(&self, need: &NeedFields, relaxed: bool, limit: usize) -> Result<Candidates> {
        let f = self.f;
        let mut q = vec![
            filter(Self::term_query(f.kind, Kind::Platform.as_str())),
            filter(Self::term_query(f.status, PlatformStatus::Published.as_str())),
        ];
        let must: Vec<String> = need.technologies.iter().filter(|t| t.required).map(|t| t.technology.clone()).collect();
        if relaxed {
            // Platforms in the same families as what is asked, so the list stays on topic.
            let mut family: Vec<String> = Vec::new();
            for t in &need.technologies {
                family.extend(self.vocabs.technologies.self_and_ancestors(&t.technology).map(str::to_owned));
            }
            if !family.is_empty() {
                q.push(filter(Self::any_of(f.technology, &family)));
            }
        } else {
            for t in &must {
                // The term or a narrower one (`technology` holds each capability's term and its
                // ancestors), or a capability whose own term is broader.
                let broader: Vec<String> = self.vocabs.technologies.ancestors(t).map(str::to_owned).collect();
                let mut either = vec![(Occur::Should, Self::term_query(f.technology, t))];
                if !broader.is_empty() {
                    either.push((Occur::Should, Self::any_of(f.technology_exact, &broader)));
                }
                q.push(filter(Box::new(BooleanQuery::new(either))));
            }
            q.push(filter(Self::term_query(f.external, "yes")));
            q.push(filter(Box::new(BooleanQuery::new(vec![
                (Occur::Should, Self::term_query(f.country, &need.country)),
                (Occur::Should, Self::term_query(f.cross_border, "yes")),
            ]))));
            if !need.acceptable_countries.iter().any(|c| c == "ANY") {
                let mut allowed = need.acceptable_countries.clone();
                allowed.push(need.country.clone());
                q.push(filter(Self::any_of(f.country, &allowed)));
            }
        }
        q.extend(self.relevance(&format!("{}\n{}", need.title, need.description))?);
        self.run(q, limit)
    }

    /// Published platforms ranked by BM25 of `text` alone (the baseline of the evaluation).
    pub fn platforms_by_text(&self, text: &str, limit: usize) -> Result<Candidates> {
        let f = self.f;
        let mut q = vec![
            filter(Self::term_query(f.kind, Kind::Platform.as_str())),
            filter(Self::term_query(f.status, PlatformStatus::Published.as_str())),
        ];
        q.extend(self.relevance(text)?);
        self.run(q, limit)
    }

    /// Open needs that `platform` may serve: at least one must-have technology (or, for a need
    /// with no must-have, one nice-to-have) is among its technologies or their broader terms
    /// (the platform offers it or a narrower one), or is narrower than one of its technologies
    /// (the platform offers a broader one).
    pub fn need_candidates(&self, platform: &Platform, limit: usize) -> Result<Candidates> {
        let f = self.f;
        let mut exact: Vec<String> = platform.fields.capabilities.iter().map(|c| c.technology.clone()).collect();
        let mut covered: Vec<String> = Vec::new();
        for c in &platform.fields.capabilities {
            covered.extend(self.vocabs.technologies.self_and_ancestors(&c.technology).map(str::to_owned));
        }
        for v in [&mut exact, &mut covered] {
            v.sort();
            v.dedup();
        }
        if covered.is_empty() {
            return Ok(Candidates::default());
        }
        // `technology_required` holds what each need asks for (its must-haves, or its
        // nice-to-haves where it has none) and their ancestors: one of them is a platform's
        // own term when what is asked is that term or narrower.
        let served = BooleanQuery::new(vec![
            (Occur::Should, Self::any_of(f.technology_required_exact, &covered)),
            (Occur::Should, Self::any_of(f.technology_required, &exact)),
        ]);
        let mut q = vec![
            filter(Self::term_query(f.kind, Kind::Need.as_str())),
            filter(Self::term_query(f.status, NeedStatus::Open.as_str())),
            filter(Box::new(served)),
        ];
        let p = &platform.fields;
        q.extend(self.relevance(&format!("{}\n{}", p.name, p.description))?);
        self.run(q, limit)
    }

    /// For each technology: published platforms offering it (or a narrower one), per country.
    pub fn supply(&self, technologies: &[String]) -> Result<Supply> {
        let searcher = self.reader.searcher();
        let generation = searcher.generation().generation_id();
        let mut out = HashMap::new();
        let mut missing = Vec::new();
        {
            let mut cache = self.supply_cache.lock().unwrap_or_else(|p| p.into_inner());
            if cache.generation != generation {
                *cache = SupplyCache { generation, counts: HashMap::new() };
            }
            for t in technologies {
                if let Some(c) = cache.counts.get(t) {
                    out.insert(t.clone(), c.clone());
                } else {
                    missing.push(t);
                }
            }
        }
        for t in missing {
            let q = BooleanQuery::new(vec![
                (Occur::Must, Self::term_query(self.f.kind, Kind::Platform.as_str())),
                (Occur::Must, Self::term_query(self.f.status, PlatformStatus::Published.as_str())),
                (Occur::Must, Self::term_query(self.f.technology, t)),
            ]);
            let counts: HashMap<String, u64> =
                searcher.search(&q, &FacetCounts { fields: vec!["country"] })?.into_iter().next().unwrap_or_default().into_iter().collect();
            let mut cache = self.supply_cache.lock().unwrap_or_else(|p| p.into_inner());
            if cache.generation == generation {
                cache.counts.insert(t.clone(), counts.clone());
            }
            out.insert(t.clone(), counts);
        }
        Ok(Supply(out))
    }
}

/// [`SearchIndex::supply`]'s counts, valid for the searcher generation they were counted on.
#[derive(Debug, Default)]
pub(crate) struct SupplyCache {
    generation: u64,
    counts: HashMap<String, HashMap<String, u64>>,
}
