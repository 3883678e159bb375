//! What every handler shares: the service, the rate limits and the settings. The
//! [`crate::auth::Authenticator`] is registered beside it for the auth extractors.

use std::sync::Arc;

use omics_service::Service;

use crate::ratelimit::Limits;
use crate::settings::Settings;

pub struct AppState {
    pub service: Arc<Service>,
    pub limits: Limits,
    pub settings: Settings,
}

impl AppState {
    pub fn new(service: Arc<Service>, settings: Settings) -> AppState {
        let limits = Limits::new(settings.rate_limit_auth_per_minute, settings.rate_limit_anonymous_match_per_minute);
        AppState { service, limits, settings }
    }
}
