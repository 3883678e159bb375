//! The index's fields and analyzers, what the last commit recorded, and how a record becomes
//! a document.

use std::collections::HashSet;

use omics_domain::{Record, Vocabularies};
use serde::{Deserialize, Serialize};
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer};
use tantivy::{Index, TantivyDocument, doc};

use crate::SearchIndex;
use crate::stem::EnglishStemmer;

/// Bump when the fields or how they are filled change: the index is then rebuilt at open.
pub(crate) const SCHEMA_VERSION: u32 = 5;
pub(crate) const ANALYZER: &str = "omics";
#[derive(Clone, Copy)]
pub(crate) struct Fields {
    pub(crate) id: Field,
    /// The id's two halves as fast fields: hits are turned into ids without reading stored documents.
    pub(crate) id_hi: Field,
    pub(crate) id_lo: Field,
    pub(crate) kind: Field,
    pub(crate) status: Field,
    pub(crate) owner: Field,
    pub(crate) name: Field,
    pub(crate) text: Field,
    pub(crate) technology: Field,
    /// A platform's capabilities' own terms (without their ancestors): a must-have is also met
    /// by a broader term, found as an ancestor of the must-have among these.
    pub(crate) technology_exact: Field,
    pub(crate) technology_required: Field,
    pub(crate) technology_required_exact: Field,
    pub(crate) external: Field,
    pub(crate) cross_border: Field,
    pub(crate) country: Field,
    pub(crate) readiness_area: Field,
    pub(crate) sample_type: Field,
    pub(crate) accreditation: Field,
    pub(crate) cancer_type: Field,
    pub(crate) updated_at: Field,
    pub(crate) created_at: Field,
    pub(crate) name_sort: Field,
}

pub(crate) fn schema() -> (Schema, Fields) {
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

pub(crate) fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(EnglishStemmer)
        .build()
}

/// The analyzer without stemming, for the word being typed.
pub(crate) fn prefix_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// What the last commit recorded.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Payload {
    pub(crate) seq: i64,
    pub(crate) schema: u32,
    pub(crate) vocabularies: String,
}

/// Names, versions and a digest of the terms: any change to the vocabularies rebuilds the index.
pub(crate) fn vocab_stamp(v: &Vocabularies) -> String {
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
    pub(crate) fn document(&self, rec: &Record) -> TantivyDocument {
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

pub(crate) fn read_payload(index: &Index) -> Payload {
    index.load_metas().ok().and_then(|m| m.payload).and_then(|p| serde_json::from_str(&p).ok()).unwrap_or_default()
}
