//! Configuration: defaults, precedence, `*_FILE` secrets, TOML, and errors that name the setting.

use std::collections::HashMap;

use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::from_source(&Source::from_env(env(pairs))?)
}

#[test]
fn defaults_give_a_development_server_on_sqlite_in_the_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let config = load(&[("GRIDLINE_DATA_DIR", data)]).unwrap();
    assert_eq!(config.settings.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(config.database_url.expose(), format!("sqlite://{data}/gridline.sqlite3"));
    assert!(config.demo_seed);
    assert!(matches!(config.photo_store, PhotoStoreConfig::Local { ref dir } if dir.ends_with("photos")));
    // The generated secret is kept, so a restart signs with the same key.
    let again = load(&[("GRIDLINE_DATA_DIR", data)]).unwrap();
    assert_eq!(config.jwt_secret, again.jwt_secret);
    assert!(config.jwt_secret.expose().len() >= MIN_JWT_SECRET_BYTES);
}

#[test]
fn production_requires_a_jwt_secret_and_a_phone_key_and_never_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let database = "postgres://gridline@db.internal/gridline";
    let err =
        load(&[("GRIDLINE_DATA_DIR", data), ("GRIDLINE_ENV", "production"), ("DATABASE_URL", database)])
            .unwrap_err();
    assert!(err.to_string().starts_with("GRIDLINE_JWT_SECRET:"), "{err}");
    let secret = "s".repeat(40);
    let err = load(&[
        ("GRIDLINE_DATA_DIR", data),
        ("GRIDLINE_ENV", "production"),
        ("GRIDLINE_JWT_SECRET", &secret),
    ])
    .unwrap_err();
    assert!(err.to_string().starts_with("DATABASE_URL:"), "{err}");
    let err = load(&[
        ("GRIDLINE_DATA_DIR", data),
        ("GRIDLINE_ENV", "production"),
        ("GRIDLINE_JWT_SECRET", &secret),
        ("DATABASE_URL", database),
    ])
    .unwrap_err();
    assert!(err.to_string().starts_with("GRIDLINE_PHONE_KEY: required in production"), "{err}");
    let phone_key = "p".repeat(40);
    let config = load(&[
        ("GRIDLINE_DATA_DIR", data),
        ("GRIDLINE_ENV", "production"),
        ("GRIDLINE_JWT_SECRET", &secret),
        ("GRIDLINE_PHONE_KEY", &phone_key),
        ("DATABASE_URL", database),
    ])
    .unwrap();
    assert!(!config.demo_seed);
    assert_eq!(config.phone_key.expose(), phone_key);
    assert!(!dir.path().join("phone-key").exists(), "production invents no key");
    let err = load(&[
        ("GRIDLINE_DATA_DIR", data),
        ("GRIDLINE_ENV", "production"),
        ("GRIDLINE_JWT_SECRET", &secret),
        ("GRIDLINE_PHONE_KEY", &phone_key),
        ("DATABASE_URL", database),
        ("GRIDLINE_DEMO_SEED", "true"),
    ])
    .unwrap_err();
    assert!(err.to_string().starts_with("GRIDLINE_DEMO_SEED:"), "{err}");
}

#[test]
fn secrets_are_read_from_file_variants_and_hidden_from_debug() {
    let dir = tempfile::tempdir().unwrap();
    let secret_path = dir.path().join("jwt");
    std::fs::write(&secret_path, format!("{}\n", "k".repeat(48))).unwrap();
    let config = load(&[
        ("GRIDLINE_DATA_DIR", dir.path().to_str().unwrap()),
        ("GRIDLINE_JWT_SECRET_FILE", secret_path.to_str().unwrap()),
    ])
    .unwrap();
    assert_eq!(config.jwt_secret.expose(), "k".repeat(48));
    assert!(!format!("{config:?}").contains(&"k".repeat(48)));
}

