//! Token attacks and rate limits that `auth_http` does not already cover, on both backends:
//! token confusion (a refresh token as a bearer, an access token as a refresh token), `alg`
//! spellings and empty signatures, a token without `exp`, every attack also against a write
//! (`POST /reports`) and not only `/me`; the per-account intake limit (429 with Retry-After, a
//! retry of a filed report still answered, other accounts and staff untouched); the login
//! lock holding when wrong passwords arrive all at once; and the caller verified once per
//! request never carrying over to the next request on the same connection.

use crate::common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Backend, TestServer, problem};
use gridline_server::auth::now;
use jsonwebtoken::{Algorithm, EncodingKey};
use reqwest::blocking::Response;
use serde_json::{Value, json};

const SECRET: &str = "token-attack-secret-of-thirty-two-bytes!";

fn sign(header: &Value, claims: &Value, alg: Algorithm) -> String {
    let head = URL_SAFE_NO_PAD.encode(header.to_string());
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let key = EncodingKey::from_secret(SECRET.as_bytes()).unwrap();
    let signature = jsonwebtoken::crypto::sign(format!("{head}.{body}").as_bytes(), &key, alg).unwrap();
    format!("{head}.{body}.{signature}")
}

fn report(server: &TestServer, token: &str, key: &str) -> Response {
    report_via(&server.client, server, token, key)
}

