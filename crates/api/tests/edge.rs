//! The HTTP edge of a network deployment (several replicas on one PostgreSQL behind a reverse
//! proxy, front ends on other origins): the shared secret, the client address behind trusted
//! proxies, rate limits shared by replicas, CORS, conditional reads, paged matches, metrics
//! and request ids.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestApp, assert_problem, need, platform};
use omics_store::Backend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    conditional_reads_answer_304,
    matches_are_paged_stably,
    the_client_address_comes_from_trusted_proxies_only,
    replicas_share_the_rate_limits,
    metrics_count_requests_and_read_the_service
);

// ---------------------------------------------------------------------------------------------
// Start-up: what replicas must share, and settings that fail the start
// ---------------------------------------------------------------------------------------------

fn start_error(backend: Backend, f: impl FnOnce(&mut omics_api::Settings)) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let db = omics_store::testdb::TestDb::new(backend, dir.path()).unwrap();
    let mut s = common::settings(&db, dir.path());
    f(&mut s);
    match omics_api::Application::build(s) {
        Ok(app) => {
            app.background().stop(std::time::Duration::from_secs(1));
            None
        }
        Err(e) => Some(e.to_string()),
    }
}

#[actix_web::test]
async fn postgres_needs_a_configured_token_secret() {
    let e = start_error(Backend::Postgres, |s| s.jwt_secret = None).expect("started without jwt_secret");
    assert!(e.contains("jwt_secret") && e.contains("replica"), "{e}");
    // With a secret it starts; SQLite still generates one into data_dir.
    assert_eq!(start_error(Backend::Postgres, |_| {}), None);
    let dir = tempfile::tempdir().unwrap();
    let db = omics_store::testdb::TestDb::new(Backend::Sqlite, dir.path()).unwrap();
    let mut s = common::settings(&db, dir.path());
    s.jwt_secret = None;
    let app = omics_api::Application::build(s).unwrap();
    assert!(std::fs::read_to_string(dir.path().join("data/jwt-secret")).unwrap().len() >= 32);
    app.background().stop(std::time::Duration::from_secs(1));
}

#[actix_web::test]
async fn bad_proxy_or_origin_entries_stop_the_start() {
    let e = start_error(Backend::Sqlite, |s| s.trusted_proxies = vec!["172.28.0.0/24".into(), "caddy".into()]).unwrap();
    assert!(e.contains("trusted_proxies") && e.contains("\"caddy\""), "{e}");
    let e = start_error(Backend::Sqlite, |s| s.trusted_proxies = vec!["10.0.0.0/40".into()]).unwrap();
    assert!(e.contains("10.0.0.0/40"), "{e}");
    let e = start_error(Backend::Sqlite, |s| s.cors_allowed_origins = vec!["https://app.example.org/page".into()]).unwrap();
    assert!(e.contains("cors_allowed_origins"), "{e}");
    assert_eq!(
        start_error(Backend::Sqlite, |s| {
            s.trusted_proxies = vec!["127.0.0.1".into(), "::1".into(), "172.28.0.0/24".into()];
            s.cors_allowed_origins = vec!["https://app.example.org".into(), "*".into()];
        }),
        None
    );
}

// ---------------------------------------------------------------------------------------------
// Conditional reads
// ---------------------------------------------------------------------------------------------

async fn get_if_none_match(app: &TestApp, path: &str, condition: &str) -> (StatusCode, String, reqwest::header::HeaderMap) {
    let res = app.client.get(format!("{}{path}", app.base)).header("If-None-Match", condition).send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, res.text().await.unwrap(), headers)
}

