//! Grid, area and category codes: what parses, what each part means, and what is refused.

use super::*;

#[test]
fn fifteen_digit_grid_code_exposes_each_level() {
    let g = GridCode::parse("110101003012007").unwrap();
    assert_eq!(g.to_string(), "110101003012007");
    assert_eq!(g.province(), 11);
    assert_eq!(g.district(), 110101);
    assert_eq!(g.street_number(), 3);
    assert_eq!(g.community_number(), 12);
    assert_eq!(g.grid_number(), 7);
    assert_eq!(g.area(AreaLevel::District).to_string(), "110101");
    assert_eq!(g.area(AreaLevel::Street).to_string(), "110101003");
    assert_eq!(g.area(AreaLevel::Community).to_string(), "110101003012");
    assert_eq!(g.area(AreaLevel::Grid).to_string(), "110101003012007");
}

#[test]
fn fourteen_digit_cjt213_form_is_widened() {
    let g = GridCode::parse("31010400200315").unwrap();
    assert_eq!(g.to_string(), "310104002003015");
    assert_eq!(g.grid_number(), 15);
    assert_eq!(g, GridCode::parse("310104002003015").unwrap());
}

#[test]
fn grid_code_refusals_say_what_is_wrong() {
    assert_eq!(GridCode::parse("1101010030120"), Err(CodeError::GridLength(13)));
    assert_eq!(GridCode::parse("1101010030120071"), Err(CodeError::GridLength(16)));
    assert_eq!(GridCode::parse(""), Err(CodeError::GridLength(0)));
    assert_eq!(GridCode::parse("11010100301200x"), Err(CodeError::NotADigit { position: 14, found: 'x' }));
    assert_eq!(GridCode::parse("990101003012007"), Err(CodeError::Province("99".into())));
    assert!(
        matches!(GridCode::parse("110100003012007"), Err(CodeError::ZeroLevel { level }) if level.starts_with("county"))
    );
    assert!(
        matches!(GridCode::parse("110101000012007"), Err(CodeError::ZeroLevel { level }) if level.starts_with("street"))
    );
    assert!(
        matches!(GridCode::parse("110101003000007"), Err(CodeError::ZeroLevel { level }) if level.starts_with("community"))
    );
    assert!(
        matches!(GridCode::parse("110101003012000"), Err(CodeError::ZeroLevel { level }) if level.starts_with("grid"))
    );
    // Full-width digits look like digits but are not ASCII codes.
    assert!(matches!(GridCode::parse("１10101003012007"), Err(CodeError::NotADigit { position: 0, .. })));
    let msg = GridCode::parse("12345").unwrap_err().to_string();
    assert!(msg.contains("15 digits") && msg.contains('5'), "{msg}");
}

#[test]
fn every_province_prefix_of_gb_t_2260_is_accepted_and_no_other() {
    let accepted: Vec<u32> =
        (10..=99).filter(|p| GridCode::parse(&format!("{p}0101001001001")).is_ok()).collect();
    assert_eq!(
        accepted,
        vec![
            11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
            53, 54, 61, 62, 63, 64, 65, 71, 81, 82
        ]
    );
}

#[test]
fn grid_code_from_parts_and_serde() {
    let g = GridCode::from_parts(310104, 2, 3, 15).unwrap();
    assert_eq!(g.to_string(), "310104002003015");
    assert!(GridCode::from_parts(310104, 1000, 3, 15).is_err());
    assert_eq!(serde_json::to_string(&g).unwrap(), "\"310104002003015\"");
    let back: GridCode = serde_json::from_str("\"31010400200315\"").unwrap();
    assert_eq!(back, g);
    assert!(serde_json::from_str::<GridCode>("\"31010400200\"").is_err());
}

#[test]
fn area_codes_nest() {
    let street = AreaCode::parse("110101003").unwrap();
    assert_eq!(street.level(), AreaLevel::Street);
    assert_eq!(street.district(), 110101);
    let inside = GridCode::parse("110101003012007").unwrap();
    let outside = GridCode::parse("110101004012007").unwrap();
    assert!(street.contains(inside));
    assert!(inside.is_within(street));
    assert!(!street.contains(outside));
    let district = AreaCode::parse("110101").unwrap();
    assert!(district.contains_area(street));
    assert!(street.contains_area(street));
    assert!(!street.contains_area(district));
    assert_eq!(street.ancestor(AreaLevel::District), Some(district));
    assert_eq!(street.ancestor(AreaLevel::Community), None);
    let grid_area = AreaCode::parse("110101003012007").unwrap();
    assert!(grid_area.contains(inside));
    assert!(street.contains_area(grid_area));
}

#[test]
fn area_code_refusals() {
    assert_eq!(AreaCode::parse("1101"), Err(CodeError::AreaLength(4)));
    assert_eq!(AreaCode::parse("990101"), Err(CodeError::Province("99".into())));
    assert!(matches!(AreaCode::parse("110101000"), Err(CodeError::ZeroLevel { .. })));
    assert!(matches!(AreaCode::parse("110101001000"), Err(CodeError::ZeroLevel { .. })));
    assert!(matches!(AreaCode::parse("1101a1"), Err(CodeError::NotADigit { position: 4, .. })));
    assert_eq!("street".parse::<AreaLevel>(), Ok(AreaLevel::Street));
    assert!("city".parse::<AreaLevel>().is_err());
}

#[test]
fn category_codes_parse_and_print() {
    let c = CategoryCode::parse("C0101").unwrap();
    assert_eq!(c.kind(), CategoryKind::Component);
    assert_eq!((c.major(), c.minor()), (1, 1));
    assert_eq!(c.to_string(), "C0101");
    let e = CategoryCode::parse(" e-0612 ").unwrap();
    assert_eq!(e.kind(), CategoryKind::Event);
    assert_eq!((e.major(), e.minor()), (6, 12));
    assert_eq!(e.to_string(), "E0612");
    assert_eq!(serde_json::to_string(&e).unwrap(), "\"E0612\"");
}

#[test]
fn category_code_refusals() {
    for bad in ["", "X0101", "C101", "C01011", "C01a1", "0101", "C-01-01", "C０101"] {
        assert!(matches!(CategoryCode::parse(bad), Err(CodeError::CategoryFormat(_))), "{bad}");
    }
    assert_eq!(CategoryCode::parse("C0001"), Err(CodeError::CategoryZero { part: "major" }));
    assert_eq!(CategoryCode::parse("E0100"), Err(CodeError::CategoryZero { part: "minor" }));
    assert!(CategoryCode::new(CategoryKind::Event, 100, 1).is_err());
}
