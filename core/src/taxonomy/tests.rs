//! The shipped taxonomy is complete and valid; broken files are refused naming the entry.

use super::*;

fn shipped() -> Taxonomy {
    Taxonomy::default_taxonomy().unwrap()
}

fn code(s: &str) -> CategoryCode {
    CategoryCode::parse(s).unwrap()
}

#[test]
fn shipped_taxonomy_has_every_major_class_and_enough_categories() {
    let t = shipped();
    assert!(t.categories().len() >= 40, "{}", t.categories().len());
    let components: Vec<&str> = t
        .majors()
        .iter()
        .filter(|m| m.kind == CategoryKind::Component)
        .map(|m| m.names.en.as_str())
        .collect();
    assert_eq!(
        components,
        [
            "Public facilities",
            "Traffic facilities",
            "City-appearance facilities",
            "Green spaces",
            "Other facilities"
        ]
    );
    let events: Vec<&str> =
        t.majors().iter().filter(|m| m.kind == CategoryKind::Event).map(|m| m.names.en.as_str()).collect();
    assert_eq!(
        events,
        ["City appearance", "Advertising", "Construction", "Street order", "Emergencies", "Other events"]
    );
    // Every major class has at least one category.
    for m in t.majors() {
        assert!(
            t.categories().iter().any(|c| c.code.kind() == m.kind && c.code.major() == m.code),
            "{} {:02} is empty",
            m.kind,
            m.code
        );
    }
}

#[test]
fn shipped_categories_carry_their_rules() {
    let t = shipped();
    let cover = t.get(code("C0101")).unwrap();
    assert_eq!(cover.names.zh, "上水井盖");
    assert_eq!(cover.time_limit, "4h".parse().unwrap());
    assert_eq!(cover.duplicate_radius_m, 50);
    assert!(cover.anonymous_allowed);
    assert_eq!(cover.default_unit.as_deref(), Some("water"));
    assert_eq!(t.unit("water").unwrap().names.en, "Water and drainage utility");
    let gas = t.get(code("E0503")).unwrap();
    assert!(!gas.anonymous_allowed);
    assert_eq!(gas.time_limit, "1h".parse().unwrap());
    // A category that says nothing gets the default radius.
    assert_eq!(t.get(code("E0101")).unwrap().duplicate_radius_m, DEFAULT_DUPLICATE_RADIUS_M);
    assert!(t.get(code("E0699")).is_none());
    // Sorted by code, components first.
    let codes: Vec<String> = t.categories().iter().map(|c| c.code.to_string()).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted);
    assert!(codes[0].starts_with('C'));
}

const MINIMAL: &str = r#"
version = 1
[[unit]]
code = "water"
zh = "水"
en = "Water"
[[major]]
kind = "component"
code = 1
zh = "公用设施"
en = "Public facilities"
[[category]]
code = "C0101"
zh = "井盖"
en = "Cover"
limit = "2d"
anonymous = true
unit = "water"
"#;

fn broken(edit: impl Fn(&str) -> String) -> TaxonomyError {
    Taxonomy::from_toml(&edit(MINIMAL)).unwrap_err()
}

#[test]
fn minimal_file_loads() {
    let t = Taxonomy::from_toml(MINIMAL).unwrap();
    assert_eq!(t.categories().len(), 1);
    assert_eq!(t.get(code("C0101")).unwrap().duplicate_radius_m, 250);
}

#[test]
fn broken_files_name_the_entry_at_fault() {
    let e = broken(|s| s.replace("code = \"C0101\"", "code = \"C01\""));
    assert!(e.to_string().starts_with("category #1 (C01):"), "{e}");
    let e = broken(|s| s.replace("limit = \"2d\"", "limit = \"soon\""));
    assert!(e.to_string().contains("category #1 (C0101): limit \"soon\""), "{e}");
    let e = broken(|s| s.replace("unit = \"water\"", "unit = \"fire\""));
    assert_eq!(e.to_string(), "category C0101: unit \"fire\" is not declared");
    let e = broken(|s| s.replace("code = \"C0101\"", "code = \"E0101\""));
    assert_eq!(e.to_string(), "category E0101: no event major class 01 is declared");
    let e = broken(|s| {
        format!(
            "{s}\n[[category]]\ncode = \"C0101\"\nzh = \"x\"\nen = \"x\"\nlimit = \"1h\"\nanonymous = true\n"
        )
    });
    assert_eq!(e.to_string(), "category C0101: this category code appears more than once");
    let e = broken(|s| s.replace("en = \"Cover\"", "en = \"  \""));
    assert!(e.to_string().contains("English (en) name"), "{e}");
    let e = broken(|s| s.replace("version = 1", "version = 2"));
    assert_eq!(e, TaxonomyError::Version(2));
    let e = broken(|s| s.replace("anonymous = true", "anonymous = \"yes\""));
    assert!(matches!(e, TaxonomyError::Syntax(_)), "{e}");
    let e = broken(|s| s.replace("anonymous = true", "anonymous = true\nduplicate_radius_m = 0"));
    assert!(e.to_string().contains("duplicate_radius_m must be"), "{e}");
    let e = broken(|s| s.replace("anonymous = true", "anonymous = true\ncolour = \"red\""));
    assert!(e.to_string().contains("colour"), "{e}");
    let e = broken(|s| s.replace("limit = \"2d\"", "limit = \"0h\""));
    assert!(e.to_string().contains("category"), "{e}");
}

