//! omics-match search index (tantivy) over platforms and needs.
//!
//! The database is the source of truth. The index follows the store's change log: every
//! commit records the last sequence number it applied (in the commit payload), `catch_up`
//! applies whatever came after, and `rebuild` starts over from the records. One writer owns
//! the index; the reader is reloaded right after each commit so a search sees what was just
//! written. All of it is blocking work: callers run it off the async executor.

mod candidates;
mod catalogue;
mod facets;

pub use candidates::Candidates;
pub use catalogue::{Catalogue, Entry};

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use omics_domain::{Kind, NeedStatus, PlatformStatus, Record, Vocabularies};
use omics_store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer};
use tantivy::{Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term, doc};
use uuid::Uuid;

/// Bump when the fields or how they are filled change: the index is then rebuilt at open.
const SCHEMA_VERSION: u32 = 5;
const ANALYZER: &str = "omics";
const WRITER_MEMORY: usize = 64 * 1024 * 1024;
const CATCH_UP_BATCH: i64 = 2_000;
/// A long catch-up commits every this many changes (one commit per catch-up otherwise): each
/// commit writes a segment and syncs it, so fewer commits index faster, while a crash replays
/// at most this many changes.
const COMMIT_EVERY: usize = 20_000;
/// Distinct words of `q` used at most.
const MAX_WORDS: usize = 32;
/// The word being typed also matches the stem it would have if cut short after the stem by one
/// or two letters, when what is left has this many letters.
const MIN_CUT_STEM: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("invalid query: {0}")]
    Query(String),
}

pub type Result<T, E = IndexError> = std::result::Result<T, E>;

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    /// The id's two halves as fast fields: hits are turned into ids without reading stored documents.
    id_hi: Field,
    id_lo: Field,
    kind: Field,
    status: Field,
    owner: Field,
    name: Field,
    text: Field,
    technology: Field,
    /// A platform's capabilities' own terms (without their ancestors): a must-have is also met
    /// by a broader term, found as an ancestor of the must-have among these.
    technology_exact: Field,
    technology_required: Field,
    technology_required_exact: Field,
    external: Field,
    cross_border: Field,
    country: Field,
    readiness_area: Field,
    sample_type: Field,
    accreditation: Field,
    cancer_type: Field,
    updated_at: Field,
    created_at: Field,
    name_sort: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(ANALYZER).set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let f = Fields {
        id: b.add_text_field("id", STRING | STORED),
        id_hi: b.add_u64_field("id_hi", FAST),
        id_lo: b.add_u64_field("id_lo", FAST),
        kind: b.add_text_field("kind", STRING),
        status: b.add_text_field("status", STRING),
        owner: b.add_text_field("owner", STRING),
        name: b.add_text_field("name", text.clone()),
        text: b.add_text_field("text", text),
        technology: b.add_text_field("technology", STRING | FAST),
        technology_exact: b.add_text_field("technology_exact", STRING),
        technology_required: b.add_text_field("technology_required", STRING),
        technology_required_exact: b.add_text_field("technology_required_exact", STRING),
        external: b.add_text_field("external", STRING),
        cross_border: b.add_text_field("cross_border", STRING),
        country: b.add_text_field("country", STRING | FAST),
        readiness_area: b.add_text_field("readiness_area", STRING | FAST),
        sample_type: b.add_text_field("sample_type", STRING),
        accreditation: b.add_text_field("accreditation", STRING),
        cancer_type: b.add_text_field("cancer_type", STRING),
        updated_at: b.add_i64_field("updated_at", INDEXED | FAST),
        created_at: b.add_i64_field("created_at", INDEXED | FAST),
        name_sort: b.add_text_field("name_sort", STRING | FAST),
    };
    (b.build(), f)
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The analyzer without stemming, for the word being typed.
fn prefix_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// What the last commit recorded.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Payload {
    seq: i64,
    schema: u32,
    vocabularies: String,
}

/// Filterable fields, each matching any of its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Filter {
    /// Includes narrower terms: a family finds its members.
    Technology,
    /// What a need asks for (with the broader terms of each): its must-have technologies, or
    /// its nice-to-haves where it has no must-have.
    TechnologyRequired,
    Country,
    ReadinessArea,
    /// Includes narrower sample types.
    SampleType,
    Accreditation,
    /// Includes narrower OncoTree codes.
    CancerType,
    Status,
    /// Owner account id.
    Owner,
}

