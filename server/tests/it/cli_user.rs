//! `gridline user add | list | disable` run as a real process against the database of a running
//! production-configured server, on SQLite and on PostgreSQL: the first admin of a deployment
//! is created from the command line with its password on standard input, then signs in over
//! HTTP and uses the admin API; bad input exits with 2 and stores nothing; a disabled account
//! can no longer sign in.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

use crate::common::{Backend, TestServer};

const JWT_SECRET: &str = "a production signing key of well over thirty-two bytes";
const PHONE_KEY: &str = "a production phone key of well over thirty-two bytes";

fn production_server(backend: Backend) -> TestServer {
    TestServer::start_with(
        backend,
        &[
            ("GRIDLINE_ENV", "production"),
            ("GRIDLINE_JWT_SECRET", JWT_SECRET),
            ("GRIDLINE_PHONE_KEY", PHONE_KEY),
        ],
    )
}

/// `gridline user ARGS` with the server's configuration in its environment (nothing else of
/// this process's), `stdin` written to its standard input.
fn gridline_user(server: &TestServer, args: &[&str], stdin: &str) -> Output {
    let data_dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gridline"))
        .arg("user")
        .args(args)
        .env_clear()
        .env("GRIDLINE_ENV", "production")
        .env("GRIDLINE_JWT_SECRET", JWT_SECRET)
        .env("GRIDLINE_PHONE_KEY", PHONE_KEY)
        .env("GRIDLINE_DATA_DIR", data_dir.path())
        .env("DATABASE_URL", &server.database_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn sign_in(server: &TestServer, login: &str, password: &str) -> reqwest::blocking::Response {
    server.post_json("/api/v1/auth/login", &json!({ "login": login, "password": password }))
}

fn first_admin_signs_in_and_manages_accounts(backend: Backend) {
    let server = production_server(backend);
    let password = "a long enough admin password";

    let out =
        gridline_user(&server, &["add", "--login", "Wang.Li", "--role", "admin"], &format!("{password}\n"));
    assert!(out.status.success(), "{} {}", text(&out.stdout), text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("created admin wang.li (city, "), "{stdout}");
    assert!(!stdout.contains(password) && !text(&out.stderr).contains(password));

    let response = sign_in(&server, "wang.li", password);
    assert_eq!(response.status(), 200);
    let token = response.json::<Value>().unwrap()["access_token"].as_str().unwrap().to_owned();
    let me: Value = server.get_as(&token, "/api/v1/me").json().unwrap();
    assert_eq!((me["role"].as_str(), me["login"].as_str()), (Some("admin"), Some("wang.li")), "{me}");
    // The admin API, which nothing could reach before the first admin existed.
    let created = server
        .client
        .post(server.url("/api/v1/admin/users"))
        .bearer_auth(&token)
        .json(&json!({ "login": "viewer.one", "display_name": "Wall screen", "role": "viewer",
                       "scope": { "kind": "city" } }))
        .send()
        .unwrap();
    assert_eq!(created.status(), 201);

    let out = gridline_user(
        &server,
        &["add", "--login", "zhao", "--role", "dispatcher", "--area", "310104001", "--name", "Zhao Min"],
        "dispatcher password 1\r\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(sign_in(&server, "zhao", "dispatcher password 1").status(), 200);

    let out = gridline_user(&server, &["list"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    let rows: Vec<Vec<&str>> = listed.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows[0], ["login", "role", "scope", "state", "created"]);
    let row = |login: &str| rows.iter().find(|r| r[0] == login).cloned();
    assert_eq!(row("wang.li").unwrap()[1..4], ["admin", "city", "active"]);
    assert_eq!(row("zhao").unwrap()[1..4], ["dispatcher", "street 310104001", "active"]);
    assert_eq!(row("viewer.one").unwrap()[1..4], ["viewer", "city", "active"]);
    assert_eq!(rows.len(), 4, "{listed}");
    let out = gridline_user(&server, &["list", "--role", "dispatcher"], "");
    assert_eq!(text(&out.stdout).lines().count(), 2);

    // A session taken before the account is disabled ends with it.
    let session: Value = sign_in(&server, "zhao", "dispatcher password 1").json().unwrap();
    let out = gridline_user(&server, &["disable", "--login", "ZHAO"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("disabled dispatcher zhao"));
    assert_eq!(sign_in(&server, "zhao", "dispatcher password 1").status(), 401);
    let refreshed =
        server.post_json("/api/v1/auth/refresh", &json!({ "refresh_token": session["refresh_token"] }));
    assert_eq!(refreshed.status(), 401);
    let out = gridline_user(&server, &["list", "--role", "dispatcher"], "");
    assert!(text(&out.stdout).contains("\tdisabled\t"));
    assert_eq!(sign_in(&server, "wang.li", password).status(), 200, "others are untouched");
}

fn bad_input_exits_with_2_and_stores_nothing(backend: Backend) {
    let server = production_server(backend);
    let refused = |args: &[&str], stdin: &str, why: &str| {
        let out = gridline_user(&server, args, stdin);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(stderr.contains(why), "{args:?}: {stderr}");
    };
    refused(&["add", "--login", "admin1", "--role", "admin"], "", "no password on standard input");
    refused(&["add", "--login", "admin1", "--role", "admin"], "short\n", "password");
    refused(&["add", "--login", "a b", "--role", "admin"], "long enough password\n", "login");
    refused(&["add", "--login", "disp1", "--role", "dispatcher"], "long enough password\n", "--area");
    refused(
        &["add", "--login", "disp1", "--role", "dispatcher", "--area", "310104"],
        "long enough password\n",
        "street",
    );
    refused(&["add", "--login", "cit1", "--role", "citizen"], "long enough password\n", "citizens sign up");
    refused(&["disable", "--login", "nobody"], "", "no account with the login");
    let out = gridline_user(&server, &["add", "--login", "admin1", "--role", "admin", "--password", "x"], "");
    assert_eq!(out.status.code(), Some(2), "there is no way to pass a password as an argument");

    let out = gridline_user(&server, &["list"], "");
    assert_eq!(text(&out.stdout).lines().count(), 1, "only the header: {}", text(&out.stdout));

    let add = ["add", "--login", "admin1", "--role", "admin"];
    assert!(gridline_user(&server, &add, "long enough password\n").status.success());
    refused(&add, "another long password\n", "already taken");
    assert_eq!(sign_in(&server, "admin1", "another long password").status(), 401);
    assert_eq!(sign_in(&server, "admin1", "long enough password").status(), 200);
}

both_backends!(first_admin_signs_in_and_manages_accounts, bad_input_exits_with_2_and_stores_nothing);
