//! Match candidates from the index follow the technology hierarchy as the engine does: a
//! must-have is met by its term, a narrower one or a broader one, never a sibling.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use omics_domain::{Meta, Need, NeedFields, Platform, PlatformFields, Record, Role, Vocabularies};
use omics_index::SearchIndex;
use omics_store::testdb::TestDb;
use omics_store::{Backend, NewUser, Store};
use uuid::Uuid;

fn meta() -> Meta {
    let now = omics_domain::now();
    Meta { id: Uuid::now_v7(), owner_id: None, created_at: now, updated_at: now, version: 1 }
}

fn platform(v: &Vocabularies, name: &str, technology: &str) -> Platform {
    let fields: PlatformFields = serde_json::from_value(serde_json::json!({
        "name": name, "organisation": {"name": "Org"}, "country": "BE", "city": "Gent", "maturity_level": 2,
        "accepts_external_samples": true, "accepts_cross_border": true,
        "capabilities": [{"technology": technology, "sample_types": ["FFPE"]}]
    }))
    .unwrap();
    Platform { meta: meta(), fields: fields.validate(v).unwrap() }
}

fn need(v: &Vocabularies, title: &str, technology: &str) -> Need {
    need_with(v, title, technology, true)
}

fn need_with(v: &Vocabularies, title: &str, technology: &str, required: bool) -> Need {
    let fields: NeedFields = serde_json::from_value(serde_json::json!({
        "title": title, "technologies": [{"technology": technology, "required": required}],
        "sample_type": "FFPE", "sample_count": 20, "readiness_area": "translational-research", "country": "BE"
    }))
    .unwrap();
    Need { meta: meta(), fields: fields.validate(v, None).unwrap(), requester: None }
}

/// A SQLite store holding the records and an index caught up with it.
fn indexed(v: &Arc<Vocabularies>, records: &[Record]) -> (SearchIndex, Store, TestDb, tempfile::TempDir) {
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

#[test]
fn candidates_include_broader_terms_both_ways_and_leave_siblings_out() {
    let v = Arc::new(Vocabularies::builtin().unwrap());
    let exact = platform(&v, "Total RNA Lab", "total-rna-sequencing");
    let broader = platform(&v, "RNA Core", "rna-sequencing");
    let two_up = platform(&v, "Proteomics Core", "proteomics");
    let sibling = platform(&v, "mRNA Lab", "mrna-sequencing");
    let total = need(&v, "Total RNA of FFPE tumours", "total-rna-sequencing");
    let dia = need(&v, "DIA proteomics of FFPE tumours", "dia-ms");
    let generic = need(&v, "RNA sequencing of FFPE tumours", "rna-sequencing");
    // A need with no must-have asks for its nice-to-haves.
    let nice = need_with(&v, "Total RNA, if anyone can", "total-rna-sequencing", false);
    let records: Vec<Record> = [&exact, &broader, &two_up, &sibling]
        .into_iter()
        .map(|p| Record::Platform(p.clone()))
        .chain([&total, &dia, &generic, &nice].into_iter().map(|n| Record::Need(n.clone())))
        .collect();
    let (index, _store, _db, _dir) = indexed(&v, &records);

    let found = |n: &Need| {
        let mut ids = index.platform_candidates(&n.fields, false, 100).unwrap().ids;
        ids.sort();
        ids
    };
    let mut want = vec![exact.meta.id, broader.meta.id];
    want.sort();
    assert_eq!(found(&total), want, "the exact and the broader-only platform, not the sibling");
    assert_eq!(found(&dia), [two_up.meta.id], "two steps broader");

    let needs_for = |p: &Platform| {
        let mut ids = index.need_candidates(p, 100).unwrap().ids;
        ids.sort();
        ids
    };
    let mut want = vec![total.meta.id, generic.meta.id, nice.meta.id];
    want.sort();
    assert_eq!(needs_for(&broader), want, "the needs asking for a narrower term (also as a nice-to-have), and the exact one");
    let mut want = vec![total.meta.id, generic.meta.id, nice.meta.id];
    want.sort();
    assert_eq!(needs_for(&exact), want, "a need whose only technology is a nice-to-have is served by its term");
    assert_eq!(needs_for(&two_up), [dia.meta.id]);
    assert_eq!(needs_for(&sibling), [generic.meta.id], "a sibling's need is not a candidate; the broader need is");
}
