//! `gridline warn evaluate` run as a real process: a small study prints its JSON report with
//! every method and threshold and the obvious clusters found (one after the other); the table names the methods; bad
//! flags exit with 2 and say which flag.

use std::process::{Command, Output};

use serde_json::Value;

fn gridline_warn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridline")).arg("warn").arg("evaluate").args(args).output().unwrap()
}

const SMALL: [&str; 10] = ["--cells", "40", "--days", "14", "--clusters", "2", "--size", "40", "--seed", "5"];

#[test]
fn cli_warn_evaluate_prints_a_json_report_with_the_clusters_found() {
    let output = gridline_warn(&[&SMALL[..], &["--format", "json"]].concat());
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["settings"]["cells"], 40);
    assert_eq!(report["injected"].as_array().unwrap().len(), 2);
    assert_eq!(report["scan_largest_recurrence_days"], 100.0);
    let methods = report["methods"].as_array().unwrap();
    let names: Vec<String> =
        methods.iter().map(|m| format!("{} {}", m["method"].as_str().unwrap(), m["threshold"])).collect();
    assert_eq!(methods.len(), 12, "{names:?}");
    for method in methods {
        // 40 extra reports a day over 3 cells stand far out of 40 cells' dozen a day.
        assert_eq!(method["hits"], 2, "{method}");
    }
    // Same seed, same report.
    let again = gridline_warn(&[&SMALL[..], &["--format", "json"]].concat());
    assert_eq!(output.stdout, again.stdout);
}

#[test]
fn cli_warn_evaluate_prints_a_table_and_refuses_bad_flags() {
    let output = gridline_warn(&SMALL);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let table = String::from_utf8(output.stdout).unwrap();
    for row in ["cusum  h=4", "ewma   L=3", "scan   RI>=100", "ebp    RI>=50"] {
        assert!(table.contains(row), "{row:?} missing from\n{table}");
    }
    for (args, flag) in [
        (&["--format", "xml"][..], "--format"),
        (&["--cells", "5"][..], "--cells"),
        (&["--spread", "many"][..], "--spread"),
        (&["--length", "15", "--days", "14"][..], "length"),
        (&["--clusters", "3", "--days", "14"][..], "need 21 days"),
    ] {
        let output = gridline_warn(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
    }
}
