//! `cargo bench`: the engine's event queue, the whole world on W10k, the loader and a sweep,
//! timed with divan (issue 16). Each group is a module; `cargo bench -- world` runs one. They
//! time and never judge: the README's performance table says what the figures were on the
//! project's machine, and `deploysim bench --scaling` is the whole-process benchmark beside them.

use std::path::Path;

fn main() {
    divan::main();
}

/// The tutorial scenario, which the loader and the sweep benches both use.
const TUTORIAL: &str = include_str!("../scenarios/rolling-update.yml");
const TUTORIAL_PATH: &str = "scenarios/rolling-update.yml";

/// The event queue alone, with `u64` payloads: the cost per event of scheduling and popping,
/// in the two shapes the world gives it.
mod queue {
    use deploysim::engine::EventQueue;
    use deploysim::time::SimTime;
    use divan::Bencher;

    /// A small deterministic generator (xorshift64): the benches must not depend on `rand`'s
    /// streams, and the same times every run make the figures comparable.
    fn times(n: usize, spread_ns: u64) -> Vec<SimTime> {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                SimTime(x % spread_ns)
            })
            .collect()
    }

    /// Fixed latencies: 100,000 events on 100 instants (1,000 per instant, FIFO within each),
    /// pushed then popped; the shape of a deploy where every task takes the same step at once.
    #[divan::bench(args = [100_000])]
    fn shared_instants(bencher: Bencher, n: usize) {
        let at: Vec<SimTime> = (0..n).map(|i| SimTime((i % 100) as u64 * 1_000_000)).collect();
        bencher.counter(divan::counter::ItemsCount::new(n)).bench_local(|| {
            let mut q = EventQueue::new();
            for (i, t) in at.iter().enumerate() {
                q.at(*t, i as u64);
            }
            let mut last = (SimTime(0), 0u64);
            while let Some((t, e)) = q.pop() {
                // FIFO per instant: within one instant the payloads (push order) ascend.
                debug_assert!(t > last.0 || e >= last.1);
                last = (t, e);
            }
            divan::black_box(last)
        });
    }

    /// Jittered latencies: 100,000 events, almost all at distinct instants (the queue's worst
    /// case: one heap entry per event).
    #[divan::bench(args = [100_000])]
    fn distinct_instants(bencher: Bencher, n: usize) {
        let at = times(n, 3_600_000_000_000);
        bencher.counter(divan::counter::ItemsCount::new(n)).bench_local(|| {
            let mut q = EventQueue::new();
            for (i, t) in at.iter().enumerate() {
                q.at(*t, i as u64);
            }
            let mut popped = 0u64;
            while let Some((_, e)) = q.pop() {
                popped = popped.wrapping_add(e);
            }
            divan::black_box(popped)
        });
    }

    /// The "hold" model of a running simulation: `pending` events in the queue; each step pops
    /// the earliest and schedules one at a jittered delay after it, 100,000 steps.
    #[divan::bench(args = [1_000, 100_000])]
    fn hold(bencher: Bencher, pending: usize) {
        const STEPS: usize = 100_000;
        let delays = times(STEPS, 10_000_000_000);
        let start = times(pending, 10_000_000_000);
        bencher
            .counter(divan::counter::ItemsCount::new(STEPS))
            .with_inputs(|| {
                let mut q = EventQueue::new();
                for (i, t) in start.iter().enumerate() {
                    q.at(*t, i as u64);
                }
                q
            })
            .bench_local_values(|mut q| {
                for (i, d) in delays.iter().enumerate() {
                    let (now, _) = q.pop().expect("the queue never empties");
                    q.at(SimTime(now.0 + d.0), i as u64);
                }
                q
            });
    }
}

/// The whole simulated swarm on W10k (10,000 replicas with health checks on 500 nodes, updated
/// with parallelism 100): the scenario `deploysim bench` builds, a tenth of W100k.
mod world {
    use deploysim::commands::bench::{Workload, scenario};
    use deploysim::commands::simulate::{SimulateOptions, simulate};
    use divan::Bencher;

