//! The two kinds of record behind one trait: how each is checked, wrapped and shown, who may
//! create one, and the status rules beyond the schema (suspension by admins, moderation).

use chrono::NaiveDate;
use omics_domain::linker::{Reading, Warning};
use omics_domain::{
    Checked, Code, FieldCode, FieldError, Kind, Meta, Need, NeedFields, NeedStatus, Platform, PlatformFields, PlatformStatus, ReadMode,
    Record, Role, ValidationErrors, Vocabularies,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{Actor, Error};

/// A record type served by the generic record workflows.
pub trait Entity: Serialize + DeserializeOwned + Clone + Send + 'static {
    const KIND: Kind;
    const NAME: &'static str;
    type Stored: Serialize;
    /// The stored record with how a write read its values.
    type Written: Serialize;
    fn check(self, v: &Vocabularies, today: Option<NaiveDate>, mode: ReadMode) -> Result<Checked<Self>, ValidationErrors>;
    fn wrap(meta: Meta, fields: Self) -> Record;
    fn unwrap(rec: Record) -> Option<(Meta, Self)>;
    /// The record as its kind's stored type (as shown, with what the service added).
    fn stored(rec: Record) -> Option<Self::Stored>;
    fn written(stored: Self::Stored, readings: Vec<Reading>, warnings: Vec<Warning>) -> Self::Written;
    /// Who may create one.
    fn may_create(role: Role) -> bool;
    /// Status rules beyond the schema: only admins set or lift `suspended`; with moderation
    /// on, a platform a non-admin publishes waits in `pending_review` for an admin.
    fn apply_status_rules(&mut self, actor: &Actor, previous: Option<&Self>, moderation: bool) -> Result<(), Error>;
    /// Statuses this kind can have (for the `status` filter).
    fn statuses() -> Vec<&'static str>;
}

fn status_error(message: &str) -> ValidationErrors {
    ValidationErrors(vec![FieldError::new("status", FieldCode::InvalidValue, message)])
}

impl Entity for PlatformFields {
    const KIND: Kind = Kind::Platform;
    const NAME: &'static str = "platform";
    type Stored = Platform;
    type Written = PlatformWritten;
    fn check(self, v: &Vocabularies, _: Option<NaiveDate>, mode: ReadMode) -> Result<Checked<Self>, ValidationErrors> {
        PlatformFields::check(self, v, mode)
    }
    fn wrap(meta: Meta, fields: Self) -> Record {
        Record::Platform(Platform { meta, fields })
    }
    fn unwrap(rec: Record) -> Option<(Meta, Self)> {
        match rec {
            Record::Platform(p) => Some((p.meta, p.fields)),
            Record::Need(_) => None,
        }
    }
    fn stored(rec: Record) -> Option<Platform> {
        match rec {
            Record::Platform(p) => Some(p),
            Record::Need(_) => None,
        }
    }
    fn written(platform: Platform, readings: Vec<Reading>, warnings: Vec<Warning>) -> PlatformWritten {
        PlatformWritten { platform, readings, warnings }
    }
    fn may_create(role: Role) -> bool {
        matches!(role, Role::PlatformManager | Role::Admin)
    }
    fn apply_status_rules(&mut self, actor: &Actor, previous: Option<&Self>, moderation: bool) -> Result<(), Error> {
        if actor.is_admin() {
            return Ok(());
        }
        let before = previous.map(|p| p.status);
        if before == Some(PlatformStatus::Suspended) && self.status != PlatformStatus::Suspended {
            return Err(status_error("this platform was suspended by the network's secretariat; only an admin can reinstate it").into());
        }
        if self.status == PlatformStatus::Suspended && before != Some(PlatformStatus::Suspended) {
            return Err(status_error("suspended is set by admins; use draft, published or archived").into());
        }
        if self.status == PlatformStatus::PendingReview && before != Some(PlatformStatus::PendingReview) {
            return Err(status_error("pending_review is set by moderation; use draft, published or archived").into());
        }
        if moderation && self.status == PlatformStatus::Published && before != Some(PlatformStatus::Published) {
            // Moderation decides when a platform goes public.
            self.status = PlatformStatus::PendingReview;
        }
        Ok(())
    }
    fn statuses() -> Vec<&'static str> {
        PlatformStatus::ALL.iter().map(|s| s.as_str()).collect()
    }
}

