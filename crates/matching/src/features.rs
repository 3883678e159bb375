//! A platform as ranking reads it. A match scores thousands of candidates; reading each
//! record's scattered strings (capabilities, sample types, accreditations, areas, country)
//! costs a cache miss apiece, and those misses were most of a ranking's time. [`Features`]
//! holds the same facts as vocabulary positions, bit sets and numbers in one small block,
//! worked out once when the record enters the catalogue. Ranking scores and bounds candidates
//! from it; the record itself is read only to explain the few it returns, by the rules of
//! `lib.rs` (a property test checks that both give the same score and the same exclusions).

use omics_domain::{Platform, PlatformStatus, Vocabularies, Vocabulary};
use uuid::Uuid;

use crate::components::{PerComponent, capacity_of, days_left, maturity_value, readiness_value, technology_value};
use crate::constraints::Constraint;
use crate::prepare::{Prepared, Relation};
use crate::rank::score;
use crate::{Evaluation, Exclusion};

/// A platform's facts as ranking reads them (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    id: Uuid,
    published: bool,
    external: bool,
    cross_border: bool,
    country: u16,
    maturity: u8,
    /// Bit `i`: the platform serves the readiness area at position `i`.
    readiness: u64,
    caps: Vec<CapabilityFeatures>,
}

#[derive(Debug, Clone, PartialEq)]
struct CapabilityFeatures {
    technology: u16,
    /// Bit sets of vocabulary positions; empty when the capability lists none.
    samples: u64,
    accreditations: u64,
    monthly_capacity: Option<u32>,
    turnaround_days: Option<u32>,
}

/// A candidate platform, with its features when the catalogue has them.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub platform: &'a Platform,
    pub features: Option<&'a Features>,
}

impl<'a> From<&'a Platform> for Candidate<'a> {
    fn from(platform: &'a Platform) -> Self {
        Candidate { platform, features: None }
    }
}

/// The bit set of the terms' positions (terms the vocabulary does not know are left out).
pub(crate) fn bits<'t>(v: &Vocabulary, terms: impl Iterator<Item = &'t str>) -> u64 {
    terms.filter_map(|t| v.position(t)).filter(|&i| i < 64).fold(0, |b, i| b | 1 << i)
}

/// The positions of every term, or None when one is unknown or beyond a bit set's 64.
fn all_bits(v: &Vocabulary, terms: &[String]) -> Option<u64> {
    terms.iter().try_fold(0u64, |b, t| v.position(t).filter(|&i| i < 64).map(|i| b | 1 << i))
}

impl Features {
    /// Whether the platform is published (what `Record::is_public` says of it).
    pub fn is_public(&self) -> bool {
        self.published
    }

