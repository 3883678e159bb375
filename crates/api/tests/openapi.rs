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
    let responses = doc["components"]["responses"].as_object().unwrap();
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
        let found = match (r.strip_prefix("#/components/schemas/"), r.strip_prefix("#/components/responses/")) {
            (Some(name), _) => schemas.contains_key(name),
            (_, Some(name)) => responses.contains_key(name),
            _ => false,
        };
        assert!(found, "dangling $ref {r}");
    }
}

fn doc() -> serde_json::Value {
    serde_json::from_str(&omics_api::openapi::json()).unwrap()
}

/// The bound as the document should state it: (keyword, value) pairs.
fn keywords(bound: omics_api::limits::Bound) -> Vec<(&'static str, serde_json::Value)> {
    use omics_api::limits::Bound;
    let mut out = Vec::new();
    match bound {
        Bound::Text { min, max } => {
            if min > 0 {
                out.push(("minLength", min.into()));
            }
            out.push(("maxLength", max.into()));
        }
        Bound::List { min, max, .. } => {
            if min > 0 {
                out.push(("minItems", min.into()));
            }
            out.push(("maxItems", max.into()));
        }
        Bound::Int { min, max } => {
            out.push(("minimum", min.into()));
            out.extend(max.map(|m| ("maximum", m.into())));
        }
        Bound::Float { min, max } => {
            out.push(("minimum", min.into()));
            out.push(("maximum", max.into()));
        }
    }
    out
}

#[test]
fn every_limit_is_stated_in_the_document() {
    let doc = doc();
    for &(schema, property, bound) in omics_api::limits::BODY {
        let p = &doc["components"]["schemas"][schema]["properties"][property];
        assert!(p.is_object(), "{schema}.{property} is not in the document");
        for (k, v) in keywords(bound) {
            assert_eq!(p[k].as_f64(), v.as_f64(), "{schema}.{property}: {k} in {p}");
        }
        if let omics_api::limits::Bound::List { items: Some((min, max)), .. } = bound {
            assert_eq!(p["items"]["maxLength"], max, "{schema}.{property} items");
            assert_eq!(p["items"]["minLength"].as_u64().unwrap_or(0), min as u64, "{schema}.{property} items");
        }
    }
    let mut seen = std::collections::HashSet::new();
    for (path, op, param) in query_parameters(&doc) {
        let name = param["name"].as_str().unwrap();
        let Some((_, bound)) = omics_api::limits::QUERY.iter().find(|(n, _)| *n == name) else { continue };
        seen.insert(name.to_owned());
        for (k, v) in keywords(*bound) {
            assert_eq!(param["schema"][k].as_f64(), v.as_f64(), "{op} {path} ?{name}: {k}");
        }
    }
    for (name, _) in omics_api::limits::QUERY {
        assert!(seen.contains(*name), "query parameter {name} is bounded but no operation has it");
    }
}

fn query_parameters(doc: &serde_json::Value) -> Vec<(String, String, serde_json::Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (op, o) in item.as_object().unwrap() {
            for p in o["parameters"].as_array().into_iter().flatten() {
                if p["in"] == "query" {
                    out.push((path.clone(), op.clone(), p.clone()));
                }
            }
        }
    }
    out
}

/// Whether a schema is a free string (not a date, uuid or enum) or a number.
fn free(s: &serde_json::Value, kind: &str) -> bool {
    let types: Vec<&str> = match &s["type"] {
        serde_json::Value::String(t) => vec![t.as_str()],
        serde_json::Value::Array(ts) => ts.iter().filter_map(|t| t.as_str()).collect(),
        _ => vec![],
    };
    types.contains(&kind)
        && s.get("format").is_none_or(|f| !["date", "date-time", "uuid"].contains(&f.as_str().unwrap_or("")))
        && s.get("enum").is_none()
}

#[test]
fn every_input_string_list_and_number_is_bounded() {
    let doc = doc();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    // The schemas of request bodies, and the schemas they refer to.
    let mut todo: Vec<String> = Vec::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for o in item.as_object().unwrap().values() {
            for c in o["requestBody"]["content"].as_object().into_iter().flat_map(|c| c.values()) {
                todo.extend(c["schema"]["$ref"].as_str().map(|r| r.trim_start_matches("#/components/schemas/").to_owned()));
            }
        }
    }
    assert!(todo.len() >= 5, "{todo:?}");
    let mut done = std::collections::HashSet::new();
    let mut unbounded = Vec::new();
    while let Some(name) = todo.pop() {
        if !done.insert(name.clone()) {
            continue;
        }
        for (prop, s) in schemas[&name]["properties"].as_object().into_iter().flatten() {
            let mut refs = Vec::new();
            fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
                match v {
                    serde_json::Value::Object(m) => m.iter().for_each(|(k, v)| {
                        if k == "$ref" {
                            out.extend(v.as_str().map(|r| r.trim_start_matches("#/components/schemas/").to_owned()));
                        }
                        walk(v, out)
                    }),
                    serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
                    _ => {}
                }
            }
            walk(s, &mut refs);
            todo.extend(refs);
            let bounded = if free(s, "string") {
                s.get("maxLength").is_some()
            } else if free(s, "array") {
                s.get("maxItems").is_some() && (!free(&s["items"], "string") || s["items"].get("maxLength").is_some())
            } else if free(s, "integer") || free(s, "number") {
                s.get("maximum").is_some()
            } else {
                true
            };
            if !bounded {
                unbounded.push(format!("{name}.{prop}"));
            }
        }
    }
    for (path, op, p) in query_parameters(&doc) {
        let s = &p["schema"];
        let bounded = if free(s, "string") {
            s.get("maxLength").is_some()
        } else if free(s, "integer") || free(s, "number") {
            s.get("minimum").is_some()
        } else {
            true
        };
        if !bounded {
            unbounded.push(format!("{op} {path} ?{}", p["name"]));
        }
    }
    assert!(done.contains("Capability") && done.contains("Budget"), "{done:?}");
    assert!(unbounded.is_empty(), "inputs without a documented bound (add them to omics_api::limits): {unbounded:?}");
}

#[test]
fn limit_answers_are_documented_on_every_operation() {
    let doc = doc();
    let mut n = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (op, o) in item.as_object().unwrap() {
            n += 1;
            assert!(o["responses"]["503"].is_object(), "{op} {path}: no 503");
            if o.get("requestBody").is_some() {
                for status in ["400", "413", "415"] {
                    assert!(o["responses"][status].is_object(), "{op} {path}: no {status}");
                }
            }
        }
    }
    assert!(n > 20);
    let unavailable = &doc["components"]["responses"]["Unavailable"];
    assert!(unavailable["headers"]["Retry-After"].is_object(), "{unavailable}");
}
