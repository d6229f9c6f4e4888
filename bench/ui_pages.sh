#!/usr/bin/env bash
# The web app's page times with 100,000 devices.
#
#   bench/ui_pages.sh
#
# Builds the release binary and `bench_fleet`, seeds a temporary SQLite database with
# `bench_fleet seed` (the catalog, the four default rings, 100,000 devices in four device groups
# bound to the rings, an admin token), starts `ringmaster serve` on a free port of 127.0.0.1,
# signs in to /ui/ with the token, and requests each page BENCH_REPEAT times, one at a time,
# with curl. Prints a Markdown table of each page's median and slowest time and its size.
# A request on 127.0.0.1 with keep-alive is the server's time plus a little curl overhead.
#
# Tunables (environment): BENCH_REPEAT (20), BENCH_DEVICES (100000), BENCH_CATALOG (sample or
# full), BENCH_BIN_DIR (use the binaries there instead of building release ones), BENCH_KEEP=1,
# BENCH_DATABASE_URL (an EMPTY postgres://… database instead of a temporary SQLite file).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REPEAT="${BENCH_REPEAT:-20}"
DEVICES="${BENCH_DEVICES:-100000}"
need curl python3
if [ -n "${BENCH_BIN_DIR:-}" ]; then
    BIN="$BENCH_BIN_DIR/ringmaster"
    FLEET="$BENCH_BIN_DIR/bench_fleet"
else
    need cargo
    build_release ringmaster bench_fleet
    FLEET="$TARGET_DIR/release/bench_fleet"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/ringmaster-ui-bench.XXXXXX")"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

DATABASE="${BENCH_DATABASE_URL:-sqlite://$WORK/bench.db}"
CATALOG_ARGS=()
[ -z "${BENCH_CATALOG:-}" ] || CATALOG_ARGS=(--catalog "$BENCH_CATALOG")
say "seeding $DEVICES devices"
TOKEN="$(timeout 900 "$FLEET" seed --database "$DATABASE" --devices "$DEVICES" \
    --ids "$WORK/ids.txt" "${CATALOG_ARGS[@]}" 2>"$WORK/seed.txt")" || { cat "$WORK/seed.txt" >&2; die "seeding failed"; }
DEVICE="$(sed -n '50000p' "$WORK/ids.txt")"
PORT="$(free_port)"
URL="http://127.0.0.1:$PORT"
"$BIN" serve --database "$DATABASE" --listen "127.0.0.1:$PORT" --ddm-open --log warn \
    >"$WORK/server.txt" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -fs "$URL/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
COOKIE="$(curl -s -i -X POST --data-urlencode "token=$TOKEN" "$URL/ui/sign-in" |
    tr -d '\r' | sed -n 's/^set-cookie: \(ringmaster_session=[^;]*\).*/\1/p')"
[ -n "$COOKIE" ] || die "sign-in failed"
# The first compliance answer waits for the server's compliance index (built in the background
# from the start): timed on its own, then every page is timed warm.
FIRST="$(curl -s -o /dev/null -H "Cookie: $COOKIE" -w '%{time_total}' "$URL/ui/")"
say "first /ui/ after the start: $(python3 -c "print(f'{float(\"$FIRST\") * 1000:.0f} ms')")"

PAGES=(/ui/ /ui/titles /ui/catalog/macOS /ui/policies /ui/policies/1 /ui/rings /ui/devices
    "/ui/devices?after=$DEVICE" "/ui/devices/$DEVICE" /ui/compliance /ui/compliance/policy/3
    /ui/audit /ui/tokens)
printf '| page | median ms | slowest ms | bytes |\n|---|---:|---:|---:|\n'
for page in "${PAGES[@]}"; do
    args=()
    # `-o` applies to one URL: one for each.
    for _ in $(seq 1 "$REPEAT"); do args+=(-o /dev/null "$URL$page"); done
    # One curl, one connection, REPEAT requests: each line the time and size of one.
    curl -s -H "Cookie: $COOKIE" -w '%{http_code} %{time_total} %{size_download}\n' "${args[@]}" |
        python3 -c '
import sys, statistics
page = sys.argv[1]
rows = [line.split() for line in sys.stdin if line.strip()]
bad = [r[0] for r in rows if r[0] != "200"]
if bad:
    sys.exit(f"{page}: status {bad[0]}")
times = [float(r[1]) * 1000 for r in rows]
print(f"| `{page}` | {statistics.median(times):.1f} | {max(times):.1f} | {rows[-1][2]} |")
' "${page/$DEVICE/<device>}"
done
