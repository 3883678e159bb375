//! `/api/v1/webhooks`: your events POSTed to your URL, signed as the Standard Webhooks
//! specification says, retried for up to 24 hours, with a delivery log.

use actix_web::{HttpResponse, delete, get, post, web};
use omics_service::webhooks::{DeliveryPage, DeliveryParams, NewWebhook, WebhookView};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::routes::records::call;
use crate::state::AppState;

/// Subscribe a webhook
///
/// Subscribe a URL to kinds of your events. The answer carries the signing `secret` once:
/// verify each delivery's `webhook-signature` (`v1,` + base64 HMAC-SHA256 of
/// `webhook-id.webhook-timestamp.body`, keyed with the base64-decoded secret after `whsec_`).
#[utoipa::path(operation_id = "createWebhook", tag = "webhooks", request_body = NewWebhook, security(("bearer" = [])),
    responses(
        (status = 201, description = "Subscribed; the secret is shown this once", body = WebhookView),
        (status = 400, description = "Malformed body"),
        (status = 401, description = "No or bad token"),
        (status = 422, description = "Not an http(s) URL, a private address, or an unknown kind of event"),
    ))]
#[post("/webhooks")]
pub async fn create(state: web::Data<AppState>, user: AuthUser, body: web::Json<serde_json::Value>) -> ApiResult<HttpResponse> {
    let w = call(&state, move |s| s.create_webhook(&user.actor(), body.into_inner())).await?;
    Ok(HttpResponse::Created().insert_header((actix_web::http::header::LOCATION, format!("/api/v1/webhooks/{}", w.id))).json(w))
}

/// Your webhooks
///
/// Your webhooks (admins: all), without their secrets.
#[utoipa::path(operation_id = "listWebhooks", tag = "webhooks", security(("bearer" = [])),
    responses(
        (status = 200, description = "The webhooks", body = Vec<WebhookView>),
        (status = 401, description = "No or bad token"),
    ))]
#[get("/webhooks")]
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let all = call(&state, move |s| s.list_webhooks(&user.actor())).await?;
    Ok(HttpResponse::Ok().json(all))
}

/// Delete a webhook
///
/// Delete one of your webhooks and its delivery log.
#[utoipa::path(operation_id = "deleteWebhook", tag = "webhooks", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Invalid id"),
        (status = 401, description = "No or bad token"),
        (status = 404, description = "No such webhook of yours"),
    ))]
#[delete("/webhooks/{id}")]
pub async fn delete(state: web::Data<AppState>, user: AuthUser, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    call(&state, move |s| s.delete_webhook(&user.actor(), id.into_inner())).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A webhook's delivery log
///
/// A webhook's delivery log, newest first: each event's status, attempts and last answer.
#[utoipa::path(operation_id = "listWebhookDeliveries", tag = "webhooks", params(("id" = Uuid, Path), DeliveryParams), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of deliveries", body = DeliveryPage),
        (status = 400, description = "Invalid id or parameter"),
        (status = 401, description = "No or bad token"),
        (status = 404, description = "No such webhook of yours"),
    ))]
#[get("/webhooks/{id}/deliveries")]
pub async fn deliveries(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    params: web::Query<DeliveryParams>,
) -> ApiResult<HttpResponse> {
    let page = call(&state, move |s| s.webhook_deliveries(&user.actor(), id.into_inner(), &params)).await?;
    Ok(HttpResponse::Ok().json(page))
}
