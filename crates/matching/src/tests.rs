use std::collections::HashMap;

use chrono::NaiveDate;
use omics_domain::{Meta, Need, NeedFields, Platform, PlatformFields, Vocabularies};
use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::prepare::Prepared;
use crate::rank::{assess, assess_prepared, bound, bound_prepared};

/// Everything evaluated, the excluded listed.
fn all(limit: usize, min_score: f64) -> Want {
    Want { limit, min_score, excluded: true }
}

fn vocabs() -> &'static Vocabularies {
    static V: std::sync::OnceLock<Vocabularies> = std::sync::OnceLock::new();
    V.get_or_init(|| Vocabularies::builtin().unwrap())
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
}

fn meta(n: u128) -> Meta {
    let now = chrono::Utc::now();
    Meta { id: Uuid::from_u128(n), owner_id: None, created_at: now, updated_at: now, version: 1 }
}

fn platform(json: serde_json::Value) -> Platform {
    let mut base = serde_json::json!({
        "name": "Lab", "organisation": {"name": "Org"}, "country": "PT", "city": "Lisbon", "maturity_level": 2,
        "readiness_areas": ["translational-research"], "accepts_external_samples": true, "accepts_cross_border": true,
        "capabilities": [{"technology": "whole-exome-sequencing", "sample_types": ["ffpe-tissue"], "monthly_capacity": 100,
            "turnaround_days": 20, "accreditations": ["iso-15189"]}]
    });
    merge(&mut base, json);
    let f: PlatformFields = serde_json::from_value(base).unwrap();
    Platform { meta: meta(1), fields: f.validate(vocabs()).unwrap() }
}

fn need(json: serde_json::Value) -> NeedFields {
    let mut base = serde_json::json!({
        "title": "Exomes", "technologies": [{"technology": "whole-exome-sequencing", "required": true}],
        "sample_type": "ffpe-tissue", "sample_count": 50, "readiness_area": "translational-research",
        "country": "PT", "deadline": "2027-06-30"
    });
    merge(&mut base, json);
    let f: NeedFields = serde_json::from_value(base).unwrap();
    f.validate(vocabs(), None).unwrap()
}

fn merge(a: &mut serde_json::Value, b: serde_json::Value) {
    if let (Some(a), serde_json::Value::Object(b)) = (a.as_object_mut(), b) {
        for (k, v) in b {
            a.insert(k, v);
        }
    }
}

/// Features of each platform, as the catalogue works them out.
fn features(ps: &[&Platform]) -> Vec<Option<Features>> {
    ps.iter().map(|p| Features::of(p, vocabs())).collect()
}

/// The platforms as ranking candidates, with the features given.
fn candidates<'a>(ps: &[&'a Platform], fs: &'a [Option<Features>]) -> Vec<Candidate<'a>> {
    ps.iter().zip(fs).map(|(&platform, f)| Candidate { platform, features: f.as_ref() }).collect()
}

fn ctx<'a>(text: &'a TextScores, supply: &'a Supply) -> Context<'a> {
    Context { vocabs: vocabs(), weights: Weights::default(), today: today(), text, supply, readings: &[] }
}

fn eval(n: &NeedFields, p: &Platform) -> Evaluation {
    let (t, s) = (TextScores::default(), Supply::default());
    evaluate(n, p, &ctx(&t, &s), p.meta.id)
}

fn component(e: &Evaluation, name: &str) -> Component {
    match e {
        Evaluation::Match { components, .. } => components.iter().find(|c| c.name == name).unwrap().clone(),
        Evaluation::Excluded(x) => panic!("excluded: {x:?}"),
    }
}

fn excluded_by(e: &Evaluation) -> Vec<&'static str> {
    match e {
        Evaluation::Excluded(x) => x.iter().map(|x| x.constraint.as_str()).collect(),
        Evaluation::Match { .. } => vec![],
    }
}

// ---- hard constraints ----

#[test]
fn unpublished_platforms_are_excluded() {
    let p = platform(serde_json::json!({"status": "draft"}));
    assert_eq!(excluded_by(&eval(&need(serde_json::json!({})), &p)), ["not_published"]);
}

/// The pair evaluated from the record (with reasons), after checking that the features give
/// the same score or the same exclusions.
fn eval_both(n: &NeedFields, p: &Platform) -> Evaluation {
    let e = eval(n, p);
    let (t, s) = (TextScores::default(), Supply::default());
    let c = ctx(&t, &s);
    let f = Features::of(p, vocabs()).unwrap();
    match (&e, Prepared::tabled(n, &c).assess_features(&f)) {
        (Evaluation::Match { score, .. }, Evaluation::Match { score: quick, .. }) => assert_eq!(score.to_bits(), quick.to_bits()),
        (Evaluation::Excluded(why), Evaluation::Excluded(quick)) => {
            let names = |x: &[Exclusion]| x.iter().map(|e| e.constraint).collect::<Vec<_>>();
            assert_eq!(names(why), names(&quick));
        }
        (a, b) => panic!("features and record disagree: {a:?} vs {b:?}"),
    }
    e
}

fn techs(list: &[(&str, bool)]) -> serde_json::Value {
    list.iter().map(|(t, required)| serde_json::json!({"technology": t, "required": required})).collect()
}

