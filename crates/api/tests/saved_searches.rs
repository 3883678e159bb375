//! Saved searches on both backends: what a search finds when saved is not news; a record that
//! enters its results later (created, or changed into them) gives one `saved_search.hit`,
//! however often it changes again and however often the follower restarts, with changes made
//! while the service was down picked up from the cursor in the database. A need's saved search
//! follows the platforms that match it above `min_score`. No hit names an anonymous requester.
//! The refusals of the routes too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{TestApp, assert_problem, need, platform};
use omics_store::Backend;
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_backends!(saved_search_routes_refuse_what_they_cannot_follow);

/// The saved-search events in `token`'s feed, oldest first.
async fn hits_in_feed(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, v) = app.get("/api/v1/notifications?limit=100", Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut out: Vec<Value> = v["items"].as_array().unwrap().iter().filter(|e| e["kind"] == "saved_search.hit").cloned().collect();
    out.reverse();
    out
}

/// Wait until saved search `id` has `n` hits; then check it stays there a moment.
async fn wait_hits(app: &TestApp, token: &str, id: &str, n: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (s, v) = app.get(&format!("/api/v1/saved-searches/{id}"), Some(token)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let hits = v["hits"].as_u64().unwrap();
        assert!(hits <= n, "saved search {id} has {hits} hits, expected {n}: {v}");
        if hits == n {
            break;
        }
        assert!(Instant::now() < deadline, "saved search {id} has {hits} hits after 20 s, expected {n}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    // Several follower rounds (every 100 ms): nothing more comes.
    actix_web::rt::time::sleep(Duration::from_millis(400)).await;
    let (_, page) = app.get(&format!("/api/v1/saved-searches/{id}/hits?limit=100"), Some(token)).await;
    assert_eq!(page["total"], n, "{page}");
    page
}

/// The record ids of a page of hits, newest first.
fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|h| h["record_id"].as_str().unwrap().to_owned()).collect()
}

