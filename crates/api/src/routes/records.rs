//! What platforms and needs share: create, read, replace, patch, delete and list, with
//! ownership, visibility, `ETag`/`If-Match` and the index kept in step after every write.

use std::collections::BTreeMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{NaiveDate, Utc};
use omics_domain::linker::{Reading, Warning};
use omics_domain::{
    Checked, Code, FieldError, Kind, Meta, Need, NeedFields, NeedStatus, Platform, PlatformFields, PlatformStatus, ReadMode, Record, Role,
    ValidationErrors, Vocabularies, body, limits,
};
use omics_index::{Audience, Filter, SearchRequest, Sort};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::{AuthUser, MaybeUser};
use crate::error::{ApiError, ApiResult};
use crate::etag;
use crate::state::AppState;

/// A record type served by the generic handlers.
pub trait Entity: Serialize + DeserializeOwned + Clone + Send + 'static {
    const KIND: Kind;
    const NAME: &'static str;
    type Stored: Serialize;
    /// The stored record with how a write read its values.
    type Written: Serialize;
    fn check(self, v: &Vocabularies, today: Option<NaiveDate>, mode: ReadMode) -> Result<Checked<Self>, ValidationErrors>;
    fn wrap(meta: Meta, fields: Self) -> Record;
    fn unwrap(rec: Record) -> Option<(Meta, Self)>;
    fn stored(meta: Meta, fields: Self) -> Self::Stored;
    fn written(stored: Self::Stored, readings: Vec<Reading>, warnings: Vec<Warning>) -> Self::Written;
    /// Who may create one.
    fn may_create(role: Role) -> bool;
    /// Status rules beyond the schema: only admins set or lift `suspended`; with moderation
    /// on, a platform a non-admin publishes waits in `pending_review` for an admin.
    fn apply_status_rules(&mut self, user: &AuthUser, previous: Option<&Self>, moderation: bool) -> Result<(), ValidationErrors>;
    /// Statuses this kind can have (for the `status` filter).
    fn statuses() -> Vec<&'static str>;
}

impl Entity for PlatformFields {
    const KIND: Kind = Kind::Platform;
    const NAME: &'static str = "platform";
    type Stored = Platform;
    type Written = PlatformWritten;
    fn check(self, v: &Vocabularies, _: Option<NaiveDate>, mode: ReadMode) -> Result<Checked<Self>, ValidationErrors> {
        PlatformFields::check(self, v, mode)
    }
    fn wrap(meta: Meta, fields: Self) -> Record {
        Record::Platform(Platform { meta, fields })
    }
    fn unwrap(rec: Record) -> Option<(Meta, Self)> {
        match rec {
            Record::Platform(p) => Some((p.meta, p.fields)),
            Record::Need(_) => None,
        }
    }
    fn stored(meta: Meta, fields: Self) -> Platform {
        Platform { meta, fields }
    }
    fn written(platform: Platform, readings: Vec<Reading>, warnings: Vec<Warning>) -> PlatformWritten {
        PlatformWritten { platform, readings, warnings }
    }
    fn may_create(role: Role) -> bool {
        matches!(role, Role::PlatformManager | Role::Admin)
    }
    fn apply_status_rules(&mut self, user: &AuthUser, previous: Option<&Self>, moderation: bool) -> Result<(), ValidationErrors> {
        if user.is_admin() {
            return Ok(());
        }
        let before = previous.map(|p| p.status);
        if before == Some(PlatformStatus::Suspended) && self.status != PlatformStatus::Suspended {
            return Err(status_error("this platform was suspended by the network's secretariat; only an admin can reinstate it"));
        }
        if self.status == PlatformStatus::Suspended && before != Some(PlatformStatus::Suspended) {
            return Err(status_error("suspended is set by admins; use draft, published or archived"));
        }
        if self.status == PlatformStatus::PendingReview && before != Some(PlatformStatus::PendingReview) {
            return Err(status_error("pending_review is set by moderation; use draft, published or archived"));
        }
        if moderation && self.status == PlatformStatus::Published && before != Some(PlatformStatus::Published) {
            // Moderation decides when a platform goes public.
            self.status = PlatformStatus::PendingReview;
        }
        Ok(())
    }
    fn statuses() -> Vec<&'static str> {
        PlatformStatus::ALL.iter().map(|s| s.as_str()).collect()
    }
}

