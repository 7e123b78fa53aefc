//! The open-data export (`GET /api/v1/open-data/cases`) on both backends: every case of the
//! caller's scope, streamed, with the way in, category, place, times, state and handling unit,
//! and nothing that identifies a person (no description, answer, reporter, photo or point).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::case_service::{Street, beijing};
use crate::common::{Backend, TestServer, demo_cells, point_in, problem};
use gridline_core::codes::AreaCode;
use gridline_core::protocol::OpenCaseRecord;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;

both_backends!(
    open_data_carries_every_case_of_the_scope_without_personal_data,
    open_data_refuses_other_roles_and_bad_filters,
);

fn open_data(server: &TestServer, token: &str, query: &str) -> (String, String, String) {
    let response = server.get_as(token, &format!("/api/v1/open-data/cases?{query}"));
    assert_eq!(response.status(), 200, "{query}");
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    (content_type, disposition, response.text().unwrap())
}

fn open_data_carries_every_case_of_the_scope_without_personal_data(backend: Backend) {
    let street =
        Street::open(backend, &[("GRIDLINE_INTAKE_PER_ACCOUNT_PER_HOUR", "0")], beijing(11, 27, 10, 0));
    let server = &street.server;
    let (lat, lon) = point_in(&demo_cells(8)[2]);
    // A description with a phone number and a name, an answer, and more cases than one trip
    // to the database reads (200), so the stream crosses pages.
    let citizen = server.citizen_token();
    let secret = "张三 13800138000 门口垃圾";
    for i in 0..205 {
        let description = if i == 0 { secret.to_owned() } else { format!("Bin number {i}") };
        server.report_as(
            &citizen,
            &json!({ "category": "E0101", "description": description, "position": { "lat": lat, "lon": lon } }),
        );
    }
    server.step(
        &street.dispatcher,
        &street.case_id,
        &json!({ "action": "dispatch", "handling_unit": "sanitation" }),
    );

    let d = &street.dispatcher;
    let (content_type, disposition, csv) = open_data(server, d, "");
    assert_eq!(content_type, "text/csv; charset=utf-8");
    assert_eq!(disposition, "attachment; filename=\"open-cases.csv\"");
    let mut lines = csv.split("\r\n").filter(|l| !l.is_empty());
    assert_eq!(lines.next().unwrap(), OpenCaseRecord::CSV_COLUMNS.join(","));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 206, "every case of the street, once");
    assert!(rows.iter().all(|r| r.len() == OpenCaseRecord::CSV_COLUMNS.len()), "no cell holds a comma");
    for forbidden in
        ["13800138000", "张三", "Bin number", "Rubbish by the gate", &lat.to_string(), &lon.to_string()]
    {
        assert!(!csv.contains(forbidden), "{forbidden:?} is not open data");
    }
    let dispatched = street.case(d);
    let number = dispatched["tracking_number"].as_str().unwrap();
    let row = rows.iter().find(|r| r[0] == number).unwrap();
    let column = |name: &str| OpenCaseRecord::CSV_COLUMNS.iter().position(|c| *c == name).unwrap();
    assert_eq!(row[column("state")], "dispatched");
    assert_eq!(row[column("handling_unit")], "sanitation");
    assert_eq!(row[column("channel")], "app");
    assert_eq!(row[column("category_kind")], "event");
    assert_eq!(row[column("grid")], demo_cells(8)[2].code.to_string());
    assert_eq!(row[column("street")], &demo_cells(8)[2].code.to_string()[..9]);
    assert!(!row[column("deadline")].is_empty(), "a dispatched case runs a time limit");

    // JSON Lines, filtered: each line is the record the OpenAPI document names.
    let (content_type, disposition, jsonl) = open_data(server, d, "format=jsonl&state=dispatched");
    assert_eq!(content_type, "application/jsonl; charset=utf-8");
    assert_eq!(disposition, "attachment; filename=\"open-cases.jsonl\"");
    let records: Vec<OpenCaseRecord> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].tracking_number, number);
    let line: Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    for absent in ["id", "description", "answers", "reporter", "position", "photo_ids", "anonymous"] {
        assert!(line.get(absent).is_none(), "{absent} is not open data: {line}");
    }

    // The city sees the street's cases too; another street's dispatcher sees none.
    let (_, _, city) = open_data(server, &server.admin_token(), "format=jsonl");
    assert_eq!(city.lines().count(), 206);
    let other =
        server.staff_token(Role::Dispatcher, Scope::Street { street: AreaCode::parse("310104999").unwrap() });
    assert_eq!(open_data(server, &other, "format=jsonl").2, "");
    assert_eq!(open_data(server, &other, "").2, format!("{}\r\n", OpenCaseRecord::CSV_COLUMNS.join(",")));
}

fn open_data_refuses_other_roles_and_bad_filters(backend: Backend) {
    let street = Street::open(backend, &[], beijing(11, 27, 10, 0));
    let server = &street.server;
    let get = |token: &str, query: &str| server.get_as(token, &format!("/api/v1/open-data/cases?{query}"));
    for token in [server.citizen_token(), street.handler.clone()] {
        assert_eq!(problem(get(&token, ""), 403)["code"], "forbidden");
    }
    let unsigned = server.client.get(server.url("/api/v1/open-data/cases")).send().unwrap();
    assert_eq!(unsigned.status(), 401);
    let d = &street.dispatcher;
    for (query, field) in [
        ("format=xml", "format"),
        ("category=X9", "category"),
        ("area=12", "area"),
        ("from=yesterday", "from"),
    ] {
        let refused = problem(get(d, query), 422);
        assert_eq!(
            (refused["code"].clone(), refused["field"].clone()),
            (json!("invalid_field"), json!(field)),
            "{query}"
        );
    }
    // The list's filters that would single out a person are not open-data filters.
    for query in ["q=%E5%BC%A0%E4%B8%89", "tracking_number=GL-261127-AAAAAA", "limit=5"] {
        assert_eq!(get(d, query).status(), 400, "{query}");
    }
}
