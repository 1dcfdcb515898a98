//! `meshsim merge DIR...`: joins the shards of a sweep split with `meshsim sweep --shard K/N`
//! into the same folder, byte for byte, as the sweep run in one go.

use std::path::{Path, PathBuf};

use meshsim_reports::{Sweep, SweepError};

use super::status::{Status, bad_input};
use super::sweep_folder::write_and_print;

#[derive(Debug, clap::Args)]
pub(crate) struct MergeArgs {
    /// The shards' folders, each written by `meshsim sweep ... --shard K/N`, in any order.
    #[arg(required = true)]
    pub folders: Vec<PathBuf>,
    /// Where to write the whole sweep; defaults to `out/NAME-sweep`.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub(crate) fn merge(args: &MergeArgs) -> anyhow::Result<Status> {
    let mut parts = Vec::with_capacity(args.folders.len());
    for folder in &args.folders {
        match Sweep::read(folder) {
            Ok(part) => parts.push((folder.display().to_string(), part)),
            Err(error) => return Ok(refused(&error)),
        }
    }
    let shards = parts.len();
    let sweep = match Sweep::merge(parts) {
        Ok(sweep) => sweep,
        Err(error) => return Ok(refused(&error)),
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("out").join(format!("{}-sweep", sweep.info.scenario)));
    let heading = format!(
        "meshsim merge {} ({} engine, seeds {}, from {shards} folders)",
        sweep.info.scenario, sweep.info.engine, sweep.info.seeds
    );
    write_and_print(&out, &sweep, &heading)
}

/// Bad input to `merge`, with its hint.
fn refused(error: &SweepError) -> Status {
    bad_input(
        &error.message,
        error
            .hint
            .as_deref()
            .unwrap_or("merge the folders of one sweep's shards"),
    )
}
