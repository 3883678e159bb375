//! Email digests over SMTP on both backends, against an SMTP sink started here (a small
//! server speaking the protocol on a free port): `immediate` mails each event soon, `daily`
//! mails the first at once and holds the next for a day, `off` mails nothing and turning it on
//! again mails nothing old, and no email names the requester of an anonymous need to the
//! platform's owner. The settings routes and their refusals too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{TestApp, assert_problem};
use omics_store::Backend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// One message the sink took: the envelope and the message as sent (headers and body).
#[derive(Debug, Clone)]
struct Mail {
    from: String,
    to: Vec<String>,
    data: String,
}

type Inbox = Arc<Mutex<Vec<Mail>>>;

/// An SMTP server on a free port that accepts every message into the inbox.
fn smtp_sink() -> (u16, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox: Inbox = Arc::default();
    let got = inbox.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let got = got.clone();
            std::thread::spawn(move || serve(conn, &got));
        }
    });
    (port, inbox)
}

fn serve(conn: TcpStream, inbox: &Inbox) {
    let mut out = conn.try_clone().unwrap();
    let mut lines = BufReader::new(conn);
    let mut say = |s: &str| out.write_all(s.as_bytes()).is_ok();
    say("220 sink ESMTP\r\n");
    let (mut from, mut to) = (String::new(), Vec::new());
    loop {
        let mut line = String::new();
        if lines.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let cmd = line.trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        let reply = if upper.starts_with("EHLO") {
            "250-sink\r\n250 8BITMIME\r\n"
        } else if let Some(rest) = upper.strip_prefix("MAIL FROM:") {
            from = cmd[cmd.len() - rest.len()..].trim().to_owned();
            "250 OK\r\n"
        } else if let Some(rest) = upper.strip_prefix("RCPT TO:") {
            to.push(cmd[cmd.len() - rest.len()..].trim().trim_matches(['<', '>']).to_owned());
            "250 OK\r\n"
        } else if upper == "DATA" {
            say("354 go ahead\r\n");
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if lines.read_line(&mut l).unwrap_or(0) == 0 {
                    return;
                }
                if l == ".\r\n" {
                    break;
                }
                data.push_str(l.strip_prefix('.').filter(|_| l.starts_with("..")).unwrap_or(&l));
            }
            inbox.lock().unwrap().push(Mail { from: std::mem::take(&mut from), to: std::mem::take(&mut to), data });
            "250 queued\r\n"
        } else if upper == "QUIT" {
            say("221 bye\r\n");
            return;
        } else {
            "250 OK\r\n"
        };
        if !say(reply) {
            return;
        }
    }
}

fn to(inbox: &Inbox, address: &str) -> Vec<Mail> {
    inbox.lock().unwrap().iter().filter(|m| m.to.iter().any(|t| t == address)).cloned().collect()
}

async fn wait_for(inbox: &Inbox, address: &str, n: usize) -> Vec<Mail> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = to(inbox, address);
        if got.len() >= n {
            return got;
        }
        assert!(Instant::now() < deadline, "{address} got {} of {n} emails: {got:?}", got.len());
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn put(app: &TestApp, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    let (s, v, _) = app.req(Method::PUT, "/api/v1/notifications/settings", token, Some(body)).await;
    (s, v)
}

#[actix_web::test]
async fn digests_by_frequency_on_sqlite() {
    digests_by_frequency(Backend::Sqlite).await;
}

#[actix_web::test]
async fn digests_by_frequency_on_postgres() {
    digests_by_frequency(Backend::Postgres).await;
}

