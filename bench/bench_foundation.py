"""Foundation benchmarks, as ratios to baselines measured in the same run (run by hand).

    .venv/bin/python bench/bench_foundation.py [--fixtures tests/fixtures] [--stored 100000] [--open 5000]

1. Start-up: `socialwatch --help` against `python -c "import click"` (target <= 2.5x).
2. Ingest: `socialwatch import` of the ~23,700 VADER ground-truth texts, as texts per second,
   against a plain script running VADER's `polarity_scores` over the same texts (target >= 0.8x).
3. With STORED mentions of which OPEN are open: `triage --json --limit 50` and `show ID` against
   `python -c "import click, tinydb"` (target <= 3x each), resolving one mention (<= 4x).

Every figure is the median of interleaved runs, so machine noise hits both sides alike.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = pathlib.Path(sys.executable).parent
SW = str(BIN / "socialwatch")
PY = sys.executable


def precompile() -> None:
    """Byte-compile the package first, as `pip install` does: an editable install run with
    PYTHONDONTWRITEBYTECODE=1 (as on this machine) would otherwise compile our modules again in
    every timed command (about 50 ms), which no installed copy does."""
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "socialwatch")], check=True)


def timed(cmd: list[str], env: dict, stdin: str | None = None) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, input=stdin)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)[:80]} failed: {p.stderr.strip()[-300:]}")
    return dt


def paired(base: list[str], target: list[str] | None, env: dict, reps: int, target_fn=None) -> tuple[float, float]:
    b, t = [], []
    for i in range(reps):
        b.append(timed(base, env))
        t.append(target_fn(i) if target_fn else timed(target, env))
    return statistics.median(b), statistics.median(t)


def vader_texts(folder: pathlib.Path) -> list[str]:
    texts = []
    for path in sorted(folder.glob("*_GroundTruth.txt")):
        for line in re.split(r"\r?\n", path.read_text(encoding="utf-8", errors="replace")):
            parts = line.split("\t", 2)
            if len(parts) == 3 and parts[2].strip():
                texts.append(parts[2])
    return texts


def fresh_home(tmp: pathlib.Path, name: str) -> dict:
    home = tmp / name
    env = {**os.environ, "SOCIALWATCH_HOME": str(home), "NO_COLOR": "1"}
    subprocess.run([SW, "init"], env=env, check=True, stderr=subprocess.DEVNULL)
    return env


def bench_help(env: dict, reps: int) -> float:
    base, target = paired([PY, "-c", "import click"], [SW, "--help"], env, reps)
    ratio = target / base
    print(f"start-up: socialwatch --help {target * 1000:.0f} ms vs import click {base * 1000:.0f} ms = {ratio:.2f}x (target <= 2.5x)")
    return ratio


def ingest_inputs(tmp: pathlib.Path, texts: list[str]) -> tuple[pathlib.Path, pathlib.Path]:
    """The JSONL file to import and the plain-VADER baseline script reading the same texts."""
    data = tmp / "vader.jsonl"
    with open(data, "w", encoding="utf-8") as fh:
        for i, t in enumerate(texts):
            fh.write(json.dumps({"id": f"file:v{i}", "text": t, "author": {"handle": f"u{i % 997}"}}) + "\n")
    plain = tmp / "plain_vader.py"
    plain.write_text(
        "import json, sys\n"
        "from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer\n"
        "texts = [json.loads(l)['text'] for l in open(sys.argv[1], encoding='utf-8')]\n"
        "a = SentimentIntensityAnalyzer()\n"
        "for t in texts:\n    a.polarity_scores(t)\n"
    )
    return data, plain


def bench_ingest(tmp: pathlib.Path, fixtures: pathlib.Path, reps: int) -> float:
    texts = vader_texts(fixtures / "vader")
    data, plain = ingest_inputs(tmp, texts)
    base_t, ours_t = [], []
    for i in range(reps):
        env = fresh_home(tmp, f"ingest{i}")
        base_t.append(timed([PY, str(plain), str(data)], env))
        ours_t.append(timed([SW, "import", str(data)], env))
    base, ours = statistics.median(base_t), statistics.median(ours_t)
    ratio = (len(texts) / ours) / (len(texts) / base)
    print(f"ingest: {compiled_modules()} of the hot-path modules run compiled (setup.py)")
    print(f"ingest: {len(texts)} texts, socialwatch import {len(texts) / ours:.0f}/s vs plain VADER {len(texts) / base:.0f}/s"
          f" = {ratio:.2f}x (target >= 0.8x)")
    return ratio


def compiled_modules() -> str:
    """How many of `socialwatch.compiled.MODULES` the measured install runs compiled, as "n/N"."""
    out = subprocess.run([PY, "-c", "from socialwatch.compiled import MODULES, running_compiled;"
                          "print(f'{len(running_compiled())}/{len(MODULES)}')"],
                         capture_output=True, text=True, check=True, cwd=tempfile.gettempdir())
    return out.stdout.strip()


def build_store(tmp: pathlib.Path, stored: int, open_count: int) -> tuple[dict, list[str], str]:
    env = fresh_home(tmp, "big")
    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    words = ["bill", "refund", "signal", "outage", "router", "engineer", "contract", "roaming", "app", "charge",
             "great", "thanks", "slow", "broken", "waiting", "hours", "cancel", "support", "help", "love"]
    data = tmp / "big.jsonl"
    open_ids = []
    with open(data, "w", encoding="utf-8") as fh:
        for i in range(stored):
            is_open = i >= stored - open_count
            created = now - timedelta(days=rng.uniform(0, 365 if not is_open else 2))
            rec = {"id": f"file:s{i}", "text": "@Northwind " + " ".join(rng.choices(words, k=12)),
                   "created_at": created.isoformat(), "author": {"handle": f"cust{rng.randrange(stored // 3)}"},
                   "status": "open" if is_open else "resolved"}
            if not is_open:
                rec["resolved_at"] = (created + timedelta(hours=5)).isoformat()
            else:
                open_ids.append(rec["id"])
            fh.write(json.dumps(rec) + "\n")
    t0 = time.perf_counter()
    subprocess.run([SW, "import", str(data)], env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"store: imported {stored} mentions ({open_count} open) in {time.perf_counter() - t0:.1f} s")
    return env, open_ids, f"file:s{stored // 2}"


def bench_store(tmp: pathlib.Path, stored: int, open_count: int, reps: int) -> dict[str, float]:
    env, open_ids, archived_id = build_store(tmp, stored, open_count)
    base_cmd = [PY, "-c", "import click, tinydb"]
    results = {}
    for label, cmd in (("triage --json --limit 50", [SW, "triage", "--json", "--limit", "50"]),
                       ("show (open)", [SW, "show", open_ids[0]]),
                       ("show (archived)", [SW, "show", archived_id])):
        base, target = paired(base_cmd, cmd, env, reps)
        results[label] = target / base
        print(f"{label}: {target * 1000:.0f} ms vs import click, tinydb {base * 1000:.0f} ms = {target / base:.2f}x (target <= 3x)")
    victims = iter(open_ids[1:])
    base, target = paired(base_cmd, None, env, reps, target_fn=lambda i: timed([SW, "resolve", next(victims)], env))
    results["resolve"] = target / base
    print(f"resolve one: {target * 1000:.0f} ms vs {base * 1000:.0f} ms = {target / base:.2f}x (target <= 4x)")
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", default=str(ROOT / "tests" / "fixtures"))
    ap.add_argument("--stored", type=int, default=100_000)
    ap.add_argument("--open", type=int, default=5_000)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--skip", action="append", default=[], choices=["help", "ingest", "store"])
    args = ap.parse_args()
    precompile()
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        env = fresh_home(tmp, "help")
        if "help" not in args.skip:
            bench_help(env, args.reps)
        if "ingest" not in args.skip:
            bench_ingest(tmp, pathlib.Path(args.fixtures), max(3, args.reps // 2))
        if "store" not in args.skip:
            bench_store(tmp, args.stored, args.open, args.reps)


if __name__ == "__main__":
    main()