async fn conditional_reads_answer_304(app: TestApp) {
    let m = app.user("m@example.org", "platform_manager").await;
    let r = app.user("r@example.org", "researcher").await;
    let (s, p) = app.post("/api/v1/platforms", Some(&m), platform("Tag Lab", "LT", "WES")).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (s, n) = app.post("/api/v1/needs", Some(&r), need("Tagged need", "LT", "WES")).await;
    assert_eq!(s, StatusCode::CREATED, "{n}");
    // Every GET route that sends an ETag.
    for (path, token) in
        [(format!("/api/v1/platforms/{}", p["id"].as_str().unwrap()), &m), (format!("/api/v1/needs/{}", n["id"].as_str().unwrap()), &r)]
    {
        let (s, _, h) = app.req(Method::GET, &path, None, None).await;
        assert_eq!(s, StatusCode::OK);
        let etag = h["etag"].to_str().unwrap().to_owned();
        for condition in [etag.clone(), format!("W/{etag}"), format!("\"0\", {etag}"), "*".into()] {
            let (s, body, h) = get_if_none_match(&app, &path, &condition).await;
            assert_eq!(s, StatusCode::NOT_MODIFIED, "{path} with {condition}");
            assert!(body.is_empty(), "{body}");
            assert_eq!(h["etag"].to_str().unwrap(), etag);
        }
        for condition in ["\"0\"", "\"0\", W/\"999\"", "not a tag"] {
            let (s, body, _) = get_if_none_match(&app, &path, condition).await;
            assert_eq!(s, StatusCode::OK, "{path} with {condition}");
            assert!(body.contains("\"id\""), "{body}");
        }
        // A change gives a new tag, so the old one no longer matches.
        let (s, v, _) = app.req(Method::PATCH, &path, Some(token), Some(json!({"description": "Changed for a new version of it."}))).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, _, h) = get_if_none_match(&app, &path, &etag).await;
        assert_eq!(s, StatusCode::OK);
        assert_ne!(h["etag"].to_str().unwrap(), etag);
        // Not a GET: no 304 (PATCH with If-None-Match is not a conditional read).
    }
    // A route without ETag ignores the header.
    let (s, _, _) = get_if_none_match(&app, "/api/v1/platforms", "*").await;
    assert_eq!(s, StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------
// Paged matches
// ---------------------------------------------------------------------------------------------

fn ids(v: &Value, inner: &str) -> Vec<String> {
    v["matches"].as_array().unwrap().iter().map(|m| m[inner]["id"].as_str().unwrap().to_owned()).collect()
}

async fn pages(app: &TestApp, method: Method, path: &str, body: Option<Value>, inner: &str) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let (s, all, _) = app.req(method.clone(), &format!("{path}{sep}limit=100"), None, body.clone()).await;
    assert_eq!(s, StatusCode::OK, "{all}");
    let all = ids(&all, inner);
    assert!(all.len() >= 7, "{all:?}");
    let (_, one, _) = app.req(method.clone(), &format!("{path}{sep}limit=3"), None, body.clone()).await;
    assert_eq!((one["offset"].as_u64(), one["limit"].as_u64(), one["next_offset"].as_u64()), (Some(0), Some(3), Some(3)), "{one}");
    let (_, two, _) = app.req(method.clone(), &format!("{path}{sep}limit=3&offset=3"), None, body.clone()).await;
    assert_eq!(two["next_offset"].as_u64(), Some(6), "{two}");
    let paged: Vec<String> = ids(&one, inner).into_iter().chain(ids(&two, inner)).collect();
    assert_eq!(paged, all[..6], "page 1 and page 2 are the first 6 of one big page");
    // The same request again gives the same page (ties are ordered by id).
    let (_, again, _) = app.req(method.clone(), &format!("{path}{sep}limit=3&offset=3"), None, body.clone()).await;
    assert_eq!(ids(&again, inner), ids(&two, inner));
    // The last page says so.
    let last = all.len() - 1;
    let (_, end, _) = app.req(method.clone(), &format!("{path}{sep}limit=3&offset={last}"), None, body.clone()).await;
    assert_eq!(ids(&end, inner), all[last..]);
    assert!(end["next_offset"].is_null(), "{end}");
    // Bounded like every offset.
    let (s, v, _) = app.req(method, &format!("{path}{sep}offset=10001"), None, body).await;
    assert_problem(s, &v, StatusCode::BAD_REQUEST, "invalid_query");
    assert_eq!(v["errors"][0]["field"], "offset", "{v}");
}

async fn matches_are_paged_stably(app: TestApp) {
    let m = app.user("m@example.org", "platform_manager").await;
    let r = app.user("r@example.org", "researcher").await;
    // Equal platforms and equal needs: every score ties, so only the ids order them.
    let mut platform_id = String::new();
    for i in 0..8 {
        let mut p = platform(&format!("Exome Lab {i}"), "LT", "whole-exome-sequencing");
        p["status"] = json!("published");
        let (s, v) = app.post("/api/v1/platforms", Some(&m), p).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        platform_id = v["id"].as_str().unwrap().to_owned();
    }
    let mut need_id = String::new();
    for i in 0..8 {
        let (s, v) = app.post("/api/v1/needs", Some(&r), need(&format!("Exomes {i}"), "LT", "whole-exome-sequencing")).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        need_id = v["id"].as_str().unwrap().to_owned();
    }
    pages(&app, Method::GET, &format!("/api/v1/needs/{need_id}/matches"), None, "platform").await;
    pages(&app, Method::GET, &format!("/api/v1/platforms/{platform_id}/matches"), None, "need").await;
    pages(&app, Method::POST, "/api/v1/matches", Some(need("Described", "LT", "whole-exome-sequencing")), "platform").await;
}

