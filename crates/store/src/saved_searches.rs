//! Saved searches and their hits. A saved search follows the change log after its cursor; the
//! follower records the records that entered its results and moves the cursor in one
//! transaction, with an event for each new hit. A hit is unique per saved search and record,
//! so each record is notified at most once per saved search, however often the follower
//! restarts or however many instances follow.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use omics_domain::{EventKind, Kind};
use uuid::Uuid;

use crate::conn::Store;
use crate::events::notify;
use crate::records::parse_uuid;
use crate::schema::{saved_search_hits, saved_searches};
use crate::{Result, StoreError};

/// A stored query and how far it has followed the change log.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedSearch {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub name: String,
    /// What it finds.
    pub kind: Kind,
    /// `q` and the filters, as the list routes take them (empty with `need_id`).
    pub query: serde_json::Value,
    /// "Platforms matching this need": the need, and the score a platform must reach.
    pub need_id: Option<Uuid>,
    pub min_score: Option<f64>,
    /// The last change of the change log it has followed.
    pub cursor_seq: i64,
    pub created_at: DateTime<Utc>,
}

/// A record that entered a saved search's results.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub record_id: Uuid,
    /// The change that brought it in.
    pub seq: i64,
    pub at: DateTime<Utc>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = saved_searches)]
struct Row {
    id: String,
    owner_id: String,
    name: String,
    kind: String,
    query: String,
    need_id: Option<String>,
    min_score: Option<f64>,
    cursor_seq: i64,
    created_at: NaiveDateTime,
}

