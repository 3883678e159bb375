//! The records: platforms with their capabilities, and unmet needs; their validation against
//! the vocabularies into canonical form, within the limits of [`crate::limits`] (which the
//! OpenAPI document states for every field of these types).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{FieldCode, FieldError, ValidationErrors};
use crate::limits;
use crate::linker::{Reading, Warning, WarningCode};
use crate::vocab::{Vocabularies, Vocabulary};

/// The current time at the precision both databases keep (microseconds), so that what a
/// write returns equals what a later read returns.
pub fn now() -> DateTime<Utc> {
    use chrono::SubsecRound;
    Utc::now().trunc_subsecs(6)
}

/// Who someone is in the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Researcher,
    PlatformManager,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Researcher => "researcher",
            Role::PlatformManager => "platform_manager",
            Role::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "researcher" => Role::Researcher,
            "platform_manager" => Role::PlatformManager,
            "admin" => Role::Admin,
            _ => return None,
        })
    }
}

/// Which kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Platform,
    Need,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Platform => "platform",
            Kind::Need => "need",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "platform" => Some(Kind::Platform),
            "need" => Some(Kind::Need),
            _ => None,
        }
    }
}

/// Life cycle of a platform record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlatformStatus {
    Draft,
    PendingReview,
    #[default]
    Published,
    Archived,
    /// Taken down by an admin; only an admin changes it back.
    Suspended,
}

impl PlatformStatus {
    pub const ALL: [PlatformStatus; 5] = [
        PlatformStatus::Draft,
        PlatformStatus::PendingReview,
        PlatformStatus::Published,
        PlatformStatus::Archived,
        PlatformStatus::Suspended,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            PlatformStatus::Draft => "draft",
            PlatformStatus::PendingReview => "pending_review",
            PlatformStatus::Published => "published",
            PlatformStatus::Archived => "archived",
            PlatformStatus::Suspended => "suspended",
        }
    }
}

/// Life cycle of an unmet need (see [`NeedStatus::next`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NeedStatus {
    /// Looking for a partner.
    #[default]
    Open,
    /// An introduction was accepted (set by the service).
    InDiscussion,
    /// The owner marked an accepted introduction as the match (`POST /needs/{id}/matched`).
    Matched,
    /// Done, after a match.
    Closed,
    /// Withdrawn by its owner, from any state.
    Withdrawn,
    /// Its deadline passed while it was open or in discussion (set by the service).
    Expired,
    /// Taken down by an admin; only an admin changes it back.
    Suspended,
}

impl NeedStatus {
    pub const ALL: [NeedStatus; 7] = [
        NeedStatus::Open,
        NeedStatus::InDiscussion,
        NeedStatus::Matched,
        NeedStatus::Closed,
        NeedStatus::Withdrawn,
        NeedStatus::Expired,
        NeedStatus::Suspended,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            NeedStatus::Open => "open",
            NeedStatus::InDiscussion => "in_discussion",
            NeedStatus::Matched => "matched",
            NeedStatus::Closed => "closed",
            NeedStatus::Withdrawn => "withdrawn",
            NeedStatus::Expired => "expired",
            NeedStatus::Suspended => "suspended",
        }
    }
    /// Whether anyone may read a need in this state (withdrawn and suspended needs are the
    /// owner's and the admins' only).
    pub fn is_public(self) -> bool {
        !matches!(self, NeedStatus::Withdrawn | NeedStatus::Suspended)
    }
    /// Whether a need in this state is still looking for a partner: open or in discussion.
    /// Matching excludes the others (`need_not_open`).
    pub fn is_open_for_matching(self) -> bool {
        matches!(self, NeedStatus::Open | NeedStatus::InDiscussion)
    }

    /// The need's life: the states it can move to from this one.
    ///
    /// ```text
    /// open ──first accepted introduction──▶ in_discussion ──owner marks the match──▶ matched ──owner──▶ closed
    ///   └──────────── deadline passed (open or in discussion) ────────────▶ expired
    /// any state but suspended ──owner──▶ withdrawn;  suspended: admins only, both ways
    /// ```
    pub fn next(self) -> &'static [NeedStatus] {
        use NeedStatus::*;
        match self {
            Open => &[InDiscussion, Withdrawn, Expired],
            InDiscussion => &[Matched, Withdrawn, Expired],
            Matched => &[Closed, Withdrawn],
            Closed | Expired => &[Withdrawn],
            Withdrawn | Suspended => &[],
        }
    }

    /// Whether the owner moves a need into this state by changing its `status`; the service
    /// sets `in_discussion` and `expired`, `matched` has its own route, admins `suspended`.
    pub fn set_by_owner(self) -> bool {
        matches!(self, NeedStatus::Closed | NeedStatus::Withdrawn)
    }

    /// Whether entering this state closes the need's introductions that are not closed (all
    /// but the chosen one, for `matched`). `closed` follows `matched`, whose introduction stays
    /// open for the two parties.
    pub fn closes_introductions(self) -> bool {
        matches!(self, NeedStatus::Matched | NeedStatus::Withdrawn | NeedStatus::Expired | NeedStatus::Suspended)
    }
}

/// Whether the requester's identity is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    #[default]
    Public,
    /// The requester's identity is shown only once an introduction is accepted.
    Anonymous,
}

/// The organisation a platform belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Organisation {
    #[schema(example = "Instituto Português de Oncologia de Lisboa")]
    pub name: String,
    /// ROR id, as `https://ror.org/0xxxxxx00` or the bare 9-character id; stored as the URL.
    #[serde(default)]
    #[schema(example = "https://ror.org/03jpm9j23")]
    pub ror_id: Option<String>,
}

/// One technology a platform offers, with what it takes and delivers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Capability {
    /// A technologies term: id, label, synonym or a phrase the term linker reads with
    /// confidence (stored as the id; what was typed is kept in `technology_text`).
    #[schema(example = "whole-exome-sequencing")]
    pub technology: String,
    /// The technology as typed, when it was not the canonical id (searchable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "germline WES (Twist Exome 2.0)")]
    pub technology_text: Option<String>,
    /// Instruments, free text.
    #[serde(default)]
    #[schema(example = json!(["Illumina NovaSeq X Plus"]))]
    pub instruments: Vec<String>,
    /// sample-types terms accepted.
    #[serde(default)]
    #[schema(example = json!(["ffpe-tissue", "whole-blood"]))]
    pub sample_types: Vec<String>,
    /// Samples per month this capability can take.
    #[serde(default)]
    #[schema(example = 200)]
    pub monthly_capacity: Option<u32>,
    /// Typical days from sample receipt to results.
    #[serde(default)]
    #[schema(example = 21)]
    pub turnaround_days: Option<u32>,
    /// accreditations terms held for this capability.
    #[serde(default)]
    #[schema(example = json!(["iso-15189"]))]
    pub accreditations: Vec<String>,
    /// services terms offered (`wet-lab`, `bioinformatics`, `clinical-report`, ...).
    #[serde(default)]
    #[schema(example = json!(["wet-lab", "bioinformatics"]))]
    pub services: Vec<String>,
}

