//! deploysim: a deterministic discrete-event simulator of Docker Swarm rolling updates.
//!
//! It answers "what will Swarm do when I run `docker service update`?" by replaying, on
//! simulated time, the logic swarmkit and moby run: the updater's worker pool, delay, monitor,
//! failure action and ratio, start-first/stop-first, rollback, the restart supervisor, the
//! scheduler, health checks, image pulls and node loss.
//!
//! # Architecture
//!
//! ```text
//!   cli ──► commands (one file per subcommand; the one `simulate`; printing, files, exit codes)
//!             │
//!             ├──► scenario (YAML in, validated model out)
//!             ├──► report (RunRecord in, bytes out) ──► plot (report files in, SVG/PNG out)
//!             ├──► ps, check, expect, fidelity, sweep, strategy_comparison (pure, on records)
//!             │
//!             └──► world: manager (control plane) over cluster (machines), and rollouts
//!                    ├────► swarm (pure decisions: updater, restart, placement, health)
//!                    └────► engine (event queue + run loop; no Docker words)
//!
//!   model, time, rng, stats: plain data and helpers used by all of the above
//!   traffic: request outcomes computed from a run's serving spans (post-processing)
//! ```
//!
//! Dependencies point one way, `cli → commands → scenario, report, plot, ps, check, expect,
//! fidelity, sweep, strategy_comparison → world → swarm, engine → model → time`, with no
//! circle: nothing below `commands` prints, reads arguments or chooses an exit code, and `model`
//! holds only data (the expectations of `x-simulation.expect` included). `swarm` never touches
//! the queue, the clock or a random stream; its functions take `now` and return commands, which
//! `world` carries out. `engine` knows nothing of Swarm.
//!
//! # Determinism contract
//!
//! The same scenario, seed and binary produce byte-identical outputs:
//! - time is an integer count of nanoseconds ([`time::SimTime`]); durations are parsed from
//!   Go syntax exactly, and printed from integers;
//! - every random draw comes from a ChaCha8 stream derived from the seed and a subsystem label
//!   ([`rng::SimRng::stream`]), so adding a consumer does not shift the others' draws;
//! - only ordered collections (`Vec`, `BTreeMap`, `BTreeSet`) are iterated.
//!
//! # Same-time ordering
//!
//! The event queue ([`engine::EventQueue`]) is keyed by `(time, sequence)`, where the sequence
//! number grows with every event scheduled. Events due at the same instant are therefore
//! handled in the order they were scheduled (FIFO), never by heap order. A handler that wants
//! something to happen "now, after everything already due now" schedules it at the current
//! time (the orchestrator's reconcile after a rollback does this, which is what makes the s05
//! trace's race come out as in its first recorded run).
//!
//! Where real Swarm is random (Go map order, goroutine scheduling, timer phases), the draw comes
//! from the seed's `races` stream, so one scenario has several legitimate outcomes and the same
//! seed always gives the same one; `x-simulation.races: fixed` takes one readable order instead
//! (slots ascending, the lowest node index among equals, a batch's reports in arrival order, the
//! updater before the restart supervisor, a failure before a freed worker). Each race is
//! documented where it is drawn; docs/architecture.md lists them.
//!
//! # Bounds
//!
//! Every run stops at `x-simulation.until` or after `x-simulation.max_events` events; hitting
//! either is reported in `summary.json` (`run.end_reason`), never a hang.
#![warn(missing_docs)]
#![warn(unreachable_pub)]
// The modules allowed `unsafe` are the libyaml error reader (`scenario/raw/libyaml.rs`,
// libyaml's C interface), the cache prefetch hint (`prefetch.rs`, one intrinsic with no
// effect on what the program computes) and the binary's allocator (`hugepages.rs`: the system's,
// with its memory marked for huge pages); nothing else may add any without saying so here.
#![deny(unsafe_code)]
// The documentation is for the project's developers (`cargo doc --document-private-items`, run
// by CI with warnings denied), so a public item may link to a private one.
#![allow(rustdoc::private_intra_doc_links)]
// clap takes each command's --help text from its doc comment, where `<scenario name>` is a
// placeholder the user reads, not an HTML tag.
#![allow(rustdoc::invalid_html_tags)]

mod check;
pub mod cli;
pub mod commands;
// Public for `cargo bench` (benches/deploysim.rs times the event queue through the crate's API);
// only the queue is exported, the run loop and its `Model` stay inside.
pub mod engine;
mod expect;
pub mod explain;
pub mod fidelity;
pub(crate) mod gomap;
pub(crate) mod gosort;
pub mod hugepages;
mod limits;
pub mod model;
mod plan;
mod plot;
mod prefetch;
pub mod ps;
pub mod report;
pub mod rng;
pub mod scenario;
mod stats;
mod strategy;
pub mod strategy_comparison;
pub mod swarm;
mod sweep;
pub mod time;
mod traffic;
mod world;
