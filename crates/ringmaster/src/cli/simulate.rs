//! `ringmaster simulate`: enrolls and syncs a fleet of simulated devices against a DDM server
//! for some rounds, then prints throughput, latency, errors and the OS versions reached.
//!
//! `--mix` chooses the kinds of device and their shares ([`ringmaster_simulator::mix`]); without it
//! the default mix (or, with `--mac-share`, the default mix with that share of Macs).
//!
//! The progress bar goes to standard error, the summary to standard output (`--json` for a
//! machine-readable one). Exits 1 when any sync failed, 2 for unusable arguments.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use crate::config::SimulateArgs;
use ringmaster_simulator::client::{ServerEndpoint, SyncClient};
use ringmaster_simulator::device::DeviceOptions;
use ringmaster_simulator::fleet::{FleetClock, FleetConfig, FleetMix, FleetReport, run_fleet};

pub(crate) async fn run(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    if !(0.0..=1.0).contains(&args.early_install_share) {
        return Ok(usage(&format!(
            "--early-install-share must be between 0 and 1, not {}",
            args.early_install_share
        )));
    }
    let mix = match (&args.mix, args.mac_share) {
        (Some(mix), _) => mix.clone(),
        (None, None) => FleetMix::default(),
        (None, Some(share)) => match FleetMix::default_with_mac_share(share) {
            Ok(mix) => mix,
            Err(error) => return Ok(usage(&format!("--mac-share: {error}"))),
        },
    };
    if args.concurrency == 0 {
        return Ok(usage("--concurrency must be at least 1"));
    }
    let endpoint = ServerEndpoint::new(args.server.clone())
        .with_prefix(args.prefix.clone())
        .with_secret(args.secret.clone());
    let client = match SyncClient::new(&endpoint) {
        Ok(client) => client,
        Err(error) => return Ok(usage(&format!("--server: {error}"))),
    };
    let clock = match (args.start, args.round_step) {
        (None, None) => FleetClock::Real,
        (start, step) => FleetClock::Simulated {
            start: start.unwrap_or_else(|| crate::clock::Clock::System.now()),
            step: step.unwrap_or(jiff::SignedDuration::ZERO),
        },
    };
    let config = FleetConfig {
        devices: args.devices,
        rounds: args.rounds,
        concurrency: args.concurrency,
        seed: args.seed,
        id_prefix: args.id_prefix.clone(),
        mix,
        device_options: DeviceOptions {
            full_report_every: args.full_report_every,
            report_unsubscribed_items: args.report_unsubscribed,
            ..DeviceOptions::default()
        },
        early_install_share: args.early_install_share,
        failing_devices: Default::default(),
        clock,
        show_progress: true,
    };
    let report = match run_fleet(&client, &config).await {
        Ok(report) => report,
        Err(error) => return Ok(usage(&error.to_string())),
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report.to_json())?)?;
    } else {
        print_summary(&mut out, &report, client.root_url().as_str())?;
    }
    Ok(if report.tally.failed_syncs == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_summary(out: &mut impl Write, report: &FleetReport, root: &str) -> std::io::Result<()> {
    let tally = &report.tally;
    let latency = &report.latency;
    writeln!(
        out,
        "{} device(s) x {} round(s) against {root} in {:.2} s",
        report.devices,
        report.rounds,
        report.elapsed.as_secs_f64()
    )?;
    writeln!(
        out,
        "syncs         {} ({} failed), {:.1} syncs/s",
        tally.syncs, tally.failed_syncs, report.syncs_per_second
    )?;
    writeln!(
        out,
        "latency       p50 {}  p90 {}  p99 {}  max {}",
        millis(latency.p50),
        millis(latency.p90),
        millis(latency.p99),
        millis(latency.max)
    )?;
    writeln!(
        out,
        "requests      {} ({} status reports, {} full)",
        tally.requests, tally.reports_sent, tally.full_reports_sent
    )?;
    writeln!(
        out,
        "declarations  {} fetched, {} dropped, {} judged invalid by devices",
        tally.declarations_fetched, tally.declarations_dropped, tally.invalid_declarations
    )?;
    if tally.errors.is_empty() {
        writeln!(out, "errors        none")?;
    } else {
        let counts: Vec<String> = tally
            .errors
            .iter()
            .map(|(class, count)| format!("{class}: {count}"))
            .collect();
        writeln!(out, "errors        {}", counts.join(", "))?;
        for sample in &tally.sample_errors {
            writeln!(out, "  e.g. {sample}")?;
        }
    }
    if tally.issues > 0 {
        writeln!(out, "protocol issues {}", tally.issues)?;
        for sample in &tally.sample_issues {
            writeln!(out, "  e.g. {sample}")?;
        }
    }
    let kinds: Vec<String> = report
        .kinds
        .iter()
        .map(|(kind, count)| format!("{kind} {count}"))
        .collect();
    writeln!(out, "kinds         {}", kinds.join(", "))?;
    writeln!(out, "OS versions at the end:")?;
    for count in &report.versions {
        writeln!(
            out,
            "  {:<6} {:<12} {}",
            count.platform.as_str(),
            count.version,
            count.devices
        )?;
    }
    let states: Vec<String> = report
        .install_states
        .iter()
        .map(|(state, count)| format!("{} {count}", state.as_str()))
        .collect();
    writeln!(out, "install states: {}", states.join(", "))?;
    Ok(())
}

fn millis(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

fn usage(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}