/// The fields of a platform that its owner writes (create and replace bodies).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlatformFields {
    /// Optional unique key from the source system, for idempotent imports.
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z0-9._:/-]+$", example = "pt-ipolfg-ngs")]
    pub external_key: Option<String>,
    #[schema(example = "IPO Lisboa Genomics Core")]
    pub name: String,
    pub organisation: Organisation,
    /// A countries term (ISO 3166-1 alpha-2, or the country's name).
    #[schema(example = "PT")]
    pub country: String,
    #[schema(example = "Lisbon")]
    pub city: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    #[schema(example = "https://example.org/genomics")]
    pub website: Option<String>,
    #[serde(default)]
    #[schema(example = "genomics@example.org")]
    pub contact_email: Option<String>,
    /// 1: some resources, possibly incomplete; 2: intermediate; 3: leader in the field.
    #[schema(example = 2)]
    pub maturity_level: u8,
    /// readiness-areas terms served.
    #[serde(default)]
    #[schema(example = json!(["routine-care"]))]
    pub readiness_areas: Vec<String>,
    #[serde(default = "yes")]
    pub accepts_external_samples: bool,
    #[serde(default)]
    pub accepts_cross_border: bool,
    /// data-standards terms delivered.
    #[serde(default)]
    #[schema(example = json!(["vcf", "fhir-genomics"]))]
    pub data_standards: Vec<String>,
    #[serde(default)]
    pub capabilities: Vec<Capability>,
    /// Values of the closed lists (readiness areas, and sample types and accreditations of a
    /// capability) that were not read with confidence: kept as typed beside their list and
    /// never used for matching. A write reads them again; send a term instead to replace one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<Unread>,
    /// Capabilities whose technology (or every sample type) was not read with confidence,
    /// kept as typed and not matched until their values are given as terms. A write reads
    /// them again, so a capability that now reads moves to `capabilities`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held_capabilities: Vec<Capability>,
    /// `draft`, `published` or `archived`; `pending_review` is set by moderation.
    #[serde(default)]
    pub status: PlatformStatus,
}

/// A closed-list value of a platform kept as typed because it was not read with confidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Unread {
    /// The list it belongs to: `readiness_areas`, `capabilities[1].sample_types` or
    /// `capabilities[1].accreditations`.
    #[schema(example = "capabilities[1].sample_types")]
    pub field: String,
    /// The value as typed.
    #[schema(example = "raw MS files")]
    pub typed: String,
}

fn yes() -> bool {
    true
}

/// A technology a need asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TechnologyRequirement {
    /// A technologies term: id, label, synonym or a phrase the term linker reads with
    /// confidence (stored as the id; what was typed is kept in `technology_text`).
    #[schema(example = "single-cell-rna-sequencing")]
    pub technology: String,
    /// The technology as typed, when it was not the canonical id (searchable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "single cel RNA seq")]
    pub technology_text: Option<String>,
    /// Must-have (`true`, the default) or nice-to-have.
    #[serde(default = "yes")]
    pub required: bool,
}

/// Budget range in euro.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Budget {
    #[serde(default)]
    #[schema(example = 5000)]
    pub min: Option<u64>,
    #[serde(default)]
    #[schema(example = 20000)]
    pub max: Option<u64>,
}

/// The fields of a need that its owner writes (create and replace bodies).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NeedFields {
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z0-9._:/-]+$")]
    pub external_key: Option<String>,
    #[schema(example = "Single-cell RNA-seq of 40 fresh NSCLC resections")]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// At least one technology; must-haves are hard constraints in matching.
    pub technologies: Vec<TechnologyRequirement>,
    /// Nice-to-have technologies not read with confidence, kept as typed and not matched
    /// (only when another technology reads: a nice-to-have never decides who is a candidate,
    /// so holding one never widens the match). A write
    /// reads them again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held_technologies: Vec<TechnologyRequirement>,
    /// A sample-types term.
    #[schema(example = "fresh-frozen-tissue")]
    pub sample_type: String,
    #[schema(example = 40)]
    pub sample_count: u32,
    /// An OncoTree code or name.
    #[serde(default)]
    #[schema(example = "LUAD")]
    pub cancer_type: Option<String>,
    /// A readiness-areas term.
    #[schema(example = "translational-research")]
    pub readiness_area: String,
    /// The requester's country.
    #[schema(example = "LT")]
    pub country: String,
    /// Countries where the work may be done; `[]` or `["ANY"]` for any EU/EEA state (stored as `["ANY"]`).
    #[serde(default)]
    #[schema(example = json!(["ANY"]))]
    pub acceptable_countries: Vec<String>,
    #[serde(default)]
    #[schema(example = "2027-06-30")]
    pub deadline: Option<NaiveDate>,
    /// An accreditations term the serving capability must hold.
    #[serde(default)]
    pub accreditation_required: Option<String>,
    #[serde(default)]
    pub budget_eur: Option<Budget>,
    #[serde(default)]
    pub visibility: Visibility,
    #[serde(default)]
    pub status: NeedStatus,
}

/// Server-managed metadata of every record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Meta {
    pub id: Uuid,
    /// The account that owns the record; `null` to others on an anonymous need.
    pub owner_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases by one with every change; the `ETag` is `"<version>"`.
    pub version: i64,
}

/// A stored platform.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Platform {
    #[serde(flatten)]
    pub meta: Meta,
    #[serde(flatten)]
    pub fields: PlatformFields,
}

/// A stored need.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Need {
    #[serde(flatten)]
    pub meta: Meta,
    #[serde(flatten)]
    pub fields: NeedFields,
    /// Who posted it: on a public need to everyone, on an anonymous one to its owner and
    /// admins only (never the email: that is for an accepted introduction). Not stored: the
    /// service adds it when it shows the need.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester: Option<Requester>,
}

/// The requester of a need, as a need shows them.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Requester {
    pub display_name: String,
}

/// Either record, for code that treats both alike (store, index).
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Platform(Platform),
    Need(Need),
}