/// Who is asking, which decides what they may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Anonymous,
    User(Uuid),
    Admin,
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Relevance,
    UpdatedDesc,
    UpdatedAsc,
    CreatedDesc,
    NameAsc,
    NameDesc,
}

#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub kind: Kind,
    pub text: Option<String>,
    pub filters: Vec<(Filter, Vec<String>)>,
    pub audience: Audience,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchResult {
    /// Matching record ids, in order.
    pub ids: Vec<(Uuid, f32)>,
    pub total: usize,
    /// Per facet field (`technology`, `country`, `readiness_area`), value → count.
    pub facets: BTreeMap<&'static str, BTreeMap<String, u64>>,
}

pub const FACETS: [&str; 3] = ["technology", "country", "readiness_area"];

pub struct SearchIndex {
    pub(crate) index: Index,
    pub(crate) reader: IndexReader,
    writer: Mutex<IndexWriter>,
    pub(crate) f: Fields,
    pub(crate) vocabs: Arc<Vocabularies>,
    vocab_stamp: String,
    /// The records themselves, following the same change log.
    pub catalogue: Catalogue,
    catalogue_loaded: AtomicBool,
    /// Platforms per country for each technology asked so far, for one searcher generation:
    /// they change only when the index does, and every match of a technology needs them.
    pub(crate) supply_cache: Mutex<candidates::SupplyCache>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish_non_exhaustive()
    }
}

/// Names, versions and a digest of the terms: any change to the vocabularies rebuilds the index.
fn vocab_stamp(v: &Vocabularies) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let mut names = Vec::new();
    for n in Vocabularies::NAMES {
        if let Some(v) = v.by_name(n) {
            names.push(format!("{}={}", v.name, v.version));
            serde_json::to_string(v.terms()).unwrap_or_default().hash(&mut h);
        }
    }
    format!("{};{:016x}", names.join(","), h.finish())
}

