//! Ranked, explained matches: platforms for a stored need, open needs for a platform, and
//! platforms for a need described in the request (nothing stored, no token).

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use omics_domain::{Need, NeedFields, NeedStatus, Platform, PlatformFields, ReadMode, Record, body};
use omics_index::Entry;
use omics_matching::{Candidate, Component, Context, Exclusion, Reading, Want, Weights};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::{AuthUser, MaybeUser};
use crate::error::{ApiError, ApiResult, Problem};
use crate::ratelimit::Bucket;
use crate::routes::records::{self, DEFAULT_LIMIT, MAX_LIMIT};
use crate::state::AppState;

/// How to rank.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MatchParams {
    /// Results (default 20).
    pub limit: Option<u32>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded: Option<Vec<ExcludedNeed>>,
}

/// Checked match parameters.
pub struct Plan {
    pub weights: Weights,
    pub limit: usize,
    pub min_score: f64,
    pub include_excluded: bool,
    /// How a described need's values are read.
    pub mode: ReadMode,
}

impl Plan {
    fn want(&self) -> Want {
        Want { limit: self.limit, min_score: self.min_score, excluded: self.include_excluded }
    }
}

pub fn plan(state: &AppState, p: &MatchParams) -> ApiResult<Plan> {
    use records::{bad_param, out_of_range};
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(out_of_range("limit", format!("limit is 1 to {MAX_LIMIT}; got {limit}")));
    }
    let min_score = p.min_score.unwrap_or(0.0);
    if !(0.0..=1.0).contains(&min_score) {
        return Err(out_of_range("min_score", format!("min_score is 0 to 1; got {min_score}")));
    }
    records::check_param_length("weights", p.weights.as_deref(), omics_domain::limits::SHORT_TEXT)?;
    let mut weights = state.settings.matching.weights;
    if let Some(spec) = &p.weights {
        weights.apply_overrides(spec).map_err(|m| bad_param("weights", m))?;
    }
    Ok(Plan {
        weights,
        limit: limit as usize,
        min_score,
        include_excluded: p.include_excluded.unwrap_or(false),
        mode: ReadMode { strict: p.strict.unwrap_or(false) },
    })
}

