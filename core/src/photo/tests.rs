//! Unit tests of the photo pipeline internals: output sizes, format sniffing and the pixel
//! conversions that the integration tests (core/tests/photo.rs) only reach indirectly.

use super::decode::{cmyk_to_rgb, flatten_over_white};
use super::format::{SourceFormat, detect};
use super::transform::{Channels, Pixels, fit_within, fitted_size, orient};
use super::{PhotoError, PhotoOptions};

#[test]
fn fitted_size_shrinks_the_long_edge_and_keeps_the_aspect_ratio() {
    assert_eq!(fitted_size(4000, 3000, 1600), (1600, 1200));
    assert_eq!(fitted_size(3000, 4000, 1600), (1200, 1600));
    assert_eq!(fitted_size(1600, 900, 1600), (1600, 900));
    assert_eq!(fitted_size(800, 600, 1600), (800, 600), "never upscales");
    assert_eq!(fitted_size(300, 200, 100), (100, 67), "rounds to nearest");
    assert_eq!(fitted_size(65_535, 1, 320), (320, 1), "a sliver keeps one pixel");
}

#[test]
fn format_is_detected_from_magic_numbers() {
    assert_eq!(detect(&[0xFF, 0xD8, 0xFF, 0xE0]), Ok(SourceFormat::Jpeg));
    assert_eq!(detect(&[0xFF, 0xD8]), Ok(SourceFormat::Jpeg), "a cut JPEG is corrupt later, not unsupported");
    assert_eq!(detect(b"\x89PNG\r\n\x1a\n\0\0"), Ok(SourceFormat::Png));
    assert_eq!(detect(b"RIFF\x10\0\0\0WEBPVP8 "), Ok(SourceFormat::Webp));
    let found = |bytes: &[u8]| match detect(bytes) {
        Err(PhotoError::UnsupportedFormat { found }) => found,
        other => panic!("expected unsupported, got {other:?}"),
    };
    assert_eq!(found(b"\0\0\0\x18ftypheix\0\0\0\0"), "HEIC");
    assert_eq!(found(b"\0\0\0\x18ftypmsf1\0\0\0\0"), "HEIF");
    assert_eq!(found(b"II*\0\x08\0\0\0"), "TIFF");
    assert_eq!(found(b"BM\0\0"), "BMP");
    assert_eq!(found(b"RIFF\0\0\0\0WAVE"), "RIFF container (not WebP)");
    assert_eq!(found(b"\x89PN"), "unknown");
}

#[test]
fn cmyk_and_alpha_conversions() {
    // Plain CMYK, 0 meaning no ink: none is white, full magenta and yellow is red, K is black.
    assert_eq!(
        cmyk_to_rgb(&[0, 0, 0, 0, 0, 255, 255, 0, 10, 20, 30, 255, 0, 0, 0, 128]),
        vec![255, 255, 255, 255, 0, 0, 0, 0, 0, 127, 127, 127]
    );
    // Transparent becomes white, opaque keeps its colour, half-transparent black is mid grey.
    assert_eq!(
        flatten_over_white(&[0, 0, 0, 0, 10, 20, 30, 255, 0, 0, 0, 128]),
        vec![255, 255, 255, 10, 20, 30, 127, 127, 127]
    );
}

#[test]
fn orientation_six_turns_a_landscape_buffer_into_portrait() {
    // Stored 3 x 2: a b c / d e f. Orientation 6 means "rotate 90 degrees clockwise to view".
    let stored = Pixels { width: 3, height: 2, channels: Channels::Gray, data: vec![1, 2, 3, 4, 5, 6] };
    let upright = orient(stored.clone(), Some(6)).unwrap();
    assert_eq!((upright.width, upright.height), (2, 3));
    assert_eq!(upright.data, vec![4, 1, 5, 2, 6, 3]);
    assert_eq!(orient(stored.clone(), Some(1)).unwrap(), stored);
    assert_eq!(orient(stored.clone(), None).unwrap(), stored);
}

#[test]
fn fit_within_resizes_gray_and_rgb_buffers() {
    let gray = Pixels { width: 40, height: 20, channels: Channels::Gray, data: vec![100; 800] };
    let small = fit_within(gray, 10).unwrap();
    assert_eq!((small.width, small.height, small.data.len()), (10, 5, 50));
    assert!(small.data.iter().all(|&v| v == 100), "a flat image stays flat");
    let rgb = Pixels { width: 4, height: 4, channels: Channels::Rgb, data: vec![9; 48] };
    assert_eq!(fit_within(rgb.clone(), 16).unwrap(), rgb, "never upscales");
}

#[test]
fn default_options_match_the_issue() {
    let options = PhotoOptions::default();
    assert_eq!(options.max_edge, 1600);
    assert_eq!(options.quality, 80);
    assert_eq!(options.thumbnail_edge, 320);
    assert_eq!(options.max_input_bytes, 25 * 1024 * 1024);
    assert_eq!(options.max_pixels, 50_000_000);
}
