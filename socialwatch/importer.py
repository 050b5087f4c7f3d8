"""`socialwatch import FILE` and the text reader behind `socialwatch score`.

An import parses the file line by line, normalises and scores each mention, and stores them
in chunks (one store write per chunk, never one per mention), so that other processes are
never locked out for long and a large file streams in bounded memory. A malformed line is
reported with the file name and line number and skipped; the rest is imported.
"""

from __future__ import annotations

import functools
import os
import pathlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from socialwatch import model
from socialwatch.app import App
from socialwatch.errors import Contention, SocialwatchError
from socialwatch.sources.file import Item, read_items
from socialwatch.store import RowCodec
from socialwatch.store.rawdoc import FILE_ROWS, RawDoc

CHUNK = 50_000  # mentions per store write: big enough to amortise rewriting the open file
SERVER_CHUNK = 2_000  # mentions per transaction for a database server, written while the rest is prepared
RETRIES = 6  # attempts at a transaction that crossed another session's (a deadlock): it is rolled back whole


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


class Prepared:
    """A scored mention on its way into the store, with what the import counts and checks.

    `row` is what the store's `Session.add_rows` takes: the mention encoded by the store's
    `row_codec` (a database server's row; for the files, its JSON: `store.rawdoc`), encoded by
    the process that scored the mention, so that this process neither decodes the mention nor
    encodes it again. The document is kept only where it is needed (a mention that may join a
    thread or answer a survey, `thread`), else decoded from the row on demand.
    """

    __slots__ = ("id", "row", "_mention", "thread", "angry", "viral")

    def __init__(self, mid: str, row: Any, mention: dict | None, thread: bool, angry: bool, viral: bool) -> None:
        self.id, self.row, self._mention = mid, row, mention
        self.thread, self.angry, self.viral = thread, angry, viral

    @classmethod
    def of(cls, mention: dict, codec: RowCodec | None) -> "Prepared":
        score = mention.get("score") or {}
        thread = bool(mention.get("in_reply_to") or mention.get("conversation_id") or mention.get("kind") == "dm")
        keep = mention if thread or codec is None or codec is not FILE_ROWS else None
        return cls(mention["id"], codec.encode(mention) if codec else mention, keep, thread,
                   bool(score.get("angry")), bool(score.get("viral")))

    def mention(self, codec: RowCodec | None) -> dict:
        if self._mention is None:
            self._mention = codec.decode(self.row) if codec else self.row
        return self._mention

    def replace(self, mention: dict, codec: RowCodec | None) -> None:
        """Take a changed document (encoding it again)."""
        self._mention = mention
        self.row = codec.encode(mention) if codec else mention

    def wire(self, codec: RowCodec | None, blob: list[bytes]) -> list:
        """This for a worker's result pipe, as JSON: a RawDoc's bytes go to `blob` (and are not
        parsed on the way), a row that is plain JSON goes as it is, else the mention."""
        if isinstance(self.row, RawDoc):
            blob.append(self.row.json)
            return [self.id, None, None, self.thread, self.angry, self.viral, self.row.head(), len(self.row.json)]
        row = self.row if codec and codec.plain(self.row) else None
        return [self.id, row, None if row is not None else self.mention(codec), self.thread, self.angry, self.viral,
                None, 0]

    @classmethod
    def unwire(cls, data: list, codec: RowCodec | None, blob: bytes, at: int) -> "Prepared":
        """The Prepared `wire` sent; a RawDoc's bytes start at `at` in `blob`."""
        mid, row, mention, thread, angry, viral, head, size = data
        if head is not None:
            row = RawDoc.from_head(blob[at : at + size], head)
        elif row is None:
            row = codec.encode(mention) if codec else mention
        return cls(mid, row, mention, thread, angry, viral)


def import_file(app: App, file: str, *, source: str = "import", platform: str = "file", progress: bool = False) -> ImportReport:
    """Import a JSONL/CSV file into the store; see the module docstring."""
    import gc

    # An import builds tens of thousands of small dicts and keeps them until its chunk is stored:
    # the cyclic garbage collector would walk them over and over (15-20% of the preparation
    # time) to find nothing, as an import makes no reference cycles (every object is freed by
    # its reference count). It is switched back on when the import ends.
    collecting = gc.isenabled()
    gc.disable()
    report = ImportReport(file=str(pathlib.Path(file)))
    try:
        return _import(app, file, source, platform, progress, report)
    except SocialwatchError as exc:
        if not (report.new or report.duplicates):
            raise
        raise ImportIncomplete(report, exc) from None
    finally:
        if collecting:
            gc.enable()