impl Record {
    pub fn kind(&self) -> Kind {
        match self {
            Record::Platform(_) => Kind::Platform,
            Record::Need(_) => Kind::Need,
        }
    }
    pub fn meta(&self) -> &Meta {
        match self {
            Record::Platform(p) => &p.meta,
            Record::Need(n) => &n.meta,
        }
    }
    pub fn meta_mut(&mut self) -> &mut Meta {
        match self {
            Record::Platform(p) => &mut p.meta,
            Record::Need(n) => &mut n.meta,
        }
    }
    pub fn external_key(&self) -> Option<&str> {
        match self {
            Record::Platform(p) => p.fields.external_key.as_deref(),
            Record::Need(n) => n.fields.external_key.as_deref(),
        }
    }
    pub fn status(&self) -> &'static str {
        match self {
            Record::Platform(p) => p.fields.status.as_str(),
            Record::Need(n) => n.fields.status.as_str(),
        }
    }
    /// Name of a platform, title of a need.
    pub fn label(&self) -> &str {
        match self {
            Record::Platform(p) => &p.fields.name,
            Record::Need(n) => &n.fields.title,
        }
    }
    pub fn country(&self) -> &str {
        match self {
            Record::Platform(p) => &p.fields.country,
            Record::Need(n) => &n.fields.country,
        }
    }
    /// The writable fields as JSON (what the store keeps in `body`).
    pub fn body_json(&self) -> serde_json::Value {
        let v = match self {
            Record::Platform(p) => serde_json::to_value(&p.fields),
            Record::Need(n) => serde_json::to_value(&n.fields),
        };
        v.unwrap_or(serde_json::Value::Null)
    }
    /// Whether anyone, signed in or not, may read this record.
    pub fn is_public(&self) -> bool {
        match self {
            Record::Platform(p) => p.fields.status == PlatformStatus::Published,
            Record::Need(n) => n.fields.status.is_public(),
        }
    }
}

/// A validated input with how its vocabulary values were read.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked<T> {
    pub fields: T,
    /// Every vocabulary value not typed as its canonical id, with how it was read.
    pub readings: Vec<Reading>,
    /// Values of open lists kept as typed.
    pub warnings: Vec<Warning>,
}

/// How strictly typed values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadMode {
    /// Only ids, labels and synonyms are taken; no automatic reading.
    pub strict: bool,
}

/// Collects field errors, readings and warnings while walking an input.
struct Check<'v> {
    vocabs: &'v Vocabularies,
    mode: ReadMode,
    errors: ValidationErrors,
    readings: Vec<Reading>,
    warnings: Vec<Warning>,
    /// Closed-list values not read with confidence are kept aside (platforms, not strict)
    /// instead of refusing the record.
    keep_unread: bool,
    /// Those values: (list field, typed), in the order met.
    unread: Vec<(String, String)>,
}

