//! Controlled vocabularies: technologies (a hierarchy), readiness areas (ordered), sample types,
//! accreditations, services, data standards, cancer types (OncoTree) and countries.
//!
//! Anything a user types for a vocabulary field is read by the term linker ([`crate::linker`]):
//! exactly by id, label or synonym (ignoring case, spaces, hyphens and punctuation), else by
//! its words, with a confidence; what is not read with confidence gets the closest terms
//! suggested.

use rustc_hash::FxHashMap;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{FieldCode, FieldError};
use crate::limits;
use crate::linker::{Confidence, Evidence, Lexicon, Linked, Suggestion, TermIndex};

/// One vocabulary term. Fields that only some vocabularies use are omitted when absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Term {
    /// Canonical id, stored wherever this term is used (`whole-exome-sequencing`, `BE`, `LUAD`).
    pub id: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Cross-references to ontologies (`EDAM:topic_3676`, `OBI:0002118`, `EFO:0008913`, `NCIT:C3512`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub xrefs: Vec<String>,
    /// The broader term in the hierarchy, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Order of readiness (readiness areas only; 1 is most ready).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// OncoTree main type (cancer types only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_type: Option<String>,
    /// OncoTree tissue (cancer types only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tissue: Option<String>,
    /// Depth in the OncoTree (cancer types only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u32>,
    /// `eu`, `eea`, `efta` or `associated` (countries only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Land neighbours (countries only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub neighbours: Vec<String>,
    /// Reference point for distances (countries only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capital: Option<String>,
    /// Technique families an instrument, kit or software is evidence for (instruments only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub technologies: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct VocabularyFile {
    vocabulary: String,
    version: String,
    #[serde(default)]
    description: String,
    terms: Vec<Term>,
}

/// How a typed value was read: the term stored, how sure the reading is, and the qualifiers
/// split off the phrase.
#[derive(Debug, Clone, PartialEq)]
pub struct Read<'a> {
    pub term: &'a Term,
    pub confidence: Confidence,
    pub score: f64,
    pub qualifiers: Vec<String>,
}

/// Lowercase alphanumerics only: `"scRNA-seq"`, `"sc rna seq"` and `"SCRNASEQ"` are one key.
pub fn normalize(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// One vocabulary: its terms in file order, with lookup by id, label and synonym.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    pub name: String,
    pub version: String,
    pub description: String,
    terms: Vec<Term>,
    /// Looked up for every capability of every candidate in a match: a fast hash, not SipHash
    /// (the ids are our own data, not an attacker's keys).
    by_id: FxHashMap<String, usize>,
    by_key: HashMap<String, usize>,
    children: HashMap<String, Vec<String>>,
    /// Position of each term's parent: the hierarchy walked without looking ids up.
    parents: Vec<Option<usize>>,
    /// The term linker's index of the names.
    index: TermIndex,
}

/// Why a vocabulary file was refused.
#[derive(Debug, thiserror::Error)]
pub enum VocabularyError {
    #[error("vocabulary {0}: not valid JSON: {1}")]
    Json(String, serde_json::Error),
    #[error("vocabulary {0}: {1}")]
    Invalid(String, String),
    #[error("{0}")]
    Lexicon(String),
}

