use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use omics_domain::{EventKind, Kind, Meta, Need, NeedFields, NeedStatus, Platform, PlatformFields, Record};
use uuid::Uuid;

use crate::conn::{DbConn, Store};
use crate::events::notify;
use crate::introductions::close_introductions_of;
use crate::schema::{change_log, records};
use crate::{Result, StoreError};

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Create,
    Update,
    Delete,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Update => "update",
            Op::Delete => "delete",
        }
    }
}

/// One entry of the change log.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub seq: i64,
    pub kind: Kind,
    pub entity_id: Uuid,
    pub op: Op,
    pub version: i64,
    pub actor_id: Option<Uuid>,
    pub at: DateTime<Utc>,
    /// For a create, the body; for an update, `{field: {"from": .., "to": ..}}` of what changed.
    pub detail: Option<serde_json::Value>,
}

/// Which changes to list in the audit trail.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub kind: Option<Kind>,
}

/// What an import of one record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    Created,
    Updated,
    Unchanged,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = records)]
pub(crate) struct Row {
    id: String,
    kind: String,
    owner_id: String,
    body: String,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = records, treat_none_as_null = true)]
struct RowWrite<'a> {
    id: String,
    kind: &'static str,
    external_key: Option<&'a str>,
    owner_id: String,
    status: &'static str,
    label: &'a str,
    country: &'a str,
    body: String,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = change_log)]
struct NewChange {
    kind: &'static str,
    entity_id: String,
    op: &'static str,
    version: i64,
    actor_id: Option<String>,
    at: NaiveDateTime,
    detail: Option<String>,
}

pub(crate) fn parse_uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|e| StoreError::Corrupt(s.to_owned(), e.to_string()))
}

impl Row {
    pub(crate) fn into_record(self) -> Result<Record> {
        let corrupt = |e: serde_json::Error| StoreError::Corrupt(self.id.clone(), e.to_string());
        let meta = Meta {
            id: parse_uuid(&self.id)?,
            owner_id: Some(parse_uuid(&self.owner_id)?),
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
            version: self.version,
        };
        Ok(match Kind::parse(&self.kind) {
            Some(Kind::Platform) => {
                Record::Platform(Platform { meta, fields: serde_json::from_str::<PlatformFields>(&self.body).map_err(corrupt)? })
            }
            Some(Kind::Need) => {
                Record::Need(Need { meta, fields: serde_json::from_str::<NeedFields>(&self.body).map_err(corrupt)?, requester: None })
            }
            None => return Err(StoreError::Corrupt(self.id.clone(), format!("unknown kind {}", self.kind))),
        })
    }
}

fn row_write(rec: &Record) -> RowWrite<'_> {
    let m = rec.meta();
    RowWrite {
        id: m.id.to_string(),
        kind: rec.kind().as_str(),
        external_key: rec.external_key(),
        owner_id: m.owner_id.unwrap_or_default().to_string(),
        status: rec.status(),
        label: rec.label(),
        country: rec.country(),
        body: rec.body_json().to_string(),
        version: m.version,
        created_at: m.created_at.naive_utc(),
        updated_at: m.updated_at.naive_utc(),
    }
}

fn duplicate_key(e: DieselError) -> StoreError {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => StoreError::Duplicate("external_key"),
        other => StoreError::Db(other),
    }
}

/// The top-level fields that differ between two bodies, each with its old and new value.
fn diff(old: &serde_json::Value, new: &serde_json::Value) -> serde_json::Value {
    let empty = serde_json::Map::new();
    let (o, n) = (old.as_object().unwrap_or(&empty), new.as_object().unwrap_or(&empty));
    let mut keys: Vec<&String> = o.keys().chain(n.keys()).collect();
    keys.sort();
    keys.dedup();
    let null = serde_json::Value::Null;
    let changed: serde_json::Map<String, serde_json::Value> = keys
        .into_iter()
        .filter(|k| o.get(*k) != n.get(*k))
        .map(|k| (k.clone(), serde_json::json!({"from": o.get(k).unwrap_or(&null), "to": n.get(k).unwrap_or(&null)})))
        .collect();
    serde_json::Value::Object(changed)
}

/// Append one change and return its sequence number.
fn log(c: &mut DbConn, kind: Kind, id: Uuid, op: Op, version: i64, actor: Option<Uuid>, detail: Option<serde_json::Value>) -> Result<i64> {
    diesel::insert_into(change_log::table)
        .values(NewChange {
            kind: kind.as_str(),
            entity_id: id.to_string(),
            op: op.as_str(),
            version,
            actor_id: actor.map(|a| a.to_string()),
            at: Utc::now().naive_utc(),
            detail: detail.map(|d| d.to_string()),
        })
        .execute(c)?;
    // Writers are serialised (see `Store::write`), so the largest seq is the one just taken.
    Ok(change_log::table.select(diesel::dsl::max(change_log::seq)).first::<Option<i64>>(c)?.unwrap_or(0))
}