// ---------------------------------------------------------------------------------------------
// Behind a proxy
// ---------------------------------------------------------------------------------------------

async fn token_request(app: &TestApp, headers: &[(&str, &str)]) -> (StatusCode, Option<String>) {
    let mut r = app
        .client
        .post(format!("{}/api/v1/auth/token", app.base))
        .json(&json!({"email": "nobody@example.org", "password": "wrong password"}));
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let res = r.send().await.unwrap();
    (res.status(), res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned()))
}

/// On PostgreSQL limits count in one-minute windows of the clock (this machine's): start a
/// count well inside one, so that it cannot begin again halfway through a test.
async fn inside_one_window() {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64() % 60.0;
    if secs > 45.0 {
        actix_web::rt::time::sleep(std::time::Duration::from_secs_f64(60.5 - secs)).await;
    }
}

async fn the_client_address_comes_from_trusted_proxies_only(app: TestApp) {
    // The test client connects from 127.0.0.1: here a trusted proxy.
    let behind = app
        .spawn_beside(|s| {
            s.trusted_proxies = vec!["127.0.0.0/8".into()];
            s.rate_limit_auth_per_minute = 2;
        })
        .await;
    let xff = |ip: &'static str| [("X-Forwarded-For", ip)];
    inside_one_window().await;
    for _ in 0..2 {
        assert_eq!(token_request(&behind, &xff("198.51.100.1")).await.0, StatusCode::UNAUTHORIZED);
    }
    let (s, retry) = token_request(&behind, &xff("198.51.100.1")).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry.is_some());
    // Another client behind the same proxy has its own count; so does one named in Forwarded.
    assert_eq!(token_request(&behind, &xff("198.51.100.2")).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(token_request(&behind, &[("Forwarded", "for=\"[2001:db8::7]:4711\"")]).await.0, StatusCode::UNAUTHORIZED);
    // What a client writes left of the proxy's entry changes nothing.
    assert_eq!(token_request(&behind, &xff("203.0.113.50, 198.51.100.1")).await.0, StatusCode::TOO_MANY_REQUESTS);
    // Without trusted proxies the headers are ignored: every request is the peer's.
    let direct = app
        .spawn_beside(|s| {
            s.rate_limit_auth_per_minute = 2;
            s.rate_limit_anonymous_match_per_minute = 0;
        })
        .await;
    // (On PostgreSQL the count is shared with `behind`, which never counted 127.0.0.1.)
    inside_one_window().await;
    for ip in ["192.0.2.1", "192.0.2.2"] {
        assert_eq!(token_request(&direct, &xff(ip)).await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(token_request(&direct, &xff("192.0.2.3")).await.0, StatusCode::TOO_MANY_REQUESTS);
}

// ---------------------------------------------------------------------------------------------
// Rate limits across replicas
// ---------------------------------------------------------------------------------------------

async fn replicas_share_the_rate_limits(app: TestApp) {
    let limited = |s: &mut omics_api::Settings| {
        s.rate_limit_auth_per_minute = 5;
        s.rate_limit_anonymous_match_per_minute = 0;
    };
    let one = app.spawn_beside(limited).await;
    let two = app.spawn_beside(limited).await;
    inside_one_window().await;
    for _ in 0..3 {
        assert_eq!(token_request(&one, &[]).await.0, StatusCode::UNAUTHORIZED);
    }
    for _ in 0..2 {
        assert_eq!(token_request(&two, &[]).await.0, StatusCode::UNAUTHORIZED);
    }
    let (sixth, retry) = token_request(&two, &[]).await;
    if app.db.backend == Backend::Postgres {
        // Shared in the database: the sixth request of the minute is refused, on either replica.
        assert_eq!(sixth, StatusCode::TOO_MANY_REQUESTS);
        let wait: u64 = retry.unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        assert_eq!(token_request(&one, &[]).await.0, StatusCode::TOO_MANY_REQUESTS);
    } else {
        // SQLite is one process: each instance counts on its own.
        assert_eq!(sixth, StatusCode::UNAUTHORIZED);
    }
}

// ---------------------------------------------------------------------------------------------
// CORS
// ---------------------------------------------------------------------------------------------

const APP_ORIGIN: &str = "https://app.example.org";

async fn preflight(app: &TestApp, path: &str, origin: &str, method: &str, headers: &str) -> reqwest::Response {
    let mut r = app
        .client
        .request(Method::OPTIONS, format!("{}{path}", app.base))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method);
    if !headers.is_empty() {
        r = r.header("Access-Control-Request-Headers", headers);
    }
    r.send().await.unwrap()
}

fn header(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers().get(name).map(|v| v.to_str().unwrap().to_owned())
}

#[actix_web::test]
async fn cors_lets_listed_origins_write_and_anyone_read() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.cors_allowed_origins = vec![APP_ORIGIN.into(), "*".into()]).await;
    let token = app.user("c@example.org", "researcher").await;
    // A listed origin's preflight for a write with a token.
    let res = preflight(&app, "/api/v1/needs", APP_ORIGIN, "POST", "authorization, content-type").await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&res, "access-control-allow-origin").as_deref(), Some(APP_ORIGIN));
    assert!(header(&res, "access-control-allow-methods").unwrap().contains("PATCH"));
    let allowed = header(&res, "access-control-allow-headers").unwrap().to_ascii_lowercase();
    for h in ["authorization", "content-type", "if-match", "if-none-match", "x-request-id"] {
        assert!(allowed.contains(h), "{allowed}");
    }
    assert_eq!(header(&res, "access-control-max-age").as_deref(), Some("600"));
    assert!(header(&res, "vary").unwrap().contains("Origin"));
    assert_eq!(header(&res, "access-control-allow-credentials"), None);
    // ... and the write itself.
    let res = app
        .client
        .post(format!("{}/api/v1/needs", app.base))
        .header("Origin", APP_ORIGIN)
        .bearer_auth(&token)
        .json(&need("Cross-origin need", "LT", "WES"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(header(&res, "access-control-allow-origin").as_deref(), Some(APP_ORIGIN));
    let exposed = header(&res, "access-control-expose-headers").unwrap();
    for h in ["ETag", "Retry-After", "Location", "X-Request-Id"] {
        assert!(exposed.contains(h), "{exposed}");
    }
    assert!(res.headers().get_all("vary").iter().any(|v| v.to_str().unwrap().contains("Origin")));
    assert_eq!(header(&res, "access-control-allow-credentials"), None);
    // Another origin: anonymous reads only.
    let other = "https://elsewhere.example.net";
    let res = preflight(&app, "/api/v1/platforms", other, "GET", "if-none-match").await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&res, "access-control-allow-origin").as_deref(), Some("*"));
    for (method, headers) in [("GET", "authorization"), ("POST", "content-type"), ("DELETE", "")] {
        let res = preflight(&app, "/api/v1/needs", other, method, headers).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{method} {headers}");
        assert_eq!(header(&res, "access-control-allow-origin"), None);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["code"], "forbidden", "{v}");
    }
    let res = app.client.get(format!("{}/api/v1/platforms", app.base)).header("Origin", other).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "access-control-allow-origin").as_deref(), Some("*"));
    // Problem documents get the headers too (a front end reads them).
    let res = app.client.get(format!("{}/api/v1/needs/nope", app.base)).header("Origin", APP_ORIGIN).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(header(&res, "access-control-allow-origin").as_deref(), Some(APP_ORIGIN));
    // A simple cross-origin POST from an origin not listed gets no CORS header to read it by.
    let res =
        app.client.post(format!("{}/api/v1/matches", app.base)).header("Origin", other).json(&need("N", "LT", "WES")).send().await.unwrap();
    assert_eq!(header(&res, "access-control-allow-origin"), None);
}

