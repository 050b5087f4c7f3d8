"""Printing for people and pipes: JSON lines for machines, tables only on a terminal.

Data goes to stdout, messages to stderr. Every human-readable string that came from a
stranger passes through `render.safe` (via `render.table` or `text`), while JSON output keeps
the stored text exactly.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, TextIO

import orjson


def json_line(obj: Any, stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    stream.write(orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode("utf-8") + "\n")


def json_lines(objs: Iterable[Any], stream: TextIO | None = None) -> int:
    stream = stream or sys.stdout
    n = 0
    for obj in objs:
        stream.write(orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode("utf-8") + "\n")
        n += 1
    return n


def is_tty(stream: TextIO | None = None) -> bool:
    stream = stream or sys.stdout
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def public(mention: dict) -> dict:
    """The mention as the CLI's JSON shows it: the stored document, with the effective priority
    now (the agent's override, or the computed one plus the live waiting factor), and the live
    factors (waiting, and a clamp when it would pass 100) appended to `score.reasons`, so that
    the reasons add up to the priority shown."""
    from socialwatch.model import effective_priority, utcnow
    from socialwatch.views import waiting_factor

    live = waiting_factor(mention, utcnow())
    out = dict(mention)
    # the rows are what `effective_priority(mention, now)` adds (and clamps), so no second pass
    out["priority"] = effective_priority(mention) + sum(row["contribution"] for row in live)
    score = mention.get("score")
    if live and isinstance(score, dict):
        out["score"] = {**score, "reasons": [*(score.get("reasons") or []), *live]}
    return out
