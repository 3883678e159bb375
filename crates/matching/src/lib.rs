//! omics-match scoring engine: pure and synchronous. Given a need, candidate platforms (or a
//! platform and candidate needs) and what the index knows (text relevance, how many platforms
//! offer a technology in each country), it excludes by hard constraints and scores the rest
//! in [0, 1] as a weighted mean of components, each with a sentence a person can check.

pub mod eval;
mod features;
mod weights;

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::NaiveDate;
use omics_domain::{Capability, Need, NeedFields, Platform, PlatformStatus, Vocabularies, Vocabulary};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

pub use features::{Candidate, Features};
pub use weights::{NAMES as COMPONENTS, Weights};

/// Months assumed when a need has no deadline.
pub const HORIZON_MONTHS_WITHOUT_DEADLINE: f64 = 6.0;
const DAYS_PER_MONTH: f64 = 30.44;

/// One part of a score.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Component {
    /// `technology`, `readiness`, `country`, `capacity`, `text`, `maturity`, `accreditation` or `equity`.
    pub name: &'static str,
    /// The component's value in [0, 1].
    pub value: f64,
    /// Its weight in this request.
    pub weight: f64,
    /// `value * weight / sum of weights`: what it adds to the score.
    pub contribution: f64,
    /// What the value means, true of the data.
    pub reason: String,
}

/// A hard constraint that excludes a candidate.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Exclusion {
    /// `not_published`, `need_not_open`, `missing_technology`, `sample_type_not_accepted`,
    /// `accreditation_missing`, `no_external_samples`, `no_cross_border`, `country_not_acceptable`.
    pub constraint: &'static str,
    pub reason: String,
}

/// The outcome for one need-platform pair.
#[derive(Debug, Clone, PartialEq)]
pub enum Evaluation {
    Match { score: f64, components: Vec<Component> },
    Excluded(Vec<Exclusion>),
}

impl Evaluation {
    pub fn score(&self) -> f64 {
        match self {
            Evaluation::Match { score, .. } => *score,
            Evaluation::Excluded(_) => 0.0,
        }
    }
}

/// How a technology typed as free text was read (for the reason of the technology component).
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub typed: String,
    pub technology: String,
    pub similarity: f64,
}

/// Published platforms offering a technology (or a narrower one), per country.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Supply(pub HashMap<String, HashMap<String, u64>>);

impl Supply {
    pub fn count(&self, technology: &str, country: &str) -> u64 {
        self.0.get(technology).and_then(|m| m.get(country)).copied().unwrap_or(0)
    }
}

/// Text relevance by candidate id, in [0, 1] (an Fx hash: ids are random already).
pub type TextScores = HashMap<Uuid, f64, rustc_hash::FxBuildHasher>;

/// Everything besides the pair itself that scoring reads.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub vocabs: &'a Vocabularies,
    pub weights: Weights,
    pub today: NaiveDate,
    /// Text relevance of each candidate, normalised to [0, 1] (best candidate 1).
    pub text: &'a TextScores,
    pub supply: &'a Supply,
    pub readings: &'a [Reading],
}

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
    fn describe(self) -> &'static str {
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

/// What a hard-constraint group of a need asks for.
enum Asked<'p> {
    /// One must-have technology: its pool is the capabilities offering it, a narrower or a
    /// broader technique.
    Must(&'p str),
    /// A need without must-haves: the nice-to-haves some capability offers (exact, narrower or
    /// broader), whose capabilities are the pool; when it is empty, every capability is.
    Nice(Vec<&'p str>),
}

/// For one group (see [`Asked`]): whether its pool of capabilities is not empty and some
/// capability of it takes the need's sample, the capabilities that serve it (those that also
/// hold a required accreditation) and, for a must-have, the best of them with its relation.
struct Served<'p> {
    asked: Asked<'p>,
    offered: bool,
    taken: bool,
    caps: Vec<&'p Capability>,
    best: Option<(&'p Capability, Relation)>,
}

/// A platform's capabilities, each with the vocabulary position of its technology (looked up
/// once per candidate).
type Caps<'p> = Vec<(&'p Capability, Option<usize>)>;

fn caps_of<'p>(prep: &Prepared<'_>, p: &'p Platform) -> Caps<'p> {
    p.fields.capabilities.iter().map(|c| (c, prep.ctx.vocabs.technologies.position(&c.technology))).collect()
}

/// A technology the need asks for, with how every technology term relates to it (by vocabulary
/// position) when tabled.
struct Wanted<'a> {
    id: &'a str,
    table: Option<Vec<Option<Relation>>>,
}

