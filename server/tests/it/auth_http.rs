//! Identity over real HTTP on both backends: staff password login and lockout, phone
//! one-time codes, anonymous device accounts, refresh rotation and replay, logout, the admin
//! user API, and the token attacks (each must answer 401 problem+json).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Backend, TestServer, problem};
use diesel::prelude::*;
use gridline_core::workflow::Role;
use gridline_server::auth::otp::HashKey;
use gridline_server::auth::users::{self, NewStaff};
use gridline_server::auth::{Scope, now};
use gridline_server::store::schema::otp_challenges;
use gridline_server::store::{Db, DbConnection};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

pub(crate) const SECRET: &str = "test-secret-of-at-least-thirty-two-bytes!";

pub(crate) fn start(backend: Backend) -> TestServer {
    TestServer::start_with(backend, &[("GRIDLINE_JWT_SECRET", SECRET)])
}

fn with_conn<T>(server: &TestServer, work: impl FnOnce(&mut DbConnection) -> T) -> T {
    let db = Db::connect(&server.database_url, 1, Duration::from_secs(5)).unwrap();
    let mut conn = db.get().unwrap();
    work(&mut conn)
}

/// Creates a staff account directly in the database and returns its password.
fn staff(server: &TestServer, login: &str, role: Role, scope: Option<Scope>) -> String {
    let password = format!("{login}-password-123");
    let new = NewStaff {
        login: login.into(),
        display_name: login.into(),
        role,
        scope,
        password: Some(password.clone()),
    };
    with_conn(server, |conn| users::create_staff(conn, new, now()).unwrap());
    password
}

fn login(server: &TestServer, login: &str, password: &str) -> reqwest::blocking::Response {
    server.post_json("/api/v1/auth/login", &json!({ "login": login, "password": password }))
}

fn get_as(server: &TestServer, path: &str, token: &str) -> reqwest::blocking::Response {
    server.client.get(server.url(path)).bearer_auth(token).send().unwrap()
}

fn password_login_succeeds_fails_and_locks(backend: Backend) {
    let server = start(backend);
    let password = staff(&server, "admin", Role::Admin, None);

    let ok: Value = login(&server, "Admin", &password).json().unwrap();
    assert_eq!(ok["token_type"], "Bearer");
    assert_eq!(ok["expires_in"], 900);
    assert_eq!(ok["user"]["role"], "admin");
    let me: Value = get_as(&server, "/api/v1/me", ok["access_token"].as_str().unwrap()).json().unwrap();
    assert_eq!(me["login"], "admin");
    assert_eq!(me["scope"], json!({ "kind": "city" }));
    let text = me.to_string();
    assert!(!text.contains("argon2") && !text.contains("password"), "{text}");

    // a wrong password and an unknown name read exactly the same
    let wrong = problem(login(&server, "admin", "not the password"), 401);
    let unknown = problem(login(&server, "nobody", "not the password"), 401);
    assert_eq!(wrong["code"], "invalid_credentials");
    assert_eq!(wrong, unknown);

    // 5 failures per name, then locked with Retry-After, even for the right password
    for _ in 0..4 {
        problem(login(&server, "admin", "still wrong"), 401);
    }
    let locked = login(&server, "admin", &password);
    let retry_after: u64 = locked.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    assert_eq!(problem(locked, 429)["code"], "rate_limited");
    // an unknown name locks the same way, so locking reveals nothing
    for _ in 0..4 {
        problem(login(&server, "nobody", "x"), 401);
    }
    assert_eq!(problem(login(&server, "nobody", "x"), 429)["code"], "rate_limited");
    // other accounts are not affected by one name's lock
    let other = staff(&server, "admin2", Role::Admin, None);
    assert_eq!(login(&server, "admin2", &other).status(), 200);
}

/// Replace the code of the newest challenge with a known one, as if read from the SMS.
/// Replace the newest one-time code's hash, so a test knows the code that was "texted".
pub(crate) fn plant_code(server: &TestServer, code: &str) {
    let key = HashKey::derive(SECRET.as_bytes()).unwrap();
    with_conn(server, |conn| {
        // The open one: codes requested within one second share their creation time.
        let id: String = otp_challenges::table
            .filter(otp_challenges::consumed_at.is_null())
            .order(otp_challenges::created_at.desc())
            .select(otp_challenges::id)
            .first(conn)
            .unwrap();
        diesel::update(otp_challenges::table.find(&id))
            .set(otp_challenges::code_hash.eq(key.code_hash(&id, code)))
            .execute(conn)
            .unwrap();
    });
}

