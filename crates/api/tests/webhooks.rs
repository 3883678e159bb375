//! Webhooks over HTTP on both backends, against a receiver started here that checks every
//! signature as the Standard Webhooks specification says: subscription (secret shown once),
//! the kinds subscribed and no others, retries after a failing answer, the delivery log, who may
//! see it, the anonymous requester never named, and the URL rules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine as _;
use common::{TestApp, assert_problem};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_backends!(settings = private_and_quick; signed_deliveries_with_retries_and_a_log);
mod public_only {
    use super::{common, webhook_urls_are_checked};
    use crate::on_both_backends;
    on_both_backends!(webhook_urls_are_checked);
}

fn private_and_quick(s: &mut omics_api::Settings) {
    s.webhooks_allow_private = true;
    s.webhooks_retry_base_ms = 100;
    s.index_poll_ms = 100;
}

/// What the receiver got: (webhook-id, webhook-timestamp, webhook-signature, body).
type Received = Arc<Mutex<Vec<(String, String, String, String)>>>;

/// A receiver on a free port that answers 500 to its first `fail_first` requests, then 204.
async fn receiver(fail_first: usize) -> (String, Received, actix_web::dev::ServerHandle) {
    let got: Received = Arc::default();
    let seen = Arc::new(Mutex::new(0usize));
    let data = (got.clone(), seen.clone());
    let server = HttpServer::new(move || {
        let (got, seen) = data.clone();
        App::new().route(
            "/hook",
            web::post().to(move |req: HttpRequest, body: web::Bytes| {
                let (got, seen) = (got.clone(), seen.clone());
                async move {
                    let h = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                    let mut n = seen.lock().unwrap();
                    *n += 1;
                    if *n <= fail_first {
                        return HttpResponse::InternalServerError().finish();
                    }
                    got.lock().unwrap().push((
                        h("webhook-id"),
                        h("webhook-timestamp"),
                        h("webhook-signature"),
                        String::from_utf8_lossy(&body).into_owned(),
                    ));
                    HttpResponse::NoContent().finish()
                }
            }),
        )
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (format!("http://127.0.0.1:{port}/hook"), got, handle)
}

/// The signature as the specification defines it, computed here independently of the service.
fn expected_signature(secret: &str, id: &str, ts: &str, body: &str) -> String {
    let key = base64::engine::general_purpose::STANDARD.decode(secret.trim_start_matches("whsec_")).unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.{body}").as_bytes());
    format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

async fn wait_for(got: &Received, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while got.lock().unwrap().len() < n {
        assert!(Instant::now() < deadline, "only {} of {n} deliveries arrived", got.lock().unwrap().len());
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn signed_deliveries_with_retries_and_a_log(app: TestApp) {
    let (url, got, receiver) = receiver(1).await;
    let requester = app.user("r@vilnius.example", "researcher").await;
    let manager = app.user("m@lisbon.example", "platform_manager").await;
    let other = app.user("o@example.org", "researcher").await;
    let admin = app.admin().await;
    let (_, me) = app.get("/api/v1/auth/me", Some(&requester)).await;
    let requester_id = me["id"].as_str().unwrap().to_owned();

    let (s, w) =
        app.post("/api/v1/webhooks", Some(&manager), json!({"url": url, "events": ["introduction.proposed", "message.received"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    let id = w["id"].as_str().unwrap().to_owned();
    let secret = w["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{w}");
    let (_, list) = app.get("/api/v1/webhooks", Some(&manager)).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(list[0].get("secret").is_none(), "the secret is shown once: {list}");

    // The requester of an anonymous need proposes; the manager's webhook hears of it.
    let (_, _, intro_id) = app.anonymous_proposal(&requester, &manager).await;
    wait_for(&got, 1).await;
    // Accepting is not subscribed (and the manager is the actor): nothing; a message is.
    app.post(&format!("/api/v1/introductions/{intro_id}/accept"), Some(&manager), json!({})).await;
    app.post(&format!("/api/v1/introductions/{intro_id}/messages"), Some(&requester), json!({"message": "Manifest attached."})).await;
    wait_for(&got, 2).await;
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "{got:?}");
    for (wid, ts, sig, body) in &got {
        assert_eq!(sig, &expected_signature(&secret, wid, ts, body), "a signature does not verify: {body}");
        let ts: i64 = ts.parse().unwrap();
        assert!((chrono::Utc::now().timestamp() - ts).abs() < 60, "timestamp {ts}");
        let v: Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["data"]["event_id"], wid.as_str(), "webhook-id is the event's id: {v}");
        assert!(!body.contains(&requester_id) && !body.contains("r@vilnius.example"), "the requester is named: {body}");
    }
    let types: Vec<String> =
        got.iter().map(|(_, _, _, b)| serde_json::from_str::<Value>(b).unwrap()["type"].as_str().unwrap().to_owned()).collect();
    assert_eq!(types, ["introduction.proposed", "message.received"]);
    // The same event id is in the manager's feed.
    let (_, feed) = app.get("/api/v1/notifications", Some(&manager)).await;
    assert!(feed["items"].as_array().unwrap().iter().any(|e| e["id"] == got[0].0.as_str()), "{feed}");

    // The log: the first delivery took two attempts (the receiver failed once), both delivered.
    let (s, log) = app.get(&format!("/api/v1/webhooks/{id}/deliveries"), Some(&manager)).await;
    assert_eq!(s, StatusCode::OK, "{log}");
    assert_eq!(log["total"], 2, "{log}");
    let first = &log["items"][1];
    assert_eq!(
        (first["status"].as_str(), first["attempts"].as_i64(), first["last_status"].as_i64()),
        (Some("delivered"), Some(2), Some(204)),
        "{log}"
    );
    assert_eq!(log["items"][0]["attempts"], 1);
    // Only its owner and admins see a webhook.
    let (s, v) = app.get(&format!("/api/v1/webhooks/{id}/deliveries"), Some(&other)).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "not_found");
    let (s, _) = app.get(&format!("/api/v1/webhooks/{id}/deliveries"), Some(&admin)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v, _) = app.req(reqwest::Method::DELETE, &format!("/api/v1/webhooks/{id}"), Some(&other), None).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "not_found");
    let (s, _, _) = app.req(reqwest::Method::DELETE, &format!("/api/v1/webhooks/{id}"), Some(&manager), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get(&format!("/api/v1/webhooks/{id}/deliveries"), Some(&manager)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    receiver.stop(false).await;
}

async fn webhook_urls_are_checked(app: TestApp) {
    let t = app.user("m@example.org", "platform_manager").await;
    for (url, why) in [
        ("http://127.0.0.1:9/hook", "private"),
        ("http://10.0.0.8/hook", "private"),
        ("http://[::1]/hook", "private"),
        ("ftp://example.org/hook", "http or https"),
        ("not a url", "not a URL"),
    ] {
        let (s, v) = app.post("/api/v1/webhooks", Some(&t), json!({"url": url, "events": ["message.received"]})).await;
        assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(v["errors"][0]["field"], "url", "{v}");
        assert!(v["detail"].as_str().unwrap().contains(why), "{url}: {v}");
    }
    let (s, v) = app.post("/api/v1/webhooks", Some(&t), json!({"url": "https://203.0.113.9/hook", "events": ["message.sent"]})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(v["errors"][0]["field"], "events[0]", "{v}");
    let (s, v) = app.post("/api/v1/webhooks", Some(&t), json!({"url": "https://203.0.113.9/hook", "events": []})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let (s, v) = app.post("/api/v1/webhooks", None, json!({"url": "https://203.0.113.9/hook", "events": ["message.received"]})).await;
    assert_problem(s, &v, StatusCode::UNAUTHORIZED, "missing_token");
    // A public address is taken (nothing is sent until an event happens).
    let (s, v) = app.post("/api/v1/webhooks", Some(&t), json!({"url": "https://203.0.113.9/hook", "events": ["message.received"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}
