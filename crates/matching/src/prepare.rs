//! What scoring reads of a need, worked out once: the technologies asked for and how every
//! technology term relates to each ([`Relation`]), the sample types and accreditations that
//! satisfy the need, and, for a ranking of many platforms, tables of the country and equity
//! values by country.

use omics_domain::{Capability, NeedFields, Platform, Vocabulary};

use crate::Context;
use crate::components::{country_value, equity_value};
use crate::features;

/// How a platform's technology relates to the one asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Exact,
    /// The platform's term is narrower (e.g. WES for "DNA sequencing"); `depth` steps below.
    Narrower(usize),
    /// The platform's term is broader (e.g. RNA sequencing for "total RNA sequencing"); `depth`
    /// steps above. It meets a must-have at a reduced value: the requester must check that the
    /// generic service covers the variant asked for.
    Broader(usize),
    /// Same parent: a different assay, which never meets a must-have.
    Sibling,
}

impl Relation {
    pub fn value(self) -> f64 {
        match self {
            Relation::Exact => 1.0,
            Relation::Narrower(1) => 0.8,
            Relation::Narrower(_) => 0.7,
            Relation::Broader(1) => 0.5,
            Relation::Broader(_) => 0.4,
            Relation::Sibling => 0.3,
        }
    }
    /// Whether this relation satisfies a must-have: the term itself, a narrower or a broader
    /// one, never a sibling.
    pub fn satisfies(self) -> bool {
        matches!(self, Relation::Exact | Relation::Narrower(_) | Relation::Broader(_))
    }
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Relation::Exact => "exact match",
            Relation::Narrower(_) => "narrower term",
            Relation::Broader(_) => "broader term",
            Relation::Sibling => "related term",
        }
    }
}

/// How `have` relates to `want` in the technology hierarchy.
pub fn relation(v: &Vocabulary, want: &str, have: &str) -> Option<Relation> {
    if want == have {
        return Some(Relation::Exact);
    }
    if let Some(d) = v.depth_below(have, want) {
        return Some(Relation::Narrower(d));
    }
    if let Some(d) = v.depth_below(want, have) {
        return Some(Relation::Broader(d));
    }
    v.siblings(want, have).then_some(Relation::Sibling)
}

/// A platform's capabilities, each with the vocabulary position of its technology (looked up
/// once per candidate).
pub(crate) type Caps<'p> = Vec<(&'p Capability, Option<usize>)>;

pub(crate) fn caps_of<'p>(prep: &Prepared<'_>, p: &'p Platform) -> Caps<'p> {
    p.fields.capabilities.iter().map(|c| (c, prep.ctx.vocabs.technologies.position(&c.technology))).collect()
}

/// A technology the need asks for, with how every technology term relates to it (by vocabulary
/// position) when tabled.
pub(crate) struct Wanted<'a> {
    pub(crate) id: &'a str,
    pub(crate) table: Option<Vec<Option<Relation>>>,
}

/// What scoring reads of a need, worked out once for a ranking instead of once per candidate:
/// how every technology term relates to each technology asked for, the sample types and
/// accreditations that satisfy the need, and the country and equity values of every country.
/// [`Prepared::light`] leaves the tables out (one pair, or needs ranked for a platform, where
/// each need is scored once): every lookup then works the value out directly, by the same rule.
pub(crate) struct Prepared<'a> {
    pub(crate) need: &'a NeedFields,
    pub(crate) ctx: &'a Context<'a>,
    pub(crate) must: Vec<Wanted<'a>>,
    pub(crate) nice: Vec<Wanted<'a>>,
    /// The need's sample type and its broader terms: a capability listing any of them takes it.
    pub(crate) samples: Vec<&'a str>,
    /// With a required accreditation: it and its narrower terms (holding any satisfies it).
    pub(crate) accreditations: Option<Vec<&'a str>>,
    /// Readiness areas with their steps from the need's (None: the need's area is unknown).
    pub(crate) readiness: Option<Vec<(&'a str, usize)>>,
    /// When tabled, by country position: the country and equity values (without reasons) of
    /// a platform there, and whether the requester accepts it.
    pub(crate) country: Vec<f64>,
    pub(crate) equity: Vec<f64>,
    pub(crate) acceptable: Vec<bool>,
    /// When tabled, as bit sets of vocabulary positions: [`Prepared::samples`] and
    /// [`Prepared::accreditations`] (for [`Features`], whose sets are bit sets too).
    pub(crate) sample_bits: u64,
    pub(crate) accreditation_bits: Option<u64>,
    /// The requester's country position.
    pub(crate) need_country: Option<usize>,
}

