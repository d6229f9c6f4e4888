//! Checks of flag values, run by clap as value parsers so a bad value is refused at start with
//! the flag's name, and secrets read from files (`--ddm-secret-file`, `--mdm-api-key-file`).

use std::path::Path;

/// The largest count flag (`--devices`, `--max-connections`): beyond it a run would only exhaust
/// memory or descriptors.
pub const MAX_COUNT: usize = 1_000_000;

/// A byte limit of at least 1 (`0` would refuse every body).
pub fn positive_bytes(text: &str) -> Result<usize, String> {
    let value: usize = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of bytes"))?;
    if value == 0 {
        return Err("0 would refuse every request body; give at least 1".into());
    }
    Ok(value)
}

/// A count from 1 to [`MAX_COUNT`].
pub fn count(text: &str) -> Result<usize, String> {
    let value: usize = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a whole number"))?;
    if !(1..=MAX_COUNT).contains(&value) {
        return Err(format!("{value} is not in 1..={MAX_COUNT}"));
    }
    Ok(value)
}

/// The most syncs `simulate` keeps in flight (each holds a connection).
pub const MAX_CONCURRENCY: usize = 10_000;

/// `simulate --concurrency`: 1 to [`MAX_CONCURRENCY`].
pub fn concurrency(text: &str) -> Result<usize, String> {
    let value = count(text)?;
    if value > MAX_CONCURRENCY {
        return Err(format!("{value} is not in 1..={MAX_CONCURRENCY}"));
    }
    Ok(value)
}

/// `simulate --mix`: kinds and shares ([`ringmaster_simulator::mix::FleetMix::parse`]).
pub fn fleet_mix(text: &str) -> Result<ringmaster_simulator::mix::FleetMix, String> {
    ringmaster_simulator::mix::FleetMix::parse(text).map_err(|error| error.to_string())
}

/// `--max-connections`: a count from 1 to [`MAX_COUNT`].
pub fn connection_count(text: &str) -> Result<usize, String> {
    count(text)
}

/// A plain path prefix such as `/ddm/` or `/mdm/ddm`: segments of letters, digits and `-._~`,
/// no empty, `.` or `..` segments, no wildcards, braces or other characters a router would read
/// as syntax. `/` puts the endpoints at the root. Answers the prefix as given.
pub fn ddm_prefix(text: &str) -> Result<String, String> {
    if !text.starts_with('/') {
        return Err(format!("{text:?} must start with /"));
    }
    let inner = text.trim_start_matches('/');
    let inner = inner.strip_suffix('/').unwrap_or(inner);
    if text.starts_with("//") {
        return Err(format!("{text:?} has an empty path segment"));
    }
    if inner.is_empty() {
        return Ok(text.to_owned());
    }
    for segment in inner.split('/') {
        if segment.is_empty() {
            return Err(format!("{text:?} has an empty path segment"));
        }
        if segment == "." || segment == ".." {
            return Err(format!("{text:?} has a {segment:?} path segment"));
        }
        if let Some(bad) = segment
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')))
        {
            return Err(format!(
                "{text:?} has {bad:?}: a prefix is plain path segments of letters, digits and -._~ \
                 (no wildcards, braces or parameters)"
            ));
        }
    }
    Ok(text.to_owned())
}

/// An `http` or `https` URL with a host (`--mdm-enqueue-url`).
pub fn http_url(text: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(text.trim()).map_err(|error| format!("not a URL: {error}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("give an http:// or https:// URL with a host".into());
    }
    if url.fragment().is_some() {
        return Err("the URL must not have a #fragment".into());
    }
    Ok(text.trim().to_owned())
}

/// `--mdm-batch-size`: 1 to [`crate::os_updates::notifier::MAX_BATCH`] ids per request.
pub fn mdm_batch_size(text: &str) -> Result<usize, String> {
    let value = count(text)?;
    let max = crate::os_updates::notifier::MAX_BATCH;
    if value > max {
        return Err(format!(
            "{value} ids would make URLs longer than servers accept; give 1 to {max}"
        ));
    }
    Ok(value)
}

/// An HTTP basic-auth user name (`--mdm-api-user`): not empty, no `:`, no control characters.
pub fn basic_auth_user(text: &str) -> Result<String, String> {
    if text.is_empty() || text.contains(':') || text.chars().any(char::is_control) {
        return Err("give a user name without `:` or control characters, such as nanomdm".into());
    }
    Ok(text.to_owned())
}

/// A secret given as a value: not empty, not only whitespace.
pub fn secret_text(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        return Err(
            "the secret is empty or only whitespace (leave it unset to run without one)".into(),
        );
    }
    Ok(text.to_owned())
}