impl<'v> Check<'v> {
    fn new(vocabs: &'v Vocabularies, mode: ReadMode) -> Self {
        Check {
            vocabs,
            mode,
            errors: ValidationErrors::default(),
            readings: Vec::new(),
            warnings: Vec::new(),
            keep_unread: false,
            unread: Vec::new(),
        }
    }
    fn done<T>(self, fields: T) -> Result<Checked<T>, ValidationErrors> {
        let (readings, warnings) = (self.readings, self.warnings);
        self.errors.into_result(fields).map(|fields| Checked { fields, readings, warnings })
    }
    /// Read a closed-list value into its canonical id (false: refused, the error recorded).
    fn term(&mut self, vocab: &Vocabulary, field: &str, value: &mut String) -> bool {
        match vocab.read(field, value, self.mode.strict) {
            Ok(r) => {
                if *value != r.term.id {
                    self.readings.push(Reading {
                        field: field.to_owned(),
                        typed: value.clone(),
                        term: r.term.id.clone(),
                        label: r.term.label.clone(),
                        confidence: r.confidence,
                        score: r.score,
                        qualifiers: r.qualifiers,
                    });
                    value.clone_from(&r.term.id);
                }
                true
            }
            Err(e) => {
                self.errors.push(e);
                false
            }
        }
    }
    /// An open-list value: its canonical id when read with confidence, else kept as typed with
    /// a warning (only a value too long for any term is refused).
    fn open_term(&mut self, vocab: &Vocabulary, field: &str, value: &mut String) {
        let trimmed = value.trim();
        if trimmed.len() != value.len() {
            *value = trimmed.to_owned();
        }
        if value.is_empty() {
            self.err(field, FieldCode::Required, format!("{field} must not be empty"));
            return;
        }
        match vocab.read(field, value, self.mode.strict) {
            Ok(_) => {
                self.term(vocab, field, value);
            }
            Err(e) if e.code == FieldCode::UnknownTerm => self.warnings.push(Warning {
                field: field.to_owned(),
                code: WarningCode::FreeTextKept,
                message: format!("'{value}' is not a known {} term; kept as typed", vocab.name),
                typed: value.clone(),
                suggestions: e.suggestions,
            }),
            Err(e) => self.errors.push(e),
        }
    }
    fn terms(&mut self, vocab: &Vocabulary, field: &str, values: &mut Vec<String>) {
        self.list(vocab, field, values, false);
    }
    fn open_terms(&mut self, vocab: &Vocabulary, field: &str, values: &mut Vec<String>) {
        self.list(vocab, field, values, true);
    }
    /// The values of a list field. A value that is not one term but several typed together
    /// ("plasma / serum", "EMQN & GenQA EQA") becomes those terms when every part reads with
    /// confidence; otherwise it is refused (closed lists) or kept as typed (open lists).
    fn list(&mut self, vocab: &Vocabulary, field: &str, values: &mut Vec<String>, open: bool) {
        if self.list_too_long(field, values.len()) {
            return;
        }
        let mut out = Vec::with_capacity(values.len());
        for (i, mut v) in std::mem::take(values).into_iter().enumerate() {
            let f = format!("{field}[{i}]");
            let errors = self.errors.0.len();
            if open {
                self.open_term(vocab, &f, &mut v)
            } else {
                self.term(vocab, &f, &mut v);
            }
            let refused = self.errors.0.len() > errors || (open && self.warnings.last().is_some_and(|w| w.field == f));
            if refused && let Some(parts) = self.parts(vocab, &f, &v) {
                if open {
                    self.warnings.pop();
                } else {
                    self.errors.0.truncate(errors);
                }
                out.extend(parts);
                continue;
            }
            if refused
                && !open
                && self.keep_unread
                && self.errors.0.len() == errors + 1
                && self.errors.0[errors].code == FieldCode::UnknownTerm
            {
                let e = self.errors.0.remove(errors);
                self.warnings.push(Warning {
                    field: f,
                    code: WarningCode::NotReadKept,
                    message: format!("{}; kept as typed in `unread`, not used for matching", e.message),
                    typed: v.clone(),
                    suggestions: e.suggestions,
                });
                self.unread.push((field.to_owned(), v));
                continue;
            }
            out.push(v);
        }
        *values = out;
        dedup(values);
    }
    /// The terms of a value that names several, each read with confidence (with a reading
    /// each), or None.
    fn parts(&mut self, vocab: &Vocabulary, field: &str, value: &str) -> Option<Vec<String>> {
        let parts = split_list(value);
        if parts.len() < 2 {
            return None;
        }
        let mut read = Vec::new();
        for p in &parts {
            let r = vocab.read(field, p, self.mode.strict).ok()?;
            read.push(Reading {
                field: field.to_owned(),
                typed: value.to_owned(),
                term: r.term.id.clone(),
                label: r.term.label.clone(),
                confidence: r.confidence,
                score: r.score,
                qualifiers: r.qualifiers,
            });
        }
        let ids = read.iter().map(|r| r.term.clone()).collect();
        self.readings.extend(read);
        Some(ids)
    }
    fn list_too_long(&mut self, field: &str, n: usize) -> bool {
        if n > limits::LIST {
            self.err(field, FieldCode::TooMany, format!("at most {} items, got {n}", limits::LIST));
        }
        n > limits::LIST
    }
    /// A technology field with the typed text kept beside the canonical id.
    fn technology(&mut self, field: &str, value: &mut String, text: &mut Option<String>) -> bool {
        self.opt_text(&format!("{field}_text"), text, limits::SHORT_TEXT);
        let typed = value.trim().to_owned();
        let vocab = &self.vocabs.technologies;
        let read = self.term(vocab, field, value);
        if read && typed != *value {
            *text = Some(typed);
        }
        read
    }
    /// Whether a need may hold an unread nice-to-have instead of being refused (not strict).
    fn keep_unread_needs(&self) -> bool {
        !self.mode.strict
    }
    fn err(&mut self, field: &str, code: FieldCode, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, code, message));
    }
    fn text(&mut self, field: &str, value: &mut String, min: usize, max: usize) {
        let trimmed = value.trim();
        if trimmed.len() != value.len() {
            *value = trimmed.to_owned();
        }
        let n = value.chars().count();
        if n < min {
            self.err(field, FieldCode::Required, format!("{field} must not be empty"));
        } else if n > max {
            self.err(field, FieldCode::TooLong, format!("{field} has {n} characters; at most {max}"));
        }
        if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
            self.err(field, FieldCode::InvalidFormat, format!("{field} contains control characters"));
        }
    }
    fn opt_text(&mut self, field: &str, value: &mut Option<String>, max: usize) {
        if let Some(v) = value {
            self.text(field, v, 0, max);
            if v.is_empty() {
                *value = None;
            }
        }
    }
    fn external_key(&mut self, value: &mut Option<String>) {
        self.opt_text("external_key", value, limits::SHORT_TEXT);
        if let Some(k) = value
            && !k.chars().all(|c| c.is_ascii_alphanumeric() || "._:/-".contains(c))
        {
            self.err("external_key", FieldCode::InvalidFormat, "external_key may contain only letters, digits and . _ : / -");
        }
    }
    fn country(&mut self, field: &str, value: &mut String) {
        let vocab = &self.vocabs.countries;
        self.term(vocab, field, value);
    }
    /// Instruments are free text: each is kept as typed, with a warning when the instruments
    /// vocabulary does not know it.
    fn instrument(&mut self, field: &str, value: &mut String) {
        self.text(field, value, 1, limits::SHORT_TEXT);
        if value.is_empty() || value.chars().count() > limits::SHORT_TEXT {
            return;
        }
        let vocab = &self.vocabs.instruments;
        if let Err(e) = vocab.read(field, value, false) {
            self.warnings.push(Warning {
                field: field.to_owned(),
                code: WarningCode::FreeTextKept,
                message: format!("'{value}' is not in the instruments vocabulary; kept as typed"),
                typed: value.clone(),
                suggestions: e.suggestions,
            });
        }
    }
}

/// The parts of a value that lists several things ("plasma / serum", "FFPE or fresh frozen",
/// "EMQN & GenQA"), split outside parentheses.
fn split_list(value: &str) -> Vec<String> {
    const SEPARATORS: [&str; 10] = [" / ", " or ", " and ", " & ", " + ", "/", "&", "+", ";", ","];
    // ASCII lower-casing keeps every byte where it was, so positions found in `lower` are
    // character boundaries of `value`.
    let lower = value.to_ascii_lowercase();
    let mut parts = Vec::new();
    let (mut depth, mut start, mut skip_to) = (0usize, 0usize, 0usize);
    for (i, c) in lower.char_indices() {
        if i < skip_to {
            continue;
        }
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => {
                if let Some(sep) = SEPARATORS.iter().find(|s| lower[i..].starts_with(**s)) {
                    parts.push(value[start..i].trim().to_owned());
                    start = i + sep.len();
                    skip_to = start;
                }
            }
            _ => {}
        }
    }
    parts.push(value[start..].trim().to_owned());
    parts.retain(|p| !p.is_empty());
    parts
}

/// Drop repeated values, keeping the first of each.
fn dedup(values: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    values.retain(|v| seen.insert(v.clone()));
}

/// `https://ror.org/0abcdef12` from either that URL or the bare id.
fn canonical_ror(input: &str) -> Option<String> {
    let id = input.trim().trim_start_matches("https://ror.org/").trim_start_matches("http://ror.org/").trim_start_matches("ror.org/");
    let ok = id.len() == 9
        && id.is_ascii()
        && id.starts_with('0')
        && id[1..7].chars().all(|c| c.is_ascii_digit() || (c.is_ascii_lowercase() && !"ilou".contains(c)))
        && id[7..].chars().all(|c| c.is_ascii_digit());
    ok.then(|| format!("https://ror.org/{id}"))
}

fn plausible_email(s: &str) -> bool {
    let mut parts = s.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(l), Some(d), None)
        if !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.'))
        && !s.chars().any(char::is_whitespace)
}

/// Whether an email address is plausible (one `@`, a dotted domain, no spaces).
pub fn valid_email(s: &str) -> bool {
    s.len() <= limits::EMAIL && plausible_email(s)
}

