//! Crash safety and graceful shutdown of the real binary, on SQLite and on PostgreSQL: writers
//! hammer the service while it is killed with SIGKILL at random moments; after each restart
//! every write that was acknowledged with a 2xx must be readable and found by search, and every
//! event of an acknowledged write must be in its recipient's feed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

use common::{Server, free_port};
use omics_store::Backend;
use omics_store::testdb::TestDb;
use rand::Rng;
use reqwest::blocking::Client;
use serde_json::{Value, json};

fn start(db: &TestDb, data: &std::path::Path) -> Server {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_omics-match"));
    cmd.args(["serve", "--port", &port.to_string(), "--data-dir"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .env("OMICS_RATE_LIMIT_AUTH_PER_MINUTE", "0")
        .env("OMICS_INDEX_POLL_MS", "200")
        .env("OMICS_WEBHOOKS_ALLOW_PRIVATE", "true")
        .env("OMICS_WEBHOOKS_RETRY_BASE_MS", "200")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    match db.backend {
        // PostgreSQL wants the secret configured (replicas share it); SQLite generates one.
        Backend::Postgres => cmd.env("DATABASE_URL", &db.url).env("OMICS_JWT_SECRET", "crash-test-secret-crash-test-secret-0123"),
        Backend::Sqlite => cmd.env_remove("DATABASE_URL").env_remove("OMICS_JWT_SECRET"),
    };
    Server::start(cmd, port, Duration::from_secs(30)).expect("the server did not become ready")
}

fn platform(name: &str) -> Value {
    json!({"name": name, "organisation": {"name": "Crash Test Institute"}, "country": "BE", "city": "Gent", "maturity_level": 2,
        "capabilities": [{"technology": "WES", "sample_types": ["FFPE"]}]})
}

fn token(base: &str) -> String {
    account(base, "crash@example.org", "platform_manager")
}

fn account(base: &str, email: &str, role: &str) -> String {
    let c = Client::new();
    let creds = json!({"email": email, "password": "a long enough password"});
    let mut body = creds.clone();
    body["display_name"] = json!("Crash");
    body["role"] = json!(role);
    let _ = c.post(format!("{base}/api/v1/auth/register")).json(&body).send().unwrap();
    let r: Value = c.post(format!("{base}/api/v1/auth/token")).json(&creds).send().unwrap().json().unwrap();
    r["access_token"].as_str().unwrap().to_owned()
}

/// Writers run until the server dies; returns every (name, id) acknowledged with 201.
fn hammer(base: &str, token: &str, round: usize, writers: usize) -> Vec<std::thread::JoinHandle<Vec<(String, String)>>> {
    (0..writers)
        .map(|w| {
            let (base, token) = (base.to_owned(), token.to_owned());
            std::thread::spawn(move || {
                let c = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
                let mut acked = Vec::new();
                for i in 0.. {
                    // One word, far from every other name, so a search for it finds only it.
                    let name = format!("r{round}w{w}i{i}z{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
                    match c.post(format!("{base}/api/v1/platforms")).bearer_auth(&token).json(&platform(&name)).send() {
                        Ok(r) if r.status().as_u16() == 201 => {
                            let v: Value = match r.json() {
                                Ok(v) => v,
                                Err(_) => break,
                            };
                            acked.push((name, v["id"].as_str().unwrap().to_owned()));
                        }
                        Ok(r) => assert!(r.status().is_success(), "a write failed with {} while the server was up", r.status()),
                        Err(_) => break,
                    }
                }
                acked
            })
        })
        .collect()
}

fn kills_lose_no_acknowledged_write(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(backend, dir.path()).unwrap();
    let data = dir.path().join("data");
    let mut rng = rand::rng();
    let mut all: Vec<(String, String)> = Vec::new();
    let mut server = start(&db, &data);
    let token = token(&server.base);
    const ROUNDS: usize = 20;
    for round in 0..ROUNDS {
        let writers = hammer(&server.base, &token, round, 4);
        std::thread::sleep(Duration::from_millis(rng.random_range(150..700)));
        server.child.kill().unwrap(); // SIGKILL
        server.child.wait().unwrap();
        for w in writers {
            all.extend(w.join().unwrap());
        }
        server = start(&db, &data);
        let c = Client::new();
        for (name, id) in &all {
            let r = c.get(format!("{}/api/v1/platforms/{id}", server.base)).send().unwrap();
            assert_eq!(r.status().as_u16(), 200, "acknowledged write {name} lost after kill {round}");
            let v: Value = r.json().unwrap();
            assert_eq!(v["name"], name.as_str(), "record {id} is not what was written");
            let found: Value = c.get(format!("{}/api/v1/platforms?q={name}", server.base)).send().unwrap().json().unwrap();
            assert_eq!(found["total"], 1, "acknowledged write {name} not found by search after kill {round}");
        }
        // Nothing half-written: every stored record reads back whole, and the index has all.
        let list: Value = c.get(format!("{}/api/v1/platforms?limit=1", server.base)).send().unwrap().json().unwrap();
        let total = list["total"].as_u64().unwrap() as usize;
        assert!(total >= all.len(), "index has {total} platforms, {} were acknowledged", all.len());
        let ready: Value = c.get(format!("{}/api/v1/health/ready", server.base)).send().unwrap().json().unwrap();
        assert_eq!(ready["index_lag"], 0);
    }
    assert!(all.len() > ROUNDS, "too few writes were acknowledged to mean anything: {}", all.len());
    eprintln!("{backend:?}: {ROUNDS} kills survived, {} acknowledged writes verified", all.len());
}

fn sigterm_finishes_requests_and_commits_the_index(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(backend, dir.path()).unwrap();
    let data = dir.path().join("data");
    let mut server = start(&db, &data);
    let token = token(&server.base);
    let statuses = Arc::new(Mutex::new(Vec::new()));
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (base, token, statuses) = (server.base.clone(), token.clone(), statuses.clone());
            std::thread::spawn(move || {
                let c = Client::new();
                for i in 0..10 {
                    match c.post(format!("{base}/api/v1/platforms")).bearer_auth(&token).json(&platform(&format!("term{w}x{i}"))).send() {
                        Ok(r) => statuses.lock().unwrap().push(r.status().as_u16()),
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let ok = Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status().unwrap();
    assert!(ok.success());
    let exit = server.child.wait().unwrap();
    for w in writers {
        w.join().unwrap();
    }
    assert!(exit.success(), "SIGTERM should end the service with status 0, got {exit}");
    let statuses = statuses.lock().unwrap();
    assert!(!statuses.is_empty());
    assert!(statuses.iter().all(|s| *s == 201), "every answered request completed: {statuses:?}");
    // The index was committed in step with the database before exit.
    let vocabs = Arc::new(omics_domain::Vocabularies::builtin().unwrap());
    let url = match backend {
        Backend::Postgres => db.url.clone(),
        Backend::Sqlite => data.join("omics-match.db").to_string_lossy().into_owned(),
    };
    let store = omics_store::Store::open(&url, 1).unwrap();
    let index = omics_index::SearchIndex::open(&data.join("index"), vocabs).unwrap();
    assert_eq!(index.applied_seq(), store.last_seq().unwrap());
    assert_eq!(index.count(omics_domain::Kind::Platform).unwrap() as i64, store.count(omics_domain::Kind::Platform).unwrap());
}

/// Messages written into one accepted introduction until the server dies; returns the id of
/// every message acknowledged with 201.
fn chatter(base: &str, token: &str, intro: &str, round: usize, writers: usize) -> Vec<std::thread::JoinHandle<Vec<String>>> {
    (0..writers)
        .map(|w| {
            let (base, token, intro) = (base.to_owned(), token.to_owned(), intro.to_owned());
            std::thread::spawn(move || {
                let c = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
                let mut acked = Vec::new();
                for i in 0.. {
                    let body = format!("round {round}, writer {w}, message {i}");
                    let sent = c
                        .post(format!("{base}/api/v1/introductions/{intro}/messages"))
                        .bearer_auth(&token)
                        .json(&json!({"message": body}))
                        .send();
                    match sent {
                        Ok(r) if r.status().as_u16() == 201 => {
                            let Ok(v) = r.json::<Value>() else { break };
                            let m = v["messages"].as_array().unwrap().iter().find(|m| m["body"] == body.as_str()).unwrap();
                            acked.push(m["id"].as_str().unwrap().to_owned());
                        }
                        Ok(r) => assert!(r.status().is_success(), "a message failed with {} while the server was up", r.status()),
                        Err(_) => break,
                    }
                }
                acked
            })
        })
        .collect()
}

/// Every `message_id` of the `message.received` events in the feed of `token`'s account.
fn delivered(base: &str, token: &str) -> std::collections::HashSet<String> {
    let c = Client::new();
    let mut out = std::collections::HashSet::new();
    let mut offset = 0;
    loop {
        let page: Value =
            c.get(format!("{base}/api/v1/notifications?limit=100&offset={offset}")).bearer_auth(token).send().unwrap().json().unwrap();
        let items = page["items"].as_array().unwrap();
        out.extend(
            items.iter().filter(|n| n["kind"] == "message.received").filter_map(|n| n["data"]["message_id"].as_str().map(str::to_owned)),
        );
        match page["next_offset"].as_u64() {
            Some(next) => offset = next,
            None => break,
        }
    }
    out
}

/// A webhook receiver on a free port: every `message_id` it was sent (a plain HTTP/1.1 server,
/// one request per connection, answering 204).
fn webhook_receiver() -> (String, Arc<Mutex<std::collections::HashSet<String>>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got: Arc<Mutex<std::collections::HashSet<String>>> = Arc::default();
    let seen = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_ok()
                && let Ok(v) = serde_json::from_slice::<Value>(&body)
                && let Some(id) = v["data"]["message_id"].as_str()
            {
                seen.lock().unwrap().insert(id.to_owned());
            }
            let _ = reader.get_mut().write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        }
    });
    (url, got)
}

fn kills_lose_no_acknowledged_event(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(backend, dir.path()).unwrap();
    let data = dir.path().join("data");
    let mut rng = rand::rng();
    let mut server = start(&db, &data);
    let (manager, requester) = (token(&server.base), account(&server.base, "requester@example.org", "researcher"));
    let c = Client::new();
    let post = |path: &str, token: &str, body: Value| -> Value {
        let r = c.post(format!("{}{path}", server.base)).bearer_auth(token).json(&body).send().unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().unwrap()
    };
    let mut p = platform("Crash Core");
    p["status"] = json!("published");
    let platform_id = post("/api/v1/platforms", &manager, p)["id"].as_str().unwrap().to_owned();
    let need = json!({"title": "Crash need", "technologies": [{"technology": "WES", "required": true}], "sample_type": "FFPE",
        "sample_count": 10, "readiness_area": "translational-research", "country": "BE"});
    let need_id = post("/api/v1/needs", &requester, need)["id"].as_str().unwrap().to_owned();
    let intro =
        post("/api/v1/introductions", &manager, json!({"need_id": need_id, "platform_id": platform_id}))["id"].as_str().unwrap().to_owned();
    post(&format!("/api/v1/introductions/{intro}/accept"), &requester, json!({}));
    let (hook, hooked) = webhook_receiver();
    post("/api/v1/webhooks", &requester, json!({"url": hook, "events": ["message.received"]}));
    let mut all: Vec<String> = Vec::new();
    const ROUNDS: usize = 8;
    for round in 0..ROUNDS {
        let writers = chatter(&server.base, &manager, &intro, round, 3);
        std::thread::sleep(Duration::from_millis(rng.random_range(150..600)));
        server.child.kill().unwrap(); // SIGKILL
        server.child.wait().unwrap();
        for w in writers {
            all.extend(w.join().unwrap());
        }
        server = start(&db, &data);
        let got = delivered(&server.base, &requester);
        let lost: Vec<&String> = all.iter().filter(|id| !got.contains(*id)).collect();
        assert!(lost.is_empty(), "{} of {} acknowledged messages have no event after kill {round}: {lost:?}", lost.len(), all.len());
    }
    assert!(all.len() > ROUNDS, "too few messages were acknowledged to mean anything: {}", all.len());
    // And every one reaches the webhook, at least once, after the last restart.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let missing = all.iter().filter(|id| !hooked.lock().unwrap().contains(*id)).count();
        if missing == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{missing} of {} acknowledged messages never reached the webhook", all.len());
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!(
        "{backend:?}: {ROUNDS} kills survived, the events of {} acknowledged messages all in the feed and delivered by webhook",
        all.len()
    );
}

#[test]
fn sqlite_kills_lose_no_acknowledged_event() {
    kills_lose_no_acknowledged_event(Backend::Sqlite);
}

#[test]
fn postgres_kills_lose_no_acknowledged_event() {
    kills_lose_no_acknowledged_event(Backend::Postgres);
}

#[test]
fn sqlite_kills_lose_no_acknowledged_write() {
    kills_lose_no_acknowledged_write(Backend::Sqlite);
}

#[test]
fn postgres_kills_lose_no_acknowledged_write() {
    kills_lose_no_acknowledged_write(Backend::Postgres);
}

#[test]
fn sqlite_sigterm_finishes_requests_and_commits_the_index() {
    sigterm_finishes_requests_and_commits_the_index(Backend::Sqlite);
}

#[test]
fn postgres_sigterm_finishes_requests_and_commits_the_index() {
    sigterm_finishes_requests_and_commits_the_index(Backend::Postgres);
}
