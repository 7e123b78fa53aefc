//! `gridline`: the city server and its command-line tools in one binary.
//!
//! `gridline serve` (or `gridline` alone) runs the HTTP server; the other subcommands (`geo`,
//! `code`, `taxonomy`, `deadline`, `grid`, `photo`, ...) expose the shared core's rules on the
//! command line, each printing plain lines and exiting non-zero with a clear message on bad input.

use std::process::ExitCode;

fn main() -> ExitCode {
    gridline_server::cli::run()
}
