"""The `demo` source: sample mentions of a fictional brand, released a few at a time.

The bundled `demo_mentions.jsonl` holds a few hundred mentions of "Northwind Mobile", a made-up
UK mobile and broadband provider (@NorthwindMobile, @NorthwindHelp), across Twitter/X, Reddit,
Bluesky and Mastodon: complaints, questions, praise, chatter and DMs, with threads, repeat
customers, angry and viral posts. Nothing touches the network.

Each line is a record for `socialwatch.model.normalize` plus `offset_minutes`, the item's age
when it is released. The file is read once per process.

Release schedule (the cursor is `{"released": K, "round": R}`: K lines of the file have been
walked in round R):

* a first poll (no cursor) releases the first `first_batch` items, created `offset_minutes`
  before now (spread over the last hours, compressed to fit the source's `lookback`);
* each later poll releases the next `batch` items, created a few minutes before now;
* once the file is exhausted a new round starts: its ids (and the thread references) carry a
  `-r2`, `-r3`, ... suffix, so a long-running daemon keeps receiving new mentions forever.

Settings: `query` (only items whose text contains it, case-insensitive), `batch` (items per
later poll, default 8), `first_batch` (items in the first poll, default 120).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from importlib import resources
from typing import Any, ClassVar

from socialwatch import model
from socialwatch.errors import ConfigError
from socialwatch.sources import Batch, Source, SourceError

DATA_PACKAGE = "socialwatch.sources"
DATA_FILE = "demo_mentions.jsonl"
DEFAULT_BATCH = 8
DEFAULT_FIRST_BATCH = 120
#: Items released by a later poll are at most this many minutes old.
LATER_WINDOW_MINUTES = 30

_RECORDS: tuple[dict[str, Any], ...] | None = None


def sample_records() -> tuple[dict[str, Any], ...]:
    """The bundled sample records in release order, parsed once per process (treat as read-only)."""
    global _RECORDS
    if _RECORDS is None:
        try:
            text = resources.files(DATA_PACKAGE).joinpath(DATA_FILE).read_text(encoding="utf-8")
        except (OSError, ModuleNotFoundError) as exc:
            raise SourceError(
                f"the demo data file {DATA_FILE} is missing from the installed package ({exc.__class__.__name__}); "
                "reinstall socialwatch"
            ) from None
        records = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise SourceError(f"the demo data file {DATA_FILE} is damaged at line {number}: {exc}") from None
            if not isinstance(record, dict):
                raise SourceError(f"the demo data file {DATA_FILE} is damaged at line {number}: not an object")
            records.append(record)
        _RECORDS = tuple(records)
    return _RECORDS


def platform_of(record: dict[str, Any]) -> str:
    """The platform named by a record's "platform:native" id."""
    return str(record.get("id", "")).partition(":")[0] or "demo"


