# The shared preamble of the bench scripts: sourced, never run.
#
#   BENCH_LOG_PREFIX=bench BENCH_DIE_CODE=1 source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Sets ROOT (the repository) and moves there, and defines:
#   say MESSAGE...      a line on standard error, prefixed with "$BENCH_LOG_PREFIX: "
#   die MESSAGE...      say "error: ..." and exit with $BENCH_DIE_CODE
#   as_root CMD...      CMD as root (directly, or through sudo)
#   need_wrk            install wrk from Debian's packages when it is missing
#   need TOOL...        die unless every TOOL is on PATH
#   build_release BIN...  cargo build --release of those binaries; sets TARGET_DIR and BIN (the
#                       server), and dies when a binary is missing afterwards
#   free_port           a free TCP port on 127.0.0.1

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BENCH_LOG_PREFIX="${BENCH_LOG_PREFIX:-bench}"
BENCH_DIE_CODE="${BENCH_DIE_CODE:-1}"

say() { printf '%s\n' "$BENCH_LOG_PREFIX: $*" >&2; }
die() { say "error: $*"; exit "$BENCH_DIE_CODE"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        die "need root or sudo to run: $*"
    fi
}

need_wrk() {
    if ! command -v wrk >/dev/null; then
        say "installing wrk with apt-get"
        as_root timeout 600 apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq wrk >/dev/null
    fi
}

need() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "$tool is needed"
    done
}

build_release() {
    local args=() name
    for name in "$@"; do args+=(--bin "$name"); done
    say "building (cargo build --release ${args[*]})"
    timeout 3600 cargo build --release --quiet "${args[@]}"
    TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
    BIN="$TARGET_DIR/release/ringmaster"
    for name in "$@"; do
        [ -x "$TARGET_DIR/release/$name" ] || die "built binary $name not found under $TARGET_DIR/release"
    done
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
