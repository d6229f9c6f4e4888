//! The open-file limit: raised at start as far as the system allows, and checked against
//! `--max-connections` (every connection holds one descriptor).

/// Descriptors kept for everything but connections: the database, the listener, logs, files.
pub const RESERVED_DESCRIPTORS: u64 = 64;

/// Raises the soft `RLIMIT_NOFILE` to the hard limit where allowed; the soft limit now in force
/// (`None` where the system has no such limit or it cannot be read).
#[cfg(unix)]
pub fn raise_open_file_limit() -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let current = limit.current?;
    // An unlimited hard limit is not accepted as a soft one everywhere (macOS); try a large
    // finite value then.
    let wanted = limit.maximum.unwrap_or(1 << 20);
    if wanted > current
        && setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(wanted),
                maximum: limit.maximum,
            },
        )
        .is_ok()
    {
        return Some(wanted);
    }
    Some(current)
}

/// Not raised where there is no `RLIMIT_NOFILE`.
#[cfg(not(unix))]
pub fn raise_open_file_limit() -> Option<u64> {
    None
}

/// Raises the limit, logs it, and warns when `max_connections` would not fit in it.
pub fn prepare_for(max_connections: usize) {
    let Some(limit) = raise_open_file_limit() else {
        return;
    };
    tracing::info!(open_file_limit = limit, "open-file limit");
    let needed = u64::try_from(max_connections)
        .unwrap_or(u64::MAX)
        .saturating_add(RESERVED_DESCRIPTORS);
    if needed > limit {
        tracing::warn!(
            max_connections,
            open_file_limit = limit,
            "--max-connections is more than the open-file limit allows (with {RESERVED_DESCRIPTORS} \
             descriptors kept for the database and files); lower it or raise the limit (ulimit -n)"
        );
    }
}
