//! Traffic: what clients send each service (`x-simulation.traffic`), when each task could take
//! requests (serving intervals, recorded by the world), and the request outcomes computed from
//! them (see [`crate::traffic`] for the model).

use std::collections::BTreeMap;

use crate::model::record::Name;
use crate::rng::Dist;
use crate::time::{SimDuration, SimTime};

/// Error rate (ppm) of each image that answers some requests with errors; other images have
/// none.
pub type ErrorRates = BTreeMap<String, u32>;

/// Millirequests per second: rates are stored as integers so that `2.5` rps is exact.
pub type MilliRps = u64;

/// What happens to requests beyond `capacity_per_task` × serving tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overload {
    /// Refused at once (a 503 from a proxy, a full accept backlog).
    Reject,
    /// They wait for a free slot; one that would wait longer than `timeout` fails.
    Queue {
        /// Longest wait a client accepts.
        timeout: SimDuration,
    },
}

/// The load sent to one service.
#[derive(Clone, Debug, PartialEq)]
pub struct TrafficSpec {
    /// The route: a full service name (`web_web`, written `service:`), whose backends are that
    /// service and the services labelled `deploysim.route=web_web`; or a route name (written
    /// `route:`, see `route_only`).
    pub service: String,
    /// Written `route: NAME`: the backends are only the services labelled for it.
    pub route_only: bool,
    /// Piecewise-constant rate: `(from, rate)` sorted by time; the rate before the first step
    /// is 0. A constant rate is one step at 0.
    pub rate: Vec<(SimTime, MilliRps)>,
    /// How long one request takes once a task handles it.
    pub request_duration: Dist,
    /// Rate one serving task handles; `None` = unlimited.
    pub capacity_per_task: Option<MilliRps>,
    /// Rule for load beyond capacity.
    pub overload: Overload,
    /// Start of the measured window; `None` = when the service first had every desired
    /// replica serving (its initial deploy is not what the traffic measures).
    pub from: Option<SimTime>,
}

/// Why a task stopped receiving requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServingEnd {
    /// Its binding was removed while the process lived on: SIGTERM (shutdown) or a failed
    /// health check. Requests in flight run until the process exits (`cut`).
    Unbound,
    /// The process exited while serving (a crash, an `exit` behaviour): in-flight requests die.
    Exited,
    /// Its node stopped answering: in-flight requests die with the connections.
    NodeLost,
}

/// One span during which the routing mesh sent a task requests. Its names are read with
/// [`RunRecord::name`](crate::model::record::RunRecord::name) (a run has one span per task
/// that ever served: four-byte names keep them small).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServingInterval {
    /// Full service name.
    pub service: Name,
    /// Docker-style task id.
    pub task_id: Name,
    /// `image:tag` the task runs (which version answered).
    pub image: Name,
    /// When the task started serving (healthy, bound).
    pub start: SimTime,
    /// When it stopped; `None` while still serving when the run ended.
    pub end: Option<SimTime>,
    /// Why it stopped.
    pub ended_by: Option<ServingEnd>,
    /// When requests still in flight on it were cut off (the process exited — SIGKILL, crash or
    /// its own exit after SIGTERM — or the node was lost); `None` if that had not happened by
    /// the end of the run. Equal to `end` for [`ServingEnd::Exited`] and [`ServingEnd::NodeLost`].
    pub cut: Option<SimTime>,
}

/// Request outcomes of one second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestBucket {
    /// Start of the second.
    pub t: SimTime,
    /// Requests that succeeded.
    pub ok: u64,
    /// Requests that failed.
    pub failed: u64,
}

/// Request outcomes of one service over the measured window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestSeries {
    /// Full service name.
    pub service: String,
    /// Start of the measured window.
    pub from: SimTime,
    /// End of the measured window (the run's end).
    pub until: SimTime,
    /// One bucket per second overlapping the window, in time order.
    pub buckets: Vec<RequestBucket>,
    /// Longest continuous time in the window during which every arriving request failed.
    pub longest_outage: SimDuration,
    /// When that outage began (`None` when there was none).
    pub longest_outage_at: Option<SimTime>,
    /// The route's new version: the image last brought to one of its backends by `docker
    /// service update --image` or `docker service create` (`None`: never).
    pub new_image: Option<String>,
    /// Requests answered by tasks of the new version (the exposure, when it is bad).
    pub to_new: u64,
    /// Of those, the ones that failed.
    pub new_failed: u64,
    /// Per backend service, the requests it was sent and how many failed, in the order the
    /// backends first appeared.
    pub backends: Vec<BackendRequests>,
}

/// The requests a route sent to one backend service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendRequests {
    /// Full service name.
    pub service: String,
    /// Requests it was sent (a weighted backend with no serving task still counts its share).
    pub total: u64,
    /// Of those, the ones that failed.
    pub failed: u64,
}

impl RequestSeries {
    /// Requests counted (ok + failed).
    pub fn total(&self) -> u64 {
        self.buckets.iter().map(|b| b.ok + b.failed).sum()
    }

    /// Requests that failed.
    pub fn failed(&self) -> u64 {
        self.buckets.iter().map(|b| b.failed).sum()
    }
}
