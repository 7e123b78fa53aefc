//! Tests of the workflow's refusal messages and codes, the checks of `take` against what was
//! supplied and the case facts, and the wire forms. The exhaustive state x action x role table
//! lives in `core/tests/workflow_table.rs`.

use chrono::{TimeZone, Utc};

use super::*;
use crate::geo::GeoPoint;

/// `super::take` on China's working calendar, the default of every city.
fn take(
    state: CaseState,
    action: Action,
    role: Role,
    provided: &Provided<'_>,
    facts: &CaseFacts,
) -> Result<Step, Refusal> {
    super::take(state, action, role, provided, facts, &china())
}

fn china() -> crate::calendar::WorkingCalendar {
    crate::calendar::WorkingCalendar::china().unwrap()
}

fn photo_at_site() -> Provided<'static> {
    Provided { photos: 1, position: Some(GeoPoint::new(31.23, 121.47).unwrap()), ..Provided::default() }
}

#[test]
fn a_role_refusal_names_the_role_the_action_and_who_may() {
    let refusal = decide(CaseState::Registered, Action::Dispatch, Role::Handler).unwrap_err();
    assert_eq!(refusal.code(), "not_allowed_for_role");
    assert_eq!(
        refusal.to_string(),
        "a handler may not dispatch; that step belongs to: dispatcher, admin, district_admin"
    );
    let inspector = Refusal::NotAllowedForRole { role: Role::Inspector, action: Action::Dispatch };
    assert_eq!(
        inspector.to_string(),
        "an inspector may not dispatch; that step belongs to: dispatcher, admin, district_admin"
    );
}

#[test]
fn a_district_admin_holds_exactly_one_named_district() {
    use crate::codes::{AreaCode, AreaLevel};
    use scope::{Scope, ScopeError};
    let area = |code: &str| AreaCode::parse(code).unwrap();
    let district = Scope::District { district: area("310104") };
    assert_eq!(district.check_fits(Role::DistrictAdmin), Ok(()));
    assert_eq!(
        Scope::District { district: area("310104001") }.check_fits(Role::DistrictAdmin),
        Err(ScopeError::NotADistrict(AreaLevel::Street))
    );
    for wider_or_narrower in [Scope::City, Scope::Street { street: area("310104001") }, Scope::Own] {
        let found = wider_or_narrower.kind();
        assert_eq!(
            wider_or_narrower.check_fits(Role::DistrictAdmin),
            Err(ScopeError::WrongKind { role: Role::DistrictAdmin, expected: "district", found })
        );
    }
    // Never guessed: the account names its district.
    assert_eq!(scope::Scope::default_for(Role::DistrictAdmin), None);
}

#[test]
fn a_handlers_scope_names_a_unit_code_as_units_have_them() {
    use scope::{Scope, ScopeError};
    let unit = |code: &str| Scope::Unit { unit: code.to_owned() }.check_fits(Role::Handler);
    assert_eq!(unit("roads-2"), Ok(()));
    // Unit codes are lower case (the taxonomy's and the unit registry's rule): a scope naming
    // "Roads" could never match a unit, so it is refused when the account is written.
    for never_a_unit in ["Roads", "", "road works", &"a".repeat(65)] {
        assert_eq!(unit(never_a_unit), Err(ScopeError::UnitCode(never_a_unit.to_owned())));
    }
    assert_eq!(unit(&"a".repeat(64)), Ok(()));
}

#[test]
fn a_district_admin_takes_the_street_office_steps_and_no_other() {
    for &action in Action::ALL {
        let street_office = rules::roles_for(action).contains(&Role::Dispatcher);
        let district_admin = rules::roles_for(action).contains(&Role::DistrictAdmin);
        assert_eq!(district_admin, street_office, "{action}");
        assert_eq!(district_admin, rules::roles_for(action).contains(&Role::Admin), "{action}");
    }
    assert!(decide(CaseState::Registered, Action::Dispatch, Role::DistrictAdmin).is_ok());
    assert!(decide(CaseState::Dispatched, Action::Reassign, Role::DistrictAdmin).is_ok());
    assert_eq!(
        decide(CaseState::Dispatched, Action::Accept, Role::DistrictAdmin).unwrap_err().code(),
        "not_allowed_for_role"
    );
    assert_eq!(
        parts::PartActor::of(Role::DistrictAdmin, None, "roads", Some("water")),
        parts::PartActor::StreetOffice
    );
}

