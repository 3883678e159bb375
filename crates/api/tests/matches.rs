//! Matching over HTTP, on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestApp, assert_problem, need, platform};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_backends!(
    stored_need_matches_are_ranked_and_explained,
    adhoc_matching_reads_free_text,
    platforms_see_needs_they_could_serve,
    match_parameters_are_checked
);

async fn setup(app: &TestApp) -> (String, String) {
    let m = app.user("m@example.org", "platform_manager").await;
    let mut exact = platform("Vilnius Exome Lab", "LT", "WES");
    exact["description"] = json!("Clinical exome sequencing of FFPE lung tumours.");
    let mut narrower = platform("Riga DNA Core", "LV", "WES");
    narrower["capabilities"][0]["technology"] = json!("whole-genome-sequencing");
    narrower["maturity_level"] = json!(3);
    let mut home_only = platform("Lisbon Exome Lab", "PT", "WES");
    home_only["accepts_cross_border"] = json!(false);
    let plasma_only = {
        let mut p = platform("Plasma Lab", "EE", "WES");
        p["capabilities"][0]["sample_types"] = json!(["plasma"]);
        p
    };
    for p in [exact, narrower, home_only, plasma_only] {
        let (s, v) = app.post("/api/v1/platforms", Some(&m), p).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let r = app.user("r@example.org", "researcher").await;
    let mut n = need("Exomes for a lung cohort", "LT", "dna-sequencing");
    n["description"] = json!("Exome sequencing of FFPE lung tumours from 40 patients.");
    let (s, v) = app.post("/api/v1/needs", Some(&r), n).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    (v["id"].as_str().unwrap().to_owned(), m)
}

fn names(v: &Value, key: &str) -> Vec<String> {
    v[key].as_array().unwrap().iter().map(|m| m["platform"]["name"].as_str().unwrap().to_owned()).collect()
}

async fn stored_need_matches_are_ranked_and_explained(app: TestApp) {
    let (nid, _) = setup(&app).await;
    let (s, v) = app.get(&format!("/api/v1/needs/{nid}/matches"), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(names(&v, "matches"), ["Vilnius Exome Lab", "Riga DNA Core"], "{v:#}");
    assert!(v.get("excluded").is_none());
    assert_eq!(v["weights"]["technology"], 0.3);
    let top = &v["matches"][0];
    let comps = top["components"].as_array().unwrap();
    assert_eq!(comps.len(), 8);
    let sum: f64 = comps.iter().map(|c| c["contribution"].as_f64().unwrap()).sum();
    assert!((sum - top["score"].as_f64().unwrap()).abs() < 1e-9);
    let reason = |name: &str| comps.iter().find(|c| c["name"] == name).unwrap()["reason"].as_str().unwrap().to_owned();
    assert_eq!(reason("technology"), "Offers whole exome sequencing for DNA sequencing (narrower term); 1 of 1 must-have technology");
    assert_eq!(reason("country"), "Somewhere is in the requester's country (Lithuania)");
    assert!(reason("capacity").starts_with("100 samples/month for 40 samples"), "{}", reason("capacity"));
    assert!(reason("equity").starts_with("1 platform offering DNA sequencing in Lithuania"), "{}", reason("equity"));
    let riga = &v["matches"][1]["components"];
    let country = riga.as_array().unwrap().iter().find(|c| c["name"] == "country").unwrap();
    assert_eq!(country["reason"], "Somewhere (Latvia) borders the requester's country (Lithuania); accepts cross-border samples");

    let (_, v) = app.get(&format!("/api/v1/needs/{nid}/matches?include_excluded=true"), None).await;
    let excluded = v["excluded"].as_array().unwrap();
    let why = |name: &str| {
        excluded.iter().find(|e| e["platform"]["name"] == name).map(|e| e["exclusions"][0]["constraint"].as_str().unwrap().to_owned())
    };
    assert_eq!(why("Lisbon Exome Lab").as_deref(), Some("no_cross_border"));
    assert_eq!(why("Plasma Lab").as_deref(), Some("sample_type_not_accepted"));
    assert_eq!(names(&v, "matches").len(), 2, "excluded platforms never appear among the matches");

    // Weights per request change the ranking and are echoed.
    let (_, v) = app
        .get(&format!("/api/v1/needs/{nid}/matches?weights=technology:0,country:0,text:0,capacity:0,readiness:0,maturity:1"), None)
        .await;
    assert_eq!(names(&v, "matches")[0], "Riga DNA Core");
    assert_eq!(v["weights"]["maturity"], 1.0);
    // Same request, same answer.
    let (_, a) = app.get(&format!("/api/v1/needs/{nid}/matches"), None).await;
    let (_, b) = app.get(&format!("/api/v1/needs/{nid}/matches"), None).await;
    assert_eq!(a, b);
    let (_, v) = app.get(&format!("/api/v1/needs/{nid}/matches?min_score=0.99"), None).await;
    assert!(v["matches"].as_array().unwrap().is_empty());

    // The platforms counted for equity follow the catalogue: a second Lithuanian exome lab
    // halves the first one's equity at once (the counts are kept between matches).
    let m = app.user("m2@example.org", "platform_manager").await;
    let (s, v) = app.post("/api/v1/platforms", Some(&m), platform("Kaunas Exome Lab", "LT", "WES")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, v) = app.get(&format!("/api/v1/needs/{nid}/matches"), None).await;
    let vilnius = v["matches"].as_array().unwrap().iter().find(|m| m["platform"]["name"] == "Vilnius Exome Lab").unwrap();
    let equity = vilnius["components"].as_array().unwrap().iter().find(|c| c["name"] == "equity").unwrap();
    assert!(equity["reason"].as_str().unwrap().starts_with("2 platforms offering DNA sequencing in Lithuania"), "{equity}");
    assert_eq!(equity["value"], 0.5, "{equity}");
}

async fn adhoc_matching_reads_free_text(app: TestApp) {
    setup(&app).await;
    let mut n = need("Exomes", "LT", "whole exom sequencng");
    n["technologies"][0]["technology"] = json!("whole exom sequencng");
    let (s, v) = app.post("/api/v1/matches", None, n).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["readings"][0]["term"], "whole-exome-sequencing", "{v}");
    assert_eq!(v["readings"][0]["field"], "technologies[0].technology", "{v}");
    assert_eq!(v["readings"][0]["confidence"], "high", "{v}");
    assert_eq!(names(&v, "matches"), ["Vilnius Exome Lab"], "WGS does not serve WES");
    let reason = v["matches"][0]["components"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("'whole exom sequencng' read as Whole exome sequencing"), "{reason}");

    let (s, v) = app.post("/api/v1/matches", None, need("X", "LT", "exome or genome")).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "unknown_term");
    assert_eq!(v["errors"][0]["suggestions"][0]["id"], "whole-exome-sequencing", "{v}");
    let (s, v) = app.post("/api/v1/matches?strict=true", None, need("X", "LT", "whole exom sequencng")).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "unknown_term");
    let mut bad = need("X", "LT", "WES");
    bad["sample_count"] = json!(0);
    let (s, v) = app.post("/api/v1/matches", None, bad).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

