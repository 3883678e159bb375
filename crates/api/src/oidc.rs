//! Bearer tokens of an external OpenID Connect issuer (e.g. Life Science Login), verified
//! against the issuer's published keys (JWKS) after RFC 8725: only the configured asymmetric
//! algorithms, the key chosen by `kid` and used only with an algorithm of its own type (an
//! RSA key never verifies an HMAC token), symmetric keys in a JWKS ignored, `iss`, `aud`, `exp`
//! required and `nbf` checked. The external subject (issuer + `sub`) becomes a local account on
//! first sight; its role comes from a claim through a configured table, and only that table can
//! make anyone an admin.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

pub use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{AlgorithmFamily, DecodingKey, Header, Validation};
use omics_domain::{Code, Role};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use omics_service::accounts::ExternalIdentity;

use crate::error::ApiError;

/// The largest JWKS document read, bytes.
const MAX_JWKS_BYTES: u64 = 1024 * 1024;
/// How long one JWKS request may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Settings of the external issuer (`oidc.*`); off while `issuer` is empty.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct OidcSettings {
    /// The issuer's identifier, exactly as in its tokens' `iss` (e.g.
    /// `https://login.aai.lifescience-ri.eu/oidc/`); empty: external tokens are refused.
    pub issuer: Option<String>,
    /// The `aud` value the issuer puts in tokens meant for this service (its client id).
    pub audience: Option<String>,
    /// A JWKS file with the issuer's public keys (read at start).
    pub jwks_file: Option<PathBuf>,
    /// The issuer's JWKS URL (`jwks_uri`), fetched at start and again for an unknown `kid`.
    pub jwks_url: Option<String>,
    /// Accepted signature algorithms; only asymmetric ones may be named.
    pub algorithms: Vec<Algorithm>,
    /// The claim whose values name roles (e.g. `eduperson_entitlement` or `groups`; a dotted
    /// path such as `realm_access.roles` reaches into objects).
    pub roles_claim: Option<String>,
    /// Claim value -> role. The highest role any value maps to is taken.
    pub roles: HashMap<String, Role>,
    /// The role of a user none of whose values is mapped (never `admin`).
    pub default_role: Role,
    /// Least time between two JWKS fetches for an unknown `kid`, seconds.
    pub jwks_refresh_min_secs: u64,
}

impl Default for OidcSettings {
    fn default() -> Self {
        OidcSettings {
            issuer: None,
            audience: None,
            jwks_file: None,
            jwks_url: None,
            algorithms: vec![Algorithm::RS256, Algorithm::ES256],
            roles_claim: None,
            roles: HashMap::new(),
            default_role: Role::Researcher,
            jwks_refresh_min_secs: 300,
        }
    }
}

/// A verification key from the JWKS and the algorithms it may be used with.
#[derive(Clone)]
struct Key {
    algorithms: Vec<Algorithm>,
    key: DecodingKey,
}

enum Source {
    File,
    Url { url: reqwest::Url, min_interval: Duration, last_fetch: Mutex<Instant> },
}

/// The configured external issuer and its current keys.
pub struct Oidc {
    issuer: String,
    audience: String,
    algorithms: Vec<Algorithm>,
    roles_claim: Option<String>,
    roles: HashMap<String, Role>,
    default_role: Role,
    source: Source,
    keys: RwLock<Arc<HashMap<String, Key>>>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc").field("issuer", &self.issuer).field("audience", &self.audience).finish_non_exhaustive()
    }
}

fn rank(role: Role) -> u8 {
    match role {
        Role::Researcher => 0,
        Role::PlatformManager => 1,
        Role::Admin => 2,
    }
}

pub(crate) fn refused(why: impl std::fmt::Display) -> ApiError {
    ApiError::new(Code::InvalidToken, format!("the bearer token was refused ({why})"))
}

