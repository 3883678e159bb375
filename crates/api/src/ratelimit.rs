//! Per-client rate limits on the routes that invite abuse: account registration and tokens
//! (password guessing) and anonymous matching (the costliest anonymous work). Clients are told
//! when to come back: 429 with `Retry-After`. The client is the address
//! [`crate::proxy`] works out (behind a trusted proxy, the one it forwards for).
//!
//! With PostgreSQL the replicas share one count per limit and client in the database
//! ([`omics_service::Service::count_request`]: a fixed one-minute window, one upsert per
//! limited request). With SQLite (one process) the count is kept in memory by `governor`
//! (a token bucket refilled over the minute), whose idle keys are dropped once a minute.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use actix_web::{HttpRequest, web};
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use omics_domain::Code;
use omics_service::ratelimits::{Pruning, Verdict};

use crate::error::ApiError;
use crate::state::AppState;

type Keyed = RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock>;

/// How often the in-memory limiters forget clients whose allowance is full again.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// Which limit a request counts against.
#[derive(Debug, Clone, Copy)]
pub enum Bucket {
    Auth,
    AnonymousMatching,
}

impl Bucket {
    fn name(self) -> &'static str {
        match self {
            Bucket::Auth => "auth",
            Bucket::AnonymousMatching => "anonymous_matching",
        }
    }
}

struct Limit {
    per_minute: u32,
    /// The in-memory limiter, when the count is not shared through the database.
    local: Option<Keyed>,
}

pub struct Limits {
    auth: Limit,
    matching: Limit,
    pruned: Pruning,
}

impl Limits {
    /// Requests per minute and client address; 0 turns a limit off. `shared`: counted in the
    /// database for every replica, else in memory.
    pub fn new(auth_per_minute: u32, matching_per_minute: u32, shared: bool) -> Limits {
        let limit = |per_minute: u32| Limit {
            per_minute,
            local: NonZeroU32::new(per_minute).filter(|_| !shared).map(|n| RateLimiter::keyed(Quota::per_minute(n))),
        };
        Limits { auth: limit(auth_per_minute), matching: limit(matching_per_minute), pruned: Pruning::default() }
    }

    fn limit(&self, bucket: Bucket) -> &Limit {
        match bucket {
            Bucket::Auth => &self.auth,
            Bucket::AnonymousMatching => &self.matching,
        }
    }

    /// Forget the clients the in-memory limiters no longer hold back, once a minute.
    fn prune(&self) {
        if !self.pruned.due(PRUNE_EVERY) {
            return;
        }
        for limiter in [&self.auth.local, &self.matching.local].into_iter().flatten() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

fn refused(bucket: Bucket, secs: u64) -> ApiError {
    let what = match bucket {
        Bucket::Auth => "account and token requests",
        Bucket::AnonymousMatching => "matches without a token (sign in for more)",
    };
    let secs = secs.max(1);
    let mut e = ApiError::new(Code::RateLimited, format!("too many {what} from your address; retry in {secs} s"));
    e.retry_after = Some(secs);
    e
}

/// Count this request; 429 with the seconds to wait when the client is over its limit. If the
/// database cannot count it, the request goes on (it needs the database anyway) and a
/// warning is logged.
pub async fn check(state: &AppState, bucket: Bucket, req: &HttpRequest) -> Result<(), ApiError> {
    let limits = &state.limits;
    let limit = limits.limit(bucket);
    let Some(client) = crate::proxy::client_addr(req).filter(|_| limit.per_minute > 0) else { return Ok(()) };
    if let Some(local) = &limit.local {
        limits.prune();
        return local.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            refused(bucket, wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
        });
    }
    let (service, per_minute) = (state.service.clone(), limit.per_minute);
    let counted = web::block(move || service.count_request(bucket.name(), &client.to_string(), per_minute))
        .await
        .map_err(|e| e.to_string())
        .and_then(|counted| counted.map_err(|e| e.to_string()));
    match counted {
        Ok(Verdict::Allowed) => Ok(()),
        Ok(Verdict::Refused { retry_after_secs }) => Err(refused(bucket, retry_after_secs)),
        Err(e) => {
            tracing::warn!(error = %e, "the shared rate limit could not count a request; let through");
            Ok(())
        }
    }
}
