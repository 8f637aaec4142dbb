//! The `deploysim` binary: parse the arguments, run the command, print why it failed and exit
//! with the code of the failure (0 ok, 1 what was checked failed, 2 bad input, 3 an I/O or
//! internal error: see `commands::Error`; clap's own argument errors exit 2).

use std::process::ExitCode;

use clap::Parser;
use deploysim::cli::Cli;
use deploysim::hugepages::HugePageHeap;

/// The system's allocator, its memory marked for huge pages: a large run's records are spread
/// over hundreds of MiB (`deploysim::hugepages`).
#[global_allocator]
static ALLOCATOR: HugePageHeap = HugePageHeap;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match deploysim::scenario::cli_variables(&cli.env_file, &cli.env) {
        Ok(vars) => deploysim::scenario::set_cli_variables(vars),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }
    // A panic is a bug or a failure of the system under deploysim (a temporary file that cannot
    // be read back): Rust prints where it happened, and the exit code says what it is, an
    // internal error (3), as for every command, never the runtime's 101. Reports are published
    // by an atomic rename at their end, so one cut short leaves the previous one whole.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cli.command.run())) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            // An empty message: the report already printed says what failed.
            let message = e.to_string();
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            ExitCode::from(e.exit_code())
        }
        Err(_) => {
            eprintln!("error: internal error (the message above says where); nothing was published");
            ExitCode::from(3)
        }
    }
}
