#!/usr/bin/env bash
# DDM path benchmark: what one device is served, for a fleet of 100,000 devices.
#
#   bench/declarations.sh
#
# Builds the release binary and `bench_fleet` (crate `ringmaster-bench`), seeds a temporary SQLite database with
# `bench_fleet seed` (the catalog, the four default rings, 100,000 devices in four device groups
# bound to the rings, an admin token), starts `ringmaster serve` on a free port of 127.0.0.1,
# warms it up, and runs wrk at each load of BENCH_LOADS (connections, one wrk thread) against:
#   (a) GET /v1/                                  baseline: no token, no database, tiny body
#   (b) GET /api/v1/devices/<random id>           token check and one device-row read
#   (c) GET /api/v1/devices/<random id>/declarations?at=2025-11-20T12:00:00Z
#                                                 (b) plus the effective policy, the schedule
#                                                 and the declarations, computed per request
# Random ids are drawn uniformly over all seeded devices, per request. Then, with the server
# stopped, `bench_fleet request` times the phases of 20,000 such requests in process, one at a
# time (token lookup, device row, computation, JSON answer).
# Prints a Markdown table (requests/s, p50, p99, ratio to the baseline at the same load, CPU used
# by the server and by wrk), the server's memory and the phases to stdout. Progress goes to
# stderr. Traffic goes to 127.0.0.1 only; every step is bounded in time.
#
# Tunables (environment): BENCH_DURATION (seconds per case, 15), BENCH_LOADS (connection counts,
# "1 4 64"), BENCH_THREADS (wrk threads, 1), BENCH_DEVICES (100000), BENCH_CATALOG (full or sample;
# bench_fleet's default: full when ../shared/reference/os-feeds exists), BENCH_AT (the `at`
# instant, 2025-11-20T12:00:00Z), BENCH_KEEP=1 keeps the temporary folder, BENCH_DATABASE_URL
# (an EMPTY postgres://… database instead of a temporary SQLite file). Installs wrk with apt-get
# when it is missing (needs root or sudo).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION="${BENCH_DURATION:-15}"
LOADS="${BENCH_LOADS:-1 4 64}"
THREADS="${BENCH_THREADS:-1}"
DEVICES="${BENCH_DEVICES:-100000}"
AT="${BENCH_AT:-2025-11-20T12:00:00Z}"
WARMUP_SECONDS=5


# --- tools -------------------------------------------------------------------------------------
need_wrk
need curl cargo

# --- build -------------------------------------------------------------------------------------
build_release ringmaster bench_fleet
FLEET="$TARGET_DIR/release/bench_fleet"

# --- temporary state and cleanup ---------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/ringmaster-bench.XXXXXX")"
SERVER_PID=""
stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            say "server did not stop within 10 s of SIGTERM; killing it"
            kill -KILL "$SERVER_PID" 2>/dev/null || true
        fi
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}
cleanup() {
    stop_server
    if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- data ----------------------------------------------------------------------------------------
DATABASE="${BENCH_DATABASE_URL:-sqlite://$WORK/bench.db}"
case "$DATABASE" in postgres*) BACKEND="PostgreSQL" ;; *) BACKEND="SQLite" ;; esac
CATALOG_ARGS=()
[ -z "${BENCH_CATALOG:-}" ] || CATALOG_ARGS=(--catalog "$BENCH_CATALOG")
say "seeding $DEVICES devices into $DATABASE"
TOKEN="$(timeout 900 "$FLEET" seed --database "$DATABASE" --devices "$DEVICES" \
    --ids "$WORK/ids.txt" "${CATALOG_ARGS[@]}" 2>"$WORK/seed.txt")" \
    || { cat "$WORK/seed.txt" >&2; die "seeding failed"; }
cat "$WORK/seed.txt" >&2
[ -n "$TOKEN" ] || die "bench_fleet seed printed no token"
[ "$(wc -l <"$WORK/ids.txt")" -eq "$DEVICES" ] || die "bench_fleet seed wrote the wrong number of ids"

# --- server --------------------------------------------------------------------------------------
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=""
for _ in $(seq 1 50); do
    candidate=$((20000 + RANDOM % 40000))
    if ! port_in_use "$candidate"; then PORT="$candidate"; break; fi
done
[ -n "$PORT" ] || die "no free port found"
BASE="http://127.0.0.1:$PORT"

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
say "starting the server on 127.0.0.1:$PORT (load average now $LOAD_BEFORE)"
"$BIN" serve --listen "127.0.0.1:$PORT" --database "$DATABASE" --ddm-open --log info \
    >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
ready=""
for _ in $(seq 1 300); do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; die "the server exited"; }
    if curl -sf --max-time 2 -o /dev/null "$BASE/healthz"; then ready=1; break; fi
    sleep 0.1
