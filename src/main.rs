use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = convene::cli::Cli::parse();
    convene::telemetry::init_logging();
    match convene::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("convene: {e:#}");
            ExitCode::FAILURE
        }
    }
}
