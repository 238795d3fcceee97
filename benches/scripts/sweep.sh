#!/usr/bin/env bash
# Runs the load test over several lobbies x players configurations against the real server
# binary (started by the load test, one run at a time) and prints one Markdown table.
#
#   benches/scripts/sweep.sh OUT_DIR 10x20 50x20 100x20 ...   [extra loadtest args after --]
#
# Each run waits (up to 2 min) for the machine to be quiet first. Reports land in
# OUT_DIR/LxP/report.{json,md}; the table is also written to OUT_DIR/sweep.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: sweep.sh OUT_DIR LxP... [-- loadtest args]}
shift
configs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do configs+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
cargo build --release -p tickwire-server --bin tickwire -p tickwire-benches --bin loadtest
mkdir -p "$out"
for c in "${configs[@]}"; do
    lobbies=${c%x*}
    players=${c#*x}
    echo "==> $lobbies lobbies x $players players" >&2
    ./target/release/loadtest --spawn-server --lobbies "$lobbies" --players "$players" \
        --wait-quiet 120s --quiet --out "$out/$c" "$@" >/dev/null || true
done
python3 - "$out" "${configs[@]}" <<'PY' | tee "$out/sweep.md"
import json, sys, pathlib
out, configs = pathlib.Path(sys.argv[1]), sys.argv[2:]
def f(v, d=2):
    return "n/a" if v is None else f"{v:.{d}f}"
print("| lobbies x players | clients ok | input→snapshot p50 / p99 (ms) | server-added p50 / p99 (ms) | inputs a tick late | snapshot jitter p50 / p99 (ms) | RTT p99 (ms) | tick p50 / p99 (ms) | missed ticks | server CPU (cores) | RSS (MiB) | snapshot B/client/s | bots CPU | other CPU | targets met |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for c in configs:
    p = out / c / "report.json"
    if not p.exists():
        print(f"| {c} | run failed | | | | | | | | | | | | | |")
        continue
    r = json.loads(p.read_text())
    lat, srv = r["latency"], r["server"]
    g = lambda x, k: None if x is None else x[k]
    met = sum(1 for t in r["targets"] if t["met"])
    print(f"| {c} | {r['clients']['connected']}/{r['clients']['target']} "
          f"| {f(g(lat['input_to_snapshot'],'p50'),1)} / {f(g(lat['input_to_snapshot'],'p99'),1)} "
          f"| {f(g(lat['server_added'],'p50'),1)} / {f(g(lat['server_added'],'p99'),1)} "
          f"| {f(None if lat['held_inputs'] is None else 100 * lat['held_inputs'],1)}% "
          f"| {f(g(lat['snapshot_jitter'],'p50'),2)} / {f(g(lat['snapshot_jitter'],'p99'),2)} "
          f"| {f(g(lat['rtt'],'p99'),1)} | {f(g(srv['tick_ms'],'p50'),3)} / {f(g(srv['tick_ms'],'p99'),3)} "
          f"| {srv['missed_ticks'] if srv['missed_ticks'] is not None else 'n/a'} | {f(srv['cpu_cores'])} | {f(srv['rss_mib'],0)} "
          f"| {f(r['traffic']['snapshot_bytes_down_per_client_s'],0)} | {f(r['loadgen_cpu_cores'])} | {f(r['other_cpu_cores'])} "
          f"| {met}/{len(r['targets'])} |")
PY
