//! The generic discrete-event engine: an event queue ordered by (time, sequence) and a run loop
//! with limits. It knows nothing about Docker; the Swarm world plugs in through [`Model`].

pub(crate) mod queue;
pub(crate) mod simulation;

pub use queue::EventQueue;
pub(crate) use simulation::{Limits, Model, StopReason, run};
