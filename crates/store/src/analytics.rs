//! What the analytics follower reads: the change log without the records' bodies (a need's
//! new status when an update changed it), and the introduction events of the outbox.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use omics_domain::{EventKind, Kind};
use uuid::Uuid;

use crate::conn::Store;
use crate::events::{Event, EventRow};
use crate::records::{Op, parse_uuid};
use crate::schema::{change_log, events};
use crate::{Result, StoreError};

/// One change-log entry, without its detail.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeSummary {
    pub seq: i64,
    pub kind: Kind,
    pub entity_id: Uuid,
    pub op: Op,
    pub at: DateTime<Utc>,
    /// For an update of a need that changed its status: the new status.
    pub status_to: Option<String>,
}

fn op_of(s: &str) -> Option<Op> {
    match s {
        "create" => Some(Op::Create),
        "update" => Some(Op::Update),
        "delete" => Some(Op::Delete),
        _ => None,
    }
}

impl Store {
    /// Changes with a sequence number in `(after, upto]`, oldest first, at most `limit`. Only
    /// the updates of needs have their detail read (for the status), not every record's body.
    pub fn change_summaries(&self, after: i64, upto: i64, limit: i64) -> Result<Vec<ChangeSummary>> {
        type Row = (i64, String, String, String, NaiveDateTime);
        let mut c = self.conn()?;
        let rows: Vec<Row> = change_log::table
            .filter(change_log::seq.gt(after).and(change_log::seq.le(upto)))
            .order(change_log::seq.asc())
            .limit(limit)
            .select((change_log::seq, change_log::kind, change_log::entity_id, change_log::op, change_log::at))
            .load(&mut *c)?;
        let Some(last) = rows.last().map(|r| r.0) else { return Ok(Vec::new()) };
        let details: Vec<(i64, Option<String>)> = change_log::table
            .filter(change_log::seq.gt(after).and(change_log::seq.le(last)))
            .filter(change_log::kind.eq(Kind::Need.as_str()).and(change_log::op.eq(Op::Update.as_str())))
            .select((change_log::seq, change_log::detail))
            .load(&mut *c)?;
        let status: std::collections::HashMap<i64, String> = details
            .into_iter()
            .filter_map(|(seq, d)| {
                let d: serde_json::Value = serde_json::from_str(d.as_deref()?).ok()?;
                Some((seq, d.get("status")?.get("to")?.as_str()?.to_owned()))
            })
            .collect();
        rows.into_iter()
            .map(|(seq, kind, id, op, at)| {
                let bad = |what: &str| StoreError::Corrupt(format!("change {seq}"), what.to_owned());
                Ok(ChangeSummary {
                    seq,
                    kind: Kind::parse(&kind).ok_or_else(|| bad("kind"))?,
                    entity_id: parse_uuid(&id)?,
                    op: op_of(&op).ok_or_else(|| bad("op"))?,
                    at: at.and_utc(),
                    status_to: status.get(&seq).cloned(),
                })
            })
            .collect()
    }

    /// Events of `kinds` (for every recipient) with a sequence number above `after`, oldest
    /// first, at most `limit`.
    pub fn events_of_kinds(&self, kinds: &[EventKind], after: i64, limit: i64) -> Result<Vec<Event>> {
        let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        let mut c = self.conn()?;
        let rows: Vec<EventRow> = events::table
            .filter(events::seq.gt(after))
            .filter(events::kind.eq_any(kinds))
            .order(events::seq.asc())
            .limit(limit)
            .select(EventRow::as_select())
            .load(&mut *c)?;
        rows.into_iter().map(EventRow::into_event).collect()
    }
}
