//! The unmet needs a steering committee would take up, most acute first: technologies that
//! requesters in a country ask for and no platform in the country or a land neighbour offers;
//! then needs open too long without an accepted introduction; then countries with no
//! published platform for a technology family at all. Within each kind, the rows concerning
//! the most open needs come first.

use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{Count, Disclosure, Fold, NeedRow, Tables};
use crate::params::{out_of_range, page_limit};
use crate::{Actor, Result, Service};

/// The default of `open_days`.
pub const DEFAULT_OPEN_DAYS: u32 = 30;
/// Gaps listed by default.
const DEFAULT_LIMIT: u32 = 50;
/// Examples per gap.
const EXAMPLES: usize = 5;
/// Countries named per family without a platform.
const COUNTRY_EXAMPLES: usize = 10;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GapParams {
    /// A need open longer than this many days without an accepted introduction is a gap
    /// (default 30; 1 to 3650).
    pub open_days: Option<u32>,
    /// Gaps listed (default 50; 1 to 100).
    pub limit: Option<u32>,
}

/// Why a row is a gap; the kinds in the order the list ranks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GapKind {
    /// Requesters in the country have open needs for the technology, and no published
    /// platform in the country or in one of its land neighbours offers it (nor a narrower or
    /// a broader technique).
    NoSupplyNearby,
    /// Needs of requesters in the country open longer than `open_days` without an accepted
    /// introduction.
    OpenTooLong,
    /// Countries where no published platform offers any technology of the family.
    NoPlatformInCountry,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExampleKind {
    Need,
    Country,
}

/// A need or a country a gap is about.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Example {
    /// The need's id, or the country's code.
    pub id: String,
    /// The need's title, or the country's name.
    pub label: String,
    pub kind: ExampleKind,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Gap {
    pub kind: GapKind,
    /// The requesters' country (`no_supply_nearby`, `open_too_long`).
    pub country: Option<String>,
    /// The technology (`no_supply_nearby`) or family (`no_platform_in_country`).
    pub technology: Option<String>,
    /// Needs (`no_supply_nearby`, `open_too_long`) or countries (`no_platform_in_country`).
    pub count: Count,
    /// Open needs the gap concerns: the order within a kind.
    pub needs: Count,
    /// Some of the needs (oldest first) or countries (most needs first). Needs are public
    /// while open; their requesters are never named here. None under a count shown as "<N"
    /// (the list routes show those needs).
    pub examples: Vec<Example>,
    /// Why it is a gap, as a sentence true of the data.
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Gaps {
    /// The change-log sequence number the figures reflect.
    pub as_of_seq: i64,
    pub open_days: u32,
    /// Gaps found, before `limit`.
    pub total: usize,
    /// By kind (`no_supply_nearby`, `open_too_long`, `no_platform_in_country`), then most
    /// needs concerned first.
    pub gaps: Vec<Gap>,
}

/// A set of technology positions.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }
    fn insert(&mut self, i: u16) {
        if let Some(w) = self.0.get_mut(usize::from(i) / 64) {
            *w |= 1 << (i % 64);
        }
    }
    fn union(&mut self, o: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&o.0) {
            *a |= b;
        }
    }
    fn meets(&self, o: &Bits) -> bool {
        self.0.iter().zip(&o.0).any(|(a, b)| a & b != 0)
    }
}

struct Found {
    kind: GapKind,
    country: Option<String>,
    technology: Option<String>,
    count: u64,
    /// Whether `count` counts needs (then the small-cell rule applies).
    counts_needs: bool,
    needs: u64,
    examples: Vec<Example>,
    reason: Reason,
}

/// What a gap's sentence says, apart from its count (which the viewer may see only as "<N").
enum Reason {
    NoSupply { country: String, technology: String, place: String },
    OpenTooLong { country: String, open_days: u32 },
    NoPlatform { family: String, countries: usize },
}

