//! Term linker benchmarks (issue 10): what one typed vocabulary value costs through
//! `Vocabulary::read` on the built-in vocabularies: an exact synonym, an accepted free-text
//! phrase with qualifiers, refused values with their ranked suggestions (the target: at most
//! 50 µs each, also for values joined by conjunctions, which are read part by part), and
//! refusals on the 897-term cancer-types vocabulary.
//!
//! `cargo bench -p omics-benches --bench linker`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use omics_domain::{Vocabularies, Vocabulary};

/// Realistic values a technology field refuses: an instrument alone, an unknown technique, a
/// long phrase read only with medium confidence, a generic phrase and 40 characters of noise.
const REFUSED_TECHNOLOGIES: [&str; 5] = [
    "NovaSeq 6000",
    "quantum sequencing",
    "Ribo-seq of polysome fractions (NovaSeq 6000)",
    "mass spec",
    "zqxv wprt klmnb qazwsx edcrfv tgbyhn ujmk",
];

/// Refused values joined by a conjunction: each part is read again alone (one more reading pass
/// per part), two parts that read different terms, and a part that reads nothing.
const REFUSED_CONJUNCTIONS: [&str; 3] = [
    "Tapestri single-cell DNA + protein (AML panel)",
    "Single-cell and spatial analysis (Visium, Chromium)",
    "CTC isolation (Parsortix) + single-cell picking + Sanger-like confirmation",
];

/// Values the cancer-types vocabulary (OncoTree, 897 terms) refuses.
const REFUSED_CANCERS: [&str; 4] =
    ["tumour of the left knee", "rare cancer (unspecified)", "cancer", "zqxv wprt klmnb qazwsx edcrfv tgbyhn ujmk"];

fn accepted(v: &Vocabulary, typed: &str) {
    let r = v.read("technology", typed, false).unwrap_or_else(|e| panic!("{typed} is refused: {}", e.message));
    eprintln!("{typed:?} → {} ({})", r.term.id, r.confidence.as_str());
}

fn refused(v: &Vocabulary, typed: &str) {
    let e = v.read("f", typed, false).err().unwrap_or_else(|| panic!("{typed} is accepted by {}", v.name));
    assert_eq!(e.code, "unknown_term", "{typed}");
    eprintln!("{typed:?} refused by {}, {} suggestions", v.name, e.suggestions.len());
}

fn linker(c: &mut Criterion) {
    let v = Vocabularies::builtin().unwrap();
    let tech = &v.technologies;
    let cancers = &v.cancer_types;
    eprintln!("{} technologies, {} cancer types", tech.terms().len(), cancers.terms().len());
    accepted(tech, "WES");
    accepted(tech, "WGS (PCR-free, Illumina NovaSeq X)");
    REFUSED_TECHNOLOGIES.iter().chain(&REFUSED_CONJUNCTIONS).for_each(|t| refused(tech, t));
    REFUSED_CANCERS.iter().for_each(|t| refused(cancers, t));

    let mut g = c.benchmark_group("linker");
    g.measurement_time(Duration::from_secs(4));
    g.warm_up_time(Duration::from_secs(1));
    g.bench_function("technologies: exact synonym (WES)", |b| b.iter(|| tech.read("technology", black_box("WES"), false).is_ok()));
    g.bench_function("technologies: phrase with qualifiers, accepted", |b| {
        b.iter(|| tech.read("technology", black_box("WGS (PCR-free, Illumina NovaSeq X)"), false).is_ok())
    });
    for typed in REFUSED_TECHNOLOGIES.iter().chain(&REFUSED_CONJUNCTIONS) {
        g.bench_function(format!("technologies: refused with suggestions: {typed}"), |b| {
            b.iter(|| tech.read("technology", black_box(typed), false).is_err())
        });
    }
    g.throughput(Throughput::Elements(REFUSED_TECHNOLOGIES.len() as u64));
    g.bench_function("technologies: refused with suggestions, the 5 values above", |b| {
        b.iter(|| REFUSED_TECHNOLOGIES.iter().filter(|t| tech.read("technology", black_box(t), false).is_err()).count())
    });
    g.throughput(Throughput::Elements(REFUSED_CANCERS.len() as u64));
    g.bench_function("cancer types (897 terms): refused with suggestions, 4 values", |b| {
        b.iter(|| REFUSED_CANCERS.iter().filter(|t| cancers.read("cancer_type", black_box(t), false).is_err()).count())
    });
    g.finish();
}

/// One phase of an import, apart: deserialising and validating generated records (what the
/// import's reader thread does before the store and the index see them), canonical ids against
/// free text.
fn validation(c: &mut Criterion) {
    use omics_domain::{NeedFields, PlatformFields, body};
    let v = Vocabularies::builtin().unwrap();
    let (cp, cn) = omics_datagen::generate(&v, 1_000, 1_000, 42);
    let (fp, fn_) = omics_datagen::generate_free_text(&v, 1_000, 1_000, 42);
    let mut g = c.benchmark_group("import phase: deserialise + validate 1,000 records");
    g.sample_size(10);
    g.throughput(Throughput::Elements(1_000));
    for (name, items) in [("platforms, canonical ids", &cp), ("platforms, free text", &fp)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                items
                    .iter()
                    .filter(|p| body::from_value::<PlatformFields>((*p).clone()).ok().and_then(|f| f.validate(&v).ok()).is_some())
                    .count()
            })
        });
    }
    for (name, items) in [("needs, canonical ids", &cn), ("needs, free text", &fn_)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                items
                    .iter()
                    .filter(|n| body::from_value::<NeedFields>((*n).clone()).ok().and_then(|f| f.validate(&v, None).ok()).is_some())
                    .count()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, linker, validation);
criterion_main!(benches);