#[actix_web::test]
async fn cors_is_off_unless_configured_and_without_star_only_listed_origins() {
    let off = TestApp::spawn(Backend::Sqlite).await;
    let res = preflight(&off, "/api/v1/platforms", APP_ORIGIN, "GET", "").await;
    assert_eq!(header(&res, "access-control-allow-origin"), None);
    let res = off.client.get(format!("{}/api/v1/platforms", off.base)).header("Origin", APP_ORIGIN).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "access-control-allow-origin"), None);
    let listed = off.spawn_beside(|s| s.cors_allowed_origins = vec![APP_ORIGIN.into()]).await;
    let res = preflight(&listed, "/api/v1/platforms", "https://elsewhere.example.net", "GET", "").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = listed
        .client
        .get(format!("{}/api/v1/platforms", listed.base))
        .header("Origin", "https://elsewhere.example.net")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "access-control-allow-origin"), None);
    let res = listed.client.get(format!("{}/api/v1/platforms", listed.base)).header("Origin", APP_ORIGIN).send().await.unwrap();
    assert_eq!(header(&res, "access-control-allow-origin").as_deref(), Some(APP_ORIGIN));
}

// ---------------------------------------------------------------------------------------------
// Observability
// ---------------------------------------------------------------------------------------------

/// The samples of a Prometheus text exposition: (name, labels, value).
fn samples(text: &str) -> Vec<(String, std::collections::BTreeMap<String, String>, f64)> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (series, value) = line.rsplit_once(' ').unwrap();
        let (name, labels) = match series.split_once('{') {
            Some((n, rest)) => (n, rest.strip_suffix('}').unwrap()),
            None => (series, ""),
        };
        let labels = labels
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                (k.to_owned(), v.trim_matches('"').to_owned())
            })
            .collect();
        out.push((name.to_owned(), labels, value.parse::<f64>().unwrap()));
    }
    out
}

