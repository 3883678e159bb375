//! `/api/v1/needs`: unmet-need requests.

use omics_domain::{Need, NeedFields};

/// A page of needs.
pub type NeedPage = crate::routes::records::Page<Need>;

super::crud_macro::record_handlers!(
    fields = NeedFields,
    stored = Need,
    page = NeedPage,
    tag = "needs",
    noun = "need",
    collection = "/api/v1/needs",
    item = "/api/v1/needs/{id}"
);
