//! Which image format a byte string holds, judged from its magic numbers alone, so an
//! unsupported format (HEIC from an iPhone, say) is named in the error before any decoder runs.

use serde::{Deserialize, Serialize};

use super::{PhotoError, Result};

/// The formats [`super::prepare`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    Jpeg,
    Png,
    Webp,
}

impl SourceFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Jpeg => "jpeg",
            SourceFormat::Png => "png",
            SourceFormat::Webp => "webp",
        }
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The accepted format of `bytes`, or [`PhotoError::UnsupportedFormat`] naming what was found.
pub(super) fn detect(bytes: &[u8]) -> Result<SourceFormat> {
    // SOI alone is enough: a JPEG cut right after it is corrupt, not of another format.
    if bytes.starts_with(&[0xFF, 0xD8]) {
        return Ok(SourceFormat::Jpeg);
    }
    if bytes.starts_with(PNG_SIGNATURE) {
        return Ok(SourceFormat::Png);
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Ok(SourceFormat::Webp);
    }
    Err(PhotoError::UnsupportedFormat { found: name_unsupported(bytes).to_string() })
}

/// A human name for a format we do not decode.
fn name_unsupported(bytes: &[u8]) -> &'static str {
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return match &bytes[8..12] {
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"hevm" | b"hevs" => "HEIC",
            b"mif1" | b"msf1" | b"heif" => "HEIF",
            b"avif" | b"avis" => "AVIF",
            b"qt  " => "QuickTime video",
            _ => "ISO media (MP4 family)",
        };
    }
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"GIF87a") || starts(b"GIF89a") {
        "GIF"
    } else if starts(b"BM") {
        "BMP"
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        "TIFF"
    } else if starts(&[0xFF, 0x0A]) || starts(b"\0\0\0\x0cJXL \r\n\x87\n") {
        "JPEG XL"
    } else if starts(b"%PDF") {
        "PDF"
    } else if bytes.len() >= 4 && &bytes[0..4] == b"RIFF" {
        "RIFF container (not WebP)"
    } else {
        "unknown"
    }
}
