//! The change listener that wakes replicas: on PostgreSQL each commit appending to the change
//! log wakes it (whoever wrote, in one wake per transaction, never for a rollback), it comes
//! back after its connection is killed, and it stops when asked; on SQLite it returns at once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use omics_domain::{Meta, Platform, PlatformFields, Record, Role, Vocabularies};
use omics_store::testdb::TestDb;
use omics_store::{Backend, LISTENER_NAME, NewUser, Store};
use uuid::Uuid;

fn platform(owner: Uuid, name: &str) -> Record {
    static VOCABS: std::sync::OnceLock<Vocabularies> = std::sync::OnceLock::new();
    let v = VOCABS.get_or_init(|| Vocabularies::builtin().unwrap());
    let fields: PlatformFields = serde_json::from_value(serde_json::json!({
        "name": name, "organisation": {"name": "Org"}, "country": "BE", "city": "Gent",
        "maturity_level": 2, "capabilities": [{"technology": "WES", "sample_types": ["FFPE"]}]
    }))
    .unwrap();
    let now = omics_domain::now();
    Record::Platform(Platform {
        meta: Meta { id: Uuid::now_v7(), owner_id: Some(owner), created_at: now, updated_at: now, version: 1 },
        fields: fields.validate(v).unwrap(),
    })
}

/// Wait for one wake-up, at most `within`.
fn woken(rx: &Receiver<()>, within: Duration) -> bool {
    match rx.recv_timeout(within) {
        Ok(()) => true,
        Err(RecvTimeoutError::Timeout) => false,
        Err(RecvTimeoutError::Disconnected) => panic!("the listener ended"),
    }
}

/// Take the wake-ups already sent.
fn drain(rx: &Receiver<()>) -> usize {
    let mut n = 0;
    while rx.try_recv().is_ok() {
        n += 1;
    }
    n
}

/// The listening connections (by their application name).
fn listeners(sql: &mut postgres::Client) -> Vec<i32> {
    sql.query("SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()", &[&LISTENER_NAME])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

const LOG_ROW: &str = "INSERT INTO change_log (kind, entity_id, op, version, at) VALUES ('platform', 'raw', 'update', 1, now())";

#[test]
fn postgres_commits_wake_the_listener() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(Backend::Postgres, dir.path()).unwrap();
    let store = Arc::new(Store::open(&db.url, 2).unwrap());
    let owner = store
        .create_user(NewUser {
            email: "o@example.org".into(),
            display_name: "O".into(),
            role: Role::PlatformManager,
            password_hash: "h".into(),
        })
        .unwrap()
        .id;
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel();
    let listener = {
        let (store, stop) = (store.clone(), stop.clone());
        std::thread::spawn(move || store.listen_for_changes(&|| stop.load(Ordering::Relaxed), &|| tx.send(()).unwrap()))
    };
    // Connected: it wakes once, for whatever was committed while it was not listening.
    assert!(woken(&rx, Duration::from_secs(10)), "no wake-up after connecting");
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    assert_eq!(listeners(&mut sql).len(), 1);

    // A write through the store wakes it, within a fraction of a second.
    let a = platform(owner, "A");
    store.insert(&a, Some(owner)).unwrap();
    let t = Instant::now();
    assert!(woken(&rx, Duration::from_secs(2)), "a committed insert did not wake the listener");
    println!("listen: woken {} ms after the commit returned", t.elapsed().as_millis());

    // Another tool writing the log: a rolled-back transaction wakes nobody; a committed one
    // of three changes wakes once.
    let mut tr = sql.transaction().unwrap();
    for _ in 0..3 {
        tr.execute(LOG_ROW, &[]).unwrap();
    }
    tr.rollback().unwrap();
    assert!(!woken(&rx, Duration::from_millis(500)), "a rolled-back change woke the listener");
    let mut tr = sql.transaction().unwrap();
    for _ in 0..3 {
        tr.execute(LOG_ROW, &[]).unwrap();
    }
    tr.commit().unwrap();
    assert!(woken(&rx, Duration::from_secs(2)), "a commit by another tool did not wake the listener");
    assert!(!woken(&rx, Duration::from_millis(300)), "one transaction woke the listener more than once");

    // A batch import (many changes in one transaction) wakes it.
    let batch: Vec<Record> = (0..50).map(|i| platform(owner, &format!("B{i}"))).collect();
    store.import(&batch, Some(owner)).unwrap();
    assert!(woken(&rx, Duration::from_secs(2)), "an import did not wake the listener");

    // Its connection killed, it connects again (with back-off) and is woken by commits again.
    let old = listeners(&mut sql);
    for pid in &old {
        sql.execute("SELECT pg_terminate_backend($1)", &[pid]).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut now_listening = listeners(&mut sql);
    while (now_listening.is_empty() || now_listening == old) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        now_listening = listeners(&mut sql);
    }
    assert!(!now_listening.is_empty() && now_listening != old, "the listener did not connect again after its connection was killed");
    // The reconnection itself wakes it (changes may have been missed meanwhile).
    assert!(woken(&rx, Duration::from_secs(2)), "no wake-up after reconnecting");
    drain(&rx);
    store.insert(&platform(owner, "C"), Some(owner)).unwrap();
    assert!(woken(&rx, Duration::from_secs(2)), "a commit after the reconnection did not wake the listener");

    // Asked to stop, it returns within its wait (a quarter of a second) and closes its connection.
    stop.store(true, Ordering::Relaxed);
    let t = Instant::now();
    while !listener.is_finished() && t.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(listener.is_finished(), "the listener did not stop");
    listener.join().unwrap();
    let t = Instant::now();
    while !listeners(&mut sql).is_empty() && t.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(listeners(&mut sql).is_empty(), "the listening connection stayed open");
}

#[test]
fn sqlite_has_nothing_to_listen_to() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(Backend::Sqlite, dir.path()).unwrap();
    let store = Store::open(&db.url, 1).unwrap();
    let t = Instant::now();
    let woke = std::sync::atomic::AtomicUsize::new(0);
    store.listen_for_changes(&|| false, &|| {
        woke.fetch_add(1, Ordering::Relaxed);
    });
    assert!(t.elapsed() < Duration::from_secs(1), "listening on SQLite did not return at once");
    assert_eq!(woke.load(Ordering::Relaxed), 0);
}
