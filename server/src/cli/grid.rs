//! `gridline grid ...`: generate a synthetic city, check a GeoJSON grid file, route points
//! from stdin, pack cells into the offline package for phones, and import a file into the
//! database.
//!
//! `import` does what `POST /api/v1/admin/grids` does, with the same code: the core's checks
//! (every problem listed, exit code 2), then the area's cells replaced in one transaction and
//! the grid revision bumped, so running servers rebuild their index without a restart.
//!
//! `route` streams: it reads `lat,lon` or `lat,lon,crs` lines and writes one
//! `code,how,distance_m` line per input line, in order (`code` empty when unroutable). A line
//! it cannot read gets the marker line `,error,` on stdout and a message naming the line
//! number on stderr, and routing goes on; the exit code is then 2, so a batch job notices
//! without losing the other answers.

use std::fs;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::time::Duration;

use clap::Subcommand;
use gridline_core::codes::{AreaCode, AreaLevel};
use gridline_core::geo::{Crs, GeoPoint};
use gridline_core::grid::{
    DEFAULT_TOLERANCE_M, GeneratorOptions, GridCell, GridIndex, How, Route, ValidationOptions,
    encode_package_with_tolerance, generate_city, parse_geojson, to_geojson, validate,
};

use super::{CliError, CliResult};
use crate::config::Config;
use crate::routing::checked_cells;
use crate::store::{Db, grids};

