//! Accounts and tokens: argon2 password hashes, HS256 JWTs with a fixed algorithm allow-list,
//! `iss`/`aud`/`exp`/`nbf` checked, and a per-account token version so that a password change
//! revokes every older token. Authentication is an extractor: `AuthUser` (required) and
//! `MaybeUser` (optional).

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, web};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use omics_domain::{Code, Role};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

pub const ISSUER: &str = "omics-match";
pub const AUDIENCE: &str = "omics-match-api";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: String,
    iss: String,
    aud: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    /// The account's token version when issued; raised on password change.
    tv: i64,
}

/// Signs and checks tokens.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub ttl_secs: i64,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl_secs: i64) -> Result<TokenKeys, jsonwebtoken::errors::Error> {
        Ok(TokenKeys { encoding: EncodingKey::from_secret(secret)?, decoding: DecodingKey::from_secret(secret)?, ttl_secs })
    }

    pub fn issue(&self, user: &omics_store::User) -> Result<String, ApiError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user.id.to_string(),
            role: user.role.as_str().to_owned(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now,
            nbf: now,
            exp: now + self.ttl_secs,
            tv: user.token_version,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(ApiError::internal)
    }

    fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_issuer(&[ISSUER]);
        v.set_audience(&[AUDIENCE]);
        v.validate_nbf = true;
        v.leeway = 30;
        v.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &v).map(|d| d.claims).map_err(|e| {
            ApiError::new(Code::InvalidToken, format!("the bearer token was refused ({e}); request a new one at /api/v1/auth/token"))
        })
    }
}

/// Hash a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(ApiError::internal)
}

/// Whether `password` matches the stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// The signed-in account making the request.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: Uuid,
    pub role: Role,
    pub email: String,
    pub display_name: String,
}

impl AuthUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
    /// Owners and admins may change a record.
    pub fn may_change(&self, owner: Option<Uuid>) -> bool {
        self.is_admin() || owner == Some(self.id)
    }
}

/// The account, if the request carries a token; a present but bad token is still refused.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<AuthUser>);

fn bearer(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(h) = req.headers().get(actix_web::http::header::AUTHORIZATION) else { return Ok(None) };
    let h = h.to_str().map_err(|_| ApiError::new(Code::InvalidToken, "the Authorization header is not readable"))?;
    match h.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(Some(token.trim().to_owned())),
        _ => Err(ApiError::new(Code::InvalidToken, "use 'Authorization: Bearer <token>'")),
    }
}

async fn authenticate(req: HttpRequest) -> Result<Option<AuthUser>, ApiError> {
    let Some(token) = bearer(&req)? else { return Ok(None) };
    let state = req.app_data::<web::Data<AppState>>().ok_or_else(|| ApiError::internal("no app state"))?.clone();
    let claims = state.tokens.verify(&token)?;
    let id = Uuid::parse_str(&claims.sub).map_err(|_| ApiError::new(Code::InvalidToken, "the token's subject is not an account id"))?;
    let store = state.store.clone();
    let user = web::block(move || store.user_by_id(id)).await??;
    let revoked = || ApiError::new(Code::InvalidToken, "the token was revoked (account removed or password changed); request a new one");
    let user = user.ok_or_else(revoked)?;
    if user.token_version != claims.tv || user.role.as_str() != claims.role {
        return Err(revoked());
    }
    Ok(Some(AuthUser { id: user.id, role: user.role, email: user.email, display_name: user.display_name }))
}

impl FromRequest for MaybeUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;
    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(req).await.map(MaybeUser) })
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;
    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            authenticate(req).await?.ok_or_else(|| {
                ApiError::new(Code::MissingToken, "this operation needs 'Authorization: Bearer <token>'; get one at /api/v1/auth/token")
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_round_trip() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    fn user() -> omics_store::User {
        omics_store::User {
            id: Uuid::now_v7(),
            email: "a@b.eu".into(),
            display_name: "A".into(),
            role: Role::Researcher,
            password_hash: String::new(),
            token_version: 0,
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn tokens_verify_and_wrong_keys_are_refused() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef", 3600).unwrap();
        let t = keys.issue(&user()).unwrap();
        assert_eq!(keys.verify(&t).unwrap().role, "researcher");
        let other = TokenKeys::new(b"another-secret-another-secret-xx", 3600).unwrap();
        assert!(other.verify(&t).is_err());
        let expired = TokenKeys::new(b"0123456789abcdef0123456789abcdef", -3600).unwrap();
        let t = expired.issue(&user()).unwrap();
        assert!(keys.verify(&t).is_err());
    }

    #[test]
    fn alg_none_is_refused() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef", 3600).unwrap();
        let t = keys.issue(&user()).unwrap();
        let mut parts = t.split('.');
        let (_, payload) = (parts.next(), parts.next().unwrap());
        // {"alg":"none","typ":"JWT"}
        let forged = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
        assert!(keys.verify(&forged).is_err());
    }
}