async fn create_platform(app: &TestApp, token: &str, name: &str, tech: &str) -> String {
    let mut p = platform(name, "BE", tech);
    p["status"] = json!("published");
    let (s, v) = app.post("/api/v1/platforms", Some(token), p).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

async fn patch(app: &TestApp, token: &str, path: &str, body: Value) {
    let (s, v, _) = app.req(reqwest::Method::PATCH, path, Some(token), Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

#[actix_web::test]
async fn a_hit_is_notified_once_across_restarts_on_sqlite() {
    a_hit_is_notified_once_across_restarts(Backend::Sqlite).await;
}

#[actix_web::test]
async fn a_hit_is_notified_once_across_restarts_on_postgres() {
    a_hit_is_notified_once_across_restarts(Backend::Postgres).await;
}

async fn a_hit_is_notified_once_across_restarts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let researcher = app.user("r@vilnius.example", "researcher").await;
    let manager = app.user("m@lisbon.example", "platform_manager").await;
    let old = create_platform(&app, &manager, "Old Exome Lab", "whole-exome-sequencing").await;

    // The researcher follows exome platforms, and the matches of her need; the manager
    // follows needs for exomes (hers include an anonymous one).
    let (s, platforms) = app
        .post(
            "/api/v1/saved-searches",
            Some(&researcher),
            json!({"name": "Exome labs", "kind": "platform", "query": {"technology": "WES"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{platforms}");
    assert_eq!(platforms["query"], json!({"technology": "WES"}), "{platforms}");
    let platforms_id = platforms["id"].as_str().unwrap().to_owned();
    let mut n = need("Exomes for a lung cohort", "LT", "whole-exome-sequencing");
    n["visibility"] = json!("anonymous");
    let (_, n) = app.post("/api/v1/needs", Some(&researcher), n).await;
    let need_id = n["id"].as_str().unwrap().to_owned();
    let (s, matches) =
        app.post("/api/v1/saved-searches", Some(&researcher), json!({"name": "Partners for my cohort", "need_id": need_id})).await;
    assert_eq!(s, StatusCode::CREATED, "{matches}");
    assert_eq!((&matches["kind"], &matches["min_score"]), (&json!("platform"), &json!(0.5)), "{matches}");
    let matches_id = matches["id"].as_str().unwrap().to_owned();
    let (s, needs) = app
        .post("/api/v1/saved-searches", Some(&manager), json!({"name": "Exome demand", "kind": "needs", "query": {"q": "exomes"}}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{needs}");
    let needs_id = needs["id"].as_str().unwrap().to_owned();

    // What they found when saved (the old lab; the need was posted before the manager saved)
    // is not news.
    wait_hits(&app, &researcher, &platforms_id, 0).await;
    wait_hits(&app, &researcher, &matches_id, 0).await;
    wait_hits(&app, &manager, &needs_id, 0).await;
    assert!(hits_in_feed(&app, &researcher).await.is_empty());

    // A new exome lab: one hit in each of the researcher's searches.
    let new = create_platform(&app, &manager, "New Exome Lab", "whole-exome-sequencing").await;
    assert_eq!(ids(&wait_hits(&app, &researcher, &platforms_id, 1).await), [new.as_str()]);
    assert_eq!(ids(&wait_hits(&app, &researcher, &matches_id, 1).await), [new.as_str()]);
    let feed = hits_in_feed(&app, &researcher).await;
    assert_eq!(feed.len(), 2, "{feed:?}");
    for e in &feed {
        assert_eq!(e["data"]["platform_id"], new, "{e}");
        assert!([&platforms_id, &matches_id].contains(&&e["data"]["saved_search_id"].as_str().unwrap().to_owned()), "{e}");
    }

    // Changes to records already in the results are not news, nor is one outside them; a
    // record changed into the results is.
    patch(&app, &manager, &format!("/api/v1/platforms/{new}"), json!({"description": "Exomes, now faster."})).await;
    patch(&app, &manager, &format!("/api/v1/platforms/{old}"), json!({"description": "Exomes, still."})).await;
    let genomes = create_platform(&app, &manager, "Genome Lab", "whole-genome-sequencing").await;
    wait_hits(&app, &researcher, &platforms_id, 1).await;
    let mut p = platform("Genome Lab", "BE", "whole-genome-sequencing");
    p["capabilities"] = json!([
        {"technology": "whole-genome-sequencing", "instruments": [], "sample_types": ["ffpe-tissue"], "monthly_capacity": 50},
        {"technology": "whole-exome-sequencing", "instruments": [], "sample_types": ["ffpe-tissue"], "monthly_capacity": 50}
    ]);
    patch(&app, &manager, &format!("/api/v1/platforms/{genomes}"), json!({"capabilities": p["capabilities"]})).await;
    assert_eq!(ids(&wait_hits(&app, &researcher, &platforms_id, 2).await), [genomes.clone(), new.clone()]);

    // The manager's search of needs: a new anonymous need is a hit, naming no one.
    let mut other = need("More exomes for a melanoma cohort", "LT", "whole-exome-sequencing");
    other["visibility"] = json!("anonymous");
    let (_, other) = app.post("/api/v1/needs", Some(&researcher), other).await;
    assert_eq!(ids(&wait_hits(&app, &manager, &needs_id, 1).await), [other["id"].as_str().unwrap().to_owned()]);
    let (_, me) = app.get("/api/v1/auth/me", Some(&researcher)).await;
    let manager_feed = hits_in_feed(&app, &manager).await;
    assert_eq!(manager_feed.len(), 1, "{manager_feed:?}");
    let text = serde_json::to_string(&manager_feed).unwrap();
    for secret in ["r@vilnius.example", me["id"].as_str().unwrap()] {
        assert!(!text.contains(secret), "a saved-search hit names the anonymous requester ({secret}): {text}");
    }

    // Restarts: the follower replays nothing it has recorded, and picks up what changed while
    // the service was down from the cursor in the database.
    // The genome lab that took up exomes entered the need's matches too.
    assert_eq!(ids(&wait_hits(&app, &researcher, &matches_id, 2).await), [genomes.clone(), new.clone()]);
    let before = hits_in_feed(&app, &researcher).await.len();
    assert_eq!(before, 4);
    for _ in 0..3 {
        assert_eq!(app.state.follow_saved_searches().unwrap(), 0, "a follower round found old hits again");
    }
    let (db, dir) = app.stop().await;
    let app = TestApp::spawn_on(db.clone(), dir.clone()).await;
    wait_hits(&app, &researcher, &platforms_id, 2).await;
    let store = app.state.store.clone();
    let (db, dir) = app.stop().await;
    // Written while no service runs, straight into the database.
    let owner = store.user_by_email("m@lisbon.example").unwrap().unwrap().id;
    let mut offline = platform("Offline Exome Lab", "BE", "whole-exome-sequencing");
    offline["status"] = json!("published");
    let offline = common::insert_platform(&store, owner, offline).to_string();
    drop(store);
    let app = TestApp::spawn_on(db.clone(), dir.clone()).await;
    let page = wait_hits(&app, &researcher, &platforms_id, 3).await;
    assert_eq!(ids(&page)[0], offline, "{page}");
    let (db, dir) = app.stop().await;
    let app = TestApp::spawn_on(db, dir).await;
    wait_hits(&app, &researcher, &platforms_id, 3).await;
    let feed = hits_in_feed(&app, &researcher).await;
    let offline_events = feed.iter().filter(|e| e["data"]["platform_id"] == offline.as_str()).count();
    // Once in the search of exome labs, once in the need's matches.
    assert_eq!(offline_events, 2, "{feed:?}");
    assert_eq!(feed.len(), before + 2, "{feed:?}");
    let mut seen = std::collections::HashSet::new();
    for e in &feed {
        let key = (e["data"]["saved_search_id"].to_string(), e["data"]["platform_id"].to_string());
        assert!(seen.insert(key), "notified twice: {e}");
    }

    // Deleting a saved search ends it.
    let (s, _, _) = app.req(reqwest::Method::DELETE, &format!("/api/v1/saved-searches/{platforms_id}"), Some(&researcher), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.get(&format!("/api/v1/saved-searches/{platforms_id}"), Some(&researcher)).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "not_found");
    let (_, list) = app.get("/api/v1/saved-searches", Some(&researcher)).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], matches_id.as_str());
}

async fn saved_search_routes_refuse_what_they_cannot_follow(app: TestApp) {
    let researcher = app.user("r@example.org", "researcher").await;
    let other = app.user("o@example.org", "researcher").await;
    let (_, n) = app.post("/api/v1/needs", Some(&other), need("Someone else's need", "LT", "WES")).await;
    let post = |token: Option<&str>, body: Value| {
        let token = token.map(str::to_owned);
        let app = &app;
        async move { app.post("/api/v1/saved-searches", token.as_deref(), body).await }
    };
    let r = Some(researcher.as_str());
    let (s, v) = post(None, json!({"name": "x", "kind": "platform"})).await;
    assert_problem(s, &v, StatusCode::UNAUTHORIZED, "missing_token");
    for (body, field) in [
        (json!({"kind": "platform"}), "name"),
        (json!({"name": "  ", "kind": "platform"}), "name"),
        (json!({"name": "x"}), "kind"),
        (json!({"name": "x", "kind": "lab"}), "kind"),
        (json!({"name": "x", "kind": "platform", "query": {"technology": "not a technology at all"}}), "query.technology"),
        (json!({"name": "x", "kind": "platform", "query": {"cancer_type": "LUAD"}}), "query.cancer_type"),
        (json!({"name": "x", "kind": "need", "query": {"status": "lost"}}), "query.status"),
        (json!({"name": "x", "kind": "platform", "query": {"sort": "name"}}), "query.sort"),
        (json!({"name": "x", "kind": "platform", "min_score": 0.5}), "min_score"),
        (json!({"name": "x", "need_id": n["id"]}), "need_id"),
        (json!({"name": "x", "need_id": n["id"], "min_score": 1.5}), "min_score"),
        (json!({"name": "x", "need_id": n["id"], "kind": "need"}), "kind"),
        (json!({"name": "x", "need_id": n["id"], "query": {"q": "exome"}}), "query"),
    ] {
        let (s, v) = post(r, body.clone()).await;
        assert!(s == StatusCode::UNPROCESSABLE_ENTITY, "{body}: {s} {v}");
        assert!(v["errors"].as_array().unwrap().iter().any(|e| e["field"] == field), "{body}: expected an error on {field}: {v}");
    }
    // Fifty is the most an account keeps.
    for i in 0..50 {
        let (s, v) = post(r, json!({"name": format!("Search {i}"), "kind": "platform", "query": {"q": format!("term{i}")}})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (s, v) = post(r, json!({"name": "One too many", "kind": "platform"})).await;
    assert_problem(s, &v, StatusCode::CONFLICT, "saved_search_limit");
    // Another account's saved search does not exist for you.
    let (_, mine) = app.get("/api/v1/saved-searches", Some(&researcher)).await;
    let id = mine[0]["id"].as_str().unwrap();
    for path in [format!("/api/v1/saved-searches/{id}"), format!("/api/v1/saved-searches/{id}/hits")] {
        let (s, v) = app.get(&path, Some(&other)).await;
        assert_problem(s, &v, StatusCode::NOT_FOUND, "not_found");
    }
    let (s, v) = app.get(&format!("/api/v1/saved-searches/{id}/hits?limit=0"), Some(&researcher)).await;
    assert_problem(s, &v, StatusCode::BAD_REQUEST, "invalid_query");
}
