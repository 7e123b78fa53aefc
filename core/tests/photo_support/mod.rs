//! Test support for the photo pipeline, shared by the integration tests and the benchmark:
//! an EXIF/TIFF builder (honest and hostile), JPEG/PNG fixture writers, and an independent
//! JPEG marker walker that proves an output carries no metadata segment.
//!
//! Fixtures are built here at run time so no binary image is committed.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

// --- EXIF / TIFF ----------------------------------------------------------------------------

/// TIFF field types used here.
pub const BYTE: u16 = 1;
pub const ASCII: u16 = 2;
pub const SHORT: u16 = 3;
pub const LONG: u16 = 4;
pub const RATIONAL: u16 = 5;

pub const TAG_MAKE: u16 = 0x010F;
pub const TAG_MODEL: u16 = 0x0110;
pub const TAG_ORIENTATION: u16 = 0x0112;
pub const TAG_EXIF_IFD: u16 = 0x8769;
pub const TAG_GPS_IFD: u16 = 0x8825;
pub const TAG_DATE_TIME_ORIGINAL: u16 = 0x9003;
pub const TAG_OFFSET_TIME_ORIGINAL: u16 = 0x9011;
pub const TAG_GPS_LAT_REF: u16 = 0x0001;
pub const TAG_GPS_LAT: u16 = 0x0002;
pub const TAG_GPS_LON_REF: u16 = 0x0003;
pub const TAG_GPS_LON: u16 = 0x0004;
pub const TAG_GPS_ALT_REF: u16 = 0x0005;
pub const TAG_GPS_ALT: u16 = 0x0006;

/// One IFD entry. `value` is the encoded value in the file's byte order; when `raw_offset` is
/// set the entry is written verbatim (count and offset as given), which is how hostile blocks
/// with absurd counts and offsets are made.
#[derive(Clone, Debug)]
pub struct Entry {
    pub tag: u16,
    pub field_type: u16,
    pub count: u32,
    pub value: Vec<u8>,
    pub raw_offset: Option<u32>,
}

/// Byte order of a TIFF block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Little,
    Big,
}

impl Order {
    fn u16(self, v: u16) -> [u8; 2] {
        match self {
            Order::Little => v.to_le_bytes(),
            Order::Big => v.to_be_bytes(),
        }
    }
    fn u32(self, v: u32) -> [u8; 4] {
        match self {
            Order::Little => v.to_le_bytes(),
            Order::Big => v.to_be_bytes(),
        }
    }
}

impl Entry {
    pub fn ascii(tag: u16, text: &str) -> Self {
        let mut value = text.as_bytes().to_vec();
        value.push(0);
        Self { tag, field_type: ASCII, count: value.len() as u32, value, raw_offset: None }
    }

    pub fn short(order: Order, tag: u16, v: u16) -> Self {
        Self { tag, field_type: SHORT, count: 1, value: order.u16(v).to_vec(), raw_offset: None }
    }

    pub fn byte(tag: u16, v: u8) -> Self {
        Self { tag, field_type: BYTE, count: 1, value: vec![v], raw_offset: None }
    }

    pub fn rationals(order: Order, tag: u16, parts: &[(u32, u32)]) -> Self {
        let mut value = Vec::new();
        for &(num, den) in parts {
            value.extend(order.u32(num));
            value.extend(order.u32(den));
        }
        Self { tag, field_type: RATIONAL, count: parts.len() as u32, value, raw_offset: None }
    }

    /// An entry whose count and value/offset field are written exactly as given.
    pub fn raw(tag: u16, field_type: u16, count: u32, offset: u32) -> Self {
        Self { tag, field_type, count, value: Vec::new(), raw_offset: Some(offset) }
    }

    fn out_of_line_len(&self) -> usize {
        if self.raw_offset.is_some() || self.value.len() <= 4 {
            0
        } else {
            self.value.len() + self.value.len() % 2
        }
    }
}

fn ifd_len(entries: &[Entry]) -> usize {
    2 + 12 * entries.len() + 4 + entries.iter().map(Entry::out_of_line_len).sum::<usize>()
}

/// Append an IFD (entries sorted by tag, then their out-of-line values) at `out.len()`, which
/// is its offset from the start of the TIFF block.
fn write_ifd(out: &mut Vec<u8>, order: Order, entries: &[Entry]) {
    let mut entries = entries.to_vec();
    entries.sort_by_key(|e| e.tag);
    let start = out.len();
    let mut data_offset = start + 2 + 12 * entries.len() + 4;
    let mut data = Vec::new();
    out.extend(order.u16(entries.len() as u16));
    for e in &entries {
        out.extend(order.u16(e.tag));
        out.extend(order.u16(e.field_type));
        out.extend(order.u32(e.count));
        if let Some(raw) = e.raw_offset {
            out.extend(order.u32(raw));
        } else if e.value.len() <= 4 {
            let mut inline = e.value.clone();
            inline.resize(4, 0);
            out.extend(inline);
        } else {
            out.extend(order.u32(data_offset as u32));
            data.extend(&e.value);
            if e.value.len() % 2 == 1 {
                data.push(0);
            }
            data_offset += e.value.len() + e.value.len() % 2;
        }
    }
    out.extend(order.u32(0));
    out.extend(data);
}

