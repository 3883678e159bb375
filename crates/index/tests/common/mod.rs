//! Records and a caught-up index for the index's tests.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::sync::Arc;

use omics_domain::{Meta, Need, NeedFields, Platform, PlatformFields, Record, Role, Vocabularies};
use omics_index::SearchIndex;
use omics_store::testdb::TestDb;
use omics_store::{Backend, NewUser, Store};
use uuid::Uuid;

pub fn meta() -> Meta {
    let now = omics_domain::now();
    Meta { id: Uuid::now_v7(), owner_id: None, created_at: now, updated_at: now, version: 1 }
}

pub fn platform(v: &Vocabularies, name: &str, technology: &str) -> Platform {
    let fields: PlatformFields = serde_json::from_value(serde_json::json!({
        "name": name, "organisation": {"name": "Org"}, "country": "BE", "city": "Gent", "maturity_level": 2,
        "accepts_external_samples": true, "accepts_cross_border": true,
        "capabilities": [{"technology": technology, "sample_types": ["FFPE"]}]
    }))
    .unwrap();
    Platform { meta: meta(), fields: fields.validate(v).unwrap() }
}

pub fn need(v: &Vocabularies, title: &str, technology: &str) -> Need {
    need_with(v, title, technology, true)
}

pub fn need_with(v: &Vocabularies, title: &str, technology: &str, required: bool) -> Need {
    let fields: NeedFields = serde_json::from_value(serde_json::json!({
        "title": title, "technologies": [{"technology": technology, "required": required}],
        "sample_type": "FFPE", "sample_count": 20, "readiness_area": "translational-research", "country": "BE"
    }))
    .unwrap();
    Need { meta: meta(), fields: fields.validate(v, None).unwrap(), requester: None }
}

/// A SQLite store holding the records and an index caught up with it.
pub fn indexed(v: &Arc<Vocabularies>, records: &[Record]) -> (SearchIndex, Store, TestDb, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(Backend::Sqlite, dir.path()).unwrap();
    let store = Store::open(&db.url, 2).unwrap();
    let user = NewUser { email: "o@example.org".into(), display_name: "O".into(), role: Role::PlatformManager, password_hash: "h".into() };
    let owner = store.create_user(user).unwrap().id;
    for r in records {
        let mut r = r.clone();
        r.meta_mut().owner_id = Some(owner);
        store.insert(&r, Some(owner)).unwrap();
    }
    let index = SearchIndex::open(&dir.path().join("index"), v.clone()).unwrap();
    index.catch_up(&store).unwrap();
    (index, store, db, dir)
}
