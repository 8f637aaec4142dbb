//! Expectations: assertions on a run's results, written in `x-simulation.expect`, checked by
//! `deploysim test` so that an update policy can be regression-tested in CI.
//!
//! The expectations themselves are plain data ([`crate::model::expect`]), read from the YAML
//! by the scenario loader with the usual diagnostics. [`eval`] checks one against a run (mostly
//! through its [`crate::report::Summary`], the figures of `summary.json`, so that "actual"
//! values read exactly as the report shows them); [`results`] holds and renders what
//! `deploysim test` (`commands::test`) found; [`junit`] writes JUnit XML. The Wilson interval
//! of the statistical form is [`crate::stats`].

pub(crate) mod eval;
pub(crate) mod junit;
pub(crate) mod results;

#[cfg(test)]
mod tests;
