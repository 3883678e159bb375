//! A new replica's first start builds the index and the catalogue from one scan of the records,
//! split over threads: it must hold exactly what following the change log from the start does.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

mod common;

use common::{indexed, need, platform};
use omics_domain::{Kind, Record, Vocabularies};
use omics_index::SearchIndex;
use uuid::Uuid;

#[test]
fn a_first_build_holds_what_following_the_change_log_does() {
    let v = Arc::new(Vocabularies::builtin().unwrap());
    let techs = ["total-rna-sequencing", "rna-sequencing", "proteomics", "mrna-sequencing", "dia-ms"];
    let mut records: Vec<Record> = (0..30).map(|i| Record::Platform(platform(&v, &format!("Core {i}"), techs[i % techs.len()]))).collect();
    records.extend((0..12).map(|i| Record::Need(need(&v, &format!("Need {i}"), techs[i % techs.len()]))));
    let (followed, store, _db, dir) = indexed(&v, &records);

    let built = SearchIndex::open(&dir.path().join("new-replica"), v.clone()).unwrap();
    assert_eq!(built.build_with_catalogue(&store).unwrap(), Some(records.len()));
    assert_eq!(built.applied_seq(), store.last_seq().unwrap(), "committed at the database's last change");
    for kind in [Kind::Platform, Kind::Need] {
        assert_eq!(built.count(kind).unwrap(), followed.count(kind).unwrap(), "{kind:?} documents");
    }
    let ids: Vec<Uuid> = records.iter().map(|r| r.meta().id).collect();
    let entries = built.catalogue.get_many(&ids);
    assert_eq!(entries.iter().map(|e| e.record.meta().id).collect::<Vec<_>>(), ids, "every record in the catalogue");
    assert!(entries.iter().all(|e| e.record.kind() == Kind::Need || e.features.is_some()), "platforms with their features");
    for n in records.iter().filter_map(|r| if let Record::Need(n) = r { Some(n) } else { None }) {
        let sorted = |index: &SearchIndex| {
            let mut ids = index.platform_candidates(&n.fields, false, 100).unwrap().ids;
            ids.sort();
            ids
        };
        let want = sorted(&followed);
        assert!(!want.is_empty());
        assert_eq!(sorted(&built), want, "candidates of {}", n.fields.title);
    }

    assert_eq!(built.build_with_catalogue(&store).unwrap(), None, "a second start follows the change log");
    let mut late = Record::Platform(platform(&v, "Late Core", "proteomics"));
    let owner = store.scan(None, None, 1).unwrap()[0].meta().owner_id;
    late.meta_mut().owner_id = owner;
    store.insert(&late, owner).unwrap();
    assert_eq!(built.catch_up(&store).unwrap(), 1);
    assert_eq!(built.count(Kind::Platform).unwrap(), 31);
    assert_eq!(built.catalogue.get_many(&[late.meta().id]).len(), 1, "the catalogue follows the catch-up");
}
