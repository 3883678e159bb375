use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use omics_domain::{Code, FieldError, Role, ValidationErrors, body, limits, valid_email};
use omics_store::NewUser;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{AuthUser, hash_password, verify_password};
use crate::error::{ApiError, ApiResult, Problem};
use crate::ratelimit::Bucket;
use crate::state::AppState;

pub use omics_domain::limits::{MAX_PASSWORD, MIN_PASSWORD};

/// Check the length of `value` in characters: `required` below `min` (when `min` is 1),
/// `too_short` below a larger `min`, `too_long` above `max`.
fn check_length(errors: &mut ValidationErrors, field: &str, value: &str, min: usize, max: usize) {
    let n = value.chars().count();
    if n < min {
        let code = if min == 1 { "required" } else { "too_short" };
        errors.push(FieldError::new(field, code, format!("{field} has {n} characters; use at least {min}")));
    } else if n > max {
        errors.push(FieldError::new(field, "too_long", format!("{field} has {n} characters; at most {max}")));
    }
}

/// A new account. Admins are created with the `create-admin` command, never here.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    #[schema(example = "ana.silva@example.org")]
    pub email: String,
    #[schema(example = "correct horse battery staple")]
    pub password: String,
    #[schema(example = "Ana Silva")]
    pub display_name: String,
    /// `researcher` or `platform_manager`.
    #[schema(example = "platform_manager")]
    pub role: Role,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    #[schema(example = "ana.silva@example.org")]
    pub email: String,
    #[schema(example = "correct horse battery staple")]
    pub password: String,
}

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

/// An account as others see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
}

impl From<omics_store::User> for UserView {
    fn from(u: omics_store::User) -> Self {
        UserView { id: u.id, email: u.email, display_name: u.display_name, role: u.role, created_at: Some(u.created_at) }
    }
}

/// Register an account.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created", body = UserView),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Email taken", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn register(state: web::Data<AppState>, req: HttpRequest, body: web::Json<serde_json::Value>) -> ApiResult<HttpResponse> {
    state.limits.check(Bucket::Auth, &req)?;
    let req: RegisterRequest = body::from_value(body.into_inner())?;
    let mut errors = ValidationErrors::default();
    let email = req.email.trim().to_owned();
    if email.chars().count() > limits::EMAIL {
        check_length(&mut errors, "email", &email, 1, limits::EMAIL);
    } else if !valid_email(&email) {
        errors.push(FieldError::new("email", "invalid_format", "email must be an address like ana.silva@example.org"));
    }
    check_length(&mut errors, "password", &req.password, MIN_PASSWORD, MAX_PASSWORD);
    let display_name = req.display_name.trim().to_owned();
    check_length(&mut errors, "display_name", &display_name, 1, limits::SHORT_TEXT);
    if req.role == Role::Admin {
        errors.push(FieldError::new("role", "invalid_value", "role is researcher or platform_manager; admins are created by the operator"));
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let store = state.store.clone();
    let user = web::block(move || -> ApiResult<omics_store::User> {
        let password_hash = hash_password(&req.password)?;
        Ok(store.create_user(NewUser { email, display_name, role: req.role, password_hash })?)
    })
    .await??;
    Ok(HttpResponse::Created().json(UserView::from(user)))
}

/// Exchange email and password for a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", request_body = TokenRequest,
    responses(
        (status = 200, description = "A bearer token", body = TokenResponse),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn token(state: web::Data<AppState>, req: HttpRequest, body: web::Json<serde_json::Value>) -> ApiResult<HttpResponse> {
    state.limits.check(Bucket::Auth, &req)?;
    let req: TokenRequest = body::from_value(body.into_inner())?;
    let mut errors = ValidationErrors::default();
    check_length(&mut errors, "email", &req.email, 0, limits::EMAIL);
    check_length(&mut errors, "password", &req.password, 0, MAX_PASSWORD);
    errors.into_result(())?;
    let store = state.store.clone();
    let user = web::block(move || -> ApiResult<Option<omics_store::User>> {
        let user = store.user_by_email(&req.email)?;
        Ok(user.filter(|u| verify_password(&req.password, &u.password_hash)))
    })
    .await??
    .ok_or_else(|| ApiError::new(Code::InvalidCredentials, "wrong email or password"))?;
    let access_token = state.tokens.issue(&user)?;
    Ok(HttpResponse::Ok().json(TokenResponse { access_token, token_type: "Bearer", expires_in: state.tokens.ttl_secs }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Change your password; every token issued before stops working.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = PasswordChange, security(("bearer" = [])),
    responses(
        (status = 204, description = "Changed; request a new token"),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token, or wrong current password", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "New password too short", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn password(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    state.limits.check(Bucket::Auth, &req)?;
    let req: PasswordChange = body::from_value(body.into_inner())?;
    let mut errors = ValidationErrors::default();
    check_length(&mut errors, "current_password", &req.current_password, 0, MAX_PASSWORD);
    check_length(&mut errors, "new_password", &req.new_password, MIN_PASSWORD, MAX_PASSWORD);
    errors.into_result(())?;
    let store = state.store.clone();
    web::block(move || -> ApiResult<()> {
        let account = store.user_by_id(user.id)?.ok_or_else(|| ApiError::new(Code::InvalidToken, "the account no longer exists"))?;
        if !verify_password(&req.current_password, &account.password_hash) {
            return Err(ApiError::new(Code::InvalidCredentials, "the current password is wrong"));
        }
        Ok(store.set_password(user.id, &hash_password(&req.new_password)?)?)
    })
    .await??;
    Ok(HttpResponse::NoContent().finish())
}

/// The account the token belongs to.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in account", body = UserView),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn me(user: AuthUser) -> HttpResponse {
    HttpResponse::Ok().json(UserView { id: user.id, email: user.email, display_name: user.display_name, role: user.role, created_at: None })
}
