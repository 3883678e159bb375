//! Replicas (issue 14): three `omics-match` processes on one fresh PostgreSQL database, each
//! with its own data dir (index) and the same token secret. Writers register accounts, create
//! and publish platforms and post needs through all three at once; for every acknowledged
//! write the test measures how long until every other replica finds it, by search and in the
//! matches, and asserts at most 1 s. Halfway, one replica is killed with SIGKILL, the writers
//! go on through the other two, and it is started again on its data dir: it must have caught
//! up at once with everything written before it started. At the end every replica's public
//! platforms and needs are exactly the database's.
//!
//! The servers poll the change log only every 10 s here, so a write seen within 1 s was seen
//! because PostgreSQL's notification of its commit woke the replica.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

mod common;

use common::{Server, free_port};
use omics_domain::Kind;
use omics_store::testdb::TestDb;
use omics_store::{Backend, Store};
use reqwest::blocking::Client;
use serde_json::{Value, json};
use uuid::Uuid;

/// The bound on how long a write takes to show on every other replica.
const BOUND: Duration = Duration::from_secs(1);
const REPLICAS: usize = 3;
const WRITERS: usize = 6;
/// Platforms and needs each writer writes, alternately.
const WRITES_EACH: usize = 20;
/// The replica that is killed and started again.
const VICTIM: usize = 2;
const SECRET: &str = "a-token-secret-shared-by-the-three-replicas-of-this-test";
/// One technology per writer, in different families, so that a writer's probe need is
/// matched by its own platforms only (and its probe platform matches its own needs only).
const TECHS: [&str; WRITERS] =
    ["whole-exome-sequencing", "nanopore-sequencing", "small-rna-sequencing", "single-cell-atac-sequencing", "xenium", "chip-seq"];