impl Oidc {
    /// The issuer of `settings`, its keys loaded; `None` when no issuer is configured. Errors
    /// name the setting that is wrong.
    pub fn from_settings(settings: &OidcSettings) -> Result<Option<Oidc>, String> {
        let Some(issuer) = settings.issuer.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
            if settings.jwks_file.is_some() || settings.jwks_url.is_some() || settings.audience.is_some() {
                return Err("oidc.issuer is required when other oidc settings are given".into());
            }
            return Ok(None);
        };
        if issuer == crate::tokens::ISSUER {
            return Err(format!("oidc.issuer must not be {:?}, the issuer of this service's own tokens", crate::tokens::ISSUER));
        }
        let audience = settings
            .audience
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or("oidc.audience is required: the aud value (client id) the issuer gives tokens for this service")?;
        if settings.algorithms.is_empty() {
            return Err("oidc.algorithms is empty".into());
        }
        if let Some(a) = settings.algorithms.iter().find(|a| a.family() == AlgorithmFamily::Hmac) {
            return Err(format!("oidc.algorithms: {a:?} is symmetric; only RS*, PS*, ES256, ES384 and EdDSA are accepted"));
        }
        if settings.default_role == Role::Admin {
            return Err("oidc.default_role must not be admin; map a claim value to admin in oidc.roles instead".into());
        }
        let (source, keys) = match (&settings.jwks_file, settings.jwks_url.as_deref()) {
            (Some(path), None) => {
                let text = std::fs::read_to_string(path).map_err(|e| format!("oidc.jwks_file {}: {e}", path.display()))?;
                (Source::File, parse_jwks(&text).map_err(|e| format!("oidc.jwks_file {}: {e}", path.display()))?)
            }
            (None, Some(url)) => {
                let url = jwks_url(url)?;
                let keys = fetch_jwks(&url).map_err(|e| format!("oidc.jwks_url {url}: {e}"))?;
                let min_interval = Duration::from_secs(settings.jwks_refresh_min_secs);
                (Source::Url { url, min_interval, last_fetch: Mutex::new(Instant::now()) }, keys)
            }
            _ => return Err("set exactly one of oidc.jwks_file and oidc.jwks_url".into()),
        };
        if keys.is_empty() {
            return Err("the issuer's JWKS has no usable signature key (each needs a kid)".into());
        }
        Ok(Some(Oidc {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            algorithms: settings.algorithms.clone(),
            roles_claim: settings.roles_claim.clone().filter(|c| !c.is_empty()),
            roles: settings.roles.clone(),
            default_role: settings.default_role,
            source,
            keys: RwLock::new(Arc::new(keys)),
        }))
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Whether the token says it comes from this issuer (unverified: only picks the verifier).
    pub fn claims_to_be_from(&self, token: &str) -> bool {
        #[derive(Deserialize)]
        struct Iss {
            iss: Option<String>,
        }
        jsonwebtoken::dangerous::insecure_decode_claims::<Iss>(token).is_ok_and(|c| c.iss.as_deref() == Some(self.issuer.as_str()))
    }

