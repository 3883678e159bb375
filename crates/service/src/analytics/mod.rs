//! The network seen whole: coverage and demand per country and technology
//! ([`coverage`]), the gaps a steering committee would take up ([`gaps`]) and activity per
//! month ([`activity`]).
//!
//! Each route answers from [`Analytics`], a compact read model that a follower keeps in step
//! with the change log ([`Service::refresh_analytics`], run after each index catch-up):
//!
//! - a row per platform and per need, as vocabulary positions (read from the catalogue
//!   for the records each batch of changes names);
//! - for each open need, its best match: the score of the best public platform passing every
//!   hard constraint, or none (unserved). Ranking costs about 2 ms a need, so a thread of its
//!   own ranks at most [`PENDING_BATCH`] pending needs a round: a new or changed need, and
//!   after a platform changes, the needs asking for a technology of its families (before or
//!   after the change), whose best match may have gone or come. Until ranked, a pending need
//!   counts in `open_needs` only, and every answer says how many are pending. Any other
//!   write moves scores a little (text relevance is computed over the whole index), so the
//!   thread also re-ranks up to [`DRIFT_BATCH`] needs a round, those ranked longest ago;
//!   `ranked_as_of_seq` tells how old the oldest ranking is;
//! - activity counters folded from the change log (needs posted, needs matched) and the
//!   outbox (introductions proposed and accepted).
//!
//! Counts are public. A count of needs below `min_cell` is shown as "<N" to everyone but
//! admins ([`Count`]), so that a requester cannot be singled out.

pub mod activity;
pub mod coverage;
pub mod gaps;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, RwLock};

use chrono::{DateTime, Datelike, Utc};
use omics_domain::{EventKind, Kind, NeedStatus, PlatformStatus, Record, Vocabularies, Vocabulary};
use omics_store::Op;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{Actor, Result, Service};

/// Pending needs ranked for their best match per round (about 2 ms each).
pub const PENDING_BATCH: usize = 500;
/// Needs ranked before the last change re-ranked per round, oldest ranking first.
pub const DRIFT_BATCH: usize = 100;
/// Change-log entries and events read at a time.
const READ_BATCH: i64 = 5_000;
/// The default of `analytics_min_cell`.
pub const DEFAULT_MIN_CELL: u32 = 3;

/// A count, or "<N" when it counts needs, is below the small-cell threshold N and the viewer
/// is not an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Count {
    /// The count.
    Exact(u64),
    /// Fewer than N (and more than 0) needs: "<3".
    #[schema(example = "<3")]
    Few(String),
}

impl Count {
    /// As CSV and the table views show it.
    pub fn text(&self) -> String {
        match self {
            Count::Exact(n) => n.to_string(),
            Count::Few(s) => s.clone(),
        }
    }
}

/// How counts of needs are shown to one viewer.
#[derive(Debug, Clone, Copy)]
pub struct Disclosure {
    /// 0 for admins: every count is shown.
    min_cell: u64,
}

impl Disclosure {
    pub fn for_viewer(min_cell: u32, viewer: Option<&Actor>) -> Disclosure {
        Disclosure { min_cell: if viewer.is_some_and(Actor::is_admin) { 0 } else { u64::from(min_cell) } }
    }
    /// A count of needs (or of what needs did): "<N" when below the threshold and not 0.
    pub fn needs(self, n: u64) -> Count {
        if n > 0 && n < self.min_cell { Count::Few(format!("<{}", self.min_cell)) } else { Count::Exact(n) }
    }
    /// Whether a figure computed from `n` needs may be shown.
    pub fn shows(self, n: u64) -> bool {
        n == 0 || n >= self.min_cell
    }
}

/// The median of `v` (reordered here, in linear time: a coverage answer takes the medians of
/// every served need several times over, and sorting them was most of its time), rounded to
/// three decimals; None when empty.
pub(crate) fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let n = v.len();
    let (below, &mut upper, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    let m = if n % 2 == 1 {
        upper
    } else {
        // The lower middle is the largest of the values below the upper one.
        let lower = below.iter().copied().max_by(f64::total_cmp).unwrap_or(upper);
        (lower + upper) / 2.0
    };
    Some((m * 1000.0).round() / 1000.0)
}

