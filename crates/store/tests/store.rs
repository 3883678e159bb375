//! Store behaviour on SQLite and on PostgreSQL: round trips, optimistic concurrency, the
//! change log's order, idempotent imports, accounts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use omics_domain::{Kind, Meta, NeedFields, Platform, PlatformFields, Record, Role, Vocabularies};
use omics_store::testdb::TestDb;
use omics_store::{Backend, ExternalId, ImportOutcome, NewExternalUser, NewUser, Op, Store, StoreError};
use uuid::Uuid;

fn open(backend: Backend) -> (Store, TestDb, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(backend, dir.path()).unwrap();
    let store = Store::open(&db.url, 4).unwrap();
    (store, db, dir)
}

fn user(store: &Store, email: &str) -> Uuid {
    store
        .create_user(NewUser { email: email.into(), display_name: "U".into(), role: Role::PlatformManager, password_hash: "h".into() })
        .unwrap()
        .id
}

fn platform(owner: Uuid, name: &str, key: Option<&str>) -> Record {
    let v = Vocabularies::builtin().unwrap();
    let fields: PlatformFields = serde_json::from_value(serde_json::json!({
        "external_key": key, "name": name, "organisation": {"name": "Org"}, "country": "BE", "city": "Gent",
        "maturity_level": 2, "capabilities": [{"technology": "WES", "sample_types": ["FFPE"]}]
    }))
    .unwrap();
    let now = omics_domain::now();
    Record::Platform(Platform {
        meta: Meta { id: Uuid::now_v7(), owner_id: Some(owner), created_at: now, updated_at: now, version: 1 },
        fields: fields.validate(&v).unwrap(),
    })
}

fn round_trip_and_conflicts(backend: Backend) {
    let (store, _db, _dir) = open(backend);
    let owner = user(&store, "o@example.org");
    let rec = platform(owner, "A", Some("key-a"));
    let id = rec.meta().id;
    let s1 = store.insert(&rec, Some(owner)).unwrap();
    assert_eq!(store.get(Kind::Platform, id).unwrap().as_ref(), Some(&rec));
    assert!(store.get(Kind::Need, id).unwrap().is_none(), "kind is part of the key");
    assert!(matches!(store.insert(&platform(owner, "B", Some("key-a")), None), Err(StoreError::Duplicate("external_key"))));

    let mut v2 = rec.clone();
    v2.meta_mut().version = 2;
    let s2 = store.update(&v2, 1, Some(owner)).unwrap();
    assert!(s2 > s1);
    assert!(matches!(store.update(&v2, 1, None), Err(StoreError::VersionConflict { current: 2 })));
    assert!(matches!(store.delete(Kind::Platform, id, Some(1), None), Err(StoreError::VersionConflict { current: 2 })));
    let s3 = store.delete(Kind::Platform, id, Some(2), Some(owner)).unwrap();
    assert!(matches!(store.delete(Kind::Platform, id, None, None), Err(StoreError::NotFound)));
    let changes = store.changes_after(0, 100).unwrap();
    let ops: Vec<_> = changes.iter().map(|c| (c.seq, c.op)).collect();
    assert_eq!(ops, [(s1, Op::Create), (s2, Op::Update), (s3, Op::Delete)]);
    assert_eq!(store.last_seq().unwrap(), s3);
    assert!(changes.iter().all(|c| c.entity_id == id && c.kind == Kind::Platform));
}

fn import_is_idempotent(backend: Backend) {
    let (store, _db, _dir) = open(backend);
    let owner = user(&store, "o@example.org");
    let batch = vec![platform(owner, "A", Some("a")), platform(owner, "B", Some("b"))];
    let (out, _) = store.import(&batch, None).unwrap();
    assert_eq!(out, [ImportOutcome::Created, ImportOutcome::Created]);
    // Same content again, with fresh ids: nothing changes.
    let again = vec![platform(owner, "A", Some("a")), platform(owner, "B2", Some("b"))];
    let (out, _) = store.import(&again, None).unwrap();
    assert_eq!(out, [ImportOutcome::Unchanged, ImportOutcome::Updated]);
    assert_eq!(store.count(Kind::Platform).unwrap(), 2);
    let b = store.by_external_key(Kind::Platform, "b").unwrap().unwrap();
    assert_eq!(b.label(), "B2");
    assert_eq!(b.meta().version, 2);
    assert_eq!(b.meta().id, batch[1].meta().id, "an update keeps the record's id");
    let scanned = store.scan(None, None, 10).unwrap();
    assert_eq!(scanned.len(), 2);
    let ids = [batch[1].meta().id, Uuid::now_v7(), batch[0].meta().id];
    let many = store.get_many(&ids).unwrap();
    assert_eq!(many.iter().map(|r| r.meta().id).collect::<Vec<_>>(), [ids[0], ids[2]]);
}

