//! The `ringmaster` binary: parses the command line and hands over to [`ringmaster::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    ringmaster::cli::main()
}
