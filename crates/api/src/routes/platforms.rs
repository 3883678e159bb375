//! `/api/v1/platforms`: omics platforms and their capabilities.

use omics_domain::{Platform, PlatformFields};

super::crud_macro::record_handlers!(
    fields = PlatformFields,
    stored = Platform,
    written = crate::routes::records::PlatformWritten,
    page = crate::routes::records::Page<Platform>,
    tag = "platforms",
    noun = "platform",
    collection = "/api/v1/platforms",
    item = "/api/v1/platforms/{id}"
);