impl Reason {
    fn sentence(&self, count: &Count) -> String {
        let one = *count == Count::Exact(1);
        let n = count.text();
        match self {
            Reason::NoSupply { country, technology, place } => format!(
                "{n} open {} of requesters in {country} {} for {technology}; no published platform {place} offers it, nor a narrower or broader technique",
                if one { "need" } else { "needs" },
                if one { "asks" } else { "ask" },
            ),
            Reason::OpenTooLong { country, open_days } => format!(
                "{n} {} of requesters in {country} {} been open more than {open_days} days without an accepted introduction",
                if one { "need" } else { "needs" },
                if one { "has" } else { "have" },
            ),
            Reason::NoPlatform { family, countries } => {
                format!("no published platform offers {family} in {n} of the {countries} {}", if one { "country" } else { "countries" })
            }
        }
    }
}

fn need_examples(mut needs: Vec<(&Uuid, &NeedRow)>) -> Vec<Example> {
    needs.sort_by_key(|(id, n)| (n.created_at, **id));
    needs
        .into_iter()
        .take(EXAMPLES)
        .map(|(id, n)| Example { id: id.to_string(), label: n.title.clone(), kind: ExampleKind::Need })
        .collect()
}

impl Service {
    /// The gaps, ranked (see [`Gaps`]).
    pub fn gaps(&self, p: &GapParams, viewer: Option<&Actor>) -> Result<Gaps> {
        let open_days = p.open_days.unwrap_or(DEFAULT_OPEN_DAYS);
        if !(1..=3650).contains(&open_days) {
            return Err(out_of_range("open_days", format!("open_days is 1 to 3650; got {open_days}")));
        }
        let limit = page_limit(Some(p.limit.unwrap_or(DEFAULT_LIMIT)))?;
        let d = Disclosure::for_viewer(self.analytics.min_cell, viewer);
        let f = self.analytics.read();
        let mut found = self.find_gaps(&f, &self.analytics.tables, open_days);
        found.sort_by(|a, b| a.kind.cmp(&b.kind).then(b.needs.cmp(&a.needs)).then(b.count.cmp(&a.count)));
        let total = found.len();
        let gaps = found
            .into_iter()
            .take(limit as usize)
            .map(|g| {
                let count = if g.counts_needs { d.needs(g.count) } else { Count::Exact(g.count) };
                Gap {
                    kind: g.kind,
                    country: g.country,
                    technology: g.technology,
                    reason: g.reason.sentence(&count),
                    needs: d.needs(g.needs),
                    // Two examples under "<3" would tell the count: the list routes show them.
                    examples: if matches!(count, Count::Few(_)) { Vec::new() } else { g.examples },
                    count,
                }
            })
            .collect();
        Ok(Gaps { as_of_seq: f.seq, open_days, total, gaps })
    }

