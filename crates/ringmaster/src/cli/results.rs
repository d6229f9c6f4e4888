//! `ringmaster device-status ID` and `ringmaster compliance`: policy results on the command line,
//! as the API gives them (`--json`) or as plain text.

use std::io::Write;
use std::process::ExitCode;

use jiff::Timestamp;
use ringmaster_domain::catalog::release::Platform;

use crate::cli::open_store;
use crate::cli::policy::find;
use crate::config::{ComplianceArgs, DeviceStatusArgs};
use crate::os_updates::result_views;
use crate::os_updates::results::DeviceResult;
use crate::os_updates::service::{OsUpdateError, OsUpdates};
use crate::patch_source::service::now;

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
    let json = result_views::device_status(&result, at);
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let text = |key: &str| {
        json[key]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| "-".into())
    };
    writeln!(out, "device:      {}", args.device)?;
    writeln!(
        out,
        "runs:        {} {}",
        json["device"]["platform"]
            .as_str()
            .unwrap_or("(not reported yet)"),
        json["device"]["osVersion"].as_str().unwrap_or("")
    )?;
    writeln!(
        out,
        "hardware:    model {}, software-update id {}",
        json["device"]["model"].as_str().unwrap_or("-"),
        json["device"]["softwareUpdateDeviceId"]
            .as_str()
            .unwrap_or("-")
    )?;
    writeln!(out, "state:       {}", text("state"))?;
    writeln!(
        out,
        "policy:      {}",
        json["policy"]["name"].as_str().unwrap_or("none")
    )?;
    writeln!(
        out,
        "target:      {} by {}",
        text("targetVersion"),
        text("deadline")
    )?;
    writeln!(out, "why:         {}", text("explanation"))?;
    writeln!(out, "install:     {}", text("installState"))?;
    if let Some(reason) = json["failure"]["reason"].as_str() {
        writeln!(out, "failure:     {reason}")?;
    }
    for declaration in json["declarations"].as_array().into_iter().flatten() {
        if declaration["valid"] == "invalid" {
            let reasons: Vec<String> = declaration["reasons"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| {
                    format!(
                        "{} {}",
                        r["code"].as_str().unwrap_or(""),
                        r["description"].as_str().unwrap_or("")
                    )
                })
                .collect();
            writeln!(
                out,
                "rejected:    {} ({})",
                declaration["identifier"].as_str().unwrap_or(""),
                reasons.join("; ")
            )?;
        }
    }
    if json["legacyConflict"] == true {
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
    let results = service.fleet_results(at).await?;
    let snapshot = service.snapshot();
    let policies: Vec<(String, i64)> = match &args.policy {
        Some(key) => {
            let Some(policy) = find(&service, key).await? else {
                eprintln!("error: no policy has the id or name {key:?}");
                return Ok(ExitCode::FAILURE);
            };
            vec![(policy.policy.name.as_str().to_owned(), policy.id)]
        }
        None => snapshot
            .ring_policies(platform)
            .into_iter()
            .map(|(group, policy)| (group.name.clone(), policy.id))
            .collect(),
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<24} {:>9} {:>8} {:>8} {:>7} {:>9} {:>9}",
        "RING", "UP TO DATE", "PENDING", "OVERDUE", "FAILED", "REJECTED", "LEGACY"
    )?;
    for (name, id) in &policies {
        let mine: Vec<&DeviceResult> = results
            .iter()
            .filter(|result| result.served.policy.as_ref().map(|p| p.id) == Some(*id))
            .collect();
        let counts = result_views::counts(mine.iter().copied());
        let count = |key: &str| counts[key].as_u64().unwrap_or(0);
        writeln!(
            out,
            "{:<24} {:>9} {:>8} {:>8} {:>7} {:>9} {:>9}",
            name,
            count("upToDate"),
            count("pending"),
            count("overdue"),
            count("failed"),
            count("declarationRejected"),
            count("legacyConflict"),
        )?;
        if args.devices {
            for result in &mine {
                let line = result_views::device_line(result);
                writeln!(
                    out,
                    "  {:<36} {:<20} {} -> {} by {}",
                    line["id"].as_str().unwrap_or(""),
                    line["state"].as_str().unwrap_or(""),
                    line["osVersion"].as_str().unwrap_or("?"),
                    line["targetVersion"].as_str().unwrap_or("-"),
                    line["deadline"].as_str().unwrap_or("-"),
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn instant(at: Option<&str>) -> Option<Timestamp> {
    match at {
        None => Some(now()),
        Some(text) => match text.parse() {
            Ok(at) => Some(at),
            Err(_) => {
                eprintln!("error: --at: write an RFC 3339 instant such as 2026-11-24T09:00:00Z");
                None
            }
        },
    }
}
