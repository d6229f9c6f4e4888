#!/usr/bin/env bash
# DDM sync benchmark: many simulated devices syncing with one server over loopback, and the time
# the server takes to recompute the whole fleet and notify the MDM after a catalog import.
#
#   bench/ddm_sync.sh
#
# Builds the release binary; starts a fake MDM (a small Python server that accepts NanoMDM's
# enqueue requests and counts the devices) and `ringmaster serve` on a temporary SQLite file (or
# BENCH_DATABASE_URL, an EMPTY postgres://… database) with a DDM secret and the notifier; imports
# the sample macOS and iOS catalogs and loads the default rings. Then, with `ringmaster simulate`:
#   1. enrollment: every device's first sync (it is unknown: status subscriptions only);
#   2. the devices are split into four device groups bound to the four rings (through the API);
#   3. full syncs: every device fetches its new set (tokens, items, every changed declaration,
#      a status report) — the case the aim is about;
#   4. the same devices again, in one run of two rounds: the second round is steady state
#      (tokens unchanged, nothing fetched, an incremental report only when something changed).
# Before 3, the baseline in the same run: the bodies one bound device is served (tokens,
# declaration-items, every declaration) are captured with curl, and the same full round runs
# against `ddm_standin` (crate ringmaster-bench), which answers every device those fixed bodies
# from memory: the most this load generator reaches here, so each rate is also a ratio to it.
# Server CPU (user + system, from /proc/PID/stat) is read around every round and reported per sync.
# (Each `simulate` run starts its devices afresh, so every first round is a full sync.)
# Finally a release enters the catalog and the script waits for the notifier's round, reading how
# long the recomputation and notification of the whole fleet took from the server's JSON log.
# Prints a Markdown table to stdout; progress goes to stderr; every step is bounded in time.
#
# Tunables: BENCH_DEVICES (100000), BENCH_CONCURRENCY (64), BENCH_KEEP=1 keeps the folder,
# BENCH_DATABASE_URL, BENCH_ROUNDS=short (enrollment and the full sync only: no stand-in
# baseline, no two-round run; for the notifier and memory figures at 100,000 devices).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DEVICES="${BENCH_DEVICES:-100000}"
ROUNDS="${BENCH_ROUNDS:-all}"
CONCURRENCY="${BENCH_CONCURRENCY:-64}"
SECRET="bench-ddm-secret"

need python3 curl cargo

build_release ringmaster ddm_standin
STANDIN="$TARGET_DIR/release/ddm_standin"
TICKS="$(getconf CLK_TCK)"

