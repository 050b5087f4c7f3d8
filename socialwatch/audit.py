"""The append-only audit log: one JSON line per change to a mention.

Lines are appended with O_APPEND while the store lock is held, and fsynced, so concurrent
agents never interleave or lose an entry. The log holds only mention data and agent names,
never configuration values, so it cannot hold a secret.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from socialwatch import model


def diff(before: dict | None, after: dict | None) -> tuple[dict, dict]:
    """The fields that changed, as (old values, new values)."""
    before = before or {}
    after = after or {}
    keys = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def entry(agent: str, action: str, mention_id: str, before: dict | None, after: dict | None, **extra: Any) -> dict:
    old, new = diff(before, after)
    return {"at": model.iso(model.utcnow()), "agent": agent, "action": action, "id": mention_id,
            "before": old, "after": new, **extra}


def append(path: pathlib.Path, entries: list[dict]) -> None:
    """Append entries (call with the store lock held)."""
    if not entries:
        return
    payload = b"".join(orjson.dumps(e) + b"\n" for e in entries)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, payload)
        os.fsync(fd)
    finally:
        os.close(fd)


def read(path: pathlib.Path, mention_id: str | None = None) -> Iterator[dict]:
    """Entries in order, optionally only those of one mention; a torn last line is skipped."""
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        return
    with fh:
        if mention_id is None:
            yield from parse_lines(fh)
            return
        # Only lines naming the id are parsed (entries are written compactly by orjson): the
        # inbox reads one mention's trail from a long log on every move.
        needle = b'"id":' + orjson.dumps(mention_id)
        for e in parse_lines(line for line in fh if needle in line):
            if e.get("id") == mention_id:
                yield e


def parse_lines(lines: Iterable[bytes]) -> Iterator[dict]:
    """The entries among JSON lines (torn or foreign lines skipped)."""
    for line in lines:
        try:
            e = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(e, dict):
            yield e


def summary(entry: dict) -> dict:
    """Who did what to which mention (what a live queue shows of an entry)."""
    return {"action": entry.get("action"), "id": entry.get("id"), "agent": entry.get("agent")}
