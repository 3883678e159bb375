//! How the service reads what people type, over HTTP on SQLite and PostgreSQL: readings and
//! warnings in write answers, the typed text kept and searchable, the precision-first policy
//! (medium and low refused with ranked suggestions, `?strict=true`), open lists kept as typed,
//! and one reading on every route (`POST /needs` and `POST /matches` agree).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestApp, assert_problem, need, platform};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    free_text_is_stored_as_the_term_with_its_reading_and_typed_text,
    open_lists_keep_unknown_values_with_a_warning,
    what_is_not_read_with_confidence_is_refused_with_ranked_suggestions,
    strict_takes_only_ids_labels_and_synonyms,
    an_unread_nice_to_have_is_held_beside_a_must_have,
    needs_and_adhoc_matches_read_alike,
    several_values_typed_in_one_become_those_terms,
);

fn reading<'a>(v: &'a Value, field: &str) -> &'a Value {
    v["readings"].as_array().unwrap().iter().find(|r| r["field"] == field).unwrap_or_else(|| panic!("no reading of {field}: {v}"))
}

async fn free_text_is_stored_as_the_term_with_its_reading_and_typed_text(app: TestApp) {
    let t = app.user("pm@example.org", "platform_manager").await;
    let mut p = platform("Lisbon Genomics", "Portugal", "germline WES (Twist Exome 2.0)");
    p["capabilities"][0]["sample_types"] = json!(["FFPE blocks", "EDTA whole-blood tubes"]);
    p["capabilities"][0]["accreditations"] = json!(["accredited to EN ISO 15189:2022"]);
    let (s, v) = app.post("/api/v1/platforms", Some(&t), p).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let cap = &v["capabilities"][0];
    assert_eq!(cap["technology"], "whole-exome-sequencing");
    assert_eq!(cap["technology_text"], "germline WES (Twist Exome 2.0)");
    assert_eq!(cap["sample_types"], json!(["ffpe-tissue", "whole-blood"]));
    assert_eq!(cap["accreditations"], json!(["iso-15189"]));
    let r = reading(&v, "capabilities[0].technology");
    assert_eq!(r["typed"], "germline WES (Twist Exome 2.0)");
    assert_eq!(r["term"], "whole-exome-sequencing");
    assert_eq!(r["label"], "Whole exome sequencing");
    assert_eq!(r["confidence"], "high");
    assert_eq!(r["qualifiers"], json!(["Twist Exome 2.0"]));
    assert_eq!(reading(&v, "country")["confidence"], "exact");
    let id = v["id"].as_str().unwrap().to_owned();

    // The typed text is kept on the record and found by search.
    let (_, got) = app.get(&format!("/api/v1/platforms/{id}"), None).await;
    assert_eq!(got["capabilities"][0]["technology_text"], "germline WES (Twist Exome 2.0)");
    assert!(got.get("readings").is_none(), "a read carries the record only");
    let (s, found) = app.get("/api/v1/platforms?q=twist", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(found["items"][0]["id"], id.as_str(), "{found}");

    // A replace echoing the stored record keeps the typed text; a patch reports its readings.
    let (s, v, _) = app.req(Method::PUT, &format!("/api/v1/platforms/{id}"), Some(&t), Some(got)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["capabilities"][0]["technology_text"], "germline WES (Twist Exome 2.0)");
    let patch = json!({"readiness_areas": ["routine diagnostics"]});
    let (s, v, _) = app.req(Method::PATCH, &format!("/api/v1/platforms/{id}"), Some(&t), Some(patch)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["readiness_areas"], json!(["routine-care"]));
    assert_eq!(reading(&v, "readiness_areas[0]")["typed"], "routine diagnostics");
}

async fn open_lists_keep_unknown_values_with_a_warning(app: TestApp) {
    let t = app.user("pm@example.org", "platform_manager").await;
    let mut p = platform("Heidelberg Proteomics", "DE", "DIA-MS proteomics (Orbitrap Astral)");
    p["data_standards"] = json!(["PRIDE submission", "ichorCNA .seg files"]);
    p["capabilities"][0]["services"] = json!(["full bioinformatics", "genetic counselling"]);
    p["capabilities"][0]["instruments"] = json!(["Orbitrap Astral", "Foo Bar 3000"]);
    let (s, v) = app.post("/api/v1/platforms", Some(&t), p).await;
    assert_eq!(s, StatusCode::CREATED, "an unknown data standard, service or instrument never refuses the record: {v}");
    assert_eq!(v["capabilities"][0]["technology"], "dia-ms");
    assert_eq!(v["data_standards"], json!(["proteomexchange", "ichorCNA .seg files"]));
    assert_eq!(v["capabilities"][0]["services"], json!(["bioinformatics", "genetic counselling"]));
    assert_eq!(v["capabilities"][0]["instruments"], json!(["Orbitrap Astral", "Foo Bar 3000"]));
    let warnings: Vec<(&str, &str)> =
        v["warnings"].as_array().unwrap().iter().map(|w| (w["field"].as_str().unwrap(), w["code"].as_str().unwrap())).collect();
    assert_eq!(
        warnings,
        [
            ("data_standards[1]", "free_text_kept"),
            ("capabilities[0].instruments[1]", "free_text_kept"),
            ("capabilities[0].services[1]", "free_text_kept")
        ],
        "{v}"
    );
    // Closed lists stay closed: an unread sample type or accreditation is kept beside its list,
    // never in it; a capability none of whose sample types reads is held whole, so that an
    // empty list never takes every sample.
    let mut p = platform("Y", "DE", "WES");
    p["capabilities"][0]["sample_types"] = json!(["FFPE", "whole slide images"]);
    p["capabilities"][0]["accreditations"] = json!(["Quality Mark of Atlantis"]);
    let mut wgs = p["capabilities"][0].clone();
    wgs["technology"] = json!("WGS");
    wgs["sample_types"] = json!(["whole slide images"]);
    p["capabilities"] = json!([p["capabilities"][0].clone(), wgs]);
    let (s, v) = app.post("/api/v1/platforms", Some(&t), p).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    assert_eq!(v["capabilities"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["capabilities"][0]["sample_types"], json!(["ffpe-tissue"]), "{v}");
    assert_eq!(v["capabilities"][0]["accreditations"], json!([]), "{v}");
    assert_eq!(
        v["unread"],
        json!([
            {"field": "capabilities[0].sample_types", "typed": "whole slide images"},
            {"field": "capabilities[0].accreditations", "typed": "Quality Mark of Atlantis"}
        ]),
        "{v}"
    );
    assert_eq!(v["held_capabilities"][0]["technology"], "WGS", "{v}");
    let codes: Vec<&str> = v["warnings"].as_array().unwrap().iter().map(|w| w["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["not_read_kept", "not_read_kept", "capability_held"], "{v}");
    // Stored and shown as written; the held WGS capability is never matched.
    let (s, got) = app.get(&format!("/api/v1/platforms/{id}"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((&got["unread"], &got["held_capabilities"]), (&v["unread"], &v["held_capabilities"]));
    let (s, m) = app.post("/api/v1/matches", None, need("N", "DE", "WGS")).await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert!(m["matches"].as_array().unwrap().iter().all(|x| x["platform"]["id"] != id.as_str()), "{m}");
    // Strict: refused.
    let mut p = platform("Y", "DE", "WES");
    p["capabilities"][0]["sample_types"] = json!(["whole slide images"]);
    let (s, v) = app.post("/api/v1/platforms?strict=true", Some(&t), p).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "unknown_term");
    assert_eq!(v["errors"][0]["field"], "capabilities[0].sample_types[0]");
}

async fn what_is_not_read_with_confidence_is_refused_with_ranked_suggestions(app: TestApp) {
    let t = app.user("pm@example.org", "platform_manager").await;
    let r = app.user("r@example.org", "researcher").await;
    for (typed, first) in [("exome or genome", "whole-exome-sequencing"), ("NovaSeq 6000", ""), ("mass spec", "")] {
        // A need is refused; a platform holds the capability as typed, with the same
        // suggestions in its warning.
        let (s, v) = app.post("/api/v1/needs", Some(&r), need("N", "BE", typed)).await;
        assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "unknown_term");
        assert_eq!(v["errors"][0]["field"], "technologies[0].technology", "{v}");
        let (s, p) = app.post("/api/v1/platforms", Some(&t), platform("Y", "BE", typed)).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        assert_eq!(p["warnings"][0]["suggestions"], v["errors"][0]["suggestions"], "{p}");
        let e = &v["errors"][0];
        let suggestions = e["suggestions"].as_array().unwrap();
        assert!(!suggestions.is_empty(), "{typed}: {v}");
        for s in suggestions {
            assert!(s["id"].is_string() && s["label"].is_string() && (0.0..=1.0).contains(&s["score"].as_f64().unwrap()), "{s}");
        }
        if !first.is_empty() {
            assert_eq!(suggestions[0]["id"], first, "{v}");
        }
    }
    // A hedge is never stored automatically: kept as typed, ISO 15189 only suggested.
    let mut p = platform("Z", "BE", "WES");
    p["capabilities"][0]["accreditations"] = json!(["in validation for ISO 15189"]);
    let (s, v) = app.post("/api/v1/platforms", Some(&t), p).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["capabilities"][0]["accreditations"], json!([]), "{v}");
    assert_eq!(v["unread"][0]["typed"], "in validation for ISO 15189", "{v}");
    assert_eq!(v["warnings"][0]["suggestions"][0]["id"], "iso-15189", "{v}");
}

async fn an_unread_nice_to_have_is_held_beside_a_must_have(app: TestApp) {
    let r = app.user("r@example.org", "researcher").await;
    let mut n = need("N", "LT", "WES");
    n["technologies"] = json!([{"technology": "WES", "required": true}, {"technology": "exome or genome", "required": false}]);
    let (s, v) = app.post("/api/v1/needs", Some(&r), n.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["technologies"], json!([{"technology": "whole-exome-sequencing", "technology_text": "WES", "required": true}]), "{v}");
    assert_eq!(v["held_technologies"][0]["technology"], "exome or genome", "{v}");
    assert_eq!(v["warnings"][0]["code"], "technology_held", "{v}");
    // The ad-hoc match reads it alike and says so.
    let (s, m) = app.post("/api/v1/matches", None, n.clone()).await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["warnings"][0]["code"], "technology_held", "{m}");
    // As a must-have it is refused on both routes.
    n["technologies"][1]["required"] = json!(true);
    let (s, v) = app.post("/api/v1/needs", Some(&r), n.clone()).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "unknown_term");
    let (s, v) = app.post("/api/v1/matches", None, n).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "unknown_term");
}

