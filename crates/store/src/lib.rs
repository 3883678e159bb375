//! omics-match storage: diesel over SQLite (embedded default) or PostgreSQL (chosen by the URL
//! scheme), embedded migrations per backend, the records, the accounts and the change log.
//!
//! Every create, update and delete appends to `change_log` in the same transaction. The log's
//! sequence is the order of commits: SQLite has one writer at a time, and on PostgreSQL every
//! writing transaction first takes one advisory lock, so no reader of the log can see `seq` N+1
//! before N is committed. The search index follows the log (see `omics-index`).
//!
//! Where things are: connecting, pools and migrations in `conn`; platforms, needs, the change
//! log and the audit trail in `records` (`Store::insert`, `update`, `modify`, `delete`, `changes_after`);
//! waiting for PostgreSQL's notification of each commit to the log in `listen`
//! (`Store::listen_for_changes`, which wakes the replicas' index followers);
//! accounts and external identities in `users`; introductions and their threads in
//! `introductions`; the outbox of events for the feed and deliveries in `events`; webhooks and their delivery log
//! in `webhooks`; saved searches and their hits in `saved_searches`; the diesel tables in [`schema`], checked
//! against each backend's migrations by the `schema_check` tests.

mod analytics;
mod conn;
mod digests;
mod events;
mod introductions;
mod listen;
mod ratelimits;
mod records;
mod saved_searches;
pub mod schema;
#[cfg(test)]
mod schema_check;
pub mod testdb;
mod users;
mod webhooks;

pub use analytics::ChangeSummary;
pub use conn::{Backend, DbConn, Store};
pub use digests::DueDigest;
pub use events::{Event, Feed};
pub use introductions::{Introduction, IntroductionChange, Message, Party};
pub use listen::{CHANGES_CHANNEL, LISTENER_NAME};
pub use ratelimits::{WINDOW_SECS as RATE_WINDOW_SECS, WindowCount};
pub use records::{AuditFilter, Change, ImportOutcome, Op};
pub use saved_searches::{Hit, SavedSearch};
pub use users::{ExternalId, NewExternalUser, NewUser, User};
pub use webhooks::{Attempt, Delivery, DeliveryStatus, Webhook};

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("version conflict: the record is at version {current}")]
    VersionConflict { current: i64 },
    #[error("duplicate {0}")]
    Duplicate(&'static str),
    #[error("database error: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("connection pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error("stored record {0} is corrupt: {1}")]
    Corrupt(String, String),
    /// The change function of `Store::modify` refused the change (rolled back).
    #[error("change refused")]
    Refused,
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
