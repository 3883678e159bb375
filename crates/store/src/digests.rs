//! Email digests: each account follows the outbox (`events`) with a cursor of its own, the
//! last event it has been mailed. A digest holds the account's events after the cursor that
//! are still unread; the cursor moves only once the email was accepted by the SMTP server, so
//! an event is mailed at least once, and again only when a crash fell between the two.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use omics_domain::EmailDigest;
use uuid::Uuid;

use crate::conn::Store;
use crate::events::{Event, EventRow, max_event_seq};
use crate::records::parse_uuid;
use crate::schema::{events, users};
use crate::{Result, StoreError};

/// Placeholder addresses of external accounts without a usable email: never mailed.
const NO_MAILBOX: &str = "%@external.invalid";

/// An account whose digest is due, with what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct DueDigest {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub frequency: EmailDigest,
    /// Its unread events after the cursor, oldest first (at most the limit asked for).
    pub events: Vec<Event>,
    /// Where the cursor goes once this digest is sent: the last event it covers.
    pub up_to: i64,
}

fn parse_digest(id: &str, s: &str) -> Result<EmailDigest> {
    EmailDigest::parse(s).ok_or_else(|| StoreError::Corrupt(id.to_owned(), format!("email digest {s}")))
}

impl Store {
    /// An account's email digest setting; `None` when there is no such account.
    pub fn email_digest(&self, user: Uuid) -> Result<Option<EmailDigest>> {
        let mut c = self.conn()?;
        let s: Option<String> = users::table.find(user.to_string()).select(users::email_digest).first(&mut *c).optional()?;
        s.map(|s| parse_digest(&user.to_string(), &s)).transpose()
    }

    /// Set how often an account is mailed. Turning it on starts after the events already in
    /// the outbox, so nothing old is mailed.
    pub fn set_email_digest(&self, user: Uuid, frequency: EmailDigest) -> Result<()> {
        self.write(|c| {
            let me = || users::table.find(user.to_string());
            let was: String = me().select(users::email_digest).first(c).optional()?.ok_or(StoreError::NotFound)?;
            if was == EmailDigest::Off.as_str() && frequency != EmailDigest::Off {
                let last = max_event_seq(c)?;
                diesel::update(me()).set(users::digest_cursor_seq.eq(last)).execute(c)?;
            }
            diesel::update(me())
                .set((users::email_digest.eq(frequency.as_str()), users::updated_at.eq(Utc::now().naive_utc())))
                .execute(c)?;
            Ok(())
        })
    }

    /// The digests due at `now`: accounts with unread events after their cursor whose digest
    /// is `immediate`, or `daily` with no email in the last 24 hours. At most `accounts`
    /// accounts and `per_account` events each (the rest go in the next digest).
    pub fn due_digests(&self, now: DateTime<Utc>, accounts: i64, per_account: i64) -> Result<Vec<DueDigest>> {
        let mut c = self.conn()?;
        let day_ago = (now - Duration::hours(24)).naive_utc();
        let due = users::email_digest.eq(EmailDigest::Immediate.as_str()).or(users::email_digest
            .eq(EmailDigest::Daily.as_str())
            .and(users::digest_sent_at.is_null().or(users::digest_sent_at.le(day_ago))));
        let who: Vec<(String, String, String, String, i64)> = events::table
            .inner_join(users::table)
            .filter(events::read_at.is_null())
            .filter(events::seq.gt(users::digest_cursor_seq))
            .filter(due)
            .filter(users::email.not_like(NO_MAILBOX))
            .select((users::id, users::email, users::display_name, users::email_digest, users::digest_cursor_seq))
            .distinct()
            .order(users::id)
            .limit(accounts)
            .load(&mut *c)?;
        let mut out = Vec::with_capacity(who.len());
        for (id, email, display_name, frequency, cursor) in who {
            let rows: Vec<EventRow> = events::table
                .filter(events::recipient_id.eq(&id))
                .filter(events::read_at.is_null())
                .filter(events::seq.gt(cursor))
                .order(events::seq.asc())
                .limit(per_account)
                .select(EventRow::as_select())
                .load(&mut *c)?;
            let events: Vec<Event> = rows.into_iter().map(EventRow::into_event).collect::<Result<_>>()?;
            let Some(up_to) = events.last().map(|e| e.seq) else { continue };
            out.push(DueDigest {
                user_id: parse_uuid(&id)?,
                frequency: parse_digest(&id, &frequency)?,
                email,
                display_name,
                events,
                up_to,
            });
        }
        Ok(out)
    }

    /// Record that an account's digest up to event `up_to` was sent at `now` (the cursor never
    /// moves back).
    pub fn digest_sent(&self, user: Uuid, up_to: i64, now: DateTime<Utc>) -> Result<()> {
        self.write(|c| {
            diesel::update(users::table.find(user.to_string()).filter(users::digest_cursor_seq.lt(up_to)))
                .set((users::digest_cursor_seq.eq(up_to), users::digest_sent_at.eq(now.naive_utc())))
                .execute(c)?;
            Ok(())
        })
    }
}
