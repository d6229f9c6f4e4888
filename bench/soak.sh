#!/usr/bin/env bash
# Soak test: a few minutes of every kind of client at once against one real server on loopback.
#
#   bench/soak.sh
#
# Builds the release binary and starts `ringmaster serve` on 127.0.0.1 over a fresh SQLite file,
# with a DDM secret, under a soft descriptor limit of 1,024 (the usual default; the server may
# raise it) and an address-space limit (SOAK_SERVER_MEMORY_MB) so a runaway allocation ends the
# server instead of the machine. Seeds it (the sample catalogs, the default rings, SOAK_TITLES
# titles), measures a quiet baseline of `GET /v1/` (a fresh connection every 20 ms, nothing else
# running), then runs for SOAK_SECONDS, all at once:
#   - Jamf reads: wrk on `/v1/software` and `/v1/patch/{id}` (a few unknown ids among them),
#     each connection pausing SOAK_READ_DELAY_MS between requests, counting 5xx answers;
#   - admin writes (bench/soak.py writer): titles, versions, policies created and updated,
#     devices, device groups and bindings, backups, deletions;
#   - DDM syncs: `ringmaster simulate` runs of SOAK_DEVICES devices, one after the other (bound
#     to the first default ring after the first run);
#   - hostile requests (bench/soak.py hostile, each case looping on its own thread): deeply
#     nested JSON and plists, a binary plist
#     whose objects share references, a zip whose entry lies about its size and a zip bomb at
#     restore, bodies of millions of small errors, NUL characters, bad query strings, an absurd
#     version in a catalog import, a device group of 100,000 ids, unauthenticated DDM bodies,
#     and, held open the whole time, SOAK_SLOWLORIS slowloris connections and
#     SOAK_IDLE_CONNECTIONS idle ones;
#   - the `GET /v1/` probe again, for its p99 during the hostile phase.
# Samples the server's resident memory every second. Prints a Markdown report to stdout (5xx
# answers per client, memory at start, end and peak, the probe's p50/p99 in both phases, what
# the hostile connections did) and progress to stderr. Exits 1 if the server died (naming the
# last hostile request sent before it did), if any client saw a 5xx answer, or if a `GET /v1/`
# probe failed during the hostile phase.
#
# Tunables (environment): SOAK_SECONDS (180), SOAK_QUIET_SECONDS (20), SOAK_TITLES (50),
# SOAK_DEVICES (200 per simulate run), SOAK_CONNECTIONS (wrk, 16), SOAK_READ_DELAY_MS (2),
# SOAK_SLOWLORIS (50), SOAK_IDLE_CONNECTIONS (1100), SOAK_BOMB_MB (1024: what the zip bomb
# expands to), SOAK_SERVER_NOFILE (1024), SOAK_SERVER_MEMORY_MB (4096),
# SOAK_HOSTILE_SKIP (comma-separated case names to leave out: deep-json, deep-xml-plist,
# deep-binary-plist, dag-plist, zip-lying-size, zip-bomb, many-errors, ddm-unauthenticated, nul,
# bad-query, absurd-version, many-ids, slowloris, idle), SOAK_KEEP=1 keeps the temporary folder.
# Installs wrk with apt-get when it is missing (needs root or sudo). Traffic stays on 127.0.0.1.
set -euo pipefail

BENCH_LOG_PREFIX=soak
BENCH_DIE_CODE=2
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SOAK_SECONDS="${SOAK_SECONDS:-180}"
QUIET_SECONDS="${SOAK_QUIET_SECONDS:-20}"
TITLES="${SOAK_TITLES:-50}"
DEVICES="${SOAK_DEVICES:-200}"
CONNECTIONS="${SOAK_CONNECTIONS:-16}"
READ_DELAY_MS="${SOAK_READ_DELAY_MS:-2}"
SERVER_NOFILE="${SOAK_SERVER_NOFILE:-1024}"
SERVER_MEMORY_MB="${SOAK_SERVER_MEMORY_MB:-4096}"
SECRET="soak-ddm-secret"


# --- tools -------------------------------------------------------------------------------------
need_wrk
need curl python3 cargo

build_release ringmaster
CLIENTS="$ROOT/bench/soak.py"

