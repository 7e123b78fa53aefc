//! What part of the city a person may see and act on, from the grid hierarchy: an inspector's
//! grid cells, a dispatcher's street, a handler's handling unit, the whole city for an admin
//! (and the `system` role), a citizen's own reports, and for a read-only `viewer` an area (the
//! city, a district or a street). [`Scope`] is core's (the sign-in answer shows it to the phone);
//! it is stored with the account (JSON) and carried in the access token; [`CaseFilter`] turns it
//! into a list query filter.

use gridline_core::codes::{AreaCode, AreaLevel, GridCode};

pub use gridline_core::workflow::scope::{MAX_UNIT_CODE_CHARS, Scope, ScopeError};

/// The facts about one case that decide who may see it; every field is what the case row holds.
#[derive(Debug, Clone, Copy)]
pub struct CaseVisibility<'a> {
    /// The grid the case was routed to; `None` for the city triage queue.
    pub grid: Option<GridCode>,
    /// The handling unit the case is (or was last) dispatched to.
    pub handling_unit: Option<&'a str>,
    /// The account that reported it.
    pub reporter: Option<&'a str>,
    /// For a case in no cell (triage): the street of the cell nearest to its position, whose
    /// street office (and district) sees it in its triage queue.
    pub triage_street: Option<AreaCode>,
    /// The inspector the street office gave the case's verification to (指派核查).
    pub verifier: Option<&'a str>,
}

/// The type lives with the queries that apply it (the store may not import `auth`); which
/// filter a principal gets is decided here.
pub use crate::store::case_list::CaseFilter;

impl CaseFilter {
    /// The filter for `scope` held by the account `user_id`.
    pub fn for_scope(scope: &Scope, user_id: &str) -> CaseFilter {
        match scope {
            Scope::City => CaseFilter::All,
            Scope::Grids { grids } => {
                CaseFilter::GridIn { grids: grids.iter().copied().collect(), verifier: user_id.to_owned() }
            }
            Scope::District { district: area } | Scope::Street { street: area } => {
                match area_grid_range(*area) {
                    Some((first, last)) => CaseFilter::GridRange { area: *area, first, last },
                    None => CaseFilter::Nothing,
                }
            }
            Scope::Unit { unit } => CaseFilter::HandlingUnit(unit.clone()),
            Scope::Own => CaseFilter::ReportedBy(user_id.to_owned()),
        }
    }

    /// The same decision as the SQL form, for one case in memory: a case is in a list exactly
    /// when this returns `true`.
    pub fn admits(&self, case: &CaseVisibility<'_>) -> bool {
        match self {
            CaseFilter::All => true,
            CaseFilter::GridIn { grids, verifier } => {
                case.grid.is_some_and(|g| grids.contains(&g)) || case.verifier == Some(verifier.as_str())
            }
            CaseFilter::GridRange { area, .. } => match case.grid {
                Some(grid) => area.contains(grid),
                None => case.triage_street.is_some_and(|street| area.contains_area(street)),
            },
            CaseFilter::HandlingUnit(unit) => case.handling_unit == Some(unit.as_str()),
            CaseFilter::ReportedBy(user) => case.reporter == Some(user.as_str()),
            CaseFilter::Nothing => false,
        }
    }
}

