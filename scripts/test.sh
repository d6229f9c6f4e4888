#!/usr/bin/env bash
# The project's test command: formatting, lints and the whole test suite,
# against a throwaway PostgreSQL server.
#
# Usage: scripts/test.sh [extra args passed to the test runner]
#
# Environment:
#   TEST_DATABASE_URL          use this PostgreSQL database instead of starting
#                              a throwaway server
#   RINGMASTER_TEST_SKIP_LINT=1  skip `cargo fmt --check`, `cargo clippy`, `cargo doc`,
#                              `cargo machete` and `cargo deny`
#   CI=true                    fail (instead of warn) if PostgreSQL cannot be
#                              installed or started, or curl, chromium,
#                              chromedriver or axe-core (npm) cannot be
#                              installed; install what is missing without asking
#   RINGMASTER_TEST_INSTALL=1  outside CI, install what is missing (apt-get)
#                              without asking; on a terminal the script asks
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

section() { printf '\n==> %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }

is_ci() { [ "${CI:-}" = "true" ] || [ "${CI:-}" = "1" ]; }

# Called when PostgreSQL is unavailable: hard failure on CI, loud warning locally.
pg_unavailable() {
    if is_ci; then
        printf 'ERROR: %s\n' "$*" >&2
        printf 'ERROR: PostgreSQL is required on CI (CI=%s); aborting.\n' "${CI:-}" >&2
        exit 1
    fi
    warn "################################################################"
    warn "$*"
    warn "Continuing WITHOUT TEST_DATABASE_URL: the PostgreSQL tests will SKIP."
    warn "Set TEST_DATABASE_URL or install PostgreSQL to run them."
    warn "################################################################"
    unset TEST_DATABASE_URL
    return 1
}

# ---------------------------------------------------------------------------
# PostgreSQL server binaries
# ---------------------------------------------------------------------------

PG_BIN=""

find_pg_bin() {
    local dir
    # 1. initdb + pg_ctl on PATH.
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        PG_BIN="$(dirname "$(command -v pg_ctl)")"
        return 0
    fi
    # 2. Debian/Ubuntu layout: /usr/lib/postgresql/<version>/bin, highest version.
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5 -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            PG_BIN="$dir"
            return 0
        fi
    done
    return 1
}

# Outside CI, installing a system package is the developer's call: ask on a terminal, and
# without one install only when RINGMASTER_TEST_INSTALL=1 says so.
may_install() {
    local what="$1" answer
    if is_ci || [ "${RINGMASTER_TEST_INSTALL:-}" = "1" ]; then
        return 0
    fi
    if [ -t 0 ]; then
        printf '%s is needed by the tests and missing. Install it with apt-get now? [y/N] ' "$what" >&2
        read -r answer || answer=""
        case "$answer" in
            y | Y | yes | YES) return 0 ;;
        esac
        return 1
    fi
    warn "$what is missing; not installing it without asking (set RINGMASTER_TEST_INSTALL=1 to allow)"
    return 1
}

install_pg() {
    local sudo=""
    may_install "PostgreSQL" || return 1
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo="sudo"
        else
            warn "not root and sudo is not available: cannot install PostgreSQL"
            return 1
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        warn "apt-get not found: cannot install PostgreSQL automatically"
        return 1
    fi
    section "Installing PostgreSQL (apt-get install postgresql)"
    $sudo apt-get update -qq &&
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
}

# ---------------------------------------------------------------------------
# Throwaway server
# ---------------------------------------------------------------------------

PGROOT=""
PG_STARTED=0

# Run a PostgreSQL server command as `postgres` when we are root (the server
# refuses to run as root), directly otherwise. As root, run from / because
# `postgres` may not be allowed into the current directory (e.g. root's home).
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        if command -v runuser >/dev/null 2>&1; then
            (cd / && runuser -u postgres -- "$@")
        else
            (cd / && su postgres -s /bin/sh -c "$(printf '%q ' "$@")")
        fi
    else
        "$@"
    fi
}

