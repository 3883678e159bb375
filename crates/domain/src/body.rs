//! Turning a JSON request body into a typed input, with errors a person can act on: the path
//! of a wrongly typed field, and unknown fields refused by name (a typo must not silently drop
//! data). Server-managed fields echoed back from a read (`id`, `owner_id`, `created_at`,
//! `updated_at`, `version`) are ignored. Before any of that, [`DepthGuard`] refuses bodies that
//! nest deeper than [`limits::JSON_DEPTH`], while they are still bytes.

use serde::de::DeserializeOwned;

use crate::error::{FieldCode, FieldError, ValidationErrors};
use crate::limits;

/// A body nests arrays and objects deeper than [`limits::JSON_DEPTH`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the body nests arrays and objects deeper than {} levels", limits::JSON_DEPTH)]
pub struct TooDeep;

/// Tracks how deeply arrays and objects nest in JSON text fed to it in pieces, without parsing
/// it: `[` and `{` outside strings open a level, `]` and `}` close one. Linear, constant memory,
/// no recursion, so a 10,000-deep body costs no more than any other of its size. Whether the
/// text is valid JSON is for the parser to say afterwards.
#[derive(Debug, Default, Clone)]
pub struct DepthGuard {
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl DepthGuard {
    /// Read the next piece of the body.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), TooDeep> {
        for &b in bytes {
            if self.in_string {
                match b {
                    _ if self.escaped => self.escaped = false,
                    b'\\' => self.escaped = true,
                    b'"' => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'[' | b'{' => {
                    self.depth += 1;
                    if self.depth > limits::JSON_DEPTH {
                        return Err(TooDeep);
                    }
                }
                b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
        }
        Ok(())
    }
}

/// Fields a client may send back unchanged from a read or a write's answer; they are ignored.
pub const READ_ONLY: [&str; 8] = ["id", "owner_id", "created_at", "updated_at", "version", "readings", "warnings", "requester"];

/// Deserialize `value` into `T`, refusing unknown fields and naming the path of a bad one.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ValidationErrors> {
    let mut unknown = Vec::new();
    let result: Result<T, _> = serde_path_to_error::deserialize(serde_ignored::Deserializer::new(value, &mut |path| {
        // `serde_ignored` writes `?` for the inside of an `Option`: not part of the JSON path.
        let p = path.to_string().split('.').filter(|s| *s != "?").collect::<Vec<_>>().join(".");
        if !READ_ONLY.contains(&p.as_str()) {
            unknown.push(p);
        }
    }));
    match result {
        Err(e) => {
            let path = e.path().to_string();
            let field = if path == "." { String::new() } else { path };
            let message = e.into_inner().to_string();
            let code = if message.starts_with("missing field") { FieldCode::Required } else { FieldCode::InvalidType };
            Err(ValidationErrors(vec![FieldError::new(field, code, message)]))
        }
        Ok(v) if unknown.is_empty() => Ok(v),
        Ok(_) => Err(ValidationErrors(
            unknown
                .into_iter()
                .map(|p| {
                    FieldError::new(
                        p.clone(),
                        FieldCode::UnknownField,
                        format!("'{p}' is not a field of this object; see the schema in /api-docs/openapi.json"),
                    )
                })
                .collect(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PlatformFields;

    fn base() -> serde_json::Value {
        serde_json::json!({"name": "X", "organisation": {"name": "O"}, "country": "BE", "city": "Gent", "maturity_level": 1})
    }

    fn nested(depth: usize) -> String {
        "[".repeat(depth) + &"]".repeat(depth)
    }

    #[test]
    fn depth_guard_allows_the_limit_and_refuses_one_more() {
        assert_eq!(DepthGuard::default().feed(nested(limits::JSON_DEPTH).as_bytes()), Ok(()));
        assert_eq!(DepthGuard::default().feed(nested(limits::JSON_DEPTH + 1).as_bytes()), Err(TooDeep));
        assert_eq!(DepthGuard::default().feed(nested(100_000).as_bytes()), Err(TooDeep));
        // Mixed objects and arrays, and levels closed before others open, count alike.
        let mixed = r#"{"a":"#.repeat(limits::JSON_DEPTH - 1) + "[1]" + &"}".repeat(limits::JSON_DEPTH - 1);
        assert_eq!(DepthGuard::default().feed(mixed.as_bytes()), Ok(()));
        let siblings = nested(limits::JSON_DEPTH).repeat(1000);
        assert_eq!(DepthGuard::default().feed(siblings.as_bytes()), Ok(()));
    }

    #[test]
    fn depth_guard_ignores_brackets_in_strings() {
        let s = format!(r#"{{"text": "{}", "quote": "a \"[[[ \\", "x": [1]}}"#, "[{".repeat(100));
        assert!(serde_json::from_str::<serde_json::Value>(&s).is_ok(), "{s}");
        assert_eq!(DepthGuard::default().feed(s.as_bytes()), Ok(()));
        // An escaped backslash ends the escape: the quote after it closes the string.
        let s = format!(r#"["\\\\", {}]"#, nested(limits::JSON_DEPTH));
        assert!(serde_json::from_str::<serde_json::Value>(&s).is_ok(), "{s}");
        assert_eq!(DepthGuard::default().feed(s.as_bytes()), Err(TooDeep));
    }

    #[test]
    fn depth_guard_reads_pieces_as_a_whole() {
        let text = nested(limits::JSON_DEPTH + 1);
        let mut g = DepthGuard::default();
        let first_error = text.as_bytes().chunks(1).position(|c| g.feed(c).is_err());
        assert_eq!(first_error, Some(limits::JSON_DEPTH));
        let mut g = DepthGuard::default();
        let s = r#"["a\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["]"#;
        for c in s.as_bytes().chunks(1) {
            assert_eq!(g.feed(c), Ok(()));
        }
    }

    #[test]
    fn read_only_fields_are_ignored() {
        let mut v = base();
        v["id"] = "abc".into();
        v["version"] = 3.into();
        assert!(from_value::<PlatformFields>(v).is_ok());
    }

    #[test]
    fn unknown_fields_are_refused_by_path() {
        let mut v = base();
        v["capabilites"] = serde_json::json!([]);
        v["organisation"]["rorid"] = "x".into();
        let e = from_value::<PlatformFields>(v).unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["capabilites", "organisation.rorid"]);
    }

    #[test]
    fn unknown_fields_inside_optional_objects_are_named_by_their_json_path() {
        #[derive(Debug, serde::Deserialize)]
        struct Inner {
            #[allow(dead_code)]
            q: Option<String>,
        }
        #[derive(Debug, serde::Deserialize)]
        struct Outer {
            #[allow(dead_code)]
            query: Option<Inner>,
        }
        let e = from_value::<Outer>(serde_json::json!({"query": {"q": "x", "sort": "name"}})).unwrap_err();
        assert_eq!(e.0[0].field, "query.sort");
    }

    #[test]
    fn type_errors_name_the_path() {
        let mut v = base();
        v["capabilities"] = serde_json::json!([{"technology": "WES", "monthly_capacity": "lots"}]);
        let e = from_value::<PlatformFields>(v).unwrap_err();
        assert_eq!(e.0[0].field, "capabilities[0].monthly_capacity");
        assert_eq!(e.0[0].code, "invalid_type");
        let e = from_value::<PlatformFields>(serde_json::json!({"name": "X"})).unwrap_err();
        assert_eq!(e.0[0].code, "required");
    }
}