/// A vocabulary term in an answer: its id and its label.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TermRef {
    #[schema(example = "PT")]
    pub id: String,
    #[schema(example = "Portugal")]
    pub label: String,
}

/// Positions the rows refer to, worked out once from the vocabularies.
#[derive(Debug)]
pub(crate) struct Tables {
    /// Per technology position: the position of its family (the root of its hierarchy).
    pub(crate) family: Vec<u16>,
    /// `satisfies[want * n + have]`: a capability in `have` serves a need asking for `want`
    /// (the same term, a narrower or a broader one; what the matching's hard constraint
    /// takes).
    satisfies: Vec<bool>,
    /// Per country position: the positions of its land neighbours.
    pub(crate) neighbours: Vec<Vec<u16>>,
}

impl Tables {
    fn new(v: &Vocabularies) -> Tables {
        let t = &v.technologies;
        let n = t.terms().len();
        let family = t
            .terms()
            .iter()
            .map(|term| {
                let root = t.self_and_ancestors(&term.id).last().unwrap_or(&term.id);
                t.position(root).and_then(|p| u16::try_from(p).ok()).unwrap_or(u16::MAX)
            })
            .collect();
        let mut satisfies = vec![false; n * n];
        for (i, want) in t.terms().iter().enumerate() {
            for (j, have) in t.terms().iter().enumerate() {
                satisfies[i * n + j] = omics_matching::relation(t, &want.id, &have.id).is_some_and(|r| r.satisfies());
            }
        }
        let c = &v.countries;
        let neighbours = c.terms().iter().map(|term| term.neighbours.iter().filter_map(|id| pos(c, id)).collect()).collect();
        Tables { family, satisfies, neighbours }
    }

    pub(crate) fn satisfies(&self, want: u16, have: u16) -> bool {
        let n = self.family.len();
        self.satisfies.get(usize::from(want) * n + usize::from(have)).copied().unwrap_or(false)
    }
}

/// A term's position, if the vocabulary knows it (and it fits a `u16`).
pub(crate) fn pos(v: &Vocabulary, id: &str) -> Option<u16> {
    v.position(id).and_then(|p| u16::try_from(p).ok())
}

/// One capability of a platform row.
#[derive(Debug, Clone)]
pub(crate) struct CapRow {
    pub(crate) technology: u16,
    pub(crate) capacity: u32,
}

/// A platform as analytics reads it.
#[derive(Debug, Clone)]
pub(crate) struct PlatformRow {
    pub(crate) published: bool,
    pub(crate) cross_border: bool,
    pub(crate) country: u16,
    /// Bit `i`: serves the readiness area at position `i`.
    pub(crate) readiness: u64,
    pub(crate) caps: Vec<CapRow>,
}

impl PlatformRow {
    fn families<'a>(&'a self, t: &'a Tables) -> impl Iterator<Item = u16> + 'a {
        self.caps.iter().map(|c| t.family.get(usize::from(c.technology)).copied().unwrap_or(u16::MAX))
    }
}

/// A need's best match, as the follower last ranked it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Best {
    /// The change-log sequence number the catalogue was at when it was ranked.
    pub(crate) computed: i64,
    /// The best score among platforms passing every hard constraint; None: unserved.
    pub(crate) score: Option<f64>,
}

/// A need as analytics reads it.
#[derive(Debug, Clone)]
pub(crate) struct NeedRow {
    pub(crate) version: i64,
    pub(crate) status: NeedStatus,
    pub(crate) country: u16,
    pub(crate) readiness: u16,
    /// Every technology it names (must-haves and nice-to-haves), deduplicated.
    pub(crate) technologies: Vec<u16>,
    pub(crate) title: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) best: Option<Best>,
}

impl NeedRow {
    pub(crate) fn is_open(&self) -> bool {
        self.status.is_open_for_matching()
    }
}

/// Counts of one month.
#[derive(Debug, Clone, Default)]
pub(crate) struct Month {
    pub(crate) needs_posted: u64,
    pub(crate) introductions_proposed: u64,
    pub(crate) introductions_accepted: u64,
    pub(crate) needs_matched: u64,
    /// Days from posting to first accepted introduction, of the needs first accepted this month.
    pub(crate) days_to_first_acceptance: Vec<f64>,
}