#[test]
fn a_role_refusal_wins_over_a_state_refusal() {
    // A citizen may never register, so the answer does not depend on the state.
    let refusal = decide(CaseState::Closed, Action::Register, Role::Citizen).unwrap_err();
    assert_eq!(refusal, Refusal::NotAllowedForRole { role: Role::Citizen, action: Action::Register });
}

#[test]
fn a_state_refusal_lists_the_states_the_action_applies_to() {
    let refusal = decide(CaseState::InProgress, Action::Close, Role::Dispatcher).unwrap_err();
    assert_eq!(refusal.code(), "not_from_state");
    assert_eq!(
        refusal.to_string(),
        "cannot close a case that is in_progress; close applies to cases that are: handled, shelved"
    );
    let refusal = decide(CaseState::Closed, Action::Dispatch, Role::Admin).unwrap_err();
    assert_eq!(
        refusal.to_string(),
        "cannot dispatch a case that is closed; dispatch applies to cases that are: registered, dispatched"
    );
}

#[test]
fn a_transition_says_what_the_action_needs() {
    let t = decide(CaseState::Handled, Action::VerifyFail, Role::Inspector).unwrap();
    assert_eq!(t.to, CaseState::Dispatched);
    assert_eq!(t.needs, Needs { reason: true, photo: true, position: true, ..Needs::default() });
    assert_eq!(t.effects, &[Effect::CountsRework]);
    let t = decide(CaseState::InProgress, Action::Extend, Role::Dispatcher).unwrap();
    assert_eq!(t.to, CaseState::InProgress);
    assert!(t.needs.new_deadline && t.needs.reason);
    assert_eq!(t.effects, &[Effect::ExtendsDeadline, Effect::CountsExtension]);
}

#[test]
fn take_refuses_a_missing_reason_photo_or_position() {
    let facts = CaseFacts::default();
    let blank = Provided { reason: Some("   "), ..Provided::default() };
    let r = take(CaseState::Reported, Action::Reject, Role::Dispatcher, &blank, &facts).unwrap_err();
    assert_eq!(r, Refusal::ReasonRequired { action: Action::Reject });
    assert_eq!(r.to_string(), "reject needs a reason: a few words saying why");

    let r = take(CaseState::InProgress, Action::MarkHandled, Role::Handler, &Provided::default(), &facts);
    assert_eq!(r.unwrap_err().code(), "photo_required");

    let no_gps = Provided { photos: 2, ..Provided::default() };
    let r = take(CaseState::Handled, Action::VerifyPass, Role::Inspector, &no_gps, &facts).unwrap_err();
    assert_eq!(r.to_string(), "verify_pass needs the GPS position where it was done, found none");

    let t = take(CaseState::Handled, Action::VerifyPass, Role::Inspector, &photo_at_site(), &facts).unwrap();
    assert_eq!(t.to(), CaseState::Closed);

    let fail_without_reason = photo_at_site();
    let r = take(CaseState::Handled, Action::VerifyFail, Role::Inspector, &fail_without_reason, &facts);
    assert_eq!(r.unwrap_err().code(), "reason_required");
    let fail = Provided { reason: Some("still blocked"), ..photo_at_site() };
    let t = take(CaseState::Handled, Action::VerifyFail, Role::Inspector, &fail, &facts).unwrap();
    assert_eq!(t.to(), CaseState::Dispatched);
}

