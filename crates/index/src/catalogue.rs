//! Every record, parsed, in memory: the read model that matching scores. It follows the same
//! change log as the search index (filled whole at the first catch-up, then changed with each
//! one), so a match reads its thousands of candidates here instead of parsing them from the
//! database on every request. Each platform is kept with its [`Features`], the compact form
//! ranking scores from.

use std::sync::{Arc, RwLock};

use omics_domain::{Record, Vocabularies};
use omics_matching::Features;
use rustc_hash::FxHashMap;
use uuid::Uuid;

/// A record with what ranking reads of it.
#[derive(Debug)]
pub struct Entry {
    pub record: Record,
    /// For a platform whose terms the vocabularies all know.
    pub features: Option<Features>,
}

impl Entry {
    pub fn new(record: Record, vocabs: &Vocabularies) -> Entry {
        let features = match &record {
            Record::Platform(p) => Features::of(p, vocabs),
            Record::Need(_) => None,
        };
        Entry { record, features }
    }
}

pub(crate) type Map = FxHashMap<Uuid, Arc<Entry>>;

#[derive(Debug, Default)]
struct Inner {
    map: Map,
    /// The change-log sequence number the records reflect at least.
    seq: i64,
}

#[derive(Debug, Default)]
pub struct Catalogue {
    inner: RwLock<Inner>,
}

impl Catalogue {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Records by id, in the order of `ids`; unknown ids are skipped.
    pub fn get_many(&self, ids: &[Uuid]) -> Vec<Arc<Entry>> {
        let inner = self.read();
        ids.iter().filter_map(|id| inner.map.get(id).cloned()).collect()
    }

    /// Ids of the records `keep` holds true of (a scan of every record under the read lock).
    pub fn ids_where(&self, keep: impl Fn(&Record) -> bool) -> Vec<Uuid> {
        self.read().map.values().filter(|e| keep(&e.record)).map(|e| e.record.meta().id).collect()
    }

    /// The change-log sequence number the catalogue reflects at least. Read before records
    /// are taken, it tells whether they are current: if the change log still ends there, no
    /// record changed since (the catalogue never runs ahead of the database).
    pub fn seq(&self) -> i64 {
        self.read().seq
    }

    /// Apply one batch of changes: `changed` are the ids the change log named, `current` what
    /// the store holds for them now (an id without a record was deleted), and `seq` the last
    /// change of the batch.
    pub(crate) fn apply(&self, changed: &[Uuid], current: Vec<Record>, vocabs: &Vocabularies, seq: i64) {
        let entries: Vec<Arc<Entry>> = current.into_iter().map(|r| Arc::new(Entry::new(r, vocabs))).collect();
        let mut inner = self.write();
        for id in changed {
            inner.map.remove(id);
        }
        for e in entries {
            inner.map.insert(e.record.meta().id, e);
        }
        inner.seq = inner.seq.max(seq);
    }

    /// Replace everything with records read at change `seq` or later.
    pub(crate) fn replace(&self, map: Map, seq: i64) {
        *self.write() = Inner { map, seq };
    }
}
