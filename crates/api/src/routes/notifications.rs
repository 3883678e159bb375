//! `/api/v1/notifications`: the in-app feed of what concerns you (introductions proposed to
//! you, answered, expired or closed, messages, your need's state), unread first.

use actix_web::{HttpResponse, get, post, put, web};
use omics_service::email::{NotificationSettings, SettingsChange};
use omics_service::notifications::{FeedParams, NotificationPage, ReadRequest, ReadResult};

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::routes::records::call;
use crate::state::AppState;

/// Your notifications
///
/// Your notifications: unread first, then newest first. Each has the stable id of its event.
#[utoipa::path(operation_id = "listNotifications", tag = "notifications", params(FeedParams), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of notifications", body = NotificationPage),
        (status = 400, description = "Invalid parameter"),
        (status = 401, description = "No or bad token"),
    ))]
#[get("/notifications")]
pub async fn feed(state: web::Data<AppState>, user: AuthUser, params: web::Query<FeedParams>) -> ApiResult<HttpResponse> {
    let page = call(&state, move |s| s.notifications(&user.actor(), &params)).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Mark notifications read
///
/// Mark notifications read: `{"ids": [...]}` or `{"all": true}`.
#[utoipa::path(operation_id = "markNotificationsRead", tag = "notifications", request_body = ReadRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "How many were marked, and how many are left unread", body = ReadResult),
        (status = 400, description = "Malformed body"),
        (status = 401, description = "No or bad token"),
        (status = 422, description = "Neither ids nor all, or both, or too many ids"),
    ))]
#[post("/notifications/read")]
pub async fn read(state: web::Data<AppState>, user: AuthUser, body: web::Json<serde_json::Value>) -> ApiResult<HttpResponse> {
    let result = call(&state, move |s| s.mark_read(&user.actor(), body.into_inner())).await?;
    Ok(HttpResponse::Ok().json(result))
}

/// Your notification settings
///
/// Your notification settings: how often your unread notifications are emailed to you.
#[utoipa::path(operation_id = "getNotificationSettings", tag = "notifications", security(("bearer" = [])),
    responses(
        (status = 200, description = "Your settings", body = NotificationSettings),
        (status = 401, description = "No or bad token"),
    ))]
#[get("/notifications/settings")]
pub async fn settings(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let current = call(&state, move |s| s.notification_settings(&user.actor())).await?;
    Ok(HttpResponse::Ok().json(current))
}

/// Choose the email digest
///
/// Choose the email digest: `off`, `daily` (at most one email a day, the default) or
/// `immediate`. A digest lists your unread notifications since the last one; nothing is sent
/// while the service has no SMTP server (`email_enabled` false).
#[utoipa::path(operation_id = "setNotificationSettings", tag = "notifications", request_body = SettingsChange, security(("bearer" = [])),
    responses(
        (status = 200, description = "Your settings as they are now", body = NotificationSettings),
        (status = 400, description = "Malformed body"),
        (status = 401, description = "No or bad token"),
        (status = 422, description = "Not a digest frequency"),
    ))]
#[put("/notifications/settings")]
pub async fn set_settings(state: web::Data<AppState>, user: AuthUser, body: web::Json<serde_json::Value>) -> ApiResult<HttpResponse> {
    let now = call(&state, move |s| s.set_notification_settings(&user.actor(), body.into_inner())).await?;
    Ok(HttpResponse::Ok().json(now))
}