// The old rule (a broader term never satisfies a must-have) is now: a broader term meets it at a
// reduced value; the exclusion is kept for a sibling.
#[test]
fn must_have_technology_needs_the_term_a_narrower_or_a_broader_one() {
    let n = need(serde_json::json!({"technologies": [{"technology": "dna-sequencing", "required": true}]}));
    assert!(excluded_by(&eval_both(&n, &platform(serde_json::json!({})))).is_empty(), "WES is narrower than DNA sequencing");
    let broad = platform(serde_json::json!({"capabilities": [{"technology": "dna-sequencing", "sample_types": ["ffpe-tissue"]}]}));
    let n = need(serde_json::json!({}));
    assert!(excluded_by(&eval_both(&n, &broad)).is_empty(), "DNA sequencing is broader than WES");
    let sibling = platform(serde_json::json!({"capabilities": [{"technology": "WGS", "sample_types": ["ffpe-tissue"]}]}));
    let e = eval_both(&n, &sibling);
    assert_eq!(excluded_by(&e), ["missing_technology"]);
    if let Evaluation::Excluded(x) = e {
        assert!(x[0].reason.contains("Whole exome sequencing"), "{}", x[0].reason);
        assert!(x[0].reason.contains("nor a narrower or broader technique"), "{}", x[0].reason);
    }
}

#[test]
fn a_broader_only_platform_meets_a_must_have_at_half_value_and_says_to_check() {
    let n = need(serde_json::json!({"technologies": techs(&[("total-rna-sequencing", true)])}));
    let p = platform(serde_json::json!({"capabilities": [{"technology": "rna-sequencing", "sample_types": ["ffpe-tissue"]}]}));
    let c = component(&eval_both(&n, &p), "technology");
    assert_eq!(c.value, 0.5);
    assert_eq!(
        c.reason,
        "Offers RNA sequencing, the broader technique: ask whether it covers total RNA sequencing; 1 of 1 must-have technology"
    );
    // Exact before narrower before broader when several capabilities serve.
    let both = platform(serde_json::json!({"capabilities": [
        {"technology": "rna-sequencing", "sample_types": ["ffpe-tissue"]},
        {"technology": "total-rna-sequencing", "sample_types": ["ffpe-tissue"]}]}));
    let c = component(&eval_both(&n, &both), "technology");
    assert_eq!((c.value, c.reason.as_str()), (1.0, "Offers total RNA sequencing (exact match); 1 of 1 must-have technology"));
    let n = need(serde_json::json!({"technologies": techs(&[("ms-proteomics", true)])}));
    let narrower_and_broader = platform(serde_json::json!({"capabilities": [
        {"technology": "proteomics", "sample_types": ["ffpe-tissue"]}, {"technology": "dia-ms", "sample_types": ["ffpe-tissue"]}]}));
    assert_eq!(component(&eval_both(&n, &narrower_and_broader), "technology").value, 0.8);
}

#[test]
fn a_broader_capability_serves_only_if_it_takes_the_sample_and_holds_the_accreditation() {
    let n = need(serde_json::json!({"technologies": techs(&[("total-rna-sequencing", true)]), "accreditation_required": "iso-15189"}));
    let p = |samples: &[&str], held: &[&str]| {
        platform(serde_json::json!({"capabilities": [{"technology": "rna-sequencing", "sample_types": samples, "accreditations": held}]}))
    };
    assert!(excluded_by(&eval_both(&n, &p(&["tissue"], &["iso-15189"]))).is_empty());
    assert_eq!(excluded_by(&eval_both(&n, &p(&["plasma"], &["iso-15189"]))), ["sample_type_not_accepted"]);
    assert_eq!(excluded_by(&eval_both(&n, &p(&["ffpe-tissue"], &[]))), ["accreditation_missing"]);
    // The accredited capability is another (sibling) technique: it does not serve.
    let split = platform(serde_json::json!({"capabilities": [
        {"technology": "rna-sequencing", "sample_types": ["ffpe-tissue"]},
        {"technology": "mrna-sequencing", "sample_types": ["ffpe-tissue"], "accreditations": ["iso-15189"]}]}));
    assert_eq!(excluded_by(&eval_both(&n, &split)), ["accreditation_missing"]);
}

#[test]
fn two_steps_broader_meets_a_must_have_at_0_4() {
    assert_eq!(vocabs().technologies.depth_below("dia-ms", "proteomics"), Some(2));
    let n = need(serde_json::json!({"technologies": techs(&[("dia-ms", true)])}));
    let p = platform(serde_json::json!({"capabilities": [{"technology": "proteomics", "sample_types": ["ffpe-tissue"]}]}));
    let c = component(&eval_both(&n, &p), "technology");
    assert_eq!(c.value, 0.4);
    assert!(c.reason.starts_with("Offers proteomics, a technique 2 levels broader: ask whether it covers"), "{}", c.reason);
    let one_step = platform(serde_json::json!({"capabilities": [{"technology": "ms-proteomics", "sample_types": ["ffpe-tissue"]}]}));
    assert_eq!(component(&eval_both(&n, &one_step), "technology").value, 0.5);
}

#[test]
fn a_sibling_never_meets_a_must_have() {
    let n = need(serde_json::json!({"technologies": techs(&[("dia-ms", true)])}));
    let dda = platform(serde_json::json!({"capabilities": [{"technology": "dda-ms", "sample_types": ["ffpe-tissue"]}]}));
    assert_eq!(excluded_by(&eval_both(&n, &dda)), ["missing_technology"]);
    // As a nice-to-have, the sibling still counts (0.3).
    let n = need(serde_json::json!({"technologies": techs(&[("WES", true), ("dia-ms", false)])}));
    let p = platform(serde_json::json!({"capabilities": [
        {"technology": "WES", "sample_types": ["ffpe-tissue"]}, {"technology": "dda-ms", "sample_types": ["ffpe-tissue"]}]}));
    let c = component(&eval_both(&n, &p), "technology");
    assert!((c.value - (0.75 + 0.25 * 0.3)).abs() < 1e-9, "{c:?}");
}