/// What scoring reads of a need, worked out once for a ranking instead of once per candidate:
/// how every technology term relates to each technology asked for, the sample types and
/// accreditations that satisfy the need, and the country and equity values of every country.
/// [`Prepared::light`] leaves the tables out (one pair, or needs ranked for a platform, where
/// each need is scored once): every lookup then works the value out directly, by the same rule.
struct Prepared<'a> {
    need: &'a NeedFields,
    ctx: &'a Context<'a>,
    must: Vec<Wanted<'a>>,
    nice: Vec<Wanted<'a>>,
    /// The need's sample type and its broader terms: a capability listing any of them takes it.
    samples: Vec<&'a str>,
    /// With a required accreditation: it and its narrower terms (holding any satisfies it).
    accreditations: Option<Vec<&'a str>>,
    /// Readiness areas with their steps from the need's (None: the need's area is unknown).
    readiness: Option<Vec<(&'a str, usize)>>,
    /// When tabled, by country position: the country and equity values (without reasons) of
    /// a platform there, and whether the requester accepts it.
    country: Vec<f64>,
    equity: Vec<f64>,
    acceptable: Vec<bool>,
    /// When tabled, as bit sets of vocabulary positions: [`Prepared::samples`] and
    /// [`Prepared::accreditations`] (for [`Features`], whose sets are bit sets too).
    sample_bits: u64,
    accreditation_bits: Option<u64>,
    /// The requester's country position.
    need_country: Option<usize>,
}

