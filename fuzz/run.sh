#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) with cargo-fuzz on nightly, installing
# cargo-fuzz when it is missing, and reports each target's executions and findings.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
for target in $(cargo +nightly fuzz list); do
    log="$(mktemp)"
    status=ok
    cargo +nightly fuzz run "$target" -- -max_total_time="$seconds" >"$log" 2>&1 || status=FAILED
    runs="$(grep -oE 'Done [0-9]+ runs' "$log" | tail -1 || true)"
    crashes="$(find "artifacts/$target" -type f 2>/dev/null | wc -l)"
    echo "$target: $status, ${runs:-no summary} in ${seconds}s, $crashes finding(s) in fuzz/artifacts/$target"
    [ "$status" = ok ] || tail -30 "$log"
    rm -f "$log"
done
