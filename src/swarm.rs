//! Swarm's decision logic as pure state machines named after swarmkit's parts. Nothing here
//! touches the event queue, the clock or a random stream: inputs carry `now`, outputs are
//! commands that `world` applies.

pub mod health;
pub mod placement;
pub mod restart;
pub mod updater;
