//! Who sees what: a record's visibility to a viewer, and the redaction of the requester of an
//! anonymous need.

use omics_domain::{Record, Visibility};

use crate::Actor;

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