impl<'a> Prepared<'a> {
    fn light(need: &'a NeedFields, ctx: &'a Context<'a>) -> Self {
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
    fn tabled(need: &'a NeedFields, ctx: &'a Context<'a>) -> Self {
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
    fn relation(&self, w: &Wanted<'_>, cap: &Capability, pos: Option<usize>) -> Option<Relation> {
        let v = &self.ctx.vocabs.technologies;
        match (&w.table, pos) {
            (Some(table), Some(i)) => table[i],
            _ => relation(v, w.id, &cap.technology),
        }
    }

    fn takes_sample(&self, cap: &Capability) -> bool {
        cap.sample_types.is_empty() || self.samples.iter().any(|s| cap.sample_types.iter().any(|c| c == s))
    }

    /// Whether the capability holds the required accreditation (true when none is required).
    fn accredited(&self, cap: &Capability) -> bool {
        self.accreditations.as_ref().is_none_or(|ok| cap.accreditations.iter().any(|a| ok.contains(&a.as_str())))
    }

    fn country(&self, c: &str) -> f64 {
        let at = self.ctx.vocabs.countries.position(c).and_then(|i| self.country.get(i));
        at.copied().unwrap_or_else(|| country_value(self.need, c, self.ctx))
    }

    fn equity(&self, c: &str) -> f64 {
        let at = self.ctx.vocabs.countries.position(c).and_then(|i| self.equity.get(i));
        at.copied().unwrap_or_else(|| equity_value(self.need, c, self.ctx))
    }
}

fn km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2) + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

fn point(v: &Vocabulary, c: &str) -> Option<(f64, f64)> {
    let t = v.get(c)?;
    Some((t.lat?, t.lon?))
}

/// Land borders to cross from `a` to `b`, if they are connected by land.
pub fn hops(v: &Vocabulary, a: &str, b: &str) -> Option<usize> {
    let mut seen = HashSet::from([a.to_owned()]);
    let mut queue = VecDeque::from([(a.to_owned(), 0)]);
    while let Some((c, d)) = queue.pop_front() {
        if c == b {
            return Some(d);
        }
        for n in v.get(&c).map(|t| t.neighbours.as_slice()).unwrap_or_default() {
            if seen.insert(n.clone()) {
                queue.push_back((n.clone(), d + 1));
            }
        }
    }
    None
}

/// A label inside a sentence: "Whole exome sequencing" → "whole exome sequencing", while
/// "DNA sequencing" keeps its acronym.
fn lower(label: &str) -> String {
    let mut c = label.chars();
    match (c.next(), c.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && !b.is_uppercase() => a.to_lowercase().chain(label.chars().skip(1)).collect(),
        _ => label.to_owned(),
    }
}

/// `format!` only when the reason will be shown: ranking scores every candidate without
/// building a sentence, then explains the few it returns.
macro_rules! why {
    ($explain:expr, $($arg:tt)*) => {
        if $explain { format!($($arg)*) } else { String::new() }
    };
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Hard constraints of a platform for a need; empty when none is broken.
pub fn exclusions(need: &NeedFields, p: &Platform, v: &Vocabularies) -> Vec<Exclusion> {
    let (text, supply) = (TextScores::default(), Supply::default());
    let ctx = Context { vocabs: v, weights: Weights::default(), today: NaiveDate::MIN, text: &text, supply: &supply, readings: &[] };
    let prep = Prepared::light(need, &ctx);
    check(&prep, p, &serving(&prep, &caps_of(&prep, p)), true)
}

/// Hard constraints broken; reasons are empty unless `explain`.
fn check(prep: &Prepared<'_>, p: &Platform, served: &[Served<'_>], explain: bool) -> Vec<Exclusion> {
    let (need, v) = (prep.need, prep.ctx.vocabs);
    let mut out = Vec::new();
    let f = &p.fields;
    let mut ex = |constraint, reason: String| out.push(Exclusion { constraint, reason });
    if f.status != PlatformStatus::Published {
        ex("not_published", why!(explain, "{} is {}, not published", f.name, f.status.as_str()));
    }
    if !need.status.is_open_for_matching() {
        ex("need_not_open", why!(explain, "the need is {}", need.status.as_str()));
    }
    let sample = || v.sample_types.label(&need.sample_type);
    for s in served {
        let nice = |list: &[&str]| list.iter().map(|t| lower(v.technologies.label(t))).collect::<Vec<_>>().join(" or ");
        if let Asked::Must(t) = &s.asked
            && !s.offered
        {
            ex(
                "missing_technology",
                why!(explain, "offers no {}, nor a narrower or broader technique (a must-have)", v.technologies.label(t)),
            );
        } else if !s.taken {
            let reason = match &s.asked {
                Asked::Must(t) => why!(explain, "its {} does not take {}", v.technologies.label(t), sample()),
                Asked::Nice(list) if !list.is_empty() => {
                    why!(explain, "none of its capabilities offering {} (nice-to-have) takes {}", nice(list), lower(sample()))
                }
                Asked::Nice(_) => why!(explain, "none of its capabilities takes {}", lower(sample())),
            };
            ex("sample_type_not_accepted", reason);
        } else if let Some(a) = &need.accreditation_required
            && s.caps.is_empty()
        {
            let a = v.accreditations.label(a);
            let reason = match &s.asked {
                Asked::Must(t) => why!(explain, "its {} does not hold {a}, which the need requires", v.technologies.label(t)),
                Asked::Nice(list) if !list.is_empty() => why!(
                    explain,
                    "none of its capabilities offering {} (nice-to-have) that take {} holds {a}, which the need requires",
                    nice(list),
                    lower(sample())
                ),
                Asked::Nice(_) => {
                    why!(explain, "none of its capabilities that take {} holds {a}, which the need requires", lower(sample()))
                }
            };
            ex("accreditation_missing", reason);
        }
    }
    if !f.accepts_external_samples {
        ex("no_external_samples", why!(explain, "{} takes no external samples", f.name));
    }
    if f.country != need.country && !f.accepts_cross_border {
        ex(
            "no_cross_border",
            why!(explain, "{} takes no samples from abroad and the requester is in {}", f.name, v.countries.label(&need.country)),
        );
    }
    if !need.accepts_country(&f.country) {
        ex(
            "country_not_acceptable",
            why!(
                explain,
                "{} is not among the requester's acceptable countries ({})",
                v.countries.label(&f.country),
                need.acceptable_countries.join(", ")
            ),
        );
    }
    out
}

/// The groups of hard constraints of a need against the platform's capabilities: one per
/// must-have technology or, for a need without must-haves, one for the nice-to-haves (see
/// [`Asked`]). The sample-type and accreditation constraints hold for every need.
fn serving<'p>(prep: &'p Prepared<'_>, caps: &Caps<'p>) -> Vec<Served<'p>> {
    if prep.must.is_empty() {
        let offers = |want: &Wanted<'_>, c: &Capability, pos| prep.relation(want, c, pos).is_some_and(Relation::satisfies);
        let offered: Vec<&str> = prep.nice.iter().filter(|w| caps.iter().any(|&(c, pos)| offers(w, c, pos))).map(|w| w.id).collect();
        let whole = offered.is_empty();
        let pool = caps.iter().filter(move |&&(c, pos)| whole || prep.nice.iter().any(|w| offers(w, c, pos))).map(|&(c, _)| (c, None));
        return vec![served_by(prep, Asked::Nice(offered), pool)];
    }
    prep.must
        .iter()
        .map(|want| {
            let pool = caps.iter().filter_map(|&(c, pos)| prep.relation(want, c, pos).filter(|r| r.satisfies()).map(|r| (c, Some(r))));
            served_by(prep, Asked::Must(want.id), pool)
        })
        .collect()
}

