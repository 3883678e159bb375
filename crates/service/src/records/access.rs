//! Who sees what: a record's visibility to a viewer, the redaction of the requester of an
//! anonymous need, and the requester's display name on the needs a viewer may see it on.

use omics_domain::{Need, Record, Requester, Visibility};

use crate::{Actor, Result, Service};

/// Whether `viewer` may read `rec`: public records to everyone, the rest to their owner and
/// admins.
pub fn visible(rec: &Record, viewer: Option<&Actor>) -> bool {
    rec.is_public() || viewer.is_some_and(|u| u.may_change(rec.meta().owner_id))
}

/// Hide the requester of an anonymous need from everyone but its owner and admins.
pub fn redact(rec: &mut Record, viewer: Option<&Actor>) {
    if let Record::Need(n) = rec {
        let privileged = viewer.is_some_and(|u| u.may_change(n.meta.owner_id));
        if n.fields.visibility == Visibility::Anonymous && !privileged {
            n.meta.owner_id = None;
        }
    }
}

impl Service {
    /// Add the requester's display name to each need that still names its owner for the viewer
    /// (after [`redact`]: every public need, an anonymous one only for its owner and admins).
    pub fn name_requesters<'n>(&self, needs: impl IntoIterator<Item = &'n mut Need>) -> Result<()> {
        let mut needs: Vec<&mut Need> = needs.into_iter().filter(|n| n.meta.owner_id.is_some()).collect();
        if needs.is_empty() {
            return Ok(());
        }
        let mut owners: Vec<uuid::Uuid> = needs.iter().filter_map(|n| n.meta.owner_id).collect();
        owners.sort_unstable();
        owners.dedup();
        let names = self.store.display_names(&owners)?;
        for n in needs.iter_mut() {
            n.requester = n.meta.owner_id.and_then(|o| names.get(&o)).map(|display_name| Requester { display_name: display_name.clone() });
        }
        Ok(())
    }

    /// Records as `viewer` may see them: redacted, requesters named.
    pub(crate) fn show_all(&self, mut recs: Vec<Record>, viewer: Option<&Actor>) -> Result<Vec<Record>> {
        for r in recs.iter_mut() {
            redact(r, viewer);
        }
        self.name_requesters(recs.iter_mut().filter_map(|r| match r {
            Record::Need(n) => Some(n),
            Record::Platform(_) => None,
        }))?;
        Ok(recs)
    }
}
