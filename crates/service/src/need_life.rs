//! The need's life beyond its owner's own changes of `status` (those follow the table in
//! `records::entity`): the owner marks an accepted introduction as the match, and the service
//! expires needs past their deadline and proposals past their TTL. Entering `matched`,
//! `closed`, `withdrawn` or `expired` closes the need's other open introductions, with a note
//! in each thread, in the same transaction (`omics_store`).

use chrono::Utc;
use omics_domain::{Code, IntroductionState, Kind, Meta, Need, NeedFields, NeedStatus, Record, body};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::records::Versioned;
use crate::{Actor, Error, Result, Service};

/// `POST /needs/{id}/matched`: the accepted introduction that matched the need.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"introduction_id": "01936f1e-5b7a-7cc1-9d2e-3f4a5b6c7d8e"}))]
pub struct MatchedBody {
    pub introduction_id: Uuid,
}

/// `need` moved to `status`, as its next version (the transition is the caller's to check).
pub(crate) fn moved(need: &Need, status: NeedStatus) -> Record {
    let mut fields = need.fields.clone();
    fields.status = status;
    let meta = Meta { updated_at: omics_domain::now(), version: need.meta.version + 1, ..need.meta.clone() };
    Record::Need(Need { meta, fields, requester: None })
}

impl Service {
    /// Mark the need matched by one of its accepted introductions (its owner, or an admin);
    /// its other introductions that are not closed are closed.
    pub fn mark_matched(&self, actor: &Actor, need_id: Uuid, body: serde_json::Value) -> Result<Versioned<Need>> {
        let b: MatchedBody = body::from_value(body)?;
        let rec = self.load::<NeedFields>(need_id, Some(actor))?;
        if !actor.may_change(rec.meta().owner_id) {
            return Err(Error::forbidden("only the need's owner (or an admin) marks its match"));
        }
        let not_this_need = || Error::not_found("introduction of this need");
        let new = self
            .store
            .match_need(b.introduction_id, Some(actor.id), |current, intro| -> Result<Record> {
                let Record::Need(n) = current else { return Err(Error::internal("record of the wrong kind")) };
                if intro.need_id != need_id {
                    return Err(not_this_need());
                }
                if intro.state != IntroductionState::Accepted {
                    return Err(Error::new(
                        Code::InvalidTransition,
                        format!("the introduction is {}; a need is matched by an accepted introduction", intro.state.as_str()),
                    ));
                }
                if !n.fields.status.next().contains(&NeedStatus::Matched) {
                    return Err(Error::new(
                        Code::InvalidTransition,
                        format!("the need is {}; it is matched from in_discussion", n.fields.status.as_str()),
                    ));
                }
                Ok(moved(n, NeedStatus::Matched))
            })
            .map_err(|e| match e {
                omics_store::StoreError::NotFound => not_this_need(),
                other => other.into(),
            })??;
        self.catch_up();
        let (id, version) = (new.meta().id, new.meta().version);
        Ok(Versioned { id, version, value: self.shown::<NeedFields>(new, Some(actor))? })
    }

    /// Needs open or in discussion whose deadline has passed become `expired` (closing their
    /// open introductions); returns how many.
    pub fn expire_needs(&self) -> Result<usize> {
        let today = Utc::now().date_naive();
        // The catalogue holds every record (a server loads it at start; batch commands do not).
        let due = self.index.catalogue.ids_where(|rec| match rec {
            Record::Need(n) => n.fields.status.next().contains(&NeedStatus::Expired) && n.fields.deadline.is_some_and(|d| d < today),
            Record::Platform(_) => false,
        });
        let mut n = 0;
        for id in due {
            let changed = self.store.modify(Kind::Need, id, None, |rec| -> Result<Record, ()> {
                match rec {
                    // Read again in the transaction: it may have moved on meanwhile.
                    Record::Need(need) if need.fields.status.next().contains(&NeedStatus::Expired) => Ok(moved(&need, NeedStatus::Expired)),
                    _ => Err(()),
                }
            });
            match changed {
                Ok(Ok(_)) => n += 1,
                Ok(Err(())) | Err(omics_store::StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if n > 0 {
            self.catch_up();
        }
        Ok(n)
    }

    /// What the service does on its own, on a timer: expire proposals and needs.
    pub fn sweep(&self) -> Result<(usize, usize)> {
        Ok((self.expire_introductions()?, self.expire_needs()?))
    }
}