class ImportIncomplete(SocialwatchError):
    """An import that stopped after storing part of the file: the message says how much is stored
    (never "nothing was changed"), and that running it again completes it."""

    def __init__(self, report: ImportReport, cause: SocialwatchError) -> None:
        self.report = report
        self.exit_code = cause.exit_code
        reason = ("other sessions kept changing the same mentions at the same moment "
                  f"({RETRIES} attempts)") if isinstance(cause, Contention) else str(cause)
        stored = report.new + report.duplicates
        super().__init__(
            f"the import of {report.file} stopped: {reason}. {stored} of the {report.read} mentions read so far are "
            f"stored ({report.new} new, {report.duplicates} already there), the rest are not: run the same import "
            "again to complete it (what is stored is skipped)")


def _import(app: App, file: str, source: str, platform: str, progress: bool, report: ImportReport) -> ImportReport:
    path = pathlib.Path(file)
    now = model.utcnow()
    responses: dict[str, str] = {}
    bar = _progress(path, progress)
    chunk: list[Prepared] = []
    writer = _Writer(app, report)
    try:
        for item, prepared, error in prepare(app, read_items(path, raw=True), platform, source, now):
            if bar is not None:
                bar.update(1)
            if error:
                report.errors.append(f"{path.name}:{item.line}: {error}")
                continue
            if item.response_to:
                _remember_response(responses, item)
                continue
            if prepared is None:
                continue
            report.read += 1
            chunk.append(prepared)
            if len(chunk) >= writer.chunk_size:
                writer.put(_answered(chunk, report, responses, app.store.row_codec))
                chunk = []
        if chunk:
            writer.put(_answered(chunk, report, responses, app.store.row_codec))
    finally:
        writer.close()
    if responses:
        _retrying(lambda: _apply_late_responses(app, responses, report))
    if bar is not None:
        bar.finish()
    return report


# ---- preparing mentions, in worker processes for big files ----------------------------------------
GROUP = 125  # items per group: the unit of work a process claims
BLOCK = 50_000  # items read (and held) at a time when preparing in parallel: at most 4096 / 4 groups
PARALLEL_MIN = 3000  # smaller files are prepared in this process
AHEAD = 16  # prepared groups a worker holds while this process does not read them (~5 MB)
_WORKER: dict = {}
_MISSING: list = []  # a group whose results have not come back (compared by identity)


def _prepare_group(items: list[Item]) -> list[tuple[Item, Prepared | None, str | None]]:
    """Parse, validate, score, route and encode one group of items (in a worker, or here)."""
    from socialwatch.pipeline import enrich
    from socialwatch.sources.file import parse_raw

    scorer, rules, platform, source, now, codec = (
        _WORKER[k] for k in ("scorer", "rules", "platform", "source", "now", "codec"))
    normalize, invalid = model.normalize, model.InvalidMention
    out: list[tuple[Item, Any, str | None]] = []
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
            mention = normalize(item.record, platform=platform, source=source, now=now)
        except invalid as exc:
            out.append((item, None, str(exc)))
            continue
        out.append((Item(item.line), mention, None))
        good.append(mention)
    enrich(good, scorer, rules, now=now)
    of = Prepared.of
    return [(item, of(m, codec) if m is not None else None, e) for item, m, e in out]


def _prepare_encoded(items: list[Item]) -> bytes:
    """`_prepare_group` in a worker, its result as JSON (orjson encodes and decodes it several
    times faster than pickle, and moving results between processes dominated a parallel import),
    followed by the encoded mentions (RawDocs) as they are: 4 bytes of the JSON's length, the
    JSON, the mentions."""
    codec = _WORKER["codec"]
    blob: list[bytes] = []
    head = orjson.dumps([[i.line, p.wire(codec, blob) if p is not None else None, e, i.response_to, i.response_at]
                         for i, p, e in _prepare_group(items)])
    return b"".join([len(head).to_bytes(4, "little"), head, *blob])


