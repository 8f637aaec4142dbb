//! The output boundary: pure writers from a [`crate::model::record::RunRecord`] to bytes.
//!
//! Every writer here is a pure function of the record, so two runs with the same inputs produce
//! byte-identical reports. Times and durations are printed from integer nanoseconds (never
//! through `f64`) for the same reason. The only I/O is in [`files`]: [`replace_folder`] and
//! [`write_atomically`].

pub mod availability;
pub mod events;
pub mod files;
pub mod html;
pub mod mounts;
pub mod narrative;
pub mod nodes;
pub mod requests;
pub mod rollout;
pub mod scrub;
pub mod summary;
pub mod timeline;

pub use availability::{Availability, Ratio, availability};
pub use events::events_csv;
pub use files::{Folder, Stage, WriteError, replace_folder, replace_folder_with, write_atomically};
pub use html::{Interactive, html_report};
pub use mounts::mounts_csv;
pub use narrative::narrative;
pub use nodes::nodes_csv;
pub use requests::requests_csv;
pub use summary::{Summary, summary_json};
pub use timeline::timeline_csv;

#[cfg(test)]
pub(crate) mod fixtures;
