//! `deploysim merge`: combine the outputs of every `sweep --shard I/N` into exactly the files
//! (and the recommendation) the whole sweep would have written.

use std::path::PathBuf;

use crate::commands::Error;
use crate::commands::sweep::write_outputs;
use crate::sweep::{goals, shard};

/// Combine the outputs of every `sweep --shard I/N` into exactly the files (and the
/// recommendation) the whole sweep would have written.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Every shard's folder (or its shard.json), in any order.
    #[arg(required = true, num_args = 1.., value_name = "SHARD")]
    pub shards: Vec<PathBuf>,
    /// Report folder (default: reports/<scenario name>-sweep/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print nothing (the files are still written).
    #[arg(long, short)]
    pub quiet: bool,
}

/// `deploysim merge`: combines every shard of a sweep into the files, and the stdout, that the
/// same sweep run whole would have written. A shard that cannot be read is bad input (exit 2);
/// an edited shard, and shards that are not together one whole sweep, are refused: a failed
/// check (exit 1), the convention of `commands::Error` for a merge refused.
pub fn run(args: &MergeArgs) -> Result<(), Error> {
    let loaded =
        args.shards.iter().map(|p| shard::read(p)).collect::<Result<Vec<_>, _>>().map_err(
            |unusable| match unusable {
                shard::Unusable::Unreadable(why) => Error::input(why),
                shard::Unusable::Edited(why) => Error::Checked(Some(why)),
            },
        )?;
    let (definition, runs) = shard::combine(loaded).map_err(|refused| Error::Checked(Some(refused)))?;
    let plan = definition.plan().map_err(|e| Error::input(format!("the shards' sweep definition is invalid: {e}")))?;
    let (objective, constraints) =
        goals(definition.objective.as_deref(), &definition.constraints).map_err(Error::input)?;
    let dir = args.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-sweep", plan.name)));
    write_outputs(&plan, definition.seeds, &runs, (&objective, &constraints), &dir, args.quiet)
}
