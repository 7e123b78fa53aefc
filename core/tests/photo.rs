//! The evidence-photo pipeline end to end: metadata never survives, every EXIF orientation
//! comes out upright, capture metadata is read correctly, limits hold, hostile input is refused
//! with an error rather than a panic, and the geotag check and hash verification decide right.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod photo_support;

use chrono::{FixedOffset, NaiveDate, TimeDelta, TimeZone};
use gridline_core::geo::GeoPoint;
use gridline_core::photo::{
    self, CaptureMetadata, CaptureTime, DeviceFix, GeoTagPolicy, GeoTagVerdict, PhotoError, PhotoOptions,
    SourceFormat, check_geotag, prepare, verify,
};
use photo_support::*;

fn decode_rgb(jpeg: &[u8]) -> image::RgbImage {
    image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg).unwrap().into_rgb8()
}

fn camera_jpeg(width: u32, height: u32, exif: &CameraExif) -> Vec<u8> {
    jpeg_with_exif(&quadrants(width, height), width, height, &exif.tiff())
}

// --- Metadata is stripped ---------------------------------------------------------------------

#[test]
fn output_and_thumbnail_carry_no_metadata_segment() {
    let mut source = camera_jpeg(640, 480, &CameraExif::default());
    // Decorate the input with every other kind of metadata a camera or editor may add.
    let extra = [
        (2u8, b"ICC_PROFILE\0\x01\x01fake-profile-with-device-id".to_vec()),
        (1u8, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>secret</x:xmpmeta>".to_vec()),
        (13u8, b"Photoshop 3.0\08BIM\x04\x04iptc".to_vec()),
    ];
    let with_extra = jpeg(&quadrants(640, 480), 640, 480, 92, &{
        let mut segments = vec![(1u8, app1_exif(&CameraExif::default().tiff()))];
        segments.extend(extra.iter().cloned());
        segments
    });
    // A comment segment too, spliced in after SOI.
    let mut commented = vec![0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x0E];
    commented.extend_from_slice(b"Owner: Zhang");
    commented.extend_from_slice(&with_extra[2..]);
    assert!(segments(&commented).iter().any(|s| s.marker == 0xFE), "fixture has a COM segment");
    assert!(segments(&commented).iter().any(|s| s.marker == 0xE2), "fixture has an APP2 segment");

    for input in [&mut source, &mut commented.clone()] {
        let prepared = prepare(input, &PhotoOptions::default()).unwrap();
        assert_no_metadata(&prepared.bytes);
        assert_no_metadata(&prepared.thumbnail.bytes);
        for needle in
            [&b"Gridline Test Phones"[..], b"Inspector 7", b"2026:05:01", b"Owner: Zhang", b"secret"]
        {
            assert!(!prepared.bytes.windows(needle.len()).any(|w| w == needle));
        }
        // What was stripped from the image is still returned as fields.
        assert_eq!(prepared.metadata.make.as_deref(), Some("Gridline Test Phones"));
    }
}

#[test]
fn png_and_webp_inputs_come_out_as_clean_jpegs() {
    let rgb = quadrants(200, 100);
    for (bytes, format) in
        [(png(&rgb, 200, 100), SourceFormat::Png), (webp(&rgb, 200, 100), SourceFormat::Webp)]
    {
        let prepared = prepare(&bytes, &PhotoOptions::default()).unwrap();
        assert_eq!(prepared.source_format, format);
        assert_eq!((prepared.width, prepared.height), (200, 100));
        assert_no_metadata(&prepared.bytes);
        let decoded = decode_rgb(&prepared.bytes);
        assert!(close(average_rgb(&decoded, 50, 25, 8), TOP_LEFT, 12));
        assert!(close(average_rgb(&decoded, 150, 75, 8), BOTTOM_RIGHT, 12));
        assert_eq!(prepared.metadata, CaptureMetadata::default());
    }
}

#[test]
fn transparent_png_is_flattened_onto_white() {
    let rgba = image::RgbaImage::from_pixel(40, 20, image::Rgba([0, 0, 0, 0]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    rgba.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    let prepared = prepare(bytes.get_ref(), &PhotoOptions::default()).unwrap();
    assert!(close(average_rgb(&decode_rgb(&prepared.bytes), 20, 10, 4), [255, 255, 255], 3));
}

// --- Orientation ------------------------------------------------------------------------------

#[test]
fn every_exif_orientation_comes_out_upright() {
    let (width, height) = (96, 48);
    let upright = quadrants(width, height);
    for orientation in 1..=8u16 {
        let (stored, sw, sh) = store_for_orientation(&upright, width, height, orientation);
        let exif = CameraExif { orientation: Some(orientation), ..CameraExif::default() };
        let input = jpeg_with_exif(&stored, sw, sh, &exif.tiff());
        let prepared = prepare(&input, &PhotoOptions::default()).unwrap();
        assert_eq!(prepared.metadata.orientation, Some(orientation as u8));
        assert_eq!((prepared.width, prepared.height), (width, height), "orientation {orientation}: size");
        let out = decode_rgb(&prepared.bytes);
        let quarter = |fx: u32, fy: u32| average_rgb(&out, width * fx / 4, height * fy / 4, 6);
        for (got, want, corner) in [
            (quarter(1, 1), TOP_LEFT, "top left"),
            (quarter(3, 1), TOP_RIGHT, "top right"),
            (quarter(1, 3), BOTTOM_LEFT, "bottom left"),
            (quarter(3, 3), BOTTOM_RIGHT, "bottom right"),
        ] {
            assert!(close(got, want, 16), "orientation {orientation}, {corner}: got {got:?}, want {want:?}");
        }
        // The thumbnail is upright too.
        let (tw, th) = (prepared.thumbnail.width, prepared.thumbnail.height);
        assert_eq!((tw, th), (width, height), "the thumbnail never upscales");
    }
}

#[test]
fn rotated_large_photo_is_resized_on_its_long_edge_and_thumbnailed() {
    let (stored, sw, sh) = store_for_orientation(&quadrants(2400, 1200), 2400, 1200, 6);
    let exif = CameraExif { orientation: Some(6), ..CameraExif::default() };
    let prepared = prepare(&jpeg_with_exif(&stored, sw, sh, &exif.tiff()), &PhotoOptions::default()).unwrap();
    assert_eq!((prepared.width, prepared.height), (1600, 800));
    assert_eq!((prepared.thumbnail.width, prepared.thumbnail.height), (320, 160));
    let thumb = decode_rgb(&prepared.thumbnail.bytes);
    assert!(close(average_rgb(&thumb, 80, 40, 8), TOP_LEFT, 16));
    assert!(close(average_rgb(&thumb, 240, 120, 8), BOTTOM_RIGHT, 16));
}

// --- Resizing and encoding --------------------------------------------------------------------

#[test]
fn small_photos_are_never_upscaled_and_options_are_honoured() {
    let input = camera_jpeg(300, 200, &CameraExif::default());
    let prepared = prepare(&input, &PhotoOptions::default()).unwrap();
    assert_eq!((prepared.width, prepared.height), (300, 200));

    let options = PhotoOptions { max_edge: 100, quality: 50, thumbnail_edge: 30, ..PhotoOptions::default() };
    let small = prepare(&input, &options).unwrap();
    assert_eq!((small.width, small.height), (100, 67));
    assert_eq!((small.thumbnail.width, small.thumbnail.height), (30, 20));
    let decoded = decode_rgb(&small.bytes);
    assert_eq!(decoded.dimensions(), (100, 67));
}

#[test]
fn large_jpeg_decoded_at_reduced_scale_keeps_its_picture() {
    // 4000 x 3000 is decoded at 1/2 scale, then resized to 1600 x 1200.
    let input = camera_jpeg(4000, 3000, &CameraExif::default());
    let prepared = prepare(&input, &PhotoOptions::default()).unwrap();
    assert_eq!((prepared.width, prepared.height), (1600, 1200));
    let out = decode_rgb(&prepared.bytes);
    assert!(close(average_rgb(&out, 400, 300, 16), TOP_LEFT, 12));
    assert!(close(average_rgb(&out, 1200, 300, 16), TOP_RIGHT, 12));
    assert!(close(average_rgb(&out, 400, 900, 16), BOTTOM_LEFT, 12));
    assert!(close(average_rgb(&out, 1200, 900, 16), BOTTOM_RIGHT, 12));
    // The quadrant boundary stays where it was: sharp resampling, no shift from scaled decoding.
    assert!(close(average_rgb(&out, 790, 300, 4), TOP_LEFT, 20));
    assert!(close(average_rgb(&out, 810, 300, 4), TOP_RIGHT, 20));
}

#[test]
fn sha256_is_of_the_output_and_verify_checks_it() {
    let prepared = prepare(&camera_jpeg(64, 64, &CameraExif::default()), &PhotoOptions::default()).unwrap();
    assert_eq!(prepared.sha256.len(), 64);
    verify(&prepared.bytes, &prepared.sha256).unwrap();
    verify(&prepared.bytes, &prepared.sha256.to_uppercase()).unwrap();

    let mut tampered = prepared.bytes.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 1;
    match verify(&tampered, &prepared.sha256) {
        Err(PhotoError::HashMismatch { expected, found }) => {
            assert_eq!(expected, prepared.sha256);
            assert_ne!(found, prepared.sha256);
        }
        other => panic!("expected a mismatch, got {other:?}"),
    }
    assert_eq!(verify(&prepared.bytes, "abc"), Err(PhotoError::MalformedSha256 { found_len: 3 }));
    let not_hex = "z".repeat(64);
    assert_eq!(verify(&prepared.bytes, &not_hex), Err(PhotoError::MalformedSha256 { found_len: 64 }));
    // The empty-input hash is a known constant: proves it is SHA-256 and not another digest.
    verify(b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855").unwrap();
}

#[test]
fn preparing_the_same_input_twice_gives_identical_bytes() {
    let input = camera_jpeg(800, 600, &CameraExif::default());
    let first = prepare(&input, &PhotoOptions::default()).unwrap();
    let second = prepare(&input, &PhotoOptions::default()).unwrap();
    assert_eq!(first.sha256, second.sha256);
}

// --- Capture metadata -------------------------------------------------------------------------

#[test]
fn capture_metadata_is_read_from_exif_in_both_byte_orders() {
    for order in [Order::Little, Order::Big] {
        let exif = CameraExif { order, orientation: Some(3), ..CameraExif::default() };
        let metadata = prepare(&camera_jpeg(32, 32, &exif), &PhotoOptions::default()).unwrap().metadata;
        let position = metadata.position.expect("a position");
        assert!((position.lat() - 39.908_823).abs() < 1e-6, "lat {}", position.lat());
        assert!((position.lon() - 116.397_470).abs() < 1e-6, "lon {}", position.lon());
        assert_eq!(metadata.altitude_m, Some(44.5));
        let expected_local = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap().and_hms_opt(10, 15, 30).unwrap();
        let captured = metadata.captured_at.expect("a capture time");
        assert_eq!(captured.local, expected_local);
        assert_eq!(captured.utc_offset, FixedOffset::east_opt(8 * 3600));
        assert_eq!(metadata.orientation, Some(3));
        assert_eq!(metadata.make.as_deref(), Some("Gridline Test Phones"));
        assert_eq!(metadata.model.as_deref(), Some("Inspector 7"));
    }
}

#[test]
fn southern_western_and_below_sea_level_signs_are_applied() {
    let exif = CameraExif { gps: Some((-33.856_784, -70.651_5, -12.0)), ..CameraExif::default() };
    let metadata = prepare(&camera_jpeg(16, 16, &exif), &PhotoOptions::default()).unwrap().metadata;
    let position = metadata.position.unwrap();
    assert!((position.lat() + 33.856_784).abs() < 1e-6);
    assert!((position.lon() + 70.651_5).abs() < 1e-6);
    assert_eq!(metadata.altitude_m, Some(-12.0));
}

#[test]
fn photo_without_exif_has_empty_metadata_and_no_offset_means_none() {
    let bare = jpeg(&quadrants(16, 16), 16, 16, 90, &[]);
    assert_eq!(prepare(&bare, &PhotoOptions::default()).unwrap().metadata, CaptureMetadata::default());

    let exif = CameraExif { offset_time_original: None, gps: None, make: None, ..CameraExif::default() };
    let metadata = prepare(&camera_jpeg(16, 16, &exif), &PhotoOptions::default()).unwrap().metadata;
    assert_eq!(metadata.position, None);
    assert_eq!(metadata.altitude_m, None);
    assert_eq!(metadata.make, None);
    assert_eq!(metadata.model.as_deref(), Some("Inspector 7"));
    let captured = metadata.captured_at.unwrap();
    assert_eq!(captured.utc_offset, None);
    // Without its own offset, the capture time is read in the offset it is given.
    let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
    assert_eq!(captured.instant(beijing).unwrap(), beijing.with_ymd_and_hms(2026, 5, 1, 10, 15, 30).unwrap());
}

#[test]
fn zero_zero_position_and_blank_time_mean_no_fix() {
    let exif = CameraExif {
        gps: Some((0.0, 0.0, 0.0)),
        date_time_original: Some("    :  :     :  :  "),
        ..CameraExif::default()
    };
    let metadata = prepare(&camera_jpeg(16, 16, &exif), &PhotoOptions::default()).unwrap().metadata;
    assert_eq!(metadata.position, None);
    assert_eq!(metadata.captured_at, None);
}

#[test]
fn metadata_serializes_as_plain_json_fields() {
    let metadata =
        prepare(&camera_jpeg(16, 16, &CameraExif::default()), &PhotoOptions::default()).unwrap().metadata;
    let json = serde_json::to_value(&metadata).unwrap();
    assert_eq!(json["captured_at"]["local"], "2026-05-01T10:15:30");
    assert_eq!(json["captured_at"]["utc_offset"], "+08:00");
    assert_eq!(json["make"], "Gridline Test Phones");
    let back: CaptureMetadata = serde_json::from_value(json).unwrap();
    assert_eq!(back, metadata);
}

// --- Formats, limits and hostile input --------------------------------------------------------

#[test]
fn heic_and_other_formats_are_refused_by_name() {
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    let cases: [(&[u8], &str); 5] = [
        (&heic, "HEIC"),
        (b"\0\0\0\x18ftypmif1\0\0\0\0mif1heic", "HEIF"),
        (b"\0\0\0\x1cftypavif\0\0\0\0avifmif1", "AVIF"),
        (b"GIF89a\x01\0\x01\0\0\0\0", "GIF"),
        (b"hello, this is not an image", "unknown"),
    ];
    for (bytes, name) in cases {
        match prepare(bytes, &PhotoOptions::default()) {
            Err(PhotoError::UnsupportedFormat { found }) => assert_eq!(found, name),
            other => panic!("{name}: expected UnsupportedFormat, got {other:?}"),
        }
    }
    let message = prepare(&heic, &PhotoOptions::default()).unwrap_err().to_string();
    assert!(message.contains("HEIC") && message.contains("JPEG"), "{message}");
}

#[test]
fn oversized_input_is_refused_before_decoding() {
    let input = camera_jpeg(64, 64, &CameraExif::default());
    let options = PhotoOptions { max_input_bytes: input.len() as u64 - 1, ..PhotoOptions::default() };
    assert_eq!(
        prepare(&input, &options),
        Err(PhotoError::TooLarge { size: input.len() as u64, max: input.len() as u64 - 1 })
    );
    // The default limit is 25 MiB; just over it is refused even though it is not an image.
    let huge = vec![0u8; 25 * 1024 * 1024 + 1];
    assert!(matches!(prepare(&huge, &PhotoOptions::default()), Err(PhotoError::TooLarge { .. })));
}

#[test]
fn jpeg_declaring_60000_by_60000_is_refused_from_its_header() {
    let bomb = with_declared_jpeg_size(&jpeg(&quadrants(16, 16), 16, 16, 90, &[]), 60_000, 60_000);
    assert_eq!(
        prepare(&bomb, &PhotoOptions::default()),
        Err(PhotoError::TooManyPixels { width: 60_000, height: 60_000, max: 50_000_000 })
    );
}

#[test]
fn png_declaring_a_huge_size_is_refused_from_its_header() {
    let bomb = png_declaring(100_000, 100_000);
    assert_eq!(bomb.len(), 8 + 25 + 20 + 12, "a few dozen bytes");
    assert_eq!(
        prepare(&bomb, &PhotoOptions::default()),
        Err(PhotoError::TooManyPixels { width: 100_000, height: 100_000, max: 50_000_000 })
    );
}

#[test]
fn real_decompression_bomb_png_is_refused() {
    // 8000 x 8000 of one colour compresses to well under a megabyte but is 64 megapixels.
    let flat = image::GrayImage::from_pixel(8000, 8000, image::Luma([7]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    flat.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    assert!(bytes.get_ref().len() < 1024 * 1024, "{} bytes", bytes.get_ref().len());
    assert_eq!(
        prepare(bytes.get_ref(), &PhotoOptions::default()),
        Err(PhotoError::TooManyPixels { width: 8000, height: 8000, max: 50_000_000 })
    );
    // A tighter pixel limit applies the same way to any format.
    let options = PhotoOptions { max_pixels: 255, ..PhotoOptions::default() };
    let small = camera_jpeg(16, 16, &CameraExif::default());
    assert_eq!(prepare(&small, &options), Err(PhotoError::TooManyPixels { width: 16, height: 16, max: 255 }));
}

#[test]
fn empty_and_truncated_inputs_are_corrupt_not_a_panic() {
    assert!(matches!(prepare(&[], &PhotoOptions::default()), Err(PhotoError::Corrupt { .. })));
    let whole = camera_jpeg(64, 48, &CameraExif::default());
    let png_whole = png(&quadrants(64, 48), 64, 48);
    let webp_whole = webp(&quadrants(64, 48), 64, 48);
    for input in [&whole, &png_whole, &webp_whole] {
        for cut in [2, 3, 20, input.len() / 3, input.len() / 2, input.len() - 40] {
            let result = prepare(&input[..cut], &PhotoOptions::default());
            assert!(
                matches!(result, Err(PhotoError::Corrupt { .. }) | Err(PhotoError::UnsupportedFormat { .. })),
                "cut at {cut} of {}: {result:?}",
                input.len()
            );
        }
    }
}

#[test]
fn garbage_after_a_valid_signature_is_corrupt() {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend(std::iter::repeat_n(0xAB, 200));
    assert!(matches!(prepare(&bytes, &PhotoOptions::default()), Err(PhotoError::Corrupt { .. })));
    let mut jpeg_like = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x03, 0x08];
    jpeg_like.extend(std::iter::repeat_n(0x11, 100));
    assert!(matches!(prepare(&jpeg_like, &PhotoOptions::default()), Err(PhotoError::Corrupt { .. })));
}

#[test]
fn exif_with_absurd_counts_and_offsets_is_ignored_and_the_photo_still_prepared() {
    let o = Order::Little;
    let hostile_blocks = [
        // A Make string claiming four billion characters at an offset past the end.
        tiff(o, &[Entry::raw(TAG_MAKE, ASCII, u32::MAX, 0xFFFF_FF00)], &[], &[]),
        // GPS latitude with a count of 2^30 rationals; Exif pointer into its own header.
        tiff(
            o,
            &[Entry::raw(TAG_EXIF_IFD, LONG, 1, 0), Entry::raw(TAG_ORIENTATION, SHORT, 0x4000_0000, 8)],
            &[],
            &[Entry::raw(TAG_GPS_LAT, RATIONAL, 0x4000_0000, 16)],
        ),
        // IFD0 pointing at itself as its Exif sub-IFD: a loop.
        tiff(o, &[Entry::raw(TAG_EXIF_IFD, LONG, 1, 8), Entry::raw(TAG_GPS_IFD, LONG, 1, 8)], &[], &[]),
        // Orientation of 9 and a zero-denominator latitude.
        tiff(
            o,
            &[Entry::short(o, TAG_ORIENTATION, 9)],
            &[],
            &[
                Entry::ascii(TAG_GPS_LAT_REF, "N"),
                Entry::rationals(o, TAG_GPS_LAT, &[(39, 0), (0, 0), (0, 0)]),
                Entry::ascii(TAG_GPS_LON_REF, "E"),
                Entry::rationals(o, TAG_GPS_LON, &[(116, 1), (0, 1), (0, 1)]),
            ],
        ),
        // A truncated TIFF header.
        b"II*\0\x08".to_vec(),
    ];
    for (i, block) in hostile_blocks.iter().enumerate() {
        let input = jpeg_with_exif(&quadrants(32, 32), 32, 32, block);
        let prepared = prepare(&input, &PhotoOptions::default()).unwrap_or_else(|e| panic!("block {i}: {e}"));
        assert_eq!(prepared.metadata.position, None, "block {i}");
        assert_eq!(prepared.metadata.orientation, None, "block {i}");
        assert_eq!((prepared.width, prepared.height), (32, 32), "block {i}");
        assert_no_metadata(&prepared.bytes);
    }
}

#[test]
fn invalid_options_are_refused() {
    let input = camera_jpeg(16, 16, &CameraExif::default());
    for options in [
        PhotoOptions { quality: 0, ..PhotoOptions::default() },
        PhotoOptions { quality: 101, ..PhotoOptions::default() },
        PhotoOptions { max_edge: 0, ..PhotoOptions::default() },
        PhotoOptions { thumbnail_edge: 70_000, ..PhotoOptions::default() },
    ] {
        assert!(matches!(prepare(&input, &options), Err(PhotoError::InvalidOptions { .. })), "{options:?}");
    }
}

// --- Geotag consistency -----------------------------------------------------------------------

fn tagged(lat: f64, lon: f64, time: Option<CaptureTime>) -> CaptureMetadata {
    CaptureMetadata {
        position: Some(GeoPoint::new(lat, lon).unwrap()),
        captured_at: time,
        ..CaptureMetadata::default()
    }
}

fn beijing_time(h: u32, m: u32) -> chrono::DateTime<FixedOffset> {
    FixedOffset::east_opt(8 * 3600).unwrap().with_ymd_and_hms(2026, 5, 1, h, m, 0).unwrap()
}

fn capture(h: u32, m: u32, offset_hours: Option<i32>) -> CaptureTime {
    CaptureTime {
        local: NaiveDate::from_ymd_opt(2026, 5, 1).unwrap().and_hms_opt(h, m, 0).unwrap(),
        utc_offset: offset_hours.map(|h| FixedOffset::east_opt(h * 3600).unwrap()),
    }
}

#[test]
fn geotag_check_gives_each_verdict() {
    let device =
        DeviceFix { position: GeoPoint::new(39.9088, 116.3975).unwrap(), time: beijing_time(10, 30) };
    let policy = GeoTagPolicy::default();
    assert_eq!(policy.max_distance_m, 200.0);
    assert_eq!(policy.max_age, TimeDelta::minutes(30));

    // About 111 m north, 20 minutes earlier: consistent.
    let near = tagged(39.9098, 116.3975, Some(capture(10, 10, Some(8))));
    assert_eq!(check_geotag(&near, &device, &policy), GeoTagVerdict::Consistent);

    // About 333 m north.
    let far = tagged(39.9118, 116.3975, Some(capture(10, 10, Some(8))));
    match check_geotag(&far, &device, &policy) {
        GeoTagVerdict::TooFar { distance_m } => assert!((distance_m - 333.6).abs() < 2.0, "{distance_m}"),
        other => panic!("expected TooFar, got {other:?}"),
    }

    // Right place, 45 minutes earlier.
    let old = tagged(39.9088, 116.3975, Some(capture(9, 45, Some(8))));
    assert_eq!(check_geotag(&old, &device, &policy), GeoTagVerdict::TooOld { age: TimeDelta::minutes(45) });

    // The photo's own offset counts: 02:20 UTC is 10:20 in Beijing, 10 minutes before.
    let utc_tagged = tagged(39.9088, 116.3975, Some(capture(2, 20, Some(0))));
    assert_eq!(check_geotag(&utc_tagged, &device, &policy), GeoTagVerdict::Consistent);

    // Without an offset the device's offset is assumed: 02:20 local is 8 hours old.
    let naive = tagged(39.9088, 116.3975, Some(capture(2, 20, None)));
    assert_eq!(
        check_geotag(&naive, &device, &policy),
        GeoTagVerdict::TooOld { age: TimeDelta::minutes(8 * 60 + 10) }
    );

    // A camera clock an hour ahead is as suspicious as an old photo.
    let future = tagged(39.9088, 116.3975, Some(capture(11, 30, Some(8))));
    assert_eq!(
        check_geotag(&future, &device, &policy),
        GeoTagVerdict::TooOld { age: TimeDelta::minutes(-60) }
    );

    // Position but no time: judged on distance alone.
    assert_eq!(check_geotag(&tagged(39.9088, 116.3975, None), &device, &policy), GeoTagVerdict::Consistent);

    assert_eq!(check_geotag(&CaptureMetadata::default(), &device, &policy), GeoTagVerdict::NoGeotag);
}

#[test]
fn geotag_policy_thresholds_are_respected() {
    let device =
        DeviceFix { position: GeoPoint::new(39.9088, 116.3975).unwrap(), time: beijing_time(10, 30) };
    let far = tagged(39.9118, 116.3975, Some(capture(9, 45, Some(8))));
    let lenient = GeoTagPolicy { max_distance_m: 500.0, max_age: TimeDelta::hours(1) };
    assert_eq!(check_geotag(&far, &device, &lenient), GeoTagVerdict::Consistent);
    let strict = GeoTagPolicy { max_distance_m: 50.0, max_age: TimeDelta::minutes(1) };
    assert!(matches!(check_geotag(&far, &device, &strict), GeoTagVerdict::TooFar { .. }));
}

#[test]
fn geotag_check_works_on_metadata_read_from_a_photo() {
    let prepared = prepare(&camera_jpeg(16, 16, &CameraExif::default()), &PhotoOptions::default()).unwrap();
    let device =
        DeviceFix { position: GeoPoint::new(39.9089, 116.3975).unwrap(), time: beijing_time(10, 20) };
    assert_eq!(
        check_geotag(&prepared.metadata, &device, &GeoTagPolicy::default()),
        GeoTagVerdict::Consistent
    );
    assert_eq!(photo::DEFAULT_MAX_EDGE, 1600);
}

#[test]
fn png_exif_chunk_is_read_and_its_orientation_applied() {
    let upright = quadrants(60, 30);
    let (stored, sw, sh) = store_for_orientation(&upright, 60, 30, 8);
    let plain = png(&stored, sw, sh);
    let exif = CameraExif { orientation: Some(8), ..CameraExif::default() };
    // eXIf goes right after IHDR (8-byte signature + 25-byte IHDR chunk).
    let mut tagged = plain[..33].to_vec();
    tagged.extend(png_chunk(b"eXIf", &exif.tiff()));
    tagged.extend_from_slice(&plain[33..]);

    let prepared = prepare(&tagged, &PhotoOptions::default()).unwrap();
    assert_eq!(prepared.metadata.model.as_deref(), Some("Inspector 7"));
    assert!(prepared.metadata.position.is_some());
    assert_eq!((prepared.width, prepared.height), (60, 30));
    let out = decode_rgb(&prepared.bytes);
    assert!(close(average_rgb(&out, 15, 7, 4), TOP_LEFT, 16));
    assert!(close(average_rgb(&out, 45, 22, 4), BOTTOM_RIGHT, 16));
    assert_no_metadata(&prepared.bytes);
}

#[test]
fn webp_declaring_a_huge_canvas_is_refused_without_decoding() {
    // RIFF/WEBP with only a VP8X header declaring 16,000,000 x 16,000,000.
    let mut vp8x = vec![0u8; 10];
    let edge_minus_one = 16_000_000u32 - 1;
    vp8x[4..7].copy_from_slice(&edge_minus_one.to_le_bytes()[..3]);
    vp8x[7..10].copy_from_slice(&edge_minus_one.to_le_bytes()[..3]);
    let mut bytes = b"RIFF".to_vec();
    bytes.extend((4u32 + 8 + 10).to_le_bytes());
    bytes.extend_from_slice(b"WEBPVP8X");
    bytes.extend(10u32.to_le_bytes());
    bytes.extend(vp8x);
    assert_eq!(
        prepare(&bytes, &PhotoOptions::default()),
        Err(PhotoError::TooManyPixels { width: 16_000_000, height: 16_000_000, max: 50_000_000 })
    );
    // The lossless and lossy headers are read too: a real WebP over a small limit is refused.
    let lossless = webp(&quadrants(64, 48), 64, 48);
    let options = PhotoOptions { max_pixels: 1000, ..PhotoOptions::default() };
    assert_eq!(
        prepare(&lossless, &options),
        Err(PhotoError::TooManyPixels { width: 64, height: 48, max: 1000 })
    );
}

#[test]
fn cmyk_jpeg_comes_out_in_the_right_colours() {
    // Left half full magenta + yellow ink (red), right half no ink (white).
    let (width, height) = (32u32, 16u32);
    let mut cmyk = Vec::new();
    for _ in 0..height {
        for x in 0..width {
            cmyk.extend(if x < width / 2 { [0, 255, 255, 0] } else { [0, 0, 0, 0] });
        }
    }
    let mut input = Vec::new();
    jpeg_encoder::Encoder::new(&mut input, 95)
        .encode(&cmyk, width as u16, height as u16, jpeg_encoder::ColorType::Cmyk)
        .unwrap();
    let prepared = prepare(&input, &PhotoOptions::default()).unwrap();
    let out = decode_rgb(&prepared.bytes);
    assert!(close(average_rgb(&out, 8, 8, 4), [255, 0, 0], 20), "{:?}", average_rgb(&out, 8, 8, 4));
    assert!(close(average_rgb(&out, 24, 8, 4), [255, 255, 255], 8), "{:?}", average_rgb(&out, 24, 8, 4));
}
