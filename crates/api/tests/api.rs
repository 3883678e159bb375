//! HTTP-level tests of the real application, each on a database of its own, on SQLite and on
//! PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestApp, assert_problem, need, platform};
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    crud_round_trip,
    search_filters_and_facets,
    search_as_you_type_matches_the_last_word_as_a_prefix,
    a_prefix_before_the_last_word_does_not_widen_the_search,
    vocabulary_input_by_synonym_and_unknown_terms,
    authentication_and_ownership,
    stale_if_match_is_refused,
    pagination_bounds,
    bad_bodies_are_problems,
    visibility_of_drafts_and_anonymous_needs,
    index_catches_up_after_restart,
);

async fn crud_round_trip(app: TestApp) {
    let t = app.user("lisbon@example.org", "platform_manager").await;
    let (s, created, h) = app.req(Method::POST, "/api/v1/platforms", Some(&t), Some(platform("Lisbon Genomics", "portugal", "WES"))).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    assert_eq!(created["country"], "PT");
    assert_eq!(created["capabilities"][0]["technology"], "whole-exome-sequencing");
    assert_eq!(created["version"], 1);
    assert_eq!(h["etag"], "\"1\"");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(h["location"].to_str().unwrap(), format!("/api/v1/platforms/{id}"));

    let (s, got) = app.get(&format!("/api/v1/platforms/{id}"), None).await;
    assert_eq!(s, StatusCode::OK);
    // A write answers with the record and how its values were read; a read with the record.
    let mut stored = created.clone();
    let report = stored.as_object_mut().unwrap();
    assert_eq!(report.remove("readings").unwrap()[0]["typed"], "portugal", "{created}");
    assert_eq!(report.remove("warnings").unwrap(), json!([]));
    assert_eq!(got, stored);

    // Replace: echoing read-only fields back is fine; they are ignored.
    let mut body = got.clone();
    body["name"] = json!("Lisbon Genomics Core");
    body["version"] = json!(99);
    let (s, replaced, h) = app.req(Method::PUT, &format!("/api/v1/platforms/{id}"), Some(&t), Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{replaced}");
    assert_eq!(replaced["name"], "Lisbon Genomics Core");
    assert_eq!(replaced["version"], 2);
    assert_eq!(replaced["created_at"], created["created_at"]);
    assert_eq!(h["etag"], "\"2\"");

    let (s, patched, _) = app
        .req(
            Method::PATCH,
            &format!("/api/v1/platforms/{id}"),
            Some(&t),
            Some(json!({"city": "Porto", "website": "https://g.example.org"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{patched}");
    assert_eq!(patched["city"], "Porto");
    assert_eq!(patched["name"], "Lisbon Genomics Core");
    assert_eq!(patched["version"], 3);
    let (_, patched, _) = app.req(Method::PATCH, &format!("/api/v1/platforms/{id}"), Some(&t), Some(json!({"website": null}))).await;
    assert!(patched.get("website").is_none_or(|w| w.is_null()), "{patched}");

    let (s, _, _) = app.req(Method::DELETE, &format!("/api/v1/platforms/{id}"), Some(&t), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.get(&format!("/api/v1/platforms/{id}"), None).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "not_found");
    let (_, list) = app.get("/api/v1/platforms", None).await;
    assert_eq!(list["total"], 0, "deleted platform is still searchable: {list}");

    // Needs go through the same cycle.
    let r = app.user("vilnius@example.org", "researcher").await;
    let (s, n) = app.post("/api/v1/needs", Some(&r), need("scRNA-seq of NSCLC", "Lithuania", "scRNA-seq")).await;
    assert_eq!(s, StatusCode::CREATED, "{n}");
    assert_eq!(n["country"], "LT");
    assert_eq!(n["technologies"][0]["technology"], "single-cell-rna-sequencing");
    assert_eq!(n["status"], "open");
    let nid = n["id"].as_str().unwrap();
    // The need's life is a table: in_discussion comes from an accepted introduction, not a
    // patch; the owner may withdraw it.
    let (s, n2, _) = app.req(Method::PATCH, &format!("/api/v1/needs/{nid}"), Some(&r), Some(json!({"status": "in_discussion"}))).await;
    assert_problem(s, &n2, StatusCode::CONFLICT, "invalid_transition");
    let (s, n2, _) = app.req(Method::PATCH, &format!("/api/v1/needs/{nid}"), Some(&r), Some(json!({"status": "withdrawn"}))).await;
    assert_eq!(s, StatusCode::OK, "{n2}");
    assert_eq!(n2["status"], "withdrawn");
    let (s, _, _) = app.req(Method::DELETE, &format!("/api/v1/needs/{nid}"), Some(&r), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

async fn search_filters_and_facets(app: TestApp) {
    let t = app.user("m@example.org", "platform_manager").await;
    for (name, country, tech) in [
        ("Ghent Single Cell Core", "BE", "scRNA-seq"),
        ("Leuven Spatial Lab", "BE", "Visium"),
        ("Brussels Exome Service", "BE", "WES"),
        ("Paris Single Cell Platform", "FR", "snRNA-seq"),
    ] {
        let (s, v) = app.post("/api/v1/platforms", Some(&t), platform(name, country, tech)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (s, v) = app.get("/api/v1/platforms?q=single%20cell&country=BE", None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["items"][0]["name"], "Ghent Single Cell Core");
    assert_eq!(v["facets"]["country"][0], json!({"id": "BE", "label": "Belgium", "count": 1}));

    // One typo per word is forgiven.
    let (_, v) = app.get("/api/v1/platforms?q=singel%20cell", None).await;
    assert_eq!(v["total"], 2, "{v}");

    // A family includes its narrower terms; facets count over all matches.
    let (_, v) = app.get("/api/v1/platforms?technology=single-cell-omics", None).await;
    assert_eq!(v["total"], 2, "{v}");
    let (_, v) = app.get("/api/v1/platforms", None).await;
    assert_eq!(v["total"], 4);
    let country = &v["facets"]["country"];
    assert_eq!(country[0], json!({"id": "BE", "label": "Belgium", "count": 3}), "{v}");
    assert_eq!(country[1]["count"], 1);
    let techs = v["facets"]["technology"].as_array().unwrap();
    let count_of = |id: &str| techs.iter().find(|f| f["id"] == id).map(|f| f["count"].as_u64().unwrap());
    assert_eq!(count_of("whole-exome-sequencing"), Some(1));
    assert_eq!(count_of("single-cell-omics"), Some(2));
    assert_eq!(v["facets"]["readiness_area"][0]["count"], 4);

    // Several values of one filter: any of them.
    let (_, v) = app.get("/api/v1/platforms?country=FR,Belgium&technology=WES,snRNA-seq", None).await;
    assert_eq!(v["total"], 2, "{v}");

    // Sort by name.
    let (_, v) = app.get("/api/v1/platforms?sort=name", None).await;
    let names: Vec<_> = v["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted);

    // Needs: cancer type filter includes narrower OncoTree codes.
    let r = app.user("r@example.org", "researcher").await;
    app.post("/api/v1/needs", Some(&r), need("Lung cohort", "LT", "WES")).await;
    let mut breast = need("Breast cohort", "LV", "WGS");
    breast["cancer_type"] = json!("BRCA");
    app.post("/api/v1/needs", Some(&r), breast).await;
    let (_, v) = app.get("/api/v1/needs?cancer_type=NSCLC", None).await;
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["items"][0]["title"], "Lung cohort");
    let (_, v) = app.get("/api/v1/needs?q=cohort&technology=dna-sequencing", None).await;
    assert_eq!(v["total"], 2, "{v}");
    let (s, v) = app.get("/api/v1/platforms?cancer_type=LUAD", None).await;
    assert_problem(s, &v, StatusCode::BAD_REQUEST, "invalid_query");
}

/// Platforms for the search-as-you-type tests: only the first is single-cell, only the last
/// proteomics.
async fn typing_platforms(app: &TestApp) {
    let t = app.user("typing@example.org", "platform_manager").await;
    for (name, country, tech) in
        [("Tartu Transcriptomics Lab", "EE", "scRNA-seq"), ("Brussels Exome Service", "BE", "WES"), ("Oslo Mass Spec Core", "NO", "DIA-MS")]
    {
        let (s, v) = app.post("/api/v1/platforms", Some(&t), platform(name, country, tech)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
}

async fn names_found(app: &TestApp, path: &str) -> Vec<String> {
    let (s, v) = app.get(path, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let names: Vec<String> = v["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(v["total"], names.len(), "{v}");
    names
}

async fn search_as_you_type_matches_the_last_word_as_a_prefix(app: TestApp) {
    typing_platforms(&app).await;
    let tartu = vec!["Tartu Transcriptomics Lab".to_owned()];
    // The text says "Single-cell RNA sequencing"; the stemmed terms are "singl" and "cell".
    for q in ["single%20cel", "single%20ce", "singl", "sing", "single%20cell", "single-cell", "single%20cells", "singel%20cell"] {
        assert_eq!(names_found(&app, &format!("/api/v1/platforms?q={q}")).await, tartu, "q={q}");
    }
    // Cut short after the stem: "transcriptomi" is neither a stem nor a prefix of one.
    assert_eq!(names_found(&app, "/api/v1/platforms?q=transcriptomi").await, tartu);
    assert_eq!(names_found(&app, "/api/v1/platforms?q=prote").await, ["Oslo Mass Spec Core"]);
    assert_eq!(names_found(&app, "/api/v1/platforms?q=mass%20spectrom").await, ["Oslo Mass Spec Core"]);
    // Other words still must match: a prefix does not stand in for them.
    assert!(names_found(&app, "/api/v1/platforms?q=brussels%20prote").await.is_empty());

    // Needs too.
    let r = app.user("typing-r@example.org", "researcher").await;
    let (s, v) = app.post("/api/v1/needs", Some(&r), need("Proteomics of a lung cohort", "LT", "DIA-MS")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    app.post("/api/v1/needs", Some(&r), need("Exomes of a breast cohort", "LV", "WES")).await;
    let (_, v) = app.get("/api/v1/needs?q=prote", None).await;
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["items"][0]["title"], "Proteomics of a lung cohort");
    let (_, v) = app.get("/api/v1/needs?q=cohor", None).await;
    assert_eq!(v["total"], 2, "{v}");
}

async fn a_prefix_before_the_last_word_does_not_widen_the_search(app: TestApp) {
    typing_platforms(&app).await;
    assert_eq!(names_found(&app, "/api/v1/platforms?q=single%20cel").await, ["Tartu Transcriptomics Lab"]);
    // The same words the other way round: "cel" is no longer being typed and matches no word.
    assert!(names_found(&app, "/api/v1/platforms?q=cel%20single").await.is_empty());
    assert_eq!(names_found(&app, "/api/v1/platforms?q=brussels%20exo").await, ["Brussels Exome Service"]);
    assert!(names_found(&app, "/api/v1/platforms?q=exo%20brussels").await.is_empty());
    assert!(names_found(&app, "/api/v1/platforms?q=prote%20oslo").await.is_empty());
    // A one-letter last word is no prefix: "oslo m" would otherwise find the Oslo platform.
    assert!(names_found(&app, "/api/v1/platforms?q=oslo%20m").await.is_empty());
    assert_eq!(names_found(&app, "/api/v1/platforms?q=oslo%20ma").await, ["Oslo Mass Spec Core"]);
}

async fn vocabulary_input_by_synonym_and_unknown_terms(app: TestApp) {
    let t = app.user("m@example.org", "platform_manager").await;
    let mut p = platform("X", "be", "10x Chromium");
    p["capabilities"][0]["sample_types"] = json!(["FFPE", "Fresh Frozen"]);
    p["capabilities"][0]["accreditations"] = json!(["iso15189"]);
    p["readiness_areas"] = json!(["Routine Care"]);
    let (s, v) = app.post("/api/v1/platforms", Some(&t), p).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["country"], "BE");
    assert_eq!(v["capabilities"][0]["sample_types"], json!(["ffpe-tissue", "fresh-frozen-tissue"]));
    assert_eq!(v["capabilities"][0]["accreditations"], json!(["iso-15189"]));
    assert_eq!(v["readiness_areas"], json!(["routine-care"]));

    // A technology not read with confidence: the capability is held as typed, never matched;
    // a strict client is refused instead.
    let (s, v) = app.post("/api/v1/platforms", Some(&t), platform("Y", "BE", "exome or genome")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["capabilities"], json!([]), "{v}");
    assert_eq!(v["held_capabilities"][0]["technology"], "exome or genome", "{v}");
    assert_eq!(v["warnings"][0]["code"], "capability_held", "{v}");
    let ids: Vec<&str> = v["warnings"][0]["suggestions"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"whole-exome-sequencing"), "{v}");
    let (s, v) = app.post("/api/v1/platforms?strict=true", Some(&t), platform("Y2", "BE", "exome or genome")).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "unknown_term");
    assert_eq!(v["errors"][0]["field"], "capabilities[0].technology");
    assert_eq!(v["errors"][0]["suggestions"][0]["id"], "whole-exome-sequencing", "{v}");

    let (s, v) = app.post("/api/v1/platforms", Some(&t), platform("Y", "Atlantis", "WES")).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "unknown_term");
    assert_eq!(v["errors"][0]["field"], "country");

    let (s, v) = app.get("/api/v1/platforms?technology=exome%20or%20genome", None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["field"], "technology");

    let (s, v) = app.get("/api/v1/vocabularies/technologies/resolve?value=sc%20RNA%20seq", None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["term"]["id"], "single-cell-rna-sequencing");
    let (s, v) = app.get("/api/v1/vocabularies/countries", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["terms"].as_array().unwrap().iter().any(|c| c["id"] == "PT" && c["lat"].is_number()));
    let (s, v) = app.get("/api/v1/vocabularies/nope", None).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "not_found");

    // Several problems at once, each with its path.
    let mut bad = platform("Z", "BE", "WES");
    bad["maturity_level"] = json!(9);
    bad["contact_email"] = json!("nope");
    bad["capabilites"] = json!([]);
    let (s, v) = app.post("/api/v1/platforms", Some(&t), bad).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(v["errors"][0]["field"], "capabilites", "{v}");
}

async fn authentication_and_ownership(app: TestApp) {
    let (s, v) = app.post("/api/v1/platforms", None, platform("X", "BE", "WES")).await;
    assert_problem(s, &v, StatusCode::UNAUTHORIZED, "missing_token");
    let (s, v) = app.post("/api/v1/platforms", Some("garbage.token.here"), platform("X", "BE", "WES")).await;
    assert_problem(s, &v, StatusCode::UNAUTHORIZED, "invalid_token");

    let owner = app.user("owner@example.org", "platform_manager").await;
    let other = app.user("other@example.org", "platform_manager").await;
    let researcher = app.user("res@example.org", "researcher").await;
    let (s, v) = app.post("/api/v1/platforms", Some(&researcher), platform("X", "BE", "WES")).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "forbidden");

    let (_, p) = app.post("/api/v1/platforms", Some(&owner), platform("X", "BE", "WES")).await;
    let path = format!("/api/v1/platforms/{}", p["id"].as_str().unwrap());
    let (s, v, _) = app.req(Method::PATCH, &path, Some(&other), Some(json!({"name": "Hijacked"}))).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "forbidden");
    let (s, v, _) = app.req(Method::DELETE, &path, Some(&other), None).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "forbidden");
    let (s, v, _) = app.req(Method::DELETE, &path, None, None).await;
    assert_problem(s, &v, StatusCode::UNAUTHORIZED, "missing_token");

    // No admin through the API; emails are one account; wrong passwords are refused.
    let (s, v) = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "a@example.org", "password": "a long enough password", "display_name": "A", "role": "admin"}),
        )
        .await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let (s, v) = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "OWNER@example.org", "password": "a long enough password", "display_name": "A", "role": "researcher"}),
        )
        .await;
    assert_problem(s, &v, StatusCode::CONFLICT, "email_taken");
    let (s, v) = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "b@example.org", "password": "short", "display_name": "B", "role": "researcher"}),
        )
        .await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(v["errors"][0]["field"], "password");
    let (s, v) = app.post("/api/v1/auth/token", None, json!({"email": "owner@example.org", "password": "wrong password here"})).await;
    assert_problem(s, &v, StatusCode::UNAUTHORIZED, "invalid_credentials");
    let (s, v) = app.get("/api/v1/auth/me", Some(&owner)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["email"], "owner@example.org");
    assert_eq!(v["role"], "platform_manager");
}

