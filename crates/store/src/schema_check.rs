//! `schema_matches_migrations`: the diesel schema (`schema.rs`) against the tables that the
//! migrations of each backend make: the same tables, and per table the same columns in the
//! same order, with the same nullability and a column type of the declared kind.

use diesel::prelude::*;
use diesel::sql_types::is_nullable::{IsNullable, NotNull};
use diesel::sql_types::{BigInt, Bool, Double, Nullable, SingleValue, SqlType, Text, Timestamp};

use crate::conn::{Backend, DbConn, Store};
use crate::schema::{
    change_log, events, introduction_messages, introductions, rate_limits, records, saved_search_hits, saved_searches, users,
    webhook_deliveries, webhooks,
};
use crate::testdb::TestDb;

trait Nullness {
    const NULLABLE: bool;
}
impl Nullness for IsNullable {
    const NULLABLE: bool = true;
}
impl Nullness for NotNull {
    const NULLABLE: bool = false;
}

/// The column types each backend may report for a diesel SQL type.
trait Stored {
    const SQLITE: &'static [&'static str];
    const POSTGRES: &'static [&'static str];
}
impl Stored for Text {
    const SQLITE: &'static [&'static str] = &["TEXT"];
    const POSTGRES: &'static [&'static str] = &["text"];
}
impl Stored for BigInt {
    const SQLITE: &'static [&'static str] = &["BIGINT", "INTEGER"];
    const POSTGRES: &'static [&'static str] = &["bigint"];
}
impl Stored for Double {
    const SQLITE: &'static [&'static str] = &["DOUBLE PRECISION"];
    const POSTGRES: &'static [&'static str] = &["double precision"];
}
impl Stored for Timestamp {
    const SQLITE: &'static [&'static str] = &["TIMESTAMP"];
    const POSTGRES: &'static [&'static str] = &["timestamp without time zone"];
}
impl<T: Stored + SqlType + SingleValue> Stored for Nullable<T> {
    const SQLITE: &'static [&'static str] = T::SQLITE;
    const POSTGRES: &'static [&'static str] = T::POSTGRES;
}

#[derive(Debug, PartialEq)]
struct Declared {
    name: &'static str,
    nullable: bool,
    types: &'static [&'static str],
}

fn column<C>(backend: Backend) -> Declared
where
    C: Column,
    C::SqlType: SqlType + Stored,
    <C::SqlType as SqlType>::IsNull: Nullness,
{
    let types = match backend {
        Backend::Sqlite => <C::SqlType as Stored>::SQLITE,
        Backend::Postgres => <C::SqlType as Stored>::POSTGRES,
    };
    Declared { name: C::NAME, nullable: <<C::SqlType as SqlType>::IsNull as Nullness>::NULLABLE, types }
}

/// The columns `schema.rs` declares for a table, in order; checked against the table's own
/// `all_columns`, so a column left out of the list fails too.
macro_rules! declared {
    ($backend:expr, $table:ident: $($c:ident),* $(,)?) => {{
        let listed = vec![$(column::<$table::$c>($backend)),*];
        let all = diesel::debug_query::<diesel::sqlite::Sqlite, _>(&$table::table.select($table::all_columns)).to_string();
        let names: Vec<String> = listed.iter().map(|d| format!("`{}`.`{}`", stringify!($table), d.name)).collect();
        assert_eq!(all, format!("SELECT {} FROM `{}` -- binds: []", names.join(", "), stringify!($table)), "the list of {} is not schema.rs's", stringify!($table));
        (stringify!($table), listed)
    }};
}

#[derive(QueryableByName, Debug)]
struct StoredColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Bool)]
    required: bool,
}

#[derive(QueryableByName)]
struct Table {
    #[diesel(sql_type = Text)]
    name: String,
}

fn stored_tables(c: &mut DbConn) -> Vec<String> {
    let q = match c {
        DbConn::Sqlite(_) => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations' ORDER BY name"
        }
        DbConn::Pg(_) => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> '__diesel_schema_migrations' ORDER BY table_name"
        }
    };
    diesel::sql_query(q).load::<Table>(c).unwrap().into_iter().map(|t| t.name).collect()
}

fn stored_columns(c: &mut DbConn, table: &str) -> Vec<StoredColumn> {
    let q = match c {
        DbConn::Sqlite(_) => {
            format!("SELECT name, type AS kind, \"notnull\" <> 0 AS required FROM pragma_table_info('{table}') ORDER BY cid")
        }
        DbConn::Pg(_) => format!(
            "SELECT column_name::text AS name, data_type::text AS kind, is_nullable = 'NO' AS required FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = '{table}' ORDER BY ordinal_position"
        ),
    };
    diesel::sql_query(q).load::<StoredColumn>(c).unwrap()
}

fn schema_matches_migrations(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(backend, dir.path()).unwrap();
    let store = Store::open(&db.url, 1).unwrap();
    let mut c = store.conn().unwrap();
    let declared = [
        declared!(backend, users: id, email, display_name, role, password_hash, token_version, created_at, updated_at, external_issuer, external_subject, email_digest, digest_cursor_seq, digest_sent_at),
        declared!(backend, records: id, kind, external_key, owner_id, status, label, country, body, version, created_at, updated_at),
        declared!(backend, change_log: seq, kind, entity_id, op, version, actor_id, at, detail),
        declared!(backend, introductions: id, need_id, platform_id, proposed_by, proposer_id, state, score, version, created_at, updated_at, expires_at),
        declared!(backend, introduction_messages: id, introduction_id, author_id, side, body, created_at),
        declared!(backend, events: seq, id, kind, recipient_id, subject_id, payload, created_at, read_at),
        declared!(backend, webhooks: id, owner_id, url, events, secret, cursor_seq, created_at),
        declared!(backend, webhook_deliveries: id, webhook_id, event_id, event_seq, status, attempts, last_status, last_error, next_attempt_at, created_at, delivered_at),
        declared!(backend, saved_searches: id, owner_id, name, kind, query, need_id, min_score, cursor_seq, created_at),
        declared!(backend, saved_search_hits: saved_search_id, record_id, hit_seq, created_at),
        declared!(backend, rate_limits: bucket, client, window_start, hits),
    ];
    let mut tables: Vec<&str> = declared.iter().map(|(t, _)| *t).collect();
    tables.sort_unstable();
    assert_eq!(stored_tables(&mut c), tables, "{backend:?}: the migrations make other tables than schema.rs declares");
    for (table, columns) in &declared {
        let stored = stored_columns(&mut c, table);
        let names: Vec<&str> = stored.iter().map(|s| s.name.as_str()).collect();
        let want: Vec<&str> = columns.iter().map(|d| d.name).collect();
        assert_eq!(names, want, "{backend:?}: columns of {table}");
        for (s, d) in stored.iter().zip(columns) {
            assert_eq!(!s.required, d.nullable, "{backend:?}: nullability of {table}.{}", d.name);
            assert!(
                d.types.contains(&s.kind.as_str()),
                "{backend:?}: {table}.{} is {} in the database, not one of {:?}",
                d.name,
                s.kind,
                d.types
            );
        }
    }
}

#[test]
fn schema_matches_migrations_on_sqlite() {
    schema_matches_migrations(Backend::Sqlite);
}

#[test]
fn schema_matches_migrations_on_postgres() {
    schema_matches_migrations(Backend::Postgres);
}