#[test]
fn take_checks_dispatch_and_merge_targets() {
    let facts = CaseFacts::default();
    let r = take(CaseState::Registered, Action::Dispatch, Role::Dispatcher, &Provided::default(), &facts);
    assert_eq!(r.unwrap_err().code(), "handling_unit_required");
    let to_unit = Provided { handling_unit: Some("unit-7"), ..Provided::default() };
    assert!(take(CaseState::Registered, Action::Dispatch, Role::Dispatcher, &to_unit, &facts).is_ok());
    let r = take(CaseState::Reported, Action::Merge, Role::Admin, &Provided::default(), &facts);
    assert_eq!(r.unwrap_err().code(), "merge_target_required");
}

#[test]
fn an_extension_must_move_the_deadline_later() {
    let current = Utc.with_ymd_and_hms(2025, 3, 10, 9, 0, 0).unwrap();
    let facts = CaseFacts { deadline: Some(current), ..CaseFacts::default() };
    let earlier = Provided {
        reason: Some("parts on order"),
        new_deadline: Some(current - chrono::Duration::hours(1)),
        ..Provided::default()
    };
    let r = take(CaseState::Dispatched, Action::Extend, Role::Dispatcher, &earlier, &facts).unwrap_err();
    assert_eq!(r, Refusal::DeadlineNotLater { current });
    let none = Provided { reason: Some("parts on order"), ..Provided::default() };
    let r = take(CaseState::Dispatched, Action::Extend, Role::Dispatcher, &none, &facts).unwrap_err();
    assert_eq!(r.code(), "deadline_required");
    let later = Provided { new_deadline: Some(current + chrono::Duration::days(3)), ..earlier };
    assert!(take(CaseState::Dispatched, Action::Extend, Role::Dispatcher, &later, &facts).is_ok());
}

#[test]
fn only_the_reporter_rates_and_only_once() {
    let rated = Provided { rating: Some(4), ..Provided::default() };
    let stranger = CaseFacts::default();
    let r = take(CaseState::Closed, Action::Rate, Role::Citizen, &rated, &stranger).unwrap_err();
    assert_eq!(r.code(), "not_the_reporter");
    let reporter = CaseFacts { actor_is_reporter: true, ..CaseFacts::default() };
    assert!(take(CaseState::Closed, Action::Rate, Role::Citizen, &rated, &reporter).is_ok());
    let again = CaseFacts { already_rated: true, ..reporter };
    let r = take(CaseState::Closed, Action::Rate, Role::Citizen, &rated, &again).unwrap_err();
    assert_eq!(r.to_string(), "this case has already been rated; a case is rated once");
    for bad in [None, Some(0), Some(6)] {
        let p = Provided { rating: bad, ..Provided::default() };
        let r = take(CaseState::Closed, Action::Rate, Role::Citizen, &p, &reporter).unwrap_err();
        assert_eq!(r, Refusal::RatingOutOfRange { found: bad });
    }
}

#[test]
fn the_system_marks_overdue_only_past_the_deadline_and_escalates_only_overdue_cases() {
    let none = Provided::default();
    let before = CaseFacts::default();
    let r = take(CaseState::InProgress, Action::MarkOverdue, Role::System, &none, &before).unwrap_err();
    assert_eq!(r.code(), "deadline_not_passed");
    let past = CaseFacts { deadline_passed: true, ..before };
    let t = take(CaseState::InProgress, Action::MarkOverdue, Role::System, &none, &past).unwrap();
    assert_eq!(t.transition.effects, &[Effect::MarksOverdue]);
    let flagged = CaseFacts { overdue: true, ..past };
    let r = take(CaseState::InProgress, Action::MarkOverdue, Role::System, &none, &flagged).unwrap_err();
    assert_eq!(r.code(), "already_overdue");
    let r = take(CaseState::Dispatched, Action::Escalate, Role::System, &none, &past).unwrap_err();
    assert_eq!(r.code(), "not_overdue");
    assert!(take(CaseState::Dispatched, Action::Escalate, Role::System, &none, &flagged).is_ok());
}

