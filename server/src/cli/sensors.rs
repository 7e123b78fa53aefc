//! `gridline sensors import --system ID FILE`: imports a sending system's devices from a CSV or
//! GeoJSON file (by its extension), with the same code as
//! `POST /api/v1/admin/sensor-systems/{id}/devices` ([`crate::sensors::registry`]): every device
//! is routed to its grid cell with the grid in the database, every problem is listed at once,
//! and nothing is stored unless the whole file is good.

use std::time::Duration;

use clap::Subcommand;

use super::{CliError, CliResult};
use crate::config::Config;
use crate::routing::GridRouter;
use crate::sensors::registry::{self, Format};
use crate::store::{Db, sensors};

#[derive(Debug, Subcommand)]
pub enum SensorsCommand {
    /// Import (or update) a sensor system's devices from a CSV or GeoJSON file.
    Import {
        /// The CSV (`id,kind,lat,lon,owning_unit`) or GeoJSON (Points) file.
        file: String,
        /// The sensor system's id (see `GET /api/v1/admin/sensor-systems`).
        #[arg(long)]
        system: String,
        /// The database; default: the server's configuration (`DATABASE_URL`, else the
        /// embedded SQLite file in `GRIDLINE_DATA_DIR`).
        #[arg(long)]
        database_url: Option<String>,
    },
}

pub fn run(cmd: SensorsCommand) -> CliResult {
    match cmd {
        SensorsCommand::Import { file, system, database_url } => import(&file, &system, database_url),
    }
}

fn import(path: &str, system: &str, database_url: Option<String>) -> CliResult {
    let format = Format::from_file_name(path)
        .ok_or_else(|| CliError::input(format!("{path}: expected a .csv, .geojson or .json file")))?;
    let text = std::fs::read_to_string(path).map_err(|e| CliError::input(format!("{path}: {e}")))?;
    let list = |problems: Vec<String>| {
        for problem in &problems {
            println!("{problem}");
        }
        CliError::input(format!("{path}: {} problem(s); nothing was imported", problems.len()))
    };
    let devices = registry::parse(format, &text).map_err(list)?;
    let config = Config::load().map_err(|e| CliError::input(format!("configuration: {e}")))?;
    let url = database_url.unwrap_or_else(|| config.database_url.expose().to_owned());
    let database = |e: crate::store::StoreError| CliError::failure(format!("database: {e}"));
    let db = Db::connect(&url, 1, Duration::from_secs(30)).map_err(database)?;
    let mut conn = db.get().map_err(database)?;
    let known = sensors::find_system(&mut conn, system).map_err(database)?;
    if known.is_none_or(|s| s.revoked_at.is_some()) {
        return Err(CliError::input(format!("--system: no live sensor system {system}")));
    }
    drop(conn);
    let router = GridRouter::new(config.settings.routing_tolerance());
    router.refresh_blocking(&db).map_err(database)?;
    let rows = registry::placed(&router, system, devices, chrono::Utc::now().timestamp()).map_err(list)?;
    let mut conn = db.get().map_err(database)?;
    let imported = registry::store_devices(&mut conn, rows).map_err(database)?.map_err(list)?;
    println!(
        "imported devices of system {system}: {} created, {} updated",
        imported.created, imported.updated
    );
    Ok(())
}
