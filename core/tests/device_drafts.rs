//! Drafts on a real store: create, edit, list, delete, photos as files; validation against the
//! default taxonomy naming each field; submit moving a draft into the outbox in one step.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod device_support;

use device_support::*;
use gridline_core::device::{DraftFields, Error, ItemKind, ItemStatus, Position};
use gridline_core::geo::Crs;
use gridline_core::taxonomy::AnswerValue;

/// Nothing listens here: drafts never touch the network.
const NO_SERVER: &str = "http://127.0.0.1:9";

fn fields_of(problems: &[gridline_core::device::FieldError]) -> Vec<&str> {
    problems.iter().map(|p| p.field.as_str()).collect()
}

#[test]
fn drafts_are_created_edited_listed_and_deleted_with_their_photo_files() {
    let folder = tempfile::tempdir().unwrap();
    let device = open_device(folder.path(), NO_SERVER);
    let store = device.store();
    let first = store.create_draft(&DraftFields::default()).unwrap();
    let second = store.create_draft(&valid_fields("second")).unwrap();
    let photo = store.add_photo(&first.id, &sample_photo(1)).unwrap();
    assert_eq!(std::fs::read(&photo.path).unwrap(), sample_photo(1).bytes);
    assert_eq!(std::fs::read(&photo.thumbnail_path).unwrap(), sample_photo(1).thumbnail.bytes);

    let edited = store.update_draft(&first.id, &valid_fields("first, edited")).unwrap();
    assert_eq!(edited.fields.description, "first, edited");
    assert_eq!(edited.photos.len(), 1, "editing keeps the photos");

    // Reopening the store finds everything as it was, in creation order.
    drop(device);
    let device = open_device(folder.path(), NO_SERVER);
    let store = device.store();
    let listed: Vec<_> = store.drafts().unwrap().into_iter().map(|d| (d.id, d.fields.description)).collect();
    assert_eq!(
        listed,
        [(first.id.clone(), "first, edited".to_owned()), (second.id.clone(), "second".to_owned())]
    );
    assert_eq!(store.draft(&first.id).unwrap().photos[0].sha256, sample_photo(1).sha256);

    store.delete_draft(&first.id).unwrap();
    assert!(!photo.path.exists() && !photo.thumbnail_path.exists(), "photo files go with the draft");
    assert!(matches!(store.draft(&first.id), Err(Error::NotFound { what: "draft", .. })));
    assert!(matches!(store.delete_draft(&first.id), Err(Error::NotFound { .. })));
    assert_eq!(store.drafts().unwrap().len(), 1);
}