fn report_via(client: &reqwest::blocking::Client, server: &TestServer, token: &str, key: &str) -> Response {
    client
        .post(server.url("/api/v1/reports"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&json!({
            "category": "E0101",
            "description": "Overflowing rubbish bin",
            "position": { "lat": 31.15, "lon": 121.4 },
        }))
        .send()
        .unwrap()
}

fn key() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn confused_and_malformed_tokens_are_refused_on_reads_and_writes(backend: Backend) {
    let server = TestServer::start_with(backend, &[("GRIDLINE_JWT_SECRET", SECRET)]);
    let signed_in: Value =
        server.client.post(server.url("/api/v1/auth/anonymous")).send().unwrap().json().unwrap();
    let access = signed_in["access_token"].as_str().unwrap().to_owned();
    let refresh = signed_in["refresh_token"].as_str().unwrap().to_owned();
    // The real token's claims, re-signed: the forging below differs from it in one thing each.
    let payload = access.split('.').nth(1).unwrap();
    let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let t = now();
    claims["iat"] = json!(t);
    claims["exp"] = json!(t + 600);
    let good = sign(&json!({ "alg": "HS256", "typ": "JWT" }), &claims, Algorithm::HS256);
    assert_eq!(server.get_as(&good, "/api/v1/me").status(), 200, "the forging itself is right");
    let mut no_exp = claims.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    let mut as_admin = claims.clone();
    as_admin["role"] = json!("admin");
    as_admin["scope"] = json!({ "kind": "city" });
    let unsigned = |alg: &str| {
        format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(json!({ "alg": alg }).to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    };
    let [head, body, _] = <[&str; 3]>::try_from(good.split('.').collect::<Vec<_>>()).unwrap();
    let attacks: Vec<(&str, String)> = vec![
        ("alg None", unsigned("None")),
        ("alg NONE", unsigned("NONE")),
        ("alg nOnE", unsigned("nOnE")),
        ("HS256 header, empty signature", format!("{head}.{body}.")),
        ("two parts", format!("{head}.{body}")),
        ("four parts", format!("{good}.{body}")),
        ("signature of another token", format!("{head}.{body}.{}", access.rsplit('.').next().unwrap())),
        ("no exp", sign(&json!({ "alg": "HS256" }), &no_exp, Algorithm::HS256)),
        ("HS384 under the same secret", sign(&json!({ "alg": "HS384" }), &claims, Algorithm::HS384)),
        (
            "ES256 header on an HS256 signature",
            format!(
                "{}.{body}.{}",
                URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256"}"#),
                good.rsplit('.').next().unwrap()
            ),
        ),
        (
            "role raised, old signature",
            format!(
                "{head}.{}.{}",
                URL_SAFE_NO_PAD.encode(as_admin.to_string()),
                good.rsplit('.').next().unwrap()
            ),
        ),
        ("refresh token as a bearer", refresh.clone()),
        ("padding in the payload", format!("{head}.{body}==.{}", good.rsplit('.').next().unwrap())),
    ];
    for (name, token) in &attacks {
        let read = problem(server.get_as(token, "/api/v1/me"), 401);
        assert!(read["code"].as_str().unwrap().starts_with("token_"), "{name}: {read}");
        problem(report(&server, token, &key()), 401);
        problem(server.get_as(token, "/api/v1/admin/users"), 401);
    }
    // An access token is not a refresh token, and a refresh token works once.
    let as_refresh = server.post_json("/api/v1/auth/refresh", &json!({ "refresh_token": access }));
    assert_eq!(problem(as_refresh, 401)["code"], "refresh_invalid");
    let rotated = server.post_json("/api/v1/auth/refresh", &json!({ "refresh_token": refresh }));
    assert_eq!(rotated.status(), 200);
    let rotated: Value = rotated.json().unwrap();
    let replay = server.post_json("/api/v1/auth/refresh", &json!({ "refresh_token": refresh }));
    assert_eq!(problem(replay, 401)["code"], "refresh_reused");
    let family =
        server.post_json("/api/v1/auth/refresh", &json!({ "refresh_token": rotated["refresh_token"] }));
    assert_eq!(problem(family, 401)["code"], "refresh_invalid", "the replay revoked the family");
}

fn intake_is_limited_per_citizen_account(backend: Backend) {
    let server = TestServer::start_with(backend, &[("GRIDLINE_INTAKE_PER_ACCOUNT_PER_HOUR", "5")]);
    let citizen = server.citizen_token();
    let keys: Vec<String> = (0..5).map(|_| key()).collect();
    for k in &keys {
        assert_eq!(report(&server, &citizen, k).status(), 201);
    }
    let refused = report(&server, &citizen, &key());
    let retry_after: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    assert_eq!(problem(refused, 429)["code"], "rate_limited");
    // The phone that never got its answer retries: it gets the first case back.
    let retried = report(&server, &citizen, &keys[2]);
    assert_eq!(retried.status(), 200);
    assert_eq!(retried.headers()["idempotent-replayed"], "true");
    // A retry with the same key and another body is not a retry: still refused.
    problem(report(&server, &citizen, &key()), 429);
    // Another account and a staff member file as usual.
    assert_eq!(report(&server, &server.citizen_token(), &key()).status(), 201);
    let staff = server.admin_token();
    for _ in 0..6 {
        assert_eq!(report(&server, &staff, &key()).status(), 201);
    }
}

fn intake_limit_holds_when_reports_arrive_at_once(backend: Backend) {
    let server = TestServer::start_with(backend, &[("GRIDLINE_INTAKE_PER_ACCOUNT_PER_HOUR", "5")]);
    let citizen = server.citizen_token();
    let keys: Vec<String> = (0..16).map(|_| key()).collect();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> =
            keys.iter().map(|k| s.spawn(|| report(&server, &citizen, k).status().as_u16())).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        5,
        "exactly the limit got through: {statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 11, "{statuses:?}");
    // The accepted ones are still answered on retry, past the limit.
    let accepted = keys.iter().zip(&statuses).find(|(_, s)| **s == 201).unwrap().0;
    assert_eq!(report(&server, &citizen, accepted).status(), 200);
}

fn login_lock_holds_when_wrong_passwords_arrive_at_once(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let me: Value = server.get_as(&admin, "/api/v1/me").json().unwrap();
    let login = me["login"].as_str().unwrap().to_owned();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|_| {
                s.spawn(|| {
                    let wrong = json!({ "login": login, "password": "not the password at all" });
                    server.post_json("/api/v1/auth/login", &wrong).status().as_u16()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // Point 6: checking, hashing and then recording let 11 of 15 tries through a limit of 5.
    // Each try is now taken before the hash: exactly the limit is checked, the rest wait.
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 5, "tries past the limit: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 11, "{statuses:?}");
    let right = json!({ "login": login, "password": "correct horse battery staple 42" });
    let locked = server.post_json("/api/v1/auth/login", &right);
    assert!(locked.headers().contains_key("retry-after"));
    assert_eq!(problem(locked, 429)["code"], "rate_limited", "even the right password waits");
}

/// The caller is verified once per request and kept with that request only: on one kept-alive
/// connection, requests with different tokens, no token and a bad token each get their own
/// answer, reads and writes (which the viewer check at the door decodes first) alike.
fn each_request_on_one_connection_is_its_own_caller(backend: Backend) {
    let server = TestServer::start(backend);
    let one_connection =
        reqwest::blocking::Client::builder().no_proxy().pool_max_idle_per_host(1).build().unwrap();
    let citizen = server.citizen_token();
    let admin = server.admin_token();
    let street = gridline_core::codes::AreaCode::parse("310104001").unwrap();
    let viewer = server
        .staff_token(gridline_core::workflow::Role::Viewer, gridline_server::auth::Scope::Street { street });
    let me = |token: Option<&str>| {
        let mut request = one_connection.get(server.url("/api/v1/me"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().unwrap()
    };
    let id_of = |response: Response| -> String {
        assert_eq!(response.status(), 200);
        response.json::<Value>().unwrap()["id"].as_str().unwrap().to_owned()
    };
    let citizen_id = id_of(me(Some(&citizen)));
    let admin_id = id_of(me(Some(&admin)));
    assert_ne!(citizen_id, admin_id);
    for _ in 0..3 {
        assert_eq!(problem(me(None), 401)["code"], "token_missing");
        assert_eq!(problem(me(Some("not.a.token")), 401)["code"], "token_invalid");
        let write = one_connection
            .post(server.url("/api/v1/reports"))
            .bearer_auth(&viewer)
            .header("idempotency-key", uuid::Uuid::now_v7().to_string())
            .json(&json!({}))
            .send()
            .unwrap();
        assert_eq!(problem(write, 403)["code"], "forbidden");
        assert_eq!(id_of(me(Some(&citizen))), citizen_id);
        let filed = report_via(&one_connection, &server, &admin, &uuid::Uuid::now_v7().to_string());
        assert_eq!(filed.status(), 201);
        assert_eq!(id_of(me(Some(&admin))), admin_id);
    }
}

/// Lesser point: `otp_expired` (no code pending) and `otp_wrong` (a code pending) told anyone
/// whether a number had just asked for a code. A number with a pending code, one without, and
/// one whose code is used up now get the same answer, byte for byte apart from the request id.
fn wrong_and_missing_codes_answer_alike(backend: Backend) {
    let server = TestServer::start(backend);
    let verify = |phone: &str| {
        let response =
            server.post_json("/api/v1/auth/otp/verify", &json!({ "phone": phone, "code": "000001" }));
        let status = response.status().as_u16();
        let retry_after = response.headers().get("retry-after").is_some();
        (status, retry_after, response.text().unwrap())
    };
    assert_eq!(
        server.post_json("/api/v1/auth/otp/request", &json!({ "phone": "13700137000" })).status(),
        202
    );
    let pending = verify("13700137000");
    let none = verify("13600136000");
    assert_eq!(pending, none);
    assert_eq!(pending.0, 401);
    assert!(pending.2.contains("\"code\":\"otp_invalid\""), "{}", pending.2);
    for _ in 0..4 {
        verify("13700137000");
    }
    assert_eq!(verify("13700137000"), none, "a used-up code answers alike too");
}

/// Lesser point: per-IP limits keyed on the full IPv6 address, and an IPv6 host picks any of
/// the 2^64 addresses of its /64. Through a trusted proxy, 20 anonymous accounts (the per-IP
/// limit) from 20 addresses of one /64 use up that /64: a 21st address in it waits, while the
/// next /64 does not.
fn ipv6_clients_are_limited_per_slash_64(backend: Backend) {
    let server = TestServer::start_with(backend, &[("GRIDLINE_TRUSTED_PROXIES", "127.0.0.1/32, ::1/128")]);
    let sign_up = |forwarded_for: &str| crate::trusted_proxy::sign_up(&server, forwarded_for);
    for i in 1..=20 {
        assert_eq!(sign_up(&format!("2001:db8:1:2::{i:x}")), 201);
    }
    assert_eq!(sign_up("2001:db8:1:2:dead:beef:0:1"), 429, "another address of the same /64");
    assert_eq!(sign_up("2001:db8:1:3::1"), 201, "the next /64 has its own count");
}

/// Point 8: a disabled account and a signed-out session kept write access for the life of the
/// access token (15 minutes), since authorization trusted the token alone. Now the token is
/// refused (401 `token_revoked`) on the next request after the sign-out or the disabling, and
/// an account enabled again signs in afresh.
fn signed_out_and_disabled_accounts_lose_access_at_once(backend: Backend) {
    let server = TestServer::start_with(backend, &[("GRIDLINE_JWT_SECRET", SECRET)]);
    let signed_in: Value =
        server.client.post(server.url("/api/v1/auth/anonymous")).send().unwrap().json().unwrap();
    let access = signed_in["access_token"].as_str().unwrap();
    assert_eq!(report(&server, access, &key()).status(), 201);
    let out =
        server.post_json("/api/v1/auth/logout", &json!({ "refresh_token": signed_in["refresh_token"] }));
    assert!(out.status().is_success(), "{}", out.status());
    assert_eq!(problem(report(&server, access, &key()), 401)["code"], "token_revoked");
    assert_eq!(problem(server.get_as(access, "/api/v1/me"), 401)["code"], "token_revoked");

    let admin = server.admin_token();
    let handler =
        server.staff_token(gridline_core::workflow::Role::Admin, gridline_server::auth::Scope::City);
    let me: Value = server.get_as(&handler, "/api/v1/me").json().unwrap();
    let login = me["login"].as_str().unwrap().to_owned();
    assert_eq!(report(&server, &handler, &key()).status(), 201);
    let patch = |disabled: bool| {
        let answer = server
            .client
            .patch(server.url(&format!("/api/v1/admin/users/{}", me["id"].as_str().unwrap())))
            .bearer_auth(&admin)
            .json(&json!({ "disabled": disabled }))
            .send()
            .unwrap();
        assert_eq!(answer.status(), 200);
    };
    patch(true);
    assert_eq!(problem(report(&server, &handler, &key()), 401)["code"], "token_revoked");
    let password = json!({ "login": login, "password": "correct horse battery staple 42" });
    assert_eq!(server.post_json("/api/v1/auth/login", &password).status(), 401);
    patch(false);
    assert_eq!(
        problem(report(&server, &handler, &key()), 401)["code"],
        "token_revoked",
        "the old token stays dead"
    );
    let again: Value = server.post_json("/api/v1/auth/login", &password).json().unwrap();
    let fresh = again["access_token"].as_str().unwrap();
    // On PostgreSQL a node's list may be reloaded from a read taken just before the enabling
    // committed; the enabling's own notification corrects it at the listener's next check
    // (100 ms), so a fresh token may wait that long. Polled for at most 5 s.
    let mut status = 0;
    for _ in 0..50 {
        status = report(&server, fresh, &key()).status().as_u16();
        if status == 201 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(status, 201, "a token issued after the account was enabled again");
}

/// Point 8 across nodes: a sign-out on one server process reaches another process on the same
/// PostgreSQL through `NOTIFY`, with no database read per request on the second node.
#[test]
fn a_sign_out_on_one_node_is_refused_by_another() {
    let settings = [("GRIDLINE_JWT_SECRET", SECRET)];
    let node_a = TestServer::start_with(Backend::Postgres, &settings);
    let node_b = common::ServerProcess::start_sharing(&node_a, &settings);
    let signed_in: Value =
        node_a.client.post(node_a.url("/api/v1/auth/anonymous")).send().unwrap().json().unwrap();
    let access = signed_in["access_token"].as_str().unwrap();
    let me_on_b = || node_a.client.get(node_b.url("/api/v1/me")).bearer_auth(access).send().unwrap();
    assert_eq!(me_on_b().status(), 200);
    let out =
        node_a.post_json("/api/v1/auth/logout", &json!({ "refresh_token": signed_in["refresh_token"] }));
    assert!(out.status().is_success());
    // The second node hears the notification within its listener's 100 ms check; polled for at
    // most 5 s so that a loaded machine does not fail the test, and the first refusal counts.
    let mut status = 200;
    for _ in 0..50 {
        status = me_on_b().status().as_u16();
        if status != 200 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(status, 401, "the other node still accepts a signed-out token");
    assert_eq!(problem(me_on_b(), 401)["code"], "token_revoked");
}

both_backends!(
    signed_out_and_disabled_accounts_lose_access_at_once,
    ipv6_clients_are_limited_per_slash_64,
    wrong_and_missing_codes_answer_alike,
    each_request_on_one_connection_is_its_own_caller,
    confused_and_malformed_tokens_are_refused_on_reads_and_writes,
    intake_is_limited_per_citizen_account,
    intake_limit_holds_when_reports_arrive_at_once,
    login_lock_holds_when_wrong_passwords_arrive_at_once,
);