fn otp_request_verify_and_limits(backend: Backend) {
    let server = start(backend);
    let malformed = problem(server.post_json("/api/v1/auth/otp/request", &json!({ "phone": "12345" })), 422);
    assert_eq!(malformed["code"], "invalid_phone");
    assert_eq!(malformed["field"], "phone");
    assert!(!malformed.to_string().contains("12345"), "the number is not echoed");

    let sent = server.post_json("/api/v1/auth/otp/request", &json!({ "phone": "138 0013 8000" }));
    assert_eq!(sent.status(), 202);
    plant_code(&server, "246810");

    let wrong = problem(
        server.post_json("/api/v1/auth/otp/verify", &json!({ "phone": "+8613800138000", "code": "000000" })),
        401,
    );
    assert_eq!(wrong["code"], "otp_invalid");
    let signed_in: Value = server
        .post_json("/api/v1/auth/otp/verify", &json!({ "phone": "13800138000", "code": "246810" }))
        .json()
        .unwrap();
    assert_eq!(signed_in["user"]["role"], "citizen");
    assert_eq!(signed_in["user"]["phone"], "+8613800138000");
    let again = problem(
        server.post_json("/api/v1/auth/otp/verify", &json!({ "phone": "13800138000", "code": "246810" })),
        401,
    );
    assert_eq!(again["code"], "otp_invalid", "a code works once");

    // two more requests are allowed for this number in the window, the next is refused
    for _ in 0..2 {
        assert_eq!(
            server.post_json("/api/v1/auth/otp/request", &json!({ "phone": "13800138000" })).status(),
            202
        );
    }
    let limited = server.post_json("/api/v1/auth/otp/request", &json!({ "phone": "13800138000" }));
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(problem(limited, 429)["code"], "rate_limited");

    // five wrong codes burn the code
    let other = json!({ "phone": "13900139000" });
    assert_eq!(server.post_json("/api/v1/auth/otp/request", &other).status(), 202);
    plant_code(&server, "135790");
    for _ in 0..5 {
        let wrong = problem(
            server.post_json("/api/v1/auth/otp/verify", &json!({ "phone": "13900139000", "code": "999999" })),
            401,
        );
        assert_eq!(wrong["code"], "otp_invalid");
    }
    let late =
        server.post_json("/api/v1/auth/otp/verify", &json!({ "phone": "13900139000", "code": "135790" }));
    assert_eq!(problem(late, 401)["code"], "otp_invalid", "the right code no longer works");
}

fn anonymous_device_accounts(backend: Backend) {
    let server = start(backend);
    let created = server.client.post(server.url("/api/v1/auth/anonymous")).send().unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().unwrap();
    let secret = created["device_secret"].as_str().unwrap().to_owned();
    assert_eq!(created["user"]["anonymous"], true);
    assert_eq!(created["user"]["role"], "citizen");

    let again: Value =
        server.post_json("/api/v1/auth/anonymous", &json!({ "device_secret": secret })).json().unwrap();
    assert_eq!(again["user"]["id"], created["user"]["id"]);
    assert!(again.get("device_secret").is_none(), "the secret is handed out once");

    let unknown = server.post_json("/api/v1/auth/anonymous", &json!({ "device_secret": "guess" }));
    assert_eq!(problem(unknown, 401)["code"], "device_unknown");
    let wrong_type = server.post_json("/api/v1/auth/anonymous", &json!({ "device_secret": 5 }));
    assert_eq!(problem(wrong_type, 422)["code"], "invalid_body");
    let malformed = server.client.post(server.url("/api/v1/auth/anonymous")).body("{").send().unwrap();
    assert_eq!(problem(malformed, 400)["code"], "malformed_json");
}

fn refresh_rotates_and_replay_revokes_the_family(backend: Backend) {
    let server = start(backend);
    let password = staff(&server, "inspector", Role::Inspector, None);
    let first: Value = login(&server, "inspector", &password).json().unwrap();
    let first_refresh = first["refresh_token"].as_str().unwrap();

    let second: Value =
        server.post_json("/api/v1/auth/refresh", &json!({ "refresh_token": first_refresh })).json().unwrap();
    let second_refresh = second["refresh_token"].as_str().unwrap();
    assert_ne!(first_refresh, second_refresh);
    assert_eq!(get_as(&server, "/api/v1/me", second["access_token"].as_str().unwrap()).status(), 200);

    let replay = server.post_json("/api/v1/auth/refresh", &json!({ "refresh_token": first_refresh }));
    assert_eq!(problem(replay, 401)["code"], "refresh_reused");
    let after = server.post_json("/api/v1/auth/refresh", &json!({ "refresh_token": second_refresh }));
    assert_eq!(problem(after, 401)["code"], "refresh_invalid", "the whole family is revoked");

    // logout revokes; logging out twice is fine
    let fresh: Value = login(&server, "inspector", &password).json().unwrap();
    let token = fresh["refresh_token"].as_str().unwrap();
    for _ in 0..2 {
        let out = server.post_json("/api/v1/auth/logout", &json!({ "refresh_token": token }));
        assert_eq!(out.status(), 204);
    }
    let dead = server.post_json("/api/v1/auth/refresh", &json!({ "refresh_token": token }));
    assert_eq!(problem(dead, 401)["code"], "refresh_invalid");
}

