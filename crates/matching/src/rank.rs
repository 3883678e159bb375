//! A pair's evaluation (constraints, then components), the score as the weighted sum of the
//! components, an upper bound of it, and the rankings both ways.

use omics_domain::{Need, NeedFields, Platform};
use uuid::Uuid;

use crate::components::{ComponentName, PerComponent, accreditation, capacity, country, equity, maturity, readiness, technology, text};
use crate::constraints::{check, serving};
use crate::features::Candidate;
use crate::prepare::{Prepared, caps_of};
use crate::{Component, Context, Evaluation, Exclusion, Weights};

/// Score one pair: excluded by a hard constraint, or a score with its components.
pub fn evaluate(need: &NeedFields, p: &Platform, ctx: &Context<'_>, text_key: Uuid) -> Evaluation {
    assess(need, p, ctx, text_key, true)
}

/// [`evaluate`], with reasons (and exclusion sentences) left empty unless `explain`; the
/// score is the same either way.
pub(crate) fn assess(need: &NeedFields, p: &Platform, ctx: &Context<'_>, text_key: Uuid, explain: bool) -> Evaluation {
    assess_prepared(&Prepared::light(need, ctx), p, text_key, explain)
}

/// Without reasons, the components are left out too (the score is all ranking needs).
pub(crate) fn assess_prepared(prep: &Prepared<'_>, p: &Platform, text_key: Uuid, explain: bool) -> Evaluation {
    let caps = caps_of(prep, p);
    let served = serving(prep, &caps);
    let excluded = check(prep, p, &served, explain);
    if !excluded.is_empty() {
        return Evaluation::Excluded(excluded);
    }
    let ctx = prep.ctx;
    let w = ctx.weights;
    let parts = PerComponent {
        technology: technology(prep, &caps, &served, explain),
        readiness: readiness(prep, p, explain),
        country: country(prep, p, explain),
        capacity: capacity(prep, &served, explain),
        text: text(text_key, ctx, explain),
        maturity: maturity(p, explain),
        accreditation: accreditation(prep, &served, explain),
        equity: equity(prep, p, explain),
    };
    if !explain {
        let values = parts.into_pairs().map(|(name, (value, _))| (name, value));
        return Evaluation::Match { score: score(w, values), components: Vec::new() };
    }
    let total = w.total();
    let component = |(name, (value, reason)): (ComponentName, (f64, String))| {
        let (value, weight) = (f64::clamp(value, 0.0, 1.0), w.get(name));
        Component { name, value, weight, contribution: contribution(value, weight, total), reason }
    };
    let components: Vec<Component> = parts.into_pairs().into_iter().map(component).collect();
    let score = components.iter().map(|c| c.contribution).sum::<f64>().clamp(0.0, 1.0);
    Evaluation::Match { score, components }
}

/// What a component of `value` and `weight` adds to a score: the one formula of both [`assess`]
/// and [`bound`], so the bound is never below the score.
fn contribution(value: f64, weight: f64, total: f64) -> f64 {
    if total > 0.0 { value * weight / total } else { 0.0 }
}

/// The score of the component values, summed in the order of [`ComponentName::ALL`] as
/// [`assess`] sums the components it explains.
pub(crate) fn score(w: Weights, values: [(ComponentName, f64); 8]) -> f64 {
    let total = w.total();
    values.into_iter().map(|(name, value)| contribution(value.clamp(0.0, 1.0), w.get(name), total)).sum::<f64>().clamp(0.0, 1.0)
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
pub(crate) fn bound(need: &NeedFields, p: &Platform, ctx: &Context<'_>, text_key: Uuid) -> f64 {
    bound_prepared(&Prepared::light(need, ctx), p, text_key)
}

/// An upper bound of a pair's score: the components that are cheap to compute (readiness,
/// country, text, maturity, equity) as they are, the others (technology, capacity,
/// accreditation, which walk the capabilities) as 1. Summed as [`assess`] sums, so it is never
/// below the score.
pub(crate) fn bound_prepared(prep: &Prepared<'_>, p: &Platform, text_key: Uuid) -> f64 {
    let w = prep.ctx.weights;
    let equity = if w.equity > 0.0 { equity(prep, p, false).0 } else { 0.0 };
    let (readiness, country, text) = (readiness(prep, p, false).0, country(prep, p, false).0, text(text_key, prep.ctx, false).0);
    let maturity = maturity(p, false).0;
    let values = PerComponent { technology: 1.0, readiness, country, capacity: 1.0, text, maturity, accreditation: 1.0, equity };
    score(w, values.into_pairs())
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
