//! deploysim: a deterministic discrete-event simulator of Docker Swarm rolling updates.
#![warn(missing_docs)]

pub mod engine;
pub mod model;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod swarm;
pub mod time;
pub mod world;
pub mod app;
pub mod bench;
pub mod cli;
