//! `POST /api/v1/photos` with an `Idempotency-Key`, on both backends and both photo stores (a
//! local folder, and a bucket of the tests' S3-compatible server): a retry gets the first answer
//! and stores nothing new, concurrent duplicates store one photo, other bytes under a used key
//! are refused, and keys belong to one account (another account's same key is its own upload).
//! Stored photos are counted in the database and in the photo folder or bucket.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use diesel::{QueryDsl, RunQueryDsl};
use gridline_server::store::Db;
use gridline_server::store::schema::photos;
use reqwest::blocking::Response;
use serde_json::Value;

use crate::common::{Backend, PhotoStore, TestServer, problem};
use crate::device_support::sample_photo;

fn upload(server: &TestServer, token: &str, key: Option<&str>, jpeg: &[u8]) -> Response {
    let part = reqwest::blocking::multipart::Part::bytes(jpeg.to_vec())
        .file_name("photo.jpg")
        .mime_str("image/jpeg")
        .unwrap();
    let form = reqwest::blocking::multipart::Form::new().part("photo", part);
    let mut request = server.client.post(server.url("/api/v1/photos")).bearer_auth(token).multipart(form);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    request.send().unwrap()
}

fn photo_rows(server: &TestServer) -> i64 {
    let db = Db::connect(&server.database_url, 1, Duration::from_secs(10)).unwrap();
    photos::table.count().get_result(&mut *db.get().unwrap()).unwrap()
}

/// Objects in the photo store: files under the local folder, or keys in the bucket (each photo
/// is a JPEG and a thumbnail).
fn stored_files(server: &TestServer) -> usize {
    if let Some(bucket) = &server.s3_bucket {
        return bucket.keys().len();
    }
    fn count(dir: &Path) -> usize {
        let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
        entries.map(|e| e.unwrap().path()).map(|p| if p.is_dir() { count(&p) } else { 1 }).sum()
    }
    count(&server.data_dir.path().join("photos"))
}

fn retry_returns_first_answer_and_stores_nothing(backend: Backend, store: PhotoStore) {
    let server = TestServer::start_with_photos(backend, store, &[]);
    let token = server.citizen_token();
    let jpeg = sample_photo(7).bytes;
    let key = uuid::Uuid::now_v7().to_string();

    let first = upload(&server, &token, Some(&key), &jpeg);
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().unwrap();
    assert_eq!((photo_rows(&server), stored_files(&server)), (1, 2));

    // The same key in upper case is the same key.
    for key in [key.clone(), key.to_uppercase()] {
        let again = upload(&server, &token, Some(&key), &jpeg);
        assert_eq!(again.status(), 200);
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        assert_eq!(again.headers()["location"], format!("/api/v1/photos/{}", first["id"].as_str().unwrap()));
        assert_eq!(again.json::<Value>().unwrap(), first);
    }
    assert_eq!((photo_rows(&server), stored_files(&server)), (1, 2));

    // The replayed id is a real photo of this account.
    let read = server.get_as(&token, &format!("/api/v1/photos/{}", first["id"].as_str().unwrap()));
    assert_eq!(read.status(), 200);

    // Other bytes under the used key: refused, nothing stored.
    let other = upload(&server, &token, Some(&key), &sample_photo(8).bytes);
    let body = problem(other, 409);
    assert_eq!(body["code"], "idempotency_key_reused");
    assert_eq!(body["field"], "Idempotency-Key");
    assert_eq!((photo_rows(&server), stored_files(&server)), (1, 2));

    // Keys are per account: another citizen's same key is its own upload.
    let neighbour = server.citizen_token();
    let theirs = upload(&server, &neighbour, Some(&key), &jpeg);
    assert_eq!(theirs.status(), 201);
    let theirs: Value = theirs.json().unwrap();
    assert_ne!(theirs["id"], first["id"]);
    assert_eq!(photo_rows(&server), 2);

    // Not a UUID: refused before anything is stored. No key: stored every time.
    assert_eq!(
        problem(upload(&server, &token, Some("not-a-uuid"), &jpeg), 400)["code"],
        "invalid_idempotency_key"
    );
    assert_eq!(upload(&server, &token, None, &jpeg).status(), 201);
    assert_eq!(upload(&server, &token, None, &jpeg).status(), 201);
    assert_eq!((photo_rows(&server), stored_files(&server)), (4, 8));
}

fn concurrent_duplicates_store_one_photo(backend: Backend, store: PhotoStore) {
    let server = TestServer::start_with_photos(backend, store, &[]);
    let token = server.citizen_token();
    let jpeg = sample_photo(11).bytes;
    let key = uuid::Uuid::now_v7().to_string();
    let answers: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    let response = upload(&server, &token, Some(&key), &jpeg);
                    (response.status().as_u16(), response.json::<Value>().unwrap())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let created = answers.iter().filter(|(status, _)| *status == 201).count();
    assert_eq!(created, 1, "{answers:?}");
    assert!(answers.iter().all(|(status, _)| *status == 201 || *status == 200), "{answers:?}");
    assert!(answers.iter().all(|(_, body)| body["id"] == answers[0].1["id"]), "{answers:?}");
    // The losers' objects were removed: one JPEG and one thumbnail remain.
    assert_eq!((photo_rows(&server), stored_files(&server)), (1, 2));
}

crate::photo_stores!(retry_returns_first_answer_and_stores_nothing, concurrent_duplicates_store_one_photo);
