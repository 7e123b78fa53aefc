//! `gridline code parse CODE`: normalize a grid, area or category code and show its parts.

use clap::Subcommand;
use gridline_core::codes::{AreaCode, AreaLevel, CategoryCode, GridCode};

use super::{CliError, CliResult};

#[derive(Debug, Subcommand)]
pub enum CodeCommand {
    /// Parse a grid code (15 digits, or 14 in CJ/T 213 form), an area code (6, 9 or 12 digits)
    /// or a category code (C0101, E0203) and print it normalized with its levels.
    Parse {
        /// The code to parse.
        code: String,
    },
}

pub fn run(cmd: CodeCommand) -> CliResult {
    match cmd {
        CodeCommand::Parse { code } => {
            for line in describe(&code)? {
                println!("{line}");
            }
            Ok(())
        }
    }
}

/// The lines printed for `code`: first the normalized code, then one `level: value` a line.
fn describe(code: &str) -> Result<Vec<String>, CliError> {
    let t = code.trim();
    if t.starts_with(|c: char| c.is_ascii_alphabetic()) {
        let c = CategoryCode::parse(t).map_err(|e| CliError::input(e.to_string()))?;
        return Ok(vec![
            c.to_string(),
            format!("kind: {} ({})", c.kind(), c.kind().name_zh()),
            format!("major: {:02}", c.major()),
            format!("minor: {:02}", c.minor()),
        ]);
    }
    let len = t.chars().count();
    let area = if len == 14 || len == 15 {
        GridCode::parse(t).map_err(|e| CliError::input(e.to_string()))?.area(AreaLevel::Grid)
    } else {
        AreaCode::parse(t).map_err(|e| CliError::input(e.to_string()))?
    };
    let mut lines = vec![area.to_string(), format!("level: {}", area.level())];
    for level in AreaLevel::ALL.into_iter().filter(|l| *l <= area.level()) {
        if let Some(a) = area.ancestor(level) {
            lines.push(format!("{level}: {a}"));
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_a_cjt213_grid_code_with_every_level() {
        let lines = describe("31010400200315").unwrap();
        assert_eq!(
            lines,
            vec![
                "310104002003015",
                "level: grid",
                "district: 310104",
                "street: 310104002",
                "community: 310104002003",
                "grid: 310104002003015",
            ]
        );
    }

    #[test]
    fn describes_a_category_and_a_street() {
        assert_eq!(describe("e0203").unwrap()[0], "E0203");
        assert_eq!(describe("110101003").unwrap()[1], "level: street");
        assert!(describe("11010100").is_err());
        assert!(describe("Z0101").is_err());
    }
}
