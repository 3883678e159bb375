//! Webhooks and their delivery log. Each webhook follows the outbox (`events`) by sequence
//! number: queueing takes its owner's events after its cursor and moves the cursor in the same
//! transaction, and a delivery is unique per webhook and event, so every event is queued exactly
//! once and then sent until delivered (at least once) or given up.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use omics_domain::EventKind;
use uuid::Uuid;

use crate::conn::Store;
use crate::events::{Event, EventRow, max_event_seq};
use crate::records::parse_uuid;
use crate::schema::{events, webhook_deliveries, webhooks};
use crate::{Result, StoreError};

/// An account's subscription to some kinds of its own events.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub url: String,
    pub events: Vec<EventKind>,
    /// `whsec_` and the base64 of the signing key.
    pub secret: String,
    pub created_at: DateTime<Utc>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    /// Given up after the retry window.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }
    fn parse(s: &str) -> Option<DeliveryStatus> {
        [DeliveryStatus::Pending, DeliveryStatus::Delivered, DeliveryStatus::Failed].into_iter().find(|d| d.as_str() == s)
    }
}

/// One event's delivery to one webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: Uuid,
    pub webhook_id: Uuid,
    /// The event's stable id: the `webhook-id` header of every attempt.
    pub event_id: Uuid,
    pub event_seq: i64,
    pub status: DeliveryStatus,
    pub attempts: i64,
    /// The HTTP status of the last attempt, if it got one.
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// What an attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub status: DeliveryStatus,
    pub http_status: Option<i64>,
    pub error: Option<String>,
    /// When to try again (pending only).
    pub next_attempt_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks)]
struct WebhookRow {
    id: String,
    owner_id: String,
    url: String,
    events: String,
    secret: String,
    cursor_seq: i64,
    created_at: NaiveDateTime,
}