/// The brief's example: a `POST /matches` with only a nice-to-have digital PCR, urine, ISO 15189.
fn dpcr_urine_iso() -> NeedFields {
    need(
        serde_json::json!({"technologies": techs(&[("digital-pcr", false)]), "sample_type": "urine", "accreditation_required": "iso-15189"}),
    )
}

// The old rule (a need without must-haves has no sample-type or accreditation constraint) is now:
// the capabilities offering a nice-to-have must take the sample and hold the accreditation.
#[test]
fn a_need_with_only_nice_to_haves_keeps_its_sample_and_accreditation_constraints() {
    let n = dpcr_urine_iso();
    let dpcr = |samples: &[&str], held: &[&str]| serde_json::json!({"technology": "dPCR", "sample_types": samples, "accreditations": held, "monthly_capacity": 30, "turnaround_days": 10});
    let no_urine = platform(serde_json::json!({"capabilities": [dpcr(&["plasma"], &["iso-15189"])]}));
    let e = eval_both(&n, &no_urine);
    assert_eq!(excluded_by(&e), ["sample_type_not_accepted"]);
    if let Evaluation::Excluded(x) = e {
        assert_eq!(x[0].reason, "none of its capabilities offering digital PCR (nice-to-have) takes urine");
    }
    let unaccredited = platform(serde_json::json!({"capabilities": [dpcr(&["urine"], &[])]}));
    let e = eval_both(&n, &unaccredited);
    assert_eq!(excluded_by(&e), ["accreditation_missing"]);
    if let Evaluation::Excluded(x) = e {
        assert!(x[0].reason.contains("ISO 15189, which the need requires"), "{}", x[0].reason);
    }
    let fits = platform(serde_json::json!({"capabilities": [dpcr(&["urine"], &["iso-15189"])]}));
    let e = eval_both(&n, &fits);
    assert!(excluded_by(&e).is_empty());
    assert_eq!(component(&e, "technology").value, 1.0);
    let c = component(&e, "capacity");
    assert!(c.value > 0.0 && c.reason.starts_with("30 samples/month for 50 samples"), "{c:?}");
    assert_eq!(component(&e, "accreditation").value, 1.0);
    // Another capability taking urine with ISO 15189 does not serve: the dPCR one must.
    let elsewhere = platform(serde_json::json!({"capabilities": [
        dpcr(&["plasma"], &[]), {"technology": "WES", "sample_types": ["urine"], "accreditations": ["iso-15189"]}]}));
    assert_eq!(excluded_by(&eval_both(&n, &elsewhere)), ["sample_type_not_accepted"]);
    // A broader capability offers the nice-to-have too (a sibling does not).
    let broader = platform(
        serde_json::json!({"capabilities": [{"technology": "targeted-assays", "sample_types": ["urine"], "accreditations": ["iso-15189"]}]}),
    );
    let e = eval_both(&n, &broader);
    assert!(excluded_by(&e).is_empty());
    assert_eq!(component(&e, "technology").value, 0.5);
    let sibling = platform(serde_json::json!({"capabilities": [
        {"technology": "qpcr-assays", "sample_types": ["plasma"]}, dpcr(&["urine"], &["iso-15189"])]}));
    assert!(excluded_by(&eval_both(&n, &sibling)).is_empty(), "the qPCR capability is not in the pool");
}

#[test]
fn a_need_with_only_nice_to_haves_none_offered_uses_the_whole_platform() {
    let n = dpcr_urine_iso();
    let fits = platform(serde_json::json!({"capabilities": [
        {"technology": "WES", "sample_types": ["ffpe-tissue"]},
        {"technology": "WGS", "sample_types": ["body-fluid"], "accreditations": ["iso-15189"], "monthly_capacity": 200, "turnaround_days": 5}]}));
    let e = eval_both(&n, &fits);
    assert!(excluded_by(&e).is_empty(), "{e:?}");
    assert_eq!(component(&e, "technology").value, 0.0);
    assert!(component(&e, "capacity").reason.starts_with("200 samples/month"), "the serving capability's capacity");
    let no_urine = platform(
        serde_json::json!({"capabilities": [{"technology": "WES", "sample_types": ["ffpe-tissue"], "accreditations": ["iso-15189"]}]}),
    );
    let e = eval_both(&n, &no_urine);
    assert_eq!(excluded_by(&e), ["sample_type_not_accepted"]);
    if let Evaluation::Excluded(x) = e {
        assert_eq!(x[0].reason, "none of its capabilities takes urine");
    }
    // Taking the sample and holding the accreditation must be the same capability's.
    let split = platform(serde_json::json!({"capabilities": [
        {"technology": "WES", "sample_types": ["urine"]}, {"technology": "WGS", "sample_types": ["ffpe-tissue"], "accreditations": ["iso-15189"]}]}));
    assert_eq!(excluded_by(&eval_both(&n, &split)), ["accreditation_missing"]);
    // Without a required accreditation, the sample type still holds.
    let mut n = n;
    n.accreditation_required = None;
    assert!(excluded_by(&eval_both(&n, &split)).is_empty());
    n.sample_type = "plasma".into();
    assert_eq!(excluded_by(&eval_both(&n, &split)), ["sample_type_not_accepted"]);
}

