//! `/api/v1/introductions`: a match becomes a contact. Either side proposes, the other accepts
//! or declines, the proposer may withdraw; each has a thread of messages. The rules are the
//! service's (`omics_service::introductions`); here: extraction and the answer.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use omics_domain::Code;
use omics_domain::introduction::IntroductionAction;
use omics_service::introductions::{Answer, InboxParams, IntroductionPage, IntroductionView, NewMessage, Proposal};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::routes::records::call;
use crate::state::AppState;

/// An optional JSON body: none (or only whitespace) is `{}`.
fn optional_json(body: &[u8]) -> ApiResult<serde_json::Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::json!({}));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::new(Code::MalformedJson, format!("the body is not valid JSON: {e}")))
}

/// Propose an introduction
///
/// Propose an introduction between a need and a platform: as the need's owner (asking the
/// platform) or as the platform's owner (offering to serve the need). The need must be open and
/// the platform published; one introduction that is not closed per need and platform.
#[utoipa::path(operation_id = "proposeIntroduction", tag = "introductions", request_body = Proposal, security(("bearer" = [])),
    responses(
        (status = 201, description = "Proposed; `Location` names it", body = IntroductionView,
            headers(("Location" = String, description = "The introduction's URL"))),
        (status = 400, description = "Malformed body"),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "You own neither the need nor the platform"),
        (status = 404, description = "No such need or platform, or not visible to you"),
        (status = 409, description = "`need_not_open`, `platform_not_published`, or `introduction_exists`"),
        (status = 422, description = "Invalid fields"),
    ))]
#[post("/introductions")]
pub async fn propose(state: web::Data<AppState>, user: AuthUser, body: web::Json<serde_json::Value>) -> ApiResult<HttpResponse> {
    let view = call(&state, move |s| s.propose(&user.actor(), body.into_inner())).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/api/v1/introductions/{}", view.id))).json(view))
}

/// Your introductions
///
/// Your introductions, most recently changed first: those proposed to you (`box=received`),
/// by you (`box=sent`), or both. Admins without `box` see every introduction.
#[utoipa::path(operation_id = "listIntroductions", tag = "introductions", params(InboxParams), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of introductions (without their threads)", body = IntroductionPage),
        (status = 400, description = "Invalid parameter"),
        (status = 401, description = "No or bad token"),
    ))]
#[get("/introductions")]
pub async fn inbox(state: web::Data<AppState>, user: AuthUser, params: web::Query<InboxParams>) -> ApiResult<HttpResponse> {
    let page = call(&state, move |s| s.inbox(&user.actor(), &params)).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// An introduction with its thread
///
/// An introduction with its thread, to its two parties and admins. Once accepted, `contact`
/// shows how to reach each side.
#[utoipa::path(operation_id = "getIntroduction", tag = "introductions", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, description = "The introduction", body = IntroductionView),
        (status = 400, description = "Invalid id"),
        (status = 401, description = "No or bad token"),
        (status = 404, description = "No such introduction, or you are not a party to it"),
    ))]
#[get("/introductions/{id}")]
pub async fn get(state: web::Data<AppState>, user: AuthUser, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let view = call(&state, move |s| s.introduction(&user.actor(), id.into_inner())).await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn answer(
    state: web::Data<AppState>,
    user: AuthUser,
    id: Uuid,
    action: IntroductionAction,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let body = optional_json(&body)?;
    let view = call(&state, move |s| s.answer(&user.actor(), id, action, body)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Accept an introduction
///
/// Accept an introduction proposed to you (optionally with a message). The first accepted
/// introduction of an open need puts the need `in_discussion`.
#[utoipa::path(operation_id = "acceptIntroduction", tag = "introductions", params(("id" = Uuid, Path)), request_body(content = Option<Answer>, description = "Optional: an empty body is an answer without a message"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Accepted; `contact` shows both sides", body = IntroductionView),
        (status = 400, description = "Malformed body or id"),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "`wrong_side`: the proposer cannot accept; or an admin, who is no party"),
        (status = 404, description = "No such introduction, or you are not a party to it"),
        (status = 409, description = "`invalid_transition`: it is no longer proposed"),
        (status = 422, description = "Invalid fields"),
    ))]
#[post("/introductions/{id}/accept")]
pub async fn accept(state: web::Data<AppState>, user: AuthUser, id: web::Path<Uuid>, body: web::Bytes) -> ApiResult<HttpResponse> {
    answer(state, user, id.into_inner(), IntroductionAction::Accept, body).await
}

/// Decline an introduction
///
/// Decline an introduction proposed to you (optionally with a message).
#[utoipa::path(operation_id = "declineIntroduction", tag = "introductions", params(("id" = Uuid, Path)), request_body(content = Option<Answer>, description = "Optional: an empty body is an answer without a message"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Declined", body = IntroductionView),
        (status = 400, description = "Malformed body or id"),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "`wrong_side`: the proposer cannot decline; or an admin, who is no party"),
        (status = 404, description = "No such introduction, or you are not a party to it"),
        (status = 409, description = "`invalid_transition`: it is no longer proposed"),
        (status = 422, description = "Invalid fields"),
    ))]
#[post("/introductions/{id}/decline")]
pub async fn decline(state: web::Data<AppState>, user: AuthUser, id: web::Path<Uuid>, body: web::Bytes) -> ApiResult<HttpResponse> {
    answer(state, user, id.into_inner(), IntroductionAction::Decline, body).await
}

/// Withdraw an introduction
///
/// Withdraw an introduction you proposed, before it is answered (optionally with a message).
#[utoipa::path(operation_id = "withdrawIntroduction", tag = "introductions", params(("id" = Uuid, Path)), request_body(content = Option<Answer>, description = "Optional: an empty body is an answer without a message"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Withdrawn", body = IntroductionView),
        (status = 400, description = "Malformed body or id"),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "`wrong_side`: only the proposer withdraws; or an admin, who is no party"),
        (status = 404, description = "No such introduction, or you are not a party to it"),
        (status = 409, description = "`invalid_transition`: it is no longer proposed"),
        (status = 422, description = "Invalid fields"),
    ))]
#[post("/introductions/{id}/withdraw")]
pub async fn withdraw(state: web::Data<AppState>, user: AuthUser, id: web::Path<Uuid>, body: web::Bytes) -> ApiResult<HttpResponse> {
    answer(state, user, id.into_inner(), IntroductionAction::Withdraw, body).await
}

/// Add a message to an introduction
///
/// Add a message to the thread of an introduction that is not closed, as either party.
#[utoipa::path(operation_id = "postIntroductionMessage", tag = "introductions", params(("id" = Uuid, Path)), request_body = NewMessage, security(("bearer" = [])),
    responses(
        (status = 201, description = "Added; the introduction with its thread", body = IntroductionView),
        (status = 400, description = "Malformed body or id"),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "An admin, who is no party"),
        (status = 404, description = "No such introduction, or you are not a party to it"),
        (status = 409, description = "`introduction_closed`: declined, withdrawn, expired or closed"),
        (status = 422, description = "Empty or too long"),
    ))]
#[post("/introductions/{id}/messages")]
pub async fn message(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    let view = call(&state, move |s| s.post_message(&user.actor(), id.into_inner(), body.into_inner())).await?;
    Ok(HttpResponse::Created().json(view))
}