/// The first and last valid grid codes inside `area` (`None` only if the area cannot hold a
/// grid, which a validated area code always can).
pub fn area_grid_range(area: AreaCode) -> Option<(GridCode, GridCode)> {
    let shift = 10u64.pow((15 - area.level().digits()) as u32);
    let base = area.prefix() * shift;
    let (low, high) = match area.level() {
        AreaLevel::District => (base + 1_001_001, base + 999_999_999),
        AreaLevel::Street => (base + 1_001, base + 999_999),
        AreaLevel::Community => (base + 1, base + 999),
        AreaLevel::Grid => (base, base),
    };
    Some((GridCode::from_u64(low).ok()?, GridCode::from_u64(high).ok()?))
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeSet;

    use gridline_core::workflow::Role;

    use super::*;

    pub(crate) fn grid(s: &str) -> GridCode {
        GridCode::parse(s).unwrap()
    }

    pub(crate) fn area(s: &str) -> AreaCode {
        AreaCode::parse(s).unwrap()
    }

    #[test]
    fn scope_json_is_tagged_by_kind() {
        let street = Scope::Street { street: area("110101001") };
        let json = serde_json::to_string(&street).unwrap();
        assert_eq!(json, r#"{"kind":"street","street":"110101001"}"#);
        assert_eq!(serde_json::from_str::<Scope>(&json).unwrap(), street);
        let grids: Scope =
            serde_json::from_str(r#"{"kind":"grids","grids":["110101001001002","110101001001001"]}"#)
                .unwrap();
        assert_eq!(
            grids,
            Scope::Grids { grids: [grid("110101001001001"), grid("110101001001002")].into_iter().collect() }
        );
        assert!(serde_json::from_str::<Scope>(r#"{"kind":"street","street":"11010100"}"#).is_err());
        assert!(serde_json::from_str::<Scope>(r#"{"kind":"planet"}"#).is_err());
    }

    #[test]
    fn each_role_takes_exactly_its_kind_of_scope() {
        let samples = [
            Scope::City,
            Scope::District { district: area("110101") },
            Scope::Street { street: area("110101001") },
            Scope::Grids { grids: BTreeSet::new() },
            Scope::Unit { unit: "sanitation-01".into() },
            Scope::Own,
        ];
        let fits = |role: Role| {
            samples.iter().filter(|s| s.check_fits(role).is_ok()).map(Scope::kind).collect::<Vec<_>>()
        };
        assert_eq!(fits(Role::Admin), ["city"]);
        assert_eq!(fits(Role::System), ["city"]);
        assert_eq!(fits(Role::Dispatcher), ["street"]);
        assert_eq!(fits(Role::DistrictAdmin), ["district"]);
        assert_eq!(fits(Role::Inspector), ["grids"]);
        assert_eq!(fits(Role::Handler), ["unit"]);
        assert_eq!(fits(Role::Citizen), ["own"]);
        assert_eq!(fits(Role::Viewer), ["city", "district", "street"]);
        assert_eq!(fits(Role::Operator), ["city", "district", "street"]);
    }

    #[test]
    fn a_viewer_scope_is_the_city_a_district_or_a_street() {
        let fits = |s: Scope| s.check_fits(Role::Viewer);
        assert_eq!(fits(Scope::City), Ok(()));
        assert_eq!(fits(Scope::District { district: area("110101") }), Ok(()));
        assert_eq!(fits(Scope::Street { street: area("110101001") }), Ok(()));
        assert_eq!(
            fits(Scope::District { district: area("110101001") }),
            Err(ScopeError::NotADistrict(AreaLevel::Street))
        );
        assert_eq!(
            fits(Scope::Street { street: area("110101001002") }),
            Err(ScopeError::NotAStreet(AreaLevel::Community))
        );
        assert_eq!(fits(Scope::Own), Err(ScopeError::NotAnArea("own")));
        assert_eq!(fits(Scope::Unit { unit: "roads".into() }), Err(ScopeError::NotAnArea("unit")));
        assert_eq!(fits(Scope::Grids { grids: BTreeSet::new() }), Err(ScopeError::NotAnArea("grids")));
        // No other role takes a district, except the hotline operators and the admin of a
        // district's centre.
        let district = Scope::District { district: area("110101") };
        let takers: Vec<Role> =
            Role::ALL.iter().copied().filter(|r| district.check_fits(*r).is_ok()).collect();
        assert_eq!(takers, [Role::DistrictAdmin, Role::Viewer, Role::Operator]);
        assert_eq!(Scope::default_for(Role::Viewer), None);
    }

    #[test]
    fn a_district_covers_its_streets_and_no_other_district() {
        let district = Scope::District { district: area("110101") };
        let json = serde_json::to_string(&district).unwrap();
        assert_eq!(json, r#"{"kind":"district","district":"110101"}"#);
        assert_eq!(serde_json::from_str::<Scope>(&json).unwrap(), district);
        assert!(district.covers_grid(grid("110101002003004")));
        assert!(!district.covers_grid(grid("110102001001001")));
        assert!(district.covers_area(area("110101")) && district.covers_area(area("110101009")));
        assert!(!district.covers_area(area("110102")));
        let filter = CaseFilter::for_scope(&district, "v");
        let case = |g: &str| CaseVisibility {
            grid: Some(grid(g)),
            handling_unit: None,
            reporter: None,
            triage_street: None,
            verifier: None,
        };
        assert!(filter.admits(&case("110101999999999")) && !filter.admits(&case("110102001001001")));
        let triage = |street: Option<&str>| CaseVisibility {
            grid: None,
            handling_unit: None,
            reporter: None,
            triage_street: street.map(area),
            verifier: None,
        };
        assert!(!filter.admits(&triage(None)) && !filter.admits(&triage(Some("110102001"))));
        assert!(filter.admits(&triage(Some("110101007"))), "triage near a street of the district");
    }

    #[test]
    fn a_dispatcher_scope_must_be_a_street_and_a_unit_code_must_be_plain() {
        let district = Scope::Street { street: area("110101") };
        assert_eq!(district.check_fits(Role::Dispatcher), Err(ScopeError::NotAStreet(AreaLevel::District)));
        for bad in ["", "a b", "unit/../x", &"u".repeat(65)] {
            let unit = Scope::Unit { unit: bad.to_owned() };
            assert!(unit.check_fits(Role::Handler).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn grid_coverage_follows_the_hierarchy() {
        let inside = grid("110101001002003");
        let next_street = grid("110101002001001");
        let street = Scope::Street { street: area("110101001") };
        assert!(street.covers_grid(inside));
        assert!(!street.covers_grid(next_street));
        let cells = Scope::Grids { grids: [inside].into_iter().collect() };
        assert!(cells.covers_grid(inside));
        assert!(!cells.covers_grid(grid("110101001002004")));
        assert!(Scope::City.covers_grid(next_street));
        assert!(!Scope::Own.covers_grid(inside));
        assert!(!Scope::Unit { unit: "u".into() }.covers_grid(inside));
    }

    #[test]
    fn area_coverage_needs_the_whole_area() {
        let street = Scope::Street { street: area("110101001") };
        assert!(street.covers_area(area("110101001")));
        assert!(street.covers_area(area("110101001002")));
        assert!(!street.covers_area(area("110101")), "a district is larger than the street");
        assert!(!street.covers_area(area("110101002001")));
        let cells = Scope::Grids { grids: [grid("110101001002003")].into_iter().collect() };
        assert!(cells.covers_area(area("110101001002003")));
        assert!(!cells.covers_area(area("110101001002")), "one cell is not the whole community");
        assert!(Scope::City.covers_area(area("110101")));
    }

    #[test]
    fn a_street_filter_range_holds_exactly_the_street() {
        let filter = CaseFilter::for_scope(&Scope::Street { street: area("110101001") }, "u");
        let CaseFilter::GridRange { first, last, .. } = filter else { panic!("{filter:?}") };
        assert_eq!(first.to_string(), "110101001001001");
        assert_eq!(last.to_string(), "110101001999999");
        // text comparison agrees with the numeric one because every code has 15 digits
        for g in ["110101001001001", "110101001500500", "110101001999999"] {
            assert!(first.to_string().as_str() <= g && g <= last.to_string().as_str());
        }
        for g in ["110101000999999", "110101002001001"] {
            assert!(!(first.to_string().as_str() <= g && g <= last.to_string().as_str()));
        }
    }

    #[test]
    fn filters_admit_exactly_their_cases() {
        let in_street = grid("110101001002003");
        let elsewhere = grid("110102001001001");
        let case = |grid, unit, reporter| CaseVisibility {
            grid,
            handling_unit: unit,
            reporter,
            triage_street: None,
            verifier: None,
        };
        let mine = case(Some(elsewhere), Some("roads"), Some("me"));
        let triage = case(None, None, Some("someone"));
        let triage_near = CaseVisibility { triage_street: Some(area("110101001")), ..triage };
        let triage_far = CaseVisibility { triage_street: Some(area("110101002")), ..triage };
        let local = case(Some(in_street), Some("parks"), Some("someone"));

        let all = CaseFilter::for_scope(&Scope::City, "admin");
        assert!(all.admits(&mine) && all.admits(&triage) && all.admits(&local));

        let street = CaseFilter::for_scope(&Scope::Street { street: area("110101001") }, "d");
        assert!(street.admits(&local) && !street.admits(&mine) && !street.admits(&triage));
        assert!(street.admits(&triage_near) && !street.admits(&triage_far));
        assert!(all.admits(&triage_far));

        let cells = CaseFilter::for_scope(&Scope::Grids { grids: [in_street].into_iter().collect() }, "i");
        assert!(cells.admits(&local) && !cells.admits(&mine) && !cells.admits(&triage));
        assert!(!cells.admits(&triage_near));
        let no_cells = CaseFilter::for_scope(&Scope::Grids { grids: BTreeSet::new() }, "i");
        assert!(!no_cells.admits(&local));
        // A verification given to an inspector by name: that inspector, wherever their cells.
        let given = CaseVisibility { verifier: Some("i"), ..mine };
        assert!(cells.admits(&given) && no_cells.admits(&given));
        let to_another = CaseFilter::for_scope(&Scope::Grids { grids: BTreeSet::new() }, "j");
        assert!(!to_another.admits(&given));

        let unit = CaseFilter::for_scope(&Scope::Unit { unit: "roads".into() }, "h");
        assert!(unit.admits(&mine) && !unit.admits(&local) && !unit.admits(&triage));

        let own = CaseFilter::for_scope(&Scope::Own, "me");
        assert!(own.admits(&mine) && !own.admits(&local) && !own.admits(&triage));
        assert!(!CaseFilter::Nothing.admits(&mine));
    }
}
