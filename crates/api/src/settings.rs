//! Every setting of the service, with its default. The binary layers them: defaults < file <
//! environment < flags (see the README's configuration table).

use std::collections::HashMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::oidc::OidcSettings;

/// Every setting of the service (the README lists them; the binary layers defaults < file <
/// environment `OMICS_<SETTING>`, nested with `__` as in `OMICS_OIDC__ISSUER` < flags).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Address to listen on.
    pub host: String,
    /// Port to listen on; 0 picks a free one.
    pub port: u16,
    /// Folder for the SQLite file, the search index and the generated token secret.
    pub data_dir: PathBuf,
    /// `postgres://...` to keep records in PostgreSQL; empty for SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// Maximum database connections in the pool.
    pub db_pool_size: u32,
    /// Secret for signing tokens (at least 32 bytes); generated into `data_dir` when empty.
    #[serde(skip_serializing)]
    pub jwt_secret: Option<String>,
    /// Key id of `jwt_secret`, sent in each token's `kid` header.
    pub jwt_kid: String,
    /// Retired signing secrets by key id: tokens they signed still verify (rotation).
    #[serde(skip_serializing)]
    pub jwt_retired_keys: HashMap<String, String>,
    /// Lifetime of an access token, seconds.
    pub token_ttl_secs: i64,
    /// Largest accepted request body, bytes.
    pub max_body_bytes: usize,
    /// Seconds a client has to send the request line and headers; then 408 and the connection
    /// is closed (slow-header clients). 0: no limit.
    pub header_timeout_secs: u64,
    /// Seconds a request may take from its headers to its answer, reading the body included;
    /// then 503 `unavailable` with `Retry-After`. 0: no limit.
    pub request_timeout_secs: u64,
    /// Seconds an idle connection is kept open for a next request. 0: one request per connection.
    pub keep_alive_secs: u64,
    /// Seconds a client has to close its end after the server closed the connection.
    pub disconnect_timeout_secs: u64,
    /// How often the index looks for changes written by other instances, milliseconds.
    pub index_poll_ms: u64,
    /// Registrations and token requests per minute from one address (0: no limit).
    pub rate_limit_auth_per_minute: u32,
    /// Matches per minute from one address without a token (0: no limit).
    pub rate_limit_anonymous_match_per_minute: u32,
    /// Addresses or CIDR blocks of the reverse proxies in front of the service. Only a request
    /// whose peer is one of them has its client address taken from `Forwarded` or
    /// `X-Forwarded-For` (the right-most address that is not itself a trusted proxy); every
    /// other request's client is its peer. Empty: the peer always.
    pub trusted_proxies: Vec<String>,
    /// Origins (`https://app.example.org`) whose pages may call the API from a browser (CORS).
    /// `*` lets any origin make anonymous GET requests (no `Authorization`); listed origins may
    /// also send tokens and write. Empty: no cross-origin access.
    pub cors_allowed_origins: Vec<String>,
    /// Log lines as `text` (for people) or `json` (one object per line, for collectors).
    pub log_format: LogFormat,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// Threads per worker for blocking work (database, index, matching). More threads than
    /// cores and database connections only queue, and each one keeps its own allocator arena.
    pub blocking_threads: usize,
    /// New and re-published platforms wait in `pending_review` until an admin publishes them.
    pub moderation: bool,
    /// Days a proposed introduction waits for an answer before it expires.
    pub introduction_ttl_days: u32,
    /// In analytics, a count of needs below this (and above 0) shows as "<N" to everyone but
    /// admins, so that a requester cannot be singled out. 1 shows every count.
    pub analytics_min_cell: u32,
    /// Deliver webhooks to private, loopback and link-local addresses (off: public only).
    pub webhooks_allow_private: bool,
    /// Wait before a webhook delivery's first retry, doubled for each further one.
    pub webhooks_retry_base_ms: u64,
    /// SMTP server for email digests: `smtp://host:25` (plain), `smtp://host:587?tls=required`
    /// (STARTTLS) or `smtps://user:password@host:465` (TLS). Unset: no email is sent.
    #[serde(skip_serializing)]
    pub smtp_url: Option<String>,
    /// The `From` of digest emails.
    pub smtp_from: String,
    /// How often the mailer looks for digests that are due, milliseconds.
    pub email_poll_ms: u64,
    /// Vocabulary files replacing the built-in ones, by name (e.g. `readiness-areas`).
    pub vocabularies: HashMap<String, PathBuf>,
    pub matching: omics_service::MatchSettings,
    /// An external OpenID Connect issuer whose tokens are accepted too (off by default).
    pub oidc: OidcSettings,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            host: "127.0.0.1".into(),
            port: 8080,
            data_dir: PathBuf::from("./data"),
            database_url: None,
            db_pool_size: 8,
            jwt_secret: None,
            jwt_kid: "k1".into(),
            jwt_retired_keys: HashMap::new(),
            token_ttl_secs: 3600,
            max_body_bytes: 256 * 1024,
            header_timeout_secs: 5,
            request_timeout_secs: 30,
            keep_alive_secs: 5,
            disconnect_timeout_secs: 1,
            index_poll_ms: 1000,
            rate_limit_auth_per_minute: 20,
            rate_limit_anonymous_match_per_minute: 60,
            trusted_proxies: Vec::new(),
            cors_allowed_origins: Vec::new(),
            log_format: LogFormat::Text,
            workers: 0,
            blocking_threads: 4,
            moderation: false,
            introduction_ttl_days: 30,
            analytics_min_cell: omics_service::analytics::DEFAULT_MIN_CELL,
            webhooks_allow_private: false,
            webhooks_retry_base_ms: 5_000,
            smtp_url: None,
            smtp_from: "omics-match <noreply@localhost>".into(),
            email_poll_ms: 30_000,
            vocabularies: HashMap::new(),
            matching: omics_service::MatchSettings::default(),
            oidc: OidcSettings::default(),
        }
    }
}

impl Settings {
    /// What the service layer needs of these settings.
    pub fn service_config(&self) -> omics_service::Config {
        omics_service::Config {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            db_pool_size: self.db_pool_size,
            vocabularies: self.vocabularies.clone(),
            moderation: self.moderation,
            matching: self.matching.clone(),
            introduction_ttl_days: self.introduction_ttl_days,
            analytics_min_cell: self.analytics_min_cell,
            webhooks: omics_service::webhooks::WebhookSettings {
                allow_private: self.webhooks_allow_private,
                retry_base_ms: self.webhooks_retry_base_ms.max(1),
            },
            email: self.smtp().is_some(),
        }
    }

    /// The SMTP server's URL, when one is configured.
    pub fn smtp(&self) -> Option<&str> {
        self.smtp_url.as_deref().map(str::trim).filter(|u| !u.is_empty())
    }

    /// Whether records are kept in PostgreSQL (and so the service may run as several replicas).
    pub fn uses_postgres(&self) -> bool {
        omics_store::Backend::from_url(&self.effective_database_url()) == omics_store::Backend::Postgres
    }

    /// The database URL in effect: the configured one, or the SQLite file in `data_dir`.
    pub fn effective_database_url(&self) -> String {
        self.service_config().effective_database_url()
    }
}