impl Entity for NeedFields {
    const KIND: Kind = Kind::Need;
    const NAME: &'static str = "need";
    type Stored = Need;
    type Written = NeedWritten;
    fn check(self, v: &Vocabularies, today: Option<NaiveDate>, mode: ReadMode) -> Result<Checked<Self>, ValidationErrors> {
        NeedFields::check(self, v, today, mode)
    }
    fn wrap(meta: Meta, fields: Self) -> Record {
        Record::Need(Need { meta, fields })
    }
    fn unwrap(rec: Record) -> Option<(Meta, Self)> {
        match rec {
            Record::Need(n) => Some((n.meta, n.fields)),
            Record::Platform(_) => None,
        }
    }
    fn stored(meta: Meta, fields: Self) -> Need {
        Need { meta, fields }
    }
    fn written(need: Need, readings: Vec<Reading>, warnings: Vec<Warning>) -> NeedWritten {
        NeedWritten { need, readings, warnings }
    }
    fn may_create(_: Role) -> bool {
        true
    }
    fn apply_status_rules(&mut self, user: &AuthUser, previous: Option<&Self>, _: bool) -> Result<(), ValidationErrors> {
        let before = previous.map(|p| p.status);
        if user.is_admin() || (self.status == NeedStatus::Suspended) == (before == Some(NeedStatus::Suspended)) {
            return Ok(());
        }
        Err(status_error("suspended is set and lifted by admins only"))
    }
    fn statuses() -> Vec<&'static str> {
        NeedStatus::ALL.iter().map(|s| s.as_str()).collect()
    }
}

/// A platform as a write stored it, with how its vocabulary values were read.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformWritten {
    #[serde(flatten)]
    pub platform: Platform,
    /// Every vocabulary value not sent as its canonical id: what was typed, the term stored and
    /// how sure the reading is.
    pub readings: Vec<Reading>,
    /// Values of open lists (data standards, services, instruments) kept as typed.
    pub warnings: Vec<Warning>,
}

/// A need as a write stored it, with how its vocabulary values were read.
#[derive(Debug, Serialize, ToSchema)]
pub struct NeedWritten {
    #[serde(flatten)]
    pub need: Need,
    /// Every vocabulary value not sent as its canonical id: what was typed, the term stored and
    /// how sure the reading is.
    pub readings: Vec<Reading>,
    /// Values of open lists kept as typed.
    pub warnings: Vec<Warning>,
}

/// How a write reads typed vocabulary values.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WriteParams {
    /// Take only ids, labels and synonyms: no automatic reading of free text (default false).
    pub strict: Option<bool>,
}

impl WriteParams {
    pub fn mode(&self) -> ReadMode {
        ReadMode { strict: self.strict.unwrap_or(false) }
    }
}

fn status_error(message: &str) -> ValidationErrors {
    ValidationErrors(vec![FieldError::new("status", "invalid_value", message)])
}

/// Whether `viewer` may read `rec`.
pub(crate) fn visible(rec: &Record, viewer: Option<&AuthUser>) -> bool {
    rec.is_public() || viewer.is_some_and(|u| u.may_change(rec.meta().owner_id))
}

/// Hide the requester of an anonymous need from everyone but its owner and admins.
pub(crate) fn redact(rec: &mut Record, viewer: Option<&AuthUser>) {
    if let Record::Need(n) = rec {
        let privileged = viewer.is_some_and(|u| u.may_change(n.meta.owner_id));
        if n.fields.visibility == omics_domain::Visibility::Anonymous && !privileged {
            n.meta.owner_id = None;
        }
    }
}

fn to_stored<E: Entity>(mut rec: Record, viewer: Option<&AuthUser>) -> ApiResult<E::Stored> {
    redact(&mut rec, viewer);
    let (meta, fields) = E::unwrap(rec).ok_or_else(|| ApiError::internal("record of the wrong kind"))?;
    Ok(E::stored(meta, fields))
}

fn respond<E: Entity>(rec: Record, status: StatusCode, viewer: Option<&AuthUser>) -> ApiResult<HttpResponse> {
    let mut res = headers::<E>(&rec, status);
    Ok(res.json(to_stored::<E>(rec, viewer)?))
}

