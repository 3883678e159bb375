//! The outbox: events that concern an account, written in the transaction of the change that
//! caused them (so none is lost in a crash and none is written for a change that rolled back),
//! one row per recipient. The in-app feed reads it; deliveries by webhook and email will follow
//! it by `seq`.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use omics_domain::EventKind;
use uuid::Uuid;

use crate::conn::{DbConn, Store};
use crate::records::parse_uuid;
use crate::schema::{events, records};
use crate::{Result, StoreError};

/// One event for one recipient.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The order in which events were committed.
    pub seq: i64,
    /// The event's stable id.
    pub id: Uuid,
    pub kind: EventKind,
    pub recipient_id: Uuid,
    /// The introduction or need it is about.
    pub subject_id: Uuid,
    /// What a recipient may know of it: ids and states, never another account.
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

#[derive(Insertable)]
#[diesel(table_name = events)]
struct NewRow {
    id: String,
    kind: &'static str,
    recipient_id: String,
    subject_id: String,
    payload: String,
    created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = events)]
pub(crate) struct EventRow {
    seq: i64,
    id: String,
    kind: String,
    recipient_id: String,
    subject_id: String,
    payload: String,
    created_at: NaiveDateTime,
    read_at: Option<NaiveDateTime>,
}

impl EventRow {
    pub(crate) fn into_event(self) -> Result<Event> {
        let corrupt = |what: String| StoreError::Corrupt(self.id.clone(), what);
        Ok(Event {
            seq: self.seq,
            id: parse_uuid(&self.id)?,
            kind: EventKind::parse(&self.kind).ok_or_else(|| corrupt(format!("event kind {}", self.kind)))?,
            recipient_id: parse_uuid(&self.recipient_id)?,
            subject_id: parse_uuid(&self.subject_id)?,
            payload: serde_json::from_str(&self.payload).map_err(|e| corrupt(e.to_string()))?,
            created_at: self.created_at.and_utc(),
            read_at: self.read_at.map(|t| t.and_utc()),
        })
    }
}

/// Write `kind` about `subject` for each of `recipients`, in the caller's transaction.
pub(crate) fn notify(c: &mut DbConn, kind: EventKind, recipients: &[Uuid], subject: Uuid, payload: &serde_json::Value) -> Result<()> {
    let now = Utc::now().naive_utc();
    for r in recipients {
        diesel::insert_into(events::table)
            .values(NewRow {
                id: Uuid::now_v7().to_string(),
                kind: kind.as_str(),
                recipient_id: r.to_string(),
                subject_id: subject.to_string(),
                payload: payload.to_string(),
                created_at: now,
            })
            .execute(c)?;
    }
    Ok(())
}

/// The last event's sequence number (0 with none), read in the caller's transaction.
pub(crate) fn max_event_seq(c: &mut DbConn) -> Result<i64> {
    Ok(events::table.select(diesel::dsl::max(events::seq)).first::<Option<i64>>(c)?.unwrap_or(0))
}

/// The owner of a record, read in the caller's transaction.
pub(crate) fn owner_of(c: &mut DbConn, id: Uuid) -> Result<Option<Uuid>> {
    let owner: Option<String> = records::table.find(id.to_string()).select(records::owner_id).first(c).optional()?;
    owner.as_deref().map(parse_uuid).transpose()
}

/// A page of a recipient's feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Feed {
    pub events: Vec<Event>,
    /// Events in the feed (or unread ones, with `unread_only`).
    pub total: i64,
    pub unread: i64,
}

impl Store {
    /// A recipient's events: unread first, then newest first.
    pub fn feed(&self, recipient: Uuid, unread_only: bool, offset: i64, limit: i64) -> Result<Feed> {
        let mut c = self.conn()?;
        let me = recipient.to_string();
        let unread: i64 =
            events::table.filter(events::recipient_id.eq(&me)).filter(events::read_at.is_null()).count().get_result(&mut *c)?;
        let mut q = events::table.filter(events::recipient_id.eq(&me)).into_boxed();
        if unread_only {
            q = q.filter(events::read_at.is_null());
        }
        let total = if unread_only { unread } else { events::table.filter(events::recipient_id.eq(&me)).count().get_result(&mut *c)? };
        // NULLs first on both backends: order by "is read", then newest.
        let rows = q
            .order((events::read_at.is_not_null().asc(), events::seq.desc()))
            .offset(offset)
            .limit(limit)
            .select(EventRow::as_select())
            .load::<EventRow>(&mut *c)?;
        Ok(Feed { events: rows.into_iter().map(EventRow::into_event).collect::<Result<_>>()?, total, unread })
    }

    /// Mark a recipient's events read: those of `ids`, or all when `None`; returns how many
    /// were unread.
    pub fn mark_read(&self, recipient: Uuid, ids: Option<&[Uuid]>) -> Result<usize> {
        let now = Utc::now().naive_utc();
        self.write(|c| {
            let mine = events::table.filter(events::recipient_id.eq(recipient.to_string())).filter(events::read_at.is_null());
            Ok(match ids {
                None => diesel::update(mine).set(events::read_at.eq(now)).execute(c)?,
                Some(ids) => {
                    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
                    diesel::update(mine.filter(events::id.eq_any(ids))).set(events::read_at.eq(now)).execute(c)?
                }
            })
        })
    }
}