impl Vocabulary {
    /// Parse a vocabulary file (`{"vocabulary", "version", "description", "terms": [...]}`).
    pub fn from_json(name: &str, json: &str) -> Result<Self, VocabularyError> {
        let file: VocabularyFile = serde_json::from_str(json).map_err(|e| VocabularyError::Json(name.to_owned(), e))?;
        let invalid = |m: String| VocabularyError::Invalid(name.to_owned(), m);
        if file.terms.is_empty() {
            return Err(invalid("has no terms".into()));
        }
        let mut by_id = FxHashMap::default();
        let mut by_key = HashMap::new();
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        for (i, t) in file.terms.iter().enumerate() {
            if by_id.insert(t.id.clone(), i).is_some() {
                return Err(invalid(format!("duplicate id {}", t.id)));
            }
        }
        for (i, t) in file.terms.iter().enumerate() {
            if let Some(p) = &t.parent {
                if !by_id.contains_key(p) {
                    return Err(invalid(format!("term {} has unknown parent {p}", t.id)));
                }
                children.entry(p.clone()).or_default().push(t.id.clone());
            }
            // Ids and labels win over synonyms when a key is shared.
            for key in [&t.id, &t.label] {
                by_key.insert(normalize(key), i);
            }
        }
        for (i, t) in file.terms.iter().enumerate() {
            for s in &t.synonyms {
                by_key.entry(normalize(s)).or_insert(i);
            }
        }
        let lexicon = Lexicon::builtin().map_err(VocabularyError::Lexicon)?;
        let names: Vec<Vec<&str>> = file
            .terms
            .iter()
            .map(|t| {
                std::iter::once(t.id.as_str())
                    .chain(std::iter::once(t.label.as_str()))
                    .chain(t.synonyms.iter().map(String::as_str))
                    .collect()
            })
            .collect();
        let positions: FxHashMap<&str, usize> = file.terms.iter().enumerate().map(|(i, t)| (t.id.as_str(), i)).collect();
        let parent_positions: Vec<Option<usize>> =
            file.terms.iter().map(|t| t.parent.as_deref().and_then(|p| positions.get(p).copied())).collect();
        let index = TermIndex::build(name, &names, &parent_positions, lexicon);
        let parents = file.terms.iter().map(|t| t.parent.as_ref().and_then(|p| by_id.get(p).copied())).collect();
        let vocab = Vocabulary {
            parents,
            index,
            name: file.vocabulary,
            version: file.version,
            description: file.description,
            terms: file.terms,
            by_id,
            by_key,
            children,
        };
        for t in &vocab.terms {
            if vocab.ancestors(&t.id).any(|a| a == t.id) {
                return Err(invalid(format!("term {} is its own ancestor", t.id)));
            }
        }
        Ok(vocab)
    }

    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    pub fn get(&self, id: &str) -> Option<&Term> {
        self.by_id.get(id).map(|&i| &self.terms[i])
    }

    pub fn label<'a>(&'a self, id: &'a str) -> &'a str {
        self.get(id).map_or(id, |t| t.label.as_str())
    }

    /// Position of a term in file order (readiness areas are ordered this way).
    pub fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The term whose id, label or synonym equals `input` after normalisation.
    pub fn lookup(&self, input: &str) -> Option<&Term> {
        self.by_key.get(&normalize(input)).map(|&i| &self.terms[i])
    }

    /// What the term linker reads in `input` (see [`crate::linker`]). Values longer than
    /// [`limits::SHORT_TEXT`] are not read at all (no term is that long).
    pub fn link(&self, input: &str) -> Linked {
        if input.chars().count() > limits::SHORT_TEXT {
            return Linked::default();
        }
        let Ok(lexicon) = Lexicon::builtin() else { return Linked::default() };
        let exact = self.by_key.get(&normalize(input)).copied();
        let ancestor = |a: usize, b: usize| self.ancestor_positions(Some(b)).any(|x| x == a);
        self.index.link(input, lexicon, ancestor, exact)
    }

