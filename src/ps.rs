//! What `docker service ps`, `docker service ls`, `docker service inspect` and `docker node ls` would print at
//! any simulated instant, a `watch docker stack ps`-style replay, and `run --trace`'s one line
//! per event. Everything here is a pure function of a [`RunRecord`](crate::model::record::RunRecord)
//! (and the scenario, for service specs and history limits) and an instant; only
//! [`watch::play`] does I/O (`commands::ps` loads, simulates and prints).
//!
//! ```text
//!   RunRecord.task_events ──► replay (store at t, less the reaper's deletions) ──► table   (docker service ps)
//!                                                             └──► service (docker service ls, UpdateStatus)
//!   RunRecord ──► trace (run --trace)
//! ```

pub mod docker_fmt;
pub mod nodes;
pub mod replay;
pub mod service;
pub mod table;
pub mod trace;
pub mod view;
pub mod watch;

#[cfg(test)]
mod tests;

pub use replay::{Replay, TaskRow, tasks_at};
pub use trace::{trace, trace_lines};
