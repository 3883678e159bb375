//! Ranked, explained matches both ways, on one path: platforms for a need (stored, or
//! described in the request) and open needs for a platform. Each direction takes candidates
//! from the index, ranks them with `omics_matching`, and has the database re-check what is
//! shown ([`Service::as_stored`]).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;
use omics_domain::{Need, NeedFields, NeedStatus, Platform, PlatformFields, ReadMode, Record, body};
use omics_index::{Candidates, Entry};
use omics_matching::{Candidate, Component, Context, Exclusion, Ranking, Reading, TextScores, Want, Weights};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::params::{bad_param, check_param_length, out_of_range, page_bounds};
use crate::records::{redact, visible};
use crate::{Actor, Error, Result, Service};

/// How to rank.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MatchParams {
    /// Results (default 20, at most 100).
    pub limit: Option<u32>,
    /// Results to skip (0 to 10 000): with `limit`, a page of the ranking. Equal scores are
    /// ordered by id, so equal inputs give equal pages; `next_offset` gives the next one.
    pub offset: Option<u32>,
    /// Leave out results scoring below this.
    pub min_score: Option<f64>,
    /// Weights overriding the defaults, as `name:value` pairs: `technology:0.5,text:0,equity:0.1`.
    /// Components: technology, readiness, country, capacity, text, maturity, accreditation, equity.
    #[param(example = "technology:0.4,country:0.3")]
    pub weights: Option<String>,
    /// Also list the candidates a hard constraint excluded, each with the constraint.
    pub include_excluded: Option<bool>,
    /// `POST /matches`: take only ids, labels and synonyms, no automatic reading (default false).
    pub strict: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformMatch {
    pub platform: Platform,
    /// In [0, 1]: the sum of the components' contributions.
    pub score: f64,
    pub components: Vec<Component>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExcludedPlatform {
    pub platform: Platform,
    pub exclusions: Vec<Exclusion>,
}

/// Platforms for a need, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformMatches {
    /// The stored need, for `/needs/{id}/matches`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub need_id: Option<Uuid>,
    /// The weights used.
    pub weights: Weights,
    /// Candidates the index returned and the engine scored.
    pub candidates: usize,
    pub matches: Vec<PlatformMatch>,
    /// The page: at most `limit` matches from `offset` on.
    pub limit: u32,
    pub offset: u32,
    /// The `offset` of the next page; absent after the last.
    pub next_offset: Option<u32>,
    /// With `include_excluded=true`: candidates a hard constraint excluded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded: Option<Vec<ExcludedPlatform>>,
    /// Vocabulary values of the described need not sent as canonical ids, and how they were read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub readings: Vec<omics_domain::linker::Reading>,
    /// Values of the described need kept as typed and not matched (`technology_held`: a
    /// nice-to-have not read with confidence beside a technology that was), with suggestions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<omics_domain::linker::Warning>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NeedMatch {
    pub need: Need,
    pub score: f64,
    pub components: Vec<Component>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExcludedNeed {
    pub need: Need,
    pub exclusions: Vec<Exclusion>,
}

/// Open needs a platform could serve, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct NeedMatches {
    pub platform_id: Uuid,
    pub weights: Weights,
    pub candidates: usize,
    pub matches: Vec<NeedMatch>,
    /// The page: at most `limit` matches from `offset` on.
    pub limit: u32,
    pub offset: u32,
    /// The `offset` of the next page; absent after the last.
    pub next_offset: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded: Option<Vec<ExcludedNeed>>,
}

/// Checked match parameters.
#[derive(Debug, Clone)]
pub struct Plan {
    pub weights: Weights,
    pub limit: usize,
    /// Ranked matches skipped before the page (`excluded` is not paged: its first `limit`).
    pub offset: usize,
    pub min_score: f64,
    pub include_excluded: bool,
    /// How a described need's values are read.
    pub mode: ReadMode,
}

impl Plan {
    fn want(&self) -> Want {
        // One more than the page's end, to know whether a next page follows.
        Want { limit: self.offset + self.limit + 1, min_score: self.min_score, excluded: self.include_excluded }
    }
}