async fn stale_if_match_is_refused(app: TestApp) {
    let t = app.user("m@example.org", "platform_manager").await;
    let (_, p) = app.post("/api/v1/platforms", Some(&t), platform("X", "BE", "WES")).await;
    let path = format!("/api/v1/platforms/{}", p["id"].as_str().unwrap());
    let ok = app
        .client
        .patch(format!("{}{path}", app.base))
        .bearer_auth(&t)
        .header("If-Match", "\"1\"")
        .json(&json!({"city": "Gent"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let stale = app
        .client
        .patch(format!("{}{path}", app.base))
        .bearer_auth(&t)
        .header("If-Match", "\"1\"")
        .json(&json!({"city": "Liège"}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.headers()["etag"], "\"2\"");
    assert_eq!(stale.headers()["content-type"], "application/problem+json");
    let v: serde_json::Value = stale.json().await.unwrap();
    assert_eq!(v["code"], "precondition_failed");
    let del = app.client.delete(format!("{}{path}", app.base)).bearer_auth(&t).header("If-Match", "\"1\"").send().await.unwrap();
    assert_eq!(del.status(), StatusCode::PRECONDITION_FAILED);
    let (_, now) = app.get(&path, None).await;
    assert_eq!(now["city"], "Gent");
}

async fn pagination_bounds(app: TestApp) {
    let t = app.user("m@example.org", "platform_manager").await;
    for i in 0..5 {
        app.post("/api/v1/platforms", Some(&t), platform(&format!("P{i}"), "BE", "WES")).await;
    }
    let (_, v) = app.get("/api/v1/platforms?limit=2", None).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
    assert_eq!(v["total"], 5);
    assert_eq!(v["next_offset"], 2);
    let (_, v2) = app.get("/api/v1/platforms?limit=2&offset=4", None).await;
    assert_eq!(v2["items"].as_array().unwrap().len(), 1);
    assert!(v2.get("next_offset").is_none());
    let mut seen = std::collections::HashSet::new();
    for off in [0, 2, 4] {
        let (_, page) = app.get(&format!("/api/v1/platforms?limit=2&offset={off}"), None).await;
        for p in page["items"].as_array().unwrap() {
            assert!(seen.insert(p["id"].as_str().unwrap().to_owned()), "a record appeared on two pages");
        }
    }
    assert_eq!(seen.len(), 5);
    for bad in ["limit=0", "limit=101", "offset=10001", "limit=abc", "sort=sideways", "colour=blue"] {
        let (s, v) = app.get(&format!("/api/v1/platforms?{bad}"), None).await;
        assert_problem(s, &v, StatusCode::BAD_REQUEST, "invalid_query");
    }
}

async fn bad_bodies_are_problems(app: TestApp) {
    let t = app.user("m@example.org", "platform_manager").await;
    let url = format!("{}/api/v1/platforms", app.base);
    let res = app.client.post(&url).bearer_auth(&t).header("content-type", "application/json").body("{\"name\": ").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["code"], "malformed_json");

    let res = app.client.post(&url).bearer_auth(&t).header("content-type", "text/plain").body("{}").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["code"], "unsupported_media_type");

    let mut big = platform("Big", "BE", "WES");
    big["description"] = json!("x".repeat(100 * 1024));
    let res = app.client.post(&url).bearer_auth(&t).json(&big).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["code"], "payload_too_large");

    let (s, v) = app.post("/api/v1/platforms", Some(&t), json!([1, 2, 3])).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let (s, v) = app.get("/api/v1/nothing-here", None).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "route_not_found");
    let (s, v, _) = app.req(Method::DELETE, "/api/v1/platforms", Some(&t), None).await;
    assert_problem(s, &v, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    let (s, v) = app.get("/api/v1/platforms/not-a-uuid", None).await;
    assert_problem(s, &v, StatusCode::BAD_REQUEST, "invalid_path");

    // Health and service-info answer.
    let (s, v) = app.get("/api/v1/health/ready", None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["index_lag"], 0);
    let (s, v) = app.get("/api/v1/service-info", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["type"]["artifact"], "omics-match");
    let (s, v) = app.get("/api-docs/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["openapi"], "3.1.0");
}

async fn visibility_of_drafts_and_anonymous_needs(app: TestApp) {
    let owner = app.user("owner@example.org", "platform_manager").await;
    let other = app.user("other@example.org", "researcher").await;
    let mut draft = platform("Draft Lab", "BE", "WES");
    draft["status"] = json!("draft");
    let (_, p) = app.post("/api/v1/platforms", Some(&owner), draft).await;
    let path = format!("/api/v1/platforms/{}", p["id"].as_str().unwrap());
    let (s, _) = app.get(&path, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&path, Some(&other)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&path, Some(&owner)).await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = app.get("/api/v1/platforms", None).await;
    assert_eq!(v["total"], 0);
    let (_, v) = app.get("/api/v1/platforms?mine=true", Some(&owner)).await;
    assert_eq!(v["total"], 1, "{v}");
    let mut pending = platform("Sneaky", "BE", "WES");
    pending["status"] = json!("pending_review");
    let (s, v) = app.post("/api/v1/platforms", Some(&owner), pending).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    let mut anon = need("Anonymous request", "LT", "WES");
    anon["visibility"] = json!("anonymous");
    let (_, n) = app.post("/api/v1/needs", Some(&other), anon).await;
    let npath = format!("/api/v1/needs/{}", n["id"].as_str().unwrap());
    assert!(n["owner_id"].is_string(), "the owner sees their own id");
    let (_, seen) = app.get(&npath, None).await;
    assert!(seen["owner_id"].is_null(), "{seen}");
    let (_, seen) = app.get(&npath, Some(&owner)).await;
    assert!(seen["owner_id"].is_null(), "{seen}");
    let (_, list) = app.get("/api/v1/needs", None).await;
    assert!(list["items"][0]["owner_id"].is_null());
}

async fn index_catches_up_after_restart(app: TestApp) {
    let t = app.user("m@example.org", "platform_manager").await;
    let (s, _) = app.post("/api/v1/platforms", Some(&t), platform("Before Crash", "BE", "WES")).await;
    assert_eq!(s, StatusCode::CREATED);
    let store = app.state.store.clone();
    let owner = store.user_by_email("m@example.org").unwrap().unwrap().id;
    let (db, dir) = app.stop().await;
    // A write committed to the database whose index commit never happened (as after a crash
    // between the two): the restarted service must find it.
    common::insert_platform(&store, owner, platform("Committed Not Indexed", "NL", "WGS"));
    drop(store);
    let app = TestApp::spawn_on(db, dir).await;
    let (_, v) = app.get("/api/v1/platforms?q=committed", None).await;
    assert_eq!(v["total"], 1, "{v}");
    let (_, v) = app.get("/api/v1/platforms", None).await;
    assert_eq!(v["total"], 2, "{v}");
}

mod tokens {
    use super::*;

    #[actix_web::test]
    async fn rate_limits_answer_429_with_retry_after() {
        let app = TestApp::spawn_with(omics_store::Backend::Sqlite, |s| {
            s.rate_limit_auth_per_minute = 3;
            s.rate_limit_anonymous_match_per_minute = 2;
        })
        .await;
        let token = app.user("rl@example.org", "researcher").await; // 2 auth requests
        let (s, _) = app.post("/api/v1/auth/token", None, json!({"email": "rl@example.org", "password": "a long enough password"})).await;
        assert_eq!(s, StatusCode::OK);
        let (s, v, h) = app.req(Method::POST, "/api/v1/auth/token", None, Some(json!({"email": "rl@example.org", "password": "x"}))).await;
        assert_problem(s, &v, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
        let wait: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        // Anonymous matching is limited; signed-in matching is not.
        for _ in 0..2 {
            let (s, v) = app.post("/api/v1/matches", None, need("N", "LT", "WES")).await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        let (s, v) = app.post("/api/v1/matches", None, need("N", "LT", "WES")).await;
        assert_problem(s, &v, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
        let (s, _) = app.post("/api/v1/matches", Some(&token), need("N", "LT", "WES")).await;
        assert_eq!(s, StatusCode::OK);
    }

    #[actix_web::test]
    async fn a_password_change_revokes_older_tokens() {
        let app = TestApp::spawn(omics_store::Backend::Sqlite).await;
        let old = app.user("p@example.org", "researcher").await;
        let (s, v) = app
            .post(
                "/api/v1/auth/password",
                Some(&old),
                json!({"current_password": "wrong password!!", "new_password": "another long password"}),
            )
            .await;
        assert_problem(s, &v, StatusCode::UNAUTHORIZED, "invalid_credentials");
        let (s, _) = app
            .post(
                "/api/v1/auth/password",
                Some(&old),
                json!({"current_password": "a long enough password", "new_password": "another long password"}),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, v) = app.get("/api/v1/auth/me", Some(&old)).await;
        assert_problem(s, &v, StatusCode::UNAUTHORIZED, "invalid_token");
        let new = app.token("p@example.org", "another long password").await;
        let (s, _) = app.get("/api/v1/auth/me", Some(&new)).await;
        assert_eq!(s, StatusCode::OK);
    }
}

mod concurrency {
    use super::*;

    #[actix_web::test]
    async fn concurrent_patches_without_if_match_all_succeed() {
        let app = TestApp::spawn(omics_store::Backend::Sqlite).await;
        let t = app.user("m@example.org", "platform_manager").await;
        let (_, p) = app.post("/api/v1/platforms", Some(&t), platform("Busy Lab", "BE", "WES")).await;
        let path = format!("/api/v1/platforms/{}", p["id"].as_str().unwrap());
        let patches = (0..12).map(|i| {
            let (client, url, t) = (app.client.clone(), format!("{}{path}", app.base), t.clone());
            async move { client.patch(url).bearer_auth(t).json(&json!({"city": format!("City {i}")})).send().await.unwrap().status() }
        });
        let statuses = futures_util::future::join_all(patches).await;
        assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
        let (_, now) = app.get(&path, None).await;
        assert_eq!(now["version"], 13, "every patch was applied once");
    }
}
