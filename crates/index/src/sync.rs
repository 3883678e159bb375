//! Keeping the index in step with the database: applying the change log after the last
//! commit, rebuilding from the records, and loading the in-memory catalogue.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use omics_domain::Record;
use omics_store::Store;
use tantivy::indexer::NoMergePolicy;
use tantivy::{IndexWriter, Term};
use uuid::Uuid;

use crate::schema::{Payload, SCHEMA_VERSION};
use crate::{Entry, Result, SearchIndex, merge_policy};

const CATCH_UP_BATCH: i64 = 2_000;
/// Records read by each query of a scan.
const SCAN_BATCH: i64 = 5_000;
/// The records of one share of a first build, as catalogue entries.
type Share = Vec<(Uuid, Arc<Entry>)>;
/// A long catch-up commits every this many changes (one commit per catch-up otherwise): each
/// commit writes a segment and syncs it, so fewer commits index faster, while a crash replays
/// at most this many changes.
const COMMIT_EVERY: usize = 20_000;
impl SearchIndex {
    fn lock_writer(&self) -> std::sync::MutexGuard<'_, IndexWriter> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn commit(&self, w: &mut IndexWriter, seq: i64) -> Result<()> {
        let payload =
            serde_json::to_string(&Payload { seq, schema: SCHEMA_VERSION, vocabularies: self.vocab_stamp.clone() }).unwrap_or_default();
        let mut prepared = w.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Apply every change logged after the last commit; returns how many changes were applied.
    pub fn catch_up(&self, store: &Store) -> Result<usize> {
        let mut w = self.lock_writer();
        let mut applied = 0;
        let mut pending = 0;
        let mut seq = self.applied_seq();
        loop {
            let changes = store.changes_after(seq, CATCH_UP_BATCH)?;
            let Some(last) = changes.last().map(|c| c.seq) else { break };
            let mut ids: Vec<Uuid> = Vec::with_capacity(changes.len());
            let mut seen = HashSet::new();
            for c in &changes {
                if seen.insert(c.entity_id) {
                    ids.push(c.entity_id);
                }
            }
            for id in &ids {
                w.delete_term(Term::from_field_text(self.f.id, &id.to_string()));
            }
            let current = store.get_many(&ids)?;
            for rec in &current {
                w.add_document(self.document(rec))?;
            }
            // Before the commit: a search never finds an id the catalogue does not hold yet.
            if self.catalogue_loaded.load(Ordering::Acquire) {
                self.catalogue.apply(&ids, current, &self.vocabs, last);
            }
            applied += changes.len();
            pending += changes.len();
            seq = last;
            if pending >= COMMIT_EVERY {
                self.commit(&mut w, seq)?;
                pending = 0;
            }
        }
        if pending > 0 {
            self.commit(&mut w, seq)?;
        }
        Ok(applied)
    }

    /// Fill the catalogue with every record (a server does, batch commands need not), then
    /// keep it in step with each catch-up.
    pub fn load_catalogue(&self, store: &Store) -> Result<usize> {
        // Under the writer lock, no catch-up runs meanwhile; whatever the store changes while
        // this reads is logged after the index's sequence number and replayed by the next one.
        let _w = self.lock_writer();
        let mut all = rustc_hash::FxHashMap::default();
        scan_all(store, |rec| {
            all.insert(rec.meta().id, Arc::new(Entry::new(rec, &self.vocabs)));
            Ok(())
        })?;
        let n = all.len();
        // Read after the index's sequence number (under the writer lock): at least that new.
        self.catalogue.replace(all, self.applied_seq());
        self.catalogue_loaded.store(true, Ordering::Release);
        Ok(n)
    }

