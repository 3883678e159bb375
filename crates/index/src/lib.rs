//! omics-match search index (tantivy) over platforms and needs.
//!
//! The database is the source of truth. The index follows the store's change log: every
//! commit records the last sequence number it applied (in the commit payload), `catch_up`
//! applies whatever came after, and `rebuild` starts over from the records. One writer owns
//! the index; the reader is reloaded right after each commit so a search sees what was just
//! written. All of it is blocking work: callers run it off the async executor.
//!
//! Where things are:
//! - `schema`: the fields, the analyzers, the commit payload and how a record becomes a
//!   document (bump `SCHEMA_VERSION` there when that changes).
//! - `sync`: following the change log (`catch_up`), `rebuild`, loading the catalogue.
//! - `search`: the list routes' search (free text, filters, visibility, sort, facets).
//! - `candidates`: a match's candidates and the supply counts the equity component reads.
//! - `catalogue`: every record, parsed, in memory, with its matching features.
//! - `facets`: the facet counts collector.
//! - `stem`: English stemming with a memo of the words already stemmed.

mod candidates;
mod catalogue;
mod facets;
mod schema;
mod search;
mod stem;
mod sync;

pub use candidates::Candidates;
pub use catalogue::{Catalogue, Entry};
pub use search::{Audience, FACETS, Filter, SearchRequest, SearchResult, Sort};

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use omics_domain::Vocabularies;
use omics_store::StoreError;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy};

use schema::{ANALYZER, Fields, SCHEMA_VERSION, analyzer, read_payload, schema, vocab_stamp};
pub(crate) use search::ids_of;

/// Memory of the one index writer, shared by its indexing threads (one per core, at most four).
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("invalid query: {0}")]
    Query(String),
}

/// How the writer merges segments: tantivy's default, named here because the first build
/// turns merging off while it writes and on again after.
fn merge_policy() -> Box<dyn tantivy::indexer::MergePolicy> {
    Box::new(tantivy::indexer::LogMergePolicy::default())
}

pub type Result<T, E = IndexError> = std::result::Result<T, E>;

pub struct SearchIndex {
    pub(crate) index: Index,
    pub(crate) reader: IndexReader,
    writer: Mutex<IndexWriter>,
    pub(crate) f: Fields,
    pub(crate) vocabs: Arc<Vocabularies>,
    vocab_stamp: String,
    /// The records themselves, following the same change log.
    pub catalogue: Catalogue,
    catalogue_loaded: AtomicBool,
    /// Platforms per country for each technology asked so far, for one searcher generation:
    /// they change only when the index does, and every match of a technology needs them.
    pub(crate) supply_cache: Mutex<candidates::SupplyCache>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// Open the index in `dir`, creating it if absent. An index written with another schema or
    /// other vocabularies is emptied, so the next `catch_up` rebuilds it from the database.
    pub fn open(dir: &Path, vocabs: Arc<Vocabularies>) -> Result<SearchIndex> {
        std::fs::create_dir_all(dir)?;
        let (schema, f) = schema();
        let stamp = vocab_stamp(&vocabs);
        let index = match Index::open_in_dir(dir) {
            Ok(index) => {
                let p = read_payload(&index);
                if p.schema == SCHEMA_VERSION && p.vocabularies == stamp && index.schema() == schema {
                    index
                } else {
                    tracing::warn!("search index in {} is outdated; rebuilding it", dir.display());
                    drop(index);
                    std::fs::remove_dir_all(dir)?;
                    std::fs::create_dir_all(dir)?;
                    Index::create_in_dir(dir, schema)?
                }
            }
            Err(tantivy::TantivyError::OpenDirectoryError(_)) | Err(tantivy::TantivyError::OpenReadError(_)) => {
                Index::create_in_dir(dir, schema)?
            }
            Err(e) => return Err(e.into()),
        };
        index.tokenizers().register(ANALYZER, analyzer());
        let writer = index.writer_with_num_threads(sync::parallelism(), WRITER_MEMORY)?;
        writer.set_merge_policy(merge_policy());
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            f,
            vocabs,
            vocab_stamp: stamp,
            catalogue: Catalogue::default(),
            catalogue_loaded: AtomicBool::new(false),
            supply_cache: Mutex::default(),
        })
    }

    /// The last change-log sequence number the committed index reflects.
    pub fn applied_seq(&self) -> i64 {
        read_payload(&self.index).seq
    }
}
