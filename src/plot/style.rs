//! Colours, sizes and the embedded font: everything a plot looks like, in one place.
//!
//! Colours are the Okabe–Ito palette, chosen to stay distinguishable with the common forms of
//! colour blindness; each meaning also differs in shape or position (areas above the axis,
//! stopping below it, markers in their own rows), so no colour has to be told apart alone.

use std::sync::Once;

use plotters::style::{FontStyle, RGBColor, register_font};

/// Old-version serving tasks (blue).
pub(crate) const OLD: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// New-version serving tasks (bluish green).
pub(crate) const NEW: RGBColor = RGBColor(0x00, 0x9E, 0x73);
/// Tasks starting (orange).
pub(crate) const STARTING: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
/// Tasks stopping (reddish purple).
pub(crate) const STOPPING: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
/// Running tasks the router sends no requests: grey, stacked above the serving ones.
pub(crate) const IDLE: RGBColor = RGBColor(0xBB, 0xBB, 0xBB);
/// Task failures and failed requests (vermillion).
pub(crate) const FAILURE: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
/// Desired replicas, text and axis (black).
pub(crate) const INK: RGBColor = RGBColor(0x00, 0x00, 0x00);
/// Node change lines and labels (dark violet: no area has it, and the lines are dotted where
/// UpdateStatus lines are dashed).
pub(crate) const NODE: RGBColor = RGBColor(0x56, 0x28, 0x8A);
/// Status change lines and secondary text.
pub(crate) const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// Band while updating: sky blue, pale.
pub(crate) const BAND_UPDATING: RGBColor = RGBColor(0xDD, 0xEF, 0xFA);
/// Band while paused: yellow, pale.
pub(crate) const BAND_PAUSED: RGBColor = RGBColor(0xFB, 0xF6, 0xB8);
/// Band while rolling back: vermillion, pale.
pub(crate) const BAND_ROLLBACK: RGBColor = RGBColor(0xF7, 0xDE, 0xCC);
/// Successful requests (bluish green).
pub(crate) const REQUESTS_OK: RGBColor = NEW;

/// Image width, pixels.
pub(crate) const WIDTH: u32 = 1200;
/// Image height without a requests panel.
pub(crate) const HEIGHT: u32 = 640;
/// Extra height for the requests panel.
pub(crate) const REQUESTS_HEIGHT: u32 = 240;
/// Font family name the embedded font is registered under.
pub(crate) const FONT: &str = "sans-serif";

/// DejaVu Sans (Bitstream Vera licence, see assets/fonts/LICENSE-DejaVu.txt), embedded so that
/// plots render the same on a machine without any system font.
static FONT_BYTES: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/fonts/DejaVuSans.ttf"));

/// Registers the embedded font with plotters (once per process; later calls do nothing).
pub(crate) fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a font we ship: failing to parse them is a build defect.
        if register_font(FONT, FontStyle::Normal, FONT_BYTES).is_err() {
            panic!("the embedded font assets/fonts/DejaVuSans.ttf is not a valid font");
        }
    });
}

/// Background colour of an UpdateStatus state's band, `None` for states that get no band.
pub(crate) fn band(state: &str) -> Option<RGBColor> {
    match state {
        // A blue-green or canary rollout's phases read as an update in progress.
        "updating" | "waiting" | "baking" | "switched" | "promoting" => Some(BAND_UPDATING),
        s if s.starts_with("step ") => Some(BAND_UPDATING),
        "paused" | "rollback_paused" => Some(BAND_PAUSED),
        "rollback_started" => Some(BAND_ROLLBACK),
        _ => None,
    }
}
