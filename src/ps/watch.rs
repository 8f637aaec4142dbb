//! `deploysim ps --watch`: the rollout replayed like `watch docker stack ps`, one frame per
//! simulated step. Frames are computed by one incremental replay (pure); only [`play`] touches
//! the terminal and the wall clock.

use std::io::Write;

use crate::model::record::RunRecord;
use crate::ps::replay::{Replay, TaskRow};
use crate::time::{SimDuration, SimTime};

/// ANSI: cursor home, then clear the screen (what `watch` does between frames).
const CLEAR: &str = "\x1b[H\x1b[2J";

/// The instants of the frames: `from`, `from + step`, … up to `to`, and `to` itself last, so the
/// final state is always shown.
pub fn frame_times(from: SimTime, to: SimTime, step: SimDuration) -> Vec<SimTime> {
    let step = step.as_nanos().max(1);
    let mut times: Vec<SimTime> = (0..).map(|i| SimTime(from.0 + i * step)).take_while(|t| *t < to).collect();
    times.push(to.max(from));
    times
}

/// Frames in time order: each instant with the text `render` makes of the store at that instant.
pub fn frames<'a, F>(
    record: &'a RunRecord,
    times: Vec<SimTime>,
    render: F,
) -> impl Iterator<Item = (SimTime, String)> + 'a
where
    F: Fn(&[TaskRow], SimTime) -> String + 'a,
{
    let mut replay = Replay::new(record);
    times.into_iter().map(move |t| {
        replay.advance_to(t);
        let tasks: Vec<TaskRow> = replay.tasks();
        (t, render(&tasks, t))
    })
}

/// The header between snapshots when stdout is not a terminal.
pub fn snapshot_header(t: SimTime) -> String {
    format!("--- simulated t={}s ---\n", t.secs_ms())
}

/// How frames are shown.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    /// A terminal: redraw in place, sleeping `step / speed` of wall time between frames.
    Terminal {
        /// The line above each frame (command, speed).
        title: String,
        /// Simulated time the run ends at (shown in the title line).
        end: SimTime,
        /// Wall time between frames.
        pause: std::time::Duration,
    },
    /// A pipe or file: snapshots one after another, each under [`snapshot_header`], no sleeping.
    Snapshots,
}

/// Writes the frames to `out` as `mode` says.
pub fn play(out: &mut impl Write, frames: impl Iterator<Item = (SimTime, String)>, mode: &Mode) -> std::io::Result<()> {
    let mut first = true;
    for (t, body) in frames {
        match mode {
            Mode::Terminal { title, end, pause } => {
                if !first {
                    // The only wall-clock wait in the program: pacing the replay for a human.
                    std::thread::sleep(*pause);
                }
                write!(out, "{CLEAR}{title}    simulated t={}s of {}s\n\n{body}", t.secs_ms(), end.secs_ms())?;
            }
            Mode::Snapshots => {
                if !first {
                    writeln!(out)?;
                }
                write!(out, "{}{body}", snapshot_header(t))?;
            }
        }
        out.flush()?;
        first = false;
    }
    Ok(())
}

/// Parses `--speed`: `10x`, `10`, `0.5x` (a positive factor).
pub fn parse_speed(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches(['x', 'X']);
    match number.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("invalid speed \"{text}\"; expected a positive factor such as 10x, 1x or 0.5x")),
    }
}

/// Wall time between frames: one simulated step divided by the speed.
pub fn pause(step: SimDuration, speed: f64) -> std::time::Duration {
    std::time::Duration::from_secs_f64(step.as_nanos() as f64 / 1e9 / speed)
}
