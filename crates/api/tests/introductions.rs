//! Introductions over HTTP on both backends: either side proposes, every transition and every
//! refusal with its code, the thread, the inbox, expiry, the need's move to `in_discussion`, and
//! the requester of an anonymous need hidden from the platform's owner until they accept; and
//! the need's life (matched through an accepted introduction, closed, withdrawn, expired), each
//! move closing the need's other open introductions with a note.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestApp, assert_problem, need, platform};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    a_proposal_accepted_shows_contacts_and_moves_the_need,
    every_refusal_has_its_code,
    declined_and_withdrawn_close_the_thread,
    a_need_lives_by_its_table,
    a_need_past_its_deadline_expires_and_closes_its_introductions,
    events_reach_the_other_party_in_the_feed,
    public_needs_name_their_requester
);
mod expiry {
    use super::{an_unanswered_proposal_expires, common, no_ttl};
    use crate::on_both_backends;
    on_both_backends!(settings = no_ttl; an_unanswered_proposal_expires);
}

fn no_ttl(s: &mut omics_api::Settings) {
    s.introduction_ttl_days = 0;
}

struct Party {
    token: String,
    id: String,
    email: String,
}

async fn party(app: &TestApp, email: &str, role: &str) -> Party {
    let token = app.user(email, role).await;
    let (_, me) = app.get("/api/v1/auth/me", Some(&token)).await;
    Party { token, id: me["id"].as_str().unwrap().to_owned(), email: email.to_owned() }
}