/// A secret from a value or a file (clap refuses both at once); `None` when neither is given.
/// `flag` names the file flag in errors.
pub fn secret_from(
    value: Option<&str>,
    file: Option<&Path>,
    flag: &str,
) -> anyhow::Result<Option<String>> {
    match (value, file) {
        (Some(value), None) => Ok(Some(value.to_owned())),
        (None, Some(path)) => read_secret_file(path, flag).map(Some),
        (None, None) => Ok(None),
        (Some(_), Some(_)) => anyhow::bail!("give the secret or {flag}, not both"),
    }
}

/// A secret file's text, less one trailing newline; refused when empty or only whitespace.
pub fn read_secret_file(path: &Path, flag: &str) -> anyhow::Result<String> {
    let bytes = std::fs::read(path)
        .map_err(|error| anyhow::anyhow!("{flag} {}: cannot be read: {error}", path.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{flag} {}: is not UTF-8 text", path.display()))?;
    let secret = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(&text);
    if secret.trim().is_empty() {
        anyhow::bail!(
            "{flag} {}: the file is empty or holds only whitespace",
            path.display()
        );
    }
    Ok(secret.to_owned())
}

/// `--role`: readOnly, manager or admin; the error lists them.
pub fn role(text: &str) -> Result<ringmaster_domain::access::Role, String> {
    text.parse().map_err(|error| format!("{error}"))
}

/// `--expires-in`: days or hours, such as `90d` ([`ringmaster_domain::access::parse_lifetime`]).
pub fn lifetime(text: &str) -> Result<jiff::SignedDuration, String> {
    ringmaster_domain::access::parse_lifetime(text)
}

/// `--titles`: comma-separated title ids.
pub fn title_scope(text: &str) -> Result<ringmaster_domain::access::TitleScope, String> {
    ringmaster_domain::access::TitleScope::parse(text.split(','))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_prefixes_pass_and_router_syntax_is_refused() {
        for good in ["/", "/ddm/", "/ddm", "/mdm/ddm/", "/a-b.c_d~e/v1"] {
            assert_eq!(ddm_prefix(good).as_deref(), Ok(good), "{good}");
        }
        for bad in [
            "", "ddm", "/*rest", "/{id}", "/:id", "//", "/a//b", "/a/../b", "/./", "/a b", "/ä",
            "/a?b", "/a%20b",
        ] {
            assert!(ddm_prefix(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn counts_and_limits_have_bounds() {
        assert!(positive_bytes("0").is_err());
        assert_eq!(positive_bytes("1"), Ok(1));
        assert!(count("0").is_err());
        assert!(count("99999999999").is_err());
        assert_eq!(count("1000000"), Ok(1_000_000));
    }

    #[test]
    fn mdm_settings_are_checked_at_start() {
        assert!(http_url("https://mdm.example/v1/enqueue").is_ok());
        for bad in [
            "mdm.example/v1/enqueue/",
            "ftp://mdm/",
            "http://",
            "https://m/e#f",
        ] {
            assert!(http_url(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(mdm_batch_size("30"), Ok(30));
        assert!(mdm_batch_size("0").is_err());
        assert!(mdm_batch_size("200").is_err());
        assert_eq!(basic_auth_user("nanohub").as_deref(), Ok("nanohub"));
        for bad in ["", "a:b", "a\nb"] {
            assert!(basic_auth_user(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn secret_files_lose_one_newline_and_must_hold_something() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let flag = "--ddm-secret-file";
        assert_eq!(
            read_secret_file(&write("a", "s3cret\n"), flag).unwrap(),
            "s3cret"
        );
        assert_eq!(
            read_secret_file(&write("b", "s3cret\n\n"), flag).unwrap(),
            "s3cret\n"
        );
        assert_eq!(
            read_secret_file(&write("c", "s3cret\r\n"), flag).unwrap(),
            "s3cret"
        );
        for blank in ["", "\n", "  \n"] {
            let error = read_secret_file(&write("d", blank), flag).unwrap_err();
            assert!(error.to_string().contains("empty"), "{error}");
        }
        assert!(secret_text("   ").is_err());
        assert!(
            read_secret_file(&dir.path().join("missing"), flag)
                .unwrap_err()
                .to_string()
                .contains("cannot be read")
        );
    }
}
