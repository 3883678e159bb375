//! Checks shared by the parameters of every call: the 400 `invalid_query` errors that name
//! the parameter, and the page bounds.

use omics_domain::{Code, FieldCode, FieldError};

use crate::Error;

pub use omics_domain::limits::{DEFAULT_PAGE as DEFAULT_LIMIT, MAX_OFFSET, MAX_PAGE as MAX_LIMIT};

/// 400 `invalid_query` naming the query parameter, `invalid_value`.
pub fn bad_param(field: &str, message: String) -> Error {
    Error::field(Code::InvalidQuery, FieldError::new(field, FieldCode::InvalidValue, message))
}

/// 400 `invalid_query` naming the query parameter, `out_of_range`.
pub fn out_of_range(field: &str, message: String) -> Error {
    Error::field(Code::InvalidQuery, FieldError::new(field, FieldCode::OutOfRange, message))
}

/// 400 `too_long` when a query parameter has more than `max` characters.
pub fn check_param_length(field: &str, value: Option<&str>, max: usize) -> Result<(), Error> {
    let n = value.map_or(0, |v| v.chars().count());
    if n > max {
        return Err(Error::field(
            Code::InvalidQuery,
            FieldError::new(field, FieldCode::TooLong, format!("{field} has {n} characters; at most {max}")),
        ));
    }
    Ok(())
}

/// A page size: 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent.
pub fn page_limit(limit: Option<u32>) -> Result<u32, Error> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(out_of_range("limit", format!("limit is 1 to {MAX_LIMIT}; got {limit}")));
    }
    Ok(limit)
}

/// The values of a comma-separated parameter, trimmed, empty ones left out.
pub fn values(s: &Option<String>) -> Vec<&str> {
    s.as_deref().map(|s| s.split(',').map(str::trim).filter(|v| !v.is_empty()).collect()).unwrap_or_default()
}
