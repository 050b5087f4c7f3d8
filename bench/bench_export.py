"""Export throughput and memory against a plain script (run by hand; needs psutil).

    .venv/bin/python bench/bench_export.py [--stored 100000]

Builds a store of STORED mentions (5% open), then times `socialwatch export -o out.csv` against a
plain script that loads the same store files with orjson and writes the same rows with
csv.writer (no neutralising, no filters). Target: at least 0.5x the plain script's throughput.
Also reports the export's peak memory against the size of the store (it streams one archive
segment at a time, so its peak should not grow with the history).
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import psutil

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bench_foundation as bf  # noqa: E402

# The same 32 columns as the default export, read the plainest way (no neutralising, no filters,
# no effective-priority or sentiment logic beyond a lookup).
PLAIN = """
import csv, pathlib, sys
import orjson
data = pathlib.Path(sys.argv[1])
TOP = ["id", "platform", "source", "kind", "created_at"]
with open(sys.argv[2], "w", newline="", encoding="utf-8") as out:
    w = csv.writer(out)
    w.writerow(["c%d" % i for i in range(32)])
    files = [data / "open.json"] + sorted((data / "archive").glob("seg-*.json"))
    for f in files:
        for m in orjson.loads(f.read_bytes()).get("mentions", {}).values():
            a, s, x = m.get("author") or {}, m.get("score") or {}, m.get("metrics") or {}
            w.writerow([m.get("id"), m.get("platform"), m.get("source"), m.get("kind"), m.get("created_at"),
                        a.get("handle"), a.get("name"), a.get("followers"), a.get("verified"), m.get("text"),
                        m.get("url"), m.get("lang"), m.get("status"), m.get("assignee"), m.get("team"),
                        ",".join(m.get("tags") or []), m.get("priority"), s.get("priority"), m.get("sentiment_override"),
                        s.get("compound"), s.get("angry"), s.get("viral"), m.get("first_response_at"),
                        m.get("resolved_at"), len(m.get("replies") or []), x.get("likes"), x.get("reposts"),
                        x.get("replies"), x.get("quotes"), m.get("conversation_id"), m.get("in_reply_to"),
                        m.get("fetched_at")])
"""


def peak_rss(cmd: list[str], env: dict) -> tuple[float, int]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, ps.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.01)
    if proc.returncode:
        raise SystemExit(f"{cmd[:3]} failed")
    return time.perf_counter() - t0, peak


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stored", type=int, default=100_000)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        env, _, _ = bf.build_store(tmp, args.stored, args.stored // 20)
        data = pathlib.Path(env["SOCIALWATCH_HOME"]) / "data"
        plain = tmp / "plain.py"
        plain.write_text(PLAIN)
        base, ours, peaks = [], [], []
        for _ in range(args.reps):
            base.append(bf.timed([bf.PY, str(plain), str(data), str(tmp / "plain.csv")], env))
            t, peak = peak_rss([bf.SW, "export", "-o", str(tmp / "out.csv")], env)
            ours.append(t)
            peaks.append(peak)
        b, o = statistics.median(base), statistics.median(ours)
        size = sum(p.stat().st_size for p in data.rglob("*.json"))
        print(f"export: {args.stored} mentions, socialwatch export {args.stored / o:.0f}/s vs plain csv.writer "
              f"{args.stored / b:.0f}/s = {b / o:.2f}x (target >= 0.5x)")
        print(f"export peak RSS {max(peaks) / 1e6:.0f} MB for a store of {size / 1e6:.0f} MB on disk")


if __name__ == "__main__":
    main()