impl PlatformFields {
    /// Check every field and replace every vocabulary value by its canonical id.
    pub fn validate(self, vocabs: &Vocabularies) -> Result<Self, ValidationErrors> {
        self.check(vocabs, ReadMode::default()).map(|c| c.fields)
    }

    /// [`PlatformFields::validate`], reporting how each value was read.
    pub fn check(mut self, vocabs: &Vocabularies, mode: ReadMode) -> Result<Checked<Self>, ValidationErrors> {
        let mut c = Check::new(vocabs, mode);
        c.keep_unread = !mode.strict;
        if self.unread.len() > limits::UNREAD {
            c.err("unread", FieldCode::TooMany, format!("at most {} values", limits::UNREAD));
            self.unread.clear();
        }
        if self.held_capabilities.len() > limits::CAPABILITIES {
            c.err("held_capabilities", FieldCode::TooMany, format!("at most {} capabilities", limits::CAPABILITIES));
            self.held_capabilities.clear();
        }
        // What an earlier write kept aside is read again.
        for (i, mut u) in std::mem::take(&mut self.unread).into_iter().enumerate() {
            let errors = c.errors.0.len();
            c.text(&format!("unread[{i}].field"), &mut u.field, 1, limits::SHORT_TEXT);
            c.text(&format!("unread[{i}].typed"), &mut u.typed, 1, limits::SHORT_TEXT);
            if c.errors.0.len() > errors {
                continue;
            }
            if u.field == "readiness_areas" {
                self.readiness_areas.push(u.typed);
                continue;
            }
            let list = u
                .field
                .strip_prefix("capabilities[")
                .and_then(|r| r.split_once("]."))
                .and_then(|(n, l)| Some((n.parse::<usize>().ok()?, l)));
            match list.and_then(|(n, l)| self.capabilities.get_mut(n).map(|cap| (cap, l))) {
                Some((cap, "sample_types")) => cap.sample_types.push(u.typed),
                Some((cap, "accreditations")) => cap.accreditations.push(u.typed),
                _ => c.err(
                    &format!("unread[{i}].field"),
                    FieldCode::InvalidValue,
                    format!("'{}' names no list; use readiness_areas or capabilities[n].sample_types or .accreditations", u.field),
                ),
            }
        }
        self.capabilities.append(&mut self.held_capabilities);
        c.external_key(&mut self.external_key);
        c.text("name", &mut self.name, 1, limits::SHORT_TEXT);
        c.text("organisation.name", &mut self.organisation.name, 1, limits::SHORT_TEXT);
        c.opt_text("organisation.ror_id", &mut self.organisation.ror_id, limits::SHORT_TEXT);
        if let Some(r) = self.organisation.ror_id.take().filter(|r| r.chars().count() <= limits::SHORT_TEXT) {
            match canonical_ror(&r) {
                Some(url) => self.organisation.ror_id = Some(url),
                None => c.err(
                    "organisation.ror_id",
                    FieldCode::InvalidFormat,
                    "a ROR id is 9 characters starting with 0, e.g. 03jpm9j23 or https://ror.org/03jpm9j23",
                ),
            }
        }
        c.country("country", &mut self.country);
        c.text("city", &mut self.city, 1, limits::SHORT_TEXT);
        c.text("description", &mut self.description, 0, limits::LONG_TEXT);
        c.opt_text("website", &mut self.website, limits::SHORT_TEXT);
        if let Some(w) = &self.website
            && (!(w.starts_with("https://") || w.starts_with("http://")) || w.contains(char::is_whitespace))
        {
            c.err("website", FieldCode::InvalidFormat, "website must be an http(s) URL, e.g. https://example.org");
        }
        c.opt_text("contact_email", &mut self.contact_email, limits::EMAIL);
        if let Some(e) = &self.contact_email
            && !valid_email(e)
        {
            c.err("contact_email", FieldCode::InvalidFormat, "contact_email must be an address like genomics@example.org");
        }
        if !(limits::MIN_MATURITY..=limits::MAX_MATURITY).contains(&self.maturity_level) {
            let (lo, hi) = (limits::MIN_MATURITY, limits::MAX_MATURITY);
            c.err("maturity_level", FieldCode::OutOfRange, format!("maturity_level is {lo} to {hi}; got {}", self.maturity_level));
        }
        c.terms(&vocabs.readiness_areas, "readiness_areas", &mut self.readiness_areas);
        c.open_terms(&vocabs.data_standards, "data_standards", &mut self.data_standards);
        if self.capabilities.len() > limits::CAPABILITIES {
            c.err("capabilities", FieldCode::TooMany, format!("at most {} capabilities", limits::CAPABILITIES));
        } else {
            let (mut kept, mut held) = (Vec::new(), Vec::new());
            for (i, mut cap) in std::mem::take(&mut self.capabilities).into_iter().enumerate() {
                let typed = cap.clone();
                let before = (c.errors.0.len(), c.readings.len(), c.warnings.len(), c.unread.len());
                check_capability(&mut c, vocabs, i, &mut cap);
                if let Some(why) = c.hold(i, &typed, &cap, before) {
                    c.warnings.push(why);
                    held.push(typed);
                    continue;
                }
                // Unread values name the capability by its place among those stored.
                let (from, to) = (format!("capabilities[{i}]."), format!("capabilities[{}].", kept.len()));
                for u in &mut c.unread[before.3..] {
                    u.0 = u.0.replacen(&from, &to, 1);
                }
                kept.push(cap);
            }
            self.capabilities = kept;
            self.held_capabilities = held;
        }
        self.unread = std::mem::take(&mut c.unread).into_iter().map(|(field, typed)| Unread { field, typed }).collect();
        c.done(self)
    }
}

/// Check one capability of a platform (its fields named `capabilities[i].…`).
fn check_capability(c: &mut Check<'_>, vocabs: &Vocabularies, i: usize, cap: &mut Capability) {
    let f = |n: &str| format!("capabilities[{i}].{n}");
    c.technology(&f("technology"), &mut cap.technology, &mut cap.technology_text);
    if cap.instruments.len() > limits::LIST {
        c.err(&f("instruments"), FieldCode::TooMany, format!("at most {} instruments", limits::LIST));
    } else {
        for (j, ins) in cap.instruments.iter_mut().enumerate() {
            c.instrument(&format!("capabilities[{i}].instruments[{j}]"), ins);
        }
    }
    c.terms(&vocabs.sample_types, &f("sample_types"), &mut cap.sample_types);
    c.terms(&vocabs.accreditations, &f("accreditations"), &mut cap.accreditations);
    c.open_terms(&vocabs.services, &f("services"), &mut cap.services);
    if cap.monthly_capacity.is_some_and(|m| m > limits::MAX_SAMPLES) {
        c.err(&f("monthly_capacity"), FieldCode::OutOfRange, format!("at most {}", limits::MAX_SAMPLES));
    }
    if cap.turnaround_days.is_some_and(|d| d == 0 || d > limits::MAX_TURNAROUND_DAYS) {
        c.err(&f("turnaround_days"), FieldCode::OutOfRange, format!("1 to {} days", limits::MAX_TURNAROUND_DAYS));
    }
}