fn client() -> Client {
    Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

/// Start a replica on `data` and wait until it is ready; returns it and how long that took.
fn start(db: &TestDb, data: &Path, log: &Path) -> (Server, Duration) {
    let port = free_port();
    let t = Instant::now();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_omics-match"));
    cmd.args(["serve", "--host", "127.0.0.1", "--port", &port.to_string(), "--data-dir"])
        .arg(data)
        .env("DATABASE_URL", &db.url)
        .env("OMICS_JWT_SECRET", SECRET)
        .env("OMICS_INDEX_POLL_MS", "10000")
        .env("OMICS_DB_POOL_SIZE", "6")
        .env("OMICS_RATE_LIMIT_AUTH_PER_MINUTE", "0")
        .env("OMICS_RATE_LIMIT_ANONYMOUS_MATCH_PER_MINUTE", "0")
        .env("RUST_LOG", "warn,omics_service=info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap());
    let Some(replica) = Server::start(cmd, port, Duration::from_secs(60)) else {
        panic!("replica on port {port} not ready within 60 s; its log:\n{}", std::fs::read_to_string(log).unwrap_or_default());
    };
    (replica, t.elapsed())
}

/// Which replicas answer now: their base URLs, `None` while one is down.
type Live = Arc<RwLock<Vec<Option<String>>>>;

fn live_except(live: &Live, except: usize) -> Vec<(usize, String)> {
    live.read().unwrap().iter().enumerate().filter(|(i, _)| *i != except).filter_map(|(i, b)| Some((i, b.clone()?))).collect()
}

/// What a writer wrote, and what finds it.
#[derive(Clone, Debug)]
struct Write {
    kind: Kind,
    id: String,
    /// One word that only this record holds (its name or title).
    word: String,
    /// The writer's probe need (for a platform) or probe platform (for a need), whose
    /// matches must list it.
    probe: Option<String>,
}

/// Whether the replica at `base` finds `w` by search and, where it has a probe, in the
/// probe's matches.
fn found(c: &Client, base: &str, w: &Write) -> reqwest::Result<bool> {
    let (list, other) = match w.kind {
        Kind::Platform => ("platforms", "needs"),
        Kind::Need => ("needs", "platforms"),
    };
    let hits: Value = c.get(format!("{base}/api/v1/{list}?q={}", w.word)).send()?.error_for_status()?.json()?;
    let in_search = hits["items"].as_array().is_some_and(|a| a.iter().any(|r| r["id"] == w.id.as_str()));
    if !in_search {
        return Ok(false);
    }
    let Some(probe) = &w.probe else { return Ok(true) };
    let m: Value = c.get(format!("{base}/api/v1/{other}/{probe}/matches?limit=100")).send()?.error_for_status()?.json()?;
    let field = match w.kind {
        Kind::Platform => "platform",
        Kind::Need => "need",
    };
    Ok(m["matches"].as_array().is_some_and(|a| a.iter().any(|x| x[field]["id"] == w.id.as_str())))
}

/// Poll every other live replica until each finds `w`; the delay on each, from `acked`. A
/// replica that goes down meanwhile is left out (its catch-up is checked when it is back).
fn wait_visible(c: &Client, live: &Live, from: usize, w: &Write, acked: Instant) -> Vec<(usize, Duration)> {
    let mut pending = live_except(live, from);
    let mut seen = Vec::new();
    while !pending.is_empty() {
        let mut still = Vec::new();
        for (i, base) in pending {
            match found(c, &base, w) {
                Ok(true) => seen.push((i, acked.elapsed())),
                Ok(false) => still.push((i, base)),
                Err(e) => {
                    if live.read().unwrap()[i].as_deref() == Some(base.as_str()) {
                        panic!("replica {} failed a read while up: {e}", i + 1);
                    }
                }
            }
        }
        pending = still;
        if !pending.is_empty() {
            assert!(acked.elapsed() < Duration::from_secs(20), "{w:?} not visible on replicas {pending:?} after 20 s");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    seen
}

struct Measured {
    writes: Vec<(Write, Instant)>,
    delays: Vec<Duration>,
    /// (write, replica, delay) above the bound.
    slow: Vec<(String, usize, Duration)>,
}

/// Send a write through a live replica, from `first` on; if the replica goes down meanwhile,
/// through the next one. Returns the replica that acknowledged it and the answer.
fn send(
    live: &Live,
    first: usize,
    what: &str,
    mut req: impl FnMut(&Client, &str) -> reqwest::Result<reqwest::blocking::Response>,
) -> (usize, Value) {
    let c = client();
    for attempt in 0..REPLICAS * 20 {
        let i = (first + attempt) % REPLICAS;
        let Some(base) = live.read().unwrap()[i].clone() else { continue };
        match req(&c, &base) {
            Ok(r) => {
                let status = r.status();
                let v: Value = r.json().unwrap_or(Value::Null);
                assert!(status.is_success(), "{what} through replica {} failed with {status}: {v}", i + 1);
                return (i, v);
            }
            Err(e) => {
                // Only a replica that was taken down may fail; try the next one.
                assert!(live.read().unwrap()[i].as_deref() != Some(base.as_str()), "{what} through replica {} failed while up: {e}", i + 1);
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{what}: no replica answered");
}

fn platform_body(word: &str, tech: &str) -> Value {
    json!({
        "name": word, "organisation": {"name": "Replica Test Institute"}, "country": "BE", "city": "Gent",
        "description": format!("Platform {word} for the replica test."), "maturity_level": 2,
        "readiness_areas": ["translational-research"], "accepts_external_samples": true, "accepts_cross_border": true,
        "capabilities": [{"technology": tech, "sample_types": ["ffpe-tissue"], "monthly_capacity": 100, "turnaround_days": 20}],
        "status": "draft"
    })
}

fn need_body(word: &str, tech: &str) -> Value {
    json!({
        "title": word, "description": "A need of the replica test.",
        "technologies": [{"technology": tech, "required": true}],
        "sample_type": "ffpe-tissue", "sample_count": 40, "readiness_area": "translational-research",
        "country": "NL", "acceptable_countries": ["ANY"], "deadline": "2030-01-31"
    })
}

fn word(w: usize, kind: &str, i: usize) -> String {
    format!("w{w}{kind}{i}z{}", &Uuid::new_v4().simple().to_string()[..12])
}

/// One writer: an account (registered through one replica, signed in through another), a
/// probe platform and need, then `WRITES_EACH` platforms (created as drafts, then published)
/// and needs, each through the next live replica, each waited for on every other one.
fn writer(w: usize, live: Live, acked: Arc<AtomicUsize>) -> Measured {
    let c = client();
    let home = w % REPLICAS;
    let email = format!("writer{w}@example.org");
    let creds = json!({"email": email, "password": "a long enough password"});
    let mut reg = creds.clone();
    reg["display_name"] = json!(format!("Writer {w}"));
    reg["role"] = json!("platform_manager");
    let (registered_on, _) = send(&live, home, "register", |c, b| c.post(format!("{b}/api/v1/auth/register")).json(&reg).send());
    // The account and the shared secret: another replica signs it in, and the token it
    // gives works on every replica.
    let (_, tok) = send(&live, registered_on + 1, "sign in", |c, b| c.post(format!("{b}/api/v1/auth/token")).json(&creds).send());
    let token = tok["access_token"].as_str().expect("a token").to_owned();
    let tech = TECHS[w];

    // The probes: a platform (published) and a need, found by search everywhere.
    let pword = word(w, "probep", 0);
    let mut probe_platform = platform_body(&pword, tech);
    probe_platform["status"] = json!("published");
    let (on, v) = send(&live, home, "probe platform", |c, b| {
        c.post(format!("{b}/api/v1/platforms")).bearer_auth(&token).json(&probe_platform).send()
    });
    let pw = Write { kind: Kind::Platform, id: v["id"].as_str().unwrap().to_owned(), word: pword, probe: None };
    wait_visible(&c, &live, on, &pw, Instant::now());
    let nword = word(w, "proben", 0);
    let (on, v) = send(&live, home, "probe need", |c, b| {
        c.post(format!("{b}/api/v1/needs")).bearer_auth(&token).json(&need_body(&nword, tech)).send()
    });
    let nw = Write { kind: Kind::Need, id: v["id"].as_str().unwrap().to_owned(), word: nword, probe: Some(pw.id.clone()) };
    wait_visible(&c, &live, on, &nw, Instant::now());

    let mut out =
        Measured { writes: vec![(pw.clone(), Instant::now()), (nw.clone(), Instant::now())], delays: Vec::new(), slow: Vec::new() };
    for i in 0..WRITES_EACH {
        let first = home + i + 1;
        let (on, write, at) = if i % 2 == 0 {
            let word = word(w, "p", i);
            let body = platform_body(&word, tech);
            let (_, v) = send(&live, first, "create platform", |c, b| {
                c.post(format!("{b}/api/v1/platforms")).bearer_auth(&token).json(&body).send()
            });
            let id = v["id"].as_str().unwrap().to_owned();
            let publish = json!({"status": "published"});
            let (on, _) = send(&live, first, "publish platform", |c, b| {
                c.patch(format!("{b}/api/v1/platforms/{id}"))
                    .bearer_auth(&token)
                    .header("content-type", "application/merge-patch+json")
                    .body(publish.to_string())
                    .send()
            });
            (on, Write { kind: Kind::Platform, id, word, probe: Some(nw.id.clone()) }, Instant::now())
        } else {
            let word = word(w, "n", i);
            let body = need_body(&word, tech);
            let (on, v) =
                send(&live, first, "post need", |c, b| c.post(format!("{b}/api/v1/needs")).bearer_auth(&token).json(&body).send());
            (on, Write { kind: Kind::Need, id: v["id"].as_str().unwrap().to_owned(), word, probe: Some(pw.id.clone()) }, Instant::now())
        };
        acked.fetch_add(1, Ordering::SeqCst);
        for (replica, d) in wait_visible(&c, &live, on, &write, at) {
            out.delays.push(d);
            if d > BOUND {
                out.slow.push((write.word.clone(), replica + 1, d));
            }
        }
        out.writes.push((write, at));
    }
    out
}

/// The ids of the public platforms or needs a replica lists, page by page.
fn listed(c: &Client, base: &str, list: &str) -> (BTreeSet<String>, u64) {
    let mut ids = BTreeSet::new();
    let mut total = 0;
    for page in 0.. {
        let v: Value = c.get(format!("{base}/api/v1/{list}?sort=name&limit=100&offset={}", page * 100)).send().unwrap().json().unwrap();
        total = v["total"].as_u64().unwrap();
        let items = v["items"].as_array().unwrap();
        ids.extend(items.iter().map(|r| r["id"].as_str().unwrap().to_owned()));
        if items.len() < 100 {
            break;
        }
    }
    (ids, total)
}

/// The database's public platforms and needs.
fn in_database(store: &Store) -> HashMap<Kind, BTreeSet<String>> {
    let mut out: HashMap<Kind, BTreeSet<String>> = HashMap::new();
    out.insert(Kind::Platform, BTreeSet::new());
    out.insert(Kind::Need, BTreeSet::new());
    let mut after = None;
    loop {
        let batch = store.scan(None, after, 1000).unwrap();
        let Some(last) = batch.last() else { break };
        after = Some(last.meta().id);
        for r in batch.iter().filter(|r| r.is_public()) {
            out.get_mut(&r.kind()).unwrap().insert(r.meta().id.to_string());
        }
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

#[test]
fn three_replicas_see_every_write_within_a_second_and_a_killed_one_catches_up() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(Backend::Postgres, dir.path()).unwrap();
    let data: Vec<PathBuf> = (0..REPLICAS).map(|i| dir.path().join(format!("replica-{}", i + 1))).collect();
    let logs: Vec<PathBuf> = (0..REPLICAS).map(|i| dir.path().join(format!("replica-{}.log", i + 1))).collect();
    let mut replicas: Vec<Option<Server>> = Vec::new();
    for i in 0..REPLICAS {
        replicas.push(Some(start(&db, &data[i], &logs[i]).0));
    }
    let live: Live = Arc::new(RwLock::new(replicas.iter().map(|r| r.as_ref().map(|r| r.base.clone())).collect()));
    let acked = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (live, acked) = (live.clone(), acked.clone());
            std::thread::spawn(move || writer(w, live, acked))
        })
        .collect();
    let all_writes = WRITERS * WRITES_EACH;
    let wait_for = |n: usize| {
        let t = Instant::now();
        while acked.load(Ordering::SeqCst) < n && !writers.iter().all(|w| w.is_finished()) {
            assert!(t.elapsed() < Duration::from_secs(120), "the writers stalled at {} writes", acked.load(Ordering::SeqCst));
            std::thread::sleep(Duration::from_millis(5));
        }
    };

    // A third of the way: SIGKILL one replica; the writers go on through the other two.
    wait_for(all_writes / 3);
    live.write().unwrap()[VICTIM] = None;
    let mut victim = replicas[VICTIM].take().unwrap();
    victim.child.kill().unwrap();
    victim.child.wait().unwrap();
    let killed_at = acked.load(Ordering::SeqCst);
    drop(victim);
    println!("replicas: killed replica {} with SIGKILL after {killed_at} acknowledged writes", VICTIM + 1);

    // Two thirds of the way (and at least a second later): start it again on its data dir.
    let down = Instant::now();
    wait_for(2 * all_writes / 3);
    while down.elapsed() < Duration::from_secs(1) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let written_while_down = acked.load(Ordering::SeqCst) - killed_at;
    // Everything acknowledged before it starts must be in its index as soon as it is ready.
    let store = Store::open(&db.url, 1).unwrap();
    let before = in_database(&store);
    let (back, ready_in) = start(&db, &data[VICTIM], &logs[VICTIM]);
    let c = client();
    let ready: Value = c.get(format!("{}/api/v1/health/ready", back.base)).send().unwrap().json().unwrap();
    let lag_at_ready = ready["index_lag"].as_i64().unwrap();
    for (kind, list) in [(Kind::Platform, "platforms"), (Kind::Need, "needs")] {
        let (ids, _) = listed(&c, &back.base, list);
        let missing: Vec<_> = before[&kind].difference(&ids).collect();
        assert!(missing.is_empty(), "restarted replica misses {} {list} committed before it started: {missing:?}", missing.len());
    }
    println!(
        "replicas: replica {} down for {:.1} s while {written_while_down} writes were acknowledged by the other two; \
         restarted in {:.2} s (index lag {lag_at_ready} when ready), holding all {} public platforms and {} public needs \
         committed before it started",
        VICTIM + 1,
        down.elapsed().as_secs_f64(),
        ready_in.as_secs_f64(),
        before[&Kind::Platform].len(),
        before[&Kind::Need].len(),
    );
    live.write().unwrap()[VICTIM] = Some(back.base.clone());
    replicas[VICTIM] = Some(back);

    let mut delays = Vec::new();
    let mut slow = Vec::new();
    let mut writes = Vec::new();
    for w in writers {
        let m = w.join().unwrap();
        delays.extend(m.delays);
        slow.extend(m.slow);
        writes.extend(m.writes);
    }
    assert_eq!(writes.len(), WRITERS * (WRITES_EACH + 2));

    // Every replica: lag 0, every acknowledged write found, and exactly the database's public
    // platforms and needs, as its list totals too.
    let truth = in_database(&store);
    for (i, r) in replicas.iter().enumerate() {
        let base = &r.as_ref().unwrap().base;
        let t = Instant::now();
        loop {
            let v: Value = c.get(format!("{base}/api/v1/health/ready")).send().unwrap().json().unwrap();
            if v["index_lag"] == 0 {
                break;
            }
            assert!(t.elapsed() < BOUND, "replica {} still lags {} changes 1 s after the last write", i + 1, v["index_lag"]);
            std::thread::sleep(Duration::from_millis(10));
        }
        for (w, _) in &writes {
            assert!(found(&c, base, w).unwrap(), "replica {} does not find {w:?}", i + 1);
        }
        for (kind, list) in [(Kind::Platform, "platforms"), (Kind::Need, "needs")] {
            let (ids, total) = listed(&c, base, list);
            assert_eq!(ids, truth[&kind], "replica {} lists other {list} than the database holds", i + 1);
            assert_eq!(total as usize, truth[&kind].len(), "replica {}: {list} total", i + 1);
        }
    }
    // A new replica joins: an empty data dir, so it builds its index and catalogue from one
    // scan of the records; it finds every write, in search and in matches, at once.
    let joined_dir = dir.path().join("replica-4");
    let (joined, joined_in) = start(&db, &joined_dir, &dir.path().join("replica-4.log"));
    for (w, _) in &writes {
        assert!(found(&c, &joined.base, w).unwrap(), "the new replica does not find {w:?}");
    }
    for (kind, list) in [(Kind::Platform, "platforms"), (Kind::Need, "needs")] {
        let (ids, total) = listed(&c, &joined.base, list);
        assert_eq!(ids, truth[&kind], "the new replica lists other {list} than the database holds");
        assert_eq!(total as usize, truth[&kind].len());
    }
    let log = std::fs::read_to_string(dir.path().join("replica-4.log")).unwrap();
    assert!(log.contains("search index and catalogue built from the database"), "the new replica did not build in one scan:\n{log}");
    println!("replicas: a fourth replica with an empty data dir was ready in {:.2} s with every record", joined_in.as_secs_f64());
    drop(joined);
    assert!(truth[&Kind::Platform].len() >= WRITERS * (WRITES_EACH / 2 + 1));
    assert!(truth[&Kind::Need].len() >= WRITERS * (WRITES_EACH / 2 + 1));

    delays.sort();
    let n = writes.len() - 2 * WRITERS;
    println!(
        "replicas: visibility p50 = {} ms, p99 = {} ms, max = {} ms over {n} writes ({} write-replica pairs); \
         every replica holds the database's {} public platforms and {} public needs; {:.1} s in all",
        percentile(&delays, 0.50).as_millis(),
        percentile(&delays, 0.99).as_millis(),
        delays.last().unwrap().as_millis(),
        delays.len(),
        truth[&Kind::Platform].len(),
        truth[&Kind::Need].len(),
        started.elapsed().as_secs_f64(),
    );
    assert!(delays.len() >= n, "fewer delays measured ({}) than writes ({n})", delays.len());
    assert!(slow.is_empty(), "writes visible on another replica only after more than 1 s: {slow:?}");
}
