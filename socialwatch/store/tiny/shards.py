"""The TinyDB store's sizes and shards: how many mentions an archive segment holds, how ids,
authors and conversations are spread over 64 small index files, and one such file."""

from __future__ import annotations

import pathlib
import zlib

from socialwatch.store.files import FORMAT, MARKER, dump, read_json

SEGMENT_SIZE = 500
SHARDS = 64
LOCK_TIMEOUT = 120.0
# The field that keys each namespace of small state documents in state.json.
KEY_FIELDS = {"sources": "name", "alerts": "key", "hourly": "hour",
              # CSAT surveys (see socialwatch.csat): cases whose survey is due, sent surveys by their platform
              # reference, and the last survey per customer
              "csat_due": "id", "csat_refs": "ref", "csat_customers": "customer"}


def shard_of(key: str) -> int:
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % SHARDS


class JsonShard:
    """A plain JSON file holding one dict under `key` (index and author shards)."""

    def __init__(self, path: pathlib.Path, kind: str, key: str) -> None:
        self.path = path
        self.kind = kind
        self.key = key
        data = read_json(path, kind)
        self.data: dict = (data or {}).get(key, {})
        self.dirty = False

    def pending(self) -> tuple[pathlib.Path, bytes] | None:
        if self.dirty:
            return self.path, dump({MARKER: {"format": FORMAT, "kind": self.kind}, self.key: self.data})
        return None