#[test]
fn available_actions_given_facts_hide_what_the_conditions_refuse() {
    let stranger = CaseFacts::default();
    assert_eq!(available_actions(CaseState::Closed, Role::Citizen), vec![Action::Rate]);
    assert!(available_actions_given(CaseState::Closed, Role::Citizen, &stranger).is_empty());
    let reporter = CaseFacts { actor_is_reporter: true, ..stranger };
    assert_eq!(available_actions_given(CaseState::Closed, Role::Citizen, &reporter), vec![Action::Rate]);
    let past = CaseFacts { deadline_passed: true, ..stranger };
    assert_eq!(
        available_actions_given(CaseState::Dispatched, Role::System, &past),
        vec![Action::MarkOverdue]
    );
}

#[test]
fn wire_forms_are_snake_case_and_agree_between_serde_display_and_parse() {
    for s in CaseState::ALL {
        assert_eq!(serde_json::to_string(s).unwrap(), format!("\"{}\"", s.as_str()));
        assert_eq!(s.as_str().parse::<CaseState>().unwrap(), *s);
    }
    for a in Action::ALL {
        assert_eq!(serde_json::to_string(a).unwrap(), format!("\"{a}\""));
        assert_eq!(serde_json::from_str::<Action>(&format!("\"{a}\"")).unwrap(), *a);
        assert_eq!(a.as_str().parse::<Action>().unwrap(), *a);
    }
    for r in Role::ALL {
        assert_eq!(serde_json::to_string(r).unwrap(), format!("\"{r}\""));
        assert_eq!(r.as_str().parse::<Role>().unwrap(), *r);
    }
    assert_eq!(CaseState::InProgress.as_str(), "in_progress");
    assert_eq!(Action::SendBack.as_str(), "send_back");
    assert_eq!(Action::MarkOverdue.as_str(), "mark_overdue");
}

#[test]
fn an_unknown_name_lists_the_expected_ones() {
    let e = "janitor".parse::<Role>().unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown role \"janitor\": expected one of citizen, inspector, dispatcher, handler, admin, district_admin, system, viewer, operator"
    );
    assert!("InProgress".parse::<CaseState>().is_err());
}

#[test]
fn a_viewer_takes_no_action_from_any_state() {
    let everything = Provided {
        reason: Some("seen on the big screen"),
        photos: 3,
        position: Some(GeoPoint::new(31.2, 121.4).unwrap()),
        new_deadline: Some(Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()),
        handling_unit: Some("sanitation"),
        merge_target: Some(case_id(1)),
        rating: Some(5),
        satisfaction: Some(super::callback::Satisfaction::Dissatisfied),
        resolved: Some(false),
        helpers: &[],
        inspector: Some("inspector-1"),
    };
    let mut checked = 0;
    for state in CaseState::ALL {
        for action in Action::ALL {
            let refused = Refusal::NotAllowedForRole { role: Role::Viewer, action: *action };
            assert_eq!(decide(*state, *action, Role::Viewer).unwrap_err(), refused, "{state} / {action}");
            for facts in [
                CaseFacts::default(),
                CaseFacts {
                    actor_is_reporter: true,
                    overdue: true,
                    deadline_passed: true,
                    ..CaseFacts::default()
                },
            ] {
                let r = take(*state, *action, Role::Viewer, &everything, &facts).unwrap_err();
                assert_eq!(r, refused, "{state} / {action}");
                assert!(available_actions_given(*state, Role::Viewer, &facts).is_empty(), "{state}");
            }
            checked += 1;
        }
        assert!(available_actions(*state, Role::Viewer).is_empty(), "{state}");
    }
    assert_eq!(checked, CaseState::ALL.len() * Action::ALL.len());
}

/// 2026-11-27 (a Friday) at `h`:00 in Beijing.
fn friday_beijing(h: u32) -> chrono::DateTime<Utc> {
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 27, h, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn dispatchable(now: chrono::DateTime<Utc>) -> CaseFacts {
    let record = CaseRecord { time_limit: Some("4h".parse().unwrap()), ..CaseRecord::default() };
    CaseFacts::new(record, false, now)
}

#[test]
fn a_dispatch_computes_its_deadline_and_sets_the_unit() {
    let now = friday_beijing(16);
    let to_unit = Provided { handling_unit: Some("unit-7"), ..Provided::default() };
    let step = take(CaseState::Registered, Action::Dispatch, Role::Dispatcher, &to_unit, &dispatchable(now))
        .unwrap();
    let monday = chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 30, 11, 30, 0)
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(
        step.deadline,
        DeadlineChange::Set {
            due: monday,
            source: DeadlineSource::Computed { limit: "4h".parse().unwrap() }
        }
    );
    assert_eq!(step.handling_unit, Change::Set("unit-7".to_owned()));
    assert_eq!(step.overdue, Some(false));
    assert!(step.open);
}

