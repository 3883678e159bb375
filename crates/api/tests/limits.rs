//! The limits, over HTTP: every documented bound of a body field or query parameter is the one
//! the server enforces; bodies nested too deeply are refused before parsing; slow clients and
//! slow requests are cut off. (Body size: `api::bad_bodies_are_problems`; rate limits:
//! `api::tokens::rate_limits_answer_429_with_retry_after`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{TestApp, assert_problem, need, platform};
use omics_api::limits::{BODY, Bound, QUERY};
use omics_domain::limits;
use omics_store::Backend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const LIMIT_CODES: [&str; 3] = ["too_long", "too_many", "out_of_range"];

/// Where a schema's fields sit in a request: the route, the base body, and the path prefix.
struct Target {
    route: &'static str,
    base: Value,
    /// JSON pointer of the object holding the schema's fields.
    pointer: &'static str,
    /// How validation names its fields (`capabilities[0].`).
    prefix: &'static str,
}

fn target(schema: &str, n: usize) -> Target {
    let email = format!("limits{n}@example.org");
    let (route, base, pointer, prefix) = match schema {
        "PlatformFields" => ("/api/v1/platforms", platform("Limits Lab", "BE", "WES"), "", ""),
        "Organisation" => ("/api/v1/platforms", platform("Limits Lab", "BE", "WES"), "/organisation", "organisation."),
        "Capability" => ("/api/v1/platforms", platform("Limits Lab", "BE", "WES"), "/capabilities/0", "capabilities[0]."),
        "Unread" => {
            let mut p = platform("Limits Lab", "BE", "WES");
            p["unread"] = json!([{"field": "readiness_areas", "typed": "routine care"}]);
            ("/api/v1/platforms", p, "/unread/0", "unread[0].")
        }
        "NeedFields" => ("/api/v1/matches", need("Limits", "LT", "WES"), "", ""),
        "TechnologyRequirement" => ("/api/v1/matches", need("Limits", "LT", "WES"), "/technologies/0", "technologies[0]."),
        "Budget" => {
            let mut n = need("Limits", "LT", "WES");
            n["budget_eur"] = json!({"min": 1, "max": 2});
            ("/api/v1/matches", n, "/budget_eur", "budget_eur.")
        }
        "RegisterRequest" => (
            "/api/v1/auth/register",
            json!({"email": email, "password": "a long enough password", "display_name": "L", "role": "researcher"}),
            "",
            "",
        ),
        "TokenRequest" => ("/api/v1/auth/token", json!({"email": email, "password": "a long enough password"}), "", ""),
        "PasswordChange" => {
            ("/api/v1/auth/password", json!({"current_password": "not the password", "new_password": "another long password"}), "", "")
        }
        // Sizes are checked before the records are looked up: ids no record has do.
        "Proposal" => (
            "/api/v1/introductions",
            json!({"need_id": "01936f1e-5b7a-7cc1-9d2e-3f4a5b6c7d8e", "platform_id": "01936f1e-5b7a-7cc1-9d2e-3f4a5b6c7d8f"}),
            "",
            "",
        ),
        "Answer" => ("/api/v1/introductions/01936f1e-5b7a-7cc1-9d2e-3f4a5b6c7d90/accept", json!({}), "", ""),
        "NewMessage" => ("/api/v1/introductions/01936f1e-5b7a-7cc1-9d2e-3f4a5b6c7d90/messages", json!({"message": "hello"}), "", ""),
        "ReadRequest" => ("/api/v1/notifications/read", json!({"ids": []}), "", ""),
        "NewWebhook" => ("/api/v1/webhooks", json!({"url": "https://203.0.113.9/hook", "events": ["message.received"]}), "", ""),
        // A need no one has: the sizes are checked first.
        "NewSavedSearch" => {
            ("/api/v1/saved-searches", json!({"name": "Limits", "need_id": "01936f1e-5b7a-7cc1-9d2e-3f4a5b6c7d8e"}), "", "")
        }
        "SavedQuery" => ("/api/v1/saved-searches", json!({"name": "Limits", "kind": "need", "query": {}}), "/query", "query."),
        other => panic!("no target for {other}: add one"),
    };
    Target { route, base, pointer, prefix }
}