fn concurrent_uses_of_one_refresh_token_let_exactly_one_win(backend: Backend) {
    let server = start(backend);
    let password = staff(&server, "inspector", Role::Inspector, None);
    let signed_in: Value = login(&server, "inspector", &password).json().unwrap();
    let token = signed_in["refresh_token"].as_str().unwrap().to_owned();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    server
                        .post_json("/api/v1/auth/refresh", &json!({ "refresh_token": token }))
                        .status()
                        .as_u16()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 7, "{statuses:?}");
}

fn sign(header: &Value, claims: &Value, key: &[u8], alg: Algorithm) -> String {
    let head = URL_SAFE_NO_PAD.encode(header.to_string());
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signature = jsonwebtoken::crypto::sign(
        format!("{head}.{body}").as_bytes(),
        &EncodingKey::from_secret(key).unwrap(),
        alg,
    )
    .unwrap();
    format!("{head}.{body}.{signature}")
}

fn token_attacks_are_refused(backend: Backend) {
    let server = start(backend);
    let password = staff(&server, "admin", Role::Admin, None);
    let real: Value = login(&server, "admin", &password).json().unwrap();
    let real = real["access_token"].as_str().unwrap().to_owned();
    assert_eq!(get_as(&server, "/api/v1/me", &real).status(), 200);
    let user_id = {
        let me: Value = get_as(&server, "/api/v1/me", &real).json().unwrap();
        me["id"].as_str().unwrap().to_owned()
    };
    let t = now();
    let claims = |aud: &str, iss: &str, iat: i64, exp: i64| {
        json!({ "iss": iss, "aud": aud, "sub": user_id, "iat": iat, "nbf": iat, "exp": exp, "jti": "x",
                "role": "admin", "scope": { "kind": "city" } })
    };
    let good = claims("gridline-api", "gridline", t, t + 600);
    let hs256 = json!({ "alg": "HS256", "typ": "JWT" });
    let key = SECRET.as_bytes();
    assert_eq!(get_as(&server, "/api/v1/me", &sign(&hs256, &good, key, Algorithm::HS256)).status(), 200);

    let parts: Vec<&str> = real.split('.').collect();
    let forged_payload = {
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        URL_SAFE_NO_PAD.encode(text.replace(&user_id, "00000000-0000-7000-8000-000000000000"))
    };
    let attacks: Vec<(&str, String, &str)> = vec![
        (
            "alg none",
            format!(
                "{}.{}.",
                URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
                URL_SAFE_NO_PAD.encode(good.to_string())
            ),
            "token_invalid",
        ),
        (
            "HS512 under the same secret",
            sign(&json!({ "alg": "HS512" }), &good, key, Algorithm::HS512),
            "token_invalid",
        ),
        (
            "RS256 header (algorithm swap)",
            format!(
                "{}.{}.{}",
                URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
                URL_SAFE_NO_PAD.encode(good.to_string()),
                URL_SAFE_NO_PAD.encode([7u8; 256])
            ),
            "token_invalid",
        ),
        (
            "wrong key",
            sign(&hs256, &good, b"some-other-secret-of-thirty-two-bytes!!", Algorithm::HS256),
            "token_invalid",
        ),
        (
            "expired",
            sign(&hs256, &claims("gridline-api", "gridline", t - 3600, t - 2700), key, Algorithm::HS256),
            "token_expired",
        ),
        (
            "not yet valid",
            sign(&hs256, &claims("gridline-api", "gridline", t + 3600, t + 4200), key, Algorithm::HS256),
            "token_invalid",
        ),
        (
            "wrong audience",
            sign(&hs256, &claims("gridline-admin", "gridline", t, t + 600), key, Algorithm::HS256),
            "token_invalid",
        ),
        (
            "wrong issuer",
            sign(&hs256, &claims("gridline-api", "evil", t, t + 600), key, Algorithm::HS256),
            "token_invalid",
        ),
        ("tampered payload", format!("{}.{}.{}", parts[0], forged_payload, parts[2]), "token_invalid"),
        ("garbage", "not-a-token".to_owned(), "token_invalid"),
    ];
    for (name, token, code) in attacks {
        let body = problem(get_as(&server, "/api/v1/me", &token), 401);
        assert_eq!(body["code"], code, "{name}");
    }
    let basic =
        server.client.get(server.url("/api/v1/me")).basic_auth("admin", Some(&password)).send().unwrap();
    assert_eq!(problem(basic, 401)["code"], "token_invalid");
    assert_eq!(problem(server.get("/api/v1/me"), 401)["code"], "token_missing");
}