fn need_status(rec: &Record) -> Option<NeedStatus> {
    match rec {
        Record::Need(n) => Some(n.fields.status),
        Record::Platform(_) => None,
    }
}

fn current_version(c: &mut DbConn, id: Uuid) -> Result<Option<i64>> {
    Ok(records::table.find(id.to_string()).select(records::version).first::<i64>(c).optional()?)
}

fn insert_in(c: &mut DbConn, rec: &Record, actor: Option<Uuid>) -> Result<i64> {
    diesel::insert_into(records::table).values(row_write(rec)).execute(c).map_err(duplicate_key)?;
    log(c, rec.kind(), rec.meta().id, Op::Create, rec.meta().version, actor, Some(rec.body_json()))
}

/// The rows `query` gives for `ids`, asked in chunks of 500 keys (bind-parameter limits).
fn by_ids<T>(c: &mut DbConn, ids: &[Uuid], mut query: impl FnMut(&mut DbConn, Vec<String>) -> Result<Vec<T>>) -> Result<Vec<T>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        out.extend(query(c, chunk.iter().map(Uuid::to_string).collect())?);
    }
    Ok(out)
}

pub(crate) fn update_in(c: &mut DbConn, rec: &Record, expected_version: i64, actor: Option<Uuid>) -> Result<i64> {
    let id = rec.meta().id;
    let old_body: Option<String> = records::table.find(id.to_string()).select(records::body).first(c).optional()?;
    let n = diesel::update(records::table.filter(records::id.eq(id.to_string())).filter(records::version.eq(expected_version)))
        .set(row_write(rec))
        .execute(c)
        .map_err(duplicate_key)?;
    if n == 0 {
        return Err(match current_version(c, id)? {
            Some(current) => StoreError::VersionConflict { current },
            None => StoreError::NotFound,
        });
    }
    let old: serde_json::Value = old_body.and_then(|b| serde_json::from_str(&b).ok()).unwrap_or_default();
    // A need's owner is told when the need changes state without them.
    if let Record::Need(n) = rec
        && old["status"].as_str().is_some_and(|s| s != n.fields.status.as_str())
        && n.meta.owner_id.is_some_and(|o| Some(o) != actor)
    {
        let payload = serde_json::json!({"need_id": id, "from": old["status"], "to": n.fields.status.as_str()});
        notify(c, EventKind::NeedStatusChanged, &[n.meta.owner_id.unwrap_or_default()], id, &payload)?;
    }
    log(c, rec.kind(), id, Op::Update, rec.meta().version, actor, Some(diff(&old, &rec.body_json())))
}

impl Store {
    /// Insert a new record (version as given, normally 1); returns the change's sequence number.
    pub fn insert(&self, rec: &Record, actor: Option<Uuid>) -> Result<i64> {
        self.write(|c| insert_in(c, rec, actor))
    }

    /// Replace a record whose stored version is `expected_version` by `rec` (which carries the
    /// new version); returns the change's sequence number.
    pub fn update(&self, rec: &Record, expected_version: i64, actor: Option<Uuid>) -> Result<i64> {
        self.write(|c| update_in(c, rec, expected_version, actor))
    }

    /// Read, change and write one record atomically: `f` gets the current record and returns
    /// its new state (with the next version), or refuses with its own error. No other writer
    /// runs in between, so an unconditional change never loses a race.
    pub fn modify<E>(
        &self,
        kind: Kind,
        id: Uuid,
        actor: Option<Uuid>,
        f: impl FnOnce(Record) -> Result<Record, E>,
    ) -> Result<Result<Record, E>> {
        self.write_or_refuse(|c| {
            let row = records::table
                .filter(records::id.eq(id.to_string()))
                .filter(records::kind.eq(kind.as_str()))
                .select(Row::as_select())
                .first::<Row>(c)
                .optional()?
                .ok_or(StoreError::NotFound)?;
            let current = row.into_record()?;
            let (expected, before) = (current.meta().version, need_status(&current));
            match f(current) {
                Ok(new) => {
                    update_in(c, &new, expected, actor)?;
                    // A need that moves on closes its open introductions, in this transaction.
                    if let (Some(before), Some(after)) = (before, need_status(&new))
                        && after != before
                        && after.closes_introductions()
                    {
                        close_introductions_of(c, id, None, after, actor)?;
                    }
                    Ok(Ok(new))
                }
                Err(e) => Ok(Err(e)),
            }
        })
    }