#[derive(Debug, Subcommand)]
pub enum GridCommand {
    /// Write a deterministic synthetic city as GeoJSON.
    Generate {
        /// Number of cells.
        #[arg(long)]
        cells: usize,
        /// Seed: the same seed always gives the same city.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Box to fill: min_lon,min_lat,max_lon,max_lat (default: near Shanghai, sized for
        /// cells of about 20,000 m²).
        #[arg(long, allow_hyphen_values = true)]
        bbox: Option<String>,
        /// Output file.
        #[arg(long)]
        out: String,
    },
    /// Validate a GeoJSON grid file; prints one problem a line and exits non-zero if any.
    Check {
        /// The GeoJSON FeatureCollection.
        file: String,
        /// Overlaps up to this many square metres are tolerated.
        #[arg(long, default_value_t = 1.0)]
        overlap_threshold_m2: f64,
        /// Also print `code,area_m2` for every cell.
        #[arg(long)]
        areas: bool,
    },
    /// Route `lat,lon[,crs]` lines from stdin to `code,how,distance_m` lines on stdout.
    Route {
        /// The GeoJSON FeatureCollection of cells.
        #[arg(long)]
        grids: String,
        /// How far outside every cell a point is still routed to the nearest one.
        #[arg(long, default_value_t = DEFAULT_TOLERANCE_M)]
        tolerance_m: f64,
    },
    /// Import a GeoJSON grid file into the database, replacing the cells of its area.
    Import {
        /// The GeoJSON FeatureCollection.
        file: String,
        /// The district (6 digits) or street (9 digits) whose cells are replaced; default: the
        /// street all cells lie in, else their district.
        #[arg(long)]
        area: Option<String>,
        /// The database; default: the server's configuration (`DATABASE_URL`, else the
        /// embedded SQLite file in `GRIDLINE_DATA_DIR`).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Encode a GeoJSON grid file as an offline grid package.
    Pack {
        /// The GeoJSON FeatureCollection.
        file: String,
        /// Output package file.
        #[arg(long)]
        out: String,
        /// The routing tolerance phones use with this package, in metres.
        #[arg(long, default_value_t = DEFAULT_TOLERANCE_M)]
        tolerance_m: f64,
    },
}

pub fn run(cmd: GridCommand) -> CliResult {
    match cmd {
        GridCommand::Generate { cells, seed, bbox, out } => {
            let bbox = bbox.as_deref().map(parse_bbox).transpose()?;
            let city = generate_city(GeneratorOptions { cells, seed, bbox })
                .map_err(|e| CliError::input(e.to_string()))?;
            fs::write(&out, to_geojson(&city))
                .map_err(|e| CliError::failure(format!("cannot write {out}: {e}")))
        }
        GridCommand::Check { file, overlap_threshold_m2, areas } => check(&file, overlap_threshold_m2, areas),
        GridCommand::Import { file, area, database_url } => import(&file, area.as_deref(), database_url),
        GridCommand::Route { grids, tolerance_m } => {
            let index = GridIndex::build(&read_cells(&grids)?)
                .and_then(|index| index.with_tolerance_m(tolerance_m))
                .map_err(|e| CliError::input(format!("{grids}: {e}")))?;
            route_stream(&index, io::stdin().lock(), io::stdout().lock())
        }
        GridCommand::Pack { file, out, tolerance_m } => {
            let cells = read_cells(&file)?;
            let bytes = encode_package_with_tolerance(&cells, tolerance_m)
                .map_err(|e| CliError::input(format!("{file}: {e}")))?;
            fs::write(&out, bytes).map_err(|e| CliError::failure(format!("cannot write {out}: {e}")))
        }
    }
}

fn parse_bbox(text: &str) -> Result<[f64; 4], CliError> {
    let bad = || {
        CliError::input(format!("--bbox must be min_lon,min_lat,max_lon,max_lat in degrees, got {text:?}"))
    };
    let numbers: Vec<f64> =
        text.split(',').map(|s| s.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| bad())?;
    numbers.try_into().map_err(|_| bad())
}

fn read_cells(path: &str) -> Result<Vec<GridCell>, CliError> {
    let text = fs::read_to_string(path).map_err(|e| CliError::input(format!("cannot read {path}: {e}")))?;
    parse_geojson(&text).map_err(|e| CliError::input(format!("{path}: {e}")))
}

fn check(path: &str, overlap_threshold_m2: f64, areas: bool) -> CliResult {
    let cells = read_cells(path)?;
    let report = validate(&cells, ValidationOptions { overlap_threshold_m2 });
    let mut out = BufWriter::new(io::stdout().lock());
    let write_failed = |e: io::Error| CliError::failure(format!("cannot write to stdout: {e}"));
    if areas {
        for (cell, area) in cells.iter().zip(&report.areas_m2) {
            writeln!(out, "{},{area:.1}", cell.code).map_err(write_failed)?;
        }
    }
    for problem in &report.problems {
        writeln!(out, "{problem}").map_err(write_failed)?;
    }
    out.flush().map_err(write_failed)?;
    if report.is_valid() {
        // On stderr, so that stdout stays the machine-readable list (areas, problems).
        eprintln!("{path}: {} cells, no problems", cells.len());
        Ok(())
    } else {
        Err(CliError::input(format!("{path}: {} problems in {} cells", report.problems.len(), cells.len())))
    }
}

/// Progress of a long import on stderr: one line rewritten in place on a terminal, one line
/// per step otherwise (a log keeps no control characters).
struct Progress {
    total_steps: usize,
    step: usize,
    terminal: bool,
}

impl Progress {
    fn new(total_steps: usize) -> Self {
        Self { total_steps, step: 0, terminal: io::stderr().is_terminal() }
    }

    fn show(&self, step: usize, what: &str) {
        if self.terminal {
            eprint!("\r\x1b[2K[{step}/{}] {what}", self.total_steps);
            let _ = io::stderr().flush();
        } else {
            eprintln!("[{step}/{}] {what}", self.total_steps);
        }
    }

    fn next(&mut self, what: &str) {
        self.step += 1;
        self.show(self.step, what);
    }

