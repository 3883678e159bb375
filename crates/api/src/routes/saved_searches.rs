//! `/api/v1/saved-searches`: a stored search over platforms or needs (or a need's matching
//! platforms above a score) that notifies you once of each record entering its results.

use actix_web::{HttpResponse, delete, get, post, web};
use omics_service::saved_searches::{HitPage, HitParams, NewSavedSearch, SavedSearchView};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::routes::records::call;
use crate::state::AppState;

/// Save a search
///
/// Save a search: a `query` (the list routes' `q` and filters) over `platform`s or `need`s, or
/// `need_id` with `min_score` for the platforms that match one of your needs. What it finds now
/// is not notified; each record that enters its results later gives one `saved_search.hit`
/// event (feed, webhooks, email).
#[utoipa::path(operation_id = "createSavedSearch", tag = "saved-searches", request_body = NewSavedSearch, security(("bearer" = [])),
    responses(
        (status = 201, description = "Saved", body = SavedSearchView),
        (status = 400, description = "Malformed body"),
        (status = 401, description = "No or bad token"),
        (status = 409, description = "`saved_search_limit`: you keep 50 saved searches already"),
        (status = 422, description = "An invalid field, an unknown term, a need that is not yours, or a query that finds more than 5,000 records"),
    ))]
#[post("/saved-searches")]
pub async fn create(state: web::Data<AppState>, user: AuthUser, body: web::Json<serde_json::Value>) -> ApiResult<HttpResponse> {
    let s = call(&state, move |svc| svc.create_saved_search(&user.actor(), body.into_inner())).await?;
    Ok(HttpResponse::Created().insert_header((actix_web::http::header::LOCATION, format!("/api/v1/saved-searches/{}", s.id))).json(s))
}

/// Your saved searches
///
/// Your saved searches (admins: all), oldest first, each with its number of hits.
#[utoipa::path(operation_id = "listSavedSearches", tag = "saved-searches", security(("bearer" = [])),
    responses(
        (status = 200, description = "The saved searches", body = Vec<SavedSearchView>),
        (status = 401, description = "No or bad token"),
    ))]
#[get("/saved-searches")]
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let all = call(&state, move |s| s.list_saved_searches(&user.actor())).await?;
    Ok(HttpResponse::Ok().json(all))
}

/// One saved search
///
/// One of your saved searches.
#[utoipa::path(operation_id = "getSavedSearch", tag = "saved-searches", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, description = "The saved search", body = SavedSearchView),
        (status = 400, description = "Invalid id"),
        (status = 401, description = "No or bad token"),
        (status = 404, description = "No such saved search of yours"),
    ))]
#[get("/saved-searches/{id}")]
pub async fn get(state: web::Data<AppState>, user: AuthUser, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let s = call(&state, move |svc| svc.saved_search(&user.actor(), id.into_inner())).await?;
    Ok(HttpResponse::Ok().json(s))
}

/// Delete a saved search
///
/// Delete one of your saved searches and its hits.
#[utoipa::path(operation_id = "deleteSavedSearch", tag = "saved-searches", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Invalid id"),
        (status = 401, description = "No or bad token"),
        (status = 404, description = "No such saved search of yours"),
    ))]
#[delete("/saved-searches/{id}")]
pub async fn delete(state: web::Data<AppState>, user: AuthUser, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    call(&state, move |s| s.delete_saved_search(&user.actor(), id.into_inner())).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Hits of a saved search
///
/// The records that entered a saved search's results since it was saved, newest first.
#[utoipa::path(operation_id = "listSavedSearchHits", tag = "saved-searches", params(("id" = Uuid, Path), HitParams), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of hits", body = HitPage),
        (status = 400, description = "Invalid id or parameter"),
        (status = 401, description = "No or bad token"),
        (status = 404, description = "No such saved search of yours"),
    ))]
#[get("/saved-searches/{id}/hits")]
pub async fn hits(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    params: web::Query<HitParams>,
) -> ApiResult<HttpResponse> {
    let page = call(&state, move |s| s.saved_search_hits(&user.actor(), id.into_inner(), &params)).await?;
    Ok(HttpResponse::Ok().json(page))
}