impl Check<'_> {
    /// Whether capability `i`, just checked, is held as `typed` rather than stored: its
    /// technology was not read with confidence (and that is its only problem), or none of the
    /// sample types it lists was (an empty list would take any sample). Then everything its
    /// check recorded is undone and the warning saying why is returned.
    fn hold(&mut self, i: usize, typed: &Capability, cap: &Capability, before: (usize, usize, usize, usize)) -> Option<Warning> {
        if !self.keep_unread {
            return None;
        }
        let tech = format!("capabilities[{i}].technology");
        let errors = &self.errors.0[before.0..];
        let technology = !typed.technology.trim().is_empty()
            && !errors.is_empty()
            && errors.iter().all(|e| e.field == tech && e.code == FieldCode::UnknownTerm);
        let samples = errors.is_empty() && !typed.sample_types.is_empty() && cap.sample_types.is_empty();
        if !technology && !samples {
            return None;
        }
        let (message, suggestions) = if technology {
            let e = self.errors.0.remove(before.0);
            (format!("{}; the capability is kept as typed in `held_capabilities` and not matched", e.message), e.suggestions)
        } else {
            let unread: Vec<String> = self.unread[before.3..].iter().map(|u| format!("'{}'", u.1)).collect();
            (
                format!(
                    "no sample type of the capability was read ({}); the capability is kept as typed in `held_capabilities` and not matched",
                    unread.join(", ")
                ),
                Vec::new(),
            )
        };
        self.errors.0.truncate(before.0);
        self.readings.truncate(before.1);
        self.warnings.truncate(before.2);
        self.unread.truncate(before.3);
        Some(Warning {
            field: format!("capabilities[{i}]"),
            code: WarningCode::CapabilityHeld,
            message,
            typed: typed.technology.clone(),
            suggestions,
        })
    }
}

impl NeedFields {
    /// Check every field and replace every vocabulary value by its canonical id. `today`, when
    /// given, bounds the deadline of an open need (imports of older records pass `None`).
    pub fn validate(self, vocabs: &Vocabularies, today: Option<NaiveDate>) -> Result<Self, ValidationErrors> {
        self.check(vocabs, today, ReadMode::default()).map(|c| c.fields)
    }

    /// [`NeedFields::validate`], reporting how each value was read.
    pub fn check(mut self, vocabs: &Vocabularies, today: Option<NaiveDate>, mode: ReadMode) -> Result<Checked<Self>, ValidationErrors> {
        let mut c = Check::new(vocabs, mode);
        c.external_key(&mut self.external_key);
        c.text("title", &mut self.title, 1, limits::SHORT_TEXT);
        c.text("description", &mut self.description, 0, limits::LONG_TEXT);
        if self.held_technologies.len() > limits::LIST {
            c.err("held_technologies", FieldCode::TooMany, format!("at most {} technologies", limits::LIST));
            self.held_technologies.clear();
        }
        // What an earlier write held is read again, as a nice-to-have.
        self.technologies
            .extend(std::mem::take(&mut self.held_technologies).into_iter().map(|t| TechnologyRequirement { required: false, ..t }));
        if self.technologies.is_empty() {
            c.err(
                "technologies",
                FieldCode::Required,
                "name at least one technology, e.g. [{\"technology\": \"WES\", \"required\": true}]",
            );
        } else if self.technologies.len() > limits::LIST {
            c.err("technologies", FieldCode::TooMany, format!("at most {} technologies", limits::LIST));
        } else {
            let mut unread = Vec::new();
            let mut any_read = false;
            for (i, t) in self.technologies.iter_mut().enumerate() {
                let (field, errors, typed) = (format!("technologies[{i}].technology"), c.errors.0.len(), t.technology.trim().to_owned());
                let read = c.technology(&field, &mut t.technology, &mut t.technology_text);
                any_read |= read;
                let only_unknown = c.errors.0.len() == errors + 1 && c.errors.0[errors].code == FieldCode::UnknownTerm;
                if !read && !t.required && only_unknown && !typed.is_empty() {
                    unread.push((i, errors));
                }
            }
            // Unread nice-to-haves beside a technology that reads: held as typed, not refused.
            // Candidates never depend on nice-to-haves, and holding one only narrows the
            // capabilities a need without must-haves is checked against: it never admits a
            // platform that breaks a hard constraint (see README, Reading what people type).
            if any_read && c.keep_unread_needs() {
                for &(i, at) in unread.iter().rev() {
                    let e = c.errors.0.remove(at);
                    c.warnings.push(Warning {
                        field: format!("technologies[{i}]"),
                        code: WarningCode::TechnologyHeld,
                        message: format!("{}; this nice-to-have is kept as typed in `held_technologies` and not matched", e.message),
                        typed: self.technologies[i].technology.clone(),
                        suggestions: e.suggestions,
                    });
                }
                let held: std::collections::HashSet<usize> = unread.iter().map(|(i, _)| *i).collect();
                let (keep, hold): (Vec<_>, Vec<_>) =
                    std::mem::take(&mut self.technologies).into_iter().enumerate().partition(|(i, _)| !held.contains(i));
                self.technologies = keep.into_iter().map(|(_, t)| t).collect();
                self.held_technologies = hold.into_iter().map(|(_, t)| t).collect();
            }
            let mut seen = std::collections::HashSet::new();
            let dup = self.technologies.iter().find(|t| !seen.insert(t.technology.clone())).map(|t| t.technology.clone());
            if let Some(d) = dup {
                c.err("technologies", FieldCode::Duplicate, format!("{d} is listed twice"));
            }
        }
        c.term(&vocabs.sample_types, "sample_type", &mut self.sample_type);
        if self.sample_count == 0 || self.sample_count > limits::MAX_SAMPLES {
            c.err("sample_count", FieldCode::OutOfRange, format!("sample_count is 1 to {}", limits::MAX_SAMPLES));
        }
        if let Some(ct) = &mut self.cancer_type {
            c.term(&vocabs.cancer_types, "cancer_type", ct);
        }
        c.term(&vocabs.readiness_areas, "readiness_area", &mut self.readiness_area);
        c.country("country", &mut self.country);
        if self.acceptable_countries.len() > limits::LIST {
            let n = self.acceptable_countries.len();
            c.err("acceptable_countries", FieldCode::TooMany, format!("at most {} items, got {n}", limits::LIST));
        } else if self.acceptable_countries.iter().any(|s| s.trim().eq_ignore_ascii_case("any")) || self.acceptable_countries.is_empty() {
            self.acceptable_countries = vec!["ANY".to_owned()];
        } else {
            let vocab = &vocabs.countries;
            c.terms(vocab, "acceptable_countries", &mut self.acceptable_countries);
        }
        if let (Some(d), Some(today)) = (self.deadline, today)
            && self.status == NeedStatus::Open
            && d < today
        {
            c.err("deadline", FieldCode::OutOfRange, format!("the deadline {d} of an open need is in the past; today is {today}"));
        }
        if let Some(a) = &mut self.accreditation_required {
            c.term(&vocabs.accreditations, "accreditation_required", a);
        }
        if let Some(b) = self.budget_eur {
            for (field, value) in [("budget_eur.min", b.min), ("budget_eur.max", b.max)] {
                if value.is_some_and(|v| v > limits::MAX_EUR) {
                    c.err(field, FieldCode::OutOfRange, format!("at most {} EUR", limits::MAX_EUR));
                }
            }
            if let (Some(lo), Some(hi)) = (b.min, b.max)
                && lo > hi
            {
                c.err("budget_eur", FieldCode::InvalidValue, format!("min {lo} is above max {hi}"));
            }
        }
        c.done(self)
    }

