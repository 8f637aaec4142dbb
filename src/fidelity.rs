//! Fidelity: set a simulated run beside a trace recorded from a real swarm (`deploysim compare`)
//! and estimate image behaviour from a trace (`deploysim calibrate`).
//!
//! # Traces
//!
//! A trace is one recorded run: `NAME.rN.tasks.csv`, `NAME.rN.containers.csv`,
//! `NAME.rN.service.csv` and `NAME.rN.recording.csv` (when the recording ended), plus `nodes`,
//! `actions` and `daemons` from a multi-node recording, in the format of
//! `tests/data/fidelity/traces/` (its README). It is named by its path prefix
//! (`traces/s01-rolling-basic.r1`) or by the path of any of its files. t = 0 in a trace is the
//! instant the action command was issued; the simulation is aligned so that its first timeline
//! action (or `--action-at`) falls there.
//!
//! # Measures
//!
//! Per real run and simulated seed ([`compare`]), over the whole recording: the UpdateStatus at
//! its end; each UpdateStatus change (state, and time within tolerance); the slots the forward
//! update replaced before it first stopped; the order of replacement (batches of slot kinds);
//! how many slots ended each way; each slot's history ([`matching`]: slots pair by history, not
//! number, because Swarm picks slots in random order; an unpaired slot fails, and so does each
//! of its tasks' times); the minimum number of serving tasks; on multi-node traces, the running
//! tasks per node at the end, and each node's state at the action and its changes (`docker node
//! ls` STATUS: when a silent node went `down`, when it was `ready` again; from `nodes.csv`'s
//! events, polls and manager log lines, a change seen only as a state left judged by state
//! alone); and for each paired task when it was created, reached `running`
//! and reached its terminal state, and how long each took from its creation. States, order,
//! counts and the final status must be equal; times within max(0.5 s, 10 %) of the real time or
//! duration ([`tolerance`]).
//!
//! # Verdict
//!
//! Each real run is judged alone. A run is reproduced by a seed when every measure is within
//! tolerance; `compare` passes (exit 0) when every real run is reproduced by some seed of those
//! simulated (`--seeds`; by default the scenario's one seed): Swarm's races are matched by
//! seeds, not by tolerance. `--widen-by-spread` (opt-in) allows a time measure the real runs'
//! own spread of it. A run's score is the share of its measures within tolerance.

pub mod align;
pub mod calibrate;
pub mod compare;
pub mod matching;
pub mod observe;
pub mod render;
pub mod tolerance;
pub mod trace;

pub use compare::Comparison;
pub use tolerance::Tolerance;
