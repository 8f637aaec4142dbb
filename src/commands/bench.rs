//! `deploysim bench`: a large rolling update built in code (no YAML), timed end to end, with
//! events per second and peak memory. A benchmark, not a test: run it on a quiet machine.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::commands::simulate::{SimulateOptions, simulate};
use crate::model::cluster::{Availability, NodeRole, NodeSpec};
use crate::model::scenario::{Action, EngineVersion, Latencies, Scenario, ServiceUpdate, TimedAction};
use crate::model::spec::{HealthConfig, Healthcheck, ServiceMode, ServiceSpec, TaskSpec, UpdateConfig};
use crate::rng::Dist;
use crate::time::{SimDuration, SimTime};

/// Time a large rolling update (100,000 replicas on 5,000 nodes by default).
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Replicas of the benchmark service.
    #[arg(long, default_value_t = 100_000)]
    pub replicas: u64,
    /// Nodes in the cluster.
    #[arg(long, default_value_t = 5_000)]
    pub nodes: u64,
    /// update_config.parallelism.
    #[arg(long, default_value_t = 1_000)]
    pub parallelism: u64,
    /// Also build the report files in memory (as `run` does, without writing them).
    #[arg(long)]
    pub with_reports: bool,
    /// Jitter every latency by ±20 % (almost no two events share an instant).
    #[arg(long)]
    pub jitter: bool,
}

/// `±20 %` uniform jitter on a fixed duration.
fn jittered(d: &Dist) -> Dist {
    let t = d.typical().as_nanos();
    Dist::Uniform(SimDuration::from_nanos(t - t / 5), SimDuration::from_nanos(t + t / 5))
}

/// The benchmark scenario: `replicas` tasks with a health check on `nodes` nodes, updated to a
/// new image with `parallelism` workers once deployed; with `jitter`, every latency jittered
/// (so that almost no two events share an instant: the event queue's worst case).
fn scenario(replicas: u64, nodes: u64, parallelism: u64, jitter: bool) -> Scenario {
    let node_specs = (0..nodes)
        .map(|i| NodeSpec {
            name: format!("node-{}", i + 1),
            role: if i == 0 { NodeRole::Manager } else { NodeRole::Worker },
            labels: BTreeMap::new(),
            availability: Availability::Active,
            cached_images: vec![],
            down: false,
        })
        .collect();
    let mut task = TaskSpec::with_image("app:v1");
    task.healthcheck = Some(Healthcheck::Check(HealthConfig {
        test: vec!["CMD-SHELL".into(), "curl -f http://localhost/".into()],
        interval: Some(SimDuration::from_secs(5)),
        timeout: Some(SimDuration::from_secs(2)),
        retries: Some(3),
        start_period: Some(SimDuration::from_secs(10)),
        start_interval: None,
    }));
    let service = ServiceSpec {
        name: "bench_app".into(),
        mode: ServiceMode::Replicated { replicas },
        task,
        update: UpdateConfig { parallelism, delay: SimDuration::from_secs(1), ..UpdateConfig::default() },
        rollback: UpdateConfig::default(),
        labels: BTreeMap::new(),
    };
    let update = ServiceUpdate { image: Some("app:v2".into()), ..Default::default() };
    Scenario {
        name: "bench".into(),
        stack: "bench".into(),
        seed: 1,
        until: SimTime(SimDuration::from_secs(24 * 3600).as_nanos()),
        max_events: 100_000_000,
        engine: EngineVersion::V27,
        latencies: if jitter { jittered_latencies() } else { Latencies::calibrated() },
        races: Default::default(),
        nodes: node_specs,
        images: BTreeMap::new(),
        services: vec![service],
        secrets: vec![],
        timeline: vec![TimedAction {
            jitter: SimDuration::ZERO,
            at: SimTime(SimDuration::from_secs(120).as_nanos()),
            action: Action::ServiceUpdate { service: "bench_app".into(), update: Box::new(update) },
            text: "docker service update --image app:v2 bench_app".into(),
        }],
        input_digest: "bench".into(),
        traffic: vec![],
        expect: vec![],
        strategies: vec![],
    }
}

fn jittered_latencies() -> Latencies {
    let mut l = Latencies::calibrated();
    for d in [
        &mut l.status_report,
        &mut l.dispatch,
        &mut l.allocate,
        &mut l.schedule,
        &mut l.pull_cached,
        &mut l.stop_signal,
        &mut l.unhealthy_kill,
        &mut l.exit_report,
        &mut l.start_begin,
        &mut l.probe,
        &mut l.agent_step,
        &mut l.reconcile,
    ] {
        *d = jittered(d);
    }
    l
}

/// Peak resident memory of this process in KiB (Linux `VmHWM`), if known.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs the benchmark and prints its figures.
#[allow(clippy::disallowed_methods)] // wall-clock timing is what a benchmark measures
pub fn run(args: &BenchArgs) -> Result<(), crate::commands::Error> {
    let BenchArgs { replicas, nodes, parallelism, with_reports, jitter } = *args;
    let scenario = scenario(replicas, nodes, parallelism, jitter);
    let latencies = if jitter { "jittered" } else { "fixed" };
    println!(
        "bench: {replicas} replicas on {nodes} nodes, parallelism {parallelism}, health checks on, {latencies} latencies"
    );
    let started = Instant::now();
    let record = simulate(scenario, None, &SimulateOptions::default());
    let simulated = started.elapsed();
    let events = record.events_handled;
    let svc = &record.services[0];
    println!(
        "simulated {} s in {:.3} s wall: {} events ({:.0} events/s); {} task transitions; update {}",
        record.end_time.secs_ms(),
        simulated.as_secs_f64(),
        events,
        events as f64 / simulated.as_secs_f64().max(1e-9),
        record.task_events.len(),
        svc.update.state.map(|s| s.as_str()).unwrap_or("none"),
    );
    if with_reports {
        let t = Instant::now();
        let bytes: usize = crate::commands::run::report_files(&record).iter().map(|(_, b)| b.len()).sum();
        println!("reports: {} bytes built in {:.3} s", bytes, t.elapsed().as_secs_f64());
    }
    if let Some(kib) = peak_rss_kib() {
        println!("peak memory: {:.1} MiB", kib as f64 / 1024.0);
    }
    println!("total wall time: {:.3} s (target < 2 s, < 1 GiB)", started.elapsed().as_secs_f64());
    Ok(())
}