#[test]
fn a_dispatch_refuses_a_deadline_from_the_caller() {
    let now = friday_beijing(10);
    let chosen = Provided {
        handling_unit: Some("unit-7"),
        new_deadline: Some(Utc.with_ymd_and_hms(2099, 12, 31, 0, 0, 0).unwrap()),
        ..Provided::default()
    };
    let r = take(CaseState::Registered, Action::Dispatch, Role::Dispatcher, &chosen, &dispatchable(now));
    assert_eq!(r.unwrap_err(), Refusal::DeadlineNotAccepted { action: Action::Dispatch });
}

#[test]
fn a_dispatch_on_a_calendar_without_the_year_is_refused_not_guessed() {
    let now = Utc.with_ymd_and_hms(2031, 3, 3, 2, 0, 0).unwrap();
    let to_unit = Provided { handling_unit: Some("unit-7"), ..Provided::default() };
    let r = take(CaseState::Registered, Action::Dispatch, Role::Dispatcher, &to_unit, &dispatchable(now));
    assert_eq!(r.unwrap_err().code(), "no_working_calendar");
}

#[test]
fn an_extension_carries_its_reason_and_is_counted() {
    let current = friday_beijing(10);
    let record = CaseRecord { deadline: Some(current), extensions: 1, ..CaseRecord::default() };
    let facts = CaseFacts::new(record, false, current - chrono::Duration::hours(1));
    let later = current + chrono::Duration::days(2);
    let asked =
        Provided { reason: Some(" parts on order "), new_deadline: Some(later), ..Provided::default() };
    let step = take(CaseState::InProgress, Action::Extend, Role::Dispatcher, &asked, &facts).unwrap();
    assert_eq!(
        step.deadline,
        DeadlineChange::Set {
            due: later,
            source: DeadlineSource::Extension { reason: "parts on order".to_owned(), number: 2 }
        }
    );
}

#[test]
fn merge_links_and_reopen_unlinks_and_says_whether_the_case_is_open() {
    let facts = CaseFacts::default();
    let into = Provided { merge_target: Some(case_id(9)), ..Provided::default() };
    let step = take(CaseState::Reported, Action::Merge, Role::Dispatcher, &into, &facts).unwrap();
    assert_eq!(step.merged_into, Change::Set(case_id(9)));
    assert!(!step.open);
    let why = Provided { reason: Some("not a duplicate after all"), ..Provided::default() };
    let step = take(CaseState::Merged, Action::Reopen, Role::Dispatcher, &why, &facts).unwrap();
    assert_eq!(step.merged_into, Change::Clear);
    assert!(step.open);
    let back = Provided { reason: Some("not ours"), ..Provided::default() };
    let facts = CaseFacts::new(
        CaseRecord { deadline: Some(friday_beijing(9)), ..CaseRecord::default() },
        false,
        friday_beijing(8),
    );
    let step = take(CaseState::Dispatched, Action::SendBack, Role::Handler, &back, &facts).unwrap();
    assert_eq!((step.deadline, step.handling_unit), (DeadlineChange::Clear, Change::Clear));
}

#[test]
fn the_facts_read_the_deadline_against_their_own_now() {
    let deadline = friday_beijing(10);
    let record = CaseRecord { deadline: Some(deadline), ..CaseRecord::default() };
    assert!(!CaseFacts::new(record, false, deadline - chrono::Duration::seconds(1)).deadline_passed);
    assert!(CaseFacts::new(record, false, deadline).deadline_passed);
}

