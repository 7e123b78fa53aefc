//! The evidence-photo pipeline: turn the bytes a phone camera produced into an upright, resized,
//! metadata-free JPEG plus a thumbnail, and pull out the capture metadata (position, time,
//! camera) as plain report fields.
//!
//! The same code runs on the phone before upload and on the server on receipt, so both sides
//! produce and verify the same thing:
//!
//! - [`prepare`]: JPEG, PNG or WebP in; an oriented, resized JPEG with no EXIF, XMP, IPTC, ICC
//!   profile or comment out, with its SHA-256, a thumbnail and the [`CaptureMetadata`].
//! - [`verify`]: the server checks that the bytes it stored are the ones the phone prepared.
//! - [`check_geotag`]: does the photo's own geotag agree with where and when the device says it
//!   was? The server flags a mismatch on the case; it does not reject the report.
//!
//! Limits ([`PhotoOptions::max_input_bytes`], [`PhotoOptions::max_pixels`]) are checked before
//! any pixel buffer is allocated, from the file size and the declared image header.

mod decode;
mod encode;
mod format;
mod geotag;
mod metadata;
mod transform;

#[cfg(test)]
mod tests;

use sha2::{Digest, Sha256};

pub use format::SourceFormat;
pub use geotag::{DeviceFix, GeoTagPolicy, GeoTagVerdict, check_geotag};
pub use metadata::{CaptureMetadata, CaptureTime};

/// Default long edge of the prepared photo, in pixels.
pub const DEFAULT_MAX_EDGE: u32 = 1600;
/// Default JPEG quality of the prepared photo and its thumbnail.
pub const DEFAULT_QUALITY: u8 = 80;
/// Default long edge of the thumbnail, in pixels.
pub const DEFAULT_THUMBNAIL_EDGE: u32 = 320;
/// Default largest accepted input: 25 MiB.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 25 * 1024 * 1024;
/// Default largest accepted declared image size: 50 megapixels.
pub const DEFAULT_MAX_PIXELS: u64 = 50_000_000;

/// Largest edge a JPEG can carry (the frame header stores 16-bit sizes).
const JPEG_MAX_EDGE: u32 = u16::MAX as u32;

/// Why a photo was refused. The variants are the cases an app branches on: convert the format
/// first, pick a smaller photo, or give up on a broken file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    /// Not JPEG, PNG or WebP. `found` names what the bytes look like (`"HEIC"`, `"GIF"`, ...)
    /// so an app can convert first.
    #[error("unsupported photo format: expected JPEG, PNG or WebP, found {found}")]
    UnsupportedFormat { found: String },
    /// The input file is larger than [`PhotoOptions::max_input_bytes`].
    #[error("photo is {size} bytes, more than the limit of {max} bytes")]
    TooLarge { size: u64, max: u64 },
    /// The header declares more pixels than [`PhotoOptions::max_pixels`].
    #[error("photo declares {width}x{height} pixels, more than the limit of {max} pixels")]
    TooManyPixels { width: u64, height: u64, max: u64 },
    /// Empty, truncated or otherwise undecodable bytes.
    #[error("photo cannot be decoded: {reason}")]
    Corrupt { reason: String },
    /// The options themselves are out of range.
    #[error("invalid photo options: {reason}")]
    InvalidOptions { reason: String },
    /// The bytes do not have the expected SHA-256.
    #[error("photo SHA-256 mismatch: expected {expected}, found {found}")]
    HashMismatch { expected: String, found: String },
    /// The expected SHA-256 is not 64 hexadecimal digits.
    #[error("expected SHA-256 must be 64 hexadecimal digits, found {found_len} characters")]
    MalformedSha256 { found_len: usize },
    /// Re-encoding failed; the decoded pixels were fine, so this is a bug, not bad input.
    #[error("photo could not be encoded: {reason}")]
    Encode { reason: String },
}

pub type Result<T> = std::result::Result<T, PhotoError>;

