//! The hard constraints: a platform that breaks one is excluded, never ranked, and told why.

use chrono::NaiveDate;
use omics_domain::{Capability, NeedFields, Platform, PlatformStatus, Vocabularies};

use crate::components::lower;
use crate::prepare::{Caps, Prepared, Relation, Wanted, caps_of};
use crate::{Context, Exclusion, Supply, TextScores, Weights};

omics_domain::wire_codes! {
    /// A hard constraint that excludes a candidate: the stable code of an exclusion.
    pub enum Constraint {
        /// The platform is not published.
        NotPublished => "not_published",
        /// The need is not open for matching.
        NeedNotOpen => "need_not_open",
        /// A must-have technology is offered by no capability, nor a narrower or broader technique.
        MissingTechnology => "missing_technology",
        /// No capability that offers what is asked takes the need's sample type.
        SampleTypeNotAccepted => "sample_type_not_accepted",
        /// No capability that serves the need holds the accreditation it requires.
        AccreditationMissing => "accreditation_missing",
        /// The platform takes no external samples.
        NoExternalSamples => "no_external_samples",
        /// The platform takes no samples from abroad, and the requester is in another country.
        NoCrossBorder => "no_cross_border",
        /// The platform's country is not among the requester's acceptable countries.
        CountryNotAcceptable => "country_not_acceptable",
    }
}

/// What a hard-constraint group of a need asks for.
pub(crate) enum Asked<'p> {
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
pub(crate) struct Served<'p> {
    pub(crate) asked: Asked<'p>,
    pub(crate) offered: bool,
    pub(crate) taken: bool,
    pub(crate) caps: Vec<&'p Capability>,
    pub(crate) best: Option<(&'p Capability, Relation)>,
}

/// Hard constraints of a platform for a need; empty when none is broken.
pub fn exclusions(need: &NeedFields, p: &Platform, v: &Vocabularies) -> Vec<Exclusion> {
    let (text, supply) = (TextScores::default(), Supply::default());
    let ctx = Context { vocabs: v, weights: Weights::default(), today: NaiveDate::MIN, text: &text, supply: &supply, readings: &[] };
    let prep = Prepared::light(need, &ctx);
    check(&prep, p, &serving(&prep, &caps_of(&prep, p)), true)
}

/// Hard constraints broken; reasons are empty unless `explain`.
pub(crate) fn check(prep: &Prepared<'_>, p: &Platform, served: &[Served<'_>], explain: bool) -> Vec<Exclusion> {
    let (need, v) = (prep.need, prep.ctx.vocabs);
    let mut out = Vec::new();
    let f = &p.fields;
    let mut ex = |constraint, reason: String| out.push(Exclusion { constraint, reason });
    if f.status != PlatformStatus::Published {
        ex(Constraint::NotPublished, why!(explain, "{} is {}, not published", f.name, f.status.as_str()));
    }
    if !need.status.is_open_for_matching() {
        ex(Constraint::NeedNotOpen, why!(explain, "the need is {}", need.status.as_str()));
    }
    let sample = || v.sample_types.label(&need.sample_type);
    for s in served {
        let nice = |list: &[&str]| list.iter().map(|t| lower(v.technologies.label(t))).collect::<Vec<_>>().join(" or ");
        if let Asked::Must(t) = &s.asked
            && !s.offered
        {
            ex(
                Constraint::MissingTechnology,
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
            ex(Constraint::SampleTypeNotAccepted, reason);
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
            ex(Constraint::AccreditationMissing, reason);
        }
    }
    if !f.accepts_external_samples {
        ex(Constraint::NoExternalSamples, why!(explain, "{} takes no external samples", f.name));
    }
    if f.country != need.country && !f.accepts_cross_border {
        ex(
            Constraint::NoCrossBorder,
            why!(explain, "{} takes no samples from abroad and the requester is in {}", f.name, v.countries.label(&need.country)),
        );
    }
    if !need.accepts_country(&f.country) {
        ex(
            Constraint::CountryNotAcceptable,
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
pub(crate) fn serving<'p>(prep: &'p Prepared<'_>, caps: &Caps<'p>) -> Vec<Served<'p>> {
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
