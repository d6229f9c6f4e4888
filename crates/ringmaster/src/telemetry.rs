//! Structured logging with `tracing`: human-readable text by default, JSON lines on request.
//! Logs go to standard error so that standard output stays for command results, in colour only
//! when standard error is a terminal (a log file or journald gets plain text).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LoggingArgs};

/// Installs the global subscriber. Safe to call more than once (later calls do nothing).
pub fn init(args: &LoggingArgs) {
    let filter = EnvFilter::try_new(&args.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match args.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
