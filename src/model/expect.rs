//! Expectations as written in `x-simulation.expect`: assertions on a run's results (read by
//! `scenario`, checked by `expect` for `deploysim test`). Plain data and the comparison of a
//! bound; no I/O.

/// One item of `x-simulation.expect`.
#[derive(Clone, Debug, PartialEq)]
pub enum Expectation {
    /// Checks on the run at the scenario's seed (or `--seed`).
    Once(Check),
    /// Checks that must all hold in at least a share of the runs over seeds `1..=runs`.
    OverSeeds(Statistical),
}

/// The statistical form: `over_seeds: N`, `at_least: 99%`, optional `confidence: 95%`.
#[derive(Clone, Debug, PartialEq)]
pub struct Statistical {
    /// Where it was written (`x-simulation.expect[4]`), for messages.
    pub origin: String,
    /// Runs, with seeds 1 to `runs`.
    pub runs: u64,
    /// Lowest acceptable share of runs in which every check holds, in `[0, 1]`.
    pub at_least: f64,
    /// When set (0.90, 0.95 or 0.99), the lower bound of the Wilson interval at this level must
    /// reach `at_least`; otherwise the observed share must.
    pub confidence: Option<f64>,
    /// What must hold in one run.
    pub checks: Vec<Check>,
}

/// One assertion about one service (or the summary as a whole).
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// Where it was written (`x-simulation.expect[2].min_serving`), for messages.
    pub origin: String,
    /// Full service name; empty for `summary:` checks, whose path says where to look.
    pub service: String,
    /// What is checked.
    pub kind: Kind,
}

/// The assertion kinds.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// The last UpdateStatus state (`none` when the service never updated).
    UpdateState(String),
    /// `update.duration_s` (fails while the update has not completed).
    UpdateDuration(Bound),
    /// `availability.min_serving`.
    MinServing(Bound),
    /// `availability.min_serving_ratio`.
    MinServingRatio(Bound),
    /// `availability.seconds_below_desired`.
    SecondsBelowDesired(Bound),
    /// `availability.seconds_none_serving`.
    SecondsNoneServing(Bound),
    /// `requests.failed` (the service needs `x-simulation.traffic`).
    FailedRequests(Bound),
    /// Slots that got a new task between the update's start and its first pause or rollback.
    TasksReplacedBeforeStop(Bound),
    /// `update.rollback_started_at_s` exists and is before this simulated time.
    RollbackStartedBefore(f64),
    /// Any `summary.json` field by dotted path.
    Summary {
        /// Dotted path (`services.web_web.update.failures`; list items by index).
        path: String,
        /// What the value must be.
        is: SummaryTest,
    },
}

/// What a `summary:` field must be.
#[derive(Clone, Debug, PartialEq)]
pub enum SummaryTest {
    /// A number within a bound.
    Number(Bound),
    /// Exactly this string (or `null`).
    Text(String),
}

/// A comparison on a number, as written (`"<= 15s"`, `"60s..90s"`, `">= 0.8"`, `8`).
#[derive(Clone, Debug, PartialEq)]
pub struct Bound {
    /// The comparison.
    pub op: Op,
    /// The text as written, for messages.
    pub text: String,
}

/// Comparison operators; durations are held in seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// `< x`
    Lt(f64),
    /// `<= x`
    Le(f64),
    /// `> x`
    Gt(f64),
    /// `>= x`
    Ge(f64),
    /// `== x` (or a bare value)
    Eq(f64),
    /// `!= x`
    Ne(f64),
    /// `a..b`, both ends included.
    Range(f64, f64),
}

impl Bound {
    /// Whether `x` satisfies the bound. Values are compared after rounding both sides to the
    /// precision `summary.json` prints (microseconds is finer than any of it), so `== 0.8`
    /// matches a ratio printed `0.8000`.
    pub fn holds(&self, x: f64) -> bool {
        let r = |v: f64| (v * 1e6).round();
        let x = r(x);
        match self.op {
            Op::Lt(b) => x < r(b),
            Op::Le(b) => x <= r(b),
            Op::Gt(b) => x > r(b),
            Op::Ge(b) => x >= r(b),
            Op::Eq(b) => x == r(b),
            Op::Ne(b) => x != r(b),
            Op::Range(a, b) => r(a) <= x && x <= r(b),
        }
    }
}

impl Kind {
    /// The YAML key of the kind.
    pub fn key(&self) -> &'static str {
        match self {
            Kind::UpdateState(_) => "update_state",
            Kind::UpdateDuration(_) => "update_duration",
            Kind::MinServing(_) => "min_serving",
            Kind::MinServingRatio(_) => "min_serving_ratio",
            Kind::SecondsBelowDesired(_) => "seconds_below_desired",
            Kind::SecondsNoneServing(_) => "seconds_none_serving",
            Kind::FailedRequests(_) => "failed_requests",
            Kind::TasksReplacedBeforeStop(_) => "tasks_replaced_before_stop",
            Kind::RollbackStartedBefore(_) => "rollback_started_before",
            Kind::Summary { .. } => "summary",
        }
    }
}
