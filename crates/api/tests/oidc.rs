//! Tokens of an external OpenID Connect issuer, over HTTP against the real application: a
//! pretend issuer with an RSA and a P-256 key pair made here, its JWKS served from a file or
//! from a small local HTTP server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use common::{TestApp, assert_problem, platform};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use omics_api::Settings;
use omics_domain::Role;
use omics_store::Backend;
use reqwest::StatusCode;
use serde_json::{Value, json};

const ISS: &str = "https://login.example.org/oidc/";
const AUD: &str = "omics-match-client";
const CLAIM: &str = "eduperson_entitlement";
const ADMINS: &str = "urn:geant:example.org:group:noe:admins#login.example.org";
const MANAGERS: &str = "urn:geant:example.org:group:noe:platforms#login.example.org";

/// The pretend issuer's key pairs (made once per test binary: RSA generation is slow).
struct Keys {
    rsa_private_pem: String,
    /// The RSA public key in the forms an attacker may try as an HMAC secret.
    rsa_public_forms: Vec<Vec<u8>>,
    rsa_jwk: Value,
    ec_private_pem: String,
    ec_jwk: Value,
    /// Another P-256 pair, not in the JWKS.
    other_ec_private_pem: String,
    other_ec_jwk: Value,
}

fn ec_pair(kid: &str) -> (String, Value) {
    use p256::elliptic_curve::Generate;
    use p256::elliptic_curve::sec1::ToSec1Point;
    use p256::pkcs8::EncodePrivateKey;
    let secret = p256::SecretKey::generate();
    let pem = secret.to_pkcs8_pem(p256::pkcs8::LineEnding::LF).unwrap().to_string();
    let point = secret.public_key().to_sec1_point(false);
    let jwk = json!({"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
        "x": B64.encode(point.x().unwrap()), "y": B64.encode(point.y().unwrap())});
    (pem, jwk)
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
        use rsa::pkcs8::{EncodePublicKey, LineEnding};
        use rsa::traits::PublicKeyParts;
        let private = <rsa::PrivateKey as rsa::Generate>::generate();
        let public = private.to_public_key();
        let unsigned = |b: Box<[u8]>| -> Vec<u8> { b.iter().copied().skip_while(|x| *x == 0).collect() };
        let rsa_jwk = json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "rsa-1",
            "n": B64.encode(unsigned(public.n().to_be_bytes())), "e": B64.encode(unsigned(public.e().to_be_bytes()))});
        let rsa_public_forms = vec![
            public.to_public_key_pem(LineEnding::LF).unwrap().into_bytes(),
            public.to_pkcs1_pem(LineEnding::LF).unwrap().into_bytes(),
            public.to_public_key_der().unwrap().as_bytes().to_vec(),
            public.to_pkcs1_der().unwrap().as_bytes().to_vec(),
        ];
        let (ec_private_pem, ec_jwk) = ec_pair("ec-1");
        let (other_ec_private_pem, other_ec_jwk) = ec_pair("other");
        Keys {
            rsa_private_pem: private.to_pkcs1_pem(LineEnding::LF).unwrap().to_string(),
            rsa_public_forms,
            rsa_jwk,
            ec_private_pem,
            ec_jwk,
            other_ec_private_pem,
            other_ec_jwk,
        }
    })
}

fn jwks(keys: &[&Value]) -> String {
    json!({ "keys": keys }).to_string()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Claims of a valid token for `sub` with entitlements `groups`.
fn claims(sub: &str, groups: &[&str]) -> Value {
    let now = now();
    json!({"iss": ISS, "aud": AUD, "sub": sub, "iat": now, "nbf": now, "exp": now + 600,
        "email": format!("{sub}@uni.example.org"), "name": format!("User {sub}"), CLAIM: groups})
}

fn sign(alg: Algorithm, kid: &str, key: &EncodingKey, claims: &Value) -> String {
    let mut h = Header::new(alg);
    h.kid = Some(kid.into());
    jsonwebtoken::encode(&h, claims, key).unwrap()
}

fn rs256(claims: &Value) -> String {
    sign(Algorithm::RS256, "rsa-1", &EncodingKey::from_rsa_pem(keys().rsa_private_pem.as_bytes()).unwrap(), claims)
}

fn es256(claims: &Value) -> String {
    sign(Algorithm::ES256, "ec-1", &EncodingKey::from_ec_pem(keys().ec_private_pem.as_bytes()).unwrap(), claims)
}

/// The OIDC settings of the pretend issuer, its keys read from `jwks_file`.
fn configure(s: &mut Settings, jwks_file: &std::path::Path) {
    s.oidc.issuer = Some(ISS.into());
    s.oidc.audience = Some(AUD.into());
    s.oidc.jwks_file = Some(jwks_file.to_owned());
    s.oidc.roles_claim = Some(CLAIM.into());
    s.oidc.roles = [(ADMINS.to_owned(), Role::Admin), (MANAGERS.to_owned(), Role::PlatformManager)].into();
}

/// The application on `backend` trusting the pretend issuer, and the folder of its JWKS file.
async fn spawn(backend: Backend) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, jwks(&[&keys().rsa_jwk, &keys().ec_jwk])).unwrap();
    let app = TestApp::spawn_with(backend, |s| configure(s, &file)).await;
    (app, dir)
}

