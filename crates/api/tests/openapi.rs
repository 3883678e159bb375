//! The checked-in OpenAPI document must equal the generated one.
//! Regenerate with `cargo run -- openapi --out api-spec/openapi.json`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[test]
fn checked_in_openapi_document_matches_the_code() {
    let generated = omics_api::openapi::json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../api-spec/openapi.json");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(checked_in == generated, "api-spec/openapi.json differs from the code; run `cargo run -- openapi --out api-spec/openapi.json`");
}

#[test]
fn openapi_document_has_no_dangling_refs() {
    let doc: serde_json::Value = serde_json::from_str(&omics_api::openapi::json()).unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut refs = Vec::new();
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    if k == "$ref" {
                        out.extend(v.as_str().map(str::to_owned));
                    }
                    walk(v, out);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    walk(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(schemas.contains_key(name), "dangling $ref {r}");
    }
}
