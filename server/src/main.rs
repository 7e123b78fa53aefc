//! `gridline`: the city server and its command-line tools in one binary.
//!
//! `gridline serve` runs the HTTP server; the other subcommands (`geo`, `code`, `taxonomy`,
//! `deadline`, `grid`, `photo`, ...) expose the shared core's rules on the command line, each
//! printing plain lines and exiting non-zero with a clear message on bad input.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
