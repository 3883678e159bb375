//! Rate limits shared by the replicas on one database: a counter per limit, client address
//! and fixed one-minute window, counted with one upsert per request on the database's clock
//! (so replicas with drifting clocks still share windows).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Text};

use crate::Result;
use crate::conn::{DbConn, Store};

/// Seconds in a window.
pub const WINDOW_SECS: i64 = 60;

/// A request counted: how many the client made in this window so far (this one included),
/// and the seconds until the window ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowCount {
    pub hits: i64,
    pub resets_in_secs: f64,
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = BigInt)]
    hits: i64,
    #[diesel(sql_type = Double)]
    resets_in: f64,
}

impl Store {
    /// Count one request of `client` against `bucket` in the current window.
    pub fn count_request(&self, bucket: &str, client: &str) -> Result<WindowCount> {
        let _turn = self.sqlite_turn();
        let mut conn = self.conn()?;
        let counted: Counted = match &mut *conn {
            DbConn::Pg(c) => diesel::sql_query(format!(
                "WITH now AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS t) \
                 INSERT INTO rate_limits AS r (bucket, client, window_start, hits) \
                 SELECT $1, $2, (floor(t)::bigint / {WINDOW_SECS}) * {WINDOW_SECS}, 1 FROM now \
                 ON CONFLICT (bucket, client, window_start) DO UPDATE SET hits = r.hits + 1 \
                 RETURNING r.hits, (r.window_start + {WINDOW_SECS})::float8 - (SELECT t FROM now) AS resets_in"
            ))
            .bind::<Text, _>(bucket)
            .bind::<Text, _>(client)
            .get_result(c)?,
            DbConn::Sqlite(c) => diesel::sql_query(format!(
                "INSERT INTO rate_limits AS r (bucket, client, window_start, hits) \
                 VALUES (?, ?, (CAST(strftime('%s', 'now') AS INTEGER) / {WINDOW_SECS}) * {WINDOW_SECS}, 1) \
                 ON CONFLICT (bucket, client, window_start) DO UPDATE SET hits = r.hits + 1 \
                 RETURNING hits, CAST(window_start + {WINDOW_SECS} AS REAL) - (julianday('now') - 2440587.5) * 86400.0 AS resets_in"
            ))
            .bind::<Text, _>(bucket)
            .bind::<Text, _>(client)
            .get_result(c)?,
        };
        Ok(WindowCount { hits: counted.hits, resets_in_secs: counted.resets_in.clamp(0.0, WINDOW_SECS as f64) })
    }

    /// Delete the counters of windows that started more than `keep_secs` ago (pass
    /// [`WINDOW_SECS`] to delete those of ended windows); returns how many.
    pub fn prune_rate_limits(&self, keep_secs: i64) -> Result<usize> {
        let _turn = self.sqlite_turn();
        let mut conn = self.conn()?;
        let n = match &mut *conn {
            DbConn::Pg(c) => {
                diesel::sql_query("DELETE FROM rate_limits WHERE window_start < extract(epoch FROM clock_timestamp())::bigint - $1")
                    .bind::<BigInt, _>(keep_secs)
                    .execute(c)?
            }
            DbConn::Sqlite(c) => {
                diesel::sql_query("DELETE FROM rate_limits WHERE window_start < CAST(strftime('%s', 'now') AS INTEGER) - ?")
                    .bind::<BigInt, _>(keep_secs)
                    .execute(c)?
            }
        };
        Ok(n)
    }
}