impl WebhookRow {
    fn into_webhook(self) -> Result<Webhook> {
        let kinds: Vec<String> = serde_json::from_str(&self.events).map_err(|e| StoreError::Corrupt(self.id.clone(), e.to_string()))?;
        let events = kinds
            .iter()
            .map(|k| EventKind::parse(k).ok_or_else(|| StoreError::Corrupt(self.id.clone(), format!("event kind {k}"))))
            .collect::<Result<_>>()?;
        Ok(Webhook {
            id: parse_uuid(&self.id)?,
            owner_id: parse_uuid(&self.owner_id)?,
            url: self.url,
            events,
            secret: self.secret,
            created_at: self.created_at.and_utc(),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries)]
struct DeliveryRow {
    id: String,
    webhook_id: String,
    event_id: String,
    event_seq: i64,
    status: String,
    attempts: i64,
    last_status: Option<i64>,
    last_error: Option<String>,
    next_attempt_at: NaiveDateTime,
    created_at: NaiveDateTime,
    delivered_at: Option<NaiveDateTime>,
}

impl DeliveryRow {
    fn into_delivery(self) -> Result<Delivery> {
        Ok(Delivery {
            id: parse_uuid(&self.id)?,
            webhook_id: parse_uuid(&self.webhook_id)?,
            event_id: parse_uuid(&self.event_id)?,
            event_seq: self.event_seq,
            status: DeliveryStatus::parse(&self.status)
                .ok_or_else(|| StoreError::Corrupt(self.id.clone(), format!("status {}", self.status)))?,
            attempts: self.attempts,
            last_status: self.last_status,
            last_error: self.last_error,
            next_attempt_at: self.next_attempt_at.and_utc(),
            created_at: self.created_at.and_utc(),
            delivered_at: self.delivered_at.map(|t| t.and_utc()),
        })
    }
}

impl Store {
    /// Store a webhook; it receives the events that happen from now on.
    pub fn create_webhook(&self, w: &Webhook) -> Result<()> {
        let kinds: Vec<&str> = w.events.iter().map(|k| k.as_str()).collect();
        self.write(|c| {
            let cursor_seq = max_event_seq(c)?;
            diesel::insert_into(webhooks::table)
                .values(WebhookRow {
                    id: w.id.to_string(),
                    owner_id: w.owner_id.to_string(),
                    url: w.url.clone(),
                    events: serde_json::to_string(&kinds).unwrap_or_default(),
                    secret: w.secret.clone(),
                    cursor_seq,
                    created_at: w.created_at.naive_utc(),
                })
                .execute(c)?;
            Ok(())
        })
    }

    pub fn webhook(&self, id: Uuid) -> Result<Option<Webhook>> {
        let mut c = self.conn()?;
        webhooks::table
            .find(id.to_string())
            .select(WebhookRow::as_select())
            .first::<WebhookRow>(&mut *c)
            .optional()?
            .map(WebhookRow::into_webhook)
            .transpose()
    }

    /// The webhooks of `owner` (every webhook with `None`), oldest first.
    pub fn webhooks(&self, owner: Option<Uuid>) -> Result<Vec<Webhook>> {
        let mut c = self.conn()?;
        let mut q = webhooks::table.into_boxed();
        if let Some(o) = owner {
            q = q.filter(webhooks::owner_id.eq(o.to_string()));
        }
        q.order(webhooks::created_at.asc())
            .select(WebhookRow::as_select())
            .load::<WebhookRow>(&mut *c)?
            .into_iter()
            .map(WebhookRow::into_webhook)
            .collect()
    }

    /// Delete a webhook and its delivery log; false when there was none.
    pub fn delete_webhook(&self, id: Uuid) -> Result<bool> {
        self.write(|c| Ok(diesel::delete(webhooks::table.find(id.to_string())).execute(c)? > 0))
    }

    /// A webhook's deliveries, newest first, with their total.
    pub fn deliveries(&self, webhook_id: Uuid, offset: i64, limit: i64) -> Result<(Vec<Delivery>, i64)> {
        let mut c = self.conn()?;
        let mine = webhook_deliveries::webhook_id.eq(webhook_id.to_string());
        let total: i64 = webhook_deliveries::table.filter(mine.clone()).count().get_result(&mut *c)?;
        let rows = webhook_deliveries::table
            .filter(mine)
            .order(webhook_deliveries::event_seq.desc())
            .offset(offset)
            .limit(limit)
            .select(DeliveryRow::as_select())
            .load::<DeliveryRow>(&mut *c)?;
        Ok((rows.into_iter().map(DeliveryRow::into_delivery).collect::<Result<_>>()?, total))
    }

    /// Queue, for every webhook, its owner's events of the kinds it takes that came after its
    /// cursor, and move the cursor, each webhook in one transaction; returns how many were
    /// queued.
    pub fn queue_deliveries(&self, now: DateTime<Utc>) -> Result<usize> {
        // A read first: only webhooks behind the outbox take the write turn.
        let behind: Vec<Webhook> = {
            let mut c = self.conn()?;
            let last = max_event_seq(&mut c)?;
            webhooks::table
                .filter(webhooks::cursor_seq.lt(last))
                .select(WebhookRow::as_select())
                .load::<WebhookRow>(&mut *c)?
                .into_iter()
                .map(WebhookRow::into_webhook)
                .collect::<Result<_>>()?
        };
        let mut queued = 0;
        for w in behind {
            queued += self.write(|c| {
                let cursor: i64 = webhooks::table.find(w.id.to_string()).select(webhooks::cursor_seq).first(c)?;
                let until = max_event_seq(c)?;
                if until <= cursor {
                    return Ok(0);
                }
                let kinds: Vec<&str> = w.events.iter().map(|k| k.as_str()).collect();
                let due: Vec<(i64, String)> = events::table
                    .filter(events::recipient_id.eq(w.owner_id.to_string()))
                    .filter(events::seq.gt(cursor))
                    .filter(events::seq.le(until))
                    .filter(events::kind.eq_any(kinds))
                    .select((events::seq, events::id))
                    .load(c)?;
                for (seq, event_id) in &due {
                    diesel::insert_into(webhook_deliveries::table)
                        .values(DeliveryRow {
                            id: Uuid::now_v7().to_string(),
                            webhook_id: w.id.to_string(),
                            event_id: event_id.clone(),
                            event_seq: *seq,
                            status: DeliveryStatus::Pending.as_str().to_owned(),
                            attempts: 0,
                            last_status: None,
                            last_error: None,
                            next_attempt_at: now.naive_utc(),
                            created_at: now.naive_utc(),
                            delivered_at: None,
                        })
                        .execute(c)?;
                }
                diesel::update(webhooks::table.find(w.id.to_string())).set(webhooks::cursor_seq.eq(until)).execute(c)?;
                Ok(due.len())
            })?;
        }
        Ok(queued)
    }

    /// Webhook deliveries queued and not yet delivered (nor given up): the outbox's depth.
    pub fn pending_deliveries(&self) -> Result<i64> {
        let mut c = self.conn()?;
        Ok(webhook_deliveries::table.filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str())).count().get_result(&mut *c)?)
    }

    /// Pending deliveries due by `now`, oldest event first, with their webhook and event.
    pub fn due_deliveries(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<(Delivery, Webhook, Event)>> {
        let mut c = self.conn()?;
        let rows: Vec<(DeliveryRow, WebhookRow, EventRow)> = webhook_deliveries::table
            .inner_join(webhooks::table)
            .inner_join(events::table.on(events::id.eq(webhook_deliveries::event_id)))
            .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()))
            .filter(webhook_deliveries::next_attempt_at.le(now.naive_utc()))
            .order(webhook_deliveries::event_seq.asc())
            .limit(limit)
            .select((DeliveryRow::as_select(), WebhookRow::as_select(), EventRow::as_select()))
            .load(&mut *c)?;
        rows.into_iter().map(|(d, w, e)| Ok((d.into_delivery()?, w.into_webhook()?, e.into_event()?))).collect()
    }

    /// Record an attempt of a delivery.
    pub fn record_attempt(&self, delivery_id: Uuid, a: &Attempt, now: DateTime<Utc>) -> Result<()> {
        self.write(|c| {
            diesel::update(webhook_deliveries::table.find(delivery_id.to_string()))
                .set((
                    webhook_deliveries::status.eq(a.status.as_str()),
                    webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                    webhook_deliveries::last_status.eq(a.http_status),
                    webhook_deliveries::last_error.eq(a.error.as_deref()),
                    webhook_deliveries::next_attempt_at.eq(a.next_attempt_at.naive_utc()),
                    webhook_deliveries::delivered_at.eq((a.status == DeliveryStatus::Delivered).then_some(now.naive_utc())),
                ))
                .execute(c)?;
            Ok(())
        })
    }
}
