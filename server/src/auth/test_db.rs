//! Fresh, migrated SQLite databases for the identity unit tests (a real file, no mocks).

use std::ops::{Deref, DerefMut};
use std::time::Duration;

use diesel::r2d2::PooledConnection;

use crate::store::{Db, DbConnection, Manager};

/// A pooled connection to a migrated database in a temporary folder, removed on drop.
pub struct TestConn {
    conn: PooledConnection<Manager>,
    _dir: tempfile::TempDir,
}

impl Deref for TestConn {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl DerefMut for TestConn {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

pub fn sqlite() -> TestConn {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let db = Db::connect(&url, 1, Duration::from_secs(5)).unwrap();
    TestConn { conn: db.get().unwrap(), _dir: dir }
}

/// A migrated database holding one bare citizen account with this id.
pub fn sqlite_with_user(id: &str) -> TestConn {
    use diesel::prelude::*;

    use crate::store::schema::users;
    let mut conn = sqlite();
    diesel::insert_into(users::table)
        .values((
            users::id.eq(id),
            users::role.eq("citizen"),
            users::scope.eq(r#"{"kind":"own"}"#),
            users::display_name.eq("Test"),
            users::disabled.eq(false),
            users::created_at.eq(0i64),
            users::updated_at.eq(0i64),
        ))
        .execute(&mut *conn)
        .unwrap();
    conn
}