async fn strict_takes_only_ids_labels_and_synonyms(app: TestApp) {
    let t = app.user("pm@example.org", "platform_manager").await;
    let (s, v) = app.post("/api/v1/platforms?strict=true", Some(&t), platform("Y", "BE", "germline WES")).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "unknown_term");
    assert_eq!(v["errors"][0]["suggestions"][0]["id"], "whole-exome-sequencing", "{v}");
    let (s, v) = app.post("/api/v1/platforms?strict=true", Some(&t), platform("Y", "BE", "WES")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app.post("/api/v1/platforms?strict=maybe", Some(&t), platform("Y", "BE", "WES")).await;
    assert_problem(s, &v, StatusCode::BAD_REQUEST, "invalid_query");
}

async fn needs_and_adhoc_matches_read_alike(app: TestApp) {
    let t = app.user("r@example.org", "researcher").await;
    for typed in ["single cel RNA seq", "scRNAseq (10x Chromium)", "exome or genome", "quantum sequencing"] {
        let (ns, nv) = app.post("/api/v1/needs", Some(&t), need("N", "LT", typed)).await;
        let (ms, mv) = app.post("/api/v1/matches", None, need("N", "LT", typed)).await;
        match ns {
            StatusCode::CREATED => {
                assert_eq!(ms, StatusCode::OK, "{typed}: {mv}");
                assert_eq!(nv["technologies"][0]["technology"], reading(&mv, "technologies[0].technology")["term"], "{typed}");
                assert_eq!(reading(&nv, "technologies[0].technology"), reading(&mv, "technologies[0].technology"), "{typed}");
                assert_eq!(nv["technologies"][0]["technology_text"], typed);
            }
            _ => {
                assert_problem(ns, &nv, StatusCode::UNPROCESSABLE_ENTITY, "unknown_term");
                assert_problem(ms, &mv, StatusCode::UNPROCESSABLE_ENTITY, "unknown_term");
                assert_eq!(nv["errors"][0]["suggestions"], mv["errors"][0]["suggestions"], "{typed}");
            }
        }
    }
}

async fn several_values_typed_in_one_become_those_terms(app: TestApp) {
    let t = app.user("pm@example.org", "platform_manager").await;
    let mut p = platform("Vienna Liquid Biopsy", "AT", "ctDNA panel (AVENIO, 17 genes)");
    p["capabilities"][0]["sample_types"] = json!(["plasma / serum"]);
    p["capabilities"][0]["accreditations"] = json!(["EMQN & GenQA EQA schemes"]);
    let (s, v) = app.post("/api/v1/platforms", Some(&t), p).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["capabilities"][0]["technology"], "ctdna-analysis");
    assert_eq!(v["capabilities"][0]["sample_types"], json!(["plasma", "serum"]));
    assert_eq!(v["capabilities"][0]["accreditations"], json!(["emqn-eqa", "genqa-eqa"]));
}
