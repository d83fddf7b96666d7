//! `mitan`: parse the command line, run it, and turn any failure into one line and exit code 1.

use clap::Parser as _;

/// mimalloc instead of the system allocator: a USSD hop allocates a few hundred small strings
/// and buffers across threads, where glibc's malloc took about a sixth of the CPU (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match mitan::cli::Cli::parse().run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // Whatever read the output stopped reading (`mitan screens | head`): nothing to say.
        Err(err) if is_broken_pipe(&err) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mitan: error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
