//! "Others like this one" on both backends: the platforms most alike come first, with reasons
//! that say what is shared; drafts, the platform itself and platforms of another family are
//! not shown; a hidden platform is 404 as everywhere.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestApp, assert_problem, platform};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_backends!(similar_platforms_share_what_they_offer);

async fn create(app: &TestApp, token: &str, name: &str, techs: &[&str], area: &str, description: &str, status: &str) -> String {
    let mut p = platform(name, "BE", techs[0]);
    p["capabilities"] =
        Value::Array(techs.iter().map(|t| json!({"technology": t, "sample_types": ["ffpe-tissue"], "monthly_capacity": 20})).collect());
    p["readiness_areas"] = json!([area]);
    p["description"] = json!(description);
    p["status"] = json!(status);
    let (s, v) = app.post("/api/v1/platforms", Some(token), p).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

async fn similar_platforms_share_what_they_offer(app: TestApp) {
    let m = app.user("m@example.org", "platform_manager").await;
    let wes = ["whole-exome-sequencing"];
    let a = create(&app, &m, "Ghent Exomes", &wes, "translational-research", "Tumour exomes and germline panels.", "published").await;
    let b = create(&app, &m, "Leuven Exomes", &wes, "translational-research", "Tumour exomes for cohorts.", "published").await;
    let c = create(&app, &m, "Antwerp Genomes", &["whole-genome-sequencing"], "routine-care", "Genomes.", "published").await;
    let d = create(&app, &m, "Liège Metabolites", &["untargeted-metabolomics"], "routine-care", "Metabolites.", "published").await;
    let e = create(&app, &m, "Draft Exomes", &wes, "translational-research", "Tumour exomes, soon.", "draft").await;
    // Let the index take the writes.
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;

    let (s, v) = app.get(&format!("/api/v1/platforms/{a}/similar"), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["platform_id"], a.as_str());
    let ids: Vec<&str> = v["items"].as_array().unwrap().iter().map(|i| i["platform"]["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [b.as_str(), c.as_str()], "{v}");
    for hidden in [&a, &d, &e] {
        assert!(!ids.contains(&hidden.as_str()), "{hidden} is shown: {v}");
    }
    let first = &v["items"][0];
    let scores: Vec<f64> = v["items"].as_array().unwrap().iter().map(|i| i["score"].as_f64().unwrap()).collect();
    assert!(scores[0] > scores[1], "{scores:?}");
    let sum: f64 = first["likeness"].as_array().unwrap().iter().map(|l| l["contribution"].as_f64().unwrap()).sum();
    assert!((sum - scores[0]).abs() < 1e-9, "the score is the sum of the contributions: {first}");
    let reason = |item: &Value, aspect: &str| {
        item["likeness"].as_array().unwrap().iter().find(|l| l["aspect"] == aspect).unwrap()["reason"].as_str().unwrap().to_owned()
    };
    assert_eq!(reason(first, "technology"), "both offer Whole exome sequencing");
    assert_eq!(reason(first, "readiness"), "both serve translational research");
    assert!(reason(first, "text").contains("exomes") && reason(first, "text").contains("tumour"), "{first}");
    assert_eq!(reason(&v["items"][1], "technology"), "both work in dna sequencing");
    assert_eq!(reason(&v["items"][1], "readiness"), "no readiness area in common");

    let (s, v) = app.get(&format!("/api/v1/platforms/{a}/similar?limit=1"), None).await;
    assert_eq!((s, v["items"].as_array().unwrap().len()), (StatusCode::OK, 1));
    // The draft is its owner's: to others it does not exist.
    let (s, v) = app.get(&format!("/api/v1/platforms/{e}/similar"), None).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "not_found");
    let (s, v) = app.get(&format!("/api/v1/platforms/{e}/similar"), Some(&m)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let top: Vec<&str> = v["items"].as_array().unwrap().iter().take(2).map(|i| i["platform"]["id"].as_str().unwrap()).collect();
    assert!(top.contains(&a.as_str()) && top.contains(&b.as_str()), "the two published exome labs come first: {v}");
    let (s, v) = app.get(&format!("/api/v1/platforms/{a}/similar?limit=0"), None).await;
    assert_problem(s, &v, StatusCode::BAD_REQUEST, "invalid_query");
}
