"""What the platform source tests share: a source whose sleeps are recorded instead of slept,
and the batches of one fetch."""

from __future__ import annotations

from typing import Any

from socialwatch.sources import Batch, SourceError


def recording_sleeps(source: Any, cursor: dict | None) -> Any:
    """`source` starting from `cursor`, its sleeps recorded in `source.sleeps` (none slept)."""
    source.cursor = cursor
    source.sleeps = []
    source._sleep = source.sleeps.append
    return source


def drain(source: Any) -> tuple[list[Batch], SourceError | None]:
    """All batches of one fetch, and the SourceError that ended it (if any)."""
    batches: list[Batch] = []
    try:
        for batch in source.fetch():
            batches.append(batch)
    except SourceError as exc:
        return batches, exc
    return batches, None


def mentions_of(batches: list[Batch]) -> list[dict]:
    return [m for b in batches for m in b.mentions]