def _decode(payload: bytes) -> list[tuple[Item, Prepared | None, str | None]]:
    codec, unwire = _WORKER["codec"], Prepared.unwire
    size = int.from_bytes(payload[:4], "little")
    at = 4 + size
    out = []
    for line, p, e, to, at_ in orjson.loads(payload[4:at]):
        prepared = None
        if p is not None:
            prepared = unwire(p, codec, payload, at)
            at += p[-1]
        out.append((Item(line, response_to=to, response_at=at_), prepared, e))
    return out


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
            ) -> Iterator[tuple[Item, Prepared | None, str | None]]:
    """(item, scored mention or None, error or None) for each item, in file order.

    Big inputs are spread over forked worker processes (one per core but at most the scorer's
    `workers`, this process included): parsing, validation and scoring dominate an import, and
    the store write that follows stays in this process. See `_share_block`.
    """
    import itertools

    _WORKER.update({"scorer": app.scorer, "rules": app.rules, "platform": platform, "source": source, "now": now,
                    "codec": app.store.row_codec})
    head = list(itertools.islice(items, PARALLEL_MIN))
    workers = min(int(getattr(app.scorer, "workers", 2) or 1), os.cpu_count() or 1)
    if len(head) < PARALLEL_MIN or workers < 2 or not hasattr(os, "fork"):
        for group in _groups(itertools.chain(head, items)):
            yield from _prepare_group(group)
        return
    if hasattr(app.scorer, "warm_up"):
        app.scorer.warm_up()  # VADER, the model and the language model, before forking: the workers share them
    app.scorer.score_text("warm up")
    import socialwatch.pipeline  # noqa: F401  (imported before forking: a worker has nothing left to import)
    rest = itertools.chain(head, items)
    while True:
        block = list(_groups(itertools.islice(rest, BLOCK)))
        if not block:
            return
        yield from _share_block(block, workers - 1)


def _share_block(groups: list[list[Item]], processes: int) -> Iterator[tuple[Item, Prepared | None, str | None]]:
    """Prepare `groups` here and in `processes` forked workers; results in file order.

    The workers inherit the groups (and the scorer) from the fork, so no work is sent out.
    The group numbers wait in a pipe that every process, this one included, reads four bytes
    at a time: each takes the next group when it is free, so every core works until the last
    group, whatever else each process has to do (here: decoding the workers' results). A worker
    sends each result back on its own pipe. Should a worker die, this process prepares the
    groups that did not come back.
    """
    import signal

    n = len(groups)
    claims, fill = os.pipe()
    try:
        os.write(fill, b"".join(k.to_bytes(4, "little") for k in range(n)))  # <= 4096 bytes: never blocks
    finally:
        os.close(fill)
    results: list = [_MISSING] * n
    pipes: dict[int, int] = {}  # read end -> worker pid
    finished = False
    try:
        for _ in range(processes):
            read_end, write_end = os.pipe()
            _widen(write_end)
            try:
                pid = os.fork()
            except OSError:  # no more processes to be had: fewer workers (or none) share the block
                os.close(read_end)
                os.close(write_end)
                break
            if pid == 0:  # the worker
                code = 1
                try:
                    os.close(read_end)
                    for fd in pipes:
                        os.close(fd)
                    _work(claims, write_end, groups)
                    code = 0
                finally:
                    os._exit(code)
            os.close(write_end)
            pipes[read_end] = pid
        done = 0
        claiming = True
        while done < n:
            if pipes:
                _collect(pipes, results, 0 if claiming else None)
            while done < n and results[done] is not _MISSING:
                yield from results[done]
                results[done] = None
                done += 1
            if done == n:
                break
            if claiming:
                got = os.read(claims, 4)
                if len(got) == 4:
                    k = int.from_bytes(got, "little")
                    # (through the workers' wire form, as theirs arrive: the results then hold
                    # compact bytes, not the fresh dicts and strings of a whole group, so this
                    # process touches far fewer pages while it also writes the store)
                    results[k] = _decode(_prepare_encoded(groups[k]))
                    continue
                claiming = False
            if not pipes:  # every worker is gone: prepare here what did not come back
                for k in range(done, n):
                    if results[k] is _MISSING:
                        results[k] = _prepare_group(groups[k])
        finished = True
    finally:
        os.close(claims)
        for fd, pid in pipes.items():
            os.close(fd)
            if not finished:  # the import stopped early: the worker's results are not wanted
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            os.waitpid(pid, 0)  # (once every group is back, a worker finds no more to claim and ends)


