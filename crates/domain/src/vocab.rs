//! Controlled vocabularies: technologies (a hierarchy), readiness areas (ordered), sample types,
//! accreditations, services, data standards, cancer types (OncoTree) and countries.
//!
//! Anything a user types for a vocabulary field is resolved by id, label or synonym, ignoring
//! case, spaces, hyphens and punctuation; an unknown value gets the closest terms suggested.

use rustc_hash::FxHashMap;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;
use crate::limits;

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
}

#[derive(Debug, Deserialize)]
struct VocabularyFile {
    vocabulary: String,
    version: String,
    #[serde(default)]
    description: String,
    terms: Vec<Term>,
}

/// How a typed value was read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Resolved<'a> {
    /// The canonical id, a label or a synonym (after normalisation).
    Exact(&'a Term),
    /// Closest term by string similarity, with its score in [0, 1].
    Similar(&'a Term, f64),
}

impl<'a> Resolved<'a> {
    pub fn term(&self) -> &'a Term {
        match self {
            Resolved::Exact(t) | Resolved::Similar(t, _) => t,
        }
    }
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
    /// Words of each term's id, label and synonyms, for matching typed phrases word by word.
    words: Vec<Vec<String>>,
}

/// Why a vocabulary file was refused.
#[derive(Debug, thiserror::Error)]
pub enum VocabularyError {
    #[error("vocabulary {0}: not valid JSON: {1}")]
    Json(String, serde_json::Error),
    #[error("vocabulary {0}: {1}")]
    Invalid(String, String),
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
        let words = file
            .terms
            .iter()
            .map(|t| {
                let mut w: Vec<String> =
                    std::iter::once(&t.id).chain(std::iter::once(&t.label)).chain(&t.synonyms).flat_map(|k| words_of(k)).collect();
                w.sort();
                w.dedup();
                w
            })
            .collect();
        let parents = file.terms.iter().map(|t| t.parent.as_ref().and_then(|p| by_id.get(p).copied())).collect();
        let vocab = Vocabulary {
            parents,
            words,
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

    /// Terms ranked by similarity to `input`, best first, each with its best score in [0, 1]:
    /// the edit similarity of the whole phrase to an id, label or synonym, or, for phrases of
    /// several words, how well each typed word is found among the term's words (so
    /// "single cel RNA seq" finds single-cell RNA sequencing, and "quantum sequencing" does not
    /// pass for any sequencing term on the strength of "sequencing" alone).
    pub fn similar(&self, input: &str, n: usize) -> Vec<(&Term, f64)> {
        let key = normalize(input);
        let typed = words_of(input);
        let mut best: HashMap<usize, f64> = HashMap::new();
        for (k, &i) in &self.by_key {
            let s = strsim::normalized_damerau_levenshtein(&key, k);
            let e = best.entry(i).or_insert(0.0);
            if s > *e {
                *e = s;
            }
        }
        if typed.len() >= 2 {
            let word_sim =
                |t: &String, words: &[String]| words.iter().map(|w| strsim::normalized_damerau_levenshtein(t, w)).fold(0.0, f64::max);
            for (i, term) in self.terms.iter().enumerate() {
                // One label or synonym read word by word: typed words found, extra words cost.
                let phrase = std::iter::once(&term.label)
                    .chain(&term.synonyms)
                    .map(|k| {
                        let words = words_of(k);
                        typed.iter().map(|t| word_sim(t, &words)).sum::<f64>() / typed.len().max(words.len()) as f64
                    })
                    .fold(0.0, f64::max);
                // The typed words spread over several of the term's names count a little less.
                let spread = 0.9 * typed.iter().map(|t| word_sim(t, &self.words[i])).sum::<f64>() / typed.len() as f64;
                let e = best.entry(i).or_insert(0.0);
                *e = e.max(phrase).max(spread);
            }
        }
        let mut ranked: Vec<(&Term, f64)> = best.into_iter().map(|(i, s)| (&self.terms[i], s)).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.id.cmp(&b.0.id)));
        ranked.truncate(n);
        ranked
    }

    /// Resolve exactly (id, label or synonym), else by similarity at or above `threshold`.
    /// Longer input is not compared with the terms at all (no term is that long, and the
    /// comparison costs time in proportion to the length).
    pub fn resolve_fuzzy(&self, input: &str, threshold: f64) -> Option<Resolved<'_>> {
        if let Some(t) = self.lookup(input) {
            return Some(Resolved::Exact(t));
        }
        if input.chars().count() > limits::SHORT_TEXT {
            return None;
        }
        let (t, s) = *self.similar(input, 1).first()?;
        (s >= threshold).then_some(Resolved::Similar(t, s))
    }

    /// Resolve a value for `field` to its canonical id, or a field error with suggestions.
    /// Values longer than [`limits::SHORT_TEXT`] are refused as `too_long` before any comparison.
    pub fn resolve(&self, field: &str, input: &str) -> Result<String, FieldError> {
        let n = input.chars().count();
        if n > limits::SHORT_TEXT {
            return Err(FieldError::new(field, "too_long", format!("{field} has {n} characters; at most {}", limits::SHORT_TEXT)));
        }
        if let Some(t) = self.lookup(input) {
            return Ok(t.id.clone());
        }
        let suggestions: Vec<String> = self.similar(input, 3).into_iter().map(|(t, _)| t.id.clone()).collect();
        let mut e = FieldError::new(
            field,
            "unknown_term",
            format!(
                "'{}' is not a known {} term; closest: {} (see /api/v1/vocabularies/{})",
                truncate(input, 80),
                self.name,
                suggestions.join(", "),
                self.name
            ),
        );
        e.suggestions = suggestions;
        Err(e)
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

/// Lower-cased alphanumeric words of a phrase.
fn words_of(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
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
}

macro_rules! builtin {
    ($name:literal) => {
        ($name, include_str!(concat!("../../../fixtures/vocabularies/", $name, ".json")))
    };
}

/// The vocabulary files compiled into the binary, by URL name.
pub const BUILTIN: [(&str, &str); 8] = [
    builtin!("technologies"),
    builtin!("readiness-areas"),
    builtin!("sample-types"),
    builtin!("accreditations"),
    builtin!("services"),
    builtin!("data-standards"),
    builtin!("cancer-types"),
    builtin!("countries"),
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
        };
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
            _ => return None,
        })
    }

    pub const NAMES: [&'static str; 8] =
        ["technologies", "readiness-areas", "sample-types", "accreditations", "services", "data-standards", "cancer-types", "countries"];
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
        assert!(v.resolve_fuzzy(&long, 0.0).is_none());
        let at_limit = "x".repeat(limits::SHORT_TEXT);
        assert_eq!(v.resolve("technology", &at_limit).unwrap_err().code, "unknown_term");
        assert!(v.resolve_fuzzy(&at_limit, 0.0).is_some());
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
        let e = v.resolve("capabilities[0].technology", "whole exom sequencing").unwrap_err();
        assert_eq!(e.code, "unknown_term");
        assert_eq!(e.suggestions[0], "whole-exome-sequencing");
        assert!(e.message.contains("capabilities") || e.field.contains("capabilities"));
    }

    #[test]
    fn free_text_is_read_word_by_word_but_not_by_a_shared_generic_word() {
        let v = Vocabularies::builtin().unwrap();
        let t = &v.technologies;
        let read = |s: &str| t.resolve_fuzzy(s, 0.85).map(|r| r.term().id.clone());
        assert_eq!(read("single cel RNA seq").as_deref(), Some("single-cell-rna-sequencing"));
        assert_eq!(read("10x scRNA").as_deref(), Some("single-cell-rna-sequencing"));
        assert_eq!(read("10x singel cell").as_deref(), Some("single-cell-rna-sequencing"));
        assert_eq!(read("whole exom sequencng").as_deref(), Some("whole-exome-sequencing"));
        assert_eq!(read("quantum sequencing"), None);
        assert_eq!(read("banana"), None);
        assert!(matches!(t.resolve_fuzzy("WES", 0.85), Some(Resolved::Exact(_))));
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
