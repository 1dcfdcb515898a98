//! `meshsim explain FILE [--service S]`: the effective mesh policy on every call, each value with
//! where it came from (the text is drawn by `crate::explain`).

use std::path::PathBuf;

use super::loading::{load_or_report, print_warnings};
use super::status::Status;
use crate::explain::render;
use crate::scenario::Scenario;

#[derive(Debug, clap::Args)]
pub(crate) struct ExplainArgs {
    /// The scenario file (TOML, format 1).
    pub file: PathBuf,
    /// Only the calls into and out of this service (or store, or broker).
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
}

pub(crate) fn explain(args: &ExplainArgs) -> Status {
    let loaded = match load_or_report(&args.file) {
        Ok(loaded) => loaded,
        Err(status) => return status,
    };
    print_warnings(&loaded);
    let scenario = loaded.scenario();
    if let Some(name) = &args.service
        && !is_host(scenario, name)
    {
        eprintln!(
            "error: {} has no service, store or broker named `{name}`",
            loaded.file
        );
        eprintln!("hint: `meshsim explain {}` lists every one", loaded.file);
        return Status::BadInput;
    }
    print!(
        "{}",
        render(
            loaded.resolved(),
            &loaded.file,
            &loaded.included.labels(),
            args.service.as_deref()
        )
    );
    Status::Ok
}

fn is_host(scenario: &Scenario, name: &str) -> bool {
    scenario.services.iter().any(|service| service.name == name)
        || scenario.stores.iter().any(|store| store.name == name)
        || scenario.brokers.iter().any(|broker| broker.name == name)
}
