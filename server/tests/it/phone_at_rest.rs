//! Phone numbers at rest, on both backends: a database left by a version that stored citizens'
//! numbers as text is upgraded by starting the server on it. The numbers come out sealed with
//! a look-up hash, the text is gone, and the citizens still sign in to their own accounts by
//! number; a second start changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use diesel::prelude::*;
use gridline_server::auth::Scope;
use gridline_server::store::DbConnection;
use gridline_server::store::schema::users;
use serde_json::{Value, json};

use crate::auth_http::{SECRET, plant_code};
use crate::common::{Backend, OldDatabase, TestServer};

/// The first migration of the sealed numbers: the database is built with those before it.
const SEALING_MIGRATION: &str = "2026-12-03-150000";

const PHONE_KEY: &str = "the phone key of this city, at least 32 bytes";

const OLD_CITIZENS: [(&str, &str); 2] = [
    ("01930000-0000-7000-8000-000000000001", "+8613800138000"),
    ("01930000-0000-7000-8000-000000000002", "+8613900139000"),
];

type Stored = BTreeMap<String, (Option<String>, Option<String>, Option<String>)>;

fn stored(conn: &mut DbConnection) -> Stored {
    users::table
        .select((users::id, users::phone, users::phone_hash, users::phone_sealed))
        .load::<(String, Option<String>, Option<String>, Option<String>)>(conn)
        .unwrap()
        .into_iter()
        .map(|(id, phone, hash, sealed)| (id, (phone, hash, sealed)))
        .collect()
}

fn sign_in(server: &TestServer, phone: &str) -> Value {
    let sent = server.post_json("/api/v1/auth/otp/request", &json!({ "phone": phone }));
    assert_eq!(sent.status(), 202);
    plant_code(server, "135790");
    let signed_in = server.post_json("/api/v1/auth/otp/verify", &json!({ "phone": phone, "code": "135790" }));
    let status = signed_in.status();
    let body: Value = signed_in.json().unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

both_backends!(an_old_database_gets_its_phone_numbers_sealed);

fn an_old_database_gets_its_phone_numbers_sealed(backend: Backend) {
    let database = OldDatabase::create(backend, SEALING_MIGRATION);
    let url = database.url.clone();
    {
        let mut old = database.connect();
        let scope = serde_json::to_string(&Scope::Own).unwrap();
        for (id, phone) in OLD_CITIZENS {
            diesel::sql_query(format!(
                "INSERT INTO users (id, role, scope, display_name, phone, disabled, created_at, updated_at) \
                 VALUES ('{id}', 'citizen', '{scope}', 'Citizen', '{phone}', FALSE, 1, 1)"
            ))
            .execute(&mut old)
            .unwrap();
        }
    }

    let server = TestServer::start_with(
        backend,
        &[("DATABASE_URL", &url), ("GRIDLINE_JWT_SECRET", SECRET), ("GRIDLINE_PHONE_KEY", PHONE_KEY)],
    );
    let mut conn = server.db.get().unwrap();
    let sealed = stored(&mut conn);
    for (id, phone) in OLD_CITIZENS {
        let (text, hash, seal) = &sealed[id];
        assert_eq!(text, &None, "the number's text is gone");
        let (hash, seal) = (hash.as_deref().unwrap(), seal.as_deref().unwrap());
        let digits = phone.trim_start_matches("+86");
        assert!(!hash.contains(digits) && !seal.contains(digits), "{hash} {seal}");
        assert_ne!(hash, seal);
    }
    // Nothing plain is left anywhere in the table.
    let everything: Vec<String> = users::table
        .select((
            users::id,
            users::display_name,
            users::login,
            users::phone,
            users::phone_hash,
            users::phone_sealed,
            users::device_secret_hash,
            users::password_hash,
        ))
        .load::<(
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        )>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|row| format!("{row:?}"))
        .collect();
    for (_, phone) in OLD_CITIZENS {
        assert!(!everything.iter().any(|row| row.contains(&phone[3..])), "{everything:?}");
    }
    drop(conn);

    // Look-up by number finds the old accounts; a new number gets a new account.
    for (id, phone) in OLD_CITIZENS {
        let signed_in = sign_in(&server, &phone[3..]);
        assert_eq!(signed_in["user"]["id"], id);
        assert_eq!(signed_in["user"]["phone"], phone);
    }
    let newcomer = sign_in(&server, "13700137000");
    assert!(OLD_CITIZENS.iter().all(|(id, _)| newcomer["user"]["id"] != *id));
    let after_sign_in = stored(&mut server.db.get().unwrap());
    assert_eq!(after_sign_in.len(), 3);
    assert!(
        after_sign_in.values().all(|(text, hash, seal)| text.is_none() && hash.is_some() && seal.is_some())
    );
    drop(server);

    // A second start finds nothing to seal: the stored values stay as they are.
    let again = TestServer::start_with(
        backend,
        &[("DATABASE_URL", &url), ("GRIDLINE_JWT_SECRET", SECRET), ("GRIDLINE_PHONE_KEY", PHONE_KEY)],
    );
    assert_eq!(stored(&mut again.db.get().unwrap()), after_sign_in);
    let (id, phone) = OLD_CITIZENS[0];
    assert_eq!(sign_in(&again, phone)["user"]["id"], id);
}
