//! Tests of the store: migrations (upgraded equals fresh), settings, crash leftovers.

use rusqlite::Connection;

use super::*;

/// Every schema object's SQL with whitespace normalised, since `ALTER TABLE ... ADD COLUMN`
/// splices the new column into the stored text with its own spacing.
fn schema_text(conn: &Connection) -> Vec<(String, String, String)> {
    let mut stmt = conn
        .prepare("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name")
        .unwrap();
    stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, normalise(&row.get::<_, String>(2)?))))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn normalise(sql: &str) -> String {
    let collapsed = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.replace(" ,", ",").replace("( ", "(").replace(" )", ")")
}

#[test]
fn a_store_upgraded_step_by_step_equals_a_fresh_one() {
    let mut fresh = Connection::open_in_memory().unwrap();
    migrate(&mut fresh).unwrap();

    let mut upgraded = Connection::open_in_memory().unwrap();
    upgrade(&mut upgraded, 0, 1).unwrap();
    assert_eq!(user_version(&upgraded).unwrap(), 1);
    for version in 1..schema::VERSION {
        upgrade(&mut upgraded, version, version + 1).unwrap();
        assert_eq!(user_version(&upgraded).unwrap(), version + 1);
    }
    // And once more through the public path, which must see nothing left to do.
    migrate(&mut upgraded).unwrap();

    assert_eq!(user_version(&fresh).unwrap(), schema::VERSION);
    assert_eq!(user_version(&upgraded).unwrap(), schema::VERSION);
    let fresh_schema = schema_text(&fresh);
    assert!(fresh_schema.len() >= 7, "expected the tables and indexes, found {fresh_schema:?}");
    assert_eq!(schema_text(&upgraded), fresh_schema);
}

#[test]
fn there_is_one_step_per_version() {
    assert_eq!(schema::STEPS.len(), schema::VERSION as usize);
}

#[test]
fn rows_written_at_version_1_survive_the_upgrade() {
    let mut conn = Connection::open_in_memory().unwrap();
    upgrade(&mut conn, 0, 1).unwrap();
    conn.execute(
        "INSERT INTO outbox (id, kind, idempotency_key, payload, status) VALUES ('a', 'report', 'k', '{}', 'pending')",
        [],
    )
    .unwrap();
    migrate(&mut conn).unwrap();
    let (id, order_key): (String, Option<String>) =
        conn.query_row("SELECT id, order_key FROM outbox", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!((id.as_str(), order_key), ("a", None));
}

#[test]
fn a_store_from_a_newer_build_is_refused_not_downgraded() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let conn = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    conn.pragma_update(None, "user_version", schema::VERSION + 1).unwrap();
    drop(conn);
    match Store::open(dir.path()) {
        Err(Error::StoreTooNew { found, supported }) => {
            assert_eq!((found, supported), (schema::VERSION + 1, schema::VERSION));
        }
        other => panic!("expected StoreTooNew, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn opening_sets_wal_full_sync_and_a_busy_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let conn = store.conn();
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    let sync: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
    let timeout: i64 = conn.query_row("PRAGMA busy_timeout", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(sync, 2, "2 is FULL");
    assert_eq!(timeout, 5000);
}

#[test]
fn opening_removes_crash_leftovers_but_keeps_known_photos() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .conn()
        .execute(
            "INSERT INTO photos (id, owner_id, sha256, width, height, metadata) VALUES ('kept', 'd', 'x', 1, 1, '{}')",
            [],
        )
        .unwrap();
    let photos = store.photos_dir().to_owned();
    drop(store);
    write_atomically(&photos, &photo_file_name("kept"), b"jpeg").unwrap();
    write_atomically(&photos, &photo_file_name("orphan"), b"jpeg").unwrap();
    fs::write(photos.join(format!("kept.jpg.123{}", files::TEMP_SUFFIX)), b"half").unwrap();

    let store = Store::open(dir.path()).unwrap();
    let mut names: Vec<String> = fs::read_dir(store.photos_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["kept.jpg"]);
    assert_eq!(fs::read(store.photo_path("kept")).unwrap(), b"jpeg");
}