pub(crate) fn must_haves(n: &NeedFields) -> Vec<String> {
    n.technologies.iter().filter(|t| t.required).map(|t| t.technology.clone()).collect()
}

/// The public platforms among `entries` (from the catalogue), with their features.
pub fn platforms_of(entries: &[Arc<Entry>]) -> impl Iterator<Item = Candidate<'_>> {
    entries.iter().filter_map(|e| match (&e.record, &e.features) {
        // The features say it without reading the record (one cache miss less per candidate).
        (Record::Platform(platform), Some(f)) => f.is_public().then_some(Candidate { platform, features: Some(f) }),
        (Record::Platform(platform), None) => e.record.is_public().then_some(Candidate { platform, features: None }),
        (Record::Need(_), _) => None,
    })
}

/// The readings of technologies that were not typed as a term's name, for the technology reason.
fn technology_readings(readings: &[omics_domain::linker::Reading]) -> Vec<Reading> {
    readings
        .iter()
        .filter(|r| r.field.ends_with(".technology") && r.confidence != omics_domain::Confidence::Exact)
        .map(|r| Reading { typed: r.typed.clone(), technology: r.term.clone(), similarity: (r.score * 100.0).round() / 100.0 })
        .collect()
}

/// One ranked item, or one excluded, as the database holds it now.
struct Outcome<T> {
    candidates: usize,
    /// The offset of the next page, if one follows.
    next_offset: Option<u32>,
    matches: Vec<(T, f64, Vec<Component>)>,
    excluded: Option<Vec<(T, Vec<Exclusion>)>>,
}

/// What differs between the two directions of a match; everything else is [`Service::run`].
trait Direction {
    /// What is matched: a need's fields, or a platform.
    type Subject;
    /// What is ranked: platforms, or needs.
    type Item: Clone;
    /// Candidates from the index; `relaxed`: also those a hard constraint excludes (`None`
    /// when the direction finds those among its candidates already).
    fn candidates(svc: &Service, subject: &Self::Subject, relaxed: bool) -> Result<Option<Candidates>>;
    /// Rank the candidates `viewer` may see; also the number scored.
    #[allow(clippy::too_many_arguments)]
    fn rank<'a>(
        svc: &Service,
        subject: &Self::Subject,
        entries: &'a [Arc<Entry>],
        extra: &'a [Arc<Entry>],
        viewer: Option<&Actor>,
        plan: &Plan,
        text: &TextScores,
        readings: &[Reading],
    ) -> Result<(Ranking<'a, Self::Item>, usize)>;
    fn id(item: &Self::Item) -> Uuid;
    fn record(item: &Self::Item) -> Record;
    /// The item of a re-read record, as `viewer` may see it.
    fn item(rec: Record, viewer: Option<&Actor>) -> Option<Self::Item>;
}

struct PlatformsForNeed;

impl Direction for PlatformsForNeed {
    type Subject = NeedFields;
    type Item = Platform;
    fn candidates(svc: &Service, need: &NeedFields, relaxed: bool) -> Result<Option<Candidates>> {
        Ok(Some(svc.index.platform_candidates(need, relaxed, svc.matching.max_candidates)?))
    }
    fn rank<'a>(
        svc: &Service,
        need: &NeedFields,
        entries: &'a [Arc<Entry>],
        extra: &'a [Arc<Entry>],
        _: Option<&Actor>,
        plan: &Plan,
        text: &TextScores,
        readings: &[Reading],
    ) -> Result<(Ranking<'a, Platform>, usize)> {
        let mut candidates: Vec<Candidate<'a>> = platforms_of(entries).collect();
        let scored = candidates.len();
        candidates.extend(platforms_of(extra));
        // Counted even when equity weighs nothing: its reason is shown and must be true.
        let supply = svc.index.supply(&must_haves(need))?;
        let ctx = svc.context(plan.weights, text, &supply, readings);
        Ok((omics_matching::rank_platforms(need, &candidates, &ctx, plan.want()), scored))
    }
    fn id(p: &Platform) -> Uuid {
        p.meta.id
    }
    fn record(p: &Platform) -> Record {
        Record::Platform(p.clone())
    }
    fn item(rec: Record, _: Option<&Actor>) -> Option<Platform> {
        match rec {
            Record::Platform(p) => Some(p),
            Record::Need(_) => None,
        }
    }
}