    /// Whether `country` is acceptable to the requester.
    pub fn accepts_country(&self, country: &str) -> bool {
        self.acceptable_countries.iter().any(|c| c == "ANY" || c == country) || self.country == country
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabs() -> Vocabularies {
        Vocabularies::builtin().unwrap()
    }

    fn platform() -> serde_json::Value {
        serde_json::json!({
            "name": " Lisbon Genomics Core ",
            "organisation": {"name": "IPO Lisboa", "ror_id": "03jpm9j23"},
            "country": "portugal", "city": "Lisbon", "maturity_level": 3,
            "readiness_areas": ["Routine care"],
            "capabilities": [{"technology": "WES", "sample_types": ["FFPE"], "accreditations": ["ISO 15189"], "services": ["wet lab"]}]
        })
    }

    #[test]
    fn platform_terms_become_canonical_ids() {
        let p: PlatformFields = serde_json::from_value(platform()).unwrap();
        let p = p.validate(&vocabs()).unwrap();
        assert_eq!(p.name, "Lisbon Genomics Core");
        assert_eq!(p.country, "PT");
        assert_eq!(p.capabilities[0].technology, "whole-exome-sequencing");
        assert_eq!(p.readiness_areas, ["routine-care"]);
        assert_eq!(p.organisation.ror_id.as_deref(), Some("https://ror.org/03jpm9j23"));
        assert_eq!(p.status, PlatformStatus::Published);
    }

    #[test]
    fn platform_errors_are_collected_per_field() {
        let mut v = platform();
        v["maturity_level"] = 7.into();
        v["capabilities"][0]["turnaround_days"] = 0.into();
        v["contact_email"] = "not an email".into();
        let p: PlatformFields = serde_json::from_value(v).unwrap();
        let e = p.validate(&vocabs()).unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"maturity_level"));
        assert!(fields.contains(&"capabilities[0].turnaround_days"));
        assert!(fields.contains(&"contact_email"));
        // In strict mode an unread technology refuses the record, with suggestions.
        let mut v = platform();
        v["capabilities"][0]["technology"] = "exome and genome".into();
        let p: PlatformFields = serde_json::from_value(v).unwrap();
        let e = p.check(&vocabs(), ReadMode { strict: true }).unwrap_err();
        let t = e.0.iter().find(|e| e.field == "capabilities[0].technology").unwrap();
        assert_eq!((t.code.as_str(), t.suggestions[0].id.as_str()), ("unknown_term", "whole-exome-sequencing"));
    }

    #[test]
    fn what_is_not_read_is_kept_as_typed_and_never_matched() {
        let mut v = platform();
        let wes = v["capabilities"][0].clone();
        let mut unread_tech = wes.clone();
        unread_tech["technology"] = "exome and genome".into();
        let mut data_only = wes.clone();
        data_only["sample_types"] = serde_json::json!(["moon rock powder"]);
        let mut some_unread = wes.clone();
        some_unread["sample_types"] = serde_json::json!(["FFPE", "banana slices"]);
        some_unread["accreditations"] = serde_json::json!(["ISO 15189", "Quality Mark of Atlantis"]);
        v["capabilities"] = serde_json::json!([unread_tech, data_only, some_unread]);
        v["readiness_areas"] = serde_json::json!(["routine care", "moonshot programme"]);
        let p: PlatformFields = serde_json::from_value(v).unwrap();
        let c = p.check(&vocabs(), ReadMode::default()).unwrap();
        let f = &c.fields;
        // The readable capability is stored with what read; the rest is kept as typed.
        assert_eq!(f.capabilities.len(), 1);
        assert_eq!(f.capabilities[0].sample_types, ["ffpe-tissue"]);
        assert_eq!(f.capabilities[0].accreditations, ["iso-15189"]);
        assert_eq!(f.readiness_areas, ["routine-care"]);
        let unread: Vec<(&str, &str)> = f.unread.iter().map(|u| (u.field.as_str(), u.typed.as_str())).collect();
        assert_eq!(
            unread,
            [
                ("readiness_areas", "moonshot programme"),
                ("capabilities[0].sample_types", "banana slices"),
                ("capabilities[0].accreditations", "Quality Mark of Atlantis")
            ]
        );
        // A capability whose technology, or every sample type, did not read is held whole.
        assert_eq!(f.held_capabilities.len(), 2);
        assert_eq!(f.held_capabilities[0].technology, "exome and genome");
        assert_eq!(f.held_capabilities[1].sample_types, ["moon rock powder"]);
        let held: Vec<&str> = c.warnings.iter().filter(|w| w.code == "capability_held").map(|w| w.field.as_str()).collect();
        assert_eq!(held, ["capabilities[0]", "capabilities[1]"]);
        let w = c.warnings.iter().find(|w| w.field == "capabilities[0]").unwrap();
        assert_eq!(w.suggestions[0].id, "whole-exome-sequencing");
        assert_eq!(c.warnings.iter().filter(|w| w.code == "not_read_kept").count(), 3);
        // Written again (the record as stored), the kept values are read again, with the
        // same outcome; given as terms, they move into their lists.
        let again = c.fields.clone().check(&vocabs(), ReadMode::default()).unwrap().fields;
        assert_eq!(again, c.fields);
        let mut fixed = c.fields.clone();
        fixed.held_capabilities[0].technology = "WES".into();
        fixed.unread[1].typed = "fresh frozen".into();
        let fixed = fixed.check(&vocabs(), ReadMode::default()).unwrap().fields;
        assert_eq!(fixed.capabilities.len(), 2);
        assert_eq!(fixed.capabilities[0].sample_types, ["ffpe-tissue", "fresh-frozen-tissue"]);
        assert_eq!(fixed.held_capabilities.len(), 1);
        // Strict clients are refused instead.
        let strict = c.fields.clone().check(&vocabs(), ReadMode { strict: true }).unwrap_err();
        assert!(strict.0.iter().any(|e| e.field == "readiness_areas[1]" && e.code == "unknown_term"), "{strict:?}");
    }

    #[test]
    fn an_unread_nice_to_have_is_held_beside_a_technology_that_reads() {
        let need = |techs: serde_json::Value| -> NeedFields {
            serde_json::from_value(serde_json::json!({
                "title": "t", "technologies": techs, "sample_type": "FFPE", "sample_count": 4,
                "readiness_area": "translational", "country": "LT"
            }))
            .unwrap()
        };
        let c = need(serde_json::json!([{"technology": "WES"}, {"technology": "exome or genome", "required": false}]))
            .check(&vocabs(), None, ReadMode::default())
            .unwrap();
        assert_eq!(c.fields.technologies.len(), 1);
        assert_eq!(c.fields.held_technologies[0].technology, "exome or genome");
        assert_eq!(c.warnings[0].code, "technology_held");
        assert_eq!(c.warnings[0].suggestions[0].id, "whole-exome-sequencing");
        // Read again on the next write: the same outcome.
        let again = c.fields.clone().check(&vocabs(), None, ReadMode::default()).unwrap().fields;
        assert_eq!(again, c.fields);
        // Beside a nice-to-have that reads, too.
        let c = need(serde_json::json!([{"technology": "WES", "required": false}, {"technology": "exome or genome", "required": false}]))
            .check(&vocabs(), None, ReadMode::default())
            .unwrap();
        assert_eq!((c.fields.technologies.len(), c.fields.held_technologies.len()), (1, 1));
        // With no technology that reads, or strict, or for a must-have: refused.
        for (techs, strict) in [
            (serde_json::json!([{"technology": "exome or genome", "required": false}]), false),
            (
                serde_json::json!([{"technology": "exome or genome", "required": false}, {"technology": "genome or exome", "required": false}]),
                false,
            ),
            (serde_json::json!([{"technology": "WES"}, {"technology": "exome or genome", "required": false}]), true),
            (serde_json::json!([{"technology": "WES"}, {"technology": "exome or genome"}]), false),
        ] {
            let e = need(techs.clone()).check(&vocabs(), None, ReadMode { strict }).unwrap_err();
            assert!(e.0.iter().any(|e| e.code == "unknown_term"), "{techs} {strict}: {e:?}");
        }
    }

    #[test]
    fn only_open_and_discussed_needs_are_matched() {
        let open: Vec<NeedStatus> = NeedStatus::ALL.into_iter().filter(|s| s.is_open_for_matching()).collect();
        assert_eq!(open, [NeedStatus::Open, NeedStatus::InDiscussion]);
    }

    #[test]
    fn the_need_life_table() {
        use NeedStatus::*;
        for s in NeedStatus::ALL {
            assert!(!s.next().contains(&s), "{s:?} moves to itself");
            // Withdrawn from anything but withdrawn and suspended.
            assert_eq!(s.next().contains(&Withdrawn), !matches!(s, Withdrawn | Suspended), "{s:?}");
        }
        let into = |to: NeedStatus| NeedStatus::ALL.into_iter().filter(|s| s.next().contains(&to)).collect::<Vec<_>>();
        assert_eq!(into(InDiscussion), [Open]);
        assert_eq!(into(Matched), [InDiscussion]);
        assert_eq!(into(Closed), [Matched]);
        assert_eq!(into(Expired), [Open, InDiscussion]);
        assert!(!Open.closes_introductions() && !InDiscussion.closes_introductions());
        assert!([Matched, Withdrawn, Expired, Suspended].iter().all(|s| s.closes_introductions()));
        assert!(!Closed.closes_introductions());
        assert_eq!(NeedStatus::ALL.into_iter().filter(|s| s.set_by_owner()).collect::<Vec<_>>(), [Closed, Withdrawn]);
    }

    #[test]
    fn need_validation() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let n: NeedFields = serde_json::from_value(serde_json::json!({
            "title": "scRNA-seq of NSCLC", "technologies": [{"technology": "scRNA-seq"}],
            "sample_type": "fresh frozen", "sample_count": 40, "cancer_type": "luad",
            "readiness_area": "translational", "country": "Lithuania", "deadline": "2027-01-31",
            "budget_eur": {"min": 100, "max": 50}
        }))
        .unwrap();
        let e = n.clone().validate(&vocabs(), Some(today)).unwrap_err();
        assert_eq!(e.0.len(), 1, "{e:?}");
        assert_eq!(e.0[0].field, "budget_eur");
        let mut n = n;
        n.budget_eur = None;
        let n = n.validate(&vocabs(), Some(today)).unwrap();
        assert_eq!(n.country, "LT");
        assert_eq!(n.cancer_type.as_deref(), Some("LUAD"));
        assert_eq!(n.acceptable_countries, ["ANY"]);
        assert!(n.technologies[0].required);
    }

    #[test]
    fn lists_typed_in_one_value_split_at_character_boundaries() {
        assert_eq!(split_list("plasma / serum"), ["plasma", "serum"]);
        assert_eq!(split_list("İİ / ẞ and (a, b)"), ["İİ", "ẞ", "(a, b)"]);
        assert_eq!(split_list("FFPE"), ["FFPE"]);
    }

    #[test]
    fn ror_ids() {
        assert_eq!(canonical_ror("https://ror.org/03jpm9j23").as_deref(), Some("https://ror.org/03jpm9j23"));
        assert!(canonical_ror("12345").is_none());
        assert!(canonical_ror("0ilou1234").is_none());
        // Nine bytes, but not nine ASCII characters: refused, not sliced mid-character.
        assert!(canonical_ror("0aaaaaéa").is_none());
    }
}
