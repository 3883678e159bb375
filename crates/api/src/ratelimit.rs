//! Per-client rate limits on the routes that invite abuse: account registration and tokens
//! (password guessing) and anonymous matching (the costliest anonymous work). Clients are told
//! when to come back: 429 with `Retry-After`.

use std::net::IpAddr;
use std::num::NonZeroU32;

use actix_web::HttpRequest;
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use omics_domain::Code;

use crate::error::ApiError;

type Keyed = RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock>;

/// Which limit a request counts against.
#[derive(Debug, Clone, Copy)]
pub enum Bucket {
    Auth,
    AnonymousMatching,
}

pub struct Limits {
    auth: Option<Keyed>,
    matching: Option<Keyed>,
}

fn keyed(per_minute: u32) -> Option<Keyed> {
    NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)))
}

impl Limits {
    /// Requests per minute and client address; 0 turns a limit off.
    pub fn new(auth_per_minute: u32, matching_per_minute: u32) -> Limits {
        Limits { auth: keyed(auth_per_minute), matching: keyed(matching_per_minute) }
    }

    /// Count this request; 429 with the seconds to wait when the client is over its limit.
    pub fn check(&self, bucket: Bucket, req: &HttpRequest) -> Result<(), ApiError> {
        let limiter = match bucket {
            Bucket::Auth => &self.auth,
            Bucket::AnonymousMatching => &self.matching,
        };
        let (Some(limiter), Some(peer)) = (limiter, req.peer_addr()) else { return Ok(()) };
        limiter.check_key(&peer.ip()).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let what = match bucket {
                Bucket::Auth => "account and token requests",
                Bucket::AnonymousMatching => "matches without a token (sign in for more)",
            };
            let mut e = ApiError::new(Code::RateLimited, format!("too many {what} from your address; retry in {secs} s"));
            e.retry_after = Some(secs.max(1));
            e
        })
    }
}
