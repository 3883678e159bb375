//! "Others like this one": the published platforms closest to a platform in what they offer
//! (technologies, and the families they belong to), whom they serve (readiness areas), what
//! they take (sample types) and how they describe themselves (shared content words), each
//! part with a reason a person can check.

use std::collections::BTreeSet;

use omics_domain::{Platform, PlatformFields, Record, Vocabularies};
use omics_index::{Audience, Filter, SearchRequest, Sort};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::params::page_limit;
use crate::{Actor, Error, Result, Service};

/// Platforms scored at a time: those sharing a technology family, most recently updated first.
const CANDIDATES: usize = 2_000;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SimilarParams {
    /// Results (default 20, at most 100).
    pub limit: Option<u32>,
}

/// What a part of the likeness measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Aspect {
    /// Technologies in common (a shared family counts a third as much as a shared term).
    Technology,
    /// Readiness areas in common.
    Readiness,
    /// Sample types in common.
    SampleTypes,
    /// Content words in common in the names and descriptions.
    Text,
}

/// One part of a likeness.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Likeness {
    pub aspect: Aspect,
    /// In [0, 1]: the overlap (Jaccard) of the two sets.
    pub value: f64,
    pub weight: f64,
    /// `value * weight`: what it adds to the score.
    pub contribution: f64,
    /// What the two have in common, true of the data.
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarPlatform {
    pub platform: Platform,
    /// In [0, 1]: the sum of the contributions.
    pub score: f64,
    pub likeness: Vec<Likeness>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarPlatforms {
    pub platform_id: Uuid,
    /// Most alike first.
    pub items: Vec<SimilarPlatform>,
}

const WEIGHTS: [(Aspect, f64); 4] = [(Aspect::Technology, 0.5), (Aspect::Readiness, 0.2), (Aspect::SampleTypes, 0.1), (Aspect::Text, 0.2)];

/// Words too common in platform descriptions to say two are alike.
const STOP: &[&str] = &[
    "and",
    "the",
    "for",
    "with",
    "from",
    "our",
    "that",
    "this",
    "are",
    "its",
    "their",
    "into",
    "also",
    "offers",
    "offer",
    "provides",
    "provide",
    "platform",
    "facility",
    "core",
    "cancer",
    "research",
    "services",
    "service",
    "samples",
    "sample",
    "analysis",
    "based",
    "using",
    "including",
    "support",
    "projects",
    "institute",
    "laboratory",
    "lab",
    "unit",
    "centre",
    "center",
    "data",
];

fn jaccard<T: Ord>(a: &BTreeSet<T>, b: &BTreeSet<T>) -> f64 {
    let union = a.union(b).count();
    if union == 0 { 0.0 } else { a.intersection(b).count() as f64 / union as f64 }
}

fn words(f: &PlatformFields) -> BTreeSet<String> {
    format!("{} {}", f.name, f.description)
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4 && !STOP.contains(w))
        .map(str::to_owned)
        .collect()
}

/// What the likeness of two platforms reads of one.
struct Profile {
    terms: BTreeSet<String>,
    families: BTreeSet<String>,
    readiness: BTreeSet<String>,
    samples: BTreeSet<String>,
    words: BTreeSet<String>,
}

impl Profile {
    fn of(f: &PlatformFields, v: &Vocabularies) -> Profile {
        let terms: BTreeSet<String> = f.capabilities.iter().map(|c| c.technology.clone()).collect();
        let families = terms.iter().filter_map(|t| v.technologies.self_and_ancestors(t).last().map(str::to_owned)).collect();
        Profile {
            terms,
            families,
            readiness: f.readiness_areas.iter().cloned().collect(),
            samples: f.capabilities.iter().flat_map(|c| c.sample_types.iter().cloned()).collect(),
            words: words(f),
        }
    }
}

/// Labels of the shared values, at most `n`, then how many more.
fn shared(a: &BTreeSet<String>, b: &BTreeSet<String>, label: impl Fn(&str) -> String, n: usize) -> String {
    let all: Vec<String> = a.intersection(b).map(|s| label(s)).collect();
    let mut out = all.iter().take(n).cloned().collect::<Vec<_>>().join(", ");
    if all.len() > n {
        out.push_str(&format!(" and {} more", all.len() - n));
    }
    out
}

/// The likeness of `other` to `this`, part by part.
fn likeness(this: &Profile, other: &Profile, v: &Vocabularies) -> Vec<Likeness> {
    let tech = {
        let (t, f) = (jaccard(&this.terms, &other.terms), jaccard(&this.families, &other.families));
        let value = (3.0 * t + f) / 4.0;
        let reason = match (shared(&this.terms, &other.terms, |t| v.technologies.label(t).to_owned(), 4), value > 0.0) {
            (s, _) if !s.is_empty() => format!("both offer {s}"),
            (_, true) => format!("both work in {}", shared(&this.families, &other.families, |t| v.technologies.label(t).to_lowercase(), 3)),
            _ => "no technology in common".to_owned(),
        };
        (value, reason)
    };
    let set = |a: &BTreeSet<String>, b: &BTreeSet<String>, label: &dyn Fn(&str) -> String, what: &str, none: &str| {
        let value = jaccard(a, b);
        let s = shared(a, b, label, 4);
        (value, if s.is_empty() { none.to_owned() } else { format!("{what} {s}") })
    };
    let readiness =
        set(&this.readiness, &other.readiness, &|r| v.readiness_areas.label(r).to_lowercase(), "both serve", "no readiness area in common");
    let samples = set(&this.samples, &other.samples, &|s| v.sample_types.label(s).to_lowercase(), "both take", "no sample type in common");
    let text = set(&this.words, &other.words, &|w| w.to_owned(), "their descriptions share", "their descriptions share no content word");
    WEIGHTS
        .iter()
        .zip([tech, readiness, samples, text])
        .map(|(&(aspect, weight), (value, reason))| Likeness { aspect, value, weight, contribution: value * weight, reason })
        .collect()
}

