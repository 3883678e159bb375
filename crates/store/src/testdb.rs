//! Fresh databases for tests: a SQLite file in a temporary folder, or a PostgreSQL database
//! created for the test and dropped after it. The PostgreSQL server is named by
//! `OMICS_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).

use diesel::prelude::*;
use uuid::Uuid;

use crate::conn::Backend;

pub const DEFAULT_PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that exists for as long as this value.
#[derive(Debug)]
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// A new, empty database of `backend`; `dir` holds the SQLite file.
    pub fn new(backend: Backend, dir: &std::path::Path) -> Result<TestDb, String> {
        match backend {
            Backend::Sqlite => Ok(TestDb { url: dir.join("test.db").to_string_lossy().into_owned(), backend, pg: None }),
            Backend::Postgres => {
                let admin = std::env::var("OMICS_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_PG_ADMIN_URL.to_owned());
                let name = format!("omics_test_{}", Uuid::new_v4().simple());
                let mut c = PgConnection::establish(&admin).map_err(|e| format!("PostgreSQL at {admin}: {e}"))?;
                diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut c).map_err(|e| e.to_string())?;
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
                Ok(TestDb { url: format!("{base}/{name}"), backend, pg: Some((admin, name)) })
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg
            && let Ok(mut c) = PgConnection::establish(admin)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
        }
    }
}
