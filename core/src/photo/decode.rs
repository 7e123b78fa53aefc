//! Bytes to pixels, with the pixel limit checked from the header before the pixel buffer is
//! allocated. Large JPEGs are decoded at 1/2, 1/4 or 1/8 scale in the DCT domain
//! (`jpeg-decoder`'s reduced IDCT), which is several times faster than decoding in full and then
//! shrinking; PNG and WebP go through the `image` crate under its allocation limits.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use jpeg_decoder::PixelFormat;

use super::format::SourceFormat;
use super::transform::{Channels, Pixels, fitted_size};
use super::{PhotoError, PhotoOptions, Result};

/// Pixels of `bytes`, at least as large as the output will be (so the resize that follows only
/// ever shrinks) but no larger than needed when the format allows decoding at reduced scale.
pub(super) fn decode(bytes: &[u8], format: SourceFormat, options: &PhotoOptions) -> Result<Pixels> {
    match format {
        SourceFormat::Jpeg => decode_jpeg(bytes, options),
        SourceFormat::Png => decode_with_image(bytes, ImageFormat::Png, options),
        SourceFormat::Webp => decode_with_image(bytes, ImageFormat::WebP, options),
    }
}

fn corrupt(reason: impl std::fmt::Display) -> PhotoError {
    PhotoError::Corrupt { reason: reason.to_string() }
}

/// Refuse an empty or oversized declared image before anything is allocated for it.
fn check_declared_size(width: u32, height: u32, options: &PhotoOptions) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(corrupt(format!("the header declares an empty image ({width}x{height})")));
    }
    let (width, height) = (u64::from(width), u64::from(height));
    if width * height > options.max_pixels {
        return Err(PhotoError::TooManyPixels { width, height, max: options.max_pixels });
    }
    Ok(())
}

/// Bytes a decoder may hold for an image of at most `max_pixels`, at four bytes a pixel.
fn allocation_budget(options: &PhotoOptions) -> u64 {
    options.max_pixels.saturating_mul(4)
}

fn decode_jpeg(bytes: &[u8], options: &PhotoOptions) -> Result<Pixels> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.set_max_decoding_buffer_size(usize::try_from(allocation_budget(options)).unwrap_or(usize::MAX));
    decoder.read_info().map_err(corrupt)?;
    let info = decoder.info().ok_or_else(|| corrupt("the JPEG has no frame header"))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    check_declared_size(width, height, options)?;

    let (target_width, target_height) = fitted_size(width, height, options.max_edge);
    // Both fit in u16: they are no larger than the JPEG's own 16-bit size.
    let request =
        (u16::try_from(target_width).unwrap_or(u16::MAX), u16::try_from(target_height).unwrap_or(u16::MAX));
    let (scaled_width, scaled_height) = decoder.scale(request.0, request.1).map_err(corrupt)?;
    let data = decoder.decode().map_err(corrupt)?;
    let (width, height) = (u32::from(scaled_width), u32::from(scaled_height));

    let pixel_count = width as usize * height as usize;
    let (channels, mut data) = match info.pixel_format {
        PixelFormat::L8 => (Channels::Gray, data),
        // Big-endian 16-bit samples: the high byte is the 8-bit value.
        PixelFormat::L16 => (Channels::Gray, data.chunks_exact(2).map(|s| s[0]).collect()),
        PixelFormat::RGB24 => (Channels::Rgb, data),
        PixelFormat::CMYK32 => (Channels::Rgb, cmyk_to_rgb(&data)),
    };
    if data.len() < pixel_count * channels.count() {
        return Err(corrupt("the JPEG decoder returned fewer pixels than the frame declares"));
    }
    data.truncate(pixel_count * channels.count());
    Ok(Pixels { width, height, channels, data })
}