# --- temporary state and cleanup ---------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/ringmaster-soak.XXXXXX")"
SERVER_PID=""
CLIENT_PIDS=()
stop_clients() {
    touch "$WORK/STOP"
    local pid
    # wrk prints its report on SIGINT; the Python clients write their summaries on SIGTERM.
    if [ -n "${WRK_PID:-}" ] && kill -INT "$WRK_PID" 2>/dev/null; then
        for _ in $(seq 1 50); do kill -0 "$WRK_PID" 2>/dev/null || break; sleep 0.1; done
    fi
    for pid in "${CLIENT_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${CLIENT_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    CLIENT_PIDS=()
}
stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}
cleanup() {
    stop_clients
    stop_server
    if [ "${SOAK_KEEP:-0}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT="$(free_port)"
URL="http://127.0.0.1:$PORT"
DATABASE="sqlite://$WORK/soak.db"

# --- server ------------------------------------------------------------------------------------
TOKEN="$(timeout 120 "$BIN" token create --name soak --role admin --database "$DATABASE" | tail -n 1)"
say "starting the server on $URL ($DATABASE; soft descriptor limit $SERVER_NOFILE, address space ${SERVER_MEMORY_MB} MiB)"
(
    ulimit -Sn "$SERVER_NOFILE"
    ulimit -v $((SERVER_MEMORY_MB * 1024))
    export RINGMASTER_DDM_SECRET="$SECRET"
    # Every client here is 127.0.0.1, the hostile one included: the per-address limit of failed
    # authentication would shut the honest clients out with it, so it is lifted.
    exec "$BIN" --log warn serve --listen "127.0.0.1:$PORT" --database "$DATABASE" \
        --auth-failure-limit 1000000/s
) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; die "the server exited at start"; }
    curl -sf --max-time 2 -o /dev/null "$URL/healthz" && break
    sleep 0.1
done
curl -sf --max-time 2 -o /dev/null "$URL/healthz" || die "the server did not answer within 30 s"

server_alive() { kill -0 "$SERVER_PID" 2>/dev/null; }
memory_kb() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null || true; }
kb_to_mib() { awk -v kb="${1:-0}" 'BEGIN { printf "%.1f MiB", kb / 1024 }'; }

