//! omics-match's application service: every workflow and rule between a request and the
//! engine, with no HTTP in it. The API crate extracts a request, calls one function here and
//! maps the answer; the command-line tools, the evaluation and the benchmarks call the same
//! functions.
//!
//! Where things are:
//! - [`records`]: create, read, change, delete and list platforms and needs, with who may do
//!   what ([`records::entity`]: roles, status and moderation rules), what each viewer may see
//!   and the redaction of anonymous requesters ([`records::access`]), and the search
//!   parameters ([`records::list`]).
//! - [`matches`]: ranked, explained matches both ways (platforms for a need, needs for a
//!   platform) on one path: candidates from the index, ranking by `omics_matching`, and the
//!   database's re-check of what is shown.
//! - [`introductions`]: a match becomes a contact: proposals either way, accept, decline,
//!   withdraw, expiry, the thread, the inbox, and the contacts shown once accepted.
//! - [`need_life`]: marking a need matched, and what the service does on a timer: expiring
//!   needs past their deadline and proposals past their TTL.
//! - [`notifications`]: the in-app feed of the outbox's events (written by the store in the
//!   transaction of each change) and marking them read.
//! - [`webhooks`]: subscriptions to one's events, their signed deliveries (Standard Webhooks)
//!   with retries, and the delivery log.
//! - [`email`]: each account's email digest of its unread events (off, daily or immediate),
//!   composed here and sent by the caller's mailer.
//! - [`accounts`]: registration, password sign-in and change, external accounts.
//! - [`analytics`]: coverage and demand per country and technology, gaps, activity per
//!   month, from a read model that follows the change log.
//! - [`audit`]: the change log, for admins. [`vocabularies`]: lookups and resolving.
//! - [`open`]: opening the database, the index and the vocabularies.
//!
//! Every call takes the [`Actor`] making it (or `None` for an anonymous one) and answers a
//! value or an [`Error`] with a stable code.

pub mod accounts;
pub mod analytics;
pub mod audit;
pub mod email;
mod error;
pub mod introductions;
pub mod matches;
pub mod need_life;
pub mod notifications;
pub mod open;
pub mod params;
pub mod ratelimits;
pub mod records;
pub mod saved_searches;
pub mod similar;
pub mod vocabularies;
pub mod webhooks;

use std::sync::Arc;

use omics_domain::{Role, Vocabularies};
use omics_index::SearchIndex;
use omics_store::Store;
use uuid::Uuid;

pub use error::{Error, Result};
pub use open::{Config, MatchSettings, OpenError};

/// Who makes a call: an account and its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: Uuid,
    pub role: Role,
}

impl Actor {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
    /// 403 unless an admin: "`what` is for the network's admins".
    pub fn require_admin(&self, what: &str) -> Result<()> {
        if self.is_admin() { Ok(()) } else { Err(Error::forbidden(format!("{what} is for the network's admins"))) }
    }
    /// Owners and admins may change a record.
    pub fn may_change(&self, owner: Option<Uuid>) -> bool {
        self.is_admin() || owner == Some(self.id)
    }
}

/// The opened database, index and vocabularies, with the rules' settings.
pub struct Service {
    pub store: Arc<Store>,
    pub index: Arc<SearchIndex>,
    pub vocabs: Arc<Vocabularies>,
    /// New and re-published platforms wait in `pending_review` until an admin publishes them.
    pub moderation: bool,
    pub matching: MatchSettings,
    /// Days a proposed introduction waits for an answer before it expires.
    pub introduction_ttl_days: u32,
    pub webhooks: webhooks::WebhookSettings,
    /// Whether email digests are sent (an SMTP server is configured).
    pub email: bool,
    /// The analytics read model, which [`Service::refresh_analytics`] keeps in step.
    pub analytics: analytics::Analytics,
    /// When this process last deleted ended rate-limit windows.
    pub rate_limit_pruning: ratelimits::Pruning,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").field("moderation", &self.moderation).finish_non_exhaustive()
    }
}

/// The state of the service that `/metrics` reports, read when it is scraped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gauges {
    /// Change-log entries the index has not applied yet.
    pub index_lag_sequences: i64,
    /// Age of the oldest change the index has not applied yet, seconds (0 when none).
    pub index_lag_seconds: f64,
    /// Webhook deliveries queued and not yet delivered.
    pub outbox_depth: i64,
    /// Database connections open, idle among them, and the most the pool opens.
    pub pool_connections: u32,
    pub pool_idle: u32,
    pub pool_max: u32,
}

/// The entity tag of a record version, as `ETag` and `If-Match` carry it.
pub fn version_tag(version: i64) -> String {
    format!("\"{version}\"")
}

impl Service {
    /// Bring the index up to date with the database; a failure is logged and left to the
    /// follower, which retries.
    pub fn catch_up(&self) {
        if let Err(e) = self.index.catch_up(&self.store) {
            tracing::warn!(error = %e, "index catch-up after write failed; the follower will retry");
        }
    }

    /// What `/metrics` reports of the service: index lag, outbox depth, connection pool.
    pub fn gauges(&self) -> Result<Gauges> {
        let applied = self.index.applied_seq();
        let last = self.store.last_seq()?;
        let lag_seconds = match self.store.change_after(applied)? {
            Some(at) if last > applied => (chrono::Utc::now() - at).num_milliseconds().max(0) as f64 / 1000.0,
            _ => 0.0,
        };
        let (connections, idle, max) = self.store.pool_state();
        Ok(Gauges {
            index_lag_sequences: (last - applied).max(0),
            index_lag_seconds: lag_seconds,
            outbox_depth: self.store.pending_deliveries()?,
            pool_connections: connections,
            pool_idle: idle,
            pool_max: max,
        })
    }

    /// Change-log entries not yet in the index; an error when the database does not answer.
    pub fn index_lag(&self) -> Result<i64> {
        Ok((self.store.last_seq()? - self.index.applied_seq()).max(0))
    }
}