    /// Fixed latencies (many events per instant).
    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn w10k(bencher: Bencher) {
        bencher
            .with_inputs(|| scenario(Workload::W10K, false))
            .bench_values(|s| simulate(s, None, &SimulateOptions::default()).events_handled);
    }

    /// Every latency jittered ±20 % (almost no two events at one instant).
    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn w10k_jitter(bencher: Bencher) {
        bencher
            .with_inputs(|| scenario(Workload::W10K, true))
            .bench_values(|s| simulate(s, None, &SimulateOptions::default()).events_handled);
    }
}

/// The loader: YAML text to a validated scenario.
mod loader {
    use super::{Path, TUTORIAL, TUTORIAL_PATH};
    use divan::Bencher;

    /// The tutorial's stack file (30 lines).
    #[divan::bench]
    fn tutorial() -> deploysim::model::scenario::Scenario {
        deploysim::scenario::load_str(divan::black_box(TUTORIAL), Path::new(TUTORIAL_PATH)).expect("the tutorial loads")
    }

    /// A generated stack of `services` services with health checks and update configs, 20
    /// listed nodes per service with labels, and a timeline updating every service: a large
    /// input of the kinds of keys real stacks have (about 2,500 lines for 100 services).
    fn large(services: usize) -> String {
        let mut s = String::from("version: \"3.8\"\nservices:\n");
        for i in 0..services {
            s.push_str(&format!(
                "  svc{i}:\n    image: app{i}:v1\n    healthcheck:\n      test: [\"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\"]\n      interval: 5s\n      timeout: 2s\n      retries: 3\n      start_period: 10s\n    deploy:\n      replicas: {}\n      update_config:\n        parallelism: 2\n        delay: 10s\n        failure_action: rollback\n        order: start-first\n      restart_policy:\n        condition: any\n        delay: 5s\n",
                1 + i % 7
            ));
        }
        s.push_str("x-simulation:\n  stack: big\n  seed: 1\n  until: 1h\n  cluster:\n    nodes:\n");
        for n in 0..services * 20 {
            let role = if n == 0 { "manager" } else { "worker" };
            s.push_str(&format!(
                "      - {{name: n{n}, role: {role}, labels: {{zone: z{}, rack: r{}}}}}\n",
                n % 3,
                n % 40
            ));
        }
        s.push_str("  timeline:\n");
        for i in 0..services {
            s.push_str(&format!(
                "    - at: {}s\n      run: docker service update --image app{i}:v2 big_svc{i}\n",
                60 + i
            ));
        }
        s
    }

    /// The generated stack of [`large`] with 100 services.
    #[divan::bench(sample_count = 20)]
    fn generated_100_services(bencher: Bencher) {
        let text = large(100);
        bencher.counter(divan::counter::BytesCount::of_str(&text)).bench(|| {
            deploysim::scenario::load_str(divan::black_box(&text), Path::new("big.yml"))
                .expect("the generated stack loads")
        });
    }
}

/// A small sweep of the tutorial scenario: 4 parallelisms × 2 delays × 10 seeds = 80 runs on one
/// thread, planned, run and summarised into its CSVs as `deploysim sweep` does (without writing
/// files); divan's figure over 80 is the cost of one run.
mod sweep {
    use super::{Path, TUTORIAL, TUTORIAL_PATH};
    use divan::Bencher;

    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn tutorial_80_runs(bencher: Bencher) {
        let sets = [
            "services.web.deploy.update_config.parallelism=1..4".to_string(),
            "services.web.deploy.update_config.delay=0s,5s".to_string(),
        ];
        bencher.counter(divan::counter::ItemsCount::new(80usize)).bench(|| {
            let figures = deploysim::commands::bench_sweep::sweep(TUTORIAL, Path::new(TUTORIAL_PATH), &sets, 10, 1)
                .expect("the tutorial sweeps");
            assert_eq!(figures.runs, 80);
            figures.csv_bytes
        });
    }
}
