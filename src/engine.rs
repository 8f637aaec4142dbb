//! The generic discrete-event engine: an event queue ordered by (time, sequence) and a run loop
//! with limits. It knows nothing about Docker; the Swarm world plugs in through [`Model`].

pub mod queue;
pub mod simulation;

pub use queue::EventQueue;
pub use simulation::{Limits, Model, RunOutcome, StopReason, run};
