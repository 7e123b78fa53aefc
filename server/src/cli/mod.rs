//! The `gridline` command line: one clap `Command` enum, one file per subcommand.
//!
//! Each subcommand returns `Result<(), CliError>`; `run` prints the error on stderr and turns
//! it into a non-zero exit code, so every failure reads the same way.

mod code;
mod deadline;
mod gazetteer;
mod geo;
mod grid;
mod photo;
mod seed;
#[cfg(feature = "simulate")]
pub mod sensor_fleet;
mod sensors;
mod serve;
#[cfg(feature = "simulate")]
pub mod simulate;
mod summaries;
mod taxonomy;
mod unit;
mod user;
mod warn;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Gridline: grid-based city issue reporting and case management.
#[derive(Debug, Parser)]
#[command(name = "gridline", version, about)]
struct Cli {
    /// What to do; with none, `serve`.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server (the default when no subcommand is given).
    Serve(serve::ServeArgs),
    /// Coordinates: convert between WGS-84, GCJ-02 and BD-09.
    #[command(subcommand)]
    Geo(geo::GeoCommand),
    /// Grid and category codes: parse, normalize and explain.
    #[command(subcommand)]
    Code(code::CodeCommand),
    /// Grid cells: generate a city, check a GeoJSON file, route points, pack for phones.
    #[command(subcommand)]
    Grid(grid::GridCommand),
    /// Categories: list the default taxonomy, or check a city's taxonomy file.
    #[command(subcommand)]
    Taxonomy(taxonomy::TaxonomyCommand),
    /// Working-time deadlines: when a handling limit (4h, 2d) runs out, printed in RFC 3339 UTC
    /// (Beijing work hours, China's 2025-2026 holidays).
    Deadline(deadline::DeadlineArgs),
    /// Evidence photos: orient, resize and strip metadata; print the capture metadata.
    #[command(subcommand)]
    Photo(photo::PhotoCommand),
    /// Staff accounts: add one (the first admin of a deployment), list them, disable one.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Realistic cases with their histories written straight into the store, for scale work.
    Seed(seed::SeedArgs),
    /// Per-day summaries of the audit trail: recompute them from the events, or check them.
    #[command(subcommand)]
    Summaries(summaries::SummariesCommand),
    /// Handling units: list them, add one, retire or reinstate one.
    #[command(subcommand)]
    Unit(unit::UnitCommand),
    /// Sensor systems: import a system's devices from a CSV or GeoJSON file.
    #[command(subcommand)]
    Sensors(sensors::SensorsCommand),
    /// The hotline's gazetteer: import addresses and road segments, find an address.
    #[command(subcommand)]
    Gazetteer(gazetteer::GazetteerCommand),
    /// Early warning: prove the methods on injected clusters (`warn evaluate`).
    #[command(subcommand)]
    Warn(warn::WarnCommand),
    /// Field simulation: real device cores (citizens, inspectors) filing reports against a server
    /// over a lossy network, with the counts checked against the server's.
    #[cfg(feature = "simulate")]
    Simulate(simulate::SimulateArgs),
}

/// A failed command: what to print, and the exit code (2 for bad input, 1 otherwise).
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub exit_code: u8,
}

impl CliError {
    /// The user gave something we cannot use.
    pub fn input(message: impl Into<String>) -> Self {
        Self { message: message.into(), exit_code: 2 }
    }

    /// Something failed while doing the work (a file could not be written, ...).
    pub fn failure(message: impl Into<String>) -> Self {
        Self { message: message.into(), exit_code: 1 }
    }
}

pub type CliResult = Result<(), CliError>;

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve(serve::ServeArgs::default())) {
        Command::Serve(args) => serve::run(args),
        Command::Geo(cmd) => geo::run(cmd),
        Command::Code(cmd) => code::run(cmd),
        Command::Grid(cmd) => grid::run(cmd),
        Command::Deadline(args) => deadline::run(args),
        Command::Taxonomy(cmd) => taxonomy::run(cmd),
        Command::Photo(cmd) => photo::run(cmd),
        Command::User(cmd) => user::run(cmd),
        Command::Summaries(cmd) => summaries::run(cmd),
        Command::Seed(args) => seed::run(args),
        Command::Unit(cmd) => unit::run(cmd),
        Command::Sensors(cmd) => sensors::run(cmd),
        Command::Gazetteer(cmd) => gazetteer::run(cmd),
        Command::Warn(cmd) => warn::run(cmd),
        #[cfg(feature = "simulate")]
        Command::Simulate(args) => simulate::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gridline: {}", e.message);
            ExitCode::from(e.exit_code)
        }
    }
}
