//! `gridline geo convert --from gcj02 --to wgs84 LAT LON`: datum conversion on the command line.

use clap::Subcommand;
use gridline_core::geo::{Crs, GeoPoint};

use super::{CliError, CliResult};

#[derive(Debug, Subcommand)]
pub enum GeoCommand {
    /// Convert a point between wgs84, gcj02 and bd09; prints `LAT,LON` with 7 decimals.
    Convert {
        /// Datum of the input: wgs84, gcj02 or bd09.
        #[arg(long)]
        from: String,
        /// Datum of the output: wgs84, gcj02 or bd09.
        #[arg(long)]
        to: String,
        /// Latitude in degrees.
        #[arg(allow_negative_numbers = true)]
        lat: String,
        /// Longitude in degrees.
        #[arg(allow_negative_numbers = true)]
        lon: String,
    },
}

pub fn run(cmd: GeoCommand) -> CliResult {
    match cmd {
        GeoCommand::Convert { from, to, lat, lon } => {
            let from: Crs = from.parse().map_err(|e| CliError::input(format!("--from: {e}")))?;
            let to: Crs = to.parse().map_err(|e| CliError::input(format!("--to: {e}")))?;
            let lat = parse_degrees("LAT", &lat)?;
            let lon = parse_degrees("LON", &lon)?;
            let point = GeoPoint::new(lat, lon).map_err(|e| CliError::input(e.to_string()))?;
            println!("{}", from.convert(point, to));
            Ok(())
        }
    }
}

fn parse_degrees(name: &str, text: &str) -> Result<f64, CliError> {
    text.trim()
        .parse::<f64>()
        .map_err(|_| CliError::input(format!("{name} must be a number of degrees, got {text:?}")))
}
