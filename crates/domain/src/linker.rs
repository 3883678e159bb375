//! The term linker: reads what a person typed for a vocabulary field as a careful curator
//! would, and says how sure it is (ZOOMA's levels: exact, high, medium, low).
//!
//! Every vocabulary gets an index when it is loaded: each name of each term (id, label,
//! synonyms) as canonical tokens, how rare each token is across the vocabulary (inverse
//! document frequency, a term being the document), postings from tokens to terms, and a
//! deletion index for typos. Typed text goes through the same tokenizer, so a name and a
//! phrasing of it meet whatever their spelling:
//!
//! 1. Unicode folded to ASCII, lower-cased, split into words at anything not a letter or digit;
//!    spelling variants folded (`tumour` → `tumor`), abbreviations and glued forms expanded
//!    (`seq` → `sequencing`, `scRNAseq` → single cell rna sequencing), plurals stemmed. The
//!    word lists are data (`fixtures/vocabularies/lexicon.json`).
//! 2. Parenthetical and trailing qualifiers (`(Orbitrap Astral)`, `- Twist Exome 2.0`,
//!    `, PCR-free`, `on NovaSeq X`) are split off the head phrase and kept. Their words may
//!    make the reading more specific where a term's names contain them, but never count
//!    against it.
//! 3. Each typed word has a role: *informative* (must be found in the term), *modifier*
//!    (`germline`, `somatic`, `bulk`, `clinical`, ...: counts only where the term has it, so
//!    `germline WES` is whole exome sequencing and `targeted RNA-seq` is targeted RNA
//!    sequencing), or *aside* (stop words, numbers, sequencing depth such as `30x`, and names
//!    from the instruments vocabulary, which are evidence for a technique family and never the
//!    whole answer).
//! 4. A word not in the vocabulary is corrected when one vocabulary word is within one edit
//!    (five letters or more) or two (nine or more), or when it is that word cut short by its
//!    last letter (`cel` → `cell`).
//! 5. A term's fit is how much of the typed phrase's weight its names hold (every informative
//!    word found: *coverage*) and how much of its best name the phrase holds (*completeness*),
//!    each weighted by rarity, so the informative word decides.
//!
//! Confidence: **exact** when the whole input equals a name after normalisation; **high**
//! when every informative word is found, the best name is at least half typed, at most one
//! word needed a typo correction (two in phrases of three or more words) and no unrelated
//! term fits as well; **medium** when most of the weight fits; **low** otherwise. What is
//! stored automatically is exact or high; medium and low are refused with the ranked
//! suggestions (see [`crate::vocab::Vocabulary::read`]).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How sure a reading is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// The input is an id, label or synonym of the term, after normalisation.
    Exact,
    /// Every informative word found, the term clearly the best: stored automatically.
    High,
    /// A plausible reading that a person should confirm: refused with suggestions.
    Medium,
    /// A weak reading: refused with suggestions.
    Low,
}

impl Confidence {
    /// Whether a value read at this level is stored without asking.
    pub fn automatic(self) -> bool {
        matches!(self, Confidence::Exact | Confidence::High)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Exact => "exact",
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }
}

/// A term offered instead of a value that was not read automatically.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Suggestion {
    #[schema(example = "whole-exome-sequencing")]
    pub id: String,
    #[schema(example = "Whole exome sequencing")]
    pub label: String,
    /// How well the typed value fits this term, in [0, 1].
    #[schema(example = 0.83)]
    pub score: f64,
}

/// How one typed vocabulary value of a request was read (reported in write responses and
/// matches: `readings[]`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Reading {
    /// JSON path of the field, e.g. `capabilities[0].technology`.
    #[schema(example = "capabilities[0].technology")]
    pub field: String,
    /// What was typed.
    #[schema(example = "WGS (PCR-free, Illumina NovaSeq X)")]
    pub typed: String,
    /// The canonical term stored.
    #[schema(example = "whole-genome-sequencing")]
    pub term: String,
    #[schema(example = "Whole genome sequencing")]
    pub label: String,
    pub confidence: Confidence,
    /// Fit in [0, 1] (1 for exact).
    #[schema(example = 1.0)]
    pub score: f64,
    /// Qualifiers split off the phrase and kept (instruments, kits, depth, panel names).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(example = json!(["PCR-free, Illumina NovaSeq X"]))]
    pub qualifiers: Vec<String>,
}

crate::wire_codes! {
    /// Why a value was kept as typed rather than read: the stable code of a warning.
    pub enum WarningCode {
        /// A value of an open list that is no known term, kept as typed.
        FreeTextKept => "free_text_kept",
        /// A closed-list value the linker could not read, kept in `unread` (platforms).
        NotReadKept => "not_read_kept",
        /// A capability whose technology could not be read, held in `held_capabilities` and not matched.
        CapabilityHeld => "capability_held",
        /// A technology of a need that could not be read, held in `held_technologies` and not matched.
        TechnologyHeld => "technology_held",
    }
}

/// A value of an open list (data standards, services, instruments) that is no known term: kept
/// as typed, and reported.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Warning {
    #[schema(example = "data_standards[2]")]
    pub field: String,
    pub code: WarningCode,
    pub message: String,
    #[schema(example = "PRIDE submission")]
    pub typed: String,
    /// Known terms close to it, best first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<Suggestion>,
}

/// The linker's best reading of one typed value.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// Position of the term in its vocabulary.
    pub term: usize,
    pub confidence: Confidence,
    /// Fit in [0, 1] (1 for exact).
    pub score: f64,
    /// Qualifiers split off the phrase, as typed.
    pub qualifiers: Vec<String>,
}

/// What linking one value found: the reading (if any) and the ranked alternatives.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Linked {
    pub best: Option<Link>,
    /// Term positions with their scores, best first (the reading's term first when there is one).
    pub ranked: Vec<(usize, f64)>,
}

/// Word lists the tokenizer applies (see `fixtures/vocabularies/lexicon.json`).
#[derive(Debug, Deserialize)]
struct LexiconFile {
    spelling: HashMap<String, String>,
    expand: HashMap<String, Vec<String>>,
    glued_suffixes: Vec<String>,
    glued_prefixes: Vec<String>,
    stopwords: Vec<String>,
    modifiers: HashMap<String, Vec<String>>,
    #[serde(default)]
    context: HashMap<String, Vec<String>>,
    #[serde(default)]
    compounds: HashMap<String, String>,
    #[serde(default)]
    hedges: HashMap<String, Vec<String>>,
    #[serde(default)]
    unknown_words_aside: Vec<String>,
    #[serde(default)]
    biomarkers: Vec<String>,
    #[serde(default)]
    numbers_informative: Vec<String>,
    #[serde(default)]
    contradicts: HashMap<String, Vec<String>>,
    #[serde(default)]
    vague: Vec<String>,
    #[serde(default)]
    low_depth: Option<LowDepth>,
    #[serde(default)]
    biomarkers_imply: Vec<String>,
}

/// Sequencing depth below `below` (`0.5x`) says the words of `means` (`low-pass`).
#[derive(Debug, Clone, Deserialize)]
struct LowDepth {
    below: f64,
    means: String,
}

/// The compiled-in lexicon.
#[derive(Debug)]
pub struct Lexicon {
    spelling: FxHashMap<String, String>,
    expand: FxHashMap<String, Vec<String>>,
    glued_suffixes: Vec<String>,
    glued_prefixes: Vec<String>,
    stopwords: FxHashSet<String>,
    /// Modifiers for every vocabulary (`*`) and for one vocabulary by its URL name: words that
    /// name a narrower assay (`germline`, `targeted`, `bulk`).
    modifiers: FxHashMap<String, FxHashSet<String>>,
    /// Words that say where or how, not what (`cancer`, `service`, `analysis`, `blocks`):
    /// optional like modifiers, but a name holding one is no narrower.
    context: FxHashMap<String, FxHashSet<String>>,
    /// Hyphenated compounds read as one word (`PCR-free`), lower-case.
    compounds: Vec<(String, String)>,
    /// Words that make a statement tentative ("in validation for ISO 15189", "planned"): a
    /// reading with one is never stored automatically.
    hedges: FxHashMap<String, FxHashSet<String>>,
    /// Vocabularies whose values are short lab words, where a word the vocabulary does not
    /// know is description ("FFPE blocks or 10 unstained slides"), not a different concept.
    unknown_words_aside: FxHashSet<String>,
    /// Gene and biomarker names: what is tested, never the technique or the sample.
    pub(crate) biomarkers: FxHashSet<String>,
    /// Vocabularies where a number names the term (ISO 15189); elsewhere numbers are aside.
    numbers_informative: FxHashSet<String>,
    /// A typed word rules out a term all of whose names hold one of these (`bulk`: `single`).
    contradicts: FxHashMap<String, Vec<String>>,
    /// A qualifier holding one of these ("Visium or similar") describes, never narrows.
    vague: FxHashSet<String>,
    /// A depth below this (`0.5x`) is read as these words, beside the value.
    low_depth: Option<(f64, String)>,
    /// A gene or biomarker named in the head says these words beside the value (a test for
    /// TP53 is a targeted one).
    biomarkers_imply: Vec<String>,
}