fn sample(all: &[(String, std::collections::BTreeMap<String, String>, f64)], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    all.iter().find(|(n, l, _)| n == name && labels.iter().all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))).map(|s| s.2)
}

async fn metrics_count_requests_and_read_the_service(app: TestApp) {
    let scrape = || async {
        let res = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
        samples(&res.text().await.unwrap())
    };
    let before = scrape().await;
    let route = [("method", "GET"), ("route", "/api/v1/platforms/{id}"), ("status", "400")];
    let counted = sample(&before, "http_requests_total", &route).unwrap_or(0.0);
    for _ in 0..3 {
        let (s, _) = app.get("/api/v1/platforms/not-an-id", None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
    }
    let after = scrape().await;
    // Counted by route pattern, never by raw path.
    assert_eq!(sample(&after, "http_requests_total", &route), Some(counted + 3.0), "{after:?}");
    assert!(!after.iter().any(|(_, l, _)| l.get("route").is_some_and(|r| r.contains("not-an-id"))));
    let timed = [("method", "GET"), ("route", "/api/v1/platforms/{id}")];
    assert!(sample(&after, "http_request_duration_seconds_count", &timed).unwrap() >= 3.0);
    assert!(sample(&after, "http_request_duration_seconds_bucket", &[("route", "/api/v1/platforms/{id}"), ("le", "+Inf")]).unwrap() >= 3.0);
    // The service's gauges.
    assert_eq!(sample(&after, "omics_database_up", &[]), Some(1.0));
    assert!(sample(&after, "omics_index_lag_sequences", &[]).unwrap() >= 0.0);
    assert!(sample(&after, "omics_index_lag_seconds", &[]).unwrap() >= 0.0);
    assert_eq!(sample(&after, "omics_outbox_depth", &[]), Some(0.0));
    let open = sample(&after, "omics_db_pool_connections", &[]).unwrap();
    let idle = sample(&after, "omics_db_pool_idle_connections", &[]).unwrap();
    assert!(open >= 1.0 && idle <= open, "{open} {idle}");
    assert_eq!(sample(&after, "omics_db_pool_max_connections", &[]), Some(f64::from(app.settings.db_pool_size)));
}

#[actix_web::test]
async fn request_ids_are_kept_or_made_and_named_in_problems() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let get = |path: &'static str, id: Option<String>| {
        let mut r = app.client.get(format!("{}{path}", app.base));
        if let Some(id) = id {
            r = r.header("X-Request-Id", id);
        }
        async move {
            let res = r.send().await.unwrap();
            let echoed = res.headers()["x-request-id"].to_str().unwrap().to_owned();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            (echoed, body)
        }
    };
    // Made when absent: a UUID, echoed, and in the problem document.
    let (made, problem) = get("/api/v1/needs/nope", None).await;
    assert!(uuid::Uuid::parse_str(&made).is_ok(), "{made}");
    assert_eq!(problem["request_id"], made.as_str(), "{problem}");
    assert_eq!(problem["code"], "invalid_path");
    // A sane one is kept, in the header and the document.
    let (kept, problem) = get("/api/v1/needs/nope", Some("edge-test:42".into())).await;
    assert_eq!(kept, "edge-test:42");
    assert_eq!(problem["request_id"], "edge-test:42");
    // Problems made outside the handlers too (no route).
    let (kept, problem) = get("/api/v1/nowhere", Some("edge-test:43".into())).await;
    assert_eq!((kept.as_str(), problem["request_id"].as_str()), ("edge-test:43", Some("edge-test:43")), "{problem}");
    // An oversized or odd one is replaced.
    for bad in ["x".repeat(129), "two words".into()] {
        let (replaced, _) = get("/api/v1/health/live", Some(bad.clone())).await;
        assert_ne!(replaced, bad);
        assert!(uuid::Uuid::parse_str(&replaced).is_ok(), "{replaced}");
    }
    // Successful answers carry it too, without a body change.
    let (kept, body) = get("/api/v1/health/live", Some("edge-test:44".into())).await;
    assert_eq!(kept, "edge-test:44");
    assert!(body.get("request_id").is_none(), "{body}");
}