# --- seed ----------------------------------------------------------------------------------------
api() { curl -fsS --max-time 60 -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' "$@"; }
say "seeding: the sample catalogs, the default rings, $TITLES titles"
api -X POST --data-binary @fixtures/catalog/macos-26-autumn-2025.json "$URL/api/v1/catalog/import" >/dev/null
api -X POST --data-binary @fixtures/catalog/ios-26-autumn-2025.json "$URL/api/v1/catalog/import" >/dev/null
RINGS="$(api -X POST "$URL/api/v1/policy-groups/defaults")"
for definition in fixtures/titles/*.json; do
    api -X POST --data-binary @"$definition" "$URL/api/v1/title" >/dev/null
done
python3 "$CLIENTS" seed "$URL" "$TOKEN" "$ROOT/fixtures" "$TITLES" >"$WORK/titles.txt"
api -X POST --data '{"id": "soak-dup", "platform": "macOS", "osVersion": "26.0"}' "$URL/api/v1/devices" >/dev/null
sleep 1 # the feed cache refreshes within a second

# wrk: a random read per request, /v1/software one time in four; counts 5xx answers per thread.
READS_LUA="$WORK/reads.lua"
{
    echo 'local ids = {'
    for definition in fixtures/titles/*.json; do printf '  "%s",\n' "$(basename "$definition" .json)"; done
    sed 's/.*/  "&",/' "$WORK/titles.txt"
    echo '  "NoSuchTitle", "AlsoMissing",'
    echo '}'
    cat <<LUA
local delay_ms = $READ_DELAY_MS
LUA
    cat <<'LUA'
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("seed", #threads)
end
function init(args)
  math.randomseed(1000 + seed)
  server_errors = 0
  answers = 0
end
function request()
  if math.random(4) == 1 then
    return wrk.format("GET", "/v1/software", { ["Accept-Encoding"] = "gzip" })
  end
  return wrk.format("GET", "/v1/patch/" .. ids[math.random(#ids)], { ["Accept-Encoding"] = "gzip" })
end
function delay()
  return delay_ms
end
function response(status, headers, body)
  answers = answers + 1
  if status >= 500 then server_errors = server_errors + 1 end
end
function done(summary, latency, requests)
  local errors, total = 0, 0
  for _, thread in ipairs(threads) do
    errors = errors + thread:get("server_errors")
    total = total + thread:get("answers")
  end
  io.write(string.format("answers: %d\n5xx: %d\n", total, errors))
  io.write(string.format("p99: %.2f ms\n", latency:percentile(99) / 1000))
end
LUA
} >"$READS_LUA"

# --- memory sampling and the quiet baseline ---------------------------------------------------------
RSS_START_KB="$(memory_kb VmRSS)"
(
    while kill -0 "$SERVER_PID" 2>/dev/null && [ ! -e "$WORK/STOP" ]; do
        printf '%s %s\n' "$(date +%s)" "$(memory_kb VmRSS)" >>"$WORK/rss.txt"
        sleep 1
    done
) &
CLIENT_PIDS+=($!)

say "quiet baseline: GET /v1/ alone for ${QUIET_SECONDS} s"
python3 "$CLIENTS" probe "$URL" "$QUIET_SECONDS" "$WORK/probe-quiet.json"

# --- the soak ------------------------------------------------------------------------------------
say "soak: ${SOAK_SECONDS} s of reads, writes, DDM syncs and hostile requests at once"
timeout $((SOAK_SECONDS + 120)) wrk -t2 -c"$CONNECTIONS" -d"${SOAK_SECONDS}s" --timeout 10s --latency \
    -s "$READS_LUA" "$URL" >"$WORK/wrk.txt" 2>&1 &
WRK_PID=$!
CLIENT_PIDS+=("$WRK_PID")
python3 "$CLIENTS" writer "$URL" "$TOKEN" "$ROOT/fixtures" "$SOAK_SECONDS" "$WORK/writer.json" \
    2>"$WORK/writer.err" &
CLIENT_PIDS+=($!)
(
    ulimit -n 8192 2>/dev/null || true
    exec python3 "$CLIENTS" hostile "$URL" "$TOKEN" "$SECRET" "$SOAK_SECONDS" "$WORK/hostile.json" "$WORK"
) 2>"$WORK/hostile.err" &
CLIENT_PIDS+=($!)
python3 "$CLIENTS" probe "$URL" "$SOAK_SECONDS" "$WORK/probe-hostile.json" &
CLIENT_PIDS+=($!)
(
    simulate_pid=""
    trap '[ -z "$simulate_pid" ] || kill -TERM "$simulate_pid" 2>/dev/null; exit 0' TERM
    deadline=$((SECONDS + SOAK_SECONDS))
    run=0
    while [ "$SECONDS" -lt "$deadline" ] && [ ! -e "$WORK/STOP" ]; do
        run=$((run + 1))
        # Device channels only (no user channels or unsupported kinds): the group bound below
        # names every generated id, and each must be a device that takes the declarations.
        RINGMASTER_DDM_SECRET="$SECRET" timeout $((SOAK_SECONDS + 60)) "$BIN" simulate \
            --server "$URL" --devices "$DEVICES" --rounds 2 --concurrency 16 --mix macos26=53,macos15=17,ios26=22,ios18=8 \
            --id-prefix soak-sim- --json >"$WORK/simulate-$run.json" \
            2>"$WORK/simulate-$run.err" &
        simulate_pid=$!
        wait "$simulate_pid" || true
        simulate_pid=""
        if [ "$run" = 1 ]; then
            # The simulated devices now exist: bind them to the first ring, so that later runs
            # are served enforcement declarations for the catalog's releases.
            python3 -c 'import json, sys; print(json.dumps({"name": "Soak simulated devices",
                "devices": [f"soak-sim-{i:05d}" for i in range(int(sys.argv[1]))]}))' "$DEVICES" \
                >"$WORK/sim-group.json"
            group="$(api -X POST --data-binary @"$WORK/sim-group.json" "$URL/api/v1/device-groups" \
                | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')" || true
            ring="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["policyGroups"][0]["id"])' "$RINGS")"
            [ -z "$group" ] || api -X PUT --data "{\"deviceGroups\": [$group]}" \
                "$URL/api/v1/policy-groups/$ring/bindings" >/dev/null || true
        fi
    done
) &
CLIENT_PIDS+=($!)

DIED_AT=""
END=$((SECONDS + SOAK_SECONDS))
while [ "$SECONDS" -lt "$END" ]; do
    if ! server_alive; then DIED_AT="$(date -u +%H:%M:%S)"; break; fi
    sleep 1
done
if [ -z "$DIED_AT" ]; then
    # Let the clients finish their last requests.
    for _ in $(seq 1 60); do
        kill -0 "$WRK_PID" 2>/dev/null || break
        sleep 1
    done
    server_alive || DIED_AT="$(date -u +%H:%M:%S)"
fi
RSS_END_KB="$(memory_kb VmRSS)"
RSS_PEAK_KB="$(memory_kb VmHWM)"
[ -n "$RSS_PEAK_KB" ] || RSS_PEAK_KB="$(awk '$2 > peak { peak = $2 } END { print peak + 0 }' "$WORK/rss.txt" 2>/dev/null)"
stop_clients
if [ -n "$DIED_AT" ]; then
    say "THE SERVER DIED at $DIED_AT"
    wait "$SERVER_PID" 2>/dev/null && EXIT_STATUS=0 || EXIT_STATUS=$?
    SERVER_PID=""
fi

# --- report --------------------------------------------------------------------------------------
json_field() { # json_field FILE EXPRESSION (on `d`) → value, or "n/a"
    python3 - "$1" "$2" <<'PY' 2>/dev/null || echo "n/a"
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    print("n/a"); sys.exit()
value = eval(sys.argv[2], {"d": d, "json": json})
print("n/a" if value is None else (round(value, 2) if isinstance(value, float) else value))
PY
}
SIM="$(python3 - "$WORK" <<'PY'
import glob, json, sys
syncs = failed = server = 0
classes = {}
for path in glob.glob(f"{sys.argv[1]}/simulate-*.json"):
    try:
        d = json.load(open(path))
    except ValueError:
        continue
    syncs += d.get("syncs", 0); failed += d.get("failedSyncs", 0)
    for name, count in d.get("errors", {}).items():
        classes[name] = classes.get(name, 0) + count
        if name.startswith("HTTP 5"):
            server += count
print(syncs, failed, server, json.dumps(classes) if classes else "none")
PY
)"
read -r SIM_SYNCS SIM_FAILED SIM_5XX SIM_CLASSES <<<"$SIM"
SIM_RUNS="$(ls "$WORK"/simulate-*.json 2>/dev/null | wc -l)"
WRK_5XX="$(awk '/^5xx:/ { print $2 }' "$WORK/wrk.txt")"
WRK_ANSWERS="$(awk '/^answers:/ { print $2 }' "$WORK/wrk.txt")"
WRK_P99="$(awk '/^p99:/ { print $2 }' "$WORK/wrk.txt")"
WRK_SOCKET="$(grep -m1 'Socket errors' "$WORK/wrk.txt" | sed 's/^ *//' || true)"
WRITER_5XX="$(json_field "$WORK/writer.json" 'd["serverErrors"]')"
HOSTILE_5XX="$(json_field "$WORK/hostile.json" 'd["serverErrors"]')"
TOTAL_5XX=0
for count in "${WRK_5XX:-0}" "$WRITER_5XX" "$HOSTILE_5XX" "${SIM_5XX:-0}"; do
    [[ "$count" =~ ^[0-9]+$ ]] && TOTAL_5XX=$((TOTAL_5XX + count))
