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

/// A page's bounds: `limit` as [`page_limit`] takes it, `offset` 0 to [`MAX_OFFSET`].
pub fn page_bounds(limit: Option<u32>, offset: Option<u32>) -> Result<(u32, u32), Error> {
    let limit = page_limit(limit)?;
    let offset = offset.unwrap_or(0);
    if offset > MAX_OFFSET {
        return Err(out_of_range("offset", format!("offset is 0 to {MAX_OFFSET}; got {offset}")));
    }
    Ok((limit, offset))
}

/// The offset of the page after one at `offset` that showed `shown` of `total` items; none
/// after the last.
pub fn next_offset(offset: u32, shown: usize, total: usize) -> Option<u32> {
    let end = offset as usize + shown;
    (end < total).then(|| u32::try_from(end).unwrap_or(u32::MAX))
}

/// The values of a comma-separated parameter, trimmed, empty ones left out.
pub fn values(s: &Option<String>) -> Vec<&str> {
    s.as_deref().map(|s| s.split(',').map(str::trim).filter(|v| !v.is_empty()).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages() {
        assert_eq!(page_bounds(None, None).ok(), Some((DEFAULT_LIMIT, 0)));
        assert!(page_bounds(Some(0), None).is_err() && page_bounds(Some(MAX_LIMIT + 1), None).is_err());
        assert!(page_bounds(None, Some(MAX_OFFSET + 1)).is_err());
        assert_eq!(next_offset(0, 20, 45), Some(20));
        assert_eq!(next_offset(40, 5, 45), None);
        assert_eq!(next_offset(0, 0, 0), None);
    }
}
