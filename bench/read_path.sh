#!/usr/bin/env bash
# Read-path benchmark: what Jamf Pro reads, served from the in-memory feed cache.
#
#   bench/read_path.sh
#
# Builds the release binary and `generate_titles` (crate `ringmaster-bench`), generates 1,000 realistic titles
# (one of them `BigBrowser`, ~100 KB served), imports them into a temporary SQLite database,
# starts `ringmaster serve` on a free port of 127.0.0.1, warms it up, and runs wrk against:
#   (a) GET /v1/                      baseline: a tiny body, the framework's ceiling
#   (b) GET /v1/software              the list of all 1,000 titles
#   (c) GET /v1/patch/BigBrowser      with Accept-Encoding: gzip
#   (d) GET /v1/patch/BigBrowser      without gzip
#   (e) GET /v1/patch/<random id>     uniformly over all generated ids, with gzip
#   (f) GET /v1/software              without gzip
#   (g) GET /jamf/v1/patch/BigBrowser PatchServer's base path, with gzip
# Prints a Markdown table (requests/s, p50, p99, transfer/s, ratio to the baseline, CPU used by
# the server and by wrk) and the server's memory after loading and at its peak, to stdout.
# Progress goes to stderr. Traffic goes to 127.0.0.1 only; every step is bounded in time.
#
# Tunables (environment): BENCH_DURATION (seconds per case, 15), BENCH_CONNECTIONS (64),
# BENCH_THREADS (wrk threads, 2), BENCH_TITLES (1000), BENCH_SEED (1), BENCH_KEEP=1 keeps the
# temporary folder, BENCH_DATABASE_URL (an EMPTY postgres://… database instead of a temporary
# SQLite file), BENCH_SERVERS=2 (two servers on the one database, the load split between them). Installs wrk with apt-get when it is missing (needs root or sudo).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION="${BENCH_DURATION:-15}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
THREADS="${BENCH_THREADS:-2}"
TITLES="${BENCH_TITLES:-1000}"
SEED="${BENCH_SEED:-1}"
SERVERS="${BENCH_SERVERS:-1}"
case "$SERVERS" in 1|2) ;; *) echo "BENCH_SERVERS must be 1 or 2" >&2; exit 2 ;; esac
WARMUP_SECONDS=5
BIG_ID="BigBrowser"


# --- tools -------------------------------------------------------------------------------------
need_wrk
need curl cargo

# --- build -------------------------------------------------------------------------------------
build_release ringmaster generate_titles
GENERATE="$TARGET_DIR/release/generate_titles"

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
    if [ -n "${SERVER2_PID:-}" ]; then
        kill -TERM "$SERVER2_PID" 2>/dev/null || true
        wait "$SERVER2_PID" 2>/dev/null || true
        SERVER2_PID=""
    fi
}
cleanup() {
    stop_server
    if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- data ----------------------------------------------------------------------------------------
say "generating $TITLES titles (seed $SEED)"
"$GENERATE" --out "$WORK/titles" --count "$TITLES" --seed "$SEED" >"$WORK/generate.txt"
cat "$WORK/generate.txt" >&2
DATABASE="${BENCH_DATABASE_URL:-sqlite://$WORK/bench.db}"
case "$DATABASE" in postgres*) BACKEND="PostgreSQL" ;; *) BACKEND="SQLite" ;; esac
say "importing into $DATABASE"
timeout 600 "$BIN" title import "$WORK/titles" --database "$DATABASE" >&2

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

SERVER2_PID=""
if [ "$SERVERS" = 2 ]; then
    PORT2=""
    for _ in $(seq 1 50); do
        candidate=$((20000 + RANDOM % 40000))
        if [ "$candidate" != "$PORT" ] && ! port_in_use "$candidate"; then PORT2="$candidate"; break; fi
    done
    [ -n "$PORT2" ] || die "no second free port found"
    say "starting a second server on 127.0.0.1:$PORT2, same database"
    "$BIN" serve --listen "127.0.0.1:$PORT2" --database "$DATABASE" --ddm-open --log info \
        >"$WORK/server2.log" 2>&1 &
    SERVER2_PID=$!
    for _ in $(seq 1 300); do
        if curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$PORT2/healthz"; then break; fi
        sleep 0.1
    done
fi

memory_kb() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$SERVER_PID/status"; }
RSS_LOADED_KB="$(memory_kb VmRSS)"

# Sanity checks, and the sizes of what is measured.
software_titles="$(curl -sf --max-time 10 "$BASE/v1/software" | grep -o '"id":' | wc -l)"
[ "$software_titles" -eq "$TITLES" ] || die "/v1/software lists $software_titles titles, not $TITLES"
size_of() { curl -sf --max-time 10 -o /dev/null -w '%{size_download}' "$@"; }
BIG_PLAIN="$(size_of "$BASE/v1/patch/$BIG_ID")"
BIG_GZIP="$(size_of -H 'Accept-Encoding: gzip' "$BASE/v1/patch/$BIG_ID")"
SOFTWARE_PLAIN="$(size_of "$BASE/v1/software")"
SOFTWARE_GZIP="$(size_of -H 'Accept-Encoding: gzip' "$BASE/v1/software")"
big_headers="$(curl -sf --max-time 10 -D - -o /dev/null -H 'Accept-Encoding: gzip' \
    "$BASE/v1/patch/$BIG_ID")"