#[test]
fn list_questions_need_values_and_others_take_none() {
    let with_q = |q: &str| format!("{MINIMAL}\n[[category.question]]\n{q}\n");
    let e = Taxonomy::from_toml(&with_q(
        "code = \"state\"\nzh = \"状\"\nen = \"State\"\ndatatype = \"singlevaluelist\"\nrequired = true",
    ))
    .unwrap_err();
    assert!(e.to_string().contains("needs values"), "{e}");
    let e = Taxonomy::from_toml(&with_q("code = \"n\"\nzh = \"数\"\nen = \"N\"\ndatatype = \"number\"\nrequired = true\nvalues = [{ key = \"a\", zh = \"a\", en = \"a\" }]")).unwrap_err();
    assert!(e.to_string().contains("takes no values"), "{e}");
    let e = Taxonomy::from_toml(&with_q(
        "code = \"Bad Code\"\nzh = \"数\"\nen = \"N\"\ndatatype = \"number\"\nrequired = true",
    ))
    .unwrap_err();
    assert!(e.to_string().contains("question \"Bad Code\""), "{e}");
}

fn answers(pairs: &[(&str, AnswerValue)]) -> Answers {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn one(s: &str) -> AnswerValue {
    AnswerValue::One(s.to_owned())
}

#[test]
fn answers_are_checked_against_the_questions() {
    let t = shipped();
    let cover = t.get(code("C0101")).unwrap();
    assert!(cover.check_answers(&answers(&[("cover_state", one("missing"))])).is_ok());
    let e = cover.check_answers(&Answers::new()).unwrap_err();
    assert_eq!(e.question, "cover_state");
    let e = cover.check_answers(&answers(&[("cover_state", one("stolen"))])).unwrap_err();
    assert!(e.reason.contains("not one of the allowed values"), "{e}");
    let e = cover
        .check_answers(&answers(&[("cover_state", one("missing")), ("colour", one("red"))]))
        .unwrap_err();
    assert_eq!(e.question, "colour");
    let e = cover
        .check_answers(&answers(&[("cover_state", AnswerValue::Many(vec!["missing".into()]))]))
        .unwrap_err();
    assert!(e.reason.contains("single value"), "{e}");

    let collapse = t.get(code("E0501")).unwrap();
    assert!(collapse.check_answers(&Answers::new()).is_ok(), "optional question may be skipped");
    assert!(collapse.check_answers(&answers(&[("size_m", one("2.5"))])).is_ok());
    for bad in ["wide", "NaN", "inf", ""] {
        assert!(collapse.check_answers(&answers(&[("size_m", one(bad))])).is_err(), "{bad}");
    }

    let parking = t.get(code("E0404")).unwrap();
    assert!(parking.check_answers(&answers(&[("plate", one("沪A12345"))])).is_ok());
    let long = "x".repeat(MAX_STRING_ANSWER + 1);
    let e = parking.check_answers(&answers(&[("plate", one(&long))])).unwrap_err();
    assert!(e.reason.contains("at most 200"), "{e}");
}

#[test]
fn multivalue_answers() {
    let text = format!(
        "{MINIMAL}\n[[category.question]]\ncode = \"kinds\"\nzh = \"类\"\nen = \"Kinds\"\ndatatype = \"multivaluelist\"\nrequired = true\nvalues = [{{ key = \"a\", zh = \"甲\", en = \"A\" }}, {{ key = \"b\", zh = \"乙\", en = \"B\" }}]\n"
    );
    let t = Taxonomy::from_toml(&text).unwrap();
    let c = t.get(code("C0101")).unwrap();
    let many =
        |v: &[&str]| answers(&[("kinds", AnswerValue::Many(v.iter().map(|s| s.to_string()).collect()))]);
    assert!(c.check_answers(&many(&["a", "b"])).is_ok());
    assert!(c.check_answers(&answers(&[("kinds", one("b"))])).is_ok());
    assert!(c.check_answers(&many(&[])).is_err());
    assert!(c.check_answers(&many(&["a", "a"])).unwrap_err().reason.contains("twice"));
    assert!(c.check_answers(&many(&["c"])).is_err());
}

#[test]
fn answers_deserialize_from_json_in_both_shapes() {
    let a: Answers = serde_json::from_str(r#"{"cover_state":"missing","kinds":["a","b"]}"#).unwrap();
    assert_eq!(a["cover_state"], one("missing"));
    assert_eq!(a["kinds"], AnswerValue::Many(vec!["a".into(), "b".into()]));
}
