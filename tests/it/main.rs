//! The integration tests, one binary (each module was a binary of its own; one binary links
//! the crate once, which is most of what `cargo test` used to spend): the command-line tools as
//! a user meets them, the fidelity suite against real Docker traces, determinism, golden event
//! logs, invariants over random scenarios, and the updater's script tests.

mod capacity;
mod check_cli;
mod check_determinism;
mod common;
mod crash_cycle;
mod determinism;
mod explain;
mod fidelity;
mod fidelity_cli;
mod fuzz;
mod golden;
mod html_report;
mod import;
mod invariants;
mod limits;
mod plot;
mod ps_cli;
mod races;
mod report_atomic;
mod scheduler_index;
mod secret_leak;
mod stack_deploy;
mod strategies;
mod swarmkit;
mod sweep_shards;
mod test_cli;
mod timeline;
mod tools;
mod traffic;
mod updater_script;
mod wording;