/// A TIFF block with IFD0 and optional Exif and GPS sub-IFDs, whose pointers are filled in.
pub fn tiff(order: Order, ifd0: &[Entry], exif_ifd: &[Entry], gps_ifd: &[Entry]) -> Vec<u8> {
    let mut ifd0 = ifd0.to_vec();
    // Pointer entries are inline LONGs, so their presence, not their value, sets IFD0's size.
    let pointers = usize::from(!exif_ifd.is_empty()) + usize::from(!gps_ifd.is_empty());
    let ifd0_len = ifd_len(&ifd0) + 12 * pointers;
    let exif_offset = 8 + ifd0_len;
    let gps_offset = exif_offset + if exif_ifd.is_empty() { 0 } else { ifd_len(exif_ifd) };
    let pointer = |tag: u16, offset: usize| Entry {
        tag,
        field_type: LONG,
        count: 1,
        value: order.u32(offset as u32).to_vec(),
        raw_offset: None,
    };
    if !exif_ifd.is_empty() {
        ifd0.push(pointer(TAG_EXIF_IFD, exif_offset));
    }
    if !gps_ifd.is_empty() {
        ifd0.push(pointer(TAG_GPS_IFD, gps_offset));
    }
    let mut out = match order {
        Order::Little => b"II".to_vec(),
        Order::Big => b"MM".to_vec(),
    };
    out.extend(order.u16(42));
    out.extend(order.u32(8));
    write_ifd(&mut out, order, &ifd0);
    if !exif_ifd.is_empty() {
        assert_eq!(out.len(), exif_offset);
        write_ifd(&mut out, order, exif_ifd);
    }
    if !gps_ifd.is_empty() {
        assert_eq!(out.len(), gps_offset);
        write_ifd(&mut out, order, gps_ifd);
    }
    out
}

/// The usual camera EXIF, field by field; `None` leaves a field out.
#[derive(Clone, Debug)]
pub struct CameraExif {
    pub order: Order,
    pub make: Option<&'static str>,
    pub model: Option<&'static str>,
    pub orientation: Option<u16>,
    pub date_time_original: Option<&'static str>,
    pub offset_time_original: Option<&'static str>,
    /// Latitude, longitude in signed degrees; altitude in metres (negative below sea level).
    pub gps: Option<(f64, f64, f64)>,
}

impl Default for CameraExif {
    /// A phone photo taken at Tiananmen, Beijing, on 1 May 2026 at 10:15:30 (+08:00).
    fn default() -> Self {
        Self {
            order: Order::Little,
            make: Some("Gridline Test Phones"),
            model: Some("Inspector 7"),
            orientation: Some(1),
            date_time_original: Some("2026:05:01 10:15:30"),
            offset_time_original: Some("+08:00"),
            gps: Some((39.908_823, 116.397_470, 44.5)),
        }
    }
}

/// Degrees as the EXIF `[deg, min, sec]` rationals, seconds to 1/10000.
fn dms(value: f64) -> [(u32, u32); 3] {
    let value = value.abs();
    let degrees = value.floor();
    let minutes = ((value - degrees) * 60.0).floor();
    let seconds = (value - degrees - minutes / 60.0) * 3600.0;
    [(degrees as u32, 1), (minutes as u32, 1), ((seconds * 10_000.0).round() as u32, 10_000)]
}

impl CameraExif {
    pub fn none() -> Self {
        Self {
            order: Order::Little,
            make: None,
            model: None,
            orientation: None,
            date_time_original: None,
            offset_time_original: None,
            gps: None,
        }
    }