impl Row {
    fn into_saved(self) -> Result<SavedSearch> {
        let corrupt = |what: String| StoreError::Corrupt(self.id.clone(), what);
        Ok(SavedSearch {
            id: parse_uuid(&self.id)?,
            owner_id: parse_uuid(&self.owner_id)?,
            kind: Kind::parse(&self.kind).ok_or_else(|| corrupt(format!("kind {}", self.kind)))?,
            query: serde_json::from_str(&self.query).map_err(|e| corrupt(e.to_string()))?,
            need_id: self.need_id.as_deref().map(parse_uuid).transpose()?,
            min_score: self.min_score,
            cursor_seq: self.cursor_seq,
            created_at: self.created_at.and_utc(),
            name: self.name,
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = saved_search_hits)]
struct HitRow {
    saved_search_id: String,
    record_id: String,
    hit_seq: Option<i64>,
    created_at: NaiveDateTime,
}

impl Store {
    /// Store a saved search with what it finds now (`found`, never notified); it follows the
    /// change log after `s.cursor_seq`, which `found` is at least as new as.
    pub fn create_saved_search(&self, s: &SavedSearch, found: &[Uuid]) -> Result<()> {
        self.write(|c| {
            diesel::insert_into(saved_searches::table)
                .values(Row {
                    id: s.id.to_string(),
                    owner_id: s.owner_id.to_string(),
                    name: s.name.clone(),
                    kind: s.kind.as_str().to_owned(),
                    query: s.query.to_string(),
                    need_id: s.need_id.map(|n| n.to_string()),
                    min_score: s.min_score,
                    cursor_seq: s.cursor_seq,
                    created_at: s.created_at.naive_utc(),
                })
                .execute(c)?;
            let at = s.created_at.naive_utc();
            // One row at a time: the connection serves either backend, which diesel's batch
            // insert does not.
            for r in found {
                diesel::insert_into(saved_search_hits::table)
                    .values(HitRow { saved_search_id: s.id.to_string(), record_id: r.to_string(), hit_seq: None, created_at: at })
                    .execute(c)?;
            }
            Ok(())
        })
    }

    pub fn saved_search(&self, id: Uuid) -> Result<Option<SavedSearch>> {
        let mut c = self.conn()?;
        saved_searches::table
            .find(id.to_string())
            .select(Row::as_select())
            .first::<Row>(&mut *c)
            .optional()?
            .map(Row::into_saved)
            .transpose()
    }

    /// The saved searches of `owner` (every one with `None`), oldest first.
    pub fn saved_searches(&self, owner: Option<Uuid>) -> Result<Vec<SavedSearch>> {
        let mut c = self.conn()?;
        let mut q = saved_searches::table.into_boxed();
        if let Some(o) = owner {
            q = q.filter(saved_searches::owner_id.eq(o.to_string()));
        }
        q.order((saved_searches::created_at.asc(), saved_searches::id.asc()))
            .select(Row::as_select())
            .load::<Row>(&mut *c)?
            .into_iter()
            .map(Row::into_saved)
            .collect()
    }

    /// The saved searches whose cursor is before `seq`.
    pub fn saved_searches_behind(&self, seq: i64) -> Result<Vec<SavedSearch>> {
        let mut c = self.conn()?;
        saved_searches::table
            .filter(saved_searches::cursor_seq.lt(seq))
            .order(saved_searches::cursor_seq.asc())
            .select(Row::as_select())
            .load::<Row>(&mut *c)?
            .into_iter()
            .map(Row::into_saved)
            .collect()
    }

    /// Delete a saved search and its hits; false when there was none.
    pub fn delete_saved_search(&self, id: Uuid) -> Result<bool> {
        self.write(|c| {
            diesel::delete(saved_search_hits::table.filter(saved_search_hits::saved_search_id.eq(id.to_string()))).execute(c)?;
            Ok(diesel::delete(saved_searches::table.find(id.to_string())).execute(c)? > 0)
        })
    }

    /// Record that the `entered` records (each with the change that brought it in) are in the
    /// results of saved search `id`, which has followed the change log up to `cursor`: in one
    /// transaction, each record it had not found before becomes a hit with a `saved_search.hit`
    /// event for the owner, and the cursor moves (never back). Returns the new hits. A cursor
    /// already past `cursor` means another follower did this batch: nothing is written.
    pub fn record_hits(&self, s: &SavedSearch, entered: &[(Uuid, i64)], cursor: i64) -> Result<Vec<Uuid>> {
        self.write(|c| {
            let now: Option<i64> = saved_searches::table.find(s.id.to_string()).select(saved_searches::cursor_seq).first(c).optional()?;
            let Some(now) = now.filter(|&n| n < cursor) else { return Ok(Vec::new()) };
            let mut new = Vec::new();
            let at = Utc::now().naive_utc();
            for &(record, seq) in entered.iter().filter(|(_, seq)| *seq > now) {
                let known: i64 = saved_search_hits::table
                    .filter(saved_search_hits::saved_search_id.eq(s.id.to_string()))
                    .filter(saved_search_hits::record_id.eq(record.to_string()))
                    .count()
                    .get_result(c)?;
                if known > 0 || new.contains(&record) {
                    continue;
                }
                diesel::insert_into(saved_search_hits::table)
                    .values(HitRow { saved_search_id: s.id.to_string(), record_id: record.to_string(), hit_seq: Some(seq), created_at: at })
                    .execute(c)?;
                let key = match s.kind {
                    Kind::Platform => "platform_id",
                    Kind::Need => "need_id",
                };
                let payload = serde_json::json!({"saved_search_id": s.id, "saved_search": s.name, key: record});
                notify(c, EventKind::SavedSearchHit, &[s.owner_id], s.id, &payload)?;
                new.push(record);
            }
            diesel::update(saved_searches::table.find(s.id.to_string())).set(saved_searches::cursor_seq.eq(cursor)).execute(c)?;
            Ok(new)
        })
    }

    /// A saved search's hits (not what it found when saved), newest first, with their total.
    pub fn saved_search_hits(&self, id: Uuid, offset: i64, limit: i64) -> Result<(Vec<Hit>, i64)> {
        let mut c = self.conn()?;
        let mine = saved_search_hits::saved_search_id.eq(id.to_string()).and(saved_search_hits::hit_seq.is_not_null());
        let total: i64 = saved_search_hits::table.filter(mine.clone()).count().get_result(&mut *c)?;
        let rows: Vec<(String, Option<i64>, NaiveDateTime)> = saved_search_hits::table
            .filter(mine)
            .order(saved_search_hits::hit_seq.desc())
            .offset(offset)
            .limit(limit)
            .select((saved_search_hits::record_id, saved_search_hits::hit_seq, saved_search_hits::created_at))
            .load(&mut *c)?;
        let hits = rows
            .into_iter()
            .map(|(r, seq, at)| Ok(Hit { record_id: parse_uuid(&r)?, seq: seq.unwrap_or(0), at: at.and_utc() }))
            .collect::<Result<_>>()?;
        Ok((hits, total))
    }
}
