//! `/api/v1/platforms`: omics platforms and their capabilities.

use omics_domain::{Platform, PlatformFields};

/// A page of platforms.
pub type PlatformPage = crate::routes::records::Page<Platform>;

super::crud_macro::record_handlers!(
    fields = PlatformFields,
    stored = Platform,
    page = PlatformPage,
    tag = "platforms",
    noun = "platform",
    collection = "/api/v1/platforms",
    item = "/api/v1/platforms/{id}"
);