#[test]
fn the_first_capability_offering_a_nice_to_have_becomes_the_pool() {
    let mut n = dpcr_urine_iso();
    n.accreditation_required = None;
    let mut p = platform(serde_json::json!({"capabilities": [{"technology": "WES", "sample_types": ["urine"]}]}));
    assert!(excluded_by(&eval_both(&n, &p)).is_empty(), "no capability offers digital PCR: the whole platform is the pool");
    p.fields
        .capabilities
        .push(serde_json::from_value(serde_json::json!({"technology": "digital-pcr", "sample_types": ["plasma"]})).unwrap());
    assert_eq!(excluded_by(&eval_both(&n, &p)), ["sample_type_not_accepted"], "its digital PCR takes no urine");
}

#[test]
fn sample_type_must_be_accepted_broader_covers_narrower() {
    let n = need(serde_json::json!({"sample_type": "plasma"}));
    assert_eq!(excluded_by(&eval(&n, &platform(serde_json::json!({})))), ["sample_type_not_accepted"]);
    let tissue = platform(serde_json::json!({"capabilities": [{"technology": "WES", "sample_types": ["tissue"]}]}));
    assert!(excluded_by(&eval(&need(serde_json::json!({})), &tissue)).is_empty());
}

#[test]
fn required_accreditation_must_be_on_the_serving_capability() {
    let n = need(serde_json::json!({"accreditation_required": "iso-15189"}));
    assert!(excluded_by(&eval(&n, &platform(serde_json::json!({})))).is_empty());
    let other = platform(serde_json::json!({"capabilities": [
        {"technology": "WES", "sample_types": ["ffpe-tissue"], "accreditations": []},
        {"technology": "WGS", "sample_types": ["ffpe-tissue"], "accreditations": ["iso-15189"]}]}));
    assert_eq!(excluded_by(&eval(&n, &other)), ["accreditation_missing"]);
}

#[test]
fn external_and_cross_border_samples() {
    let p = platform(serde_json::json!({"accepts_external_samples": false}));
    assert_eq!(excluded_by(&eval(&need(serde_json::json!({})), &p)), ["no_external_samples"]);
    let home_only = platform(serde_json::json!({"accepts_cross_border": false}));
    assert!(excluded_by(&eval(&need(serde_json::json!({})), &home_only)).is_empty(), "same country is fine");
    assert_eq!(excluded_by(&eval(&need(serde_json::json!({"country": "LT"})), &home_only)), ["no_cross_border"]);
}

#[test]
fn platform_country_must_be_acceptable() {
    let n = need(serde_json::json!({"country": "LT", "acceptable_countries": ["LV", "EE"]}));
    assert_eq!(excluded_by(&eval(&n, &platform(serde_json::json!({})))), ["country_not_acceptable"]);
    let n = need(serde_json::json!({"country": "LT", "acceptable_countries": ["PT"]}));
    assert!(excluded_by(&eval(&n, &platform(serde_json::json!({})))).is_empty());
}

#[test]
fn closed_needs_are_not_matched() {
    let n = need(serde_json::json!({"status": "closed"}));
    assert_eq!(excluded_by(&eval(&n, &platform(serde_json::json!({})))), ["need_not_open"]);
}

// ---- components ----

#[test]
fn technology_component() {
    let e = eval(&need(serde_json::json!({})), &platform(serde_json::json!({})));
    let c = component(&e, "technology");
    assert_eq!(c.value, 1.0);
    assert_eq!(c.reason, "Offers whole exome sequencing (exact match); 1 of 1 must-have technology");
    let n = need(serde_json::json!({"technologies": [{"technology": "dna-sequencing"}, {"technology": "scRNA-seq", "required": false}]}));
    let c = component(&eval(&n, &platform(serde_json::json!({}))), "technology");
    assert!((c.value - 0.75 * 0.8).abs() < 1e-9, "{c:?}");
    assert!(c.reason.contains("narrower term") && c.reason.contains("none of 1 nice-to-have"), "{}", c.reason);
    let both = platform(serde_json::json!({"capabilities": [
        {"technology": "WES", "sample_types": ["ffpe-tissue"]}, {"technology": "single-cell-omics"}]}));
    let c = component(&eval(&n, &both), "technology");
    assert!((c.value - (0.75 * 0.8 + 0.25 * 0.5)).abs() < 1e-9, "broader nice-to-have counts half: {c:?}");
}

#[test]
fn readiness_component() {
    let same = component(&eval(&need(serde_json::json!({})), &platform(serde_json::json!({}))), "readiness");
    assert_eq!((same.value, same.reason.as_str()), (1.0, "Serves translational research (same area)"));
    let adj = platform(serde_json::json!({"readiness_areas": ["clinical-implementation"]}));
    assert_eq!(component(&eval(&need(serde_json::json!({})), &adj), "readiness").value, 0.5);
    let far = platform(serde_json::json!({"readiness_areas": ["routine-care"]}));
    let c = component(&eval(&need(serde_json::json!({"readiness_area": "emerging-technology"})), &far), "readiness");
    assert_eq!(c.value, 0.0);
    assert!(c.reason.contains("3 steps"), "{}", c.reason);
}