async fn me(app: &TestApp, token: &str) -> (StatusCode, Value) {
    app.get("/api/v1/auth/me", Some(token)).await
}

async fn accepted_and_mapped(backend: Backend) {
    let (app, _dir) = spawn(backend).await;
    // RS256 with the admin entitlement: an admin.
    let admin = rs256(&claims("alice", &[ADMINS, "urn:other"]));
    let (s, v) = me(&app, &admin).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["role"].as_str(), v["email"].as_str()), (Some("admin"), Some("alice@uni.example.org")), "{v}");
    assert_eq!(v["display_name"], "User alice");
    let alice = v["id"].clone();
    let (s, v) = app.get("/api/v1/audit", Some(&admin)).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // ES256 with the platform entitlement: a platform manager who owns what they create, also
    // through a later token of the same subject.
    let manager = es256(&claims("bob", &[MANAGERS]));
    let (s, v) = me(&app, &manager).await;
    assert_eq!((s, v["role"].as_str()), (StatusCode::OK, Some("platform_manager")), "{v}");
    let (s, p) = app.post("/api/v1/platforms", Some(&manager), platform("External Lab", "BE", "WES")).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(p["owner_id"], v["id"]);
    let later = rs256(&claims("bob", &[MANAGERS]));
    let path = format!("/api/v1/platforms/{}", p["id"].as_str().unwrap());
    let (s, v, _) = app.req(reqwest::Method::PATCH, &path, Some(&later), Some(json!({"city": "Gent"}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // No mapped value: a researcher, who may not register platforms.
    let plain = es256(&claims("carol", &["urn:other", "admin"]));
    let (s, v) = me(&app, &plain).await;
    assert_eq!((s, v["role"].as_str()), (StatusCode::OK, Some("researcher")), "{v}");
    let (s, v) = app.post("/api/v1/platforms", Some(&plain), platform("Nope", "BE", "WES")).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "forbidden");
    let mut no_claim = claims("dave", &[]);
    no_claim.as_object_mut().unwrap().remove(CLAIM);
    let (_, v) = me(&app, &rs256(&no_claim)).await;
    assert_eq!(v["role"], "researcher", "{v}");

    // The role follows the issuer: without the entitlement alice is no longer an admin.
    let demoted = rs256(&claims("alice", &[]));
    let (_, v) = me(&app, &demoted).await;
    assert_eq!((v["id"].clone(), v["role"].as_str()), (alice.clone(), Some("researcher")), "{v}");
    let (s, v) = app.get("/api/v1/audit", Some(&demoted)).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "forbidden");
    let stored = app.state.store.user_by_id(alice.as_str().unwrap().parse().unwrap()).unwrap().unwrap();
    assert_eq!(stored.role, Role::Researcher);

    // An external account has no password: it cannot get a local token.
    let (s, v) = app.post("/api/v1/auth/token", None, json!({"email": "alice@uni.example.org", "password": ""})).await;
    assert_problem(s, &v, StatusCode::UNAUTHORIZED, "invalid_credentials");

    // An external subject whose email is a local account's gets an account of its own.
    let local = app.user("erin@uni.example.org", "platform_manager").await;
    let (_, local_me) = me(&app, &local).await;
    let (_, v) = me(&app, &rs256(&claims("erin", &[]))).await;
    assert_ne!(v["id"], local_me["id"]);
    assert_ne!(v["email"], "erin@uni.example.org", "{v}");
    assert_eq!(v["role"], "researcher");
}

