//! Plain data shared by every layer: service specs, nodes, images, tasks, the validated
//! scenario, and the rows a run records. No behaviour beyond small helpers.

pub mod cluster;
pub mod decision;
pub mod event_log;
pub mod expect;
pub mod image;
pub mod record;
pub mod route;
pub mod scenario;
pub mod secret;
pub mod spec;
pub mod strategy;
pub mod task;
pub mod traffic;
