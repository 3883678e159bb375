//! Create, read, replace, patch and delete one record: ownership, visibility, the status
//! rules, `If-Match` preconditions and the index kept in step after every write.

use chrono::Utc;
use omics_domain::linker::{Reading, Warning};
use omics_domain::{Checked, Code, Meta, ReadMode, Record, body};
use uuid::Uuid;

use super::access::visible;
use super::entity::Entity;
use crate::{Actor, Error, Result, Service, version_tag};

/// A value with the id and version of the record it shows (for `ETag` and `Location`).
#[derive(Debug)]
pub struct Versioned<T> {
    pub id: Uuid,
    pub version: i64,
    pub value: T,
}

/// The entity tags a change is conditional on (`If-Match`): it goes ahead only if one of them
/// names the current version, or is `*`.
#[derive(Debug, Clone)]
pub struct IfMatch(pub String);

impl IfMatch {
    /// 412 with the current version when no tag names it.
    pub fn check(&self, current: i64) -> Result<()> {
        let h = self.0.as_str();
        let tag = version_tag(current);
        if h.split(',').map(str::trim).any(|t| t == "*" || t.trim_start_matches("W/") == tag) {
            Ok(())
        } else {
            Err(Error::precondition(
                current,
                format!("If-Match {h} does not match the current version {tag}; read the record again and reapply your change"),
            ))
        }
    }
}

fn check_if_match(if_match: Option<&IfMatch>, current: i64) -> Result<()> {
    if_match.map_or(Ok(()), |h| h.check(current))
}

impl Service {
    /// The record as `viewer` may see it (redacted, the requester named), as its kind's type.
    pub(crate) fn shown<E: Entity>(&self, rec: Record, viewer: Option<&Actor>) -> Result<E::Stored> {
        let rec = self.show_all(vec![rec], viewer)?.pop().ok_or_else(|| Error::internal("no record"))?;
        E::stored(rec).ok_or_else(|| Error::internal("record of the wrong kind"))
    }

    /// The answer to a write: the stored record with the readings and warnings of its values.
    fn written<E: Entity>(
        &self,
        rec: Record,
        actor: &Actor,
        readings: Vec<Reading>,
        warnings: Vec<Warning>,
    ) -> Result<Versioned<E::Written>> {
        let (id, version) = (rec.meta().id, rec.meta().version);
        Ok(Versioned { id, version, value: E::written(self.shown::<E>(rec, Some(actor))?, readings, warnings) })
    }
}

impl Service {
    /// Create a record owned by `actor` from a JSON body.
    pub fn create<E: Entity>(&self, actor: &Actor, body: serde_json::Value, mode: ReadMode) -> Result<Versioned<E::Written>> {
        if !E::may_create(actor.role) {
            return Err(Error::forbidden(format!(
                "a {} account cannot create a {}; platforms are registered by platform managers",
                actor.role.as_str(),
                E::NAME
            )));
        }
        let fields: E = body::from_value(body)?;
        let Checked { mut fields, readings, warnings } = fields.check(&self.vocabs, Some(Utc::now().date_naive()), mode)?;
        fields.apply_status_rules(actor, None, self.moderation)?;
        let now = omics_domain::now();
        let meta = Meta { id: Uuid::now_v7(), owner_id: Some(actor.id), created_at: now, updated_at: now, version: 1 };
        let rec = E::wrap(meta, fields);
        self.store.insert(&rec, Some(actor.id))?;
        self.catch_up();
        self.written::<E>(rec, actor, readings, warnings)
    }

    /// A record `viewer` may see, or 404.
    pub fn load<E: Entity>(&self, id: Uuid, viewer: Option<&Actor>) -> Result<Record> {
        self.store.get(E::KIND, id)?.filter(|r| visible(r, viewer)).ok_or_else(|| Error::not_found(E::NAME))
    }

