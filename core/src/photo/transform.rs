//! Geometry on decoded pixels: shrink to fit a long edge (Lanczos-3, SIMD via
//! `fast_image_resize`) and apply the EXIF orientation so the result is upright.

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::metadata::Orientation;
use image::{DynamicImage, GrayImage, RgbImage};

use super::{PhotoError, Result};

/// The colour layouts the pipeline carries: 8-bit gray or 8-bit RGB, tightly packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Channels {
    Gray,
    Rgb,
}

impl Channels {
    pub(super) fn count(self) -> usize {
        match self {
            Channels::Gray => 1,
            Channels::Rgb => 3,
        }
    }

    fn resize_pixel_type(self) -> PixelType {
        match self {
            Channels::Gray => PixelType::U8,
            Channels::Rgb => PixelType::U8x3,
        }
    }
}

/// A decoded image, rows top to bottom, no padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pixels {
    pub width: u32,
    pub height: u32,
    pub channels: Channels,
    pub data: Vec<u8>,
}

/// The size of a `width` x `height` image shrunk (never grown) so its long edge is at most
/// `max_edge`, keeping the aspect ratio; neither side drops below one pixel.
pub(super) fn fitted_size(width: u32, height: u32, max_edge: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= max_edge {
        return (width, height);
    }
    let scale = |side: u32| {
        let scaled = (u64::from(side) * u64::from(max_edge) + u64::from(long) / 2) / u64::from(long);
        u32::try_from(scaled).unwrap_or(max_edge).clamp(1, max_edge)
    };
    (scale(width), scale(height))
}

fn resize_failed(reason: impl std::fmt::Display) -> PhotoError {
    PhotoError::Encode { reason: format!("resize failed: {reason}") }
}

/// `pixels` shrunk with Lanczos-3 to fit `max_edge`; returned as is when it already fits.
pub(super) fn fit_within(pixels: Pixels, max_edge: u32) -> Result<Pixels> {
    let (width, height) = fitted_size(pixels.width, pixels.height, max_edge);
    if (width, height) == (pixels.width, pixels.height) {
        return Ok(pixels);
    }
    let pixel_type = pixels.channels.resize_pixel_type();
    let source =
        Image::from_vec_u8(pixels.width, pixels.height, pixels.data, pixel_type).map_err(resize_failed)?;
    let mut target = Image::new(width, height, pixel_type);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new().resize(&source, &mut target, &options).map_err(resize_failed)?;
    Ok(Pixels { width, height, channels: pixels.channels, data: target.into_vec() })
}

/// `pixels` turned upright according to the EXIF `orientation` (1..=8; anything else is 1).
pub(super) fn orient(pixels: Pixels, orientation: Option<u8>) -> Result<Pixels> {
    let Some(orientation) = orientation.and_then(Orientation::from_exif) else { return Ok(pixels) };
    if orientation == Orientation::NoTransforms {
        return Ok(pixels);
    }
    let Pixels { width, height, channels, data } = pixels;
    let image = match channels {
        Channels::Gray => GrayImage::from_raw(width, height, data).map(DynamicImage::ImageLuma8),
        Channels::Rgb => RgbImage::from_raw(width, height, data).map(DynamicImage::ImageRgb8),
    };
    let mut image = image.ok_or_else(|| PhotoError::Encode {
        reason: format!("pixel buffer shorter than {width}x{height} before orientation"),
    })?;
    image.apply_orientation(orientation);
    let (width, height) = (image.width(), image.height());
    let data = match image {
        DynamicImage::ImageLuma8(gray) => gray.into_raw(),
        other => other.into_rgb8().into_raw(),
    };
    Ok(Pixels { width, height, channels, data })
}
