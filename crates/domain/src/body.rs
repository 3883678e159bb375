//! Turning a JSON request body into a typed input, with errors a person can act on: the path
//! of a wrongly typed field, and unknown fields refused by name (a typo must not silently drop
//! data). Server-managed fields echoed back from a read (`id`, `owner_id`, `created_at`,
//! `updated_at`, `version`) are ignored.

use serde::de::DeserializeOwned;

use crate::error::{FieldError, ValidationErrors};

/// Fields a client may send back unchanged from a read; they are ignored.
pub const READ_ONLY: [&str; 5] = ["id", "owner_id", "created_at", "updated_at", "version"];

/// Deserialize `value` into `T`, refusing unknown fields and naming the path of a bad one.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ValidationErrors> {
    let mut unknown = Vec::new();
    let result: Result<T, _> = serde_path_to_error::deserialize(serde_ignored::Deserializer::new(value, &mut |path| {
        let p = path.to_string();
        if !READ_ONLY.contains(&p.as_str()) {
            unknown.push(p);
        }
    }));
    match result {
        Err(e) => {
            let path = e.path().to_string();
            let field = if path == "." { String::new() } else { path };
            let message = e.into_inner().to_string();
            let code = if message.starts_with("missing field") { "required" } else { "invalid_type" };
            Err(ValidationErrors(vec![FieldError::new(field, code, message)]))
        }
        Ok(v) if unknown.is_empty() => Ok(v),
        Ok(_) => Err(ValidationErrors(
            unknown
                .into_iter()
                .map(|p| {
                    FieldError::new(
                        p.clone(),
                        "unknown_field",
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
