//! Opening the service: the vocabularies, the database (running its migrations) and the
//! search index (caught up with the database's change log).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use omics_domain::Vocabularies;
use omics_index::SearchIndex;
use omics_store::Store;
use serde::{Deserialize, Serialize};

use crate::Service;

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

/// What the service needs to open and to apply its rules.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Folder for the SQLite file and the search index.
    pub data_dir: PathBuf,
    /// `postgres://...`, or empty for SQLite in `data_dir`.
    pub database_url: Option<String>,
    pub db_pool_size: u32,
    /// Vocabulary files replacing the built-in ones, by name.
    pub vocabularies: HashMap<String, PathBuf>,
    /// New and re-published platforms wait in `pending_review` until an admin publishes them.
    pub moderation: bool,
    pub matching: MatchSettings,
    /// Days a proposed introduction waits for an answer before it expires.
    pub introduction_ttl_days: u32,
    pub webhooks: crate::webhooks::WebhookSettings,
    /// Whether email digests are sent (an SMTP server is configured).
    pub email: bool,
    /// Counts of needs below this show as "<N" to non-admins in analytics.
    pub analytics_min_cell: u32,
}

/// Why the service could not open.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
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
    #[error("matching settings: {0}")]
    Matching(String),
}

impl Config {
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
    pub fn load_vocabularies(&self) -> Result<Vocabularies, OpenError> {
        let mut overrides = HashMap::new();
        for (name, path) in &self.vocabularies {
            let json = std::fs::read_to_string(path).map_err(|e| OpenError::VocabularyFile(path.clone(), e))?;
            overrides.insert(name.clone(), json);
        }
        Ok(Vocabularies::load(&overrides)?)
    }
}

impl Service {
    /// Open the database and the index, catch the index up, and load the catalogue of records
    /// that matching reads: what a server needs.
    pub fn open(config: Config) -> Result<Service, OpenError> {
        let service = Self::open_unsynced(config)?;
        let started = std::time::Instant::now();
        // A new replica (an empty index on a database with records) builds both in one pass.
        if let Some(n) = service.index.build_with_catalogue(&service.store)? {
            tracing::info!(records = n, secs = started.elapsed().as_secs_f64(), "search index and catalogue built from the database");
        } else {
            service.catch_up_index()?;
            let started = std::time::Instant::now();
            let n = service.index.load_catalogue(&service.store)?;
            tracing::info!(records = n, secs = started.elapsed().as_secs_f64(), "catalogue loaded");
        }
        service.index.catch_up(&service.store)?;
        Ok(service)
    }

    /// [`Service::open`] without the catalogue: for commands that write or read in bulk
    /// (`import`, `export`, `reindex`) and need no matching.
    pub fn open_for_batch(config: Config) -> Result<Service, OpenError> {
        let service = Self::open_unsynced(config)?;
        service.catch_up_index()?;
        Ok(service)
    }

    /// Apply to the index what the database committed since the index's last commit.
    fn catch_up_index(&self) -> Result<(), OpenError> {
        let started = std::time::Instant::now();
        let applied = self.index.catch_up(&self.store)?;
        if applied > 0 {
            tracing::info!(applied, secs = started.elapsed().as_secs_f64(), "search index caught up with the database");
        }
        Ok(())
    }

    /// The database and the index, opened, and nothing applied yet.
    fn open_unsynced(config: Config) -> Result<Service, OpenError> {
        config.matching.weights.validate().map_err(OpenError::Matching)?;
        std::fs::create_dir_all(&config.data_dir).map_err(|e| OpenError::DataDir(config.data_dir.clone(), e))?;
        let vocabs = Arc::new(config.load_vocabularies()?);
        let store = Arc::new(Store::open(&config.effective_database_url(), config.db_pool_size)?);
        let index = Arc::new(SearchIndex::open(&config.index_dir(), vocabs.clone())?);
        let analytics = crate::analytics::Analytics::new(&vocabs, config.analytics_min_cell);
        Ok(Service {
            store,
            index,
            vocabs,
            moderation: config.moderation,
            matching: config.matching,
            introduction_ttl_days: config.introduction_ttl_days,
            webhooks: config.webhooks,
            email: config.email,
            analytics,
            rate_limit_pruning: crate::ratelimits::Pruning::default(),
        })
    }
}
