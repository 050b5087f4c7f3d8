"""`socialwatch import FILE` and the text reader behind `socialwatch score`.

An import parses the file line by line, normalises and scores each mention, and stores them
in chunks (one store write per chunk, never one per mention), so that other processes are
never locked out for long and a large file streams in bounded memory. A malformed line is
reported with the file name and line number and skipped; the rest is imported.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

import orjson

from socialwatch import model
from socialwatch.app import App
from socialwatch.sources.file import Item, read_items

CHUNK = 5000


@dataclass
class ImportReport:
    file: str
    read: int = 0
    new: int = 0
    duplicates: int = 0
    angry: int = 0
    viral: int = 0
    responses: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "read": self.read,
            "new": self.new,
            "duplicates": self.duplicates,
            "skipped": len(self.errors),
            "angry": self.angry,
            "viral": self.viral,
            "responses": self.responses,
            "errors": self.errors,
        }


def import_file(app: App, file: str, *, source: str = "import", platform: str = "file", progress: bool = False) -> ImportReport:
    """Import a JSONL/CSV file into the store; see the module docstring."""
    path = pathlib.Path(file)
    report = ImportReport(file=str(path))
    now = model.utcnow()
    responses: dict[str, str] = {}
    bar = _progress(path, progress)
    chunk: list[dict] = []
    for item in read_items(path):
        if bar is not None:
            bar.update(1)
        if item.error:
            report.errors.append(f"{path.name}:{item.line}: {item.error}")
            continue
        if item.response_to:
            _remember_response(responses, item)
            continue
        if item.record is None:
            continue
        try:
            mention = model.normalize(item.record, platform=platform, source=source, now=now)
        except model.InvalidMention as exc:
            report.errors.append(f"{path.name}:{item.line}: {exc}")
            continue
        report.read += 1
        chunk.append(mention)
        if len(chunk) >= CHUNK:
            _store(app, chunk, report, responses)
            chunk = []
    if chunk:
        _store(app, chunk, report, responses)
    if responses:
        _apply_late_responses(app, responses, report)
    if bar is not None:
        bar.finish()
    return report


def _remember_response(responses: dict[str, str], item: Item) -> None:
    try:
        at = model.iso(model.parse_time(item.response_at))
    except ValueError:
        return
    target = item.response_to or ""
    if target not in responses or at < responses[target]:
        responses[target] = at


def _store(app: App, chunk: list[dict], report: ImportReport, responses: dict[str, str]) -> None:
    for m in chunk:
        answered = responses.pop(m["id"], None)
        if answered and not m.get("first_response_at"):
            m["first_response_at"] = answered
            report.responses += 1
            if m["status"] == "new":
                m["status"] = "pending"
    app.enrich(chunk)
    with app.store.session() as s:
        result = s.add(chunk)
    new = set(result.new)
    report.new += len(result.new)
    report.duplicates += len(result.duplicates)
    for m in chunk:
        if m["id"] in new:
            report.angry += bool(m["score"].get("angry"))
            report.viral += bool(m["score"].get("viral"))


def _apply_late_responses(app: App, responses: dict[str, str], report: ImportReport) -> None:
    """Brand responses that came after their mention in the file (or in an earlier import)."""
    with app.store.session() as s:
        for mid, at in responses.items():
            m = s.get(mid)
            if m is None or m.get("first_response_at"):
                continue
            m["first_response_at"] = at
            if m.get("status") == "new":
                m["status"] = "pending"
            s.put(m)
            report.responses += 1


class _Bar:
    """A minimal progress bar on stderr (only created on a terminal)."""

    def __init__(self, total: int) -> None:
        import click

        self._bar = click.progressbar(length=max(total, 1), label="Importing", file=click.get_text_stream("stderr"))
        self._bar.__enter__()

    def update(self, n: int) -> None:
        self._bar.update(n)

    def finish(self) -> None:
        self._bar.__exit__(None, None, None)


def _progress(path: pathlib.Path, enabled: bool) -> _Bar | None:
    if not enabled:
        return None
    try:
        with open(path, "rb") as fh:
            total = sum(1 for _ in fh)
    except OSError:
        return None
    return _Bar(total)


def iter_texts(stream: IO[str]) -> Iterator[tuple[int, str, str | None]]:
    """(line number, text, error) for each non-empty line: plain text, or JSON with `text`."""
    for n, line in enumerate(stream, 1):
        line = line.rstrip("\n").rstrip("\r")
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            try:
                obj = orjson.loads(line.encode("utf-8", "surrogateescape"))
            except orjson.JSONDecodeError as exc:
                yield n, "", f"not valid JSON ({exc.msg})"
                continue
            text = obj.get("text") if isinstance(obj, dict) else None
            if not isinstance(text, str):
                yield n, "", "JSON line without a string `text` field"
                continue
            yield n, text, None
        else:
            yield n, line, None