/// A group's outcome over its pool of capabilities (with their relation to a must-have).
fn served_by<'p>(prep: &Prepared<'_>, asked: Asked<'p>, pool: impl Iterator<Item = (&'p Capability, Option<Relation>)>) -> Served<'p> {
    let mut s = Served { asked, offered: false, taken: false, caps: Vec::new(), best: None };
    for (c, r) in pool {
        s.offered = true;
        if !prep.takes_sample(c) {
            continue;
        }
        s.taken = true;
        if !prep.accredited(c) {
            continue;
        }
        s.caps.push(c);
        // Exact before narrower before broader (the values say so); the first of equals.
        if let Some(r) = r
            && s.best.is_none_or(|(_, b)| r.value() > b.value())
        {
            s.best = Some((c, r));
        }
    }
    s
}

fn technology(prep: &Prepared<'_>, caps: &Caps<'_>, served: &[Served<'_>], explain: bool) -> (f64, String) {
    let v = &prep.ctx.vocabs.technologies;
    let mut parts = Vec::new();
    let (mut must, mut met) = (0.0, 0);
    for s in served {
        let (Asked::Must(t), Some((c, r))) = (&s.asked, s.best) else { continue };
        met += 1;
        must += r.value();
        if explain {
            let (want, offered) = (lower(v.label(t)), lower(v.label(&c.technology)));
            parts.push(match r {
                Relation::Exact => format!("Offers {want} (exact match)"),
                Relation::Broader(1) => format!("Offers {offered}, the broader technique: ask whether it covers {want}"),
                Relation::Broader(d) => format!("Offers {offered}, a technique {d} levels broader: ask whether it covers {want}"),
                _ => format!("Offers {offered} for {want} ({})", r.describe()),
            });
        }
    }
    if explain && !prep.must.is_empty() {
        let n = prep.must.len();
        parts.push(format!("{met} of {n} must-have {}", if n == 1 { "technology" } else { "technologies" }));
    }
    let (mut nice, mut have) = (0.0, Vec::new());
    for want in &prep.nice {
        let q = caps.iter().filter_map(|&(c, pos)| prep.relation(want, c, pos)).map(Relation::value).fold(0.0, f64::max);
        nice += q;
        if explain && q > 0.0 {
            have.push(lower(v.label(want.id)));
        }
    }
    if explain && !prep.nice.is_empty() {
        let n = prep.nice.len();
        parts.push(if have.is_empty() {
            format!("none of {n} nice-to-have")
        } else {
            format!("{} of {n} nice-to-have ({})", have.len(), have.join(", "))
        });
    }
    for r in prep.ctx.readings.iter().filter(|_| explain) {
        parts.push(format!("'{}' read as {} (similarity {:.2})", r.typed, v.label(&r.technology), r.similarity));
    }
    (technology_value(must, prep.must.len(), nice, prep.nice.len()), parts.join("; "))
}

/// The technology component from the sums of the best relation values of the `n_must`
/// must-have and `n_nice` nice-to-have technologies: must-haves weigh three quarters.
fn technology_value(must: f64, n_must: usize, nice: f64, n_nice: usize) -> f64 {
    let mean = |sum: f64, n: usize| if n == 0 { 0.0 } else { sum / n as f64 };
    match (n_must == 0, n_nice == 0) {
        (false, true) => mean(must, n_must),
        (false, false) => 0.75 * mean(must, n_must) + 0.25 * mean(nice, n_nice),
        (true, false) => mean(nice, n_nice),
        (true, true) => 0.0,
    }
}

fn readiness(prep: &Prepared<'_>, p: &Platform, explain: bool) -> (f64, String) {
    let Some(table) = &prep.readiness else { return (0.0, why!(explain, "the need's readiness area is unknown")) };
    let steps = |a: &String| table.iter().find(|(id, _)| id == a).map(|&(_, d)| d);
    if !explain {
        return (readiness_value(p.fields.readiness_areas.iter().filter_map(steps).min()), String::new());
    }
    let (v, want) = (&prep.ctx.vocabs.readiness_areas, &prep.need.readiness_area);
    let best = p.fields.readiness_areas.iter().filter_map(|a| steps(a).map(|d| (d, a))).min();
    let reason = match best {
        None => "States no clinical readiness area".into(),
        Some((0, _)) => format!("Serves {} (same area)", lower(v.label(want))),
        Some((1, a)) => format!("Serves {}, adjacent to {}", lower(v.label(a)), lower(v.label(want))),
        Some((d, a)) => format!("Serves {}, {d} steps from {}", lower(v.label(a)), lower(v.label(want))),
    };
    (readiness_value(best.map(|(d, _)| d)), reason)
}

/// The readiness component from the fewest steps between an area the platform serves and the
/// need's: the same area 1, the next one 0.5.
fn readiness_value(steps: Option<usize>) -> f64 {
    match steps {
        Some(0) => 1.0,
        Some(1) => 0.5,
        _ => 0.0,
    }
}

/// How near a platform in country `c` is to the requester: 1 in the same country, 0.85 in a
/// country the requester named, 0.7 next door, else falling with the distance.
fn country_value(need: &NeedFields, c: &str, ctx: &Context<'_>) -> f64 {
    let v = &ctx.vocabs.countries;
    let r = need.country.as_str();
    if r == c {
        1.0
    } else if need.acceptable_countries.iter().any(|a| a == c) {
        0.85
    } else if v.get(r).is_some_and(|t| t.neighbours.iter().any(|n| n == c)) {
        0.7
    } else {
        (0.6 * (1.0 - distance(v, r, c) / 4000.0)).max(0.0)
    }
}

fn distance(v: &Vocabulary, a: &str, b: &str) -> f64 {
    match (point(v, a), point(v, b)) {
        (Some(a), Some(b)) => km(a, b),
        _ => 5000.0,
    }
}

fn country(prep: &Prepared<'_>, p: &Platform, explain: bool) -> (f64, String) {
    let (need, v) = (prep.need, &prep.ctx.vocabs.countries);
    let (r, c) = (&need.country, &p.fields.country);
    let value = prep.country(c);
    if !explain {
        return (value, String::new());
    }
    let city = &p.fields.city;
    let cross = if r != c { "; accepts cross-border samples" } else { "" };
    let what = if r == c {
        format!("{city} is in the requester's country ({})", v.label(c))
    } else if need.acceptable_countries.iter().any(|a| a == c) {
        format!("{city} ({}) is in a country the requester named", v.label(c))
    } else if v.get(r).is_some_and(|t| t.neighbours.iter().any(|n| n == c)) {
        format!("{city} ({}) borders the requester's country ({})", v.label(c), v.label(r))
    } else {
        let away = match hops(v, r, c) {
            Some(h) => format!(", {} away by land", plural(h, "country", "countries")),
            None => String::new(),
        };
        format!("{city} ({}) is {:.0} km from {}{away}", v.label(c), distance(v, r, c), v.label(r))
    };
    (value, what + cross)
}

fn capacity(prep: &Prepared<'_>, served: &[Served<'_>], explain: bool) -> (f64, String) {
    let (need, days_left) = (prep.need, days_left(prep));
    let mut worst: Option<(f64, String)> = None;
    for s in served {
        let best = s
            .caps
            .iter()
            .map(|c| capacity_of(need, c.monthly_capacity, c.turnaround_days, days_left, explain))
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let Some((value, reason)) = best else { continue };
        if worst.as_ref().is_none_or(|(w, _)| value < *w) {
            worst = Some((value, reason));
        }
    }
    worst.unwrap_or_else(|| (0.0, why!(explain, "No capability serves the need")))
}

