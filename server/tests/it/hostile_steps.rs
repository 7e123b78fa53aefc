//! Attacks on workflow steps, on both backends: a dispatcher who tries to move a case's
//! deadline out of reach (and so out of the overdue checks and the on-time statistics) by
//! sending their own `new_deadline` with a dispatch or a re-dispatch, and one who hands a case
//! to a unit that does not exist (nobody could pick it up).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::case_service::{Street, beijing};
use crate::common::{Backend, problem};
use serde_json::json;

both_backends!(
    a_dispatch_with_a_far_deadline_cannot_move_the_deadline,
    a_dispatch_to_an_unknown_unit_is_refused
);

fn a_dispatch_with_a_far_deadline_cannot_move_the_deadline(backend: Backend) {
    let street = Street::open(backend, &[], beijing(11, 27, 10, 0));
    let far = json!({ "action": "dispatch", "handling_unit": "sanitation", "new_deadline": "2099-12-31T23:59:59Z" });
    assert_eq!(problem(street.post(&street.dispatcher, &far, None), 422)["code"], "deadline_not_accepted");
    let dispatched = street.server.step(
        &street.dispatcher,
        &street.case_id,
        &json!({ "action": "dispatch", "handling_unit": "sanitation" }),
    );
    let due = dispatched["deadline"].clone();
    assert_eq!(due, "2026-11-27T07:00:00.000Z", "Friday 15:00 in Beijing: four working hours");

    // A re-dispatch (to another unit) is a dispatch too, and an Idempotency-Key changes nothing.
    let again =
        json!({ "action": "dispatch", "handling_unit": "water", "new_deadline": "2099-12-31T23:59:59Z" });
    assert_eq!(problem(street.post(&street.dispatcher, &again, None), 422)["code"], "deadline_not_accepted");
    let key = uuid::Uuid::now_v7().to_string();
    assert_eq!(
        problem(street.post(&street.dispatcher, &again, Some(&key)), 422)["code"],
        "deadline_not_accepted"
    );
    let case = street.case(&street.dispatcher);
    assert_eq!((case["deadline"].clone(), case["handling_unit"].clone()), (due, json!("sanitation")));
}

fn a_dispatch_to_an_unknown_unit_is_refused(backend: Backend) {
    let street = Street::open(backend, &[], beijing(11, 27, 10, 0));
    let nowhere = json!({ "action": "dispatch", "handling_unit": "no-such-unit" });
    let refused = problem(street.post(&street.dispatcher, &nowhere, None), 422);
    assert_eq!(
        (refused["code"].clone(), refused["field"].clone()),
        (json!("unknown_unit"), json!("handling_unit"))
    );
    let key = uuid::Uuid::now_v7().to_string();
    assert_eq!(problem(street.post(&street.dispatcher, &nowhere, Some(&key)), 422)["code"], "unknown_unit");
    let case = street.case(&street.dispatcher);
    assert_eq!((case["state"].clone(), case["handling_unit"].clone()), (json!("registered"), json!(null)));

    // A known unit from the public list is taken, and a re-dispatch to a made-up one is refused.
    let units: serde_json::Value = street.server.get("/api/v1/units").json().unwrap();
    let water = units["units"].as_array().unwrap().iter().find(|u| u["code"] == "water").unwrap();
    let dispatched = street.server.step(
        &street.dispatcher,
        &street.case_id,
        &json!({ "action": "dispatch", "handling_unit": water["code"] }),
    );
    assert_eq!(dispatched["handling_unit"], "water");
    let again = json!({ "action": "dispatch", "handling_unit": "sewers" });
    assert_eq!(problem(street.post(&street.dispatcher, &again, None), 422)["code"], "unknown_unit");
    assert_eq!(street.case(&street.dispatcher)["handling_unit"], "water");
}
