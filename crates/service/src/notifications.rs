//! The in-app feed: the events of the outbox (`omics_store::events`) addressed to the caller,
//! unread first, and marking them read. Every event names records and states only, never
//! another account, so the requester of an anonymous need stays hidden here too.

use omics_domain::{Code, EventKind, FieldCode, FieldError, limits};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::params::{next_offset, page_bounds};
use crate::{Actor, Error, Result, Service};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// Only unread notifications.
    pub unread: Option<bool>,
    /// Page size (default 20, at most 100).
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// One event that concerns you.
#[derive(Debug, Serialize, ToSchema)]
pub struct Notification {
    /// The event's stable id (the same in every delivery of it).
    pub id: Uuid,
    pub kind: EventKind,
    /// The introduction, need or saved search it is about.
    pub subject_id: Uuid,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub read: bool,
    /// Ids and states: `introduction_id`, `need_id`, `platform_id`, `state`, `by`
    /// (`requester`, `platform` or `service`); for `need.status_changed`, `from` and `to`; for
    /// `saved_search.hit`, `saved_search_id`, `saved_search` (its name) and the `platform_id`
    /// or `need_id` that entered its results.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    /// Notifications in the feed (unread ones with `unread=true`).
    pub total: usize,
    pub unread: usize,
    pub limit: u32,
    pub offset: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<u32>,
}

/// `POST /notifications/read`: the ids to mark read, or `all`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(example = json!({"ids": ["01936f1e-5b7a-7cc1-9d2e-3f4a5b6c7d8e"]}))]
pub struct ReadRequest {
    #[serde(default)]
    pub ids: Option<Vec<Uuid>>,
    /// Mark every notification read.
    #[serde(default)]
    pub all: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadResult {
    /// Notifications that were unread and are read now.
    pub marked: usize,
    /// Unread notifications left.
    pub unread: usize,
}

impl Service {
    /// The caller's notifications: unread first, then newest first.
    pub fn notifications(&self, actor: &Actor, params: &FeedParams) -> Result<NotificationPage> {
        let (limit, offset) = page_bounds(params.limit, params.offset)?;
        self.expire_introductions()?;
        let feed = self.store.feed(actor.id, params.unread.unwrap_or(false), i64::from(offset), i64::from(limit))?;
        let items: Vec<Notification> = feed
            .events
            .into_iter()
            .map(|e| Notification {
                id: e.id,
                kind: e.kind,
                subject_id: e.subject_id,
                created_at: e.created_at,
                read: e.read_at.is_some(),
                data: e.payload,
            })
            .collect();
        let total = usize::try_from(feed.total).unwrap_or(0);
        let next = next_offset(offset, items.len(), total);
        Ok(NotificationPage { items, total, unread: usize::try_from(feed.unread).unwrap_or(0), limit, offset, next_offset: next })
    }

    /// Mark the caller's notifications read: `ids`, or `all`.
    pub fn mark_read(&self, actor: &Actor, body: serde_json::Value) -> Result<ReadResult> {
        let req: ReadRequest = omics_domain::body::from_value(body)?;
        let invalid = |m: &str| Error::field(Code::ValidationFailed, FieldError::new("ids", FieldCode::InvalidValue, m));
        let marked = match (req.ids, req.all) {
            (Some(ids), None | Some(false)) => {
                if ids.len() > limits::MAX_PAGE as usize {
                    return Err(Error::field(
                        Code::ValidationFailed,
                        FieldError::new("ids", FieldCode::TooMany, format!("at most {} ids, got {}", limits::MAX_PAGE, ids.len())),
                    ));
                }
                self.store.mark_read(actor.id, Some(&ids))?
            }
            (None, Some(true)) => self.store.mark_read(actor.id, None)?,
            (Some(_), Some(true)) => return Err(invalid("send either ids or all, not both")),
            (None, _) => return Err(invalid("send the ids to mark read, or \"all\": true")),
        };
        let unread = self.store.feed(actor.id, true, 0, 1)?.unread;
        Ok(ReadResult { marked, unread: usize::try_from(unread).unwrap_or(0) })
    }
}