#[test]
fn country_component_orders_same_named_neighbour_distance() {
    let p = platform(serde_json::json!({}));
    let v = |n: serde_json::Value| component(&eval(&need(n), &p), "country");
    let same = v(serde_json::json!({"country": "PT"}));
    let named = v(serde_json::json!({"country": "LT", "acceptable_countries": ["PT", "LV"]}));
    let neighbour = v(serde_json::json!({"country": "ES"}));
    let far = v(serde_json::json!({"country": "LT"}));
    assert!(same.value > named.value && named.value > neighbour.value && neighbour.value > far.value);
    assert!(neighbour.reason.contains("borders"), "{}", neighbour.reason);
    assert!(far.reason.contains("km from Lithuania") && far.reason.contains("away by land"), "{}", far.reason);
    assert!(far.reason.ends_with("accepts cross-border samples"));
    let nearer = v(serde_json::json!({"country": "FR"}));
    assert!(nearer.value > far.value, "closer countries score higher");
}

#[test]
fn capacity_component() {
    let p = platform(serde_json::json!({}));
    // 100/month, 20 days turnaround; 50 samples by 2027-06-30: plenty.
    let c = component(&eval(&need(serde_json::json!({})), &p), "capacity");
    assert_eq!(c.value, 1.0, "{}", c.reason);
    assert!(c.reason.starts_with("100 samples/month for 50 samples"), "{}", c.reason);
    let c = component(&eval(&need(serde_json::json!({"sample_count": 2000})), &p), "capacity");
    assert!(c.value < 1.0 && c.value > 0.4, "{c:?}");
    let c = component(&eval(&need(serde_json::json!({"deadline": "2026-12-09"})), &p), "capacity");
    assert!(c.value < 0.5, "10 days left, 20 days turnaround: {c:?}");
    assert!(c.reason.contains("exceeds"), "{}", c.reason);
    let unknown = platform(serde_json::json!({"capabilities": [{"technology": "WES", "sample_types": ["ffpe-tissue"]}]}));
    assert_eq!(component(&eval(&need(serde_json::json!({})), &unknown), "capacity").value, 0.5);
}

#[test]
fn text_maturity_accreditation_equity_components() {
    let p = platform(serde_json::json!({"maturity_level": 3}));
    let text = TextScores::from_iter([(p.meta.id, 0.4)]);
    let supply = Supply(HashMap::from([("whole-exome-sequencing".to_owned(), HashMap::from([("PT".to_owned(), 4)]))]));
    let mut c = ctx(&text, &supply);
    c.weights.equity = 0.1;
    let e = evaluate(&need(serde_json::json!({})), &p, &c, p.meta.id);
    assert_eq!(component(&e, "text").value, 0.4);
    assert_eq!(component(&e, "maturity").value, 1.0);
    let a = component(&e, "accreditation");
    assert_eq!((a.value, a.reason.as_str()), (1.0, "Holds ISO 15189 for the requested work"));
    let eq = component(&e, "equity");
    assert_eq!(eq.value, 0.25);
    assert!(eq.reason.starts_with("4 platforms offering whole exome sequencing in Portugal"), "{}", eq.reason);
    let none = platform(serde_json::json!({"maturity_level": 1, "capabilities": [{"technology": "WES", "sample_types": ["ffpe-tissue"]}]}));
    let e = eval(&need(serde_json::json!({})), &none);
    assert_eq!(component(&e, "maturity").value, 0.0);
    assert_eq!(component(&e, "accreditation").value, 0.0);
    assert_eq!(component(&e, "text").value, 0.0);
}

#[test]
fn contributions_add_up_to_the_score() {
    let e = eval(&need(serde_json::json!({})), &platform(serde_json::json!({})));
    let Evaluation::Match { score, components } = e else { panic!() };
    let sum: f64 = components.iter().map(|c| c.contribution).sum();
    assert!((sum - score).abs() < 1e-12);
    assert_eq!(components.len(), ComponentName::ALL.len());
}

#[test]
fn ranking_is_deterministic_and_ties_break_by_id() {
    let mut ps: Vec<Platform> = (0..5)
        .map(|i| {
            let mut p = platform(serde_json::json!({}));
            p.meta.id = Uuid::from_u128(10 - i);
            p
        })
        .collect();
    ps.push(platform(serde_json::json!({"status": "archived"})));
    let (t, s) = (TextScores::default(), Supply::default());
    let n = need(serde_json::json!({}));
    let ps: Vec<&Platform> = ps.iter().collect();
    let fs = features(&ps);
    assert!(fs.iter().all(Option::is_some));
    let ps = candidates(&ps, &fs);
    let r1 = rank_platforms(&n, &ps, &ctx(&t, &s), all(10, 0.0));
    let r2 = rank_platforms(&n, &ps, &ctx(&t, &s), all(10, 0.0));
    assert_eq!(r1, r2);
    let ids: Vec<u128> = r1.matches.iter().map(|m| m.item.meta.id.as_u128()).collect();
    assert_eq!(ids, [6, 7, 8, 9, 10]);
    assert_eq!(r1.excluded.len(), 1);
    let top2 = rank_platforms(&n, &ps, &ctx(&t, &s), all(2, 0.0));
    assert_eq!(top2.matches.len(), 2);
    assert!(rank_platforms(&n, &ps, &ctx(&t, &s), all(10, 0.99)).matches.is_empty());
}

#[test]
fn a_platform_with_a_term_the_vocabularies_lack_is_ranked_from_its_record() {
    let known = platform(serde_json::json!({}));
    assert!(Features::of(&known, vocabs()).is_some());
    let mut odd = platform(serde_json::json!({}));
    odd.meta.id = Uuid::from_u128(2);
    odd.fields.capabilities[0].sample_types.push("not-a-sample-type".into());
    assert_eq!(Features::of(&odd, vocabs()), None);
    let (t, s) = (TextScores::default(), Supply::default());
    let ps = [&known, &odd];
    let fs = features(&ps);
    let r = rank_platforms(&need(serde_json::json!({})), &candidates(&ps, &fs), &ctx(&t, &s), all(10, 0.0));
    assert_eq!(r.matches.len(), 2, "{r:?}");
    assert_eq!(r.matches[0].score.to_bits(), r.matches[1].score.to_bits(), "an unknown extra sample type changes nothing");
}

