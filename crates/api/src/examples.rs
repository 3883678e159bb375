//! Example request bodies for the OpenAPI document (`request_body(..., example = ...)`), for
//! the bodies whose schema carries no example of its own. The platform and the need fit each
//! other: posted as they are (the platform published), the need's matches include the platform.
//! The `openapi` tests check that every request body has an example and that these are valid.

use serde_json::{Value, json};

/// `POST /auth/register`.
pub fn register() -> Value {
    json!({
        "email": "ana.silva@example.org",
        "password": "correct horse battery staple",
        "display_name": "Ana Silva",
        "role": "researcher"
    })
}

/// `POST /auth/token`.
pub fn token() -> Value {
    json!({"email": "ana.silva@example.org", "password": "correct horse battery staple"})
}

/// `POST /auth/password`.
pub fn password_change() -> Value {
    json!({"current_password": "correct horse battery staple", "new_password": "a longer horse battery staple"})
}

/// `POST /platforms`, `PUT /platforms/{id}`.
pub fn platform() -> Value {
    json!({
        "external_key": "pt-ipolfg-ngs",
        "name": "IPO Lisboa Genomics Core",
        "organisation": {"name": "Instituto Português de Oncologia de Lisboa", "ror_id": "https://ror.org/03jpm9j23"},
        "country": "PT",
        "city": "Lisbon",
        "description": "Germline and somatic exomes from FFPE tissue and blood, with variant calling and a clinical report.",
        "website": "https://example.org/genomics",
        "contact_email": "genomics@example.org",
        "maturity_level": 2,
        "readiness_areas": ["translational-research", "routine-care"],
        "accepts_external_samples": true,
        "accepts_cross_border": true,
        "data_standards": ["vcf"],
        "capabilities": [{
            "technology": "whole-exome-sequencing",
            "instruments": ["Illumina NovaSeq X Plus"],
            "sample_types": ["ffpe-tissue", "whole-blood"],
            "monthly_capacity": 200,
            "turnaround_days": 21,
            "accreditations": ["iso-15189"],
            "services": ["wet-lab", "bioinformatics"]
        }],
        "status": "published"
    })
}

/// `PATCH /platforms/{id}` (JSON merge patch).
pub fn platform_patch() -> Value {
    json!({"contact_email": "ngs-core@example.org", "website": null})
}

/// `POST /needs`, `PUT /needs/{id}`, `POST /matches`.
pub fn need() -> Value {
    json!({
        "title": "Tumour-normal exomes for a lung adenocarcinoma cohort",
        "description": "120 FFPE resections with matched blood; somatic and germline variants wanted.",
        "technologies": [{"technology": "whole exome sequencing", "required": true}],
        "sample_type": "ffpe-tissue",
        "sample_count": 120,
        "cancer_type": "LUAD",
        "readiness_area": "translational-research",
        "country": "LT",
        "acceptable_countries": ["ANY"],
        "deadline": "2027-09-30",
        "budget_eur": {"min": 20000, "max": 60000}
    })
}

/// `PATCH /needs/{id}` (JSON merge patch).
pub fn need_patch() -> Value {
    json!({"sample_count": 140, "deadline": null})
}
