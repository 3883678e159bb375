//! Webhooks: an account subscribes a URL to kinds of its own events, and each event is POSTed
//! there as the Standard Webhooks specification says (`webhook-id` = the event's stable id,
//! `webhook-timestamp`, `webhook-signature` = `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`),
//! at least once, retried with exponential back-off for up to 24 hours. Only http(s) URLs; no
//! private, loopback or link-local address unless `webhooks_allow_private` is on.

use std::net::{IpAddr, ToSocketAddrs};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use omics_domain::{Code, EventKind, FieldCode, FieldError, limits};
use omics_store::{Attempt, Delivery, DeliveryStatus, Event, Webhook};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::params::{next_offset, page_bounds};
use crate::{Actor, Error, Result, Service};

/// How long a delivery is retried.
pub const RETRY_WINDOW_HOURS: i64 = 24;
/// The longest wait between two attempts.
const MAX_BACKOFF_SECS: i64 = 6 * 3600;

/// What webhooks may do.
#[derive(Debug, Clone, Copy)]
pub struct WebhookSettings {
    /// Deliver to private, loopback and link-local addresses (tests, closed networks).
    pub allow_private: bool,
    /// The wait before the first retry; each further one doubles it.
    pub retry_base_ms: u64,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings { allow_private: false, retry_base_ms: 5_000 }
    }
}

/// `POST /webhooks`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"url": "https://portal.example.org/hooks/omics", "events": ["introduction.proposed", "message.received"]}))]
pub struct NewWebhook {
    /// Where to POST the events (http or https).
    pub url: String,
    /// The kinds of event to send: `introduction.proposed`, `introduction.accepted`,
    /// `introduction.declined`, `introduction.withdrawn`, `introduction.expired`,
    /// `introduction.closed`, `message.received`, `need.status_changed`, `saved_search.hit`.
    pub events: Vec<String>,
}

/// A webhook; `secret` only in the answer that created it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<EventKind>,
    pub created_at: DateTime<Utc>,
    /// The signing secret (`whsec_` + base64), shown once: keep it to verify `webhook-signature`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryParams {
    /// Page size (default 20, at most 100).
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// One event's delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    /// The event's stable id, sent as `webhook-id`.
    pub event_id: Uuid,
    /// `pending`, `delivered` or `failed` (given up after 24 hours).
    pub status: String,
    pub attempts: i64,
    /// The HTTP status of the last attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_status: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryView>,
    pub total: usize,
    pub limit: u32,
    pub offset: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<u32>,
}

fn view(w: Webhook, secret: bool) -> WebhookView {
    WebhookView { id: w.id, url: w.url, events: w.events, created_at: w.created_at, secret: secret.then_some(w.secret) }
}

fn url_error(m: String) -> Error {
    Error::field(Code::ValidationFailed, FieldError::new("url", FieldCode::InvalidValue, m))
}

/// Whether an address is one a webhook may not reach without `allow_private`.
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private() || v4.is_loopback() || v4.is_link_local() || v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast()
                // 100.64.0.0/10, carrier-grade NAT.
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback() || v6.is_unspecified() || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link local
                || v6.to_ipv4_mapped().is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

