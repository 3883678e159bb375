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

type Map = FxHashMap<Uuid, Arc<Entry>>;

#[derive(Debug, Default)]
pub struct Catalogue {
    records: RwLock<Map>,
}

impl Catalogue {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Map> {
        self.records.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Map> {
        self.records.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Records by id, in the order of `ids`; unknown ids are skipped.
    pub fn get_many(&self, ids: &[Uuid]) -> Vec<Arc<Entry>> {
        let map = self.read();
        ids.iter().filter_map(|id| map.get(id).cloned()).collect()
    }

    /// Apply one batch of changes: `changed` are the ids the change log named, `current` what
    /// the store holds for them now (an id without a record was deleted).
    pub(crate) fn apply(&self, changed: &[Uuid], current: Vec<Record>, vocabs: &Vocabularies) {
        let entries: Vec<Arc<Entry>> = current.into_iter().map(|r| Arc::new(Entry::new(r, vocabs))).collect();
        let mut map = self.write();
        for id in changed {
            map.remove(id);
        }
        for e in entries {
            map.insert(e.record.meta().id, e);
        }
    }

    /// Replace everything.
    pub(crate) fn replace(&self, all: Map) {
        *self.write() = all;
    }
}
