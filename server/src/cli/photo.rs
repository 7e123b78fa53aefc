//! `gridline photo prepare IN OUT [--max-edge N] [--quality Q] [--thumb THUMB_OUT]`: run the
//! evidence-photo pipeline on a file, write the JPEG, and print what was extracted as one JSON
//! object on stdout.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use gridline_core::photo::{self, PhotoError, PhotoOptions, PreparedPhoto};
use serde_json::json;

use super::{CliError, CliResult};

#[derive(Debug, Subcommand)]
pub enum PhotoCommand {
    /// Orient, resize and re-encode a JPEG, PNG or WebP without metadata; print the capture
    /// metadata, output size and SHA-256 as JSON.
    Prepare {
        /// The camera photo to read.
        input: PathBuf,
        /// Where to write the prepared JPEG.
        output: PathBuf,
        /// Longest edge of the output in pixels (never upscaled).
        #[arg(long, default_value_t = photo::DEFAULT_MAX_EDGE)]
        max_edge: u32,
        /// JPEG quality, 1-100.
        #[arg(long, default_value_t = photo::DEFAULT_QUALITY)]
        quality: u8,
        /// Also write the thumbnail to this file.
        #[arg(long)]
        thumb: Option<PathBuf>,
    },
}

pub fn run(cmd: PhotoCommand) -> CliResult {
    match cmd {
        PhotoCommand::Prepare { input, output, max_edge, quality, thumb } => {
            let options = PhotoOptions { max_edge, quality, ..PhotoOptions::default() };
            let bytes = read_input(&input, &options)?;
            let prepared = photo::prepare(&bytes, &options).map_err(|e| match e {
                PhotoError::Encode { .. } => CliError::failure(e.to_string()),
                _ => CliError::input(format!("{}: {e}", input.display())),
            })?;
            write_file(&output, &prepared.bytes)?;
            if let Some(thumb) = &thumb {
                write_file(thumb, &prepared.thumbnail.bytes)?;
            }
            println!("{}", summary(&prepared));
            Ok(())
        }
    }
}

/// The input file, refusing an oversized one from its length before reading it.
fn read_input(path: &Path, options: &PhotoOptions) -> Result<Vec<u8>, CliError> {
    let cannot_read = |e: std::io::Error| CliError::input(format!("cannot read {}: {e}", path.display()));
    let size = std::fs::metadata(path).map_err(cannot_read)?.len();
    if size > options.max_input_bytes {
        let error = PhotoError::TooLarge { size, max: options.max_input_bytes };
        return Err(CliError::input(format!("{}: {error}", path.display())));
    }
    std::fs::read(path).map_err(cannot_read)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    std::fs::write(path, bytes)
        .map_err(|e| CliError::failure(format!("cannot write {}: {e}", path.display())))
}

fn summary(prepared: &PreparedPhoto) -> serde_json::Value {
    json!({
        "source_format": prepared.source_format,
        "width": prepared.width,
        "height": prepared.height,
        "bytes": prepared.bytes.len(),
        "sha256": prepared.sha256,
        "thumbnail": {
            "width": prepared.thumbnail.width,
            "height": prepared.thumbnail.height,
            "bytes": prepared.thumbnail.bytes.len(),
        },
        "metadata": prepared.metadata,
    })
}