    pub fn tiff(&self) -> Vec<u8> {
        let o = self.order;
        let mut ifd0 = Vec::new();
        if let Some(make) = self.make {
            ifd0.push(Entry::ascii(TAG_MAKE, make));
        }
        if let Some(model) = self.model {
            ifd0.push(Entry::ascii(TAG_MODEL, model));
        }
        if let Some(orientation) = self.orientation {
            ifd0.push(Entry::short(o, TAG_ORIENTATION, orientation));
        }
        let mut exif = Vec::new();
        if let Some(when) = self.date_time_original {
            exif.push(Entry::ascii(TAG_DATE_TIME_ORIGINAL, when));
        }
        if let Some(offset) = self.offset_time_original {
            exif.push(Entry::ascii(TAG_OFFSET_TIME_ORIGINAL, offset));
        }
        let mut gps = Vec::new();
        if let Some((lat, lon, alt)) = self.gps {
            gps.push(Entry::ascii(TAG_GPS_LAT_REF, if lat < 0.0 { "S" } else { "N" }));
            gps.push(Entry::rationals(o, TAG_GPS_LAT, &dms(lat)));
            gps.push(Entry::ascii(TAG_GPS_LON_REF, if lon < 0.0 { "W" } else { "E" }));
            gps.push(Entry::rationals(o, TAG_GPS_LON, &dms(lon)));
            gps.push(Entry::byte(TAG_GPS_ALT_REF, u8::from(alt < 0.0)));
            gps.push(Entry::rationals(o, TAG_GPS_ALT, &[((alt.abs() * 100.0).round() as u32, 100)]));
        }
        tiff(o, &ifd0, &exif, &gps)
    }
}

/// The payload of a JPEG APP1 EXIF segment: the `Exif\0\0` header, then the TIFF block.
pub fn app1_exif(tiff: &[u8]) -> Vec<u8> {
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(tiff);
    payload
}

// --- Pixels and fixtures --------------------------------------------------------------------

/// Colours of the four quadrants of the asymmetric test picture, as seen upright.
pub const TOP_LEFT: [u8; 3] = [220, 30, 30];
pub const TOP_RIGHT: [u8; 3] = [30, 200, 40];
pub const BOTTOM_LEFT: [u8; 3] = [30, 40, 220];
pub const BOTTOM_RIGHT: [u8; 3] = [240, 240, 240];

/// An upright RGB picture of `width` x `height` with four coloured quadrants.
pub fn quadrants(width: u32, height: u32) -> Vec<u8> {
    let mut rgb = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            let colour = match (y < height / 2, x < width / 2) {
                (true, true) => TOP_LEFT,
                (true, false) => TOP_RIGHT,
                (false, true) => BOTTOM_LEFT,
                (false, false) => BOTTOM_RIGHT,
            };
            rgb.extend(colour);
        }
    }
    rgb
}

/// How a camera stores an upright picture so that a viewer honouring `orientation` shows it
/// upright again. Straight from the EXIF definition of where stored row 0 and column 0 go:
/// returns the stored pixels, width and height.
pub fn store_for_orientation(
    upright: &[u8],
    width: u32,
    height: u32,
    orientation: u16,
) -> (Vec<u8>, u32, u32) {
    let (w, h) = (width as usize, height as usize);
    let swaps = orientation >= 5;
    let (sw, sh) = if swaps { (h, w) } else { (w, h) };
    let mut stored = vec![0u8; w * h * 3];
    for r in 0..sh {
        for c in 0..sw {
            // Display row and column of stored pixel (r, c).
            let (dr, dc) = match orientation {
                1 => (r, c),
                2 => (r, sw - 1 - c),
                3 => (sh - 1 - r, sw - 1 - c),
                4 => (sh - 1 - r, c),
                5 => (c, r),
                6 => (c, sh - 1 - r),
                7 => (sw - 1 - c, sh - 1 - r),
                8 => (sw - 1 - c, r),
                other => panic!("no orientation {other}"),
            };
            let from = (dr * w + dc) * 3;
            let to = (r * sw + c) * 3;
            stored[to..to + 3].copy_from_slice(&upright[from..from + 3]);
        }
    }
    (stored, sw as u32, sh as u32)
}

/// A baseline JPEG of `rgb` with the given APPn segments (number, payload) after APP0.
pub fn jpeg(rgb: &[u8], width: u32, height: u32, quality: u8, app_segments: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    for (number, payload) in app_segments {
        encoder.add_app_segment(*number, payload.clone()).unwrap();
    }
    encoder.encode(rgb, width as u16, height as u16, jpeg_encoder::ColorType::Rgb).unwrap();
    out
}

/// A JPEG of `rgb` carrying `exif` (a TIFF block) in APP1.
pub fn jpeg_with_exif(rgb: &[u8], width: u32, height: u32, tiff: &[u8]) -> Vec<u8> {
    jpeg(rgb, width, height, 92, &[(1, app1_exif(tiff))])
}

/// A PNG of `rgb`, encoded by the `image` crate.
pub fn png(rgb: &[u8], width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_raw(width, height, rgb.to_vec()).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A lossless WebP of `rgb`, encoded by the `image` crate.
pub fn webp(rgb: &[u8], width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_raw(width, height, rgb.to_vec()).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::WebP).unwrap();
    out.into_inner()
}

/// CRC-32 (IEEE), as PNG chunks use; bitwise, since fixtures are tiny.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// One PNG chunk with its length and CRC.
pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    chunk.extend(crc32(&crc_input).to_be_bytes());
    chunk
}

