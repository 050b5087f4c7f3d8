"""The `file` source and the parsers behind `socialwatch import`.

Formats, chosen by extension or content:
- JSON lines (`.jsonl`, `.ndjson`, `.json`): one mention per line in the model's field names
  (an export of socialwatch imports again as it was).
- CSV with a header of model field names (`id,text,created_at,author_handle,...`).
- The Customer Support on Twitter CSV (`tweet_id,author_id,inbound,created_at,text,
  response_tweet_id,in_response_to_tweet_id`): inbound rows become mentions; an outbound
  (brand) row answering one of them is kept as that mention's first response.

As a source (`type = "file"`, `path = "..."`) it remembers how far it got (line number, and
the file's identity and size, so a replaced or truncated file is read again from the top).
"""

from __future__ import annotations

import csv
import io
import os
import pathlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from socialwatch import model
from socialwatch.errors import NotFound, UsageError
from socialwatch.sources import Batch, Source

TWCS_COLUMNS = {"tweet_id", "author_id", "inbound", "created_at", "text"}
BATCH_SIZE = 5000
MAX_LINE = 2_000_000  # bytes: longer lines are skipped as malformed, never parsed


@dataclass
class Item:
    """One parsed line: a record, a brand response (twcs), or the reason it was skipped."""

    line: int
    record: dict | None = None
    raw: bytes | None = None  # an unparsed JSON line (see `parse_raw`)
    response_to: str | None = None
    response_at: str | None = None
    error: str | None = None


def detect_format(path: pathlib.Path, head: bytes) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        first = head.split(b"\n", 1)[0].decode("utf-8", "replace").lower()
        cols = {c.strip() for c in first.split(",")}
        return "twcs" if TWCS_COLUMNS <= cols else "csv"
    stripped = head.lstrip()
    return "jsonl" if stripped.startswith(b"{") else "csv"