    /// A new replica's first start: fill an empty index and the catalogue from one scan of the
    /// records, each read and parsed once, rather than replaying the whole change log and then
    /// reading every record again for the catalogue. The scan is split by id into a share per
    /// core, each read over its own connection and parsed on its own thread, while tantivy
    /// indexes on its own threads. Returns how many records, or `None` when the index is not
    /// empty or the database is (the caller catches up and loads the catalogue as usual).
    pub fn build_with_catalogue(&self, store: &Store) -> Result<Option<usize>> {
        let mut w = self.lock_writer();
        if self.applied_seq() != 0 || self.reader.searcher().num_docs() != 0 {
            return Ok(None);
        }
        // Changes after `seq` are replayed by the next catch-up, into the index and the
        // catalogue alike; replaying a change the scan already saw is harmless.
        let seq = store.last_seq()?;
        if seq == 0 {
            return Ok(None);
        }
        let splits = store.id_splits(parallelism())?;
        // No merging while the segments are written: it would take the cores the build needs.
        // Merging starts after the commit, in the background, with the replica already serving.
        w.set_merge_policy(Box::new(NoMergePolicy));
        let writer: &IndexWriter = &w;
        let shares: Result<Vec<Share>> = std::thread::scope(|s| {
            let threads: Vec<_> =
                shares(&splits).map(|(after, upto)| s.spawn(move || self.read_share(store, writer, after, upto))).collect();
            threads.into_iter().map(|t| t.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
        });
        w.set_merge_policy(merge_policy());
        let shares = match shares {
            Ok(shares) => shares,
            Err(e) => {
                // Leave the index empty, as it was, for the next attempt.
                w.rollback()?;
                return Err(e);
            }
        };
        self.commit(&mut w, seq)?;
        let mut all = rustc_hash::FxHashMap::with_capacity_and_hasher(shares.iter().map(Vec::len).sum(), Default::default());
        all.extend(shares.into_iter().flatten());
        let n = all.len();
        self.catalogue.replace(all, seq);
        self.catalogue_loaded.store(true, Ordering::Release);
        Ok(Some(n))
    }

    /// One share of a first build: its records added to the index, and returned as entries
    /// for the catalogue.
    fn read_share(&self, store: &Store, writer: &IndexWriter, after: Option<Uuid>, upto: Option<Uuid>) -> Result<Share> {
        let mut entries = Vec::new();
        scan_range(store, after, upto, |rec| {
            writer.add_document(self.document(&rec))?;
            entries.push((rec.meta().id, Arc::new(Entry::new(rec, &self.vocabs))));
            Ok(())
        })?;
        Ok(entries)
    }

    /// Empty the index and index every record again; returns how many were indexed.
    pub fn rebuild(&self, store: &Store) -> Result<usize> {
        let mut w = self.lock_writer();
        // Changes after `seq` are replayed by the next catch-up; replaying is idempotent.
        let seq = store.last_seq()?;
        w.delete_all_documents()?;
        // The catalogue, where one is kept, already holds the records and follows catch-ups.
        let mut n = 0;
        scan_all(store, |rec| {
            w.add_document(self.document(&rec))?;
            n += 1;
            Ok(())
        })?;
        self.commit(&mut w, seq)?;
        Ok(n)
    }
}

/// Every record in the store, in batches.
fn scan_all(store: &Store, each: impl FnMut(Record) -> Result<()>) -> Result<()> {
    scan_range(store, None, None, each)
}

/// The records after `after` (exclusive) up to `upto` (inclusive), in id order, in batches.
fn scan_range(store: &Store, mut after: Option<Uuid>, upto: Option<Uuid>, mut each: impl FnMut(Record) -> Result<()>) -> Result<()> {
    loop {
        let batch = store.scan_range(None, after, upto, SCAN_BATCH)?;
        let Some(last) = batch.last() else { break };
        after = Some(last.meta().id);
        for rec in batch {
            each(rec)?;
        }
    }
    Ok(())
}

/// The `(after, upto)` bounds of the shares that `splits` cut the ids into.
fn shares(splits: &[Uuid]) -> impl Iterator<Item = (Option<Uuid>, Option<Uuid>)> + '_ {
    let lows = std::iter::once(None).chain(splits.iter().copied().map(Some));
    let highs = splits.iter().copied().map(Some).chain(std::iter::once(None));
    lows.zip(highs)
}

/// Threads to read and parse a first scan with: one per core, at most four.
pub(crate) fn parallelism() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}