async fn refused(app: &TestApp, token: &str, why: &str) {
    let (s, v) = me(app, token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{why}: {v}");
    assert_eq!(v["code"], "invalid_token", "{why}: {v}");
}

/// `header.payload.` with an `alg` of `none`.
fn alg_none(claims: &Value, kid: &str) -> String {
    let h = B64.encode(json!({"alg": "none", "typ": "JWT", "kid": kid}).to_string());
    format!("{h}.{}.", B64.encode(claims.to_string()))
}

async fn refusals(backend: Backend) {
    let (app, _dir) = spawn(backend).await;
    let k = keys();
    let good = claims("mallory", &[ADMINS]);
    let set = |name: &str, value: Value| {
        let mut c = good.clone();
        c[name] = value;
        c
    };
    let del = |name: &str| {
        let mut c = good.clone();
        c.as_object_mut().unwrap().remove(name);
        c
    };
    assert_eq!(me(&app, &rs256(&good)).await.0, StatusCode::OK, "the baseline token is good");

    refused(&app, &rs256(&set("iss", "https://evil.example.org/".into())), "wrong issuer").await;
    refused(&app, &rs256(&set("aud", "another-client".into())), "wrong audience").await;
    refused(&app, &rs256(&del("aud")), "no audience").await;
    refused(&app, &rs256(&set("exp", (now() - 120).into())), "expired").await;
    refused(&app, &rs256(&del("exp")), "no exp").await;
    refused(&app, &rs256(&set("nbf", (now() + 3600).into())), "not yet valid").await;
    refused(&app, &rs256(&del("sub")), "no subject").await;
    let rsa_key = EncodingKey::from_rsa_pem(k.rsa_private_pem.as_bytes()).unwrap();
    refused(&app, &sign(Algorithm::RS256, "rsa-2", &rsa_key, &good), "unknown kid").await;
    let mut no_kid = Header::new(Algorithm::RS256);
    no_kid.kid = None;
    refused(&app, &jsonwebtoken::encode(&no_kid, &good, &rsa_key).unwrap(), "no kid").await;
    let other = EncodingKey::from_ec_pem(k.other_ec_private_pem.as_bytes()).unwrap();
    refused(&app, &sign(Algorithm::ES256, "ec-1", &other, &good), "signed by another key pair under a known kid").await;
    refused(&app, &sign(Algorithm::ES256, "other", &other, &good), "signed by a key pair not in the JWKS").await;
    refused(&app, &sign(Algorithm::RS384, "rsa-1", &rsa_key, &good), "RS384 is not configured").await;
    refused(&app, &sign(Algorithm::PS256, "rsa-1", &rsa_key, &good), "PS256 is not configured").await;
    let ec_key = EncodingKey::from_ec_pem(k.ec_private_pem.as_bytes()).unwrap();
    refused(&app, &sign(Algorithm::ES256, "rsa-1", &ec_key, &good), "ES256 under the RSA key's kid").await;
    refused(&app, &sign(Algorithm::RS256, "ec-1", &rsa_key, &good), "RS256 under the EC key's kid").await;
    let mut dpop = Header::new(Algorithm::RS256);
    (dpop.kid, dpop.typ) = (Some("rsa-1".into()), Some("dpop+jwt".into()));
    refused(&app, &jsonwebtoken::encode(&dpop, &good, &rsa_key).unwrap(), "not an access token (typ)").await;

    // HS/RS confusion: the public key as an HMAC secret, with the issuer's iss and kid.
    for (i, secret) in k.rsa_public_forms.iter().enumerate() {
        let key = EncodingKey::from_secret(secret).unwrap();
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            refused(&app, &sign(alg, "rsa-1", &key, &good), &format!("{alg:?} with public key form {i} as secret")).await;
        }
    }
    // ... nor with this service's own secret and kid.
    let ours = EncodingKey::from_secret(app.settings.jwt_secret.as_deref().unwrap().as_bytes()).unwrap();
    refused(&app, &sign(Algorithm::HS256, "k1", &ours, &good), "HS256 of our own key with the issuer's iss").await;
    refused(&app, &alg_none(&good, "rsa-1"), "alg none with the issuer's iss").await;
    // A token of the issuer's keys that claims to be one of ours is not one of ours.
    refused(&app, &rs256(&set("aud", "omics-match-api".into())), "aud of our own tokens").await;
    refused(&app, &rs256(&set("iss", "omics-match".into())), "RS256 with our own iss").await;
    // Local tokens still work beside the issuer's.
    let local = app.user("local@example.org", "researcher").await;
    assert_eq!(me(&app, &local).await.0, StatusCode::OK);
}

