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
from typing import IO, Any

import orjson

from socialwatch import model
from socialwatch.app import App
from socialwatch.sources.file import Item, read_items

CHUNK = 50_000  # mentions per store write: big enough to amortise rewriting the open file


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
    for item, mention, error in prepare(app, read_items(path, raw=True), platform, source, now):
        if bar is not None:
            bar.update(1)
        if error:
            report.errors.append(f"{path.name}:{item.line}: {error}")
            continue
        if item.response_to:
            _remember_response(responses, item)
            continue
        if mention is None:
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


# ---- preparing mentions, in worker processes for big files ----------------------------------------
GROUP = 500  # items per task sent to a worker
PARALLEL_MIN = 3000  # smaller files are prepared in this process
_WORKER: dict = {}


def _prepare_group(items: list[Item]) -> list[tuple[Item, dict | None, str | None]]:
    """Parse, validate, score and route one group of items (in a worker, or here)."""
    from socialwatch.pipeline import enrich
    from socialwatch.sources.file import parse_raw

    scorer, rules, platform, source, now = (_WORKER[k] for k in ("scorer", "rules", "platform", "source", "now"))
    out: list[tuple[Item, dict | None, str | None]] = []
    good: list[dict] = []
    for item in items:
        if item.raw is not None:
            item = parse_raw(item)
        if item.error:
            out.append((item, None, item.error))
            continue
        if item.record is None:
            out.append((item, None, None))
            continue
        try:
            mention = model.normalize(item.record, platform=platform, source=source, now=now)
        except model.InvalidMention as exc:
            out.append((item, None, str(exc)))
            continue
        out.append((Item(item.line), mention, None))
        good.append(mention)
    enrich(good, scorer, rules, now=now)
    return out


def _prepare_encoded(items: list[Item]) -> bytes:
    """`_prepare_group` in a worker, its result as JSON: orjson encodes and decodes it several
    times faster than pickle, and moving results between processes dominated a parallel import."""
    return orjson.dumps([[i.line, m, e, i.response_to, i.response_at] for i, m, e in _prepare_group(items)])


def _decode(payload: bytes) -> list[tuple[Item, dict | None, str | None]]:
    return [(Item(line, response_to=to, response_at=at), m, e) for line, m, e, to, at in orjson.loads(payload)]


def _init_worker(state: dict) -> None:
    _WORKER.update(state)
    _WORKER["scorer"].workers = 1  # no pools inside the pool


def _groups(items: Iterator[Item]) -> Iterator[list[Item]]:
    group: list[Item] = []
    for item in items:
        group.append(item)
        if len(group) >= GROUP:
            yield group
            group = []
    if group:
        yield group


def prepare(app: App, items: Iterator[Item], platform: str, source: str, now: object
            ) -> Iterator[tuple[Item, dict | None, str | None]]:
    """(item, scored mention or None, error or None) for each item, in file order.

    Big inputs are spread over worker processes (fork, one per core but at most the scorer's
    `workers`): parsing, validation and scoring dominate an import, and the store write that
    follows stays in this process.
    """
    import itertools
    import multiprocessing
    import os

    state = {"scorer": app.scorer, "rules": app.rules, "platform": platform, "source": source, "now": now}
    head = list(itertools.islice(items, PARALLEL_MIN))
    workers = min(int(getattr(app.scorer, "workers", 2) or 1), os.cpu_count() or 1)
    if len(head) < PARALLEL_MIN or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        _WORKER.update(state)
        for group in _groups(itertools.chain(head, items)):
            yield from _prepare_group(group)
        return
    app.scorer.score_text("warm up")  # load VADER before forking, so that the workers share it
    _WORKER.update(state)
    with multiprocessing.get_context("fork").Pool(workers - 1, _init_worker, (state,)) as pool:
        yield from _share_work(pool, _groups(itertools.chain(head, items)), workers)


def _share_work(pool: Any, groups: Iterator[list[Item]], shares: int, window: int = 8
                ) -> Iterator[tuple[Item, dict | None, str | None]]:
    """Prepare groups in order: one in `shares` here, the others in the pool's processes.

    This process takes its share instead of only collecting results, so that every core works,
    and its own share needs no pickling. At most `window` groups are in flight.
    """
    from collections import deque

    pending: deque = deque()
    k = 0
    for group in groups:
        if k % shares == 0:
            pending.append(("here", group))
        else:
            pending.append(("pool", pool.apply_async(_prepare_encoded, (group,))))
        k += 1
        while len(pending) > window or (pending and pending[0][0] == "here" and len(pending) > shares):
            yield from _finish(pending.popleft())
    while pending:
        yield from _finish(pending.popleft())


def _finish(entry: tuple[str, Any]) -> list[tuple[Item, dict | None, str | None]]:
    how, value = entry
    return _prepare_group(value) if how == "here" else _decode(value.get())


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
    from socialwatch.cases import join_threads

    with app.store.session() as s:
        result = s.add(chunk)
        join_threads(s, chunk, result.new)
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