/// How to prepare a photo. `PhotoOptions::default()` is what the phone and the server use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoOptions {
    /// The long edge of the output is at most this many pixels; smaller photos are never
    /// upscaled. 1..=65535.
    pub max_edge: u32,
    /// JPEG quality of the output and the thumbnail, 1..=100.
    pub quality: u8,
    /// The long edge of the thumbnail, 1..=65535; never larger than the output itself.
    pub thumbnail_edge: u32,
    /// Inputs larger than this are refused before anything is decoded.
    pub max_input_bytes: u64,
    /// Inputs whose header declares more pixels than this are refused before decoding.
    pub max_pixels: u64,
}

impl Default for PhotoOptions {
    fn default() -> Self {
        Self {
            max_edge: DEFAULT_MAX_EDGE,
            quality: DEFAULT_QUALITY,
            thumbnail_edge: DEFAULT_THUMBNAIL_EDGE,
            max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
            max_pixels: DEFAULT_MAX_PIXELS,
        }
    }
}

impl PhotoOptions {
    fn validate(&self) -> Result<()> {
        let edge_ok = |edge: u32| (1..=JPEG_MAX_EDGE).contains(&edge);
        if !edge_ok(self.max_edge) {
            return Err(invalid_options(format!("max_edge must be 1..=65535, got {}", self.max_edge)));
        }
        if !edge_ok(self.thumbnail_edge) {
            return Err(invalid_options(format!(
                "thumbnail_edge must be 1..=65535, got {}",
                self.thumbnail_edge
            )));
        }
        if !(1..=100).contains(&self.quality) {
            return Err(invalid_options(format!("quality must be 1..=100, got {}", self.quality)));
        }
        Ok(())
    }
}

fn invalid_options(reason: String) -> PhotoError {
    PhotoError::InvalidOptions { reason }
}

/// A small JPEG preview of the prepared photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// The result of [`prepare`]: the upright, resized, metadata-free JPEG and what was read from
/// the original before its metadata was dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedPhoto {
    /// The output JPEG (JFIF, baseline, no APPn segment but APP0, no comment).
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// SHA-256 of `bytes`, lowercase hexadecimal.
    pub sha256: String,
    pub thumbnail: Thumbnail,
    /// What the original's EXIF said; all `None` when it had none.
    pub metadata: CaptureMetadata,
    /// The format of the original.
    pub source_format: SourceFormat,
}

/// Prepare a camera photo for upload or storage: check the limits, read the capture metadata,
/// decode (at reduced scale for large JPEGs), resize to `options.max_edge`, turn it upright,
/// and re-encode as a JPEG that carries no metadata at all.
pub fn prepare(bytes: &[u8], options: &PhotoOptions) -> Result<PreparedPhoto> {
    options.validate()?;
    let size = bytes.len() as u64;
    if size > options.max_input_bytes {
        return Err(PhotoError::TooLarge { size, max: options.max_input_bytes });
    }
    if bytes.is_empty() {
        return Err(PhotoError::Corrupt { reason: "the input is empty (0 bytes)".into() });
    }
    let source_format = format::detect(bytes)?;
    let metadata = metadata::read(bytes);
    let decoded = decode::decode(bytes, source_format, options)?;
    let fitted = transform::fit_within(decoded, options.max_edge)?;
    let upright = transform::orient(fitted, metadata.orientation)?;

    let thumbnail_pixels = transform::fit_within(upright.clone(), options.thumbnail_edge)?;
    let thumbnail = Thumbnail {
        bytes: encode::jpeg(&thumbnail_pixels, options.quality)?,
        width: thumbnail_pixels.width,
        height: thumbnail_pixels.height,
    };
    let output = encode::jpeg(&upright, options.quality)?;
    Ok(PreparedPhoto {
        sha256: sha256_hex(&output),
        bytes: output,
        width: upright.width,
        height: upright.height,
        thumbnail,
        metadata,
        source_format,
    })
}

/// Check that `bytes` hash to `expected_sha256` (64 hex digits, either case): the server's
/// proof that what it stored is what the phone prepared.
pub fn verify(bytes: &[u8], expected_sha256: &str) -> Result<()> {
    let expected = expected_sha256.trim();
    if expected.len() != 64 || !expected.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(PhotoError::MalformedSha256 { found_len: expected.len() });
    }
    let found = sha256_hex(bytes);
    if found.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        Err(PhotoError::HashMismatch { expected: expected.to_ascii_lowercase(), found })
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