/// Days left before the need's deadline (none without one).
fn days_left(prep: &Prepared<'_>) -> Option<i64> {
    prep.need.deadline.map(|d| (d - prep.ctx.today).num_days().max(0))
}

/// What a capability of `monthly` samples a month and `turnaround` days can do for the need.
fn capacity_of(need: &NeedFields, monthly: Option<u32>, turnaround: Option<u32>, days_left: Option<i64>, explain: bool) -> (f64, String) {
    let tat = turnaround.map(f64::from);
    let months = match days_left {
        Some(d) => ((d as f64 - tat.unwrap_or(0.0)).max(0.0)) / DAYS_PER_MONTH,
        None => HORIZON_MONTHS_WITHOUT_DEADLINE,
    };
    let when = match (need.deadline, days_left) {
        (Some(d), Some(_)) => why!(explain, "{months:.1} months before the deadline ({d})"),
        _ => why!(explain, "{months:.0} months (no deadline given)"),
    };
    let (cap_value, cap_text) = match monthly {
        None => (0.5, why!(explain, "monthly capacity not stated")),
        Some(m) => {
            let doable = f64::from(m) * months;
            let v = (doable / f64::from(need.sample_count.max(1))).min(1.0);
            (v, why!(explain, "{m} samples/month for {} samples over {when}", need.sample_count))
        }
    };
    let (tat_value, tat_text) = match (tat, days_left) {
        (None, _) => (0.5, why!(explain, "turnaround not stated")),
        (Some(t), None) => (1.0, why!(explain, "turnaround {t:.0} days")),
        (Some(t), Some(d)) if t <= d as f64 => (1.0, why!(explain, "turnaround {t:.0} days within the {d} days left")),
        (Some(t), Some(d)) => ((d as f64 / t).max(0.0), why!(explain, "turnaround {t:.0} days exceeds the {d} days left")),
    };
    (0.6 * cap_value + 0.4 * tat_value, why!(explain, "{}; {tat_text}", capitalise(&cap_text)))
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

fn accreditation(prep: &Prepared<'_>, served: &[Served<'_>], explain: bool) -> (f64, String) {
    let v = &prep.ctx.vocabs.accreditations;
    if !explain {
        let any = served.iter().any(|s| s.caps.iter().any(|c| !c.accreditations.is_empty()));
        return (if any { 1.0 } else { 0.0 }, String::new());
    }
    let mut held: Vec<&str> = served.iter().flat_map(|s| s.caps.iter().flat_map(|c| c.accreditations.iter())).map(|a| v.label(a)).collect();
    held.sort_unstable();
    held.dedup();
    if held.is_empty() {
        (0.0, "No accreditation stated for the serving capability".into())
    } else {
        (1.0, format!("Holds {} for the requested work", held.join(", ")))
    }
}