/// What the follower has folded.
#[derive(Debug, Default)]
pub(crate) struct Fold {
    /// The change-log entries folded: up to this sequence number.
    pub(crate) seq: i64,
    /// The events folded: up to this sequence number.
    event_seq: i64,
    pub(crate) platforms: FxHashMap<Uuid, PlatformRow>,
    pub(crate) needs: FxHashMap<Uuid, NeedRow>,
    /// Per family position: the last change of a platform offering a technology of it.
    family_changed: FxHashMap<u16, i64>,
    /// Per (year, month).
    pub(crate) months: BTreeMap<(i32, u32), Month>,
    posted: FxHashMap<Uuid, DateTime<Utc>>,
    proposed: FxHashSet<Uuid>,
    accepted: FxHashSet<Uuid>,
    /// Needs with an accepted introduction, and when the first was accepted.
    pub(crate) first_accepted: FxHashMap<Uuid, DateTime<Utc>>,
}

impl Fold {
    /// Whether a need's best match is pending: never ranked for this version, or a platform
    /// of one of its families changed since.
    pub(crate) fn stale(&self, row: &NeedRow, t: &Tables) -> bool {
        let Some(best) = row.best else { return true };
        row.technologies.iter().any(|&tech| {
            let family = t.family.get(usize::from(tech)).copied().unwrap_or(u16::MAX);
            self.family_changed.get(&family).is_some_and(|&s| s > best.computed)
        })
    }

    fn month(&mut self, at: DateTime<Utc>) -> &mut Month {
        self.months.entry((at.year(), at.month())).or_default()
    }
}

/// The analytics read model (see the module documentation).
#[derive(Debug)]
pub struct Analytics {
    pub(crate) tables: Tables,
    pub(crate) fold: RwLock<Fold>,
    /// One refresh at a time.
    refreshing: Mutex<()>,
    /// Counts of needs below this show as "<N" to non-admins.
    pub min_cell: u32,
}

impl Analytics {
    pub fn new(vocabs: &Vocabularies, min_cell: u32) -> Analytics {
        Analytics { tables: Tables::new(vocabs), fold: RwLock::default(), refreshing: Mutex::new(()), min_cell }
    }

    pub(crate) fn read(&self) -> std::sync::RwLockReadGuard<'_, Fold> {
        self.fold.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Fold> {
        self.fold.write().unwrap_or_else(|p| p.into_inner())
    }
}

fn platform_row(p: &omics_domain::Platform, v: &Vocabularies) -> Option<PlatformRow> {
    let f = &p.fields;
    Some(PlatformRow {
        published: f.status == PlatformStatus::Published,
        cross_border: f.accepts_cross_border,
        country: pos(&v.countries, &f.country)?,
        readiness: f.readiness_areas.iter().filter_map(|a| v.readiness_areas.position(a)).filter(|&i| i < 64).fold(0, |b, i| b | 1 << i),
        caps: f
            .capabilities
            .iter()
            .filter_map(|c| Some(CapRow { technology: pos(&v.technologies, &c.technology)?, capacity: c.monthly_capacity.unwrap_or(0) }))
            .collect(),
    })
}

fn need_row(n: &omics_domain::Need, v: &Vocabularies) -> Option<NeedRow> {
    let f = &n.fields;
    let mut technologies: Vec<u16> = f.technologies.iter().filter_map(|t| pos(&v.technologies, &t.technology)).collect();
    technologies.sort_unstable();
    technologies.dedup();
    Some(NeedRow {
        version: n.meta.version,
        status: f.status,
        country: pos(&v.countries, &f.country)?,
        readiness: pos(&v.readiness_areas, &f.readiness_area).unwrap_or(u16::MAX),
        technologies,
        title: f.title.clone(),
        created_at: n.meta.created_at,
        best: None,
    })
}

/// What one refresh did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// Change-log entries and events folded.
    pub folded: usize,
    /// Needs ranked for their best match.
    pub ranked: usize,
    /// Open needs still pending (see [`Fold::stale`]).
    pub stale: usize,
}

