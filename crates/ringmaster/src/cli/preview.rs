//! The CLI's side of previews: `--dry-run` prints what a change would do and changes nothing;
//! without it, on a terminal, the preview is printed and the change applied only when the admin
//! answers `y` (`--yes` skips the question; with standard input not a terminal the command runs
//! as it always did, so scripts never hang).
//!
//! The table has a line per device whose target or deadline would change (device, from, to, the
//! deadline's change, how urgent), then the counts over every device.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use ringmaster_domain::preview::{ChangePreview, ServedTarget};
use ringmaster_domain::schedule::format_deadline;

use crate::config::confirm::ConfirmArgs;
use crate::os_updates::service::OsUpdateError;

/// What a command does after its preview gate.
pub(crate) enum Gate {
    /// Make the change.
    Proceed,
    /// Stop with this exit code: a dry run shown, or the admin declined.
    Stop(ExitCode),
    /// The preview refused the change, with the error the real write would give.
    Refused(OsUpdateError),
}

/// Runs the preview when `--dry-run` is given, or when asking on a terminal without `--yes`.
pub(crate) async fn gate<F>(
    confirm: &ConfirmArgs,
    preview: impl FnOnce() -> F,
) -> anyhow::Result<Gate>
where
    F: Future<Output = Result<ChangePreview, OsUpdateError>>,
{
    let ask = !confirm.dry_run && !confirm.yes && std::io::stdin().is_terminal();
    if !confirm.dry_run && !ask {
        return Ok(Gate::Proceed);
    }
    let preview = match preview().await {
        Ok(preview) => preview,
        Err(error) => return Ok(Gate::Refused(error)),
    };
    let mut out = std::io::stdout().lock();
    write_table(&mut out, &preview)?;
    if confirm.dry_run {
        writeln!(out, "dry run: nothing was changed")?;
        return Ok(Gate::Stop(ExitCode::SUCCESS));
    }
    write!(out, "apply this change? [y/N] ")?;
    out.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(Gate::Proceed)
    } else {
        writeln!(out, "nothing was changed")?;
        Ok(Gate::Stop(ExitCode::FAILURE))
    }
}

/// The preview as a table, then its counts.
pub(crate) fn write_table(out: &mut impl Write, preview: &ChangePreview) -> std::io::Result<()> {
    if !preview.changes.is_empty() {
        writeln!(
            out,
            "{:<36} {:<20} {:<20} {:<42} URGENCY",
            "DEVICE", "FROM", "TO", "DEADLINE"
        )?;
    }
    for change in &preview.changes {
        let deadline = |target: &Option<ServedTarget>| {
            target
                .as_ref()
                .map_or_else(|| "-".to_owned(), |t| format_deadline(t.deadline))
        };
        writeln!(
            out,
            "{:<36} {:<20} {:<20} {:<42} {}",
            change.device_id,
            release(change.before.as_ref()),
            release(change.after.as_ref()),
            format!(
                "{} -> {}",
                deadline(&change.before),
                deadline(&change.after)
            ),
            change.urgency.as_str()
        )?;
    }
    if preview.truncated {
        writeln!(
            out,
            "... and {} more device(s) not listed",
            preview.changed - preview.changes.len()
        )?;
    }
    writeln!(
        out,
        "{} of {} device(s) would change: {} due within 24 hours, {} overdue at once",
        preview.changed, preview.devices, preview.due_within_24_hours, preview.overdue_at_once
    )
}

fn release(target: Option<&ServedTarget>) -> String {
    match target {
        None => "nothing".to_owned(),
        Some(target) => match &target.build {
            Some(build) => format!("{} ({build})", target.version.as_str()),
            None => target.version.as_str().to_owned(),
        },
    }
}