/// A string of exactly `n` characters that is otherwise harmless for `field`.
fn text(field: &str, n: usize) -> String {
    if field.ends_with("email") && n > 12 {
        return "a".repeat(n - 12) + "@example.org";
    }
    "x".repeat(n)
}

/// A filter value of exactly `n` characters made of at most `limits::LIST` values, each
/// within `limits::SHORT_TEXT`.
fn filter_text(n: usize) -> String {
    let each = n.div_ceil(limits::LIST);
    let mut values: Vec<String> = Vec::new();
    let mut len = 0;
    while len < n {
        let sep = usize::from(!values.is_empty());
        let take = each.min(n - len - sep).max(1);
        values.push("x".repeat(take));
        len += take + sep;
    }
    let s = values.join(",");
    assert_eq!(s.chars().count(), n);
    assert!(values.len() <= limits::LIST && values.iter().all(|v| v.len() <= limits::SHORT_TEXT));
    s
}

/// Values at and just beyond a bound: (at the lower bound, below it, at the upper bound, above it).
fn values(field: &str, bound: Bound, item: &Value) -> (Option<Value>, Option<Value>, Value, Value) {
    let list = |n: usize| Value::Array(vec![item.clone(); n]);
    match bound {
        Bound::Text { min, max } => (
            Some(json!(text(field, min))),
            (min > 0).then(|| json!(text(field, min - 1))),
            json!(text(field, max)),
            json!(text(field, max + 1)),
        ),
        Bound::List { min, max, .. } => (Some(list(min)), (min > 0).then(|| list(min - 1)), list(max), list(max + 1)),
        Bound::Int { min, max } => {
            let max = max.expect("body integers have an upper bound");
            (Some(json!(min)), Some(json!(min - 1)), json!(max), json!(max + 1))
        }
        Bound::Float { min, max } => (Some(json!(min)), Some(json!(min - 0.5)), json!(max), json!(max + 0.5)),
    }
}

/// The errors a response names for `field`.
fn codes_for(v: &Value, field: &str) -> Vec<String> {
    v["errors"].as_array().into_iter().flatten().filter(|e| e["field"] == field).map(|e| e["code"].as_str().unwrap().to_owned()).collect()
}

#[actix_web::test]
async fn every_documented_body_bound_is_the_enforced_one() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let manager = app.user("manager@example.org", "platform_manager").await;
    let researcher = app.user("researcher@example.org", "researcher").await;
    let mut checked = 0;
    for (n, &(schema, property, bound)) in BODY.iter().enumerate() {
        let t = target(schema, n);
        let token = match t.route {
            "/api/v1/platforms" => Some(manager.as_str()),
            "/api/v1/auth/password" => Some(researcher.as_str()),
            r if ["/api/v1/introductions", "/api/v1/notifications", "/api/v1/webhooks", "/api/v1/saved-searches"]
                .iter()
                .any(|p| r.starts_with(p)) =>
            {
                Some(researcher.as_str())
            }
            _ => None,
        };
        let field = format!("{}{property}", t.prefix);
        let item = match (schema, property) {
            ("PlatformFields", "capabilities" | "held_capabilities") => t.base["capabilities"][0].clone(),
            ("PlatformFields", "unread") => json!({"field": "readiness_areas", "typed": "routine care"}),
            ("NeedFields", "technologies") => json!({"technology": "WES"}),
            ("NeedFields", "held_technologies") => json!({"technology": "WGS", "required": false}),
            ("ReadRequest", "ids") => json!("01936f1e-5b7a-7cc1-9d2e-3f4a5b6c7d8e"),
            _ => json!("x"),
        };
        let (at_min, below_min, mut at_max, above_max) = values(property, bound, &item);
        // A filter at its bound as the list routes take it: several values, each of a term's size.
        if schema == "SavedQuery" && property != "q" {
            at_max = json!(filter_text(limits::FILTER_TEXT));
        }
        let send = |value: Value| {
            let mut body = t.base.clone();
            body.pointer_mut(t.pointer).and_then(Value::as_object_mut).unwrap().insert(property.to_owned(), value);
            app.post(t.route, token, body)
        };
        // Beyond the bound: refused, naming the field and the limit.
        let (s, v) = send(above_max).await;
        let expected = match bound {
            Bound::Text { .. } => "too_long",
            Bound::List { .. } => "too_many",
            Bound::Int { .. } | Bound::Float { .. } => "out_of_range",
        };
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{schema}.{property} above {bound:?}: {v}");
        assert!(codes_for(&v, &field).contains(&expected.to_owned()), "{schema}.{property} above {bound:?}: {v}");
        if let Some(below) = below_min {
            let (s, v) = send(below).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{schema}.{property} below {bound:?}: {v}");
            assert!(!codes_for(&v, &field).is_empty(), "{schema}.{property} below {bound:?}: {v}");
        }
        // At the bounds: whatever else may be wrong with the value, not its size.
        for at in [at_max, at_min.unwrap_or(Value::Null)] {
            if at.is_null() {
                continue;
            }
            let (_, v) = send(at.clone()).await;
            let limit_errors: Vec<_> = codes_for(&v, &field).into_iter().filter(|c| LIMIT_CODES.contains(&c.as_str())).collect();
            assert!(limit_errors.is_empty(), "{schema}.{property} = {} refused as beyond {bound:?}: {v}", trunc(&at));
        }
        // String items of a list have their own bound.
        if let Bound::List { items: Some((_, max)), .. } = bound {
            let (s, v) = send(json!([text(property, max + 1)])).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{schema}.{property}[0]: {v}");
            assert!(codes_for(&v, &format!("{field}[0]")).contains(&"too_long".to_owned()), "{schema}.{property}[0]: {v}");
            let (_, v) = send(json!([text(property, max)])).await;
            assert!(!codes_for(&v, &format!("{field}[0]")).contains(&"too_long".to_owned()), "{schema}.{property}[0]: {v}");
        }
        checked += 1;
    }
    assert_eq!(checked, BODY.len());
}