fn headers<E: Entity>(rec: &Record, status: StatusCode) -> actix_web::HttpResponseBuilder {
    let (version, id) = (rec.meta().version, rec.meta().id);
    let mut res = HttpResponse::build(status);
    res.insert_header((header::ETAG, etag(version)));
    if status == StatusCode::CREATED {
        res.insert_header((header::LOCATION, format!("/api/v1/{}s/{id}", E::NAME)));
    }
    res
}

/// The answer to a write: the stored record with the readings and warnings of its values.
fn respond_written<E: Entity>(
    rec: Record,
    status: StatusCode,
    viewer: &AuthUser,
    readings: Vec<Reading>,
    warnings: Vec<Warning>,
) -> ApiResult<HttpResponse> {
    let mut res = headers::<E>(&rec, status);
    Ok(res.json(E::written(to_stored::<E>(rec, Some(viewer))?, readings, warnings)))
}

/// Load a record the viewer may see, or 404.
pub(crate) async fn load<E: Entity>(state: &AppState, id: Uuid, viewer: Option<&AuthUser>) -> ApiResult<Record> {
    let store = state.store.clone();
    let rec = web::block(move || store.get(E::KIND, id)).await??;
    rec.filter(|r| visible(r, viewer)).ok_or_else(|| ApiError::not_found(E::NAME))
}

/// Check `If-Match` against the current version (absent header: no check).
fn check_if_match(req: &HttpRequest, current: i64) -> ApiResult<()> {
    match req.headers().get(header::IF_MATCH) {
        Some(h) => check_etag(h, current),
        None => Ok(()),
    }
}

/// Whether an `If-Match` value names `current` (or is `*`); 412 with the current tag if not.
fn check_etag(h: &header::HeaderValue, current: i64) -> ApiResult<()> {
    let h = h.to_str().unwrap_or("");
    let matches = h.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag(current));
    if matches {
        Ok(())
    } else {
        let mut e = ApiError::new(
            Code::PreconditionFailed,
            format!("If-Match {h} does not match the current version {}; read the record again and reapply your change", etag(current)),
        );
        e.etag = Some(etag(current));
        Err(e)
    }
}

/// Run a store write off the executor, then bring the index up to date before answering, so
/// the writer's next search sees the change. A failed catch-up is retried by the follower.
async fn write<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&omics_store::Store) -> omics_store::Result<T> + Send + 'static,
) -> ApiResult<T> {
    let store = state.store.clone();
    let out = web::block(move || f(&store)).await??;
    catch_up(state).await;
    Ok(out)
}

/// Bring the index up to date after a write; a failure is logged and left to the follower.
async fn catch_up(state: &AppState) {
    let (store, index) = (state.store.clone(), state.index.clone());
    match web::block(move || index.catch_up(&store)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "index catch-up after write failed; the follower will retry"),
        Err(e) => tracing::warn!(error = %e, "index catch-up task failed"),
    }
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

pub async fn create<E: Entity>(
    state: web::Data<AppState>,
    user: AuthUser,
    body: serde_json::Value,
    mode: ReadMode,
) -> ApiResult<HttpResponse> {
    if !E::may_create(user.role) {
        return Err(ApiError::forbidden(format!(
            "a {} account cannot create a {}; platforms are registered by platform managers",
            user.role.as_str(),
            E::NAME
        )));
    }
    let fields: E = body::from_value(body)?;
    let Checked { mut fields, readings, warnings } = fields.check(&state.vocabs, Some(today()), mode)?;
    fields.apply_status_rules(&user, None, state.settings.moderation)?;
    let now = omics_domain::now();
    let meta = Meta { id: Uuid::now_v7(), owner_id: Some(user.id), created_at: now, updated_at: now, version: 1 };
    let rec = E::wrap(meta, fields);
    let actor = user.id;
    let rec = write(&state, move |s| s.insert(&rec, Some(actor)).map(|_| rec)).await?;
    respond_written::<E>(rec, StatusCode::CREATED, &user, readings, warnings)
}

pub async fn get<E: Entity>(state: web::Data<AppState>, id: Uuid, viewer: MaybeUser) -> ApiResult<HttpResponse> {
    let rec = load::<E>(&state, id, viewer.0.as_ref()).await?;
    respond::<E>(rec, StatusCode::OK, viewer.0.as_ref())
}