const LEXICON: &str = include_str!("../../../fixtures/vocabularies/lexicon.json");

impl Lexicon {
    /// The built-in lexicon, parsed once.
    pub fn builtin() -> Result<&'static Lexicon, String> {
        static L: OnceLock<Result<Lexicon, String>> = OnceLock::new();
        L.get_or_init(|| Lexicon::from_json(LEXICON)).as_ref().map_err(Clone::clone)
    }

    pub fn from_json(json: &str) -> Result<Lexicon, String> {
        let f: LexiconFile = serde_json::from_str(json).map_err(|e| format!("lexicon: {e}"))?;
        let lower = |s: &str| s.to_lowercase();
        Ok(Lexicon {
            spelling: f.spelling.iter().map(|(k, v)| (lower(k), lower(v))).collect(),
            expand: f.expand.iter().map(|(k, v)| (lower(k), v.iter().map(|w| lower(w)).collect())).collect(),
            glued_suffixes: f.glued_suffixes.iter().map(|s| lower(s)).collect(),
            glued_prefixes: f.glued_prefixes.iter().map(|s| lower(s)).collect(),
            stopwords: f.stopwords.iter().map(|s| lower(s)).collect(),
            modifiers: word_sets(&f.modifiers),
            context: word_sets(&f.context),
            compounds: f.compounds.iter().map(|(k, v)| (lower(k), lower(v))).collect(),
            hedges: word_sets(&f.hedges),
            unknown_words_aside: f.unknown_words_aside.into_iter().collect(),
            biomarkers: f.biomarkers.iter().flat_map(|w| raw_words(w)).collect(),
            numbers_informative: f.numbers_informative.into_iter().collect(),
            contradicts: f
                .contradicts
                .iter()
                .map(|(k, v)| (canonical_word(&lower(k)), v.iter().map(|w| canonical_word(&lower(w))).collect()))
                .collect(),
            vague: f.vague.iter().map(|w| canonical_word(&lower(w))).collect(),
            low_depth: f.low_depth.map(|d| (d.below, d.means)),
            biomarkers_imply: f.biomarkers_imply,
        })
    }

    fn is_hedge(&self, vocabulary: &str, word: &str) -> bool {
        ["*", vocabulary].iter().any(|k| self.hedges.get(*k).is_some_and(|m| m.contains(word)))
    }

    fn is_modifier(&self, vocabulary: &str, word: &str) -> bool {
        ["*", vocabulary].iter().any(|k| self.modifiers.get(*k).is_some_and(|m| m.contains(word)))
    }

    /// A modifier or a context word: counts only where a term's names hold it.
    fn is_optional(&self, vocabulary: &str, word: &str) -> bool {
        self.is_modifier(vocabulary, word) || ["*", vocabulary].iter().any(|k| self.context.get(*k).is_some_and(|m| m.contains(word)))
    }
}

/// Per-vocabulary word lists as sets of canonical (lower-cased, stemmed) words.
fn word_sets(lists: &HashMap<String, Vec<String>>) -> FxHashMap<String, FxHashSet<String>> {
    lists.iter().map(|(k, v)| (k.clone(), v.iter().map(|w| canonical_word(&w.to_lowercase())).collect())).collect()
}

/// `tumours` → `tumour`, `biopsies` → `biopsy`; words ending in -ss, -us, -is kept.
fn stem(w: &str) -> String {
    let n = w.len();
    // The -omics and -ics words are singular (`proteomics`); an adjective is their noun
    // (`lipidomic` is lipidomics), so a typo in either is one edit from the name.
    if w.ends_with("ics") {
        return w.to_owned();
    }
    if n > 5 && w.ends_with("omic") {
        return format!("{w}s");
    }
    if n > 4 && w.ends_with("ies") {
        return format!("{}y", &w[..n - 3]);
    }
    if n > 3 && w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") && w.is_ascii() {
        return w[..n - 1].to_owned();
    }
    w.to_owned()
}

/// A word as the modifier lists compare it (stemmed).
fn canonical_word(w: &str) -> String {
    stem(w)
}

/// Words of `s`: folded to ASCII, lower-cased, split at anything not a letter or digit.
fn raw_words(s: &str) -> Vec<String> {
    let ascii = deunicode::deunicode(s);
    ascii.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_ascii_lowercase).collect()
}

/// `30x`, `2.5x`: a sequencing depth, never what names a technique.
fn is_depth(w: &str) -> bool {
    w.len() >= 2 && w.ends_with('x') && w[..w.len() - 1].chars().all(|c| c.is_ascii_digit())
}

/// The sequencing depths typed in `text` (`30x`, `0.5x`, `90x/30x`), as numbers.
fn depths(text: &str) -> impl Iterator<Item = f64> + '_ {
    let b = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() {
            let start = i;
            if b[i].is_ascii_digit() && (start == 0 || !b[start - 1].is_ascii_alphanumeric() && b[start - 1] != b'.') {
                let mut j = i;
                while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
                    j += 1;
                }
                let ends = j + 1 >= b.len() || !b[j + 1].is_ascii_alphanumeric();
                i = j.max(i + 1);
                if j < b.len()
                    && (b[j] == b'x' || b[j] == b'X')
                    && ends
                    && let Ok(v) = text[start..j].parse::<f64>()
                {
                    return Some(v);
                }
            } else {
                i += 1;
            }
        }
        None
    })
}

/// `v2`, `v3.1`: a kit or software version.
fn is_version(w: &str) -> bool {
    w.len() >= 2 && w.starts_with('v') && w[1..].chars().all(|c| c.is_ascii_digit())
}

fn is_number(w: &str) -> bool {
    w.chars().all(|c| c.is_ascii_digit())
}

/// `13c`, `15n`, `1h`, `96`-well sizes like `384w`: a number with a one- or two-letter unit or
/// isotope, and the roman numerals of classes and stages (`i`, `ii`, `iv`). Set aside unless
/// the vocabulary uses the word.
fn is_unit_or_numeral(w: &str) -> bool {
    let digits = w.bytes().take_while(u8::is_ascii_digit).count();
    let unit = digits > 0 && (1..=2).contains(&(w.len() - digits)) && w[digits..].bytes().all(|b| b.is_ascii_lowercase());
    unit || matches!(w, "i" | "ii" | "iii" | "iv" | "vi")
}

/// Expands and canonicalises the raw words of one text.
struct Tokenizer<'a> {
    lex: &'a Lexicon,
    /// Raw words of the vocabulary's names: a glued form is split only where its parts are
    /// words the vocabulary uses (`rnaseq` → rna + seq, but `novaseq` stays an instrument).
    known: &'a FxHashSet<String>,
}

