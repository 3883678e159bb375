//! The change log as an audit trail: every change to platforms and needs (who, when, what),
//! for the network's admins.

use chrono::{DateTime, Utc};
use omics_domain::{Kind, limits};
use omics_store::AuditFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::params::out_of_range;
use crate::{Actor, Result, Service};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only changes to this record.
    pub entity_id: Option<Uuid>,
    /// Only changes made by this account.
    pub actor_id: Option<Uuid>,
    /// `platform` or `need`.
    pub kind: Option<Kind>,
    /// Only changes after this sequence number (page with `next_after`).
    pub after: Option<i64>,
    /// Page size (default 50).
    pub limit: Option<i64>,
}

/// One change.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Position in the change log (commit order).
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// The account that made the change (absent for imports).
    pub actor_id: Option<Uuid>,
    pub kind: Kind,
    pub entity_id: Uuid,
    /// `create`, `update` or `delete`.
    pub op: String,
    /// The record's version after the change.
    pub version: i64,
    /// For a create, the body; for an update, each changed field with `from` and `to`.
    #[schema(value_type = Object)]
    pub changes: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    /// Pass as `after` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<i64>,
}

impl Service {
    /// A page of the audit trail (admins only), oldest first.
    pub fn audit(&self, actor: &Actor, params: &AuditParams) -> Result<AuditPage> {
        actor.require_admin("the audit trail")?;
        let (default, max) = (i64::from(limits::DEFAULT_AUDIT_PAGE), i64::from(limits::MAX_PAGE));
        let limit = params.limit.unwrap_or(default);
        if !(1..=max).contains(&limit) {
            return Err(out_of_range("limit", format!("limit is 1 to {max}; got {limit}")));
        }
        let after = params.after.unwrap_or(0);
        if after < 0 {
            return Err(out_of_range("after", format!("after is a sequence number, 0 or more; got {after}")));
        }
        let filter = AuditFilter { entity_id: params.entity_id, actor_id: params.actor_id, kind: params.kind };
        let changes = self.store.audit(&filter, after, limit)?;
        let next_after = (changes.len() as i64 == limit).then(|| changes.last().map(|c| c.seq)).flatten();
        let items = changes
            .into_iter()
            .map(|c| AuditEntry {
                seq: c.seq,
                at: c.at,
                actor_id: c.actor_id,
                kind: c.kind,
                entity_id: c.entity_id,
                op: c.op.as_str().to_owned(),
                version: c.version,
                changes: c.detail,
            })
            .collect();
        Ok(AuditPage { items, next_after })
    }
}
