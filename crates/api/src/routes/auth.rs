//! `/api/v1/auth`: accounts and bearer tokens. The account rules are the service's
//! (`omics_service::accounts`); tokens are issued here.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use omics_service::accounts::{PasswordChange, RegisterRequest, TokenRequest, UserView};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{AuthUser, Authenticator};
use crate::error::ApiResult;
use crate::ratelimit::Bucket;
use crate::routes::records::call;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the token expires.
    #[schema(example = 3600)]
    pub expires_in: i64,
}

/// Register an account
///
/// Register as a `researcher` or a `platform_manager` (a password of at least 12 characters);
/// admins are made with the `create-admin` command, never here. Then get a token with
/// `POST /auth/token`.
#[utoipa::path(operation_id = "registerAccount", security(()), tag = "auth", request_body(content = RegisterRequest, example = crate::examples::register),
    responses(
        (status = 201, description = "Account created", body = UserView),
        (status = 400, description = "Malformed body"),
        (status = 409, description = "Email taken"),
        (status = 429, description = "Too many requests from this address; see Retry-After",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 422, description = "Invalid fields"),
    ))]
#[post("/auth/register")]
pub async fn register(state: web::Data<AppState>, req: HttpRequest, body: web::Json<serde_json::Value>) -> ApiResult<HttpResponse> {
    crate::ratelimit::check(&state, Bucket::Auth, &req).await?;
    let user = call(&state, move |s| s.register(body.into_inner())).await?;
    Ok(HttpResponse::Created().json(user))
}

/// Get a bearer token
///
/// Exchange email and password for a bearer token.
#[utoipa::path(operation_id = "issueToken", security(()), tag = "auth", request_body(content = TokenRequest, example = crate::examples::token),
    responses(
        (status = 200, description = "A bearer token", body = TokenResponse),
        (status = 400, description = "Malformed body"),
        (status = 401, description = "Wrong email or password"),
        (status = 429, description = "Too many requests from this address; see Retry-After",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 422, description = "Invalid fields"),
    ))]
#[post("/auth/token")]
pub async fn token(
    state: web::Data<AppState>,
    auth: web::Data<Authenticator>,
    req: HttpRequest,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    crate::ratelimit::check(&state, Bucket::Auth, &req).await?;
    let user = call(&state, move |s| s.sign_in(body.into_inner())).await?;
    let access_token = auth.tokens.issue(&user)?;
    Ok(HttpResponse::Ok().json(TokenResponse { access_token, token_type: "Bearer", expires_in: auth.tokens.ttl_secs }))
}

/// Change your password
///
/// Change your password; every token issued before stops working.
#[utoipa::path(operation_id = "changePassword", tag = "auth", request_body(content = PasswordChange, example = crate::examples::password_change), security(("bearer" = [])),
    responses(
        (status = 204, description = "Changed; request a new token"),
        (status = 400, description = "Malformed body"),
        (status = 401, description = "No or bad token, or wrong current password"),
        (status = 422, description = "New password too short"),
        (status = 429, description = "Too many requests from this address; see Retry-After",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
#[post("/auth/password")]
pub async fn password(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    crate::ratelimit::check(&state, Bucket::Auth, &req).await?;
    call(&state, move |s| s.change_password(user.id, body.into_inner())).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Your account
///
/// The account the token belongs to.
#[utoipa::path(operation_id = "getCurrentUser", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in account", body = UserView),
        (status = 401, description = "No or bad token"),
    ))]
#[get("/auth/me")]
pub async fn me(user: AuthUser) -> HttpResponse {
    HttpResponse::Ok().json(UserView { id: user.id, email: user.email, display_name: user.display_name, role: user.role, created_at: None })
}