    fn done(&self) {
        if self.terminal {
            eprintln!();
        }
    }
}

/// Reads `path` in chunks, showing how much of it is read.
fn read_with_progress(path: &str, progress: &mut Progress) -> Result<String, CliError> {
    let cannot_read = |e: io::Error| CliError::input(format!("cannot read {path}: {e}"));
    let file = fs::File::open(path).map_err(cannot_read)?;
    let total = file.metadata().map_err(cannot_read)?.len();
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut bytes = Vec::with_capacity(usize::try_from(total).unwrap_or_default());
    loop {
        let chunk = reader.fill_buf().map_err(cannot_read)?;
        if chunk.is_empty() {
            break;
        }
        let read = chunk.len();
        bytes.extend_from_slice(chunk);
        reader.consume(read);
        let percent = (bytes.len() as u64 * 100).checked_div(total).unwrap_or(100);
        if progress.terminal {
            progress.show(progress.step + 1, &format!("reading {path}: {percent}% of {} KiB", total / 1024));
        }
    }
    progress.next(&format!("read {} KiB", bytes.len() / 1024));
    String::from_utf8(bytes).map_err(|_| CliError::input(format!("{path}: the file is not UTF-8 text")))
}

/// The smallest area holding every cell: their street, else their district.
pub(super) fn enclosing_area(cells: &[GridCell]) -> Result<AreaCode, CliError> {
    for level in [AreaLevel::Street, AreaLevel::District] {
        let areas: std::collections::BTreeSet<AreaCode> = cells.iter().map(|c| c.code.area(level)).collect();
        if let [area] = areas.into_iter().collect::<Vec<_>>()[..] {
            return Ok(area);
        }
    }
    Err(CliError::input("the cells span several districts: name the area to replace with --area"))
}

fn import(path: &str, area: Option<&str>, database_url: Option<String>) -> CliResult {
    let mut progress = Progress::new(4);
    let text = read_with_progress(path, &mut progress)?;
    let area = match area {
        Some(code) => {
            let area = AreaCode::parse(code).map_err(|e| CliError::input(format!("--area: {e}")))?;
            if !matches!(area.level(), AreaLevel::District | AreaLevel::Street) {
                return Err(CliError::input("--area: expected a 6-digit district or 9-digit street code"));
            }
            area
        }
        None => enclosing_area(&parse_geojson(&text).map_err(|e| CliError::input(format!("{path}: {e}")))?)?,
    };
    progress.next(&format!("checking the cells of area {area}"));
    let cells = match checked_cells(&text, area) {
        Ok(cells) => cells,
        Err(problems) => {
            progress.done();
            for problem in &problems {
                println!("{problem}");
            }
            return Err(CliError::input(format!(
                "{path}: {} problem(s); nothing was imported",
                problems.len()
            )));
        }
    };
    let url = match database_url {
        Some(url) => url,
        None => Config::load()
            .map_err(|e| CliError::input(format!("configuration: {e}")))?
            .database_url
            .expose()
            .to_owned(),
    };
    let db = Db::connect(&url, 1, Duration::from_secs(30))
        .map_err(|e| CliError::failure(format!("database: {e}")))?;
    progress.next(&format!("writing {} cells in one transaction", cells.len()));
    let mut conn = db.get().map_err(|e| CliError::failure(format!("database: {e}")))?;
    let revision = grids::replace_area(&mut conn, area, &cells)
        .map_err(|e| CliError::failure(format!("database: {e}")))?;
    let total = grids::count(&mut conn).map_err(|e| CliError::failure(format!("database: {e}")))?;
    progress.next("done");
    progress.done();
    println!(
        "imported {} cells into area {area} (grid revision {revision}, {total} cells in the database)",
        cells.len()
    );
    Ok(())
}

/// Route every line of `input`; see the module documentation for the line formats.
fn route_stream(index: &GridIndex, input: impl BufRead, output: impl Write) -> CliResult {
    let mut input = BufReader::with_capacity(1 << 16, input);
    let mut out = BufWriter::with_capacity(1 << 16, output);
    let write_failed = |e: io::Error| CliError::failure(format!("cannot write to stdout: {e}"));
    let mut line = Vec::with_capacity(128);
    let mut line_number = 0u64;
    let mut bad_lines = 0u64;
    let mut distance = String::new();
    loop {
        line.clear();
        let read = input
            .read_until(b'\n', &mut line)
            .map_err(|e| CliError::failure(format!("cannot read stdin: {e}")))?;
        if read == 0 {
            break;
        }
        line_number += 1;
        match parse_line(&line) {
            Ok((point, crs)) => {
                let route = index.route_in(point, crs);
                match route {
                    Route::Cell { code, how } => {
                        distance.clear();
                        if let How::Nearest { distance_m } = how {
                            use std::fmt::Write as _;
                            let _ = write!(distance, "{distance_m:.1}");
                        }
                        writeln!(out, "{code},{},{distance}", how.as_str()).map_err(write_failed)?;
                    }
                    Route::Unroutable => out.write_all(b",unroutable,\n").map_err(write_failed)?,
                }
            }
            Err(reason) => {
                bad_lines += 1;
                eprintln!("gridline: line {line_number}: {reason}");
                out.write_all(b",error,\n").map_err(write_failed)?;
            }
        }
    }
    out.flush().map_err(write_failed)?;
    if bad_lines > 0 {
        return Err(CliError::input(format!(
            "{bad_lines} of {line_number} lines could not be read (marked ,error,)"
        )));
    }
    Ok(())
}

/// `lat,lon` or `lat,lon,crs`, surrounding whitespace ignored. The message never repeats the
/// coordinates themselves.
fn parse_line(line: &[u8]) -> Result<(GeoPoint, Crs), String> {
    let text = std::str::from_utf8(line).map_err(|_| "not UTF-8 text".to_owned())?;
    let text = text.trim_end_matches(['\n', '\r']).trim();
    let mut fields = text.split(',');
    let expected = "expected lat,lon or lat,lon,crs";
    let (Some(lat), Some(lon)) = (fields.next(), fields.next()) else {
        return Err(format!("{expected}, found {} fields", text.split(',').count()));
    };
    let crs = match fields.next() {
        None => Crs::Wgs84,
        Some(crs) => crs.parse::<Crs>().map_err(|e| e.to_string())?,
    };
    if fields.next().is_some() {
        return Err(format!("{expected}, found more than 3 fields"));
    }
    let lat: f64 = lat.trim().parse().map_err(|_| format!("{expected}: the latitude is not a number"))?;
    let lon: f64 = lon.trim().parse().map_err(|_| format!("{expected}: the longitude is not a number"))?;
    let point = GeoPoint::new(lat, lon).map_err(|e| match e {
        gridline_core::geo::GeoError::Latitude(_) => "the latitude is not in [-90, 90]".to_owned(),
        gridline_core::geo::GeoError::Longitude(_) => "the longitude is not in [-180, 180]".to_owned(),
        other => other.to_string(),
    })?;
    Ok((point, crs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn city() -> GridIndex {
        let cells = generate_city(GeneratorOptions { cells: 50, seed: 5, bbox: None }).unwrap();
        GridIndex::build(&cells).unwrap()
    }

    #[test]
    fn route_stream_answers_every_line_in_order_and_marks_bad_ones() {
        let index = city();
        let p = GeoPoint::new(31.1505, 121.4005).unwrap();
        let expected = index.route(p);
        let input =
            "31.1505,121.4005\n31.1505,121.4005,wgs84\nnonsense\n91,121\n0,0\n31.1505, 121.4005 ,gcj02\r\n";
        let mut output = Vec::new();
        let result = route_stream(&index, input.as_bytes(), &mut output);
        let text = String::from_utf8(output).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6, "{text}");
        let code = expected.code().unwrap().to_string();
        assert!(lines[0].starts_with(&format!("{code},")), "{}", lines[0]);
        assert_eq!(lines[0], lines[1]);
        assert_eq!(lines[2], ",error,");
        assert_eq!(lines[3], ",error,");
        assert_eq!(lines[4], ",unroutable,");
        assert_eq!(lines[5].split(',').count(), 3);
        let err = result.unwrap_err();
        assert_eq!(err.exit_code, 2);
        assert!(err.message.contains("2 of 6 lines"), "{}", err.message);
    }

    #[test]
    fn parse_line_explains_without_echoing_coordinates() {
        let err = parse_line(b"31.12345,abc\n").unwrap_err();
        assert!(err.contains("longitude") && !err.contains("31.12345"), "{err}");
        assert!(parse_line(b"31,121,mars").is_err());
        assert!(parse_line(b"31,121,wgs84,extra").is_err());
        assert!(parse_line(b"NaN,121").is_err());
        assert_eq!(parse_line(b" 31.5 , 121.5 , bd09 ").unwrap().1, Crs::Bd09);
    }

    #[test]
    fn bbox_parsing() {
        assert_eq!(parse_bbox("121,31,121.1,31.1").unwrap(), [121.0, 31.0, 121.1, 31.1]);
        assert!(parse_bbox("121,31,121.1").is_err());
        assert!(parse_bbox("a,b,c,d").is_err());
    }
}
