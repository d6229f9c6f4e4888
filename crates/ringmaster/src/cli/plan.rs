//! `ringmaster plan`: when each release becomes visible and must be installed, for every ring of
//! a platform or for one policy, as a table (or `--json`), optionally drawn with `--svg FILE`.

use std::io::Write;
use std::process::ExitCode;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use ringmaster_domain::plan_window::plan_window;
use ringmaster_domain::platform::Platform;
use ringmaster_domain::schedule::format_deadline;

use crate::cli::open_store;
use crate::cli::policy::find;
use crate::clock::Clock;
use crate::config::PlanArgs;
use crate::os_updates::served::PolicyRollout;
use crate::os_updates::service::OsUpdates;
use crate::os_updates::views::{self, PlanView};

pub(crate) async fn run(args: PlanArgs) -> anyhow::Result<ExitCode> {
    let platform = match Platform::parse(&args.platform) {
        Ok(platform) => platform,
        Err(why) => return Ok(usage(&format!("--platform: {why}"))),
    };
    let Ok(from) = args.from.as_deref().map(str::parse::<Date>).transpose() else {
        return Ok(usage("--from: write the day as yyyy-mm-dd"));
    };
    let Ok(to) = args.to.as_deref().map(str::parse::<Date>).transpose() else {
        return Ok(usage("--to: write the day as yyyy-mm-dd"));
    };
    let today = Clock::System.now().to_zoned(TimeZone::UTC).date();
    let (from, to) = match plan_window(today, from, to) {
        Ok(window) => window,
        Err(reversed) => {
            return Ok(usage(&format!(
                "--to ({}) is before --from ({})",
                reversed.to, reversed.from
            )));
        }
    };
    let service = OsUpdates::new(open_store(&args.database.url).await?);
    service.refresh().await?;
    let (rollouts, title) = match &args.policy {
        Some(key) => {
            let Some(policy) = find(&service, key).await? else {
                eprintln!("error: no policy has the id or name {key:?}");
                return Ok(ExitCode::FAILURE);
            };
            let rollout = service.policy_rollout(policy.id, from, to).await?;
            let title = format!("Rollout of {}", policy.policy.name.as_str());
            (vec![rollout], title)
        }
        None => (
            service.rings_rollout(platform, from, to).await?,
            format!("{platform} rollout by ring"),
        ),
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        let json = PlanView::of(&rollouts, from, to);
        writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
    } else {
        print_table(&mut out, &rollouts, from, to)?;
    }
    if let Some(path) = &args.svg {
        std::fs::write(path, views::plan_svg(&rollouts, &title, from, to))
            .map_err(|error| anyhow::anyhow!("cannot write {}: {error}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table(
    out: &mut impl Write,
    rollouts: &[PolicyRollout],
    from: Date,
    to: Date,
) -> std::io::Result<()> {
    if rollouts.is_empty() {
        writeln!(
            out,
            "no rings: run `ringmaster policy load-defaults`, or name a policy with --policy"
        )?;
        return Ok(());
    }
    writeln!(out, "from {from} to {to}")?;
    writeln!(
        out,
        "{:<20} {:<12} {:<11} {:<13} {:<11} INSTALL BY (DEVICE TIME)",
        "RING", "RELEASE", "BUILD", "DEFERRAL", "VISIBLE"
    )?;
    for rollout in rollouts {
        let name = rollout.label();
        for waiting in &rollout.waiting {
            writeln!(out, "{name:<20} {waiting}")?;
        }
        for pause in &rollout.pauses {
            let until = pause
                .span()
                .end()
                .map_or_else(|| "resumed".to_owned(), |end| end.to_string());
            writeln!(
                out,
                "{name:<20} paused from {} until {until}: {}",
                pause.paused_at, pause.reason
            )?;
        }
        if rollout.entries.is_empty() {
            writeln!(out, "{name:<20} (nothing in this window)")?;
        }
        for entry in &rollout.entries {
            writeln!(
                out,
                "{:<20} {:<12} {:<11} {:<13} {:<11} {}",
                name,
                entry.version.as_str(),
                entry.build.as_deref().unwrap_or("-"),
                rollout.deferral_name(entry),
                entry.visible_on.to_string(),
                entry.enforced_by.map_or_else(
                    || "not enforced".to_owned(),
                    |deadline| { format_deadline(deadline).replace('T', " ") }
                ),
            )?;
        }
    }
    Ok(())
}

fn usage(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}