    /// How `input` reads, if it reads as a term at all (at any confidence).
    pub fn reading(&self, input: &str) -> Option<Read<'_>> {
        let best = self.link(input).best?;
        Some(Read { term: &self.terms[best.term], confidence: best.confidence, score: best.score, qualifiers: best.qualifiers })
    }

    /// The closest terms to `input`, best first, at most `n`.
    pub fn suggest(&self, input: &str, n: usize) -> Vec<Suggestion> {
        self.suggestions(&self.link(input), n)
    }

    fn suggestions(&self, linked: &Linked, n: usize) -> Vec<Suggestion> {
        linked
            .ranked
            .iter()
            .take(n)
            .map(|&(i, score)| Suggestion {
                id: self.terms[i].id.clone(),
                label: self.terms[i].label.clone(),
                score: (score * 1000.0).round() / 1000.0,
            })
            .collect()
    }

    /// Read a value for `field`: the term when the reading is exact or high (only exact when
    /// `strict`), else a field error `unknown_term` with the ranked suggestions. Values longer
    /// than [`limits::SHORT_TEXT`] are refused as `too_long` before any comparison.
    pub fn read(&self, field: &str, input: &str, strict: bool) -> Result<Read<'_>, FieldError> {
        let n = input.chars().count();
        if n > limits::SHORT_TEXT {
            return Err(FieldError::new(field, FieldCode::TooLong, format!("{field} has {n} characters; at most {}", limits::SHORT_TEXT)));
        }
        let linked = self.link(input);
        if let Some(best) = &linked.best
            && (best.confidence == Confidence::Exact || (!strict && best.confidence.automatic()))
        {
            let b = best.clone();
            return Ok(Read { term: &self.terms[b.term], confidence: b.confidence, score: b.score, qualifiers: b.qualifiers });
        }
        let suggestions = self.suggestions(&linked, 5);
        let listed: Vec<&str> = suggestions.iter().take(3).map(|s| s.id.as_str()).collect();
        let closest = if listed.is_empty() { "no close term".to_owned() } else { format!("closest: {}", listed.join(", ")) };
        let how = match &linked.best {
            Some(b) if strict && b.confidence == Confidence::High => " (strict: only ids, labels and synonyms are taken)".to_owned(),
            Some(b) => format!(" (read as {} with {} confidence only)", self.terms[b.term].id, b.confidence.as_str()),
            None => String::new(),
        };
        let mut e = FieldError::new(
            field,
            FieldCode::UnknownTerm,
            format!("'{}' is not a known {} term{how}; {closest} (see /api/v1/vocabularies/{})", truncate(input, 80), self.name, self.name),
        );
        e.suggestions = suggestions;
        Err(e)
    }

    /// Resolve a value for `field` to its canonical id (see [`Vocabulary::read`]).
    pub fn resolve(&self, field: &str, input: &str) -> Result<String, FieldError> {
        self.read(field, input, false).map(|r| r.term.id.clone())
    }

    /// Ancestors of `id`, nearest first (not including `id`).
    pub fn ancestors<'a>(&'a self, id: &str) -> impl Iterator<Item = &'a str> + 'a {
        self.ancestor_positions(self.position(id)).map(|p| self.terms[p].id.as_str())
    }

    /// Positions of the ancestors of the term at `pos`, nearest first.
    fn ancestor_positions(&self, pos: Option<usize>) -> impl Iterator<Item = usize> + '_ {
        let mut cur = pos.and_then(|p| self.parents[p]);
        let mut steps = 0;
        std::iter::from_fn(move || {
            let p = cur?;
            steps += 1;
            if steps > 64 {
                return None;
            }
            cur = self.parents[p];
            Some(p)
        })
    }

    /// Whether `a` and `b` are different terms with the same parent.
    pub fn siblings(&self, a: &str, b: &str) -> bool {
        match (self.position(a), self.position(b)) {
            (Some(x), Some(y)) => x != y && self.parents[x].is_some() && self.parents[x] == self.parents[y],
            _ => false,
        }
    }

    /// `id` followed by its ancestors: the terms a filter on any of them should match.
    pub fn self_and_ancestors<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        std::iter::once(id).chain(self.ancestors(id))
    }

    /// Direct children of `id`.
    pub fn children(&self, id: &str) -> &[String] {
        self.children.get(id).map_or(&[], Vec::as_slice)
    }

    /// Number of steps from `a` up to its ancestor `b`, if `b` is an ancestor of `a`.
    pub fn depth_below(&self, a: &str, b: &str) -> Option<usize> {
        let b = self.position(b)?;
        self.ancestor_positions(self.position(a)).position(|x| x == b).map(|p| p + 1)
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_owned() } else { s.chars().take(n).collect::<String>() + "…" }
}

/// The vocabularies the service knows, by their URL names.
#[derive(Debug, Clone)]
pub struct Vocabularies {
    pub technologies: Vocabulary,
    pub readiness_areas: Vocabulary,
    pub sample_types: Vocabulary,
    pub accreditations: Vocabulary,
    pub services: Vocabulary,
    pub data_standards: Vocabulary,
    pub cancer_types: Vocabulary,
    pub countries: Vocabulary,
    /// An open list: evidence for technique families, never a technique itself.
    pub instruments: Vocabulary,
}

macro_rules! builtin {
    ($name:literal) => {
        ($name, include_str!(concat!("../../../fixtures/vocabularies/", $name, ".json")))
    };
}

/// The vocabulary files compiled into the binary, by URL name.
pub const BUILTIN: [(&str, &str); 9] = [
    builtin!("technologies"),
    builtin!("readiness-areas"),
    builtin!("sample-types"),
    builtin!("accreditations"),
    builtin!("services"),
    builtin!("data-standards"),
    builtin!("cancer-types"),
    builtin!("countries"),
    builtin!("instruments"),
];

