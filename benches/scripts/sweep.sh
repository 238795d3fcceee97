#!/usr/bin/env bash
# Runs the load test over several lobbies x players configurations against the real server
# binary (started by the load test, one run at a time) and prints one Markdown table.
#
#   benches/scripts/sweep.sh OUT_DIR 10x20 50x20 100x20 ...   [extra loadtest args after --]
#
# Each run waits (up to 2 min) for the machine to be quiet first. Reports land in
# OUT_DIR/LxP/report.{json,md,html}; the table is also written to OUT_DIR/sweep.md, and
# OUT_DIR/sweep.html charts clients against server CPU and input-to-snapshot p99.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: sweep.sh OUT_DIR LxP... [-- loadtest args]}
shift
configs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do configs+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
cargo build --release -p tickwire-server --bin tickwire -p tickwire-benches --bin loadtest --bin sweep-report
mkdir -p "$out"
for c in "${configs[@]}"; do
    lobbies=${c%x*}
    players=${c#*x}
    echo "==> $lobbies lobbies x $players players" >&2
    ./target/release/loadtest --spawn-server --lobbies "$lobbies" --players "$players" \
        --wait-quiet 120s --quiet --out "$out/$c" "$@" >/dev/null || true
done
./target/release/sweep-report "$out" "${configs[@]}"