done
[ -n "$ready" ] || { cat "$WORK/server.log" >&2; die "the server did not answer within 30 s"; }

memory_kb() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$SERVER_PID/status"; }
RSS_LOADED_KB="$(memory_kb VmRSS)"

# Sanity checks, and what one answer looks like.
AUTH="Authorization: Bearer $TOKEN"
FIRST_ID="$(head -n 1 "$WORK/ids.txt")"
DECLARATIONS_PATH="/api/v1/devices/$FIRST_ID/declarations?at=$AT"
status="$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$BASE$DECLARATIONS_PATH")"
[ "$status" = 401 ] || die "without a token the declarations answer $status, not 401"
curl -sf --max-time 10 -H "$AUTH" -o "$WORK/declarations.json" "$BASE$DECLARATIONS_PATH" \
    || die "GET $DECLARATIONS_PATH failed"
grep -q '"declarationsToken"' "$WORK/declarations.json" || die "no declarationsToken in the answer"
DECLARATIONS_BYTES="$(wc -c <"$WORK/declarations.json")"
DEVICE_BYTES="$(curl -sf --max-time 10 -H "$AUTH" -o /dev/null -w '%{size_download}' \
    "$BASE/api/v1/devices/$FIRST_ID")"
# Of a sample of 200 devices, how many have an enforced target at that instant.
ENFORCED=0
for id in $(awk 'NR % 500 == 1' "$WORK/ids.txt"); do
    if curl -sf --max-time 10 -H "$AUTH" "$BASE/api/v1/devices/$id/declarations?at=$AT" \
        | grep -q 'softwareupdate.enforcement.specific'; then
        ENFORCED=$((ENFORCED + 1))
    fi
done
SAMPLED="$(awk 'NR % 500 == 1' "$WORK/ids.txt" | wc -l)"