impl SearchIndex {
    /// Open the index in `dir`, creating it if absent. An index written with another schema or
    /// other vocabularies is emptied, so the next `catch_up` rebuilds it from the database.
    pub fn open(dir: &Path, vocabs: Arc<Vocabularies>) -> Result<SearchIndex> {
        std::fs::create_dir_all(dir)?;
        let (schema, f) = schema();
        let stamp = vocab_stamp(&vocabs);
        let index = match Index::open_in_dir(dir) {
            Ok(index) => {
                let p = read_payload(&index);
                if p.schema == SCHEMA_VERSION && p.vocabularies == stamp && index.schema() == schema {
                    index
                } else {
                    tracing::warn!("search index in {} is outdated; rebuilding it", dir.display());
                    drop(index);
                    std::fs::remove_dir_all(dir)?;
                    std::fs::create_dir_all(dir)?;
                    Index::create_in_dir(dir, schema)?
                }
            }
            Err(tantivy::TantivyError::OpenDirectoryError(_)) | Err(tantivy::TantivyError::OpenReadError(_)) => {
                Index::create_in_dir(dir, schema)?
            }
            Err(e) => return Err(e.into()),
        };
        index.tokenizers().register(ANALYZER, analyzer());
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            f,
            vocabs,
            vocab_stamp: stamp,
            catalogue: Catalogue::default(),
            catalogue_loaded: AtomicBool::new(false),
            supply_cache: Mutex::default(),
        })
    }

    /// The last change-log sequence number the committed index reflects.
    pub fn applied_seq(&self) -> i64 {
        read_payload(&self.index).seq
    }

    fn lock_writer(&self) -> std::sync::MutexGuard<'_, IndexWriter> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn commit(&self, w: &mut IndexWriter, seq: i64) -> Result<()> {
        let payload =
            serde_json::to_string(&Payload { seq, schema: SCHEMA_VERSION, vocabularies: self.vocab_stamp.clone() }).unwrap_or_default();
        let mut prepared = w.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Apply every change logged after the last commit; returns how many changes were applied.
    pub fn catch_up(&self, store: &Store) -> Result<usize> {
        let mut w = self.lock_writer();
        let mut applied = 0;
        let mut pending = 0;
        let mut seq = self.applied_seq();
        loop {
            let changes = store.changes_after(seq, CATCH_UP_BATCH)?;
            let Some(last) = changes.last().map(|c| c.seq) else { break };
            let mut ids: Vec<Uuid> = Vec::with_capacity(changes.len());
            let mut seen = HashSet::new();
            for c in &changes {
                if seen.insert(c.entity_id) {
                    ids.push(c.entity_id);
                }
            }
            for id in &ids {
                w.delete_term(Term::from_field_text(self.f.id, &id.to_string()));
            }
            let current = store.get_many(&ids)?;
            for rec in &current {
                w.add_document(self.document(rec))?;
            }
            // Before the commit: a search never finds an id the catalogue does not hold yet.
            if self.catalogue_loaded.load(Ordering::Acquire) {
                self.catalogue.apply(&ids, current, &self.vocabs, last);
            }
            applied += changes.len();
            pending += changes.len();
            seq = last;
            if pending >= COMMIT_EVERY {
                self.commit(&mut w, seq)?;
                pending = 0;
            }
        }
        if pending > 0 {
            self.commit(&mut w, seq)?;
        }
        Ok(applied)
    }

    /// Fill the catalogue with every record (a server does, batch commands need not), then
    /// keep it in step with each catch-up.
    pub fn load_catalogue(&self, store: &Store) -> Result<usize> {
        // Under the writer lock, no catch-up runs meanwhile; whatever the store changes while
        // this reads is logged after the index's sequence number and replayed by the next one.
        let _w = self.lock_writer();
        let mut all = rustc_hash::FxHashMap::default();
        scan_all(store, |rec| {
            all.insert(rec.meta().id, Arc::new(Entry::new(rec, &self.vocabs)));
            Ok(())
        })?;
        let n = all.len();
        // Read after the index's sequence number (under the writer lock): at least that new.
        self.catalogue.replace(all, self.applied_seq());
        self.catalogue_loaded.store(true, Ordering::Release);
        Ok(n)
    }

    /// Empty the index and index every record again; returns how many were indexed.
    pub fn rebuild(&self, store: &Store) -> Result<usize> {
        let mut w = self.lock_writer();
        // Changes after `seq` are replayed by the next catch-up; replaying is idempotent.
        let seq = store.last_seq()?;
        w.delete_all_documents()?;
        // The catalogue, where one is kept, already holds the records and follows catch-ups.
        let mut n = 0;
        scan_all(store, |rec| {
            w.add_document(self.document(&rec))?;
            n += 1;
            Ok(())
        })?;
        self.commit(&mut w, seq)?;
        Ok(n)
    }

    fn document(&self, rec: &Record) -> TantivyDocument {
        let f = self.f;
        let v = &self.vocabs;
        let m = rec.meta();
        let (hi, lo) = m.id.as_u64_pair();
        let mut d = doc!(
            f.id => m.id.to_string(),
            f.id_hi => hi,
            f.id_lo => lo,
            f.kind => rec.kind().as_str(),
            f.status => rec.status(),
            f.owner => m.owner_id.map(|o| o.to_string()).unwrap_or_default(),
            f.name => rec.label(),
            f.name_sort => rec.label().to_lowercase(),
            f.country => rec.country(),
            f.updated_at => m.updated_at.timestamp_micros(),
            f.created_at => m.created_at.timestamp_micros(),
        );
        let mut text: Vec<&str> = vec![rec.label(), v.countries.label(rec.country())];
        let mut techs = HashSet::new();
        let mut exact = HashSet::new();
        let mut samples = HashSet::new();
        match rec {
            Record::Platform(p) => {
                let p = &p.fields;
                d.add_text(f.external, yes_no(p.accepts_external_samples));
                d.add_text(f.cross_border, yes_no(p.accepts_cross_border));
                text.extend([p.organisation.name.as_str(), p.city.as_str(), p.description.as_str()]);
                for r in &p.readiness_areas {
                    d.add_text(f.readiness_area, r);
                    text.push(v.readiness_areas.label(r));
                }
                for s in &p.data_standards {
                    text.push(v.data_standards.label(s));
                }
                for c in &p.capabilities {
                    techs.extend(v.technologies.self_and_ancestors(&c.technology));
                    exact.insert(c.technology.as_str());
                    tech_text(&v.technologies, &c.technology, &mut text);
                    text.extend(c.technology_text.as_deref());
                    text.extend(c.instruments.iter().map(String::as_str));
                    for s in &c.sample_types {
                        samples.extend(v.sample_types.self_and_ancestors(s));
                        text.push(v.sample_types.label(s));
                    }
                    for a in &c.accreditations {
                        d.add_text(f.accreditation, a);
                    }
                }
                // What was kept as typed is found by search, never by a facet or a match.
                text.extend(p.unread.iter().map(|u| u.typed.as_str()));
                for c in &p.held_capabilities {
                    text.push(c.technology.as_str());
                    text.extend(c.instruments.iter().map(String::as_str));
                }
            }
            Record::Need(n) => {
                let n = &n.fields;
                text.push(&n.description);
                d.add_text(f.readiness_area, &n.readiness_area);
                // What the need asks for: its must-haves, or, where it has none, its
                // nice-to-haves (a platform offering one of them may serve it).
                let asks_all = !n.technologies.iter().any(|t| t.required);
                for t in &n.technologies {
                    techs.extend(v.technologies.self_and_ancestors(&t.technology));
                    if t.required || asks_all {
                        d.add_text(f.technology_required_exact, &t.technology);
                        for a in v.technologies.self_and_ancestors(&t.technology) {
                            d.add_text(f.technology_required, a);
                        }
                    }
                    tech_text(&v.technologies, &t.technology, &mut text);
                    text.extend(t.technology_text.as_deref());
                }
                text.extend(n.held_technologies.iter().map(|t| t.technology.as_str()));
                samples.extend(v.sample_types.self_and_ancestors(&n.sample_type));
                text.push(v.sample_types.label(&n.sample_type));
                if let Some(ct) = &n.cancer_type {
                    for c in v.cancer_types.self_and_ancestors(ct) {
                        d.add_text(f.cancer_type, c);
                    }
                    if let Some(t) = v.cancer_types.get(ct) {
                        text.push(&t.label);
                        text.extend(t.main_type.as_deref());
                    }
                }
                if let Some(a) = &n.accreditation_required {
                    d.add_text(f.accreditation, a);
                }
            }
        }
        for t in techs {
            d.add_text(f.technology, t);
        }
        for t in exact {
            d.add_text(f.technology_exact, t);
        }
        for s in samples {
            d.add_text(f.sample_type, s);
        }
        d.add_text(f.text, text.join("\n"));
        d
    }

    pub(crate) fn term_query(field: Field, value: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
    }

    pub(crate) fn any_of(field: Field, values: &[String]) -> Box<dyn Query> {
        Box::new(BooleanQuery::new(values.iter().map(|v| (Occur::Should, Self::term_query(field, v))).collect()))
    }

    /// The query for free text: every word must match (in the name or the text), exactly or,
    /// for words of five letters or more, with one typo. The last word, the one being typed,
    /// also matches as a prefix when it has two characters or more.
    fn text_query(&self, text: &str) -> Result<Option<Box<dyn Query>>> {
        let mut analyzer = self.index.tokenizer_for_field(self.f.text)?;
        let mut stream = analyzer.token_stream(text);
        let mut tokens: Vec<String> = Vec::new();
        while let Some(tok) = stream.next() {
            tokens.push(tok.text.clone());
        }
        // The same words unstemmed: the stemmer may change a word cut short ("genomi"), and
        // it never drops one, so the last of each is the same word.
        let mut unstemmed = prefix_analyzer();
        let mut stream = unstemmed.token_stream(text);
        let mut last_raw = None;
        while let Some(tok) = stream.next() {
            last_raw = Some(tok.text.clone());
        }
        let Some(last) = tokens.last().cloned() else { return Ok(None) };
        let mut seen = HashSet::new();
        let mut distinct: Vec<String> = tokens.into_iter().filter(|t| seen.insert(t.clone())).collect();
        if distinct.len() > MAX_WORDS {
            // The last word is kept: it is the one being typed.
            distinct.truncate(MAX_WORDS - 1);
            distinct.retain(|t| *t != last);
            distinct.push(last.clone());
        }
        let words: Vec<(Occur, Box<dyn Query>)> = distinct
            .iter()
            .map(|word| {
                let mut alts: Vec<(Occur, Box<dyn Query>)> = vec![
                    (Occur::Should, Box::new(BoostQuery::new(Self::term_query_freq(self.f.name, word), 2.0))),
                    (Occur::Should, Self::term_query_freq(self.f.text, word)),
                ];
                if word.chars().count() >= 5 {
                    let fuzzy = FuzzyTermQuery::new(Term::from_field_text(self.f.text, word), 1, true);
                    alts.push((Occur::Should, Box::new(BoostQuery::new(Box::new(fuzzy), 0.3))));
                }
                if *word == last {
                    alts.extend(self.prefix_alternatives(&last, last_raw.as_deref().unwrap_or(&last)));
                }
                (Occur::Must, Box::new(BooleanQuery::new(alts)) as Box<dyn Query>)
            })
            .collect();
        Ok(Some(Box::new(BooleanQuery::new(words))))
    }

    /// Ways the word being typed matches besides the ordinary ones: indexed terms that start
    /// with it, stemmed (`stem`) or not (`raw`), and, for a word cut short after its stem
    /// ("sequenci", "proteomi"), the stem it would have, one or two letters shorter. Nothing
    /// under two characters: a one-letter prefix would match most of the index. Prefix
    /// matches score a constant below an exact match.
    fn prefix_alternatives(&self, stem: &str, raw: &str) -> Vec<(Occur, Box<dyn Query>)> {
        let mut alts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if raw.chars().count() < 2 {
            return alts;
        }
        let mut prefixes = vec![stem];
        if raw != stem {
            prefixes.push(raw);
        }
        for p in prefixes {
            for (field, boost) in [(self.f.name, 0.6), (self.f.text, 0.3)] {
                let q = FuzzyTermQuery::new_prefix(Term::from_field_text(field, p), 0, true);
                alts.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost))));
            }
        }
        let chars: Vec<char> = raw.chars().collect();
        for cut in 1..=2 {
            if chars.len() >= cut + MIN_CUT_STEM {
                let shorter: String = chars[..chars.len() - cut].iter().collect();
                if shorter != stem {
                    alts.push((Occur::Should, Box::new(BoostQuery::new(Self::term_query_freq(self.f.text, &shorter), 0.3))));
                }
            }
        }
        alts
    }

    pub(crate) fn term_query_freq(field: Field, value: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::WithFreqs))
    }

    fn visibility(&self, kind: Kind, audience: Audience) -> Option<Box<dyn Query>> {
        let public: Vec<String> = match kind {
            Kind::Platform => vec![PlatformStatus::Published.as_str().to_owned()],
            Kind::Need => NeedStatus::ALL.iter().filter(|s| s.is_public()).map(|s| s.as_str().to_owned()).collect(),
        };
        match audience {
            Audience::Admin => None,
            Audience::Anonymous => Some(Self::any_of(self.f.status, &public)),
            Audience::User(id) => Some(Box::new(BooleanQuery::new(vec![
                (Occur::Should, Self::any_of(self.f.status, &public)),
                (Occur::Should, Self::term_query(self.f.owner, &id.to_string())),
            ]))),
        }
    }

    fn filter_field(&self, filter: Filter) -> Field {
        match filter {
            Filter::Technology => self.f.technology,
            Filter::TechnologyRequired => self.f.technology_required,
            Filter::Country => self.f.country,
            Filter::ReadinessArea => self.f.readiness_area,
            Filter::SampleType => self.f.sample_type,
            Filter::Accreditation => self.f.accreditation,
            Filter::CancerType => self.f.cancer_type,
            Filter::Status => self.f.status,
            Filter::Owner => self.f.owner,
        }
    }

    /// Search records of one kind; returns ids in order, the total and facet counts.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResult> {
        let mut must: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Self::term_query(self.f.kind, req.kind.as_str()))];
        if let Some(v) = self.visibility(req.kind, req.audience) {
            must.push((Occur::Must, v));
        }
        for (filter, values) in &req.filters {
            if !values.is_empty() {
                must.push((Occur::Must, Self::any_of(self.filter_field(*filter), values)));
            }
        }
        let text = match req.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => self.text_query(t)?,
            None => None,
        };
        let has_text = text.is_some();
        match text {
            Some(q) => must.push((Occur::Must, q)),
            None => must.push((Occur::Must, Box::new(AllQuery))),
        }
        let query = BooleanQuery::new(must);
        let searcher = self.reader.searcher();
        let facets = facets::FacetCounts { fields: FACETS.to_vec() };
        let top = TopDocs::with_limit(req.limit.max(1)).and_offset(req.offset);
        let sort = if req.sort == Sort::Relevance && !has_text { Sort::UpdatedDesc } else { req.sort };
        let (hits, total, facet_counts): (Vec<(f32, tantivy::DocAddress)>, usize, _) = match sort {
            Sort::Relevance => {
                let (h, n, fc) = searcher.search(&query, &(top.order_by_score(), Count, facets))?;
                (h, n, fc)
            }
            Sort::UpdatedDesc | Sort::UpdatedAsc | Sort::CreatedDesc => {
                let (field, order) = match sort {
                    Sort::UpdatedAsc => ("updated_at", Order::Asc),
                    Sort::CreatedDesc => ("created_at", Order::Desc),
                    _ => ("updated_at", Order::Desc),
                };
                let (h, n, fc) = searcher.search(&query, &(top.order_by_fast_field::<i64>(field, order), Count, facets))?;
                (h.into_iter().map(|(_, a)| (0.0, a)).collect(), n, fc)
            }
            Sort::NameAsc | Sort::NameDesc => {
                let order = if sort == Sort::NameAsc { Order::Asc } else { Order::Desc };
                let (h, n, fc) = searcher.search(&query, &(top.order_by_string_fast_field("name_sort", order), Count, facets))?;
                (h.into_iter().map(|(_, a)| (0.0, a)).collect(), n, fc)
            }
        };
        let ids = ids_of(&searcher, hits)?;
        let facets = FACETS.iter().copied().zip(facet_counts).collect();
        Ok(SearchResult { ids, total, facets })
    }

    /// Number of indexed documents of `kind`, any status.
    pub fn count(&self, kind: Kind) -> Result<usize> {
        Ok(self.reader.searcher().search(&*Self::term_query(self.f.kind, kind.as_str()), &Count)?)
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// Labels of a technology and its broader terms, and its own synonyms, for the text field.
fn tech_text<'a>(vocab: &'a omics_domain::Vocabulary, id: &'a str, text: &mut Vec<&'a str>) {
    for t in vocab.self_and_ancestors(id) {
        if let Some(term) = vocab.get(t) {
            text.push(&term.label);
            if t == id {
                text.extend(term.synonyms.iter().map(String::as_str));
            }
        }
    }
}