fn trunc(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 60 { format!("{}… ({} chars)", &s[..60], s.len()) } else { s }
}

#[actix_web::test]
async fn every_documented_query_bound_is_the_enforced_one() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    let app = &app;
    for &(name, bound) in QUERY {
        let (method, route, token) = match name {
            "cancer_type" => (Method::GET, "/api/v1/needs", None),
            "min_score" | "weights" => (Method::POST, "/api/v1/matches", None),
            "after" => (Method::GET, "/api/v1/audit", Some(admin.as_str())),
            "value" => (Method::GET, "/api/v1/vocabularies/technologies/resolve", None),
            "level" => (Method::GET, "/api/v1/analytics/coverage", None),
            "interval" | "from" | "to" => (Method::GET, "/api/v1/analytics/activity", None),
            "open_days" => (Method::GET, "/api/v1/analytics/gaps", None),
            _ => (Method::GET, "/api/v1/platforms", None),
        };
        let body = (method == Method::POST).then(|| need("Limits", "LT", "WES"));
        let encode = |v: &str| v.replace('%', "%25").replace('&', "%26").replace(' ', "%20");
        let ask = |value: String| {
            let path = format!("{route}?{name}={}", encode(&value));
            let (method, body) = (method.clone(), body.clone());
            async move {
                let (s, v, _) = app.req(method, &path, token, body).await;
                (s, v)
            }
        };
        let filter = name != "q" && matches!(bound, Bound::Text { max, .. } if max == limits::FILTER_TEXT);
        let (at_max, above_max, below_min, expected) = match bound {
            Bound::Text { min, max } => (
                if filter { filter_text(max) } else { "x".repeat(max) },
                "x".repeat(max + 1),
                (min > 0).then(|| "x".repeat(min - 1)),
                "too_long",
            ),
            Bound::Int { min, max } => (
                max.unwrap_or(min).to_string(),
                max.map_or_else(|| (min - 1).to_string(), |m| (m + 1).to_string()),
                Some((min - 1).to_string()),
                "out_of_range",
            ),
            Bound::Float { min, max } => (max.to_string(), (max + 0.5).to_string(), Some((min - 0.5).to_string()), "out_of_range"),
            Bound::List { .. } => panic!("?{name}: lists are comma-separated text"),
        };
        let (s, v) = ask(above_max).await;
        assert_problem(s, &v, StatusCode::BAD_REQUEST, "invalid_query");
        assert!(codes_for(&v, name).contains(&expected.to_owned()), "?{name} beyond {bound:?}: {v}");
        if let Some(below) = below_min {
            let (s, v) = ask(below).await;
            assert_problem(s, &v, StatusCode::BAD_REQUEST, "invalid_query");
        }
        let (s, v) = ask(at_max.clone()).await;
        assert!(
            !codes_for(&v, name).iter().any(|c| LIMIT_CODES.contains(&c.as_str())) && s != StatusCode::INTERNAL_SERVER_ERROR,
            "?{name}={} refused as beyond {bound:?}: {v}",
            trunc(&json!(at_max))
        );
    }
}