async fn digests_by_frequency(backend: Backend) {
    let (port, inbox) = smtp_sink();
    let app = TestApp::spawn_with(backend, |s| {
        s.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        s.smtp_from = "omics-match <noreply@omics.example>".into();
        s.email_poll_ms = 100;
    })
    .await;
    let (requester_email, manager_email) = ("r@vilnius.example", "m@lisbon.example");
    let requester = app.user(requester_email, "researcher").await;
    let manager = app.user(manager_email, "platform_manager").await;
    let (_, me) = app.get("/api/v1/auth/me", Some(&requester)).await;
    let requester_id = me["id"].as_str().unwrap().to_owned();

    // Daily by default; the manager asks for every event at once.
    let (s, v) = app.get("/api/v1/notifications/settings", Some(&requester)).await;
    assert_eq!((s, &v), (StatusCode::OK, &json!({"email_digest": "daily", "email_enabled": true})));
    let (s, v) = put(&app, Some(&manager), json!({"email_digest": "immediate"})).await;
    assert_eq!((s, &v["email_digest"]), (StatusCode::OK, &json!("immediate")), "{v}");

    let (_, _, intro_id) = app.anonymous_proposal(&requester, &manager).await;

    // The manager is mailed the proposal, without a word of who proposed it.
    let first = wait_for(&inbox, manager_email, 1).await;
    let m = &first[0];
    assert_eq!(m.from, "<noreply@omics.example>");
    assert!(m.data.contains("Subject: omics-match: an introduction was proposed to you"), "{}", m.data);
    assert!(m.data.contains(&format!("introduction {intro_id}")), "{}", m.data);
    for secret in [requester_email, requester_id.as_str(), "vilnius"] {
        assert!(!m.data.to_lowercase().contains(secret), "the email names the requester ({secret}): {}", m.data);
    }

    // Accepting tells the requester: a daily digest with no email yet goes at once.
    let (s, v) = app.post(&format!("/api/v1/introductions/{intro_id}/accept"), Some(&manager), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let got = wait_for(&inbox, requester_email, 1).await;
    assert!(got[0].data.contains("An introduction was accepted"), "{}", got[0].data);
    assert!(got[0].data.contains("at most once a day"), "{}", got[0].data);

    // Now a message each way: the manager (immediate) is mailed again; the requester (daily,
    // mailed minutes ago) is not, until a day has passed.
    app.post(&format!("/api/v1/introductions/{intro_id}/messages"), Some(&manager), json!({"message": "Send the manifest."})).await;
    app.post(&format!("/api/v1/introductions/{intro_id}/messages"), Some(&requester), json!({"message": "Attached."})).await;
    let got = wait_for(&inbox, manager_email, 2).await;
    assert!(got[1].data.contains("A new message in an introduction"), "{}", got[1].data);
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(to(&inbox, requester_email).len(), 1, "a daily digest went out twice within a day");
    assert_eq!(to(&inbox, manager_email).len(), 2, "an event was mailed twice");

    // Off: nothing; on again: only what happens from then on.
    let (s, _) = put(&app, Some(&manager), json!({"email_digest": "off"})).await;
    assert_eq!(s, StatusCode::OK);
    app.post(&format!("/api/v1/introductions/{intro_id}/messages"), Some(&requester), json!({"message": "While you were away."})).await;
    actix_web::rt::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(to(&inbox, manager_email).len(), 2, "mailed while off");
    put(&app, Some(&manager), json!({"email_digest": "immediate"})).await;
    app.post(&format!("/api/v1/introductions/{intro_id}/messages"), Some(&requester), json!({"message": "Back?"})).await;
    let got = wait_for(&inbox, manager_email, 3).await;
    let third = &got[2].data;
    assert_eq!(third.matches("A new message in an introduction").count(), 1, "the message sent while off was mailed: {third}");

    // Refusals.
    let (s, v) = put(&app, Some(&manager), json!({"email_digest": "weekly"})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(v["errors"][0]["field"], "email_digest", "{v}");
    assert!(v["detail"].as_str().unwrap().contains("off, daily, immediate"), "{v}");
    let (s, v) = put(&app, Some(&manager), json!({"email_digest": "daily", "weekly": true})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let (s, v) = put(&app, None, json!({"email_digest": "off"})).await;
    assert_problem(s, &v, StatusCode::UNAUTHORIZED, "missing_token");
    let (s, v) = app.get("/api/v1/notifications/settings", None).await;
    assert_problem(s, &v, StatusCode::UNAUTHORIZED, "missing_token");
}

#[actix_web::test]
async fn without_an_smtp_server_no_email_is_sent_and_the_settings_say_so() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let t = app.user("a@example.org", "researcher").await;
    let (s, v) = put(&app, Some(&t), json!({"email_digest": "immediate"})).await;
    assert_eq!((s, v), (StatusCode::OK, json!({"email_digest": "immediate", "email_enabled": false})));
}
