//! Platforms and needs: one set of workflows for both kinds of record.
//!
//! - [`entity`]: the kinds, who may create one, and the status and moderation rules;
//! - [`access`]: who sees a record, and the redaction of anonymous requesters;
//! - [`crud`]: create, read, replace, patch and delete, with `If-Match`;
//! - [`list`]: search and filter parameters, pages and facets.

pub mod access;
pub mod crud;
pub mod entity;
pub mod list;

pub use access::{redact, visible};
pub use crud::{IfMatch, Versioned};
pub use entity::{Entity, NeedWritten, PlatformWritten, WriteParams};
pub use list::{FacetValue, Facets, ListParams, Page};