fn maturity(p: &Platform, explain: bool) -> (f64, String) {
    let l = p.fields.maturity_level.clamp(1, 3);
    let what = match l {
        1 => "some resources, possibly incomplete",
        2 => "intermediate",
        _ => "leader in the field",
    };
    (maturity_value(l), why!(explain, "Maturity level {l} ({what})"))
}

fn maturity_value(level: u8) -> f64 {
    (f64::from(level.clamp(1, 3)) - 1.0) / 2.0
}

/// The mean, over the must-have technologies, of 1 / the platforms offering it in country `c`:
/// scarce expertise weighs more.
fn equity_value(need: &NeedFields, c: &str, ctx: &Context<'_>) -> f64 {
    let mut techs = need.technologies.iter().filter(|t| t.required).peekable();
    if techs.peek().is_none() {
        return 0.0;
    }
    let (mut sum, mut n) = (0.0, 0);
    for t in techs {
        sum += 1.0 / ctx.supply.count(&t.technology, c).max(1) as f64;
        n += 1;
    }
    sum / f64::from(n)
}

fn equity(prep: &Prepared<'_>, p: &Platform, explain: bool) -> (f64, String) {
    let c = &p.fields.country;
    let Some(first) = prep.must.first() else {
        return (0.0, why!(explain, "No must-have technology to weigh equity on"));
    };
    let value = prep.equity(c);
    if !explain {
        return (value, String::new());
    }
    let (ctx, label) = (prep.ctx, lower(prep.ctx.vocabs.technologies.label(first.id)));
    let n = ctx.supply.count(first.id, c).max(1) as usize;
    (value, format!("{} offering {label} in {}", plural(n, "platform", "platforms"), ctx.vocabs.countries.label(c)))
}

fn text(id: Uuid, ctx: &Context<'_>, explain: bool) -> (f64, String) {
    let t = ctx.text.get(&id).copied().unwrap_or(0.0).clamp(0.0, 1.0);
    let reason = if !explain {
        String::new()
    } else if t > 0.0 {
        format!("Text relevance {t:.2} of the best candidate (BM25 of the need's title and description against the platform's text)")
    } else {
        "None of the need's words in the platform's text".into()
    };
    (t, reason)
}

/// Score one pair: excluded by a hard constraint, or a score with its components.
pub fn evaluate(need: &NeedFields, p: &Platform, ctx: &Context<'_>, text_key: Uuid) -> Evaluation {
    assess(need, p, ctx, text_key, true)
}

/// [`evaluate`], with reasons (and exclusion sentences) left empty unless `explain`; the
/// score is the same either way.
fn assess(need: &NeedFields, p: &Platform, ctx: &Context<'_>, text_key: Uuid, explain: bool) -> Evaluation {
    assess_prepared(&Prepared::light(need, ctx), p, text_key, explain)
}

