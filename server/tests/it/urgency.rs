//! A case's urgency (一般 / 紧急 / 特急) over real HTTP on both backends: the server sets it when
//! the case is filed, from the way in (a hotline call's urgency here; a sensor alarm's severity
//! in [`crate::sensors`]), and a report from a citizen is normal whatever its body says; staff
//! see it on the case and filter the case list by it, a bad value is refused naming the
//! parameter, and neither the reporter's nor the public view shows it. The words the pages show
//! come from core through the report form's answer.

use gridline_core::workflow::{Role, Urgency};
use gridline_server::auth::Scope;
use serde_json::{Value, json};

use crate::channels::{listed, send, sorted};
use crate::common::{Backend, TestServer, problem};
use crate::notifications::Office;

crate::both_backends!(the_way_in_sets_the_urgency_and_staff_see_and_filter_it);

/// A call for help at the office's place from a caller who gives no number, of `urgency`; the
/// new case's id.
fn call(server: &TestServer, operator: &str, office: &Office, urgency: &str) -> String {
    let call = json!({
        "call_type": "help",
        "urgency": urgency,
        "category": "E0101",
        "description": "Rubbish blocking the pavement",
        "position": office.on_site(),
    });
    let response = send(server, operator, "/api/v1/hotline/calls", &call);
    let status = response.status();
    let receipt: Value = response.json().unwrap();
    assert_eq!(status, 201, "{receipt}");
    receipt["case_id"].as_str().unwrap().to_owned()
}

fn the_way_in_sets_the_urgency_and_staff_see_and_filter_it(backend: Backend) {
    let server = TestServer::start(backend);
    let office = Office::open(&server);
    let operator = server.staff_token(Role::Operator, Scope::City);
    let citizen = server.citizen_token();

    let reported = office.report(&server, &citizen, "E0101")["id"].as_str().unwrap().to_owned();
    let normal = call(&server, &operator, &office, "normal");
    let urgent = call(&server, &operator, &office, "urgent");
    let very_urgent = call(&server, &operator, &office, "very_urgent");

    // A citizen cannot make their own report urgent: the body has no such field.
    for field in ["urgency", "priority"] {
        let mut claiming = json!({
            "category": "E0101",
            "description": "Please hurry",
            "position": office.on_site(),
        });
        claiming[field] = json!("very_urgent");
        assert_eq!(problem(send(&server, &citizen, "/api/v1/reports", &claiming), 422)["field"], field);
    }

    // Staff see each case's urgency.
    let staff_view = |id: &str| -> Value {
        let case: Value = server.get_as(&office.dispatcher, &format!("/api/v1/cases/{id}")).json().unwrap();
        assert_eq!(case["view"], "staff", "{case}");
        case
    };
    assert_eq!(staff_view(&reported)["urgency"], "normal");
    assert_eq!(staff_view(&normal)["urgency"], "normal");
    assert_eq!(staff_view(&urgent)["urgency"], "urgent");
    assert_eq!(staff_view(&very_urgent)["urgency"], "very_urgent");

    // The reporter's and the public view leave it out.
    let own: Value = server.get_as(&citizen, &format!("/api/v1/cases/{reported}")).json().unwrap();
    assert_eq!(own["view"], "reporter");
    assert!(own.get("urgency").is_none(), "{own}");
    let public: Value = server.get(&format!("/api/v1/cases/{very_urgent}")).json().unwrap();
    assert_eq!(public["view"], "public");
    assert!(public.get("urgency").is_none(), "{public}");

    // The list filters by one urgency or several, and carries it on each item.
    let dispatcher = &office.dispatcher;
    assert_eq!(listed(&server, dispatcher, "urgency=urgent"), sorted(&[&urgent]));
    assert_eq!(listed(&server, dispatcher, "urgency=urgent,very_urgent"), sorted(&[&urgent, &very_urgent]));
    assert_eq!(listed(&server, dispatcher, "urgency=normal"), sorted(&[&reported, &normal]));
    assert_eq!(listed(&server, dispatcher, "urgency=very_urgent&channel=app"), Vec::<String>::new());
    assert_eq!(listed(&server, dispatcher, "urgency=").len(), 4, "blank is any");
    let page: Value = server.get_as(dispatcher, "/api/v1/cases?urgency=very_urgent").json().unwrap();
    assert_eq!(page["items"][0]["urgency"], "very_urgent");

    // A name core does not know is refused, naming the parameter, never a server error.
    for bad in ["soon", "urgent,asap", "URGENT", "%00"] {
        let refused = problem(server.get_as(dispatcher, &format!("/api/v1/cases?urgency={bad}")), 422);
        assert_eq!(refused["field"], "urgency", "{bad}: {refused}");
    }

    // The pages word an urgency from core, through the report form's answer.
    let form: Value = server.get("/api/v1/public/report-form").json().unwrap();
    let expected: Vec<Value> = Urgency::ALL
        .iter()
        .map(|u| json!({ "urgency": u.as_str(), "label": { "zh": u.words().0, "en": u.words().1 } }))
        .collect();
    assert_eq!(form["urgencies"], json!(expected));
    assert_eq!(form["urgencies"][2]["label"]["zh"], "特急");
}
