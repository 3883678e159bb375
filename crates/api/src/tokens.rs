//! Our own bearer tokens: HS256 JWTs with a fixed algorithm allow-list, `iss`/`aud`/`exp`/`nbf`
//! checked, keys named by `kid` (rotation), and the account's token version in each token so
//! that a password change revokes every older one.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use omics_domain::Code;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

pub const ISSUER: &str = "omics-match";
pub const AUDIENCE: &str = "omics-match-api";

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub(crate) sub: String,
    pub(crate) role: String,
    iss: String,
    aud: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    /// The account's token version when issued; raised on password change.
    pub(crate) tv: i64,
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

    pub(crate) fn verify(&self, token: &str) -> Result<Claims, ApiError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use omics_domain::Role;
    use uuid::Uuid;

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
