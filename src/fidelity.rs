//! Fidelity: set a simulated run beside a trace recorded from a real swarm (`deploysim compare`)
//! and estimate image behaviour from a trace (`deploysim calibrate`).
//!
//! # Traces
//!
//! A trace is one recorded run: `NAME.rN.tasks.csv`, `NAME.rN.containers.csv` and
//! `NAME.rN.service.csv` (plus `nodes`, `actions` and `daemons` from a multi-node recording), in
//! the format of `../shared/fidelity/` (its README). It is named by its path prefix
//! (`traces/s01-rolling-basic.r1`) or by the path of any of its files. t = 0 in a trace is the
//! instant the action command was issued; the simulation is aligned so that its first timeline
//! action (or `--action-at`) falls there.
//!
//! # Measures
//!
//! Per real run ([`compare`]): the final UpdateStatus; each UpdateStatus change (state, and time
//! within tolerance); the slots the update replaced before its first pause/completion/rollback;
//! the order of replacement (batches of slot kinds); how many slots ended each way; whether every
//! slot's task history pairs up with a simulated slot's ([`matching`]: by history, not slot
//! number, because Swarm picks slots in an arbitrary order); the minimum number of serving tasks;
//! on multi-node traces, the running tasks per node at the end; and for each paired task when it
//! was created, reached `running` and reached its terminal state. States, order, counts and the
//! final status must be equal; times must be within max(0.5 s, 10 %) of the real time
//! ([`tolerance`]).
//!
//! # Score
//!
//! A run's score is the share of its measures within tolerance. With several traces, the overall
//! score is their mean, or with `--any-run` (a race: several legitimate outcomes) the best one.
//! `compare` passes (exit 0) only when every measure of every run (or of one run, with
//! `--any-run`) is within tolerance.

pub mod calibrate;
pub mod command;
pub mod compare;
pub mod matching;
pub mod observe;
pub mod render;
pub mod tolerance;
pub mod trace;

pub use compare::Comparison;
pub use tolerance::Tolerance;
