//! `mitan`: parse the command line, run it, and turn any failure into one line and exit code 1.

use clap::Parser as _;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match mitan::cli::Cli::parse().run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mitan: error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
