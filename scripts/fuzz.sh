#!/usr/bin/env bash
# Fuzzes ringmaster's input parsers with cargo fuzz (libFuzzer), each for a bounded time.
#
#   scripts/fuzz.sh              every target, FUZZ_SECONDS each
#   scripts/fuzz.sh TARGET…      only these targets
#   scripts/fuzz.sh --list       the targets and what they cover
#
# The targets live in fuzz/ (its own workspace, never built by scripts/test.sh). Before each run
# the seed corpus is written afresh to fuzz/seeds/TARGET from the project's fixtures (fixtures/…)
# and a few generated inputs; what libFuzzer learns accumulates in fuzz/corpus/TARGET. Both are
# ignored by git. A crash, a timeout or an out-of-memory input is saved under fuzz/artifacts/TARGET
# and the script says where, how to reproduce it and how to minimise it, and exits 1 once every
# requested target has run.
#
# cargo fuzz needs nightly flags; only the stable toolchain is assumed, so it runs with
# RUSTC_BOOTSTRAP=1. Installs cargo-fuzz (cargo install --locked) when it is missing.
#
# Tunables (environment): FUZZ_SECONDS (per target, 60), FUZZ_MAX_LEN (bytes per input, 65536),
# FUZZ_TIMEOUT (seconds per input, 10), FUZZ_RSS_MB (1024; also the largest single allocation),
# FUZZ_SANITIZER (none; `address` for ASan, slower), FUZZ_KEEP_GOING=1 (libFuzzer's fork mode:
# collect every crash instead of stopping at the first), FUZZ_NICE (niceness, 10), FUZZ_TARGET_DIR
# (cargo's build folder; fuzz/target by default).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUZZ_DIR="$ROOT/fuzz"

SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
MAX_LEN="${FUZZ_MAX_LEN:-65536}"
INPUT_TIMEOUT="${FUZZ_TIMEOUT:-10}"
RSS_MB="${FUZZ_RSS_MB:-1024}"
SANITIZER="${FUZZ_SANITIZER:-none}"
KEEP_GOING="${FUZZ_KEEP_GOING:-0}"
NICENESS="${FUZZ_NICE:-10}"

say() { printf '%s\n' "fuzz: $*" >&2; }
die() { say "error: $*"; exit 2; }

# name|cargo features|what it covers
TARGETS=(
    "title_definition||the title definition parser; rendered definitions re-parse to the same"
    "title_version||the single-version parser; rendered versions re-parse to the same"
    "policy||the update-policy parser; rendered policies re-parse to the same"
    "feed||the SOFA and gdmf feed parsers via format detection; merging a feed twice is a no-op"
    "status_report||the DDM status-report parser, the status merge and its views"
    "checkin_plist|edge|the raw check-in property-list reader (XML and binary plists)"
    "backup_zip|edge|the backup zip reader and the validation of its files"
)

target_names() { local row; for row in "${TARGETS[@]}"; do printf '%s\n' "${row%%|*}"; done; }
target_features() {
    local row
    for row in "${TARGETS[@]}"; do
        if [ "${row%%|*}" = "$1" ]; then row="${row#*|}"; printf '%s' "${row%%|*}"; return; fi
    done
}

if [ "${1:-}" = "--list" ]; then
    for row in "${TARGETS[@]}"; do
        name="${row%%|*}"; row="${row#*|}"
        printf '%-18s %s\n' "$name" "${row#*|}"
    done
    exit 0
fi
case "${1:-}" in
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
esac

SELECTED=()
if [ "$#" -eq 0 ]; then
    mapfile -t SELECTED < <(target_names)
else
    for name in "$@"; do
        target_names | grep -qx -- "$name" || die "no target '$name' (see --list)"
        SELECTED+=("$name")
    done
fi

# --- tools -------------------------------------------------------------------------------------
command -v cargo >/dev/null || die "cargo is needed"
command -v python3 >/dev/null || die "python3 is needed (it writes the plist and zip seeds)"
if ! cargo fuzz --version >/dev/null 2>&1; then
    say "installing cargo-fuzz (cargo install cargo-fuzz --locked)"
    nice -n "$NICENESS" cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1

