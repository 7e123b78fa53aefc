//! `gridline serve`: run the HTTP server with the configuration from the environment
//! (see `.env.example`). Also what `gridline` with no subcommand does.

use clap::Args;

use super::{CliError, CliResult};
use crate::config::{Config, env_example};

#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// Print every setting with its default as a `.env.example` file, and exit.
    #[arg(long)]
    pub print_env_example: bool,
    /// Validate the configuration and exit without serving.
    #[arg(long)]
    pub check_config: bool,
}

pub fn run(args: ServeArgs) -> CliResult {
    if args.print_env_example {
        print!("{}", env_example());
        return Ok(());
    }
    let config = Config::load().map_err(|e| CliError::input(format!("configuration: {e}")))?;
    if args.check_config {
        println!("configuration is valid");
        return Ok(());
    }
    actix_web::rt::System::new()
        .block_on(crate::serve::run(config))
        .map_err(|e| CliError::failure(e.to_string()))
}