def read_items(path: pathlib.Path, start_line: int = 0, raw: bool = False) -> Iterator[Item]:
    """Parse `path`, yielding one Item per data line after `start_line` (1-based numbering).

    With `raw`, JSON lines are yielded unparsed (`Item.raw`), for `parse_raw` in a worker.
    """
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise NotFound(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    with fh:
        head = fh.read(4096)
        fh.seek(0)
        fmt = detect_format(path, head)
        if fmt == "jsonl":
            yield from _jsonl(fh, start_line, raw)
        else:
            yield from _csv(fh, fmt, start_line)


def _jsonl(fh: io.BufferedReader, start_line: int, raw: bool = False) -> Iterator[Item]:
    for n, line in enumerate(fh, 1):
        if n <= start_line:
            continue
        if not line.strip():
            continue
        if len(line) > MAX_LINE:
            yield Item(n, error=f"line is longer than {MAX_LINE} bytes")
            continue
        yield Item(n, raw=line) if raw else parse_raw(Item(n, raw=line))


def parse_raw(item: Item) -> Item:
    """Parse an unparsed JSON line into a record, or the reason it is not one."""
    try:
        obj = orjson.loads(item.raw or b"")
    except orjson.JSONDecodeError as exc:
        return Item(item.line, error=f"not valid JSON ({exc.msg})")
    if not isinstance(obj, dict):
        return Item(item.line, error=f"expected a JSON object, got {type(obj).__name__}")
    return Item(item.line, record=obj)


def _csv(fh: io.BufferedReader, fmt: str, start_line: int) -> Iterator[Item]:
    data = fh.read().decode("utf-8-sig", errors="replace")
    # Bare carriage returns inside unquoted fields (seen in the twcs dump) split rows in strict
    # readers; a CR that does not end a line is data, not a row break.
    data = data.replace("\r\n", "\n").replace("\r", " ")
    reader = csv.reader(io.StringIO(data, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return
    except csv.Error as exc:
        yield Item(1, error=f"unreadable CSV header ({exc})")
        return
    row_no = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row_no += 1
            yield Item(reader.line_num, error=f"unreadable CSV row ({exc})")
            continue
        row_no += 1
        line = reader.line_num
        if line <= start_line or not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            yield Item(line, error=f"expected {len(header)} columns, got {len(row)}")
            continue
        fields = dict(zip(header, row, strict=True))
        yield _twcs_item(line, fields) if fmt == "twcs" else Item(line, record=_csv_record(fields))


def _csv_record(fields: dict[str, str]) -> dict:
    record: dict[str, Any] = {}
    author: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    for key, value in fields.items():
        if value == "":
            continue
        if key.startswith("author_") or key.startswith("author."):
            author[key[7:]] = value
        elif key.startswith("metrics_") or key.startswith("metrics."):
            metrics[key[8:]] = value
        elif key == "tags":
            record["tags"] = [t.strip() for t in value.split(",") if t.strip()]
        elif key == "author":
            author["handle"] = value
        elif key == "verified":
            author["verified"] = value.lower() in ("1", "true", "yes")
        else:
            record[key] = value
    if "author_verified" in fields or "author.verified" in fields:
        v = author.get("verified")
        author["verified"] = v.lower() in ("1", "true", "yes") if isinstance(v, str) else v
    if author:
        record["author"] = author
    if metrics:
        record["metrics"] = metrics
    return record


def _twcs_item(line: int, f: dict[str, str]) -> Item:
    inbound = f.get("inbound", "").strip().lower() == "true"
    tweet_id = f.get("tweet_id", "").strip()
    reply_to = _int_id(f.get("in_response_to_tweet_id", ""))
    if not inbound:
        if reply_to:
            return Item(line, response_to=f"twitter:{reply_to}", response_at=f.get("created_at"))
        return Item(line)  # a brand's own post that answers nothing: not a mention
    record = {
        "id": f"twitter:{tweet_id}",
        "text": f.get("text", ""),
        "created_at": f.get("created_at"),
        "author": {"handle": f.get("author_id"), "id": f.get("author_id")},
        "kind": "reply" if reply_to else "mention",
        "in_reply_to": f"twitter:{reply_to}" if reply_to else None,
        "url": f"https://x.com/i/web/status/{tweet_id}",
    }
    return Item(line, record=record)


def _int_id(value: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return str(int(float(value)))
    except ValueError:
        return None


class FileSource(Source):
    """Reads new lines of a JSONL or CSV file on each poll."""

    type_name = "file"
    platform = "file"
    settings = {"path": str, "platform": str}
    required = ("path",)

    def _path(self) -> pathlib.Path:
        p = pathlib.Path(os.path.expanduser(self.config["path"]))
        base = self.context.extra.get("config_dir")
        return p if p.is_absolute() or base is None else pathlib.Path(base) / p

    def fetch(self) -> Iterator[Batch]:
        path = self._path()
        try:
            st = path.stat()
        except FileNotFoundError:
            raise NotFound(f"source {self.name}: {path}: no such file") from None
        cursor = self.cursor or {}
        start = int(cursor.get("line", 0))
        if cursor.get("inode") != st.st_ino or st.st_size < int(cursor.get("size", 0)):
            start = 0  # a new or truncated file is read from the top (ids deduplicate)
        platform = self.config.get("platform", "file")
        now = self.context.now or model.utcnow()
        mentions: list[dict] = []
        skipped: list[str] = []
        last = start
        for item in read_items(path, start):
            last = max(last, item.line)
            if item.error:
                skipped.append(f"{path.name}:{item.line}: {item.error}")
                continue
            if item.record is None:
                continue
            try:
                mentions.append(model.normalize(item.record, platform=platform, source=self.name, now=now))
            except model.InvalidMention as exc:
                skipped.append(f"{path.name}:{item.line}: {exc}")
        yield Batch(mentions=mentions, skipped=skipped, cursor={"line": last, "inode": st.st_ino, "size": st.st_size})

    def test(self) -> list[str]:
        path = self._path()
        if not path.is_file():
            raise NotFound(f"source {self.name}: {path}: no such file")
        return [f"file source: {path} is readable ({path.stat().st_size} bytes)"]