impl Service {
    /// One round of the analytics thread: fold the change log up to what the catalogue
    /// reflects and the new introduction events, then rank up to [`PENDING_BATCH`] pending
    /// needs and [`DRIFT_BATCH`] needs ranked before the last change (stopping early when
    /// `stop` says so).
    pub fn refresh_analytics(&self, stop: &dyn Fn() -> bool) -> Result<Refreshed> {
        let _one = self.analytics.refreshing.lock().unwrap_or_else(|p| p.into_inner());
        let mut done = Refreshed::default();
        let upto = self.index.catalogue.seq();
        loop {
            let after = self.analytics.read().seq;
            let batch = self.store.change_summaries(after, upto, READ_BATCH)?;
            let Some(last) = batch.last().map(|c| c.seq) else { break };
            let mut ids: Vec<Uuid> = batch.iter().map(|c| c.entity_id).collect();
            ids.sort_unstable();
            ids.dedup();
            let current: HashMap<Uuid, Record> =
                self.index.catalogue.get_many(&ids).iter().map(|e| (e.record.meta().id, e.record.clone())).collect();
            let v = &self.vocabs;
            let mut f = self.analytics.write();
            for c in &batch {
                if c.kind != Kind::Need {
                    continue;
                }
                match (c.op, c.status_to.as_deref()) {
                    (Op::Create, _) => {
                        // Posted when the record says (an imported need keeps its date).
                        let at = match current.get(&c.entity_id) {
                            Some(Record::Need(n)) => n.meta.created_at,
                            _ => c.at,
                        };
                        f.posted.insert(c.entity_id, at);
                        f.month(at).needs_posted += 1;
                    }
                    (Op::Update, Some(s)) if s == NeedStatus::Matched.as_str() => f.month(c.at).needs_matched += 1,
                    _ => {}
                }
            }
            for id in ids {
                let old: Vec<u16> = f.platforms.get(&id).map(|p| p.families(&self.analytics.tables).collect()).unwrap_or_default();
                f.platforms.remove(&id);
                let keep_best = f.needs.remove(&id).map(|n| (n.version, n.best));
                match current.get(&id) {
                    Some(Record::Platform(p)) => {
                        if let Some(row) = platform_row(p, v) {
                            let new: Vec<u16> = row.families(&self.analytics.tables).collect();
                            for fam in old.into_iter().chain(new) {
                                f.family_changed.insert(fam, last);
                            }
                            f.platforms.insert(id, row);
                        }
                    }
                    Some(Record::Need(n)) => {
                        if let Some(mut row) = need_row(n, v) {
                            if let Some((version, best)) = keep_best
                                && version == row.version
                            {
                                row.best = best;
                            }
                            f.needs.insert(id, row);
                        }
                    }
                    None => {
                        for fam in old {
                            f.family_changed.insert(fam, last);
                        }
                    }
                }
            }
            f.seq = last;
            done.folded += batch.len();
        }
        loop {
            let after = self.analytics.read().event_seq;
            let kinds = [EventKind::IntroductionProposed, EventKind::IntroductionAccepted];
            let events = self.store.events_of_kinds(&kinds, after, READ_BATCH)?;
            let Some(last) = events.last().map(|e| e.seq) else { break };
            let mut f = self.analytics.write();
            for e in &events {
                // One event per recipient: each introduction counts once.
                match e.kind {
                    EventKind::IntroductionProposed if f.proposed.insert(e.subject_id) => f.month(e.created_at).introductions_proposed += 1,
                    EventKind::IntroductionAccepted if f.accepted.insert(e.subject_id) => {
                        f.month(e.created_at).introductions_accepted += 1;
                        let need = e.payload.get("need_id").and_then(|v| v.as_str()).and_then(|s| Uuid::parse_str(s).ok());
                        if let Some(need) = need
                            && !f.first_accepted.contains_key(&need)
                        {
                            f.first_accepted.insert(need, e.created_at);
                            if let Some(&posted) = f.posted.get(&need) {
                                let days = (e.created_at - posted).num_seconds() as f64 / 86_400.0;
                                f.month(e.created_at).days_to_first_acceptance.push(days.max(0.0));
                            }
                        }
                    }
                    _ => {}
                }
            }
            f.event_seq = last;
            done.folded += events.len();
        }
        let due: Vec<Uuid> = {
            let f = self.analytics.read();
            let t = &self.analytics.tables;
            let mut pending: Vec<(bool, Uuid)> = Vec::new();
            let mut drifted: Vec<(i64, Uuid)> = Vec::new();
            for (id, n) in f.needs.iter().filter(|(_, n)| n.is_open()) {
                if f.stale(n, t) {
                    pending.push((n.best.is_some(), *id));
                } else if let Some(b) = n.best.filter(|b| b.computed < upto) {
                    drifted.push((b.computed, *id));
                }
            }
            // Needs never ranked first; then those ranked longest ago.
            pending.sort_unstable();
            drifted.sort_unstable();
            pending
                .into_iter()
                .take(PENDING_BATCH)
                .map(|(_, id)| id)
                .chain(drifted.into_iter().take(DRIFT_BATCH).map(|(_, id)| id))
                .collect()
        };
        let mut ranked = Vec::with_capacity(due.len());
        for e in self.index.catalogue.get_many(&due) {
            if stop() {
                break;
            }
            if let Record::Need(n) = &e.record {
                ranked.push((n.meta.id, n.meta.version, self.best_match(&n.fields)?));
            }
        }
        let mut f = self.analytics.write();
        for (id, version, score) in ranked {
            if let Some(row) = f.needs.get_mut(&id)
                && row.version == version
            {
                row.best = Some(Best { computed: upto, score });
                done.ranked += 1;
            }
        }
        let t = &self.analytics.tables;
        done.stale = f.needs.values().filter(|n| n.is_open() && f.stale(n, t)).count();
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_of_needs_are_hidden_from_all_but_admins() {
        let public = Disclosure::for_viewer(3, None);
        assert_eq!(public.needs(0), Count::Exact(0));
        assert_eq!(public.needs(2), Count::Few("<3".into()));
        assert_eq!(public.needs(3), Count::Exact(3));
        assert!(!public.shows(1) && public.shows(0) && public.shows(4));
        let admin = Actor { id: Uuid::nil(), role: omics_domain::Role::Admin };
        assert_eq!(Disclosure::for_viewer(3, Some(&admin)).needs(1), Count::Exact(1));
        assert_eq!(serde_json::to_value(public.needs(1)).ok(), Some(serde_json::json!("<3")));
        assert_eq!(serde_json::to_value(public.needs(7)).ok(), Some(serde_json::json!(7)));
    }

    #[test]
    fn medians() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [0.5]), Some(0.5));
        assert_eq!(median(&mut [0.9, 0.1, 0.5]), Some(0.5));
        assert_eq!(median(&mut [0.4, 0.2]), Some(0.3));
    }

    #[test]
    fn the_tables_know_families_relations_and_neighbours() {
        let v = Vocabularies::builtin().expect("vocabularies");
        let t = Tables::new(&v);
        let p = |id: &str| pos(&v.technologies, id).expect(id);
        let fam = |id: &str| t.family[usize::from(p(id))];
        let (root, child) = v
            .technologies
            .terms()
            .iter()
            .find_map(|term| Some((term.parent.clone()?, term.id.clone())))
            .expect("a technology with a broader term");
        let top = v.technologies.self_and_ancestors(&root).last().expect("root").to_owned();
        assert_eq!(fam(&child), p(&top));
        assert!(t.satisfies(p(&child), p(&child)) && t.satisfies(p(&root), p(&child)) && t.satisfies(p(&child), p(&root)));
        let c = |id: &str| pos(&v.countries, id).expect(id);
        assert!(t.neighbours[usize::from(c("PT"))].contains(&c("ES")));
        assert!(!t.neighbours[usize::from(c("PT"))].contains(&c("FR")));
    }
}

#[cfg(test)]
mod median_tests {
    use super::median;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [0.5]), Some(0.5));
        assert_eq!(median(&mut [0.9, 0.1, 0.5]), Some(0.5));
        assert_eq!(median(&mut [0.9, 0.1, 0.4, 0.6]), Some(0.5));
        assert_eq!(median(&mut [0.2, 0.2, 0.8, 0.8, 0.2, 0.8]), Some(0.5));
        let mut many: Vec<f64> = (0..1001).rev().map(|i| f64::from(i) / 1000.0).collect();
        assert_eq!(median(&mut many), Some(0.5));
    }
}