fn nested(depth: usize) -> String {
    "[".repeat(depth) + &"]".repeat(depth)
}

/// `{"title": [[[...]]]}`: an object whose field nests `depth - 1` arrays, `depth` levels in all.
fn deep_need(depth: usize) -> String {
    format!(r#"{{"title": {}}}"#, nested(depth - 1))
}

/// A gzip member holding `data` in stored (uncompressed) deflate blocks.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let chunks: Vec<&[u8]> = data.chunks(65_535).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        let len = chunk.len() as u16;
        out.extend(len.to_le_bytes());
        out.extend((!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend((!crc).to_le_bytes());
    out.extend((data.len() as u32).to_le_bytes());
    out
}

async fn post_raw(app: &TestApp, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> (StatusCode, Value) {
    let mut r = app.client.post(format!("{}{path}", app.base)).body(body);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let res = r.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[actix_web::test]
async fn bodies_nested_too_deeply_are_refused_before_parsing() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app.user("m@example.org", "platform_manager").await;
    let json = [("content-type", "application/json")];
    // One level too many: 400 malformed_json that says why; at the limit the body is parsed
    // (and refused for what it says: title is not a string).
    let (s, v) = post_raw(&app, "/api/v1/matches", &json, deep_need(limits::JSON_DEPTH + 1).into_bytes()).await;
    assert_problem(s, &v, StatusCode::BAD_REQUEST, "malformed_json");
    assert!(v["detail"].as_str().unwrap().contains(&format!("deeper than {} levels", limits::JSON_DEPTH)), "{v}");
    let (s, v) = post_raw(&app, "/api/v1/matches", &json, deep_need(limits::JSON_DEPTH).into_bytes()).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(v["errors"][0]["field"], "title", "{v}");
    // Far beyond serde's own recursion limit (128): the same answer, and the server lives on.
    for depth in [129, 10_000, 30_000] {
        let (s, v) = post_raw(&app, "/api/v1/matches", &json, nested(depth).into_bytes()).await;
        assert_problem(s, &v, StatusCode::BAD_REQUEST, "malformed_json");
        assert!(v["detail"].as_str().unwrap().contains("deeper than"), "{v}");
    }
    // Brackets inside strings do not count.
    let mut n = need("Brackets", "LT", "WES");
    n["description"] = json!("[{".repeat(1000));
    let (s, v) = app.post("/api/v1/matches", None, n).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Every JSON route and content type is guarded: a merge patch, a registration.
    let (s, p) = app.post("/api/v1/platforms", Some(&token), platform("Deep Lab", "BE", "WES")).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let url = format!("{}/api/v1/platforms/{}", app.base, p["id"].as_str().unwrap());
    let res = app
        .client
        .patch(&url)
        .bearer_auth(&token)
        .header("content-type", "application/merge-patch+json")
        .body(format!(r#"{{"capabilities": {}}}"#, nested(limits::JSON_DEPTH)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "malformed_json");
    let (s, v) = post_raw(&app, "/api/v1/auth/register", &json, deep_need(limits::JSON_DEPTH + 1).into_bytes()).await;
    assert_problem(s, &v, StatusCode::BAD_REQUEST, "malformed_json");
    // A body that is not JSON is not counted: 415, not 400.
    let (s, v) = post_raw(&app, "/api/v1/matches", &[("content-type", "text/plain")], nested(100).into_bytes()).await;
    assert_problem(s, &v, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    // A compressed body is counted once decompressed, and still read when it is fine.
    let gz = [("content-type", "application/json"), ("content-encoding", "gzip")];
    let (s, v) = post_raw(&app, "/api/v1/matches", &gz, gzip_stored(deep_need(limits::JSON_DEPTH + 1).as_bytes())).await;
    assert_problem(s, &v, StatusCode::BAD_REQUEST, "malformed_json");
    assert!(v["detail"].as_str().unwrap().contains("deeper than"), "{v}");
    let fine = serde_json::to_vec(&need("Compressed", "LT", "WES")).unwrap();
    let (s, v) = post_raw(&app, "/api/v1/matches", &gz, gzip_stored(&fine)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

/// Open a connection to the app.
fn connect(app: &TestApp) -> TcpStream {
    let addr = app.base.trim_start_matches("http://");
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream
}

/// Read one response: the head and a `Content-Length` body.
fn read_response(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut byte = [0u8; 1];
    while !out.ends_with(b"\r\n\r\n") && matches!(stream.read(&mut byte), Ok(1)) {
        out.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&out).to_ascii_lowercase();
    let len: usize = head.lines().find_map(|l| l.strip_prefix("content-length:")).map_or(0, |v| v.trim().parse().unwrap());
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).unwrap();
    out.extend(body);
    String::from_utf8_lossy(&out).into_owned()
}

/// Read until the server closes the connection or 10 s pass; what was read.
fn read_all(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[actix_web::test]
async fn a_client_sending_headers_slowly_is_cut_off() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.header_timeout_secs = 1).await;
    let mut stream = connect(&app);
    let started = Instant::now();
    let (answer, elapsed) = actix_web::rt::task::spawn_blocking(move || {
        // One byte a second (a slowloris client), from a second thread; the request would take
        // 40 s to arrive.
        let mut writer = stream.try_clone().unwrap();
        std::thread::spawn(move || {
            for b in b"GET /api/v1/health/live HTTP/1.1\r\nHost: x\r\n" {
                if writer.write_all(&[*b]).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        });
        let answer = read_all(&mut stream);
        (answer, started.elapsed())
    })
    .await
    .unwrap();
    assert!(elapsed < Duration::from_secs(4), "connection still open after {elapsed:?}: {answer}");
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[actix_web::test]
async fn a_request_not_answered_in_time_gets_503_with_retry_after() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.request_timeout_secs = 1;
        s.cors_allowed_origins = vec!["https://app.example.org".into()];
    })
    .await;
    let mut stream = connect(&app);
    let started = Instant::now();
    let (answer, elapsed) = actix_web::rt::task::spawn_blocking(move || {
        // Headers promptly, then a body that never completes: the handler is still reading it
        // when the time is up. From a page of another origin, with its own request id.
        let head = "POST /api/v1/matches HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example.org\r\nX-Request-Id: slow-body-1\r\n\
                    Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"title\"";
        stream.write_all(head.as_bytes()).unwrap();
        let answer = read_response(&mut stream);
        (answer, started.elapsed())
    })
    .await
    .unwrap();
    assert!(elapsed < Duration::from_secs(4), "no answer after {elapsed:?}: {answer}");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    let lower = answer.to_ascii_lowercase();
    assert!(lower.contains("content-type: application/problem+json"), "{answer}");
    assert!(lower.contains(&format!("retry-after: {}", limits::TIMEOUT_RETRY_AFTER_SECS)), "{answer}");
    assert!(answer.contains(r#""code":"unavailable""#), "{answer}");
    // Answered as every other request is: readable by the page, marked, counted.
    assert!(lower.contains("access-control-allow-origin: https://app.example.org"), "{answer}");
    assert!(lower.contains("x-request-id: slow-body-1"), "{answer}");
    assert!(answer.contains(r#""request_id":"slow-body-1""#), "{answer}");
    let metrics = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"http_requests_total{method="POST",route="/api/v1/matches",status="503"} 1"#), "{metrics}");
    // Requests that finish in time are not affected.
    let (s, v) = app.post("/api/v1/matches", None, need("Quick", "LT", "WES")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

#[actix_web::test]
async fn idle_connections_are_closed_after_keep_alive() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.keep_alive_secs = 1).await;
    let mut stream = connect(&app);
    let started = Instant::now();
    let (answer, elapsed) = actix_web::rt::task::spawn_blocking(move || {
        stream.write_all(b"GET /api/v1/health/live HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let answer = read_response(&mut stream);
        let rest = read_all(&mut stream);
        (answer + &rest, started.elapsed())
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(elapsed < Duration::from_secs(4), "idle connection still open after {elapsed:?}");
}