impl Tokenizer<'_> {
    fn tokens(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut text = deunicode::deunicode(text).to_ascii_lowercase();
        for (compound, word) in &self.lex.compounds {
            if text.contains(compound.as_str()) {
                text = text.replace(compound.as_str(), word);
            }
        }
        for w in raw_words(&text) {
            self.word(&w, 0, &mut out);
        }
        out
    }

    fn word(&self, w: &str, depth: u8, out: &mut Vec<String>) {
        let w = self.lex.spelling.get(w).map_or(w, String::as_str);
        if let Some(e) = self.lex.expand.get(w) {
            for x in e {
                let x = stem(x);
                out.push(self.lex.spelling.get(&x).cloned().unwrap_or(x));
            }
            return;
        }
        if depth < 2 {
            for suffix in &self.lex.glued_suffixes {
                if let Some(prefix) = w.strip_suffix(suffix.as_str())
                    && prefix.len() >= 2
                    && (self.known.contains(prefix) || self.lex.expand.contains_key(prefix))
                {
                    self.word(prefix, depth + 1, out);
                    self.word(suffix, depth + 1, out);
                    return;
                }
            }
            for prefix in &self.lex.glued_prefixes {
                if let Some(rest) = w.strip_prefix(prefix.as_str())
                    && rest.len() >= 3
                    && !self.known.contains(w)
                    && (self.known.contains(rest) || self.lex.expand.contains_key(rest))
                {
                    self.word(prefix, depth + 1, out);
                    self.word(rest, depth + 1, out);
                    return;
                }
            }
        }
        let s = stem(w);
        out.push(self.lex.spelling.get(&s).cloned().unwrap_or(s));
    }
}

/// Split parenthetical and trailing qualifiers off a phrase: the head, then the qualifiers as
/// typed (trimmed).
pub fn split_qualifiers(input: &str) -> (String, Vec<String>) {
    let mut head = String::new();
    let mut qualifiers = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    let chars: Vec<char> = input.chars().collect();
    let mut inline = 0usize;
    for (i, &c) in chars.iter().enumerate() {
        // A parenthesis inside a word (`V(D)J`) is part of the word, not a qualifier.
        if depth == 0 && c == '(' && i > 0 && chars[i - 1].is_alphanumeric() {
            let close = chars[i + 1..].iter().position(|&x| x == ')').map(|k| i + 1 + k);
            if let Some(k) = close
                && k - i <= 3
                && chars.get(k + 1).is_some_and(|x| x.is_alphanumeric())
            {
                inline = k;
            }
        }
        if i <= inline && inline > 0 {
            head.push(c);
            continue;
        }
        match c {
            '(' | '[' | '{' => {
                if depth > 0 {
                    current.push(c);
                }
                depth += 1;
            }
            ')' | ']' | '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    qualifiers.push(std::mem::take(&mut current));
                } else {
                    current.push(c);
                }
            }
            _ if depth > 0 => current.push(c),
            _ => head.push(c),
        }
    }
    if depth > 0 {
        qualifiers.push(current);
    }
    // Trailing qualifiers: after the first separator of the head.
    // ASCII lower-casing keeps every byte where it was (the separators are ASCII).
    let lower = head.to_ascii_lowercase();
    const SEPARATORS: [&str; 26] = [
        // A matched or paired second sample ("FFPE blocks + matched EDTA blood"): the first
        // names the value, the second is kept beside it.
        " + matched ",
        " and matched ",
        " & matched ",
        " with matched ",
        " + paired ",
        " and paired ",
        " & paired ",
        " with paired ",
        " - ",
        " – ",
        " — ",
        ",",
        ";",
        ":",
        " | ",
        " with ",
        " using ",
        " on ",
        " via ",
        " by ",
        " for ",
        " incl",
        " including ",
        " at ",
        " from ",
        " of ",
    ];
    let cut = SEPARATORS.iter().filter_map(|s| lower.find(s).map(|i| (i, s.len()))).filter(|(i, _)| *i > 0).min();
    let head = match cut {
        Some((i, n)) if head.is_char_boundary(i) && head.is_char_boundary(i + n) => {
            let (h, rest) = head.split_at(i);
            qualifiers.insert(0, rest[n..].to_owned());
            h.to_owned()
        }
        _ => head,
    };
    let qualifiers = qualifiers
        .into_iter()
        .map(|q| q.trim().trim_matches(|c: char| c == '-' || c == ',').trim().to_owned())
        .filter(|q| !q.is_empty())
        .collect();
    (head.trim().to_owned(), qualifiers)
}

/// Technique families that an instrument, kit, vendor or software word is evidence for.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// Canonical token → technology ids (families) it points to.
    by_token: FxHashMap<String, Vec<String>>,
    /// Tokens of analysis software (`description: software`): evidence of an analysis.
    software: FxHashSet<String>,
}

impl Evidence {
    /// From the instruments vocabulary: each term's names (id, label, synonyms), tokenized, point to its
    /// `technologies`. Tokens shared by many instrument terms (`system`, `analyzer`) point
    /// nowhere.
    pub fn from_instruments(instruments: &crate::vocab::Vocabulary, lex: &Lexicon) -> Evidence {
        let known = FxHashSet::default();
        let tk = Tokenizer { lex, known: &known };
        let mut df: FxHashMap<String, usize> = FxHashMap::default();
        let mut per: Vec<(Vec<String>, &[String], bool)> = Vec::new();
        for t in instruments.terms() {
            let mut toks: Vec<String> = t.synonyms.iter().chain([&t.label, &t.id]).flat_map(|n| tk.tokens(n)).collect();
            toks.sort();
            toks.dedup();
            toks.retain(|w| !lex.stopwords.contains(w) && !is_number(w) && w.len() >= 2);
            for w in &toks {
                *df.entry(w.clone()).or_default() += 1;
            }
            per.push((toks, t.technologies.as_slice(), t.description.as_deref() == Some("software")));
        }
        let mut by_token: FxHashMap<String, Vec<String>> = FxHashMap::default();
        let mut software = FxHashSet::default();
        for (toks, techs, is_software) in per {
            for w in toks {
                if df.get(&w).copied().unwrap_or(0) <= 3 {
                    if is_software {
                        software.insert(w.clone());
                    }
                    let e = by_token.entry(w).or_default();
                    e.extend(techs.iter().cloned());
                    e.sort();
                    e.dedup();
                }
            }
        }
        Evidence { by_token, software }
    }
}

/// A vocabulary's linking index (built when the vocabulary is loaded).
#[derive(Debug, Clone, Default)]
pub struct TermIndex {
    vocabulary: String,
    token_id: FxHashMap<String, u32>,
    tokens: Vec<String>,
    idf: Vec<f64>,
    /// Token names a narrower assay (a modifier) and is rare enough here to tell terms apart.
    modifier: Vec<bool>,
    /// Token is optional: a modifier or a context word.
    optional: Vec<bool>,
    /// Token is a context word only (optional, but a name holding it is no narrower).
    context_only: Vec<bool>,
    /// Term positions containing each token.
    postings: Vec<Vec<u32>>,
    /// Each name: its term and its tokens.
    names: Vec<(u32, Vec<u32>)>,
    /// Names of each term.
    term_names: Vec<Vec<u32>>,
    /// Tokens of each term (all names), sorted.
    term_tokens: Vec<Vec<u32>>,
    /// Canonical token sequence of a name, space-joined → term (exact after normalisation).
    canon: FxHashMap<String, u32>,
    /// Deletion variants (one, or two for words of seven letters or more) → tokens.
    deletes: FxHashMap<String, Vec<u32>>,
    /// A token minus its last letter → token (for four- and five-letter words).
    truncated: FxHashMap<String, u32>,
    known: FxHashSet<String>,
    unknown_weight: f64,
    /// Technology positions an instrument token points to (technologies only).
    evidence: FxHashMap<String, Vec<u32>>,
    /// Of those words, the ones naming analysis software.
    software: FxHashSet<String>,
    /// Words that are never what a value names here (diseases and organs for technologies and
    /// sample types, gene names): set aside like instruments, without evidence.
    asides: FxHashSet<String>,
    /// Words this vocabulary does not know are set aside (see [`Lexicon`]).
    unknown_aside: bool,
    /// Numbers may name a term here (otherwise they are set aside).
    numbers: bool,
}

/// How the parts of a value joined by conjunctions read.
enum Parts {
    /// Not several parts, or a part that did not read with confidence.
    Unread,
    /// The parts agree on this term.
    One(usize),
    /// The parts name these different terms.
    Several(Vec<usize>),
}

/// `a + b`, `a and b`, `a / b` → the parts, trimmed (only spaced slashes split: `TCR/BCR`
/// and `LC-MS/MS` are one name).
fn split_conjunctions(head: &str) -> Vec<String> {
    // ASCII lower-casing keeps every byte where it was, so positions found in `lower` cut
    // the head as typed.
    let lower = head.to_ascii_lowercase();
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    for sep in [" + ", " & ", " and ", " or ", " plus ", " / ", " as well as ", "+"] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(sep) {
            let at = from + i;
            if !cuts.iter().any(|&(a, n)| at < a + n && a < at + sep.len()) {
                cuts.push((at, sep.len()));
            }
            from = at + sep.len();
        }
    }
    cuts.sort_unstable();
    let mut parts = Vec::new();
    let mut start = 0;
    for (at, n) in cuts {
        if head.is_char_boundary(at) && head.is_char_boundary(at + n) && at >= start {
            parts.push(head[start..at].trim().to_owned());
            start = at + n;
        }
    }
    parts.push(head[start..].trim().to_owned());
    parts.retain(|p| !p.is_empty());
    parts
}