# cpu_ticks PID: user + system CPU of PID so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# child_of PID: the process `timeout` started.
child_of() { local kids; for _ in $(seq 1 50); do kids="$(cat "/proc/$1/task/$1/children" 2>/dev/null || true)"; [ -n "$kids" ] && { echo "${kids%% *}"; return; }; sleep 0.1; done; echo "$1"; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/ringmaster-ddm-bench.XXXXXX")"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

DB="${BENCH_DATABASE_URL:-sqlite://$WORK/ringmaster.db}"
PORT="$(free_port)"; MDM_PORT="$(free_port)"
URL="http://127.0.0.1:$PORT"

# --- the fake MDM: counts enqueued devices, writes the running total to a file ----------------
cat > "$WORK/mdm.py" <<'PY'
import http.server, sys
total = 0
class Handler(http.server.BaseHTTPRequestHandler):
    def do_PUT(self):
        global total
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        total += len(self.path.rsplit("/", 1)[-1].split(","))
        with open(sys.argv[2], "w") as f:
            f.write(str(total))
        self.send_response(200); self.end_headers()
    def log_message(self, *args): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
PY
echo 0 > "$WORK/notified"
python3 "$WORK/mdm.py" "$MDM_PORT" "$WORK/notified" & PIDS+=($!)

TOKEN="$(timeout 120 "$BIN" token create --name bench --role admin --database "$DB" | tail -n 1)"
say "starting the server on $URL ($DB)"
RINGMASTER_DDM_SECRET="$SECRET" timeout 7200 "$BIN" --log-format json serve --listen "127.0.0.1:$PORT" \
    --database "$DB" --mdm-enqueue-url "http://127.0.0.1:$MDM_PORT/v1/enqueue/" \
    --notify-every-secs 3600 2> "$WORK/server.log" & PIDS+=($!)
SERVER_PID="$(child_of "$!")"
for _ in $(seq 1 100); do curl -fs "$URL/healthz" >/dev/null && break; sleep 0.2; done
curl -fs "$URL/healthz" >/dev/null || die "the server did not start; see $WORK/server.log"

api() { curl -fsS -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' "$@"; }
api -X POST --data-binary @fixtures/catalog/macos-26-autumn-2025.json "$URL/api/v1/catalog/import" >/dev/null
api -X POST --data-binary @fixtures/catalog/ios-26-autumn-2025.json "$URL/api/v1/catalog/import" >/dev/null
RINGS="$(api -X POST "$URL/api/v1/policy-groups/defaults")"

simulate() { # simulate ROUND_NAME [SERVER_URL SERVER_PID] → JSON summary in $WORK/ROUND_NAME.json
    local target="${2:-$URL}" pid="${3:-$SERVER_PID}" before
    say "simulate: $1 ($DEVICES devices, $CONCURRENCY in flight, against $target)"
    before="$(cpu_ticks "$pid")"
    RINGMASTER_DDM_SECRET="$SECRET" timeout 3600 "$BIN" simulate --devices "$DEVICES" --server "$target" \
        --concurrency "$CONCURRENCY" --mix macos26=60,macos15=20,ios26=15,ios18=5 --json > "$WORK/$1.json"
    echo $(( $(cpu_ticks "$pid") - before )) > "$WORK/$1.cpu"
}

simulate enroll
say "binding the devices to the rings through four device groups"
python3 - "$DEVICES" "$RINGS" "$WORK" <<'PY'
import json, sys
devices, rings, work = int(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
for ring, group in enumerate(rings["policyGroups"]):
    ids = [f"sim-{i:05d}" for i in range(devices) if i % 4 == ring]
    json.dump({"name": f"Bench ring {ring}", "devices": ids}, open(f"{work}/group{ring}.json", "w"))
    json.dump({"ring": group["id"]}, open(f"{work}/ring{ring}.json", "w"))
PY
for ring in 0 1 2 3; do
    GROUP_ID="$(api -X POST --data-binary @"$WORK/group$ring.json" "$URL/api/v1/device-groups" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
    RING_ID="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ring"])' "$WORK/ring$ring.json")"
    api -X PUT --data "{\"deviceGroups\": [$GROUP_ID]}" "$URL/api/v1/policy-groups/$RING_ID/bindings" >/dev/null
done
sleep 2

if [ "$ROUNDS" != short ]; then
say "capturing what sim-00000 is served, for the stand-in"
python3 - "$URL" "$SECRET" "$WORK/bodies" <<'PY'
import json, os, sys, urllib.request
base, secret, out = sys.argv[1], sys.argv[2], sys.argv[3]
def get(path):
    request = urllib.request.Request(f"{base}/ddm/{path}", headers={
        "Authorization": f"Bearer {secret}", "X-Enrollment-ID": "sim-00000"})
    return urllib.request.urlopen(request, timeout=30).read()
os.makedirs(out, exist_ok=True)
open(f"{out}/tokens.json", "wb").write(get("tokens"))
items = get("declaration-items")
open(f"{out}/declaration-items.json", "wb").write(items)
kinds = {"Activations": "activation", "Assets": "asset", "Configurations": "configuration",
         "Management": "management"}
for key, kind in kinds.items():
    os.makedirs(f"{out}/declaration/{kind}", exist_ok=True)
    for item in json.loads(items)["Declarations"][key]:
        body = get(f"declaration/{kind}/{item['Identifier']}")
        open(f"{out}/declaration/{kind}/{item['Identifier']}.json", "wb").write(body)
PY
STANDIN_PORT="$(free_port)"
timeout 3600 "$STANDIN" --listen "127.0.0.1:$STANDIN_PORT" --bodies "$WORK/bodies" 2> "$WORK/standin.log" &
STANDIN_TIMEOUT=$!; PIDS+=($STANDIN_TIMEOUT)
STANDIN_PID="$(child_of "$STANDIN_TIMEOUT")"
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$STANDIN_PORT/healthz" >/dev/null && break; sleep 0.1; done
simulate baseline "http://127.0.0.1:$STANDIN_PORT" "$STANDIN_PID"
kill -TERM "$STANDIN_TIMEOUT" 2>/dev/null || true
fi

simulate full
if [ "$ROUNDS" != short ]; then
say "simulate: two rounds ($DEVICES devices, $CONCURRENCY in flight)"
STEADY_BEFORE="$(cpu_ticks "$SERVER_PID")"
RINGMASTER_DDM_SECRET="$SECRET" timeout 3600 "$BIN" simulate --devices "$DEVICES" --server "$URL" \
    --concurrency "$CONCURRENCY" --mix macos26=60,macos15=20,ios26=15,ios18=5 --rounds 2 --json > "$WORK/steady.json"
echo $(( $(cpu_ticks "$SERVER_PID") - STEADY_BEFORE )) > "$WORK/steady.cpu"
fi
RSS_ROUNDS_KIB="$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")"

