//! Pixels to a baseline JFIF JPEG with `jpeg-encoder`. The encoder writes only SOI, APP0 (JFIF),
//! tables, frame, scan and EOI: no EXIF, XMP, IPTC, ICC profile or comment can reach the output,
//! because none is ever handed to it.

use jpeg_encoder::{ColorType, Encoder};

use super::transform::{Channels, Pixels};
use super::{PhotoError, Result};

/// `pixels` as a JPEG at `quality` (1..=100).
pub(super) fn jpeg(pixels: &Pixels, quality: u8) -> Result<Vec<u8>> {
    let too_large = || PhotoError::Encode {
        reason: format!("{}x{} exceeds the JPEG limit of 65535 pixels a side", pixels.width, pixels.height),
    };
    let width = u16::try_from(pixels.width).map_err(|_| too_large())?;
    let height = u16::try_from(pixels.height).map_err(|_| too_large())?;
    let color = match pixels.channels {
        Channels::Gray => ColorType::Luma,
        Channels::Rgb => ColorType::Rgb,
    };
    // Roughly 1.5 bits a pixel at the default quality; avoids regrowing the buffer.
    let mut output = Vec::with_capacity(pixels.width as usize * pixels.height as usize / 4 + 1024);
    Encoder::new(&mut output, quality)
        .encode(&pixels.data, width, height, color)
        .map_err(|e| PhotoError::Encode { reason: e.to_string() })?;
    Ok(output)
}
