//! `meshsim`: parses the command line, starts logging, runs the command and maps how it ended
//! to an exit code: 0 ok, 1 an expectation failed, 2 bad input, 3 an internal error (a bug),
//! 130 stopped by Ctrl-C.

use std::process::ExitCode;

use clap::Parser;
use meshsim::Cli;
use tracing_subscriber::EnvFilter;

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .init();
}

/// `meshsim run x.toml | head` closes stdout early: the print that meets the closed pipe
/// panics. That is not a failure of the run, so it ends quietly (as a process killed by
/// SIGPIPE would), instead of with a panic message; every other panic keeps the default report.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let cli = Cli::parse();
    meshsim::install_interrupt_handler();
    if let Some(verbose) = cli.log_verbosity() {
        init_logging(verbose);
    }
    ExitCode::from(cli.execute().code())
}