done
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ]; then COMMIT="$COMMIT (with uncommitted changes)"; fi

cat <<EOF
## Soak — $(date -u +%Y-%m-%dT%H:%M:%SZ)

- ringmaster $COMMIT, release build, SQLite; $(nproc) CPUs; ${SOAK_SECONDS} s of everything at once after a ${QUIET_SECONDS} s quiet baseline.
- Server: soft descriptor limit $SERVER_NOFILE, address space ${SERVER_MEMORY_MB} MiB.
- Skipped hostile cases: ${SOAK_HOSTILE_SKIP:-none}.
- **Server: $([ -n "$DIED_AT" ] && echo "DIED at $DIED_AT (exit status ${EXIT_STATUS:-?})" || echo "up to the end").**

| client | answers | 5xx | transport errors / notes |
|---|---:|---:|---|
| wrk reads (\`/v1/software\`, \`/v1/patch/{id}\`, -c$CONNECTIONS, ${READ_DELAY_MS} ms pauses) | ${WRK_ANSWERS:-n/a} | ${WRK_5XX:-n/a} | p99 ${WRK_P99:-n/a} ms; ${WRK_SOCKET:-no socket errors} |
| admin writes | $(json_field "$WORK/writer.json" 'sum(sum(v.values()) for v in d["answers"].values())') | $WRITER_5XX | $(json_field "$WORK/writer.json" 'd["transportErrors"]') transport errors |
| DDM syncs (\`simulate\`, $SIM_RUNS runs of $DEVICES devices × 2 rounds) | ${SIM_SYNCS:-0} syncs | ${SIM_5XX:-0} | ${SIM_FAILED:-0} failed syncs: ${SIM_CLASSES:-none} |
| hostile requests (rounds per case: $(json_field "$WORK/hostile.json" 'min(d["rounds"].values(), default=0)')–$(json_field "$WORK/hostile.json" 'max(d["rounds"].values(), default=0)')) | $(json_field "$WORK/hostile.json" 'sum(sum(v.values()) for v in d["answers"].values())') | $HOSTILE_5XX | $(json_field "$WORK/hostile.json" 'd["transportErrors"]') transport errors; slowest $(json_field "$WORK/hostile.json" 'd["slowestSeconds"]') s ($(json_field "$WORK/hostile.json" 'd["slowestFor"]')); largest answer $(json_field "$WORK/hostile.json" 'd["largestAnswerBytes"]') bytes ($(json_field "$WORK/hostile.json" 'd["largestAnswerFor"]')) |
| **all clients** | | **$TOTAL_5XX** | |

| \`GET /v1/\` probe (fresh connection every 20 ms) | requests | failures | p50 | p99 | max |
|---|---:|---:|---:|---:|---:|
| quiet baseline | $(json_field "$WORK/probe-quiet.json" 'd["requests"]') | $(json_field "$WORK/probe-quiet.json" 'd["failures"]') | $(json_field "$WORK/probe-quiet.json" 'd["p50Ms"]') ms | $(json_field "$WORK/probe-quiet.json" 'd["p99Ms"]') ms | $(json_field "$WORK/probe-quiet.json" 'd["maxMs"]') ms |
| during the hostile phase | $(json_field "$WORK/probe-hostile.json" 'd["requests"]') | $(json_field "$WORK/probe-hostile.json" 'd["failures"]') | $(json_field "$WORK/probe-hostile.json" 'd["p50Ms"]') ms | $(json_field "$WORK/probe-hostile.json" 'd["p99Ms"]') ms | $(json_field "$WORK/probe-hostile.json" 'd["maxMs"]') ms |

Server memory (resident): $(kb_to_mib "$RSS_START_KB") at the start, $( [ -n "$RSS_END_KB" ] && kb_to_mib "$RSS_END_KB" || echo "n/a (the server is gone)") at the end, $(kb_to_mib "$RSS_PEAK_KB") peak ($( [ -n "$DIED_AT" ] && echo "highest 1 s sample" || echo VmHWM)).

Hostile connections: $(json_field "$WORK/hostile.json" 'json.dumps(d["connections"])')

Hostile answers by case and status:
\`\`\`
$(json_field "$WORK/hostile.json" '"\n".join(f"{k}: {v}" for k, v in d["answers"].items())')
\`\`\`
EOF
FAILED=0
if [ -n "$DIED_AT" ]; then
    FAILED=1
    printf '\nThe server died at %s. The hostile log up to the first request left without an answer (cases run at once):\n```\n' "$DIED_AT"
    awk '{ lines[NR] = $0 } /-> None/ { for (i = (NR > 10 ? NR - 10 : 1); i <= NR; i++) print lines[i]; exit }' \
        "$WORK/hostile.log" 2>/dev/null || true
    printf '```\nLast lines of its log:\n```\n'
    tail -n 8 "$WORK/server.log"
    printf '```\n'
fi
if [ "$TOTAL_5XX" -gt 0 ]; then
    FAILED=1
    printf '\nSample 5xx answers:\n```\n%s\n%s\n```\n' \
        "$(json_field "$WORK/hostile.json" '"\n".join(d["samples"])')" \
        "$(json_field "$WORK/writer.json" '"\n".join(d["samples"])')"
fi
PROBE_FAILURES="$(json_field "$WORK/probe-hostile.json" 'd["failures"]')"
if [[ "$PROBE_FAILURES" =~ ^[0-9]+$ ]] && [ "$PROBE_FAILURES" -gt 0 ]; then
    FAILED=1
    printf '\n%s probes of `GET /v1/` failed or timed out (10 s) during the hostile phase: %s\n' \
        "$PROBE_FAILURES" "$(json_field "$WORK/probe-hostile.json" 'json.dumps(d["statuses"])')"
fi
[ "$FAILED" = 0 ] || say "FAILED: $([ -n "$DIED_AT" ] && echo "the server died; ")$TOTAL_5XX 5xx answers; ${PROBE_FAILURES:-?} failed probes"
exit "$FAILED"