impl Service {
    /// Published platforms most like platform `id` (which `viewer` may see), with reasons.
    pub fn similar_platforms(&self, id: Uuid, viewer: Option<&Actor>, params: &SimilarParams) -> Result<SimilarPlatforms> {
        let limit = page_limit(params.limit)? as usize;
        let Record::Platform(platform) = self.load::<PlatformFields>(id, viewer)? else {
            return Err(Error::internal("record of the wrong kind"));
        };
        let v = &self.vocabs;
        let this = Profile::of(&platform.fields, v);
        let req = SearchRequest {
            kind: omics_domain::Kind::Platform,
            text: None,
            filters: vec![(Filter::Technology, this.families.iter().cloned().collect())],
            audience: Audience::Anonymous,
            sort: Sort::UpdatedDesc,
            offset: 0,
            limit: CANDIDATES,
        };
        let ids: Vec<Uuid> =
            if this.families.is_empty() { Vec::new() } else { self.index.search(&req)?.ids.into_iter().map(|(id, _)| id).collect() };
        let mut scored: Vec<(f64, Vec<Likeness>, Platform)> = self
            .index
            .catalogue
            .get_many(&ids)
            .iter()
            .filter_map(|e| match &e.record {
                Record::Platform(p) if p.meta.id != id && e.record.is_public() => Some(p.clone()),
                _ => None,
            })
            .map(|p| {
                let parts = likeness(&this, &Profile::of(&p.fields, v), v);
                (parts.iter().map(|l| l.contribution).sum::<f64>(), parts, p)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.2.meta.id.cmp(&b.2.meta.id)));
        scored.truncate(limit);
        // As the database holds them now (the catalogue may lag a moment behind).
        let current = self.store.get_many(&scored.iter().map(|(_, _, p)| p.meta.id).collect::<Vec<_>>())?;
        let items = scored
            .into_iter()
            .filter_map(|(score, likeness, p)| {
                let now = current.iter().find(|r| r.meta().id == p.meta.id).filter(|r| r.is_public())?;
                match now {
                    Record::Platform(p) => Some(SimilarPlatform { platform: p.clone(), score, likeness }),
                    Record::Need(_) => None,
                }
            })
            .collect();
        Ok(SimilarPlatforms { platform_id: id, items })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(name: &str, techs: &[&str], areas: &[&str], description: &str) -> PlatformFields {
        serde_json::from_value(serde_json::json!({
            "name": name, "organisation": {"name": "O"}, "country": "BE", "city": "Gent", "maturity_level": 2,
            "description": description, "readiness_areas": areas,
            "capabilities": techs.iter().map(|t| serde_json::json!({"technology": t, "sample_types": ["ffpe-tissue"]})).collect::<Vec<_>>(),
        }))
        .unwrap()
    }

    #[test]
    fn shared_terms_count_more_than_shared_families_and_reasons_say_what_is_shared() {
        let v = Vocabularies::builtin().unwrap();
        let this = Profile::of(&fields("A", &["whole-exome-sequencing"], &["translational-research"], "Exome panels for tumours"), &v);
        let same = Profile::of(&fields("B", &["whole-exome-sequencing"], &["translational-research"], "Exome work on tumours"), &v);
        let family = Profile::of(&fields("C", &["whole-genome-sequencing"], &["routine-care"], "Genomes"), &v);
        let other = Profile::of(&fields("D", &["untargeted-metabolomics"], &["routine-care"], "Metabolites"), &v);
        let score = |p: &Profile| likeness(&this, p, &v).iter().map(|l| l.contribution).sum::<f64>();
        assert!(score(&same) > score(&family) && score(&family) > score(&other), "{} {} {}", score(&same), score(&family), score(&other));
        let parts = likeness(&this, &same, &v);
        assert!(parts[0].reason.starts_with("both offer Whole"), "{}", parts[0].reason);
        assert!(parts[3].reason.contains("exome") && parts[3].reason.contains("tumours"), "{}", parts[3].reason);
        assert!(likeness(&this, &family, &v)[0].reason.starts_with("both work in dna sequencing"), "{:?}", likeness(&this, &family, &v)[0]);
        assert_eq!(likeness(&this, &other, &v)[0].reason, "no technology in common");
        assert_eq!(score(&other), likeness(&this, &other, &v)[2].contribution, "only the sample type is shared");
    }
}
