//! `gridline taxonomy list|check`: show the categories, or validate a city's own taxonomy file.

use std::path::PathBuf;

use clap::Subcommand;
use gridline_core::taxonomy::Taxonomy;

use super::{CliError, CliResult};

#[derive(Debug, Subcommand)]
pub enum TaxonomyCommand {
    /// One category a line, tab-separated: code, kind, zh name, en name, time limit.
    List {
        /// A taxonomy file to list instead of the shipped default.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Validate a taxonomy file; prints the problem (naming the entry) and exits non-zero.
    Check {
        /// The taxonomy TOML file.
        file: PathBuf,
    },
}

pub fn run(cmd: TaxonomyCommand) -> CliResult {
    match cmd {
        TaxonomyCommand::List { file } => {
            let taxonomy = load(file.as_ref())?;
            for line in list_lines(&taxonomy) {
                println!("{line}");
            }
            Ok(())
        }
        TaxonomyCommand::Check { file } => {
            let taxonomy = load(Some(&file))?;
            println!("{}: ok, {} categories", file.display(), taxonomy.categories().len());
            Ok(())
        }
    }
}

fn load(file: Option<&PathBuf>) -> Result<Taxonomy, CliError> {
    match file {
        None => Taxonomy::default_taxonomy().map_err(|e| CliError::failure(e.to_string())),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::input(format!("cannot read {}: {e}", path.display())))?;
            Taxonomy::from_toml(&text).map_err(|e| CliError::input(format!("{}: {e}", path.display())))
        }
    }
}

fn list_lines(taxonomy: &Taxonomy) -> Vec<String> {
    taxonomy
        .categories()
        .iter()
        .map(|c| format!("{}\t{}\t{}\t{}\t{}", c.code, c.code.kind(), c.names.zh, c.names.en, c.time_limit))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_shipped_category_with_its_limit() {
        let t = Taxonomy::default_taxonomy().unwrap();
        let lines = list_lines(&t);
        assert_eq!(lines.len(), t.categories().len());
        assert_eq!(lines[0], "C0101\tcomponent\t上水井盖\tWater supply manhole cover\t4h");
        assert!(lines.iter().any(|l| l == "E0503\tevent\t燃气泄漏\tGas leak\t1h"));
    }
}
