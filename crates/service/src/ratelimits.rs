//! Rate limits shared by the replicas on one PostgreSQL database: each limited request is
//! counted in the database (a fixed one-minute window per limit and client address), and the
//! request past the limit is refused until the window ends. One process on SQLite counts in
//! memory instead (the HTTP layer's own limiter), since it has no other replica to agree with.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::{Result, Service};

/// How often the counters of ended windows are deleted, at most.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// What a counted request may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Over the limit: retry in this many seconds (at least 1).
    Refused {
        retry_after_secs: u64,
    },
}

/// When this process last pruned something: counters here, the in-memory limiters' clients
/// in the HTTP layer.
#[derive(Debug, Default)]
pub struct Pruning(Mutex<Option<Instant>>);

impl Pruning {
    /// Whether to prune now: the first time, then once `every` has passed since the last.
    pub fn due(&self, every: Duration) -> bool {
        let mut last = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let due = last.is_none_or(|t| t.elapsed() >= every);
        if due {
            *last = Some(Instant::now());
        }
        due
    }
}

impl Service {
    /// Count a request of `client` against `bucket`, which allows `per_minute` requests a
    /// minute across every replica. Once a minute (per process) the ended windows are deleted
    /// too.
    pub fn count_request(&self, bucket: &str, client: &str, per_minute: u32) -> Result<Verdict> {
        let counted = self.store.count_request(bucket, client)?;
        self.prune_rate_limits();
        if counted.hits <= i64::from(per_minute) {
            return Ok(Verdict::Allowed);
        }
        Ok(Verdict::Refused { retry_after_secs: (counted.resets_in_secs.ceil() as u64).max(1) })
    }

    fn prune_rate_limits(&self) {
        if self.rate_limit_pruning.due(PRUNE_EVERY) {
            match self.store.prune_rate_limits(omics_store::RATE_WINDOW_SECS) {
                Ok(n) if n > 0 => tracing::debug!(deleted = n, "pruned rate-limit counters"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "pruning rate-limit counters failed; will retry"),
            }
        }
    }
}