#[test]
fn the_channel_is_the_way_in_and_an_inspector_is_always_an_inspector() {
    assert_eq!(Channel::of_account(Role::Inspector, false), Channel::Inspector);
    assert_eq!(Channel::of_account(Role::Inspector, true), Channel::Inspector);
    assert_eq!(Channel::of_account(Role::Citizen, true), Channel::Web);
    assert_eq!(Channel::of_account(Role::Citizen, false), Channel::App);
    let names: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(names, ["app", "inspector", "web", "hotline", "open311", "sensor"]);
    assert_eq!("open311".parse::<Channel>(), Ok(Channel::Open311));
    assert!("phone".parse::<Channel>().unwrap_err().to_string().contains("app, inspector, web"));
}

#[test]
fn a_handled_cases_verification_is_given_to_a_named_inspector_by_the_street_office() {
    let facts = CaseFacts::default();
    let named = Provided { inspector: Some("inspector-7"), ..Provided::default() };
    let assign =
        |state, role, provided: &Provided<'_>| take(state, Action::AssignVerifier, role, provided, &facts);
    let step = assign(CaseState::Handled, Role::Dispatcher, &named).unwrap();
    assert_eq!(
        (step.to(), step.verifier.clone()),
        (CaseState::Handled, Change::Set("inspector-7".to_owned()))
    );
    assert_eq!((step.deadline.clone(), step.handling_unit.clone()), (DeadlineChange::Keep, Change::Keep));
    assert!(assign(CaseState::Handled, Role::Admin, &named).is_ok());
    let blank = Provided { inspector: Some("  "), ..Provided::default() };
    assert_eq!(
        assign(CaseState::Handled, Role::Dispatcher, &blank).unwrap_err().code(),
        "inspector_required"
    );
    // Only once the unit has handled it, and never by the inspector or the unit themselves.
    assert_eq!(assign(CaseState::InProgress, Role::Dispatcher, &named).unwrap_err().code(), "not_from_state");
    for role in [Role::Inspector, Role::Handler, Role::Citizen] {
        assert_eq!(assign(CaseState::Handled, role, &named).unwrap_err().code(), "not_allowed_for_role");
    }
    assert!(needs(Action::AssignVerifier).inspector && !needs(Action::Dispatch).inspector);
}

#[test]
fn relocate_needs_a_reason_and_the_new_position_and_only_moves_the_case() {
    let to = GeoPoint::new(31.2, 121.4).unwrap();
    let facts = CaseFacts::default();
    let relocate =
        |state, provided: &Provided<'_>| take(state, Action::Relocate, Role::Dispatcher, provided, &facts);
    let no_reason = Provided { position: Some(to), ..Provided::default() };
    assert_eq!(relocate(CaseState::Reported, &no_reason).unwrap_err().code(), "reason_required");
    let no_position = Provided { reason: Some("the caller gave the address"), ..Provided::default() };
    assert_eq!(relocate(CaseState::Reported, &no_position).unwrap_err().code(), "position_required");
    let full =
        Provided { reason: Some("the caller gave the address"), position: Some(to), ..Provided::default() };
    for state in [CaseState::Reported, CaseState::Registered] {
        let step = relocate(state, &full).unwrap();
        assert_eq!((step.to(), step.place), (state, Some(to)));
        assert_eq!((step.deadline.clone(), step.handling_unit.clone()), (DeadlineChange::Keep, Change::Keep));
        assert!(step.overdue.is_none() && step.open);
    }
    // Never away from the unit working on it, and never by anyone but the street office.
    assert_eq!(relocate(CaseState::Dispatched, &full).unwrap_err().code(), "not_from_state");
    let by_inspector = take(CaseState::Reported, Action::Relocate, Role::Inspector, &full, &facts);
    assert_eq!(by_inspector.unwrap_err().code(), "not_allowed_for_role");
    // Other steps carry no place, even with a position (an inspector's on-site position).
    let verified =
        take(CaseState::Handled, Action::VerifyPass, Role::Inspector, &photo_at_site(), &facts).unwrap();
    assert_eq!(verified.place, None);
}

