//! Every record, parsed, in memory: the read model that matching scores. It follows the same
//! change log as the search index (filled whole at the first catch-up, then changed with each
//! one), so a match reads its thousands of candidates here instead of parsing them from the
//! database on every request.

use std::sync::{Arc, RwLock};

use omics_domain::Record;
use rustc_hash::FxHashMap;
use uuid::Uuid;

#[derive(Debug, Default)]
pub struct Catalogue {
    records: RwLock<FxHashMap<Uuid, Arc<Record>>>,
}

impl Catalogue {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, FxHashMap<Uuid, Arc<Record>>> {
        self.records.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, FxHashMap<Uuid, Arc<Record>>> {
        self.records.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Records by id, in the order of `ids`; unknown ids are skipped.
    pub fn get_many(&self, ids: &[Uuid]) -> Vec<Arc<Record>> {
        let map = self.read();
        ids.iter().filter_map(|id| map.get(id).cloned()).collect()
    }

    /// Apply one batch of changes: `changed` are the ids the change log named, `current` what
    /// the store holds for them now (an id without a record was deleted).
    pub(crate) fn apply(&self, changed: &[Uuid], current: Vec<Record>) {
        let mut map = self.write();
        for id in changed {
            map.remove(id);
        }
        for rec in current {
            map.insert(rec.meta().id, Arc::new(rec));
        }
    }

    /// Replace everything.
    pub(crate) fn replace(&self, all: FxHashMap<Uuid, Arc<Record>>) {
        *self.write() = all;
    }
}