fn must_haves(n: &NeedFields) -> Vec<String> {
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

/// The records to show as the database holds them now. Candidates are scored from the
/// catalogue, which follows the change log and may lag behind the database (a change by
/// another instance, a failed catch-up), so the database decides. If its change log still
/// ends at `seq`, the catalogue's sequence number read before the records were taken, nothing
/// changed since and the copies are current. Otherwise each record's version decides (every
/// change raises it: it is the ETag): a copy at the stored version is shown as it is, a record
/// changed meanwhile is read again (and dropped if it was withdrawn or suspended), a deleted
/// one is dropped.
fn as_stored(
    state: &AppState,
    held: impl Iterator<Item = Record>,
    seq: i64,
    viewer: Option<&AuthUser>,
) -> ApiResult<HashMap<Uuid, Record>> {
    let held: Vec<Record> = held.collect();
    if state.store.last_seq()? == seq {
        return Ok(held.into_iter().filter(|r| records::visible(r, viewer)).map(|r| (r.meta().id, r)).collect());
    }
    let ids: Vec<Uuid> = held.iter().map(|r| r.meta().id).collect();
    let versions = state.store.versions(&ids)?;
    let (current, changed): (Vec<Record>, Vec<Record>) = held
        .into_iter()
        .filter(|r| versions.contains_key(&r.meta().id))
        .partition(|r| versions.get(&r.meta().id) == Some(&r.meta().version));
    let reread =
        if changed.is_empty() { Vec::new() } else { state.store.get_many(&changed.iter().map(|r| r.meta().id).collect::<Vec<_>>())? };
    Ok(current.into_iter().chain(reread).filter(|r| records::visible(r, viewer)).map(|r| (r.meta().id, r)).collect())
}

/// Rank platforms for `need` (blocking: index, store and engine).
pub fn platforms_for(
    state: &AppState,
    need: &NeedFields,
    need_id: Option<Uuid>,
    readings: &[Reading],
    plan: &Plan,
) -> ApiResult<PlatformMatches> {
    let max = state.settings.matching.max_candidates;
    let found = state.index.platform_candidates(need, false, max)?;
    let seq = state.index.catalogue.seq();
    let records = state.index.catalogue.get_many(&found.ids);
    let extra = if plan.include_excluded {
        let relaxed = state.index.platform_candidates(need, true, max)?;
        let extra: Vec<Uuid> = relaxed.ids.into_iter().filter(|id| !found.text.contains_key(id)).collect();
        state.index.catalogue.get_many(&extra)
    } else {
        Vec::new()
    };
    let mut candidates: Vec<Candidate> = platforms_of(&records).collect();
    let scored = candidates.len();
    candidates.extend(platforms_of(&extra));
    // Counted even when equity weighs nothing: its reason is shown and must be true.
    let supply = state.index.supply(&must_haves(need))?;
    let ctx = Context {
        vocabs: &state.vocabs,
        weights: plan.weights,
        today: Utc::now().date_naive(),
        text: &found.text,
        supply: &supply,
        readings,
    };
    let ranking = omics_matching::rank_platforms(need, &candidates, &ctx, plan.want());
    let shown = ranking.matches.iter().map(|m| m.item).chain(ranking.excluded.iter().map(|(p, _)| *p));
    let mut stored = as_stored(state, shown.map(|p| Record::Platform(p.clone())), seq, None)?;
    let mut take = |id: &Uuid| match stored.remove(id) {
        Some(Record::Platform(p)) => Some(p),
        _ => None,
    };
    Ok(PlatformMatches {
        need_id,
        weights: plan.weights,
        candidates: scored,
        matches: ranking
            .matches
            .into_iter()
            .filter_map(|m| Some(PlatformMatch { platform: take(&m.item.meta.id)?, score: m.score, components: m.components }))
            .collect(),
        excluded: plan.include_excluded.then(|| {
            ranking
                .excluded
                .into_iter()
                .filter_map(|(p, why)| Some(ExcludedPlatform { platform: take(&p.meta.id)?, exclusions: why }))
                .collect()
        }),
        readings: Vec::new(),
        warnings: Vec::new(),
    })
}

/// Matching without a token counts against the per-address limit.
fn limit_anonymous(state: &AppState, req: &HttpRequest, viewer: &MaybeUser) -> ApiResult<()> {
    match viewer.0 {
        Some(_) => Ok(()),
        None => state.limits.check(Bucket::AnonymousMatching, req),
    }
}

/// Platforms for a stored need.
#[utoipa::path(get, path = "/api/v1/needs/{id}/matches", tag = "matches",
    params(("id" = Uuid, Path), MatchParams), security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Ranked platforms with their components and reasons", body = PlatformMatches),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such need, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many anonymous matches from this address; see Retry-After", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn for_need(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    params: web::Query<MatchParams>,
    viewer: MaybeUser,
) -> ApiResult<HttpResponse> {
    limit_anonymous(&state, &req, &viewer)?;
    let plan = plan(&state, &params)?;
    let rec = records::load::<NeedFields>(&state, id.into_inner(), viewer.0.as_ref()).await?;
    let Record::Need(need) = rec else { return Err(ApiError::internal("record of the wrong kind")) };
    let result = web::block(move || platforms_for(&state, &need.fields, Some(need.meta.id), &[], &plan)).await??;
    Ok(HttpResponse::Ok().json(result))
}

/// Platforms for a need described in the body (the fields of a need; nothing is stored). Values
/// are read exactly as `POST /needs` reads them: free text ("single cel RNA seq") that the term
/// linker reads with confidence is taken and reported in `readings`; anything less is 422 with
/// suggestions (`strict=true`: only ids, labels and synonyms).
#[utoipa::path(post, path = "/api/v1/matches", tag = "matches", request_body = NeedFields, params(MatchParams), security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Ranked platforms with their components and reasons", body = PlatformMatches),
        (status = 400, description = "Malformed JSON or parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Bad token", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields or unknown terms, with suggestions", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many anonymous matches from this address; see Retry-After", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn adhoc(
    state: web::Data<AppState>,
    req: HttpRequest,
    params: web::Query<MatchParams>,
    viewer: MaybeUser,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    limit_anonymous(&state, &req, &viewer)?;
    let plan = plan(&state, &params)?;
    let result = web::block(move || match_described_need(&state, body.into_inner(), &plan)).await??;
    Ok(HttpResponse::Ok().json(result))
}

/// Platforms for a need given as JSON (blocking): what `POST /matches` answers.
pub fn match_described_need(state: &AppState, value: serde_json::Value, plan: &Plan) -> ApiResult<PlatformMatches> {
    let (need, readings, warnings) = read_need(state, value, plan.mode)?;
    let mut result = platforms_for(state, &need, None, &technology_readings(&readings), plan)?;
    result.readings = readings;
    result.warnings = warnings;
    Ok(result)
}

/// A need described as JSON, validated and read as `POST /needs` reads it.
pub fn read_need(
    state: &AppState,
    value: serde_json::Value,
    mode: ReadMode,
) -> ApiResult<(NeedFields, Vec<omics_domain::linker::Reading>, Vec<omics_domain::linker::Warning>)> {
    let mut need: NeedFields = body::from_value(value)?;
    need.status = NeedStatus::Open;
    let checked = need.check(&state.vocabs, Some(Utc::now().date_naive()), mode)?;
    Ok((checked.fields, checked.readings, checked.warnings))
}

/// The readings of technologies that were not typed as a term's name, for the technology reason.
fn technology_readings(readings: &[omics_domain::linker::Reading]) -> Vec<Reading> {
    readings
        .iter()
        .filter(|r| r.field.ends_with(".technology") && r.confidence != omics_domain::Confidence::Exact)
        .map(|r| Reading { typed: r.typed.clone(), technology: r.term.clone(), similarity: (r.score * 100.0).round() / 100.0 })
        .collect()
}

/// Open needs a platform could serve.
#[utoipa::path(get, path = "/api/v1/platforms/{id}/matches", tag = "matches",
    params(("id" = Uuid, Path), MatchParams), security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Ranked open needs with their components and reasons", body = NeedMatches),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such platform, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many anonymous matches from this address; see Retry-After", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn for_platform(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    params: web::Query<MatchParams>,
    viewer: MaybeUser,
) -> ApiResult<HttpResponse> {
    limit_anonymous(&state, &req, &viewer)?;
    let plan = plan(&state, &params)?;
    let rec = records::load::<PlatformFields>(&state, id.into_inner(), viewer.0.as_ref()).await?;
    let Record::Platform(platform) = rec else { return Err(ApiError::internal("record of the wrong kind")) };
    let viewer = viewer.0;
    let result = web::block(move || -> ApiResult<NeedMatches> {
        let found = state.index.need_candidates(&platform, state.settings.matching.max_candidates)?;
        let seq = state.index.catalogue.seq();
        let found_records = state.index.catalogue.get_many(&found.ids);
        let needs: Vec<&Need> = found_records
            .iter()
            .filter(|e| records::visible(&e.record, viewer.as_ref()))
            .filter_map(|e| if let Record::Need(n) = &e.record { Some(n) } else { None })
            .collect();
        let mut techs: Vec<String> = needs.iter().flat_map(|n| must_haves(&n.fields)).collect();
        techs.sort();
        techs.dedup();
        let supply = state.index.supply(&techs)?;
        let ctx = Context {
            vocabs: &state.vocabs,
            weights: plan.weights,
            today: Utc::now().date_naive(),
            text: &found.text,
            supply: &supply,
            readings: &[],
        };
        let ranking = omics_matching::rank_needs(&platform, &needs, &ctx, plan.want());
        let held = ranking.matches.iter().map(|m| m.item).chain(ranking.excluded.iter().map(|(n, _)| *n));
        let mut stored = as_stored(&state, held.map(|n| Record::Need(n.clone())), seq, viewer.as_ref())?;
        let mut shown = |n: &Need| -> Option<Need> {
            let mut rec = stored.remove(&n.meta.id)?;
            records::redact(&mut rec, viewer.as_ref());
            match rec {
                Record::Need(n) => Some(n),
                Record::Platform(_) => None,
            }
        };
        Ok(NeedMatches {
            platform_id: platform.meta.id,
            weights: plan.weights,
            candidates: needs.len(),
            matches: ranking
                .matches
                .into_iter()
                .filter_map(|m| Some(NeedMatch { need: shown(m.item)?, score: m.score, components: m.components }))
                .collect(),
            excluded: plan.include_excluded.then(|| {
                ranking.excluded.into_iter().filter_map(|(n, why)| Some(ExcludedNeed { need: shown(n)?, exclusions: why })).collect()
            }),
        })
    })
    .await??;
    Ok(HttpResponse::Ok().json(result))
}