# Stop the throwaway server if one is (or might be) running in $PGROOT/data.
stop_pg() {
    if [ -n "$PGROOT" ] && [ -f "$PGROOT/data/postmaster.pid" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PGROOT/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
            as_pg "$PG_BIN/pg_ctl" -D "$PGROOT/data" -m immediate -w stop >/dev/null 2>&1 ||
            warn "could not stop PostgreSQL in $PGROOT/data"
    fi
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

cleanup() {
    local status=$?
    if [ -n "$PGROOT" ] && [ -d "$PGROOT" ]; then
        if [ "$status" -ne 0 ] && [ -s "$PGROOT/log" ]; then
            printf '\n==> PostgreSQL log (last 50 lines of %s)\n' "$PGROOT/log" >&2
            tail -n 50 "$PGROOT/log" >&2 || true
        fi
        if [ "$PG_STARTED" -eq 1 ]; then
            printf '\n==> Stopping throwaway PostgreSQL\n' >&2
        fi
        stop_pg
        rm -rf "$PGROOT"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_pg() {
    local port attempt
    if [ "$(id -u)" -eq 0 ]; then
        # /tmp rather than $TMPDIR: `postgres` must be able to reach the directory.
        PGROOT="$(mktemp -d /tmp/ringmaster-pg.XXXXXX)"
        if ! id -u postgres >/dev/null 2>&1; then
            if getent group postgres >/dev/null 2>&1; then
                useradd --system --gid postgres --home-dir /nonexistent --no-create-home \
                    --shell /usr/sbin/nologin postgres || return 1
            else
                useradd --system --user-group --home-dir /nonexistent --no-create-home \
                    --shell /usr/sbin/nologin postgres || return 1
            fi
        fi
        chown postgres: "$PGROOT"
    else
        PGROOT="$(mktemp -d "${TMPDIR:-/tmp}/ringmaster-pg.XXXXXX")"
    fi
    chmod 755 "$PGROOT"

    as_pg "$PG_BIN/initdb" -D "$PGROOT/data" -U postgres -A trust --no-sync -E UTF8 \
        >"$PGROOT/initdb.log" 2>&1 || {
        cat "$PGROOT/initdb.log" >&2
        return 1
    }

    # Retry a couple of times in case another process grabs the port between
    # choosing it and the server binding it.
    for attempt in 1 2 3; do
        port="$(free_port)" || return 1
        if as_pg "$PG_BIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/log" -w -t 60 start \
            -o "-p $port -k $PGROOT -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
            >/dev/null; then
            PG_STARTED=1
            export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
            echo "PostgreSQL $("$PG_BIN/pg_ctl" --version | awk '{print $3}') running on 127.0.0.1:$port (data in $PGROOT)"
            return 0
        fi
        warn "PostgreSQL failed to start on port $port (attempt $attempt)"
        tail -n 20 "$PGROOT/log" >&2 2>/dev/null || true
        stop_pg
    done
    return 1
}

if [ -n "${TEST_DATABASE_URL:-}" ]; then
    section "Using TEST_DATABASE_URL from the environment"
else
    section "Starting throwaway PostgreSQL"
    if ! find_pg_bin; then
        install_pg || true
        find_pg_bin || true
    fi
    if [ -z "$PG_BIN" ]; then
        pg_unavailable "PostgreSQL server binaries (initdb, pg_ctl) not found and could not be installed." || true
    elif ! command -v python3 >/dev/null 2>&1; then
        pg_unavailable "python3 is needed to pick a free port for PostgreSQL." || true
    elif ! start_pg; then
        pg_unavailable "could not start a throwaway PostgreSQL server (binaries in $PG_BIN)." || true
    fi
fi

# ---------------------------------------------------------------------------
# Shell tools for the patch-server tool tests (curl, bash, grep, cut, tr)
# ---------------------------------------------------------------------------

# The tests in crates/ringmaster/tests/api/patch_server_tools*.rs run the shell
# pipelines of existing patch-server tools; they skip without curl (and fail
# under CI=true). Install curl when it is missing, as PostgreSQL above.
install_curl() {
    local sudo=""
    may_install "curl" || return 1
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo="sudo"
        else
            warn "not root and sudo is not available: cannot install curl"
            return 1
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        warn "apt-get not found: cannot install curl automatically"
        return 1
    fi
    section "Installing curl (apt-get install curl)"
    $sudo apt-get update -qq &&
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl
}

if ! command -v curl >/dev/null 2>&1; then
    install_curl || true
fi
if ! command -v curl >/dev/null 2>&1; then
    if is_ci; then
        printf 'ERROR: curl is required on CI (CI=%s) for the patch-server tool tests; aborting.\n' "${CI:-}" >&2
        exit 1
    fi
    warn "curl is not installed and could not be installed: the patch-server tool tests will SKIP."
fi

# ---------------------------------------------------------------------------
# The web app's browser tests: headless Chromium, its WebDriver, and axe-core
# ---------------------------------------------------------------------------
# tests/api/ui_browser.rs drives Debian's chromium through chromium-driver
# (chromedriver) and runs axe-core, fetched from the npm registry into target/axe
# (never committed), on every page. They skip without them (and fail under CI=true).
install_chromium() {
    local sudo=""
    may_install "chromium and chromium-driver" || return 1
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo="sudo"
        else
            warn "not root and sudo is not available: cannot install chromium"
            return 1
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        warn "apt-get not found: cannot install chromium automatically"
        return 1
    fi
    section "Installing chromium and chromium-driver (apt-get install)"
    $sudo apt-get update -qq &&
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            chromium chromium-driver
}
if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
    install_chromium || true
fi
if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
    if is_ci; then
        printf 'ERROR: chromium and chromedriver are required on CI (CI=%s) for the browser tests; aborting.\n' "${CI:-}" >&2
        exit 1
    fi
    warn "chromium or chromedriver is missing: the web app's browser tests will SKIP."
fi
AXE_VERSION="4.14.1"
AXE_DIR="$ROOT/target/axe"
if [ ! -f "$AXE_DIR/package/axe.min.js" ]; then
    if ! command -v npm >/dev/null 2>&1 && is_ci && command -v apt-get >/dev/null 2>&1; then
        section "Installing npm (apt-get install npm), to fetch axe-core"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm || true
    fi
    if command -v npm >/dev/null 2>&1; then
        section "Fetching axe-core $AXE_VERSION (npm pack) into target/axe"
        mkdir -p "$AXE_DIR"
        (cd "$AXE_DIR" && npm pack "axe-core@$AXE_VERSION" --silent >/dev/null &&
            tar -xzf "axe-core-$AXE_VERSION.tgz" package/axe.min.js package/LICENSE) ||
            warn "could not fetch axe-core from the npm registry"
    fi
fi
if [ ! -f "$AXE_DIR/package/axe.min.js" ]; then
    if is_ci; then
        printf 'ERROR: axe-core is required on CI for the browser tests (target/axe/package/axe.min.js); aborting.\n' >&2
        exit 1
    fi
    warn "axe-core could not be fetched: the web app's browser tests will SKIP."
fi

# ---------------------------------------------------------------------------
# Rust checks
# ---------------------------------------------------------------------------

if [ "${RINGMASTER_TEST_SKIP_LINT:-0}" != "1" ]; then
    section "cargo fmt --all --check"
    cargo fmt --all --check

    section "cargo clippy --workspace --all-targets --locked -- -D warnings"
    cargo clippy --workspace --all-targets --locked -- -D warnings

    section "cargo doc --workspace --no-deps --locked (warnings denied)"
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked

    # Unused dependencies: cargo-machete, installed from crates.io on CI when missing.
    if ! command -v cargo-machete >/dev/null 2>&1 && is_ci; then
        section "Installing cargo-machete (cargo install cargo-machete --locked)"
        cargo install cargo-machete --locked --quiet ||
            warn "could not install cargo-machete (is crates.io reachable?)"
    fi
    if command -v cargo-machete >/dev/null 2>&1; then
        section "cargo machete (no unused dependencies)"
        cargo machete
    else
        warn "cargo-machete is not installed: unused dependencies are not checked (cargo install cargo-machete)"
    fi

    # Licenses, bans and sources (deny.toml): cargo-deny, installed from crates.io on CI when
    # missing. Its advisories check needs the RustSec database from GitHub, so it is not run here.
    if ! command -v cargo-deny >/dev/null 2>&1 && is_ci; then
        section "Installing cargo-deny (cargo install cargo-deny --locked)"
        cargo install cargo-deny --locked --quiet ||
            warn "could not install cargo-deny (is crates.io reachable?)"
    fi
    if command -v cargo-deny >/dev/null 2>&1; then
        section "cargo deny check licenses bans sources"
        # deny reads the metadata of every platform's dependencies (windows-sys too), which a
        # build on Linux never downloads: fetch them first, then check without the network.
        cargo fetch --locked --quiet
        cargo deny --offline check licenses bans sources
    else
        warn "cargo-deny is not installed: licenses and sources are not checked (cargo install cargo-deny)"
    fi
else
    section "Skipping fmt, clippy, doc, machete and deny (RINGMASTER_TEST_SKIP_LINT=1)"
fi

if cargo nextest --version >/dev/null 2>&1; then
    section "cargo nextest run --workspace --locked --no-fail-fast $*"
    cargo nextest run --workspace --locked --no-fail-fast "$@"
    # nextest does not run doctests; the examples in the docs must compile and pass too.
    section "cargo test --workspace --doc --locked"
    cargo test --workspace --doc --locked
else
    section "cargo test --workspace --locked $* (cargo-nextest not installed)"
    cargo test --workspace --locked "$@"
fi

section "All checks passed"