impl Entity for NeedFields {
    const KIND: Kind = Kind::Need;
    const NAME: &'static str = "need";
    type Stored = Need;
    type Written = NeedWritten;
    fn check(self, v: &Vocabularies, today: Option<NaiveDate>, mode: ReadMode) -> Result<Checked<Self>, ValidationErrors> {
        NeedFields::check(self, v, today, mode)
    }
    fn wrap(meta: Meta, fields: Self) -> Record {
        Record::Need(Need { meta, fields, requester: None })
    }
    fn unwrap(rec: Record) -> Option<(Meta, Self)> {
        match rec {
            Record::Need(n) => Some((n.meta, n.fields)),
            Record::Platform(_) => None,
        }
    }
    fn stored(rec: Record) -> Option<Need> {
        match rec {
            Record::Need(n) => Some(n),
            Record::Platform(_) => None,
        }
    }
    fn written(need: Need, readings: Vec<Reading>, warnings: Vec<Warning>) -> NeedWritten {
        NeedWritten { need, readings, warnings }
    }
    fn may_create(_: Role) -> bool {
        true
    }
    /// Beyond suspension (admins only, both ways), a non-admin follows the need's life
    /// ([`NeedStatus::next`]): a new need is open; the owner may move it to `closed` (after a
    /// match) or `withdrawn`; `matched` is marked through `POST /needs/{id}/matched`, and
    /// `in_discussion` and `expired` are set by the service. Admins may set any state.
    fn apply_status_rules(&mut self, actor: &Actor, previous: Option<&Self>, _: bool) -> Result<(), Error> {
        let before = previous.map(|p| p.status);
        if actor.is_admin() {
            return Ok(());
        }
        if (self.status == NeedStatus::Suspended) != (before == Some(NeedStatus::Suspended)) {
            return Err(status_error("suspended is set and lifted by admins only").into());
        }
        let Some(before) = before else {
            if self.status == NeedStatus::Open {
                return Ok(());
            }
            return Err(status_error("a new need is open; it moves on as introductions are accepted and it is matched").into());
        };
        if self.status == before {
            return Ok(());
        }
        let allowed: Vec<&str> = before.next().iter().filter(|s| s.set_by_owner()).map(|s| s.as_str()).collect();
        if before.next().contains(&self.status) && self.status.set_by_owner() {
            return Ok(());
        }
        let how = match self.status {
            NeedStatus::Matched => "; mark the accepted introduction that matched it with POST /needs/{id}/matched".to_owned(),
            NeedStatus::InDiscussion => "; a need is in discussion once an introduction is accepted".to_owned(),
            NeedStatus::Expired => "; a need expires when its deadline passes".to_owned(),
            _ if allowed.is_empty() => String::new(),
            _ => format!("; you can move it to {}", allowed.join(" or ")),
        };
        Err(Error::new(
            Code::InvalidTransition,
            format!("the need is {}; it cannot become {} this way{how}", before.as_str(), self.status.as_str()),
        ))
    }
    fn statuses() -> Vec<&'static str> {
        NeedStatus::ALL.iter().map(|s| s.as_str()).collect()
    }
}

/// A platform as a write stored it, with how its vocabulary values were read.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformWritten {
    #[serde(flatten)]
    pub platform: Platform,
    /// Every vocabulary value not sent as its canonical id: what was typed, the term stored and
    /// how sure the reading is.
    pub readings: Vec<Reading>,
    /// Values of open lists (data standards, services, instruments) kept as typed.
    pub warnings: Vec<Warning>,
}

/// A need as a write stored it, with how its vocabulary values were read.
#[derive(Debug, Serialize, ToSchema)]
pub struct NeedWritten {
    #[serde(flatten)]
    pub need: Need,
    /// Every vocabulary value not sent as its canonical id: what was typed, the term stored and
    /// how sure the reading is.
    pub readings: Vec<Reading>,
    /// Values of open lists kept as typed.
    pub warnings: Vec<Warning>,
}

/// How a write reads typed vocabulary values.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WriteParams {
    /// Take only ids, labels and synonyms: no automatic reading of free text (default false).
    pub strict: Option<bool>,
}

impl WriteParams {
    pub fn mode(&self) -> ReadMode {
        ReadMode { strict: self.strict.unwrap_or(false) }
    }
}