#[test]
fn needs_for_a_platform() {
    let p = platform(serde_json::json!({}));
    let mk = |i: u128, json: serde_json::Value| Need { meta: meta(i), fields: need(json), requester: None };
    let needs = [
        mk(1, serde_json::json!({})),
        mk(2, serde_json::json!({"sample_type": "plasma"})),
        mk(3, serde_json::json!({"readiness_area": "routine-care"})),
    ];
    let (t, s) = (TextScores::default(), Supply::default());
    let needs: Vec<&Need> = needs.iter().collect();
    let r = rank_needs(&p, &needs, &ctx(&t, &s), all(10, 0.0));
    let ids: Vec<u128> = r.matches.iter().map(|m| m.item.meta.id.as_u128()).collect();
    assert_eq!(ids, [1, 3]);
    assert_eq!(r.excluded[0].1[0].constraint, "sample_type_not_accepted");
}

// ---- properties ----

/// Technologies capabilities offer: the need's terms ([`MUST`], [`NICE`]), narrower, broader
/// (one and two steps) and sibling terms of them, so that every relation, broader-only
/// platforms included, is produced.
const OFFERED: [&str; 16] = [
    "whole-exome-sequencing",
    "whole-genome-sequencing",
    "dna-sequencing",
    "single-cell-rna-sequencing",
    "single-cell-omics",
    "targeted-gene-panel-sequencing",
    "rna-sequencing",
    "total-rna-sequencing",
    "mrna-sequencing",
    "proteomics",
    "ms-proteomics",
    "dia-ms",
    "dda-ms",
    "digital-pcr",
    "qpcr-assays",
    "targeted-assays",
];
const MUST: [&str; 5] = ["whole-exome-sequencing", "dna-sequencing", "single-cell-rna-sequencing", "total-rna-sequencing", "dia-ms"];
const NICE: [&str; 5] = ["whole-genome-sequencing", "targeted-gene-panel-sequencing", "digital-pcr", "rna-sequencing", "dia-ms"];
const SAMPLES: [&str; 7] = ["tissue", "ffpe-tissue", "blood", "plasma", "urine", "body-fluid", "extracted-dna"];
const HELD: [&str; 4] = ["iso-15189", "emqn-eqa", "eqa-participation", "cap"];

/// One capability: a technology, the sample types it takes (often FFPE tissue and plasma,
/// else any few, none meaning unrestricted) and the accreditations it holds.
fn arb_capability() -> impl Strategy<Value = (&'static str, Vec<&'static str>, Vec<&'static str>)> {
    (
        proptest::sample::select(OFFERED.to_vec()),
        prop_oneof![Just(vec!["ffpe-tissue", "plasma"]), proptest::sample::subsequence(SAMPLES.to_vec(), 0..3)],
        prop_oneof![Just(vec![]), Just(vec!["iso-15189"]), proptest::sample::subsequence(HELD.to_vec(), 0..3)],
    )
}

fn arb_platform() -> impl Strategy<Value = Platform> {
    let areas = ["routine-care", "clinical-implementation", "translational-research", "emerging-technology"];
    let countries = ["PT", "ES", "LT", "DE", "BE", "FR"];
    (
        proptest::collection::vec(arb_capability(), 1..4),
        proptest::sample::subsequence(areas.to_vec(), 0..3),
        proptest::sample::select(countries.to_vec()),
        1u8..=3,
        proptest::option::of(0u32..500),
        proptest::option::of(1u32..90),
    )
        .prop_map(|(cs, areas, country, maturity, cap, tat)| {
            let caps: Vec<serde_json::Value> = cs
                .iter()
                .enumerate()
                .map(|(i, (t, samples, held))| {
                    // Capacities differ between capabilities, so which one serves matters.
                    let cap = cap.map(|c| c / (i as u32 + 1));
                    serde_json::json!({"technology": t, "sample_types": samples, "monthly_capacity": cap,
                    "turnaround_days": tat, "accreditations": held})
                })
                .collect();
            platform(serde_json::json!({"capabilities": caps, "readiness_areas": areas, "country": country, "maturity_level": maturity}))
        })
}

/// Needs with a must-have (and maybe nice-to-haves), or with nice-to-haves only; various
/// sample types, sometimes with a required accreditation.
fn arb_need() -> impl Strategy<Value = NeedFields> {
    (
        proptest::option::weighted(0.7, proptest::sample::select(MUST.to_vec())),
        proptest::sample::subsequence(NICE.to_vec(), 0..3),
        proptest::sample::select(vec!["PT", "ES", "LT", "IS"]),
        1u32..3000,
        proptest::option::of(10i64..700),
        proptest::sample::select(vec!["routine-care", "translational-research", "emerging-technology"]),
        prop_oneof![3 => Just("ffpe-tissue"), 1 => proptest::sample::select(vec!["plasma", "urine", "tissue", "blood"])],
        proptest::option::weighted(0.3, proptest::sample::select(vec!["iso-15189", "eqa-participation", "emqn-eqa"])),
    )
        .prop_map(|(must, nice, country, count, days, area, sample, required)| {
            let mut techs: Vec<serde_json::Value> = must.iter().map(|t| serde_json::json!({"technology": t, "required": true})).collect();
            for n in nice.iter().filter(|n| Some(**n) != must) {
                techs.push(serde_json::json!({"technology": n, "required": false}));
            }
            if techs.is_empty() {
                techs.push(serde_json::json!({"technology": "digital-pcr", "required": false}));
            }
            let deadline = days.map(|d| (today() + chrono::Duration::days(d)).to_string());
            need(serde_json::json!({"technologies": techs, "country": country, "sample_count": count, "deadline": deadline,
                "readiness_area": area, "sample_type": sample, "accreditation_required": required}))
        })
}