/// Without reasons, the components are left out too (the score is all ranking needs).
fn assess_prepared(prep: &Prepared<'_>, p: &Platform, text_key: Uuid, explain: bool) -> Evaluation {
    let caps = caps_of(prep, p);
    let served = serving(prep, &caps);
    let excluded = check(prep, p, &served, explain);
    if !excluded.is_empty() {
        return Evaluation::Excluded(excluded);
    }
    let ctx = prep.ctx;
    let w = ctx.weights;
    let parts: [(&'static str, f64, (f64, String)); 8] = [
        ("technology", w.technology, technology(prep, &caps, &served, explain)),
        ("readiness", w.readiness, readiness(prep, p, explain)),
        ("country", w.country, country(prep, p, explain)),
        ("capacity", w.capacity, capacity(prep, &served, explain)),
        ("text", w.text, text(text_key, ctx, explain)),
        ("maturity", w.maturity, maturity(p, explain)),
        ("accreditation", w.accreditation, accreditation(prep, &served, explain)),
        ("equity", w.equity, equity(prep, p, explain)),
    ];
    let total = w.total();
    let component = |(name, weight, (value, reason)): (&'static str, f64, (f64, String))| {
        let value = f64::clamp(value, 0.0, 1.0);
        Component { name, value, weight, contribution: contribution(value, weight, total), reason }
    };
    if !explain {
        return Evaluation::Match { score: score(w, parts.map(|(_, _, (value, _))| value)), components: Vec::new() };
    }
    let components: Vec<Component> = parts.into_iter().map(component).collect();
    let score = components.iter().map(|c| c.contribution).sum::<f64>().clamp(0.0, 1.0);
    Evaluation::Match { score, components }
}

/// What a component of `value` and `weight` adds to a score: the one formula of both [`assess`]
/// and [`bound`], so the bound is never below the score.
fn contribution(value: f64, weight: f64, total: f64) -> f64 {
    if total > 0.0 { value * weight / total } else { 0.0 }
}

/// The score of the component values, in the order of [`COMPONENTS`], summed as [`assess`]
/// sums the components it explains.
fn score(w: Weights, values: [f64; 8]) -> f64 {
    let total = w.total();
    let weights = [w.technology, w.readiness, w.country, w.capacity, w.text, w.maturity, w.accreditation, w.equity];
    values.into_iter().zip(weights).map(|(value, weight)| contribution(value.clamp(0.0, 1.0), weight, total)).sum::<f64>().clamp(0.0, 1.0)
}

/// A ranked candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked<'a, T> {
    pub item: &'a T,
    pub score: f64,
    pub components: Vec<Component>,
}

/// Candidates that passed, ranked, and those excluded with why.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking<'a, T> {
    pub matches: Vec<Ranked<'a, T>>,
    pub excluded: Vec<(&'a T, Vec<Exclusion>)>,
}

#[cfg(test)]
fn bound(need: &NeedFields, p: &Platform, ctx: &Context<'_>, text_key: Uuid) -> f64 {
    bound_prepared(&Prepared::light(need, ctx), p, text_key)
}

/// An upper bound of a pair's score: the components that are cheap to compute (readiness,
/// country, text, maturity, equity) as they are, the others (technology, capacity,
/// accreditation, which walk the capabilities) as 1. Summed as [`assess`] sums, so it is never
/// below the score.
fn bound_prepared(prep: &Prepared<'_>, p: &Platform, text_key: Uuid) -> f64 {
    let w = prep.ctx.weights;
    let equity = if w.equity > 0.0 { equity(prep, p, false).0 } else { 0.0 };
    let (readiness, country, text) = (readiness(prep, p, false).0, country(prep, p, false).0, text(text_key, prep.ctx, false).0);
    score(w, [1.0, readiness, country, 1.0, text, maturity(p, false).0, 1.0, equity])
}

/// What a ranking returns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Want {
    /// At most this many matches (and excluded candidates).
    pub limit: usize,
    /// Matches scoring less are left out.
    pub min_score: f64,
    /// Also list the excluded candidates: every candidate is then evaluated in full. Without,
    /// candidates are evaluated best bound first and the ranking stops once no candidate
    /// left can reach the matches kept, which gives the same matches for less work.
    pub excluded: bool,
}

