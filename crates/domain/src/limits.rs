//! Every input limit of the service, in one place. Validation enforces these constants, the
//! OpenAPI document states them (`omics_api::limits` writes them into the generated schemas
//! and parameters), and the README lists them under "Limits".

/// Names, titles, cities, instruments, URLs, ROR ids, external keys, display names, and any
/// vocabulary value (an id, label or synonym), characters.
pub const SHORT_TEXT: usize = 200;
/// Descriptions, characters.
pub const LONG_TEXT: usize = 10_000;
/// Email addresses, characters (RFC 5321 path limit).
pub const EMAIL: usize = 254;
/// Items in any list of a record (terms, instruments, technologies, countries).
pub const LIST: usize = 50;
/// Capabilities of one platform.
pub const CAPABILITIES: usize = 50;
/// Values a platform keeps as typed beside its closed lists (`unread`).
pub const UNREAD: usize = 200;
/// Maturity levels: 1 (some resources) to 3 (leader in the field).
pub const MIN_MATURITY: u8 = 1;
pub const MAX_MATURITY: u8 = 3;
/// Sample counts and monthly capacities.
pub const MAX_SAMPLES: u32 = 10_000_000;
/// Turnaround, days (1 to ten years).
pub const MAX_TURNAROUND_DAYS: u32 = 3650;
/// Budgets, euro.
pub const MAX_EUR: u64 = 1_000_000_000;
/// Passwords, characters.
pub const MIN_PASSWORD: usize = 12;
pub const MAX_PASSWORD: usize = 256;

/// Full-text query `q`, characters.
pub const QUERY_TEXT: usize = 500;
/// A filter or `status` parameter (values separated by commas), characters; it holds at most
/// [`LIST`] values, each at most [`SHORT_TEXT`] characters.
pub const FILTER_TEXT: usize = 2_000;
/// Page size of lists, matches and the audit trail.
pub const MAX_PAGE: u32 = 100;
/// Default page size of lists and matches.
pub const DEFAULT_PAGE: u32 = 20;
/// Default page size of the audit trail.
pub const DEFAULT_AUDIT_PAGE: u32 = 50;
/// Deepest `offset` of a list: further pages are not served (narrow the search instead).
pub const MAX_OFFSET: u32 = 10_000;

/// How deeply arrays and objects may nest in a request body (the deepest record nests 4).
pub const JSON_DEPTH: usize = 32;

/// `Retry-After` of a request that ran out of time, seconds.
pub const TIMEOUT_RETRY_AFTER_SECS: u64 = 5;
