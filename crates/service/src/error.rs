//! What a service call can fail with: a stable [`Code`] (which also fixes the HTTP status the
//! API answers with), a detail saying what was wrong and what would be right, and the
//! field-level errors. Causes of internal errors are logged here and never shown.

use omics_domain::{Code, FieldCode, FieldError, ValidationErrors};
use omics_index::IndexError;
use omics_store::StoreError;

/// A refused or failed service call.
#[derive(Debug)]
pub struct Error {
    pub code: Code,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// With `precondition_failed`: the record's current version, for the client to read again.
    pub current_version: Option<i64>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: Code, detail: impl Into<String>) -> Self {
        Error { code, detail: detail.into(), errors: vec![], current_version: None }
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(Code::NotFound, format!("no {what} with this id, or not visible to you"))
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(Code::Forbidden, detail)
    }
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(Code::Internal, "an internal error occurred; it has been logged")
    }
    pub fn field(code: Code, field: FieldError) -> Self {
        Error { code, detail: field.message.clone(), errors: vec![field], current_version: None }
    }
    /// 412: the record is at `current`, not at the version the client read.
    pub fn precondition(current: i64, detail: impl Into<String>) -> Self {
        Error { current_version: Some(current), ..Self::new(Code::PreconditionFailed, detail) }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.detail)
    }
}

impl std::error::Error for Error {}

impl From<ValidationErrors> for Error {
    fn from(e: ValidationErrors) -> Self {
        let detail = match e.0.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are invalid: {}", many.len(), many.iter().map(|e| e.field.as_str()).collect::<Vec<_>>().join(", ")),
        };
        Error { code: e.code(), detail, errors: e.0, current_version: None }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Error::new(Code::NotFound, "no such record"),
            StoreError::VersionConflict { current } => {
                Error::precondition(current, format!("the record is now at version {current}; read it again and reapply your change"))
            }
            StoreError::Duplicate("email") => {
                Error::new(Code::EmailTaken, "an account with this email already exists; request a token instead")
            }
            StoreError::Duplicate(what) => Error::field(
                Code::ExternalKeyTaken,
                FieldError::new(
                    what,
                    FieldCode::Duplicate,
                    format!("another record already has this {what}; choose another or update that record"),
                ),
            ),
            StoreError::Pool(_) | StoreError::Connect(_) => {
                tracing::error!(cause = %e, "database unavailable");
                Error::new(Code::Unavailable, "the database is not reachable; try again shortly")
            }
            other => Error::internal(other),
        }
    }
}

impl From<IndexError> for Error {
    fn from(e: IndexError) -> Self {
        match e {
            IndexError::Store(s) => s.into(),
            IndexError::Query(m) => Error::new(Code::InvalidQuery, m),
            other => Error::internal(other),
        }
    }
}