impl Vocabularies {
    /// The built-in vocabularies, with any of them replaced by `overrides` (URL name → JSON).
    pub fn load(overrides: &HashMap<String, String>) -> Result<Self, VocabularyError> {
        let mut parsed: HashMap<&str, Vocabulary> = HashMap::new();
        for (name, json) in BUILTIN {
            let json = overrides.get(name).map_or(json, String::as_str);
            parsed.insert(name, Vocabulary::from_json(name, json)?);
        }
        let mut take = |n: &str| parsed.remove(n).ok_or_else(|| VocabularyError::Invalid(n.to_owned(), "missing".into()));
        let v = Vocabularies {
            technologies: take("technologies")?,
            readiness_areas: take("readiness-areas")?,
            sample_types: take("sample-types")?,
            accreditations: take("accreditations")?,
            services: take("services")?,
            data_standards: take("data-standards")?,
            cancer_types: take("cancer-types")?,
            countries: take("countries")?,
            instruments: take("instruments")?,
        };
        let mut v = v;
        let lexicon = Lexicon::builtin().map_err(VocabularyError::Lexicon)?;
        let evidence = Evidence::from_instruments(&v.instruments, lexicon);
        for t in v.instruments.terms() {
            if let Some(bad) = t.technologies.iter().find(|x| v.technologies.get(x).is_none()) {
                return Err(VocabularyError::Invalid("instruments".into(), format!("{} names unknown technology {bad}", t.id)));
            }
        }
        let techs = v.technologies.clone();
        v.technologies.index.set_evidence(&evidence, |id| techs.position(id));
        // Cancer types and organs name what a technique or sample is about, never the technique.
        let disease: Vec<String> = v.cancer_types.index.tokens().map(str::to_owned).collect();
        for voc in [&mut v.technologies, &mut v.sample_types] {
            voc.index.add_asides(disease.iter().map(String::as_str));
        }
        // So do sample types for a technique ("urine metabolomics", "plasma proteomics"),
        // where the technologies vocabulary does not use the word itself.
        let samples: Vec<String> = v.sample_types.index.tokens().map(str::to_owned).collect();
        v.technologies.index.add_asides(samples.iter().map(String::as_str));
        for t in v.countries.terms() {
            if t.lat.is_none() || t.lon.is_none() {
                return Err(VocabularyError::Invalid("countries".into(), format!("{} has no lat/lon", t.id)));
            }
        }
        Ok(v)
    }

    /// The built-in vocabularies as shipped.
    pub fn builtin() -> Result<Self, VocabularyError> {
        Self::load(&HashMap::new())
    }

    /// A vocabulary by its URL name (`technologies`, `readiness-areas`, ...).
    pub fn by_name(&self, name: &str) -> Option<&Vocabulary> {
        Some(match name {
            "technologies" => &self.technologies,
            "readiness-areas" => &self.readiness_areas,
            "sample-types" => &self.sample_types,
            "accreditations" => &self.accreditations,
            "services" => &self.services,
            "data-standards" => &self.data_standards,
            "cancer-types" => &self.cancer_types,
            "countries" => &self.countries,
            "instruments" => &self.instruments,
            _ => return None,
        })
    }