    /// Delete a record, if its version is `expected_version` when one is given.
    pub fn delete(&self, kind: Kind, id: Uuid, expected_version: Option<i64>, actor: Option<Uuid>) -> Result<i64> {
        self.write(|c| {
            let current = current_version(c, id)?.ok_or(StoreError::NotFound)?;
            if expected_version.is_some_and(|v| v != current) {
                return Err(StoreError::VersionConflict { current });
            }
            let n =
                diesel::delete(records::table.filter(records::id.eq(id.to_string())).filter(records::kind.eq(kind.as_str()))).execute(c)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            log(c, kind, id, Op::Delete, current + 1, actor, None)
        })
    }

    /// Create or update records by `external_key` in one transaction. A record whose key is
    /// already stored keeps its id, owner and creation time; it is updated only if its body
    /// differs. Returns each outcome and the last sequence number written.
    pub fn import(&self, batch: &[Record], actor: Option<Uuid>) -> Result<(Vec<ImportOutcome>, i64)> {
        self.write(|c| {
            let mut outcomes = Vec::with_capacity(batch.len());
            let mut last = 0;
            for rec in batch {
                let existing = match rec.external_key() {
                    Some(key) => records::table
                        .filter(records::kind.eq(rec.kind().as_str()))
                        .filter(records::external_key.eq(key))
                        .select(Row::as_select())
                        .first::<Row>(c)
                        .optional()?,
                    None => None,
                };
                match existing {
                    None => {
                        last = insert_in(c, rec, actor)?;
                        outcomes.push(ImportOutcome::Created);
                    }
                    Some(row) => {
                        let old = row.into_record()?;
                        if old.body_json() == rec.body_json() {
                            outcomes.push(ImportOutcome::Unchanged);
                            continue;
                        }
                        let mut new = rec.clone();
                        let m = new.meta_mut();
                        m.id = old.meta().id;
                        m.owner_id = old.meta().owner_id;
                        m.created_at = old.meta().created_at;
                        m.version = old.meta().version + 1;
                        last = update_in(c, &new, old.meta().version, actor)?;
                        outcomes.push(ImportOutcome::Updated);
                    }
                }
            }
            Ok((outcomes, last))
        })
    }

    /// A record of `kind` by id.
    pub fn get(&self, kind: Kind, id: Uuid) -> Result<Option<Record>> {
        let mut c = self.conn()?;
        records::table
            .filter(records::id.eq(id.to_string()))
            .filter(records::kind.eq(kind.as_str()))
            .select(Row::as_select())
            .first::<Row>(&mut *c)
            .optional()?
            .map(Row::into_record)
            .transpose()
    }

    /// Records by id, in the order of `ids`; ids not stored are skipped.
    pub fn get_many(&self, ids: &[Uuid]) -> Result<Vec<Record>> {
        let rows = by_ids(&mut *self.conn()?, ids, |c, keys| {
            Ok(records::table.filter(records::id.eq_any(keys)).select(Row::as_select()).load::<Row>(c)?)
        })?;
        let mut out = std::collections::HashMap::with_capacity(rows.len());
        for row in rows {
            let rec = row.into_record()?;
            out.insert(rec.meta().id, rec);
        }
        Ok(ids.iter().filter_map(|id| out.remove(id)).collect())
    }

    /// The stored version of each record of `ids` that exists: enough to tell whether a copy
    /// held elsewhere (the catalogue) is current, without reading the bodies. Every change of
    /// a record raises its version (it is the record's ETag).
    pub fn versions(&self, ids: &[Uuid]) -> Result<std::collections::HashMap<Uuid, i64>> {
        let rows = by_ids(&mut *self.conn()?, ids, |c, keys| {
            Ok(records::table.filter(records::id.eq_any(keys)).select((records::id, records::version)).load::<(String, i64)>(c)?)
        })?;
        rows.into_iter().map(|(id, version)| Ok((parse_uuid(&id)?, version))).collect()
    }

    /// A record of `kind` by its external key.
    pub fn by_external_key(&self, kind: Kind, key: &str) -> Result<Option<Record>> {
        let mut c = self.conn()?;
        records::table
            .filter(records::kind.eq(kind.as_str()))
            .filter(records::external_key.eq(key))
            .select(Row::as_select())
            .first::<Row>(&mut *c)
            .optional()?
            .map(Row::into_record)
            .transpose()
    }

    /// Records in id order after `after` (exclusive), at most `limit`: for rebuilds and exports.
    pub fn scan(&self, kind: Option<Kind>, after: Option<Uuid>, limit: i64) -> Result<Vec<Record>> {
        self.scan_range(kind, after, None, limit)
    }

