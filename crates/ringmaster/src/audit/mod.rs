//! The audit log at the edge: what is recorded for each change through the admin API or the
//! CLI, and how long it is kept.
//!
//! - [`summary`]: before and after summaries, secrets redacted and sizes bounded.
//! - [`objects`]: the object a route changes, and its view read for the summaries.
//! - [`cli`]: recording a CLI command's change (`cli` and the OS user).
//! - [`prune`]: the retention round (`--audit-retention`), under a lease.
//!
//! The HTTP side is `http::audit_record` (the middleware on every admin write) and
//! `http::audit` (`GET /api/v1/audit`); the storage is `ringmaster_store::audit`.

pub mod cli;
pub mod objects;
pub mod prune;
pub mod summary;

use std::time::Duration;

/// The default retention: one year.
pub const DEFAULT_RETENTION: &str = "365d";

/// How long entries are kept: `None` keeps every entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention(pub Option<Duration>);

impl Default for Retention {
    fn default() -> Self {
        Retention(Some(Duration::from_secs(365 * 86_400)))
    }
}

/// Reads `--audit-retention`: a whole number of days (`365d`) or hours (`12h`), or `forever`
/// (or `0`) to keep every entry. At most 100 years.
pub fn parse_retention(text: &str) -> Result<Retention, String> {
    let text = text.trim();
    if text == "forever" || text == "0" {
        return Ok(Retention(None));
    }
    let expected = || format!("{text:?}: expected days (365d), hours (12h), or forever");
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let seconds_per = match unit {
        "d" => 86_400,
        "h" => 3_600,
        _ => return Err(expected()),
    };
    let count: u64 = number.parse().map_err(|_| expected())?;
    if count == 0 {
        return Ok(Retention(None));
    }
    if count.saturating_mul(seconds_per) > 100 * 366 * 86_400 {
        return Err(format!("{text:?}: at most 100 years"));
    }
    Ok(Retention(Some(Duration::from_secs(count * seconds_per))))
}

/// The OS user a CLI command runs as, from the environment (`unknown` when it does not say).
pub fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|user| !user.is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_reads_days_hours_and_forever() {
        assert_eq!(
            parse_retention("365d"),
            Ok(Retention(Some(Duration::from_secs(365 * 86_400))))
        );
        assert_eq!(
            parse_retention("12h"),
            Ok(Retention(Some(Duration::from_secs(12 * 3_600))))
        );
        assert_eq!(parse_retention("forever"), Ok(Retention(None)));
        assert_eq!(parse_retention("0"), Ok(Retention(None)));
        assert!(parse_retention("1y").is_err());
        assert!(parse_retention("d").is_err());
        assert!(parse_retention("99999999d").is_err());
    }
}