struct NeedsForPlatform;

impl Direction for NeedsForPlatform {
    type Subject = Platform;
    type Item = Need;
    fn candidates(svc: &Service, platform: &Platform, relaxed: bool) -> Result<Option<Candidates>> {
        // The excluded needs are among the candidates: nothing more to ask for.
        if relaxed {
            return Ok(None);
        }
        Ok(Some(svc.index.need_candidates(platform, svc.matching.max_candidates)?))
    }
    fn rank<'a>(
        svc: &Service,
        platform: &Platform,
        entries: &'a [Arc<Entry>],
        _: &'a [Arc<Entry>],
        viewer: Option<&Actor>,
        plan: &Plan,
        text: &TextScores,
        readings: &[Reading],
    ) -> Result<(Ranking<'a, Need>, usize)> {
        let needs: Vec<&'a Need> = entries
            .iter()
            .filter(|e| visible(&e.record, viewer))
            .filter_map(|e| if let Record::Need(n) = &e.record { Some(n) } else { None })
            .collect();
        let mut techs: Vec<String> = needs.iter().flat_map(|n| must_haves(&n.fields)).collect();
        techs.sort();
        techs.dedup();
        let supply = svc.index.supply(&techs)?;
        let ctx = svc.context(plan.weights, text, &supply, readings);
        Ok((omics_matching::rank_needs(platform, &needs, &ctx, plan.want()), needs.len()))
    }
    fn id(n: &Need) -> Uuid {
        n.meta.id
    }
    fn record(n: &Need) -> Record {
        Record::Need(n.clone())
    }
    fn item(mut rec: Record, viewer: Option<&Actor>) -> Option<Need> {
        redact(&mut rec, viewer);
        match rec {
            Record::Need(n) => Some(n),
            Record::Platform(_) => None,
        }
    }
}