def _widen(fd: int) -> None:
    """Let a pipe hold a whole group's results (1 MB, where the system allows it), so that a
    worker writes them in one go and this process reads them in one go, instead of taking turns
    64 KB at a time."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass


def _work(claims: int, out: int, groups: list[list[Item]]) -> None:
    """A worker's loop: claim a group number, prepare the group, send back its number, size and results.

    A thread of the worker sends the results, so that the worker goes on preparing while this
    process is busy elsewhere (starting the database writers, say) and the pipe is full; at most
    AHEAD groups wait to be sent.
    """
    import queue
    import threading

    _WORKER["scorer"].workers = 1  # no pools inside the pool
    ready: queue.Queue = queue.Queue(maxsize=AHEAD)

    broken: list[OSError] = []

    def send() -> None:
        try:
            while (data := ready.get()) is not None:
                view = memoryview(data)
                while view:
                    view = view[os.write(out, view):]
        except OSError as exc:  # this process is gone: stop preparing (what waits is dropped)
            broken.append(exc)
            while ready.get() is not None:
                pass

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        while not broken:
            got = os.read(claims, 4)
            if len(got) < 4:
                return
            k = int.from_bytes(got, "little")
            payload = _prepare_encoded(groups[k])
            ready.put(k.to_bytes(4, "little") + len(payload).to_bytes(4, "little") + payload)
    finally:
        ready.put(None)
        sender.join()


def _collect(pipes: dict[int, int], results: list, timeout: float | None) -> None:
    """Read the results the workers have sent (waiting up to `timeout`; None: until one comes)."""
    import select

    ready, _, _ = select.select(list(pipes), [], [], timeout)
    for fd in ready:
        head = _read_exactly(fd, 8)
        payload = _read_exactly(fd, int.from_bytes(head[4:], "little")) if len(head) == 8 else b""
        if len(head) < 8 or len(payload) < int.from_bytes(head[4:], "little"):  # the worker is gone
            os.close(fd)
            os.waitpid(pipes.pop(fd), 0)
            continue
        results[int.from_bytes(head[:4], "little")] = _decode(payload)


def _read_exactly(fd: int, size: int) -> bytes:
    parts = []
    while size > 0:
        part = os.read(fd, min(size, 1 << 20))
        if not part:
            break
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _remember_response(responses: dict[str, str], item: Item) -> None:
    try:
        at = model.iso(model.parse_time(item.response_at))
    except ValueError:
        return
    target = item.response_to or ""
    if target not in responses or at < responses[target]:
        responses[target] = at


def _answered(chunk: list[Prepared], report: ImportReport, responses: dict[str, str], codec: RowCodec | None
              ) -> list[Prepared]:
    """Mark the mentions of `chunk` the brand answered earlier in the file (first response)."""
    for p in chunk if responses else ():
        answered = responses.pop(p.id, None)
        if not answered:
            continue
        m = p.mention(codec)
        if not m.get("first_response_at"):
            m["first_response_at"] = answered
            report.responses += 1
            if m["status"] == "new":
                m["status"] = "pending"
            p.replace(m, codec)
    return chunk


class _Writer:
    """Stores prepared chunks.

    TinyDB files: in this thread, in big chunks (a write is Python work, and rewrites the open
    file). A database server: WRITERS threads, each with its own connection, store chunks of
    SERVER_CHUNK in their own transactions while the rest of the file is prepared (a write mostly
    waits on the server, which works on its own cores; the rows come encoded from the processes
    that prepared them, see `Prepared`). As those chunks commit in any order, the
    first occurrence of an id in the file is kept here (later ones count as duplicates, as in one
    big write), and follow-ups join their threads in one pass at the end, in file order. A
    transaction that crosses another session's (a deadlock, a serialisation failure: rolled back
    whole) is run again (`_retrying`). An error in a thread is raised here, at the next chunk or at
    `close`, and the chunks still queued are not written; `import_file` then says how much is
    stored (`ImportIncomplete`).
    """

    WRITERS = 2

    def __init__(self, app: App, report: ImportReport) -> None:
        import threading

        self.app = app
        self.report = report
        self.background = getattr(app.store, "backend", "tinydb") != "tinydb"
        self.chunk_size = SERVER_CHUNK if self.background else CHUNK
        self.error: BaseException | None = None
        self.failed = False  # a write failed: the rest is not written (`error` is raised once)
        self.threads: list = []
        self.lock = threading.Lock()
        self.seen: set[str] = set()
        self.followups: list[Prepared] = []  # new mentions that may continue a thread
        self.position: dict[str, int] = {}  # their place in the file

    def _start(self) -> None:
        """Connect the writer threads (at the first chunk: by then the workers are preparing, and
        loading the database driver and connecting does not hold up the start of the import)."""
        import queue
        import threading

        self.queue: queue.Queue = queue.Queue(maxsize=2 * self.WRITERS)
        for n in range(self.WRITERS):
            store = self.app.store if n == 0 else self.app.store.clone()
            # Connected here, not in the thread: a connection takes many short steps, and in a
            # thread each would wait for its turn while this one prepares mentions.
            with store.connection():
                pass
            thread = threading.Thread(target=self._run, args=(store,), name=f"import-writer-{n}", daemon=True)
            thread.start()
            self.threads.append((thread, store))

    def put(self, chunk: list[Prepared]) -> None:
        self._raise()
        if not self.background:
            from socialwatch.cases import join_threads

            codec = self.app.store.row_codec
            with self.app.store.session() as s:
                result = s.add_rows([p.row for p in chunk])
                # (only a mention in a thread, or a message, can join a case or answer a survey)
                join_threads(s, [p.mention(codec) for p in chunk if p.thread], result.new)
            _count(self.report, chunk, result)
            return
        if not self.threads:
            self._start()
        fresh = []
        for p in chunk:
            if p.id in self.seen:
                self.report.duplicates += 1
            else:
                self.seen.add(p.id)
                fresh.append(p)
                if p.thread:
                    self.position[p.id] = len(self.seen)
        self.queue.put(fresh)

    def _run(self, store: Any) -> None:
        while True:
            chunk = self.queue.get()
            if chunk is None:
                return
            if self.failed:
                continue  # (the import stops: what is queued is not stored)
            try:
                result = _retrying(functools.partial(self._store, store, chunk))
                with self.lock:
                    _count(self.report, chunk, result)
                    new = set(result.new)
                    self.followups += [p for p in chunk if p.thread and p.id in new]
            except BaseException as exc:  # handed to the importing thread
                self.error = exc
                self.failed = True

    @staticmethod
    def _store(store: Any, chunk: list[Prepared]) -> Any:
        with store.session() as s:
            return s.add_rows([p.row for p in chunk])

    def _raise(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def close(self) -> None:
        """Wait for every chunk to be stored, join the follow-ups (raising a write's error)."""
        for _ in self.threads:
            self.queue.put(None)
        for thread, store in self.threads:
            thread.join()
            if store is not self.app.store:
                store.close()  # type: ignore[attr-defined]
        self.threads = []
        self._raise()
        if self.followups:
            from socialwatch.cases import join_threads

            self.followups.sort(key=lambda p: self.position[p.id])  # file order, as one big write would
            codec = self.app.store.row_codec
            mentions = [p.mention(codec) for p in self.followups]

            def join() -> None:
                with self.app.store.session() as s:
                    join_threads(s, mentions, [m["id"] for m in mentions])

            _retrying(join)
            self.followups = []


def _retrying(work: Any) -> Any:
    """`work()` (one transaction), run again after a short random pause while it crosses another
    session's transaction (`Contention`: it was rolled back whole), at most RETRIES times."""
    import random
    import time

    for attempt in range(RETRIES):
        try:
            return work()
        except Contention:
            if attempt == RETRIES - 1:
                raise
            time.sleep(random.uniform(0.01, 0.05 * 2**attempt))  # apart, so that they do not cross again
    raise AssertionError("unreachable")


def _count(report: ImportReport, chunk: list[Prepared], result: Any) -> None:
    new = set(result.new)
    report.new += len(result.new)
    report.duplicates += len(result.duplicates)
    for p in chunk:
        if p.id in new:
            report.angry += p.angry
            report.viral += p.viral


def _apply_late_responses(app: App, responses: dict[str, str], report: ImportReport) -> None:
    """Brand responses that came after their mention in the file (or in an earlier import)."""
    applied = 0
    with app.store.session() as s:
        for mid, at in responses.items():
            m = s.get(mid)
            if m is None or m.get("first_response_at"):
                continue
            m["first_response_at"] = at
            if m.get("status") == "new":
                m["status"] = "pending"
            s.put(m)
            applied += 1
    report.responses += applied  # (counted once committed: a transaction may be run again)


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