/// A PNG whose IHDR declares `width` x `height` RGB, followed by a tiny IDAT and IEND: the
/// header of a decompression bomb without the bomb.
pub fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    out.extend(png_chunk(b"IHDR", &ihdr));
    out.extend(png_chunk(b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]));
    out.extend(png_chunk(b"IEND", &[]));
    out
}

/// `jpeg` with the frame header's declared size replaced by `width` x `height`.
pub fn with_declared_jpeg_size(jpeg: &[u8], width: u16, height: u16) -> Vec<u8> {
    let mut out = jpeg.to_vec();
    let sof = segments(&out).into_iter().find(|s| s.marker == 0xC0).expect("a baseline frame header");
    // SOF payload: precision (1), height (2), width (2).
    let at = sof.payload_offset + 1;
    out[at..at + 2].copy_from_slice(&height.to_be_bytes());
    out[at + 2..at + 4].copy_from_slice(&width.to_be_bytes());
    out
}

// --- An independent JPEG reader -------------------------------------------------------------

/// One JPEG marker segment: its marker byte and where its payload lies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub marker: u8,
    pub payload_offset: usize,
    pub payload_len: usize,
}

/// Every marker segment of a JPEG, from SOI to EOI, walking entropy-coded data between SOS
/// and the next marker. Panics on a malformed stream: our own outputs must be well formed.
pub fn segments(jpeg: &[u8]) -> Vec<Segment> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "starts with SOI");
    let mut found = vec![Segment { marker: 0xD8, payload_offset: 2, payload_len: 0 }];
    let mut at = 2;
    loop {
        assert_eq!(jpeg[at], 0xFF, "marker expected at {at}");
        while jpeg[at] == 0xFF {
            at += 1; // fill bytes
        }
        let marker = jpeg[at];
        at += 1;
        if marker == 0xD9 {
            found.push(Segment { marker, payload_offset: at, payload_len: 0 });
            assert_eq!(at, jpeg.len(), "nothing after EOI");
            return found;
        }
        if (0xD0..=0xD7).contains(&marker) {
            found.push(Segment { marker, payload_offset: at, payload_len: 0 });
        } else {
            let len = usize::from(u16::from_be_bytes([jpeg[at], jpeg[at + 1]]));
            found.push(Segment { marker, payload_offset: at + 2, payload_len: len - 2 });
            at += len;
        }
        if marker == 0xDA || (0xD0..=0xD7).contains(&marker) {
            // Entropy-coded data: FF00 is a stuffed byte, FFD0-D7 a restart; anything else ends it.
            loop {
                if jpeg[at] == 0xFF && jpeg[at + 1] != 0x00 && !(0xD0..=0xD7).contains(&jpeg[at + 1]) {
                    break;
                }
                at += if jpeg[at] == 0xFF { 2 } else { 1 };
            }
        }
    }
}

/// The payload of a segment.
pub fn payload<'a>(jpeg: &'a [u8], segment: &Segment) -> &'a [u8] {
    &jpeg[segment.payload_offset..segment.payload_offset + segment.payload_len]
}

/// Assert that `jpeg` carries no metadata: no APPn other than a JFIF APP0, no COM, and none of
/// the byte patterns by which EXIF, XMP, IPTC or ICC data announce themselves.
pub fn assert_no_metadata(jpeg: &[u8]) {
    for segment in segments(jpeg) {
        let marker = segment.marker;
        assert!(marker != 0xFE, "COM segment found");
        assert!(!(0xE1..=0xEF).contains(&marker), "APP{} segment found", marker - 0xE0);
        if marker == 0xE0 {
            assert!(payload(jpeg, &segment).starts_with(b"JFIF\0"), "APP0 is not JFIF");
        }
    }
    for needle in
        [&b"Exif\0"[..], b"http://ns.adobe.com/xap", b"Photoshop 3.0", b"ICC_PROFILE", b"II*\0", b"MM\0*"]
    {
        assert!(
            !jpeg.windows(needle.len()).any(|w| w == needle),
            "{:?} found in output",
            String::from_utf8_lossy(needle)
        );
    }
}

/// Average RGB of a `size` x `size` block centred on (x, y) in a decoded JPEG.
pub fn average_rgb(image: &image::RgbImage, x: u32, y: u32, size: u32) -> [u8; 3] {
    let mut sums = [0u32; 3];
    for dy in 0..size {
        for dx in 0..size {
            let p = image.get_pixel(x + dx - size / 2, y + dy - size / 2);
            for c in 0..3 {
                sums[c] += u32::from(p[c]);
            }
        }
    }
    sums.map(|s| (s / (size * size)) as u8)
}

/// Whether two colours are within `tolerance` on every channel.
pub fn close(a: [u8; 3], b: [u8; 3], tolerance: u8) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= tolerance)
}