#[test]
fn photos_can_be_removed_from_a_draft() {
    let folder = tempfile::tempdir().unwrap();
    let device = open_device(folder.path(), NO_SERVER);
    let draft = device.store().create_draft(&valid_fields("x")).unwrap();
    let a = device.store().add_photo(&draft.id, &sample_photo(1)).unwrap();
    let b = device.store().add_photo(&draft.id, &sample_photo(2)).unwrap();
    device.store().remove_photo(&draft.id, &a.id).unwrap();
    let photos = device.store().draft(&draft.id).unwrap().photos;
    assert_eq!(photos.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), [b.id.as_str()]);
    assert!(!a.path.exists());
    assert!(matches!(
        device.store().add_photo("no-such-draft", &sample_photo(3)),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn an_empty_draft_names_every_missing_field() {
    let folder = tempfile::tempdir().unwrap();
    let device = open_device(folder.path(), NO_SERVER);
    let draft = device.store().create_draft(&DraftFields::default()).unwrap();
    let problems = device.check_draft(&draft.id).unwrap();
    assert_eq!(fields_of(&problems), ["category", "description", "position", "photos"]);
    match device.submit(&draft.id) {
        Err(Error::Invalid(problems)) => assert_eq!(problems.len(), 4),
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(device.store().drafts().unwrap().len(), 1, "a refused submit leaves the draft alone");
    assert!(device.store().outbox(true).unwrap().is_empty());
}

#[test]
fn each_rule_names_its_field() {
    let folder = tempfile::tempdir().unwrap();
    let device = open_device(folder.path(), NO_SERVER);
    let check = |fields: DraftFields| {
        let draft = device.store().create_draft(&fields).unwrap();
        device.store().add_photo(&draft.id, &sample_photo(1)).unwrap();
        let problems = device.check_draft(&draft.id).unwrap();
        problems.into_iter().map(|p| p.field).collect::<Vec<_>>()
    };
    assert!(check(valid_fields("fine")).is_empty());
    assert_eq!(check(DraftFields { category: Some("X9999".into()), ..valid_fields("x") }), ["category"]);
    assert_eq!(check(DraftFields { category: Some("E0699".into()), ..valid_fields("x") }), ["category"]);
    assert_eq!(check(valid_fields("   \n")), ["description"]);
    assert_eq!(check(valid_fields(&"字".repeat(4000))), Vec::<String>::new(), "4000 characters, not bytes");
    assert_eq!(check(valid_fields(&"a".repeat(4001))), ["description"]);
    let off_globe = Position { lat: 91.0, lon: 0.0, crs: Crs::Wgs84, accuracy_m: None };
    assert_eq!(check(DraftFields { position: Some(off_globe), ..valid_fields("x") }), ["position"]);
    let bad_accuracy = Position { lat: 39.9, lon: 116.4, crs: Crs::Bd09, accuracy_m: Some(-1.0) };
    assert_eq!(check(DraftFields { position: Some(bad_accuracy), ..valid_fields("x") }), ["position"]);
    // C0101 requires `cover_state` from a list.
    let manhole = DraftFields { category: Some("C0101".into()), ..valid_fields("x") };
    assert_eq!(check(manhole.clone()), ["answers.cover_state"]);
    assert_eq!(
        check(DraftFields { answers: cover_answers("on fire"), ..manhole.clone() }),
        ["answers.cover_state"]
    );
    assert!(
        check(DraftFields { answers: cover_answers("missing"), anonymous: true, ..manhole.clone() })
            .is_empty()
    );
    let unknown = [("colour".to_owned(), AnswerValue::One("red".into()))].into_iter().collect();
    assert_eq!(check(DraftFields { answers: unknown, ..valid_fields("x") }), ["answers.colour"]);
    // E0501 may not be reported anonymously.
    let taxonomy = device.taxonomy();
    let code = gridline_core::codes::CategoryCode::parse("E0501").unwrap();
    assert!(!taxonomy.get(code).unwrap().anonymous_allowed);
    let mut named = DraftFields { category: Some("E0501".into()), anonymous: true, ..valid_fields("x") };
    for q in &taxonomy.get(code).unwrap().questions {
        if q.required {
            let value = q.values.first().map_or_else(|| "1".to_owned(), |v| v.key.clone());
            named.answers.insert(q.code.clone(), AnswerValue::One(value));
        }
    }
    assert_eq!(check(named), ["anonymous"]);
}

#[test]
fn too_many_photos_are_refused() {
    let folder = tempfile::tempdir().unwrap();
    let device = open_device(folder.path(), NO_SERVER);
    let draft = device.store().create_draft(&valid_fields("x")).unwrap();
    let photo = sample_photo(1);
    for _ in 0..10 {
        device.store().add_photo(&draft.id, &photo).unwrap();
    }
    assert_eq!(fields_of(&device.check_draft(&draft.id).unwrap()), ["photos"]);
}

#[test]
fn submit_moves_the_draft_into_the_outbox_with_a_fresh_v7_key() {
    let folder = tempfile::tempdir().unwrap();
    let device = open_device(folder.path(), NO_SERVER);
    let photos = [sample_photo(1), sample_photo(2)];
    let first = submit_report(&device, "one", &photos);
    let second = submit_report(&device, "two", &photos);
    assert!(device.store().drafts().unwrap().is_empty(), "the drafts are gone");

    let items = device.store().outbox(false).unwrap();
    assert_eq!(items.iter().map(|i| i.id.clone()).collect::<Vec<_>>(), [first, second]);
    assert!(items[0].seq < items[1].seq);
    for item in &items {
        assert_eq!((item.kind, item.status, item.attempts), (ItemKind::Report, ItemStatus::Pending, 0));
        let key = uuid::Uuid::parse_str(&item.idempotency_key).unwrap();
        assert_eq!(key.get_version_num(), 7);
        assert_eq!(item.photos.len(), 2);
        assert!(item.photos.iter().all(|p| p.path.exists()), "photo files move with the item");
    }
    assert_ne!(items[0].idempotency_key, items[1].idempotency_key);
    assert!(matches!(device.store().retry_item(&items[0].id), Err(Error::WrongState { .. })));
    assert!(
        matches!(device.store().discard_item(&items[0].id), Err(Error::WrongState { .. })),
        "pending stays"
    );
}
