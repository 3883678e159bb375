//! What every handler shares: the service, the rate limits and the settings. The
//! [`crate::auth::Authenticator`] is registered beside it for the auth extractors.

use std::sync::Arc;

use omics_service::Service;

use crate::cors::CorsPolicy;
use crate::observe::Metrics;
use crate::proxy::TrustedProxies;
use crate::ratelimit::Limits;
use crate::settings::Settings;

pub struct AppState {
    pub service: Arc<Service>,
    pub limits: Limits,
    /// Whose forwarding headers are believed (`trusted_proxies`).
    pub proxies: TrustedProxies,
    /// Which origins may call from a browser (`cors_allowed_origins`).
    pub cors: CorsPolicy,
    /// Request counts and durations, and the gauges `/metrics` reads.
    pub metrics: Metrics,
    pub settings: Settings,
}

impl AppState {
    /// The state of `settings`; an invalid `trusted_proxies` or `cors_allowed_origins` entry
    /// is an error naming it.
    pub fn new(service: Arc<Service>, settings: Settings) -> Result<AppState, String> {
        // With PostgreSQL, replicas share the counts in the database; SQLite counts in memory.
        let limits =
            Limits::new(settings.rate_limit_auth_per_minute, settings.rate_limit_anonymous_match_per_minute, settings.uses_postgres());
        let proxies = TrustedProxies::parse(&settings.trusted_proxies)?;
        let cors = CorsPolicy::parse(&settings.cors_allowed_origins)?;
        let metrics = Metrics::new().map_err(|e| format!("metrics: {e}"))?;
        Ok(AppState { service, limits, proxies, cors, metrics, settings })
    }
}