    /// The platform's features, or None when a term is unknown to the vocabularies (or a
    /// vocabulary outgrows a bit set): such a platform is ranked from its record.
    pub fn of(p: &Platform, v: &Vocabularies) -> Option<Features> {
        let f = &p.fields;
        let caps = f
            .capabilities
            .iter()
            .map(|c| {
                Some(CapabilityFeatures {
                    technology: u16::try_from(v.technologies.position(&c.technology)?).ok()?,
                    samples: all_bits(&v.sample_types, &c.sample_types)?,
                    accreditations: all_bits(&v.accreditations, &c.accreditations)?,
                    monthly_capacity: c.monthly_capacity,
                    turnaround_days: c.turnaround_days,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Features {
            id: p.meta.id,
            published: f.status == PlatformStatus::Published,
            external: f.accepts_external_samples,
            cross_border: f.accepts_cross_border,
            country: u16::try_from(v.countries.position(&f.country)?).ok()?,
            maturity: f.maturity_level,
            readiness: all_bits(&v.readiness_areas, &f.readiness_areas)?,
            caps,
        })
    }
}

/// A table's entry at a position (the default past its end: features and tables come from the
/// same vocabularies, so that never happens, but a ranking must not panic on it).
fn at<T: Copy + Default>(table: &[T], i: u16) -> T {
    table.get(usize::from(i)).copied().unwrap_or_default()
}

impl Prepared<'_> {
    /// Whether the tables [`Features`] are read with are here.
    pub(crate) fn reads_features(&self) -> bool {
        !self.country.is_empty() && self.must.iter().chain(&self.nice).all(|w| w.table.is_some())
    }

    fn readiness_of(&self, f: &Features) -> f64 {
        let Some(table) = &self.readiness else { return 0.0 };
        let steps = table.iter().take(64).enumerate().filter(|(i, _)| f.readiness & (1 << i) != 0).map(|(_, &(_, d))| d).min();
        readiness_value(steps)
    }

    fn text_of(&self, f: &Features) -> f64 {
        self.ctx.text.get(&f.id).copied().unwrap_or(0.0)
    }

    /// [`crate::rank::bound_prepared`] from the features.
    pub(crate) fn bound_features(&self, f: &Features) -> f64 {
        let w = self.ctx.weights;
        let c = f.country;
        let equity = if w.equity > 0.0 && !self.must.is_empty() { at(&self.equity, c) } else { 0.0 };
        let values = PerComponent {
            technology: 1.0,
            readiness: self.readiness_of(f),
            country: at(&self.country, c),
            capacity: 1.0,
            text: self.text_of(f),
            maturity: maturity_value(f.maturity),
            accreditation: 1.0,
            equity,
        };
        score(w, values.into_pairs())
    }

    /// [`crate::rank::assess_prepared`] without reasons, from the features.
    pub(crate) fn assess_features(&self, f: &Features) -> Evaluation {
        let need = self.need;
        let mut out = Vec::new();
        let mut ex = |constraint| out.push(Exclusion { constraint, reason: String::new() });
        if !f.published {
            ex(Constraint::NotPublished);
        }
        if !need.status.is_open_for_matching() {
            ex(Constraint::NeedNotOpen);
        }
        let days_left = days_left(self);
        let takes = |c: &CapabilityFeatures| c.samples == 0 || c.samples & self.sample_bits != 0;
        let holds = |c: &CapabilityFeatures| self.accreditation_bits.is_none_or(|a| c.accreditations & a != 0);
        let capacity_of = |c: &CapabilityFeatures| capacity_of(need, c.monthly_capacity, c.turnaround_days, days_left, false).0;
        let (mut must, mut capacity, mut accredited) = (0.0, None::<f64>, false);
        for want in &self.must {
            let Some(table) = &want.table else { continue };
            let (mut offered, mut taken) = (false, false);
            let mut best: Option<Relation> = None;
            let mut best_capacity: Option<f64> = None;
            for c in &f.caps {
                let Some(r) = at(table, c.technology).filter(|r| r.satisfies()) else { continue };
                offered = true;
                if !takes(c) {
                    continue;
                }
                taken = true;
                if !holds(c) {
                    continue;
                }
                if best.is_none_or(|b| r.value().total_cmp(&b.value()).is_ge()) {
                    best = Some(r);
                }
                let value = capacity_of(c);
                if best_capacity.is_none_or(|b| value.total_cmp(&b).is_ge()) {
                    best_capacity = Some(value);
                }
                accredited |= c.accreditations != 0;
            }
            if !offered {
                ex(Constraint::MissingTechnology);
            } else if !taken {
                ex(Constraint::SampleTypeNotAccepted);
            } else if need.accreditation_required.is_some() && best.is_none() {
                ex(Constraint::AccreditationMissing);
            }
            must += best.map_or(0.0, Relation::value);
            if let Some(v) = best_capacity
                && capacity.is_none_or(|w| v < w)
            {
                capacity = Some(v);
            }
        }
        if self.must.is_empty() {
            // A need without must-haves: its pool is the capabilities offering a nice-to-have
            // (exact, narrower or broader), or every capability when none does.
            let offers = |c: &CapabilityFeatures| {
                self.nice.iter().any(|w| w.table.as_ref().is_some_and(|t| at(t, c.technology).is_some_and(Relation::satisfies)))
            };
            let any = f.caps.iter().any(offers);
            let (mut taken, mut served) = (false, false);
            for c in f.caps.iter().filter(|c| !any || offers(c)) {
                if !takes(c) {
                    continue;
                }
                taken = true;
                if !holds(c) {
                    continue;
                }
                served = true;
                let value = capacity_of(c);
                if capacity.is_none_or(|b| value.total_cmp(&b).is_ge()) {
                    capacity = Some(value);
                }
                accredited |= c.accreditations != 0;
            }
            if !taken {
                ex(Constraint::SampleTypeNotAccepted);
            } else if need.accreditation_required.is_some() && !served {
                ex(Constraint::AccreditationMissing);
            }
        }
        if !f.external {
            ex(Constraint::NoExternalSamples);
        }
        let c = f.country;
        if Some(usize::from(c)) != self.need_country && !f.cross_border {
            ex(Constraint::NoCrossBorder);
        }
        if !at(&self.acceptable, c) {
            ex(Constraint::CountryNotAcceptable);
        }
        if !out.is_empty() {
            return Evaluation::Excluded(out);
        }
        let mut nice = 0.0;
        for want in &self.nice {
            let Some(table) = &want.table else { continue };
            nice += f.caps.iter().filter_map(|c| at(table, c.technology)).map(Relation::value).fold(0.0, f64::max);
        }
        let technology = technology_value(must, self.must.len(), nice, self.nice.len());
        let equity = if self.must.is_empty() { 0.0 } else { at(&self.equity, c) };
        let values = PerComponent {
            technology,
            readiness: self.readiness_of(f),
            country: at(&self.country, c),
            capacity: capacity.unwrap_or(0.0),
            text: self.text_of(f),
            maturity: maturity_value(f.maturity),
            accreditation: if accredited { 1.0 } else { 0.0 },
            equity,
        };
        Evaluation::Match { score: score(self.ctx.weights, values.into_pairs()), components: Vec::new() }
    }
}
