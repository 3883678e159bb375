//! Match candidates from the index follow the technology hierarchy as the engine does: a
//! must-have is met by its term, a narrower one or a broader one, never a sibling.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

mod common;

use common::{indexed, need, need_with, platform};
use omics_domain::{Need, Platform, Record, Vocabularies};

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
