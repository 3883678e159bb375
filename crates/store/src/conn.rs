use std::sync::Mutex;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::{Result, StoreError};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Advisory lock key taken by every writing transaction on PostgreSQL ("omics" in ASCII).
const PG_WRITE_LOCK: i64 = 0x006f_6d69_6373;

/// A connection to either backend; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which database holds the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") { Backend::Postgres } else { Backend::Sqlite }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
        }
    }
}

/// Opens connections of the backend the URL names (never "whichever accepts the string").
#[derive(Debug)]
pub(crate) struct Manager {
    url: String,
    backend: Backend,
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.url).map(DbConn::Pg).map_err(r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut c = SqliteConnection::establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
                // The busy timeout first, so that switching to WAL waits for a lock held by
                // another connection instead of failing; WAL lets readers run beside the
                // writer; FULL sync keeps every acknowledged commit through a crash.
                c.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA foreign_keys = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(c))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// The database: a pool of connections, migrated at open.
pub struct Store {
    pool: Pool<Manager>,
    backend: Backend,
    url: String,
    /// SQLite allows one writer; taking turns here avoids busy errors on lock upgrades.
    write_turn: Mutex<()>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish_non_exhaustive()
    }
}

impl Store {
    /// Open the database at `url` (a `postgres://` URL or a SQLite file path) and run any
    /// pending migrations.
    pub fn open(url: &str, max_connections: u32) -> Result<Store> {
        let backend = Backend::from_url(url);
        let manager = Manager { url: url.to_owned(), backend };
        // One direct connection first, so a wrong URL fails at once with the driver's message.
        manager.connect().map_err(|e| StoreError::Connect(format!("{} database: {e}", backend.as_str())))?;
        let pool = Pool::builder()
            .max_size(max_connections.max(1))
            .connection_timeout(Duration::from_secs(10))
            .build(manager)
            .map_err(|e| StoreError::Connect(e.to_string()))?;
        let store = Store { pool, backend, url: url.to_owned(), write_turn: Mutex::new(()) };
        store.migrate()?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL the store was opened with.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Run pending migrations of this backend; returns how many ran.
    pub fn migrate(&self) -> Result<usize> {
        let mut conn = self.conn()?;
        let ran = match &mut *conn {
            DbConn::Pg(c) => {
                // Several instances may start at once against one database.
                diesel::sql_query(format!("SELECT pg_advisory_lock({PG_WRITE_LOCK})")).execute(c)?;
                let r = c.run_pending_migrations(PG_MIGRATIONS).map(|v| v.len());
                diesel::sql_query(format!("SELECT pg_advisory_unlock({PG_WRITE_LOCK})")).execute(c)?;
                r
            }
            DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        };
        ran.map_err(|e| StoreError::Migration(e.to_string()))
    }

    pub(crate) fn conn(&self) -> Result<PooledConnection<Manager>> {
        Ok(self.pool.get()?)
    }

    /// The connection pool: (connections open, of which idle, most allowed).
    pub fn pool_state(&self) -> (u32, u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections, self.pool.max_size())
    }

    /// Whether the database answers.
    pub fn ping(&self) -> bool {
        self.conn().is_ok_and(|mut c| c.ping().is_ok())
    }

    /// [`Store::write`] for a change its caller may refuse: `f` answers `Ok(Err(e))` to roll
    /// back and hand `e` back, `Ok(Ok(v))` to commit.
    pub(crate) fn write_or_refuse<T, E>(&self, f: impl FnOnce(&mut DbConn) -> Result<Result<T, E>>) -> Result<Result<T, E>> {
        let mut refusal = None;
        let outcome = self.write(|c| match f(c)? {
            Ok(v) => Ok(v),
            Err(e) => {
                refusal = Some(e);
                Err(StoreError::Refused)
            }
        });
        match (outcome, refusal) {
            (Ok(v), _) => Ok(Ok(v)),
            (Err(StoreError::Refused), Some(e)) => Ok(Err(e)),
            (Err(e), _) => Err(e),
        }
    }

    /// On SQLite, the writers' turn (one writer at a time); nothing on PostgreSQL.
    pub(crate) fn sqlite_turn(&self) -> Option<std::sync::MutexGuard<'_, ()>> {
        match self.backend {
            Backend::Sqlite => Some(self.write_turn.lock().unwrap_or_else(|p| p.into_inner())),
            Backend::Postgres => None,
        }
    }

    /// Run `f` in a writing transaction, in commit order with every other writer.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&mut DbConn) -> Result<T>) -> Result<T> {
        let _turn = self.sqlite_turn();
        let mut pooled = self.conn()?;
        let conn: &mut DbConn = &mut pooled;
        conn.transaction(|c| {
            if let DbConn::Pg(pg) = c {
                diesel::sql_query(format!("SELECT pg_advisory_xact_lock({PG_WRITE_LOCK})")).execute(pg)?;
            }
            f(c)
        })
    }
}
