//! `ringmaster device-status ID` and `ringmaster compliance`: policy results on the command line,
//! as the API gives them (`--json`) or as plain text, both from the API's typed views.

use std::io::Write;
use std::process::ExitCode;

use jiff::Timestamp;
use ringmaster_domain::platform::Platform;

use crate::cli::open_store;
use crate::cli::policy::find;
use crate::clock::Clock;
use crate::config::{ComplianceArgs, DeviceStatusArgs};
use crate::os_updates::result_views::{DeviceLine, DeviceStatusView};
use crate::os_updates::results::PolicyCompliance;
use crate::os_updates::service::{OsUpdateError, OsUpdates};

pub(crate) async fn device_status(args: DeviceStatusArgs) -> anyhow::Result<ExitCode> {
    let Some(at) = instant(args.at.as_deref()) else {
        return Ok(ExitCode::from(2));
    };
    let service = OsUpdates::new(open_store(&args.database.url).await?);
    service.refresh().await?;
    let result = match service.device_result(&args.device, at).await {
        Ok(result) => result,
        Err(OsUpdateError::NotFound(what)) => {
            eprintln!("error: {what} does not exist");
            return Ok(ExitCode::FAILURE);
        }
        Err(other) => return Err(other.into()),
    };
    let view = DeviceStatusView::of(&result, at);
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&view)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let text = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".into());
    let device = &view.device;
    writeln!(out, "device:      {}", args.device)?;
    writeln!(
        out,
        "runs:        {} {}",
        device
            .platform
            .map_or("(not reported yet)", Platform::as_str),
        device.os_version.as_deref().unwrap_or("")
    )?;
    writeln!(
        out,
        "hardware:    model {}, software-update id {}",
        device.model.as_deref().unwrap_or("-"),
        device.software_update_device_id.as_deref().unwrap_or("-")
    )?;
    writeln!(out, "state:       {}", view.state)?;
    writeln!(
        out,
        "policy:      {}",
        view.policy
            .as_ref()
            .map_or("none", |policy| policy.name.as_str())
    )?;
    writeln!(
        out,
        "target:      {} by {}",
        text(&view.target_version),
        text(&view.deadline)
    )?;
    writeln!(out, "why:         {}", text(&view.explanation))?;
    writeln!(out, "install:     {}", text(&view.install_state))?;
    if let Some(reason) = view.failure.as_ref().and_then(|f| f.reason.as_deref()) {
        writeln!(out, "failure:     {reason}")?;
    }
    for declaration in &view.declarations {
        if declaration.valid == "invalid" {
            let reasons: Vec<String> = declaration
                .reasons
                .iter()
                .map(|r| format!("{} {}", r.code, r.description.as_deref().unwrap_or("")))
                .collect();
            writeln!(
                out,
                "rejected:    {} ({})",
                declaration.identifier,
                reasons.join("; ")
            )?;
        }
    }
    if view.legacy_conflict {
        writeln!(
            out,
            "conflict:    a legacy update mechanism is recorded on this device"
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn compliance(args: ComplianceArgs) -> anyhow::Result<ExitCode> {
    let Some(at) = instant(args.at.as_deref()) else {
        return Ok(ExitCode::from(2));
    };
    let platform = match Platform::parse(&args.platform) {
        Ok(platform) => platform,
        Err(why) => {
            eprintln!("error: --platform: {why}");
            return Ok(ExitCode::from(2));
        }
    };
    let service = OsUpdates::new(open_store(&args.database.url).await?);
    service.refresh().await?;
    let rows: Vec<(String, PolicyCompliance)> = match &args.policy {
        Some(key) => {
            let Some(policy) = find(&service, key).await? else {
                eprintln!("error: no policy has the id or name {key:?}");
                return Ok(ExitCode::FAILURE);
            };
            let compliance = service.policy_compliance(policy.id, at).await?;
            vec![(policy.policy.name.as_str().to_owned(), compliance)]
        }
        None => service
            .rings_compliance(platform, at)
            .await?
            .rings
            .into_iter()
            .map(|ring| (ring.group.name, ring.compliance))
            .collect(),
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<24} {:>10} {:>8} {:>8} {:>7} {:>9} {:>11} {:>7} {:>7} {:>7}",
        "RING",
        "UP TO DATE",
        "PENDING",
        "OVERDUE",
        "FAILED",
        "REJECTED",
        "UNSUPPORTED",
        "EXEMPT",
        "PAUSED",
        "LEGACY"
    )?;
    for (name, compliance) in &rows {
        let counts = &compliance.counts;
        writeln!(
            out,
            "{:<24} {:>10} {:>8} {:>8} {:>7} {:>9} {:>11} {:>7} {:>7} {:>7}",
            name,
            counts.up_to_date,
            counts.pending,
            counts.overdue,
            counts.failed,
            counts.declaration_rejected,
            counts.unsupported,
            counts.exempt,
            counts.paused,
            counts.legacy_conflict,
        )?;
        if args.devices {
            for result in &compliance.results {
                let line = DeviceLine::of(result);
                writeln!(
                    out,
                    "  {:<36} {:<20} {} -> {} by {}",
                    line.id,
                    line.state,
                    line.os_version.as_deref().unwrap_or("?"),
                    line.target_version.as_deref().unwrap_or("-"),
                    line.deadline.as_deref().unwrap_or("-"),
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn instant(at: Option<&str>) -> Option<Timestamp> {
    match at {
        None => Some(Clock::System.now()),
        Some(text) => match text.parse() {
            Ok(at) => Some(at),
            Err(_) => {
                eprintln!("error: --at: write an RFC 3339 instant such as 2026-11-24T09:00:00Z");
                None
            }
        },
    }
}
