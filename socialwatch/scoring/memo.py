"""A small cache for per-token work on the scoring hot path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Memo(dict):
    """A dict that makes a missing value with `make` and keeps it (up to `limit` entries).

    Looked up through `map(memo.__getitem__, tokens)`, a known token costs one dictionary
    look-up in C: words repeat from text to text, so most of a text's tokens are known after a
    few hundred texts. Past `limit` entries new tokens are made each time and not kept, which
    bounds the memory of a long-running daemon.
    """

    __slots__ = ("make", "limit")

    def __init__(self, make: Callable[[Any], Any], limit: int = 100_000) -> None:
        super().__init__()
        self.make = make
        self.limit = limit

    def __missing__(self, key: Any) -> Any:
        value = self.make(key)
        if len(self) < self.limit:
            self[key] = value
        return value
