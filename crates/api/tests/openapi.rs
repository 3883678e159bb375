//! The checked-in OpenAPI document must equal the generated one.
//! Regenerate with `cargo run -- openapi --out api-spec/openapi.json`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

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

/// Every operation of the document, as (method, path, operation).
fn operations(doc: &serde_json::Value) -> Vec<(String, String, serde_json::Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((method.to_uppercase(), path.clone(), op.clone()));
        }
    }
    out
}

/// What generated clients and linters (Spectral's `spectral:oas`, Redocly's `recommended`) need
/// of every operation: a unique operationId usable as a function name, a security requirement
/// naming only defined schemes (`{}` for "no token"), a one-line summary and a description;
/// and every 4xx answer is a problem document.
#[test]
fn every_operation_has_a_unique_id_security_a_summary_and_a_description() {
    let doc = doc();
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    let ops = operations(&doc);
    assert!(ops.len() > 40, "{}", ops.len());
    let mut ids = std::collections::HashMap::new();
    let mut wrong = Vec::new();
    for (method, path, op) in &ops {
        let at = format!("{method} {path}");
        match op["operationId"].as_str() {
            Some(id)
                if !id.is_empty() && id.starts_with(|c: char| c.is_ascii_lowercase()) && id.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                if let Some(other) = ids.insert(id.to_owned(), at.clone()) {
                    wrong.push(format!("{at}: operationId {id} is also {other}'s"));
                }
            }
            other => wrong.push(format!("{at}: operationId {other:?} is not a camelCase name")),
        }
        match op["security"].as_array() {
            Some(reqs) if !reqs.is_empty() => {
                for name in reqs.iter().flat_map(|r| r.as_object().unwrap().keys()) {
                    if !schemes.contains_key(name) {
                        wrong.push(format!("{at}: security scheme {name} is not defined"));
                    }
                }
            }
            _ => wrong.push(format!("{at}: no security requirement")),
        }
        let summary = op["summary"].as_str().unwrap_or("");
        if summary.trim().is_empty() || summary.contains('\n') || summary.len() > 80 {
            wrong.push(format!("{at}: summary {summary:?} is not one short line"));
        }
        let description = op["description"].as_str().unwrap_or("");
        if description.trim().is_empty() || description == summary {
            wrong.push(format!("{at}: no description beyond the summary"));
        }
        let responses = op["responses"].as_object().unwrap();
        for (status, r) in responses {
            // 5xx may carry a body of its own (readiness answers 503 with its `Health`).
            if status.starts_with('4') && r.get("$ref").is_none() && r["content"]["application/problem+json"].is_null() {
                wrong.push(format!("{at}: response {status} is not a problem document"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    // The ids front ends are told about (README) exist.
    for id in ["listPlatforms", "createPlatform", "createNeed", "getNeedMatches", "getPlatformMatches", "issueToken", "registerAccount"] {
        assert!(ids.contains_key(id), "{id}");
    }
}

/// The schemas a schema stands for: itself, the component it refers to, and its `oneOf`/`anyOf`
/// branches (an optional body is `oneOf` null and the type).
fn schema_examples(doc: &serde_json::Value, s: &serde_json::Value) -> bool {
    if s.get("example").is_some() || s.get("examples").is_some() {
        return true;
    }
    if let Some(r) = s["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return schema_examples(doc, &doc["components"]["schemas"][name]);
    }
    ["oneOf", "anyOf"].iter().flat_map(|k| s[k].as_array().into_iter().flatten()).any(|b| schema_examples(doc, b))
}

#[test]
fn every_request_body_has_an_example() {
    let doc = doc();
    let mut bodies = 0;
    let mut missing = Vec::new();
    for (method, path, op) in operations(&doc) {
        let Some(content) = op["requestBody"]["content"].as_object() else { continue };
        for (media, m) in content {
            bodies += 1;
            if m.get("example").is_none() && m.get("examples").is_none() && !schema_examples(&doc, &m["schema"]) {
                missing.push(format!("{method} {path} ({media})"));
            }
        }
    }
    assert!(bodies > 15, "{bodies}");
    assert!(missing.is_empty(), "request bodies without an example: {missing:#?}");
}

/// The example body of the operation `id`, as the document states it.
fn example_of(doc: &Value, id: &str) -> Value {
    let (_, _, op) = operations(doc).into_iter().find(|(_, _, op)| op["operationId"] == id).unwrap();
    let content = op["requestBody"]["content"].as_object().unwrap();
    let media = content.values().next().unwrap();
    assert!(media["example"].is_object(), "{id}: {media}");
    media["example"].clone()
}

on_both_backends!(the_request_body_examples_are_accepted_and_fit_each_other);

/// The examples a front-end developer copies from the document work as they are: the account,
/// token and password examples; the platform example, published, is among the matches of the
/// need example, stored or described; the merge patches change what they say.
async fn the_request_body_examples_are_accepted_and_fit_each_other(app: TestApp) {
    let doc = doc();
    let ex = |id: &str| example_of(&doc, id);
    let (s, v) = app.post("/api/v1/auth/register", None, ex("registerAccount")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app.post("/api/v1/auth/token", None, ex("issueToken")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let old = v["access_token"].as_str().unwrap().to_owned();
    let (s, v) = app.post("/api/v1/auth/password", Some(&old), ex("changePassword")).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let researcher = app.token(ex("issueToken")["email"].as_str().unwrap(), ex("changePassword")["new_password"].as_str().unwrap()).await;

    let manager = app.user("core@example.org", "platform_manager").await;
    let (s, p, _) =
        app.req(Method::PUT, "/api/v1/platforms/00000000-0000-0000-0000-000000000000", Some(&manager), Some(ex("replacePlatform"))).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{p}");
    let (s, p) = app.post("/api/v1/platforms", Some(&manager), ex("createPlatform")).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(p["status"], "published", "{p}");
    let pid = p["id"].as_str().unwrap().to_owned();
    let (s, n) = app.post("/api/v1/needs", Some(&researcher), ex("createNeed")).await;
    assert_eq!(s, StatusCode::CREATED, "{n}");
    let nid = n["id"].as_str().unwrap().to_owned();
    let found = |v: &Value| v["matches"].as_array().unwrap().iter().any(|m| m["platform"]["id"] == pid);
    let (s, v) = app.get(&format!("/api/v1/needs/{nid}/matches"), Some(&researcher)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(found(&v), "{v:#}");
    let (s, v) = app.post("/api/v1/matches", None, ex("matchDescribedNeed")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(found(&v), "{v:#}");

    for (id, path, token) in
        [("patchPlatform", format!("/api/v1/platforms/{pid}"), &manager), ("patchNeed", format!("/api/v1/needs/{nid}"), &researcher)]
    {
        let patch = ex(id);
        let res = app
            .client
            .patch(format!("{}{path}", app.base))
            .bearer_auth(token)
            .header("content-type", "application/merge-patch+json")
            .body(patch.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{id}");
        let v: Value = res.json().await.unwrap();
        for (k, want) in patch.as_object().unwrap() {
            let got = v.get(k).unwrap_or(&Value::Null);
            assert_eq!(got, want, "{id}: {k} in {v}");
        }
    }
    let (s, v, _) = app.req(Method::PUT, &format!("/api/v1/platforms/{pid}"), Some(&manager), Some(ex("replacePlatform"))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["contact_email"], json!("genomics@example.org"), "{v}");
}
