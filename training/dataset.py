"""The labelled tweets and the fixed held-out split, shared by the training script and the tests.

Labels: tests/data/labels_v2.csv (ids and labels only; see tests/data/README.md). Texts: the
test fixture tests/fixtures/twcs/twcs.csv, read as the tests read it (every bare `\\r`
replaced by a space first). Standard library only, so that the tests can use it without
scikit-learn.
"""

from __future__ import annotations

import csv
import hashlib
import io
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
LABELS = ROOT / "tests" / "data" / "labels_v2.csv"
TWCS = ROOT / "tests" / "fixtures" / "twcs" / "twcs.csv"
FIELDS = ("tweet_id", "angry", "complaint", "needs_response", "sentiment", "intent")
#: About 30% of the tweets, chosen by a hash of the id (never by the labels or the texts).
HELD_OUT_PERCENT = 30


def held_out(tweet_id: str) -> bool:
    """Whether a tweet belongs to the held-out split (fixed for ever: never tuned on)."""
    digest = hashlib.sha256(f"socialwatch-heldout:{tweet_id}".encode()).hexdigest()
    return int(digest[:8], 16) % 100 < HELD_OUT_PERCENT


def texts() -> dict[str, str]:
    """tweet_id -> text of the twcs fixture."""
    with TWCS.open(encoding="utf-8", newline="") as f:
        raw = f.read().replace("\r", " ")
    return {row["tweet_id"]: row["text"] for row in csv.DictReader(io.StringIO(raw))}


def load() -> list[dict]:
    """The labelled rows, each with its `text`, in file order (sorted by tweet id)."""
    by_id = texts()
    with LABELS.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["text"] = by_id[row["tweet_id"]]
    return rows


def split() -> tuple[list[dict], list[dict]]:
    """(training rows, held-out rows)."""
    rows = load()
    return [r for r in rows if not held_out(r["tweet_id"])], [r for r in rows if held_out(r["tweet_id"])]