/// Check a webhook URL: http or https, with a host whose every address may be reached.
pub fn check_url(raw: &str, allow_private: bool) -> Result<url::Url> {
    if raw.is_empty() {
        return Err(Error::field(Code::ValidationFailed, FieldError::new("url", FieldCode::Required, "a webhook needs a URL")));
    }
    if raw.chars().count() > limits::SHORT_TEXT * 10 {
        return Err(Error::field(
            Code::ValidationFailed,
            FieldError::new("url", FieldCode::TooLong, format!("a webhook URL has at most {} characters", limits::SHORT_TEXT * 10)),
        ));
    }
    let url = url::Url::parse(raw).map_err(|e| url_error(format!("'{raw}' is not a URL ({e}); send an http or https URL")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(url_error(format!("webhooks are sent over http or https, not {}", url.scheme())));
    }
    let Some(host) = url.host_str() else { return Err(url_error("the URL has no host".to_owned())) };
    if allow_private {
        return Ok(url);
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<IpAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| url_error(format!("the host {host} cannot be resolved ({e})")))?
        .map(|a| a.ip())
        .collect();
    if addrs.is_empty() || addrs.iter().any(|a| is_private(*a)) {
        return Err(url_error(format!("the host {host} is a private, loopback or link-local address; webhooks go to public addresses")));
    }
    Ok(url)
}

/// The `webhook-signature` of a message: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`
/// keyed with the secret's bytes (after `whsec_`).
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String> {
    let key = B64.decode(secret.strip_prefix("whsec_").unwrap_or(secret)).map_err(Error::internal)?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).map_err(Error::internal)?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

/// The wait after the `attempts`-th failed attempt: `base`, doubled each time, at most 6 hours.
pub fn backoff(base_ms: u64, attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let ms = i64::try_from(base_ms).unwrap_or(i64::MAX).saturating_mul(1i64 << doublings);
    Duration::milliseconds(ms.min(MAX_BACKOFF_SECS * 1000))
}

/// The body sent for an event: `{type, timestamp, data}` with the event's id in `data`.
fn body_of(e: &Event) -> String {
    let mut data = e.payload.clone();
    if let Some(d) = data.as_object_mut() {
        d.insert("event_id".into(), serde_json::json!(e.id));
    }
    serde_json::json!({"type": e.kind.as_str(), "timestamp": e.created_at, "data": data}).to_string()
}

/// What an HTTP attempt answered: a status, or an error before one.
pub type Sent = std::result::Result<u16, String>;

/// The HTTP POST of a delivery: URL, headers, body.
pub type Send<'a> = dyn Fn(&str, &[(&str, String)], &str) -> Sent + 'a;

impl Service {
    /// Subscribe the caller to some kinds of their events; the secret is in this answer only.
    pub fn create_webhook(&self, actor: &Actor, body: serde_json::Value) -> Result<WebhookView> {
        let b: NewWebhook = omics_domain::body::from_value(body)?;
        let url = check_url(&b.url, self.webhooks.allow_private)?;
        if b.events.len() > EventKind::ALL.len() {
            return Err(Error::field(
                Code::ValidationFailed,
                FieldError::new("events", FieldCode::TooMany, format!("at most {} kinds of event", EventKind::ALL.len())),
            ));
        }
        if b.events.is_empty() {
            return Err(Error::field(
                Code::ValidationFailed,
                FieldError::new("events", FieldCode::Required, "name at least one kind of event"),
            ));
        }
        let mut events = Vec::new();
        for (i, k) in b.events.iter().enumerate() {
            if k.chars().count() > limits::SHORT_TEXT {
                return Err(Error::field(
                    Code::ValidationFailed,
                    FieldError::new(format!("events[{i}]"), FieldCode::TooLong, format!("at most {} characters", limits::SHORT_TEXT)),
                ));
            }
            let Some(kind) = EventKind::parse(k) else {
                let known: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
                return Err(Error::field(
                    Code::ValidationFailed,
                    FieldError::new(
                        format!("events[{i}]"),
                        FieldCode::InvalidValue,
                        format!("'{k}' is not a kind of event; use {}", known.join(", ")),
                    ),
                ));
            };
            if !events.contains(&kind) {
                events.push(kind);
            }
        }
        let mut key = [0u8; 24];
        rand::rng().fill_bytes(&mut key);
        let w = Webhook {
            id: Uuid::now_v7(),
            owner_id: actor.id,
            url: url.to_string(),
            events,
            secret: format!("whsec_{}", B64.encode(key)),
            created_at: Utc::now(),
        };
        self.store.create_webhook(&w)?;
        Ok(view(w, true))
    }

    /// The caller's webhooks (admins: all), without their secrets.
    pub fn list_webhooks(&self, actor: &Actor) -> Result<Vec<WebhookView>> {
        let owner = if actor.is_admin() { None } else { Some(actor.id) };
        Ok(self.store.webhooks(owner)?.into_iter().map(|w| view(w, false)).collect())
    }

    fn own_webhook(&self, actor: &Actor, id: Uuid) -> Result<Webhook> {
        self.store.webhook(id)?.filter(|w| actor.may_change(Some(w.owner_id))).ok_or_else(|| Error::not_found("webhook"))
    }

    /// Delete one of the caller's webhooks (admins: any) with its delivery log.
    pub fn delete_webhook(&self, actor: &Actor, id: Uuid) -> Result<()> {
        self.own_webhook(actor, id)?;
        self.store.delete_webhook(id)?;
        Ok(())
    }

    /// A webhook's delivery log, newest first (its owner and admins).
    pub fn webhook_deliveries(&self, actor: &Actor, id: Uuid, params: &DeliveryParams) -> Result<DeliveryPage> {
        let (limit, offset) = page_bounds(params.limit, params.offset)?;
        self.own_webhook(actor, id)?;
        let (rows, total) = self.store.deliveries(id, i64::from(offset), i64::from(limit))?;
        let items: Vec<DeliveryView> = rows
            .into_iter()
            .map(|d: Delivery| DeliveryView {
                id: d.id,
                event_id: d.event_id,
                status: d.status.as_str().to_owned(),
                attempts: d.attempts,
                last_status: d.last_status,
                last_error: d.last_error,
                next_attempt_at: d.next_attempt_at,
                created_at: d.created_at,
                delivered_at: d.delivered_at,
            })
            .collect();
        let total = usize::try_from(total).unwrap_or(0);
        let next = next_offset(offset, items.len(), total);
        Ok(DeliveryPage { items, total, limit, offset, next_offset: next })
    }

    /// Queue new events for every webhook and make the attempts that are due, with `send`
    /// doing the HTTP POST (url, headers, body), until `stopping` says so; returns how many
    /// were delivered.
    pub fn deliver_webhooks(&self, send: &Send<'_>, stopping: &dyn Fn() -> bool) -> Result<usize> {
        let now = Utc::now();
        self.store.queue_deliveries(now)?;
        let mut delivered = 0;
        for (d, w, e) in self.store.due_deliveries(now, 100)? {
            if stopping() {
                break;
            }
            let body = body_of(&e);
            let (id, ts) = (e.id.to_string(), Utc::now().timestamp());
            let sent = match check_url(&w.url, self.webhooks.allow_private) {
                Ok(_) => {
                    let headers = [
                        ("webhook-id", id.clone()),
                        ("webhook-timestamp", ts.to_string()),
                        ("webhook-signature", sign(&w.secret, &id, ts, &body)?),
                        ("content-type", "application/json".to_owned()),
                    ];
                    send(&w.url, &headers, &body)
                }
                Err(err) => Err(err.detail),
            };
            let attempts = d.attempts + 1;
            let next = now + backoff(self.webhooks.retry_base_ms, attempts);
            let give_up = next > d.created_at + Duration::hours(RETRY_WINDOW_HOURS);
            let attempt = match sent {
                Ok(code) if (200..300).contains(&code) => {
                    delivered += 1;
                    Attempt { status: DeliveryStatus::Delivered, http_status: Some(i64::from(code)), error: None, next_attempt_at: now }
                }
                Ok(code) => Attempt {
                    status: if give_up { DeliveryStatus::Failed } else { DeliveryStatus::Pending },
                    http_status: Some(i64::from(code)),
                    error: Some(format!("the receiver answered {code}")),
                    next_attempt_at: next,
                },
                Err(err) => Attempt {
                    status: if give_up { DeliveryStatus::Failed } else { DeliveryStatus::Pending },
                    http_status: None,
                    error: Some(err.chars().take(limits::SHORT_TEXT).collect()),
                    next_attempt_at: next,
                },
            };
            self.store.record_attempt(d.id, &attempt, Utc::now())?;
        }
        Ok(delivered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_the_standard_webhooks_reference() {
        // The example of the Standard Webhooks specification.
        let sig = sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, r#"{"test": 2432232314}"#);
        assert_eq!(sig.unwrap(), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn urls_are_http_and_public() {
        assert!(check_url("https://example.org/hook", true).is_ok());
        for bad in ["ftp://example.org/", "not a url", "file:///etc/passwd", "mailto:a@b.c"] {
            assert!(check_url(bad, true).is_err(), "{bad}");
        }
        for private in [
            "http://127.0.0.1/",
            "http://10.1.2.3/",
            "http://192.168.0.1:8080/",
            "http://169.254.169.254/",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://localhost/",
            "http://100.64.0.1/",
        ] {
            let e = check_url(private, false).unwrap_err();
            assert!(e.detail.contains("private") || e.detail.contains("resolved"), "{private}: {}", e.detail);
            assert!(check_url(private, true).is_ok(), "{private} with allow_private");
        }
        assert!(!is_private("93.184.216.34".parse().unwrap()));
    }

    #[test]
    fn back_off_doubles_and_is_capped() {
        assert_eq!(backoff(5_000, 1), Duration::seconds(5));
        assert_eq!(backoff(5_000, 2), Duration::seconds(10));
        assert_eq!(backoff(5_000, 5), Duration::seconds(80));
        assert_eq!(backoff(5_000, 40), Duration::hours(6));
        // With the default, a delivery is tried about 16 times in its 24 hours.
        let mut t = Duration::zero();
        let mut n = 0;
        while t < Duration::hours(RETRY_WINDOW_HOURS) {
            n += 1;
            t += backoff(5_000, n);
        }
        assert!((14..=18).contains(&n), "{n} attempts");
    }
}
