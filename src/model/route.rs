//! Routes: which services a client-facing name sends requests to, and in what proportion.
//!
//! Swarm has no traffic splitting of its own: a service's VIP balances over its own serving
//! tasks. Blue-green and canary on Swarm put a router in front (Traefik's Swarm provider, or a
//! network alias shared by two services), and steer it with service labels. deploysim models
//! that router with two labels, read from each service's current spec:
//!
//! - `deploysim.route=NAME`: the service is a backend of route `NAME`;
//! - `deploysim.weight=N`: its weight (a non-negative integer).
//!
//! The backends of a traffic entry written `service: S` are `S` itself and every service
//! labelled `deploysim.route=S`; of one written `route: R`, the services labelled
//! `deploysim.route=R`. A route **splits by serving replicas** — every serving task of every
//! backend takes an equal share, as Traefik does when two Swarm services carry the same
//! load-balancer service, or a `dnsrr` alias shared by both — until any backend carries
//! `deploysim.weight`; then it **splits by weight** — each backend takes `weight / Σ weights`
//! of the requests, spread over its own serving tasks, as a weighted round robin in front of
//! the services does (Traefik's WRR; a backend without the label weighs 1, Traefik's default).
//! A weighted backend with no serving task answers its share with errors (no health check on
//! the round robin itself), which is why a canary's weight is raised only once it serves.
//!
//! Label changes (`docker service update --label-add/--label-rm`) replace no task, so a router
//! switch is instant and free; a real router applies it when it next notices (Traefik polls
//! the Swarm API, by default every 15 s), which is not modelled.

use std::collections::BTreeMap;

use crate::time::SimTime;

/// The label naming the route a service is a backend of.
pub const ROUTE_LABEL: &str = "deploysim.route";

/// The label giving a backend's weight.
pub const WEIGHT_LABEL: &str = "deploysim.weight";

/// One backend of a route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backend {
    /// Full service name.
    pub service: String,
    /// `deploysim.weight`, when set.
    pub weight: Option<u64>,
}

/// A route's backends from an instant on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteState {
    /// From when.
    pub t: SimTime,
    /// The route (a traffic entry's `service` or `route`).
    pub route: String,
    /// Its backends, in service creation order.
    pub backends: Vec<Backend>,
}

impl RouteState {
    /// Whether requests split by weight (any backend has a weight) rather than by replicas.
    pub fn weighted(&self) -> bool {
        self.backends.iter().any(|b| b.weight.is_some())
    }
}

/// The weight a label value gives: a non-negative integer, else `None` (an invalid value is
/// refused when the command is parsed, so this only guards).
pub fn parse_weight(value: &str) -> Option<u64> {
    value.trim().parse::<u64>().ok()
}

/// The backends of `route` among `services` (name and labels of each live service, in creation
/// order). `includes_named` is true for a traffic entry written `service: NAME`: that service
/// is a backend whatever its labels say.
pub fn backends<'a>(
    route: &str,
    includes_named: bool,
    services: impl Iterator<Item = (&'a str, &'a BTreeMap<String, String>)>,
) -> Vec<Backend> {
    services
        .filter(|(name, labels)| {
            (includes_named && *name == route) || labels.get(ROUTE_LABEL).is_some_and(|r| r == route)
        })
        .map(|(name, labels)| Backend {
            service: name.to_string(),
            weight: labels.get(WEIGHT_LABEL).and_then(|w| parse_weight(w)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_named_service_and_labelled_ones_are_backends() {
        let blue = labels(&[]);
        let green = labels(&[(ROUTE_LABEL, "web_web"), (WEIGHT_LABEL, "100")]);
        let other = labels(&[(ROUTE_LABEL, "api")]);
        let all = [("web_web", &blue), ("web_web-green", &green), ("api_api", &other)];
        let b = backends("web_web", true, all.iter().map(|(n, l)| (*n, *l)));
        assert_eq!(b.len(), 2);
        assert_eq!((b[0].service.as_str(), b[0].weight), ("web_web", None));
        assert_eq!((b[1].service.as_str(), b[1].weight), ("web_web-green", Some(100)));
        let state = RouteState { t: SimTime::ZERO, route: "web_web".into(), backends: b };
        assert!(state.weighted());
        // `route: api` has only labelled backends.
        let api = backends("api", true, all.iter().map(|(n, l)| (*n, *l)));
        assert_eq!(api.iter().map(|b| b.service.as_str()).collect::<Vec<_>>(), ["api_api"]);
        assert!(backends("web_web", false, all.iter().map(|(n, l)| (*n, *l))).len() == 1);
    }
}