    /// Read one record as `viewer` may see it.
    pub fn get<E: Entity>(&self, id: Uuid, viewer: Option<&Actor>) -> Result<Versioned<E::Stored>> {
        let rec = self.load::<E>(id, viewer)?;
        let (id, version) = (rec.meta().id, rec.meta().version);
        Ok(Versioned { id, version, value: self.shown::<E>(rec, viewer)? })
    }

    /// Load for a change: visible (else 404), changeable by `actor` (else 403), `If-Match` holds.
    fn load_for_change<E: Entity>(&self, id: Uuid, actor: &Actor, if_match: Option<&IfMatch>) -> Result<Meta> {
        let rec = self.load::<E>(id, Some(actor))?;
        if !actor.may_change(rec.meta().owner_id) {
            return Err(Error::forbidden(format!("only the owner of this {} or an admin may change it", E::NAME)));
        }
        check_if_match(if_match, rec.meta().version)?;
        Ok(rec.meta().clone())
    }

    /// Change a record: who may change it and `If-Match` are checked on the version read here
    /// and again on the version changed, and the read-change-write runs atomically in the
    /// store, so a change without `If-Match` never loses a race with another writer.
    fn change<E: Entity>(
        &self,
        actor: &Actor,
        id: Uuid,
        if_match: Option<&IfMatch>,
        mode: ReadMode,
        make: impl FnOnce(&E) -> Result<E>,
    ) -> Result<Versioned<E::Written>> {
        self.load_for_change::<E>(id, actor, if_match)?;
        let mut report = (Vec::new(), Vec::new());
        let rec = self.store.modify(E::KIND, id, Some(actor.id), |current| -> Result<Record> {
            check_if_match(if_match, current.meta().version)?;
            let (old, previous) = E::unwrap(current).ok_or_else(|| Error::internal("record of the wrong kind"))?;
            let Checked { mut fields, readings, warnings } = make(&previous)?.check(&self.vocabs, Some(Utc::now().date_naive()), mode)?;
            report = (readings, warnings);
            fields.apply_status_rules(actor, Some(&previous), self.moderation)?;
            let meta = Meta { updated_at: omics_domain::now(), version: old.version + 1, ..old };
            Ok(E::wrap(meta, fields))
        })??;
        self.catch_up();
        self.written::<E>(rec, actor, report.0, report.1)
    }

    /// Replace a record's fields with a JSON body (owner or admin).
    pub fn replace<E: Entity>(
        &self,
        actor: &Actor,
        id: Uuid,
        if_match: Option<&IfMatch>,
        body: serde_json::Value,
        mode: ReadMode,
    ) -> Result<Versioned<E::Written>> {
        let fields: E = body::from_value(body)?;
        self.change(actor, id, if_match, mode, move |_| Ok(fields))
    }

    /// Change some fields with a JSON merge patch (RFC 7396; `null` removes an optional field).
    pub fn patch<E: Entity>(
        &self,
        actor: &Actor,
        id: Uuid,
        if_match: Option<&IfMatch>,
        patch: serde_json::Value,
        mode: ReadMode,
    ) -> Result<Versioned<E::Written>> {
        if !patch.is_object() {
            return Err(Error::new(
                Code::MalformedJson,
                "a merge patch is a JSON object of the fields to change (null removes an optional field)",
            ));
        }
        self.change(actor, id, if_match, mode, move |current: &E| {
            let mut doc = serde_json::to_value(current).map_err(Error::internal)?;
            json_patch::merge(&mut doc, &patch);
            Ok(body::from_value(doc)?)
        })
    }

    /// Delete a record (owner or admin).
    pub fn delete<E: Entity>(&self, actor: &Actor, id: Uuid, if_match: Option<&IfMatch>) -> Result<()> {
        let old = self.load_for_change::<E>(id, actor, if_match)?;
        // Without If-Match the client asked for no precondition: delete whatever version is current.
        let expected = if_match.map(|_| old.version);
        self.store.delete(E::KIND, id, expected, Some(actor.id))?;
        self.catch_up();
        Ok(())
    }
}