grep -qi '^content-encoding: *gzip' <<<"$big_headers" || die "/v1/patch/$BIG_ID is not sent gzipped"

# The wrk script for the mix: one prepared request per id, picked at random per request.
MIX_LUA="$WORK/mix.lua"
{
    echo 'local ids = {'
    for file in "$WORK"/titles/*.json; do
        id="$(basename "$file" .json)"
        printf '  "%s",\n' "$id"
    done
    echo '}'
    cat <<'LUA'
local requests = {}
local thread_number = 0
function setup(thread)
  thread_number = thread_number + 1
  thread:set("thread_seed", thread_number)
end
function init(args)
  math.randomseed(1000 + (thread_seed or 0))
  for index, id in ipairs(ids) do
    requests[index] = wrk.format("GET", "/v1/patch/" .. id)
  end
end
function request()
  return requests[math.random(#requests)]
end
LUA
} >"$MIX_LUA"

# --- measurement ---------------------------------------------------------------------------------
CLOCK_TICKS="$(getconf CLK_TCK)"
server_cpu_ticks() {
    local pid total=0
    for pid in $SERVER_PID $SERVER2_PID; do
        total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
    done
    echo "$total"
}

# run_wrk OUTPUT SECONDS [wrk arguments…]: runs wrk and writes its report to OUTPUT, and its
# user+system CPU seconds to OUTPUT.cpu.
run_wrk() {
    local output="$1" seconds="$2"
    shift 2
    local TIMEFORMAT='%U %S'
    if [ "$SERVERS" = 2 ]; then
        # Half the connections to each server, at the same time; the reports are merged below.
        local second_args=() argument
        for argument in "$@"; do second_args+=("${argument//:$PORT\//:$PORT2/}"); done
        { time timeout $((seconds + 60)) wrk -t1 -c$((CONNECTIONS / 2)) -d"${seconds}s" \
            --timeout 5s --latency "$@" >"$output.1"; } 2>"$output.1.time" &
        local first=$!
        { time timeout $((seconds + 60)) wrk -t1 -c$((CONNECTIONS / 2)) -d"${seconds}s" \
            --timeout 5s --latency "${second_args[@]}" >"$output.2"; } 2>"$output.2.time"
        wait "$first"
        merge_wrk "$output.1" "$output.2" >"$output"
        cat "$output.1.time" "$output.2.time" | awk 'NF == 2 { cpu += $1 + $2 } END { print cpu }' >"$output.cpu"
        return
    fi
    { time timeout $((seconds + 60)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" \
        --timeout 5s --latency "$@" >"$output"; } 2>"$output.time"
    tail -n 1 "$output.time" | awk '{ print $1 + $2 }' >"$output.cpu"
}

# merge_wrk A B: one wrk-like report of two concurrent runs: summed requests/s, transfer and
# counts; the worse (higher) of the two p50 and p99.
merge_wrk() {
    awk '
        function mib(v) { if (v ~ /GB$/) return v * 1024; if (v ~ /MB$/) return v + 0; if (v ~ /KB$/) return v / 1024; return v / 1048576 }
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /^Requests\/sec:/ { rps += $2 }
        /^Transfer\/sec:/ { transfer += mib($2) }
        /requests in/ { requests += $1 }
        $1 == "50%" { if (ms($2) > p50) p50 = ms($2) }
        $1 == "99%" { if (ms($2) > p99) p99 = ms($2) }
        /^  Non-2xx or 3xx responses:/ { non2xx += $NF }
        END {
            printf "  %d requests in merged runs\n", requests
            printf "     50%%   %.2fms\n     99%%   %.2fms\n", p50, p99
            if (non2xx) printf "  Non-2xx or 3xx responses: %d\n", non2xx
            printf "Requests/sec: %.2f\nTransfer/sec: %.2fMB\n", rps, transfer
        }' "$1" "$2"
}

say "warming up (${WARMUP_SECONDS} s each on the big title and the mix)"
run_wrk "$WORK/warmup1.txt" "$WARMUP_SECONDS" -H 'Accept-Encoding: gzip' "$BASE/v1/patch/$BIG_ID"
run_wrk "$WORK/warmup2.txt" "$WARMUP_SECONDS" -H 'Accept-Encoding: gzip' -s "$MIX_LUA" "$BASE/v1/"

# Latency as wrk prints it (850.00us, 1.23ms, 1.01s) in milliseconds.
to_ms() {
    awk -v value="$1" 'BEGIN {
        number = value + 0
        if (value ~ /us$/) number /= 1000
        else if (value ~ /ms$/) number += 0
        else if (value ~ /m$/) number *= 60000
        else if (value ~ /s$/) number *= 1000
        printf "%.2f", number
    }'
}

ROWS=()
BASELINE_RPS=""
# measure LABEL CASE-NAME [wrk arguments…]
measure() {
    local label="$1" name="$2"
    shift 2
    local output="$WORK/$name.txt"
    say "measuring $label (${DURATION} s)"
    local ticks_before ticks_after
    ticks_before="$(server_cpu_ticks)"
    run_wrk "$output" "$DURATION" "$@"
    ticks_after="$(server_cpu_ticks)"
    local rps p50 p99 transfer requests errors wrk_cpu server_cpu ratio
    rps="$(awk '/^Requests\/sec:/ { print $2 }' "$output")"
    transfer="$(awk '/^Transfer\/sec:/ { print $2 }' "$output")"
    p50="$(to_ms "$(awk '$1 == "50%" { print $2 }' "$output")")"
    p99="$(to_ms "$(awk '$1 == "99%" { print $2 }' "$output")")"
    requests="$(awk '/requests in/ { print $1 }' "$output")"
    errors="$(awk '
        /^  Non-2xx or 3xx responses:/ { total += $NF }
        /^  Socket errors:/ { gsub(",", ""); total += $4 + $6 + $8 + $10 }
        END { print total + 0 }' "$output")"
    [ -n "$rps" ] || { cat "$output" >&2; die "could not read wrk's report for $label"; }
    [ -n "$BASELINE_RPS" ] || BASELINE_RPS="$rps"
    ratio="$(awk -v a="$rps" -v b="$BASELINE_RPS" 'BEGIN { printf "%.2f", a / b }')"
    wrk_cpu="$(awk -v cpu="$(cat "$output.cpu")" -v d="$DURATION" 'BEGIN { printf "%.0f%%", 100 * cpu / d }')"
    server_cpu="$(awk -v t=$((ticks_after - ticks_before)) -v hz="$CLOCK_TICKS" -v d="$DURATION" \
        'BEGIN { printf "%.0f%%", 100 * t / hz / d }')"
    ROWS+=("| $label | $(printf '%.0f' "$rps") | $p50 ms | $p99 ms | $transfer | $ratio | $server_cpu | $wrk_cpu | $requests | $errors |")
}

measure "(a) \`GET /v1/\` baseline" baseline -H 'Accept-Encoding: gzip' "$BASE/v1/"
measure "(b) \`GET /v1/software\` (gzip)" software -H 'Accept-Encoding: gzip' "$BASE/v1/software"
measure "(c) \`GET /v1/patch/$BIG_ID\` (gzip)" patch_gzip -H 'Accept-Encoding: gzip' \
    "$BASE/v1/patch/$BIG_ID"
measure "(d) \`GET /v1/patch/$BIG_ID\` (identity)" patch_plain "$BASE/v1/patch/$BIG_ID"
measure "(e) \`GET /v1/patch/{random of $TITLES}\` (gzip)" patch_mix -H 'Accept-Encoding: gzip' \
    -s "$MIX_LUA" "$BASE/v1/"
measure "(f) \`GET /v1/software\` (identity)" software_plain "$BASE/v1/software"
measure "(g) \`GET /jamf/v1/patch/$BIG_ID\` (gzip)" jamf_patch_gzip -H 'Accept-Encoding: gzip' \
    "$BASE/jamf/v1/patch/$BIG_ID"

RSS_PEAK_KB="$(memory_kb VmHWM)"
RSS_END_KB="$(memory_kb VmRSS)"
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
stop_server

# --- report --------------------------------------------------------------------------------------
kb_to_mib() { awk -v kb="$1" 'BEGIN { printf "%.1f MiB", kb / 1024 }'; }
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ]; then COMMIT="$COMMIT (with uncommitted changes)"; fi
CPU_MODEL="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"

cat <<EOF
## Read path — $(date -u +%Y-%m-%dT%H:%M:%SZ)

- Machine: $(nproc) CPUs ($CPU_MODEL), $(uname -sr); load average before: $LOAD_BEFORE, after: $LOAD_AFTER
- ringmaster $COMMIT, release build; $BACKEND; $SERVERS server(s); $TITLES titles (seed $SEED), $(sed -n 2p "$WORK/generate.txt")
- \`/v1/patch/$BIG_ID\`: $BIG_PLAIN bytes, $BIG_GZIP gzipped; \`/v1/software\`: $SOFTWARE_PLAIN bytes, $SOFTWARE_GZIP gzipped
- $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), \`-t$THREADS -c$CONNECTIONS -d${DURATION}s --latency\` on 127.0.0.1 after a ${WARMUP_SECONDS} s warm-up per route kind.
  **wrk runs on the same $(nproc) CPUs as the server**: the figures are what both together reach, not the server alone.
  CPU columns: CPU time used during the run, per second (100% = one core fully busy).

| case | requests/s | p50 | p99 | transfer/s | vs baseline | server CPU | wrk CPU | requests | errors |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
EOF
printf '%s\n' "${ROWS[@]}"
cat <<EOF

Server memory: $(kb_to_mib "$RSS_LOADED_KB") resident after loading the titles (before any load),
$(kb_to_mib "$RSS_PEAK_KB") peak (VmHWM), $(kb_to_mib "$RSS_END_KB") at the end.
EOF