    fn key(&self, kid: &str) -> Option<Key> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).get(kid).cloned()
    }

    /// Fetch the JWKS again if the URL variant is configured and the last fetch is long enough
    /// ago; whether the keys were replaced.
    async fn refresh(&self) -> bool {
        let Source::Url { url, min_interval, last_fetch } = &self.source else { return false };
        {
            let mut last = last_fetch.lock().unwrap_or_else(|p| p.into_inner());
            if last.elapsed() < *min_interval {
                return false;
            }
            *last = Instant::now();
        }
        let url = url.clone();
        match actix_web::web::block(move || fetch_jwks(&url)).await {
            Ok(Ok(keys)) if !keys.is_empty() => {
                tracing::info!(keys = keys.len(), issuer = %self.issuer, "fetched the issuer's keys again");
                *self.keys.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(keys);
                true
            }
            Ok(Ok(_)) => {
                tracing::warn!(issuer = %self.issuer, "the issuer's JWKS has no usable key; keeping the old keys");
                false
            }
            Ok(Err(e)) => {
                tracing::warn!(issuer = %self.issuer, error = %e, "fetching the issuer's JWKS failed; keeping the old keys");
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "JWKS fetch task failed");
                false
            }
        }
    }

    /// Verify a token of this issuer and read who it names.
    pub async fn verify(&self, token: &str, header: &Header) -> Result<ExternalIdentity, ApiError> {
        let alg = header.alg;
        if !self.algorithms.contains(&alg) {
            return Err(refused(format!("algorithm {alg:?} is not accepted for issuer {}", self.issuer)));
        }
        if let Some(typ) = header.typ.as_deref()
            && !["jwt", "at+jwt", "application/at+jwt"].contains(&typ.to_ascii_lowercase().as_str())
        {
            return Err(refused(format!("token type {typ} is not an access token")));
        }
        let kid = header.kid.as_deref().ok_or_else(|| refused("no key id"))?;
        let key = match self.key(kid) {
            Some(k) => k,
            None => {
                self.refresh().await;
                self.key(kid).ok_or_else(|| refused(format!("unknown key id {kid} of issuer {}", self.issuer)))?
            }
        };
        if !key.algorithms.contains(&alg) {
            return Err(refused(format!("key {kid} is not for algorithm {alg:?}")));
        }
        let mut v = Validation::new(alg);
        v.set_issuer(&[&self.issuer]);
        v.set_audience(&[&self.audience]);
        v.validate_nbf = true;
        v.leeway = 30;
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<Value>(token, &key.key, &v).map_err(|e| refused(e.to_string()))?.claims;
        self.identity(&claims)
    }

    fn identity(&self, claims: &Value) -> Result<ExternalIdentity, ApiError> {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
        let subject = text("sub").filter(|s| s.len() <= 255).ok_or_else(|| refused("no usable sub claim"))?.to_owned();
        // An address the issuer says it has not verified is not taken.
        let email = text("email")
            .filter(|e| e.len() <= 254 && e.contains('@'))
            .filter(|_| claims.get("email_verified").and_then(Value::as_bool) != Some(false))
            .map(str::to_owned);
        let display_name: String =
            text("name").or_else(|| text("preferred_username")).or(email.as_deref()).unwrap_or(&subject).chars().take(200).collect();
        Ok(ExternalIdentity { subject, email, display_name, role: self.role(claims) })
    }

    /// The highest role any value of the roles claim maps to, else the default role.
    fn role(&self, claims: &Value) -> Role {
        let Some(name) = &self.roles_claim else { return self.default_role };
        let value = claims.get(name).or_else(|| name.split('.').try_fold(claims, |v, part| v.get(part)));
        let values: Vec<&str> = match value {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        values.iter().filter_map(|v| self.roles.get(*v).copied()).max_by_key(|r| rank(*r)).unwrap_or(self.default_role)
    }
}

/// The JWKS URL, which must be HTTPS (plain HTTP only to this machine).
fn jwks_url(url: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(url).map_err(|e| format!("oidc.jwks_url {url:?}: {e}"))?;
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(format!("oidc.jwks_url {url}: use https (plain http only for localhost)")),
    }
}

