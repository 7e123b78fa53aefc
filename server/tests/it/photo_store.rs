//! Photos in each photo store the server supports, on both backends: a local folder, and S3
//! (a fresh bucket on the tests' S3-compatible server, moto's, through `scripts/s3-test-server`).
//! An upload puts the prepared JPEG and its thumbnail in the store under the keys the database
//! names; the uploader and the staff of the case holding it read both back byte for byte (the
//! SHA-256 is checked), with ETags; an unknown photo is a 404; an object gone from under the
//! server is a clean problem, never a 500 and never the store's own error text.

use std::time::Duration;

use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use gridline_server::store::Db;
use gridline_server::store::schema::photos;
use serde_json::json;

use crate::common::{Backend, PhotoStore, TestServer, demo_cells, gradient_jpeg, point_in, problem};

/// (object key, thumbnail key) of photo `id`, as the database has them.
fn object_keys(server: &TestServer, id: &str) -> (String, String) {
    let db = Db::connect(&server.database_url, 1, Duration::from_secs(10)).unwrap();
    photos::table
        .filter(photos::id.eq(id))
        .select((photos::object_key, photos::thumbnail_key))
        .first(&mut *db.get().unwrap())
        .unwrap()
}

/// Removes an object behind the server's back, from whichever store it uses.
fn remove_object(server: &TestServer, key: &str) {
    match &server.s3_bucket {
        Some(bucket) => bucket.delete(key),
        None => std::fs::remove_file(server.data_dir.path().join("photos").join(key)).unwrap(),
    }
}

fn photos_are_stored_read_and_missing_ones_answered_cleanly(backend: Backend, store: PhotoStore) {
    let server = TestServer::start_with_photos(backend, store, &[]);
    let admin = server.admin_token();
    let cells = demo_cells(20);
    let street = cells[0].code.to_string()[..9].to_owned();
    server.import_grid(&admin, &street, &cells);
    let citizen = server.citizen_token();

    // Large enough for the server to make a smaller thumbnail.
    let photo = server.upload_jpeg(&citizen, gradient_jpeg(800, 600));
    let id = photo["id"].as_str().unwrap().to_owned();
    let sha = photo["sha256"].as_str().unwrap().to_owned();
    let (key, thumbnail_key) = object_keys(&server, &id);
    if let Some(bucket) = &server.s3_bucket {
        let mut keys = bucket.keys();
        keys.sort();
        let mut expected = vec![key.clone(), thumbnail_key.clone()];
        expected.sort();
        assert_eq!(keys, expected, "the bucket holds exactly the JPEG and its thumbnail");
    } else {
        assert!(server.data_dir.path().join("photos").join(&key).is_file());
    }

    let path = format!("/api/v1/photos/{id}");
    let read = server.get_as(&citizen, &path);
    assert_eq!(read.status(), 200);
    assert_eq!(read.headers()["content-type"], "image/jpeg");
    assert_eq!(read.headers()["etag"].to_str().unwrap(), format!("\"{sha}\""));
    let full = read.bytes().unwrap();
    gridline_core::photo::verify(&full, &sha).unwrap();
    let revalidated = server
        .client
        .get(server.url(&path))
        .bearer_auth(&citizen)
        .header("if-none-match", format!("\"{sha}\""))
        .send();
    assert_eq!(revalidated.unwrap().status(), 304);
    let thumbnail = server.get_as(&citizen, &format!("{path}?size=thumbnail"));
    assert_eq!(thumbnail.status(), 200);
    let thumbnail = thumbnail.bytes().unwrap();
    let decoded = image::load_from_memory(&thumbnail).unwrap();
    assert_eq!(decoded.width() as u64, photo["thumbnail"]["width"].as_u64().unwrap());
    assert!(thumbnail.len() < full.len());

    // The street's dispatcher reads it once a report in their street holds it.
    let (lat, lon) = point_in(&cells[0]);
    let report = server.report_as(
        &citizen,
        &json!({ "category": "E0101", "description": "Broken bench, photo attached",
                 "position": { "lat": lat, "lon": lon },
                 "photo_ids": [id] }),
    );
    assert!(report["id"].is_string(), "{report}");
    let street_code = gridline_core::codes::AreaCode::parse(&street).unwrap();
    let dispatcher = server.staff_token(Role::Dispatcher, Scope::Street { street: street_code });
    let seen = server.get_as(&dispatcher, &path);
    assert_eq!(seen.status(), 200);
    assert_eq!(seen.bytes().unwrap(), full);

    // An unknown photo is a 404 problem, in any store.
    let unknown = format!("/api/v1/photos/{}", uuid::Uuid::now_v7());
    assert_eq!(problem(server.get_as(&citizen, &unknown), 404)["code"], "not_found");

    // The object gone from under the server (a bucket emptied by hand, a lost disk): a problem
    // document that says nothing of the store, and the server keeps answering.
    remove_object(&server, &thumbnail_key);
    let gone = server.get_as(&citizen, &format!("{path}?size=thumbnail"));
    assert!(gone.headers().contains_key("retry-after"));
    let body = problem(gone, 503);
    assert_eq!(body["code"], "unavailable");
    let text = body.to_string();
    for secret in [thumbnail_key.as_str(), "bucket", "NotFound", "127.0.0.1", "photos/"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    assert_eq!(server.get_as(&citizen, &path).status(), 200, "the full photo is still there");
}

crate::photo_stores!(photos_are_stored_read_and_missing_ones_answered_cleanly);
