//! Test harness: the real application on a database of its own, spoken to over HTTP.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use omics_api::{Application, Settings};
use omics_store::Backend;
use omics_store::testdb::TestDb;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub settings: Settings,
    /// The service behind the server, for checks made beside the API.
    pub state: actix_web::web::Data<omics_service::Service>,
    pub db: std::sync::Arc<TestDb>,
    pub dir: std::sync::Arc<tempfile::TempDir>,
    handle: actix_web::dev::ServerHandle,
    background: omics_api::Background,
}

/// A test ends with its threads stopped: a test binary must not exit while the service's own
/// threads are inside a database call (that crashed a CI run with SIGSEGV at exit).
impl Drop for TestApp {
    fn drop(&mut self) {
        // Long enough for any database call; a webhook attempt to a silent address may go on.
        self.background.stop(std::time::Duration::from_secs(2));
    }
}

pub fn settings(db: &TestDb, dir: &std::path::Path) -> Settings {
    Settings {
        host: "127.0.0.1".into(),
        port: 0,
        data_dir: dir.join("data"),
        database_url: Some(db.url.clone()),
        db_pool_size: 4,
        jwt_secret: Some("test-secret-test-secret-test-secret-0123".into()),
        max_body_bytes: 64 * 1024,
        index_poll_ms: 100,
        workers: 2,
        // Limits are tested on their own (`tokens::rate_limits_answer_429_with_retry_after`).
        rate_limit_auth_per_minute: 0,
        rate_limit_anonymous_match_per_minute: 0,
        ..Settings::default()
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Start with settings changed by `f`.
    pub async fn spawn_with(backend: Backend, f: impl FnOnce(&mut Settings)) -> TestApp {
        let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
        let db = std::sync::Arc::new(TestDb::new(backend, dir.path()).unwrap());
        let mut s = settings(&db, dir.path());
        f(&mut s);
        Self::start(s, db, dir).await
    }

    /// A second replica: another application on the same database, with a data folder of its
    /// own (as a replica has its own index) and its settings changed by `f`.
    pub async fn spawn_beside(&self, f: impl FnOnce(&mut Settings)) -> TestApp {
        let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
        let mut s = settings(&self.db, dir.path());
        f(&mut s);
        Self::start(s, self.db.clone(), dir).await
    }

    /// Start the application on an existing database and data folder (a restart).
    pub async fn spawn_on(db: std::sync::Arc<TestDb>, dir: std::sync::Arc<tempfile::TempDir>) -> TestApp {
        let settings = settings(&db, dir.path());
        Self::start(settings, db, dir).await
    }

    async fn start(settings: Settings, db: std::sync::Arc<TestDb>, dir: std::sync::Arc<tempfile::TempDir>) -> TestApp {
        let app = Application::build(settings.clone()).unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        let state = actix_web::web::Data::from(app.state.service.clone());
        let (handle, background) = (app.handle(), app.background());
        actix_web::rt::spawn(app.run());
        TestApp { base, client: Client::new(), settings, state, db, dir, handle, background }
    }

    pub async fn req(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        let mut r = self.client.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let v = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        (status, v, headers)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let (s, v, _) = self.req(Method::GET, path, token, None).await;
        (s, v)
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let (s, v, _) = self.req(Method::POST, path, token, Some(body)).await;
        (s, v)
    }

    /// Register an account of `role` and return its token.
    pub async fn user(&self, email: &str, role: &str) -> String {
        let (s, v) = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({
                    "email": email, "password": "a long enough password", "display_name": email, "role": role
                }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        self.token(email, "a long enough password").await
    }

    /// An admin (created directly in the store, as `create-admin` does) and its token.
    pub async fn admin(&self) -> String {
        let hash = omics_service::accounts::hash_password("an admin password").unwrap();
        self.state
            .store
            .create_user(omics_store::NewUser {
                email: "admin@example.org".into(),
                display_name: "Admin".into(),
                role: omics_domain::Role::Admin,
                password_hash: hash,
            })
            .unwrap();
        self.token("admin@example.org", "an admin password").await
    }

    pub async fn token(&self, email: &str, password: &str) -> String {
        let (s, v) = self.post("/api/v1/auth/token", None, json!({"email": email, "password": password})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["access_token"].as_str().unwrap().to_owned()
    }

    /// An anonymous need of `requester` for exomes, a published platform of `manager` that
    /// offers them, and the requester's proposal to it: (need, platform, introduction id).
    pub async fn anonymous_proposal(&self, requester: &str, manager: &str) -> (Value, Value, String) {
        let mut n = need("Exomes for a lung cohort", "LT", "whole-exome-sequencing");
        n["visibility"] = json!("anonymous");
        let (_, n) = self.post("/api/v1/needs", Some(requester), n).await;
        let mut p = platform("Lisbon Core", "PT", "whole-exome-sequencing");
        p["status"] = json!("published");
        let (_, p) = self.post("/api/v1/platforms", Some(manager), p).await;
        let (s, intro) = self
            .post("/api/v1/introductions", Some(requester), json!({"need_id": n["id"], "platform_id": p["id"], "message": "Hello"}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{intro}");
        let id = intro["id"].as_str().unwrap().to_owned();
        (n, p, id)
    }

    /// Stop gracefully; the run loop then commits the index.
    pub async fn stop(self) -> (std::sync::Arc<TestDb>, std::sync::Arc<tempfile::TempDir>) {
        self.handle.stop(true).await;
        // Let the run loop finish its final catch-up and release the index writer.
        for _ in 0..100 {
            if std::sync::Arc::strong_count(&*self.state) == 1 {
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        (self.db.clone(), self.dir.clone())
    }
}

/// Insert the platform `body` of `owner` straight into the database, as a committed write
/// whose index commit never happened (or one made while no service ran); returns its id.
pub fn insert_platform(store: &omics_store::Store, owner: uuid::Uuid, body: Value) -> uuid::Uuid {
    let fields: omics_domain::PlatformFields = serde_json::from_value(body).unwrap();
    let fields = fields.validate(&omics_domain::Vocabularies::builtin().unwrap()).unwrap();
    let now = chrono::Utc::now();
    let id = uuid::Uuid::now_v7();
    let rec = omics_domain::Record::Platform(omics_domain::Platform {
        meta: omics_domain::Meta { id, owner_id: Some(owner), created_at: now, updated_at: now, version: 1 },
        fields,
    });
    store.insert(&rec, Some(owner)).unwrap();
    id
}

pub fn platform(name: &str, country: &str, tech: &str) -> Value {
    json!({
        "name": name,
        "organisation": {"name": format!("{name} Institute"), "ror_id": null},
        "country": country, "city": "Somewhere",
        "description": format!("{name} offers {tech} for cancer research."),
        "maturity_level": 2,
        "readiness_areas": ["translational-research"],
        "accepts_external_samples": true, "accepts_cross_border": true,
        "data_standards": ["vcf"],
        "capabilities": [{"technology": tech, "instruments": ["Illumina NovaSeq X Plus"], "sample_types": ["ffpe-tissue"],
            "monthly_capacity": 100, "turnaround_days": 20, "accreditations": [], "services": ["wet-lab"]}]
    })
}

pub fn need(title: &str, country: &str, tech: &str) -> Value {
    json!({
        "title": title, "description": format!("We need {tech} for a cohort."),
        "technologies": [{"technology": tech, "required": true}],
        "sample_type": "ffpe-tissue", "sample_count": 40, "cancer_type": "LUAD",
        "readiness_area": "translational-research", "country": country,
        "acceptable_countries": ["ANY"], "deadline": "2030-01-31"
    })
}

/// Assert a problem+json response with `code`.
pub fn assert_problem(status: StatusCode, v: &Value, expected: StatusCode, code: &str) {
    assert_eq!(status, expected, "{v}");
    assert_eq!(v["code"], code, "{v}");
    assert_eq!(v["status"], expected.as_u16(), "{v}");
    assert!(v["type"].as_str().is_some_and(|t| t.ends_with(code)), "{v}");
    assert!(v["detail"].as_str().is_some_and(|d| !d.is_empty()), "{v}");
}

/// Generate a pair of tests, one per backend, from an async scenario `fn(TestApp)`; with
/// `settings = f;` first, each app starts with its settings changed by `fn f(&mut Settings)`.
#[macro_export]
macro_rules! on_both_backends {
    (settings = $f:ident; $($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name(super::common::TestApp::spawn_with(omics_store::Backend::Sqlite, super::$f).await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name(super::common::TestApp::spawn_with(omics_store::Backend::Postgres, super::$f).await).await;
                }
            )*
        }
    };
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name(super::common::TestApp::spawn(omics_store::Backend::Sqlite).await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name(super::common::TestApp::spawn(omics_store::Backend::Postgres).await).await;
                }
            )*
        }
    };
}
