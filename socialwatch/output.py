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
    now (the agent's override, or the computed one plus the live waiting factor)."""
    from socialwatch.model import effective_priority, utcnow

    out = dict(mention)
    out["priority"] = effective_priority(mention, utcnow())
    return out
