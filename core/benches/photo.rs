//! Speed of the evidence-photo pipeline on a typical phone photo: a 4000 x 3000 JPEG with full
//! EXIF (GPS, time, camera, orientation), prepared with the default options (long edge 1600,
//! quality 80, thumbnail 320).
//!
//! The input is generated here, textured like a photo so the decoder does real work, and also
//! written to `$CARGO_TARGET_TMPDIR/photo-bench-4000x3000.jpg` so scripts/bench-photo can run
//! ImageMagick and the `gridline photo prepare` CLI on the very same file.
//!
//! Run: `cargo bench -p gridline-core --bench photo` (or scripts/bench-photo for the comparison).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/photo_support/mod.rs"]
mod photo_support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use gridline_core::photo::{PhotoOptions, prepare};
use photo_support::{CameraExif, jpeg_with_exif};

const WIDTH: u32 = 4000;
const HEIGHT: u32 = 3000;

/// A deterministic photo-like picture: smooth gradients for sky and walls, plus fine
/// pseudo-random texture so the JPEG has realistic entropy (about 1 to 2 bits a pixel).
fn photo_like_pixels() -> Vec<u8> {
    let mut rgb = Vec::with_capacity((WIDTH * HEIGHT * 3) as usize);
    let mut noise: u32 = 0x9E37_79B9;
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            noise ^= noise << 13;
            noise ^= noise >> 17;
            noise ^= noise << 5;
            let grain = (noise & 0x1F) as i32 - 16;
            let stripes = if (x / 37 + y / 53) % 2 == 0 { 25 } else { -25 };
            let r = (x * 200 / WIDTH) as i32 + 30 + grain + stripes;
            let g = (y * 180 / HEIGHT) as i32 + 40 + grain;
            let b = ((x + y) * 150 / (WIDTH + HEIGHT)) as i32 + 60 + grain - stripes;
            rgb.extend([r, g, b].map(|v| v.clamp(0, 255) as u8));
        }
    }
    rgb
}

fn bench_prepare(c: &mut Criterion) {
    let exif = CameraExif { orientation: Some(1), ..CameraExif::default() };
    let input = jpeg_with_exif(&photo_like_pixels(), WIDTH, HEIGHT, &exif.tiff());
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("photo-bench-4000x3000.jpg");
    std::fs::write(&path, &input).unwrap();
    eprintln!("photo bench input: {} ({} bytes)", path.display(), input.len());

    let options = PhotoOptions::default();
    let mut group = c.benchmark_group("photo");
    group.sample_size(20).measurement_time(Duration::from_secs(8));
    group.bench_function("prepare_4000x3000_jpeg_default_options", |b| {
        b.iter(|| prepare(black_box(&input), black_box(&options)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench_prepare);
criterion_main!(benches);