/// Score candidates without reasons, keep those scoring at least `min_score`, best first
/// (equal scores by id, so equal inputs give equal rankings), at most `limit`, and explain
/// only those; the excluded apart, fewest broken constraints first, at most `limit`.
fn rank<'a, T, C: Copy>(
    candidates: &[C],
    want: Want,
    assess: impl Fn(C, bool) -> Evaluation,
    bound: impl Fn(C) -> f64,
    item: impl Fn(C) -> &'a T,
    id: impl Fn(&T) -> Uuid,
) -> Ranking<'a, T> {
    let limit = want.limit;
    let mut scored: Vec<(f64, C)> = Vec::new();
    let mut excluded: Vec<(usize, C)> = Vec::new();
    let mut order: Vec<(f64, C)> = candidates.iter().map(|&c| (if want.excluded { 1.0 } else { bound(c) }, c)).collect();
    if !want.excluded {
        order.sort_by(|a, b| b.0.total_cmp(&a.0));
    }
    // The `limit` best scores so far (scores are in [0, 1], where bit order is number order).
    let mut kept: std::collections::BinaryHeap<std::cmp::Reverse<u64>> = std::collections::BinaryHeap::new();
    for (b, c) in order {
        if !want.excluded {
            let floor = if kept.len() >= limit { kept.peek().map_or(0.0, |r| f64::from_bits(r.0)) } else { 0.0 };
            // Strictly below: a candidate whose bound equals the floor may tie and win on id.
            if b < floor.max(want.min_score) {
                break;
            }
        }
        match assess(c, false) {
            Evaluation::Match { score, .. } if score >= want.min_score => {
                scored.push((score, c));
                kept.push(std::cmp::Reverse(score.to_bits()));
                if kept.len() > limit {
                    kept.pop();
                }
            }
            Evaluation::Match { .. } => {}
            Evaluation::Excluded(why) => excluded.push((why.len(), c)),
        }
    }
    let best_first = |a: &(f64, C), b: &(f64, C)| b.0.total_cmp(&a.0).then_with(|| id(item(a.1)).cmp(&id(item(b.1))));
    if scored.len() > limit {
        scored.select_nth_unstable_by(limit, best_first);
        scored.truncate(limit);
    }
    scored.sort_by(best_first);
    let matches = scored
        .into_iter()
        .filter_map(|(_, c)| match assess(c, true) {
            Evaluation::Match { score, components } => Some(Ranked { item: item(c), score, components }),
            Evaluation::Excluded(_) => None,
        })
        .collect();
    if !want.excluded {
        return Ranking { matches, excluded: Vec::new() };
    }
    excluded.sort_by_key(|&(n, c)| (n, id(item(c))));
    excluded.truncate(limit);
    let excluded = excluded
        .into_iter()
        .filter_map(|(_, c)| match assess(c, true) {
            Evaluation::Excluded(why) => Some((item(c), why)),
            Evaluation::Match { .. } => None,
        })
        .collect();
    Ranking { matches, excluded }
}

/// Platforms for a need, best first: those scoring at least `min_score`, at most `limit`.
/// Candidates with [`Features`] are scored and bounded from them, the others from the record;
/// the returned matches are explained from the record.
pub fn rank_platforms<'a>(need: &NeedFields, candidates: &[Candidate<'a>], ctx: &Context<'_>, want: Want) -> Ranking<'a, Platform> {
    // One need against many platforms: the need's tables pay for themselves.
    let prep = Prepared::tabled(need, ctx);
    let features = |c: Candidate<'a>| c.features.filter(|_| prep.reads_features());
    rank(
        candidates,
        want,
        |c, explain| match features(c) {
            Some(f) if !explain => prep.assess_features(f),
            _ => assess_prepared(&prep, c.platform, c.platform.meta.id, explain),
        },
        |c| match features(c) {
            Some(f) => prep.bound_features(f),
            None => bound_prepared(&prep, c.platform, c.platform.meta.id),
        },
        |c| c.platform,
        |p| p.meta.id,
    )
}

/// Open needs a platform could serve, best first.
pub fn rank_needs<'a>(platform: &Platform, candidates: &[&'a Need], ctx: &Context<'_>, want: Want) -> Ranking<'a, Need> {
    // Each need is worked out once (light: it is scored against this one platform), for both
    // its bound and its score.
    let preps: Vec<Prepared<'_>> = candidates.iter().map(|n| Prepared::light(&n.fields, ctx)).collect();
    let pairs: Vec<(&'a Need, &Prepared<'_>)> = candidates.iter().copied().zip(&preps).collect();
    rank(
        &pairs,
        want,
        |(n, prep), explain| assess_prepared(prep, platform, n.meta.id, explain),
        |(n, prep)| bound_prepared(prep, platform, n.meta.id),
        |(n, _)| n,
        |n| n.meta.id,
    )
}

#[cfg(test)]
mod tests;
