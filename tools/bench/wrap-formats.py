#!/usr/bin/env python3
"""Writes the same rrweb events in every container SessionLens reads, for timing the readers side
by side (docs/BENCHMARKS.md, issue 18): the 19 recordings of tests/fixtures/rrweb concatenated
`--times` times, as a plain array, PostHog exports (2023-04-28, 2022-12-02) and one zlib Sentry
segment.

    python3 tools/bench/wrap-formats.py OUT_DIR [--times 4]
"""
import glob
import json
import os
import sys
import zlib

out = sys.argv[1] if len(sys.argv) > 1 else "bench-formats"
times = int(sys.argv[sys.argv.index("--times") + 1]) if "--times" in sys.argv else 4
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
events = []
for path in sorted(glob.glob(os.path.join(root, "tests/fixtures/rrweb/*.json"))):
    if not path.endswith(".truth.json"):
        with open(path) as f:
            events.extend(json.load(f))
events = sorted(events * times, key=lambda e: e.get("timestamp", 0))
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "plain.json"), "w") as f:
    json.dump(events, f)
with open(os.path.join(out, "export-v2.json"), "w") as f:
    snapshots = [dict(e, windowId=1) for e in events]
    json.dump({"version": "2023-04-28", "data": {"id": "bench", "person": None, "snapshots": snapshots}}, f)
with open(os.path.join(out, "export-v1.json"), "w") as f:
    json.dump({"version": "2022-12-02", "data": {"person": None, "snapshotsByWindowId": {"w1": events}}}, f)
with open(os.path.join(out, "segment.bin"), "wb") as f:
    f.write(b'{"segment_id":0}\n' + zlib.compress(json.dumps(events).encode()))
print(f"{len(events)} events in {out}/: plain.json export-v2.json export-v1.json segment.bin")