/// Every record in the store, in batches.
fn scan_all(store: &Store, mut each: impl FnMut(Record) -> Result<()>) -> Result<()> {
    let mut after = None;
    loop {
        let batch = store.scan(None, after, 5_000)?;
        let Some(last) = batch.last() else { break };
        after = Some(last.meta().id);
        for rec in batch {
            each(rec)?;
        }
    }
    Ok(())
}

/// The record ids of `hits`, with their scores, in order (from the id fast fields).
pub(crate) fn ids_of(searcher: &tantivy::Searcher, hits: Vec<(f32, tantivy::DocAddress)>) -> Result<Vec<(Uuid, f32)>> {
    // The id columns of each segment, opened once (hits interleave the segments).
    let mut columns: Vec<_> = (0..searcher.segment_readers().len()).map(|_| None).collect();
    let mut out = Vec::with_capacity(hits.len());
    for (score, addr) in hits {
        let (hi, lo) = match &mut columns[addr.segment_ord as usize] {
            Some(c) => c,
            slot => {
                let ff = searcher.segment_reader(addr.segment_ord).fast_fields();
                slot.insert((ff.u64("id_hi")?, ff.u64("id_lo")?))
            }
        };
        if let (Some(h), Some(l)) = (hi.first(addr.doc_id), lo.first(addr.doc_id)) {
            out.push((Uuid::from_u64_pair(h, l), score));
        }
    }
    Ok(out)
}

fn read_payload(index: &Index) -> Payload {
    index.load_metas().ok().and_then(|m| m.payload).and_then(|p| serde_json::from_str(&p).ok()).unwrap_or_default()
}
