#!/usr/bin/env python3
"""Prints the latest criterion results (target/criterion/*/new/) as a Markdown table:
median time per iteration with the 95% interval of the median, and the time per element
when the bench declared a throughput (per client for `snapshot_send`, per player for
`lobby_input`)."""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")


def fmt(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


rows = []
for est in sorted(root.glob("**/new/estimates.json")):
    bench = json.loads((est.parent / "benchmark.json").read_text())
    median = json.loads(est.read_text())["median"]
    per = ""
    tp = bench.get("throughput") or {}
    elems = tp.get("Elements") or tp.get("elements")
    if elems and elems > 1:
        per = fmt(median["point_estimate"] / elems)
    ci = median["confidence_interval"]
    rows.append((bench["group_id"], bench.get("function_id") or "", bench.get("value_str") or "",
                 fmt(median["point_estimate"]), f"{fmt(ci['lower_bound'])} – {fmt(ci['upper_bound'])}", per))

print("| group | bench | size | median | 95% CI of median | per element |")
print("| --- | --- | --- | --- | --- | --- |")
for r in rows:
    print("| " + " | ".join(r) + " |")
