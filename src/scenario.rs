//! The input boundary: reads a stack file with `x-simulation` (or a simulation file naming a
//! stack file) into a validated [`crate::model::scenario::Scenario`].
