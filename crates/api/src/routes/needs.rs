//! `/api/v1/needs`: unmet-need requests.

use omics_domain::{Need, NeedFields};

super::crud_macro::record_handlers!(
    fields = NeedFields,
    stored = Need,
    written = crate::routes::records::NeedWritten,
    page = crate::routes::records::Page<Need>,
    tag = "needs",
    noun = "need",
    collection = "/api/v1/needs",
    item = "/api/v1/needs/{id}"
);