    /// Records in id order after `after` (exclusive) and up to `upto` (inclusive), at most
    /// `limit`: one share of a scan split by [`Store::id_splits`].
    pub fn scan_range(&self, kind: Option<Kind>, after: Option<Uuid>, upto: Option<Uuid>, limit: i64) -> Result<Vec<Record>> {
        let mut c = self.conn()?;
        let mut q = records::table.select(Row::as_select()).order(records::id.asc()).limit(limit).into_boxed();
        if let Some(k) = kind {
            q = q.filter(records::kind.eq(k.as_str()));
        }
        if let Some(a) = after {
            q = q.filter(records::id.gt(a.to_string()));
        }
        let rows = q.load::<Row>(&mut *c)?;
        // The upper bound is applied here, not in the query: given both bounds, a planner
        // without fresh statistics (a database just imported or restored) expects a few rows,
        // and reads and sorts all the rest of the share for every batch instead of walking the
        // primary key. The ids' text order is the database's order of them.
        let upto = upto.map(|u| u.to_string());
        rows.into_iter().take_while(|r| upto.as_ref().is_none_or(|u| r.id <= *u)).map(Row::into_record).collect()
    }

    /// Up to `parts - 1` record ids, ascending, that cut the records in id order into `parts`
    /// shares of about equal size (ids are time-ordered UUIDs, so their values say nothing of
    /// where the records lie): share `i` is the ids after split `i - 1` up to split `i`.
    /// Fewer when there are fewer records than parts.
    pub fn id_splits(&self, parts: usize) -> Result<Vec<Uuid>> {
        let mut c = self.conn()?;
        let n: i64 = records::table.count().get_result(&mut *c)?;
        let parts = i64::try_from(parts.max(1)).unwrap_or(i64::MAX);
        let mut splits = Vec::new();
        for i in 1..parts {
            let at = n * i / parts;
            if at == 0 {
                continue;
            }
            let id: Option<String> =
                records::table.select(records::id).order(records::id.asc()).offset(at - 1).first(&mut *c).optional()?;
            if let Some(id) = id {
                let id = parse_uuid(&id)?;
                if splits.last() != Some(&id) {
                    splits.push(id);
                }
            }
        }
        Ok(splits)
    }

    /// How many records of `kind` are stored.
    pub fn count(&self, kind: Kind) -> Result<i64> {
        let mut c = self.conn()?;
        Ok(records::table.filter(records::kind.eq(kind.as_str())).count().get_result(&mut *c)?)
    }

    /// Changes with a sequence number above `after`, oldest first, at most `limit`.
    pub fn changes_after(&self, after: i64, limit: i64) -> Result<Vec<Change>> {
        self.audit(&AuditFilter::default(), after, limit)
    }

    /// Changes matching `filter` with a sequence number above `after`, oldest first.
    pub fn audit(&self, filter: &AuditFilter, after: i64, limit: i64) -> Result<Vec<Change>> {
        type ChangeRow = (i64, String, String, String, i64, Option<String>, NaiveDateTime, Option<String>);
        let mut c = self.conn()?;
        let mut q = change_log::table.filter(change_log::seq.gt(after)).order(change_log::seq.asc()).limit(limit).into_boxed();
        if let Some(e) = filter.entity_id {
            q = q.filter(change_log::entity_id.eq(e.to_string()));
        }
        if let Some(a) = filter.actor_id {
            q = q.filter(change_log::actor_id.eq(a.to_string()));
        }
        if let Some(k) = filter.kind {
            q = q.filter(change_log::kind.eq(k.as_str()));
        }
        let rows: Vec<ChangeRow> = q.load(&mut *c)?;
        rows.into_iter()
            .map(|(seq, kind, id, op, version, actor, at, detail)| {
                let bad = |what: &str| StoreError::Corrupt(format!("change {seq}"), what.to_owned());
                Ok(Change {
                    seq,
                    kind: Kind::parse(&kind).ok_or_else(|| bad("kind"))?,
                    entity_id: parse_uuid(&id)?,
                    op: match op.as_str() {
                        "create" => Op::Create,
                        "update" => Op::Update,
                        "delete" => Op::Delete,
                        _ => return Err(bad("op")),
                    },
                    version,
                    actor_id: actor.as_deref().map(parse_uuid).transpose()?,
                    at: at.and_utc(),
                    detail: detail.and_then(|d| serde_json::from_str(&d).ok()),
                })
            })
            .collect()
    }

    /// When the first change after `seq` was made, if there is one: how old the oldest change
    /// an index at `seq` has not applied is.
    pub fn change_after(&self, seq: i64) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
        let mut c = self.conn()?;
        let at = change_log::table
            .filter(change_log::seq.gt(seq))
            .order(change_log::seq.asc())
            .select(change_log::at)
            .first::<chrono::NaiveDateTime>(&mut *c)
            .optional()?;
        Ok(at.map(|t| t.and_utc()))
    }

    /// The sequence number of the newest change, 0 when there is none.
    pub fn last_seq(&self) -> Result<i64> {
        let mut c = self.conn()?;
        Ok(change_log::table.select(diesel::dsl::max(change_log::seq)).first::<Option<i64>>(&mut *c)?.unwrap_or(0))
    }
}
