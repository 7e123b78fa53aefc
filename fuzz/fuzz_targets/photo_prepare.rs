//! Fuzz target: `photo::prepare` on arbitrary bytes must return `Ok` or an error, never panic,
//! abort or exhaust memory. A successful result must be a metadata-free JPEG within the limits.
#![no_main]

use gridline_core::photo::{PhotoOptions, prepare, verify};
use libfuzzer_sys::fuzz_target;

/// Small enough that a bomb the limit lets through still fits libFuzzer's 2 GiB RSS cap.
const FUZZ_MAX_PIXELS: u64 = 4_000_000;

fuzz_target!(|data: &[u8]| {
    let options = PhotoOptions {
        max_pixels: FUZZ_MAX_PIXELS,
        max_edge: 256,
        thumbnail_edge: 64,
        ..PhotoOptions::default()
    };
    if let Ok(prepared) = prepare(data, &options) {
        assert!(prepared.width.max(prepared.height) <= options.max_edge);
        assert!(prepared.thumbnail.width.max(prepared.thumbnail.height) <= options.thumbnail_edge);
        assert!(prepared.bytes.starts_with(&[0xFF, 0xD8, 0xFF, 0xE0]), "output starts with SOI + JFIF APP0");
        assert!(verify(&prepared.bytes, &prepared.sha256).is_ok());
    }
});