fn admin_manages_users_and_others_cannot(backend: Backend) {
    let server = start(backend);
    let password = staff(&server, "admin", Role::Admin, None);
    let admin: Value = login(&server, "admin", &password).json().unwrap();
    let admin_token = admin["access_token"].as_str().unwrap().to_owned();
    let admin_id = admin["user"]["id"].as_str().unwrap().to_owned();
    let post = |token: &str, body: Value| {
        server.client.post(server.url("/api/v1/admin/users")).bearer_auth(token).json(&body).send().unwrap()
    };
    let patch = |token: &str, id: &str, body: Value| {
        server
            .client
            .patch(server.url(&format!("/api/v1/admin/users/{id}")))
            .bearer_auth(token)
            .json(&body)
            .send()
            .unwrap()
    };

    let created = post(
        &admin_token,
        json!({ "login": "dispatcher1", "display_name": "Li Na", "role": "dispatcher",
                "scope": { "kind": "street", "street": "110101001" } }),
    );
    assert_eq!(created.status(), 201);
    let created: Value = created.json().unwrap();
    let initial = created["initial_password"].as_str().unwrap().to_owned();
    let id = created["user"]["id"].as_str().unwrap().to_owned();
    assert!(!created.to_string().contains("argon2"));

    let bad_scope = post(
        &admin_token,
        json!({ "login": "dispatcher2", "display_name": "x", "role": "dispatcher", "scope": { "kind": "city" } }),
    );
    assert_eq!(problem(bad_scope, 422)["code"], "invalid_scope");
    let taken = post(&admin_token, json!({ "login": "DISPATCHER1", "display_name": "x", "role": "admin" }));
    assert_eq!(problem(taken, 409)["code"], "login_taken");

    let listed: Value = get_as(&server, "/api/v1/admin/users?role=dispatcher", &admin_token).json().unwrap();
    assert_eq!(listed["users"].as_array().unwrap().len(), 1);
    let one: Value = get_as(&server, &format!("/api/v1/admin/users/{id}"), &admin_token).json().unwrap();
    assert_eq!(one["scope"]["street"], "110101001");
    assert_eq!(
        problem(get_as(&server, "/api/v1/admin/users/nobody", &admin_token), 404)["code"],
        "user_not_found"
    );

    // the dispatcher signs in, and may not use the admin API
    let dispatcher: Value = login(&server, "dispatcher1", &initial).json().unwrap();
    let dispatcher_token = dispatcher["access_token"].as_str().unwrap().to_owned();
    assert_eq!(problem(get_as(&server, "/api/v1/admin/users", &dispatcher_token), 403)["code"], "forbidden");
    assert_eq!(
        problem(
            post(&dispatcher_token, json!({ "login": "mine", "display_name": "x", "role": "admin" })),
            403
        )["code"],
        "forbidden"
    );
    assert_eq!(problem(patch(&dispatcher_token, &id, json!({ "role": "admin" })), 403)["code"], "forbidden");
    let citizen: Value =
        server.client.post(server.url("/api/v1/auth/anonymous")).send().unwrap().json().unwrap();
    let citizen_token = citizen["access_token"].as_str().unwrap();
    assert_eq!(problem(get_as(&server, "/api/v1/admin/users", citizen_token), 403)["code"], "forbidden");

    // moving the dispatcher to another street signs them out; disabling blocks login
    let moved: Value =
        patch(&admin_token, &id, json!({ "scope": { "kind": "street", "street": "110101002" } }))
            .json()
            .unwrap();
    assert_eq!(moved["scope"]["street"], "110101002");
    let refresh =
        server.post_json("/api/v1/auth/refresh", &json!({ "refresh_token": dispatcher["refresh_token"] }));
    assert_eq!(problem(refresh, 401)["code"], "refresh_invalid");
    let disabled: Value = patch(&admin_token, &id, json!({ "disabled": true })).json().unwrap();
    assert_eq!(disabled["disabled"], true);
    assert_eq!(problem(login(&server, "dispatcher1", &initial), 401)["code"], "invalid_credentials");
    assert_eq!(problem(get_as(&server, "/api/v1/me", &dispatcher_token), 401)["code"], "token_revoked");

    let self_lockout = patch(&admin_token, &admin_id, json!({ "disabled": true }));
    assert_eq!(problem(self_lockout, 422)["field"], "disabled");
    let unknown_field = patch(&admin_token, &id, json!({ "password_hash": "x" }));
    assert_eq!(unknown_field.status(), 422);
}

both_backends!(
    password_login_succeeds_fails_and_locks,
    otp_request_verify_and_limits,
    anonymous_device_accounts,
    refresh_rotates_and_replay_revokes_the_family,
    concurrent_uses_of_one_refresh_token_let_exactly_one_win,
    token_attacks_are_refused,
    admin_manages_users_and_others_cannot,
);
