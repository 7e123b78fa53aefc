//! `gridline gazetteer import FILE`: imports addresses and road segments into the hotline's
//! gazetteer from a CSV (`name,lat,lon[,kind]`) or GeoJSON (Points and LineStrings with a
//! `name`) file, by its extension, with the same code as `POST /api/v1/admin/gazetteer`
//! ([`crate::hotline::gazetteer`]): every problem is listed at once, and nothing is stored
//! unless the whole file is good. `gridline gazetteer find TEXT` prints what the console would
//! offer for the text typed.

use std::time::Duration;

use clap::Subcommand;

use super::{CliError, CliResult};
use crate::config::Config;
use crate::hotline::gazetteer;
use crate::sensors::registry::Format;
use crate::store::{Db, DbConnection};

#[derive(Debug, Subcommand)]
pub enum GazetteerCommand {
    /// Import (or replace by name) addresses and road segments from a CSV or GeoJSON file.
    Import {
        /// The CSV (`name,lat,lon[,kind]`) or GeoJSON (Points, LineStrings with `name`) file.
        file: String,
        /// The database; default: the server's configuration.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// The entries matching an address typed in part, as the hotline console finds them
    /// (tab-separated: name, kind, lat, lon).
    Find {
        text: String,
        /// The database; default: the server's configuration.
        #[arg(long)]
        database_url: Option<String>,
    },
}

pub fn run(cmd: GazetteerCommand) -> CliResult {
    match cmd {
        GazetteerCommand::Import { file, database_url } => import(&file, database_url),
        GazetteerCommand::Find { text, database_url } => find(&text, database_url),
    }
}

fn with_database<T>(
    database_url: Option<String>,
    work: impl FnOnce(&mut DbConnection) -> Result<T, CliError>,
) -> Result<T, CliError> {
    let config = Config::load().map_err(|e| CliError::input(format!("configuration: {e}")))?;
    let url = database_url.unwrap_or_else(|| config.database_url.expose().to_owned());
    let database = |e: crate::store::StoreError| CliError::failure(format!("database: {e}"));
    let db = Db::connect(&url, 1, Duration::from_secs(30)).map_err(database)?;
    let mut conn = db.get().map_err(database)?;
    work(&mut conn)
}

fn import(path: &str, database_url: Option<String>) -> CliResult {
    let format = Format::from_file_name(path)
        .ok_or_else(|| CliError::input(format!("{path}: expected a .csv, .geojson or .json file")))?;
    let text = std::fs::read_to_string(path).map_err(|e| CliError::input(format!("{path}: {e}")))?;
    let parsed = match format {
        Format::Csv => gazetteer::parse_csv(&text),
        Format::GeoJson => gazetteer::parse_geojson(&text),
    };
    let entries = parsed.map_err(|problems| {
        for problem in &problems {
            println!("{problem}");
        }
        CliError::input(format!("{path}: {} problem(s); nothing was imported", problems.len()))
    })?;
    let imported = entries.len();
    let total = with_database(database_url, |conn| {
        gazetteer::import(conn, entries).map_err(|e| CliError::failure(format!("database: {e}")))
    })?;
    println!("imported {imported} gazetteer entries; {total} in the gazetteer");
    Ok(())
}

fn find(text: &str, database_url: Option<String>) -> CliResult {
    let found = with_database(database_url, |conn| {
        gazetteer::search(conn, text).map_err(|e| CliError::failure(format!("database: {e}")))
    })?;
    for place in found {
        println!("{}\t{}\t{:.6}\t{:.6}", place.name, place.kind, place.lat, place.lon);
    }
    Ok(())
}
