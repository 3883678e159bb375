//! Accounts and tokens: argon2 password hashes, HS256 JWTs with a fixed algorithm allow-list,
//! `iss`/`aud`/`exp`/`nbf` checked, and a per-account token version so that a password change
//! revokes every older token. Tokens of an external OpenID Connect issuer are verified by
//! `crate::oidc` when one is configured. Authentication is an extractor: `AuthUser` (required)
//! and `MaybeUser` (optional).

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, web};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use omics_domain::{Code, Role};
use omics_store::{ExternalId, NewExternalUser};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ApiError;
use crate::oidc::ExternalIdentity;
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

/// Signs and checks tokens. Tokens name their key in the `kid` header: the current key signs,
/// retired keys still verify until they are removed from configuration (key rotation).
pub struct TokenKeys {
    kid: String,
    encoding: EncodingKey,
    decoding: std::collections::HashMap<String, DecodingKey>,
    pub ttl_secs: i64,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl_secs: i64) -> Result<TokenKeys, jsonwebtoken::errors::Error> {
        Self::with_kid("k1", secret, &[], ttl_secs)
    }

    /// The current key `kid` and retired `(kid, secret)` pairs that still verify.
    pub fn with_kid(
        kid: &str,
        secret: &[u8],
        retired: &[(String, Vec<u8>)],
        ttl_secs: i64,
    ) -> Result<TokenKeys, jsonwebtoken::errors::Error> {
        let mut decoding = std::collections::HashMap::new();
        for (k, s) in retired {
            decoding.insert(k.clone(), DecodingKey::from_secret(s)?);
        }
        decoding.insert(kid.to_owned(), DecodingKey::from_secret(secret)?);
        Ok(TokenKeys { kid: kid.to_owned(), encoding: EncodingKey::from_secret(secret)?, decoding, ttl_secs })
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
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding).map_err(ApiError::internal)
    }

    fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let refused = |why: String| {
            ApiError::new(Code::InvalidToken, format!("the bearer token was refused ({why}); request a new one at /api/v1/auth/token"))
        };
        let header = jsonwebtoken::decode_header(token).map_err(|e| refused(e.to_string()))?;
        if header.alg != Algorithm::HS256 {
            return Err(refused(format!("algorithm {:?} is not accepted", header.alg)));
        }
        let key = match header.kid.as_deref() {
            Some(kid) => self.decoding.get(kid).ok_or_else(|| refused(format!("unknown key id {kid}")))?,
            None => return Err(refused("no key id".into())),
        };
        let mut v = Validation::new(Algorithm::HS256);
        v.set_issuer(&[ISSUER]);
        v.set_audience(&[AUDIENCE]);
        v.validate_nbf = true;
        v.leeway = 30;
        v.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        jsonwebtoken::decode::<Claims>(token, key, &v).map(|d| d.claims).map_err(|e| refused(e.to_string()))
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
    // A token naming the external issuer is verified only against that issuer's keys and
    // algorithms; every other token only as one of ours (HS256, our `iss`).
    if let Some(oidc) = &state.oidc
        && oidc.claims_to_be_from(&token)
    {
        let header = jsonwebtoken::decode_header(&token).map_err(crate::oidc::refused)?;
        let identity = oidc.verify(&token, &header).await?;
        return external_user(&state, oidc.issuer(), identity).await.map(Some);
    }
    let claims = state.tokens.verify(&token)?;
    let id = Uuid::parse_str(&claims.sub).map_err(|_| ApiError::new(Code::InvalidToken, "the token's subject is not an account id"))?;
    let store = state.store.clone();
    let user = web::block(move || store.user_by_id(id)).await??;
    let revoked = || ApiError::new(Code::InvalidToken, "the token was revoked (account removed or password changed); request a new one");
    let user = user.ok_or_else(revoked)?;
    if user.external.is_some() || user.token_version != claims.tv || user.role.as_str() != claims.role {
        return Err(revoked());
    }
    Ok(Some(AuthUser { id: user.id, role: user.role, email: user.email, display_name: user.display_name }))
}

/// The local account of a verified external identity: created on first sight, keyed by issuer
/// and subject (never by email); its stored role follows the role the token maps to.
async fn external_user(state: &AppState, issuer: &str, identity: ExternalIdentity) -> Result<AuthUser, ApiError> {
    let store = state.store.clone();
    let ExternalIdentity { subject, email, display_name, role } = identity;
    let id = ExternalId { issuer: issuer.to_owned(), subject };
    let user = web::block(move || -> Result<omics_store::User, omics_store::StoreError> {
        let user = match store.user_by_external(&id)? {
            Some(u) => u,
            None => {
                tracing::info!(issuer = %id.issuer, "first sight of an external account");
                store.external_user(NewExternalUser { id, email, display_name, role })?
            }
        };
        if user.role != role {
            tracing::info!(user = %user.id, from = user.role.as_str(), to = role.as_str(), "external account's role follows its issuer");
            store.set_role(user.id, role)?;
        }
        Ok(user)
    })
    .await??;
    Ok(AuthUser { id: user.id, role, email: user.email, display_name: user.display_name })
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
            external: None,
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
    fn keys_rotate_by_kid() {
        let old = TokenKeys::with_kid("2026-a", b"old-secret-old-secret-old-secret", &[], 3600).unwrap();
        let t = old.issue(&user()).unwrap();
        let rotated = TokenKeys::with_kid(
            "2026-b",
            b"new-secret-new-secret-new-secret",
            &[("2026-a".into(), b"old-secret-old-secret-old-secret".to_vec())],
            3600,
        )
        .unwrap();
        assert!(rotated.verify(&t).is_ok(), "a token of a retired key still verifies");
        assert_eq!(jsonwebtoken::decode_header(rotated.issue(&user()).unwrap()).unwrap().kid.as_deref(), Some("2026-b"));
        let dropped = TokenKeys::with_kid("2026-b", b"new-secret-new-secret-new-secret", &[], 3600).unwrap();
        assert!(dropped.verify(&t).is_err(), "a removed key no longer verifies");
    }

    #[test]
    fn other_algorithms_and_claims_are_refused() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef", 3600).unwrap();
        let now = chrono::Utc::now().timestamp();
        let claims = |iss: &str, aud: &str, nbf: i64| Claims {
            sub: Uuid::now_v7().to_string(),
            role: "researcher".into(),
            iss: iss.into(),
            aud: aud.into(),
            iat: now,
            nbf,
            exp: now + 600,
            tv: 0,
        };
        let sign = |alg: Algorithm, c: &Claims| {
            let mut h = Header::new(alg);
            h.kid = Some("k1".into());
            jsonwebtoken::encode(&h, c, &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef").unwrap()).unwrap()
        };
        assert!(keys.verify(&sign(Algorithm::HS256, &claims(ISSUER, AUDIENCE, now))).is_ok());
        assert!(keys.verify(&sign(Algorithm::HS512, &claims(ISSUER, AUDIENCE, now))).is_err(), "HS512 is not on the allow-list");
        assert!(keys.verify(&sign(Algorithm::HS256, &claims("someone-else", AUDIENCE, now))).is_err(), "wrong iss");
        assert!(keys.verify(&sign(Algorithm::HS256, &claims(ISSUER, "other-api", now))).is_err(), "wrong aud");
        assert!(keys.verify(&sign(Algorithm::HS256, &claims(ISSUER, AUDIENCE, now + 3600))).is_err(), "not yet valid");
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
