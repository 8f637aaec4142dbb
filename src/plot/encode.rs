//! PNG encoding of an RGB buffer with fixed settings, so the same pixels give the same bytes.

/// Encodes `rgb` (`width * height * 3` bytes, rows top to bottom) as an 8-bit RGB PNG.
pub(crate) fn png(rgb: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // Fixed compression and filter: the output must not depend on any heuristic default that
    // a later version might tune.
    encoder.set_compression(png::Compression::Balanced);
    encoder.set_filter(png::Filter::Sub);
    let mut writer = encoder.write_header().expect("writing a PNG header into memory cannot fail");
    writer.write_image_data(rgb).expect("the buffer has exactly width * height * 3 bytes");
    writer.finish().expect("finishing a PNG in memory cannot fail");
    out
}
