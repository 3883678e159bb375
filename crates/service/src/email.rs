//! Email digests of the outbox: each account chooses `off`, `daily` or `immediate` (default
//! `daily`), and the mailer sends its unread events since the last email in one message. The
//! text names kinds, records and states only, as the feed does, never another account: the
//! requester of an anonymous need stays hidden in email too. Composing is here; the caller
//! sends (SMTP, by `lettre`, in the API crate).

use chrono::Utc;
use omics_domain::{Code, EmailDigest, FieldCode, FieldError};
use omics_store::{DueDigest, Event};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{Actor, Error, Result, Service};

/// Accounts mailed per round; the others wait for the next.
const ACCOUNTS_PER_ROUND: i64 = 200;
/// Events listed in one email; more go in the next one.
const EVENTS_PER_EMAIL: i64 = 50;

/// One email to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    pub to: String,
    pub to_name: String,
    pub subject: String,
    /// Plain text.
    pub body: String,
}

/// Sends one email; the error is the reason it was not accepted.
pub type Mailer<'a> = dyn Fn(&Email) -> std::result::Result<(), String> + 'a;

/// Your notification settings.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"email_digest": "daily", "email_enabled": true}))]
pub struct NotificationSettings {
    /// How often your unread notifications are emailed to you: `off`, `daily` (at most one
    /// email a day) or `immediate` (within a minute or so of each event).
    pub email_digest: EmailDigest,
    /// Whether this service sends email at all (an SMTP server is configured).
    pub email_enabled: bool,
}

/// `PUT /notifications/settings`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email_digest": "immediate"}))]
pub struct SettingsChange {
    /// `off`, `daily` or `immediate`.
    #[schema(value_type = EmailDigest)]
    pub email_digest: String,
}

/// The email of a due digest.
pub fn compose(d: &DueDigest) -> Email {
    let n = d.events.len();
    let subject = if n == 1 {
        format!("omics-match: {}", d.events[0].kind.summary().to_lowercase())
    } else {
        format!("omics-match: {n} new notifications")
    };
    let mut body = format!("Hello {},\n\nWhat concerns you on omics-match since our last email:\n\n", d.display_name);
    for e in &d.events {
        body.push_str(&line(e));
        body.push('\n');
    }
    let how = match d.frequency {
        EmailDigest::Immediate => "soon after each event",
        _ => "at most once a day",
    };
    body.push_str(&format!(
        "\nThey are in your notifications too (GET /api/v1/notifications); what you read there is not emailed again.\n\
         You get these emails {how}. To change that, or to stop them, send PUT /api/v1/notifications/settings \
         with {{\"email_digest\": \"off\"}}, \"daily\" or \"immediate\".\n"
    ));
    Email { to: d.email.clone(), to_name: d.display_name.clone(), subject, body }
}

/// One event as a line: when, what, and the ids it is about (never an account).
fn line(e: &Event) -> String {
    let mut out = format!("- {}  {}", e.created_at.format("%Y-%m-%d %H:%M UTC"), e.kind.summary());
    let field = |k: &str| e.payload.get(k).and_then(|v| v.as_str());
    if let (Some(from), Some(to)) = (field("from"), field("to")) {
        out.push_str(&format!(" ({from} -> {to})"));
    } else if let Some(state) = field("state") {
        out.push_str(&format!(" ({state})"));
    }
    if let Some(name) = field("saved_search") {
        out.push_str(&format!(": {name}"));
    }
    for (key, label) in
        [("introduction_id", "introduction"), ("saved_search_id", "saved search"), ("need_id", "need"), ("platform_id", "platform")]
    {
        if let Some(id) = field(key) {
            out.push_str(&format!("\n    {label} {id}"));
        }
    }
    out
}

impl Service {
    /// The caller's notification settings.
    pub fn notification_settings(&self, actor: &Actor) -> Result<NotificationSettings> {
        let email_digest = self.store.email_digest(actor.id)?.ok_or_else(|| Error::not_found("account"))?;
        Ok(NotificationSettings { email_digest, email_enabled: self.email })
    }

    /// Change how often the caller is emailed.
    pub fn set_notification_settings(&self, actor: &Actor, body: serde_json::Value) -> Result<NotificationSettings> {
        let change: SettingsChange = omics_domain::body::from_value(body)?;
        let Some(frequency) = EmailDigest::parse(change.email_digest.trim()) else {
            let known: Vec<&str> = EmailDigest::ALL.iter().map(|d| d.as_str()).collect();
            let shown: String = change.email_digest.chars().take(40).collect();
            return Err(Error::field(
                Code::ValidationFailed,
                FieldError::new("email_digest", FieldCode::InvalidValue, format!("'{shown}' is not a digest; use {}", known.join(", "))),
            ));
        };
        self.store.set_email_digest(actor.id, frequency)?;
        self.notification_settings(actor)
    }

    /// Send the digests that are due with `mail`; returns how many were sent. An account whose
    /// email was refused is tried again next round.
    pub fn send_digests(&self, mail: &Mailer<'_>) -> Result<usize> {
        let mut sent = 0;
        for d in self.store.due_digests(Utc::now(), ACCOUNTS_PER_ROUND, EVENTS_PER_EMAIL)? {
            match mail(&compose(&d)) {
                Ok(()) => {
                    self.store.digest_sent(d.user_id, d.up_to, Utc::now())?;
                    sent += 1;
                }
                Err(e) => tracing::warn!(account = %d.user_id, error = %e, "digest email not sent; will retry"),
            }
        }
        Ok(sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omics_domain::EventKind;
    use uuid::Uuid;

    fn event(kind: EventKind, payload: serde_json::Value) -> Event {
        Event {
            seq: 7,
            id: Uuid::nil(),
            kind,
            recipient_id: Uuid::nil(),
            subject_id: Uuid::nil(),
            payload,
            created_at: chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap_or_default(),
            read_at: None,
        }
    }

    #[test]
    fn a_digest_lists_each_event_with_its_ids_and_how_to_stop_it() {
        let intro = "0193a0a0-0000-7000-8000-000000000001";
        let d = DueDigest {
            user_id: Uuid::nil(),
            email: "ana@lab.example".into(),
            display_name: "Ana".into(),
            frequency: EmailDigest::Daily,
            events: vec![
                event(
                    EventKind::IntroductionProposed,
                    serde_json::json!({"introduction_id": intro, "state": "proposed", "by": "requester"}),
                ),
                event(EventKind::NeedStatusChanged, serde_json::json!({"need_id": "n1", "from": "open", "to": "expired"})),
            ],
            up_to: 7,
        };
        let m = compose(&d);
        assert_eq!(m.to, "ana@lab.example");
        assert_eq!(m.subject, "omics-match: 2 new notifications");
        assert!(m.body.starts_with("Hello Ana,"), "{}", m.body);
        assert!(m.body.contains("An introduction was proposed to you (proposed)"), "{}", m.body);
        assert!(m.body.contains(&format!("introduction {intro}")), "{}", m.body);
        assert!(m.body.contains("Your need changed state (open -> expired)"), "{}", m.body);
        assert!(m.body.contains("at most once a day"), "{}", m.body);
        assert!(m.body.contains("\"email_digest\": \"off\""), "{}", m.body);
        let one = DueDigest { events: d.events[..1].to_vec(), ..d };
        assert_eq!(compose(&one).subject, "omics-match: an introduction was proposed to you");
    }
}