/// What one reading pass found.
struct Pass {
    best: Option<Link>,
    ranked: Vec<(usize, f64)>,
    /// No term holds any informative word of the head.
    fits_nothing_in_head: bool,
}

impl Pass {
    /// `t` read with high confidence by a rule beside the word fit (a named qualifier, a vague
    /// qualifier's family, agreeing parts), ahead of the alternatives already ranked.
    fn promoted(t: usize, ranked: &[(usize, f64)]) -> Pass {
        let ranked = std::iter::once((t, 0.9)).chain(ranked.iter().copied().filter(|(x, _)| *x != t)).collect();
        Pass {
            best: Some(Link { term: t, confidence: Confidence::High, score: 0.9, qualifiers: Vec::new() }),
            ranked,
            fits_nothing_in_head: false,
        }
    }

    /// Ranked alternatives with the reading first.
    fn into_linked(mut self) -> Linked {
        self.ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        if let Some(b) = &self.best
            && let Some(i) = self.ranked.iter().position(|(t, _)| *t == b.term)
        {
            let r = self.ranked.remove(i);
            self.ranked.insert(0, r);
        }
        Linked { best: self.best, ranked: self.ranked }
    }
}

/// A typed token with its role.
#[derive(Debug, Clone)]
struct Tok {
    /// The vocabulary token it is (after typo correction), if any.
    id: Option<u32>,
    role: Role,
    typo: bool,
    head: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Informative,
    Modifier,
    Aside,
}

/// How one term fits the typed tokens.
#[derive(Debug, Clone, Copy)]
struct Fit {
    term: u32,
    coverage: f64,
    /// Typed modifiers the term's names hold (weighted): a modifier decides where the
    /// vocabulary has the narrower term.
    honoured: f64,
    /// Over the names that hold no modifier the phrase left out: a name saying `targeted` or
    /// `germline` is a narrower assay than a phrase that does not say so.
    clean: f64,
    completeness: f64,
    qualifier: f64,
    evidence: bool,
    typos: usize,
}

impl Fit {
    fn score(&self) -> f64 {
        (self.coverage * (0.5 + 0.5 * self.clean.max(0.8 * self.completeness))).clamp(0.0, 1.0)
    }
}

fn deletions(w: &str, max: usize, out: &mut Vec<String>) {
    let chars: Vec<char> = w.chars().collect();
    let mut frontier = vec![chars];
    for _ in 0..max {
        let mut next = Vec::new();
        for c in &frontier {
            for i in 0..c.len() {
                let mut d = c.clone();
                d.remove(i);
                next.push(d);
            }
        }
        next.sort();
        next.dedup();
        out.extend(next.iter().map(|c| c.iter().collect::<String>()));
        frontier = next;
    }
}

impl TermIndex {
    /// The index of a vocabulary's terms: `names[i]` are the id, label and synonyms of term `i`.
    pub fn build(vocabulary: &str, names: &[Vec<&str>], parents: &[Option<usize>], lex: &Lexicon) -> TermIndex {
        let mut known: FxHashSet<String> = FxHashSet::default();
        for ns in names {
            for n in ns {
                known.extend(raw_words(n));
            }
        }
        let tk = Tokenizer { lex, known: &known };
        let mut ix = TermIndex { vocabulary: vocabulary.to_owned(), ..TermIndex::default() };
        let mut term_token_sets: Vec<FxHashSet<u32>> = vec![FxHashSet::default(); names.len()];
        for (t, ns) in names.iter().enumerate() {
            let mut seen_names: HashSet<Vec<u32>> = HashSet::new();
            for n in ns {
                let toks: Vec<String> = tk.tokens(n).into_iter().filter(|w| !lex.stopwords.contains(w)).collect();
                if toks.is_empty() {
                    continue;
                }
                ix.canon.entry(toks.join(" ")).or_insert(t as u32);
                let ids: Vec<u32> = toks.iter().map(|w| ix.intern(w)).collect();
                let mut uniq = ids.clone();
                uniq.sort_unstable();
                uniq.dedup();
                if seen_names.insert(uniq.clone()) {
                    ix.term_names.resize(names.len(), Vec::new());
                    ix.term_names[t].push(ix.names.len() as u32);
                    ix.names.push((t as u32, uniq.clone()));
                }
                term_token_sets[t].extend(uniq);
            }
        }
        ix.term_names.resize(names.len(), Vec::new());
        ix.postings = vec![Vec::new(); ix.tokens.len()];
        for (t, set) in term_token_sets.iter().enumerate() {
            let mut v: Vec<u32> = set.iter().copied().collect();
            v.sort_unstable();
            for &tok in &v {
                ix.postings[tok as usize].push(t as u32);
            }
            // A term is a kind of each of its ancestors: their words describe it too ("fresh
            // frozen biopsy" is fresh frozen tissue, a tissue). For coverage only.
            let mut cur = parents.get(t).copied().flatten();
            let mut steps = 0;
            while let Some(p) = cur {
                if steps > 64 {
                    break;
                }
                v.extend(term_token_sets.get(p).into_iter().flatten().copied());
                cur = parents.get(p).copied().flatten();
                steps += 1;
            }
            v.sort_unstable();
            v.dedup();
            ix.term_tokens.push(v);
        }
        let n = names.len().max(1) as f64;
        ix.idf = ix.postings.iter().map(|p| (1.0 + n / p.len().max(1) as f64).ln()).collect();
        ix.unknown_weight = (1.0 + 2.0 * n).ln();
        let total = names.len().max(1) as f64;
        ix.modifier =
            ix.tokens.iter().zip(&ix.postings).map(|(w, p)| lex.is_modifier(vocabulary, w) && (p.len() as f64) / total <= 0.2).collect();
        ix.optional = ix.tokens.iter().map(|w| lex.is_optional(vocabulary, w)).collect();
        ix.context_only = ix.tokens.iter().map(|w| lex.is_optional(vocabulary, w) && !lex.is_modifier(vocabulary, w)).collect();
        for (i, w) in ix.tokens.iter().enumerate() {
            let len = w.chars().count();
            if len >= 4 && !is_number(w) {
                let mut dels = Vec::new();
                deletions(w, if len >= 7 { 2 } else { 1 }, &mut dels);
                for d in dels {
                    ix.deletes.entry(d).or_default().push(i as u32);
                }
                ix.deletes.entry(w.clone()).or_default().push(i as u32);
            }
            if (4..=5).contains(&len) && w.is_ascii() {
                ix.truncated.entry(w[..len - 1].to_owned()).or_insert(i as u32);
            }
        }
        for v in ix.deletes.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        ix.known = known;
        ix.unknown_aside = lex.unknown_words_aside.contains(vocabulary);
        ix.numbers = lex.numbers_informative.contains(vocabulary);
        ix.asides = lex.biomarkers.iter().filter(|w| !ix.token_id.contains_key(*w)).cloned().collect();
        ix
    }