#[test]
fn invalid_values_name_the_setting_and_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let cases = [
        ("GRIDLINE_BIND", "localhost", "GRIDLINE_BIND: expected an address and port"),
        ("GRIDLINE_ENV", "staging", "GRIDLINE_ENV: expected one of development production"),
        ("GRIDLINE_ROUTING_TOLERANCE_M", "-1", "GRIDLINE_ROUTING_TOLERANCE_M:"),
        ("GRIDLINE_JSON_LIMIT_BYTES", "12", "GRIDLINE_JSON_LIMIT_BYTES: expected at least 1024"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL:"),
        ("GRIDLINE_JWT_SECRET", "short", "GRIDLINE_JWT_SECRET: expected at least 32 bytes"),
        ("GRIDLINE_PHOTO_STORE", "s3", "GRIDLINE_S3_BUCKET:"),
    ];
    for (key, value, expected) in cases {
        let err = load(&[("GRIDLINE_DATA_DIR", data), (key, value)]).unwrap_err().to_string();
        assert!(err.starts_with(expected), "{key}={value}: {err}");
    }
}

#[test]
fn toml_file_is_read_and_environment_wins_over_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gridline.toml");
    std::fs::write(&file, "bind = \"127.0.0.1:9000\"\nrouting_tolerance_m = 25\ndb_pool_size = 3\n").unwrap();
    let data = dir.path().to_str().unwrap();
    let config = load(&[
        ("GRIDLINE_DATA_DIR", data),
        ("GRIDLINE_CONFIG", file.to_str().unwrap()),
        ("GRIDLINE_DB_POOL_SIZE", "5"),
    ])
    .unwrap();
    assert_eq!(config.settings.bind.port(), 9000);
    assert_eq!(config.settings.routing_tolerance(), 25.0);
    assert_eq!(config.settings.db_pool_size, 5);

    std::fs::write(&file, "bnd = \"127.0.0.1:9000\"\n").unwrap();
    let err = load(&[("GRIDLINE_DATA_DIR", data), ("GRIDLINE_CONFIG", file.to_str().unwrap())]).unwrap_err();
    assert!(err.to_string().contains("unknown setting \"bnd\""), "{err}");
}

#[test]
fn env_example_in_the_repository_lists_every_setting() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../.env.example");
    let committed = std::fs::read_to_string(path).unwrap();
    assert_eq!(
        committed,
        env_example(),
        "regenerate with `gridline serve --print-env-example > .env.example`"
    );
    for spec in SETTINGS {
        assert!(committed.contains(&format!("# {}=", spec.env)), "{} missing", spec.env);
    }
}

#[test]
fn the_public_base_url_is_an_http_origin_and_nothing_more() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let with = |url: &str| load(&[("GRIDLINE_DATA_DIR", data), ("GRIDLINE_PUBLIC_BASE_URL", url)]);
    let config = with("https://city.example.org/").unwrap();
    assert_eq!(config.settings.public_base_url.unwrap().as_str(), "https://city.example.org");
    assert!(with("http://[::1]:8080").is_ok());
    for bad in [
        "javascript://evil",
        "city.example.org",
        "https://city.example.org/open311",
        "https://a b",
        "https://",
    ] {
        let err = with(bad).unwrap_err();
        assert!(err.to_string().starts_with("GRIDLINE_PUBLIC_BASE_URL:"), "{bad}: {err}");
    }
}

#[test]
fn routing_tolerance_defaults_to_cores() {
    let dir = tempfile::tempdir().unwrap();
    let config = load(&[("GRIDLINE_DATA_DIR", dir.path().to_str().unwrap())]).unwrap();
    assert_eq!(config.settings.routing_tolerance_m, None);
    assert_eq!(config.settings.routing_tolerance(), gridline_core::limits::DEFAULT_ROUTING_TOLERANCE_M);
    let set =
        load(&[("GRIDLINE_DATA_DIR", dir.path().to_str().unwrap()), ("GRIDLINE_ROUTING_TOLERANCE_M", "0")]);
    assert_eq!(set.unwrap().settings.routing_tolerance(), 0.0, "0 m is a city's own choice, not unset");
}
