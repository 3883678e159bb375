//! `/api/v1/needs`: unmet-need requests.

use omics_domain::{Need, NeedFields};

super::crud_macro::record_handlers!(
    fields = NeedFields,
    stored = Need,
    written = omics_service::records::NeedWritten,
    page = omics_service::records::Page<Need>,
    tag = "needs",
    noun = "need",
    collection = "/needs",
    item = "/needs/{id}"
);