async fn platforms_see_needs_they_could_serve(app: TestApp) {
    let (nid, m) = setup(&app).await;
    let (_, list) = app.get("/api/v1/platforms?q=vilnius", None).await;
    let pid = list["items"][0]["id"].as_str().unwrap().to_owned();
    let (s, v) = app.get(&format!("/api/v1/platforms/{pid}/matches"), Some(&m)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["matches"][0]["need"]["id"], nid.as_str());
    assert!(v["matches"][0]["score"].as_f64().unwrap() > 0.5);
    // A need whose only technology is a nice-to-have is found by the platforms offering it.
    let r = app.token("r@example.org", "a long enough password").await;
    let mut nice = need("Exomes if possible", "LT", "WES");
    nice["technologies"][0]["required"] = json!(false);
    let (s, created) = app.post("/api/v1/needs", Some(&r), nice).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let (_, v) = app.get(&format!("/api/v1/platforms/{pid}/matches"), Some(&m)).await;
    let ids: Vec<&str> = v["matches"].as_array().unwrap().iter().map(|x| x["need"]["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&created["id"].as_str().unwrap()), "{v}");
    let (_, list) = app.get("/api/v1/platforms?q=plasma", None).await;
    let plasma = list["items"][0]["id"].as_str().unwrap().to_owned();
    let (_, v) = app.get(&format!("/api/v1/platforms/{plasma}/matches?include_excluded=true"), None).await;
    assert!(v["matches"].as_array().unwrap().is_empty(), "{v}");
    assert_eq!(v["excluded"][0]["exclusions"][0]["constraint"], "sample_type_not_accepted");
}

async fn match_parameters_are_checked(app: TestApp) {
    let (nid, _) = setup(&app).await;
    for bad in ["limit=0", "limit=101", "min_score=2", "weights=colour:1", "weights=technology:x", "sideways=1"] {
        let (s, v) = app.get(&format!("/api/v1/needs/{nid}/matches?{bad}"), None).await;
        assert_problem(s, &v, StatusCode::BAD_REQUEST, "invalid_query");
    }
    let (s, v) = app.get("/api/v1/needs/0193a4c2-7b1e-7cc0-8f3a-2b9d5e6f7a81/matches", None).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "not_found");
}