/// Fetch and read the JWKS. The request runs on a thread of its own, so this may be called
/// from anywhere (at start, or from a blocking task). No redirects are followed.
fn fetch_jwks(url: &reqwest::Url) -> Result<HashMap<String, Key>, String> {
    let url = url.clone();
    let body = std::thread::spawn(move || -> Result<String, String> {
        use std::io::Read;
        let client = reqwest::blocking::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("omics-match/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        let res = client.get(url).header("accept", "application/json").send().map_err(|e| e.to_string())?;
        if !res.status().is_success() {
            return Err(format!("HTTP status {}", res.status()));
        }
        let mut body = String::new();
        res.take(MAX_JWKS_BYTES + 1).read_to_string(&mut body).map_err(|e| e.to_string())?;
        if body.len() as u64 > MAX_JWKS_BYTES {
            return Err(format!("the JWKS is larger than {MAX_JWKS_BYTES} bytes"));
        }
        Ok(body)
    })
    .join()
    .map_err(|_| "the JWKS fetch thread panicked".to_owned())??;
    parse_jwks(&body)
}

/// The signature keys of a JWKS by `kid`. Keys without `kid`, symmetric keys (`oct`),
/// encryption keys and keys of unsupported types are skipped.
fn parse_jwks(text: &str) -> Result<HashMap<String, Key>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let list = doc.get("keys").and_then(Value::as_array).ok_or("no \"keys\" array")?;
    let mut keys = HashMap::new();
    for raw in list {
        let field = |name: &str| raw.get(name).and_then(Value::as_str);
        let Some(kid) = field("kid").filter(|k| !k.is_empty()) else {
            tracing::warn!("JWKS key without kid skipped");
            continue;
        };
        if field("use").is_some_and(|u| u != "sig") {
            continue;
        }
        let by_type: &[Algorithm] = match (field("kty"), field("crv")) {
            (Some("RSA"), _) => {
                &[Algorithm::RS256, Algorithm::RS384, Algorithm::RS512, Algorithm::PS256, Algorithm::PS384, Algorithm::PS512]
            }
            (Some("EC"), Some("P-256")) => &[Algorithm::ES256],
            (Some("EC"), Some("P-384")) => &[Algorithm::ES384],
            (Some("OKP"), Some("Ed25519")) => &[Algorithm::EdDSA],
            (kty, crv) => {
                tracing::warn!(kid, ?kty, ?crv, "JWKS key of an unsupported (or symmetric) type skipped");
                continue;
            }
        };
        let algorithms: Vec<Algorithm> = match field("alg") {
            None => by_type.to_vec(),
            Some(a) => match a.parse::<Algorithm>() {
                Ok(a) if by_type.contains(&a) => vec![a],
                _ => {
                    tracing::warn!(kid, alg = a, "JWKS key whose alg does not fit its type skipped");
                    continue;
                }
            },
        };
        let key = serde_json::from_value::<Jwk>(raw.clone())
            .map_err(|e| e.to_string())
            .and_then(|j| DecodingKey::from_jwk(&j).map_err(|e| e.to_string()));
        match key {
            Ok(key) => {
                if keys.insert(kid.to_owned(), Key { algorithms, key }).is_some() {
                    return Err(format!("two keys with kid {kid}"));
                }
            }
            Err(e) => tracing::warn!(kid, error = %e, "unreadable JWKS key skipped"),
        }
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oidc(roles_claim: Option<&str>, roles: &[(&str, Role)]) -> Oidc {
        Oidc {
            issuer: "https://idp.example.org".into(),
            audience: "omics".into(),
            algorithms: vec![Algorithm::RS256],
            roles_claim: roles_claim.map(Into::into),
            roles: roles.iter().map(|(k, r)| ((*k).to_owned(), *r)).collect(),
            default_role: Role::Researcher,
            source: Source::File,
            keys: RwLock::new(Arc::new(HashMap::new())),
        }
    }

    #[test]
    fn roles_come_from_the_mapping_only() {
        let o = oidc(Some("groups"), &[("noe:admins", Role::Admin), ("noe:platforms", Role::PlatformManager)]);
        let role = |v: Value| o.role(&v);
        assert_eq!(role(serde_json::json!({"groups": ["noe:platforms", "x"]})), Role::PlatformManager);
        assert_eq!(role(serde_json::json!({"groups": ["noe:platforms", "noe:admins"]})), Role::Admin);
        assert_eq!(role(serde_json::json!({"groups": "noe:admins"})), Role::Admin);
        assert_eq!(role(serde_json::json!({"groups": ["admin", "NOE:ADMINS"]})), Role::Researcher, "exact values only");
        assert_eq!(role(serde_json::json!({"role": "admin"})), Role::Researcher, "other claims are not read");
        assert_eq!(role(serde_json::json!({})), Role::Researcher);
        let nested = oidc(Some("realm_access.roles"), &[("admins", Role::Admin)]);
        assert_eq!(nested.role(&serde_json::json!({"realm_access": {"roles": ["admins"]}})), Role::Admin);
        let unmapped = oidc(None, &[]);
        assert_eq!(unmapped.role(&serde_json::json!({"groups": ["noe:admins"]})), Role::Researcher);
    }

    #[test]
    fn identity_needs_a_subject_and_skips_unverified_email() {
        let o = oidc(None, &[]);
        assert!(o.identity(&serde_json::json!({"sub": ""})).is_err());
        assert!(o.identity(&serde_json::json!({"sub": 7})).is_err());
        let i = o.identity(&serde_json::json!({"sub": "s", "email": "a@b.eu", "email_verified": false})).unwrap();
        assert_eq!((i.email, i.display_name.as_str()), (None, "s"));
        let i = o.identity(&serde_json::json!({"sub": "s", "email": "a@b.eu", "name": "Ana"})).unwrap();
        assert_eq!((i.email.as_deref(), i.display_name.as_str()), (Some("a@b.eu"), "Ana"));
    }

    #[test]
    fn jwks_keeps_only_asymmetric_signature_keys_with_a_kid() {
        let rsa = serde_json::json!({"kty": "RSA", "kid": "r", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB"});
        let doc = |keys: Vec<Value>| serde_json::json!({ "keys": keys }).to_string();
        let parsed = parse_jwks(&doc(vec![rsa.clone()])).unwrap();
        assert!(parsed["r"].algorithms.contains(&Algorithm::RS256));
        let mut no_kid = rsa.clone();
        no_kid.as_object_mut().unwrap().remove("kid");
        let mut enc = rsa.clone();
        enc["use"] = "enc".into();
        let mut wrong_alg = rsa.clone();
        wrong_alg["alg"] = "ES256".into();
        let mut hs = rsa.clone();
        hs["alg"] = "HS256".into();
        let oct = serde_json::json!({"kty": "oct", "kid": "h", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"});
        assert!(parse_jwks(&doc(vec![no_kid, enc, wrong_alg, hs, oct])).unwrap().is_empty());
        assert!(parse_jwks(&doc(vec![rsa.clone(), rsa])).is_err(), "duplicate kid");
        assert!(parse_jwks("{}").is_err());
    }

    #[test]
    fn settings_are_checked() {
        let base = OidcSettings {
            issuer: Some("https://idp.example.org".into()),
            audience: Some("omics".into()),
            jwks_url: Some("https://idp.example.org/jwks".into()),
            ..OidcSettings::default()
        };
        assert!(Oidc::from_settings(&OidcSettings::default()).unwrap().is_none());
        let bad = |f: fn(&mut OidcSettings)| {
            let mut s = base.clone();
            f(&mut s);
            Oidc::from_settings(&s).unwrap_err()
        };
        assert!(bad(|s| s.issuer = None).contains("oidc.issuer"));
        assert!(bad(|s| s.issuer = Some(crate::tokens::ISSUER.into())).contains("oidc.issuer"));
        assert!(bad(|s| s.audience = None).contains("oidc.audience"));
        assert!(bad(|s| s.algorithms = vec![Algorithm::RS256, Algorithm::HS256]).contains("symmetric"));
        assert!(bad(|s| s.algorithms = vec![]).contains("oidc.algorithms"));
        assert!(bad(|s| s.default_role = Role::Admin).contains("default_role"));
        assert!(bad(|s| s.jwks_file = Some("/x".into())).contains("exactly one"));
        assert!(bad(|s| s.jwks_url = None).contains("exactly one"));
        assert!(bad(|s| s.jwks_url = Some("http://idp.example.org/jwks".into())).contains("https"));
        assert!(jwks_url("http://127.0.0.1:1/jwks").is_ok());
        assert!(jwks_url("http://localhost:1/jwks").is_ok());
        assert!(jwks_url("ftp://idp.example.org/jwks").is_err());
    }
}