    fn find_gaps(&self, f: &Fold, t: &Tables, open_days: u32) -> Vec<Found> {
        let v = &self.vocabs;
        let (countries, techs) = (v.countries.terms(), v.technologies.terms());
        let (nc, nt) = (countries.len(), techs.len());
        // What the published platforms of each country offer, and which families.
        let mut offered = vec![Bits::new(nt); nc];
        for p in f.platforms.values().filter(|p| p.published) {
            if let Some(o) = offered.get_mut(usize::from(p.country)) {
                for c in &p.caps {
                    o.insert(c.technology);
                }
            }
        }
        let serving: Vec<Bits> = (0..nt)
            .map(|want| {
                let mut b = Bits::new(nt);
                (0..nt).filter(|&have| t.satisfies(want as u16, have as u16)).for_each(|have| b.insert(have as u16));
                b
            })
            .collect();
        let nearby: Vec<Bits> = (0..nc)
            .map(|c| {
                let mut b = offered[c].clone();
                t.neighbours[c].iter().for_each(|&n| b.union(&offered[usize::from(n)]));
                b
            })
            .collect();
        let open: Vec<(&Uuid, &NeedRow)> = f.needs.iter().filter(|(_, n)| n.is_open() && usize::from(n.country) < nc).collect();
        let label = |i: usize| countries[i].label.as_str();
        let mut out = Vec::new();

        // Technologies asked for with no supply in the country or its land neighbours.
        let mut unmet: std::collections::BTreeMap<(u16, u16), Vec<(&Uuid, &NeedRow)>> = Default::default();
        for &(id, n) in &open {
            for &want in &n.technologies {
                if usize::from(want) < nt && !serving[usize::from(want)].meets(&nearby[usize::from(n.country)]) {
                    unmet.entry((n.country, want)).or_default().push((id, n));
                }
            }
        }
        for ((c, want), needs) in unmet {
            let (c, want) = (usize::from(c), usize::from(want));
            let k = needs.len() as u64;
            let around: Vec<&str> = countries[c].neighbours.iter().map(|id| v.countries.label(id)).collect();
            let place = if around.is_empty() {
                format!("in {} (which has no land neighbours)", label(c))
            } else {
                format!("in {} or its land neighbours ({})", label(c), around.join(", "))
            };
            out.push(Found {
                kind: GapKind::NoSupplyNearby,
                country: Some(countries[c].id.clone()),
                technology: Some(techs[want].id.clone()),
                count: k,
                counts_needs: true,
                needs: k,
                examples: need_examples(needs),
                reason: Reason::NoSupply { country: label(c).to_owned(), technology: techs[want].label.clone(), place },
            });
        }

        // Needs open too long without an accepted introduction.
        let cutoff = Utc::now() - chrono::Duration::days(i64::from(open_days));
        let mut waiting: std::collections::BTreeMap<u16, Vec<(&Uuid, &NeedRow)>> = Default::default();
        for &(id, n) in &open {
            if n.created_at < cutoff && !f.first_accepted.contains_key(id) {
                waiting.entry(n.country).or_default().push((id, n));
            }
        }
        for (c, needs) in waiting {
            let c = usize::from(c);
            let k = needs.len() as u64;
            out.push(Found {
                kind: GapKind::OpenTooLong,
                country: Some(countries[c].id.clone()),
                technology: None,
                count: k,
                counts_needs: true,
                needs: k,
                examples: need_examples(needs),
                reason: Reason::OpenTooLong { country: label(c).to_owned(), open_days },
            });
        }

        // Families with no published platform in a country; open needs per country and family.
        let mut asking = vec![0u64; nc * nt];
        let mut families: Vec<u16> = Vec::new();
        for (_, n) in &open {
            families.clear();
            families.extend(n.technologies.iter().filter_map(|&x| t.family.get(usize::from(x)).copied()));
            families.sort_unstable();
            families.dedup();
            for &fam in &families {
                if let Some(a) = asking.get_mut(usize::from(n.country) * nt + usize::from(fam)) {
                    *a += 1;
                }
            }
        }
        for fam in (0..nt).filter(|&i| usize::from(t.family[i]) == i) {
            let mut family = Bits::new(nt);
            (0..nt).filter(|&i| usize::from(t.family[i]) == fam).for_each(|m| family.insert(m as u16));
            let mut lacking: Vec<(u64, usize)> =
                (0..nc).filter(|&c| !offered[c].meets(&family)).map(|c| (asking[c * nt + fam], c)).collect();
            if lacking.is_empty() {
                continue;
            }
            lacking.sort_by(|a, b| b.0.cmp(&a.0).then(countries[a.1].id.cmp(&countries[b.1].id)));
            let needs: u64 = lacking.iter().map(|(n, _)| n).sum();
            let k = lacking.len() as u64;
            out.push(Found {
                kind: GapKind::NoPlatformInCountry,
                country: None,
                technology: Some(techs[fam].id.clone()),
                count: k,
                counts_needs: false,
                needs,
                examples: lacking
                    .iter()
                    .take(COUNTRY_EXAMPLES)
                    .map(|&(_, c)| Example { id: countries[c].id.clone(), label: label(c).to_owned(), kind: ExampleKind::Country })
                    .collect(),
                reason: Reason::NoPlatform { family: techs[fam].label.clone(), countries: nc },
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Bits;

    #[test]
    fn bit_sets() {
        let (mut a, mut b) = (Bits::new(130), Bits::new(130));
        a.insert(129);
        b.insert(3);
        assert!(!a.meets(&b));
        b.union(&a);
        assert!(a.meets(&b));
        a.insert(400); // beyond the set: ignored
        assert_eq!(a.0.len(), 3);
    }
}