/// Load for a change: visible (else 404), changeable by `user` (else 403), `If-Match` holds.
async fn load_for_change<E: Entity>(state: &AppState, req: &HttpRequest, id: Uuid, user: &AuthUser) -> ApiResult<(Meta, E)> {
    let rec = load::<E>(state, id, Some(user)).await?;
    if !user.may_change(rec.meta().owner_id) {
        return Err(ApiError::forbidden(format!("only the owner of this {} or an admin may change it", E::NAME)));
    }
    check_if_match(req, rec.meta().version)?;
    E::unwrap(rec).ok_or_else(|| ApiError::internal("record of the wrong kind"))
}

/// Change a record: who may change it and `If-Match` are checked on the version read here and
/// again on the version changed, and the read-change-write runs atomically in the store, so a
/// change without `If-Match` never loses a race with another writer.
async fn change<E: Entity>(
    state: &AppState,
    req: &HttpRequest,
    id: Uuid,
    user: &AuthUser,
    mode: ReadMode,
    make: impl FnOnce(&E) -> ApiResult<E> + Send + 'static,
) -> ApiResult<HttpResponse> {
    load_for_change::<E>(state, req, id, user).await?;
    let if_match = req.headers().get(header::IF_MATCH).cloned();
    let (vocabs, moderation, actor) = (state.vocabs.clone(), state.settings.moderation, user.clone());
    let store = state.store.clone();
    let (rec, readings, warnings) = web::block(move || -> ApiResult<(Record, Vec<Reading>, Vec<Warning>)> {
        let mut report = (Vec::new(), Vec::new());
        let rec = store.modify(E::KIND, id, Some(actor.id), |current| -> ApiResult<Record> {
            if let Some(h) = &if_match {
                check_etag(h, current.meta().version)?;
            }
            let (old, previous) = E::unwrap(current).ok_or_else(|| ApiError::internal("record of the wrong kind"))?;
            let Checked { mut fields, readings, warnings } = make(&previous)?.check(&vocabs, Some(today()), mode)?;
            report = (readings, warnings);
            fields.apply_status_rules(&actor, Some(&previous), moderation)?;
            let meta = Meta { updated_at: omics_domain::now(), version: old.version + 1, ..old };
            Ok(E::wrap(meta, fields))
        })??;
        Ok((rec, report.0, report.1))
    })
    .await??;
    catch_up(state).await;
    respond_written::<E>(rec, StatusCode::OK, user, readings, warnings)
}

pub async fn replace<E: Entity>(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: Uuid,
    user: AuthUser,
    body: serde_json::Value,
    mode: ReadMode,
) -> ApiResult<HttpResponse> {
    let fields: E = body::from_value(body)?;
    change(&state, &req, id, &user, mode, move |_| Ok(fields)).await
}

pub async fn patch<E: Entity>(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: Uuid,
    user: AuthUser,
    patch: serde_json::Value,
    mode: ReadMode,
) -> ApiResult<HttpResponse> {
    if !patch.is_object() {
        return Err(ApiError::new(
            Code::MalformedJson,
            "a merge patch is a JSON object of the fields to change (null removes an optional field)",
        ));
    }
    change(&state, &req, id, &user, mode, move |current: &E| {
        let mut doc = serde_json::to_value(current).map_err(ApiError::internal)?;
        json_patch::merge(&mut doc, &patch);
        Ok(body::from_value(doc)?)
    })
    .await
}

pub async fn delete<E: Entity>(state: web::Data<AppState>, req: HttpRequest, id: Uuid, user: AuthUser) -> ApiResult<HttpResponse> {
    let (old, _) = load_for_change::<E>(&state, &req, id, &user).await?;
    let actor = user.id;
    // Without If-Match the client asked for no precondition: delete whatever version is current.
    let expected = req.headers().contains_key(header::IF_MATCH).then_some(old.version);
    write(&state, move |s| s.delete(E::KIND, id, expected, Some(actor))).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub use omics_domain::limits::{DEFAULT_PAGE as DEFAULT_LIMIT, MAX_OFFSET, MAX_PAGE as MAX_LIMIT};

/// Search and filter parameters. Filters take one value or several separated by commas (any
/// of them matches); vocabulary values may be ids, labels or synonyms.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Full text; every word must match, one typo per word of five letters or more is forgiven;
    /// the last word (two characters or more) also matches as a prefix, for search as you type.
    #[param(example = "single cell")]
    pub q: Option<String>,
    /// Technologies; a family includes its narrower terms.
    #[param(example = "scRNA-seq")]
    pub technology: Option<String>,
    /// Countries (ISO alpha-2 or name).
    #[param(example = "BE")]
    pub country: Option<String>,
    #[param(example = "translational-research")]
    pub readiness_area: Option<String>,
    /// Sample types; a broader type includes its narrower ones.
    pub sample_type: Option<String>,
    pub accreditation: Option<String>,
    /// OncoTree codes or names (needs only; includes narrower codes).
    pub cancer_type: Option<String>,
    /// Statuses; without it, what you may see (published platforms, or needs not withdrawn, plus your own).
    pub status: Option<String>,
    /// Only records you own (needs a token).
    pub mine: Option<bool>,
    /// `relevance` (default with `q`), `-updated_at` (default without), `updated_at`, `-created_at`, `name`, `-name`.
    pub sort: Option<String>,
    /// Page size (default 20).
    pub limit: Option<u32>,
    /// Items to skip; deeper pages are not served (narrow the search instead).
    pub offset: Option<u32>,
}