#[test]
fn a_request_to_confirm_is_open_once_and_ends_with_the_answer_or_the_report() {
    let none = Provided::default();
    let ask =
        |facts: &CaseFacts| take(CaseState::Reported, Action::RequestConfirm, Role::Dispatcher, &none, facts);
    let asked = ask(&CaseFacts::default()).unwrap();
    assert_eq!((asked.to(), asked.confirm_request), (CaseState::Reported, Some(true)));
    let open = CaseFacts { confirm_requested: true, ..CaseFacts::default() };
    assert_eq!(ask(&open).unwrap_err(), Refusal::AlreadyAskedToConfirm);
    assert_eq!(Refusal::AlreadyAskedToConfirm.code(), "already_asked_to_confirm");
    // Only the street office asks, and only about a report.
    let by_inspector = take(CaseState::Reported, Action::RequestConfirm, Role::Inspector, &none, &open);
    assert_eq!(by_inspector.unwrap_err().code(), "not_allowed_for_role");
    let registered = take(CaseState::Registered, Action::RequestConfirm, Role::Dispatcher, &none, &open);
    assert_eq!(registered.unwrap_err().code(), "not_from_state");

    // The inspector's finding answers it; one found on patrol, unasked, has nothing to end.
    let denial = Provided { reason: Some("nothing there"), ..photo_at_site() };
    for (action, provided) in [(Action::Confirm, photo_at_site()), (Action::Deny, denial)] {
        let answered = take(CaseState::Reported, action, Role::Inspector, &provided, &open).unwrap();
        assert_eq!((answered.to(), answered.confirm_request), (CaseState::Reported, Some(false)));
        let unasked = take(CaseState::Reported, action, Role::Inspector, &provided, &CaseFacts::default());
        assert_eq!(unasked.unwrap().confirm_request, None);
    }
    // Registered, rejected or merged without waiting: the report, and so the request, is over.
    let reason = Provided { reason: Some("not the city's"), ..Provided::default() };
    let merge = Provided { merge_target: Some(case_id(2)), ..Provided::default() };
    for (action, provided) in [(Action::Register, &none), (Action::Reject, &reason), (Action::Merge, &merge)]
    {
        let step = take(CaseState::Reported, action, Role::Dispatcher, provided, &open).unwrap();
        assert_eq!(step.confirm_request, Some(false), "{action}");
        let plain = take(CaseState::Reported, action, Role::Dispatcher, provided, &CaseFacts::default());
        assert_eq!(plain.unwrap().confirm_request, None, "{action}");
    }
    // A step that keeps the report leaves an open request alone.
    let moved = Provided { reason: Some("the caller gave the address"), ..photo_at_site() };
    let relocated = take(CaseState::Reported, Action::Relocate, Role::Dispatcher, &moved, &open).unwrap();
    assert_eq!(relocated.confirm_request, None);
}

#[test]
fn every_stored_event_kind_has_its_name_in_both_languages() {
    use super::words::{event_kind_names, event_kind_words};
    for action in Action::ALL {
        let (zh, en) = event_kind_words(action.as_str()).unwrap();
        assert!(!zh.is_empty() && !en.is_empty() && zh != en, "{action}");
    }
    assert_eq!(event_kind_words("reported"), Some(("上报", "Reported")));
    assert_eq!(event_kind_words("request_confirm"), Some(("核实派遣", "Asked to confirm on site")));
    assert_eq!(event_kind_words("part_finish"), Some(("协办完成", "Helper part finished")));
    assert_eq!(event_kind_words("switch_on").map(|w| w.1), Some("Wartime command switched on"));
    // A kind core does not know keeps its own name rather than vanishing.
    assert_eq!(event_kind_words("part_dance"), None);
    assert_eq!(event_kind_names("something_new").en, "something_new");
}

/// A case id for the merge tests, told apart by `n`.
fn case_id(n: u8) -> crate::codes::CaseId {
    crate::codes::CaseId::from(uuid::Uuid::from_bytes([n; 16]))
}