impl Service {
    /// Check match parameters against the configured defaults.
    pub fn plan(&self, p: &MatchParams) -> Result<Plan> {
        let (limit, offset) = page_bounds(p.limit, p.offset)?;
        let min_score = p.min_score.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&min_score) {
            return Err(out_of_range("min_score", format!("min_score is 0 to 1; got {min_score}")));
        }
        check_param_length("weights", p.weights.as_deref(), omics_domain::limits::SHORT_TEXT)?;
        let mut weights = self.matching.weights;
        if let Some(spec) = &p.weights {
            weights.apply_overrides(spec).map_err(|m| bad_param("weights", m))?;
        }
        Ok(Plan {
            weights,
            limit: limit as usize,
            offset: offset as usize,
            min_score,
            include_excluded: p.include_excluded.unwrap_or(false),
            mode: ReadMode { strict: p.strict.unwrap_or(false) },
        })
    }

    /// What scoring reads besides the pair, with these weights and today's date.
    pub(crate) fn context<'c>(
        &'c self,
        weights: Weights,
        text: &'c TextScores,
        supply: &'c omics_matching::Supply,
        readings: &'c [Reading],
    ) -> Context<'c> {
        Context { vocabs: &self.vocabs, weights, today: Utc::now().date_naive(), text, supply, readings }
    }

    /// One match, either way: candidates, ranking, and the database's re-check.
    fn run<D: Direction>(
        &self,
        subject: &D::Subject,
        viewer: Option<&Actor>,
        readings: &[Reading],
        plan: &Plan,
    ) -> Result<Outcome<D::Item>> {
        let found = D::candidates(self, subject, false)?.unwrap_or_default();
        let seq = self.index.catalogue.seq();
        let entries = self.index.catalogue.get_many(&found.ids);
        let extra = match plan.include_excluded.then(|| D::candidates(self, subject, true)).transpose()?.flatten() {
            Some(relaxed) => {
                let extra: Vec<Uuid> = relaxed.ids.into_iter().filter(|id| !found.text.contains_key(id)).collect();
                self.index.catalogue.get_many(&extra)
            }
            None => Vec::new(),
        };
        let (mut ranking, candidates) = D::rank(self, subject, &entries, &extra, viewer, plan, &found.text, readings)?;
        // The page: the ranking is best first with ties by id, so a window of it is stable.
        let end = plan.offset + plan.limit;
        let next_offset = (ranking.matches.len() > end).then(|| u32::try_from(end).unwrap_or(u32::MAX));
        ranking.matches.truncate(end);
        ranking.matches.drain(..plan.offset.min(ranking.matches.len()));
        ranking.excluded.truncate(plan.limit);
        let shown = ranking.matches.iter().map(|m| m.item).chain(ranking.excluded.iter().map(|(item, _)| *item));
        let mut stored = self.as_stored(shown.map(D::record), seq, viewer)?;
        let mut take = |rec: &D::Item| -> Option<D::Item> { D::item(stored.remove(&D::id(rec))?, viewer) };
        Ok(Outcome {
            candidates,
            next_offset,
            matches: ranking.matches.into_iter().filter_map(|m| Some((take(m.item)?, m.score, m.components))).collect(),
            excluded: plan
                .include_excluded
                .then(|| ranking.excluded.into_iter().filter_map(|(item, why)| Some((take(item)?, why))).collect()),
        })
    }

    /// The records to show as the database holds them now. Candidates are scored from the
    /// catalogue, which follows the change log and may lag behind the database (a change by
    /// another instance, a failed catch-up), so the database decides. If its change log still
    /// ends at `seq`, the catalogue's sequence number read before the records were taken,
    /// nothing changed since and the copies are current. Otherwise each record's version
    /// decides (every change raises it: it is the ETag): a copy at the stored version is shown
    /// as it is, a record changed meanwhile is read again (and dropped if it was withdrawn or
    /// suspended), a deleted one is dropped.
    fn as_stored(&self, held: impl Iterator<Item = Record>, seq: i64, viewer: Option<&Actor>) -> Result<HashMap<Uuid, Record>> {
        let held: Vec<Record> = held.collect();
        if self.store.last_seq()? == seq {
            return Ok(held.into_iter().filter(|r| visible(r, viewer)).map(|r| (r.meta().id, r)).collect());
        }
        let ids: Vec<Uuid> = held.iter().map(|r| r.meta().id).collect();
        let versions = self.store.versions(&ids)?;
        let (current, changed): (Vec<Record>, Vec<Record>) = held
            .into_iter()
            .filter(|r| versions.contains_key(&r.meta().id))
            .partition(|r| versions.get(&r.meta().id) == Some(&r.meta().version));
        let reread =
            if changed.is_empty() { Vec::new() } else { self.store.get_many(&changed.iter().map(|r| r.meta().id).collect::<Vec<_>>())? };
        Ok(current.into_iter().chain(reread).filter(|r| visible(r, viewer)).map(|r| (r.meta().id, r)).collect())
    }

    /// The best score a public platform passing every hard constraint of `need` reaches, or
    /// None when none passes (the need is unserved): what analytics counts. Ranked as a
    /// match is, with the default weights, from the catalogue alone (nothing is shown, so the
    /// database need not re-check).
    pub fn best_match(&self, need: &NeedFields) -> Result<Option<f64>> {
        let plan = Plan {
            weights: self.matching.weights,
            limit: 1,
            offset: 0,
            min_score: 0.0,
            include_excluded: false,
            mode: ReadMode::default(),
        };
        let found = PlatformsForNeed::candidates(self, need, false)?.unwrap_or_default();
        let entries = self.index.catalogue.get_many(&found.ids);
        let (ranking, _) = PlatformsForNeed::rank(self, need, &entries, &[], None, &plan, &found.text, &[])?;
        Ok(ranking.matches.first().map(|m| m.score))
    }

    /// Rank the public platforms for `need`.
    pub fn platforms_for(&self, need: &NeedFields, need_id: Option<Uuid>, readings: &[Reading], plan: &Plan) -> Result<PlatformMatches> {
        let out = self.run::<PlatformsForNeed>(need, None, readings, plan)?;
        Ok(PlatformMatches {
            need_id,
            weights: plan.weights,
            candidates: out.candidates,
            matches: out.matches.into_iter().map(|(platform, score, components)| PlatformMatch { platform, score, components }).collect(),
            limit: plan.limit as u32,
            offset: plan.offset as u32,
            next_offset: out.next_offset,
            excluded: out.excluded.map(|e| e.into_iter().map(|(platform, exclusions)| ExcludedPlatform { platform, exclusions }).collect()),
            readings: Vec::new(),
            warnings: Vec::new(),
        })
    }

    /// Platforms for a stored need that `viewer` may see.
    pub fn match_need(&self, id: Uuid, viewer: Option<&Actor>, params: &MatchParams) -> Result<PlatformMatches> {
        let plan = self.plan(params)?;
        let Record::Need(need) = self.load::<NeedFields>(id, viewer)? else { return Err(Error::internal("record of the wrong kind")) };
        self.platforms_for(&need.fields, Some(need.meta.id), &[], &plan)
    }

    /// Platforms for a need given as JSON: what `POST /matches` answers. Values are read as a
    /// stored need's are, and the readings and warnings are reported.
    pub fn match_described(&self, value: serde_json::Value, params: &MatchParams) -> Result<PlatformMatches> {
        let plan = self.plan(params)?;
        self.match_described_need(value, &plan)
    }

    /// [`Service::match_described`] with checked parameters.
    pub fn match_described_need(&self, value: serde_json::Value, plan: &Plan) -> Result<PlatformMatches> {
        let (need, readings, warnings) = self.read_need(value, plan.mode)?;
        let mut result = self.platforms_for(&need, None, &technology_readings(&readings), plan)?;
        result.readings = readings;
        result.warnings = warnings;
        Ok(result)
    }

    /// A need described as JSON, validated and read as `POST /needs` reads it.
    #[allow(clippy::type_complexity)]
    pub fn read_need(
        &self,
        value: serde_json::Value,
        mode: ReadMode,
    ) -> Result<(NeedFields, Vec<omics_domain::linker::Reading>, Vec<omics_domain::linker::Warning>)> {
        let mut need: NeedFields = body::from_value(value)?;
        need.status = NeedStatus::Open;
        let checked = need.check(&self.vocabs, Some(Utc::now().date_naive()), mode)?;
        Ok((checked.fields, checked.readings, checked.warnings))
    }

    /// Open needs a platform that `viewer` may see could serve, among the needs `viewer` may
    /// see; the requesters of anonymous needs hidden.
    pub fn match_platform(&self, id: Uuid, viewer: Option<&Actor>, params: &MatchParams) -> Result<NeedMatches> {
        let plan = self.plan(params)?;
        let Record::Platform(platform) = self.load::<PlatformFields>(id, viewer)? else {
            return Err(Error::internal("record of the wrong kind"));
        };
        let mut out = self.run::<NeedsForPlatform>(&platform, viewer, &[], &plan)?;
        let excluded = out.excluded.iter_mut().flatten().map(|(n, _)| n);
        self.name_requesters(out.matches.iter_mut().map(|(n, _, _)| n).chain(excluded))?;
        Ok(NeedMatches {
            platform_id: platform.meta.id,
            weights: plan.weights,
            candidates: out.candidates,
            matches: out.matches.into_iter().map(|(need, score, components)| NeedMatch { need, score, components }).collect(),
            limit: plan.limit as u32,
            offset: plan.offset as u32,
            next_offset: out.next_offset,
            excluded: out.excluded.map(|e| e.into_iter().map(|(need, exclusions)| ExcludedNeed { need, exclusions }).collect()),
        })
    }
}