/// One value of a facet with the number of matching records.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetValue {
    pub id: String,
    pub label: String,
    pub count: u64,
}

/// Counts over all matching records (not only this page).
#[derive(Debug, Serialize, ToSchema)]
pub struct Facets {
    /// Counts include broader terms: a record with WES counts for DNA sequencing too.
    pub technology: Vec<FacetValue>,
    pub country: Vec<FacetValue>,
    pub readiness_area: Vec<FacetValue>,
}

/// A page of results.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// All matching records.
    pub total: usize,
    pub limit: u32,
    pub offset: u32,
    /// Offset of the next page, absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<u32>,
    pub facets: Facets,
}

/// 400 `invalid_query` naming the query parameter, `invalid_value`.
pub fn bad_param(field: &str, message: String) -> ApiError {
    ApiError::field(Code::InvalidQuery, FieldError::new(field, "invalid_value", message))
}

/// 400 `invalid_query` naming the query parameter, `out_of_range`.
pub fn out_of_range(field: &str, message: String) -> ApiError {
    ApiError::field(Code::InvalidQuery, FieldError::new(field, "out_of_range", message))
}

/// 400 `too_long` when a query parameter has more than `max` characters.
pub fn check_param_length(field: &str, value: Option<&str>, max: usize) -> ApiResult<()> {
    let n = value.map_or(0, |v| v.chars().count());
    if n > max {
        return Err(ApiError::field(
            Code::InvalidQuery,
            FieldError::new(field, "too_long", format!("{field} has {n} characters; at most {max}")),
        ));
    }
    Ok(())
}

fn parse_sort(s: Option<&str>) -> ApiResult<Sort> {
    Ok(match s.unwrap_or("relevance") {
        "relevance" => Sort::Relevance,
        "-updated_at" => Sort::UpdatedDesc,
        "updated_at" => Sort::UpdatedAsc,
        "-created_at" => Sort::CreatedDesc,
        "name" => Sort::NameAsc,
        "-name" => Sort::NameDesc,
        other => {
            return Err(bad_param(
                "sort",
                format!("'{other}' is not a sort; use relevance, -updated_at, updated_at, -created_at, name or -name"),
            ));
        }
    })
}

fn values(s: &Option<String>) -> Vec<&str> {
    s.as_deref().map(|s| s.split(',').map(str::trim).filter(|v| !v.is_empty()).collect()).unwrap_or_default()
}