/// Whether some capability offers one of the need's nice-to-haves (exact, narrower or broader).
fn offers_a_nice_to_have(n: &NeedFields, p: &Platform) -> bool {
    let v = &vocabs().technologies;
    n.technologies
        .iter()
        .filter(|t| !t.required)
        .any(|t| p.fields.capabilities.iter().any(|c| relation(v, &t.technology, &c.technology).is_some_and(Relation::satisfies)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn scores_stay_in_unit_interval(n in arb_need(), p in arb_platform(), text in 0.0f64..=1.0, eq in 0.0f64..5.0) {
        let t = TextScores::from_iter([(p.meta.id, text)]);
        let s = Supply::default();
        let mut c = ctx(&t, &s);
        c.weights.equity = eq;
        if let Evaluation::Match { score, components } = evaluate(&n, &p, &c, p.meta.id) {
            prop_assert!((0.0..=1.0).contains(&score));
            for comp in components {
                prop_assert!((0.0..=1.0).contains(&comp.value));
                prop_assert!(comp.contribution >= 0.0);
            }
        }
    }

    #[test]
    fn improving_a_component_never_lowers_the_score(n in arb_need(), p in arb_platform(), text in 0.0f64..=0.9) {
        let s = Supply::default();
        let t = TextScores::from_iter([(p.meta.id, text)]);
        let base = evaluate(&n, &p, &ctx(&t, &s), p.meta.id).score();
        // Better text relevance.
        let t2 = TextScores::from_iter([(p.meta.id, text + 0.1)]);
        prop_assert!(evaluate(&n, &p, &ctx(&t2, &s), p.meta.id).score() >= base);
        // Higher maturity.
        let mut better = p.clone();
        better.fields.maturity_level = 3;
        prop_assert!(evaluate(&n, &better, &ctx(&t, &s), p.meta.id).score() >= base);
        // More capacity and faster turnaround on every capability.
        let mut faster = p.clone();
        for c in &mut faster.fields.capabilities {
            c.monthly_capacity = Some(c.monthly_capacity.unwrap_or(0).max(1_000_000));
            c.turnaround_days = Some(1);
        }
        prop_assert!(evaluate(&n, &faster, &ctx(&t, &s), p.meta.id).score() >= base);
        // Serving the need's readiness area too.
        let mut ready = p.clone();
        ready.fields.readiness_areas.push(n.readiness_area.clone());
        prop_assert!(evaluate(&n, &ready, &ctx(&t, &s), p.meta.id).score() >= base);
        // Being in the requester's country.
        let mut local = p.clone();
        local.fields.country = n.country.clone();
        prop_assert!(evaluate(&n, &local, &ctx(&t, &s), p.meta.id).score() >= base);
    }

    /// For a need with a must-have, always. For a need with nice-to-haves only, unless the
    /// platform offered none of them and the new capabilities do: the pool the sample type and
    /// accreditation are checked on is then those capabilities, no longer the whole platform
    /// (by design: see `the_first_capability_offering_a_nice_to_have_becomes_the_pool`).
    #[test]
    fn adding_a_capability_never_lowers_the_score(n in arb_need(), p in arb_platform(), extra in arb_platform()) {
        let (t, s) = (TextScores::default(), Supply::default());
        let base = evaluate(&n, &p, &ctx(&t, &s), p.meta.id).score();
        let mut more = p.clone();
        more.fields.capabilities.extend(extra.fields.capabilities);
        let narrows = !n.technologies.iter().any(|t| t.required) && !offers_a_nice_to_have(&n, &p) && offers_a_nice_to_have(&n, &more);
        if !narrows {
            prop_assert!(evaluate(&n, &more, &ctx(&t, &s), p.meta.id).score() >= base);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Ranking scores without reasons and explains the winners: both passes must agree.
    #[test]
    fn scoring_without_reasons_gives_the_same_outcome(n in arb_need(), p in arb_platform(), text in 0.0f64..=1.0, eq in 0.0f64..5.0) {
        let t = TextScores::from_iter([(p.meta.id, text)]);
        let s = Supply::default();
        let mut c = ctx(&t, &s);
        c.weights.equity = eq;
        match (assess(&n, &p, &c, p.meta.id, false), assess(&n, &p, &c, p.meta.id, true)) {
            (Evaluation::Match { score: quick, components: q }, Evaluation::Match { score, components }) => {
                prop_assert_eq!(quick.to_bits(), score.to_bits());
                prop_assert!(q.iter().all(|c| c.reason.is_empty()));
                prop_assert!(components.iter().all(|c| !c.reason.is_empty()));
            }
            (Evaluation::Excluded(quick), Evaluation::Excluded(why)) => {
                let names = |x: &[Exclusion]| x.iter().map(|e| e.constraint).collect::<Vec<_>>();
                prop_assert_eq!(names(&quick), names(&why));
                prop_assert!(why.iter().all(|e| !e.reason.is_empty()));
            }
            (a, b) => prop_assert!(false, "passes disagree: {a:?} vs {b:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// Stopping early on the bound gives the very matches a full evaluation gives.
    #[test]
    fn stopping_on_the_bound_changes_no_match(
        n in arb_need(),
        ps in proptest::collection::vec((arb_platform(), 0.0f64..=1.0), 1..60),
        limit in 1usize..8,
        min_score in 0.0f64..0.8,
        eq in 0.0f64..2.0,
    ) {
        let mut platforms = Vec::new();
        let mut text = TextScores::default();
        for (i, (mut p, t)) in ps.into_iter().enumerate() {
            p.meta.id = Uuid::from_u128(i as u128 + 1);
            text.insert(p.meta.id, t);
            platforms.push(p);
        }
        let s = Supply::default();
        let mut c = ctx(&text, &s);
        c.weights.equity = eq;
        let refs: Vec<&Platform> = platforms.iter().collect();
        let fs = features(&refs);
        let with = candidates(&refs, &fs);
        let without: Vec<Candidate> = refs.iter().map(|&p| p.into()).collect();
        let full = rank_platforms(&n, &without, &c, Want { limit, min_score, excluded: true });
        let quick = rank_platforms(&n, &with, &c, Want { limit, min_score, excluded: false });
        prop_assert_eq!(&full.matches, &quick.matches);
        prop_assert!(quick.excluded.is_empty());
        // Scored from the features or from the records: the same ranking, excluded included.
        prop_assert_eq!(full, rank_platforms(&n, &with, &c, Want { limit, min_score, excluded: true }));
    }

    #[test]
    fn the_bound_is_never_below_the_score(n in arb_need(), p in arb_platform(), text in 0.0f64..=1.0, eq in 0.0f64..5.0) {
        let t = TextScores::from_iter([(p.meta.id, text)]);
        let s = Supply::default();
        let mut c = ctx(&t, &s);
        c.weights.equity = eq;
        prop_assert!(bound(&n, &p, &c, p.meta.id) >= evaluate(&n, &p, &c, p.meta.id).score());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// A ranking's tables (relations, sample types, accreditations, country and equity values
    /// worked out once per need) give what working each out for the pair gives.
    #[test]
    fn the_need_tables_give_what_direct_lookups_give(
        mut n in arb_need(),
        mut p in arb_platform(),
        text in 0.0f64..=1.0,
        eq in 0.0f64..5.0,
        sample in proptest::sample::select(vec!["ffpe-tissue", "tissue", "plasma", "blood", "urine", "extracted-dna"]),
        takes in proptest::sample::subsequence(vec!["tissue", "ffpe-tissue", "blood", "plasma", "extracted-dna"], 0..3),
        required in proptest::option::of(proptest::sample::select(vec!["iso-15189", "eqa-participation", "emqn-eqa"])),
        held in proptest::sample::subsequence(vec!["iso-15189", "emqn-eqa", "eqa-participation", "cap"], 0..3),
        acceptable in proptest::sample::subsequence(vec!["DE", "BE", "FR", "ANY"], 0..2),
        offered in 0u64..4,
        uniform in any::<bool>(),
    ) {
        n.sample_type = sample.into();
        n.accreditation_required = required.map(Into::into);
        n.acceptable_countries = acceptable.iter().map(|c| c.to_string()).collect();
        // Half the cases give every capability the same sample types and accreditations; the
        // others keep each capability's own (so which capability serves matters).
        for c in p.fields.capabilities.iter_mut().filter(|_| uniform) {
            c.sample_types = takes.iter().map(|s| s.to_string()).collect();
            c.accreditations = held.iter().map(|s| s.to_string()).collect();
        }
        let t = TextScores::from_iter([(p.meta.id, text)]);
        let counts = |c: &str| HashMap::from([(c.to_owned(), offered), ("PT".to_owned(), offered + 1)]);
        let s = Supply(n.technologies.iter().map(|w| (w.technology.clone(), counts(&p.fields.country))).collect());
        let mut c = ctx(&t, &s);
        c.weights.equity = eq;
        let (light, tabled) = (Prepared::light(&n, &c), Prepared::tabled(&n, &c));
        for explain in [false, true] {
            prop_assert_eq!(assess_prepared(&light, &p, p.meta.id, explain), assess_prepared(&tabled, &p, p.meta.id, explain));
        }
        let bound = bound_prepared(&light, &p, p.meta.id);
        prop_assert_eq!(bound.to_bits(), bound_prepared(&tabled, &p, p.meta.id).to_bits());
        // The features give the same score, the same exclusions (without their sentences) and
        // the same bound as the record.
        let f = Features::of(&p, vocabs()).expect("every term of the platform is known");
        prop_assert!(tabled.reads_features());
        match (tabled.assess_features(&f), assess_prepared(&light, &p, p.meta.id, true)) {
            (Evaluation::Match { score: quick, .. }, Evaluation::Match { score, .. }) => prop_assert_eq!(quick.to_bits(), score.to_bits()),
            (Evaluation::Excluded(quick), Evaluation::Excluded(why)) => {
                let names = |x: &[Exclusion]| x.iter().map(|e| e.constraint).collect::<Vec<_>>();
                prop_assert_eq!(names(&quick), names(&why));
            }
            (a, b) => prop_assert!(false, "features and record disagree: {a:?} vs {b:?}"),
        }
        prop_assert_eq!(tabled.bound_features(&f).to_bits(), bound.to_bits());
    }
}
