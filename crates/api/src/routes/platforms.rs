//! `/api/v1/platforms`: omics platforms and their capabilities.

use omics_domain::{Platform, PlatformFields};

super::crud_macro::record_handlers!(
    fields = PlatformFields,
    stored = Platform,
    written = omics_service::records::PlatformWritten,
    page = omics_service::records::Page<Platform>,
    tag = "platforms",
    noun = "platform",
    collection = "/platforms",
    item = "/platforms/{id}",
    ids = { list = "listPlatforms", create = "createPlatform", get = "getPlatform", replace = "replacePlatform", patch = "patchPlatform", delete = "deletePlatform" },
    examples = { fields = platform, patch = platform_patch }
);