/// Turn list parameters into an index request; vocabulary values are resolved as in bodies.
fn search_request<E: Entity>(p: &ListParams, v: &Vocabularies, viewer: Option<&AuthUser>) -> ApiResult<SearchRequest> {
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(out_of_range("limit", format!("limit is 1 to {MAX_LIMIT}; got {limit}")));
    }
    let offset = p.offset.unwrap_or(0);
    if offset > MAX_OFFSET {
        return Err(out_of_range("offset", format!("offset is 0 to {MAX_OFFSET}; narrow the search instead of paging further")));
    }
    check_param_length("q", p.q.as_deref(), limits::QUERY_TEXT)?;
    check_param_length("sort", p.sort.as_deref(), limits::SHORT_TEXT)?;
    check_param_length("status", p.status.as_deref(), limits::FILTER_TEXT)?;
    if E::KIND == Kind::Platform && p.cancer_type.is_some() {
        return Err(bad_param("cancer_type", "platforms have no cancer type; filter needs by cancer_type".into()));
    }
    let mut errors = ValidationErrors::default();
    let mut filters = Vec::new();
    let specs: [(&str, &Option<String>, Filter, &omics_domain::Vocabulary); 6] = [
        ("technology", &p.technology, Filter::Technology, &v.technologies),
        ("country", &p.country, Filter::Country, &v.countries),
        ("readiness_area", &p.readiness_area, Filter::ReadinessArea, &v.readiness_areas),
        ("sample_type", &p.sample_type, Filter::SampleType, &v.sample_types),
        ("accreditation", &p.accreditation, Filter::Accreditation, &v.accreditations),
        ("cancer_type", &p.cancer_type, Filter::CancerType, &v.cancer_types),
    ];
    for (name, raw, filter, vocab) in specs {
        check_param_length(name, raw.as_deref(), limits::FILTER_TEXT)?;
        let vals = values(raw);
        if vals.len() > limits::LIST {
            errors.push(FieldError::new(name, "too_many", format!("at most {} values", limits::LIST)));
            continue;
        }
        let mut ids = Vec::new();
        for val in vals {
            match vocab.resolve(name, val) {
                Ok(id) => ids.push(id),
                Err(e) => errors.push(e),
            }
        }
        if !ids.is_empty() {
            filters.push((filter, ids));
        }
    }
    let statuses = values(&p.status);
    if !statuses.is_empty() {
        let known = E::statuses();
        for s in &statuses {
            if !known.contains(s) {
                errors.push(FieldError::new(
                    "status",
                    "invalid_value",
                    format!("'{s}' is not a {} status; use {}", E::NAME, known.join(", ")),
                ));
            }
        }
        filters.push((Filter::Status, statuses.iter().map(|s| s.to_string()).collect()));
    }
    if !errors.is_empty() {
        let mut e = ApiError::from(errors);
        if e.code == Code::ValidationFailed {
            e.code = Code::InvalidQuery;
        }
        return Err(e);
    }
    let audience = match viewer {
        None => Audience::Anonymous,
        Some(u) if u.is_admin() => Audience::Admin,
        Some(u) => Audience::User(u.id),
    };
    if p.mine == Some(true) {
        let u = viewer.ok_or_else(|| ApiError::new(Code::MissingToken, "mine=true needs 'Authorization: Bearer <token>'"))?;
        filters.push((Filter::Owner, vec![u.id.to_string()]));
    }
    Ok(SearchRequest {
        kind: E::KIND,
        text: p.q.clone(),
        filters,
        audience,
        sort: parse_sort(p.sort.as_deref())?,
        offset: offset as usize,
        limit: limit as usize,
    })
}

fn facet_values(counts: Option<&BTreeMap<String, u64>>, vocab: &omics_domain::Vocabulary) -> Vec<FacetValue> {
    let mut out: Vec<FacetValue> =
        counts.into_iter().flatten().map(|(id, &count)| FacetValue { label: vocab.label(id).to_owned(), id: id.clone(), count }).collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.id.cmp(&b.id)));
    out
}

pub async fn list<E: Entity>(state: web::Data<AppState>, params: ListParams, viewer: MaybeUser) -> ApiResult<Page<E::Stored>>
where
    E::Stored: ToSchema,
{
    let viewer = viewer.0;
    let req = search_request::<E>(&params, &state.vocabs, viewer.as_ref())?;
    let (store, index) = (state.store.clone(), state.index.clone());
    let (result, records) = web::block(move || -> ApiResult<_> {
        let result = index.search(&req)?;
        let ids: Vec<Uuid> = result.ids.iter().map(|(id, _)| *id).collect();
        let records = store.get_many(&ids)?;
        Ok((result, records))
    })
    .await??;
    let items = records
        .into_iter()
        .filter(|r| visible(r, viewer.as_ref()))
        .map(|r| to_stored::<E>(r, viewer.as_ref()))
        .collect::<ApiResult<Vec<_>>>()?;
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    let offset = params.offset.unwrap_or(0);
    let next = offset as usize + limit as usize;
    let v = &state.vocabs;
    Ok(Page {
        items,
        total: result.total,
        limit,
        offset,
        next_offset: (next < result.total).then_some(next as u32),
        facets: Facets {
            technology: facet_values(result.facets.get("technology"), &v.technologies),
            country: facet_values(result.facets.get("country"), &v.countries),
            readiness_area: facet_values(result.facets.get("readiness_area"), &v.readiness_areas),
        },
    })
}
