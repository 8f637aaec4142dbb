//! The `deploysim` binary: parse the arguments, run the command, print why it failed and exit
//! with the code of the failure (0 ok, 1 what was checked failed, 2 bad input, 3 an I/O or
//! internal error: see `commands::Error`; clap's own argument errors exit 2).

use std::process::ExitCode;

use clap::Parser;
use deploysim::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match deploysim::scenario::cli_variables(&cli.env_file, &cli.env) {
        Ok(vars) => deploysim::scenario::set_cli_variables(vars),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }
    match cli.command.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // An empty message: the report already printed says what failed.
            let message = e.to_string();
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            ExitCode::from(e.exit_code())
        }
    }
}