class DemoSource(Source):
    """Releases the bundled sample mentions over time, so that repeated polls bring new items."""

    type_name: ClassVar[str] = "demo"
    #: Each mention carries its own platform (twitter, reddit, bluesky, mastodon) in its id.
    platform: ClassVar[str] = "demo"
    settings: ClassVar[dict[str, Any]] = {"query": str, "batch": int, "first_batch": int}

    @classmethod
    def check_config(cls, name: str, table: dict, path: str | None = None) -> None:
        """The common checks, plus sensible batch sizes."""
        super().check_config(name, table, path)
        batch = table.get("batch", DEFAULT_BATCH)
        if batch < 1:
            raise ConfigError("must be at least 1", path=path, key=f"sources.{name}.batch")
        first_batch = table.get("first_batch", DEFAULT_FIRST_BATCH)
        if first_batch < 0:
            raise ConfigError("cannot be negative", path=path, key=f"sources.{name}.first_batch")

    # ---- settings ------------------------------------------------------------------------------
    @property
    def query(self) -> str:
        """The configured filter, lower-cased ("" for none)."""
        value = self.config.get("query")
        return value.strip().lower() if isinstance(value, str) else ""

    def _size(self, key: str, default: int, minimum: int) -> int:
        value = self.config.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            return default
        return max(minimum, value)

    @property
    def batch_size(self) -> int:
        return self._size("batch", DEFAULT_BATCH, 1)

    @property
    def first_batch_size(self) -> int:
        return self._size("first_batch", DEFAULT_FIRST_BATCH, 0)

    def _matches(self, record: dict[str, Any]) -> bool:
        query = self.query
        return not query or query in str(record.get("text", "")).lower()

    # ---- the contract --------------------------------------------------------------------------
    def fetch(self) -> Iterator[Batch]:
        """Release the next items (see the module docstring) as one batch."""
        records = sample_records()
        now = self.context.now or model.utcnow()
        position = _parse_cursor(self.cursor, len(records))
        first_poll = position is None
        if position is None:
            released, round_no, wanted = 0, 1, self.first_batch_size
        else:
            released, round_no = position
            wanted = self.batch_size
        picks, released, round_no = self._walk(records, released, round_no, wanted)
        scale = self._first_poll_scale(records, picks) if first_poll else 1.0
        mentions: list[dict] = []
        skipped: list[str] = []
        earliest: datetime | None = None  # release order is chronological: a reply never predates its parent
        for index, rnd in picks:
            record = records[index]
            minutes = float(record.get("offset_minutes") or 0)
            minutes = minutes * scale if first_poll else min(minutes, LATER_WINDOW_MINUTES)
            created = now - timedelta(minutes=max(0.0, minutes))
            if earliest is not None and created < earliest:
                created = earliest
            earliest = created
            try:
                mentions.append(self._mention(record, rnd, created, now))
            except model.InvalidMention as exc:
                skipped.append(f"{DATA_FILE} line {index + 1}: {exc}")
        yield Batch(mentions=mentions, cursor={"released": released, "round": round_no}, calls=0, skipped=skipped)

    def test(self) -> list[str]:
        """How many sample mentions there are (and how many pass the query, never shown itself)."""
        records = sample_records()
        lines = [f"demo source: {len(records)} sample mentions available"]
        if self.query:
            matching = sum(1 for r in records if self._matches(r))
            lines.append(f"demo source: {matching} of them match the configured query")
        return lines

    # ---- helpers -------------------------------------------------------------------------------
    def _walk(
        self, records: tuple[dict[str, Any], ...], released: int, round_no: int, wanted: int
    ) -> tuple[list[tuple[int, int]], int, int]:
        """Up to `wanted` matching (index, round) pairs from the position on, and the new position.

        One poll walks the file at most once around, so a query that matches little cannot spin.
        """
        total = len(records)
        picks: list[tuple[int, int]] = []
        steps = 0
        while len(picks) < wanted and steps < total:
            if released >= total:
                released, round_no = 0, round_no + 1
            if self._matches(records[released]):
                picks.append((released, round_no))
            released += 1
            steps += 1
        return picks, released, round_no

    def _first_poll_scale(self, records: tuple[dict[str, Any], ...], picks: list[tuple[int, int]]) -> float:
        """A factor that squeezes the first poll's ages into the source's lookback window."""
        oldest = max((float(records[i].get("offset_minutes") or 0) for i, _ in picks), default=0.0)
        window = float(self.context.lookback or 0) / 60.0
        if oldest <= 0 or window <= 0 or oldest <= window:
            return 1.0
        return window / oldest

    def _mention(self, record: dict[str, Any], round_no: int, created: datetime, now: datetime) -> dict:
        """One sample record as a mention of round `round_no`, created at `created`."""
        fields = {k: v for k, v in record.items() if k != "offset_minutes"}
        if round_no > 1:
            suffix = f"-r{round_no}"
            for key in ("id", "conversation_id", "in_reply_to"):
                if isinstance(fields.get(key), str) and fields[key]:
                    fields[key] = fields[key] + suffix
        fields["created_at"] = model.iso(min(created, now))
        return model.normalize(fields, platform=platform_of(record), source=self.name, now=now)


def _parse_cursor(cursor: Any, total: int) -> tuple[int, int] | None:
    """(released, round) from a stored cursor; None for none or one this version cannot read."""
    if not isinstance(cursor, dict):
        return None
    released, round_no = cursor.get("released"), cursor.get("round", 1)
    if isinstance(released, bool) or not isinstance(released, int) or released < 0:
        return None
    if isinstance(round_no, bool) or not isinstance(round_no, int) or round_no < 1:
        return None
    return min(released, total), round_no