# --- seeds -------------------------------------------------------------------------------------
# write_seeds TARGET DIR: the seed corpus, from the fixtures and a few generated inputs.
write_seeds() {
    local target="$1" dir="$2"
    rm -rf "$dir"
    mkdir -p "$dir"
    case "$target" in
        title_definition)
            cp "$ROOT"/fixtures/titles/*.json "$ROOT"/fixtures/titles/invalid/*.json "$dir"/ ;;
        title_version)
            cp "$ROOT"/fixtures/versions/*.json "$dir"/
            python3 - "$ROOT/fixtures/titles" "$dir" <<'EOF'
import json, pathlib, sys
# Each patch of each fixture title is a version object of its own.
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    for index, patch in enumerate(json.loads(path.read_text()).get("patches", [])):
        (pathlib.Path(sys.argv[2]) / f"{path.stem}-{index}.json").write_text(json.dumps(patch))
EOF
            ;;
        policy)
            printf '%s' '{"name":"Minimal","platform":"macOS"}' >"$dir/minimal.json"
            printf '%s' '{"name":"Phones","platform":"iOS","deferrals":{"combinedDays":14},"recommendedCadence":"newest","updatePermissions":"adminsOnly"}' >"$dir/ios.json"
            cat >"$dir/maximal.json" <<'EOF'
{"name": "Everything (macOS)", "platform": "macOS",
 "deferrals": {"majorDays": 90, "minorDays": 7, "systemDays": 3},
 "enforcement": {"enabled": true, "gracePeriodDays": 30, "localTime": "18:30",
                 "detailsUrl": "https://example.com/updates", "scope": "sameMajor"},
 "updatePermissions": "standardUsers", "notifications": "oneHourBeforeDeadline",
 "recommendedCadence": "all",
 "automaticActions": {"download": "alwaysOn", "installOSUpdates": "alwaysOn",
                      "installSecurityResponse": "userControlled"},
 "rapidSecurityResponse": {"offer": true, "allowRollback": false},
 "beta": {"programEnrollment": "userAllowed",
          "offeredPrograms": [{"description": "Public beta", "token": "abc"}]}}
EOF
            printf '%s' '{"name":"Bad","platform":"macOS","automaticActions":{"download":"alwaysOff","installOSUpdates":"alwaysOn"},"deferrals":{"combinedDays":3}}' >"$dir/refused.json"
            ;;
        feed)
            cp "$ROOT"/fixtures/feeds/*.json "$ROOT"/fixtures/catalog/*.json "$dir"/ ;;
        status_report)
            cp "$ROOT"/fixtures/status/*.json "$dir"/ ;;
        checkin_plist)
            python3 - "$ROOT/fixtures/status" "$dir" <<'EOF'
import pathlib, plistlib, sys
status = (pathlib.Path(sys.argv[1]) / "macos-full-report.json").read_bytes()
out = pathlib.Path(sys.argv[2])
def message(endpoint, data=None):
    body = {"MessageType": "DeclarativeManagement", "Endpoint": endpoint,
            "EnrollmentID": "fuzz-device-1", "UDID": "0000-FUZZ"}
    if data is not None:
        body["Data"] = data
    return body
samples = {
    "tokens": message("tokens"),
    "items": message("declaration-items"),
    "declaration": message("declaration/configuration/com.example.settings"),
    "status": message("status", status),
    "other": {"MessageType": "TokenUpdate", "UDID": "x", "Topic": "t", "Token": b"\0\1",
              "Nested": [{"a": 1, "b": 2.5, "c": True}], "When": __import__("datetime").datetime(2026, 1, 2)},
}
for name, body in samples.items():
    (out / f"{name}.xml.plist").write_bytes(plistlib.dumps(body, fmt=plistlib.FMT_XML))
    (out / f"{name}.bin.plist").write_bytes(plistlib.dumps(body, fmt=plistlib.FMT_BINARY))
# The soak's hostile plists: nested 3,000 deep (XML and binary) and objects sharing references.
sys.path.insert(0, str(pathlib.Path(sys.argv[1]).parents[1] / "bench"))
import soak
(out / "hostile-deep.xml.plist").write_bytes(soak.deep_xml_plist())
(out / "hostile-deep.bin.plist").write_bytes(soak.deep_binary_plist())
(out / "hostile-dag.bin.plist").write_bytes(soak.dag_binary_plist())
EOF
            ;;
        backup_zip)
            python3 - "$ROOT/fixtures/titles" "$dir" <<'EOF'
import json, pathlib, sys, zipfile
titles = sorted(pathlib.Path(sys.argv[1]).glob("*.json"))
out = pathlib.Path(sys.argv[2])
state = {"format": 1, "titles": {}}
for path in titles:
    definition = json.loads(path.read_text())
    versions = [patch["version"] for patch in definition.get("patches", [])]
    state["titles"][definition["id"]] = {"enabled": True, "disabledVersions": versions[1:2],
                                         **({"pinnedVersion": versions[0]} if versions else {})}
for method, suffix in ((zipfile.ZIP_DEFLATED, "deflated"), (zipfile.ZIP_STORED, "stored")):
    with zipfile.ZipFile(out / f"backup-{suffix}.zip", "w", method) as archive:
        for path in titles:
            archive.writestr(f"patch_archive/{path.stem}.json", path.read_text())
        archive.writestr("ringmaster/state.json", json.dumps(state))
with zipfile.ZipFile(out / "patchserver.zip", "w", zipfile.ZIP_DEFLATED) as archive:
    archive.writestr("patch_archive/", "")
    archive.writestr(f"patch_archive/{titles[0].stem}.json", titles[0].read_text())
# The soak's hostile zip: an entry whose zip64 sizes claim 2^45 bytes.
sys.path.insert(0, str(pathlib.Path(sys.argv[1]).parents[1] / "bench"))
import soak
(out / "hostile-lying-size.zip").write_bytes(soak.zip_lying_size())
EOF
            ;;
        *) die "no seeds for $target" ;;
    esac
}

# --- run ---------------------------------------------------------------------------------------
FAILED=()
SUMMARY=()
for target in "${SELECTED[@]}"; do
    features="$(target_features "$target")"
    feature_args=()
    [ -n "$features" ] && feature_args=(--features "$features")
    [ -n "${FUZZ_TARGET_DIR:-}" ] && feature_args+=(--target-dir "$FUZZ_TARGET_DIR")
    seeds="$FUZZ_DIR/seeds/$target"
    corpus="$FUZZ_DIR/corpus/$target"
    artifacts="$FUZZ_DIR/artifacts/$target"
    mkdir -p "$corpus" "$artifacts"
    write_seeds "$target" "$seeds"
    before="$(ls -1 "$artifacts" | sort)"

    say "building $target"
    (cd "$FUZZ_DIR" && nice -n "$NICENESS" cargo fuzz build -s "$SANITIZER" "${feature_args[@]}" "$target") \
        || die "could not build $target"

    libfuzzer_args=(
        -max_total_time="$SECONDS_PER_TARGET" -max_len="$MAX_LEN" -timeout="$INPUT_TIMEOUT"
        -rss_limit_mb="$RSS_MB" -malloc_limit_mb="$RSS_MB" -print_final_stats=1
    )
    [ "$KEEP_GOING" = 1 ] && libfuzzer_args+=(-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)

    say "running $target for ${SECONDS_PER_TARGET} s (corpus $corpus)"
    log="$FUZZ_DIR/artifacts/$target.log"
    status=0
    (cd "$FUZZ_DIR" && nice -n "$NICENESS" timeout $((SECONDS_PER_TARGET + 300)) \
        cargo fuzz run -s "$SANITIZER" "${feature_args[@]}" "$target" "$corpus" "$seeds" \
        -- "${libfuzzer_args[@]}") >"$log" 2>&1 || status=$?
    tail -n 15 "$log" >&2

    after="$(ls -1 "$artifacts" | sort)"
    found="$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed '/^$/d')"
    runs="$(awk '/stat::number_of_executed_units:/ { total += $2 } END { print total + 0 }' "$log")"
    if [ "$status" -ne 0 ] || [ -n "$found" ]; then
        FAILED+=("$target")
        SUMMARY+=("$target: FAILED after $runs runs (exit $status; log $log)")
        while IFS= read -r artifact; do
            [ -n "$artifact" ] || continue
            SUMMARY+=("  input saved to $artifacts/$artifact")
            SUMMARY+=("    reproduce: (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -s $SANITIZER ${feature_args[*]} $target artifacts/$target/$artifact)")
            SUMMARY+=("    minimise:  (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz tmin -s $SANITIZER ${feature_args[*]} $target artifacts/$target/$artifact)")
        done <<<"$found"
        [ -n "$found" ] || SUMMARY+=("  no input was saved; see the log")
    else
        SUMMARY+=("$target: ok, $runs runs in ${SECONDS_PER_TARGET} s, corpus $(ls -1 "$corpus" | wc -l) inputs")
    fi
done

say "summary"
printf '%s\n' "${SUMMARY[@]}"
if [ "${#FAILED[@]}" -gt 0 ]; then
    say "${#FAILED[@]} target(s) failed: ${FAILED[*]}"
    exit 1
fi
