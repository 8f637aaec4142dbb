//! What one `deploysim ps` frame shows: `docker service ps`, `docker service ls` or the
//! UpdateStatus of the chosen services, or `docker node ls`, at an instant.

use crate::model::record::RunRecord;
use crate::model::spec::ServiceSpec;
use crate::ps::replay::{TaskRow, tasks_at};
use crate::ps::{service, table};
use crate::time::SimTime;

/// Which docker listing `deploysim ps` prints (its `--format`): not an output format like
/// [`crate::commands::args::Format`], but which command's output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Listing {
    /// `docker service ps SERVICE…` (all the scenario's services: `docker stack ps STACK`).
    #[default]
    Ps,
    /// `docker service ls`.
    Ls,
    /// `docker service inspect --format '{{json .UpdateStatus}}' SERVICE…`, one line per service.
    UpdateStatus,
    /// The three above, each under the docker command it stands for.
    All,
    /// `docker node ls` (the services chosen do not matter).
    NodeLs,
}

/// What one frame shows: the record, the chosen services and the listing.
pub struct View<'a> {
    /// The run.
    pub record: &'a RunRecord,
    /// The services shown.
    pub services: Vec<&'a ServiceSpec>,
    /// What to print.
    pub listing: Listing,
    /// The CLI's default truncation (off with `--no-trunc`).
    pub trunc: bool,
}

impl View<'_> {
    /// The text for the task store `tasks` at `now`.
    pub fn render(&self, tasks: &[TaskRow], now: SimTime) -> String {
        match self.listing {
            Listing::Ps => self.ps(tasks, now),
            Listing::Ls => service::render_ls(self.record, &self.services, tasks, now, self.trunc),
            Listing::UpdateStatus => self.update_status(now),
            Listing::All => self.all(tasks, now),
            Listing::NodeLs => crate::ps::nodes::render_node_ls(self.record, now),
        }
    }

    fn ps(&self, tasks: &[TaskRow], now: SimTime) -> String {
        let shown: Vec<TaskRow> =
            tasks.iter().filter(|t| self.services.iter().any(|s| *s.name == *t.service)).cloned().collect();
        table::render(&shown, now, self.trunc)
    }

    fn update_status(&self, now: SimTime) -> String {
        self.services.iter().map(|s| service::update_status_json(self.record, &s.name, now) + "\n").collect()
    }

    fn all(&self, tasks: &[TaskRow], now: SimTime) -> String {
        let names: Vec<&str> = self.services.iter().map(|s| s.name.as_str()).collect();
        let names = names.join(" ");
        format!(
            "$ docker service ls\n{}\n$ docker service inspect --format '{{{{json .UpdateStatus}}}}' {names}\n{}\n$ docker service ps {names}\n{}",
            service::render_ls(self.record, &self.services, tasks, now, self.trunc),
            self.update_status(now),
            self.ps(tasks, now),
        )
    }
}

/// The text of `view` at `at` (a pure function of the run).
pub fn snapshot(view: &View<'_>, at: SimTime) -> String {
    view.render(&tasks_at(view.record, at), at)
}
