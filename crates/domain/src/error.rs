//! The one table of error codes: each stable machine-readable code, its HTTP status and title.
//! The HTTP layer turns these into RFC 9457 problem documents; clients match on `code`.

use serde::Serialize;
use utoipa::ToSchema;

macro_rules! codes {
    ($($variant:ident => ($code:literal, $status:literal, $title:literal),)*) => {
        /// A stable machine-readable error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code { $($variant,)* }

        impl Code {
            /// Every code, in table order (documented in the README and the OpenAPI document).
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];
            /// The machine-readable code sent as `code` in a problem document.
            pub fn as_str(self) -> &'static str { match self { $(Code::$variant => $code,)* } }
            /// The HTTP status this code is sent with.
            pub fn status(self) -> u16 { match self { $(Code::$variant => $status,)* } }
            /// A short human-readable summary of the problem type.
            pub fn title(self) -> &'static str { match self { $(Code::$variant => $title,)* } }
        }
    };
}

codes! {
    MalformedJson => ("malformed_json", 400, "The request body is not valid JSON for this operation"),
    InvalidQuery => ("invalid_query", 400, "A query parameter is invalid"),
    InvalidPath => ("invalid_path", 400, "A path parameter is invalid"),
    MissingToken => ("missing_token", 401, "Authentication is required"),
    InvalidToken => ("invalid_token", 401, "The bearer token is invalid or expired"),
    InvalidCredentials => ("invalid_credentials", 401, "Email or password is wrong"),
    Forbidden => ("forbidden", 403, "You may not do this to this resource"),
    NotFound => ("not_found", 404, "No such resource"),
    RouteNotFound => ("route_not_found", 404, "No such route"),
    MethodNotAllowed => ("method_not_allowed", 405, "Method not allowed on this route"),
    WrongSide => ("wrong_side", 403, "This move is the other side's of the introduction"),
    EmailTaken => ("email_taken", 409, "An account with this email already exists"),
    NeedNotOpen => ("need_not_open", 409, "The need is not open"),
    PlatformNotPublished => ("platform_not_published", 409, "The platform is not published"),
    IntroductionExists => ("introduction_exists", 409, "An introduction between this need and platform is already open"),
    InvalidTransition => ("invalid_transition", 409, "The change is not allowed from the current state"),
    IntroductionClosed => ("introduction_closed", 409, "The introduction is closed"),
    SavedSearchLimit => ("saved_search_limit", 409, "You keep as many saved searches as an account may"),
    ExternalKeyTaken => ("external_key_taken", 409, "Another record already uses this external_key"),
    PreconditionFailed => ("precondition_failed", 412, "The record changed since you read it"),
    PayloadTooLarge => ("payload_too_large", 413, "The request body is too large"),
    UnsupportedMediaType => ("unsupported_media_type", 415, "Send JSON with Content-Type: application/json"),
    ValidationFailed => ("validation_failed", 422, "The request has invalid fields"),
    UnknownTerm => ("unknown_term", 422, "A vocabulary term is not known"),
    RateLimited => ("rate_limited", 429, "Too many requests; retry after the time in Retry-After"),
    Internal => ("internal", 500, "Internal error"),
    Unavailable => ("unavailable", 503, "The service is not ready"),
}

/// A closed set of stable wire codes: the enum, its serde names and `as_str` from one table,
/// so the string sent and the string compared cannot drift apart.
///
/// Exported for the engine's closed sets (score components, exclusion constraints); the
/// calling crate needs `serde` and `utoipa`.
#[macro_export]
macro_rules! wire_codes {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$doc:meta])* $variant:ident => $wire:tt,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
        pub enum $name { $($(#[$doc])* #[serde(rename = $wire)] $variant,)* }

        impl $name {
            /// Every value, in the order of the table.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The code as sent on the wire.
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $wire,)* } }

            /// The value sent on the wire as `code`, if it is one.
            pub fn parse(code: &str) -> Option<$name> { match code { $($wire => Some($name::$variant),)* _ => None } }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool { self.as_str() == *other }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

crate::wire_codes! {
    /// What is wrong with one field: the stable code of a field error.
    pub enum FieldCode {
        /// Missing or empty, and it must be given.
        Required => "required",
        /// Shorter than the least length allowed.
        TooShort => "too_short",
        /// Longer than the most characters allowed.
        TooLong => "too_long",
        /// More items than allowed.
        TooMany => "too_many",
        /// A number outside its range.
        OutOfRange => "out_of_range",
        /// Not in the form the field takes (an email address, a URL, a key without control characters).
        InvalidFormat => "invalid_format",
        /// Well formed, but not a value this field takes here.
        InvalidValue => "invalid_value",
        /// The wrong JSON type (a string where a number goes, say).
        InvalidType => "invalid_type",
        /// A field the operation does not know.
        UnknownField => "unknown_field",
        /// A vocabulary value that could not be read with confidence; see `suggestions`.
        UnknownTerm => "unknown_term",
        /// Given twice, or already taken by another record.
        Duplicate => "duplicate",
    }
}

/// One problem with one field of a request.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldError {
    /// JSON path of the field, e.g. `capabilities[0].technology`.
    pub field: String,
    /// Stable code of the problem.
    pub code: FieldCode,
    /// What was wrong and what would be right, for a person.
    pub message: String,
    /// For `unknown_term`: the closest valid terms, best first, with how well each fits.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<crate::linker::Suggestion>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: FieldCode, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), code, message: message.into(), suggestions: vec![] }
    }
}

/// All the field problems found in one request.
#[derive(Debug, Clone, Default, PartialEq, thiserror::Error)]
#[error("{} invalid field(s)", .0.len())]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// `unknown_term` when every problem is an unknown vocabulary term, else `validation_failed`.
    pub fn code(&self) -> Code {
        if !self.0.is_empty() && self.0.iter().all(|e| e.code == FieldCode::UnknownTerm) {
            Code::UnknownTerm
        } else {
            Code::ValidationFailed
        }
    }
    pub fn into_result<T>(self, value: T) -> Result<T, ValidationErrors> {
        if self.0.is_empty() { Ok(value) } else { Err(self) }
    }
}

#[cfg(test)]
mod tests {
    use super::FieldCode;

    #[test]
    fn a_field_code_is_sent_as_its_wire_name() {
        assert_eq!(FieldCode::ALL.len(), 11);
        for &code in FieldCode::ALL {
            assert_eq!(serde_json::to_value(code).ok(), Some(serde_json::Value::from(code.as_str())));
            assert_eq!(FieldCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(FieldCode::parse("Unknown_Term"), None);
        assert_eq!(FieldCode::InvalidFormat.to_string(), "invalid_format");
    }
}