/// A published platform of `owner`.
async fn published(app: &TestApp, owner: &Party, name: &str) -> String {
    let mut body = platform(name, "PT", "whole-exome-sequencing");
    body["status"] = json!("published");
    let (s, v) = app.post("/api/v1/platforms", Some(&owner.token), body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

/// A need of `owner`, changed by `extra`.
async fn need_of(app: &TestApp, owner: &Party, extra: Value) -> String {
    let mut body = need("Exomes for a lung cohort", "LT", "whole-exome-sequencing");
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (s, v) = app.post("/api/v1/needs", Some(&owner.token), body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

async fn propose(app: &TestApp, who: &Party, need: &str, platform: &str, message: &str) -> (StatusCode, Value) {
    app.post("/api/v1/introductions", Some(&who.token), json!({"need_id": need, "platform_id": platform, "message": message})).await
}

async fn act(app: &TestApp, who: &Party, id: &str, action: &str, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/introductions/{id}/{action}"), Some(&who.token), body).await
}

async fn a_proposal_accepted_shows_contacts_and_moves_the_need(app: TestApp) {
    let requester = party(&app, "clinician@vilnius.example", "researcher").await;
    let manager = party(&app, "manager@lisbon.example", "platform_manager").await;
    let other = party(&app, "other@example.org", "researcher").await;
    let admin = app.admin().await;
    let need = need_of(&app, &requester, json!({"visibility": "anonymous"})).await;
    let platform = published(&app, &manager, "Lisbon Genomics Core").await;

    // The platform's owner offers to serve the anonymous need.
    let (s, v) = propose(&app, &manager, &need, &platform, "We run exomes on FFPE every week.").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    assert_eq!((v["proposed_by"].as_str(), v["state"].as_str()), (Some("platform"), Some("proposed")));
    assert_eq!(v["need_id"], need.as_str());
    assert_eq!(v["next_states"], json!(["accepted", "declined", "withdrawn"]));
    let score = v["score"].as_f64().unwrap();
    assert!(score > 0.0 && score <= 1.0, "{v}");
    assert_eq!(v["messages"][0]["from"], "platform");
    assert!(v.get("contact").is_none(), "{v}");
    // Until accepted, nothing the platform's owner reads names the requester.
    for path in [format!("/api/v1/introductions/{id}"), format!("/api/v1/needs/{need}"), "/api/v1/introductions".to_owned()] {
        let (s, v) = app.get(&path, Some(&manager.token)).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
        let text = v.to_string();
        assert!(!text.contains(&requester.email) && !text.contains(&requester.id), "{path} leaks the requester: {text}");
    }

    // Not the proposer's move; not a stranger's business; admins read but do not answer.
    let (s, v) = act(&app, &manager, &id, "accept", json!({})).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "wrong_side");
    for action in ["accept", "decline", "withdraw", "messages"] {
        let (s, v) = act(&app, &other, &id, action, json!({"message": "hello"})).await;
        assert_problem(s, &v, StatusCode::NOT_FOUND, "not_found");
    }
    let (s, v) = app.get(&format!("/api/v1/introductions/{id}"), Some(&other.token)).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "not_found");
    let (s, _) = app.get(&format!("/api/v1/introductions/{id}"), Some(&admin)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app.post(&format!("/api/v1/introductions/{id}/accept"), Some(&admin), json!({})).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "forbidden");

    // The requester sees it as received, and accepts it with an empty body.
    let (_, inbox) = app.get("/api/v1/introductions?box=received", Some(&requester.token)).await;
    assert_eq!(inbox["total"], 1, "{inbox}");
    assert_eq!(inbox["items"][0]["id"], id.as_str());
    let (_, sent) = app.get("/api/v1/introductions?box=sent", Some(&requester.token)).await;
    assert_eq!(sent["total"], 0, "{sent}");
    let (s, v, _) = app.req(Method::POST, &format!("/api/v1/introductions/{id}/accept"), Some(&requester.token), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "accepted");
    assert_eq!(v["next_states"], json!([]));
    assert_eq!(v["contact"]["requester"]["email"], requester.email.as_str(), "{v}");
    assert_eq!(v["contact"]["platform"]["organisation"], "Lisbon Genomics Core Institute", "{v}");
    // The platform's owner sees the requester's contact now.
    let (_, v) = app.get(&format!("/api/v1/introductions/{id}"), Some(&manager.token)).await;
    assert_eq!(v["contact"]["requester"]["email"], requester.email.as_str(), "{v}");
    // The first accepted introduction puts the need in discussion.
    let (_, n) = app.get(&format!("/api/v1/needs/{need}"), Some(&requester.token)).await;
    assert_eq!(n["status"], "in_discussion", "{n}");

    // Accepted once: no second answer, no second open introduction for the pair.
    let (s, v) = act(&app, &requester, &id, "decline", json!({})).await;
    assert_problem(s, &v, StatusCode::CONFLICT, "invalid_transition");
    assert!(v["detail"].as_str().unwrap().contains("accepted"), "{v}");
    let (s, v) = propose(&app, &requester, &need, &platform, "again").await;
    assert_problem(s, &v, StatusCode::CONFLICT, "introduction_exists");

    // The thread: either party writes; "the requester", never an account.
    let (s, v) = act(&app, &manager, &id, "messages", json!({"message": "Please send the manifest."})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let from: Vec<&str> = v["messages"].as_array().unwrap().iter().map(|m| m["from"].as_str().unwrap()).collect();
    assert_eq!(from, ["platform", "platform"]);
    let (s, v) = act(&app, &requester, &id, "messages", json!({"message": "Attached."})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["messages"][2]["from"], "requester");
    assert_eq!(v["messages"][2]["body"], "Attached.");

    let (_, all) = app.get("/api/v1/introductions?state=accepted", Some(&admin)).await;
    assert_eq!(all["total"], 1, "{all}");
    let (_, none) = app.get("/api/v1/introductions?state=proposed", Some(&manager.token)).await;
    assert_eq!(none["total"], 0, "{none}");
    let (s, _) = app.get("/api/v1/introductions", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

async fn every_refusal_has_its_code(app: TestApp) {
    let requester = party(&app, "r@example.org", "researcher").await;
    let manager = party(&app, "m@example.org", "platform_manager").await;
    let stranger = party(&app, "s@example.org", "platform_manager").await;
    let need = need_of(&app, &requester, json!({})).await;
    let closed = need_of(&app, &requester, json!({})).await;
    let (s, v, _) =
        app.req(Method::PATCH, &format!("/api/v1/needs/{closed}"), Some(&requester.token), Some(json!({"status": "withdrawn"}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut draft = platform("Draft Lab", "PT", "whole-exome-sequencing");
    let platform = published(&app, &manager, "Porto Proteomics").await;
    draft["status"] = json!("draft");
    let (_, d) = app.post("/api/v1/platforms", Some(&manager.token), draft).await;
    let draft = d["id"].as_str().unwrap().to_owned();

    let (s, v) = propose(&app, &requester, &closed, &platform, "").await;
    assert_problem(s, &v, StatusCode::CONFLICT, "need_not_open");
    // The owner of a draft platform sees it, and is told why not.
    let (s, v) = propose(&app, &manager, &need, &draft, "").await;
    assert_problem(s, &v, StatusCode::CONFLICT, "platform_not_published");
    // Anyone else does not see a draft.
    let (s, v) = propose(&app, &requester, &need, &draft, "").await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "not_found");
    let (s, v) = propose(&app, &stranger, &need, &platform, "").await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "forbidden");
    let (s, v) = propose(&app, &requester, "01936f1e-5b7a-7cc1-9d2e-3f4a5b6c7d8e", &platform, "").await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "not_found");
    let (s, v) = propose(&app, &requester, &need, &platform, &"x".repeat(10_001)).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(v["errors"][0]["field"], "message");
    assert_eq!(v["errors"][0]["code"], "too_long");
    let (s, v) = app
        .post("/api/v1/introductions", Some(&requester.token), json!({"need_id": need, "platform_id": platform, "state": "accepted"}))
        .await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(v["errors"][0]["code"], "unknown_field", "{v}");
    let (s, v) = app.post("/api/v1/introductions", None, json!({"need_id": need, "platform_id": platform})).await;
    assert_problem(s, &v, StatusCode::UNAUTHORIZED, "missing_token");

    let (s, v) = propose(&app, &requester, &need, &platform, "").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["messages"], json!([]), "an empty message starts no thread");
    let id = v["id"].as_str().unwrap().to_owned();
    let (s, v) = act(&app, &manager, &id, "messages", json!({"message": "   "})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let (s, v, _) = app.req(Method::POST, &format!("/api/v1/introductions/{id}/accept"), Some(&manager.token), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app.get("/api/v1/introductions/not-a-uuid", Some(&manager.token)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = app.get("/api/v1/introductions?box=everything", Some(&manager.token)).await;
    assert_problem(s, &v, StatusCode::BAD_REQUEST, "invalid_query");
    let (s, v) = app.get("/api/v1/introductions?limit=1000", Some(&manager.token)).await;
    assert_problem(s, &v, StatusCode::BAD_REQUEST, "invalid_query");
}

async fn declined_and_withdrawn_close_the_thread(app: TestApp) {
    let requester = party(&app, "r@example.org", "researcher").await;
    let manager = party(&app, "m@example.org", "platform_manager").await;
    let need = need_of(&app, &requester, json!({})).await;
    let platform = published(&app, &manager, "Braga Spatial").await;

    // The requester asks; the platform declines; the thread closes.
    let (_, v) = propose(&app, &requester, &need, &platform, "Could you take 40 FFPE blocks?").await;
    assert_eq!(v["proposed_by"], "requester");
    let id = v["id"].as_str().unwrap().to_owned();
    let (s, v) = act(&app, &requester, &id, "decline", json!({})).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "wrong_side");
    let (s, v) = act(&app, &manager, &id, "decline", json!({"message": "Our queue is full until spring."})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "declined");
    assert_eq!(v["messages"][1]["body"], "Our queue is full until spring.");
    assert!(v.get("contact").is_none(), "{v}");
    let (s, v) = act(&app, &requester, &id, "messages", json!({"message": "Pity."})).await;
    assert_problem(s, &v, StatusCode::CONFLICT, "introduction_closed");
    let (s, v) = act(&app, &requester, &id, "withdraw", json!({})).await;
    assert_problem(s, &v, StatusCode::CONFLICT, "invalid_transition");
    // The need stays open: nothing was accepted.
    let (_, n) = app.get(&format!("/api/v1/needs/{need}"), Some(&requester.token)).await;
    assert_eq!(n["status"], "open");

    // A closed introduction does not block a new one; the proposer withdraws it.
    let (s, v) = propose(&app, &requester, &need, &platform, "Trying again in spring.").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let (s, v) = act(&app, &manager, &id, "withdraw", json!({})).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "wrong_side");
    let (s, v) = act(&app, &requester, &id, "withdraw", json!({"message": "Found another lab."})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "withdrawn");
    let (s, v) = act(&app, &manager, &id, "accept", json!({})).await;
    assert_problem(s, &v, StatusCode::CONFLICT, "invalid_transition");
    let (_, page) = app.get("/api/v1/introductions?box=sent", Some(&requester.token)).await;
    assert_eq!(page["total"], 2, "{page}");
    let states: Vec<&str> = page["items"].as_array().unwrap().iter().map(|i| i["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["withdrawn", "declined"], "most recently changed first");
}

async fn an_unanswered_proposal_expires(app: TestApp) {
    let requester = party(&app, "r@example.org", "researcher").await;
    let manager = party(&app, "m@example.org", "platform_manager").await;
    let need = need_of(&app, &requester, json!({})).await;
    let platform = published(&app, &manager, "Coimbra Metabolomics").await;
    let (s, v) = propose(&app, &requester, &need, &platform, "").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // With a TTL of 0 days it is due at once: read again, it has expired.
    assert_eq!(v["state"], "expired", "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let (s, v) = act(&app, &manager, &id, "accept", json!({})).await;
    assert_problem(s, &v, StatusCode::CONFLICT, "invalid_transition");
    assert!(v["detail"].as_str().unwrap().contains("expired"), "{v}");
    // Expired is closed: the pair may try again.
    let (s, _) = propose(&app, &requester, &need, &platform, "").await;
    assert_eq!(s, StatusCode::CREATED);
}

async fn patch_status(app: &TestApp, who: &Party, need: &str, status: &str) -> (StatusCode, Value) {
    let (s, v, _) = app.req(Method::PATCH, &format!("/api/v1/needs/{need}"), Some(&who.token), Some(json!({"status": status}))).await;
    (s, v)
}

async fn mark_matched(app: &TestApp, who: &Party, need: &str, intro: &str) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/needs/{need}/matched"), Some(&who.token), json!({"introduction_id": intro})).await
}

async fn thread_of(app: &TestApp, who: &Party, id: &str) -> Value {
    let (s, v) = app.get(&format!("/api/v1/introductions/{id}"), Some(&who.token)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn a_need_lives_by_its_table(app: TestApp) {
    let requester = party(&app, "r@example.org", "researcher").await;
    let first = party(&app, "first@example.org", "platform_manager").await;
    let second = party(&app, "second@example.org", "platform_manager").await;
    let need = need_of(&app, &requester, json!({})).await;
    let other_need = need_of(&app, &requester, json!({})).await;
    let p1 = published(&app, &first, "First Core").await;
    let p2 = published(&app, &second, "Second Core").await;

    let (_, a) = propose(&app, &requester, &need, &p1, "Exomes, please.").await;
    let a = a["id"].as_str().unwrap().to_owned();
    let (s, v) = act(&app, &first, &a, "accept", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, b) = propose(&app, &second, &need, &p2, "We could do it too.").await;
    let b = b["id"].as_str().unwrap().to_owned();
    let (_, c) = propose(&app, &requester, &other_need, &p1, "").await;
    let c = c["id"].as_str().unwrap().to_owned();

    // Matched only through the route, by the owner, with an accepted introduction of this need.
    let (s, v) = patch_status(&app, &requester, &need, "matched").await;
    assert_problem(s, &v, StatusCode::CONFLICT, "invalid_transition");
    assert!(v["detail"].as_str().unwrap().contains("POST /needs/{id}/matched"), "{v}");
    let (s, v) = mark_matched(&app, &requester, &need, &b).await;
    assert_problem(s, &v, StatusCode::CONFLICT, "invalid_transition");
    assert!(v["detail"].as_str().unwrap().contains("proposed"), "{v}");
    let (s, v) = mark_matched(&app, &requester, &need, &c).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "not_found");
    let (s, v) = mark_matched(&app, &first, &need, &a).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "forbidden");
    let (s, v, h) =
        app.req(Method::POST, &format!("/api/v1/needs/{need}/matched"), Some(&requester.token), Some(json!({"introduction_id": a}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "matched");
    assert!(h.get("etag").is_some());

    // The chosen introduction stays accepted; the other one is closed with a note to its side.
    assert_eq!(thread_of(&app, &first, &a).await["state"], "accepted");
    let closed = thread_of(&app, &second, &b).await;
    assert_eq!(closed["state"], "closed", "{closed}");
    let note = closed["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(note["from"], "service");
    assert!(note["body"].as_str().unwrap().contains("chose another platform"), "{note}");
    let (s, v) = act(&app, &second, &b, "messages", json!({"message": "Oh well."})).await;
    assert_problem(s, &v, StatusCode::CONFLICT, "introduction_closed");
    let (s, v) = propose(&app, &second, &need, &p2, "").await;
    assert_problem(s, &v, StatusCode::CONFLICT, "need_not_open");
    // Matched needs are not matched any more.
    let (_, m) = app.get(&format!("/api/v1/platforms/{p2}/matches?limit=100"), None).await;
    assert!(!m.to_string().contains(&need), "{m}");

    // matched -> closed -> withdrawn; nothing back.
    let (s, v) = patch_status(&app, &requester, &need, "open").await;
    assert_problem(s, &v, StatusCode::CONFLICT, "invalid_transition");
    assert!(v["detail"].as_str().unwrap().contains("closed or withdrawn"), "{v}");
    let (s, v) = patch_status(&app, &requester, &need, "closed").await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("closed")), "{v}");
    assert_eq!(thread_of(&app, &first, &a).await["state"], "accepted", "the match's introduction stays open when the need closes");
    let (s, v) = patch_status(&app, &requester, &need, "withdrawn").await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("withdrawn")), "{v}");
    let (s, v) = patch_status(&app, &requester, &need, "closed").await;
    assert_problem(s, &v, StatusCode::CONFLICT, "invalid_transition");
    // Withdrawing closes the accepted introduction too.
    let a_now = thread_of(&app, &first, &a).await;
    assert_eq!(a_now["state"], "closed", "{a_now}");
    assert!(a_now["messages"].as_array().unwrap().last().unwrap()["body"].as_str().unwrap().contains("withdrew"), "{a_now}");
    // The other need is untouched.
    assert_eq!(thread_of(&app, &requester, &c).await["state"], "proposed");
    // A new need is open.
    let mut born_closed = common::need("Born closed", "LT", "whole-exome-sequencing");
    born_closed["status"] = json!("closed");
    let (s, v) = app.post("/api/v1/needs", Some(&requester.token), born_closed).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

async fn a_need_past_its_deadline_expires_and_closes_its_introductions(app: TestApp) {
    let requester = party(&app, "r@example.org", "researcher").await;
    let manager = party(&app, "m@example.org", "platform_manager").await;
    let need = need_of(&app, &requester, json!({})).await;
    let fresh = need_of(&app, &requester, json!({})).await;
    let platform = published(&app, &manager, "Faro Liquid Biopsy").await;
    let (_, a) = propose(&app, &requester, &need, &platform, "").await;
    let a = a["id"].as_str().unwrap().to_owned();
    act(&app, &manager, &a, "accept", json!({})).await;
    // An open need's deadline cannot be in the past; one in discussion can pass it.
    let (s, v, _) =
        app.req(Method::PATCH, &format!("/api/v1/needs/{need}"), Some(&requester.token), Some(json!({"deadline": "2020-01-31"}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = patch_status(&app, &requester, &need, "expired").await;
    assert_problem(s, &v, StatusCode::CONFLICT, "invalid_transition");
    let (introductions, needs) = app.state.sweep().unwrap();
    assert_eq!((introductions, needs), (0, 1));
    let (_, n) = app.get(&format!("/api/v1/needs/{need}"), None).await;
    assert_eq!(n["status"], "expired", "{n}");
    let (_, f) = app.get(&format!("/api/v1/needs/{fresh}"), None).await;
    assert_eq!(f["status"], "open", "a need within its deadline stays open");
    let closed = thread_of(&app, &manager, &a).await;
    assert_eq!(closed["state"], "closed", "{closed}");
    assert!(closed["messages"].as_array().unwrap().last().unwrap()["body"].as_str().unwrap().contains("deadline"), "{closed}");
    // Listed as expired, not as open; a second sweep finds nothing.
    let (_, open) = app.get("/api/v1/needs?status=open&limit=100", None).await;
    assert!(!open.to_string().contains(&need), "{open}");
    let (_, expired) = app.get("/api/v1/needs?status=expired&limit=100", None).await;
    assert_eq!(expired["total"], 1, "{expired}");
    assert_eq!(app.state.sweep().unwrap(), (0, 0));
    let (s, v) = patch_status(&app, &requester, &need, "withdrawn").await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("withdrawn")), "{v}");
}

async fn feed(app: &TestApp, who: &Party, query: &str) -> Value {
    let (s, v) = app.get(&format!("/api/v1/notifications{query}"), Some(&who.token)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

fn kinds(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap().to_owned()).collect()
}

async fn events_reach_the_other_party_in_the_feed(app: TestApp) {
    let requester = party(&app, "r@vilnius.example", "researcher").await;
    let manager = party(&app, "m@lisbon.example", "platform_manager").await;
    let need = need_of(&app, &requester, json!({"visibility": "anonymous"})).await;
    let platform = published(&app, &manager, "Lisbon Core").await;

    let (_, v) = propose(&app, &manager, &need, &platform, "We can help.").await;
    let id = v["id"].as_str().unwrap().to_owned();
    // The other side is told; the one who acted is not.
    let r = feed(&app, &requester, "").await;
    assert_eq!(kinds(&r), ["introduction.proposed"], "{r}");
    assert_eq!((r["unread"].as_u64(), r["items"][0]["read"].as_bool()), (Some(1), Some(false)));
    assert_eq!(r["items"][0]["subject_id"], id.as_str());
    assert_eq!(r["items"][0]["data"]["by"], "platform");
    assert_eq!(r["items"][0]["data"]["need_id"], need.as_str());
    assert_eq!(feed(&app, &manager, "").await["total"], 0);

    // A refused move rolls back and tells no one.
    let (s, _) = act(&app, &manager, &id, "accept", json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(feed(&app, &requester, "").await["total"], 1);
    assert_eq!(feed(&app, &manager, "").await["total"], 0);

    act(&app, &requester, &id, "accept", json!({"message": "Yes, please."})).await;
    act(&app, &manager, &id, "messages", json!({"message": "Sending the manifest."})).await;
    let m = feed(&app, &manager, "").await;
    assert_eq!(kinds(&m), ["introduction.accepted"], "{m}");
    assert_eq!(m["items"][0]["data"]["by"], "requester");
    let r = feed(&app, &requester, "").await;
    assert_eq!(kinds(&r), ["message.received", "introduction.proposed"], "newest first: {r}");
    // Nothing in the platform's feed names the anonymous requester.
    let text = m.to_string();
    assert!(!text.contains(&requester.id) && !text.contains(&requester.email), "{text}");

    // Read: the ids given, then all; unread first.
    let first = r["items"][1]["id"].as_str().unwrap().to_owned();
    let (s, v) = app.post("/api/v1/notifications/read", Some(&requester.token), json!({"ids": [first]})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["marked"].as_u64(), v["unread"].as_u64()), (Some(1), Some(1)));
    let (_, again) = app.post("/api/v1/notifications/read", Some(&requester.token), json!({"ids": [first]})).await;
    assert_eq!(again["marked"], 0, "already read");
    let unread = feed(&app, &requester, "?unread=true").await;
    assert_eq!(kinds(&unread), ["message.received"], "{unread}");
    // Someone else's ids mark nothing of theirs.
    let mine = m["items"][0]["id"].as_str().unwrap().to_owned();
    let (_, v) = app.post("/api/v1/notifications/read", Some(&requester.token), json!({"ids": [mine]})).await;
    assert_eq!(v["marked"], 0);
    assert_eq!(feed(&app, &manager, "").await["unread"], 1);
    for bad in [json!({}), json!({"ids": [], "all": true}), json!({"all": false})] {
        let (s, v) = app.post("/api/v1/notifications/read", Some(&requester.token), bad).await;
        assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    }
    let (_, v) = app.post("/api/v1/notifications/read", Some(&requester.token), json!({"all": true})).await;
    assert_eq!((v["marked"].as_u64(), v["unread"].as_u64()), (Some(1), Some(0)));
    let r = feed(&app, &requester, "").await;
    assert!(r["items"].as_array().unwrap().iter().all(|n| n["read"] == true), "{r}");

    // The need moving on without its owner tells the owner; closing tells the platform.
    let (s, v, _) =
        app.req(Method::PATCH, &format!("/api/v1/needs/{need}"), Some(&requester.token), Some(json!({"deadline": "2020-01-31"}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    app.state.sweep().unwrap();
    let r = feed(&app, &requester, "?unread=true").await;
    assert_eq!(kinds(&r), ["introduction.closed", "need.status_changed"], "{r}");
    let changed = &r["items"][1]["data"];
    assert_eq!((changed["from"].as_str(), changed["to"].as_str()), (Some("in_discussion"), Some("expired")), "{r}");
    assert_eq!(kinds(&feed(&app, &manager, "?unread=true").await), ["introduction.closed", "introduction.accepted"]);
    let (s, _) = app.get("/api/v1/notifications", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

async fn public_needs_name_their_requester(app: TestApp) {
    let (s, _) = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "ruta@example.lt", "password": "a long enough password", "display_name": "Rūta K.", "role": "researcher"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let ruta = app.token("ruta@example.lt", "a long enough password").await;
    let manager = party(&app, "m@example.org", "platform_manager").await;
    let platform = published(&app, &manager, "Kaunas Core").await;
    let mut body = need("Public exomes", "LT", "whole-exome-sequencing");
    let (_, public) = app.post("/api/v1/needs", Some(&ruta), body.clone()).await;
    body["title"] = json!("Anonymous exomes");
    body["visibility"] = json!("anonymous");
    let (_, anonymous) = app.post("/api/v1/needs", Some(&ruta), body).await;
    let (public, anonymous) = (public["id"].as_str().unwrap().to_owned(), anonymous["id"].as_str().unwrap().to_owned());

    // To everyone, on a public need: the display name, never the email.
    for token in [None, Some(manager.token.as_str())] {
        let (_, n) = app.get(&format!("/api/v1/needs/{public}"), token).await;
        assert_eq!(n["requester"]["display_name"], "Rūta K.", "{n}");
        assert!(!n.to_string().contains("ruta@example.lt"), "{n}");
        let (_, n) = app.get(&format!("/api/v1/needs/{anonymous}"), token).await;
        assert!(n.get("requester").is_none() && n["owner_id"].is_null(), "{n}");
    }
    let (_, page) = app.get("/api/v1/needs?limit=100", None).await;
    for item in page["items"].as_array().unwrap() {
        let named = item.get("requester").is_some();
        assert_eq!(named, item["id"] == public.as_str(), "{item}");
    }
    let (_, m) = app.get(&format!("/api/v1/platforms/{platform}/matches?limit=100&include_excluded=true"), None).await;
    let matched: Vec<&Value> = m["matches"].as_array().unwrap().iter().map(|x| &x["need"]).collect();
    assert!(matched.iter().any(|n| n["id"] == public.as_str() && n["requester"]["display_name"] == "Rūta K."), "{m}");
    assert!(matched.iter().filter(|n| n["id"] == anonymous.as_str()).all(|n| n.get("requester").is_none()), "{m}");
    // Its owner sees their own name on either.
    let (_, n) = app.get(&format!("/api/v1/needs/{anonymous}"), Some(&ruta)).await;
    assert_eq!(n["requester"]["display_name"], "Rūta K.", "{n}");
}
