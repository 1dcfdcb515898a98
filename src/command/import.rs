//! `meshsim import FILES... [--out scenario.toml]`: one standalone TOML scenario from the user's
//! configuration files, for those who want one file.
//!
//! Given a scenario (`.toml`), its `include` is folded in: the result runs to the same digest.
//! Given Kubernetes, Istio, Linkerd, Flagger or Compose files, a scenario is written with the
//! mesh, the versions and the replicas filled in, and each service's behaviour as placeholders
//! to fill: the YAML says what is deployed, not what it does.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::loading::{load_or_report, print_warnings, report_load_error};
use super::status::{Status, bad_input};
use crate::manifest;
use crate::scenario;

#[derive(Debug, clap::Args)]
pub(crate) struct ImportArgs {
    /// A scenario (`.toml`) whose includes to fold in, or the configuration files themselves.
    #[arg(required = true, value_name = "FILES")]
    pub files: Vec<PathBuf>,
    /// Where to write the scenario; standard output when left out.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub(crate) fn import(args: &ImportArgs) -> Status {
    let is_scenario = |path: &PathBuf| path.extension().is_some_and(|ext| ext == "toml");
    let text = match args.files.as_slice() {
        [one] if is_scenario(one) => fold_scenario(one),
        files if files.iter().any(is_scenario) => {
            return bad_input(
                "import takes one scenario, or configuration files, not both",
                "to fold a scenario's own includes, give it alone: `meshsim import scenario.toml`",
            );
        }
        files => from_configuration(files),
    };
    let text = match text {
        Ok(text) => text,
        Err(status) => return status,
    };
    match &args.out {
        None => {
            print!("{text}");
            Status::Ok
        }
        Some(path) => match std::fs::write(path, text) {
            Ok(()) => {
                eprintln!("wrote {}", path.display());
                Status::Ok
            }
            Err(error) => bad_input(
                &format!("cannot write {}: {error}", path.display()),
                "choose a path in a folder that exists and that you may write to",
            ),
        },
    }
}

fn fold_scenario(path: &Path) -> Result<String, Status> {
    let loaded = load_or_report(path)?;
    print_warnings(&loaded);
    manifest::standalone(&loaded.source, loaded.scenario(), &loaded.included).map_err(|error| {
        eprintln!("error: {error}");
        Status::InternalError
    })
}

/// A scenario with a `[[service]]` per deployed service, placeholders for what it does.
fn from_configuration(files: &[PathBuf]) -> Result<String, Status> {
    let names: Vec<String> = files
        .iter()
        .map(|path| path.display().to_string())
        .collect();
    let services = manifest::deployed_services(&names, Path::new(""));
    if services.is_empty() {
        return Err(bad_input(
            "the files deploy no service",
            "give the Deployments (or the Compose file) of the system: import reads what they run",
        ));
    }
    let skeleton = skeleton(&names, &services);
    let loaded = scenario::load_str_in("import", &skeleton, Path::new("")).map_err(|error| {
        report_load_error(&error);
        Status::BadInput
    })?;
    print_warnings(&loaded);
    manifest::standalone(&skeleton, loaded.scenario(), &loaded.included).map_err(|error| {
        eprintln!("error: {error}");
        Status::InternalError
    })
}

fn skeleton(files: &[String], services: &[String]) -> String {
    let mut text = String::from(
        "[scenario]\nname = \"imported\"\ndescription = \"written by meshsim import: fill in what each service does, then a workload\"\nduration = \"1m\"\n",
    );
    let quoted: Vec<String> = files.iter().map(|file| format!("{file:?}")).collect();
    let _ = writeln!(text, "include = [{}]", quoted.join(", "));
    for service in services {
        let _ = write!(
            text,
            "\n[[service]]\nname = {service:?}\n\n# What `{service}` does is not in the YAML: name its endpoints (the paths it serves),\n# their service times and the calls each makes.\n[[service.endpoint]]\nname = \"GET /\"\n# service_time = {{ dist = \"lognormal\", median = \"5ms\", p99 = \"50ms\" }}\n# calls = [{{ service = \"OTHER\", endpoint = \"GET /\" }}]\n"
        );
    }
    text.push_str(
        "\n# Who calls the system: a workload on an exposed service.\n# [[workload]]\n# name = \"users\"\n# target = \"SERVICE\"\n# endpoint = \"GET /\"\n# arrival = { kind = \"poisson\", rate = 10 }\n",
    );
    text
}