# The wrk script: one prepared request per device id, picked at random per request.
# Usage: random_lua FILE PATH-SUFFIX
random_lua() {
    cat >"$1" <<LUA
local ids_file = "$WORK/ids.txt"
local suffix = "$2"
local token = "$TOKEN"
LUA
    cat >>"$1" <<'LUA'
local requests = {}
local thread_number = 0
function setup(thread)
  thread_number = thread_number + 1
  thread:set("thread_seed", thread_number)
end
function init(args)
  math.randomseed(1000 + (thread_seed or 0))
  local headers = { ["Authorization"] = "Bearer " .. token }
  for id in io.lines(ids_file) do
    requests[#requests + 1] = wrk.format("GET", "/api/v1/devices/" .. id .. suffix, headers)
  end
end
function request()
  return requests[math.random(#requests)]
end
LUA
}
DEVICE_LUA="$WORK/device.lua"
DECLARATIONS_LUA="$WORK/declarations.lua"
random_lua "$DEVICE_LUA" ""
random_lua "$DECLARATIONS_LUA" "/declarations?at=$AT"

# --- measurement ---------------------------------------------------------------------------------
CLOCK_TICKS="$(getconf CLK_TCK)"
server_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }

# run_wrk OUTPUT SECONDS CONNECTIONS [wrk arguments…]: runs wrk, writes its report to OUTPUT and
# its user+system CPU seconds to OUTPUT.cpu.
run_wrk() {
    local output="$1" seconds="$2" connections="$3"
    shift 3
    local TIMEFORMAT='%U %S'
    { time timeout $((seconds + 60)) wrk -t"$THREADS" -c"$connections" -d"${seconds}s" \
        --timeout 5s --latency "$@" >"$output"; } 2>"$output.time"
    tail -n 1 "$output.time" | awk '{ print $1 + $2 }' >"$output.cpu"
}

say "warming up (${WARMUP_SECONDS} s each on the device and declarations routes)"
run_wrk "$WORK/warmup1.txt" "$WARMUP_SECONDS" 16 -s "$DEVICE_LUA" "$BASE/"
run_wrk "$WORK/warmup2.txt" "$WARMUP_SECONDS" 16 -s "$DECLARATIONS_LUA" "$BASE/"

# Latency as wrk prints it (850.00us, 1.23ms, 1.01s) in milliseconds.
to_ms() {
    awk -v value="$1" 'BEGIN {
        number = value + 0
        if (value ~ /us$/) number /= 1000
        else if (value ~ /ms$/) number += 0
        else if (value ~ /m$/) number *= 60000
        else if (value ~ /s$/) number *= 1000
        printf "%.3f", number
    }'
}

ROWS=()
BASELINE_RPS=""
# measure LABEL CASE-NAME CONNECTIONS [wrk arguments…]; the first case of a load is its baseline.
measure() {
    local label="$1" name="$2" connections="$3"
    shift 3
    local output="$WORK/$name-c$connections.txt"
    say "measuring $label at $connections connections (${DURATION} s)"
    local ticks_before ticks_after
    ticks_before="$(server_cpu_ticks)"
    run_wrk "$output" "$DURATION" "$connections" "$@"
    ticks_after="$(server_cpu_ticks)"
    local rps p50 p99 requests errors wrk_cpu server_cpu ratio
    rps="$(awk '/^Requests\/sec:/ { print $2 }' "$output")"
    p50="$(to_ms "$(awk '$1 == "50%" { print $2 }' "$output")")"
    p99="$(to_ms "$(awk '$1 == "99%" { print $2 }' "$output")")"
    requests="$(awk '/requests in/ { print $1 }' "$output")"
    errors="$(awk '
        /^  Non-2xx or 3xx responses:/ { total += $NF }
        /^  Socket errors:/ { gsub(",", ""); total += $4 + $6 + $8 + $10 }
        END { print total + 0 }' "$output")"
    [ -n "$rps" ] || { cat "$output" >&2; die "could not read wrk's report for $label"; }
    [ "$name" != baseline ] || BASELINE_RPS="$rps"
    ratio="$(awk -v a="$rps" -v b="$BASELINE_RPS" 'BEGIN { printf "%.2f", a / b }')"
    wrk_cpu="$(awk -v cpu="$(cat "$output.cpu")" -v d="$DURATION" 'BEGIN { printf "%.0f%%", 100 * cpu / d }')"
    server_cpu="$(awk -v t=$((ticks_after - ticks_before)) -v hz="$CLOCK_TICKS" -v d="$DURATION" \
        'BEGIN { printf "%.0f%%", 100 * t / hz / d }')"
    ROWS+=("| $label | $connections | $(printf '%.0f' "$rps") | $p50 ms | $p99 ms | $ratio | $server_cpu | $wrk_cpu | $requests | $errors |")
}

for connections in $LOADS; do
    measure "(a) \`GET /v1/\` baseline" baseline "$connections" "$BASE/v1/"
    measure "(b) \`GET /api/v1/devices/{random}\`" device "$connections" \
        -s "$DEVICE_LUA" "$BASE/"
    measure "(c) \`GET /api/v1/devices/{random}/declarations\`" declarations "$connections" \
        -s "$DECLARATIONS_LUA" "$BASE/"
done

RSS_PEAK_KB="$(memory_kb VmHWM)"
RSS_END_KB="$(memory_kb VmRSS)"
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
stop_server

say "timing the phases of one request in process (bench_fleet request, 20,000 requests)"
timeout 900 "$FLEET" request --database "$DATABASE" --token "$TOKEN" --at "$AT" \
    --requests 20000 >"$WORK/phases.md" || die "bench_fleet request failed"

# --- report --------------------------------------------------------------------------------------
kb_to_mib() { awk -v kb="$1" 'BEGIN { printf "%.1f MiB", kb / 1024 }'; }
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ]; then COMMIT="$COMMIT (with uncommitted changes)"; fi
CPU_MODEL="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"

cat <<EOF
## DDM path — $(date -u +%Y-%m-%dT%H:%M:%SZ)

- Machine: $(nproc) CPUs ($CPU_MODEL), $(uname -sr); load average before: $LOAD_BEFORE, after: $LOAD_AFTER
- ringmaster $COMMIT, release build; $BACKEND; one server; $DEVICES devices, \`at=$AT\`
- $(grep -c '^imported' "$WORK/seed.txt") feeds imported; a declarations answer is $DECLARATIONS_BYTES bytes (first device), a device answer $DEVICE_BYTES bytes; $ENFORCED of $SAMPLED sampled devices have an enforcement declaration at that instant
- $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), \`-t$THREADS -d${DURATION}s --latency\` on 127.0.0.1 after a ${WARMUP_SECONDS} s warm-up per route.
  **wrk runs on the same $(nproc) CPUs as the server**: the figures are what both together reach, not the server alone.
  CPU columns: CPU time used during the run, per second (100% = one core fully busy). "vs baseline": requests/s against (a) at the same load.

| case | connections | requests/s | p50 | p99 | vs baseline | server CPU | wrk CPU | requests | errors |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
EOF
printf '%s\n' "${ROWS[@]}"
cat <<EOF

Server memory: $(kb_to_mib "$RSS_LOADED_KB") resident after starting (before any load),
$(kb_to_mib "$RSS_PEAK_KB") peak (VmHWM), $(kb_to_mib "$RSS_END_KB") at the end.

### Where one request's time goes

$(cat "$WORK/phases.md")
EOF
