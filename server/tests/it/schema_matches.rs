//! `schema.rs` (and the identity module's `auth/tables.rs`) against the real databases: the
//! migrations run on a fresh SQLite file and a fresh PostgreSQL database, and every table,
//! column (in order), type and nullability that diesel is told about must be what the database
//! reports, and the database must have no table diesel does not know.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{Backend, FreshPgDatabase};
use diesel::sql_types::{BigInt, Integer, Text};
use diesel::{QueryableByName, RunQueryDsl};
use gridline_server::store::{Db, DbConnection};

/// Table name -> ordered (column, diesel type) pairs.
type Schema = BTreeMap<String, Vec<(String, String)>>;

const SCHEMA_FILES: &[&str] = &["src/store/schema.rs", "src/auth/tables.rs"];

/// The `table!` blocks of the schema files, read as text (the form `diesel print-schema` writes).
fn declared_schema() -> Schema {
    let mut schema = Schema::new();
    for file in SCHEMA_FILES {
        let path = format!("{}/{}", env!("CARGO_MANIFEST_DIR"), file);
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let mut lines = text.lines().map(str::trim);
        while let Some(line) = lines.next() {
            if !(line.starts_with("diesel::table!") || line.starts_with("table!")) {
                continue;
            }
            let header = lines.by_ref().find(|l| !l.is_empty() && !l.starts_with('#')).unwrap();
            let name = header.split([' ', '(']).next().unwrap().to_owned();
            let mut columns = Vec::new();
            for line in lines.by_ref() {
                if line.starts_with('}') {
                    break;
                }
                if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
                    continue;
                }
                let (column, ty) = line.trim_end_matches(',').split_once("->").unwrap();
                columns.push((column.trim().to_owned(), ty.trim().to_owned()));
            }
            assert!(schema.insert(name.clone(), columns).is_none(), "table {name} declared twice");
        }
    }
    assert!(schema.contains_key("cases"), "schema.rs was not parsed");
    schema
}

fn diesel_type(base: &str, nullable: bool) -> String {
    if nullable { format!("Nullable<{base}>") } else { base.to_owned() }
}

fn sqlite_base_type(declared: &str) -> String {
    match declared.to_ascii_uppercase().as_str() {
        "TEXT" => "Text",
        "INTEGER" => "Integer",
        "BIGINT" => "BigInt",
        "DOUBLE" | "DOUBLE PRECISION" | "REAL" => "Double",
        "BOOLEAN" => "Bool",
        "TIMESTAMP" => "Timestamp",
        other => panic!("unexpected SQLite column type {other}"),
    }
    .to_owned()
}

fn postgres_base_type(data_type: &str) -> String {
    match data_type {
        "text" => "Text",
        "integer" => "Integer",
        "bigint" => "BigInt",
        "double precision" => "Double",
        "boolean" => "Bool",
        "timestamp without time zone" => "Timestamp",
        "timestamp with time zone" => "Timestamptz",
        other => panic!("unexpected PostgreSQL column type {other}"),
    }
    .to_owned()
}

#[derive(QueryableByName)]
struct TableName {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text, column_name = "type")]
    declared: String,
    #[diesel(sql_type = Integer)]
    notnull: i32,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
    #[diesel(sql_type = BigInt)]
    position: i64,
}

/// The search index (`case_search`, and on SQLite its postings `case_search_grams` and the
/// numbers table `case_search_positions`) is read through SQL fragments only and is not declared
/// in schema.rs. Nor are PostgreSQL's exactly-once key tables (`case_keys`, `step_keys`, written
/// by triggers only) and the monthly partitions of `cases` and `case_events` (the parents are
/// what diesel queries).
fn actual_schema(conn: &mut DbConnection) -> Schema {
    let mut schema = Schema::new();
    match conn {
        DbConnection::Sqlite(c) => {
            let tables: Vec<TableName> = diesel::sql_query(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations' \
                 AND name NOT LIKE 'case_search%'",
            )
            .load(c)
            .unwrap();
            for TableName { name } in tables {
                let columns: Vec<SqliteColumn> =
                    diesel::sql_query(format!("PRAGMA table_info({name})")).load(c).unwrap();
                let columns = columns
                    .into_iter()
                    .map(|col| {
                        let nullable = col.notnull == 0 && col.pk == 0;
                        (col.name, diesel_type(&sqlite_base_type(&col.declared), nullable))
                    })
                    .collect();
                schema.insert(name, columns);
            }
        }
        DbConnection::Pg(c) => {
            let columns: Vec<PgColumn> = diesel::sql_query(
                "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                 data_type::text AS data_type, is_nullable::text AS is_nullable, \
                 ordinal_position::bigint AS position \
                 FROM information_schema.columns WHERE table_schema = 'public' \
                 AND table_name <> '__diesel_schema_migrations' AND table_name <> 'case_search' \
                 AND table_name NOT IN ('case_keys', 'step_keys') \
                 AND table_name::text NOT IN (SELECT relname::text FROM pg_class WHERE relispartition) \
                 ORDER BY table_name, ordinal_position",
            )
            .load(c)
            .unwrap();
            for col in columns {
                let _ = col.position;
                schema.entry(col.table_name).or_default().push((
                    col.column_name,
                    diesel_type(&postgres_base_type(&col.data_type), col.is_nullable == "YES"),
                ));
            }
        }
    }
    schema
}

fn schema_matches_the_migrated_database(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let pg = (backend == Backend::Postgres).then(FreshPgDatabase::create);
    let url = match &pg {
        Some(db) => db.url.clone(),
        None => format!("sqlite://{}", dir.path().join("schema.sqlite3").display()),
    };
    let db = Db::connect(&url, 1, Duration::from_secs(10)).unwrap();
    let actual = actual_schema(&mut db.get().unwrap());
    let declared = declared_schema();
    let actual_tables: Vec<_> = actual.keys().collect();
    let declared_tables: Vec<_> = declared.keys().collect();
    assert_eq!(actual_tables, declared_tables, "tables in the database vs. in the schema files");
    for (table, columns) in &declared {
        assert_eq!(&actual[table], columns, "columns of {table} ({backend:?})");
    }
}

both_backends!(schema_matches_the_migrated_database);
