//! Ranked, explained matches: platforms for a stored need, open needs for a platform, and
//! platforms for a need described in the request (nothing stored, no token). The ranking and
//! its rules are the service's (`omics_service::matches`); here: extraction, the anonymous
//! rate limit, and the answer.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use omics_domain::NeedFields;
use omics_service::matches::{MatchParams, NeedMatches, PlatformMatches};
use omics_service::similar::{SimilarParams, SimilarPlatforms};
use uuid::Uuid;

use crate::auth::MaybeUser;
use crate::error::ApiResult;
use crate::ratelimit::Bucket;
use crate::routes::records::call;
use crate::state::AppState;

/// Matching without a token counts against the per-address limit.
async fn limit_anonymous(state: &AppState, req: &HttpRequest, viewer: &MaybeUser) -> ApiResult<()> {
    match viewer.0 {
        Some(_) => Ok(()),
        None => crate::ratelimit::check(state, Bucket::AnonymousMatching, req).await,
    }
}

/// Platforms for a stored need
///
/// Platforms for a stored need.
#[utoipa::path(operation_id = "getNeedMatches", tag = "matches",
    params(("id" = Uuid, Path), MatchParams), security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Ranked platforms with their components and reasons", body = PlatformMatches),
        (status = 400, description = "Invalid parameter"),
        (status = 401, description = "Bad token"),
        (status = 404, description = "No such need, or not visible to you"),
        (status = 429, description = "Too many anonymous matches from this address; see Retry-After",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
#[get("/needs/{id}/matches")]
pub async fn for_need(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    params: web::Query<MatchParams>,
    viewer: MaybeUser,
) -> ApiResult<HttpResponse> {
    limit_anonymous(&state, &req, &viewer).await?;
    let result = call(&state, move |s| s.match_need(id.into_inner(), viewer.actor().as_ref(), &params)).await?;
    Ok(HttpResponse::Ok().json(result))
}

/// Platforms for a need described in the request
///
/// Platforms for a need described in the body (the fields of a need; nothing is stored). Values
/// are read exactly as `POST /needs` reads them: free text ("single cel RNA seq") that the term
/// linker reads with confidence is taken and reported in `readings`; anything less is 422 with
/// suggestions (`strict=true`: only ids, labels and synonyms).
#[utoipa::path(operation_id = "matchDescribedNeed", tag = "matches", request_body(content = NeedFields, example = crate::examples::need), params(MatchParams), security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Ranked platforms with their components and reasons", body = PlatformMatches),
        (status = 400, description = "Malformed JSON or parameter"),
        (status = 401, description = "Bad token"),
        (status = 422, description = "Invalid fields or unknown terms, with suggestions"),
        (status = 429, description = "Too many anonymous matches from this address; see Retry-After",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
#[post("/matches")]
pub async fn adhoc(
    state: web::Data<AppState>,
    req: HttpRequest,
    params: web::Query<MatchParams>,
    viewer: MaybeUser,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    limit_anonymous(&state, &req, &viewer).await?;
    let result = call(&state, move |s| s.match_described(body.into_inner(), &params)).await?;
    Ok(HttpResponse::Ok().json(result))
}

/// Open needs a platform could serve
///
/// Open needs a platform could serve.
#[utoipa::path(operation_id = "getPlatformMatches", tag = "matches",
    params(("id" = Uuid, Path), MatchParams), security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Ranked open needs with their components and reasons", body = NeedMatches),
        (status = 400, description = "Invalid parameter"),
        (status = 401, description = "Bad token"),
        (status = 404, description = "No such platform, or not visible to you"),
        (status = 429, description = "Too many anonymous matches from this address; see Retry-After",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
#[get("/platforms/{id}/matches")]
pub async fn for_platform(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    params: web::Query<MatchParams>,
    viewer: MaybeUser,
) -> ApiResult<HttpResponse> {
    limit_anonymous(&state, &req, &viewer).await?;
    let result = call(&state, move |s| s.match_platform(id.into_inner(), viewer.actor().as_ref(), &params)).await?;
    Ok(HttpResponse::Ok().json(result))
}

/// Platforms like this one
///
/// Published platforms most like this one, "others like this one": technologies in common (a
/// shared family counts a third as much as a shared term), readiness areas, sample types and
/// content words of the descriptions, each with a reason.
#[utoipa::path(operation_id = "getSimilarPlatforms", tag = "platforms",
    params(("id" = Uuid, Path), SimilarParams), security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The most alike platforms first, with their likeness part by part", body = SimilarPlatforms),
        (status = 400, description = "Invalid id or parameter"),
        (status = 401, description = "Bad token"),
        (status = 404, description = "No such platform, or not visible to you"),
    ))]
#[get("/platforms/{id}/similar")]
pub async fn similar(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    params: web::Query<SimilarParams>,
    viewer: MaybeUser,
) -> ApiResult<HttpResponse> {
    let result = call(&state, move |s| s.similar_platforms(id.into_inner(), viewer.actor().as_ref(), &params)).await?;
    Ok(HttpResponse::Ok().json(result))
}
