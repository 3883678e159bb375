//! Settings, the shared application state, and the `Application` that opens the database and
//! the index, catches the index up, binds and serves.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::http::KeepAlive;
use actix_web::{App, HttpServer, web};
use omics_domain::Vocabularies;
use omics_index::SearchIndex;
use omics_store::Store;
use serde::{Deserialize, Serialize};

use crate::auth::TokenKeys;
use crate::oidc::{Oidc, OidcSettings};

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
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// Threads per worker for blocking work (database, index, matching). More threads than
    /// cores and database connections only queue, and each one keeps its own allocator arena.
    pub blocking_threads: usize,
    /// New and re-published platforms wait in `pending_review` until an admin publishes them.
    pub moderation: bool,
    /// Vocabulary files replacing the built-in ones, by name (e.g. `readiness-areas`).
    pub vocabularies: HashMap<String, PathBuf>,
    pub matching: MatchSettings,
    /// An external OpenID Connect issuer whose tokens are accepted too (off by default).
    pub oidc: OidcSettings,
}

/// Matching defaults.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct MatchSettings {
    /// Default component weights; a request may override them.
    pub weights: omics_matching::Weights,
    /// Most candidates taken from the index for one match.
    pub max_candidates: usize,
}

impl Default for MatchSettings {
    fn default() -> Self {
        MatchSettings { weights: omics_matching::Weights::default(), max_candidates: 5_000 }
    }
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
            workers: 0,
            blocking_threads: 4,
            moderation: false,
            vocabularies: HashMap::new(),
            matching: MatchSettings::default(),
            oidc: OidcSettings::default(),
        }
    }
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("data directory {0}: {1}")]
    DataDir(PathBuf, std::io::Error),
    #[error("vocabulary file {0}: {1}")]
    VocabularyFile(PathBuf, std::io::Error),
    #[error(transparent)]
    Vocabulary(#[from] omics_domain::vocab::VocabularyError),
    #[error("database: {0}")]
    Store(#[from] omics_store::StoreError),
    #[error("search index: {0}")]
    Index(#[from] omics_index::IndexError),
    #[error("token secret: {0}")]
    Secret(String),
    #[error("external token issuer: {0}")]
    Oidc(String),
    #[error("matching settings: {0}")]
    Matching(String),
    #[error("cannot listen on {0}: {1}")]
    Bind(String, std::io::Error),
}

/// What every handler shares.
pub struct AppState {
    pub store: Arc<Store>,
    pub index: Arc<SearchIndex>,
    pub vocabs: Arc<Vocabularies>,
    pub tokens: TokenKeys,
    /// The external OpenID Connect issuer, when one is configured.
    pub oidc: Option<Oidc>,
    pub limits: crate::ratelimit::Limits,
    pub settings: Settings,
}

impl AppState {
    pub fn new(opened: Opened, tokens: TokenKeys, settings: Settings) -> AppState {
        let limits = crate::ratelimit::Limits::new(settings.rate_limit_auth_per_minute, settings.rate_limit_anonymous_match_per_minute);
        AppState { store: opened.store, index: opened.index, vocabs: opened.vocabs, tokens, oidc: None, limits, settings }
    }
}

impl Settings {
    /// The database URL in effect: the configured one, or the SQLite file in `data_dir`.
    pub fn effective_database_url(&self) -> String {
        match self.database_url.as_deref().filter(|u| !u.is_empty()) {
            Some(u) => u.to_owned(),
            None => self.data_dir.join("omics-match.db").to_string_lossy().into_owned(),
        }
    }

    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    /// Load the vocabularies, with configured files replacing built-in ones.
    pub fn load_vocabularies(&self) -> Result<Vocabularies, StartError> {
        let mut overrides = HashMap::new();
        for (name, path) in &self.vocabularies {
            let json = std::fs::read_to_string(path).map_err(|e| StartError::VocabularyFile(path.clone(), e))?;
            overrides.insert(name.clone(), json);
        }
        Ok(Vocabularies::load(&overrides)?)
    }
}

/// The token secret: configured, or generated once and kept in `data_dir/jwt-secret`.
fn token_secret(settings: &Settings) -> Result<Vec<u8>, StartError> {
    if let Some(s) = settings.jwt_secret.as_deref().filter(|s| !s.is_empty()) {
        if s.len() < 32 {
            return Err(StartError::Secret("jwt_secret must be at least 32 bytes".into()));
        }
        return Ok(s.as_bytes().to_vec());
    }
    let path = settings.data_dir.join("jwt-secret");
    match std::fs::read_to_string(&path) {
        Ok(s) if s.trim().len() >= 32 => Ok(s.trim().as_bytes().to_vec()),
        _ => {
            use rand::Rng;
            let secret: String = rand::rng().sample_iter(rand::distr::Alphanumeric).take(64).map(char::from).collect();
            write_private(&path, &secret).map_err(|e| StartError::Secret(format!("{}: {e}", path.display())))?;
            Ok(secret.into_bytes())
        }
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(contents.as_bytes())
}

/// The opened store, index and vocabularies (used by `serve`, `import`, `reindex`).
pub struct Opened {
    pub store: Arc<Store>,
    pub index: Arc<SearchIndex>,
    pub vocabs: Arc<Vocabularies>,
}

/// Open the database (running migrations) and the index (catching it up), and load the
/// catalogue of records that matching reads: what a server needs.
pub fn open(settings: &Settings) -> Result<Opened, StartError> {
    let opened = open_for_batch(settings)?;
    let started = std::time::Instant::now();
    let n = opened.index.load_catalogue(&opened.store)?;
    tracing::info!(records = n, secs = started.elapsed().as_secs_f64(), "catalogue loaded");
    opened.index.catch_up(&opened.store)?;
    Ok(opened)
}

/// [`open`] without the catalogue: for commands that write or read in bulk (`import`,
/// `export`, `reindex`) and need no matching.
pub fn open_for_batch(settings: &Settings) -> Result<Opened, StartError> {
    settings.matching.weights.validate().map_err(StartError::Matching)?;
    std::fs::create_dir_all(&settings.data_dir).map_err(|e| StartError::DataDir(settings.data_dir.clone(), e))?;
    let vocabs = Arc::new(settings.load_vocabularies()?);
    let store = Arc::new(Store::open(&settings.effective_database_url(), settings.db_pool_size)?);
    let index = Arc::new(SearchIndex::open(&settings.index_dir(), vocabs.clone())?);
    let applied = index.catch_up(&store)?;
    if applied > 0 {
        tracing::info!(applied, "search index caught up with the database");
    }
    Ok(Opened { store, index, vocabs })
}

/// The running service.
pub struct Application {
    port: u16,
    server: Server,
    pub state: web::Data<AppState>,
}

impl Application {
    /// Open everything and bind; `run` then serves until stopped.
    pub fn build(settings: Settings) -> Result<Application, StartError> {
        let opened = open(&settings)?;
        Self::from_opened(settings, opened)
    }

    pub fn from_opened(settings: Settings, opened: Opened) -> Result<Application, StartError> {
        let retired: Vec<(String, Vec<u8>)> = settings.jwt_retired_keys.iter().map(|(k, s)| (k.clone(), s.as_bytes().to_vec())).collect();
        let tokens = TokenKeys::with_kid(&settings.jwt_kid, &token_secret(&settings)?, &retired, settings.token_ttl_secs)
            .map_err(|e| StartError::Secret(e.to_string()))?;
        let oidc = Oidc::from_settings(&settings.oidc).map_err(StartError::Oidc)?;
        if let Some(o) = &oidc {
            tracing::info!(issuer = o.issuer(), "accepting tokens of an external OpenID Connect issuer");
        }
        let addr = format!("{}:{}", settings.host, settings.port);
        let listener = TcpListener::bind(&addr).map_err(|e| StartError::Bind(addr.clone(), e))?;
        let port = listener.local_addr().map_err(|e| StartError::Bind(addr.clone(), e))?.port();
        let (workers, blocking_threads) = (settings.workers, settings.blocking_threads);
        let keep_alive = match settings.keep_alive_secs {
            0 => KeepAlive::Disabled,
            secs => KeepAlive::Timeout(Duration::from_secs(secs)),
        };
        let (header_timeout, disconnect_timeout) =
            (Duration::from_secs(settings.header_timeout_secs), Duration::from_secs(settings.disconnect_timeout_secs));
        let state = web::Data::new(AppState { oidc, ..AppState::new(opened, tokens, settings) });
        let data = state.clone();
        let mut server = HttpServer::new(move || App::new().configure(|cfg| crate::configure(cfg, data.clone())))
            .listen(listener)
            .map_err(|e| StartError::Bind(addr.clone(), e))?
            .client_request_timeout(header_timeout)
            .client_disconnect_timeout(disconnect_timeout)
            .keep_alive(keep_alive)
            .shutdown_timeout(20);
        if workers > 0 {
            server = server.workers(workers);
        }
        server = server.worker_max_blocking_threads(blocking_threads.max(1));
        Ok(Application { port, server: server.run(), state })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server gracefully.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serve until the server stops (SIGINT/SIGTERM stop it gracefully). Meanwhile the index
    /// polls the change log for writes made by other instances.
    pub async fn run(self) -> std::io::Result<()> {
        let state = self.state.clone();
        let poll = Duration::from_millis(state.settings.index_poll_ms.max(50));
        let follower = actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(poll);
            loop {
                tick.tick().await;
                let (store, index) = (state.store.clone(), state.index.clone());
                match web::block(move || index.catch_up(&store)).await {
                    Ok(Err(e)) => tracing::warn!(error = %e, "index catch-up failed; will retry"),
                    Err(e) => tracing::warn!(error = %e, "index catch-up task failed"),
                    Ok(Ok(_)) => {}
                }
            }
        });
        let result = self.server.await;
        follower.abort();
        // One last catch-up so the index is committed in step with the database at exit.
        let (store, index) = (self.state.store.clone(), self.state.index.clone());
        if let Ok(Err(e)) = web::block(move || index.catch_up(&store)).await {
            tracing::warn!(error = %e, "final index catch-up failed; it will catch up at next start");
        }
        result
    }
}
