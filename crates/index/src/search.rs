//! Search for the list routes: free text (stemmed, with a typo allowed in long words and the
//! word being typed as a prefix), filters, who may see what, sort, and facet counts.

use std::collections::{BTreeMap, HashSet};

use omics_domain::{Kind, NeedStatus, PlatformStatus};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Order, Term};
use uuid::Uuid;

use crate::schema::prefix_analyzer;
use crate::{Result, SearchIndex};

/// Distinct words of `q` used at most.
const MAX_WORDS: usize = 32;
/// The word being typed also matches the stem it would have if cut short after the stem by one
/// or two letters, when what is left has this many letters.
const MIN_CUT_STEM: usize = 4;

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
    /// Record id: which of some records a search finds.
    Id,
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

impl SearchIndex {
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
            Filter::Id => self.f.id,
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
        let facets = crate::facets::FacetCounts { fields: FACETS.to_vec() };
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
