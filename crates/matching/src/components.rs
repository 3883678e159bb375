//! The score's components: for each, a function giving its value in [0, 1] and, when asked,
//! the sentence that explains it (and a `_value` function with the rule alone where the
//! prepared tables and [`crate::Features`] reuse it). The country score is [`country_value`].

use std::collections::{HashSet, VecDeque};

use omics_domain::{NeedFields, Platform, Vocabulary};
use uuid::Uuid;

use crate::constraints::{Asked, Served};
use crate::prepare::{Caps, Prepared, Relation};
use crate::{Context, DAYS_PER_MONTH, HORIZON_MONTHS_WITHOUT_DEADLINE};

omics_domain::wire_codes! {
    /// A component of a match score: what a reason is about, and the name its weight is set by.
    pub enum ComponentName {
        /// How well the platform's technologies meet the need's must-haves and nice-to-haves.
        Technology => "technology",
        /// How near the clinical readiness areas it serves are to the need's.
        Readiness => "readiness",
        /// How near the platform is to the requester.
        Country => "country",
        /// Whether its capacity and turnaround fit the need's samples and deadline.
        Capacity => "capacity",
        /// Text relevance of the platform to the need's words.
        Text => "text",
        /// The platform's maturity level.
        Maturity => "maturity",
        /// Whether the serving capability holds an accreditation.
        Accreditation => "accreditation",
        /// Scarcity of the expertise in the platform's country (off by default).
        Equity => "equity",
    }
}

/// One value per component, by name: what [`crate::rank`] sums, so that no component can be
/// left out or put in another's place.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct PerComponent<T> {
    pub technology: T,
    pub readiness: T,
    pub country: T,
    pub capacity: T,
    pub text: T,
    pub maturity: T,
    pub accreditation: T,
    pub equity: T,
}

impl<T> PerComponent<T> {
    /// The values with their names, in the order of [`ComponentName::ALL`].
    pub(crate) fn into_pairs(self) -> [(ComponentName, T); 8] {
        use ComponentName as C;
        let PerComponent { technology, readiness, country, capacity, text, maturity, accreditation, equity } = self;
        [
            (C::Technology, technology),
            (C::Readiness, readiness),
            (C::Country, country),
            (C::Capacity, capacity),
            (C::Text, text),
            (C::Maturity, maturity),
            (C::Accreditation, accreditation),
            (C::Equity, equity),
        ]
    }
}

pub(crate) fn technology(prep: &Prepared<'_>, caps: &Caps<'_>, served: &[Served<'_>], explain: bool) -> (f64, String) {
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
pub(crate) fn technology_value(must: f64, n_must: usize, nice: f64, n_nice: usize) -> f64 {
    let mean = |sum: f64, n: usize| if n == 0 { 0.0 } else { sum / n as f64 };
    match (n_must == 0, n_nice == 0) {
        (false, true) => mean(must, n_must),
        (false, false) => 0.75 * mean(must, n_must) + 0.25 * mean(nice, n_nice),
        (true, false) => mean(nice, n_nice),
        (true, true) => 0.0,
    }
}

pub(crate) fn readiness(prep: &Prepared<'_>, p: &Platform, explain: bool) -> (f64, String) {
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
pub(crate) fn readiness_value(steps: Option<usize>) -> f64 {
    match steps {
        Some(0) => 1.0,
        Some(1) => 0.5,
        _ => 0.0,
    }
}

/// How near a platform in country `c` is to the requester: 1 in the same country, 0.85 in a
/// country the requester named, 0.7 next door, else falling with the distance.
pub(crate) fn country_value(need: &NeedFields, c: &str, ctx: &Context<'_>) -> f64 {
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

pub(crate) fn country(prep: &Prepared<'_>, p: &Platform, explain: bool) -> (f64, String) {
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

pub(crate) fn capacity(prep: &Prepared<'_>, served: &[Served<'_>], explain: bool) -> (f64, String) {
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
pub(crate) fn days_left(prep: &Prepared<'_>) -> Option<i64> {
    prep.need.deadline.map(|d| (d - prep.ctx.today).num_days().max(0))
}

/// What a capability of `monthly` samples a month and `turnaround` days can do for the need.
pub(crate) fn capacity_of(
    need: &NeedFields,
    monthly: Option<u32>,
    turnaround: Option<u32>,
    days_left: Option<i64>,
    explain: bool,
) -> (f64, String) {
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

pub(crate) fn accreditation(prep: &Prepared<'_>, served: &[Served<'_>], explain: bool) -> (f64, String) {
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

pub(crate) fn maturity(p: &Platform, explain: bool) -> (f64, String) {
    let l = p.fields.maturity_level.clamp(1, 3);
    let what = match l {
        1 => "some resources, possibly incomplete",
        2 => "intermediate",
        _ => "leader in the field",
    };
    (maturity_value(l), why!(explain, "Maturity level {l} ({what})"))
}

pub(crate) fn maturity_value(level: u8) -> f64 {
    (f64::from(level.clamp(1, 3)) - 1.0) / 2.0
}

/// The mean, over the must-have technologies, of 1 / the platforms offering it in country `c`:
/// scarce expertise weighs more.
pub(crate) fn equity_value(need: &NeedFields, c: &str, ctx: &Context<'_>) -> f64 {
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

pub(crate) fn equity(prep: &Prepared<'_>, p: &Platform, explain: bool) -> (f64, String) {
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

pub(crate) fn text(id: Uuid, ctx: &Context<'_>, explain: bool) -> (f64, String) {
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
pub(crate) fn lower(label: &str) -> String {
    let mut c = label.chars();
    match (c.next(), c.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && !b.is_uppercase() => a.to_lowercase().chain(label.chars().skip(1)).collect(),
        _ => label.to_owned(),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
