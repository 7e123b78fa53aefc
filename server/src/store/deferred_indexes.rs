//! Indexes built after a bulk load instead of entry by entry (`deferred_indexes`): `gridline
//! seed` into a database without cases drops the secondary indexes and foreign keys of the
//! tables it fills ([`defer`]) and builds them again at its end ([`restore`]).
//!
//! - **Why**: a seed spends most of its database time keeping indexes whose entries land all
//!   over them (cases by street, state, unit and time; events by case; facts by time; the search
//!   bigrams) and checking every event's foreign key against the partitioned `cases`. Built
//!   once over the loaded rows, by a sort, they cost a fraction of that and come out packed
//!   (`docs/benchmarks.md`, "A seed into an empty database builds its indexes at the end").
//! - **Which**: every index of [`BULK_TABLES`] that is not unique (a unique index is a rule the
//!   load must keep: ids, idempotency keys, the per-day summaries' upsert key), except
//!   [`KEPT`], which the load reads itself; and the foreign keys of those tables.
//! - **Never lost**: a definition is recorded in `deferred_indexes` in the transaction that
//!   drops it, and deleted in the one that builds it again. A load that dies leaves the table
//!   naming exactly what is missing, and [`super::Db::connect`] builds it before anything else
//!   runs, so no server serves a database without its indexes.

use std::time::{Duration, Instant};

use diesel::prelude::*;

use super::schema::deferred_indexes;
use super::{DbConnection, StoreResult};

/// The tables a seed fills with a row per case or event.
pub const BULK_TABLES: &[&str] =
    &["cases", "case_events", "case_stat_facts", "case_day_summaries", "case_search"];

/// Indexes of [`BULK_TABLES`] kept through a load: every batch numbers its events after the
/// highest sequence number stored, read from this one (and its entries only ever append).
pub const KEPT: &[&str] = &["case_events_seq"];

/// [`Deferred::kind`] of an index (its definition a `CREATE INDEX`).
pub const INDEX: &str = "index";
/// [`Deferred::kind`] of a foreign key (its definition an `ALTER TABLE ... ADD CONSTRAINT`).
pub const FOREIGN_KEY: &str = "foreign key";

/// PostgreSQL's memory for building one index (its default is 64 MB): a sort that fits in it
/// spills nothing to disk. Only a restore sets it, for its own transaction.
const BUILD_MEMORY: &str = "1GB";

/// One index or foreign key dropped for a load, and how to make it again.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, QueryableByName, Insertable)]
#[diesel(table_name = deferred_indexes)]
pub struct Deferred {
    pub name: String,
    pub table_name: String,
    pub kind: String,
    pub definition: String,
}

/// Drops the secondary indexes and foreign keys of [`BULK_TABLES`] (but [`KEPT`]), recording
/// each in `deferred_indexes` in the same transaction, and returns what it dropped.
pub fn defer(conn: &mut DbConnection) -> StoreResult<Vec<Deferred>> {
    super::write_transaction(conn, |conn| {
        let dropped = droppable(conn)?;
        for item in &dropped {
            diesel::insert_into(deferred_indexes::table).values(item).execute(conn)?;
            let sql = match item.kind.as_str() {
                FOREIGN_KEY => {
                    format!("ALTER TABLE {} DROP CONSTRAINT {}", quoted(&item.table_name), quoted(&item.name))
                }
                _ => format!("DROP INDEX {}", quoted(&item.name)),
            };
            diesel::sql_query(sql).execute(conn)?;
        }
        Ok::<_, super::StoreError>(dropped)
    })
}

/// How many indexes and foreign keys are waiting to be built again.
pub fn pending(conn: &mut DbConnection) -> QueryResult<i64> {
    deferred_indexes::table.count().get_result(conn)
}

/// Builds every index and foreign key `deferred_indexes` names, each in a transaction of its own
/// that first deletes its row (an interrupted restore goes on where it stopped, and of two nodes
/// starting at once, the second waits on the row and finds it gone), and returns how long each
/// took, in the order built.
pub fn restore(conn: &mut DbConnection) -> StoreResult<Vec<(String, Duration)>> {
    let waiting: Vec<Deferred> = deferred_indexes::table.order(deferred_indexes::name).load(conn)?;
    let mut built = Vec::with_capacity(waiting.len());
    for item in waiting {
        let started = Instant::now();
        let claimed = super::write_transaction(conn, |conn| {
            if diesel::delete(deferred_indexes::table.find(&item.name)).execute(conn)? == 0 {
                return Ok(false);
            }
            if matches!(conn, DbConnection::Pg(_)) {
                diesel::sql_query(format!("SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'"))
                    .execute(conn)?;
            }
            // The record goes in the transaction that builds, as it came in the one that
            // dropped: while it is there, what it names is missing.
            diesel::sql_query(&item.definition).execute(conn)?;
            Ok::<_, super::StoreError>(true)
        })?;
        if claimed {
            built.push((item.name, started.elapsed()));
        }
    }
    Ok(built)
}

/// What [`defer`] would drop now.
fn droppable(conn: &mut DbConnection) -> QueryResult<Vec<Deferred>> {
    let tables = listed(BULK_TABLES);
    let kept = listed(KEPT);
    let sql = match conn {
        // A partitioned table's index is defined `ON ONLY` the parent (its partitions' indexes
        // are attached one by one); built again `ON` the parent, it makes theirs too.
        DbConnection::Pg(_) => format!(
            "SELECT i.relname::text AS name, c.relname::text AS table_name, '{INDEX}' AS kind, \
                    replace(pg_get_indexdef(i.oid), ' ON ONLY ', ' ON ') AS definition \
               FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid \
              WHERE c.relnamespace = current_schema()::regnamespace AND NOT c.relispartition \
                AND NOT x.indisunique AND c.relname IN ({tables}) AND i.relname NOT IN ({kept}) \
             UNION ALL \
             SELECT k.conname::text, c.relname::text, '{FOREIGN_KEY}', \
                    format('ALTER TABLE %I ADD CONSTRAINT %I %s', c.relname, k.conname, pg_get_constraintdef(k.oid)) \
               FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid \
              WHERE k.contype = 'f' AND k.conparentid = 0 \
                AND c.relnamespace = current_schema()::regnamespace AND c.relname IN ({tables}) \
             ORDER BY 1"
        ),
        // SQLite keeps each index's `CREATE` statement, its keywords in capitals; it enforces
        // no foreign key here (they are off), so none is dropped.
        DbConnection::Sqlite(_) => format!(
            "SELECT name, tbl_name AS table_name, '{INDEX}' AS kind, sql AS definition FROM sqlite_master \
              WHERE type = 'index' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE %' \
                AND tbl_name IN ({tables}) AND name NOT IN ({kept}) ORDER BY name"
        ),
    };
    diesel::sql_query(sql).load(conn)
}

/// Names from this module's constants as an SQL list of string literals (none holds a quote).
fn listed(names: &[&str]) -> String {
    names.iter().map(|name| format!("'{name}'")).collect::<Vec<_>>().join(", ")
}

/// An identifier from the catalog, quoted.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quoted("cases"), "\"cases\"");
        assert_eq!(quoted("a\"b"), "\"a\"\"b\"");
    }
}
