//! omics-match scoring engine: pure and synchronous. Given a need, candidate platforms (or a
//! platform and candidate needs) and what the index knows (text relevance, how many platforms
//! offer a technology in each country), it excludes by hard constraints and scores the rest
//! in [0, 1] as a weighted mean of components, each with a sentence a person can check.

pub mod eval;
mod weights;

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::NaiveDate;
use omics_domain::{Capability, Need, NeedFields, NeedStatus, Platform, PlatformStatus, Vocabularies, Vocabulary};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

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

/// Everything besides the pair itself that scoring reads.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub vocabs: &'a Vocabularies,
    pub weights: Weights,
    pub today: NaiveDate,
    /// Text relevance of each candidate, normalised to [0, 1] (best candidate 1).
    pub text: &'a HashMap<Uuid, f64>,
    pub supply: &'a Supply,
    pub readings: &'a [Reading],
}

/// How a platform's technology relates to the one asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Exact,
    /// The platform's term is narrower (e.g. WES for "DNA sequencing"); `depth` steps below.
    Narrower(usize),
    /// The platform's term is broader; never satisfies a must-have.
    Broader,
    /// Same parent.
    Sibling,
}

impl Relation {
    pub fn value(self) -> f64 {
        match self {
            Relation::Exact => 1.0,
            Relation::Narrower(1) => 0.8,
            Relation::Narrower(_) => 0.7,
            Relation::Broader => 0.5,
            Relation::Sibling => 0.3,
        }
    }
    /// Whether this relation satisfies a must-have.
    pub fn satisfies(self) -> bool {
        matches!(self, Relation::Exact | Relation::Narrower(_))
    }
    fn describe(self) -> &'static str {
        match self {
            Relation::Exact => "exact match",
            Relation::Narrower(_) => "narrower term",
            Relation::Broader => "broader term",
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
    if v.depth_below(want, have).is_some() {
        return Some(Relation::Broader);
    }
    v.siblings(want, have).then_some(Relation::Sibling)
}

/// Whether a capability takes the sample type (a broader accepted type covers narrower ones;
/// a capability that lists none is taken as unrestricted).
pub fn accepts_sample(v: &Vocabulary, cap: &Capability, sample: &str) -> bool {
    cap.sample_types.is_empty() || v.self_and_ancestors(sample).any(|s| cap.sample_types.iter().any(|c| c == s))
}

/// Whether a capability holds the accreditation (or a narrower one).
pub fn holds(v: &Vocabulary, cap: &Capability, accreditation: &str) -> bool {
    cap.accreditations.iter().any(|a| v.self_and_ancestors(a).any(|x| x == accreditation))
}

/// For one must-have technology: the capabilities that serve it, with their relation.
struct Served<'p> {
    technology: &'p str,
    caps: Vec<(&'p Capability, Relation)>,
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
    check(need, p, v, true)
}

/// Hard constraints broken; reasons are empty unless `explain`.
fn check(need: &NeedFields, p: &Platform, v: &Vocabularies, explain: bool) -> Vec<Exclusion> {
    let mut out = Vec::new();
    let f = &p.fields;
    let mut ex = |constraint, reason: String| out.push(Exclusion { constraint, reason });
    if f.status != PlatformStatus::Published {
        ex("not_published", why!(explain, "{} is {}, not published", f.name, f.status.as_str()));
    }
    if matches!(need.status, NeedStatus::Closed | NeedStatus::Withdrawn | NeedStatus::Matched | NeedStatus::Suspended) {
        ex("need_not_open", why!(explain, "the need is {}", need.status.as_str()));
    }
    for want in need.technologies.iter().filter(|t| t.required) {
        let t = &want.technology;
        let label = v.technologies.label(t);
        let offering = |c: &&Capability| relation(&v.technologies, t, &c.technology).is_some_and(Relation::satisfies);
        if !f.capabilities.iter().any(|c| offering(&c)) {
            ex("missing_technology", why!(explain, "offers no {label} (nor a narrower technique), a must-have"));
            continue;
        }
        let mut taking =
            f.capabilities.iter().filter(offering).filter(|c| accepts_sample(&v.sample_types, c, &need.sample_type)).peekable();
        if taking.peek().is_none() {
            ex("sample_type_not_accepted", why!(explain, "its {label} does not take {}", v.sample_types.label(&need.sample_type)));
            continue;
        }
        if let Some(a) = &need.accreditation_required
            && !taking.any(|c| holds(&v.accreditations, c, a))
        {
            ex("accreditation_missing", why!(explain, "its {label} does not hold {}, which the need requires", v.accreditations.label(a)));
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

fn serving<'p>(need: &'p NeedFields, p: &'p Platform, v: &Vocabularies) -> Vec<Served<'p>> {
    need.technologies
        .iter()
        .filter(|t| t.required)
        .map(|want| Served {
            technology: &want.technology,
            caps: p
                .fields
                .capabilities
                .iter()
                .filter_map(|c| {
                    let r = relation(&v.technologies, &want.technology, &c.technology)?;
                    let ok = r.satisfies()
                        && accepts_sample(&v.sample_types, c, &need.sample_type)
                        && need.accreditation_required.as_ref().is_none_or(|a| holds(&v.accreditations, c, a));
                    ok.then_some((c, r))
                })
                .collect(),
        })
        .collect()
}

fn technology(need: &NeedFields, p: &Platform, served: &[Served<'_>], ctx: &Context<'_>, explain: bool) -> (f64, String) {
    let v = &ctx.vocabs.technologies;
    let mut parts = Vec::new();
    let must: Vec<f64> = served
        .iter()
        .map(|s| {
            let best = s.caps.iter().map(|(_, r)| *r).max_by(|a, b| a.value().total_cmp(&b.value()));
            match best {
                Some(r) if !explain => r.value(),
                Some(r) => {
                    let offered = s.caps.iter().find(|(_, x)| *x == r).map_or(s.technology, |(c, _)| c.technology.as_str());
                    if r == Relation::Exact {
                        parts.push(format!("Offers {} (exact match)", lower(v.label(s.technology))));
                    } else {
                        parts.push(format!("Offers {} for {} ({})", lower(v.label(offered)), lower(v.label(s.technology)), r.describe()));
                    }
                    r.value()
                }
                None => 0.0,
            }
        })
        .collect();
    let met = must.iter().filter(|q| **q > 0.0).count();
    if explain && !must.is_empty() {
        parts.push(format!("{met} of {} must-have {}", must.len(), if must.len() == 1 { "technology" } else { "technologies" }));
    }
    let nice_wanted: Vec<&str> = need.technologies.iter().filter(|t| !t.required).map(|t| t.technology.as_str()).collect();
    let nice: Vec<f64> = nice_wanted
        .iter()
        .map(|want| p.fields.capabilities.iter().filter_map(|c| relation(v, want, &c.technology)).map(Relation::value).fold(0.0, f64::max))
        .collect();
    if explain && !nice.is_empty() {
        let have: Vec<String> = nice_wanted.iter().zip(&nice).filter(|(_, q)| **q > 0.0).map(|(t, _)| lower(v.label(t))).collect();
        parts.push(if have.is_empty() {
            format!("none of {} nice-to-have", nice.len())
        } else {
            format!("{} of {} nice-to-have ({})", have.len(), nice.len(), have.join(", "))
        });
    }
    for r in ctx.readings.iter().filter(|_| explain) {
        parts.push(format!("'{}' read as {} (similarity {:.2})", r.typed, v.label(&r.technology), r.similarity));
    }
    let mean = |xs: &[f64]| if xs.is_empty() { 0.0 } else { xs.iter().sum::<f64>() / xs.len() as f64 };
    let value = match (must.is_empty(), nice.is_empty()) {
        (false, true) => mean(&must),
        (false, false) => 0.75 * mean(&must) + 0.25 * mean(&nice),
        (true, false) => mean(&nice),
        (true, true) => 0.0,
    };
    (value, parts.join("; "))
}

fn readiness(need: &NeedFields, p: &Platform, ctx: &Context<'_>, explain: bool) -> (f64, String) {
    let v = &ctx.vocabs.readiness_areas;
    let want = &need.readiness_area;
    let Some(w) = v.position(want) else { return (0.0, "the need's readiness area is unknown".into()) };
    let best = p.fields.readiness_areas.iter().filter_map(|a| v.position(a).map(|i| (i.abs_diff(w), a))).min();
    match best {
        None => (0.0, why!(explain, "States no clinical readiness area")),
        Some((0, _)) => (1.0, why!(explain, "Serves {} (same area)", lower(v.label(want)))),
        Some((1, a)) => (0.5, why!(explain, "Serves {}, adjacent to {}", lower(v.label(a)), lower(v.label(want)))),
        Some((d, a)) => (0.0, why!(explain, "Serves {}, {d} steps from {}", lower(v.label(a)), lower(v.label(want)))),
    }
}

fn country(need: &NeedFields, p: &Platform, ctx: &Context<'_>, explain: bool) -> (f64, String) {
    let v = &ctx.vocabs.countries;
    let (r, c) = (&need.country, &p.fields.country);
    let city = &p.fields.city;
    let named = need.acceptable_countries.iter().any(|a| a == c);
    let neighbour = v.get(r).is_some_and(|t| t.neighbours.iter().any(|n| n == c));
    let cross = if r != c { "; accepts cross-border samples" } else { "" };
    let distance = match (point(v, r), point(v, c)) {
        (Some(a), Some(b)) => km(a, b),
        _ => 5000.0,
    };
    let (value, what) = if r == c {
        (1.0, why!(explain, "{city} is in the requester's country ({})", v.label(c)))
    } else if named {
        (0.85, why!(explain, "{city} ({}) is in a country the requester named", v.label(c)))
    } else if neighbour {
        (0.7, why!(explain, "{city} ({}) borders the requester's country ({})", v.label(c), v.label(r)))
    } else {
        let away = match hops(v, r, c).filter(|_| explain) {
            Some(h) => format!(", {} away by land", plural(h, "country", "countries")),
            None => String::new(),
        };
        (
            (0.6 * (1.0 - distance / 4000.0)).max(0.0),
            why!(explain, "{city} ({}) is {:.0} km from {}{away}", v.label(c), distance, v.label(r)),
        )
    };
    (value, if explain { what + cross } else { what })
}

fn capacity(need: &NeedFields, served: &[Served<'_>], ctx: &Context<'_>, explain: bool) -> (f64, String) {
    let days_left = need.deadline.map(|d| (d - ctx.today).num_days().max(0));
    let mut worst: Option<(f64, String)> = None;
    for s in served {
        let best = s.caps.iter().map(|(c, _)| capacity_of(need, c, days_left, explain)).max_by(|a, b| a.0.total_cmp(&b.0));
        let Some((value, reason)) = best else { continue };
        if worst.as_ref().is_none_or(|(w, _)| value < *w) {
            worst = Some((value, reason));
        }
    }
    worst.unwrap_or_else(|| (0.0, why!(explain, "No capability serves the must-have technologies")))
}

fn capacity_of(need: &NeedFields, cap: &Capability, days_left: Option<i64>, explain: bool) -> (f64, String) {
    let tat = cap.turnaround_days.map(f64::from);
    let months = match days_left {
        Some(d) => ((d as f64 - tat.unwrap_or(0.0)).max(0.0)) / DAYS_PER_MONTH,
        None => HORIZON_MONTHS_WITHOUT_DEADLINE,
    };
    let when = match (need.deadline, days_left) {
        (Some(d), Some(_)) => why!(explain, "{months:.1} months before the deadline ({d})"),
        _ => why!(explain, "{months:.0} months (no deadline given)"),
    };
    let (cap_value, cap_text) = match cap.monthly_capacity {
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

fn accreditation(served: &[Served<'_>], ctx: &Context<'_>, explain: bool) -> (f64, String) {
    let v = &ctx.vocabs.accreditations;
    if !explain {
        let any = served.iter().any(|s| s.caps.iter().any(|(c, _)| !c.accreditations.is_empty()));
        return (if any { 1.0 } else { 0.0 }, String::new());
    }
    let mut held: Vec<&str> =
        served.iter().flat_map(|s| s.caps.iter().flat_map(|(c, _)| c.accreditations.iter())).map(|a| v.label(a)).collect();
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
    ((f64::from(l) - 1.0) / 2.0, why!(explain, "Maturity level {l} ({what})"))
}

fn equity(need: &NeedFields, p: &Platform, ctx: &Context<'_>, explain: bool) -> (f64, String) {
    let c = &p.fields.country;
    let techs: Vec<&str> = need.technologies.iter().filter(|t| t.required).map(|t| t.technology.as_str()).collect();
    if techs.is_empty() {
        return (0.0, why!(explain, "No must-have technology to weigh equity on"));
    }
    let counts: Vec<u64> = techs.iter().map(|t| ctx.supply.count(t, c).max(1)).collect();
    let value = counts.iter().map(|n| 1.0 / *n as f64).sum::<f64>() / counts.len() as f64;
    if !explain {
        return (value, String::new());
    }
    let label = lower(ctx.vocabs.technologies.label(techs[0]));
    (value, format!("{} offering {label} in {}", plural(counts[0] as usize, "platform", "platforms"), ctx.vocabs.countries.label(c)))
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
    let excluded = check(need, p, ctx.vocabs, explain);
    if !excluded.is_empty() {
        return Evaluation::Excluded(excluded);
    }
    let served = serving(need, p, ctx.vocabs);
    let w = ctx.weights;
    let parts: [(&'static str, f64, (f64, String)); 8] = [
        ("technology", w.technology, technology(need, p, &served, ctx, explain)),
        ("readiness", w.readiness, readiness(need, p, ctx, explain)),
        ("country", w.country, country(need, p, ctx, explain)),
        ("capacity", w.capacity, capacity(need, &served, ctx, explain)),
        ("text", w.text, text(text_key, ctx, explain)),
        ("maturity", w.maturity, maturity(p, explain)),
        ("accreditation", w.accreditation, accreditation(&served, ctx, explain)),
        ("equity", w.equity, equity(need, p, ctx, explain)),
    ];
    let total = w.total();
    let components: Vec<Component> = parts
        .into_iter()
        .map(|(name, weight, (value, reason))| {
            let value = value.clamp(0.0, 1.0);
            Component { name, value, weight, contribution: contribution(value, weight, total), reason }
        })
        .collect();
    let score = components.iter().map(|c| c.contribution).sum::<f64>().clamp(0.0, 1.0);
    Evaluation::Match { score, components }
}

/// What a component of `value` and `weight` adds to a score: the one formula of both [`assess`]
/// and [`bound`], so the bound is never below the score.
fn contribution(value: f64, weight: f64, total: f64) -> f64 {
    if total > 0.0 { value * weight / total } else { 0.0 }
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

/// An upper bound of a pair's score: the components that are cheap to compute (readiness,
/// country, text, maturity, equity) as they are, the others (technology, capacity,
/// accreditation, which walk the capabilities) as 1. Summed as [`assess`] sums, so it is never
/// below the score.
fn bound(need: &NeedFields, p: &Platform, ctx: &Context<'_>, text_key: Uuid) -> f64 {
    let w = ctx.weights;
    let total = w.total();
    if total <= 0.0 {
        return 0.0;
    }
    let equity = if w.equity > 0.0 { equity(need, p, ctx, false).0 } else { 0.0 };
    [
        (w.technology, 1.0),
        (w.readiness, readiness(need, p, ctx, false).0),
        (w.country, country(need, p, ctx, false).0),
        (w.capacity, 1.0),
        (w.text, text(text_key, ctx, false).0),
        (w.maturity, maturity(p, false).0),
        (w.accreditation, 1.0),
        (w.equity, equity),
    ]
    .into_iter()
    .map(|(weight, value): (f64, f64)| contribution(value.clamp(0.0, 1.0), weight, total))
    .sum::<f64>()
    .clamp(0.0, 1.0)
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
fn rank<'a, T>(
    candidates: &[&'a T],
    want: Want,
    assess: impl Fn(&T, bool) -> Evaluation,
    bound: impl Fn(&T) -> f64,
    id: impl Fn(&T) -> Uuid,
) -> Ranking<'a, T> {
    let limit = want.limit;
    let mut scored: Vec<(f64, &T)> = Vec::new();
    let mut excluded: Vec<(usize, &T)> = Vec::new();
    let mut order: Vec<(f64, &'a T)> = candidates.iter().map(|&c| (if want.excluded { 1.0 } else { bound(c) }, c)).collect();
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
    let best_first = |a: &(f64, &T), b: &(f64, &T)| b.0.total_cmp(&a.0).then_with(|| id(a.1).cmp(&id(b.1)));
    if scored.len() > limit {
        scored.select_nth_unstable_by(limit, best_first);
        scored.truncate(limit);
    }
    scored.sort_by(best_first);
    let matches = scored
        .into_iter()
        .filter_map(|(_, c)| match assess(c, true) {
            Evaluation::Match { score, components } => Some(Ranked { item: c, score, components }),
            Evaluation::Excluded(_) => None,
        })
        .collect();
    if !want.excluded {
        return Ranking { matches, excluded: Vec::new() };
    }
    excluded.sort_by_key(|(n, c)| (*n, id(c)));
    excluded.truncate(limit);
    let excluded = excluded
        .into_iter()
        .filter_map(|(_, c)| match assess(c, true) {
            Evaluation::Excluded(why) => Some((c, why)),
            Evaluation::Match { .. } => None,
        })
        .collect();
    Ranking { matches, excluded }
}

/// Platforms for a need, best first: those scoring at least `min_score`, at most `limit`.
pub fn rank_platforms<'a>(need: &NeedFields, candidates: &[&'a Platform], ctx: &Context<'_>, want: Want) -> Ranking<'a, Platform> {
    rank(candidates, want, |p, explain| assess(need, p, ctx, p.meta.id, explain), |p| bound(need, p, ctx, p.meta.id), |p| p.meta.id)
}

/// Open needs a platform could serve, best first.
pub fn rank_needs<'a>(platform: &Platform, candidates: &[&'a Need], ctx: &Context<'_>, want: Want) -> Ranking<'a, Need> {
    rank(
        candidates,
        want,
        |n, explain| assess(&n.fields, platform, ctx, n.meta.id, explain),
        |n| bound(&n.fields, platform, ctx, n.meta.id),
        |n| n.meta.id,
    )
}

#[cfg(test)]
mod tests;