fn concurrent_writers_keep_the_log_in_commit_order(backend: Backend) {
    let (store, _db, _dir) = open(backend);
    let store = std::sync::Arc::new(store);
    let owner = user(&store, "o@example.org");
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..15 {
                    store.insert(&platform(owner, &format!("T{t}-{i}"), None), None).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let changes = store.changes_after(0, 1000).unwrap();
    assert_eq!(changes.len(), 60);
    assert!(changes.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(store.count(Kind::Platform).unwrap(), 60);
}

fn accounts(backend: Backend) {
    let (store, _db, _dir) = open(backend);
    let id = user(&store, "Mixed@Example.org");
    let u = store.user_by_email("mixed@example.org").unwrap().unwrap();
    assert_eq!(u.id, id);
    assert_eq!(u.email, "mixed@example.org");
    assert!(matches!(
        store.create_user(NewUser {
            email: "MIXED@example.org".into(),
            display_name: "x".into(),
            role: Role::Researcher,
            password_hash: "h".into()
        }),
        Err(StoreError::Duplicate("email"))
    ));
    store.set_password(id, "new").unwrap();
    let u = store.user_by_id(id).unwrap().unwrap();
    assert_eq!((u.password_hash.as_str(), u.token_version), ("new", 1));
}

fn external_accounts(backend: Backend) {
    let (store, _db, _dir) = open(backend);
    let local = user(&store, "taken@example.org");
    let new = |issuer: &str, sub: &str, email: Option<&str>| NewExternalUser {
        id: ExternalId { issuer: issuer.into(), subject: sub.into() },
        email: email.map(Into::into),
        display_name: "Ext".into(),
        role: Role::Researcher,
    };
    let a = store.external_user(new("https://idp.example.org", "s1", Some("Ext@Example.org"))).unwrap();
    assert_eq!(a.email, "ext@example.org");
    assert_eq!(a.external, Some(ExternalId { issuer: "https://idp.example.org".into(), subject: "s1".into() }));
    assert!(a.password_hash.is_empty());
    // Seen again: the same account, whatever the claims say now.
    let again = store.external_user(new("https://idp.example.org", "s1", Some("other@example.org"))).unwrap();
    assert_eq!(again.id, a.id);
    assert_eq!(
        store.user_by_external(&ExternalId { issuer: "https://idp.example.org".into(), subject: "s1".into() }).unwrap().unwrap().id,
        a.id
    );
    // The same subject at another issuer is another person.
    let b = store.external_user(new("https://other.example.org", "s1", None)).unwrap();
    assert_ne!(b.id, a.id);
    assert!(b.email.ends_with("@external.invalid"), "{}", b.email);
    // An address another account uses is never linked nor taken over.
    let c = store.external_user(new("https://idp.example.org", "s2", Some("TAKEN@example.org"))).unwrap();
    assert_ne!(c.id, local);
    assert!(c.email.ends_with("@external.invalid"), "{}", c.email);
    assert_eq!(store.user_by_email("taken@example.org").unwrap().unwrap().id, local);
    store.set_role(c.id, Role::PlatformManager).unwrap();
    assert_eq!(store.user_by_id(c.id).unwrap().unwrap().role, Role::PlatformManager);
    assert_eq!(store.user_by_id(local).unwrap().unwrap().external, None);
}

fn needs_round_trip(backend: Backend) {
    let (store, _db, _dir) = open(backend);
    let owner = user(&store, "r@example.org");
    let v = Vocabularies::builtin().unwrap();
    let fields: NeedFields = serde_json::from_value(serde_json::json!({
        "title": "T", "technologies": [{"technology": "WGS"}], "sample_type": "plasma", "sample_count": 3,
        "readiness_area": "routine-care", "country": "EE", "deadline": "2027-05-01", "budget_eur": {"min": 1, "max": 2}
    }))
    .unwrap();
    let now = omics_domain::now();
    let rec = Record::Need(omics_domain::Need {
        meta: Meta { id: Uuid::now_v7(), owner_id: Some(owner), created_at: now, updated_at: now, version: 1 },
        fields: fields.validate(&v, None).unwrap(),
        requester: None,
    });
    store.insert(&rec, None).unwrap();
    assert_eq!(store.get(Kind::Need, rec.meta().id).unwrap(), Some(rec));
}

macro_rules! both {
    ($($name:ident),*) => {
        mod sqlite { $(#[test] fn $name() { super::$name(omics_store::Backend::Sqlite) })* }
        mod postgres { $(#[test] fn $name() { super::$name(omics_store::Backend::Postgres) })* }
    };
}

both!(
    round_trip_and_conflicts,
    import_is_idempotent,
    concurrent_writers_keep_the_log_in_commit_order,
    accounts,
    external_accounts,
    needs_round_trip,
    rate_limit_windows_count_and_prune,
    id_splits_cut_a_scan_into_even_shares
);

/// A first start reads the records in shares, one per core: the shares cover every record
/// once, in id order, and are of about equal size.
fn id_splits_cut_a_scan_into_even_shares(backend: Backend) {
    let (store, _db, _dir) = open(backend);
    let owner = user(&store, "o@example.org");
    assert!(store.id_splits(4).unwrap().is_empty(), "no records, nothing to split");
    for i in 0..23 {
        store.insert(&platform(owner, &format!("P{i}"), None), None).unwrap();
    }
    let all: Vec<Uuid> = store.scan(None, None, 100).unwrap().iter().map(|r| r.meta().id).collect();
    assert_eq!(all.len(), 23);
    for parts in [1, 2, 3, 4, 7, 23, 40] {
        let splits = store.id_splits(parts).unwrap();
        assert_eq!(splits.len(), parts.min(23) - 1, "{parts} parts");
        assert!(splits.windows(2).all(|w| w[0] < w[1]), "{parts} parts: ascending splits");
        let mut bounds: Vec<Option<Uuid>> = vec![None];
        bounds.extend(splits.iter().copied().map(Some));
        bounds.push(None);
        let mut seen = Vec::new();
        for share in bounds.windows(2) {
            let mut after = share[0];
            let mut got = Vec::new();
            // Small pages, so paging within a share is exercised too.
            loop {
                let page = store.scan_range(None, after, share[1], 3).unwrap();
                let Some(last) = page.last() else { break };
                after = Some(last.meta().id);
                got.extend(page.iter().map(|r| r.meta().id));
            }
            let even = 23 / parts.min(23);
            assert!(got.len() == even || got.len() == even + 1, "{parts} parts: a share of {} records", got.len());
            seen.extend(got);
        }
        assert_eq!(seen, all, "{parts} parts: every record once, in id order");
    }
}

fn rate_limit_windows_count_and_prune(backend: Backend) {
    let (store, _db, _dir) = open(backend);
    // Two stores on one database (two replicas) count into the same window.
    let other = Store::open(&_db.url, 1).unwrap();
    let mut counts = Vec::new();
    for i in 0..4 {
        let s = if i % 2 == 0 { &store } else { &other };
        counts.push(s.count_request("auth", "198.51.100.1").unwrap());
    }
    // A window may end between two counts: then the count starts again at 1.
    let hits: Vec<i64> = counts.iter().map(|c| c.hits).collect();
    assert!(hits == [1, 2, 3, 4] || hits.windows(2).any(|w| w[1] == 1), "{hits:?}");
    assert!(counts.iter().all(|c| (0.0..=60.0).contains(&c.resets_in_secs)), "{counts:?}");
    // Buckets and clients count apart.
    assert_eq!(store.count_request("matching", "198.51.100.1").unwrap().hits, 1);
    assert_eq!(store.count_request("auth", "2001:db8::1").unwrap().hits, 1);
    // The current window is kept by pruning; an ended one goes.
    assert_eq!(store.prune_rate_limits(omics_store::RATE_WINDOW_SECS).unwrap(), 0);
    // Keeping only windows that start 2 minutes from now drops every counter.
    assert!(store.prune_rate_limits(-120).unwrap() >= 3);
    assert_eq!(store.count_request("auth", "2001:db8::1").unwrap().hits, 1);
    // What counting adds to a limited request (README, "Running several replicas"): one
    // pooled upsert; printed with --nocapture, and bounded loosely so a regression shows.
    let started = std::time::Instant::now();
    for i in 0..200 {
        store.count_request("timing", &format!("192.0.2.{}", i % 50)).unwrap();
    }
    let each = started.elapsed() / 200;
    eprintln!("{backend:?}: counting a limited request takes {each:?} on average");
    assert!(each < std::time::Duration::from_millis(50), "{each:?}");
}

#[test]
fn migrations_are_idempotent_and_backend_follows_the_url() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(Backend::Sqlite, dir.path()).unwrap();
    let store = Store::open(&db.url, 1).unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    assert_eq!(store.migrate().unwrap(), 0, "second run has nothing to do");
    assert_eq!(Backend::from_url("postgres://x@y/z"), Backend::Postgres);
    assert_eq!(Backend::from_url("postgresql://x@y/z"), Backend::Postgres);
    // A PostgreSQL URL that does not answer is an error, never a SQLite file named like it.
    assert!(Store::open("postgres://nobody@127.0.0.1:1/none", 1).is_err());
}