say "importing a new release and waiting for the notifier's round"
BEFORE="$(cat "$WORK/notified")"
ROUNDS_BEFORE="$(grep -c 'asked the MDM to sync' "$WORK/server.log" || true)"
python3 - > "$WORK/new-release.json" <<'PY'
import json
print(json.dumps({"AssetSets": {"macOS": [{"ProductVersion": "26.2.1", "Build": "25C100",
    "PostingDate": "2025-12-01", "SupportedDevices": []}]}}))
PY
IMPORTED_AT="$(date +%s.%N)"
api -X POST --data-binary @"$WORK/new-release.json" "$URL/api/v1/catalog/import" >/dev/null
ROUND=""
for _ in $(seq 1 1200); do
    if [ "$(grep -c 'asked the MDM to sync' "$WORK/server.log" || true)" -gt "$ROUNDS_BEFORE" ]; then
        ROUND="$(grep 'asked the MDM to sync' "$WORK/server.log" | tail -n 1)"
        break
    fi
    sleep 0.5
done
DONE_AT="$(date +%s.%N)"
[ -n "$ROUND" ] || die "no notification round within 10 minutes; see $WORK/server.log"
AFTER="$(cat "$WORK/notified")"

RSS_KIB="$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")"
HWM_KIB="$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status")"

python3 - "$WORK" "$DEVICES" "$ROUND" "$IMPORTED_AT" "$DONE_AT" "$BEFORE" "$AFTER" "$TICKS" "$RSS_KIB" "$HWM_KIB" "$RSS_ROUNDS_KIB" <<'PY'
import json, os, sys
work, devices, round_line = sys.argv[1], int(sys.argv[2]), sys.argv[3]
imported, done, before, after = float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
ticks, rss, hwm, rss_rounds = int(sys.argv[8]), int(sys.argv[9]), int(sys.argv[10]), int(sys.argv[11])
baseline = (json.load(open(f"{work}/baseline.json"))["syncsPerSecond"]
            if os.path.exists(f"{work}/baseline.json") else None)
def ms(value):
    return value * 1000 if isinstance(value, (int, float)) else value
print(f"| Round ({devices:,} devices) | Syncs/s | vs stand-in | p50 ms | p99 ms | server CPU µs/sync | Requests | Errors |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
rounds = [("baseline", "0. stand-in baseline: a full sync against fixed bodies"),
          ("enroll", "1. enrollment (unknown devices)"), ("full", "3. full sync after binding"),
          ("steady", "4. two rounds: a full sync, then steady state")]
for name, label in rounds:
    if not os.path.exists(f"{work}/{name}.json"):
        continue
    report = json.load(open(f"{work}/{name}.json"))
    latency = report["latencyMs"]
    cpu = int(open(f"{work}/{name}.cpu").read()) / ticks
    ratio = f"{report['syncsPerSecond'] / baseline:.2f}" if baseline else "–"
    print(f"| {label} | {report['syncsPerSecond']:,.0f} | {ratio} | "
          f"{latency['p50']:.1f} | {latency['p99']:.1f} | {cpu * 1e6 / max(report['syncs'], 1):,.0f} | "
          f"{report['requests']:,} ({report['requests'] / max(report['syncs'], 1):.1f}/sync, "
          f"{report['declarationsFetched']:,} declarations) | {report['failedSyncs']} |")
print()
print(f"Server memory: {rss_rounds / 1024:.0f} MiB resident after the rounds (every device's set cached), "
      f"{rss / 1024:.0f} MiB after the notifier's round, {hwm / 1024:.0f} MiB peak (VmHWM).")
fields = json.loads(round_line).get("fields", json.loads(round_line))
print()
print(f"New release imported: of {fields.get('devices')} synced devices the notifier recomputed "
      f"{fields.get('recomputed')} ({fields.get('computed')} distinct computations) and asked the MDM "
      f"for {fields.get('notified')} in {fields.get('elapsed_ms')} ms (server's figure); "
      f"{done - imported:.1f} s from the import to the log line; the fake MDM counted {after - before} devices.")
PY