/// Three channels from four, each colour channel combined with the fourth by `mix(colour, fourth)`.
fn four_to_three(pixels: &[u8], mix: impl Fn(u16, u16) -> u16) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(pixels.len() / 4 * 3);
    for px in pixels.chunks_exact(4) {
        let fourth = u16::from(px[3]);
        rgb.extend(px[..3].iter().map(|&c| mix(u16::from(c), fourth) as u8));
    }
    rgb
}

/// `jpeg-decoder` undoes Adobe's inverted storage and hands back plain CMYK, 0 meaning no ink:
/// each RGB value is what the colour ink and the black ink both leave of white.
pub(super) fn cmyk_to_rgb(cmyk: &[u8]) -> Vec<u8> {
    four_to_three(cmyk, |ink, black| ((255 - ink) * (255 - black) + 127) / 255)
}

/// The size a PNG declares in its IHDR chunk, which the signature says comes first.
fn png_declared_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let ihdr = bytes.get(12..24)?;
    if &ihdr[..4] != b"IHDR" {
        return None;
    }
    let width = u32::from_be_bytes([ihdr[4], ihdr[5], ihdr[6], ihdr[7]]);
    let height = u32::from_be_bytes([ihdr[8], ihdr[9], ihdr[10], ihdr[11]]);
    Some((width, height))
}

/// The canvas size a WebP declares in its first chunk: VP8X (extended), VP8L (lossless) or
/// VP8 (lossy).
fn webp_declared_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let fourcc = bytes.get(12..16)?;
    let payload = bytes.get(20..)?;
    let le24 = |b: &[u8]| u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16;
    match fourcc {
        b"VP8X" => {
            let header = payload.get(..10)?;
            Some((le24(&header[4..7]) + 1, le24(&header[7..10]) + 1))
        }
        b"VP8L" => {
            let header = payload.get(..5)?;
            if header[0] != 0x2F {
                return None;
            }
            let bits = u32::from_le_bytes([header[1], header[2], header[3], header[4]]);
            Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8 " => {
            let header = payload.get(..10)?;
            if header[3..6] != [0x9D, 0x01, 0x2A] {
                return None;
            }
            let side = |lo: u8, hi: u8| u32::from(u16::from_le_bytes([lo, hi]) & 0x3FFF);
            Some((side(header[6], header[7]), side(header[8], header[9])))
        }
        _ => None,
    }
}

fn decode_with_image(bytes: &[u8], format: ImageFormat, options: &PhotoOptions) -> Result<Pixels> {
    // Judge the declared size ourselves first, so an oversized image is reported as such rather
    // than as whichever allocation limit the decoder trips over.
    let declared = match format {
        ImageFormat::Png => png_declared_size(bytes).ok_or_else(|| corrupt("the PNG has no IHDR header"))?,
        _ => webp_declared_size(bytes).ok_or_else(|| corrupt("the WebP has no VP8, VP8L or VP8X header"))?,
    };
    check_declared_size(declared.0, declared.1, options)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(allocation_budget(options).saturating_mul(2));
    reader.limits(limits);
    let decoder = reader.into_decoder().map_err(corrupt)?;
    let (width, height) = decoder.dimensions();
    check_declared_size(width, height, options)?;
    let image = DynamicImage::from_decoder(decoder).map_err(corrupt)?;

    let has_alpha = image.color().has_alpha();
    let is_gray = !image.color().has_color();
    let (channels, data) = match (is_gray, has_alpha) {
        (true, false) => (Channels::Gray, image.into_luma8().into_raw()),
        (false, false) => (Channels::Rgb, image.into_rgb8().into_raw()),
        (_, true) => (Channels::Rgb, flatten_over_white(&image.into_rgba8().into_raw())),
    };
    Ok(Pixels { width, height, channels, data })
}

/// A JPEG has no transparency: composite over white, as a viewer shows a transparent PNG.
pub(super) fn flatten_over_white(rgba: &[u8]) -> Vec<u8> {
    four_to_three(rgba, |c, alpha| (c * alpha + 255 * (255 - alpha) + 127) / 255)
}