    /// Words to set aside beside the gene names (e.g. the words of cancer types and organs),
    /// those this vocabulary uses excepted.
    pub fn add_asides<'a>(&mut self, words: impl IntoIterator<Item = &'a str>) {
        let own = &self.token_id;
        let add: Vec<String> = words.into_iter().filter(|w| !own.contains_key(*w) && w.len() >= 3).map(str::to_owned).collect();
        self.asides.extend(add);
    }

    /// Canonical tokens of every name (for another vocabulary's [`TermIndex::add_asides`]).
    pub fn tokens(&self) -> impl Iterator<Item = &str> {
        self.tokens.iter().map(String::as_str)
    }

    /// Add what instrument words are evidence for (technologies only), as term positions.
    pub fn set_evidence(&mut self, evidence: &Evidence, position: impl Fn(&str) -> Option<usize>) {
        self.evidence = evidence
            .by_token
            .iter()
            .filter(|(w, _)| !self.token_id.contains_key(*w))
            .map(|(w, techs)| (w.clone(), techs.iter().filter_map(|t| position(t)).map(|p| p as u32).collect()))
            .collect();
        self.software = evidence.software.iter().filter(|w| self.evidence.contains_key(*w)).cloned().collect();
    }

    fn intern(&mut self, w: &str) -> u32 {
        if let Some(&i) = self.token_id.get(w) {
            return i;
        }
        let i = self.tokens.len() as u32;
        self.tokens.push(w.to_owned());
        self.token_id.insert(w.to_owned(), i);
        i
    }

    fn tokenizer<'a>(&'a self, lex: &'a Lexicon) -> Tokenizer<'a> {
        Tokenizer { lex, known: &self.known }
    }

    /// The term whose name, normalised to canonical tokens, equals the whole of `input`.
    pub fn canonical(&self, input: &str, lex: &Lexicon) -> Option<usize> {
        let toks: Vec<String> = self.tokenizer(lex).tokens(input).into_iter().filter(|w| !lex.stopwords.contains(w)).collect();
        self.canon.get(&toks.join(" ")).map(|&t| t as usize)
    }

    /// The vocabulary token a typed word stands for, and whether that took a typo correction.
    fn correct(&self, w: &str) -> Option<(u32, bool)> {
        if let Some(&i) = self.token_id.get(w) {
            return Some((i, false));
        }
        let len = w.chars().count();
        if is_number(w) {
            return None;
        }
        if (3..=4).contains(&len)
            && let Some(&i) = self.truncated.get(w)
        {
            return Some((i, true));
        }
        if len < 5 {
            return None;
        }
        let k = if len >= 9 { 2 } else { 1 };
        let mut best: Option<(usize, usize, u32)> = None;
        let mut seen: Vec<u32> = Vec::new();
        let mut consider = |v: &str| {
            for &i in self.deletes.get(v).map_or(&[][..], Vec::as_slice) {
                if seen.contains(&i) {
                    continue;
                }
                seen.push(i);
                let d = strsim::osa_distance(w, &self.tokens[i as usize]);
                if d == 0 || d > k {
                    continue;
                }
                // Nearest first; among equals, the word more terms use.
                let key = (d, usize::MAX - self.postings[i as usize].len(), i);
                if best.is_none_or(|b| key < b) {
                    best = Some(key);
                }
            }
        };
        consider(w);
        if w.is_ascii() {
            // The word with one, then two, letters deleted, built in one buffer (the typed words
            // are ASCII after folding; a repeated variant is looked up again, which is cheaper
            // than collecting and sorting them).
            let b = w.as_bytes();
            let mut buf = String::with_capacity(b.len());
            for i in 0..b.len() {
                if i > 0 && b[i] == b[i - 1] {
                    continue;
                }
                buf.clear();
                buf.push_str(&w[..i]);
                buf.push_str(&w[i + 1..]);
                consider(&buf);
                if k == 2 {
                    let one = buf.clone();
                    let ob = one.as_bytes();
                    for j in i..ob.len() {
                        if j > i && ob[j] == ob[j - 1] {
                            continue;
                        }
                        buf.clear();
                        buf.push_str(&one[..j]);
                        buf.push_str(&one[j + 1..]);
                        consider(&buf);
                    }
                }
            }
        } else {
            let mut variants = Vec::new();
            deletions(w, k, &mut variants);
            for v in &variants {
                consider(v);
            }
        }
        best.map(|(_, _, i)| (i, true))
    }

    fn classify(&self, words: Vec<String>, head: bool, lex: &Lexicon, evidence: &mut Vec<u32>, out: &mut Vec<Tok>) {
        for w in words {
            if lex.stopwords.contains(&w) {
                continue;
            }
            if let Some(e) = self.evidence.get(&w) {
                evidence.extend(e);
                out.push(Tok { id: None, role: Role::Aside, typo: false, head });
                continue;
            }
            if self.asides.contains(&w) {
                out.push(Tok { id: None, role: Role::Aside, typo: false, head });
                continue;
            }
            let found = self.correct(&w);
            let number = is_number(&w) && (found.is_none() || !self.numbers);
            let unit = is_unit_or_numeral(&w) && !self.token_id.contains_key(&w);
            let role = if is_depth(&w) || is_version(&w) || w.len() == 1 || number || unit || (self.unknown_aside && found.is_none()) {
                Role::Aside
            } else if lex.is_optional(&self.vocabulary, &w) || found.is_some_and(|(i, _)| self.optional[i as usize]) {
                Role::Modifier
            } else {
                Role::Informative
            };
            let (id, typo) = match found {
                Some((i, t)) => (Some(i), t),
                None => (None, false),
            };
            out.push(Tok { id, role, typo, head });
        }
    }

    /// A head made only of optional words keeps this vocabulary's own modifiers as its
    /// informative words: `snap-frozen tumour` is fresh frozen tissue, while `snap-frozen
    /// PDX tumour` stays patient-derived xenografts (a modifier counts only where the term
    /// has it). Modifiers of every vocabulary (`targeted`, `high-throughput`) alone still
    /// name nothing.
    fn own_modifiers_name_the_phrase(&self, lex: &Lexicon, toks: &mut [Tok]) {
        if toks.iter().any(|t| t.head && t.role == Role::Informative) {
            return;
        }
        let own = lex.modifiers.get(&self.vocabulary);
        for t in toks.iter_mut().filter(|t| t.head && t.role == Role::Modifier) {
            if let (Some(own), Some(i)) = (own, t.id)
                && own.contains(&self.tokens[i as usize])
            {
                t.role = Role::Informative;
            }
        }
    }

    fn weight(&self, tok: &Tok) -> f64 {
        tok.id.map_or(self.unknown_weight, |i| self.idf[i as usize])
    }

    /// Link one typed value. `related(a, b)`: whether two term positions are in one line of the
    /// hierarchy (one an ancestor of the other), which makes two equal fits no ambiguity.
    /// Link one typed value. `ancestor(a, b)`: whether term `a` is an ancestor of term `b` in
    /// the hierarchy (two equal fits in one line of it are no ambiguity; qualifiers may narrow
    /// a head that reads exactly to a descendant, never move it elsewhere).
    pub fn link(&self, input: &str, lex: &Lexicon, ancestor: impl Fn(usize, usize) -> bool, exact: Option<usize>) -> Linked {
        self.link_with(input, lex, &ancestor, exact, true)
    }

    /// [`TermIndex::link`]; `conjunctions`: whether a value joining several phrases may be
    /// read part by part (not again within a part).
    fn link_with(
        &self,
        input: &str,
        lex: &Lexicon,
        ancestor: &dyn Fn(usize, usize) -> bool,
        exact: Option<usize>,
        conjunctions: bool,
    ) -> Linked {
        let related = |a: usize, b: usize| ancestor(a, b) || ancestor(b, a);
        if let Some(t) = exact.or_else(|| self.canonical(input, lex)) {
            return Linked {
                best: Some(Link { term: t, confidence: Confidence::Exact, score: 1.0, qualifiers: Vec::new() }),
                ranked: vec![(t, 1.0)],
            };
        }
        let (head, qualifiers) = split_qualifiers(input);
        let split = self.pass(input, &head, &qualifiers, lex, &related, &ancestor);
        // A head that says nothing the vocabulary knows ("PCA accreditation, PN-EN ISO 15189"):
        // the whole phrase is read instead.
        let whole_is_better =
            !qualifiers.is_empty() && split.best.as_ref().is_none_or(|b| b.confidence != Confidence::High) && split.fits_nothing_in_head;
        let mut out = if whole_is_better {
            let whole = self.pass(input, input, &[], lex, &related, &ancestor);
            if whole.best.is_some() { whole } else { split }
        } else {
            split
        };
        // The head names the purpose in generic words and the parenthesis the assay ("EGFR
        // mutation testing (qPCR)", "CNV-seq (shallow WGS)"): a qualifier that is a name of a
        // term reads as that term when no word of the head contradicts it.
        if out.best.as_ref().is_none_or(|b| !b.confidence.automatic()) {
            let named: Vec<usize> = qualifiers.iter().filter_map(|q| self.canonical(q, lex)).collect();
            if let [q] = named.as_slice()
                && self.head_agrees(&head, *q, lex)
            {
                out = Pass::promoted(*q, &out.ranked);
            }
        }
        // "spatial (Visium or similar)": a term named with "or similar" stands for its family,
        // the term's parent, when the head agrees with it.
        if out.best.as_ref().is_none_or(|b| !b.confidence.automatic())
            && let Some(p) = self.family_of_vague(&qualifiers, lex, ancestor)
            && self.head_agrees(&head, p, lex)
        {
            out = Pass::promoted(p, &out.ranked);
        }
        // Several techniques typed in one value ("SV calling and phasing", "ONT ultra-long
        // reads + adaptive sampling"): each part is read alone.
        if conjunctions && out.best.as_ref().is_none_or(|b| !b.confidence.automatic()) {
            match self.parts_reading(&head, lex, ancestor) {
                Parts::One(t) => out = Pass::promoted(t, &out.ranked),
                Parts::Several(terms) => {
                    // Two techniques where a value holds one: offered as suggestions, each.
                    let mut ranked: Vec<(usize, f64)> = terms.iter().map(|&t| (t, 0.8)).collect();
                    ranked.extend(out.ranked.iter().copied().filter(|(x, _)| !terms.contains(x)));
                    out.ranked = ranked;
                }
                Parts::Unread => {}
            }
        }
        if let Some(b) = &mut out.best {
            b.qualifiers = qualifiers;
        }
        out.into_linked()
    }

    /// The parent of the one term a vague qualifier names ("Visium or similar", "Xenium-like").
    fn family_of_vague(&self, qualifiers: &[String], lex: &Lexicon, ancestor: &dyn Fn(usize, usize) -> bool) -> Option<usize> {
        let mut named = Vec::new();
        for q in qualifiers {
            let words = self.tokenizer(lex).tokens(q);
            if !words.iter().any(|w| lex.vague.contains(w)) {
                continue;
            }
            let rest: Vec<&str> = words
                .iter()
                .map(String::as_str)
                .filter(|w| !lex.vague.contains(*w) && !lex.stopwords.contains(*w) && *w != "like")
                .collect();
            if let Some(&t) = self.canon.get(&rest.join(" ")) {
                named.push(t as usize);
            }
        }
        let [t] = named.as_slice() else { return None };
        let ancestors: Vec<usize> = (0..self.term_names.len()).filter(|&a| a != *t && ancestor(a, *t)).collect();
        ancestors.iter().copied().find(|&p| !ancestors.iter().any(|&q| q != p && ancestor(p, q)))
    }

    /// Read a head that joins several phrases with `+`, `&`, `and`, `or`, `plus` or a spaced
    /// slash, part by part. Parts that hold no informative word are set aside; every other
    /// part must read with confidence. When
    /// those readings lie on one line of the hierarchy the most specific is the reading;
    /// otherwise the value names several terms.
    fn parts_reading(&self, head: &str, lex: &Lexicon, ancestor: &dyn Fn(usize, usize) -> bool) -> Parts {
        let parts = split_conjunctions(head);
        if parts.len() < 2 {
            return Parts::Unread;
        }
        let tk = self.tokenizer(lex);
        let mut read: Vec<usize> = Vec::new();
        for p in &parts {
            let mut toks = Vec::new();
            let mut evidence = Vec::new();
            self.classify(tk.tokens(p), true, lex, &mut evidence, &mut toks);
            // A part naming nothing the vocabulary knows ("+ NovaSeq", "and more", "/ pseudobulk",
            // "and phasing") is set aside: the value keeps it as typed, and the reading claims
            // less, never another term. A part with a known word that does not read with
            // confidence ("+ protein") leaves the whole value unread.
            if !toks.iter().any(|t| t.role == Role::Informative && t.id.is_some()) {
                continue;
            }
            match self.link_with(p, lex, ancestor, None, false).best {
                Some(b) if b.confidence.automatic() => read.push(b.term),
                _ => return Parts::Unread,
            }
        }
        read.sort_unstable();
        read.dedup();
        match read.as_slice() {
            [] => Parts::Unread,
            [t] => Parts::One(*t),
            _ => match read.iter().find(|&&t| read.iter().all(|&o| o == t || ancestor(o, t))) {
                Some(&t) => Parts::One(t),
                None => Parts::Several(read),
            },
        }
    }

    /// Whether every informative word of `head` is a word of `term` (or of its ancestors) or
    /// a generic word of the vocabulary (in three terms or more), and no word is unknown.
    fn head_agrees(&self, head: &str, term: usize, lex: &Lexicon) -> bool {
        let words = self.tokenizer(lex).tokens(head);
        if words.iter().any(|w| lex.is_hedge(&self.vocabulary, w)) {
            return false;
        }
        let mut toks = Vec::new();
        let mut evidence = Vec::new();
        self.classify(words, true, lex, &mut evidence, &mut toks);
        let have = &self.term_tokens[term];
        toks.iter().filter(|t| t.role == Role::Informative).all(|t| match t.id {
            Some(i) => have.binary_search(&i).is_ok() || self.postings[i as usize].len() >= 3,
            None => false,
        })
    }

    /// One reading of `head` with `qualifiers` beside it.
    fn pass(
        &self,
        input: &str,
        head: &str,
        qualifiers: &[String],
        lex: &Lexicon,
        related: &impl Fn(usize, usize) -> bool,
        ancestor: &impl Fn(usize, usize) -> bool,
    ) -> Pass {
        let tk = self.tokenizer(lex);
        let mut toks = Vec::new();
        let mut evidence = Vec::new();
        let head_words = if head.is_empty() { tk.tokens(input) } else { tk.tokens(head) };
        // "Sanger-like": something like the term, not the term.
        let like = |t: &str| {
            let t = t.to_lowercase();
            t.match_indices("-like").any(|(i, m)| !t[i + m.len()..].starts_with(|c: char| c.is_alphanumeric()))
        };
        let hedged = head_words.iter().any(|w| lex.is_hedge(&self.vocabulary, w)) || like(if head.is_empty() { input } else { head });
        let mut ruled_out: Vec<u32> = Vec::new();
        let mut typed_words: Vec<String> = head_words.clone();
        let names_a_biomarker = head_words.iter().any(|w| lex.biomarkers.contains(w));
        self.classify(head_words, true, lex, &mut evidence, &mut toks);
        self.own_modifiers_name_the_phrase(lex, &mut toks);
        // What a depth or a gene name says: beside the value, where a term's names hold it.
        if let Some((below, means)) = &lex.low_depth
            && std::iter::once(if head.is_empty() { input } else { head })
                .chain(qualifiers.iter().map(String::as_str))
                .any(|t| depths(t).any(|d| d < *below))
        {
            self.classify(tk.tokens(means), false, lex, &mut evidence, &mut toks);
        }
        if names_a_biomarker {
            for w in &lex.biomarkers_imply {
                self.classify(tk.tokens(w), false, lex, &mut evidence, &mut toks);
            }
        }
        for q in qualifiers {
            let words = tk.tokens(q);
            if words.iter().any(|w| lex.vague.contains(w)) {
                continue;
            }
            typed_words.extend(words.iter().cloned());
            self.classify(words, false, lex, &mut evidence, &mut toks);
        }
        for w in &typed_words {
            for b in lex.contradicts.get(w).into_iter().flatten() {
                if let Some(&b) = self.token_id.get(b) {
                    ruled_out.push(b);
                }
            }
        }
        evidence.sort_unstable();
        evidence.dedup();

        let typed: FxHashSet<u32> = toks.iter().filter_map(|t| t.id).collect();
        let mut candidates: Vec<u32> = toks
            .iter()
            .filter(|t| t.head || t.role != Role::Aside)
            .filter_map(|t| t.id)
            .flat_map(|i| self.postings[i as usize].iter().copied())
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        // "bulk" rules out a term every name of which says "single cell".
        candidates.retain(|&t| {
            // Ruled out where the term's id (its first name) or every name holds the word.
            let names = &self.term_names[t as usize];
            !ruled_out.iter().any(|b| {
                names.first().is_some_and(|&n| self.names[n as usize].1.contains(b))
                    || names.iter().all(|&n| self.names[n as usize].1.contains(b))
            })
        });
        let mut fits: Vec<Fit> = candidates.iter().filter_map(|&t| self.fit(t, &toks, &typed, &evidence)).collect();
        let head_exact = self.canonical(head, lex).filter(|_| !qualifiers.is_empty());
        fits.sort_by(|a, b| {
            b.coverage
                .total_cmp(&a.coverage)
                .then(b.honoured.total_cmp(&a.honoured))
                .then(b.clean.total_cmp(&a.clean))
                .then(b.completeness.total_cmp(&a.completeness))
                .then(b.qualifier.total_cmp(&a.qualifier))
                .then(b.evidence.cmp(&a.evidence))
                .then((Some(b.term as usize) == head_exact).cmp(&(Some(a.term as usize) == head_exact)))
                .then(a.term.cmp(&b.term))
        });
        // Two terms of one line that fit equally well: the narrower one, whose names say no
        // more than was typed ("TCR repertoire sequencing" is TCR, not immune repertoire
        // sequencing).
        if let [a, b, ..] = fits.as_slice()
            && a.coverage == b.coverage
            && a.honoured == b.honoured
            && a.clean == b.clean
            && b.clean >= 1.0 - 1e-9
            && ancestor(a.term as usize, b.term as usize)
        {
            fits.swap(0, 1);
        }
        let mut ranked: Vec<(usize, f64)> = fits.iter().map(|f| (f.term as usize, f.score())).collect();
        if ranked.is_empty() {
            // Nothing informative read: suggest the terms holding most of what was typed
            // ("mass spec"), then what instruments are evidence for ("NovaSeq 6000").
            let weights: Vec<(u32, f64)> = toks.iter().filter_map(|t| t.id.map(|i| (i, self.idf[i as usize]))).collect();
            let all: f64 = weights.iter().map(|(_, w)| w).sum();
            if all > 0.0 {
                ranked = candidates
                    .iter()
                    .map(|&term| {
                        let have = &self.term_tokens[term as usize];
                        let got: f64 = weights.iter().filter(|(i, _)| have.binary_search(i).is_ok()).map(|(_, w)| w).sum();
                        (term as usize, 0.5 * got / all)
                    })
                    .collect();
                ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                ranked.truncate(10);
            }
            ranked.extend(evidence.iter().map(|&t| (t as usize, 0.2)));
        }
        let fits_nothing_in_head = fits.iter().all(|f| f.coverage <= 0.0);
        // The head is a name of a term: qualifiers may narrow it to a descendant they describe
        // better ("RNA-seq (poly-A)" is mRNA sequencing), never move it to another line.
        if let Some(t) = head_exact {
            let t = t as u32;
            fits.retain(|f| f.term == t || ancestor(t as usize, f.term as usize));
            let head_fit = fits.iter().find(|f| f.term == t).copied();
            let narrower = fits.iter().find(|f| f.term != t).copied();
            // Instruments in the qualifiers point to one narrower family of the head's term
            // ("proteomics (Orbitrap Astral)" is mass spectrometry-based proteomics).
            let by_evidence: Vec<u32> = evidence.iter().copied().filter(|&e| e != t && ancestor(t as usize, e as usize)).collect();
            if narrower.is_none_or(|n| n.qualifier <= head_fit.map_or(0.0, |h| h.qualifier) + 1e-9)
                && let [e] = by_evidence.as_slice()
            {
                let confidence = if hedged { Confidence::Medium } else { Confidence::High };
                return Pass {
                    best: Some(Link { term: *e as usize, confidence, score: 0.9, qualifiers: Vec::new() }),
                    ranked,
                    fits_nothing_in_head,
                };
            }
            let pick = match (head_fit, narrower) {
                (Some(h), Some(n)) => {
                    // No other narrower term that the qualifiers describe as well ("peripheral
                    // blood (EDTA)": EDTA blood, not EDTA plasma, which leaves plasma untyped).
                    let unique = !fits.iter().any(|f| {
                        f.term != n.term
                            && f.term != t
                            && !related(n.term as usize, f.term as usize)
                            && f.qualifier >= n.qualifier - 1e-9
                            && f.clean >= n.clean - 1e-9
                    });
                    // Its names typed whole, or at least half of one with a rare word of the
                    // qualifiers ("Targeted RNA-seq for fusions" is an RNA fusion panel;
                    // "30M reads" says nothing of long reads).
                    let have = &self.term_tokens[n.term as usize];
                    let rare_word = toks.iter().any(|x| {
                        !x.head
                            && x.role == Role::Informative
                            && x.id.is_some_and(|i| have.binary_search(&i).is_ok() && self.postings[i as usize].len() <= 3)
                    });
                    let clean_enough = n.clean >= h.clean - 1e-9 || (rare_word && n.clean >= 0.5 - 1e-9);
                    if n.qualifier > h.qualifier + 1e-9 && clean_enough && unique { n } else { h }
                }
                (Some(h), None) => h,
                (None, Some(n)) => n,
                // The head is the name, in words the fit sets aside ("routine diagnostics
                // (accredited)"): the name decides.
                (None, None) => {
                    let confidence = if hedged { Confidence::Medium } else { Confidence::High };
                    return Pass {
                        best: Some(Link { term: t as usize, confidence, score: 0.9, qualifiers: Vec::new() }),
                        ranked,
                        fits_nothing_in_head,
                    };
                }
            };
            let confidence = if hedged { Confidence::Medium } else { Confidence::High };
            return Pass {
                best: Some(Link { term: pick.term as usize, confidence, score: pick.score().max(0.9), qualifiers: Vec::new() }),
                ranked,
                fits_nothing_in_head,
            };
        }
        let Some(mut best) = fits.first().copied() else { return Pass { best: None, ranked, fits_nothing_in_head: true } };
        let informative = toks.iter().filter(|t| t.head && t.role == Role::Informative).count();
        // A term none of whose names was typed whole has a rival in any unrelated term that
        // holds the typed words too ("omics" is in spatial, single-cell and multi-omics).
        let partial = best.clean < 1.0 - 1e-9;
        let rival_of = |best: &Fit, f: &Fit| {
            f.coverage >= best.coverage - 1e-9
                && f.honoured >= best.honoured - 1e-9
                && (f.clean >= best.clean - 0.1 || (partial && f.clean >= 0.3))
                && !(f.qualifier < best.qualifier - 1e-9 && f.clean <= best.clean + 1e-9)
                && !related(best.term as usize, f.term as usize)
        };
        let mut rival = fits.iter().skip(1).find(|f| rival_of(&best, f)).copied();
        // Two narrower terms named at once ("TCR/BCR repertoire sequencing") are their common
        // broader term, where it fits as well and no rival is outside it.
        if let Some(r) = rival
            && let Some(common) = fits.iter().find(|p| {
                p.coverage >= best.coverage - 1e-9
                    && p.clean >= best.clean - 1e-9
                    && ancestor(p.term as usize, best.term as usize)
                    && ancestor(p.term as usize, r.term as usize)
            })
            && fits.iter().filter(|f| rival_of(&best, f)).all(|f| ancestor(common.term as usize, f.term as usize))
        {
            best = *common;
            rival = None;
        }
        let typos_ok = best.typos <= 1 || (best.typos <= 2 && informative >= 3);
        // Beside words the vocabulary does not know, only a name typed whole is evidence
        // ("whole slide images" is not whole blood).
        let unknown_beside = self.unknown_aside && toks.iter().any(|t| t.head && t.role == Role::Aside && t.id.is_none());
        let enough = if unknown_beside { 1.0 - 1e-9 } else { 0.5 - 1e-9 };
        // An instrument or kit in the value names this very technique, and most of the rest
        // fits it ("Lunaphore COMET sequential IF (up to 40 markers)").
        // Only analysis software named: it is evidence for the analysis whatever is analysed
        // ("cytometry data analysis (OMIQ, FlowSOM)").
        let software_only = {
            let mut named = typed_words.iter().filter(|w| self.evidence.contains_key(*w)).peekable();
            named.peek().is_some() && named.all(|w| self.software.contains(w))
        };
        let corroborated = evidence.contains(&best.term) && (best.coverage >= 0.7 || (software_only && best.coverage >= 0.5 - 1e-9));
        let confidence = if (best.coverage >= 1.0 - 1e-9 || corroborated) && best.clean >= enough && typos_ok && rival.is_none() && !hedged
        {
            Confidence::High
        } else if best.coverage >= 0.6 {
            Confidence::Medium
        } else {
            Confidence::Low
        };
        // Software, and only software, that points to one line the words' reading is not in,
        // beside a word of that line's names that the reading lacks ("repertoire analysis
        // (MiXCR, Immcantation)", "scTCR/BCR clonotype analysis (scirpy)"): the analysis, not
        // the assay. Within the line, the term the words fit best; else the line itself. A kit
        // or an instrument names an assay, never this.
        let have_best = &self.term_tokens[best.term as usize];
        let said: Vec<u32> = evidence
            .iter()
            .copied()
            .filter(|&r| !evidence.iter().any(|&e| e != r && ancestor(e as usize, r as usize)))
            .filter(|&r| !related(best.term as usize, r as usize))
            .filter(|&r| {
                let have_root = &self.term_tokens[r as usize];
                toks.iter()
                    .any(|t| t.head && t.id.is_some_and(|i| have_root.binary_search(&i).is_ok() && have_best.binary_search(&i).is_err()))
            })
            .collect();
        if software_only && let [root] = said.as_slice() {
            let root = *root;
            let within = fits
                .iter()
                .find(|f| {
                    let have = &self.term_tokens[f.term as usize];
                    f.term != root
                        && ancestor(root as usize, f.term as usize)
                        && toks
                            .iter()
                            .any(|t| t.head && t.role == Role::Informative && t.id.is_some_and(|i| have.binary_search(&i).is_ok()))
                })
                .map_or(root, |f| f.term);
            let confidence = if hedged { Confidence::Medium } else { Confidence::High };
            return Pass {
                best: Some(Link { term: within as usize, confidence, score: 0.9, qualifiers: Vec::new() }),
                ranked,
                fits_nothing_in_head,
            };
        }
        // Instruments that point only to other lines make a reading short of a whole name
        // doubtful ("repertoire profiling (Orbitrap)").
        let confidence = if confidence == Confidence::High
            && best.clean < 1.0 - 1e-9
            && !evidence.is_empty()
            && !evidence.iter().any(|&e| related(best.term as usize, e as usize))
        {
            Confidence::Medium
        } else {
            confidence
        };
        // As for a head typed whole: instruments that point to one narrower family of the term
        // read make it that family ("Plasma proteomics (Seer Proteograph XT)" is mass
        // spectrometry-based proteomics).
        let by_evidence: Vec<u32> =
            evidence.iter().copied().filter(|&e| e != best.term && ancestor(best.term as usize, e as usize)).collect();
        if confidence == Confidence::High
            && let [e] = by_evidence.as_slice()
        {
            return Pass {
                best: Some(Link { term: *e as usize, confidence, score: 0.9, qualifiers: Vec::new() }),
                ranked,
                fits_nothing_in_head,
            };
        }
        Pass {
            best: Some(Link { term: best.term as usize, confidence, score: best.score(), qualifiers: Vec::new() }),
            ranked,
            fits_nothing_in_head,
        }
    }

    fn fit(&self, term: u32, toks: &[Tok], typed: &FxHashSet<u32>, evidence: &[u32]) -> Option<Fit> {
        let have = &self.term_tokens[term as usize];
        let has = |i: u32| have.binary_search(&i).is_ok();
        let (mut total, mut hit, mut qualifier, mut typos, mut honoured) = (0.0, 0.0, 0.0, 0, 0.0);
        for t in toks {
            let present = t.id.is_some_and(has);
            if t.head {
                let counts = match t.role {
                    Role::Informative => true,
                    Role::Modifier => present,
                    Role::Aside => false,
                };
                if counts {
                    let w = self.weight(t);
                    total += w;
                    if present {
                        hit += w;
                        typos += usize::from(t.typo);
                        // A context word the term holds ("analysis", "testing") makes it no
                        // narrower: only modifiers are honoured.
                        if t.role == Role::Modifier && !t.id.is_some_and(|i| self.context_only[i as usize]) {
                            honoured += w;
                        }
                    }
                } else if present {
                    // A depth, number or modifier the term's names hold too: evidence of the
                    // more specific reading.
                    qualifier += self.weight(t);
                }
            } else if present {
                qualifier += self.weight(t);
                typos += usize::from(t.typo);
            }
        }
        if total <= 0.0 || !toks.iter().any(|t| t.head && t.role == Role::Informative) {
            // Only modifiers, context words and asides in the head ("high-throughput"): no
            // reading from the head alone.
            return None;
        }
        let (mut clean, mut completeness) = (0.0f64, 0.0f64);
        for &n in &self.term_names[term as usize] {
            let toks = &self.names[n as usize].1;
            let all: f64 = toks.iter().map(|&i| self.idf[i as usize]).sum();
            let got: f64 = toks.iter().filter(|i| typed.contains(i)).map(|&i| self.idf[i as usize]).sum();
            let c = if all > 0.0 { got / all } else { 0.0 };
            completeness = completeness.max(c);
            if !toks.iter().any(|&i| self.modifier[i as usize] && !typed.contains(&i)) {
                clean = clean.max(c);
            }
        }
        Some(Fit { term, coverage: hit / total, honoured, clean, completeness, qualifier, evidence: evidence.contains(&term), typos })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualifiers_split_off_and_kept() {
        assert_eq!(split_qualifiers("WGS (PCR-free, Illumina NovaSeq X)"), ("WGS".into(), vec!["PCR-free, Illumina NovaSeq X".into()]));
        assert_eq!(
            split_qualifiers("Tumour/normal exome - Twist Exome 2.0"),
            ("Tumour/normal exome".into(), vec!["Twist Exome 2.0".into()])
        );
        assert_eq!(split_qualifiers("IVDR in-house exemption (Art. 5(5))"), ("IVDR in-house exemption".into(), vec!["Art. 5(5)".into()]));
        assert_eq!(split_qualifiers("RNA-Seq, bulk, stranded"), ("RNA-Seq".into(), vec!["bulk, stranded".into()]));
        assert_eq!(split_qualifiers("WGS on NovaSeq X (90x/30x)"), ("WGS".into(), vec!["NovaSeq X".into(), "90x/30x".into()]));
        assert_eq!(split_qualifiers("single-cell RNA-seq"), ("single-cell RNA-seq".into(), vec![]));
        assert_eq!(split_qualifiers("(Orbitrap Astral)"), ("".into(), vec!["Orbitrap Astral".into()]));
    }

    #[test]
    fn words_fold_unicode_spelling_plurals_and_glued_forms() {
        let lex = Lexicon::builtin().unwrap();
        let known: FxHashSet<String> = ["rna", "atac", "chip", "seq"].iter().map(|s| s.to_string()).collect();
        let tk = Tokenizer { lex, known: &known };
        assert_eq!(tk.tokens("Tumour–normal"), ["tumor", "normal"]);
        assert_eq!(tk.tokens("bisulphite"), ["bisulfite"]);
        assert_eq!(tk.tokens("scRNAseq"), ["single", "cell", "rna", "sequencing"]);
        assert_eq!(tk.tokens("RNAseq"), ["rna", "sequencing"]);
        assert_eq!(tk.tokens("sc-RNA seq"), ["single", "cell", "rna", "sequencing"]);
        assert_eq!(tk.tokens("ChIPseq"), ["chip", "sequencing"]);
        assert_eq!(tk.tokens("NovaSeq"), ["novaseq"]);
        assert_eq!(tk.tokens("Biopsies, CTCs"), ["biopsy", "ctc"]);
        assert_eq!(tk.tokens("Česko"), ["cesko"]);
    }

    #[test]
    fn non_ascii_text_splits_at_character_boundaries() {
        // Lower-casing `İ` changes its length; positions must still fall between characters.
        assert_eq!(split_qualifiers("İİİ WGS - İ (ẞ)"), ("İİİ WGS".into(), vec!["İ".into(), "ẞ".into()]));
        assert_eq!(split_qualifiers("ẞẞ, x"), ("ẞẞ".into(), vec!["x".into()]));
    }

    #[test]
    fn depth_and_numbers() {
        assert!(is_depth("30x") && is_depth("100x") && !is_depth("x") && !is_depth("10xg"));
        assert_eq!(depths("WGS 0.5x for CNV, 90x/30x; 10xg 5X").collect::<Vec<_>>(), [0.5, 90.0, 30.0, 5.0]);
        assert_eq!(depths("v1.5x 2.5.x").count(), 0);
    }
}