    pub const NAMES: [&'static str; 9] = [
        "technologies",
        "readiness-areas",
        "sample-types",
        "accreditations",
        "services",
        "data-standards",
        "cancer-types",
        "countries",
        "instruments",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI: &str = r#"{"vocabulary":"technologies","version":"t","terms":[
        {"id":"dna-sequencing","label":"DNA sequencing"},
        {"id":"whole-exome-sequencing","label":"Whole exome sequencing","parent":"dna-sequencing","synonyms":["WES","exome"]},
        {"id":"single-cell-rna-sequencing","label":"Single-cell RNA sequencing","synonyms":["scRNA-seq"]}]}"#;

    #[test]
    fn normalises_case_space_and_punctuation() {
        assert_eq!(normalize("scRNA-seq"), "scrnaseq");
        assert_eq!(normalize(" SC rna_seq. "), "scrnaseq");
    }

    #[test]
    fn overlong_values_are_refused_before_any_comparison() {
        let v = Vocabulary::from_json("technologies", MINI).unwrap();
        let long = "whole exome ".repeat(limits::SHORT_TEXT);
        let e = v.resolve("technology", &long).unwrap_err();
        assert_eq!(e.code, "too_long");
        assert!(e.suggestions.is_empty());
        assert!(v.link(&long).best.is_none() && v.link(&long).ranked.is_empty());
        let at_limit = "exome ".repeat(limits::SHORT_TEXT / 6) + "x";
        assert_eq!(at_limit.chars().count(), limits::SHORT_TEXT - 1);
        assert!(v.link(&at_limit).best.is_some(), "a value within the limit is read");
    }

    #[test]
    fn resolves_ids_labels_and_synonyms() {
        let v = Vocabulary::from_json("technologies", MINI).unwrap();
        assert_eq!(v.resolve("f", "wes").unwrap(), "whole-exome-sequencing");
        assert_eq!(v.resolve("f", "Whole Exome Sequencing").unwrap(), "whole-exome-sequencing");
        assert_eq!(v.resolve("f", "SC RNA seq").unwrap(), "single-cell-rna-sequencing");
    }

    #[test]
    fn unknown_term_suggests_closest() {
        let v = Vocabulary::from_json("technologies", MINI).unwrap();
        let e = v.resolve("capabilities[0].technology", "exome genome").unwrap_err();
        assert_eq!(e.code, "unknown_term");
        assert_eq!(e.suggestions[0].id, "whole-exome-sequencing");
        assert!(e.message.contains("capabilities") || e.field.contains("capabilities"));
    }

    #[test]
    fn free_text_is_read_word_by_word_but_not_by_a_shared_generic_word() {
        let v = Vocabularies::builtin().unwrap();
        let t = &v.technologies;
        let read = |s: &str| t.read("f", s, false).ok().map(|r| r.term.id.clone());
        assert_eq!(read("single cel RNA seq").as_deref(), Some("single-cell-rna-sequencing"));
        assert_eq!(read("10x scRNA").as_deref(), Some("single-cell-rna-sequencing"));
        assert_eq!(read("10x singel cell").as_deref(), Some("single-cell-rna-sequencing"));
        assert_eq!(read("whole exom sequencng").as_deref(), Some("whole-exome-sequencing"));
        assert_eq!(read("quantum sequencing"), None);
        assert_eq!(read("banana"), None);
        assert_eq!(t.read("f", "WES", true).map(|r| r.confidence), Ok(Confidence::Exact));
    }

    /// How the built-in technologies read `typed`: the term and confidence, if read at all.
    fn tech(typed: &str) -> Option<(String, Confidence)> {
        static V: std::sync::OnceLock<Vocabularies> = std::sync::OnceLock::new();
        let v = V.get_or_init(|| Vocabularies::builtin().unwrap());
        v.technologies.reading(typed).map(|r| (r.term.id.clone(), r.confidence))
    }

    fn stored(typed: &str) -> Option<String> {
        tech(typed).filter(|(_, c)| c.automatic()).map(|(t, _)| t)
    }

    #[test]
    fn normalisation_case_unicode_hyphens_spacing_and_spelling() {
        for (typed, want) in [
            ("whole-genome bisulphite sequencing", "whole-genome-bisulfite-sequencing"),
            ("Whole Genome Bisulfite  Sequencing", "whole-genome-bisulfite-sequencing"),
            ("single\u{2013}cell RNA-seq", "single-cell-rna-sequencing"),
            ("Single Cell RNA Seq", "single-cell-rna-sequencing"),
            ("scRNAseq", "single-cell-rna-sequencing"),
            ("RNAseq", "rna-sequencing"),
            ("tumour-normal WGS", "whole-genome-sequencing"),
            ("Tumor/Normal WGS", "whole-genome-sequencing"),
            ("circulating tumour DNA", "ctdna-analysis"),
        ] {
            assert_eq!(tech(typed), Some((want.to_owned(), Confidence::Exact)), "{typed}");
        }
    }

    #[test]
    fn qualifiers_are_split_off_and_kept() {
        let v = Vocabularies::builtin().unwrap();
        let r = v.technologies.read("f", "WGS (PCR-free, Illumina NovaSeq X)", false).unwrap();
        assert_eq!((r.term.id.as_str(), r.confidence), ("whole-genome-sequencing", Confidence::High));
        assert_eq!(r.qualifiers, ["PCR-free, Illumina NovaSeq X"]);
        for (typed, want) in [
            ("DIA-MS proteomics (Orbitrap Astral)", "dia-ms"),
            ("Whole exome sequencing - Twist Exome 2.0", "whole-exome-sequencing"),
            ("WGS on NovaSeq X (90x/30x)", "whole-genome-sequencing"),
            ("hereditary cancer panel (BRCA1/2 + 28 genes)", "hereditary-cancer-panel"),
            ("RNA-seq (poly-A, stranded)", "mrna-sequencing"),
        ] {
            assert_eq!(stored(typed).as_deref(), Some(want), "{typed}");
        }
    }

    #[test]
    fn modifiers_change_the_reading_only_where_the_vocabulary_has_the_narrower_term() {
        assert_eq!(stored("germline WES").as_deref(), Some("whole-exome-sequencing"));
        assert_eq!(stored("somatic WGS").as_deref(), Some("whole-genome-sequencing"));
        assert_eq!(stored("clinical exome").as_deref(), Some("whole-exome-sequencing"));
        assert_eq!(stored("bulk RNA sequencing").as_deref(), Some("rna-sequencing"));
        assert_eq!(stored("targeted RNA-seq").as_deref(), Some("targeted-rna-sequencing"));
        assert_eq!(stored("high-throughput RNA-seq").as_deref(), Some("rna-sequencing"));
        assert_eq!(stored("germline cancer panel").as_deref(), Some("hereditary-cancer-panel"));
        // A term naming a modifier the phrase does not say is a narrower assay: not chosen.
        assert_ne!(stored("GC-MS metabolomics").as_deref(), Some("targeted-metabolomics"));
    }

    #[test]
    fn typos_are_tolerated_per_word() {
        assert_eq!(stored("single cel RNA seq").as_deref(), Some("single-cell-rna-sequencing"));
        assert_eq!(stored("whole exom sequencing").as_deref(), Some("whole-exome-sequencing"));
        assert_eq!(stored("TCR repertoir sequencing").as_deref(), Some("tcr-sequencing"));
        assert_eq!(stored("nanopore sequncing").as_deref(), Some("nanopore-sequencing"));
        // Two typos in a nine-letter word.
        assert_eq!(stored("proteomcis").as_deref(), Some("proteomics"));
        // No typo is forgiven in a short word: WGS is not WES.
        assert_ne!(stored("WGZ").as_deref(), Some("whole-genome-sequencing"));
    }

    #[test]
    fn the_rare_word_decides_and_generic_words_alone_are_refused() {
        for typed in ["sequencing", "mass spec", "omics", "genomics", "PCR", "methylation", "banana", "quantum sequencing", "analysis"] {
            assert_eq!(stored(typed), None, "{typed} must not be stored automatically");
        }
    }

    #[test]
    fn instruments_are_evidence_never_the_whole_answer() {
        let v = Vocabularies::builtin().unwrap();
        for typed in ["NovaSeq 6000", "Orbitrap Exploris 480", "Illumina NextSeq 2000"] {
            let e = v.technologies.read("f", typed, false).unwrap_err();
            assert_eq!(e.code, "unknown_term", "{typed}");
            let first = &e.suggestions.first().unwrap_or_else(|| panic!("{typed}: no suggestion")).id;
            let family = |id: &str| v.technologies.self_and_ancestors(id).last().unwrap_or(id).to_owned();
            assert!(
                ["dna-sequencing", "rna-sequencing", "proteomics", "metabolomics"].contains(&family(first).as_str()),
                "{typed}: {first}"
            );
        }
        assert_eq!(stored("10x Chromium single-cell RNA-seq").as_deref(), Some("single-cell-rna-sequencing"));
    }

    #[test]
    fn instruments_refine_a_broad_reading_and_doubt_one_they_contradict() {
        // One narrower family named by the instrument: that family, also when the head is
        // not a name typed whole ("plasma" is a sample word set aside).
        assert_eq!(stored("Plasma proteomics (Seer Proteograph XT)").as_deref(), Some("ms-proteomics"));
        assert_eq!(stored("proteomics (Orbitrap Astral)").as_deref(), Some("ms-proteomics"));
        // Two narrower families (Orbitrap: untargeted metabolomics and lipidomics): no choice.
        assert_eq!(stored("metabolomics (Orbitrap Exploris)").as_deref(), Some("metabolomics"));
        // An instrument of another line beside a phrase short of a whole name: doubtful.
        assert_eq!(stored("repertoire profiling (Orbitrap)"), None);
        assert!(stored("repertoire profiling").is_some());
    }

    #[test]
    fn what_a_depth_a_gene_name_or_a_suffix_says() {
        // A depth under 5x is low-pass; 30x says nothing.
        assert_eq!(stored("WGS 0.5x for CNV").as_deref(), Some("low-pass-whole-genome-sequencing"));
        assert_eq!(stored("WGS (PCR-free, 30x)").as_deref(), Some("whole-genome-sequencing"));
        // A rare word of a qualifier names the narrower term; a common one ("reads") does not.
        assert_eq!(stored("Targeted RNA-seq for fusions (Oncomine Fusion)").as_deref(), Some("rna-fusion-panel"));
        assert_eq!(stored("RNA-seq (NovaSeq, 30M reads/sample)").as_deref(), Some("rna-sequencing"));
        assert_eq!(stored("RNA-seq (rRNA depletion)").as_deref(), Some("total-rna-sequencing"));
        // "X-like" is something like X (found in text whose lower case changes length).
        assert_eq!(stored("Sanger-like"), None);
        assert_eq!(stored("İİİ Sanger-like"), None);
        assert_eq!(stored("İİİİİİ WGS-likeİ 0.5x"), None);
        assert_eq!(stored("Sanger confirmation of variants").as_deref(), Some("sanger-sequencing"));
        // A company alone names none of its products; NGS alone neither DNA nor RNA.
        for typed in ["Nanostring", "NGS", "FoundationOne CDx"] {
            assert_eq!(stored(typed), None, "{typed}");
        }
        // Contradicting words rule out the term whose id holds the other ("short-read" is not
        // long-read); "-omics" typos are one edit from the name.
        assert_eq!(stored("short-read WGS").as_deref(), Some("whole-genome-sequencing"));
        assert_eq!(stored("short-read DNA sequencing (Illumina)").as_deref(), Some("dna-sequencing"));
        assert_eq!(stored("lipdomics").as_deref(), Some("lipidomics"));
        assert_eq!(stored("lipidomic profiling").as_deref(), Some("lipidomics"));
        assert_eq!(stored("trio exome").as_deref(), Some("whole-exome-sequencing"));
    }

    #[test]
    fn analysis_software_names_the_analysis_and_kits_name_the_assay() {
        assert_eq!(stored("repertoir analysis (MiXCR, Immcantation)").as_deref(), Some("bioinformatics-analysis"));
        assert_eq!(stored("scTCR/BCR clonotype analysis (scirpy)").as_deref(), Some("single-cell-data-analysis"));
        assert_eq!(stored("cytometry data analysis (OMIQ, FlowSOM, UMAP)").as_deref(), Some("bioinformatics-analysis"));
        // Software beside an assay typed whole: still the assay.
        assert_eq!(stored("WGS (DRAGEN)").as_deref(), Some("whole-genome-sequencing"));
        assert_eq!(stored("single-cell RNA-seq (Cell Ranger)").as_deref(), Some("single-cell-rna-sequencing"));
        // A kit pointing to another line does not move the reading.
        assert_eq!(stored("Targeted ctDNA sequencing – AVENIO ctDNA Expanded Kit (77 genes)").as_deref(), Some("ctdna-analysis"));
    }

    #[test]
    fn two_narrower_terms_at_once_are_their_broader_term() {
        assert_eq!(stored("Bulk TCR/BCR repertoire sequencing (5' RACE, UMI)").as_deref(), Some("immune-repertoire-sequencing"));
        // Siblings with no common broader term that fits: refused.
        assert_eq!(stored("WGS and WES"), None);
    }

    #[test]
    fn a_part_naming_nothing_known_is_set_aside() {
        assert_eq!(stored("Differential expression / pseudobulk").as_deref(), Some("differential-expression-analysis"));
        assert_eq!(stored("SV calling and phasing (tumour/normal)").as_deref(), Some("structural-variant-calling"));
        assert_eq!(stored("AI / machine learning"), None);
        // A part with a known word that does not read leaves the whole unread.
        assert_eq!(stored("Tapestri single-cell DNA + protein (AML panel)"), None);
        // A head typed as a name, in words the fit sets aside, is that name.
        let v = Vocabularies::builtin().unwrap();
        let r = v.readiness_areas.read("f", "routine diagnostics (accredited, since 2019)", false).unwrap();
        assert_eq!((r.term.id.as_str(), r.confidence), ("routine-care", Confidence::High));
    }

    #[test]
    fn preservation_words_in_sample_types_leave_the_origin_to_decide() {
        let v = Vocabularies::builtin().unwrap();
        let st = |typed: &str| v.sample_types.read("f", typed, false).ok().map(|r| r.term.id.clone());
        assert_eq!(st("snap-frozen PDX tumour").as_deref(), Some("pdx"));
        assert_eq!(st("snap-frozen tumour").as_deref(), Some("fresh-frozen-tissue"));
        assert_eq!(st("frozen plasma").as_deref(), Some("plasma"));
        assert_eq!(st("bone marrow trephine").as_deref(), Some("tissue"));
        assert_eq!(st("frozen"), None);
    }

    #[test]
    fn strict_takes_only_ids_labels_and_synonyms() {
        let v = Vocabularies::builtin().unwrap();
        assert!(v.technologies.read("f", "germline WES", false).is_ok());
        let e = v.technologies.read("f", "germline WES", true).unwrap_err();
        assert_eq!(e.code, "unknown_term");
        assert_eq!(e.suggestions[0].id, "whole-exome-sequencing");
        assert!(v.technologies.read("f", "WES", true).is_ok());
    }

    #[test]
    fn other_vocabularies_read_the_same_way() {
        let v = Vocabularies::builtin().unwrap();
        let id = |voc: &Vocabulary, s: &str| voc.read("f", s, false).ok().map(|r| r.term.id.clone());
        assert_eq!(id(&v.countries, "The Netherlands").as_deref(), Some("NL"));
        assert_eq!(id(&v.countries, "Czech Republic").as_deref(), Some("CZ"));
        assert_eq!(id(&v.sample_types, "FFPE blocks").as_deref(), Some("ffpe-tissue"));
        assert_eq!(id(&v.sample_types, "EDTA whole-blood tubes").as_deref(), Some("whole-blood"));
        assert_eq!(id(&v.accreditations, "accredited to EN ISO 15189:2022").as_deref(), Some("iso-15189"));
        assert_eq!(id(&v.readiness_areas, "routine diagnostics").as_deref(), Some("routine-care"));
        assert_eq!(id(&v.data_standards, "PRIDE submission").as_deref(), Some("proteomexchange"));
    }

    #[test]
    fn a_refused_value_gets_ranked_suggestions_with_labels_and_scores() {
        let v = Vocabularies::builtin().unwrap();
        let e = v.technologies.read("f", "exome or genome", false).unwrap_err();
        assert_eq!(e.suggestions[0].id, "whole-exome-sequencing");
        assert_eq!(e.suggestions[0].label, "Whole exome sequencing");
        assert!(e.suggestions.windows(2).all(|w| w[0].score >= w[1].score || w[0].id == e.suggestions[0].id));
        assert!(e.suggestions.iter().all(|s| (0.0..=1.0).contains(&s.score)));
    }

    #[test]
    fn ancestors_walk_up() {
        let v = Vocabulary::from_json("technologies", MINI).unwrap();
        let a: Vec<_> = v.self_and_ancestors("whole-exome-sequencing").collect();
        assert_eq!(a, ["whole-exome-sequencing", "dna-sequencing"]);
        assert_eq!(v.depth_below("whole-exome-sequencing", "dna-sequencing"), Some(1));
        assert_eq!(v.children("dna-sequencing"), ["whole-exome-sequencing"]);
    }

    #[test]
    fn refuses_unknown_parent_and_duplicates() {
        let bad = r#"{"vocabulary":"x","version":"1","terms":[{"id":"a","label":"A","parent":"zz"}]}"#;
        assert!(Vocabulary::from_json("x", bad).is_err());
        let dup = r#"{"vocabulary":"x","version":"1","terms":[{"id":"a","label":"A"},{"id":"a","label":"B"}]}"#;
        assert!(Vocabulary::from_json("x", dup).is_err());
    }

    #[test]
    fn builtin_vocabularies_load() {
        let v = Vocabularies::builtin().unwrap();
        assert!(v.technologies.terms().len() >= 60);
        assert_eq!(v.readiness_areas.terms().len(), 4);
        assert!(v.cancer_types.get("LUAD").is_some());
        assert!(v.countries.get("BE").is_some());
        for s in [
            "WGS",
            "30x WGS",
            "WES",
            "exome",
            "scRNA-seq",
            "10x Chromium",
            "Visium",
            "Xenium",
            "CyTOF",
            "ctDNA",
            "OGM",
            "dPCR",
            "HRD",
            "EPIC array",
            "WGBS",
            "lpWGS",
            "ONT",
            "HiFi",
            "DIA-MS",
        ] {
            assert!(v.technologies.lookup(s).is_some(), "synonym {s} does not resolve");
        }
    }
}