macro_rules! both {
    ($($name:ident),*) => {
        mod sqlite { $(#[actix_web::test] async fn $name() { super::$name(omics_store::Backend::Sqlite).await })* }
        mod postgres { $(#[actix_web::test] async fn $name() { super::$name(omics_store::Backend::Postgres).await })* }
    };
}

both!(accepted_and_mapped, refusals);

#[actix_web::test]
async fn issuer_tokens_are_refused_when_no_issuer_is_configured() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    refused(&app, &rs256(&claims("alice", &[ADMINS])), "RS256 without OIDC").await;
    refused(&app, &es256(&claims("alice", &[ADMINS])), "ES256 without OIDC").await;
    let key = EncodingKey::from_secret(&keys().rsa_public_forms[0]).unwrap();
    refused(&app, &sign(Algorithm::HS256, "rsa-1", &key, &claims("alice", &[ADMINS])), "HS256 of a public key without OIDC").await;
}

/// A tiny HTTP server answering every request with the current JWKS, counting requests.
struct JwksServer {
    url: String,
    body: Arc<Mutex<String>>,
    hits: Arc<AtomicUsize>,
}

impl JwksServer {
    fn start(body: String) -> JwksServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/.well-known/jwks.json", listener.local_addr().unwrap());
        let (body, hits) = (Arc::new(Mutex::new(body)), Arc::new(AtomicUsize::new(0)));
        let (b, h) = (body.clone(), hits.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                h.fetch_add(1, Ordering::SeqCst);
                let body = b.lock().unwrap().clone();
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        JwksServer { url, body, hits }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn spawn_with_url(server: &JwksServer, refresh_min_secs: u64) -> TestApp {
    let url = server.url.clone();
    TestApp::spawn_with(Backend::Sqlite, move |s| {
        configure(s, std::path::Path::new("unused"));
        s.oidc.jwks_file = None;
        s.oidc.jwks_url = Some(url);
        s.oidc.jwks_refresh_min_secs = refresh_min_secs;
    })
    .await
}

#[actix_web::test]
async fn jwks_url_is_fetched_at_start_and_again_for_a_new_kid() {
    let k = keys();
    let server = JwksServer::start(jwks(&[&k.rsa_jwk]));
    let app = spawn_with_url(&server, 0).await;
    assert_eq!(server.hits(), 1, "fetched once at start");
    let (s, v) = me(&app, &rs256(&claims("alice", &[MANAGERS]))).await;
    assert_eq!((s, v["role"].as_str()), (StatusCode::OK, Some("platform_manager")), "{v}");
    assert_eq!(server.hits(), 1, "a known kid needs no fetch");

    // The issuer adds a key: a token of the new kid makes the service fetch the keys again.
    *server.body.lock().unwrap() = jwks(&[&k.rsa_jwk, &k.ec_jwk]);
    let (s, v) = me(&app, &es256(&claims("bob", &[]))).await;
    assert_eq!((s, v["role"].as_str()), (StatusCode::OK, Some("researcher")), "{v}");
    assert_eq!(server.hits(), 2);

    // A kid the issuer does not have is still refused after a fetch.
    let other = EncodingKey::from_ec_pem(k.other_ec_private_pem.as_bytes()).unwrap();
    refused(&app, &sign(Algorithm::ES256, "other", &other, &claims("eve", &[ADMINS])), "unknown kid").await;
    assert_eq!(server.hits(), 3);
    // The issuer drops the RSA key: its tokens stop working once the keys are fetched again.
    *server.body.lock().unwrap() = jwks(&[&k.ec_jwk, &k.other_ec_jwk]);
    assert_eq!(me(&app, &sign(Algorithm::ES256, "other", &other, &claims("eve", &[]))).await.0, StatusCode::OK);
    refused(&app, &rs256(&claims("alice", &[MANAGERS])), "a removed key").await;
}

#[actix_web::test]
async fn jwks_fetches_for_unknown_kids_are_rate_limited() {
    let k = keys();
    let server = JwksServer::start(jwks(&[&k.rsa_jwk]));
    let app = spawn_with_url(&server, 300).await;
    assert_eq!(server.hits(), 1);
    *server.body.lock().unwrap() = jwks(&[&k.rsa_jwk, &k.ec_jwk]);
    for _ in 0..5 {
        refused(&app, &es256(&claims("bob", &[])), "kid unknown until the next allowed fetch").await;
    }
    assert_eq!(server.hits(), 1, "no fetch within jwks_refresh_min_secs of the last");
    assert_eq!(me(&app, &rs256(&claims("alice", &[]))).await.0, StatusCode::OK);
}

#[test]
fn bad_issuer_settings_stop_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = omics_store::testdb::TestDb::new(Backend::Sqlite, dir.path()).unwrap();
    let start = |f: &dyn Fn(&mut Settings)| {
        let mut s = common::settings(&db, dir.path());
        configure(&mut s, &dir.path().join("missing.json"));
        f(&mut s);
        match omics_api::Application::build(s) {
            Ok(_) => panic!("started"),
            Err(e) => e.to_string(),
        }
    };
    assert!(start(&|_| {}).contains("missing.json"), "a JWKS file that is not there");
    // Nothing listens on port 9 of this machine.
    let e = start(&|s| {
        s.oidc.jwks_file = None;
        s.oidc.jwks_url = Some("http://127.0.0.1:9/jwks".into());
    });
    assert!(e.contains("oidc.jwks_url"), "{e}");
    let e = start(&|s| {
        s.oidc.jwks_file = None;
        s.oidc.jwks_url = Some("http://login.example.org/jwks".into());
    });
    assert!(e.contains("https"), "{e}");
    let e = start(&|s| s.oidc.algorithms = vec![Algorithm::RS256, Algorithm::HS256]);
    assert!(e.contains("symmetric"), "{e}");
}
