//! Moderation, suspension and the audit trail, on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestApp, assert_problem, need, platform};
use reqwest::{Method, StatusCode};
use serde_json::json;

mod sqlite {
    #[actix_web::test]
    async fn moderation_holds_new_platforms_until_an_admin_publishes_them() {
        super::moderation(super::common::TestApp::spawn_with(omics_store::Backend::Sqlite, |s| s.moderation = true).await).await;
    }
    #[actix_web::test]
    async fn admins_suspend_and_read_the_audit_trail() {
        super::suspension_and_audit(super::common::TestApp::spawn(omics_store::Backend::Sqlite).await).await;
    }
}

mod postgres {
    #[actix_web::test]
    async fn moderation_holds_new_platforms_until_an_admin_publishes_them() {
        super::moderation(super::common::TestApp::spawn_with(omics_store::Backend::Postgres, |s| s.moderation = true).await).await;
    }
    #[actix_web::test]
    async fn admins_suspend_and_read_the_audit_trail() {
        super::suspension_and_audit(super::common::TestApp::spawn(omics_store::Backend::Postgres).await).await;
    }
}

async fn moderation(app: TestApp) {
    let m = app.user("m@example.org", "platform_manager").await;
    let admin = app.admin().await;
    let (s, p) = app.post("/api/v1/platforms", Some(&m), platform("New Lab", "BE", "WES")).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(p["status"], "pending_review", "a new platform waits for moderation");
    let path = format!("/api/v1/platforms/{}", p["id"].as_str().unwrap());
    let (s, _) = app.get(&path, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "not public while pending");
    let (_, list) = app.get("/api/v1/platforms", None).await;
    assert_eq!(list["total"], 0);
    // The owner cannot publish it by editing the status.
    let (_, again, _) = app.req(Method::PATCH, &path, Some(&m), Some(json!({"status": "published"}))).await;
    assert_eq!(again["status"], "pending_review");
    // An admin can; it is public, and an owner's later edit keeps it published.
    let (s, v, _) = app.req(Method::PATCH, &path, Some(&admin), Some(json!({"status": "published"}))).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("published")), "{v}");
    let (s, _) = app.get(&path, None).await;
    assert_eq!(s, StatusCode::OK);
    let (_, v, _) = app.req(Method::PATCH, &path, Some(&m), Some(json!({"city": "Gent"}))).await;
    assert_eq!(v["status"], "published");
    let (_, admin_made) = app.post("/api/v1/platforms", Some(&admin), platform("Secretariat Lab", "BE", "WES")).await;
    assert_eq!(admin_made["status"], "published");
}

async fn suspension_and_audit(app: TestApp) {
    let m = app.user("m@example.org", "platform_manager").await;
    let r = app.user("r@example.org", "researcher").await;
    let admin = app.admin().await;
    let (_, p) = app.post("/api/v1/platforms", Some(&m), platform("Lab", "BE", "WES")).await;
    let id = p["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/platforms/{id}");
    let (s, v, _) = app.req(Method::PATCH, &path, Some(&m), Some(json!({"status": "suspended"}))).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let (s, v, _) = app.req(Method::PATCH, &path, Some(&admin), Some(json!({"status": "suspended"}))).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("suspended")), "{v}");
    let (s, _) = app.get(&path, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "suspended platforms are not public");
    let (s, v, _) = app.req(Method::PATCH, &path, Some(&m), Some(json!({"status": "published"}))).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let (_, n) = app.post("/api/v1/needs", Some(&r), need("N", "LT", "WES")).await;
    let npath = format!("/api/v1/needs/{}", n["id"].as_str().unwrap());
    let (s, v, _) = app.req(Method::PATCH, &npath, Some(&admin), Some(json!({"status": "suspended"}))).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("suspended")), "{v}");
    let (_, list) = app.get("/api/v1/needs", None).await;
    assert_eq!(list["total"], 0);

    // The audit trail: who, when, what; admins only.
    let (s, v) = app.get("/api/v1/audit", Some(&m)).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "forbidden");
    let (s, v) = app.get("/api/v1/audit", None).await;
    assert_problem(s, &v, StatusCode::UNAUTHORIZED, "missing_token");
    let (s, v) = app.get(&format!("/api/v1/audit?entity_id={id}"), Some(&admin)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{v:#}");
    assert_eq!(items[0]["op"], "create");
    assert_eq!(items[0]["changes"]["name"], "Lab");
    assert_eq!(items[1]["op"], "update");
    assert_eq!(items[1]["changes"], json!({"status": {"from": "published", "to": "suspended"}}));
    let (_, me) = app.get("/api/v1/auth/me", Some(&admin)).await;
    assert_eq!(items[1]["actor_id"], me["id"]);
    assert!(items[1]["at"].is_string());
    let (_, v) = app.get("/api/v1/audit?kind=need&limit=1", Some(&admin)).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    assert!(v["next_after"].is_number());
}