impl<'a> Prepared<'a> {
    pub(crate) fn light(need: &'a NeedFields, ctx: &'a Context<'a>) -> Self {
        let v = ctx.vocabs;
        let wanted = |required: bool| {
            need.technologies.iter().filter(|t| t.required == required).map(|t| Wanted { id: t.technology.as_str(), table: None }).collect()
        };
        let accreditations = need.accreditation_required.as_deref().map(|a| {
            let narrower = v.accreditations.terms().iter().map(|t| t.id.as_str()).filter(|t| *t != a);
            std::iter::once(a).chain(narrower.filter(|t| v.accreditations.ancestors(t).any(|x| x == a))).collect()
        });
        let areas = &v.readiness_areas;
        let readiness = areas
            .position(&need.readiness_area)
            .map(|w| areas.terms().iter().enumerate().map(|(i, t)| (t.id.as_str(), i.abs_diff(w))).collect());
        Prepared {
            need,
            ctx,
            readiness,
            must: wanted(true),
            nice: wanted(false),
            samples: v.sample_types.self_and_ancestors(&need.sample_type).collect(),
            accreditations,
            country: Vec::new(),
            equity: Vec::new(),
            acceptable: Vec::new(),
            sample_bits: 0,
            accreditation_bits: None,
            need_country: v.countries.position(&need.country),
        }
    }

    /// With every table: for ranking many platforms for one need.
    pub(crate) fn tabled(need: &'a NeedFields, ctx: &'a Context<'a>) -> Self {
        let mut p = Self::light(need, ctx);
        let techs = &ctx.vocabs.technologies;
        for w in p.must.iter_mut().chain(p.nice.iter_mut()) {
            w.table = Some(techs.terms().iter().map(|t| relation(techs, w.id, &t.id)).collect());
        }
        for c in ctx.vocabs.countries.terms() {
            p.country.push(country_value(need, &c.id, ctx));
            p.equity.push(equity_value(need, &c.id, ctx));
            p.acceptable.push(need.accepts_country(&c.id));
        }
        p.sample_bits = features::bits(&ctx.vocabs.sample_types, p.samples.iter().copied());
        p.accreditation_bits = p.accreditations.as_ref().map(|a| features::bits(&ctx.vocabs.accreditations, a.iter().copied()));
        p
    }

    /// How the capability's technology (at vocabulary position `pos`) relates to `w`.
    pub(crate) fn relation(&self, w: &Wanted<'_>, cap: &Capability, pos: Option<usize>) -> Option<Relation> {
        let v = &self.ctx.vocabs.technologies;
        match (&w.table, pos) {
            (Some(table), Some(i)) => table[i],
            _ => relation(v, w.id, &cap.technology),
        }
    }

    pub(crate) fn takes_sample(&self, cap: &Capability) -> bool {
        cap.sample_types.is_empty() || self.samples.iter().any(|s| cap.sample_types.iter().any(|c| c == s))
    }

    /// Whether the capability holds the required accreditation (true when none is required).
    pub(crate) fn accredited(&self, cap: &Capability) -> bool {
        self.accreditations.as_ref().is_none_or(|ok| cap.accreditations.iter().any(|a| ok.contains(&a.as_str())))
    }

    pub(crate) fn country(&self, c: &str) -> f64 {
        let at = self.ctx.vocabs.countries.position(c).and_then(|i| self.country.get(i));
        at.copied().unwrap_or_else(|| country_value(self.need, c, self.ctx))
    }

    pub(crate) fn equity(&self, c: &str) -> f64 {
        let at = self.ctx.vocabs.countries.position(c).and_then(|i| self.equity.get(i));
        at.copied().unwrap_or_else(|| equity_value(self.need, c, self.ctx))
    }
}
